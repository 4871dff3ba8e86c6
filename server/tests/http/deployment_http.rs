//! Black-box HTTP tests of running Leadline for real (R5, R7): bad input answered in words,
//! the client address behind a trusted proxy (and only then), rate limits with
//! `Retry-After`, bounded event streams per address and conversations per visitor, slow
//! clients let go, the session cookie and its lifetimes, and a request id on every answer.
use crate::support;

use app::backend::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers that are bad input: 400, said in words, with no Rust type name in them.
async fn assert_unreadable(r: reqwest::Response, what: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
    let body = r.text().await.unwrap();
    assert!(
        body.contains("The request could not be read"),
        "{what}: {body}"
    );
    for leak in [
        "struct",
        "Body",
        "Folder",
        "SavePlaybook",
        "serde",
        "expected",
        "::",
    ] {
        assert!(!body.contains(leak), "{what}: {leak:?} in {body}");
    }
}

#[tokio::test]
async fn unreadable_input_is_a_400_in_words() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn(db).await;
        let mut admin = app.setup_admin().await;
        let r = admin.call("inbox/list", &[("folder", "all")]).await;
        assert_unreadable(r, &format!("{kind}: an unknown folder")).await;
        let r = admin.call("inbox/list", &[]).await;
        assert_unreadable(r, &format!("{kind}: a missing field")).await;
        let r = admin.call("inbox/online", &[("online", "yes")]).await;
        assert_unreadable(r, &format!("{kind}: not a yes/no")).await;
        let r = admin
            .call_json("playbooks/save", &json!({ "id": 1, "cards": "x" }))
            .await;
        assert_unreadable(r, &format!("{kind}: a playbook of the wrong shape")).await;
        let r = admin
            .post_raw("/api/playbooks/save", "application/json", "{not json")
            .await;
        assert_unreadable(r, &format!("{kind}: not JSON")).await;

        let http = reqwest::Client::new();
        for (path, body) in [
            ("/api/visitor/start", "{\"page_url\": 3}"),
            ("/api/visitor/start", "[1, 2"),
            ("/api/visitor/messages", "{\"token\": \"t\"}"),
            ("/api/visitor/answer", "{}"),
        ] {
            let r = http
                .post(format!("{}{path}", app.base))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_unreadable(r, &format!("{kind}: {path} {body}")).await;
        }
        let r = http
            .get(format!("{}/api/visitor/events?c=x", app.base))
            .send()
            .await
            .unwrap();
        assert_unreadable(r, &format!("{kind}: a stream without its token")).await;
        // Too large: said in words, in the API's error shape, whichever layer refuses it.
        // (5 MB: the server's limit for any body; 100 KB: the visitor routes' own.)
        for (what, size) in [
            ("any body", 5 * 1024 * 1024),
            ("a visitor request", 100 * 1024),
        ] {
            let body = "x".repeat(size);
            let r = http
                .post(format!("{}/api/visitor/start", app.base))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{kind}: {what}");
            let e: Value = r.json().await.unwrap();
            assert!(
                e["Validation"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("too large"),
                "{kind}: {what}: {e}"
            );
        }
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_forwarded_address_and_only_then() {
    let limit = |c: &mut server::config::Config| {
        c.limits.visitor_per_address = 3;
    };
    // Trusted: each forwarded address has its own limit; the proxy's own does not count.
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |c| {
        limit(c);
        c.trusted_proxies = server::config::parse_proxies("127.0.0.1").unwrap();
    })
    .await;
    let http = reqwest::Client::new();
    let start = |from: &'static str| {
        http.post(format!("{}/api/visitor/start", app.base))
            .header("x-forwarded-for", from)
            .json(&json!({ "key": "no-such-playbook" }))
            .send()
    };
    for _ in 0..3 {
        let r = start("198.51.100.7, 203.0.113.1").await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let r = start("198.51.100.8, 203.0.113.1").await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the rightmost untrusted hop is the client, whatever is written before it"
    );
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        start("203.0.113.2").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // A trusted proxy saying https: HSTS, and cookies only over https.
    let r = http
        .post(format!("{}/api/account/setup", app.base))
        .header("x-forwarded-proto", "https")
        .form(&support::SETUP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("strict-transport-security"));
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    drop(app);

    // Not trusted: the headers are anyone's to write, so they change nothing.
    let app = TestApp::spawn_with(TestDatabase::sqlite(), limit).await;
    let start = |from: String| {
        http.post(format!("{}/api/visitor/start", app.base))
            .header("x-forwarded-for", from)
            .header("x-forwarded-proto", "https")
            .json(&json!({ "key": "no-such-playbook" }))
            .send()
    };
    for n in 0..3 {
        let r = start(format!("203.0.113.{n}")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(!r.headers().contains_key("strict-transport-security"));
    }
    let r = start("203.0.113.99".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

/// A client whose requests come from `ip`.
fn from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

#[tokio::test]
async fn event_streams_per_address_and_conversations_per_visitor_are_bounded() {
    for db in TestDatabase::all().await {
        let kind = db.kind();
        let app = TestApp::spawn_with(db, |c| {
            c.limits.streams_per_address = 2;
            c.limits.conversations_per_hour = 2;
        })
        .await;
        let mut admin = app.setup_admin().await;
        let key = support::active_playbook(&mut admin, None, &[]).await;
        admin.call("inbox/online", &[("online", "true")]).await;
        let (id, token) = support::visitor_starts(&app.base, &key, None).await;
        let url = format!("{}/api/visitor/events?c={id}&t={token}", app.base);
        let here = from([127, 0, 3, 1]);
        let first = here.get(&url).send().await.unwrap();
        let second = here.get(&url).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{kind}");
        assert_eq!(second.status(), StatusCode::OK, "{kind}");
        let third = here.get(&url).send().await.unwrap();
        assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS, "{kind}");
        assert!(third.headers().contains_key("retry-after"), "{kind}");
        // Agents' streams are capped per user instead (a call centre shares one address).
        let r = admin_stream_from(&app.base, &admin, [127, 0, 3, 1]).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        drop(r);
        let elsewhere = from([127, 0, 3, 2]).get(&url).send().await.unwrap();
        assert_eq!(
            elsewhere.status(),
            StatusCode::OK,
            "{kind}: another address"
        );
        // A closed stream gives its place back.
        drop(first);
        let mut again = StatusCode::TOO_MANY_REQUESTS;
        for _ in 0..50 {
            let r = here.get(&url).send().await.unwrap();
            again = r.status();
            if again == StatusCode::OK {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(again, StatusCode::OK, "{kind}");
        drop((second, elsewhere));

        // The token started one conversation; it may start one more this hour, not two.
        let start = || {
            reqwest::Client::new()
                .post(format!("{}/api/visitor/start", app.base))
                .json(&json!({ "key": key, "token": token }))
                .send()
        };
        assert_eq!(start().await.unwrap().status(), StatusCode::OK, "{kind}");
        assert_eq!(start().await.unwrap().status(), StatusCode::OK, "{kind}");
        let r = start().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{kind}");
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait > 60, "{kind}: an hour's quota refills slowly: {wait}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["TooManyRequests"]
                .as_str()
                .unwrap()
                .contains("many conversations"),
            "{kind}: {body}"
        );
    }
}

async fn admin_stream_from(base: &str, admin: &support::Client, ip: [u8; 4]) -> reqwest::Response {
    from(ip)
        .get(format!("{base}/api/events"))
        .header(
            "cookie",
            format!("leadline_session={}", admin.cookie.clone().unwrap()),
        )
        .send()
        .await
        .unwrap()
}

/// Reads from `tcp` until it closes; how long that took, and what came.
async fn until_closed(
    what: &str,
    tcp: &mut tokio::net::TcpStream,
    limit: Duration,
) -> (Duration, String) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "{what}: still open after {limit:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    (
        started.elapsed(),
        String::from_utf8_lossy(&got).into_owned(),
    )
}

