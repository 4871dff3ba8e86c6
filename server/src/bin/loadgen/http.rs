//! HTTP as the browser and the widget speak it: signed-in sessions calling server functions
//! (`/api/<endpoint>`, form or JSON bodies, the `leadline_session` cookie), and clients bound
//! to their own loopback source address, so each simulated visitor counts against the
//! per-address rate limits as a real one would. Everything is sent to loopback only.
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

pub type Res<T> = Result<T, String>;

/// `.context("what")` for any displayable error.
pub trait WithContext<T> {
    fn context(self, what: &str) -> Res<T>;
}

impl<T, E: std::fmt::Display> WithContext<T> for Result<T, E> {
    fn context(self, what: &str) -> Res<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// How long an ordinary request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Source address number `n`: 127.a.b.c with a ≥ 1 (so never 127.0.0.1, where the admin and
/// the agents are) and b, c never 0 or 255. Distinct for n below 15 million.
pub fn loopback(n: u32) -> IpAddr {
    let c = 1 + n % 250;
    let b = 1 + (n / 250) % 250;
    let a = 1 + n / 62_500;
    IpAddr::V4(Ipv4Addr::new(127, a.min(254) as u8, b as u8, c as u8))
}

/// An HTTP/1.1 client, from `local` when given. Plain HTTP only, so no TLS roots are
/// loaded (thousands of these are made).
pub fn client(local: Option<IpAddr>, idle_per_host: usize) -> Client {
    Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .tls_built_in_root_certs(false)
        .local_address(local)
        .pool_max_idle_per_host(idle_per_host)
        .pool_idle_timeout(Duration::from_secs(50))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client builds")
}

/// A browser tab's session: the `leadline_session` cookie, sent by hand like the tests do.
#[derive(Clone)]
pub struct Session {
    pub base: String,
    pub http: Client,
    pub cookie: Option<String>,
}

/// The session id a response sets, if any.
fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("leadline_session="))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        .rfind(|id| !id.is_empty())
}

impl Session {
    pub fn new(base: &str, http: Client) -> Self {
        Self {
            base: base.to_string(),
            http,
            cookie: None,
        }
    }

    fn with_cookie(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => b.header(header::COOKIE, format!("leadline_session={c}")),
            None => b,
        }
    }

    /// A GET with this session (event streams).
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.with_cookie(self.http.get(format!("{}{path}", self.base)))
    }

    async fn finish(
        &mut self,
        b: reqwest::RequestBuilder,
        endpoint: &str,
    ) -> Res<(StatusCode, String)> {
        let r = self
            .with_cookie(b)
            .header("sec-fetch-site", "same-origin")
            .timeout(REQUEST_TIMEOUT * 4)
            .send()
            .await
            .context(endpoint)?;
        if let Some(c) = session_cookie(&r) {
            self.cookie = Some(c);
        }
        let status = r.status();
        Ok((status, r.text().await.context(endpoint)?))
    }

    /// Calls a server function with a form body, as the page does.
    pub async fn call(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Res<(StatusCode, String)> {
        let b = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .form(form);
        self.finish(b, endpoint).await
    }

    /// Calls a server function with a JSON body.
    pub async fn call_json(&mut self, endpoint: &str, body: &Value) -> Res<(StatusCode, String)> {
        let b = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .json(body);
        self.finish(b, endpoint).await
    }

    /// Calls a server function that must succeed; its JSON answer.
    pub async fn answer(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Res<Value> {
        let (status, body) = self.call(endpoint, form).await?;
        if !status.is_success() {
            return Err(format!("{endpoint}: {status} {body}"));
        }
        serde_json::from_str(&body).map_err(|e| format!("{endpoint}: {e}: {body}"))
    }
}

/// POSTs a JSON body to a visitor endpoint; status and body.
pub async fn post_json(client: &Client, url: &str, body: &Value) -> Res<(StatusCode, String)> {
    let r = client
        .post(url)
        .json(body)
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .context(url)?;
    let status = r.status();
    Ok((status, r.text().await.context(url)?))
}

/// A short label for a failed request: its status, or what went wrong on the wire.
pub fn error_label(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "request error"
    }
}
