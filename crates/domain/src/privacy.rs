//! Chatbot and form privacy: the privacy policy and cookie policy an account shows to visitors of
//! its chatbots and forms, each as text or a link, with the consent checkbox and cookie banner
//! switches. Links must be `https://`.

use crate::error::ValidationErrors;
use serde::{Deserialize, Serialize};

/// Longest policy text, in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest link, in characters.
pub const MAX_URL: usize = 2_000;

/// The privacy policy shown to visitors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrivacyPolicy {
    pub text: Option<String>,
    pub url: Option<String>,
    /// Visitors must tick a consent checkbox before a chatbot or form sends anything.
    pub require_consent: bool,
}

/// The cookie policy shown to visitors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CookiePolicy {
    pub text: Option<String>,
    pub url: Option<String>,
    /// Chatbots and forms show a cookie banner.
    pub show_banner: bool,
}

/// The whole document (what is never saved is empty: no text, no link, switches off).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrivacyDocument {
    pub privacy_policy: PrivacyPolicy,
    pub cookie_policy: CookiePolicy,
}

/// Policy text: surrounding spaces removed, empty is none, at most [`MAX_TEXT`] characters.
fn text(errors: &mut ValidationErrors, field: &str, value: Option<String>) -> Option<String> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())?;
    if value.chars().count() > MAX_TEXT {
        errors.push(field, format!("is too long (at most {MAX_TEXT} characters)"));
    } else if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        errors.push(field, "must not contain control characters");
    }
    Some(value)
}

/// A link: `https://` with a host, no spaces, at most [`MAX_URL`] characters; empty is none.
pub fn parse_https_url(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let Some(rest) = s.get(..8).filter(|p| p.eq_ignore_ascii_case("https://")).map(|_| &s[8..]) else {
        return Err("must be an https:// address".to_owned());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with('@') || host.starts_with(':') {
        return Err("must name a host after https://".to_owned());
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"')) {
        return Err("must not contain spaces, quotes or angle brackets".to_owned());
    }
    if s.chars().count() > MAX_URL {
        return Err(format!("is too long (at most {MAX_URL} characters)"));
    }
    Ok(Some(format!("https://{rest}")))
}

fn url(errors: &mut ValidationErrors, field: &str, value: Option<String>) -> Option<String> {
    value.and_then(|v| errors.check(field, parse_https_url(&v)).flatten())
}

impl PrivacyDocument {
    /// Checks and normalizes the document; every error names its field (`privacy_policy.url`…).
    pub fn validated(self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let (p, c) = (self.privacy_policy, self.cookie_policy);
        let doc = PrivacyDocument {
            privacy_policy: PrivacyPolicy {
                text: text(&mut e, "privacy_policy.text", p.text),
                url: url(&mut e, "privacy_policy.url", p.url),
                require_consent: p.require_consent,
            },
            cookie_policy: CookiePolicy {
                text: text(&mut e, "cookie_policy.text", c.text),
                url: url(&mut e, "cookie_policy.url", c.url),
                show_banner: c.show_banner,
            },
        };
        e.into_result().map(|()| doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn links_must_be_https() {
        assert_eq!(parse_https_url(" https://example.com/privacy "), Ok(Some("https://example.com/privacy".into())));
        assert_eq!(parse_https_url("HTTPS://example.com"), Ok(Some("https://example.com".into())));
        assert_eq!(parse_https_url(""), Ok(None));
        for bad in ["http://example.com", "javascript:alert(1)", "https://", "https:///x", "https://a b", "example.com"]
        {
            assert!(parse_https_url(bad).is_err(), "{bad}");
        }
        assert!(parse_https_url(&format!("https://e.com/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[test]
    fn documents_are_checked_naming_the_field() {
        let doc = PrivacyDocument {
            privacy_policy: PrivacyPolicy {
                text: Some("  ".into()),
                url: Some("http://x.com".into()),
                require_consent: true,
            },
            cookie_policy: CookiePolicy { text: Some("x".repeat(MAX_TEXT + 1)), url: None, show_banner: true },
        };
        let fields: Vec<String> =
            doc.validated().err().map(|e| e.0.into_iter().map(|f| f.field).collect()).unwrap_or_default();
        assert_eq!(fields, ["privacy_policy.url", "cookie_policy.text"]);
        let ok = PrivacyDocument {
            privacy_policy: PrivacyPolicy { text: Some(" We keep… \n".into()), url: None, require_consent: true },
            ..PrivacyDocument::default()
        }
        .validated();
        assert_eq!(ok.map(|d| d.privacy_policy.text), Ok(Some("We keep…".to_owned())));
    }

    proptest! {
        #[test]
        fn accepted_links_are_https_and_stable(s in "\\PC{0,40}") {
            if let Ok(Some(u)) = parse_https_url(&s) {
                prop_assert!(u.starts_with("https://"));
                prop_assert_eq!(parse_https_url(&u), Ok(Some(u.clone())));
            }
        }
    }
}
