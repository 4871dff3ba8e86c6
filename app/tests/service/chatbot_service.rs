//! Service tests for playbooks, on SQLite and (when configured) PostgreSQL.
#![cfg(feature = "ssr")]
use app::backend::{authz::Actor, testing, testing::TestDatabase};
use app::chatbot::model::{Audience, Card, CardBody, CrmItem, OfflineOutcome};
use app::chatbot::{service, LiveChatStatus, Template, SAVE_CONFLICT};
use app::AppError;
use sea_orm::DatabaseConnection;

struct World {
    db: DatabaseConnection,
    admin: Actor,
    agent: Actor,
    editor: Actor,
}

async fn world(tdb: &TestDatabase) -> World {
    let db = tdb.connect().await;
    let admin = testing::company(&db).await;
    World {
        agent: testing::regular_user(&db, &admin, "agent@example.com", false).await,
        editor: testing::regular_user(&db, &admin, "editor@example.com", true).await,
        admin,
        db,
    }
}

#[tokio::test]
async fn live_chat_template_creates_a_greeting_a_live_chat_and_its_offline_capture() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let id = service::create(&w.db, &w.editor, Template::LiveChat)
            .await
            .unwrap();
        let p = service::get(&w.db, &w.agent, &id).await.unwrap();
        assert_eq!(p.cards.len(), 3, "{}", tdb.kind());
        assert!(matches!(p.cards[0].body, CardBody::Message { .. }));
        assert!(matches!(
            p.cards[1].body,
            CardBody::LiveChat {
                wait_seconds: 60,
                ..
            }
        ));
        assert!(
            matches!(&p.cards[2].body, CardBody::Capture { fields, .. } if fields.len() == 4),
            "the offline flow asks for name, email, phone and a message"
        );
        assert_eq!(p.live_chat, LiveChatStatus::OfflineModeOnly);
        assert!(!p.can_edit, "the agent may look, not edit");
        let list = service::list(&w.db, &w.agent).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].live_chat, LiveChatStatus::OfflineModeOnly);
        let blank = service::create(&w.db, &w.admin, Template::Blank)
            .await
            .unwrap();
        let blank = service::get(&w.db, &w.admin, &blank).await.unwrap();
        assert!(blank.cards.is_empty());
        assert_eq!(blank.live_chat, LiveChatStatus::NoLiveChat);
    }
}

