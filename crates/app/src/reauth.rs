//! Asking a signed-in user to prove it is still them before something that cannot be undone: their
//! password and, when two-step verification is on, a current code (or a recovery code). A wrong
//! answer counts like a failed sign-in, so a session left open cannot be used to guess the password.
//! Missing answers are 422 naming the field; wrong ones 403 naming it; API keys are refused (403).

use crate::{App, ClientMeta, Error, Principal, Result, auth, mfa};
use tenantry_domain::{Password, ValidationErrors};
use tenantry_storage::{credentials, security};

/// The field names the answers are reported under.
pub const PASSWORD_FIELD: &str = "current_password";
pub const CODE_FIELD: &str = "totp_code";

/// What a sensitive change of one's own (email, phone, API key, turning two-step off) must carry:
/// the current password and, when two-step verification is on, a current code.
#[derive(Clone)]
pub struct Proof {
    pub password: Password,
    pub totp_code: Option<String>,
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Proof(…)")
    }
}

impl Proof {
    /// The answers as received (either may be empty; [`check`] names what is missing).
    pub fn new(password: Option<String>, totp_code: Option<String>) -> Self {
        Self { password: Password::new(password.unwrap_or_default()), totp_code }
    }
}

/// [`confirm`] for `me` acting as `actor`.
pub async fn check(state: &App, me: &Principal, actor: &crate::Actor, proof: &Proof) -> Result<()> {
    let client = ClientMeta { ip: actor.ip, user_agent: None };
    confirm(state, me, &client, &proof.password, proof.totp_code.as_deref()).await
}

/// Whether `me` must also give a two-step code.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn needs_code(state: &App, me: &Principal) -> Result<bool> {
    mfa::is_enabled(state, me).await
}

/// Checks that `me` knows their password (and a two-step code when it is on). Missing answers are
/// 422 naming the field; a wrong one is counted like a failed sign-in (and may lock the user, 423)
/// and answered as a 403 naming its field ([`Error::WrongAnswer`]). Only sessions may do this, never API keys.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn confirm(
    state: &App, me: &Principal, client: &ClientMeta, password: &Password, code: Option<&str>,
) -> Result<()> {
    if me.session_id().is_none() {
        return Err(Error::Forbidden("This needs your password, so it cannot be done with an API key."));
    }
    let now = state.now();
    let creds = {
        let mut conn = state.db.conn().await?;
        credentials::by_id(&mut conn, &me.user.id).await?.ok_or(Error::Unauthorized("Sign in again."))?
    };
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let mut missing = ValidationErrors::new();
    if password.expose().is_empty() {
        missing.push(PASSWORD_FIELD, "is required");
    }
    if creds.totp_enabled && code.is_none() {
        missing.push(CODE_FIELD, "is required: enter the code from your authenticator app");
    }
    missing.into_result()?;
    let policies = {
        let mut conn = state.db.conn().await?;
        security::get(&mut conn, &me.user.account_id).await?
    };
    if !state.hasher.verify(password, creds.password_hash.clone()).await? {
        let answer = Error::WrongAnswer(PASSWORD_FIELD, "is wrong");
        return Err(auth::known_failure(state, &creds, &policies, client, answer, now).await);
    }
    if let (true, Some(code)) = (creds.totp_enabled, code)
        && !mfa::verify_code(state, &creds, code, now).await?
    {
        // `MfaRequired` makes the failure recorded as a wrong code rather than a wrong password.
        let counted = auth::known_failure(state, &creds, &policies, client, Error::MfaRequired(""), now).await;
        return Err(match counted {
            Error::MfaRequired(_) => Error::WrongAnswer(CODE_FIELD, "is wrong or was already used"),
            other => other,
        });
    }
    Ok(())
}
