//! The page session: a cookie holding the session token, resolved by the same
//! [`authenticate::session`] the API uses for bearer tokens.

use super::Section;
use super::error::PageError;
use super::wants_fragment;
use crate::error::AppError;
use crate::extract::{AdminUser, AuthUser, client_meta, reach};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use tenantry_app::auth::SignedIn;
use tenantry_app::authenticate;
use tenantry_domain::SessionScope;

/// Name of the cookie holding the session token.
pub const SESSION_COOKIE: &str = "tenantry_session";

/// The cookie that signs the browser in: script cannot read it, other sites cannot send it
/// with a form post, and it lasts as long as the session.
pub fn session_cookie(state: &AppState, signed_in: &SignedIn) -> Cookie<'static> {
    let mut cookie = Cookie::new(SESSION_COOKIE, signed_in.token.expose().to_owned());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(state.secure_cookies());
    let seconds = ((signed_in.expires_at - state.now()) / 1000).max(0);
    // The cookie crate's duration type is not re-exported by axum-extra; parsing the attribute
    // gives one without a direct dependency on `time`.
    let max_age = Cookie::parse(format!("m=; Max-Age={seconds}")).ok().and_then(|c| c.max_age());
    cookie.set_max_age(max_age);
    cookie
}

/// Removes the session cookie.
pub fn clear_session_cookie(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
}

/// The user signed in through the cookie, if any.
async fn from_cookie(parts: &Parts, state: &AppState) -> Result<Option<AuthUser>, AppError> {
    if let Some(user) = parts.extensions.get::<AuthUser>() {
        return Ok(Some(user.clone()));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(token) = jar.get(SESSION_COOKIE).map(Cookie::value).filter(|t| !t.is_empty()) else { return Ok(None) };
    let principal = authenticate::session(state, token).await?;
    Ok(principal.map(|p| AuthUser::new(p, &client_meta(parts, state))))
}

/// Where a session that may do only one thing is sent to do it.
pub fn restricted_page(scope: SessionScope) -> &'static str {
    match scope {
        SessionScope::MfaSetup => "/me/two-step",
        _ => "/password-change",
    }
}

/// Why a page that needs a signed-in user was refused.
pub enum PageRejection {
    /// Not signed in: go to the sign-in page (htmx is told to navigate there).
    SignIn {
        htmx: bool,
    },
    /// The session may only change its password or set up two-step verification, at `to`.
    Restricted {
        htmx: bool,
        to: &'static str,
    },
    Error(PageError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::SignIn { htmx: true } => {
                (StatusCode::UNAUTHORIZED, [("hx-redirect", "/signin")]).into_response()
            }
            PageRejection::SignIn { htmx: false } => super::see_other("/signin"),
            PageRejection::Restricted { htmx: true, to } => {
                (StatusCode::FORBIDDEN, [("hx-redirect", to)]).into_response()
            }
            PageRejection::Restricted { htmx: false, to } => super::see_other(to),
            PageRejection::Error(e) => e.into_response(),
        }
    }
}

/// The signed-in user of a page; anonymous requests are sent to the sign-in page.
pub struct PageUser(pub AuthUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageRejection> {
        match from_cookie(parts, state).await {
            Ok(Some(user)) if !user.scope.allows(reach(parts)) => {
                // A session that must change its password (or set up two-step verification) first goes where that is done.
                Err(PageRejection::Restricted { htmx: wants_fragment(&parts.headers), to: restricted_page(user.scope) })
            }
            Ok(Some(user)) => {
                parts.extensions.insert(user.clone());
                Ok(PageUser(user))
            }
            Ok(None) => Err(PageRejection::SignIn { htmx: wants_fragment(&parts.headers) }),
            Err(e) => Err(PageRejection::Error(e.into())),
        }
    }
}

/// A signed-in Administrator; a Member gets the 403 page.
pub struct PageAdmin(pub AdminUser);

impl FromRequestParts<AppState> for PageAdmin {
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageRejection> {
        let PageUser(user) = PageUser::from_request_parts(parts, state).await?;
        match AdminUser::of(user.clone()) {
            Ok(admin) => Ok(PageAdmin(admin)),
            Err(_) => {
                let error = tenantry_app::Error::Forbidden(
                    "Only Administrators can see account settings. Ask an Administrator of your account if you need access.",
                );
                Err(PageRejection::Error(PageError::for_user(error, &user, Section::Users)))
            }
        }
    }
}

/// The signed-in user, or nobody (pages anyone may see).
pub struct MaybePageUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybePageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybePageUser(from_cookie(parts, state).await?))
    }
}
