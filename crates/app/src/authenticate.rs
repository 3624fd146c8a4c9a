//! Turning a presented token into a [`Principal`]: a session token (cookie or bearer), a
//! personal API key or an account API key (both `tnt_…`). Answers are cached briefly per node (see [`crate::session_cache`]).

use crate::{App, Credential, Principal, Result};
use std::sync::Arc;
use tenantry_domain::limits::LAST_SEEN_EVERY_MS;
use tenantry_domain::{Role, SessionScope, TokenHash, UserStatus};
use tenantry_storage::account_keys::{self, KeyKind};
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
    let principal = Arc::new(Principal {
        credential: Credential::Session(session_id),
        user,
        scope: SessionScope::parse(&scope),
        scopes: None,
    });
    app.sessions.put(token_hash, principal.clone(), now);
    Ok(Some(principal))
}

/// Resolves a bearer token of the API: an API key (`tnt_…`, personal or of the account) or a
/// session token. A personal key works while its user is active; an account key while it has not
/// expired and its creator is an active Administrator. Last use is recorded at most once a minute.
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
    let Some(found) = account_keys::find_by_hash(&mut conn, &hash).await? else { return Ok(None) };
    if !hash.matches(&found.key_hash) || found.user.status != UserStatus::Active {
        return Ok(None);
    }
    let (credential, scopes, expires_at) = match found.kind {
        KeyKind::Personal => (Credential::ApiKey(found.key_id), None, None),
        KeyKind::Account { scopes, expires_at } => {
            if expires_at.is_some_and(|t| now >= t) || found.user.role != Role::Administrator {
                return Ok(None);
            }
            (Credential::AccountKey(found.key_id), Some(scopes), expires_at)
        }
    };
    if found.last_used_at.is_none_or(|t| now - t > LAST_SEEN_EVERY_MS) {
        match &credential {
            Credential::AccountKey(id) => account_keys::touch(&mut conn, id, now).await?,
            _ => tenantry_storage::api_keys::touch(&mut conn, credential.id(), now).await?,
        }
    }
    let principal = Arc::new(Principal { credential, user: found.user, scope: SessionScope::Full, scopes });
    // Never served from the cache past the key's expiry.
    app.sessions.put_until(found.key_hash, principal.clone(), now, expires_at);
    Ok(Some(principal))
}
