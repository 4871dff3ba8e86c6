//! Account pages: setup, login, the start page and Users.
mod auth;
mod home;
mod users;

pub use auth::{LoginPage, SetupPage};
pub use home::HomePage;
pub use users::UsersPage;
