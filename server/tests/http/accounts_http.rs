//! Black-box HTTP tests of accounts (F6) and the cross-cutting guards (R4, R5, R8).
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::{header, StatusCode};
use support::{location, TestApp};

/// A server function's form fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

async fn apps() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for db in TestDatabase::all().await {
        apps.push(TestApp::spawn(db).await);
    }
    apps
}

#[tokio::test]
async fn health_check_answers() {
    for app in apps().await {
        let r = app.client().get("/healthz").await;
        assert_eq!(r.status(), StatusCode::OK, "{}", app.db.kind());
    }
}

#[tokio::test]
async fn setup_first_then_never_again() {
    for app in apps().await {
        let mut visitor = app.client();
        for page in ["/", "/login", "/users", "/nowhere"] {
            let r = visitor.get(page).await;
            assert_eq!(
                location(&r).as_deref(),
                Some("/setup"),
                "{page} before setup"
            );
        }
        assert_eq!(visitor.get("/setup").await.status(), StatusCode::OK);

        // Bad input is refused on its field, and nothing is created.
        let r = visitor
            .call(
                "account/setup",
                &[
                    ("company_name", ""),
                    ("name", "Ada"),
                    ("email", "ada@example.com"),
                    ("password", "admin-password"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("company_name"));
        assert_eq!(location(&visitor.get("/").await).as_deref(), Some("/setup"));

        let mut admin = app.setup_admin().await;
        // Setup signs the admin in.
        assert_eq!(admin.get("/").await.status(), StatusCode::OK);
        // A second setup is refused by the server, and the page is gone.
        let mut other = app.client();
        let r = other
            .call(
                "account/setup",
                &[
                    ("company_name", "Evil"),
                    ("name", "Eve"),
                    ("email", "eve@example.com"),
                    ("password", "eve-password"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{}", app.db.kind());
        assert!(r.text().await.unwrap().contains("already set up"));
        assert_eq!(
            location(&other.get("/setup").await).as_deref(),
            Some("/login")
        );
        assert_eq!(location(&other.get("/").await).as_deref(), Some("/login"));
    }
}

#[tokio::test]
async fn login_right_and_wrong_and_logout() {
    for app in apps().await {
        drop(app.setup_admin().await);
        let mut c = app.client();
        for (email, password) in [
            ("ada@example.com", "wrong-password"),
            ("nobody@example.com", "admin-password"),
        ] {
            let r = c
                .call("account/login", &[("email", email), ("password", password)])
                .await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r
                .text()
                .await
                .unwrap()
                .contains("Email or password is incorrect"));
            assert!(c.cookie.is_none(), "no session for a failed login");
        }
        let mut ada = app.login("ADA@example.com", "admin-password").await;
        assert_eq!(ada.get("/").await.status(), StatusCode::OK);
        // An unknown page is a clear "not found", not a blank page.
        let missing = ada.get("/no-such-page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(missing.text().await.unwrap().contains("Page not found"));
        assert_eq!(location(&ada.get("/login").await).as_deref(), Some("/"));
        let me: serde_json::Value = ada.answer("account/me", &[]).await;
        assert_eq!(me["name"], "Ada Admin");
        assert_eq!(me["company_name"], "Acme");

        // Log out deletes the session: the old cookie no longer works.
        let old = ada.cookie.clone();
        assert_eq!(
            ada.call("account/logout", &[]).await.status(),
            StatusCode::OK
        );
        ada.cookie = old;
        assert_eq!(location(&ada.get("/").await).as_deref(), Some("/login"));
        let me: serde_json::Value = ada.answer("account/me", &[]).await;
        assert!(me.is_null());
    }
}

#[tokio::test]
async fn session_id_changes_at_login() {
    for app in apps().await {
        drop(app.setup_admin().await);
        let mut ada = app.login("ada@example.com", "admin-password").await;
        let first = ada.cookie.clone().expect("a session cookie");
        // Logging in again on the same session gets a new id; the old one is dead.
        let r = ada
            .call(
                "account/login",
                &[("email", "ada@example.com"), ("password", "admin-password")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let second = ada.cookie.clone().expect("a session cookie");
        assert_ne!(first, second);
        let mut stale = app.client();
        stale.cookie = Some(first);
        assert_eq!(location(&stale.get("/").await).as_deref(), Some("/login"));
    }
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    for app in apps().await {
        let mut c = app.client();
        let r = c
            .call(
                "account/setup",
                &[
                    ("company_name", "Acme"),
                    ("name", "Ada"),
                    ("email", "ada@example.com"),
                    ("password", "admin-password"),
                ],
            )
            .await;
        let cookie = r
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    }
}

#[tokio::test]
async fn regular_user_is_refused_every_users_function() {
    for app in apps().await {
        let mut admin = app.setup_admin().await;
        let rey_id = app.add_user(&mut admin, "rey@example.com", "regular").await;
        let mut rey = app.login("rey@example.com", "regular-password").await;
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("users/list", vec![]),
            (
                "users/add",
                vec![
                    ("name", "X"),
                    ("email", "x@example.com"),
                    ("password", "x-password"),
                    ("role", "admin"),
                ],
            ),
            (
                "users/update",
                vec![
                    ("user_id", &rey_id),
                    ("role", "admin"),
                    ("can_manage_chatbot", "on"),
                ],
            ),
            (
                "users/set-active",
                vec![("user_id", &rey_id), ("active", "false")],
            ),
        ];
        for (endpoint, form) in &calls {
            let r = rey.call(endpoint, form).await;
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{endpoint} on {}",
                app.db.kind()
            );
            assert!(r.text().await.unwrap().contains("Only admins"));
        }
        // Signed out, the same calls ask to log in.
        let mut anonymous = app.client();
        for (endpoint, form) in &calls {
            let r = anonymous.call(endpoint, form).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
        }
        // Nothing changed: Rey is still a regular, active user, and no user was added.
        let users: serde_json::Value = admin.answer("users/list", &[]).await;
        let users = users.as_array().unwrap();
        assert_eq!(users.len(), 2);
        let rey_row = users
            .iter()
            .find(|u| u["email"] == "rey@example.com")
            .unwrap();
        assert_eq!(rey_row["role"], "Regular");
        assert_eq!(rey_row["active"], true);
    }
}

#[tokio::test]
async fn admin_manages_users_with_clear_validation() {
    for app in apps().await {
        let mut admin = app.setup_admin().await;
        let (long_password, long_name) = ("p".repeat(129), "n".repeat(101));
        let cases: Vec<(Form, &str, &str)> = vec![
            (
                vec![
                    ("name", "N"),
                    ("email", "bad-email"),
                    ("password", "long-enough"),
                    ("role", "regular"),
                ],
                "email",
                "valid email",
            ),
            (
                vec![
                    ("name", "N"),
                    ("email", "ada@example.com"),
                    ("password", "long-enough"),
                    ("role", "regular"),
                ],
                "email",
                "already exists",
            ),
            (
                vec![
                    ("name", "N"),
                    ("email", "n@example.com"),
                    ("password", "short"),
                    ("role", "regular"),
                ],
                "password",
                "at least 8",
            ),
            (
                vec![
                    ("name", "N"),
                    ("email", "n@example.com"),
                    ("password", &long_password),
                    ("role", "regular"),
                ],
                "password",
                "at most 128",
            ),
            (
                vec![
                    ("name", ""),
                    ("email", "n@example.com"),
                    ("password", "long-enough"),
                    ("role", "regular"),
                ],
                "name",
                "Enter a name",
            ),
            (
                vec![
                    ("name", &long_name),
                    ("email", "n@example.com"),
                    ("password", "long-enough"),
                    ("role", "regular"),
                ],
                "name",
                "at most 100",
            ),
            (
                vec![
                    ("name", "N"),
                    ("email", "n@example.com"),
                    ("password", "long-enough"),
                    ("role", "king"),
                ],
                "role",
                "Admin or Regular",
            ),
        ];
        for (form, field, message) in cases {
            let r = admin.call("users/add", &form).await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}: {message}"
            );
            let body: serde_json::Value = r.json().await.unwrap();
            let v = &body["Validation"];
            assert_eq!(v["field"], field);
            assert!(v["message"].as_str().unwrap().contains(message), "{body}");
        }
        let rey = app.add_user(&mut admin, "rey@example.com", "regular").await;
        let r = admin
            .call(
                "users/update",
                &[
                    ("user_id", &rey),
                    ("role", "regular"),
                    ("can_manage_chatbot", "on"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let row: serde_json::Value = r.json().await.unwrap();
        assert_eq!(row["can_manage_chatbot"], true);
        // A user of another id space is "not found", not a crash.
        let r = admin
            .call(
                "users/set-active",
                &[
                    ("user_id", "00000000-0000-0000-0000-000000000000"),
                    ("active", "false"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn deactivated_users_session_ends_at_once() {
    for app in apps().await {
        let mut admin = app.setup_admin().await;
        let rey_id = app.add_user(&mut admin, "rey@example.com", "regular").await;
        let mut rey = app.login("rey@example.com", "regular-password").await;
        assert_eq!(rey.get("/").await.status(), StatusCode::OK);
        let r = admin
            .call(
                "users/set-active",
                &[("user_id", &rey_id), ("active", "false")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            location(&rey.get("/").await).as_deref(),
            Some("/login"),
            "{}",
            app.db.kind()
        );
        let me: serde_json::Value = rey.answer("account/me", &[]).await;
        assert!(me.is_null());
        let r = rey
            .call(
                "account/login",
                &[
                    ("email", "rey@example.com"),
                    ("password", "regular-password"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Reactivated, Rey can log in again.
        admin
            .call(
                "users/set-active",
                &[("user_id", &rey_id), ("active", "true")],
            )
            .await;
        drop(app.login("rey@example.com", "regular-password").await);
    }
}

#[tokio::test]
async fn cross_origin_writes_are_refused() {
    for app in apps().await {
        drop(app.setup_admin().await);
        let url = format!("{}/api/account/login", app.base);
        let http = reqwest::Client::new();
        let form = [("email", "ada@example.com"), ("password", "admin-password")];
        let r = http
            .post(&url)
            .header("origin", "http://evil.example")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = http
            .post(&url)
            .header("sec-fetch-site", "cross-site")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let own_origin = app.base.clone();
        let r = http
            .post(&url)
            .header("origin", own_origin)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn security_headers_on_pages_and_endpoints() {
    for app in apps().await {
        let mut c = app.client();
        for path in ["/setup", "/healthz"] {
            let r = c.get(path).await;
            let h = r.headers();
            let csp = h
                .get(header::CONTENT_SECURITY_POLICY)
                .unwrap()
                .to_str()
                .unwrap();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
            assert!(h.get(header::REFERRER_POLICY).is_some());
        }
        // The page's scripts run by nonce only.
        let r = c.get("/setup").await;
        let csp = r
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let html = r.text().await.unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "hydration script carries the nonce"
        );
        assert!(!csp.contains("unsafe-inline"));
    }
}

#[tokio::test]
async fn login_is_rate_limited_per_email() {
    for app in apps().await {
        drop(app.setup_admin().await);
        let mut c = app.client();
        let mut statuses = Vec::new();
        for _ in 0..11 {
            let r = c
                .call(
                    "account/login",
                    &[("email", "ada@example.com"), ("password", "wrong-password")],
                )
                .await;
            statuses.push(r.status());
        }
        assert_eq!(
            statuses[..10]
                .iter()
                .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
                .count(),
            10
        );
        assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
        // Even the right password is refused while limited.
        let r = c
            .call(
                "account/login",
                &[("email", "ada@example.com"), ("password", "admin-password")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.text().await.unwrap().contains("Too many login attempts"));
    }
}

#[tokio::test]
async fn successful_logins_are_not_limited() {
    for app in apps().await {
        drop(app.setup_admin().await);
        // More sign-ins than the failure limit allows: a team signing in every day is fine.
        for n in 0..12 {
            let c = app.login("ada@example.com", "admin-password").await;
            assert!(c.cookie.is_some(), "sign-in {n}");
        }
    }
}

#[tokio::test]
async fn login_is_rate_limited_per_address() {
    for app in apps().await {
        drop(app.setup_admin().await);
        let mut c = app.client();
        let mut last = StatusCode::OK;
        // Different emails each time: only the address limit (30 per window) applies.
        for n in 0..31 {
            let email = format!("user{n}@example.com");
            last = c
                .call(
                    "account/login",
                    &[("email", &email), ("password", "wrong-password")],
                )
                .await
                .status();
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    }
}

/// A deactivated user's open event streams end at once (on every server: the change is an
/// event), while everyone else's go on.
#[tokio::test]
async fn a_deactivated_users_open_event_stream_ends_at_once() {
    for app in apps().await {
        let kind = app.db.kind();
        let mut admin = app.setup_admin().await;
        let rey_id = app.add_user(&mut admin, "rey@example.com", "regular").await;
        let rey = app.login("rey@example.com", "regular-password").await;
        let rey_stream = rey.stream("/api/events").await;
        assert_eq!(rey_stream.status(), StatusCode::OK);
        let admin_stream = admin.stream("/api/events").await;
        let r = admin
            .call(
                "users/set-active",
                &[("user_id", &rey_id), ("active", "false")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let started = std::time::Instant::now();
        let events = support::read_events(rey_stream, std::time::Duration::from_secs(5), |e| {
            e.iter().any(|e| e.event == "denied")
        })
        .await;
        assert!(
            events.iter().any(|e| e.event == "denied"),
            "{kind}: Rey's stream went on: {events:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{kind}"
        );
        // The admin's own stream goes on.
        let _ = admin
            .call(
                "users/set-active",
                &[("user_id", &rey_id), ("active", "true")],
            )
            .await;
        let later =
            support::read_events(admin_stream, std::time::Duration::from_secs(2), |_| false).await;
        assert!(
            later.iter().all(|e| e.event != "denied"),
            "{kind}: the admin's stream ended: {later:?}"
        );
    }
}

/// A sign-in refused because too many already wait for the password-hashing pool (B6) says
/// when to come back, as every other 429 does.
#[tokio::test]
async fn a_busy_hashing_pool_says_when_to_come_back() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |c| {
        c.limits.login_per_address = 100_000;
        c.limits.login_per_address_and_email = 100_000;
        c.limits.login_per_email = 100_000;
    })
    .await;
    drop(app.setup_admin().await);
    let attempts = (0..300).map(|n| {
        let mut c = app.client();
        async move {
            let email = format!("user{n}@example.com");
            c.call(
                "account/login",
                &[("email", email.as_str()), ("password", "wrong-password")],
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for r in &answers {
        *statuses.entry(r.status().as_u16()).or_insert(0) += 1;
    }
    assert!(!busy.is_empty(), "the pool turned some away: {statuses:?}");
    for r in busy {
        assert!(r.headers().contains_key("retry-after"), "{:?}", r.headers());
    }
}
