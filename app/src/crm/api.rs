//! CRM server functions (F4.3). Each checks who is asking; the service scopes every query
//! to their company.
use super::{CrmKind, CrmPage};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::service;
#[cfg(feature = "ssr")]
use crate::backend::{
    authz,
    state::{app_state, reply},
};

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
    reply(
        async {
            let actor = authz::actor().await?;
            let state = app_state()?;
            let query = service::ListQuery {
                search,
                sort,
                owner,
                page,
            };
            service::list(&state.db, &actor, kind, &query).await
        }
        .await,
    )
}
