//! The account rules, on a database connection: setup, authentication, user administration.
use super::{Role, UserRow, BAD_LOGIN};
use crate::backend::actor::Actor;
use crate::backend::entities::{company, installation, user};
use crate::backend::errors::unique_or_internal;
use crate::backend::passwords::Passwords;
use crate::backend::sessions::delete_user_sessions;
use crate::domain::{EmailAddress, Name, NewPassword};
use crate::error::AppError;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

pub const ALREADY_SET_UP: &str = "Leadline is already set up. Log in instead.";

/// What the setup page (or `leadline setup`) asks for.
#[derive(Debug)]
pub struct Setup {
    pub company_name: Name,
    pub admin_name: Name,
    pub email: EmailAddress,
    pub password: NewPassword,
}

/// A user an admin adds.
#[derive(Debug)]
pub struct NewUser {
    pub name: Name,
    pub email: EmailAddress,
    pub password: NewPassword,
    pub role: Role,
    pub can_manage_chatbot: bool,
}

pub async fn is_installed(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    Ok(installation::Entity::find().count(db).await? > 0)
}

fn email_taken() -> AppError {
    AppError::validation("email", "A user with this email already exists.")
}

/// Creates the company and its first admin, once. A second call is refused even when two race.
pub async fn setup(
    db: &DatabaseConnection,
    passwords: &Passwords,
    input: Setup,
) -> Result<user::Model, AppError> {
    if is_installed(db).await? {
        return Err(AppError::Conflict(ALREADY_SET_UP.into()));
    }
    let password_hash = passwords.hash(input.password.expose()).await?;
    let now = OffsetDateTime::now_utc();
    let company_id = Uuid::now_v7();
    let txn = crate::backend::db::write_txn(db).await?;
    company::ActiveModel {
        id: Set(company_id),
        name: Set(input.company_name.to_string()),
        created_at: Set(now),
        default_country: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    installation::ActiveModel {
        id: Set(1),
        company_id: Set(company_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_or_internal(e, AppError::Conflict(ALREADY_SET_UP.into())))?;
    let admin = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company_id),
        email: Set(input.email.to_string()),
        name: Set(input.admin_name.to_string()),
        password_hash: Set(password_hash),
        role: Set(Role::Admin.as_str().into()),
        can_manage_chatbot: Set(true),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_or_internal(e, email_taken()))?;
    txn.commit().await?;
    tracing::info!(company = %company_id, "company set up");
    Ok(admin)
}

/// The active user with this email and password. Unknown emails cost the same hashing work,
/// and every failure gets the same message.
pub async fn authenticate(
    db: &DatabaseConnection,
    passwords: &Passwords,
    email: &str,
    password: &str,
) -> Result<user::Model, AppError> {
    let bad = || AppError::validation("password", BAD_LOGIN);
    let found = match EmailAddress::parse(email) {
        Ok(email) => {
            user::Entity::find()
                .filter(user::Column::Email.eq(email.as_str()))
                .one(db)
                .await?
        }
        Err(_) => None,
    };
    let ok = passwords
        .verify(password, found.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    match found {
        Some(u) if ok && u.active => Ok(u),
        _ => Err(bad()),
    }
}

pub async fn company_name(db: &DatabaseConnection, company_id: Uuid) -> Result<String, AppError> {
    Ok(company::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default())
}

impl From<user::Model> for UserRow {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id.to_string(),
            role: Role::from_db(&u.role),
            name: u.name,
            email: u.email,
            can_manage_chatbot: u.can_manage_chatbot,
            active: u.active,
        }
    }
}

pub async fn list_users(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<UserRow>, AppError> {
    actor.require_admin()?;
    Ok(user::Entity::find()
        .filter(user::Column::CompanyId.eq(actor.company_id))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(UserRow::from)
        .collect())
}

pub async fn add_user(
    db: &DatabaseConnection,
    passwords: &Passwords,
    actor: &Actor,
    input: NewUser,
) -> Result<UserRow, AppError> {
    actor.require_admin()?;
    let exists = user::Entity::find()
        .filter(user::Column::Email.eq(input.email.as_str()))
        .count(db)
        .await?
        > 0;
    if exists {
        return Err(email_taken());
    }
    let password_hash = passwords.hash(input.password.expose()).await?;
    let created = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(actor.company_id),
        email: Set(input.email.to_string()),
        name: Set(input.name.to_string()),
        password_hash: Set(password_hash),
        role: Set(input.role.as_str().into()),
        can_manage_chatbot: Set(input.can_manage_chatbot),
        active: Set(true),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| unique_or_internal(e, email_taken()))?;
    tracing::info!(user = %created.id, by = %actor.user_id, "user added");
    Ok(created.into())
}

/// A user of the actor's company, or `NotFound` (never another company's).
async fn company_user(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: &str,
) -> Result<user::Model, AppError> {
    let not_found = || AppError::NotFound("This user does not exist.".into());
    let id = Uuid::parse_str(user_id).map_err(|_| not_found())?;
    match user::Entity::find_by_id(id).one(db).await? {
        Some(u) if u.company_id == actor.company_id => Ok(u),
        _ => Err(not_found()),
    }
}

