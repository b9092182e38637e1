//! Issuing licences (LICENCE.md §1, §3, §7): JSON input checked field by field, the QR
//! built from the model (omissions, privacy option), the registry transaction,
//! idempotency and batches.

mod common;

use common::Hierarchy;
use eseal::Error;
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::compact::{self, holder_hash, salt_from_base32};
use eseal::licence::issue::{self, BatchRequest, IssuingOffice};
use eseal::licence::model::{Date, LicenceRequest, Template};
use eseal::licence::sample;
use eseal::pki::{Certificate, Profile};
use eseal::registry::{Registry, SqliteRegistry};

/// 2026-03-02T10:00:00+08:00.
const AT: i64 = 1_772_416_800;

fn office_key() -> (SoftwareKey, Certificate) {
    Hierarchy::new(Algorithm::EcdsaP256Sha256).leaf(
        Profile::LicenceSigner,
        "吉林省市场监督管理厅",
        -1,
        365,
    )
}

fn office<'a>(key: &'a SoftwareKey, cert: &'a Certificate) -> IssuingOffice<'a> {
    IssuingOffice {
        identity: sample::office(),
        signer: key,
        certificate: cert,
        status_list_uri: sample::STATUS_LIST_URI.to_owned(),
    }
}

fn registry(dir: &tempfile::TempDir) -> SqliteRegistry {
    SqliteRegistry::create(dir.path().join("registry.db")).unwrap()
}

