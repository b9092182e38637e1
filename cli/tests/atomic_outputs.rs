//! Outputs are atomic and inputs are checked, on the real binary: a command interrupted
//! at any moment (SIGINT, SIGKILL) leaves every destination old or complete and its input
//! untouched, a full disk exits 74 with no partial output, and a device, FIFO, directory
//! or huge sparse file is refused at once.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

mod common;

use common::cli::{OfficeFiles, strs};
use eseal::licence::sample;
use eseal::pki::{Certificate, Crl, read_certificates};

const ESEAL: &str = env!("CARGO_BIN_EXE_eseal");
/// Runs a command may take before the test calls it hung (debug build, 2 busy cores).
const HANG_BOUND: Duration = Duration::from_secs(120);
/// Interruption points per command, signal and output.
const STEPS: u64 = 8;

fn p(path: &Path) -> String {
    path.display().to_string()
}

/// Runs `cmd` (standard input as the caller set it) to its end, failing the test when it does not end within [`HANG_BOUND`].
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waits").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > HANG_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {HANG_BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn eseal(args: &[&str]) -> Output {
    run(Command::new(ESEAL).args(args).stdin(Stdio::null()))
}

fn ok(args: &[&str]) -> Output {
    let out = eseal(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "eseal {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A demo PKI with its seal, a licence office and large documents to seal.
struct Fixture {
    _dir: tempfile::TempDir,
    d: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        ok(&["demo", "--out", &p(&d.join("demo"))]);
        let pdf = eseal::pdf::sample::plain_pdf(&["eseal atomic outputs"], 12 << 20);
        std::fs::write(d.join("big.pdf"), pdf).unwrap();
        let ofd = eseal::ofd::sample::plain_ofd(&["eseal atomic outputs"], 8 << 20).unwrap();
        std::fs::write(d.join("big.ofd"), ofd).unwrap();
        let init = OfficeFiles::of_demo(&d.join("demo")).init_args(&d.join("jl"));
        ok(&strs(&init));
        Fixture { _dir: dir, d }
    }

    fn demo(&self, name: &str) -> String {
        p(&self.d.join("demo").join(name))
    }

    fn pdf_seal(&self, input: &Path, out: &Path) -> Vec<String> {
        [
            "pdf",
            "seal",
            "--in",
            &p(input),
            "--out",
            &p(out),
            "--cert",
            &self.demo("signer.pem"),
            "--key",
            &self.demo("signer.key"),
            "--seal",
            &self.demo("seal.esl"),
            "--page",
            "1",
            "--rect",
            "100,100,200,200",
        ]
        .map(String::from)
        .to_vec()
    }

    fn ofd_seal(&self, input: &Path, out: &Path) -> Vec<String> {
        [
            "ofd",
            "seal",
            "--in",
            &p(input),
            "--out",
            &p(out),
            "--cert",
            &self.demo("signer.pem"),
            "--key",
            &self.demo("signer.key"),
            "--seal",
            &self.demo("seal.esl"),
        ]
        .map(String::from)
        .to_vec()
    }

    /// `eseal verify` of a sealed PDF or OFD: exit 0 and TOTAL-PASSED for every signature.
    fn assert_sealed(&self, file: &Path) {
        let out = ok(&[
            "verify",
            &p(file),
            "--trust",
            &self.demo("root.pem"),
            "--chain",
            &self.demo("office-ca/ca.pem"),
            "--json",
        ]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let signatures = json["signatures"].as_array().unwrap();
        assert_eq!(signatures.len(), 1, "{json}");
        assert_eq!(signatures[0]["indication"], "TOTAL-PASSED", "{json}");
    }

    fn certificate(&self, name: &str) -> Certificate {
        read_certificates(&std::fs::read(self.demo(name)).unwrap())
            .unwrap()
            .remove(0)
    }

    /// A status list the office signed, complete: its signature verifies.
    fn assert_status_list(&self, file: &Path) {
        let token = std::fs::read(file).unwrap();
        let cert = self.certificate("status-list.pem");
        eseal::licence::status_list::verify_status_list(
            &token,
            &cert,
            sample::STATUS_LIST_URI,
            SystemTime::now(),
        )
        .expect("a complete status list");
    }

    /// A CRL of the office CA, complete: its signature verifies.
    fn assert_crl(&self, file: &Path) {
        let crl = Crl::from_pem_or_der(&std::fs::read(file).unwrap()).expect("a complete CRL");
        crl.verify_issued_by(&self.certificate("office-ca/ca.pem"))
            .expect("signed by the office CA");
    }
}

/// Temporary files an atomic write left in `dir` (`.NAME.XXXXXX.tmp`).
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with('.') && name.ends_with(".tmp")
        })
        .collect()
}

