//! Each product's settings for one user (scheduling, live chat, voice): typed, validated, stored
//! with the user's preferences and read back with defaults for anything unset.
//!
//! A change arrives as JSON (`{"scheduling": {"buffer_minutes": 10}}`) and is parsed into a
//! [`ProductSettingsPatch`]: errors name the nested field (`product_settings.scheduling.buffer_minutes`).
//! A patch merges: the fields it names replace the current ones, the others stay; `null` for a
//! field puts back its default, and `null` for a whole product puts back all of its defaults.

use crate::error::ValidationErrors;
use crate::phone::PhoneNumber;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

/// The products that have settings, by catalog key.
pub const PRODUCTS: [&str; 3] = ["scheduling", "chat", "voice"];

/// The top-level name of the settings in requests and errors.
const ROOT: &str = "product_settings";

/// Scheduling: how long a meeting is by default and the pause kept between meetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulingSettings {
    pub default_meeting_minutes: u32,
    pub buffer_minutes: u32,
}

impl SchedulingSettings {
    pub const MEETING_MINUTES: RangeInclusive<u32> = 5..=480;
    pub const BUFFER_MINUTES: RangeInclusive<u32> = 0..=120;
}

impl Default for SchedulingSettings {
    fn default() -> Self {
        Self { default_meeting_minutes: 30, buffer_minutes: 0 }
    }
}

/// Live chat: how many conversations the user takes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatSettings {
    pub max_concurrent_chats: u32,
}

impl ChatSettings {
    pub const MAX_CONCURRENT_CHATS: RangeInclusive<u32> = 1..=50;
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self { max_concurrent_chats: 3 }
    }
}

/// What people called from the voice product see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoiceCallerId {
    /// The user's own number.
    #[default]
    Number,
    /// The company's main number.
    Company,
    /// No number (withheld), as in the personal phone settings.
    Withheld,
}

impl VoiceCallerId {
    /// Every choice, for pickers.
    pub const ALL: [VoiceCallerId; 3] = [VoiceCallerId::Number, VoiceCallerId::Company, VoiceCallerId::Withheld];

    /// What pages show.
    pub fn label(self) -> &'static str {
        match self {
            VoiceCallerId::Number => "Their own number",
            VoiceCallerId::Company => "The company number",
            VoiceCallerId::Withheld => "Withheld (no number)",
        }
    }
}

wire_names!(VoiceCallerId, "number, company, withheld", {
    Number => "number", Company => "company", Withheld => "withheld",
});

/// Voice: caller ID and where calls are forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VoiceSettings {
    pub caller_id: VoiceCallerId,
    /// E.164; `None`: calls are not forwarded.
    pub call_forwarding: Option<String>,
}

/// Every product's settings of one user (defaults for what was never set).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductSettings {
    pub scheduling: SchedulingSettings,
    pub chat: ChatSettings,
    pub voice: VoiceSettings,
}

/// A change to the scheduling settings; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulingPatch {
    pub default_meeting_minutes: Option<u32>,
    pub buffer_minutes: Option<u32>,
}

/// A change to the chat settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatPatch {
    pub max_concurrent_chats: Option<u32>,
}

/// A change to the voice settings; `Some(None)` stops forwarding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoicePatch {
    pub caller_id: Option<VoiceCallerId>,
    pub call_forwarding: Option<Option<PhoneNumber>>,
}

/// A valid change to some products' settings (merged into the current ones by [`Self::apply`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductSettingsPatch {
    pub scheduling: Option<SchedulingPatch>,
    pub chat: Option<ChatPatch>,
    pub voice: Option<VoicePatch>,
}

/// The object of `value` (named `field` in errors), or `None` after recording why not.
fn object<'a>(errors: &mut ValidationErrors, field: &str, value: &'a Value) -> Option<&'a Map<String, Value>> {
    let found = value.as_object();
    if found.is_none() {
        errors.push(field, "must be an object");
    }
    found
}

