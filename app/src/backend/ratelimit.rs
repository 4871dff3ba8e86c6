//! Rate limits, per key (an address, a visitor, an email), held in memory per process (R7).
//!
//! Requests (the visitor API) go through [`Limit`]: governor's GCRA, which spreads a quota
//! evenly (no double burst at a window's edge) and says how long to wait (`Retry-After`).
//! Login failures go through [`RateLimiter`], a fixed window whose attempts can be given
//! back: only failures count, so a hundred agents behind one office address all log in at
//! nine; GCRA cannot give a cell back, so it would count their successes too.
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// What a client address is limited as: an IPv4 address as it is, an IPv6 address by its
/// /64 (one subscriber's network, in which a host may take any address it likes: keyed on
/// the whole address, one /64 would give an attacker endless keys), and an IPv4 address
/// mapped into IPv6 as the IPv4 address.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The configurable limits (`LEADLINE_LIMIT_*`, read by the server; README lists them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Visitor API requests per minute from one client address.
    pub visitor_per_address: u32,
    /// Visitor API requests per minute for one visitor token.
    pub visitor_per_token: u32,
    /// Conversations one visitor token may start in an hour.
    pub conversations_per_hour: u32,
    /// Open visitor event streams from one client address (agents' are capped per user).
    pub streams_per_address: usize,
    /// Failed logins from one address in five minutes before it is refused.
    pub login_per_address: u32,
    /// Failed logins for one email from one address in five minutes before it is refused.
    pub login_per_address_and_email: u32,
    /// Failed logins for one email (from anywhere) in five minutes before each attempt
    /// for it is slowed down (never refused).
    pub login_per_email: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            visitor_per_address: 600,
            visitor_per_token: 60,
            conversations_per_hour: 20,
            streams_per_address: 500,
            login_per_address: 30,
            login_per_address_and_email: 10,
            login_per_email: 10,
        }
    }
}

/// A GCRA limit of `n` requests per period per key, bursting up to `n`.
pub struct Limit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limit")
    }
}

impl Limit {
    pub fn per_minute(n: u32) -> Self {
        Self::new(Quota::per_minute(
            NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN),
        ))
    }

    pub fn per_hour(n: u32) -> Self {
        Self::new(Quota::per_hour(
            NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN),
        ))
    }

    fn new(quota: Quota) -> Self {
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request for `key`; over the limit, how long until one is allowed.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        // Keys that have recovered their whole burst hold nothing worth keeping.
        if self.limiter.len() > 50_000 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    /// By a hash of the key: an entry is the same size whatever the key (an email, an
    /// address). Expired windows are swept out as the map grows; past `MAX_KEYS` live ones,
    /// the keys with the fewest failures go first, so spraying new keys cannot reset the
    /// count of a key that is being guessed at.
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    map: HashMap<u64, (Instant, u32)>,
    /// The size at which the next sweep runs (a sweep walks the whole map: not on every
    /// attempt).
    next_sweep: usize,
}

/// How many keys a login limiter holds at most.
const MAX_KEYS: usize = 100_000;
/// The size at which the first sweep runs.
const FIRST_SWEEP: usize = 10_000;

fn hashed(key: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static SEED: LazyLock<std::collections::hash_map::RandomState> =
        LazyLock::new(std::collections::hash_map::RandomState::new);
    let mut h = SEED.build_hasher();
    h.write(key.as_bytes());
    h.finish()
}

impl Windows {
    /// Drops expired windows; past `MAX_KEYS`, the keys with the fewest failures (one,
    /// then two, …) until it fits.
    fn sweep(&mut self, now: Instant, window: Duration) {
        self.map
            .retain(|_, (start, _)| now.duration_since(*start) < window);
        let mut fewest = 1;
        while self.map.len() > MAX_KEYS {
            self.map.retain(|_, (_, n)| *n > fewest);
            fewest += 1;
        }
        self.next_sweep = (self.map.len() * 2).max(FIRST_SWEEP);
    }
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(Windows {
                map: HashMap::new(),
                next_sweep: FIRST_SWEEP,
            }),
        }
    }

    /// Counts one attempt for `key`; false when the key is over its limit in this window.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.map.len() >= windows.next_sweep.min(MAX_KEYS) {
            windows.sweep(now, self.window);
        }
        let entry = windows.map.entry(hashed(key)).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }

    /// How many keys it holds (for tests).
    pub fn keys(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
    }

    /// Gives back an attempt counted by `allow` that turned out not to be a failure (a login
    /// with the right password), so only failures use up the window.
    pub fn refund(&self, key: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((start, n)) = windows.map.get_mut(&hashed(key)) {
            if start.elapsed() < self.window {
                *n = n.saturating_sub(1);
            }
        }
    }
}

