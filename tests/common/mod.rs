//! Helpers shared by the integration tests: a small PKI and the openssl CLI.
#![allow(dead_code)]

pub mod ofdrw;
pub mod postgres;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::pki::{self, Certificate, DistinguishedName, Profile, TrustStore, Usage, Validity};
use eseal::report::{Indication, SubIndication};

/// The repository root: the library's tests run from it, the CLI's and the C ABI's from
/// `cli/` and `ffi/` below it.
pub fn root() -> &'static Path {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.join("Cargo.lock").exists() {
        dir
    } else {
        dir.parent().expect("a package inside the repository")
    }
}

/// A chain's verdict as its report gives it: indication, sub-indication, reason codes.
pub type ChainVerdict = (Indication, Option<SubIndication>, Vec<&'static str>);

/// The verdict of `store` on `leaf` with the extra intermediates `chain`, as of `at`.
pub fn chain_verdict(
    store: &TrustStore,
    leaf: &Certificate,
    chain: &[Certificate],
    at: SystemTime,
    usage: Usage,
) -> ChainVerdict {
    let result = store.validate(leaf, chain, at, usage);
    let report = result.to_report(eseal::report::ReportKind::Certificate);
    (
        report.indication,
        report.sub_indication,
        result.reasons.iter().map(|r| r.code()).collect(),
    )
}

/// TOTAL-PASSED with no reason.
pub fn passed() -> ChainVerdict {
    (Indication::TotalPassed, None, vec![])
}

/// INDETERMINATE / TRY_LATER for want of usable revocation information.
pub fn revocation_unknown() -> ChainVerdict {
    (
        Indication::Indeterminate,
        Some(SubIndication::TryLater),
        vec!["REVOCATION_UNKNOWN"],
    )
}

/// Runs `openssl` in `dir`; a missing binary fails the test.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI (OpenSSL 3) must be installed")
}

/// Runs `openssl` and asserts that it succeeded.
pub fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A self-signed P-256 certificate made by `openssl req -x509`, valid for 30 days:
/// `dir/{name}.key` (PKCS#8 PEM) and `dir/{name}.pem`.
pub fn openssl_p256_self_signed(dir: &Path, name: &str, subject: &str) {
    let (key, cert) = (format!("{name}.key"), format!("{name}.pem"));
    openssl_ok(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-subj",
            subject,
            "-days",
            "30",
            "-out",
            &cert,
        ],
    );
}

/// A new key for `algorithm`; RSA keys come from `openssl genpkey`.
pub fn key(algorithm: Algorithm) -> SoftwareKey {
    match algorithm {
        Algorithm::RsaPkcs1Sha256 | Algorithm::RsaPssSha256 => {
            let dir = tempfile::tempdir().unwrap();
            openssl_ok(
                dir.path(),
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                    "-out",
                    "k.pem",
                ],
            );
            let pem = std::fs::read_to_string(dir.path().join("k.pem")).unwrap();
            SoftwareKey::from_pem(&pem, None)
                .unwrap()
                .with_algorithm(algorithm)
                .unwrap()
        }
        other => SoftwareKey::generate(other).unwrap(),
    }
}

/// A validity period around now: `from_days` to `to_days` relative to now.
pub fn validity(from_days: i64, to_days: i64) -> Validity {
    let at = |days: i64| {
        let now = SystemTime::now();
        let d = Duration::from_secs(days.unsigned_abs() * 86_400);
        if days >= 0 { now + d } else { now - d }
    };
    Validity {
        not_before: at(from_days) - Duration::from_secs(60),
        not_after: at(to_days),
    }
}

/// Root → office CA → leaf, all with one algorithm.
pub struct Hierarchy {
    pub root_key: SoftwareKey,
    pub root: Certificate,
    pub ca_key: SoftwareKey,
    pub ca: Certificate,
}

impl Hierarchy {
    pub fn new(algorithm: Algorithm) -> Self {
        let root_key = key(algorithm);
        let root = pki::issue_root(
            &DistinguishedName {
                common_name: "国家电子证照根CA".into(),
                organization: Some("电子证照管理中心".into()),
                ..Default::default()
            },
            validity(-30, 3650),
            &root_key,
        )
        .unwrap();
        let ca_key = key(algorithm);
        let ca = pki::issue(
            Profile::OfficeCa,
            &DistinguishedName {
                common_name: "某某市市场监督管理局 CA".into(),
                organization: Some("某某市市场监督管理局".into()),
                ..Default::default()
            },
            ca_key.public_key_spki(),
            validity(-30, 1825),
            &root,
            &root_key,
        )
        .unwrap();
        Hierarchy {
            root_key,
            root,
            ca_key,
            ca,
        }
    }

    /// A leaf of `profile` valid from `from_days` to `to_days` around now.
    pub fn leaf(
        &self,
        profile: Profile,
        cn: &str,
        from_days: i64,
        to_days: i64,
    ) -> (SoftwareKey, Certificate) {
        let key = key(self.ca_key.algorithm());
        let cert = pki::issue(
            profile,
            &DistinguishedName::common_name(cn),
            key.public_key_spki(),
            validity(from_days, to_days),
            &self.ca,
            &self.ca_key,
        )
        .unwrap();
        (key, cert)
    }

