//! B2: visitor message → the assigned agent's event.
//!
//! Every message gets a client id `lg<n>`; its record holds when it was due by the schedule,
//! when its POST actually started, how the POST ended, which agents' `/api/events` streams
//! delivered a `message` event with that client id (and when the assigned agent's first did),
//! and how often its own visitor's stream echoed it. A phase sends at a fixed total rate
//! (open loop: the schedule does not wait for answers, only for a cap on requests in flight),
//! then waits for stragglers, then reads from the records: latency from when each message
//! was *due* to the assignee's event (so a sender that falls behind is counted against the
//! server, not hidden: no coordinated omission), how far sends slipped behind the schedule,
//! and delivery (each acknowledged message exactly once at its assignee, at nobody else, and
//! once on its visitor's own stream). Latencies go into HDR histograms.
use crate::http::{error_label, Session, REQUEST_TIMEOUT};
use crate::now_ns;
use crate::seed::Visitor;
use crate::servers::CpuMeter;
use crate::sse::{self, Parser};
use crate::stats::{ms, Percentiles};
use reqwest::header;
use std::collections::BTreeMap;
use std::sync::atomic::{
    AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

/// One message's fate.
#[derive(Default)]
struct Record {
    /// Which visitor (index into the phase's senders) sent it; its assignee is
    /// `visitor % agents`.
    visitor: AtomicU32,
    /// ns since start when the schedule said to send it.
    due: AtomicU64,
    /// ns since start when the POST was about to be sent (0: never sent).
    sent: AtomicU64,
    /// ns since start when the POST's answer came.
    answered: AtomicU64,
    /// HTTP status, or 0 for a failure on the wire.
    status: AtomicU32,
    /// When the assignee's stream delivered it first.
    delivered: AtomicU64,
    /// How often the assignee's stream delivered it.
    at_assignee: AtomicU32,
    /// How often any other agent's stream delivered it.
    elsewhere: AtomicU32,
    /// How often its own visitor's stream delivered it.
    at_visitor: AtomicU32,
    /// How often another visitor's stream delivered it (a leak).
    other_visitor: AtomicU32,
}

/// Event counts over all agent streams.
#[derive(Default)]
pub struct StreamCounts {
    pub message: AtomicU64,
    pub conversation: AtomicU64,
    pub counts: AtomicU64,
    pub hidden: AtomicU64,
    pub other: AtomicU64,
    pub denied: AtomicU64,
    pub reconnects: AtomicU64,
    /// Messages with one of our client ids that matched no record.
    pub unknown: AtomicU64,
    /// The same on the visitors' streams.
    pub visitor_unknown: AtomicU64,
    /// When any agent stream last got an event (to wait until seeding has settled).
    pub last_event: AtomicU64,
}

/// The records of every message a run may send, and the agent streams' counters.
pub struct Tracker {
    records: Vec<Record>,
    /// How many agents: visitor `v`'s conversation is assigned to agent `v % agents`.
    agents: u32,
    pub streams: StreamCounts,
}

impl Tracker {
    pub fn new(capacity: u64, agents: u32) -> Self {
        Self {
            records: (0..capacity).map(|_| Record::default()).collect(),
            agents,
            streams: StreamCounts::default(),
        }
    }

    /// Agent `agent`'s stream delivered an event.
    fn on_event(&self, agent: u32, e: sse::Event<'_>) {
        let s = &self.streams;
        s.last_event.store(now_ns(), Relaxed);
        let counter = match e.name {
            b"message" | b"" => &s.message,
            b"conversation" => &s.conversation,
            b"counts" => &s.counts,
            b"hidden" => &s.hidden,
            b"denied" => &s.denied,
            _ => &s.other,
        };
        counter.fetch_add(1, Relaxed);
        if !matches!(e.name, b"message" | b"") {
            return;
        }
        let Some(n) = sse::json_str(e.data, "client_id")
            .and_then(|id| id.strip_prefix(b"lg"))
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return; // a bot message, or someone else's
        };
        let Some(r) = self.records.get(n).filter(|r| r.sent.load(Acquire) != 0) else {
            s.unknown.fetch_add(1, Relaxed);
            return;
        };
        if r.visitor.load(Relaxed) % self.agents == agent {
            if r.at_assignee.fetch_add(1, Relaxed) == 0 {
                r.delivered.store(now_ns(), Relaxed);
            }
        } else {
            r.elsewhere.fetch_add(1, Relaxed);
        }
    }
}

