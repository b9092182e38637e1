//! Licence QR verification end to end (LICENCE.md §3–§5): every stage through STATUS
//! against a verified trust list and status lists, the shared report, and `eseal verify`
//! on a QR string.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{Hierarchy, days_from_now};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::cbor::{self, Value};
use eseal::licence::compact::{self, CompactError, LicenceClaims, Stage, StatusReference};
use eseal::licence::identifiers::{BadCheckCharacter, IssuerCode, LicenceId, Uscc, Warning};
use eseal::licence::status_list::sign_status_list;
use eseal::licence::status_list::{LicenceStatus, Status, StatusList, StatusListError};
use eseal::licence::trust_list::{
    KeyUse, ListedKey, Office, TrustList, VerifiedTrustList, sign_trust_list, verify_trust_list,
};
use eseal::licence::verify::{
    Indication, LicenceFailure, LicenceVerification, LicenceWarning, StatusCheck, StatusLists,
    StatusOutcome, verify_licence_qr,
};
use eseal::pki::{Certificate, Profile, unix_seconds};

const TYPE_CODE: &str = "11100000000013338W032";
const SERIAL: &str = "2430599";
const A_SL: &str = "https://zz.jl.gov.cn/sl/";
const B_SL: &str = "https://zz.bj.gov.cn/sl/";
const A_URI: &str = "https://zz.jl.gov.cn/sl/1";
const B_URI: &str = "https://zz.bj.gov.cn/sl/1";
const INDEX: u64 = 4711;

fn uscc(body: &str) -> String {
    Uscc::new(body).unwrap().to_string()
}

fn office_a() -> String {
    uscc("11220000013544541")
}

fn office_a_alt() -> String {
    uscc("11220000MB1234567")
}

fn office_b() -> String {
    uscc("11110000000013338")
}

/// A valid identifier whose issuer segment is `issuer`.
fn identifier(issuer: &str) -> String {
    LicenceId::new(
        TYPE_CODE.parse().unwrap(),
        issuer.parse::<IssuerCode>().unwrap(),
        SERIAL,
        1,
    )
    .unwrap()
    .to_string()
}

type Key = (SoftwareKey, Certificate);

struct Fixture {
    hierarchy: Hierarchy,
    list_key: SoftwareKey,
    list_cert: Certificate,
    a_old: Key,
    a: Key,
    b: Key,
    a_sl: Key,
    b_sl: Key,
    trust: VerifiedTrustList,
}

impl Fixture {
    fn new(algorithm: Algorithm) -> Self {
        Fixture::with(algorithm, |_| {})
    }

    /// A fixture whose trust list `edit` may change before it is signed.
    fn with(algorithm: Algorithm, edit: impl FnOnce(&mut TrustList)) -> Self {
        let hierarchy = Hierarchy::new(algorithm);
        let (list_key, list_cert) = hierarchy.leaf(Profile::TrustList, "信任列表签名", -1, 365);
        let a_old = hierarchy.leaf(Profile::LicenceSigner, "甲局 旧", -20, 365);
        let a = hierarchy.leaf(Profile::LicenceSigner, "甲局", -1, 365);
        let b = hierarchy.leaf(Profile::LicenceSigner, "乙局", -1, 365);
        let a_sl = hierarchy.leaf(Profile::StatusList, "甲局 状态列表", -1, 365);
        let b_sl = hierarchy.leaf(Profile::StatusList, "乙局 状态列表", -1, 365);
        let mut list = TrustList::new("吉林省电子证照信任列表")
            .office(
                Office::new(&office_a(), "吉林省市场监督管理厅")
                    .alt(&office_a_alt())
                    .status_list(A_SL)
                    .key(ListedKey::new(a_old.1.clone(), KeyUse::VerifyOnly))
                    .key(ListedKey::new(a.1.clone(), KeyUse::Sign))
                    .key(ListedKey::new(a_sl.1.clone(), KeyUse::Sign)),
            )
            .office(
                Office::new(&office_b(), "北京市市场监督管理局")
                    .status_list(B_SL)
                    .key(ListedKey::new(b.1.clone(), KeyUse::Sign))
                    .key(ListedKey::new(b_sl.1.clone(), KeyUse::Sign)),
            );
        edit(&mut list);
        let bytes = sign_trust_list(
            &list,
            7,
            SystemTime::now() - Duration::from_secs(60),
            days_from_now(1),
            &list_key,
            &list_cert,
            &[],
        )
        .unwrap();
        let trust = verify_trust_list(&bytes, &hierarchy.store(), SystemTime::now(), None).unwrap();
        Fixture {
            hierarchy,
            list_key,
            list_cert,
            a_old,
            a,
            b,
            a_sl,
            b_sl,
            trust,
        }
    }

