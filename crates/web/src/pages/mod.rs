//! Server-rendered pages: askama templates, htmx for the live parts, a cookie session, and
//! CSRF protection on every state-changing request. Handlers call the same services as the API.

mod account;
mod api_keys;
mod audit;
mod auth;
mod billing;
mod billing_invoices;
mod billing_notifications;
mod billing_payments;
mod booking_pages;
mod chat_teams;
mod compliance;
mod contact_fields;
mod crm;
mod email;
mod error;
mod me;
mod me_api_key;
mod me_data;
mod me_notifications;
mod me_sessions;
mod me_usage;
mod nav;
pub mod oidc;
mod phone;
mod privacy;
mod security;
mod session;
mod two_step;
mod user;
mod user_actions;
mod user_settings;
mod users;
mod users_bulk;
mod users_import;
mod webhook;
mod webhooks;

pub use error::PageError;
pub use nav::{NavLink, Section};
pub use session::{MaybePageUser, PageAdmin, PageUser, SESSION_COOKIE};

use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use tenantry_app::Error;
use tenantry_domain::FieldError;
use tenantry_domain::Reach;
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The page routes, behind CSRF protection (the API, which uses bearer tokens, is not).
pub fn router() -> Router<AppState> {
    // Restricted sessions reach only the routers marked for them (see `tenantry_domain::Reach`);
    // every other page serves full sessions only and sends the others where they must go.
    let any_session = Router::new().route("/signout", post(auth::sign_out)).layer(Extension(Reach::AnySession));
    let password_change = Router::new()
        .route("/password-change", get(security::change_page).post(security::change))
        .route("/password-check", post(security::check))
        .layer(Extension(Reach::PasswordChange));
    let mfa_setup =
        Router::new().route("/me/two-step", get(two_step::page).post(two_step::act)).layer(Extension(Reach::MfaSetup));
    Router::new()
        .merge(any_session)
        .merge(password_change)
        .merge(mfa_setup)
        .route("/", get(auth::home))
        .route("/signin", get(auth::sign_in_page).post(auth::sign_in))
        .route("/signin/code", get(auth::sign_in_code_page).post(auth::sign_in_code))
        .route("/oidc/authorize", get(oidc::authorize))
        .route("/oidc/end-session", get(oidc::end_session).post(oidc::confirm_end_session))
        .route("/signup", get(auth::sign_up_page).post(auth::sign_up))
        .route("/signup/{token}", get(auth::sign_up_link_page).post(auth::complete_sign_up))
        .route("/invitations/{token}", get(auth::invitation_page).post(auth::accept_invitation))
        .route("/users", get(users::lobby).post(users::invite))
        .route(
            "/users/import",
            get(users_import::page)
                .post(users_import::submit)
                .layer(axum::extract::DefaultBodyLimit::max(users_import::MAX_FORM_BYTES)),
        )
        .route("/users/export.csv", get(users_import::export))
        .route("/users/bulk", post(users_bulk::apply))
        .route("/users/{id}", get(user::show).post(user::save))
        .route("/users/{id}/licenses/{product}", post(user::license))
        .route("/users/{id}/delete", post(user::delete))
        .route("/users/{id}/notifications", post(user_settings::save_notifications))
        .route("/users/{id}/product-settings", post(user_settings::save_product_settings))
        .route("/users/{id}/unlock", post(user_actions::unlock))
        .route("/users/{id}/invitation", post(user_actions::resend_invitation))
        .route("/users/{id}/invitation/revoke", post(user_actions::revoke_invitation))
        .route("/users/{id}/password-reset", post(user_actions::send_password_reset))
        .route("/users/{id}/sign-out", post(user_actions::sign_out_everywhere))
        .route("/users/{id}/deactivate", post(user_actions::deactivate))
        .route("/users/{id}/reactivate", post(user_actions::reactivate))
        .route("/booking-pages", get(booking_pages::list).post(booking_pages::create))
        .route("/booking-pages/{id}/enabled", post(booking_pages::toggle))
        .route("/me", get(me::page).post(me::save))
        .route("/security", get(security::page).post(security::save))
        .route("/security/require-change", post(security::require_change))
        .route("/password-reset", get(security::reset_request_page).post(security::reset_request))
        .route("/password-reset/{token}", get(security::reset_link_page).post(security::reset_link))
        .route("/me/delete-account", get(account::moved_delete))
        .route("/account", get(account::home))
        .route("/account/settings", get(account::show).post(account::save))
        .route("/account/delete", post(account::delete))
        .route("/account/audit", get(audit::page))
        .route("/account/crm", get(crm::show).post(crm::save))
        .route("/account/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/account/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/account/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/account/webhooks/{id}", get(webhook::show).post(webhook::save))
        .route("/account/webhooks/{id}/enabled", post(webhook::toggle))
        .route("/account/webhooks/{id}/rotate", post(webhook::rotate))
        .route("/account/webhooks/{id}/test", post(webhook::send_test))
        .route("/account/webhooks/{id}/delete", post(webhook::delete))
        .route("/account/webhooks/{id}/deliveries/{delivery_id}/retry", post(webhook::retry))
        .route("/account/crm/test", post(crm::test))
        .route("/account/crm/disconnect", post(crm::disconnect))
        .route("/account/chat-teams", get(chat_teams::list).post(chat_teams::create))
        .route("/account/chat-teams/{id}", get(chat_teams::show).post(chat_teams::save))
        .route("/account/chat-teams/{id}/members", post(chat_teams::add_member))
        .route("/account/chat-teams/{id}/members/{user_id}/remove", post(chat_teams::remove_member))
        .route("/account/chat-teams/{id}/delete", post(chat_teams::delete))
        .route("/account/compliance", get(compliance::page).post(compliance::save))
        .route("/account/compliance/records", post(compliance::add_record))
        .route("/account/compliance/records/{index}/delete", post(compliance::remove_record))
        .route("/account/compliance/processing-records.csv", get(compliance::csv))
        .route("/account/audit.csv", get(audit::csv))
        .merge(contact_fields::routes())
        .merge(billing::routes())
        .merge(privacy::routes())
        .route("/me/email", get(email::show).post(email::request))
        .route("/me/phone", get(phone::show).post(phone::request))
        .route(
            "/me/avatar",
            post(me::upload_avatar)
                .layer(axum::extract::DefaultBodyLimit::max(tenantry_app::avatar_image::MAX_UPLOAD + 64 * 1024)),
        )
        .route("/me/avatar/delete", post(me::remove_avatar))
        .route("/me/phone/verify", get(phone::verify_page).post(phone::verify))
        .route("/me/sessions", get(me_sessions::page))
        .route("/me/sessions/sign-out-others", post(me_sessions::sign_out_others))
        .route("/me/sessions/{id}/sign-out", post(me_sessions::sign_out))
        .route("/me/products/{id}/sign-out", post(me_sessions::sign_out_of_product))
        .route("/me/api-key", get(me_api_key::page).post(me_api_key::create))
        .route("/me/api-key/revoke", post(me_api_key::revoke))
        .route("/me/usage", get(me_usage::page))
        .route("/me/notifications", get(me_notifications::page).post(me_notifications::save))
        .route("/me/data", get(me_data::page))
        .route("/me/data/export.json", get(me_data::export))
        .route("/email-verifications/{token}", get(email::verification_page).post(email::verify))
        // Pages show personal data: never keep them in shared or browser caches.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(CsrfLayer::new().with_rejection_response(error::cross_site_refused))
}

