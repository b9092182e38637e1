//! Seals and seal signatures made by eseal: they verify in eseal and in OpenSSL 3 over the
//! bytes SES-OFD.md §4 names, re-parse byte-identically, and any tampering is caught.

mod common;

use std::fs;
use std::time::{Duration, SystemTime};

use common::{Hierarchy, days_from_now, openssl_ok, openssl_sm2_verify};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::pki::{Certificate, Profile};
use eseal::report::{Indication, SignatureReport, SubIndication};
use eseal::seal::{
    CertList, PictureInfo, Seal, SealRequest, SealSignature, make_seal, sign_with_seal,
    verify_seal, verify_seal_signature,
};

const DATA: &[u8] = b"<ofd:Signature>the signed document</ofd:Signature>";
const SEAL_NAME: &str = "某某市市场监督管理局电子证照专用章";

struct Office {
    pki: Hierarchy,
    maker_key: SoftwareKey,
    maker: Certificate,
    signer_key: SoftwareKey,
    signer: Certificate,
}

fn office(algorithm: Algorithm) -> Office {
    let pki = Hierarchy::new(algorithm);
    let (maker_key, maker) = pki.leaf(Profile::SealMaker, "制章人", -10, 365);
    let (signer_key, signer) = pki.leaf(Profile::Signer, "签章人 张三", -10, 365);
    Office {
        pki,
        maker_key,
        maker,
        signer_key,
        signer,
    }
}

fn request(signer: &Certificate) -> SealRequest {
    SealRequest {
        vendor: "eseal".into(),
        es_id: "3301000000001".into(),
        seal_type: 1,
        name: SEAL_NAME.into(),
        cert_list: CertList::Certificates(vec![signer.der().to_vec()]),
        created: days_from_now(-1),
        valid_start: days_from_now(-1),
        valid_end: days_from_now(300),
        picture: PictureInfo {
            picture_type: "PNG".into(),
            data: b"\x89PNG\r\n\x1a\n picture bytes".to_vec(),
            width_mm: 40,
            height_mm: 40,
        },
        ext_datas: Vec::new(),
    }
}

fn codes(report: &SignatureReport) -> Vec<&'static str> {
    report.reasons.iter().map(|r| r.code()).collect()
}

fn made(o: &Office) -> (Seal, SealSignature) {
    let seal = make_seal(&request(&o.signer), &o.maker, &o.maker_key).unwrap();
    let signature = sign_with_seal(
        &seal,
        DATA,
        "/Doc_0/Signs/Sign_0/Signature.xml",
        &o.signer,
        &o.signer_key,
        SystemTime::now() - Duration::from_secs(5),
    )
    .unwrap();
    (seal, signature)
}

#[test]
fn made_seal_and_signature_verify_and_reparse_identically() {
    for algorithm in [Algorithm::Sm2Sm3, Algorithm::EcdsaP256Sha256] {
        let o = office(algorithm);
        let (seal, signature) = made(&o);
        let store = o.pki.store();
        let report = verify_seal(&seal, &store, SystemTime::now());
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{algorithm}: {:?}",
            report.reasons
        );
        assert_eq!(report.seal.as_deref(), Some(SEAL_NAME));
        let report = verify_seal_signature(&signature, &store, SystemTime::now(), Some(DATA));
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{algorithm}: {:?}",
            report.reasons
        );

        let again = Seal::from_der(seal.der()).unwrap();
        assert_eq!(again, seal);
        assert_eq!(again.der(), seal.der());
        let again = SealSignature::from_der(signature.der()).unwrap();
        assert_eq!(again.der(), signature.der());
        assert_eq!(again.seal.der(), seal.der());
    }
}

#[test]
fn openssl_verifies_sm2_seals_and_signatures_and_eseal_verifies_openssl() {
    let o = office(Algorithm::Sm2Sm3);
    let (seal, signature) = made(&o);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, cert, tbs, sig) in [
        ("seal", &o.maker, seal.signed_bytes(), &seal.signature),
        (
            "signature",
            &o.signer,
            signature.signed_bytes(),
            &signature.signature,
        ),
    ] {
        assert_eq!(
            openssl_sm2_verify(d, cert, tbs, sig),
            "Verified OK",
            "{name}"
        );
    }
    // The other way: OpenSSL signs the TBS_Sign bytes, eseal verifies.
    fs::write(d.join("key.pem"), o.signer_key.to_pkcs8_pem().as_bytes()).unwrap();
    fs::write(d.join("tbs.der"), signature.signed_bytes()).unwrap();
    openssl_ok(
        d,
        &[
            "dgst",
            "-sm3",
            "-sign",
            "key.pem",
            "-sigopt",
            "distid:1234567812345678",
            "-out",
            "ossl.sig",
            "tbs.der",
        ],
    );
    let ossl = fs::read(d.join("ossl.sig")).unwrap();
    let key = o.signer.public_key().unwrap();
    key.verify(Algorithm::Sm2Sm3, signature.signed_bytes(), &ossl)
        .unwrap();
    // Signed without `distid` (OpenSSL 3.0's empty default ID): the report says so.
    openssl_ok(
        d,
        &[
            "dgst",
            "-sm3",
            "-sign",
            "key.pem",
            "-out",
            "empty-id.sig",
            "tbs.der",
        ],
    );
    let mut empty_id = signature.clone();
    empty_id.signature = fs::read(d.join("empty-id.sig")).unwrap();
    let report = verify_seal_signature(&empty_id, &o.pki.store(), SystemTime::now(), Some(DATA));
    assert_eq!(codes(&report), vec!["SM2_ID_MISMATCH"]);
    assert_eq!(
        (report.indication, report.sub_indication),
        (
            Indication::TotalFailed,
            Some(SubIndication::SigCryptoFailure)
        )
    );
}

