//! Users: the account's people, their role, status and personal settings.

use crate::{Backend, Result, StoreError, changed_one};
use sqlx::AnyConnection;
use tenantry_domain::{
    AccountId, DateFormat, EmailAddress, PersonName, Role, TimeFormat, TimeZoneName, UserId, UserStatus, Username,
};

/// A user as stored (without secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: EmailAddress,
    pub name: PersonName,
    pub username: Option<Username>,
    pub role: Role,
    pub status: UserStatus,
    pub timezone: TimeZoneName,
    pub date_format: DateFormat,
    pub time_format: TimeFormat,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
    /// The verified cell number (E.164), or one waiting for verification when `phone_verified` is false.
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    pub preferences: tenantry_domain::Preferences,
    /// Version of the profile picture (none: initials are shown).
    pub avatar_version: Option<i64>,
}

impl User {
    /// How this user reads dates and times.
    pub fn local_time(&self) -> tenantry_domain::time::LocalTime {
        tenantry_domain::time::LocalTime::new(&self.timezone, self.date_format, self.time_format)
    }
}

/// The columns [`UserRow`] reads, from a `users` table aliased `u`: one list for every query,
/// spliced in with `concat!` because sqlx wants `&'static str` SQL.
macro_rules! user_columns {
    () => {
        "u.id, u.account_id, u.email, u.name, u.username, u.role, CASE WHEN u.deactivated_at IS NULL THEN u.status ELSE 'deactivated' END AS status, u.timezone, u.date_format, u.time_format, u.last_sign_in_at, u.created_at, u.phone_number, u.phone_verified, u.preferences, u.avatar_version"
    };
}
pub(crate) use user_columns;

/// The status a user has as the read model reports it (`deactivated` when `deactivated_at` is set),
/// for filters on a `users` table aliased `u`.
macro_rules! status_of_u {
    () => {
        "CASE WHEN u.deactivated_at IS NULL THEN u.status ELSE 'deactivated' END"
    };
}

/// The raw row; converted into [`User`] so a corrupt value surfaces as an error, not a wrong answer.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    account_id: String,
    email: String,
    name: String,
    username: Option<String>,
    role: String,
    status: String,
    timezone: String,
    date_format: String,
    time_format: String,
    last_sign_in_at: Option<i64>,
    created_at: i64,
    phone_number: Option<String>,
    phone_verified: i64,
    preferences: String,
    avatar_version: Option<i64>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self> {
        let corrupt = |what: &str| StoreError::corrupt(&format!("users.{what}"));
        Ok(User {
            role: r.role.parse().map_err(|_| corrupt("role"))?,
            status: r.status.parse().map_err(|_| corrupt("status"))?,
            date_format: r.date_format.parse().map_err(|_| corrupt("date_format"))?,
            time_format: r.time_format.parse().map_err(|_| corrupt("time_format"))?,
            id: r.id.try_into().map_err(|_| corrupt("id"))?,
            account_id: r.account_id.try_into().map_err(|_| corrupt("account_id"))?,
            email: r.email.try_into().map_err(|_| corrupt("email"))?,
            name: r.name.try_into().map_err(|_| corrupt("name"))?,
            username: r.username.map(Username::try_from).transpose().map_err(|_| corrupt("username"))?,
            timezone: r.timezone.try_into().map_err(|_| corrupt("timezone"))?,
            last_sign_in_at: r.last_sign_in_at,
            created_at: r.created_at,
            phone_number: r.phone_number,
            phone_verified: r.phone_verified != 0,
            preferences: serde_json::from_str(&r.preferences).map_err(|_| corrupt("preferences"))?,
            avatar_version: r.avatar_version,
        })
    }
}

/// What creating a user needs.
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub account_id: &'a AccountId,
    pub email: &'a EmailAddress,
    pub name: &'a PersonName,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

