//! Tenantry as the OpenID Connect provider of the products (API.md "Sign-in for the products"):
//! client registration, the authorization code flow with PKCE, the token endpoint (code exchange
//! and rotated refresh tokens), userinfo, revocation (RFC 7009), introspection (RFC 7662), and
//! back-channel logout (OpenID Back-Channel Logout 1.0) when a user's grants end.
//!
//! Codes, access and refresh tokens and client secrets are random and stored only as SHA-256
//! hashes. A grant is one sign-in of a user to a client; its refresh tokens form a family: a
//! spent one presented again revokes the whole grant. The account's session policy governs how
//! long a grant lives (idle time and age), as it does the Tenantry session.

pub mod keys;

use crate::{App, Error, Principal, Result};
use serde::{Deserialize, Serialize};
use tenantry_domain::oidc::{self as rules, Prompt};
use tenantry_domain::{SecretToken, TokenHash, UserId, UserStatus};
use tenantry_storage::oidc::{self as store, Client, Grant};
use tenantry_storage::{Conn, outbox};

/// The outbox kind of a back-channel logout notice.
pub const LOGOUT_KIND: &str = "oidc_backchannel_logout";
/// Prefix of client ids.
pub const CLIENT_PREFIX: &str = "tcl_";

/// A client as the operator registers it.
#[derive(Debug, Clone)]
pub struct ClientInput {
    pub name: String,
    pub product: String,
    pub redirect_uris: Vec<String>,
    pub public: bool,
    pub backchannel_logout_uri: Option<String>,
}

/// A registered client: its id, and its secret shown this once (none for public clients).
#[derive(Debug)]
pub struct NewClient {
    pub client_id: String,
    pub client_secret: Option<SecretToken>,
}

/// Registers a product's client.
#[tracing::instrument(skip_all)]
pub async fn register_client(state: &App, input: ClientInput) -> Result<NewClient> {
    let backchannel = input.backchannel_logout_uri.as_deref().map(str::trim).filter(|s| !s.is_empty());
    rules::check_client(
        &input.name,
        state.config.catalog.get(&input.product).is_some(),
        &input.redirect_uris,
        backchannel,
    )
    .map_err(Error::Validation)?;
    let client_id = format!("{CLIENT_PREFIX}{}", tenantry_domain::token::random_hex(12));
    let secret = (!input.public).then(|| SecretToken::generate("tcs_"));
    let client = Client {
        id: client_id.clone(),
        name: input.name.trim().to_owned(),
        product: input.product,
        redirect_uris: input.redirect_uris,
        public: input.public,
        secret_hash: secret.as_ref().map(|s| s.hash().as_str().to_owned()),
        backchannel_logout_uri: backchannel.map(str::to_owned),
        created_at: state.now(),
    };
    let mut conn = state.db.conn().await?;
    store::insert_client(&mut conn, &client).await?;
    tracing::info!(client_id = %client_id, product = %client.product, "OpenID Connect client registered");
    Ok(NewClient { client_id, client_secret: secret })
}

/// What an OAuth endpoint answers when it refuses (RFC 6749 §5.2): the error code and a
/// description. `invalid_client` is answered 401, the others 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self { error, description: description.into() }
    }
    fn grant(description: &str) -> Self {
        Self::new("invalid_grant", description)
    }
}

/// A refusal of the protocol, or a failure of the application (answered as it always is).
#[derive(Debug)]
pub enum Refusal {
    OAuth(OAuthError),
    App(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::App(e)
    }
}

impl From<tenantry_storage::StoreError> for Refusal {
    fn from(e: tenantry_storage::StoreError) -> Self {
        Refusal::App(e.into())
    }
}

impl From<OAuthError> for Refusal {
    fn from(e: OAuthError) -> Self {
        Refusal::OAuth(e)
    }
}

/// An authorization request as received (`GET /oidc/authorize`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthorizeRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub response_mode: Option<String>,
}

/// Why an authorization request was refused.
#[derive(Debug)]
pub enum AuthorizeRefusal {
    /// The client or redirect URI cannot be trusted: shown as a page, never redirected.
    Page(String),
    /// Sent back to the client's redirect URI (`error`, `error_description`, `state`).
    Redirect(String),
    App(Error),
}

