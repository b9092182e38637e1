//! PAdES B-T, B-LT and B-LTA made by eseal with an in-process TSA, and the time rule of
//! the verifier: proofs of existence from signature and document timestamps decide
//! whether an expired or revoked signer still passes (ETSI EN 319 102-1 clause 5.6).

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::{PdfOffice, days_from_now};
use eseal::cms::DigestAlgorithm;
use eseal::cms::tsa::Authority;
use eseal::crypto::Algorithm;
use eseal::pdf::{
    ValidationData, add_document_timestamp, add_validation_data, seal_pdf, verify_pdf,
};
use eseal::pki::{Profile, TrustStore};
use eseal::report::{Indication, SubIndication};

/// A TSA under the office's own hierarchy.
fn authority(office: &PdfOffice) -> Authority {
    let (key, cert) = office
        .hierarchy
        .leaf(Profile::Timestamping, "时间戳服务", -1, 3650);
    Authority::new(
        Arc::new(key),
        cert,
        vec![office.hierarchy.ca.clone()],
        "1.2.156.1.1",
    )
    .unwrap()
}

/// `office`'s document sealed with a signature timestamp (B-T).
fn b_t(office: &PdfOffice, tsa: &Authority) -> Vec<u8> {
    let mut options = office.options([350.0, 80.0, 463.4, 193.4]);
    options.timestamper = Some(tsa);
    seal_pdf(eseal::pdf::sample::plain_pdf(&["B-T"], 0), &options).unwrap()
}

#[test]
fn a_signature_timestamp_keeps_a_later_revoked_signer_valid() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let tsa = authority(&office);
    let pdf = b_t(&office, &tsa);
    let later = days_from_now(2);

    // Revoked a day after the timestamp: still TOTAL-PASSED, the revocation noted.
    let store = office
        .hierarchy
        .store_with_crls(Some((&office.signer, days_from_now(1))));
    let s = &verify_pdf(&pdf, &store, later).unwrap().signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("valid at the proof of existence")),
        "{:?}",
        s.warnings
    );
    assert_eq!(
        s.signing_time_source.map(|t| t.as_str()),
        Some("signature timestamp")
    );

    // Revoked a day before the timestamp: TOTAL-FAILED / REVOKED.
    let store = office
        .hierarchy
        .store_with_crls(Some((&office.signer, days_from_now(-1))));
    let s = &verify_pdf(&pdf, &store, later).unwrap().signatures[0];
    assert_eq!(s.indication, Indication::TotalFailed);
    assert_eq!(s.sub_indication, Some(SubIndication::Revoked));
}

#[test]
fn expiry_after_the_timestamp_passes_and_without_one_is_out_of_bounds() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let tsa = authority(&office);
    // The signer's certificate ends in 365 days (PdfOffice); verify 400 days on.
    let after_expiry = days_from_now(400);
    let store = office.hierarchy.store();
    let stamped = b_t(&office, &tsa);
    let s = &verify_pdf(&stamped, &store, after_expiry)
        .unwrap()
        .signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);

    let plain = office.sealed_pdf();
    let s = &verify_pdf(&plain, &store, after_expiry).unwrap().signatures[0];
    assert_eq!(s.indication, Indication::Indeterminate);
    assert_eq!(s.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
}

#[test]
fn a_timestamp_after_expiry_is_expired() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let (key, cert) = office
        .hierarchy
        .leaf(Profile::Timestamping, "TSA", -1, 3650);
    let tsa = Authority::new(
        Arc::new(key),
        cert,
        vec![office.hierarchy.ca.clone()],
        "1.2.3",
    )
    .unwrap();
    // Sealed now, but stamped 400 days on (the TSA's clock), after the signer's expiry.
    let stamp_later = |algorithm: DigestAlgorithm, digest: &[u8]| {
        let request = eseal::cms::TimestampRequest::new(algorithm, digest.to_vec());
        let response = tsa.respond_at(&request.to_der()?, days_from_now(400));
        eseal::cms::token_from_response(&response, &request).map(|t| t.der().to_vec())
    };
    let mut options = office.options([350.0, 80.0, 463.4, 193.4]);
    options.timestamper = Some(&stamp_later);
    let pdf = seal_pdf(eseal::pdf::sample::plain_pdf(&["late"], 0), &options).unwrap();
    let s = &verify_pdf(&pdf, &office.hierarchy.store(), days_from_now(401))
        .unwrap()
        .signatures[0];
    assert_eq!(s.indication, Indication::TotalFailed, "{:?}", s.reasons);
    assert_eq!(s.sub_indication, Some(SubIndication::Expired));
    assert_eq!(s.reasons[0].code(), "CERTIFICATE_EXPIRED_BEFORE_POE");
}

