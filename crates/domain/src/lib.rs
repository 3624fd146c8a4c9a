//! Tenantry's domain: types that are valid by construction and the rules of the product.
//! Nothing here does I/O; storage and web call into it.

/// An enum whose variants each have one wire and storage name: `as_str`, and a `FromStr` that
/// refuses anything else, naming the accepted values.
macro_rules! wire_names {
    ($ty:ident, $accepted:literal, { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The wire and storage name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::role::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)*
                    _ => Err($crate::role::UnknownVariant::new($accepted)),
                }
            }
        }
    };
}

pub mod card_number;
pub mod common_passwords;
pub mod contact_field;
pub mod email;
pub mod error;
pub mod id;
pub mod invoice;
pub mod limits;
pub mod lockout;
pub mod message;
pub mod name;
pub mod oidc;
pub mod password;
pub mod phone;
pub mod preferences;
pub mod privacy;
pub mod product;
pub mod product_settings;
pub mod role;
pub mod rules;
pub mod scope;
pub mod session_policy;
pub mod session_scope;
pub mod settings;
pub mod slug;
pub mod sms_segments;
pub mod time;
pub mod token;
pub mod usage;
pub mod username;
pub mod webhook;

pub use email::EmailAddress;
pub use error::{FieldError, ValidationErrors};
pub use id::{AccountId, AuditEventId, BookingPageId, EventId, InvalidId, InvitationId, SessionId, UserId};
pub use lockout::LockoutPolicy;
pub use message::{OutgoingEmail, OutgoingSms, ProductEmail};
pub use name::{AccountName, PageName, PersonName};
pub use password::{Password, PasswordContext, PasswordPolicy, PasswordProfile, PasswordRule};
pub use phone::PhoneNumber;
pub use preferences::{DateFormat, TimeFormat, TimeZoneName};
pub use product::{Catalog, Product, ProductKey, SCHEDULING as SCHEDULING_PRODUCT, SubscriptionStatus};
pub use product_settings::{ProductSettings, ProductSettingsPatch};
pub use role::{Role, UserStatus};
pub use scope::{ApiScope, ScopeSet};
pub use session_policy::SessionPolicy;
pub use session_scope::{Reach, SessionScope};
pub use settings::Preferences;
pub use slug::Slug;
pub use token::{SecretToken, TokenHash};
pub use username::Username;

pub use limits::{INVITATION_TTL_MS, SESSION_MAX_AGE_MS};

/// Validated text types show and travel as their text: in pages, in JSON, and from a database column (which
/// `TryFrom<String>` parses again, so a corrupt value is an error instead of a wrong answer).
macro_rules! text_type {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl TryFrom<String> for $t {
            type Error = InvalidText;
            fn try_from(s: String) -> Result<Self, InvalidText> {
                Self::parse(&s).map_err(|e| InvalidText(e.to_string()))
            }
        }
    )*};
}

/// Text read back that no longer parses as its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored text is not valid: {0}")]
pub struct InvalidText(pub String);

text_type!(EmailAddress, PersonName, AccountName, PageName, Username, TimeZoneName, Slug);
