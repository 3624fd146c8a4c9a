//! One's own sessions (list, revoke one, revoke all others) and an Administrator's "sign out everywhere".

use crate::audit::{self, Change};
use crate::user_detail::{UserDetail, detail};
use crate::{Actor, Admin, App, Error, Principal, Result};
use tenantry_domain::UserId;
use tenantry_storage::sessions::{self, SessionInfo};

/// What revoking every credential of a user ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct Revoked {
    pub sessions: u64,
    pub api_key: bool,
    /// Products signed out (grants ended, their back-channel logouts queued).
    pub products: usize,
}

/// Ends every session of `id` and revokes their personal API key, in the caller's transaction:
/// what a password reset, a password set by an Administrator, "sign out everywhere", a lock and a
/// deactivation all do. The products the user signed in to are signed out too (their grants end
/// and a back-channel logout is queued for each). The caller forgets the user in the node's
/// cache after committing, and wakes the outbox.
pub(crate) async fn revoke_credentials(conn: &mut tenantry_storage::Conn, id: &UserId, now: i64) -> Result<Revoked> {
    let sessions = sessions::delete_for_user(conn, id).await?;
    let api_key = tenantry_storage::api_keys::delete(conn, id).await?;
    let products = crate::oidc::end_user_grants(conn, id, now).await?;
    Ok(Revoked { sessions, api_key, products })
}

/// My unexpired sessions.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_mine(state: &App, me: &Principal) -> Result<Vec<SessionInfo>> {
    let mut conn = state.db.conn().await?;
    Ok(sessions::list_for_user(&mut conn, &me.user.id, state.now()).await?)
}

/// Ends one of my sessions; another user's session id is 404.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn revoke_mine(state: &App, me: &Principal, id: &str) -> Result<()> {
    let mut conn = state.db.conn().await?;
    if !sessions::delete_of_user(&mut conn, &me.user.id, id).await? {
        return Err(Error::NotFound);
    }
    state.sessions.forget_session(id);
    Ok(())
}

/// Ends every session of mine but this one; answers how many.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn revoke_others(state: &App, me: &Principal) -> Result<u64> {
    let mut conn = state.db.conn().await?;
    let n = sessions::delete_others(&mut conn, &me.user.id, me.credential.id()).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(n)
}

/// An Administrator signs a user of their account out everywhere.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn revoke_all_of_user(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<()> {
    let mut tx = state.db.begin().await?;
    tenantry_storage::users::get(&mut tx, &admin.user.account_id, id).await?.ok_or(Error::NotFound)?;
    let revoked = revoke_credentials(&mut tx, id, state.now()).await?;
    let after = serde_json::json!({ "sessions": revoked.sessions, "api_key_revoked": revoked.api_key, "products": revoked.products });
    audit::record(
        &mut tx,
        actor,
        Change::new("user.signed_out_everywhere", "user", id.as_str()).after(after),
        state.now(),
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    crate::wake_outbox(state);
    Ok(())
}

/// An Administrator unlocks a locked user of their account.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn unlock(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<UserDetail> {
    let account_id = &admin.user.account_id;
    let mut tx = state.db.begin().await?;
    let user = tenantry_storage::users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if user.status != tenantry_domain::UserStatus::Locked {
        return Err(Error::conflict("This user is not locked."));
    }
    let now = state.now();
    tenantry_storage::credentials::unlock(&mut tx, account_id, id, now).await?;
    audit::record(&mut tx, actor, Change::new("user.unlocked", "user", id.as_str()), now).await?;
    let user = tenantry_storage::users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let user = detail(&mut tx, user).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(user)
}

/// A person's words for a user agent: "Chrome on Linux", "Safari on iPhone", "curl".
/// Good enough to recognise one's own devices; it is not a full user-agent database.
pub fn describe_user_agent(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "Unknown device".to_owned();
    };
    if !ua.starts_with("Mozilla/") {
        // A program rather than a browser (`curl/8.5.0`, `python-requests/2.31`): its name.
        let name: String = ua.split(['/', ' ']).next().unwrap_or_default().chars().take(40).collect();
        return if name.is_empty() { "Unknown device".to_owned() } else { name };
    }
    let has = |token: &str| ua.contains(token);
    // Order matters: Edge, Opera and Samsung Internet also say "Chrome"; Chrome also says "Safari".
    let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("SamsungBrowser/") {
        Some("Samsung Internet")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("CriOS/") || has("Chrome/") {
        Some("Chrome")
    } else if has("Safari/") || has("AppleWebKit/") {
        Some("Safari")
    } else {
        None
    };
    // iPhones and iPads say "like Mac OS X", and Android says "Linux": the specific ones first.
    let os = if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Macintosh") || has("Mac OS X") {
        Some("macOS")
    } else if has("Linux") || has("X11") {
        Some("Linux")
    } else {
        None
    };
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("Unknown browser on {o}"),
        (None, None) => "Unknown browser".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_user_agent as d;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Windows"),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
                "Chrome on iPad",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0",
                "Opera on Windows",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(d(Some(ua)), expected, "{ua}");
        }
    }

    #[test]
    fn programs_and_unknowns_say_what_little_is_known() {
        assert_eq!(d(Some("curl/8.5.0")), "curl");
        assert_eq!(d(Some("python-requests/2.31.0")), "python-requests");
        assert_eq!(d(Some("Mozilla/5.0 (Windows NT 10.0)")), "Unknown browser on Windows");
        assert_eq!(d(Some("Mozilla/5.0")), "Unknown browser");
        assert_eq!(d(Some("  ")), "Unknown device");
        assert_eq!(d(None), "Unknown device");
    }
}
