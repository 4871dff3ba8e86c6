//! The conversation engine: transitions, races, idempotent sends and replay (R1, F3.5),
//! on SQLite and (when configured) PostgreSQL.
#![cfg(feature = "ssr")]
use app::backend::{authz::Actor, testing, testing::TestDatabase};
use app::conversation::engine as service;
use app::conversation::feed::{self, Scope};
use app::conversation::messages::{self, Sender};
use app::conversation::writer::Writer;
use app::conversation::{ConversationState, EventPayload};
use app::inbox::service as inbox;
use app::inbox::Folder;
use app::AppError;
use sea_orm::DatabaseConnection;

struct World {
    db: DatabaseConnection,
    writer: Writer,
    a: Actor,
    b: Actor,
}

async fn world(tdb: &TestDatabase) -> World {
    let db = tdb.connect().await;
    let a = testing::company(&db).await;
    let b = testing::regular_user(&db, &a, "b@example.com", false).await;
    World {
        writer: Writer::start(db.clone()),
        db,
        a,
        b,
    }
}

/// A conversation's events after `after`, as a stream catching up reads them.
async fn events(w: &World, conversation_id: uuid::Uuid, after: i64) -> Vec<(i64, EventPayload)> {
    match feed::load(&w.db, Scope::Conversation(conversation_id), after, 1000)
        .await
        .unwrap()
    {
        Some((batch, _)) => batch.items.into_iter().map(|i| (i.id, i.payload)).collect(),
        None => Vec::new(),
    }
}

async fn waiting(w: &World, wait_seconds: u32) -> (app::backend::entities::visitor::Model, String) {
    let v = service::new_visitor(&w.db, w.a.company_id).await.unwrap();
    let c = service::start(&w.db, &v, None, Some("https://shop.example.com/".into()))
        .await
        .unwrap();
    assert_eq!(c.state, "bot");
    let c = service::request_agent(&w.db, &c, wait_seconds, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.state, "waiting");
    assert!(c.wait_deadline.is_some());
    (v, c.id.to_string())
}

fn conflict(r: Result<impl std::fmt::Debug, AppError>, words: &str) {
    match r {
        Err(AppError::Conflict(m)) => assert!(m.contains(words), "{m:?} should say {words:?}"),
        other => panic!("expected a conflict saying {words:?}, got {other:?}"),
    }
}

fn not_found(r: Result<impl std::fmt::Debug, AppError>) {
    assert!(
        matches!(r, Err(AppError::NotFound(_))),
        "expected not found, got {r:?}"
    );
}

