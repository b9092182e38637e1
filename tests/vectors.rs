//! The committed test vectors in `test-vectors/` still give the verdicts their tables list.

use std::path::Path;
use std::process::Command;

#[test]
fn pki_vectors_give_the_expected_verdicts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/pki");
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
    assert_eq!(checked, 24);
}

#[test]
fn pdf_vectors_give_the_expected_verdicts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/pdf");
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
