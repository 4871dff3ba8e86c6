//! CRM server functions (F4.3). Each checks who is asking; the service scopes every query
//! to their company.
use super::{CrmKind, CrmPage, PanelView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::service;
#[cfg(feature = "ssr")]
use crate::backend::authz;

/// A page of the Leads, Deals or Activities list: `search` in titles, people, emails and
/// organizations; `sort` "created" or "value" ("due" or "created" for activities); `owner`
/// "" (anyone), "me" or a user id; `page` from 0.
#[server(prefix = "/api", endpoint = "crm/list")]
pub async fn list_crm(
    kind: CrmKind,
    search: String,
    sort: String,
    owner: String,
    page: u32,
) -> Result<CrmPage, AppError> {
    let (state, actor) = authz::ctx().await?;
    let query = service::ListQuery {
        search,
        sort,
        owner,
        page,
    };
    service::list(&state.db, &actor, kind, &query).await
}

/// The side panel of a conversation the user may see (F4.1).
#[server(prefix = "/api", endpoint = "crm/panel")]
pub async fn get_panel(id: String) -> Result<PanelView, AppError> {
    let (state, actor) = authz::ctx().await?;
    super::panel::get(&state.db, &actor, &id).await
}

/// Saves one panel field typed over `version` (F4.1, F4.4).
#[server(prefix = "/api", endpoint = "crm/panel/save")]
pub async fn save_panel_field(
    id: String,
    field: String,
    value: String,
    version: i32,
) -> Result<PanelView, AppError> {
    let (state, actor) = authz::ctx().await?;
    super::panel::save(&state.db, &actor, &id, &field, &value, version).await
}

/// "Create lead" / "Create deal" from the panel (F4.2); `kind` is "lead" or "deal";
/// `new_person` ("on" or absent) never reuses an existing person.
#[server(prefix = "/api", endpoint = "crm/create")]
pub async fn create_from_panel(
    id: String,
    kind: String,
    #[server(default)] title: String,
    #[server(default)] new_person: Option<String>,
) -> Result<PanelView, AppError> {
    let (state, actor) = authz::ctx().await?;
    let item = match kind.as_str() {
        "lead" => super::panel::NewItem::Lead,
        "deal" => super::panel::NewItem::Deal,
        _ => return Err(AppError::validation("kind", "Create a lead or a deal.")),
    };
    super::panel::create(&state.db, &actor, &id, item, &title, new_person.is_some()).await
}

/// "Convert to deal" on the Leads page; answers the deal's id.
#[server(prefix = "/api", endpoint = "crm/convert")]
pub async fn convert_lead(id: String) -> Result<String, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::convert_lead(&state.db, &actor, &id).await
}

/// "Mark as done" on the Activities page.
#[server(prefix = "/api", endpoint = "crm/activity/done")]
pub async fn mark_activity_done(id: String) -> Result<(), AppError> {
    let (state, actor) = authz::ctx().await?;
    service::mark_done(&state.db, &actor, &id).await
}

/// "Mark as won" / "Mark as lost" on the Deals page; `status` is "open", "won" or "lost".
#[server(prefix = "/api", endpoint = "crm/deal/status")]
pub async fn set_deal_status(id: String, status: String) -> Result<(), AppError> {
    let (state, actor) = authz::ctx().await?;
    service::set_deal_status(&state.db, &actor, &id, &status).await
}

/// "Delete" on the Leads or Deals page: the owner or an admin only.
#[server(prefix = "/api", endpoint = "crm/delete")]
pub async fn delete_crm_item(kind: CrmKind, id: String) -> Result<(), AppError> {
    let (state, actor) = authz::ctx().await?;
    service::delete(&state.db, &actor, kind, &id).await
}

/// "Add activity" in the side panel: `kind` is call, meeting, task, deadline or email;
/// `due_date` YYYY-MM-DD, `due_time` HH:MM or empty.
#[server(prefix = "/api", endpoint = "crm/activity/add")]
pub async fn add_activity(
    id: String,
    subject: String,
    kind: String,
    due_date: String,
    #[server(default)] due_time: String,
) -> Result<PanelView, AppError> {
    let (state, actor) = authz::ctx().await?;
    super::panel::add_activity(
        &state.db, &actor, &id, &subject, &kind, &due_date, &due_time,
    )
    .await
}
