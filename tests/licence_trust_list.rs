//! Trust lists (LICENCE.md §4): signing and verifying under a pinned root, rollback,
//! staleness, tampering, the kid index with key rotation, and offline licence QR
//! verification against a verified list.

mod common;

use std::time::{Duration, SystemTime};

use common::{Hierarchy, days_from_now};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::compact::{self, LicenceClaims};
use eseal::licence::cose;
use eseal::licence::trust_list::{
    Indication, KeyUse, LicenceFailure, ListedKey, Office, TrustList, TrustListError,
    VerifiedTrustList, sign_trust_list, verify_licence_qr, verify_trust_list,
};
use eseal::pki::{Certificate, Profile};

const OFFICE_A: &str = "11220000013544541J";
const OFFICE_A_ALT: &str = "11220000MB1234567X";
const OFFICE_B: &str = "11110000000013338W";
const IDENTIFIER: &str = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F";

struct Fixture {
    hierarchy: Hierarchy,
    list_key: SoftwareKey,
    list_cert: Certificate,
    /// Office A: old (verify-only) and new (sign) keys.
    a_old: (SoftwareKey, Certificate),
    a_new: (SoftwareKey, Certificate),
    /// Office B: one key.
    b: (SoftwareKey, Certificate),
}

impl Fixture {
    fn new(algorithm: Algorithm) -> Self {
        let hierarchy = Hierarchy::new(algorithm);
        let (list_key, list_cert) =
            hierarchy.leaf(Profile::StatusList, "省级信任列表签名", -1, 365);
        let a_old = hierarchy.leaf(Profile::Signer, "甲局 旧", -20, 365);
        let a_new = hierarchy.leaf(Profile::Signer, "甲局 新", -1, 365);
        let b = hierarchy.leaf(Profile::Signer, "乙局", -1, 365);
        Fixture {
            hierarchy,
            list_key,
            list_cert,
            a_old,
            a_new,
            b,
        }
    }

    fn list(&self) -> TrustList {
        TrustList::new("吉林省电子证照信任列表")
            .office(
                Office::new(OFFICE_A, "吉林省市场监督管理厅")
                    .region("220000")
                    .alt(OFFICE_A_ALT)
                    .status_list("https://zz.jl.gov.cn/sl/")
                    .key(ListedKey::new(self.a_old.1.clone(), KeyUse::VerifyOnly))
                    .key(ListedKey::new(self.a_new.1.clone(), KeyUse::Sign)),
            )
            .office(
                Office::new(OFFICE_B, "北京市市场监督管理局")
                    .region("110000")
                    .key(ListedKey::new(self.b.1.clone(), KeyUse::Sign)),
            )
    }

    fn sign(&self, list: &TrustList, seq: u64, exp_days: i64) -> Vec<u8> {
        sign_trust_list(
            list,
            seq,
            SystemTime::now() - Duration::from_secs(60),
            days_from_now(exp_days),
            &self.list_key,
            &self.list_cert,
        )
        .unwrap()
    }

    fn verified(&self, list: &TrustList) -> VerifiedTrustList {
        let bytes = self.sign(list, 7, 1);
        verify_trust_list(&bytes, &self.hierarchy.store(), SystemTime::now(), Some(7)).unwrap()
    }
}

#[test]
fn sign_and_verify_p256_and_sm2() {
    for algorithm in [Algorithm::EcdsaP256Sha256, Algorithm::Sm2Sm3] {
        let f = Fixture::new(algorithm);
        let bytes = f.sign(&f.list(), 3, 1);
        let v = verify_trust_list(&bytes, &f.hierarchy.store(), SystemTime::now(), Some(2))
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(v.seq(), 3);
        assert_eq!(v.issuer(), "吉林省电子证照信任列表");
        assert_eq!(v.offices(), f.list().offices.as_slice());
        assert_eq!(v.signer(), &f.list_cert);
        assert!(v.expires_at() > v.issued_at());
        // No last seq, or the same seq again: accepted.
        verify_trust_list(&bytes, &f.hierarchy.store(), SystemTime::now(), None).unwrap();
        verify_trust_list(&bytes, &f.hierarchy.store(), SystemTime::now(), Some(3)).unwrap();
    }
}

#[test]
fn untrusted_signer_is_rejected() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let bytes = f.sign(&f.list(), 1, 1);
    let other = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let err = verify_trust_list(&bytes, &other.store(), SystemTime::now(), None).unwrap_err();
    assert!(
        matches!(err, TrustListError::UntrustedSigner { .. }),
        "{err}"
    );
}

#[test]
fn rollback_is_rejected() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let bytes = f.sign(&f.list(), 4, 1);
    let err =
        verify_trust_list(&bytes, &f.hierarchy.store(), SystemTime::now(), Some(5)).unwrap_err();
    assert_eq!(err, TrustListError::Rollback { seq: 4, last: 5 });
}

