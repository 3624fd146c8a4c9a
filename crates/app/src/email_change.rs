//! Changing one's sign-in email: a single-use link goes to the new address (24 hours); only when
//! it is followed does the address change, and the old address is told.

use crate::audit::{self, Change};
use crate::{Actor, App, Error, Principal, Result, queue_email, wake_outbox};
use serde_json::json;
use tenantry_domain::{EmailAddress, FieldError, SecretToken, TokenHash};
use tenantry_storage::email_changes::{self, OpenEmailChange};
use tenantry_storage::users;

use tenantry_domain::limits::{EMAIL_CHANGE_TTL_MS, per_account};

fn taken(field: &'static str) -> Error {
    Error::Conflict {
        detail: format!("{field} is already taken"),
        errors: vec![FieldError::new(field, "is already taken")],
    }
}

/// Sends a confirmation link to `new_email` once `proof` shows it is the user (current password,
/// and a code when two-step is on; never with an API key); 409 when another user signs in with it.
/// Rate-limited per client address and per user, since the 409 tells that an address is in use.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn request(
    state: &App, me: &Principal, actor: &Actor, new_email: EmailAddress, proof: &crate::reauth::Proof,
) -> Result<()> {
    let now = state.now();
    if let Some(ip) = actor.ip {
        state.limits.check(&crate::rate_limit::ip_key("email-change", ip), per_account::EMAIL_CHANGE, now)?;
    }
    state.limits.check(&format!("email-change:{}", me.user.id), per_account::EMAIL_CHANGE, now)?;
    if new_email.normalized() == me.user.email.normalized() {
        return Err(Error::invalid("new_email", "is already your email address"));
    }
    crate::reauth::check(state, me, actor, proof).await?;
    let token = SecretToken::generate("tec_");
    let expires_at = now + EMAIL_CHANGE_TTL_MS;
    let mut tx = state.db.begin().await?;
    if users::email_taken(&mut tx, &new_email).await? {
        return Err(taken("new_email"));
    }
    email_changes::insert(&mut tx, &me.user.account_id, &me.user.id, &new_email, &token.hash(), now, expires_at)
        .await?;
    let link = format!("{}/email-verifications/{}", state.config.public_url, token.expose());
    queue_email(
        &mut tx,
        Some(me.user.account_id.as_str()),
        &crate::mail::email_change_link(&new_email, &me.user.name, &link, expires_at),
        now,
    )
    .await?;
    let change = Change::new("user.email_change_requested", "user", me.user.id.as_str())
        .after(json!({"new_email": new_email.as_str()}));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(())
}

/// The open change behind a link; unknown, used, replaced and expired links are all 404.
#[tracing::instrument(skip_all)]
pub async fn lookup(state: &App, token: &str) -> Result<OpenEmailChange> {
    let mut conn = state.db.conn().await?;
    email_changes::find_open(&mut conn, &TokenHash::of(token), state.now()).await?.ok_or(Error::NotFound)
}

/// Follows a link: the address changes once, and the old address is told.
#[tracing::instrument(skip_all)]
pub async fn confirm(state: &App, token: &str) -> Result<OpenEmailChange> {
    let change = lookup(state, token).await?;
    let (new_email, user_id, account_id) = (&change.new_email, &change.user_id, &change.account_id);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    // Conditional: a second use of the link, even a concurrent one, changes nothing.
    if !email_changes::mark_used(&mut tx, &change.id, now).await? {
        return Err(Error::NotFound);
    }
    // Taken since the link was sent: the unique index refuses it (409 naming `email`).
    users::set_email(&mut tx, user_id, new_email, now).await?;
    queue_email(
        &mut tx,
        Some(account_id.as_str()),
        &crate::mail::email_changed_notice(&change.old_email, &change.name, new_email),
        now,
    )
    .await?;
    let actor = Actor { account_id: account_id.clone(), user_id: Some(user_id.clone()), ip: None };
    let audit_change = Change::new("user.email_changed", "user", user_id.as_str())
        .before(json!({"email": change.old_email}))
        .after(json!({"email": new_email.as_str()}));
    audit::record(&mut tx, &actor, audit_change, now).await?;
    audit::emit(&mut tx, account_id, "user.updated", json!({"id": user_id, "email": new_email}), now).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(user_id);
    wake_outbox(state);
    Ok(change)
}
