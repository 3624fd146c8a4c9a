//! My settings beyond the profile: email change, personal API key, plan and usage.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, AuthUser, Client, OptionalJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::reauth::Proof;
use tenantry_app::{api_keys, email_change, phone, plan};
use tenantry_domain::usage::Metric;
use tenantry_domain::{EmailAddress, ValidationErrors};
use utoipa::ToSchema;

/// The current password (and a two-step code when it is on): what a sensitive change of one's
/// own needs. Missing → 422 naming the field; wrong → 403 naming it (counted like a failed
/// sign-in); an API key may never do these (403).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthRequest {
    #[schema(format = Password)]
    pub current_password: Option<String>,
    /// Required when two-step verification is on.
    pub totp_code: Option<String>,
}

impl ReauthRequest {
    pub fn proof(self) -> Proof {
        Proof::new(self.current_password, self.totp_code)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeRequest {
    pub new_email: String,
    /// Required: see [`ReauthRequest`].
    #[schema(format = Password)]
    pub current_password: Option<String>,
    /// Required when two-step verification is on.
    pub totp_code: Option<String>,
}

/// Sends a single-use link (valid 24 hours) to the new address; nothing changes until it is followed.
/// Needs the current password (and a two-step code when it is on). 409 when another user signs in
/// with that address. Rate-limited per user and per client address.
#[utoipa::path(post, path = "/api/v1/me/email", tag = "me", request_body = EmailChangeRequest, security(("bearer" = [])),
    responses((status = 202, description = "the link is on its way"), (status = 403, description = "wrong current password or code, or an API key", body = Problem), (status = 409, description = "the address is in use", body = Problem), (status = 422, description = "invalid address, or the current password is missing", body = Problem), (status = 429, description = "too many requests", body = Problem)))]
pub async fn change_email(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<EmailChangeRequest>,
) -> AppResult<StatusCode> {
    let mut e = ValidationErrors::new();
    let email = e.check("new_email", EmailAddress::parse(&body.new_email));
    let Some(email) = email else { return Err(e.into()) };
    let proof = Proof::new(body.current_password, body.totp_code);
    email_change::request(&state, &me, &me.actor, email, &proof).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Completes an email change from the emailed link (the token is the credential; single use).
#[utoipa::path(post, security(()), path = "/api/v1/email-verifications/{token}", tag = "auth", params(("token" = String, Path)),
    responses((status = 204), (status = 404, description = "unknown, used, replaced or expired", body = Problem), (status = 409, body = Problem)))]
pub async fn verify_email(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<StatusCode> {
    email_change::confirm(&state, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The personal API key, without the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// The first characters of the key, to recognise it by.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A new personal API key: `key` is shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKeyView {
    /// Send as `Authorization: Bearer …`. Shown once; only its hash is kept.
    pub key: String,
    pub prefix: String,
    pub created_at: String,
}

/// My API key: its prefix, creation and last use (404 when I have none).
#[utoipa::path(get, path = "/api/v1/me/api-key", tag = "me", security(("bearer" = [])), responses((status = 200, body = ApiKeyView), (status = 404, body = Problem)))]
pub async fn get_api_key(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<ApiKeyView>> {
    let k = api_keys::get(&state, &me).await?;
    Ok(Json(ApiKeyView { prefix: k.prefix, created_at: ts(k.created_at), last_used_at: k.last_used_at.map(ts) }))
}

/// Creates my API key, replacing (and revoking) the one I had. The key is shown only here. Needs
/// the current password (and a two-step code when it is on); never with an API key.
#[utoipa::path(post, path = "/api/v1/me/api-key", tag = "me", security(("bearer" = [])), request_body = ReauthRequest,
    responses((status = 201, description = "the new key, shown once", body = NewApiKeyView), (status = 403, description = "wrong current password or code, or an API key", body = Problem), (status = 422, description = "the current password is missing", body = Problem)))]
pub async fn create_api_key(
    State(state): State<AppState>, me: AuthUser, OptionalJson(body): OptionalJson<ReauthRequest>,
) -> AppResult<(StatusCode, Json<NewApiKeyView>)> {
    let new = api_keys::create(&state, &me, &me.actor, &body.proof()).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiKeyView {
            key: new.key.expose().to_owned(),
            prefix: new.info.prefix,
            created_at: ts(new.info.created_at),
        }),
    ))
}

/// Revokes my API key: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/me/api-key", tag = "me", security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>, me: AuthUser, Client(_meta): Client,
) -> AppResult<StatusCode> {
    api_keys::revoke(&state, &me, &me.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Usage in the current billing cycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub minutes: i64,
    pub messages: i64,
    pub groups: i64,
    /// Authenticated API requests (counted by Tenantry; they reach this figure within a few seconds).
    pub api_requests: i64,
}

/// My plan and usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub plan: String,
    /// Start of the current billing cycle (cycles are calendar months from the subscription's cycle start).
    pub cycle_start: String,
    pub usage: UsageView,
}

