//! The side panel (F4.1, F4.2, F4.4): fields save over a version, bad input is refused by
//! field and loses nothing, the reuse rules for people and organizations, one lead and one
//! deal per conversation, F3.5 — on SQLite and (when configured) PostgreSQL.
#![cfg(feature = "ssr")]
use app::backend::entities::{conversation, lead, organization, person, visitor};
use app::backend::{authz::Actor, testing, testing::TestDatabase};
use app::crm::panel::{self, NewItem};
use app::crm::service::{list, ListQuery};
use app::crm::CrmKind;
use app::AppError;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

async fn chat(db: &DatabaseConnection, a: &Actor, answers: &str, assignee: Option<Uuid>) -> String {
    let now = OffsetDateTime::now_utc();
    let v = Uuid::now_v7();
    visitor::Entity::insert(visitor::ActiveModel {
        id: Set(v),
        company_id: Set(a.company_id),
        token: Set(format!("t-{v}")),
        created_at: Set(now),
    })
    .exec(db)
    .await
    .unwrap();
    let id = Uuid::now_v7();
    conversation::Entity::insert(conversation::ActiveModel {
        id: Set(id),
        company_id: Set(a.company_id),
        playbook_id: Set(None),
        visitor_id: Set(v),
        state: Set(if assignee.is_some() {
            "assigned"
        } else {
            "closed"
        }
        .into()),
        assignee_id: Set(assignee),
        page_url: Set(Some("https://shop.example.com/pricing".into())),
        wait_deadline: Set(None),
        closed_at: Set(assignee.is_none().then_some(now)),
        answers: Set(answers.into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
    id.to_string()
}

async fn existing_person(
    db: &DatabaseConnection,
    a: &Actor,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> Uuid {
    let id = Uuid::now_v7();
    person::Entity::insert(person::ActiveModel {
        id: Set(id),
        company_id: Set(a.company_id),
        name: Set(name.into()),
        email: Set(email.map(Into::into)),
        phone: Set(phone.map(Into::into)),
        organization_id: Set(None),
        created_at: Set(OffsetDateTime::now_utc()),
    })
    .exec(db)
    .await
    .unwrap();
    id
}

async fn lead_of(db: &DatabaseConnection, conversation: &str) -> lead::Model {
    lead::Entity::find()
        .filter(lead::Column::ConversationId.eq(Uuid::parse_str(conversation).unwrap()))
        .one(db)
        .await
        .unwrap()
        .expect("a lead")
}

#[tokio::test]
async fn fields_save_over_their_version_and_refusals_lose_nothing() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        let b = testing::regular_user(&db, &a, "b@example.com", false).await;
        let id = chat(
            &db,
            &a,
            r#"{"name":"Vera","email":"Vera@Shop.Example","organization":"Acme"}"#,
            Some(a.user_id),
        )
        .await;
        // Prefilled from what the playbook captured, with the answers shown as they came.
        let p = panel::get(&db, &a, &id).await.unwrap();
        assert_eq!(
            (p.version, p.field("name"), p.field("email")),
            (0, "Vera".into(), "vera@shop.example".into()),
            "{kind}"
        );
        // Who first: name, email, then the rest.
        let keys: Vec<&str> = p.captured.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["name", "email", "organization"], "{kind}");
        assert!(
            p.captured
                .contains(&("email".into(), "Vera@Shop.Example".into())),
            "{kind}"
        );
        let p = panel::save(&db, &a, &id, "value", "1,250.50", 0)
            .await
            .unwrap();
        assert_eq!(
            (p.version, p.field("value"), p.field("currency")),
            (1, "1250.50".into(), "USD".into()),
            "{kind}"
        );
        // A bad email is refused by field; what was saved stays, the version too.
        match panel::save(&db, &a, &id, "email", "vera@", 1).await {
            Err(AppError::Validation { field, message }) => {
                assert_eq!(field, "email", "{kind}");
                assert!(message.starts_with("Email:"), "{kind}: {message}");
            }
            other => panic!("{kind}: {other:?}"),
        }
        for (field, bad) in [
            ("expected_close_date", "2027-02-29"),
            ("value", "-3"),
            ("phone", "12"),
            ("currency", "dollars"),
            ("notes", &"x".repeat(5001)),
        ] {
            let e = panel::save(&db, &a, &id, field, bad, 1).await.unwrap_err();
            assert!(e.for_field(field).is_some(), "{kind}: {field}: {e:?}");
        }
        let p = panel::get(&db, &a, &id).await.unwrap();
        assert_eq!(
            (p.version, p.field("value"), p.field("email")),
            (1, "1250.50".into(), "vera@shop.example".into()),
            "{kind}"
        );
        // Typed over an old version: a conflict, nothing overwritten.
        let p = panel::save(&db, &a, &id, "phone", "+62 812 3456 7890", 1)
            .await
            .unwrap();
        assert_eq!(
            (p.version, p.field("phone")),
            (2, "+6281234567890".into()),
            "{kind}"
        );
        match panel::save(&db, &a, &id, "phone", "+44 20 7946 0958", 1).await {
            Err(AppError::Conflict(_)) => {}
            other => panic!("{kind}: {other:?}"),
        }
        assert_eq!(
            panel::get(&db, &a, &id).await.unwrap().field("phone"),
            "+6281234567890",
            "{kind}"
        );
        // F3.5: B may not see A's conversation: not found, for reading, saving and creating.
        for r in [
            panel::get(&db, &b, &id).await.map(|_| ()),
            panel::save(&db, &b, &id, "name", "x", 2).await.map(|_| ()),
            panel::create(&db, &b, &id, NewItem::Lead, "", false)
                .await
                .map(|_| ()),
        ] {
            assert!(matches!(r, Err(AppError::NotFound(_))), "{kind}: {r:?}");
        }
    }
}

#[tokio::test]
async fn creating_reuses_people_and_organizations_by_the_rules_and_only_once() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        let vera = existing_person(
            &db,
            &a,
            "Vera Ortiz",
            Some("vera@shop.example"),
            Some("+6281234567890"),
        )
        .await;
        let budi = existing_person(&db, &a, "Budi", None, Some("+6281111111111")).await;
        organization::Entity::insert(organization::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(a.company_id),
            name: Set("ACME  Trading".into()),
            address: Set(None),
            created_at: Set(OffsetDateTime::now_utc()),
            name_key: Set(Some("acme trading".into())),
        })
        .exec(&db)
        .await
        .unwrap();

        // By email (case-blind), from a closed conversation; the organization by its
        // normalized name (full-width letters, case, spaces).
        let c1 = chat(
            &db,
            &a,
            r#"{"name":"V.","email":"VERA@shop.example","organization":" ＡＣＭＥ trading "}"#,
            None,
        )
        .await;
        let p = panel::get(&db, &a, &c1).await.unwrap();
        assert_eq!(
            p.person_match.as_deref(),
            Some("Vera Ortiz (vera@shop.example)"),
            "{kind}"
        );
        assert_eq!(
            p.organization_match.as_deref(),
            Some("ACME  Trading"),
            "{kind}"
        );
        let p = panel::create(&db, &a, &c1, NewItem::Lead, "", false)
            .await
            .unwrap();
        let lead = lead_of(&db, &c1).await;
        assert_eq!(lead.person_id, Some(vera), "{kind}");
        assert_eq!(lead.title, "V. lead", "{kind}");
        assert_eq!(lead.source, "Live Chat", "{kind}");
        assert_eq!(
            lead.page_url.as_deref(),
            Some("https://shop.example.com/pricing"),
            "{kind}"
        );
        assert_eq!(lead.owner_id, Some(a.user_id), "{kind}");
        assert!(p.lead.is_some(), "{kind}");
        // Twice (a double click, a retry): still one lead.
        panel::create(&db, &a, &c1, NewItem::Lead, "", false)
            .await
            .unwrap();
        let leads = lead::Entity::find()
            .filter(lead::Column::ConversationId.eq(Uuid::parse_str(&c1).unwrap()))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(leads.len(), 1, "{kind}");
        // And a deal beside it, from the same (closed) conversation.
        let p = panel::create(&db, &a, &c1, NewItem::Deal, "Vera's order", false)
            .await
            .unwrap();
        assert_eq!(
            p.deal.as_ref().map(|d| d.title.as_str()),
            Some("Vera's order"),
            "{kind}"
        );
        let orgs = organization::Entity::find()
            .filter(organization::Column::CompanyId.eq(a.company_id))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(orgs.len(), 1, "{kind}: the organization was reused");
        // Both are found in their lists by the person's email and the organization's name.
        for (list_kind, search, title) in [
            (CrmKind::Leads, "vera@shop", "V. lead"),
            (CrmKind::Leads, "acme  trading", "V. lead"),
            (CrmKind::Deals, "ACME", "Vera's order"),
            (CrmKind::Deals, "vera ortiz", "Vera's order"),
        ] {
            let query = ListQuery {
                search: search.into(),
                ..Default::default()
            };
            let rows = list(&db, &a, list_kind, &query).await.unwrap().rows;
            assert_eq!(
                rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(),
                [title],
                "{kind}: {search}"
            );
        }

        // By phone when there is no email (typed in another form, stored in E.164).
        let c2 = chat(&db, &a, r#"{"name":"Budi S."}"#, Some(a.user_id)).await;
        panel::save(&db, &a, &c2, "phone", "+62 811-1111-1111", 0)
            .await
            .unwrap();
        panel::create(&db, &a, &c2, NewItem::Lead, "", false)
            .await
            .unwrap();
        assert_eq!(lead_of(&db, &c2).await.person_id, Some(budi), "{kind}");

        // Email points at Vera, phone at Budi: never merged silently.
        let c3 = chat(&db, &a, r#"{"email":"vera@shop.example"}"#, Some(a.user_id)).await;
        let p = panel::save(&db, &a, &c3, "phone", "+6281111111111", 0)
            .await
            .unwrap();
        assert!(
            p.people_conflict
                .as_deref()
                .is_some_and(|m| m.contains("Vera Ortiz") && m.contains("Budi")),
            "{kind}: {p:?}"
        );
        let e = panel::create(&db, &a, &c3, NewItem::Lead, "", false)
            .await
            .unwrap_err();
        assert!(e.for_field("person").is_some(), "{kind}: {e:?}");
        // "Create a new person" resolves it.
        panel::create(&db, &a, &c3, NewItem::Lead, "", true)
            .await
            .unwrap();
        let made = lead_of(&db, &c3).await.person_id.unwrap();
        assert!(made != vera && made != budi, "{kind}");
        let made = person::Entity::find_by_id(made)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (made.email, made.phone.as_deref()),
            (None, Some("+6281111111111")),
            "{kind}: the email stays Vera's"
        );

        // Nothing matches: a new person and a new organization.
        let c4 = chat(
            &db,
            &a,
            r#"{"name":"Sari","email":"sari@example.org","organization":"Acme Trading Ltd"}"#,
            Some(a.user_id),
        )
        .await;
        let p = panel::get(&db, &a, &c4).await.unwrap();
        assert_eq!(
            (p.person_match.clone(), p.organization_match.clone()),
            (None, None),
            "{kind}"
        );
        panel::create(&db, &a, &c4, NewItem::Deal, "", false)
            .await
            .unwrap();
        let orgs = organization::Entity::find()
            .filter(organization::Column::CompanyId.eq(a.company_id))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(orgs.len(), 2, "{kind}");
    }
}

