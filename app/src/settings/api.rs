//! Company settings server functions: admins only; the service scopes to their company.
use super::CompanySettings;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{authz, state::app_state};

/// The Company settings page.
#[server(prefix = "/api", endpoint = "settings/company")]
pub async fn get_company_settings() -> Result<CompanySettings, AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    super::service::get(&state.db, &actor).await
}

/// "Save" on Company settings: `default_country` is an ISO 3166 alpha-2 code or empty;
/// `company_name`, when given, renames the company.
#[server(prefix = "/api", endpoint = "settings/company/save")]
pub async fn save_company_settings(
    default_country: String,
    #[server(default)] company_name: Option<String>,
) -> Result<CompanySettings, AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    super::service::save(&state.db, &actor, &default_country, company_name.as_deref()).await
}
