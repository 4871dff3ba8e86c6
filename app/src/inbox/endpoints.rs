//! The agents' event stream `/api/events` (one per signed-in tab): conversation changes,
//! messages and folder counts this user may see (F3.2, F3.5), resumable by Last-Event-ID.
//! While it is open it renews the user's presence lease (F3.1).
use crate::backend::actor::Actor;
use crate::backend::authz::actor_from_session;
use crate::backend::entities::{session, user};
use crate::backend::http::{too_many, Params, Routes};
use crate::backend::realtime::fanout::Topic;
use crate::backend::realtime::sse::{self, Sent};
use crate::backend::state::AppState;
use crate::conversation::access::may_see;
use crate::conversation::feed::{self, Batch, Scope};
use crate::conversation::{presence, EventPayload};
use crate::error::AppError;
use crate::inbox::FolderCounts;
use crate::notifications::service::{notice_for, Prefs};
use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::get,
};
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;
use tower_sessions::Session;

pub fn routes() -> Routes {
    Routes::default().route("GET", "/api/events", get(events))
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<i64>,
}

async fn events(
    State(state): State<AppState>,
    session: Session,
    Params(q): Params<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    let actor = match actor_from_session(&state.db, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return AppError::Unauthenticated.into_response(),
        Err(e) => return e.into_response(),
    };
    let Some(slot) = state.agent_streams.take(actor.user_id) else {
        return too_many(
            "Too many Live Chat tabs are open. Close some and reload this one.",
            std::time::Duration::from_secs(30),
        );
    };
    let now = time::OffsetDateTime::now_utc;
    let _ = presence::heartbeat(&state.db, &actor, now()).await;
    let scope = Scope::Company(actor.company_id);
    // Subscribed before anything is read, so no batch falls between the table and the live
    // feed.
    let live = state.realtime.subscribe(Topic::Company(actor.company_id));
    // A new tab starts from now (its page was just rendered); a reconnect resumes.
    let newest = match feed::newest(&state.db, scope).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    // A resume from too far back (or from 0) is not replayed: the tab is told to reset.
    let mut first = Vec::new();
    let after = match sse::resume_point(&headers, q.after) {
        Some(a) if newest - a <= sse::REPLAY_WINDOW => a,
        Some(_) => {
            first.push(
                axum::response::sse::Event::default()
                    .event("reset")
                    .data("{}"),
            );
            newest
        }
        None => newest,
    };
    let prefs = match crate::notifications::service::prefs(&state.db, &actor).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let reader = AgentReader {
        db: state.db.clone(),
        actor: Arc::new(actor),
        prefs: Mutex::new(prefs),
        session_id: session.id().map(|i| i.to_string()),
        recheck: AtomicBool::new(false),
        counts: Mutex::new(CountsSent::default()),
        _slot: slot,
    };
    sse::stream_after(after, live, reader, first).into_response()
}

/// One tab's view of the company's events: what this user may see (F3.5). A conversation
/// taken by someone else arrives only as `hidden` with its id, so lists can drop it; a
/// message only while its conversation is visible to the user; the folder counts after a
/// batch that changed a conversation; a `notify` event when the user is to be told (F5.2).
struct AgentReader {
    db: DatabaseConnection,
    actor: Arc<Actor>,
    /// The user's notification settings, kept current by the settings events read.
    prefs: Mutex<Prefs>,
    /// The session the stream was opened with: once it is gone (logged out everywhere, a
    /// new password), the stream ends at its next heartbeat.
    session_id: Option<String>,
    /// Set when a batch says sessions of this user ended: the stream checks its own at once.
    recheck: AtomicBool,
    /// The folder counts sent to this tab: only when they changed for this user, at most
    /// one every `COUNTS_EVERY`.
    counts: Mutex<CountsSent>,
    /// Its user's stream slot, given back when the stream ends. (Agents' streams are capped
    /// per user, not per address: a whole call centre may sit behind one address.)
    _slot: sse::Slot<uuid::Uuid>,
}

impl sse::Reader for AgentReader {
    type Batch = Batch;

    fn load(&self, after: i64) -> sse::Loaded<Batch> {
        let (db, company) = (self.db.clone(), self.actor.company_id);
        Box::pin(async move {
            Ok(feed::load(&db, Scope::Company(company), after, 500)
                .await?
                .map(|(b, last)| (Arc::new(b), last)))
        })
    }

