//! tower-sessions store over the application's own database connection (one pool, one schema).
//!
//! `save` only updates: a session deleted at logout or deactivation cannot be brought back by a
//! request that was still in flight. `create` inserts, retrying on an id collision.
use super::entities::session;
use async_trait::async_trait;
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{Error, Result},
    SessionStore,
};
use uuid::Uuid;

/// The session key that holds the signed-in user's id.
pub const USER_KEY: &str = "user_id";

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

fn backend(e: DbErr) -> Error {
    Error::Backend(e.to_string())
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    fn columns(record: &Record) -> Result<(Option<Uuid>, String)> {
        let user_id = record
            .data
            .get(USER_KEY)
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok());
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        Ok((user_id, data))
    }

    /// Removes expired sessions; run now and then by a background task.
    pub async fn delete_expired(&self) -> std::result::Result<u64, DbErr> {
        let r = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(OffsetDateTime::now_utc()))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected)
    }
}

/// Ends every session of `user_id` at once (deactivation, password change).
pub async fn delete_user_sessions(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
) -> std::result::Result<u64, DbErr> {
    let r = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            let (user_id, data) = Self::columns(record)?;
            let row = session::ActiveModel {
                id: Set(record.id.to_string()),
                user_id: Set(user_id),
                data: Set(data),
                expires_at: Set(record.expiry_date),
            };
            match session::Entity::insert(row).exec(&self.db).await {
                Ok(_) => return Ok(()),
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let (user_id, data) = Self::columns(record)?;
        session::Entity::update_many()
            .col_expr(session::Column::UserId, Expr::value(user_id))
            .col_expr(session::Column::Data, Expr::value(data))
            .col_expr(session::Column::ExpiresAt, Expr::value(record.expiry_date))
            .filter(session::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: row.expires_at,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        session::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