impl From<tenantry_storage::StoreError> for AuthorizeRefusal {
    fn from(e: tenantry_storage::StoreError) -> Self {
        AuthorizeRefusal::App(e.into())
    }
}

/// An authorization request that passed the checks.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub client: Client,
    pub redirect_uri: String,
    pub scope: Vec<&'static str>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    /// Longest age of the sign-in, in seconds.
    pub max_age: Option<i64>,
}

impl Authorization {
    /// The redirect URI carrying `params` and the request's `state`.
    pub fn redirect_with(&self, params: &[(&str, &str)]) -> String {
        redirect_to(&self.redirect_uri, params, self.state.as_deref())
    }

    /// The redirect URI carrying an error.
    pub fn error(&self, error: &str, description: &str) -> String {
        self.redirect_with(&[("error", error), ("error_description", description)])
    }
}

fn redirect_to(uri: &str, params: &[(&str, &str)], state: Option<&str>) -> String {
    let mut url = match url::Url::parse(uri) {
        Ok(u) => u,
        Err(_) => return uri.to_owned(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    url.to_string()
}

/// Checks an authorization request. A missing or unknown client, or a redirect URI that is not
/// registered character for character, is answered with a page; other faults go back to the
/// client's redirect URI.
pub async fn check_authorization(state: &App, req: &AuthorizeRequest) -> Result<Authorization, AuthorizeRefusal> {
    let page = |m: &str| AuthorizeRefusal::Page(m.to_owned());
    let client_id =
        req.client_id.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| page("The request names no client_id."))?;
    let mut conn = state.db.conn().await?;
    let client =
        store::client(&mut conn, client_id).await?.ok_or_else(|| page("The client_id is not a registered product."))?;
    let redirect_uri = match req.redirect_uri.as_deref() {
        Some(uri) if rules::redirect_uri_registered(&client.redirect_uris, uri) => uri.to_owned(),
        Some(_) => return Err(page("The redirect_uri is not one registered for this product.")),
        None => return Err(page("The request names no redirect_uri.")),
    };
    let mut auth = Authorization {
        client,
        redirect_uri,
        scope: Vec::new(),
        state: req.state.clone(),
        nonce: req.nonce.clone(),
        code_challenge: None,
        prompt: Prompt::Default,
        max_age: None,
    };
    let refuse = |auth: &Authorization, error: &str, description: &str| {
        AuthorizeRefusal::Redirect(auth.error(error, description))
    };
    if req.response_mode.as_deref().is_some_and(|m| m != "query") {
        return Err(refuse(&auth, "invalid_request", "Only response_mode=query is supported."));
    }
    if req.response_type.as_deref() != Some("code") {
        return Err(refuse(&auth, "unsupported_response_type", "Only response_type=code is supported."));
    }
    auth.scope = match req.scope.as_deref().and_then(rules::parse_scope) {
        Some(s) => s,
        None => return Err(refuse(&auth, "invalid_scope", "The scope must include openid.")),
    };
    match (req.code_challenge.as_deref(), req.code_challenge_method.as_deref()) {
        (None, _) if auth.client.public => {
            return Err(refuse(&auth, "invalid_request", "Public clients must send a PKCE code_challenge (S256)."));
        }
        (None, _) => {}
        (Some(c), Some("S256")) if rules::valid_challenge(c) => auth.code_challenge = Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return Err(refuse(&auth, "invalid_request", "The code_challenge is not an S256 challenge."));
        }
        (Some(_), _) => {
            return Err(refuse(&auth, "invalid_request", "Only code_challenge_method=S256 is supported."));
        }
    }
    auth.prompt = match Prompt::parse(req.prompt.as_deref()) {
        Ok(p) => p,
        Err(m) => return Err(refuse(&auth, "invalid_request", m)),
    };
    auth.max_age = match req.max_age.as_deref() {
        None | Some("") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(refuse(&auth, "invalid_request", "max_age must be a number of seconds.")),
        },
    };
    Ok(auth)
}

/// Whether the sign-in behind a session is recent enough for `auth` (`max_age`).
pub fn fresh_enough(auth: &Authorization, auth_time: i64, now: i64) -> bool {
    auth.max_age.is_none_or(|secs| now - auth_time <= secs.saturating_mul(1000))
}

