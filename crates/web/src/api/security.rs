//! Account security policies (Administrators): password, lockout and session policies.

use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, Client};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tenantry_app::security::{self, PolicyChange};
use tenantry_domain::{LockoutPolicy, PasswordPolicy, SessionPolicy};
use tenantry_storage::security::SecurityPolicies;
use utoipa::ToSchema;

/// The password policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyBody {
    /// 8–128.
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    /// Days a password stays valid; 0 = never expires.
    pub expiration_days: u32,
    /// How many recent passwords (the current one included) may not be reused; 0 = off.
    pub history_count: u32,
}

/// The password policy and how many users' current passwords no longer meet it. Its fields are
/// spelled out (not a flattened [`PasswordPolicyBody`], whose schema forbids other properties), so
/// the answer validates against its own schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordPolicyView {
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    /// Days a password stays valid; 0 = never expires.
    pub expiration_days: u32,
    /// How many recent passwords (the current one included) may not be reused; 0 = off.
    pub history_count: u32,
    /// Users whose current password breaks this policy (too short, a missing character class, or expired).
    pub non_compliant_users: usize,
}

impl PasswordPolicyView {
    fn new(p: &PasswordPolicy, non_compliant_users: usize) -> Self {
        let b = password_body(p);
        PasswordPolicyView {
            min_length: b.min_length,
            require_lowercase: b.require_lowercase,
            require_uppercase: b.require_uppercase,
            require_digit: b.require_digit,
            require_symbol: b.require_symbol,
            expiration_days: b.expiration_days,
            history_count: b.history_count,
            non_compliant_users,
        }
    }
}

fn password_body(p: &PasswordPolicy) -> PasswordPolicyBody {
    PasswordPolicyBody {
        min_length: u32::try_from(p.min_length).unwrap_or(u32::MAX),
        require_lowercase: p.require_lowercase,
        require_uppercase: p.require_uppercase,
        require_digit: p.require_digit,
        require_symbol: p.require_symbol,
        expiration_days: p.expiration_days,
        history_count: p.history_count,
    }
}

impl From<PasswordPolicyBody> for PasswordPolicy {
    fn from(b: PasswordPolicyBody) -> Self {
        PasswordPolicy {
            min_length: usize::try_from(b.min_length).unwrap_or(usize::MAX),
            require_lowercase: b.require_lowercase,
            require_uppercase: b.require_uppercase,
            require_digit: b.require_digit,
            require_symbol: b.require_symbol,
            expiration_days: b.expiration_days,
            history_count: b.history_count,
        }
    }
}

/// The lockout policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockoutPolicyBody {
    pub enabled: bool,
    /// 3–20 failed sign-ins in a row lock the user.
    pub max_failed_attempts: u32,
}

/// The session policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPolicyBody {
    pub timeout_enabled: bool,
    /// Idle minutes after which a session ends (when `timeout_enabled`).
    pub timeout_minutes: u32,
    /// Minutes after sign-in after which a session ends, active or not (default 30 days).
    #[serde(default = "default_max_age")]
    pub max_age_minutes: u32,
    /// Every user must use two-step verification.
    #[serde(default)]
    pub require_mfa: Option<bool>,
}

fn default_max_age() -> u32 {
    SessionPolicy::default().max_age_minutes
}

fn session_body(p: &SecurityPolicies) -> SessionPolicyBody {
    SessionPolicyBody {
        timeout_enabled: p.session.timeout_enabled,
        timeout_minutes: p.session.timeout_minutes,
        max_age_minutes: p.session.max_age_minutes,
        require_mfa: Some(p.require_mfa),
    }
}

/// The account's password policy.
#[utoipa::path(get, path = "/api/v1/security/password-policy", tag = "security", security(("bearer" = ["settings:read"])),
    responses((status = 200, body = PasswordPolicyView), (status = 403, body = Problem)))]
