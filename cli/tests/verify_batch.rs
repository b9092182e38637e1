//! `eseal verify --batch`: a directory of documents or a file of licence QR strings, one
//! JSON line per input in input order, each the verdict `eseal verify` gives it alone.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::cli::{code, eseal, p, stderr};

/// The PDF test vectors' clock (test-vectors/pdf/expected.tsv).
const PDF_AT: &str = "2026-11-15T00:00:00Z";
/// The licence test vectors' clock (test-vectors/licence/cases/*.json).
const LICENCE_AT: &str = "2026-06-02T00:00:00Z";

fn vector(path: &str) -> String {
    common::root()
        .join("test-vectors")
        .join(path)
        .display()
        .to_string()
}

/// The QR string (`PREFIX`) of a licence test vector case.
fn vector_qr(case: &str) -> String {
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(vector(&format!("licence/cases/{case}.json"))).unwrap(),
    )
    .unwrap();
    json["PREFIX"].as_str().unwrap().to_owned()
}

/// The trust options of the PDF vectors.
fn pdf_trust() -> Vec<String> {
    [
        "--trust".into(),
        vector("pdf/p256/root.pem"),
        "--crl".into(),
        vector("pdf/p256/root.crl.pem"),
    ]
    .to_vec()
}

/// The trust options of the licence vectors, as of their clock.
fn licence_trust() -> Vec<String> {
    [
        "--trust".into(),
        vector("licence/root.pem"),
        "--trust-list".into(),
        vector("licence/trust-list.cwt"),
        "--status-list".into(),
        vector("licence/status-list.cwt"),
        "--at".into(),
        LICENCE_AT.into(),
    ]
    .to_vec()
}

/// Runs `eseal` with `args` and `input` on its standard input.
fn eseal_with_stdin(args: &[&str], input: Vec<u8>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the eseal binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// The JSON lines a run printed.
fn lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Each line as `input indication sub_indication reason`, or `input error CODE`.
fn verdicts(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|line| match line.get("error") {
            Some(error) => format!("{} error {}", line["input"], error["code"]),
            None => format!(
                "{} {} {} {}",
                line["input"], line["indication"], line["sub_indication"], line["reason"]
            ),
        })
        .collect()
}

