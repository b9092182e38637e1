//! `eseal serve` over loopback: every endpoint, each role boundary, limits, malformed
//! input, TLS with client certificates, HTTP/2, a reload that keeps the last good trust
//! material, and an office whose registry is in PostgreSQL. The service runs as the real
//! binary on the demo's office and trust folder; curl is the client.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use eseal::licence::sample;
use serde_json::Value;

/// The demo's folder (trust/, office.json, eseal-serve.toml) and its operators' tokens.
struct Demo {
    dir: PathBuf,
    clerk: String,
    officer: String,
}

/// Tokens of the operators the tests add with `--operator`.
const ISSUER: &str = "issuer-token-0001";
const REVOKER: &str = "revoker-token-0001";
const ADMIN: &str = "admin-token-0001";

fn sha256_hex(text: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// Runs `eseal demo --serve` once, keeps its files and tokens, and stops it.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| run_demo(&common::root().join("target/serve-tests/demo")))
}

/// Runs `eseal demo --serve` into `dir` (made anew) and stops it once it serves.
fn run_demo(dir: &Path) -> Demo {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(["demo", "--serve", "--listen", "127.0.0.1:0", "--out"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = read_until_url(&mut child);
    let token = |who: &str| {
        lines
            .iter()
            .find(|l| l.contains(who))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_else(|| panic!("no token for {who} in {lines:?}"))
            .to_owned()
    };
    let demo = Demo {
        clerk: token("窗口 01 (verify)"),
        officer: token("(issue, revoke)"),
        dir: dir.to_path_buf(),
    };
    let _ = child.kill();
    let _ = child.wait();
    demo
}

/// Reads `child`'s standard output up to the service's URL line; the lines read.
fn read_until_url(child: &mut Child) -> Vec<String> {
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("http://") || line.starts_with("https://");
        lines.push(line);
        if done {
            return lines;
        }
    }
    panic!("the service printed no URL: {lines:?}");
}

/// A running `eseal serve`, stopped when dropped.
struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `eseal serve` on the demo's configuration with the test operators and `args`.
fn serve(args: &[&str]) -> Service {
    serve_demo(demo(), args)
}

/// `eseal serve` on the configuration of `demo` with the test operators and `args`.
fn serve_demo(demo: &Demo, args: &[&str]) -> Service {
    let issuer = format!("issuer:issue:{}", sha256_hex(ISSUER));
    let revoker = format!("revoker:revoke:{}", sha256_hex(REVOKER));
    let admin = format!("admin:admin:{}", sha256_hex(ADMIN));
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .arg("serve")
        .arg("--config")
        .arg(demo.dir.join("eseal-serve.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .args([
            "--operator",
            &issuer,
            "--operator",
            &revoker,
            "--operator",
            &admin,
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = read_until_url(&mut child).pop().unwrap();
    Service {
        child,
        url: url.trim_end_matches('/').to_owned(),
    }
}

/// One answer: status, header section (lower-cased names) and body.
struct Answer {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The JSON error's code.
    fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

/// curl with `args` (which name the URL); the last response's status, head and body.
fn curl(args: &[&str]) -> Answer {
    let out = Command::new("curl")
        .args(["-s", "-S", "-i", "-H", "Expect:", "--max-time", "60"])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = out.stdout;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header section");
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(url: &str, token: Option<&str>) -> Answer {
    let auth = token.map(|t| format!("Authorization: Bearer {t}"));
    let mut args = vec![url];
    if let Some(auth) = &auth {
        args.extend(["-H", auth]);
    }
    curl(&args)
}

fn post_file(url: &str, token: Option<&str>, file: &Path, extra: &[&str]) -> Answer {
    let data = format!("@{}", file.display());
    let auth = token.map(|t| format!("Authorization: Bearer {t}"));
    let mut args = vec![url, "--data-binary", &data];
    if let Some(auth) = &auth {
        args.extend(["-H", auth]);
    }
    args.extend(extra);
    curl(&args)
}

fn post_json(url: &str, token: Option<&str>, json: &str, extra: &[&str]) -> Answer {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), json).unwrap();
    post_file(
        url,
        token,
        file.path(),
        &[extra, &["-H", "Content-Type: application/json"]].concat(),
    )
}

/// The overall indication of a report.
fn indication(report: &Value) -> String {
    let order = ["TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"];
    report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["indication"].as_str().unwrap())
        .max_by_key(|i| order.iter().position(|o| o == i))
        .unwrap_or("NONE")
        .to_owned()
}

fn reason_codes(report: &Value) -> Vec<String> {
    report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["reasons"].as_array().unwrap().iter())
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The demo's request, for another holder.
fn licence_request(holder_code: &str) -> String {
    let path = demo().dir.join("licence-request.json");
    let mut request: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    request["holder_code"] = holder_code.into();
    request.to_string()
}

fn type_code() -> String {
    let path = demo().dir.join("template.json");
    let template: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    template["type_code"].as_str().unwrap().to_owned()
}

#[test]
fn verifies_documents_and_licence_qrs_in_either_language() {
    let demo = demo();
    let service = serve(&[]);
    let verify = format!("{}/v1/verify", service.url);

    let pdf = post_file(&verify, None, &demo.dir.join("licence-lta.pdf"), &[]);
    assert_eq!(pdf.status, 200);
    let report = pdf.json();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(indication(&report), "TOTAL-PASSED");
    let sha = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        &std::fs::read(demo.dir.join("licence-lta.pdf")).unwrap(),
    ));
    assert_eq!(report["sha256"], sha.as_str());

    // The demo revoked its licence; English by default, Chinese when asked.
    let qr = demo.dir.join("licence.qr.txt");
    let english = post_file(&verify, None, &qr, &[]).json();
    assert_eq!(indication(&english), "TOTAL-FAILED");
    assert_eq!(reason_codes(&english), ["LICENCE_REVOKED"]);
    let message = english["signatures"][0]["reasons"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("revoked"), "{message}");
    assert_eq!(english["fields"][0]["label"], "identifier");

    let chinese = post_file(
        &verify,
        None,
        &qr,
        &["-H", "Accept-Language: zh-CN,en;q=0.5"],
    );
    let chinese = chinese.json();
    let message = chinese["signatures"][0]["reasons"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("已吊销"), "{message}");
    let fields = chinese["fields"].as_array().unwrap();
    assert_eq!(fields[0]["label"], "证照标识");
    assert!(
        fields
            .iter()
            .any(|f| f["label"] == "法定代表人" && f["value"] == "张三")
    );

    // The printable verification report of the same input.
    let report_pdf = format!("{}/v1/verify/report.pdf", service.url);
    let printed = post_file(&report_pdf, None, &demo.dir.join("licence-lta.pdf"), &[]);
    assert_eq!(printed.status, 200);
    assert_eq!(
        printed.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.pdf"), &printed.body).unwrap();
    let text = common::pdf_text(&dir.path().join("report.pdf")).replace(char::is_whitespace, "");
    assert!(
        text.contains("验证报告") && text.contains("验证通过"),
        "{text}"
    );
    assert!(text.contains(&sha[..32]), "{text}");

    // As of a time given: before the certificates existed, the PDF cannot be trusted.
    let early = format!("{verify}?at=2020-01-01T00:00:00Z");
    let early = post_file(&early, None, &demo.dir.join("licence-lta.pdf"), &[]).json();
    assert_ne!(indication(&early), "TOTAL-PASSED");
    let bad_time = post_file(&format!("{verify}?at=yesterday"), None, &qr, &[]);
    assert_eq!(
        (bad_time.status, bad_time.error_code()),
        (400, "invalid_time".into())
    );
}

#[test]
fn malformed_and_oversized_input_get_named_errors() {
    let demo = demo();
    let service = serve(&["--max-body", "4096"]);
    let verify = format!("{}/v1/verify", service.url);
    let junk = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(junk.path(), b"this is neither a PDF nor a seal").unwrap();
    let answer = post_file(&verify, None, junk.path(), &[]);
    assert_eq!(
        (answer.status, answer.error_code()),
        (422, "unreadable_input".into())
    );
    assert!(
        !answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .is_empty()
    );

    let large = post_file(&verify, None, &demo.dir.join("licence-lta.pdf"), &[]);
    assert_eq!(
        (large.status, large.error_code()),
        (413, "too_large".into())
    );
    // Without a Content-Length (chunked), the limit holds as the body arrives.
    let chunked = post_file(
        &verify,
        None,
        &demo.dir.join("licence-lta.pdf"),
        &["-H", "Transfer-Encoding: chunked"],
    );
    assert_eq!(
        (chunked.status, chunked.error_code()),
        (413, "too_large".into())
    );

    let issue = format!("{}/v1/licences?type={}", service.url, type_code());
    let bad = post_json(&issue, Some(ISSUER), r#"{"holder_name": 5}"#, &[]);
    assert_eq!(
        (bad.status, bad.error_code()),
        (400, "invalid_request".into())
    );
    let message = bad.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("holder_name"), "{message}");

    let missing = get(&format!("{}/v1/nothing-here", service.url), None);
    assert_eq!(
        (missing.status, missing.error_code()),
        (404, "not_found".into())
    );
}

#[test]
fn roles_decide_who_may_issue_revoke_and_read() {
    let demo = demo();
    let service = serve(&[]);
    let url = &service.url;
    let issue = format!("{url}/v1/licences?type={}", type_code());
    let request = licence_request(&sample::company_code(26).to_string());

    let anonymous = post_json(&issue, None, &request, &[]);
    assert_eq!(
        (anonymous.status, anonymous.error_code()),
        (401, "unauthorized".into())
    );
    let unknown = post_json(&issue, Some("not-a-token"), &request, &[]);
    assert_eq!(unknown.status, 401);
    let clerk = post_json(&issue, Some(&demo.clerk), &request, &[]);
    assert_eq!(
        (clerk.status, clerk.error_code()),
        (403, "forbidden".into())
    );
    let revoker = post_json(&issue, Some(REVOKER), &request, &[]);
    assert_eq!(revoker.status, 403);

    let issued = post_json(
        &issue,
        Some(ISSUER),
        &request,
        &["-H", "Idempotency-Key: R-1"],
    );
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let issued = issued.json();
    let link = format!("{url}{}", issued["links"]["self"].as_str().unwrap());

    // Reading the registry: issuers and revokers, not clerks or anonymous callers.
    assert_eq!(get(&link, None).status, 401);
    assert_eq!(get(&link, Some(&demo.clerk)).status, 403);
    assert_eq!(get(&link, Some(REVOKER)).status, 200);
    let record = get(&link, Some(ISSUER)).json();
    assert_eq!(record["history"][0]["operator"], "issuer");

    let revoke = format!("{link}/revoke");
    let body = r#"{"reason": "违法经营"}"#;
    assert_eq!(post_json(&revoke, None, body, &[]).status, 401);
    assert_eq!(post_json(&revoke, Some(&demo.clerk), body, &[]).status, 403);
    assert_eq!(post_json(&revoke, Some(ISSUER), body, &[]).status, 403);
    assert_eq!(
        get(&format!("{url}/v1/licence-types"), Some(REVOKER)).status,
        403
    );
    // An admin may do everything.
    assert_eq!(
        get(&format!("{url}/v1/licence-types"), Some(ADMIN)).status,
        200
    );
    let done = post_json(&revoke, Some(REVOKER), body, &[]);
    assert_eq!(done.status, 200);
    assert_eq!(done.json()["status"], "07");

    let who = get(&format!("{url}/v1/whoami"), Some(&demo.officer)).json();
    assert_eq!(who["roles"], serde_json::json!(["issue", "revoke"]));
}

#[test]
fn an_issued_licence_verifies_until_revoked_and_retries_are_idempotent() {
    let demo = demo();
    let service = serve(&[]);
    let url = &service.url;
    let officer = Some(demo.officer.as_str());
    let issue = format!("{url}/v1/licences?type={}", type_code());
    let request = licence_request(&sample::company_code(34).to_string());
    let key = ["-H", "Idempotency-Key: JL-2026-TEST-1"];
    let first = post_json(&issue, officer, &request, &key);
    assert_eq!(first.status, 201);
    let again = post_json(&issue, officer, &request, &key);
    assert_eq!(again.status, 200);
    let (first, again) = (first.json(), again.json());
    assert_eq!(first["identifier"], again["identifier"]);
    assert_eq!(again["replayed"], true);

    let links = &first["links"];
    let link = |name: &str| format!("{url}{}", links[name].as_str().unwrap());
    let qr = get(&link("qr"), officer);
    assert_eq!(qr.body, first["qr"].as_str().unwrap().as_bytes());
    let png = get(&link("qr_png"), officer);
    assert_eq!(png.header("content-type").as_deref(), Some("image/png"));
    assert!(png.body.starts_with(b"\x89PNG"));
    let pdf = get(&link("pdf"), officer);
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let ofd = get(&link("ofd"), officer);
    assert!(ofd.body.starts_with(b"PK"));

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let verify = format!("{url}/v1/verify");
    let qr_file = write("qr.txt", &qr.body);
    let valid = post_file(&verify, None, &qr_file, &[]).json();
    assert_eq!(indication(&valid), "TOTAL-PASSED", "{valid}");
    let document = post_file(&verify, None, &write("l.pdf", &pdf.body), &[]).json();
    assert_eq!(indication(&document), "TOTAL-PASSED", "{document}");
    let ofd_report = post_file(&verify, None, &write("l.ofd", &ofd.body), &[]).json();
    assert_eq!(indication(&ofd_report), "TOTAL-PASSED", "{ofd_report}");

    let suspend = format!("{}/suspend", link("self"));
    let suspend = post_json(&suspend, officer, r#"{"reason": "核查"}"#, &[]);
    assert_eq!(suspend.json()["status"], "02");
    let suspended = post_file(&verify, None, &qr_file, &[]).json();
    assert_eq!(reason_codes(&suspended), ["LICENCE_SUSPENDED"]);
    let reinstate = post_json(
        &format!("{}/reinstate", link("self")),
        officer,
        r#"{"reason": "核查完毕"}"#,
        &[],
    );
    assert_eq!(reinstate.json()["status"], "01");
    let revoke = post_json(
        &format!("{}/revoke", link("self")),
        officer,
        r#"{"reason": "吊销", "status": "07"}"#,
        &[],
    );
    assert_eq!(revoke.status, 200);
    let revoked = post_file(&verify, None, &qr_file, &[]).json();
    assert_eq!(indication(&revoked), "TOTAL-FAILED");
    assert_eq!(reason_codes(&revoked), ["LICENCE_REVOKED"]);
    // Final: no way back.
    let back = post_json(
        &format!("{}/reinstate", link("self")),
        officer,
        r#"{"reason": "x"}"#,
        &[],
    );
    assert_eq!((back.status, back.error_code()), (409, "conflict".into()));
    let history = get(&link("self"), officer).json();
    let ops: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["01", "02", "01", "07"]);
}

/// The demo's office moved into PostgreSQL (`eseal licence migrate`): the service issues,
/// replays, revokes and publishes its status list through the database.
#[test]
fn an_office_on_postgresql_issues_and_publishes_through_the_database() {
    let demo = run_demo(&common::root().join("target/serve-tests/demo-postgresql"));
    let office = demo.dir.display().to_string();
    let database = common::postgres::database();
    let moved = common::cli::ok(&["licence", "migrate", "--office", &office, "--to", &database]);
    assert!(moved.starts_with("registry moved: "), "{moved}");
    let service = serve_demo(&demo, &[]);
    let url = &service.url;
    let officer = Some(demo.officer.as_str());
    let issue = format!("{url}/v1/licences?type={}", type_code());
    let request = licence_request(&sample::company_code(77).to_string());
    let key = ["-H", "Idempotency-Key: JL-2026-PG-1"];
    let first = post_json(&issue, officer, &request, &key);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let again = post_json(&issue, officer, &request, &key);
    assert_eq!(again.status, 200);
    let (first, again) = (first.json(), again.json());
    assert_eq!(first["identifier"], again["identifier"]);
    let identifier = first["identifier"].as_str().unwrap();
    let db = database.rsplit('/').next().unwrap();
    let server = common::postgres::server();
    assert_eq!(
        server.sql(
            db,
            &format!("SELECT status FROM eseal.licences WHERE identifier = '{identifier}'")
        ),
        "01"
    );

    let revoke = format!("{url}{}/revoke", first["links"]["self"].as_str().unwrap());
    let revoke = post_json(
        &revoke,
        officer,
        r#"{"reason": "吊销", "status": "07"}"#,
        &[],
    );
    assert_eq!(revoke.status, 200);
    assert_eq!(
        server.sql(
            db,
            &format!("SELECT status FROM eseal.licences WHERE identifier = '{identifier}'")
        ),
        "07"
    );
    // The list the service publishes comes from the database: the QR verifies revoked.
    let dir = tempfile::tempdir().unwrap();
    let qr = dir.path().join("qr.txt");
    std::fs::write(&qr, first["qr"].as_str().unwrap()).unwrap();
    let verify = format!("{url}/v1/verify");
    let report = post_file(&verify, None, &qr, &[]).json();
    assert_eq!(indication(&report), "TOTAL-FAILED", "{report}");
    assert_eq!(reason_codes(&report), ["LICENCE_REVOKED"]);
    drop(service);
    let audit = common::cli::ok(&["licence", "audit", "--office", &office]);
    assert!(audit.starts_with("audit log intact: "), "{audit}");
}

#[test]
fn public_lists_carry_etags_and_anonymous_access_can_be_turned_off() {
    let service = serve(&[]);
    let list = format!("{}/v1/status-lists/1", service.url);
    let first = get(&list, None);
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("content-type").as_deref(),
        Some("application/statuslist+cwt")
    );
    assert_eq!(
        first.header("cache-control").as_deref(),
        Some("public, max-age=300")
    );
    let etag = first.header("etag").unwrap();
    let again = curl(&[&list, "-H", &format!("If-None-Match: {etag}")]);
    assert_eq!(again.status, 304);
    assert_eq!(
        get(&format!("{}/v1/status-lists/9", service.url), None).status,
        404
    );

    let trust_list = get(&format!("{}/v1/trust-list", service.url), None);
    assert_eq!(trust_list.status, 200);
    let on_disk = std::fs::read(demo().dir.join("trust/trust-lists/trust-list.cwt")).unwrap();
    assert_eq!(trust_list.body, on_disk);
    assert!(trust_list.header("etag").is_some());

    let closed = serve(&["--no-anonymous"]);
    let qr = demo().dir.join("licence.qr.txt");
    let verify = format!("{}/v1/verify", closed.url);
    assert_eq!(post_file(&verify, None, &qr, &[]).status, 401);
    assert_eq!(
        post_file(&verify, Some(&demo().clerk), &qr, &[]).status,
        200
    );
    assert_eq!(
        get(&format!("{}/v1/status-lists/1", closed.url), None).status,
        401
    );
    // Health and metrics stay open for the load balancer and the monitoring.
    assert_eq!(get(&format!("{}/healthz", closed.url), None).status, 200);
}

