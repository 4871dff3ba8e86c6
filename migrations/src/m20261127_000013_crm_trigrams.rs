//! A trigram index beside each CRM list's `search` column (F4.3), so that a rare search
//! does not read the whole list: with 100,000 leads a search that matches 11 of them read
//! every index entry (p99 25-36 ms on SQLite, 57 ms on PostgreSQL, `leads_bench`).
//!
//! SQLite: an FTS5 table with the trigram tokenizer per list (`lead_search`, …), kept by
//! triggers. Its rowid is the `key` of a small table (`lead_search_key`: key, item id)
//! rather than the item's own rowid: the items have UUID keys, and `VACUUM` (which the
//! backup's `VACUUM INTO` uses) may renumber the rowids of such tables.
//!
//! PostgreSQL: `pg_trgm` and a GIN index on `search`, when the extension is there and the
//! database user may create it (it is a trusted extension since PostgreSQL 13). Without
//! it the migration still passes and the search reads the list's index, as before.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["lead", "deal", "activity"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DO $$ BEGIN
                       CREATE EXTENSION IF NOT EXISTS pg_trgm;
                     EXCEPTION WHEN OTHERS THEN
                       RAISE NOTICE 'pg_trgm is not available: the CRM search reads the lists';
                     END $$",
                )
                .await?;
                for t in TABLES {
                    // The operator class is named with the extension's schema, which need
                    // not be on the search path.
                    db.execute_unprepared(&format!(
                        "DO $$ DECLARE s name; BEGIN
                           SELECT n.nspname INTO s FROM pg_extension e
                             JOIN pg_namespace n ON n.oid = e.extnamespace
                             WHERE e.extname = 'pg_trgm';
                           IF s IS NOT NULL THEN
                             EXECUTE format('CREATE INDEX idx_{t}_search_trgm ON {t} \
                                             USING gin (search %I.gin_trgm_ops)', s);
                           END IF;
                         END $$"
                    ))
                    .await?;
                }
            }
            _ => {
                for t in TABLES {
                    for sql in [
                        format!("CREATE TABLE {t}_search_key (key INTEGER PRIMARY KEY, id UNIQUE NOT NULL)"),
                        format!("CREATE VIRTUAL TABLE {t}_search USING fts5(search, tokenize = 'trigram')"),
                        format!("INSERT INTO {t}_search_key (id) SELECT id FROM {t}"),
                        format!(
                            "INSERT INTO {t}_search (rowid, search)
                             SELECT k.key, t.search FROM {t} t JOIN {t}_search_key k ON k.id = t.id"
                        ),
                        format!(
                            "CREATE TRIGGER {t}_search_insert AFTER INSERT ON {t} BEGIN
                               INSERT INTO {t}_search_key (id) VALUES (new.id);
                               INSERT INTO {t}_search (rowid, search) VALUES
                                 ((SELECT key FROM {t}_search_key WHERE id = new.id), new.search);
                             END"
                        ),
                        format!(
                            "CREATE TRIGGER {t}_search_update AFTER UPDATE OF search ON {t} BEGIN
                               UPDATE {t}_search SET search = new.search
                                 WHERE rowid = (SELECT key FROM {t}_search_key WHERE id = new.id);
                             END"
                        ),
                        format!(
                            "CREATE TRIGGER {t}_search_delete AFTER DELETE ON {t} BEGIN
                               DELETE FROM {t}_search
                                 WHERE rowid = (SELECT key FROM {t}_search_key WHERE id = old.id);
                               DELETE FROM {t}_search_key WHERE id = old.id;
                             END"
                        ),
                    ] {
                        db.execute_unprepared(&sql).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for t in TABLES {
            let sql = match manager.get_database_backend() {
                DbBackend::Postgres => vec![format!("DROP INDEX IF EXISTS idx_{t}_search_trgm")],
                _ => vec![
                    format!("DROP TRIGGER {t}_search_insert"),
                    format!("DROP TRIGGER {t}_search_update"),
                    format!("DROP TRIGGER {t}_search_delete"),
                    format!("DROP TABLE {t}_search"),
                    format!("DROP TABLE {t}_search_key"),
                ],
            };
            for s in sql {
                db.execute_unprepared(&s).await?;
            }
        }
        Ok(())
    }
}