/// The reuse rules, case by case (F4.2): which existing person and organization the panel
/// says "Create lead" will use, from what the playbook captured. A person is the same by
/// the lower-cased email, otherwise by the E.164 phone; an organization by its name after
/// case, whitespace and Unicode normalization; never another company's.
#[tokio::test]
async fn the_reuse_rules_case_by_case() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        existing_person(
            &db,
            &a,
            "Vera Ortiz",
            Some("vera@shop.example"),
            Some("+6281234567890"),
        )
        .await;
        existing_person(&db, &a, "Budi", None, Some("+6281111111111")).await;
        for (name, key) in [
            ("ACME  Trading", "acme trading"),
            ("Café Müller", "café müller"),
        ] {
            organization::Entity::insert(organization::ActiveModel {
                id: Set(Uuid::now_v7()),
                company_id: Set(a.company_id),
                name: Set(name.into()),
                address: Set(None),
                created_at: Set(OffsetDateTime::now_utc()),
                name_key: Set(Some(key.into())),
            })
            .exec(&db)
            .await
            .unwrap();
        }
        // Another company's Sari: never matched from this one.
        let other = testing::second_company(&db, "otto@other.example").await;
        existing_person(
            &db,
            &other,
            "Sari",
            Some("sari@other.example"),
            Some("+6282222222222"),
        )
        .await;

        const VERA: Option<&str> = Some("Vera Ortiz (vera@shop.example)");
        const BUDI: Option<&str> = Some("Budi (+6281111111111)");
        const ACME: Option<&str> = Some("ACME  Trading");
        const CAFE: Option<&str> = Some("Café Müller");
        // (what was captured, person, organization, a conflict)
        let cases: Vec<(serde_json::Value, Option<&str>, Option<&str>, bool)> = vec![
            (
                serde_json::json!({"email": "vera@shop.example"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "VERA@SHOP.EXAMPLE"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "  vera@shop.example  "}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "Vera@Shop.Example"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "vera2@shop.example"}),
                None,
                None,
                false,
            ),
            (
                serde_json::json!({"phone": "+6281234567890"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"phone": "+62 812-3456-7890"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"phone": "006281234567890"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"phone": "+62 (812) 3456 7890"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"phone": "+62 811 1111 1111"}),
                BUDI,
                None,
                false,
            ),
            // No default country: a national number cannot be compared.
            (
                serde_json::json!({"phone": "0812 3456 7890"}),
                None,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "vera@shop.example", "phone": "+6281234567890"}),
                VERA,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "vera@shop.example", "phone": "+6281111111111"}),
                None,
                None,
                true,
            ),
            (
                serde_json::json!({"email": "new@shop.example", "phone": "+6281111111111"}),
                BUDI,
                None,
                false,
            ),
            (serde_json::json!({"name": "Vera Ortiz"}), None, None, false),
            (
                serde_json::json!({"email": "sari@other.example"}),
                None,
                None,
                false,
            ),
            (
                serde_json::json!({"phone": "+6282222222222"}),
                None,
                None,
                false,
            ),
            (
                serde_json::json!({"organization": "acme trading"}),
                None,
                ACME,
                false,
            ),
            (
                serde_json::json!({"organization": "  ACME   TRADING "}),
                None,
                ACME,
                false,
            ),
            (
                serde_json::json!({"organization": "ＡＣＭＥ Trading"}),
                None,
                ACME,
                false,
            ),
            (
                serde_json::json!({"organization": "Acme\tTrading"}),
                None,
                ACME,
                false,
            ),
            (
                serde_json::json!({"organization": "Acme Trading Ltd"}),
                None,
                None,
                false,
            ),
            (
                serde_json::json!({"organization": "CAFÉ MÜLLER"}),
                None,
                CAFE,
                false,
            ),
            (
                serde_json::json!({"organization": "Cafe\u{301} Mu\u{308}ller"}),
                None,
                CAFE,
                false,
            ),
            (
                serde_json::json!({"organization": "Cafe Muller"}),
                None,
                None,
                false,
            ),
            (
                serde_json::json!({"email": "VERA@shop.example", "organization": "café müller"}),
                VERA,
                CAFE,
                false,
            ),
        ];
        assert!(cases.len() >= 20);
        for (captured, person, org, conflict) in cases {
            let c = chat(&db, &a, &captured.to_string(), Some(a.user_id)).await;
            let p = panel::get(&db, &a, &c).await.unwrap();
            assert_eq!(p.person_match.as_deref(), person, "{kind}: {captured}");
            assert_eq!(p.organization_match.as_deref(), org, "{kind}: {captured}");
            assert_eq!(p.people_conflict.is_some(), conflict, "{kind}: {captured}");
        }
    }
}

