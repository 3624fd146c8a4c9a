//! Contact fields: the four built-in fields every contact has, and the custom fields an account
//! adds — each with a key that never changes, a label, a type and, for the choice types, options.
//! Positions number every field 0…n-1; the built-in fields always hold 0–3.

use serde::Serialize;

/// Most custom fields one account may have.
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// Longest label, in characters.
pub const MAX_LABEL: usize = 100;
/// Most options of a choice field.
pub const MAX_OPTIONS: usize = 100;
/// Longest option, in characters.
pub const MAX_OPTION: usize = 100;

/// One built-in field: always present, read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemField {
    /// Its stable id (`cfd_first_name`…), which is not a generated id.
    pub id: &'static str,
    pub key: &'static str,
    pub label: &'static str,
    pub field_type: FieldType,
}

/// The built-in fields, in their fixed positions 0–3.
pub const SYSTEM_FIELDS: [SystemField; 4] = [
    SystemField { id: "cfd_first_name", key: "first_name", label: "First name", field_type: FieldType::Text },
    SystemField { id: "cfd_last_name", key: "last_name", label: "Last name", field_type: FieldType::Text },
    SystemField { id: "cfd_email", key: "email", label: "Email", field_type: FieldType::Email },
    SystemField { id: "cfd_phone", key: "phone", label: "Phone", field_type: FieldType::Phone },
];

/// The first position a custom field can hold.
pub const FIRST_CUSTOM_POSITION: usize = SYSTEM_FIELDS.len();

/// The built-in field with this id, if it is one.
pub fn system_field(id: &str) -> Option<&'static SystemField> {
    SYSTEM_FIELDS.iter().find(|f| f.id == id)
}

/// The key of a field: `^[a-z][a-z0-9_]{0,39}$`. It names the field for products and the CRM
/// mapping, so it never changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldKey(String);

/// A key that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must start with a lower-case letter, then up to 39 of a-z, 0-9 and _ (e.g. industry or company_size)")]
pub struct InvalidFieldKey;

impl FieldKey {
    /// Parses a key exactly as given (no trimming, no case folding: the key is an identifier).
    pub fn parse(s: &str) -> Result<Self, InvalidFieldKey> {
        let mut bytes = s.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let ok = first_ok && s.len() <= 40 && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok { Ok(Self(s.to_owned())) } else { Err(InvalidFieldKey) }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a built-in field already has this key.
    pub fn is_system(&self) -> bool {
        SYSTEM_FIELDS.iter().any(|f| f.key == self.0)
    }
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Number,
    Date,
    Email,
    Phone,
    Url,
    SingleChoice,
    MultipleChoice,
    Checkbox,
}

wire_names!(FieldType, "text, long_text, number, date, email, phone, url, single_choice, multiple_choice, checkbox", {
    Text => "text",
    LongText => "long_text",
    Number => "number",
    Date => "date",
    Email => "email",
    Phone => "phone",
    Url => "url",
    SingleChoice => "single_choice",
    MultipleChoice => "multiple_choice",
    Checkbox => "checkbox",
});

impl FieldType {
    /// Every type, in the order people choose from.
    pub const ALL: [FieldType; 10] = [
        FieldType::Text,
        FieldType::LongText,
        FieldType::Number,
        FieldType::Date,
        FieldType::Email,
        FieldType::Phone,
        FieldType::Url,
        FieldType::SingleChoice,
        FieldType::MultipleChoice,
        FieldType::Checkbox,
    ];

    /// Whether the field offers a list of options (and so needs them).
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::SingleChoice | FieldType::MultipleChoice)
    }

    /// The name shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            FieldType::Text => "Text",
            FieldType::LongText => "Long text",
            FieldType::Number => "Number",
            FieldType::Date => "Date",
            FieldType::Email => "Email",
            FieldType::Phone => "Phone",
            FieldType::Url => "URL",
            FieldType::SingleChoice => "Single choice",
            FieldType::MultipleChoice => "Multiple choice",
            FieldType::Checkbox => "Checkbox",
        }
    }
}

/// A label: 1–100 characters without control characters, surrounding spaces removed.
pub fn parse_label(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        Err("is required")
    } else if s.chars().count() > MAX_LABEL {
        Err("is too long (at most 100 characters)")
    } else if s.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else {
        Ok(s.to_owned())
    }
}

/// The options of a field of type `field_type`: required (non-empty, unique ignoring case,
/// non-blank, at most 100 of at most 100 characters) for the choice types, refused for the others.
/// `None` means "not given"; surrounding spaces are removed.
pub fn parse_options(field_type: FieldType, options: Option<&[String]>) -> Result<Vec<String>, String> {
    let Some(options) = options else {
        return if field_type.has_options() {
            Err("are required for single and multiple choice fields".to_owned())
        } else {
            Ok(Vec::new())
        };
    };
    if !field_type.has_options() {
        if options.is_empty() {
            return Ok(Vec::new());
        }
        return Err(format!("are only for single and multiple choice fields, not {}", field_type.as_str()));
    }
    if options.is_empty() {
        return Err("must list at least one option".to_owned());
    }
    if options.len() > MAX_OPTIONS {
        return Err(format!("are too many (at most {MAX_OPTIONS})"));
    }
    let mut out: Vec<String> = Vec::with_capacity(options.len());
    for o in options {
        let o = o.trim();
        if o.is_empty() {
            return Err("must not be blank".to_owned());
        }
        if o.chars().count() > MAX_OPTION {
            return Err(format!("must each be at most {MAX_OPTION} characters (“{}…” is longer)", short(o)));
        }
        if o.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        if out.iter().any(|x| x.to_lowercase() == o.to_lowercase()) {
            return Err(format!("must be unique (“{o}” is listed twice)"));
        }
        out.push(o.to_owned());
    }
    Ok(out)
}

