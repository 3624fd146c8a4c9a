//! `Username::parse`: never panics; an accepted username is 3–32 of `a-z 0-9 . _ -`, starts with a
//! letter or digit, and parses again to itself (also from upper case).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_domain::username::Username;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let Ok(name) = Username::parse(input) else { return };
    let s = name.as_str();
    assert!((3..=32).contains(&s.len()), "{input:?} -> {s:?}");
    assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b)), "{s:?}");
    assert!(s.starts_with(|c: char| c.is_ascii_alphanumeric()), "{s:?}");
    assert_eq!(Username::parse(s).as_ref(), Ok(&name), "{s:?}");
    assert_eq!(Username::parse(&s.to_uppercase()).as_ref(), Ok(&name), "{s:?}");
});
