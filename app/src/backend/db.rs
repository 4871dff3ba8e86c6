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
                // Reads map the file instead of copying pages into each connection's
                // cache: a search over 100,000 leads walks a 20 MB index.
                .pragma("mmap_size", "268435456")
        });
    } else {
        options.max_connections(20).min_connections(1);
        if let Some(schema) = schema {
            options.set_schema_search_path(schema.to_string());
        }
    }
    Database::connect(options).await
}

/// Runs the migrations. On PostgreSQL, servers started at the same moment take turns (a
/// session advisory lock held on one connection), so only the first one migrates.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::DbBackend;
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    const MIGRATION_LOCK: i64 = 4_242_002;
    let pool = db.get_postgres_connection_pool();
    let mut turn = pool
        .acquire()
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let lock = |sql: &'static str| sea_orm::sqlx::query(sql).bind(MIGRATION_LOCK);
    lock("SELECT pg_advisory_lock($1)")
        .execute(&mut *turn)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let result = Migrator::up(db, None).await;
    let _ = lock("SELECT pg_advisory_unlock($1)")
        .execute(&mut *turn)
        .await;
    result
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