/// Starts `args`, sends `signal` after `delay`, and waits for the end.
fn interrupt(args: &[String], signal: &str, delay: Duration) -> ExitStatus {
    let mut child: Child = Command::new(ESEAL)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("eseal starts");
    std::thread::sleep(delay);
    // The child is not reaped before the kill, so its pid cannot have been reused.
    let _ = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return status;
        }
        assert!(started.elapsed() < HANG_BOUND, "eseal {args:?} did not end");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What an interrupted run left at the destination.
#[derive(Default, Debug)]
struct Tally {
    old: usize,
    new: usize,
    temporary_left: usize,
}

/// Runs `args` once uninterrupted to learn its length, then interrupts it at [`STEPS`]
/// points over that length with each signal; before each run `prepare` restores the
/// files, after it `check` judges the destination (`true`: the new, complete output).
fn interrupted_everywhere(
    what: &str,
    args: &[String],
    folders: &[&Path],
    prepare: &dyn Fn(),
    check: &dyn Fn() -> bool,
) {
    prepare();
    let started = Instant::now();
    let out = run(Command::new(ESEAL).args(args).stdin(Stdio::null()));
    assert_eq!(out.status.code(), Some(0), "{what}: {out:?}");
    let length = started.elapsed();
    assert!(check(), "{what}: an uninterrupted run writes the output");
    for signal in ["INT", "KILL"] {
        let mut tally = Tally::default();
        for step in 0..=STEPS {
            prepare();
            let delay = length.mul_f64(step as f64 * 1.2 / STEPS as f64);
            let status = interrupt(args, signal, delay);
            if check() {
                tally.new += 1;
            } else {
                tally.old += 1;
            }
            for folder in folders {
                let left = leftovers(folder);
                if signal == "INT" {
                    assert_eq!(
                        left,
                        Vec::<PathBuf>::new(),
                        "{what}, SIGINT after {delay:?}"
                    );
                    // 130 from eseal's handler; SIGINT itself before the handler is set.
                    assert!(
                        matches!(status.code(), Some(0) | Some(130)) || status.signal() == Some(2),
                        "{what}, SIGINT after {delay:?}: {status:?}"
                    );
                }
                // A SIGKILL can leave its temporary file, never a damaged destination.
                tally.temporary_left += left.len();
                for path in left {
                    std::fs::remove_file(path).unwrap();
                }
            }
        }
        eprintln!("{what}, SIG{signal}: {tally:?}");
    }
}

#[test]
fn interrupted_seals_leave_the_old_file_or_the_complete_new_one() {
    let f = Fixture::new();
    let d = &f.d;
    for (what, original, make_args, assert_sealed) in [
        (
            "pdf seal",
            d.join("big.pdf"),
            &Fixture::pdf_seal as &dyn Fn(&Fixture, &Path, &Path) -> Vec<String>,
            &Fixture::assert_sealed as &dyn Fn(&Fixture, &Path),
        ),
        (
            "ofd seal",
            d.join("big.ofd"),
            &Fixture::ofd_seal,
            &Fixture::assert_sealed,
        ),
    ] {
        let bytes = std::fs::read(&original).unwrap();
        let work = d.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let extension = original.extension().unwrap().to_str().unwrap();
        let input = work.join(format!("in.{extension}"));
        let output = work.join(format!("out.{extension}"));
        let old_output = b"the previous output".to_vec();

        // A separate output, which exists before: the input never changes, the output is
        // the old one or a complete sealed document.
        let args = make_args(&f, &input, &output);
        interrupted_everywhere(
            &format!("{what} --out other"),
            &args,
            &[&work],
            &|| {
                std::fs::write(&input, &bytes).unwrap();
                std::fs::write(&output, &old_output).unwrap();
            },
            &|| {
                assert!(
                    std::fs::read(&input).unwrap() == bytes,
                    "{what}: input changed"
                );
                let now = std::fs::read(&output).unwrap();
                if now == old_output {
                    return false;
                }
                assert_sealed(&f, &output);
                true
            },
        );

        // The output is the input.
        let args = make_args(&f, &input, &input);
        interrupted_everywhere(
            &format!("{what} --out same"),
            &args,
            &[&work],
            &|| std::fs::write(&input, &bytes).unwrap(),
            &|| {
                if std::fs::read(&input).unwrap() == bytes {
                    return false;
                }
                assert_sealed(&f, &input);
                true
            },
        );
    }
}

