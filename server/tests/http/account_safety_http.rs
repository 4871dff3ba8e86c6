//! Black-box HTTP tests of account safety (R5, R6, R7): changing a password ends the user's
//! other sessions, "Log out everywhere", an admin setting a password, login throttling that
//! cannot lock an agent out, messages without control characters, the cross-origin check
//! against the public URL, and readiness.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{Client, TestApp};

async fn signed_in(c: &mut Client) -> bool {
    let me: Value = c.answer("account/me", &[]).await;
    !me.is_null()
}

/// A client whose requests come from `ip` (a loopback address of its own).
fn client_from(base: &str, ip: [u8; 4]) -> Client {
    Client {
        base: base.to_string(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap(),
        cookie: None,
    }
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions_and_keeps_this_one() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let mut elsewhere = app.login("ada@example.com", "admin-password").await;
        assert!(signed_in(&mut elsewhere).await, "{kind}");
        let stream = elsewhere.stream("/api/events").await;

        let r = admin
            .call(
                "account/password",
                &[
                    ("current_password", "wrong-password"),
                    ("new_password", "a-new-passphrase"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["Validation"]["field"], "current_password",
            "{kind}: {body}"
        );
        let r = admin
            .call(
                "account/password",
                &[
                    ("current_password", "admin-password"),
                    ("new_password", "short"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            signed_in(&mut elsewhere).await,
            "{kind}: nothing changed yet"
        );

        let r = admin
            .call(
                "account/password",
                &[
                    ("current_password", "admin-password"),
                    ("new_password", "a-new-passphrase"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{kind}: {}",
            r.text().await.unwrap()
        );
        assert!(
            signed_in(&mut admin).await,
            "{kind}: this browser stays signed in"
        );
        assert!(
            !signed_in(&mut elsewhere).await,
            "{kind}: the other session ended"
        );
        // Its open event stream ends at once (well before its 15 s heartbeat).
        let seen = support::read_events(stream, std::time::Duration::from_secs(5), |e| {
            e.iter().any(|e| e.event == "denied")
        })
        .await;
        assert!(
            seen.iter().any(|e| e.event == "denied"),
            "{kind}: the stream of the ended session ends: {seen:?}"
        );
        let r = app
            .client()
            .call(
                "account/login",
                &[("email", "ada@example.com"), ("password", "admin-password")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: the old one"
        );
        let mut again = app.login("ada@example.com", "a-new-passphrase").await;
        assert!(signed_in(&mut again).await, "{kind}");

        // Log out everywhere: every session, this one too.
        let r = again.call("account/logout-everywhere", &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        assert!(!signed_in(&mut again).await, "{kind}");
        assert!(!signed_in(&mut admin).await, "{kind}");
    }
}

#[tokio::test]
async fn logging_out_ends_that_sessions_open_stream_at_once_and_only_that_one() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let mut other = app.login("ada@example.com", "admin-password").await;
        let leaving = admin.stream("/api/events").await;
        let staying = other.stream("/api/events").await;
        let r = admin.call("account/logout", &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        // Within 5 s (the heartbeat is 15 s): denied, and nothing after the logout.
        let seen = support::read_events(leaving, std::time::Duration::from_secs(5), |e| {
            e.iter().any(|e| e.event == "denied")
        })
        .await;
        assert!(
            seen.iter().any(|e| e.event == "denied"),
            "{kind}: the logged-out stream ends: {seen:?}"
        );
        // The same user's other session keeps its stream (it checked its session too).
        let seen = support::read_events(staying, std::time::Duration::from_secs(3), |e| {
            e.iter().any(|e| e.event == "denied")
        })
        .await;
        assert!(
            !seen.iter().any(|e| e.event == "denied"),
            "{kind}: the other session's stream goes on: {seen:?}"
        );
        assert!(signed_in(&mut other).await, "{kind}");
    }
}

#[tokio::test]
async fn an_admin_sets_a_users_password_and_their_sessions_end() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let b_id = app.add_user(&mut admin, "b@example.com", "regular").await;
        let mut b = app.login("b@example.com", "regular-password").await;
        let admin_id: Value = admin.answer("account/me", &[]).await;
        let admin_id = admin_id["id"].as_str().unwrap().to_string();
        let r = b
            .call(
                "users/password",
                &[("user_id", &admin_id), ("password", "taken-over-now")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{kind}: not for a regular user"
        );
        let r = admin
            .call(
                "users/password",
                &[("user_id", &b_id), ("password", "brand-new-secret")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        assert!(!signed_in(&mut b).await, "{kind}: B's session ended");
        assert!(signed_in(&mut admin).await, "{kind}");
        app.login("b@example.com", "brand-new-secret").await;
    }
}

/// Wrong passwords from one address lock that address out for that email, not the email's
/// owner elsewhere: the right password from another address still signs in.
#[tokio::test]
async fn failing_logins_cannot_lock_an_agent_out() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        drop(app.setup_admin().await);
        let mut attacker = client_from(&app.base, [127, 0, 0, 2]);
        for _ in 0..10 {
            let r = attacker
                .call(
                    "account/login",
                    &[("email", "ada@example.com"), ("password", "guess-guess")],
                )
                .await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        }
        let r = attacker
            .call(
                "account/login",
                &[("email", "ada@example.com"), ("password", "admin-password")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: that address"
        );
        // It says how long to wait: within the five-minute window, at least a second.
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=300).contains(&wait), "{kind}: Retry-After {wait}");
        let mut owner = client_from(&app.base, [127, 0, 0, 3]);
        let r = owner
            .call(
                "account/login",
                &[("email", "ada@example.com"), ("password", "admin-password")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}: the owner, elsewhere");
        assert!(signed_in(&mut owner).await, "{kind}");
    }
}

#[tokio::test]
async fn messages_with_control_or_direction_characters_are_refused() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let r = admin.call("inbox/online", &[("online", "true")]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let http = reqwest::Client::new();
        let (id, token) = support::visitor_starts(&app.base, &key, None).await;
        let (id, token) = (id.as_str(), token.as_str());
        for (i, body) in ["nul\0here", "pay \u{202E}gnp.exe", "bell\u{7}"]
            .iter()
            .enumerate()
        {
            let r = http
                .post(format!("{}/api/visitor/messages", app.base))
                .json(&json!({ "token": token, "conversation_id": id, "body": body, "client_id": format!("bad-{i}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{kind}: {body:?}"
            );
        }
        let r = http
            .post(format!("{}/api/visitor/messages", app.base))
            .json(&json!({ "token": token, "conversation_id": id, "body": "two\r\nlines\tand a tab", "client_id": "ok" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let r = admin.call("inbox/assign", &[("id", id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = admin
            .call(
                "inbox/send",
                &[("id", id), ("body", "hi\u{202E}"), ("client_id", "a1")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: an agent's too"
        );
        let detail: Value = admin.answer("inbox/conversation", &[("id", id)]).await;
        let bodies: Vec<&str> = detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["author"] == "visitor")
            .filter_map(|m| m["body"].as_str())
            .collect();
        assert_eq!(bodies, ["two\nlines\tand a tab"], "{kind}");
    }
}

/// With `LEADLINE_PUBLIC_URL`, a change is accepted only from exactly that origin: not
/// another scheme, not another host however the Host header is set, and not a foreign
/// Origin that claims `Sec-Fetch-Site: same-origin`.
#[tokio::test]
async fn writes_come_only_from_the_public_origin() {
    let app =
        TestApp::spawn_with_public_url(TestDatabase::sqlite(), Some("https://chat.example.com"))
            .await;
    let http = reqwest::Client::new();
    let attempt = |origin: &'static str, host: Option<&'static str>, site: Option<&'static str>| {
        let mut b = http
            .post(format!("{}/api/account/login", app.base))
            .header("origin", origin)
            .form(&[("email", "x@example.com"), ("password", "whatever-it-is")]);
        if let Some(h) = host {
            b = b.header("host", h);
        }
        if let Some(s) = site {
            b = b.header("sec-fetch-site", s);
        }
        b.send()
    };
    for (origin, host, site) in [
        ("http://chat.example.com", Some("chat.example.com"), None),
        ("https://evil.example", Some("evil.example"), None),
        ("https://evil.example", None, Some("same-origin")),
        ("https://chat.example.com.evil.example", None, None),
    ] {
        let r = attempt(origin, host, site).await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{origin} {host:?} {site:?}"
        );
    }
    // The public origin itself gets through the check (to setup, on this fresh server).
    let r = attempt("https://chat.example.com", None, Some("same-origin"))
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ready_once_the_database_is_migrated() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "ready");
}

/// `/widget/seen` ("Installed") counts only pages on the allow-list, and not without limit.
#[tokio::test]
async fn the_installed_beacon_counts_allowed_pages_only_and_is_limited() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let key = support::active_playbook(&mut admin, None, &["https://shop.example"]).await;
    let http = reqwest::Client::new();
    let seen = |page: &str| {
        http.post(format!("{}/widget/seen", app.base))
            .query(&[("p", key.as_str()), ("u", page)])
            .send()
    };
    let list: Value = admin.answer("playbooks/list", &[]).await;
    let playbook_id = list[0]["id"].as_str().unwrap().to_string();
    let r = seen("https://made-up.example/").await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let p: Value = admin.answer("playbooks/get", &[("id", &playbook_id)]).await;
    assert!(
        p["last_loaded_url"].is_null(),
        "a made-up page is not an install: {p}"
    );
    let r = seen("https://shop.example/pricing?x=1").await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let p: Value = admin.answer("playbooks/get", &[("id", &playbook_id)]).await;
    assert_eq!(p["last_loaded_url"], "https://shop.example/pricing?x=1");
    let mut limited = false;
    for _ in 0..80 {
        if seen("https://shop.example/").await.unwrap().status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "a flood of beacons is limited");
    // The loader itself is still served to this address, but its load is not recorded
    // (the same per-address limit): a flood of loads writes nothing.
    let r = http
        .get(format!("{}/widget/loader.js", app.base))
        .query(&[
            ("p", key.as_str()),
            ("u", "https://shop.example/after-the-flood"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Leadline"));
    let p: Value = admin.answer("playbooks/get", &[("id", &playbook_id)]).await;
    assert_eq!(p["last_loaded_url"], "https://shop.example/", "{p}");
}

/// A new password that is one of the most common ones is refused, with why (R5).
#[tokio::test]
async fn a_common_password_is_refused() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut c = app.client();
    let r = c
        .call(
            "account/setup",
            &[
                ("company_name", "Acme"),
                ("name", "Ada Admin"),
                ("email", "ada@example.com"),
                ("password", "password1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["Validation"]["field"], "password", "{body}");
    assert!(body.to_string().contains("most common"), "{body}");
    let mut admin = app.setup_admin().await;
    let r = admin
        .call(
            "account/password",
            &[
                ("current_password", "admin-password"),
                ("new_password", "Sunshine1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// One user cannot open event streams without end, and a stream resumed from far back (or
/// from 0) is told to `reset` instead of replaying the whole history.
#[tokio::test]
async fn agent_streams_are_capped_and_old_resumes_reset() {
    use app::backend::entities::{company, event};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let admin = app.setup_admin().await;
    let mut open = Vec::new();
    for _ in 0..app::backend::realtime::sse::STREAMS_PER_USER {
        open.push(admin.stream("/api/events").await);
    }
    let r = admin
        .http
        .get(format!("{}/api/events", app.base))
        .header(
            "cookie",
            format!("leadline_session={}", admin.cookie.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one stream too many"
    );
    // Closing one gives its slot back.
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = admin
            .http
            .get(format!("{}/api/events", app.base))
            .header(
                "cookie",
                format!("leadline_session={}", admin.cookie.clone().unwrap()),
            )
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::OK {
            open.push(r);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot comes back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(open);

    // Far more events than the replay window.
    let db = app.db.connect().await;
    let company_id = company::Entity::find().one(&db).await.unwrap().unwrap().id;
    let payload =
        json!({ "kind": "presence", "user_id": uuid::Uuid::nil().to_string(), "online": false });
    let rows: Vec<event::ActiveModel> = (0..app::backend::realtime::sse::REPLAY_WINDOW + 100)
        .map(|_| event::ActiveModel {
            company_id: Set(company_id),
            conversation_id: Set(None),
            kind: Set("presence".into()),
            payload: Set(payload.to_string()),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        event::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    let resume = |last: i64| {
        admin
            .http
            .get(format!("{}/api/events", app.base))
            .header(
                "cookie",
                format!("leadline_session={}", admin.cookie.clone().unwrap()),
            )
            .header("last-event-id", last.to_string())
            .send()
    };
    let r = resume(0).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let seen = support::read_events(r, std::time::Duration::from_secs(3), |e| !e.is_empty()).await;
    assert_eq!(
        seen.first().map(|e| e.event.as_str()),
        Some("reset"),
        "{seen:?}"
    );
}

/// Behind https (`LEADLINE_PUBLIC_URL`), browsers are told to keep to https.
#[tokio::test]
async fn https_deployments_send_hsts() {
    let app =
        TestApp::spawn_with_public_url(TestDatabase::sqlite(), Some("https://chat.example.com"))
            .await;
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let plain = TestApp::spawn(TestDatabase::sqlite()).await;
    let r = reqwest::get(format!("{}/healthz", plain.base))
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn oversized_logins_count_nowhere_and_current_password_guesses_are_limited() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    // An email longer than any address is refused at once and kept by no limiter (they
    // keep their keys for minutes): forty of them, more than the address's 30 failures,
    // are each a 422, never a 429.
    let long = format!("{}@example.com", "a".repeat(10_000));
    let mut anyone = app.client();
    for i in 0..40 {
        let r = anyone
            .call("account/login", &[("email", &long), ("password", "x")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    let mut ada = app.login("ada@example.com", "admin-password").await;
    assert!(signed_in(&mut ada).await, "this address was not refused");
    // Wrong current passwords are limited as wrong logins are (each costs a hash): ten,
    // then a wait.
    let wrong = [
        ("current_password", "wrong-password"),
        ("new_password", "a-new-passphrase"),
    ];
    for i in 0..10 {
        let r = admin.call("account/password", &wrong).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "guess {i}");
    }
    let r = admin.call("account/password", &wrong).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many wrong passwords"));
}
