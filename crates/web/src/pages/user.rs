//! One user, for Administrators: details and role, sign-in and access (unlock, invitation,
//! password reset, sign out everywhere — see [`super::user_actions`]), licenses with the account's
//! seat counts (updated in place with htmx), and deletion with who inherits the booking pages
//! chosen before confirming.

use super::Section;
use super::user_settings::{self, NotificationsForm, ProductSettingsForm};
use super::{
    Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash, wants_fragment,
};
use crate::HttpAnswer;
use crate::api::users::UserPatch;
use crate::extract::{AdminUser, PathId, parse_id};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::invitations::{self, Pending};
use tenantry_app::licenses;
use tenantry_app::subscriptions::{self, Seats};
use tenantry_app::users::{self, DeletionPlan, ListParams, ProfilePatch, UserDetail};
use tenantry_domain::product_settings::{PRODUCTS, VoiceCallerId};
use tenantry_domain::time::{LocalTime, rfc3339};
use tenantry_domain::{DateFormat, Role, SCHEDULING_PRODUCT, UserId, UserStatus};

/// The most users the "who inherits the booking pages" list offers; larger accounts are offered
/// their Administrators.
const MAX_HEIRS: i64 = 200;

/// One product's row in the licenses card.
pub(super) struct LicenseRow {
    key: String,
    name: String,
    held: bool,
    seats: Seats,
}

impl LicenseRow {
    fn free(&self) -> i64 {
        (self.seats.purchased - self.seats.assigned).max(0)
    }
}

/// A message shown inside a card, next to what it is about.
pub(super) struct Notice {
    pub error: bool,
    pub text: String,
}

impl Notice {
    pub fn success(text: impl Into<String>) -> Self {
        Self { error: false, text: text.into() }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self { error: true, text: text.into() }
    }
}

/// The licenses card: one row per product of the catalog, and the outcome of the last change.
pub(super) struct LicensesCard {
    rows: Vec<LicenseRow>,
    pub notice: Option<Notice>,
}

/// One user who may receive the deleted user's booking pages.
pub(super) struct HeirChoice {
    id: String,
    label: String,
    selected: bool,
}

/// The delete card: what deleting does (or why it is refused), and who may inherit the pages.
pub(super) struct Deletion {
    outcome: Result<DeletionPlan, String>,
    /// The display names of the licenses that become free.
    freed: Vec<String>,
    heirs: Vec<HeirChoice>,
    /// Only Administrators are offered (the account has too many users to list).
    heirs_limited: bool,
    /// Why the last attempt failed (e.g. an unknown new owner).
    pub alert: Option<String>,
}

/// The sign-in and access card: dates, the pending invitation, and a refused action's reason.
pub(super) struct Access {
    invitation: Option<Pending>,
    pub alert: Option<String>,
}

#[derive(Template)]
#[template(path = "users/user.html")]
pub(super) struct UserPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    user: UserDetail,
    /// The viewer's own page: no role change, no deletion, no access actions.
    is_self: bool,
    /// How the viewer reads dates.
    local: LocalTime,
    form: FormState,
    pub access: Access,
    pub card: LicensesCard,
    pub deletion: Deletion,
    /// Whether the delete card replaces its old self out of band (htmx fragments only).
    oob: bool,
    time_zones: &'static [String],
    date_formats: [&'static str; 4],
    /// The email notifications card, and its saved message.
    pub(super) notifications_form: FormState,
    notifications_notice: Option<String>,
    /// The saved message of the product settings card.
    products_notice: Option<String>,
    /// The product settings card: one fieldset per product of the catalog that has settings.
    pub(super) products_form: FormState,
    products: Vec<ProductFieldset>,
    caller_ids: Vec<(&'static str, &'static str)>,
}

/// One product's fieldset in the product settings card.
pub(super) struct ProductFieldset {
    key: String,
    name: String,
}

/// A Unix-milliseconds time, however many references the template put around it.
trait Millis {
    fn ms(&self) -> i64;
}

impl Millis for i64 {
    fn ms(&self) -> i64 {
        *self
    }
}

impl<T: Millis + ?Sized> Millis for &T {
    fn ms(&self) -> i64 {
        (**self).ms()
    }
}

impl UserPage {
    /// A time as the viewer reads it (their zone, date format and clock).
    fn shown(&self, at: impl Millis) -> String {
        self.local.date_time(at.ms())
    }

