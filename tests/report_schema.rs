//! The JSON report against its schema (`schema/report.schema.json`, draft 2020-12): the
//! reports eseal makes for a PDF, an OFD, a seal, a certificate and a licence QR, passing
//! and failing, validate; a report changed against the schema does not.

mod common;

use std::time::{Duration, SystemTime};

use common::{Hierarchy, PdfOffice};
use eseal::crypto::Algorithm;
use eseal::licence::compact::{StatusReference, sign_licence};
use eseal::licence::sample;
use eseal::licence::status_list::{Status, StatusList, sign_status_list};
use eseal::licence::trust_list::{
    KeyUse, ListedKey, Office, TrustList, sign_trust_list, verify_trust_list,
};
use eseal::licence::verify::StatusLists;
use eseal::pki::{Profile, TrustStore, unix_seconds};
use eseal::report::{Indication, Report, SCHEMA_VERSION};
use eseal::verify::{DocumentOptions, verify_document, verify_licence};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("../schema/report.schema.json")).unwrap();
    jsonschema::draft202012::new(&schema).expect("the schema is a valid draft 2020-12 schema")
}

/// The report as JSON, after checking it against the schema.
fn valid(validator: &jsonschema::Validator, report: &Report) -> Value {
    let json = serde_json::to_value(report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{json:#}");
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    json
}

fn document(input: &[u8], store: &TrustStore) -> Report {
    verify_document(input, store, SystemTime::now(), &DocumentOptions::default()).unwrap()
}

/// The (indication, first reason code) of each entry.
fn verdicts(json: &Value) -> Vec<(String, String)> {
    json["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["indication"].as_str().unwrap().to_string(),
                s["reasons"][0]["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn verdict(indication: &str, code: &str) -> (String, String) {
    (indication.to_string(), code.to_string())
}

#[test]
fn pdf_ofd_seal_and_certificate_reports_match_the_schema() {
    let validator = validator();
    let office = PdfOffice::new(Algorithm::Sm2Sm3);
    let store = office.hierarchy.store_with_crls(None);

    let pdf = office.sealed_pdf();
    let json = valid(&validator, &document(&pdf, &store));
    assert_eq!(verdicts(&json), [verdict("TOTAL-PASSED", "")]);
    let signature = &json["signatures"][0];
    assert_eq!(signature["kind"], "pdf-signature");
    assert_eq!(signature["coverage"], "ENTIRE_FILE");
    assert_eq!(signature["modification"], "NONE");
    assert_eq!(signature["signing_time_source"], "claimed");
    assert!(
        signature["revocation"]
            .as_str()
            .unwrap()
            .contains(": good (CRL of"),
        "{signature:#}"
    );
    let mut tampered = pdf.clone();
    let at = pdf
        .windows(16)
        .position(|w| w == b"Sealed by the of")
        .unwrap();
    tampered[at] = b'Z';
    let json = valid(&validator, &document(&tampered, &store));
    assert_eq!(
        verdicts(&json),
        [verdict("TOTAL-FAILED", "DIGEST_MISMATCH")]
    );

    let ofd = eseal::ofd::sample::plain_ofd(&["电子证照", "Sealed"], 0).unwrap();
    let package = eseal::ofd::Package::read(&ofd).unwrap();
    let options = eseal::ofd::OfdSealOptions::new(&office.seal, &office.signer_key, &office.signer);
    let sealed = eseal::ofd::seal_ofd(&package, &options).unwrap();
    let json = valid(&validator, &document(&sealed, &store));
    assert_eq!(verdicts(&json), [verdict("TOTAL-PASSED", "")]);
    assert_eq!(json["signatures"][0]["kind"], "ofd-seal-signature");
    let json = valid(&validator, &document(&sealed, &TrustStore::new()));
    assert_eq!(
        verdicts(&json),
        [verdict("INDETERMINATE", "UNKNOWN_ISSUER")]
    );

    let json = valid(&validator, &document(office.seal.der(), &store));
    assert_eq!(verdicts(&json), [verdict("TOTAL-PASSED", "")]);
    assert_eq!(json["signatures"][0]["kind"], "seal");

    let json = valid(&validator, &document(office.signer.der(), &store));
    assert_eq!(verdicts(&json), [verdict("TOTAL-PASSED", "")]);
    assert_eq!(json["signatures"][0]["kind"], "certificate");
    let expired = office.hierarchy.leaf(Profile::Signer, "过期", -30, -1).1;
    let json = valid(&validator, &document(expired.der(), &store));
    assert_eq!(
        verdicts(&json),
        [verdict("INDETERMINATE", "CERTIFICATE_EXPIRED")],
        "{json:#}"
    );
    assert_eq!(
        json["signatures"][0]["sub_indication"],
        "OUT_OF_BOUNDS_NO_POE"
    );
}

#[test]
fn licence_reports_match_the_schema() {
    let validator = validator();
    let hierarchy = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (list_key, list_cert) = hierarchy.leaf(Profile::TrustList, "吉林省证照目录", -1, 365);
    let (office_key, office_cert) =
        hierarchy.leaf(Profile::LicenceSigner, "吉林省市场监督管理厅", -1, 365);
    let (status_key, status_cert) = hierarchy.leaf(
        Profile::StatusList,
        "吉林省市场监督管理厅 状态列表",
        -1,
        365,
    );
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let list = TrustList::new("吉林省").office(
        Office::new(sample::OFFICE_CODE, sample::OFFICE_NAME)
            .status_list("https://zz.jl.gov.cn/sl/")
            .key(ListedKey::new(office_cert.clone(), KeyUse::Sign))
            .key(ListedKey::new(status_cert.clone(), KeyUse::Sign)),
    );
    let trust_list = sign_trust_list(&list, 1, now, now + day, &list_key, &list_cert, &[]).unwrap();
    let trust = verify_trust_list(&trust_list, &hierarchy.store(), now, None).unwrap();
    let mut statuses = StatusList::new(1);
    statuses.grow(5000);
    statuses.set(4711, Status::Invalid).unwrap();
    let status_list = sign_status_list(
        &statuses,
        sample::STATUS_LIST_URI,
        now,
        Duration::from_secs(3600),
        now + day,
        &status_key,
        &status_cert,
    )
    .unwrap();
    let at = unix_seconds(now);
    let template = sample::business_template();
    let office = sample::office();
    let qr = |idx| {
        let licence = sample::business_request(0)
            .to_licence(&template, &office, "20260000001", at)
            .unwrap();
        let reference = StatusReference {
            idx,
            uri: sample::STATUS_LIST_URI.into(),
        };
        let claims = licence
            .claims(&template, office.region, at - 60, reference, None)
            .unwrap();
        sign_licence(&claims, &office_key, &office_cert).unwrap()
    };
    let mut lists = StatusLists::new();
    lists.add(status_list).unwrap();

    let passed = verify_licence(&qr(1), Ok(&trust), &lists, now);
    let json = valid(&validator, &passed.report);
    assert_eq!(verdicts(&json), [verdict("TOTAL-PASSED", "")]);
    assert_eq!(json["signatures"][0]["kind"], "licence");
    assert_eq!(json["signatures"][0]["signing_time_source"], "claimed");
    let revoked = verify_licence(&qr(4711), Ok(&trust), &lists, now);
    let json = valid(&validator, &revoked.report);
    assert_eq!(
        verdicts(&json),
        [verdict("TOTAL-FAILED", "LICENCE_REVOKED")]
    );
    let garbled = verify_licence("ZZ1:NOT-A-LICENCE", Ok(&trust), &lists, now);
    let json = valid(&validator, &garbled.report);
    assert_eq!(verdicts(&json), [verdict("TOTAL-FAILED", "LICENCE_FORMAT")]);
    assert_eq!(garbled.report.indication(), Some(Indication::TotalFailed));
}

/// The schema is no formality: each change below to a real report breaks it.
#[test]
fn reports_changed_against_the_schema_are_rejected() {
    let validator = validator();
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let report = document(&office.sealed_pdf(), &office.hierarchy.store());
    let json = valid(&validator, &report);
    type Change = fn(&mut Value);
    let changes: [(&str, Change); 10] = [
        ("no schema_version", |j| {
            j.as_object_mut().unwrap().remove("schema_version");
        }),
        ("schema_version 2", |j| j["schema_version"] = json!(2)),
        ("a time not RFC 3339", |j| {
            j["validation_time"] = json!("D:20261123232321Z")
        }),
        ("an unknown kind", |j| {
            j["signatures"][0]["kind"] = json!("pdf")
        }),
        ("passed with a reason", |j| {
            j["signatures"][0]["reasons"] = json!([{"code": "TRAILING_DATA", "message": "x"}])
        }),
        ("failed without a sub-indication", |j| {
            j["signatures"][0]["indication"] = json!("TOTAL-FAILED")
        }),
        ("a lowercase reason code", |j| {
            j["signatures"][0]["indication"] = json!("TOTAL-FAILED");
            j["signatures"][0]["sub_indication"] = json!("FORMAT_FAILURE");
            j["signatures"][0]["reasons"] = json!([{"code": "trailing", "message": "x"}]);
        }),
        ("an unknown modification level", |j| {
            j["signatures"][0]["modification"] = json!("SOME")
        }),
        ("a field eseal does not write", |j| {
            j["signatures"][0]["verdict"] = json!("ok")
        }),
        ("a short certificate digest", |j| {
            j["signatures"][0]["chain"][0]["sha256"] = json!("00ff")
        }),
    ];
    for (what, change) in changes {
        let mut changed = json.clone();
        change(&mut changed);
        assert!(!validator.is_valid(&changed), "{what}: still valid");
    }
}
