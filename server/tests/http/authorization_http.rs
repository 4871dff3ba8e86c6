//! Authorization, proven route by route (R4). The routes come from the router itself
//! (`server::endpoints()`, Leptos's server functions and pages), and each is called as every
//! kind of actor that must be refused: anonymous, a regular user without the chatbot
//! permission, a regular user for a conversation assigned to someone else (F3.5), an admin
//! of a second company, a deactivated user with a session that was valid, and a visitor
//! with another visitor's token. Each refusal is asserted by status and error kind; a route
//! that is neither probed here nor on the public allow-list fails the test.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use support::{Client, TestApp};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    /// Anyone (the allow-list): never a 5xx, nothing of a company but what it publishes.
    Public,
    /// A visitor with the conversation's own token.
    Visitor,
    /// Any signed-in, active user (their own company's data only).
    User,
    /// A user with the chatbot permission.
    Editor,
    /// An admin.
    Admin,
}

/// One probe: a route, its arguments (`{conv}` and the like are filled in), and who may.
struct Probe {
    /// "fn inbox/list" for a server function, "GET /healthz" for a plain route.
    route: &'static str,
    rule: Rule,
    /// Form fields, or a JSON body for JSON server functions and visitor endpoints.
    args: Args,
    /// Refers to one conversation: a regular user it is not assigned to is refused.
    assigned_only: bool,
}

enum Args {
    Form(Vec<(&'static str, &'static str)>),
    Json(Value),
    None,
}

fn probe(route: &'static str, rule: Rule, args: Args) -> Probe {
    Probe {
        route,
        rule,
        args,
        assigned_only: false,
    }
}

fn assigned(mut p: Probe) -> Probe {
    p.assigned_only = true;
    p
}

fn form(pairs: &[(&'static str, &'static str)]) -> Args {
    Args::Form(pairs.to_vec())
}

