//! `loadgen`: drives a real Leadline server over HTTP the way visitors and agents do and
//! checks the budgets of the product spec it can measure from outside:
//!
//! - B4 the server's VmRSS right after start-up, set up and idle;
//! - B2 visitor message → the assigned agent's `message` event, with every acknowledged
//!   message delivered once to its agent and to nobody else (`b2`), and optionally the same
//!   at several rates (`--curve`);
//! - B6 a flood of wrong logins beside B2's send phase (`flood`);
//! - B3 server memory per idle visitor event stream (`b3`).
//!
//! It starts the release `leadline` itself on a fresh database (SQLite, or PostgreSQL with
//! `--postgres`, one or two servers), or uses `--target` servers. It prints a table of
//! budgets and exits 1 when one misses. Run on demand, e.g.:
//!
//! ```sh
//! CARGO_TARGET_DIR=/var/cache/leadline/target \
//!   cargo build --release -p server --bin loadgen --bin leadline
//! /var/cache/leadline/target/release/loadgen                 # B4, B2 + B6, B3
//! /var/cache/leadline/target/release/loadgen --only b2 --curve 250,500,1000,2000,4000
//! ```
mod b2;
mod b3;
mod flood;
mod http;
mod seed;
mod servers;
mod sse;
mod stats;

use clap::Parser;
use http::Res;
use servers::{Database, Server};
use stats::{fmt_mib, fmt_ms, ms, Row};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

#[derive(Parser, Debug)]
#[command(
    name = "loadgen",
    about = "Load generator for Leadline: checks budgets B2, B3, B4 and B6 over HTTP"
)]
struct Args {
    /// The server binary to start (default $CARGO_TARGET_DIR/release/leadline, with
    /// CARGO_TARGET_DIR defaulting to /var/cache/leadline/target).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Use running servers instead (comma-separated; visitors use the first, agents the
    /// last). Memory figures are skipped.
    #[arg(long, value_delimiter = ',')]
    target: Vec<String>,
    /// PostgreSQL server URL (trust auth); each scenario gets a fresh database on it.
    /// Without it, SQLite in a fresh temp folder.
    #[arg(long)]
    postgres: Option<String>,
    /// Server processes on the one database (2 needs --postgres): visitors talk to the
    /// first, agents to the second.
    #[arg(long, default_value_t = 1)]
    servers: usize,
    /// B2: agents signed in, online, each holding /api/events.
    #[arg(long, default_value_t = 200)]
    agents: u32,
    /// B2: visitor conversations, taken by the agents evenly.
    #[arg(long, default_value_t = 2000)]
    conversations: u32,
    /// B2: visitor messages per second, all visitors together.
    #[arg(long, default_value_t = 500)]
    rate: u32,
    /// B2: length of the send phase.
    #[arg(long, default_value_t = 20)]
    seconds: u32,
    /// B2: also run the send phase at each of these rates (e.g. 250,500,1000,2000,4000).
    #[arg(long, value_delimiter = ',')]
    curve: Vec<u32>,
    /// B2: leave the visitors' own event streams closed (by default each visitor holds
    /// one, as the open widget does).
    #[arg(long)]
    no_visitor_streams: bool,
    /// B3: idle visitor event streams to open.
    #[arg(long, default_value_t = 19_000)]
    idle_streams: u32,
    /// B3: how long to hold them idle before reading memory (one heartbeat is 15 s).
    #[arg(long, default_value_t = 16)]
    idle_hold: u64,
    /// B6: wrong-password logins per second beside B2's send phase (0: none).
    #[arg(long, default_value_t = 500)]
    login_flood: u32,
    /// B6: source addresses the flood comes from.
    #[arg(long, default_value_t = 5)]
    flood_addresses: u32,
    /// Sub-runs to do: b4, b2, b6, b3, curve (default: b4,b2,b6,b3, and curve when --curve
    /// is given; b6 only when --login-flood > 0).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// With --target: the admin to set up, or to sign in as when set up already.
    #[arg(long, default_value = "ada@example.com")]
    admin_email: String,
    #[arg(long, default_value = "admin-password")]
    admin_password: String,
    /// Keep the temp folders and PostgreSQL databases (and server logs).
    #[arg(long)]
    keep: bool,
}

