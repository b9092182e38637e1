//! The C ABI driven from C, Python and an installed copy: the C test programs in tests/c
//! (built with `-Wall -Wextra -Werror` under AddressSanitizer and UBSan), the examples in
//! examples/c under valgrind, examples/python/verify.py through ctypes, and `make install`
//! with the pkg-config file.
//!
//! The C programs link `libeseal.a` (the Python example and the installed copy use
//! `libeseal.so`), built by `cargo build --lib` from within this test with its profile and
//! features (see [`library_dir`]). Their inputs are test-vectors/ and artefacts the `eseal`
//! CLI makes in a temporary folder.
//!
//! The sanitized programs run with `ASAN_OPTIONS=detect_leaks=1` (LeakSanitizer on, as is
//! the default on Linux; nothing is suppressed) and must print nothing on stderr. valgrind
//! runs with one suppression, a false positive proven in tests/c/valgrind.supp.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::cli::{OfficeFiles, strs};
use eseal::licence::sample;

/// The repository root (this package lives in `cli/`).
const CRATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The compiler flags every C program is built with.
const CFLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"];

/// Sanitizers for the C tests; UB stops the program instead of printing and going on.
const SANITIZE: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
];

/// What the static library needs from the system.
const SYSTEM_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd`, which must exit 0; returns its standard output.
fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn eseal(args: &[&str]) -> String {
    ok(Command::new(env!("CARGO_BIN_EXE_eseal")).args(args))
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Held by each test that builds C programs: a debug build of the static library makes
/// each program about 150 MB, so they are made one test at a time.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The directory holding `libeseal.a` and `libeseal.so`: the C ABI crate (`ffi/`) built once
/// per test run by `cargo build -p eseal-ffi` with this test's profile and features into
/// this test's target directory, its libraries copied under the names C programs link.
fn library_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>/deps/");
        let target_dir = profile_dir.parent().expect("<target>/");
        let profile = profile_dir.file_name().and_then(|n| n.to_str());
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(CRATE)
            .args(["build", "-p", "eseal-ffi"])
            .env("CARGO_TARGET_DIR", target_dir);
        if cfg!(feature = "pkcs11") {
            build.arg("--features=eseal-ffi/pkcs11");
        }
        if profile == Some("release") {
            build.arg("--release");
        }
        ok(&mut build);
        let staged = profile_dir.join("c-abi");
        std::fs::create_dir_all(&staged).unwrap();
        for (built, name) in [
            ("libeseal_ffi.a", "libeseal.a"),
            ("libeseal_ffi.so", "libeseal.so"),
        ] {
            let from = profile_dir.join(built);
            assert!(
                from.is_file(),
                "{built} not built in {}",
                profile_dir.display()
            );
            std::fs::copy(&from, staged.join(name)).unwrap();
        }
        staged
    })
    .clone()
}

/// Where cargo built the C ABI crate's libraries (`libeseal_ffi.*`), as the Makefile takes
/// them.
fn built_dir() -> PathBuf {
    library_dir()
        .parent()
        .expect("<target>/<profile>")
        .to_owned()
}

fn header_dir() -> PathBuf {
    let include = Path::new(CRATE).join("include");
    assert!(
        include.join("eseal.h").exists(),
        "include/eseal.h is missing (cbindgen generates it from src/ffi)"
    );
    include
}

/// Compiles `sources` into `out` with `flags`, linking the static library.
fn compile(sources: &[PathBuf], out: &Path, flags: &[&str]) {
    let lib = library_dir().join("libeseal.a");
    let mut cmd = Command::new("gcc");
    cmd.args(CFLAGS)
        .args(flags)
        .arg("-I")
        .arg(header_dir())
        .args(sources)
        .arg(&lib)
        .args(SYSTEM_LIBS)
        .arg("-o")
        .arg(out);
    ok(&mut cmd);
}

/// Copies `from` (relative to the crate) to `dir/name`.
fn copy(dir: &Path, from: &str, name: &str) {
    let from = Path::new(CRATE).join(from);
    std::fs::copy(&from, dir.join(name)).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

/// The QR string (`PREFIX`) of a licence test vector case.
fn vector_qr(case: &str) -> String {
    let path = Path::new(CRATE).join(format!("test-vectors/licence/cases/{case}.json"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("the case file")).expect("JSON");
    json["PREFIX"].as_str().expect("a PREFIX").to_owned()
}

fn write_json(path: &Path, value: &impl serde::Serialize) {
    std::fs::write(path, serde_json::to_vec_pretty(value).expect("JSON")).expect("write");
}

/// The inputs of the C tests, flat in `d` under the names tests/c/*.c read:
/// test vectors (PDF P-256, licence QR, OFD) and, made here with the CLI, a P-256 PKI, a
/// seal, keys in PKCS#8 (plain and encrypted) and PKCS#12, and a licence office.
fn prepare_inputs(d: &Path) {
    for (from, name) in [
        ("test-vectors/pdf/p256/sealed.pdf", "pdf-sealed.pdf"),
        ("test-vectors/pdf/p256/tampered.pdf", "pdf-tampered.pdf"),
        (
            "test-vectors/pdf/p256/sealed-by-revoked-signer.pdf",
            "pdf-revoked.pdf",
        ),
        ("test-vectors/pdf/p256/root.pem", "pdf-root.pem"),
        ("test-vectors/pdf/p256/root.crl.pem", "pdf-root.crl.pem"),
        ("test-vectors/licence/root.pem", "licence-root.pem"),
        ("test-vectors/licence/trust-list.cwt", "trust-list.cwt"),
        ("test-vectors/licence/status-list.cwt", "status-list.cwt"),
        ("test-vectors/ofd/sealed.ofd", "ofd-sealed.ofd"),
        ("test-vectors/ofd/unsigned.ofd", "unsigned.ofd"),
        ("test-vectors/ofd/root.pem", "ofd-root.pem"),
        ("test-vectors/ofd/office-ca.pem", "ofd-office-ca.pem"),
    ] {
        copy(d, from, name);
    }
    std::fs::write(d.join("qr-good.txt"), vector_qr("es256-business")).unwrap();
    std::fs::write(d.join("qr-revoked.txt"), vector_qr("es256-revoked")).unwrap();
    std::fs::write(d.join("version.txt"), env!("CARGO_PKG_VERSION")).unwrap();
    std::fs::write(d.join("type.txt"), sample::BUSINESS_TYPE_CODE).unwrap();
    // The library under test has PKCS#11 only with the feature.
    let pkcs11 = if cfg!(feature = "pkcs11") {
        "yes"
    } else {
        "no"
    };
    std::fs::write(d.join("pkcs11.txt"), pkcs11).unwrap();
    std::fs::write(d.join("pkcs11-module.txt"), SOFTHSM).unwrap();
    std::fs::write(
        d.join("plain.pdf"),
        eseal::pdf::sample::plain_pdf(&["Licence", "Seal: [here]"], 0),
    )
    .unwrap();

    let pki = d.join("pki");
    let p = |name: &str| pki.join(name).display().to_string();
    eseal(&["pki", "init", &p("root"), "--name", "根CA", "--alg", "p256"]);
    for (ca, profile, name, out) in [
        ("root", "office-ca", "办公室 CA", "office"),
        ("office", "seal-maker", "制章人", "maker"),
        ("office", "signer", "签章人", "signer"),
        ("office", "licence-signer", "证照签名", "licencer"),
        ("office", "status-list", "证照状态列表", "statuser"),
        ("root", "trust-list", "吉林省证照目录", "lister"),
    ] {
        eseal(&[
            "pki",
            "issue",
            "--ca",
            &p(ca),
            "--profile",
            profile,
            "--name",
            name,
            "--alg",
            "p256",
            "--out",
            &p(out),
        ]);
    }
    std::fs::copy(pki.join("root/ca.pem"), d.join("root.pem")).unwrap();
    std::fs::copy(pki.join("signer.pem"), d.join("signer.pem")).unwrap();
    std::fs::copy(pki.join("signer.key"), d.join("signer.key")).unwrap();
    eseal(&[
        "seal",
        "make",
        "--maker-cert",
        &p("maker.pem"),
        "--maker-key",
        &p("maker.key"),
        "--signer-cert",
        &p("signer.pem"),
        "--name",
        "测试局电子证照专用章",
        "--es-id",
        "C0001",
        "--office",
        "测试局",
        "--out",
        s(&d.join("seal.esl")),
    ]);
    common::openssl_ok(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "signer.key",
            "-out",
            "signer-enc.key",
            "-passout",
            "pass:secret",
        ],
    );
    common::openssl_ok(
        d,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "signer.key",
            "-in",
            "signer.pem",
            "-out",
            "signer.p12",
            "-passout",
            "pass:secret",
        ],
    );

    if cfg!(feature = "pkcs11") {
        softhsm_token(d);
    }

    let office = s(&d.join("office")).to_owned();
    let files = OfficeFiles {
        licence: (p("licencer.key"), p("licencer.pem")),
        status_list: (p("statuser.key"), p("statuser.pem")),
        seal: (
            s(&d.join("seal.esl")).to_owned(),
            p("signer.key"),
            p("signer.pem"),
        ),
    };
    eseal(&strs(&files.init_args(&d.join("office"))));
    write_json(&d.join("template.json"), &sample::business_template());
    eseal(&[
        "licence",
        "template",
        "--office",
        &office,
        s(&d.join("template.json")),
    ]);
    write_json(&d.join("request.json"), &sample::business_request(0));
    write_json(&d.join("request2.json"), &sample::business_request(1));
    eseal(&[
        "licence",
        "trust-list",
        "--key",
        &p("lister.key"),
        "--cert",
        &p("lister.pem"),
        "--issuer",
        "吉林省",
        "--office",
        &office,
        "--seq",
        "1",
        "--out",
        s(&d.join("office-trust-list.cwt")),
    ]);
}

/// SoftHSM2's PKCS#11 module (scripts/setup.sh installs it).
const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 token in `d/softhsm` (configured by `d/softhsm2.conf`), labelled `eseal-c`
/// with user PIN 1234, holding `d/signer.key` as `signer`.
fn softhsm_token(d: &Path) {
    assert!(
        Path::new(SOFTHSM).exists(),
        "{SOFTHSM} is missing: run scripts/setup.sh"
    );
    std::fs::create_dir(d.join("softhsm")).unwrap();
    std::fs::write(
        d.join("softhsm2.conf"),
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            d.join("softhsm").display()
        ),
    )
    .unwrap();
    let util = |args: &[&str]| {
        ok(Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", d.join("softhsm2.conf")))
    };
    util(&[
        "--init-token",
        "--free",
        "--label",
        "eseal-c",
        "--so-pin",
        "5678",
        "--pin",
        "1234",
    ]);
    util(&[
        "--import",
        s(&d.join("signer.key")),
        "--token",
        "eseal-c",
        "--label",
        "signer",
        "--id",
        "01",
        "--pin",
        "1234",
    ]);
}

/// Builds tests/c/`name`.c with `flags` and runs it on a fresh input folder, through
/// `runner` (e.g. valgrind) when it is not empty, with `env`. It must exit 0 and print
/// nothing on stderr; returns its standard output.
fn run_c_program(name: &str, flags: &[&str], runner: &[&str], env: &[(&str, &str)]) -> String {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prepare_inputs(d);
    let exe = d.join(name);
    compile(
        &[Path::new(CRATE).join(format!("tests/c/{name}.c"))],
        &exe,
        &[flags, &["-pthread"]].concat(),
    );
    let mut cmd = match runner.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(&exe);
            cmd
        }
        None => Command::new(&exe),
    };
    let out = run(cmd
        .arg(d)
        .envs(env.iter().copied())
        .env("SOFTHSM2_CONF", d.join("softhsm2.conf")));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.is_empty(), "{name} printed to stderr:\n{stderr}");
    stdout
}

/// Builds tests/c/`name`.c with AddressSanitizer and UBSan and runs it.
fn run_c_test(name: &str) -> String {
    run_c_program(
        name,
        SANITIZE,
        &[],
        &[
            (
                "ASAN_OPTIONS",
                "detect_leaks=1:abort_on_error=0:exitcode=86",
            ),
            ("UBSAN_OPTIONS", "print_stacktrace=1"),
        ],
    )
}

#[test]
fn every_function_from_c_under_sanitizers() {
    let out = run_c_test("api_test");
    assert!(out.ends_with(", 0 failed\n"), "{out}");
}

/// tests/c/api_test.c calls every function include/eseal.h declares.
#[test]
fn the_c_test_calls_every_function_of_the_header() {
    let header = std::fs::read_to_string(header_dir().join("eseal.h")).unwrap();
    let test = std::fs::read_to_string(Path::new(CRATE).join("tests/c/api_test.c")).unwrap();
    // Every identifier `eseal_...` directly followed by `(`.
    let mut declared: Vec<&str> = header
        .match_indices("eseal_")
        .filter_map(|(at, _)| {
            let rest = &header[at..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            rest[end..].starts_with('(').then(|| &rest[..end])
        })
        .collect();
    declared.sort_unstable();
    declared.dedup();
    assert!(declared.len() >= 36, "{declared:?}");
    let missing: Vec<&&str> = declared
        .iter()
        .filter(|name| !test.contains(&format!("{name}(")))
        .collect();
    assert!(missing.is_empty(), "not called by api_test.c: {missing:?}");
}

#[test]
fn eight_threads_share_one_trust_store() {
    let out = run_c_test("threads_test");
    assert_eq!(
        out.lines().take(7).collect::<Vec<_>>(),
        [
            "pdf-sealed.pdf TOTAL-PASSED (null) (null)",
            "pdf-tampered.pdf TOTAL-FAILED HASH_FAILURE DIGEST_MISMATCH",
            "pdf-sealed.pdf INDETERMINATE OUT_OF_BOUNDS_NO_POE CERTIFICATE_EXPIRED",
            "qr-good.txt TOTAL-PASSED (null) (null)",
            "qr-revoked.txt TOTAL-FAILED REVOKED LICENCE_REVOKED",
            "ofd-sealed.ofd TOTAL-PASSED (null) (null)",
            "unsigned.ofd NOTHING-SIGNED (null) (null)",
        ]
    );
    assert!(
        out.contains("8 threads x 4 rounds x 7 inputs: 0 reports differ\n"),
        "{out}"
    );
}

/// What tests/c/shared_store_test.c prints when every check passes.
fn assert_shared_store_output(out: &str) {
    assert_eq!(
        out,
        "8 threads, each with its own reference: 64 verified, 0 wrong\n\
         a free racing 8 threads: 8 refused after the free, 0 wrong\n\
         shared_store_test: 53 checks, 0 failed\n"
    );
}

/// Threads each hold their own reference to one trust store while its creator frees its
/// own at once, and a free races calls on the same reference (AddressSanitizer, UBSan).
#[test]
fn a_shared_trust_store_is_reference_counted_under_asan() {
    assert_shared_store_output(&run_c_test("shared_store_test"));
}

/// The same under valgrind's memcheck: no invalid access (a racing free would be a read of
/// freed memory) and no leak, the store freed with its last reference.
#[test]
fn a_shared_trust_store_is_reference_counted_under_valgrind() {
    let out = run_c_program("shared_store_test", &[], &valgrind_args(), &[]);
    assert_shared_store_output(&out);
}

/// `eseal demo --out` in `d`: a sealed licence PDF, its QR, trust and status lists.
fn demo(d: &Path) -> PathBuf {
    let demo = d.join("demo");
    eseal(&["demo", "--out", s(&demo)]);
    demo
}

/// valgrind's memcheck, where any invalid access or leak (definite, indirect or possible)
/// makes the run exit 99. tests/c/valgrind.supp holds one entry, a false positive shown
/// with its evidence there (x509-parser's static hash tables, reached through an interior
/// pointer).
fn valgrind_args() -> Vec<&'static str> {
    static SUPPRESSIONS: OnceLock<String> = OnceLock::new();
    let suppressions = SUPPRESSIONS.get_or_init(|| {
        format!(
            "--suppressions={}",
            Path::new(CRATE).join("tests/c/valgrind.supp").display()
        )
    });
    vec![
        "valgrind",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect,possible",
        "--errors-for-leak-kinds=definite,indirect,possible",
        "--error-exitcode=99",
        "--quiet",
        suppressions,
    ]
}

/// Runs `args` under valgrind's memcheck ([`valgrind_args`]).
fn valgrind(args: &[&str]) -> Output {
    let valgrind = valgrind_args();
    run(Command::new(valgrind[0]).args(&valgrind[1..]).args(args))
}

/// Output of a run that must exit `code`, with valgrind's findings shown otherwise.
fn expect_exit(out: &Output, code: i32, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The two C examples run clean under valgrind (no invalid access, no leak), linked with
/// the static library so the run does not depend on where libeseal.so is.
#[test]
fn c_examples_are_clean_under_valgrind() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prepare_inputs(d);
    let demo = demo(d);
    let examples = Path::new(CRATE).join("examples/c");
    let (verify, issue) = (d.join("verify"), d.join("issue"));
    compile(&[examples.join("verify.c")], &verify, &["-pedantic"]);
    compile(&[examples.join("issue.c")], &issue, &["-pedantic"]);

    let root = demo.join("root.pem");
    let out = valgrind(&[
        s(&verify),
        s(&demo.join("licence.pdf")),
        "--trust",
        s(&root),
    ]);
    let stdout = expect_exit(&out, 0, "verify licence.pdf");
    assert!(stdout.ends_with("\nTOTAL-PASSED\n"), "{stdout}");
    assert!(stdout.contains("    seal: "), "{stdout}");

    let qr = std::fs::read_to_string(demo.join("licence.qr.txt")).unwrap();
    let out = valgrind(&[
        s(&verify),
        qr.trim(),
        "--trust",
        s(&root),
        "--trust-list",
        s(&demo.join("trust-list.cwt")),
        "--status-list",
        s(&demo.join("status-list-2.cwt")),
    ]);
    let stdout = expect_exit(&out, 2, "verify the revoked QR");
    assert!(
        stdout.starts_with("[1] TOTAL-FAILED / REVOKED (LICENCE_REVOKED)\n"),
        "{stdout}"
    );

    let out = valgrind(&[
        s(&issue),
        s(&d.join("office")),
        sample::BUSINESS_TYPE_CODE,
        s(&d.join("request.json")),
        s(&d.join("issued")),
    ]);
    let identifier = expect_exit(&out, 0, "issue");
    assert!(
        identifier.starts_with("1.2.156.3005.2.11100000000013338W032.11220000013544541J."),
        "{identifier}"
    );
    let qr = std::fs::read_to_string(d.join("issued.qr.txt")).unwrap();
    assert!(qr.starts_with("ZZ1:"), "{qr}");
    // The issued document verifies (natively, with the same example).
    let out = run(Command::new(&verify)
        .arg(d.join("issued.pdf"))
        .arg("--trust")
        .arg(d.join("root.pem")));
    expect_exit(&out, 0, "verify the issued PDF");
    // The same request again is refused: exit 65, still clean.
    let out = valgrind(&[
        s(&issue),
        s(&d.join("office")),
        sample::BUSINESS_TYPE_CODE,
        s(&d.join("request.json")),
        s(&d.join("again")),
    ]);
    expect_exit(&out, 65, "issue the same request again");
}

/// examples/python/verify.py loads libeseal.so with ctypes and verifies a sealed PDF and a
/// licence QR.
#[test]
fn python_ctypes_example_verifies_a_pdf_and_a_qr() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path());
    let out = ok(Command::new("python3")
        .arg(Path::new(CRATE).join("examples/python/verify.py"))
        .arg("--trust")
        .arg(demo.join("root.pem"))
        .arg("--trust-list")
        .arg(demo.join("trust-list.cwt"))
        .arg("--status-list")
        .arg(demo.join("status-list.cwt"))
        .arg(demo.join("licence.pdf"))
        .arg(demo.join("licence.qr.txt"))
        .env("ESEAL_LIB", library_dir().join("libeseal.so")));
    let verdicts: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("eseal "))
        .collect();
    let (pdf, qr) = (demo.join("licence.pdf"), demo.join("licence.qr.txt"));
    let label = |p: &Path| {
        let p = p.display().to_string();
        if p.len() <= 40 {
            p
        } else {
            format!("{}...", &p[..37])
        }
    };
    assert_eq!(
        verdicts,
        [
            format!("{}: TOTAL-PASSED", label(&pdf)),
            format!("{}: TOTAL-PASSED", label(&qr)),
        ],
        "{out}"
    );
    assert!(
        out.starts_with(&format!("eseal {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );

    // A revoked licence: TOTAL-FAILED and a non-zero exit.
    let out = run(Command::new("python3")
        .arg(Path::new(CRATE).join("examples/python/verify.py"))
        .arg("--lib")
        .arg(library_dir().join("libeseal.so"))
        .arg("--trust")
        .arg(demo.join("root.pem"))
        .arg("--trust-list")
        .arg(demo.join("trust-list.cwt"))
        .arg("--status-list")
        .arg(demo.join("status-list-2.cwt"))
        .arg(demo.join("licence.qr.txt")));
    let stdout = expect_exit(&out, 2, "python, revoked QR");
    assert!(
        stdout.contains("TOTAL-FAILED / REVOKED (LICENCE_REVOKED)"),
        "{stdout}"
    );
}

/// `make install-strip` (`make install` without the debug info, a seventh of the size of a
/// debug build) into a temporary prefix, from the libraries built for this test
/// (`NO_BUILD=1`), then examples/c/verify.c built with `pkg-config --cflags --libs eseal`.
#[test]
fn make_install_and_pkg_config() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let prefix = d.join("prefix");
    ok(Command::new("make")
        .arg("-C")
        .arg(CRATE)
        .arg("--no-print-directory")
        .arg("install-strip")
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!(
            "BUILD_DIR={}",
            library_dir()
                .parent()
                .expect("<target>/<profile>")
                .display()
        ))
        .arg("NO_BUILD=1"));
    for file in [
        "lib/libeseal.so",
        "lib/libeseal.a",
        "include/eseal.h",
        "lib/pkgconfig/eseal.pc",
    ] {
        assert!(prefix.join(file).is_file(), "{file} not installed");
    }
    let pkg_config = |args: &[&str]| {
        ok(Command::new("pkg-config")
            .args(args)
            .arg("eseal")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig")))
    };
    assert_eq!(
        pkg_config(&["--modversion"]).trim(),
        env!("CARGO_PKG_VERSION")
    );
    let flags = pkg_config(&["--cflags", "--libs"]);
    assert_eq!(
        flags.split_whitespace().collect::<Vec<_>>(),
        [
            format!("-I{}/include", prefix.display()),
            format!("-L{}/lib", prefix.display()),
            "-leseal".to_owned(),
        ]
    );

    let verify = d.join("verify");
    ok(Command::new("gcc")
        .args(CFLAGS)
        .arg(Path::new(CRATE).join("examples/c/verify.c"))
        .arg("-o")
        .arg(&verify)
        .args(flags.split_whitespace()));
    // The program depends on the SONAME, not on the name it was linked with.
    let dynamic = ok(Command::new("readelf").arg("-d").arg(&verify));
    assert!(
        dynamic.contains(&format!("Shared library: [{}]", soname())),
        "{dynamic}"
    );
    let demo = demo(d);
    let out = run(Command::new(&verify)
        .arg(demo.join("licence.pdf"))
        .arg("--trust")
        .arg(demo.join("root.pem"))
        .env("LD_LIBRARY_PATH", prefix.join("lib")));
    let stdout = expect_exit(&out, 0, "verify linked through pkg-config");
    assert!(stdout.ends_with("\nTOTAL-PASSED\n"), "{stdout}");
    // Without a trust anchor: INDETERMINATE, exit 1, as `eseal verify`.
    let out = run(Command::new(&verify)
        .arg(demo.join("licence.pdf"))
        .env("LD_LIBRARY_PATH", prefix.join("lib")));
    expect_exit(&out, 1, "verify without --trust");
}

/// The SONAME of the shared library: `libeseal.so.MAJOR`, `libeseal.so.0.MINOR` before 1.0
/// (cargo-c's rule, set by build.rs).
fn soname() -> String {
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    match (major, minor) {
        ("0", "0") => format!("libeseal.so.0.0.{patch}"),
        ("0", minor) => format!("libeseal.so.0.{minor}"),
        (major, _) => format!("libeseal.so.{major}"),
    }
}

/// The installed shared library's file name, `libeseal.so.MAJOR.MINOR.PATCH`.
fn shared_lib_file() -> String {
    format!(
        "libeseal.so.{}.{}.{}",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH")
    )
}

/// `make TARGET` into `prefix`, from the libraries built for this test.
fn make_install(target: &str, prefix: &Path) {
    ok(Command::new("make")
        .arg("-C")
        .arg(CRATE)
        .arg("--no-print-directory")
        .arg(target)
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!("BUILD_DIR={}", built_dir().display()))
        .arg("NO_BUILD=1"));
}

/// The shared library carries its SONAME (`readelf -d`), and `make install` installs it as
/// `libeseal.so.MAJOR.MINOR.PATCH` with the SONAME and `libeseal.so` as links to it, as
/// cargo-c does.
#[test]
fn the_shared_library_has_its_soname_and_links() {
    let _one = one_at_a_time();
    let built = ok(Command::new("readelf")
        .arg("-d")
        .arg(library_dir().join("libeseal.so")));
    assert!(
        built.contains(&format!("Library soname: [{}]", soname())),
        "{built}"
    );
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    make_install("install-strip", dir.path());
    let file = lib.join(shared_lib_file());
    let meta = std::fs::symlink_metadata(&file).unwrap();
    assert!(meta.file_type().is_file(), "{meta:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    let installed = ok(Command::new("readelf").arg("-d").arg(&file));
    assert!(
        installed.contains(&format!("Library soname: [{}]", soname())),
        "{installed}"
    );
    for link in [soname(), "libeseal.so".to_owned()] {
        assert_eq!(
            std::fs::read_link(lib.join(&link)).unwrap(),
            Path::new(&shared_lib_file()),
            "{link}"
        );
    }
    // No temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut want = vec![
        "libeseal.a".to_owned(),
        "libeseal.so".to_owned(),
        soname(),
        shared_lib_file(),
        "pkgconfig".to_owned(),
    ];
    want.sort();
    assert_eq!(names, want);
    // `make uninstall` takes everything away again.
    make_install("uninstall", dir.path());
    assert_eq!(
        std::fs::read_dir(&lib).unwrap().count(),
        1,
        "pkgconfig/ only"
    );
}

/// A program verifies in a loop with the installed shared library while `make install`
/// replaces that library twice: the install writes a new file and renames it over the old
/// one, so the program keeps its mapping of the old file and exits 0 (rewriting the file in
/// place, as `cp` does, kills it with SIGBUS).
#[test]
fn make_install_replaces_the_library_under_a_running_program() {
    use std::io::BufRead;
    use std::os::unix::fs::MetadataExt;
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let prefix = d.join("prefix");
    make_install("install", &prefix);
    copy(d, "test-vectors/pdf/p256/sealed.pdf", "pdf-sealed.pdf");
    copy(d, "test-vectors/pdf/p256/root.pem", "pdf-root.pem");
    let exe = d.join("reinstall_test");
    ok(Command::new("gcc")
        .args(CFLAGS)
        .arg("-I")
        .arg(prefix.join("include"))
        .arg(Path::new(CRATE).join("tests/c/reinstall_test.c"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", prefix.join("lib").display()))
        .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
        .arg("-leseal"));
    let library = prefix.join("lib").join(shared_lib_file());
    let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
    let before = inode(&library);

    let stop = d.join("stop");
    let mut program = Command::new(&exe)
        .arg(d)
        .arg("2")
        .arg(&stop)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(program.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "ready\n");
    for _ in 0..2 {
        make_install("install", &prefix);
    }
    std::fs::write(&stop, "").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(program.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let status = program.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the program died while the library was reinstalled: {status:?}\n{rest}{stderr}"
    );
    assert!(
        rest.ends_with(" verifications\nreinstall_test: 3 checks, 0 failed\n"),
        "{rest}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    // The library was replaced by a new file, not rewritten.
    assert_ne!(inode(&library), before);
}
