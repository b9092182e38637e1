//! Writes the licence QR test vectors in `test-vectors/licence/` in the style of the EU DCC
//! test data (LICENCE.md §8): each case carries every stage (JSON, CBOR, COSE,
//! COMPRESSED, BASE45, PREFIX), its test context and the expected result of each step,
//! plus the verdict `eseal verify` gives against the trust list and status list beside it.
//!
//! `cargo run --example licence_vectors -- test-vectors/licence`

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use eseal::licence::compact::base45_decode;
use eseal::licence::compact::base45_encode;
use eseal::licence::compact::sign_cose;
use eseal::licence::sample;
use eseal::{
    Algorithm, Certificate, DistinguishedName, KeyUse, LicenceClaims, ListedKey, Profile,
    Signer as _, SoftwareKey, StatusCode as Status, StatusList, StatusReference, TrustList,
    TrustListOffice as Office, Validity,
};
use eseal::{parse_rfc3339, pki, qr_string, sign_status_list, sign_trust_list, unix_seconds};
use serde_json::{Value, json};

/// Signing time of every licence.
const IAT: &str = "2026-03-02T02:00:00Z";
/// The clock every case is verified at.
const CLOCK: &str = "2026-06-02T00:00:00Z";
/// The status-list entry of the valid licences and of the revoked one.
const VALID_IDX: u64 = 6;
const REVOKED_IDX: u64 = 7;

fn t(text: &str) -> SystemTime {
    parse_rfc3339(text).expect("valid time")
}

fn validity(from: &str, to: &str) -> Validity {
    Validity {
        not_before: t(from),
        not_after: t(to),
    }
}

/// A new key; eseal does not generate RSA keys, so those come from `openssl genpkey`.
fn new_key(algorithm: Algorithm) -> SoftwareKey {
    if algorithm != Algorithm::RsaPssSha256 {
        return SoftwareKey::generate(algorithm).expect("key");
    }
    let pem = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl runs")
        .stdout;
    SoftwareKey::from_pem(&String::from_utf8(pem).expect("PEM"), None)
        .and_then(|k| k.with_algorithm(algorithm))
        .expect("an RSA key")
}

/// A key and certificate of `profile` under `issuer`, valid 2026–2031.
fn leaf(
    algorithm: Algorithm,
    profile: Profile,
    cn: &str,
    issuer: (&Certificate, &SoftwareKey),
) -> (SoftwareKey, Certificate) {
    let key = new_key(algorithm);
    let cert = pki::issue(
        profile,
        &DistinguishedName::common_name(cn),
        key.public_key_spki(),
        validity("2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z"),
        issuer.0,
        issuer.1,
    )
    .expect("certificate");
    (key, cert)
}

/// The sample business licence's claims, with the holder of company `n`.
fn business_claims(
    n: u32,
    idx: u64,
    edit: impl FnOnce(&mut eseal::LicenceRequest),
) -> LicenceClaims {
    let template = sample::business_template();
    let office = sample::office();
    let mut request = sample::business_request(n);
    edit(&mut request);
    let iat = unix_seconds(t(IAT));
    let licence = request
        .to_licence(&template, &office, &format!("2026{:07}", n + 1), iat)
        .expect("a valid request");
    let status = StatusReference {
        idx,
        uri: sample::STATUS_LIST_URI.into(),
    };
    let salt = licence.privacy.then_some([7u8; 10]);
    licence
        .claims(&template, office.region, iat, status, salt.as_ref())
        .expect("claims")
}

/// The claims as readable JSON (the DCC test data's JSON stage).
fn claims_json(c: &LicenceClaims) -> Value {
    let l = &c.licence;
    json!({
        "iss": c.issuer, "sub": c.subject, "exp": c.expires, "nbf": c.not_before,
        "iat": c.issued_at,
        "status": c.status.as_ref().map(|s| json!({"status_list": {"idx": s.idx, "uri": s.uri}})),
        "-70002": {
            "n": l.name, "no": l.number, "d": l.issue_date, "rc": l.region_code, "h": l.holder,
            "ht": l.holder_type, "hc": l.holder_code, "hh": l.holder_hash.map(hex::encode),
            "s": l.surface.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "rel": l.related,
        }
    })
}