    /// The same time for a `<time datetime>` attribute.
    fn iso(&self, at: impl Millis) -> String {
        rfc3339(at.ms())
    }
}

/// The licenses card and, out of band, the delete card (whose summary lists the licenses).
#[derive(Template)]
#[template(path = "users/licenses_fragment.html")]
struct LicensesFragment {
    user: UserDetail,
    is_self: bool,
    card: LicensesCard,
    deletion: Deletion,
    oob: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    name: String,
    /// Empty clears it; absent leaves it alone.
    username: Option<String>,
    /// Absent on one's own page, which does not offer it.
    role: String,
    timezone: String,
    date_format: String,
    time_format: String,
}

impl From<&UserDetail> for DetailsForm {
    fn from(d: &UserDetail) -> Self {
        let u = &d.user;
        Self {
            name: u.name.to_string(),
            username: Some(u.username.as_ref().map(|n| n.to_string()).unwrap_or_default()),
            role: u.role.as_str().to_owned(),
            timezone: u.timezone.to_string(),
            date_format: u.date_format.as_str().to_owned(),
            time_format: u.time_format.as_str().to_owned(),
        }
    }
}

fn details_form(f: &DetailsForm) -> FormState {
    FormState::with(vec![
        ("name", f.name.clone()),
        ("username", f.username.clone().unwrap_or_default()),
        ("role", f.role.clone()),
        ("timezone", f.timezone.clone()),
        ("date_format", f.date_format.clone()),
        ("time_format", f.time_format.clone()),
    ])
}

/// The display name of a product key (the key itself for one no longer in the catalog).
fn product_name(state: &AppState, key: &str) -> String {
    state.config.catalog.get(key).map_or_else(|| key.to_owned(), |p| p.name.clone())
}

/// The licenses card as it stands, with `notice`.
async fn licenses_card(
    state: &AppState, admin: &AdminUser, user: &UserDetail, notice: Option<Notice>,
) -> Result<LicensesCard, Error> {
    let summary = subscriptions::get(state, admin).await?;
    let rows = state
        .config
        .catalog
        .products()
        .iter()
        .map(|p| LicenseRow {
            key: p.key.to_string(),
            name: p.name.clone(),
            held: user.licenses.iter().any(|l| l == p.key.as_str()),
            seats: summary
                .seats
                .iter()
                .find(|(k, _)| k == p.key.as_str())
                .map(|(_, s)| *s)
                .unwrap_or(Seats { purchased: 0, assigned: 0 }),
        })
        .collect();
    Ok(LicensesCard { rows, notice })
}

/// Who may inherit the pages of `plan`: every other user of a small account, else the
/// Administrators; each says when the pages would arrive switched off.
async fn heir_choices(
    state: &AppState, admin: &AdminUser, plan: &DeletionPlan,
) -> Result<(Vec<HeirChoice>, bool), Error> {
    if plan.pages.is_empty() {
        return Ok((Vec::new(), false));
    }
    let everyone = users::list(state, admin, ListParams { limit: Some(MAX_HEIRS), ..ListParams::default() }).await?;
    let (candidates, limited) = if everyone.next_cursor.is_none() {
        (everyone.users, false)
    } else {
        let params = ListParams { role: Some(Role::Administrator), limit: Some(MAX_HEIRS), ..ListParams::default() };
        (users::list(state, admin, params).await?.users, true)
    };
    let any_enabled = plan.pages.iter().any(|p| p.enabled);
    let scheduling = product_name(state, SCHEDULING_PRODUCT);
    let selected = plan.heir.as_ref().map(|h| &h.id);
    Ok((
        candidates
            .into_iter()
            .filter(|c| c.user.id != plan.user.user.id)
            .map(|c| {
                let mut label = format!("{} ({})", c.user.name, c.user.email);
                if any_enabled && !c.licenses.iter().any(|l| l == SCHEDULING_PRODUCT) {
                    label.push_str(&format!(" — no {scheduling} license: the pages arrive switched off"));
                }
                HeirChoice { selected: Some(&c.user.id) == selected, id: c.user.id.to_string(), label }
            })
            .collect(),
        limited,
    ))
}

