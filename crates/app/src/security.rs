//! The account's security policies (Administrators): read, change, and who no longer complies.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Result};
use serde_json::{Value, json};
use tenantry_domain::{LockoutPolicy, PasswordPolicy, SessionPolicy};
use tenantry_storage::security::{self, SecurityPolicies};

/// The account's policies.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &Admin) -> Result<SecurityPolicies> {
    let mut conn = state.db.conn().await?;
    Ok(security::get(&mut conn, &admin.user.account_id).await?)
}

/// A change to one part of the policies.
pub enum PolicyChange {
    Password(PasswordPolicy),
    Lockout(LockoutPolicy),
    Session(SessionPolicy),
    RequireMfa(bool),
}

/// The policies as the audit log and webhooks show them.
pub fn policies_json(p: &SecurityPolicies) -> Value {
    json!({
        "password": {
            "min_length": p.password.min_length, "require_lowercase": p.password.require_lowercase,
            "require_uppercase": p.password.require_uppercase, "require_digit": p.password.require_digit,
            "require_symbol": p.password.require_symbol, "expiration_days": p.password.expiration_days,
            "history_count": p.password.history_count,
        },
        "lockout": { "enabled": p.lockout.enabled, "max_failed_attempts": p.lockout.max_failed_attempts },
        "session": {
            "timeout_enabled": p.session.timeout_enabled, "timeout_minutes": p.session.timeout_minutes,
            "max_age_minutes": p.session.max_age_minutes,
        },
        "require_mfa": p.require_mfa,
    })
}

impl PolicyChange {
    /// Every rule the changes break, each naming its field.
    pub fn validate_all(changes: &[PolicyChange]) -> std::result::Result<(), tenantry_domain::ValidationErrors> {
        let mut errors = tenantry_domain::ValidationErrors::new();
        for change in changes {
            let checked = match change {
                PolicyChange::Password(p) => p.validate(),
                PolicyChange::Lockout(p) => p.validate(),
                PolicyChange::Session(p) => p.validate(),
                PolicyChange::RequireMfa(_) => Ok(()),
            };
            if let Err(e) = checked {
                errors.0.extend(e.0);
            }
        }
        errors.into_result()
    }
}

/// Validates and stores parts of the policies, all in one transaction (one audit event); answers
/// them all and how many users' current passwords no longer meet the password policy.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn update(
    state: &App, admin: &Admin, actor: &Actor, changes: Vec<PolicyChange>,
) -> Result<(SecurityPolicies, usize)> {
    PolicyChange::validate_all(&changes)?;
    let now = state.now();
    let account_id = &admin.user.account_id;
    let mut tx = state.db.begin().await?;
    let mut policies = security::get(&mut tx, account_id).await?;
    let before = policies_json(&policies);
    for change in changes {
        match change {
            PolicyChange::Password(p) => policies.password = p,
            PolicyChange::Lockout(p) => policies.lockout = p,
            PolicyChange::Session(p) => policies.session = p,
            PolicyChange::RequireMfa(on) => policies.require_mfa = on,
        }
    }
    security::put(&mut tx, account_id, &policies, now).await?;
    let after = policies_json(&policies);
    if before != after {
        audit::record(
            &mut tx,
            actor,
            Change::new("security_policy.updated", "account", account_id.as_str()).before(before).after(after.clone()),
            now,
        )
        .await?;
        audit::emit(&mut tx, account_id, "security_policy.updated", after, now).await?;
    }
    let non_compliant = security::non_compliant_users(&mut tx, account_id, &policies.password, now).await?.len();
    tenantry_storage::commit(tx).await?;
    // Sessions cached on this node are checked against the new policy at their next request.
    state.sessions.forget_account(account_id);
    Ok((policies, non_compliant))
}

/// How many users' current passwords break the password policy.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn non_compliant_count(state: &App, admin: &Admin) -> Result<usize> {
    let mut conn = state.db.conn().await?;
    let policies = security::get(&mut conn, &admin.user.account_id).await?;
    Ok(security::non_compliant_users(&mut conn, &admin.user.account_id, &policies.password, state.now()).await?.len())
}

/// Asks every user whose password breaks the policy for a new one at their next sign-in; answers how many.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn require_new_passwords(state: &App, admin: &Admin, actor: &Actor) -> Result<u64> {
    let account_id = &admin.user.account_id;
    let mut tx = state.db.begin().await?;
    let policies = security::get(&mut tx, account_id).await?;
    let ids = security::non_compliant_users(&mut tx, account_id, &policies.password, state.now()).await?;
    let n = security::require_password_change(&mut tx, account_id, &ids).await?;
    let change =
        Change::new("password.change_required", "account", account_id.as_str()).after(json!({ "user_ids": ids }));
    audit::record(&mut tx, actor, change, state.now()).await?;
    tenantry_storage::commit(tx).await?;
    Ok(n)
}

/// The policies of `account_id`, for pages anyone with a link may see (the password rules an
/// invitation's account sets).
#[tracing::instrument(skip_all)]
pub async fn of_account(state: &App, account_id: &tenantry_domain::AccountId) -> Result<SecurityPolicies> {
    let mut conn = state.db.conn().await?;
    Ok(security::get(&mut conn, account_id).await?)
}