/// My account's plan and my usage in the current billing cycle.
#[utoipa::path(get, path = "/api/v1/me/plan", tag = "me", security(("bearer" = [])), responses((status = 200, body = PlanView)))]
pub async fn plan(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<PlanView>> {
    let p = plan::plan(&state, &me).await?;
    Ok(Json(PlanView {
        plan: p.plan,
        cycle_start: ts(p.cycle_start),
        usage: UsageView { minutes: p.minutes, messages: p.messages, groups: p.groups, api_requests: p.api_requests },
    }))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageRequest {
    pub user_id: String,
    /// `minutes`, `messages` or `groups`.
    pub metric: String,
    /// 1–1,000,000.
    pub quantity: i64,
}

/// Most usage one report may add.
const MAX_QUANTITY: i64 = 1_000_000;

/// A product reports a user's usage (Administrators for anyone of the account, users for
/// themselves). With an `Idempotency-Key` header the same report counts once: a retry answers
/// 200 with `Idempotent-Replayed: true`; the key reused for another report is 409.
#[utoipa::path(post, path = "/api/v1/usage", tag = "me", request_body = UsageRequest, security(("bearer" = ["usage:write"])),
    params(("Idempotency-Key" = Option<String>, Header, description = "up to 255 characters; the same report under the same key counts once")),
    responses((status = 201, body = UsageRequest), (status = 200, description = "replayed", body = UsageRequest), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn report_usage(
    State(state): State<AppState>, me: AuthUser, headers: HeaderMap, ApiJson(body): ApiJson<UsageRequest>,
) -> AppResult<Response> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str().map(str::trim) {
            Ok(k) if (1..=255).contains(&k.len()) => Some(k.to_owned()),
            _ => return Err(AppError::invalid("Idempotency-Key", "must be 1–255 visible characters")),
        },
    };
    let mut e = ValidationErrors::new();
    let metric = e.check("metric", body.metric.parse::<Metric>());
    if !(1..=MAX_QUANTITY).contains(&body.quantity) {
        e.push("quantity", format!("must be between 1 and {MAX_QUANTITY}"));
    }
    let Some(metric) = metric.filter(|_| e.is_empty()) else { return Err(e.into()) };
    let report = plan::UsageReport { user_id: body.user_id.clone(), metric, quantity: body.quantity };
    Ok(match plan::report(&state, &me, key.as_deref(), report).await? {
        plan::Recorded::New => (StatusCode::CREATED, Json(body)).into_response(),
        plan::Recorded::Replayed => (StatusCode::OK, [("idempotent-replayed", "true")], Json(body)).into_response(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    /// In any common format: `+44 20 7946 0958`, `(415) 555-2671` with `country`, `0044 …`.
    pub number: String,
    /// Two-letter country (ISO 3166) for numbers written without their country code.
    pub country: Option<String>,
    /// Required: see [`ReauthRequest`].
    #[schema(format = Password)]
    pub current_password: Option<String>,
    /// Required when two-step verification is on.
    pub totp_code: Option<String>,
}

/// The number a code was sent to.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhonePendingView {
    /// E.164.
    pub pending_number: String,
    pub expires_in_seconds: i64,
}

/// Sends a 6-digit code by SMS to a new cell number; the number in force stays until it is verified.
#[utoipa::path(post, path = "/api/v1/me/phone", tag = "me", request_body = PhoneRequest, security(("bearer" = [])),
    responses((status = 202, body = PhonePendingView), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn request_phone(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<PhoneRequest>,
) -> AppResult<(StatusCode, Json<PhonePendingView>)> {
    let number = phone::parse_number(&body.number, body.country.as_deref())?;
    let proof = Proof::new(body.current_password, body.totp_code);
    phone::request(&state, &me, &me.actor, number.clone(), &proof).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PhonePendingView {
            pending_number: number.to_string(),
            expires_in_seconds: tenantry_domain::limits::PHONE_CODE_TTL_MS / 1000,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneVerifyRequest {
    pub code: String,
}

/// My verified cell number.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneVerifiedView {
    pub phone: super::views::PhoneView,
}

/// Verifies the code sent by SMS: the new number is in force from now on. Five tries per code.
#[utoipa::path(post, path = "/api/v1/me/phone/verify", tag = "me", request_body = PhoneVerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = PhoneVerifiedView), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn verify_phone(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<PhoneVerifyRequest>,
) -> AppResult<Json<PhoneVerifiedView>> {
    let number = phone::verify(&state, &me, &me.actor, &body.code).await?;
    Ok(Json(PhoneVerifiedView { phone: super::views::PhoneView { number: Some(number), verified: true } }))
}

/// Everything Tenantry stores about me (GDPR Articles 15 and 20): profile, settings, sessions,
/// licenses, owned booking pages, API key (never the key), usage, SMS and audit events about me.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])), responses((status = 200, description = "all my data", body = Object)))]
pub async fn export(State(state): State<AppState>, me: AuthUser) -> AppResult<Response> {
    let data = tenantry_app::export::export(&state, &me).await?;
    let file = format!("attachment; filename=\"tenantry-export-{}.json\"", me.user.id);
    Ok(([(axum::http::header::CONTENT_DISPOSITION, file)], Json(data)).into_response())
}
