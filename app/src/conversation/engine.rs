//! The conversation engine. Every state change is one guarded UPDATE (… WHERE state IN …),
//! so two agents, or a timer and an agent, cannot both win; every change writes its event
//! row in the same transaction, and messages are numbered per conversation.
use super::{AuthorKind, Change, ConversationState, ConversationView, EventPayload, MessageView};
use crate::backend::actor::Actor;
use crate::backend::entities::{conversation, event, message, user, visitor};
use crate::backend::{realtime::hub, rfc3339};
use crate::error::AppError;
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use ConversationState::*;

pub(crate) fn not_found() -> AppError {
    AppError::NotFound(
        "This conversation does not exist, or it is assigned to someone else.".into(),
    )
}

/// The wire view of a conversation, with its assignee's name.
pub async fn view(
    db: &impl ConnectionTrait,
    c: &conversation::Model,
) -> Result<ConversationView, AppError> {
    let assignee_name = match c.assignee_id {
        Some(a) => user::Entity::find_by_id(a).one(db).await?.map(|u| u.name),
        None => None,
    };
    Ok(view_named(c, assignee_name))
}

/// The wire view of a conversation whose assignee's name is already known.
pub(crate) fn view_named(
    c: &conversation::Model,
    assignee_name: Option<String>,
) -> ConversationView {
    ConversationView {
        id: c.id.to_string(),
        state: ConversationState::parse(&c.state).unwrap_or(Closed),
        assignee_id: c.assignee_id.map(|a| a.to_string()),
        assignee_name,
        page_url: c.page_url.clone(),
        wait_deadline: c.wait_deadline.map(rfc3339),
        closed_at: c.closed_at.map(rfc3339),
        created_at: rfc3339(c.created_at),
        crm_kind: c.crm_kind.clone(),
        crm_created_at: c.crm_created_at.map(rfc3339),
        missed_at: c.missed_at.map(rfc3339),
        visitor: visitor_name(c),
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

/// How lists, titles and notifications call a conversation's visitor: the name typed in the
/// side panel, else the captured name, else the email, else "Website visitor".
pub fn visitor_name(c: &conversation::Model) -> String {
    if let Some(typed) = c.contact_name.as_ref().filter(|n| !n.trim().is_empty()) {
        return typed.clone();
    }
    let who = crate::crm::service::Captured::from_answers(&c.answers);
    who.name
        .or(who.email)
        .or_else(|| c.contact_email.clone())
        .unwrap_or_else(|| "Website visitor".into())
}

/// F3.5 for a conversation row: of the actor's company, and `access::may_see`.
pub fn visible_to(actor: &Actor, c: &conversation::Model) -> bool {
    c.company_id == actor.company_id
        && super::access::may_see(
            &actor.user_id,
            ConversationState::parse(&c.state).unwrap_or(Closed),
            c.assignee_id.as_ref(),
        )
}

pub(crate) async fn write_event(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    conversation_id: Option<Uuid>,
    payload: &EventPayload,
) -> Result<i64, AppError> {
    let kind = match payload {
        EventPayload::Conversation { .. } => "conversation",
        EventPayload::Message { .. } => "message",
        EventPayload::User { .. } => "user",
        EventPayload::SignedOut { .. } => "signed_out",
        EventPayload::Panel { .. } => "panel",
        EventPayload::Notifications { .. } => "notifications",
        EventPayload::Presence { .. } => "presence",
    };
    let row = event::ActiveModel {
        company_id: Set(company_id),
        conversation_id: Set(conversation_id),
        kind: Set(kind.into()),
        payload: Set(serde_json::to_string(payload).map_err(|_| AppError::Internal)?),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}

/// Writes the conversation's current state as an event, in the caller's transaction.
pub(crate) async fn write_conversation_event(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
) -> Result<i64, AppError> {
    write_change_event(txn, c, None).await
}

/// The conversation's current state as an event, saying how it changed (F5.2).
async fn write_change_event(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    change: Option<Change>,
) -> Result<i64, AppError> {
    let conversation = view(txn, c).await?;
    write_event(
        txn,
        c.company_id,
        Some(c.id),
        &EventPayload::Conversation {
            conversation,
            change,
        },
    )
    .await
}

/// A new anonymous visitor with a fresh token (kept by the widget frame).
pub async fn new_visitor(
    db: &impl ConnectionTrait,
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
    let txn = crate::backend::db::write_txn(db).await?;
    let c = start_in(&txn, visitor, playbook_id, page_url).await?;
    txn.commit().await?;
    hub::wake(db).await;
    Ok(c)
}

/// [`start`] inside the caller's transaction (which commits and wakes the streams).
pub async fn start_in(
    txn: &DatabaseTransaction,
    visitor: &visitor::Model,
    playbook_id: Option<Uuid>,
    page_url: Option<String>,
) -> Result<conversation::Model, AppError> {
    let now = OffsetDateTime::now_utc();
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
        ..Default::default()
    }
    .insert(txn)
    .await?;
    write_conversation_event(txn, &c).await?;
    Ok(c)
}

/// One guarded change: `changes` applies only while the conversation is in one of `from`
/// (and, with `assignee`, assigned to that user). Returns the changed row, or None when the
/// guard did not hold (someone or something else changed it first).
#[allow(clippy::too_many_arguments)]
async fn transition(
    db: &DatabaseConnection,
    id: Uuid,
    company_id: Uuid,
    from: &[ConversationState],
    assignee: Option<Uuid>,
    changes: Vec<(conversation::Column, sea_orm::sea_query::SimpleExpr)>,
    note: Option<String>,
    by: Option<Uuid>,
) -> Result<Option<conversation::Model>, AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    let Some(c) = transition_by(&txn, id, company_id, from, assignee, changes, by).await? else {
        return Ok(None);
    };
    if let Some(note) = note {
        append(&txn, &c, AuthorKind::System, None, &note, None).await?;
    }
    txn.commit().await?;
    hub::wake(db).await;
    Ok(Some(c))
}

/// The guarded change inside the caller's transaction, with its event (made by the visitor,
/// the chatbot or a timer).
pub(crate) async fn transition_in(
    txn: &DatabaseTransaction,
    id: Uuid,
    company_id: Uuid,
    from: &[ConversationState],
    assignee: Option<Uuid>,
    changes: Vec<(conversation::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<Option<conversation::Model>, AppError> {
    transition_by(txn, id, company_id, from, assignee, changes, None).await
}

/// The guarded change made by user `by` (None: the visitor, the chatbot or a timer).
async fn transition_by(
    txn: &DatabaseTransaction,
    id: Uuid,
    company_id: Uuid,
    from: &[ConversationState],
    assignee: Option<Uuid>,
    changes: Vec<(conversation::Column, sea_orm::sea_query::SimpleExpr)>,
    by: Option<Uuid>,
) -> Result<Option<conversation::Model>, AppError> {
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
    if update.exec(txn).await?.rows_affected != 1 {
        return Ok(None);
    }
    let c = conversation::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(AppError::Internal)?;
    let change = Change {
        from: match from {
            [one] => Some(*one),
            _ => None,
        },
        by: by.map(|u| u.to_string()),
    };
    write_change_event(txn, &c, Some(change)).await?;
    Ok(Some(c))
}

/// Appends a message in the caller's transaction: locks the conversation row first (on
/// PostgreSQL; SQLite's write transaction already holds the lock), numbers the message after
/// the last one, and writes its event.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    kind: AuthorKind,
    author_id: Option<Uuid>,
    body: &str,
    client_id: Option<&str>,
) -> Result<message::Model, AppError> {
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(conversation::Column::Id.eq(c.id))
        .exec(txn)
        .await?;
    let last: Option<i32> = message::Entity::find()
        .select_only()
        .column_as(message::Column::Seq.max(), "max_seq")
        .filter(message::Column::ConversationId.eq(c.id))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    let m = message::ActiveModel {
        id: Set(Uuid::now_v7()),
        conversation_id: Set(c.id),
        seq: Set(last.unwrap_or(0) + 1),
        author_kind: Set(kind.as_str().into()),
        author_id: Set(author_id),
        body: Set(body.to_string()),
        client_id: Set(client_id.map(str::to_string)),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(txn)
    .await
    .map_err(|e| {
        crate::backend::errors::unique_or_internal(e, AppError::Conflict("taken".into()))
    })?;
    write_event(
        txn,
        c.company_id,
        Some(c.id),
        &EventPayload::Message {
            message: (&m).into(),
        },
    )
    .await?;
    Ok(m)
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
            Some(Missed) => AppError::Conflict(
                "This conversation was missed; take it with \"Assign to me\" first.".into(),
            ),
            _ => AppError::Conflict(
                "This conversation changed meanwhile. Refresh and try again.".into(),
            ),
        },
        Ok(_) => not_found(),
        Err(e) => e.into(),
    }
}

/// What the visitor and the transcript read when a user takes the conversation (F2.3).
pub fn joined(name: &str) -> String {
    format!("{name} joined the conversation")
}

pub const CLOSED_NOTE: &str = "The conversation was closed.";

pub(crate) fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| not_found())
}

