//! The `leadline` server: configuration, the router and its guards, serving until shutdown.
#![recursion_limit = "256"]
pub mod config;
pub mod listen;
pub mod middleware;
pub mod site;

use app::backend::{db, http::Routes, sessions::DbSessionStore, state::AppState};
use app::{shell, App};
use axum::{
    extract::State, http::StatusCode, middleware as mw, response::IntoResponse, routing::get,
    Router,
};
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

/// Leptos options from cargo-leptos's `LEPTOS_*` variables, with the workspace's values as
/// defaults so the binary also runs outside cargo-leptos (tests, a copied binary).
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "leadline"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(addr)
        .build()
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, String> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    let conn = db::connect(&config.database_url, config.database_schema.as_deref())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&conn)
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(conn)
}

/// Connects to the configured database as it is: no migration, and a SQLite file that does
/// not exist is not created (`leadline backup` only reads).
pub async fn open_existing_database(config: &Config) -> Result<DatabaseConnection, String> {
    if let Some(path) = config
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| config.database_url.strip_prefix("sqlite:"))
    {
        let file = path.split('?').next().unwrap_or(path);
        if !std::path::Path::new(file).is_file() {
            return Err(format!("there is no database at {file}"));
        }
    }
    db::connect(&config.database_url, config.database_schema.as_deref())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Writes a consistent copy of the SQLite database to `file` while the server runs
/// (`VACUUM INTO`: one read transaction, so the copy is the database as of one moment, with
/// every message committed before it). PostgreSQL is backed up with its own tools.
pub async fn backup(db: &DatabaseConnection, file: &std::path::Path) -> Result<(), String> {
    use sea_orm::ConnectionTrait;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Err(
            "backup copies the SQLite database; back up PostgreSQL with pg_dump \
                    (see the README)"
                .into(),
        );
    }
    if file.exists() {
        return Err(format!(
            "{} exists already; choose a new file",
            file.display()
        ));
    }
    let path = file
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", file.display()))?;
    db.execute_unprepared(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
        .await
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(())
}

