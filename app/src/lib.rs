//! The Leadline application: pages, server functions and the rules behind them.
#![recursion_limit = "256"]

pub mod account;
pub mod chatbot;
pub mod conversation;
pub mod crm;
pub mod domain;
pub mod error;
pub mod inbox;
pub mod notifications;
pub mod settings;
pub mod ui;
pub mod widget;

#[cfg(feature = "ssr")]
pub mod backend;

pub use error::AppError;
pub use ui::shell::{shell, App};
