//! Argon2id hashing, kept off the async runtime and bounded, so a burst of sign-ins queues
//! instead of starving every other request of worker threads.
//!
//! Verification works in memory the hasher keeps: the crate's own `verify_password` allocates a
//! fresh zeroed 19 MiB block per call, which the kernel then faults in page by page and takes
//! back at the end (about a quarter of the server's CPU time under sign-in load was system time).
//! Here each verification borrows one of at most `parallelism` blocks and gives it back. Argon2
//! writes every block of its memory before it reads it, so what a block held before does not
//! matter; the block is never handed out of this module.

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use std::sync::{Arc, Mutex, PoisonError};
use tenantry_domain::Password;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords on a bounded pool of blocking threads.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Argon2 working memory between verifications: at most one block per permit.
    blocks: Arc<Mutex<Vec<Vec<Block>>>>,
    /// A hash of a random password, verified against when the user is unknown so the answer takes as long.
    decoy: Arc<String>,
}

/// OWASP: Argon2id, 19 MiB, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Ok(argon2()?.hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?.to_string())
}

/// Whether `password` matches the PHC string `phc`, computed in `memory` (grown when the stored
/// hash asks for more); a stored hash that cannot be read matches nothing. The outputs are
/// compared in constant time (`Output`'s equality).
fn verify_in(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let computed = (|| -> Result<bool, argon2::password_hash::Error> {
        let parsed = PasswordHash::new(phc)?;
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str())?;
        let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
        let params = Params::try_from(&parsed)?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return Ok(false) };
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let out = buffer.get_mut(..expected.len()).ok_or(argon2::password_hash::Error::OutputSize)?;
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password,
            salt,
            &mut *out,
            &mut memory[..blocks],
        )?;
        Ok(Output::new(out)? == *expected)
    })();
    computed.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "a stored password hash could not be verified against");
        false
    })
}

impl Hasher {
    /// A hasher running at most `parallelism` hashes at once.
    pub fn new(parallelism: usize) -> anyhow::Result<Self> {
        let decoy = hash_blocking(&tenantry_domain::token::random_hex(16))?;
        let parallelism = parallelism.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(parallelism)),
            blocks: Arc::new(Mutex::new(Vec::with_capacity(parallelism))),
            decoy: Arc::new(decoy),
        })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let pw = password.expose().to_owned();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| hash_blocking(&pw))).await?
    }

    /// Whether `password` matches `stored`; with no stored hash it verifies against the decoy and answers false.
    pub async fn verify(&self, password: &Password, stored: Option<String>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let pw = password.expose().to_owned();
        let (phc, real) = match stored {
            Some(h) => (h, true),
            None => (self.decoy.as_str().to_owned(), false),
        };
        let span = tracing::Span::current();
        let blocks = self.blocks.clone();
        let ok = tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                // Holding a permit, so one of at most `parallelism` blocks; none is free only
                // before the first verifications (or after one panicked holding its block).
                let mut memory = blocks.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
                let ok = verify_in(&mut memory, pw.as_bytes(), &phc);
                blocks.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
                ok
            })
        })
        .await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier as _;

    fn phc(password: &str, params: Params) -> String {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(password.as_bytes()).unwrap().to_string()
    }

    #[test]
    fn a_kept_block_verifies_like_the_crate_whatever_it_held_before() {
        let stored = hash_blocking("correct horse").unwrap();
        let other = hash_blocking("battery staple").unwrap();
        let mut memory = Vec::new();
        for (password, phc) in
            [("correct horse", &stored), ("battery staple", &stored), ("battery staple", &other), ("correct horse", &stored)]
        {
            let crate_says = argon2().unwrap().verify_password(password.as_bytes(), phc.as_str()).is_ok();
            assert_eq!(verify_in(&mut memory, password.as_bytes(), phc), crate_says, "{password}");
        }
        assert_eq!(memory.len(), MEMORY_KIB as usize);
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify() {
        // A smaller and a larger memory cost than today's, and Argon2i / a different length.
        let small = phc("pw-small", Params::new(8 * 1024, 3, 1, None).unwrap());
        let large = phc("pw-large", Params::new(24 * 1024, 1, 1, Some(48)).unwrap());
        let argon2i =
            Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(4096, 2, 2, None).unwrap()).hash_password(b"pw-i").unwrap().to_string();
        let mut memory = Vec::new();
        assert!(verify_in(&mut memory, b"pw-small", &small));
        assert!(!verify_in(&mut memory, b"pw-smal", &small));
        assert!(verify_in(&mut memory, b"pw-large", &large));
        assert_eq!(memory.len(), 24 * 1024);
        assert!(verify_in(&mut memory, b"pw-small", &small), "a larger block serves a smaller hash");
        assert!(verify_in(&mut memory, b"pw-i", &argon2i));
        assert!(!verify_in(&mut memory, b"pw-I", &argon2i));
    }

    #[test]
    fn an_unreadable_stored_hash_matches_nothing() {
        let mut memory = Vec::new();
        for bad in ["", "plain text", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ", "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA"] {
            assert!(!verify_in(&mut memory, b"anything", bad), "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_verifications_keep_at_most_one_block_per_permit() {
        let hasher = Hasher::new(2).unwrap();
        let password = Password::new("correct horse battery".to_owned());
        let stored = hasher.hash(&password).await.unwrap();
        let wrong = Password::new("correct horse battery!".to_owned());
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (h, stored) = (hasher.clone(), stored.clone());
            let pw = if i % 2 == 0 { password.clone() } else { wrong.clone() };
            tasks.push(tokio::spawn(async move { (i, h.verify(&pw, Some(stored)).await.unwrap()) }));
        }
        for t in tasks {
            let (i, ok) = t.await.unwrap();
            assert_eq!(ok, i % 2 == 0);
        }
        assert!(!hasher.verify(&password, None).await.unwrap(), "the decoy never matches");
        let kept = hasher.blocks.lock().unwrap().len();
        assert!((1..=2).contains(&kept), "{kept} blocks kept");
    }
}
