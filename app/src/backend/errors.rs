//! Turning database failures into the wire error: logged with their cause, sent as `Internal`.
use crate::error::AppError;
use sea_orm::{DbErr, SqlErr};

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

/// Maps a unique-constraint violation to `on_unique`, anything else to `Internal`.
pub fn unique_or_internal(err: DbErr, on_unique: AppError) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => on_unique,
        _ => err.into(),
    }
}
