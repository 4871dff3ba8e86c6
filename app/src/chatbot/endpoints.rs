//! Plain HTTP endpoints of the chatbot area: image upload and download, and the widget loader.
use super::images::MAX_IMAGE_BYTES;
use super::service;
use crate::backend::{authz::actor_from_session, state::AppState};
use crate::error::AppError;
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use tower_sessions::Session;

/// Routes of this area, to merge into the application router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/uploads",
            // Room for the 2 MB limit plus a little, so an oversize image gets our message.
            post(upload).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 1024)),
        )
        .route("/uploads/{id}", get(download))
        .route("/widget/loader.js", get(loader))
}

fn error_response(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(e)).into_response()
}

/// Upload an image (the raw bytes are the body). Answers `{"id": "…", "url": "/uploads/…"}`.
async fn upload(State(state): State<AppState>, session: Session, body: Bytes) -> Response {
    let result = async {
        let actor = actor_from_session(&state.db, &session)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        service::require_editor(&actor)?;
        service::store_upload(&state.db, &actor, body.to_vec()).await
    }
    .await;
    match result {
        Ok(id) => {
            Json(serde_json::json!({ "id": id, "url": format!("/uploads/{id}") })).into_response()
        }
        Err(e) => error_response(e),
    }
}

async fn download(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match service::load_upload(&state.db, &id).await {
        Ok(Some((kind, bytes))) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(kind.content_type()),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
                // Widgets on customers' sites show these images.
                (
                    header::HeaderName::from_static("cross-origin-resource-policy"),
                    HeaderValue::from_static("cross-origin"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(Deserialize)]
struct LoaderQuery {
    p: Option<String>,
    /// The page URL, when the loader reports it itself.
    u: Option<String>,
}

/// The widget loader. For now it only records where and when it was loaded (F1.7) and
/// answers with an empty script; the widget itself comes with the conversation engine.
async fn loader(
    State(state): State<AppState>,
    Query(q): Query<LoaderQuery>,
    headers: HeaderMap,
) -> Response {
    let js = |status: StatusCode, body: &'static str| {
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
            "/* Leadline: missing playbook key */",
        );
    };
    let page = q.u.or_else(|| {
        headers
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .map(str::to_string)
    });
    let page = page.filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    match service::record_load(&state.db, &key, page.as_deref()).await {
        Ok(true) => js(StatusCode::OK, "/* Leadline */"),
        Ok(false) => js(StatusCode::NOT_FOUND, "/* Leadline: unknown playbook */"),
        Err(_) => js(
            StatusCode::INTERNAL_SERVER_ERROR,
            "/* Leadline: unavailable */",
        ),
    }
}