/// Replaces the first occurrence of `needle` in `der` by `replacement` (same length).
fn replaced(der: &[u8], needle: &[u8], replacement: &[u8]) -> Vec<u8> {
    assert_eq!(needle.len(), replacement.len());
    let at = der
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present");
    let mut out = der.to_vec();
    out[at..at + needle.len()].copy_from_slice(replacement);
    out
}

#[test]
fn tampering_with_any_field_is_detected() {
    let o = office(Algorithm::Sm2Sm3);
    let (seal, signature) = made(&o);
    let store = o.pki.store();
    let now = SystemTime::now();
    let seal_verdict = |der: Vec<u8>| verify_seal(&Seal::from_der(&der).unwrap(), &store, now);

    let name = replaced(seal.der(), "电子证照".as_bytes(), "电子印章".as_bytes());
    assert_eq!(codes(&seal_verdict(name)), vec!["SEAL_SIGNATURE_INVALID"]);
    let end = format!("{}", 1900 + time_year(seal.property.valid_end));
    let later = format!("{}", 1900 + time_year(seal.property.valid_end) + 1);
    let validity = replaced(seal.der(), end.as_bytes(), later.as_bytes());
    assert_eq!(
        codes(&seal_verdict(validity)),
        vec!["SEAL_SIGNATURE_INVALID"]
    );
    let picture = replaced(seal.der(), b"picture", b"PICTURE");
    assert_eq!(
        codes(&seal_verdict(picture)),
        vec!["SEAL_SIGNATURE_INVALID"]
    );
    let mut bad_sig = seal.der().to_vec();
    let last = bad_sig.len() - 2;
    bad_sig[last] ^= 0x01;
    let report = seal_verdict(bad_sig);
    assert_eq!(
        (report.indication, report.sub_indication),
        (
            Indication::TotalFailed,
            Some(SubIndication::SigCryptoFailure)
        )
    );

    // certList: another signer's certificate swapped in. The seal's signature breaks and
    // the real signer is no longer listed.
    let (_, other) = o.pki.leaf(Profile::Signer, "签章人 李四", -10, 365);
    let serial = o.signer.serial();
    let listed = replaced(
        signature.der(),
        serial,
        &other.serial()[..serial.len()]
            .to_vec()
            .iter()
            .map(|b| b ^ 0x55)
            .collect::<Vec<_>>(),
    );
    let report = verify_seal_signature(
        &SealSignature::from_der(&listed).unwrap(),
        &store,
        now,
        Some(DATA),
    );
    let c = codes(&report);
    assert!(
        c.contains(&"SIGNATURE_INVALID")
            && c.contains(&"SEAL_SIGNATURE_INVALID")
            && c.contains(&"SIGNER_NOT_IN_SEAL_CERT_LIST"),
        "{c:?}"
    );

    // dataHash changed in the signature: the signer's signature breaks and the data no
    // longer matches.
    let hash = &signature.data_hash;
    let flipped: Vec<u8> = hash.iter().map(|b| b ^ 0xff).collect();
    let report = verify_seal_signature(
        &SealSignature::from_der(&replaced(signature.der(), hash, &flipped)).unwrap(),
        &store,
        now,
        Some(DATA),
    );
    assert_eq!(
        codes(&report),
        vec!["SIGNATURE_INVALID", "DATA_HASH_MISMATCH"]
    );
    assert_eq!(report.sub_indication, Some(SubIndication::SigCryptoFailure));

    // Other data than was signed.
    let report = verify_seal_signature(&signature, &store, now, Some(b"other data"));
    assert_eq!(codes(&report), vec!["DATA_HASH_MISMATCH"]);
    assert_eq!(report.sub_indication, Some(SubIndication::HashFailure));

    // The signer's signature value.
    let mut bad = signature.der().to_vec();
    let last = bad.len() - 2;
    bad[last] ^= 0x01;
    let report = verify_seal_signature(
        &SealSignature::from_der(&bad).unwrap(),
        &store,
        now,
        Some(DATA),
    );
    assert_eq!(codes(&report), vec!["SIGNATURE_INVALID"]);
}

