//! The personal API key: shown once when created, kept as a SHA-256 hash, replaceable, revocable.

use crate::audit::{self, Change};
use crate::{Actor, App, Error, Principal, Result};
use serde_json::json;
use tenantry_domain::SecretToken;
use tenantry_storage::api_keys::{self, ApiKey};

/// What every personal API key starts with (how the API tells keys from session tokens).
pub const PREFIX: &str = "tnt_";

/// How many characters of a key the owner sees again (`tnt_` and 8 more).
const SHOWN: usize = 12;

/// A new key: the secret is in `key`, shown this once.
pub struct NewKey {
    pub key: SecretToken,
    pub info: ApiKey,
}

/// Creates `me`'s key, replacing (and so revoking) the one they had, once `proof` shows it is
/// them (never with an API key).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn create(state: &App, me: &Principal, actor: &Actor, proof: &crate::reauth::Proof) -> Result<NewKey> {
    crate::reauth::check(state, me, actor, proof).await?;
    let key = SecretToken::generate(PREFIX);
    let prefix: String = key.expose().chars().take(SHOWN).collect();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let replaced = api_keys::of_user(&mut tx, &me.user.id).await?;
    api_keys::replace(&mut tx, &me.user.account_id, &me.user.id, &prefix, &key.hash(), now).await?;
    let info = api_keys::of_user(&mut tx, &me.user.id)
        .await?
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("key vanished inside its transaction")))?;
    let mut change = Change::new("api_key.created", "user", me.user.id.as_str()).after(json!({"prefix": prefix}));
    if let Some(old) = replaced {
        change = change.before(json!({"prefix": old.prefix}));
    }
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    // The replaced key may sit in this node's cache of validated credentials.
    state.sessions.forget_user(&me.user.id);
    Ok(NewKey { key, info })
}

/// `me`'s key (never the secret); 404 when there is none.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn get(state: &App, me: &Principal) -> Result<ApiKey> {
    let mut conn = state.db.conn().await?;
    api_keys::of_user(&mut conn, &me.user.id).await?.ok_or(Error::NotFound)
}

/// An Administrator revokes the key of a user of their account; 404 when the user is not theirs
/// or has no key.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn revoke_of_user(
    state: &App, admin: &crate::Admin, actor: &Actor, id: &tenantry_domain::UserId,
) -> Result<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    tenantry_storage::users::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    let key = api_keys::of_user(&mut tx, id).await?.ok_or(Error::NotFound)?;
    api_keys::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("api_key.revoked", "user", id.as_str()).before(json!({"prefix": key.prefix})),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(())
}

/// Revokes `me`'s key; 404 when there is none.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn revoke(state: &App, me: &Principal, actor: &Actor) -> Result<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let key = api_keys::of_user(&mut tx, &me.user.id).await?.ok_or(Error::NotFound)?;
    api_keys::delete(&mut tx, &me.user.id).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("api_key.revoked", "user", me.user.id.as_str()).before(json!({"prefix": key.prefix})),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(())
}