/// Creates a user; a taken email answers `Conflict { field: "email" }`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, u: NewUser<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, account_id, email, email_normalized, name, name_sort, role, status, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(u.id.as_str())
    .bind(u.account_id.as_str())
    .bind(u.email.as_str())
    .bind(u.email.normalized())
    .bind(u.name.as_str())
    .bind(u.name.sort_key())
    .bind(u.role.as_str())
    .bind(u.status.as_str())
    .bind(u.password_hash)
    .bind(u.now)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// One user of one account; another account's user is `None`, exactly like a missing one.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId, id: &UserId) -> Result<Option<User>> {
    const Q: &str = concat!("SELECT ", user_columns!(), " FROM users u WHERE u.id = $1 AND u.account_id = $2");
    let row: Option<UserRow> =
        sqlx::query_as(Q).bind(id.as_str()).bind(account_id.as_str()).fetch_optional(conn).await?;
    row.map(User::try_from).transpose()
}

/// A user and their password hash, found by email (any case), for sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_credentials(
    conn: &mut AnyConnection, email: &EmailAddress,
) -> Result<Option<(User, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: Option<String>,
    }
    const Q: &str = concat!("SELECT ", user_columns!(), ", u.password_hash FROM users u WHERE u.email_normalized = $1");
    let row: Option<Row> = sqlx::query_as(Q).bind(email.normalized()).fetch_optional(conn).await?;
    row.map(|r| Ok((User::try_from(r.user)?, r.password_hash))).transpose()
}

/// Filters and position for one page of the users list.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    /// Case-insensitive substring of name or email.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// Keyset position: the sort key and id of the last row of the previous page.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

/// Without a search term, or with one too short for trigrams: walk the (account_id, name_sort, id)
/// index in order and stop after `limit` matches (fast unless the term is rare). The keyset
/// condition is a row comparison so both engines start the walk at the cursor (PostgreSQL would
/// only filter on the equivalent OR form).
const LIST_SCAN: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", u.name_sort FROM users u \
     WHERE u.account_id = $1 \
     AND ($2 = '' OR u.name_sort LIKE $2 ESCAPE '\\' OR u.email_normalized LIKE $2 ESCAPE '\\') \
     AND ($3 = '' OR u.role = $3) AND ($4 = '' OR ",
    status_of_u!(),
    " = $4) \
     AND (u.name_sort, u.id) > ($5, $6) \
     ORDER BY u.name_sort, u.id LIMIT $7"
);

/// SQLite: the FTS5 trigram index finds the keys of the matching users (`$2` is a quoted phrase,
/// which the trigram tokenizer matches as a substring); `users_search_rows`, looked up by key,
/// holds what the page is filtered and sorted by, so only the page's users are read from `users`.
const LIST_SEARCH_SQLITE: &str = concat!(
    "WITH page AS ( \
        SELECT r.user_id, r.name_sort FROM users_search_rows r \
        WHERE r.key IN (SELECT rowid FROM users_search WHERE users_search MATCH $2) \
        AND r.account_id = $1 \
        AND ($3 = '' OR r.role = $3) \
        AND ($4 = '' OR (SELECT CASE WHEN d.deactivated_at IS NULL THEN d.status ELSE 'deactivated' END \
             FROM users d WHERE d.id = r.user_id) = $4) \
        AND (r.name_sort, r.user_id) > ($5, $6) \
        ORDER BY r.name_sort, r.user_id LIMIT $7) \
     SELECT ",
    user_columns!(),
    ", u.name_sort FROM page p CROSS JOIN users u ON u.id = p.user_id \
     ORDER BY p.name_sort, p.user_id"
);

/// PostgreSQL: the pg_trgm GIN indexes find the matching users in one bitmap heap scan that reads
/// each row once (materialised, so the planner cannot trade it for a walk of the name index, which
/// is slow for rare terms), then only the matches are sorted.
const LIST_SEARCH_POSTGRES: &str = concat!(
    "WITH matched AS MATERIALIZED ( \
        SELECT ",
    user_columns!(),
    ", u.name_sort FROM users u \
        WHERE (u.name_sort LIKE $2 ESCAPE '\\' OR u.email_normalized LIKE $2 ESCAPE '\\') \
        AND u.account_id = $1 \
        AND ($3 = '' OR u.role = $3) AND ($4 = '' OR ",
    status_of_u!(),
    " = $4) \
        AND (u.name_sort, u.id) > ($5, $6)) \
     SELECT * FROM matched ORDER BY name_sort, id LIMIT $7"
);

