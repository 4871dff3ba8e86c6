//! Black-box test support: the real server on port 0 with its own fresh database, and a
//! small HTTP client that keeps the session cookie.
#![allow(dead_code)]
use app::backend::testing::TestDatabase;
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};
use server::config::Config;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    pub db: TestDatabase,
    stop: Option<oneshot::Sender<()>>,
    done: Arc<AtomicBool>,
}

/// A test that still holds its server after this long has stalled (the slowest test takes
/// well under a minute; the benchmarks a few): it ends the test binary with the test's
/// name, rather than letting a run wait for its CI time limit with nothing said.
const STALLED_AFTER: Duration = Duration::from_secs(600);

fn watchdog(done: Arc<AtomicBool>) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let started = Instant::now();
    std::thread::spawn(move || {
        while !done.load(Ordering::Relaxed) {
            if started.elapsed() > STALLED_AFTER {
                eprintln!("{test}: still running after {STALLED_AFTER:?}: stalled, stopping");
                std::process::exit(101);
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
}

impl TestApp {
    pub async fn spawn(db: TestDatabase) -> Self {
        Self::spawn_with_public_url(db, None).await
    }

    /// As `spawn`, with `LEADLINE_PUBLIC_URL` set.
    pub async fn spawn_with_public_url(db: TestDatabase, public_url: Option<&str>) -> Self {
        let public_url = public_url.map(str::to_string);
        Self::spawn_with(db, move |c| c.public_url = public_url).await
    }

    /// As `spawn`, with the configuration changed by `edit` first.
    pub async fn spawn_with(db: TestDatabase, edit: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(SocketAddr::from(([127, 0, 0, 1], 0)), &db.url);
        config.data_dir = std::env::temp_dir();
        config.database_schema = db.schema.clone();
        // The Web Push test runs its own push service on a loopback port.
        config.push_loopback = true;
        edit(&mut config);
        let conn = server::open_database(&config)
            .await
            .expect("database opens");
        let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, conn, config, async {
            let _ = rx.await;
        }));
        let done = Arc::new(AtomicBool::new(false));
        watchdog(done.clone());
        Self {
            base,
            db,
            stop: Some(tx),
            done,
        }
    }

    pub fn client(&self) -> Client {
        client(&self.base)
    }

    /// A client signed in as the first admin (runs setup).
    pub async fn setup_admin(&self) -> Client {
        setup_admin(&self.base).await
    }

    /// Adds a user as `admin` and returns their id.
    pub async fn add_user(&self, admin: &mut Client, email: &str, role: &str) -> String {
        add_user(admin, email, role).await
    }

    /// A client signed in with these credentials.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        login(&self.base, email, password).await
    }
}

/// A client of the server at `base` with no session yet.
pub fn client(base: &str) -> Client {
    Client {
        base: base.to_string(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        cookie: None,
    }
}

/// Runs setup through `base`; returns its first admin ("Ada Admin"), signed in.
pub async fn setup_admin(base: &str) -> Client {
    let mut c = client(base);
    let r = c.call("account/setup", &SETUP).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "setup: {}",
        r.text().await.unwrap()
    );
    c
}

