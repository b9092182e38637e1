//! Batch verification on every core: `Verifier::verify_many` over 10,000 licence QR
//! strings (SM2, each a different licence of one office, status looked up in its list) and
//! over 1,000 sealed PDFs (eight distinct one-page documents with a visible e-seal, P-256,
//! and again SM2, whose chains go through the process-wide cache of prepared keys), in a
//! rayon pool of 1 thread, of 2 and of every core when there are more, beside bare SHA-256
//! of 10,000 blocks of 16 KiB in the same pools, which tells how far the machine lets
//! threads scale at the time: `cargo bench --bench batch_verify` (ESEAL_BENCH_ROUNDS
//! rounds, default 5; in each the pools take their turn on the same inputs, so that a
//! machine busy with something else slows them alike; the best round of each is shown).
//! The goal is at least 1.8× the 1-thread rate on 2 threads. The CPU time per item (all
//! threads of the process) tells a busy machine from contention: with fewer free cores
//! than threads the rate stops growing but the CPU time per item stays; threads that fight
//! over shared memory make it grow.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Instant, SystemTime};

use rayon::iter::{IntoParallelRefIterator, ParallelIterator};

use eseal::Verifier;
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::sample;
use eseal::report::Indication;

const GOAL: f64 = 1.8;

fn main() {
    // `cargo test --benches` runs this too; keep that quick.
    let bench = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("ESEAL_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let (qr_count, pdf_count, block_count, rounds) = if bench {
        (10_000, 1_000, 10_000, rounds)
    } else {
        (64, 16, 64, 1)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = vec![1, 2];
    if cores > 2 {
        threads.push(cores);
    }
    let pools: Vec<rayon::ThreadPool> = threads
        .iter()
        .map(|&n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("a thread pool")
        })
        .collect();

    let mut verifier = Verifier::new();
    let now = SystemTime::now();
    let qrs = licence_qrs(&mut verifier, qr_count, now);
    let distinct = [
        sealed_pdfs(&mut verifier, Algorithm::EcdsaP256Sha256),
        sealed_pdfs(&mut verifier, Algorithm::Sm2Sm3),
    ];
    let [p256, sm2] = distinct.each_ref().map(|distinct| -> Vec<&[u8]> {
        (0..pdf_count)
            .map(|i| &distinct[i % distinct.len()][..])
            .collect()
    });

    let block: Vec<u8> = (0..16 << 10).map(|i: u32| (i * 7) as u8).collect();
    let blocks = vec![&block[..]; block_count];

    println!(
        "Verifier::verify_many, {cores} cores, best of {rounds} rounds (the pools take turns \
         in each)"
    );
    println!(
        "{:<44} {:>8} {:>12} {:>10} {:>14}",
        "inputs", "threads", "items/s", "× 1 thread", "CPU µs/item"
    );
    let labels = [
        format!("{qr_count} licence QR strings, SM2"),
        format!("{pdf_count} sealed PDFs, P-256"),
        format!("{pdf_count} sealed PDFs, SM2"),
        format!("{block_count} × SHA-256 of 16 KiB, bare"),
    ];
    let mut best = vec![vec![Rate::default(); pools.len()]; labels.len()];
    for round in 0..rounds {
        for p in 0..pools.len() {
            // Alternate which pool goes first from one round to the next.
            let p = if round % 2 == 0 {
                p
            } else {
                pools.len() - 1 - p
            };
            let rates = [
                measure(&pools[p], qrs.len(), || all_passed(&verifier, &qrs, now)),
                measure(&pools[p], p256.len(), || all_passed(&verifier, &p256, now)),
                measure(&pools[p], sm2.len(), || all_passed(&verifier, &sm2, now)),
                measure(&pools[p], blocks.len(), || sha256_each(&blocks)),
            ];
            for (best, rate) in best.iter_mut().zip(rates) {
                best[p] = best[p].best(rate);
            }
        }
    }
    let mut ratios = Vec::new();
    for (label, rates) in labels.iter().zip(&best) {
        for (n, rate) in threads.iter().zip(rates) {
            let (per_sec, cpu) = (rate.per_sec, rate.cpu_us);
            let ratio = per_sec / rates[0].per_sec;
            println!("{label:<44} {n:>8} {per_sec:>12.0} {ratio:>10.2} {cpu:>14.1}");
        }
        ratios.push((label, rates[1].per_sec / rates[0].per_sec));
    }
    if bench {
        for &(label, ratio) in &ratios[..3] {
            let verdict = if ratio >= GOAL { "met" } else { "NOT met" };
            println!("{label}: 2 threads / 1 = {ratio:.2}, goal ≥ {GOAL}: {verdict}");
        }
    }
}