struct Case {
    name: &'static str,
    description: String,
    cert: Certificate,
    qr: String,
    claims: Option<LicenceClaims>,
    cose: Option<Vec<u8>>,
    expected: Value,
    verdict: Value,
}

fn main() -> eseal::Result<()> {
    let out = std::env::args().nth(1).expect("usage: licence_vectors DIR");
    let out = Path::new(&out);
    fs::create_dir_all(out.join("cases")).expect("writable");

    let root_key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256)?;
    let root = pki::issue_root(
        &DistinguishedName::common_name("测试电子证照根CA"),
        validity("2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z"),
        &root_key,
    )?;
    let issuer = (&root, &root_key);
    let lister = leaf(
        Algorithm::EcdsaP256Sha256,
        Profile::TrustList,
        "测试省证照目录",
        issuer,
    );
    let status_signer = leaf(
        Algorithm::EcdsaP256Sha256,
        Profile::StatusList,
        "测试证照状态列表",
        issuer,
    );
    let office_keys: Vec<(&str, SoftwareKey, Certificate)> = [
        ("es256", Algorithm::EcdsaP256Sha256),
        ("sm2", Algorithm::Sm2Sm3),
        ("eddsa", Algorithm::Ed25519),
        ("ps256", Algorithm::RsaPssSha256),
    ]
    .into_iter()
    .map(|(name, alg)| {
        let (key, cert) = leaf(alg, Profile::LicenceSigner, sample::OFFICE_NAME, issuer);
        (name, key, cert)
    })
    .collect();
    let unlisted = leaf(
        Algorithm::EcdsaP256Sha256,
        Profile::LicenceSigner,
        "未列入的签名人",
        issuer,
    );

    let mut office = Office::new(sample::OFFICE_CODE, sample::OFFICE_NAME)
        .region("220000")
        .status_list("https://zz.jl.gov.cn/sl/");
    for (_, _, cert) in &office_keys {
        office = office.key(ListedKey::new(cert.clone(), KeyUse::Sign));
    }
    office = office.key(ListedKey::new(status_signer.1.clone(), KeyUse::Sign));
    let trust_list = sign_trust_list(
        &TrustList::new("测试省").office(office),
        1,
        t("2026-05-01T00:00:00Z"),
        t("2027-05-01T00:00:00Z"),
        &lister.0,
        &lister.1,
        &[],
    )?;
    let mut list = StatusList::new(131_072);
    list.set(REVOKED_IDX as usize, Status::Invalid)
        .expect("index in range");
    let (es256_key, es256_cert) = (&office_keys[0].1, &office_keys[0].2);
    let status_list = sign_status_list(
        &list,
        sample::STATUS_LIST_URI,
        t("2026-06-01T12:00:00Z"),
        Duration::from_secs(3600),
        t("2026-06-03T12:00:00Z"),
        &status_signer.0,
        &status_signer.1,
    )?;
    fs::write(out.join("root.pem"), root.to_pem()).expect("writable");
    fs::write(out.join("trust-list.cwt"), &trust_list).expect("writable");
    fs::write(out.join("status-list.cwt"), &status_list).expect("writable");

    let all_true = json!({
        "EXPECTEDVALIDOBJECT": true, "EXPECTEDDECODE": true, "EXPECTEDB45DECODE": true,
        "EXPECTEDCOMPRESSION": true, "EXPECTEDVERIFY": true, "EXPECTEDEXPIRATIONCHECK": true,
    });
    let passed =
        json!({"exit": 0, "indication": "TOTAL-PASSED", "sub_indication": null, "reason": null});
    let signed = |claims: LicenceClaims, key: &SoftwareKey, cert: &Certificate| {
        let cose = sign_cose(&claims.to_cbor().expect("cbor"), key, cert).expect("signed");
        (qr_string(&cose), claims, cose)
    };
    let mut cases = Vec::new();
    for (name, key, cert) in &office_keys {
        let (qr, claims, cose) = signed(business_claims(0, VALID_IDX, |_| {}), key, cert);
        cases.push(Case {
            name: match *name {
                "es256" => "es256-business",
                "sm2" => "sm2-business",
                "eddsa" => "eddsa-business",
                _ => "ps256-business",
            },
            description: "a business licence (营业执照) as eseal issues it, status VALID".into(),
            cert: cert.clone(),
            qr,
            claims: Some(claims),
            cose: Some(cose),
            expected: all_true.clone(),
            verdict: passed.clone(),
        });
    }
    let es256 = |claims| signed(claims, es256_key, es256_cert);

    let (qr, claims, cose) = es256(business_claims(1, VALID_IDX, |r| {
        r.holder_type = "111".parse().expect("a holder type");
        r.holder_code = "11010519491231002X".into();
        r.holder_name = "李四".into();
    }));
    cases.push(Case {
        name: "es256-privacy",
        description: format!(
            "a person's licence under the privacy option: no name or ID number; \
             hh = SHA-256(salt ‖ ID)[..16] with salt 07×10, 核验码 {}",
            eseal::licence::compact::salt_base32(&[7; 10])
        ),
        cert: es256_cert.clone(),
        qr,
        claims: Some(claims),
        cose: Some(cose),
        expected: all_true.clone(),
        verdict: passed.clone(),
    });

    let (qr, claims, cose) = es256(business_claims(2, REVOKED_IDX, |_| {}));
    cases.push(Case {
        name: "es256-revoked",
        description: "signature and time hold; status-list entry 7 is INVALID (revoked)".into(),
        cert: es256_cert.clone(),
        qr,
        claims: Some(claims),
        cose: Some(cose),
        expected: all_true.clone(),
        verdict: json!({"exit": 2, "indication": "TOTAL-FAILED", "sub_indication": "REVOKED", "reason": "LICENCE_REVOKED"}),
    });

    let (qr, claims, cose) = es256(business_claims(3, VALID_IDX, |r| {
        r.valid_to = Some("20260531".parse().expect("a date"));
    }));
    cases.push(Case {
        name: "es256-expired",
        description: "valid to 2026-05-31: exp = 2026-06-01T00:00+08:00, before the clock".into(),
        cert: es256_cert.clone(),
        qr,
        claims: Some(claims),
        cose: Some(cose),
        expected: json!({"EXPECTEDVERIFY": true, "EXPECTEDEXPIRATIONCHECK": false}),
        verdict: json!({"exit": 2, "indication": "TOTAL-FAILED", "sub_indication": "EXPIRED", "reason": "EXPIRED"}),
    });

    let mut claims = business_claims(4, VALID_IDX, |_| {});
    claims.licence.holder_code = Some("91220101MA0000003X".into());
    let (qr, claims, cose) = es256(claims);
    cases.push(Case {
        name: "es256-bad-check-character",
        description: "hc fails its GB 32100 check character: a warning, the signature decides"
            .into(),
        cert: es256_cert.clone(),
        qr,
        claims: Some(claims),
        cose: Some(cose),
        expected: all_true.clone(),
        verdict: json!({
            "exit": 0, "indication": "TOTAL-PASSED", "sub_indication": null, "reason": null,
            "warning": "hc: USCC: check character is 'X', expected '9'",
        }),
    });

    let (_, claims, mut cose) = es256(business_claims(5, VALID_IDX, |_| {}));
    let last = cose.len() - 1;
    cose[last] ^= 0x01;
    cases.push(Case {
        name: "es256-bad-signature",
        description: "the last signature byte flipped".into(),
        cert: es256_cert.clone(),
        qr: qr_string(&cose),
        claims: Some(claims),
        cose: Some(cose),
        expected: json!({"EXPECTEDDECODE": true, "EXPECTEDVERIFY": false}),
        verdict: json!({"exit": 2, "indication": "TOTAL-FAILED", "sub_indication": "SIG_CRYPTO_FAILURE", "reason": "SIGNATURE_INVALID"}),
    });

    let (qr, claims, cose) = signed(
        business_claims(6, VALID_IDX, |_| {}),
        &unlisted.0,
        &unlisted.1,
    );
    cases.push(Case {
        name: "es256-unknown-signer",
        description: "a valid signature by a key the trust list does not list".into(),
        cert: unlisted.1.clone(),
        qr,
        claims: Some(claims),
        cose: Some(cose),
        expected: json!({"EXPECTEDDECODE": true, "EXPECTEDVERIFY": true}),
        verdict: json!({"exit": 1, "indication": "INDETERMINATE", "sub_indication": "NO_SIGNING_CERTIFICATE_FOUND", "reason": "UNKNOWN_SIGNER"}),
    });

    let (good, _, _) = es256(business_claims(7, VALID_IDX, |_| {}));
    let format_failure = json!({"exit": 2, "indication": "TOTAL-FAILED", "sub_indication": "FORMAT_FAILURE", "reason": "LICENCE_FORMAT"});
    cases.push(Case {
        name: "bad-base45",
        description: "a lowercase letter, outside the Base45 alphabet".into(),
        cert: es256_cert.clone(),
        qr: format!("{}a{}", &good[..40], &good[41..]),
        claims: None,
        cose: None,
        expected: json!({"EXPECTEDB45DECODE": false}),
        verdict: format_failure.clone(),
    });
    let mut compressed = base45_decode(&good[4..]).expect("Base45");
    let middle = compressed.len() / 2;
    compressed[middle] ^= 0xff;
    cases.push(Case {
        name: "bad-zlib",
        description: "one byte in the middle of the zlib stream inverted".into(),
        cert: es256_cert.clone(),
        qr: format!("ZZ1:{}", base45_encode(&compressed)),
        claims: None,
        cose: None,
        expected: json!({"EXPECTEDB45DECODE": true, "EXPECTEDCOMPRESSION": false}),
        verdict: format_failure.clone(),
    });
    cases.push(Case {
        name: "unsupported-prefix",
        description: "version ZZ2: is not supported".into(),
        cert: es256_cert.clone(),
        qr: good.replacen("ZZ1:", "ZZ2:", 1),
        claims: None,
        cose: None,
        expected: json!({"EXPECTEDDECODE": false}),
        verdict: format_failure,
    });

    for case in &cases {
        let prefix_stripped = case.qr.strip_prefix("ZZ1:");
        let mut value = json!({
            "TESTCTX": {
                "VERSION": 1,
                "SCHEMA": "eseal licence CWT (LICENCE.md §3)",
                "CERTIFICATE": base64::engine::general_purpose::STANDARD.encode(case.cert.der()),
                "VALIDATIONCLOCK": CLOCK,
                "DESCRIPTION": case.description,
            },
            "PREFIX": case.qr,
            "BASE45": prefix_stripped,
            "EXPECTEDRESULTS": case.expected,
            "ESEALVERIFY": case.verdict,
        });
        if let Some(claims) = &case.claims {
            value["JSON"] = claims_json(claims);
            value["CBOR"] = json!(hex::encode(claims.to_cbor()?));
        }
        if let Some(cose) = &case.cose {
            value["COSE"] = json!(hex::encode(cose));
            let compressed = base45_decode(&case.qr[4..]).expect("Base45");
            value["COMPRESSED"] = json!(hex::encode(compressed));
        }
        let text = serde_json::to_string_pretty(&value).expect("JSON");
        fs::write(
            out.join("cases").join(format!("{}.json", case.name)),
            text + "\n",
        )
        .expect("writable");
    }
    println!("{} cases in {}", cases.len(), out.display());
    Ok(())
}
