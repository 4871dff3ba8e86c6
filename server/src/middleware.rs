//! Request guards and response headers for every route.
use app::backend::{authz::actor_from_session, state::AppState};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

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
    if is_cross_origin(request.headers(), state.public_url.as_deref()) {
        return (
            StatusCode::FORBIDDEN,
            "Cross-origin requests cannot change anything in Leadline.",
        )
            .into_response();
    }
    next.run(request).await
}

fn is_cross_origin(headers: &HeaderMap, public_url: Option<&str>) -> bool {
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
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// A server function whose arguments could not be read answers 500 from the framework,
/// with a `Validation` error in its body: give it the status its error says (422), so a
/// client sees bad input as bad input.
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
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Served over https (LEADLINE_PUBLIC_URL says so): browsers keep to https from then on.
    if state
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
    {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
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
    fn cross_origin_detection() {
        let local = |h: &[(&'static str, &'static str)]| is_cross_origin(&headers(h), None);
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
    }

    #[test]
    fn with_a_public_url_the_origin_must_be_exactly_it() {
        let public = Some("https://chat.example.com");
        let check = |h: &[(&'static str, &'static str)]| is_cross_origin(&headers(h), public);
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
            Some("https://chat.example.com:8443/")
        ));
    }
}
