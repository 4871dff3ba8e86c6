//! Configuration from `LEADLINE_*` environment variables, with defaults that need no set-up.
use std::net::SocketAddr;
use std::path::PathBuf;

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
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
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
        Ok(Self {
            addr,
            data_dir,
            database_url,
            database_schema: var("LEADLINE_DATABASE_SCHEMA"),
            public_url,
            push_loopback: var("LEADLINE_PUSH_LOOPBACK").is_some_and(|v| v == "1"),
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
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            database_url: "sqlite://data/leadline.db".into(),
            database_schema: None,
            public_url: public_url.map(str::to_string),
            push_loopback: false,
        }
    }

    #[test]
    fn cookies_are_secure_only_behind_https() {
        assert!(!config(None).secure_cookies());
        assert!(!config(Some("http://chat.example.com")).secure_cookies());
        assert!(config(Some("https://chat.example.com")).secure_cookies());
    }
}
