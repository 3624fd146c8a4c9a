//! Argon2id hashing, kept off the async runtime and bounded, so a burst of sign-ins queues
//! instead of starving every other request of worker threads.

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use std::sync::Arc;
use tenantry_domain::Password;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords on a bounded pool of blocking threads.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the user is unknown so the answer takes as long.
    decoy: Arc<String>,
}

fn argon2() -> anyhow::Result<Argon2<'static>> {
    // OWASP: Argon2id, 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Ok(argon2()?.hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?.to_string())
}

impl Hasher {
    /// A hasher running at most `parallelism` hashes at once.
    pub fn new(parallelism: usize) -> anyhow::Result<Self> {
        let decoy = hash_blocking(&tenantry_domain::token::random_hex(16))?;
        Ok(Self { permits: Arc::new(Semaphore::new(parallelism.max(1))), decoy: Arc::new(decoy) })
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
        let ok = tokio::task::spawn_blocking(move || {
            span.in_scope(|| -> anyhow::Result<bool> {
                Ok(argon2()?.verify_password(pw.as_bytes(), phc.as_str()).is_ok())
            })
        })
        .await??;
        Ok(ok && real)
    }
}
