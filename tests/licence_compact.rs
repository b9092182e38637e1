//! The compact signed licence form (LICENCE.md §3): COSE_Sign1 / CWT round trips for every
//! algorithm, the QR string's size, every decoding stage's failure, determinism, the
//! privacy helpers, the QR images, and interop with an independent Python COSE
//! implementation (cbor2 + cryptography).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Hierarchy;
use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::licence::compact::cbor::{self, Value};
use eseal::licence::compact::{
    self, CoseAlgorithm, DecodedToken, LicenceClaims, LicenceFields, Stage, StatusReference,
};
use eseal::pki::{Certificate, Profile};

const IDENTIFIER: &str = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F";

/// A signer certificate from eseal's own PKI (root → office CA → signer).
fn signer(algorithm: Algorithm) -> (SoftwareKey, Certificate) {
    Hierarchy::new(algorithm).leaf(Profile::LicenceSigner, "签章人 张三", -1, 365)
}

/// The typical business licence of LICENCE.md §3's measurement.
fn business_claims() -> LicenceClaims {
    LicenceClaims {
        issuer: Some("11220000013544541J".into()),
        subject: IDENTIFIER.into(),
        expires: None,
        not_before: Some(1_767_196_800),
        issued_at: Some(1_767_231_000),
        status: Some(StatusReference {
            idx: 104_857,
            uri: "https://zz.jl.gov.cn/sl/1".into(),
        }),
        licence: LicenceFields {
            name: Some("营业执照".into()),
            holder: Some("长春某某科技发展有限公司".into()),
            holder_type: Some("001".into()),
            holder_code: Some("91220101MA0000000X".into()),
            surface: vec![
                // In encoded key order, as decoding returns them.
                ("fr".into(), "张三".into()),
                ("lx".into(), "有限责任公司（自然人投资或控股）".into()),
                ("zb".into(), "壹仟万元整".into()),
            ],
            ..Default::default()
        },
    }
}

fn stage_of(result: Result<DecodedToken, compact::CompactError>) -> Stage {
    match result {
        Ok(_) => panic!("decoding succeeded"),
        Err(e) => {
            println!("{e}");
            e.stage
        }
    }
}

/// A claims payload written by hand (hex), e.g. to hold defects the encoder refuses.
fn signed_payload(payload: &[u8], key: &SoftwareKey, cert: &Certificate) -> String {
    compact::qr_string(&compact::sign_cose(payload, key, cert).unwrap())
}

#[test]
fn round_trip_every_algorithm() {
    let claims = business_claims();
    for (algorithm, cose_alg) in [
        (Algorithm::Sm2Sm3, CoseAlgorithm::Sm2Sm3),
        (Algorithm::EcdsaP256Sha256, CoseAlgorithm::Es256),
        (Algorithm::Ed25519, CoseAlgorithm::EdDsa),
        (Algorithm::RsaPssSha256, CoseAlgorithm::Ps256),
    ] {
        let (key, cert) = signer(algorithm);
        let qr = compact::sign_licence(&claims, &key, &cert).unwrap();
        println!("{algorithm}: {} chars", qr.len());
        // A PS256 token is mostly its 256-byte signature, which does not compress: the
        // issuer stores it (deflate block type 00) rather than save a few characters.
        let zlib = compact::base45_decode(&qr[4..]).unwrap();
        let block_type = (zlib[2] >> 1) & 0b11;
        assert_eq!(
            block_type == 0,
            algorithm == Algorithm::RsaPssSha256,
            "{algorithm}: block type {block_type}"
        );
        let token = compact::decode_qr(&qr).unwrap();
        assert_eq!(token.alg, cose_alg);
        assert_eq!(token.kid, compact::kid_of(&cert));
        assert_eq!(token.kid, cert.sha256()[..8]);
        assert_eq!(token.claims, claims);
        assert_eq!(token.cose[0], 0xd2, "emitted with tag 18");
        let expected_len = if algorithm == Algorithm::RsaPssSha256 {
            256
        } else {
            64
        };
        assert_eq!(token.signature.len(), expected_len);
        token.verify_with(&cert).unwrap();

        // The protected header is exactly {1: alg, 4: kid}, deterministically encoded.
        let mut protected = vec![0xa2, 0x01];
        protected.extend(cbor::encode(&Value::int(cose_alg.value())).unwrap());
        protected.extend([0x04, 0x48]);
        protected.extend(compact::kid_of(&cert));
        assert_eq!(token.protected, protected);

        // Untagged and 61(18(...)) are accepted and verify the same.
        let untagged = compact::decode_cose(&token.cose[1..]).unwrap();
        untagged.verify_with(&cert).unwrap();
        let mut cwt = vec![0xd8, 0x3d];
        cwt.extend(&token.cose);
        let cwt = compact::decode_qr(&compact::qr_string(&cwt)).unwrap();
        cwt.verify_with(&cert).unwrap();
        assert_eq!(cwt.claims, claims);
    }
}

