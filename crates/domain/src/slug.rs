//! The address part of a booking page: `/book/{slug}`.

/// 3–64 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`, no `--`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

/// A slug that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 3–64 characters of a-z, 0-9 and single hyphens, not starting or ending with a hyphen")]
pub struct InvalidSlug;

impl Slug {
    /// Parses a slug; letters are taken in lower case and surrounding spaces ignored.
    pub fn parse(s: &str) -> Result<Self, InvalidSlug> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (3..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok { Ok(Self(s)) } else { Err(InvalidSlug) }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(Slug::parse(" Ana-Lima-30min ").map(|s| s.0), Ok("ana-lima-30min".to_owned()));
        for bad in ["ab", "-abc", "abc-", "a--b", "ana lima", "ana_lima", "änä", &"a".repeat(65)] {
            assert_eq!(Slug::parse(bad), Err(InvalidSlug), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsed_slugs_are_canonical(s in "\\PC{0,70}") {
            if let Ok(slug) = Slug::parse(&s) {
                prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()));
                prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }
    }
}
