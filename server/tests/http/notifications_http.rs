//! Black-box HTTP tests of desktop notifications (F5): the agents' event stream carries a
//! `notify` event exactly when the company's and the user's switches and the conversation's
//! visibility allow it; a change applies to a stream already open; only admins change the
//! company's switches.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use support::{take_events, Client, Sse, TestApp};

/// An open event stream, read a little at a time.
struct Feed {
    r: reqwest::Response,
    buf: String,
    seen: Vec<Sse>,
}

impl Feed {
    async fn open(c: &Client) -> Self {
        Feed {
            r: c.stream("/api/events").await,
            buf: String::new(),
            seen: Vec::new(),
        }
    }

    /// Reads until an event matches `until` (at most five seconds); returns what came since
    /// the last call, that event included. Panics naming `what` when it does not come.
    async fn until(&mut self, what: &str, until: impl Fn(&Sse) -> bool) -> Vec<Sse> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(p) = self.seen.iter().position(&until) {
                return self.seen.drain(..=p).collect();
            }
            match tokio::time::timeout_at(deadline, self.r.chunk()).await {
                Ok(Ok(Some(c))) => {
                    self.buf.push_str(&String::from_utf8_lossy(&c));
                    take_events(&mut self.buf, &mut self.seen);
                }
                _ => panic!("{what} does not arrive: {:?}", self.seen),
            }
        }
    }

    /// The notifications since the last read, up to the "prefs" event `c`'s own settings
    /// change makes now: a marker after everything sent before it (a notification follows
    /// the event it comes from).
    async fn notices_until_marker(&mut self, c: &mut Client, what: &str) -> Vec<Value> {
        let r = c
            .call("notifications/mine/sound", &[("sound", "none")])
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{what}: the marker");
        self.until(what, |e| e.event == "prefs")
            .await
            .into_iter()
            .filter(|e| e.event == "notify")
            .map(|e| e.data)
            .collect()
    }
}

fn kinds(notices: &[Value]) -> Vec<&str> {
    notices.iter().filter_map(|n| n["kind"].as_str()).collect()
}

/// A visitor starts a chat on the playbook `key`, from a pricing page.
async fn visitor_starts(app: &TestApp, key: &str) -> (String, String) {
    support::visitor_starts(&app.base, key, Some("https://shop.example/pricing")).await
}

async fn visitor_says(app: &TestApp, id: &str, token: &str, body: &str) {
    support::visitor_says(&app.base, id, token, body).await
}

const KINDS: [&str; 3] = ["new_conversation", "assigned", "message"];

async fn switch(c: &mut Client, endpoint: &str, kind: &str, on: bool) {
    let on = if on { "true" } else { "false" };
    let r = c.call(endpoint, &[("kind", kind), ("on", on)]).await;
    assert_eq!(r.status(), StatusCode::OK, "{endpoint} {kind}");
}

