//! The Leads, Deals and Activities lists (F4.3): scoped to the company, 50 a page, search in
//! titles, people, emails and organizations (case-blind, wildcards literal), sort by created
//! date or value, filter by owner — on SQLite and (when configured) PostgreSQL.
#![cfg(feature = "ssr")]
use app::backend::entities::{activity, company, lead, organization, person};
use app::backend::{authz::Actor, testing, testing::TestDatabase};
use app::crm::service::{convert_lead, list, mark_done, search_text, ListQuery};
use app::crm::CrmKind;
use app::AppError;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn org(db: &DatabaseConnection, company: Uuid, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    organization::Entity::insert(organization::ActiveModel {
        id: Set(id),
        company_id: Set(company),
        name: Set(name.into()),
        address: Set(None),
        created_at: Set(OffsetDateTime::now_utc()),
        name_key: Set(Some(name.to_lowercase())),
    })
    .exec(db)
    .await
    .unwrap();
    id
}

async fn someone(db: &DatabaseConnection, company: Uuid, name: &str, email: &str) -> Uuid {
    let id = Uuid::now_v7();
    person::Entity::insert(person::ActiveModel {
        id: Set(id),
        company_id: Set(company),
        name: Set(name.into()),
        email: Set(Some(email.into())),
        phone: Set(None),
        organization_id: Set(None),
        created_at: Set(OffsetDateTime::now_utc()),
    })
    .exec(db)
    .await
    .unwrap();
    id
}