    /// Fresh CRLs for 30 days: the office CA's (revoking `revoked` at its time, key
    /// compromise) and the root's.
    pub fn crls(&self, revoked: Option<(&Certificate, SystemTime)>) -> [pki::Crl; 2] {
        let entries: Vec<pki::RevokedEntry> = revoked
            .map(|(cert, at)| pki::RevokedEntry {
                serial: cert.serial().to_vec(),
                revoked_at: pki::unix_seconds(at),
                reason: Some(pki::RevocationReason::KeyCompromise),
            })
            .into_iter()
            .collect();
        let (now, next) = (SystemTime::now(), days_from_now(30));
        [
            pki::issue_crl(&self.ca, &self.ca_key, 2, now, next, &entries).unwrap(),
            pki::issue_crl(&self.root, &self.root_key, 1, now, next, &[]).unwrap(),
        ]
    }

    /// [`Hierarchy::store`] with [`Hierarchy::crls`].
    pub fn store_with_crls(&self, revoked: Option<(&Certificate, SystemTime)>) -> pki::TrustStore {
        let mut store = self.store();
        for crl in self.crls(revoked) {
            store.add_crl(crl);
        }
        store
    }

    pub fn store(&self) -> pki::TrustStore {
        let mut store = pki::TrustStore::new();
        store.add_anchor(self.root.clone()).unwrap();
        store.add_intermediate(self.ca.clone());
        store
    }
}

pub fn days_from_now(days: i64) -> SystemTime {
    let d = Duration::from_secs(days.unsigned_abs() * 86_400);
    if days >= 0 {
        SystemTime::now() + d
    } else {
        SystemTime::now() - d
    }
}

/// An office that seals PDFs: a P-256 hierarchy, a signer and a seal listing it.
pub struct PdfOffice {
    pub hierarchy: Hierarchy,
    pub signer_key: SoftwareKey,
    pub signer: Certificate,
    pub seal: eseal::seal::Seal,
}

/// A v4 seal made by a seal maker under `maker_ca` that lists `signer`, with the round
/// picture of 某某市市场监督管理局, 40 mm wide.
pub fn test_seal(maker_ca: &Hierarchy, signer: &Certificate, es_id: &str) -> eseal::seal::Seal {
    use eseal::seal::picture::{SealFont, SealPicture};
    use eseal::seal::{CertList, PictureInfo, SealRequest, make_seal};
    let (maker_key, maker) = maker_ca.leaf(Profile::SealMaker, "制章人", -1, 365);
    let png = SealPicture::new("某某市市场监督管理局")
        .to_png(&SealFont::system().unwrap(), 256)
        .unwrap();
    let request = SealRequest {
        vendor: "eseal".into(),
        es_id: es_id.into(),
        seal_type: 1,
        name: "某某市市场监督管理局电子证照专用章".into(),
        cert_list: CertList::Certificates(vec![signer.der().to_vec()]),
        created: days_from_now(-1),
        valid_start: days_from_now(-1),
        valid_end: days_from_now(365),
        picture: PictureInfo {
            picture_type: "PNG".into(),
            data: png,
            width_mm: 40,
            height_mm: 40,
        },
        ext_datas: Vec::new(),
    };
    make_seal(&request, &maker, &maker_key).unwrap()
}

impl PdfOffice {
    pub fn new(algorithm: Algorithm) -> Self {
        let hierarchy = Hierarchy::new(algorithm);
        let (signer_key, signer) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
        let seal = test_seal(&hierarchy, &signer, "3301000000001");
        PdfOffice {
            hierarchy,
            signer_key,
            signer,
            seal,
        }
    }

    /// Options that seal visibly on page 1 at `rect`.
    pub fn options(&self, rect: [f64; 4]) -> eseal::pdf::PdfSealOptions<'_> {
        let mut options = eseal::pdf::PdfSealOptions::new(&self.signer_key, &self.signer);
        options.chain = std::slice::from_ref(&self.hierarchy.ca);
        options.seal = Some(&self.seal);
        options.placement = eseal::pdf::Placement::Page {
            page: 0,
            rect: Some(rect),
        };
        options
    }

    /// A one-page PDF sealed once.
    pub fn sealed_pdf(&self) -> Vec<u8> {
        let pdf = eseal::pdf::sample::plain_pdf(&["Business licence", "Sealed by the office"], 0);
        eseal::pdf::seal_pdf(pdf, &self.options([350.0, 80.0, 463.4, 193.4])).unwrap()
    }
}

/// The interop harness of ../shared/interop (installed by scripts/setup.sh), with its
/// loopback services started once per test process.
pub fn interop_harness() -> std::path::PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let dir = std::path::PathBuf::from(home).join(".cache/eseal-interop");
    assert!(
        dir.join(".ready").exists(),
        "the interop harness is not installed: run scripts/setup.sh"
    );
    static START: std::sync::Once = std::sync::Once::new();
    START.call_once(|| {
        let status = std::process::Command::new(dir.join("services.sh"))
            .arg("status")
            .output()
            .unwrap();
        if String::from_utf8_lossy(&status.stdout).contains("not running") {
            let _ = std::process::Command::new(dir.join("services.sh"))
                .arg("stop")
                .output();
            let started = std::process::Command::new(dir.join("services.sh"))
                .arg("start")
                .output()
                .unwrap();
            assert!(started.status.success(), "services.sh start failed");
        }
    });
    dir
}