#[tokio::test]
async fn every_transition_allowed_and_refused() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let (v, id) = waiting(&w, 60).await;
        // A visitor can talk while waiting; an agent must take the conversation first.
        messages::send(&w.writer, &id, Sender::Visitor(&v), "Hello?", Some("v-1"))
            .await
            .unwrap();
        conflict(
            messages::send(&w.writer, &id, Sender::Agent(&w.a), "Hi", None).await,
            "Assign the conversation",
        );

        let c = service::assign_to_me(&w.db, &w.a, &id).await.unwrap();
        assert_eq!(
            (c.state.as_str(), c.assignee_id),
            ("assigned", Some(w.a.user_id))
        );
        assert!(c.wait_deadline.is_none(), "the timer stops once taken");
        // B cannot take it, see it, reply or act on it (F3.5).
        not_found(service::assign_to_me(&w.db, &w.b, &id).await);
        not_found(messages::send(&w.writer, &id, Sender::Agent(&w.b), "Mine!", None).await);
        not_found(service::reassign(&w.db, &w.b, &id, None).await);
        not_found(service::close(&w.db, &w.b, &id).await);
        messages::send(
            &w.writer,
            &id,
            Sender::Agent(&w.a),
            "Hi, I am A",
            Some("a-1"),
        )
        .await
        .unwrap();

        // A hands it to B; now B acts and A is out.
        let c = service::reassign(&w.db, &w.a, &id, Some(&w.b.user_id.to_string()))
            .await
            .unwrap();
        assert_eq!(c.assignee_id, Some(w.b.user_id));
        not_found(messages::send(&w.writer, &id, Sender::Agent(&w.a), "still me?", None).await);
        messages::send(&w.writer, &id, Sender::Agent(&w.b), "B here", None)
            .await
            .unwrap();
        // B unassigns; anyone may take it again.
        let c = service::reassign(&w.db, &w.b, &id, None).await.unwrap();
        assert_eq!((c.state.as_str(), c.assignee_id), ("unassigned", None));
        let c = service::assign_to_me(&w.db, &w.a, &id).await.unwrap();
        assert_eq!(c.assignee_id, Some(w.a.user_id));
        // Reassigning to someone outside the company is refused on the field.
        let r = service::reassign(&w.db, &w.a, &id, Some(&uuid::Uuid::now_v7().to_string())).await;
        assert!(r.unwrap_err().for_field("assignee").is_some());

        let c = service::close(&w.db, &w.a, &id).await.unwrap();
        assert_eq!(c.state, "closed");
        assert!(c.closed_at.is_some());
        // Closed is for good; its transcript stays readable, by anyone of the company.
        conflict(
            service::assign_to_me(&w.db, &w.b, &id).await,
            "cannot be reopened",
        );
        conflict(service::close(&w.db, &w.a, &id).await, "cannot be reopened");
        conflict(
            messages::send(&w.writer, &id, Sender::Visitor(&v), "hello?", None).await,
            "closed",
        );
        // The transcript says who joined and that it closed, in order (F2.3, F2.5).
        let t = service::transcript(&w.db, c.id).await.unwrap();
        let seqs: Vec<i32> = t.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "{}", tdb.kind());
        let lines: Vec<(&str, &str)> = t
            .iter()
            .map(|m| (m.author_kind.as_str(), m.body.as_str()))
            .collect();
        let a_joined = service::joined(&w.a.name);
        let b_joined = service::joined(&w.b.name);
        assert_eq!(
            lines,
            [
                ("visitor", "Hello?"),
                ("system", a_joined.as_str()),
                ("agent", "Hi, I am A"),
                ("system", b_joined.as_str()),
                ("agent", "B here"),
                ("system", a_joined.as_str()),
                ("system", service::CLOSED_NOTE),
            ]
        );
    }
}

#[tokio::test]
async fn nobody_online_means_missed_at_once_and_still_answerable() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let v = service::new_visitor(&w.db, w.a.company_id).await.unwrap();
        let c = service::start(&w.db, &v, None, None).await.unwrap();
        let c = service::request_agent(&w.db, &c, 60, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.state, "missed");
        assert!(c.missed_at.is_some());
        // A second request does nothing: the card is passed.
        assert!(service::request_agent(&w.db, &c, 60, true)
            .await
            .unwrap()
            .is_none());
        // It waits in Unassigned, marked missed, until someone takes it.
        let id = c.id.to_string();
        let unassigned = inbox::list(&w.db, &w.a, Folder::Unassigned, None)
            .await
            .unwrap();
        assert_eq!(unassigned[0].conversation.id, id, "{}", tdb.kind());
        assert_eq!(unassigned[0].conversation.state, ConversationState::Missed);
        conflict(
            messages::send(&w.writer, &id, Sender::Agent(&w.a), "Hi", None).await,
            "Assign the conversation",
        );
        // Handed straight to someone from Unassigned, or taken: either way it is answered.
        let handed = service::reassign(&w.db, &w.a, &id, Some(&w.b.user_id.to_string()))
            .await
            .unwrap();
        assert_eq!(
            (handed.state.as_str(), handed.assignee_id),
            ("assigned", Some(w.b.user_id))
        );
        service::reassign(&w.db, &w.b, &id, None).await.unwrap();
        service::assign_to_me(&w.db, &w.a, &id).await.unwrap();
        messages::send(
            &w.writer,
            &id,
            Sender::Agent(&w.a),
            "Sorry we missed you",
            None,
        )
        .await
        .unwrap();
        let c = service::close(&w.db, &w.a, &id).await.unwrap();
        assert_eq!(c.state, "closed");
        assert!(c.missed_at.is_some(), "it stays known as missed");
    }
}

