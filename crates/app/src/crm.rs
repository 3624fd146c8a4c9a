//! Account settings › CRM (Administrators): the account's one CRM connection — provider, base
//! URL, credentials, the mapping from contact fields to CRM fields — and the "test connection"
//! action. Credentials are write-only: sealed with [`crate::secrets::SecretBox`] before they
//! are stored, opened only to send the test request, and never in an answer, a log line, an
//! audit row or an export. The base URL obeys the outbound rules ([`crate::outbound`]) when it is
//! saved and again when it is tested.

use crate::audit::{self, Change};
use crate::outbound::{OutboundError, Target};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::json;
use std::collections::BTreeMap;
use tenantry_domain::ValidationErrors;
use tenantry_storage::crm::{self, CrmRow, CrmSave};

/// The CRMs Tenantry connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Salesforce,
    Hubspot,
    Dynamics,
    Zoho,
    Pipedrive,
    Generic,
}

impl Provider {
    /// Every provider, in the order forms list them.
    pub const ALL: [Provider; 6] = [
        Provider::Salesforce,
        Provider::Hubspot,
        Provider::Dynamics,
        Provider::Zoho,
        Provider::Pipedrive,
        Provider::Generic,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Salesforce => "salesforce",
            Provider::Hubspot => "hubspot",
            Provider::Dynamics => "dynamics",
            Provider::Zoho => "zoho",
            Provider::Pipedrive => "pipedrive",
            Provider::Generic => "generic",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Salesforce => "Salesforce",
            Provider::Hubspot => "HubSpot",
            Provider::Dynamics => "Microsoft Dynamics 365",
            Provider::Zoho => "Zoho CRM",
            Provider::Pipedrive => "Pipedrive",
            Provider::Generic => "Other (generic REST API)",
        }
    }

    /// Reads a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// The URL tested when none is given: an endpoint of the provider's API that answers 2xx to
    /// a valid bearer token. The generic provider has none.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Provider::Salesforce => Some("https://login.salesforce.com/services/oauth2/userinfo"),
            Provider::Hubspot => Some("https://api.hubapi.com/crm/v3/objects/contacts?limit=1"),
            Provider::Dynamics => Some("https://globaldisco.crm.dynamics.com/api/discovery/v2.0/Instances"),
            Provider::Zoho => Some("https://www.zohoapis.com/crm/v6/users?type=CurrentUser"),
            Provider::Pipedrive => Some("https://api.pipedrive.com/v1/users/me"),
            Provider::Generic => None,
        }
    }
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Saved, not tested since.
    Untested,
    /// The last test got a 2xx.
    Connected,
    /// The last test failed (see `last_error`).
    Failed,
}

impl Status {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Untested => "untested",
            Status::Connected => "connected",
            Status::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "connected" => Status::Connected,
            "failed" => Status::Failed,
            _ => Status::Untested,
        }
    }
}

/// CRM credentials (`api_key`, and whatever else a provider needs). Write-only: no `Serialize`,
/// and `Debug` shows only how many values there are.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(BTreeMap<String, String>);

/// Read from JSON without ever quoting a value in the error (serde's messages would).
impl<'de> serde::Deserialize<'de> for Credentials {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let shape = || D::Error::custom("must be an object of strings, e.g. {\"api_key\": \"…\"}");
        match <serde_json::Value as serde::Deserialize>::deserialize(d)? {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => Ok((k, s)),
                    _ => Err(shape()),
                })
                .collect::<std::result::Result<_, _>>()
                .map(Self),
            _ => Err(shape()),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({} values, redacted)", self.0.len())
    }
}

/// The credential sent as the bearer token of the connection test.
pub const API_KEY: &str = "api_key";