#[test]
fn business_licence_qr_is_under_600_chars() {
    let (key, cert) = signer(Algorithm::EcdsaP256Sha256);
    // LICENCE.md §3's measured example lists sub, iat, status and the licence map only.
    let mut claims = business_claims();
    claims.issuer = None;
    claims.not_before = None;
    assert_eq!(claims.licence.holder.as_ref().unwrap().chars().count(), 12);
    assert_eq!(claims.licence.surface[1].1.chars().count(), 16);
    assert_eq!(claims.status.as_ref().unwrap().uri.chars().count(), 25);
    let measure = |claims: &LicenceClaims, what: &str| {
        let qr = compact::sign_licence(claims, &key, &cert).unwrap();
        let token = compact::decode_qr(&qr).unwrap();
        let code = compact::qr_code(&qr).unwrap();
        println!(
            "ES256 business licence{what}: {} B COSE, {} chars QR string, QR version {:?} level {:?}",
            token.cose.len(),
            qr.len(),
            code.version(),
            code.error_correction_level()
        );
        assert_eq!(code.error_correction_level(), qrcode::EcLevel::Q);
        qr.len()
    };
    let len = measure(&claims, "");
    assert!(len < 600, "{len} chars");
    // With iss (18-char USCC) and nbf as well: reported, not asserted.
    measure(&business_claims(), " + iss + nbf");
    let mut empty = claims.clone();
    empty.licence = LicenceFields::default();
    measure(&empty, ", empty licence map");
}

