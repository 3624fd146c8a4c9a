//! Sign-in for the products, the pages: the authorization endpoint (which is Tenantry's own
//! sign-in, with its lockout, two-step verification and expired passwords), the page a user
//! without the product's license sees, RP-initiated logout, and how a sign-in resumes the
//! authorization that sent the user to it.

use super::session::clear_session_cookie;
use super::{MaybePageUser, PageError, PageForm, render, see_other};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine as _;
use std::collections::BTreeMap;
use tenantry_app::oidc::{self, AuthorizeRefusal, AuthorizeRequest, NoCode};
use tenantry_domain::SessionScope;
use tenantry_domain::oidc::Prompt;

/// The cookie holding an authorization request while the user signs in (base64url of its query).
const PENDING_COOKIE: &str = "tenantry_oidc";
/// How long a pending authorization waits for the sign-in.
const PENDING_SECONDS: i64 = 15 * 60;

#[derive(Template)]
#[template(path = "auth/oidc_message.html")]
struct MessagePage {
    chrome: Option<super::Chrome>,
    heading: String,
    message: String,
    continue_to: Option<String>,
    confirm_sign_out: bool,
}

fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    let page = MessagePage {
        chrome: None,
        heading: heading.to_owned(),
        message: text.to_owned(),
        continue_to: None,
        confirm_sign_out: false,
    };
    render(status, &page)
}

#[derive(Template)]
#[template(path = "auth/oidc_continue.html")]
struct ContinuePage {
    to: String,
}

/// Reads a query into its parameters; one sent twice is refused (RFC 6749 §3.1).
fn parameters(query: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if out.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(format!("The parameter {k} is sent more than once."));
        }
    }
    Ok(out)
}

fn authorize_request(p: &BTreeMap<String, String>) -> AuthorizeRequest {
    let get = |k: &str| p.get(k).cloned();
    AuthorizeRequest {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        scope: get("scope"),
        state: get("state"),
        nonce: get("nonce"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        prompt: get("prompt"),
        max_age: get("max_age"),
        response_mode: get("response_mode"),
    }
}

/// Remembers the authorization request `query` for after the sign-in.
fn pending_cookie(state: &AppState, query: &str) -> Cookie<'static> {
    let mut cookie =
        Cookie::new(PENDING_COOKIE, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(query.as_bytes()));
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(state.secure_cookies());
    cookie.set_max_age(Cookie::parse(format!("m=; Max-Age={PENDING_SECONDS}")).ok().and_then(|c| c.max_age()));
    cookie
}

/// After a full sign-in: the page that continues the authorization the user came from, if any.
/// (A page, not a redirect: a redirect chain that starts with the sign-in form's post may not
/// end at the product under the form-action policy.)
pub fn resume(jar: CookieJar, scope: SessionScope) -> (CookieJar, Option<Response>) {
    if scope != SessionScope::Full {
        return (jar, None);
    }
    let Some(query) = jar
        .get(PENDING_COOKIE)
        .and_then(|c| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c.value()).ok())
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return (jar, None);
    };
    let jar = jar.remove(Cookie::build(PENDING_COOKIE).path("/"));
    let page = ContinuePage { to: format!("{}?{query}", crate::api::oidc::AUTHORIZE) };
    (jar, Some(render(StatusCode::OK, &page)))
}