    fn verify(&self, qr: &str, lists: &StatusLists) -> LicenceVerification {
        verify_licence_qr(
            qr,
            &self.trust,
            StatusCheck::Lists(lists),
            SystemTime::now(),
        )
    }
}

fn claims(iss: &str, uri: &str, idx: u64) -> LicenceClaims {
    let now = unix_seconds(SystemTime::now());
    let mut claims = LicenceClaims::new(&identifier(&office_a()));
    claims.issuer = Some(iss.into());
    claims.issued_at = Some(now - 60);
    claims.not_before = Some(now - 86_400);
    claims.status = Some(StatusReference {
        idx,
        uri: uri.into(),
    });
    claims.licence.name = Some("营业执照".into());
    claims.licence.holder = Some("长春市某某科技有限公司".into());
    claims.licence.holder_type = Some("001".into());
    claims.licence.holder_code = Some(uscc("91220101MA0Y3ABCX"));
    claims
}

fn sign(claims: &LicenceClaims, key: &Key) -> String {
    compact::sign_licence(claims, &key.0, &key.1).unwrap()
}

/// A list with entry [`INDEX`] set to `status`, signed by `key` as `sub`, valid from
/// `iat` until `exp`.
fn list_token(key: &Key, sub: &str, status: Status, iat: SystemTime, exp: SystemTime) -> Vec<u8> {
    let mut list = StatusList::new(1);
    list.set(INDEX as usize, status).unwrap();
    sign_status_list(
        &list,
        sub,
        iat,
        Duration::from_secs(3600),
        exp,
        &key.0,
        &key.1,
    )
    .unwrap()
}

fn fresh_token(key: &Key, sub: &str, status: Status) -> Vec<u8> {
    list_token(
        key,
        sub,
        status,
        SystemTime::now() - Duration::from_secs(60),
        days_from_now(2),
    )
}

fn lists(entries: &[(&str, Vec<u8>)]) -> StatusLists {
    let mut lists = StatusLists::new();
    for (uri, token) in entries {
        lists.insert(uri, token.clone());
    }
    lists
}

fn reference(uri: &str, idx: u64) -> StatusReference {
    StatusReference {
        idx,
        uri: uri.into(),
    }
}

fn codes(r: &LicenceVerification) -> Vec<&'static str> {
    r.to_report().reasons.iter().map(|x| x.code()).collect()
}

fn assert_status_unknown(r: &LicenceVerification, uri: &str, idx: u64, reason: StatusListError) {
    assert_eq!(r.indication(), Indication::Indeterminate, "{r}");
    assert_eq!(
        r.failure,
        Some(LicenceFailure::StatusUnknown {
            reference: reference(uri, idx),
            reason,
        }),
        "{r}"
    );
    assert_eq!(codes(r), ["STATUS_UNKNOWN"]);
}

#[test]
fn valid_licence_passes_every_stage() {
    for algorithm in [
        Algorithm::EcdsaP256Sha256,
        Algorithm::Sm2Sm3,
        Algorithm::Ed25519,
    ] {
        let f = Fixture::new(algorithm);
        let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
        let l = lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]);
        let r = f.verify(&qr, &l);
        assert!(r.is_passed(), "{algorithm}: {r}");
        assert_eq!(r.indication(), Indication::TotalPassed);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.office.as_ref().unwrap().code, office_a());
        assert_eq!(
            r.identifier.as_ref().unwrap().to_string(),
            identifier(&office_a())
        );
        assert!(matches!(
            &r.status,
            StatusOutcome::Checked {
                status: LicenceStatus::Valid,
                as_of: Some(_),
                ..
            }
        ));
        let report = r.to_report();
        assert_eq!(report.kind, "licence");
        assert_eq!(report.indication, eseal::report::Indication::TotalPassed);
        assert!(report.reasons.is_empty());
        assert_eq!(
            report.signer.as_deref(),
            Some(format!("{} 吉林省市场监督管理厅", office_a()).as_str())
        );
        assert!(report.signing_time.is_some());
        // The cached list answers the same the second time.
        assert_eq!(f.verify(&qr, &l), r);
    }
}

#[test]
fn revoked_suspended_transferred() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let cases = [
        (Status::Invalid, Indication::TotalFailed, "LICENCE_REVOKED"),
        (
            Status::Suspended,
            Indication::Indeterminate,
            "LICENCE_SUSPENDED",
        ),
        (
            Status::Transferred,
            Indication::Indeterminate,
            "LICENCE_TRANSFERRED",
        ),
    ];
    for (status, indication, code) in cases {
        let r = f.verify(&qr, &lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, status))]));
        let expected = match status {
            Status::Invalid => LicenceFailure::Revoked(reference(A_URI, INDEX)),
            Status::Suspended => LicenceFailure::Suspended(reference(A_URI, INDEX)),
            _ => LicenceFailure::Transferred(reference(A_URI, INDEX)),
        };
        assert_eq!(r.failure, Some(expected), "{r}");
        assert_eq!(r.indication(), indication, "{r}");
        assert_eq!(codes(&r), [code]);
        assert_eq!(r.to_report().indication, indication);
    }
}

