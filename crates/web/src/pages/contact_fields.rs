//! Account settings › Contact fields (Administrators): the built-in fields (read-only), the custom
//! fields in order with "Move up"/"Move down" forms (drag and drop posts the same form when script
//! runs), a form to add a field, and a page per field to change or delete it. Same services as
//! `/api/v1/contact-fields`.

use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::api::contact_fields::{CreateContactField, PatchContactField};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::contact_fields::{self, Field, FieldPatch, NewField};
use tenantry_domain::contact_field::{FieldType, MAX_CUSTOM_FIELDS};

/// The routes of this section.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/contact-fields", get(list).post(create))
        .route("/account/contact-fields/{id}", get(show).post(save))
        .route("/account/contact-fields/{id}/move", post(move_field))
        .route("/account/contact-fields/{id}/delete", post(delete))
}

/// A field type offered in the "Type" select.
struct TypeChoice {
    value: &'static str,
    label: &'static str,
    has_options: bool,
}

fn type_choices() -> Vec<TypeChoice> {
    FieldType::ALL
        .iter()
        .map(|t| TypeChoice { value: t.as_str(), label: t.label(), has_options: t.has_options() })
        .collect()
}

/// One row of the list.
struct Row {
    field: Field,
    type_label: &'static str,
    /// Positions to post for "Move up" and "Move down", when the field can go that way.
    up: Option<i64>,
    down: Option<i64>,
}

#[derive(Template)]
#[template(path = "account/contact_fields.html")]
struct ListPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// A refusal of a move (shown above the list).
    alert: Option<String>,
    system: Vec<Row>,
    custom: Vec<Row>,
    types: Vec<TypeChoice>,
    full: bool,
    max: usize,
    form: FormState,
}

#[derive(Template)]
#[template(path = "account/contact_field.html")]
struct EditPage {
    chrome: Option<Chrome>,
    field: Field,
    type_label: &'static str,
    has_options: bool,
    form: FormState,
}

/// An error page under this section's navigation.
fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::ContactFields)
}

fn rows(fields: Vec<Field>) -> (Vec<Row>, Vec<Row>) {
    let last = fields.last().map_or(0, |f| f.position);
    let first_custom = i64::try_from(tenantry_domain::contact_field::FIRST_CUSTOM_POSITION).unwrap_or(4);
    let (system, custom): (Vec<Row>, Vec<Row>) = fields
        .into_iter()
        .map(|field| {
            let custom = !field.system;
            let up = (custom && field.position > first_custom).then(|| field.position - 1);
            let down = (custom && field.position < last).then(|| field.position + 1);
            Row { type_label: field.field_type.label(), up, down, field }
        })
        .partition(|r| r.field.system);
    (system, custom)
}

async fn list_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, alert: Option<String>, form: FormState,
) -> Result<ListPage, PageError> {
    let fields = contact_fields::list(state, admin).await.map_err(fail(admin))?;
    let (system, custom) = rows(fields);
    Ok(ListPage {
        chrome: Some(Chrome::new(admin, Section::ContactFields)),
        flash,
        alert,
        full: custom.len() >= MAX_CUSTOM_FIELDS,
        max: MAX_CUSTOM_FIELDS,
        system,
        custom,
        types: type_choices(),
        form,
    })
}

/// The lines of an options box: one option a line, blank lines left out.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    key: String,
    label: String,
    r#type: String,
    options: String,
    required: String,
}

