//! R3: several `leadline` processes on one PostgreSQL database behave as one. A visitor talks
//! through server A, agents work through server B: presence, the conversation, the folder
//! counts, the join note and every message cross between them live; a wait timer that both
//! servers sweep fires once. PostgreSQL tier only (`LEADLINE_TEST_POSTGRES_URL`); without it
//! each test says it is skipped and passes.
use crate::processes;
use crate::support;

use app::backend::testing::TestDatabase;
use processes::{
    add_agent, go_online, live_chat_playbook, offline_notes, same_session_on, setup_admin,
    start_visitor, visitor_events, visitor_send, Events, ServerProcess, Visitor,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use support::login;
use support::{Client, Sse};

/// How soon a change made through one server reaches a stream held on the other.
const LIVE: Duration = Duration::from_secs(1);

/// Two servers, A and B, on a fresh schema of the test PostgreSQL database (A starts first
/// and runs the migrations); None, after saying so, when no PostgreSQL is configured.
async fn two_servers(
    test: &str,
    logs: &Path,
) -> Option<(TestDatabase, ServerProcess, ServerProcess)> {
    let Some(db) = TestDatabase::postgres().await else {
        eprintln!("{test}: skipped (set LEADLINE_TEST_POSTGRES_URL to run the PostgreSQL tier)");
        return None;
    };
    let schema = db
        .schema
        .clone()
        .expect("a PostgreSQL test database has a schema");
    let env = [
        ("LEADLINE_DATABASE_URL", db.url.as_str()),
        ("LEADLINE_DATABASE_SCHEMA", schema.as_str()),
    ];
    let a = ServerProcess::start("a", &env, logs).await;
    let b = ServerProcess::start("b", &env, logs).await;
    Some((db, a, b))
}

/// `seen` holds the conversation `id` in state `state` and, after it, folder counts of
/// `counts`.
fn conversation_then_counts(seen: &[Sse], id: &str, state: &str, counts: &Value) -> bool {
    seen.iter()
        .position(|e| e.event == "conversation" && e.data["id"] == id && e.data["state"] == state)
        .is_some_and(|p| {
            seen[p..]
                .iter()
                .any(|e| e.event == "counts" && e.data == *counts)
        })
}

/// A message event of the agents' stream with this body.
fn agent_message<'a>(seen: &'a [Sse], body: &str) -> impl Iterator<Item = &'a Sse> + 'a {
    let body = body.to_string();
    seen.iter()
        .filter(move |e| e.event == "message" && e.data["body"] == body.as_str())
}

