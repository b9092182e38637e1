//! Verification throughput beside the bare primitives, measured in one run by `eseal speed`:
//! `cargo bench --bench verify` (set ESEAL_BENCH_SECONDS to spend more per pair).

use std::process::Command;

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
    let status = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(["speed", "--seconds", &seconds.to_string()])
        .status()
        .expect("eseal speed runs");
    assert!(status.success(), "eseal speed: {status}");
}
