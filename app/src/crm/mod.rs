//! The CRM side (F1.8, F4): people, organizations, and the leads, deals and activities made
//! from conversations; the Leads, Deals and Activities pages (F4.3).
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod fields;
#[cfg(feature = "ssr")]
pub mod money;
#[cfg(feature = "ssr")]
pub mod panel;
#[cfg(feature = "ssr")]
pub mod people;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

/// Which CRM list a page shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrmKind {
    #[default]
    Leads,
    Deals,
    Activities,
}

impl CrmKind {
    pub fn title(self) -> &'static str {
        match self {
            CrmKind::Leads => "Leads",
            CrmKind::Deals => "Deals",
            CrmKind::Activities => "Activities",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            CrmKind::Leads => "/leads",
            CrmKind::Deals => "/deals",
            CrmKind::Activities => "/activities",
        }
    }
}

/// Rows per page of a CRM list.
pub const PAGE_SIZE: u64 = 50;
/// The longest search text taken.
pub const MAX_SEARCH_CHARS: usize = 200;

/// One row of a CRM list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmRow {
    pub id: String,
    pub title: String,
    pub person: Option<String>,
    pub email: Option<String>,
    pub organization: Option<String>,
    pub owner: Option<String>,
    /// The value as written for people, e.g. "USD 1,250.00"; None when not set.
    pub value: Option<String>,
    /// A lead: "Open" or "Converted"; a deal: "Open", "Won" or "Lost"; an activity: its
    /// type and whether it is done.
    pub status: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// An activity's due date (YYYY-MM-DD).
    pub due: Option<String>,
    pub conversation_id: Option<String>,
}

/// A page of a CRM list, with the company's users for the owner filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmPage {
    pub rows: Vec<CrmRow>,
    /// Whether a next page exists.
    pub more: bool,
    /// (user id, name) of everyone who may own an item.
    pub owners: Vec<(String, String)>,
}

/// A lead or deal made from a conversation, as the side panel links to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmLink {
    pub id: String,
    pub title: String,
    /// RFC 3339.
    pub created_at: String,
}

/// A conversation's side panel (F4.1): the fields as text (prefilled from what the
/// playbook captured until someone saves one), the captured answers, what "Create lead"
/// would reuse, and the lead and deal made from the conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelView {
    pub conversation_id: String,
    /// 0 until the first save; a save must name the version it was typed over.
    pub version: i32,
    /// (field key, text) for every key of PANEL_FIELDS.
    pub fields: Vec<(String, String)>,
    /// What the visitor told the playbook, read-only.
    pub captured: Vec<(String, String)>,
    /// The existing person "Create lead" would use, e.g. "Vera Ortiz (vera@example.com)".
    pub person_match: Option<String>,
    pub organization_match: Option<String>,
    /// The email and the phone belong to two different people: the user must choose.
    pub people_conflict: Option<String>,
    pub lead: Option<CrmLink>,
    pub deal: Option<CrmLink>,
    /// The same person's other conversations, leads and deals (by email or phone), newest
    /// first: a returning prospect shows at once.
    pub related: Vec<Related>,
    /// The conversation's activities, soonest due first.
    pub activities: Vec<ActivityItem>,
}

/// Another conversation, lead or deal of the same person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// "Conversation", "Lead" or "Deal".
    pub kind: String,
    pub title: String,
    pub href: String,
    /// RFC 3339.
    pub created_at: String,
}

/// An activity as the side panel lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub id: String,
    pub title: String,
    /// "Call", "Meeting", …
    pub kind: String,
    /// "2026-11-27" or "2026-11-27 14:30".
    pub due: String,
    pub done: bool,
}

/// Activity types (F4.3): key and label.
pub const ACTIVITY_KINDS: [(&str, &str); 5] = [
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("task", "Task"),
    ("deadline", "Deadline"),
    ("email", "Email"),
];

/// The label of an activity type key ("Call" for anything unknown).
pub fn activity_kind_label(kind: &str) -> &'static str {
    ACTIVITY_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Call", |(_, label)| label)
}

impl PanelView {
    pub fn field(&self, key: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// The side panel's fields: key and label (PRODUCT.md F4.1), in the order shown.
pub const PANEL_FIELDS: [(&str, &str); 9] = [
    ("value", "Deal value"),
    ("currency", "Currency"),
    ("expected_close_date", "Expected close date"),
    ("name", "Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("organization", "Organization"),
    ("address", "Address"),
    ("notes", "Notes"),
];
