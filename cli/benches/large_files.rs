//! Peak memory and time of `eseal verify`, `eseal pdf seal` and `eseal ofd seal` on large
//! files, each as a whole process beside `openssl dgst` hashing the same file once in the
//! same run: `cargo bench --bench large_files` (ESEAL_BENCH_RUNS sets the runs per tool,
//! default 5). A 20 MB and a 200 MB PDF (the sample document padded with an incompressible
//! stream, sealed with P-256 by `eseal pdf seal`), a 200 MB OFD (the sample with a 200 MB
//! attachment, sealed with SM2 by `eseal ofd seal`, which is timed too), and the inputs
//! `eseal verify` must refuse quickly: `/dev/zero`, a FIFO nobody writes to, a 3 GB sparse
//! file. Medians of alternating runs, peak resident memory from `/usr/bin/time -f %M`; read
//! the ratios, the machine is shared.

mod common;

use common::{median, run};
use std::path::Path;
use std::process::Command;

const MB: usize = 1_000_000;

fn main() {
    let runs: usize = std::env::var("ESEAL_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let runs = if std::env::args().any(|a| a == "--bench") {
        runs
    } else {
        1
    };
    assert!(
        Path::new("/usr/bin/time").exists(),
        "/usr/bin/time is needed (Debian package `time`)"
    );
    let eseal = env!("CARGO_BIN_EXE_eseal");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let path = |name: &str| d.join(name).to_str().expect("utf-8 path").to_string();

    // A P-256 signer for the PDFs (SHA-256, like the openssl baseline).
    must(&[
        eseal,
        "pki",
        "init",
        &path("ca"),
        "--name",
        "Bench Root",
        "--alg",
        "p256",
    ]);
    must(&[
        eseal,
        "pki",
        "issue",
        "--ca",
        &path("ca"),
        "--profile",
        "signer",
        "--name",
        "Bench Signer",
        "--alg",
        "p256",
        "--out",
        &path("signer"),
    ]);
    // The demo's SM2 signer and e-seal for the OFD.
    must(&[eseal, "demo", "--out", &path("demo")]);

    println!("{runs} runs each, whole process; ratios are to `openssl dgst` of the same file");
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "command", "median ms", "× openssl", "peak MiB", "× file"
    );
    for size in [20 * MB, 200 * MB] {
        let plain = path(&format!("plain-{}mb.pdf", size / MB));
        let sealed = path(&format!("sealed-{}mb.pdf", size / MB));
        let resealed = path(&format!("resealed-{}mb.pdf", size / MB));
        std::fs::write(
            &plain,
            eseal::pdf::sample::plain_pdf(&["eseal bench"], size),
        )
        .expect("write");
        let seal = |out: &str| {
            vec![
                eseal.to_string(),
                "pdf".into(),
                "seal".into(),
                "--in".into(),
                plain.clone(),
                "--out".into(),
                out.to_string(),
                "--cert".into(),
                path("signer.pem"),
                "--key".into(),
                path("signer.key"),
            ]
        };
        must(&seal(&sealed).iter().map(String::as_str).collect::<Vec<_>>());
        let trust = path("ca/ca.pem");
        let verify = [eseal, "verify", &sealed, "--trust", &trust];
        assert_eq!(status(&verify), Some(0), "the sealed PDF verifies");
        let seal_argv = seal(&resealed);
        let seal_argv: Vec<&str> = seal_argv.iter().map(String::as_str).collect();
        compare(
            &format!("PDF {} MB", size / MB),
            runs,
            &[
                ("eseal verify", &verify[..]),
                ("eseal pdf seal", &seal_argv),
            ],
            &["openssl", "dgst", "-sha256", &sealed],
            &sealed,
        );
    }

    // Sealed by `eseal ofd seal`, which streams the attachment from the file.
    let plain_ofd = path("plain-200mb.ofd");
    let sealed_ofd = path("sealed-200mb.ofd");
    let resealed_ofd = path("resealed-200mb.ofd");
    std::fs::write(
        &plain_ofd,
        eseal::ofd::sample::plain_ofd(&["eseal bench"], 200 * MB).expect("OFD"),
    )
    .expect("write");
    let (signer_cert, signer_key, e_seal) = (
        path("demo/signer.pem"),
        path("demo/signer.key"),
        path("demo/seal.esl"),
    );
    let ofd_seal = |out: &str| {
        vec![
            eseal.to_string(),
            "ofd".into(),
            "seal".into(),
            "--in".into(),
            plain_ofd.clone(),
            "--out".into(),
            out.to_string(),
            "--cert".into(),
            signer_cert.clone(),
            "--key".into(),
            signer_key.clone(),
            "--seal".into(),
            e_seal.clone(),
        ]
    };
    must(
        &ofd_seal(&sealed_ofd)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let root = path("demo/root.pem");
    let chain = path("demo/office-ca/ca.pem");
    let verify = [
        eseal,
        "verify",
        &sealed_ofd,
        "--trust",
        &root,
        "--chain",
        &chain,
    ];
    assert_eq!(status(&verify), Some(0), "the sealed OFD verifies");
    let seal_argv = ofd_seal(&resealed_ofd);
    let seal_argv: Vec<&str> = seal_argv.iter().map(String::as_str).collect();
    compare(
        "OFD 200 MB (deflated, SM3)",
        runs,
        &[
            ("eseal verify", &verify[..]),
            ("eseal ofd seal", &seal_argv),
        ],
        &["openssl", "dgst", "-sm3", &sealed_ofd],
        &sealed_ofd,
    );

    // Inputs to refuse: each run under `timeout 10`, so that a hang shows as 10 s.
    let fifo = path("fifo");
    must(&["mkfifo", &fifo]);
    let sparse = path("sparse-3gb.pdf");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(3 << 30))
        .expect("sparse file");
    println!("\nrefused inputs (exit code, time, peak memory; 124 = still running after 10 s)");
    for (name, input) in [
        ("/dev/zero", "/dev/zero".to_string()),
        ("a FIFO", fifo),
        ("a 3 GB sparse file", sparse),
    ] {
        let argv = ["timeout", "10", eseal, "verify", &input];
        let (seconds, kib, code) = run(&argv);
        println!(
            "eseal verify {name:<20} exit {code:>4} {:>10.1} ms {:>10.1} MiB",
            seconds * 1e3,
            kib as f64 / 1024.0
        );
    }
}

