//! Every server-rendered page finishes, under concurrency. Loads the signed-in pages many
//! times, 16 at once, on a multi-threaded runtime, and counts the loads that did not finish
//! within 10 s (a render that stalls mid-stream). In `make test` with 350 loads (50 of each
//! page); more on demand:
//! `LEADLINE_STRESS_LOADS=3000 cargo test -p server --test http render_stress -- --nocapture`
//! (`LEADLINE_STRESS_THREADS` sets the runtime's worker threads, 0 for one thread as
//! `#[tokio::test]` runs: 4 by default). On PostgreSQL too when `LEADLINE_TEST_POSTGRES_URL`
//! is set.
use crate::support;

use app::backend::testing::TestDatabase;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::TestApp;

#[test]
fn signed_in_pages_always_finish_rendering() {
    let threads: usize = std::env::var("LEADLINE_STRESS_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let runtime = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    }
    .enable_all()
    .build()
    .unwrap();
    // SQLite, and PostgreSQL too when LEADLINE_TEST_POSTGRES_URL is set.
    runtime.block_on(async {
        for db in TestDatabase::all().await {
            println!("--- {}", db.kind());
            stress(db).await;
        }
    });
}

async fn stress(db: TestDatabase) {
    let loads: usize = std::env::var("LEADLINE_STRESS_LOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(350);
    let app = TestApp::spawn(db).await;
    let admin = app.setup_admin().await;
    let cookie = admin.cookie.clone();
    let pages = [
        "/users",
        "/leads",
        "/deals",
        "/activities",
        "/inbox",
        "/chatbot",
        "/",
    ];
    let next = Arc::new(AtomicUsize::new(0));
    let stalled = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (next, stalled, base, cookie) = (
            next.clone(),
            stalled.clone(),
            app.base.clone(),
            cookie.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut client = support::client(&base);
            client.cookie = cookie;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= loads {
                    break;
                }
                let path = pages[i % pages.len()];
                let load = async {
                    let r = client.get(path).await;
                    assert_eq!(r.status(), reqwest::StatusCode::OK, "{path}");
                    r.text().await.unwrap()
                };
                match tokio::time::timeout(Duration::from_secs(10), load).await {
                    Ok(html) => assert!(html.contains("</html>"), "{path}: a whole page"),
                    Err(_) => {
                        stalled.fetch_add(1, Ordering::Relaxed);
                        eprintln!("load {i} of {path} stalled");
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let stalled = stalled.load(Ordering::Relaxed);
    println!(
        "{loads} loads of {} pages, 16 at once: {stalled} stalled, {:.1} s",
        pages.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(stalled, 0, "every render finishes");
}