#[test]
fn missing_list_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let other = lists(&[(B_URI, fresh_token(&f.b_sl, B_URI, Status::Invalid))]);
    for l in [StatusLists::new(), other] {
        let r = f.verify(&qr, &l);
        assert_status_unknown(&r, A_URI, INDEX, StatusListError::Missing);
        let message = r.to_report().reasons[0].to_string();
        assert!(
            message.contains(&format!("no status list for {A_URI}")),
            "{message}"
        );
    }
}

#[test]
fn expired_list_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let token = list_token(
        &f.a_sl,
        A_URI,
        Status::Invalid,
        days_from_now(-3),
        days_from_now(-1),
    );
    let r = f.verify(&qr, &lists(&[(A_URI, token)]));
    assert!(
        matches!(
            &r.failure,
            Some(LicenceFailure::StatusUnknown {
                reason: StatusListError::Expired { .. },
                ..
            })
        ),
        "{r}"
    );
    assert_eq!(r.indication(), Indication::Indeterminate);
    assert_eq!(codes(&r), ["STATUS_UNKNOWN"]);
}

#[test]
fn list_of_another_office_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    // Office A's licence names a URI under office B's `sl`; office B signs that list.
    let qr = sign(&claims(&office_a(), B_URI, INDEX), &f.a);
    let r = f.verify(
        &qr,
        &lists(&[(B_URI, fresh_token(&f.b_sl, B_URI, Status::Invalid))]),
    );
    assert_status_unknown(
        &r,
        B_URI,
        INDEX,
        StatusListError::OtherOffice {
            signer: office_b(),
            licence: office_a(),
        },
    );
}

#[test]
fn list_uri_not_under_the_office_prefix_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let uri = "https://evil.example/sl/1";
    let qr = sign(&claims(&office_a(), uri, INDEX), &f.a);
    let r = f.verify(
        &qr,
        &lists(&[(uri, fresh_token(&f.a_sl, uri, Status::Valid))]),
    );
    assert_status_unknown(
        &r,
        uri,
        INDEX,
        StatusListError::UriNotUnderOffice {
            uri: uri.into(),
            office: office_a(),
        },
    );
}

#[test]
fn list_sub_other_than_the_uri_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let other = "https://zz.jl.gov.cn/sl/2";
    let r = f.verify(
        &qr,
        &lists(&[(A_URI, fresh_token(&f.a_sl, other, Status::Valid))]),
    );
    assert_status_unknown(
        &r,
        A_URI,
        INDEX,
        StatusListError::WrongUri {
            expected: A_URI.into(),
            found: other.into(),
        },
    );
}

#[test]
fn index_out_of_range_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let idx = 131_072;
    let qr = sign(&claims(&office_a(), A_URI, idx), &f.a);
    let r = f.verify(
        &qr,
        &lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]),
    );
    assert_status_unknown(
        &r,
        A_URI,
        idx,
        StatusListError::IndexOutOfRange {
            index: idx,
            len: 131_072,
        },
    );
}

#[test]
fn tampered_list_signature_is_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let mut token = fresh_token(&f.a_sl, A_URI, Status::Invalid);
    *token.last_mut().unwrap() ^= 1;
    let r = f.verify(&qr, &lists(&[(A_URI, token)]));
    assert_status_unknown(&r, A_URI, INDEX, StatusListError::BadSignature);
}

#[test]
fn list_by_an_unlisted_or_revoked_key_is_status_unknown() {
    let f = Fixture::with(Algorithm::EcdsaP256Sha256, |_| {});
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let stranger = f.hierarchy.leaf(Profile::StatusList, "未列入", -1, 365);
    let token = fresh_token(&stranger, A_URI, Status::Valid);
    let kid = hex::encode(compact::kid_of(&stranger.1));
    let r = f.verify(&qr, &lists(&[(A_URI, token)]));
    assert_status_unknown(&r, A_URI, INDEX, StatusListError::UnknownSigner(kid));

    let g = Fixture::with(Algorithm::EcdsaP256Sha256, |list| {
        let key = &mut list.offices[0].keys[0];
        *key = key.clone().revoked(days_from_now(-1));
    });
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &g.a);
    let r = g.verify(
        &qr,
        &lists(&[(A_URI, fresh_token(&g.a_old, A_URI, Status::Valid))]),
    );
    assert_status_unknown(
        &r,
        A_URI,
        INDEX,
        StatusListError::SignerKeyRevoked { office: office_a() },
    );
}