/// `eseal verify INPUT --json` with `options`: its exit code and report.
fn verify_one(input: &str, options: &[String]) -> (i32, serde_json::Value) {
    let mut args = vec!["verify", input, "--json"];
    args.extend(options.iter().map(String::as_str));
    let out = eseal(&args);
    (code(&out), serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn a_directory_gives_a_line_per_file_in_name_order_as_verified_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(vector("pdf/p256/tampered.pdf"), d.join("b-tampered.pdf")).unwrap();
    std::fs::copy(vector("pdf/p256/sealed.pdf"), d.join("a-sealed.pdf")).unwrap();
    std::fs::write(d.join("c-garbage.bin"), b"neither a document nor a licence").unwrap();
    // Neither hidden files nor subdirectories are inputs.
    std::fs::copy(vector("pdf/p256/tampered.pdf"), d.join(".hidden.pdf")).unwrap();
    std::fs::create_dir(d.join("d-folder")).unwrap();
    std::fs::copy(vector("pdf/p256/tampered.pdf"), d.join("d-folder/e.pdf")).unwrap();

    let mut args = vec!["verify", "--batch", d.to_str().unwrap(), "--at", PDF_AT];
    let trust = pdf_trust();
    args.extend(trust.iter().map(String::as_str));
    let out = eseal(&args);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let lines = lines(&out.stdout);
    assert_eq!(
        verdicts(&lines),
        [
            r#""a-sealed.pdf" "TOTAL-PASSED" null null"#,
            r#""b-tampered.pdf" "TOTAL-FAILED" "HASH_FAILURE" "DIGEST_MISMATCH""#,
            r#""c-garbage.bin" error "unreadable_input""#,
        ]
    );
    for (line, name, exit) in [
        (&lines[0], "a-sealed.pdf", 0),
        (&lines[1], "b-tampered.pdf", 2),
    ] {
        let options = [&trust[..], &["--at".into(), PDF_AT.into()]].concat();
        assert_eq!(
            verify_one(&p(d, name), &options),
            (exit, line["report"].clone())
        );
    }
    let garbage = p(d, "c-garbage.bin");
    let mut alone = vec!["verify", &garbage[..]];
    alone.extend(trust.iter().map(String::as_str));
    let alone = eseal(&alone);
    assert_eq!(code(&alone), 65);
    assert_eq!(
        format!(
            "eseal: {}\n",
            lines[2]["error"]["message"].as_str().unwrap()
        ),
        stderr(&alone)
    );
    assert_eq!(
        stderr(&out),
        "eseal: 3 inputs: 1 TOTAL-PASSED, 0 INDETERMINATE, 1 TOTAL-FAILED, 0 nothing signed, \
         1 not verified\n"
    );
}

#[test]
fn licence_qr_lines_from_standard_input_in_order_as_verified_alone() {
    let (good, revoked, malformed) = (
        vector_qr("es256-business"),
        vector_qr("es256-revoked"),
        vector_qr("bad-base45"),
    );
    let mut input = Vec::new();
    for line in [
        format!("{good}\n"),
        "\n".into(),
        format!("{revoked}\r\n"),
        "  \t \r\n".into(),
        format!("{malformed}\n"),
        "not a licence\n".into(),
        format!("ZZ1:{}\n", "A".repeat(1 << 20)),
    ] {
        input.extend_from_slice(line.as_bytes());
    }
    input.extend_from_slice(b"ZZ1:\xff\xfe\n");
    input.extend_from_slice(good.as_bytes());

    let trust = licence_trust();
    let mut args = vec!["verify", "--batch", "-"];
    args.extend(trust.iter().map(String::as_str));
    let out = eseal_with_stdin(&args, input);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let lines = lines(&out.stdout);
    assert_eq!(
        verdicts(&lines),
        [
            r#"1 "TOTAL-PASSED" null null"#,
            r#"3 "TOTAL-FAILED" "REVOKED" "LICENCE_REVOKED""#,
            r#"5 "TOTAL-FAILED" "FORMAT_FAILURE" "LICENCE_FORMAT""#,
            r#"6 "TOTAL-FAILED" "FORMAT_FAILURE" "LICENCE_FORMAT""#,
            r#"7 error "unreadable_input""#,
            r#"8 error "unreadable_input""#,
            r#"9 "TOTAL-PASSED" null null"#,
        ]
    );
    assert_eq!(
        lines[4]["error"]["message"],
        format!(
            "line is too large: {} bytes, the limit is {}",
            4 + (1 << 20),
            1 << 20
        )
    );
    assert_eq!(
        lines[5]["error"]["message"],
        "malformed licence QR string: not UTF-8"
    );
    for (line, qr, exit) in [
        (&lines[0], &good, 0),
        (&lines[1], &revoked, 2),
        (&lines[2], &malformed, 2),
        (&lines[6], &good, 0),
    ] {
        assert_eq!(verify_one(qr, &trust), (exit, line["report"].clone()));
    }
}

#[test]
fn the_exit_code_is_that_of_the_worst_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let docs = d.join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::copy(vector("pdf/p256/sealed.pdf"), docs.join("sealed.pdf")).unwrap();
    let batch = |at: &str| {
        let mut args = vec!["verify", "--batch", docs.to_str().unwrap(), "--at", at];
        let trust = pdf_trust();
        args.extend(trust.iter().map(String::as_str));
        let out = eseal(&args);
        (code(&out), verdicts(&lines(&out.stdout)))
    };
    assert_eq!(
        batch(PDF_AT),
        (
            0,
            vec![r#""sealed.pdf" "TOTAL-PASSED" null null"#.to_string()]
        )
    );
    assert_eq!(
        batch("2031-06-01T00:00:00Z"),
        (
            1,
            vec![
                r#""sealed.pdf" "INDETERMINATE" "OUT_OF_BOUNDS_NO_POE" "CERTIFICATE_EXPIRED""#
                    .to_string()
            ]
        )
    );

    std::fs::write(
        d.join("qr.txt"),
        format!(
            "{}\n{}\n",
            vector_qr("es256-business"),
            vector_qr("es256-unknown-signer")
        ),
    )
    .unwrap();
    let qr_file = p(d, "qr.txt");
    let mut args = vec!["verify", "--batch", &qr_file[..]];
    let trust = licence_trust();
    args.extend(trust.iter().map(String::as_str));
    let out = eseal(&args);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        verdicts(&lines(&out.stdout)),
        [
            r#"1 "TOTAL-PASSED" null null"#,
            r#"2 "INDETERMINATE" "NO_SIGNING_CERTIFICATE_FOUND" "UNKNOWN_SIGNER""#,
        ]
    );

    std::fs::create_dir(d.join("empty")).unwrap();
    let out = eseal(&["verify", "--batch", &p(d, "empty")]);
    assert_eq!((code(&out), out.stdout.len()), (0, 0));
}