/// Any address nothing else answers: a problem document under `/api/` and for clients that do not
/// ask for HTML, else the styled "Page not found" (under the top bar when signed in).
pub async fn not_found(uri: axum::http::Uri, headers: HeaderMap, user: Result<MaybePageUser, PageError>) -> Response {
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/html")));
    if uri.path().starts_with("/api/") || !html {
        return AppError::NOT_FOUND.into_response();
    }
    match user {
        Ok(MaybePageUser(Some(u))) if u.scope == tenantry_domain::SessionScope::Full => {
            let mut chrome = Chrome::new(&u, Section::Profile);
            chrome.without_nav = true;
            PageError::with_chrome(AppError::NOT_FOUND, chrome).into_response()
        }
        _ => PageError::from(AppError::NOT_FOUND).into_response(),
    }
}

/// What the top bar of a signed-in page shows.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    /// The 64 px profile picture, if any (else the initials are shown).
    pub avatar_url: Option<String>,
    /// Initials for when there is no picture.
    pub initials: String,
    /// The section the page belongs to, marked in the navigation.
    pub section: Section,
    /// How the viewer reads dates and times (their zone, date format and clock).
    pub local: tenantry_domain::time::LocalTime,
    /// Pages outside both areas (e.g. "Page not found") show the top bar only.
    pub without_nav: bool,
}

impl Chrome {
    fn new(user: &tenantry_app::Principal, section: Section) -> Self {
        let initials: String = user
            .user
            .name
            .as_str()
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect();
        Self {
            name: user.user.name.to_string(),
            email: user.user.email.to_string(),
            is_admin: user.user.role == tenantry_domain::Role::Administrator,
            avatar_url: tenantry_app::avatars::url(user.user.id.as_str(), user.user.avatar_version, 64),
            initials,
            section,
            local: user.user.local_time(),
            without_nav: false,
        }
    }

    /// The title and links of the section navigation, if this page shows one.
    pub fn nav(&self) -> Option<(&'static str, Vec<NavLink>)> {
        if self.without_nav {
            return None;
        }
        nav::links(self.section, self.is_admin)
    }

