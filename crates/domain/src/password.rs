//! Passwords as entered, and the account's password policy.

use crate::common_passwords;
use crate::error::ValidationErrors;
use std::fmt;

/// A password as the user typed it. Never printed; only hashed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps raw input; length and complexity are judged by a [`PasswordPolicy`].
    pub fn new(raw: String) -> Self {
        Self(raw)
    }
    /// The secret, for hashing and verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// What storage may keep about the password to tell later whether it meets a stricter policy:
    /// its length and which character classes it has, never the password.
    pub fn profile(&self) -> PasswordProfile {
        let mut classes = 0;
        for c in self.0.chars() {
            classes |= class_of(c);
        }
        PasswordProfile { length: self.0.chars().count(), classes }
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

const LOWER: u8 = 1;
const UPPER: u8 = 2;
const DIGIT: u8 = 4;
const SYMBOL: u8 = 8;

fn class_of(c: char) -> u8 {
    if c.is_lowercase() {
        LOWER
    } else if c.is_uppercase() {
        UPPER
    } else if c.is_numeric() {
        DIGIT
    } else if c.is_alphabetic() {
        // Letters without case (e.g. CJK) count as neither; they still add length.
        0
    } else {
        SYMBOL
    }
}

/// The length and character classes of a password (bits: 1 lower, 2 upper, 4 digit, 8 symbol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordProfile {
    pub length: usize,
    pub classes: u8,
}

/// The rules a new password must meet in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters allowed (8–128).
    pub min_length: usize,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    /// Days a password stays valid; 0 = forever.
    pub expiration_days: u32,
    /// How many recent passwords (the current one included) may not be reused; 0 = off.
    pub history_count: u32,
}

/// Longest password accepted (Argon2 input stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Shortest minimum length a policy may set.
pub const MIN_POLICY_LENGTH: usize = 8;
/// Most passwords a history may remember.
pub const MAX_HISTORY: u32 = 24;
/// Longest expiration a policy may set, in days.
pub const MAX_EXPIRATION_DAYS: u32 = 3650;

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 10,
            require_lowercase: false,
            require_uppercase: false,
            require_digit: false,
            require_symbol: false,
            expiration_days: 0,
            history_count: 0,
        }
    }
}

/// One rule a new password breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRule {
    /// Fewer characters than the policy's minimum.
    TooShort(usize),
    /// More than [`MAX_PASSWORD_CHARS`].
    TooLong,
    Lowercase,
    Uppercase,
    Digit,
    Symbol,
    /// The same as the user's email address.
    SameAsEmail,
    /// The same as the user's username.
    SameAsUsername,
    /// On the list of most common passwords.
    Common,
    /// One of the last N passwords of the user.
    Reused(u32),
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordRule::TooShort(n) => write!(f, "must be at least {n} characters"),
            PasswordRule::TooLong => write!(f, "must be at most {MAX_PASSWORD_CHARS} characters"),
            PasswordRule::Lowercase => f.write_str("must contain a lowercase letter"),
            PasswordRule::Uppercase => f.write_str("must contain an uppercase letter"),
            PasswordRule::Digit => f.write_str("must contain a digit"),
            PasswordRule::Symbol => f.write_str("must contain a symbol (not a letter or digit)"),
            PasswordRule::SameAsEmail => f.write_str("must not be your email address"),
            PasswordRule::SameAsUsername => f.write_str("must not be your username"),
            PasswordRule::Common => f.write_str("is one of the most common passwords; choose another"),
            PasswordRule::Reused(n) => write!(f, "must differ from your last {n} passwords"),
        }
    }
}

/// Who the password is for, so it can differ from their email and username.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub email: &'a str,
    pub username: Option<&'a str>,
}

impl PasswordPolicy {
    /// Every rule `password` breaks (empty when it is acceptable). History is checked by the
    /// caller, who holds the hashes.
    pub fn violations(&self, password: &Password, who: &PasswordContext<'_>) -> Vec<PasswordRule> {
        let mut out = self.profile_violations(&password.profile());
        let raw = password.expose();
        let folded = raw.trim().to_lowercase();
        if !who.email.is_empty() && folded == who.email.trim().to_lowercase() {
            out.push(PasswordRule::SameAsEmail);
        }
        if who.username.is_some_and(|u| !u.is_empty() && folded == u.to_lowercase()) {
            out.push(PasswordRule::SameAsUsername);
        }
        if common_passwords::is_common(raw) {
            out.push(PasswordRule::Common);
        }
        out
    }

    /// The rules a password with this length and these character classes breaks.
    pub fn profile_violations(&self, p: &PasswordProfile) -> Vec<PasswordRule> {
        let mut out = Vec::new();
        if p.length < self.min_length {
            out.push(PasswordRule::TooShort(self.min_length));
        }
        if p.length > MAX_PASSWORD_CHARS {
            out.push(PasswordRule::TooLong);
        }
        let missing = |bit: u8| p.classes & bit == 0;
        if self.require_lowercase && missing(LOWER) {
            out.push(PasswordRule::Lowercase);
        }
        if self.require_uppercase && missing(UPPER) {
            out.push(PasswordRule::Uppercase);
        }
        if self.require_digit && missing(DIGIT) {
            out.push(PasswordRule::Digit);
        }
        if self.require_symbol && missing(SYMBOL) {
            out.push(PasswordRule::Symbol);
        }
        out
    }

