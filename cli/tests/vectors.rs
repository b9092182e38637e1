//! The committed test vectors in `test-vectors/` still give the verdicts their tables list.

use std::path::Path;
use std::process::Command;

#[test]
fn pki_vectors_give_the_expected_verdicts() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("test-vectors/pki");
    let table = std::fs::read_to_string(root.join("expected.tsv")).unwrap();
    let mut checked = 0;
    for hierarchy in ["sm2", "p256"] {
        let dir = root.join(hierarchy);
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let f: Vec<&str> = line.split('\t').collect();
            let [file, crl, at, usage, exit, indication, sub, reason] = f[..] else {
                panic!("bad line in expected.tsv: {line}");
            };
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_eseal"));
            cmd.current_dir(&dir).args([
                "verify", file, "--trust", "root.pem", "--at", at, "--usage", usage, "--json",
            ]);
            if crl != "-" {
                cmd.args(["--crl", crl]);
            }
            let out = cmd.output().unwrap();
            let what = format!("{hierarchy}: {line}");
            assert_eq!(out.status.code(), Some(exit.parse().unwrap()), "{what}");
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let entry = &json["signatures"][0];
            assert_eq!(entry["indication"], indication, "{what}");
            let expect_or_null = |v: &str| {
                if v == "-" {
                    serde_json::Value::Null
                } else {
                    v.into()
                }
            };
            assert_eq!(entry["sub_indication"], expect_or_null(sub), "{what}");
            assert_eq!(
                entry["reasons"][0]["code"],
                expect_or_null(reason),
                "{what}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 26);
}

#[test]
fn pdf_vectors_give_the_expected_verdicts() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("test-vectors/pdf");
    let table = std::fs::read_to_string(root.join("expected.tsv")).unwrap();
    let mut checked = 0;
    for office in ["sm2", "p256"] {
        let dir = root.join(office);
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let f: Vec<&str> = line.split('\t').collect();
            let [file, at, exit, signatures] = f[..] else {
                panic!("bad line in expected.tsv: {line}");
            };
            let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
                .current_dir(&dir)
                .args([
                    "verify",
                    file,
                    "--trust",
                    "root.pem",
                    "--crl",
                    "root.crl.pem",
                    "--at",
                    at,
                    "--json",
                ])
                .output()
                .unwrap();
            let what = format!("{office}: {line}");
            assert_eq!(out.status.code(), Some(exit.parse().unwrap()), "{what}");
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
            let actual: Vec<String> = json["signatures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    format!(
                        "{}/{}/{}/{}",
                        text(&s["indication"]),
                        text(&s["sub_indication"]),
                        text(&s["modification"]),
                        text(&s["reasons"][0]["code"])
                    )
                })
                .collect();
            assert_eq!(actual.join(";"), signatures, "{what}");
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}

/// The licence QR vectors (LICENCE.md §8, in the EU DCC test-data layout): every stage a
/// case lists decodes to the next, each EXPECTEDRESULTS step holds as stated (false = must
/// fail), and `eseal verify` against the trust and status lists beside them gives the
/// verdict in ESEALVERIFY.
#[test]
fn licence_vectors_give_the_expected_results() {
    use eseal::licence::compact::{self, Stage};
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("test-vectors/licence");
    let mut names: Vec<_> = std::fs::read_dir(root.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in &names {
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let qr = case["PREFIX"].as_str().unwrap();
        let expected = &case["EXPECTEDRESULTS"];
        let step = |key: &str| expected[key].as_bool();
        let hex = |key: &str| case[key].as_str().map(|h| hex::decode(h).unwrap());
        let clock = eseal::pki::parse_rfc3339(case["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap())
            .unwrap();
        let decoded = compact::decode_qr(qr);
        let failed_stage = decoded.as_ref().err().map(|e| e.stage);
        for (key, stage) in [
            ("EXPECTEDDECODE", Stage::Prefix),
            ("EXPECTEDB45DECODE", Stage::Base45),
            ("EXPECTEDCOMPRESSION", Stage::Zlib),
        ] {
            if let Some(ok) = step(key) {
                assert_eq!(failed_stage != Some(stage), ok, "{name}: {key}");
            }
        }
        if let Some(compressed) = hex("COMPRESSED") {
            let body = case["BASE45"].as_str().unwrap();
            assert_eq!(compact::base45_decode(body).unwrap(), compressed, "{name}");
        }
        if let Ok(token) = &decoded {
            assert_eq!(Some(&token.cose), hex("COSE").as_ref(), "{name}: COSE");
            assert_eq!(Some(&token.payload), hex("CBOR").as_ref(), "{name}: CBOR");
            let der = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                case["TESTCTX"]["CERTIFICATE"].as_str().unwrap(),
            )
            .unwrap();
            let cert = eseal::pki::Certificate::from_der(&der).unwrap();
            if let Some(ok) = step("EXPECTEDVERIFY") {
                assert_eq!(
                    token.verify_with(&cert).is_ok(),
                    ok,
                    "{name}: EXPECTEDVERIFY"
                );
            }
            if let Some(ok) = step("EXPECTEDEXPIRATIONCHECK") {
                let now = eseal::pki::unix_seconds(clock);
                let in_force = token.claims.expires.is_none_or(|exp| now < exp);
                assert_eq!(in_force, ok, "{name}: EXPECTEDEXPIRATIONCHECK");
            }
        }

        let verdict = &case["ESEALVERIFY"];
        let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .current_dir(&root)
            .args([
                "verify",
                qr,
                "--trust-list",
                "trust-list.cwt",
                "--status-list",
                "status-list.cwt",
                "--trust",
                "root.pem",
                "--at",
                case["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap(),
                "--json",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code().map(i64::from),
            verdict["exit"].as_i64(),
            "{name}"
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let s = &report["signatures"][0];
        assert_eq!(s["indication"], verdict["indication"], "{name}");
        assert_eq!(s["sub_indication"], verdict["sub_indication"], "{name}");
        assert_eq!(s["reasons"][0]["code"], verdict["reason"], "{name}");
        let warnings = s["warnings"].as_array().unwrap();
        match verdict["warning"].as_str() {
            Some(w) => assert!(warnings.iter().any(|x| x == w), "{name}: {warnings:?}"),
            None => assert!(warnings.is_empty(), "{name}: {warnings:?}"),
        }
    }
    assert_eq!(names.len(), 13);
}
