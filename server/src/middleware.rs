//! Request guards and response headers for every route.
use app::backend::{authz::actor_from_session, state::AppState};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tower_sessions::Session;
use tracing::Instrument;

/// The request came over https to a trusted proxy (its `X-Forwarded-Proto` said so).
#[derive(Clone, Copy)]
pub struct ForwardedHttps;

/// The client's address (R7). From a trusted proxy it is the rightmost address in
/// `X-Forwarded-For` that is not itself a trusted proxy; from anyone else it is the TCP
/// peer, whatever the headers say. Every limit and log reads it from `ConnectInfo`, which
/// this replaces.
pub async fn client_address(
    State(proxies): State<Arc<Vec<IpNet>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(&ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() else {
        return next.run(request).await;
    };
    let trusted = |ip: &IpAddr| proxies.iter().any(|p| p.contains(ip));
    if trusted(&peer.ip()) {
        let client = forwarded_client(request.headers(), &trusted).unwrap_or(peer.ip());
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, 0)));
        let https = request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        if https {
            request.extensions_mut().insert(ForwardedHttps);
        }
    }
    next.run(request).await
}

/// The rightmost `X-Forwarded-For` hop that is not trusted; None when there is no header
/// or a hop does not parse (then the proxy itself is the client as far as we can tell).
fn forwarded_client(headers: &HeaderMap, trusted: &dyn Fn(&IpAddr) -> bool) -> Option<IpAddr> {
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut leftmost = None;
    for hop in hops.iter().rev() {
        let ip = hop.parse::<IpAddr>().ok().or_else(|| {
            // `[::1]:443` or `1.2.3.4:80`
            hop.parse::<SocketAddr>().ok().map(|s| s.ip())
        })?;
        if !trusted(&ip) {
            return Some(ip);
        }
        leftmost = Some(ip);
    }
    leftmost
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// Every request gets an id, sent back as `X-Request-Id` and carried by every log line
/// written while it is served; server errors and slow requests are logged with it.
pub async fn request_log(request: Request, next: Next) -> Response {
    let id = format!(
        "{:x}-{:x}",
        std::process::id(),
        REQUEST_IDS.fetch_add(1, Ordering::Relaxed)
    );
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        client = %client,
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, ms = elapsed.as_millis() as u64, "request failed");
        } else if elapsed.as_secs() >= 2 && !is_stream(&response) {
            tracing::warn!(status, ms = elapsed.as_millis() as u64, "slow request");
        } else {
            tracing::debug!(status, ms = elapsed.as_millis() as u64, "request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

fn is_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

/// A request body must arrive whole within this long (however steadily its bytes trickle:
/// the per-frame timeout alone let a body of a byte every few seconds hold a socket for
/// days). Two minutes carry a 2 MB image over a slow phone connection.
pub const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// Gives every request body `limit` ([`BODY_DEADLINE`] unless configured) in all; past it,
/// reading the body fails (the handler answers 400) and the connection is let go.
pub async fn body_deadline(
    State(limit): State<std::time::Duration>,
    request: Request,
    next: Next,
) -> Response {
    use axum::body::HttpBody;
    use futures::StreamExt;
    if request.body().size_hint().exact() == Some(0) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let deadline = tokio::time::Instant::now() + limit;
    let chunks = futures::stream::unfold(
        (body.into_data_stream(), false),
        move |(mut chunks, over)| async move {
            if over {
                return None;
            }
            match tokio::time::timeout_at(deadline, chunks.next()).await {
                Ok(Some(chunk)) => Some((chunk, (chunks, false))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(axum::Error::new(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body took too long",
                    ))),
                    (chunks, true),
                )),
            }
        },
    );
    next.run(Request::from_parts(
        parts,
        axum::body::Body::from_stream(chunks),
    ))
    .await
}

/// A body over the size limit (413): said in words and in the API's error shape, whichever
/// layer refused it ("length limit exceeded" otherwise, in plain text).
pub async fn too_large(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api || response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let e = app::AppError::validation(
        "body",
        "This is too large to send: at most 2 MB for an image, and far less for anything else.",
    );
    (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(e)).into_response()
}

/// Paths whose state-changing requests come from other sites by design (the visitor widget).
const CROSS_ORIGIN_ALLOWED: &[&str] = &["/widget/", "/api/visitor/"];

/// Refuses state-changing requests sent by a browser from another origin (R5). A browser's
/// `Sec-Fetch-Site` must say same-origin, and its `Origin`, whenever sent, must be Leadline's
/// own: `LEADLINE_PUBLIC_URL` when set (scheme, host and port), else the request's host with
/// http or https. Requests with neither header do not come from a browser page and cannot be
/// forged by one.
pub async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    if safe || CROSS_ORIGIN_ALLOWED.iter().any(|p| path.starts_with(p)) {
        return next.run(request).await;
    }
    let https = request.extensions().get::<ForwardedHttps>().is_some();
    if is_cross_origin(request.headers(), state.public_url.as_deref(), https) {
        return (
            StatusCode::FORBIDDEN,
            "Cross-origin requests cannot change anything in Leadline.",
        )
            .into_response();
    }
    next.run(request).await
}

