//! What proves who a user is: password (with history and profile), the lockout counter,
//! password resets, TOTP and recovery codes, and the verified phone number.

use crate::users::{User, UserRow, user_columns};
use crate::{Result, changed_one, flag};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, EmailAddress, PasswordProfile, UserId};

/// A user with what sign-in and password changes need.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub password_changed_at: Option<i64>,
    pub must_change_password: bool,
    pub totp_enabled: bool,
    pub totp_secret: Option<String>,
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    /// When the current lock ends (`None`: not locked, or locked before locks had an end).
    pub locked_until: Option<i64>,
}

impl Credentials {
    /// Whether the user is locked at `now` (a lock whose time has passed no longer counts).
    pub fn is_locked(&self, now: i64) -> bool {
        self.user.status == tenantry_domain::UserStatus::Locked && self.locked_until.is_none_or(|t| t > now)
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: Option<String>,
    password_changed_at: Option<i64>,
    must_change_password: i64,
    totp_enabled: i64,
    totp_secret: Option<String>,
    locked_until: Option<i64>,
}

impl TryFrom<CredentialsRow> for Credentials {
    type Error = crate::StoreError;
    fn try_from(r: CredentialsRow) -> Result<Self> {
        let user: User = r.user.try_into()?;
        Ok(Credentials {
            password_hash: r.password_hash,
            password_changed_at: r.password_changed_at,
            must_change_password: r.must_change_password != 0,
            totp_enabled: r.totp_enabled != 0,
            totp_secret: r.totp_secret,
            phone_number: user.phone_number.clone(),
            phone_verified: user.phone_verified,
            locked_until: r.locked_until,
            user,
        })
    }
}

macro_rules! credential_columns {
    () => {
        ", u.password_hash, u.password_changed_at, u.must_change_password, u.totp_enabled, u.totp_secret, u.locked_until FROM users u"
    };
}

/// A user's credentials, found by email (any case).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_email(conn: &mut AnyConnection, email: &EmailAddress) -> Result<Option<Credentials>> {
    const Q: &str = concat!("SELECT ", user_columns!(), credential_columns!(), " WHERE u.email_normalized = $1");
    let row: Option<CredentialsRow> = sqlx::query_as(Q).bind(email.normalized()).fetch_optional(conn).await?;
    row.map(Credentials::try_from).transpose()
}

/// A user's credentials, by id.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn by_id(conn: &mut AnyConnection, id: &UserId) -> Result<Option<Credentials>> {
    const Q: &str = concat!("SELECT ", user_columns!(), credential_columns!(), " WHERE u.id = $1");
    let row: Option<CredentialsRow> = sqlx::query_as(Q).bind(id.as_str()).fetch_optional(conn).await?;
    row.map(Credentials::try_from).transpose()
}

/// Counts one failed sign-in of an active user in one conditional statement, locking them when the
/// count reaches `threshold` (0: never lock). Answers the new count and whether the user is now
/// locked; `None` when the user was not active (already locked), so nothing was counted.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn record_failure(
    conn: &mut AnyConnection, id: &UserId, threshold: i64, now: i64,
) -> Result<Option<(i64, bool)>> {
    // The lock's length doubles with each lock in a row (see `limits::lock_duration_ms`), chosen
    // in the same statement from the `lockouts` it increments.
    let q = format!(
        "UPDATE users SET failed_attempts = failed_attempts + 1, \
         status = CASE WHEN $1 > 0 AND failed_attempts + 1 >= $1 THEN 'locked' ELSE status END, \
         locked_at = CASE WHEN $1 > 0 AND failed_attempts + 1 >= $1 THEN $2 ELSE locked_at END, \
         locked_until = CASE WHEN $1 > 0 AND failed_attempts + 1 >= $1 THEN $2 + {} ELSE locked_until END, \
         lockouts = CASE WHEN $1 > 0 AND failed_attempts + 1 >= $1 THEN lockouts + 1 ELSE lockouts END \
         WHERE id = $3 AND status = 'active' RETURNING failed_attempts, status",
        lock_duration_sql("lockouts")
    );
    // Built from constants only (the lock lengths), never from input.
    let row: Option<(i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(q)).bind(threshold).bind(now).bind(id.as_str()).fetch_optional(conn).await?;
    Ok(row.map(|(n, status)| (n, status == "locked")))
}

