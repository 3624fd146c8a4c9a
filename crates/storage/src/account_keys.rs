//! Account API keys: many per account, each with scopes and an optional expiry, kept as a SHA-256
//! hash with a readable prefix. Also the one lookup that finds any `tnt_…` key, personal or
//! account, by its hash.

use crate::users::{User, UserRow, user_columns};
use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::id::AccountKeyId;
use tenantry_domain::{AccountId, ScopeSet, TokenHash, UserId};

/// A key as its account's Administrators see it (never the key itself).
#[derive(Debug, Clone)]
pub struct AccountKey {
    pub id: AccountKeyId,
    pub name: String,
    pub prefix: String,
    pub scopes: ScopeSet,
    pub created_by: UserId,
    /// The creator's name, for lists.
    pub created_by_name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    created_by: String,
    created_by_name: String,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
}

impl TryFrom<KeyRow> for AccountKey {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self> {
        Ok(Self {
            id: AccountKeyId::parse(&r.id).ok_or_else(|| StoreError::corrupt("account_api_keys.id"))?,
            name: r.name,
            prefix: r.prefix,
            scopes: ScopeSet::from_stored(&r.scopes).map_err(|_| StoreError::corrupt("account_api_keys.scopes"))?,
            created_by: UserId::parse(&r.created_by)
                .ok_or_else(|| StoreError::corrupt("account_api_keys.created_by"))?,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
        })
    }
}

/// A key about to be stored.
#[derive(Debug)]
pub struct NewAccountKey<'a> {
    pub id: &'a AccountKeyId,
    pub account_id: &'a AccountId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: &'a TokenHash,
    pub scopes: ScopeSet,
    pub created_by: &'a UserId,
    pub expires_at: Option<i64>,
}

/// Stores a new key.
#[tracing::instrument(level = "debug", skip_all, fields(key_id = %key.id))]
pub async fn insert(conn: &mut AnyConnection, key: &NewAccountKey<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_api_keys (id, account_id, name, prefix, key_hash, scopes, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(key.id.as_str())
    .bind(key.account_id.as_str())
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.hash.as_str())
    .bind(key.scopes.to_stored())
    .bind(key.created_by.as_str())
    .bind(now)
    .bind(key.expires_at)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// How many keys the account has.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn count(conn: &mut AnyConnection, account_id: &AccountId) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM account_api_keys WHERE account_id = $1")
        .bind(account_id.as_str())
        .fetch_one(conn)
        .await?)
}

macro_rules! select_keys {
    () => {
        "SELECT k.id, k.name, k.prefix, k.scopes, k.created_by, u.name AS created_by_name, k.created_at, \
         k.last_used_at, k.expires_at FROM account_api_keys k JOIN users u ON u.id = k.created_by"
    };
}

/// The account's keys, newest first (an account has at most a hundred).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<AccountKey>> {
    const Q: &str = concat!(select_keys!(), " WHERE k.account_id = $1 ORDER BY k.created_at DESC, k.id DESC");
    let rows: Vec<KeyRow> = sqlx::query_as(Q).bind(account_id.as_str()).fetch_all(conn).await?;
    rows.into_iter().map(AccountKey::try_from).collect()
}

/// One key of the account.
#[tracing::instrument(level = "debug", skip_all, fields(key_id = %id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId, id: &AccountKeyId) -> Result<Option<AccountKey>> {
    const Q: &str = concat!(select_keys!(), " WHERE k.account_id = $1 AND k.id = $2");
    let row: Option<KeyRow> =
        sqlx::query_as(Q).bind(account_id.as_str()).bind(id.as_str()).fetch_optional(conn).await?;
    row.map(AccountKey::try_from).transpose()
}

/// Revokes a key; `false` when the account has no such key.
#[tracing::instrument(level = "debug", skip_all, fields(key_id = %id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId, id: &AccountKeyId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM account_api_keys WHERE account_id = $1 AND id = $2")
        .bind(account_id.as_str())
        .bind(id.as_str())
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// Records a use; callers throttle this.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn touch(conn: &mut AnyConnection, key_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE account_api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(key_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Which kind of `tnt_…` key a hash belongs to.
#[derive(Debug, Clone)]
pub enum KeyKind {
    /// A user's personal key.
    Personal,
    /// An account key with its scopes and expiry (`user` is its creator).
    Account { scopes: ScopeSet, expires_at: Option<i64> },
}

/// A key found by its hash, with the user it acts as.
#[derive(Debug, Clone)]
pub struct FoundKey {
    pub kind: KeyKind,
    pub key_id: String,
    pub key_hash: String,
    pub last_used_at: Option<i64>,
    pub user: User,
}

#[derive(sqlx::FromRow)]
struct FoundRow {
    kind: String,
    key_id: String,
    key_hash: String,
    last_used_at: Option<i64>,
    scopes: Option<String>,
    expires_at: Option<i64>,
    #[sqlx(flatten)]
    user: UserRow,
}

// Both tables in one round trip: a personal key costs no more than it did before account keys.
const FIND_BY_HASH: &str = concat!(
    "SELECT 'personal' AS kind, k.id AS key_id, k.key_hash, k.last_used_at, CAST(NULL AS TEXT) AS scopes, ",
    "CAST(NULL AS BIGINT) AS expires_at, ",
    user_columns!(),
    " FROM user_api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1",
    " UNION ALL SELECT 'account' AS kind, k.id AS key_id, k.key_hash, k.last_used_at, k.scopes, k.expires_at, ",
    user_columns!(),
    " FROM account_api_keys k JOIN users u ON u.id = k.created_by WHERE k.key_hash = $1 AND k.account_id = u.account_id"
);

/// The personal or account key whose secret hashes to `hash`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_hash(conn: &mut AnyConnection, hash: &TokenHash) -> Result<Option<FoundKey>> {
    let row: Option<FoundRow> = sqlx::query_as(FIND_BY_HASH).bind(hash.as_str()).fetch_optional(conn).await?;
    let Some(r) = row else { return Ok(None) };
    let kind = match r.kind.as_str() {
        "account" => KeyKind::Account {
            scopes: ScopeSet::from_stored(r.scopes.as_deref().unwrap_or_default())
                .map_err(|_| StoreError::corrupt("account_api_keys.scopes"))?,
            expires_at: r.expires_at,
        },
        _ => KeyKind::Personal,
    };
    Ok(Some(FoundKey {
        kind,
        key_id: r.key_id,
        key_hash: r.key_hash,
        last_used_at: r.last_used_at,
        user: r.user.try_into()?,
    }))
}