static START: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the load generator started (one monotonic clock for every figure).
pub fn now_ns() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Source address numbers for each kind of client (never overlapping).
const B2_VISITORS: u32 = 0;
const FLOOD: u32 = 200_000;
const B3_VISITORS: u32 = 300_000;

/// What the run found.
#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
    curve: Vec<b2::PhaseResult>,
}

impl Report {
    fn failed(&mut self, budget: &str, what: &str, e: String) {
        eprintln!("loadgen: {budget}: {e}");
        self.rows.push(Row::new(
            budget,
            what,
            "runs",
            format!("error: {e}"),
            Some(false),
        ));
    }
}

/// The servers a scenario talks to, started for it or given. Dropping it stops the
/// servers it started and removes their data (unless `--keep`).
struct Stage {
    db: Option<Database>,
    servers: Vec<Server>,
    bases: Vec<String>,
    keep: bool,
}

impl Stage {
    async fn new(args: &Args, tag: &str) -> Res<Self> {
        if !args.target.is_empty() {
            return Ok(Self {
                db: None,
                servers: Vec::new(),
                keep: args.keep,
                bases: args
                    .target
                    .iter()
                    .map(|t| t.trim_end_matches('/').to_string())
                    .collect(),
            });
        }
        let db = match &args.postgres {
            Some(url) => Database::postgres(url, tag)?,
            None => Database::sqlite(tag)?,
        };
        let bin = server_bin(args);
        let mut stage = Self {
            db: Some(db),
            servers: Vec::new(),
            bases: Vec::new(),
            keep: args.keep,
        };
        for n in 1..=args.servers {
            // One at a time: the first runs the migrations.
            let db = stage.db.as_ref().expect("a database");
            let s = Server::start(&bin, db, n).await?;
            stage.bases.push(s.base.clone());
            stage.servers.push(s);
        }
        Ok(stage)
    }

    fn visitor_base(&self) -> &str {
        &self.bases[0]
    }

    fn agent_base(&self) -> &str {
        self.bases.last().expect("a server")
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        for s in &mut self.servers {
            if !s.alive() {
                eprintln!(
                    "loadgen: server {} died during the run; its log {}:\n{}",
                    s.base,
                    s.log.display(),
                    servers::tail(&s.log)
                );
            }
            s.stop();
        }
        if let Some(db) = self.db.take() {
            if self.keep {
                eprintln!("loadgen: kept the data (--keep)");
            } else {
                db.remove();
            }
        }
    }
}

fn server_bin(args: &Args) -> PathBuf {
    args.server_bin.clone().unwrap_or_else(|| {
        let target = std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| "/var/cache/leadline/target".into());
        PathBuf::from(target).join("release").join("leadline")
    })
}

/// B4, then B2 (with the B6 flood beside it) and the curve, on one set of servers.
async fn run_b2(args: &Args, only: &BTreeSet<String>, report: &mut Report) -> Res<()> {
    let stage = Stage::new(args, "b2").await?;
    b2_on(args, only, report, &stage).await
}