/// One page of users sorted by name, then id; also answers the sort key of the last row for the next cursor.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(
    conn: &mut AnyConnection, backend: Backend, account_id: &AccountId, query: &ListQuery,
) -> Result<Vec<(User, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        name_sort: String,
    }
    let term = query.q.as_deref().map(|q| q.trim().to_lowercase()).unwrap_or_default();
    // Trigram indexes need three characters; shorter terms (and none) take the ordered walk.
    let (sql, pattern) = match (term.chars().count(), backend) {
        (0, _) => (LIST_SCAN, String::new()),
        (1..=2, _) => (LIST_SCAN, format!("%{}%", escape_like(&term))),
        (_, Backend::Sqlite) => (LIST_SEARCH_SQLITE, format!("\"{}\"", term.replace('"', "\"\""))),
        (_, Backend::Postgres) => (LIST_SEARCH_POSTGRES, format!("%{}%", escape_like(&term))),
    };
    let (after_name, after_id) = query.after.clone().unwrap_or_default();
    let rows: Vec<Row> = sqlx::query_as(sql)
        .bind(account_id.as_str())
        .bind(pattern)
        .bind(query.role.map(Role::as_str).unwrap_or(""))
        .bind(query.status.map(UserStatus::as_str).unwrap_or(""))
        .bind(after_name)
        .bind(after_id)
        .bind(query.limit)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(|r| Ok((User::try_from(r.user)?, r.name_sort))).collect()
}

/// Escapes LIKE wildcards so user input matches literally.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The fields a profile update may set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChange<'a> {
    pub name: Option<&'a PersonName>,
    /// `Some(None)` clears the username.
    pub username: Option<Option<&'a Username>>,
    pub timezone: Option<&'a str>,
    pub date_format: Option<DateFormat>,
    pub time_format: Option<TimeFormat>,
    pub role: Option<Role>,
    /// Replaces all preferences (the caller merges what changed).
    pub preferences: Option<&'a tenantry_domain::Preferences>,
}

/// Applies a profile change; a taken username answers `Conflict { field: "username" }`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn update_profile(
    conn: &mut AnyConnection, account_id: &AccountId, id: &UserId, c: &ProfileChange<'_>, now: i64,
) -> Result<bool> {
    // COALESCE keeps unchanged columns; the username needs a flag because NULL is a legal new value.
    const Q: &str = "UPDATE users SET \
         name = COALESCE($1, name), name_sort = COALESCE($2, name_sort), \
         username = CASE WHEN $3 = 1 THEN $4 ELSE username END, \
         timezone = COALESCE($5, timezone), date_format = COALESCE($6, date_format), time_format = COALESCE($7, time_format), \
         role = COALESCE($8, role), updated_at = $9, preferences = COALESCE($12, preferences) \
         WHERE id = $10 AND account_id = $11";
    changed_one(
        conn,
        sqlx::query(Q)
            .bind(c.name.map(|n| n.as_str().to_owned()))
            .bind(c.name.map(PersonName::sort_key))
            .bind(crate::flag(c.username.is_some()))
            .bind(c.username.flatten().map(|u| u.as_str().to_owned()))
            .bind(c.timezone.map(str::to_owned))
            .bind(c.date_format.map(|f| f.as_str()))
            .bind(c.time_format.map(|f| f.as_str()))
            .bind(c.role.map(|r| r.as_str()))
            .bind(now)
            .bind(id.as_str())
            .bind(account_id.as_str())
            .bind(c.preferences.map(|p| serde_json::to_string(p).unwrap_or_else(|_| "{}".to_owned()))),
    )
    .await
}

/// Sets the password of an invited user and makes them active (accepting an invitation).
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn activate_with_password(
    conn: &mut AnyConnection, id: &UserId, password_hash: &str, now: i64,
) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE users SET password_hash = $1, status = 'active', last_sign_in_at = $2, updated_at = $2 WHERE id = $3 AND status = 'invited' AND deactivated_at IS NULL")
            .bind(password_hash)
            .bind(now)
            .bind(id.as_str()),
    )
    .await
}

