//! Black-box HTTP tests of the inbox (F3.2, F3.5, F3.7): folder counts after every action,
//! stale and repeated actions refused with a clear message, the inbox page itself.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use support::{read_events, read_until_message, Client, TestApp};

async fn counts(c: &mut Client) -> Value {
    let r = c.call("inbox/counts", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn n(u: u64, m: u64, c: u64) -> Value {
    json!({ "unassigned": u, "mine": m, "closed": c })
}

/// A waiting conversation from a visitor on an active Live Chat playbook: its id and the
/// visitor's token.
async fn waiting(app: &TestApp, admin: &mut Client) -> (String, String) {
    let key = support::active_playbook(admin, None, &[]).await;
    support::visitor_starts(&app.base, &key, None).await
}

/// The admin, signed in with the "Online" toggle on.
async fn online_admin(app: &TestApp) -> Client {
    let mut a = app.setup_admin().await;
    assert_eq!(
        a.call("inbox/online", &[("online", "true")]).await.status(),
        StatusCode::OK
    );
    a
}

/// The visitor writes `body` (with a client id, as the widget does).
async fn visitor_says(app: &TestApp, id: &str, token: &str, body: &str) {
    support::visitor_says(&app.base, id, token, body).await
}

#[tokio::test]
async fn counts_follow_assign_reassign_unassign_and_close_and_closed_stays_closed() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut a = app.setup_admin().await;
        let b_id = app.add_user(&mut a, "b@example.com", "regular").await;
        let mut b = app.login("b@example.com", "regular-password").await;
        assert_eq!(
            a.call("inbox/online", &[("online", "true")]).await.status(),
            StatusCode::OK
        );
        let (id, _) = waiting(&app, &mut a).await;
        assert_eq!(counts(&mut a).await, n(1, 0, 0), "{kind}");
        assert_eq!(counts(&mut b).await, n(1, 0, 0));

        // A takes it; B's stale click gets a clear refusal.
        assert_eq!(
            a.call("inbox/assign", &[("id", &id)]).await.status(),
            StatusCode::OK
        );
        let stale = b.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(stale.status(), StatusCode::NOT_FOUND);
        let e: Value = stale.json().await.unwrap();
        assert!(e.to_string().contains("assigned to someone else"), "{e}");
        assert_eq!(counts(&mut a).await, n(0, 1, 0));
        assert_eq!(counts(&mut b).await, n(0, 0, 0));

        // A hands it to B.
        let r = a
            .call("inbox/reassign", &[("id", &id), ("to", &b_id)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(counts(&mut a).await, n(0, 0, 0));
        assert_eq!(counts(&mut b).await, n(0, 1, 0));
        let mine: Value = b.answer("inbox/list", &[("folder", "mine")]).await;
        assert_eq!(mine[0]["conversation"]["id"], id.as_str());
        // A can no longer act on it: their screen is stale.
        assert_eq!(
            a.call("inbox/close", &[("id", &id)]).await.status(),
            StatusCode::NOT_FOUND
        );

        // B unassigns ("Unassigned" in the dropdown is an empty choice).
        let r = b.call("inbox/reassign", &[("id", &id), ("to", "")]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(counts(&mut a).await, n(1, 0, 0));
        assert_eq!(counts(&mut b).await, n(1, 0, 0));

        // B takes it again and closes it: Closed for everyone, for good.
        assert_eq!(
            b.call("inbox/assign", &[("id", &id)]).await.status(),
            StatusCode::OK
        );
        let r = b.call("inbox/close", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let closed: Value = r.json().await.unwrap();
        assert!(closed["closed_at"].is_string());
        assert_eq!(counts(&mut a).await, n(0, 0, 1));
        assert_eq!(counts(&mut b).await, n(0, 0, 1));
        for (endpoint, form) in [
            ("inbox/assign", vec![("id", id.as_str())]),
            (
                "inbox/reassign",
                vec![("id", id.as_str()), ("to", b_id.as_str())],
            ),
            ("inbox/close", vec![("id", id.as_str())]),
            (
                "inbox/send",
                vec![("id", id.as_str()), ("body", "hello again")],
            ),
        ] {
            let r = a.call(endpoint, &form).await;
            assert_eq!(r.status(), StatusCode::CONFLICT, "{kind}: {endpoint}");
        }
        // Its transcript stays readable.
        let d: Value = a.answer("inbox/conversation", &[("id", &id)]).await;
        assert_eq!(d["conversation"]["state"], "closed");
    }
}

#[tokio::test]
async fn the_agent_stream_starts_from_now_and_resumes_with_last_event_id() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut a = online_admin(&app).await;
        let (old, old_token) = waiting(&app, &mut a).await;
        visitor_says(&app, &old, &old_token, "said before the tab opened").await;

        // A new tab's stream starts from now: what its page already shows is not sent again.
        let stream = a.stream("/api/events").await;
        let (id, token) = waiting(&app, &mut a).await;
        visitor_says(&app, &id, &token, "first").await;
        let (seen, first) = read_until_message(stream, "first", kind).await;
        for e in &seen {
            assert_ne!(
                e.data["id"],
                old.as_str(),
                "{kind}: old conversation replayed: {e:?}"
            );
            assert_ne!(e.data["conversation_id"], old.as_str(), "{kind}: {e:?}");
        }
        assert!(
            seen.iter()
                .any(|e| e.event == "conversation" && e.data["id"] == id.as_str()),
            "{kind}: the new conversation arrives: {seen:?}"
        );

        // The connection drops; meanwhile the visitor and the agent write.
        for body in ["second", "third"] {
            visitor_says(&app, &id, &token, body).await;
        }
        assert_eq!(
            a.call("inbox/assign", &[("id", &id)]).await.status(),
            StatusCode::OK
        );
        let r = a
            .call(
                "inbox/send",
                &[("id", &id), ("body", "fourth"), ("client_id", "c4")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);

        // The browser reconnects with Last-Event-ID: exactly what it missed, once, in order.
        let again = a
            .http
            .get(format!("{}/api/events", app.base))
            .header(
                "cookie",
                format!("leadline_session={}", a.cookie.clone().unwrap()),
            )
            .header("last-event-id", first.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::OK);
        let missed = read_events(again, Duration::from_secs(5), |e| {
            let fourth = e.iter().position(|e| e.data["body"] == "fourth");
            fourth.is_some_and(|p| e[p..].iter().any(|e| e.event == "counts"))
        })
        .await;
        let bodies: Vec<&str> = missed
            .iter()
            .filter(|e| e.event == "message")
            .filter_map(|e| e.data["body"].as_str())
            .filter(|b| !b.contains("joined the conversation"))
            .collect();
        assert_eq!(bodies, ["second", "third", "fourth"], "{kind}: {missed:?}");
        assert!(
            missed.iter().all(|e| e.id.is_none_or(|i| i > first)),
            "{kind}"
        );
        let counts = missed
            .iter()
            .rev()
            .find(|e| e.event == "counts")
            .map(|e| e.data.clone());
        assert_eq!(counts, Some(n(1, 1, 0)), "{kind}: counts after the replay");
    }
}

/// The inbox page reads its cursor before its folder; its stream starts there, so a message
/// that comes while the page loads and hydrates reaches the tab (once the page is made, a
/// stream "from now" would have missed it).
#[tokio::test]
async fn a_message_while_the_page_loads_reaches_the_tab_from_its_cursor() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut a = online_admin(&app).await;
        let (id, token) = waiting(&app, &mut a).await;
        visitor_says(&app, &id, &token, "before the page").await;
        let cursor: i64 = a.answer("inbox/cursor", &[]).await;
        let detail: Value = a.answer("inbox/conversation", &[("id", &id)]).await;
        assert!(detail.to_string().contains("before the page"), "{kind}");
        // The page hydrates; meanwhile the visitor writes.
        visitor_says(&app, &id, &token, "while it hydrates").await;
        let stream = a.stream(&format!("/api/events?after={cursor}")).await;
        let (seen, _) = read_until_message(stream, "while it hydrates", kind).await;
        assert!(
            seen.iter().all(|e| e.data["body"] != "before the page"),
            "{kind}: what the page read is not sent again: {seen:?}"
        );
        // Signed out, no cursor.
        let r = app.client().call("inbox/cursor", &[]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}");
    }
}
