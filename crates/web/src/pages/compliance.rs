//! Account settings › Compliance (Administrators): the DPO and EU representative contacts and the
//! breach-notification emails in one form; the records of processing listed, each removable, with
//! a form holding one blank record to add (no script needed); and their CSV download. Every form
//! saves the whole document through the same service as `PUT /api/v1/compliance`.

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash};
use crate::api::compliance::csv_response;
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::compliance::{
    self, Compliance, ComplianceInput, ContactInput, MAX_BREACH_EMAILS, ProcessingRecord, RecordInput,
};

/// The contact fields of the form, by their JSON names.
const CONTACT_FIELDS: [&str; 8] = [
    "dpo.name",
    "dpo.email",
    "dpo.phone",
    "dpo.address",
    "eu_representative.name",
    "eu_representative.email",
    "eu_representative.phone",
    "eu_representative.address",
];

/// One input per breach-notification email.
const BREACH_FIELDS: [&str; MAX_BREACH_EMAILS] = [
    "breach_notification_emails[0]",
    "breach_notification_emails[1]",
    "breach_notification_emails[2]",
    "breach_notification_emails[3]",
    "breach_notification_emails[4]",
];

/// The new record's fields (`record.purpose`…), in the order of `compliance::RECORD_FIELDS`.
const RECORD_INPUTS: [&str; 7] = [
    "record.purpose",
    "record.data_subjects",
    "record.data_categories",
    "record.recipients",
    "record.transfers",
    "record.retention",
    "record.safeguards",
];

/// Where the browser goes after a change to the records: their card, with its message.
const RECORDS_PAGE: &str = "/account/compliance?notice=records#records";

/// An error page under this section's navigation.
fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::Compliance)
}

/// A record as listed: its members with their labels.
struct RecordRow {
    purpose: String,
    /// (label, text) of the members that are filled in.
    details: Vec<(&'static str, String)>,
}

/// What people call each member of a record.
const RECORD_LABELS: [&str; 7] =
    ["Purpose", "Data subjects", "Data categories", "Recipients", "Transfers", "Retention", "Safeguards"];

impl From<&ProcessingRecord> for RecordRow {
    fn from(r: &ProcessingRecord) -> Self {
        let details = RECORD_LABELS
            .iter()
            .zip(r.cells())
            .skip(1)
            .filter(|(_, v)| !v.is_empty())
            .map(|(l, v)| (*l, v.to_owned()))
            .collect();
        Self { purpose: r.purpose.clone(), details }
    }
}

#[derive(Template)]
#[template(path = "account/compliance.html")]
struct CompliancePage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// A success message about the records, shown in their card.
    records_flash: Option<String>,
    form: FormState,
    records: Vec<RecordRow>,
    record_form: FormState,
}

/// The contacts and breach emails form, as posted (field names are the JSON paths).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactsForm {
    #[serde(rename = "dpo.name")]
    dpo_name: String,
    #[serde(rename = "dpo.email")]
    dpo_email: String,
    #[serde(rename = "dpo.phone")]
    dpo_phone: String,
    #[serde(rename = "dpo.address")]
    dpo_address: String,
    #[serde(rename = "eu_representative.name")]
    eu_name: String,
    #[serde(rename = "eu_representative.email")]
    eu_email: String,
    #[serde(rename = "eu_representative.phone")]
    eu_phone: String,
    #[serde(rename = "eu_representative.address")]
    eu_address: String,
    #[serde(rename = "breach_notification_emails[0]")]
    breach0: String,
    #[serde(rename = "breach_notification_emails[1]")]
    breach1: String,
    #[serde(rename = "breach_notification_emails[2]")]
    breach2: String,
    #[serde(rename = "breach_notification_emails[3]")]
    breach3: String,
    #[serde(rename = "breach_notification_emails[4]")]
    breach4: String,
}

impl ContactsForm {
    fn values(&self) -> [&String; 8] {
        [
            &self.dpo_name,
            &self.dpo_email,
            &self.dpo_phone,
            &self.dpo_address,
            &self.eu_name,
            &self.eu_email,
            &self.eu_phone,
            &self.eu_address,
        ]
    }

