//! Assigning and unassigning licenses, under the account's seat and licensed-Administrator rules.

use crate::audit::{self, Change};
use crate::user_detail::{UserDetail, detail};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::json;
use tenantry_domain::rules::{self, disabled_reason};
use tenantry_domain::{AccountId, Product, ProductKey, Role, SubscriptionStatus, UserId};
use tenantry_storage::subscriptions::{self, Subscription};
use tenantry_storage::users::User;
use tenantry_storage::{Conn, accounts, licenses, users};

use crate::refused;

/// The catalog's product named `key`; other names are 404 (there is no such license).
pub fn product(state: &App, key: &str) -> Result<ProductKey> {
    catalog_entry(state, key).map(|p| p.key)
}

/// The catalog's entry (key and display name) for `key`; other names are 404.
pub fn catalog_entry(state: &App, key: &str) -> Result<Product> {
    state.config.catalog.get(key).cloned().ok_or(Error::NotFound)
}

/// The account's subscription (every account has one from its creation).
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn subscription(conn: &mut Conn, account_id: &AccountId) -> Result<Subscription> {
    subscriptions::get(conn, account_id)
        .await?
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("account {account_id} has no subscription")))
}

/// Assigns `product` to `user` in the caller's transaction, which holds the account lock.
/// Holding it already changes nothing. A refusal names the product as people know it.
#[tracing::instrument(skip_all)]
pub async fn assign_in(
    conn: &mut Conn, actor: &Actor, sub: &Subscription, user: &User, entry: &Product, now: i64,
) -> Result<()> {
    let product = &entry.key;
    let assigned = licenses::assigned(conn, &user.account_id, product.as_str()).await?;
    let held = licenses::of_user(conn, &user.id).await?;
    if held.iter().any(|p| p == product.as_str()) {
        return Ok(());
    }
    rules::ensure_a_seat_is_free(&entry.name, sub.purchased(product.as_str()), assigned).map_err(refused)?;
    licenses::HELD.insert(conn, &user.account_id, &user.id, product.as_str(), now).await?;
    let data = json!({"user_id": user.id.as_str(), "product": product.as_str()});
    audit::record(conn, actor, Change::new("license.assigned", "user", user.id.as_str()).after(data.clone()), now)
        .await?;
    audit::emit(conn, &user.account_id, "license.assigned", data, now).await?;
    Ok(())
}

/// Opens a transaction holding the account lock, with the account's user `user_id` (else 404).
async fn locked_user(state: &App, actor: &Actor, id: &UserId) -> Result<(tenantry_storage::Tx, User)> {
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, &actor.account_id).await?;
    let user = users::get(&mut tx, &actor.account_id, id).await?.ok_or(Error::NotFound)?;
    Ok((tx, user))
}

/// Assigns a license (rule 1: only while a seat is free).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %user_id))]
pub async fn assign(state: &App, admin: &Admin, actor: &Actor, user_id: &UserId, product: &str) -> Result<UserDetail> {
    let product = catalog_entry(state, product)?;
    let now = state.now();
    let (mut tx, user) = locked_user(state, actor, user_id).await?;
    let sub = subscription(&mut tx, admin.account_id()).await?;
    assign_in(&mut tx, actor, &sub, &user, &product, now).await?;
    let detail = detail(&mut tx, user).await?;
    tenantry_storage::commit(tx).await?;
    Ok(detail)
}

/// Unassigns a license. Rule 2: a paid account keeps a licensed Administrator. Rule 5: losing
/// the scheduling license disables the user's booking pages.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %user_id))]
pub async fn unassign(
    state: &App, admin: &Admin, actor: &Actor, user_id: &UserId, product: &str,
) -> Result<UserDetail> {
    let product = self::product(state, product)?;
    let now = state.now();
    let (mut tx, user) = locked_user(state, actor, user_id).await?;
    let held = licenses::of_user(&mut tx, &user.id).await?;
    if held.iter().any(|p| p == product.as_str()) {
        let sub = subscription(&mut tx, admin.account_id()).await?;
        if user.role == Role::Administrator {
            let keeps_one = held.len() > 1;
            let others = licenses::licensed_administrators_except(&mut tx, admin.account_id(), &user.id).await?;
            rules::ensure_a_licensed_administrator_remains(sub.status, others + i64::from(keeps_one))
                .map_err(refused)?;
        }
        licenses::HELD.delete(&mut tx, &user.id, product.as_str()).await?;
        let data = json!({"user_id": user.id.as_str(), "product": product.as_str()});
        audit::record(
            &mut tx,
            actor,
            Change::new("license.unassigned", "user", user.id.as_str()).before(data.clone()),
            now,
        )
        .await?;
        audit::emit(&mut tx, &user.account_id, "license.unassigned", data, now).await?;
        if rules::unassigning_disables_booking_pages(&product) {
            crate::booking_pages::disable_unlicensed(
                &mut tx,
                actor,
                &user.id,
                disabled_reason::LICENSE_UNASSIGNED,
                now,
            )
            .await?;
        }
    }
    let detail = detail(&mut tx, user).await?;
    tenantry_storage::commit(tx).await?;
    Ok(detail)
}

/// Rule 2 for a change that takes `user`'s Administrator standing away (demotion, deletion):
/// refused when it would leave a paid account with no licensed Administrator.
#[tracing::instrument(skip_all)]
pub async fn ensure_licensed_administrator_survives(
    conn: &mut Conn, status: SubscriptionStatus, user: &User,
) -> Result<()> {
    if user.role != Role::Administrator || licenses::of_user(conn, &user.id).await?.is_empty() {
        return Ok(());
    }
    let others = licenses::licensed_administrators_except(conn, &user.account_id, &user.id).await?;
    rules::ensure_a_licensed_administrator_remains(status, others).map_err(refused)
}