#[test]
fn sub_issuer_segment_must_be_the_office_or_an_alt() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let l = lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]);
    let mut c = claims(&office_a(), A_URI, INDEX);
    c.subject = identifier(&office_b());
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(
        matches!(&r.failure, Some(LicenceFailure::Binding(d)) if d.contains("sub issuer segment")),
        "{r}"
    );
    assert_eq!(r.indication(), Indication::TotalFailed);
    assert_eq!(codes(&r), ["BINDING"]);
    // An `alt` code (a legacy region code works the same) passes.
    c.subject = identifier(&office_a_alt());
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(r.is_passed(), "{r}");
    // `iss` must be the office's own code, not an alt.
    let c = claims(&office_a_alt(), A_URI, INDEX);
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(
        matches!(&r.failure, Some(LicenceFailure::Binding(d)) if d.contains("iss")),
        "{r}"
    );
    // Office B's key signing for office A.
    let r = f.verify(&sign(&claims(&office_a(), A_URI, INDEX), &f.b), &l);
    assert!(matches!(r.failure, Some(LicenceFailure::Binding(_))), "{r}");
}

#[test]
fn bad_check_characters_are_warnings() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let l = lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]);
    let good = identifier(&office_a());
    let found = if good.ends_with('0') { '1' } else { '0' };
    let expected = good.chars().last().unwrap();
    let mut c = claims(&office_a(), A_URI, INDEX);
    c.subject = format!("{}{found}", &good[..good.len() - 1]);
    let bad_hc = "91350100M0001TGQXM";
    c.licence.holder_code = Some(bad_hc.into());
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(r.is_passed(), "{r}");
    assert_eq!(
        r.warnings[0],
        LicenceWarning::Identifier {
            claim: "sub",
            warning: Warning::BadCheckCharacter(BadCheckCharacter {
                field: "licence identifier".into(),
                expected,
                found,
            }),
        }
    );
    assert!(
        r.warnings.iter().any(|w| matches!(
            w,
            LicenceWarning::Identifier { claim: "hc", warning: Warning::BadCheckCharacter(b) }
                if b.found == 'M' && b.expected == '1'
        )),
        "{:?}",
        r.warnings
    );
    let report = r.to_report();
    assert_eq!(report.indication, eseal::report::Indication::TotalPassed);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("sub: licence identifier"))
    );
    // A resident ID with a bad check character (ht 111) is a warning too; another `ht` is
    // not checked.
    c.licence.holder_type = Some("111".into());
    c.licence.holder_code = Some("110105194912310021".into());
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(r.is_passed(), "{r}");
    assert!(
        r.warnings
            .iter()
            .any(|w| matches!(w, LicenceWarning::Identifier { claim: "hc", .. }))
    );
    c.licence.holder_type = Some("099".into());
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(
        !r.warnings
            .iter()
            .any(|w| matches!(w, LicenceWarning::Identifier { claim: "hc", .. }))
    );
}

#[test]
fn signer_and_time_stages() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let l = lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]);
    let now = unix_seconds(SystemTime::now());

    // The old verify-only key still verifies.
    let r = f.verify(&sign(&claims(&office_a(), A_URI, INDEX), &f.a_old), &l);
    assert!(r.is_passed(), "{r}");

    let stranger = f.hierarchy.leaf(Profile::LicenceSigner, "未列入", -1, 365);
    let r = f.verify(&sign(&claims(&office_a(), A_URI, INDEX), &stranger), &l);
    assert_eq!(
        r.failure,
        Some(LicenceFailure::UnknownSigner(hex::encode(compact::kid_of(
            &stranger.1
        ))))
    );
    assert_eq!(r.indication(), Indication::Indeterminate);
    assert_eq!(codes(&r), ["UNKNOWN_SIGNER"]);

    let mut c = claims(&office_a(), A_URI, INDEX);
    c.expires = Some(now - 1);
    let r = f.verify(&sign(&c, &f.a), &l);
    assert_eq!(r.failure, Some(LicenceFailure::Expired { exp: now - 1 }));
    assert_eq!(
        (r.indication(), codes(&r)),
        (Indication::TotalFailed, vec!["EXPIRED"])
    );

    let mut c = claims(&office_a(), A_URI, INDEX);
    c.not_before = Some(now + 86_400);
    let r = f.verify(&sign(&c, &f.a), &l);
    assert_eq!(
        r.failure,
        Some(LicenceFailure::NotYetValid { nbf: now + 86_400 })
    );
    assert_eq!(
        (r.indication(), codes(&r)),
        (Indication::Indeterminate, vec!["NOT_YET_VALID"])
    );

    let mut c = claims(&office_a(), A_URI, INDEX);
    c.issued_at = Some(now + 3600);
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(matches!(r.failure, Some(LicenceFailure::Binding(_))), "{r}");

    let r = f.verify("ZZ1:!!", &l);
    assert!(matches!(&r.failure, Some(LicenceFailure::Format(e)) if e.stage == Stage::Base45));
    assert_eq!(
        (r.indication(), codes(&r)),
        (Indication::TotalFailed, vec!["LICENCE_FORMAT"])
    );

    let mut c = claims(&office_a(), A_URI, INDEX);
    c.subject = "not an identifier".into();
    let r = f.verify(&sign(&c, &f.a), &l);
    assert!(
        matches!(
            &r.failure,
            Some(LicenceFailure::Format(CompactError {
                stage: Stage::Claims,
                ..
            }))
        ),
        "{r}"
    );

    let r = verify_licence_qr(
        &sign(&claims(&office_a(), A_URI, INDEX), &f.a),
        &f.trust,
        StatusCheck::Lists(&l),
        days_from_now(2),
    );
    assert_eq!(
        r.failure,
        Some(LicenceFailure::TrustListStale {
            exp: f.trust.expires_at()
        })
    );
    assert_eq!(
        (r.indication(), codes(&r)),
        (Indication::Indeterminate, vec!["TRUST_LIST_STALE"])
    );
}

