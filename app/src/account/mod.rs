//! Accounts (F6): setup, login, users and their permissions. Wire types live here.
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

use serde::{Deserialize, Serialize};

/// A user's role: admins manage users and settings, regular users work the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Regular,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Regular => "regular",
        }
    }

    /// Parses a form value; the message fits the "Role" field.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "admin" => Ok(Role::Admin),
            "regular" => Ok(Role::Regular),
            _ => Err("Choose Admin or Regular.".into()),
        }
    }

    /// Anything unexpected in the database counts as the lesser role.
    pub fn from_db(raw: &str) -> Self {
        if raw == "admin" {
            Role::Admin
        } else {
            Role::Regular
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Regular => "Regular",
        }
    }
}

/// The signed-in user, as the app shell needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub can_manage_chatbot: bool,
    pub company_name: String,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// One row of the Users page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub can_manage_chatbot: bool,
    pub active: bool,
}

/// The message for a wrong email or password, the same for both.
pub const BAD_LOGIN: &str = "Email or password is incorrect";

/// The first steps after setup, each done or not, for the home page's checklist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    /// A playbook exists; the first one's id, to link to its snippet.
    pub playbook: Option<String>,
    /// The widget of some playbook was loaded from a web page (the snippet is pasted).
    pub installed: bool,
    /// The asking user's "Online" toggle is on.
    pub online: bool,
}

/// The signed-in user (None on the login and setup pages), shared by every page.
#[derive(Clone, Copy)]
pub struct Me(pub leptos::prelude::Resource<Result<Option<CurrentUser>, crate::error::AppError>>);
