//! Account API keys (Administrators, or keys with `admin`): `/api/v1/api-keys[/{id}]`.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, PathId};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::account_keys::{self, NewKey};
use tenantry_domain::id::AccountKeyId;
use tenantry_storage::account_keys::AccountKey;
use utoipa::ToSchema;

/// An account API key, without the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountKeyView {
    #[schema(example = "key_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub id: String,
    #[schema(example = "Nightly user sync")]
    pub name: String,
    /// The first characters of the key, to recognise it by.
    #[schema(example = "tnt_3f9a1c2b")]
    pub prefix: String,
    #[schema(example = json!(["users:read", "licenses:write"]))]
    pub scopes: Vec<String>,
    /// The Administrator who created it: the key works while they are an active Administrator.
    #[schema(example = "usr_6d461e1ded3c26dfb2b5d6da")]
    pub created_by: String,
    #[schema(example = "2026-05-31T12:30:00.000Z")]
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// `null`: never expires.
    #[schema(example = "2027-01-31T00:00:00.000Z")]
    pub expires_at: Option<String>,
}

impl From<AccountKey> for AccountKeyView {
    fn from(k: AccountKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_by: k.created_by.to_string(),
            created_at: ts(k.created_at),
            last_used_at: k.last_used_at.map(ts),
            expires_at: k.expires_at.map(ts),
        }
    }
}

/// A new key: `key` is shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewAccountKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    /// Send as `Authorization: Bearer …`. Shown once; only its hash is kept.
    #[schema(example = "tnt_3f9a1c2b…")]
    pub key: String,
}

impl NewAccountKeyView {
    fn new(info: AccountKeyView, key: String) -> Self {
        let AccountKeyView { id, name, prefix, scopes, created_by, created_at, last_used_at, expires_at } = info;
        Self { id, name, prefix, scopes, created_by, created_at, last_used_at, expires_at, key }
    }
}

/// The account's keys, newest first (at most 100).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountKeyList {
    pub data: Vec<AccountKeyView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountKeyRequest {
    /// 1–100 characters.
    #[schema(example = "Nightly user sync")]
    pub name: String,
    /// At least one of `users:read`, `users:write`, `licenses:read`, `licenses:write`,
    /// `settings:read`, `settings:write`, `billing:read`, `billing:write`, `audit:read`,
    /// `webhooks:read`, `webhooks:write`, `messages:send`, `usage:write`, `admin` (everything).
    #[schema(example = json!(["users:read"]))]
    pub scopes: Vec<String>,
    /// RFC 3339, in the future; absent or `null`: never expires.
    #[schema(example = "2027-01-31T00:00:00Z")]
    pub expires_at: Option<String>,
}

/// Creates a key acting for the account with only its scopes. The key is shown only here.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys", request_body = CreateAccountKeyRequest,
    security(("bearer" = ["admin"])),
    responses((status = 201, description = "the new key, shown once", body = NewAccountKeyView),
        (status = 403, description = "not an Administrator, or a key without `admin`", body = Problem),
        (status = 409, description = "the account has 100 keys already (`rule: key_limit`)", body = Problem),
        (status = 422, description = "an invalid `name`, `scopes` or `expires_at`", body = Problem)))]
pub async fn create(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<CreateAccountKeyRequest>,
) -> AppResult<(StatusCode, Json<NewAccountKeyView>)> {
    let new = NewKey::parse(&body.name, &body.scopes, body.expires_at.as_deref(), state.now())?;
    let created = account_keys::create(&state, &admin, &admin.actor, new).await?;
    let key = created.key.expose().to_owned();
    Ok((StatusCode::CREATED, Json(NewAccountKeyView::new(created.info.into(), key))))
}

/// The account's keys, without the secrets.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys", security(("bearer" = ["admin"])),
    responses((status = 200, description = "every key of the account", body = AccountKeyList),
        (status = 403, description = "not an Administrator, or a key without `admin`", body = Problem)))]
pub async fn list(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<AccountKeyList>> {
    let keys = account_keys::list(&state, &admin).await?;
    Ok(Json(AccountKeyList { data: keys.into_iter().map(Into::into).collect() }))
}

/// One key, without the secret.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api keys", params(("id" = String, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "the key", body = AccountKeyView),
        (status = 403, description = "not an Administrator, or a key without `admin`", body = Problem),
        (status = 404, description = "no such key in the account", body = Problem)))]
pub async fn get(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<AccountKeyId>,
) -> AppResult<Json<AccountKeyView>> {
    Ok(Json(account_keys::get(&state, &admin, &id).await?.into()))
}

/// Revokes a key: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys", params(("id" = String, Path)),
    security(("bearer" = ["admin"])),
    responses((status = 204, description = "revoked"),
        (status = 403, description = "not an Administrator, or a key without `admin`", body = Problem),
        (status = 404, description = "no such key in the account", body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<AccountKeyId>,
) -> AppResult<StatusCode> {
    account_keys::revoke(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
