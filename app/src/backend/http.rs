//! Plain HTTP endpoints' common ground: errors as responses, and request bodies and query
//! strings whose refusal is a 400 in words (never a framework message naming our types).
use crate::error::AppError;
use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;
use std::time::Duration;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

/// A refusal by a rate limit: 429 with `Retry-After` (whole seconds, at least one).
pub fn too_many(message: &str, wait: Duration) -> Response {
    let mut r = AppError::TooManyRequests(message.to_string()).into_response();
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    r
}

/// A refusal of one more event stream from an address that holds its cap of them.
pub fn too_many_streams() -> Response {
    too_many(
        "Too many open chats from this address. Close some and try again.",
        Duration::from_secs(30),
    )
}

/// A JSON request body; unreadable JSON is a 400 that says what is wrong in words.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(AppError::Unreadable("The request is too large.".into())),
            )
                .into_response()),
            Err(e) => Err(AppError::unreadable(&e.body_text()).into_response()),
        }
    }
}

/// A query string; an unreadable one is a 400 in words.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(e) => Err(AppError::unreadable(&e.body_text()).into_response()),
        }
    }
}

/// A router that lists what it serves: every plain HTTP route is added through it, so the
/// authorization test (which probes every listed route) cannot miss a new one.
pub struct Routes {
    router: axum::Router<crate::backend::state::AppState>,
    listed: Vec<(&'static str, &'static str)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: axum::Router::new(),
            listed: Vec::new(),
        }
    }
}

impl Routes {
    /// Serves `path` for `method` ("GET", "POST") with `handler` (a method router, which may
    /// carry its own layers).
    pub fn route(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: axum::routing::MethodRouter<crate::backend::state::AppState>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.listed.push((method, path));
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }

    /// Applies `f` (a layer) to the routes so far.
    pub fn map(
        mut self,
        f: impl FnOnce(
            axum::Router<crate::backend::state::AppState>,
        ) -> axum::Router<crate::backend::state::AppState>,
    ) -> Self {
        self.router = f(self.router);
        self
    }

    /// (method, path) of every route.
    pub fn listed(&self) -> &[(&'static str, &'static str)] {
        &self.listed
    }

    pub fn into_router(self) -> axum::Router<crate::backend::state::AppState> {
        self.router
    }
}
