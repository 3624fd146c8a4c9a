//! Account lockout: after too many failed sign-ins in a row a user is locked until an
//! Administrator unlocks them or they complete a password reset.

use crate::error::ValidationErrors;

/// Fewest failed attempts a policy may allow.
pub const MIN_ATTEMPTS: u32 = 3;
/// Most failed attempts a policy may allow.
pub const MAX_ATTEMPTS: u32 = 20;

/// The account's lockout policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub enabled: bool,
    /// Failed attempts in a row that lock the user.
    pub max_failed_attempts: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { enabled: true, max_failed_attempts: 5 }
    }
}

impl LockoutPolicy {
    /// The failure count at which the user is locked, if lockout is on (storage counts up to it
    /// in one conditional update and never past it).
    pub fn lock_threshold(&self) -> Option<i64> {
        self.enabled.then_some(i64::from(self.max_failed_attempts))
    }

    /// Whether `failures` failed attempts in a row lock the user.
    pub fn locks_at(&self, failures: i64) -> bool {
        self.lock_threshold().is_some_and(|t| failures >= t)
    }

    /// Checks the policy's own settings.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(MIN_ATTEMPTS..=MAX_ATTEMPTS).contains(&self.max_failed_attempts) {
            e.push("max_failed_attempts", format!("must be between {MIN_ATTEMPTS} and {MAX_ATTEMPTS}"));
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert!(LockoutPolicy::default().validate().is_ok());
        assert!(LockoutPolicy { enabled: true, max_failed_attempts: 2 }.validate().is_err());
        assert!(LockoutPolicy { enabled: true, max_failed_attempts: 21 }.validate().is_err());
        assert_eq!(LockoutPolicy { enabled: false, max_failed_attempts: 5 }.lock_threshold(), None);
    }

    proptest! {
        #[test]
        fn locks_exactly_from_the_threshold(max in 3u32..=20, failures in 0i64..100) {
            let p = LockoutPolicy { enabled: true, max_failed_attempts: max };
            prop_assert_eq!(p.locks_at(failures), failures >= i64::from(max));
            let off = LockoutPolicy { enabled: false, max_failed_attempts: max };
            prop_assert!(!off.locks_at(failures));
        }
    }
}