#[tokio::test]
async fn save_round_trips_sanitized_and_in_order() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let id = service::create(&w.db, &w.admin, Template::LiveChat)
            .await
            .unwrap();
        let p = service::get(&w.db, &w.admin, &id).await.unwrap();
        let mut cards = p.cards[..2].to_vec();
        cards.reverse();
        if let CardBody::LiveChat {
            online_message,
            offline_create,
            offline_outcome,
            ..
        } = &mut cards[0].body
        {
            *online_message = "<p><b>Hi</b> <a href=\"https://acme.example\" onclick=\"x()\">us</a><script>alert(1)</script></p>".into();
            *offline_create = CrmItem::Deal;
            *offline_outcome = OfflineOutcome::Reject;
        }
        cards.push(Card {
            id: "q1".into(),
            audience: Audience::Qualified,
            body: CardBody::Question {
                text: "<p>Plan?</p>".into(),
                field: " plan ".into(),
                answers: vec![" Pro ".into(), "Team".into()],
                free_text: false,
            },
        });
        let mut settings = p.settings.clone();
        settings.name = "  Pricing page  ".into();
        settings.allowed_sites = vec!["HTTPS://Shop.Example.com/".into()];
        let saved = service::save(&w.db, &w.editor, &id, p.version, settings, cards)
            .await
            .unwrap();
        assert_eq!(saved.version, p.version + 1);
        let again = service::get(&w.db, &w.admin, &id).await.unwrap();
        assert_eq!(
            again.cards,
            saved.cards,
            "{}: reload shows exactly what was saved",
            tdb.kind()
        );
        assert_eq!(again.settings.name, "Pricing page");
        assert_eq!(
            again.settings.allowed_sites,
            vec!["https://shop.example.com".to_string()]
        );
        let kinds: Vec<&str> = again.cards.iter().map(|c| c.body.kind_label()).collect();
        assert_eq!(kinds, ["Live Chat", "Message", "Question"]);
        match &again.cards[0].body {
            CardBody::LiveChat {
                online_message,
                offline_create,
                offline_outcome,
                ..
            } => {
                assert!(online_message.contains("<b>Hi</b>"));
                assert!(online_message.contains("rel=\"noopener nofollow ugc\""));
                assert!(!online_message.contains("script") && !online_message.contains("onclick"));
                assert_eq!(
                    (*offline_create, *offline_outcome),
                    (CrmItem::Deal, OfflineOutcome::Reject)
                );
            }
            other => panic!("{other:?}"),
        }
        match &again.cards[2].body {
            CardBody::Question { field, answers, .. } => {
                assert_eq!(field, "plan");
                assert_eq!(answers, &["Pro".to_string(), "Team".to_string()]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(again.cards[2].audience, Audience::Qualified);
    }
}

#[tokio::test]
async fn invalid_or_stale_saves_change_nothing() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let id = service::create(&w.db, &w.admin, Template::LiveChat)
            .await
            .unwrap();
        let before = service::get(&w.db, &w.admin, &id).await.unwrap();

        // A wait time out of range: refused on its field, nothing saved.
        let mut cards = before.cards.clone();
        if let CardBody::LiveChat { wait_seconds, .. } = &mut cards[1].body {
            *wait_seconds = 5;
        }
        cards.remove(0);
        let err = service::save(
            &w.db,
            &w.admin,
            &id,
            before.version,
            before.settings.clone(),
            cards,
        )
        .await
        .unwrap_err();
        assert!(err.for_field("cards.0.wait_seconds").is_some(), "{err:?}");
        let after = service::get(&w.db, &w.admin, &id).await.unwrap();
        assert_eq!(after, before, "{}", tdb.kind());

        // Two editors open version N; the first save wins, the second gets a conflict.
        let mut first = before.settings.clone();
        first.name = "First".into();
        service::save(
            &w.db,
            &w.admin,
            &id,
            before.version,
            first,
            before.cards.clone(),
        )
        .await
        .unwrap();
        let mut second = before.settings.clone();
        second.name = "Second".into();
        let stale = service::save(&w.db, &w.editor, &id, before.version, second, vec![]).await;
        assert_eq!(stale.unwrap_err(), AppError::Conflict(SAVE_CONFLICT.into()));
        let now = service::get(&w.db, &w.admin, &id).await.unwrap();
        assert_eq!(now.settings.name, "First");
        assert_eq!(now.cards.len(), 3, "the stale save deleted no card");
    }
}

#[tokio::test]
async fn concurrent_saves_of_one_version_cannot_both_win() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let id = service::create(&w.db, &w.admin, Template::LiveChat)
            .await
            .unwrap();
        let p = service::get(&w.db, &w.admin, &id).await.unwrap();
        let (a, b) = tokio::join!(
            service::save(
                &w.db,
                &w.admin,
                &id,
                p.version,
                p.settings.clone(),
                p.cards.clone()
            ),
            service::save(
                &w.db,
                &w.editor,
                &id,
                p.version,
                p.settings.clone(),
                vec![p.cards[1].clone()]
            ),
        );
        assert_eq!(
            [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(),
            1,
            "{}",
            tdb.kind()
        );
        let now = service::get(&w.db, &w.admin, &id).await.unwrap();
        assert_eq!(now.version, p.version + 1);
        let winner = if a.is_ok() { 3 } else { 1 };
        assert_eq!(now.cards.len(), winner, "the winner's flow, whole");
    }
}