/// A second company (setup makes one; the schema holds many).
async fn other_company(db: &DatabaseConnection) -> Uuid {
    let id = Uuid::now_v7();
    company::Entity::insert(company::ActiveModel {
        id: Set(id),
        name: Set("Other Co".into()),
        created_at: Set(OffsetDateTime::now_utc()),
        default_country: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
    id
}

struct LeadSpec<'a> {
    title: &'a str,
    person: Option<Uuid>,
    organization: Option<Uuid>,
    owner: Option<Uuid>,
    value: Option<(i64, &'a str)>,
    age_minutes: i64,
}

impl<'a> LeadSpec<'a> {
    /// A lead with only a title and an age: no person, organization, owner or value.
    fn titled(title: &'a str, age_minutes: i64) -> Self {
        Self {
            title,
            person: None,
            organization: None,
            owner: None,
            value: None,
            age_minutes,
        }
    }
}

async fn add_lead(db: &DatabaseConnection, company: Uuid, l: LeadSpec<'_>) -> Uuid {
    let id = Uuid::now_v7();
    let search = search_text(db, l.title, l.person, l.organization)
        .await
        .unwrap();
    lead::Entity::insert(lead::ActiveModel {
        id: Set(id),
        company_id: Set(company),
        title: Set(l.title.into()),
        search: Set(search),
        person_id: Set(l.person),
        organization_id: Set(l.organization),
        conversation_id: Set(None),
        owner_id: Set(l.owner),
        created_at: Set(OffsetDateTime::now_utc() - Duration::minutes(l.age_minutes)),
        value_minor: Set(l.value.map(|v| v.0)),
        currency: Set(l.value.map(|v| v.1.to_string())),
        expected_close_date: Set(None),
        source: Set("Live Chat".into()),
        page_url: Set(None),
        converted_deal_id: Set(None),
    })
    .exec(db)
    .await
    .unwrap();
    id
}

fn q(search: &str, sort: &str, owner: &str, page: u32) -> ListQuery {
    ListQuery {
        search: search.into(),
        sort: sort.into(),
        owner: owner.into(),
        page,
    }
}

async fn titles(
    db: &DatabaseConnection,
    a: &Actor,
    kind: CrmKind,
    query: ListQuery,
) -> Vec<String> {
    list(db, a, kind, &query)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.title)
        .collect()
}

#[tokio::test]
async fn lists_search_sort_filter_and_stay_in_their_company() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        let b = testing::regular_user(&db, &a, "b@example.com", false).await;
        let other = other_company(&db).await;
        let acme = org(&db, a.company_id, "Acme Trading").await;
        let vera = someone(&db, a.company_id, "Vera Ortiz", "vera@shop.example").await;
        add_lead(
            &db,
            a.company_id,
            LeadSpec {
                title: "Chat with Vera",
                person: Some(vera),
                organization: Some(acme),
                owner: Some(a.user_id),
                value: Some((125_000, "USD")),
                age_minutes: 3,
            },
        )
        .await;
        add_lead(
            &db,
            a.company_id,
            LeadSpec {
                title: "Big yen order",
                person: None,
                organization: None,
                owner: Some(b.user_id),
                value: Some((9_000_000, "JPY")),
                age_minutes: 2,
            },
        )
        .await;
        add_lead(
            &db,
            a.company_id,
            LeadSpec {
                title: "100% discount_seeker",
                person: None,
                organization: None,
                owner: None,
                value: None,
                age_minutes: 1,
            },
        )
        .await;
        let zoe = someone(&db, a.company_id, "Zoë Ångström", "zoe@firma.example").await;
        add_lead(
            &db,
            a.company_id,
            LeadSpec {
                title: "Angebot",
                person: Some(zoe),
                organization: None,
                owner: None,
                value: None,
                age_minutes: 4,
            },
        )
        .await;
        let elsewhere = someone(&db, other, "Vera Elsewhere", "vera@other.example").await;
        add_lead(
            &db,
            other,
            LeadSpec {
                title: "Chat with Vera elsewhere",
                person: Some(elsewhere),
                organization: None,
                owner: None,
                value: Some((1, "USD")),
                age_minutes: 0,
            },
        )
        .await;

        // Newest first, the other company's lead nowhere.
        assert_eq!(
            titles(&db, &a, CrmKind::Leads, q("", "", "", 0)).await,
            [
                "100% discount_seeker",
                "Big yen order",
                "Chat with Vera",
                "Angebot"
            ],
            "{kind}"
        );
        // Most valuable first (minor units compared as stored), no value last.
        assert_eq!(
            titles(&db, &a, CrmKind::Leads, q("", "value", "", 0)).await,
            [
                "Big yen order",
                "Chat with Vera",
                "Angebot",
                "100% discount_seeker"
            ],
            "{kind}"
        );
        // Search: title, person name, person email, organization; case-blind.
        for (search, want) in [
            ("VERA", vec!["Chat with Vera"]),
            ("ortiz", vec!["Chat with Vera"]),
            ("shop.example", vec!["Chat with Vera"]),
            ("acme", vec!["Chat with Vera"]),
            ("yen", vec!["Big yen order"]),
            ("nobody", vec![]),
            // Case-blind beyond ASCII too (SQLite's own LIKE and lower() are ASCII only).
            ("ÅNGSTRÖM", vec!["Angebot"]),
            ("zoË", vec!["Angebot"]),
            // Not across two lines (a title's end and a name's start).
            ("angebot zoë", vec![]),
            // LIKE's wildcards are taken literally.
            ("%", vec!["100% discount_seeker"]),
            ("big_yen", vec![]),
            ("discount_", vec!["100% discount_seeker"]),
        ] {
            assert_eq!(
                titles(&db, &a, CrmKind::Leads, q(search, "", "", 0)).await,
                want,
                "{kind}: {search}"
            );
        }
        // Owner: me, another user, anyone.
        assert_eq!(
            titles(&db, &a, CrmKind::Leads, q("", "", "me", 0)).await,
            ["Chat with Vera"],
            "{kind}"
        );
        assert_eq!(
            titles(
                &db,
                &a,
                CrmKind::Leads,
                q("", "", &b.user_id.to_string(), 0)
            )
            .await,
            ["Big yen order"],
            "{kind}"
        );
        // The row carries the names and the value in its currency's decimals.
        let page = list(&db, &a, CrmKind::Leads, &q("", "value", "", 0))
            .await
            .unwrap();
        assert_eq!(
            page.rows[0].value.as_deref(),
            Some("JPY 9,000,000"),
            "{kind}"
        );
        assert_eq!(
            page.rows[1].value.as_deref(),
            Some("USD 1,250.00"),
            "{kind}"
        );
        assert_eq!(page.rows[1].person.as_deref(), Some("Vera Ortiz"), "{kind}");
        assert_eq!(
            page.rows[1].email.as_deref(),
            Some("vera@shop.example"),
            "{kind}"
        );
        assert_eq!(
            page.rows[1].organization.as_deref(),
            Some("Acme Trading"),
            "{kind}"
        );
        assert_eq!(
            page.rows[1].owner.as_deref(),
            Some(a.name.as_str()),
            "{kind}"
        );
        assert!(!page.more);
        assert!(page.owners.iter().any(|(_, n)| *n == b.name), "{kind}");
        assert_eq!(page.owners.len(), 2, "{kind}: the company's two users");
        // Bad input is refused by field.
        for (query, field) in [
            (q("", "", "not-a-user", 0), "owner"),
            (q(&"x".repeat(201), "", "", 0), "search"),
        ] {
            match list(&db, &a, CrmKind::Leads, &query).await {
                Err(AppError::Validation { field: f, .. }) => assert_eq!(f, field, "{kind}"),
                other => panic!("{kind}: {other:?}"),
            }
        }
        // Deals and activities are their own lists.
        assert!(titles(&db, &a, CrmKind::Deals, q("", "", "", 0))
            .await
            .is_empty());
        assert!(titles(&db, &a, CrmKind::Activities, q("", "", "", 0))
            .await
            .is_empty());
    }
}

