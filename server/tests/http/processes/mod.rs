//! Real `leadline` processes for black-box tests that need more than one server, or a server
//! that dies: each is spawned on a free port, waited for until it answers, can be SIGKILLed and
//! restarted on the same port and database, and is killed on drop. Plus the HTTP steps these
//! tests share (an admin, an agent, a Live Chat playbook, a visitor) and an event-stream
//! reader that keeps its place between reads.
//!
//! Tests use it as `crate::processes` beside `crate::support` (it builds on `support::Client`).
#![allow(dead_code)]
pub use crate::support::{client, setup_admin};
use crate::support::{Client, Sse};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a (re)started server may take to answer `/healthz`: a debug build running its
/// migrations on a 2-core machine that also compiles.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A `leadline serve` process; `base` stays the same across restarts.
pub struct ServerProcess {
    pub name: String,
    pub base: String,
    addr: String,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// How many times it was started.
    pub starts: u32,
}

/// A port of 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

impl ServerProcess {
    /// Starts `leadline serve` on a free port with these extra environment variables (the
    /// database), logging to `<log_dir>/<name>.log`, and waits until it answers.
    pub async fn start(name: &str, env: &[(&str, &str)], log_dir: &Path) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut p = Self {
            name: name.to_string(),
            base: format!("http://{addr}"),
            addr,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            log: log_dir.join(format!("{name}.log")),
            child: None,
            starts: 0,
        };
        p.restart().await;
        p
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "{}: already running", self.name);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the log file opens");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadline"));
        cmd.arg("serve");
        // Only what this test says: nothing from the caller's environment decides the database.
        for (k, _) in std::env::vars() {
            if k.starts_with("LEADLINE_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("LEADLINE_ADDR", &self.addr)
            .env("LEADLINE_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file is shared"))
            .stderr(log);
        self.child = Some(cmd.spawn().expect("leadline runs"));
        self.starts += 1;
    }

    /// Starts it again (same port, same database) and waits until it answers.
    pub async fn restart(&mut self) {
        self.spawn();
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "{}: exited while starting ({status}):\n{}",
                    self.name,
                    self.log_tail(40)
                );
            }
            if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: no answer from /healthz within {READY_WITHIN:?}:\n{}",
                self.name,
                self.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The last `lines` lines of its log (every start of it appends there).
    pub fn log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Its whole log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The same session, talking to another server (sessions live in the shared database).
pub fn same_session_on(c: &Client, base: &str) -> Client {
    Client {
        cookie: c.cookie.clone(),
        ..client(base)
    }
}

/// The admin adds a regular user "Rey Regular" (password "regular-password").
pub async fn add_agent(admin: &mut Client, email: &str) {
    crate::support::add_user(admin, email, "regular").await;
}

/// Turns the agent's "Online" toggle on (through the server this client talks to).
pub async fn go_online(agent: &mut Client) {
    let r = agent.call("inbox/online", &[("online", "true")]).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

/// What every offline message of `live_chat_playbook` contains.
pub const OFFLINE_NOTE: &str = "nobody is available (offline note)";

/// An active playbook from the Live Chat template whose Live Chat card waits `wait_seconds`
/// and says `OFFLINE_NOTE` when the wait passes; returns its key.
pub async fn live_chat_playbook(admin: &mut Client, wait_seconds: u32) -> String {
    let id: String = admin
        .answer("playbooks/create", &[("template", "live_chat")])
        .await;
    let p: Value = admin.answer("playbooks/get", &[("id", &id)]).await;
    let mut settings = p["settings"].clone();
    settings["active"] = json!(true);
    let mut cards = p["cards"].clone();
    let mut live_chat = 0;
    for card in cards.as_array_mut().expect("cards are a list") {
        if card["body"]["kind"] == "live_chat" {
            card["body"]["wait_seconds"] = json!(wait_seconds);
            card["body"]["offline_message"] = json!(format!("<p>Sorry, {OFFLINE_NOTE}.</p>"));
            live_chat += 1;
        }
    }
    assert_eq!(live_chat, 1, "the template has one Live Chat card: {cards}");
    let r = admin
        .call_json(
            "playbooks/save",
            &json!({ "id": id, "version": p["version"], "settings": settings, "cards": cards }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    p["key"].as_str().expect("a playbook key").to_string()
}

/// A visitor's conversation, as the widget frame keeps it.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub id: String,
    pub token: String,
    /// The newest event id of the view the start returned (where its stream starts).
    pub last_event_id: i64,
    /// The state right after the start.
    pub state: String,
}

/// A new visitor starts a chat with the playbook of `key` through `base`.
pub async fn start_visitor(http: &reqwest::Client, base: &str, key: &str) -> Visitor {
    let r = http
        .post(format!("{base}/api/visitor/start"))
        .json(&json!({ "key": key, "page_url": "https://shop.example.com/pricing" }))
        .send()
        .await
        .expect("visitor/start answers");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "visitor/start: {v}");
    Visitor {
        id: v["conversation_id"].as_str().unwrap().to_string(),
        token: v["token"].as_str().unwrap().to_string(),
        last_event_id: v["last_event_id"].as_i64().unwrap(),
        state: v["state"].as_str().unwrap().to_string(),
    }
}

/// The visitor sends `body` through `base` with `client_id`, as the widget does.
pub async fn visitor_send(
    http: &reqwest::Client,
    base: &str,
    v: &Visitor,
    body: &str,
    client_id: &str,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}/api/visitor/messages"))
        .json(&json!({ "token": v.token, "conversation_id": v.id, "body": body, "client_id": client_id }))
        .send()
        .await
}

/// The visitor's event stream through `base`, from where their view ended.
pub async fn visitor_events(http: &reqwest::Client, base: &str, v: &Visitor) -> Events {
    let r = http
        .get(format!(
            "{base}/api/visitor/events?c={}&t={}&after={}",
            v.id, v.token, v.last_event_id
        ))
        .send()
        .await
        .expect("the visitor stream opens");
    assert_eq!(r.status(), StatusCode::OK, "visitor stream");
    Events::new(r)
}

/// An open event stream read bit by bit: each `until` goes on where the last one stopped.
pub struct Events {
    response: reqwest::Response,
    buf: String,
    /// Every event read so far, in order.
    pub all: Vec<Sse>,
}

impl Events {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            buf: String::new(),
            all: Vec::new(),
        }
    }

    /// Reads until `enough` holds for the events this call read, or `wait` passes; returns
    /// them (also kept in `all`).
    pub async fn until(&mut self, wait: Duration, enough: impl Fn(&[Sse]) -> bool) -> Vec<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out: Vec<Sse> = Vec::new();
        while !enough(&out) {
            let chunk = match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(c))) => c,
                _ => break,
            };
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
            crate::support::take_events(&mut self.buf, &mut out);
        }
        self.all.extend(out.iter().cloned());
        out
    }
}

/// How many offline messages a conversation (as the agent reads it) holds.
pub fn offline_notes(detail: &Value) -> usize {
    detail["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(OFFLINE_NOTE)))
                .count()
        })
        .unwrap_or(0)
}