#[test]
fn stale_list_is_stale() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let bytes = f.sign(&f.list(), 1, 1);
    let later = days_from_now(2);
    let err = verify_trust_list(&bytes, &f.hierarchy.store(), later, None).unwrap_err();
    assert!(matches!(err, TrustListError::Stale { .. }), "{err}");
}

#[test]
fn tampered_byte_breaks_the_signature() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let bytes = f.sign(&f.list(), 1, 1);
    // Change one letter of the issuer name inside the payload.
    let needle = "吉林省电子证照信任列表".as_bytes();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut tampered = bytes.clone();
    tampered[at + needle.len() - 1] ^= 1;
    let err =
        verify_trust_list(&tampered, &f.hierarchy.store(), SystemTime::now(), None).unwrap_err();
    assert_eq!(err, TrustListError::BadSignature);
    // And the last signature byte.
    let mut tampered = bytes.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let err =
        verify_trust_list(&tampered, &f.hierarchy.store(), SystemTime::now(), None).unwrap_err();
    assert_eq!(err, TrustListError::BadSignature);
    // Truncation is malformed, not a signature error.
    let err = verify_trust_list(
        &bytes[..bytes.len() - 1],
        &f.hierarchy.store(),
        SystemTime::now(),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, TrustListError::Malformed(_)), "{err}");
}

#[test]
fn status_list_token_is_not_a_trust_list() {
    use eseal::licence::status_list::{StatusList, sign_status_list};
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let token = sign_status_list(
        &StatusList::new(1),
        "https://zz.jl.gov.cn/sl/1",
        SystemTime::now(),
        Duration::from_secs(3600),
        days_from_now(2),
        &f.list_key,
        &f.list_cert,
    )
    .unwrap();
    let err = verify_trust_list(&token, &f.hierarchy.store(), SystemTime::now(), None).unwrap_err();
    assert!(matches!(err, TrustListError::WrongType(_)), "{err}");
}

#[test]
fn kid_index_two_offices_and_rotation() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let v = f.verified(&f.list());
    for (cert, office, key_use) in [
        (&f.a_old.1, OFFICE_A, KeyUse::VerifyOnly),
        (&f.a_new.1, OFFICE_A, KeyUse::Sign),
        (&f.b.1, OFFICE_B, KeyUse::Sign),
    ] {
        let refs = v.keys_for_kid(cose::kid_of(cert));
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].office.code, office);
        assert_eq!(&refs[0].key.certificate, cert);
        assert_eq!(refs[0].key.key_use, key_use);
        assert_eq!(v.office_for_key(cert).unwrap().code, office);
    }
    assert!(v.keys_for_kid([0; 8]).is_empty());
    assert!(v.office_for_key(&f.list_cert).is_none());
    let a = v.office(OFFICE_A).unwrap();
    assert!(a.answers_to(OFFICE_A_ALT) && !a.answers_to(OFFICE_B));
    assert!(a.has_status_list("https://zz.jl.gov.cn/sl/3"));
    assert_eq!(a.keys.len(), 2);
    // Status list signers: a listed key, the URI under the office's `sl`.
    let uri = "https://zz.jl.gov.cn/sl/3";
    assert_eq!(
        v.status_list_office(&f.a_new.1, uri).unwrap().code,
        OFFICE_A
    );
    assert!(v.status_list_office(&f.b.1, uri).is_none());
    assert!(
        v.status_list_office(&f.a_new.1, "https://evil.example/sl/3")
            .is_none()
    );
    assert!(v.status_list_office(&f.list_cert, uri).is_none());
}

fn claims(issuer: &str) -> LicenceClaims {
    let now = eseal::pki::unix_seconds(SystemTime::now());
    let mut claims = LicenceClaims::new(IDENTIFIER);
    claims.issuer = Some(issuer.into());
    claims.issued_at = Some(now - 60);
    claims.not_before = Some(now - 86_400);
    claims.licence.name = Some("营业执照".into());
    claims
}