#[test]
fn interrupted_lists_leave_the_old_list_or_the_complete_new_one() {
    let f = Fixture::new();
    let d = &f.d;
    let office = d.join("jl");
    let list = d.join("status.cwt");
    // The old list differs from every new one by its ttl.
    ok(&[
        "licence",
        "status-list",
        "--office",
        &p(&office),
        "--out",
        &p(&list),
        "--ttl",
        "60",
    ]);
    let old_list = std::fs::read(&list).unwrap();
    let args = [
        "licence",
        "status-list",
        "--office",
        &p(&office),
        "--out",
        &p(&list),
    ]
    .map(String::from);
    interrupted_everywhere(
        "licence status-list",
        &args,
        &[d, &office.join("audit-heads")],
        &|| std::fs::write(&list, &old_list).unwrap(),
        &|| {
            let now = std::fs::read(&list).unwrap();
            f.assert_status_list(&list);
            now != old_list
        },
    );

    let ca = PathBuf::from(f.demo("office-ca"));
    let crl = d.join("office.crl");
    ok(&["pki", "crl", "--ca", &p(&ca), "--out", &p(&crl)]);
    let old_crl = std::fs::read(&crl).unwrap();
    let args = ["pki", "crl", "--ca", &p(&ca), "--out", &p(&crl)].map(String::from);
    interrupted_everywhere(
        "pki crl",
        &args,
        &[d, &ca],
        &|| std::fs::write(&crl, &old_crl).unwrap(),
        &|| {
            let number = std::fs::read_to_string(ca.join("crlnumber")).unwrap();
            assert!(number.trim().parse::<u64>().is_ok(), "crlnumber {number:?}");
            f.assert_crl(&crl);
            std::fs::read(&crl).unwrap() != old_crl
        },
    );
}

/// `sh` with a file size limit of 64 blocks and SIGXFSZ ignored: a write past the limit
/// fails with EFBIG, as on a full disk.
fn with_small_disk(args: &[String]) -> Output {
    run(Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -f 64; trap "" XFSZ; exec "$0" "$@""#)
        .arg(ESEAL)
        .args(args)
        .stdin(Stdio::null()))
}

#[test]
fn a_full_disk_exits_74_and_leaves_no_partial_output() {
    let f = Fixture::new();
    let d = &f.d;
    let input = d.join("big.pdf");

    let new = d.join("new.pdf");
    let out = with_small_disk(&f.pdf_seal(&input, &new));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(74), "{stderr}");
    assert_eq!(
        stderr,
        format!("eseal: {}: File too large (os error 27)\n", new.display())
    );
    assert!(!new.exists());
    assert_eq!(leftovers(d), Vec::<PathBuf>::new());

    let existing = d.join("existing.pdf");
    ok(&f
        .pdf_seal(&input, &existing)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    let before = std::fs::read(&existing).unwrap();
    let out = with_small_disk(&f.pdf_seal(&input, &existing));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(74), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "eseal: {}: File too large (os error 27)\n",
            existing.display()
        )
    );
    assert!(
        std::fs::read(&existing).unwrap() == before,
        "the old output is intact"
    );
    f.assert_sealed(&existing);
    assert_eq!(leftovers(d), Vec::<PathBuf>::new());

    // A sealed OFD copied from the file: the failed write names the output too.
    let new = d.join("new.ofd");
    let out = with_small_disk(&f.ofd_seal(&d.join("big.ofd"), &new));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(74), "{stderr}");
    assert_eq!(
        stderr,
        format!("eseal: {}: File too large (os error 27)\n", new.display())
    );
    assert!(!new.exists());
    assert_eq!(leftovers(d), Vec::<PathBuf>::new());
}

