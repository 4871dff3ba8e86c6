//! On demand (B5): how long the inbox page takes to render with 100,000 conversations in the
//! database. Run with
//! `cargo test -p server --release --test http inbox_bench -- --ignored --nocapture`.
use crate::support;

use app::backend::entities::{conversation, message, visitor};
use app::backend::testing::TestDatabase;
use app::inbox::{service, Folder};
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
        let mut conversations = Vec::with_capacity(500);
        let mut messages = Vec::with_capacity(1500);
        for i in 0..500 {
            let state = if (chunk * 500 + i) % 50 == 0 {
                "unassigned"
            } else {
                "closed"
            };
            let id = uuid::Uuid::now_v7();
            conversations.push(conversation::ActiveModel {
                id: Set(id),
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
            });
            // Three messages each (300,000 in all): the list shows the newest as a preview.
            for (seq, (kind, body)) in [
                ("bot", "<p>Hi! <b>How can we help?</b></p>"),
                ("visitor", "Do you ship to Jakarta?"),
                ("visitor", "And how long does it take?"),
            ]
            .into_iter()
            .enumerate()
            {
                messages.push(message::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    conversation_id: Set(id),
                    seq: Set(seq as i32 + 1),
                    author_kind: Set(kind.into()),
                    author_id: Set(None),
                    body: Set(body.into()),
                    client_id: Set(None),
                    created_at: Set(now),
                });
            }
        }
        conversation::Entity::insert_many(conversations)
            .exec(&txn)
            .await
            .unwrap();
        message::Entity::insert_many(messages)
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
    println!(
        "seeded 100,000 conversations (300,000 messages) in {:?}",
        seeding.elapsed()
    );
    // The pieces, measured alone: what the page costs is mostly these.
    let actor: app::backend::authz::Actor = app::backend::entities::user::Entity::find()
        .one(&conn)
        .await
        .unwrap()
        .unwrap()
        .into();
    let piece = |name: &'static str, times: &mut Vec<Duration>| {
        times.sort();
        println!(
            "{name}: p50 {:?}, p99 {:?}",
            times[times.len() / 2],
            times[times.len() * 99 / 100]
        );
    };
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        service::counts(&conn, &actor).await.unwrap();
        times.push(t.elapsed());
    }
    piece("folder counts", &mut times);
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        service::list(&conn, &actor, Folder::Closed, None)
            .await
            .unwrap();
        times.push(t.elapsed());
    }
    piece("closed list, 50 rows", &mut times);
    for folder in ["closed", "unassigned", "mine"] {
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..60 {
            let t = Instant::now();
            let r = admin.get(&format!("/inbox?folder={folder}")).await;
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            let html = r.text().await.unwrap();
            times.push(t.elapsed());
            assert!(html.contains("Live Chat"));
            if folder != "mine" {
                assert!(html.contains("And how long does it take?"));
            }
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