/// When the session `session_id` signed in (its creation), if it exists.
pub async fn auth_time(state: &App, session_id: &str) -> Result<Option<i64>> {
    let mut conn = state.db.conn().await?;
    Ok(tenantry_storage::sessions::created_at(&mut conn, session_id).await?)
}

/// Why no code was issued to a signed-in user.
#[derive(Debug)]
pub enum NoCode {
    /// The user holds no license for the client's product (its name).
    NoLicense(String),
}

/// Issues an authorization code to the signed-in `me` (consent is implicit for first-party
/// products); answers the redirect carrying it. A user without a license for the client's
/// product gets none.
#[tracing::instrument(skip_all, fields(client_id = %auth.client.id, user_id = %me.user.id))]
pub async fn issue_code(
    state: &App, me: &Principal, auth_time: i64, auth: &Authorization,
) -> Result<std::result::Result<String, NoCode>> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let licenses = tenantry_storage::licenses::of_user(&mut tx, &me.user.id).await?;
    if !licenses.contains(&auth.client.product) {
        let name =
            state.config.catalog.get(&auth.client.product).map_or(auth.client.product.clone(), |p| p.name.clone());
        return Ok(Err(NoCode::NoLicense(name)));
    }
    let code = SecretToken::generate("tco_");
    let grant = Grant {
        id: format!("grt_{}", tenantry_domain::token::random_hex(12)),
        client_id: auth.client.id.clone(),
        user_id: me.user.id.as_str().to_owned(),
        account_id: me.user.account_id.as_str().to_owned(),
        session_id: me.session_id().map(str::to_owned),
        scope: auth.scope.join(" "),
        nonce: auth.nonce.clone(),
        auth_time,
        created_at: now,
        last_used_at: now,
        revoked_at: None,
    };
    store::insert_grant_with_code(
        &mut tx,
        &grant,
        &code.hash(),
        &auth.redirect_uri,
        auth.code_challenge.as_deref(),
        now + rules::CODE_TTL_MS,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    Ok(Ok(auth.redirect_with(&[("code", code.expose())])))
}

/// The client's credentials as presented (HTTP Basic, or the form's `client_id`/`client_secret`).
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Authenticates a client: a confidential one by its secret, a public one by its id alone.
pub async fn authenticate_client(conn: &mut Conn, auth: &ClientAuth) -> std::result::Result<Client, Refusal> {
    let invalid = || Refusal::OAuth(OAuthError::new("invalid_client", "Client authentication failed."));
    let id = auth.client_id.as_deref().filter(|s| !s.is_empty()).ok_or_else(invalid)?;
    let client = store::client(conn, id).await?.ok_or_else(invalid)?;
    match (&client.secret_hash, auth.client_secret.as_deref()) {
        (Some(hash), Some(secret)) if TokenHash::of(secret).matches(hash) => Ok(client),
        (None, None) => Ok(client),
        _ => Err(invalid()),
    }
}

/// A token request's form (`POST /oidc/token`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

/// A successful token answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub id_token: String,
    pub scope: String,
}

/// The token endpoint: exchanges a code, or a refresh token.
#[tracing::instrument(skip_all)]
pub async fn token(state: &App, client: &ClientAuth, req: TokenRequest) -> std::result::Result<Tokens, Refusal> {
    let mut tx = state.db.begin().await?;
    let client = authenticate_client(&mut tx, client).await?;
    let now = state.now();
    let outcome = match req.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(state, &mut tx, &client, &req, now).await,
        Some("refresh_token") => refresh(state, &mut tx, &client, &req, now).await,
        Some(_) => {
            Err(OAuthError::new("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")
                .into())
        }
        None => Err(OAuthError::new("invalid_request", "grant_type is missing.").into()),
    };
    match outcome {
        Ok(tokens) => {
            tenantry_storage::commit(tx).await?;
            Ok(tokens)
        }
        // A refusal that revoked a grant (a code or refresh token used twice) keeps the revocation.
        Err(Refused { keep: true, why }) => {
            tenantry_storage::commit(tx).await?;
            crate::wake_outbox(state);
            Err(why)
        }
        Err(Refused { keep: false, why }) => Err(why),
    }
}

