//! Personal preferences: email notifications, phone settings, message settings and product settings. Typed and
//! validated; stored as JSON, read back with defaults for anything missing.

use crate::error::ValidationErrors;
use crate::phone::PhoneNumber;
use serde::{Deserialize, Serialize};

/// Which emails the user gets about calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Notifications {
    pub missed_calls: bool,
    pub voicemails: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Self { missed_calls: true, voicemails: true }
    }
}

/// What callers see of the user's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerId {
    /// The user's number is shown.
    #[default]
    Number,
    /// The number is withheld.
    Withheld,
}

/// Calls: caller ID, where unanswered calls go, the voicemail greeting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhoneSettings {
    pub caller_id: CallerId,
    /// E.164; validated on the way in.
    pub forwarding_number: Option<String>,
    pub voicemail_greeting: Option<String>,
}

/// Messages: signature and auto-reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessageSettings {
    pub signature: Option<String>,
    pub auto_reply_enabled: bool,
    pub auto_reply_text: Option<String>,
}

/// All of a user's preferences.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub notifications: Notifications,
    pub phone_settings: PhoneSettings,
    pub message_settings: MessageSettings,
    /// Each product's settings (see [`crate::product_settings`]).
    pub product_settings: crate::product_settings::ProductSettings,
}

/// Longest greeting, signature or auto-reply, in characters.
pub const MAX_TEXT: usize = 1000;

fn text(errors: &mut ValidationErrors, field: &str, value: Option<String>) -> Option<String> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())?;
    if value.chars().count() > MAX_TEXT {
        errors.push(field, format!("is too long (at most {MAX_TEXT} characters)"));
    } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(field, "must not contain control characters");
    }
    Some(value)
}

impl PhoneSettings {
    /// Checks the settings, normalizing the forwarding number to E.164; errors name `phone_settings.…`.
    pub fn validated(self, errors: &mut ValidationErrors) -> Self {
        let forwarding_number = self.forwarding_number.filter(|n| !n.trim().is_empty()).and_then(|n| {
            errors
                .check("phone_settings.forwarding_number", PhoneNumber::parse(&n, None))
                .map(|p| p.as_str().to_owned())
        });
        let voicemail_greeting = text(errors, "phone_settings.voicemail_greeting", self.voicemail_greeting);
        Self { caller_id: self.caller_id, forwarding_number, voicemail_greeting }
    }
}

impl MessageSettings {
    /// Checks the settings; an auto-reply that is on needs its text. Errors name `message_settings.…`.
    pub fn validated(self, errors: &mut ValidationErrors) -> Self {
        let signature = text(errors, "message_settings.signature", self.signature);
        let auto_reply_text = text(errors, "message_settings.auto_reply_text", self.auto_reply_text);
        if self.auto_reply_enabled && auto_reply_text.is_none() {
            errors.push("message_settings.auto_reply_text", "is required while the auto-reply is on");
        }
        Self { signature, auto_reply_enabled: self.auto_reply_enabled, auto_reply_text }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn settings_are_checked_and_normalized() {
        let mut e = ValidationErrors::new();
        let p = PhoneSettings {
            caller_id: CallerId::Withheld,
            forwarding_number: Some("+44 20 7946 0958".into()),
            voicemail_greeting: Some("  Hi!  ".into()),
        }
        .validated(&mut e);
        assert!(e.is_empty());
        assert_eq!(
            (p.forwarding_number.as_deref(), p.voicemail_greeting.as_deref()),
            (Some("+442079460958"), Some("Hi!"))
        );
        let mut e = ValidationErrors::new();
        PhoneSettings {
            forwarding_number: Some("12".into()),
            voicemail_greeting: Some("x".repeat(1001)),
            ..Default::default()
        }
        .validated(&mut e);
        MessageSettings { auto_reply_enabled: true, auto_reply_text: Some("   ".into()), ..Default::default() }
            .validated(&mut e);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "phone_settings.forwarding_number",
                "phone_settings.voicemail_greeting",
                "message_settings.auto_reply_text"
            ]
        );
    }

    #[test]
    fn stored_json_reads_back_with_defaults() {
        let p: Preferences = serde_json::from_str("{}").expect("empty");
        assert_eq!(p, Preferences::default());
        assert!(p.notifications.missed_calls && p.notifications.voicemails);
        let p: Preferences = serde_json::from_str(r#"{"notifications":{"voicemails":false}}"#).expect("partial");
        assert!(p.notifications.missed_calls && !p.notifications.voicemails);
    }
}
