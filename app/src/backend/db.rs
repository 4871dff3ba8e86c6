//! Opening the database (SQLite by default, PostgreSQL by URL) and running migrations.
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects to `url`; for PostgreSQL, `schema` (if any) becomes the search path.
/// SQLite runs with WAL, synchronous=FULL and foreign keys on; the file is created if missing.
pub async fn connect(url: &str, schema: Option<&str>) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // SQLite allows one writer at a time; a small pool avoids lock churn.
        options.max_connections(8).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(20).min_connections(1);
        if let Some(schema) = schema {
            options.set_schema_search_path(schema.to_string());
        }
    }
    Database::connect(options).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A transaction that will write. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so
/// a read-then-write cannot fail half-way with "database is locked" when another writer
/// commits in between; it waits for the lock instead (busy timeout). Plain BEGIN elsewhere.
pub async fn write_txn(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