    fn pick(&self, batch: &Batch, after: i64, out: &mut Vec<Sent>) -> Result<i64, AppError> {
        let mut prefs = self.prefs.lock().unwrap_or_else(|e| e.into_inner());
        let (last, signed_out) = pick(&self.actor, &mut prefs, batch, after, out)?;
        if signed_out {
            self.recheck.store(true, Ordering::Relaxed);
        }
        if last > after {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            counts.offer(&self.actor, batch, last, Instant::now(), out);
        }
        Ok(last)
    }

    fn deferred(&self) -> Option<Instant> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).due()
    }

    fn flush(&self, out: &mut Vec<Sent>) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.flush(Instant::now(), out);
    }

    fn recheck(&self) -> bool {
        self.recheck.swap(false, Ordering::Relaxed)
    }

    fn tick(&self) -> BoxFuture<'static, Result<(), AppError>> {
        let (db, actor) = (self.db.clone(), self.actor.clone());
        let session_id = self.session_id.clone();
        Box::pin(async move {
            // Renews the presence lease; a user deactivated meanwhile, or whose session was
            // ended, loses the stream.
            match user::Entity::find_by_id(actor.user_id).one(&db).await? {
                Some(u) if u.active => {}
                _ => return Err(AppError::Unauthenticated),
            }
            let Some(id) = session_id else {
                return Err(AppError::Unauthenticated);
            };
            let live = session::Entity::find_by_id(id)
                .filter(session::Column::ExpiresAt.gt(time::OffsetDateTime::now_utc()))
                .one(&db)
                .await?
                .is_some_and(|s| s.user_id == Some(actor.user_id));
            if !live {
                return Err(AppError::Unauthenticated);
            }
            let _ = presence::heartbeat(&db, &actor, time::OffsetDateTime::now_utc()).await;
            Ok(())
        })
    }
}

/// What `actor` may see of `batch` after `after`, and what they are to be told of it;
/// returns the new resume point, and whether sessions of the actor ended meanwhile.
pub(crate) fn pick(
    actor: &Actor,
    prefs: &mut Prefs,
    batch: &Batch,
    after: i64,
    out: &mut Vec<Sent>,
) -> Result<(i64, bool), AppError> {
    let mut last = after;
    let mut signed_out = false;
    for item in batch.items.iter() {
        if item.company_id != actor.company_id || item.id <= after {
            continue;
        }
        last = item.id;
        let sent = match &item.payload {
            EventPayload::Conversation { conversation, .. } => {
                let assignee = conversation
                    .assignee_id
                    .as_deref()
                    .and_then(|a| uuid::Uuid::parse_str(a).ok());
                if !may_see(&actor.user_id, conversation.state, assignee.as_ref()) {
                    let hidden = serde_json::json!({ "id": conversation.id });
                    Some(("hidden", hidden.to_string().into()))
                } else {
                    Some(("conversation", item.json.clone()))
                }
            }
            EventPayload::Message { .. } => item
                .now
                .is_some_and(|now| now.visible_to(actor.user_id))
                .then(|| ("message", item.json.clone())),
            EventPayload::Panel { .. } => item
                .now
                .is_some_and(|now| now.visible_to(actor.user_id))
                .then(|| ("panel", item.json.clone())),
            EventPayload::User { user_id, active } => {
                if !active && *user_id == actor.user_id.to_string() {
                    return Err(AppError::Unauthenticated);
                }
                None
            }
            EventPayload::SignedOut { user_id } => {
                signed_out |= *user_id == actor.user_id.to_string();
                None
            }
            EventPayload::Notifications { .. } | EventPayload::Presence { .. } => prefs
                .apply(actor.user_id, &item.payload)
                .then(|| ("prefs", item.json.clone())),
        };
        if let Some((name, data)) = sent {
            out.push((item.id, name, data));
        }
        // After the event it comes from, under the same id: a reconnect after either frame
        // resumes after the whole event, and nothing of it is lost.
        if let Some(notice) = notice_for(prefs, actor.user_id, item, batch) {
            let json = serde_json::to_string(&notice).map_err(|_| AppError::Internal)?;
            out.push((item.id, "notify", json.into()));
        }
    }
    Ok((last, signed_out))
}

