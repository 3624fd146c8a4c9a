//! Sign-in (with lockout, expired passwords and two-step verification), sessions and sign-out.

use crate::audit::{self, Change};
use crate::{Actor, App, ClientMeta, Error, Result, mfa, queue_email, wake_outbox};
use tenantry_domain::SessionScope;
use tenantry_domain::limits::LOCKED_ANSWER_FROM;
use tenantry_domain::{EmailAddress, Password, SecretToken, SessionId, SessionPolicy, UserStatus};
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
/// The answer (403) to a deactivated user who gave the right password; only they learn it.
pub const DEACTIVATED: &str =
    "Your user has been deactivated by an Administrator of your account. Ask them to reactivate it.";
const MFA_NEEDED: &str = "Enter the code from your authenticator app (or a recovery code) as totp_code.";

/// Per-IP limit on attempts of sign-in, reset and verification endpoints.
pub fn limit_ip(state: &App, meta: &ClientMeta, now: i64) -> Result<()> {
    match meta.ip {
        Some(ip) => state.limits.check(&crate::rate_limit::ip_key("ip", ip), state.config.rate_limit_per_ip, now),
        None => Ok(()),
    }
}

/// Where a sign-in stands after its first step.
#[derive(Debug)]
pub enum SignInStep {
    /// Signed in.
    Done(Box<SignedIn>),
    /// The password was right; the two-step code is still needed. The token (shown to the client
    /// once, stored as a hash) lets [`finish_sign_in`] take the code without the password again.
    NeedsCode(SecretToken),
}

/// Signs in with everything at once (the API): email, password and, when two-step verification
/// is on, its code. Unknown emails, invited users and wrong passwords get the same answer after the
/// same work (one Argon2id verification); failures are counted for unknown emails as for real
/// users, so a 423 says nothing about which emails exist.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &App, email: &str, password: Password, totp_code: Option<&str>, meta: &ClientMeta,
) -> Result<SignedIn> {
    let now = state.now();
    let (creds, policies) = check_password(state, email, &password, meta, now).await?;
    if creds.totp_enabled {
        let Some(code) = totp_code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(Error::MfaRequired(MFA_NEEDED));
        };
        check_code(state, &creds, &policies, code, meta, now).await?;
    }
    complete(state, creds, &policies, Some(&password), meta, now).await
}

/// The first step of a sign-in on the pages: email and password. When two-step verification is
/// on, the code is asked on its own page, which holds only the token of this pending sign-in
/// (valid [`SIGN_IN_CHALLENGE_TTL_MS`](tenantry_domain::limits::SIGN_IN_CHALLENGE_TTL_MS)).
#[tracing::instrument(skip_all)]
pub async fn begin_sign_in(state: &App, email: &str, password: Password, meta: &ClientMeta) -> Result<SignInStep> {
    let now = state.now();
    let (creds, policies) = check_password(state, email, &password, meta, now).await?;
    if !creds.totp_enabled {
        return complete(state, creds, &policies, Some(&password), meta, now)
            .await
            .map(|s| SignInStep::Done(Box::new(s)));
    }
    let token = SecretToken::generate("tsc_");
    let mut tx = state.db.begin().await?;
    credentials::fill_profile(&mut tx, &creds.user.id, password.profile()).await?;
    let expires_at = now + tenantry_domain::limits::SIGN_IN_CHALLENGE_TTL_MS;
    credentials::insert_challenge(&mut tx, token.hash().as_str(), &creds.user.id, now, expires_at).await?;
    tenantry_storage::commit(tx).await?;
    Ok(SignInStep::NeedsCode(token))
}

