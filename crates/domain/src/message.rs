//! Messages Tenantry sends, as queued in the outbox.

use serde::{Deserialize, Serialize};

/// An email waiting in the outbox: composed when the change happens, sent by the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl OutgoingEmail {
    /// The outbox `kind` of email messages.
    pub const KIND: &'static str = "email";
}

/// A text message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingSms {
    /// E.164 number.
    pub to: String,
    pub body: String,
    /// Its row in the account's SMS log, marked `failed` if the provider refuses it for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_id: Option<String>,
}

impl OutgoingSms {
    /// The outbox `kind` of SMS messages.
    pub const KIND: &'static str = "sms";
}

/// A product's email to one of its customers, sent through Tenantry. When the account has a
/// compliance address, `bcc` gets a hidden copy: it is added to the SMTP envelope only, never to
/// a header. Tenantry's own mail ([`OutgoingEmail`]) has no such field: it is never copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcc: Option<String>,
}

impl ProductEmail {
    /// The outbox `kind` of product email messages.
    pub const KIND: &'static str = "product_email";
}