#[test]
fn revoked_key_and_forged_signature_fail() {
    let mut old = None;
    let f = Fixture::with(Algorithm::Sm2Sm3, |list| {
        let key = &mut list.offices[0].keys[0];
        *key = key.clone().revoked(days_from_now(-5));
        old = key.revoked_at;
    });
    let l = lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]);
    let r = f.verify(&sign(&claims(&office_a(), A_URI, INDEX), &f.a_old), &l);
    assert_eq!(
        r.failure,
        Some(LicenceFailure::KeyRevoked {
            office: office_a(),
            revoked_at: old.unwrap(),
        })
    );
    assert_eq!(
        (r.indication(), codes(&r)),
        (Indication::TotalFailed, vec!["KEY_REVOKED"])
    );

    // Office A's listed kid over a signature by office B's key.
    let token = compact::decode_qr(&sign(&claims(&office_a(), A_URI, INDEX), &f.a)).unwrap();
    let other = compact::sign_cose(&token.payload, &f.b.0, &f.b.1).unwrap();
    let other = compact::decode_cose(&other).unwrap();
    let forged = cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(token.protected.clone()),
            Value::Map(Vec::new()),
            Value::Bytes(token.payload.clone()),
            Value::Bytes(other.signature),
        ])),
    ))
    .unwrap();
    let r = f.verify(&compact::qr_string(&forged), &l);
    assert!(
        matches!(r.failure, Some(LicenceFailure::BadSignature(_))),
        "{r}"
    );
    assert_eq!(
        (r.indication(), codes(&r)),
        (Indication::TotalFailed, vec!["SIGNATURE_INVALID"])
    );
}

#[test]
fn no_status_claim_and_skipped_status_are_reported() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let mut c = claims(&office_a(), A_URI, INDEX);
    c.status = None;
    let r = f.verify(&sign(&c, &f.a), &StatusLists::new());
    assert!(r.is_passed(), "{r}");
    assert_eq!(r.status, StatusOutcome::NoReference);
    assert_eq!(r.warnings, [LicenceWarning::NoStatusReference]);

    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let r = verify_licence_qr(&qr, &f.trust, StatusCheck::Skip, SystemTime::now());
    assert!(r.is_passed(), "{r}");
    assert_eq!(r.status, StatusOutcome::Skipped);
    assert_eq!(r.warnings, [LicenceWarning::StatusSkipped]);
    assert_eq!(r.to_report().revocation, "not checked (skipped)");
}

#[test]
fn status_lists_file_tokens_under_their_sub() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let mut l = StatusLists::new();
    assert!(l.is_empty());
    assert_eq!(
        l.add(fresh_token(&f.a_sl, A_URI, Status::Suspended))
            .unwrap(),
        A_URI
    );
    assert_eq!(l.len(), 1);
    assert!(matches!(
        l.add(b"not a token".to_vec()),
        Err(StatusListError::Malformed(_))
    ));
    let r = f.verify(&sign(&claims(&office_a(), A_URI, INDEX), &f.a), &l);
    assert_eq!(
        r.failure,
        Some(LicenceFailure::Suspended(reference(A_URI, INDEX)))
    );
}