/// The message bodies of a visitor's stream, in order.
fn visitor_bodies(seen: &[Sse]) -> Vec<String> {
    seen.iter()
        .filter(|e| e.event == "message")
        .map(|e| {
            e.data["message"]["body"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

/// No event came twice: ids only grow (folder counts repeat the id of the batch they close).
fn strictly_increasing_ids(seen: &[Sse]) -> bool {
    let ids: Vec<i64> = seen
        .iter()
        // Folder counts and notifications follow the event they come from, under its id.
        .filter(|e| e.event != "counts" && e.event != "notify")
        .filter_map(|e| e.id)
        .collect();
    ids.windows(2).all(|w| w[0] < w[1])
}

#[tokio::test]
async fn a_visitor_on_one_server_and_an_agent_on_another_talk_live() {
    let logs = tempfile::tempdir().unwrap();
    let Some((_db, a, b)) = two_servers(
        "a_visitor_on_one_server_and_an_agent_on_another_talk_live",
        logs.path(),
    )
    .await
    else {
        return;
    };
    let mut admin = setup_admin(&b.base).await;
    let key = live_chat_playbook(&mut admin, 60).await;
    add_agent(&mut admin, "rey@example.com").await;
    let mut agent = login(&b.base, "rey@example.com", "regular-password").await;
    let mut inbox = Events::new(agent.stream("/api/events").await);
    go_online(&mut agent).await;

    // Presence set through B counts on A: the visitor waits for an agent, not missed at once.
    let http = reqwest::Client::new();
    let v = start_visitor(&http, &a.base, &key).await;
    assert_eq!(v.state, "waiting", "the agent online on B counts on A");

    // B's inbox shows the new conversation in Unassigned, with the folder counts.
    let unassigned = json!({ "unassigned": 1, "mine": 0, "closed": 0 });
    let seen = inbox
        .until(LIVE, |e| {
            conversation_then_counts(e, &v.id, "waiting", &unassigned)
        })
        .await;
    assert!(
        conversation_then_counts(&seen, &v.id, "waiting", &unassigned),
        "within {LIVE:?} on B: the conversation and counts {unassigned}: {seen:?}"
    );

    // The agent takes it through B; the visitor's stream on A gets the state and the note.
    let mut visitor_stream = visitor_events(&http, &a.base, &v).await;
    let r = agent.call("inbox/assign", &[("id", &v.id)]).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let joined = "Rey Regular joined the conversation";
    let seen = visitor_stream
        .until(LIVE, |e| visitor_bodies(e).iter().any(|b| b == joined))
        .await;
    let summary: Vec<String> = seen
        .iter()
        .map(|e| match e.event.as_str() {
            "message" => format!(
                "message:{}",
                e.data["message"]["body"].as_str().unwrap_or("?")
            ),
            other => format!(
                "{other}:{}:{}",
                e.data["state"].as_str().unwrap_or("-"),
                e.data["agent_name"].as_str().unwrap_or("-")
            ),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "state:assigned:Rey Regular".to_string(),
            format!("message:{joined}")
        ],
        "within {LIVE:?} on A"
    );
    let mine = json!({ "unassigned": 0, "mine": 1, "closed": 0 });
    let seen = inbox
        .until(LIVE, |e| {
            conversation_then_counts(e, &v.id, "assigned", &mine)
        })
        .await;
    assert!(
        conversation_then_counts(&seen, &v.id, "assigned", &mine),
        "{seen:?}"
    );

    // Each visitor message sent through A reaches the agent's stream on B.
    let sent: Vec<String> = (1..=20).map(|i| format!("visitor message {i}")).collect();
    for (i, body) in sent.iter().enumerate() {
        let r = visitor_send(&http, &a.base, &v, body, &format!("v-{i}"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        let seen = inbox
            .until(LIVE, |e| agent_message(e, body).next().is_some())
            .await;
        assert!(
            agent_message(&seen, body).next().is_some(),
            "{body:?} within {LIVE:?} on B: {seen:?}"
        );
    }
    // The agent replies through B; the visitor reads it through A.
    let reply = "Hello from server B";
    let r = agent
        .call(
            "inbox/send",
            &[("id", &v.id), ("body", reply), ("client_id", "a-1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let seen = visitor_stream
        .until(LIVE, |e| visitor_bodies(e).iter().any(|b| b == reply))
        .await;
    assert!(
        visitor_bodies(&seen).iter().any(|b| b == reply),
        "within {LIVE:?} on A: {seen:?}"
    );

    // A moment more for anything sent twice, then each stream's messages: once each, in order.
    inbox.until(Duration::from_millis(500), |_| false).await;
    visitor_stream
        .until(Duration::from_millis(500), |_| false)
        .await;
    let on_b: Vec<&str> = inbox
        .all
        .iter()
        .filter(|e| e.event == "message" && e.data["conversation_id"] == v.id.as_str())
        .filter(|e| e.data["author"] == "visitor")
        .map(|e| e.data["body"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(on_b, sent, "the visitor's messages on B's stream");
    let seqs: Vec<i64> = inbox
        .all
        .iter()
        .filter(|e| e.event == "message" && e.data["conversation_id"] == v.id.as_str())
        .filter_map(|e| e.data["seq"].as_i64())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(strictly_increasing_ids(&inbox.all), "{:?}", inbox.all);
    let mut expected = vec![joined.to_string()];
    expected.extend(sent.iter().cloned());
    expected.push(reply.to_string());
    assert_eq!(
        visitor_bodies(&visitor_stream.all),
        expected,
        "the visitor's stream on A"
    );
    assert!(strictly_increasing_ids(&visitor_stream.all));
}

/// The conversation as the agent reads it through the server of `agent`.
async fn detail(agent: &mut Client, v: &Visitor) -> Value {
    agent.answer("inbox/conversation", &[("id", &v.id)]).await
}

/// How many conversations a server's log says its timer moved.
fn swept(log: &str) -> u64 {
    log.lines()
        .filter(|l| l.contains("wait time passed"))
        .filter_map(|l| l.split("count=").nth(1))
        .filter_map(|c| c.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn a_wait_timer_fires_once_with_both_servers_sweeping() {
    let logs = tempfile::tempdir().unwrap();
    let Some((_db, a, b)) = two_servers(
        "a_wait_timer_fires_once_with_both_servers_sweeping",
        logs.path(),
    )
    .await
    else {
        return;
    };
    let mut admin = setup_admin(&a.base).await;
    let wait = 10;
    let key = live_chat_playbook(&mut admin, wait).await;
    add_agent(&mut admin, "rey@example.com").await;
    let mut agent = login(&b.base, "rey@example.com", "regular-password").await;
    let mut inbox = Events::new(agent.stream("/api/events").await);
    go_online(&mut agent).await;

    // Visitors through both servers reach the Live Chat card while the agent is online.
    let http = reqwest::Client::new();
    let mut visitors = Vec::new();
    for i in 0..6 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let v = start_visitor(&http, base, &key).await;
        assert_eq!(v.state, "waiting", "visitor {i}");
        visitors.push(v);
    }

    // Nobody takes them. When the wait passes, the agent's stream on B shows each missed,
    // whichever server's timer moved it.
    let all_missed = |seen: &[Sse]| {
        visitors.iter().all(|v| {
            seen.iter().any(|e| {
                e.event == "conversation"
                    && e.data["id"] == v.id.as_str()
                    && e.data["state"] == "missed"
            })
        })
    };
    let within = Duration::from_secs(u64::from(wait) + 5);
    let seen = inbox.until(within, all_missed).await;
    assert!(
        all_missed(&seen),
        "all missed within {within:?} on B's stream: {seen:?}"
    );

    // Both servers go on sweeping; nothing fires twice. Each conversation, read through
    // either server, is missed with exactly one offline message.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut agent_on_a = same_session_on(&agent, &a.base);
    for (i, v) in visitors.iter().enumerate() {
        for (server, agent) in [("A", &mut agent_on_a), ("B", &mut agent)] {
            let d = detail(agent, v).await;
            assert_eq!(
                d["conversation"]["state"], "missed",
                "{i} via {server}: {d}"
            );
            assert!(d["conversation"]["missed_at"].is_string(), "{d}");
            assert_eq!(
                offline_notes(&d),
                1,
                "visitor {i} via {server}: one offline message: {d}"
            );
        }
    }
    let counts: Value = agent.answer("inbox/counts", &[]).await;
    assert_eq!(counts, json!({ "unassigned": 6, "mine": 0, "closed": 0 }));
    println!(
        "timers moved {} conversations on A and {} on B (from their logs)",
        swept(&a.log()),
        swept(&b.log())
    );
}