#[test]
fn licence_qr_against_the_list() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let v = f.verified(&f.list());
    let now = SystemTime::now();

    // Signed with the current key, the old verify-only key, an alt code: passes.
    for (key, cert, iss) in [
        (&f.a_new.0, &f.a_new.1, OFFICE_A),
        (&f.a_old.0, &f.a_old.1, OFFICE_A),
        (&f.a_new.0, &f.a_new.1, OFFICE_A_ALT),
        (&f.b.0, &f.b.1, OFFICE_B),
    ] {
        let qr = compact::sign_licence(&claims(iss), key, cert).unwrap();
        let r = verify_licence_qr(&qr, &v, now);
        assert!(r.is_passed(), "{r}");
        assert_eq!(r.claims.unwrap().issuer.as_deref(), Some(iss));
    }

    // Office B's key signing for office A: binding fails.
    let qr = compact::sign_licence(&claims(OFFICE_A), &f.b.0, &f.b.1).unwrap();
    let r = verify_licence_qr(&qr, &v, now);
    assert_eq!(r.indication, Indication::TotalFailed);
    assert!(matches!(r.reason, Some(LicenceFailure::Binding(_))), "{r}");

    // An unlisted key: unknown signer, indeterminate.
    let (key, cert) = f.hierarchy.leaf(Profile::Signer, "未列入", -1, 365);
    let qr = compact::sign_licence(&claims(OFFICE_A), &key, &cert).unwrap();
    let r = verify_licence_qr(&qr, &v, now);
    assert_eq!(r.indication, Indication::Indeterminate);
    assert!(
        matches!(r.reason, Some(LicenceFailure::UnknownSigner(_))),
        "{r}"
    );

    // Expired licence.
    let mut c = claims(OFFICE_A);
    c.expires = Some(eseal::pki::unix_seconds(now) - 1);
    let qr = compact::sign_licence(&c, &f.a_new.0, &f.a_new.1).unwrap();
    let r = verify_licence_qr(&qr, &v, now);
    assert_eq!(r.indication, Indication::TotalFailed);
    assert!(
        matches!(r.reason, Some(LicenceFailure::Expired { .. })),
        "{r}"
    );

    // Not yet in force.
    let mut c = claims(OFFICE_A);
    c.not_before = Some(eseal::pki::unix_seconds(now) + 86_400);
    let qr = compact::sign_licence(&c, &f.a_new.0, &f.a_new.1).unwrap();
    let r = verify_licence_qr(&qr, &v, now);
    assert_eq!(r.indication, Indication::Indeterminate);
    assert!(
        matches!(r.reason, Some(LicenceFailure::NotYetValid { .. })),
        "{r}"
    );

    // iat in the future beyond the skew: binding.
    let mut c = claims(OFFICE_A);
    c.issued_at = Some(eseal::pki::unix_seconds(now) + 3600);
    let qr = compact::sign_licence(&c, &f.a_new.0, &f.a_new.1).unwrap();
    let r = verify_licence_qr(&qr, &v, now);
    assert!(matches!(r.reason, Some(LicenceFailure::Binding(_))), "{r}");

    // Garbage: format failure.
    let r = verify_licence_qr("ZZ1:!!", &v, now);
    assert_eq!(r.indication, Indication::TotalFailed);
    assert!(matches!(r.reason, Some(LicenceFailure::Format(_))), "{r}");
}

#[test]
fn revoked_key_fails_every_token() {
    let f = Fixture::new(Algorithm::Sm2Sm3);
    let mut list = f.list();
    let revoked_at = days_from_now(-5);
    list.offices[0].keys[0] =
        ListedKey::new(f.a_old.1.clone(), KeyUse::VerifyOnly).revoked(revoked_at);
    let v = f.verified(&list);
    // Even a token claiming an iat before the revocation fails.
    let mut c = claims(OFFICE_A);
    c.issued_at = Some(eseal::pki::unix_seconds(days_from_now(-10)));
    let qr = compact::sign_licence(&c, &f.a_old.0, &f.a_old.1).unwrap();
    let r = verify_licence_qr(&qr, &v, SystemTime::now());
    assert_eq!(r.indication, Indication::TotalFailed);
    assert!(
        matches!(r.reason, Some(LicenceFailure::KeyRevoked { .. })),
        "{r}"
    );
    assert_eq!(r.office.as_deref(), Some(OFFICE_A));
    // The new SM2 key of the same office still works.
    let qr = compact::sign_licence(&claims(OFFICE_A), &f.a_new.0, &f.a_new.1).unwrap();
    let r = verify_licence_qr(&qr, &v, SystemTime::now());
    assert!(r.is_passed(), "{r}");
}

#[test]
fn listed_key_with_a_wrong_signature_is_total_failed() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let v = f.verified(&f.list());
    let qr = compact::sign_licence(&claims(OFFICE_A), &f.a_new.0, &f.a_new.1).unwrap();
    // Re-sign the same payload with another key but keep the listed kid: decode, swap the
    // signature for one by office B's key over the same Sig_structure.
    let token = compact::decode_qr(&qr).unwrap();
    let other = compact::sign_cose(&token.payload, &f.b.0, &f.b.1).unwrap();
    let other = compact::decode_cose(&other).unwrap();
    let forged = eseal::licence::cbor::encode(&eseal::licence::cbor::Value::Tag(
        18,
        Box::new(eseal::licence::cbor::Value::Array(vec![
            eseal::licence::cbor::Value::Bytes(token.protected.clone()),
            eseal::licence::cbor::Value::Map(Vec::new()),
            eseal::licence::cbor::Value::Bytes(token.payload.clone()),
            eseal::licence::cbor::Value::Bytes(other.signature),
        ])),
    ))
    .unwrap();
    let r = verify_licence_qr(&compact::qr_string(&forged), &v, SystemTime::now());
    assert_eq!(r.indication, Indication::TotalFailed);
    assert!(
        matches!(r.reason, Some(LicenceFailure::BadSignature(_))),
        "{r}"
    );
}