#[test]
fn b_lt_verifies_offline_from_its_dss_and_b_lta_adds_a_document_timestamp() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let tsa = authority(&office);
    let bt = b_t(&office, &tsa);
    let h = &office.hierarchy;
    let [ca_crl, root_crl] = h.crls(None);
    let data = ValidationData {
        certificates: vec![h.ca.der().to_vec(), tsa.certificate().der().to_vec()],
        crls: vec![ca_crl.der().to_vec(), root_crl.der().to_vec()],
        ocsps: Vec::new(),
    };
    let lt = add_validation_data(bt.clone(), &data).unwrap();
    // The verifier has only the root and the root's CRL: the office CA's CRL must come
    // from the document.
    let mut store = TrustStore::new();
    store.add_anchor(h.root.clone()).unwrap();
    store.add_crl(root_crl);
    let s = &verify_pdf(&bt, &store, SystemTime::now())
        .unwrap()
        .signatures[0];
    assert_eq!(
        s.indication,
        Indication::Indeterminate,
        "without the DSS: {:?}",
        s.reasons
    );
    assert_eq!(s.sub_indication, Some(SubIndication::TryLater));
    let s = &verify_pdf(&lt, &store, SystemTime::now())
        .unwrap()
        .signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);
    assert_eq!(s.modification.map(|m| m.as_str()), Some("LTA_UPDATES"));
    assert!(s.revocation.detail.contains("CRL"), "{}", s.revocation);

    let lta = add_document_timestamp(lt, &tsa).unwrap();
    let report = verify_pdf(&lta, &store, SystemTime::now()).unwrap();
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(
        report.signatures[0].indication,
        Indication::TotalPassed,
        "{:?}",
        report.signatures[0].reasons
    );
    let ts = &report.signatures[1];
    assert_eq!(ts.kind, "pdf-document-timestamp");
    assert_eq!(ts.indication, Indication::TotalPassed, "{:?}", ts.reasons);
    assert_eq!(ts.signer.as_deref(), Some(tsa.certificate().subject()));
}

#[test]
fn a_document_timestamp_is_a_proof_of_existence_for_what_it_covers() {
    // B-B sealed, then a document timestamp; the signer revoked after it: still valid.
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let tsa = authority(&office);
    let lta = add_document_timestamp(office.sealed_pdf(), &tsa).unwrap();
    let store = office
        .hierarchy
        .store_with_crls(Some((&office.signer, days_from_now(1))));
    let s = &verify_pdf(&lta, &store, days_from_now(2))
        .unwrap()
        .signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);
}

#[test]
fn a_wrong_imprint_or_a_tsa_without_the_eku_is_no_proof() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let tsa = authority(&office);
    // A token over other data.
    let wrong = |algorithm: DigestAlgorithm, _digest: &[u8]| {
        tsa.timestamp(algorithm, &algorithm.digest(b"other data"))
            .map(|t| t.der().to_vec())
    };
    let mut options = office.options([350.0, 80.0, 463.4, 193.4]);
    options.timestamper = Some(&wrong);
    let pdf = seal_pdf(eseal::pdf::sample::plain_pdf(&["x"], 0), &options).unwrap();
    let s = &verify_pdf(&pdf, &office.hierarchy.store(), SystemTime::now())
        .unwrap()
        .signatures[0];
    assert_eq!(s.indication, Indication::Indeterminate);
    assert_eq!(s.reasons[0].code(), "TIMESTAMP_INVALID");
    assert!(
        s.reasons[0].to_string().contains("imprint"),
        "{}",
        s.reasons[0]
    );

    // A signer certificate cannot be a TSA.
    let (key, cert) = office.hierarchy.leaf(Profile::Signer, "not a TSA", -1, 30);
    let err = Authority::new(Arc::new(key), cert, Vec::new(), "1.2.3")
        .err()
        .unwrap();
    assert!(err.to_string().contains("timeStamping"), "{err}");
}

#[test]
fn an_unreadable_dss_is_noted_and_adds_nothing() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let data = ValidationData {
        certificates: vec![office.hierarchy.ca.der().to_vec()],
        ..Default::default()
    };
    let mut lt = add_validation_data(office.sealed_pdf(), &data).unwrap();
    // Break the last DSS stream's deflate data (after the signed bytes).
    let marker = b"/Filter /FlateDecode";
    let at = lt.windows(marker.len()).rposition(|w| w == marker).unwrap();
    let data_at = at + lt[at..].windows(7).position(|w| w == b"stream\n").unwrap() + 7;
    lt[data_at..data_at + 4].copy_from_slice(&[0xff; 4]);
    let s = &verify_pdf(&lt, &office.hierarchy.store(), SystemTime::now())
        .unwrap()
        .signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);
    assert!(
        s.warnings.iter().any(|w| w.contains("/DSS) is unreadable")),
        "{:?}",
        s.warnings
    );
}