/// The admin adds "Rey Regular" (password "regular-password") and returns their id.
pub async fn add_user(admin: &mut Client, email: &str, role: &str) -> String {
    let r = admin
        .call(
            "users/add",
            &[
                ("name", "Rey Regular"),
                ("email", email),
                ("password", "regular-password"),
                ("role", role),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let row: Value = r.json().await.unwrap();
    row["id"].as_str().unwrap().to_string()
}

/// Signs in through `base`.
pub async fn login(base: &str, email: &str, password: &str) -> Client {
    let mut c = client(base);
    let r = c
        .call("account/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "login: {}",
        r.text().await.unwrap()
    );
    c
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// The setup form: company "Acme", admin Ada (ada@example.com, "admin-password").
pub const SETUP: [(&str, &str); 4] = [
    ("company_name", "Acme"),
    ("name", "Ada Admin"),
    ("email", "ada@example.com"),
    ("password", "admin-password"),
];

/// A real 2×2 PNG (uploads are decoded, so a test image must be one).
pub const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63\x10\x50\x30\x00\x22\x06\x08\x05\x00\x0a\x0e\x01\x81\x56\x33\xee\xf3\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// A real 1×1 GIF.
pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

/// Keeps the `leadline_session` cookie between requests, like a browser would.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
}

impl Client {
    fn remember(&mut self, r: &Response) {
        for value in r.headers().get_all(header::SET_COOKIE) {
            let Ok(v) = value.to_str() else { continue };
            // Behind https the cookie is `__Host-leadline_session`.
            let v = v.strip_prefix("__Host-").unwrap_or(v);
            if let Some(rest) = v.strip_prefix("leadline_session=") {
                let id = rest.split(';').next().unwrap_or("").to_string();
                let expired = v.contains("Max-Age=0") || id.is_empty();
                self.cookie = if expired { None } else { Some(id) };
            }
        }
    }

    fn with_cookie(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            // Under both names: the server reads the one it sets.
            Some(c) => b.header(
                header::COOKIE,
                format!("leadline_session={c}; __Host-leadline_session={c}"),
            ),
            None => b,
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let r = self
            .with_cookie(self.http.get(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap();
        self.remember(&r);
        r
    }

    /// Opens an event stream (`path` with its query) with this client's session.
    pub async fn stream(&self, path: &str) -> Response {
        let r = self
            .with_cookie(self.http.get(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "stream {path}");
        r
    }

    /// Calls a server function (`/api/<endpoint>`) with a form body, as the page does.
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        let r = self
            .with_cookie(self.http.post(format!("{}/api/{endpoint}", self.base)))
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .unwrap();
        self.remember(&r);
        r
    }

    /// Calls a server function that must succeed, and parses its JSON answer.
    pub async fn answer<T: serde::de::DeserializeOwned>(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> T {
        let r = self.call(endpoint, form).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_success(), "{endpoint}: {status} {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"))
    }
}

/// The `Location` of a redirect.
pub fn location(r: &Response) -> Option<String> {
    r.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl Client {
    /// Calls a server function that takes a JSON body.
    pub async fn call_json(&mut self, endpoint: &str, body: &Value) -> Response {
        let r = self
            .with_cookie(self.http.post(format!("{}/api/{endpoint}", self.base)))
            .header("sec-fetch-site", "same-origin")
            .json(body)
            .send()
            .await
            .unwrap();
        self.remember(&r);
        r
    }

    /// POSTs `body` as `content_type` to `path`.
    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: &str) -> Response {
        let r = self
            .with_cookie(self.http.post(format!("{}{path}", self.base)))
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        self.remember(&r);
        r
    }

    /// POSTs raw bytes (an upload).
    pub async fn post_bytes(&mut self, path: &str, bytes: Vec<u8>) -> Response {
        let r = self
            .with_cookie(self.http.post(format!("{}{path}", self.base)))
            .header("sec-fetch-site", "same-origin")
            .body(bytes)
            .send()
            .await
            .unwrap();
        self.remember(&r);
        r
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

/// Moves the complete events at the front of `buf` (SSE text) into `out`.
pub fn take_events(buf: &mut String, out: &mut Vec<Sse>) {
    while let Some(end) = buf.find("\n\n") {
        let block: String = buf.drain(..end + 2).collect();
        let (mut id, mut event, mut data) = (None, String::from("message"), None);
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data = serde_json::from_str(v.trim()).ok();
            }
        }
        if let Some(data) = data {
            out.push(Sse { id, event, data });
        }
    }
}

/// Reads a stream until `enough` says so, or `wait` passes.
pub async fn read_events(
    mut r: reqwest::Response,
    wait: std::time::Duration,
    enough: impl Fn(&[Sse]) -> bool,
) -> Vec<Sse> {
    let mut buf = String::new();
    let mut out: Vec<Sse> = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !enough(&out) {
        let chunk = match tokio::time::timeout_at(deadline, r.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        take_events(&mut buf, &mut out);
    }
    out
}

/// Reads a stream until the message `body` arrives (at most five seconds): what came, and
/// that message's event id. Panics, naming `what`, when it does not come.
pub async fn read_until_message(r: reqwest::Response, body: &str, what: &str) -> (Vec<Sse>, i64) {
    let wait = std::time::Duration::from_secs(5);
    let seen = read_events(r, wait, |e| e.iter().any(|e| e.data["body"] == body)).await;
    let id = seen
        .iter()
        .find(|e| e.data["body"] == body)
        .and_then(|e| e.id)
        .unwrap_or_else(|| panic!("{what}: {body:?} arrives: {seen:?}"));
    (seen, id)
}

/// An active playbook: the Live Chat template's flow, or `cards` instead; returns its key.
pub async fn active_playbook(admin: &mut Client, cards: Option<Value>, sites: &[&str]) -> String {
    let r = admin
        .call("playbooks/create", &[("template", "live_chat")])
        .await;
    let id: String = r.json().await.unwrap();
    let p: Value = admin.answer("playbooks/get", &[("id", &id)]).await;
    let mut settings = p["settings"].clone();
    settings["active"] = json!(true);
    settings["bot_name"] = json!("Leadbot");
    settings["allowed_sites"] = json!(sites);
    let cards = cards.unwrap_or_else(|| p["cards"].clone());
    let r = admin
        .call_json(
            "playbooks/save",
            &json!({ "id": id, "version": p["version"], "settings": settings, "cards": cards }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    p["key"].as_str().unwrap().to_string()
}

/// A visitor starts a chat on the playbook `key` from `page_url` and reaches the Live Chat
/// card (someone is online): the conversation's id and the visitor's token.
pub async fn visitor_starts(base: &str, key: &str, page_url: Option<&str>) -> (String, String) {
    let v: Value = reqwest::Client::new()
        .post(format!("{base}/api/visitor/start"))
        .json(&json!({ "key": key, "page_url": page_url }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["state"], "waiting", "{v}");
    (
        v["conversation_id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

/// The visitor writes `body` (with a client id, as the widget does); it must be accepted.
pub async fn visitor_says(base: &str, id: &str, token: &str, body: &str) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/visitor/messages"))
        .json(&json!({ "token": token, "conversation_id": id, "body": body, "client_id": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}
