//! Sign-in (with lockout, expired passwords and two-step verification), sessions and sign-out.

use crate::audit::{self, Change};
use crate::{Actor, App, ClientMeta, Error, Result, mfa, queue_email, wake_outbox};
use tenantry_domain::SessionScope;
use tenantry_domain::{EmailAddress, LockoutPolicy, Password, SecretToken, SessionId, SessionPolicy, UserStatus};
use tenantry_storage::credentials::{self, Credentials};
use tenantry_storage::security::{self, SecurityPolicies};
use tenantry_storage::users::User;
use tenantry_storage::{Conn, sessions};

/// A new session: the token is shown to the client once.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SecretToken,
    pub session_id: SessionId,
    pub expires_at: i64,
    pub user: User,
    /// `Full`, or the one thing the user must do first.
    pub scope: SessionScope,
}

/// Opens a session for `user` in the caller's transaction, living at most as long as `policy` allows.
#[tracing::instrument(skip_all)]
pub async fn open_session(
    conn: &mut Conn, user: User, meta: &ClientMeta, now: i64, scope: SessionScope, policy: &SessionPolicy,
) -> Result<SignedIn> {
    let token = SecretToken::generate("tss_");
    let session_id = SessionId::generate();
    let expires_at = policy.expires_at(now);
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
            scope: scope.as_str(),
        },
    )
    .await?;
    Ok(SignedIn { token, session_id, expires_at, user, scope })
}

const WRONG_CREDENTIALS: &str = "The email or password is incorrect.";
/// The same for every locked email, known or not.
pub const LOCKED: &str = "Too many failed sign-in attempts: this account is locked. Reset your password to unlock it, or ask an Administrator.";
const MFA_NEEDED: &str = "Enter the code from your authenticator app (or a recovery code) as totp_code.";

/// Per-IP limit on attempts of sign-in, reset and verification endpoints.
pub fn limit_ip(state: &App, meta: &ClientMeta, now: i64) -> Result<()> {
    match meta.ip {
        Some(ip) => state.limits.check(&format!("ip:{ip}"), state.config.rate_limit_per_ip, now),
        None => Ok(()),
    }
}

/// Signs in. Unknown emails, invited users and wrong passwords get the same answer after the same
/// work (one Argon2id verification); failures are counted for unknown emails as for real users, so
/// a 423 says nothing about which emails exist.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &App, email: &str, password: Password, totp_code: Option<&str>, meta: &ClientMeta,
) -> Result<SignedIn> {
    let now = state.now();
    limit_ip(state, meta, now)?;
    let parsed = EmailAddress::parse(email).ok();
    let key = parsed.as_ref().map(|e| e.normalized().to_owned()).unwrap_or_else(|| email.trim().to_lowercase());
    state.limits.check(&format!("sign-in:{key}"), state.config.rate_limit_sign_in_per_account, now)?;
    let found = match &parsed {
        Some(e) => {
            let mut conn = state.db.conn().await?;
            credentials::by_email(&mut conn, e).await?
        }
        None => None,
    };
    let known =
        found.filter(|c| c.password_hash.is_some() && matches!(c.user.status, UserStatus::Active | UserStatus::Locked));
    let Some(creds) = known else {
        return Err(unknown_failure(state, &password, &key, now).await);
    };
    let policies = {
        let mut conn = state.db.conn().await?;
        security::get(&mut conn, &creds.user.account_id).await?
    };
    if creds.user.status == UserStatus::Locked {
        metrics::counter!("tenantry_sign_ins_total", "result" => "locked").increment(1);
        return Err(Error::Locked(LOCKED));
    }
    if !state.hasher.verify(&password, creds.password_hash.clone()).await? {
        return Err(known_failure(state, &creds, &policies, meta, Error::Unauthorized(WRONG_CREDENTIALS), now).await);
    }
    if creds.totp_enabled {
        let Some(code) = totp_code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(Error::MfaRequired(MFA_NEEDED));
        };
        if !mfa::verify_code(state, &creds, code, now).await? {
            let answer = Error::MfaRequired("The two-step verification code is wrong or was already used.");
            return Err(known_failure(state, &creds, &policies, meta, answer, now).await);
        }
    }
    let scope = if creds.must_change_password || policies.password.is_expired(creds.password_changed_at, now) {
        SessionScope::PasswordChange
    } else if policies.require_mfa && !creds.totp_enabled {
        SessionScope::MfaSetup
    } else {
        SessionScope::Full
    };
    let mut tx = state.db.begin().await?;
    if !credentials::record_success(&mut tx, &creds.user.id, now).await? {
        return Err(Error::Locked(LOCKED));
    }
    credentials::fill_profile(&mut tx, &creds.user.id, password.profile()).await?;
    let change = Change::new("auth.sign_in", "user", creds.user.id.as_str())
        .after(serde_json::json!({ "scope": scope.as_str(), "mfa": creds.totp_enabled }));
    audit::record(&mut tx, &Actor::user(&creds.user, meta), change, now).await?;
    let mut user = creds.user;
    user.last_sign_in_at = Some(now);
    let signed_in = open_session(&mut tx, user, meta, now, scope, &policies.session).await?;
    tenantry_storage::commit(tx).await?;
    metrics::counter!("tenantry_sign_ins_total", "result" => "success").increment(1);
    Ok(signed_in)
}

