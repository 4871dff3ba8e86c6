//! Shared components: the app shell and layout, form fields, page states, local times and
//! message text with links.
pub mod forms;
pub mod guard;
pub mod layout;
pub mod shell;
pub mod states;
pub mod text;
pub mod time;

/// Loads `path` as a full page (after login, logout, setup), so every part of the page
/// reflects the new session. Does nothing during server rendering.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
