//! Cell numbers: entered in any common format, kept in E.164 (`+4915112345678`).

use std::fmt;

/// Most digits an E.164 number has (country code and national number).
pub const MAX_DIGITS: usize = 15;

/// A valid phone number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("is required")]
    Empty,
    #[error("needs its country: start it with + and the country code (e.g. +44 20 7946 0958), or choose a country")]
    NoCountry,
    #[error("is not a known country code (use a two-letter code such as US, DE or BR)")]
    UnknownCountry,
    #[error("is not a phone number")]
    NotANumber,
    #[error("is not a valid number for its country (check the digits and the country)")]
    Invalid,
}

impl PhoneNumber {
    /// Parses `input` (spaces, dashes, dots, brackets, `00` or `+` prefixes are fine); a number
    /// without a country code is read as one of `default_country` (ISO 3166 alpha-2, e.g. `DE`).
    pub fn parse(input: &str, default_country: Option<&str>) -> Result<Self, PhoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        if input.chars().count() > 40 || !input.chars().any(|c| c.is_ascii_digit()) {
            return Err(PhoneError::NotANumber);
        }
        let country = match default_country.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.to_ascii_uppercase().parse::<phonenumber::country::Id>().map_err(|_| PhoneError::UnknownCountry)?,
            ),
            None => None,
        };
        // `00` is the international prefix in most of the world: read it as `+`.
        let normalized = match input.strip_prefix("00") {
            Some(rest) if country.is_none() => format!("+{rest}"),
            _ => input.to_owned(),
        };
        if country.is_none() && !normalized.starts_with('+') {
            return Err(PhoneError::NoCountry);
        }
        let number = phonenumber::parse(country, &normalized).map_err(|_| PhoneError::NotANumber)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        // Some countries' metadata allows longer numbers than E.164's 15 digits (country code and
        // national number together); no network can reach them, and SMS gateways refuse them.
        if e164.bytes().filter(u8::is_ascii_digit).count() > MAX_DIGITS {
            return Err(PhoneError::Invalid);
        }
        // What is stored must read back as itself: a national number the library accepts for its
        // country (with a trunk prefix, say) can give an E.164 form it calls invalid.
        let again = phonenumber::parse(None, &e164).map_err(|_| PhoneError::Invalid)?;
        if !phonenumber::is_valid(&again) || again.format().mode(phonenumber::Mode::E164).to_string() != e164 {
            return Err(PhoneError::Invalid);
        }
        Ok(Self(e164))
    }

    /// Wraps a number read back from storage.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `number` (E.164) may get SMS under `allowed` regions (ISO 3166 alpha-2, upper case):
/// its country calling code is one of theirs (`GB` allows every `+44` number, `US` every `+1`
/// one, as SMS prices go by calling code). An empty list allows every number.
pub fn region_allowed(number: &str, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Ok(parsed) = phonenumber::parse(None, number) else { return false };
    let code = parsed.country().code();
    allowed.iter().any(|r| calling_code(r) == Some(code))
}