/// Login limits on failed attempts. An address that keeps failing is refused (per address,
/// and per address and email together); an email that fails from many addresses is only
/// slowed down, so nobody can lock an agent out by knowing their email (R7).
#[derive(Debug)]
pub struct LoginLimits {
    pub per_address: RateLimiter,
    pub per_address_and_email: RateLimiter,
    /// Past this, every attempt for the email waits `EMAIL_SLOWDOWN` first.
    pub per_email: RateLimiter,
}

/// How long a login for an email that has been failing from many places waits.
pub const EMAIL_SLOWDOWN: Duration = Duration::from_secs(1);

impl LoginLimits {
    pub fn new(s: &Settings) -> Self {
        let five_minutes = Duration::from_secs(300);
        Self {
            per_address: RateLimiter::new(s.login_per_address, five_minutes),
            per_address_and_email: RateLimiter::new(s.login_per_address_and_email, five_minutes),
            per_email: RateLimiter::new(s.login_per_email, five_minutes),
        }
    }

    /// How long a refused address waits: the window.
    pub fn retry_after(&self) -> Duration {
        self.per_address.window
    }
}

/// Visitor API limits (R7): per client address and per visitor token, and conversations
/// started per visitor token.
#[derive(Debug)]
pub struct VisitorLimits {
    pub per_address: Limit,
    pub per_visitor: Limit,
    pub conversations: Limit,
}

impl VisitorLimits {
    pub fn new(s: &Settings) -> Self {
        Self {
            per_address: Limit::per_minute(s.visitor_per_address),
            per_visitor: Limit::per_minute(s.visitor_per_token),
            conversations: Limit::per_hour(s.conversations_per_hour),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_refuses_past_its_burst_and_says_how_long_to_wait() {
        let l = Limit::per_minute(3);
        assert!(l.check("a").is_ok() && l.check("a").is_ok() && l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(l.check("b").is_ok(), "another key has its own");
    }

    #[test]
    fn refuses_past_the_limit_per_key() {
        let r = RateLimiter::new(3, Duration::from_secs(60));
        assert!(r.allow("a") && r.allow("a") && r.allow("a"));
        assert!(!r.allow("a"));
        assert!(r.allow("b"));
    }

    #[test]
    fn a_refunded_attempt_does_not_use_up_the_window() {
        let r = RateLimiter::new(2, Duration::from_secs(60));
        for _ in 0..5 {
            assert!(r.allow("a"), "a success given back");
            r.refund("a");
        }
        assert!(r.allow("a") && r.allow("a"));
        assert!(!r.allow("a"), "two failures use it up");
        r.refund("nobody");
        assert!(r.allow("b"));
    }

    /// Spraying new keys neither grows the limiter without bound nor resets the count of a
    /// key being guessed at (it used to clear every window at 200,000 keys).
    #[test]
    fn sprayed_keys_do_not_reset_a_counted_key() {
        let r = RateLimiter::new(5, Duration::from_secs(300));
        for _ in 0..5 {
            assert!(r.allow("203.0.113.9"));
        }
        assert!(!r.allow("203.0.113.9"), "its sixth failure is refused");
        for i in 0..(MAX_KEYS * 2 + 10) {
            r.allow(&format!("sprayed {i}"));
            assert!(r.keys() <= MAX_KEYS + 1, "bounded");
        }
        assert!(
            !r.allow("203.0.113.9"),
            "still refused after two hundred thousand new keys"
        );
    }

    #[test]
    fn an_ipv6_address_is_limited_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            address_key(mapped),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let v4: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(address_key(v4), v4);
        let limit = Limit::per_minute(2);
        let key = |ip| address_key(ip).to_string();
        assert!(limit.check(&key(a)).is_ok() && limit.check(&key(b)).is_ok());
        assert!(
            limit
                .check(&key("2001:db8:1:2::99".parse().unwrap()))
                .is_err(),
            "a third address of the same /64 is the same client"
        );
    }

    #[test]
    fn window_resets() {
        let r = RateLimiter::new(1, Duration::from_millis(20));
        assert!(r.allow("a"));
        assert!(!r.allow("a"));
        std::thread::sleep(Duration::from_millis(30));
        assert!(r.allow("a"));
    }
}
