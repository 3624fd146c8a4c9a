//! Counting authenticated API requests per user without a database write per request: counts
//! gather in memory and a flusher adds them to the user's counter of the current billing cycle
//! every second (and once more at shutdown).

use crate::{App, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tenantry_domain::usage::{Metric, current_cycle_start};
use tenantry_domain::{AccountId, UserId};
use tenantry_storage::{subscriptions, usage};
use tokio::sync::watch;

/// How often counted requests reach the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// API requests counted since the last flush, by user (with the user's account).
type Counts = HashMap<UserId, (AccountId, i64)>;

/// API requests counted since the last flush.
#[derive(Default)]
pub struct RequestCounter {
    pending: Mutex<Counts>,
}

impl RequestCounter {
    /// Counts one request of `user`.
    pub fn count(&self, account_id: &AccountId, user_id: &UserId) {
        if let Ok(mut pending) = self.pending.lock() {
            // Looked up by reference: the ids are copied once per user and flush, not per request.
            match pending.get_mut(user_id) {
                Some((_, n)) => *n += 1,
                None => {
                    pending.insert(user_id.clone(), (account_id.clone(), 1));
                }
            }
        }
    }

    fn take(&self) -> Counts {
        self.pending.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default()
    }

    fn put_back(&self, counts: Counts) {
        if let Ok(mut pending) = self.pending.lock() {
            for (user, (account, n)) in counts {
                pending.entry(user).or_insert((account, 0)).1 += n;
            }
        }
    }
}

/// Writes the counted requests, in one transaction; on failure they wait for the next flush.
#[tracing::instrument(skip_all)]
pub async fn flush(state: &App) -> Result<()> {
    let counts = state.requests.take();
    if counts.is_empty() {
        return Ok(());
    }
    let result = write(state, &counts).await;
    if result.is_err() {
        state.requests.put_back(counts);
    }
    result
}

async fn write(state: &App, counts: &Counts) -> Result<()> {
    let now = state.now();
    let mut cycles: HashMap<&AccountId, i64> = HashMap::new();
    let mut tx = state.db.begin().await?;
    for (user, (account, n)) in counts {
        let cycle = match cycles.get(account) {
            Some(c) => *c,
            None => {
                let anchor = subscriptions::get(&mut tx, account).await?.map(|s| s.cycle_start);
                // An account deleted meanwhile has no subscription: its counts are dropped with it.
                let Some(anchor) = anchor else { continue };
                let c = current_cycle_start(anchor, now);
                cycles.insert(account, c);
                c
            }
        };
        usage::add(&mut tx, account.as_str(), user.as_str(), cycle, Metric::ApiRequests.as_str(), *n).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(())
}

/// Flushes every [`FLUSH_EVERY`] until `stop`, then once more.
#[tracing::instrument(skip_all)]
pub async fn run_flusher(state: App, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(FLUSH_EVERY) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        if let Err(e) = flush(&state).await {
            tracing::warn!(error = %e, "API request counts not written yet; retrying");
        }
    }
    if let Err(e) = flush(&state).await {
        tracing::warn!(error = %e, "API request counts lost at shutdown");
    }
}
