//! The conversation engine both sides use (F2, F3): its states and wire types here; who may
//! see a conversation (`access`), the state machine and the messages (`engine`), the
//! chatbot's flow (`flow`), who is online (`presence`), the group-commit writer (`writer`)
//! and how new events become one shared, already serialized batch for every open stream
//! (`feed`).
pub mod access;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod feed;
#[cfg(feature = "ssr")]
pub mod flow;
#[cfg(feature = "ssr")]
pub mod messages;
#[cfg(feature = "ssr")]
pub mod presence;
#[cfg(feature = "ssr")]
pub mod writer;

use serde::{Deserialize, Serialize};

/// `bot → waiting → assigned ⇄ unassigned → closed`, and `waiting → missed` (or `bot →
/// missed` when nobody is online): a missed conversation is still open, in Unassigned, and
/// can be taken and answered; only "Close conversation" closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// The visitor is going through the chatbot's cards.
    Bot,
    /// At the Live Chat card, waiting for an agent until the deadline.
    Waiting,
    Assigned,
    Unassigned,
    /// Nobody took it in time (or nobody was online): the visitor got the offline message
    /// and the offline flow. It stays in Unassigned, marked "Missed". (Stored as `offline`
    /// before missed conversations stayed open; old events still say so.)
    #[serde(alias = "offline")]
    Missed,
    Closed,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Waiting => "waiting",
            Self::Assigned => "assigned",
            Self::Unassigned => "unassigned",
            Self::Missed => "missed",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Bot,
            Self::Waiting,
            Self::Assigned,
            Self::Unassigned,
            Self::Missed,
            Self::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .or((raw == "offline").then_some(Self::Missed))
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
    /// The assignee's name, as the visitor's header shows it.
    pub assignee_name: Option<String>,
    pub page_url: Option<String>,
    pub wait_deadline: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    /// The CRM item made from this conversation ("activity", "lead", "deal") and when (F3.6).
    pub crm_kind: Option<String>,
    pub crm_created_at: Option<String>,
    /// When nobody took it: the conversation is "Missed" (RFC 3339, UTC).
    #[serde(default)]
    pub missed_at: Option<String>,
    /// How agents call the visitor (the conversation's title); empty in older events.
    #[serde(default)]
    pub visitor: String,
}

/// One row of the event outbox, as streams send it (`id:` is the event id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventPayload {
    Conversation {
        conversation: ConversationView,
        /// Set when the state or assignee changed (not when only a detail did): what
        /// notifications are made of (F5.2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<Change>,
    },
    Message {
        message: MessageView,
    },
    /// A user was deactivated (or activated again): their open streams end at once.
    User {
        user_id: String,
        active: bool,
    },
    /// Sessions of a user ended (a logout, a new password, "Log out everywhere"): each open
    /// stream of theirs checks its own session at once, and ends when it is gone. (The
    /// session ids stay out of the event table.)
    SignedOut {
        user_id: String,
    },
    /// A conversation's side panel changed (a field saved, a lead or deal created or
    /// converted): open inboxes that may see the conversation read it again. `version` is the
    /// panel's after a save (0 when only what was made from it changed). Never sent to the
    /// visitor.
    Panel {
        conversation_id: String,
        version: i32,
    },
    /// Notification settings changed (F5.3): the company's switches (`user_id` None), or one
    /// user's switches and sound. Open streams apply it at once. Never sent to the visitor.
    Notifications {
        user_id: Option<String>,
        switches: crate::notifications::Switches,
        #[serde(default)]
        sound: Option<String>,
    },
    /// A user's "Online" toggle changed: who is told of new conversations (F5.2).
    Presence {
        user_id: String,
        online: bool,
    },
}

/// How a conversation's state or assignee changed, and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The state it left, when only one was possible.
    pub from: Option<ConversationState>,
    /// The user who changed it; None for the visitor, the chatbot or a timer.
    pub by: Option<String>,
}

/// The longest message a visitor or agent may send, in characters (R7).
pub const MAX_MESSAGE_CHARS: usize = 4000;
