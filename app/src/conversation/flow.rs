//! The playbook flow of a conversation (F2.2, F2.3, F1.8): the server decides what comes
//! next. Bot messages are written as the flow passes their cards; a card that needs the
//! visitor (a question, a qualification, a capture) becomes the conversation's `flow_card`
//! until answered; the Live Chat card waits for an agent or goes offline, and the offline
//! flow qualifies or rejects the prospect and creates the chosen CRM item once the flow ends.
use super::engine::{append, transition_in, write_conversation_event};
use super::{AuthorKind, ConversationState};
use crate::backend::entities::conversation;
use crate::chatbot::model::{CaptureField, Card, CardBody, CrmItem, OfflineOutcome};
use crate::chatbot::sanitize::sanitize;
use crate::domain::{EmailAddress, Name};
use crate::error::AppError;
use crate::ui::text::escape_html;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};
use ConversationState::{Missed, Waiting};

/// The cards of the conversation's playbook (none if the playbook was deleted).
pub async fn cards(
    db: &impl ConnectionTrait,
    c: &conversation::Model,
) -> Result<Vec<Card>, AppError> {
    match c.playbook_id {
        Some(p) => crate::chatbot::service::cards_of(db, p).await,
        None => Ok(Vec::new()),
    }
}

async fn bot_says(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    html: &str,
) -> Result<(), AppError> {
    let clean = sanitize(html);
    if !clean.trim().is_empty() {
        append(txn, c, AuthorKind::Bot, None, &clean, None).await?;
    }
    Ok(())
}

async fn reload(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
) -> Result<conversation::Model, AppError> {
    conversation::Entity::find_by_id(c.id)
        .one(txn)
        .await?
        .ok_or(AppError::Internal)
}

