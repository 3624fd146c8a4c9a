//! Passwords as entered, and the account's password policy.

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
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// The rules a new password must meet in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters allowed.
    pub min_length: usize,
}

/// Longest password accepted (Argon2 input stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_length: 10 }
    }
}

impl PasswordPolicy {
    /// Every rule `password` breaks, as messages (empty when it is acceptable).
    pub fn violations(&self, password: &Password) -> Vec<String> {
        let mut out = Vec::new();
        let n = password.0.chars().count();
        if n < self.min_length {
            out.push(format!("must be at least {} characters", self.min_length));
        }
        if n > MAX_PASSWORD_CHARS {
            out.push(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        let p = PasswordPolicy::default();
        assert_eq!(p.violations(&Password::new("short".into())), vec!["must be at least 10 characters"]);
        assert!(p.violations(&Password::new("long enough pass".into())).is_empty());
        assert_eq!(p.violations(&Password::new("x".repeat(129))).len(), 1);
        assert_eq!(format!("{:?}", Password::new("secret".into())), "Password(…)");
    }
}
