/// Why a name is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("is required")]
    Empty,
    #[error("is too long (at most {0} characters)")]
    TooLong(usize),
    #[error("must not contain control characters")]
    Control,
}

fn parse_name(input: &str, max: usize) -> Result<String, NameError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.chars().count() > max {
        return Err(NameError::TooLong(max));
    }
    if s.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    Ok(s.to_owned())
}

/// A person's display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a display name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        parse_name(input, 100).map(Self)
    }
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The key the users list sorts and filters by.
    pub fn sort_key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// An organization's name: trimmed, 1–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

impl AccountName {
    /// Parses an account name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        parse_name(input, 120).map(Self)
    }
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A booking page's title: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageName(String);

impl PageName {
    /// Parses a page title.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        parse_name(input, 100).map(Self)
    }
    /// The title as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_and_refuses() {
        assert_eq!(PersonName::parse("  Ana Lima ").map(|n| n.as_str().to_owned()), Ok("Ana Lima".into()));
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        assert_eq!(PersonName::parse("a\u{0}b"), Err(NameError::Control));
        assert_eq!(PersonName::parse(&"x".repeat(101)), Err(NameError::TooLong(100)));
        assert!(PersonName::parse(&"é".repeat(100)).is_ok());
    }

    proptest! {
        #[test]
        fn parsed_names_are_trimmed_and_bounded(s in "\\PC{0,130}") {
            if let Ok(n) = PersonName::parse(&s) {
                prop_assert_eq!(n.as_str().trim(), n.as_str());
                prop_assert!(!n.as_str().is_empty() && n.as_str().chars().count() <= 100);
            }
        }
    }
}
