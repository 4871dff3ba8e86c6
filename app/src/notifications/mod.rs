//! Desktop notifications (F5): what a user is told, when, and the switches that decide it.
//! The server decides who is notified — the agents' event stream carries a `notify` event
//! exactly when the company's and the user's switches and the conversation's visibility
//! allow it (`service::notice_for`) — and the browser only shows it (`assets/notify.js`).
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod push;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

/// The three kinds of F5.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyKind {
    /// A new conversation in Unassigned (to every online user who may take it).
    NewConversation,
    /// A conversation assigned to you by someone else.
    Assigned,
    /// A new visitor message in a conversation assigned to you.
    Message,
}

impl NotifyKind {
    pub const ALL: [NotifyKind; 3] = [Self::NewConversation, Self::Assigned, Self::Message];

    /// The switch's label on the settings pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::NewConversation => "New conversation in Unassigned",
            Self::Assigned => "Conversation assigned to you",
            Self::Message => "New message in your conversations",
        }
    }
}

/// Which kinds are on (for the company, or for one user).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    pub new_conversation: bool,
    pub assigned: bool,
    pub message: bool,
}

impl Default for Switches {
    fn default() -> Self {
        Self::ALL_ON
    }
}

impl Switches {
    pub const ALL_ON: Switches = Switches {
        new_conversation: true,
        assigned: true,
        message: true,
    };

    pub fn on(&self, kind: NotifyKind) -> bool {
        match kind {
            NotifyKind::NewConversation => self.new_conversation,
            NotifyKind::Assigned => self.assigned,
            NotifyKind::Message => self.message,
        }
    }

    pub fn with(mut self, kind: NotifyKind, on: bool) -> Self {
        match kind {
            NotifyKind::NewConversation => self.new_conversation = on,
            NotifyKind::Assigned => self.assigned = on,
            NotifyKind::Message => self.message = on,
        }
        self
    }
}

/// The sounds a user can choose (`value`, label); it plays only in a tab that is not focused.
pub const SOUNDS: [(&str, &str); 3] = [("none", "No sound"), ("chime", "Chime"), ("ping", "Ping")];

/// A desktop notification, as the event stream sends it and the browser shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NotifyKind,
    pub conversation_id: String,
    pub title: String,
    pub body: String,
    /// Where clicking it leads: the conversation in its folder.
    pub url: String,
}

/// A user's own notification settings, with what the company allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyNotifications {
    pub company: Switches,
    pub mine: Switches,
    pub sound: String,
}
