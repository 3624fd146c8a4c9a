//! The account's compliance document (Administrators): the Data Protection Officer and EU
//! representative contacts, up to five extra breach-notification emails, and the GDPR records of
//! processing (Article 30). It is replaced whole; a document never saved is empty.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde::{Deserialize, Serialize};
use tenantry_domain::phone::PhoneError;
use tenantry_domain::{EmailAddress, PhoneNumber, ValidationErrors};
use tenantry_storage::compliance as store;

/// Most breach-notification emails.
pub const MAX_BREACH_EMAILS: usize = 5;
/// Most records of processing.
pub const MAX_RECORDS: usize = 100;
/// Longest contact name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest postal address, in characters.
pub const MAX_ADDRESS: usize = 1000;
/// Longest purpose of a record, in characters.
pub const MAX_PURPOSE: usize = 500;
/// Longest other member of a record, in characters.
pub const MAX_RECORD_TEXT: usize = 2000;

/// A contact (the DPO or the EU representative); every part may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub name: Option<String>,
    /// A valid address.
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// Free text, line breaks allowed.
    pub address: Option<String>,
}

/// One record of processing (GDPR Article 30); only `purpose` is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessingRecord {
    pub purpose: String,
    pub data_subjects: String,
    pub data_categories: String,
    pub recipients: String,
    pub transfers: String,
    pub retention: String,
    pub safeguards: String,
}

/// The names of a record's members, in the order the CSV and the pages show them.
pub const RECORD_FIELDS: [&str; 7] =
    ["purpose", "data_subjects", "data_categories", "recipients", "transfers", "retention", "safeguards"];

impl ProcessingRecord {
    /// The members in [`RECORD_FIELDS`] order.
    pub fn cells(&self) -> [&str; 7] {
        [
            &self.purpose,
            &self.data_subjects,
            &self.data_categories,
            &self.recipients,
            &self.transfers,
            &self.retention,
            &self.safeguards,
        ]
    }
}

/// The whole document, valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Compliance {
    pub dpo: Contact,
    pub eu_representative: Contact,
    pub breach_notification_emails: Vec<String>,
    pub processing_records: Vec<ProcessingRecord>,
}

/// A contact as received: any text.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// A record as received: any text, members that are missing are empty.
#[derive(Debug, Clone, Default)]
pub struct RecordInput {
    pub purpose: Option<String>,
    pub data_subjects: Option<String>,
    pub data_categories: Option<String>,
    pub recipients: Option<String>,
    pub transfers: Option<String>,
    pub retention: Option<String>,
    pub safeguards: Option<String>,
}

/// The document as received.
#[derive(Debug, Clone, Default)]
pub struct ComplianceInput {
    pub dpo: ContactInput,
    pub eu_representative: ContactInput,
    pub breach_notification_emails: Vec<String>,
    pub processing_records: Vec<RecordInput>,
}

impl From<&Contact> for ContactInput {
    fn from(c: &Contact) -> Self {
        Self { name: c.name.clone(), email: c.email.clone(), phone: c.phone.clone(), address: c.address.clone() }
    }
}

impl From<&ProcessingRecord> for RecordInput {
    fn from(r: &ProcessingRecord) -> Self {
        let some = |s: &str| Some(s.to_owned());
        Self {
            purpose: some(&r.purpose),
            data_subjects: some(&r.data_subjects),
            data_categories: some(&r.data_categories),
            recipients: some(&r.recipients),
            transfers: some(&r.transfers),
            retention: some(&r.retention),
            safeguards: some(&r.safeguards),
        }
    }
}

impl From<&Compliance> for ComplianceInput {
    fn from(c: &Compliance) -> Self {
        Self {
            dpo: (&c.dpo).into(),
            eu_representative: (&c.eu_representative).into(),
            breach_notification_emails: c.breach_notification_emails.clone(),
            processing_records: c.processing_records.iter().map(Into::into).collect(),
        }
    }
}

