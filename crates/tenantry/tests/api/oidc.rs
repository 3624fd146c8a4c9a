//! Sign-in for the products (OpenID Connect): an independent client library (the `openidconnect`
//! crate) drives the whole flow against a running Tenantry, and each refusal the RFCs ask for has
//! its own test. The browser part (the sign-in page) is driven with a cookie-keeping HTTP client.

use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{OPERATOR_TOKEN, license};
use crate::webhooks::Receiver;
use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IntrospectionUrl, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, RevocationUrl, Scope,
    TokenIntrospectionResponse, TokenResponse,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    the_openidconnect_crate_signs_a_user_in_refreshes_introspects_and_revokes,
    client_registration_checks_its_fields_and_needs_the_operator,
    discovery_and_jwks_meet_the_metadata_requirements,
    a_redirect_uri_one_character_off_gets_an_error_page_never_a_redirect,
    a_code_used_twice_is_refused_and_revokes_its_tokens,
    a_pkce_verifier_that_does_not_match_is_refused,
    refresh_token_reuse_revokes_the_family,
    an_expired_access_token_is_refused_at_userinfo,
    a_user_without_the_products_license_gets_a_page_and_no_code,
    a_locked_user_gets_no_code_and_loses_their_tokens,
    signing_out_everywhere_sends_a_back_channel_logout_token,
    a_rotated_key_stays_in_the_jwks_and_new_tokens_use_the_new_one,
    prompt_none_and_public_clients_follow_the_rules,
    my_products_lists_sign_ins_and_signs_out_of_one,
    end_session_signs_out_of_tenantry_and_returns_to_the_product,
);

const PASSWORD: &str = "another good passphrase";

/// A server with the operator API on, whose outbound requests may reach 127.0.0.1.
async fn app(b: Backend) -> TestApp {
    spawn_app_with(b, |c| {
        c.operator_token = Some(OPERATOR_TOKEN.to_owned().into());
        c.allow_private_targets = "127.0.0.1".to_owned();
    })
    .await
}

/// A registered client.
struct Product {
    id: String,
    secret: Option<String>,
    redirect: String,
}

async fn register(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/operator/oidc-clients", Some(OPERATOR_TOKEN), Some(body)).await
}

