//! Account settings › CRM (Administrators): the account's CRM connection and its test.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tenantry_app::crm::{self, Connection, Credentials, CrmInput, TestResult};
use utoipa::ToSchema;

/// The CRM connection (never its credentials).
#[derive(Debug, Serialize, ToSchema)]
pub struct CrmConnectionView {
    /// `salesforce`, `hubspot`, `dynamics`, `zoho`, `pipedrive` or `generic`.
    #[schema(example = "hubspot")]
    pub provider: String,
    /// The URL the connection test sends `GET` to (the provider's default when none was given).
    #[schema(example = "https://api.hubapi.com/crm/v3/objects/contacts?limit=1")]
    pub base_url: Option<String>,
    /// Whether credentials are stored (they are never answered).
    #[schema(example = true)]
    pub credentials_set: bool,
    /// `untested` (saved, not tested since), `connected` (last test got a 2xx) or `failed`.
    #[schema(example = "connected")]
    pub status: String,
    /// Why the last test failed, e.g. `HTTP 401`.
    #[schema(example = json!(null))]
    pub last_error: Option<String>,
    /// Contact-field key → CRM field name.
    #[schema(example = json!({"email": "Email", "first_name": "FirstName"}))]
    pub field_mapping: BTreeMap<String, String>,
    #[schema(example = "2026-11-29T09:14:03.120Z")]
    pub connected_at: String,
    #[schema(example = "2026-11-29T09:15:10.000Z")]
    pub last_tested_at: Option<String>,
    #[schema(example = json!(null))]
    pub last_sync_at: Option<String>,
}

impl From<Connection> for CrmConnectionView {
    fn from(c: Connection) -> Self {
        Self {
            provider: c.provider.as_str().to_owned(),
            base_url: c.base_url,
            credentials_set: c.credentials_set,
            status: c.status.as_str().to_owned(),
            last_error: c.last_error,
            field_mapping: c.field_mapping,
            connected_at: ts(c.connected_at),
            last_tested_at: c.last_tested_at.map(ts),
            last_sync_at: c.last_sync_at.map(ts),
        }
    }
}

/// Connecting the CRM, or changing its connection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmConnectionRequest {
    /// `salesforce`, `hubspot`, `dynamics`, `zoho`, `pipedrive` or `generic`.
    #[schema(example = "generic")]
    pub provider: String,
    /// Where the connection test sends `GET` with `Authorization: Bearer <credentials.api_key>`.
    /// Required for `generic`; the others default to an endpoint of the provider's API. Must be
    /// `https://` to a public address (outbound rules).
    #[serde(default)]
    #[schema(example = "https://crm.example.com/api/ping")]
    pub base_url: Option<String>,
    /// Write-only, stored encrypted and never answered. Leave it out to keep the stored
    /// credentials; send it to replace them all (`{}` removes them). `api_key` is the bearer
    /// token of the connection test.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>, example = json!({"api_key": "pat-na1-…"}))]
    pub credentials: Option<Credentials>,
    /// Contact-field key (`first_name`, `last_name`, `email`, `phone` or a custom field's key) →
    /// CRM field name.
    #[serde(default)]
    #[schema(example = json!({"email": "Email"}))]
    pub field_mapping: BTreeMap<String, String>,
}

impl From<CrmConnectionRequest> for CrmInput {
    fn from(r: CrmConnectionRequest) -> Self {
        CrmInput {
            provider: r.provider,
            base_url: r.base_url,
            credentials: r.credentials,
            field_mapping: r.field_mapping,
        }
    }
}

/// What a connection test found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrmTestView {
    /// The base URL answered 2xx.
    #[schema(example = false)]
    pub ok: bool,
    /// The HTTP status answered, if any answer came.
    #[schema(example = 401)]
    pub status_code: Option<u16>,
    /// Why it failed: `HTTP 401`, a refused or unreachable target, a timeout.
    #[schema(example = "HTTP 401")]
    pub error: Option<String>,
}

impl From<TestResult> for CrmTestView {
    fn from(r: TestResult) -> Self {
        Self { ok: r.ok, status_code: r.status_code, error: r.error }
    }
}

/// The account's CRM connection.
#[utoipa::path(get, path = "/api/v1/crm-connection", tag = "account", security(("bearer" = ["settings:read"])),
    responses(
        (status = 200, description = "The connection (never its credentials)", body = CrmConnectionView),
        (status = 403, description = "Not an Administrator", body = Problem),
        (status = 404, description = "The account never connected a CRM", body = Problem)))]
pub async fn get(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<CrmConnectionView>> {
    Ok(Json(crm::get(&state, &admin).await?.into()))
}

/// Connects the account's CRM or changes its connection, which becomes `untested`. Leaving
/// `credentials` out keeps the stored ones.
#[utoipa::path(put, path = "/api/v1/crm-connection", tag = "account", security(("bearer" = ["settings:write"])), request_body = CrmConnectionRequest,
    responses(
        (status = 200, description = "The saved connection, `untested`", body = CrmConnectionView),
        (status = 403, description = "Not an Administrator", body = Problem),
        (status = 422, description = "A field is invalid: `provider`, `base_url` (also when the outbound rules refuse it), `credentials.<name>` or `field_mapping.<key>` (not a contact field)", body = Problem)))]
pub async fn put(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<CrmConnectionRequest>,
) -> AppResult<Json<CrmConnectionView>> {
    Ok(Json(crm::save(&state, &admin, &admin.actor, body.into()).await?.into()))
}

/// Disconnects the CRM: the connection and its credentials are erased.
#[utoipa::path(delete, path = "/api/v1/crm-connection", tag = "account", security(("bearer" = ["settings:write"])),
    responses(
        (status = 204, description = "Disconnected; the credentials are erased"),
        (status = 403, description = "Not an Administrator", body = Problem),
        (status = 404, description = "No CRM is connected", body = Problem)))]
pub async fn delete(State(state): State<AppState>, admin: AdminUser) -> AppResult<StatusCode> {
    crm::disconnect(&state, &admin, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tests the connection: `GET base_url` with `Authorization: Bearer <credentials.api_key>`
/// (10 s, no redirects followed, outbound rules applied); a 2xx makes it `connected`, anything
/// else `failed`.
#[utoipa::path(post, path = "/api/v1/crm-connection/test", tag = "account", security(("bearer" = ["settings:write"])),
    responses(
        (status = 200, description = "What the test found; the connection's status is updated", body = CrmTestView),
        (status = 403, description = "Not an Administrator", body = Problem),
        (status = 404, description = "No CRM is connected", body = Problem)))]
pub async fn test(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<CrmTestView>> {
    Ok(Json(crm::test(&state, &admin, &admin.actor).await?.into()))
}
