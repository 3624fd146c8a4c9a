//! Account settings › Webhooks (Administrators): endpoints that receive the account's events,
//! signed per Standard Webhooks with a secret (`whsec_…`) shown once and rotatable (the old one
//! signs too for 24 h); the delivery log, retrying one delivery, and a test event. The URL obeys
//! the outbound rules ([`crate::outbound`]) when it is saved and again at each delivery.

use crate::audit::{self, Change};
use crate::outbound::{OutboundError, Target};
use crate::{Actor, Admin, App, Error, Result};
use base64::Engine as _;
use serde_json::{Value, json};
use tenantry_domain::ValidationErrors;
use tenantry_domain::id::WebhookEndpointId;
use tenantry_domain::webhook::parse_event_types;
use tenantry_storage::webhook_deliveries::{self, Delivery};
use tenantry_storage::webhooks::{self, Endpoint, NewEndpoint};

/// How long the previous secret still signs after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 500;
/// Longest URL, in bytes.
pub const MAX_URL: usize = 2000;
/// Most endpoints an account may have.
pub const MAX_ENDPOINTS: i64 = 50;

/// A signing secret, `whsec_` + base64 of 24 random bytes. Shown once; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl Secret {
    /// A new random secret.
    pub fn generate() -> Result<Self> {
        let mut key = [0u8; 24];
        getrandom::fill(&mut key).map_err(|e| Error::unexpected(format!("random secret: {e}")))?;
        Ok(Self(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))))
    }

    /// The secret as given to the receiver.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Seals it for storage.
    fn seal(&self, state: &App) -> Result<String> {
        state.secrets.seal(self.0.as_bytes()).map_err(Error::Unexpected)
    }

    /// Opens a stored secret.
    pub fn open(state: &App, sealed: &str) -> Result<Self> {
        let plain = state.secrets.open(sealed).map_err(Error::Unexpected)?;
        String::from_utf8(plain).map(Self).map_err(|_| Error::unexpected("stored webhook secret is not text"))
    }

    /// The Standard Webhooks signature of a message: `v1,` + base64 of HMAC-SHA256, keyed with
    /// the decoded secret, of `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        use hmac::Mac;
        let encoded = self.0.strip_prefix("whsec_").unwrap_or(&self.0);
        let key =
            base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_else(|_| encoded.as_bytes().to_vec());
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// An endpoint as sent (create: `url` required; PATCH: `None` leaves a part alone).
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// What the audit log keeps of an endpoint (never a secret).
fn audit_view(e: &Endpoint) -> Value {
    json!({"id": e.id.as_str(), "url": e.url, "description": e.description, "event_types": e.event_types, "enabled": e.enabled})
}

/// Checks the parts given, collecting every problem; the URL is also checked against the
/// outbound rules (a host that does not resolve yet is accepted: deliveries will say so).
async fn check(state: &App, input: &EndpointInput, base: &mut Endpoint) -> Result<()> {
    let mut errors = ValidationErrors::new();
    if let Some(url) = &input.url {
        let url = url.trim();
        if url.len() > MAX_URL {
            errors.push("url", format!("may be at most {MAX_URL} characters"));
        } else {
            match Target::parse(url) {
                Err(e) => errors.push("url", e.to_string()),
                Ok(t) => match state.outbound.check(t.url()).await {
                    Err(OutboundError::Refused(reason)) => errors.push("url", reason),
                    _ => base.url = t.url().to_owned(),
                },
            }
        }
    }
    if let Some(d) = &input.description {
        let d = d.trim();
        if d.chars().count() > MAX_DESCRIPTION {
            errors.push("description", format!("is too long (at most {MAX_DESCRIPTION} characters)"));
        } else if d.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            errors.push("description", "must not contain control characters");
        } else {
            d.clone_into(&mut base.description);
        }
    }
    if let Some(types) = &input.event_types {
        match parse_event_types(types) {
            Ok(t) => base.event_types = t,
            Err(unknown) => errors.push("event_types", format!("holds unknown event types: {}", unknown.join(", "))),
        }
    }
    if let Some(enabled) = input.enabled {
        if enabled && !base.enabled {
            base.disabled_reason = None;
            base.failing_since = None;
        } else if !enabled && base.enabled {
            base.disabled_reason = Some("Disabled by an Administrator".to_owned());
        }
        base.enabled = enabled;
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::Validation(errors)) }
}

/// Creates an endpoint; answers it with its secret (the only time the secret is shown).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn create(state: &App, admin: &Admin, actor: &Actor, input: EndpointInput) -> Result<(Endpoint, Secret)> {
    let now = state.now();
    let id = WebhookEndpointId::generate();
    let mut endpoint = Endpoint {
        id: id.clone(),
        account_id: admin.account_id().to_string(),
        url: String::new(),
        description: String::new(),
        event_types: Vec::new(),
        enabled: true,
        secret_sealed: String::new(),
        previous_secret_sealed: None,
        previous_secret_until: None,
        disabled_reason: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    if input.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        return Err(Error::invalid("url", "is required"));
    }
    check(state, &input, &mut endpoint).await?;
    let secret = Secret::generate()?;
    let sealed = secret.seal(state)?;
    let mut tx = state.db.begin().await?;
    let existing = webhooks::list(&mut tx, admin.account_id(), None, MAX_ENDPOINTS).await?;
    if i64::try_from(existing.len()).unwrap_or(i64::MAX) >= MAX_ENDPOINTS {
        return Err(Error::Rule {
            code: "webhook_limit",
            detail: format!("An account may have at most {MAX_ENDPOINTS} webhook endpoints."),
        });
    }
    let new = NewEndpoint {
        id: &id,
        url: &endpoint.url,
        description: &endpoint.description,
        event_types: &endpoint.event_types,
        enabled: endpoint.enabled,
        secret_sealed: &sealed,
    };
    webhooks::insert(&mut tx, admin.account_id(), &new, now).await?;
    let created = webhooks::get(&mut tx, admin.account_id(), &id).await?.ok_or(Error::NotFound)?;
    let change = Change::new("webhook.created", "webhook", id.as_str()).after(audit_view(&created));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok((created, secret))
}

