//! The CRM side (F1.8, F4): people, organizations, and the leads, deals and activities made
//! from conversations.
#[cfg(feature = "ssr")]
pub mod service;