#[test]
fn every_stage_fails_by_name() {
    let (key, cert) = signer(Algorithm::EcdsaP256Sha256);
    let good = compact::sign_licence(&business_claims(), &key, &cert).unwrap();
    let body = &good[4..];

    // PREFIX
    assert_eq!(
        stage_of(compact::decode_qr(&format!("ZZ2:{body}"))),
        Stage::Prefix
    );
    assert_eq!(
        stage_of(compact::decode_qr(&format!("HC1:{body}"))),
        Stage::Prefix
    );
    assert_eq!(stage_of(compact::decode_qr("")), Stage::Prefix);

    // BASE45: lowercase, a triplet of 65536 ("GGW"), a dangling character.
    assert_eq!(stage_of(compact::decode_qr("ZZ1:abc")), Stage::Base45);
    assert_eq!(stage_of(compact::decode_qr("ZZ1:GGW")), Stage::Base45);
    assert_eq!(stage_of(compact::decode_qr("ZZ1:A")), Stage::Base45);
    assert!(
        compact::base45_decode("U5").is_ok(),
        "255 is the largest pair"
    );
    assert!(
        compact::base45_decode("FGW").is_ok(),
        "65535 is the largest triplet"
    );
    assert!(compact::base45_decode("GGW").is_err());
    assert!(compact::base45_decode("V5").is_err(), "a pair above 255");

    // ZLIB: not zlib, and a bomb above 16 KiB.
    let not_zlib = format!("ZZ1:{}", compact::base45_encode(b"plain bytes, no zlib"));
    assert_eq!(stage_of(compact::decode_qr(&not_zlib)), Stage::Zlib);
    let bomb = compact::qr_string(&vec![0u8; 16 * 1024 + 1]);
    let err = compact::decode_qr(&bomb).unwrap_err();
    assert_eq!(err.stage, Stage::Zlib);
    assert!(err.detail.contains("more than"), "{err}");
    // A truncated stream.
    let compressed = compact::base45_decode(body).unwrap();
    let truncated = format!(
        "ZZ1:{}",
        compact::base45_encode(&compressed[..compressed.len() - 10])
    );
    assert_eq!(stage_of(compact::decode_qr(&truncated)), Stage::Zlib);

    // COSE: bad CBOR, a float, wrong tag, wrong shape, no alg, unknown alg.
    let token = compact::decode_qr(&good).unwrap();
    for bad in [
        vec![0xff, 0x00],
        vec![0xfb, 0, 0, 0, 0, 0, 0, 0, 0],
        token.cose[..token.cose.len() - 1].to_vec(),
        [&token.cose[..], &[0x00]].concat(),
        [&[0xd1][..], &token.cose[1..]].concat(),
        [&[0xd8, 0x3d, 0xd1][..], &token.cose[1..]].concat(),
        vec![0xd2, 0x83, 0x40, 0xa0, 0x40],
        cbor::encode(&Value::Tag(
            18,
            Box::new(Value::Array(vec![
                Value::Bytes(vec![0xa1, 0x04, 0x41, 0x00]),
                Value::Map(vec![]),
                Value::Bytes(token.payload.clone()),
                Value::Bytes(vec![0; 64]),
            ])),
        ))
        .unwrap(),
        cbor::encode(&Value::Array(vec![
            Value::Bytes(vec![0xa2, 0x01, 0x38, 0x63, 0x04, 0x41, 0x00]),
            Value::Map(vec![]),
            Value::Bytes(token.payload.clone()),
            Value::Bytes(vec![0; 64]),
        ]))
        .unwrap(),
    ] {
        assert_eq!(
            stage_of(compact::decode_qr(&compact::qr_string(&bad))),
            Stage::Cose
        );
    }

    // CLAIMS: duplicate keys, nesting 17, no licence map, no sub; signed, so only the
    // claims are at fault.
    let dup = [
        0xa3, 0x02, 0x61, 0x58, 0x02, 0x61, 0x59, 0x3a, 0x00, 0x01, 0x11, 0x71, 0xa0,
    ];
    let no_licence = [0xa1, 0x02, 0x61, 0x58];
    let no_sub = [0xa1, 0x3a, 0x00, 0x01, 0x11, 0x71, 0xa0];
    let dup_field = [
        0xa2, 0x02, 0x61, 0x58, 0x3a, 0x00, 0x01, 0x11, 0x71, 0xa2, 0x61, 0x6e, 0x61, 0x41, 0x61,
        0x6e, 0x61, 0x42,
    ];
    for bad in [&dup[..], &no_licence, &no_sub, &dup_field] {
        assert_eq!(
            stage_of(compact::decode_qr(&signed_payload(bad, &key, &cert))),
            Stage::Claims
        );
    }
    // {2: "X", 3: [[...]], -70002: {}}: 16 levels pass, 17 fail.
    let nested = |arrays: usize| {
        let mut p = vec![0xa3, 0x02, 0x61, 0x58, 0x03];
        p.extend(std::iter::repeat_n(0x81, arrays - 1));
        p.push(0x80);
        p.extend([0x3a, 0x00, 0x01, 0x11, 0x71, 0xa0]);
        p
    };
    let ok = compact::decode_qr(&signed_payload(&nested(15), &key, &cert)).unwrap();
    ok.verify_with(&cert).unwrap();
    let err = compact::decode_qr(&signed_payload(&nested(16), &key, &cert)).unwrap_err();
    assert_eq!(err.stage, Stage::Claims);
    assert!(err.detail.contains("nesting"), "{err}");

    // KID: another signer of the same algorithm.
    let (_, other) = signer(Algorithm::EcdsaP256Sha256);
    assert_eq!(token.verify_with(&other).unwrap_err().stage, Stage::Kid);

    // SIGNATURE: alg EdDSA under the kid of a P-256 certificate.
    let forged = cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(
                cbor::encode(&Value::Map(vec![
                    (Value::int(1), Value::int(-8)),
                    (Value::int(4), Value::Bytes(compact::kid_of(&cert).to_vec())),
                ]))
                .unwrap(),
            ),
            Value::Map(vec![]),
            Value::Bytes(token.payload.clone()),
            Value::Bytes(token.signature.clone()),
        ])),
    ))
    .unwrap();
    let err = compact::decode_cose(&forged)
        .unwrap()
        .verify_with(&cert)
        .unwrap_err();
    assert_eq!(err.stage, Stage::Signature);
    assert!(err.detail.contains("does not fit"), "{err}");

    // SIGNATURE: a flipped signature byte, and a flipped payload byte.
    let mut flipped = token.cose.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let err = compact::decode_cose(&flipped)
        .unwrap()
        .verify_with(&cert)
        .unwrap_err();
    assert_eq!(err.stage, Stage::Signature);
    let mut tampered = token.clone();
    tampered.payload[20] ^= 1;
    assert_eq!(
        tampered.verify_with(&cert).unwrap_err().stage,
        Stage::Signature
    );

    // The kid in the unprotected header is accepted; the protected one wins.
    let moved = |protected_kid: Option<&[u8]>, unprotected_kid: &[u8]| {
        let mut header = vec![(Value::int(1), Value::int(-7))];
        if let Some(kid) = protected_kid {
            header.push((Value::int(4), Value::Bytes(kid.to_vec())));
        }
        let cose = cbor::encode(&Value::Array(vec![
            Value::Bytes(cbor::encode(&Value::Map(header)).unwrap()),
            Value::Map(vec![(
                Value::int(4),
                Value::Bytes(unprotected_kid.to_vec()),
            )]),
            Value::Bytes(token.payload.clone()),
            Value::Bytes(token.signature.clone()),
        ]))
        .unwrap();
        compact::decode_cose(&cose).unwrap()
    };
    let kid = compact::kid_of(&cert);
    assert_eq!(moved(None, &kid).kid, kid);
    assert_eq!(moved(Some(&kid), &[9; 8]).kid, kid);
}

