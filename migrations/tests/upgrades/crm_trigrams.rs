//! The CRM lists' trigram index on SQLite (m20261127_000013): items that exist when it
//! arrives are in it, the triggers keep it with every insert, change and delete, a VACUUM
//! (which may renumber the items' own rowids) does not confuse it, and it goes down again.
use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.unwrap();
}

/// The ids of the leads whose search text holds `term`, through the trigram index.
async fn found(db: &DatabaseConnection, term: &str) -> Vec<String> {
    let mut ids: Vec<String> = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT k.id AS id FROM lead_search s JOIN lead_search_key k ON k.key = s.rowid
             WHERE lead_search MATCH ?",
            [format!("\"{term}\"").into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "id").unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_trigram_index_follows_every_change_and_survives_a_vacuum() {
    let path = std::env::temp_dir().join(format!("leadline-trigrams-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // One connection, so that the pragmas below hold for every statement.
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    Migrator::up(&db, Some(12)).await.unwrap();
    exec(&db, "PRAGMA foreign_keys = OFF").await;
    let lead = |id: &str, search: &str| {
        format!(
            "INSERT INTO lead (id, company_id, title, created_at, source, search)
             VALUES ('{id}', 'c1', 'Lead', '2026-11-27T00:00:00Z', 'Live Chat', '{search}')"
        )
    };
    exec(
        &db,
        &lead("l1", "chat with vera\nvera ortiz\nvera@shop.example\nacme"),
    )
    .await;
    exec(&db, &lead("l2", "walk-in\n\n\n")).await;
    Migrator::up(&db, None).await.unwrap();
    exec(&db, "PRAGMA foreign_keys = OFF").await;
    // What was there before the index.
    assert_eq!(found(&db, "ortiz").await, ["l1"]);
    assert_eq!(found(&db, "walk").await, ["l2"]);
    assert!(found(&db, "nobody").await.is_empty());
    // Inserted, changed, deleted afterwards.
    exec(&db, &lead("l3", "ortiz again\n\n\n")).await;
    assert_eq!(found(&db, "ortiz").await, ["l1", "l3"]);
    exec(
        &db,
        "UPDATE lead SET search = 'renamed\n\n\n' WHERE id = 'l1'",
    )
    .await;
    assert_eq!(found(&db, "ortiz").await, ["l3"]);
    assert_eq!(found(&db, "renamed").await, ["l1"]);
    // A VACUUM renumbers the rowids of a table without an integer key: delete the first
    // rows so that it has something to renumber, then delete through the index's key.
    exec(&db, &lead("l0", "first\n\n\n")).await;
    exec(&db, "DELETE FROM lead WHERE id = 'l2'").await;
    assert!(found(&db, "walk").await.is_empty());
    exec(&db, "VACUUM").await;
    exec(&db, "DELETE FROM lead WHERE id = 'l1'").await;
    assert!(found(&db, "renamed").await.is_empty());
    assert_eq!(found(&db, "ortiz").await, ["l3"]);
    assert_eq!(found(&db, "first").await, ["l0"]);
    // Down: the tables and triggers are gone, and items can still be written.
    let after = Migrator::migrations()
        .iter()
        .rev()
        .take_while(|m| m.name() != "m20261127_000013_crm_trigrams")
        .count() as u32;
    Migrator::down(&db, Some(after + 1)).await.unwrap();
    exec(&db, &lead("l4", "after\n\n\n")).await;
    let left = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE name LIKE 'lead_search%'",
        ))
        .await
        .unwrap();
    assert!(left.is_empty());
    drop(db);
    let _ = std::fs::remove_file(&path);
}