#[tokio::test]
async fn lists_page_by_fifty() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        for i in 0..120 {
            let title = format!("Lead {i:03}");
            add_lead(&db, a.company_id, LeadSpec::titled(&title, 200 - i)).await;
        }
        let mut seen = Vec::new();
        for page in 0..3 {
            let p = list(&db, &a, CrmKind::Leads, &q("", "", "", page))
                .await
                .unwrap();
            assert_eq!(p.more, page < 2, "{kind}: page {page}");
            assert_eq!(p.rows.len(), if page < 2 { 50 } else { 20 }, "{kind}");
            seen.extend(p.rows.into_iter().map(|r| r.title));
        }
        let want: Vec<String> = (0..120).rev().map(|i| format!("Lead {i:03}")).collect();
        assert_eq!(seen, want, "{kind}: every lead once, newest first");
    }
}

/// A search that few items match is answered through the trigram index (at most 500
/// looked up by id), one that many match through the list's own index: both give the same
/// pages, in the list's order, with the owner filter and in the company only.
#[tokio::test]
async fn few_and_many_matches_page_alike() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        let other = other_company(&db).await;
        for i in 0..560i64 {
            let title = format!("Item {i:03}");
            let owner = (i % 2 == 0).then_some(a.user_id);
            add_lead(
                &db,
                a.company_id,
                LeadSpec {
                    owner,
                    value: Some((i, "USD")),
                    ..LeadSpec::titled(&title, 1000 - i)
                },
            )
            .await;
        }
        // Another company's items match the rare term too, and are never shown.
        for i in 0..3 {
            let title = format!("Item 51{i} elsewhere");
            add_lead(&db, other, LeadSpec::titled(&title, 0)).await;
        }
        let all_pages = |search: &'static str, sort: &'static str, owner: &'static str| {
            let (db, a) = (&db, &a);
            async move {
                let mut seen = Vec::new();
                for page in 0.. {
                    let p = list(db, a, CrmKind::Leads, &q(search, sort, owner, page))
                        .await
                        .unwrap();
                    assert!(p.rows.len() <= 50);
                    seen.extend(p.rows.into_iter().map(|r| r.title));
                    if !p.more {
                        break;
                    }
                }
                seen
            }
        };
        // Newest first and most valuable first are the same order here.
        let want = |keep: &dyn Fn(i64) -> bool| -> Vec<String> {
            (0..560)
                .rev()
                .filter(|i| keep(*i))
                .map(|i| format!("Item {i:03}"))
                .collect()
        };
        let few = |i: i64| (510..520).contains(&i);
        // (search, sort, owner, which items it finds)
        type Case<'a> = (
            &'static str,
            &'static str,
            &'static str,
            &'a dyn Fn(i64) -> bool,
        );
        let cases: [Case<'_>; 7] = [
            // Many: every item (560, more than the trigram lookup takes).
            ("item", "", "", &|_| true),
            ("ITEM", "value", "me", &|i| i % 2 == 0),
            // Few: "item 51" is 510-519 ("Item 051" is not one).
            ("item 51", "", "", &few),
            ("Item 51", "value", "me", &|i| few(i) && i % 2 == 0),
            // A hundred, over several pages: "item 1" is 100-199.
            ("item 1", "", "", &|i| (100..200).contains(&i)),
            ("item 999", "", "", &|_| false),
            // Shorter than a trigram.
            ("55", "", "", &|i| format!("{i:03}").contains("55")),
        ];
        for (search, sort, owner, keep) in cases {
            assert_eq!(
                all_pages(search, sort, owner).await,
                want(keep),
                "{kind}: {search:?} {sort:?} {owner:?}"
            );
        }
        if kind == "postgres" {
            use sea_orm::ConnectionTrait;
            let index = db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_lead_search_trgm'",
                ))
                .await
                .unwrap();
            assert!(index.is_some(), "pg_trgm's index is made where it may be");
        }
    }
}

