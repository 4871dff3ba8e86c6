//! The conversation engine. Every state change is one guarded UPDATE (… WHERE state IN …),
//! so two agents, or a timer and an agent, cannot both win; every change writes its event
//! row in the same transaction, and messages are numbered per conversation.
use super::{
    Assignee, AuthorKind, ConversationDetail, ConversationState, ConversationSummary,
    ConversationView, EventPayload, Folder, FolderCounts, MessageView, MAX_MESSAGE_CHARS,
};
use crate::backend::authz::Actor;
use crate::backend::entities::{conversation, event, message, user, visitor};
use crate::backend::{hub, rfc3339};
use crate::error::AppError;
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use ConversationState::*;

fn not_found() -> AppError {
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
fn view_named(c: &conversation::Model, assignee_name: Option<String>) -> ConversationView {
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

pub(crate) async fn write_event(
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

/// Writes the conversation's current state as an event, in the caller's transaction.
pub(crate) async fn write_conversation_event(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
) -> Result<i64, AppError> {
    let conversation = view(txn, c).await?;
    write_event(
        txn,
        c.company_id,
        c.id,
        &EventPayload::Conversation { conversation },
    )
    .await
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
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    write_conversation_event(&txn, &c).await?;
    txn.commit().await?;
    hub::wake(db, c.company_id, c.id).await;
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
    note: Option<String>,
) -> Result<Option<conversation::Model>, AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    let Some(c) = transition_in(&txn, id, company_id, from, assignee, changes).await? else {
        return Ok(None);
    };
    if let Some(note) = note {
        append(&txn, &c, AuthorKind::System, None, &note, None).await?;
    }
    txn.commit().await?;
    hub::wake(db, c.company_id, c.id).await;
    Ok(Some(c))
}

/// The guarded change inside the caller's transaction, with its event.
pub(crate) async fn transition_in(
    txn: &DatabaseTransaction,
    id: Uuid,
    company_id: Uuid,
    from: &[ConversationState],
    assignee: Option<Uuid>,
    changes: Vec<(conversation::Column, sea_orm::sea_query::SimpleExpr)>,
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
    write_conversation_event(txn, &c).await?;
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
        c.id,
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
    transition(db, c.id, c.company_id, &[Bot], None, changes, None).await
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
            )
            .await?
        }
        Some(s @ (Unassigned | Missed)) => {
            transition(db, id, actor.company_id, &[s], None, changes, note).await?
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
            )
            .await?
        }
    };
    match result {
        Some(c) => Ok(c),
        None => Err(refusal(db, actor, id).await),
    }
}

/// Marks every waiting conversation whose deadline has passed as missed and runs the Live
/// Chat card's offline flow in the same transaction, each exactly once (any instance may run
/// this, any number of times). A missed conversation stays in Unassigned, open to agents.
/// Returns the conversations this call moved.
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
        let txn = crate::backend::db::write_txn(db).await?;
        let changes = vec![
            (conversation::Column::State, Expr::value(Missed.as_str())),
            (conversation::Column::MissedAt, Expr::value(Some(now))),
            (
                conversation::Column::WaitDeadline,
                Expr::value(Option::<OffsetDateTime>::None),
            ),
        ];
        let Some(c) = transition_in(&txn, c.id, c.company_id, &[Waiting], None, changes).await?
        else {
            continue;
        };
        let c = super::flow::went_offline(&txn, c).await?;
        txn.commit().await?;
        hub::wake(db, c.company_id, c.id).await;
        moved.push(c);
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
        match append(&txn, &c, kind, author_id, body, client_id).await {
            Ok(m) => {
                txn.commit().await?;
                hub::wake(db, c.company_id, c.id).await;
                return Ok((m, true));
            }
            // A concurrent send took this seq (or this client id): try again.
            Err(AppError::Conflict(_)) => {
                txn.rollback().await?;
            }
            Err(e) => return Err(e),
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

/// The states a folder holds.
fn folder_states(folder: Folder) -> &'static [ConversationState] {
    match folder {
        Folder::Unassigned => &[Waiting, Missed, Unassigned],
        Folder::Mine => &[Assigned],
        Folder::Closed => &[Closed],
    }
}

