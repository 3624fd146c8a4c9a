//! Account settings › Webhooks › one endpoint (Administrators): edit its URL, description and
//! events; enable or disable it; rotate its secret (the new one shown once); send a test event;
//! delete it after a confirmation; and its delivery log, filtered by status, paged by keyset
//! (newest first), with a Retry on each delivery. Same services as `/api/v1/webhooks/{id}`.

use super::webhooks::{EndpointForm, EventChoice, ShownSecret, choices, fail, no_store};
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::extract::{AdminUser, PathId, parse_id};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::webhooks::{self, DELIVERY_STATUSES, EndpointInput};
use tenantry_app::{Error, cursor};
use tenantry_domain::id::WebhookEndpointId;
use tenantry_storage::webhooks::Endpoint;

/// Deliveries on one page of the log.
const LOG_SIZE: i64 = 50;
/// How much of a response the log shows, in bytes.
const RESPONSE_SHOWN: usize = 1024;

/// A delivery as the log shows it, in the viewer's date format.
struct DeliveryRow {
    id: String,
    time: String,
    event_type: String,
    status: String,
    attempts: i64,
    status_code: String,
    response: String,
    error: String,
}

#[derive(Template)]
#[template(path = "account/webhook.html")]
struct WebhookPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    id: String,
    url: String,
    enabled: bool,
    disabled_reason: String,
    created: String,
    choices: Vec<EventChoice>,
    secret: Option<ShownSecret>,
    form: FormState,
    /// The status the log is filtered on, `""` for all.
    status: String,
    statuses: [&'static str; 3],
    deliveries: Vec<DeliveryRow>,
    /// Whether this is a later page of the log.
    paged: bool,
    /// The next (older) page, filter kept.
    older: Option<String>,
    /// The first page, filter kept.
    newest: String,
}

/// The log's filter and the cursor of a later page, as they arrive in the address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogQuery {
    status: String,
    cursor: String,
}

impl LogQuery {
    /// The endpoint's page at this filter (and `cursor` when given), scrolled to the log.
    fn href(&self, id: &str, cursor: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.status.is_empty() {
            query.append_pair("status", &self.status);
        }
        if let Some(c) = cursor {
            query.append_pair("cursor", c);
        }
        let query = query.finish();
        let query = if query.is_empty() { query } else { format!("?{query}") };
        format!("/account/webhooks/{id}{query}#deliveries-title")
    }
}

