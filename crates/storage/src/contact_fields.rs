//! An account's custom contact fields (the built-in ones are not stored: they always hold
//! positions 0–3). Options are kept as a JSON array of strings.

use crate::{Result, StoreError, flag};
use sqlx::AnyConnection;
use tenantry_domain::AccountId;
use tenantry_domain::contact_field::{FieldKey, FieldType};
use tenantry_domain::id::ContactFieldId;

/// A custom contact field as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactField {
    pub id: ContactFieldId,
    pub key: FieldKey,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    key: String,
    label: String,
    #[sqlx(rename = "type")]
    field_type: String,
    options: String,
    required: i64,
    position: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for ContactField {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        Ok(ContactField {
            id: ContactFieldId::parse(&r.id).ok_or_else(|| StoreError::corrupt("contact_fields.id"))?,
            key: FieldKey::parse(&r.key).map_err(|_| StoreError::corrupt("contact_fields.key"))?,
            label: r.label,
            field_type: r.field_type.parse().map_err(|_| StoreError::corrupt("contact_fields.type"))?,
            options: serde_json::from_str(&r.options).map_err(|_| StoreError::corrupt("contact_fields.options"))?,
            required: r.required != 0,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "id, key, label, type, options, required, position, created_at, updated_at";

fn options_json(options: &[String]) -> String {
    serde_json::Value::from(options).to_string()
}

/// The account's custom fields, by position.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<ContactField>> {
    let q = format!("SELECT {COLUMNS} FROM contact_fields WHERE account_id = $1 ORDER BY position, created_at, id");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(q)).bind(account_id.as_str()).fetch_all(conn).await?;
    rows.into_iter().map(ContactField::try_from).collect()
}

/// One custom field of the account.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn get(
    conn: &mut AnyConnection, account_id: &AccountId, id: &ContactFieldId,
) -> Result<Option<ContactField>> {
    let q = format!("SELECT {COLUMNS} FROM contact_fields WHERE account_id = $1 AND id = $2");
    let row: Option<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(q)).bind(account_id.as_str()).bind(id.as_str()).fetch_optional(conn).await?;
    row.map(ContactField::try_from).transpose()
}

/// The keys of the account's custom fields, by position (e.g. to check a CRM field mapping).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn custom_keys(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT key FROM contact_fields WHERE account_id = $1 ORDER BY position, created_at, id")
        .bind(account_id.as_str())
        .fetch_all(conn)
        .await?)
}

/// A custom field to add.
#[derive(Debug)]
pub struct NewContactField<'a> {
    pub id: &'a ContactFieldId,
    pub account_id: &'a AccountId,
    pub key: &'a FieldKey,
    pub label: &'a str,
    pub field_type: FieldType,
    pub options: &'a [String],
    pub required: bool,
    pub position: i64,
    pub now: i64,
}

/// Adds a custom field; a key the account already uses is [`StoreError::Conflict`] naming `key`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %f.account_id, id = %f.id))]
pub async fn insert(conn: &mut AnyConnection, f: &NewContactField<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO contact_fields (id, account_id, key, label, type, options, required, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(f.id.as_str())
    .bind(f.account_id.as_str())
    .bind(f.key.as_str())
    .bind(f.label)
    .bind(f.field_type.as_str())
    .bind(options_json(f.options))
    .bind(flag(f.required))
    .bind(f.position)
    .bind(f.now)
    .execute(conn)
    .await
    .map_err(|e| match e.as_database_error() {
        Some(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => StoreError::Conflict { field: "key" },
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

/// Sets a field's label, options and required flag.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn update(
    conn: &mut AnyConnection, account_id: &AccountId, id: &ContactFieldId, label: &str, options: &[String],
    required: bool, now: i64,
) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query(
            "UPDATE contact_fields SET label = $1, options = $2, required = $3, updated_at = $4 \
             WHERE account_id = $5 AND id = $6",
        )
        .bind(label.to_owned())
        .bind(options_json(options))
        .bind(flag(required))
        .bind(now)
        .bind(account_id.as_str())
        .bind(id.as_str()),
    )
    .await
}

/// Numbers the account's custom fields in the order given, from position 4; only rows whose
/// position changes are written.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn renumber(
    conn: &mut AnyConnection, account_id: &AccountId, ordered: &[(&ContactFieldId, i64)], first: i64,
) -> Result<()> {
    for (offset, (id, current)) in (0_i64..).zip(ordered) {
        let position = first + offset;
        if *current == position {
            continue;
        }
        sqlx::query("UPDATE contact_fields SET position = $1 WHERE account_id = $2 AND id = $3")
            .bind(position)
            .bind(account_id.as_str())
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes a custom field.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId, id: &ContactFieldId) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query("DELETE FROM contact_fields WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id.as_str()),
    )
    .await
}
