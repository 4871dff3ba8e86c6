//! Configuration from `LEADLINE_*` environment variables, with defaults that need no set-up.
use app::backend::ratelimit::Settings as Limits;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// `LEADLINE_ADDR`: where to listen (default 127.0.0.1:3000).
    pub addr: SocketAddr,
    /// `LEADLINE_DATA_DIR`: where the default SQLite database lives (default ./data).
    pub data_dir: PathBuf,
    /// `LEADLINE_DATABASE_URL`: `sqlite://…` or `postgres://…` (default SQLite under the data dir).
    pub database_url: String,
    /// `LEADLINE_DATABASE_SCHEMA`: PostgreSQL schema to use (default: the server's search path).
    pub database_schema: Option<String>,
    /// `LEADLINE_PUBLIC_URL`: the URL people reach Leadline at; `https://…` makes cookies Secure.
    pub public_url: Option<String>,
    /// `LEADLINE_PUSH_LOOPBACK=1`: accept Web Push endpoints on `http://` loopback addresses
    /// (a local push service in tests); otherwise only `https://` ones.
    pub push_loopback: bool,
    /// `LEADLINE_TRUSTED_PROXIES`: addresses or CIDRs (comma-separated) of reverse proxies
    /// whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (default: none).
    pub trusted_proxies: Vec<IpNet>,
    /// `LEADLINE_LIMIT_*`: the rate limits (R7).
    pub limits: Limits,
    /// `LEADLINE_LIMIT_CONNECTIONS_PER_ADDRESS`: open connections from one client address
    /// (trusted proxies aside; default 4,000).
    pub connections_per_address: usize,
    /// How long a kept-alive connection may wait for its next request head (60 s).
    pub next_head_timeout: Duration,
    /// How long a request body may take to arrive whole, however steadily it trickles
    /// (120 s).
    pub body_deadline: Duration,
    /// `LEADLINE_SESSION_IDLE_HOURS`: a session unused this long ends (default 14 days).
    pub session_idle: Duration,
    /// `LEADLINE_SESSION_MAX_HOURS`: a session ends this long after sign-in, used or not
    /// (default 30 days).
    pub session_max: Duration,
    /// The site compiled into the `leadline` binary (its wasm, script, stylesheet, assets):
    /// served when a file is not under `LEPTOS_SITE_ROOT`. Set by the binary; None in tests.
    pub embedded_site: Option<crate::site::Lookup>,
}

/// A whole number from `name` (at least 1), or `default`.
fn number<T: std::str::FromStr + PartialOrd + From<u8>>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<T>() {
            Ok(n) if n >= T::from(1) => Ok(n),
            _ => Err(format!("{name} must be a whole number of at least 1: {v}")),
        },
    }
}

/// `LEADLINE_TRUSTED_PROXIES`: `10.0.0.1, 10.1.0.0/16, ::1`.
pub fn parse_proxies(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("LEADLINE_TRUSTED_PROXIES: not an address or CIDR: {p}"))
        })
        .collect()
}