/// What one run of a workload gave.
#[derive(Clone, Copy, Default)]
struct Rate {
    /// Items per second of wall time.
    per_sec: f64,
    /// CPU time of the process (every thread, user and system) per item, microseconds.
    cpu_us: f64,
}

impl Rate {
    /// The faster of two runs.
    fn best(self, other: Rate) -> Rate {
        if other.per_sec > self.per_sec {
            other
        } else {
            self
        }
    }
}

/// Runs `work` over `items` items in `pool`.
fn measure(pool: &rayon::ThreadPool, items: usize, work: impl FnOnce() + Send) -> Rate {
    let (start, cpu) = (Instant::now(), cpu_seconds());
    pool.install(work);
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    Rate {
        per_sec: items as f64 / seconds,
        cpu_us: cpu * 1e6 / items as f64,
    }
}

/// The user and system CPU time of the process so far, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct, which
    // getrusage fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a writable `rusage`.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(status, 0, "getrusage");
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// `verify_many` over `inputs` on the current pool; every input must be TOTAL-PASSED.
fn all_passed<I: AsRef<[u8]> + Sync>(verifier: &Verifier, inputs: &[I], at: SystemTime) {
    for result in verifier.verify_many(black_box(inputs), at) {
        let report = result.expect("verifies");
        assert_eq!(report.indication(), Some(Indication::TotalPassed));
    }
}

/// SHA-256 of each of `blocks` on the current pool.
fn sha256_each(blocks: &[&[u8]]) {
    let digests: Vec<ring::digest::Digest> = black_box(blocks)
        .par_iter()
        .map(|block| ring::digest::digest(&ring::digest::SHA256, block))
        .collect();
    assert_eq!(black_box(digests).len(), blocks.len());
}

/// Eight one-page PDFs, each sealed with a visible e-seal by a new office of
/// `algorithm`, whose root `verifier` then trusts.
fn sealed_pdfs(verifier: &mut Verifier, algorithm: Algorithm) -> Vec<Vec<u8>> {
    let office = common::PdfOffice::new(algorithm);
    verifier
        .add_anchor(office.hierarchy.root.clone())
        .expect("the PDF root");
    (0..8).map(|_| office.sealed_pdf()).collect()
}

/// `count` licence QR strings of the sample business licence (different numbers, each its
/// own status-list entry), signed by an SM2 office that `verifier` then trusts through a
/// trust list and whose status list it holds.
fn licence_qrs(verifier: &mut Verifier, count: usize, now: SystemTime) -> Vec<String> {
    let key = SoftwareKey::generate(Algorithm::Sm2Sm3).expect("key");
    let office = sample::SignedOffice::new(key, Algorithm::Sm2Sm3, count, now).expect("office");
    verifier
        .add_anchor(office.root.clone())
        .expect("the licence root");
    verifier
        .add_trust_list(&office.trust_list, now)
        .expect("trust list");
    verifier
        .add_status_list(&office.status_list)
        .expect("status list");
    (0..count)
        .map(|n| office.qr(n as u32, n as u64, now).expect("QR"))
        .collect()
}
