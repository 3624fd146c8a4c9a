//! Writing the audit log and domain events from services, in the caller's transaction; and reading
//! the log as people read it (names instead of ids, actions in plain words, dates in their zone).

use crate::{Actor, Admin, App, Error, Result};
use serde_json::Value;
use std::borrow::Cow;
use tenantry_domain::{AccountId, TimeZoneName, UserId, ValidationErrors};
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

/// The account's audit events matching `query` (the API's view: ids, no names).
#[tracing::instrument(skip_all)]
pub async fn list(
    state: &crate::App, admin: &crate::Admin, query: &audit::AuditQuery,
) -> Result<Vec<audit::AuditEvent>> {
    let mut conn = state.db.conn().await?;
    Ok(audit::list(&mut conn, admin.account_id(), query).await?)
}

/// The actions the log records, grouped for people choosing one, each with what it means.
pub const ACTION_GROUPS: &[(&str, &[(&str, &str)])] = &[
    (
        "Sign-in and security",
        &[
            ("auth.sign_in", "Signed in"),
            ("auth.sign_in_failed", "Failed to sign in"),
            ("user.locked", "Locked out after failed sign-ins"),
            ("user.unlocked", "Unlocked a user"),
            ("user.signed_out_everywhere", "Signed a user out everywhere"),
            ("password.changed", "Changed their password"),
            ("password.reset_requested", "Asked for a password reset"),
            ("password.reset", "Reset their password"),
            ("password.reset_sent", "Sent a user a password reset link"),
            ("password.set_by_administrator", "Set a user's password"),
            ("password.change_required", "Asked for new passwords"),
            ("mfa.totp_enabled", "Turned on two-step verification"),
            ("mfa.totp_disabled", "Turned off two-step verification"),
            ("api_key.created", "Created an API key"),
            ("api_key.revoked", "Revoked an API key"),
        ],
    ),
    (
        "Users",
        &[
            ("user.invited", "Invited a user"),
            ("user.invitation_resent", "Resent an invitation"),
            ("user.invitation_revoked", "Revoked an invitation"),
            ("user.updated", "Changed a user"),
            ("user.deleted", "Deleted a user"),
            ("user.deactivated", "Deactivated a user"),
            ("user.reactivated", "Reactivated a user"),
            ("user.email_change_requested", "Asked to change an email address"),
            ("user.email_changed", "Changed an email address"),
            ("user.phone_verification_sent", "Sent a cell number verification code"),
            ("user.phone_verified", "Verified a cell number"),
            ("user.avatar_changed", "Changed a profile picture"),
            ("user.avatar_removed", "Removed a profile picture"),
            ("integration.connected", "Connected an integration"),
            ("integration.disconnected", "Disconnected an integration"),
        ],
    ),
    (
        "Licenses and billing",
        &[
            ("license.assigned", "Assigned a license"),
            ("license.unassigned", "Unassigned a license"),
            ("subscription.updated", "Changed the subscription"),
        ],
    ),
    (
        "Booking pages",
        &[
            ("booking_page.created", "Created a booking page"),
            ("booking_page.updated", "Changed a booking page"),
            ("booking_page.disabled", "Switched off a booking page"),
            ("booking_page.transferred", "Moved a booking page to a new owner"),
            ("booking_page.deleted", "Deleted a booking page"),
        ],
    ),
    (
        "Account",
        &[
            ("account.updated", "Changed the account settings"),
            ("security_policy.updated", "Changed the security policies"),
        ],
    ),
    (
        "Account settings sections",
        &[
            ("chat_team.created", "Created a live chat team"),
            ("chat_team.updated", "Changed a live chat team"),
            ("chat_team.deleted", "Deleted a live chat team"),
            ("contact_field.created", "Added a contact field"),
            ("contact_field.updated", "Changed a contact field"),
            ("contact_field.deleted", "Deleted a contact field"),
            ("crm.connected", "Connected the CRM"),
            ("crm.updated", "Changed the CRM connection"),
            ("crm.tested", "Tested the CRM connection"),
            ("crm.disconnected", "Disconnected the CRM"),
            ("compliance.updated", "Changed the compliance settings"),
            ("privacy.updated", "Changed the chatbot and form privacy"),
        ],
    ),
];