async fn set_columns(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    changes: Vec<(conversation::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<conversation::Model, AppError> {
    let mut update = conversation::Entity::update_many().filter(conversation::Column::Id.eq(c.id));
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    update.exec(txn).await?;
    reload(txn, c).await
}

/// Runs the flow from card `start` until a card needs the visitor, an agent is awaited, or
/// the flow ends. `online` says whether anyone of the company can take a conversation now.
/// With `offline_at_start`, the card at `start` is the Live Chat card whose wait just ended.
pub(crate) async fn run(
    txn: &DatabaseTransaction,
    mut c: conversation::Model,
    cards: &[Card],
    start: usize,
    online: bool,
    offline_at_start: bool,
) -> Result<conversation::Model, AppError> {
    let mut i = start;
    while let Some(card) = cards.get(i) {
        i += 1;
        if !card.audience.shows_to(c.qualified) {
            continue;
        }
        match &card.body {
            CardBody::Message { text } => bot_says(txn, &c, text).await?,
            CardBody::Question { text, .. }
            | CardBody::Qualification { text, .. }
            | CardBody::Capture { text, .. } => {
                bot_says(txn, &c, text).await?;
                let c = set_columns(
                    txn,
                    &c,
                    vec![(
                        conversation::Column::FlowCard,
                        Expr::value(Some(card.id.clone())),
                    )],
                )
                .await?;
                write_conversation_event(txn, &c).await?;
                return Ok(c);
            }
            CardBody::LiveChat {
                online_message,
                wait_seconds,
                offline_message,
                offline_outcome,
                ..
            } => {
                let ends_wait = offline_at_start && i == start + 1;
                if c.state == ConversationState::Bot.as_str() {
                    let no_card = (
                        conversation::Column::FlowCard,
                        Expr::value(Option::<String>::None),
                    );
                    if online {
                        let deadline =
                            OffsetDateTime::now_utc() + Duration::seconds(i64::from(*wait_seconds));
                        let changes = vec![
                            (conversation::Column::State, Expr::value(Waiting.as_str())),
                            (
                                conversation::Column::WaitDeadline,
                                Expr::value(Some(deadline)),
                            ),
                            no_card,
                        ];
                        let c = transition_in(
                            txn,
                            c.id,
                            c.company_id,
                            &[ConversationState::Bot],
                            None,
                            changes,
                        )
                        .await?
                        .ok_or(AppError::Internal)?;
                        bot_says(txn, &c, online_message).await?;
                        return Ok(c);
                    }
                    // Nobody online: missed at once, still open to agents (F2.3).
                    let changes = vec![
                        (
                            conversation::Column::State,
                            Expr::value(ConversationState::Missed.as_str()),
                        ),
                        (
                            conversation::Column::MissedAt,
                            Expr::value(Some(OffsetDateTime::now_utc())),
                        ),
                        no_card,
                    ];
                    c = transition_in(
                        txn,
                        c.id,
                        c.company_id,
                        &[ConversationState::Bot],
                        None,
                        changes,
                    )
                    .await?
                    .ok_or(AppError::Internal)?;
                } else if !ends_wait {
                    // A Live Chat card already passed (the offline flow's later cards).
                    continue;
                }
                bot_says(txn, &c, offline_message).await?;
                let qualified = *offline_outcome == OfflineOutcome::Qualify;
                c = set_columns(
                    txn,
                    &c,
                    vec![(
                        conversation::Column::Qualified,
                        Expr::value(Some(qualified)),
                    )],
                )
                .await?;
            }
            CardBody::End { text } => {
                bot_says(txn, &c, text).await?;
                break;
            }
        }
    }
    finish(txn, c, cards).await
}

/// What the bot says when the offline flow has ended with a way to reach the visitor.
pub fn offline_confirmation(contact: &str) -> String {
    format!("Thanks, we will get back to you at {contact}.")
}

/// The flow has nothing more to ask: no flow card. A missed conversation (its offline flow
/// ran) creates the Live Chat card's CRM item with what was captured, once, and tells the
/// visitor how they will be answered.
async fn finish(
    txn: &DatabaseTransaction,
    c: conversation::Model,
    cards: &[Card],
) -> Result<conversation::Model, AppError> {
    let mut c = set_columns(
        txn,
        &c,
        vec![(
            conversation::Column::FlowCard,
            Expr::value(Option::<String>::None),
        )],
    )
    .await?;
    if c.missed_at.is_some() && c.crm_kind.is_none() {
        let who = crate::crm::service::Captured::from_answers(&c.answers);
        if let Some(contact) = who.email.or(who.phone) {
            let text = offline_confirmation(&contact);
            bot_says(txn, &c, &format!("<p>{}</p>", escape_html(&text))).await?;
        }
        let item = cards
            .iter()
            .find_map(|card| match &card.body {
                CardBody::LiveChat { offline_create, .. } => Some(*offline_create),
                _ => None,
            })
            .unwrap_or(CrmItem::Nothing);
        if crate::crm::service::create_from_conversation(txn, &c, item).await? {
            c = reload(txn, &c).await?;
        }
    }
    write_conversation_event(txn, &c).await?;
    Ok(c)
}

/// The wait of a Live Chat card ended with nobody (the caller marked it missed in `txn`):
/// the offline message, then the offline flow.
pub(crate) async fn went_offline(
    txn: &DatabaseTransaction,
    c: conversation::Model,
) -> Result<conversation::Model, AppError> {
    let cards = cards(txn, &c).await?;
    match cards
        .iter()
        .position(|card| card.body.is_live_chat() && card.audience.shows_to(c.qualified))
    {
        Some(i) => run(txn, c, &cards, i, false, true).await,
        None => finish(txn, c, &cards).await,
    }
}

/// What a visitor answers to the conversation's flow card.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AnswerInput {
    /// A quick reply or a free-text answer.
    #[serde(default)]
    pub text: Option<String>,
    /// Capture fields by name: name, email, phone, organization.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

pub const MAX_FREE_TEXT_CHARS: usize = 1000;

/// Checks one captured value; the error names the field.
pub fn check_capture(f: CaptureField, raw: &str) -> Result<String, AppError> {
    let key = f.key();
    let value = raw.trim();
    if value.chars().any(crate::domain::forbidden_char) {
        return Err(AppError::validation(key, crate::domain::FORBIDDEN_CHARS));
    }
    match f {
        CaptureField::Name => Name::parse(value)
            .map(|n| n.as_str().to_string())
            .map_err(|m| AppError::validation(key, m)),
        CaptureField::Email => EmailAddress::parse(value)
            .map(|e| e.as_str().to_string())
            .map_err(|m| AppError::validation(key, m)),
        CaptureField::Phone => {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            let allowed = value
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if allowed && (6..=20).contains(&digits) && value.len() <= 30 {
                Ok(value.to_string())
            } else {
                Err(AppError::validation(
                    key,
                    "Enter a phone number like +62 812 3456 7890.",
                ))
            }
        }
        CaptureField::Organization => {
            let n = value.chars().count();
            if n == 0 {
                Err(AppError::validation(key, "Enter your organization."))
            } else if n > 200 {
                Err(AppError::validation(key, "Use at most 200 characters."))
            } else {
                Ok(value.to_string())
            }
        }
        CaptureField::Message => {
            let n = value.chars().count();
            if n == 0 {
                Err(AppError::validation(key, "Write your message."))
            } else if n > MAX_FREE_TEXT_CHARS * 2 {
                Err(AppError::validation(
                    key,
                    format!("Use at most {} characters.", MAX_FREE_TEXT_CHARS * 2),
                ))
            } else {
                Ok(value.to_string())
            }
        }
    }
}

/// What the visitor's answer saves, and the line the transcript shows for it.
pub(crate) struct Answered {
    pub saved: Vec<(String, String)>,
    pub qualified: Option<bool>,
    pub transcript: String,
}

/// Checks an answer against its card; nothing is saved when it is refused.
pub(crate) fn check_answer(card: &Card, input: &AnswerInput) -> Result<Answered, AppError> {
    let text = input.text.as_deref().map(str::trim).unwrap_or("");
    match &card.body {
        CardBody::Question {
            field,
            answers,
            free_text,
            ..
        } => {
            let chosen = answers.iter().find(|a| a.as_str() == text);
            if chosen.is_none() && !free_text {
                return Err(AppError::validation("answer", "Choose one of the answers."));
            }
            if text.is_empty() {
                return Err(AppError::validation("answer", "Write your answer."));
            }
            if text.chars().any(crate::domain::forbidden_char) {
                return Err(AppError::validation(
                    "answer",
                    crate::domain::FORBIDDEN_CHARS,
                ));
            }
            if text.chars().count() > MAX_FREE_TEXT_CHARS {
                return Err(AppError::validation(
                    "answer",
                    format!("Use at most {MAX_FREE_TEXT_CHARS} characters."),
                ));
            }
            Ok(Answered {
                saved: vec![(field.clone(), text.to_string())],
                qualified: None,
                transcript: text.to_string(),
            })
        }
        CardBody::Qualification { answers, .. } => {
            let chosen = answers
                .iter()
                .find(|a| a.label == text)
                .ok_or_else(|| AppError::validation("answer", "Choose one of the answers."))?;
            Ok(Answered {
                saved: vec![("qualification".into(), chosen.label.clone())],
                qualified: Some(chosen.qualified),
                transcript: chosen.label.clone(),
            })
        }
        CardBody::Capture { fields, .. } => {
            let mut saved = Vec::new();
            let mut lines = Vec::new();
            for f in fields {
                let raw = input.fields.get(f.key()).map_or("", String::as_str);
                if raw.trim().is_empty() && f.optional_among(fields) {
                    continue;
                }
                let value = check_capture(*f, raw)?;
                lines.push(format!("{}: {value}", f.label()));
                saved.push((f.key().to_string(), value));
            }
            Ok(Answered {
                saved,
                qualified: None,
                transcript: lines.join("\n"),
            })
        }
        _ => Err(AppError::Conflict(
            "This card does not take an answer.".into(),
        )),
    }
}

/// Saves the answer to the conversation's flow card (guarded: a retried or stale answer does
/// nothing), then runs the flow on. Returns None when the card was no longer waiting.
pub(crate) async fn apply_answer(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    cards: &[Card],
    index: usize,
    answered: Answered,
    online: bool,
) -> Result<Option<conversation::Model>, AppError> {
    let mut answers: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&c.answers).unwrap_or_default();
    for (k, v) in &answered.saved {
        answers.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    let mut update = conversation::Entity::update_many()
        .col_expr(
            conversation::Column::Answers,
            Expr::value(serde_json::Value::Object(answers.clone()).to_string()),
        )
        .col_expr(
            conversation::Column::FlowCard,
            Expr::value(Option::<String>::None),
        )
        .filter(conversation::Column::Id.eq(c.id))
        .filter(conversation::Column::FlowCard.eq(cards[index].id.as_str()));
    if let Some(q) = answered.qualified {
        update = update.col_expr(conversation::Column::Qualified, Expr::value(Some(q)));
    }
    if answered
        .saved
        .iter()
        .any(|(k, _)| k == "email" || k == "phone")
    {
        let (email, phone) = crate::crm::service::contact_of(txn, c.company_id, &answers).await?;
        update = update
            .col_expr(conversation::Column::ContactEmail, Expr::value(email))
            .col_expr(conversation::Column::ContactPhone, Expr::value(phone));
    }
    if update.exec(txn).await?.rows_affected != 1 {
        return Ok(None);
    }
    let c = reload(txn, c).await?;
    append(
        txn,
        &c,
        AuthorKind::Visitor,
        None,
        &answered.transcript,
        None,
    )
    .await?;
    Ok(Some(run(txn, c, cards, index + 1, online, false).await?))
}

/// Marks every waiting conversation whose deadline has passed as missed and runs the Live
/// Chat card's offline flow in the same transaction, each exactly once (any instance may run
/// this, any number of times). A missed conversation stays in Unassigned, open to agents.
/// Returns the conversations this call moved.
pub async fn expire_overdue(
    db: &sea_orm::DatabaseConnection,
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
        let c = went_offline(&txn, c).await?;
        txn.commit().await?;
        crate::backend::realtime::hub::wake(db).await;
        moved.push(c);
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_values_refuse_control_and_reordering_marks() {
        for (field, bad) in [
            (CaptureField::Name, "Mallory\u{202E}txt.exe"),
            (CaptureField::Message, "hello\u{0}world"),
            (CaptureField::Message, "hello\u{202E}world"),
            (CaptureField::Organization, "Acme\u{2067}"),
        ] {
            let e = check_capture(field, bad).unwrap_err();
            let message = e.for_field(field.key()).unwrap_or_default();
            assert!(
                message.starts_with("Remove the control characters"),
                "{bad:?}: {e:?}"
            );
        }
        assert_eq!(
            check_capture(CaptureField::Message, "line one\nline two").unwrap(),
            "line one\nline two"
        );
    }
}
