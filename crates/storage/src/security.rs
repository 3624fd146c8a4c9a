//! The account's security policies (password, lockout, session, two-step verification), one row
//! per account; an account without a row has the defaults.

use crate::{Result, flag};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, LockoutPolicy, PasswordPolicy, SessionPolicy};

/// Every security setting of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityPolicies {
    pub password: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub session: SessionPolicy,
    /// Every user must use two-step verification.
    pub require_mfa: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PolicyRow {
    min_length: i64,
    require_lowercase: i64,
    require_uppercase: i64,
    require_digit: i64,
    require_symbol: i64,
    expiration_days: i64,
    history_count: i64,
    lockout_enabled: i64,
    max_failed_attempts: i64,
    session_timeout_enabled: i64,
    session_timeout_minutes: i64,
    session_max_age_minutes: i64,
    require_mfa: i64,
}

fn n32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

impl From<PolicyRow> for SecurityPolicies {
    fn from(r: PolicyRow) -> Self {
        SecurityPolicies {
            password: PasswordPolicy {
                min_length: usize::try_from(r.min_length).unwrap_or(10),
                require_lowercase: r.require_lowercase != 0,
                require_uppercase: r.require_uppercase != 0,
                require_digit: r.require_digit != 0,
                require_symbol: r.require_symbol != 0,
                expiration_days: n32(r.expiration_days),
                history_count: n32(r.history_count),
            },
            lockout: LockoutPolicy { enabled: r.lockout_enabled != 0, max_failed_attempts: n32(r.max_failed_attempts) },
            session: SessionPolicy {
                timeout_enabled: r.session_timeout_enabled != 0,
                timeout_minutes: n32(r.session_timeout_minutes),
                max_age_minutes: n32(r.session_max_age_minutes),
            },
            require_mfa: r.require_mfa != 0,
        }
    }
}

/// The columns of [`PolicyRow`], for joins (`p` is the policies table).
macro_rules! policy_columns {
    () => {
        "p.min_length, p.require_lowercase, p.require_uppercase, p.require_digit, p.require_symbol, p.expiration_days, p.history_count, \
         p.lockout_enabled, p.max_failed_attempts, p.session_timeout_enabled, p.session_timeout_minutes, p.session_max_age_minutes, p.require_mfa"
    };
}

/// The account's policies (defaults when never set).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId) -> Result<SecurityPolicies> {
    const Q: &str = concat!("SELECT ", policy_columns!(), " FROM security_policies p WHERE p.account_id = $1");
    let row: Option<PolicyRow> = sqlx::query_as(Q).bind(account_id.as_str()).fetch_optional(conn).await?;
    Ok(row.map(SecurityPolicies::from).unwrap_or_default())
}

/// Stores the account's policies.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn put(conn: &mut AnyConnection, account_id: &AccountId, p: &SecurityPolicies, now: i64) -> Result<()> {
    const Q: &str = "INSERT INTO security_policies (account_id, min_length, require_lowercase, require_uppercase, require_digit, require_symbol, \
         expiration_days, history_count, lockout_enabled, max_failed_attempts, session_timeout_enabled, session_timeout_minutes, \
         session_max_age_minutes, require_mfa, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (account_id) DO UPDATE SET min_length = $2, require_lowercase = $3, require_uppercase = $4, require_digit = $5, \
         require_symbol = $6, expiration_days = $7, history_count = $8, lockout_enabled = $9, max_failed_attempts = $10, \
         session_timeout_enabled = $11, session_timeout_minutes = $12, session_max_age_minutes = $13, require_mfa = $14, updated_at = $15";
    sqlx::query(Q)
        .bind(account_id.as_str())
        .bind(i64::try_from(p.password.min_length).unwrap_or(i64::MAX))
        .bind(flag(p.password.require_lowercase))
        .bind(flag(p.password.require_uppercase))
        .bind(flag(p.password.require_digit))
        .bind(flag(p.password.require_symbol))
        .bind(i64::from(p.password.expiration_days))
        .bind(i64::from(p.password.history_count))
        .bind(flag(p.lockout.enabled))
        .bind(i64::from(p.lockout.max_failed_attempts))
        .bind(flag(p.session.timeout_enabled))
        .bind(i64::from(p.session.timeout_minutes))
        .bind(i64::from(p.session.max_age_minutes))
        .bind(flag(p.require_mfa))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Active users of the account whose stored password profile breaks `policy` (too short, a
/// missing character class, or expired at `now`); their ids.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn non_compliant_users(
    conn: &mut AnyConnection, account_id: &AccountId, policy: &PasswordPolicy, now: i64,
) -> Result<Vec<String>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        password_length: Option<i64>,
        password_classes: Option<i64>,
        password_changed_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, password_length, password_classes, password_changed_at FROM users \
         WHERE account_id = $1 AND status <> 'invited' AND password_hash IS NOT NULL AND must_change_password = 0",
    )
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let weak = match (r.password_length, r.password_classes) {
                (Some(len), Some(classes)) => !policy
                    .profile_violations(&tenantry_domain::PasswordProfile {
                        length: usize::try_from(len).unwrap_or(0),
                        classes: u8::try_from(classes).unwrap_or(0),
                    })
                    .is_empty(),
                _ => false,
            };
            weak || policy.is_expired(r.password_changed_at, now)
        })
        .map(|r| r.id)
        .collect())
}

/// Asks these users for a new password at their next sign-in.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn require_password_change(
    conn: &mut AnyConnection, account_id: &AccountId, user_ids: &[String],
) -> Result<u64> {
    let mut n = 0;
    for id in user_ids {
        n += sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}