/// Every route and how it is probed. `{conv}`: company A's conversation assigned to its
/// other agent; `{playbook}`, `{user}`, `{lead}`, `{key}`, `{upload}`, `{token}`: company
/// A's objects; `{token}` is the token of the visitor who owns `{conv}`.
fn probes() -> Vec<Probe> {
    use Rule::*;
    let conv = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("id", "{conv}")];
        f.extend_from_slice(extra);
        Args::Form(f)
    };
    vec![
        // Accounts.
        probe(
            "fn account/setup",
            Public,
            form(&[
                ("company_name", "X"),
                ("name", "X"),
                ("email", "x@x.example"),
                ("password", "long-enough-pass"),
            ]),
        ),
        probe(
            "fn account/login",
            Public,
            form(&[("email", "ada@example.com"), ("password", "wrong-password")]),
        ),
        probe("fn account/logout", Public, Args::None),
        probe("fn account/me", Public, Args::None),
        probe(
            "fn account/password",
            User,
            form(&[
                ("current_password", "wrong"),
                ("new_password", "another-long-one"),
            ]),
        ),
        probe("fn account/logout-everywhere", User, Args::None),
        probe("fn account/checklist", User, Args::None),
        probe("fn users/list", Admin, Args::None),
        probe(
            "fn users/add",
            Admin,
            form(&[
                ("name", "Eve"),
                ("email", "eve@x.example"),
                ("password", "long-enough-pass"),
                ("role", "regular"),
            ]),
        ),
        probe(
            "fn users/update",
            Admin,
            form(&[("user_id", "{user}"), ("role", "admin")]),
        ),
        probe(
            "fn users/password",
            Admin,
            form(&[("user_id", "{user}"), ("password", "taken-over-pass")]),
        ),
        probe(
            "fn users/set-active",
            Admin,
            form(&[("user_id", "{user}"), ("active", "false")]),
        ),
        // Settings and notifications.
        probe("fn settings/company", Admin, Args::None),
        probe(
            "fn settings/company/save",
            Admin,
            form(&[("default_country", "ID")]),
        ),
        probe(
            "fn settings/company/notifications/switch",
            Admin,
            form(&[("kind", "message"), ("on", "false")]),
        ),
        probe("fn notifications/mine", User, Args::None),
        probe(
            "fn notifications/mine/switch",
            User,
            form(&[("kind", "message"), ("on", "false")]),
        ),
        probe(
            "fn notifications/mine/sound",
            User,
            form(&[("sound", "none")]),
        ),
        probe("fn notifications/configured", User, Args::None),
        // Playbooks.
        probe("fn playbooks/list", User, Args::None),
        probe(
            "fn playbooks/create",
            Editor,
            form(&[("template", "blank")]),
        ),
        probe("fn playbooks/get", User, form(&[("id", "{playbook}")])),
        probe(
            "fn playbooks/save",
            Editor,
            Args::Json(
                json!({"id": "{playbook}", "version": 1, "settings": "{settings}", "cards": []}),
            ),
        ),
        probe("fn playbooks/delete", Editor, form(&[("id", "{playbook}")])),
        probe(
            "fn playbooks/preview",
            Editor,
            Args::Json(json!({"html": "<p>x</p>"})),
        ),
        // Inbox.
        probe("fn inbox/online", User, form(&[("online", "true")])),
        probe("fn inbox/status", User, Args::None),
        probe("fn inbox/cursor", User, Args::None),
        probe("fn inbox/list", User, form(&[("folder", "unassigned")])),
        probe("fn inbox/counts", User, Args::None),
        probe("fn inbox/assignees", User, Args::None),
        assigned(probe("fn inbox/conversation", User, conv(&[]))),
        assigned(probe("fn inbox/assign", User, conv(&[]))),
        assigned(probe("fn inbox/reassign", User, conv(&[("to", "{user}")]))),
        assigned(probe(
            "fn inbox/send",
            User,
            conv(&[("body", "hello from elsewhere")]),
        )),
        assigned(probe("fn inbox/close", User, conv(&[]))),
        // CRM.
        probe(
            "fn crm/list",
            User,
            form(&[
                ("kind", "Leads"),
                ("search", ""),
                ("sort", "created"),
                ("owner", ""),
                ("page", "0"),
            ]),
        ),
        assigned(probe("fn crm/panel", User, conv(&[]))),
        assigned(probe(
            "fn crm/panel/save",
            User,
            conv(&[("field", "name"), ("value", "Mallory"), ("version", "1")]),
        )),
        assigned(probe("fn crm/create", User, conv(&[("kind", "deal")]))),
        probe("fn crm/convert", User, form(&[("id", "{lead}")])),
        probe("fn crm/activity/done", User, form(&[("id", "{activity}")])),
        probe(
            "fn crm/deal/status",
            User,
            form(&[("id", "{deal}"), ("status", "won")]),
        ),
        probe(
            "fn crm/delete",
            User,
            form(&[("kind", "Leads"), ("id", "{lead}")]),
        ),
        assigned(probe(
            "fn crm/activity/add",
            User,
            conv(&[
                ("subject", "Call"),
                ("kind", "call"),
                ("due_date", "2030-01-01"),
            ]),
        )),
        // Plain routes.
        probe("GET /healthz", Public, Args::None),
        probe("GET /readyz", Public, Args::None),
        probe("POST /api/uploads", Editor, Args::None),
        probe("GET /uploads/{id}", Public, Args::None),
        probe("GET /widget/loader.js", Public, Args::None),
        probe("POST /widget/seen", Public, Args::None),
        probe("GET /widget/frame/{key}", Public, Args::None),
        probe("GET /widget/preview", Public, Args::None),
        probe("GET /widget/frame.js", Public, Args::None),
        probe("GET /widget/frame.css", Public, Args::None),
        probe(
            "POST /api/visitor/start",
            Public,
            Args::Json(json!({"key": "{key}"})),
        ),
        probe(
            "POST /api/visitor/resume",
            Visitor,
            Args::Json(json!({"token": "{token}", "conversation_id": "{conv}"})),
        ),
        probe(
            "POST /api/visitor/answer",
            Visitor,
            Args::Json(
                json!({"token": "{token}", "conversation_id": "{conv}", "card_id": "x", "text": "x"}),
            ),
        ),
        probe(
            "POST /api/visitor/messages",
            Visitor,
            Args::Json(json!({"token": "{token}", "conversation_id": "{conv}", "body": "forged"})),
        ),
        probe("GET /api/visitor/events", Visitor, Args::None),
        probe("GET /api/events", User, Args::None),
        probe("GET /notify.js", Public, Args::None),
        probe("GET /sw.js", Public, Args::None),
        probe("GET /api/push/key", User, Args::None),
        probe(
            "POST /api/push/subscribe",
            User,
            Args::Json(
                json!({"endpoint": "https://push.example.com/x", "keys": {"p256dh": "x", "auth": "y"}}),
            ),
        ),
        probe(
            "POST /api/push/unsubscribe",
            User,
            Args::Json(json!({"endpoint": "https://push.example.com/x"})),
        ),
        probe(
            "POST /api/notifications/focus",
            User,
            Args::Json(json!({"focused": true})),
        ),
    ]
}

