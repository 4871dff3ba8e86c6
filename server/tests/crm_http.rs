//! Black-box HTTP tests of the Leads, Deals and Activities lists (F4.3): refused to anyone
//! signed out, a field error for bad input, and the pages server-rendered with their rows.
mod support;

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
        let started: Value = reqwest::Client::new()
            .post(format!("{}/api/visitor/start", app.base))
            .json(&serde_json::json!({ "key": key, "page_url": "https://shop.example.com/" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = started["conversation_id"].as_str().unwrap().to_string();
        let r = admin.call("inbox/assign", &[("id", &id)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let calls: [(&str, Vec<(&str, &str)>); 3] = [
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
