//! Who a conversation's details point at: the one rule for finding or making the person and
//! the organization, used by the chatbot's offline flow and by the side panel alike. A person
//! is the company's person with the same email (lower-cased), else with the same phone
//! (E.164); an organization is the company's with the same name (case, spacing and Unicode
//! forms aside). Two servers making the same person at once make one: the loser of the
//! unique race takes the winner's.
use super::fields;
use crate::backend::entities::{organization, person};
use crate::domain::EmailAddress;
use crate::error::AppError;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, SqlErr, TransactionTrait,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// A phone number in E.164 (+6281234567890), parsed in the company's default country when
/// typed without its country code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The number, or a message for the Phone field; None for an empty one.
    pub fn parse(raw: &str, default_country: Option<&str>) -> Result<Option<Self>, String> {
        Ok(fields::phone(raw, default_country)?.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The details that identify a person.
#[derive(Clone, Debug, Default)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    /// A phone that could not be read as a number (captured before the company had a
    /// default country): kept on a new person as typed, never matched on.
    pub phone_as_typed: Option<String>,
}

impl Contact {
    /// How the person is called when nothing better is known.
    pub fn who(&self) -> Option<String> {
        self.name
            .clone()
            .or_else(|| self.email.as_ref().map(|e| e.as_str().to_string()))
            .or_else(|| self.phone.as_ref().map(|p| p.as_str().to_string()))
            .or_else(|| self.phone_as_typed.clone())
    }

    fn phone_text(&self) -> Option<String> {
        self.phone
            .as_ref()
            .map(|p| p.as_str().to_string())
            .or_else(|| self.phone_as_typed.clone())
    }
}

/// The company's people these details point at.
pub enum Found {
    None,
    One(person::Model),
    /// The email is one person's and the phone another's.
    Two {
        by_email: person::Model,
        by_phone: person::Model,
    },
}

/// The company's person with this email, else with this phone (both, when they differ).
pub async fn find(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    contact: &Contact,
) -> Result<Found, AppError> {
    let by_email = match &contact.email {
        Some(e) => by_email(db, company_id, e).await?,
        None => None,
    };
    let by_phone = match &contact.phone {
        Some(p) => {
            person::Entity::find()
                .filter(person::Column::CompanyId.eq(company_id))
                .filter(person::Column::Phone.eq(p.as_str()))
                .one(db)
                .await?
        }
        None => None,
    };
    Ok(match (by_email, by_phone) {
        (Some(e), Some(p)) if e.id != p.id => Found::Two {
            by_email: e,
            by_phone: p,
        },
        (Some(e), _) => Found::One(e),
        (None, Some(p)) => Found::One(p),
        (None, None) => Found::None,
    })
}

async fn by_email(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    email: &EmailAddress,
) -> Result<Option<person::Model>, AppError> {
    Ok(person::Entity::find()
        .filter(person::Column::CompanyId.eq(company_id))
        .filter(person::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// Whether an insert lost a unique race (another transaction made the same row first).
fn lost_race(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Runs `insert` in a savepoint, so a lost unique race leaves the transaction usable (on
/// PostgreSQL a failed statement would abort it); Ok(false) when the race was lost.
async fn insert_once<F, Fut>(txn: &DatabaseTransaction, insert: F) -> Result<bool, AppError>
where
    F: FnOnce(sea_orm::DatabaseTransaction) -> Fut,
    Fut: std::future::Future<Output = (sea_orm::DatabaseTransaction, Result<(), DbErr>)>,
{
    let savepoint = txn.begin().await?;
    let (savepoint, result) = insert(savepoint).await;
    match result {
        Ok(()) => {
            savepoint.commit().await?;
            Ok(true)
        }
        Err(e) if lost_race(&e) => {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// A new person with these details (and no email when someone has it already: an email is
/// one person's). None when nothing identifies anybody.
pub async fn create(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    contact: &Contact,
    organization_id: Option<Uuid>,
) -> Result<Option<Uuid>, AppError> {
    let Some(name) = contact.who() else {
        return Ok(None);
    };
    let email = match &contact.email {
        Some(e) if by_email(txn, company_id, e).await?.is_none() => Some(e.as_str().to_string()),
        _ => None,
    };
    let id = Uuid::now_v7();
    let row = person::ActiveModel {
        id: Set(id),
        company_id: Set(company_id),
        name: Set(name),
        email: Set(email.clone()),
        phone: Set(contact.phone_text()),
        organization_id: Set(organization_id),
        created_at: Set(OffsetDateTime::now_utc()),
    };
    let made = insert_once(txn, |sp| async move {
        let r = person::Entity::insert(row).exec(&sp).await.map(|_| ());
        (sp, r)
    })
    .await?;
    if made {
        return Ok(Some(id));
    }
    // The email was taken meanwhile by another server's new person: that one is them.
    match &contact.email {
        Some(e) => Ok(by_email(txn, company_id, e).await?.map(|p| p.id)),
        None => Err(AppError::Internal),
    }
}

/// The person these details point at, their missing phone and organization filled in, or a
/// new one. When the email and the phone belong to two people, `on_two` decides: the
/// chatbot takes the email's, the side panel asks the agent.
pub async fn resolve(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    contact: &Contact,
    organization_id: Option<Uuid>,
    on_two: OnTwo,
) -> Result<Option<Uuid>, AppError> {
    let found = match find(txn, company_id, contact).await? {
        Found::None => return create(txn, company_id, contact, organization_id).await,
        Found::One(p) => p,
        Found::Two { by_email, .. } if on_two == OnTwo::TakeTheEmails => by_email,
        Found::Two { .. } => {
            return Err(AppError::validation(
                "person",
                "The email and the phone belong to two different people. Choose \"Create a \
                 new person\", or change the email or the phone.",
            ))
        }
    };
    let id = found.id;
    let phone = contact.phone_text();
    if (phone.is_some() && found.phone.is_none())
        || (organization_id.is_some() && found.organization_id.is_none())
    {
        let mut p: person::ActiveModel = found.clone().into();
        if found.phone.is_none() && phone.is_some() {
            p.phone = Set(phone);
        }
        if found.organization_id.is_none() && organization_id.is_some() {
            p.organization_id = Set(organization_id);
        }
        p.update(txn).await?;
    }
    Ok(Some(id))
}

/// What `resolve` does when the email and the phone point at two people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTwo {
    TakeTheEmails,
    Refuse,
}

/// The company's organization with this name (case, spacing and Unicode forms aside), its
/// missing address filled in, or a new one.
pub async fn organization(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    name: &str,
    address: Option<&str>,
) -> Result<Uuid, AppError> {
    let key = fields::organization_key(name);
    let find = || {
        organization::Entity::find()
            .filter(organization::Column::CompanyId.eq(company_id))
            .filter(organization::Column::NameKey.eq(key.clone()))
            .one(txn)
    };
    if let Some(o) = find().await? {
        if o.address.is_none() && address.is_some() {
            let mut o: organization::ActiveModel = o.clone().into();
            o.address = Set(address.map(str::to_string));
            o.update(txn).await?;
        }
        return Ok(o.id);
    }
    let id = Uuid::now_v7();
    let row = organization::ActiveModel {
        id: Set(id),
        company_id: Set(company_id),
        name: Set(name.to_string()),
        address: Set(address.map(str::to_string)),
        created_at: Set(OffsetDateTime::now_utc()),
        name_key: Set(Some(key.clone())),
    };
    let made = insert_once(txn, |sp| async move {
        let r = organization::Entity::insert(row)
            .exec(&sp)
            .await
            .map(|_| ());
        (sp, r)
    })
    .await?;
    if made {
        return Ok(id);
    }
    find().await?.map(|o| o.id).ok_or(AppError::Internal)
}
