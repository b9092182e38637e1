//! The Java (JNA) and Go (cgo) bindings in bindings/ verify the artefacts of `eseal demo`
//! through the C library as `make install` lays it out, and give the verdicts of `eseal
//! verify --json`: the same indication, sub-indication and reason codes per signature.
//! scripts/setup.sh installs the JDK, JNA and Go.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use common::cli;

/// The repository: the Makefile and bindings/.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// JNA as Debian's libjna-java installs it.
const JNA: &str = "/usr/share/java/jna.jar";

/// A signature's verdict: kind, indication, sub-indication, reason codes.
type Verdict = (String, String, Option<String>, Vec<String>);

/// An input's verdict: the worst indication and each signature's.
type InputVerdict = (String, Vec<Verdict>);

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?} does not run ({e}): run scripts/setup.sh"))
}

fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// The verdicts of the `signatures` array of a report (the CLI's JSON or a driver's line);
/// a driver's empty sub-indication (Go's zero value) reads as none.
fn verdicts(signatures: &Value) -> Vec<Verdict> {
    let list = signatures.as_array().expect("a signatures array");
    list.iter()
        .map(|s| {
            let reasons = s["reasons"].as_array().expect("a reasons array");
            let code = |r: &Value| text(if r.is_string() { r } else { &r["code"] });
            (
                text(&s["kind"]),
                text(&s["indication"]),
                s["sub_indication"]
                    .as_str()
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned),
                reasons.iter().map(code).collect(),
            )
        })
        .collect()
}

/// `eseal verify --json TARGET` with `trust`: the indication its exit code gives and the
/// verdicts of its report.
fn cli_verdict(target: &str, trust: &[String]) -> InputVerdict {
    let args: Vec<&str> = ["verify", "--json", target]
        .into_iter()
        .chain(trust.iter().map(String::as_str))
        .collect();
    let out = cli::eseal(&args);
    let indication = match cli::code(&out) {
        0 => "TOTAL-PASSED",
        1 => "INDETERMINATE",
        2 => "TOTAL-FAILED",
        3 => "NOTHING-SIGNED",
        code => panic!("eseal {args:?} exited {code}: {}", cli::stderr(&out)),
    };
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    (indication.to_owned(), verdicts(&report["signatures"]))
}

/// A driver's lines, one per target in order: each input's verdict.
fn driver_verdicts(stdout: &str, targets: &[String]) -> Vec<InputVerdict> {
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), targets.len(), "{stdout}");
    lines
        .iter()
        .zip(targets)
        .map(|(line, target)| {
            let label = if target.starts_with("ZZ1:") {
                "QR"
            } else {
                target
            };
            assert_eq!(text(&line["input"]), label, "{line}");
            let signatures = verdicts(&line["signatures"]);
            let all: Vec<String> = signatures.iter().flat_map(|s| s.3.clone()).collect();
            let listed: Vec<String> = line["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(text)
                .collect();
            assert_eq!(
                listed, all,
                "the report's reasons are its signatures' in order"
            );
            (text(&line["indication"]), signatures)
        })
        .collect()
}

/// The Go files `gofmt -l` lists as not formatted.
fn go_fmt() -> String {
    ok(Command::new("gofmt")
        .arg("-l")
        .arg(Path::new(ROOT).join("bindings/go")))
}

/// The two drivers, built against the installed library.
struct Drivers {
    prefix: PathBuf,
    java: PathBuf,
    go: PathBuf,
}

impl Drivers {
    /// `make install` into `dir/prefix` (the Makefile builds the library, with this test's
    /// features), then the Java
    /// binding with its build script and the Go binding with `go vet` and `go build`, with
    /// Go's caches in `dir`.
    fn build(dir: &Path) -> Self {
        let prefix = dir.join("prefix");
        let mut make = Command::new("make");
        make.arg("-C")
            .arg(ROOT)
            .arg("--no-print-directory")
            .arg("install")
            .arg(format!("PREFIX={}", prefix.display()))
            .arg("PROFILE=debug")
            .arg(if cfg!(feature = "pkcs11") {
                "CARGO_FLAGS=--features=eseal-ffi/pkcs11"
            } else {
                "CARGO_FLAGS="
            });
        // What cargo sets for this test's run is not the build's environment (a build script
        // that reads CARGO_MANIFEST_DIR would run again).
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
            {
                make.env_remove(name.as_ref());
            }
        }
        ok(&mut make);
        let java = dir.join("java");
        ok(Command::new("sh")
            .arg(Path::new(ROOT).join("bindings/java/build.sh"))
            .arg(&java)
            .env("JNA_JAR", JNA));
        let go_bin = dir.join("verifydemo");
        let go = |args: &[&str]| {
            ok(Command::new("go")
                .args(args)
                .current_dir(Path::new(ROOT).join("bindings/go"))
                .env("GOCACHE", dir.join("go/cache"))
                .env("GOPATH", dir.join("go/path"))
                .env("GOFLAGS", "-modcacherw")
                .env("CGO_ENABLED", "1")
                .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig")))
        };
        assert_eq!(go_fmt(), "", "gofmt -l bindings/go lists unformatted files");
        go(&["vet", "./..."]);
        go(&["build", "-o", go_bin.to_str().unwrap(), "./cmd/verifydemo"]);
        Drivers {
            prefix,
            java,
            go: go_bin,
        }
    }

