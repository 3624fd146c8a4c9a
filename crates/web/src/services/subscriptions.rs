//! The account's subscription: what Administrators see, what the operator (billing) changes.

use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Actor, Change};
use crate::services::licenses::{refused, subscription};
use crate::state::AppState;
use serde_json::json;
use std::collections::BTreeMap;
use tenantry_domain::{AccountId, ProductKey, SubscriptionStatus, rules};
use tenantry_storage::subscriptions::{self, Subscription};
use tenantry_storage::{Conn, accounts, licenses};

/// Seats of one product: bought and taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    pub purchased: i64,
    pub assigned: i64,
}

/// A subscription with its seat counts for every product of the catalog.
#[derive(Debug, Clone)]
pub struct SubscriptionSummary {
    pub plan: String,
    pub status: SubscriptionStatus,
    pub cycle_start: i64,
    /// By product key, in catalog order.
    pub seats: Vec<(String, Seats)>,
}

/// The plan every new account starts on.
pub const TRIAL_PLAN: &str = "trial";

/// Starts a new account's trial, with the configured seats of every product, in the caller's transaction.
pub async fn start_trial(state: &AppState, conn: &mut Conn, account_id: &AccountId, now: i64) -> AppResult<()> {
    let seats: Vec<(&str, i64)> =
        state.config.catalog.products().iter().map(|p| (p.key.as_str(), state.config.trial_seats)).collect();
    subscriptions::insert(conn, account_id, TRIAL_PLAN, SubscriptionStatus::Trial, &seats, now).await?;
    Ok(())
}

/// Seats bought and assigned per catalog product.
pub async fn summarize(
    state: &AppState, conn: &mut Conn, account_id: &AccountId, sub: Subscription,
) -> AppResult<SubscriptionSummary> {
    let assigned: BTreeMap<String, i64> = licenses::assigned_counts(conn, account_id).await?.into_iter().collect();
    let seats = state
        .config
        .catalog
        .products()
        .iter()
        .map(|p| {
            let key = p.key.as_str();
            (key.to_owned(), Seats { purchased: sub.purchased(key), assigned: assigned.get(key).copied().unwrap_or(0) })
        })
        .collect();
    Ok(SubscriptionSummary { plan: sub.plan, status: sub.status, cycle_start: sub.cycle_start, seats })
}

/// The account's subscription and seats.
pub async fn get(state: &AppState, account_id: &AccountId) -> AppResult<SubscriptionSummary> {
    let mut conn = state.db.conn().await?;
    let sub = subscription(&mut conn, account_id).await?;
    summarize(state, &mut conn, account_id, sub).await
}

/// A valid change from the operator.
#[derive(Debug, Clone)]
pub struct SubscriptionChange {
    pub plan: String,
    pub status: SubscriptionStatus,
    pub cycle_start: Option<i64>,
    /// Merged into the current seats; products not named keep theirs.
    pub seats: Vec<(ProductKey, i64)>,
}

/// The operator changes an account's plan, status and seats. Seats never drop below those
/// assigned (rule 1), and a subscription only becomes paid with a licensed Administrator (rule 2).
pub async fn set(state: &AppState, account_id: &str, change: SubscriptionChange) -> AppResult<SubscriptionSummary> {
    let account_id = AccountId::parse(account_id).ok_or(AppError::NotFound)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !accounts::lock(&mut tx, &account_id).await? {
        return Err(AppError::NotFound);
    }
    let before = subscription(&mut tx, &account_id).await?;
    for (product, purchased) in &change.seats {
        let assigned = licenses::assigned(&mut tx, &account_id, product.as_str()).await?;
        rules::ensure_seats_cover_assignments(product.as_str(), *purchased, assigned).map_err(refused)?;
        subscriptions::set_seats(&mut tx, &account_id, product.as_str(), *purchased).await?;
    }
    let licensed_admins = licenses::licensed_administrators(&mut tx, &account_id).await?;
    rules::ensure_a_licensed_administrator_remains(change.status, licensed_admins).map_err(refused)?;
    subscriptions::update(
        &mut tx,
        &account_id,
        &change.plan,
        change.status,
        change.cycle_start.unwrap_or(before.cycle_start),
        now,
    )
    .await?;
    let after = subscription(&mut tx, &account_id).await?;
    let view = |s: &Subscription| json!({"plan": s.plan, "status": s.status.as_str(), "cycle_start": s.cycle_start, "seats": s.seats.iter().cloned().collect::<BTreeMap<_, _>>()});
    let audit_change =
        Change::new("subscription.updated", "account", account_id.as_str()).before(view(&before)).after(view(&after));
    audit::record(&mut tx, &Actor::system(account_id.clone()), audit_change, now).await?;
    let summary = summarize(state, &mut tx, &account_id, after).await?;
    tenantry_storage::commit(tx).await?;
    Ok(summary)
}
