//! `eseal verify` of a 20 MB sealed PDF as a whole process, beside poppler's `pdfsig` and
//! `openssl dgst -sha256` (hashing the file once) on the same file, with peak memory:
//! `cargo bench --bench pdf_process` (ESEAL_BENCH_RUNS sets the runs per tool, default 15).
//! Medians of alternating runs; read the ratios, the machine is shared.

mod common;

use common::{median, run};
use std::path::Path;
use std::process::Command;

use eseal::crypto::SoftwareKey;
use eseal::pdf::PdfSealOptions;
use eseal::pki::read_certificates;

/// The size of the sealed PDF, as `eseal speed` measures it.
const PDF_BYTES: usize = 20 << 20;

fn main() {
    let runs: usize = std::env::var("ESEAL_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let runs = if std::env::args().any(|a| a == "--bench") {
        runs
    } else {
        1
    };
    // The reference set-up of PDF.md §5: the interop harness's PKI (pdfsig trusts its root
    // through the harness NSS database and asks its OCSP responder on loopback).
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let h = Path::new(&home).join(".cache/eseal-interop");
    assert!(h.join(".ready").exists(), "run scripts/setup.sh first");
    let _ = Command::new(h.join("services.sh")).arg("start").output();
    let pem = |name: &str| std::fs::read(h.join("pki").join(name)).expect("harness PKI");
    let key = SoftwareKey::from_pem(&String::from_utf8(pem("ec-signer.key")).unwrap(), None)
        .expect("harness key");
    let certificate = read_certificates(&pem("ec-signer.pem"))
        .expect("cert")
        .remove(0);
    let chain = read_certificates(&pem("intermediate.pem")).expect("chain");
    let mut options = PdfSealOptions::new(&key, &certificate);
    options.chain = &chain;
    let original = eseal::pdf::sample::plain_pdf(&["eseal bench"], PDF_BYTES);
    let sealed = eseal::pdf::seal_pdf(original, &options).expect("seal");

    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = dir.path().join("sealed-20mb.pdf");
    std::fs::write(&pdf, &sealed).expect("write");
    let pdf_arg = pdf.to_str().expect("utf-8 path");
    let root = h.join("pki/root.pem");
    let crl = h.join("pki/crl/intermediate.crl");
    let nss = format!("sql:{}", h.join("pki/nssdb").display());
    let eseal = env!("CARGO_BIN_EXE_eseal");
    let tools: [(&str, Vec<&str>); 3] = [
        (
            "eseal verify (CRL)",
            vec![
                eseal,
                "verify",
                pdf_arg,
                "--trust",
                root.to_str().unwrap(),
                "--crl",
                crl.to_str().unwrap(),
            ],
        ),
        (
            "pdfsig (NSS, OCSP)",
            vec!["pdfsig", "-nssdir", &nss, pdf_arg],
        ),
        (
            "openssl dgst -sha256",
            vec!["openssl", "dgst", "-sha256", pdf_arg],
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); tools.len()];
    let mut peak_kib = vec![0u64; tools.len()];
    for _ in 0..runs {
        for (i, (_, argv)) in tools.iter().enumerate() {
            let (seconds, kib, _) = run(argv);
            times[i].push(seconds);
            peak_kib[i] = peak_kib[i].max(kib);
        }
    }
    let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
    let size_mib = sealed.len() as f64 / (1 << 20) as f64;
    println!("sealed PDF: {size_mib:.1} MiB, {runs} runs each, whole process");
    println!(
        "{:<24} {:>10} {:>12} {:>14}",
        "tool", "median ms", "peak MiB", "time / eseal"
    );
    for (i, (name, _)) in tools.iter().enumerate() {
        println!(
            "{name:<24} {:>10.1} {:>12.1} {:>14.2}",
            medians[i] * 1e3,
            peak_kib[i] as f64 / 1024.0,
            medians[i] / medians[0]
        );
    }
    println!(
        "eseal is {:.1}× faster than pdfsig, takes {:.2}× the time of hashing the file once, \
         peak memory {:.2}× the file size",
        medians[1] / medians[0],
        medians[0] / medians[2],
        peak_kib[0] as f64 / 1024.0 / size_mib
    );
}