#[tokio::test]
async fn a_lead_converts_to_a_deal_once_and_an_activity_is_marked_done() {
    for tdb in TestDatabase::all().await {
        let kind = tdb.kind();
        let db = tdb.connect().await;
        let a = testing::company(&db).await;
        let vera = someone(&db, a.company_id, "Vera Ortiz", "vera@shop.example").await;
        let lead_id = add_lead(
            &db,
            a.company_id,
            LeadSpec {
                title: "Vera Ortiz lead",
                person: Some(vera),
                organization: None,
                owner: Some(a.user_id),
                value: Some((1_250, "KWD")),
                age_minutes: 1,
            },
        )
        .await;
        let deal_id = convert_lead(&db, &a, &lead_id.to_string()).await.unwrap();
        assert_eq!(
            convert_lead(&db, &a, &lead_id.to_string()).await.unwrap(),
            deal_id,
            "{kind}: once"
        );
        let deals = list(&db, &a, CrmKind::Deals, &q("", "", "", 0))
            .await
            .unwrap();
        assert_eq!(deals.rows.len(), 1, "{kind}");
        // The deal is found as the lead was: by its person.
        let found = list(&db, &a, CrmKind::Deals, &q("ortiz", "", "", 0))
            .await
            .unwrap();
        assert_eq!(found.rows.len(), 1, "{kind}");
        let d = &deals.rows[0];
        assert_eq!(
            (d.id.as_str(), d.title.as_str(), d.status.as_str()),
            (deal_id.as_str(), "Vera Ortiz deal", "Open"),
            "{kind}"
        );
        assert_eq!(
            (d.person.as_deref(), d.value.as_deref()),
            (Some("Vera Ortiz"), Some("KWD 1.250")),
            "{kind}"
        );
        let leads = list(&db, &a, CrmKind::Leads, &q("", "", "", 0))
            .await
            .unwrap();
        assert_eq!(leads.rows[0].status, "Converted", "{kind}");
        assert!(
            matches!(
                convert_lead(&db, &a, &Uuid::now_v7().to_string()).await,
                Err(AppError::NotFound(_))
            ),
            "{kind}"
        );

        let activity = Uuid::now_v7();
        activity::Entity::insert(activity::ActiveModel {
            id: Set(activity),
            company_id: Set(a.company_id),
            title: Set("Call back Vera".into()),
            search: Set(search_text(&db, "Call back Vera", Some(vera), None)
                .await
                .unwrap()),
            person_id: Set(Some(vera)),
            organization_id: Set(None),
            conversation_id: Set(None),
            owner_id: Set(Some(a.user_id)),
            kind: Set("call".into()),
            due_date: Set(OffsetDateTime::now_utc().date()),
            due_time: Set(None),
            done: Set(false),
            created_at: Set(OffsetDateTime::now_utc()),
        })
        .exec(&db)
        .await
        .unwrap();
        let rows = list(&db, &a, CrmKind::Activities, &q("vera", "", "", 0))
            .await
            .unwrap()
            .rows;
        assert_eq!(rows[0].status, "Call · Not done", "{kind}");
        mark_done(&db, &a, &activity.to_string()).await.unwrap();
        let rows = list(&db, &a, CrmKind::Activities, &q("", "", "", 0))
            .await
            .unwrap()
            .rows;
        assert_eq!(rows[0].status, "Call · Done", "{kind}");
        assert!(
            matches!(
                mark_done(&db, &a, &Uuid::now_v7().to_string()).await,
                Err(AppError::NotFound(_))
            ),
            "{kind}"
        );
    }
}
