//! Two-step verification with TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of skew)
//! and ten single-use recovery codes. Seeds are encrypted at rest; each time step is accepted once.

use crate::audit::{self, Change};
use crate::{Actor, App, Error, Principal, Result};
use tenantry_domain::SessionScope;
use tenantry_domain::TokenHash;
use tenantry_domain::limits::per_account;
use tenantry_domain::limits::{TOTP_SKEW_STEPS, TOTP_STEP_SECONDS};
use tenantry_storage::credentials::{self, Credentials};
use tenantry_storage::sessions;
use totp_rs::{Algorithm, Builder, Totp};

use tenantry_domain::limits::RECOVERY_CODES;

/// What a user needs to add the account to an authenticator app.
pub struct Enrollment {
    /// Base32 seed, for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

fn totp(seed: Vec<u8>, account: &str) -> Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(TOTP_STEP_SECONDS)
        .with_skew(TOTP_SKEW_STEPS)
        .with_secret(seed)
        .with_account_name(account)
        .with_issuer(Some("Tenantry"))
        .build()
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("totp: {e}")))
}

fn seed_of(state: &App, creds: &Credentials) -> Result<Option<Vec<u8>>> {
    creds.totp_secret.as_deref().map(|s| state.secrets.open(s).map_err(Error::Unexpected)).transpose()
}

/// Starts enrolment: a new seed (kept encrypted, not active until confirmed).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn start(state: &App, me: &Principal) -> Result<Enrollment> {
    let mut seed = vec![0u8; 20];
    getrandom::fill(&mut seed).map_err(|e| Error::Unexpected(anyhow::anyhow!("random seed: {e}")))?;
    let t = totp(seed.clone(), me.user.email.as_str())?;
    let sealed = state.secrets.seal(&seed)?;
    let mut conn = state.db.conn().await?;
    if !credentials::set_pending_totp(&mut conn, &me.user.id, &sealed).await? {
        return Err(Error::conflict(
            "Two-step verification is already on. Turn it off first to set up a new authenticator.",
        ));
    }
    enrollment(&t)
}

/// The key, otpauth URI and QR code of a seed.
fn enrollment(t: &Totp) -> Result<Enrollment> {
    let otpauth_uri = t.to_url().map_err(|e| Error::Unexpected(anyhow::anyhow!("otpauth uri: {e}")))?;
    let qr_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("qr: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrollment { secret: t.secret().to_base32(), otpauth_uri, qr_svg })
}

/// The enrolment started and not yet confirmed, if any: the same key and QR code again (after a
/// wrong code, or when the user comes back), read from the stored encrypted seed.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn pending(state: &App, me: &Principal) -> Result<Option<Enrollment>> {
    let creds = my_credentials(state, me).await?;
    if creds.totp_enabled {
        return Ok(None);
    }
    match seed_of(state, &creds)? {
        Some(seed) => Ok(Some(enrollment(&totp(seed, me.user.email.as_str())?)?)),
        None => Ok(None),
    }
}

/// Checks a TOTP code for the user's seed and accepts its time step once (replays fail).
async fn accept_totp(state: &App, creds: &Credentials, seed: Vec<u8>, code: &str, now: i64) -> Result<bool> {
    let t = totp(seed, creds.user.email.as_str())?;
    let Some(step) = t.check(code, u64::try_from(now / 1000).unwrap_or(0)) else {
        return Ok(false);
    };
    let mut conn = state.db.conn().await?;
    Ok(credentials::accept_totp_step(&mut conn, &creds.user.id, i64::try_from(step).unwrap_or(i64::MAX)).await?)
}

fn normalize_recovery(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase()
}

/// How a recovery code is stored: `h1:` + its HMAC under the secret key.
fn recovery_fingerprint(state: &App, code: &str) -> String {
    format!("h1:{}", state.secrets.fingerprint(normalize_recovery(code).as_bytes()))
}

