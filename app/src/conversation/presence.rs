//! Presence (F3.1): a user is online while their "Online" toggle is on *and* their inbox
//! holds a live lease, renewed by heartbeat. A closed laptop stops renewing, so the company
//! does not stay "online" forever.
use crate::backend::actor::Actor;
use crate::backend::entities::presence;
use crate::error::AppError;
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use time::{Duration, OffsetDateTime};

/// How long one heartbeat keeps a user online.
pub const LEASE: Duration = Duration::seconds(45);

/// Turns the "Online" toggle on or off; turning it on also starts a lease.
pub async fn set_online(
    db: &DatabaseConnection,
    actor: &Actor,
    online: bool,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let row = presence::ActiveModel {
        user_id: Set(actor.user_id),
        company_id: Set(actor.company_id),
        online: Set(online),
        lease_until: Set(online.then_some(now + LEASE)),
        focused_until: Set(None),
    };
    let txn = crate::backend::db::write_txn(db).await?;
    presence::Entity::insert(row)
        .on_conflict(
            OnConflict::column(presence::Column::UserId)
                .update_columns([presence::Column::Online, presence::Column::LeaseUntil])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    // Open streams learn it at once: only online users hear of new conversations (F5.2).
    let change = super::EventPayload::Presence {
        user_id: actor.user_id.to_string(),
        online,
    };
    super::engine::write_event(&txn, actor.company_id, None, &change).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    Ok(())
}

/// The toggle's saved state (it survives a reload).
pub async fn is_toggled_on(db: &DatabaseConnection, actor: &Actor) -> Result<bool, AppError> {
    Ok(presence::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .is_some_and(|p| p.online))
}

/// Renews the lease of a user whose toggle is on (sent by their open inbox).
pub async fn heartbeat(
    db: &DatabaseConnection,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    presence::Entity::update_many()
        .col_expr(
            presence::Column::LeaseUntil,
            sea_orm::sea_query::Expr::value(Some(now + LEASE)),
        )
        .filter(presence::Column::UserId.eq(actor.user_id))
        .filter(presence::Column::Online.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

/// How long one "in front" report of an inbox tab holds (the tab renews it while in front).
pub const FOCUS: Duration = Duration::seconds(60);

/// One of the user's inbox tabs came to the front (or left it): no Web Push while one is.
pub async fn set_focused(
    db: &DatabaseConnection,
    actor: &Actor,
    focused: bool,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let row = presence::ActiveModel {
        user_id: Set(actor.user_id),
        company_id: Set(actor.company_id),
        online: Set(false),
        lease_until: Set(None),
        focused_until: Set(focused.then_some(now + FOCUS)),
    };
    presence::Entity::insert(row)
        .on_conflict(
            OnConflict::column(presence::Column::UserId)
                .update_columns([presence::Column::FocusedUntil])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Whether anyone of the company can take a new conversation now.
pub async fn anyone_online(
    db: &DatabaseConnection,
    company_id: uuid::Uuid,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    Ok(presence::Entity::find()
        .filter(presence::Column::CompanyId.eq(company_id))
        .filter(presence::Column::Online.eq(true))
        .filter(presence::Column::LeaseUntil.gt(now))
        .count(db)
        .await?
        > 0)
}
