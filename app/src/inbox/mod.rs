//! The agents' side of conversations (F3): folders, lists, the opened conversation, the
//! agents' event stream. The engine itself is `crate::conversation`.
pub mod api;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

use crate::conversation::{ConversationView, MessageView};
use serde::{Deserialize, Serialize};

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
}

/// A user a conversation can be handed to (F3.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    pub id: String,
    pub name: String,
}
