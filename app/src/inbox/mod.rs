//! Conversations (F2, F3): the engine's states and wire types. The agents' inbox pages and
//! the visitor widget are built on `service`.
pub mod api;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod flow;
#[cfg(feature = "ssr")]
pub mod presence;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

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

/// How many conversations a folder list shows at a time.
pub const PAGE_SIZE: usize = 50;

/// The inbox's folders (F3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    /// Waiting for someone, missed, or unassigned again.
    Unassigned,
    /// Assigned to the signed-in user.
    Mine,
    /// Closed by "Close conversation".
    Closed,
}

impl Folder {
    pub fn label(self) -> &'static str {
        match self {
            Folder::Unassigned => "Unassigned",
            Folder::Mine => "My conversations",
            Folder::Closed => "Closed",
        }
    }
}

/// How many conversations each folder holds for this user (F3.2, F3.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderCounts {
    pub unassigned: u64,
    pub mine: u64,
    pub closed: u64,
}

/// One conversation of a folder list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub conversation: ConversationView,
    /// The visitor's name or email when captured.
    pub visitor: String,
    pub last_message: Option<String>,
    /// Whether the visitor wrote anything (a message or an answer) in it.
    #[serde(default)]
    pub visitor_wrote: bool,
}

/// An opened conversation: the whole transcript and what the visitor told the bot (F3.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    /// The visitor's name when captured (else their email, else "Website visitor").
    pub visitor: String,
    pub messages: Vec<MessageView>,
    /// Authors' names by user id, for agent messages.
    pub names: Vec<(String, String)>,
    /// Answers and captured details, by field.
    pub details: Vec<(String, String)>,
}

/// A user a conversation can be handed to (F3.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    pub id: String,
    pub name: String,
}