/// A new recovery code: 80 random bits as 20 hex digits in four groups (`1a2b3-c4d5e-6f708-192a3`).
fn new_recovery_code() -> String {
    let raw = tenantry_domain::token::random_hex(10);
    format!("{}-{}-{}-{}", &raw[..5], &raw[5..10], &raw[10..15], &raw[15..])
}

/// Checks a sign-in code of an enrolled user: a TOTP code (once per step) or an unused recovery code.
#[tracing::instrument(skip_all)]
pub async fn verify_code(state: &App, creds: &Credentials, code: &str, now: i64) -> Result<bool> {
    state.limits.check(&format!("totp:{}", creds.user.id), per_account::TOTP, now)?;
    let Some(seed) = seed_of(state, creds)? else { return Ok(false) };
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        return accept_totp(state, creds, seed, code, now).await;
    }
    let mut conn = state.db.conn().await?;
    if credentials::use_recovery_code(&mut conn, &creds.user.id, &recovery_fingerprint(state, code), now).await? {
        return Ok(true);
    }
    // Codes issued before they were keyed were stored as a bare SHA-256; they still work once.
    let legacy = TokenHash::of(&normalize_recovery(code));
    Ok(credentials::use_recovery_code(&mut conn, &creds.user.id, legacy.as_str(), now).await?)
}

async fn my_credentials(state: &App, me: &Principal) -> Result<Credentials> {
    let mut conn = state.db.conn().await?;
    credentials::by_id(&mut conn, &me.user.id).await?.ok_or(Error::Unauthorized("The token is invalid or has expired."))
}

/// Confirms enrolment with a first code; turns TOTP on and answers the recovery codes (shown once).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn confirm(state: &App, me: &Principal, actor: &Actor, code: &str) -> Result<Vec<String>> {
    let now = state.now();
    state.limits.check(&format!("totp:{}", me.user.id), per_account::TOTP, now)?;
    let creds = my_credentials(state, me).await?;
    if creds.totp_enabled {
        return Err(Error::conflict("Two-step verification is already on."));
    }
    let Some(seed) = seed_of(state, &creds)? else {
        return Err(Error::conflict("Start the setup first (POST /api/v1/me/mfa/totp)."));
    };
    if !accept_totp(state, &creds, seed, code.trim(), now).await? {
        return Err(Error::invalid("code", "is wrong or was already used"));
    }
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_fingerprint(state, c)).collect();
    let mut tx = state.db.begin().await?;
    if !credentials::enable_totp(&mut tx, &me.user.id).await? {
        return Err(Error::conflict("Two-step verification is already on."));
    }
    credentials::replace_recovery_codes(&mut tx, &me.user.id, &hashes).await?;
    audit::record(&mut tx, actor, Change::new("mfa.totp_enabled", "user", me.user.id.as_str()), now).await?;
    if me.scope == SessionScope::MfaSetup {
        sessions::set_scope(&mut tx, me.credential.id(), SessionScope::Full.as_str()).await?;
    }
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(codes)
}

/// Turns TOTP off, proven with a current code or a recovery code.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn disable(state: &App, me: &Principal, actor: &Actor, proof: &crate::reauth::Proof) -> Result<()> {
    let creds = my_credentials(state, me).await?;
    if !creds.totp_enabled {
        return Err(Error::conflict("Two-step verification is not on."));
    }
    // The current password and a current code (or a recovery code), counted like a sign-in.
    crate::reauth::check(state, me, actor, proof).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    credentials::disable_totp(&mut tx, &me.user.id).await?;
    audit::record(&mut tx, actor, Change::new("mfa.totp_disabled", "user", me.user.id.as_str()), now).await?;
    let notice = crate::mail::security_notice(
        &me.user.email,
        &me.user.name,
        "Two-step verification was turned off",
        "Two-step verification was turned off for your Tenantry account: signing in now needs only your password.",
    );
    crate::queue_email(&mut tx, Some(me.user.account_id.as_str()), &notice, now).await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    Ok(())
}

/// Whether the user has two-step verification on.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn is_enabled(state: &App, me: &Principal) -> Result<bool> {
    Ok(my_credentials(state, me).await?.totp_enabled)
}
