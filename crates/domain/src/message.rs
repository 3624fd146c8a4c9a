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
}

impl OutgoingSms {
    /// The outbox `kind` of SMS messages.
    pub const KIND: &'static str = "sms";
}