/// Which conversations of these states this user's folder holds (F3.5 built in).
fn folder_condition(
    actor: &Actor,
    folder: Folder,
    states: &[ConversationState],
) -> sea_orm::Condition {
    let c = sea_orm::Condition::all()
        .add(conversation::Column::CompanyId.eq(actor.company_id))
        .add(conversation::Column::State.is_in(states.iter().map(|s| s.as_str())));
    match folder {
        Folder::Mine => c.add(conversation::Column::AssigneeId.eq(actor.user_id)),
        Folder::Unassigned | Folder::Closed => c,
    }
}

/// A folder's conversations, newest first, `PAGE_SIZE` at a time (`before`: the last id of
/// the previous page).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    folder: Folder,
    before: Option<&str>,
) -> Result<Vec<ConversationSummary>, AppError> {
    let before = before.map(parse_id).transpose()?;
    // One query per state, each read in order straight from the `conversation_folder` index,
    // then merged: `state IN (…) ORDER BY id` would sort the whole folder (100,000 closed
    // conversations took 60 ms; B5).
    let mut rows = Vec::new();
    for state in folder_states(folder) {
        let mut q = conversation::Entity::find().filter(folder_condition(
            actor,
            folder,
            std::slice::from_ref(state),
        ));
        if let Some(b) = before {
            q = q.filter(conversation::Column::Id.lt(b));
        }
        rows.extend(
            q.order_by_desc(conversation::Column::Id)
                .limit(super::PAGE_SIZE as u64)
                .all(db)
                .await?,
        );
    }
    rows.sort_by_key(|c| std::cmp::Reverse(c.id));
    rows.truncate(super::PAGE_SIZE);
    // Two queries for the whole page, not two per row: each conversation's newest message
    // (one index seek each through `message_conversation_seq`) and the assignees' names.
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    // Which of them the visitor wrote in (a chat opened and left says nothing).
    let wrote: std::collections::HashSet<Uuid> = message::Entity::find()
        .select_only()
        .column(message::Column::ConversationId)
        .distinct()
        .filter(message::Column::ConversationId.is_in(ids.clone()))
        .filter(message::Column::AuthorKind.eq(AuthorKind::Visitor.as_str()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let last: std::collections::HashMap<Uuid, String> = message::Entity::find()
        .filter(message::Column::ConversationId.is_in(ids))
        .filter(Expr::cust(
            "seq = (SELECT MAX(m2.seq) FROM message m2 \
             WHERE m2.conversation_id = message.conversation_id)",
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let text = if m.author_kind == AuthorKind::Bot.as_str() {
                crate::chatbot::sanitize::plain_text(&m.body)
            } else {
                m.body
            };
            (m.conversation_id, text.chars().take(140).collect())
        })
        .collect();
    let assignee_ids: Vec<Uuid> = rows.iter().filter_map(|c| c.assignee_id).collect();
    let names: std::collections::HashMap<Uuid, String> = if assignee_ids.is_empty() {
        Default::default()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(assignee_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    Ok(rows
        .iter()
        .map(|c| ConversationSummary {
            conversation: view_named(c, c.assignee_id.and_then(|a| names.get(&a).cloned())),
            visitor: visitor_name(c),
            last_message: last.get(&c.id).cloned(),
            visitor_wrote: wrote.contains(&c.id),
        })
        .collect())
}

/// How lists and the conversation's title call its visitor: the captured name, else the
/// email, else "Website visitor".
fn visitor_name(c: &conversation::Model) -> String {
    let who = crate::crm::service::Captured::from_answers(&c.answers);
    who.name
        .or(who.email)
        .unwrap_or_else(|| "Website visitor".into())
}

/// The folder counts this user may see.
pub async fn counts(db: &DatabaseConnection, actor: &Actor) -> Result<FolderCounts, AppError> {
    use sea_orm::PaginatorTrait;
    let count = |f| {
        conversation::Entity::find()
            .filter(folder_condition(actor, f, folder_states(f)))
            .count(db)
    };
    Ok(FolderCounts {
        unassigned: count(Folder::Unassigned).await?,
        mine: count(Folder::Mine).await?,
        closed: count(Folder::Closed).await?,
    })
}

/// An opened conversation (F3.3), unless it is someone else's (F3.5).
pub async fn detail(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<ConversationDetail, AppError> {
    let id = parse_id(id)?;
    let c = conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| visible_to(actor, c))
        .ok_or_else(not_found)?;
    let messages = transcript(db, c.id).await?;
    let author_ids: Vec<Uuid> = messages.iter().filter_map(|m| m.author_id).collect();
    let names = if author_ids.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(author_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect()
    };
    let details: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&c.answers).unwrap_or_default();
    Ok(ConversationDetail {
        conversation: view(db, &c).await?,
        visitor: visitor_name(&c),
        messages: messages.iter().map(Into::into).collect(),
        names,
        details: {
            // Who first (as captured), then the other answers by name.
            let rank = |k: &str| {
                ["name", "email", "phone", "organization", "message"]
                    .iter()
                    .position(|x| *x == k)
                    .unwrap_or(usize::MAX)
            };
            let mut d: Vec<(String, String)> = details
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                .collect();
            d.sort_by_key(|(k, _)| rank(k));
            d
        },
    })
}

/// The active users of the company, to hand a conversation to (F3.4).
pub async fn assignees(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<Assignee>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::CompanyId.eq(actor.company_id))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Assignee {
            id: u.id.to_string(),
            name: u.name,
        })
        .collect())
}

