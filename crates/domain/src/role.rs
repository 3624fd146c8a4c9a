use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What a user may do in their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees and changes account settings and other users.
    Administrator,
    /// Sees only their own settings.
    Member,
}

impl Role {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Member => "member",
        }
    }
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

impl FromStr for Role {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "administrator" => Ok(Role::Administrator),
            "member" => Ok(Role::Member),
            _ => Err(UnknownVariant("administrator, member")),
        }
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
}

impl UserStatus {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Locked => "locked",
        }
    }
    /// The label shown in the Users lobby.
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Invited => "Invited (Pending)",
            UserStatus::Active => "Has signed in",
            UserStatus::Locked => "Locked",
        }
    }
}

impl FromStr for UserStatus {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "invited" => Ok(UserStatus::Invited),
            "active" => Ok(UserStatus::Active),
            "locked" => Ok(UserStatus::Locked),
            _ => Err(UnknownVariant("invited, active, locked")),
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
        for s in [UserStatus::Invited, UserStatus::Active, UserStatus::Locked] {
            assert_eq!(s.as_str().parse::<UserStatus>(), Ok(s));
        }
        assert!("Administrator".parse::<Role>().is_err());
    }
}
