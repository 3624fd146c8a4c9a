//! Account settings › Contact fields (Administrators): the four built-in fields, read-only, and
//! the account's custom fields — added, changed, moved and deleted, each in one transaction that
//! keeps the positions numbered 0…n-1 and writes the audit log.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::json;
use tenantry_domain::FieldError;
use tenantry_domain::contact_field::{
    FIRST_CUSTOM_POSITION, FieldKey, FieldType, MAX_CUSTOM_FIELDS, SYSTEM_FIELDS, check_position, moved, parse_options,
    system_field,
};
use tenantry_domain::id::ContactFieldId;
use tenantry_storage::Conn;
use tenantry_storage::contact_fields::{self as store, ContactField, NewContactField};

/// The rule refusing a change to a built-in field.
pub const SYSTEM_FIELD_RULE: &str = "system_field";
/// The rule refusing a custom field past [`MAX_CUSTOM_FIELDS`].
pub const FIELD_LIMIT_RULE: &str = "field_limit";

/// One contact field as the account sees it, built-in or custom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: String,
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
    pub system: bool,
    pub position: i64,
}

impl Field {
    fn custom(f: ContactField, position: usize) -> Self {
        Field {
            id: f.id.to_string(),
            key: f.key.as_str().to_owned(),
            label: f.label,
            field_type: f.field_type,
            options: f.options,
            required: f.required,
            system: false,
            position: i64::try_from(position).unwrap_or(i64::MAX),
        }
    }

    fn audit_view(&self) -> serde_json::Value {
        json!({"key": self.key, "label": self.label, "type": self.field_type.as_str(), "options": self.options,
               "required": self.required, "position": self.position})
    }
}

fn system_fields() -> impl Iterator<Item = Field> {
    (0_i64..).zip(SYSTEM_FIELDS.iter()).map(|(position, f)| Field {
        id: f.id.to_owned(),
        key: f.key.to_owned(),
        label: f.label.to_owned(),
        field_type: f.field_type,
        options: Vec::new(),
        required: false,
        system: true,
        position,
    })
}

/// A valid new custom field (the options already checked against the type).
#[derive(Debug, Clone)]
pub struct NewField {
    pub key: FieldKey,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
}

/// A change to a custom field; `None` leaves a part alone. The label is already checked; the
/// options are checked against the field's type here, the position against the field count.
#[derive(Debug, Clone, Default)]
pub struct FieldPatch {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub position: Option<i64>,
}

fn system_refusal(id: &str) -> Option<Error> {
    system_field(id).map(|f| {
        Error::rule(SYSTEM_FIELD_RULE, format!("“{}” is a built-in field: it cannot be changed or deleted.", f.label))
    })
}

/// A custom field id, or 404 (text that is not one names nothing).
fn custom_id(id: &str) -> Result<ContactFieldId> {
    ContactFieldId::parse(id).ok_or(Error::NotFound)
}

/// Every field of the account, built-in first, by position.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn list(state: &App, admin: &Admin) -> Result<Vec<Field>> {
    let mut conn = state.db.conn().await?;
    let custom = store::list(&mut conn, admin.account_id()).await?;
    Ok(with_positions(custom))
}

fn with_positions(custom: Vec<ContactField>) -> Vec<Field> {
    let custom = custom.into_iter().enumerate().map(|(i, f)| Field::custom(f, FIRST_CUSTOM_POSITION + i));
    system_fields().chain(custom).collect()
}

/// One field of the account (a built-in one by its fixed id).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &Admin, id: &str) -> Result<Field> {
    if system_field(id).is_some() {
        return system_fields().find(|f| f.id == id).ok_or(Error::NotFound);
    }
    let id = custom_id(id)?;
    list(state, admin).await?.into_iter().find(|f| f.id == id.as_str()).ok_or(Error::NotFound)
}

/// The account's custom fields under its row lock, so changes to the numbering run one at a time.
async fn locked_list(conn: &mut Conn, admin: &Admin) -> Result<Vec<ContactField>> {
    tenantry_storage::accounts::lock(conn, admin.account_id()).await?;
    Ok(store::list(conn, admin.account_id()).await?)
}

/// Numbers `fields` from position 4 in their order.
async fn renumber(conn: &mut Conn, admin: &Admin, fields: &[ContactField]) -> Result<()> {
    let ordered: Vec<_> = fields.iter().map(|f| (&f.id, f.position)).collect();
    let first = i64::try_from(FIRST_CUSTOM_POSITION).unwrap_or(4);
    store::renumber(conn, admin.account_id(), &ordered, first).await?;
    Ok(())
}