/// Registers a confidential client of `product` with `redirect`.
async fn product(app: &TestApp, product: &str, redirect: &str, backchannel: Option<&str>) -> Product {
    let (status, body) = register(
        app,
        json!({"name": "ChatOnce", "product": product, "redirect_uris": [redirect], "backchannel_logout_uri": backchannel}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Product {
        id: body["client_id"].as_str().unwrap().to_owned(),
        secret: body["client_secret"].as_str().map(str::to_owned),
        redirect: redirect.to_owned(),
    }
}

/// An account whose Administrator holds a `chat` license, and a Member who holds one too.
struct People {
    admin: Admin,
    member_id: String,
    member_email: String,
}

async fn people(app: &TestApp, name: &str) -> People {
    let admin = app.signup(name, &format!("admin@{name}.example")).await;
    let member_email = format!("member@{name}.example");
    let (member_id, _) = app.invite_and_activate(&admin, &member_email, "Mia Member", "member").await;
    let (status, body) = license(app, &admin.token, Method::PUT, &member_id, "chat").await;
    assert!(status.is_success(), "{body}");
    People { admin, member_id, member_email }
}

/// A URL-encoded form body.
fn encode(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// A browser: keeps cookies, follows no redirect, and sends what a same-origin form post sends.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// What the authorization endpoint finally answered: a redirect to the product, or a page.
enum Outcome {
    Redirect(url::Url),
    Page(StatusCode, String),
}

/// Follows an authorization request in `b`: signs in on the sign-in page when sent there, and
/// continues to the authorization endpoint.
async fn authorize_in(app: &TestApp, b: &reqwest::Client, url: &str, email: &str, password: &str) -> Outcome {
    let res = b.get(url).header("accept", "text/html").send().await.unwrap();
    let res = if res.status() == StatusCode::SEE_OTHER && location(&res) == "/signin" {
        let signed_in = b
            .post(format!("{}/signin", app.url))
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[("email", email), ("password", password)]))
            .send()
            .await
            .unwrap();
        let status = signed_in.status();
        let html = unescape(&signed_in.text().await.unwrap());
        if status != StatusCode::OK || !html.contains("oidc-continue") {
            return Outcome::Page(status, html);
        }
        let href = html.split("id=\"oidc-continue\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        b.get(format!("{}{href}", app.url)).header("accept", "text/html").send().await.unwrap()
    } else {
        res
    };
    if res.status() == StatusCode::SEE_OTHER {
        let to = location(&res);
        return Outcome::Redirect(url::Url::parse(&to).unwrap_or_else(|_| panic!("absolute redirect: {to}")));
    }
    let status = res.status();
    Outcome::Page(status, unescape(&res.text().await.unwrap()))
}

fn query(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// An authorization URL for `p` with PKCE; answers it and the verifier.
fn authorize_url(app: &TestApp, p: &Product, extra: &[(&str, &str)]) -> (String, String) {
    let verifier = format!("v{}", "0123456789abcdef".repeat(3));
    let challenge = tenantry_domain::oidc::s256(&verifier);
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", p.id.as_str()),
        ("redirect_uri", p.redirect.as_str()),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let q = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    (format!("{}/oidc/authorize?{q}", app.url), verifier)
}

/// Signs `email` in for `p` and answers the code.
async fn code_for(app: &TestApp, b: &reqwest::Client, p: &Product, email: &str) -> (String, String) {
    let (url, verifier) = authorize_url(app, p, &[]);
    match authorize_in(app, b, &url, email, PASSWORD).await {
        Outcome::Redirect(to) => {
            assert_eq!(query(&to, "state").as_deref(), Some("st-1"));
            (query(&to, "code").expect("a code"), verifier)
        }
        Outcome::Page(status, html) => panic!("no code: {status} {html}"),
    }
}

/// Posts a form to a token-side endpoint with the client's credentials (HTTP Basic).
async fn post_form(app: &TestApp, p: &Product, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}{path}", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(form));
    if let Some(secret) = &p.secret {
        req = req.basic_auth(&p.id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn exchange(app: &TestApp, p: &Product, code: &str, verifier: &str) -> (StatusCode, Value) {
    post_form(
        app,
        p,
        "/oidc/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &p.redirect),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, p: &Product, token: &str) -> (StatusCode, Value) {
    post_form(app, p, "/oidc/token", &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

async fn userinfo(app: &TestApp, token: &str) -> StatusCode {
    app.client.get(format!("{}/oidc/userinfo", app.url)).bearer_auth(token).send().await.unwrap().status()
}

/// The claims of a JWT, unverified (tests that verify do so with a library first).
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn the_openidconnect_crate_signs_a_user_in_refreshes_introspects_and_revokes(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "flow").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.url.clone()).unwrap(), &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(chat.id.clone()),
        Some(ClientSecret::new(chat.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(chat.redirect.clone()).unwrap())
    .set_introspection_url(IntrospectionUrl::new(format!("{}/oidc/introspect", app.url)).unwrap())
    .set_revocation_url(RevocationUrl::new(format!("{}/oidc/revoke", app.url)).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let Outcome::Redirect(back) = authorize_in(&app, &browser(), url.as_str(), &p.member_email, PASSWORD).await else {
        panic!("no redirect to the product");
    };
    assert!(back.as_str().starts_with(&chat.redirect));
    assert_eq!(query(&back, "state").as_deref(), Some(csrf.secret().as_str()));
    let code = query(&back, "code").unwrap();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    // Signature against the JWKS, issuer, audience, expiry and nonce, by the library.
    let claims = id_token.claims(&client.id_token_verifier(), &nonce).expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), p.member_id);
    assert_eq!(claims.email().map(|e| e.as_str()), Some(p.member_email.as_str()));
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let raw = payload(&id_token.to_string());
    assert_eq!(raw["account_id"], p.admin.account_id.as_str());
    assert_eq!(raw["role"], "member");
    assert_eq!(raw["licenses"], json!(["chat"]));
    assert_eq!(raw["name"], "Mia Member");
    assert!(raw["zoneinfo"].is_string());
    assert!(tokens.expires_in().unwrap().as_secs() <= 300, "access tokens live 5 minutes");
    let info = client
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async::<openidconnect::EmptyAdditionalClaims, _, openidconnect::core::CoreGenderClaim>(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.email().map(|e| e.as_str()), Some(p.member_email.as_str()));
    // Refresh: a new pair; the old refresh token is spent.
    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = client.exchange_refresh_token(&first_refresh).unwrap().request_async(&http).await.expect("refresh");
    assert_ne!(refreshed.refresh_token().unwrap().secret(), first_refresh.secret(), "rotated");
    assert_ne!(refreshed.access_token().secret(), tokens.access_token().secret());
    // Introspection: the new access token is live and names its user.
    let seen = client.introspect(refreshed.access_token()).request_async(&http).await.expect("introspection");
    assert!(seen.active());
    assert_eq!(seen.sub(), Some(p.member_id.as_str()));
    assert_eq!(seen.client_id().map(|c| c.as_str()), Some(chat.id.as_str()));
    let bogus = AccessToken::new("tat_not-a-token".to_owned());
    assert!(!client.introspect(&bogus).request_async(&http).await.unwrap().active());
    // Revocation of the refresh token ends the sign-in: its access token dies with it.
    // (The library refuses to send a revocation to an http:// endpoint, which the test server
    // is: the request is the library's RFC 7009 form, sent by hand.)
    let new_refresh: RefreshToken = refreshed.refresh_token().unwrap().clone();
    assert!(matches!(
        client.revoke_token(openidconnect::core::CoreRevocableToken::from(new_refresh.clone())),
        Err(openidconnect::ConfigurationError::InsecureUrl("revocation"))
    ));
    let (status, _) = post_form(
        &app,
        &chat,
        "/oidc/revoke",
        &[("token", new_refresh.secret()), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!client.introspect(refreshed.access_token()).request_async(&http).await.unwrap().active());
    assert!(client.exchange_refresh_token(&new_refresh).unwrap().request_async(&http).await.is_err());
    assert_eq!(userinfo(&app, refreshed.access_token().secret()).await, StatusCode::UNAUTHORIZED);
}

async fn client_registration_checks_its_fields_and_needs_the_operator(b: Backend) {
    let app = app(b).await;
    let body = json!({"name": "ChatOnce", "product": "chat", "redirect_uris": ["https://chat.example.com/cb"]});
    let (status, _) = app.call(Method::POST, "/api/v1/operator/oidc-clients", None, Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::POST, "/api/v1/operator/oidc-clients", Some("wrong"), Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, created) = register(&app, body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(created["client_id"].as_str().unwrap().starts_with("tcl_"));
    assert!(created["client_secret"].as_str().unwrap().len() > 40);
    let (status, public) = register(
        &app,
        json!({"name": "ChatOnce app", "product": "chat", "redirect_uris": ["com.example.chat:/cb"], "public": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(public.get("client_secret").is_none(), "{public}");
    let (status, refused) = register(
        &app,
        json!({"name": "", "product": "fax", "redirect_uris": ["http://chat.example.com/cb"], "backchannel_logout_uri": "nope"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> =
        refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "product", "redirect_uris[0]", "backchannel_logout_uri"]);
    let (status, refused) =
        register(&app, json!({"name": "x", "product": "chat", "redirect_uris": [], "secret": "x"})).await;
    assert!(status.is_client_error(), "{refused}");
    // The secret is stored only as its hash.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
    let (hash,): (String,) = sqlx::query_as("SELECT secret_hash FROM oidc_clients WHERE id = $1")
        .bind(created["client_id"].as_str().unwrap())
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_ne!(hash, created["client_secret"].as_str().unwrap());
    assert_eq!(hash.len(), 64);
}

async fn discovery_and_jwks_meet_the_metadata_requirements(b: Backend) {
    let app = app(b).await;
    let (status, meta) = app.call(Method::GET, "/.well-known/openid-configuration", None, None).await;
    assert_eq!(status, StatusCode::OK);
    // OpenID Connect Discovery 1.0 §3: REQUIRED fields.
    for field in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        assert!(!meta[field].is_null(), "{field} missing: {meta}");
    }
    assert_eq!(meta["issuer"], app.url.as_str(), "the issuer is TENANTRY_PUBLIC_URL");
    assert!(meta["response_types_supported"].as_array().unwrap().contains(&json!("code")));
    assert!(meta["scopes_supported"].as_array().unwrap().contains(&json!("openid")));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["backchannel_logout_supported"], true);
    for endpoint in ["userinfo_endpoint", "revocation_endpoint", "introspection_endpoint", "end_session_endpoint"] {
        assert!(meta[endpoint].as_str().unwrap().starts_with(&app.url), "{endpoint}");
    }
    let jwks_uri = meta["jwks_uri"].as_str().unwrap().to_owned();
    let jwks: Value = app.client.get(&jwks_uri).send().await.unwrap().json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let algs = meta["id_token_signing_alg_values_supported"].as_array().unwrap();
    for key in keys {
        assert!(algs.contains(&key["alg"]), "the key's alg {} is announced", key["alg"]);
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].is_string());
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert!(key.get("d").is_none(), "never the private part");
    }
    // The library's own parsing of both documents.
    let http = openidconnect::reqwest::Client::new();
    let parsed = CoreProviderMetadata::discover_async(IssuerUrl::new(app.url.clone()).unwrap(), &http).await.unwrap();
    assert_eq!(parsed.jwks().keys().len(), 1);
    // The private key is sealed at rest.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
    let (sealed,): (String,) =
        sqlx::query_as("SELECT private_sealed FROM oidc_signing_keys").fetch_one(&mut conn).await.unwrap();
    assert!(sealed.starts_with("v1:"));
}

async fn a_redirect_uri_one_character_off_gets_an_error_page_never_a_redirect(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "redirect").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let br = browser();
    page_sign_in_with(&app, &br, &p.member_email).await;
    for off in ["http://127.0.0.1:9/callbacK", "http://127.0.0.1:9/callback/", "http://127.0.0.1:9/callback?x=1"] {
        let wrong = Product { id: chat.id.clone(), secret: None, redirect: off.to_owned() };
        let (url, _) = authorize_url(&app, &wrong, &[]);
        let res = br.get(&url).header("accept", "text/html").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{off}");
        assert!(res.headers().get("location").is_none(), "never a redirect");
        assert!(res.text().await.unwrap().contains("redirect_uri is not one registered"));
    }
    // An unknown client is a page too.
    let unknown =
        Product { id: "tcl_000000000000000000000000".to_owned(), secret: None, redirect: chat.redirect.clone() };
    let res = br.get(authorize_url(&app, &unknown, &[]).0).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A fault after the redirect URI checked out goes back to the product.
    let (url, _) = authorize_url(&app, &chat, &[("response_type", "token")]);
    let res = br.get(url.replace("response_type=code&", "")).send().await.unwrap();
    let to = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(query(&to, "error").as_deref(), Some("unsupported_response_type"));
    assert_eq!(query(&to, "state").as_deref(), Some("st-1"));
}

/// Signs `email` in on the sign-in page in the browser `b`.
async fn page_sign_in_with(app: &TestApp, b: &reqwest::Client, email: &str) {
    let res = b
        .post(format!("{}/signin", app.url))
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[("email", email), ("password", PASSWORD)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn a_code_used_twice_is_refused_and_revokes_its_tokens(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "twice").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (status, tokens) = exchange(&app, &chat, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(userinfo(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::OK);
    let (status, again) = exchange(&app, &chat, &code, &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["error"], "invalid_grant");
    // RFC 6749 §4.1.2: the tokens issued with the code are revoked.
    assert_eq!(userinfo(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);
    let (status, refused) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // A wrong client secret is invalid_client, 401.
    let wrong = Product { secret: Some("tcs_wrong".to_owned()), ..chat };
    let (status, refused) = exchange(&app, &wrong, &code, &verifier).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

async fn a_pkce_verifier_that_does_not_match_is_refused(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "pkce").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let wrong = format!("w{}", &verifier[1..]);
    let (status, refused) = exchange(&app, &chat, &code, &wrong).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{refused}");
    let (status, refused) = post_form(
        &app,
        &chat,
        "/oidc/token",
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &chat.redirect)],
    )
    .await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "no verifier");
    // The right verifier still works: a failed attempt does not spend the code.
    let (status, _) = exchange(&app, &chat, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK);
}

async fn refresh_token_reuse_revokes_the_family(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "reuse").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (_, first) = exchange(&app, &chat, &code, &verifier).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&app, &chat, r1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap();
    let a2 = second["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, a2).await, StatusCode::OK);
    // The spent r1 comes back: the whole family ends, r2 and its access token included.
    let (status, refused) = refresh(&app, &chat, r1).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, _) = refresh(&app, &chat, r2).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(userinfo(&app, a2).await, StatusCode::UNAUTHORIZED);
    let (_, seen) = post_form(&app, &chat, "/oidc/introspect", &[("token", r2)]).await;
    assert_eq!(seen, json!({"active": false}));
}

async fn an_expired_access_token_is_refused_at_userinfo(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "expired").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (_, tokens) = exchange(&app, &chat, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(userinfo(&app, access).await, StatusCode::OK);
    app.advance(5 * 60 * 1000 + 1000);
    let res = app.client.get(format!("{}/oidc/userinfo", app.url)).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers().get("www-authenticate").unwrap().to_str().unwrap().to_owned();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert_eq!(userinfo(&app, "tat_unknown").await, StatusCode::UNAUTHORIZED);
    let res = app.client.get(format!("{}/oidc/userinfo", app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The refresh token still gets a fresh one.
    let (status, _) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_user_without_the_products_license_gets_a_page_and_no_code(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "nolicense").await;
    let voice = product(&app, "voice", "http://127.0.0.1:9/callback", None).await;
    let (url, _) = authorize_url(&app, &voice, &[]);
    match authorize_in(&app, &browser(), &url, &p.member_email, PASSWORD).await {
        Outcome::Page(status, html) => {
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert!(html.contains("You do not have a Voice license"), "{html}");
        }
        Outcome::Redirect(to) => panic!("redirected with {to}"),
    }
}

async fn a_locked_user_gets_no_code_and_loses_their_tokens(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "locked").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (_, tokens) = exchange(&app, &chat, &code, &verifier).await;
    for _ in 0..5 {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/sign-in",
                None,
                Some(json!({"email": p.member_email, "password": "wrong password here"})),
            )
            .await;
        assert!(status.is_client_error());
    }
    // Locked: the tokens of the product are gone …
    assert_eq!(userinfo(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // … and the authorization page, which is the sign-in page, says so and gives no code.
    let (url, _) = authorize_url(&app, &chat, &[]);
    match authorize_in(&app, &browser(), &url, &p.member_email, PASSWORD).await {
        Outcome::Page(status, html) => {
            assert_eq!(status, StatusCode::LOCKED, "{html}");
            assert!(html.contains("locked"));
        }
        Outcome::Redirect(to) => panic!("redirected with {to}"),
    }
}

async fn signing_out_everywhere_sends_a_back_channel_logout_token(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app(b).await;
    let p = people(&app, "backchannel").await;
    let logout_uri = format!("{}/backchannel-logout", receiver.url);
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", Some(&logout_uri)).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (_, tokens) = exchange(&app, &chat, &code, &verifier).await;
    let sid = payload(tokens["id_token"].as_str().unwrap())["sid"].as_str().unwrap().to_owned();
    let (status, _) =
        app.call(Method::DELETE, &format!("/api/v1/users/{}/sessions", p.member_id), Some(&p.admin.token), None).await;
    assert!(status.is_success(), "{status}");
    let hit = receiver.wait_for(1).await.remove(0);
    assert_eq!(hit.path, "/backchannel-logout");
    assert_eq!(hit.headers["content-type"], "application/x-www-form-urlencoded");
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&hit.body).into_owned().collect();
    let token = &form["logout_token"];
    // Verified against the published JWKS with an independent JWT library.
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwks: jsonwebtoken::jwk::JwkSet =
        app.client.get(format!("{}/oidc/jwks", app.url)).send().await.unwrap().json().await.unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the key is published");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[chat.id.as_str()]);
    validation.set_issuer(&[app.url.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("a valid logout token")
        .claims;
    assert_eq!(claims["sub"], p.member_id.as_str());
    assert_eq!(claims["sid"], sid.as_str());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims["jti"].is_string());
    assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
    let (status, _) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "signed out of the product too");
}

async fn a_rotated_key_stays_in_the_jwks_and_new_tokens_use_the_new_one(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "rotation").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (_, tokens) = exchange(&app, &chat, &code, &verifier).await;
    let old_kid = jsonwebtoken::decode_header(tokens["id_token"].as_str().unwrap()).unwrap().kid.unwrap();
    let state = app.running.as_ref().unwrap().state.clone();
    let new_kid = tenantry_app::oidc::keys::rotate(state.app()).await.unwrap();
    assert_ne!(new_kid, old_kid);
    let kids = |jwks: Value| -> Vec<String> {
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let (_, jwks) = app.call(Method::GET, "/oidc/jwks", None, None).await;
    assert_eq!(kids(jwks), [new_kid.clone(), old_kid.clone()], "the new key first, the old one still published");
    let (_, refreshed) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    let kid = jsonwebtoken::decode_header(refreshed["id_token"].as_str().unwrap()).unwrap().kid.unwrap();
    assert_eq!(kid, new_kid);
    // Once every token the old key signed has expired, it is no longer published.
    app.advance(tenantry_domain::oidc::RETIRED_KEY_KEPT_MS + 1000);
    let (_, jwks) = app.call(Method::GET, "/oidc/jwks", None, None).await;
    assert_eq!(kids(jwks), [new_kid]);
}

async fn prompt_none_and_public_clients_follow_the_rules(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "prompt").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    // prompt=none without a session: login_required, back at the product.
    let (url, _) = authorize_url(&app, &chat, &[("prompt", "none")]);
    let res = browser().get(&url).send().await.unwrap();
    let to = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(query(&to, "error").as_deref(), Some("login_required"));
    // With a session, prompt=none answers a code at once.
    let br = browser();
    page_sign_in_with(&app, &br, &p.member_email).await;
    let res = br.get(&url).send().await.unwrap();
    let to = url::Url::parse(&location(&res)).unwrap();
    assert!(query(&to, "code").is_some(), "{to}");
    // prompt=login sends the user to sign in again even with a session.
    let (url, _) = authorize_url(&app, &chat, &[("prompt", "login")]);
    let res = br.get(&url).send().await.unwrap();
    assert_eq!(location(&res), "/signin");
    // A public client must use PKCE, and has no secret.
    let (status, public) = register(
        &app,
        json!({"name": "Chat app", "product": "chat", "redirect_uris": ["http://127.0.0.1:9/app"], "public": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let app_client = Product {
        id: public["client_id"].as_str().unwrap().to_owned(),
        secret: None,
        redirect: "http://127.0.0.1:9/app".to_owned(),
    };
    let (url, _) = authorize_url(&app, &app_client, &[]);
    let without_pkce: String =
        url.split('&').filter(|p| !p.starts_with("code_challenge")).collect::<Vec<_>>().join("&");
    let res = browser().get(&without_pkce).send().await.unwrap();
    let to = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(query(&to, "error").as_deref(), Some("invalid_request"));
    let (code, verifier) = code_for(&app, &browser(), &app_client, &p.member_email).await;
    let (status, tokens) = post_form(
        &app,
        &app_client,
        "/oidc/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &app_client.redirect),
            ("code_verifier", &verifier),
            ("client_id", &app_client.id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(tokens["refresh_token"].is_string(), "every client gets a refresh token");
}

async fn my_products_lists_sign_ins_and_signs_out_of_one(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app(b).await;
    let p = people(&app, "products").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", Some(&format!("{}/bcl", receiver.url))).await;
    let (code, verifier) = code_for(&app, &browser(), &chat, &p.member_email).await;
    let (_, tokens) = exchange(&app, &chat, &code, &verifier).await;
    let session = page_sign_in(&app, &p.member_email, PASSWORD).await;
    let cookies = session_cookie(&session);
    let html = unescape(&get_page(&app, "/me/sessions", &cookies).await.text().await.unwrap());
    assert!(html.contains("ChatOnce"), "{html}");
    let grant = html.split("/me/products/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let res = post_page(&app, &format!("/me/products/{grant}/sign-out"), &cookies, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    receiver.wait_for(1).await;
    let html = get_page(&app, "/me/sessions", &cookies).await.text().await.unwrap();
    assert!(!html.contains("/me/products/"), "no product left");
    // Another user's grant is 404.
    let admin_cookies = session_cookie(&p.admin.token);
    let res = post_page(&app, &format!("/me/products/{grant}/sign-out"), &admin_cookies, &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn end_session_signs_out_of_tenantry_and_returns_to_the_product(b: Backend) {
    let app = app(b).await;
    let p = people(&app, "endsession").await;
    let chat = product(&app, "chat", "http://127.0.0.1:9/callback", None).await;
    let br = browser();
    let (code, verifier) = code_for(&app, &br, &chat, &p.member_email).await;
    let (_, tokens) = exchange(&app, &chat, &code, &verifier).await;
    let hint = tokens["id_token"].as_str().unwrap();
    let q = encode(&[("id_token_hint", hint), ("post_logout_redirect_uri", &chat.redirect), ("state", "bye")]);
    let res = br.get(format!("{}/oidc/end-session?{q}", app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = url::Url::parse(&location(&res)).unwrap();
    assert!(to.as_str().starts_with(&chat.redirect));
    assert_eq!(query(&to, "state").as_deref(), Some("bye"));
    // The Tenantry session is over, and so is the sign-in of the product through it.
    let (url, _) = authorize_url(&app, &chat, &[("prompt", "none")]);
    let to = url::Url::parse(&location(&br.get(&url).send().await.unwrap())).unwrap();
    assert_eq!(query(&to, "error").as_deref(), Some("login_required"));
    let (status, _) = refresh(&app, &chat, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A redirect the client did not register is not followed; a bad hint only asks.
    let q = encode(&[("id_token_hint", hint), ("post_logout_redirect_uri", "https://evil.example.com/")]);
    let res = br.get(format!("{}/oidc/end-session?{q}", app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("location").is_none());
}
