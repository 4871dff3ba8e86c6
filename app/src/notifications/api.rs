//! Notification server functions: a user's own settings, the company's switches (admins),
//! and whether Live Chat is configured (the inbox's permission bar, F5.1).
use super::{MyNotifications, NotifyKind, Switches};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{authz, state::app_state};

/// The signed-in user's notification settings, with what the company allows.
#[server(prefix = "/api", endpoint = "notifications/mine")]
pub async fn get_my_notifications() -> Result<MyNotifications, AppError> {
    let (state, actor) = authz::ctx().await?;
    super::service::mine(&state.db, &actor).await
}

/// The user turns one kind on or off for themselves.
#[server(prefix = "/api", endpoint = "notifications/mine/switch")]
pub async fn set_my_notification(kind: NotifyKind, on: bool) -> Result<MyNotifications, AppError> {
    let (state, actor) = authz::ctx().await?;
    let change = super::service::MyChange::Switch(kind, on);
    super::service::set_mine(&state.db, &actor, change).await
}

/// The user chooses the sound of a notification in a tab that is not focused.
#[server(prefix = "/api", endpoint = "notifications/mine/sound")]
pub async fn set_my_sound(sound: String) -> Result<MyNotifications, AppError> {
    let (state, actor) = authz::ctx().await?;
    let change = super::service::MyChange::Sound(sound);
    super::service::set_mine(&state.db, &actor, change).await
}

/// An admin turns one kind on or off for the whole company.
#[server(prefix = "/api", endpoint = "settings/company/notifications/switch")]
pub async fn set_company_notification(kind: NotifyKind, on: bool) -> Result<Switches, AppError> {
    let actor = authz::admin().await?;
    super::service::set_company(&app_state()?.db, &actor, kind, on).await
}

/// F5.1: whether the inbox offers desktop notifications yet.
#[server(prefix = "/api", endpoint = "notifications/configured")]
pub async fn live_chat_configured() -> Result<bool, AppError> {
    let (state, actor) = authz::ctx().await?;
    super::service::live_chat_configured(&state.db, &actor).await
}