/// Changes a user's role and chatbot permission. Admins cannot change their own role, so a
/// company always keeps an admin.
pub async fn update_user(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: &str,
    role: Role,
    can_manage_chatbot: bool,
) -> Result<UserRow, AppError> {
    actor.require_admin()?;
    let target = company_user(db, actor, user_id).await?;
    if target.id == actor.user_id && role != Role::Admin {
        return Err(AppError::validation(
            "role",
            "You cannot remove your own admin role.",
        ));
    }
    let mut row: user::ActiveModel = target.into();
    row.role = Set(role.as_str().into());
    row.can_manage_chatbot = Set(can_manage_chatbot);
    let updated = row.update(db).await?;
    Ok(updated.into())
}

/// Deactivates (ending every session at once) or reactivates a user.
pub async fn set_active(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: &str,
    active: bool,
) -> Result<UserRow, AppError> {
    actor.require_admin()?;
    let target = company_user(db, actor, user_id).await?;
    if target.id == actor.user_id && !active {
        return Err(AppError::forbidden("You cannot deactivate yourself."));
    }
    let txn = crate::backend::db::write_txn(db).await?;
    let mut row: user::ActiveModel = target.into();
    row.active = Set(active);
    let updated = row.update(&txn).await?;
    if !active {
        delete_user_sessions(&txn, updated.id).await?;
        // Their browsers are told nothing more (F5).
        crate::notifications::push::forget_user(&txn, updated.id).await?;
    }
    // Their open event streams end at once, on every server.
    let change = crate::conversation::EventPayload::User {
        user_id: updated.id.to_string(),
        active,
    };
    crate::conversation::engine::write_event(&txn, updated.company_id, None, &change).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    tracing::info!(user = %updated.id, active, by = %actor.user_id, "user activity changed");
    Ok(updated.into())
}

/// The home page's first steps for this user: a playbook, its snippet on a site, "Online".
pub async fn checklist(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<super::Checklist, AppError> {
    use crate::backend::entities::playbook;
    use sea_orm::QuerySelect;
    let first = playbook::Entity::find()
        .filter(playbook::Column::CompanyId.eq(actor.company_id))
        .order_by_asc(playbook::Column::CreatedAt)
        .one(db)
        .await?;
    let installed = playbook::Entity::find()
        .filter(playbook::Column::CompanyId.eq(actor.company_id))
        .filter(playbook::Column::LastLoadedAt.is_not_null())
        .limit(1)
        .one(db)
        .await?
        .is_some();
    Ok(super::Checklist {
        playbook: first.map(|p| p.id.to_string()),
        installed,
        online: crate::conversation::presence::is_toggled_on(db, actor).await?,
    })
}

/// The user changes their own password, giving the current one first (R5). Every session of
/// theirs ends; the caller signs this browser in again.
pub async fn change_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    actor: &Actor,
    current: &str,
    new: NewPassword,
) -> Result<(), AppError> {
    let u = user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !passwords.verify(current, Some(&u.password_hash)).await? {
        return Err(AppError::validation(
            "current_password",
            "The current password is not right.",
        ));
    }
    replace_password(db, passwords, u, new).await?;
    tracing::info!(user = %actor.user_id, "password changed");
    Ok(())
}

/// An admin sets a new password for a user of the company; every session of theirs ends.
pub async fn set_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    actor: &Actor,
    user_id: &str,
    new: NewPassword,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let target = company_user(db, actor, user_id).await?;
    let id = target.id;
    replace_password(db, passwords, target, new).await?;
    tracing::info!(user = %id, by = %actor.user_id, "password set by an admin");
    Ok(())
}

async fn replace_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    u: user::Model,
    new: NewPassword,
) -> Result<(), AppError> {
    let hash = passwords.hash(new.expose()).await?;
    let txn = crate::backend::db::write_txn(db).await?;
    let mut row: user::ActiveModel = u.into();
    row.password_hash = Set(hash);
    let updated = row.update(&txn).await?;
    delete_user_sessions(&txn, updated.id).await?;
    write_signed_out(&txn, updated.company_id, updated.id).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    Ok(())
}

/// "Log out everywhere": every session of the user ends, this one included.
pub async fn log_out_everywhere(db: &DatabaseConnection, actor: &Actor) -> Result<(), AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    let ended = delete_user_sessions(&txn, actor.user_id).await?;
    write_signed_out(&txn, actor.company_id, actor.user_id).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    tracing::info!(user = %actor.user_id, sessions = ended, "logged out everywhere");
    Ok(())
}

/// After a logout (its session already gone): the user's open event streams, on every
/// server, check their sessions now rather than at their next heartbeat.
pub async fn signed_out(db: &DatabaseConnection, actor: &Actor) -> Result<(), AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    write_signed_out(&txn, actor.company_id, actor.user_id).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    Ok(())
}

async fn write_signed_out(
    txn: &sea_orm::DatabaseTransaction,
    company_id: uuid::Uuid,
    user_id: uuid::Uuid,
) -> Result<(), AppError> {
    let change = crate::conversation::EventPayload::SignedOut {
        user_id: user_id.to_string(),
    };
    crate::conversation::engine::write_event(txn, company_id, None, &change).await?;
    Ok(())
}
