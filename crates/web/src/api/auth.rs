//! Sign-up, sign-in, sign-out and invitation links.

use super::views::{AccountView, MeView, ts};
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, AuthUser, Client};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::{accounts, auth, invitations, reset};
use tenantry_domain::SessionScope;
use tenantry_domain::{AccountName, EmailAddress, Password, PersonName, ValidationErrors};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    #[schema(example = "Acme")]
    pub account_name: String,
    #[schema(example = "Ana Lima")]
    pub name: String,
    #[schema(example = "ana@example.com")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

impl TryFrom<SignUpRequest> for accounts::SignUp {
    type Error = ValidationErrors;
    fn try_from(r: SignUpRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let account_name = e.check("account_name", AccountName::parse(&r.account_name));
        let name = e.check("name", PersonName::parse(&r.name));
        let email = e.check("email", EmailAddress::parse(&r.email));
        match (account_name, name, email) {
            (Some(account_name), Some(name), Some(email)) if e.is_empty() => {
                Ok(accounts::SignUp { account_name, name, email, password: Password::new(r.password) })
            }
            _ => Err(e),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpResponse {
    pub account: AccountView,
    pub user: MeView,
    /// Session token: send as `Authorization: Bearer …`. Shown only here.
    #[schema(example = "tss_kX9f2Lq8V0bYt3NwPz6rQmHc1sJdE4uA7gRiWoTy5eU")]
    pub token: String,
}

/// The answer of a sign-up in `verify` mode, whatever the email.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationSent {
    pub verification_sent: bool,
}

/// Creates an account and its first Administrator, and signs them in. With
/// `TENANTRY_SIGNUP=verify` it answers 202 whatever the email, and a link sent to the address
/// creates the account (`POST /api/v1/signup/{token}`). Rate-limited per client address.
#[utoipa::path(post, security(()), path = "/api/v1/signup", tag = "auth", request_body = SignUpRequest,
    responses((status = 201, description = "the account, its Administrator and a session (open mode)", body = SignUpResponse),
        (status = 202, description = "a link is on its way (verify mode; the same for every email)", body = VerificationSent),
        (status = 403, description = "sign-up closed", body = Problem), (status = 409, description = "the email is in use (open mode)", body = Problem),
        (status = 422, description = "invalid fields", body = Problem), (status = 429, description = "too many sign-ups from this address", body = Problem)))]
pub async fn signup(
    State(state): State<AppState>, Client(meta): Client, ApiJson(body): ApiJson<SignUpRequest>,
) -> AppResult<Response> {
    let input = accounts::SignUp::try_from(body)?;
    Ok(match accounts::sign_up(&state, input, &meta).await? {
        accounts::SignUpOutcome::Created(done) => created(*done).into_response(),
        accounts::SignUpOutcome::VerificationSent => {
            (StatusCode::ACCEPTED, Json(VerificationSent { verification_sent: true })).into_response()
        }
    })
}

fn created(
    (account, signed_in): (tenantry_storage::accounts::Account, auth::SignedIn),
) -> (StatusCode, Json<SignUpResponse>) {
    (
        StatusCode::CREATED,
        Json(SignUpResponse {
            account: account.into(),
            token: signed_in.token.expose().to_owned(),
            user: signed_in.user.into(),
        }),
    )
}

/// Follows a sign-up link (verify mode): creates the account, its first Administrator and a
/// session. The token is the credential (single use, 24 hours).
#[utoipa::path(post, security(()), path = "/api/v1/signup/{token}", tag = "auth", params(("token" = String, Path)),
    responses((status = 201, description = "the account, its Administrator and a session", body = SignUpResponse),
        (status = 404, description = "unknown, used or expired link", body = Problem), (status = 409, description = "the email is in use by now", body = Problem)))]
