//! `leadline backup FILE` (operations): a copy taken while visitors write holds every
//! message acknowledged before it began, and a server started on the copy serves them.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use support::TestApp;

#[tokio::test]
async fn a_backup_under_load_holds_every_acknowledged_message_and_restores() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    admin.call("inbox/online", &[("online", "true")]).await;
    let key = support::active_playbook(&mut admin, None, &[]).await;
    let mut visitors = Vec::new();
    for _ in 0..4 {
        visitors.push(support::visitor_starts(&app.base, &key, None).await);
    }
    // Visitors write without pause; each acknowledged message is noted with its time.
    let acked: Arc<Mutex<Vec<(std::time::Instant, String, String)>>> = Default::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (n, (conv, token)) in visitors.iter().cloned().enumerate() {
        let (acked, stop, base) = (acked.clone(), stop.clone(), app.base.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("visitor {n} message {i}");
                let r = http
                    .post(format!("{base}/api/visitor/messages"))
                    .json(&json!({ "token": token, "conversation_id": conv, "body": body, "client_id": body }))
                    .send()
                    .await
                    .unwrap();
                if r.status() == StatusCode::OK {
                    acked.lock().unwrap().push((std::time::Instant::now(), conv.clone(), body));
                }
                i += 1;
                // Under the per-visitor limit (60 a minute).
                tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let conn = app.db.connect().await;
    let began = std::time::Instant::now();
    server::backup(&conn, &file)
        .await
        .expect("the backup is written");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    // A second backup to the same file is refused, not overwritten.
    assert!(server::backup(&conn, &file)
        .await
        .unwrap_err()
        .contains("exists"));

    let before: Vec<_> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _, _)| *t < began)
        .cloned()
        .collect();
    assert!(
        before.len() >= 8,
        "messages were written before the backup: {}",
        before.len()
    );

    // Restore: a server on the copy.
    let restored = TestDatabase::sqlite_file(&file);
    let app2 = TestApp::spawn(restored).await;
    let mut admin2 = app2.login("ada@example.com", "admin-password").await;
    for (conv, _) in &visitors {
        let detail: Value = admin2.answer("inbox/conversation", &[("id", conv)]).await;
        let text = detail.to_string();
        for (_, c, body) in before.iter().filter(|(_, c, _)| c == conv) {
            assert!(
                text.contains(body.as_str()),
                "{body} of {c} is in the backup"
            );
        }
    }
}
