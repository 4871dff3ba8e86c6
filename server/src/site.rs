//! Serving the built site (what `make site` writes to `target/site`: the wasm, its
//! JavaScript, the stylesheet, the public assets) from inside the `leadline` binary, so
//! copying it to a server and running it is the whole install. A file in `LEPTOS_SITE_ROOT`
//! on disk wins (`make run` and development serve what was just built); anything else comes
//! from the binary. The files are compiled into the binary itself (`src/main.rs`), not into
//! this library: the library and everything under it build while the site is being built.
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::path::PathBuf;
use std::sync::Arc;

/// Looks a site file up by its path (`pkg/leadline.wasm`): what `rust_embed` derives.
pub type Lookup = fn(&str) -> Option<rust_embed::EmbeddedFile>;

/// Where the site is: the folder on disk, then the files in the binary.
#[derive(Clone)]
pub struct SiteFiles {
    pub root: Arc<PathBuf>,
    pub embedded: Option<Lookup>,
}

/// Serves an embedded site file when the path names one that is not on disk.
pub async fn embedded(State(site): State<SiteFiles>, request: Request, next: Next) -> Response {
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
    if site.root.join(path).is_file() {
        return next.run(request).await;
    }
    let Some(file) = site.embedded.and_then(|get| get(path)) else {
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
