//! Turning a presented token into a [`Principal`]: a session token (cookie or bearer) or a
//! personal API key (`tnt_…`). Answers are cached briefly per node (see [`crate::session_cache`]).

use crate::{App, Credential, Principal, Result};
use std::sync::Arc;
use tenantry_domain::limits::LAST_SEEN_EVERY_MS;
use tenantry_domain::{SessionScope, TokenHash, UserStatus};
use tenantry_storage::sessions::{self, SessionUser};

/// Resolves a session token into its principal, refreshing the session's last-seen time at most
/// once a minute so busy clients do not write on every request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn session(app: &App, token: &str) -> Result<Option<Arc<Principal>>> {
    if token.starts_with(crate::api_keys::PREFIX) {
        // An API key is never a session (the shared cache below also holds keys).
        return Ok(None);
    }
    let hash = TokenHash::of(token);
    let now = app.now();
    if let Some(principal) =
        app.sessions.get(hash.as_str(), now).filter(|p| matches!(p.credential, Credential::Session(_)))
    {
        return Ok(Some(principal));
    }
    let mut conn = app.db.conn().await?;
    let Some(SessionUser { session_id, token_hash, created_at, last_seen_at, scope, policy, user }) =
        sessions::find_by_hash(&mut conn, &hash, now).await?
    else {
        return Ok(None);
    };
    if !hash.matches(&token_hash) {
        return Ok(None);
    }
    if user.status == UserStatus::Deactivated {
        // Deactivating deletes the sessions; this also covers one opened in a race with it.
        return Ok(None);
    }
    if !policy.is_alive(created_at, last_seen_at, now) {
        // Idle too long or too old under the account's current policy: the session is over.
        sessions::delete(&mut conn, &session_id).await?;
        return Ok(None);
    }
    if now - last_seen_at > LAST_SEEN_EVERY_MS {
        sessions::touch(&mut conn, &session_id, now).await?;
    }
    let principal =
        Arc::new(Principal { credential: Credential::Session(session_id), user, scope: SessionScope::parse(&scope) });
    app.sessions.put(token_hash, principal.clone(), now);
    Ok(Some(principal))
}

/// Resolves a bearer token of the API: a personal API key (`tnt_…`) or a session token. A key
/// works while its user is active; its last use is recorded at most once a minute.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn bearer(app: &App, token: &str) -> Result<Option<Arc<Principal>>> {
    if !token.starts_with(crate::api_keys::PREFIX) {
        return session(app, token).await;
    }
    let hash = TokenHash::of(token);
    let now = app.now();
    if let Some(principal) = app.sessions.get(hash.as_str(), now) {
        return Ok(Some(principal));
    }
    let mut conn = app.db.conn().await?;
    let Some(found) = tenantry_storage::api_keys::find_by_hash(&mut conn, &hash).await? else { return Ok(None) };
    if !hash.matches(&found.key_hash) || found.user.status != UserStatus::Active {
        return Ok(None);
    }
    if found.last_used_at.is_none_or(|t| now - t > LAST_SEEN_EVERY_MS) {
        tenantry_storage::api_keys::touch(&mut conn, &found.key_id, now).await?;
    }
    let principal = Arc::new(Principal {
        credential: Credential::ApiKey(found.key_id),
        user: found.user,
        scope: SessionScope::Full,
    });
    app.sessions.put(found.key_hash, principal.clone(), now);
    Ok(Some(principal))
}
