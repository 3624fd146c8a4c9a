//! Account settings › Chatbot and form privacy: `GET/PUT /api/v1/privacy` (Administrators), and
//! the same document for the account's chatbots and forms on any website:
//! `GET /api/v1/public/accounts/{account_id}/privacy`, no credentials, any origin.

use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::privacy;
use tenantry_domain::AccountId;
use tenantry_domain::ValidationErrors;
use tenantry_domain::privacy::{CookiePolicy, PrivacyDocument, PrivacyPolicy};
use utoipa::ToSchema;

/// The privacy policy shown to visitors of chatbots and forms: text, a link, or both.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyPolicyView {
    /// Up to 20,000 characters.
    pub text: Option<String>,
    /// An `https://` address.
    pub url: Option<String>,
    /// Visitors must tick a consent checkbox first.
    pub require_consent: bool,
}

/// The cookie policy shown to visitors of chatbots and forms.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CookiePolicyView {
    /// Up to 20,000 characters.
    pub text: Option<String>,
    /// An `https://` address.
    pub url: Option<String>,
    /// Chatbots and forms show a cookie banner.
    pub show_banner: bool,
}

/// The chatbot and form privacy document; PUT replaces it whole (absent members are emptied).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyView {
    pub privacy_policy: PrivacyPolicyView,
    pub cookie_policy: CookiePolicyView,
}

impl From<PrivacyDocument> for PrivacyView {
    fn from(d: PrivacyDocument) -> Self {
        let (p, c) = (d.privacy_policy, d.cookie_policy);
        Self {
            privacy_policy: PrivacyPolicyView { text: p.text, url: p.url, require_consent: p.require_consent },
            cookie_policy: CookiePolicyView { text: c.text, url: c.url, show_banner: c.show_banner },
        }
    }
}

impl TryFrom<PrivacyView> for PrivacyDocument {
    type Error = ValidationErrors;
    fn try_from(v: PrivacyView) -> Result<Self, ValidationErrors> {
        let (p, c) = (v.privacy_policy, v.cookie_policy);
        PrivacyDocument {
            privacy_policy: PrivacyPolicy { text: p.text, url: p.url, require_consent: p.require_consent },
            cookie_policy: CookiePolicy { text: c.text, url: c.url, show_banner: c.show_banner },
        }
        .validated()
    }
}

/// The account's chatbot and form privacy document (empty when never saved).
#[utoipa::path(get, path = "/api/v1/privacy", tag = "privacy", security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "the document; nulls and `false` when never saved", body = PrivacyView),
        (status = 401, description = "not signed in", body = Problem),
        (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn get(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<PrivacyView>> {
    Ok(Json(privacy::get(&state, &admin).await?.into()))
}

/// Replaces the chatbot and form privacy document.
#[utoipa::path(put, path = "/api/v1/privacy", tag = "privacy", request_body = PrivacyView, security(("bearer" = ["settings:write"])),
    responses((status = 200, description = "the document as saved", body = PrivacyView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 422, description = "an invalid member, e.g. `privacy_policy.url` that is not https://", body = Problem)))]
pub async fn put(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<PrivacyView>,
) -> AppResult<Json<PrivacyView>> {
    Ok(Json(privacy::put(&state, &admin, &admin.actor, body.try_into()?).await?.into()))
}

/// What lets a page on any origin read the public document.
fn cors(mut res: Response) -> Response {
    res.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    res
}

/// The account's chatbot and form privacy document for anyone: no credentials, readable from any
/// origin (`Access-Control-Allow-Origin: *`).
#[utoipa::path(get, security(()), path = "/api/v1/public/accounts/{account_id}/privacy", tag = "privacy", params(("account_id" = String, Path)),
    responses((status = 200, description = "the document; nulls and `false` when never saved", body = PrivacyView),
        (status = 404, description = "no such account", body = Problem)))]
pub async fn public(State(state): State<AppState>, Path(account_id): Path<String>) -> Response {
    let answer = match AccountId::parse(&account_id) {
        None => Err(AppError::NOT_FOUND),
        Some(id) => privacy::public(&state, &id).await.map_err(AppError::from),
    };
    cors(match answer {
        Ok(doc) => Json(PrivacyView::from(doc)).into_response(),
        Err(e) => e.into_response(),
    })
}

/// The CORS preflight of the public document: any origin may GET it.
#[utoipa::path(options, security(()), path = "/api/v1/public/accounts/{account_id}/privacy", tag = "privacy", params(("account_id" = String, Path)),
    responses((status = 204, description = "any origin may GET the document")))]
pub async fn public_preflight() -> Response {
    let mut res = cors(StatusCode::NO_CONTENT.into_response());
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("accept, content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    res
}
