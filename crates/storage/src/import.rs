//! Bulk writes for importing users: many rows per statement, so a file of ten thousand users is a
//! few dozen round trips, not tens of thousands. Only placeholders are spliced into the SQL text;
//! every value is bound.

use crate::Result;
use sqlx::AnyConnection;
use std::collections::HashSet;

/// Rows per statement (the widest statement binds 10 values a row, well under both engines' limits).
const CHUNK: usize = 500;

/// One new (invited) user.
pub struct ImportedUser {
    pub id: String,
    pub email: String,
    pub email_normalized: String,
    pub name: String,
    pub name_sort: String,
    pub role: &'static str,
}

/// One new invitation link (stored as its hash).
pub struct ImportedInvitation {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub expires_at: i64,
}

/// `($1, $2, …), ($n, …)` for `rows` rows of `width` values.
fn values(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Which of `normalized` (normalized emails) already sign in to this installation.
#[tracing::instrument(level = "debug", skip_all, fields(n = normalized.len()))]
pub async fn existing_emails(conn: &mut AnyConnection, normalized: &[String]) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in normalized.chunks(CHUNK) {
        let sql = format!(
            "SELECT email_normalized FROM users WHERE email_normalized IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q.bind(e.as_str());
        }
        found.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Inserts invited users of `account_id`; a taken email answers `Conflict { field: "email" }`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, n = users.len()))]
pub async fn insert_users(conn: &mut AnyConnection, account_id: &str, users: &[ImportedUser], now: i64) -> Result<()> {
    for chunk in users.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO users (id, account_id, email, email_normalized, name, name_sort, role, status, created_at, updated_at) VALUES {}",
            values(chunk.len(), 10)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for u in chunk {
            q = q
                .bind(u.id.as_str())
                .bind(account_id)
                .bind(u.email.as_str())
                .bind(u.email_normalized.as_str())
                .bind(u.name.as_str())
                .bind(u.name_sort.as_str())
                .bind(u.role)
                .bind("invited")
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *conn).await.map_err(crate::StoreError::classify)?;
    }
    Ok(())
}

/// Assigns licenses: `(user_id, product)` pairs of `account_id` (the caller checked the seats).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, n = licenses.len()))]
pub async fn insert_licenses(
    conn: &mut AnyConnection, account_id: &str, licenses: &[(String, String)], now: i64,
) -> Result<()> {
    for chunk in licenses.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO licenses (account_id, user_id, product, assigned_at) VALUES {}",
            values(chunk.len(), 4)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (user_id, product) in chunk {
            q = q.bind(account_id).bind(user_id.as_str()).bind(product.as_str()).bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Stores invitation links of `account_id`'s new users.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, n = invitations.len()))]
pub async fn insert_invitations(
    conn: &mut AnyConnection, account_id: &str, invitations: &[ImportedInvitation], now: i64,
) -> Result<()> {
    for chunk in invitations.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO invitations (id, account_id, user_id, token_hash, created_at, expires_at) VALUES {}",
            values(chunk.len(), 6)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in chunk {
            q = q
                .bind(i.id.as_str())
                .bind(account_id)
                .bind(i.user_id.as_str())
                .bind(i.token_hash.as_str())
                .bind(now)
                .bind(i.expires_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Queues messages of one `kind` for `account_id` in the outbox (what `outbox::enqueue` does, a
/// chunk at a time).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, n = payloads.len()))]
pub async fn enqueue_many(
    conn: &mut AnyConnection, account_id: &str, kind: &str, payloads: &[String], now: i64,
) -> Result<()> {
    for chunk in payloads.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO outbox (id, account_id, kind, payload, status, attempts, run_at, created_at) VALUES {}",
            values(chunk.len(), 8)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for payload in chunk {
            q = q
                .bind(format!("msg_{}", tenantry_domain::token::random_hex(12)))
                .bind(account_id)
                .bind(kind)
                .bind(payload.as_str())
                .bind("queued")
                .bind(0_i64)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_number_every_placeholder() {
        assert_eq!(super::values(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