#[test]
fn inputs_that_are_no_regular_files_are_refused_at_once() {
    let f = Fixture::new();
    let d = &f.d;
    let fifo = d.join("pipe.pdf");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let sparse = d.join("sparse.pdf");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let cases = [
        (
            PathBuf::from("/dev/zero"),
            "/dev/zero: a character device, not a regular file".to_string(),
        ),
        (
            fifo.clone(),
            format!(
                "{}: a FIFO (named pipe), not a regular file",
                fifo.display()
            ),
        ),
        (
            d.to_path_buf(),
            format!("{}: a directory, not a regular file", d.display()),
        ),
        (
            d.join("missing.pdf"),
            format!("{}: no such file", d.join("missing.pdf").display()),
        ),
        (
            sparse.clone(),
            "input file is too large: 3221225472 bytes, the limit is 1073741824".to_string(),
        ),
    ];
    let out_pdf = d.join("never.pdf");
    for (input, message) in &cases {
        let verify = eseal(&["verify", &p(input), "--trust", &f.demo("root.pem")]);
        let seal = run(Command::new(ESEAL)
            .args(f.pdf_seal(input, &out_pdf))
            .stdin(Stdio::null()));
        for (what, out) in [("verify", verify), ("pdf seal", seal)] {
            assert_eq!(out.status.code(), Some(65), "{what} {input:?}: {out:?}");
            assert_eq!(
                String::from_utf8_lossy(&out.stderr),
                format!("eseal: {message}\n"),
                "{what} {input:?}"
            );
        }
        assert!(!out_pdf.exists());
    }
}

#[test]
fn standard_input_is_read_up_to_its_limit_and_once() {
    let f = Fixture::new();
    let d = &f.d;
    let sealed = d.join("sealed.pdf");
    let args = f.pdf_seal(Path::new("-"), &sealed);
    let stdin = std::fs::File::open(d.join("big.pdf")).unwrap();
    let out = run(Command::new(ESEAL).args(&args).stdin(stdin));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    f.assert_sealed(&sealed);

    let stdin = std::fs::File::open(&sealed).unwrap();
    let out = run(Command::new(ESEAL)
        .args(["verify", "-", "--trust", &f.demo("root.pem"), "--json"])
        .stdin(stdin));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");

    // An endless standard input: limit + 1 bytes are read, then refused (a certificate
    // file holds at most 16 MiB; documents read so hold at most 1 GiB).
    let out = run(Command::new(ESEAL)
        .args(["verify", &p(&sealed), "--trust", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap()));
    assert_eq!(out.status.code(), Some(65), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "eseal: input file is too large: 16777217 bytes, the limit is 16777216\n"
    );
    // A document over the limit is refused from its size, and nothing is written.
    let huge = d.join("huge.ofd");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let out = run(Command::new(ESEAL).args(f.ofd_seal(&huge, &d.join("never.ofd"))));
    assert_eq!(out.status.code(), Some(65), "{out:?}");
    assert!(!d.join("never.ofd").exists());

    // Standard input is read once: here for the trust anchor, so not for the document.
    let out = run(Command::new(ESEAL)
        .args(["verify", "-", "--trust", "-"])
        .stdin(std::fs::File::open(f.demo("root.pem")).unwrap()));
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "eseal: invalid request: standard input (-) can be read once: name it for one input only\n"
    );
}

#[test]
fn an_output_through_a_symbolic_link_keeps_the_link() {
    let f = Fixture::new();
    let d = &f.d;
    let real = d.join("real.pdf");
    std::fs::copy(d.join("big.pdf"), &real).unwrap();
    let link = d.join("link.pdf");
    std::os::unix::fs::symlink("real.pdf", &link).unwrap();
    let args = f.pdf_seal(&link, &link);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    f.assert_sealed(&real);
    assert_eq!(leftovers(d), Vec::<PathBuf>::new());
}
