//! Chatbot playbooks (F1): the card model, rich text, images, and (soon) the editor.
pub mod images;
pub mod model;
#[cfg(feature = "ssr")]
pub mod sanitize;
