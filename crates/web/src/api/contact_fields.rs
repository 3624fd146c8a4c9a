//! Account settings › Contact fields (Administrators): `/api/v1/contact-fields[/{id}]`. The four
//! built-in fields are listed first and refuse every change (409, `rule: "system_field"`).

use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::contact_fields::{self, Field, FieldPatch, NewField};
use tenantry_domain::ValidationErrors;
use tenantry_domain::contact_field::{FieldKey, FieldType, parse_label, parse_options};
use utoipa::ToSchema;

/// A contact field, built-in (`system: true`) or custom.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactFieldView {
    /// `cfd_…`; the built-in fields have fixed ids (`cfd_first_name`, `cfd_last_name`, `cfd_email`, `cfd_phone`).
    pub id: String,
    pub key: String,
    pub label: String,
    /// `text`, `long_text`, `number`, `date`, `email`, `phone`, `url`, `single_choice`, `multiple_choice` or `checkbox`.
    pub r#type: String,
    /// The choices of a single or multiple choice field; empty for the other types.
    pub options: Vec<String>,
    pub required: bool,
    /// A built-in field: always there, read-only.
    pub system: bool,
    /// 0…n-1; the built-in fields hold 0–3.
    pub position: i64,
}

impl From<Field> for ContactFieldView {
    fn from(f: Field) -> Self {
        Self {
            id: f.id,
            key: f.key,
            label: f.label,
            r#type: f.field_type.as_str().to_owned(),
            options: f.options,
            required: f.required,
            system: f.system,
            position: f.position,
        }
    }
}

/// Every contact field, by position.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactFieldList {
    pub data: Vec<ContactFieldView>,
}

/// The account's contact fields, built-in first, by position.
#[utoipa::path(get, path = "/api/v1/contact-fields", tag = "contact fields", security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "every field, by position", body = ContactFieldList),
        (status = 401, description = "not signed in", body = Problem),
        (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn list(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<ContactFieldList>> {
    let fields = contact_fields::list(&state, &admin).await?;
    Ok(Json(ContactFieldList { data: fields.into_iter().map(Into::into).collect() }))
}

/// One contact field.
#[utoipa::path(get, path = "/api/v1/contact-fields/{id}", tag = "contact fields", params(("id" = String, Path)), security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "the field", body = ContactFieldView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such field in the account", body = Problem)))]
pub async fn get(
    State(state): State<AppState>, admin: AdminUser, Path(id): Path<String>,
) -> AppResult<Json<ContactFieldView>> {
    Ok(Json(contact_fields::get(&state, &admin, &id).await?.into()))
}

/// A new custom field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactField {
    /// `^[a-z][a-z0-9_]{0,39}$`, unique in the account (the built-in keys included); never changes.
    pub key: String,
    /// 1–100 characters.
    pub label: String,
    /// One of the field types; never changes.
    pub r#type: String,
    /// Required for `single_choice` and `multiple_choice` (non-empty, unique, at most 100 of at
    /// most 100 characters); refused for the other types.
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub required: bool,
}

impl TryFrom<CreateContactField> for NewField {
    type Error = ValidationErrors;
    fn try_from(r: CreateContactField) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let key = e.check("key", FieldKey::parse(&r.key));
        let label = e.check("label", parse_label(&r.label));
        let field_type = e.check("type", r.r#type.parse::<FieldType>());
        let options = field_type.and_then(|t| e.check("options", parse_options(t, r.options.as_deref())));
        match (key, label, field_type, options) {
            (Some(key), Some(label), Some(field_type), Some(options)) if e.is_empty() => {
                Ok(NewField { key, label, field_type, options, required: r.required })
            }
            _ => Err(e),
        }
    }
}

/// Adds a custom field after the others.
#[utoipa::path(post, path = "/api/v1/contact-fields", tag = "contact fields", request_body = CreateContactField, security(("bearer" = ["settings:write"])),
    responses((status = 201, description = "the new field", body = ContactFieldView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 409, description = "the key is taken (the error names `key`), or the account has 100 custom fields (`rule: \"field_limit\"`)", body = Problem),
        (status = 422, description = "an invalid field, e.g. `options` missing for a choice type or given for another", body = Problem)))]
pub async fn create(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<CreateContactField>,
) -> AppResult<(StatusCode, Json<ContactFieldView>)> {
    let field = contact_fields::create(&state, &admin, &admin.actor, body.try_into()?).await?;
    Ok((StatusCode::CREATED, Json(field.into())))
}

/// A change to a custom field; absent members stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchContactField {
    pub label: Option<String>,
    /// Only for choice fields; replaces the list.
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    /// From 4 to n-1: moves the field there and renumbers the others.
    pub position: Option<i64>,
    /// Never changes: naming it is refused (422).
    #[schema(value_type = Option<String>)]
    pub key: Option<serde_json::Value>,
    /// Never changes: naming it is refused (422).
    #[schema(value_type = Option<String>)]
    pub r#type: Option<serde_json::Value>,
}

impl TryFrom<PatchContactField> for FieldPatch {
    type Error = ValidationErrors;
    fn try_from(r: PatchContactField) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if r.key.is_some() {
            e.push("key", "cannot be changed: add a new field instead");
        }
        if r.r#type.is_some() {
            e.push("type", "cannot be changed: add a new field instead");
        }
        let label = r.label.and_then(|l| e.check("label", parse_label(&l)));
        e.into_result()?;
        Ok(FieldPatch { label, options: r.options, required: r.required, position: r.position })
    }
}

/// Changes a custom field's label, options, required flag or position.
#[utoipa::path(patch, path = "/api/v1/contact-fields/{id}", tag = "contact fields", params(("id" = String, Path)),
    request_body = PatchContactField, security(("bearer" = ["settings:write"])),
    responses((status = 200, description = "the field as changed", body = ContactFieldView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such field in the account", body = Problem),
        (status = 409, description = "a built-in field (`rule: \"system_field\"`)", body = Problem),
        (status = 422, description = "an invalid field; `key` or `type` named; a `position` outside 4…n-1", body = Problem)))]
pub async fn update(
    State(state): State<AppState>, admin: AdminUser, Path(id): Path<String>, ApiJson(body): ApiJson<PatchContactField>,
) -> AppResult<Json<ContactFieldView>> {
    Ok(Json(contact_fields::update(&state, &admin, &admin.actor, &id, body.try_into()?).await?.into()))
}

/// Deletes a custom field; the ones after it move up.
#[utoipa::path(delete, path = "/api/v1/contact-fields/{id}", tag = "contact fields", params(("id" = String, Path)), security(("bearer" = ["settings:write"])),
    responses((status = 204, description = "deleted"),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such field in the account", body = Problem),
        (status = 409, description = "a built-in field (`rule: \"system_field\"`)", body = Problem)))]
pub async fn delete(State(state): State<AppState>, admin: AdminUser, Path(id): Path<String>) -> AppResult<StatusCode> {
    contact_fields::delete(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
