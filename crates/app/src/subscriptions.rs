//! The account's subscription: what Administrators see, what the operator (billing) changes.

use crate::audit::{self, Change};
use crate::{Actor, App, Error, Result, licenses::subscription, refused};
use serde_json::json;
use std::collections::BTreeMap;
use tenantry_domain::ValidationErrors;
use tenantry_domain::{AccountId, ProductKey, SubscriptionStatus, rules};
use tenantry_storage::subscriptions::{self, self as stored, Subscription};
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
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn start_trial(state: &App, conn: &mut Conn, account_id: &AccountId, now: i64) -> Result<()> {
    let seats: Vec<(&str, i64)> =
        state.config.catalog.products().iter().map(|p| (p.key.as_str(), state.config.trial_seats)).collect();
    subscriptions::insert(conn, account_id, TRIAL_PLAN, SubscriptionStatus::Trial, &seats, now).await?;
    Ok(())
}

/// Seats bought and assigned per catalog product.
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn summarize(
    state: &App, conn: &mut Conn, account_id: &AccountId, sub: Subscription,
) -> Result<SubscriptionSummary> {
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

/// The account's subscription and seats, for its Administrators.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &crate::Admin) -> Result<SubscriptionSummary> {
    let account_id = admin.account_id();
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
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn set(state: &App, account_id: &AccountId, change: SubscriptionChange) -> Result<SubscriptionSummary> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !accounts::lock(&mut tx, account_id).await? {
        return Err(Error::NotFound);
    }
    let before = subscription(&mut tx, account_id).await?;
    for (product, purchased) in &change.seats {
        let assigned = licenses::assigned(&mut tx, account_id, product.as_str()).await?;
        rules::ensure_seats_cover_assignments(product.as_str(), *purchased, assigned).map_err(refused)?;
        subscriptions::set_seats(&mut tx, account_id, product.as_str(), *purchased).await?;
    }
    let licensed_admins = licenses::licensed_administrators(&mut tx, account_id).await?;
    rules::ensure_a_licensed_administrator_remains(change.status, licensed_admins).map_err(refused)?;
    subscriptions::update(
        &mut tx,
        account_id,
        &change.plan,
        change.status,
        change.cycle_start.unwrap_or(before.cycle_start),
        now,
    )
    .await?;
    let after = subscription(&mut tx, account_id).await?;
    let view = |s: &Subscription| json!({"plan": s.plan, "status": s.status.as_str(), "cycle_start": s.cycle_start, "seats": s.seats.iter().cloned().collect::<BTreeMap<_, _>>()});
    let audit_change =
        Change::new("subscription.updated", "account", account_id.as_str()).before(view(&before)).after(view(&after));
    audit::record(&mut tx, &Actor::system(account_id.clone()), audit_change, now).await?;
    let seats = |s: &Subscription| s.seats.iter().cloned().collect::<BTreeMap<String, i64>>();
    let (was, is) = (seats(&before), seats(&after));
    if was != is {
        let changes: Vec<String> = is
            .iter()
            .filter(|(product, n)| was.get(*product) != Some(*n))
            .map(|(product, n)| {
                let name = state
                    .config
                    .catalog
                    .products()
                    .iter()
                    .find(|p| p.key.as_str() == product)
                    .map_or(product.as_str(), |p| p.name.as_str());
                format!("- {name}: {} → {n} licenses", was.get(product).copied().unwrap_or(0))
            })
            .collect();
        let text = format!(
            "The licenses your account has purchased changed:\n{}\n\nAdministrators assign them under Billing › Licenses.",
            changes.join("\n")
        );
        let notice = tenantry_storage::billing_recipients::Notice::LicenseChanges;
        crate::billing::notify(&mut tx, account_id.as_str(), notice, "Your Tenantry licenses changed", &text, now)
            .await?;
    }
    let summary = summarize(state, &mut tx, account_id, after).await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    Ok(summary)
}

/// A page of every account (for the operator), by creation, after the keyset position `after`.
#[tracing::instrument(skip_all)]
pub async fn list_accounts(
    state: &App, after: Option<(i64, String)>, limit: i64,
) -> Result<(Vec<stored::AccountSummary>, Option<String>)> {
    let mut conn = state.db.conn().await?;
    let rows = stored::list_accounts(&mut conn, after, limit + 1).await?;
    Ok(crate::cursor::paginate(rows, limit, |a| (a.created_at, a.id.clone())))
}

/// What the operator sends to change a subscription, as received.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionInput {
    pub plan: String,
    /// `trial`, `paid` or `canceled`.
    pub status: String,
    /// RFC 3339; `None` leaves it unchanged.
    pub cycle_start: Option<String>,
    /// Seats per product, merged into the current ones.
    pub seats: std::collections::BTreeMap<String, i64>,
}

/// Most seats of one product an account may buy.
const MAX_SEATS: i64 = 1_000_000;

impl SubscriptionChange {
    /// Checks an operator's request against the catalog, every problem named by its field.
    pub fn parse(catalog: &tenantry_domain::Catalog, r: SubscriptionInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let plan = r.plan.trim().to_owned();
        if plan.is_empty() || plan.chars().count() > 64 || plan.chars().any(char::is_control) {
            e.push("plan", "must be 1–64 characters");
        }
        let status = e.check("status", r.status.parse());
        let cycle_start = r.cycle_start.and_then(|c| {
            e.check(
                "cycle_start",
                c.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).map_err(|_| "must be an RFC 3339 time"),
            )
        });
        let mut seats = Vec::new();
        for (product, n) in r.seats {
            let field = format!("seats.{product}");
            match catalog.get(&product) {
                None => e.push(&field, "is not a product of this installation"),
                Some(_) if !(0..=MAX_SEATS).contains(&n) => {
                    e.push(&field, format!("must be between 0 and {MAX_SEATS}"))
                }
                Some(p) => seats.push((p.key.clone(), n)),
            }
        }
        match status {
            Some(status) if e.is_empty() => Ok(SubscriptionChange { plan, status, cycle_start, seats }),
            _ => Err(e),
        }
    }
}
