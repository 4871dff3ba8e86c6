//! Black-box HTTP tests of the visitor widget and the engine behind it (F2, F1.8, F3.5, R1,
//! R7, R8, B1): a visitor reaches the Live Chat card, an agent takes it, messages go both
//! ways through the event streams, replays miss nothing, the offline flow fills the CRM.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;
use support::{read_events, read_until_message, Client, Sse, TestApp};

fn live_chat_card(create: &str) -> Value {
    json!({ "id": "live", "audience": "everyone", "body": { "kind": "live_chat",
        "online_message": "<p>Someone will join you.</p>", "wait_seconds": 60,
        "offline_message": "<p>Nobody is here; we will write to you.</p>",
        "offline_outcome": "qualify", "offline_create": create } })
}

fn capture_then_live_chat(create: &str) -> Value {
    json!([
        { "id": "hello", "audience": "everyone", "body": { "kind": "message", "text": "<p>Hi!</p>" } },
        { "id": "who", "audience": "everyone", "body": { "kind": "capture",
            "text": "<p>Who are you?</p>", "fields": ["name", "email", "organization"] } },
        live_chat_card(create),
    ])
}

async fn visitor(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/visitor/{path}", app.base))
        // The frame is served by Leadline, but the API also takes calls from anywhere.
        .header("origin", "https://shop.example.com")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn start(app: &TestApp, key: &str, token: Option<&str>) -> Value {
    let (s, v) = visitor(
        app,
        "start",
        json!({ "key": key, "token": token, "page_url": "https://shop.example.com/pricing" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn online(agent: &mut Client) {
    let r = agent.call("inbox/online", &[("online", "true")]).await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn visitor_stream(
    app: &TestApp,
    v: &Value,
    after: i64,
    last_event_id: Option<i64>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!(
        "{}/api/visitor/events?c={}&t={}&after={after}",
        app.base,
        v["conversation_id"].as_str().unwrap(),
        v["token"].as_str().unwrap()
    ));
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r
}

fn bodies(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_visitor_reaches_an_agent_and_messages_go_both_ways_without_loss_or_duplicates() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        online(&mut admin).await;

        let v = start(&app, &key, None).await;
        assert_eq!(v["state"], "waiting", "{kind}: {v}");
        assert_eq!(v["agent_name"], Value::Null);
        let texts = bodies(&v["messages"]);
        assert!(texts[0].contains("How can we help"), "{texts:?}");
        assert!(texts[1].contains("join this chat"), "{texts:?}");
        assert_eq!(v["messages"][0]["html"], true);
        let id = v["conversation_id"].as_str().unwrap().to_string();
        let token = v["token"].as_str().unwrap().to_string();

        // The agent sees it in Unassigned, with the page the visitor is on.
        let list: Value = admin
            .answer("inbox/list", &[("folder", "unassigned")])
            .await;
        assert_eq!(list[0]["conversation"]["id"], id.as_str());
        assert_eq!(
            list[0]["conversation"]["page_url"],
            "https://shop.example.com/pricing"
        );

        // The visitor's stream, from where the view ended.
        let after = v["last_event_id"].as_i64().unwrap();
        let stream = visitor_stream(&app, &v, after, None).await;
        let r = admin.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = admin
            .call(
                "inbox/send",
                &[
                    ("id", &id),
                    ("body", "Hello, I am Ada"),
                    ("client_id", "a-1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let events = read_events(stream, Duration::from_secs(10), |e| {
            e.iter()
                .any(|e| e.data["message"]["body"] == "Hello, I am Ada")
        })
        .await;
        let seen: Vec<String> = events
            .iter()
            .map(|e| match e.event.as_str() {
                "message" => format!("message:{}", e.data["message"]["body"].as_str().unwrap()),
                other => format!("{other}:{}", e.data["agent_name"].as_str().unwrap_or("-")),
            })
            .collect();
        assert_eq!(
            seen,
            [
                "state:Ada Admin",
                "message:Ada Admin joined the conversation",
                "message:Hello, I am Ada"
            ],
            "{kind}"
        );
        assert!(events.iter().all(|e| e.id.is_some()));

        // The visitor answers; a retried send (same client id) is stored once.
        let send =
            json!({ "token": token, "conversation_id": id, "body": "Hi Ada!", "client_id": "v-1" });
        let (s1, m1) = visitor(&app, "messages", send.clone()).await;
        let (s2, m2) = visitor(&app, "messages", send).await;
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
        assert_eq!(m1["seq"], m2["seq"]);
        let detail: Value = admin.answer("inbox/conversation", &[("id", &id)]).await;
        let all = bodies(&detail["messages"]);
        assert_eq!(all.iter().filter(|b| *b == "Hi Ada!").count(), 1, "{all:?}");

        // A dropped stream resumes after its Last-Event-ID with exactly what was missed.
        let first = events[0].id.unwrap();
        let again = visitor_stream(&app, &v, 0, Some(first)).await;
        let replay = read_events(again, Duration::from_secs(10), |e| {
            e.iter().any(|e| e.data["message"]["body"] == "Hi Ada!")
        })
        .await;
        let replayed: Vec<&str> = replay
            .iter()
            .filter_map(|e| e.data["message"]["body"].as_str())
            .collect();
        assert_eq!(
            replayed,
            [
                "Ada Admin joined the conversation",
                "Hello, I am Ada",
                "Hi Ada!"
            ],
            "{kind}"
        );
        assert!(replay.iter().all(|e| e.id.unwrap() > first));

        // After a reload the frame resumes the same conversation, with the agent's name.
        let (s, back) = visitor(
            &app,
            "resume",
            json!({ "token": token, "conversation_id": id, "page_url": "https://shop.example.com/contact" }),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(back["agent_name"], "Ada Admin");
        assert_eq!(back["messages"].as_array().unwrap().len(), 5);
        let detail: Value = admin.answer("inbox/conversation", &[("id", &id)]).await;
        assert_eq!(
            detail["conversation"]["page_url"],
            "https://shop.example.com/contact"
        );

        // Closing tells the visitor; a new conversation can start with the same token.
        let r = admin.call("inbox/close", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let (_, closed) = visitor(
            &app,
            "resume",
            json!({ "token": token, "conversation_id": id }),
        )
        .await;
        assert_eq!(closed["state"], "closed");
        assert!(bodies(&closed["messages"]).contains(&"The conversation was closed.".to_string()));
        let (s, _) = visitor(
            &app,
            "messages",
            json!({ "token": token, "conversation_id": id, "body": "still there?" }),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let next = start(&app, &key, Some(&token)).await;
        assert_eq!(next["token"], token.as_str());
        assert_ne!(next["conversation_id"], id.as_str());
    }
}

#[tokio::test]
async fn another_users_conversation_is_refused_on_every_agent_function_and_stream() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let b_id = app.add_user(&mut admin, "b@example.com", "regular").await;
        let mut b = app.login("b@example.com", "regular-password").await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        online(&mut admin).await;
        let v = start(&app, &key, None).await;
        let id = v["conversation_id"].as_str().unwrap().to_string();
        let token = v["token"].as_str().unwrap().to_string();

        // B's stream from the beginning, opened before A takes it.
        let b_stream = b.stream("/api/events?after=0").await;

        assert_eq!(
            admin.call("inbox/assign", &[("id", &id)]).await.status(),
            StatusCode::OK
        );
        admin
            .call("inbox/send", &[("id", &id), ("body", "secret from A")])
            .await;
        visitor(
            &app,
            "messages",
            json!({ "token": token, "conversation_id": id, "body": "secret from visitor" }),
        )
        .await;

        // Every agent function refuses B (not found: B does not learn it exists).
        for (endpoint, form) in [
            ("inbox/conversation", vec![("id", id.as_str())]),
            ("inbox/assign", vec![("id", id.as_str())]),
            (
                "inbox/reassign",
                vec![("id", id.as_str()), ("to", b_id.as_str())],
            ),
            ("inbox/reassign", vec![("id", id.as_str())]),
            (
                "inbox/send",
                vec![("id", id.as_str()), ("body", "let me in")],
            ),
            ("inbox/close", vec![("id", id.as_str())]),
        ] {
            let r = b.call(endpoint, &form).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{kind}: {endpoint}");
        }
        for folder in ["unassigned", "mine", "closed"] {
            let list: Value = b.answer("inbox/list", &[("folder", folder)]).await;
            assert!(
                list.as_array().unwrap().is_empty(),
                "{kind}: {folder}: {list}"
            );
        }
        let counts: Value = b.answer("inbox/counts", &[]).await;
        assert_eq!(counts, json!({ "unassigned": 0, "mine": 0, "closed": 0 }));
        let counts: Value = admin.answer("inbox/counts", &[]).await;
        assert_eq!(counts, json!({ "unassigned": 0, "mine": 1, "closed": 0 }));

        // Where A's own stream sees the visitor's last message: B's is read up to there.
        let a_stream = admin.stream("/api/events?after=0").await;
        let (_, last) = read_until_message(a_stream, "secret from visitor", kind).await;
        // Then something B may see: another visitor starts a chat.
        let other = start(&app, &key, None).await;

        // B's stream carried the bot part (while nobody had it) but nothing after A took it,
        // and it went on past A's events to the next thing B may see, with the folder counts
        // once the other visitor waits (counts end each batch; the bot part may come first).
        let other_id = other["conversation_id"].clone();
        let events = read_events(b_stream, Duration::from_secs(5), |e| {
            e.iter()
                .position(|e| e.id.is_some_and(|id| id > last) && e.data["id"] == other_id)
                .is_some_and(|at| {
                    e[at..]
                        .iter()
                        .any(|e| e.event == "counts" && e.data["unassigned"] == 1)
                })
        })
        .await;
        assert!(
            events
                .iter()
                .any(|e| e.id.is_some_and(|id| id > last)
                    && e.data["id"] == other["conversation_id"]),
            "{kind}: B's stream went past event {last}: {events:?}"
        );
        let b_counts: Vec<&Sse> = events.iter().filter(|e| e.event == "counts").collect();
        assert_eq!(
            b_counts.last().map(|e| e.data.clone()),
            Some(json!({ "unassigned": 1, "mine": 0, "closed": 0 })),
            "{kind}: B's counts hold the other visitor's chat and leave A's conversation out"
        );
        assert!(
            events
                .iter()
                .any(|e| e.event == "hidden" && e.data["id"] == id.as_str()),
            "{kind}: {events:?}"
        );
        for e in &events {
            let text = e.data.to_string();
            assert!(!text.contains("secret"), "{kind}: B received {text}");
            assert!(
                !text.contains("joined the conversation"),
                "{kind}: B received {text}"
            );
            if e.event == "conversation" {
                assert_ne!(e.data["state"], "assigned", "{kind}: {text}");
            }
        }

        // Once A hands it to B, B may act.
        let r = admin
            .call("inbox/reassign", &[("id", &id), ("to", &b_id)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = b
            .call("inbox/send", &[("id", &id), ("body", "B here")])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            admin
                .call("inbox/conversation", &[("id", &id)])
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        // Signed out: no stream at all.
        let r = reqwest::get(format!("{}/api/events", app.base))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn nobody_online_runs_the_offline_flow_and_creates_each_crm_item() {
    use app::backend::entities::{activity, deal, lead, organization, person};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let conn = db.connect().await;
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        for (n, item) in ["lead", "deal", "activity"].iter().enumerate() {
            let key =
                support::active_playbook(&mut admin, Some(capture_then_live_chat(item)), &[]).await;
            let v = start(&app, &key, None).await;
            assert_eq!(v["state"], "bot");
            assert_eq!(v["prompt"]["kind"], "capture", "{v}");
            let id = v["conversation_id"].as_str().unwrap().to_string();
            let answer = |fields: Value| json!({ "token": v["token"], "conversation_id": id, "card_id": "who", "fields": fields });
            // Bad input is refused on its field; nothing moves on.
            let (s, e) = visitor(&app, "answer", answer(json!({ "name": "Vera", "email": "not-an-email", "organization": "Acme Shoes" }))).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(e["Validation"]["field"], "email", "{e}");
            let (s, after) = visitor(&app, "answer", answer(json!({ "name": "Vera", "email": "Vera@Example.com", "organization": "Acme Shoes" }))).await;
            assert_eq!(s, StatusCode::OK, "{after}");
            assert_eq!(after["state"], "missed", "{kind}: {after}");
            assert_eq!(after["prompt"], Value::Null);
            let texts = bodies(&after["messages"]);
            assert!(
                texts.iter().any(|t| t.contains("Nobody is here")),
                "{texts:?}"
            );
            assert!(
                texts.iter().any(|t| t.contains("Email: vera@example.com")),
                "{texts:?}"
            );
            // The flow ends by saying how the company will answer.
            assert_eq!(
                texts.last().map(String::as_str),
                Some("<p>Thanks, we will get back to you at vera@example.com.</p>"),
                "{texts:?}"
            );
            // A retried answer changes nothing.
            let (s, again) = visitor(&app, "answer", answer(json!({ "name": "Vera", "email": "vera@example.com", "organization": "Acme Shoes" }))).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(again["messages"], after["messages"]);

            let cid = uuid::Uuid::parse_str(&id).unwrap();
            let made = match *item {
                "lead" => lead::Entity::find()
                    .filter(lead::Column::ConversationId.eq(cid))
                    .count(&conn)
                    .await
                    .unwrap(),
                "deal" => deal::Entity::find()
                    .filter(deal::Column::ConversationId.eq(cid))
                    .count(&conn)
                    .await
                    .unwrap(),
                _ => activity::Entity::find()
                    .filter(activity::Column::ConversationId.eq(cid))
                    .count(&conn)
                    .await
                    .unwrap(),
            };
            assert_eq!(made, 1, "{kind}: one {item}");
            // Its list finds it by the organization's name, and by the person's email.
            let list = ["Leads", "Deals", "Activities"][n];
            for search in ["acme shoes", "VERA@example"] {
                let form = [
                    ("kind", list),
                    ("search", search),
                    ("sort", ""),
                    ("owner", ""),
                    ("page", "0"),
                ];
                let page: Value = admin.answer("crm/list", &form).await;
                assert_eq!(
                    page["rows"].as_array().map(Vec::len),
                    Some(1),
                    "{kind}: {list} {search}: {page}"
                );
            }
            // Agents find it in Unassigned, marked missed, and its chat window says what was
            // made and when (F2.3, F3.6); nothing is in Closed.
            let unassigned: Value = admin
                .answer("inbox/list", &[("folder", "unassigned")])
                .await;
            assert_eq!(
                unassigned[0]["conversation"]["id"],
                id.as_str(),
                "{kind}: {unassigned}"
            );
            assert_eq!(unassigned[0]["conversation"]["state"], "missed");
            assert_eq!(unassigned[0]["visitor"], "Vera");
            let closed: Value = admin.answer("inbox/list", &[("folder", "closed")]).await;
            assert_eq!(closed, json!([]), "{kind}");
            let d: Value = admin.answer("inbox/conversation", &[("id", &id)]).await;
            assert_eq!(d["conversation"]["state"], "missed");
            assert_eq!(d["visitor"], "Vera", "the title is the visitor's name");
            assert!(d["conversation"]["missed_at"].is_string(), "{d}");
            assert_eq!(d["conversation"]["crm_kind"], *item, "{d}");
            assert!(d["conversation"]["crm_created_at"].is_string(), "{d}");
            // The person is reused by email, the organization by name.
            assert_eq!(
                person::Entity::find().count(&conn).await.unwrap(),
                1,
                "{kind} after {n}"
            );
            assert_eq!(organization::Entity::find().count(&conn).await.unwrap(), 1);
        }
        let p = person::Entity::find().one(&conn).await.unwrap().unwrap();
        assert_eq!(
            (p.name.as_str(), p.email.as_deref()),
            ("Vera", Some("vera@example.com"))
        );
    }
}

#[tokio::test]
async fn the_wait_time_passing_runs_the_offline_flow_once_and_the_chat_stays_answerable() {
    use app::backend::entities::lead;
    use sea_orm::{EntityTrait, PaginatorTrait};
    for db in TestDatabase::all().await {
        let conn = db.connect().await;
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        online(&mut admin).await;
        let v = start(&app, &key, None).await;
        assert_eq!(v["state"], "waiting");
        let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(61);
        // The server's own timer and this call race; exactly one runs the flow.
        let (a, b) = tokio::join!(
            app::conversation::flow::expire_overdue(&conn, later),
            app::conversation::flow::expire_overdue(&conn, later)
        );
        assert_eq!(a.unwrap().len() + b.unwrap().len(), 1);
        let (_, after) = visitor(
            &app,
            "resume",
            json!({ "token": v["token"], "conversation_id": v["conversation_id"] }),
        )
        .await;
        assert_eq!(after["state"], "missed");
        let texts = bodies(&after["messages"]);
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains("nobody is available"))
                .count(),
            1,
            "{texts:?}"
        );
        // The template's offline flow asks for the visitor's details and message: the lead is
        // made once they are given, never twice.
        assert_eq!(after["prompt"]["kind"], "capture", "{after}");
        let keys: Vec<&str> = after["prompt"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f[0].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["name", "email", "phone", "message"]);
        assert_eq!(lead::Entity::find().count(&conn).await.unwrap(), 0);
        // A name and an email are needed; the phone and the message may stay empty.
        assert_eq!(after["prompt"]["optional"], json!(["phone", "message"]));
        let (s, e) = visitor(&app, "answer", json!({ "token": v["token"], "conversation_id": v["conversation_id"],
            "card_id": after["prompt"]["card_id"], "fields": { "name": "Omar", "email": "", "phone": "+62 812 3456 7890" } })).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["Validation"]["field"], "email", "{e}");
        let details = json!({ "token": v["token"], "conversation_id": v["conversation_id"],
            "card_id": after["prompt"]["card_id"], "fields": { "name": "Omar", "email": "omar@example.com",
            "phone": "+62 812 3456 7890", "message": "Do you ship to Bali?" } });
        let (s, done) = visitor(&app, "answer", details.clone()).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["state"], "missed");
        assert_eq!(
            bodies(&done["messages"]).last().map(String::as_str),
            Some("<p>Thanks, we will get back to you at omar@example.com.</p>")
        );
        let (_, again) = visitor(&app, "answer", details).await;
        assert_eq!(
            again["messages"], done["messages"],
            "a retry changes nothing"
        );
        assert_eq!(lead::Entity::find().count(&conn).await.unwrap(), 1);
        for later in [61, 3600] {
            let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(later);
            let moved = app::conversation::flow::expire_overdue(&conn, t)
                .await
                .unwrap();
            assert!(moved.is_empty(), "the timer never fires twice");
        }

        // Missed is not closed: an agent takes it and answers, and the visitor (still on the
        // page, or back later in the same browser) reads the reply.
        let id = v["conversation_id"].as_str().unwrap();
        let stream =
            visitor_stream(&app, &done, done["last_event_id"].as_i64().unwrap(), None).await;
        let r = admin.call("inbox/assign", &[("id", id)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        let r = admin
            .call("inbox/send", &[("id", id), ("body", "Yes we do, Omar!")])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let events = read_events(stream, Duration::from_secs(5), |e| {
            e.iter()
                .any(|e| e.data["message"]["body"] == "Yes we do, Omar!")
        })
        .await;
        assert!(
            events
                .iter()
                .any(|e| e.data["message"]["body"] == "Yes we do, Omar!"),
            "the visitor's stream carries the reply: {events:?}"
        );
        assert!(events.iter().any(|e| e.event == "state"), "{events:?}");
        let (_, back) = visitor(
            &app,
            "resume",
            json!({ "token": v["token"], "conversation_id": id }),
        )
        .await;
        assert_eq!(back["state"], "assigned");
        assert_eq!(back["agent_name"], "Ada Admin");
        assert!(bodies(&back["messages"]).contains(&"Yes we do, Omar!".to_string()));
        // Only "Close conversation" closes it.
        let r = admin.call("inbox/close", &[("id", id)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let (_, closed) = visitor(
            &app,
            "resume",
            json!({ "token": v["token"], "conversation_id": id }),
        )
        .await;
        assert_eq!(closed["state"], "closed");
        assert_eq!(lead::Entity::find().count(&conn).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn visitor_endpoints_refuse_bad_input_and_floods() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let key = support::active_playbook(&mut admin, None, &[]).await;
    online(&mut admin).await;
    let (s, _) = visitor(&app, "start", json!({ "key": "nope" })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let v = start(&app, &key, None).await;
    let id = v["conversation_id"].as_str().unwrap();
    // Another visitor's token cannot read or write this conversation.
    let other = start(&app, &key, None).await;
    let (s, _) = visitor(
        &app,
        "resume",
        json!({ "token": other["token"], "conversation_id": id }),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = reqwest::get(format!(
        "{}/api/visitor/events?c={id}&t={}",
        app.base,
        other["token"].as_str().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Too long a message: a clear error, and nothing stored.
    let long = "x".repeat(4001);
    let (s, e) = visitor(
        &app,
        "messages",
        json!({ "token": v["token"], "conversation_id": id, "body": long }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["Validation"]["message"]
        .as_str()
        .unwrap()
        .contains("4000"));
    // A flood from one visitor gets 429 and a message to wait.
    let mut statuses = Vec::new();
    for n in 0..70 {
        let (s, _) = visitor(
            &app,
            "messages",
            json!({ "token": v["token"], "conversation_id": id, "body": format!("m{n}") }),
        )
        .await;
        statuses.push(s);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(statuses[..50].iter().all(|s| *s == StatusCode::OK));
}

fn gzipped(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

#[tokio::test]
async fn the_frame_may_be_framed_only_by_allowed_sites_and_the_widget_fits_its_budget() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let key = support::active_playbook(&mut admin, None, &["https://shop.example.com"]).await;
    let base = app.base.clone();
    let get = |path: String| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap() }
    };

    let frame = get(format!(
        "/widget/frame/{key}?o=https%3A%2F%2Fshop.example.com"
    ))
    .await;
    assert_eq!(frame.status(), StatusCode::OK);
    let csp = frame.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors https://shop.example.com"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(frame.headers().get("x-frame-options").is_none());
    let html = frame.text().await.unwrap();
    assert!(html.contains("data-parent=\"https://shop.example.com\""));
    assert!(html.contains("Leadbot"));
    // A page not on the list is not trusted as the parent.
    let other = get(format!("/widget/frame/{key}?o=https%3A%2F%2Fevil.example"))
        .await
        .text()
        .await
        .unwrap();
    assert!(other.contains("data-parent=\"\""));
    // The admin app stays unframable.
    let login = get("/login".into()).await;
    assert_eq!(login.headers()["x-frame-options"], "DENY");

    let loader = get(format!("/widget/loader.js?p={key}")).await;
    assert_eq!(loader.status(), StatusCode::OK);
    let loader = loader.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&loader).contains(&key));
    let js = get("/widget/frame.js".into()).await.bytes().await.unwrap();
    let css = get("/widget/frame.css".into()).await.bytes().await.unwrap();
    assert!(
        String::from_utf8_lossy(&css).contains(".message-body"),
        "the editor's message rules"
    );
    let (l, f, j, c) = (
        gzipped(&loader),
        gzipped(html.as_bytes()),
        gzipped(&js),
        gzipped(&css),
    );
    println!(
        "widget gzipped: loader {l} B, frame {f} B, script {j} B, stylesheet {c} B, total {} B",
        l + f + j + c
    );
    assert!(l <= 3 * 1024, "loader is {l} B gzipped, over 3 KB (B1)");
    assert!(
        l + f + j + c <= 30 * 1024,
        "widget is {} B gzipped, over 30 KB (B1)",
        l + f + j + c
    );
}

#[tokio::test]
async fn a_stored_deadline_fires_by_the_servers_own_timer() {
    use app::backend::entities::conversation;
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let conn = db.connect().await;
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        online(&mut admin).await;
        let v = start(&app, &key, None).await;
        assert_eq!(v["state"], "waiting");
        // As after a restart: the deadline is only in the database, and it has passed.
        let id = uuid::Uuid::parse_str(v["conversation_id"].as_str().unwrap()).unwrap();
        conversation::Entity::update_many()
            .col_expr(
                conversation::Column::WaitDeadline,
                Expr::value(Some(
                    time::OffsetDateTime::now_utc() - time::Duration::seconds(5),
                )),
            )
            .filter(conversation::Column::Id.eq(id))
            .exec(&conn)
            .await
            .unwrap();
        let mut state = Value::Null;
        for _ in 0..50 {
            let (_, now) = visitor(
                &app,
                "resume",
                json!({ "token": v["token"], "conversation_id": v["conversation_id"] }),
            )
            .await;
            state = now["state"].clone();
            if state == "missed" {
                let texts = bodies(&now["messages"]);
                assert_eq!(
                    texts
                        .iter()
                        .filter(|t| t.contains("nobody is available"))
                        .count(),
                    1
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(state, "missed", "{kind}: the server's timer fired");
    }
}

#[tokio::test]
async fn the_loader_knows_the_allowed_sites_and_a_site_not_allowed_is_shown_in_the_editor() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let key = support::active_playbook(&mut admin, None, &["https://shop.example.com"]).await;
    // The loader gets the allow-list (it shows nothing elsewhere) and the greeting it shows
    // as a preview after the delay.
    let loader = reqwest::get(format!("{}/widget/loader.js?p={key}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        loader.contains(r#""a":["https://shop.example.com"]"#),
        "{loader}"
    );
    assert!(
        loader.contains(r#""g":"Hi there! 👋 How can we help you today?""#),
        "{loader}"
    );
    assert!(!loader.contains("/*"), "served without comments");
    let list: Value = admin.answer("playbooks/list", &[]).await;
    let id = list[0]["id"].as_str().unwrap().to_string();
    let seen = |url: &str| {
        let u = format!(
            "{}/widget/seen?p={key}&u={}",
            app.base,
            url.replace(':', "%3A").replace('/', "%2F")
        );
        async move {
            reqwest::Client::new()
                .post(u)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        seen("https://evil.example/shop?x=1").await,
        StatusCode::NO_CONTENT
    );
    let p: Value = admin.answer("playbooks/get", &[("id", &id)]).await;
    assert_eq!(p["blocked"][0], "https://evil.example", "{p}");
    assert!(p["blocked"][1].is_string());
    assert_ne!(
        p["last_loaded_url"], "https://evil.example/shop?x=1",
        "not a load of the widget"
    );
    // A page of an allowed site is a real load; the refused one stays shown until allowed.
    assert_eq!(
        seen("https://shop.example.com/pricing").await,
        StatusCode::NO_CONTENT
    );
    let p: Value = admin.answer("playbooks/get", &[("id", &id)]).await;
    assert_eq!(p["last_loaded_url"], "https://shop.example.com/pricing");
    assert_eq!(p["blocked"][0], "https://evil.example");
    let mut settings = p["settings"].clone();
    settings["allowed_sites"] = json!(["https://shop.example.com", "https://evil.example"]);
    let r = admin
        .call_json(
            "playbooks/save",
            &json!({ "id": id, "version": p["version"], "settings": settings, "cards": p["cards"] }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = admin.answer("playbooks/get", &[("id", &id)]).await;
    assert_eq!(p["blocked"], Value::Null, "{p}");
}

#[tokio::test]
async fn the_editor_preview_is_the_frame_framed_only_by_leadline() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let r = reqwest::get(format!("{}/widget/preview", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"data-preview="1""#));
    assert!(
        html.contains(&format!(r#"data-parent="{}""#, app.base)),
        "{html}"
    );
    assert!(
        html.contains(r#"class="ll-compose""#),
        "the frame's own markup"
    );
}

#[tokio::test]
async fn a_visitor_may_leave_the_phone_and_the_message_empty() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let key = support::active_playbook(&mut admin, None, &[]).await;
    // Nobody online: the template's offline flow asks at once.
    let v = start(&app, &key, None).await;
    assert_eq!(v["state"], "missed");
    let (s, done) = visitor(&app, "answer", json!({ "token": v["token"], "conversation_id": v["conversation_id"],
        "card_id": v["prompt"]["card_id"], "fields": { "name": "Lia", "email": "lia@example.com", "phone": " ", "message": "" } })).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(
        bodies(&done["messages"]).last().map(String::as_str),
        Some("<p>Thanks, we will get back to you at lia@example.com.</p>")
    );
    let d: Value = admin
        .answer(
            "crm/panel",
            &[("id", v["conversation_id"].as_str().unwrap())],
        )
        .await;
    let keys: Vec<&str> = d["captured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["name", "email"],
        "empty fields are not saved; the name first"
    );
    // The agent's list tells a chat the visitor wrote in from one opened and left.
    let quiet = start(&app, &key, None).await;
    let list: Value = admin
        .answer("inbox/list", &[("folder", "unassigned")])
        .await;
    let wrote = |id: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["conversation"]["id"] == *id)
            .unwrap()["visitor_wrote"]
            .clone()
    };
    assert_eq!(wrote(&v["conversation_id"]), true);
    assert_eq!(wrote(&quiet["conversation_id"]), false);
}

#[tokio::test]
async fn with_only_a_phone_the_confirmation_names_the_phone() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let cards = json!([
        live_chat_card("activity"),
        { "id": "call", "audience": "everyone", "body": { "kind": "capture",
            "text": "<p>Your number?</p>", "fields": ["phone"] } },
    ]);
    let key = support::active_playbook(&mut admin, Some(cards), &[]).await;
    let v = start(&app, &key, None).await;
    assert_eq!(v["state"], "missed");
    assert_eq!(
        v["prompt"]["optional"],
        json!([]),
        "the only way to answer is required"
    );
    let (s, done) = visitor(
        &app,
        "answer",
        json!({ "token": v["token"], "conversation_id": v["conversation_id"],
        "card_id": "call", "fields": { "phone": "+62 812 3456 7890" } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(
        bodies(&done["messages"]).last().map(String::as_str),
        Some("<p>Thanks, we will get back to you at +62 812 3456 7890.</p>")
    );
}

/// Writes `request` on a fresh connection and reads until `enough` holds for what came
/// back, the connection closes, or 10 s pass; returns what was read and whether it closed.
async fn raw(
    stream: &mut tokio::net::TcpStream,
    request: &str,
    enough: impl Fn(&str) -> bool,
) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut chunk = [0u8; 4096];
    loop {
        if enough(&String::from_utf8_lossy(&got)) {
            return (String::from_utf8_lossy(&got).into_owned(), false);
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

/// Event streams are served by a lean writer when they open a connection (B3) and by hyper
/// on a connection that served something else first: both speak correct HTTP/1.1 and carry
/// the same events; a refusal is a complete response and the connection then closes.
#[tokio::test]
async fn event_streams_speak_http_on_a_fresh_and_on_a_reused_connection() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let mut admin = app.setup_admin().await;
    let key = support::active_playbook(&mut admin, None, &[]).await;
    online(&mut admin).await;
    let v = start(&app, &key, None).await;
    let (id, token) = (
        v["conversation_id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    );
    let host = app.base.trim_start_matches("http://").to_string();
    let get = |target: &str, close: bool| {
        format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\n{}\r\n",
            if close {
                ""
            } else {
                "Connection: keep-alive\r\n"
            }
        )
    };

    // A refused stream on a fresh connection: status, length, the error, then the close.
    let mut fresh = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (refused, closed) = raw(
        &mut fresh,
        &get(&format!("/api/visitor/events?c={id}&t=not-the-token"), true),
        |_| false,
    )
    .await;
    assert!(
        refused.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{refused}"
    );
    let lower = refused.to_ascii_lowercase();
    assert!(lower.contains("\r\nconnection: close\r\n"), "{refused}");
    let (head, body) = refused.split_once("\r\n\r\n").unwrap();
    let length: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length: ")
                .map(|n| n.parse().unwrap())
        })
        .expect("a content-length");
    assert_eq!(body.len(), length, "{refused}");
    assert!(body.contains("NotFound"), "{body}");
    assert!(closed, "the connection closes after a refusal");

    // A stream on a fresh connection, and one on a connection that answered /healthz first.
    let target = format!("/api/visitor/events?c={id}&t={token}");
    let mut lean = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (hello, _) = raw(&mut lean, &get(&target, true), |s| s.contains("retry:")).await;
    assert!(hello.starts_with("HTTP/1.1 200 OK\r\n"), "{hello}");
    assert!(hello.contains("text/event-stream"), "{hello}");
    let mut reused = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (health, closed) = raw(&mut reused, &get("/healthz", false), |s| s.ends_with("ok")).await;
    assert!(
        health.starts_with("HTTP/1.1 200 OK\r\n") && !closed,
        "{health}"
    );
    let (hello, _) = raw(&mut reused, &get(&target, false), |s| s.contains("retry:")).await;
    assert!(hello.starts_with("HTTP/1.1 200 OK\r\n"), "{hello}");
    assert!(
        hello.contains("transfer-encoding: chunked"),
        "hyper: {hello}"
    );

    // The visitor writes; both streams carry the message once.
    let (s, _) = visitor(
        &app,
        "messages",
        json!({ "token": token, "conversation_id": id, "body": "Over both paths" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    for (name, stream) in [("lean", &mut lean), ("hyper", &mut reused)] {
        let (events, closed) = raw(stream, "", |s| s.contains("Over both paths")).await;
        assert!(!closed, "{name}: the stream stays open");
        assert_eq!(
            events.matches("Over both paths").count(),
            1,
            "{name}: {events}"
        );
        assert!(
            events.contains("event: message") || events.contains("event:message"),
            "{name}: {events}"
        );
    }
}
