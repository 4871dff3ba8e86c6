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