#[tokio::test]
async fn only_editors_change_playbooks_and_only_in_their_company() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let id = service::create(&w.db, &w.admin, Template::LiveChat)
            .await
            .unwrap();
        let p = service::get(&w.db, &w.admin, &id).await.unwrap();
        let forbidden = |r: Result<_, AppError>| matches!(r, Err(AppError::Forbidden(_)));
        assert!(forbidden(
            service::create(&w.db, &w.agent, Template::Blank)
                .await
                .map(|_| ())
        ));
        assert!(forbidden(
            service::save(&w.db, &w.agent, &id, p.version, p.settings.clone(), vec![])
                .await
                .map(|_| ())
        ));
        assert!(forbidden(service::delete(&w.db, &w.agent, &id).await));
        assert!(forbidden(
            service::store_upload(&w.db, &w.agent, b"GIF89a..".to_vec())
                .await
                .map(|_| ())
        ));
        // Another company's user sees "not found".
        let stranger = Actor {
            company_id: uuid::Uuid::now_v7(),
            ..w.admin.clone()
        };
        assert!(matches!(
            service::get(&w.db, &stranger, &id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            service::delete(&w.db, &stranger, &id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(service::list(&w.db, &stranger).await.unwrap().is_empty());
        // The editor may delete.
        service::delete(&w.db, &w.editor, &id).await.unwrap();
        assert!(matches!(
            service::get(&w.db, &w.admin, &id).await,
            Err(AppError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn loading_the_widget_is_recorded() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let id = service::create(&w.db, &w.admin, Template::LiveChat)
            .await
            .unwrap();
        let p = service::get(&w.db, &w.admin, &id).await.unwrap();
        assert!(!service::record_load(&w.db, "unknown-key", None)
            .await
            .unwrap());
        assert!(
            service::record_load(&w.db, &p.key, Some("https://shop.example.com/pricing"))
                .await
                .unwrap()
        );
        let p = service::get(&w.db, &w.admin, &id).await.unwrap();
        assert_eq!(p.live_chat, LiveChatStatus::Installed);
        assert_eq!(
            p.last_loaded_url.as_deref(),
            Some("https://shop.example.com/pricing")
        );
        assert!(p.last_loaded_at.is_some());
    }
}

#[tokio::test]
async fn uploads_are_sniffed_stored_and_usable_as_avatar() {
    for tdb in TestDatabase::all().await {
        let w = world(&tdb).await;
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec();
        let err = service::store_upload(&w.db, &w.editor, svg)
            .await
            .unwrap_err();
        assert!(err.for_field("image").is_some());
        let fake = b"\x89PNG\r\n\x1a\n-rest-of-image".to_vec();
        let err = service::store_upload(&w.db, &w.editor, fake)
            .await
            .unwrap_err();
        assert!(
            err.for_field("image").is_some(),
            "a PNG signature alone is not an image"
        );
        // A real 2×2 PNG: stored as its pixels, encoded again.
        let png = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63\x10\x50\x30\x00\x22\x06\x08\x05\x00\x0a\x0e\x01\x81\x56\x33\xee\xf3\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82".to_vec();
        let up = service::store_upload(&w.db, &w.editor, png).await.unwrap();
        let (kind, bytes) = service::load_upload(&w.db, &up).await.unwrap().unwrap();
        assert_eq!(kind.content_type(), "image/png");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let id = service::create(&w.db, &w.admin, Template::Blank)
            .await
            .unwrap();
        let p = service::get(&w.db, &w.admin, &id).await.unwrap();
        let mut s = p.settings.clone();
        s.avatar = Some(up.clone());
        let saved = service::save(&w.db, &w.admin, &id, p.version, s.clone(), vec![])
            .await
            .unwrap();
        assert_eq!(saved.settings.avatar.as_deref(), Some(up.as_str()));
        s.avatar = Some(uuid::Uuid::new_v4().to_string());
        let bad = service::save(&w.db, &w.admin, &id, saved.version, s, vec![])
            .await
            .unwrap_err();
        assert!(bad.for_field("avatar").is_some(), "{}", tdb.kind());
    }
}
