//! Booking pages: the built-in resource a user owns, kept enabled by a scheduling license.

use crate::{Result, StoreError, changed_one};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, BookingPageId, UserId};

/// A booking page as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingPage {
    pub id: String,
    pub owner_id: UserId,
    pub name: String,
    pub slug: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    #[sqlx(try_from = "String")]
    owner_id: UserId,
    name: String,
    slug: String,
    enabled: i64,
    disabled_reason: Option<String>,
    created_at: i64,
}

impl From<Row> for BookingPage {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            owner_id: r.owner_id,
            name: r.name,
            slug: r.slug,
            enabled: r.enabled != 0,
            disabled_reason: r.disabled_reason,
            created_at: r.created_at,
        }
    }
}

/// What creating a page needs.
pub struct NewBookingPage<'a> {
    pub id: &'a BookingPageId,
    pub account_id: &'a AccountId,
    pub owner_id: &'a UserId,
    pub name: &'a str,
    pub slug: &'a str,
    pub enabled: bool,
    pub disabled_reason: Option<&'a str>,
    pub now: i64,
}

/// Creates a page; a taken slug answers `Conflict { field: "slug" }`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, p: NewBookingPage<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO booking_pages (id, account_id, owner_id, name, slug, enabled, disabled_reason, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(p.id.as_str())
    .bind(p.account_id.as_str())
    .bind(p.owner_id.as_str())
    .bind(p.name)
    .bind(p.slug)
    .bind(crate::flag(p.enabled))
    .bind(p.disabled_reason)
    .bind(p.now)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// One page of an account; another account's page is `None`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId, id: &str) -> Result<Option<BookingPage>> {
    const Q: &str = "SELECT id, owner_id, name, slug, enabled, disabled_reason, created_at FROM booking_pages WHERE id = $1 AND account_id = $2";
    let row: Option<Row> = sqlx::query_as(Q).bind(id).bind(account_id.as_str()).fetch_optional(conn).await?;
    Ok(row.map(BookingPage::from))
}

/// An account's pages (only `owner`'s when given), oldest first, after the keyset position `after`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(
    conn: &mut AnyConnection, account_id: &AccountId, owner: Option<&UserId>, after: Option<(i64, String)>, limit: i64,
) -> Result<Vec<BookingPage>> {
    const Q: &str = "SELECT id, owner_id, name, slug, enabled, disabled_reason, created_at FROM booking_pages \
         WHERE account_id = $1 AND ($2 = '' OR owner_id = $2) AND ($3 = 0 OR created_at > $4 OR (created_at = $4 AND id > $5)) \
         ORDER BY created_at, id LIMIT $6";
    let (at, id) = after.clone().unwrap_or_default();
    let rows: Vec<Row> = sqlx::query_as(Q)
        .bind(account_id.as_str())
        .bind(owner.map(UserId::as_str).unwrap_or(""))
        .bind(crate::flag(after.is_some()))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(BookingPage::from).collect())
}

/// Every page a user owns, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(owner_id = %owner))]
pub async fn of_owner(conn: &mut AnyConnection, owner: &UserId) -> Result<Vec<BookingPage>> {
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, owner_id, name, slug, enabled, disabled_reason, created_at FROM booking_pages WHERE owner_id = $1 ORDER BY created_at, id")
            .bind(owner.as_str())
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(BookingPage::from).collect())
}

/// The fields a change may set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct PageChange<'a> {
    pub name: Option<&'a str>,
    pub slug: Option<&'a str>,
    /// The new enabled flag and, when disabling, the reason.
    pub enabled: Option<(bool, Option<&'a str>)>,
}

/// Applies a change; a taken slug answers `Conflict { field: "slug" }`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn update(
    conn: &mut AnyConnection, account_id: &AccountId, id: &str, c: &PageChange<'_>, now: i64,
) -> Result<bool> {
    const Q: &str = "UPDATE booking_pages SET name = COALESCE($1, name), slug = COALESCE($2, slug), \
         enabled = CASE WHEN $3 = 1 THEN $4 ELSE enabled END, \
         disabled_reason = CASE WHEN $3 = 1 THEN $5 ELSE disabled_reason END, updated_at = $6 \
         WHERE id = $7 AND account_id = $8";
    let (set_enabled, enabled, reason) = match c.enabled {
        Some((e, r)) => (1, crate::flag(e), r),
        None => (0, 0, None),
    };
    changed_one(
        conn,
        sqlx::query(Q)
            .bind(c.name)
            .bind(c.slug)
            .bind(set_enabled)
            .bind(enabled)
            .bind(reason)
            .bind(now)
            .bind(id)
            .bind(account_id.as_str()),
    )
    .await
}

/// Deletes a page of an account.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId, id: &str) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("DELETE FROM booking_pages WHERE id = $1 AND account_id = $2").bind(id).bind(account_id.as_str()),
    )
    .await
}

/// Disables every enabled page of `owner` with `reason`; answers the pages it disabled.
#[tracing::instrument(level = "debug", skip_all, fields(owner_id = %owner))]
pub async fn disable_all_of(
    conn: &mut AnyConnection, owner: &UserId, reason: &str, now: i64,
) -> Result<Vec<BookingPage>> {
    let pages: Vec<BookingPage> = of_owner(conn, owner).await?.into_iter().filter(|p| p.enabled).collect();
    sqlx::query("UPDATE booking_pages SET enabled = 0, disabled_reason = $1, updated_at = $2 WHERE owner_id = $3 AND enabled = 1")
        .bind(reason)
        .bind(now)
        .bind(owner.as_str())
        .execute(conn)
        .await?;
    Ok(pages)
}

/// Gives every page of `from` to `to`; answers the pages moved (as they were).
#[tracing::instrument(level = "debug", skip_all, fields(from_id = %from, to_id = %to))]
pub async fn transfer_all(conn: &mut AnyConnection, from: &UserId, to: &UserId, now: i64) -> Result<Vec<BookingPage>> {
    let pages = of_owner(conn, from).await?;
    sqlx::query("UPDATE booking_pages SET owner_id = $1, updated_at = $2 WHERE owner_id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(from.as_str())
        .execute(conn)
        .await?;
    Ok(pages)
}