/// The Live Chat card is reached: wait `wait_seconds` for an agent when someone is online,
/// otherwise it is missed at once.
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
        vec![
            (conversation::Column::State, Expr::value(Missed.as_str())),
            (
                conversation::Column::MissedAt,
                Expr::value(Some(OffsetDateTime::now_utc())),
            ),
        ]
    };
    transition(db, c.id, c.company_id, &[Bot], None, changes, None, None).await
}

/// "Assign to me": a waiting, missed or unassigned conversation becomes the actor's.
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
    let note = Some(joined(&actor.name));
    match transition(
        db,
        id,
        actor.company_id,
        &[Waiting, Unassigned, Missed],
        None,
        changes,
        note,
        Some(actor.user_id),
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
    let mut note = None;
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
                Some(u) if u.company_id == actor.company_id && u.active => {
                    note = Some(joined(&u.name));
                }
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
                note,
                Some(actor.user_id),
            )
            .await?
        }
        Some(s @ (Unassigned | Missed)) => {
            transition(
                db,
                id,
                actor.company_id,
                &[s],
                None,
                changes,
                note,
                Some(actor.user_id),
            )
            .await?
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
        Some(CLOSED_NOTE.into()),
        Some(actor.user_id),
    )
    .await?;
    let result = match mine {
        Some(c) => Some(c),
        None => {
            transition(
                db,
                id,
                actor.company_id,
                &[Waiting, Unassigned, Missed],
                None,
                changes,
                Some(CLOSED_NOTE.into()),
                Some(actor.user_id),
            )
            .await?
        }
    };
    match result {
        Some(c) => Ok(c),
        None => Err(refusal(db, actor, id).await),
    }
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
