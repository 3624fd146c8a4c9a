//! Sign-in for the products (OpenID Connect), the JSON side: the operator's client registration,
//! discovery, the JWKS, and the token, userinfo, introspection (RFC 7662) and revocation
//! (RFC 7009) endpoints. The authorization and end-session pages are in `pages::oidc`.

use super::billing::Operator;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tenantry_app::oidc::{self, ClientAuth, OAuthError, Refusal};
use utoipa::ToSchema;

/// Where each endpoint lives, under the issuer.
pub const AUTHORIZE: &str = "/oidc/authorize";
pub const TOKEN: &str = "/oidc/token";
pub const USERINFO: &str = "/oidc/userinfo";
pub const JWKS: &str = "/oidc/jwks";
pub const REVOKE: &str = "/oidc/revoke";
pub const INTROSPECT: &str = "/oidc/introspect";
pub const END_SESSION: &str = "/oidc/end-session";

/// A product's client, as the operator registers it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientRequest {
    #[schema(example = "ChatOnce")]
    pub name: String,
    /// The product key the client signs users in to (a user needs its license).
    #[schema(example = "chat")]
    pub product: String,
    /// Exact redirect URIs (https://, or http:// to localhost).
    #[schema(example = json!(["https://chat.example.com/oidc/callback"]))]
    pub redirect_uris: Vec<String>,
    /// A public client (a browser or native app) has no secret and must use PKCE.
    #[serde(default)]
    pub public: bool,
    /// Where back-channel logout tokens are POSTed.
    #[schema(example = "https://chat.example.com/oidc/backchannel-logout")]
    pub backchannel_logout_uri: Option<String>,
}

/// A registered client: the secret is shown here only (none for public clients).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClientView {
    #[schema(example = "tcl_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Registers a product's OpenID Connect client.
#[utoipa::path(post, path = "/api/v1/operator/oidc-clients", tag = "operator", request_body = ClientRequest, security(("operator" = [])),
    responses((status = 201, body = CreatedClientView), (status = 401, body = Problem), (status = 404, description = "operator API off", body = Problem), (status = 422, body = Problem)))]
pub async fn create_client(
    State(state): State<AppState>, _op: Operator, ApiJson(body): ApiJson<ClientRequest>,
) -> AppResult<(StatusCode, Json<CreatedClientView>)> {
    let input = oidc::ClientInput {
        name: body.name,
        product: body.product,
        redirect_uris: body.redirect_uris,
        public: body.public,
        backchannel_logout_uri: body.backchannel_logout_uri,
    };
    let created = oidc::register_client(&state, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedClientView {
            client_id: created.client_id,
            client_secret: created.client_secret.map(|s| s.expose().to_owned()),
        }),
    ))
}

/// The provider's metadata (OpenID Connect Discovery 1.0 §3).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub end_session_endpoint: String,
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub subject_types_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    pub prompt_values_supported: Vec<String>,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// OpenID Connect discovery: every endpoint and what the provider supports.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oidc", security(()),
    responses((status = 200, body = ProviderMetadata)))]
pub async fn discovery(State(state): State<AppState>) -> Json<ProviderMetadata> {
    let issuer = state.config.public_url.clone();
    let at = |path: &str| format!("{issuer}{path}");
    let client_auth = ["client_secret_basic", "client_secret_post", "none"];
    Json(ProviderMetadata {
        authorization_endpoint: at(AUTHORIZE),
        token_endpoint: at(TOKEN),
        userinfo_endpoint: at(USERINFO),
        jwks_uri: at(JWKS),
        revocation_endpoint: at(REVOKE),
        introspection_endpoint: at(INTROSPECT),
        end_session_endpoint: at(END_SESSION),
        issuer,
        scopes_supported: strings(tenantry_domain::oidc::SCOPES),
        response_types_supported: strings(&["code"]),
        response_modes_supported: strings(&["query"]),
        grant_types_supported: strings(&["authorization_code", "refresh_token"]),
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: strings(&[oidc::keys::ALG]),
        token_endpoint_auth_methods_supported: strings(&client_auth),
        revocation_endpoint_auth_methods_supported: strings(&client_auth),
        introspection_endpoint_auth_methods_supported: strings(&client_auth[..2]),
        code_challenge_methods_supported: strings(&["S256"]),
        claims_supported: strings(&[
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
            "name",
            "zoneinfo",
            "email",
            "email_verified",
            "account_id",
            "role",
            "licenses",
        ]),
        prompt_values_supported: strings(&["none", "login"]),
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
    })
}

