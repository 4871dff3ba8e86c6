//! Creating CRM items from a conversation: a person reused by email, an organization reused
//! by name, and the lead, deal or activity linked to the conversation — at most once each.
use crate::backend::entities::{activity, conversation, deal, lead, organization, person};
use crate::chatbot::model::CrmItem;
use crate::error::AppError;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Contact details captured on a conversation (keys of its answers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization: Option<String>,
}

impl Captured {
    pub fn from_answers(answers: &str) -> Self {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(answers).unwrap_or_default();
        let get = |k: &str| {
            map.get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Self {
            name: get("name"),
            email: get("email").map(|e| e.to_lowercase()),
            phone: get("phone"),
            organization: get("organization"),
        }
    }

    /// How the prospect is called in titles.
    fn who(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.clone())
            .or_else(|| self.phone.clone())
            .unwrap_or_else(|| "a website visitor".into())
    }
}

async fn organization_for(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    name: &str,
) -> Result<Uuid, AppError> {
    if let Some(o) = organization::Entity::find()
        .filter(organization::Column::CompanyId.eq(company_id))
        .filter(organization::Column::Name.eq(name))
        .one(txn)
        .await?
    {
        return Ok(o.id);
    }
    Ok(organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company_id),
        name: Set(name.to_string()),
        address: Set(None),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(txn)
    .await?
    .id)
}

/// The person for these details: the company's person with this email if there is one
/// (their missing phone or organization filled in), else a new person. None when nothing
/// identifies anybody.
async fn person_for(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    who: &Captured,
    organization_id: Option<Uuid>,
) -> Result<Option<Uuid>, AppError> {
    if who.name.is_none() && who.email.is_none() && who.phone.is_none() {
        return Ok(None);
    }
    if let Some(email) = &who.email {
        if let Some(p) = person::Entity::find()
            .filter(person::Column::CompanyId.eq(company_id))
            .filter(person::Column::Email.eq(email.as_str()))
            .one(txn)
            .await?
        {
            let id = p.id;
            let mut p: person::ActiveModel = p.into();
            if who.phone.is_some() && p.phone.as_ref().is_none() {
                p.phone = Set(who.phone.clone());
            }
            if organization_id.is_some() && p.organization_id.as_ref().is_none() {
                p.organization_id = Set(organization_id);
            }
            p.update(txn).await?;
            return Ok(Some(id));
        }
    }
    Ok(Some(
        person::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company_id),
            name: Set(who.who()),
            email: Set(who.email.clone()),
            phone: Set(who.phone.clone()),
            organization_id: Set(organization_id),
            created_at: Set(OffsetDateTime::now_utc()),
        }
        .insert(txn)
        .await?
        .id,
    ))
}

fn kind_str(item: CrmItem) -> Option<&'static str> {
    match item {
        CrmItem::Nothing => None,
        CrmItem::Activity => Some("activity"),
        CrmItem::Lead => Some("lead"),
        CrmItem::Deal => Some("deal"),
    }
}

/// Creates `item` from what the conversation captured, in the caller's transaction, unless
/// this conversation already made one. Returns whether it created something.
pub async fn create_from_conversation(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    item: CrmItem,
) -> Result<bool, AppError> {
    let Some(kind) = kind_str(item) else {
        return Ok(false);
    };
    let now = OffsetDateTime::now_utc();
    // The guard: one item per conversation, whoever gets here first.
    let claimed = conversation::Entity::update_many()
        .col_expr(conversation::Column::CrmKind, Expr::value(Some(kind)))
        .col_expr(conversation::Column::CrmCreatedAt, Expr::value(Some(now)))
        .filter(conversation::Column::Id.eq(c.id))
        .filter(conversation::Column::CrmCreatedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(false);
    }
    let who = Captured::from_answers(&c.answers);
    let organization_id = match &who.organization {
        Some(name) => Some(organization_for(txn, c.company_id, name).await?),
        None => None,
    };
    let person_id = person_for(txn, c.company_id, &who, organization_id).await?;
    let id = Uuid::now_v7();
    match item {
        CrmItem::Lead => {
            lead::ActiveModel {
                id: Set(id),
                company_id: Set(c.company_id),
                title: Set(format!("Chat with {}", who.who())),
                person_id: Set(person_id),
                organization_id: Set(organization_id),
                conversation_id: Set(Some(c.id)),
                owner_id: Set(c.assignee_id),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        CrmItem::Deal => {
            deal::ActiveModel {
                id: Set(id),
                company_id: Set(c.company_id),
                title: Set(format!("Chat with {}", who.who())),
                person_id: Set(person_id),
                organization_id: Set(organization_id),
                conversation_id: Set(Some(c.id)),
                owner_id: Set(c.assignee_id),
                value_cents: Set(None),
                currency: Set(None),
                expected_close_date: Set(None),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        CrmItem::Activity => {
            activity::ActiveModel {
                id: Set(id),
                company_id: Set(c.company_id),
                title: Set(format!("Call back {}", who.who())),
                person_id: Set(person_id),
                organization_id: Set(organization_id),
                conversation_id: Set(Some(c.id)),
                owner_id: Set(c.assignee_id),
                kind: Set("call".into()),
                due_date: Set(now.date()),
                done: Set(false),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        CrmItem::Nothing => {}
    }
    tracing::info!(conversation = %c.id, kind, "CRM item created from a conversation");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_details_come_from_the_answers() {
        let c = Captured::from_answers(
            r#"{"name":" Vera ","email":"Vera@Example.com","budget":"big","phone":""}"#,
        );
        assert_eq!(c.name.as_deref(), Some("Vera"));
        assert_eq!(c.email.as_deref(), Some("vera@example.com"));
        assert_eq!(c.phone, None);
        assert_eq!(c.who(), "Vera");
        assert_eq!(
            Captured::from_answers("not json").who(),
            "a website visitor"
        );
    }
}
