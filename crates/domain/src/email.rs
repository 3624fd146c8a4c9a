use std::str::FromStr;

/// Why a string is not an acceptable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is required")]
    Empty,
    #[error("is too long (at most 254 characters)")]
    TooLong,
    #[error("is not a valid email address")]
    Invalid,
}

/// A syntactically valid email address, trimmed; compare with [`EmailAddress::normalized`],
/// because sign-in is by email and emails are unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and trims an address, refusing anything that is not `local@domain` with a dotted domain.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let parsed = email_address::EmailAddress::from_str(s).map_err(|_| EmailError::Invalid)?;
        // Installations send real mail: require a dotted domain, no IP literals, no display names.
        let domain = parsed.domain();
        if parsed.as_str() != s
            || !domain.contains('.')
            || domain.starts_with('[')
            || domain.ends_with('.')
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(EmailError::Invalid);
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased form used for uniqueness and look-ups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["ana@example.com", " Ana.Maria+tag@Sub.Example.org ", "x@y.io"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(EmailAddress::parse("Ana@Example.COM").map(|e| e.normalized()), Ok("ana@example.com".into()));
    }

    #[test]
    fn refuses_bad_addresses() {
        for bad in [
            "",
            "   ",
            "ana",
            "ana@",
            "@example.com",
            "ana@localhost",
            "a b@example.com",
            "ana@[127.0.0.1]",
            "Ana <ana@example.com>",
            "ana@example.com.",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(250))), Err(EmailError::TooLong));
    }

    proptest! {
        #[test]
        fn never_panics_and_valid_ones_round_trip(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
                prop_assert!(e.as_str().contains('@'));
            }
        }

        #[test]
        fn generated_addresses_are_accepted(local in "[a-z0-9]{1,20}", domain in "[a-z]{1,10}\\.[a-z]{2,5}") {
            let addr = format!("{local}@{domain}");
            prop_assert!(EmailAddress::parse(&addr).is_ok());
        }
    }
}
