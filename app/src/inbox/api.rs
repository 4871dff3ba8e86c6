//! Agent server functions (F3): presence, folders, a conversation, and every action on it.
//! Each one checks who is asking; F3.5 is enforced in the service beneath.
use super::{Assignee, ConversationDetail, ConversationSummary, Folder, FolderCounts};
use crate::conversation::{ConversationView, MessageView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::service;
#[cfg(feature = "ssr")]
use crate::backend::authz;
#[cfg(feature = "ssr")]
use crate::conversation::{engine, messages, presence};

/// The "Online" toggle (F3.1); on also starts the presence lease.
#[server(prefix = "/api", endpoint = "inbox/online")]
pub async fn set_online(online: bool) -> Result<bool, AppError> {
    let (state, actor) = authz::ctx().await?;
    presence::set_online(&state.db, &actor, online, time::OffsetDateTime::now_utc()).await?;
    Ok(online)
}

/// Whether this user's "Online" toggle is on (it survives a reload).
#[server(prefix = "/api", endpoint = "inbox/status")]
pub async fn online_status() -> Result<bool, AppError> {
    let (state, actor) = authz::ctx().await?;
    presence::is_toggled_on(&state.db, &actor).await
}

/// Where a tab's event stream starts (`/api/events?after=`): the company's newest event
/// before the page read its folder and conversation, so nothing that happens while the page
/// loads and hydrates is missed (it comes again, at worst, and is taken once).
#[server(prefix = "/api", endpoint = "inbox/cursor")]
pub async fn events_cursor() -> Result<i64, AppError> {
    let (state, actor) = authz::ctx().await?;
    crate::conversation::feed::newest(
        &state.db,
        crate::conversation::feed::Scope::Company(actor.company_id),
    )
    .await
}

/// A folder's conversations, newest first; `before` pages on.
#[server(prefix = "/api", endpoint = "inbox/list")]
pub async fn list_conversations(
    folder: Folder,
    before: Option<String>,
) -> Result<Vec<ConversationSummary>, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::list(&state.db, &actor, folder, before.as_deref()).await
}

#[server(prefix = "/api", endpoint = "inbox/counts")]
pub async fn get_folder_counts() -> Result<FolderCounts, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::counts(&state.db, &actor).await
}

/// An opened conversation: transcript, page, captured details (F3.3).
#[server(prefix = "/api", endpoint = "inbox/conversation")]
pub async fn get_conversation(id: String) -> Result<ConversationDetail, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::detail(&state.db, &actor, &id).await
}

/// "Assign to me".
#[server(prefix = "/api", endpoint = "inbox/assign")]
pub async fn assign_to_me(id: String) -> Result<ConversationView, AppError> {
    let (state, actor) = authz::ctx().await?;
    let c = engine::assign_to_me(&state.db, &actor, &id).await?;
    engine::view(&state.db, &c).await
}

/// The top-right dropdown: to another user, or to nobody (`to` empty: "Unassigned").
#[server(prefix = "/api", endpoint = "inbox/reassign")]
pub async fn reassign(id: String, to: Option<String>) -> Result<ConversationView, AppError> {
    let (state, actor) = authz::ctx().await?;
    let to = to.filter(|t| !t.is_empty());
    let c = engine::reassign(&state.db, &actor, &id, to.as_deref()).await?;
    engine::view(&state.db, &c).await
}

/// A reply; `client_id` makes a retry store it once (R1).
#[server(prefix = "/api", endpoint = "inbox/send")]
pub async fn send_message(
    id: String,
    body: String,
    client_id: Option<String>,
) -> Result<MessageView, AppError> {
    let (state, actor) = authz::ctx().await?;
    let (m, _) = messages::send(
        &state.writer,
        &id,
        messages::Sender::Agent(&actor),
        &body,
        client_id.as_deref(),
    )
    .await?;
    Ok((&m).into())
}

/// "Close conversation" (F3.7): for good.
#[server(prefix = "/api", endpoint = "inbox/close")]
pub async fn close_conversation(id: String) -> Result<ConversationView, AppError> {
    let (state, actor) = authz::ctx().await?;
    let c = engine::close(&state.db, &actor, &id).await?;
    engine::view(&state.db, &c).await
}

/// Who a conversation can be handed to.
#[server(prefix = "/api", endpoint = "inbox/assignees")]
pub async fn list_assignees() -> Result<Vec<Assignee>, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::assignees(&state.db, &actor).await
}
