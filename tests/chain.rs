//! Chain validation as of a time, with eseal's own SM2 hierarchy: every rejection has its
//! named reason and the ETSI indication that follows from it.

mod common;

use std::time::{Duration, SystemTime};

use common::{Hierarchy, days_from_now, validity};
use eseal::crypto::{Algorithm, Signer};
use eseal::pki::{
    self, DistinguishedName, Profile, RevocationReason, RevokedEntry, TrustStore, Usage,
};
use eseal::report::{Indication, SubIndication};

fn verdict(
    store: &TrustStore,
    leaf: &pki::Certificate,
    at: SystemTime,
    usage: Usage,
) -> common::ChainVerdict {
    common::chain_verdict(store, leaf, &[], at, usage)
}

fn crl(h: &Hierarchy, issuer_is_root: bool, entries: &[RevokedEntry], next_days: i64) -> pki::Crl {
    let (cert, key): (&pki::Certificate, &dyn Signer) = if issuer_is_root {
        (&h.root, &h.root_key)
    } else {
        (&h.ca, &h.ca_key)
    };
    pki::issue_crl(
        cert,
        key,
        1,
        days_from_now(0) - Duration::from_secs(120),
        days_from_now(next_days),
        entries,
    )
    .unwrap()
}

fn entry(cert: &pki::Certificate, at: SystemTime, reason: RevocationReason) -> RevokedEntry {
    RevokedEntry {
        serial: cert.serial().to_vec(),
        revoked_at: eseal::pki::unix_seconds(at),
        reason: Some(reason),
    }
}

#[test]
fn validity_period_is_checked_as_of_the_time() {
    let h = Hierarchy::new(Algorithm::Sm2Sm3);
    let (_, leaf) = h.leaf(Profile::Signer, "签章人", -1, 30);
    let store = h.store();
    assert_eq!(
        verdict(&store, &leaf, SystemTime::now(), Usage::Signer),
        (Indication::TotalPassed, None, vec![])
    );
    assert_eq!(
        verdict(&store, &leaf, days_from_now(31), Usage::Signer),
        (
            Indication::Indeterminate,
            Some(SubIndication::OutOfBoundsNoPoe),
            vec!["CERTIFICATE_EXPIRED"]
        )
    );
    assert_eq!(
        verdict(&store, &leaf, days_from_now(-2), Usage::Signer),
        (
            Indication::TotalFailed,
            Some(SubIndication::NotYetValid),
            vec!["CERTIFICATE_NOT_YET_VALID"]
        )
    );
    // An expired intermediate is named as such.
    let ca_key = common::key(Algorithm::Sm2Sm3);
    let short_ca = pki::issue(
        Profile::OfficeCa,
        &DistinguishedName::common_name("short-lived CA"),
        ca_key.public_key_spki(),
        validity(-1, 5),
        &h.root,
        &h.root_key,
    )
    .unwrap();
    let leaf_key = common::key(Algorithm::Sm2Sm3);
    let leaf2 = pki::issue(
        Profile::Signer,
        &DistinguishedName::common_name("leaf of short CA"),
        leaf_key.public_key_spki(),
        validity(-1, 30),
        &short_ca,
        &ca_key,
    )
    .unwrap();
    let result = store.validate(
        &leaf2,
        std::slice::from_ref(&short_ca),
        days_from_now(10),
        Usage::Signer,
    );
    assert!(
        matches!(&result.reasons[..], [eseal::report::Reason::CertificateExpired { subject, .. }] if subject.contains("short-lived CA"))
    );
}

#[test]
fn revocation_time_semantics_and_reasons() {
    let h = Hierarchy::new(Algorithm::Sm2Sm3);
    let (_, revoked) = h.leaf(Profile::Signer, "revoked", -10, 30);
    let (_, held) = h.leaf(Profile::Signer, "on hold", -10, 30);
    let (_, released) = h.leaf(Profile::Signer, "released", -10, 30);
    let (_, good) = h.leaf(Profile::Signer, "good", -10, 30);
    let revoked_at = days_from_now(-3);
    let mut store = h.store();
    store.add_crl(crl(
        &h,
        false,
        &[
            entry(&revoked, revoked_at, RevocationReason::CessationOfOperation),
            entry(&held, revoked_at, RevocationReason::CertificateHold),
            entry(&released, revoked_at, RevocationReason::RemoveFromCrl),
        ],
        7,
    ));
    let now = SystemTime::now();
    assert_eq!(
        verdict(&store, &revoked, now, Usage::Signer),
        (
            Indication::TotalFailed,
            Some(SubIndication::Revoked),
            vec!["CERTIFICATE_REVOKED"]
        )
    );
    // Before the revocation date: valid, with a note.
    let before = store.validate(&revoked, &[], days_from_now(-4), Usage::Signer);
    assert!(before.is_valid());
    assert!(
        before
            .warnings
            .iter()
            .any(|w| w.contains("after the validation time")),
        "{:?}",
        before.warnings
    );
    assert_eq!(
        verdict(&store, &held, now, Usage::Signer),
        (
            Indication::Indeterminate,
            Some(SubIndication::TryLater),
            vec!["CERTIFICATE_ON_HOLD"]
        )
    );
    assert_eq!(
        verdict(&store, &released, now, Usage::Signer),
        (Indication::TotalPassed, None, vec![])
    );
    assert_eq!(
        verdict(&store, &good, now, Usage::Signer),
        (Indication::TotalPassed, None, vec![])
    );
    // After nextUpdate the CRL no longer vouches for the good one: unknown, never valid.
    assert_eq!(
        verdict(&store, &good, days_from_now(8), Usage::Signer),
        (
            Indication::Indeterminate,
            Some(SubIndication::TryLater),
            vec!["REVOCATION_UNKNOWN"]
        )
    );
}

