//! Every lifetime and attempt limit of the product, in one place: how long links and codes live,
//! how many tries they allow, and how many attempts per minute the rate limits let through.

const MINUTE_MS: i64 = 60 * 1000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// How long an invitation link stays valid (7 days).
pub const INVITATION_TTL_MS: i64 = 7 * DAY_MS;
/// How long a session lives at most (30 days) under the default session policy.
pub const SESSION_MAX_AGE_MS: i64 = 30 * DAY_MS;
/// How long a link confirming a new email address stays valid (24 hours).
pub const EMAIL_CHANGE_TTL_MS: i64 = DAY_MS;
/// How long a password reset code or link stays valid (10 minutes).
pub const RESET_TTL_MS: i64 = 10 * MINUTE_MS;
/// How long a sign-in whose password was right waits for its two-step code.
pub const SIGN_IN_CHALLENGE_TTL_MS: i64 = 5 * MINUTE_MS;
/// Tries a password reset code allows; the next one is refused even if right.
pub const RESET_ATTEMPTS: i64 = 5;
/// How long an SMS code verifying a new cell number stays valid (10 minutes).
pub const PHONE_CODE_TTL_MS: i64 = 10 * MINUTE_MS;
/// Tries an SMS code verifying a cell number allows.
pub const PHONE_CODE_ATTEMPTS: i64 = 5;
/// Length of a TOTP step, in seconds (RFC 6238).
pub const TOTP_STEP_SECONDS: u64 = 30;
/// TOTP steps accepted before and after the current one (clock drift).
pub const TOTP_SKEW_STEPS: u16 = 1;
/// Recovery codes issued with an authenticator.
pub const RECOVERY_CODES: usize = 10;
/// How often a session's or API key's last use is written at most (busy clients do not write on every request).
pub const LAST_SEEN_EVERY_MS: i64 = MINUTE_MS;

/// The window of every rate limit.
pub const RATE_WINDOW_MS: i64 = MINUTE_MS;

/// Attempts allowed per account (or user) per [`RATE_WINDOW_MS`]; per-IP limits and sign-ins per
/// email come from configuration.
pub mod per_account {
    /// Password reset requests for one email.
    pub const RESET_REQUEST: u32 = 5;
    /// Password reset confirmations for one email.
    pub const RESET_CONFIRM: u32 = 10;
    /// Two-step verification codes checked for one user.
    pub const TOTP: u32 = 10;
    /// Verification codes sent to cell numbers for one user.
    pub const PHONE_CODE_SENT: u32 = 5;
    /// Cell-number verification codes checked for one user.
    pub const PHONE_CODE_CHECKED: u32 = 10;
    /// Email-change requests for one user, and from one client address.
    pub const EMAIL_CHANGE: u32 = 5;
    /// Invitations sent by one account (bulk imports are one request).
    pub const INVITATIONS: u32 = 120;
    /// Invitations sent from one client address.
    pub const INVITATIONS_PER_IP: u32 = 60;
    /// Sign-ups from one client address.
    pub const SIGNUPS_PER_IP: u32 = 5;
}

/// Limits kept in the database over a rolling day (they hold across restarts and nodes).
pub mod per_day {
    /// Wrong password-reset codes one user may enter in a day; after that no more SMS codes are
    /// sent or accepted for them (an emailed link still works).
    pub const RESET_CODE_FAILURES: i64 = 10;
    /// Password-reset requests one user may make in a day; later ones are ignored (the answer is
    /// the same 202).
    pub const RESET_REQUESTS: i64 = 10;
    /// SMS one account may have sent in a day.
    pub const SMS_PER_ACCOUNT: i64 = 200;
    /// SMS one client address may have caused in a day.
    pub const SMS_PER_IP: i64 = 20;
}

/// A rolling day, for [`per_day`].
pub const ROLLING_DAY_MS: i64 = DAY_MS;

/// How long the first lock lasts (15 minutes); each further lock in a row doubles it.
pub const LOCK_BASE_MS: i64 = 15 * MINUTE_MS;
/// The longest a lock lasts (a day).
pub const LOCK_MAX_MS: i64 = DAY_MS;

/// How long the `lockouts`-th lock in a row lasts (1 = the first): 15 min, 30 min, 1 h, … at most a day.
pub fn lock_duration_ms(lockouts: i64) -> i64 {
    let doublings = u32::try_from(lockouts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    LOCK_BASE_MS.saturating_mul(1i64 << doublings).min(LOCK_MAX_MS)
}

/// Failed sign-ins in a row after which every further wrong attempt answers 423, for every email,
/// known or not, whatever its account's lockout policy (the policy's own threshold is never lower):
/// so the attempt that first answers 423 says nothing about which emails exist.
pub const LOCKED_ANSWER_FROM: i64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_up_to_a_day() {
        assert_eq!(lock_duration_ms(1), 15 * MINUTE_MS);
        assert_eq!(lock_duration_ms(2), 30 * MINUTE_MS);
        assert_eq!(lock_duration_ms(3), 60 * MINUTE_MS);
        assert_eq!(lock_duration_ms(7), 16 * 60 * MINUTE_MS);
        assert_eq!(lock_duration_ms(8), DAY_MS);
        assert_eq!(lock_duration_ms(1000), DAY_MS);
        assert_eq!(lock_duration_ms(0), 15 * MINUTE_MS);
    }

    #[test]
    fn the_locked_answer_never_comes_after_a_policy_lock() {
        assert!(LOCKED_ANSWER_FROM <= i64::from(crate::lockout::MIN_ATTEMPTS));
    }
}
