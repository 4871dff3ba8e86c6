//! Serving connections. hyper serves every request, except that a connection whose first
//! request opens an event stream (`GET /api/visitor/events`, `GET /api/events`) is answered
//! by a lean writer: the same router and handlers, but the response head and the event
//! frames are written straight to the socket, without hyper's per-connection read and write
//! buffers (about 21 KiB of the 23 KiB an idle stream cost through hyper; B3 allows 16 KiB).
//! Anything unusual about such a request (a body, an upgrade, a head that does not parse)
//! goes to hyper with the bytes already read replayed first, so hyper answers it as before.
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, Uri, Version};
use axum::Router;
use futures::StreamExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// The paths served by the lean writer when they open a connection.
const LEAN_PATHS: [&str; 2] = ["/api/visitor/events", "/api/events"];
/// A request head larger than this goes to hyper (which refuses it as too large).
const MAX_HEAD: usize = 16 * 1024;
/// A new connection has this long to send its first request head (slow-header attacks
/// hold a socket no longer).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// A stream whose client reads nothing for this long is closed (it reconnects and resumes).
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// After the shutdown signal, open connections get this long to finish.
const DRAIN: Duration = Duration::from_secs(10);
/// A kept-alive connection has this long to send its next request head (idle time
/// included): a socket held open by a client that never finishes a head is let go.
pub const NEXT_HEAD_TIMEOUT: Duration = Duration::from_secs(60);

/// What one client may hold: connections from one address (a trusted proxy's aside), and
/// how long a kept-alive connection may wait for its next request head.
pub struct Bounds {
    pub per_address: usize,
    pub uncapped: Box<dyn Fn(std::net::IpAddr) -> bool + Send + Sync>,
    pub next_head: Duration,
}
/// Open connections from one address at most (past it a new one is closed at once): one
/// address cannot take every file descriptor the process has. A proxy's address is not
/// capped (`LEADLINE_TRUSTED_PROXIES`); a whole office behind one NAT address fits.
pub const CONNECTIONS_PER_ADDRESS: usize = 4_000;

/// Open connections per client address.
#[derive(Clone, Default)]
struct Open(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>);

impl Open {
    fn take(&self, ip: std::net::IpAddr, cap: usize) -> Option<OpenSlot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(OpenSlot(self.clone(), ip))
    }
}

struct OpenSlot(Open, std::net::IpAddr);

impl Drop for OpenSlot {
    fn drop(&mut self) {
        let mut open = self.0 .0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests finish
/// (event streams end at once).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let next_head = bounds.next_head;
    let per_address = Open::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Without TCP_NODELAY a response written in pieces (streamed SSR, events) waits on
        // the peer's delayed ACK: 40 ms on every page (measured by the inbox bench, B5).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let slot = if (bounds.uncapped)(peer.ip()) {
            None
        } else {
            let key = app::backend::ratelimit::address_key(peer.ip());
            match per_address.take(key, bounds.per_address.max(1)) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(peer = %peer.ip(), "too many connections from one address");
                    continue;
                }
            }
        };
        let (app, stop, open) = (app.clone(), stop_rx.clone(), open_rx.clone());
        tokio::spawn(async move {
            connection(tcp, peer, app, stop, next_head).await;
            drop(slot);
            drop(open);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_rx);
    if tokio::time::timeout(DRAIN, open_tx.closed()).await.is_err() {
        tracing::warn!(
            open = open_tx.receiver_count(),
            "connections still open after the drain time; stopping anyway"
        );
    }
    Ok(())
}

/// EMFILE and the like: wait a moment so the loop does not spin (as axum and hyper do).
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(
    mut tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    stop: watch::Receiver<bool>,
    next_head: Duration,
) {
    let read = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut tcp)).await {
        Ok(Ok(Some(read))) => read,
        // Closed before a request, an error, or too slow: nothing to answer.
        Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return,
    };
    match lean_request(&read, peer) {
        Some(req) => {
            drop(read);
            lean(tcp, app, req, stop).await;
        }
        None => hyper(Replay::new(read, tcp), peer, app, stop, next_head).await,
    }
}

/// Reads until the first request head is complete (whatever it is for: this is where a
/// slow head meets HEAD_TIMEOUT) or MAX_HEAD; None when the client closed first.
async fn read_head(tcp: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.len());
        }
        if tcp.read_buf(&mut buf).await? == 0 {
            return Ok(if buf.is_empty() { None } else { Some(buf) });
        }
        if buf.len() >= MAX_HEAD || buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(Some(buf));
        }
    }
}

