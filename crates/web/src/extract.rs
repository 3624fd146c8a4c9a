//! Request extractors: JSON bodies with problem-document errors, the signed-in user, the
//! Administrator (only obtainable after the role check), and the client's address.

use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
use tenantry_domain::{Role, TokenHash};
use tenantry_storage::sessions::{self, SessionUser};
use tenantry_storage::users::User;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A JSON body whose every failure is a problem document naming the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge(MAX_JSON_BYTES)
            } else {
                AppError::BadRequest(format!("could not read the request body: {e}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, telling malformed documents (400) from well-formed ones with wrong content (422, field named).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(AppError::BadRequest(format!("malformed JSON: {inner}")));
            }
            let message = strip_position(&inner.to_string());
            let field = field_of(&path, &message);
            Err(AppError::invalid(&field, message))
        }
    }
}

/// serde's messages end in " at line L column C", which means nothing to an API client.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// The JSON name of the field an error is about: the path, or the name serde put in backticks
/// for unknown and missing fields (whose path is their parent).
fn field_of(path: &str, message: &str) -> String {
    let named = (message.starts_with("unknown field") || message.starts_with("missing field"))
        .then(|| message.split('`').nth(1))
        .flatten();
    match (path, named) {
        (".", Some(n)) => n.to_owned(),
        (".", None) => "body".to_owned(),
        // An unknown field's path already ends with its name; a missing field's is its parent.
        (p, Some(n)) if !p.ends_with(n) => format!("{p}.{n}"),
        (p, _) => p.to_owned(),
    }
}

/// The signed-in user of an API request (`Authorization: Bearer <session token>`).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub session_id: String,
    pub user: User,
    /// What the session may do.
    pub scope: SessionScope,
}

/// What a session may do: everything, or only the one step its user must take first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionScope {
    Full,
    /// The password expired or must be changed: only changing it (and signing out) is allowed.
    PasswordChange,
    /// The account requires two-step verification and the user has none yet: only setting it up.
    MfaSetup,
}

impl SessionScope {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionScope::Full => "full",
            SessionScope::PasswordChange => "password_change",
            SessionScope::MfaSetup => "mfa_setup",
        }
    }

    /// Parses a stored name; anything unknown is the most restricted scope.
    pub fn parse(s: &str) -> Self {
        match s {
            "full" => SessionScope::Full,
            "mfa_setup" => SessionScope::MfaSetup,
            _ => SessionScope::PasswordChange,
        }
    }

    /// Whether a request to `path` (API or page) is allowed in this scope.
    pub fn allows(self, path: &str) -> bool {
        const ALWAYS: &[&str] = &["/api/v1/auth/sign-out", "/api/v1/me", "/signout"];
        match self {
            SessionScope::Full => true,
            _ if ALWAYS.contains(&path) => true,
            SessionScope::PasswordChange => {
                matches!(path, "/api/v1/me/password" | "/password-change" | "/password-check")
            }
            SessionScope::MfaSetup => path.starts_with("/api/v1/me/mfa/") || path == "/me/two-step",
        }
    }

    /// Why a restricted session was refused.
    pub fn refusal(self) -> &'static str {
        match self {
            SessionScope::MfaSetup => {
                "Your account requires two-step verification: set it up first (POST /api/v1/me/mfa/totp)."
            }
            _ => "Your password has expired or must be changed: change it first (POST /api/v1/me/password).",
        }
    }
}

