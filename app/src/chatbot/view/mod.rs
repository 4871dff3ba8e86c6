//! Chatbot pages: the playbook list and the playbook editor.
mod editor;
mod list;
mod rich_text;

pub use editor::PlaybookEditorPage;
pub use list::ChatbotPage;
