//! Seeding through HTTP exactly as the HTTP tests and the pages do: the company and its
//! first admin (`account/setup`, or `account/login` on a server that is set up already), a
//! playbook whose first card is Live Chat with a long wait, agents (`users/add`,
//! `account/login`, `inbox/online`), visitors who start conversations
//! (`/api/visitor/start`, each from its own loopback address), and agents taking them
//! (`inbox/assign`).
use crate::http::{self, loopback, Res, Session, WithContext};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The admin's session and the active playbook's key.
pub struct Company {
    pub admin: Session,
    pub key: String,
}

/// Sets the company up (or signs in as its admin when the server is set up already) and
/// makes an active playbook whose first card is a Live Chat card waiting `wait` seconds.
pub async fn company(base: &str, email: &str, password: &str, wait: u32) -> Res<Company> {
    let mut admin = Session::new(base, http::client(None, 8));
    let (status, body) = admin
        .call(
            "account/setup",
            &[
                ("company_name", "Acme Load"),
                ("name", "Ada Admin"),
                ("email", email),
                ("password", password),
            ],
        )
        .await?;
    if status != StatusCode::OK {
        let (s, b) = admin
            .call("account/login", &[("email", email), ("password", password)])
            .await?;
        if s != StatusCode::OK {
            return Err(format!(
                "neither setup ({status} {body}) nor admin login ({s} {b}) worked"
            ));
        }
    }
    let id = admin
        .answer("playbooks/create", &[("template", "live_chat")])
        .await?;
    let id = id.as_str().ok_or("playbooks/create: no id")?.to_string();
    let p = admin.answer("playbooks/get", &[("id", &id)]).await?;
    let mut settings = p["settings"].clone();
    settings["active"] = json!(true);
    settings["bot_name"] = json!("Leadbot");
    settings["allowed_sites"] = json!([]);
    // The Live Chat card first (the template's greeting dropped), with a long wait, so a
    // started conversation waits for an agent; the template's offline cards stay after it.
    let cards: Vec<Value> = p["cards"]
        .as_array()
        .ok_or("playbooks/get: no cards")?
        .iter()
        .skip_while(|c| c["body"]["kind"] != "live_chat")
        .cloned()
        .map(|mut c| {
            if c["body"]["kind"] == "live_chat" {
                c["body"]["wait_seconds"] = json!(wait);
            }
            c
        })
        .collect();
    if cards.is_empty() {
        return Err("the Live Chat template has no Live Chat card".into());
    }
    let (status, body) = admin
        .call_json(
            "playbooks/save",
            &json!({ "id": id, "version": p["version"], "settings": settings, "cards": cards }),
        )
        .await?;
    if status != StatusCode::OK {
        return Err(format!("playbooks/save: {status} {body}"));
    }
    let key = p["key"]
        .as_str()
        .ok_or("playbooks/get: no key")?
        .to_string();
    Ok(Company { admin, key })
}

pub const AGENT_PASSWORD: &str = "agent-password-load";

/// Adds `n` regular users (`tag` keeps their emails unique on a server used before), signs
/// each in on `agent_base` and switches them online. Password hashing is the slow part:
/// a few at a time.
pub async fn agents(admin: &Session, agent_base: &str, n: u32, tag: &str) -> Res<Vec<Session>> {
    let gate = Arc::new(Semaphore::new(4));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (gate, mut admin) = (gate.clone(), admin.clone());
        let base = agent_base.to_string();
        let email = format!("agent{i}.{tag}@load.example.com");
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let name = format!("Agent {i}");
            let (s, b) = admin
                .call(
                    "users/add",
                    &[
                        ("name", name.as_str()),
                        ("email", email.as_str()),
                        ("password", AGENT_PASSWORD),
                        ("role", "regular"),
                    ],
                )
                .await?;
            if s != StatusCode::OK {
                return Err(format!("users/add {email}: {s} {b}"));
            }
            let mut agent = Session::new(&base, admin.http.clone());
            let (s, b) = agent
                .call(
                    "account/login",
                    &[("email", email.as_str()), ("password", AGENT_PASSWORD)],
                )
                .await?;
            if s != StatusCode::OK || agent.cookie.is_none() {
                return Err(format!("login {email}: {s} {b}"));
            }
            let (s, b) = agent.call("inbox/online", &[("online", "true")]).await?;
            if s != StatusCode::OK {
                return Err(format!("inbox/online {email}: {s} {b}"));
            }
            Ok(agent)
        }));
    }
    let mut out = Vec::with_capacity(n as usize);
    for t in tasks {
        out.push(t.await.context("agent task")??);
    }
    Ok(out)
}

/// A visitor with a started conversation, and the client bound to their own address.
pub struct Visitor {
    pub client: Client,
    pub token: String,
    pub conversation_id: String,
    pub last_event_id: i64,
    pub state: String,
}

/// Starts conversations on `base` with the playbook `key`, `concurrency` at a time. Visitor
/// `i` uses `clients[i / per_client]` (one client per source address).
pub async fn start_visitors(
    base: &str,
    key: &str,
    clients: &[Client],
    per_client: u32,
    n: u32,
    concurrency: usize,
) -> Res<Vec<Visitor>> {
    let gate = Arc::new(Semaphore::new(concurrency));
    let url = format!("{base}/api/visitor/start");
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let gate = gate.clone();
        let client = clients[(i / per_client) as usize].clone();
        let url = url.clone();
        let body =
            json!({ "key": key, "page_url": format!("https://shop.example.com/pricing?v={i}") });
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let (status, text) = http::post_json(&client, &url, &body).await?;
            if status != StatusCode::OK {
                return Err(format!("visitor/start: {status} {text}"));
            }
            let v: Value = serde_json::from_str(&text).context("visitor/start answer")?;
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Ok(Visitor {
                client,
                token: s("token"),
                conversation_id: s("conversation_id"),
                last_event_id: v["last_event_id"].as_i64().unwrap_or(0),
                state: s("state"),
            })
        }));
    }
    let mut out = Vec::with_capacity(n as usize);
    for t in tasks {
        out.push(t.await.context("visitor task")??);
    }
    Ok(out)
}

/// One client per source address, for `n` addresses from number `first` on.
pub fn address_clients(first: u32, n: u32, idle_per_host: usize) -> Vec<Client> {
    (0..n)
        .map(|i| http::client(Some(loopback(first + i)), idle_per_host))
        .collect()
}

/// Agent `i % agents` takes conversation `i` ("Assign to me"), 16 at a time. Returns, per
/// conversation, whether it is now assigned to its agent.
pub async fn assign(agents: &[Session], visitors: &[Visitor]) -> Res<Vec<bool>> {
    let gate = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::with_capacity(visitors.len());
    for (i, v) in visitors.iter().enumerate() {
        let gate = gate.clone();
        let mut agent = agents[i % agents.len()].clone();
        let id = v.conversation_id.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let (s, b) = agent.call("inbox/assign", &[("id", id.as_str())]).await?;
            if s != StatusCode::OK {
                eprintln!("loadgen: inbox/assign {id}: {s} {b}");
                return Ok(false);
            }
            let c: Value = serde_json::from_str(&b).unwrap_or_default();
            Ok::<_, String>(c["state"] == "assigned")
        }));
    }
    let mut out = Vec::with_capacity(visitors.len());
    for t in tasks {
        out.push(t.await.context("assign task")??);
    }
    Ok(out)
}
