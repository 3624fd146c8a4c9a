//! Opaque, prefixed, random identifiers (`acc_…`, `usr_…`).

use std::fmt;

/// Text that is not an id of the expected kind (e.g. a corrupt value read back from storage).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {0}")]
pub struct InvalidId(pub &'static str);

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A new random id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, crate::token::random_hex(12)))
            }

            /// Accepts a string only if it has this kind's shape; anything else can never exist.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?;
                (rest.len() == 24 && rest.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
                    .then(|| Self(s.to_owned()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s).ok_or(InvalidId(stringify!($name)))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(
    /// An account (organization).
    AccountId, "acc_");
prefixed_id!(
    /// A user.
    UserId, "usr_");
prefixed_id!(
    /// An invitation.
    InvitationId, "ivt_");
prefixed_id!(
    /// A session.
    SessionId, "ses_");
prefixed_id!(
    /// A booking page (the built-in owned resource).
    BookingPageId, "bkp_");
prefixed_id!(
    /// An audit event.
    AuditEventId, "aud_");
prefixed_id!(
    /// A domain event (what webhooks deliver).
    EventId, "evt_");
prefixed_id!(
    /// A custom contact field (the built-in ones have fixed ids, see `contact_field::SYSTEM_FIELDS`).
    ContactFieldId, "cfd_");
prefixed_id!(
    /// A live chat team.
    ChatTeamId, "cht_");
prefixed_id!(
    /// An account API key.
    AccountKeyId, "key_");
prefixed_id!(
    /// A webhook endpoint.
    WebhookEndpointId, "whk_");
prefixed_id!(
    /// A payment method (a payment provider's token).
    PaymentMethodId, "pm_");
prefixed_id!(
    /// An invoice.
    InvoiceId, "inv_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_others_do_not() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(id.as_str()), Some(id.clone()));
        assert!(AccountId::parse(id.as_str()).is_none());
        assert!(UserId::parse("usr_../../etc").is_none());
        assert!(UserId::parse("usr_").is_none());
        assert_ne!(UserId::generate(), UserId::generate());
    }
}