    fn breach(&self) -> [&String; MAX_BREACH_EMAILS] {
        [&self.breach0, &self.breach1, &self.breach2, &self.breach3, &self.breach4]
    }

    fn state(&self) -> FormState {
        let mut values: Vec<(&'static str, String)> =
            CONTACT_FIELDS.iter().zip(self.values()).map(|(f, v)| (*f, v.clone())).collect();
        values.extend(BREACH_FIELDS.iter().zip(self.breach()).map(|(f, v)| (*f, v.clone())));
        values.push(("breach_notification_emails", String::new()));
        FormState::with(values)
    }

    /// The form as it shows the saved document.
    fn of(doc: &Compliance) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let breach = |i: usize| doc.breach_notification_emails.get(i).cloned().unwrap_or_default();
        Self {
            dpo_name: text(&doc.dpo.name),
            dpo_email: text(&doc.dpo.email),
            dpo_phone: text(&doc.dpo.phone),
            dpo_address: text(&doc.dpo.address),
            eu_name: text(&doc.eu_representative.name),
            eu_email: text(&doc.eu_representative.email),
            eu_phone: text(&doc.eu_representative.phone),
            eu_address: text(&doc.eu_representative.address),
            breach0: breach(0),
            breach1: breach(1),
            breach2: breach(2),
            breach3: breach(3),
            breach4: breach(4),
        }
    }

    /// The document with these contacts and emails and the saved records; answers also where
    /// each email sent came from on the form (blank inputs are left out).
    fn input(&self, saved: &Compliance) -> (ComplianceInput, Vec<usize>) {
        let some = |s: &String| Some(s.clone());
        let mut positions = Vec::new();
        let mut emails = Vec::new();
        for (i, e) in self.breach().iter().enumerate() {
            if !e.trim().is_empty() {
                positions.push(i);
                emails.push((*e).clone());
            }
        }
        let input = ComplianceInput {
            dpo: ContactInput {
                name: some(&self.dpo_name),
                email: some(&self.dpo_email),
                phone: some(&self.dpo_phone),
                address: some(&self.dpo_address),
            },
            eu_representative: ContactInput {
                name: some(&self.eu_name),
                email: some(&self.eu_email),
                phone: some(&self.eu_phone),
                address: some(&self.eu_address),
            },
            breach_notification_emails: emails,
            processing_records: saved.processing_records.iter().map(Into::into).collect(),
        };
        (input, positions)
    }
}

/// The new record, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecordForm {
    #[serde(rename = "record.purpose")]
    purpose: String,
    #[serde(rename = "record.data_subjects")]
    data_subjects: String,
    #[serde(rename = "record.data_categories")]
    data_categories: String,
    #[serde(rename = "record.recipients")]
    recipients: String,
    #[serde(rename = "record.transfers")]
    transfers: String,
    #[serde(rename = "record.retention")]
    retention: String,
    #[serde(rename = "record.safeguards")]
    safeguards: String,
}

