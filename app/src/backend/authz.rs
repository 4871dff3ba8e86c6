//! Who is asking, and what they may do. Every server function and endpoint starts here.
pub use super::actor::Actor;
use super::entities::user;
use super::sessions::USER_KEY;
use super::state::{app_state, AppState};
use crate::error::AppError;
use sea_orm::{DatabaseConnection, EntityTrait};
use tower_sessions::Session;
use uuid::Uuid;

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}

/// The active user of this session, if any. A deactivated user's session counts as signed out.
pub async fn actor_from_session(
    db: &DatabaseConnection,
    session: &Session,
) -> Result<Option<Actor>, AppError> {
    let Some(id) = session
        .get::<String>(USER_KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return Ok(None);
    };
    // Past its absolute lifetime (R5) the session is over, however recently it was used.
    let ends = session
        .get::<i64>(ENDS_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    if ends <= time::OffsetDateTime::now_utc().unix_timestamp() {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    match user::Entity::find_by_id(id).one(db).await? {
        Some(u) if u.active => Ok(Some(u.into())),
        _ => Ok(None),
    }
}

/// The current request's session (server functions only).
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// The signed-in user, or `Unauthenticated`.
pub async fn actor() -> Result<Actor, AppError> {
    Ok(ctx().await?.1)
}

/// What a server function starts with: the application's state and who is asking (the
/// signed-in user, or `Unauthenticated`).
pub async fn ctx() -> Result<(AppState, Actor), AppError> {
    let state = app_state()?;
    let session = session().await?;
    let actor = actor_from_session(&state.db, &session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((state, actor))
}

/// The signed-in user if they are an admin; `Forbidden` otherwise.
pub async fn admin() -> Result<Actor, AppError> {
    let actor = actor().await?;
    actor.require_admin()?;
    Ok(actor)
}

/// Signs `user_id` in on this session, with a fresh session id (no fixation), for at most
/// the configured session lifetime.
pub async fn sign_in(session: &Session, user_id: Uuid) -> Result<(), AppError> {
    let lifetime = app_state()?.session_max;
    let ends = time::OffsetDateTime::now_utc().unix_timestamp()
        + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(ENDS_KEY, ends)
        .await
        .map_err(session_error)?;
    session
        .insert(USER_KEY, user_id.to_string())
        .await
        .map_err(session_error)
}

/// The session key holding when the session ends (Unix seconds), whatever its use.
const ENDS_KEY: &str = "ends";

/// Ends this session: its row is deleted and the cookie cleared.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The client's address for rate limits (the TCP peer).
pub async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    match leptos_axum::extract::<ConnectInfo<SocketAddr>>().await {
        Ok(ConnectInfo(addr)) => super::ratelimit::address_key(addr.ip()).to_string(),
        Err(_) => "unknown".to_string(),
    }
}
