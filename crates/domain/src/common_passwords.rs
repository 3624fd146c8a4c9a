//! The most common passwords (Django's list of 19,646, see `data/README.md`), embedded in the binary.

use std::collections::HashSet;
use std::sync::LazyLock;

static LIST: &str = include_str!("../data/common-passwords.txt");

static SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| LIST.lines().map(str::trim).filter(|l| !l.is_empty()).collect());

/// Whether `password` is on the list, ignoring case (and surrounding spaces).
pub fn is_common(password: &str) -> bool {
    SET.contains(password.trim().to_lowercase().as_str())
}

/// How many passwords the list holds.
pub fn count() -> usize {
    SET.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_large_and_case_insensitive() {
        assert!(count() >= 10_000, "{}", count());
        assert!(is_common("password") && is_common("PassWord") && is_common("qwerty123"));
        assert!(!is_common("a quiet violet teapot 77"));
    }
}
