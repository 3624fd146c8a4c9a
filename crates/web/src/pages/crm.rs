//! Account settings › CRM (Administrators): connect the account's CRM (provider, base URL, API
//! key, field mapping), test the connection and see its status, or disconnect it. The API key is
//! never shown or put back into the form: a saved one is kept when the field is left empty.

use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use std::collections::BTreeMap;
use tenantry_app::Error;
use tenantry_app::crm::{self, API_KEY, Connection, Credentials, CrmInput, Provider, Status};
use tenantry_domain::ValidationErrors;

/// One row of the mapping: a contact field and the CRM field it goes to.
struct MappingRow {
    /// The form field's name, `field_mapping.<key>`.
    name: String,
    label: String,
    value: String,
    errors: Vec<String>,
}

/// The connection as the status card shows it.
struct Facts {
    provider: &'static str,
    base_url: String,
    status: &'static str,
    status_label: &'static str,
    credentials_set: bool,
    connected_at: String,
    last_tested: String,
    last_error: Option<String>,
}

/// What "Test connection" found.
struct TestNotice {
    ok: bool,
    message: String,
}

#[derive(Template)]
#[template(path = "account/crm.html")]
struct CrmPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    facts: Option<Facts>,
    providers: Vec<(&'static str, &'static str)>,
    form: FormState,
    rows: Vec<MappingRow>,
    test: Option<TestNotice>,
}

impl CrmPage {
    /// The hint under the API key field.
    fn key_hint(&self) -> &'static str {
        match &self.facts {
            Some(f) if f.credentials_set => "A key is saved; leave empty to keep it. It is never shown again.",
            _ => {
                "Sent as “Authorization: Bearer …” when the connection is tested; stored encrypted, never shown again."
            }
        }
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Untested => "Not tested",
        Status::Connected => "Connected",
        Status::Failed => "Failed",
    }
}

/// The badge class of a status (the users list's colours).
fn badge(s: Status) -> &'static str {
    match s {
        Status::Untested => "invited",
        Status::Connected => "active",
        Status::Failed => "locked",
    }
}

fn facts(c: &Connection, chrome: &Chrome) -> Facts {
    Facts {
        provider: c.provider.label(),
        base_url: c.base_url.clone().unwrap_or_default(),
        status: badge(c.status),
        status_label: status_label(c.status),
        credentials_set: c.credentials_set,
        connected_at: chrome.local.date_time(c.connected_at),
        last_tested: c.last_tested_at.map_or_else(|| "Never".to_owned(), |t| chrome.local.date_time(t)),
        last_error: c.last_error.clone(),
    }
}

/// The form as stored: the provider's own default URL shows as an empty field.
fn stored_values(c: Option<&Connection>) -> (FormState, BTreeMap<String, String>) {
    let Some(c) = c else {
        return (form_state(String::new(), String::new()), BTreeMap::new());
    };
    let url = c.base_url.clone().filter(|u| Some(u.as_str()) != c.provider.default_base_url()).unwrap_or_default();
    (form_state(c.provider.as_str().to_owned(), url), c.field_mapping.clone())
}

fn form_state(provider: String, base_url: String) -> FormState {
    FormState::with(vec![("provider", provider), ("base_url", base_url), (API_KEY, String::new())])
}

fn fail(admin: &AdminUser) -> impl Fn(Error) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::Crm)
}

/// Builds the page around `form` and the mapping `values` (with their errors).
async fn page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, form: FormState, values: &BTreeMap<String, String>,
    mapping_errors: &[(String, String)], test: Option<TestNotice>,
) -> Result<CrmPage, PageError> {
    let chrome = Chrome::new(admin, Section::Crm);
    let connection = match crm::get(state, admin).await {
        Ok(c) => Some(c),
        Err(Error::NotFound) => None,
        Err(e) => return Err(fail(admin)(e)),
    };
    let fields = crm::contact_fields(state, admin).await.map_err(fail(admin))?;
    let rows = fields
        .into_iter()
        .map(|(key, label)| {
            let name = format!("field_mapping.{key}");
            let errors = mapping_errors.iter().filter(|(f, _)| *f == name).map(|(_, m)| m.clone()).collect();
            MappingRow { value: values.get(&key).cloned().unwrap_or_default(), name, label, errors }
        })
        .collect();
    Ok(CrmPage {
        facts: connection.as_ref().map(|c| facts(c, &chrome)),
        chrome: Some(chrome),
        flash,
        providers: Provider::ALL.iter().map(|p| (p.as_str(), p.label())).collect(),
        form,
        rows,
        test,
    })
}