#[tokio::test]
async fn two_agents_taking_one_conversation_cannot_both_win() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        for _ in 0..5 {
            let (_, id) = waiting(&w, 60).await;
            let (ra, rb) = tokio::join!(
                service::assign_to_me(&w.db, &w.a, &id),
                service::assign_to_me(&w.db, &w.b, &id)
            );
            assert_eq!(
                [ra.is_ok(), rb.is_ok()].iter().filter(|x| **x).count(),
                1,
                "{}",
                tdb.kind()
            );
        }
    }
}

#[tokio::test]
async fn the_wait_timer_fires_once_and_a_click_racing_it_still_takes_the_conversation() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        for _ in 0..5 {
            let (_, id) = waiting(&w, 0).await;
            let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
            let (expired, assigned) = tokio::join!(
                app::conversation::flow::expire_overdue(&w.db, now),
                service::assign_to_me(&w.db, &w.a, &id)
            );
            let timer_won = expired.unwrap().iter().any(|c| c.id.to_string() == id);
            // A missed conversation can still be taken: the click wins either way, and the
            // timer fired only if it came first (then the visitor got the offline flow).
            let c = assigned.unwrap_or_else(|e| panic!("{}: {e:?}", tdb.kind()));
            assert_eq!(c.state, "assigned");
            assert_eq!(c.missed_at.is_some(), timer_won, "{}", tdb.kind());
            // Whatever happened, the timer never fires for it again.
            let again = app::conversation::flow::expire_overdue(&w.db, now)
                .await
                .unwrap();
            assert!(again.iter().all(|c| c.id.to_string() != id));
        }
    }
}

#[tokio::test]
async fn a_retried_send_is_stored_once_and_concurrent_sends_are_numbered() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let (v, id) = waiting(&w, 60).await;
        let (first, new) =
            messages::send(&w.writer, &id, Sender::Visitor(&v), "Hi", Some("client-1"))
                .await
                .unwrap();
        assert!(new);
        let (again, new) =
            messages::send(&w.writer, &id, Sender::Visitor(&v), "Hi", Some("client-1"))
                .await
                .unwrap();
        assert!(!new);
        assert_eq!(again.id, first.id);
        // Two writers, as two servers have: their batches race for the same conversation,
        // and each message is also sent twice at once (a retry racing the original).
        let other = Writer::start(w.db.clone());
        let sends = (0..12).map(|n| {
            let writer = if n % 2 == 0 {
                w.writer.clone()
            } else {
                other.clone()
            };
            let id = id.clone();
            let v = v.clone();
            tokio::spawn(async move {
                messages::send(
                    &writer,
                    &id,
                    Sender::Visitor(&v),
                    &format!("m{}", n / 2),
                    Some(&format!("c{}", n / 2)),
                )
                .await
                .map(|(m, _)| m.seq)
            })
        });
        for s in sends {
            s.await.unwrap().unwrap();
        }
        let t = service::transcript(&w.db, first.conversation_id)
            .await
            .unwrap();
        let seqs: Vec<i32> = t.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "{}", tdb.kind());
        // Bad input is refused on its field, and loses nothing.
        let long = "x".repeat(4001);
        let r = messages::send(&w.writer, &id, Sender::Visitor(&v), &long, None).await;
        assert!(r.unwrap_err().for_field("message").is_some());
        let r = messages::send(&w.writer, &id, Sender::Visitor(&v), "   ", None).await;
        assert!(r.unwrap_err().for_field("message").is_some());
        assert_eq!(
            service::transcript(&w.db, first.conversation_id)
                .await
                .unwrap()
                .len(),
            7
        );
        // Another visitor cannot write into this conversation.
        let stranger = service::new_visitor(&w.db, w.a.company_id).await.unwrap();
        not_found(messages::send(&w.writer, &id, Sender::Visitor(&stranger), "hi", None).await);
    }
}

