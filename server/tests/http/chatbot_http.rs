//! Black-box HTTP tests of playbooks (F1.9, R4, R6): permissions on every function, uploads,
//! the loader's recording.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{Client, TestApp, GIF, PNG};

/// Admin, an agent without the permission, and an editor with it.
async fn people(app: &TestApp) -> (Client, Client, Client) {
    let mut admin = app.setup_admin().await;
    app.add_user(&mut admin, "agent@example.com", "regular")
        .await;
    let editor_id = app
        .add_user(&mut admin, "editor@example.com", "regular")
        .await;
    let r = admin
        .call(
            "users/update",
            &[
                ("user_id", &editor_id),
                ("role", "regular"),
                ("can_manage_chatbot", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let agent = app.login("agent@example.com", "regular-password").await;
    let editor = app.login("editor@example.com", "regular-password").await;
    (admin, agent, editor)
}

async fn create(c: &mut Client, template: &str) -> String {
    let r = c.call("playbooks/create", &[("template", template)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<String>().await.unwrap()
}

async fn get(c: &mut Client, id: &str) -> Value {
    let r = c.call("playbooks/get", &[("id", id)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_user_without_the_permission_is_refused_every_playbook_function() {
    for db in TestDatabase::all().await {
        let app = TestApp::spawn(db).await;
        let (mut admin, mut agent, _) = people(&app).await;
        let id = create(&mut admin, "live_chat").await;
        let p = get(&mut admin, &id).await;
        let save =
            json!({ "id": id, "version": p["version"], "settings": p["settings"], "cards": [] });

        let refusals = [
            agent
                .call("playbooks/create", &[("template", "blank")])
                .await,
            agent.call_json("playbooks/save", &save).await,
            agent.call("playbooks/delete", &[("id", &id)]).await,
            agent
                .call_json("playbooks/preview", &json!({ "html": "<b>x</b>" }))
                .await,
            agent.post_bytes("/api/uploads", PNG.to_vec()).await,
        ];
        for r in refusals {
            let url = r.url().to_string();
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{url} on {}",
                app.db.kind()
            );
            assert!(r
                .text()
                .await
                .unwrap()
                .contains("Chatbot & Live Chat settings"));
        }
        // The agent may look, and is told they cannot edit.
        let seen = get(&mut agent, &id).await;
        assert_eq!(seen["can_edit"], false);
        let list: Value = agent.answer("playbooks/list", &[]).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        // Nothing changed.
        let after = get(&mut admin, &id).await;
        assert_eq!(after["version"], p["version"]);
        assert_eq!(after["cards"], p["cards"]);
        // Signed out: asked to log in, everywhere.
        let mut anonymous = app.client();
        assert_eq!(
            anonymous.call("playbooks/list", &[]).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            anonymous
                .call("playbooks/get", &[("id", &id)])
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            anonymous
                .post_bytes("/api/uploads", PNG.to_vec())
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn a_user_with_the_permission_edits_playbooks() {
    for db in TestDatabase::all().await {
        let app = TestApp::spawn(db).await;
        let (_, _, mut editor) = people(&app).await;
        let id = create(&mut editor, "live_chat").await;
        let p = get(&mut editor, &id).await;
        assert_eq!(p["can_edit"], true);
        assert_eq!(p["live_chat"], "OfflineModeOnly");
        let snippet = p["snippet"].as_str().unwrap();
        assert!(
            snippet.starts_with(&format!("<script src=\"{}/widget/loader.js?p=", app.base)),
            "{snippet}"
        );

        let up = editor.post_bytes("/api/uploads", PNG.to_vec()).await;
        assert_eq!(up.status(), StatusCode::OK);
        let up: Value = up.json().await.unwrap();
        let url = up["url"].as_str().unwrap().to_string();

        let mut cards = p["cards"].clone();
        cards[0]["body"]["text"] = json!(format!(
            "<p><b>Hello</b> <img src=\"{url}\" alt=\"Team\"></p>"
        ));
        let mut settings = p["settings"].clone();
        settings["name"] = json!("Pricing");
        settings["avatar"] = up["id"].clone();
        let r = editor
            .call_json(
                "playbooks/save",
                &json!({ "id": id, "version": p["version"], "settings": settings, "cards": cards }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        let saved = get(&mut editor, &id).await;
        assert_eq!(saved["settings"]["name"], "Pricing");
        assert!(saved["cards"][0]["body"]["text"]
            .as_str()
            .unwrap()
            .contains(&url));

        // A stale save is a conflict; a bad one names its field.
        let r = editor
            .call_json(
                "playbooks/save",
                &json!({ "id": id, "version": p["version"], "settings": settings, "cards": [] }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let mut bad = settings.clone();
        bad["accent_color"] = json!("red");
        let r = editor
            .call_json(
                "playbooks/save",
                &json!({ "id": id, "version": saved["version"], "settings": bad, "cards": [] }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            r.json::<Value>().await.unwrap()["Validation"]["field"],
            "accent_color"
        );

        let preview: String = editor
            .call_json(
                "playbooks/preview",
                &json!({ "html": "<b>ok</b><script>x</script>" }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(preview, "<b>ok</b>");
        assert_eq!(
            editor
                .call("playbooks/delete", &[("id", &id)])
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            editor.call("playbooks/get", &[("id", &id)]).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn uploads_are_sniffed_limited_and_served_safely() {
    for db in TestDatabase::all().await {
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
        let r = admin.post_bytes("/api/uploads", svg).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("PNG, JPEG, GIF or WebP"));
        let mut big = PNG.to_vec();
        big.resize(2 * 1024 * 1024 + 1, 0);
        let r = admin.post_bytes("/api/uploads", big).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("at most 2 MB"));

        // Not images, however they start: a GIF header before HTML, a PNG header that
        // declares 50,000 × 50,000 pixels (1 KB that would take 10 GB to decode).
        let r = admin
            .post_bytes(
                "/api/uploads",
                b"GIF89a<html><script>alert(1)</script></html>".to_vec(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // (Its "width" and "height" are the bytes of "<h" and "tm".)
        let text = r.text().await.unwrap();
        assert!(
            text.contains("could not be read") || text.contains("pixels"),
            "{text}"
        );
        let mut huge = app::backend::testing::png_header_claiming(50_000, 50_000);
        huge.resize(1024, 0);
        let r = admin.post_bytes("/api/uploads", huge).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = r.text().await.unwrap();
        assert!(text.contains("4096 × 4096 pixels"), "{text}");

        // A real image with HTML after its end is stored as its pixels only.
        let mut gif = GIF.to_vec();
        gif.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let up: Value = admin
            .post_bytes("/api/uploads", gif)
            .await
            .json()
            .await
            .unwrap();
        // Served to anyone (widgets on other sites show them), inline as an image, never
        // sniffed, sandboxed.
        let mut visitor = app.client();
        let r = visitor.get(up["url"].as_str().unwrap()).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.headers()["content-disposition"], "inline");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("sandbox") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        let served = r.bytes().await.unwrap().to_vec();
        assert!(served.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(
            !served.windows(7).any(|w| w == b"<script"),
            "nothing but pixels"
        );
        assert_eq!(
            visitor.get("/uploads/not-an-id").await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn the_loader_records_where_and_when_it_was_loaded() {
    for db in TestDatabase::all().await {
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let id = create(&mut admin, "live_chat").await;
        let key = get(&mut admin, &id).await["key"]
            .as_str()
            .unwrap()
            .to_string();
        let http = reqwest::Client::new();
        let r = http
            .get(format!("{}/widget/loader.js?p={key}", app.base))
            .header("referer", "https://shop.example.com/pricing")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        let p = get(&mut admin, &id).await;
        assert_eq!(p["live_chat"], "Installed");
        assert_eq!(p["last_loaded_url"], "https://shop.example.com/pricing");
        let r = http
            .get(format!("{}/widget/loader.js?p=nope", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_public_url_is_the_snippets_origin_and_https_makes_cookies_secure() {
    let app =
        TestApp::spawn_with_public_url(TestDatabase::sqlite(), Some("https://chat.example.com"))
            .await;
    let mut c = app.client();
    let r = c
        .call(
            "account/setup",
            &[
                ("company_name", "Acme"),
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", "admin-password"),
            ],
        )
        .await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let id = create(&mut c, "live_chat").await;
    let p = get(&mut c, &id).await;
    let snippet = p["snippet"].as_str().unwrap();
    assert!(
        snippet.starts_with("<script src=\"https://chat.example.com/widget/loader.js?p="),
        "{snippet}"
    );
}
