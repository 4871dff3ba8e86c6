//! The servers under test: a fresh database (a SQLite folder, or a new PostgreSQL database),
//! one or two release `leadline` processes on it, their resident memory (VmRSS), and the
//! load generator's own open-file limit.
use crate::http::{Res, WithContext};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where a run keeps its data: made fresh for every scenario, removed afterwards.
pub enum Database {
    Sqlite {
        dir: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
        /// Server logs go here.
        dir: PathBuf,
    },
}

fn scratch_dir(tag: &str) -> Res<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "leadline-load-{}-{stamp}-{tag}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).context("create a temp dir")?;
    Ok(dir)
}

fn psql(url: &str, sql: &str) -> Res<String> {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
        .output()
        .context("run psql")?;
    if !out.status.success() {
        return Err(format!(
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `postgres://user@host:port/db?query` with another database name.
fn with_database(url: &str, name: &str) -> Res<String> {
    let scheme_end = url
        .find("://")
        .ok_or("--postgres is not a postgres:// URL")?
        + 3;
    let (head, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let host_end = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &head[..host_end]))
}

impl Database {
    pub fn sqlite(tag: &str) -> Res<Self> {
        Ok(Self::Sqlite {
            dir: scratch_dir(tag)?,
        })
    }

    /// A new database on the PostgreSQL server of `admin_url` (dropped by `remove`).
    pub fn postgres(admin_url: &str, tag: &str) -> Res<Self> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = format!("leadline_load_{}_{stamp}_{tag}", std::process::id());
        psql(admin_url, &format!("CREATE DATABASE {name}"))?;
        Ok(Self::Postgres {
            admin_url: admin_url.to_string(),
            url: with_database(admin_url, &name)?,
            name,
            dir: scratch_dir(tag)?,
        })
    }

    /// "PostgreSQL 15.20", as the server at `url` says.
    pub fn postgres_version(url: &str) -> Option<String> {
        let v = psql(url, "SHOW server_version").ok()?;
        Some(format!("PostgreSQL {}", v.split_whitespace().next()?))
    }

    fn dir(&self) -> &Path {
        match self {
            Self::Sqlite { dir } | Self::Postgres { dir, .. } => dir,
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Sqlite { dir } => vec![("LEADLINE_DATA_DIR", dir.display().to_string())],
            Self::Postgres { url, dir, .. } => vec![
                ("LEADLINE_DATABASE_URL", url.clone()),
                ("LEADLINE_DATA_DIR", dir.display().to_string()),
            ],
        }
    }

    /// Removes the data (after the servers stopped).
    pub fn remove(&self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
        {
            if let Err(e) = psql(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ) {
                eprintln!("loadgen: could not drop database {name}: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(self.dir());
    }
}

/// One `leadline serve` process started by the load generator.
pub struct Server {
    pub base: String,
    pub pid: u32,
    pub log: PathBuf,
    child: Child,
}

/// A free port on 127.0.0.1 (the server binds it right after).
fn free_port() -> Res<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(l.local_addr().context("local address")?.port())
}

impl Server {
    /// Starts `bin serve` on a free loopback port with the database `db`, and waits until
    /// `/healthz` answers (migrations done).
    pub async fn start(bin: &Path, db: &Database, n: usize) -> Res<Self> {
        let port = free_port()?;
        let log = db.dir().join(format!("server-{n}.log"));
        let stderr = File::create(&log).context("create the server log")?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .env("LEADLINE_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "LEADLINE_LOG",
                std::env::var("LEADLINE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("LEADLINE_DATABASE_URL")
            .env_remove("LEADLINE_DATABASE_SCHEMA")
            .env_remove("LEADLINE_PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        for (k, v) in db.env() {
            cmd.env(k, v);
        }
        // SAFETY: prctl is async-signal-safe; the server gets SIGTERM when the load generator
        // dies (Ctrl-C, a panic), so no server outlives a run.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut server = Self {
            base: format!("http://127.0.0.1:{port}"),
            pid: child.id(),
            log,
            child,
        };
        let probe = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "server {n} exited at start ({status}); its log {}:\n{}",
                    server.log.display(),
                    tail(&server.log)
                ));
            }
            let ok = probe
                .get(format!("{}/healthz", server.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("server {n} did not answer /healthz within 90 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's resident memory, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid)
    }

    /// SIGTERM, then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SAFETY: signalling a child process we started and have not reaped yet.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last lines of a log file.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// VmRSS of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Raises this process's open-file soft limit to its hard limit; returns the new soft limit.
/// Servers started afterwards inherit it.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on a properly initialised struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                lim = wanted;
            }
        }
    }
    lim.rlim_cur
}

/// CPU time (user + system) a process used so far, in seconds.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(ticks as f64 / hz)
}

/// CPU time the whole machine spent busy (not idle, not waiting for I/O), in seconds.
pub fn machine_busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy: u64 = v.iter().take(8).sum::<u64>() - v.get(3)? - v.get(4)?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(busy as f64 / hz)
}

/// CPU use of some processes, and of the whole machine (the database server, anything
/// else running), over a stretch of time, in cores busy.
pub struct CpuMeter {
    pids: Vec<u32>,
    start: Vec<Option<f64>>,
    machine: Option<f64>,
    at: Instant,
}

impl CpuMeter {
    pub fn start(pids: Vec<u32>) -> Self {
        let start = pids.iter().map(|p| cpu_secs(*p)).collect();
        Self {
            pids,
            start,
            machine: machine_busy_secs(),
            at: Instant::now(),
        }
    }

    /// Per process, then the machine: CPU seconds used since `start` per wall second
    /// (1.0 = one core busy).
    pub fn read(&self) -> Vec<Option<f64>> {
        let wall = self.at.elapsed().as_secs_f64().max(1e-3);
        let mut out: Vec<Option<f64>> = self
            .pids
            .iter()
            .zip(&self.start)
            .map(|(p, s)| Some((cpu_secs(*p)? - (*s)?) / wall))
            .collect();
        out.push(
            machine_busy_secs()
                .zip(self.machine)
                .map(|(b, a)| (b - a) / wall),
        );
        out
    }
}

/// How many files this process has open now.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}