/// Records a successful sign-in.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn record_sign_in(conn: &mut AnyConnection, id: &UserId, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a user of an account (sessions and invitations go with it).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId, id: &UserId) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("DELETE FROM users WHERE id = $1 AND account_id = $2").bind(id.as_str()).bind(account_id.as_str()),
    )
    .await
}

/// How many Administrators of the account count for rule 3: those who have signed in and are not
/// deactivated (`tenantry_domain::rules::counts_as_administrator`); invited ones do not.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn count_administrators(conn: &mut AnyConnection, account_id: &AccountId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE account_id = $1 AND role = 'administrator' \
         AND status = 'active' AND deactivated_at IS NULL",
    )
    .bind(account_id.as_str())
    .fetch_one(conn)
    .await?)
}

/// Deactivates a user of an account (their status then reads `deactivated`); false when there is
/// no such user or they are deactivated already.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn deactivate(conn: &mut AnyConnection, account_id: &AccountId, id: &UserId, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query(
            "UPDATE users SET deactivated_at = $1, updated_at = $1 \
             WHERE id = $2 AND account_id = $3 AND deactivated_at IS NULL",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(account_id.as_str()),
    )
    .await
}

/// Reactivates a deactivated user: their status is again what it was (active, locked or invited).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, id = %id))]
pub async fn reactivate(conn: &mut AnyConnection, account_id: &AccountId, id: &UserId, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query(
            "UPDATE users SET deactivated_at = NULL, updated_at = $1 \
             WHERE id = $2 AND account_id = $3 AND deactivated_at IS NOT NULL",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(account_id.as_str()),
    )
    .await
}

/// The account's Administrators, oldest first (who inherits a deleted user's resources).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn administrators_oldest_first(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<UserId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE account_id = $1 AND role = 'administrator' ORDER BY created_at, id",
    )
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    crate::ids(ids, "users.id")
}

/// The names of `ids` (users of `account_id`), by id.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn names_of(
    conn: &mut AnyConnection, account_id: &AccountId, ids: &[&UserId],
) -> Result<std::collections::HashMap<String, String>> {
    let rows: Vec<(String, String)> = crate::fetch_for_ids(
        conn,
        "SELECT id, name FROM users WHERE account_id = $1 AND id IN ({ids})",
        account_id,
        ids,
    )
    .await?;
    Ok(rows.into_iter().collect())
}

/// Every user id of an account.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn ids_of_account(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<UserId>> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM users WHERE account_id = $1")
        .bind(account_id.as_str())
        .fetch_all(conn)
        .await?;
    crate::ids(ids, "users.id")
}

/// Changes a user's sign-in email; a taken address answers `Conflict { field: "email" }`.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn set_email(conn: &mut AnyConnection, id: &UserId, email: &EmailAddress, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE users SET email = $1, email_normalized = $2, updated_at = $3 WHERE id = $4")
            .bind(email.as_str())
            .bind(email.normalized())
            .bind(now)
            .bind(id.as_str()),
    )
    .await
}

/// Whether another user already signs in with `email`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn email_taken(conn: &mut AnyConnection, email: &EmailAddress) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_normalized = $1")
        .bind(email.normalized())
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Sets (or clears) the profile picture's version; answers the version it replaced.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn set_avatar_version(conn: &mut AnyConnection, id: &UserId, version: Option<i64>) -> Result<Option<i64>> {
    let old: Option<Option<i64>> = sqlx::query_scalar("SELECT avatar_version FROM users WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    sqlx::query("UPDATE users SET avatar_version = $1 WHERE id = $2")
        .bind(version)
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(old.flatten())
}

/// The users of an account that have a profile picture, with its version.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn avatars_of_account(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT id, avatar_version FROM users WHERE account_id = $1 AND avatar_version IS NOT NULL")
        .bind(account_id.as_str())
        .fetch_all(conn)
        .await?)
}