/// The delete card for `id`: what deleting does by default, and who else may inherit.
async fn deletion(state: &AppState, admin: &AdminUser, id: &UserId) -> Result<Deletion, Error> {
    if &admin.user.id == id {
        // One's own page has no delete card.
        return Ok(Deletion {
            outcome: Err(String::new()),
            freed: Vec::new(),
            heirs: Vec::new(),
            heirs_limited: false,
            alert: None,
        });
    }
    // The same checks as the deletion, read without the write lock.
    let outcome = match users::preview_deletion(state, admin, id, None).await {
        Ok(plan) => Ok(plan),
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. })) => Err(e.problem().detail),
        Err(e) => return Err(e),
    };
    let (heirs, heirs_limited) = match &outcome {
        Ok(plan) => heir_choices(state, admin, plan).await?,
        Err(_) => (Vec::new(), false),
    };
    let freed = match &outcome {
        Ok(plan) => plan.licenses_freed.iter().map(|k| product_name(state, k)).collect(),
        Err(_) => Vec::new(),
    };
    Ok(Deletion { outcome, freed, heirs, heirs_limited, alert: None })
}

/// Everything the page shows, with the details form filled from the stored user.
pub(super) async fn page(
    state: &AppState, admin: &AdminUser, id: &UserId, flash: Option<String>,
) -> Result<UserPage, PageError> {
    let fail = |e: Error| PageError::for_user(e, admin, Section::Users);
    let user = users::get(state, admin, id).await.map_err(fail)?;
    let is_self = &admin.user.id == id;
    let card = licenses_card(state, admin, &user, None).await.map_err(fail)?;
    let deletion = self::deletion(state, admin, id).await.map_err(fail)?;
    let invitation = match user.user.status {
        UserStatus::Invited => invitations::pending(state, admin, id).await.map_err(fail)?,
        _ => None,
    };
    Ok(UserPage {
        chrome: Some(Chrome::new(admin, Section::Users)),
        flash,
        form: details_form(&DetailsForm::from(&user)),
        is_self,
        local: admin.user.local_time(),
        access: Access { invitation, alert: None },
        card,
        deletion,
        oob: false,
        time_zones: super::me::TIME_ZONES.as_slice(),
        date_formats: DateFormat::ALL.map(DateFormat::as_str),
        notifications_form: user_settings::notifications_form(&NotificationsForm::from(&user)),
        notifications_notice: None,
        products_notice: None,
        products_form: user_settings::products_form(&ProductSettingsForm::from(&user)),
        products: state
            .config
            .catalog
            .products()
            .iter()
            .filter(|p| PRODUCTS.contains(&p.key.as_str()))
            .map(|p| ProductFieldset { key: p.key.to_string(), name: p.name.clone() })
            .collect(),
        caller_ids: VoiceCallerId::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        user,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    /// `licenses`: the message left by the last request belongs in the licenses card.
    notice: String,
}

/// `GET /users/{id}`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    // The message left by the last request belongs in the card named by `notice`.
    let (mut top, mut card_notice, mut notifications, mut products) = (None, None, None, None);
    match query.notice.as_str() {
        "licenses" => card_notice = flash.map(Notice::success),
        "notifications" => notifications = flash,
        "product-settings" => products = flash,
        _ => top = flash,
    }
    let mut page = page(&state, &admin, &id, top).await?;
    page.card.notice = card_notice;
    page.notifications_notice = notifications;
    page.products_notice = products;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /users/{id}`: saves details and role; errors are shown on the form.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
    PageForm(f): PageForm<DetailsForm>,
) -> Result<Response, PageError> {
    let patch = UserPatch {
        name: Some(f.name.clone()),
        role: (!f.role.is_empty()).then(|| f.role.clone()),
        username: f.username.as_deref().map(str::trim).map(|u| (!u.is_empty()).then(|| u.to_owned())),
        timezone: Some(f.timezone.clone()),
        date_format: Some(f.date_format.clone()),
        time_format: Some(f.time_format.clone()),
        ..UserPatch::default()
    };
    let result = match ProfilePatch::try_from(patch) {
        Ok(patch) => users::update(&state, &admin, &admin.actor, &id, patch).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(user) => {
            Ok((set_flash(&state, jar, &format!("Saved {}.", user.user.name)), see_other(&format!("/users/{id}")))
                .into_response())
        }
        Err(e) => {
            let (status, form) =
                details_form(&f).fail(e).map_err(|e| PageError::for_user(e, &admin, Section::Users))?;
            let mut page = page(&state, &admin, &id, None).await?;
            page.form = form;
            Ok(render(status, &page))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LicenseForm {
    /// `assign` or `unassign`.
    action: String,
}

/// `POST /users/{id}/licenses/{product}`: assigns or unassigns. htmx gets the card back with the
/// outcome in it (and the delete card, whose summary lists licenses); without script, a success
/// returns to the card and a refusal is shown in it.
pub async fn license(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, headers: HeaderMap,
    Path((id, product)): Path<(String, String)>, PageForm(f): PageForm<LicenseForm>,
) -> Result<Response, PageError> {
    let id: UserId = parse_id(id)?;
    let actor = admin.actor.clone();
    let result = match f.action.as_str() {
        "assign" => licenses::assign(&state, &admin, &actor, &id, &product).await,
        "unassign" => licenses::unassign(&state, &admin, &actor, &id, &product).await,
        _ => Err(Error::invalid("action", "must be assign or unassign")),
    };
    let fail = |e: Error| PageError::for_user(e, &admin, Section::Users);
    let (status, notice) = match result {
        Ok(user) => {
            let name = product_name(&state, &product);
            let message = if f.action == "assign" {
                format!("{name} license assigned to {}.", user.user.name)
            } else {
                format!("{name} license unassigned from {}.", user.user.name)
            };
            if !wants_fragment(&headers) {
                let to = format!("/users/{id}?notice=licenses#licenses");
                return Ok((set_flash(&state, jar, &message), see_other(&to)).into_response());
            }
            (StatusCode::OK, Notice::success(message))
        }
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. } | Error::Validation(_))) => {
            let detail = match &e {
                Error::Validation(v) => v.0.iter().map(|f| format!("{} {}.", f.field, f.message)).collect(),
                e => e.problem().detail,
            };
            (e.status(), Notice::error(detail))
        }
        Err(e) => return Err(fail(e)),
    };
    if wants_fragment(&headers) {
        // htmx swaps only successful answers: the refusal travels in a 200 fragment.
        let user = users::get(&state, &admin, &id).await.map_err(fail)?;
        let is_self = admin.user.id == id;
        let card = licenses_card(&state, &admin, &user, Some(notice)).await.map_err(fail)?;
        let deletion = self::deletion(&state, &admin, &id).await.map_err(fail)?;
        return Ok(render(StatusCode::OK, &LicensesFragment { user, is_self, card, deletion, oob: true }));
    }
    let mut page = page(&state, &admin, &id, None).await?;
    page.card.notice = Some(notice);
    Ok(render(status, &page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    /// The user who receives the booking pages (empty: the default heir).
    transfer_to: String,
}

/// `POST /users/{id}/delete`: deletes after the summary was shown, giving the booking pages to
/// the user chosen there.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
    PageForm(f): PageForm<DeleteForm>,
) -> Result<Response, PageError> {
    let result = match f.transfer_to.trim() {
        "" => users::delete(&state, &admin, &admin.actor, &id, None, false).await,
        raw => match UserId::parse(raw) {
            Some(to) => users::delete(&state, &admin, &admin.actor, &id, Some(&to), false).await,
            None => Err(Error::invalid("transfer_to", "is not a user of this account")),
        },
    };
    match result {
        Ok(plan) => {
            let mut message = format!("Deleted {} ({}).", plan.user.user.name, plan.user.user.email);
            if let Some(heir) = plan.heir.filter(|_| !plan.pages.is_empty()) {
                let n = plan.pages.len();
                let pages = if n == 1 {
                    "booking page now belongs".to_owned()
                } else {
                    format!("{n} booking pages now belong")
                };
                message.push_str(&format!(" Their {pages} to {}.", heir.name));
            }
            Ok((set_flash(&state, jar, &message), see_other("/users")).into_response())
        }
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. } | Error::Validation(_))) => {
            let status = e.status();
            let alert = match &e {
                Error::Validation(v) => v.0.iter().map(|f| format!("The new owner {}.", f.message)).collect(),
                e => e.problem().detail,
            };
            let mut page = page(&state, &admin, &id, None).await?;
            page.deletion.alert = Some(alert);
            Ok(render(status, &page))
        }
        Err(e) => Err(PageError::for_user(e, &admin, Section::Users)),
    }
}