/// An Administrator: handlers that take this cannot run for a Member.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Resolves a presented session token into its user, refreshing the session's last-seen time
/// at most once a minute so busy clients do not write on every request.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<AuthUser>, AppError> {
    let hash = TokenHash::of(token);
    let now = state.now();
    if let Some(user) = state.sessions.get(hash.as_str(), now) {
        return Ok(Some(user));
    }
    let mut conn = state.db.conn().await?;
    let Some(SessionUser { session_id, token_hash, created_at, last_seen_at, scope, policy, user }) =
        sessions::find_by_hash(&mut conn, &hash, now).await?
    else {
        return Ok(None);
    };
    if !hash.matches(&token_hash) {
        return Ok(None);
    }
    if !policy.is_alive(created_at, last_seen_at, now) {
        // Idle too long or too old under the account's current policy: the session is over.
        sessions::delete(&mut conn, &session_id).await?;
        return Ok(None);
    }
    if now - last_seen_at > 60_000 {
        sessions::touch(&mut conn, &session_id, now).await?;
    }
    let user = AuthUser { session_id, user, scope: SessionScope::parse(&scope) };
    state.sessions.put(token_hash, user.clone(), now);
    Ok(Some(user))
}

/// Resolves a bearer token of the API: a personal API key (`tnt_…`) or a session token. A key
/// works while its user is active; its last use is recorded at most once a minute.
pub async fn authenticate_api(state: &AppState, token: &str) -> Result<Option<AuthUser>, AppError> {
    if !token.starts_with(crate::services::api_keys::PREFIX) {
        return authenticate(state, token).await;
    }
    let hash = TokenHash::of(token);
    let now = state.now();
    if let Some(user) = state.sessions.get(hash.as_str(), now) {
        return Ok(Some(user));
    }
    let mut conn = state.db.conn().await?;
    let Some(found) = tenantry_storage::api_keys::find_by_hash(&mut conn, &hash).await? else { return Ok(None) };
    if !hash.matches(&found.key_hash) || found.user.status != tenantry_domain::UserStatus::Active {
        return Ok(None);
    }
    if found.last_used_at.is_none_or(|t| now - t > 60_000) {
        tenantry_storage::api_keys::touch(&mut conn, &found.key_id, now).await?;
    }
    let user = AuthUser { session_id: found.key_id, user: found.user, scope: SessionScope::Full };
    state.sessions.put(found.key_hash, user.clone(), now);
    Ok(Some(user))
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let state = AppState::from_ref(state);
        let token =
            bearer(parts).ok_or(AppError::Unauthorized("Sign in first: send Authorization: Bearer <token>."))?;
        let user = authenticate_api(&state, token)
            .await?
            .ok_or(AppError::Unauthorized("The token is invalid or has expired."))?;
        // Every authenticated API request counts towards the user's usage (in memory, flushed each second).
        state.requests.count(&user.user.account_id, &user.user.id);
        if !user.scope.allows(parts.uri.path()) {
            return Err(AppError::Forbidden(user.scope.refusal()));
        }
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl<S> FromRequestParts<S> for AdminUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.user.role != Role::Administrator {
            return Err(AppError::Forbidden("Only Administrators may do this."));
        }
        Ok(AdminUser(user))
    }
}

/// The client's address: the socket peer, or the `X-Forwarded-For` entry set by a trusted proxy.
#[derive(Debug, Clone)]
pub struct ClientMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl<S> FromRequestParts<S> for ClientMeta
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = match peer {
            Some(p) if state.config.trusted_proxies.contains(&p) => parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
                .or(Some(p)),
            other => other,
        };
        let user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect());
        Ok(ClientMeta { ip, user_agent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        age: u32,
    }

    fn field(bytes: &str) -> (u16, Vec<String>) {
        match parse_json::<Body>(bytes.as_bytes()) {
            Ok(_) => (200, vec![]),
            Err(e) => (e.status().as_u16(), e.problem().errors.into_iter().map(|f| f.field).collect()),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field(r#"{"name":"a","age":1}"#).0, 200);
        assert_eq!(field(r#"{"name":"a","age":"x"}"#), (422, vec!["age".into()]));
        assert_eq!(field(r#"{"name":"a"}"#), (422, vec!["age".into()]));
        assert_eq!(field(r#"{"name":"a","age":1,"admin":true}"#), (422, vec!["admin".into()]));
        assert_eq!(field(r#"{"name":"a","#).0, 400);
        assert_eq!(field(r#""just a string""#), (422, vec!["body".into()]));
    }
}
