//! Sign-in, sessions and sign-out.

use crate::error::{AppError, AppResult};
use crate::extract::ClientMeta;
use crate::state::AppState;
use tenantry_domain::{EmailAddress, Password, SESSION_MAX_AGE_MS, SecretToken, SessionId, UserStatus};
use tenantry_storage::users::User;
use tenantry_storage::{Conn, sessions, users};

/// A new session: the token is shown to the client once.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SecretToken,
    pub session_id: SessionId,
    pub expires_at: i64,
    pub user: User,
}

/// Opens a session for `user` in the caller's transaction.
pub async fn open_session(conn: &mut Conn, user: User, meta: &ClientMeta, now: i64) -> AppResult<SignedIn> {
    let token = SecretToken::generate("tss_");
    let session_id = SessionId::generate();
    let expires_at = now + SESSION_MAX_AGE_MS;
    let ip = meta.ip.map(|i| i.to_string());
    sessions::insert(
        conn,
        sessions::NewSession {
            id: &session_id,
            token_hash: &token.hash(),
            user_id: &user.id,
            account_id: user.account_id.as_str(),
            now,
            expires_at,
            ip: ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
        },
    )
    .await?;
    Ok(SignedIn { token, session_id, expires_at, user })
}

const WRONG_CREDENTIALS: &str = "The email or password is incorrect.";

/// Signs in with email and password. An unknown email, an invited user and a wrong password all
/// get the same answer after the same amount of work (one Argon2id verification).
pub async fn sign_in(state: &AppState, email: &str, password: Password, meta: &ClientMeta) -> AppResult<SignedIn> {
    let found = match EmailAddress::parse(email) {
        Ok(email) => {
            let mut conn = state.db.conn().await?;
            users::find_credentials(&mut conn, &email).await?
        }
        Err(_) => None,
    };
    let stored = found.as_ref().filter(|(u, _)| u.status == UserStatus::Active).and_then(|(_, h)| h.clone());
    let ok = state.hasher.verify(&password, stored).await?;
    let Some((user, _)) = found.filter(|_| ok) else {
        metrics::counter!("tenantry_sign_ins_total", "result" => "failure").increment(1);
        return Err(AppError::Unauthorized(WRONG_CREDENTIALS));
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    users::record_sign_in(&mut tx, &user.id, now).await?;
    let mut user = user;
    user.last_sign_in_at = Some(now);
    let signed_in = open_session(&mut tx, user, meta, now).await?;
    tenantry_storage::commit(tx).await?;
    metrics::counter!("tenantry_sign_ins_total", "result" => "success").increment(1);
    Ok(signed_in)
}

/// Ends one session.
pub async fn sign_out(state: &AppState, session_id: &str) -> AppResult<()> {
    let mut conn = state.db.conn().await?;
    sessions::delete(&mut conn, session_id).await?;
    state.sessions.forget_session(session_id);
    Ok(())
}
