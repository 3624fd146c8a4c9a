//! Account settings › API & Webhooks › Webhooks (Administrators): the account's endpoints (URL,
//! description, events, enabled, created) and a form to add one; its signing secret is shown
//! once, on the answer to the form. Same services as `/api/v1/webhooks`. One endpoint's page is
//! [`super::webhook`].

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, take_flash};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use tenantry_app::webhooks::{self, EndpointInput, MAX_ENDPOINTS};
use tenantry_domain::webhook::EVENT_TYPES;

/// An error page under this section's navigation.
pub(super) fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::ApiWebhooks)
}

/// An endpoint as the list shows it, in the viewer's date format.
struct EndpointRow {
    id: String,
    url: String,
    description: String,
    /// Empty: every event.
    events: Vec<String>,
    enabled: bool,
    disabled_reason: String,
    created: String,
}

/// One event type checkbox of a form.
pub(super) struct EventChoice {
    pub name: &'static str,
    /// A usable element id (`event-user-invited`).
    pub id: String,
    pub description: &'static str,
    pub checked: bool,
}

/// A secret just made, shown on this answer only.
pub(super) struct ShownSecret {
    /// What it belongs to (the endpoint's URL).
    pub url: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "account/webhooks.html")]
struct WebhooksPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// Which tab of "API & Webhooks" is shown.
    tab: &'static str,
    endpoints: Vec<EndpointRow>,
    choices: Vec<EventChoice>,
    created: Option<ShownSecret>,
    form: FormState,
}

/// The endpoint form as posted: `url`, `description` and repeated `event_types` (none: all).
#[derive(Debug, Default)]
pub(super) struct EndpointForm {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
}

impl EndpointForm {
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = EndpointForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "url" => f.url = v,
                "description" => f.description = v,
                "event_types" => f.event_types.push(v),
                _ => {}
            }
        }
        f
    }

    pub(super) fn state(&self) -> FormState {
        FormState::with(vec![
            ("url", self.url.clone()),
            ("description", self.description.clone()),
            ("event_types", self.event_types.join(" ")),
        ])
    }

    /// What the service is asked for (every part set: the form shows them all).
    pub(super) fn input(&self) -> EndpointInput {
        EndpointInput {
            url: Some(self.url.clone()),
            description: Some(self.description.clone()),
            event_types: Some(self.event_types.clone()),
            enabled: None,
        }
    }
}

/// The event type checkboxes, those in `checked` ticked.
pub(super) fn choices(checked: &[String]) -> Vec<EventChoice> {
    EVENT_TYPES
        .iter()
        .map(|(name, description)| EventChoice {
            name,
            id: format!("event-{}", name.replace(['.', '_'], "-")),
            description,
            checked: checked.iter().any(|c| c == name),
        })
        .collect()
}

async fn webhooks_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, created: Option<ShownSecret>, form: EndpointForm,
    errors: FormState,
) -> Result<WebhooksPage, PageError> {
    let chrome = Chrome::new(admin, Section::ApiWebhooks);
    let (rows, _) = webhooks::list(state, admin, None, MAX_ENDPOINTS).await.map_err(fail(admin))?;
    let endpoints = rows
        .into_iter()
        .map(|e| EndpointRow {
            id: e.id.to_string(),
            url: e.url,
            description: e.description,
            events: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.unwrap_or_default(),
            created: chrome.local.date(e.created_at),
        })
        .collect();
    Ok(WebhooksPage {
        chrome: Some(chrome),
        flash,
        tab: "webhooks",
        endpoints,
        choices: choices(&form.event_types),
        created,
        form: errors,
    })
}

/// `GET /account/webhooks`.
pub async fn list(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let form = EndpointForm::default();
    let errors = form.state();
    let page = webhooks_page(&state, &admin, flash, None, form, errors).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/webhooks`: adds an endpoint and shows its secret, on this answer only (never cached).
pub async fn create(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = EndpointForm::from_pairs(pairs);
    match webhooks::create(&state, &admin, &admin.actor, f.input()).await {
        Ok((endpoint, secret)) => {
            let shown = ShownSecret { url: endpoint.url, secret: secret.expose().to_owned() };
            let form = EndpointForm::default();
            let errors = form.state();
            let page = webhooks_page(&state, &admin, None, Some(shown), form, errors).await?;
            Ok(no_store(render(StatusCode::CREATED, &page)))
        }
        Err(e) => {
            let (status, errors) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &webhooks_page(&state, &admin, None, None, f, errors).await?))
        }
    }
}

/// An answer that shows a secret: never cached.
pub(super) fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    res
}