fn run(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .output()
        .expect("the eseal binary runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "eseal {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exited normally"), json)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn cli_verifies_licence_qr_strings() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bytes = sign_trust_list(
        &TrustList::new("吉林省电子证照信任列表").office(
            Office::new(&office_a(), "吉林省市场监督管理厅")
                .status_list(A_SL)
                .key(ListedKey::new(f.a.1.clone(), KeyUse::Sign))
                .key(ListedKey::new(f.a_sl.1.clone(), KeyUse::Sign)),
        ),
        1,
        SystemTime::now() - Duration::from_secs(60),
        days_from_now(1),
        &f.list_key,
        &f.list_cert,
        &[],
    )
    .unwrap();
    let list = write(d, "trust-list.cwt", &bytes);
    let root = write(d, "root.pem", f.hierarchy.root.to_pem().as_bytes());
    let ca = write(d, "ca.pem", f.hierarchy.ca.to_pem().as_bytes());
    let mut entries = StatusList::new(1);
    entries.set(2, Status::Invalid).unwrap();
    let token = sign_status_list(
        &entries,
        A_URI,
        SystemTime::now() - Duration::from_secs(60),
        Duration::from_secs(3600),
        days_from_now(2),
        &f.a_sl.0,
        &f.a_sl.1,
    )
    .unwrap();
    let status = write(d, "status.cwt", &token);
    let common = [
        "--trust-list",
        &list,
        "--trust",
        &root,
        "--chain",
        &ca,
        "--json",
    ];

    let passed = sign(&claims(&office_a(), A_URI, 1), &f.a);
    let (code, json) = run(&[&["verify", &passed, "--status-list", &status], &common[..]].concat());
    assert_eq!(code, 0, "{json}");
    let signature = &json["signatures"][0];
    assert_eq!(signature["kind"], "licence");
    assert_eq!(signature["indication"], "TOTAL-PASSED");
    assert_eq!(signature["reasons"], serde_json::json!([]));

    let human = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args([&["verify", &passed, "--status-list", &status], &common[..6]].concat())
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(human.starts_with("licence QR — verified as of"), "{human}");
    for line in [
        format!("identifier: {}", identifier(&office_a())),
        "name:       营业执照".into(),
        "holder:     长春市某某科技有限公司".into(),
        "[1] licence: TOTAL-PASSED".into(),
        format!("revocation: status list {A_URI} entry 1: VALID as of"),
    ] {
        assert!(human.contains(&line), "{line} not in {human}");
    }

    // The QR in a file, revoked.
    let revoked = write(
        d,
        "licence.txt",
        format!("{}\n", sign(&claims(&office_a(), A_URI, 2), &f.a)).as_bytes(),
    );
    let (code, json) =
        run(&[&["verify", &revoked, "--status-list", &status], &common[..]].concat());
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-FAILED");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "LICENCE_REVOKED"
    );

    // Without the status list: unknown, exit 1.
    let (code, json) = run(&[&["verify", &passed], &common[..]].concat());
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "STATUS_UNKNOWN"
    );
}

/// LICENCE.md §5 "newest wins": a list older than one at hand (a replay within its
/// validity) never changes the verdict, in whichever order the two were added.
#[test]
fn an_older_status_list_never_overrides_a_newer_one() {
    use eseal::licence::verify::Filed;
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let now = SystemTime::now();
    let (old_at, new_at) = (
        now - Duration::from_secs(7200),
        now - Duration::from_secs(60),
    );
    let before = list_token(&f.a_sl, A_URI, Status::Valid, old_at, days_from_now(1));
    let after = list_token(&f.a_sl, A_URI, Status::Invalid, new_at, days_from_now(2));
    let (old_iat, new_iat) = (unix_seconds(old_at), unix_seconds(new_at));
    let superseded = LicenceWarning::StatusListSuperseded {
        uri: A_URI.into(),
        iat: old_iat,
        newest: new_iat,
    };
    for (first, second, filed) in [
        (
            &after,
            &before,
            Filed::Superseded {
                iat: old_iat,
                newest: new_iat,
            },
        ),
        (&before, &after, Filed::Newest),
    ] {
        let mut l = StatusLists::new();
        assert_eq!(l.insert(A_URI, first.clone()), Filed::Newest);
        assert_eq!(l.insert(A_URI, second.clone()), filed);
        assert_eq!(l.insert(A_URI, after.clone()), Filed::Duplicate);
        let r = f.verify(&qr, &l);
        assert_eq!(
            r.failure,
            Some(LicenceFailure::Revoked(reference(A_URI, INDEX))),
            "{r}"
        );
        assert_eq!(r.indication(), Indication::TotalFailed);
        assert_eq!(codes(&r), ["LICENCE_REVOKED"]);
        assert_eq!(r.warnings, std::slice::from_ref(&superseded));
        assert!(
            r.to_report().warnings[0].starts_with(&format!(
                "STATUS_LIST_SUPERSEDED: the status list {A_URI} issued at "
            )),
            "{:?}",
            r.to_report().warnings
        );
        assert!(
            matches!(r.status, StatusOutcome::Checked { as_of: Some(iat), .. } if iat == new_iat)
        );
    }
    // Read from files (`add`): the same, and the remark names both times.
    let mut l = StatusLists::new();
    assert_eq!(
        l.file(after.clone()).unwrap(),
        (A_URI.to_string(), Filed::Newest)
    );
    let (uri, filed) = l.file(before.clone()).unwrap();
    assert_eq!(filed.remark(&uri), Some(superseded.to_string()));
    assert_eq!(codes(&f.verify(&qr, &l)), ["LICENCE_REVOKED"]);
}