/// How often a tab is sent its folder counts at most: a burst of changes (a hundred
/// visitors arriving in a second) sends one, with the counts as they are at its end.
const COUNTS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// The folder counts a stream has sent, and what waits to be sent.
#[derive(Default)]
struct CountsSent {
    last: Option<FolderCounts>,
    at: Option<Instant>,
    /// Changed counts held back by `COUNTS_EVERY`, with the event id they are as of.
    pending: Option<(i64, FolderCounts)>,
}

impl CountsSent {
    /// The counts of `batch` for `actor` (as of event `id`): sent now when they changed for
    /// this user and none went out in the last `COUNTS_EVERY`, else held (the newest wins).
    fn offer(&mut self, actor: &Actor, batch: &Batch, id: i64, now: Instant, out: &mut Vec<Sent>) {
        let Some(c) = batch.counts.get(&actor.company_id) else {
            return;
        };
        let counts = super::service::folder_counts(c, actor);
        if self.pending.is_none() && self.last == Some(counts) {
            return;
        }
        self.pending = Some((id, counts));
        self.flush(now, out);
    }

    /// Sends what is held once `COUNTS_EVERY` has passed since the last counts went out.
    fn flush(&mut self, now: Instant, out: &mut Vec<Sent>) {
        if self.at.is_some_and(|at| now < at + COUNTS_EVERY) {
            return;
        }
        let Some((id, counts)) = self.pending.take() else {
            return;
        };
        if self.last == Some(counts) {
            return;
        }
        if let Ok(json) = serde_json::to_string(&counts) {
            out.push((id, "counts", json.into()));
            self.last = Some(counts);
            self.at = Some(now);
        }
    }

    /// When held counts are due.
    fn due(&self) -> Option<Instant> {
        self.pending
            .as_ref()
            .map(|_| self.at.map_or_else(Instant::now, |at| at + COUNTS_EVERY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Role;
    use crate::conversation::feed::Counts;
    use std::time::Duration;
    use uuid::Uuid;

    /// A tab hears of its folder counts only when they changed for its user, and at most
    /// once every 250 ms: a burst sends the first and then the last, nothing in between.
    #[test]
    fn counts_go_out_when_they_change_and_at_most_every_quarter_second() {
        let actor = Actor {
            user_id: Uuid::now_v7(),
            company_id: Uuid::now_v7(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: Role::Regular,
            can_manage_chatbot: false,
        };
        let batch = |unassigned: u64, mine_of_someone_else: u64| Batch {
            counts: [(
                actor.company_id,
                Counts {
                    unassigned,
                    closed: 0,
                    mine: [(Uuid::now_v7(), mine_of_someone_else)].into(),
                },
            )]
            .into(),
            ..Batch::default()
        };
        let mut sent = CountsSent::default();
        let mut out = Vec::new();
        let t0 = Instant::now();
        sent.offer(&actor, &batch(3, 0), 10, t0, &mut out);
        assert_eq!(out.len(), 1, "the first counts go out");
        // Someone else's "My conversations" changed: nothing changed for this user.
        sent.offer(
            &actor,
            &batch(3, 5),
            11,
            t0 + Duration::from_millis(500),
            &mut out,
        );
        assert_eq!(out.len(), 1, "nothing for a change that is not theirs");
        assert!(sent.due().is_none());
        // A burst: held back, the newest kept.
        let t1 = t0 + Duration::from_millis(600);
        sent.offer(&actor, &batch(4, 0), 12, t1, &mut out);
        assert_eq!(out.len(), 2, "the first of a burst goes out at once");
        for (i, n) in [5, 6, 7].into_iter().enumerate() {
            let at = t1 + Duration::from_millis(10 * (i as u64 + 1));
            sent.offer(&actor, &batch(n, 0), 13 + i as i64, at, &mut out);
        }
        assert_eq!(out.len(), 2, "the rest of the burst is held");
        let due = sent.due().expect("held counts are due");
        assert_eq!(due, t1 + COUNTS_EVERY);
        sent.flush(due - Duration::from_millis(1), &mut out);
        assert_eq!(out.len(), 2, "not before it is due");
        sent.flush(due, &mut out);
        assert_eq!(out.len(), 3);
        let (id, name, data) = &out[2];
        assert_eq!((*id, *name), (15, "counts"));
        assert!(data.contains("\"unassigned\":7"), "{data}");
        assert!(sent.due().is_none());
    }
}