/// Runs each of `commands` and `baseline` `runs` times, alternating, and prints medians
/// and peaks beside the baseline's.
fn compare(label: &str, runs: usize, commands: &[(&str, &[&str])], baseline: &[&str], file: &str) {
    let size_mib = std::fs::metadata(file).expect("file").len() as f64 / (1 << 20) as f64;
    let mut times = vec![Vec::new(); commands.len() + 1];
    let mut peaks = vec![0u64; commands.len() + 1];
    for _ in 0..runs {
        for (i, argv) in commands
            .iter()
            .map(|(_, a)| *a)
            .chain([baseline])
            .enumerate()
        {
            let (seconds, kib, code) = run(argv);
            assert_eq!(code, 0, "{argv:?} failed");
            times[i].push(seconds);
            peaks[i] = peaks[i].max(kib);
        }
    }
    let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
    let base = medians[commands.len()];
    println!("{label}: {size_mib:.1} MiB");
    let names = commands
        .iter()
        .map(|(n, _)| n.to_string())
        .chain([baseline[..2].join(" ")]);
    for (i, name) in names.enumerate() {
        println!(
            "  {name:<32} {:>10.1} {:>10.2} {:>10.1} {:>10.3}",
            medians[i] * 1e3,
            medians[i] / base,
            peaks[i] as f64 / 1024.0,
            peaks[i] as f64 / 1024.0 / size_mib
        );
    }
}

/// Runs `argv` and fails unless it exits 0.
fn must(argv: &[&str]) {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", argv[0]));
    assert!(
        out.status.success(),
        "{argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The exit code of `argv`.
fn status(argv: &[&str]) -> Option<i32> {
    Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .ok()
        .and_then(|o| o.status.code())
}
