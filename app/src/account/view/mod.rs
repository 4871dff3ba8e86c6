//! Account pages: setup, login, the start page, Users and My settings.
mod auth;
mod home;
mod my_settings;
mod users;

pub use auth::{LoginPage, SetupPage};
pub use home::HomePage;
pub use my_settings::MySettingsPage;
pub use users::UsersPage;