/// Free text: trimmed, at most `max` characters, line breaks allowed only when `multiline`.
fn text(input: &str, max: usize, multiline: bool) -> std::result::Result<String, String> {
    let s = input.trim();
    if s.chars().count() > max {
        return Err(format!("is too long (at most {max} characters)"));
    }
    if s.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err(
            if multiline { "must not contain control characters" } else { "must be one line of text" }.to_owned()
        );
    }
    Ok(s.to_owned())
}

/// Optional text: empty becomes `None`.
fn optional(e: &mut ValidationErrors, field: &str, input: Option<&str>, max: usize, multiline: bool) -> Option<String> {
    let v = e.check(field, text(input.unwrap_or(""), max, multiline))?;
    (!v.is_empty()).then_some(v)
}

fn contact(e: &mut ValidationErrors, prefix: &str, c: &ContactInput) -> Contact {
    let name = optional(e, &format!("{prefix}.name"), c.name.as_deref(), MAX_NAME, false);
    let email = c
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| e.check(&format!("{prefix}.email"), EmailAddress::parse(s)).map(|m| m.as_str().to_owned()));
    let phone = c.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|s| {
        let parsed = PhoneNumber::parse(s, None).map_err(|err| match err {
            PhoneError::NoCountry => {
                "needs its country: start it with + and the country code (e.g. +44 20 7946 0958)".to_owned()
            }
            other => other.to_string(),
        });
        e.check(&format!("{prefix}.phone"), parsed).map(|p| p.as_str().to_owned())
    });
    let address = optional(e, &format!("{prefix}.address"), c.address.as_deref(), MAX_ADDRESS, true);
    Contact { name, email, phone, address }
}

fn record(e: &mut ValidationErrors, i: usize, r: &RecordInput) -> ProcessingRecord {
    let field = |name: &str| format!("processing_records[{i}].{name}");
    let purpose = e.check(&field("purpose"), text(r.purpose.as_deref().unwrap_or(""), MAX_PURPOSE, true));
    if purpose.as_deref() == Some("") {
        e.push(&field("purpose"), "is required: say what the data is processed for");
    }
    let mut member = |name: &str, v: &Option<String>| {
        e.check(&field(name), text(v.as_deref().unwrap_or(""), MAX_RECORD_TEXT, true)).unwrap_or_default()
    };
    ProcessingRecord {
        data_subjects: member("data_subjects", &r.data_subjects),
        data_categories: member("data_categories", &r.data_categories),
        recipients: member("recipients", &r.recipients),
        transfers: member("transfers", &r.transfers),
        retention: member("retention", &r.retention),
        safeguards: member("safeguards", &r.safeguards),
        purpose: purpose.unwrap_or_default(),
    }
}

/// Checks a whole document, naming every invalid field (`dpo.email`,
/// `breach_notification_emails[1]`, `processing_records[0].purpose`…).
pub fn validate(input: &ComplianceInput) -> std::result::Result<Compliance, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let dpo = contact(&mut e, "dpo", &input.dpo);
    let eu_representative = contact(&mut e, "eu_representative", &input.eu_representative);
    const BREACH: &str = "breach_notification_emails";
    if input.breach_notification_emails.len() > MAX_BREACH_EMAILS {
        e.push(BREACH, format!("may hold at most {MAX_BREACH_EMAILS} addresses"));
    }
    let mut emails: Vec<EmailAddress> = Vec::new();
    for (i, raw) in input.breach_notification_emails.iter().enumerate() {
        if let Some(m) = e.check(&format!("{BREACH}[{i}]"), EmailAddress::parse(raw)) {
            if emails.iter().any(|x| x.normalized() == m.normalized()) {
                e.push(BREACH, format!("lists {} more than once", m.as_str()));
            } else {
                emails.push(m);
            }
        }
    }
    if input.processing_records.len() > MAX_RECORDS {
        e.push("processing_records", format!("may hold at most {MAX_RECORDS} records"));
    }
    let records = input.processing_records.iter().enumerate().map(|(i, r)| record(&mut e, i, r)).collect();
    e.into_result()?;
    Ok(Compliance {
        dpo,
        eu_representative,
        breach_notification_emails: emails.iter().map(|m| m.as_str().to_owned()).collect(),
        processing_records: records,
    })
}

