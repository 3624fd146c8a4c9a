//! Account settings › Chatbot and form privacy (Administrators): the privacy policy and cookie
//! policy (text or a link each), the consent and cookie-banner switches, and the public address
//! chatbots and forms read them from. Same services as `/api/v1/privacy`.

use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::api::privacy::{CookiePolicyView, PrivacyPolicyView, PrivacyView};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::{Error, privacy};
use tenantry_domain::privacy::PrivacyDocument;

/// The routes of this section.
pub fn routes() -> Router<AppState> {
    Router::new().route("/account/privacy", get(show).post(save))
}

#[derive(Template)]
#[template(path = "account/privacy.html")]
struct PrivacyPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// Where chatbots and forms read the document.
    public_url: String,
    form: FormState,
}

/// The form's fields, named as the API names them (so its errors land next to them).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PrivacyForm {
    #[serde(rename = "privacy_policy.text")]
    privacy_text: String,
    #[serde(rename = "privacy_policy.url")]
    privacy_url: String,
    #[serde(rename = "privacy_policy.require_consent")]
    require_consent: String,
    #[serde(rename = "cookie_policy.text")]
    cookie_text: String,
    #[serde(rename = "cookie_policy.url")]
    cookie_url: String,
    #[serde(rename = "cookie_policy.show_banner")]
    show_banner: String,
}

fn on(b: bool) -> String {
    if b { "on".to_owned() } else { String::new() }
}

impl From<PrivacyDocument> for PrivacyForm {
    fn from(d: PrivacyDocument) -> Self {
        let (p, c) = (d.privacy_policy, d.cookie_policy);
        Self {
            privacy_text: p.text.unwrap_or_default(),
            privacy_url: p.url.unwrap_or_default(),
            require_consent: on(p.require_consent),
            cookie_text: c.text.unwrap_or_default(),
            cookie_url: c.url.unwrap_or_default(),
            show_banner: on(c.show_banner),
        }
    }
}

impl PrivacyForm {
    fn state(&self) -> FormState {
        FormState::with(vec![
            ("privacy_policy.text", self.privacy_text.clone()),
            ("privacy_policy.url", self.privacy_url.clone()),
            ("privacy_policy.require_consent", self.require_consent.clone()),
            ("cookie_policy.text", self.cookie_text.clone()),
            ("cookie_policy.url", self.cookie_url.clone()),
            ("cookie_policy.show_banner", self.show_banner.clone()),
        ])
    }

    /// The whole document at once: an empty box clears its part.
    fn document(&self) -> Result<PrivacyDocument, Error> {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        let view = PrivacyView {
            privacy_policy: PrivacyPolicyView {
                text: some(&self.privacy_text),
                url: some(&self.privacy_url),
                require_consent: self.require_consent == "on",
            },
            cookie_policy: CookiePolicyView {
                text: some(&self.cookie_text),
                url: some(&self.cookie_url),
                show_banner: self.show_banner == "on",
            },
        };
        PrivacyDocument::try_from(view).map_err(Error::Validation)
    }
}

fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::Privacy)
}

fn page(state: &AppState, admin: &AdminUser, flash: Option<String>, form: FormState) -> PrivacyPage {
    PrivacyPage {
        chrome: Some(Chrome::new(admin, Section::Privacy)),
        flash,
        public_url: format!("{}/api/v1/public/accounts/{}/privacy", state.config.public_url, admin.account_id()),
        form,
    }
}

/// `GET /account/privacy`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let doc = privacy::get(&state, &admin).await.map_err(fail(&admin))?;
    let (jar, flash) = take_flash(jar);
    let page = page(&state, &admin, flash, PrivacyForm::from(doc).state());
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/privacy`: saves both policies; errors next to their fields.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<PrivacyForm>,
) -> Result<Response, PageError> {
    let result = match f.document() {
        Ok(doc) => privacy::put(&state, &admin, &admin.actor, doc).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            let jar = set_flash(&state, jar, "The privacy settings have been saved.");
            Ok((jar, see_other("/account/privacy")).into_response())
        }
        Err(e) => {
            let (status, form) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &page(&state, &admin, None, form)))
        }
    }
}