#[test]
fn signing_refuses_mismatches() {
    let (key, cert) = signer(Algorithm::EcdsaP256Sha256);
    let (_, other) = signer(Algorithm::EcdsaP256Sha256);
    assert!(compact::sign_licence(&business_claims(), &key, &other).is_err());
    let p384 = SoftwareKey::generate(Algorithm::EcdsaP384Sha384).unwrap();
    assert!(compact::sign_licence(&business_claims(), &p384, &cert).is_err());
    let mut dup = business_claims();
    dup.licence.surface.push(("fr".into(), "李四".into()));
    assert!(dup.to_cbor().is_err(), "duplicate surface keys");
}

#[test]
fn encoding_is_deterministic() {
    // {2: "X", -70002: {"n": "A"}}: shortest heads, keys sorted by encoded bytes.
    let mut claims = LicenceClaims::new("X");
    claims.licence.name = Some("A".into());
    assert_eq!(
        hex::encode(claims.to_cbor().unwrap()),
        "a20261583a00011171a1616e6141"
    );

    let a = business_claims();
    let mut b = business_claims();
    b.licence.surface.reverse();
    assert_eq!(a.to_cbor().unwrap(), b.to_cbor().unwrap());
    let bytes = a.to_cbor().unwrap();
    assert_eq!(cbor::encode(&cbor::decode(&bytes).unwrap()).unwrap(), bytes);

    // `no` is left out when equal to `hc`.
    let mut c = business_claims();
    c.licence.number = c.licence.holder_code.clone();
    let decoded = LicenceClaims::from_cbor(&c.to_cbor().unwrap()).unwrap();
    assert_eq!(decoded.licence.number, None);
    assert_eq!(
        decoded.licence.effective_number(),
        Some("91220101MA0000000X")
    );

    // Ed25519 signatures are deterministic: the same claims give the same QR string.
    let (key, cert) = signer(Algorithm::Ed25519);
    let one = compact::sign_licence(&a, &key, &cert).unwrap();
    assert_eq!(one, compact::sign_licence(&b, &key, &cert).unwrap());
    // ECDSA: everything but the signature is the same.
    let (key, cert) = signer(Algorithm::EcdsaP256Sha256);
    let x = compact::decode_qr(&compact::sign_licence(&a, &key, &cert).unwrap()).unwrap();
    let y = compact::decode_qr(&compact::sign_licence(&a, &key, &cert).unwrap()).unwrap();
    assert_eq!(x.cose[..x.cose.len() - 64], y.cose[..y.cose.len() - 64]);
}

#[test]
fn base45_rfc9285_examples() {
    assert_eq!(compact::base45_encode(b"AB"), "BB8");
    assert_eq!(compact::base45_encode(b"Hello!!"), "%69 VD92EX0");
    assert_eq!(compact::base45_encode(b"base-45"), "UJCLQE7W581");
    assert_eq!(compact::base45_decode("QED8WEX0").unwrap(), b"ietf!");
    assert_eq!(compact::base45_decode("").unwrap(), b"");
}