/// SQL for the length of the next lock after `column` locks in a row (a CASE, so that the same
/// text runs on SQLite and PostgreSQL).
fn lock_duration_sql(column: &str) -> String {
    use tenantry_domain::limits::{LOCK_MAX_MS, lock_duration_ms};
    let mut sql = format!("CASE {column}");
    for before in 0..8 {
        sql.push_str(&format!(" WHEN {before} THEN {}", lock_duration_ms(before + 1)));
    }
    sql.push_str(&format!(" ELSE {LOCK_MAX_MS} END"));
    sql
}

/// Ends a lock whose time has passed (the user starts again with no failures); `false` when the
/// user is not locked, or their lock has not ended yet.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn end_expired_lock(conn: &mut AnyConnection, id: &UserId, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query(
            "UPDATE users SET status = 'active', failed_attempts = 0, locked_at = NULL, locked_until = NULL \
             WHERE id = $1 AND status = 'locked' AND locked_until IS NOT NULL AND locked_until <= $2",
        )
        .bind(id.as_str())
        .bind(now),
    )
    .await
}

/// Counts a failed sign-in for an email without an active user, never past `threshold`;
/// `None` when the count had already reached it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_unknown_failure(
    conn: &mut AnyConnection, email_normalized: &str, threshold: i64, now: i64,
) -> Result<Option<i64>> {
    let q = format!(
        "INSERT INTO sign_in_failures (email_normalized, failed_attempts, updated_at, lockouts, locked_until) \
         VALUES ($1, 1, $3, CASE WHEN 1 >= $2 THEN 1 ELSE 0 END, CASE WHEN 1 >= $2 THEN $3 + {first} ELSE NULL END) \
         ON CONFLICT (email_normalized) DO UPDATE SET failed_attempts = sign_in_failures.failed_attempts + 1, updated_at = $3, \
         locked_until = CASE WHEN sign_in_failures.failed_attempts + 1 >= $2 THEN $3 + {next} ELSE sign_in_failures.locked_until END, \
         lockouts = CASE WHEN sign_in_failures.failed_attempts + 1 >= $2 THEN sign_in_failures.lockouts + 1 ELSE sign_in_failures.lockouts END \
         WHERE sign_in_failures.failed_attempts < $2 RETURNING failed_attempts",
        first = tenantry_domain::limits::lock_duration_ms(1),
        next = lock_duration_sql("sign_in_failures.lockouts"),
    );
    // Built from constants only (the lock lengths), never from input.
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(q))
        .bind(email_normalized)
        .bind(threshold)
        .bind(now)
        .fetch_optional(conn)
        .await?)
}

/// Failed sign-ins in a row for an email without a user; a lock whose time has passed is ended
/// first (counting starts again), as for real users.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unknown_failures(conn: &mut AnyConnection, email_normalized: &str, now: i64) -> Result<i64> {
    sqlx::query(
        "UPDATE sign_in_failures SET failed_attempts = 0, locked_until = NULL \
         WHERE email_normalized = $1 AND locked_until IS NOT NULL AND locked_until <= $2",
    )
    .bind(email_normalized)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let n: Option<i64> = sqlx::query_scalar("SELECT failed_attempts FROM sign_in_failures WHERE email_normalized = $1")
        .bind(email_normalized)
        .fetch_optional(conn)
        .await?;
    Ok(n.unwrap_or(0))
}

/// Failed attempts counted for a user.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn failures(conn: &mut AnyConnection, id: &UserId) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT failed_attempts FROM users WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?
        .unwrap_or(0))
}