#[tokio::test]
async fn events_replay_exactly_what_was_missed() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let (v, id) = waiting(&w, 60).await;
        let cid = uuid::Uuid::parse_str(&id).unwrap();
        let all = events(&w, cid, 0).await;
        // start (bot) and waiting.
        assert_eq!(all.len(), 2);
        let seen = all.last().unwrap().0;
        messages::send(&w.writer, &id, Sender::Visitor(&v), "one", Some("1"))
            .await
            .unwrap();
        messages::send(&w.writer, &id, Sender::Visitor(&v), "one", Some("1"))
            .await
            .unwrap();
        service::assign_to_me(&w.db, &w.a, &id).await.unwrap();
        messages::send(&w.writer, &id, Sender::Agent(&w.a), "two", None)
            .await
            .unwrap();
        let missed = events(&w, cid, seen).await;
        let described: Vec<String> = missed
            .iter()
            .map(|(_, e)| match e {
                EventPayload::Message { message } => format!("message:{}", message.body),
                EventPayload::Conversation { conversation, .. } => {
                    format!("{:?}", conversation.state)
                }
                EventPayload::User { .. } | EventPayload::SignedOut { .. } => "user".into(),
                EventPayload::Panel { .. } => "panel".into(),
                EventPayload::Notifications { .. } | EventPayload::Presence { .. } => {
                    "settings".into()
                }
            })
            .collect();
        let joined = format!("message:{}", service::joined(&w.a.name));
        assert_eq!(
            described,
            ["message:one", "Assigned", joined.as_str(), "message:two"],
            "{}",
            tdb.kind()
        );
        assert!(missed.windows(2).all(|p| p[0].0 < p[1].0), "in order");
        let last = missed.last().unwrap().0;
        assert!(events(&w, cid, last).await.is_empty());
        assert_eq!(
            ConversationState::parse("assigned"),
            Some(ConversationState::Assigned)
        );
    }
}

