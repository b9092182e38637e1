//! `eseal verify --report FILE`: the printable verification report beside the normal
//! output, for a file, standard input and a licence QR string, read back with poppler's
//! pdftotext.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::cli::{code, eseal, p, stderr};
use common::{assert_says, pdf_text};
use sha2::{Digest, Sha256};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../test-vectors/pdf/p256");
const AT: &str = "2026-11-15T00:00:00Z";

fn vector(name: &str) -> String {
    format!("{VECTORS}/{name}")
}

/// `eseal verify INPUT` against the P-256 vectors' root and CRL as of [`AT`], with `extra`.
fn verify_args(input: &str, extra: &[&str]) -> Vec<String> {
    let (root, crl) = (vector("root.pem"), vector("root.crl.pem"));
    let args = ["verify", input, "--trust", &root, "--crl", &crl, "--at", AT];
    args.iter().chain(extra).map(|a| a.to_string()).collect()
}

fn run(args: &[String]) -> Output {
    eseal(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn the_report_of_a_file_says_its_verdict_name_and_digest() {
    let d = tempfile::tempdir().unwrap();
    for (file, exit, verdict) in [
        ("sealed.pdf", 0, "验证通过"),
        ("tampered.pdf", 2, "验证失败"),
    ] {
        let out_pdf = p(d.path(), &format!("{file}.report.pdf"));
        let out = run(&verify_args(&vector(file), &["--report", &out_pdf]));
        assert_eq!(code(&out), exit, "{file}: {}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.contains("verified as of 2026-11-15T00:00:00Z"),
            "{stdout}"
        );
        let bytes = std::fs::read(vector(file)).unwrap();
        let size = format!("{} 字节", bytes.len());
        let text = pdf_text(Path::new(&out_pdf));
        assert_says(
            &text,
            &[verdict, file, &size, &hex::encode(Sha256::digest(&bytes))],
        );
    }
    let text = pdf_text(&d.path().join("tampered.pdf.report.pdf"));
    assert_says(&text, &["DIGEST_MISMATCH", "2026-11-15T00:00:00Z"]);
}

#[test]
fn the_report_of_standard_input_and_of_a_qr_string() {
    let d = tempfile::tempdir().unwrap();
    let report = p(d.path(), "stdin.pdf");
    let bytes = std::fs::read(vector("sealed.pdf")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(verify_args("-", &["--report", &report, "--json"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");
    let text = pdf_text(Path::new(&report));
    assert_says(&text, &["验证通过", &hex::encode(Sha256::digest(&bytes))]);
    assert!(
        !text.contains("名称"),
        "standard input has no name:\n{text}"
    );

    // A QR string that does not decode is a verdict, reported like any other.
    let qr = "ZZ1:NOT-BASE45!";
    let report = p(d.path(), "qr.pdf");
    let out = eseal(&["verify", qr, "--at", AT, "--report", &report]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let text = pdf_text(Path::new(&report));
    let size = format!("{} 字节", qr.len());
    let digest = hex::encode(Sha256::digest(qr.as_bytes()));
    assert_says(
        &text,
        &["验证失败", "licence QR", &size, &digest, "LICENCE_FORMAT"],
    );
}

#[test]
fn without_the_font_no_report_is_written_and_the_command_fails() {
    let d = tempfile::tempdir().unwrap();
    let report = d.path().join("report.pdf");
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(verify_args(
            &vector("sealed.pdf"),
            &["--report", report.to_str().unwrap()],
        ))
        .env("ESEAL_CJK_FONT", d.path().join("no-such-font.ttf"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 64);
    assert!(
        stderr(&out).contains("CJK font not found"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}
