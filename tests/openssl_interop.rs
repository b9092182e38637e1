//! OpenSSL 3 accepts every chain eseal issues and rejects the revoked leaf; eseal accepts
//! chains made with the openssl CLI and rejects tampered, expired, wrong-usage and revoked
//! ones with a named reason.

mod common;

use std::fs;
use std::time::SystemTime;

use common::{Hierarchy, days_from_now, openssl, openssl_ok};
use eseal::crypto::Algorithm;
use eseal::pki::{self, Profile, RevocationReason, RevokedEntry, Usage};
use eseal::report::{Indication, Reason, SubIndication};

const PROFILES: [(Profile, Usage); 7] = [
    (Profile::Signer, Usage::Signer),
    (Profile::SealMaker, Usage::SealMaker),
    (Profile::Timestamping, Usage::Timestamping),
    (Profile::StatusList, Usage::StatusList),
    (Profile::LicenceSigner, Usage::LicenceSigner),
    (Profile::TrustList, Usage::TrustListSigner),
    (Profile::Ocsp, Usage::OcspSigner),
];

fn openssl_verify_issued_chains(algorithm: Algorithm) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Hierarchy::new(algorithm);
    fs::write(d.join("root.pem"), pki.root.to_pem()).unwrap();
    fs::write(d.join("ca.pem"), pki.ca.to_pem()).unwrap();
    let store = pki.store();
    let verify = openssl_verify_args(d, algorithm);

    for (profile, usage) in PROFILES {
        let (_, leaf) = pki.leaf(profile, &format!("{} 张三", profile.name()), -1, 365);
        let file = format!("{}.pem", profile.name());
        fs::write(d.join(&file), leaf.to_pem()).unwrap();
        let out = openssl_ok(d, &[&verify[..], &[&file]].concat());
        assert_eq!(out.trim(), format!("{file}: OK"), "{algorithm} {profile:?}");
        let result = store.validate(&leaf, &[], SystemTime::now(), usage);
        assert_eq!(result.reasons, vec![], "{algorithm} {profile:?}");
        assert_eq!(result.chain.len(), 3);
    }

    // Revoke a signer: OpenSSL and eseal both reject it with the CRL, OpenSSL accepts the
    // unrevoked one with the same CRL.
    let (_, revoked) = pki.leaf(Profile::Signer, "revoked signer", -1, 365);
    let (_, good) = pki.leaf(Profile::Signer, "good signer", -1, 365);
    let crl = pki::issue_crl(
        &pki.ca,
        &pki.ca_key,
        1,
        days_from_now(0) - std::time::Duration::from_secs(60),
        days_from_now(7),
        &[RevokedEntry {
            serial: revoked.serial().to_vec(),
            revoked_at: eseal::pki::unix_seconds(days_from_now(0)) - 30,
            reason: Some(RevocationReason::KeyCompromise),
        }],
    )
    .unwrap();
    fs::write(d.join("crl.pem"), crl.to_pem()).unwrap();
    fs::write(d.join("revoked.pem"), revoked.to_pem()).unwrap();
    fs::write(d.join("good.pem"), good.to_pem()).unwrap();
    if algorithm == Algorithm::Sm2Sm3 {
        openssl_check_sm2_crl(d, &crl, &revoked);
    } else {
        let base = [&verify[..], &["-crl_check", "-CRLfile", "crl.pem"]].concat();
        let out = openssl(d, &[&base[..], &["revoked.pem"]].concat());
        assert!(
            !out.status.success(),
            "{algorithm}: OpenSSL accepted a revoked leaf"
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(text.contains("certificate revoked"), "{algorithm}: {text}");
        let out = openssl_ok(d, &[&base[..], &["good.pem"]].concat());
        assert_eq!(out.trim(), "good.pem: OK");
    }

    let mut store = pki.store();
    store.add_crl(pki::Crl::from_pem_or_der(crl.to_pem().as_bytes()).unwrap());
    let result = store.validate(&revoked, &[], SystemTime::now(), Usage::Signer);
    let report = result.to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::Revoked));
    assert!(matches!(
        &result.reasons[..],
        [Reason::CertificateRevoked { reason: Some(r), ca: false, .. }] if r == "keyCompromise"
    ));
    // Before the revocation date the certificate was good.
    let before = store.validate(
        &revoked,
        &[],
        days_from_now(0) - std::time::Duration::from_secs(3600),
        Usage::Signer,
    );
    assert_eq!(before.reasons, vec![]);
    assert!(
        before
            .warnings
            .iter()
            .any(|w| w.contains("after the validation time"))
    );
    assert_eq!(
        store
            .validate(&good, &[], SystemTime::now(), Usage::Signer)
            .reasons,
        vec![]
    );
}

