//! Secrets at rest (TOTP seeds, CRM credentials): AES-256-GCM under a key derived from
//! `TENANTRY_SECRET_KEY`; and keyed fingerprints (HMAC-SHA-256 under another key derived from it)
//! of short codes that must be found again but not be guessable from a copy of the database.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Encrypts and decrypts small secrets. The stored form is `v1:` + base64(nonce ‖ ciphertext).
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    /// A box keyed by `key` (any text; SHA-256 makes it 256 bits).
    pub fn new(key: &str) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let mac_key = <[u8; 32]>::from(Sha256::digest([b"tenantry-mac:".as_slice(), key.as_bytes()].concat()));
        let key = Key::<Aes256Gcm>::from(<[u8; 32]>::from(digest));
        Self { cipher: Aes256Gcm::new(&key), mac_key }
    }

    /// A keyed fingerprint of `data` (HMAC-SHA-256, hex): without the secret key, a copy of the
    /// database does not let anyone test guesses against it.
    pub fn fingerprint(&self, data: &[u8]) -> String {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.mac_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypts `plain`.
    pub fn seal(&self, plain: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("random nonce: {e}"))?;
        let ct = self.cipher.encrypt(&Nonce::from(nonce), plain).map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1:{}", base64::engine::general_purpose::STANDARD.encode(out)))
    }

    /// Decrypts what [`SecretBox::seal`] produced.
    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let data = sealed.strip_prefix("v1:").ok_or_else(|| anyhow::anyhow!("unknown secret format"))?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
        if bytes.len() < 12 {
            anyhow::bail!("sealed secret too short");
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into()?;
        self.cipher
            .decrypt(&Nonce::from(nonce), ct)
            .map_err(|_| anyhow::anyhow!("decryption failed (wrong TENANTRY_SECRET_KEY?)"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn fingerprints_are_keyed_and_stable() {
        let a = SecretBox::new("k1");
        assert_eq!(a.fingerprint(b"code"), a.fingerprint(b"code"));
        assert_eq!(a.fingerprint(b"code").len(), 64);
        assert_ne!(a.fingerprint(b"code"), SecretBox::new("k2").fingerprint(b"code"), "another key, another print");
        assert_ne!(a.fingerprint(b"code"), hex::encode(Sha256::digest(b"code")), "not a bare SHA-256");
    }

    #[test]
    fn round_trip_and_wrong_key() {
        let b = SecretBox::new("k1");
        let sealed = b.seal(b"seed").expect("seal");
        assert_ne!(b.seal(b"seed").expect("seal"), sealed, "fresh nonce each time");
        assert_eq!(b.open(&sealed).expect("open"), b"seed");
        assert!(SecretBox::new("k2").open(&sealed).is_err());
        assert!(b.open("garbage").is_err());
    }
}