/// What `action` means in plain words; an action not listed above reads as its code does
/// (`user.invitation_resent` → "User: invitation resent").
pub fn describe(action: &str) -> Cow<'static, str> {
    let known = ACTION_GROUPS.iter().flat_map(|(_, actions)| actions.iter()).find(|(code, _)| *code == action);
    if let Some((_, words)) = known {
        return Cow::Borrowed(words);
    }
    let (object, verb) = action.split_once('.').unwrap_or(("", action));
    let words = |s: &str| s.replace('_', " ");
    let mut object = words(object);
    if let Some(first) = object.get(..1) {
        object = format!("{}{}", first.to_uppercase(), &object[1..]);
    }
    Cow::Owned(if object.is_empty() { words(verb) } else { format!("{object}: {}", words(verb)) })
}

/// Events the operator's API causes (the rest without a user are Tenantry's own).
fn by_operator(action: &str) -> bool {
    action.starts_with("subscription.") || action.starts_with("invoice.") || action.starts_with("sms_credits.")
}

/// Who made an event, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// A user of the account.
    User { name: String, email: String },
    /// A user who has since been deleted.
    FormerUser,
    /// Tenantry itself (e.g. a lockout).
    Tenantry,
    /// The operator of the installation (e.g. a subscription change).
    Operator,
}

impl Who {
    /// The name to show.
    pub fn name(&self) -> &str {
        match self {
            Who::User { name, .. } => name,
            Who::FormerUser => "A deleted user",
            Who::Tenantry => "Tenantry",
            Who::Operator => "Operator",
        }
    }

    /// The email of a user.
    pub fn email(&self) -> Option<&str> {
        match self {
            Who::User { email, .. } => Some(email),
            _ => None,
        }
    }
}

/// One event of the log as people read it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    /// Unix ms.
    pub at: i64,
    pub actor_id: Option<String>,
    pub who: Who,
    pub action: String,
    /// The action in plain words.
    pub description: Cow<'static, str>,
    pub target_type: String,
    pub target_id: Option<String>,
    /// The name of the user the event is about, while they exist.
    pub target_name: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
}

impl From<audit::NamedAuditEvent> for Entry {
    fn from(n: audit::NamedAuditEvent) -> Self {
        let e = n.event;
        let who = match (&e.actor_id, n.actor_name, n.actor_email) {
            (Some(_), Some(name), Some(email)) => Who::User { name, email },
            (Some(_), _, _) => Who::FormerUser,
            (None, _, _) if by_operator(&e.action) => Who::Operator,
            (None, _, _) => Who::Tenantry,
        };
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Entry {
            description: describe(&e.action),
            id: e.id,
            at: e.created_at,
            actor_id: e.actor_id,
            who,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            target_name: n.target_name,
            before: json(e.before_json),
            after: json(e.after_json),
            ip: e.ip,
        }
    }
}

/// Which events to show. Times are Unix ms: `since` inclusive, `until` exclusive.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filter {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Filter {
    /// The filter a person chose: an actor id, an action, and a range of whole days (`YYYY-MM-DD`,
    /// either end optional) in their time zone, `to` included. Empty values do not filter; a
    /// malformed or reversed range is a 422 naming `from` or `to`.
    pub fn from_choices(zone: &TimeZoneName, actor: &str, action: &str, from: &str, to: &str) -> Result<Self> {
        let zone = jiff::tz::db().get(zone.as_str()).unwrap_or(jiff::tz::TimeZone::UTC);
        let mut errors = ValidationErrors::new();
        let mut day = |field: &str, text: &str, next_day: bool| -> Option<i64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let date = text.parse::<jiff::civil::Date>().ok();
            let date = if next_day { date.and_then(|d| d.tomorrow().ok()) } else { date };
            match date.and_then(|d| d.to_zoned(zone.clone()).ok()) {
                Some(start) => Some(start.timestamp().as_millisecond()),
                None => {
                    errors.push(field, "must be a date like 2026-05-31");
                    None
                }
            }
        };
        let since = day("from", from, false);
        let until = day("to", to, true);
        if let (Some(s), Some(u)) = (since, until)
            && u <= s
        {
            errors.push("to", "must be on or after the From date");
        }
        errors.into_result()?;
        let chosen = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Self { actor_id: chosen(actor), action: chosen(action), since, until })
    }
}

