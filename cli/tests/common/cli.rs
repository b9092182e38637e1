//! Driving the `eseal` binary: run, expect success, and the files of a licence office.

use std::path::Path;
use std::process::{Command, Output};

use eseal::licence::sample;

/// Runs `eseal` with `args`.
pub fn eseal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .output()
        .expect("the eseal binary runs")
}

/// The exit code of a run that ended normally.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// What a run printed on standard error.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `eseal` with `args`, which must exit 0; returns what it printed.
pub fn ok(args: &[&str]) -> String {
    let out = eseal(args);
    assert_eq!(code(&out), 0, "eseal {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// `dir/name` as an argument.
pub fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// `eseal pki issue` from the CA in `d/ca` into `d/out`.
pub fn pki_issue(d: &Path, ca: &str, profile: &str, name: &str, alg: &str, out: &str) {
    ok(&[
        "pki",
        "issue",
        "--ca",
        &p(d, ca),
        "--profile",
        profile,
        "--name",
        name,
        "--alg",
        alg,
        "--out",
        &p(d, out),
    ]);
}

/// A root in `d/root` and, under an office CA, a seal maker `maker` and a signer
/// `signer`, all with `alg`.
pub fn office(d: &Path, alg: &str) {
    ok(&["pki", "init", &p(d, "root"), "--name", "根CA", "--alg", alg]);
    pki_issue(d, "root", "office-ca", "办公室 CA", alg, "office");
    pki_issue(d, "office", "seal-maker", "制章人", alg, "maker");
    pki_issue(d, "office", "signer", "签章人", alg, "signer");
}

/// `eseal seal make` by `d`'s seal maker for its signer: seal `es_id` written to `out`,
/// with `extra` arguments.
pub fn make_seal(d: &Path, es_id: &str, out: &str, extra: &[&str]) {
    let (maker_cert, maker_key, signer_cert, out) = (
        p(d, "maker.pem"),
        p(d, "maker.key"),
        p(d, "signer.pem"),
        p(d, out),
    );
    let args = [
        "seal",
        "make",
        "--maker-cert",
        &maker_cert,
        "--maker-key",
        &maker_key,
        "--signer-cert",
        &signer_cert,
        "--name",
        "测试局电子证照专用章",
        "--es-id",
        es_id,
        "--office",
        "测试局",
        "--out",
        &out,
    ];
    ok(&[&args[..], extra].concat());
}

/// [`office`] with `alg`, plus a trust-list signer `lister`, the office's licence signer
/// `licencer` and status-list signer `statuser`, and its e-seal `office.esl` (ES ID L0001):
/// the files [`OfficeFiles::in_dir`] names.
pub fn licence_pki(d: &Path, alg: &str) {
    office(d, alg);
    pki_issue(d, "root", "trust-list", "吉林省证照目录", alg, "lister");
    pki_issue(d, "office", "licence-signer", "证照签名", alg, "licencer");
    pki_issue(d, "office", "status-list", "证照状态列表", alg, "statuser");
    make_seal(d, "L0001", "office.esl", &[]);
}

/// The key, certificate and seal files `eseal licence init` takes.
pub struct OfficeFiles {
    /// Licence signer: key and certificate.
    pub licence: (String, String),
    /// Status-list signer: key and certificate.
    pub status_list: (String, String),
    /// The office's e-seal, and its document signer's key and certificate.
    pub seal: (String, String, String),
}

impl OfficeFiles {
    /// The files a test PKI in `d` holds: `licencer`, `statuser`, `office.esl`, `signer`.
    pub fn in_dir(d: &Path) -> Self {
        OfficeFiles {
            licence: (p(d, "licencer.key"), p(d, "licencer.pem")),
            status_list: (p(d, "statuser.key"), p(d, "statuser.pem")),
            seal: (p(d, "office.esl"), p(d, "signer.key"), p(d, "signer.pem")),
        }
    }

    /// The files `eseal demo --out d` writes.
    pub fn of_demo(d: &Path) -> Self {
        OfficeFiles {
            licence: (p(d, "licence-signer.key"), p(d, "licence-signer.pem")),
            status_list: (p(d, "status-list.key"), p(d, "status-list.pem")),
            seal: (p(d, "seal.esl"), p(d, "signer.key"), p(d, "signer.pem")),
        }
    }

    /// The arguments of `eseal licence init` for the sample office in `office`.
    pub fn init_args(&self, office: &Path) -> Vec<String> {
        [
            "licence",
            "init",
            "--office",
            &office.display().to_string(),
            "--code",
            sample::OFFICE_CODE,
            "--name",
            sample::OFFICE_NAME,
            "--region",
            "220000",
            "--status-list-uri",
            sample::STATUS_LIST_URI,
            "--key",
            &self.licence.0,
            "--cert",
            &self.licence.1,
            "--status-list-key",
            &self.status_list.0,
            "--status-list-cert",
            &self.status_list.1,
            "--seal",
            &self.seal.0,
            "--seal-key",
            &self.seal.1,
            "--seal-cert",
            &self.seal.2,
        ]
        .map(String::from)
        .to_vec()
    }
}

/// Borrows owned arguments for [`eseal`] and [`ok`].
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// A root, an office CA with its licence signer, status-list signer, seal maker and
/// document signer, the office's e-seal, a trust-list signer, and the office `d/jl` made
/// by `licence init` (with `extra` arguments) with the business licence template.
pub fn business_office(d: &Path, extra: &[&str]) -> std::path::PathBuf {
    licence_pki(d, "p256");
    let jl = d.join("jl");
    let mut init = OfficeFiles::in_dir(d).init_args(&jl);
    init.extend(extra.iter().map(|a| a.to_string()));
    ok(&strs(&init));
    std::fs::write(
        d.join("template.json"),
        serde_json::to_vec(&sample::business_template()).unwrap(),
    )
    .unwrap();
    ok(&[
        "licence",
        "template",
        "--office",
        &jl.display().to_string(),
        &p(d, "template.json"),
    ]);
    jl
}
