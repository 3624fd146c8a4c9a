//! `POST /users/bulk`: one action (assign or unassign a license, resend the invitation,
//! deactivate) on the users ticked in the lobby. Each user is changed on their own by the same
//! service as the single action; the lobby then shows one summary with whom it refused and why.

use super::Section;
use super::users::{BulkNotice, lobby_with_notice};
use super::{PageAdmin, PageError, PageForm};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tenantry_app::bulk::{self, BulkAction, MAX_BULK};

/// The action as posted: `assign:<product>`, `unassign:<product>`, `resend` or `deactivate`.
fn parse_action(value: &str) -> Option<BulkAction> {
    match value.split_once(':') {
        Some(("assign", key)) => Some(BulkAction::Assign(key.to_owned())),
        Some(("unassign", key)) => Some(BulkAction::Unassign(key.to_owned())),
        _ => match value {
            "resend" => Some(BulkAction::ResendInvitation),
            "deactivate" => Some(BulkAction::Deactivate),
            _ => None,
        },
    }
}

fn users_word(n: usize) -> String {
    match n {
        0 => "no users".to_owned(),
        1 => "1 user".to_owned(),
        n => format!("{n} users"),
    }
}

/// The summary sentence of what was done.
fn summary(state: &AppState, action: &BulkAction, done: usize) -> String {
    let product = |key: &str| state.config.catalog.get(key).map_or_else(|| key.to_owned(), |p| p.name.clone());
    match action {
        BulkAction::Assign(key) => format!("Assigned {} to {}.", product(key), users_word(done)),
        BulkAction::Unassign(key) => format!("Unassigned {} from {}.", product(key), users_word(done)),
        BulkAction::ResendInvitation => format!("Resent the invitation to {}.", users_word(done)),
        BulkAction::Deactivate => format!("Deactivated {}.", users_word(done)),
    }
}

/// `POST /users/bulk` with `ids` (repeated) and `action`.
pub async fn apply(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut ids = Vec::new();
    let mut action = String::new();
    for (k, v) in pairs {
        match k.as_str() {
            "ids" => ids.push(v),
            "action" => action = v,
            _ => {}
        }
    }
    let bad = |msg: String| PageError::for_user(AppError::BadRequest(msg), &admin, Section::Users);
    if ids.len() > MAX_BULK {
        return Err(bad(format!("Select at most {MAX_BULK} users at a time.")));
    }
    if ids.iter().all(|id| id.trim().is_empty()) {
        let notice = BulkNotice {
            summary: "Select at least one user, then choose an action and apply it.".to_owned(),
            refused: Vec::new(),
            warning: true,
            action: action.clone(),
        };
        return lobby_with_notice(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, notice).await;
    }
    let Some(chosen) = parse_action(action.trim()) else {
        return Err(bad("Choose one of the bulk actions.".to_owned()));
    };
    let outcome = bulk::apply(&state, &admin, &admin.actor, &ids, &chosen)
        .await
        .map_err(|e| PageError::for_user(e, &admin, Section::Users))?;
    let notice = BulkNotice {
        summary: summary(&state, &chosen, outcome.done),
        refused: outcome.refused.iter().map(|r| format!("{}: {}", r.name, r.reason)).collect(),
        warning: outcome.done == 0,
        action,
    };
    lobby_with_notice(&state, &admin, StatusCode::OK, notice).await
}
