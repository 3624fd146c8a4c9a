//! What an account API key may do: a set of [`ApiScope`]s. `admin` allows everything; a
//! `X:write` scope also allows `X:read`. Every API operation declares the one scope it needs.

use std::fmt;

/// One permission an account API key can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiScope {
    UsersRead,
    UsersWrite,
    LicensesRead,
    LicensesWrite,
    SettingsRead,
    SettingsWrite,
    BillingRead,
    BillingWrite,
    AuditRead,
    WebhooksRead,
    WebhooksWrite,
    MessagesSend,
    UsageWrite,
    Admin,
}

impl ApiScope {
    /// Every scope, in the order pages and documents list them.
    pub const ALL: [ApiScope; 14] = [
        ApiScope::UsersRead,
        ApiScope::UsersWrite,
        ApiScope::LicensesRead,
        ApiScope::LicensesWrite,
        ApiScope::SettingsRead,
        ApiScope::SettingsWrite,
        ApiScope::BillingRead,
        ApiScope::BillingWrite,
        ApiScope::AuditRead,
        ApiScope::WebhooksRead,
        ApiScope::WebhooksWrite,
        ApiScope::MessagesSend,
        ApiScope::UsageWrite,
        ApiScope::Admin,
    ];

    /// The wire name (`users:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::UsersRead => "users:read",
            ApiScope::UsersWrite => "users:write",
            ApiScope::LicensesRead => "licenses:read",
            ApiScope::LicensesWrite => "licenses:write",
            ApiScope::SettingsRead => "settings:read",
            ApiScope::SettingsWrite => "settings:write",
            ApiScope::BillingRead => "billing:read",
            ApiScope::BillingWrite => "billing:write",
            ApiScope::AuditRead => "audit:read",
            ApiScope::WebhooksRead => "webhooks:read",
            ApiScope::WebhooksWrite => "webhooks:write",
            ApiScope::MessagesSend => "messages:send",
            ApiScope::UsageWrite => "usage:write",
            ApiScope::Admin => "admin",
        }
    }

    /// Parses a wire name; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// One line for people choosing scopes.
    pub fn description(self) -> &'static str {
        match self {
            ApiScope::UsersRead => "Read users, invitations and their sessions",
            ApiScope::UsersWrite => "Invite, change, import, unlock, deactivate and delete users",
            ApiScope::LicensesRead => "Read licenses",
            ApiScope::LicensesWrite => "Assign and unassign licenses, connect integrations",
            ApiScope::SettingsRead => "Read account settings and security policies",
            ApiScope::SettingsWrite => "Change account settings and security policies",
            ApiScope::BillingRead => "Read the subscription, invoices and SMS credits",
            ApiScope::BillingWrite => "Change billing settings",
            ApiScope::AuditRead => "Read the audit log",
            ApiScope::WebhooksRead => "Read webhooks and their deliveries",
            ApiScope::WebhooksWrite => "Manage webhooks",
            ApiScope::MessagesSend => "Send SMS and email messages",
            ApiScope::UsageWrite => "Report usage",
            ApiScope::Admin => "Everything, including managing API keys",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The read scope a write scope implies.
    fn implied_read(self) -> Option<ApiScope> {
        match self {
            ApiScope::UsersWrite => Some(ApiScope::UsersRead),
            ApiScope::LicensesWrite => Some(ApiScope::LicensesRead),
            ApiScope::SettingsWrite => Some(ApiScope::SettingsRead),
            ApiScope::BillingWrite => Some(ApiScope::BillingRead),
            ApiScope::WebhooksWrite => Some(ApiScope::WebhooksRead),
            _ => None,
        }
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a scope (known: users:read, users:write, licenses:read, licenses:write, settings:read, settings:write, billing:read, billing:write, audit:read, webhooks:read, webhooks:write, messages:send, usage:write, admin)"
)]
pub struct UnknownScope(pub String);

/// The scopes a key holds (a bit per scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(u16);

impl ScopeSet {
    /// No scope at all.
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// The set of the given scopes.
    pub fn of(scopes: &[ApiScope]) -> Self {
        scopes.iter().fold(Self::EMPTY, |set, s| set.with(*s))
    }

    /// This set and `scope`.
    pub fn with(self, scope: ApiScope) -> Self {
        Self(self.0 | scope.bit())
    }

    /// Whether the set names `scope` itself.
    pub fn contains(self, scope: ApiScope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether a key holding this set may do what needs `needed`: it holds it, or `admin`, or
    /// the write scope of the same resource.
    pub fn allows(self, needed: ApiScope) -> bool {
        self.contains(ApiScope::Admin)
            || self.contains(needed)
            || self.iter().any(|held| held.implied_read() == Some(needed))
    }

    /// Whether no scope is held.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes held, in [`ApiScope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = ApiScope> {
        ApiScope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Parses wire names, each once; the first unknown one is the error.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownScope> {
        names.into_iter().try_fold(Self::EMPTY, |set, name| {
            ApiScope::parse(name.trim()).map(|s| set.with(s)).ok_or_else(|| UnknownScope(name.to_owned()))
        })
    }

    /// The stored form: names separated by spaces.
    pub fn to_stored(self) -> String {
        self.iter().map(ApiScope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Reads the stored form back.
    pub fn from_stored(s: &str) -> Result<Self, UnknownScope> {
        Self::parse(s.split_whitespace())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_scope_parses_back_from_its_name() {
        for s in ApiScope::ALL {
            assert_eq!(ApiScope::parse(s.as_str()), Some(s));
        }
        assert_eq!(ApiScope::parse("users:delete"), None);
        assert_eq!(ApiScope::parse("Admin"), None);
        assert_eq!(ApiScope::parse(""), None);
    }

    #[test]
    fn sets_parse_and_store() {
        let set = ScopeSet::parse(["users:read", "billing:write", "users:read"]).unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![ApiScope::UsersRead, ApiScope::BillingWrite]);
        assert_eq!(set.to_stored(), "users:read billing:write");
        assert_eq!(ScopeSet::from_stored(&set.to_stored()), Ok(set));
        assert_eq!(ScopeSet::parse(["users:read", "nope"]), Err(UnknownScope("nope".into())));
        assert!(ScopeSet::parse([]).unwrap().is_empty());
    }

    #[test]
    fn admin_allows_everything_and_write_allows_read() {
        let admin = ScopeSet::of(&[ApiScope::Admin]);
        assert!(ApiScope::ALL.into_iter().all(|s| admin.allows(s)));
        let write = ScopeSet::of(&[ApiScope::UsersWrite]);
        assert!(write.allows(ApiScope::UsersRead));
        assert!(write.allows(ApiScope::UsersWrite));
        assert!(!write.allows(ApiScope::LicensesRead));
        assert!(!write.allows(ApiScope::Admin));
        let read = ScopeSet::of(&[ApiScope::UsersRead]);
        assert!(read.allows(ApiScope::UsersRead));
        assert!(!read.allows(ApiScope::UsersWrite));
        assert!(!ScopeSet::EMPTY.allows(ApiScope::UsersRead));
        let send = ScopeSet::of(&[ApiScope::MessagesSend, ApiScope::UsageWrite, ApiScope::AuditRead]);
        assert!(send.allows(ApiScope::MessagesSend) && send.allows(ApiScope::AuditRead));
        assert!(!send.allows(ApiScope::WebhooksRead));
    }
}
