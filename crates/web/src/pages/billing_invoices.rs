//! Account settings › Billing › Invoices (Administrators): the account's invoices, newest first
//! and 50 at a time, one invoice's lines and totals, and its PDF. Same services as
//! `/api/v1/billing/invoices`; the PDF is served here too, for the page session (the API route
//! takes bearer tokens only).

use super::billing::{PAGE_SIZE, PageQuery, fail, page_href};
use super::{Chrome, PageAdmin, PageError, Section, render};
use crate::extract::PathId;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tenantry_app::invoices;
use tenantry_domain::id::InvoiceId;
use tenantry_domain::invoice::{display_number, format_amount};

/// An invoice as the list shows it.
struct InvoiceRow {
    id: String,
    number: String,
    date: String,
    status: String,
    total: String,
}

#[derive(Template)]
#[template(path = "account/billing_invoices.html")]
struct InvoicesPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    tab: &'static str,
    invoices: Vec<InvoiceRow>,
    paged: bool,
    older: Option<String>,
}

/// `GET /account/billing/invoices?cursor=`.
pub async fn list(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&admin, Section::Billing);
    let before = q.position().map_err(fail(&admin))?;
    let (rows, next) = invoices::list(&state, &admin, before, PAGE_SIZE).await.map_err(fail(&admin))?;
    let invoices = rows
        .into_iter()
        .map(|i| InvoiceRow {
            number: display_number(i.number),
            date: chrome.local.date(i.issued_at),
            total: format_amount(i.total, &i.currency),
            status: i.status,
            id: i.id,
        })
        .collect();
    let page = InvoicesPage {
        chrome: Some(chrome),
        flash: None,
        tab: "invoices",
        invoices,
        paged: !q.cursor.trim().is_empty(),
        older: next.map(|c| page_href("/account/billing/invoices", &c)),
    };
    Ok(render(StatusCode::OK, &page))
}

/// One line of an invoice, its amounts formatted.
struct LineRow {
    description: String,
    quantity: i64,
    unit_amount: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "account/billing_invoice.html")]
struct InvoicePage {
    chrome: Option<Chrome>,
    tab: &'static str,
    id: String,
    number: String,
    date: String,
    status: String,
    lines: Vec<LineRow>,
    subtotal: String,
    /// The tax rate in percent, e.g. `19` or `7.5`.
    tax_rate: String,
    tax: String,
    total: String,
}

/// `GET /account/billing/invoices/{id}`: the lines, the totals and a link to the PDF.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, PathId(id): PathId<InvoiceId>,
) -> Result<Response, PageError> {
    let i = invoices::get(&state, &admin, &id).await.map_err(fail(&admin))?;
    let chrome = Chrome::new(&admin, Section::Billing);
    let money = |amount: i64| format_amount(amount, &i.currency);
    let lines = i
        .lines
        .iter()
        .map(|l| LineRow {
            description: l.description.clone(),
            quantity: l.quantity,
            unit_amount: money(l.unit_amount),
            amount: money(l.amount),
        })
        .collect();
    let bp = i.tax_rate_basis_points;
    let tax_rate = if bp % 100 == 0 { (bp / 100).to_string() } else { format!("{}", bp as f64 / 100.0) };
    let page = InvoicePage {
        tab: "invoices",
        id: i.id.clone(),
        number: display_number(i.number),
        date: chrome.local.date(i.issued_at),
        status: i.status.clone(),
        lines,
        subtotal: money(i.subtotal),
        tax_rate,
        tax: money(i.tax),
        total: money(i.total),
        chrome: Some(chrome),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /account/billing/invoices/{id}/pdf`: the invoice as a PDF download.
pub async fn pdf(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, PathId(id): PathId<InvoiceId>,
) -> Result<Response, PageError> {
    let (name, bytes) = invoices::pdf(&state, &admin, &id).await.map_err(fail(&admin))?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