impl Credentials {
    /// Credentials holding `values`.
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Self(values)
    }

    /// The `api_key` value, if any.
    pub fn api_key(&self) -> Option<&str> {
        self.0.get(API_KEY).map(String::as_str)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem with the values, named `credentials.<key>`.
    fn check(&self, errors: &mut ValidationErrors) {
        if self.0.len() > 20 {
            errors.push("credentials", "may hold at most 20 values");
        }
        for (key, value) in &self.0 {
            let key_ok = (1..=64).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
            if !key_ok {
                errors.push("credentials", "names must be 1–64 of A-Z, a-z, 0-9, “_”, “-” and “.”");
                continue;
            }
            let field = format!("credentials.{key}");
            if value.trim().is_empty() {
                errors.push(&field, "must not be empty");
            } else if value.len() > 4096 {
                errors.push(&field, "may be at most 4096 characters");
            } else if value.chars().any(char::is_control) {
                errors.push(&field, "must not hold control characters");
            }
        }
    }

    fn seal(&self, state: &App) -> Result<String> {
        let plain = serde_json::to_vec(&self.0).map_err(|e| Error::unexpected(format!("credentials: {e}")))?;
        state.secrets.seal(&plain).map_err(Error::Unexpected)
    }

    fn open(state: &App, sealed: &str) -> Result<Self> {
        let plain = state.secrets.open(sealed).map_err(Error::Unexpected)?;
        serde_json::from_slice(&plain).map(Self).map_err(|e| Error::unexpected(format!("stored credentials: {e}")))
    }
}

/// The four built-in contact fields, as `(key, label)`.
pub const BUILT_IN_FIELDS: [(&str, &str); 4] =
    [("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"), ("phone", "Phone")];

/// The connection as Administrators see it (never the credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub provider: Provider,
    pub base_url: Option<String>,
    pub credentials_set: bool,
    pub status: Status,
    pub last_error: Option<String>,
    pub field_mapping: BTreeMap<String, String>,
    pub connected_at: i64,
    pub last_tested_at: Option<i64>,
    pub last_sync_at: Option<i64>,
}

impl TryFrom<CrmRow> for Connection {
    type Error = Error;
    fn try_from(r: CrmRow) -> Result<Self> {
        Ok(Self {
            provider: Provider::parse(&r.provider)
                .ok_or_else(|| Error::unexpected("stored CRM provider is invalid"))?,
            base_url: r.base_url,
            credentials_set: r.credentials_sealed.is_some(),
            status: Status::parse(&r.status),
            last_error: r.last_error,
            field_mapping: serde_json::from_str(&r.field_mapping)
                .map_err(|e| Error::unexpected(format!("stored CRM field mapping: {e}")))?,
            connected_at: r.connected_at,
            last_tested_at: r.last_tested_at,
            last_sync_at: r.last_sync_at,
        })
    }
}

/// What a save asks for, as received.
#[derive(Debug, Clone, Default)]
pub struct CrmInput {
    pub provider: String,
    pub base_url: Option<String>,
    /// `None` keeps the stored credentials; `Some` replaces them all (empty: none).
    pub credentials: Option<Credentials>,
    pub field_mapping: BTreeMap<String, String>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub ok: bool,
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

/// What the audit log keeps of a connection (never the credentials).
fn audit_view(c: &Connection) -> serde_json::Value {
    json!({"provider": c.provider.as_str(), "base_url": c.base_url, "field_mapping": c.field_mapping, "credentials_set": c.credentials_set})
}

/// Every contact field of the account, as `(key, label)`: the built-in ones first.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn contact_fields(state: &App, admin: &Admin) -> Result<Vec<(String, String)>> {
    let mut conn = state.db.conn().await?;
    let custom = crm::custom_contact_fields(&mut conn, admin.account_id()).await?;
    Ok(BUILT_IN_FIELDS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).chain(custom).collect())
}

/// The account's connection; `NotFound` when it never connected.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &Admin) -> Result<Connection> {
    let mut conn = state.db.conn().await?;
    crm::get(&mut conn, admin.account_id()).await?.ok_or(Error::NotFound)?.try_into()
}

/// The checked parts of a save.
struct Checked {
    provider: Provider,
    base_url: Option<String>,
    mapping: BTreeMap<String, String>,
}

