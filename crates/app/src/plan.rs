//! The plan and this cycle's usage of a user, and usage reported by products (idempotent).

use crate::{App, Error, Principal, Result, licenses::subscription};
use sha2::{Digest, Sha256};
use tenantry_domain::usage::{Metric, current_cycle_start};
use tenantry_domain::{Role, SubscriptionStatus, UserId};
use tenantry_storage::usage::{self, Report};
use tenantry_storage::users;

/// A user's plan and current-cycle usage.
#[derive(Debug, Clone)]
pub struct Plan {
    pub plan: String,
    /// Trial, paid or canceled.
    pub status: SubscriptionStatus,
    pub cycle_start: i64,
    /// When the next cycle starts (and this cycle's counts start again from zero).
    pub next_cycle_start: i64,
    pub minutes: i64,
    pub messages: i64,
    pub groups: i64,
    pub api_requests: i64,
}

/// `me`'s plan (their account's) and their usage in the current billing cycle.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn plan(state: &App, me: &Principal) -> Result<Plan> {
    let mut conn = state.db.conn().await?;
    let sub = subscription(&mut conn, &me.user.account_id).await?;
    let cycle_start = current_cycle_start(sub.cycle_start, state.now());
    // Cycles last 28 to 31 days, so 32 days after this one's start lies in the next one.
    let next_cycle_start = current_cycle_start(sub.cycle_start, cycle_start + 32 * 24 * 60 * 60 * 1000);
    let counts = usage::of_user(&mut conn, &me.user.id, cycle_start).await?;
    let of = |m: Metric| counts.iter().find(|(k, _)| k == m.as_str()).map(|(_, n)| *n).unwrap_or(0);
    Ok(Plan {
        plan: sub.plan,
        status: sub.status,
        cycle_start,
        next_cycle_start,
        minutes: of(Metric::Minutes),
        messages: of(Metric::Messages),
        groups: of(Metric::Groups),
        api_requests: of(Metric::ApiRequests),
    })
}

/// A valid usage report.
pub struct UsageReport {
    pub user_id: String,
    pub metric: Metric,
    pub quantity: i64,
}

/// How a report was taken.
pub enum Recorded {
    /// Counted now.
    New,
    /// The same report came before under this Idempotency-Key: counted then, not again.
    Replayed,
}

/// Adds reported usage to a user's current cycle. An Administrator reports for any user of the
/// account, a user for themself. With an `Idempotency-Key`, the same report counts once; the key
/// used again for a different report is refused (409).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn report(state: &App, me: &Principal, key: Option<&str>, r: UsageReport) -> Result<Recorded> {
    let user_id =
        UserId::parse(&r.user_id).ok_or_else(|| Error::invalid("user_id", "is not a user of this account"))?;
    if me.user.role != Role::Administrator && user_id != me.user.id {
        return Err(Error::Forbidden("Only Administrators report usage for other users."));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if users::get(&mut tx, &me.user.account_id, &user_id).await?.is_none() {
        return Err(Error::invalid("user_id", "is not a user of this account"));
    }
    if let Some(key) = key {
        let hash = hex::encode(Sha256::digest(format!("{}\n{}\n{}", user_id.as_str(), r.metric.as_str(), r.quantity)));
        let report = Report {
            request_hash: hash.clone(),
            user_id: user_id.to_string(),
            metric: r.metric.as_str().to_owned(),
            quantity: r.quantity,
        };
        if let Some(first) = usage::record_report(&mut tx, &me.user.account_id, key, &hash, &report, now).await? {
            if first.request_hash != hash {
                return Err(Error::conflict(
                    "This Idempotency-Key was used for a different report: use a new key for a new report.",
                ));
            }
            return Ok(Recorded::Replayed);
        }
    }
    let sub = subscription(&mut tx, &me.user.account_id).await?;
    let cycle = current_cycle_start(sub.cycle_start, now);
    usage::add(&mut tx, me.user.account_id.as_str(), user_id.as_str(), cycle, r.metric.as_str(), r.quantity).await?;
    tenantry_storage::commit(tx).await?;
    Ok(Recorded::New)
}
