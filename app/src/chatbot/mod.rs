//! Chatbot playbooks (F1): the card model, rich text, images, the list and the editor.
pub mod api;
#[cfg(feature = "ssr")]
pub mod endpoints;
pub mod images;
pub mod model;
#[cfg(feature = "ssr")]
pub mod sanitize;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

use model::{Card, PlaybookSettings};
use serde::{Deserialize, Serialize};

/// The status of a playbook's Live Chat card (F1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LiveChatStatus {
    /// The flow has no Live Chat card.
    NoLiveChat,
    /// Never loaded from a web page.
    OfflineModeOnly,
    /// Loaded from a web page at least once.
    Installed,
}

impl LiveChatStatus {
    pub fn label(self) -> &'static str {
        match self {
            LiveChatStatus::NoLiveChat => "No Live Chat card",
            LiveChatStatus::OfflineModeOnly => "Offline mode only",
            LiveChatStatus::Installed => "Installed",
        }
    }
}

/// One row of the playbook list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaybookSummary {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub live_chat: LiveChatStatus,
    /// RFC 3339, UTC.
    pub last_loaded_at: Option<String>,
    pub last_loaded_url: Option<String>,
}

/// A whole playbook, as the editor loads and saves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaybookDetail {
    pub id: String,
    /// The public key in the embed snippet.
    pub key: String,
    /// The embed snippet (one script tag), for Leadline's public origin.
    pub snippet: String,
    pub settings: PlaybookSettings,
    pub cards: Vec<Card>,
    /// The version this copy is of; a save names it, and a newer one on the server is a conflict.
    pub version: i64,
    pub live_chat: LiveChatStatus,
    pub last_loaded_at: Option<String>,
    pub last_loaded_url: Option<String>,
    /// The last site not on the allow-list that loaded the widget, and when (RFC 3339).
    #[serde(default)]
    pub blocked: Option<(String, String)>,
    /// Whether the asking user may change it (F1.9).
    pub can_edit: bool,
}

/// What "Add playbook" starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Template {
    Blank,
    LiveChat,
}

impl Template {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "blank" => Ok(Template::Blank),
            "live_chat" => Ok(Template::LiveChat),
            _ => Err("Choose a blank playbook or the Live Chat template.".into()),
        }
    }
}

/// The message a stale save gets.
pub const SAVE_CONFLICT: &str = "Someone else saved this playbook after you opened it. \
Your changes are not saved: reload to see theirs, then make yours again.";

/// The embed snippet for a playbook key, served from `origin`.
pub fn snippet(origin: &str, key: &str) -> String {
    format!("<script src=\"{origin}/widget/loader.js?p={key}\" async></script>")
}
