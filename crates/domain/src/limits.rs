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
}