async fn b2_on(
    args: &Args,
    only: &BTreeSet<String>,
    report: &mut Report,
    stage: &Stage,
) -> Res<()> {
    let company = seed::company(
        stage.agent_base(),
        &args.admin_email,
        &args.admin_password,
        3600,
    )
    .await?;
    if only.contains("b4") {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if stage.servers.is_empty() {
            report.rows.push(Row::new(
                "B4",
                "idle server memory after start-up",
                "≤60 MB",
                "skipped (--target)",
                None,
            ));
        } else {
            let rss: Vec<Option<u64>> = stage.servers.iter().map(|s| s.rss_kib()).collect();
            let ok = rss.iter().all(|r| r.is_some_and(|k| k <= 60 * 1024));
            let text = rss
                .iter()
                .map(|r| r.map_or("?".into(), fmt_mib))
                .collect::<Vec<_>>()
                .join(" / ");
            report.rows.push(Row::new(
                "B4",
                "idle server memory after start-up (set up, idle)",
                "≤60 MB",
                text,
                Some(ok),
            ));
        }
    }
    let send = only.contains("b2") || only.contains("b6");
    if !send && !only.contains("curve") {
        return Ok(());
    }

    let t = Instant::now();
    let tag = format!("{}{}", std::process::id(), now_ns() % 1_000_000);
    eprintln!("loadgen: B2: adding {} agents", args.agents);
    let agents = seed::agents(&company.admin, stage.agent_base(), args.agents, &tag).await?;
    let mut capacity = if send {
        args.rate as u64 * args.seconds as u64
    } else {
        0
    };
    capacity += args
        .curve
        .iter()
        .map(|r| *r as u64 * args.seconds as u64)
        .sum::<u64>();
    let tracker = Arc::new(b2::Tracker::new(capacity, args.agents));
    let mut streams = Vec::new();
    let mut ready = Vec::new();
    for (i, a) in agents.iter().enumerate() {
        let (tx, rx) = oneshot::channel();
        streams.push(b2::follow_agent(i as u32, a.clone(), tracker.clone(), tx));
        ready.push(rx);
    }
    for r in ready {
        r.await.map_err(|e| e.to_string())??;
    }
    eprintln!(
        "loadgen: B2: {} agents online with their streams open ({:.1} s); starting {} conversations",
        args.agents,
        t.elapsed().as_secs_f64(),
        args.conversations
    );
    let t = Instant::now();
    let clients = seed::address_clients(B2_VISITORS, args.conversations, 2);
    let visitors = seed::start_visitors(
        stage.visitor_base(),
        &company.key,
        &clients,
        1,
        args.conversations,
        16,
    )
    .await?;
    drop(clients);
    let waiting = visitors.iter().filter(|v| v.state == "waiting").count();
    eprintln!(
        "loadgen: B2: {} conversations started in {:.1} s ({waiting} waiting for an agent)",
        visitors.len(),
        t.elapsed().as_secs_f64()
    );
    let visitor_streams_closed = Arc::new(AtomicU64::new(0));
    if !args.no_visitor_streams {
        let mut ready = Vec::new();
        for (i, v) in visitors.iter().enumerate() {
            let (tx, rx) = oneshot::channel();
            streams.push(b2::hold_visitor_stream(
                stage.visitor_base(),
                i as u32,
                v,
                tracker.clone(),
                visitor_streams_closed.clone(),
                tx,
            ));
            ready.push(rx);
        }
        for r in ready {
            r.await.map_err(|e| e.to_string())??;
        }
    }
    let t = Instant::now();
    let assigned = seed::assign(&agents, &visitors).await?;
    let order: Vec<u32> = (0..visitors.len() as u32)
        .filter(|i| assigned[*i as usize])
        .collect();
    eprintln!(
        "loadgen: B2: {} of {} conversations taken by their agent in {:.1} s; waiting for the streams to settle",
        order.len(),
        visitors.len(),
        t.elapsed().as_secs_f64()
    );
    if order.is_empty() {
        return Err("no conversation could be assigned".into());
    }
    b2::settle(&tracker, Duration::from_secs(2), Duration::from_secs(120)).await;
    let senders = b2::Senders::new(stage.visitor_base(), &visitors, order);
    let pids: Vec<u32> = stage.servers.iter().map(|s| s.pid).collect();
    let mut first = 0;

    if send {
        let flood_on = only.contains("b6") && args.login_flood > 0;
        let (stop_tx, stop_rx) = watch::channel(false);
        let flood = flood_on.then(|| {
            let base = stage.agent_base().to_string();
            let (rate, addrs) = (args.login_flood, args.flood_addresses);
            tokio::spawn(async move { flood::flood(&base, rate, addrs, FLOOD, stop_rx).await })
        });
        eprintln!(
            "loadgen: B2: sending {}/s for {} s{}",
            args.rate,
            args.seconds,
            if flood_on {
                format!(" beside a login flood of {}/s", args.login_flood)
            } else {
                String::new()
            }
        );
        let r = b2::phase(
            &tracker,
            &senders,
            first,
            args.rate,
            args.seconds,
            &pids,
            !args.no_visitor_streams,
        )
        .await;
        first += r.sent;
        let _ = stop_tx.send(true);
        let flood = match flood {
            Some(f) => Some(f.await.map_err(|e| e.to_string())?),
            None => None,
        };
        b2_rows(args, report, &r, flood.is_some(), stage.servers.len());
        report.notes.push(format!(
            "B2: CPU while sending (cores busy): {}; latency of the first half {}, of the second half {}",
            b2::cpu_text(&r.cpu),
            r.halves.0.text(),
            r.halves.1.text(),
        ));
        report.notes.push(format!(
            "B2: sends slipped behind their schedule {}; POST /api/visitor/messages round trip {}; agent streams got {} message, {} conversation, {} counts, {} hidden events, {} reconnects, {} denied, {} messages with our client ids that no record knows; visitor streams ended: {}, unknown messages on them: {}",
            r.slip.text(),
            r.post_latency.text(),
            tracker.streams.message.load(Relaxed),
            tracker.streams.conversation.load(Relaxed),
            tracker.streams.counts.load(Relaxed),
            tracker.streams.hidden.load(Relaxed),
            tracker.streams.reconnects.load(Relaxed),
            tracker.streams.denied.load(Relaxed),
            tracker.streams.unknown.load(Relaxed),
            visitor_streams_closed.load(Relaxed),
            tracker.streams.visitor_unknown.load(Relaxed),
        ));
        if let Some(f) = flood {
            let ok = ms(r.latency.p99) <= 50.0
                && !f.queue_grows()
                && f.achieved >= 0.9 * f.rate as f64
                && f.skipped == 0;
            report.rows.push(Row::new(
                "B6",
                format!(
                    "login flood @{}/s from {} addresses beside B2",
                    f.rate, args.flood_addresses
                ),
                "B2 p99≤50, no growing queue",
                format!(
                    "B2 p99 {}; flood {:.0}/s answered, {:.0}% 429, p99 {} (last ¼ {})",
                    fmt_ms(r.latency.p99),
                    f.achieved,
                    100.0 * f.share("429"),
                    fmt_ms(f.latency.p99),
                    fmt_ms(f.late.p99)
                ),
                Some(ok),
            ));
            report.notes.push(format!(
                "B6: {} logins sent, {} answered: {}; latency {} (2nd ¼ p99 {}, last ¼ p99 {}){}",
                f.sent,
                f.answered,
                f.statuses_text(),
                f.latency.text(),
                fmt_ms(f.early.p99),
                fmt_ms(f.late.p99),
                if f.skipped > 0 {
                    format!("; {} not sent (too many outstanding)", f.skipped)
                } else {
                    String::new()
                }
            ));
            if f.slow.0 > 0 {
                report.notes.push(format!(
                    "B6: {} logins took over 1 s, sent between {:.1} s and {:.1} s into the flood",
                    f.slow.0, f.slow.1, f.slow.2
                ));
            }
        }
    }
    for &rate in &args.curve {
        eprintln!("loadgen: curve: sending {rate}/s for {} s", args.seconds);
        let r = b2::phase(
            &tracker,
            &senders,
            first,
            rate,
            args.seconds,
            &pids,
            !args.no_visitor_streams,
        )
        .await;
        first += r.sent;
        report.curve.push(r);
    }
    for s in streams {
        s.abort();
    }
    Ok(())
}