/// Every combination of the company's and the user's switch for each kind: the user's open
/// stream carries the kind exactly when both are on, and the other kinds meanwhile. Nobody
/// is told of their own actions, of the chatbot's messages, or of a conversation that is
/// someone else's.
#[tokio::test]
async fn each_trigger_follows_the_company_and_user_switches() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let b_id = app.add_user(&mut admin, "b@example.com", "regular").await;
        let mut b = app.login("b@example.com", "regular-password").await;
        let c_user = app.add_user(&mut admin, "c@example.com", "regular").await;
        let c = app.login("c@example.com", "regular-password").await;
        for who in [&mut admin, &mut b] {
            let r = who.call("inbox/online", &[("online", "true")]).await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let key = support::active_playbook(&mut admin, None, &[]).await;
        // Opened once: every change below applies to streams already open.
        let mut b_feed = Feed::open(&b).await;
        let mut admin_feed = Feed::open(&admin).await;
        // C is not online: no new conversations for C, but what is assigned to C.
        let mut c_feed = Feed::open(&c).await;

        let mut round = 0;
        for k in KINDS {
            for (company_on, user_on) in
                [(true, true), (true, false), (false, true), (false, false)]
            {
                round += 1;
                for other in KINDS {
                    let (co, uo) = if other == k {
                        (company_on, user_on)
                    } else {
                        (true, true)
                    };
                    switch(
                        &mut admin,
                        "settings/company/notifications/switch",
                        other,
                        co,
                    )
                    .await;
                    switch(&mut b, "notifications/mine/switch", other, uo).await;
                }
                let what =
                    format!("{kind} round {round} ({k}: company {company_on}, user {user_on})");
                let (id, token) = visitor_starts(&app, &key).await;
                // B's stream has read it while it waits (a conversation already taken by
                // someone else when the stream reads it is not announced).
                let waiting: Vec<Value> = b_feed
                    .until(&what, |e| {
                        e.event == "conversation"
                            && e.data["id"] == id.as_str()
                            && e.data["state"] == "waiting"
                    })
                    .await
                    .into_iter()
                    .filter(|e| e.event == "notify")
                    .map(|e| e.data)
                    .collect();
                let r = admin.call("inbox/assign", &[("id", &id)]).await;
                assert_eq!(r.status(), StatusCode::OK, "{what}");
                let r = admin
                    .call("inbox/reassign", &[("id", &id), ("to", &b_id)])
                    .await;
                assert_eq!(r.status(), StatusCode::OK, "{what}");
                let body = format!("hello {round}");
                visitor_says(&app, &id, &token, &body).await;

                let mut told = waiting;
                told.extend(b_feed.notices_until_marker(&mut b, &what).await);
                let want: Vec<&str> = KINDS
                    .into_iter()
                    .filter(|x| *x != k || (company_on && user_on))
                    .collect();
                assert_eq!(kinds(&told), want, "{what}: {told:?}");
                for n in &told {
                    assert_eq!(n["conversation_id"], id.as_str(), "{what}");
                }
                let message = told.iter().find(|n| n["kind"] == "message");
                if let Some(m) = message {
                    assert_eq!(m["body"], body.as_str(), "{what}: the message's first line");
                    assert_eq!(m["url"], format!("/inbox?folder=mine&c={id}"), "{what}");
                }
                if let Some(n) = told.iter().find(|n| n["kind"] == "new_conversation") {
                    assert!(
                        n["body"].as_str().unwrap().contains("shop.example/pricing"),
                        "{what}: the page: {n}"
                    );
                }

                // The admin took it themselves and handed it on: only the new conversation,
                // and nothing of B's conversation afterwards (not theirs to see).
                let admin_told: Vec<Value> = admin_feed
                    .until(&what, |e| {
                        e.event == "hidden" && e.data["id"] == id.as_str()
                    })
                    .await
                    .into_iter()
                    .filter(|e| e.event == "notify")
                    .map(|e| e.data)
                    .collect();
                let admin_wants: Vec<&str> = if k == "new_conversation" && !company_on {
                    vec![]
                } else {
                    vec!["new_conversation"]
                };
                assert_eq!(kinds(&admin_told), admin_wants, "{what}: {admin_told:?}");
            }
        }
        // The admin's stream saw no notice for B's messages (read up to a later event).
        let (id, _) = visitor_starts(&app, &key).await;
        let later = admin_feed
            .until("the last conversation", |e| {
                e.event == "conversation" && e.data["id"] == id.as_str()
            })
            .await;
        assert!(
            later
                .iter()
                .all(|e| e.event != "notify" || e.data["kind"] == "new_conversation"),
            "{kind}: {later:?}"
        );

        // C was never online: no new conversations; a conversation handed to C is told.
        let r = admin.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = admin
            .call("inbox/reassign", &[("id", &id), ("to", &c_user)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let c_saw = c_feed
            .until("C's assignment", |e| e.event == "notify")
            .await;
        let told: Vec<&Sse> = c_saw.iter().filter(|e| e.event == "notify").collect();
        assert_eq!(told.len(), 1, "{kind}: {c_saw:?}");
        assert_eq!(told[0].data["kind"], "assigned", "{kind}");
        assert_eq!(told[0].data["conversation_id"], id.as_str(), "{kind}");
    }
}

/// Only admins change the company's switches; anyone changes their own; a sound must be
/// one of the list; what a user reads reflects both.
#[tokio::test]
async fn settings_are_checked_and_scoped() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        app.add_user(&mut admin, "b@example.com", "regular").await;
        let mut b = app.login("b@example.com", "regular-password").await;
        for endpoint in ["settings/company", "settings/company/notifications/switch"] {
            let r = b
                .call(endpoint, &[("kind", "message"), ("on", "false")])
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{kind}: {endpoint}");
        }
        let r = app.client().call("notifications/mine", &[]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}");

        switch(
            &mut admin,
            "settings/company/notifications/switch",
            "assigned",
            false,
        )
        .await;
        switch(&mut b, "notifications/mine/switch", "message", false).await;
        let company: Value = admin.answer("settings/company", &[]).await;
        assert_eq!(
            company["notifications"]["assigned"], false,
            "{kind}: {company}"
        );
        assert_eq!(company["notifications"]["message"], true, "{kind}");
        let mine: Value = b.answer("notifications/mine", &[]).await;
        assert_eq!(mine["company"]["assigned"], false, "{kind}: {mine}");
        assert_eq!(mine["company"]["message"], true, "{kind}");
        assert_eq!(mine["mine"]["message"], false, "{kind}");
        assert_eq!(mine["mine"]["assigned"], true, "{kind}");
        // The admin's own switches are theirs alone.
        let admins: Value = admin.answer("notifications/mine", &[]).await;
        assert_eq!(admins["mine"]["message"], true, "{kind}");

        let r = b
            .call("notifications/mine/sound", &[("sound", "trumpet")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let body: Value = r.json().await.unwrap();
        assert!(body.to_string().contains("Sound"), "{kind}: {body}");
        let mine: Value = b
            .answer("notifications/mine/sound", &[("sound", "chime")])
            .await;
        assert_eq!(mine["sound"], "chime", "{kind}");
        let r = b
            .call(
                "notifications/mine/switch",
                &[("kind", "everything"), ("on", "true")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::BAD_REQUEST,
            "{kind}: an unknown kind"
        );
    }
}

/// What the test's push service received: each request's headers and body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(reqwest::header::HeaderMap, Vec<u8>)>>>;

/// A push service of the test's own, on a loopback port: it keeps what it is sent and
/// answers `status` (0: never answers), with its own P-256 keys as a browser has.
struct PushService {
    url: String,
    got: Received,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    secret: web_push_native::p256::SecretKey,
    auth: [u8; 16],
}

impl PushService {
    async fn start(status: u16) -> Self {
        use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
        use std::sync::atomic::{AtomicU16, Ordering};
        use std::sync::Arc;
        type Got = Received;
        let got: Got = Arc::default();
        let status = Arc::new(AtomicU16::new(status));
        async fn receive(
            State((got, status)): State<(Got, Arc<AtomicU16>)>,
            headers: HeaderMap,
            body: Bytes,
        ) -> axum::http::StatusCode {
            got.lock().unwrap().push((headers, body.to_vec()));
            match status.load(Ordering::SeqCst) {
                0 => std::future::pending().await,
                s => axum::http::StatusCode::from_u16(s).unwrap(),
            }
        }
        let app = Router::new()
            .route("/push/{id}", post(receive))
            .with_state((got.clone(), status.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/push/{}",
            listener.local_addr().unwrap(),
            rand_id()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let secret = web_push_native::p256::SecretKey::random(&mut rand_core());
        let mut auth = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut auth);
        PushService {
            url,
            got,
            status,
            secret,
            auth,
        }
    }

    /// The subscription a browser would send.
    fn subscription(&self) -> Value {
        use base64ct::{Base64UrlUnpadded, Encoding};
        use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": self.url,
            "expirationTime": null,
            "keys": {
                "p256dh": Base64UrlUnpadded::encode_string(public.as_bytes()),
                "auth": Base64UrlUnpadded::encode_string(&self.auth),
            }
        })
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Waits until `n` pushes came (at most ten seconds).
    async fn wait_for(&self, n: usize, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.count() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: {} of {n} pushes came",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The `i`th push, decrypted (RFC 8291), with its Authorization header.
    fn opened(&self, i: usize) -> (Value, String) {
        let (headers, body) = self.got.lock().unwrap()[i].clone();
        assert_eq!(headers["content-encoding"], "aes128gcm");
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(body, &self.secret, &auth).expect("decrypts");
        let notice: Value = serde_json::from_slice(&plain).unwrap();
        let authorization = headers["authorization"].to_str().unwrap().to_string();
        (notice, authorization)
    }
}

fn rand_id() -> u64 {
    rand::random()
}

fn rand_core() -> impl web_push_native::p256::elliptic_curve::rand_core::CryptoRngCore {
    web_push_native::p256::elliptic_curve::rand_core::OsRng
}

/// The VAPID header is `vapid t=JWT, k=KEY`: the key is the server's, the token is signed by
/// it, for the push service's origin, with a contact.
fn check_vapid(authorization: &str, server_key: &str, push_url: &str, what: &str) {
    use base64ct::{Base64UrlUnpadded, Encoding};
    use web_push_native::jwt_simple::prelude::*;
    let rest = authorization
        .strip_prefix("vapid ")
        .unwrap_or_else(|| panic!("{what}: {authorization}"));
    let mut t = None;
    let mut k = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("t=") {
            t = Some(v);
        } else if let Some(v) = part.strip_prefix("k=") {
            k = Some(v);
        }
    }
    let (t, k) = (t.expect("t="), k.expect("k="));
    assert_eq!(k, server_key, "{what}: the server's public key");
    let key = ES256PublicKey::from_bytes(&Base64UrlUnpadded::decode_vec(k).unwrap()).unwrap();
    // The audience is the push service's scheme and host (web-push-native leaves out the
    // port; real push services are on 443).
    let url = reqwest::Url::parse(push_url).unwrap();
    let origin = format!("{}://{}", url.scheme(), url.host_str().unwrap());
    let origin = origin.as_str();
    let options = VerificationOptions {
        allowed_audiences: Some(HashSet::from_strings(&[origin])),
        ..Default::default()
    };
    let claims = key
        .verify_token::<NoCustomClaims>(t, Some(options))
        .unwrap_or_else(|e| panic!("{what}: the token is signed by the key: {e}"));
    assert!(
        claims
            .subject
            .as_deref()
            .is_some_and(|s| s.starts_with("mailto:")),
        "{what}: a contact: {:?}",
        claims.subject
    );
}

async fn subscribe(c: &mut Client, service: &PushService) {
    let r = c
        .http
        .post(format!("{}/api/push/subscribe", c.base))
        .header(
            "cookie",
            format!("leadline_session={}", c.cookie.clone().unwrap()),
        )
        .json(&service.subscription())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "{}",
        r.text().await.unwrap()
    );
}

async fn front(c: &Client, focused: bool) {
    let r = c
        .http
        .post(format!("{}/api/notifications/focus", c.base))
        .header(
            "cookie",
            format!("leadline_session={}", c.cookie.clone().unwrap()),
        )
        .json(&json!({ "focused": focused }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

async fn subscriptions(app: &TestApp) -> u64 {
    use app::backend::entities::push_subscription;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = app.db.connect().await;
    push_subscription::Entity::find().count(&db).await.unwrap()
}

/// Web Push with no tab open: each of the three kinds reaches the user's push service,
/// encrypted for that browser and signed with the server's VAPID key; none while one of
/// their inbox tabs is in front; a push service that says the subscription is gone (410)
/// gets it deleted.
#[tokio::test]
async fn web_push_carries_each_kind_encrypted_and_signed() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let admin_id = {
            let me: Value = admin.answer("account/me", &[]).await;
            me["id"].as_str().unwrap().to_string()
        };
        app.add_user(&mut admin, "b@example.com", "regular").await;
        let mut b = app.login("b@example.com", "regular-password").await;
        for who in [&mut admin, &mut b] {
            let r = who.call("inbox/online", &[("online", "true")]).await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let service = PushService::start(201).await;
        subscribe(&mut admin, &service).await;
        let server_key: Value = admin.get("/api/push/key").await.json().await.unwrap();
        let server_key = server_key["key"].as_str().unwrap().to_string();

        // New conversation; B takes it and hands it to the admin; the visitor writes.
        let (id, token) = visitor_starts(&app, &key).await;
        // Once its push went: a conversation already taken by someone else when the event
        // is read is not announced as new (on a busy machine the reader can be that late).
        service.wait_for(1, kind).await;
        let r = b.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = b
            .call("inbox/reassign", &[("id", &id), ("to", &admin_id)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        visitor_says(&app, &id, &token, "hello by push").await;
        service.wait_for(3, kind).await;
        let mut kinds = Vec::new();
        for i in 0..3 {
            let (notice, authorization) = service.opened(i);
            check_vapid(&authorization, &server_key, &service.url, kind);
            assert_eq!(notice["conversation_id"], id.as_str(), "{kind}: {notice}");
            kinds.push(notice["kind"].as_str().unwrap().to_string());
            if notice["kind"] == "message" {
                assert_eq!(notice["body"], "hello by push", "{kind}");
                assert_eq!(
                    notice["url"],
                    format!("/inbox?folder=mine&c={id}"),
                    "{kind}"
                );
            }
        }
        // Sent side by side: they may arrive in any order.
        kinds.sort();
        let mut want = KINDS.map(String::from).to_vec();
        want.sort();
        assert_eq!(kinds, want, "{kind}");

        // While an inbox tab is in front: no push (the tab shows it).
        front(&admin, true).await;
        let mut feed = Feed::open(&admin).await;
        visitor_says(&app, &id, &token, "while in front").await;
        // The batch has been published (the sender plans from the same one at once).
        feed.until(kind, |e| e.data["body"] == "while in front")
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        front(&admin, false).await;
        visitor_says(&app, &id, &token, "after").await;
        service.wait_for(4, kind).await;
        let (notice, _) = service.opened(3);
        assert_eq!(notice["body"], "after", "{kind}: no push while in front");

        // The push service says the subscription is gone: it is deleted.
        service
            .status
            .store(410, std::sync::atomic::Ordering::SeqCst);
        visitor_says(&app, &id, &token, "gone").await;
        service.wait_for(5, kind).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while subscriptions(&app).await > 0 {
            assert!(tokio::time::Instant::now() < deadline, "{kind}: deleted");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        visitor_says(&app, &id, &token, "nobody to push to").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(service.count(), 5, "{kind}: no more pushes");

        // A subscription must be one Leadline can send to, from a signed-in user.
        let mut bad = service.subscription();
        bad["endpoint"] = json!("http://10.0.0.1/push/1");
        let r = admin
            .http
            .post(format!("{}/api/push/subscribe", app.base))
            .header(
                "cookie",
                format!("leadline_session={}", admin.cookie.clone().unwrap()),
            )
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let r = reqwest::Client::new()
            .post(format!("{}/api/push/subscribe", app.base))
            .json(&service.subscription())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}");

        // The browser unsubscribes: the subscription is removed (for a signed-in user only).
        subscribe(&mut admin, &service).await;
        assert_eq!(subscriptions(&app).await, 1, "{kind}");
        let endpoint = json!({ "endpoint": service.subscription()["endpoint"] });
        let r = reqwest::Client::new()
            .post(format!("{}/api/push/unsubscribe", app.base))
            .json(&endpoint)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}");
        assert_eq!(subscriptions(&app).await, 1, "{kind}: still there");
        let r = admin.call_json("push/unsubscribe", &endpoint).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{kind}");
        assert_eq!(subscriptions(&app).await, 0, "{kind}: removed");
    }
}

/// A push service that never answers does not slow the chat: messages still reach the
/// agent's stream at once while pushes to it wait.
#[tokio::test]
async fn a_hanging_push_service_does_not_delay_the_chat() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let r = admin.call("inbox/online", &[("online", "true")]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let hanging = PushService::start(0).await;
        subscribe(&mut admin, &hanging).await;
        let (id, token) = visitor_starts(&app, &key).await;
        let r = admin.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let mut feed = Feed::open(&admin).await;
        let started = std::time::Instant::now();
        for i in 0..20 {
            let body = format!("quick {i}");
            visitor_says(&app, &id, &token, &body).await;
            feed.until(kind, |e| {
                e.event == "message" && e.data["body"] == body.as_str()
            })
            .await;
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "{kind}: 20 messages took {took:?}"
        );
        hanging.wait_for(1, kind).await;
    }
}