/// The second step: the two-step code (or a recovery code) for a pending sign-in. A wrong code
/// counts like a wrong password and the sign-in stays pending; an unknown or expired token answers
/// 401 (start again).
#[tracing::instrument(skip_all)]
pub async fn finish_sign_in(state: &App, challenge: &str, code: &str, meta: &ClientMeta) -> Result<SignedIn> {
    let now = state.now();
    limit_ip(state, meta, now)?;
    let hash = tenantry_domain::TokenHash::of(challenge);
    let creds = {
        let mut conn = state.db.conn().await?;
        match credentials::challenge(&mut conn, hash.as_str(), now).await? {
            Some(id) => credentials::by_id(&mut conn, &id).await?,
            None => None,
        }
    };
    let Some(creds) = creds.filter(|c| c.totp_enabled) else { return Err(Error::Unauthorized(CHALLENGE_GONE)) };
    let policies = {
        let mut conn = state.db.conn().await?;
        security::get(&mut conn, &creds.user.account_id).await?
    };
    if creds.user.status == UserStatus::Deactivated {
        return Err(Error::Forbidden(DEACTIVATED));
    }
    if creds.user.status != UserStatus::Active {
        return Err(Error::Locked(LOCKED));
    }
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::BadField("totp_code", "is required".into()));
    }
    check_code(state, &creds, &policies, code, meta, now).await?;
    {
        let mut conn = state.db.conn().await?;
        if !credentials::take_challenge(&mut conn, hash.as_str()).await? {
            return Err(Error::Unauthorized(CHALLENGE_GONE));
        }
    }
    complete(state, creds, &policies, None, meta, now).await
}

const CHALLENGE_GONE: &str = "This sign-in took too long or was already used. Sign in again.";

/// Email and password: the user's credentials and policies when the password is right.
async fn check_password(
    state: &App, email: &str, password: &Password, meta: &ClientMeta, now: i64,
) -> Result<(Credentials, SecurityPolicies)> {
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
    let known = found.filter(|c| {
        c.password_hash.is_some()
            && matches!(c.user.status, UserStatus::Active | UserStatus::Locked | UserStatus::Deactivated)
    });
    let Some(mut creds) = known else {
        return Err(unknown_failure(state, password, &key, now).await);
    };
    let policies = {
        let mut conn = state.db.conn().await?;
        security::get(&mut conn, &creds.user.account_id).await?
    };
    if creds.is_locked(now) {
        metrics::counter!("tenantry_sign_ins_total", "result" => "locked").increment(1);
        return Err(Error::Locked(LOCKED));
    }
    if creds.user.status == UserStatus::Locked {
        // The lock's time has passed: the user starts again with no failures.
        let mut conn = state.db.conn().await?;
        credentials::end_expired_lock(&mut conn, &creds.user.id, now).await?;
        creds = credentials::by_id(&mut conn, &creds.user.id).await?.ok_or(Error::Unauthorized(WRONG_CREDENTIALS))?;
        if creds.is_locked(now) {
            return Err(Error::Locked(LOCKED));
        }
    }
    if !state.hasher.verify(password, creds.password_hash.clone()).await? {
        let counted = count_failure(state, &creds, &policies, meta, "password", now).await;
        metrics::counter!("tenantry_sign_ins_total", "result" => "failure").increment(1);
        return Err(match counted {
            // Past LOCKED_ANSWER_FROM failures in a row every wrong password answers 423, as for
            // unknown emails, whatever the account's own lockout threshold.
            Ok(Some((failures, _))) if failures > LOCKED_ANSWER_FROM => Error::Locked(LOCKED),
            Ok(Some(_)) => Error::Unauthorized(WRONG_CREDENTIALS),
            Ok(None) => Error::Locked(LOCKED),
            Err(e) => e,
        });
    }
    if creds.user.status == UserStatus::Deactivated {
        // Only after the password proved who they are: a wrong one is the usual 401 above.
        metrics::counter!("tenantry_sign_ins_total", "result" => "deactivated").increment(1);
        return Err(Error::Forbidden(DEACTIVATED));
    }
    Ok((creds, policies))
}

/// A two-step code or recovery code; a wrong one is counted like a wrong password.
async fn check_code(
    state: &App, creds: &Credentials, policies: &SecurityPolicies, code: &str, meta: &ClientMeta, now: i64,
) -> Result<()> {
    if mfa::verify_code(state, creds, code, now).await? {
        return Ok(());
    }
    let answer = Error::MfaRequired("The two-step verification code is wrong or was already used.");
    Err(known_failure(state, creds, policies, meta, answer, now).await)
}