/// The field and problem of an input error.
fn field_error(result: eseal::Result<impl std::fmt::Debug>) -> (String, String) {
    match result {
        Err(Error::InvalidField { field, problem }) => (field, problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn request_json(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value = serde_json::to_value(sample::business_request(1)).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

fn checked(json: &[u8]) -> eseal::Result<eseal::licence::model::Licence> {
    let request = LicenceRequest::from_json(json)?;
    request.to_licence(
        &sample::business_template(),
        &sample::office(),
        "20260000001",
        AT,
    )
}

#[test]
fn sample_request_makes_the_expected_licence() {
    let licence = checked(&request_json(|_| {})).unwrap();
    assert_eq!(
        licence.identifier.to_string(),
        "1.2.156.3005.2.11100000000013338W032.11220000013544541J.20260000001.001.".to_owned()
            + &licence.identifier.check_character().to_string()
    );
    licence.identifier.check().unwrap();
    assert_eq!(licence.number, sample::company_code(1).to_string());
    assert_eq!(licence.issue_date.to_string(), "20260302");
    assert_eq!(licence.valid_from, licence.issue_date);
    assert_eq!(licence.valid_to, None);
    assert_eq!(licence.holder_type_name, "统一社会信用代码");
    assert!(!licence.privacy);
    // Surface fields in the template's order, whatever the JSON order.
    let keys: Vec<&str> = licence.surface.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["lx", "fr", "zb", "clrq", "zs", "jyfw"]);
    let rows = licence.printed_fields(&sample::business_template());
    assert!(rows.contains(&("成立日期".into(), "2020年03月15日".into())));
    assert_eq!(
        rows.last().unwrap(),
        &("有效期限".into(), "2026年03月02日 至 长期".into())
    );
}

#[test]
fn json_errors_name_the_field() {
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            request_json(|v| {
                v.as_object_mut().unwrap().remove("holder_name");
            }),
            "holder_name",
            "missing",
        ),
        (
            request_json(|v| v["holder_code"] = "91220101MA0000001A".into()),
            "holder_code",
            "check character",
        ),
        (
            request_json(|v| {
                v["holder_type"] = "111".into();
                v["holder_code"] = "110105194912310021".into();
            }),
            "holder_code",
            "check character is '1', expected 'X'",
        ),
        (
            request_json(|v| v["valid_to"] = "20260230".into()),
            "valid_to",
            "not a calendar date",
        ),
        (
            request_json(|v| v["valid_to"] = "2027-01-01".into()),
            "valid_to",
            "not a date yyyyMMdd",
        ),
        (
            request_json(|v| v["valid_to"] = "20250101".into()),
            "valid_to",
            "before valid_from",
        ),
        (
            request_json(|v| v["issue_date"] = "20260303".into()),
            "issue_date",
            "after the day of issuance",
        ),
        (
            request_json(|v| v["surface"]["clrq"] = "2020年3月15日".into()),
            "surface.clrq",
            "not a date",
        ),
        (
            request_json(|v| v["surface"]["xx"] = "?".into()),
            "surface.xx",
            "not a field of template",
        ),
        (
            request_json(|v| {
                v["surface"].as_object_mut().unwrap().remove("fr");
            }),
            "surface.fr",
            "missing (法定代表人)",
        ),
        (
            request_json(|v| v["surface"]["fr"] = "  ".into()),
            "surface.fr",
            "empty",
        ),
        (
            request_json(|v| v["holder_name"] = "某某\u{7}公司".into()),
            "holder_name",
            "control character",
        ),
        (
            request_json(|v| v["version"] = 1000.into()),
            "version",
            "not 1–999",
        ),
        (
            request_json(|v| v["version"] = "one".into()),
            "version",
            "invalid type",
        ),
        (
            request_json(|v| v["colour"] = "red".into()),
            "colour",
            "unknown field",
        ),
        (
            request_json(|v| {
                v["related"] = serde_json::json!([
                    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.M"
                ])
            }),
            "related[0]",
            "check character is 'M', expected 'F'",
        ),
        (
            request_json(|v| v["region_code"] = "22010".into()),
            "region_code",
            "expected 6 digits",
        ),
        (
            request_json(|v| {
                v["attachments"] = serde_json::json!([{
                    "name": "章程.pdf", "media_type": "application/pdf",
                    "sha256": "00".repeat(32), "bytes": "aGVsbG8="
                }])
            }),
            "attachments[0].sha256",
            "does not match the bytes",
        ),
        (b"{\"holder_name\": ".to_vec(), "holder_name", "EOF"),
        (
            [request_json(|_| {}), b" {}".to_vec()].concat(),
            "input",
            "trailing characters",
        ),
    ];
    for (json, field, problem) in cases {
        let (got_field, got_problem) = field_error(checked(&json));
        assert_eq!(got_field, field, "{got_problem}");
        assert!(
            got_problem.contains(problem),
            "{field}: {got_problem:?} lacks {problem:?}"
        );
    }
}

#[test]
fn template_json_is_checked() {
    let json = |edit: fn(&mut serde_json::Value)| {
        let mut v = serde_json::to_value(sample::business_template()).unwrap();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    assert_eq!(
        Template::from_json(&json(|_| {})).unwrap(),
        sample::business_template()
    );
    for (edit, field, problem) in [
        (
            (|v: &mut serde_json::Value| v["fields"][1]["key"] = "lx".into())
                as fn(&mut serde_json::Value),
            "fields[1].key",
            "used twice",
        ),
        (
            |v| v["fields"][0]["key"] = "Type".into(),
            "fields[0].key",
            "1–4 of a-z",
        ),
        (
            |v| v["type_code"] = "11100000000013338A032".into(),
            "type_code",
            "check character",
        ),
        (
            |v| v["fields"][0]["kind"] = "colour".into(),
            "fields[0].kind",
            "unknown variant",
        ),
    ] {
        let (f, p) = field_error(Template::from_json(&json(edit)));
        assert_eq!(f, field, "{p}");
        assert!(p.contains(problem), "{p}");
    }
}

#[test]
fn issued_qr_verifies_and_leaves_out_what_section_3_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = registry(&dir);
    let (key, cert) = office_key();
    let template = sample::business_template();
    let issued = issue::issue(
        &mut reg,
        &office(&key, &cert),
        &template,
        &sample::business_request(0),
        Some("JL-2026-000001"),
        "窗口 01",
        AT,
    )
    .unwrap();
    assert!(!issued.replayed);
    assert!(issued.warnings.is_empty(), "{:?}", issued.warnings);
    let qr = &issued.record.qr;
    println!("business licence QR: {} chars", qr.len());
    assert!(qr.len() < 600, "{} chars", qr.len());
    let token = compact::decode_qr(qr).unwrap();
    token.verify_with(&cert).unwrap();
    let claims = &token.claims;
    assert_eq!(claims.subject, issued.licence.identifier.to_string());
    assert_eq!(
        claims.issuer, None,
        "iss = the identifier's issuer segment is left out"
    );
    assert_eq!(
        claims.effective_issuer().as_deref(),
        Some(sample::OFFICE_CODE)
    );
    assert_eq!(claims.issued_at, Some(AT));
    assert_eq!(
        claims.not_before, None,
        "validity from the issue date is left out"
    );
    assert_eq!(
        claims.effective_not_before(),
        Some(Date::of_unix(AT).unwrap().start_unix())
    );
    assert_eq!(claims.expires, None);
    let status = claims.status.as_ref().unwrap();
    assert_eq!(status.uri, sample::STATUS_LIST_URI);
    assert_eq!(status.idx, issued.record.list_idx);
    let fields = &claims.licence;
    assert_eq!(fields.name.as_deref(), Some("营业执照"));
    assert_eq!(fields.number, None, "证照编号 = 持证主体代码 is left out");
    assert_eq!(fields.issue_date, None, "颁证日期 = iat's date is left out");
    assert_eq!(
        fields.region_code, None,
        "the office's own region is left out"
    );
    assert_eq!(fields.holder.as_deref(), Some("长春某某科技发展有限公司"));
    assert_eq!(
        fields.holder_code.as_deref(),
        Some(issued.licence.holder_code.as_str())
    );
    let keys: Vec<&str> = fields.surface.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["fr", "lx", "zb"], "only in_qr fields, sorted");
    assert_eq!(issued.verification_code(), None);
    // The registry holds what was returned.
    let stored = reg.licence(&claims.subject).unwrap().unwrap();
    assert_eq!(stored, issued.record);
    assert_eq!(stored.token, compact::decode_qr(qr).unwrap().cose);
}