/// Readiness: the database answers and every migration this binary knows is applied (a load
/// balancer sends traffic only then). `/healthz` is liveness: the process answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    use migrations::MigratorTrait;
    if let Err(e) = state.db.ping().await {
        tracing::error!(error = %e, "readiness: database unavailable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    match migrations::Migrator::get_pending_migrations(&state.db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, "ready"),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(e) => {
            tracing::error!(error = %e, "readiness: cannot read the migrations");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Every plain HTTP route (server functions and pages are added by Leptos): the router
/// serves them and the authorization test probes each one.
pub fn endpoints() -> Routes {
    Routes::default()
        .route("GET", "/healthz", get(healthz))
        .route("GET", "/readyz", get(readyz))
        .merge(app::chatbot::endpoints::routes())
        .merge(app::widget::endpoints::routes())
        .merge(app::inbox::endpoints::routes())
        .merge(app::notifications::endpoints::routes())
}

/// Every page path the app renders (for the route inventory).
pub fn page_paths() -> Vec<String> {
    page_routes().iter().map(|r| r.path().to_string()).collect()
}

/// The app's page routes, generated once per process. Generating them renders the app with
/// every resource held back by a flag that is global to the process (Leptos's
/// `SuppressResourceLoad`): a page rendering at that moment in another server of the same
/// process (the tests run many) waited forever for its resources. That was the Users page
/// that stalled about one CI run in four.
fn page_routes() -> &'static [leptos_axum::AxumRouteListing] {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App))
}

/// How long a request body may pause (no bytes arriving) before it is given up on.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest request body anything accepts.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The whole application: pages, server functions, endpoints and guards.
pub fn router(state: AppState, config: &Config) -> Router {
    let routes = page_routes().to_vec();
    // Behind https the cookie is `__Host-` prefixed: Secure, for this host only, path `/`.
    let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(if config.secure_cookies() {
            "__Host-leadline_session"
        } else {
            "leadline_session"
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(config.session_idle).unwrap_or(time::Duration::days(14)),
        ));
    let options = state.leptos_options.clone();
    endpoints()
        .into_router()
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(mw::from_fn_with_state(
            site::SiteFiles {
                root: std::sync::Arc::new(std::path::PathBuf::from(
                    state.leptos_options.site_root.to_string(),
                )),
                embedded: config.embedded_site,
            },
            site::embedded,
        ))
        .layer(mw::from_fn_with_state(state.clone(), middleware::page_gate))
        .layer(session_layer)
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::same_origin_writes,
        ))
        .layer(mw::from_fn(middleware::error_status))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(mw::from_fn(middleware::request_log))
        .layer(mw::from_fn_with_state(
            std::sync::Arc::new(config.trusted_proxies.clone()),
            middleware::client_address,
        ))
        // A body that stops arriving (shorter than its Content-Length) is given up on, and
        // no body is larger than MAX_BODY (uploads are 2 MB; routes set lower limits).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_TIMEOUT,
        ))
        .layer(mw::from_fn_with_state(
            config.body_deadline,
            middleware::body_deadline,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(mw::from_fn(middleware::too_large))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves, then finishes open requests.
pub async fn serve(
    listener: TcpListener,
    db: DatabaseConnection,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let mut state = AppState::new(leptos_options(addr), db.clone()).with_limits(&config.limits);
    state.session_max = config.session_max;
    state.public_url = config.public_url.as_deref().map(Into::into);
    state.push = std::sync::Arc::new(app::notifications::push::Push::new(config.push_loopback));
    // The shared fan-out: one reader of new events for every stream of this process, woken
    // by this process's commits (SQLite) or every server's NOTIFY (PostgreSQL).
    let postgres = config.database_url.starts_with("postgres");
    let wakes = app::backend::realtime::hub::forward(
        postgres.then(|| config.database_url.clone()),
        state.realtime.kick.clone(),
    );
    let reader = tokio::spawn(app::conversation::feed::run(
        state.realtime.clone(),
        db.clone(),
    ));
    // Web Push: one server of several sends, from the same batches.
    let pusher = tokio::spawn(app::notifications::push::run(
        db.clone(),
        state.realtime.clone(),
        state.push.clone(),
    ));
    let app = router(state, &config);
    let timers = tokio::spawn(wait_timers(db.clone()));
    let sweeper = tokio::spawn(async move {
        let store = DbSessionStore::new(db);
        loop {
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
    tracing::info!("Leadline listening on http://{addr}");
    if !addr.ip().is_loopback() && config.public_url.is_none() {
        tracing::warn!(
            "serving on {addr} without LEADLINE_PUBLIC_URL: the embed snippet and the widget's \
             origin are taken from each request's Host header; set LEADLINE_PUBLIC_URL to the \
             address people reach Leadline at"
        );
    }
    let proxies = config.trusted_proxies.clone();
    let bounds = listen::Bounds {
        per_address: config.connections_per_address,
        uncapped: Box::new(move |ip| proxies.iter().any(|p| p.contains(&ip))),
        next_head: config.next_head_timeout,
    };
    let result = listen::serve(listener, app, bounds, shutdown).await;
    sweeper.abort();
    timers.abort();
    reader.abort();
    pusher.abort();
    wakes.abort();
    result
}

/// Every second, conversations whose wait time passed go offline and run their offline
/// flow — exactly once, whichever instance gets there first, and after a restart too.
async fn wait_timers(db: DatabaseConnection) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match app::conversation::flow::expire_overdue(&db, time::OffsetDateTime::now_utc()).await {
            Ok(moved) if !moved.is_empty() => {
                tracing::info!(count = moved.len(), "wait time passed: offline flow ran");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not run the wait timers"),
        }
    }
}

/// Raises this process's open-file soft limit to its hard limit (each open event stream is
/// a socket; B3 holds 19,000 of them). Returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
                return None;
            }
            if r.rlim_cur < r.rlim_max {
                r.rlim_cur = r.rlim_max;
                if libc::setrlimit(libc::RLIMIT_NOFILE, &r) != 0 {
                    return None;
                }
            }
        }
        Some(r.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