#[tokio::test]
async fn presence_needs_the_toggle_and_a_live_lease() {
    use app::conversation::presence;
    use time::{Duration, OffsetDateTime};
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let now = OffsetDateTime::now_utc();
        let company = w.a.company_id;
        assert!(!presence::anyone_online(&w.db, company, now).await.unwrap());
        // A heartbeat alone does not make anyone online: the toggle must be on.
        presence::heartbeat(&w.db, &w.a, now).await.unwrap();
        assert!(!presence::anyone_online(&w.db, company, now).await.unwrap());

        presence::set_online(&w.db, &w.a, true, now).await.unwrap();
        assert!(presence::is_toggled_on(&w.db, &w.a).await.unwrap());
        assert!(presence::anyone_online(&w.db, company, now).await.unwrap());
        // No heartbeat for longer than the lease (a closed laptop): nobody is online,
        // though the toggle stays on for when the inbox comes back.
        let later = now + presence::LEASE + Duration::seconds(1);
        assert!(!presence::anyone_online(&w.db, company, later)
            .await
            .unwrap());
        assert!(presence::is_toggled_on(&w.db, &w.a).await.unwrap());
        presence::heartbeat(&w.db, &w.a, later).await.unwrap();
        assert!(presence::anyone_online(&w.db, company, later)
            .await
            .unwrap());

        // Off means off at once, heartbeat or not.
        presence::set_online(&w.db, &w.a, false, later)
            .await
            .unwrap();
        presence::heartbeat(&w.db, &w.a, later).await.unwrap();
        assert!(
            !presence::anyone_online(&w.db, company, later)
                .await
                .unwrap(),
            "{}",
            tdb.kind()
        );
        // Another company is never counted.
        presence::set_online(&w.db, &w.b, true, later)
            .await
            .unwrap();
        assert!(!presence::anyone_online(&w.db, uuid::Uuid::now_v7(), later)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn folder_lists_are_newest_first_with_previews_and_assignee_names() {
    use app::inbox::{Folder, PAGE_SIZE};
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let mut ids = Vec::new();
        for n in 0..PAGE_SIZE + 2 {
            let (v, id) = waiting(&w, 60).await;
            messages::send(
                &w.writer,
                &id,
                Sender::Visitor(&v),
                &format!("first {n}"),
                None,
            )
            .await
            .unwrap();
            messages::send(
                &w.writer,
                &id,
                Sender::Visitor(&v),
                &format!("newest {n}"),
                None,
            )
            .await
            .unwrap();
            ids.push(id);
        }
        // The bot's HTML is shown as plain text; a taken one carries its assignee's name.
        messages::send(
            &w.writer,
            &ids[0],
            Sender::Bot,
            "<p><b>Hello</b> there</p>",
            None,
        )
        .await
        .unwrap();
        service::assign_to_me(&w.db, &w.a, &ids[1]).await.unwrap();
        // The folder holds two states (waiting, and unassigned after a hand-back): one order.
        for n in [3, PAGE_SIZE] {
            service::assign_to_me(&w.db, &w.a, &ids[n]).await.unwrap();
            service::reassign(&w.db, &w.a, &ids[n], None).await.unwrap();
        }

        let first = inbox::list(&w.db, &w.a, Folder::Unassigned, None)
            .await
            .unwrap();
        let newest = PAGE_SIZE + 1;
        let expected: Vec<String> = ids[2..=newest].iter().rev().cloned().collect();
        let got: Vec<String> = first.iter().map(|s| s.conversation.id.clone()).collect();
        assert_eq!(got, expected, "{}", tdb.kind());
        assert_eq!(first[0].conversation.id, ids[newest]);
        assert_eq!(
            first[0].last_message.as_deref(),
            Some(&*format!("newest {newest}"))
        );
        let rest = inbox::list(
            &w.db,
            &w.a,
            Folder::Unassigned,
            Some(&first.last().unwrap().conversation.id),
        )
        .await
        .unwrap();
        let rest: Vec<_> = rest.iter().map(|s| s.conversation.id.clone()).collect();
        assert_eq!(rest, vec![ids[0].clone()], "{}", tdb.kind());
        // The preview is what a person said last, not the bot's line after it.
        let bot = inbox::list(&w.db, &w.a, Folder::Unassigned, Some(&ids[1]))
            .await
            .unwrap();
        assert_eq!(bot[0].last_message.as_deref(), Some("newest 0"));

        let mine = inbox::list(&w.db, &w.a, Folder::Mine, None).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].conversation.id, ids[1]);
        assert_eq!(
            mine[0].conversation.assignee_name.as_deref(),
            Some("Ada Admin")
        );
        // F3.5: B sees neither A's conversation nor A's folder.
        let b_unassigned = inbox::list(&w.db, &w.b, Folder::Unassigned, None)
            .await
            .unwrap();
        assert!(b_unassigned.iter().all(|s| s.conversation.id != ids[1]));
        assert!(inbox::list(&w.db, &w.b, Folder::Mine, None)
            .await
            .unwrap()
            .is_empty());
        // Where no person wrote, the bot's words are the preview (as plain text).
        let (_, quiet) = waiting(&w, 60).await;
        messages::send(
            &w.writer,
            &quiet,
            Sender::Bot,
            "<p><b>Hello</b> there</p>",
            None,
        )
        .await
        .unwrap();
        let first = inbox::list(&w.db, &w.a, Folder::Unassigned, None)
            .await
            .unwrap();
        assert_eq!(first[0].conversation.id, quiet);
        assert_eq!(first[0].last_message.as_deref(), Some("Hello there"));
    }
}

