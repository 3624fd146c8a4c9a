//! Account settings › Chatbot and form privacy (Administrators): the privacy and cookie policies
//! shown to visitors of the account's chatbots and forms, replaced whole; and the same document
//! for anyone (the chatbots and forms themselves), by account id.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use tenantry_domain::AccountId;
use tenantry_domain::privacy::PrivacyDocument;
use tenantry_storage::{Conn, privacy};

async fn read(conn: &mut Conn, account_id: &AccountId) -> Result<PrivacyDocument> {
    match privacy::get(conn, account_id).await? {
        // Read with defaults: a document saved before a member existed still reads.
        Some(body) => serde_json::from_str(&body).map_err(|e| Error::unexpected(format!("privacy document: {e}"))),
        None => Ok(PrivacyDocument::default()),
    }
}

/// The account's document (the empty one when never saved).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &Admin) -> Result<PrivacyDocument> {
    let mut conn = state.db.conn().await?;
    read(&mut conn, admin.account_id()).await
}

/// Replaces the document (already validated), recorded in the audit log when it changed.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn put(state: &App, admin: &Admin, actor: &Actor, doc: PrivacyDocument) -> Result<PrivacyDocument> {
    let now = state.now();
    let body = serde_json::to_string(&doc).map_err(Error::unexpected)?;
    let mut tx = state.db.begin().await?;
    let before = read(&mut tx, admin.account_id()).await?;
    privacy::put(&mut tx, admin.account_id(), &body, now).await?;
    if before != doc {
        let view = |d: &PrivacyDocument| serde_json::to_value(d).unwrap_or_default();
        let change = Change::new("privacy.updated", "account", admin.account_id().as_str())
            .before(view(&before))
            .after(view(&doc));
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(doc)
}

/// The document of the account `account_id` for anyone (no credentials): 404 when there is no
/// such account.
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn public(state: &App, account_id: &AccountId) -> Result<PrivacyDocument> {
    let mut conn = state.db.conn().await?;
    if tenantry_storage::accounts::get(&mut conn, account_id).await?.is_none() {
        return Err(Error::NotFound);
    }
    read(&mut conn, account_id).await
}
