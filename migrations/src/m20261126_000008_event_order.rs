//! Event ids in commit order on PostgreSQL (R1, R3). `event.id` comes from a sequence, and a
//! sequence is not commit order: transactions can take ids 100 and 101 and commit 101
//! first, and a stream that has read 101 asks for `id > 101` and never sees 100. So every
//! insert into `event` first takes one transaction-level advisory lock, in a statement-level
//! BEFORE trigger — before the row's id is drawn — and holds it until commit: the next
//! writer draws its id only after the previous one committed (or rolled back), so ids become
//! visible in increasing order and any reader may simply ask for `id > last`. The writers
//! keep the lock only from their event insert to their commit (the message writer inserts
//! its events last, in one statement). SQLite has one writer at a time already.
//!
//! The same trigger queues the wake for every server (`NOTIFY leadline_events`): PostgreSQL
//! delivers it when the transaction commits, and not at all if it rolls back, so no commit
//! with events goes unannounced and no round trip is spent on it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The advisory lock's key (any constant; "leadline event order").
pub const EVENT_ORDER_LOCK: i64 = 4_242_001;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION leadline_event_order() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock({EVENT_ORDER_LOCK}); \
             PERFORM pg_notify('leadline_events', ''); RETURN NULL; END $$"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER event_commit_order BEFORE INSERT ON event \
             FOR EACH STATEMENT EXECUTE FUNCTION leadline_event_order()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS event_commit_order ON event")
            .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS leadline_event_order()")
            .await?;
        Ok(())
    }
}
