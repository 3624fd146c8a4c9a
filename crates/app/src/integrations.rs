//! Integrations products report for a user (a connected calendar, a CRM), shown in the Users lobby.

use crate::audit::{self, Change};
use crate::user_detail::{UserDetail, detail};
use crate::{Actor, App, Error, Principal, Result};
use serde_json::json;
use tenantry_domain::{Role, UserId};
use tenantry_storage::{integrations, users};

/// An integration name: 1–64 of `a-z 0-9 _ -` (e.g. `google_calendar`).
pub fn parse_name(name: &str) -> Result<&str> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok { Ok(name) } else { Err(Error::invalid("name", "must be 1–64 characters of a-z, 0-9, _ and -")) }
}

/// Records (`connected`) or forgets that a user connected `name`. The user themself or an
/// Administrator of their account may report it.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn set(
    state: &App, me: &Principal, actor: &Actor, id: &UserId, name: &str, connected: bool,
) -> Result<UserDetail> {
    if *id != me.user.id && me.user.role != Role::Administrator {
        return Err(Error::NotFound);
    }
    let name = parse_name(name)?;
    let account_id = &me.user.account_id;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let user = users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let changed = if connected {
        integrations::CONNECTED.insert(&mut tx, account_id, id, name, now).await?
    } else {
        integrations::CONNECTED.delete(&mut tx, id, name).await?
    };
    if changed {
        let action = if connected { "integration.connected" } else { "integration.disconnected" };
        audit::record(
            &mut tx,
            actor,
            Change::new(action, "user", id.as_str()).after(json!({"integration": name})),
            now,
        )
        .await?;
    }
    let detail = detail(&mut tx, user).await?;
    tenantry_storage::commit(tx).await?;
    Ok(detail)
}