/// Checks everything but the outbound rules, collecting every problem.
fn check_input(input: &CrmInput, field_keys: &[(String, String)], errors: &mut ValidationErrors) -> Option<Checked> {
    let provider = Provider::parse(&input.provider);
    if provider.is_none() {
        let names: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
        errors.push("provider", format!("must be one of {}", names.join(", ")));
    }
    let given = input.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let base_url = match (given, provider) {
        (Some(url), _) => match Target::parse(url) {
            Ok(t) => Some(t.url().to_owned()),
            Err(e) => {
                errors.push("base_url", e.to_string());
                None
            }
        },
        (None, Some(Provider::Generic)) => {
            errors.push("base_url", "is required for the generic provider");
            None
        }
        (None, p) => p.and_then(Provider::default_base_url).map(str::to_owned),
    };
    if let Some(c) = &input.credentials {
        c.check(errors);
    }
    if input.field_mapping.len() > 200 {
        errors.push("field_mapping", "may map at most 200 fields");
    }
    let mut mapping = BTreeMap::new();
    for (key, crm_field) in &input.field_mapping {
        let field = format!("field_mapping.{key}");
        let crm_field = crm_field.trim();
        if !field_keys.iter().any(|(k, _)| k == key) {
            errors.push(&field, "is not a contact field of this account");
        } else if crm_field.is_empty() {
            errors.push(&field, "needs the name of a CRM field");
        } else if crm_field.chars().count() > 200 || crm_field.chars().any(char::is_control) {
            errors.push(&field, "must be a CRM field name of at most 200 characters");
        } else {
            mapping.insert(key.clone(), crm_field.to_owned());
        }
    }
    Some(Checked { provider: provider?, base_url, mapping })
}

/// Connects the account's CRM, or changes its connection: it becomes `untested`. Credentials
/// left out are kept. The base URL must pass the outbound rules (a host that does not resolve
/// yet is accepted; the test will say so).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn save(state: &App, admin: &Admin, actor: &Actor, input: CrmInput) -> Result<Connection> {
    let field_keys = contact_fields(state, admin).await?;
    let mut errors = ValidationErrors::new();
    let checked = check_input(&input, &field_keys, &mut errors);
    if let Some(url) = checked.as_ref().and_then(|c| c.base_url.as_deref())
        && let Err(OutboundError::Refused(reason)) = state.outbound.check(url).await
    {
        errors.push("base_url", reason);
    }
    let checked = match (checked, errors.is_empty()) {
        (Some(c), true) => c,
        _ => return Err(Error::Validation(errors)),
    };
    let sealed = match &input.credentials {
        Some(c) if c.is_empty() => None,
        Some(c) => Some(c.seal(state)?),
        None => None,
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before_row = crm::get(&mut tx, admin.account_id()).await?;
    // Credentials left out keep the stored ones.
    let kept = match &input.credentials {
        None => before_row.as_ref().and_then(|r| r.credentials_sealed.clone()),
        Some(_) => sealed,
    };
    let before = before_row.map(Connection::try_from).transpose()?;
    let mapping = serde_json::to_string(&checked.mapping).map_err(|e| Error::unexpected(format!("mapping: {e}")))?;
    let save = CrmSave {
        provider: checked.provider.as_str(),
        base_url: checked.base_url.as_deref(),
        credentials_sealed: kept.as_deref(),
        field_mapping: &mapping,
    };
    crm::save(&mut tx, admin.account_id(), &save, now).await?;
    let after: Connection = crm::get(&mut tx, admin.account_id())
        .await?
        .ok_or_else(|| Error::unexpected("CRM connection vanished"))?
        .try_into()?;
    let action = if before.is_some() { "crm.updated" } else { "crm.connected" };
    let mut change = Change::new(action, "crm_connection", admin.account_id().as_str())
        .after(json!({"credentials_replaced": input.credentials.is_some(), "connection": audit_view(&after)}));
    if let Some(b) = &before {
        change = change.before(audit_view(b));
    }
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(after)
}