/// The `openssl verify` arguments that check a leaf against root.pem and ca.pem.
///
/// OpenSSL 3.0 verifies SM2 signatures only with the distinguishing ID given as `-vfyopt`,
/// and applies it to the leaf's signature alone, so a three-level SM2 chain (even one made
/// by OpenSSL itself) fails at depth 1. For SM2 each link is checked on its own: the CA
/// certificate against the root here, the leaf against the CA (`-partial_chain`) by the
/// returned arguments.
fn openssl_verify_args(d: &std::path::Path, algorithm: Algorithm) -> Vec<&'static str> {
    let strict = ["verify", "-x509_strict"];
    if algorithm != Algorithm::Sm2Sm3 {
        return [
            &strict[..],
            &["-CAfile", "root.pem", "-untrusted", "ca.pem"],
        ]
        .concat();
    }
    let distid = ["-vfyopt", "distid:1234567812345678"];
    let out = openssl_ok(
        d,
        &[&strict[..], &distid, &["-CAfile", "root.pem", "ca.pem"]].concat(),
    );
    assert_eq!(out.trim(), "ca.pem: OK");
    [
        &strict[..],
        &distid,
        &["-partial_chain", "-CAfile", "ca.pem"],
    ]
    .concat()
}

/// OpenSSL 3.0 applies no SM2 distinguishing ID when it checks a CRL's signature, so
/// `-crl_check` cannot use an SM2 CRL. OpenSSL checks it piecewise instead: the signature
/// over the TBSCertList with `openssl dgst -sm3 -sigopt distid:...` and the CA's key, and
/// the revoked serial and reason as `openssl crl` reads them.
fn openssl_check_sm2_crl(d: &std::path::Path, crl: &pki::Crl, revoked: &pki::Certificate) {
    use x509_parser::prelude::FromDer;
    let (_, parsed) =
        x509_parser::revocation_list::CertificateRevocationList::from_der(crl.der()).unwrap();
    fs::write(d.join("crl-tbs.der"), parsed.tbs_cert_list.as_ref()).unwrap();
    fs::write(d.join("crl-sig.der"), parsed.signature_value.as_ref()).unwrap();
    let public = openssl_ok(d, &["x509", "-in", "ca.pem", "-pubkey", "-noout"]);
    fs::write(d.join("ca-pub.pem"), public).unwrap();
    let dgst = [
        "dgst",
        "-sm3",
        "-verify",
        "ca-pub.pem",
        "-sigopt",
        "distid:1234567812345678",
    ];
    let out = openssl_ok(
        d,
        &[&dgst[..], &["-signature", "crl-sig.der", "crl-tbs.der"]].concat(),
    );
    assert_eq!(out.trim(), "Verified OK");
    let text = openssl_ok(d, &["crl", "-in", "crl.pem", "-noout", "-text"]);
    let serial = revoked.serial_hex().to_uppercase();
    assert!(text.contains(&format!("Serial Number: {serial}")), "{text}");
    assert!(text.contains("Key Compromise"), "{text}");
}

#[test]
fn openssl_accepts_sm2_chains() {
    openssl_verify_issued_chains(Algorithm::Sm2Sm3);
}

#[test]
fn openssl_accepts_p256_chains() {
    openssl_verify_issued_chains(Algorithm::EcdsaP256Sha256);
}

#[test]
fn openssl_accepts_p384_chains() {
    openssl_verify_issued_chains(Algorithm::EcdsaP384Sha384);
}

#[test]
fn openssl_accepts_ed25519_chains() {
    openssl_verify_issued_chains(Algorithm::Ed25519);
}

#[test]
fn openssl_accepts_rsa_chains() {
    openssl_verify_issued_chains(Algorithm::RsaPkcs1Sha256);
}

#[test]
fn openssl_accepts_rsa_pss_chains() {
    openssl_verify_issued_chains(Algorithm::RsaPssSha256);
}

/// A CA and leaves made with the openssl CLI alone.
struct OpensslPki {
    dir: tempfile::TempDir,
    ca_sign_args: Vec<&'static str>,
}

