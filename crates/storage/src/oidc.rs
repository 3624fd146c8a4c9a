//! The OpenID Connect provider's tables: clients, signing keys, grants, codes and tokens.
//! Secrets (client secrets, codes, tokens) are looked up by their SHA-256 hash only.

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, TokenHash, UserId};

/// A registered client (never its secret).
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub product: String,
    pub redirect_uris: Vec<String>,
    pub public: bool,
    pub secret_hash: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: String,
    name: String,
    product: String,
    redirect_uris: String,
    public: i64,
    secret_hash: Option<String>,
    backchannel_logout_uri: Option<String>,
    created_at: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(r: ClientRow) -> Result<Self> {
        Ok(Client {
            redirect_uris: serde_json::from_str(&r.redirect_uris)
                .map_err(|_| StoreError::corrupt("oidc_clients.redirect_uris"))?,
            id: r.id,
            name: r.name,
            product: r.product,
            public: r.public != 0,
            secret_hash: r.secret_hash,
            backchannel_logout_uri: r.backchannel_logout_uri,
            created_at: r.created_at,
        })
    }
}

const CLIENT_COLUMNS: &str =
    "id, name, product, redirect_uris, public, secret_hash, backchannel_logout_uri, created_at";

/// Stores a new client.
#[tracing::instrument(level = "debug", skip_all, fields(client_id = %c.id))]
pub async fn insert_client(conn: &mut AnyConnection, c: &Client) -> Result<()> {
    let uris = serde_json::to_string(&c.redirect_uris).map_err(|_| StoreError::corrupt("redirect_uris"))?;
    sqlx::query(
        "INSERT INTO oidc_clients (id, name, product, redirect_uris, public, secret_hash, backchannel_logout_uri, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&c.id)
    .bind(&c.name)
    .bind(&c.product)
    .bind(uris)
    .bind(i64::from(c.public))
    .bind(c.secret_hash.as_deref())
    .bind(c.backchannel_logout_uri.as_deref())
    .bind(c.created_at)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// A client by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn client(conn: &mut AnyConnection, id: &str) -> Result<Option<Client>> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE id = $1");
    let row: Option<ClientRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(conn).await?;
    row.map(Client::try_from).transpose()
}

/// Every client, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn clients(conn: &mut AnyConnection) -> Result<Vec<Client>> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY created_at, id");
    let rows: Vec<ClientRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(conn).await?;
    rows.into_iter().map(Client::try_from).collect()
}

/// A signing key as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKey {
    pub id: String,
    pub alg: String,
    pub private_sealed: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub published_until: Option<i64>,
}

/// Stores a new key and retires the current one (published until `keep_until`), in the caller's
/// transaction.
#[tracing::instrument(level = "debug", skip_all, fields(kid = %k.id))]
pub async fn rotate_key(conn: &mut AnyConnection, k: &SigningKey, keep_until: i64) -> Result<()> {
    sqlx::query("UPDATE oidc_signing_keys SET retired_at = $1, published_until = $2 WHERE retired_at IS NULL")
        .bind(k.created_at)
        .bind(keep_until)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO oidc_signing_keys (id, alg, private_sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&k.id)
    .bind(&k.alg)
    .bind(&k.private_sealed)
    .bind(&k.public_jwk)
    .bind(k.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The keys to publish at `now`, the current one first; those past their time are forgotten.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn published_keys(conn: &mut AnyConnection, now: i64) -> Result<Vec<SigningKey>> {
    sqlx::query("DELETE FROM oidc_signing_keys WHERE published_until IS NOT NULL AND published_until < $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as(
        "SELECT id, alg, private_sealed, public_jwk, created_at, retired_at, published_until FROM oidc_signing_keys \
         ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC",
    )
    .fetch_all(conn)
    .await?)
}

/// A grant: one sign-in of a user to a client, and the family of its tokens.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub account_id: String,
    pub session_id: Option<String>,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub revoked_at: Option<i64>,
}

const GRANT_COLUMNS: &str = "g.id, g.client_id, g.user_id, g.account_id, g.session_id, g.scope, g.nonce, g.auth_time, g.created_at, g.last_used_at, g.revoked_at";

