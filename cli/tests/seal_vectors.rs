//! The ofdrw seals and seal signatures in ../shared/vectors/ses give the results
//! SES-OFD.md §8 expects.

mod common;

use std::time::SystemTime;

use eseal::pki::{TrustStore, parse_rfc3339};
use eseal::report::{Indication, SignatureReport, SubIndication};
use eseal::seal::{Seal, SealSignature, SesVersion, verify_seal, verify_seal_signature};

use common::ofdrw::{read, root as ofdrw_root};

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

#[test]
fn ofdrw_signing_key_makes_seals_that_verify_under_the_ofdrw_root() {
    use eseal::crypto::{Algorithm, Signer};
    use eseal::seal::sign_with_seal;
    // ofdrw's SM2 key is SEC1 (`EC PRIVATE KEY`); its certificate is valid 2021-07-29 → 2023-07-29.
    let (key, cert) = common::ofdrw::signer();
    assert_eq!(key.algorithm(), Algorithm::Sm2Sm3);
    assert_eq!(key.public_key_spki(), cert.spki_der());
    let at = parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    let seal = common::ofdrw::signer_seal(&key, &cert, "ofdrw-key", "ofdrw 密钥测试章");
    let xml = read("Signature.xml");
    let signature = sign_with_seal(
        &seal,
        &xml,
        "/Doc_0/Signs/Sign_0/Signature.xml",
        &cert,
        &key,
        at,
    )
    .unwrap();
    let report = verify_seal_signature(&signature, &ofdrw_root(), at, Some(&xml));
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
}

#[test]
fn sm2_pfx_with_aes_pbes2_loads_and_signs() {
    use eseal::crypto::{Algorithm, Signer, SoftwareKey};
    let (key, certs) = SoftwareKey::from_pkcs12(&read("sm2_test.pfx"), "123456").unwrap();
    assert_eq!(key.algorithm(), Algorithm::Sm2Sm3);
    assert_eq!(certs.len(), 1);
    let cert = eseal::pki::Certificate::from_der(&certs[0]).unwrap();
    assert!(cert.subject().contains("Ching"));
    let signature = key.sign(b"seal").unwrap();
    cert.public_key()
        .unwrap()
        .verify(Algorithm::Sm2Sm3, b"seal", &signature)
        .unwrap();
    assert!(matches!(
        SoftwareKey::from_pkcs12(&read("sm2_test.pfx"), "wrong"),
        Err(eseal::Error::WrongPassword)
    ));
}

/// The SES parts of a sealed OFD: SignedValue.dat and the Signature.xml it signed. The
/// package-level checks (references, StampAnnot) belong to the OFD verifier.
fn ofd_ses_parts(name: &str) -> (SealSignature, Vec<u8>) {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(read(name))).unwrap();
    let mut entry = |path: &str| {
        let mut bytes = Vec::new();
        archive
            .by_name(path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    let signed_value = entry("Doc_0/Signs/Sign_0/SignedValue.dat");
    let xml = entry("Doc_0/Signs/Sign_0/Signature.xml");
    (SealSignature::from_der(&signed_value).unwrap(), xml)
}

#[test]
fn seal_signatures_inside_the_sealed_ofd_vectors() {
    let store = ofdrw_root();
    // ofdrw's own OFDs: sound as of a time inside their certificates' validity.
    for name in ["allprotected.ofd", "V4RideRight.ofd"] {
        let (signature, xml) = ofd_ses_parts(name);
        let report = verify_seal_signature(&signature, &store, t(), Some(&xml));
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{name}: {:?}",
            report.reasons
        );
        let now = verify_seal_signature(&signature, &store, SystemTime::now(), Some(&xml));
        assert_eq!(now.indication, Indication::Indeterminate, "{name}");
    }
    // Signed in 2026, after its certificates and seal expired: never passes.
    let (signature, xml) = ofd_ses_parts("SESV4SignDoc.ofd");
    for at in [t(), SystemTime::now()] {
        let report = verify_seal_signature(&signature, &store, at, Some(&xml));
        assert_eq!(report.indication, Indication::Indeterminate);
        assert!(
            !codes(&report)
                .iter()
                .any(|c| c.contains("SIGNATURE_INVALID") || *c == "DATA_HASH_MISMATCH")
        );
    }
    // Real tax-bureau e-invoices: sound, but no CA is given; with the embedded maker and
    // signer certificates trusted directly they pass as of their signing time.
    for name in ["v4signed.ofd", "1.ofd"] {
        let (signature, xml) = ofd_ses_parts(name);
        let eseal::seal::TimeInfo::Time(signed_at) = signature.time_info else {
            panic!("{name}: signing time unreadable")
        };
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(signed_at as u64);
        let report = verify_seal_signature(&signature, &TrustStore::new(), at, Some(&xml));
        assert_eq!(report.indication, Indication::Indeterminate, "{name}");
        assert_eq!(
            report.sub_indication,
            Some(SubIndication::NoCertificateChainFound),
            "{name}"
        );
        let mut direct = TrustStore::new();
        for der in [&signature.signer_cert, &signature.seal.maker_cert] {
            direct
                .add_anchor(eseal::pki::Certificate::from_der(der).unwrap())
                .unwrap();
        }
        let report = verify_seal_signature(&signature, &direct, at, Some(&xml));
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{name}: {:?}",
            report.reasons
        );
        assert_eq!(
            signature.seal.picture.picture_type.to_ascii_lowercase(),
            "ofd"
        );
    }
    // dms360 v1: the seal's own signature holds, the signer's does not, the data differs
    // and the certificate list is an IA5String.
    let (signature, xml) = ofd_ses_parts("n.ofd");
    assert_eq!(signature.version, SesVersion::V1);
    let report = verify_seal_signature(&signature, &store, t(), Some(&xml));
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::SigCryptoFailure));
    let c = codes(&report);
    assert_eq!(c[0], "SIGNATURE_INVALID");
    assert!(
        c.contains(&"SIGNER_NOT_IN_SEAL_CERT_LIST") && c.contains(&"DATA_HASH_MISMATCH"),
        "{c:?}"
    );
    assert!(!c.contains(&"SEAL_SIGNATURE_INVALID"));
}