    /// Whether a password set at `changed_at` has expired at `now` (milliseconds).
    pub fn is_expired(&self, changed_at: Option<i64>, now: i64) -> bool {
        match (self.expiration_days, changed_at) {
            (0, _) | (_, None) => false,
            (days, Some(at)) => now.saturating_sub(at) >= i64::from(days) * 86_400_000,
        }
    }

    /// Checks the policy's own settings, every problem under its JSON field name.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(MIN_POLICY_LENGTH..=MAX_PASSWORD_CHARS).contains(&self.min_length) {
            e.push("min_length", format!("must be between {MIN_POLICY_LENGTH} and {MAX_PASSWORD_CHARS}"));
        }
        if self.expiration_days > MAX_EXPIRATION_DAYS {
            e.push("expiration_days", format!("must be between 0 and {MAX_EXPIRATION_DAYS}"));
        }
        if self.history_count > MAX_HISTORY {
            e.push("history_count", format!("must be between 0 and {MAX_HISTORY}"));
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn who() -> PasswordContext<'static> {
        PasswordContext { email: "ana@example.com", username: Some("ana.lima") }
    }

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 12,
            require_lowercase: true,
            require_uppercase: true,
            require_digit: true,
            require_symbol: true,
            ..PasswordPolicy::default()
        }
    }

    #[test]
    fn every_unmet_rule_is_listed() {
        let p = strict();
        assert_eq!(
            p.violations(&Password::new("short".into()), &who()),
            vec![PasswordRule::TooShort(12), PasswordRule::Uppercase, PasswordRule::Digit, PasswordRule::Symbol]
        );
        assert_eq!(
            p.violations(&Password::new("ABCDEFGHIJKLM".into()), &who()),
            vec![PasswordRule::Lowercase, PasswordRule::Digit, PasswordRule::Symbol]
        );
        assert!(p.violations(&Password::new("Quiet-violet-teapot-7".into()), &who()).is_empty());
        assert_eq!(
            PasswordPolicy::default().violations(&Password::new("x".repeat(129)), &who()),
            vec![PasswordRule::TooLong]
        );
        assert_eq!(format!("{:?}", Password::new("secret".into())), "Password(…)");
    }

    #[test]
    fn email_username_and_common_passwords_are_refused() {
        let p = PasswordPolicy { min_length: 8, ..PasswordPolicy::default() };
        assert_eq!(p.violations(&Password::new("ANA@example.com".into()), &who()), vec![PasswordRule::SameAsEmail]);
        assert_eq!(p.violations(&Password::new("Ana.Lima".into()), &who()), vec![PasswordRule::SameAsUsername]);
        assert_eq!(p.violations(&Password::new("PassWord123".into()), &who()), vec![PasswordRule::Common]);
    }

    #[test]
    fn expiry_and_policy_bounds() {
        let p = PasswordPolicy { expiration_days: 2, ..PasswordPolicy::default() };
        assert!(!p.is_expired(Some(0), 2 * 86_400_000 - 1));
        assert!(p.is_expired(Some(0), 2 * 86_400_000));
        assert!(!PasswordPolicy::default().is_expired(Some(0), i64::MAX));
        // Times far apart (a damaged stored value) answer instead of overflowing.
        assert!(p.is_expired(Some(i64::MIN), i64::MAX));
        assert!(!p.is_expired(Some(i64::MAX), i64::MIN));
        let bad =
            PasswordPolicy { min_length: 7, expiration_days: 4000, history_count: 25, ..PasswordPolicy::default() };
        let fields: Vec<String> =
            bad.validate().err().map(|e| e.0.into_iter().map(|f| f.field).collect()).unwrap_or_default();
        assert_eq!(fields, vec!["min_length", "expiration_days", "history_count"]);
        assert!(PasswordPolicy::default().validate().is_ok());
    }

    proptest! {
        #[test]
        fn profile_checks_agree_with_full_checks(s in "\\PC{0,40}") {
            let pw = Password::new(s);
            let p = strict();
            let full: Vec<PasswordRule> = p.violations(&pw, &PasswordContext::default()).into_iter().filter(|r| *r != PasswordRule::Common).collect();
            prop_assert_eq!(full, p.profile_violations(&pw.profile()));
        }

        #[test]
        fn long_enough_mixed_passwords_pass_the_length_and_class_rules(core in "[a-z]{4}[A-Z]{4}[0-9]{2}[!#%&]{2}") {
            prop_assert!(strict().profile_violations(&Password::new(core).profile()).is_empty());
        }
    }
}