/// Event ids become visible in commit order (R1, R3): while one transaction that wrote an
/// event stays open, a later message cannot commit its event, so a reader that has seen id
/// N never misses a smaller id that commits after it. On PostgreSQL this is the
/// commit-order lock of the `event` table; on SQLite the single writer.
#[tokio::test]
async fn a_later_event_never_commits_before_an_open_earlier_one() {
    use app::backend::entities::event;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionTrait};
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let (v, id) = waiting(&w, 60).await;
        let cid = uuid::Uuid::parse_str(&id).unwrap();
        let seen = feed::newest(&w.db, Scope::All).await.unwrap();
        let held = w.db.begin().await.unwrap();
        let first = event::ActiveModel {
            company_id: Set(w.a.company_id),
            conversation_id: Set(Some(cid)),
            kind: Set("user".into()),
            payload: Set(serde_json::to_string(&EventPayload::User {
                user_id: w.b.user_id.to_string(),
                active: true,
            })
            .unwrap()),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        }
        .insert(&held)
        .await
        .unwrap();
        let writer = w.writer.clone();
        let later = tokio::spawn(async move {
            messages::send(&writer, &id, Sender::Visitor(&v), "later", Some("later"))
                .await
                .unwrap()
        });
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert!(
            !later.is_finished(),
            "{}: the later send committed first",
            tdb.kind()
        );
        assert!(
            feed::load(&w.db, Scope::All, seen, 100)
                .await
                .unwrap()
                .is_none(),
            "{}: a reader saw an event past an open transaction's",
            tdb.kind()
        );
        held.commit().await.unwrap();
        later.await.unwrap();
        let (batch, _) = feed::load(&w.db, Scope::All, seen, 100)
            .await
            .unwrap()
            .unwrap();
        let ids: Vec<i64> = batch.items.iter().map(|i| i.id).collect();
        assert_eq!(ids.len(), 2, "{}", tdb.kind());
        assert_eq!(
            ids[0],
            first.id,
            "{}: the earlier event comes first",
            tdb.kind()
        );
        assert!(ids[1] > ids[0]);
    }
}

/// Nothing lands after "Close conversation", and no reply of the previous assignee after a
/// hand-over: the message writer checks each message again under the conversation's lock
/// (the send itself checked on an earlier read). The assignee and the visitor send without
/// pause while the conversation is handed to another agent and then closed; many rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lands_after_a_close_and_no_old_reply_after_a_hand_over() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let (mut refused, mut stored) = (0, 0);
        for round in 0..12 {
            let (v, id) = waiting(&w, 60).await;
            service::assign_to_me(&w.db, &w.a, &id).await.unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let mut senders = Vec::new();
            for who in ["agent", "visitor"] {
                let (writer, a, v, id, stop) = (
                    w.writer.clone(),
                    w.a.clone(),
                    v.clone(),
                    id.clone(),
                    stop.clone(),
                );
                senders.push(tokio::spawn(async move {
                    let (mut ok, mut no) = (0, 0);
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let sender = match who {
                            "agent" => Sender::Agent(&a),
                            _ => Sender::Visitor(&v),
                        };
                        let cid = format!("{who}-{round}-{i}");
                        match messages::send(&writer, &id, sender, &cid, Some(&cid)).await {
                            Ok(_) => ok += 1,
                            Err(_) => no += 1,
                        }
                    }
                    (ok, no)
                }));
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
            service::reassign(&w.db, &w.a, &id, Some(&w.b.user_id.to_string()))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(15)).await;
            service::close(&w.db, &w.b, &id).await.unwrap();
            tokio::time::sleep(Duration::from_millis(15)).await;
            stop.store(true, Ordering::Relaxed);
            for s in senders {
                let (ok, no) = s.await.unwrap();
                stored += ok;
                refused += no;
            }
            let transcript = service::transcript(&w.db, id.parse().unwrap())
                .await
                .unwrap();
            let seq_of = |body: &str| {
                transcript
                    .iter()
                    .find(|m| m.body == body)
                    .unwrap_or_else(|| panic!("{body:?} is in the transcript"))
                    .seq
            };
            let handed = seq_of(&service::joined(&w.b.name));
            let closed = seq_of(service::CLOSED_NOTE);
            for m in &transcript {
                assert!(
                    m.seq <= closed,
                    "{}: {:?} landed after the close (round {round})",
                    tdb.kind(),
                    m.body
                );
                if m.author_id == Some(w.a.user_id) {
                    assert!(
                        m.seq < handed,
                        "{}: {:?} of the previous assignee landed after the hand-over \
                         (round {round})",
                        tdb.kind(),
                        m.body
                    );
                }
            }
        }
        // Both sides really were sending across the changes.
        assert!(
            stored > 24 && refused > 24,
            "stored {stored}, refused {refused}"
        );
    }
}
