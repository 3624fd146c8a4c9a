//! Live chat teams: named groups of an account's users who answer live chat. A user may be in
//! several teams; deleting the user or the team removes the membership (foreign keys cascade).

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use std::collections::HashMap;
use tenantry_domain::id::ChatTeamId;
use tenantry_domain::{AccountId, UserId};

/// A team as stored, with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTeam {
    pub id: ChatTeamId,
    pub name: String,
    pub description: String,
    /// Longest-standing member first (ties by user id).
    pub member_ids: Vec<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(try_from = "String")]
    id: ChatTeamId,
    name: String,
    description: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn with_members(self, member_ids: Vec<UserId>) -> ChatTeam {
        ChatTeam {
            id: self.id,
            name: self.name,
            description: self.description,
            member_ids,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The key names are unique by (the account's teams, case-insensitively).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Any unique violation on these tables is a name already taken in the account.
fn name_conflict(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => StoreError::Conflict { field: "name" },
        _ => StoreError::Database(err),
    }
}

/// Creates a team (without members).
#[tracing::instrument(level = "debug", skip_all, fields(team_id = %id))]
pub async fn insert(
    conn: &mut AnyConnection, account_id: &AccountId, id: &ChatTeamId, name: &str, description: &str, now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_teams (id, account_id, name, name_normalized, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.as_str())
    .bind(account_id.as_str())
    .bind(name)
    .bind(name_key(name))
    .bind(description)
    .bind(now)
    .execute(conn)
    .await
    .map_err(name_conflict)?;
    Ok(())
}

/// Renames or redescribes a team; `false` when the account has no such team.
#[tracing::instrument(level = "debug", skip_all, fields(team_id = %id))]
pub async fn update(
    conn: &mut AnyConnection, account_id: &AccountId, id: &ChatTeamId, name: &str, description: &str, now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE chat_teams SET name = $1, name_normalized = $2, description = $3, updated_at = $4 \
         WHERE id = $5 AND account_id = $6",
    )
    .bind(name)
    .bind(name_key(name))
    .bind(description)
    .bind(now)
    .bind(id.as_str())
    .bind(account_id.as_str())
    .execute(conn)
    .await
    .map_err(name_conflict)?;
    Ok(done.rows_affected() == 1)
}

/// Makes `members` the team's exact member set: others leave, newcomers join (those staying keep
/// when they joined). The caller checks that every member is a user of the team's account.
#[tracing::instrument(level = "debug", skip_all, fields(team_id = %id, members = members.len()))]
pub async fn set_members(conn: &mut AnyConnection, id: &ChatTeamId, members: &[UserId], now: i64) -> Result<()> {
    let current = member_ids(conn, id).await?;
    for gone in current.iter().filter(|u| !members.contains(u)) {
        sqlx::query("DELETE FROM chat_team_members WHERE team_id = $1 AND user_id = $2")
            .bind(id.as_str())
            .bind(gone.as_str())
            .execute(&mut *conn)
            .await?;
    }
    for new in members.iter().filter(|u| !current.contains(u)) {
        sqlx::query(
            "INSERT INTO chat_team_members (team_id, user_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(new.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn member_ids(conn: &mut AnyConnection, id: &ChatTeamId) -> Result<Vec<UserId>> {
    let raw: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM chat_team_members WHERE team_id = $1 ORDER BY added_at, user_id")
            .bind(id.as_str())
            .fetch_all(conn)
            .await?;
    crate::ids(raw, "chat_team_members.user_id")
}

/// One team of the account.
#[tracing::instrument(level = "debug", skip_all, fields(team_id = %id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId, id: &ChatTeamId) -> Result<Option<ChatTeam>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, description, created_at, updated_at FROM chat_teams WHERE id = $1 AND account_id = $2",
    )
    .bind(id.as_str())
    .bind(account_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => {
            let members = member_ids(conn, id).await?;
            Ok(Some(row.with_members(members)))
        }
        None => Ok(None),
    }
}

/// Up to `limit` of the account's teams by name after the keyset position `after` (the
/// lower-cased name and id of the last team of the previous page), members loaded in one query.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(
    conn: &mut AnyConnection, account_id: &AccountId, after: Option<&(String, String)>, limit: i64,
) -> Result<Vec<(ChatTeam, String)>> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        #[sqlx(flatten)]
        row: Row,
        name_normalized: String,
    }
    let (key, last) = after.cloned().unwrap_or_default();
    let rows: Vec<Listed> = sqlx::query_as(
        "SELECT id, name, description, created_at, updated_at, name_normalized FROM chat_teams \
         WHERE account_id = $1 AND ($2 = 0 OR name_normalized > $3 OR (name_normalized = $3 AND id > $4)) \
         ORDER BY name_normalized, id LIMIT $5",
    )
    .bind(account_id.as_str())
    .bind(crate::flag(after.is_some()))
    .bind(key)
    .bind(last)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut members = members_of_teams(conn, rows.iter().map(|r| &r.row.id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let ids = members.remove(r.row.id.as_str()).unwrap_or_default();
            (r.row.with_members(ids), r.name_normalized)
        })
        .collect())
}

/// The members of each of `teams`, by team id, in one query.
async fn members_of_teams<'a>(
    conn: &mut AnyConnection, teams: impl Iterator<Item = &'a ChatTeamId>,
) -> Result<HashMap<String, Vec<UserId>>> {
    let teams: Vec<&ChatTeamId> = teams.collect();
    let mut map: HashMap<String, Vec<UserId>> = HashMap::new();
    if teams.is_empty() {
        return Ok(map);
    }
    let text = format!(
        "SELECT team_id, user_id FROM chat_team_members WHERE team_id IN ({}) ORDER BY added_at, user_id",
        crate::placeholders(1, teams.len())
    );
    let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(text));
    for t in &teams {
        q = q.bind(t.as_str());
    }
    for (team, user) in q.fetch_all(conn).await? {
        let user = UserId::try_from(user).map_err(|_| StoreError::corrupt("chat_team_members.user_id"))?;
        map.entry(team).or_default().push(user);
    }
    Ok(map)
}

/// Deletes a team and its memberships; `false` when the account has no such team.
#[tracing::instrument(level = "debug", skip_all, fields(team_id = %id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId, id: &ChatTeamId) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query("DELETE FROM chat_teams WHERE id = $1 AND account_id = $2")
            .bind(id.as_str())
            .bind(account_id.as_str()),
    )
    .await
}

/// A team a user is in: its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRef {
    pub id: ChatTeamId,
    pub name: String,
}

/// The teams each of `users` (users of `account_id` only) is in, by user id, sorted by name; one query.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, users = users.len()))]
pub async fn of_users(
    conn: &mut AnyConnection, account_id: &AccountId, users: &[&UserId],
) -> Result<HashMap<String, Vec<TeamRef>>> {
    let rows: Vec<(String, String, String)> = crate::fetch_for_ids(
        conn,
        "SELECT m.user_id, t.id, t.name FROM chat_team_members m JOIN chat_teams t ON t.id = m.team_id \
         WHERE t.account_id = $1 AND m.user_id IN ({ids}) ORDER BY t.name_normalized, t.id",
        account_id,
        users,
    )
    .await?;
    let mut map: HashMap<String, Vec<TeamRef>> = HashMap::new();
    for (user, team, name) in rows {
        let id = ChatTeamId::try_from(team).map_err(|_| StoreError::corrupt("chat_teams.id"))?;
        map.entry(user).or_default().push(TeamRef { id, name });
    }
    Ok(map)
}