/// Two different lists of one URI with the same `iat` contradict each other: the status is
/// unknown (never valid, never revoked) until a newer list arrives; the order of adding
/// does not matter.
#[test]
fn status_lists_with_the_same_iat_and_different_content_conflict() {
    use eseal::licence::verify::Filed;
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let at = SystemTime::now() - Duration::from_secs(600);
    let iat = unix_seconds(at);
    let valid = list_token(&f.a_sl, A_URI, Status::Valid, at, days_from_now(1));
    let invalid = list_token(&f.a_sl, A_URI, Status::Invalid, at, days_from_now(1));
    for (first, second) in [(&valid, &invalid), (&invalid, &valid)] {
        let mut l = StatusLists::new();
        assert_eq!(l.insert(A_URI, first.clone()), Filed::Newest);
        assert_eq!(l.insert(A_URI, second.clone()), Filed::Conflict { iat });
        let r = f.verify(&qr, &l);
        assert_status_unknown(
            &r,
            A_URI,
            INDEX,
            StatusListError::Conflict {
                uri: A_URI.into(),
                iat,
            },
        );
        // A newer list settles it, and the two older ones are reported.
        let newer = fresh_token(&f.a_sl, A_URI, Status::Valid);
        assert_eq!(l.insert(A_URI, newer), Filed::Newest);
        let r = f.verify(&qr, &l);
        assert!(r.is_passed(), "{r}");
        assert!(matches!(
            &r.warnings[..],
            [LicenceWarning::StatusListSuperseded { iat: old, .. }] if *old == iat
        ));
    }
}

/// A status list that cannot be read may be the newest list of any URI: the status is
/// unknown, not valid.
#[test]
fn an_unreadable_status_list_leaves_the_status_unknown() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let mut l = lists(&[(A_URI, fresh_token(&f.a_sl, A_URI, Status::Valid))]);
    let error = l.add(b"not a status list".to_vec()).unwrap_err();
    l.add_unreadable(format!("list.cwt: {error}"));
    let r = f.verify(&qr, &l);
    assert_status_unknown(
        &r,
        A_URI,
        INDEX,
        StatusListError::Unreadable(format!("list.cwt: {error}")),
    );
}

