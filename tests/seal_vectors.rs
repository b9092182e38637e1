//! The ofdrw seals and seal signatures in ../shared/vectors/ses give the results
//! SES-OFD.md §8 expects.

mod common;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use eseal::pki::{TrustStore, parse_rfc3339, read_certificates};
use eseal::report::{Indication, SignatureReport, SubIndication};
use eseal::seal::{Seal, SealSignature, SesVersion, verify_seal, verify_seal_signature};

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/ses")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The ofdrw test root, from its legacy PKCS#12 with the openssl CLI.
fn ofdrw_root() -> TrustStore {
    let dir = tempfile::tempdir().unwrap();
    let pem = common::openssl_ok(
        dir.path(),
        &[
            "pkcs12",
            "-legacy",
            "-in",
            vector("ROOT.p12").to_str().unwrap(),
            "-nokeys",
            "-passin",
            "pass:123456",
        ],
    );
    let mut store = TrustStore::new();
    for cert in read_certificates(pem.as_bytes()).unwrap() {
        store.add_anchor(cert).unwrap();
    }
    store
}

fn t() -> SystemTime {
    parse_rfc3339("2021-06-01T00:00:00Z").unwrap()
}

fn codes(report: &SignatureReport) -> Vec<&'static str> {
    report.reasons.iter().map(|r| r.code()).collect()
}

fn seal(name: &str) -> Seal {
    Seal::from_der(&read(name)).unwrap()
}

#[test]
fn v1_and_v4_seals_pass_inside_their_validity_and_are_indeterminate_now() {
    let store = ofdrw_root();
    for (name, version) in [
        ("UserV1.esl", SesVersion::V1),
        ("UserV4.esl", SesVersion::V4),
    ] {
        let seal = seal(name);
        assert_eq!(seal.version, version);
        let report = verify_seal(&seal, &store, t());
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{name}: {:?}",
            report.reasons
        );
        let now = verify_seal(&seal, &store, SystemTime::now());
        assert_eq!(now.indication, Indication::Indeterminate, "{name}");
        assert_eq!(
            now.sub_indication,
            Some(SubIndication::OutOfBoundsNoPoe),
            "{name}"
        );
        assert!(!codes(&now).contains(&"SEAL_SIGNATURE_INVALID"), "{name}");
    }
}

#[test]
fn v5_seal_made_after_its_makers_certificate_expired() {
    let store = ofdrw_root();
    let seal = seal("UserV5.esl");
    assert_eq!(seal.version, SesVersion::V5);
    let now = verify_seal(&seal, &store, SystemTime::now());
    assert_eq!(now.indication, Indication::Indeterminate);
    assert!(
        codes(&now).contains(&"CERTIFICATE_EXPIRED"),
        "{:?}",
        now.reasons
    );
    assert!(codes(&now).contains(&"CLAIMED_TIME_OUTSIDE_VALIDITY"));
    let then = verify_seal(&seal, &store, t());
    assert_eq!(then.indication, Indication::TotalFailed);
    assert_eq!(then.sub_indication, Some(SubIndication::NotYetValid));
    assert_eq!(codes(&then)[0], "SEAL_NOT_YET_VALID");
}

#[test]
fn v5_seal_with_a_placeholder_timestamp() {
    let seal = seal("UserV5_ts.esl");
    assert_eq!(seal.timestamp.as_deref(), Some(&[1u8, 2, 3][..]));
    let report = verify_seal(&seal, &ofdrw_root(), SystemTime::now());
    assert_eq!(report.indication, Indication::Indeterminate);
    assert!(codes(&report).contains(&"TIMESTAMP_INVALID"));
    assert!(!codes(&report).contains(&"SEAL_SIGNATURE_INVALID"));
}

#[test]
fn hebei_seal_signature_does_not_verify() {
    let seal = seal("SESealData.DER");
    assert_eq!(seal.ext_datas.len(), 3);
    assert_eq!(seal.picture.picture_type, "GIF");
    let report = verify_seal(&seal, &ofdrw_root(), SystemTime::now());
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::SigCryptoFailure));
    assert_eq!(codes(&report)[0], "SEAL_SIGNATURE_INVALID");
}

#[test]
fn v4_seal_signature_checks_its_data() {
    let store = ofdrw_root();
    let signature = SealSignature::from_der(&read("SignedValueV4.dat")).unwrap();
    assert_eq!(signature.property_info, "/Doc_0/Signs/Sign_0/Signature.xml");
    let without = verify_seal_signature(&signature, &store, t(), None);
    assert_eq!(
        without.indication,
        Indication::Indeterminate,
        "{:?}",
        without.reasons
    );
    assert_eq!(
        without.sub_indication,
        Some(SubIndication::SignedDataNotFound)
    );
    assert_eq!(codes(&without), vec!["DATA_NOT_CHECKED"]);
    let xml = read("Signature.xml");
    let with = verify_seal_signature(&signature, &store, t(), Some(&xml));
    assert_eq!(with.indication, Indication::TotalFailed);
    assert_eq!(with.sub_indication, Some(SubIndication::HashFailure));
    assert_eq!(codes(&with), vec!["DATA_HASH_MISMATCH"]);
    // The data it did sign: its hash is the dataHash, so only the data check differs.
    assert_eq!(signature.seal.der(), read("UserV4.esl").as_slice());
}

#[test]
fn v5_seal_signature_is_cryptographically_sound_but_indeterminate_now() {
    let signature = SealSignature::from_der(&read("SignedValueV5.dat")).unwrap();
    assert_eq!(signature.version, SesVersion::V5);
    let report = verify_seal_signature(&signature, &ofdrw_root(), SystemTime::now(), None);
    assert_eq!(report.indication, Indication::Indeterminate);
    let c = codes(&report);
    assert!(
        !c.contains(&"SIGNATURE_INVALID") && !c.contains(&"SEAL_SIGNATURE_INVALID"),
        "{c:?}"
    );
    assert!(!c.contains(&"SIGNER_NOT_IN_SEAL_CERT_LIST"));
}