/// Sends `GET base_url` with the `api_key` credential as bearer token and records the result:
/// a 2xx makes the connection `connected`, anything else `failed` with the reason.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn test(state: &App, admin: &Admin, actor: &Actor) -> Result<TestResult> {
    let row = {
        let mut conn = state.db.conn().await?;
        crm::get(&mut conn, admin.account_id()).await?.ok_or(Error::NotFound)?
    };
    let credentials = match &row.credentials_sealed {
        Some(sealed) => Credentials::open(state, sealed)?,
        None => Credentials::default(),
    };
    let result = match row.base_url.as_deref() {
        None => TestResult { ok: false, status_code: None, error: Some("no base URL to test".to_owned()) },
        Some(url) => match state.outbound.get(url, credentials.api_key()).await {
            Ok(reply) if (200..300).contains(&reply.status) => {
                TestResult { ok: true, status_code: Some(reply.status), error: None }
            }
            Ok(reply) => {
                let note = if (300..400).contains(&reply.status) { " (redirects are not followed)" } else { "" };
                TestResult {
                    ok: false,
                    status_code: Some(reply.status),
                    error: Some(format!("HTTP {}{note}", reply.status)),
                }
            }
            Err(e) => TestResult { ok: false, status_code: None, error: Some(e.to_string()) },
        },
    };
    drop(credentials);
    let status = if result.ok { Status::Connected } else { Status::Failed };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !crm::record_test(&mut tx, admin.account_id(), status.as_str(), result.error.as_deref(), now).await? {
        return Err(Error::NotFound);
    }
    let change = Change::new("crm.tested", "crm_connection", admin.account_id().as_str()).after(
        json!({"ok": result.ok, "status_code": result.status_code, "error": result.error, "status": status.as_str()}),
    );
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    tracing::info!(ok = result.ok, status_code = ?result.status_code, "CRM connection tested");
    Ok(result)
}

/// Disconnects the CRM: the connection and its credentials are erased.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn disconnect(state: &App, admin: &Admin, actor: &Actor) -> Result<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before: Connection = crm::get(&mut tx, admin.account_id()).await?.ok_or(Error::NotFound)?.try_into()?;
    crm::delete(&mut tx, admin.account_id()).await?;
    let change =
        Change::new("crm.disconnected", "crm_connection", admin.account_id().as_str()).before(audit_view(&before));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn keys() -> Vec<(String, String)> {
        BUILT_IN_FIELDS
            .iter()
            .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
            .chain([("plan".to_owned(), "Plan".to_owned())])
            .collect()
    }

    fn fields(e: &ValidationErrors) -> Vec<&str> {
        e.0.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn credentials_never_print() {
        let c = Credentials::new(BTreeMap::from([("api_key".to_owned(), "s3cr3t-value".to_owned())]));
        let shown = format!("{c:?} {:?}", CrmInput { credentials: Some(c.clone()), ..CrmInput::default() });
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert_eq!(c.api_key(), Some("s3cr3t-value"));
    }

    #[test]
    fn input_is_checked_field_by_field() {
        let mut e = ValidationErrors::new();
        let input = CrmInput {
            provider: "generic".to_owned(),
            base_url: None,
            credentials: Some(Credentials::new(BTreeMap::from([("api_key".to_owned(), " ".to_owned())]))),
            field_mapping: BTreeMap::from([
                ("x".to_owned(), "X".to_owned()),
                ("email".to_owned(), "Email".to_owned()),
                ("plan".to_owned(), " ".to_owned()),
            ]),
        };
        check_input(&input, &keys(), &mut e);
        assert_eq!(fields(&e), ["base_url", "credentials.api_key", "field_mapping.plan", "field_mapping.x"]);

        let mut e = ValidationErrors::new();
        let input = CrmInput { provider: "hubspot".to_owned(), ..CrmInput::default() };
        let c = check_input(&input, &keys(), &mut e).unwrap();
        assert!(e.is_empty());
        assert_eq!(c.base_url.as_deref(), Provider::Hubspot.default_base_url());

        let mut e = ValidationErrors::new();
        let input =
            CrmInput { provider: "sap".to_owned(), base_url: Some("ftp://x".to_owned()), ..CrmInput::default() };
        assert!(check_input(&input, &keys(), &mut e).is_none());
        assert_eq!(fields(&e), ["provider", "base_url"]);
    }
}