#[test]
fn privacy_helpers() {
    let salt: [u8; 10] = std::array::from_fn(|i| i as u8);
    // python3 -c "import hashlib;print(hashlib.sha256(bytes(range(10))+'11010519491231002X'.encode()).hexdigest()[:32])"
    assert_eq!(
        hex::encode(compact::holder_hash(&salt, "11010519491231002X")),
        HOLDER_HASH
    );
    // python3 -c "import base64;print(base64.b32encode(bytes(range(10))))"
    let printed = compact::salt_base32(&salt);
    assert_eq!(printed, "AAAQEAYEAUDAOCAJ");
    assert_eq!(compact::salt_from_base32(&printed), Some(salt));
    assert_eq!(
        compact::salt_from_base32(&printed.to_lowercase()),
        Some(salt)
    );
    assert_eq!(compact::salt_from_base32("AAAQEAYEAUDAOCA1"), None);

    let (key, cert) = signer(Algorithm::Ed25519);
    let mut claims = LicenceClaims::new(IDENTIFIER);
    claims.licence.holder_type = Some("111".into());
    claims.licence.holder_hash = Some(compact::holder_hash(&salt, "11010519491231002X"));
    let token = compact::decode_qr(&compact::sign_licence(&claims, &key, &cert).unwrap()).unwrap();
    assert_eq!(token.claims, claims);
}

const HOLDER_HASH: &str = "1361dbe03b67e179a7515724401cb409";

#[test]
fn qr_images() {
    let (key, cert) = signer(Algorithm::EcdsaP256Sha256);
    let qr = compact::sign_licence(&business_claims(), &key, &cert).unwrap();
    let svg = compact::qr_svg(&qr).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<path"),
        "{svg:.100}"
    );
    let png = compact::qr_png(&qr, 4).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(compact::qr_svg("ZZ1:lowercase").is_err());
    assert!(compact::qr_png(&qr, 0).is_err());
}

/// A Python with cbor2 and cryptography: `ESEAL_INTEROP_PYTHON`, the shared interop venv
/// if it has them, else a venv made under target/.
fn python() -> PathBuf {
    common::python_with(
        "ESEAL_INTEROP_PYTHON",
        "licence-interop-venv",
        &["cbor2", "cryptography"],
        &["cbor2", "cryptography"],
    )
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/cose_interop.py")
}

#[test]
fn interop_with_python_cose() {
    let python = python();
    let claims = business_claims();

    // eseal signs, Python verifies: ES256 and PS256 as QR strings, EdDSA as COSE hex.
    for algorithm in [
        Algorithm::EcdsaP256Sha256,
        Algorithm::Ed25519,
        Algorithm::RsaPssSha256,
    ] {
        let (key, cert) = signer(algorithm);
        let qr = compact::sign_licence(&claims, &key, &cert).unwrap();
        let token = compact::decode_qr(&qr).unwrap();
        let spki = pem::encode(&pem::Pem::new("PUBLIC KEY", cert.spki_der()));
        let input = if algorithm == Algorithm::Ed25519 {
            hex::encode(&token.cose)
        } else {
            qr.clone()
        };
        let out = Command::new(&python)
            .arg(script())
            .args(["verify", &input, &spki])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "{algorithm}: Python did not verify ({})",
            out.status
        );
        let mut lines = stdout.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "VERIFIED alg={} kid={}",
                token.alg.value(),
                hex::encode(compact::kid_of(&cert))
            )
        );
        let decoded: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(decoded["2"], IDENTIFIER);
        assert_eq!(decoded["1"], "11220000013544541J");
        assert_eq!(decoded["6"], 1_767_231_000);
        assert_eq!(decoded["65535"]["status_list"]["idx"], 104_857);
        assert_eq!(decoded["-70002"]["h"], "长春某某科技发展有限公司");
        assert_eq!(
            decoded["-70002"]["s"]["lx"],
            "有限责任公司（自然人投资或控股）"
        );

        // A flipped signature byte fails there too.
        let mut bad = token.cose.clone();
        *bad.last_mut().unwrap() ^= 1;
        let out = Command::new(&python)
            .arg(script())
            .args(["verify", &hex::encode(&bad), &spki])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "BAD SIGNATURE");
    }

    // Python signs, eseal decodes and verifies.
    for (alg, cose_alg) in [
        ("es256", CoseAlgorithm::Es256),
        ("eddsa", CoseAlgorithm::EdDsa),
    ] {
        let out = Command::new(&python)
            .arg(script())
            .args(["sign", alg])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let qr = made["qr"].as_str().unwrap();
        let cert =
            &eseal::pki::read_certificates(made["cert"].as_str().unwrap().as_bytes()).unwrap()[0];
        let token = compact::decode_qr(qr).unwrap();
        assert_eq!(token.alg, cose_alg);
        token.verify_with(cert).unwrap();
        let c = &token.claims;
        assert_eq!(c.subject, IDENTIFIER);
        assert_eq!(c.issuer.as_deref(), Some("11220000013544541J"));
        assert_eq!(
            (c.not_before, c.issued_at, c.expires),
            (Some(1_767_196_800), Some(1_767_231_000), None)
        );
        assert_eq!(
            c.status,
            Some(StatusReference {
                idx: 4711,
                uri: "https://zz.jl.gov.cn/sl/1".into()
            })
        );
        assert_eq!(c.licence.name.as_deref(), Some("营业执照"));
        assert_eq!(
            c.licence.holder_hash,
            Some(std::array::from_fn(|i| i as u8))
        );
        assert_eq!(
            c.licence.surface,
            vec![
                ("fr".into(), "张三".into()),
                ("zb".into(), "壹仟万元整".into())
            ]
        );
        assert_eq!(c.licence.related.len(), 1);
        // Python's canonical CBOR is eseal's deterministic encoding.
        assert_eq!(c.to_cbor().unwrap(), token.payload);
    }
}

