//! On demand (B5): how long the inbox page takes to render with 100,000 conversations in the
//! database. Run with
//! `cargo test -p server --release --test inbox_bench -- --ignored --nocapture`.
mod support;

use app::backend::entities::{conversation, visitor};
use app::backend::testing::TestDatabase;
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use std::time::{Duration, Instant};
use support::TestApp;

#[tokio::test]
#[ignore = "a benchmark: run on demand"]
async fn inbox_page_with_100k_conversations() {
    let db = TestDatabase::sqlite();
    let conn = db.connect().await;
    let app = TestApp::spawn(db).await;
    let mut admin = app.setup_admin().await;
    let company = app::backend::entities::company::Entity::find()
        .one(&conn)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = time::OffsetDateTime::now_utc();
    let v = visitor::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        company_id: Set(company),
        token: Set("bench-visitor".into()),
        created_at: Set(now),
    };
    let v = visitor::Entity::insert(v)
        .exec_with_returning(&conn)
        .await
        .unwrap();
    let seeding = Instant::now();
    for chunk in 0..200 {
        let txn = conn.begin().await.unwrap();
        let rows = (0..500).map(|i| {
            let state = if (chunk * 500 + i) % 50 == 0 {
                "unassigned"
            } else {
                "closed"
            };
            conversation::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                company_id: Set(company),
                playbook_id: Set(None),
                visitor_id: Set(v.id),
                state: Set(state.into()),
                assignee_id: Set(None),
                page_url: Set(Some("https://shop.example.com/".into())),
                wait_deadline: Set(None),
                closed_at: Set((state == "closed").then_some(now)),
                answers: Set(r#"{"name":"Bench Visitor"}"#.into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        conversation::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
    println!("seeded 100,000 conversations in {:?}", seeding.elapsed());
    for folder in ["closed", "unassigned", "mine"] {
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..60 {
            let t = Instant::now();
            let r = admin.get(&format!("/inbox?folder={folder}")).await;
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            let html = r.text().await.unwrap();
            times.push(t.elapsed());
            assert!(html.contains("Live Chat"));
        }
        times.drain(..10); // warm-up
        times.sort();
        let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
        println!(
            "GET /inbox?folder={folder}: p50 {:?}, p99 {:?}, max {:?}",
            p(0.5),
            p(0.99),
            times.last().unwrap()
        );
    }
}
