//! The built site (what cargo-leptos writes to `target/site`: the wasm, its JavaScript, the
//! stylesheet, the public assets) compiled into the binary, so copying `leadline` to a
//! server and running it is the whole install. A file in `LEPTOS_SITE_ROOT` on disk wins
//! (`make run` and development serve what was just built); anything else comes from here.
//! A release build embeds the files; a debug build reads the same folder at run time.
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(rust_embed::Embed)]
#[folder = "../target/site"]
#[allow_missing = true]
struct Site;

/// Serves an embedded site file when the path names one that is not on disk.
pub async fn embedded(State(root): State<Arc<PathBuf>>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let path = request.uri().path().trim_start_matches('/');
    if path.is_empty()
        || path.contains("..")
        || !path.rsplit('/').next().unwrap_or("").contains('.')
    {
        return next.run(request).await;
    }
    if root.join(path).is_file() {
        return next.run(request).await;
    }
    let Some(file) = Site::get(path) else {
        return next.run(request).await;
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    if request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (
        [(header::CONTENT_TYPE, file.metadata.mimetype().to_string())],
        file.data.into_owned(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How many files are embedded (a release built by cargo-leptos has the whole site).
pub fn embedded_files() -> usize {
    Site::iter().count()
}
