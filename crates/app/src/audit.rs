//! Writing the audit log and domain events from services, in the caller's transaction.

use crate::{Actor, Result};
use serde_json::Value;
use tenantry_domain::{AccountId, UserId};
use tenantry_storage::audit::{self, NewAuditEvent};
use tenantry_storage::{Conn, events};

/// What an audit event says happened: `action` on the `target_type` object `target_id`.
#[derive(Debug)]
pub struct Change<'a> {
    /// E.g. `license.assigned`.
    pub action: &'a str,
    /// E.g. `user`.
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    /// The object before and after (never secrets).
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    /// `action` on the `target_type` object `target_id`, with no before/after.
    pub fn new(action: &'a str, target_type: &'a str, target_id: &'a str) -> Self {
        Self { action, target_type, target_id: Some(target_id), before: None, after: None }
    }
    /// Adds the object as it was.
    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }
    /// Adds the object as it became.
    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// Appends an audit event for `change` made by `actor`.
#[tracing::instrument(skip_all)]
pub async fn record(conn: &mut Conn, actor: &Actor, change: Change<'_>, now: i64) -> Result<()> {
    let ip = actor.ip.map(|i| i.to_string());
    audit::insert(
        conn,
        &NewAuditEvent {
            account_id: &actor.account_id,
            actor_id: actor.user_id.as_ref().map(UserId::as_str),
            action: change.action,
            target_type: change.target_type,
            target_id: change.target_id,
            before: change.before.as_ref(),
            after: change.after.as_ref(),
            ip: ip.as_deref(),
            now,
        },
    )
    .await?;
    Ok(())
}

/// Appends a domain event (what webhooks deliver) of `event_type` with `data`.
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn emit(conn: &mut Conn, account_id: &AccountId, event_type: &str, data: Value, now: i64) -> Result<()> {
    events::insert(conn, account_id, event_type, &data, now).await?;
    Ok(())
}

/// The account's audit events matching `query`.
#[tracing::instrument(skip_all)]
pub async fn list(
    state: &crate::App, admin: &crate::Admin, query: &audit::AuditQuery,
) -> Result<Vec<audit::AuditEvent>> {
    let mut conn = state.db.conn().await?;
    Ok(audit::list(&mut conn, admin.account_id(), query).await?)
}