#[test]
fn revoked_office_ca_and_foreign_crls() {
    let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (_, leaf) = h.leaf(Profile::SealMaker, "制章人", -1, 30);
    let mut store = h.store();
    store.add_crl(crl(
        &h,
        true,
        &[entry(
            &h.ca,
            days_from_now(-1),
            RevocationReason::CaCompromise,
        )],
        7,
    ));
    store.add_crl(crl(&h, false, &[], 7));
    assert_eq!(
        verdict(&store, &leaf, SystemTime::now(), Usage::SealMaker),
        (
            Indication::Indeterminate,
            Some(SubIndication::RevokedCaNoPoe),
            vec!["CERTIFICATE_REVOKED"]
        )
    );

    // A CRL with the right issuer name but signed by another key is ignored, so the
    // leaf's status is unknown.
    let other = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let mut store = h.store();
    store.add_crl(crl(&other, false, &[], 7));
    let result = store.validate(&leaf, &[], SystemTime::now(), Usage::SealMaker);
    assert_eq!(
        result.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        vec!["REVOCATION_UNKNOWN"]
    );
    assert!(
        result.warnings.iter().any(|w| w.contains("ignored a CRL")),
        "{:?}",
        result.warnings
    );
}

#[test]
fn tampering_and_misuse() {
    let h = Hierarchy::new(Algorithm::Sm2Sm3);
    let (_, leaf) = h.leaf(Profile::Signer, "签章人", -1, 30);
    let store = h.store();
    let now = SystemTime::now();

    // Change one byte of the subject's common name: the signature no longer covers it.
    let mut der = leaf.der().to_vec();
    let at = der.windows(3).position(|w| w == "签".as_bytes()).unwrap();
    der[at + 2] ^= 0x01;
    let tampered = pki::Certificate::from_der(&der).unwrap();
    assert_eq!(
        verdict(&store, &tampered, now, Usage::Signer),
        (
            Indication::TotalFailed,
            Some(SubIndication::SigCryptoFailure),
            vec!["BAD_CERTIFICATE_SIGNATURE"]
        )
    );

    // A CA certificate's own path holds (RFC 5280 says nothing of cA in the last place),
    // but it signs nothing; a seal maker is no TSA.
    assert_eq!(
        verdict(&store, &h.ca, now, Usage::Any),
        (Indication::TotalPassed, None, vec![])
    );
    assert_eq!(
        verdict(&store, &h.ca, now, Usage::Signer),
        (
            Indication::Indeterminate,
            Some(SubIndication::ChainConstraintsFailure),
            vec!["USAGE_NOT_ALLOWED"]
        )
    );
    let (_, maker) = h.leaf(Profile::SealMaker, "制章人", -1, 30);
    assert_eq!(
        verdict(&store, &maker, now, Usage::Timestamping),
        (
            Indication::Indeterminate,
            Some(SubIndication::ChainConstraintsFailure),
            vec!["USAGE_NOT_ALLOWED"]
        )
    );
    // A leaf cannot issue: a chain through it is refused.
    let key = common::key(Algorithm::Sm2Sm3);
    let err = pki::issue(
        Profile::Signer,
        &DistinguishedName::common_name("x"),
        key.public_key_spki(),
        validity(0, 1),
        &maker,
        &key,
    );
    assert!(matches!(err, Err(eseal::Error::Invalid(_))));
}

#[test]
fn directly_trusted_self_signed_certificate() {
    let key = common::key(Algorithm::Ed25519);
    let own = pki::issue_root(
        &DistinguishedName::common_name("self-signed signer"),
        validity(-1, 10),
        &key,
    )
    .unwrap();
    let mut store = TrustStore::new();
    store.add_anchor(own.clone()).unwrap();
    let result = store.validate(&own, &[], SystemTime::now(), Usage::Any);
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.contains("trusted directly"))
    );
    assert_eq!(
        verdict(&store, &own, days_from_now(11), Usage::Any).2,
        vec!["CERTIFICATE_EXPIRED"]
    );
}

#[test]
fn trust_store_is_shared_across_threads() {
    let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (_, leaf) = h.leaf(Profile::Signer, "签章人", -1, 30);
    let store = std::sync::Arc::new(h.store());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (store, leaf) = (store.clone(), leaf.clone());
            std::thread::spawn(move || {
                store
                    .validate(&leaf, &[], SystemTime::now(), Usage::Signer)
                    .is_valid()
            })
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
}