fn short(s: &str) -> String {
    s.chars().take(20).collect()
}

/// A new position for a custom field among `total` fields (built-in ones included): at least 4
/// (the built-in fields keep 0–3) and below `total`.
pub fn check_position(position: i64, total: usize) -> Result<usize, String> {
    match usize::try_from(position) {
        Ok(p) if (FIRST_CUSTOM_POSITION..total).contains(&p) => Ok(p),
        _ if total <= FIRST_CUSTOM_POSITION + 1 => {
            Err(format!("must be {FIRST_CUSTOM_POSITION}: the only custom field comes after the 4 built-in fields"))
        }
        _ => Err(format!(
            "must be from {FIRST_CUSTOM_POSITION} to {} (positions 0–3 are the built-in fields)",
            total - 1
        )),
    }
}

/// The custom fields in order after moving the one at index `from` to index `to` (indexes among
/// the custom fields, i.e. position − 4); the others keep their relative order.
pub fn moved<T>(mut fields: Vec<T>, from: usize, to: usize) -> Vec<T> {
    if from < fields.len() && to < fields.len() {
        let f = fields.remove(from);
        fields.insert(to, f);
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys() {
        for good in ["a", "industry", "company_size", "x9", &format!("a{}", "b".repeat(39))] {
            assert_eq!(FieldKey::parse(good).map(|k| k.0), Ok(good.to_owned()), "{good}");
        }
        for bad in ["", "9a", "_a", "Industry", "a-b", "a b", " a", "ä", &format!("a{}", "b".repeat(40))] {
            assert_eq!(FieldKey::parse(bad), Err(InvalidFieldKey), "{bad}");
        }
        assert!(FieldKey::parse("email").is_ok_and(|k| k.is_system()));
        assert!(FieldKey::parse("emails").is_ok_and(|k| !k.is_system()));
    }

    #[test]
    fn types_round_trip() {
        for t in FieldType::ALL {
            assert_eq!(t.as_str().parse::<FieldType>(), Ok(t));
        }
        assert!("choice".parse::<FieldType>().is_err());
    }

    #[test]
    fn options_follow_the_type() {
        let opts = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            parse_options(FieldType::SingleChoice, Some(&opts(&[" Retail ", "Banking"]))),
            Ok(opts(&["Retail", "Banking"]))
        );
        assert!(parse_options(FieldType::SingleChoice, None).is_err());
        assert!(parse_options(FieldType::MultipleChoice, Some(&[])).is_err());
        assert!(parse_options(FieldType::MultipleChoice, Some(&opts(&["a", " "]))).is_err());
        assert!(parse_options(FieldType::MultipleChoice, Some(&opts(&["Yes", "yes"]))).is_err());
        assert!(parse_options(FieldType::MultipleChoice, Some(&opts(&[&"x".repeat(101)]))).is_err());
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert!(parse_options(FieldType::MultipleChoice, Some(&many)).is_err());
        assert_eq!(parse_options(FieldType::Text, None), Ok(Vec::new()));
        assert_eq!(parse_options(FieldType::Text, Some(&[])), Ok(Vec::new()));
        assert!(parse_options(FieldType::Checkbox, Some(&opts(&["a"]))).is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(parse_label("  Industry "), Ok("Industry".to_owned()));
        assert!(parse_label(" ").is_err());
        assert!(parse_label(&"x".repeat(101)).is_err());
        assert!(parse_label("a\u{7}b").is_err());
    }

    #[test]
    fn positions_and_moves() {
        assert_eq!(check_position(4, 6), Ok(4));
        assert_eq!(check_position(5, 6), Ok(5));
        assert!(check_position(6, 6).is_err());
        assert!(check_position(3, 6).is_err());
        assert!(check_position(-1, 6).is_err());
        assert_eq!(moved(vec!['a', 'b', 'c'], 2, 0), vec!['c', 'a', 'b']);
        assert_eq!(moved(vec!['a', 'b', 'c'], 0, 2), vec!['b', 'c', 'a']);
        assert_eq!(moved(vec!['a', 'b', 'c'], 1, 1), vec!['a', 'b', 'c']);
        assert_eq!(SYSTEM_FIELDS.map(|f| f.id), ["cfd_first_name", "cfd_last_name", "cfd_email", "cfd_phone"]);
        assert_eq!(system_field("cfd_email").map(|f| f.key), Some("email"));
    }

    proptest! {
        #[test]
        fn parsed_keys_match_the_pattern(s in "\\PC{0,45}") {
            if let Ok(k) = FieldKey::parse(&s) {
                let b = k.as_str().as_bytes();
                prop_assert!(!b.is_empty() && b.len() <= 40 && b[0].is_ascii_lowercase());
                prop_assert!(b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_'));
                prop_assert_eq!(FieldKey::parse(k.as_str()), Ok(k.clone()));
            }
        }

        #[test]
        fn keys_of_the_pattern_parse(s in "[a-z][a-z0-9_]{0,39}") {
            prop_assert_eq!(FieldKey::parse(&s).map(|k| k.0), Ok(s));
        }

        #[test]
        fn a_move_keeps_every_field(n in 1usize..20, from in 0usize..20, to in 0usize..20) {
            let (from, to) = (from % n, to % n);
            let after = moved((0..n).collect::<Vec<_>>(), from, to);
            prop_assert_eq!(after.len(), n);
            prop_assert_eq!(after[to], from);
            let mut sorted = after.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
        }
    }
}
