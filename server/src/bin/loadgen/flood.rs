//! B6: a login flood beside B2's send phase. Wrong-password logins (`account/login`, as the
//! login page posts them, unknown emails so only the per-address limit stops them) at a
//! fixed rate from a handful of source addresses. Counts answers by status, measures their
//! latency over the whole flood and over its last quarter (a growing queue shows there),
//! and the rate actually answered.
use crate::http::{self, error_label, loopback, REQUEST_TIMEOUT};
use crate::now_ns;
use crate::stats::Percentiles;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

pub struct FloodResult {
    pub rate: u32,
    pub sent: u64,
    pub answered: u64,
    /// By status ("429", "422", …) or failure kind.
    pub statuses: BTreeMap<String, u64>,
    /// Answers per second while the flood ran.
    pub achieved: f64,
    pub latency: Percentiles,
    /// Latency of the requests sent in the flood's last quarter.
    pub late: Percentiles,
    /// Latency of the requests sent in its second quarter (after the limits are reached).
    pub early: Percentiles,
    /// Requests not sent because `MAX_IN_FLIGHT` were outstanding.
    pub skipped: u64,
    /// Answers slower than a second, and when (s into the flood) the first and last of
    /// them were sent.
    pub slow: (u64, f64, f64),
}

impl FloodResult {
    pub fn share(&self, status: &str) -> f64 {
        self.statuses.get(status).copied().unwrap_or(0) as f64 / self.answered.max(1) as f64
    }

    /// A queue grows: answers in the last quarter are much slower than in the second.
    pub fn queue_grows(&self) -> bool {
        self.late.p99 > 2 * self.early.p99 + 100_000_000
    }

    pub fn statuses_text(&self) -> String {
        self.statuses
            .iter()
            .map(|(k, v)| format!("{v}×{k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const MAX_IN_FLIGHT: usize = 5000;

/// Floods `base` with `rate` wrong logins per second from `addresses` source addresses
/// (numbers from `first_address` on) until `stop` turns true.
pub async fn flood(
    base: &str,
    rate: u32,
    addresses: u32,
    first_address: u32,
    mut stop: watch::Receiver<bool>,
) -> FloodResult {
    let clients: Vec<_> = (0..addresses)
        .map(|i| http::client(Some(loopback(first_address + i)), 64))
        .collect();
    let url: Arc<str> = format!("{base}/api/account/login").into();
    let gate = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let interval = 1e9 / rate as f64;
    let start = now_ns();
    let mut tasks = Vec::new();
    let mut skipped = 0;
    let mut k: u64 = 0;
    loop {
        let due = start + (k as f64 * interval) as u64;
        let now = now_ns();
        if due > now + 200_000 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_nanos(due - now)) => {}
                _ = stop.changed() => {}
            }
        }
        if *stop.borrow() {
            break;
        }
        let Ok(permit) = gate.clone().try_acquire_owned() else {
            skipped += 1;
            k += 1;
            continue;
        };
        let client = clients[(k % addresses as u64) as usize].clone();
        let url = url.clone();
        let form = format!("email=nobody{k}%40flood.example.com&password=wrong-password-{k}");
        tasks.push(tokio::spawn(async move {
            let sent = now_ns();
            let r = client
                .post(&*url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .body(form)
                .timeout(REQUEST_TIMEOUT * 2)
                .send()
                .await;
            let label = match r {
                Ok(r) => {
                    let s = r.status().as_u16().to_string();
                    match r.bytes().await {
                        Ok(_) => s,
                        Err(e) => error_label(&e).to_string(),
                    }
                }
                Err(e) => error_label(&e).to_string(),
            };
            drop(permit);
            (sent, now_ns() - sent, label)
        }));
        k += 1;
    }
    let end = now_ns();
    let span = end.saturating_sub(start).max(1);
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let (mut all, mut early, mut late) = (Vec::new(), Vec::new(), Vec::new());
    let mut answered = 0;
    let mut answered_in_time = 0;
    let mut slow = (0, f64::MAX, 0.0);
    for t in tasks {
        let Ok((sent, took, label)) = t.await else {
            continue;
        };
        if label.chars().all(|c| c.is_ascii_digit()) {
            answered += 1;
            if sent + took <= end {
                answered_in_time += 1;
            }
        }
        *statuses.entry(label).or_default() += 1;
        all.push(took);
        if took > 1_000_000_000 {
            let t = (sent - start) as f64 / 1e9;
            slow = (slow.0 + 1, slow.1.min(t), t.max(slow.2));
        }
        let at = (sent - start) as f64 / span as f64;
        if (0.25..0.5).contains(&at) {
            early.push(took);
        } else if at >= 0.75 {
            late.push(took);
        }
    }
    FloodResult {
        rate,
        sent: k - skipped,
        answered,
        statuses,
        achieved: answered_in_time as f64 / (span as f64 / 1e9),
        latency: Percentiles::of(all),
        late: Percentiles::of(late),
        early: Percentiles::of(early),
        skipped,
        slow,
    }
}
