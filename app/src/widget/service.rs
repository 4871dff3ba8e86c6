//! The visitor's side of a conversation: start it from a playbook, resume it after a reload,
//! answer the flow's cards, send messages, and read what happened since an event id. A
//! visitor proves who they are with the token their frame keeps.
use super::{Prompt, VisitorEvent, VisitorMessage, VisitorView};
use crate::backend::entities::{conversation, event, message, user, visitor};
use crate::backend::{db::write_txn, realtime::hub};
use crate::chatbot::model::{Card, CardBody};
use crate::conversation::engine;
use crate::conversation::messages::{self, Sender};
use crate::conversation::{
    flow, presence, AuthorKind, ConversationState, EventPayload, MessageView,
};
use crate::error::AppError;
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

fn unavailable() -> AppError {
    AppError::NotFound("This chat is not available.".into())
}

fn gone() -> AppError {
    AppError::NotFound("This conversation does not exist.".into())
}

/// Keeps page URLs to http(s) and a sane length.
pub fn clean_url(url: Option<&str>) -> Option<String> {
    url.map(str::trim)
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(|u| u.chars().take(2000).collect())
}

/// The first thing the chatbot says to every visitor, as plain text for the loader's
/// proactive greeting ("" when the flow starts with nothing to say).
pub fn greeting(cards: &[Card]) -> String {
    let first = cards
        .iter()
        .filter(|c| c.audience == crate::chatbot::model::Audience::Everyone)
        .find_map(|c| match &c.body {
            CardBody::Message { text }
            | CardBody::Question { text, .. }
            | CardBody::Qualification { text, .. }
            | CardBody::Capture { text, .. }
            | CardBody::End { text } => {
                let t = crate::chatbot::sanitize::plain_text(text);
                (!t.trim().is_empty()).then_some(t)
            }
            CardBody::LiveChat { .. } => Some(String::new()),
        })
        .unwrap_or_default();
    let first = first.trim();
    if first.chars().count() > 140 {
        format!(
            "{}…",
            first.chars().take(139).collect::<String>().trim_end()
        )
    } else {
        first.to_string()
    }
}

/// The visitor of this token in this company, or a new visitor.
async fn known_visitor(
    db: &DatabaseConnection,
    company_id: Uuid,
    token: Option<&str>,
) -> Result<Option<visitor::Model>, AppError> {
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 64) else {
        return Ok(None);
    };
    Ok(visitor::Entity::find()
        .filter(visitor::Column::Token.eq(token))
        .one(db)
        .await?
        .filter(|v| v.company_id == company_id))
}

/// The visitor's conversation: token and id must belong together.
async fn own(
    db: &DatabaseConnection,
    token: &str,
    conversation_id: &str,
) -> Result<(visitor::Model, conversation::Model), AppError> {
    let id = Uuid::parse_str(conversation_id).map_err(|_| gone())?;
    let v = visitor::Entity::find()
        .filter(visitor::Column::Token.eq(token))
        .one(db)
        .await?
        .ok_or_else(gone)?;
    match conversation::Entity::find_by_id(id).one(db).await? {
        Some(c) if c.visitor_id == v.id => Ok((v, c)),
        _ => Err(gone()),
    }
}

/// The visitor's token, if it is a real one (for rate limits).
pub async fn token_exists(db: &DatabaseConnection, token: &str) -> Result<bool, AppError> {
    Ok(visitor::Entity::find()
        .filter(visitor::Column::Token.eq(token))
        .one(db)
        .await?
        .is_some())
}

/// Starts a conversation with the playbook of `key` and runs its flow up to the first
/// card that needs the visitor.
pub async fn start(
    db: &DatabaseConnection,
    key: &str,
    token: Option<&str>,
    page_url: Option<&str>,
) -> Result<VisitorView, AppError> {
    let p = crate::chatbot::service::by_key(db, key)
        .await?
        .filter(|p| p.active)
        .ok_or_else(unavailable)?;
    let known = known_visitor(db, p.company_id, token).await?;
    let cards = crate::chatbot::service::cards_of(db, p.id).await?;
    let online = presence::anyone_online(db, p.company_id, OffsetDateTime::now_utc()).await?;
    // The visitor, the conversation and the flow up to its first card in one commit (one
    // fsync, not three: a burst of visitors arriving at once is what a launch looks like).
    let txn = write_txn(db).await?;
    let v = match known {
        Some(v) => v,
        None => engine::new_visitor(&txn, p.company_id).await?,
    };
    let c = engine::start_in(&txn, &v, Some(p.id), clean_url(page_url)).await?;
    let c = flow::run(&txn, c, &cards, 0, online, false).await?;
    txn.commit().await?;
    hub::wake(db).await;
    view(db, &v, &c, &cards).await
}

/// The conversation again (after a reload or a navigation); records the page the visitor is
/// on now, so agents see it live.
pub async fn resume(
    db: &DatabaseConnection,
    token: &str,
    conversation_id: &str,
    page_url: Option<&str>,
) -> Result<VisitorView, AppError> {
    let (v, mut c) = own(db, token, conversation_id).await?;
    let url = clean_url(page_url);
    if url.is_some() && url != c.page_url && c.state != ConversationState::Closed.as_str() {
        let txn = write_txn(db).await?;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::PageUrl, Expr::value(url))
            .filter(conversation::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
        c = conversation::Entity::find_by_id(c.id)
            .one(&txn)
            .await?
            .ok_or(AppError::Internal)?;
        engine::write_conversation_event(&txn, &c).await?;
        txn.commit().await?;
        hub::wake(db).await;
    }
    let cards = flow::cards(db, &c).await?;
    view(db, &v, &c, &cards).await
}