/// `GET /oidc/authorize`: the authorization endpoint (code flow). A request whose client or
/// redirect URI cannot be trusted gets a 400 page and is never redirected; a user not signed in
/// (or asked to sign in again by `prompt=login` or `max_age`) goes through the sign-in page and
/// comes back; a user without the product's license gets a page saying so, and no code.
pub async fn authorize(
    State(state): State<AppState>, MaybePageUser(user): MaybePageUser, jar: CookieJar, RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.unwrap_or_default();
    let params = match parameters(&query) {
        Ok(p) => p,
        Err(m) => return Ok(message(StatusCode::BAD_REQUEST, "This sign-in link is not valid", &m)),
    };
    let auth = match oidc::check_authorization(&state, &authorize_request(&params)).await {
        Ok(a) => a,
        Err(AuthorizeRefusal::Page(m)) => {
            return Ok(message(StatusCode::BAD_REQUEST, "This sign-in link is not valid", &m));
        }
        Err(AuthorizeRefusal::Redirect(to)) => return Ok(see_other(&to)),
        Err(AuthorizeRefusal::App(e)) => return Err(AppError::from(e).into()),
    };
    let now = state.now();
    let user = user.filter(|u| u.scope == SessionScope::Full);
    let mut jar = jar;
    if let Some(me) = &user {
        let auth_time = oidc::auth_time(&state, me.credential.id()).await?.unwrap_or(now);
        let again = auth.prompt == Prompt::Login || !oidc::fresh_enough(&auth, auth_time, now);
        if !again {
            return Ok(match oidc::issue_code(&state, me, auth_time, &auth).await? {
                Ok(to) => see_other(&to),
                Err(NoCode::NoLicense(product)) => message(
                    StatusCode::FORBIDDEN,
                    &format!("You do not have a {product} license"),
                    &format!(
                        "Your user has no license for {product}, so you cannot sign in to it. Ask an Administrator of your account to assign you one."
                    ),
                ),
            });
        }
        if auth.prompt == Prompt::None {
            return Ok(see_other(&auth.error("login_required", "The user must sign in again.")));
        }
        // Signing in again: this session ends, and the request comes back without `prompt`.
        tenantry_app::auth::sign_out(&state, me.credential.id()).await?;
        jar = clear_session_cookie(jar);
    } else if auth.prompt == Prompt::None {
        return Ok(see_other(&auth.error("login_required", "The user is not signed in.")));
    }
    let again: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().filter(|(k, _)| k.as_str() != "prompt"))
        .finish();
    Ok((jar.add(pending_cookie(&state, &again)), see_other("/signin")).into_response())
}

/// The parameters of RP-initiated logout.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EndSessionQuery {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// `GET /oidc/end-session` (OpenID Connect RP-Initiated Logout 1.0): with a valid
/// `id_token_hint` of the signed-in user, the Tenantry session ends (and the products signed in
/// through it are told), then the browser goes to `post_logout_redirect_uri` when it is one the
/// client registered. Without one, the user is asked first.
pub async fn end_session(
    State(state): State<AppState>, MaybePageUser(user): MaybePageUser, jar: CookieJar,
    query: Result<axum::extract::Query<EndSessionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let axum::extract::Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let target = match q.id_token_hint.as_deref() {
        Some(hint) => oidc::end_session_target(&state, hint, q.post_logout_redirect_uri.as_deref()).await?,
        None => None,
    };
    let done = |jar: CookieJar, redirect: Option<String>| -> Response {
        match redirect {
            Some(uri) => (jar, see_other(&oidc::post_logout_redirect(&uri, q.state.as_deref()))).into_response(),
            None => {
                (jar, message(StatusCode::OK, "You have signed out", "You are signed out of Tenantry.")).into_response()
            }
        }
    };
    let Some(me) = user else {
        return Ok(done(jar, target.and_then(|(_, r)| r)));
    };
    match target {
        Some((client, redirect)) => {
            oidc::end_session(&state, me.credential.id(), Some(&client.id)).await?;
            Ok(done(clear_session_cookie(jar), redirect))
        }
        None => {
            let page = MessagePage {
                chrome: None,
                heading: "Sign out of Tenantry?".to_owned(),
                message: "A product asked to sign you out. You will be signed out of Tenantry and of the products you signed in to with it here.".to_owned(),
                continue_to: None,
                confirm_sign_out: true,
            };
            Ok(render(StatusCode::OK, &page))
        }
    }
}

/// `POST /oidc/end-session`: the user confirmed signing out.
pub async fn confirm_end_session(
    State(state): State<AppState>, MaybePageUser(user): MaybePageUser, jar: CookieJar,
    PageForm(_): PageForm<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    if let Some(me) = user {
        oidc::end_session(&state, me.credential.id(), None).await?;
    }
    Ok((clear_session_cookie(jar), message(StatusCode::OK, "You have signed out", "You are signed out of Tenantry."))
        .into_response())
}
