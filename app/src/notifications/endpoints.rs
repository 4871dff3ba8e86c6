//! The browser's side of notifications, as plain routes: the in-page script (`/notify.js`)
//! and the service worker (`/sw.js`), both same-origin so the admin app's policy allows
//! them; the VAPID public key, a browser's push subscription, and whether an inbox tab is in
//! front (no push then). Every `/api/` route here needs a signed-in user.
use super::push::{self, Subscription};
use crate::backend::actor::Actor;
use crate::backend::authz::actor_from_session;
use crate::backend::http::{Body, Routes};
use crate::backend::state::AppState;
use crate::conversation::presence;
use crate::error::AppError;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tower_sessions::Session;

const NOTIFY_JS: &str = include_str!("assets/notify.js");
const SERVICE_WORKER_JS: &str = include_str!("assets/sw.js");

pub fn routes() -> Routes {
    Routes::default()
        .route("GET", "/notify.js", get(notify_js))
        .route("GET", "/sw.js", get(service_worker))
        .route("GET", "/api/push/key", get(key))
        .route("POST", "/api/push/subscribe", post(subscribe))
        .route("POST", "/api/push/unsubscribe", post(unsubscribe))
        .route("POST", "/api/notifications/focus", post(focus))
}

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn notify_js() -> Response {
    script(NOTIFY_JS)
}

async fn service_worker() -> Response {
    script(SERVICE_WORKER_JS)
}

fn fail(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(e)).into_response()
}

async fn signed_in(state: &AppState, session: &Session) -> Result<Actor, Response> {
    match actor_from_session(&state.db, session).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(fail(AppError::Unauthenticated)),
        Err(e) => Err(fail(e)),
    }
}

/// The `applicationServerKey` a browser subscribes with.
async fn key(State(state): State<AppState>, session: Session) -> Response {
    if let Err(r) = signed_in(&state, &session).await {
        return r;
    }
    match state.push.vapid(&state.db).await {
        Ok(v) => Json(serde_json::json!({ "key": v.public_key })).into_response(),
        Err(e) => fail(e),
    }
}

async fn subscribe(
    State(state): State<AppState>,
    session: Session,
    Body(s): Body<Subscription>,
) -> Response {
    let actor = match signed_in(&state, &session).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match push::subscribe(&state.db, &actor, &s, state.push.allow_loopback).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct Unsubscribe {
    endpoint: String,
}

async fn unsubscribe(
    State(state): State<AppState>,
    session: Session,
    Body(u): Body<Unsubscribe>,
) -> Response {
    let actor = match signed_in(&state, &session).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match push::unsubscribe(&state.db, &actor, &u.endpoint).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct Focus {
    focused: bool,
}

/// An inbox tab came to the front (it says so again while it stays there) or left it.
async fn focus(State(state): State<AppState>, session: Session, Body(f): Body<Focus>) -> Response {
    let actor = match signed_in(&state, &session).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let now = time::OffsetDateTime::now_utc();
    match presence::set_focused(&state.db, &actor, f.focused, now).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => fail(e),
    }
}