#[test]
fn health_metrics_page_and_timestamps() {
    let demo = demo();
    let service = serve(&[]);
    let health = get(&format!("{}/healthz", service.url), None).json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["trust"]["files"], 5);
    assert_eq!(health["trust"]["trust_list_seq"], 1);
    assert_eq!(
        (health["office"].clone(), health["tsa"].clone()),
        (true.into(), true.into())
    );

    let verify = format!("{}/v1/verify", service.url);
    post_file(&verify, None, &demo.dir.join("licence-lta.pdf"), &[]);
    let metrics = get(&format!("{}/metrics", service.url), None);
    let text = String::from_utf8(metrics.body).unwrap();
    for line in [
        "eseal_verifications_total{kind=\"pdf-signature\",indication=\"TOTAL-PASSED\"} 1",
        "eseal_http_requests_total{route=\"/v1/verify\",method=\"POST\",status=\"200\"} 1",
        "# TYPE eseal_trust_material_age_seconds gauge",
    ] {
        assert!(text.contains(line), "{line} not in {text}");
    }
    assert!(text.contains("eseal_http_request_duration_seconds_bucket{le="));

    let page = get(&format!("{}/", service.url), None);
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("/assets/app.js"));
    assert!(page.header("content-security-policy").is_some());
    for asset in ["app.js", "style.css", "jsQR.js"] {
        assert_eq!(
            get(&format!("{}/assets/{asset}", service.url), None).status,
            200
        );
    }

    // RFC 3161 through openssl: a query in, a granted reply out.
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("q.tsq");
    let reply = dir.path().join("r.tsr");
    let made = Command::new("openssl")
        .args(["ts", "-query", "-sha256", "-cert", "-data"])
        .arg(demo.dir.join("document.txt"))
        .arg("-out")
        .arg(&query)
        .status()
        .unwrap();
    assert!(made.success());
    let answer = post_file(
        &format!("{}/tsa", service.url),
        None,
        &query,
        &["-H", "Content-Type: application/timestamp-query"],
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/timestamp-reply")
    );
    std::fs::write(&reply, &answer.body).unwrap();
    let text = Command::new("openssl")
        .args(["ts", "-reply", "-text", "-in"])
        .arg(&reply)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Status: Granted."), "{text}");
    let wrong_type = post_file(&format!("{}/tsa", service.url), None, &query, &[]);
    assert_eq!(wrong_type.status, 415);
}

