//! Playbook server functions: who is asking, may they, parse, call the service, answer.
use super::model::{Card, PlaybookSettings};
use super::{PlaybookDetail, PlaybookSummary};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::{
    backend::{authz, state::request_origin},
    chatbot::{sanitize::sanitize, service, snippet, Template},
    error::field,
};

/// Every playbook of the company (any signed-in user may look).
#[server(prefix = "/api", endpoint = "playbooks/list")]
pub async fn list_playbooks() -> Result<Vec<PlaybookSummary>, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::list(&state.db, &actor).await
}

/// "Add playbook": `template` is "blank" or "live_chat". Returns the new id.
#[server(prefix = "/api", endpoint = "playbooks/create")]
pub async fn create_playbook(template: String) -> Result<String, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::require_editor(&actor)?;
    let template = field("template", Template::parse(&template))?;
    service::create(&state.db, &actor, template).await
}

#[server(prefix = "/api", endpoint = "playbooks/get")]
pub async fn get_playbook(id: String) -> Result<PlaybookDetail, AppError> {
    let (state, actor) = authz::ctx().await?;
    let mut detail = service::get(&state.db, &actor, &id).await?;
    detail.snippet = snippet(&request_origin(&state), &detail.key);
    Ok(detail)
}

/// "Save": settings and the whole flow, all or nothing, if `version` is still current.
#[server(prefix = "/api", endpoint = "playbooks/save", input = Json)]
pub async fn save_playbook(
    id: String,
    version: i64,
    settings: PlaybookSettings,
    cards: Vec<Card>,
) -> Result<PlaybookDetail, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::require_editor(&actor)?;
    let mut detail = service::save(&state.db, &actor, &id, version, settings, cards).await?;
    detail.snippet = snippet(&request_origin(&state), &detail.key);
    Ok(detail)
}

#[server(prefix = "/api", endpoint = "playbooks/delete")]
pub async fn delete_playbook(id: String) -> Result<(), AppError> {
    let (state, actor) = authz::ctx().await?;
    service::require_editor(&actor)?;
    service::delete(&state.db, &actor, &id).await
}

/// The sanitized HTML of a message, as the widget will show it (the editor's live preview).
#[server(prefix = "/api", endpoint = "playbooks/preview", input = Json)]
pub async fn preview_rich_text(html: String) -> Result<String, AppError> {
    let actor = authz::actor().await?;
    service::require_editor(&actor)?;
    if html.chars().count() > super::model::MAX_MESSAGE_CHARS * 4 {
        return Err(AppError::validation("text", "This message is too long."));
    }
    Ok(sanitize(&html))
}
