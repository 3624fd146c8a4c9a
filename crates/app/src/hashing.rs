//! Argon2id hashing on threads of its own, so a burst of sign-ins queues instead of starving
//! every other request of the runtime's worker threads.
//!
//! `parallelism` hashing threads take jobs from one queue, in order, each starting the next job
//! the moment it is done with one (no trip through the async runtime in between), and each keeps
//! its Argon2 working memory from one verification to the next: the crate's own `verify_password`
//! allocates a fresh zeroed 19 MiB block per call, which the kernel then faults in page by page
//! and takes back at the end (about a quarter of the server's CPU time under sign-in load was
//! system time). Argon2 writes every block of its memory before it reads it, so what a block held
//! before does not matter; the memory never leaves its thread.

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use tenantry_domain::Password;

/// A piece of work for a hashing thread, given that thread's kept memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and verifies passwords on `parallelism` threads of its own; the threads end when the
/// last clone is dropped.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
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

/// A hashing thread: runs jobs from the queue until every sender is gone. A job that panics
/// loses its own answer (its caller gets an error), not the thread.
fn hashing_thread(queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut memory = Vec::new();
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            memory = Vec::new();
        }
    }
}

impl Hasher {
    /// A hasher running at most `parallelism` hashes at once.
    pub fn new(parallelism: usize) -> anyhow::Result<Self> {
        let decoy = hash_blocking(&tenantry_domain::token::random_hex(16))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..parallelism.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("tenantry-hash-{i}")).spawn(move || hashing_thread(queue))?;
        }
        Ok(Self { jobs, decoy: Arc::new(decoy) })
    }

    /// Runs `work` on a hashing thread, in the caller's tracing span. A caller that stops waiting
    /// (its request was dropped) takes its job out of the queue: the work is not done.
    async fn run<T: Send + 'static>(
        &self, work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |memory| {
            if !answer.is_closed() {
                let _ = answer.send(span.in_scope(|| work(memory)));
            }
        });
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the hashing threads have stopped"))?;
        answered.await.map_err(|_| anyhow::anyhow!("a hashing thread failed during a hash"))
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let pw = password.expose().to_owned();
        self.run(move |_| hash_blocking(&pw)).await?
    }

    /// Whether `password` matches `stored`; with no stored hash it verifies against the decoy and answers false.
    pub async fn verify(&self, password: &Password, stored: Option<String>) -> anyhow::Result<bool> {
        let pw = password.expose().to_owned();
        let (phc, real) = match stored {
            Some(h) => (h, true),
            None => (self.decoy.as_str().to_owned(), false),
        };
        let ok = self.run(move |memory| verify_in(memory, pw.as_bytes(), &phc)).await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
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
        for (password, phc) in [
            ("correct horse", &stored),
            ("battery staple", &stored),
            ("battery staple", &other),
            ("correct horse", &stored),
        ] {
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
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(4096, 2, 2, None).unwrap())
            .hash_password(b"pw-i")
            .unwrap()
            .to_string();
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
        for bad in
            ["", "plain text", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ", "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA"]
        {
            assert!(!verify_in(&mut memory, b"anything", bad), "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_verifications_answer_each_their_own() {
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
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_its_caller_not_the_thread() {
        let hasher = Hasher::new(1).unwrap();
        let failed = hasher.run(|_| -> bool { panic!("boom") }).await;
        assert!(failed.is_err());
        let password = Password::new("still works".to_owned());
        let stored = hasher.hash(&password).await.unwrap();
        assert!(hasher.verify(&password, Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_takes_its_job_out_of_the_queue() {
        let hasher = Hasher::new(1).unwrap();
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        // The one thread is busy until released; a second job waits in the queue.
        let busy = tokio::spawn({
            let h = hasher.clone();
            async move {
                h.run(move |_| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap()
                })
                .await
            }
        });
        tokio::task::spawn_blocking(move || started.recv().unwrap()).await.unwrap();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let ran = ran.clone();
            let mut queued = Box::pin(hasher.run(move |_| ran.store(true, std::sync::atomic::Ordering::SeqCst)));
            // Polled once, the job is in the queue and the caller waits for its answer; then it gives up.
            std::future::poll_fn(|cx| {
                assert!(queued.as_mut().poll(cx).is_pending());
                std::task::Poll::Ready(())
            })
            .await;
        }
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        // The thread took the dropped job after the busy one and skipped it.
        hasher.run(|_| ()).await.unwrap();
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }
}
