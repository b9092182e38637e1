//! Timestamps in GB/T 38540 seals and seal signatures: the v5 seal's `timeStamp` over the
//! maker's signature and `SES_Signature.timeStamp` over the signer's, from eseal's TSA,
//! verified as proofs of existence (SES-OFD.md §5 S9 and G8).

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::{Hierarchy, days_from_now};
use eseal::cms::DigestAlgorithm;
use eseal::cms::tsa::Authority;
use eseal::crypto::Algorithm;
use eseal::pki::Profile;
use eseal::report::{Indication, SubIndication};
use eseal::seal::picture::{SealFont, SealPicture};
use eseal::seal::{
    CertList, PictureInfo, SealRequest, SesVersion, make_seal, make_seal_v5, sign_with_seal,
    timestamp_seal_signature, verify_seal, verify_seal_signature,
};

struct Office {
    hierarchy: Hierarchy,
    tsa: Authority,
}

fn office(algorithm: Algorithm) -> Office {
    let hierarchy = Hierarchy::new(algorithm);
    let (key, cert) = hierarchy.leaf(Profile::Timestamping, "时间戳服务", -1, 3650);
    let tsa = Authority::new(
        Arc::new(key),
        cert,
        vec![hierarchy.ca.clone()],
        "1.2.156.1.1",
    )
    .unwrap();
    Office { hierarchy, tsa }
}

fn request(signer: &eseal::pki::Certificate, valid_days: i64) -> SealRequest {
    let png = SealPicture::new("某某市市场监督管理局")
        .to_png(&SealFont::system().unwrap(), 128)
        .unwrap();
    SealRequest {
        vendor: "eseal".into(),
        es_id: "ts-test".into(),
        seal_type: 1,
        name: "某某市市场监督管理局电子证照专用章".into(),
        cert_list: CertList::Certificates(vec![signer.der().to_vec()]),
        created: days_from_now(-1),
        valid_start: days_from_now(-1),
        valid_end: days_from_now(valid_days),
        picture: PictureInfo {
            picture_type: "PNG".into(),
            data: png,
            width_mm: 40,
            height_mm: 40,
        },
        ext_datas: Vec::new(),
    }
}

#[test]
fn a_v5_seal_is_stamped_and_stays_valid_after_its_period() {
    for algorithm in [Algorithm::Sm2Sm3, Algorithm::EcdsaP256Sha256] {
        let o = office(algorithm);
        let (maker_key, maker) = o.hierarchy.leaf(Profile::SealMaker, "制章人", -1, 365);
        let (signer_key, signer) = o.hierarchy.leaf(Profile::Signer, "签章人", -1, 365);
        let seal = make_seal_v5(&request(&signer, 30), &maker, &maker_key, &o.tsa).unwrap();
        assert_eq!(seal.version, SesVersion::V5);
        assert_eq!(seal.header.version, 5);
        let store = o.hierarchy.store();
        // Its signatures are v5 too (TBS_Sign.version follows the seal).
        let data = b"a v5 signature";
        let signature =
            sign_with_seal(&seal, data, "doc", &signer, &signer_key, SystemTime::now()).unwrap();
        assert_eq!(signature.tbs_version, 5);
        let report = verify_seal_signature(&signature, &store, SystemTime::now(), Some(data));
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{:?}",
            report.reasons
        );
        assert!(
            report
                .warnings
                .iter()
                .all(|w| !w.contains("TBS_Sign.version")),
            "{:?}",
            report.warnings
        );
        let report = verify_seal(&seal, &store, SystemTime::now());
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{algorithm}: {:?}",
            report.reasons
        );

        // Sixty days on the seal's period is over; its timestamp proves it was made in it.
        let later = days_from_now(60);
        let report = verify_seal(&seal, &store, later);
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{:?}",
            report.reasons
        );
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("valid at the proof of existence"))
        );
        let unstamped = make_seal(&request(&signer, 30), &maker, &maker_key).unwrap();
        let report = verify_seal(&unstamped, &store, later);
        assert_eq!(report.indication, Indication::Indeterminate);
        assert_eq!(report.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
        assert_eq!(report.reasons[0].code(), "SEAL_EXPIRED");
    }
}

#[test]
fn a_stamped_seal_signature_outlives_a_later_revocation_but_not_an_earlier_one() {
    let o = office(Algorithm::Sm2Sm3);
    let h = &o.hierarchy;
    let (maker_key, maker) = h.leaf(Profile::SealMaker, "制章人", -1, 365);
    let (signer_key, signer) = h.leaf(Profile::Signer, "签章人", -1, 365);
    let seal = make_seal(&request(&signer, 365), &maker, &maker_key).unwrap();
    let data = "营业执照".as_bytes();
    let signature =
        sign_with_seal(&seal, data, "doc", &signer, &signer_key, SystemTime::now()).unwrap();
    let stamped = timestamp_seal_signature(&signature, &o.tsa).unwrap();
    assert!(stamped.timestamp.is_some());
    assert!(
        timestamp_seal_signature(&stamped, &o.tsa).is_err(),
        "one timestamp only"
    );

    let store_revoking_at = |days: i64| h.store_with_crls(Some((&signer, days_from_now(days))));
    let later = days_from_now(2);
    let report = verify_seal_signature(&stamped, &store_revoking_at(1), later, Some(data));
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    let report = verify_seal_signature(&signature, &store_revoking_at(1), later, Some(data));
    assert_eq!(
        report.indication,
        Indication::TotalFailed,
        "no proof, revoked since"
    );
    let report = verify_seal_signature(&stamped, &store_revoking_at(-1), later, Some(data));
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::Revoked));
}

#[test]
fn a_token_over_other_data_proves_nothing() {
    let o = office(Algorithm::Sm2Sm3);
    let (maker_key, maker) = o.hierarchy.leaf(Profile::SealMaker, "制章人", -1, 365);
    let (_, signer) = o.hierarchy.leaf(Profile::Signer, "签章人", -1, 365);
    let wrong = |algorithm: DigestAlgorithm, _digest: &[u8]| {
        o.tsa
            .timestamp(algorithm, &algorithm.digest(b"something else"))
            .map(|t| t.der().to_vec())
    };
    let seal = make_seal_v5(&request(&signer, 30), &maker, &maker_key, &wrong).unwrap();
    let report = verify_seal(&seal, &o.hierarchy.store(), SystemTime::now());
    assert_eq!(report.indication, Indication::Indeterminate);
    assert_eq!(report.reasons[0].code(), "TIMESTAMP_INVALID");
    assert!(
        report.reasons[0].to_string().contains("imprint"),
        "{}",
        report.reasons[0]
    );
}
