//! Account API keys (Administrators): a key acts for its account as its creator's Administrator
//! capability narrowed to its scopes. It works only while the creator is an active Administrator
//! of the account (deleting the creator deletes their keys). Shown once when created (`tnt_…`),
//! kept as a SHA-256 hash, listed by prefix, revocable, optionally expiring.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::{Value, json};
use tenantry_domain::id::AccountKeyId;
use tenantry_domain::{ScopeSet, SecretToken, ValidationErrors};
use tenantry_storage::account_keys::{self, AccountKey, NewAccountKey};

/// Most keys one account may have.
pub const MAX_KEYS: i64 = 100;
/// Longest key name, in characters.
pub const MAX_NAME: usize = 100;
/// How many characters of a key its Administrators see again (`tnt_` and 8 more).
const SHOWN: usize = 12;

/// A key name: trimmed, 1–100 characters, no control characters.
pub fn parse_name(input: &str) -> std::result::Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("is required".to_owned());
    }
    if s.chars().count() > MAX_NAME {
        return Err(format!("is too long (at most {MAX_NAME} characters)"));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(s.to_owned())
}

/// Scope names as sent: at least one, each known.
pub fn parse_scopes<S: AsRef<str>>(names: &[S]) -> std::result::Result<ScopeSet, String> {
    let set = ScopeSet::parse(names.iter().map(AsRef::as_ref)).map_err(|e| e.to_string())?;
    if set.is_empty() {
        return Err("must name at least one scope".to_owned());
    }
    Ok(set)
}

/// An expiry as sent (RFC 3339), which must be in the future; `None` never expires.
pub fn parse_expiry(input: Option<&str>, now: i64) -> std::result::Result<Option<i64>, String> {
    let Some(text) = input.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let at = text
        .parse::<jiff::Timestamp>()
        .map_err(|_| "must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z".to_owned())?
        .as_millisecond();
    if at <= now {
        return Err("must be in the future".to_owned());
    }
    Ok(Some(at))
}

/// A valid new key.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub scopes: ScopeSet,
    pub expires_at: Option<i64>,
}

impl NewKey {
    /// Checks what was sent, naming each invalid field (`name`, `scopes`, `expires_at`).
    pub fn parse<S: AsRef<str>>(
        name: &str, scopes: &[S], expires_at: Option<&str>, now: i64,
    ) -> std::result::Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check("name", parse_name(name));
        let scopes = e.check("scopes", parse_scopes(scopes));
        let expires_at = e.check("expires_at", parse_expiry(expires_at, now));
        match (name, scopes, expires_at) {
            (Some(name), Some(scopes), Some(expires_at)) => Ok(Self { name, scopes, expires_at }),
            _ => Err(e),
        }
    }
}

/// A key just created: the secret is in `key`, shown this once.
pub struct CreatedKey {
    pub key: SecretToken,
    pub info: AccountKey,
}

/// A key as the audit log records it (never the secret).
fn audit_view(k: &AccountKey) -> Value {
    json!({
        "name": k.name,
        "prefix": k.prefix,
        "scopes": k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "expires_at": k.expires_at.map(tenantry_domain::time::rfc3339),
    })
}

/// Creates a key for the admin's account, recorded in the audit log; 409 past [`MAX_KEYS`].
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn create(state: &App, admin: &Admin, actor: &Actor, new: NewKey) -> Result<CreatedKey> {
    let key = SecretToken::generate(crate::api_keys::PREFIX);
    let prefix: String = key.expose().chars().take(SHOWN).collect();
    let id = AccountKeyId::generate();
    let now = state.now();
    let account_id = admin.account_id();
    let mut tx = state.db.begin().await?;
    if account_keys::count(&mut tx, account_id).await? >= MAX_KEYS {
        return Err(Error::Rule {
            code: "key_limit",
            detail: format!("An account can have at most {MAX_KEYS} API keys: revoke one first."),
        });
    }
    let hash = key.hash();
    let row = NewAccountKey {
        id: &id,
        account_id,
        name: &new.name,
        prefix: &prefix,
        hash: &hash,
        scopes: new.scopes,
        created_by: &admin.user.id,
        expires_at: new.expires_at,
    };
    account_keys::insert(&mut tx, &row, now).await?;
    let info = account_keys::get(&mut tx, account_id, &id).await?.ok_or(Error::NotFound)?;
    let change = Change::new("api_key.created", "api_key", id.as_str()).after(audit_view(&info));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(CreatedKey { key, info })
}

/// The account's keys, newest first (never the secrets).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn list(state: &App, admin: &Admin) -> Result<Vec<AccountKey>> {
    let mut conn = state.db.conn().await?;
    Ok(account_keys::list(&mut conn, admin.account_id()).await?)
}

/// One key of the account; others' are 404.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), key_id = %id))]
pub async fn get(state: &App, admin: &Admin, id: &AccountKeyId) -> Result<AccountKey> {
    let mut conn = state.db.conn().await?;
    account_keys::get(&mut conn, admin.account_id(), id).await?.ok_or(Error::NotFound)
}

/// Revokes a key at once (also from this node's cache), recorded in the audit log.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), key_id = %id))]
pub async fn revoke(state: &App, admin: &Admin, actor: &Actor, id: &AccountKeyId) -> Result<AccountKey> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = account_keys::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    account_keys::delete(&mut tx, admin.account_id(), id).await?;
    let change = Change::new("api_key.revoked", "api_key", id.as_str()).before(audit_view(&before));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_session(id.as_str());
    Ok(before)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn new_keys_name_each_invalid_field() {
        let now = 1_800_000_000_000;
        let ok = NewKey::parse(" CI ", &["users:read", "admin"], Some("2030-01-01T00:00:00Z"), now).unwrap();
        assert_eq!(ok.name, "CI");
        assert!(ok.scopes.allows(tenantry_domain::ApiScope::BillingWrite));
        assert!(ok.expires_at.is_some());
        let fields = |r: std::result::Result<NewKey, ValidationErrors>| {
            r.err().map(|e| e.0.into_iter().map(|f| f.field).collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(fields(NewKey::parse("", &["users:read"], None, now)), vec!["name"]);
        assert_eq!(fields(NewKey::parse(&"x".repeat(101), &["users:read"], None, now)), vec!["name"]);
        assert_eq!(fields(NewKey::parse::<&str>("a", &[], None, now)), vec!["scopes"]);
        assert_eq!(fields(NewKey::parse("a", &["users:drop"], None, now)), vec!["scopes"]);
        assert_eq!(fields(NewKey::parse("a", &["users:read"], Some("2020-01-01T00:00:00Z"), now)), vec!["expires_at"]);
        assert_eq!(fields(NewKey::parse("a", &["users:read"], Some("tomorrow"), now)), vec!["expires_at"]);
    }
}