/// The conversation is called by the name the agent typed in the panel (else the captured
/// one): in the folder list and in the conversation's title.
#[tokio::test]
async fn the_panel_name_names_the_conversation() {
    use app::inbox::{service as inbox, Folder};
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        let captured = chat(&db, &a, r#"{"name":"Vera"}"#, Some(a.user_id)).await;
        let silent = chat(&db, &a, "{}", Some(a.user_id)).await;
        let title = |id: String| {
            let db = db.clone();
            let a = a.clone();
            async move { inbox::detail(&db, &a, &id).await.unwrap().visitor }
        };
        let listed = || async {
            inbox::list(&db, &a, Folder::Mine, None)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.conversation.id, s.visitor))
                .collect::<std::collections::HashMap<_, _>>()
        };
        assert_eq!(title(silent.clone()).await, "Website visitor", "{kind}");
        assert_eq!(title(captured.clone()).await, "Vera", "{kind}");
        // A rename is announced as a conversation change (every open list and title follows);
        // other fields are not.
        let changes = |id: String| {
            let db = db.clone();
            async move {
                use app::backend::entities::event;
                use sea_orm::PaginatorTrait;
                event::Entity::find()
                    .filter(event::Column::ConversationId.eq(Uuid::parse_str(&id).unwrap()))
                    .filter(event::Column::Kind.eq("conversation"))
                    .count(&db)
                    .await
                    .unwrap()
            }
        };
        let before = changes(silent.clone()).await;
        let p = panel::save(&db, &a, &silent, "notes", "Wants a quote", 0)
            .await
            .unwrap();
        assert_eq!(changes(silent.clone()).await, before, "{kind}");
        panel::save(&db, &a, &silent, "name", "Tom Baker", p.version)
            .await
            .unwrap();
        assert_eq!(changes(silent.clone()).await, before + 1, "{kind}");
        let p = panel::get(&db, &a, &captured).await.unwrap();
        panel::save(&db, &a, &captured, "name", "Vera Ortiz", p.version)
            .await
            .unwrap();
        assert_eq!(title(silent.clone()).await, "Tom Baker", "{kind}");
        assert_eq!(title(captured.clone()).await, "Vera Ortiz", "{kind}");
        let names = listed().await;
        assert_eq!(names[&silent], "Tom Baker", "{kind}");
        assert_eq!(names[&captured], "Vera Ortiz", "{kind}");
    }
}

