//! The widget's HTTP side: `/widget/loader.js` for customers' pages, the chat frame
//! `/widget/frame/{key}` with its script and stylesheet, and the visitor API
//! `/api/visitor/…` the frame calls (rate-limited per visitor and per address, R7).
use super::service;
use crate::backend::http::{too_many, too_many_streams, Body, Params, Routes};
use crate::backend::ratelimit::address_key;
use crate::backend::realtime::fanout::Topic;
use crate::backend::realtime::sse::{self, Sent};
use crate::backend::state::AppState;
use crate::chatbot::model::{PlaybookSettings, RuleOp};
use crate::conversation::feed::{self, Batch, Scope};
use crate::conversation::flow::AnswerInput;
use crate::error::AppError;
use crate::ui::text::escape_html;
use axum::{
    extract::{ConnectInfo, DefaultBodyLimit, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::LazyLock;

/// The loader as customers' pages get it: without its comments and indentation (it is
/// read by people here, and downloaded by every visitor there; B1).
static LOADER_JS: LazyLock<String> = LazyLock::new(|| compact(include_str!("assets/loader.js")));
const FRAME_JS: &str = include_str!("assets/frame.js");
const FRAME_CSS: &str = include_str!("assets/frame.css");
const MAIN_CSS: &str = include_str!("../../../style/main.css");

/// The frame's stylesheet: the message rules the editor preview uses (F1.6), then its own.
pub static FRAME_STYLESHEET: LazyLock<String> = LazyLock::new(|| {
    let shared = MAIN_CSS
        .split_once("/* widget-shared:start")
        .and_then(|(_, rest)| rest.split_once("*/"))
        .and_then(|(_, rest)| rest.split_once("/* widget-shared:end */"))
        .map_or("", |(shared, _)| shared);
    format!("{}\n{FRAME_CSS}", shared.trim())
});

/// Drops `/* … */` comments, indentation and blank lines (the loader has no `/*` inside a
/// string or a regular expression).
fn compact(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut rest = js;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .split_once("*/")
            .map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Visitor API bodies are small: a message is at most 4,000 characters.
const MAX_BODY_BYTES: usize = 32 * 1024;

pub fn routes() -> Routes {
    Routes::default()
        .route("GET", "/widget/loader.js", get(loader))
        .route("POST", "/widget/seen", post(seen))
        .route("GET", "/widget/frame/{key}", get(frame))
        .route("GET", "/widget/preview", get(preview))
        .route("GET", "/widget/frame.js", get(frame_js))
        .route("GET", "/widget/frame.css", get(frame_css))
        .route("POST", "/api/visitor/start", post(start))
        .route("POST", "/api/visitor/resume", post(resume))
        .route("POST", "/api/visitor/answer", post(answer))
        .route("POST", "/api/visitor/messages", post(send))
        .route("GET", "/api/visitor/events", get(events))
        .map(|r| r.layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
}

fn reply<T: serde::Serialize>(r: Result<T, AppError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Leadline's origin as the customer's page reaches it.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    crate::backend::state::origin_from_host(host, &state.leptos_options.site_addr.to_string())
}

fn asset(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoaderQuery {
    p: Option<String>,
    /// The page URL, when the caller reports it itself.
    u: Option<String>,
}

fn settings_of_key(p: &crate::backend::entities::playbook::Model) -> PlaybookSettings {
    crate::chatbot::service::settings_of(p)
}

/// The loader for the playbook `p`: its targeting rules, delay and colour are baked in.
/// Loading it records where and when (F1.7); the loader also reports the full page URL.
async fn loader(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Params(q): Params<LoaderQuery>,
    headers: HeaderMap,
) -> Response {
    let js = |status: StatusCode, body: String| {
        (
            status,
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    };
    let Some(key) = q.p.filter(|k| !k.is_empty() && k.len() <= 32) else {
        return js(
            StatusCode::BAD_REQUEST,
            "/* Leadline: missing playbook key */".into(),
        );
    };
    let page = q.u.or_else(|| {
        headers
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .map(str::to_string)
    });
    let page = service::clean_url(page.as_deref());
    let p = match crate::chatbot::service::by_key(&state.db, &key).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return js(
                StatusCode::NOT_FOUND,
                "/* Leadline: unknown playbook */".into(),
            )
        }
        Err(_) => {
            return js(
                StatusCode::INTERNAL_SERVER_ERROR,
                "/* Leadline: unavailable */".into(),
            )
        }
    };
    // Recorded within the same per-address limit as the loader's report (a flood of loads
    // is served the script, but writes nothing).
    let record = state
        .visitor_limits
        .per_visitor
        .check(&format!("seen {}", address_key(addr.ip())))
        .is_ok();
    if record
        && crate::chatbot::service::record_load(&state.db, &key, page.as_deref())
            .await
            .is_err()
    {
        return js(
            StatusCode::INTERNAL_SERVER_ERROR,
            "/* Leadline: unavailable */".into(),
        );
    }
    if !p.active {
        return js(
            StatusCode::OK,
            "/* Leadline: this playbook is inactive */".into(),
        );
    }
    let s = settings_of_key(&p);
    let rules: Vec<(&str, &str)> = s
        .rules
        .iter()
        .map(|r| {
            let op = match r.op {
                RuleOp::Contains => "c",
                RuleOp::Equals => "e",
                RuleOp::StartsWith => "s",
            };
            (op, r.value.as_str())
        })
        .collect();
    let greeting = match crate::chatbot::service::cards_of(&state.db, p.id).await {
        Ok(cards) => service::greeting(&cards),
        Err(_) => String::new(),
    };
    let config = serde_json::json!({
        "o": origin(&state, &headers),
        "k": p.key,
        "r": rules,
        "d": s.delay_seconds,
        "c": s.accent_color,
        "a": s.allowed_sites,
        "g": greeting,
    });
    // `</` cannot end a script in JSON-in-JS; the config is data, never code.
    let config = config.to_string().replace("</", "<\\/");
    js(StatusCode::OK, LOADER_JS.replace("__LEADLINE__", &config))
}

/// The loader's report of the page it runs on (a beacon from the customer's page).
/// The loader reports the page it runs on (F1.7: "Installed"): limited per address, and
/// counted as installed only for a page on the playbook's allow-list (when it has one).
async fn seen(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Params(q): Params<LoaderQuery>,
) -> Response {
    let (Some(key), Some(url)) = (q.p, service::clean_url(q.u.as_deref())) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Err(wait) = state
        .visitor_limits
        .per_visitor
        .check(&format!("seen {}", address_key(addr.ip())))
    {
        return too_many("Too many reports from this address.", wait);
    }
    // A page of a site not on the allow-list is recorded apart (the editor says the widget
    // was refused there), never as "Installed".
    match crate::chatbot::service::record_load(&state.db, &key, Some(&url)).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct FrameQuery {
    /// The embedding page's origin (postMessage goes only there).
    o: Option<String>,
    /// The embedding page's URL.
    u: Option<String>,
}

/// The chat frame: server-rendered HTML, one script, one stylesheet, a strict CSP whose
/// `frame-ancestors` is the playbook's site allow-list (any site when it is empty) (R8).
async fn frame(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(q): Params<FrameQuery>,
) -> Response {
    let p = match crate::chatbot::service::by_key(&state.db, &key).await {
        Ok(Some(p)) if p.active => p,
        Ok(_) => return (StatusCode::NOT_FOUND, "This chat is not available.").into_response(),
        Err(e) => return e.into_response(),
    };
    let s = settings_of_key(&p);
    let ancestors = if s.allowed_sites.is_empty() {
        "*".to_string()
    } else {
        s.allowed_sites.join(" ")
    };
    let parent =
        q.o.and_then(|o| crate::chatbot::model::parse_site(&o).ok())
            .filter(|o| s.allowed_sites.is_empty() || s.allowed_sites.contains(o))
            .unwrap_or_default();
    let page = service::clean_url(q.u.as_deref()).unwrap_or_default();
    frame_document(
        &FrameDocument {
            bot: &s.bot_name,
            key: &p.key,
            accent: &s.accent_color,
            avatar: s.avatar.as_deref(),
            parent: &parent,
            page: &page,
            preview: false,
        },
        &ancestors,
    )
}

/// The editor's live preview: the same frame, sandboxed by the editor and drawn from the
/// unsaved playbook the editor posts to it (F1.6). Framed only by Leadline itself.
async fn preview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    frame_document(
        &FrameDocument {
            bot: "Chatbot",
            key: "preview",
            accent: "#2f6fed",
            avatar: None,
            parent: &origin(&state, &headers),
            page: "",
            preview: true,
        },
        "'self'",
    )
}

struct FrameDocument<'a> {
    bot: &'a str,
    key: &'a str,
    accent: &'a str,
    avatar: Option<&'a str>,
    /// The embedding page's origin: the only one the frame talks to.
    parent: &'a str,
    page: &'a str,
    preview: bool,
}

/// The frame's HTML with its strict CSP; `ancestors` may frame it.
fn frame_document(d: &FrameDocument, ancestors: &str) -> Response {
    let avatar = match d.avatar {
        Some(id) => format!(
            r#"<img class="ll-avatar" src="/uploads/{}" alt="">"#,
            escape_html(id)
        ),
        None => r#"<img class="ll-avatar" alt="" hidden>"#.to_string(),
    };
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat with {bot}</title><link rel="stylesheet" href="/widget/frame.css"><script src="/widget/frame.js" defer></script></head>
<body data-key="{key}" data-accent="{accent}" data-bot="{bot}" data-parent="{parent}" data-page="{page}"{preview}>
<header class="ll-head">{avatar}<h1 class="ll-name">{bot}</h1><button type="button" class="ll-close" aria-label="Close chat">&#xd7;</button></header>
<main class="ll-scroll"><div class="ll-log" role="log" aria-live="polite" aria-label="Conversation"></div>
<div class="ll-prompt"></div></main>
<p class="ll-note" role="status" hidden></p>
<form class="ll-compose" hidden><label for="ll-text">Message</label><textarea id="ll-text" name="message" rows="2" maxlength="4000" placeholder="Write a message…"></textarea><button type="submit">Send</button></form>
</body></html>"#,
        bot = escape_html(d.bot),
        key = escape_html(d.key),
        accent = escape_html(d.accent),
        parent = escape_html(d.parent),
        page = escape_html(d.page),
        preview = if d.preview {
            r#" data-preview="1""#
        } else {
            ""
        },
    );
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    );
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

async fn frame_js() -> Response {
    asset("text/javascript; charset=utf-8", FRAME_JS.to_string())
}

async fn frame_css() -> Response {
    asset("text/css; charset=utf-8", FRAME_STYLESHEET.clone())
}

/// Counts one visitor request against the per-address and per-visitor limits (R7); over
/// either, the 429 to send (with `Retry-After`).
#[allow(clippy::result_large_err)]
fn limit(state: &AppState, addr: &SocketAddr, token: Option<&str>) -> Result<(), Response> {
    let refuse = |wait| {
        too_many(
            "Too many messages at once. Wait a moment and try again.",
            wait,
        )
    };
    let limits = &state.visitor_limits;
    limits
        .per_address
        .check(&address_key(addr.ip()).to_string())
        .map_err(refuse)?;
    if let Some(t) = token {
        limits.per_visitor.check(t).map_err(refuse)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct StartBody {
    key: String,
    token: Option<String>,
    page_url: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<StartBody>,
) -> Response {
    if let Err(r) = limit(&state, &addr, b.token.as_deref()) {
        return r;
    }
    // A visitor token starts a bounded number of conversations an hour.
    if let Some(t) = b.token.as_deref() {
        if let Err(wait) = state.visitor_limits.conversations.check(t) {
            return too_many(
                "You have started many conversations in a short time. Please continue in this one or try again later.",
                wait,
            );
        }
    }
    reply(
        async {
            service::start(&state.db, &b.key, b.token.as_deref(), b.page_url.as_deref()).await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct ResumeBody {
    token: String,
    conversation_id: String,
    page_url: Option<String>,
}

async fn resume(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<ResumeBody>,
) -> Response {
    if let Err(r) = limit(&state, &addr, Some(&b.token)) {
        return r;
    }
    reply(
        async {
            service::resume(
                &state.db,
                &b.token,
                &b.conversation_id,
                b.page_url.as_deref(),
            )
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct AnswerBody {
    token: String,
    conversation_id: String,
    card_id: String,
    #[serde(flatten)]
    input: AnswerInput,
}

async fn answer(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<AnswerBody>,
) -> Response {
    if let Err(r) = limit(&state, &addr, Some(&b.token)) {
        return r;
    }
    reply(
        async {
            service::answer(
                &state.db,
                &b.token,
                &b.conversation_id,
                &b.card_id,
                &b.input,
            )
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct SendBody {
    token: String,
    conversation_id: String,
    body: String,
    client_id: Option<String>,
}

async fn send(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<SendBody>,
) -> Response {
    if let Err(r) = limit(&state, &addr, Some(&b.token)) {
        return r;
    }
    reply(
        async {
            service::send(
                &state.writer,
                &b.token,
                &b.conversation_id,
                &b.body,
                b.client_id.as_deref(),
            )
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct EventsQuery {
    c: String,
    t: String,
    after: Option<i64>,
}

/// The visitor's event stream: one per conversation, opened once the chat is open.
async fn events(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Params(q): Params<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = limit(&state, &addr, Some(&q.t)) {
        return r;
    }
    let Some(address_slot) = state.address_streams.take(address_key(addr.ip())) else {
        return too_many_streams();
    };
    // Check the pair now, so a wrong token gets a clear refusal and not an empty stream.
    if let Err(e) = service::check(&state.db, &q.t, &q.c).await {
        return e.into_response();
    }
    let conversation_id = match uuid::Uuid::parse_str(&q.c) {
        Ok(id) => id,
        Err(_) => return AppError::NotFound("No such conversation.".into()).into_response(),
    };
    let live = state
        .realtime
        .subscribe(Topic::Conversation(conversation_id));
    let after = sse::resume_point(&headers, q.after).unwrap_or(0);
    let reader = VisitorReader {
        db: state.db.clone(),
        conversation_id,
        _address: address_slot,
    };
    sse::stream(after, live, reader).into_response()
}

/// The visitor's view of their conversation's events: its messages (with the agent's name)
/// and its state changes.
struct VisitorReader {
    db: sea_orm::DatabaseConnection,
    conversation_id: uuid::Uuid,
    /// Counts this stream against its address's cap while it is open.
    _address: sse::Slot<std::net::IpAddr>,
}

impl sse::Reader for VisitorReader {
    type Batch = Batch;

    fn load(&self, after: i64) -> sse::Loaded<Batch> {
        let (db, id) = (self.db.clone(), self.conversation_id);
        Box::pin(async move {
            Ok(feed::load(&db, Scope::Conversation(id), after, 500)
                .await?
                .map(|(b, last)| (Arc::new(b), last)))
        })
    }

    fn pick(&self, batch: &Batch, after: i64, out: &mut Vec<Sent>) -> Result<i64, AppError> {
        let mut last = after;
        for item in &batch.items {
            if item.conversation_id != Some(self.conversation_id) || item.id <= after {
                continue;
            }
            last = item.id;
            if let Some(e) = service::visitor_event(&item.payload, &batch.names) {
                let name = match e {
                    super::VisitorEvent::Message { .. } => "message",
                    super::VisitorEvent::State { .. } => "state",
                };
                let json = serde_json::to_string(&e).map_err(|_| AppError::Internal)?;
                out.push((item.id, name, json.into()));
            }
        }
        Ok(last)
    }

    fn tick(&self) -> futures::future::BoxFuture<'static, Result<(), AppError>> {
        Box::pin(async { Ok(()) })
    }
}
