//! Verification throughput beside the bare primitives, measured in one run:
//! `cargo bench --bench verify` (set ESEAL_BENCH_SECONDS to spend more per pair).

use std::time::Duration;

fn main() {
    let seconds: f64 = std::env::var("ESEAL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    // `cargo test --benches` runs this too; keep that quick.
    let seconds = if std::env::args().any(|a| a == "--bench") {
        seconds
    } else {
        0.05
    };
    let measurements =
        eseal::speed::run(Duration::from_secs_f64(seconds)).expect("measurements run");
    print!("{}", eseal::speed::table(&measurements));
}