/// The request, when `head` is a complete, plain GET of a lean path: no body, no upgrade.
fn lean_request(head: &[u8], peer: SocketAddr) -> Option<Request<Body>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(head) {
        Ok(httparse::Status::Complete(len)) => len,
        _ => return None,
    };
    let target = parsed.path?;
    let path = target.split('?').next().unwrap_or_default();
    if len != head.len()
        || parsed.method != Some("GET")
        || parsed.version != Some(1)
        || !LEAN_PATHS.contains(&path)
    {
        return None;
    }
    let mut req = Request::new(Body::empty());
    *req.method_mut() = Method::GET;
    *req.version_mut() = Version::HTTP_11;
    *req.uri_mut() = Uri::try_from(target).ok()?;
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        if name == header::CONTENT_LENGTH && h.value != b"0"
            || name == header::TRANSFER_ENCODING
            || name == header::UPGRADE
            || name == header::EXPECT
        {
            return None;
        }
        req.headers_mut()
            .append(name, HeaderValue::from_bytes(h.value).ok()?);
    }
    req.extensions_mut().insert(ConnectInfo(peer));
    Some(req)
}

/// Answers `req` through the router and writes the response to the socket as it comes,
/// ending the connection after it. The stream ends when the client goes away, stops
/// reading, or the server shuts down.
async fn lean(tcp: TcpStream, app: Router, req: Request<Body>, mut stop: watch::Receiver<bool>) {
    let Ok(response) = app.oneshot(req).await;
    let (parts, body) = response.into_parts();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_str(),
        parts.status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        if name == header::CONNECTION || name == header::TRANSFER_ENCODING {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if !parts.headers.contains_key(header::CONTENT_LENGTH) {
        if let Some(n) = body.size_hint().exact() {
            head.extend_from_slice(format!("content-length: {n}\r\n").as_bytes());
        }
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    drop(parts);
    let (mut rd, mut wr) = tcp.into_split();
    if !matches!(
        tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(&head)).await,
        Ok(Ok(()))
    ) {
        return;
    }
    drop(head);
    let mut frames = body.into_data_stream();
    let mut scratch = [0u8; 32];
    loop {
        tokio::select! {
            frame = frames.next() => match frame {
                Some(Ok(bytes)) => {
                    let written = tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(&bytes)).await;
                    if !matches!(written, Ok(Ok(()))) {
                        return;
                    }
                }
                Some(Err(_)) | None => break,
            },
            // The client closed (or reset) its side; bytes it sends after its request are
            // not requests this connection will answer.
            read = rd.read(&mut scratch) => if matches!(read, Ok(0) | Err(_)) {
                return;
            },
            _ = stopped(&mut stop) => break,
        }
    }
    let _ = wr.shutdown().await;
}

/// Serves the connection with hyper (HTTP/1.1 keep-alive, or HTTP/2 with prior knowledge),
/// as axum's own `serve` does.
async fn hyper(
    io: Replay,
    peer: SocketAddr,
    app: Router,
    mut stop: watch::Receiver<bool>,
    next_head: Duration,
) {
    let service = TowerToHyperService::new(app.map_request(move |req: Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    }));
    // Later requests on a kept-alive connection: hyper's head timer is also the idle time,
    // so it is long (a client reusing a connection just as it is closed gets no answer: the
    // two-server load run lost visitor streams so at 10 s), yet no socket is held forever.
    // The first head of every connection is bounded by HEAD_TIMEOUT in `connection`.
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(MAX_HEAD * 4)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(next_head);
    builder.http2().max_header_list_size(MAX_HEAD as u32);
    let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = stopped(&mut stop), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Resolves once the server is shutting down (or has gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// A socket whose first bytes were already read: they are read again first.
struct Replay {
    first: Vec<u8>,
    at: usize,
    tcp: TcpStream,
}

impl Replay {
    fn new(first: Vec<u8>, tcp: TcpStream) -> Self {
        Self { first, at: 0, tcp }
    }
}

impl AsyncRead for Replay {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.first.len() {
            let n = buf.remaining().min(this.first.len() - this.at);
            buf.put_slice(&this.first[this.at..this.at + n]);
            this.at += n;
            if this.at == this.first.len() {
                this.first = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.7:4000".parse().unwrap()
    }

    #[test]
    fn a_plain_get_of_an_event_stream_is_lean_and_keeps_its_headers() {
        let head =
            b"GET /api/visitor/events?t=a&c=b HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n\r\n";
        let req = lean_request(head, peer()).expect("lean");
        assert_eq!(req.uri(), "/api/visitor/events?t=a&c=b");
        assert_eq!(req.headers()["last-event-id"], "7");
        assert_eq!(
            req.extensions().get::<ConnectInfo<SocketAddr>>().unwrap().0,
            peer()
        );
    }

    #[test]
    fn anything_unusual_goes_to_hyper() {
        for head in [
            &b"GET /api/events HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"[..],
            b"GET /api/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET /api/events HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
            b"GET /api/events HTTP/1.0\r\n\r\n",
            b"GET /api/events HTTP/1.1\r\nHost: x\r\n",
            b"GET /api/events HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
            b"GET /api/events/x HTTP/1.1\r\n\r\n",
            b"GET /api/events HTTP/1.1\r\nBad Header\r\n\r\n",
        ] {
            assert!(
                lean_request(head, peer()).is_none(),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