pub async fn get_password(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<PasswordPolicyView>> {
    let p = security::get(&state, &admin).await?;
    let n = security::non_compliant_count(&state, &admin).await?;
    Ok(Json(PasswordPolicyView::new(&p.password, n)))
}

/// Changes the password policy; answers how many users no longer comply.
#[utoipa::path(put, path = "/api/v1/security/password-policy", tag = "security", security(("bearer" = ["settings:write"])), request_body = PasswordPolicyBody,
    responses((status = 200, body = PasswordPolicyView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_password(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<PasswordPolicyBody>,
) -> AppResult<Json<PasswordPolicyView>> {
    let (p, n) = security::update(&state, &admin, &admin.actor, vec![PolicyChange::Password(body.into())]).await?;
    Ok(Json(PasswordPolicyView::new(&p.password, n)))
}

/// How many users were asked for a new password.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequireChangeView {
    pub users: u64,
}

/// Asks every user whose current password breaks the policy for a new one at their next sign-in.
#[utoipa::path(post, path = "/api/v1/security/password-policy/require-change", tag = "security", security(("bearer" = ["settings:write"])),
    responses((status = 200, body = RequireChangeView), (status = 403, body = Problem)))]
pub async fn require_change(
    State(state): State<AppState>, admin: AdminUser, Client(_meta): Client,
) -> AppResult<Json<RequireChangeView>> {
    Ok(Json(RequireChangeView { users: security::require_new_passwords(&state, &admin, &admin.actor).await? }))
}

/// The account's lockout policy.
#[utoipa::path(get, path = "/api/v1/security/lockout-policy", tag = "security", security(("bearer" = ["settings:read"])),
    responses((status = 200, body = LockoutPolicyBody), (status = 403, body = Problem)))]
pub async fn get_lockout(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<LockoutPolicyBody>> {
    let p = security::get(&state, &admin).await?.lockout;
    Ok(Json(LockoutPolicyBody { enabled: p.enabled, max_failed_attempts: p.max_failed_attempts }))
}

/// Changes the lockout policy.
#[utoipa::path(put, path = "/api/v1/security/lockout-policy", tag = "security", security(("bearer" = ["settings:write"])), request_body = LockoutPolicyBody,
    responses((status = 200, body = LockoutPolicyBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_lockout(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<LockoutPolicyBody>,
) -> AppResult<Json<LockoutPolicyBody>> {
    let change = LockoutPolicy { enabled: body.enabled, max_failed_attempts: body.max_failed_attempts };
    let p = security::update(&state, &admin, &admin.actor, vec![PolicyChange::Lockout(change)]).await?.0.lockout;
    Ok(Json(LockoutPolicyBody { enabled: p.enabled, max_failed_attempts: p.max_failed_attempts }))
}

/// The account's session policy (and whether two-step verification is required).
#[utoipa::path(get, path = "/api/v1/security/session-policy", tag = "security", security(("bearer" = ["settings:read"])),
    responses((status = 200, body = SessionPolicyBody), (status = 403, body = Problem)))]
pub async fn get_session(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<SessionPolicyBody>> {
    Ok(Json(session_body(&security::get(&state, &admin).await?)))
}

/// Changes the session policy; existing sessions follow it from their next request.
#[utoipa::path(put, path = "/api/v1/security/session-policy", tag = "security", security(("bearer" = ["settings:write"])), request_body = SessionPolicyBody,
    responses((status = 200, body = SessionPolicyBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_session(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<SessionPolicyBody>,
) -> AppResult<Json<SessionPolicyBody>> {
    let change = SessionPolicy {
        timeout_enabled: body.timeout_enabled,
        timeout_minutes: body.timeout_minutes,
        max_age_minutes: body.max_age_minutes,
    };
    let mut changes = vec![PolicyChange::Session(change)];
    changes.extend(body.require_mfa.map(PolicyChange::RequireMfa));
    let p = security::update(&state, &admin, &admin.actor, changes).await?.0;
    Ok(Json(session_body(&p)))
}