/// One public key (RFC 7517), as the JWKS lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkView {
    #[schema(example = "EC")]
    pub kty: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: Option<String>,
    #[schema(example = "ES256")]
    pub alg: Option<String>,
    pub kid: Option<String>,
    #[schema(example = "P-256")]
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
}

/// The JSON Web Key Set.
#[derive(Debug, Serialize, ToSchema)]
pub struct JwksView {
    pub keys: Vec<JwkView>,
}

/// The public keys ID tokens and logout tokens are signed with: the current one first, and a
/// retired one until the tokens it signed have expired.
#[utoipa::path(get, path = "/oidc/jwks", tag = "oidc", security(()), responses((status = 200, body = JwksView)))]
pub async fn jwks(State(state): State<AppState>) -> AppResult<Response> {
    let set = oidc::keys::jwks(&state).await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(set)).into_response())
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorView {
    #[schema(example = "invalid_grant")]
    pub error: String,
    pub error_description: String,
}

/// The answer to a refusal: 401 for `invalid_client` (with `WWW-Authenticate` when the client
/// used HTTP Basic) and `invalid_token`, else 400; never cached.
fn oauth_error(e: OAuthError, basic: bool) -> Response {
    let status = match e.error {
        "invalid_client" | "invalid_token" => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut res = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(OAuthErrorView { error: e.error.to_owned(), error_description: e.description }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if e.error == "invalid_token" {
            "Bearer error=\"invalid_token\"".to_owned()
        } else if basic {
            "Basic realm=\"tenantry\"".to_owned()
        } else {
            String::new()
        };
        if !challenge.is_empty()
            && let Ok(v) = challenge.parse()
        {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    res
}

fn refused(r: Refusal, basic: bool) -> Response {
    match r {
        Refusal::OAuth(e) => oauth_error(e, basic),
        Refusal::App(e) => AppError::from(e).into_response(),
    }
}

/// The form of a request to the token, revocation or introspection endpoint, read leniently:
/// every field is text, and repeated or unknown ones are refused or ignored by the endpoint.
type Form = BTreeMap<String, String>;

/// Reads a form body; anything else is `invalid_request`.
fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(OAuthError::new("invalid_request", "Send the parameters as application/x-www-form-urlencoded."));
    }
    let mut form = Form::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if form.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(OAuthError::new("invalid_request", format!("{k} is sent more than once.")));
        }
    }
    Ok(form)
}

/// The client's credentials: HTTP Basic (RFC 6749 §2.3.1, both parts form-encoded) or the form's
/// `client_id` and `client_secret`; answers whether Basic was used.
fn client_auth(headers: &HeaderMap, form: &Form) -> Result<(ClientAuth, bool), OAuthError> {
    let bad = || OAuthError::new("invalid_client", "The Authorization header is not valid HTTP Basic.");
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| bad())?;
        let (scheme, rest) = value.split_once(' ').ok_or_else(bad)?;
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).map_err(|_| bad())?;
            let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
            let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
            let unform =
                |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
            if form.contains_key("client_secret") {
                return Err(OAuthError::new("invalid_request", "Authenticate the client one way only."));
            }
            return Ok((ClientAuth { client_id: unform(id), client_secret: unform(secret) }, true));
        }
    }
    Ok((
        ClientAuth { client_id: form.get("client_id").cloned(), client_secret: form.get("client_secret").cloned() },
        false,
    ))
}

/// A token request (RFC 6749 §4.1.3 and §6), form-encoded.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: String,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Tokens: a short-lived access token, a refresh token (rotated on every use) and an ID token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = 300)]
    pub expires_in: i64,
    pub refresh_token: String,
    pub id_token: String,
    #[schema(example = "openid profile email")]
    pub scope: String,
}