/// A refusal, and whether what the transaction did so far (revoking a grant) must be kept.
struct Refused {
    keep: bool,
    why: Refusal,
}

macro_rules! refused_from {
    ($($t:ty),*) => {
        $(impl From<$t> for Refused {
            fn from(e: $t) -> Self {
                Refused { keep: false, why: e.into() }
            }
        })*
    };
}
refused_from!(Refusal, OAuthError, Error, tenantry_storage::StoreError);

fn kept(e: OAuthError) -> Refused {
    Refused { keep: true, why: Refusal::OAuth(e) }
}

async fn exchange_code(
    state: &App, tx: &mut Conn, client: &Client, req: &TokenRequest, now: i64,
) -> std::result::Result<Tokens, Refused> {
    let presented = req.code.as_deref().ok_or_else(|| OAuthError::new("invalid_request", "code is missing."))?;
    let hash = TokenHash::of(presented);
    let code = store::code(tx, &hash).await?.ok_or_else(|| OAuthError::grant("The code is not valid."))?;
    if !hash.matches(&code.code_hash) || code.grant.client_id != client.id {
        return Err(OAuthError::grant("The code is not valid.").into());
    }
    if code.used_at.is_some() || !store::use_code(tx, &code.code_hash, now).await? {
        // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
        end_grants(tx, std::slice::from_ref(&code.grant), now, false).await?;
        return Err(kept(OAuthError::grant("The code was already used; the tokens issued with it are revoked.")));
    }
    if code.expires_at <= now || code.grant.revoked_at.is_some() {
        return Err(OAuthError::grant("The code has expired.").into());
    }
    if req.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::grant("redirect_uri differs from the authorization request's.").into());
    }
    match (code.code_challenge.as_deref(), req.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if rules::pkce_matches(verifier, challenge) => {}
        (Some(_), _) => {
            return Err(OAuthError::grant("The PKCE code_verifier does not match the code_challenge.").into());
        }
        (None, Some(_)) => return Err(OAuthError::grant("No code_challenge was sent for this code.").into()),
        (None, None) => {}
    }
    issue_tokens(state, tx, client, &code.grant, now).await
}

async fn refresh(
    state: &App, tx: &mut Conn, client: &Client, req: &TokenRequest, now: i64,
) -> std::result::Result<Tokens, Refused> {
    let presented =
        req.refresh_token.as_deref().ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is missing."))?;
    let hash = TokenHash::of(presented);
    let token = store::token(tx, &hash).await?.ok_or_else(|| OAuthError::grant("The refresh token is not valid."))?;
    if !hash.matches(&token.token_hash) || token.kind != "refresh" || token.grant.client_id != client.id {
        return Err(OAuthError::grant("The refresh token is not valid.").into());
    }
    if token.grant.revoked_at.is_some() {
        return Err(OAuthError::grant("The refresh token was revoked.").into());
    }
    if token.used_at.is_some() || !store::spend_token(tx, &token.token_hash, now).await? {
        // A spent refresh token came back: someone holds a copy. The whole family ends.
        end_grants(tx, std::slice::from_ref(&token.grant), now, false).await?;
        return Err(kept(OAuthError::grant(
            "The refresh token was already used; every token of this sign-in is revoked.",
        )));
    }
    let account = tenantry_storage::oidc::account_of(&token.grant).ok_or_else(|| Error::NotFound)?;
    let policy = tenantry_storage::security::get(tx, &account).await?.session;
    if !policy.is_alive(token.grant.created_at, token.grant.last_used_at, now) {
        end_grants(tx, std::slice::from_ref(&token.grant), now, true).await?;
        return Err(kept(OAuthError::grant("The sign-in has expired under the account's session policy.")));
    }
    issue_tokens(state, tx, client, &token.grant, now).await
}

/// The user behind a grant, if they may still use it (active, not locked, not deactivated).
async fn grant_user(tx: &mut Conn, grant: &Grant) -> Result<Option<tenantry_storage::users::User>> {
    let (Some(account), Some(user_id)) = (store::account_of(grant), UserId::parse(&grant.user_id)) else {
        return Ok(None);
    };
    let user = tenantry_storage::users::get(tx, &account, &user_id).await?;
    Ok(user.filter(|u| u.status == UserStatus::Active))
}

