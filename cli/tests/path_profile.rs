//! Path validation on chains OpenSSL makes: every algorithm end to end, SM2 with the empty
//! distinguishing ID, key rollover through self-issued certificates, directory-name
//! constraints, and what the default and the strict profile make of a sloppy root.

mod common;

use std::path::Path;
use std::time::SystemTime;

use common::openssl_ok;
use eseal::pki::{Certificate, Policy, TrustStore, Usage, read_certificates};
use eseal::report::{Indication, SubIndication};

fn cert(dir: &Path, file: &str) -> Certificate {
    read_certificates(&std::fs::read(dir.join(file)).unwrap())
        .unwrap()
        .remove(0)
}

/// `openssl req -x509` for a root with `key`, digest `md` and extra `-addext`s.
fn root(dir: &Path, key: &str, subject: &str, md: &str, exts: &[&str], out: &str) {
    let mut args = vec![
        "req", "-x509", "-new", "-key", key, md, "-utf8", "-subj", subject,
    ];
    args.extend(["-days", "30", "-out", out]);
    for ext in exts {
        args.extend(["-addext", ext]);
    }
    if md == "-sm3" {
        args.extend(["-sigopt", "distid:1234567812345678"]);
    }
    openssl_ok(dir, &args);
}

/// A certificate for `key` named `subject`, issued by `ca` (`ca_key`) with digest `md`,
/// the extensions of `ext` (an openssl extension-file section) and `sigopts`.
#[allow(clippy::too_many_arguments)]
fn issue(
    dir: &Path,
    key: &str,
    subject: &str,
    ca: &str,
    ca_key: &str,
    md: &str,
    ext: &str,
    sigopts: &[&str],
    out: &str,
) {
    let csr = format!("{out}.csr");
    let mut req = vec![
        "req", "-new", "-key", key, "-utf8", "-subj", subject, "-out", &csr,
    ];
    if md == "-sm3" {
        req.extend(["-sm3", "-sigopt", "distid:1234567812345678"]);
    }
    openssl_ok(dir, &req);
    std::fs::write(dir.join("ext.cnf"), ext).unwrap();
    let mut args = vec![
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        ca,
        "-CAkey",
        ca_key,
        md,
        "-days",
        "20",
        "-extfile",
        "ext.cnf",
        "-extensions",
        "x",
        "-out",
        out,
    ];
    if md == "-sm3" {
        args.extend(["-vfyopt", "distid:1234567812345678"]);
    }
    args.extend(sigopts);
    openssl_ok(dir, &args);
}

const CA_EXT: &str = "[x]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const LEAF_EXT: &str = "[x]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const ROOT_EXTS: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
];

fn verdict(
    store: &TrustStore,
    leaf: &Certificate,
    chain: &[Certificate],
) -> (Indication, Vec<&'static str>) {
    let (indication, _, codes) =
        common::chain_verdict(store, leaf, chain, SystemTime::now(), Usage::Any);
    (indication, codes)
}

fn genkey(dir: &Path, algorithm: &str, out: &str) {
    let args: Vec<&str> = match algorithm {
        "rsa3072" => vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
            "-out",
            out,
        ],
        "rsa2048" => vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            out,
        ],
        "p384" => vec![
            "ecparam",
            "-genkey",
            "-name",
            "secp384r1",
            "-noout",
            "-out",
            out,
        ],
        "p256" => vec![
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            out,
        ],
        "ed25519" => vec!["genpkey", "-algorithm", "ED25519", "-out", out],
        "sm2" => vec!["ecparam", "-genkey", "-name", "SM2", "-noout", "-out", out],
        other => panic!("{other}"),
    };
    openssl_ok(dir, &args);
}