#[test]
fn limits_and_aliases() {
    // Exactly 16 KiB inflates (and then fails as COSE); one byte more is a ZLIB failure.
    let at_limit = compact::qr_string(&vec![0u8; compact::MAX_INFLATED]);
    assert_eq!(stage_of(compact::decode_qr(&at_limit)), Stage::Cose);

    // EdDSA under −19 (Ed25519, RFC 9864) is accepted and verifies.
    let (key, cert) = signer(Algorithm::Ed25519);
    let payload = business_claims().to_cbor().unwrap();
    let protected = cbor::encode(&Value::Map(vec![
        (Value::int(1), Value::int(-19)),
        (Value::int(4), Value::Bytes(compact::kid_of(&cert).to_vec())),
    ]))
    .unwrap();
    let signature = key
        .sign(&compact::sig_structure(&protected, &payload))
        .unwrap();
    let cose = cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![]),
            Value::Bytes(payload),
            Value::Bytes(signature),
        ])),
    ))
    .unwrap();
    let token = compact::decode_qr(&compact::qr_string(&cose)).unwrap();
    assert_eq!(token.alg, CoseAlgorithm::EdDsa);
    token.verify_with(&cert).unwrap();
}

/// The independent Python implementation verifies the committed licence vectors
/// (test-vectors/licence, issued through eseal's issuance path) that are not SM2 and
/// whose signature step is listed: it accepts exactly those marked EXPECTEDVERIFY true and
/// reads the same `sub`.
#[test]
fn python_verifies_the_licence_vectors() {
    let python = python();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/licence/cases");
    let mut checked = 0;
    for entry in std::fs::read_dir(cases).unwrap() {
        let path = entry.unwrap().path();
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let (Some(expected), Some(cose)) = (
            case["EXPECTEDRESULTS"]["EXPECTEDVERIFY"].as_bool(),
            case["COSE"].as_str(),
        ) else {
            continue;
        };
        let der = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            case["TESTCTX"]["CERTIFICATE"].as_str().unwrap(),
        )
        .unwrap();
        let cert = Certificate::from_der(&der).unwrap();
        if cert.public_key().unwrap().key_type() == eseal::crypto::KeyType::Sm2 {
            continue;
        }
        let spki = pem::encode(&pem::Pem::new("PUBLIC KEY", cert.spki_der()));
        let out = Command::new(&python)
            .arg(script())
            .args(["verify", cose, &spki])
            .output()
            .unwrap();
        let name = path.display();
        assert_eq!(out.status.success(), expected, "{name}");
        if expected {
            let stdout = String::from_utf8(out.stdout).unwrap();
            let claims: serde_json::Value =
                serde_json::from_str(stdout.lines().nth(1).unwrap()).unwrap();
            assert_eq!(claims["2"], case["JSON"]["sub"], "{name}: {stdout}");
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}

/// A COSE_Sign1 written head by head (tag 18, `protected`, `{}`, `payload`), signed with
/// the Ed25519 `key` over exactly these bytes: whatever else is wrong, the signature holds.
fn sign1_raw(protected: &[u8], payload: &[u8], key: &SoftwareKey) -> Vec<u8> {
    let signature = key
        .sign(&compact::sig_structure(protected, payload))
        .unwrap();
    let mut cose = vec![0xd2, 0x84];
    cbor::bytes(&mut cose, protected);
    cose.push(0xa0);
    cbor::bytes(&mut cose, payload);
    cbor::bytes(&mut cose, &signature);
    cose
}

/// A map written with its entries in the order given, each entry encoded on its own: a
/// way to write what the deterministic encoder never would.
fn map_as_given(head: &[u8], entries: &[(Value, Value)]) -> Vec<u8> {
    let mut out = head.to_vec();
    for (k, v) in entries {
        out.extend(cbor::encode(k).unwrap());
        out.extend(cbor::encode(v).unwrap());
    }
    out
}

/// Decoding `qr` fails at `stage` with exactly `detail`, and a verifier reports it as
/// TOTAL-FAILED / FORMAT_FAILURE with the reason LICENCE_FORMAT.
fn assert_format(qr: &str, stage: Stage, detail: &str) {
    use eseal::licence::verify::{LicenceFailure, format_failure};
    use eseal::report::{Indication, SubIndication};
    let err = compact::decode_qr(qr).unwrap_err();
    assert_eq!((err.stage, err.detail.as_str()), (stage, detail));
    let reason = LicenceFailure::Format(err).reason();
    assert_eq!(reason.code(), "LICENCE_FORMAT");
    assert_eq!(
        reason.verdict(),
        (Indication::TotalFailed, SubIndication::FormatFailure)
    );
    assert_eq!(format_failure(qr).map(|f| f.reason()), Some(reason));
}

/// LICENCE.md §3, RFC 8949 §4.2.1, RFC 9052: a token is read as strictly as eseal writes
/// it. Each variant re-encodes a real token with one thing changed and is signed again, so
/// that only the strictness rule can refuse it.
#[test]
fn only_the_deterministic_encoding_is_accepted() {
    let (key, cert) = signer(Algorithm::Ed25519);
    let claims = business_claims();
    let payload = claims.to_cbor().unwrap();
    let kid = compact::kid_of(&cert);
    let protected = cbor::encode(&Value::Map(vec![
        (Value::int(1), Value::int(-8)),
        (Value::int(4), Value::Bytes(kid.to_vec())),
    ]))
    .unwrap();
    let qr = |cose: &[u8]| compact::qr_string(cose);
    // The hand-written token is the issuer's token, byte for byte, and verifies.
    let good = sign1_raw(&protected, &payload, &key);
    assert_eq!(good, compact::sign_cose(&payload, &key, &cert).unwrap());
    let token = compact::decode_qr(&qr(&good)).unwrap();
    token.verify_with(&cert).unwrap();
    assert_eq!(token.claims, claims);

    let Value::Map(entries) = cbor::decode(&payload).unwrap() else {
        panic!("the claims are a map")
    };
    let n = entries.len() as u8;
    assert_eq!(payload[0], 0xa0 | n);
    let first_entry = map_as_given(&[], &entries[..1]).len();

    // A head longer than needed: the claims map's entry count in one extra byte.
    let long_head = [&[0xb8, n][..], &payload[1..]].concat();
    assert_format(
        &qr(&sign1_raw(&protected, &long_head, &key)),
        Stage::Claims,
        "head at offset 0 is not in its shortest form",
    );
    // Map keys swapped (`sub` before `iss`).
    let mut swapped = entries.clone();
    swapped.swap(0, 1);
    let swapped = map_as_given(&payload[..1], &swapped);
    let second_key_at = 1 + map_as_given(&[], &entries[1..2]).len();
    assert_format(
        &qr(&sign1_raw(&protected, &swapped, &key)),
        Stage::Claims,
        &format!("map key at offset {second_key_at} is out of order"),
    );
    // A key twice (`iss` repeated, same value).
    let mut twice = entries.clone();
    twice.insert(1, entries[0].clone());
    let twice = map_as_given(&[0xa0 | (n + 1)], &twice);
    assert_format(
        &qr(&sign1_raw(&protected, &twice, &key)),
        Stage::Claims,
        &format!("duplicate map key at offset {}", 1 + first_entry),
    );
    // The claims map with an indefinite length.
    let indefinite = [&[0xbf][..], &payload[1..], &[0xff]].concat();
    assert_format(
        &qr(&sign1_raw(&protected, &indefinite, &key)),
        Stage::Claims,
        "indefinite length at offset 0",
    );
    // A float: claim 7 (cti's place, after iat) as the half-precision 1.0.
    let mut with_float = entries.clone();
    let at = with_float
        .iter()
        .position(|(k, _)| k == &Value::int(6))
        .unwrap()
        + 1;
    with_float.insert(at, (Value::int(7), Value::int(0)));
    let mut float = map_as_given(&[0xa0 | (n + 1)], &with_float);
    let float_at = 1 + map_as_given(&[], &with_float[..at]).len() + 1;
    assert_eq!(float[float_at], 0x00);
    float.splice(float_at..=float_at, [0xf9, 0x3c, 0x00]);
    assert_format(
        &qr(&sign1_raw(&protected, &float, &key)),
        Stage::Claims,
        &format!("floating-point number at offset {float_at}"),
    );
    // A tag inside the claims: `sub` as 18("…").
    let mut tagged = entries.clone();
    tagged[1].1 = Value::Tag(18, Box::new(tagged[1].1.clone()));
    let tagged = map_as_given(&payload[..1], &tagged);
    assert_format(
        &qr(&sign1_raw(&protected, &tagged, &key)),
        Stage::Claims,
        &format!(
            "tag 18 inside a data item at offset {}",
            1 + first_entry + 1
        ),
    );
    // `exp` not after `iat`.
    let mut expired = claims.clone();
    expired.expires = expired.issued_at;
    let iat = expired.issued_at.unwrap();
    assert_format(
        &qr(&sign1_raw(&protected, &expired.to_cbor().unwrap(), &key)),
        Stage::Claims,
        &format!("`exp` {iat} is not after `iat` {iat}"),
    );

    // The protected header: `alg` −8 in two bytes, and keys swapped.
    let long_alg = [&[0xa2, 0x01, 0x38, 0x07][..], &protected[3..]].concat();
    assert_format(
        &qr(&sign1_raw(&long_alg, &payload, &key)),
        Stage::Cose,
        "protected header: head at offset 2 is not in its shortest form",
    );
    let kid_first = [&[0xa2][..], &protected[3..], &protected[1..3]].concat();
    assert_format(
        &qr(&sign1_raw(&kid_first, &payload, &key)),
        Stage::Cose,
        &format!(
            "protected header: map key at offset {} is out of order",
            protected.len() - 2
        ),
    );
    // A `crit` header naming a label eseal does not understand.
    let crit = cbor::encode(&Value::Map(vec![
        (Value::int(1), Value::int(-8)),
        (Value::int(2), Value::Array(vec![Value::int(-70099)])),
        (Value::int(4), Value::Bytes(kid.to_vec())),
        (Value::int(-70099), Value::Bool(true)),
    ]))
    .unwrap();
    assert_format(
        &qr(&sign1_raw(&crit, &payload, &key)),
        Stage::Cose,
        "crit header: label -70099 not understood",
    );
    // The COSE array's head in two bytes; a tag the format does not use around it.
    let long_array = [&[0xd2, 0x98, 0x04][..], &good[2..]].concat();
    assert_format(
        &qr(&long_array),
        Stage::Cose,
        "head at offset 1 is not in its shortest form",
    );
    let other_tag = [&[0xc1][..], &good[..]].concat();
    assert_format(
        &qr(&other_tag),
        Stage::Cose,
        "tag 1 at offset 0 is not used",
    );

    // Bytes after the zlib stream.
    let compressed = compact::base45_decode(&qr(&good)[4..]).unwrap();
    let trailing = [&compressed[..], b"\x00\x00\x00"].concat();
    assert_format(
        &format!("ZZ1:{}", compact::base45_encode(&trailing)),
        Stage::Zlib,
        "3 bytes after the zlib stream",
    );
    // A QR string over the length limit.
    let long = format!("ZZ1:{}", "0".repeat(compact::MAX_QR_CHARS + 3));
    assert_format(
        &long,
        Stage::Base45,
        &format!(
            "QR string too long: {} characters, the limit is {}",
            compact::MAX_QR_CHARS + 3,
            compact::MAX_QR_CHARS
        ),
    );
}