pub async fn complete_signup(
    State(state): State<AppState>, Client(meta): Client, Path(token): Path<String>,
) -> AppResult<(StatusCode, Json<SignUpResponse>)> {
    Ok(created(accounts::complete_sign_up(&state, &token, &meta).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[schema(example = "ana@example.com")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    /// Two-step verification code, when the user has it on.
    #[schema(example = "492039")]
    pub totp_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInResponse {
    #[schema(example = "tss_kX9f2Lq8V0bYt3NwPz6rQmHc1sJdE4uA7gRiWoTy5eU")]
    pub token: String,
    pub user: MeView,
    #[schema(example = "2026-12-06T12:30:00.000Z")]
    pub expires_at: String,
    /// The password expired or must be changed: this token may only change it (`POST /api/v1/me/password`).
    pub password_expired: bool,
    /// The account requires two-step verification: this token may only set it up (`/api/v1/me/mfa/totp`).
    pub mfa_setup_required: bool,
}

impl From<auth::SignedIn> for SignInResponse {
    fn from(s: auth::SignedIn) -> Self {
        Self {
            token: s.token.expose().to_owned(),
            expires_at: ts(s.expires_at),
            user: s.user.into(),
            password_expired: s.scope == SessionScope::PasswordChange,
            mfa_setup_required: s.scope == SessionScope::MfaSetup,
        }
    }
}

/// Signs in with email and password (and a two-step code when the user has it on). Unknown emails
/// get the same 401 as wrong passwords, and the same 423 once too many attempts failed.
#[utoipa::path(post, security(()), path = "/api/v1/auth/sign-in", tag = "auth", request_body = SignInRequest,
    responses((status = 200, body = SignInResponse), (status = 401, description = "wrong credentials, or `mfa_required: true`", body = Problem),
        (status = 422, body = Problem), (status = 423, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in(
    State(state): State<AppState>, Client(meta): Client, ApiJson(body): ApiJson<SignInRequest>,
) -> AppResult<Json<SignInResponse>> {
    let signed_in =
        auth::sign_in(&state, &body.email, Password::new(body.password), body.totp_code.as_deref(), &meta).await?;
    Ok(Json(signed_in.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(example = "ana@example.com")]
    pub email: String,
}

/// Sends a reset code by SMS to the user's verified cell number, else a link by email. Always 202.
#[utoipa::path(post, security(()), path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses((status = 202), (status = 429, body = Problem)))]
pub async fn password_reset(
    State(state): State<AppState>, Client(meta): Client, ApiJson(body): ApiJson<PasswordResetRequest>,
) -> AppResult<StatusCode> {
    reset::request(&state, &body.email, &meta).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    #[schema(example = "ana@example.com")]
    pub email: String,
    /// The 6-digit SMS code, or the token of the emailed link.
    #[schema(example = "492039")]
    pub code: String,
    #[schema(example = "a fine new passphrase")]
    pub new_password: String,
}

/// Sets a new password with a reset code (5 attempts, 10 minutes, once); unlocks the user and ends their sessions.
#[utoipa::path(post, security(()), path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses((status = 204), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn password_reset_confirm(
    State(state): State<AppState>, Client(meta): Client, ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> AppResult<StatusCode> {
    reset::confirm(&state, &body.email, &body.code, Password::new(body.new_password), &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the session whose token authenticated this request.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(State(state): State<AppState>, me: AuthUser) -> AppResult<StatusCode> {
    auth::sign_out(&state, me.credential.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    #[schema(example = "Acme")]
    pub account_name: String,
    #[schema(example = "ana@example.com")]
    pub email: String,
    #[schema(example = "Ana Lima")]
    pub name: String,
    #[schema(example = "2026-12-06T12:30:00.000Z")]
    pub expires_at: String,
}

/// What an invitation link is for; unknown, used and expired links are 404.
#[utoipa::path(get, security(()), path = "/api/v1/invitations/{token}", tag = "auth", params(("token" = String, Path)),
    responses((status = 200, body = InvitationView), (status = 404, body = Problem)))]
pub async fn get_invitation(
    State(state): State<AppState>, Path(token): Path<String>,
) -> AppResult<Json<InvitationView>> {
    let i = invitations::lookup(&state, &token).await?;
    Ok(Json(InvitationView {
        account_name: i.account_name.to_string(),
        email: i.email.to_string(),
        name: i.name.to_string(),
        expires_at: ts(i.expires_at),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptInvitationResponse {
    #[schema(example = "tss_kX9f2Lq8V0bYt3NwPz6rQmHc1sJdE4uA7gRiWoTy5eU")]
    pub token: String,
    pub user: MeView,
}

/// Sets the invited user's password, activates them and signs them in. The link works once.
#[utoipa::path(post, security(()), path = "/api/v1/invitations/{token}/accept", tag = "auth", params(("token" = String, Path)), request_body = AcceptInvitationRequest,
    responses((status = 200, body = AcceptInvitationResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn accept_invitation(
    State(state): State<AppState>, Client(meta): Client, Path(token): Path<String>,
    ApiJson(body): ApiJson<AcceptInvitationRequest>,
) -> AppResult<Json<AcceptInvitationResponse>> {
    let s = invitations::accept(&state, &token, Password::new(body.password), &meta).await?;
    Ok(Json(AcceptInvitationResponse { token: s.token.expose().to_owned(), user: s.user.into() }))
}