impl OpensslPki {
    /// `key_args` makes a key with `openssl genpkey`; `sign_args` are the digest options.
    fn new(key_args: &[&str], sign_args: &[&str], ca_sign_args: &[&'static str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl_ok(
            d,
            &[&["genpkey"][..], key_args, &["-out", "ca.key"]].concat(),
        );
        openssl_ok(
            d,
            &[
                &[
                    "req",
                    "-x509",
                    "-new",
                    "-key",
                    "ca.key",
                    "-subj",
                    "/C=CN/O=OpenSSL Office/CN=OpenSSL Root",
                    "-days",
                    "30",
                    "-out",
                    "ca.pem",
                ][..],
                sign_args,
                &[
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            ]
            .concat(),
        );
        fs::write(
            d.join("ca.cnf"),
            "[ca]\ndefault_ca = office\n[office]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = default\ndefault_crl_days = 7\n",
        )
        .unwrap();
        fs::write(d.join("index.txt"), "").unwrap();
        fs::write(d.join("crlnumber"), "01\n").unwrap();
        OpensslPki {
            dir,
            ca_sign_args: ca_sign_args.to_vec(),
        }
    }

    fn leaf(
        &self,
        name: &str,
        key_args: &[&str],
        sign_args: &[&str],
        key_usage: &str,
        days: &str,
    ) -> pki::Certificate {
        let d = self.dir.path();
        let key = format!("{name}.key");
        openssl_ok(d, &[&["genpkey"][..], key_args, &["-out", &key]].concat());
        openssl_ok(
            d,
            &[
                &[
                    "req",
                    "-new",
                    "-key",
                    &key,
                    "-subj",
                    &format!("/CN={name}"),
                    "-out",
                    "leaf.csr",
                ][..],
                sign_args,
            ]
            .concat(),
        );
        fs::write(
            d.join("leaf.ext"),
            format!("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,{key_usage}\n"),
        )
        .unwrap();
        let pem = format!("{name}.pem");
        openssl_ok(
            d,
            &[
                &[
                    "x509",
                    "-req",
                    "-in",
                    "leaf.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    days,
                    "-extfile",
                    "leaf.ext",
                    "-out",
                    &pem,
                ][..],
                sign_args,
            ]
            .concat(),
        );
        pki::read_certificates(&fs::read(d.join(&pem)).unwrap())
            .unwrap()
            .remove(0)
    }

    fn revoke(&self, name: &str) -> pki::Crl {
        let d = self.dir.path();
        let ca = [
            "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem",
        ];
        let ca = [&ca[..], &self.ca_sign_args].concat();
        openssl_ok(
            d,
            &[
                &ca[..],
                &[
                    "-revoke",
                    &format!("{name}.pem"),
                    "-crl_reason",
                    "keyCompromise",
                ],
            ]
            .concat(),
        );
        openssl_ok(d, &[&ca[..], &["-gencrl", "-out", "crl.pem"]].concat());
        pki::Crl::from_pem_or_der(&fs::read(d.join("crl.pem")).unwrap()).unwrap()
    }

    fn store(&self) -> pki::TrustStore {
        let mut store = pki::TrustStore::new();
        store
            .add_anchors_from(&fs::read(self.dir.path().join("ca.pem")).unwrap())
            .unwrap();
        store
    }
}

fn eseal_checks_openssl_chains(
    key_args: &[&str],
    sign_args: &[&str],
    ca_sign_args: &[&'static str],
) {
    let ossl = OpensslPki::new(key_args, sign_args, ca_sign_args);
    let signer = ossl.leaf(
        "signer",
        key_args,
        sign_args,
        "digitalSignature,nonRepudiation",
        "10",
    );
    let store = ossl.store();

    let ok = store.validate(&signer, &[], SystemTime::now(), Usage::Signer);
    assert_eq!(ok.reasons, vec![]);
    assert_eq!(
        ok.to_report(eseal::report::ReportKind::Certificate)
            .indication,
        Indication::TotalPassed
    );

    // Tampered: one byte of the signature flipped.
    let mut der = signer.der().to_vec();
    let last = der.len() - 5;
    der[last] ^= 0x01;
    let tampered = pki::Certificate::from_der(&der).unwrap();
    let result = store
        .validate(&tampered, &[], SystemTime::now(), Usage::Signer)
        .to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(result.indication, Indication::TotalFailed);
    assert_eq!(result.sub_indication, Some(SubIndication::SigCryptoFailure));
    assert_eq!(result.reasons[0].code(), "BAD_CERTIFICATE_SIGNATURE");

    // Expired: validated after its ten days.
    let result = store
        .validate(&signer, &[], days_from_now(11), Usage::Signer)
        .to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(result.indication, Indication::Indeterminate);
    assert_eq!(result.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
    assert_eq!(result.reasons[0].code(), "CERTIFICATE_EXPIRED");

    // Not yet valid: validated before it was issued.
    let result = store
        .validate(&signer, &[], days_from_now(-2), Usage::Signer)
        .to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(result.indication, Indication::TotalFailed);
    assert_eq!(result.reasons[0].code(), "CERTIFICATE_NOT_YET_VALID");

    // Wrong usage: an encryption certificate used as a seal signer.
    let encryption = ossl.leaf("encryption", key_args, sign_args, "keyEncipherment", "10");
    let result = store
        .validate(&encryption, &[], SystemTime::now(), Usage::Signer)
        .to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(
        result.indication,
        Indication::Indeterminate,
        "{:?}",
        result.reasons
    );
    assert_eq!(
        result.sub_indication,
        Some(SubIndication::ChainConstraintsFailure)
    );
    assert_eq!(result.reasons[0].code(), "USAGE_NOT_ALLOWED");

    // Unknown issuer: an empty trust store.
    let result = pki::TrustStore::new()
        .validate(&signer, &[], SystemTime::now(), Usage::Signer)
        .to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(result.indication, Indication::Indeterminate);
    assert_eq!(
        result.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );

    // Revoked with `openssl ca -revoke` and `-gencrl`.
    let crl = ossl.revoke("signer");
    let mut store = ossl.store();
    store.add_crl(crl);
    let result = store.validate(&signer, &[], SystemTime::now(), Usage::Signer);
    let report = result.to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::Revoked));
    assert!(matches!(
        &result.reasons[..],
        [Reason::CertificateRevoked { reason: Some(r), .. }] if r == "keyCompromise"
    ));
    // The CRL lists only the revoked one; another leaf of the same CA stays valid with it.
    let other = ossl.leaf(
        "other",
        key_args,
        sign_args,
        "digitalSignature,nonRepudiation",
        "10",
    );
    assert_eq!(
        store
            .validate(&other, &[], SystemTime::now(), Usage::Signer)
            .reasons,
        vec![]
    );
    // The CRL is good for seven days: after that the status is unknown, not valid.
    let result = store
        .validate(&other, &[], days_from_now(8), Usage::Signer)
        .to_report(eseal::report::ReportKind::Certificate);
    assert_eq!(result.indication, Indication::Indeterminate);
    assert_eq!(result.reasons[0].code(), "REVOCATION_UNKNOWN");
}

#[test]
fn eseal_checks_openssl_p256_chains() {
    eseal_checks_openssl_chains(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-sha256"],
        &[],
    );
}

#[test]
fn eseal_checks_openssl_rsa_chains() {
    eseal_checks_openssl_chains(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        &["-sha256"],
        &[],
    );
}

#[test]
fn eseal_checks_openssl_ed25519_chains() {
    eseal_checks_openssl_chains(&["-algorithm", "ED25519"], &[], &[]);
}

#[test]
fn eseal_checks_openssl_sm2_chains() {
    eseal_checks_openssl_chains(
        &["-algorithm", "SM2"],
        &[
            "-sm3",
            "-sigopt",
            "distid:1234567812345678",
            "-vfyopt",
            "distid:1234567812345678",
        ],
        &["-md", "sm3", "-sigopt", "distid:1234567812345678"],
    );
}

/// An SM2 certificate signature is DER, for OpenSSL and eseal alike: the same leaf with its
/// signature re-encoded as the raw `r ‖ s` is refused by both, the DER original accepted.
#[test]
fn an_sm2_certificate_signature_in_raw_form_is_refused() {
    use der::{Decode as _, Encode as _};
    /// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`.
    #[derive(der::Sequence)]
    struct Signed {
        tbs: der::Any,
        algorithm: der::Any,
        signature: der::asn1::BitString,
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Hierarchy::new(Algorithm::Sm2Sm3);
    let (_, leaf) = pki.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let mut signed = Signed::from_der(leaf.der()).unwrap();
    let raw = eseal::crypto::signature_der_to_raw(signed.signature.raw_bytes(), 32).unwrap();
    signed.signature = der::asn1::BitString::from_bytes(&raw).unwrap();
    let raw_leaf = pki::Certificate::from_der(&signed.to_der().unwrap()).unwrap();
    fs::write(d.join("ca.pem"), pki.ca.to_pem()).unwrap();
    fs::write(d.join("der.pem"), leaf.to_pem()).unwrap();
    fs::write(d.join("raw.pem"), raw_leaf.to_pem()).unwrap();
    let verify = [
        "verify",
        "-x509_strict",
        "-partial_chain",
        "-vfyopt",
        "distid:1234567812345678",
        "-CAfile",
        "ca.pem",
    ];
    let out = openssl_ok(d, &[&verify[..], &["der.pem"]].concat());
    assert_eq!(out.trim(), "der.pem: OK");
    let out = openssl(d, &[&verify[..], &["raw.pem"]].concat());
    assert!(!out.status.success(), "OpenSSL accepted a raw signature");

    let store = pki.store();
    let now = SystemTime::now();
    assert_eq!(store.validate(&leaf, &[], now, Usage::Signer).reasons, []);
    assert_eq!(
        store.validate(&raw_leaf, &[], now, Usage::Signer).reasons,
        [Reason::BadCertificateSignature {
            subject: leaf.subject().to_string()
        }]
    );
}
