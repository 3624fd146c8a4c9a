//! The provider's signing keys: ES256 (P-256), generated here, the private key sealed with the
//! secret key ([`crate::secrets::SecretBox`]) and its public half published in the JWKS. A
//! rotation makes a new current key; the retired one stays published until every token it
//! signed has expired ([`tenantry_domain::oidc::RETIRED_KEY_KEPT_MS`]).

use crate::{App, Error, Result};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use tenantry_domain::oidc::RETIRED_KEY_KEPT_MS;
use tenantry_storage::Conn;
use tenantry_storage::oidc::{self as store, SigningKey};

/// The algorithm every key signs with (`id_token_signing_alg_values_supported`).
pub const ALG: &str = "ES256";

fn unexpected(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Unexpected(anyhow::anyhow!("{what}: {e}"))
}

/// A new key pair, sealed, created at `now`.
fn generate(state: &App, now: i64) -> Result<SigningKey> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|e| unexpected("generating a signing key", e))?;
    let der = pkcs8.as_ref();
    let kid = tenantry_domain::token::random_hex(8);
    let mut jwk = Jwk::from_encoding_key(&EncodingKey::from_ec_der(der), Algorithm::ES256)
        .map_err(|e| unexpected("public key of the signing key", e))?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(SigningKey {
        id: kid,
        alg: ALG.to_owned(),
        private_sealed: state.secrets.seal(der)?,
        public_jwk: serde_json::to_string(&jwk).map_err(anyhow::Error::from)?,
        created_at: now,
        retired_at: None,
        published_until: None,
    })
}

/// The keys published now, making the first one when there is none yet.
async fn published(state: &App, conn: &mut Conn) -> Result<Vec<SigningKey>> {
    let now = state.now();
    let keys = store::published_keys(conn, now).await?;
    if keys.first().is_some_and(|k| k.retired_at.is_none()) {
        return Ok(keys);
    }
    let key = generate(state, now)?;
    store::rotate_key(conn, &key, now + RETIRED_KEY_KEPT_MS).await?;
    tracing::info!(kid = %key.id, "OpenID Connect signing key created");
    Ok(store::published_keys(conn, now).await?)
}

/// The JSON Web Key Set: every published public key, the current one first.
pub async fn jwks(state: &App) -> Result<serde_json::Value> {
    let mut conn = state.db.conn().await?;
    let keys = published(state, &mut conn).await?;
    let keys: Vec<serde_json::Value> = keys.iter().filter_map(|k| serde_json::from_str(&k.public_jwk).ok()).collect();
    Ok(serde_json::json!({ "keys": keys }))
}

/// Makes a new current key; the one it replaces stays published until the tokens it signed have
/// expired. Answers the new key's id.
pub async fn rotate(state: &App) -> Result<String> {
    let now = state.now();
    let key = generate(state, now)?;
    let mut tx = state.db.begin().await?;
    store::rotate_key(&mut tx, &key, now + RETIRED_KEY_KEPT_MS).await?;
    tenantry_storage::commit(tx).await?;
    tracing::info!(kid = %key.id, "OpenID Connect signing key rotated");
    Ok(key.id)
}

/// Signs `claims` as a JWT with the current key.
pub async fn sign(state: &App, conn: &mut Conn, claims: &serde_json::Value) -> Result<String> {
    sign_typed(state, conn, claims, None).await
}

/// Signs `claims` with the current key, with the header's `typ` (default `JWT`).
pub async fn sign_typed(state: &App, conn: &mut Conn, claims: &serde_json::Value, typ: Option<&str>) -> Result<String> {
    let keys = published(state, conn).await?;
    let key = keys.first().ok_or_else(|| unexpected("signing", "no signing key"))?;
    let der = state.secrets.open(&key.private_sealed)?;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.id.clone());
    if let Some(t) = typ {
        header.typ = Some(t.to_owned());
    }
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&der)).map_err(|e| unexpected("signing", e))
}

/// The claims of a token this provider signed with a published key (its expiry not checked:
/// an `id_token_hint` may have expired); `None` for anything else.
pub async fn verify(state: &App, conn: &mut Conn, token: &str) -> Result<Option<serde_json::Value>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
    let Some(kid) = header.kid else { return Ok(None) };
    let keys = published(state, conn).await?;
    let Some(key) = keys.iter().find(|k| k.id == kid) else { return Ok(None) };
    let Ok(jwk) = serde_json::from_str::<Jwk>(&key.public_jwk) else { return Ok(None) };
    let Ok(decoding) = DecodingKey::from_jwk(&jwk) else { return Ok(None) };
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[state.config.public_url.as_str()]);
    Ok(jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &validation).ok().map(|d| d.claims))
}
