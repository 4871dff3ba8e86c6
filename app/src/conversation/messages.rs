//! Sending a message (F2, F3.3): who may write where, what a message may hold, and the
//! hand-over to the group-commit writer, which acknowledges only after the commit (R1).
use super::engine::{not_found, parse_id, visible_to};
use super::writer::{Draft, Stored, Writer};
use super::{AuthorKind, ConversationState, MAX_MESSAGE_CHARS};
use crate::backend::actor::Actor;
use crate::backend::entities::{conversation, visitor};
use crate::error::AppError;
use sea_orm::EntityTrait;

pub use crate::domain::forbidden_char;

/// Who sends a message.
pub enum Sender<'a> {
    Visitor(&'a visitor::Model),
    Agent(&'a Actor),
    Bot,
}

/// Stores a message, acknowledged only once committed (R1). A retry with the same client id
/// returns the stored message instead of storing it twice; the bool says whether it is new.
/// Concurrent sends share one commit (`super::writer`).
pub async fn send(
    writer: &Writer,
    conversation_id: &str,
    sender: Sender<'_>,
    body: &str,
    client_id: Option<&str>,
) -> Stored {
    let id = parse_id(conversation_id)?;
    let c = conversation::Entity::find_by_id(id)
        .one(writer.db())
        .await?
        .ok_or_else(not_found)?;
    send_to(writer, c, sender, body, client_id).await
}

/// As `send`, to a conversation already read.
pub async fn send_to(
    writer: &Writer,
    c: conversation::Model,
    sender: Sender<'_>,
    body: &str,
    client_id: Option<&str>,
) -> Stored {
    let normalized = body.replace("\r\n", "\n");
    let body = normalized.trim();
    if !matches!(sender, Sender::Bot) && body.chars().any(forbidden_char) {
        return Err(AppError::validation(
            "message",
            crate::domain::FORBIDDEN_CHARS,
        ));
    }
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
    if c.state == ConversationState::Closed.as_str() {
        return Err(AppError::Conflict("This conversation is closed.".into()));
    }
    writer
        .write(Draft {
            conversation: c,
            kind,
            author_id,
            body: body.to_string(),
            client_id: client_id.map(str::to_string),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::forbidden_char;

    #[test]
    fn control_and_direction_characters_are_refused_text_is_not() {
        for c in [
            '\0', '\u{7}', '\u{1b}', '\r', '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}',
        ] {
            assert!(forbidden_char(c), "{:?}", c);
        }
        let fine = "Hello\n\tčaj, مرحبا, こんにちは 👋 \u{200D}";
        assert!(!fine.chars().any(forbidden_char));
    }
}
