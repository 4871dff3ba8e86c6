//! A database upgraded past m20261127_000014 calls its visitors by the names typed in their
//! side panels (m20261207_000015 fills them in), on SQLite and PostgreSQL.
use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};

#[tokio::test]
async fn names_typed_before_the_upgrade_become_the_conversations_names() {
    let mut urls = vec![("sqlite::memory:".to_string(), None)];
    if let Ok(url) = std::env::var("LEADLINE_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            urls.push((url, Some(format!("t_{}", std::process::id()))));
        }
    }
    for (url, schema) in urls {
        let mut options = ConnectOptions::new(url.clone());
        // One connection: the session settings below hold for every statement.
        options.max_connections(1);
        if let Some(schema) = &schema {
            let admin = Database::connect(&url).await.unwrap();
            admin
                .execute_unprepared(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))
                .await
                .unwrap();
            options.set_schema_search_path(schema.clone());
        }
        let db = Database::connect(options).await.unwrap();
        let before = Migrator::migrations()
            .iter()
            .take_while(|m| m.name() != "m20261207_000015_contact_name_backfill")
            .count() as u32;
        Migrator::up(&db, Some(before)).await.unwrap();
        let backend = db.get_database_backend();
        let sql = |s: &str| Statement::from_string(backend, s.to_string());
        let (off, uuid) = if backend == DbBackend::Postgres {
            ("SET session_replication_role = replica", "::uuid")
        } else {
            ("PRAGMA foreign_keys = OFF", "")
        };
        db.execute_raw(sql(off)).await.unwrap();
        let c = |n: u8| format!("'00000000-0000-0000-0000-00000000000{n}'{uuid}");
        let company = format!("'00000000-0000-0000-0000-0000000000c0'{uuid}");
        for n in 1..=4 {
            db.execute_raw(sql(&format!(
                "INSERT INTO conversation (id, company_id, visitor_id, state, answers, \
                 created_at, updated_at, contact_name) VALUES ({}, {company}, {company}, \
                 'closed', '{{}}', '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z', {})",
                c(n),
                if n == 4 { "'Already named'" } else { "NULL" }
            )))
            .await
            .unwrap();
        }
        for (n, name) in [(1, "'  Vera Ortiz '"), (2, "'   '"), (4, "'Panel name'")] {
            db.execute_raw(sql(&format!(
                "INSERT INTO conversation_panel (conversation_id, company_id, version, name, \
                 updated_at) VALUES ({}, {company}, 1, {name}, '2026-11-27T00:00:00Z')",
                c(n)
            )))
            .await
            .unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let name = |n: u8| {
            let q = sql(&format!(
                "SELECT contact_name FROM conversation WHERE id = {}",
                c(n)
            ));
            let db = &db;
            async move {
                db.query_one_raw(q)
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get::<Option<String>>("", "contact_name")
                    .unwrap()
            }
        };
        assert_eq!(name(1).await.as_deref(), Some("Vera Ortiz"), "typed name");
        assert_eq!(name(2).await, None, "a blank name is no name");
        assert_eq!(name(3).await, None, "no panel, no name");
        assert_eq!(
            name(4).await.as_deref(),
            Some("Already named"),
            "a name kept since is not overwritten"
        );
        if let Some(schema) = &schema {
            db.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        }
    }
}
