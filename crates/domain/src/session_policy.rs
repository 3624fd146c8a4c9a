//! How long sessions live: an idle timeout (optional) and an absolute maximum age.

use crate::error::ValidationErrors;

/// Longest idle timeout or session age a policy may set, in minutes (one year).
pub const MAX_MINUTES: u32 = 525_600;

/// The account's session policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Whether an idle session ends after `timeout_minutes`.
    pub timeout_enabled: bool,
    pub timeout_minutes: u32,
    /// A session ends this long after sign-in, active or not.
    pub max_age_minutes: u32,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        let max_age_minutes = u32::try_from(crate::limits::SESSION_MAX_AGE_MS / 60_000).unwrap_or(MAX_MINUTES);
        Self { timeout_enabled: false, timeout_minutes: 30, max_age_minutes }
    }
}

impl SessionPolicy {
    /// When a session opened at `now` (ms) ends at the latest.
    pub fn expires_at(&self, now: i64) -> i64 {
        now + i64::from(self.max_age_minutes) * 60_000
    }

    /// Whether a session created at `created_at` and last used at `last_seen_at` is still alive at `now` (ms).
    pub fn is_alive(&self, created_at: i64, last_seen_at: i64, now: i64) -> bool {
        let minute = 60_000i64;
        if now - created_at >= i64::from(self.max_age_minutes) * minute {
            return false;
        }
        !(self.timeout_enabled && now - last_seen_at >= i64::from(self.timeout_minutes) * minute)
    }

    /// Checks the policy's own settings.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(1..=MAX_MINUTES).contains(&self.timeout_minutes) {
            e.push("timeout_minutes", format!("must be between 1 and {MAX_MINUTES}"));
        }
        if !(5..=MAX_MINUTES).contains(&self.max_age_minutes) {
            e.push("max_age_minutes", format!("must be between 5 and {MAX_MINUTES}"));
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn idle_and_absolute_limits() {
        let p = SessionPolicy { timeout_enabled: true, timeout_minutes: 10, max_age_minutes: 60 };
        let m = 60_000;
        assert!(p.is_alive(0, 0, 10 * m - 1));
        assert!(!p.is_alive(0, 0, 10 * m));
        assert!(p.is_alive(0, 55 * m, 59 * m));
        assert!(!p.is_alive(0, 59 * m, 60 * m));
        assert!(SessionPolicy { timeout_enabled: false, ..p }.is_alive(0, 0, 59 * m));
        assert!(p.validate().is_ok());
        assert!(SessionPolicy { timeout_minutes: 0, max_age_minutes: 1, ..p }.validate().is_err());
    }

    proptest! {
        #[test]
        fn never_alive_past_max_age(age in 5u32..10_000, extra in 0i64..1_000_000_000, idle in 0i64..1_000_000) {
            let p = SessionPolicy { timeout_enabled: false, timeout_minutes: 30, max_age_minutes: age };
            let now = i64::from(age) * 60_000 + extra;
            prop_assert!(!p.is_alive(0, now - idle, now));
        }
    }
}