async fn read(conn: &mut tenantry_storage::Conn, admin: &Admin) -> Result<Compliance> {
    match store::get(conn, admin.account_id()).await? {
        None => Ok(Compliance::default()),
        Some(body) => {
            serde_json::from_str(&body).map_err(|e| Error::unexpected(format!("stored compliance document: {e}")))
        }
    }
}

/// The account's document (empty when never saved).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &Admin) -> Result<Compliance> {
    let mut conn = state.db.conn().await?;
    read(&mut conn, admin).await
}

/// Replaces the whole document, recorded in the audit log when it changed.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn put(state: &App, admin: &Admin, actor: &Actor, input: &ComplianceInput) -> Result<Compliance> {
    let doc = validate(input)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = read(&mut tx, admin).await?;
    let body = serde_json::to_string(&doc).map_err(anyhow::Error::from)?;
    store::put(&mut tx, admin.account_id(), &body, now).await?;
    if before != doc {
        let as_json = |d: &Compliance| serde_json::to_value(d).unwrap_or_default();
        let change = Change::new("compliance.updated", "account", admin.account_id().as_str())
            .before(as_json(&before))
            .after(as_json(&doc));
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(doc)
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
pub(crate) fn neutralized(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

/// The records of processing as CSV: a header naming the members, then one row per record.
pub fn records_csv(doc: &Compliance) -> Result<String> {
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    out.write_record(RECORD_FIELDS).map_err(anyhow::Error::from)?;
    for r in &doc.processing_records {
        out.write_record(r.cells().map(neutralized).iter().map(|c| c.as_ref())).map_err(anyhow::Error::from)?;
    }
    let bytes = out.into_inner().map_err(|e| Error::unexpected(e.to_string()))?;
    Ok(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    fn fields(e: ValidationErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_valid_document_is_normalized() {
        let input = ComplianceInput {
            dpo: ContactInput {
                name: Some("  Dana  ".into()),
                email: Some("dpo@acme.example".into()),
                phone: Some("+44 20 7946 0958".into()),
                address: Some("1 Main St\nLondon".into()),
            },
            eu_representative: ContactInput { email: Some(" ".into()), ..ContactInput::default() },
            breach_notification_emails: vec!["a@acme.example".into()],
            processing_records: vec![RecordInput { purpose: Some("Payroll".into()), ..RecordInput::default() }],
        };
        let doc = validate(&input).expect("valid");
        assert_eq!(doc.dpo.name.as_deref(), Some("Dana"));
        assert_eq!(doc.dpo.phone.as_deref(), Some("+442079460958"));
        assert_eq!(doc.eu_representative, Contact::default());
        assert_eq!(doc.processing_records[0].data_subjects, "");
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = ComplianceInput {
            dpo: ContactInput { email: Some("nope".into()), phone: Some("12".into()), ..ContactInput::default() },
            breach_notification_emails: vec!["a@x.example".into(), "A@x.example".into(), "bad".into()],
            processing_records: vec![RecordInput::default()],
            ..ComplianceInput::default()
        };
        let got = fields(validate(&input).expect_err("invalid"));
        assert_eq!(
            got,
            [
                "dpo.email",
                "dpo.phone",
                "breach_notification_emails",
                "breach_notification_emails[2]",
                "processing_records[0].purpose"
            ]
        );
        let six = ComplianceInput {
            breach_notification_emails: (0..6).map(|i| format!("p{i}@x.example")).collect(),
            ..ComplianceInput::default()
        };
        assert_eq!(fields(validate(&six).expect_err("six")), ["breach_notification_emails"]);
    }

    #[test]
    fn csv_cells_cannot_run_as_formulas() {
        let doc = Compliance {
            processing_records: vec![ProcessingRecord {
                purpose: "=HYPERLINK(\"x\")".into(),
                recipients: "a, b".into(),
                ..ProcessingRecord::default()
            }],
            ..Compliance::default()
        };
        let text = records_csv(&doc).expect("csv");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("purpose,data_subjects,data_categories,recipients,transfers,retention,safeguards")
        );
        assert_eq!(lines.next(), Some("\"'=HYPERLINK(\"\"x\"\")\",,,\"a, b\",,,"));
    }
}
