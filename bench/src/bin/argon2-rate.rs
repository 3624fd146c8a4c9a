//! Raw Argon2id verification rate with the server's parameters (crates/app/src/hashing.rs):
//! Argon2id v0x13, m = 19 MiB, t = 2, p = 1, against a PHC string made with a random salt.
//!
//! Usage: `argon2-rate [SECONDS] [THREADS]` (defaults: 5 seconds; all available threads).
//! Three ways of verifying, each once on 1 thread, then once on THREADS threads:
//! - `verify`: argon2 0.6's `PasswordVerifier::verify_password`, the crate's own API, which
//!   allocates (and the kernel faults in) a fresh zeroed 19 MiB block for every call. This is
//!   the ceiling the server's figures are held against.
//! - `reuse`: argon2 0.6's `hash_password_into_with_memory` into a block each thread keeps, and a
//!   constant-time comparison: what the server does since issue 12.
//! - `v05`: argon2 0.5's `verify_password`, to compare the two releases on this machine.
//!
//! The last line is machine-readable:
//! `ARGON2 verify1=<v/s> verify1_ms=<ms> verifyN=<v/s> reuse1=… reuse1_ms=… reuseN=… v05_1=… v05_1_ms=… v05_N=… n=<N>`
//! (`threads1`/`threadsN` repeat `verify1`/`verifyN` for older scripts).

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const M_KIB: u32 = 19 * 1024;
const PASSWORD: &[u8] = b"correct-horse-battery-staple-42";

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(2);
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_KIB, 2, 1, None).unwrap_or_else(|e| fail("argon2 params", e));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone, Copy)]
enum Mode {
    Verify,
    Reuse,
    V05,
}

/// One verifier per thread: what it keeps between calls.
struct Verifier {
    mode: Mode,
    phc: String,
    block: Vec<Block>,
}

impl Verifier {
    fn new(mode: Mode, phc: &str) -> Self {
        let block = match mode {
            Mode::Reuse => vec![Block::new(); M_KIB as usize],
            _ => Vec::new(),
        };
        Self { mode, phc: phc.to_owned(), block }
    }

    fn verify(&mut self) -> bool {
        match self.mode {
            Mode::Verify => argon2().verify_password(PASSWORD, self.phc.as_str()).is_ok(),
            Mode::V05 => {
                use argon2_05::PasswordVerifier as _;
                let a = argon2_05::Argon2::new(
                    argon2_05::Algorithm::Argon2id,
                    argon2_05::Version::V0x13,
                    argon2_05::Params::new(M_KIB, 2, 1, None).unwrap_or_else(|e| fail("argon2 0.5 params", e)),
                );
                let parsed = argon2_05::PasswordHash::new(&self.phc).unwrap_or_else(|e| fail("phc", e));
                a.verify_password(PASSWORD, &parsed).is_ok()
            }
            Mode::Reuse => {
                let parsed = PasswordHash::new(&self.phc).unwrap_or_else(|e| fail("phc", e));
                let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { fail("phc", "no salt or hash") };
                let mut out = [0u8; 64];
                let out = &mut out[..expected.len()];
                if let Err(e) = argon2().hash_password_into_with_memory(PASSWORD, salt.as_ref(), out, &mut self.block[..]) {
                    fail("argon2", e);
                }
                Output::new(out).is_ok_and(|o| o == *expected)
            }
        }
    }
}

/// Verifies on `threads` threads for `secs` seconds; answers (verifications, elapsed seconds).
fn run(mode: Mode, phc: &str, threads: usize, secs: f64) -> (u64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, count) = (stop.clone(), count.clone());
            let mut v = Verifier::new(mode, phc);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if !std::hint::black_box(v.verify()) {
                        fail("verify", "the right password did not verify");
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    // Verifications still in flight when the flag was set finish and count; time them too.
    (count.load(Ordering::Relaxed), start.elapsed().as_secs_f64())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let all = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(all).max(1);

    let phc = argon2().hash_password(PASSWORD).unwrap_or_else(|e| fail("argon2 hash", e)).to_string();
    let mut line = String::from("ARGON2");
    for (mode, name, label) in [
        (Mode::Verify, "verify", "argon2 0.6 verify_password (fresh block per call)"),
        (Mode::Reuse, "reuse", "argon2 0.6 into a block the thread keeps"),
        (Mode::V05, "v05", "argon2 0.5 verify_password (fresh block per call)"),
    ] {
        // Warm up (page in the blocks once) so the first timed verification is not an outlier.
        Verifier::new(mode, &phc).verify();
        let (n1, t1) = run(mode, &phc, 1, secs);
        let r1 = n1 as f64 / t1;
        let (nn, tn) = run(mode, &phc, threads, secs);
        let rn = nn as f64 / tn;
        println!(
            "{label}: 1 thread {r1:.1}/s ({:.2} ms each); {threads} threads {rn:.1}/s ({:.2}x one thread)",
            1000.0 / r1,
            rn / r1
        );
        let sep = if name == "v05" { "_" } else { "" };
        line += &format!(" {name}{sep}1={r1:.1} {name}{sep}1_ms={:.3} {name}{sep}N={rn:.1}", 1000.0 / r1);
        if name == "verify" {
            line += &format!(" threads1={r1:.1} threadsN={rn:.1}");
        }
    }
    println!("{line} n={threads}");
    ExitCode::SUCCESS
}