/// Opens the session of a user who proved who they are, restricted when the password has expired
/// or two-step setup is required; resets the failure counter and records the sign-in.
async fn complete(
    state: &App, creds: Credentials, policies: &SecurityPolicies, password: Option<&Password>, meta: &ClientMeta,
    now: i64,
) -> Result<SignedIn> {
    let scope = if creds.must_change_password || policies.password.is_expired(creds.password_changed_at, now) {
        SessionScope::PasswordChange
    } else if policies.require_mfa && !creds.totp_enabled {
        SessionScope::MfaSetup
    } else {
        SessionScope::Full
    };
    let mut tx = state.db.begin().await?;
    if !credentials::record_success(&mut tx, &creds.user.id, now, password.map(Password::profile)).await? {
        return Err(Error::Locked(LOCKED));
    }
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

/// A failure for an email without an active user: one decoy verification, counted like a real one
/// and locked on the same schedule, from [`LOCKED_ANSWER_FROM`] failures in a row.
async fn unknown_failure(state: &App, password: &Password, key: &str, now: i64) -> Error {
    let threshold = LOCKED_ANSWER_FROM;
    let result: Result<Error> = async {
        let already = {
            let mut conn = state.db.conn().await?;
            credentials::unknown_failures(&mut conn, key, now).await?
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

/// A failure for a real user: counted atomically; the one that reaches the limit locks the user
/// (for a time that doubles with each lock in a row), ends their sessions and queues the lockout
/// email. Answers `answer`, or 423 when the user was locked meanwhile.
pub(crate) async fn known_failure(
    state: &App, creds: &Credentials, policies: &SecurityPolicies, meta: &ClientMeta, answer: Error, now: i64,
) -> Error {
    let reason = if matches!(answer, Error::MfaRequired(_)) { "totp_code" } else { "password" };
    let counted = count_failure(state, creds, policies, meta, reason, now).await;
    metrics::counter!("tenantry_sign_ins_total", "result" => "failure").increment(1);
    match counted {
        Ok(Some(_)) => answer,
        Ok(None) => Error::Locked(LOCKED),
        Err(e) => e,
    }
}

/// Counts one failure of `creds` (a wrong `reason`: password or totp_code) and, when it reaches the
/// policy's threshold, locks the user: the lock lasts `limits::lock_duration_ms`, ends every
/// session, and the user is emailed. Answers the new count and whether this failure locked them;
/// `None` when they were locked already.
async fn count_failure(
    state: &App, creds: &Credentials, policies: &SecurityPolicies, meta: &ClientMeta, reason: &str, now: i64,
) -> Result<Option<(i64, bool)>> {
    let threshold = policies.lockout.lock_threshold().unwrap_or(0);
    let mut tx = state.db.begin().await?;
    let outcome = credentials::record_failure(&mut tx, &creds.user.id, threshold, now).await?;
    let locked_now = matches!(outcome, Some((_, true)));
    let actor = Actor::user(&creds.user, meta);
    let id = creds.user.id.as_str();
    if let Some((failures, _)) = outcome {
        let change = Change::new("auth.sign_in_failed", "user", id)
            .after(serde_json::json!({ "failed_attempts": failures, "reason": reason }));
        audit::record(&mut tx, &actor, change, now).await?;
    }
    if locked_now {
        let revoked = sessions::delete_for_user(&mut tx, &creds.user.id).await?;
        crate::oidc::end_user_grants(&mut tx, &creds.user.id, now).await?;
        let change = Change::new("user.locked", "user", id).after(serde_json::json!({ "sessions_ended": revoked }));
        audit::record(&mut tx, &actor, change, now).await?;
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
        state.sessions.forget_user(&creds.user.id);
        wake_outbox(state);
        metrics::counter!("tenantry_lockouts_total").increment(1);
        tracing::info!(user_id = %creds.user.id, "user locked after too many failed sign-ins");
    }
    Ok(outcome)
}

/// Ends one session.
#[tracing::instrument(skip_all)]
pub async fn sign_out(state: &App, session_id: &str) -> Result<()> {
    let mut conn = state.db.conn().await?;
    sessions::delete(&mut conn, session_id).await?;
    state.sessions.forget_session(session_id);
    Ok(())
}
