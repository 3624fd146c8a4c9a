//! My sign-in security: password change, sessions, two-step verification.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::{mfa, passwords, sessions};
use tenantry_domain::Password;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Changes my password (checked against the account's policy and history); my other sessions end.
/// Also the one thing a session with an expired password may do.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    passwords::change_own(
        &state,
        &me,
        &me.actor,
        Password::new(body.current_password),
        Password::new(body.new_password),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One of my sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this request was made with.
    pub current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub data: Vec<SessionView>,
}

/// My active sessions, most recently used first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", security(("bearer" = [])), responses((status = 200, body = SessionList), (status = 401, body = Problem)))]
pub async fn list_sessions(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<SessionList>> {
    let list = sessions::list_mine(&state, &me).await?;
    let data = list
        .into_iter()
        .map(|s| SessionView {
            current: s.id == me.credential.id(),
            id: s.id,
            created_at: ts(s.created_at),
            last_seen_at: ts(s.last_seen_at),
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(Json(SessionList { data }))
}

/// Signs out every session of mine except this one.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "me", security(("bearer" = [])), responses((status = 204), (status = 401, body = Problem)))]
pub async fn revoke_other_sessions(State(state): State<AppState>, me: AuthUser) -> AppResult<StatusCode> {
    sessions::revoke_others(&state, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out one of my sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_session(
    State(state): State<AppState>, me: AuthUser, Path(id): Path<String>,
) -> AppResult<StatusCode> {
    sessions::revoke_mine(&state, &me, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new authenticator seed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrollment {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    pub otpauth_uri: String,
    /// The `otpauth_uri` as a QR code (an SVG document).
    pub qr_svg: String,
}

/// Starts setting up two-step verification: a new seed, active once confirmed with a code.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = TotpEnrollment), (status = 409, body = Problem)))]
pub async fn start_totp(State(state): State<AppState>, me: AuthUser) -> AppResult<Json<TotpEnrollment>> {
    let e = mfa::start(&state, &me).await?;
    Ok(Json(TotpEnrollment { secret: e.secret, otpauth_uri: e.otpauth_uri, qr_svg: e.qr_svg }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// A 6-digit code from the authenticator (or, to turn it off, a recovery code).
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, shown only here.
    pub recovery_codes: Vec<String>,
}

/// Confirms the setup with a first code; answers ten recovery codes, shown once.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", tag = "me", security(("bearer" = [])), request_body = TotpCode,
    responses((status = 200, body = RecoveryCodes), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn confirm_totp(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<TotpCode>,
) -> AppResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes { recovery_codes: mfa::confirm(&state, &me, &me.actor, &body.code).await? }))
}

/// What turning two-step verification off needs: the current password and a current code or a
/// recovery code (`totp_code`; `code` is accepted as its older name).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpRequest {
    #[schema(format = Password)]
    pub current_password: Option<String>,
    pub totp_code: Option<String>,
    /// The older name of `totp_code`.
    pub code: Option<String>,
}

/// Turns two-step verification off: needs the current password and a current code (or a
/// recovery code); never with an API key. A notice goes to the account's email address.
#[utoipa::path(delete, path = "/api/v1/me/mfa/totp", tag = "me", security(("bearer" = [])), request_body = DisableTotpRequest,
    responses((status = 204, description = "two-step verification is off"), (status = 403, description = "wrong current password or code, or an API key", body = Problem), (status = 409, description = "two-step verification is not on", body = Problem), (status = 422, description = "the current password or code is missing", body = Problem)))]
pub async fn disable_totp(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<DisableTotpRequest>,
) -> AppResult<StatusCode> {
    let proof = tenantry_app::reauth::Proof::new(body.current_password, body.totp_code.or(body.code));
    mfa::disable(&state, &me, &me.actor, &proof).await?;
    Ok(StatusCode::NO_CONTENT)
}