async fn issue_tokens(
    state: &App, tx: &mut Conn, client: &Client, grant: &Grant, now: i64,
) -> std::result::Result<Tokens, Refused> {
    let Some(user) = grant_user(tx, grant).await? else {
        return Err(OAuthError::grant("The user can no longer sign in.").into());
    };
    let licenses = tenantry_storage::licenses::of_user(tx, &user.id).await?;
    if !licenses.contains(&client.product) {
        return Err(OAuthError::grant("The user no longer holds a license for this product.").into());
    }
    let access = SecretToken::generate("tat_");
    let refresh = SecretToken::generate("trt_");
    let ttl = rules::ACCESS_TOKEN_TTL_MS;
    store::insert_token(tx, &grant.id, "access", &access.hash(), Some(now + ttl), now).await?;
    store::insert_token(tx, &grant.id, "refresh", &refresh.hash(), None, now).await?;
    store::touch_grant(tx, &grant.id, now).await?;
    let mut claims = user_claims(state, &user, &licenses, &grant.scope);
    let extra = serde_json::json!({
        "iss": state.config.public_url,
        "aud": client.id,
        "azp": client.id,
        "iat": now / 1000,
        "exp": (now + rules::ID_TOKEN_TTL_MS) / 1000,
        "auth_time": grant.auth_time / 1000,
        "sid": grant.session_id.clone().unwrap_or_else(|| grant.id.clone()),
    });
    merge(&mut claims, extra);
    if let Some(nonce) = &grant.nonce {
        merge(&mut claims, serde_json::json!({ "nonce": nonce }));
    }
    let id_token = keys::sign(state, tx, &claims).await?;
    Ok(Tokens {
        access_token: access.expose().to_owned(),
        token_type: "Bearer",
        expires_in: ttl / 1000,
        refresh_token: refresh.expose().to_owned(),
        id_token,
        scope: grant.scope.clone(),
    })
}

fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
    if let (Some(a), serde_json::Value::Object(b)) = (into.as_object_mut(), from) {
        a.extend(b);
    }
}

/// The claims about a user (API.md): `sub`, `account_id`, `role`, `licenses` always; `name` and
/// `zoneinfo` with `profile`; `email` and `email_verified` with `email`.
fn user_claims(
    _state: &App, user: &tenantry_storage::users::User, licenses: &[String], scope: &str,
) -> serde_json::Value {
    let scopes: Vec<&str> = scope.split(' ').collect();
    let mut claims = serde_json::json!({
        "sub": user.id,
        "account_id": user.account_id,
        "role": user.role.as_str(),
        "licenses": licenses,
    });
    if scopes.contains(&"profile") {
        merge(&mut claims, serde_json::json!({ "name": user.name.as_str(), "zoneinfo": user.timezone.as_str() }));
    }
    if scopes.contains(&"email") {
        // Addresses are confirmed before they are set: by the invitation or sign-up link, or an email change's link.
        merge(&mut claims, serde_json::json!({ "email": user.email.as_str(), "email_verified": true }));
    }
    claims
}

/// A live access token's grant and user, or `None`.
async fn live_access(
    tx: &mut Conn, presented: &str, now: i64,
) -> Result<Option<(store::Token, tenantry_storage::users::User)>> {
    let hash = TokenHash::of(presented);
    let Some(token) = store::token(tx, &hash).await? else { return Ok(None) };
    if !hash.matches(&token.token_hash)
        || token.kind != "access"
        || token.grant.revoked_at.is_some()
        || token.expires_at.is_none_or(|t| t <= now)
    {
        return Ok(None);
    }
    Ok(grant_user(tx, &token.grant).await?.map(|u| (token, u)))
}

/// The userinfo endpoint's claims for a live access token; `None` when the token is not one.
#[tracing::instrument(skip_all)]
pub async fn userinfo(state: &App, access_token: &str) -> Result<Option<serde_json::Value>> {
    let mut conn = state.db.conn().await?;
    let Some((token, user)) = live_access(&mut conn, access_token, state.now()).await? else { return Ok(None) };
    let licenses = tenantry_storage::licenses::of_user(&mut conn, &user.id).await?;
    Ok(Some(user_claims(state, &user, &licenses, &token.grant.scope)))
}