/// `eseal verify` keeps the newest status list per URI whatever the order of
/// `--status-list`, names the stale one, refuses a trust-list rollback (`--min-seq`, and
/// `--trust-list-state`, which it keeps up to date), reports an unreadable status list as
/// STATUS_UNKNOWN and a malformed QR as LICENCE_FORMAT with or without a trust list.
#[test]
fn cli_newest_status_list_and_no_trust_list_rollback() {
    let f = Fixture::new(Algorithm::EcdsaP256Sha256);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let trust_list = |seq: u64| {
        sign_trust_list(
            &TrustList::new("吉林省电子证照信任列表").office(
                Office::new(&office_a(), "吉林省市场监督管理厅")
                    .status_list(A_SL)
                    .key(ListedKey::new(f.a.1.clone(), KeyUse::Sign))
                    .key(ListedKey::new(f.a_sl.1.clone(), KeyUse::Sign)),
            ),
            seq,
            SystemTime::now() - Duration::from_secs(60),
            days_from_now(1),
            &f.list_key,
            &f.list_cert,
            &[],
        )
        .unwrap()
    };
    let list_5 = write(d, "trust-5.cwt", &trust_list(5));
    let list_6 = write(d, "trust-6.cwt", &trust_list(6));
    let root = write(d, "root.pem", f.hierarchy.root.to_pem().as_bytes());
    let ca = write(d, "ca.pem", f.hierarchy.ca.to_pem().as_bytes());
    let now = SystemTime::now();
    let before = write(
        d,
        "before.cwt",
        &list_token(
            &f.a_sl,
            A_URI,
            Status::Valid,
            now - Duration::from_secs(7200),
            days_from_now(1),
        ),
    );
    let after = write(
        d,
        "after.cwt",
        &list_token(
            &f.a_sl,
            A_URI,
            Status::Invalid,
            now - Duration::from_secs(60),
            days_from_now(1),
        ),
    );
    let qr = sign(&claims(&office_a(), A_URI, INDEX), &f.a);
    let trust = ["--trust", &root, "--chain", &ca, "--json"];
    let verify = |extra: &[&str]| run(&[&["verify", &qr][..], &trust, extra].concat());

    for order in [[&before, &after], [&after, &before]] {
        let (code, json) = verify(&[
            "--trust-list",
            &list_5,
            "--status-list",
            order[0],
            "--status-list",
            order[1],
        ]);
        assert_eq!(code, 2, "{json}");
        let signature = &json["signatures"][0];
        assert_eq!(signature["indication"], "TOTAL-FAILED");
        assert_eq!(signature["reasons"][0]["code"], "LICENCE_REVOKED");
        let warnings = signature["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .as_str()
                .unwrap()
                .starts_with(&format!("STATUS_LIST_SUPERSEDED: the status list {A_URI}")),
            "{warnings:?}"
        );
    }

    // An unreadable status list: STATUS_UNKNOWN (INDETERMINATE, exit 1), not exit 65.
    let junk = write(d, "junk.cwt", b"\xd2\x84junk");
    let (code, json) = verify(&[
        "--trust-list",
        &list_5,
        "--status-list",
        &after,
        "--status-list",
        &junk,
    ]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["signatures"][0]["indication"], "INDETERMINATE");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "STATUS_UNKNOWN"
    );
    let message = json["signatures"][0]["reasons"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(&format!("a status list given cannot be read ({junk}: ")),
        "{message}"
    );

    // --min-seq: a list below it is a rollback.
    let (code, json) = verify(&[
        "--trust-list",
        &list_5,
        "--status-list",
        &after,
        "--min-seq",
        "6",
    ]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["signatures"][0]["indication"], "INDETERMINATE");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "TRUST_LIST_INVALID"
    );
    assert!(
        json.to_string()
            .contains("trust list rollback: seq 5 is lower than the last seen 6"),
        "{json}"
    );
    let (code, _) = verify(&[
        "--trust-list",
        &list_6,
        "--status-list",
        &after,
        "--min-seq",
        "6",
    ]);
    assert_eq!(code, 2);

    // --trust-list-state: seq 6 is recorded, then seq 5 is a rollback; the file names it.
    let state = d.join("state").join("trust-seq.json");
    std::fs::create_dir(d.join("state")).unwrap();
    let state_arg = state.display().to_string();
    let with_state = |list: &str| {
        verify(&[
            "--trust-list",
            list,
            "--status-list",
            &after,
            "--trust-list-state",
            &state_arg,
        ])
    };
    assert_eq!(with_state(&list_5).0, 2);
    let seen: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(seen, serde_json::json!({"吉林省电子证照信任列表": 5}));
    assert_eq!(with_state(&list_6).0, 2);
    let seen: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(seen, serde_json::json!({"吉林省电子证照信任列表": 6}));
    let (code, json) = with_state(&list_5);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "TRUST_LIST_INVALID"
    );
    assert!(
        json.to_string()
            .contains("trust list rollback: seq 5 is lower than the last seen 6"),
        "{json}"
    );
    let seen: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(seen, serde_json::json!({"吉林省电子证照信任列表": 6}));
    assert_eq!(
        std::fs::read_dir(d.join("state")).unwrap().count(),
        1,
        "no temporary file is left"
    );

    // A malformed QR is LICENCE_FORMAT (TOTAL-FAILED, exit 2) with a trust list, with an
    // unusable one, and with none; a QR string too long is one too.
    let bad = format!("{}x", &qr[..qr.len() - 1]);
    let long = write(
        d,
        "long.txt",
        format!("ZZ1:{}", "0".repeat(70_000)).as_bytes(),
    );
    for (input, extra) in [
        (&bad, vec!["--trust-list", &list_5]),
        (&bad, vec!["--trust-list", &junk]),
        (&bad, vec![]),
        (&long, vec![]),
    ] {
        let (code, json) = run(&[&["verify", input.as_str()][..], &trust, &extra].concat());
        assert_eq!(code, 2, "{extra:?} {json}");
        let signature = &json["signatures"][0];
        assert_eq!(signature["indication"], "TOTAL-FAILED");
        assert_eq!(signature["sub_indication"], "FORMAT_FAILURE");
        assert_eq!(signature["reasons"][0]["code"], "LICENCE_FORMAT");
    }
    let (_, json) = run(&[&["verify", long.as_str()][..], &trust].concat());
    assert!(
        json.to_string()
            .contains("QR string too long: 70000 characters"),
        "{json}"
    );
}
