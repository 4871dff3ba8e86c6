//! The playbook flow the server drives (F2.2, F2.3, F1.8): questions, qualification
//! branches, capture validated on the server, and the Live Chat card online or offline.
#![cfg(feature = "ssr")]
use app::backend::{authz::Actor, testing, testing::TestDatabase};
use app::chatbot::model::{
    Audience, CaptureField, Card, CardBody, CrmItem, OfflineOutcome, PlaybookSettings,
    QualificationAnswer,
};
use app::chatbot::{service as playbooks, Template};
use app::conversation::{flow::AnswerInput, presence, ConversationState};
use app::widget::service as widget;
use app::AppError;
use sea_orm::DatabaseConnection;

fn card(id: &str, audience: Audience, body: CardBody) -> Card {
    Card {
        id: id.into(),
        audience,
        body,
    }
}

fn text(t: &str) -> CardBody {
    CardBody::Message {
        text: format!("<p>{t}</p>"),
    }
}

/// Budget question, qualification, a card per branch, capture, Live Chat.
fn flow() -> Vec<Card> {
    use Audience::*;
    vec![
        card("hi", Everyone, text("Hello")),
        card(
            "budget",
            Everyone,
            CardBody::Question {
                text: "<p>Your budget?</p>".into(),
                field: "budget".into(),
                answers: vec!["Small".into(), "Large".into()],
                free_text: false,
            },
        ),
        card(
            "fit",
            Everyone,
            CardBody::Qualification {
                text: "<p>Are you a company?</p>".into(),
                answers: vec![
                    QualificationAnswer {
                        label: "Yes".into(),
                        qualified: true,
                    },
                    QualificationAnswer {
                        label: "No".into(),
                        qualified: false,
                    },
                ],
            },
        ),
        card("yes", Qualified, text("Great, a company")),
        card("no", NotQualified, text("Sorry, companies only")),
        card(
            "no-end",
            NotQualified,
            CardBody::End {
                text: "<p>Bye</p>".into(),
            },
        ),
        card(
            "who",
            Qualified,
            CardBody::Capture {
                text: "<p>Your details?</p>".into(),
                fields: vec![CaptureField::Email, CaptureField::Phone],
            },
        ),
        card(
            "live",
            Qualified,
            CardBody::LiveChat {
                online_message: "<p>Someone joins soon</p>".into(),
                wait_seconds: 60,
                offline_message: "<p>Nobody here</p>".into(),
                offline_outcome: OfflineOutcome::Qualify,
                offline_create: CrmItem::Deal,
            },
        ),
    ]
}

async fn active_playbook(db: &DatabaseConnection, admin: &Actor) -> String {
    let id = playbooks::create(db, admin, Template::Blank).await.unwrap();
    let p = playbooks::get(db, admin, &id).await.unwrap();
    let settings = PlaybookSettings {
        active: true,
        ..p.settings
    };
    playbooks::save(db, admin, &id, p.version, settings, flow())
        .await
        .unwrap()
        .key
}

fn says(view: &app::widget::VisitorView) -> Vec<String> {
    view.messages.iter().map(|m| m.body.clone()).collect()
}

fn choose(t: &str) -> AnswerInput {
    AnswerInput {
        text: Some(t.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn qualification_routes_to_its_branch_and_capture_is_checked_on_the_server() {
    for tdb in TestDatabase::all().await {
        let db = tdb.connect().await;
        let admin = testing::company(&db).await;
        let key = active_playbook(&db, &admin).await;
        presence::set_online(&db, &admin, true, time::OffsetDateTime::now_utc())
            .await
            .unwrap();

        // Not qualified: the other branch, and the flow ends without a Live Chat.
        let v = widget::start(&db, &key, None, None).await.unwrap();
        assert_eq!(says(&v), ["<p>Hello</p>", "<p>Your budget?</p>"]);
        let p = v.prompt.clone().unwrap();
        assert_eq!((p.kind.as_str(), p.answers.len()), ("choice", 2));
        let (t, c) = (v.token.clone(), v.conversation_id.clone());
        let bad = widget::answer(&db, &t, &c, "budget", &choose("Huge")).await;
        assert!(bad.unwrap_err().for_field("answer").is_some());
        let v = widget::answer(&db, &t, &c, "budget", &choose("Small"))
            .await
            .unwrap();
        assert_eq!(v.prompt.as_ref().unwrap().card_id, "fit");
        let v = widget::answer(&db, &t, &c, "fit", &choose("No"))
            .await
            .unwrap();
        let tail: Vec<String> = says(&v).into_iter().skip(2).collect();
        assert_eq!(
            tail,
            [
                "Small",
                "<p>Are you a company?</p>",
                "No",
                "<p>Sorry, companies only</p>",
                "<p>Bye</p>"
            ],
            "{}",
            tdb.kind()
        );
        assert!(v.prompt.is_none());
        assert_eq!(v.state, ConversationState::Bot);

        // Qualified: capture (checked field by field), then the Live Chat card with someone online.
        let v = widget::start(&db, &key, Some(&t), None).await.unwrap();
        assert_eq!(v.token, t, "the same visitor");
        let c = v.conversation_id.clone();
        widget::answer(&db, &t, &c, "budget", &choose("Large"))
            .await
            .unwrap();
        let v = widget::answer(&db, &t, &c, "fit", &choose("Yes"))
            .await
            .unwrap();
        assert!(says(&v).contains(&"<p>Great, a company</p>".to_string()));
        let p = v.prompt.unwrap();
        assert_eq!(p.kind, "capture");
        assert_eq!(
            p.fields,
            [
                ("email".to_string(), "Email".to_string()),
                ("phone".into(), "Phone".into())
            ]
        );
        let mut details = AnswerInput::default();
        details
            .fields
            .insert("email".into(), "vera@example.com".into());
        details.fields.insert("phone".into(), "call me".into());
        let refused = widget::answer(&db, &t, &c, "who", &details).await;
        assert!(matches!(&refused, Err(AppError::Validation { field, .. }) if field == "phone"));
        details
            .fields
            .insert("phone".into(), "+62 812 3456 7890".into());
        let v = widget::answer(&db, &t, &c, "who", &details).await.unwrap();
        assert_eq!(v.state, ConversationState::Waiting, "{}", tdb.kind());
        assert_eq!(says(&v).last().unwrap(), "<p>Someone joins soon</p>");
        // Another visitor's token gets nothing.
        let stranger = widget::start(&db, &key, None, None).await.unwrap();
        assert!(matches!(
            widget::resume(&db, &stranger.token, &c, None).await,
            Err(AppError::NotFound(_))
        ));
    }
}
