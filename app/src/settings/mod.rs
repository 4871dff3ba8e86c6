//! Company settings (admins only): the default country phone numbers are read in (F4.1);
//! the notification switches (F5.3) join them here.
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

/// What the Company settings page shows and saves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySettings {
    pub company_name: String,
    /// ISO 3166 alpha-2, or empty: phone numbers must then carry their country code.
    pub default_country: String,
    /// (alpha-2 code, name) of every country, by name.
    pub countries: Vec<(String, String)>,
    /// Notification kinds on for the company (F5.3).
    #[serde(default)]
    pub notifications: crate::notifications::Switches,
}
