//! `EmailAddress::parse`: never panics; an accepted address is trimmed, bounded, has one local
//! part and a dotted domain, and parses again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_domain::EmailAddress;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let Ok(email) = EmailAddress::parse(input) else { return };
    let s = email.as_str();
    assert_eq!(s, s.trim(), "{input:?}");
    assert!(!s.is_empty() && s.len() <= 254, "{input:?}");
    assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()), "{input:?}");
    let (_, domain) = s.rsplit_once('@').unwrap_or_else(|| panic!("no @ in {s:?}"));
    assert!(domain.contains('.') && !domain.ends_with('.') && !domain.starts_with('['), "{s:?}");
    assert_eq!(EmailAddress::parse(s).as_ref(), Ok(&email), "{s:?}");
    assert_eq!(email.normalized(), s.to_lowercase());
});
