//! Account settings › Webhooks (Administrators): `/api/v1/webhooks[/{id}]`, the secret's
//! rotation, the delivery log, retrying one delivery and a test event.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, PathId, parse_id};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::cursor;
use tenantry_app::webhooks::{self, EndpointInput};
use tenantry_domain::id::WebhookEndpointId;
use tenantry_storage::webhook_deliveries::Delivery;
use tenantry_storage::webhooks::Endpoint;
use utoipa::ToSchema;

/// A webhook endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(example = "whk_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub id: String,
    #[schema(example = "https://hooks.example.com/tenantry")]
    pub url: String,
    #[schema(example = "Provisioning")]
    pub description: String,
    /// The event types delivered; empty: every event.
    #[schema(example = json!(["user.invited", "user.deleted"]))]
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why it is disabled (410 Gone, 5 days of failures, an Administrator), when it is.
    #[schema(example = json!(null))]
    pub disabled_reason: Option<String>,
    #[schema(example = "2026-11-29T09:14:03.120Z")]
    pub created_at: String,
    #[schema(example = "2026-11-29T09:14:03.120Z")]
    pub updated_at: String,
}

impl From<Endpoint> for WebhookView {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            created_at: ts(e.created_at),
            updated_at: ts(e.updated_at),
        }
    }
}

/// A new endpoint, with its signing secret (the only answer that holds it).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` + base64: verify deliveries with it (Standard Webhooks). Shown only here.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A new signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    /// The new secret; the previous one keeps signing (a second signature) for 24 hours.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A page of endpoints, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<WebhookView>,
    pub next_cursor: Option<String>,
}

/// Creating an endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `https://` to a public address (outbound rules).
    #[schema(example = "https://hooks.example.com/tenantry")]
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Event types to deliver; empty or absent: every event. Unknown types are 422.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// Default `true`.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Changing an endpoint: what is sent changes, the rest stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// One delivery of an event to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    #[schema(example = "whd_0c1f9d2a4e6b8c3d7f105b0e5b0e0c1f9d2a4e6b8c3d7f10")]
    pub id: String,
    /// Also the `webhook-id` header of every attempt.
    #[schema(example = "evt_0c1f9d2a4e6b8c3d7f105b0e")]
    pub event_id: String,
    #[schema(example = "user.invited")]
    pub event_type: String,
    /// `pending`, `succeeded` or `failed`.
    #[schema(example = "succeeded")]
    pub status: String,
    pub attempts: i64,
    #[schema(example = 200)]
    pub last_status_code: Option<i64>,
    #[schema(example = 42)]
    pub last_response_ms: Option<i64>,
    /// The first 1 KiB of the last answer.
    #[schema(example = "ok")]
    pub last_response_body: Option<String>,
    /// Why the last attempt failed.
    #[schema(example = json!(null))]
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    #[schema(example = json!(null))]
    pub next_attempt_at: Option<String>,
    #[schema(example = "2026-11-29T09:14:03.120Z")]
    pub created_at: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_response_ms: d.last_response_ms,
            last_response_body: d.last_response_body,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.map(ts),
            created_at: ts(d.created_at),
        }
    }
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

/// The delivery log's query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DeliveryQuery {
    /// `pending`, `succeeded` or `failed`; absent: all.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The account's webhook endpoints, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(super::PageQuery), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, description = "a page of endpoints", body = WebhookList),
        (status = 400, description = "a cursor this API did not issue", body = Problem),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 422, description = "a limit outside 1–200", body = Problem)))]
pub async fn list(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<super::PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<WebhookList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, after) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let (rows, next_cursor) = webhooks::list(&state, &admin, after, limit).await?;
    Ok(Json(WebhookList { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Creates an endpoint; the answer holds its signing secret, shown only here.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhookRequest, security(("bearer" = ["webhooks:write"])),
    responses((status = 201, description = "the new endpoint and its secret", body = CreatedWebhookView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 409, description = "the account has the most endpoints it may have", body = Problem),
        (status = 422, description = "an invalid field: `url` (also when the outbound rules refuse it), `description`, `event_types`", body = Problem)))]
pub async fn create(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> AppResult<(StatusCode, Json<CreatedWebhookView>)> {
    let input = EndpointInput {
        url: Some(body.url),
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled,
    };
    let (endpoint, secret) = webhooks::create(&state, &admin, &admin.actor, input).await?;
    let view = CreatedWebhookView { webhook: endpoint.into(), secret: secret.expose().to_owned() };
    Ok((StatusCode::CREATED, Json(view)))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, description = "the endpoint", body = WebhookView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint in the account", body = Problem)))]
pub async fn get(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<WebhookEndpointId>,
) -> AppResult<Json<WebhookView>> {
    Ok(Json(webhooks::get(&state, &admin, &id).await?.into()))
}

/// Changes an endpoint; enabling it again clears why it was disabled.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)), request_body = UpdateWebhookRequest,
    security(("bearer" = ["webhooks:write"])),
    responses((status = 200, description = "the endpoint as changed", body = WebhookView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint in the account", body = Problem),
        (status = 422, description = "an invalid field: `url`, `description`, `event_types`", body = Problem)))]
pub async fn update(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<WebhookEndpointId>,
    ApiJson(body): ApiJson<UpdateWebhookRequest>,
) -> AppResult<Json<WebhookView>> {
    let input = EndpointInput {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled,
    };
    Ok(Json(webhooks::update(&state, &admin, &admin.actor, &id, input).await?.into()))
}

/// Deletes an endpoint; its pending deliveries stop.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 204, description = "deleted"),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint in the account", body = Problem)))]
pub async fn delete(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<WebhookEndpointId>,
) -> AppResult<StatusCode> {
    webhooks::delete(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the endpoint a new signing secret; for 24 hours every delivery carries a signature by
/// each of the old and the new secret.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 200, description = "the new secret, shown only here", body = SecretView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint in the account", body = Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<WebhookEndpointId>,
) -> AppResult<Json<SecretView>> {
    let secret = webhooks::rotate_secret(&state, &admin, &admin.actor, &id).await?;
    Ok(Json(SecretView { secret: secret.expose().to_owned() }))
}

/// The endpoint's deliveries, newest first, optionally of one status.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path), DeliveryQuery), security(("bearer" = ["webhooks:read"])),
    responses((status = 200, description = "a page of deliveries", body = DeliveryList),
        (status = 400, description = "a cursor this API did not issue", body = Problem),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint in the account", body = Problem),
        (status = 422, description = "a `status` or `limit` out of range", body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<WebhookEndpointId>,
    query: Result<Query<DeliveryQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<DeliveryList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, after) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let (rows, next_cursor) = webhooks::deliveries(&state, &admin, &id, q.status.as_deref(), after, limit).await?;
    Ok(Json(DeliveryList { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Queues a new attempt of one delivery now.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 202, description = "a new attempt is queued"),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint or delivery in the account", body = Problem)))]
pub async fn retry(
    State(state): State<AppState>, admin: AdminUser, Path((id, delivery_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let id: WebhookEndpointId = parse_id(id)?;
    webhooks::retry_delivery(&state, &admin, &id, &delivery_id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sends a `webhook.test` event to this endpoint alone, whatever its filter.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = String, Path)), security(("bearer" = ["webhooks:write"])),
    responses((status = 202, description = "the test event is queued"),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such endpoint in the account", body = Problem)))]
pub async fn test(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<WebhookEndpointId>,
) -> AppResult<StatusCode> {
    webhooks::send_test(&state, &admin, &id).await?;
    Ok(StatusCode::ACCEPTED)
}
