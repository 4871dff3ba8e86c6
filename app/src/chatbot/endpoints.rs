//! Plain HTTP endpoints of the chatbot area: image upload and download.
use super::images::MAX_IMAGE_BYTES;
use super::service;
use crate::backend::{authz::actor_from_session, http::Routes, state::AppState};
use crate::error::AppError;
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json,
};
use tower_sessions::Session;

/// Routes of this area, to merge into the application router.
pub fn routes() -> Routes {
    Routes::default()
        .route(
            "POST",
            "/api/uploads",
            // Room for the 2 MB limit plus a little, so an oversize image gets our message.
            post(upload).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 1024)),
        )
        .route("GET", "/uploads/{id}", get(download))
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
        Err(e) => e.into_response(),
    }
}

/// An uploaded image: inline only when its stored bytes are an image of the kind recorded
/// (anything else downloads as a file), never sniffed by the browser, and sandboxed.
async fn download(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match service::load_upload(&state.db, &id).await {
        Ok(Some((kind, bytes))) => {
            let image = super::images::sniff(&bytes).is_ok_and(|k| k == kind);
            let (content_type, disposition) = if image {
                (kind.content_type(), "inline")
            } else {
                ("application/octet-stream", "attachment")
            };
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static(disposition),
                    ),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'; sandbox"),
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
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => e.into_response(),
    }
}