/// The newest event id of the company (where a new agent stream starts).
pub async fn last_event_id(db: &DatabaseConnection, company_id: Uuid) -> Result<i64, AppError> {
    Ok(event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "max_id")
        .filter(event::Column::CompanyId.eq(company_id))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// The agent stream's events after `after`: what this user may see (F3.5). A conversation
/// taken by someone else arrives only as `hidden` with its id, so lists can drop it.
pub async fn agent_events_after(
    db: &DatabaseConnection,
    actor: &Actor,
    after: i64,
) -> Result<Vec<(i64, Option<(&'static str, String)>)>, AppError> {
    let rows = event::Entity::find()
        .filter(event::Column::CompanyId.eq(actor.company_id))
        .filter(event::Column::Id.gt(after))
        .order_by_asc(event::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().filter_map(|e| e.conversation_id).collect();
    let current: std::collections::HashMap<Uuid, conversation::Model> =
        conversation::Entity::find()
            .filter(conversation::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    let mut out = Vec::with_capacity(rows.len() + 1);
    for e in &rows {
        let payload: EventPayload =
            serde_json::from_str(&e.payload).map_err(|_| AppError::Internal)?;
        let item = match payload {
            EventPayload::Conversation { conversation } => {
                let theirs = conversation.state == Assigned
                    && conversation.assignee_id != Some(actor.user_id.to_string());
                if theirs {
                    let hidden = serde_json::json!({ "id": conversation.id });
                    Some(("hidden", hidden.to_string()))
                } else {
                    let json =
                        serde_json::to_string(&conversation).map_err(|_| AppError::Internal)?;
                    Some(("conversation", json))
                }
            }
            EventPayload::Message { message } => {
                // Only while the conversation is visible to this user now.
                let visible = e
                    .conversation_id
                    .and_then(|id| current.get(&id))
                    .is_some_and(|c| visible_to(actor, c));
                if visible {
                    let json = serde_json::to_string(&message).map_err(|_| AppError::Internal)?;
                    Some(("message", json))
                } else {
                    None
                }
            }
        };
        out.push((e.id, item));
    }
    let last = rows.last().map_or(after, |e| e.id);
    let counts =
        serde_json::to_string(&counts(db, actor).await?).map_err(|_| AppError::Internal)?;
    out.push((last, Some(("counts", counts))));
    Ok(out)
}
