//! What the whole-process benchmarks share: a run measured by `/usr/bin/time`.

use std::process::Command;
use std::time::Instant;

/// Runs `argv` under `/usr/bin/time -f %M`: wall seconds, peak resident KiB, exit code
/// (-1 when killed by a signal).
pub fn run(argv: &[&str]) -> (f64, u64, i32) {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .args(argv)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", argv[0]));
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kib = stderr
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("{}: no peak memory in {stderr}", argv[0]));
    (seconds, kib, out.status.code().unwrap_or(-1))
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
