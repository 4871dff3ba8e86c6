//! Black-box HTTP tests of the Leads, Deals and Activities lists (F4.3): refused to anyone
//! signed out, a field error for bad input, and the pages server-rendered with their rows.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::Value;
use support::TestApp;

#[tokio::test]
async fn the_crm_lists_are_for_signed_in_users_and_render_on_the_server() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let form = [
            ("kind", "Leads"),
            ("search", ""),
            ("sort", "created"),
            ("owner", ""),
            ("page", "0"),
        ];
        let mut anonymous = app.client();
        let r = anonymous.call("crm/list", &form).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}");
        let page: Value = admin.answer("crm/list", &form).await;
        assert_eq!(page["rows"], Value::Array(vec![]), "{kind}");
        assert_eq!(page["more"], false, "{kind}");
        let r = admin
            .call(
                "crm/list",
                &[
                    ("kind", "Deals"),
                    ("search", ""),
                    ("sort", "created"),
                    ("owner", "someone"),
                    ("page", "0"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(r.text().await.unwrap().contains("owner"), "{kind}");
        for (path, heading) in [
            ("/leads", "Leads"),
            ("/deals", "Deals"),
            ("/activities", "Activities"),
        ] {
            let r = admin.get(path).await;
            assert_eq!(r.status(), StatusCode::OK, "{kind}: {path}");
            let html = r.text().await.unwrap();
            assert!(
                html.contains(&format!("<h1>{heading}")),
                "{kind}: {path}: {html}"
            );
            assert!(
                html.contains(&format!("No {} yet.", heading.to_lowercase())),
                "{kind}: {path}: the empty list is rendered"
            );
        }
    }
}

/// The panel's functions: refused to anyone signed out, not found for a conversation
/// assigned to someone else (F3.5), a field error for bad input that loses nothing saved.
#[tokio::test]
async fn the_side_panel_is_refused_where_the_conversation_is_not_visible() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        app.add_user(&mut admin, "rey@example.com", "regular").await;
        let mut rey = app.login("rey@example.com", "regular-password").await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let r = admin.call("inbox/online", &[("online", "true")]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let id = a_conversation(&app, &key).await;
        let r = admin.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let calls: [(&str, Vec<(&str, &str)>); 4] = [
            ("crm/panel", vec![("id", &id)]),
            (
                "crm/activity/add",
                vec![
                    ("id", &id),
                    ("subject", "Call"),
                    ("kind", "call"),
                    ("due_date", "2027-01-05"),
                ],
            ),
            (
                "crm/panel/save",
                vec![
                    ("id", &id),
                    ("field", "name"),
                    ("value", "X"),
                    ("version", "0"),
                ],
            ),
            ("crm/create", vec![("id", &id), ("kind", "lead")]),
        ];
        let mut anonymous = app.client();
        for (endpoint, form) in &calls {
            let r = anonymous.call(endpoint, form).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}: {endpoint}");
            let r = rey.call(endpoint, form).await;
            assert_eq!(
                r.status(),
                StatusCode::NOT_FOUND,
                "{kind}: {endpoint} for Rey"
            );
        }
        // The assignee: a bad value is a field error, and what was saved stays.
        let saved: Value = admin
            .answer(
                "crm/panel/save",
                &[
                    ("id", &id),
                    ("field", "value"),
                    ("value", "99.5"),
                    ("version", "0"),
                ],
            )
            .await;
        assert_eq!(saved["version"], 1, "{kind}");
        let r = admin
            .call(
                "crm/panel/save",
                &[
                    ("id", &id),
                    ("field", "value"),
                    ("value", "ninety"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(r.text().await.unwrap().contains("Deal value:"), "{kind}");
        let panel: Value = admin.answer("crm/panel", &[("id", &id)]).await;
        assert!(
            panel["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f[0] == "value" && f[1] == "99.50"),
            "{kind}: {panel}"
        );
        // Nothing was created for Rey's refused calls.
        assert_eq!(panel["lead"], Value::Null, "{kind}");
        let created: Value = admin
            .answer("crm/create", &[("id", &id), ("kind", "lead")])
            .await;
        assert!(created["lead"]["title"].is_string(), "{kind}: {created}");
    }
}

/// Starts a conversation on the admin's active playbook; returns its id.
async fn a_conversation(app: &TestApp, key: &str) -> String {
    let started: Value = reqwest::Client::new()
        .post(format!("{}/api/visitor/start", app.base))
        .json(&serde_json::json!({ "key": key, "page_url": "https://shop.example.com/" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    started["conversation_id"].as_str().unwrap().to_string()
}

/// Every CRM function (panel, create, add activity, convert, won/lost, delete, mark done)
/// is refused to another company's admin as "not found" and changes nothing; deleting is
/// for the owner or an admin; won and lost are a deal's statuses.
#[tokio::test]
async fn crm_functions_stay_in_their_company_and_only_owners_or_admins_delete() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let conn = db.connect().await;
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        app.add_user(&mut admin, "rey@example.com", "regular").await;
        let mut rey = app.login("rey@example.com", "regular-password").await;
        app::backend::testing::second_company(&conn, "otto@other.example").await;
        let mut otto = app.login("otto@other.example", "other-password").await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let id = a_conversation(&app, &key).await;
        // Rey takes no part: the conversation is Unassigned, so Rey may see it too.
        let panel: Value = admin
            .answer(
                "crm/create",
                &[("id", &id), ("kind", "lead"), ("title", "Big order")],
            )
            .await;
        assert_eq!(
            panel["lead"]["title"], "Big order",
            "{kind}: the typed title"
        );
        let panel: Value = admin
            .answer("crm/create", &[("id", &id), ("kind", "deal")])
            .await;
        let list = |what: &'static str| {
            [
                ("kind", what),
                ("search", ""),
                ("sort", "created"),
                ("owner", ""),
                ("page", "0"),
            ]
        };
        let leads: Value = admin.answer("crm/list", &list("Leads")).await;
        let lead_id = leads["rows"][0]["id"].as_str().unwrap().to_string();
        let deals: Value = admin.answer("crm/list", &list("Deals")).await;
        let deal_id = deals["rows"][0]["id"].as_str().unwrap().to_string();
        assert!(panel["deal"]["title"].is_string(), "{kind}: {panel}");
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("crm/panel", vec![("id", &id)]),
            (
                "crm/panel/save",
                vec![
                    ("id", &id),
                    ("field", "name"),
                    ("value", "X"),
                    ("version", "0"),
                ],
            ),
            ("crm/create", vec![("id", &id), ("kind", "lead")]),
            (
                "crm/activity/add",
                vec![
                    ("id", &id),
                    ("subject", "Call"),
                    ("kind", "call"),
                    ("due_date", "2027-01-05"),
                ],
            ),
            ("crm/convert", vec![("id", &lead_id)]),
            ("crm/deal/status", vec![("id", &deal_id), ("status", "won")]),
            ("crm/delete", vec![("kind", "Leads"), ("id", &lead_id)]),
            ("crm/delete", vec![("kind", "Deals"), ("id", &deal_id)]),
        ];
        let mut anonymous = app.client();
        for (endpoint, form) in &calls {
            let r = anonymous.call(endpoint, form).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}: {endpoint}");
            let r = otto.call(endpoint, form).await;
            assert_eq!(
                r.status(),
                StatusCode::NOT_FOUND,
                "{kind}: {endpoint} for another company"
            );
        }
        // Another company's lists are empty, and its settings are its own.
        let theirs: Value = otto.answer("crm/list", &list("Leads")).await;
        assert_eq!(theirs["rows"], Value::Array(vec![]), "{kind}");
        // Nothing changed: the deal is open, the lead and deal are there.
        let deals: Value = admin.answer("crm/list", &list("Deals")).await;
        assert_eq!(deals["rows"][0]["status"], "Open", "{kind}");
        // Rey is not the owner nor an admin: no delete, and it says who may.
        let r = rey
            .call("crm/delete", &[("kind", "Leads"), ("id", &lead_id)])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{kind}");
        assert!(
            r.text().await.unwrap().contains("owner or an admin"),
            "{kind}"
        );
        // Won, then a bad status is a field error.
        let r = rey
            .call("crm/deal/status", &[("id", &deal_id), ("status", "won")])
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let r = rey
            .call("crm/deal/status", &[("id", &deal_id), ("status", "maybe")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let deals: Value = admin.answer("crm/list", &list("Deals")).await;
        assert_eq!(deals["rows"][0]["status"], "Won", "{kind}");
        // The owner deletes; the panel offers "Create lead" again.
        let r = admin
            .call("crm/delete", &[("kind", "Leads"), ("id", &lead_id)])
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let leads: Value = admin.answer("crm/list", &list("Leads")).await;
        assert_eq!(leads["rows"], Value::Array(vec![]), "{kind}");
        let panel: Value = admin.answer("crm/panel", &[("id", &id)]).await;
        assert_eq!(panel["lead"], Value::Null, "{kind}");
        let r = admin
            .call("crm/delete", &[("kind", "Leads"), ("id", &lead_id)])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{kind}: deleted once");
    }
}

/// "Add activity" in the panel: each refusal names its field; a good one is listed in the
/// panel with its due time, and on the Activities page until "Mark as done".
#[tokio::test]
async fn activities_are_added_from_the_panel_with_a_due_date_and_time() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let id = a_conversation(&app, &key).await;
        for (subject, what, date, time, field) in [
            ("", "call", "2027-01-05", "", "subject"),
            ("Call back", "party", "2027-01-05", "", "kind"),
            ("Call back", "call", "2027-02-29", "", "due_date"),
            ("Call back", "call", "", "", "due_date"),
            ("Call back", "call", "2027-01-05", "25:00", "due_time"),
        ] {
            let r = admin
                .call(
                    "crm/activity/add",
                    &[
                        ("id", &id),
                        ("subject", subject),
                        ("kind", what),
                        ("due_date", date),
                        ("due_time", time),
                    ],
                )
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{kind}: {field}"
            );
            let body = r.text().await.unwrap();
            assert!(body.contains(field), "{kind}: {field}: {body}");
        }
        let panel: Value = admin
            .answer(
                "crm/activity/add",
                &[
                    ("id", &id),
                    ("subject", "Send the price list"),
                    ("kind", "email"),
                    ("due_date", "2027-01-05"),
                    ("due_time", "14:30"),
                ],
            )
            .await;
        let items = panel["activities"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{kind}: only the good one: {panel}");
        assert_eq!(items[0]["title"], "Send the price list", "{kind}");
        assert_eq!(items[0]["kind"], "Email", "{kind}");
        assert_eq!(items[0]["due"], "2027-01-05 14:30", "{kind}");
        assert_eq!(items[0]["done"], false, "{kind}");
        let form = [
            ("kind", "Activities"),
            ("search", "price"),
            ("sort", "due"),
            ("owner", "me"),
            ("page", "0"),
        ];
        let page: Value = admin.answer("crm/list", &form).await;
        assert_eq!(page["rows"][0]["due"], "2027-01-05 14:30", "{kind}");
        assert_eq!(page["rows"][0]["status"], "Email · Not done", "{kind}");
        let activity = items[0]["id"].as_str().unwrap();
        let r = admin.call("crm/activity/done", &[("id", activity)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let panel: Value = admin.answer("crm/panel", &[("id", &id)]).await;
        assert_eq!(panel["activities"][0]["done"], true, "{kind}");
    }
}

/// Company settings: admins only; the default country makes a phone typed without its
/// country code parse in the side panel.
#[tokio::test]
async fn the_default_country_is_an_admin_setting_that_phone_numbers_follow() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        app.add_user(&mut admin, "rey@example.com", "regular").await;
        let mut rey = app.login("rey@example.com", "regular-password").await;
        let mut anonymous = app.client();
        let r = anonymous.call("settings/company", &[]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{kind}");
        let r = rey.call("settings/company", &[]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{kind}");
        let r = rey
            .call("settings/company/save", &[("default_country", "ID")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{kind}");
        let r = admin
            .call("settings/company/save", &[("default_country", "XX")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            r.text().await.unwrap().contains("Default country"),
            "{kind}"
        );
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let id = a_conversation(&app, &key).await;
        // No default country: a national number is refused, and says how to type it.
        let r = admin
            .call(
                "crm/panel/save",
                &[
                    ("id", &id),
                    ("field", "phone"),
                    ("value", "0812 3456 7890"),
                    ("version", "0"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let saved: Value = admin
            .answer("settings/company/save", &[("default_country", "id")])
            .await;
        assert_eq!(saved["default_country"], "ID", "{kind}");
        // The company's name is renamed there too (a name's rules), and only by an admin.
        let r = admin
            .call(
                "settings/company/save",
                &[("default_country", "ID"), ("company_name", "  ")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let renamed: Value = admin
            .answer(
                "settings/company/save",
                &[
                    ("default_country", "ID"),
                    ("company_name", "Acme Travel Asia"),
                ],
            )
            .await;
        assert_eq!(renamed["company_name"], "Acme Travel Asia", "{kind}");
        let r = rey
            .call(
                "settings/company/save",
                &[("default_country", "ID"), ("company_name", "Taken over")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{kind}");
        assert!(
            saved["countries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c[0] == "ID" && c[1] == "Indonesia"),
            "{kind}"
        );
        let panel: Value = admin
            .answer(
                "crm/panel/save",
                &[
                    ("id", &id),
                    ("field", "phone"),
                    ("value", "0812 3456 7890"),
                    ("version", "0"),
                ],
            )
            .await;
        assert!(
            panel["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f[0] == "phone" && f[1] == "+6281234567890"),
            "{kind}: {panel}"
        );
        let html = admin.get("/settings").await.text().await.unwrap();
        assert!(html.contains("Default country"), "{kind}");
        assert!(html.contains("<option value=\"ID\" selected"), "{kind}");
    }
}

/// The panel lists the same person's other conversations (by email) and leads.
#[tokio::test]
async fn the_panel_shows_a_returning_prospect() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        let first = a_conversation(&app, &key).await;
        let second = a_conversation(&app, &key).await;
        for id in [&first, &second] {
            let _: Value = admin
                .answer(
                    "crm/panel/save",
                    &[
                        ("id", id),
                        ("field", "email"),
                        ("value", "Vera@Shop.example"),
                        ("version", "0"),
                    ],
                )
                .await;
        }
        let _: Value = admin
            .answer(
                "crm/create",
                &[("id", &first), ("kind", "lead"), ("title", "Vera's first")],
            )
            .await;
        let panel: Value = admin.answer("crm/panel", &[("id", &second)]).await;
        let related = panel["related"].as_array().unwrap();
        assert!(
            related
                .iter()
                .any(|r| r["kind"] == "Lead" && r["title"] == "Vera's first"),
            "{kind}: {panel}"
        );
        assert!(
            related
                .iter()
                .any(|r| r["kind"] == "Conversation" && r["href"] == format!("/inbox?c={first}")),
            "{kind}: {panel}"
        );
        // The first conversation's own lead is not "elsewhere" for it.
        let panel: Value = admin.answer("crm/panel", &[("id", &first)]).await;
        assert!(
            !panel["related"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["kind"] == "Lead"),
            "{kind}: {panel}"
        );
    }
}