impl RecordForm {
    fn values(&self) -> [&String; 7] {
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

    fn state(&self) -> FormState {
        FormState::with(RECORD_INPUTS.iter().zip(self.values()).map(|(f, v)| (*f, v.clone())).collect())
    }

    fn input(&self) -> RecordInput {
        let some = |s: &String| Some(s.clone());
        RecordInput {
            purpose: some(&self.purpose),
            data_subjects: some(&self.data_subjects),
            data_categories: some(&self.data_categories),
            recipients: some(&self.recipients),
            transfers: some(&self.transfers),
            retention: some(&self.retention),
            safeguards: some(&self.safeguards),
        }
    }
}

/// Renames the fields a service error names to the inputs that hold them on a form.
fn renamed(e: Error, rename: impl Fn(&str) -> Option<String>) -> Error {
    match e {
        Error::Validation(mut v) => {
            for f in &mut v.0 {
                if let Some(new) = rename(&f.field) {
                    f.field = new;
                }
            }
            Error::Validation(v)
        }
        other => other,
    }
}

async fn build(
    state: &AppState, admin: &AdminUser, flash: Option<String>, form: Option<FormState>, record_form: FormState,
) -> Result<CompliancePage, PageError> {
    let doc = compliance::get(state, admin).await.map_err(fail(admin))?;
    Ok(CompliancePage {
        chrome: Some(Chrome::new(admin, Section::Compliance)),
        flash,
        records_flash: None,
        form: form.unwrap_or_else(|| ContactsForm::of(&doc).state()),
        records: doc.processing_records.iter().map(Into::into).collect(),
        record_form,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    /// `records`: the last message is about the records (shown in their card).
    notice: String,
}

/// `GET /account/compliance`.
pub async fn page(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let (flash, records_flash) = if q.notice == "records" { (None, flash) } else { (flash, None) };
    let mut page = build(&state, &admin, flash, None, RecordForm::default().state()).await?;
    page.records_flash = records_flash;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/compliance`: saves the contacts and breach emails (the records stay).
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<ContactsForm>,
) -> Result<Response, PageError> {
    let saved = compliance::get(&state, &admin).await.map_err(fail(&admin))?;
    let (input, positions) = f.input(&saved);
    match compliance::put(&state, &admin, &admin.actor, &input).await {
        Ok(_) => {
            let jar = set_flash(&state, jar, "The compliance contacts have been saved.");
            Ok((jar, see_other("/account/compliance")).into_response())
        }
        Err(e) => {
            // An email's index counts the addresses sent; on the form it is the input it came from.
            let e = renamed(e, |field| {
                let i: usize = field.strip_prefix("breach_notification_emails[")?.strip_suffix(']')?.parse().ok()?;
                Some(BREACH_FIELDS.get(*positions.get(i)?)?.to_string())
            });
            let (status, form) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &build(&state, &admin, None, Some(form), RecordForm::default().state()).await?))
        }
    }
}

/// `POST /account/compliance/records`: adds the record filled in.
pub async fn add_record(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<RecordForm>,
) -> Result<Response, PageError> {
    let saved = compliance::get(&state, &admin).await.map_err(fail(&admin))?;
    let mut input = ComplianceInput::from(&saved);
    input.processing_records.push(f.input());
    let new = saved.processing_records.len();
    match compliance::put(&state, &admin, &admin.actor, &input).await {
        Ok(_) => {
            let message = format!("The record “{}” has been added.", f.purpose.trim());
            Ok((set_flash(&state, jar, &message), see_other(RECORDS_PAGE)).into_response())
        }
        Err(e) => {
            let prefix = format!("processing_records[{new}].");
            let e = renamed(e, |field| field.strip_prefix(&prefix).map(|member| format!("record.{member}")));
            let (status, record_form) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &build(&state, &admin, None, None, record_form).await?))
        }
    }
}

/// `POST /account/compliance/records/{index}/delete`: removes one record.
pub async fn remove_record(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Path(index): Path<String>,
) -> Result<Response, PageError> {
    let saved = compliance::get(&state, &admin).await.map_err(fail(&admin))?;
    let index: usize = index.parse().map_err(|_| fail(&admin)(AppError::NOT_FOUND))?;
    let removed = saved.processing_records.get(index).ok_or_else(|| fail(&admin)(AppError::NOT_FOUND))?;
    let message = format!("The record “{}” has been removed.", removed.purpose);
    let mut input = ComplianceInput::from(&saved);
    input.processing_records.remove(index);
    compliance::put(&state, &admin, &admin.actor, &input).await.map_err(fail(&admin))?;
    Ok((set_flash(&state, jar, &message), see_other(RECORDS_PAGE)).into_response())
}

/// `GET /account/compliance/processing-records.csv`.
pub async fn csv(State(state): State<AppState>, PageAdmin(admin): PageAdmin) -> Result<Response, PageError> {
    let doc = compliance::get(&state, &admin).await.map_err(fail(&admin))?;
    Ok(csv_response(compliance::records_csv(&doc).map_err(fail(&admin))?))
}
