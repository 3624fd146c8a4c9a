//! Invoices: the operator creates them (numbered `TNT-000001`, … without gaps across the
//! installation) and marks them paid or void; Administrators list, read and download them as PDF.
//! A new invoice is emailed to the billing recipients who receive invoices.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::json;
use tenantry_domain::AccountId;
use tenantry_domain::id::InvoiceId;
use tenantry_domain::invoice::{self, InvoiceStatus, LineInput, display_number, format_amount};
use tenantry_storage::billing_recipients::Notice;
use tenantry_storage::invoices::{self, Invoice};

/// Rule: a paid or void invoice keeps its status.
pub const FINAL_RULE: &str = "invoice_final";

/// An invoice as the operator sends it.
#[derive(Debug, Clone)]
pub struct InvoiceInput {
    pub currency: String,
    pub lines: Vec<LineInput>,
    pub tax_rate_percent: Option<f64>,
}

/// Creates an invoice for `account_id` with the next number.
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn create(state: &App, account_id: &AccountId, input: InvoiceInput) -> Result<Invoice> {
    let totals = invoice::compute(&input.currency, &input.lines, input.tax_rate_percent)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !tenantry_storage::accounts::lock(&mut tx, account_id).await? {
        return Err(Error::NotFound);
    }
    let number = invoices::next_number(&mut tx).await?;
    let invoice = Invoice {
        id: InvoiceId::generate().as_str().to_owned(),
        account_id: account_id.as_str().to_owned(),
        number,
        status: InvoiceStatus::Open.as_str().to_owned(),
        currency: totals.currency,
        lines: totals.lines,
        subtotal: totals.subtotal,
        tax_rate_basis_points: totals.tax_rate_basis_points,
        tax: totals.tax,
        total: totals.total,
        issued_at: now,
        updated_at: now,
    };
    invoices::insert(&mut tx, &invoice).await?;
    let shown = display_number(number);
    let total = format_amount(invoice.total, &invoice.currency);
    let change = Change::new("billing.invoice_created", "invoice", &invoice.id)
        .after(json!({"number": shown, "total": invoice.total, "currency": invoice.currency}));
    audit::record(&mut tx, &Actor::system(account_id.clone()), change, now).await?;
    let text = format!(
        "Invoice {shown} for {total} was issued to your account. Administrators can view and download it under Billing › Invoices."
    );
    crate::billing::notify(&mut tx, account_id.as_str(), Notice::Invoices, &format!("Invoice {shown}"), &text, now)
        .await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    Ok(invoice)
}

/// The operator marks an invoice `paid` or `void` (both final; the same status again is a no-op).
#[tracing::instrument(skip_all)]
pub async fn set_status(state: &App, id: &InvoiceId, status: &str) -> Result<Invoice> {
    let to = match InvoiceStatus::parse(status) {
        Some(s) if s != InvoiceStatus::Open => s,
        _ => return Err(Error::invalid("status", "must be paid or void")),
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let current = invoices::get(&mut tx, None, id.as_str()).await?.ok_or(Error::NotFound)?;
    let from = InvoiceStatus::parse(&current.status).ok_or_else(|| Error::unexpected("an invoice status"))?;
    if from == to {
        return Ok(current);
    }
    if !from.may_become(to) {
        return Err(Error::rule(
            FINAL_RULE,
            format!("Invoice {} is {} already; that status is final.", display_number(current.number), from.as_str()),
        ));
    }
    invoices::set_status(&mut tx, id.as_str(), to.as_str(), now).await?;
    let account_id = AccountId::try_from(current.account_id.clone()).map_err(|_| Error::unexpected("an account id"))?;
    let change = Change::new("billing.invoice_status_changed", "invoice", id.as_str())
        .before(json!({"status": from.as_str()}))
        .after(json!({"status": to.as_str()}));
    audit::record(&mut tx, &Actor::system(account_id), change, now).await?;
    let updated = invoices::get(&mut tx, None, id.as_str()).await?.ok_or(Error::NotFound)?;
    tenantry_storage::commit(tx).await?;
    Ok(updated)
}

/// A page of the account's invoices, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(
    state: &App, admin: &Admin, before: Option<(i64, String)>, limit: i64,
) -> Result<(Vec<Invoice>, Option<String>)> {
    let mut conn = state.db.conn().await?;
    let rows = invoices::list(&mut conn, admin.account_id().as_str(), before, limit + 1).await?;
    Ok(crate::cursor::paginate(rows, limit, |i| (i.issued_at, i.id.clone())))
}

/// One of the account's invoices.
#[tracing::instrument(skip_all)]
pub async fn get(state: &App, admin: &Admin, id: &InvoiceId) -> Result<Invoice> {
    let mut conn = state.db.conn().await?;
    invoices::get(&mut conn, Some(admin.account_id().as_str()), id.as_str()).await?.ok_or(Error::NotFound)
}

/// One of the account's invoices as a PDF: (file name, bytes).
#[tracing::instrument(skip_all)]
pub async fn pdf(state: &App, admin: &Admin, id: &InvoiceId) -> Result<(String, Vec<u8>)> {
    let invoice = get(state, admin, id).await?;
    let account = {
        let mut conn = state.db.conn().await?;
        tenantry_storage::accounts::get(&mut conn, admin.account_id()).await?.ok_or(Error::NotFound)?
    };
    let name = format!("{}.pdf", display_number(invoice.number));
    // Rendering is CPU work: off the async threads.
    let account_name = account.name.as_str().to_owned();
    let bytes = tokio::task::spawn_blocking(move || crate::invoice_pdf::render(&invoice, &account_name))
        .await
        .map_err(|e| Error::unexpected(e.to_string()))??;
    Ok((name, bytes))
}