/// Introspection (RFC 7662) by an authenticated client: a token of a client of the same
/// product is described; anything else is `{"active": false}`.
#[tracing::instrument(skip_all)]
pub async fn introspect(
    state: &App, client: &ClientAuth, presented: Option<&str>,
) -> std::result::Result<serde_json::Value, Refusal> {
    let mut conn = state.db.conn().await?;
    let caller = authenticate_client(&mut conn, client).await?;
    if caller.public {
        return Err(OAuthError::new("invalid_client", "Only confidential clients may introspect tokens.").into());
    }
    let presented = presented.ok_or_else(|| OAuthError::new("invalid_request", "token is missing."))?;
    let now = state.now();
    let inactive = serde_json::json!({ "active": false });
    let hash = TokenHash::of(presented);
    let Some(token) = store::token(&mut conn, &hash).await? else { return Ok(inactive) };
    let Some(owner) = store::client(&mut conn, &token.grant.client_id).await? else { return Ok(inactive) };
    let live = hash.matches(&token.token_hash)
        && token.grant.revoked_at.is_none()
        && token.used_at.is_none()
        && token.expires_at.is_none_or(|t| t > now);
    if !live || owner.product != caller.product {
        return Ok(inactive);
    }
    let Some(user) = grant_user(&mut conn, &token.grant).await? else { return Ok(inactive) };
    let mut answer = serde_json::json!({
        "active": true,
        "scope": token.grant.scope,
        "client_id": owner.id,
        "username": user.email.as_str(),
        "token_type": if token.kind == "access" { "Bearer" } else { "refresh_token" },
        "iat": token.created_at / 1000,
        "sub": user.id,
        "aud": owner.id,
        "iss": state.config.public_url,
        "account_id": user.account_id,
    });
    if let Some(exp) = token.expires_at {
        merge(&mut answer, serde_json::json!({ "exp": exp / 1000 }));
    }
    Ok(answer)
}

/// Revocation (RFC 7009) by an authenticated client: a refresh token ends its grant, an access
/// token ends alone. Tokens that are unknown or another client's are ignored (answered the same).
#[tracing::instrument(skip_all)]
pub async fn revoke(state: &App, client: &ClientAuth, presented: Option<&str>) -> std::result::Result<(), Refusal> {
    let mut tx = state.db.begin().await?;
    let caller = authenticate_client(&mut tx, client).await?;
    let presented = presented.ok_or_else(|| OAuthError::new("invalid_request", "token is missing."))?;
    let hash = TokenHash::of(presented);
    let Some(token) = store::token(&mut tx, &hash).await? else { return Ok(()) };
    if !hash.matches(&token.token_hash) || token.grant.client_id != caller.id {
        return Ok(());
    }
    if token.kind == "refresh" {
        store::revoke_grant(&mut tx, &token.grant.id, state.now()).await?;
    } else {
        store::delete_token(&mut tx, &token.token_hash).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(())
}

/// What a back-channel logout notice carries to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogoutNotice {
    pub client_id: String,
    pub uri: String,
    pub sub: String,
    pub sid: String,
}

/// Ends `grants` in the caller's transaction; with `notify`, queues a back-channel logout to each
/// client that registered a URI for it. Answers how many were ended.
pub(crate) async fn end_grants(conn: &mut Conn, grants: &[Grant], now: i64, notify: bool) -> Result<usize> {
    let mut ended = 0;
    for grant in grants {
        if !store::revoke_grant(conn, &grant.id, now).await? {
            continue;
        }
        ended += 1;
        if !notify {
            continue;
        }
        let Some(client) = store::client(conn, &grant.client_id).await? else { continue };
        let Some(uri) = client.backchannel_logout_uri else { continue };
        let notice = LogoutNotice {
            client_id: client.id,
            uri,
            sub: grant.user_id.clone(),
            sid: grant.session_id.clone().unwrap_or_else(|| grant.id.clone()),
        };
        let payload = serde_json::to_string(&notice).map_err(anyhow::Error::from)?;
        outbox::enqueue(conn, Some(&grant.account_id), LOGOUT_KIND, &payload, now).await?;
    }
    Ok(ended)
}