#[test]
fn chains_in_every_algorithm_verify_end_to_end() {
    // (root key, root digest, CA key, CA digest, leaf key, leaf digest): RSA with SHA-384
    // as most commercial CAs sign, PSS, P-384 over P-256 with SHA-384, Ed25519.
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        ("rsa3072", "-sha384", "rsa2048", "-sha384", &[]),
        (
            "rsa3072",
            "-sha512",
            "p384",
            "-sha256",
            &[
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ],
        ),
        ("p384", "-sha384", "p256", "-sha384", &[]),
        ("ed25519", "-sha256", "ed25519", "-sha256", &[]),
    ];
    for (root_alg, root_md, leaf_alg, leaf_md, sigopts) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        genkey(d, root_alg, "root.key");
        genkey(d, root_alg, "ca.key");
        genkey(d, leaf_alg, "leaf.key");
        let md = |m: &'static str, alg: &str| if alg == "ed25519" { "-sha256" } else { m };
        root(
            d,
            "root.key",
            "/CN=Root",
            md(root_md, root_alg),
            ROOT_EXTS,
            "root.pem",
        );
        issue(
            d,
            "ca.key",
            "/CN=CA",
            "root.pem",
            "root.key",
            md(root_md, root_alg),
            CA_EXT,
            sigopts,
            "ca.pem",
        );
        issue(
            d,
            "leaf.key",
            "/CN=Leaf",
            "ca.pem",
            "ca.key",
            md(leaf_md, root_alg),
            LEAF_EXT,
            sigopts,
            "leaf.pem",
        );
        let mut store = TrustStore::new();
        store.add_anchor(cert(d, "root.pem")).unwrap();
        store.set_policy(Policy::strict());
        let leaf = cert(d, "leaf.pem");
        assert_eq!(
            verdict(&store, &leaf, &[cert(d, "ca.pem")]),
            (Indication::TotalPassed, vec![]),
            "{root_alg} {root_md} / {leaf_alg} {leaf_md} {sigopts:?}"
        );
        // The same chain with the CA's signature on the leaf broken.
        let mut der = leaf.der().to_vec();
        let last = der.len() - 3;
        der[last] ^= 0x01;
        let broken = Certificate::from_der(&der).unwrap();
        assert_eq!(
            verdict(&store, &broken, &[cert(d, "ca.pem")]).1,
            vec!["BAD_CERTIFICATE_SIGNATURE"],
            "{root_alg} / {leaf_alg}"
        );
    }
}

#[test]
fn sm2_signed_with_the_empty_distinguishing_id_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    genkey(d, "sm2", "root.key");
    genkey(d, "sm2", "leaf.key");
    root(d, "root.key", "/CN=SM2 Root", "-sm3", ROOT_EXTS, "root.pem");
    let standard = ["-sigopt", "distid:1234567812345678"];
    issue(
        d,
        "leaf.key",
        "/CN=SM2 Leaf",
        "root.pem",
        "root.key",
        "-sm3",
        LEAF_EXT,
        &standard,
        "std.pem",
    );
    // OpenSSL 3.0 signs with the empty ID unless told otherwise.
    issue(
        d,
        "leaf.key",
        "/CN=SM2 Leaf",
        "root.pem",
        "root.key",
        "-sm3",
        LEAF_EXT,
        &[],
        "empty.pem",
    );
    let mut store = TrustStore::new();
    store.add_anchor(cert(d, "root.pem")).unwrap();
    assert_eq!(
        verdict(&store, &cert(d, "std.pem"), &[]),
        (Indication::TotalPassed, vec![])
    );
    let result = store.validate(&cert(d, "empty.pem"), &[], SystemTime::now(), Usage::Any);
    assert_eq!(
        result.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        vec!["SM2_ID_MISMATCH"]
    );
    let report = result.to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(
        (report.indication, report.sub_indication),
        (
            Indication::TotalFailed,
            Some(SubIndication::SigCryptoFailure)
        )
    );
    assert!(
        result.reasons[0]
            .to_string()
            .contains("distid:1234567812345678")
    );
}

#[test]
fn key_rollover_through_a_self_issued_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    genkey(d, "p256", "old.key");
    genkey(d, "p256", "new.key");
    genkey(d, "p256", "leaf.key");
    root(
        d,
        "old.key",
        "/CN=Office Root",
        "-sha256",
        ROOT_EXTS,
        "old.pem",
    );
    // The new root key, certified by the old one under the same name (RFC 5280 clause 6.1:
    // self-issued, so it counts toward no path length).
    let pathlen0 = CA_EXT.replace("CA:TRUE", "CA:TRUE,pathlen:0");
    issue(
        d,
        "new.key",
        "/CN=Office Root",
        "old.pem",
        "old.key",
        "-sha256",
        &pathlen0,
        &[],
        "new-with-old.pem",
    );
    issue(
        d,
        "leaf.key",
        "/CN=Leaf",
        "new-with-old.pem",
        "new.key",
        "-sha256",
        LEAF_EXT,
        &[],
        "leaf.pem",
    );
    let mut store = TrustStore::new();
    store.add_anchor(cert(d, "old.pem")).unwrap();
    store.set_policy(Policy::strict());
    let result = store.validate(
        &cert(d, "leaf.pem"),
        &[cert(d, "new-with-old.pem")],
        SystemTime::now(),
        Usage::Any,
    );
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert_eq!(result.chain.len(), 3);
    assert!(result.chain[1].is_self_issued());
}