/// A failure for an email without an active user: one decoy verification, counted like a real one.
async fn unknown_failure(state: &App, password: &Password, key: &str, now: i64) -> Error {
    let threshold = LockoutPolicy::default().lock_threshold().unwrap_or(0);
    let result: Result<Error> = async {
        let already = {
            let mut conn = state.db.conn().await?;
            credentials::unknown_failures(&mut conn, key).await?
        };
        if already >= threshold {
            return Ok(Error::Locked(LOCKED));
        }
        state.hasher.verify(password, None).await?;
        let mut conn = state.db.conn().await?;
        Ok(match credentials::record_unknown_failure(&mut conn, key, threshold, now).await? {
            Some(_) => Error::Unauthorized(WRONG_CREDENTIALS),
            None => Error::Locked(LOCKED),
        })
    }
    .await;
    metrics::counter!("tenantry_sign_ins_total", "result" => "failure").increment(1);
    result.unwrap_or_else(|e| e)
}

/// A failure for a real user: counted atomically; the one that reaches the limit locks the user and
/// queues the lockout email. Answers `answer`, or 423 when the user was locked meanwhile.
async fn known_failure(
    state: &App, creds: &Credentials, policies: &SecurityPolicies, meta: &ClientMeta, answer: Error, now: i64,
) -> Error {
    let result: Result<Error> = async {
        let threshold = policies.lockout.lock_threshold().unwrap_or(0);
        let mut tx = state.db.begin().await?;
        let outcome = credentials::record_failure(&mut tx, &creds.user.id, threshold, now).await?;
        let locked_now = matches!(outcome, Some((_, true)));
        let actor = Actor::user(&creds.user, meta);
        let id = creds.user.id.as_str();
        if let Some((failures, _)) = outcome {
            let reason = if matches!(answer, Error::MfaRequired(_)) { "totp_code" } else { "password" };
            let change = Change::new("auth.sign_in_failed", "user", id)
                .after(serde_json::json!({ "failed_attempts": failures, "reason": reason }));
            audit::record(&mut tx, &actor, change, now).await?;
        }
        if locked_now {
            audit::record(&mut tx, &actor, Change::new("user.locked", "user", id), now).await?;
            let data = serde_json::json!({ "id": id, "email": creds.user.email, "status": "locked" });
            audit::emit(&mut tx, &creds.user.account_id, "user.locked", data, now).await?;
            let link = format!("{}/password-reset", state.config.public_url);
            queue_email(
                &mut tx,
                Some(creds.user.account_id.as_str()),
                &crate::mail::locked_out(&creds.user.email, &creds.user.name, &link),
                now,
            )
            .await?;
        }
        tenantry_storage::commit(tx).await?;
        if locked_now {
            wake_outbox(state);
            metrics::counter!("tenantry_lockouts_total").increment(1);
            tracing::info!(user_id = %creds.user.id, "user locked after too many failed sign-ins");
        }
        Ok(match outcome {
            Some(_) => answer,
            None => Error::Locked(LOCKED),
        })
    }
    .await;
    metrics::counter!("tenantry_sign_ins_total", "result" => "failure").increment(1);
    result.unwrap_or_else(|e| e)
}

/// Ends one session.
#[tracing::instrument(skip_all)]
pub async fn sign_out(state: &App, session_id: &str) -> Result<()> {
    let mut conn = state.db.conn().await?;
    sessions::delete(&mut conn, session_id).await?;
    state.sessions.forget_session(session_id);
    Ok(())
}