/// Ends every grant of a user and tells the products (sign out everywhere, lock, deactivation,
/// deletion, a password reset), in the caller's transaction. The caller wakes the outbox.
pub(crate) async fn end_user_grants(conn: &mut Conn, user_id: &UserId, now: i64) -> Result<usize> {
    let grants = store::open_grants_of_user(conn, user_id).await?;
    end_grants(conn, &grants, now, true).await
}

/// The signed logout token (OpenID Back-Channel Logout 1.0 §2.4) for a notice.
pub async fn logout_token(state: &App, notice: &LogoutNotice) -> Result<String> {
    let now = state.now();
    let claims = serde_json::json!({
        "iss": state.config.public_url,
        "aud": notice.client_id,
        "iat": now / 1000,
        "exp": (now + rules::LOGOUT_TOKEN_TTL_MS) / 1000,
        "jti": tenantry_domain::token::random_hex(16),
        "sub": notice.sub,
        "sid": notice.sid,
        "events": { rules::BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    let mut conn = state.db.conn().await?;
    keys::sign_typed(state, &mut conn, &claims, Some("logout+jwt")).await
}

/// A product the user is signed in to (a live grant).
#[derive(Debug, Clone)]
pub struct SignedInProduct {
    pub grant_id: String,
    pub client_name: String,
    pub product: String,
    pub signed_in_at: i64,
    pub last_used_at: i64,
}

/// The products I am signed in to (from my refresh tokens), most recently used first.
pub async fn my_products(state: &App, me: &Principal) -> Result<Vec<SignedInProduct>> {
    let mut conn = state.db.conn().await?;
    let grants = store::live_grants_of_user(&mut conn, &me.user.id).await?;
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        let Some(client) = store::client(&mut conn, &g.client_id).await? else { continue };
        let product = state.config.catalog.get(&client.product).map_or(client.product.clone(), |p| p.name.clone());
        out.push(SignedInProduct {
            grant_id: g.id,
            client_name: client.name,
            product,
            signed_in_at: g.created_at,
            last_used_at: g.last_used_at,
        });
    }
    Ok(out)
}

/// Signs me out of one product; another user's grant is 404.
pub async fn sign_out_of_product(state: &App, me: &Principal, grant_id: &str) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let grant = store::grant_of_user(&mut tx, &me.user.id, grant_id).await?.ok_or(Error::NotFound)?;
    if grant.revoked_at.is_some() {
        return Err(Error::NotFound);
    }
    end_grants(&mut tx, std::slice::from_ref(&grant), state.now(), true).await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    Ok(())
}

/// RP-initiated logout: the client named by a valid `id_token_hint` (its signature checked;
/// it may have expired) and the redirect it asked for, when that is one of its registered URIs.
pub async fn end_session_target(
    state: &App, id_token_hint: &str, post_logout_redirect_uri: Option<&str>,
) -> Result<Option<(Client, Option<String>)>> {
    let mut conn = state.db.conn().await?;
    let Some(claims) = keys::verify(state, &mut conn, id_token_hint).await? else { return Ok(None) };
    let Some(client_id) = claims.get("aud").and_then(|a| a.as_str()) else { return Ok(None) };
    let Some(client) = store::client(&mut conn, client_id).await? else { return Ok(None) };
    let redirect = post_logout_redirect_uri
        .filter(|u| rules::redirect_uri_registered(&client.redirect_uris, u))
        .map(str::to_owned);
    Ok(Some((client, redirect)))
}

/// Ends the Tenantry session `session_id` and the grants made through it, telling every other
/// product (the one that asked already knows).
pub async fn end_session(state: &App, session_id: &str, initiator: Option<&str>) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let now = state.now();
    let grants = store::open_grants_of_session(&mut tx, session_id).await?;
    let (theirs, others): (Vec<Grant>, Vec<Grant>) =
        grants.into_iter().partition(|g| Some(g.client_id.as_str()) == initiator);
    end_grants(&mut tx, &theirs, now, false).await?;
    end_grants(&mut tx, &others, now, true).await?;
    tenantry_storage::sessions::delete(&mut tx, session_id).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_session(session_id);
    crate::wake_outbox(state);
    Ok(())
}

/// Appends the redirect for a logout with `state`.
pub fn post_logout_redirect(uri: &str, state: Option<&str>) -> String {
    redirect_to(uri, &[], state)
}