#[tokio::test]
async fn slow_clients_are_let_go() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // A head without its final blank line.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (took, _) = until_closed("a head without its end", &mut tcp, Duration::from_secs(20)).await;
    assert!(
        took >= Duration::from_secs(5),
        "not before its time: {took:?}"
    );
    // A body shorter than its Content-Length.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(
        b"POST /api/visitor/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"key\"",
    )
    .await
    .unwrap();
    let (_, got) = until_closed("a short body", &mut tcp, Duration::from_secs(20)).await;
    assert!(
        got.starts_with("HTTP/1.1 4"),
        "answered, as an error: {got}"
    );
    // An enormous head is refused, not buffered.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n".to_vec();
    for n in 0..2000 {
        head.extend_from_slice(format!("X-Filler-{n}: {}\r\n", "a".repeat(60)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let _ = tcp.write_all(&head).await;
    let (_, got) = until_closed("an enormous head", &mut tcp, Duration::from_secs(20)).await;
    assert!(
        got.is_empty() || got.starts_with("HTTP/1.1 431"),
        "refused: {got}"
    );
}

#[tokio::test]
async fn a_kept_alive_connection_cannot_hold_its_socket_with_a_slow_next_head() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |c| {
        c.next_head_timeout = Duration::from_secs(3);
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 512];
    let n = tokio::io::AsyncReadExt::read(&mut tcp, &mut first)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"),
        "the first request is answered"
    );
    // The next head never ends: the connection is let go after its time.
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (took, _) = until_closed("a slow next head", &mut tcp, Duration::from_secs(20)).await;
    assert!(
        took >= Duration::from_secs(2),
        "not before its time: {took:?}"
    );
    // An idle kept-alive connection too.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let _ = tokio::io::AsyncReadExt::read(&mut idle, &mut first)
        .await
        .unwrap();
    until_closed(
        "an idle kept-alive connection",
        &mut idle,
        Duration::from_secs(20),
    )
    .await;
}