/// A successful sign-in: resets the counter; `false` when the user was locked meanwhile.
///
/// With the `profile` of the password just used, it is kept when the user has none yet (as
/// [`fill_profile`] does), in the same statement: a sign-in is one write to the user's row.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn record_success(
    conn: &mut AnyConnection, id: &UserId, now: i64, profile: Option<PasswordProfile>,
) -> Result<bool> {
    let columns = profile.map(profile_columns);
    // Every right-hand side reads the row as it was, so both CASEs see the old password_length.
    changed_one(
        conn,
        sqlx::query(
            "UPDATE users SET failed_attempts = 0, lockouts = 0, last_sign_in_at = $1, \
             password_length = CASE WHEN password_length IS NULL THEN COALESCE($3, password_length) ELSE password_length END, \
             password_classes = CASE WHEN password_length IS NULL THEN COALESCE($4, password_classes) ELSE password_classes END \
             WHERE id = $2 AND status = 'active'",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(columns.map(|(length, _)| length))
        .bind(columns.map(|(_, classes)| classes)),
    )
    .await
}

/// Unlocks a locked user of an account; `false` when they were not locked.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn unlock(conn: &mut AnyConnection, account_id: &AccountId, id: &UserId, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE users SET status = 'active', failed_attempts = 0, locked_at = NULL, locked_until = NULL, updated_at = $1 WHERE id = $2 AND account_id = $3 AND status = 'locked'")
            .bind(now)
            .bind(id.as_str())
            .bind(account_id.as_str()),
    )
    .await
}

/// The hashes of the user's last `n` passwords, newest first (the current one included).
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn recent_password_hashes(conn: &mut AnyConnection, id: &UserId, n: u32) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(id.as_str())
    .bind(i64::from(n))
    .fetch_all(conn)
    .await?)
}

/// How many passwords the history keeps per user (the most a policy may ask for).
const HISTORY_KEPT: i64 = tenantry_domain::password::MAX_HISTORY as i64;

/// Sets a user's password: the hash, its profile and time, into the history; clears the counter and
/// any lock or pending change request. `must_change` asks for a new one at next sign-in (admin-set).
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn set_password(
    conn: &mut AnyConnection, id: &UserId, hash: &str, profile: PasswordProfile, must_change: bool, now: i64,
) -> Result<bool> {
    let (length, classes) = profile_columns(profile);
    let changed = changed_one(
        conn,
        sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, password_length = $3, password_classes = $4, \
             must_change_password = $5, failed_attempts = 0, locked_at = NULL, locked_until = NULL, \
             status = CASE WHEN status = 'locked' THEN 'active' ELSE status END, updated_at = $2 WHERE id = $6",
        )
        .bind(hash)
        .bind(now)
        .bind(length)
        .bind(classes)
        .bind(flag(must_change))
        .bind(id.as_str()),
    )
    .await?;
    let history_id = format!("pwh_{}", tenantry_domain::token::random_hex(12));
    sqlx::query("INSERT INTO password_history (id, user_id, password_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&history_id)
        .bind(id.as_str())
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = $1 AND id NOT IN \
         (SELECT id FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)",
    )
    .bind(id.as_str())
    .bind(HISTORY_KEPT)
    .execute(&mut *conn)
    .await?;
    Ok(changed)
}

/// The `password_length` and `password_classes` columns of a profile.
pub(crate) fn profile_columns(profile: PasswordProfile) -> (i64, i64) {
    (i64::try_from(profile.length).unwrap_or(i64::MAX), i64::from(profile.classes))
}

/// Records the length and classes of a password that predates profiles (seen at sign-in).
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn fill_profile(conn: &mut AnyConnection, id: &UserId, profile: PasswordProfile) -> Result<()> {
    let (length, classes) = profile_columns(profile);
    sqlx::query(
        "UPDATE users SET password_length = $1, password_classes = $2 WHERE id = $3 AND password_length IS NULL",
    )
    .bind(length)
    .bind(classes)
    .bind(id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the user's cell number and whether it is verified.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn set_phone(conn: &mut AnyConnection, id: &UserId, number: Option<&str>, verified: bool) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE users SET phone_number = $1, phone_verified = $2 WHERE id = $3")
            .bind(number)
            .bind(flag(verified))
            .bind(id.as_str()),
    )
    .await
}