/// A page of the account's endpoints, newest first.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn list(
    state: &App, admin: &Admin, after: Option<(i64, String)>, limit: i64,
) -> Result<(Vec<Endpoint>, Option<String>)> {
    let mut conn = state.db.conn().await?;
    let rows = webhooks::list(&mut conn, admin.account_id(), after.as_ref(), limit + 1).await?;
    Ok(crate::cursor::paginate(rows, limit, |e| (e.created_at, e.id.to_string())))
}

/// One endpoint of the admin's account; others' are 404.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn get(state: &App, admin: &Admin, id: &WebhookEndpointId) -> Result<Endpoint> {
    let mut conn = state.db.conn().await?;
    webhooks::get(&mut conn, admin.account_id(), id).await?.ok_or(Error::NotFound)
}

/// Changes an endpoint; turning it on again clears why it was disabled.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn update(
    state: &App, admin: &Admin, actor: &Actor, id: &WebhookEndpointId, input: EndpointInput,
) -> Result<Endpoint> {
    let before = get(state, admin, id).await?;
    let mut after = before.clone();
    check(state, &input, &mut after).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !webhooks::update(&mut tx, admin.account_id(), &after, now).await? {
        return Err(Error::NotFound);
    }
    let saved = webhooks::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    if audit_view(&before) != audit_view(&saved) {
        let change = Change::new("webhook.updated", "webhook", id.as_str())
            .before(audit_view(&before))
            .after(audit_view(&saved));
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(saved)
}

/// Gives an endpoint a new secret; the current one keeps signing for 24 hours.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn rotate_secret(state: &App, admin: &Admin, actor: &Actor, id: &WebhookEndpointId) -> Result<Secret> {
    let secret = Secret::generate()?;
    let sealed = secret.seal(state)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !webhooks::rotate_secret(&mut tx, admin.account_id(), id, &sealed, now + ROTATION_OVERLAP_MS, now).await? {
        return Err(Error::NotFound);
    }
    let change = Change::new("webhook.secret_rotated", "webhook", id.as_str())
        .after(json!({"previous_secret_valid_until": jiff::Timestamp::from_millisecond(now + ROTATION_OVERLAP_MS).map(|t| t.to_string()).unwrap_or_default()}));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(secret)
}

/// Deletes an endpoint; its pending deliveries stop.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn delete(state: &App, admin: &Admin, actor: &Actor, id: &WebhookEndpointId) -> Result<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = webhooks::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    webhooks::delete(&mut tx, admin.account_id(), id).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("webhook.deleted", "webhook", id.as_str()).before(audit_view(&before)),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    Ok(())
}

/// The delivery statuses the log filters on.
pub const DELIVERY_STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];

/// A page of an endpoint's deliveries, newest first, optionally of one status.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn deliveries(
    state: &App, admin: &Admin, id: &WebhookEndpointId, status: Option<&str>, after: Option<(i64, String)>, limit: i64,
) -> Result<(Vec<Delivery>, Option<String>)> {
    let status = status.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = status
        && !DELIVERY_STATUSES.contains(&s)
    {
        return Err(Error::invalid("status", "must be pending, succeeded or failed"));
    }
    get(state, admin, id).await?;
    let mut conn = state.db.conn().await?;
    let rows = webhook_deliveries::list(&mut conn, admin.account_id(), id, status, after.as_ref(), limit + 1).await?;
    Ok(crate::cursor::paginate(rows, limit, |d| (d.created_at, d.id.clone())))
}

/// Queues a new attempt of one delivery now.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn retry_delivery(state: &App, admin: &Admin, id: &WebhookEndpointId, delivery_id: &str) -> Result<()> {
    if !webhook_deliveries::is_delivery_id(delivery_id) {
        return Err(Error::NotFound);
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    webhooks::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    webhook_deliveries::get(&mut tx, admin.account_id(), id, delivery_id).await?.ok_or(Error::NotFound)?;
    webhook_deliveries::retry(&mut tx, admin.account_id(), delivery_id, now).await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    Ok(())
}

/// Sends a `webhook.test` event to this endpoint alone, whatever its filter; answers the delivery id.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), endpoint_id = %id))]
pub async fn send_test(state: &App, admin: &Admin, id: &WebhookEndpointId) -> Result<String> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    webhooks::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    let data = json!({"webhook_id": id.as_str(), "message": "This is a test event from Tenantry."});
    let delivery = webhook_deliveries::insert_test(&mut tx, admin.account_id(), id, &data, now).await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn secrets_are_long_random_and_never_printed() {
        let s = Secret::generate().unwrap();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&s.expose()[6..]).unwrap().len(), 24);
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
        assert_ne!(s, Secret::generate().unwrap());
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks reference libraries.
        let s = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            s.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