/// One rule finds people for the chatbot's offline flow and for the side panel: a person the
/// chatbot made from a phone typed without its country code is stored in E.164, and a later
/// chat with that phone, typed another way, points the panel at the same person instead of
/// making a second one.
#[tokio::test]
async fn people_made_by_the_chatbot_are_found_by_their_phone_in_the_panel() {
    use app::backend::entities::company;
    use app::chatbot::model::CrmItem;
    use sea_orm::{sea_query::Expr, PaginatorTrait, TransactionTrait};
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        company::Entity::update_many()
            .col_expr(company::Column::DefaultCountry, Expr::value(Some("ID")))
            .filter(company::Column::Id.eq(a.company_id))
            .exec(&db)
            .await
            .unwrap();
        let first = chat(&db, &a, r#"{"name":"Budi","phone":"0812 3456 7890"}"#, None).await;
        let c = conversation::Entity::find_by_id(Uuid::parse_str(&first).unwrap())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let txn = db.begin().await.unwrap();
        assert!(
            app::crm::service::create_from_conversation(&txn, &c, CrmItem::Lead)
                .await
                .unwrap(),
            "{kind}"
        );
        txn.commit().await.unwrap();
        let made = lead_of(&db, &first).await.person_id.expect("a person");
        let budi = person::Entity::find_by_id(made)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(budi.phone.as_deref(), Some("+6281234567890"), "{kind}");

        let second = chat(
            &db,
            &a,
            r#"{"name":"Budi S.","phone":"+62 812-3456-7890"}"#,
            Some(a.user_id),
        )
        .await;
        let p = panel::get(&db, &a, &second).await.unwrap();
        assert!(
            p.person_match
                .as_deref()
                .is_some_and(|m| m.contains("Budi")),
            "{kind}: the panel says who it is: {:?}",
            p.person_match
        );
        panel::create(&db, &a, &second, NewItem::Lead, "", false)
            .await
            .unwrap();
        assert_eq!(lead_of(&db, &second).await.person_id, Some(made), "{kind}");
        let people = person::Entity::find()
            .filter(person::Column::CompanyId.eq(a.company_id))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(people, 1, "{kind}: no second Budi");
    }
}
