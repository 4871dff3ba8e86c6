//! Fixed-window attempt counters, per key (an address, an email), held in memory.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`; false when the key is over its limit in this window.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 10_000 {
            let window = self.window;
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }

    /// Gives back an attempt counted by `allow` that turned out not to be a failure (a login
    /// with the right password), so only failures use up the window.
    pub fn refund(&self, key: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((start, n)) = windows.get_mut(key) {
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

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_address: RateLimiter::new(30, Duration::from_secs(300)),
            per_address_and_email: RateLimiter::new(10, Duration::from_secs(300)),
            per_email: RateLimiter::new(10, Duration::from_secs(300)),
        }
    }
}

/// Visitor API limits (R7): per client address and per visitor token.
#[derive(Debug)]
pub struct VisitorLimits {
    pub per_address: RateLimiter,
    pub per_visitor: RateLimiter,
}

impl Default for VisitorLimits {
    fn default() -> Self {
        Self {
            per_address: RateLimiter::new(600, Duration::from_secs(60)),
            per_visitor: RateLimiter::new(60, Duration::from_secs(60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn window_resets() {
        let r = RateLimiter::new(1, Duration::from_millis(20));
        assert!(r.allow("a"));
        assert!(!r.allow("a"));
        std::thread::sleep(Duration::from_millis(30));
        assert!(r.allow("a"));
    }
}
