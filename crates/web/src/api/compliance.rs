//! The compliance document (Administrators): `GET/PUT /api/v1/compliance` and the records of
//! processing as CSV.

use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::compliance::{
    self, Compliance, ComplianceInput, Contact, ContactInput, ProcessingRecord, RecordInput,
};
use utoipa::ToSchema;

/// A contact; each part is `null` when not given.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    #[schema(example = "Dana Weber")]
    pub name: Option<String>,
    #[schema(example = "dpo@acme.example")]
    pub email: Option<String>,
    /// E.164.
    #[schema(example = "+442079460958")]
    pub phone: Option<String>,
    /// Free text.
    #[schema(example = "1 Main Street\nLondon EC1A 1AA")]
    pub address: Option<String>,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        Self { name: c.name, email: c.email, phone: c.phone, address: c.address }
    }
}

/// One record of processing (GDPR Article 30); every member is free text, empty when not given.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcessingRecordView {
    #[schema(example = "Payroll")]
    pub purpose: String,
    #[schema(example = "Employees")]
    pub data_subjects: String,
    #[schema(example = "Contact details, bank details, salary")]
    pub data_categories: String,
    #[schema(example = "Payroll provider, tax authority")]
    pub recipients: String,
    #[schema(example = "None outside the EEA")]
    pub transfers: String,
    #[schema(example = "10 years after employment ends")]
    pub retention: String,
    #[schema(example = "Encryption at rest, access limited to HR")]
    pub safeguards: String,
}

impl From<ProcessingRecord> for ProcessingRecordView {
    fn from(r: ProcessingRecord) -> Self {
        Self {
            purpose: r.purpose,
            data_subjects: r.data_subjects,
            data_categories: r.data_categories,
            recipients: r.recipients,
            transfers: r.transfers,
            retention: r.retention,
            safeguards: r.safeguards,
        }
    }
}

/// The compliance document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceView {
    /// The Data Protection Officer.
    pub dpo: ContactView,
    /// The representative in the EU (GDPR Article 27).
    pub eu_representative: ContactView,
    /// Up to five extra addresses told about a personal data breach.
    #[schema(example = json!(["security@acme.example"]))]
    pub breach_notification_emails: Vec<String>,
    pub processing_records: Vec<ProcessingRecordView>,
}

impl From<Compliance> for ComplianceView {
    fn from(c: Compliance) -> Self {
        Self {
            dpo: c.dpo.into(),
            eu_representative: c.eu_representative.into(),
            breach_notification_emails: c.breach_notification_emails,
            processing_records: c.processing_records.into_iter().map(Into::into).collect(),
        }
    }
}

/// A contact as sent; empty or `null` parts are cleared.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactRequest {
    /// At most 200 characters.
    pub name: Option<String>,
    pub email: Option<String>,
    /// In any common format, starting with + and the country code; stored as E.164.
    pub phone: Option<String>,
    /// At most 1,000 characters.
    pub address: Option<String>,
}

impl From<ContactRequest> for ContactInput {
    fn from(c: ContactRequest) -> Self {
        Self { name: c.name, email: c.email, phone: c.phone, address: c.address }
    }
}

/// A record of processing as sent: `purpose` is required, the rest may be left out.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessingRecordRequest {
    /// Required, at most 500 characters.
    pub purpose: Option<String>,
    /// Each of the rest at most 2,000 characters.
    pub data_subjects: Option<String>,
    pub data_categories: Option<String>,
    pub recipients: Option<String>,
    pub transfers: Option<String>,
    pub retention: Option<String>,
    pub safeguards: Option<String>,
}

impl From<ProcessingRecordRequest> for RecordInput {
    fn from(r: ProcessingRecordRequest) -> Self {
        Self {
            purpose: r.purpose,
            data_subjects: r.data_subjects,
            data_categories: r.data_categories,
            recipients: r.recipients,
            transfers: r.transfers,
            retention: r.retention,
            safeguards: r.safeguards,
        }
    }
}

/// The whole document; whatever is left out is cleared.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ComplianceRequest {
    pub dpo: ContactRequest,
    pub eu_representative: ContactRequest,
    /// At most five, each once.
    pub breach_notification_emails: Vec<String>,
    /// At most 100.
    pub processing_records: Vec<ProcessingRecordRequest>,
}

impl From<ComplianceRequest> for ComplianceInput {
    fn from(r: ComplianceRequest) -> Self {
        Self {
            dpo: r.dpo.into(),
            eu_representative: r.eu_representative.into(),
            breach_notification_emails: r.breach_notification_emails,
            processing_records: r.processing_records.into_iter().map(Into::into).collect(),
        }
    }
}

/// The compliance document; one never saved has nulls and empty lists.
#[utoipa::path(get, path = "/api/v1/compliance", tag = "compliance", security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "the document", body = ComplianceView),
        (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn get(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<ComplianceView>> {
    Ok(Json(compliance::get(&state, &admin).await?.into()))
}

/// Replaces the whole compliance document.
#[utoipa::path(put, path = "/api/v1/compliance", tag = "compliance", request_body = ComplianceRequest, security(("bearer" = ["settings:write"])),
    responses((status = 200, description = "the document as saved", body = ComplianceView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 422, description = "invalid fields, named like `dpo.email` or `processing_records[0].purpose`", body = Problem)))]
pub async fn put(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<ComplianceRequest>,
) -> AppResult<Json<ComplianceView>> {
    Ok(Json(compliance::put(&state, &admin, &admin.actor, &body.into()).await?.into()))
}

/// The records of processing as CSV: a header, then one row per record.
#[utoipa::path(get, path = "/api/v1/compliance/processing-records.csv", tag = "compliance", security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "header `purpose,data_subjects,data_categories,recipients,transfers,retention,safeguards`, one row per record", content_type = "text/csv", body = String),
        (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn records_csv(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let doc = compliance::get(&state, &admin).await?;
    Ok(csv_response(compliance::records_csv(&doc)?))
}

/// A CSV download of the records of processing.
pub fn csv_response(text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"processing-records.csv\""),
        ],
        text,
    )
        .into_response()
}