fn b2_rows(args: &Args, report: &mut Report, r: &b2::PhaseResult, flood: bool, servers: usize) {
    let what = format!(
        "message → agent event @{}/s, {} agents, {} conv.{}{}",
        r.rate,
        args.agents,
        args.conversations,
        if flood { ", login flood" } else { "" },
        if servers == 2 { ", 2 servers" } else { "" },
    );
    let ok = r.latency.count > 0 && ms(r.latency.p50) <= 10.0 && ms(r.latency.p99) <= 50.0;
    report.rows.push(Row::new(
        "B2",
        what,
        "p50≤10 p99≤50",
        r.latency.text(),
        Some(ok),
    ));
    let clean = r.lost == 0 && r.duplicated == 0 && r.elsewhere == 0;
    report.rows.push(Row::new(
        "B2",
        "each acknowledged message once, at its agent only",
        "0 lost/dup/elsewhere",
        format!(
            "{} acked: {} lost, {} dup, {} elsewhere",
            r.acked, r.lost, r.duplicated, r.elsewhere
        ),
        Some(clean && r.acked > 0),
    ));
    if r.visitor_streams {
        let clean = r.visitor_lost == 0 && r.visitor_duplicated == 0 && r.visitor_elsewhere == 0;
        report.rows.push(Row::new(
            "B2",
            "… and once on its own visitor's stream, on no other",
            "0 lost/dup/elsewhere",
            format!(
                "{} lost, {} dup, {} elsewhere",
                r.visitor_lost, r.visitor_duplicated, r.visitor_elsewhere
            ),
            Some(clean && r.acked > 0),
        ));
    }
    let rate_ok = r.achieved >= 0.95 * r.rate as f64 && r.errors_total() == 0;
    report.rows.push(Row::new(
        "B2",
        "send rate held, no errors",
        format!("≥{:.0}/s, 0 errors", 0.95 * r.rate as f64).as_str(),
        format!(
            "{:.0}/s, {} errors{}",
            r.achieved,
            r.errors_text(),
            if r.held_back {
                " (schedule held back)"
            } else {
                ""
            }
        ),
        Some(rate_ok),
    ));
    if r.unacked_delivered > 0 {
        report.notes.push(format!(
            "B2: {} messages were not acknowledged but reached their agent",
            r.unacked_delivered
        ));
    }
}

