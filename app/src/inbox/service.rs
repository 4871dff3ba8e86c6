//! The conversation engine. Every state change is one guarded UPDATE (… WHERE state IN …),
//! so two agents, or a timer and an agent, cannot both win; every change writes its event
//! row in the same transaction, and messages are numbered per conversation.
use super::{
    AuthorKind, ConversationState, ConversationView, EventPayload, MessageView, MAX_MESSAGE_CHARS,
};
use crate::backend::authz::Actor;
use crate::backend::entities::{conversation, event, message, user, visitor};
use crate::backend::rfc3339;
use crate::error::AppError;
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use ConversationState::*;

fn not_found() -> AppError {
    AppError::NotFound(
        "This conversation does not exist, or it is assigned to someone else.".into(),
    )
}

impl From<&conversation::Model> for ConversationView {
    fn from(c: &conversation::Model) -> Self {
        Self {
            id: c.id.to_string(),
            state: ConversationState::parse(&c.state).unwrap_or(Closed),
            assignee_id: c.assignee_id.map(|a| a.to_string()),
            page_url: c.page_url.clone(),
            wait_deadline: c.wait_deadline.map(rfc3339),
            closed_at: c.closed_at.map(rfc3339),
            created_at: rfc3339(c.created_at),
        }
    }
}

impl From<&message::Model> for MessageView {
    fn from(m: &message::Model) -> Self {
        Self {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            seq: m.seq,
            author: AuthorKind::parse(&m.author_kind),
            author_id: m.author_id.map(|a| a.to_string()),
            body: m.body.clone(),
            client_id: m.client_id.clone(),
            created_at: rfc3339(m.created_at),
        }
    }
}

/// F3.5: an agent sees a conversation unless it is assigned to someone else (and not closed).
pub fn visible_to(actor: &Actor, c: &conversation::Model) -> bool {
    c.company_id == actor.company_id
        && (c.state == Closed.as_str()
            || c.assignee_id.is_none()
            || c.assignee_id == Some(actor.user_id))
}

async fn write_event(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    conversation_id: Uuid,
    payload: &EventPayload,
) -> Result<i64, AppError> {
    let kind = match payload {
        EventPayload::Conversation { .. } => "conversation",
        EventPayload::Message { .. } => "message",
    };
    let row = event::ActiveModel {
        company_id: Set(company_id),
        conversation_id: Set(Some(conversation_id)),
        kind: Set(kind.into()),
        payload: Set(serde_json::to_string(payload).map_err(|_| AppError::Internal)?),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}

/// A new anonymous visitor with a fresh token (kept by the widget frame).
pub async fn new_visitor(
    db: &DatabaseConnection,
    company_id: Uuid,
) -> Result<visitor::Model, AppError> {
    let token: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    Ok(visitor::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company_id),
        token: Set(token),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await?)
}