#[test]
fn privacy_option_hides_the_holder_and_binds_the_printed_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = registry(&dir);
    let (key, cert) = office_key();
    let mut template = sample::business_template();
    template.fields[1].personal = true; // 法定代表人
    let mut request = sample::business_request(2);
    request.holder_type = "111".parse().unwrap();
    request.holder_code = "11010519491231002X".into();
    request.holder_name = "李四".into();
    let issued = issue::issue(
        &mut reg,
        &office(&key, &cert),
        &template,
        &request,
        None,
        "窗口 01",
        AT,
    )
    .unwrap();
    assert!(issued.licence.privacy, "on by default for resident IDs");
    let code = issued.verification_code().expect("a 核验码");
    assert_eq!(code.len(), 16);
    let token = compact::decode_qr(&issued.record.qr).unwrap();
    let fields = &token.claims.licence;
    assert_eq!(fields.holder, None);
    assert_eq!(fields.holder_code, None);
    assert_eq!(
        fields.number.as_deref(),
        None,
        "the number is the ID: hidden too"
    );
    assert_eq!(fields.holder_type.as_deref(), Some("111"));
    let keys: Vec<&str> = fields.surface.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["lx", "zb"], "the personal field is left out");
    let salt = salt_from_base32(&code).unwrap();
    assert_eq!(
        fields.holder_hash,
        Some(holder_hash(&salt, "11010519491231002X"))
    );
    assert!(!issued.record.qr.contains("1101051949"));
}

#[test]
fn idempotent_reissue_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = registry(&dir);
    let (key, cert) = office_key();
    let office = office(&key, &cert);
    let template = sample::business_template();
    let request = sample::business_request(3);
    let first = issue::issue(&mut reg, &office, &template, &request, Some("K1"), "op", AT).unwrap();
    let again = issue::issue(
        &mut reg,
        &office,
        &template,
        &request,
        Some("K1"),
        "op",
        AT + 60,
    )
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.record, first.record, "same bytes, no new serial");
    let mut changed = request.clone();
    changed.surface.insert("zb".into(), "贰仟万元整".into());
    let err =
        issue::issue(&mut reg, &office, &template, &changed, Some("K1"), "op", AT).unwrap_err();
    assert!(err.to_string().contains("IdempotencyConflict"), "{err}");
    let err = issue::issue(&mut reg, &office, &template, &request, None, "op", AT).unwrap_err();
    assert!(err.to_string().contains("DuplicateActiveLicence"), "{err}");
    // A refused request takes no serial.
    let bad = LicenceRequest {
        holder_code: "91220101MA0000001A".into(),
        ..sample::business_request(4)
    };
    let err = issue::issue(&mut reg, &office, &template, &bad, None, "op", AT).unwrap_err();
    assert!(
        matches!(err, Error::InvalidField { ref field, .. } if field == "holder_code"),
        "{err}"
    );
    assert_eq!(
        reg.serial_counter(sample::BUSINESS_TYPE_CODE, 2026)
            .unwrap(),
        1
    );
}

#[test]
fn batch_reports_each_item_and_commits_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = registry(&dir);
    let (key, cert) = office_key();
    let office = office(&key, &cert);
    let template = sample::business_template();
    let mut requests: Vec<BatchRequest> = (10..20)
        .map(|n| BatchRequest {
            request: sample::business_request(n),
            idempotency_key: Some(format!("B-{n}")),
        })
        .collect();
    requests[3].request.holder_code = "91220101MA0000001A".into(); // bad check character
    requests[6].request = sample::business_request(15); // a second active licence of 15
    requests[6].idempotency_key = Some("B-dup".into());
    requests[8].idempotency_key = Some("B-10".into()); // item 0's key, another request
    let results = issue::issue_batch(&mut reg, &office, &template, &requests, "batch", AT).unwrap();
    assert_eq!(results.len(), 10);
    let outcome: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(i) => i.record.serial.clone(),
            Err(Error::InvalidField { field, .. }) => format!("invalid {field}"),
            Err(e) => ["DuplicateActiveLicence", "IdempotencyConflict"]
                .into_iter()
                .find(|name| e.to_string().contains(name))
                .unwrap_or("other")
                .to_owned(),
        })
        .collect();
    assert_eq!(
        outcome,
        [
            "20260000001",
            "20260000002",
            "20260000003",
            "invalid holder_code",
            "20260000004",
            "20260000005",
            "DuplicateActiveLicence",
            "20260000006",
            "IdempotencyConflict",
            "20260000007",
        ]
    );
    for r in results.iter().flatten() {
        let stored = reg
            .licence(&r.licence.identifier.to_string())
            .unwrap()
            .unwrap();
        assert_eq!(stored, r.record);
        compact::decode_qr(&stored.qr)
            .unwrap()
            .verify_with(&cert)
            .unwrap();
    }
    // Serials of refused items were rolled back with their savepoints.
    assert_eq!(
        reg.serial_counter(sample::BUSINESS_TYPE_CODE, 2026)
            .unwrap(),
        7
    );
    assert!(matches!(
        reg.audit_verify().unwrap(),
        eseal::registry::AuditCheck::Intact { entries: 7, .. }
    ));
}