#[test]
fn directory_name_constraints_hold_offices_to_their_province() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    genkey(d, "p256", "root.key");
    genkey(d, "p256", "ca.key");
    genkey(d, "p256", "leaf.key");
    root(
        d,
        "root.key",
        "/C=CN/CN=国家根",
        "-sha256",
        ROOT_EXTS,
        "root.pem",
    );
    let constrained = format!(
        "{CA_EXT}nameConstraints=critical,permitted;dirName:province\n[province]\nC=CN\nO=Zhejiang\n"
    );
    issue(
        d,
        "ca.key",
        "/C=CN/O=Zhejiang/CN=省级CA",
        "root.pem",
        "root.key",
        "-sha256",
        &constrained,
        &[],
        "ca.pem",
    );
    let mut store = TrustStore::new();
    store.add_anchor(cert(d, "root.pem")).unwrap();
    let chain = [cert(d, "ca.pem")];
    issue(
        d,
        "leaf.key",
        "/C=CN/O=Zhejiang/OU=市场监督管理局/CN=签章人",
        "ca.pem",
        "ca.key",
        "-sha256",
        LEAF_EXT,
        &[],
        "inside.pem",
    );
    assert_eq!(
        verdict(&store, &cert(d, "inside.pem"), &chain),
        (Indication::TotalPassed, vec![])
    );
    issue(
        d,
        "leaf.key",
        "/C=CN/O=Jiangsu/CN=签章人",
        "ca.pem",
        "ca.key",
        "-sha256",
        LEAF_EXT,
        &[],
        "outside.pem",
    );
    assert_eq!(
        verdict(&store, &cert(d, "outside.pem"), &chain),
        (Indication::Indeterminate, vec!["CHAIN_CONSTRAINT"])
    );
}

#[test]
fn a_sloppy_root_warns_by_default_and_fails_the_strict_profile() {
    // As the ofdrw test root: cA TRUE not critical, no keyCertSign.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    genkey(d, "p256", "root.key");
    genkey(d, "p256", "leaf.key");
    root(
        d,
        "root.key",
        "/CN=Sloppy Root",
        "-sha256",
        &["basicConstraints=CA:TRUE", "keyUsage=digitalSignature"],
        "root.pem",
    );
    issue(
        d,
        "leaf.key",
        "/CN=Leaf",
        "root.pem",
        "root.key",
        "-sha256",
        LEAF_EXT,
        &[],
        "leaf.pem",
    );
    let mut store = TrustStore::new();
    store.add_anchor(cert(d, "root.pem")).unwrap();
    let leaf = cert(d, "leaf.pem");
    let result = store.validate(&leaf, &[], SystemTime::now(), Usage::Any);
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.contains("keyUsage lacks keyCertSign")),
        "{:?}",
        result.warnings
    );
    store.set_policy(Policy::strict());
    assert_eq!(
        verdict(&store, &leaf, &[]),
        (Indication::Indeterminate, vec!["CHAIN_CONSTRAINT"])
    );
    // The same from the command line: `--strict` makes the flaw fail the chain.
    let cli = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
            .arg("verify")
            .arg(d.join("leaf.pem"))
            .arg("--trust")
            .arg(d.join("root.pem"))
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(cli(&[]), Some(0));
    assert_eq!(cli(&["--strict"]), Some(1));
    // A root outside its validity is no anchor in either profile.
    store.set_policy(Policy::default());
    let later = SystemTime::now() + std::time::Duration::from_secs(40 * 86_400);
    let expired = store.validate(&leaf, &[], later, Usage::Any);
    assert_eq!(expired.reasons[0].code(), "CERTIFICATE_EXPIRED");
}
