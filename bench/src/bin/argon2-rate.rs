//! Raw Argon2id hash rate with the server's parameters (crates/app/src/hashing.rs):
//! Argon2id v0x13, m = 19 MiB, t = 2, p = 1, a fresh random salt per hash.
//!
//! Usage: `argon2-rate [SECONDS] [THREADS]` (defaults: 5 seconds; all available threads).
//! Runs once on 1 thread, then once on THREADS threads, and prints hashes per second.
//! The last line is machine-readable: `ARGON2 threads1=<h/s> threadsN=<h/s> n=<N>`.

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, Version};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn argon2() -> Argon2<'static> {
    let params = match Params::new(19 * 1024, 2, 1, None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("argon2 params: {e}");
            std::process::exit(2);
        }
    };
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on `threads` threads for `secs` seconds; answers (hashes, elapsed seconds).
fn run(threads: usize, secs: f64) -> (u64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let stop = stop.clone();
            let count = count.clone();
            std::thread::spawn(move || {
                let a = argon2();
                let password = format!("correct horse battery staple {i}");
                while !stop.load(Ordering::Relaxed) {
                    match a.hash_password(password.as_bytes()) {
                        Ok(h) => {
                            std::hint::black_box(h);
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            eprintln!("argon2 hash: {e}");
                            std::process::exit(2);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    // Hashes still in flight when the flag was set finish and count; time them too.
    (count.load(Ordering::Relaxed), start.elapsed().as_secs_f64())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let all = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(all).max(1);

    // Warm up (page in the 19 MiB blocks once) so the first timed hash is not an outlier.
    let _ = argon2().hash_password(b"warm-up");

    let (n1, t1) = run(1, secs);
    let r1 = n1 as f64 / t1;
    println!("argon2id m=19MiB t=2 p=1, 1 thread : {n1:>6} hashes in {t1:.2} s = {r1:>8.1} hashes/s ({:.1} ms/hash)", 1000.0 / r1);
    let (nn, tn) = run(threads, secs);
    let rn = nn as f64 / tn;
    println!("argon2id m=19MiB t=2 p=1, {threads} threads: {nn:>6} hashes in {tn:.2} s = {rn:>8.1} hashes/s ({:.2}x one thread)", rn / r1);
    println!("ARGON2 threads1={r1:.1} threadsN={rn:.1} n={threads}");
    ExitCode::SUCCESS
}