/// B3 on its own fresh server.
async fn run_b3(args: &Args, report: &mut Report) -> Res<()> {
    let in_use = servers::open_fds() as u64;
    let limit = servers::raise_fd_limit();
    // Each stream is a socket here; leave room for the address clients and the rest.
    let room = limit.saturating_sub(in_use + 400 + limit / 100);
    let addresses = |n: u32| n.div_ceil(b3::PER_ADDRESS) as u64;
    let mut n = args.idle_streams;
    while n > 0 && n as u64 + addresses(n) > room {
        n -= 100.min(n);
    }
    if n < args.idle_streams {
        report.notes.push(format!(
            "B3: {} streams asked, {n} opened: the open-file limit here is {limit}",
            args.idle_streams
        ));
    }
    let stage = Stage::new(args, "b3").await?;
    b3_on(args, report, &stage, n).await
}

async fn b3_on(args: &Args, report: &mut Report, stage: &Stage, n: u32) -> Res<()> {
    let company = seed::company(
        stage.visitor_base(),
        &args.admin_email,
        &args.admin_password,
        3600,
    )
    .await?;
    let pid = stage.servers.first().map(|s| s.pid);
    let r = b3::idle_streams(
        stage.visitor_base(),
        &company.key,
        n,
        B3_VISITORS,
        pid,
        Duration::from_secs(args.idle_hold),
    )
    .await?;
    let open = (r.opened as u64).saturating_sub(r.closed);
    let all_open = open == r.requested as u64 && r.refused.is_empty();
    let what = format!("idle visitor event streams: {open} of {} open", r.requested);
    match (r.per_stream(), r.before, r.after) {
        (Some(per), Some(b), Some(a)) => report.rows.push(Row::new(
            "B3",
            what,
            "≤16 KiB/stream",
            format!("{per:.1} KiB ({}→{})", fmt_mib(b), fmt_mib(a)),
            Some(per <= 16.0 && all_open),
        )),
        _ => report.rows.push(Row::new(
            "B3",
            what,
            "≤16 KiB/stream",
            "memory skipped (--target)",
            if all_open { None } else { Some(false) },
        )),
    }
    report.notes.push(format!(
        "B3: conversations started in {:.1} s, streams opened in {:.1} s; {} refused{}; loadgen itself: {} open files, {}",
        r.start_secs,
        r.open_secs,
        r.refused.len(),
        r.refused
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
        r.own_fds,
        r.own_rss.map_or("?".into(), fmt_mib),
    ));
    Ok(())
}