/// A keyset position in the log: the time and id of an event.
pub type Position = (i64, String);

/// Some events of the log, and where the next ones start (none: these were the last).
#[derive(Debug)]
pub struct Entries {
    pub entries: Vec<Entry>,
    pub next: Option<Position>,
}

/// One page of the log, newest first, with names: at most `limit` entries after the keyset
/// position `after` (from the previous page), and the position of the next page when there is one.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn entries(
    state: &App, admin: &Admin, filter: &Filter, after: Option<Position>, limit: i64,
) -> Result<Entries> {
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 1000"));
    }
    let query = audit::AuditQuery {
        actor_id: filter.actor_id.clone(),
        action: filter.action.clone(),
        since: filter.since,
        until: filter.until,
        target_id: None,
        before: after,
        limit: limit + 1,
    };
    let rows = {
        let mut conn = state.db.conn().await?;
        audit::list_named(&mut conn, admin.account_id(), &query).await?
    };
    let mut entries: Vec<Entry> = rows.into_iter().map(Entry::from).collect();
    let more = entries.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more { entries.last().map(|e| (e.at, e.id.clone())) } else { None };
    Ok(Entries { entries, next })
}

/// A user who can be chosen as the actor of the filter.
#[derive(Debug, Clone)]
pub struct ActorChoice {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// The account's users by name, for choosing an actor: at most `max`, and whether there are more.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn actor_choices(state: &App, admin: &Admin, max: i64) -> Result<(Vec<ActorChoice>, bool)> {
    let query = tenantry_storage::users::ListQuery { limit: max + 1, ..Default::default() };
    let mut conn = state.db.conn().await?;
    let users = tenantry_storage::users::list(&mut conn, state.db.backend(), admin.account_id(), &query).await?;
    let more = users.len() > usize::try_from(max).unwrap_or(usize::MAX);
    let choices = users
        .into_iter()
        .take(usize::try_from(max).unwrap_or(usize::MAX))
        .map(|(u, _)| ActorChoice { id: u.id.to_string(), name: u.name.to_string(), email: u.email.to_string() })
        .collect();
    Ok((choices, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_in_plain_words() {
        assert_eq!(describe("license.assigned"), "Assigned a license");
        assert_eq!(describe("user.phone_thing_done"), "User: phone thing done");
        assert_eq!(describe("odd"), "odd");
    }

    #[test]
    fn a_day_range_covers_whole_days_in_the_viewers_zone() {
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap_or_else(|_| unreachable!());
        let f = Filter::from_choices(&berlin, "", "", "2026-05-31", "2026-05-31").unwrap_or_default();
        // Midnight in Berlin (CEST, UTC+2) is 22:00 UTC the day before.
        assert_eq!(f.since, Some(1_780_178_400_000));
        assert_eq!(f.until, Some(1_780_178_400_000 + 86_400_000));
        assert!(Filter::from_choices(&berlin, "", "", "2026-06-02", "2026-06-01").is_err());
        assert!(Filter::from_choices(&berlin, "", "", "31/05/2026", "").is_err());
        let open = Filter::from_choices(&berlin, " usr_x ", "", "", "").unwrap_or_default();
        assert_eq!((open.actor_id.as_deref(), open.since, open.until), (Some("usr_x"), None, None));
    }
}