/// The first [`RESPONSE_SHOWN`] bytes of `body`, cut on a character boundary.
fn head(body: &str) -> String {
    let mut end = body.len().min(RESPONSE_SHOWN);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

fn endpoint_form(e: &Endpoint) -> EndpointForm {
    EndpointForm { url: e.url.clone(), description: e.description.clone(), event_types: e.event_types.clone() }
}

/// The endpoint's page: `(form, errors)` is the edit form as typed and its errors; `log` the
/// delivery log's filter and page (an unknown status shows every delivery).
async fn webhook_page(
    state: &AppState, admin: &AdminUser, endpoint: Endpoint, flash: Option<String>, secret: Option<ShownSecret>,
    (form, errors): (&EndpointForm, FormState), log: &LogQuery,
) -> Result<WebhookPage, PageError> {
    let chrome = Chrome::new(admin, Section::ApiWebhooks);
    let status = log.status.trim();
    let status = if DELIVERY_STATUSES.contains(&status) { status } else { "" };
    let log = LogQuery { status: status.to_owned(), cursor: log.cursor.trim().to_owned() };
    let filter = Some(status).filter(|s| !s.is_empty());
    let after =
        Some(log.cursor.as_str()).filter(|c| !c.is_empty()).map(cursor::decode).transpose().map_err(fail(admin))?;
    let (rows, next) =
        webhooks::deliveries(state, admin, &endpoint.id, filter, after, LOG_SIZE).await.map_err(fail(admin))?;
    let id = endpoint.id.to_string();
    let deliveries = rows
        .into_iter()
        .map(|d| DeliveryRow {
            time: chrome.local.date_time(d.created_at),
            status_code: d.last_status_code.map(|c| c.to_string()).unwrap_or_default(),
            response: d.last_response_body.as_deref().map(head).unwrap_or_default(),
            error: d.last_error.unwrap_or_default(),
            id: d.id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
        })
        .collect();
    Ok(WebhookPage {
        flash,
        paged: !log.cursor.is_empty(),
        older: next.map(|c| log.href(&id, Some(&c))),
        newest: log.href(&id, None),
        id,
        url: endpoint.url,
        enabled: endpoint.enabled,
        disabled_reason: endpoint.disabled_reason.unwrap_or_default(),
        created: chrome.local.date_time(endpoint.created_at),
        chrome: Some(chrome),
        choices: choices(&form.event_types),
        secret,
        form: errors,
        status: log.status,
        statuses: DELIVERY_STATUSES,
        deliveries,
    })
}

fn back_to(id: &WebhookEndpointId) -> String {
    format!("/account/webhooks/{id}")
}

/// `GET /account/webhooks/{id}?status=&cursor=`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<WebhookEndpointId>,
    Query(q): Query<LogQuery>,
) -> Result<Response, PageError> {
    let endpoint = webhooks::get(&state, &admin, &id).await.map_err(fail(&admin))?;
    let (jar, flash) = take_flash(jar);
    let form = endpoint_form(&endpoint);
    let errors = form.state();
    let page = webhook_page(&state, &admin, endpoint, flash, None, (&form, errors), &q).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/webhooks/{id}`: saves the URL, description and events.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<WebhookEndpointId>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = EndpointForm::from_pairs(pairs);
    match webhooks::update(&state, &admin, &admin.actor, &id, f.input()).await {
        Ok(e) => {
            let jar = set_flash(&state, jar, &format!("The endpoint {} has been saved.", e.url));
            Ok((jar, see_other(&back_to(&id))).into_response())
        }
        Err(e) => {
            let (status, errors) = f.state().fail(e).map_err(fail(&admin))?;
            let endpoint = webhooks::get(&state, &admin, &id).await.map_err(fail(&admin))?;
            Ok(render(
                status,
                &webhook_page(&state, &admin, endpoint, None, None, (&f, errors), &LogQuery::default()).await?,
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnabledForm {
    enabled: String,
}

/// `POST /account/webhooks/{id}/enabled`: turns the endpoint on (`enabled=true`) or off
/// (`enabled=false`); any other value is refused, naming the field.
pub async fn toggle(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<WebhookEndpointId>,
    PageForm(f): PageForm<EnabledForm>,
) -> Result<Response, PageError> {
    let enabled = match f.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(fail(&admin)(Error::invalid("enabled", "must be true or false"))),
    };
    let input = EndpointInput { enabled: Some(enabled), ..EndpointInput::default() };
    let e = webhooks::update(&state, &admin, &admin.actor, &id, input).await.map_err(fail(&admin))?;
    let message = if enabled {
        format!("The endpoint {} is enabled: it receives events again.", e.url)
    } else {
        format!("The endpoint {} is disabled: it receives no events until you enable it.", e.url)
    };
    Ok((set_flash(&state, jar, &message), see_other(&back_to(&id))).into_response())
}

/// `POST /account/webhooks/{id}/rotate`: a new secret, shown on this answer only; the old one
/// keeps signing for 24 hours.
pub async fn rotate(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, PathId(id): PathId<WebhookEndpointId>,
) -> Result<Response, PageError> {
    let secret = webhooks::rotate_secret(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let endpoint = webhooks::get(&state, &admin, &id).await.map_err(fail(&admin))?;
    let shown = ShownSecret { url: endpoint.url.clone(), secret: secret.expose().to_owned() };
    let form = endpoint_form(&endpoint);
    let errors = form.state();
    let flash = Some("The secret has been rotated. The previous one keeps signing for 24 hours.".to_owned());
    let page =
        webhook_page(&state, &admin, endpoint, flash, Some(shown), (&form, errors), &LogQuery::default()).await?;
    Ok(no_store(render(StatusCode::OK, &page)))
}

/// `POST /account/webhooks/{id}/test`: queues a `webhook.test` event for this endpoint.
pub async fn send_test(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<WebhookEndpointId>,
) -> Result<Response, PageError> {
    webhooks::send_test(&state, &admin, &id).await.map_err(fail(&admin))?;
    let message = "A test event has been queued. Its delivery shows in the log below.";
    Ok((set_flash(&state, jar, message), see_other(&back_to(&id))).into_response())
}

/// `POST /account/webhooks/{id}/deliveries/{delivery_id}/retry`: a new attempt now.
pub async fn retry(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id: WebhookEndpointId = parse_id(id).map_err(fail(&admin))?;
    webhooks::retry_delivery(&state, &admin, &id, &delivery_id).await.map_err(fail(&admin))?;
    let message = "The delivery has been queued for another attempt.";
    Ok((set_flash(&state, jar, message), see_other(&back_to(&id))).into_response())
}

/// `POST /account/webhooks/{id}/delete`: the endpoint goes, and its pending deliveries stop.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<WebhookEndpointId>,
) -> Result<Response, PageError> {
    let endpoint = webhooks::get(&state, &admin, &id).await.map_err(fail(&admin))?;
    webhooks::delete(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let message = format!("The endpoint {} has been deleted.", endpoint.url);
    Ok((set_flash(&state, jar, &message), see_other("/account/webhooks")).into_response())
}
