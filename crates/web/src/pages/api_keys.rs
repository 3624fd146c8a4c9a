//! Account settings › API & Webhooks › API keys (Administrators): the account's keys (name,
//! prefix, scopes, creator, created, last used, expiry), a form to create one (the new key is
//! shown once, on the answer to the form), and revoking with a confirmation. Same services as
//! `/api/v1/api-keys`.

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash};
use crate::error::AppError;
use crate::extract::{AdminUser, PathId};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use tenantry_app::Error;
use tenantry_app::account_keys::{self, NewKey};
use tenantry_domain::id::AccountKeyId;
use tenantry_domain::{ApiScope, ValidationErrors};

/// An error page under this section's navigation.
fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::ApiWebhooks)
}

/// A key as the list shows it, in the viewer's date format.
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created_by: String,
    created: String,
    last_used: String,
    expires: String,
    expired: bool,
}

/// One scope checkbox of the form.
struct ScopeChoice {
    name: &'static str,
    /// A usable element id (`scope-users-read`).
    id: String,
    description: &'static str,
    checked: bool,
}

/// A key just created, shown on this answer only.
struct CreatedKey {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "account/api_keys.html")]
struct KeysPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// Which tab of "API & Webhooks" is shown.
    tab: &'static str,
    keys: Vec<KeyRow>,
    choices: Vec<ScopeChoice>,
    created: Option<CreatedKey>,
    form: FormState,
}

/// The create form as posted: `name`, repeated `scopes`, and `expires_at` (a date, optional).
#[derive(Debug, Default)]
struct KeyForm {
    name: String,
    scopes: Vec<String>,
    expires_at: String,
}

impl KeyForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = KeyForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "scopes" => f.scopes.push(v),
                "expires_at" => f.expires_at = v,
                _ => {}
            }
        }
        f
    }

    fn state(&self) -> FormState {
        FormState::with(vec![
            ("name", self.name.clone()),
            ("scopes", self.scopes.join(" ")),
            ("expires_at", self.expires_at.clone()),
        ])
    }

    /// The key asked for. The expiry date is the last day the key works, in the viewer's zone:
    /// it expires at the start of the next day.
    fn parsed(&self, admin: &AdminUser, now: i64) -> Result<NewKey, Error> {
        let date = self.expires_at.trim();
        let expires_at = if date.is_empty() {
            None
        } else {
            let zone = jiff::tz::TimeZone::get(admin.user.timezone.as_str()).unwrap_or(jiff::tz::TimeZone::UTC);
            let at = date
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.tomorrow().ok())
                .and_then(|d| d.to_zoned(zone).ok())
                .map(|z| tenantry_domain::time::rfc3339(z.timestamp().as_millisecond()));
            match at {
                Some(at) => Some(at),
                None => {
                    let mut e = ValidationErrors::new();
                    e.push("expires_at", "must be a date, e.g. 2027-01-31");
                    return Err(Error::Validation(e));
                }
            }
        };
        Ok(NewKey::parse(&self.name, &self.scopes, expires_at.as_deref(), now)?)
    }
}

fn choices(checked: &[String]) -> Vec<ScopeChoice> {
    ApiScope::ALL
        .into_iter()
        .map(|s| ScopeChoice {
            name: s.as_str(),
            id: format!("scope-{}", s.as_str().replace(':', "-")),
            description: s.description(),
            checked: checked.iter().any(|c| c == s.as_str()),
        })
        .collect()
}

async fn keys_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, created: Option<CreatedKey>, form: KeyForm,
    errors: FormState,
) -> Result<KeysPage, PageError> {
    let chrome = Chrome::new(admin, Section::ApiWebhooks);
    let now = state.now();
    let keys = account_keys::list(state, admin)
        .await
        .map_err(fail(admin))?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.iter().map(ApiScope::as_str).collect(),
            created_by: k.created_by_name,
            created: chrome.local.date(k.created_at),
            last_used: k.last_used_at.map_or_else(|| "Never".to_owned(), |t| chrome.local.date_time(t)),
            expires: k.expires_at.map_or_else(|| "Never".to_owned(), |t| chrome.local.date_time(t)),
            expired: k.expires_at.is_some_and(|t| t <= now),
        })
        .collect();
    Ok(KeysPage {
        chrome: Some(chrome),
        flash,
        tab: "keys",
        keys,
        choices: choices(&form.scopes),
        created,
        form: errors,
    })
}

/// `GET /account/api-keys`.
pub async fn list(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let form = KeyForm::default();
    let errors = form.state();
    let page = keys_page(&state, &admin, flash, None, form, errors).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/api-keys`: creates a key and shows it, on this answer only (never cached).
pub async fn create(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = KeyForm::from_pairs(pairs);
    let result = match f.parsed(&admin, state.now()) {
        Ok(new) => account_keys::create(&state, &admin, &admin.actor, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => {
            let shown = CreatedKey { name: created.info.name.clone(), secret: created.key.expose().to_owned() };
            let form = KeyForm::default();
            let errors = form.state();
            let page = keys_page(&state, &admin, None, Some(shown), form, errors).await?;
            let mut res = render(StatusCode::CREATED, &page);
            res.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Err(e) => {
            let (status, errors) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &keys_page(&state, &admin, None, None, f, errors).await?))
        }
    }
}

/// `POST /account/api-keys/{id}/revoke`: the key stops working at once.
pub async fn revoke(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<AccountKeyId>,
) -> Result<Response, PageError> {
    let key = account_keys::revoke(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let message = format!("The API key {} has been revoked. It no longer works.", key.name);
    Ok((set_flash(&state, jar, &message), see_other("/account/api-keys")).into_response())
}