/// A conversation starts with the chatbot.
pub async fn start(
    db: &DatabaseConnection,
    visitor: &visitor::Model,
    playbook_id: Option<Uuid>,
    page_url: Option<String>,
) -> Result<conversation::Model, AppError> {
    let now = OffsetDateTime::now_utc();
    let txn = crate::backend::db::write_txn(db).await?;
    let c = conversation::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(visitor.company_id),
        playbook_id: Set(playbook_id),
        visitor_id: Set(visitor.id),
        state: Set(Bot.as_str().into()),
        assignee_id: Set(None),
        page_url: Set(page_url),
        wait_deadline: Set(None),
        closed_at: Set(None),
        answers: Set("{}".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    write_event(
        &txn,
        c.company_id,
        c.id,
        &EventPayload::Conversation {
            conversation: (&c).into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(c)
}

/// One guarded change: `changes` applies only while the conversation is in one of `from`
/// (and, with `assignee`, assigned to that user). Returns the changed row, or None when the
/// guard did not hold (someone or something else changed it first).
async fn transition(
    db: &DatabaseConnection,
    id: Uuid,
    company_id: Uuid,
    from: &[ConversationState],
    assignee: Option<Uuid>,
    changes: Vec<(conversation::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<Option<conversation::Model>, AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    let mut update = conversation::Entity::update_many()
        .col_expr(
            conversation::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(conversation::Column::Id.eq(id))
        .filter(conversation::Column::CompanyId.eq(company_id))
        .filter(conversation::Column::State.is_in(from.iter().map(|s| s.as_str())));
    if let Some(a) = assignee {
        update = update.filter(conversation::Column::AssigneeId.eq(a));
    }
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        return Ok(None);
    }
    let c = conversation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    write_event(
        &txn,
        c.company_id,
        c.id,
        &EventPayload::Conversation {
            conversation: (&c).into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(c))
}

/// Why a guarded change did not happen, in words for the person who tried.
async fn refusal(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppError {
    match conversation::Entity::find_by_id(id).one(db).await {
        Ok(Some(c)) if visible_to(actor, &c) => match ConversationState::parse(&c.state) {
            Some(Closed) => {
                AppError::Conflict("This conversation is closed; it cannot be reopened.".into())
            }
            Some(Assigned) => {
                AppError::Conflict("Someone else took this conversation a moment ago.".into())
            }
            Some(Bot) => AppError::Conflict("The visitor has not asked for a person yet.".into()),
            Some(Offline) => {
                AppError::Conflict("Nobody took this conversation in time; it went offline.".into())
            }
            _ => AppError::Conflict(
                "This conversation changed meanwhile. Refresh and try again.".into(),
            ),
        },
        Ok(_) => not_found(),
        Err(e) => e.into(),
    }
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| not_found())
}

/// The Live Chat card is reached: wait `wait_seconds` for an agent when someone is online,
/// otherwise go offline at once.
pub async fn request_agent(
    db: &DatabaseConnection,
    c: &conversation::Model,
    wait_seconds: u32,
    anyone_online: bool,
) -> Result<Option<conversation::Model>, AppError> {
    let changes = if anyone_online {
        let deadline = OffsetDateTime::now_utc() + Duration::seconds(i64::from(wait_seconds));
        vec![
            (conversation::Column::State, Expr::value(Waiting.as_str())),
            (
                conversation::Column::WaitDeadline,
                Expr::value(Some(deadline)),
            ),
        ]
    } else {
        vec![(conversation::Column::State, Expr::value(Offline.as_str()))]
    };
    transition(db, c.id, c.company_id, &[Bot], None, changes).await
}

/// "Assign to me": a waiting or unassigned conversation becomes the actor's.
pub async fn assign_to_me(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<conversation::Model, AppError> {
    let id = parse_id(id)?;
    let changes = vec![
        (conversation::Column::State, Expr::value(Assigned.as_str())),
        (
            conversation::Column::AssigneeId,
            Expr::value(Some(actor.user_id)),
        ),
        (
            conversation::Column::WaitDeadline,
            Expr::value(Option::<OffsetDateTime>::None),
        ),
    ];
    match transition(
        db,
        id,
        actor.company_id,
        &[Waiting, Unassigned],
        None,
        changes,
    )
    .await?
    {
        Some(c) => Ok(c),
        None => Err(refusal(db, actor, id).await),
    }
}

/// The assignee hands the conversation to another active user of the company, or to nobody
/// ("Unassigned"). An unassigned conversation can be handed to someone too.
pub async fn reassign(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    to: Option<&str>,
) -> Result<conversation::Model, AppError> {
    let id = parse_id(id)?;
    let current = conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if !visible_to(actor, &current) {
        return Err(not_found());
    }
    let changes = match to {
        None => vec![
            (
                conversation::Column::State,
                Expr::value(Unassigned.as_str()),
            ),
            (
                conversation::Column::AssigneeId,
                Expr::value(Option::<Uuid>::None),
            ),
        ],
        Some(to) => {
            let bad = || AppError::validation("assignee", "Choose an active user of your company.");
            let to = Uuid::parse_str(to).map_err(|_| bad())?;
            match user::Entity::find_by_id(to).one(db).await? {
                Some(u) if u.company_id == actor.company_id && u.active => {}
                _ => return Err(bad()),
            }
            vec![
                (conversation::Column::State, Expr::value(Assigned.as_str())),
                (conversation::Column::AssigneeId, Expr::value(Some(to))),
            ]
        }
    };
    // Guard: still assigned to the actor, or still unassigned.
    let result = match ConversationState::parse(&current.state) {
        Some(Assigned) => {
            transition(
                db,
                id,
                actor.company_id,
                &[Assigned],
                Some(actor.user_id),
                changes,
            )
            .await?
        }
        Some(Unassigned) => {
            transition(db, id, actor.company_id, &[Unassigned], None, changes).await?
        }
        _ => None,
    };
    match result {
        Some(c) => Ok(c),
        None => Err(refusal(db, actor, id).await),
    }
}

/// "Close conversation": for good (F3.7).
pub async fn close(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<conversation::Model, AppError> {
    let id = parse_id(id)?;
    let now = OffsetDateTime::now_utc();
    let changes = vec![
        (conversation::Column::State, Expr::value(Closed.as_str())),
        (conversation::Column::ClosedAt, Expr::value(Some(now))),
        (
            conversation::Column::WaitDeadline,
            Expr::value(Option::<OffsetDateTime>::None),
        ),
    ];
    let mine = transition(
        db,
        id,
        actor.company_id,
        &[Assigned],
        Some(actor.user_id),
        changes.clone(),
    )
    .await?;
    let result = match mine {
        Some(c) => Some(c),
        None => {
            transition(
                db,
                id,
                actor.company_id,
                &[Waiting, Unassigned, Offline],
                None,
                changes,
            )
            .await?
        }
    };
    match result {
        Some(c) => Ok(c),
        None => Err(refusal(db, actor, id).await),
    }
}

/// Moves every waiting conversation whose deadline has passed to offline, each exactly once
/// (any instance may run this). Returns the conversations this call moved.
pub async fn expire_overdue(
    db: &DatabaseConnection,
    now: OffsetDateTime,
) -> Result<Vec<conversation::Model>, AppError> {
    let overdue = conversation::Entity::find()
        .filter(conversation::Column::State.eq(Waiting.as_str()))
        .filter(conversation::Column::WaitDeadline.lte(now))
        .limit(500)
        .all(db)
        .await?;
    let mut moved = Vec::new();
    for c in overdue {
        let changes = vec![(conversation::Column::State, Expr::value(Offline.as_str()))];
        if let Some(c) = transition(db, c.id, c.company_id, &[Waiting], None, changes).await? {
            moved.push(c);
        }
    }
    Ok(moved)
}

/// Who sends a message.
pub enum Sender<'a> {
    Visitor(&'a visitor::Model),
    Agent(&'a Actor),
    Bot,
}

/// Stores a message, acknowledged only once committed (R1). A retry with the same client id
/// returns the stored message instead of storing it twice; the bool says whether it is new.
pub async fn send(
    db: &DatabaseConnection,
    conversation_id: &str,
    sender: Sender<'_>,
    body: &str,
    client_id: Option<&str>,
) -> Result<(message::Model, bool), AppError> {
    let id = parse_id(conversation_id)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::validation("message", "Write a message first."));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::validation(
            "message",
            format!("Messages can be at most {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    if client_id.is_some_and(|c| c.is_empty() || c.len() > 64) {
        return Err(AppError::validation(
            "client_id",
            "The message id is not valid.",
        ));
    }
    let c = conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let (kind, author_id) = match &sender {
        Sender::Visitor(v) => {
            if c.visitor_id != v.id {
                return Err(not_found());
            }
            (AuthorKind::Visitor, None)
        }
        Sender::Agent(actor) => {
            // F3.5: only the assignee speaks in an assigned conversation.
            if !visible_to(actor, &c) {
                return Err(not_found());
            }
            if c.assignee_id != Some(actor.user_id) {
                return Err(AppError::Conflict(
                    "Assign the conversation to yourself to reply.".into(),
                ));
            }
            (AuthorKind::Agent, Some(actor.user_id))
        }
        Sender::Bot => (AuthorKind::Bot, None),
    };
    if c.state == Closed.as_str() {
        return Err(AppError::Conflict("This conversation is closed.".into()));
    }
    for _attempt in 0..5 {
        let txn = crate::backend::db::write_txn(db).await?;
        if let Some(cid) = client_id {
            if let Some(existing) = message::Entity::find()
                .filter(message::Column::ConversationId.eq(id))
                .filter(message::Column::ClientId.eq(cid))
                .one(&txn)
                .await?
            {
                return Ok((existing, false));
            }
        }
        let last: Option<i32> = message::Entity::find()
            .select_only()
            .column_as(message::Column::Seq.max(), "max_seq")
            .filter(message::Column::ConversationId.eq(id))
            .into_tuple::<Option<i32>>()
            .one(&txn)
            .await?
            .flatten();
        let inserted = message::ActiveModel {
            id: Set(Uuid::now_v7()),
            conversation_id: Set(id),
            seq: Set(last.unwrap_or(0) + 1),
            author_kind: Set(kind.as_str().into()),
            author_id: Set(author_id),
            body: Set(body.to_string()),
            client_id: Set(client_id.map(str::to_string)),
            created_at: Set(OffsetDateTime::now_utc()),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(m) => {
                write_event(
                    &txn,
                    c.company_id,
                    id,
                    &EventPayload::Message {
                        message: (&m).into(),
                    },
                )
                .await?;
                txn.commit().await?;
                return Ok((m, true));
            }
            // A concurrent send took this seq (or this client id): try again.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(
        "Too many messages at once; send it again.".into(),
    ))
}

/// The transcript, in order.
pub async fn transcript(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
) -> Result<Vec<message::Model>, AppError> {
    Ok(message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .order_by_asc(message::Column::Seq)
        .all(db)
        .await?)
}

/// Events of one conversation after `after` (a stream's Last-Event-ID), in order.
pub async fn conversation_events_after(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    after: i64,
) -> Result<Vec<(i64, EventPayload)>, AppError> {
    let rows = event::Entity::find()
        .filter(event::Column::ConversationId.eq(conversation_id))
        .filter(event::Column::Id.gt(after))
        .order_by_asc(event::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|e| {
            let payload = serde_json::from_str(&e.payload).map_err(|_| AppError::Internal)?;
            Ok((e.id, payload))
        })
        .collect()
}