    fn java(&self, args: &[String]) -> Output {
        let classpath = format!(
            "{}:{}:{JNA}",
            self.java.join("eseal.jar").display(),
            self.java.join("test").display()
        );
        run(Command::new("java")
            .arg(format!(
                "-Djna.library.path={}",
                self.prefix.join("lib").display()
            ))
            .arg("-cp")
            .arg(classpath)
            .arg("cn.eseal.test.VerifyDriver")
            .args(args))
    }

    fn go(&self, args: &[String]) -> Output {
        run(Command::new(&self.go)
            .args(args)
            .env("LD_LIBRARY_PATH", self.prefix.join("lib")))
    }
}

/// Asserts that both drivers, given `trust` and `targets`, and `eseal verify --json` give
/// each target the verdict `expected` holds for it.
fn same_verdicts(
    drivers: &Drivers,
    trust: &[String],
    targets: &[String],
    expected: &[InputVerdict],
) {
    let cli: Vec<InputVerdict> = targets.iter().map(|t| cli_verdict(t, trust)).collect();
    assert_eq!(cli, expected, "eseal verify on {targets:?}");
    let args: Vec<String> = trust.iter().chain(targets).cloned().collect();
    for (name, out) in [("java", drivers.java(&args)), ("go", drivers.go(&args))] {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} driver: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            driver_verdicts(&stdout, targets),
            cli,
            "{name} driver\n{stdout}"
        );
    }
}

fn verdict(kind: &str, indication: &str, sub: Option<&str>, reasons: &[&str]) -> Verdict {
    (
        kind.to_owned(),
        indication.to_owned(),
        sub.map(str::to_owned),
        reasons.iter().map(|r| (*r).to_owned()).collect(),
    )
}

fn passed(kind: &str) -> Verdict {
    verdict(kind, "TOTAL-PASSED", None, &[])
}

fn input(indication: &str, signatures: Vec<Verdict>) -> InputVerdict {
    (indication.to_owned(), signatures)
}

/// The demo's sealed PDF, sealed OFD, B-LTA PDF and licence QR: as issued every one passes;
/// once the licence is revoked its QR fails (LICENCE_REVOKED); once the signer is revoked the
/// PDF and the OFD fail (CERTIFICATE_REVOKED) while the B-LTA copy, timestamped before the
/// revocation, still passes. Input that is not signed is an error with its status name.
#[test]
fn java_and_go_drivers_give_the_verdicts_of_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    cli::ok(&["demo", "--out", demo.to_str().unwrap()]);
    let drivers = Drivers::build(dir.path());

    let file = |name: &str| cli::p(&demo, name);
    let qr = std::fs::read_to_string(demo.join("licence.qr.txt")).unwrap();
    let qr = qr.trim().to_owned();
    let (pdf, ofd, lta) = (
        file("licence.pdf"),
        file("licence.ofd"),
        file("licence-lta.pdf"),
    );
    let trust = |extra: &[(&str, &str)]| -> Vec<String> {
        [("--trust", "root.pem"), ("--chain", "office-ca/ca.pem")]
            .iter()
            .chain(extra)
            .flat_map(|(option, name)| [(*option).to_owned(), file(name)])
            .collect()
    };
    let lta_passed = || {
        input(
            "TOTAL-PASSED",
            vec![passed("pdf-signature"), passed("pdf-document-timestamp")],
        )
    };

    let issued = trust(&[
        ("--trust-list", "trust-list.cwt"),
        ("--status-list", "status-list.cwt"),
    ]);
    same_verdicts(
        &drivers,
        &issued,
        &[pdf.clone(), ofd.clone(), lta.clone(), qr.clone()],
        &[
            input("TOTAL-PASSED", vec![passed("pdf-signature")]),
            input("TOTAL-PASSED", vec![passed("ofd-seal-signature")]),
            lta_passed(),
            input("TOTAL-PASSED", vec![passed("licence")]),
        ],
    );

    let licence_revoked = trust(&[
        ("--trust-list", "trust-list.cwt"),
        ("--status-list", "status-list-2.cwt"),
    ]);
    let revoked = |kind: &str, reason: &str| {
        input(
            "TOTAL-FAILED",
            vec![verdict(kind, "TOTAL-FAILED", Some("REVOKED"), &[reason])],
        )
    };
    same_verdicts(
        &drivers,
        &licence_revoked,
        std::slice::from_ref(&qr),
        &[revoked("licence", "LICENCE_REVOKED")],
    );

    let signer_revoked = trust(&[("--crl", "office-ca.crl")]);
    same_verdicts(
        &drivers,
        &signer_revoked,
        &[pdf, ofd, lta],
        &[
            revoked("pdf-signature", "CERTIFICATE_REVOKED"),
            revoked("ofd-seal-signature", "CERTIFICATE_REVOKED"),
            lta_passed(),
        ],
    );

    // Nothing signed in a text file: the CLI exits 65, the drivers fail with the status.
    let text_file = vec![file("document.txt")];
    assert_eq!(cli::code(&cli::eseal(&["verify", &text_file[0]])), 65);
    for (name, out) in [
        ("java", drivers.java(&text_file)),
        ("go", drivers.go(&text_file)),
    ] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(65), "{name} driver: {stderr}");
        assert!(
            stderr.contains("ESEAL_MALFORMED_INPUT: verify: "),
            "{name} driver: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{name} driver");
    }
}
