//! Billing › Invoices: the operator creates invoices and marks them paid or void; Administrators
//! list, read and download them as PDF.

use super::billing::Operator;
use super::views::ts;
use crate::api::PageQuery;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, PathId};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::cursor;
use tenantry_app::invoices::{self, InvoiceInput};
use tenantry_domain::id::InvoiceId;
use tenantry_domain::invoice::{LineInput, display_number};
use tenantry_storage::invoices::Invoice;
use utoipa::ToSchema;

/// One line of an invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineView {
    #[schema(example = "Live chat seats, December")]
    pub description: String,
    #[schema(example = 12)]
    pub quantity: i64,
    /// In minor units of the currency.
    #[schema(example = 1500)]
    pub unit_amount: i64,
    /// quantity × unit_amount.
    #[schema(example = 18000)]
    pub amount: i64,
}

/// An invoice; amounts in integer minor units of `currency`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    #[schema(example = "inv_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub id: String,
    /// Gapless across the installation.
    #[schema(example = "TNT-000001")]
    pub number: String,
    /// `open`, `paid` or `void`.
    #[schema(example = "open")]
    pub status: String,
    pub issued_at: String,
    #[schema(example = "EUR")]
    pub currency: String,
    pub lines: Vec<InvoiceLineView>,
    #[schema(example = 18000)]
    pub subtotal: i64,
    /// The tax rate applied, in percent.
    #[schema(example = 19.0)]
    pub tax_rate_percent: f64,
    #[schema(example = 3420)]
    pub tax: i64,
    #[schema(example = 21420)]
    pub total: i64,
}

impl From<Invoice> for InvoiceView {
    fn from(i: Invoice) -> Self {
        Self {
            id: i.id,
            number: display_number(i.number),
            status: i.status,
            issued_at: ts(i.issued_at),
            currency: i.currency,
            lines: i
                .lines
                .into_iter()
                .map(|l| InvoiceLineView {
                    description: l.description,
                    quantity: l.quantity,
                    unit_amount: l.unit_amount,
                    amount: l.amount,
                })
                .collect(),
            subtotal: i.subtotal,
            tax_rate_percent: i.tax_rate_basis_points as f64 / 100.0,
            tax: i.tax,
            total: i.total,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    pub data: Vec<InvoiceView>,
    pub next_cursor: Option<String>,
}

/// A line as the operator sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineRequest {
    #[schema(example = "Live chat seats, December")]
    pub description: String,
    #[schema(example = 12)]
    pub quantity: i64,
    /// In minor units; negative for a discount.
    #[schema(example = 1500)]
    pub unit_amount: i64,
}

/// A new invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequest {
    /// ISO 4217, e.g. `EUR`.
    #[schema(example = "EUR")]
    pub currency: String,
    pub lines: Vec<InvoiceLineRequest>,
    /// 0 to 100, at most two decimals; default 0.
    #[schema(example = 19.0)]
    pub tax_rate_percent: Option<f64>,
}

/// Creates an invoice for an account with the next number.
#[utoipa::path(post, path = "/api/v1/operator/accounts/{account_id}/invoices", tag = "operator", params(("account_id" = String, Path)),
    request_body = InvoiceRequest, security(("operator" = [])),
    responses((status = 201, body = InvoiceView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "an invalid field: `currency`, `lines`, `lines[i].…`, `tax_rate_percent`", body = Problem)))]
pub async fn create(
    State(state): State<AppState>, _op: Operator, PathId(account_id): PathId<tenantry_domain::AccountId>,
    ApiJson(body): ApiJson<InvoiceRequest>,
) -> AppResult<(StatusCode, Json<InvoiceView>)> {
    let input = InvoiceInput {
        currency: body.currency,
        lines: body
            .lines
            .into_iter()
            .map(|l| LineInput { description: l.description, quantity: l.quantity, unit_amount: l.unit_amount })
            .collect(),
        tax_rate_percent: body.tax_rate_percent,
    };
    Ok((StatusCode::CREATED, Json(invoices::create(&state, &account_id, input).await?.into())))
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceStatusRequest {
    /// `paid` or `void`.
    #[schema(example = "paid")]
    pub status: String,
}

/// Marks an invoice paid or void; both are final.
#[utoipa::path(put, path = "/api/v1/operator/invoices/{id}/status", tag = "operator", params(("id" = String, Path)),
    request_body = InvoiceStatusRequest, security(("operator" = [])),
    responses((status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`invoice_final`: it is paid or void already", body = Problem),
        (status = 422, description = "`status` is not `paid` or `void`", body = Problem)))]
pub async fn set_status(
    State(state): State<AppState>, _op: Operator, PathId(id): PathId<InvoiceId>,
    ApiJson(body): ApiJson<InvoiceStatusRequest>,
) -> AppResult<Json<InvoiceView>> {
    Ok(Json(invoices::set_status(&state, &id, &body.status).await?.into()))
}

/// The account's invoices, newest first.
#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "billing", params(PageQuery), security(("bearer" = ["billing:read"])),
    responses((status = 200, body = InvoiceList), (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn list(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<InvoiceList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, before): (i64, Option<(i64, String)>) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let (rows, next_cursor) = invoices::list(&state, &admin, before, limit).await?;
    Ok(Json(InvoiceList { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// One invoice.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}", tag = "billing", params(("id" = String, Path)), security(("bearer" = ["billing:read"])),
    responses((status = 200, body = InvoiceView), (status = 403, description = "not an Administrator", body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<InvoiceId>,
) -> AppResult<Json<InvoiceView>> {
    Ok(Json(invoices::get(&state, &admin, &id).await?.into()))
}

/// One invoice as a PDF.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}/pdf", tag = "billing", params(("id" = String, Path)), security(("bearer" = ["billing:read"])),
    responses((status = 200, description = "the invoice as PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 403, description = "not an Administrator", body = Problem), (status = 404, body = Problem)))]
pub async fn pdf(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<InvoiceId>,
) -> AppResult<Response> {
    let (name, bytes) = invoices::pdf(&state, &admin, &id).await?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
