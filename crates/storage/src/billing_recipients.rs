//! Which Administrators get which billing notification. Until an Administrator saves the list
//! (`accounts.billing_recipients_saved`), every Administrator gets every kind.

use crate::Result;
use sqlx::AnyConnection;

/// A kind of billing notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Invoices,
    PaymentFailures,
    LowSmsCredits,
    LicenseChanges,
}

impl Notice {
    /// The column (and JSON field) of this kind.
    pub fn column(self) -> &'static str {
        match self {
            Notice::Invoices => "invoices",
            Notice::PaymentFailures => "payment_failures",
            Notice::LowSmsCredits => "low_sms_credits",
            Notice::LicenseChanges => "license_changes",
        }
    }
}

/// One Administrator and the kinds they receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: String,
    pub invoices: bool,
    pub payment_failures: bool,
    pub low_sms_credits: bool,
    pub license_changes: bool,
}

/// Whether the list was saved, and who gets what: the saved rows, or (never saved) every
/// Administrator with every kind.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(conn: &mut AnyConnection, account_id: &str) -> Result<(bool, Vec<Recipient>)> {
    let saved: i64 = sqlx::query_scalar("SELECT billing_recipients_saved FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(0);
    if saved == 0 {
        let all = administrator_ids(conn, account_id).await?;
        let every = |user_id| Recipient {
            user_id,
            invoices: true,
            payment_failures: true,
            low_sms_credits: true,
            license_changes: true,
        };
        return Ok((false, all.into_iter().map(every).collect()));
    }
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT r.user_id, r.invoices, r.payment_failures, r.low_sms_credits, r.license_changes \
         FROM billing_recipients r JOIN users u ON u.id = r.user_id \
         WHERE r.account_id = $1 AND u.role = 'administrator' ORDER BY u.created_at, u.id",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    let recipients = rows
        .into_iter()
        .map(|(user_id, i, p, l, c)| Recipient {
            user_id,
            invoices: i != 0,
            payment_failures: p != 0,
            low_sms_credits: l != 0,
            license_changes: c != 0,
        })
        .collect();
    Ok((true, recipients))
}

/// The ids of the account's Administrators (invited and locked ones included), oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn administrator_ids(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE account_id = $1 AND role = 'administrator' AND deactivated_at IS NULL ORDER BY created_at, id",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?)
}

/// Replaces the saved list (and marks it saved).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn replace(conn: &mut AnyConnection, account_id: &str, recipients: &[Recipient]) -> Result<()> {
    sqlx::query("DELETE FROM billing_recipients WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    for r in recipients {
        sqlx::query(
            "INSERT INTO billing_recipients (account_id, user_id, invoices, payment_failures, low_sms_credits, license_changes) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account_id)
        .bind(&r.user_id)
        .bind(crate::flag(r.invoices))
        .bind(crate::flag(r.payment_failures))
        .bind(crate::flag(r.low_sms_credits))
        .bind(crate::flag(r.license_changes))
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE accounts SET billing_recipients_saved = 1 WHERE id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The email and name of each active Administrator who receives `notice`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn emails_for(conn: &mut AnyConnection, account_id: &str, notice: Notice) -> Result<Vec<(String, String)>> {
    let sql = format!(
        "SELECT u.email, u.name FROM users u JOIN accounts a ON a.id = u.account_id \
         LEFT JOIN billing_recipients r ON r.account_id = u.account_id AND r.user_id = u.id \
         WHERE u.account_id = $1 AND u.role = 'administrator' AND u.status = 'active' AND u.deactivated_at IS NULL \
         AND (a.billing_recipients_saved = 0 OR r.{} = 1) ORDER BY u.created_at, u.id",
        notice.column()
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_all(conn).await?)
}