/// The token endpoint: exchanges an authorization code (with its PKCE verifier) or a refresh token.
#[utoipa::path(post, path = "/oidc/token", tag = "oidc", security(()),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenView), (status = 400, body = OAuthErrorView), (status = 401, body = OAuthErrorView)))]
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (form, (auth, basic)) = match read_form(&headers, &body).and_then(|f| client_auth(&headers, &f).map(|a| (f, a)))
    {
        Ok(v) => v,
        Err(e) => return oauth_error(e, false),
    };
    let req = oidc::TokenRequest {
        grant_type: form.get("grant_type").cloned(),
        code: form.get("code").cloned(),
        redirect_uri: form.get("redirect_uri").cloned(),
        code_verifier: form.get("code_verifier").cloned(),
        refresh_token: form.get("refresh_token").cloned(),
        scope: form.get("scope").cloned(),
    };
    match oidc::token(&state, &auth, req).await {
        Ok(t) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(TokenView {
                access_token: t.access_token,
                token_type: t.token_type.to_owned(),
                expires_in: t.expires_in,
                refresh_token: t.refresh_token,
                id_token: t.id_token,
                scope: t.scope,
            }),
        )
            .into_response(),
        Err(r) => refused(r, basic),
    }
}

/// What userinfo answers about the user (API.md's claims).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfoView {
    /// The user id.
    pub sub: String,
    pub account_id: String,
    /// `administrator` or `member`.
    pub role: String,
    /// The product keys the user holds a license for.
    pub licenses: Vec<String>,
    pub name: Option<String>,
    pub zoneinfo: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

/// The signed-in user's claims, for a live access token (`Authorization: Bearer`).
#[utoipa::path(get, path = "/oidc/userinfo", tag = "oidc", security(()),
    responses((status = 200, body = UserInfoView), (status = 401, description = "no live access token", body = OAuthErrorView)))]
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let invalid =
        || oauth_error(OAuthError::new("invalid_token", "The access token is missing, expired or revoked."), false);
    let Some(token) = presented.filter(|t| !t.is_empty()) else { return invalid() };
    match oidc::userinfo(&state, &token).await {
        Ok(Some(claims)) => ([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response(),
        Ok(None) => invalid(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// A revocation or introspection request, form-encoded.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenHintForm {
    pub token: String,
    /// `access_token` or `refresh_token`.
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Revokes a token of the calling client (RFC 7009): a refresh token ends its sign-in with every
/// token of it; an access token ends alone. Unknown tokens are answered the same.
#[utoipa::path(post, path = "/oidc/revoke", tag = "oidc", security(()),
    request_body(content = TokenHintForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "revoked, or not a token of this client"), (status = 400, body = OAuthErrorView), (status = 401, body = OAuthErrorView)))]
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (form, (auth, basic)) = match read_form(&headers, &body).and_then(|f| client_auth(&headers, &f).map(|a| (f, a)))
    {
        Ok(v) => v,
        Err(e) => return oauth_error(e, false),
    };
    match oidc::revoke(&state, &auth, form.get("token").map(String::as_str)).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => refused(r, basic),
    }
}

/// What introspection answers (RFC 7662 §2.2): `active` alone for a token that is not live.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntrospectionView {
    pub active: bool,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub token_type: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub sub: Option<String>,
    pub aud: Option<String>,
    pub iss: Option<String>,
    pub account_id: Option<String>,
}

/// Tells a product's API whether a token is live, and whose it is (RFC 7662). Clients see the
/// tokens of clients of their own product.
#[utoipa::path(post, path = "/oidc/introspect", tag = "oidc", security(()),
    request_body(content = TokenHintForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = IntrospectionView), (status = 400, body = OAuthErrorView), (status = 401, body = OAuthErrorView)))]
pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (form, (auth, basic)) = match read_form(&headers, &body).and_then(|f| client_auth(&headers, &f).map(|a| (f, a)))
    {
        Ok(v) => v,
        Err(e) => return oauth_error(e, false),
    };
    match oidc::introspect(&state, &auth, form.get("token").map(String::as_str)).await {
        Ok(answer) => ([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response(),
        Err(r) => refused(r, basic),
    }
}