fn key_taken(key: &FieldKey) -> Error {
    Error::Conflict {
        detail: format!("The key “{key}” is already used by another contact field.", key = key.as_str()),
        errors: vec![FieldError::new("key", "is already used by another contact field")],
    }
}

/// Adds a custom field at the end.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn create(state: &App, admin: &Admin, actor: &Actor, new: NewField) -> Result<Field> {
    if new.key.is_system() {
        return Err(key_taken(&new.key));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let fields = locked_list(&mut tx, admin).await?;
    if fields.iter().any(|f| f.key == new.key) {
        return Err(key_taken(&new.key));
    }
    if fields.len() >= MAX_CUSTOM_FIELDS {
        return Err(Error::rule(
            FIELD_LIMIT_RULE,
            format!("An account can have at most {MAX_CUSTOM_FIELDS} custom contact fields. Delete one first."),
        ));
    }
    // Heal any gap first, so the new field lands right after the last one.
    renumber(&mut tx, admin, &fields).await?;
    let id = ContactFieldId::generate();
    let position = i64::try_from(FIRST_CUSTOM_POSITION + fields.len()).unwrap_or(i64::MAX);
    let row = NewContactField {
        id: &id,
        account_id: admin.account_id(),
        key: &new.key,
        label: &new.label,
        field_type: new.field_type,
        options: &new.options,
        required: new.required,
        position,
        now,
    };
    store::insert(&mut tx, &row).await.map_err(|e| match e {
        tenantry_storage::StoreError::Conflict { .. } => key_taken(&new.key),
        other => other.into(),
    })?;
    let stored = store::get(&mut tx, admin.account_id(), &id).await?.ok_or(Error::NotFound)?;
    let field = Field::custom(stored, FIRST_CUSTOM_POSITION + fields.len());
    let change = Change::new("contact_field.created", "contact_field", id.as_str()).after(field.audit_view());
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(field)
}

/// Changes a custom field's label, options, required flag or position; a new position moves it
/// and renumbers the others, all in one transaction.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn update(state: &App, admin: &Admin, actor: &Actor, id: &str, patch: FieldPatch) -> Result<Field> {
    if let Some(refusal) = system_refusal(id) {
        return Err(refusal);
    }
    let id = custom_id(id)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let fields = locked_list(&mut tx, admin).await?;
    let from = fields.iter().position(|f| f.id == id).ok_or(Error::NotFound)?;
    let before = Field::custom(fields[from].clone(), FIRST_CUSTOM_POSITION + from);
    let field_type = fields[from].field_type;

    let mut errors = tenantry_domain::ValidationErrors::new();
    let options = match &patch.options {
        Some(options) => errors.check("options", parse_options(field_type, Some(options))),
        None => Some(fields[from].options.clone()),
    };
    let total = FIRST_CUSTOM_POSITION + fields.len();
    let to = match patch.position {
        Some(p) => errors.check("position", check_position(p, total)).map(|p| p - FIRST_CUSTOM_POSITION),
        None => Some(from),
    };
    errors.into_result()?;
    let (options, to) = (options.unwrap_or_default(), to.unwrap_or(from));

    let label = patch.label.unwrap_or_else(|| fields[from].label.clone());
    let required = patch.required.unwrap_or(fields[from].required);
    store::update(&mut tx, admin.account_id(), &id, &label, &options, required, now).await?;
    if to != from {
        renumber(&mut tx, admin, &moved(fields, from, to)).await?;
    } else {
        renumber(&mut tx, admin, &fields).await?;
    }
    let after = store::list(&mut tx, admin.account_id()).await?;
    let index = after.iter().position(|f| f.id == id).ok_or(Error::NotFound)?;
    let field = Field::custom(after[index].clone(), FIRST_CUSTOM_POSITION + index);
    if field != before {
        let change = Change::new("contact_field.updated", "contact_field", id.as_str())
            .before(before.audit_view())
            .after(field.audit_view());
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(field)
}

/// Deletes a custom field; the fields after it move up.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn delete(state: &App, admin: &Admin, actor: &Actor, id: &str) -> Result<()> {
    if let Some(refusal) = system_refusal(id) {
        return Err(refusal);
    }
    let id = custom_id(id)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut fields = locked_list(&mut tx, admin).await?;
    let index = fields.iter().position(|f| f.id == id).ok_or(Error::NotFound)?;
    let gone = fields.remove(index);
    let before = Field::custom(gone, FIRST_CUSTOM_POSITION + index);
    store::delete(&mut tx, admin.account_id(), &id).await?;
    renumber(&mut tx, admin, &fields).await?;
    let change = Change::new("contact_field.deleted", "contact_field", id.as_str()).before(before.audit_view());
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(())
}