impl AddForm {
    fn state(&self) -> FormState {
        FormState::with(vec![
            ("key", self.key.clone()),
            ("label", self.label.clone()),
            ("type", self.r#type.clone()),
            ("options", self.options.clone()),
            ("required", self.required.clone()),
        ])
    }

    fn new_field(&self) -> Result<NewField, Error> {
        let options = lines(&self.options);
        let request = CreateContactField {
            key: self.key.trim().to_owned(),
            label: self.label.clone(),
            r#type: self.r#type.clone(),
            options: (!options.is_empty()).then_some(options),
            required: self.required == "on",
        };
        NewField::try_from(request).map_err(Error::Validation)
    }
}

fn empty_add_form() -> FormState {
    AddForm { r#type: "text".to_owned(), ..AddForm::default() }.state()
}

/// `GET /account/contact-fields`.
pub async fn list(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = list_page(&state, &admin, flash, None, empty_add_form()).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/contact-fields`: adds a field at the end; errors next to their fields.
pub async fn create(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<AddForm>,
) -> Result<Response, PageError> {
    let result = match f.new_field() {
        Ok(new) => contact_fields::create(&state, &admin, &admin.actor, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(field) => {
            let jar = set_flash(&state, jar, &format!("The field “{}” has been added.", field.label));
            Ok((jar, see_other(&format!("/account/contact-fields#field-{}", field.id))).into_response())
        }
        Err(e) => {
            let (status, form) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &list_page(&state, &admin, None, None, form).await?))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    label: String,
    options: String,
    required: String,
}

impl EditForm {
    fn of(field: &Field) -> Self {
        Self {
            label: field.label.clone(),
            options: field.options.join("\n"),
            required: if field.required { "on".to_owned() } else { String::new() },
        }
    }

    fn state(&self) -> FormState {
        FormState::with(vec![
            ("label", self.label.clone()),
            ("options", self.options.clone()),
            ("required", self.required.clone()),
        ])
    }

    fn patch(&self, field_type: FieldType) -> Result<FieldPatch, Error> {
        let request = PatchContactField {
            label: Some(self.label.clone()),
            options: field_type.has_options().then(|| lines(&self.options)),
            required: Some(self.required == "on"),
            ..PatchContactField::default()
        };
        FieldPatch::try_from(request).map_err(Error::Validation)
    }
}

fn edit_page(admin: &AdminUser, field: Field, form: FormState) -> EditPage {
    EditPage {
        chrome: Some(Chrome::new(admin, Section::ContactFields)),
        type_label: field.field_type.label(),
        has_options: field.field_type.has_options(),
        field,
        form,
    }
}

/// A built-in field has no page of its own: the list shows all there is to it.
async fn custom_field(state: &AppState, admin: &AdminUser, id: &str) -> Result<Field, PageError> {
    let field = contact_fields::get(state, admin, id).await.map_err(fail(admin))?;
    if field.system {
        return Err(fail(admin)(Error::NotFound));
    }
    Ok(field)
}

/// `GET /account/contact-fields/{id}`: the field's label, options and required flag.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, Path(id): Path<String>,
) -> Result<Response, PageError> {
    let field = custom_field(&state, &admin, &id).await?;
    let form = EditForm::of(&field).state();
    Ok(render(StatusCode::OK, &edit_page(&admin, field, form)))
}

/// `POST /account/contact-fields/{id}`: saves the label, options and required flag.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Path(id): Path<String>,
    PageForm(f): PageForm<EditForm>,
) -> Result<Response, PageError> {
    let field = custom_field(&state, &admin, &id).await?;
    let result = match f.patch(field.field_type) {
        Ok(patch) => contact_fields::update(&state, &admin, &admin.actor, &id, patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(saved) => {
            let jar = set_flash(&state, jar, &format!("The field “{}” has been saved.", saved.label));
            Ok((jar, see_other(&format!("/account/contact-fields#field-{}", saved.id))).into_response())
        }
        Err(e) => {
            let (status, form) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &edit_page(&admin, field, form)))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    position: String,
}

/// `POST /account/contact-fields/{id}/move`: moves the field to `position` (the "Move up" and
/// "Move down" buttons, and drag and drop).
pub async fn move_field(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Path(id): Path<String>,
    PageForm(f): PageForm<MoveForm>,
) -> Result<Response, PageError> {
    let result = match f.position.trim().parse::<i64>() {
        Ok(position) => {
            let patch = FieldPatch { position: Some(position), ..FieldPatch::default() };
            contact_fields::update(&state, &admin, &admin.actor, &id, patch).await
        }
        Err(_) => Err(Error::invalid("position", "must be a whole number")),
    };
    match result {
        Ok(field) => {
            let message = format!("“{}” is now field {} of the list.", field.label, field.position + 1);
            let jar = set_flash(&state, jar, &message);
            Ok((jar, see_other(&format!("/account/contact-fields#field-{}", field.id))).into_response())
        }
        Err(e @ (Error::NotFound | Error::Unexpected(_) | Error::Forbidden(_))) => Err(fail(&admin)(e)),
        Err(e) => {
            let (status, form) = FormState::default().fail(e).map_err(fail(&admin))?;
            let alert = match form.other_errors().first() {
                Some(detail) => Some(format!("The field could not be moved: {detail}.")),
                None => form.alert.clone(),
            };
            Ok(render(status, &list_page(&state, &admin, None, alert, empty_add_form()).await?))
        }
    }
}

/// `POST /account/contact-fields/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Path(id): Path<String>,
) -> Result<Response, PageError> {
    let field = custom_field(&state, &admin, &id).await?;
    contact_fields::delete(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let jar = set_flash(&state, jar, &format!("The field “{}” has been deleted.", field.label));
    Ok((jar, see_other("/account/contact-fields")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_one_per_line() {
        assert_eq!(lines(" Retail \r\n\r\nBanking\n  \n"), ["Retail", "Banking"]);
        assert!(lines("\n \n").is_empty());
    }
}