fn time_year(unix: i64) -> i64 {
    i64::from(
        time::OffsetDateTime::from_unix_timestamp(unix)
            .unwrap()
            .year(),
    ) - 1900
}

#[test]
fn signers_outside_the_cert_list_cannot_sign_and_expired_certificates_are_indeterminate() {
    let o = office(Algorithm::Sm2Sm3);
    let (seal, signature) = made(&o);
    let (other_key, other) = o.pki.leaf(Profile::Signer, "签章人 李四", -10, 365);
    let err = sign_with_seal(&seal, DATA, "/x", &other, &other_key, SystemTime::now()).unwrap_err();
    assert!(matches!(err, eseal::Error::Invalid(_)), "{err}");
    // A year and a half later every certificate has expired: never valid, never a crypto
    // failure.
    let report = verify_seal_signature(&signature, &o.pki.store(), days_from_now(400), Some(DATA));
    assert_eq!(report.indication, Indication::Indeterminate);
    assert_eq!(report.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
    assert!(
        !codes(&report)
            .iter()
            .any(|c| c.contains("SIGNATURE_INVALID"))
    );
}

#[test]
fn raw_r_s_signatures_are_accepted_on_read() {
    let o = office(Algorithm::Sm2Sm3);
    let (seal, _) = made(&o);
    let sig = sm2::dsa::Signature::from_der(&seal.signature).unwrap();
    let raw = sig.to_bytes().to_vec();
    let old_bits = [
        &[0x03, (seal.signature.len() + 1) as u8, 0x00][..],
        &seal.signature,
    ]
    .concat();
    let new_bits = [&[0x03, 65, 0x00][..], &raw].concat();
    let mut der = seal.der().to_vec();
    let at = der.len() - old_bits.len();
    assert_eq!(&der[at..], old_bits.as_slice());
    der.truncate(at);
    der.extend_from_slice(&new_bits);
    let body = der[4..].to_vec();
    let mut rebuilt = vec![0x30, 0x82];
    rebuilt.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rebuilt.extend_from_slice(&body);
    let raw_seal = Seal::from_der(&rebuilt).unwrap();
    assert_eq!(raw_seal.signature.len(), 64);
    let report = verify_seal(&raw_seal, &o.pki.store(), SystemTime::now());
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
}

#[test]
fn malformed_and_hostile_ses_input_is_a_clear_error() {
    let o = office(Algorithm::Sm2Sm3);
    let (seal, signature) = made(&o);
    for der in [seal.der(), signature.der()] {
        for cut in (0..der.len()).step_by(7) {
            assert!(Seal::from_der(&der[..cut]).is_err());
            assert!(SealSignature::from_der(&der[..cut]).is_err());
        }
    }
    // Wrong tags: an INTEGER where the seal is expected.
    assert!(matches!(
        Seal::from_der(&[0x02, 0x01, 0x00]),
        Err(eseal::Error::Malformed { .. })
    ));
    // A length past the end.
    assert!(matches!(
        Seal::from_der(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00]),
        Err(eseal::Error::Malformed { .. })
    ));
    // 10^6-deep nesting: an error, no stack overflow.
    let nested = nested_sequences(1_000_000);
    assert!(matches!(
        Seal::from_der(&nested),
        Err(eseal::Error::Malformed { .. })
    ));
    assert!(matches!(
        SealSignature::from_der(&nested),
        Err(eseal::Error::Malformed { .. })
    ));
    // Too large.
    assert!(matches!(
        Seal::from_der(&vec![0u8; 17 << 20]),
        Err(eseal::Error::TooLarge { .. })
    ));
}

/// `depth` SEQUENCEs, each holding the next, around a NULL; built in one pass.
fn nested_sequences(depth: usize) -> Vec<u8> {
    let mut headers = Vec::with_capacity(depth);
    let mut len = 2usize;
    for _ in 0..depth {
        let mut header = vec![0x30];
        if len < 0x80 {
            header.push(len as u8);
        } else {
            let bytes = (len as u32).to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            header.push(0x80 | (4 - skip) as u8);
            header.extend_from_slice(&bytes[skip..]);
        }
        len += header.len();
        headers.push(header);
    }
    let mut out: Vec<u8> = headers.into_iter().rev().flatten().collect();
    out.extend_from_slice(&[0x05, 0x00]);
    out
}