/// Answers the card the flow waits on. A repeated answer (a retry) changes nothing.
pub async fn answer(
    db: &DatabaseConnection,
    token: &str,
    conversation_id: &str,
    card_id: &str,
    input: &flow::AnswerInput,
) -> Result<VisitorView, AppError> {
    let (v, c) = own(db, token, conversation_id).await?;
    let cards = flow::cards(db, &c).await?;
    if c.flow_card.as_deref() != Some(card_id) {
        // Already answered (a retry), or the conversation moved on: show where it is.
        return view(db, &v, &c, &cards).await;
    }
    let index = cards
        .iter()
        .position(|card| card.id == card_id)
        .ok_or_else(|| AppError::Conflict("This question is no longer asked.".into()))?;
    let answered = flow::check_answer(&cards[index], input)?;
    let online = presence::anyone_online(db, c.company_id, OffsetDateTime::now_utc()).await?;
    let txn = write_txn(db).await?;
    let after = flow::apply_answer(&txn, &c, &cards, index, answered, online).await?;
    txn.commit().await?;
    hub::wake(db).await;
    let c = match after {
        Some(c) => c,
        None => conversation::Entity::find_by_id(c.id)
            .one(db)
            .await?
            .ok_or_else(gone)?,
    };
    view(db, &v, &c, &cards).await
}

/// A message from the visitor; a retry with the same client id is stored once (R1).
pub async fn send(
    writer: &crate::conversation::writer::Writer,
    token: &str,
    conversation_id: &str,
    body: &str,
    client_id: Option<&str>,
) -> Result<VisitorMessage, AppError> {
    let (v, c) = own(writer.db(), token, conversation_id).await?;
    let (m, _) = messages::send_to(writer, c, Sender::Visitor(&v), body, client_id).await?;
    Ok(to_visitor(&(&m).into(), None))
}

fn to_visitor(m: &MessageView, name: Option<String>) -> VisitorMessage {
    VisitorMessage {
        seq: m.seq,
        author: m.author,
        name,
        body: m.body.clone(),
        html: m.author == AuthorKind::Bot,
        client_id: m.client_id.clone(),
        created_at: m.created_at.clone(),
    }
}

async fn names(
    db: &DatabaseConnection,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, AppError> {
    let ids: Vec<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

fn prompt(c: &conversation::Model, cards: &[Card]) -> Option<Prompt> {
    let id = c.flow_card.as_deref()?;
    Prompt::of(cards.iter().find(|card| card.id == id)?)
}

async fn view(
    db: &DatabaseConnection,
    v: &visitor::Model,
    c: &conversation::Model,
    cards: &[Card],
) -> Result<VisitorView, AppError> {
    // The stream starts after the newest event read *before* the transcript, so nothing
    // falls in between (the frame drops a message it already has, by its number).
    let last_event_id: i64 = event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "max_id")
        .filter(event::Column::ConversationId.eq(c.id))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0);
    let rows = message::Entity::find()
        .filter(message::Column::ConversationId.eq(c.id))
        .order_by_asc(message::Column::Seq)
        .all(db)
        .await?;
    let names = names(
        db,
        rows.iter().filter_map(|m| m.author_id).chain(c.assignee_id),
    )
    .await?;
    let messages = rows
        .iter()
        .map(|m| to_visitor(&m.into(), m.author_id.and_then(|a| names.get(&a).cloned())))
        .collect();
    Ok(VisitorView {
        token: v.token.clone(),
        conversation_id: c.id.to_string(),
        state: ConversationState::parse(&c.state).unwrap_or(ConversationState::Closed),
        agent_name: c.assignee_id.and_then(|a| names.get(&a).cloned()),
        prompt: prompt(c, cards),
        messages,
        last_event_id,
    })
}

/// Whether this visitor token owns this conversation (before its stream opens).
pub async fn check(
    db: &DatabaseConnection,
    token: &str,
    conversation_id: &str,
) -> Result<(), AppError> {
    own(db, token, conversation_id).await.map(|_| ())
}

/// What the visitor sees of an event: messages (an agent's with their name) and state
/// changes; nothing else.
pub fn visitor_event(
    payload: &EventPayload,
    names: &HashMap<Uuid, String>,
) -> Option<VisitorEvent> {
    match payload {
        EventPayload::Message { message } => {
            let name = message
                .author_id
                .as_deref()
                .and_then(|a| Uuid::parse_str(a).ok())
                .and_then(|a| names.get(&a).cloned());
            Some(VisitorEvent::Message {
                message: to_visitor(message, name),
            })
        }
        EventPayload::Conversation { conversation, .. } => Some(VisitorEvent::State {
            state: conversation.state,
            agent_name: conversation.assignee_name.clone(),
        }),
        EventPayload::User { .. }
        | EventPayload::SignedOut { .. }
        | EventPayload::Panel { .. }
        | EventPayload::Notifications { .. }
        | EventPayload::Presence { .. } => None,
    }
}
