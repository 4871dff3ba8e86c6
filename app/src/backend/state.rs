//! The application state given to every route and server function.
use super::passwords::Passwords;
use super::ratelimit::{LoginLimits, Settings, VisitorLimits};
use super::realtime::fanout::Fanout;
use super::realtime::sse::{StreamSlots, STREAMS_PER_USER};
use crate::conversation::{feed::Batch, writer::Writer};
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub passwords: Passwords,
    pub login_limits: Arc<LoginLimits>,
    pub visitor_limits: Arc<VisitorLimits>,
    /// Set once setup is known to have run; it never goes back.
    pub installed: Arc<AtomicBool>,
    /// `LEADLINE_PUBLIC_URL`, without a trailing slash.
    pub public_url: Option<Arc<str>>,
    /// This process's message writer (group commit).
    pub writer: Writer,
    /// This process's shared fan-out of new events to open streams.
    pub realtime: Arc<Fanout<Batch>>,
    /// The agents' open event streams per user on this process (capped).
    pub agent_streams: Arc<StreamSlots<uuid::Uuid>>,
    /// Every open event stream per client address on this process (capped).
    pub address_streams: Arc<StreamSlots<std::net::IpAddr>>,
    /// A session ends this long after sign-in, however much it is used (R5).
    pub session_max: std::time::Duration,
    /// This process's Web Push (its key, what endpoints it accepts).
    pub push: Arc<crate::notifications::push::Push>,
}

impl AppState {
    /// The state of one server process; starts its message writer (inside a Tokio runtime).
    /// `serve` starts the event reader that feeds `realtime`.
    pub fn new(leptos_options: LeptosOptions, db: DatabaseConnection) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            leptos_options,
            passwords: Passwords::for_cores(cores),
            login_limits: Arc::new(LoginLimits::new(&Settings::default())),
            visitor_limits: Arc::new(VisitorLimits::new(&Settings::default())),
            installed: Arc::new(AtomicBool::new(false)),
            public_url: None,
            writer: Writer::start(db.clone()),
            realtime: Arc::new(Fanout::default()),
            push: Arc::new(Default::default()),
            session_max: std::time::Duration::from_secs(30 * 24 * 3600),
            agent_streams: Arc::new(StreamSlots::new(STREAMS_PER_USER)),
            address_streams: Arc::new(StreamSlots::new(Settings::default().streams_per_address)),
            db,
        }
    }

    /// The same state with the limits `settings` gives (R7).
    pub fn with_limits(mut self, settings: &Settings) -> Self {
        self.login_limits = Arc::new(LoginLimits::new(settings));
        self.visitor_limits = Arc::new(VisitorLimits::new(settings));
        self.address_streams = Arc::new(StreamSlots::new(settings.streams_per_address));
        self
    }

    /// Whether setup has run (a company exists); cached once true.
    pub async fn is_installed(&self) -> Result<bool, AppError> {
        if self.installed.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let done = {
            use sea_orm::{EntityTrait, PaginatorTrait};
            super::entities::installation::Entity::find()
                .count(&self.db)
                .await?
                > 0
        };
        if done {
            self.installed.store(true, Ordering::Relaxed);
        }
        Ok(done)
    }
}

/// The state inside a server function or a page render.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// Leadline's origin as people reach it: `LEADLINE_PUBLIC_URL`, else this request's host.
pub fn request_origin(state: &AppState) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let parts = use_context::<http::request::Parts>();
    let host = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::HOST))
        .and_then(|h| h.to_str().ok());
    origin_from_host(host, &state.leptos_options.site_addr.to_string())
}

/// `http://HOST` for a `Host` header that is a plain host and port, else for `fallback`: the
/// header is the client's to choose, and it ends up in pages and scripts.
pub fn origin_from_host(host: Option<&str>, fallback: &str) -> String {
    let plain = |h: &&str| {
        !h.is_empty()
            && h.len() <= 255
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            && h.parse::<http::uri::Authority>().is_ok()
    };
    format!("http://{}", host.filter(plain).unwrap_or(fallback))
}

#[cfg(test)]
mod tests {
    use super::origin_from_host;

    #[test]
    fn only_a_plain_host_and_port_makes_the_origin() {
        let f = "127.0.0.1:3000";
        assert_eq!(
            origin_from_host(Some("chat.example.com:8080"), f),
            "http://chat.example.com:8080"
        );
        assert_eq!(origin_from_host(Some("[::1]:3000"), f), "http://[::1]:3000");
        for bad in [
            "x</textarea><img src=x onerror=alert(1)>",
            "a\"b",
            "a b",
            "",
            "x/y",
            "u@h",
        ] {
            assert_eq!(
                origin_from_host(Some(bad), f),
                "http://127.0.0.1:3000",
                "{bad}"
            );
        }
        assert_eq!(origin_from_host(None, f), "http://127.0.0.1:3000");
    }
}