impl Config {
    /// Serving `database_url` on `addr` with every other setting at its default.
    pub fn new(addr: SocketAddr, database_url: &str) -> Self {
        Self {
            addr,
            data_dir: PathBuf::from("data"),
            database_url: database_url.to_string(),
            database_schema: None,
            public_url: None,
            push_loopback: false,
            trusted_proxies: Vec::new(),
            limits: Limits::default(),
            connections_per_address: crate::listen::CONNECTIONS_PER_ADDRESS,
            next_head_timeout: crate::listen::NEXT_HEAD_TIMEOUT,
            body_deadline: crate::middleware::BODY_DEADLINE,
            session_idle: Duration::from_secs(14 * 24 * 3600),
            session_max: Duration::from_secs(30 * 24 * 3600),
            embedded_site: None,
        }
    }

    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The configuration from `LEADLINE_*` variables as `get` reads them (an empty value is
    /// no value); a clear refusal names the variable and what it should be.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let addr = match var("LEADLINE_ADDR") {
            Some(a) => a
                .parse()
                .map_err(|_| format!("LEADLINE_ADDR is not an address like 127.0.0.1:3000: {a}"))?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let data_dir = PathBuf::from(var("LEADLINE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("LEADLINE_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}/leadline.db", data_dir.display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err("LEADLINE_DATABASE_URL must start with sqlite: or postgres://".into());
        }
        let public_url = var("LEADLINE_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string());
        let d = Limits::default();
        let limits = Limits {
            visitor_per_address: number(
                &var,
                "LEADLINE_LIMIT_VISITOR_PER_ADDRESS",
                d.visitor_per_address,
            )?,
            visitor_per_token: number(
                &var,
                "LEADLINE_LIMIT_VISITOR_PER_TOKEN",
                d.visitor_per_token,
            )?,
            conversations_per_hour: number(
                &var,
                "LEADLINE_LIMIT_CONVERSATIONS_PER_HOUR",
                d.conversations_per_hour,
            )?,
            streams_per_address: number::<u32>(
                &var,
                "LEADLINE_LIMIT_STREAMS_PER_ADDRESS",
                d.streams_per_address as u32,
            )? as usize,
            login_per_address: number(
                &var,
                "LEADLINE_LIMIT_LOGIN_PER_ADDRESS",
                d.login_per_address,
            )?,
            login_per_address_and_email: number(
                &var,
                "LEADLINE_LIMIT_LOGIN_PER_ADDRESS_AND_EMAIL",
                d.login_per_address_and_email,
            )?,
            login_per_email: number(&var, "LEADLINE_LIMIT_LOGIN_PER_EMAIL", d.login_per_email)?,
        };
        let hours = |name, default: u32| {
            number(&var, name, default).map(|h| Duration::from_secs(u64::from(h) * 3600))
        };
        Ok(Self {
            addr,
            data_dir,
            database_url,
            database_schema: var("LEADLINE_DATABASE_SCHEMA"),
            public_url,
            push_loopback: var("LEADLINE_PUSH_LOOPBACK").is_some_and(|v| v == "1"),
            trusted_proxies: parse_proxies(&var("LEADLINE_TRUSTED_PROXIES").unwrap_or_default())?,
            limits,
            connections_per_address: number::<u32>(
                &var,
                "LEADLINE_LIMIT_CONNECTIONS_PER_ADDRESS",
                crate::listen::CONNECTIONS_PER_ADDRESS as u32,
            )? as usize,
            next_head_timeout: crate::listen::NEXT_HEAD_TIMEOUT,
            body_deadline: crate::middleware::BODY_DEADLINE,
            session_idle: hours("LEADLINE_SESSION_IDLE_HOURS", 14 * 24)?,
            session_max: hours("LEADLINE_SESSION_MAX_HOURS", 30 * 24)?,
            embedded_site: None,
        })
    }

    /// Cookies get `Secure` when Leadline is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: Option<&str>) -> Config {
        let mut c = Config::new(
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            "sqlite://data/leadline.db",
        );
        c.public_url = public_url.map(str::to_string);
        c
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidrs() {
        let p = parse_proxies(" 10.0.0.1, 10.1.0.0/16,::1 ").unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].contains(&"10.0.0.1".parse::<IpAddr>().unwrap()));
        assert!(p[1].contains(&"10.1.200.3".parse::<IpAddr>().unwrap()));
        assert!(!p[1].contains(&"10.2.0.1".parse::<IpAddr>().unwrap()));
        assert!(parse_proxies("").unwrap().is_empty());
        assert!(parse_proxies("10.0.0.1, nginx").is_err());
    }

    #[test]
    fn settings_come_from_the_variables_or_their_defaults() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let d = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(d.addr, SocketAddr::from(([127, 0, 0, 1], 3000)));
        assert_eq!(d.database_url, "sqlite://data/leadline.db");
        assert_eq!(d.limits, Limits::default());
        assert_eq!(d.session_idle, Duration::from_secs(14 * 24 * 3600));
        assert_eq!(d.session_max, Duration::from_secs(30 * 24 * 3600));
        let c = Config::from_vars(vars(&[
            ("LEADLINE_ADDR", "0.0.0.0:8080"),
            ("LEADLINE_DATA_DIR", "/var/lib/leadline"),
            ("LEADLINE_LIMIT_VISITOR_PER_ADDRESS", "1200"),
            ("LEADLINE_LIMIT_STREAMS_PER_ADDRESS", " 40 "),
            ("LEADLINE_LIMIT_LOGIN_PER_EMAIL", "5"),
            ("LEADLINE_SESSION_IDLE_HOURS", "8"),
            ("LEADLINE_SESSION_MAX_HOURS", ""),
            ("LEADLINE_PUBLIC_URL", "https://chat.example.com/"),
        ]))
        .unwrap();
        assert_eq!(c.addr, SocketAddr::from(([0, 0, 0, 0], 8080)));
        assert_eq!(c.database_url, "sqlite:///var/lib/leadline/leadline.db");
        assert_eq!(c.limits.visitor_per_address, 1200);
        assert_eq!(c.limits.streams_per_address, 40);
        assert_eq!(c.limits.login_per_email, 5);
        assert_eq!(c.limits.visitor_per_token, d.limits.visitor_per_token);
        assert_eq!(c.session_idle, Duration::from_secs(8 * 3600));
        // Empty is unset: the default.
        assert_eq!(c.session_max, d.session_max);
        assert_eq!(c.public_url.as_deref(), Some("https://chat.example.com"));
        assert!(c.secure_cookies());
        for (name, value, says) in [
            ("LEADLINE_LIMIT_LOGIN_PER_ADDRESS", "0", "at least 1"),
            ("LEADLINE_SESSION_IDLE_HOURS", "two", "whole number"),
            ("LEADLINE_ADDR", "localhost", "127.0.0.1:3000"),
            (
                "LEADLINE_DATABASE_URL",
                "mysql://x",
                "sqlite: or postgres://",
            ),
            ("LEADLINE_TRUSTED_PROXIES", "nginx", "not an address"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([(name, value)]));
            let e = Config::from_vars(vars(pairs)).unwrap_err();
            assert!(e.contains(name) && e.contains(says), "{name}={value}: {e}");
        }
    }

    #[test]
    fn cookies_are_secure_only_behind_https() {
        assert!(!config(None).secure_cookies());
        assert!(!config(Some("http://chat.example.com")).secure_cookies());
        assert!(config(Some("https://chat.example.com")).secure_cookies());
    }
}
