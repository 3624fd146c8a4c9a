//! Products sold per seat, and the subscription that buys the seats.

use std::fmt;

/// The product whose licence keeps a user's booking pages enabled.
pub const SCHEDULING: &str = "scheduling";

/// A product key from the catalog: 1–32 of `a-z 0-9 _ -`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductKey(String);

/// A product key that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1–32 characters of a-z, 0-9, _ and -, starting with a letter")]
pub struct InvalidProductKey;

impl ProductKey {
    /// Parses a key.
    pub fn parse(s: &str) -> Result<Self, InvalidProductKey> {
        let ok = (1..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok { Ok(Self(s.to_owned())) } else { Err(InvalidProductKey) }
    }

    /// Wraps a key read back from storage.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the scheduling product (booking pages depend on its licence).
    pub fn is_scheduling(&self) -> bool {
        self.0 == SCHEDULING
    }
}

impl fmt::Display for ProductKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub key: ProductKey,
    /// What pages show.
    pub name: String,
}

/// The products this installation sells, in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog(Vec<Product>);

/// A catalog description that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("product {0:?}: key must be 1–32 characters of a-z, 0-9, _ and -, starting with a letter")]
    Key(String),
    #[error("product {0:?} is listed twice")]
    Duplicate(String),
    #[error("the catalog must list at least one product")]
    Empty,
}

impl Catalog {
    /// Parses `key:Display name` entries separated by commas (`scheduling:Scheduling,chat:Live chat`).
    pub fn parse(spec: &str) -> Result<Self, CatalogError> {
        let mut products: Vec<Product> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (key, name) = entry.split_once(':').map(|(k, n)| (k.trim(), n.trim())).unwrap_or((entry, entry));
            let key = ProductKey::parse(key).map_err(|_| CatalogError::Key(key.to_owned()))?;
            if products.iter().any(|p| p.key == key) {
                return Err(CatalogError::Duplicate(key.0));
            }
            let name = if name.is_empty() { key.0.clone() } else { name.to_owned() };
            products.push(Product { key, name });
        }
        if products.is_empty() {
            return Err(CatalogError::Empty);
        }
        Ok(Self(products))
    }

    /// The products in display order.
    pub fn products(&self) -> &[Product] {
        &self.0
    }

    /// The catalog's product named `key`, if it sells one.
    pub fn get(&self, key: &str) -> Option<&Product> {
        self.0.iter().find(|p| p.key.as_str() == key)
    }
}

impl Default for Catalog {
    /// Scheduling (booking pages), live chat and voice.
    fn default() -> Self {
        let p = |k: &str, n: &str| Product { key: ProductKey(k.to_owned()), name: n.to_owned() };
        Self(vec![p(SCHEDULING, "Scheduling"), p("chat", "Live chat"), p("voice", "Voice")])
    }
}

/// Where an account's subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Trying the products; no payment yet.
    Trial,
    /// Paying: a licensed Administrator must remain.
    Paid,
    /// Ended.
    Canceled,
}

wire_names!(SubscriptionStatus, "trial, paid, canceled", { Trial => "trial", Paid => "paid", Canceled => "canceled" });

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn catalog_parses_and_refuses() {
        let c = Catalog::parse("scheduling:Scheduling, chat:Live chat,voice").expect("valid");
        let keys: Vec<&str> = c.products().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["scheduling", "chat", "voice"]);
        assert_eq!(c.get("chat").map(|p| p.name.as_str()), Some("Live chat"));
        assert_eq!(c.get("voice").map(|p| p.name.as_str()), Some("voice"));
        assert_eq!(Catalog::parse(""), Err(CatalogError::Empty));
        assert_eq!(Catalog::parse("a:A,a:B"), Err(CatalogError::Duplicate("a".into())));
        assert_eq!(Catalog::parse("Bad Key:x"), Err(CatalogError::Key("Bad Key".into())));
        assert_eq!(Catalog::default().products().len(), 3);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [SubscriptionStatus::Trial, SubscriptionStatus::Paid, SubscriptionStatus::Canceled] {
            assert_eq!(s.as_str().parse::<SubscriptionStatus>(), Ok(s));
        }
        assert!("active".parse::<SubscriptionStatus>().is_err());
    }

    proptest! {
        #[test]
        fn product_keys_are_parsed_exactly(s in "\\PC{0,40}") {
            let valid = (1..=32).contains(&s.len())
                && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            prop_assert_eq!(ProductKey::parse(&s).is_ok(), valid);
        }
    }
}
