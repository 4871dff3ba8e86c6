//! Chatbot pages: the playbook list and the playbook editor (its flow of cards and the
//! widget preview).
mod editor;
mod flow;
mod list;
mod preview;
mod rich_text;

pub use editor::PlaybookEditorPage;
pub use list::ChatbotPage;