/// An open password reset.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reset {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub channel: String,
    pub code_hash: String,
    pub attempts: i64,
}

use tenantry_domain::limits::RESET_ATTEMPTS;

/// Starts a password reset, ending any earlier open one of the user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn insert_reset(
    conn: &mut AnyConnection, id: &str, user_id: &UserId, channel: &str, code_hash: &str, now: i64, expires_at: i64,
) -> Result<()> {
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO password_resets (id, user_id, channel, code_hash, attempts, created_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6)")
        .bind(id)
        .bind(user_id.as_str())
        .bind(channel)
        .bind(code_hash)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's open reset (unused, unexpired), if any.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn open_reset(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<Option<Reset>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, channel, code_hash, attempts FROM password_resets WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// The open reset behind an emailed link (its token's hash).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_by_hash(conn: &mut AnyConnection, code_hash: &str, now: i64) -> Result<Option<Reset>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, channel, code_hash, attempts FROM password_resets WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3",
    )
    .bind(code_hash)
    .bind(now)
    .bind(RESET_ATTEMPTS)
    .fetch_optional(conn)
    .await?)
}

/// Spends one attempt of a reset; `false` when none is left (or it was used), whatever the code.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn spend_reset_attempt(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query(
            "UPDATE password_resets SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 AND used_at IS NULL",
        )
        .bind(id)
        .bind(RESET_ATTEMPTS),
    )
    .await
}

/// Marks a reset used; `false` when it already was (single use under races).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn use_reset(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL").bind(now).bind(id),
    )
    .await
}

/// Stores a not-yet-confirmed TOTP seed (encrypted); refused (`false`) while one is enabled.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn set_pending_totp(conn: &mut AnyConnection, id: &UserId, encrypted_secret: &str) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2 AND totp_enabled = 0")
            .bind(encrypted_secret)
            .bind(id.as_str()),
    )
    .await
}

/// Turns TOTP on after the first code was checked.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn enable_totp(conn: &mut AnyConnection, id: &UserId) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE users SET totp_enabled = 1 WHERE id = $1 AND totp_enabled = 0 AND totp_secret IS NOT NULL")
            .bind(id.as_str()),
    )
    .await
}

/// Turns TOTP off and forgets the seed and the recovery codes.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn disable_totp(conn: &mut AnyConnection, id: &UserId) -> Result<()> {
    sqlx::query("UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

/// Accepts a TOTP time step once: `false` when this step (or a later one) was already used.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn accept_totp_step(conn: &mut AnyConnection, id: &UserId, step: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(id.as_str()),
    )
    .await
}

/// Replaces the user's recovery codes with these hashes.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn replace_recovery_codes(conn: &mut AnyConnection, id: &UserId, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)")
            .bind(format!("rcv_{}", tenantry_domain::token::random_hex(12)))
            .bind(id.as_str())
            .bind(h)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Uses a recovery code once; `false` when it is unknown or used.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn use_recovery_code(conn: &mut AnyConnection, id: &UserId, hash: &str, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(id.as_str())
            .bind(hash),
    )
    .await
}

/// Remembers a sign-in whose password was right until its two-step code arrives (or `expires_at`).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn insert_challenge(
    conn: &mut AnyConnection, token_hash: &str, user_id: &UserId, now: i64, expires_at: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO sign_in_challenges (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user a pending sign-in belongs to, while it has not expired.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn challenge(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<Option<UserId>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM sign_in_challenges WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(conn)
            .await?;
    id.map(UserId::try_from).transpose().map_err(|_| crate::StoreError::corrupt("sign_in_challenges.user_id"))
}

/// Ends a pending sign-in; true if this call ended it (a second use of the same token is refused).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn take_challenge(conn: &mut AnyConnection, token_hash: &str) -> Result<bool> {
    changed_one(conn, sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1").bind(token_hash)).await
}