/// A whole number within `range`; `null` gives `default`.
fn minutes(
    errors: &mut ValidationErrors, field: &str, value: &Value, range: RangeInclusive<u32>, default: u32,
) -> Option<u32> {
    if value.is_null() {
        return Some(default);
    }
    // `30.0` is a whole number too; floats convert saturating, so huge ones stay out of range.
    let n = value.as_i64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
    match n.map(|n| u32::try_from(n).ok().filter(|n| range.contains(n))) {
        Some(Some(n)) => Some(n),
        Some(None) => {
            errors.push(field, format!("must be between {} and {}", range.start(), range.end()));
            None
        }
        None => {
            errors.push(field, "must be a whole number");
            None
        }
    }
}

/// Reports the fields of `block` that `known` does not list.
fn unknown_fields(errors: &mut ValidationErrors, product: &str, block: &Map<String, Value>, known: &[&str]) {
    for key in block.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(
            &format!("{ROOT}.{product}.{key}"),
            format!("is not a setting of {product} (use {})", known.join(", ")),
        );
    }
}

impl ProductSettingsPatch {
    /// Parses the JSON of `product_settings`, recording every problem in `errors` under its
    /// nested name. `null` for a product resets it; unknown products and fields are refused.
    pub fn parse(value: &Value, errors: &mut ValidationErrors) -> Self {
        let mut patch = Self::default();
        let Some(products) = object(errors, ROOT, value) else {
            return patch;
        };
        for (key, block) in products {
            let name = format!("{ROOT}.{key}");
            match key.as_str() {
                "scheduling" => patch.scheduling = Some(Self::scheduling(errors, &name, block)),
                "chat" => patch.chat = Some(Self::chat(errors, &name, block)),
                "voice" => patch.voice = Some(Self::voice(errors, &name, block)),
                _ => errors.push(&name, format!("is not a product with settings (use {})", PRODUCTS.join(", "))),
            }
        }
        patch
    }

    fn scheduling(errors: &mut ValidationErrors, name: &str, block: &Value) -> SchedulingPatch {
        let d = SchedulingSettings::default();
        if block.is_null() {
            return SchedulingPatch {
                default_meeting_minutes: Some(d.default_meeting_minutes),
                buffer_minutes: Some(d.buffer_minutes),
            };
        }
        let Some(block) = object(errors, name, block) else {
            return SchedulingPatch::default();
        };
        unknown_fields(errors, "scheduling", block, &["default_meeting_minutes", "buffer_minutes"]);
        let field = |f: &str| format!("{name}.{f}");
        SchedulingPatch {
            default_meeting_minutes: block.get("default_meeting_minutes").and_then(|v| {
                minutes(
                    errors,
                    &field("default_meeting_minutes"),
                    v,
                    SchedulingSettings::MEETING_MINUTES,
                    d.default_meeting_minutes,
                )
            }),
            buffer_minutes: block.get("buffer_minutes").and_then(|v| {
                minutes(errors, &field("buffer_minutes"), v, SchedulingSettings::BUFFER_MINUTES, d.buffer_minutes)
            }),
        }
    }

    fn chat(errors: &mut ValidationErrors, name: &str, block: &Value) -> ChatPatch {
        let d = ChatSettings::default();
        if block.is_null() {
            return ChatPatch { max_concurrent_chats: Some(d.max_concurrent_chats) };
        }
        let Some(block) = object(errors, name, block) else {
            return ChatPatch::default();
        };
        unknown_fields(errors, "chat", block, &["max_concurrent_chats"]);
        ChatPatch {
            max_concurrent_chats: block.get("max_concurrent_chats").and_then(|v| {
                minutes(
                    errors,
                    &format!("{name}.max_concurrent_chats"),
                    v,
                    ChatSettings::MAX_CONCURRENT_CHATS,
                    d.max_concurrent_chats,
                )
            }),
        }
    }

