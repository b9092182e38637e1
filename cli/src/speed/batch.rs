//! The batch rows of `eseal speed`: `Verifier::verify_many` on N threads beside the same
//! on one thread, over licence QR strings (SM2) and small sealed PDFs (P-256).

use std::time::{Duration, SystemTime};

use eseal::crypto::Algorithm;
use eseal::{Indication, Result, Verifier};

use super::{LicenceFixture, Measurement, PdfFixture, pair};

const QR_ROWS: &str = "batch verify, licence QR";
const PDF_ROWS: &str = "batch verify, sealed PDF";
const BASELINE: &str = "the same, 1 thread";

/// Inputs of one measured call, a few dozen per thread so that every thread stays busy.
const QR_BATCH: usize = 256;
const PDF_BATCH: usize = 64;

/// The rows whose name `want`s: each N-thread figure (2, and every core when there are
/// more) beside the 1-thread one, in inputs per second.
pub(super) fn rows(budget: Duration, want: &dyn Fn(&str) -> bool) -> Result<Vec<Measurement>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let counts: Vec<usize> = if cores > 2 { vec![2, cores] } else { vec![2] };
    let wanted = |what: &str| -> Vec<usize> {
        counts
            .iter()
            .copied()
            .filter(|&n| want(&row_name(what, n)))
            .collect()
    };
    let mut out = Vec::new();
    let threads = wanted(QR_ROWS);
    if !threads.is_empty() {
        let fixture = LicenceFixture::new(Algorithm::Sm2Sm3)?;
        let [root, list, token] = &fixture.c_inputs;
        let mut verifier = Verifier::new();
        verifier.add_anchors(root)?;
        verifier.add_trust_list(list, SystemTime::now())?;
        verifier.add_status_list(token)?;
        let inputs = vec![fixture.qr.as_bytes(); QR_BATCH];
        out.extend(measure(QR_ROWS, &threads, &verifier, &inputs, budget)?);
    }
    let threads = wanted(PDF_ROWS);
    if !threads.is_empty() {
        let fixture = PdfFixture::new(0)?;
        let mut verifier = Verifier::new();
        for anchor in fixture.store.anchors() {
            verifier.add_anchor(anchor.clone())?;
        }
        let inputs = vec![&fixture.sealed[..]; PDF_BATCH];
        out.extend(measure(PDF_ROWS, &threads, &verifier, &inputs, budget)?);
    }
    Ok(out)
}

fn row_name(what: &str, threads: usize) -> String {
    format!("{what}, {threads} threads")
}

/// `verify_many` over `inputs` in a pool of each of `threads` beside a pool of one
/// thread; every input must be TOTAL-PASSED.
fn measure(
    what: &str,
    threads: &[usize],
    verifier: &Verifier,
    inputs: &[&[u8]],
    budget: Duration,
) -> Result<Vec<Measurement>> {
    let all_passed = |pool: &rayon::ThreadPool| {
        pool.install(|| verifier.verify_many(inputs, SystemTime::now()))
            .iter()
            .all(|r| {
                r.as_ref()
                    .is_ok_and(|r| r.indication() == Some(Indication::TotalPassed))
            })
    };
    let one = pool(1)?;
    let mut out = Vec::new();
    for &n in threads {
        let many = pool(n)?;
        let mut m = pair(
            &row_name(what, n),
            BASELINE,
            budget,
            || all_passed(&many),
            || all_passed(&one),
        )?;
        m.ops_per_sec *= inputs.len() as f64;
        m.baseline_ops_per_sec *= inputs.len() as f64;
        out.push(m);
    }
    Ok(out)
}

fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| eseal::Error::Invalid(format!("cannot start {threads} threads: {e}")))
}