/// Each signature of a corpus PDF: `/ByteRange [a b c d]` puts the CMS hex between
/// offsets b and c (inside `<` and `>`) and the signed bytes in [a, a+b) and [c, c+d).
pub fn pdf_signatures(pdf: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut found = Vec::new();
    let key = b"/ByteRange";
    let mut from = 0;
    while let Some(pos) = pdf[from..].windows(key.len()).position(|w| w == key) {
        let start = from + pos + key.len();
        from = start;
        let Some(end) = pdf[start..].iter().position(|&b| b == b']') else {
            break;
        };
        let text = String::from_utf8_lossy(&pdf[start..start + end]);
        let numbers: Vec<usize> = text
            .trim()
            .trim_start_matches('[')
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [a, b, c, d] = numbers[..] else {
            continue;
        };
        if a != 0 || b + 1 >= c || c + d > pdf.len() {
            continue;
        }
        let hex_text: Vec<u8> = pdf[b + 1..c - 1]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let Ok(cms) = hex::decode(hex_text) else {
            continue;
        };
        let content = [&pdf[a..a + b], &pdf[c..c + d]].concat();
        found.push((cms, content));
    }
    found
}

/// `openssl dgst -sm3 -verify` with the SES distinguishing ID (SES-OFD.md §7): `sig` (DER)
/// over `tbs` by the key of `cert`, in the folder `d`; returns OpenSSL's answer.
pub fn openssl_sm2_verify(d: &Path, cert: &Certificate, tbs: &[u8], sig: &[u8]) -> String {
    std::fs::write(d.join("cert.pem"), cert.to_pem()).unwrap();
    let public = openssl_ok(d, &["x509", "-in", "cert.pem", "-pubkey", "-noout"]);
    std::fs::write(d.join("pub.pem"), public).unwrap();
    std::fs::write(d.join("tbs.der"), tbs).unwrap();
    std::fs::write(d.join("sig.der"), sig).unwrap();
    openssl_ok(
        d,
        &[
            "dgst",
            "-sm3",
            "-verify",
            "pub.pem",
            "-sigopt",
            "distid:1234567812345678",
            "-signature",
            "sig.der",
            "tbs.der",
        ],
    )
    .trim()
    .to_string()
}

/// The CJK font licence documents are set in (`ESEAL_CJK_FONT` or fonts-droid-fallback).
pub fn cjk_font() -> eseal::licence::document::CjkFont {
    eseal::licence::document::CjkFont::from_env()
        .expect("the CJK font: run scripts/setup.sh (fonts-droid-fallback)")
}

/// `len` Base45 characters after `ZZ1:`, the same every time for a `seed`: a QR text of
/// a realistic length for layout tests.
pub fn qr_text(seed: u32, len: usize) -> String {
    const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut state = seed;
    let body: String = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            char::from(BASE45[(state % 45) as usize])
        })
        .collect();
    format!("ZZ1:{body}")
}

/// A Python 3 that imports `modules`: `$env_var` if set, else the interop harness's
/// venv if it has them, else a venv `target/VENV` where `packages` are installed from
/// PyPI when missing. Tests of one binary run in parallel: one at a time makes the venv,
/// so no test runs a Python whose packages are half installed.
pub fn python_with(env_var: &str, venv: &str, modules: &[&str], packages: &[&str]) -> PathBuf {
    static MAKING_VENV: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Some(p) = std::env::var_os(env_var) {
        return p.into();
    }
    let _making = MAKING_VENV.lock().unwrap_or_else(|e| e.into_inner());
    let imports = format!("import {}", modules.join(", "));
    let has_modules = |python: &Path| {
        Command::new(python)
            .args(["-c", &imports])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(home) = std::env::var_os("HOME") {
        let shared = Path::new(&home).join(".cache/eseal-interop/venv/bin/python");
        if has_modules(&shared) {
            return shared;
        }
    }
    let venv = root().join("target").join(venv);
    let python = venv.join("bin/python");
    if !has_modules(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 must be installed");
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new(&python)
            .args(["-m", "pip", "install", "-q"])
            .args(packages)
            .status()
            .unwrap();
        assert!(pip.success(), "pip install {packages:?} failed");
    }
    python
}

/// What poppler's `pdftotext -layout` reads in the PDF at `path` (installed by
/// scripts/setup.sh; a missing tool fails the test).
pub fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext not runnable ({e}): run scripts/setup.sh"));
    assert!(out.status.success(), "pdftotext {}", path.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that `text` (a rendered report) says each of `wanted`.
pub fn assert_says(text: &str, wanted: &[&str]) {
    for wanted in wanted {
        assert!(
            text.contains(wanted),
            "the report lacks {wanted:?}:\n{text}"
        );
    }
}

/// Copies the folder `from` with everything in it to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