fn curve_table(curve: &[b2::PhaseResult]) -> String {
    let rows: Vec<Vec<String>> = curve
        .iter()
        .map(|r| {
            vec![
                format!("{}/s", r.rate),
                format!("{:.0}/s", r.achieved),
                fmt_ms(r.latency.p50),
                fmt_ms(r.latency.p99),
                fmt_ms(r.latency.max),
                fmt_ms(r.slip.p99),
                r.errors_text(),
                format!("{}/{}/{}", r.lost, r.duplicated, r.elsewhere),
                b2::cpu_text(&r.cpu),
                if r.saturated() { "yes" } else { "no" }.into(),
            ]
        })
        .collect();
    let mut out = stats::table(
        &[
            "rate",
            "achieved",
            "p50 ms",
            "p99 ms",
            "max ms",
            "slip p99",
            "errors",
            "lost/dup/elsewhere",
            "CPU (cores)",
            "saturated",
        ],
        &rows,
    );
    match curve.iter().find(|r| r.saturated()) {
        Some(r) => out.push_str(&format!(
            "saturates at {}/s (achieved {:.0}/s, p99 {} ms)\n",
            r.rate,
            r.achieved,
            fmt_ms(r.latency.p99)
        )),
        None => out.push_str(&format!(
            "no saturation up to {}/s\n",
            curve.iter().map(|r| r.rate).max().unwrap_or(0)
        )),
    }
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    now_ns();
    let args = Args::parse();
    let fd_limit = servers::raise_fd_limit();
    if args.servers == 0 || args.servers > 2 {
        eprintln!("loadgen: --servers is 1 or 2");
        return ExitCode::from(2);
    }
    if args.servers == 2 && args.postgres.is_none() && args.target.is_empty() {
        eprintln!("loadgen: --servers 2 needs --postgres (SQLite is one server's)");
        return ExitCode::from(2);
    }
    for t in &args.target {
        let host = t
            .split("://")
            .nth(1)
            .and_then(|r| r.split(['/', ':']).next())
            .unwrap_or("");
        if !(host.starts_with("127.") || host == "localhost") {
            eprintln!("loadgen: --target must be a loopback URL (http://127.0.0.1:PORT): {t}");
            return ExitCode::from(2);
        }
    }
    if args.agents == 0 || args.conversations == 0 || args.rate == 0 || args.seconds == 0 {
        eprintln!("loadgen: --agents, --conversations, --rate and --seconds must be positive");
        return ExitCode::from(2);
    }
    let mut only: BTreeSet<String> = args.only.iter().map(|s| s.trim().to_lowercase()).collect();
    if only.is_empty() {
        only.extend(["b4", "b2", "b3"].map(String::from));
        if args.login_flood > 0 {
            only.insert("b6".into());
        }
        if !args.curve.is_empty() {
            only.insert("curve".into());
        }
    }
    if let Some(bad) = only
        .iter()
        .find(|s| !["b2", "b3", "b4", "b6", "curve"].contains(&s.as_str()))
    {
        eprintln!("loadgen: --only takes b2, b3, b4, b6, curve; not {bad:?}");
        return ExitCode::from(2);
    }
    if only.contains("curve") && args.curve.is_empty() {
        eprintln!("loadgen: --only curve needs --curve RATES");
        return ExitCode::from(2);
    }
    if args.target.is_empty() && !server_bin(&args).exists() {
        eprintln!(
            "loadgen: no server binary at {} (build it: cargo build --release -p server --bin leadline)",
            server_bin(&args).display()
        );
        return ExitCode::from(2);
    }

    let mut report = Report::default();
    let runs = async {
        if ["b4", "b2", "b6", "curve"]
            .iter()
            .any(|s| only.contains(*s))
        {
            if let Err(e) = run_b2(&args, &only, &mut report).await {
                report.failed("B2", "message → agent event (seeding or run)", e);
            }
        }
        if only.contains("b3") {
            if let Err(e) = run_b3(&args, &mut report).await {
                report.failed("B3", "idle visitor event streams", e);
            }
        }
    };
    // Ctrl-C drops the run: its servers stop and their data goes (Stage's drop).
    tokio::select! {
        _ = runs => {}
        _ = tokio::signal::ctrl_c() => {
            eprintln!("loadgen: interrupted");
            return ExitCode::from(130);
        }
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let database = if !args.target.is_empty() {
        "database of the target server".to_string()
    } else if let Some(url) = &args.postgres {
        Database::postgres_version(url).unwrap_or_else(|| "PostgreSQL".into())
    } else {
        "SQLite (WAL, synchronous=FULL)".into()
    };
    let servers = if args.target.is_empty() {
        args.servers
    } else {
        args.target.len()
    };
    println!();
    println!(
        "Leadline load run — {cores} cores, {database}, {servers} server{} (open-file limit {fd_limit})",
        if servers == 1 { "" } else { "s" }
    );
    print!("{}", stats::budget_table(&report.rows));
    if !report.curve.is_empty() {
        println!();
        println!(
            "B2 curve ({} agents, {} conversations, {} s per rate; saturated: achieved < 95% of the rate or p99 > 50 ms)",
            args.agents, args.conversations, args.seconds
        );
        print!("{}", curve_table(&report.curve));
    }
    if !report.notes.is_empty() {
        println!();
        for n in &report.notes {
            println!("{n}");
        }
    }
    if report.rows.iter().any(|r| r.ok == Some(false)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