/// The country calling code of a region (ISO 3166 alpha-2), if it is one.
pub fn calling_code(region: &str) -> Option<u16> {
    phonenumber::metadata::DATABASE.by_id(region).map(|m| m.country_code())
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_accepted_number_reads_back_as_itself() {
        // Found by the `phone` fuzz target: Brazil's metadata took this national number, whose
        // E.164 form the same library then called invalid.
        assert_eq!(PhoneNumber::parse("+559007345978", None), Err(PhoneError::Invalid));
        match PhoneNumber::parse("090-[0734-5w78", Some("BR")) {
            Ok(n) => assert_eq!(PhoneNumber::parse(n.as_str(), None), Ok(n)),
            Err(e) => assert_eq!(e, PhoneError::Invalid),
        }
    }

    #[test]
    fn the_allow_list_goes_by_calling_code() {
        let eu = ["DE".to_owned(), "GB".to_owned()];
        assert!(region_allowed("+4915123456789", &eu));
        assert!(region_allowed("+447911123456", &eu));
        assert!(!region_allowed("+14155552671", &eu));
        assert!(region_allowed("+14155552671", &["CA".to_owned()]), "+1 is shared by the US and Canada");
        assert!(region_allowed("+14155552671", &[]), "no list: every number");
        assert!(!region_allowed("not a number", &eu));
        assert_eq!(calling_code("GB"), Some(44));
        assert_eq!(calling_code("ZZ"), None);
    }

    #[test]
    fn common_formats_across_countries() {
        use PhoneError::*;
        let table: &[(&str, Option<&str>, Result<&str, PhoneError>)] = &[
            ("+1 (415) 555-2671", None, Ok("+14155552671")),
            ("415.555.2671", Some("US"), Ok("+14155552671")),
            ("(415) 555 2671", Some("us"), Ok("+14155552671")),
            ("+44 20 7946 0958", None, Ok("+442079460958")),
            ("020 7946 0958", Some("GB"), Ok("+442079460958")),
            ("07911 123456", Some("GB"), Ok("+447911123456")),
            ("0044 7911 123456", None, Ok("+447911123456")),
            ("+49 151 23456789", None, Ok("+4915123456789")),
            ("0151 23456789", Some("DE"), Ok("+4915123456789")),
            ("030 901820", Some("DE"), Ok("+4930901820")),
            ("+33 6 12 34 56 78", None, Ok("+33612345678")),
            ("06 12 34 56 78", Some("FR"), Ok("+33612345678")),
            ("+55 11 91234-5678", None, Ok("+5511912345678")),
            ("(11) 91234-5678", Some("BR"), Ok("+5511912345678")),
            ("+91 98765 43210", None, Ok("+919876543210")),
            ("+81 90-1234-5678", None, Ok("+819012345678")),
            ("090-1234-5678", Some("JP"), Ok("+819012345678")),
            ("+61 412 345 678", None, Ok("+61412345678")),
            ("0412 345 678", Some("AU"), Ok("+61412345678")),
            ("+34 612 34 56 78", None, Ok("+34612345678")),
            ("+1 415 555 2671", Some("DE"), Ok("+14155552671")),
            ("415 555 2671", None, Err(NoCountry)),
            ("", None, Err(Empty)),
            ("   ", Some("US"), Err(Empty)),
            ("call me", Some("US"), Err(NotANumber)),
            ("+1 555", None, Err(Invalid)),
            ("+49 123", None, Err(Invalid)),
            ("12345", Some("ZZ"), Err(UnknownCountry)),
            ("+999 1234 5678", None, Err(NotANumber)),
            // German metadata allows 17 digits here; E.164 allows at most 15 (code and number).
            ("+49 9151 3391172 8394", None, Err(Invalid)),
            ("09151 3391172 8394", Some("DE"), Err(Invalid)),
        ];
        for (input, country, expected) in table {
            let got = PhoneNumber::parse(input, *country);
            match (got, expected) {
                (Ok(n), Ok(e)) => assert_eq!(n.as_str(), *e, "{input:?} {country:?}"),
                (Err(g), Err(e)) => assert_eq!(&g, e, "{input:?} {country:?}"),
                (got, expected) => panic!("{input:?} {country:?}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn accepted_numbers_are_e164_and_parse_again_to_themselves(s in "[+0-9 ()./-]{0,24}", c in prop::option::of("(US|GB|DE|FR|BR|JP)")) {
            if let Ok(n) = PhoneNumber::parse(&s, c.as_deref()) {
                prop_assert!(n.as_str().starts_with('+') && n.as_str()[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(n.as_str().len() <= 16);
                prop_assert_eq!(PhoneNumber::parse(n.as_str(), None), Ok(n.clone()));
            }
        }

        #[test]
        fn no_accepted_number_has_more_than_fifteen_digits(prefix in "(\\+49|\\+1|\\+44|\\+86|0)", digits in "[0-9]{6,18}", c in prop::option::of("(US|GB|DE|CN)")) {
            if let Ok(n) = PhoneNumber::parse(&format!("{prefix}{digits}"), c.as_deref()) {
                prop_assert!(n.as_str().len() <= 16, "{} has more than 15 digits", n);
            }
        }
    }
}
