//! Trust lists (LICENCE.md §4): signing and verifying under a pinned root, rollback,
//! staleness, tampering, and the kid index with key rotation. Licence QRs verified
//! against a list are tests/licence_verify.rs's part.

mod common;

use std::time::{Duration, SystemTime};

use common::{Hierarchy, days_from_now};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::compact::{self, sig_structure};
use eseal::licence::cose;
use eseal::licence::trust_list::{
    KeyUse, ListedKey, Office, TrustList, TrustListError, VerifiedTrustList, sign_trust_list,
    verify_trust_list,
};
use eseal::pki::{Certificate, Profile};

const OFFICE_A: &str = "11220000013544541J";
const OFFICE_A_ALT: &str = "11220000MB1234567X";
const OFFICE_B: &str = "11110000000013338W";

struct Fixture {
    hierarchy: Hierarchy,
    list_key: SoftwareKey,
    list_cert: Certificate,
    /// Office A: old (verify-only) and new (sign) keys.
    a_old: (SoftwareKey, Certificate),
    a_new: (SoftwareKey, Certificate),
    /// Office B: one key.
    b: (SoftwareKey, Certificate),
    /// Office A's status-list key.
    a_sl: (SoftwareKey, Certificate),
}

impl Fixture {
    fn new(algorithm: Algorithm) -> Self {
        let hierarchy = Hierarchy::new(algorithm);
        let (list_key, list_cert) = hierarchy.leaf(Profile::TrustList, "省级信任列表签名", -1, 365);
        let a_old = hierarchy.leaf(Profile::LicenceSigner, "甲局 旧", -20, 365);
        let a_new = hierarchy.leaf(Profile::LicenceSigner, "甲局 新", -1, 365);
        let b = hierarchy.leaf(Profile::LicenceSigner, "乙局", -1, 365);
        let a_sl = hierarchy.leaf(Profile::StatusList, "甲局 状态列表", -1, 365);
        Fixture {
            hierarchy,
            list_key,
            list_cert,
            a_old,
            a_new,
            b,
            a_sl,
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
                    .key(ListedKey::new(self.a_new.1.clone(), KeyUse::Sign))
                    .key(ListedKey::new(self.a_sl.1.clone(), KeyUse::Sign)),
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
            &[],
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

/// A verifier that pins only the root needs the list signer's intermediate in `x5chain`.
#[test]
fn x5chain_carries_the_intermediates() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let mut root_only = eseal::pki::TrustStore::new();
    root_only.add_anchor(f.hierarchy.root.clone()).unwrap();
    let now = SystemTime::now();
    let sign = |chain: &[Certificate]| {
        let (iat, exp) = (now - Duration::from_secs(60), days_from_now(1));
        sign_trust_list(&f.list(), 1, iat, exp, &f.list_key, &f.list_cert, chain).unwrap()
    };
    let err = verify_trust_list(&sign(&[]), &root_only, now, None).unwrap_err();
    assert!(
        matches!(err, TrustListError::UntrustedSigner { .. }),
        "{err}"
    );
    let chained = sign(std::slice::from_ref(&f.hierarchy.ca));
    let list = verify_trust_list(&chained, &root_only, now, None).unwrap();
    assert_eq!(list.signer(), &f.list_cert);
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
    assert_eq!(a.keys.len(), 3);
    // Status list signers: a listed status-list key, the URI under the office's `sl`.
    let uri = "https://zz.jl.gov.cn/sl/3";
    assert_eq!(v.status_list_office(&f.a_sl.1, uri).unwrap().code, OFFICE_A);
    assert!(v.status_list_office(&f.a_new.1, uri).is_none());
    assert!(v.status_list_office(&f.b.1, uri).is_none());
    assert!(
        v.status_list_office(&f.a_sl.1, "https://evil.example/sl/3")
            .is_none()
    );
    assert!(v.status_list_office(&f.list_cert, uri).is_none());
}

#[test]
fn listed_keys_verify_cose_signatures_of_their_own_alg() {
    for algorithm in [
        Algorithm::EcdsaP256Sha256,
        Algorithm::Sm2Sm3,
        Algorithm::Ed25519,
    ] {
        let f = Fixture::new(algorithm);
        let v = f.verified(&f.list());
        let cose = compact::sign_cose(b"payload", &f.a_new.0, &f.a_new.1).unwrap();
        let token = compact::decode_cose(&cose);
        // The payload is no licence CWT: decode the COSE layer only.
        assert!(token.is_err());
        let sign1 = cose::decode(&cose, false).unwrap();
        let alg = compact::CoseAlgorithm::from_value(sign1.alg().unwrap()).unwrap();
        let message = sig_structure(&sign1.protected_bytes, &sign1.payload);
        let keys = v.keys_for_kid(cose::kid_of(&f.a_new.1));
        assert_eq!(keys.len(), 1);
        let key = keys[0];
        key.verify_cose(alg, &message, &sign1.signature)
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        let mut bad = sign1.signature.clone();
        bad[0] ^= 1;
        assert!(key.verify_cose(alg, &message, &bad).is_err());
        let other = if alg == compact::CoseAlgorithm::Es256 {
            compact::CoseAlgorithm::EdDsa
        } else {
            compact::CoseAlgorithm::Es256
        };
        let err = key
            .verify_cose(other, &message, &sign1.signature)
            .unwrap_err();
        assert!(err.contains("does not fit"), "{err}");
    }
}

/// The list publishes licence type templates (`ty`); a template that fails its checks
/// makes the list malformed.
#[test]
fn templates_travel_in_the_list() {
    use eseal::licence::sample;
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let template = sample::business_template();
    let list = f.list().template(template.clone());
    let verified = verify_trust_list(
        &f.sign(&list, 1, 1),
        &f.hierarchy.store(),
        SystemTime::now(),
        None,
    )
    .unwrap();
    assert_eq!(
        verified.template(sample::BUSINESS_TYPE_CODE),
        Some(&template)
    );
    assert_eq!(verified.template("11100000000013338W001"), None);

    let mut bad = template;
    bad.fields[0].key = "Type".into();
    let err = verify_trust_list(
        &f.sign(&f.list().template(bad), 1, 1),
        &f.hierarchy.store(),
        SystemTime::now(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        err,
        TrustListError::Malformed("ty: fields[0].key: keys are 1–4 of a-z and 0-9".into())
    );
}