/// Company A's objects, by placeholder.
type Objects = HashMap<&'static str, String>;

fn fill(text: &str, o: &Objects) -> String {
    let mut out = text.to_string();
    for (k, v) in o {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn fill_json(v: &Value, o: &Objects) -> Value {
    match v {
        Value::String(s) if s == "{settings}" => o
            .get("settings")
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null),
        Value::String(s) => Value::String(fill(s, o)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_json(x, o)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), fill_json(x, o)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Calls `p` as `c` (its cookie, if any) with company A's objects filled in; the status
/// and the body.
async fn call(app: &TestApp, c: &mut Client, p: &Probe, o: &Objects) -> (StatusCode, String) {
    let (method, path) = p.route.split_once(' ').unwrap();
    let r = match (method, &p.args) {
        ("fn", Args::Json(v)) => c.call_json(path, &fill_json(v, o)).await,
        ("fn", Args::Form(f)) => {
            let filled: Vec<(String, String)> =
                f.iter().map(|(k, v)| (k.to_string(), fill(v, o))).collect();
            let pairs: Vec<(&str, &str)> = filled
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            c.call(path, &pairs).await
        }
        ("fn", Args::None) => c.call(path, &[]).await,
        ("GET", _) => {
            let url = match path {
                "/uploads/{id}" => format!("/uploads/{}", o["upload"]),
                "/widget/frame/{key}" => format!("/widget/frame/{}", o["key"]),
                "/widget/loader.js" => format!("/widget/loader.js?p={}", o["key"]),
                "/api/visitor/events" => {
                    format!("/api/visitor/events?c={}&t={}", o["conv"], o["token"])
                }
                other => other.to_string(),
            };
            let r = c.get(&url).await;
            let status = r.status();
            // Streams answer with a head at once; read the body of everything else.
            let streaming = r
                .headers()
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
            let body = if streaming {
                String::new()
            } else {
                r.text().await.unwrap_or_default()
            };
            return (status, body);
        }
        ("POST", Args::Json(v)) => {
            c.post_raw(path, "application/json", &fill_json(v, o).to_string())
                .await
        }
        ("POST", _) if path == "/widget/seen" => {
            let url = format!("/widget/seen?p={}&u=https://shop.example.com/", o["key"]);
            c.post_raw(&url, "text/plain", "").await
        }
        ("POST", _) => c.post_bytes(path, support::PNG.to_vec()).await,
        _ => unreachable!("{}", p.route),
    };
    let _ = app;
    let status = r.status();
    (status, r.text().await.unwrap_or_default())
}

/// The error kind in a refusal's JSON body.
fn kind_of(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::String(s)) => s,
        Ok(Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Notes in `failures` unless the answer is one of `allowed` (status and error kind).
fn assert_refused(
    failures: &mut Vec<String>,
    who: &str,
    p: &Probe,
    (status, body): &(StatusCode, String),
    allowed: &[(StatusCode, &str)],
) {
    let kind = kind_of(body);
    if !allowed.iter().any(|(s, k)| s == status && *k == kind) {
        failures.push(format!(
            "{who} calling {} got {status} {body:.200}; expected one of {allowed:?}",
            p.route
        ));
    }
}

const UNAUTHENTICATED: (StatusCode, &str) = (StatusCode::UNAUTHORIZED, "Unauthenticated");
const FORBIDDEN: (StatusCode, &str) = (StatusCode::FORBIDDEN, "Forbidden");
const NOT_FOUND: (StatusCode, &str) = (StatusCode::NOT_FOUND, "NotFound");

/// What the router serves, as the probes name it.
fn inventory() -> BTreeSet<String> {
    let mut routes: BTreeSet<String> = server::endpoints()
        .listed()
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        routes.insert(format!("fn {}", path.trim_start_matches("/api/")));
    }
    routes
}

#[tokio::test]
async fn every_route_is_probed_or_public() {
    let listed = inventory();
    let probed: BTreeSet<String> = probes().iter().map(|p| p.route.to_string()).collect();
    let missing: Vec<_> = listed.difference(&probed).collect();
    assert!(
        missing.is_empty(),
        "routes neither probed nor on the allow-list: {missing:?}"
    );
    let stale: Vec<_> = probed.difference(&listed).collect();
    assert!(
        stale.is_empty(),
        "probes of routes that do not exist: {stale:?}"
    );
    // 44 server functions and 22 plain routes when this was written.
    assert!(listed.len() >= 66, "{}", listed.len());
}

#[tokio::test]
async fn every_route_refuses_whoever_may_not_call_it() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let agent_id = app
            .add_user(&mut admin, "agent@example.com", "regular")
            .await;
        let other_id = app
            .add_user(&mut admin, "other@example.com", "regular")
            .await;
        app.add_user(&mut admin, "gone@example.com", "regular")
            .await;
        let mut agent = app.login("agent@example.com", "regular-password").await;
        let mut other = app.login("other@example.com", "regular-password").await;
        let mut gone = app.login("gone@example.com", "regular-password").await;

        // Company A's objects: a playbook, a conversation taken by `other` with a lead and
        // a deal, an upload.
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let playbooks: Value = admin.answer("playbooks/list", &[]).await;
        let playbook = playbooks[0]["id"].as_str().unwrap().to_string();
        let detail: Value = admin.answer("playbooks/get", &[("id", &playbook)]).await;
        other.call("inbox/online", &[("online", "true")]).await;
        let (conv, token) = support::visitor_starts(&app.base, &key, None).await;
        support::visitor_says(&app.base, &conv, &token, "my secret order number 4711").await;
        let r = other.call("inbox/assign", &[("id", &conv)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        for k in ["lead", "deal"] {
            let r = other
                .call("crm/create", &[("id", &conv), ("kind", k)])
                .await;
            assert_eq!(
                r.status(),
                StatusCode::OK,
                "{kind}: {}",
                r.text().await.unwrap()
            );
        }
        let panel: Value = other
            .answer(
                "crm/activity/add",
                &[
                    ("id", &conv),
                    ("subject", "Call back"),
                    ("kind", "call"),
                    ("due_date", "2030-01-01"),
                ],
            )
            .await;
        let list = |k: &'static str| {
            [
                ("kind", k),
                ("search", ""),
                ("sort", "created"),
                ("owner", ""),
                ("page", "0"),
            ]
        };
        let leads: Value = admin.answer("crm/list", &list("Leads")).await;
        let deals: Value = admin.answer("crm/list", &list("Deals")).await;
        let up: Value = admin
            .post_bytes("/api/uploads", support::PNG.to_vec())
            .await
            .json()
            .await
            .unwrap();
        let activity = panel["activities"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{kind}: an activity in {panel}"))
            .to_string();
        let mut o: Objects = HashMap::new();
        o.insert("conv", conv.clone());
        o.insert("token", token.clone());
        o.insert("playbook", playbook.clone());
        o.insert("key", key.clone());
        o.insert("user", agent_id.clone());
        o.insert("lead", leads["rows"][0]["id"].as_str().unwrap().to_string());
        o.insert("deal", deals["rows"][0]["id"].as_str().unwrap().to_string());
        o.insert("activity", activity);
        o.insert("upload", up["id"].as_str().unwrap().to_string());
        o.insert("settings", detail["settings"].to_string());

        // The deactivated user's session was valid a moment ago.
        let me: Value = gone.answer("account/me", &[]).await;
        assert!(!me.is_null(), "{kind}");
        let gone_id = me["id"].as_str().unwrap().to_string();
        let r = admin
            .call(
                "users/set-active",
                &[("user_id", &gone_id), ("active", "false")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");

        // A second company, made through the service layer, with its own admin.
        let conn = app.db.connect().await;
        app::backend::testing::second_company(&conn, "otto@other.example").await;
        let mut stranger = app.login("otto@other.example", "other-password").await;
        // What of company A must never reach company B.
        let secrets = [
            conv.as_str(),
            "4711",
            "ada@example.com",
            &agent_id,
            &other_id,
            &playbook,
            &o["lead"],
            &o["deal"],
        ];

        // Another visitor, with a conversation of their own.
        let (_, intruder_token) = support::visitor_starts(&app.base, &key, None).await;
        let mut forged = o.clone();
        forged.insert("token", intruder_token);

        let mut probes_run = 0;
        let mut failures: Vec<String> = Vec::new();
        for p in probes() {
            let mut anonymous = app.client();
            match p.rule {
                Rule::Public => {
                    let (status, _) = call(&app, &mut anonymous, &p, &o).await;
                    if status.is_server_error() {
                        failures.push(format!("{kind}: {} answered {status}", p.route));
                    }
                    probes_run += 1;
                }
                Rule::Visitor => {
                    let r = call(&app, &mut anonymous, &p, &forged).await;
                    assert_refused(
                        &mut failures,
                        &format!("{kind}: another visitor"),
                        &p,
                        &r,
                        &[NOT_FOUND, FORBIDDEN],
                    );
                    probes_run += 1;
                }
                Rule::User | Rule::Editor | Rule::Admin => {
                    let r = call(&app, &mut anonymous, &p, &o).await;
                    assert_refused(
                        &mut failures,
                        &format!("{kind}: anonymous"),
                        &p,
                        &r,
                        &[UNAUTHENTICATED],
                    );
                    let r = call(&app, &mut gone, &p, &o).await;
                    assert_refused(
                        &mut failures,
                        &format!("{kind}: a deactivated user"),
                        &p,
                        &r,
                        &[UNAUTHENTICATED],
                    );
                    probes_run += 2;
                    if p.rule != Rule::User {
                        let r = call(&app, &mut agent, &p, &o).await;
                        assert_refused(
                            &mut failures,
                            &format!("{kind}: a regular user"),
                            &p,
                            &r,
                            &[FORBIDDEN],
                        );
                        probes_run += 1;
                    }
                    if p.assigned_only {
                        let r = call(&app, &mut agent, &p, &o).await;
                        assert_refused(
                            &mut failures,
                            &format!("{kind}: a user it is not assigned to"),
                            &p,
                            &r,
                            &[FORBIDDEN, NOT_FOUND],
                        );
                        probes_run += 1;
                    }
                    // The second company's admin: refused A's objects, and never shown them.
                    let r = call(&app, &mut stranger, &p, &o).await;
                    let names_a = o.values().any(|v| p_args_mention(&p, v, &o));
                    if names_a {
                        assert_refused(
                            &mut failures,
                            &format!("{kind}: another company"),
                            &p,
                            &r,
                            &[NOT_FOUND, FORBIDDEN],
                        );
                    }
                    for s in secrets {
                        if r.1.contains(s) {
                            failures.push(format!(
                                "{kind}: another company calling {} saw {s:?}: {:.200}",
                                p.route, r.1
                            ));
                        }
                    }
                    probes_run += 1;
                    // Their own "Log out everywhere" worked: sign in again for the next probes.
                    if p.route == "fn account/logout-everywhere" {
                        stranger = app.login("otto@other.example", "other-password").await;
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(probes_run > 150, "{kind}: {probes_run} probes");
        eprintln!("{kind}: {probes_run} probes of {} routes", probes().len());

        // Company A's data is still whole: nothing above changed it.
        let detail_after: Value = other.answer("inbox/conversation", &[("id", &conv)]).await;
        let bodies = detail_after.to_string();
        assert!(
            !bodies.contains("hello from elsewhere") && !bodies.contains("forged"),
            "{kind}: {bodies:.500}"
        );
        let users: Value = admin.answer("users/list", &[]).await;
        let agent_row = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == agent_id.as_str())
            .unwrap();
        assert_eq!(agent_row["active"], true, "{kind}");
        assert_eq!(agent_row["role"], "Regular", "{kind}");
        let _ = agent.call("account/me", &[]).await;
    }
}

/// Whether the probe's arguments name one of company A's objects (`value`).
fn p_args_mention(p: &Probe, value: &str, o: &Objects) -> bool {
    let text = match &p.args {
        Args::Form(f) => f
            .iter()
            .map(|(_, v)| fill(v, o))
            .collect::<Vec<_>>()
            .join(" "),
        Args::Json(v) => fill_json(v, o).to_string(),
        Args::None => return false,
    };
    ["conv", "playbook", "user", "lead", "deal", "activity"]
        .iter()
        .any(|k| o.get(k).is_some_and(|x| x == value) && text.contains(value))
}

#[tokio::test]
async fn a_stream_never_carries_another_companys_events() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        admin.call("inbox/online", &[("online", "true")]).await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let conn = app.db.connect().await;
        app::backend::testing::second_company(&conn, "otto@other.example").await;
        let stranger = app.login("otto@other.example", "other-password").await;
        let theirs = stranger.stream("/api/events").await;
        let ours = admin.stream("/api/events").await;
        let (conv, token) = support::visitor_starts(&app.base, &key, None).await;
        support::visitor_says(&app.base, &conv, &token, "for company A only").await;
        support::read_until_message(ours, "for company A only", &format!("{kind}: A's stream"))
            .await;
        let seen = support::read_events(theirs, std::time::Duration::from_secs(2), |_| false).await;
        let text = format!("{seen:?}");
        assert!(
            !text.contains(&conv) && !text.contains("for company A only"),
            "{kind}: {text:.500}"
        );
    }
}

#[tokio::test]
async fn every_page_sends_the_signed_out_and_the_deactivated_to_log_in() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let id = app
        .add_user(&mut admin, "gone@example.com", "regular")
        .await;
    let mut gone = app.login("gone@example.com", "regular-password").await;
    let r = admin
        .call("users/set-active", &[("user_id", &id), ("active", "false")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let pages = server::page_paths();
    assert!(pages.len() >= 8, "{pages:?}");
    for page in &pages {
        // A path parameter gets a made-up value: the gate answers before the page looks.
        let path: String = page
            .split('/')
            .map(|s| if s.starts_with(':') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for (who, c) in [("anonymous", &mut app.client()), ("deactivated", &mut gone)] {
            let r = c.get(&path).await;
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            match path.as_str() {
                "/login" => assert_eq!(r.status(), StatusCode::OK, "{who} {path}"),
                _ => assert_eq!(
                    to.as_deref(),
                    Some("/login"),
                    "{who} {path}: {}",
                    r.status()
                ),
            }
        }
    }
}