#[test]
fn the_order_holds_over_many_chunks_and_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let qrs = [
        vector_qr("es256-business"),
        vector_qr("es256-revoked"),
        vector_qr("bad-zlib"),
    ];
    // More lines than the threads are handed at once (64 per thread), in no regular order.
    let count = 300;
    let kind = |i: usize| (i * 7 + i / 5) % 3;
    let text: String = (0..count).map(|i| format!("{}\n", qrs[kind(i)])).collect();
    let path = p(dir.path(), "qr.txt");
    std::fs::write(&path, text).unwrap();
    let run = |threads: Option<&str>| {
        let mut args = vec!["verify", "--batch", &path[..]];
        if let Some(n) = threads {
            args.extend(["--threads", n]);
        }
        let trust = licence_trust();
        args.extend(trust.iter().map(String::as_str));
        let out = eseal(&args);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        out.stdout
    };
    let by_default = run(None);
    assert_eq!(run(Some("1")), by_default);
    assert_eq!(run(Some("3")), by_default);
    let expected: Vec<String> = (0..count)
        .map(|i| {
            let (indication, sub, reason) = match kind(i) {
                0 => ("TOTAL-PASSED", "null", "null"),
                1 => ("TOTAL-FAILED", "\"REVOKED\"", "\"LICENCE_REVOKED\""),
                _ => ("TOTAL-FAILED", "\"FORMAT_FAILURE\"", "\"LICENCE_FORMAT\""),
            };
            format!("{} \"{indication}\" {sub} {reason}", i + 1)
        })
        .collect();
    assert_eq!(verdicts(&lines(&by_default)), expected);
}

#[test]
fn usage_errors_exit_64_and_missing_inputs_65() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let qr_file = p(d, "qr.txt");
    std::fs::write(&qr_file, vector_qr("es256-business")).unwrap();
    let dir_arg = d.to_str().unwrap();
    for (args, exit, says) in [
        (vec!["verify"], 64, "required"),
        (
            vec!["verify", "--batch", dir_arg, &qr_file],
            64,
            "cannot be used with",
        ),
        (
            vec!["verify", "--batch", dir_arg, "--threads", "0"],
            64,
            "--threads",
        ),
        (
            vec!["verify", &qr_file, "--threads", "2"],
            64,
            "cannot be used with",
        ),
        (
            vec!["verify", "--batch", dir_arg, "--report", "r.pdf"],
            64,
            "cannot be used with",
        ),
        (
            vec!["verify", "--batch", dir_arg, "--data", &qr_file],
            64,
            "cannot be used with",
        ),
        (
            vec!["verify", "--batch", &qr_file],
            64,
            "eseal: invalid request: the licence QR strings of a --batch file are verified \
             against a --trust-list\n",
        ),
        (
            vec!["verify", "--batch", &p(d, "missing")],
            65,
            "missing: no such file",
        ),
    ] {
        let out = eseal(&args);
        assert_eq!(code(&out), exit, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn standard_input_is_read_once() {
    let root = vector("licence/root.pem");
    let args = [
        "verify",
        "--batch",
        "-",
        "--trust-list",
        "-",
        "--trust",
        &root,
    ];
    let out = eseal_with_stdin(&args, vector_qr("es256-business").into_bytes());
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("standard input (-) can be read once"),
        "{}",
        stderr(&out)
    );
}
