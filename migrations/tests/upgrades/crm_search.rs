//! The CRM search column (m20261127_000012) is filled in for the rows that exist when it
//! arrives, and the migration goes down again.
use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

#[tokio::test]
async fn existing_items_get_their_search_text_and_the_migration_reverts() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    Migrator::up(&db, Some(11)).await.unwrap();
    for sql in [
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO organization (id, company_id, name, created_at)
         VALUES ('o1', 'c1', 'Acme Trading', '2026-11-27T00:00:00Z')",
        "INSERT INTO person (id, company_id, name, email, created_at)
         VALUES ('p1', 'c1', 'Vera Ortiz', 'vera@shop.example', '2026-11-27T00:00:00Z')",
        "INSERT INTO lead (id, company_id, title, person_id, organization_id, created_at, source)
         VALUES ('l1', 'c1', 'Chat with Vera', 'p1', 'o1', '2026-11-27T00:00:00Z', 'Live Chat'),
                ('l2', 'c1', 'Walk-in', NULL, NULL, '2026-11-27T00:00:00Z', 'Live Chat')",
        "INSERT INTO activity (id, company_id, title, person_id, kind, due_date, done, created_at)
         VALUES ('a1', 'c1', 'Call back Vera', 'p1', 'call', '2026-11-28', 0,
                 '2026-11-27T00:00:00Z')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    Migrator::up(&db, None).await.unwrap();
    let search = |table: &str, id: &str| {
        let sql = format!("SELECT search FROM {table} WHERE id = '{id}'");
        let db = &db;
        async move {
            db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get::<String>("", "search")
                .unwrap()
        }
    };
    assert_eq!(
        search("lead", "l1").await,
        "chat with vera\nvera ortiz\nvera@shop.example\nacme trading"
    );
    assert_eq!(search("lead", "l2").await, "walk-in\n\n\n");
    assert_eq!(
        search("activity", "a1").await,
        "call back vera\nvera ortiz\nvera@shop.example\n"
    );
    // Down past m20261127_000012 (and the migrations that came after it).
    let after = Migrator::migrations()
        .iter()
        .rev()
        .take_while(|m| m.name() != "m20261127_000012_crm_search")
        .count() as u32;
    Migrator::down(&db, Some(after + 1)).await.unwrap();
    let columns = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM pragma_table_info('lead')",
        ))
        .await
        .unwrap();
    assert!(columns
        .iter()
        .all(|c| c.try_get::<String>("", "name").unwrap() != "search"));
}