    /// Whether the page belongs to Account settings or My settings (for the top bar).
    pub fn in_account(&self) -> bool {
        self.section.area() == nav::Area::Account
    }
}

/// Renders a template with a status; a template that fails to render is logged and answers 500.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. It has been logged.").into_response()
        }
    }
}

/// A 303 to `to`: after a successful form post the browser loads the result with a GET.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// Whether htmx sent the request for a fragment (a history restore wants the whole page).
pub fn wants_fragment(headers: &HeaderMap) -> bool {
    let is = |name: &str| headers.get(name).is_some_and(|v| v.as_bytes() == b"true");
    is("hx-request") && !is("hx-history-restore-request")
}

const FLASH_COOKIE: &str = "tenantry_flash";

/// Remembers a success message for the next page the browser loads (post/redirect/get).
pub fn set_flash(state: &AppState, jar: CookieJar, message: &str) -> CookieJar {
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(message);
    let mut cookie = Cookie::new(FLASH_COOKIE, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(state.secure_cookies());
    jar.add(cookie)
}

/// Takes the success message left by the previous request, if any.
pub fn take_flash(jar: CookieJar) -> (CookieJar, Option<String>) {
    let message = jar
        .get(FLASH_COOKIE)
        .and_then(|c| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c.value()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .map(|m| m.chars().take(300).collect::<String>());
    match message {
        Some(m) => (jar.remove(Cookie::build(FLASH_COOKIE).path("/")), Some(m)),
        None => (jar, None),
    }
}

/// A URL-encoded form body; an unreadable one is a 400 page.
pub struct PageForm<T>(pub T);

impl<S, T> FromRequest<S> for PageForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(PageForm(v)),
            Err(e) => Err(AppError::BadRequest(e.body_text()).into()),
        }
    }
}

/// What a form shows: the values entered (never a password), every error next to its field,
/// and a message above the form.
#[derive(Debug, Default)]
pub struct FormState {
    values: Vec<(&'static str, String)>,
    errors: Vec<FieldError>,
    /// A message about the form as a whole (e.g. wrong credentials).
    pub alert: Option<String>,
}

impl FormState {
    /// A form with the given field values; fields not listed here count as "not on the form".
    pub fn with(values: Vec<(&'static str, String)>) -> Self {
        Self { values, ..Self::default() }
    }

    /// The value entered in `field`.
    pub fn value(&self, field: &str) -> &str {
        self.values.iter().find(|(f, _)| *f == field).map_or("", |(_, v)| v.as_str())
    }

    /// The messages about `field`.
    pub fn errors_for(&self, field: &str) -> Vec<&str> {
        self.errors.iter().filter(|e| e.field == field).map(|e| e.message.as_str()).collect()
    }

    /// Puts `message` under `field`, with the usual note above the form.
    pub fn set_error(&mut self, field: &'static str, message: &str) {
        self.errors.push(FieldError::new(field, message));
        self.alert.get_or_insert_with(|| "Some fields need your attention.".to_owned());
    }

    /// Whether anything is wrong.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.alert.is_some()
    }

    /// Errors about fields the form does not show, so none is ever hidden.
    pub fn other_errors(&self) -> Vec<String> {
        self.errors
            .iter()
            .filter(|e| !self.values.iter().any(|(f, _)| *f == e.field))
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    /// Turns a service error into messages on the form, with the status to answer; errors that
    /// are not about the input (a failure on our side) stay errors.
    pub fn fail(mut self, error: impl Into<AppError>) -> Result<(StatusCode, Self), AppError> {
        let error = error.into();
        let status = error.status();
        const CHECK: &str = "Some fields need your attention.";
        match error {
            AppError::App(Error::Validation(v)) => {
                self.errors = v.0;
                self.alert = Some(CHECK.to_owned());
            }
            AppError::App(Error::BadField(field, message)) => {
                self.errors = vec![FieldError::new(field, message)];
                self.alert = Some(CHECK.to_owned());
            }
            AppError::App(Error::WrongAnswer(field, message)) => {
                self.errors = vec![FieldError::new(field, message)];
                self.alert = Some(CHECK.to_owned());
            }
            AppError::App(Error::Conflict { detail, errors }) => {
                self.alert = Some(if errors.is_empty() { detail } else { CHECK.to_owned() });
                self.errors = errors;
            }
            AppError::App(Error::Rule { detail, .. }) => self.alert = Some(detail),
            AppError::BadRequest(message) => self.alert = Some(message),
            AppError::App(
                Error::Unauthorized(message)
                | Error::Forbidden(message)
                | Error::Locked(message)
                | Error::MfaRequired(message),
            ) => self.alert = Some(message.to_owned()),
            AppError::App(e @ Error::RateLimited(_)) => self.alert = Some(e.to_string()),
            other => return Err(other),
        }
        Ok((status, self))
    }
}
