//! Booking pages: Members see and change their own; Administrators all of their account's.
//! A page is enabled only while its owner holds a scheduling license (rule 5).

use crate::audit::{self, Change};
use crate::{Actor, App, Error, Principal, Result, refused};
use serde_json::json;
use tenantry_domain::rules::{self, disabled_reason};
use tenantry_domain::{BookingPageId, PageName, Role, SCHEDULING_PRODUCT, Slug, UserId};
use tenantry_storage::booking_pages::{self, BookingPage, NewBookingPage, PageChange};
use tenantry_storage::{Conn, accounts, licenses, users};

/// Most pages one page of the list holds.
pub const MAX_PAGE: i64 = 200;

/// A valid new page.
pub struct NewPage {
    pub name: PageName,
    pub slug: Slug,
    /// Someone else's id: only Administrators may create pages for others.
    pub owner_id: Option<String>,
    /// Absent: enabled when the owner holds a scheduling license.
    pub enabled: Option<bool>,
}

/// A valid change to a page.
#[derive(Default)]
pub struct PagePatch {
    pub name: Option<PageName>,
    pub slug: Option<Slug>,
    pub enabled: Option<bool>,
}

fn audit_view(p: &BookingPage) -> serde_json::Value {
    json!({"id": p.id, "owner_id": p.owner_id, "name": p.name, "slug": p.slug, "enabled": p.enabled, "disabled_reason": p.disabled_reason})
}

async fn holds_scheduling(conn: &mut Conn, owner: &UserId) -> Result<bool> {
    Ok(licenses::of_user(conn, owner).await?.iter().any(|p| p == SCHEDULING_PRODUCT))
}

/// Rule 5: switches off every enabled page of `owner`, who holds no scheduling license, with
/// `reason`; each is audited and emitted as `booking_page.disabled`.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn disable_unlicensed(conn: &mut Conn, actor: &Actor, owner: &UserId, reason: &str, now: i64) -> Result<()> {
    for page in booking_pages::disable_all_of(conn, owner, reason, now).await? {
        let data = json!({"booking_page_id": page.id, "owner_id": page.owner_id, "reason": reason});
        audit::record(
            conn,
            actor,
            Change::new("booking_page.disabled", "booking_page", &page.id).after(data.clone()),
            now,
        )
        .await?;
        audit::emit(conn, &actor.account_id, "booking_page.disabled", data, now).await?;
    }
    Ok(())
}

/// A page `me` may see: their own, or any of the account's for an Administrator; else 404.
async fn visible(conn: &mut Conn, me: &Principal, id: &str) -> Result<BookingPage> {
    let page = booking_pages::get(conn, &me.user.account_id, id).await?.ok_or(Error::NotFound)?;
    if me.user.role != Role::Administrator && page.owner_id != me.user.id {
        return Err(Error::NotFound);
    }
    Ok(page)
}

/// The pages `me` may see, oldest first; `owner` narrows an Administrator's list.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list(
    state: &App, me: &Principal, owner: Option<&str>, after: Option<(i64, String)>, limit: i64,
) -> Result<Vec<BookingPage>> {
    if !(1..=MAX_PAGE + 1).contains(&limit) {
        return Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let owner = match (me.user.role, owner) {
        (Role::Administrator, None) => None,
        (Role::Administrator, Some(o)) => {
            Some(UserId::parse(o).ok_or_else(|| Error::invalid("owner_id", "is not a user id"))?)
        }
        // A Member's list is always their own, whatever they ask for.
        (Role::Member, _) => Some(me.user.id.clone()),
    };
    let mut conn = state.db.conn().await?;
    Ok(booking_pages::list(&mut conn, &me.user.account_id, owner.as_ref(), after, limit).await?)
}

/// A page as the list shows it: with its owner's name, and whether it can be switched on.
#[derive(Debug, Clone)]
pub struct ListedPage {
    pub page: BookingPage,
    pub owner: String,
    /// The owner holds a Scheduling license (without one, switching on is refused).
    pub owner_licensed: bool,
}

/// The first `limit` pages `me` may see, each with its owner's name and license.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_with_owner_names(state: &App, me: &Principal, limit: i64) -> Result<Vec<ListedPage>> {
    let pages = list(state, me, None, None, limit).await?;
    let owners: Vec<&UserId> = pages.iter().map(|p| &p.owner_id).collect();
    let mut conn = state.db.conn().await?;
    let names = users::names_of(&mut conn, &me.user.account_id, &owners).await?;
    let held = licenses::HELD.of_users(&mut conn, &me.user.account_id, &owners).await?;
    Ok(pages
        .into_iter()
        .map(|page| {
            let owner = names.get(page.owner_id.as_str()).cloned().unwrap_or_default();
            let owner_licensed =
                held.get(page.owner_id.as_str()).is_some_and(|l| l.iter().any(|p| p == SCHEDULING_PRODUCT));
            ListedPage { page, owner, owner_licensed }
        })
        .collect())
}

