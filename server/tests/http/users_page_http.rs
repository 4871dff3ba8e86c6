//! The Users page, rendered on the server again and again, while other servers start in the
//! same process.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::TestApp;

#[tokio::test]
async fn the_users_page_renders_its_list_every_time() {
    // The list's resource was made inside a Transition that renders twice on the server;
    // the first request then lost its context now and then and the page carried an error
    // ("Internal") instead of the users (2 loads in 15 in a walkthrough).
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    for i in 0..15 {
        let load = async {
            let r = admin.get("/users").await;
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        };
        let html = tokio::time::timeout(Duration::from_secs(20), load)
            .await
            .unwrap_or_else(|_| panic!("load {i}: the Users page never finished rendering"));
        assert!(
            html.contains("ada@example.com"),
            "load {i}: the list is there"
        );
        assert!(!html.contains("Internal"), "load {i}: no error in the page");
    }
}

/// A server starting builds its page routes by rendering the app with every resource held
/// back by a process-wide flag; a page rendering meanwhile in another server of the same
/// process (as the tests run) waited forever for its resources (one CI run in four, on the
/// Users page). The routes are now made once per process. Four clients load pages without
/// pause while twenty servers start beside them: every load finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_servers_start_in_the_same_process() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let admin = app.setup_admin().await;
    let starting = Arc::new(AtomicBool::new(true));
    let loads = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (starting, loads, base, cookie) = (
            starting.clone(),
            loads.clone(),
            app.base.clone(),
            admin.cookie.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut client = support::client(&base);
            client.cookie = cookie;
            while starting.load(Ordering::Relaxed) {
                for path in ["/users", "/leads", "/inbox"] {
                    let load = async {
                        let r = client.get(path).await;
                        assert_eq!(r.status(), StatusCode::OK, "{path}");
                        r.text().await.unwrap()
                    };
                    let html = tokio::time::timeout(Duration::from_secs(10), load)
                        .await
                        .unwrap_or_else(|_| panic!("{path} never finished rendering"));
                    assert!(html.contains("</html>"), "{path}: a whole page");
                    loads.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for _ in 0..20 {
        let other = TestApp::spawn(TestDatabase::sqlite()).await;
        drop(other);
    }
    starting.store(false, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    assert!(
        loads.load(Ordering::Relaxed) >= 20,
        "pages were loading while the servers started"
    );
}