#[test]
fn a_v1_seal_signs_a_v1_signature_that_reads_back_and_verifies() {
    use eseal::seal::{TimeInfo, sign_with_seal};
    let (key, cert) = common::ofdrw::user();
    let seal = seal("UserV1.esl");
    let data = read("Signature.xml");
    let signed_at = parse_rfc3339("2021-01-01T08:00:00Z").unwrap();
    let path = "/Doc_0/Signs/Sign_0/Signature.xml";
    let signature = sign_with_seal(&seal, &data, path, &cert, &key, signed_at).unwrap();

    // GM/T 0031-2014: SES_Signature has two elements, TBS_Sign seven, timeInfo a BIT
    // STRING holding the UTCTime text.
    let read_back = SealSignature::from_der(signature.der()).unwrap();
    assert_eq!(read_back.version, SesVersion::V1);
    assert_eq!(read_back.tbs_version, 1);
    assert_eq!(read_back.seal.der(), seal.der());
    assert_eq!(read_back.property_info, path);
    assert_eq!(
        read_back.time_info,
        TimeInfo::Time(eseal::pki::unix_seconds(signed_at))
    );
    let der = signature.der();
    assert_eq!(der[0], 0x30);
    assert!(
        signature
            .signed_bytes()
            .windows(16)
            .any(|w| w == b"\x03\x0e\x00210101080000Z"),
        "timeInfo BIT STRING"
    );

    // OpenSSL verifies the signer's SM2 signature over TBS_Sign (SES-OFD.md §7).
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        common::openssl_sm2_verify(
            dir.path(),
            &cert,
            signature.signed_bytes(),
            &read_back.signature
        ),
        "Verified OK"
    );

    let store = ofdrw_root();
    let report = verify_seal_signature(&read_back, &store, t(), Some(&data));
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    assert_eq!(codes(&report), Vec::<&str>::new());
    let report = verify_seal_signature(&read_back, &store, t(), Some(b"other data"));
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::HashFailure));
    assert_eq!(codes(&report), ["DATA_HASH_MISMATCH"]);
}

#[test]
fn the_cli_signs_with_a_v1_seal_and_reads_the_v1_signature_back() {
    use common::cli::{code, eseal, ok, p, stderr};
    let (key, cert) = common::ofdrw::user();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("user.pem"), cert.to_pem()).unwrap();
    std::fs::write(d.join("user.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    std::fs::write(d.join("data.xml"), read("Signature.xml")).unwrap();
    let root: String = common::ofdrw::p12_certificates("ROOT.p12", "123456")
        .iter()
        .map(|c| c.to_pem())
        .collect();
    std::fs::write(d.join("root.pem"), root).unwrap();
    let seal = common::ofdrw::vector("UserV1.esl");
    ok(&[
        "seal",
        "sign",
        "--seal",
        seal.to_str().unwrap(),
        "--signer-cert",
        &p(d, "user.pem"),
        "--signer-key",
        &p(d, "user.key"),
        "--data",
        &p(d, "data.xml"),
        "--out",
        &p(d, "SignedValue.dat"),
    ]);
    let signature =
        SealSignature::from_der(&std::fs::read(d.join("SignedValue.dat")).unwrap()).unwrap();
    assert_eq!(signature.version, SesVersion::V1);
    let inspected: serde_json::Value = serde_json::from_str(&ok(&[
        "seal",
        "inspect",
        &p(d, "SignedValue.dat"),
        "--json",
    ]))
    .unwrap();
    assert_eq!(inspected["kind"], "seal-signature");
    assert_eq!(inspected["version"], "V1");
    // Signed now, by certificates that expired in 2022: valid cryptography, no proof of
    // existence while they were valid.
    let out = eseal(&[
        "verify",
        &p(d, "SignedValue.dat"),
        "--data",
        &p(d, "data.xml"),
        "--trust",
        &p(d, "root.pem"),
        "--json",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &json["signatures"][0];
    assert_eq!(report["indication"], "INDETERMINATE", "{report}");
    assert_eq!(report["sub_indication"], "OUT_OF_BOUNDS_NO_POE", "{report}");
    let codes: Vec<&str> = report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    // Maker certificate, seal period, signer certificate expired; timeInfo (now) after
    // the signer certificate and the seal period: no cryptographic failure.
    assert_eq!(
        codes,
        [
            "CERTIFICATE_EXPIRED",
            "SEAL_EXPIRED",
            "CERTIFICATE_EXPIRED",
            "CLAIMED_TIME_OUTSIDE_VALIDITY",
            "CLAIMED_TIME_OUTSIDE_VALIDITY"
        ],
        "{report}"
    );
}
