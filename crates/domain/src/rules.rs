//! The account invariants, as pure functions named after the rule they keep.

/// A change refused because it would break one of the account's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The account would have no Administrator left.
    #[error("An account must keep at least one Administrator: promote another user first.")]
    LastAdministrator,
}

/// An account always keeps at least one Administrator: `admins_after` is how many the change leaves.
pub fn ensure_an_administrator_remains(admins_after: i64) -> Result<(), RuleViolation> {
    if admins_after >= 1 { Ok(()) } else { Err(RuleViolation::LastAdministrator) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_administrator() {
        assert_eq!(ensure_an_administrator_remains(0), Err(RuleViolation::LastAdministrator));
        assert_eq!(ensure_an_administrator_remains(1), Ok(()));
    }
}
