//! Request extractors: JSON bodies with problem-document errors, the signed-in caller (checked
//! against the reach of the route's router), the Administrator (only obtainable after the role
//! check), and the client's address.

use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Path, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use tenantry_app::{Actor, Admin, ClientMeta, Error, Principal, authenticate};
use tenantry_domain::Reach;

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
        parse_json(&json_bytes(req, state).await?).map(ApiJson)
    }
}

/// The body of a JSON request (415 for another media type, 413 past [`MAX_JSON_BYTES`]).
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
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
    Ok(bytes)
}

/// A JSON body that must hold no payment card number anywhere (in a value, a key, or a bare
/// number): such a body is 422 naming where it is, checked before the body is parsed into `T`, so
/// the digits never reach a parser's message, an answer or a log line.
pub struct CardFreeJson<T>(pub T);

impl<S, T> FromRequest<S> for CardFreeJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bytes = json_bytes(req, state).await?;
        if tenantry_domain::card_number::contains_card_number(&String::from_utf8_lossy(&bytes)) {
            let field = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| card_field(&v, ""))
                .unwrap_or_else(|| "body".to_owned());
            return Err(AppError::invalid(
                &field,
                "holds what looks like a payment card number: send the payment provider's token, never the card number",
            ));
        }
        parse_json(&bytes).map(CardFreeJson)
    }
}

/// The path of the first member of `value` whose key or value looks like a card number.
fn card_field(value: &serde_json::Value, path: &str) -> Option<String> {
    use tenantry_domain::card_number::contains_card_number;
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if contains_card_number(k) {
                Some(if path.is_empty() { "body".to_owned() } else { path.to_owned() })
            } else {
                card_field(v, &join(k))
            }
        }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| card_field(v, &format!("{path}[{i}]")))
        }
        serde_json::Value::String(s) if contains_card_number(s) => Some(path.to_owned()),
        serde_json::Value::Number(n) if contains_card_number(&n.to_string()) => Some(path.to_owned()),
        _ => None,
    }
}

/// A JSON body that may be left out: an empty body is `T::default()` (so a missing field is named
/// by the service, 422), anything else must be JSON as for [`ApiJson`].
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let empty = req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() == b"0")
            || (!req.headers().contains_key(header::CONTENT_TYPE)
                && !req.headers().contains_key(header::CONTENT_LENGTH)
                && !req.headers().contains_key(header::TRANSFER_ENCODING));
        if empty {
            return Ok(OptionalJson(T::default()));
        }
        ApiJson::<T>::from_request(req, state).await.map(|ApiJson(t)| OptionalJson(t))
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

/// An id in the request path, parsed at the edge: text that is not an id of this kind can never
/// name anything, so it answers 404 like an id of another account.
pub struct PathId<T>(pub T);

impl<S, T> FromRequestParts<S> for PathId<T>
where
    S: Send + Sync,
    T: TryFrom<String>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| AppError::NOT_FOUND)?;
        parse_id(raw).map(PathId)
    }
}

/// Parses one id of a path with several parameters; not an id of this kind is 404.
pub fn parse_id<T: TryFrom<String>>(raw: String) -> Result<T, AppError> {
    T::try_from(raw).map_err(|_| AppError::NOT_FOUND)
}

/// The signed-in caller of an API request (`Authorization: Bearer <session token or API key>`),
/// and the [`Actor`] the audit log records for this request. It dereferences to the [`Principal`].
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Shared with the session cache: no copy of the user per request.
    pub principal: Arc<Principal>,
    pub actor: Actor,
}

impl std::ops::Deref for AuthUser {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl AuthUser {
    /// The caller of a request from `client`.
    pub fn new(principal: Arc<Principal>, client: &ClientMeta) -> Self {
        let actor = Actor::of(&principal, client);
        Self { principal, actor }
    }
}

/// An Administrator caller: handlers that take this cannot run for a Member. It dereferences to
/// the [`Admin`] capability the services ask for.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub admin: Admin,
    pub actor: Actor,
}

impl std::ops::Deref for AdminUser {
    type Target = Admin;
    fn deref(&self) -> &Admin {
        &self.admin
    }
}

impl AdminUser {
    /// The Administrator capability of `user`, or 403.
    pub fn of(user: AuthUser) -> Result<Self, tenantry_app::Error> {
        Ok(Self { admin: user.principal.admin()?, actor: user.actor })
    }
}

/// Which sessions a request's route serves: set on whole routers with `Extension(Reach::…)`;
/// routes not marked serve full sessions only.
pub fn reach(parts: &Parts) -> Reach {
    parts.extensions.get::<Reach>().copied().unwrap_or(Reach::Full)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let token = bearer(parts).ok_or(Error::Unauthorized("Sign in first: send Authorization: Bearer <token>."))?;
        let principal = authenticate::bearer(state, token)
            .await?
            .ok_or(Error::Unauthorized("The token is invalid or has expired."))?;
        // Every authenticated API request counts towards the user's usage (in memory, flushed each second).
        state.requests.count(&principal.user.account_id, &principal.user.id);
        if !principal.scope.allows(reach(parts)) {
            return Err(Error::Forbidden(principal.scope.refusal()).into());
        }
        if let Some(scopes) = principal.scopes {
            // An account API key: only what the route declares in its OpenAPI security requirement.
            let template = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str);
            state.scopes().check(scopes, &parts.method, template).map_err(AppError::Scope)?;
        }
        // The actor needs the address only: the user agent is not copied on every request.
        let user = AuthUser::new(principal, &ClientMeta { ip: client_ip(parts, state), user_agent: None });
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(AdminUser::of(AuthUser::from_request_parts(parts, state).await?)?)
    }
}

/// The client's address (see [`client_ip`]) and user agent (its first 256 characters).
pub fn client_meta(parts: &Parts, state: &AppState) -> ClientMeta {
    let user_agent =
        parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect());
    ClientMeta { ip: client_ip(parts, state), user_agent }
}

/// The client's address: the socket peer, or the `X-Forwarded-For` entry set by a trusted proxy.
pub fn client_ip(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    match peer {
        Some(p) if state.web().trusted_proxies.contains(&p) => parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
            .or(Some(p)),
        other => other,
    }
}

/// The client a request came from (for requests with no signed-in caller: sign-in, sign-up, links).
#[derive(Debug, Clone)]
pub struct Client(pub ClientMeta);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client(client_meta(parts, &state.clone())))
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
