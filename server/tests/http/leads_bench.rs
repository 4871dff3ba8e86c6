//! On demand (F4.3): how long the Leads page takes to render with 100,000 leads in the
//! database (each with a person and an organization). Run with
//! `cargo test -p server --release --test http leads_bench -- --ignored --nocapture` (with
//! `LEADLINE_TEST_POSTGRES_URL` set, on PostgreSQL too).
use crate::support;

use app::backend::entities::{lead, organization, person};
use app::backend::testing::TestDatabase;
use app::crm::{service, CrmKind};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use std::time::{Duration, Instant};
use support::TestApp;

#[tokio::test]
#[ignore = "a benchmark: run on demand"]
async fn leads_page_with_100k_leads() {
    // SQLite, and PostgreSQL too when LEADLINE_TEST_POSTGRES_URL is set.
    for db in TestDatabase::all().await {
        println!("--- {}", db.kind());
        bench(db).await;
    }
}

async fn bench(db: TestDatabase) {
    let conn = db.connect().await;
    let app = TestApp::spawn(db).await;
    let mut admin = app.setup_admin().await;
    let actor: app::backend::authz::Actor = app::backend::entities::user::Entity::find()
        .one(&conn)
        .await
        .unwrap()
        .unwrap()
        .into();
    let company = actor.company_id;
    let now = time::OffsetDateTime::now_utc();
    let seeding = Instant::now();
    for chunk in 0..200i64 {
        let txn = conn.begin().await.unwrap();
        let (mut leads, mut people, mut orgs) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..500i64 {
            let n = chunk * 500 + i;
            let (pid, oid) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
            orgs.push(organization::ActiveModel {
                id: Set(oid),
                company_id: Set(company),
                name: Set(format!("Organization {n}")),
                address: Set(None),
                created_at: Set(now),
                name_key: Set(Some(format!("organization {n}"))),
            });
            people.push(person::ActiveModel {
                id: Set(pid),
                company_id: Set(company),
                name: Set(format!("Person {n}")),
                email: Set(Some(format!("person{n}@example.com"))),
                phone: Set(None),
                organization_id: Set(Some(oid)),
                created_at: Set(now),
            });
            leads.push(lead::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                company_id: Set(company),
                title: Set(format!("Person {n} lead")),
                search: Set(format!(
                    "person {n} lead\nperson {n}\nperson{n}@example.com\norganization {n}"
                )),
                person_id: Set(Some(pid)),
                organization_id: Set(Some(oid)),
                conversation_id: Set(None),
                owner_id: Set((n % 3 == 0).then_some(actor.user_id)),
                created_at: Set(now - time::Duration::seconds(n)),
                value_minor: Set((n % 4 != 0).then_some(n * 100)),
                currency: Set(Some("USD".into())),
                expected_close_date: Set(None),
                source: Set("Live Chat".into()),
                page_url: Set(None),
                converted_deal_id: Set(None),
            });
        }
        organization::Entity::insert_many(orgs)
            .exec(&txn)
            .await
            .unwrap();
        person::Entity::insert_many(people)
            .exec(&txn)
            .await
            .unwrap();
        lead::Entity::insert_many(leads).exec(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }
    // As autovacuum would soon after such a load: the planner's statistics.
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
    // The seeded search text is what the application writes.
    let first = lead::Entity::find()
        .filter(lead::Column::Title.eq("Person 0 lead"))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    let written =
        service::search_text(&conn, &first.title, first.person_id, first.organization_id).await;
    assert_eq!(first.search, written.unwrap());
    println!(
        "seeded 100,000 leads (with people and organizations) in {:?}",
        seeding.elapsed()
    );
    let report = |name: &str, mut times: Vec<Duration>| {
        times.drain(..times.len().min(10)); // warm-up
        times.sort();
        let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
        println!(
            "{name}: p50 {:?}, p99 {:?}, max {:?}",
            p(0.5),
            p(0.99),
            times.last().unwrap()
        );
    };
    for (name, query) in [
        ("service: newest", ("", "created", "")),
        ("service: by value", ("", "value", "")),
        ("service: mine", ("", "created", "me")),
        (
            "service: search, 11 matches",
            ("person 4242", "created", ""),
        ),
        (
            "service: search, 111 matches",
            ("person 424", "created", ""),
        ),
        (
            "service: search, 1,111 matches, by value",
            ("person 99", "value", ""),
        ),
        ("service: search, no match", ("nobody", "created", "")),
        (
            "service: search, every row matches",
            ("example", "created", ""),
        ),
    ] {
        let q = service::ListQuery {
            search: query.0.into(),
            sort: query.1.into(),
            owner: query.2.into(),
            page: 0,
        };
        let mut times = Vec::new();
        for _ in 0..60 {
            let t = Instant::now();
            let page = service::list(&conn, &actor, CrmKind::Leads, &q)
                .await
                .unwrap();
            times.push(t.elapsed());
            assert_eq!(page.rows.is_empty(), query.0 == "nobody", "{name}");
        }
        report(name, times);
    }
    for path in [
        "/leads",
        "/leads?sort=value",
        "/leads?owner=me",
        "/leads?page=100",
        "/leads?q=person+4242",
        "/leads?q=person+424&owner=me",
        "/leads?q=organization+9&sort=value",
    ] {
        let mut times = Vec::new();
        for _ in 0..110 {
            let t = Instant::now();
            let r = admin.get(path).await;
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            let html = r.text().await.unwrap();
            times.push(t.elapsed());
            assert!(
                html.contains(" lead</td>"),
                "{path}: the rows are server-rendered"
            );
        }
        report(&format!("GET {path} (50 rows)"), times);
    }
}
