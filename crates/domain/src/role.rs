use serde::{Deserialize, Serialize};

/// What a user may do in their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees and changes account settings and other users.
    Administrator,
    /// Sees only their own settings.
    Member,
}

wire_names!(Role, "administrator, member", { Administrator => "administrator", Member => "member" });

impl Role {
    /// The name shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Member => "Member",
        }
    }
}

/// An unknown role or status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of: {0}")]
pub struct UnknownVariant(&'static str);

impl UnknownVariant {
    /// The error for a value that is none of `allowed` (a comma-separated list).
    pub fn new(allowed: &'static str) -> Self {
        Self(allowed)
    }
}

/// Where a user stands, as the users list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Invited, has not accepted yet ("Invited (Pending)").
    Invited,
    /// Has set a password and signed in ("Has signed in").
    Active,
    /// Locked by the lockout policy.
    Locked,
    /// Deactivated by an Administrator: kept (licenses, booking pages) but cannot sign in.
    Deactivated,
}

wire_names!(UserStatus, "invited, active, locked, deactivated", {
    Invited => "invited", Active => "active", Locked => "locked", Deactivated => "deactivated"
});

impl UserStatus {
    /// The label shown in the Users lobby.
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Invited => "Invited (Pending)",
            UserStatus::Active => "Has signed in",
            UserStatus::Locked => "Locked",
            UserStatus::Deactivated => "Deactivated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in [Role::Administrator, Role::Member] {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        for s in [UserStatus::Invited, UserStatus::Active, UserStatus::Locked, UserStatus::Deactivated] {
            assert_eq!(s.as_str().parse::<UserStatus>(), Ok(s));
        }
        assert!("Administrator".parse::<Role>().is_err());
    }
}
