//! Billing › SMS (Administrators): the account's SMS credits, the low-balance threshold, and
//! the SMS log (paged, or as CSV); the operator's top-ups.

use super::billing::Operator;
use super::compliance::csv_response;
use super::views::ts;
use crate::api::PageQuery;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, PathId};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::{billing, cursor};
use utoipa::ToSchema;

/// The account's SMS credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsCreditsView {
    /// Credits left: one SMS segment costs one.
    #[schema(example = 480)]
    pub credits: i64,
    /// At or under this balance, the billing recipients get a notice (once per crossing).
    #[schema(example = 50)]
    pub low_balance_threshold: i64,
}

impl From<tenantry_storage::sms_credits::Balance> for SmsCreditsView {
    fn from(b: tenantry_storage::sms_credits::Balance) -> Self {
        Self { credits: b.credits, low_balance_threshold: b.low_balance_threshold }
    }
}

/// The account's SMS credits and low-balance threshold.
#[utoipa::path(get, path = "/api/v1/billing/sms", tag = "billing", security(("bearer" = ["billing:read"])),
    responses((status = 200, body = SmsCreditsView), (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn get_credits(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<SmsCreditsView>> {
    Ok(Json(billing::sms_balance(&state, &admin).await?.into()))
}

/// Changing the low-balance threshold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRequest {
    /// From 0 (no notice) to 100,000,000.
    #[schema(example = 50)]
    pub low_balance_threshold: i64,
}

/// Sets the balance at or under which the billing recipients are told.
#[utoipa::path(put, path = "/api/v1/billing/sms", tag = "billing", request_body = ThresholdRequest, security(("bearer" = ["billing:write"])),
    responses((status = 200, body = SmsCreditsView), (status = 403, description = "not an Administrator", body = Problem),
        (status = 422, description = "`low_balance_threshold` out of range", body = Problem)))]
pub async fn put_credits(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<ThresholdRequest>,
) -> AppResult<Json<SmsCreditsView>> {
    Ok(Json(billing::set_low_balance_threshold(&state, &admin, &admin.actor, body.low_balance_threshold).await?.into()))
}

/// One SMS sent, or refused, on the account's behalf.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsLogView {
    #[schema(example = "sms_0a1b2c3d4e5f60718293a4b5")]
    pub id: String,
    /// The user it was for (Tenantry's own codes); none for a product's message.
    pub user_id: Option<String>,
    #[schema(example = "+4915112345678")]
    pub to: String,
    /// Segments the text takes.
    #[schema(example = 1)]
    pub segments: i64,
    /// Credits spent: the segments when sent, 0 when refused.
    #[schema(example = 1)]
    pub credits: i64,
    /// `sent`, `refused` or `failed`.
    #[schema(example = "sent")]
    pub status: String,
    /// `password_reset`, `phone_verification`, or what the product named (`product` by default).
    #[schema(example = "appointment_reminder")]
    pub purpose: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SmsLogList {
    pub data: Vec<SmsLogView>,
    pub next_cursor: Option<String>,
}

/// Every SMS sent or refused for the account, newest first.
#[utoipa::path(get, path = "/api/v1/billing/sms/log", tag = "billing", params(PageQuery), security(("bearer" = ["billing:read"])),
    responses((status = 200, body = SmsLogList), (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn sms_log(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<SmsLogList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, before): (i64, Option<(i64, String)>) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let (rows, next_cursor) = tenantry_app::phone::sms_log(&state, &admin, before, limit).await?;
    let data = rows
        .into_iter()
        .map(|e| SmsLogView {
            id: e.id,
            user_id: e.user_id,
            to: e.to_number,
            segments: e.segments,
            credits: e.credits,
            status: e.status,
            purpose: e.purpose,
            created_at: ts(e.created_at),
        })
        .collect();
    Ok(Json(SmsLogList { data, next_cursor }))
}

/// The whole SMS log as CSV, newest first.
#[utoipa::path(get, path = "/api/v1/billing/sms/log.csv", tag = "billing", security(("bearer" = ["billing:read"])),
    responses((status = 200, description = "header `id,created_at,to,segments,credits,status,purpose`, one row per SMS", content_type = "text/csv", body = String),
        (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn sms_log_csv(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let mut res = csv_response(tenantry_app::phone::sms_log_csv(&state, &admin).await?);
    res.headers_mut()
        .insert(header::CONTENT_DISPOSITION, header::HeaderValue::from_static("attachment; filename=\"sms-log.csv\""));
    Ok(res.into_response())
}

/// An operator top-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// Credits to add, 1 to 100,000,000.
    #[schema(example = 500)]
    pub credits: i64,
    /// The operator's own reference (e.g. the payment's id): the same reference again adds nothing
    /// and answers the same balance.
    #[schema(example = "pay_2026_11_0042")]
    pub reference: String,
}

/// The balance after a top-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopUpView {
    #[schema(example = 525)]
    pub credits: i64,
}

/// Adds SMS credits to an account, idempotently by `reference`.
#[utoipa::path(post, path = "/api/v1/operator/accounts/{account_id}/sms-credits", tag = "operator", params(("account_id" = String, Path)),
    request_body = TopUpRequest, security(("operator" = [])),
    responses((status = 200, description = "the balance after this top-up (the same answer for a repeated reference)", body = TopUpView),
        (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "`credits` out of range, or `reference` empty or used for another amount", body = Problem)))]
pub async fn top_up(
    State(state): State<AppState>, _op: Operator, PathId(account_id): PathId<tenantry_domain::AccountId>,
    ApiJson(body): ApiJson<TopUpRequest>,
) -> AppResult<Json<TopUpView>> {
    Ok(Json(TopUpView { credits: billing::top_up(&state, &account_id, body.credits, &body.reference).await? }))
}
