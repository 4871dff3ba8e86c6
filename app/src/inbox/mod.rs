//! Conversations (F2, F3): the engine's states and wire types. The agents' inbox pages and
//! the visitor widget are built on `service`.
#[cfg(feature = "ssr")]
pub mod presence;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// `bot → waiting → assigned ⇄ unassigned → closed`, and `waiting → offline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// The visitor is going through the chatbot's cards.
    Bot,
    /// At the Live Chat card, waiting for an agent until the deadline.
    Waiting,
    Assigned,
    Unassigned,
    /// Nobody took it in time (or nobody was online): the offline flow ran.
    Offline,
    Closed,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Waiting => "waiting",
            Self::Assigned => "assigned",
            Self::Unassigned => "unassigned",
            Self::Offline => "offline",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Bot,
            Self::Waiting,
            Self::Assigned,
            Self::Unassigned,
            Self::Offline,
            Self::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Bot,
    Visitor,
    Agent,
    System,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Visitor => "visitor",
            Self::Agent => "agent",
            Self::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "bot" => Self::Bot,
            "visitor" => Self::Visitor,
            "agent" => Self::Agent,
            _ => Self::System,
        }
    }
}

/// A message as pages, streams and the widget see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: String,
    pub conversation_id: String,
    pub seq: i32,
    pub author: AuthorKind,
    pub author_id: Option<String>,
    pub body: String,
    pub client_id: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A conversation's state as pages and streams see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationView {
    pub id: String,
    pub state: ConversationState,
    pub assignee_id: Option<String>,
    pub page_url: Option<String>,
    pub wait_deadline: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
}

/// One row of the event outbox, as streams send it (`id:` is the event id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventPayload {
    Conversation { conversation: ConversationView },
    Message { message: MessageView },
}

/// The longest message a visitor or agent may send, in characters (R7).
pub const MAX_MESSAGE_CHARS: usize = 4000;
