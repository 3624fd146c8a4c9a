//! My settings beyond the profile: email change.

use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, AuthUser, ClientMeta};
use crate::services::audit::Actor;
use crate::services::email_change;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tenantry_domain::{EmailAddress, ValidationErrors};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeRequest {
    pub new_email: String,
}

/// Sends a single-use link (valid 24 hours) to the new address; nothing changes until it is followed.
/// 409 when another user signs in with that address.
#[utoipa::path(post, path = "/api/v1/me/email", tag = "me", request_body = EmailChangeRequest, security(("bearer" = [])),
    responses((status = 202), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_email(State(state): State<AppState>, me: AuthUser, meta: ClientMeta, ApiJson(body): ApiJson<EmailChangeRequest>) -> AppResult<StatusCode> {
    let mut e = ValidationErrors::new();
    let email = e.check("new_email", EmailAddress::parse(&body.new_email));
    let Some(email) = email else { return Err(e.into()) };
    email_change::request(&state, &me, &Actor::user(&me, &meta), email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Completes an email change from the emailed link (the token is the credential; single use).
#[utoipa::path(post, path = "/api/v1/email-verifications/{token}", tag = "auth", params(("token" = String, Path)),
    responses((status = 204), (status = 404, description = "unknown, used, replaced or expired", body = Problem), (status = 409, body = Problem)))]
pub async fn verify_email(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<StatusCode> {
    email_change::confirm(&state, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