/// A request written byte by byte: what curl would never send.
fn raw_exchange(url: &str, request: &[u8]) -> String {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn http_that_is_not_http_or_framed_ambiguously_is_refused_at_once() {
    let service = serve(&[]);
    let started = Instant::now();
    let answer = raw_exchange(&service.url, b"\x16\x03\x01\x02\x00garbage\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let verify = "POST /v1/verify HTTP/1.1\r\nHost: x\r\n";
    for (fields, reason) in [
        (
            "Content-Length: 4\r\nContent-Length: 4\r\n",
            "more than one content-length field",
        ),
        (
            "Content-Length: 3\r\nContent-Length: 4\r\n",
            "more than one content-length field",
        ),
        (
            "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
            "both content-length and transfer-encoding",
        ),
        (
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
            "both content-length and transfer-encoding",
        ),
    ] {
        // A request smuggled behind the ambiguous one is never answered.
        let request = format!(
            "{verify}{fields}\r\n4\r\nabcd\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        let answer = raw_exchange(&service.url, request.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 400"), "{fields}: {answer}");
        assert!(answer.contains("\"bad_framing\""), "{answer}");
        assert!(answer.contains(reason), "{answer}");
        assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
    }
}

#[test]
fn http2_without_tls_and_tls_with_client_certificates() {
    let demo = demo();
    let plain = serve(&[]);
    let h2 = curl(&["--http2-prior-knowledge", &format!("{}/healthz", plain.url)]);
    assert!(h2.headers.starts_with("HTTP/2 200"), "{}", h2.headers);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(d)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca = [
        &["req", "-x509", "-days", "2", "-subj", "/CN=eseal test CA"][..],
        &ec,
    ]
    .concat();
    openssl(&[&ca[..], &["-keyout", "ca.key", "-out", "ca.pem"]].concat());
    // Leaf certificates: CSRs signed by the CA with end-entity extensions.
    let leaf = |name: &str, subject: &str, extensions: &str| {
        std::fs::write(d.join(format!("{name}.ext")), extensions).unwrap();
        let csr = [&["req", "-new", "-subj", subject][..], &ec].concat();
        let (key, req) = (format!("{name}.key"), format!("{name}.csr"));
        openssl(&[&csr[..], &["-keyout", &key, "-out", &req]].concat());
        let (pem, ext) = (format!("{name}.pem"), format!("{name}.ext"));
        openssl(&[
            "x509", "-req", "-in", &req, "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "2",
            "-extfile", &ext, "-out", &pem,
        ]);
    };
    leaf(
        "server",
        "/CN=127.0.0.1",
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    leaf(
        "client",
        "/CN=mTLS officer",
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
    let client_der = Command::new("openssl")
        .current_dir(d)
        .args(["x509", "-in", "client.pem", "-outform", "DER"])
        .output()
        .unwrap()
        .stdout;
    let fingerprint = hex::encode(ring::digest::digest(&ring::digest::SHA256, &client_der));
    let config = format!(
        "listen = \"127.0.0.1:0\"\ntrust_dir = \"{}\"\n\n[tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\n[[operators]]\nname = \"mtls-officer\"\nroles = [\"issue\"]\nclient_cert_sha256 = \"{fingerprint}\"\n",
        demo.dir.join("trust").display()
    );
    std::fs::write(d.join("serve.toml"), config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(["serve", "--config"])
        .arg(d.join("serve.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = read_until_url(&mut child).pop().unwrap();
    let tls = Service {
        child,
        url: url.trim_end_matches('/').to_owned(),
    };
    assert!(tls.url.starts_with("https://"));
    let ca = d.join("ca.pem").display().to_string();
    let whoami = format!("{}/v1/whoami", tls.url);
    let anonymous = curl(&["--cacert", &ca, &whoami]);
    assert!(
        anonymous.headers.starts_with("HTTP/2 200"),
        "{}",
        anonymous.headers
    );
    assert_eq!(anonymous.json()["operator"], "anonymous");
    let cert = d.join("client.pem").display().to_string();
    let key = d.join("client.key").display().to_string();
    let known = curl(&["--cacert", &ca, "--cert", &cert, "--key", &key, &whoami]).json();
    assert_eq!(known["operator"], "mtls-officer");
    assert_eq!(known["roles"], serde_json::json!(["issue"]));
    let http1 = curl(&[
        "--http1.1",
        "--cacert",
        &ca,
        &format!("{}/healthz", tls.url),
    ]);
    assert!(
        http1.headers.starts_with("HTTP/1.1 200"),
        "{}",
        http1.headers
    );
}

/// Waits until `/healthz` satisfies `done`; its last answer.
fn wait_for_health(url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = get(&format!("{url}/healthz"), None).json();
        if done(&health) || Instant::now() > deadline {
            return health;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_broken_trust_list_keeps_the_last_good_set_until_fixed() {
    let demo = demo();
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("trust");
    common::copy_dir(&demo.dir.join("trust"), &trust);
    let trust_arg = trust.display().to_string();
    let service = serve(&["--trust-dir", &trust_arg, "--reload-interval-secs", "1"]);
    let verify = format!("{}/v1/verify", service.url);
    let qr = demo.dir.join("licence.qr.txt");
    let before = post_file(&verify, None, &qr, &[]).json();
    assert_eq!(reason_codes(&before), ["LICENCE_REVOKED"]);

    let broken = trust.join("trust-lists/trust-list.cwt");
    let mut bytes = std::fs::read(&broken).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&broken, &bytes).unwrap();
    let health = wait_for_health(&service.url, |h| h["status"] == "degraded");
    assert_eq!(health["status"], "degraded", "{health}");
    let error = health["trust"]["last_reload_error"].as_str().unwrap();
    assert!(error.contains("trust-list.cwt"), "{error}");
    // The last good trust list still decides.
    let during = post_file(&verify, None, &qr, &[]).json();
    assert_eq!(reason_codes(&during), ["LICENCE_REVOKED"]);
    let metrics = String::from_utf8(get(&format!("{}/metrics", service.url), None).body).unwrap();
    assert!(
        metrics.contains("eseal_trust_reload_failures 1"),
        "{metrics}"
    );

    bytes[last] ^= 1;
    std::fs::write(&broken, &bytes).unwrap();
    let health = wait_for_health(&service.url, |h| h["status"] == "ok");
    assert_eq!(health["status"], "ok", "{health}");

    // SIGHUP reloads at once, even with the folder unchanged.
    let service = serve(&["--trust-dir", &trust_arg, "--reload-interval-secs", "0"]);
    let pid = service.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let health = wait_for_health(&service.url, |h| !h["trust"]["last_reload"].is_null());
    assert!(!health["trust"]["last_reload"].is_null(), "{health}");
    assert_eq!(health["status"], "ok");
}

/// `(METHOD, path)` of every `.route("path", get(..).post(..))` in the service's source.
fn routes_in_source() -> std::collections::BTreeSet<(String, String)> {
    let mut routes = std::collections::BTreeSet::new();
    for file in ["src/serve/api.rs", "src/serve/office.rs"] {
        let source = std::fs::read_to_string(common::root().join(file)).unwrap();
        for line in source
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
        {
            let (path, handlers) = line.split_once('"').unwrap();
            for method in ["get", "post", "put", "delete", "patch"] {
                if handlers.contains(&format!("{method}(")) {
                    routes.insert((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    routes
}

#[test]
fn the_openapi_file_describes_every_route_and_each_answers() {
    let spec: Value =
        serde_json::from_slice(&std::fs::read(common::root().join("openapi.json")).unwrap())
            .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    assert_eq!(documented, routes_in_source());

    // Each documented operation reaches its handler: never the fallback's 404 or a 405.
    let demo = demo();
    let service = serve(&[]);
    let officer = demo.officer.as_str();
    let request = licence_request(&sample::company_code(77).to_string());
    let issue = format!("{}/v1/licences?type={}", service.url, type_code());
    let issued = post_json(&issue, Some(officer), &request, &[]).json();
    let id = issued["identifier"].as_str().unwrap();
    for (method, path) in &documented {
        let path = path
            .replace("{id}", id)
            .replace("{n}", "1")
            .replace("{action}", "suspend")
            .replace("{file}", "app.js");
        let url = format!("{}{path}", service.url);
        let auth = format!("Authorization: Bearer {officer}");
        let answer = curl(&["-X", method, "-H", &auth, "--data-binary", "{}", &url]);
        let fallback =
            answer.status == 404 && answer.json()["error"]["message"] == "no such endpoint";
        assert!(
            !fallback && answer.status != 405,
            "{method} {path}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
}

#[test]
fn the_example_configuration_reads_as_the_defaults_it_states() {
    let path = common::root().join("eseal-serve.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let config = eseal::serve::Config::from_toml(&text, Path::new("/srv/eseal")).unwrap();
    let defaults = eseal::serve::Config::default();
    assert_eq!(config.listen, defaults.listen);
    assert_eq!(config.trust_dir, Some(PathBuf::from("/srv/eseal/trust")));
    assert_eq!(config.reload_interval_secs, defaults.reload_interval_secs);
    assert_eq!(config.status_list_ttl_secs, defaults.status_list_ttl_secs);
    assert_eq!(config.anonymous, defaults.anonymous);
    assert_eq!(
        format!("{:?}", config.limits),
        format!("{:?}", defaults.limits)
    );
    let unknown =
        eseal::serve::Config::from_toml("listen = \"x\"\nlisten_on = 1\n", Path::new("."));
    let message = unknown.unwrap_err().to_string();
    assert!(message.contains("listen_on"), "{message}");
}

#[test]
fn a_client_that_sends_no_request_in_time_is_dropped() {
    let service = serve(&["--header-timeout-secs", "1"]);
    let address = service.url.trim_start_matches("http://").to_owned();
    for trickle in [
        &b"POST /v1/verify HTTP/1.1\r\n"[..],
        b"PRI * HTTP/2.0\r\n",
        b"",
    ] {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        for byte in trickle.iter().take(5) {
            stream.write_all(&[*byte]).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_secs(5),
            "{:?}: dropped after {waited:?}",
            String::from_utf8_lossy(trickle)
        );
    }
}
