//! Group commit for messages (R1, B2). A commit is durable only after the disk has flushed
//! it — about 2.3 ms here, on SQLite (WAL, synchronous=FULL) and PostgreSQL alike, so one
//! commit per message caps a server near 430 messages per second. Instead one writer task
//! per process takes every message waiting at that moment (no added delay: while a commit
//! flushes, the next batch gathers), writes them in one transaction with a handful of
//! statements whatever their number, and acknowledges each sender only after that commit.
//! If a batch fails (say a retry of the same message raced through another server), each
//! of its messages is written again on its own, so one bad message never fails the others.
use super::engine::append;
use super::{AuthorKind, ConversationState, EventPayload};
use crate::backend::entities::{conversation, event, message};
use crate::backend::realtime::hub;
use crate::error::AppError;
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QuerySelect, Statement,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most messages one commit takes.
const MAX_BATCH: usize = 200;

/// A message to store: the conversation it goes to (already checked), who wrote it, what.
pub struct Draft {
    pub conversation: conversation::Model,
    pub kind: AuthorKind,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub client_id: Option<String>,
}

/// The stored message, and whether it is new (false: a retry of a stored one).
pub type Stored = Result<(message::Model, bool), AppError>;

struct Job {
    draft: Draft,
    done: oneshot::Sender<Stored>,
}

/// The handle to this process's message writer.
#[derive(Clone)]
pub struct Writer {
    db: DatabaseConnection,
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task (inside a Tokio runtime).
    pub fn start(db: DatabaseConnection) -> Self {
        let (jobs, rx) = mpsc::channel(4096);
        tokio::spawn(run(db.clone(), rx));
        Self { db, jobs }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Stores the message; returns once it is committed.
    pub async fn write(&self, draft: Draft) -> Stored {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { draft, done })
            .await
            .map_err(|_| AppError::Internal)?;
        answer.await.map_err(|_| AppError::Internal)?
    }
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let drafts: Vec<&Draft> = jobs.iter().map(|j| &j.draft).collect();
        match write_batch(&db, &drafts).await {
            Ok(stored) => {
                hub::wake(&db).await;
                for (job, s) in jobs.drain(..).zip(stored) {
                    let _ = job.done.send(s);
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, n = jobs.len(), "batch failed; writing one by one");
                for job in jobs.drain(..) {
                    let stored = write_alone(&db, &job.draft).await;
                    if matches!(stored, Ok((_, true))) {
                        hub::wake(&db).await;
                    }
                    let _ = job.done.send(stored);
                }
            }
        }
    }
}

/// A conversation as its row is now, read under its lock: what decides whether a draft
/// may still be written.
#[derive(Clone, Copy, Debug)]
pub struct Locked {
    pub state: ConversationState,
    pub assignee_id: Option<Uuid>,
}

/// Whether `d` may be written to its conversation as it is now. The sender was checked on a
/// read before the draft was queued; this is the same rule again under the row's lock, so a
/// message never lands after "Close conversation", nor a reply of the previous assignee
/// after a hand-over.
pub fn may_write(d: &Draft, now: Locked) -> Result<(), AppError> {
    if now.state == ConversationState::Closed {
        return Err(AppError::Conflict("This conversation is closed.".into()));
    }
    if d.kind == AuthorKind::Agent
        && (now.state != ConversationState::Assigned || now.assignee_id != d.author_id)
    {
        return Err(AppError::Conflict(
            "This conversation is no longer assigned to you.".into(),
        ));
    }
    Ok(())
}

/// Locks the conversations (in id order on PostgreSQL, so two servers' batches never wait
/// on each other in a circle), touches them, and reads their state and assignee as they are
/// under the lock.
async fn lock(
    txn: &sea_orm::DatabaseTransaction,
    ids: &[Uuid],
    now: OffsetDateTime,
) -> Result<HashMap<Uuid, Locked>, AppError> {
    let rows: Vec<(Uuid, String, Option<Uuid>)> =
        if txn.get_database_backend() == DbBackend::Postgres {
            // One statement locks, touches and reads them.
            let list = ids
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(",");
            txn.query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "UPDATE conversation SET updated_at = $1 WHERE id IN \
                     (SELECT id FROM conversation WHERE id IN ({list}) ORDER BY id FOR UPDATE) \
                     RETURNING id, state, assignee_id"
                ),
                [now.into()],
            ))
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("", "id")?,
                    r.try_get("", "state")?,
                    r.try_get("", "assignee_id")?,
                ))
            })
            .collect::<Result<_, sea_orm::DbErr>>()?
        } else {
            // SQLite: the write transaction holds the database's one write lock already.
            conversation::Entity::update_many()
                .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
                .filter(conversation::Column::Id.is_in(ids.to_vec()))
                .exec(txn)
                .await?;
            conversation::Entity::find()
                .select_only()
                .column(conversation::Column::Id)
                .column(conversation::Column::State)
                .column(conversation::Column::AssigneeId)
                .filter(conversation::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(txn)
                .await?
        };
    rows.into_iter()
        .map(|(id, state, assignee_id)| {
            let state = ConversationState::parse(&state).ok_or(AppError::Internal)?;
            Ok((id, Locked { state, assignee_id }))
        })
        .collect()
}

