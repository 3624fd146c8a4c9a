//! `PhoneNumber::parse`: never panics; an accepted number is E.164 (`+` and at most 15 digits),
//! parses again to itself without a default country, and belongs to its own calling code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_domain::PhoneNumber;
use tenantry_domain::phone::{MAX_DIGITS, region_allowed};

/// Default countries the first byte picks from (some not ISO codes at all).
const COUNTRIES: [Option<&str>; 10] =
    [None, Some("US"), Some("GB"), Some("DE"), Some("FR"), Some("BR"), Some("JP"), Some("in"), Some("ZZ"), Some("")];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(input) = std::str::from_utf8(rest) else { return };
    let country = COUNTRIES[usize::from(pick) % COUNTRIES.len()];
    let Ok(number) = PhoneNumber::parse(input, country) else { return };
    let s = number.as_str();
    let digits = s.strip_prefix('+').unwrap_or_else(|| panic!("{input:?} -> {s:?} has no +"));
    assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()), "{input:?} -> {s:?}");
    assert!(digits.len() <= MAX_DIGITS, "{input:?} -> {s:?} has more than {MAX_DIGITS} digits");
    assert_eq!(PhoneNumber::parse(s, None).as_ref(), Ok(&number), "{input:?} -> {s:?}");
    assert!(region_allowed(s, &[]), "{s:?}");
});
