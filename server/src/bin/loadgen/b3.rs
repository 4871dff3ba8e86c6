//! B3: idle visitor event streams. Starts `n` conversations (100 per source address, so
//! each address stays far below the visitor API's 600 requests a minute), reads the
//! server's VmRSS, opens one `/api/visitor/events` stream per conversation (each its own
//! HTTP/1.1 connection), holds them idle through a heartbeat, and reads VmRSS again:
//! (after − before) / streams is the memory one idle stream costs the server.
use crate::b2::hold_visitor_stream;
use crate::http::Res;
use crate::seed::{self, Visitor};
use crate::servers::{open_fds, rss_kib};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Semaphore};

/// Conversations (and so streams) per source address.
pub const PER_ADDRESS: u32 = 100;

pub struct B3Result {
    pub requested: u32,
    pub opened: u32,
    /// Streams that were refused or ended before the second reading.
    pub closed: u64,
    pub refused: Vec<String>,
    /// Server VmRSS (KiB) after the conversations started, before any stream.
    pub before: Option<u64>,
    /// With every stream open and idle.
    pub after: Option<u64>,
    pub start_secs: f64,
    pub open_secs: f64,
    /// The load generator's own open files and VmRSS (KiB) at the second reading.
    pub own_fds: usize,
    pub own_rss: Option<u64>,
}

impl B3Result {
    /// KiB per open stream.
    pub fn per_stream(&self) -> Option<f64> {
        let (b, a) = (self.before?, self.after?);
        let open = (self.opened as u64).saturating_sub(self.closed);
        (open > 0).then(|| (a as f64 - b as f64) / open as f64)
    }
}

pub async fn idle_streams(
    base: &str,
    key: &str,
    n: u32,
    first_address: u32,
    server_pid: Option<u32>,
    hold: Duration,
) -> Res<B3Result> {
    let addresses = n.div_ceil(PER_ADDRESS);
    let clients = seed::address_clients(first_address, addresses, 1);
    let t = Instant::now();
    eprintln!("loadgen: B3: starting {n} conversations from {addresses} addresses");
    let visitors = seed::start_visitors(base, key, &clients, PER_ADDRESS, n, 24).await?;
    let start_secs = t.elapsed().as_secs_f64();
    drop(clients); // each visitor keeps its own handle to its address's client
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = server_pid.and_then(rss_kib);

    eprintln!("loadgen: B3: opening {n} visitor event streams");
    let t = Instant::now();
    let closed = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(Semaphore::new(48));
    let mut opening = Vec::with_capacity(visitors.len());
    let mut holders = Vec::with_capacity(visitors.len());
    // Idle streams: nothing is sent, so nothing is checked (no records).
    let tracker = Arc::new(crate::b2::Tracker::new(0, 1));
    for (i, v) in visitors.iter().enumerate() {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let (tx, rx) = oneshot::channel();
        holders.push(hold_visitor_stream(
            base,
            i as u32,
            v,
            tracker.clone(),
            closed.clone(),
            tx,
        ));
        opening.push(tokio::spawn(async move {
            let r = rx.await.unwrap_or_else(|_| Err("stream task ended".into()));
            drop(permit);
            r
        }));
    }
    let mut refused = Vec::new();
    let mut opened = 0;
    for o in opening {
        match o.await {
            Ok(Ok(())) => opened += 1,
            Ok(Err(e)) => refused.push(e),
            Err(e) => refused.push(e.to_string()),
        }
    }
    let open_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "loadgen: B3: {opened} streams open in {open_secs:.1} s; holding them idle {} s",
        hold.as_secs()
    );
    tokio::time::sleep(hold).await;
    let after = server_pid.and_then(rss_kib);
    let result = B3Result {
        requested: n,
        opened,
        closed: closed.load(Relaxed).saturating_sub(refused.len() as u64),
        refused,
        before,
        after,
        start_secs,
        open_secs,
        own_fds: open_fds(),
        own_rss: rss_kib(std::process::id()),
    };
    for h in holders {
        h.abort();
    }
    drop::<Vec<Visitor>>(visitors);
    Ok(result)
}