/// `https`: the request came through a trusted proxy that says the client used https (else
/// the client used plain http to this server).
fn is_cross_origin(headers: &HeaderMap, public_url: Option<&str>, https: bool) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin") | Ok("none")) {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    if let Some(public) = public_url {
        // The public URL's origin: scheme://host[:port], without a path.
        let own = match public.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.split('/').next().unwrap_or(""))
            }
            None => return true,
        };
        return !origin.eq_ignore_ascii_case(&own);
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = if https {
        origin.strip_prefix("https://")
    } else {
        origin.strip_prefix("http://")
    };
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// The one place a server function's error gets its HTTP status: the framework answers every
/// error with 500 and the `AppError` as JSON in the body; this gives it the status the error
/// says (401, 403, 404, 409, 422, 429 …), so clients see bad input as bad input and a refusal
/// as a refusal. A 429 always says when to come back (`Retry-After`, one second unless the
/// limit that refused said otherwise).
pub async fn error_status(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(e.status()) {
            parts.status = status;
        }
    }
    // Every 429 says when to come back (the hashing pool's "busy" included: a moment).
    if parts.status == StatusCode::TOO_MANY_REQUESTS
        && !parts.headers.contains_key(header::RETRY_AFTER)
    {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Security headers on every response (R8). Pages set their own nonce-based CSP; anything
/// else gets a strict default. The admin app can never be framed.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // The widget frame is framed by customers' sites; its own CSP says which (R8).
    let framable = request.uri().path().starts_with("/widget/frame/");
    let forwarded_https = request.extensions().get::<ForwardedHttps>().is_some();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let public_https = state
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    // Served over https (LEADLINE_PUBLIC_URL or a trusted proxy says so): browsers keep to
    // https from then on, and cookies go only over https.
    if public_https || forwarded_https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if forwarded_https && !public_https {
        let cookies: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|c| match c.to_str() {
                Ok(s) if !s.to_ascii_lowercase().contains("; secure") => {
                    HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or_else(|_| c.clone())
                }
                _ => c.clone(),
            })
            .collect();
        headers.remove(header::SET_COOKIE);
        for c in cookies {
            headers.append(header::SET_COOKIE, c);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if !framable {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    response
}

/// Is this a request for an app page (not an asset, a server function or an endpoint)?
fn is_page(request: &Request) -> bool {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return false;
    }
    let path = request.uri().path();
    let last = path.rsplit('/').next().unwrap_or("");
    !(path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with("/widget/")
        || path.starts_with("/uploads/")
        || path == "/healthz"
        || path == "/readyz"
        || last.contains('.'))
}

/// Leads every page to where it belongs: `/setup` until a company exists (and never after),
/// `/login` when signed out, the app when signed in.
pub async fn page_gate(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if !is_page(&request) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let installed = match state.is_installed().await {
        Ok(i) => i,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    if !installed {
        return if path == "/setup" {
            next.run(request).await
        } else {
            Redirect::to("/setup").into_response()
        };
    }
    if path == "/setup" {
        return Redirect::to("/login").into_response();
    }
    let signed_in = match actor_from_session(&state.db, &session).await {
        Ok(a) => a.is_some(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    match (path.as_str(), signed_in) {
        ("/login", true) => Redirect::to("/").into_response(),
        ("/login", false) | (_, true) => next.run(request).await,
        (_, false) => Redirect::to("/login").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let trusted = |ip: &IpAddr| proxies.iter().any(|p| p.contains(ip));
        let hops =
            |v: &'static str| forwarded_client(&headers(&[("x-forwarded-for", v)]), &trusted);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // The client may write anything on the left; the proxy appends the address it saw.
        assert_eq!(hops("6.6.6.6, 203.0.113.9"), ip("203.0.113.9"));
        assert_eq!(hops("203.0.113.9, 10.0.0.7"), ip("203.0.113.9"));
        assert_eq!(hops("10.0.0.8, 10.0.0.7"), ip("10.0.0.8"));
        assert_eq!(hops("2001:db8::1"), ip("2001:db8::1"));
        assert_eq!(hops("junk, 203.0.113.9"), ip("203.0.113.9"));
        assert_eq!(hops("203.0.113.9, junk"), None);
        assert_eq!(forwarded_client(&headers(&[]), &trusted), None);
    }

    #[test]
    fn cross_origin_detection() {
        let local = |h: &[(&'static str, &'static str)]| is_cross_origin(&headers(h), None, false);
        assert!(!local(&[]));
        assert!(!local(&[("sec-fetch-site", "same-origin")]));
        assert!(local(&[("sec-fetch-site", "cross-site")]));
        assert!(local(&[("sec-fetch-site", "same-site")]));
        assert!(!local(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(local(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(local(&[("origin", "null"), ("host", "a.b")]));
        // A foreign Origin is refused even when the fetch metadata claims same-origin.
        assert!(local(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000")
        ]));
        // Not a web origin at all.
        assert!(local(&[
            ("origin", "ftp://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        // The scheme the client used: http here, https only where a trusted proxy says so.
        assert!(local(&[
            ("origin", "https://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        let proxied = |h: &[(&'static str, &'static str)]| is_cross_origin(&headers(h), None, true);
        assert!(!proxied(&[
            ("origin", "https://chat.example.com"),
            ("host", "chat.example.com")
        ]));
        assert!(proxied(&[
            ("origin", "http://chat.example.com"),
            ("host", "chat.example.com")
        ]));
    }

    #[test]
    fn with_a_public_url_the_origin_must_be_exactly_it() {
        let public = Some("https://chat.example.com");
        let check =
            |h: &[(&'static str, &'static str)]| is_cross_origin(&headers(h), public, false);
        assert!(!check(&[("origin", "https://chat.example.com")]));
        assert!(!check(&[("origin", "https://CHAT.example.com")]));
        // Wrong scheme, wrong port, another host (whatever the Host header says).
        assert!(check(&[
            ("origin", "http://chat.example.com"),
            ("host", "chat.example.com")
        ]));
        assert!(check(&[("origin", "https://chat.example.com:8443")]));
        assert!(check(&[
            ("origin", "https://evil.example"),
            ("host", "evil.example")
        ]));
        assert!(!is_cross_origin(
            &headers(&[("origin", "https://chat.example.com:8443")]),
            Some("https://chat.example.com:8443/"),
            false
        ));
    }
}
