//! Reading and saving a company's settings.
use super::CompanySettings;
use crate::backend::actor::Actor;
use crate::backend::entities::company;
use crate::error::AppError;
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// Every ISO 3166 country a phone number can belong to: (alpha-2, name), by name.
fn countries() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = iso_country::data::all()
        .into_iter()
        .filter(|c| c.alpha2.parse::<phonenumber::country::Id>().is_ok())
        // The names carry the standard's footnote marks ("Taiwan, Province of China[a]").
        .map(|c| {
            let name = c.name.split('[').next().unwrap_or(c.name).trim_end();
            (c.alpha2.to_string(), name.to_string())
        })
        .collect();
    all.sort_by(|a, b| a.1.cmp(&b.1));
    all
}

/// The code as stored, when it names a country with phone numbers; empty is None.
pub fn parse_country(raw: &str) -> Result<Option<String>, AppError> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() {
        return Ok(None);
    }
    if countries().iter().any(|(c, _)| *c == code) {
        Ok(Some(code))
    } else {
        Err(AppError::validation(
            "default_country",
            "Default country: choose a country from the list.",
        ))
    }
}

pub async fn get(db: &DatabaseConnection, actor: &Actor) -> Result<CompanySettings, AppError> {
    let c = company::Entity::find_by_id(actor.company_id)
        .one(db)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(CompanySettings {
        company_name: c.name,
        default_country: c.default_country.unwrap_or_default(),
        countries: countries(),
        notifications: crate::notifications::Switches {
            new_conversation: c.notify_new_conversation,
            assigned: c.notify_assigned,
            message: c.notify_message,
        },
    })
}

pub async fn save(
    db: &DatabaseConnection,
    actor: &Actor,
    default_country: &str,
    company_name: Option<&str>,
) -> Result<CompanySettings, AppError> {
    actor.require_admin()?;
    let code = parse_country(default_country)?;
    let name = company_name
        .map(|n| crate::domain::Name::parse(n).map_err(|m| AppError::validation("company_name", m)))
        .transpose()?;
    let mut update = company::Entity::update_many()
        .col_expr(company::Column::DefaultCountry, Expr::value(code.clone()))
        .filter(company::Column::Id.eq(actor.company_id));
    if let Some(name) = &name {
        update = update.col_expr(company::Column::Name, Expr::value(name.as_str()));
    }
    update.exec(db).await?;
    tracing::info!(company = %actor.company_id, country = ?code, by = %actor.user_id, "default country set");
    get(db, actor).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn country_names_are_plain_names() {
        let all = super::countries();
        assert!(all.len() > 200);
        assert!(
            all.iter().all(|(_, n)| !n.contains('[') && !n.is_empty()),
            "a footnote mark"
        );
        assert!(all
            .iter()
            .any(|(c, n)| c == "TW" && n == "Taiwan, Province of China"));
        assert!(all.iter().any(|(c, n)| c == "ID" && n == "Indonesia"));
    }
}
