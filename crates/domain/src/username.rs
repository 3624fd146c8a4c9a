/// Why a username is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("must be 3 to 32 characters")]
    Length,
    #[error("may contain only a-z, 0-9, '.', '_' and '-'")]
    Charset,
    #[error("must start with a letter or digit")]
    Start,
}

/// A unique handle: 3–32 of `a-z 0-9 . _ -`, compared case-insensitively (stored lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a username, lower-casing it.
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let s = input.trim().to_lowercase();
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err(UsernameError::Length);
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return Err(UsernameError::Charset);
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(UsernameError::Start);
        }
        Ok(Self(s))
    }
    /// The username as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        assert_eq!(Username::parse("Ana.Lima").map(|u| u.0), Ok("ana.lima".into()));
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameError::Length));
        assert_eq!(Username::parse("ana lima"), Err(UsernameError::Charset));
        assert_eq!(Username::parse("anaé"), Err(UsernameError::Charset));
        assert_eq!(Username::parse("_ana"), Err(UsernameError::Start));
    }

    proptest! {
        #[test]
        fn accepted_ones_are_in_charset(s in "\\PC{0,40}") {
            if let Ok(u) = Username::parse(&s) {
                prop_assert!(u.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c)));
                prop_assert_eq!(Username::parse(u.as_str()), Ok(u.clone()));
            }
        }
    }
}
