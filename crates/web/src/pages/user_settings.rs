//! One user's settings as an Administrator edits them on the user page: email notifications and
//! product settings, each card with its own Save (see [`super::user`] for the page).

use super::Section;
use super::user::{UserPage, page};
use super::{FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash};
use crate::api::users::UserPatch;
use crate::extract::{AdminUser, PathId};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::users::{self, ProfilePatch, UserDetail};
use tenantry_domain::UserId;
use tenantry_domain::settings::Notifications;

/// The email notifications card as posted: unchecked checkboxes are absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NotificationsForm {
    missed_calls: Option<String>,
    voicemails: Option<String>,
}

impl From<&UserDetail> for NotificationsForm {
    fn from(d: &UserDetail) -> Self {
        let n = d.user.preferences.notifications;
        let on = |b: bool| b.then(|| "on".to_owned());
        Self { missed_calls: on(n.missed_calls), voicemails: on(n.voicemails) }
    }
}

pub(super) fn notifications_form(f: &NotificationsForm) -> FormState {
    let on = |v: &Option<String>| if v.is_some() { "on".to_owned() } else { String::new() };
    FormState::with(vec![("missed_calls", on(&f.missed_calls)), ("voicemails", on(&f.voicemails))])
}

/// Shows the page again with one card's form as posted and its errors.
async fn failed(
    state: &AppState, admin: &AdminUser, id: &UserId, e: Error, form: FormState,
    put: impl FnOnce(&mut UserPage, FormState),
) -> Result<Response, PageError> {
    let (status, form) = form.fail(e).map_err(|e| PageError::for_user(e, admin, Section::Users))?;
    let mut page = page(state, admin, id, None).await?;
    put(&mut page, form);
    Ok(render(status, &page))
}

/// `POST /users/{id}/notifications`: which emails about calls the user gets.
pub async fn save_notifications(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
    PageForm(f): PageForm<NotificationsForm>,
) -> Result<Response, PageError> {
    let n = Notifications { missed_calls: f.missed_calls.is_some(), voicemails: f.voicemails.is_some() };
    let patch = ProfilePatch { notifications: Some(n), ..ProfilePatch::default() };
    match users::update(&state, &admin, &admin.actor, &id, patch).await {
        Ok(user) => {
            let message = format!("Saved the email notifications of {}.", user.user.name);
            Ok((
                set_flash(&state, jar, &message),
                see_other(&format!("/users/{id}?notice=notifications#notifications")),
            )
                .into_response())
        }
        Err(e) => failed(&state, &admin, &id, e, notifications_form(&f), |p, f| p.notifications_form = f).await,
    }
}

/// The nested field names of the product settings card (also the names errors use).
const MEETING: &str = "product_settings.scheduling.default_meeting_minutes";
const BUFFER: &str = "product_settings.scheduling.buffer_minutes";
const CHATS: &str = "product_settings.chat.max_concurrent_chats";
const CALLER_ID: &str = "product_settings.voice.caller_id";
const FORWARDING: &str = "product_settings.voice.call_forwarding";

/// The product settings card as posted; a product the catalog does not sell has no fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductSettingsForm {
    #[serde(rename = "product_settings.scheduling.default_meeting_minutes")]
    meeting: Option<String>,
    #[serde(rename = "product_settings.scheduling.buffer_minutes")]
    buffer: Option<String>,
    #[serde(rename = "product_settings.chat.max_concurrent_chats")]
    chats: Option<String>,
    #[serde(rename = "product_settings.voice.caller_id")]
    caller_id: Option<String>,
    #[serde(rename = "product_settings.voice.call_forwarding")]
    forwarding: Option<String>,
}

impl From<&UserDetail> for ProductSettingsForm {
    fn from(d: &UserDetail) -> Self {
        let p = &d.user.preferences.product_settings;
        Self {
            meeting: Some(p.scheduling.default_meeting_minutes.to_string()),
            buffer: Some(p.scheduling.buffer_minutes.to_string()),
            chats: Some(p.chat.max_concurrent_chats.to_string()),
            caller_id: Some(p.voice.caller_id.as_str().to_owned()),
            forwarding: Some(p.voice.call_forwarding.clone().unwrap_or_default()),
        }
    }
}

pub(super) fn products_form(f: &ProductSettingsForm) -> FormState {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    FormState::with(vec![
        (MEETING, v(&f.meeting)),
        (BUFFER, v(&f.buffer)),
        (CHATS, v(&f.chats)),
        (CALLER_ID, v(&f.caller_id)),
        (FORWARDING, v(&f.forwarding)),
    ])
}

impl ProductSettingsForm {
    /// The JSON the API takes: numbers stay text when they are not whole numbers, so the domain
    /// names what is wrong; products without fields on the form are left alone.
    fn to_json(&self) -> serde_json::Value {
        let number = |s: &str| {
            let s = s.trim();
            s.parse::<i64>().map_or_else(|_| serde_json::Value::from(s), serde_json::Value::from)
        };
        let mut products = serde_json::Map::new();
        let mut block = |product: &str, fields: Vec<(&str, Option<serde_json::Value>)>| {
            let fields: serde_json::Map<String, serde_json::Value> =
                fields.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))).collect();
            if !fields.is_empty() {
                products.insert(product.to_owned(), serde_json::Value::Object(fields));
            }
        };
        block(
            "scheduling",
            vec![
                ("default_meeting_minutes", self.meeting.as_deref().map(number)),
                ("buffer_minutes", self.buffer.as_deref().map(number)),
            ],
        );
        block("chat", vec![("max_concurrent_chats", self.chats.as_deref().map(number))]);
        block(
            "voice",
            vec![
                ("caller_id", self.caller_id.clone().map(serde_json::Value::from)),
                ("call_forwarding", self.forwarding.clone().map(serde_json::Value::from)),
            ],
        );
        serde_json::Value::Object(products)
    }
}

/// `POST /users/{id}/product-settings`: every product's settings at once; errors are shown next
/// to their field with what was typed.
pub async fn save_product_settings(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
    PageForm(f): PageForm<ProductSettingsForm>,
) -> Result<Response, PageError> {
    let patch = UserPatch { product_settings: Some(f.to_json()), ..UserPatch::default() };
    let result = match ProfilePatch::try_from(patch) {
        Ok(patch) => users::update(&state, &admin, &admin.actor, &id, patch).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(user) => {
            let message = format!("Saved the product settings of {}.", user.user.name);
            Ok((
                set_flash(&state, jar, &message),
                see_other(&format!("/users/{id}?notice=product-settings#product-settings")),
            )
                .into_response())
        }
        Err(e) => failed(&state, &admin, &id, e, products_form(&f), |p, f| p.products_form = f).await,
    }
}
