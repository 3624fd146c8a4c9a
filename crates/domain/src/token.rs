//! Random bearer secrets (session tokens, invitation links) and the hashes that stand for them in storage.

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// `n` random bytes from the operating system, as lower-case hex.
pub fn random_hex(n: usize) -> String {
    hex::encode(random_bytes(n))
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing is unrecoverable; never fall back to a weak source.
    if getrandom::fill(&mut buf).is_err() {
        std::process::abort();
    }
    buf
}

/// A freshly generated secret (256 bits), shown to its holder once and never stored.
pub struct SecretToken(String);

impl SecretToken {
    /// A new random token with a readable prefix (`tss_` for sessions, `tiv_` for invitations …).
    pub fn generate(prefix: &str) -> Self {
        Self(format!("{prefix}{}", random_hex(32)))
    }
    /// The secret itself, to hand to its holder.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The hash that storage keeps.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(…)")
    }
}

/// SHA-256 of a token, hex-encoded: what storage keeps and looks up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        // Encoded into a buffer in one pass (`hex::encode` pushes one char at a time): this runs
        // on every authenticated request.
        let mut hex = [0u8; 64];
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        Self(match hex::encode_to_slice(digest, &mut hex) {
            Ok(()) => String::from_utf8_lossy(&hex).into_owned(),
            Err(_) => hex::encode(digest),
        })
    }
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Constant-time comparison with a stored digest (the look-up is by hash; this guards the final match).
    pub fn matches(&self, stored: &str) -> bool {
        self.0.as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = SecretToken::generate("tss_");
        let b = SecretToken::generate("tss_");
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("tss_") && a.expose().len() == 4 + 64);
        assert!(TokenHash::of(a.expose()).matches(a.hash().as_str()));
        assert!(!TokenHash::of(b.expose()).matches(a.hash().as_str()));
        assert_eq!(format!("{a:?}"), "SecretToken(…)");
    }

    #[test]
    fn a_token_hash_is_the_lower_case_hex_sha256_that_storage_already_holds() {
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(TokenHash::of("").as_str(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