/// Stores a grant and its authorization code.
#[tracing::instrument(level = "debug", skip_all, fields(grant_id = %g.id))]
pub async fn insert_grant_with_code(
    conn: &mut AnyConnection, g: &Grant, code: &TokenHash, redirect_uri: &str, challenge: Option<&str>, expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oidc_grants (id, client_id, user_id, account_id, session_id, scope, nonce, auth_time, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&g.id)
    .bind(&g.client_id)
    .bind(&g.user_id)
    .bind(&g.account_id)
    .bind(g.session_id.as_deref())
    .bind(&g.scope)
    .bind(g.nonce.as_deref())
    .bind(g.auth_time)
    .bind(g.created_at)
    .bind(g.last_used_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO oidc_codes (code_hash, grant_id, redirect_uri, code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(code.as_str())
    .bind(&g.id)
    .bind(redirect_uri)
    .bind(challenge)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An authorization code as stored, with its grant.
#[derive(Debug, Clone)]
pub struct Code {
    pub code_hash: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub grant: Grant,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    code_hash: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
    #[sqlx(flatten)]
    grant: Grant,
}

/// The code with this hash, with its grant.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn code(conn: &mut AnyConnection, hash: &TokenHash) -> Result<Option<Code>> {
    let sql = format!(
        "SELECT c.code_hash, c.redirect_uri, c.code_challenge, c.expires_at, c.used_at, {GRANT_COLUMNS} \
         FROM oidc_codes c JOIN oidc_grants g ON g.id = c.grant_id WHERE c.code_hash = $1"
    );
    let row: Option<CodeRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash.as_str()).fetch_optional(conn).await?;
    Ok(row.map(|r| Code {
        code_hash: r.code_hash,
        redirect_uri: r.redirect_uri,
        code_challenge: r.code_challenge,
        expires_at: r.expires_at,
        used_at: r.used_at,
        grant: r.grant,
    }))
}

/// Marks a code used; `false` when it already was (another request won the race).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn use_code(conn: &mut AnyConnection, hash: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query("UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(hash)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// Stores a token of a grant.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_token(
    conn: &mut AnyConnection, grant_id: &str, kind: &str, hash: &TokenHash, expires_at: Option<i64>, now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oidc_tokens (token_hash, grant_id, kind, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash.as_str())
    .bind(grant_id)
    .bind(kind)
    .bind(expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A token as stored, with its grant.
#[derive(Debug, Clone)]
pub struct Token {
    pub token_hash: String,
    pub kind: String,
    pub expires_at: Option<i64>,
    pub used_at: Option<i64>,
    pub created_at: i64,
    pub grant: Grant,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    token_hash: String,
    kind: String,
    expires_at: Option<i64>,
    used_at: Option<i64>,
    token_created_at: i64,
    #[sqlx(flatten)]
    grant: Grant,
}

/// The token with this hash, with its grant (revoked or not).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn token(conn: &mut AnyConnection, hash: &TokenHash) -> Result<Option<Token>> {
    let sql = format!(
        "SELECT t.token_hash, t.kind, t.expires_at, t.used_at, t.created_at AS token_created_at, {GRANT_COLUMNS} \
         FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id WHERE t.token_hash = $1"
    );
    let row: Option<TokenRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash.as_str()).fetch_optional(conn).await?;
    Ok(row.map(|r| Token {
        token_hash: r.token_hash,
        kind: r.kind,
        expires_at: r.expires_at,
        used_at: r.used_at,
        created_at: r.token_created_at,
        grant: r.grant,
    }))
}

/// Marks a refresh token spent; `false` when it already was.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn spend_token(conn: &mut AnyConnection, hash: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query("UPDATE oidc_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(hash)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// Records a use of a grant.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn touch_grant(conn: &mut AnyConnection, grant_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE oidc_grants SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(grant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes a grant and deletes its tokens; `false` when it was already revoked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_grant(conn: &mut AnyConnection, grant_id: &str, now: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM oidc_tokens WHERE grant_id = $1").bind(grant_id).execute(conn).await?;
    Ok(n == 1)
}

/// Deletes one token (revocation of an access token leaves the grant alone).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_token(conn: &mut AnyConnection, hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM oidc_tokens WHERE token_hash = $1").bind(hash).execute(conn).await?;
    Ok(())
}

/// The live grants of a user, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn live_grants_of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Vec<Grant>> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.user_id = $1 AND g.revoked_at IS NULL \
         AND EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = g.id AND t.kind = 'refresh' AND t.used_at IS NULL) \
         ORDER BY g.last_used_at DESC, g.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id.as_str()).fetch_all(conn).await?)
}

/// Every unrevoked grant of a user (those with tokens or not), for "sign out everywhere".
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn open_grants_of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Vec<Grant>> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id.as_str()).fetch_all(conn).await?)
}

/// The unrevoked grants made through one Tenantry session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_grants_of_session(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<Grant>> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.session_id = $1 AND g.revoked_at IS NULL ORDER BY g.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(session_id).fetch_all(conn).await?)
}

/// A grant of a user by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grant_of_user(conn: &mut AnyConnection, user_id: &UserId, grant_id: &str) -> Result<Option<Grant>> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.id = $1 AND g.user_id = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(grant_id).bind(user_id.as_str()).fetch_optional(conn).await?)
}

/// The account of a grant's user, for checks that need it.
pub fn account_of(g: &Grant) -> Option<AccountId> {
    AccountId::parse(&g.account_id)
}
