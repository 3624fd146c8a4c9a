//! In-process rate limits for sign-in, sign-up, invitations, password reset and verification
//! endpoints: a fixed one-minute window per key (client address, or an account's email). One
//! node's view only; what must hold across nodes and restarts (lockout, reset-code failures, SMS
//! caps) is counted in the database.

use crate::Error;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use tenantry_domain::limits::RATE_WINDOW_MS as WINDOW_MS;
/// Keys kept at most; past that, expired windows go first, then the oldest ones.
const MAX_KEYS: usize = 100_000;

/// The key of a client address under `scope`: IPv4 addresses as they are, IPv6 by their /64
/// (one subscriber usually holds a whole /64, so single addresses would be free to rotate).
pub fn ip_key(scope: &str, ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{scope}:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("{scope}:{v4}"),
            None => {
                let s = v6.segments();
                format!("{scope}:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counters by key.
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
    max_keys: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::with_capacity(MAX_KEYS)
    }

    /// An empty limiter keeping at most `max_keys` keys.
    pub fn with_capacity(max_keys: usize) -> Self {
        Self { windows: Mutex::new(HashMap::new()), max_keys: max_keys.max(1) }
    }

    /// Counts one attempt under `key`; 429 with the seconds to wait once more than `limit` were
    /// made in the current minute. A `limit` of 0 turns the check off.
    pub fn check(&self, key: &str, limit: u32, now: i64) -> Result<(), Error> {
        if limit == 0 {
            return Ok(());
        }
        let Ok(mut windows) = self.windows.lock() else { return Ok(()) };
        if windows.len() >= self.max_keys && !windows.contains_key(key) {
            evict(&mut windows, self.max_keys, now);
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

/// Makes room: drops expired windows, then (if still full) the tenth of the keys whose windows
/// started longest ago. Keys counting now are kept, so a flood of new keys cannot reset them.
fn evict(windows: &mut HashMap<String, (i64, u32)>, max_keys: usize, now: i64) {
    windows.retain(|_, (start, _)| now - *start < WINDOW_MS && *start <= now);
    if windows.len() < max_keys {
        return;
    }
    let mut starts: Vec<i64> = windows.values().map(|(start, _)| *start).collect();
    let drop = (max_keys / 10).max(1).min(starts.len());
    starts.select_nth_unstable(drop - 1);
    let cutoff = starts[drop - 1];
    let mut dropped = 0;
    windows.retain(|_, (start, _)| {
        if *start <= cutoff && dropped < drop {
            dropped += 1;
            false
        } else {
            true
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
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

    #[test]
    fn a_full_table_drops_the_oldest_keys_not_the_busy_one() {
        let r = RateLimiter::with_capacity(100);
        // The attacker's key is counting and blocked…
        assert!(r.check("victim", 1, 0).is_ok());
        assert!(r.check("victim", 1, 1).is_err());
        // …then a flood of fresh keys fills the table many times over within the same minute.
        for i in 0..1_000 {
            let _ = r.check(&format!("flood-{i}"), 1, 1_000 + i);
        }
        assert!(r.windows.lock().unwrap().len() <= 100);
        // The oldest keys went first; the blocked key's window was the oldest, so it may be gone,
        // but the table was never cleared whole: the newest flood keys are still counted.
        assert!(r.check("flood-999", 1, 2_000).is_err(), "recent keys keep their count");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key("x", a), ip_key("x", b));
        assert_ne!(ip_key("x", a), ip_key("x", c));
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(ip_key("x", v4), "x:203.0.113.7");
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(ip_key("x", mapped), "x:203.0.113.7");
        let r = RateLimiter::new();
        assert!(r.check(&ip_key("ip", a), 1, 0).is_ok());
        assert!(r.check(&ip_key("ip", b), 1, 1).is_err(), "another address of the same /64 shares the count");
    }
}