#[tokio::test]
async fn a_body_that_trickles_steadily_is_given_up_at_its_deadline() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |c| {
        c.body_deadline = Duration::from_secs(3);
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(
        b"POST /api/visitor/start HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .await
    .unwrap();
    // A byte every 300 ms: never a pause long enough for the per-frame timeout (10 s).
    let (mut read, mut write) = tcp.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if write.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), read.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => panic!("the trickling body still held its request after 20 s"),
        }
    }
    let took = started.elapsed();
    trickle.abort();
    let got = String::from_utf8_lossy(&got);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "given up at its deadline (3 s), not before, not much later: {took:?}"
    );
    assert!(
        got.is_empty() || got.starts_with("HTTP/1.1 4"),
        "answered as bad input, if at all: {got}"
    );
}

#[tokio::test]
async fn one_address_holds_a_bounded_number_of_connections() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |c| {
        c.connections_per_address = 5;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // The sixth is closed at once, unanswered.
    let mut sixth = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _ = sixth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (took, got) = until_closed(
        "a connection over the cap",
        &mut sixth,
        Duration::from_secs(5),
    )
    .await;
    assert!(
        got.is_empty() && took < Duration::from_secs(3),
        "{took:?} {got}"
    );
    // Another address is not held back, and a slot given back is free again.
    let other = client_from_address([127, 0, 0, 7]);
    assert_eq!(
        other
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = tokio::net::TcpStream::connect(&addr).await.unwrap();
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (_, got) = until_closed(
        "a connection after one closed",
        &mut again,
        Duration::from_secs(5),
    )
    .await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

fn client_from_address(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_session_cookie_behind_https_and_its_lifetime() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |c| {
        c.public_url = Some("https://chat.example.com".into());
        c.session_max = Duration::from_secs(3);
    })
    .await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/account/setup", app.base))
        .form(&support::SETUP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("x-request-id"));
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-leadline_session="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(part), "{part}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let mut admin = app.login("ada@example.com", "admin-password").await;
    let me: Value = admin.answer("account/me", &[]).await;
    assert!(!me.is_null(), "signed in");
    // Used all the time, it still ends at its absolute lifetime.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let me: Value = admin.answer("account/me", &[]).await;
    assert!(!me.is_null(), "still signed in");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let me: Value = admin.answer("account/me", &[]).await;
    assert!(me.is_null(), "the session ended: {me}");
}