/// One page `me` may see.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn get(state: &App, me: &Principal, id: &str) -> Result<BookingPage> {
    let mut conn = state.db.conn().await?;
    visible(&mut conn, me, id).await
}

/// Creates a page for `me` (or, for an Administrator, for another user of the account).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn create(state: &App, me: &Principal, actor: &Actor, input: NewPage) -> Result<BookingPage> {
    let account_id = &me.user.account_id;
    let owner_id = match input.owner_id.as_deref() {
        None => me.user.id.clone(),
        Some(o) if o == me.user.id.as_str() => me.user.id.clone(),
        Some(_) if me.user.role != Role::Administrator => {
            return Err(Error::Forbidden("Only Administrators create booking pages for other users."));
        }
        Some(o) => UserId::parse(o).ok_or_else(|| Error::invalid("owner_id", "is not a user of this account"))?,
    };
    let now = state.now();
    let id = BookingPageId::generate();
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, account_id).await?;
    if users::get(&mut tx, account_id, &owner_id).await?.is_none() {
        return Err(Error::invalid("owner_id", "is not a user of this account"));
    }
    let licensed = holds_scheduling(&mut tx, &owner_id).await?;
    let enabled = input.enabled.unwrap_or(licensed);
    if enabled {
        rules::ensure_the_owner_may_have_enabled_pages(licensed).map_err(refused)?;
    }
    let reason =
        (!enabled).then_some(if licensed { disabled_reason::DISABLED_BY_USER } else { disabled_reason::NO_LICENSE });
    booking_pages::insert(
        &mut tx,
        NewBookingPage {
            id: &id,
            account_id,
            owner_id: &owner_id,
            name: input.name.as_str(),
            slug: input.slug.as_str(),
            enabled,
            disabled_reason: reason,
            now,
        },
    )
    .await?;
    let page = booking_pages::get(&mut tx, account_id, id.as_str()).await?.ok_or(Error::NotFound)?;
    audit::record(
        &mut tx,
        actor,
        Change::new("booking_page.created", "booking_page", &page.id).after(audit_view(&page)),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    Ok(page)
}

/// Changes a page `me` may see. Enabling needs the owner's scheduling license.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn update(state: &App, me: &Principal, actor: &Actor, id: &str, patch: PagePatch) -> Result<BookingPage> {
    let account_id = &me.user.account_id;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, account_id).await?;
    let before = visible(&mut tx, me, id).await?;
    let enabled = match patch.enabled {
        Some(true) if !before.enabled => {
            rules::ensure_the_owner_may_have_enabled_pages(holds_scheduling(&mut tx, &before.owner_id).await?)
                .map_err(refused)?;
            Some((true, None))
        }
        Some(false) if before.enabled => Some((false, Some(disabled_reason::DISABLED_BY_USER))),
        _ => None,
    };
    let change = PageChange {
        name: patch.name.as_ref().map(PageName::as_str),
        slug: patch.slug.as_ref().map(Slug::as_str),
        enabled,
    };
    booking_pages::update(&mut tx, account_id, id, &change, now).await?;
    let after = booking_pages::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if after != before {
        let change = Change::new("booking_page.updated", "booking_page", &after.id)
            .before(audit_view(&before))
            .after(audit_view(&after));
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(after)
}

/// Deletes a page `me` may see.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn delete(state: &App, me: &Principal, actor: &Actor, id: &str) -> Result<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let page = visible(&mut tx, me, id).await?;
    booking_pages::delete(&mut tx, &me.user.account_id, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("booking_page.deleted", "booking_page", &page.id).before(audit_view(&page)),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    Ok(())
}
