//! In-process rate limits for sign-in, password reset and verification endpoints: a fixed
//! one-minute window per key (client IP, or an account's email). One node's view only; the lockout
//! counter in the database is what holds across nodes.

use crate::Error;
use std::collections::HashMap;
use std::sync::Mutex;

use tenantry_domain::limits::RATE_WINDOW_MS as WINDOW_MS;
/// Keys kept at most; past that the table starts over.
const MAX_KEYS: usize = 100_000;

/// Counters by key.
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self { windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt under `key`; 429 with the seconds to wait once more than `limit` were
    /// made in the current minute. A `limit` of 0 turns the check off.
    pub fn check(&self, key: &str, limit: u32, now: i64) -> Result<(), Error> {
        if limit == 0 {
            return Ok(());
        }
        let Ok(mut windows) = self.windows.lock() else { return Ok(()) };
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, (start, _)| now - *start < WINDOW_MS);
            if windows.len() >= MAX_KEYS {
                windows.clear();
            }
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now - entry.0 >= WINDOW_MS || now < entry.0 {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            let wait_ms = (entry.0 + WINDOW_MS - now).max(1000);
            return Err(Error::RateLimited(u64::try_from((wait_ms + 999) / 1000).unwrap_or(60)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_and_window() {
        let r = RateLimiter::new();
        assert!(r.check("a", 2, 0).is_ok());
        assert!(r.check("a", 2, 10).is_ok());
        assert!(matches!(r.check("a", 2, 20_000), Err(Error::RateLimited(40))));
        assert!(r.check("b", 2, 20).is_ok());
        assert!(r.check("a", 2, 60_000).is_ok(), "a new window");
        assert!(r.check("a", 0, 60_001).is_ok(), "0 is off");
    }
}
