//! The visitor widget (F2): the loader script for customers' sites, the chat frame served
//! from Leadline's origin, and the visitor API behind it (`/api/visitor/…`).
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod service;

use crate::chatbot::model::{Card, CardBody};
use crate::conversation::{AuthorKind, ConversationState};
use serde::{Deserialize, Serialize};

/// A message as the visitor sees it. Bot messages are sanitized HTML (`html`); everything
/// else is plain text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorMessage {
    pub seq: i32,
    pub author: AuthorKind,
    /// The agent's name, for agent messages.
    pub name: Option<String>,
    pub body: String,
    pub html: bool,
    pub client_id: Option<String>,
    pub created_at: String,
}

/// What the flow waits for from the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub card_id: String,
    /// "choice" (quick replies, maybe with free text), "text", or "capture".
    pub kind: String,
    pub answers: Vec<String>,
    pub free_text: bool,
    /// Capture fields: `[key, label]`, e.g. `["email", "Email"]`.
    pub fields: Vec<(String, String)>,
    /// The keys of the capture fields the visitor may leave empty.
    #[serde(default)]
    pub optional: Vec<String>,
}

/// The visitor's whole conversation, as the frame draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorView {
    pub token: String,
    pub conversation_id: String,
    pub state: ConversationState,
    /// Who talks to the visitor: the assignee's name once someone joined.
    pub agent_name: Option<String>,
    pub prompt: Option<Prompt>,
    pub messages: Vec<VisitorMessage>,
    /// Where the frame's event stream starts (the events before are in this view).
    pub last_event_id: i64,
}

/// One event of the visitor's stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VisitorEvent {
    Message {
        message: VisitorMessage,
    },
    State {
        state: ConversationState,
        agent_name: Option<String>,
    },
}

impl Prompt {
    /// What `card` asks of the visitor, if it asks anything.
    pub fn of(card: &Card) -> Option<Prompt> {
        let p = |kind: &str, answers: Vec<String>, free_text: bool, fields| Prompt {
            card_id: card.id.clone(),
            kind: kind.into(),
            answers,
            free_text,
            fields,
            optional: Vec::new(),
        };
        match &card.body {
            CardBody::Question {
                answers, free_text, ..
            } => Some(if answers.is_empty() {
                p("text", vec![], true, vec![])
            } else {
                p("choice", answers.clone(), *free_text, vec![])
            }),
            CardBody::Qualification { answers, .. } => Some(p(
                "choice",
                answers.iter().map(|a| a.label.clone()).collect(),
                false,
                vec![],
            )),
            CardBody::Capture { fields, .. } => Some(Prompt {
                optional: fields
                    .iter()
                    .filter(|f| f.optional_among(fields))
                    .map(|f| f.key().to_string())
                    .collect(),
                ..p(
                    "capture",
                    vec![],
                    false,
                    fields
                        .iter()
                        .map(|f| (f.key().to_string(), f.label().to_string()))
                        .collect(),
                )
            }),
            _ => None,
        }
    }
}