impl Tracker {
    /// Visitor `visitor`'s own stream delivered an event.
    fn on_visitor_event(&self, visitor: u32, e: sse::Event<'_>) {
        if !matches!(e.name, b"message" | b"") {
            return;
        }
        let Some(n) = sse::json_str(e.data, "client_id")
            .and_then(|id| id.strip_prefix(b"lg"))
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return;
        };
        let Some(r) = self.records.get(n).filter(|r| r.sent.load(Acquire) != 0) else {
            self.streams.visitor_unknown.fetch_add(1, Relaxed);
            return;
        };
        if r.visitor.load(Relaxed) == visitor {
            r.at_visitor.fetch_add(1, Relaxed);
        } else {
            r.other_visitor.fetch_add(1, Relaxed);
        }
    }
}

/// Holds agent `agent`'s `/api/events` like the inbox page does, resuming with
/// Last-Event-ID when the stream ends. `ready` fires once the first stream is open.
pub fn follow_agent(
    agent: u32,
    session: Session,
    tracker: Arc<Tracker>,
    ready: oneshot::Sender<Result<(), String>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ready = Some(ready);
        let mut parser = Parser::default();
        loop {
            let mut req = session
                .get("/api/events")
                .header(header::ACCEPT, "text/event-stream");
            if let Some(id) = parser.last_id {
                req = req.header("last-event-id", id.to_string());
            }
            let mut r = match req.send().await {
                Ok(r) if r.status().is_success() => r,
                Ok(r) => {
                    let msg = format!("agent {agent}: /api/events answered {}", r.status());
                    match ready.take() {
                        Some(tx) => {
                            let _ = tx.send(Err(msg));
                            return;
                        }
                        None => eprintln!("loadgen: {msg}"),
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(e) => {
                    let msg = format!("agent {agent}: /api/events: {e}");
                    match ready.take() {
                        Some(tx) => {
                            let _ = tx.send(Err(msg));
                            return;
                        }
                        None => eprintln!("loadgen: {msg}"),
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Some(tx) = ready.take() {
                let _ = tx.send(Ok(()));
            }
            parser.drop_partial();
            while let Ok(Some(chunk)) = r.chunk().await {
                parser.feed(&chunk, |e| tracker.on_event(agent, e));
            }
            tracker.streams.reconnects.fetch_add(1, Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

/// Holds visitor `index`'s `/api/visitor/events` open, as the open widget does, and checks
/// what it brings: each of this visitor's messages once, nobody else's. Counts a stream that
/// ends or is refused.
pub fn hold_visitor_stream(
    base: &str,
    index: u32,
    v: &Visitor,
    tracker: Arc<Tracker>,
    closed: Arc<AtomicU64>,
    ready: oneshot::Sender<Result<(), String>>,
) -> JoinHandle<()> {
    let url = format!(
        "{base}/api/visitor/events?c={}&t={}&after={}",
        v.conversation_id, v.token, v.last_event_id
    );
    let client = v.client.clone();
    tokio::spawn(async move {
        let r = client
            .get(&url)
            .header(header::ACCEPT, "text/event-stream")
            .send()
            .await;
        let mut r = match r {
            Ok(r) if r.status().is_success() => {
                let _ = ready.send(Ok(()));
                r
            }
            Ok(r) => {
                let _ = ready.send(Err(format!("visitor stream answered {}", r.status())));
                closed.fetch_add(1, Relaxed);
                return;
            }
            Err(e) => {
                let _ = ready.send(Err(format!("visitor stream: {e:?}")));
                closed.fetch_add(1, Relaxed);
                return;
            }
        };
        let mut parser = Parser::default();
        while let Ok(Some(chunk)) = r.chunk().await {
            parser.feed(&chunk, |e| tracker.on_visitor_event(index, e));
        }
        closed.fetch_add(1, Relaxed);
    })
}

/// Who sends: visitors (index into the scene's list) whose conversation their agent took.
pub struct Senders<'a> {
    pub base: &'a str,
    pub visitors: &'a [Visitor],
    /// Visitor numbers, in sending order (round robin, so consecutive messages go to
    /// different agents).
    pub order: Vec<u32>,
    /// Per visitor: (start ns, count) of its current per-visitor rate-limit window, as
    /// the server counts it (60 per minute per token, fixed window).
    windows: Mutex<Vec<(u64, u32)>>,
}

/// The server's per-visitor limit, less a margin.
const PER_VISITOR_PER_MINUTE: u32 = 57;
const MINUTE_NS: u64 = 60_000_000_000;

impl<'a> Senders<'a> {
    pub fn new(base: &'a str, visitors: &'a [Visitor], order: Vec<u32>) -> Self {
        let windows = Mutex::new(vec![(0, 0); visitors.len()]);
        Self {
            base,
            visitors,
            order,
            windows,
        }
    }

    /// Waits, if needed, until every visitor can send `per_visitor` more messages within
    /// the server's per-visitor limit.
    async fn make_room(&self, per_visitor: u32) {
        let wait_until = {
            let w = self.windows.lock().expect("windows");
            w.iter()
                .filter(|(start, n)| *start != 0 && n + per_visitor > PER_VISITOR_PER_MINUTE)
                .map(|(start, _)| start + MINUTE_NS + 1_500_000_000)
                .max()
        };
        if let Some(t) = wait_until {
            let now = now_ns();
            if t > now {
                let secs = (t - now) as f64 / 1e9;
                eprintln!(
                    "loadgen: waiting {secs:.0} s for the per-visitor rate-limit windows to pass"
                );
                tokio::time::sleep(Duration::from_nanos(t - now)).await;
            }
            let mut w = self.windows.lock().expect("windows");
            w.iter_mut().for_each(|x| *x = (0, 0));
        }
    }

    fn count(&self, visitor: u32, at: u64) {
        let mut w = self.windows.lock().expect("windows");
        let (start, n) = &mut w[visitor as usize];
        if *start == 0 || at.saturating_sub(*start) >= MINUTE_NS {
            *start = at;
            *n = 0;
        }
        *n += 1;
    }
}

/// What one send phase measured.
pub struct PhaseResult {
    pub rate: u32,
    /// Messages sent (POSTs started).
    pub sent: u64,
    /// Acknowledged (2xx).
    pub acked: u64,
    /// Failed POSTs by status or kind.
    pub errors: BTreeMap<String, u64>,
    /// Acknowledged per second over the phase (first POST to last answer).
    pub achieved: f64,
    /// When it was due → the assignee's event, over acknowledged messages that arrived (ns).
    pub latency: Percentiles,
    /// How far the POSTs started behind their schedule (ns).
    pub slip: Percentiles,
    /// The same for messages sent in the phase's first and second half.
    pub halves: (Percentiles, Percentiles),
    /// POST round trip (ns), for comparison.
    pub post_latency: Percentiles,
    /// Acknowledged but never delivered to the assignee.
    pub lost: u64,
    /// Delivered to the assignee more than once.
    pub duplicated: u64,
    /// Delivered to another agent.
    pub elsewhere: u64,
    /// Not acknowledged, but delivered anyway (e.g. the answer timed out).
    pub unacked_delivered: u64,
    /// Acknowledged, but not on its own visitor's stream / more than once there.
    pub visitor_lost: u64,
    pub visitor_duplicated: u64,
    /// Delivered to another visitor's stream.
    pub visitor_elsewhere: u64,
    /// Whether the visitors' streams were open to check.
    pub visitor_streams: bool,
    /// The schedule fell behind because `MAX_IN_FLIGHT` requests were outstanding.
    pub held_back: bool,
    /// CPU use during the phase (cores busy): the servers', the load generator's, and the
    /// whole machine's.
    pub cpu: Vec<Option<f64>>,
}

/// "server 1.52, loadgen 0.31, machine 1.98" from a phase's CPU figures.
pub fn cpu_text(cpu: &[Option<f64>]) -> String {
    let f = |c: &Option<f64>| c.map_or("?".into(), |c| format!("{c:.2}"));
    let [servers @ .., own, machine] = cpu else {
        return String::new();
    };
    let servers = if servers.is_empty() {
        String::new()
    } else {
        format!(
            "server {}, ",
            servers.iter().map(f).collect::<Vec<_>>().join("+")
        )
    };
    format!("{servers}loadgen {}, machine {}", f(own), f(machine))
}

impl PhaseResult {
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "0".into();
        }
        self.errors
            .iter()
            .map(|(k, v)| format!("{v}×{k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Saturated: the server did not keep up with the rate, or p99 is past the bar.
    pub fn saturated(&self) -> bool {
        self.achieved < 0.95 * self.rate as f64 || ms(self.latency.p99) > 50.0
    }
}

/// At most this many POSTs outstanding; past it the schedule waits (and says so).
const MAX_IN_FLIGHT: usize = 4096;

/// Sends `rate` messages per second for `seconds`, using records `first..`; returns what it
/// measured. Records must not be reused across phases.
pub async fn phase(
    tracker: &Arc<Tracker>,
    senders: &Senders<'_>,
    first: u64,
    rate: u32,
    seconds: u32,
    server_pids: &[u32],
    visitor_streams: bool,
) -> PhaseResult {
    let count = rate as u64 * seconds as u64;
    let per_visitor = count.div_ceil(senders.order.len().max(1) as u64) as u32;
    senders.make_room(per_visitor).await;
    let mut pids = server_pids.to_vec();
    pids.push(std::process::id());
    let cpu = CpuMeter::start(pids);
    let gate = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let url: Arc<str> = format!("{}/api/visitor/messages", senders.base).into();
    let interval = 1e9 / rate as f64;
    let start = now_ns();
    let mut held_back = false;
    let mut tasks = Vec::with_capacity(count as usize);
    for k in 0..count {
        let due = start + (k as f64 * interval) as u64;
        let now = now_ns();
        if due > now + 200_000 {
            tokio::time::sleep(Duration::from_nanos(due - now)).await;
        }
        let permit = match gate.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                held_back = true;
                gate.clone().acquire_owned().await.expect("semaphore")
            }
        };
        let n = first + k;
        let visitor = senders.order[(k % senders.order.len() as u64) as usize];
        let v = &senders.visitors[visitor as usize];
        let body = format!(
            r#"{{"token":"{}","conversation_id":"{}","body":"Hello from visitor {visitor}, message {n}","client_id":"lg{n}"}}"#,
            v.token, v.conversation_id
        );
        let client = v.client.clone();
        let (tracker, url) = (tracker.clone(), url.clone());
        let at = now_ns();
        senders.count(visitor, at);
        tasks.push(tokio::spawn(async move {
            let r = &tracker.records[n as usize];
            r.visitor.store(visitor, Relaxed);
            r.due.store(due, Relaxed);
            r.sent.store(now_ns(), Release);
            let res = client
                .post(&*url)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .timeout(REQUEST_TIMEOUT)
                .send()
                .await;
            let outcome = match res {
                Ok(resp) => {
                    let status = resp.status().as_u16() as u32;
                    match resp.bytes().await {
                        Ok(_) => Ok(status),
                        Err(e) => Err(error_label(&e)),
                    }
                }
                Err(e) => Err(error_label(&e)),
            };
            r.answered.store(now_ns(), Relaxed);
            drop(permit);
            match outcome {
                Ok(status) => {
                    r.status.store(status, Relaxed);
                    None
                }
                Err(label) => Some(label),
            }
        }));
    }
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        if let Ok(Some(label)) = t.await {
            *errors.entry(label.to_string()).or_default() += 1;
        }
    }
    let cpu = cpu.read();
    let range = first as usize..(first + count) as usize;
    let records = &tracker.records[range];
    // Stragglers: until every acknowledged message reached its assignee, or 10 s.
    let deadline = now_ns() + 10_000_000_000;
    while now_ns() < deadline {
        let waiting = records.iter().any(|r| {
            (200..300).contains(&r.status.load(Relaxed))
                && (r.at_assignee.load(Relaxed) == 0
                    || (visitor_streams && r.at_visitor.load(Relaxed) == 0))
        });
        if !waiting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A little longer, so a duplicate or a misdelivery has time to show.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut latencies = Percentiles::histogram();
    let mut halves = (Percentiles::histogram(), Percentiles::histogram());
    let mut slips = Percentiles::histogram();
    let middle = start + seconds as u64 * 500_000_000;
    let mut posts = Percentiles::histogram();
    let (mut acked, mut lost, mut duplicated, mut elsewhere, mut unacked_delivered) =
        (0, 0, 0, 0, 0);
    let (mut visitor_lost, mut visitor_duplicated, mut visitor_elsewhere) = (0, 0, 0);
    let mut last_answer = start;
    for r in records {
        let status = r.status.load(Relaxed);
        let due = r.due.load(Relaxed);
        let sent = r.sent.load(Relaxed);
        let answered = r.answered.load(Relaxed);
        last_answer = last_answer.max(answered);
        Percentiles::record(&mut slips, sent.saturating_sub(due));
        let at = r.at_assignee.load(Relaxed);
        if r.elsewhere.load(Relaxed) > 0 {
            elsewhere += 1;
        }
        if r.other_visitor.load(Relaxed) > 0 {
            visitor_elsewhere += 1;
        }
        if answered > sent && status != 0 {
            Percentiles::record(&mut posts, answered - sent);
        }
        if (200..300).contains(&status) {
            acked += 1;
            match at {
                0 => lost += 1,
                1 => {}
                _ => duplicated += 1,
            }
            if visitor_streams {
                match r.at_visitor.load(Relaxed) {
                    0 => visitor_lost += 1,
                    1 => {}
                    _ => visitor_duplicated += 1,
                }
            }
            if at > 0 {
                let took = r.delivered.load(Relaxed).saturating_sub(due);
                Percentiles::record(&mut latencies, took);
                if due < middle {
                    Percentiles::record(&mut halves.0, took);
                } else {
                    Percentiles::record(&mut halves.1, took);
                }
            }
        } else {
            if status != 0 {
                *errors.entry(status.to_string()).or_default() += 1;
            }
            if at > 0 {
                unacked_delivered += 1;
            }
        }
    }
    let elapsed = last_answer.saturating_sub(start).max(1) as f64 / 1e9;
    PhaseResult {
        rate,
        sent: count,
        acked,
        errors,
        achieved: acked as f64 / elapsed,
        latency: Percentiles::from_histogram(&latencies),
        slip: Percentiles::from_histogram(&slips),
        halves: (
            Percentiles::from_histogram(&halves.0),
            Percentiles::from_histogram(&halves.1),
        ),
        post_latency: Percentiles::from_histogram(&posts),
        lost,
        duplicated,
        elsewhere,
        unacked_delivered,
        visitor_lost,
        visitor_duplicated,
        visitor_elsewhere,
        visitor_streams,
        held_back,
        cpu,
    }
}

/// Waits until the agent streams have been quiet for `quiet` (seeding's events all read),
/// at most `max`.
pub async fn settle(tracker: &Tracker, quiet: Duration, max: Duration) {
    let until = now_ns() + max.as_nanos() as u64;
    loop {
        let last = tracker.streams.last_event.load(Relaxed);
        let now = now_ns();
        if now >= until || now.saturating_sub(last) >= quiet.as_nanos() as u64 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