    fn voice(errors: &mut ValidationErrors, name: &str, block: &Value) -> VoicePatch {
        if block.is_null() {
            return VoicePatch { caller_id: Some(VoiceCallerId::default()), call_forwarding: Some(None) };
        }
        let Some(block) = object(errors, name, block) else {
            return VoicePatch::default();
        };
        unknown_fields(errors, "voice", block, &["caller_id", "call_forwarding"]);
        let caller_id = block.get("caller_id").and_then(|v| {
            let field = format!("{name}.caller_id");
            match v {
                Value::Null => Some(VoiceCallerId::default()),
                Value::String(s) => errors.check(&field, s.parse::<VoiceCallerId>()),
                _ => {
                    errors.push(&field, "must be one of number, company, withheld");
                    None
                }
            }
        });
        let call_forwarding = block.get("call_forwarding").and_then(|v| {
            let field = format!("{name}.call_forwarding");
            match v {
                Value::Null => Some(None),
                Value::String(s) if s.trim().is_empty() => Some(None),
                Value::String(s) => errors.check(&field, PhoneNumber::parse(s, None)).map(Some),
                _ => {
                    errors.push(&field, "must be a phone number in international form (e.g. +44 20 7946 0958) or null");
                    None
                }
            }
        });
        VoicePatch { caller_id, call_forwarding }
    }

    /// The products this patch changes, by key.
    pub fn products(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.scheduling.is_some() {
            keys.push("scheduling");
        }
        if self.chat.is_some() {
            keys.push("chat");
        }
        if self.voice.is_some() {
            keys.push("voice");
        }
        keys
    }

