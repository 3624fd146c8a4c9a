//! What a session may do. A sign-in whose password expired, or whose account requires two-step
//! verification the user has not set up, gets a restricted session that can only take that one
//! step. Each route declares the [`Reach`] it needs (the web layer marks whole routers with it);
//! [`SessionScope::allows`] decides.

/// What a session may do: everything, or only the one step its user must take first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionScope {
    /// Everything the user's role allows.
    Full,
    /// The password expired or must be changed: only changing it (and signing out) is allowed.
    PasswordChange,
    /// The account requires two-step verification and the user has none yet: only setting it up.
    MfaSetup,
}

/// Which sessions a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only full sessions (every route not marked otherwise).
    Full,
    /// Every session, restricted or not: signing out and reading one's own record.
    AnySession,
    /// Full sessions and those that must change their password first.
    PasswordChange,
    /// Full sessions and those that must set up two-step verification first.
    MfaSetup,
}

impl SessionScope {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionScope::Full => "full",
            SessionScope::PasswordChange => "password_change",
            SessionScope::MfaSetup => "mfa_setup",
        }
    }

    /// Parses a stored name; anything unknown is the most restricted scope.
    pub fn parse(s: &str) -> Self {
        match s {
            "full" => SessionScope::Full,
            "mfa_setup" => SessionScope::MfaSetup,
            _ => SessionScope::PasswordChange,
        }
    }

    /// Whether a session of this scope may use a route of `reach`.
    pub fn allows(self, reach: Reach) -> bool {
        matches!(
            (self, reach),
            (SessionScope::Full, _)
                | (_, Reach::AnySession)
                | (SessionScope::PasswordChange, Reach::PasswordChange)
                | (SessionScope::MfaSetup, Reach::MfaSetup)
        )
    }

    /// Why a restricted session was refused.
    pub fn refusal(self) -> &'static str {
        match self {
            SessionScope::MfaSetup => {
                "Your account requires two-step verification: set it up first (POST /api/v1/me/mfa/totp)."
            }
            _ => "Your password has expired or must be changed: change it first (POST /api/v1/me/password).",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scope_reaches_exactly_its_routes() {
        // Columns: routes of reach Full, AnySession, PasswordChange, MfaSetup.
        let table = [
            (SessionScope::Full, [true, true, true, true]),
            (SessionScope::PasswordChange, [false, true, true, false]),
            (SessionScope::MfaSetup, [false, true, false, true]),
        ];
        for (scope, expected) in table {
            let got = [Reach::Full, Reach::AnySession, Reach::PasswordChange, Reach::MfaSetup].map(|r| scope.allows(r));
            assert_eq!(got, expected, "{scope:?}");
        }
    }

    #[test]
    fn stored_names_round_trip_and_unknown_is_restricted() {
        for s in [SessionScope::Full, SessionScope::PasswordChange, SessionScope::MfaSetup] {
            assert_eq!(SessionScope::parse(s.as_str()), s);
        }
        assert_eq!(SessionScope::parse("bogus"), SessionScope::PasswordChange);
    }
}
