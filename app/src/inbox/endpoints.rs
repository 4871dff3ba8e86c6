//! The agents' event stream `/api/events` (one per signed-in tab): conversation changes,
//! messages and folder counts this user may see (F3.2, F3.5), resumable by Last-Event-ID.
//! While it is open it renews the user's presence lease (F3.1).
use super::{presence, service};
use crate::backend::{authz::actor_from_session, hub::Wake, sse, state::AppState};
use crate::error::AppError;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use sea_orm::EntityTrait;
use serde::Deserialize;
use tower_sessions::Session;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/events", get(events))
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<i64>,
}

async fn events(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    let actor = match actor_from_session(&state.db, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            return (StatusCode::UNAUTHORIZED, Json(AppError::Unauthenticated)).into_response()
        }
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, Json(e)).into_response(),
    };
    let now = time::OffsetDateTime::now_utc;
    let _ = presence::heartbeat(&state.db, &actor, now()).await;
    // A new tab starts from now (its page was just rendered); a reconnect resumes.
    let after = match sse::resume_point(&headers, q.after) {
        Some(a) => a,
        None => match service::last_event_id(&state.db, actor.company_id).await {
            Ok(a) => a,
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, Json(e)).into_response(),
        },
    };
    let company = actor.company_id;
    let user_id = actor.user_id;
    let (db, db2) = (state.db.clone(), state.db.clone());
    let (fetch_actor, tick_actor) = (actor.clone(), actor);
    sse::stream(
        after,
        move |w: &Wake| w.concerns_company(company),
        move |after| {
            let db = db.clone();
            let actor = fetch_actor.clone();
            async move {
                // A user deactivated meanwhile loses the stream at once.
                match crate::backend::entities::user::Entity::find_by_id(user_id)
                    .one(&db)
                    .await?
                {
                    Some(u) if u.active => {}
                    _ => return Err(AppError::Unauthenticated),
                }
                service::agent_events_after(&db, &actor, after).await
            }
        },
        move || {
            let db = db2.clone();
            let actor = tick_actor.clone();
            async move {
                let _ = presence::heartbeat(&db, &actor, now()).await;
            }
        },
    )
    .into_response()
}