/// One transaction for the whole batch: lock the conversations and check each draft against
/// them, find retries, number the new messages after each conversation's last, insert all
/// messages, then all events. A draft whose conversation changed meanwhile is refused on its
/// own; the others are written.
async fn write_batch(db: &DatabaseConnection, drafts: &[&Draft]) -> Result<Vec<Stored>, AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    let mut ids: Vec<Uuid> = drafts.iter().map(|d| d.conversation.id).collect();
    ids.sort();
    ids.dedup();
    let now = OffsetDateTime::now_utc();
    let locked = lock(&txn, &ids, now).await?;
    let client_ids: Vec<&str> = drafts
        .iter()
        .filter_map(|d| d.client_id.as_deref())
        .collect();
    let mut existing: HashMap<(Uuid, String), message::Model> = if client_ids.is_empty() {
        HashMap::new()
    } else {
        message::Entity::find()
            .filter(message::Column::ConversationId.is_in(ids.clone()))
            .filter(message::Column::ClientId.is_in(client_ids))
            .all(&txn)
            .await?
            .into_iter()
            .filter_map(|m| Some(((m.conversation_id, m.client_id.clone()?), m)))
            .collect()
    };
    let mut last: HashMap<Uuid, i32> = message::Entity::find()
        .select_only()
        .column(message::Column::ConversationId)
        .column_as(message::Column::Seq.max(), "max_seq")
        .filter(message::Column::ConversationId.is_in(ids))
        .group_by(message::Column::ConversationId)
        .into_tuple::<(Uuid, Option<i32>)>()
        .all(&txn)
        .await?
        .into_iter()
        .map(|(c, s)| (c, s.unwrap_or(0)))
        .collect();
    let mut out = Vec::with_capacity(drafts.len());
    let mut new_messages = Vec::new();
    let mut events = Vec::new();
    for d in drafts {
        let c = &d.conversation;
        if let Some(cid) = &d.client_id {
            if let Some(m) = existing.get(&(c.id, cid.clone())) {
                out.push(Ok((m.clone(), false)));
                continue;
            }
        }
        let Some(now_row) = locked.get(&c.id) else {
            out.push(Err(super::engine::not_found()));
            continue;
        };
        if let Err(e) = may_write(d, *now_row) {
            out.push(Err(e));
            continue;
        }
        let seq = last.entry(c.id).or_insert(0);
        *seq += 1;
        let m = message::Model {
            id: Uuid::now_v7(),
            conversation_id: c.id,
            seq: *seq,
            author_kind: d.kind.as_str().into(),
            author_id: d.author_id,
            body: d.body.clone(),
            client_id: d.client_id.clone(),
            created_at: now,
        };
        if let Some(cid) = &d.client_id {
            // The same message twice in one batch (a double send): stored once.
            existing.insert((c.id, cid.clone()), m.clone());
        }
        let payload = EventPayload::Message {
            message: (&m).into(),
        };
        events.push(event::ActiveModel {
            company_id: Set(c.company_id),
            conversation_id: Set(Some(c.id)),
            kind: Set("message".into()),
            payload: Set(serde_json::to_string(&payload).map_err(|_| AppError::Internal)?),
            created_at: Set(now),
            ..Default::default()
        });
        new_messages.push(message::ActiveModel::from(m.clone()));
        out.push(Ok((m, true)));
    }
    if !new_messages.is_empty() {
        message::Entity::insert_many(new_messages)
            .exec_without_returning(&txn)
            .await?;
        // Last, and in one statement: on PostgreSQL this is where the commit-order lock is
        // taken (see `crate::backend::db`), so it is held only for the commit.
        event::Entity::insert_many(events)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(out)
}

/// One message in its own transaction, retried when a concurrent writer took its number.
async fn write_alone(db: &DatabaseConnection, d: &Draft) -> Stored {
    let c = &d.conversation;
    for _attempt in 0..5 {
        let txn = crate::backend::db::write_txn(db).await?;
        let locked = lock(&txn, &[c.id], OffsetDateTime::now_utc()).await?;
        if let Some(cid) = &d.client_id {
            if let Some(existing) = message::Entity::find()
                .filter(message::Column::ConversationId.eq(c.id))
                .filter(message::Column::ClientId.eq(cid.as_str()))
                .one(&txn)
                .await?
            {
                return Ok((existing, false));
            }
        }
        match locked.get(&c.id) {
            Some(now) => may_write(d, *now)?,
            None => return Err(super::engine::not_found()),
        }
        match append(
            &txn,
            c,
            d.kind,
            d.author_id,
            &d.body,
            d.client_id.as_deref(),
        )
        .await
        {
            Ok(m) => {
                txn.commit().await?;
                return Ok((m, true));
            }
            // A concurrent send took this seq (or this client id): try again.
            Err(AppError::Conflict(_)) => txn.rollback().await?,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict(
        "Too many messages at once; send it again.".into(),
    ))
}
