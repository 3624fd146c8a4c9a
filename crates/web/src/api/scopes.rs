//! What each API operation needs from an account API key, read from the OpenAPI document at
//! start-up: every handler declares it once, in its `#[utoipa::path]` attribute, as
//! `security(("bearer" = ["users:read"]))`. An empty list (`"bearer" = []`) marks a person's own
//! endpoint (My settings, sign-out), which account keys never reach; operator and public routes
//! declare other schemes. A route missing from the table refuses account keys (fail closed).

use axum::http::Method;
use std::collections::HashMap;
use tenantry_domain::{ApiScope, ScopeSet};

/// The security scheme of signed-in callers (sessions and API keys).
pub const BEARER: &str = "bearer";
/// The security scheme of the operator's token.
pub const OPERATOR: &str = "operator";

/// What an operation needs from an account API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// This scope (or one that implies it).
    Scope(ApiScope),
    /// A person: sessions and personal keys only.
    Person,
    /// Not a signed-in caller's route (public, or the operator's).
    Other,
}

/// Why an account API key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRefusal {
    /// The key lacks this scope.
    Missing(ApiScope),
    /// The route is a person's own (`rule: "personal_only"`).
    PersonalOnly,
    /// The route declares nothing an account key can hold.
    Unlisted,
}

/// `(method, path template) → what it needs`, for every operation of the document.
#[derive(Debug, Clone, Default)]
pub struct ScopeTable(HashMap<(Method, String), Needs>);

impl ScopeTable {
    /// Reads every operation's security requirement from `doc`.
    pub fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut table = HashMap::new();
        let Ok(json) = serde_json::to_value(doc) else { return Self(table) };
        for (path, item) in json["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else { continue };
                if let Some(needs) = needs_of(&op["security"]) {
                    table.insert((method, path.clone()), needs);
                }
            }
        }
        Self(table)
    }

    /// What `method` on the route `template` (as axum's `MatchedPath` gives it) needs.
    pub fn needs(&self, method: &Method, template: &str) -> Option<Needs> {
        self.0.get(&(method.clone(), template.to_owned())).copied()
    }

    /// Whether a key holding `scopes` may call `method` on `template`, or why not.
    pub fn check(&self, scopes: ScopeSet, method: &Method, template: Option<&str>) -> Result<(), ScopeRefusal> {
        match template.and_then(|t| self.needs(method, t)) {
            Some(Needs::Scope(needed)) if scopes.allows(needed) => Ok(()),
            Some(Needs::Scope(needed)) => Err(ScopeRefusal::Missing(needed)),
            Some(Needs::Person) => Err(ScopeRefusal::PersonalOnly),
            Some(Needs::Other) | None => Err(ScopeRefusal::Unlisted),
        }
    }

    /// How many operations the table knows.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The needs an operation's `security` array declares; `None` when it declares none at all.
fn needs_of(security: &serde_json::Value) -> Option<Needs> {
    let requirements = security.as_array()?;
    for requirement in requirements {
        if let Some(scopes) = requirement.get(BEARER).and_then(|s| s.as_array()) {
            return Some(match scopes.first().and_then(|s| s.as_str()) {
                None => Needs::Person,
                Some(name) => ApiScope::parse(name).map_or(Needs::Other, Needs::Scope),
            });
        }
    }
    Some(Needs::Other)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn doc() -> serde_json::Value {
        serde_json::to_value(crate::api::router().1).unwrap()
    }

    #[test]
    fn every_operation_declares_a_security_requirement() {
        let doc = doc();
        let mut count = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                count += 1;
                let security = op["security"].as_array().unwrap_or_else(|| panic!("{method} {path} declares security"));
                assert!(!security.is_empty(), "{method} {path} declares a requirement");
                for requirement in security {
                    for (scheme, scopes) in requirement.as_object().unwrap() {
                        assert!([BEARER, OPERATOR].contains(&scheme.as_str()), "{method} {path}: scheme {scheme}");
                        for s in scopes.as_array().unwrap() {
                            let s = s.as_str().unwrap();
                            assert!(ApiScope::parse(s).is_some(), "{method} {path}: unknown scope {s}");
                        }
                        assert!(scopes.as_array().unwrap().len() <= 1, "{method} {path}: one scope");
                    }
                }
            }
        }
        assert!(count > 80, "{count} operations");
    }

    #[test]
    fn the_table_answers_what_each_route_needs() {
        let table = ScopeTable::from_doc(&crate::api::router().1);
        assert_eq!(table.needs(&Method::GET, "/api/v1/users"), Some(Needs::Scope(ApiScope::UsersRead)));
        assert_eq!(table.needs(&Method::POST, "/api/v1/users"), Some(Needs::Scope(ApiScope::UsersWrite)));
        assert_eq!(table.needs(&Method::GET, "/api/v1/me"), Some(Needs::Person));
        assert_eq!(table.needs(&Method::POST, "/api/v1/auth/sign-in"), Some(Needs::Other));
        assert_eq!(table.needs(&Method::GET, "/api/v1/operator/accounts"), Some(Needs::Other));
        assert_eq!(table.needs(&Method::GET, "/api/v1/api-keys"), Some(Needs::Scope(ApiScope::Admin)));
        let read = ScopeSet::of(&[ApiScope::UsersRead]);
        assert_eq!(table.check(read, &Method::GET, Some("/api/v1/users/{id}")), Ok(()));
        assert_eq!(
            table.check(read, &Method::DELETE, Some("/api/v1/users/{id}")),
            Err(ScopeRefusal::Missing(ApiScope::UsersWrite))
        );
        assert_eq!(table.check(read, &Method::GET, Some("/api/v1/me")), Err(ScopeRefusal::PersonalOnly));
        assert_eq!(table.check(read, &Method::GET, Some("/nowhere")), Err(ScopeRefusal::Unlisted));
        assert_eq!(table.check(read, &Method::GET, None), Err(ScopeRefusal::Unlisted));
        let admin = ScopeSet::of(&[ApiScope::Admin]);
        assert_eq!(table.check(admin, &Method::DELETE, Some("/api/v1/account")), Ok(()));
        assert_eq!(table.check(admin, &Method::PATCH, Some("/api/v1/me")), Err(ScopeRefusal::PersonalOnly));
    }
}