    /// The settings after this change: named fields replaced, the others kept.
    pub fn apply(&self, current: &ProductSettings) -> ProductSettings {
        let mut next = current.clone();
        if let Some(s) = &self.scheduling {
            if let Some(v) = s.default_meeting_minutes {
                next.scheduling.default_meeting_minutes = v;
            }
            if let Some(v) = s.buffer_minutes {
                next.scheduling.buffer_minutes = v;
            }
        }
        if let Some(c) = &self.chat
            && let Some(v) = c.max_concurrent_chats
        {
            next.chat.max_concurrent_chats = v;
        }
        if let Some(v) = &self.voice {
            if let Some(c) = v.caller_id {
                next.voice.caller_id = c;
            }
            if let Some(f) = &v.call_forwarding {
                next.voice.call_forwarding = f.as_ref().map(|p| p.as_str().to_owned());
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn parse(v: Value) -> (ProductSettingsPatch, Vec<String>) {
        let mut e = ValidationErrors::new();
        let p = ProductSettingsPatch::parse(&v, &mut e);
        (p, e.0.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn defaults_when_unset() {
        let s: ProductSettings = serde_json::from_str("{}").expect("empty");
        assert_eq!(s, ProductSettings::default());
        assert_eq!((s.scheduling.default_meeting_minutes, s.scheduling.buffer_minutes), (30, 0));
        assert_eq!(s.chat.max_concurrent_chats, 3);
        assert_eq!((s.voice.caller_id, s.voice.call_forwarding), (VoiceCallerId::Number, None));
        let s: ProductSettings = serde_json::from_str(r#"{"scheduling":{"buffer_minutes":15}}"#).expect("partial");
        assert_eq!((s.scheduling.default_meeting_minutes, s.scheduling.buffer_minutes), (30, 15));
    }

    #[test]
    fn a_patch_merges_and_normalizes() {
        let (p, errors) = parse(json!({
            "scheduling": {"buffer_minutes": 10},
            "voice": {"caller_id": "company", "call_forwarding": "+44 20 7946 0958"}
        }));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(p.products(), ["scheduling", "voice"]);
        let current = ProductSettings {
            scheduling: SchedulingSettings { default_meeting_minutes: 45, buffer_minutes: 5 },
            ..ProductSettings::default()
        };
        let next = p.apply(&current);
        assert_eq!(next.scheduling, SchedulingSettings { default_meeting_minutes: 45, buffer_minutes: 10 });
        assert_eq!(next.voice.caller_id, VoiceCallerId::Company);
        assert_eq!(next.voice.call_forwarding.as_deref(), Some("+442079460958"));
        // `null` puts defaults back: one field, or a whole product.
        let (p, errors) = parse(json!({"voice": {"call_forwarding": null}, "scheduling": null}));
        assert!(errors.is_empty());
        let reset = p.apply(&next);
        assert_eq!(reset.scheduling, SchedulingSettings::default());
        assert_eq!((reset.voice.caller_id, reset.voice.call_forwarding), (VoiceCallerId::Company, None));
    }

    #[test]
    fn errors_name_nested_fields() {
        let (_, errors) = parse(json!({
            "scheduling": {"default_meeting_minutes": 4, "buffer_minutes": 121, "colour": "red"},
            "chat": {"max_concurrent_chats": "many"},
            "voice": {"caller_id": "secret", "call_forwarding": "12"},
            "fax": {}
        }));
        let mut errors = errors;
        errors.sort();
        assert_eq!(
            errors,
            [
                "product_settings.chat.max_concurrent_chats",
                "product_settings.fax",
                "product_settings.scheduling.buffer_minutes",
                "product_settings.scheduling.colour",
                "product_settings.scheduling.default_meeting_minutes",
                "product_settings.voice.call_forwarding",
                "product_settings.voice.caller_id",
            ]
        );
        assert_eq!(parse(json!([1])).1, ["product_settings"]);
        assert_eq!(parse(json!({"chat": 3})).1, ["product_settings.chat"]);
        assert_eq!(
            parse(json!({"chat": {"max_concurrent_chats": -1}})).1,
            ["product_settings.chat.max_concurrent_chats"]
        );
        assert_eq!(
            parse(json!({"chat": {"max_concurrent_chats": 2.5}})).1,
            ["product_settings.chat.max_concurrent_chats"]
        );
        assert!(parse(json!({"chat": {"max_concurrent_chats": 50.0}})).1.is_empty());
    }

    #[test]
    fn caller_ids_round_trip() {
        for c in VoiceCallerId::ALL {
            assert_eq!(c.as_str().parse::<VoiceCallerId>(), Ok(c));
            assert_eq!(serde_json::to_value(c).expect("json"), json!(c.as_str()));
        }
    }

    proptest! {
        #[test]
        fn numbers_are_accepted_exactly_in_range(n in -10i64..600) {
            let (p, errors) = parse(json!({"scheduling": {"default_meeting_minutes": n, "buffer_minutes": n}, "chat": {"max_concurrent_chats": n}}));
            let meeting = (5..=480).contains(&n);
            let buffer = (0..=120).contains(&n);
            let chats = (1..=50).contains(&n);
            prop_assert_eq!(errors.contains(&"product_settings.scheduling.default_meeting_minutes".to_owned()), !meeting);
            prop_assert_eq!(errors.contains(&"product_settings.scheduling.buffer_minutes".to_owned()), !buffer);
            prop_assert_eq!(errors.contains(&"product_settings.chat.max_concurrent_chats".to_owned()), !chats);
            let next = p.apply(&ProductSettings::default());
            if meeting { prop_assert_eq!(i64::from(next.scheduling.default_meeting_minutes), n); }
            if chats { prop_assert_eq!(i64::from(next.chat.max_concurrent_chats), n); }
        }

        #[test]
        fn stored_settings_read_back(m in 5u32..=480, b in 0u32..=120, c in 1u32..=50) {
            let s = ProductSettings {
                scheduling: SchedulingSettings { default_meeting_minutes: m, buffer_minutes: b },
                chat: ChatSettings { max_concurrent_chats: c },
                voice: VoiceSettings { caller_id: VoiceCallerId::Withheld, call_forwarding: Some("+14155552671".into()) },
            };
            let back: ProductSettings = serde_json::from_str(&serde_json::to_string(&s).expect("json")).expect("read");
            prop_assert_eq!(back, s);
        }
    }
}
