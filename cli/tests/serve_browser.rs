//! The page of `eseal serve` in a real browser against the real service: `eseal demo
//! --serve` runs the demo and serves its office, and tests/python/serve_browser.py drives
//! headless Chromium through it (verify a sealed and a tampered PDF, read a photo of a
//! revoked licence's QR code, issue, verify, revoke and verify again a licence). The
//! screenshots are kept in target/serve-screenshots/.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;

const ESEAL: &str = env!("CARGO_BIN_EXE_eseal");
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long the demo may take before it serves, and the driver before it ends, until the
/// test calls them hung (debug build, 2 busy cores).
const HANG_BOUND: Duration = Duration::from_secs(900);
const CLERK_TOKEN: &str = "   token 窗口 01 (verify): ";
const OFFICER_TOKEN: &str = "   token 办证员 王五 (issue, revoke): ";
/// The scenarios serve_browser.py runs, each printing one PASS line.
const SCENARIOS: usize = 4;

/// `eseal demo --serve`, killed when dropped so that a failing test leaves no service behind.
struct Service {
    child: Child,
    log: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the demo printed before it began to serve: the base URL and the two tokens.
struct Served {
    url: String,
    clerk: String,
    officer: String,
}

/// Starts `eseal demo --out DIR --serve` on a free port and reads its standard output up
/// to the URL line.
fn serve_demo(dir: &Path, log: PathBuf) -> (Service, Served) {
    let child = Command::new(ESEAL)
        .args(["demo", "--out"])
        .arg(dir)
        .args(["--serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&log).unwrap())
        .spawn()
        .expect("the eseal binary runs");
    let mut service = Service { child, log };
    let stdout = service.child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    // Reads to the end, so the service never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line);
        }
    });
    let started = Instant::now();
    let (mut clerk, mut officer, mut printed) = (None, None, String::new());
    let url = loop {
        let left = HANG_BOUND.saturating_sub(started.elapsed());
        let line = match received.recv_timeout(left) {
            Ok(line) => line,
            Err(e) => panic!(
                "eseal demo --serve printed no URL ({e:?}); its output:\n{printed}\n{}",
                read(&service.log)
            ),
        };
        printed.push_str(&line);
        printed.push('\n');
        if let Some(token) = line.strip_prefix(CLERK_TOKEN) {
            clerk = Some(token.to_string());
        } else if let Some(token) = line.strip_prefix(OFFICER_TOKEN) {
            officer = Some(token.to_string());
        } else if line.starts_with("http://") {
            break line;
        }
    };
    let token = |t: Option<String>, whose: &str| {
        let t = t.unwrap_or_else(|| panic!("no {whose} token printed:\n{printed}"));
        assert_eq!(t.len(), 32, "the {whose} token is 128 bits in hex: {t}");
        t
    };
    let served = Served {
        url,
        clerk: token(clerk, "clerk's"),
        officer: token(officer, "officer's"),
    };
    (service, served)
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// A Python with Selenium 4 and segno.
fn python() -> PathBuf {
    common::python_with(
        "ESEAL_BROWSER_PYTHON",
        "serve-browser-venv",
        &["selenium", "segno"],
        &["selenium>=4.11", "segno"],
    )
}

/// Runs `cmd` to its end with its output in `out`, failing the test when it does not end
/// within [`HANG_BOUND`]; whether it succeeded.
fn run_bounded(cmd: &mut Command, out: &Path) -> bool {
    let file = File::create(out).unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("the driver starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return status.success();
        }
        if started.elapsed() > HANG_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {HANG_BOUND:?}:\n{}", read(out));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_page_against_the_demo_service_in_headless_chromium() {
    for program in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(program).exists(),
            "{program} is missing: run scripts/setup.sh (Debian's chromium and chromium-driver)"
        );
    }
    let python = python();
    let shots = common::root().join("target/serve-screenshots");
    if shots.exists() {
        std::fs::remove_dir_all(&shots).unwrap();
    }
    std::fs::create_dir_all(&shots).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let (service, served) = serve_demo(&demo, tmp.path().join("serve.log"));
    for name in ["licence-lta.pdf", "licence.qr.txt", "template.json"] {
        assert!(demo.join(name).is_file(), "the demo wrote no {name}");
    }

    let output = tmp.path().join("driver.txt");
    let passed = run_bounded(
        Command::new(&python)
            .arg(common::root().join("tests/python/serve_browser.py"))
            .arg(&served.url)
            .arg(&demo)
            .arg(&shots)
            .arg(&served.clerk)
            .arg(&served.officer),
        &output,
    );
    let log = read(&service.log);
    drop(service);
    let printed = read(&output);
    println!("{printed}");
    assert!(
        passed,
        "serve_browser.py failed:\n{printed}\nthe service's log:\n{log}"
    );
    let passes = printed.lines().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(passes, SCENARIOS, "serve_browser.py printed:\n{printed}");
    for name in [
        "a-sealed-pdf-passed",
        "b-tampered-pdf-failed",
        "c-qr-photo-revoked",
        "d1-office-issued-passed",
        "d2-office-revoked-failed",
    ] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
    }
}
