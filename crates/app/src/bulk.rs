//! Bulk actions on users an Administrator selected in the lobby: each user is changed through the
//! service of the single action, in its own transaction, and one summary says who was refused.

use crate::users::{SELF_RULE, deactivate, get, resend_invitation};
use crate::{Actor, Admin, App, Error, Result, licenses};
use tenantry_domain::UserId;

/// Most users one bulk action applies to.
pub const MAX_BULK: usize = 200;

/// What a bulk action does to each selected user (the same service as the single action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// Assigns the catalog product with this key.
    Assign(String),
    /// Unassigns the catalog product with this key.
    Unassign(String),
    /// Sends a new invitation link.
    ResendInvitation,
    /// Deactivates the user.
    Deactivate,
}

/// A selected user the action refused, by name (or the id as given, when not in the account),
/// with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRefusal {
    pub name: String,
    pub reason: String,
}

/// What a bulk action did: how many users it changed, and whom it refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: usize,
    pub refused: Vec<BulkRefusal>,
}

/// Applies `action` to each of the users `ids` (at most [`MAX_BULK`], repeats counted once),
/// each as its own change through the service of the single action: one refusal stops nobody
/// else. Ids not of the account (or malformed) are refused as not found and never acted on.
/// Failures on our side end the loop with the error.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), count = ids.len()))]
pub async fn apply(
    state: &App, admin: &Admin, actor: &Actor, ids: &[String], action: &BulkAction,
) -> Result<BulkOutcome> {
    if ids.len() > MAX_BULK {
        return Err(Error::BadField("ids", format!("Select at most {MAX_BULK} users at a time.")));
    }
    let product = match action {
        BulkAction::Assign(key) | BulkAction::Unassign(key) => Some(licenses::catalog_entry(state, key)?),
        BulkAction::ResendInvitation | BulkAction::Deactivate => None,
    };
    let product_name = product.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let mut seen: Vec<&str> = Vec::new();
    let mut outcome = BulkOutcome::default();
    for raw in ids {
        let raw = raw.trim();
        if raw.is_empty() || seen.contains(&raw) {
            continue;
        }
        seen.push(raw);
        let Some(id) = UserId::parse(raw) else {
            outcome.refused.push(BulkRefusal { name: raw.to_owned(), reason: "not found in this account".to_owned() });
            continue;
        };
        let result = match action {
            BulkAction::Assign(key) => licenses::assign(state, admin, actor, &id, key).await.map(drop),
            BulkAction::Unassign(key) => licenses::unassign(state, admin, actor, &id, key).await.map(drop),
            BulkAction::ResendInvitation => resend_invitation(state, admin, actor, &id).await.map(drop),
            BulkAction::Deactivate => deactivate(state, admin, actor, &id).await.map(drop),
        };
        match result {
            Ok(()) => outcome.done += 1,
            Err(Error::Unexpected(e)) => return Err(Error::Unexpected(e)),
            Err(e) => {
                let name = match get(state, admin, &id).await {
                    Ok(u) => u.user.name.to_string(),
                    Err(Error::NotFound) => raw.to_owned(),
                    Err(other) => return Err(other),
                };
                outcome.refused.push(BulkRefusal { name, reason: bulk_reason(&e, action, &product_name) });
            }
        }
    }
    Ok(outcome)
}

/// A refusal as a short reason after a name ("no free Live chat seat").
fn bulk_reason(e: &Error, action: &BulkAction, product: &str) -> String {
    let verb = match action {
        BulkAction::Assign(_) => "assign this license to",
        BulkAction::Unassign(_) => "unassign this license from",
        BulkAction::ResendInvitation => "resend an invitation to",
        BulkAction::Deactivate => "deactivate",
    };
    match e {
        Error::NotFound => "not found in this account".to_owned(),
        Error::Rule { code: "no_free_seat", .. } => format!("no free {product} seat"),
        Error::Rule { code, .. } if *code == SELF_RULE => format!("you cannot {verb} yourself"),
        other => {
            let text = other.to_string();
            let text = text.trim_end_matches('.');
            let text = text.replacen("This user has ", "they have ", 1).replacen("This user is ", "they are ", 1);
            let mut chars = text.chars();
            chars.next().map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
        }
    }
}
