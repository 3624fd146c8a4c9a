//! Live chat teams (Administrators): named groups of the account's users who answer live chat.
//! Names are unique in the account whatever their case; members must be users of the account (an
//! id of another account's user is simply not one, and says nothing about it).

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::{Value, json};
use tenantry_domain::id::ChatTeamId;
use tenantry_domain::{FieldError, UserId, ValidationErrors};
use tenantry_storage::chat_teams::{self, ChatTeam};
use tenantry_storage::{Conn, users};

/// Longest team name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 1000;
/// Most members one request may name.
pub const MAX_MEMBERS: usize = 1000;

/// A team name: trimmed, 1–100 characters, no control characters.
pub fn parse_name(input: &str) -> std::result::Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("is required".to_owned());
    }
    if s.chars().count() > MAX_NAME {
        return Err(format!("is too long (at most {MAX_NAME} characters)"));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(s.to_owned())
}

/// A description: trimmed, at most 1,000 characters; line breaks allowed, other control characters not.
pub fn parse_description(input: &str) -> std::result::Result<String, String> {
    let s = input.trim();
    if s.chars().count() > MAX_DESCRIPTION {
        return Err(format!("is too long (at most {MAX_DESCRIPTION} characters)"));
    }
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(s.to_owned())
}

/// Member ids as sent: each must look like a user id (whether it is one of the account's is
/// checked when saving); repeats count once.
pub fn parse_member_ids(raw: &[String]) -> std::result::Result<Vec<UserId>, String> {
    if raw.len() > MAX_MEMBERS {
        return Err(format!("names too many users (at most {MAX_MEMBERS})"));
    }
    let mut ids: Vec<UserId> = Vec::with_capacity(raw.len());
    for r in raw {
        let id = UserId::parse(r.trim()).ok_or_else(|| format!("{r:?} is not a user of this account"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// A valid new team.
#[derive(Debug, Clone, Default)]
pub struct NewTeam {
    pub name: String,
    pub description: String,
    pub member_ids: Vec<UserId>,
}

/// A valid change to a team; `None` leaves a part alone, `member_ids` replaces the member set.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub member_ids: Option<Vec<UserId>>,
}

/// A team as the audit log records it.
fn audit_view(t: &ChatTeam) -> Value {
    json!({"id": t.id.as_str(), "name": t.name, "description": t.description, "member_ids": t.member_ids.iter().map(UserId::as_str).collect::<Vec<_>>()})
}

fn name_taken(name: &str) -> Error {
    Error::Conflict {
        detail: format!("A live chat team named “{name}” already exists."),
        errors: vec![FieldError::new("name", "is already the name of another team")],
    }
}

/// Refuses ids that are not users of the admin's account (another account's users included,
/// without saying so).
async fn check_members(conn: &mut Conn, admin: &Admin, ids: &[UserId]) -> Result<()> {
    let refs: Vec<&UserId> = ids.iter().collect();
    let found = users::names_of(conn, admin.account_id(), &refs).await?;
    let unknown: Vec<&str> = ids.iter().map(UserId::as_str).filter(|id| !found.contains_key(*id)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut e = ValidationErrors::new();
    e.push("member_ids", format!("holds ids that are not users of this account: {}", unknown.join(", ")));
    Err(Error::Validation(e))
}

/// Maps a clash of names in storage to the 409 naming `name`.
fn named(name: &str) -> impl Fn(tenantry_storage::StoreError) -> Error + '_ {
    move |e| match e {
        tenantry_storage::StoreError::Conflict { .. } => name_taken(name),
        other => other.into(),
    }
}

/// Most teams one page of the list holds.
pub const MAX_PAGE: i64 = 200;

/// A page of the account's teams by name, after the keyset position `after`; answers the teams
/// and the cursor of the next page.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn list(
    state: &App, admin: &Admin, after: Option<(String, String)>, limit: i64,
) -> Result<(Vec<ChatTeam>, Option<String>)> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let mut conn = state.db.conn().await?;
    let rows = chat_teams::list(&mut conn, admin.account_id(), after.as_ref(), limit + 1).await?;
    let (rows, next) = crate::cursor::paginate(rows, limit, |(t, key)| (key.clone(), t.id.to_string()));
    Ok((rows.into_iter().map(|(t, _)| t).collect(), next))
}

/// One team of the admin's account; others' are 404.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), team_id = %id))]
pub async fn get(state: &App, admin: &Admin, id: &ChatTeamId) -> Result<ChatTeam> {
    let mut conn = state.db.conn().await?;
    chat_teams::get(&mut conn, admin.account_id(), id).await?.ok_or(Error::NotFound)
}

/// The names of the team's members, by user id.
#[tracing::instrument(skip_all, fields(team_id = %team.id))]
pub async fn member_names(
    state: &App, admin: &Admin, team: &ChatTeam,
) -> Result<std::collections::HashMap<String, String>> {
    let ids: Vec<&UserId> = team.member_ids.iter().collect();
    let mut conn = state.db.conn().await?;
    Ok(users::names_of(&mut conn, admin.account_id(), &ids).await?)
}

/// Creates a team with its members, recorded in the audit log.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn create(state: &App, admin: &Admin, actor: &Actor, team: NewTeam) -> Result<ChatTeam> {
    let now = state.now();
    let id = ChatTeamId::generate();
    let account_id = admin.account_id();
    let mut tx = state.db.begin().await?;
    check_members(&mut tx, admin, &team.member_ids).await?;
    chat_teams::insert(&mut tx, account_id, &id, &team.name, &team.description, now)
        .await
        .map_err(named(&team.name))?;
    chat_teams::set_members(&mut tx, &id, &team.member_ids, now).await?;
    let created = chat_teams::get(&mut tx, account_id, &id).await?.ok_or(Error::NotFound)?;
    audit::record(
        &mut tx,
        actor,
        Change::new("chat_team.created", "chat_team", id.as_str()).after(audit_view(&created)),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    Ok(created)
}

/// Changes a team's name, description or members (the set given replaces the old one).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), team_id = %id))]
pub async fn update(state: &App, admin: &Admin, actor: &Actor, id: &ChatTeamId, patch: TeamPatch) -> Result<ChatTeam> {
    let now = state.now();
    let account_id = admin.account_id();
    let mut tx = state.db.begin().await?;
    let before = chat_teams::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let name = patch.name.unwrap_or_else(|| before.name.clone());
    let description = patch.description.unwrap_or_else(|| before.description.clone());
    if let Some(members) = &patch.member_ids {
        check_members(&mut tx, admin, members).await?;
    }
    if name != before.name || description != before.description {
        chat_teams::update(&mut tx, account_id, id, &name, &description, now).await.map_err(named(&name))?;
    }
    if let Some(members) = &patch.member_ids {
        chat_teams::set_members(&mut tx, id, members, now).await?;
    }
    let after = chat_teams::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if audit_view(&before) != audit_view(&after) {
        let change = Change::new("chat_team.updated", "chat_team", id.as_str())
            .before(audit_view(&before))
            .after(audit_view(&after));
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(after)
}

/// Adds one user to a team (the pages' "Add member"); already in it is no change.
pub async fn add_member(state: &App, admin: &Admin, actor: &Actor, id: &ChatTeamId, user: UserId) -> Result<ChatTeam> {
    let team = get(state, admin, id).await?;
    let mut members = team.member_ids;
    if !members.contains(&user) {
        members.push(user);
    }
    update(state, admin, actor, id, TeamPatch { member_ids: Some(members), ..TeamPatch::default() }).await
}

/// Removes one user from a team (the pages' "Remove"); not in it is no change.
pub async fn remove_member(
    state: &App, admin: &Admin, actor: &Actor, id: &ChatTeamId, user: &UserId,
) -> Result<ChatTeam> {
    let team = get(state, admin, id).await?;
    let members: Vec<UserId> = team.member_ids.into_iter().filter(|m| m != user).collect();
    update(state, admin, actor, id, TeamPatch { member_ids: Some(members), ..TeamPatch::default() }).await
}

/// Deletes a team and its memberships (its members stay users), recorded in the audit log.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), team_id = %id))]
pub async fn delete(state: &App, admin: &Admin, actor: &Actor, id: &ChatTeamId) -> Result<ChatTeam> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = chat_teams::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    chat_teams::delete(&mut tx, admin.account_id(), id).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("chat_team.deleted", "chat_team", id.as_str()).before(audit_view(&before)),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    Ok(before)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Support  ").as_deref(), Ok("Support"));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(101)).is_err());
        assert!(parse_name(&"é".repeat(100)).is_ok());
        assert!(parse_name("a\u{7}b").is_err());
        assert!(parse_description("line one\nline two").is_ok());
        assert!(parse_description(&"d".repeat(1001)).is_err());
    }

    #[test]
    fn member_ids_must_look_like_user_ids_and_repeat_once() {
        let id = UserId::generate();
        let ids = parse_member_ids(&[id.to_string(), id.to_string()]).expect("valid");
        assert_eq!(ids, vec![id]);
        assert!(parse_member_ids(&["acc_000000000000000000000000".to_owned()]).is_err());
        assert!(parse_member_ids(&vec![UserId::generate().to_string(); MAX_MEMBERS + 1]).is_err());
    }
}