/// `GET /account/crm`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let connection = match crm::get(&state, &admin).await {
        Ok(c) => Some(c),
        Err(Error::NotFound) => None,
        Err(e) => return Err(fail(&admin)(e)),
    };
    let (form, values) = stored_values(connection.as_ref());
    let (jar, flash) = take_flash(jar);
    let page = page(&state, &admin, flash, form, &values, &[], None).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/crm`: saves the connection; errors are shown next to their fields with what
/// was typed kept (never the API key).
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (mut provider, mut base_url, mut api_key) = (String::new(), String::new(), String::new());
    let mut values = BTreeMap::new();
    for (name, value) in pairs {
        match name.as_str() {
            "provider" => provider = value,
            "base_url" => base_url = value,
            API_KEY => api_key = value,
            other => {
                if let Some(key) = other.strip_prefix("field_mapping.") {
                    values.insert(key.to_owned(), value);
                }
            }
        }
    }
    let input = CrmInput {
        provider: provider.clone(),
        base_url: Some(base_url.clone()),
        credentials: Some(api_key.trim())
            .filter(|k| !k.is_empty())
            .map(|k| Credentials::new(BTreeMap::from([(API_KEY.to_owned(), k.to_owned())]))),
        field_mapping: values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    match crm::save(&state, &admin, &admin.actor, input).await {
        Ok(_) => {
            let jar = set_flash(&state, jar, "The CRM connection has been saved. Test it to check that it works.");
            Ok((jar, see_other("/account/crm")).into_response())
        }
        Err(Error::Validation(errors)) => {
            // Mapping errors go next to their rows; the API key's under its field.
            let (mapping, rest): (Vec<_>, Vec<_>) =
                errors.0.into_iter().partition(|e| e.field.starts_with("field_mapping."));
            let mut others = ValidationErrors::new();
            for e in rest {
                let field = if e.field.starts_with("credentials") { API_KEY } else { e.field.as_str() };
                others.push(field, e.message);
            }
            let mapping: Vec<(String, String)> = mapping.into_iter().map(|e| (e.field, e.message)).collect();
            let (status, form) =
                form_state(provider, base_url).fail(Error::Validation(others)).map_err(|e| admin_error(&admin, e))?;
            Ok(render(status, &page(&state, &admin, None, form, &values, &mapping, None).await?))
        }
        Err(e) => Err(fail(&admin)(e)),
    }
}

fn admin_error(admin: &AdminUser, e: AppError) -> PageError {
    PageError::for_user(e, admin, Section::Crm)
}

/// `POST /account/crm/test`: tests the connection and shows what it found above the status.
pub async fn test(State(state): State<AppState>, PageAdmin(admin): PageAdmin) -> Result<Response, PageError> {
    let result = crm::test(&state, &admin, &admin.actor).await.map_err(fail(&admin))?;
    let message = match (&result.error, result.status_code) {
        (None, Some(code)) => format!("The connection works: the CRM answered HTTP {code}."),
        (None, None) => "The connection works.".to_owned(),
        (Some(e), _) => format!("The connection test failed: {e}."),
    };
    let connection = crm::get(&state, &admin).await.map_err(fail(&admin))?;
    let (form, values) = stored_values(Some(&connection));
    let notice = TestNotice { ok: result.ok, message };
    Ok(render(StatusCode::OK, &page(&state, &admin, None, form, &values, &[], Some(notice)).await?))
}

/// `POST /account/crm/disconnect`: erases the connection and its credentials.
pub async fn disconnect(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    match crm::disconnect(&state, &admin, &admin.actor).await {
        Ok(()) | Err(Error::NotFound) => {
            let jar = set_flash(&state, jar, "The CRM has been disconnected and its credentials erased.");
            Ok((jar, see_other("/account/crm")).into_response())
        }
        Err(e) => Err(fail(&admin)(e)),
    }
}
