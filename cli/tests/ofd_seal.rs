//! Sealing OFD documents: eseal's seal signatures verify after a round trip, their SES
//! parts verify with OpenSSL 3, continued seals keep earlier ones valid, and tampering
//! with any page, resource, the seal or the signature list is detected.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::{Hierarchy, openssl_ok, openssl_sm2_verify, test_seal};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::ofd::xml::{parse_signature, parse_signatures};
use eseal::ofd::{OfdPlacement, OfdSealOptions, Package, VerifyOptions, seal_ofd, verify_ofd};
use eseal::pki::{Certificate, Profile, TrustStore};
use eseal::report::{Indication, Report, SubIndication};
use eseal::seal::{Seal, SealSignature};
use sm3::Digest;

fn vector(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("../shared/vectors/ses")
        .join(name)
}

fn hello_world() -> Package<'static> {
    Package::read(fs::read(vector("helloworld.ofd")).unwrap()).unwrap()
}

/// An office that seals OFDs: an SM2 hierarchy, two signers, each with a seal listing it.
struct Office {
    hierarchy: Hierarchy,
    signers: Vec<(SoftwareKey, Certificate, Seal)>,
}

impl Office {
    fn new() -> Self {
        let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
        let signers = ["签章人 张三", "签章人 李四"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let (key, cert) = hierarchy.leaf(Profile::Signer, name, -1, 365);
                let seal = test_seal(&hierarchy, &cert, &format!("330100000000{i}"));
                (key, cert, seal)
            })
            .collect();
        Office { hierarchy, signers }
    }

    fn options(&self, signer: usize) -> OfdSealOptions<'_> {
        let (key, cert, seal) = &self.signers[signer];
        OfdSealOptions::new(seal, key, cert)
    }

    fn seal(&self, package: &Package, signer: usize) -> Package<'static> {
        Package::read(seal_ofd(package, &self.options(signer)).unwrap()).unwrap()
    }

    fn verify(&self, package: &Package) -> Report {
        verify(package, &self.hierarchy.store())
    }
}

fn verify(package: &Package, store: &TrustStore) -> Report {
    verify_ofd(package, store, SystemTime::now(), &VerifyOptions::default()).unwrap()
}

fn codes(report: &Report, signature: usize) -> Vec<&'static str> {
    report.signatures[signature]
        .reasons
        .iter()
        .map(|r| r.code())
        .collect()
}

fn assert_passed(report: &Report, signatures: usize) {
    assert_eq!(report.signatures.len(), signatures);
    for (i, signature) in report.signatures.iter().enumerate() {
        assert_eq!(
            signature.indication,
            Indication::TotalPassed,
            "signature {i}: {:?}",
            signature.reasons
        );
    }
}

fn rewritten(package: &Package, changes: &[(&str, &[u8])]) -> Package<'static> {
    Package::read(package.rewrite(changes).unwrap()).unwrap()
}

fn signature_files(package: &Package, n: usize) -> (String, Vec<u8>, SealSignature) {
    let list = parse_signatures(
        package.get("/Doc_0/Signs/Signatures.xml").unwrap(),
        "/Doc_0/Signs/Signatures.xml",
    )
    .unwrap();
    let path = list.signatures[n].base_loc.clone();
    let xml = package.get(&path).unwrap().to_vec();
    let signature = parse_signature(&xml, &path).unwrap();
    let signed = SealSignature::from_der(package.get(&signature.signed_value).unwrap()).unwrap();
    (path, xml, signed)
}

#[test]
fn a_sealed_ofd_verifies_and_protects_every_file_but_the_signature_list() {
    let office = Office::new();
    let sealed = office.seal(&hello_world(), 0);
    assert_passed(&office.verify(&sealed), 1);

    let (path, xml, signed) = signature_files(&sealed, 0);
    assert_eq!(path, "/Doc_0/Signs/Sign_0/Signature.xml");
    assert_eq!(signed.property_info, path);
    assert_eq!(signed.data_hash, sm3::Sm3::digest(&xml).to_vec());
    let signature = parse_signature(&xml, &path).unwrap();
    let mut referenced: Vec<&str> = signature
        .references
        .iter()
        .map(|r| r.file_ref.as_str())
        .collect();
    referenced.sort();
    assert_eq!(
        referenced,
        [
            "/Doc_0/Document.xml",
            "/Doc_0/Pages/Page_0/Content.xml",
            "/Doc_0/PublicRes.xml",
            "/Doc_0/Signs/Sign_0/Seal.esl",
            "/OFD.xml",
        ]
    );
    assert_eq!(
        sealed.get(signature.seal_base_loc.as_deref().unwrap()),
        Some(office.signers[0].2.der())
    );
    let stamp = &signature.stamp_annots[0];
    assert_eq!(stamp.page_ref, "1");
    assert_eq!(stamp.boundary, [150.0, 237.0, 40.0, 40.0]);
    // Every other file of the original is unchanged.
    for entry in hello_world().entries() {
        if entry.name() != "OFD.xml" {
            assert_eq!(
                sealed.get(entry.name()),
                Some(entry.data().unwrap()),
                "{}",
                entry.name()
            );
        }
    }
    // Without the office's root the chain is unknown.
    let report = verify(&sealed, &TrustStore::new());
    assert_eq!(report.signatures[0].indication, Indication::Indeterminate);
    assert_eq!(
        report.signatures[0].sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
}

#[test]
fn a_second_seal_keeps_the_first_valid_and_a_locking_seal_ends_the_document() {
    let office = Office::new();
    let once = office.seal(&hello_world(), 0);
    let twice = office.seal(&once, 1);
    let report = office.verify(&twice);
    assert_passed(&report, 2);
    // The first signature's files are byte-identical and protected by the second.
    let (first_path, first_xml, _) = signature_files(&twice, 0);
    assert_eq!(once.get(&first_path), Some(first_xml.as_slice()));
    let (second_path, second_xml, _) = signature_files(&twice, 1);
    assert_eq!(second_path, "/Doc_0/Signs/Sign_1/Signature.xml");
    let second = parse_signature(&second_xml, &second_path).unwrap();
    for protected in [
        "/Doc_0/Signs/Sign_0/Signature.xml",
        "/Doc_0/Signs/Sign_0/SignedValue.dat",
        "/Doc_0/Signs/Sign_0/Seal.esl",
    ] {
        assert!(
            second.references.iter().any(|r| r.file_ref == protected),
            "{protected}"
        );
    }

    let mut options = office.options(0);
    options.lock = true;
    let locked = Package::read(seal_ofd(&twice, &options).unwrap()).unwrap();
    assert_passed(&office.verify(&locked), 3);
    let error = seal_ofd(&locked, &office.options(1))
        .unwrap_err()
        .to_string();
    assert!(error.contains("locks the document"), "{error}");
}

#[test]
fn tampering_with_pages_resources_the_seal_or_the_list_is_detected() {
    let office = Office::new();
    let sealed = office.seal(&office.seal(&hello_world(), 0), 1);
    let failed = |package: &Package, signature: usize| {
        let report = office.verify(package);
        let s = &report.signatures[signature];
        assert_eq!(s.indication, Indication::TotalFailed, "{:?}", s.reasons);
        (s.sub_indication, codes(&report, signature))
    };

    let page = rewritten(
        &sealed,
        &[("/Doc_0/Pages/Page_0/Content.xml", b"<ofd:Page/>")],
    );
    for signature in 0..2 {
        assert_eq!(
            failed(&page, signature),
            (
                Some(SubIndication::HashFailure),
                vec!["REFERENCE_DIGEST_MISMATCH"]
            )
        );
    }

    let resource = rewritten(&sealed, &[("/Doc_0/PublicRes.xml", b"<ofd:Res/>")]);
    assert_eq!(
        failed(&resource, 0),
        (
            Some(SubIndication::HashFailure),
            vec!["REFERENCE_DIGEST_MISMATCH"]
        )
    );

    // Another seal of the office in Seal.esl: it no longer matches the signed seal.
    let other_seal = office.signers[1].2.der();
    let seal = rewritten(&sealed, &[("/Doc_0/Signs/Sign_0/Seal.esl", other_seal)]);
    let (_, reasons) = failed(&seal, 0);
    assert!(reasons.contains(&"SEAL_FILE_MISMATCH"), "{reasons:?}");
    assert!(
        reasons.contains(&"REFERENCE_DIGEST_MISMATCH"),
        "{reasons:?}"
    );

    // The first signature dropped from the list: its files are still there, unlisted, and
    // the second signature still protects them.
    let list =
        String::from_utf8(sealed.get("/Doc_0/Signs/Signatures.xml").unwrap().to_vec()).unwrap();
    let start = list.find("<ofd:Signature ID=\"1\"").unwrap();
    let end = start + list[start..].find("/>").unwrap() + 2;
    let shortened = format!("{}{}", &list[..start], &list[end..]);
    let dropped = rewritten(
        &sealed,
        &[("/Doc_0/Signs/Signatures.xml", shortened.as_bytes())],
    );
    let report = office.verify(&dropped);
    assert_eq!(report.signatures.len(), 2);
    let unlisted: Vec<_> = report
        .signatures
        .iter()
        .filter(|s| {
            s.warnings.iter().any(|w| {
                w.starts_with("SignatureNotListed")
                    && w.contains("/Doc_0/Signs/Sign_0/Signature.xml")
            })
        })
        .collect();
    assert_eq!(unlisted.len(), 1, "{report:?}");

    // A signature value changed.
    let (_, _, signed) = signature_files(&sealed, 0);
    let mut der = signed.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    let value = rewritten(&sealed, &[("/Doc_0/Signs/Sign_0/SignedValue.dat", &der)]);
    let (sub, reasons) = failed(&value, 0);
    assert_eq!(sub, Some(SubIndication::SigCryptoFailure));
    assert_eq!(reasons, ["SIGNATURE_INVALID"]);
    assert_eq!(
        failed(&value, 1),
        (
            Some(SubIndication::HashFailure),
            vec!["REFERENCE_DIGEST_MISMATCH"]
        )
    );
}

#[test]
fn seals_are_placed_by_keyword_and_page() {
    let office = Office::new();
    let mut options = office.options(0);
    options.placement = OfdPlacement::Keyword {
        keyword: "Reader".into(),
        occurrence: 0,
    };
    let sealed = Package::read(seal_ofd(&hello_world(), &options).unwrap()).unwrap();
    let (path, xml, _) = signature_files(&sealed, 0);
    let stamp = parse_signature(&xml, &path).unwrap().stamp_annots[0].clone();
    // "Reader" starts 18 mm into the text at x = 31.7 and runs 6 × 1.5 mm; the glyphs sit
    // on the baseline y = 25.4 + 3 with size 3.
    let centre_x = 31.7 + 18.0 + 1.5 * 2.5 + 1.5;
    let centre_y = 25.4 + 3.0 - 1.5;
    let [x, y, w, h] = stamp.boundary;
    assert!((x + w / 2.0 - centre_x).abs() < 0.01, "{x}");
    assert!((y + h / 2.0 - centre_y).abs() < 0.01, "{y}");

    options.placement = OfdPlacement::Keyword {
        keyword: "Reader".into(),
        occurrence: 1,
    };
    let error = seal_ofd(&hello_world(), &options).unwrap_err().to_string();
    assert!(error.contains("Reader"), "{error}");
    options.placement = OfdPlacement::Page {
        page: 1,
        boundary: None,
    };
    let error = seal_ofd(&hello_world(), &options).unwrap_err().to_string();
    assert!(error.contains("page 2"), "{error}");
}

#[test]
fn keywords_are_found_on_template_pages_of_a_tax_invoice() {
    // v4signed.ofd, a tax-bureau e-invoice: the printed labels (项目名称 …) are on the
    // template page Doc_0/Tpls/Tpl_0/Content.xml (Document.xml names it TPLS/…), which
    // page 1 draws as its background; the page itself holds only the values.
    let invoice = Package::read(fs::read(vector("v4signed.ofd")).unwrap()).unwrap();
    let (key, cert) = common::ofdrw::signer();
    let seal = common::ofdrw::signer_seal(&key, &cert, "template", "模板关键字测试章");
    let mut options = OfdSealOptions::new(&seal, &key, &cert);
    options.signing_time = eseal::pki::parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    options.placement = OfdPlacement::Keyword {
        keyword: "项目名称".into(),
        occurrence: 0,
    };
    let sealed = Package::read(seal_ofd(&invoice, &options).unwrap()).unwrap();
    let (path, xml, _) = signature_files(&sealed, 1);
    let stamp = parse_signature(&xml, &path).unwrap().stamp_annots[0].clone();
    assert_eq!(stamp.page_ref, "1");
    // The template's TextObject Boundary="24.5 53 39.14 4" holds 项目名称.
    let [x, y, w, h] = stamp.boundary;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    assert!((24.5..24.5 + 39.14).contains(&cx), "{cx}");
    assert!((51.0..59.0).contains(&cy), "{cy}");
    let mut store = TrustStore::new();
    store.add_anchor(cert.clone()).unwrap();
    let report = verify_ofd(
        &sealed,
        &store,
        options.signing_time,
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.signatures[1].indication, Indication::TotalPassed);
    assert_eq!(codes(&report, 1), Vec::<&str>::new());

    // Only one 项目名称: the second is not found, and the message counts from 1.
    options.placement = OfdPlacement::Keyword {
        keyword: "项目名称".into(),
        occurrence: 1,
    };
    let error = seal_ofd(&invoice, &options).unwrap_err().to_string();
    assert_eq!(
        error,
        "keyword \"项目名称\" not found (occurrence 2 asked for)"
    );
}

#[test]
fn the_cli_names_the_first_occurrence_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, cert) = common::ofdrw::signer();
    let seal = common::ofdrw::signer_seal(&key, &cert, "template", "模板关键字测试章");
    fs::write(d.join("signer.pem"), cert.to_pem()).unwrap();
    fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    fs::write(d.join("seal.esl"), seal.der()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(d)
        .args(["ofd", "seal", "--in"])
        .arg(vector("helloworld.ofd"))
        .args([
            "--out",
            "sealed.ofd",
            "--cert",
            "signer.pem",
            "--key",
            "signer.key",
            "--seal",
            "seal.esl",
            "--keyword",
            "不存在",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "eseal: keyword \"不存在\" not found (occurrence 1 asked for)"
    );
    assert!(!d.join("sealed.ofd").exists());
}

#[test]
fn openssl_verifies_the_ses_parts_of_a_sealed_ofd() {
    let office = Office::new();
    let sealed = office.seal(&hello_world(), 0);
    let (_, xml, signed) = signature_files(&sealed, 0);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("Signature.xml"), &xml).unwrap();
    let digest = openssl_ok(
        d,
        &["dgst", "-sm3", "-binary", "-out", "hash", "Signature.xml"],
    );
    assert!(digest.is_empty());
    assert_eq!(fs::read(d.join("hash")).unwrap(), signed.data_hash);
    let maker = Certificate::from_der(&signed.seal.maker_cert).unwrap();
    for (name, cert, tbs, sig) in [
        (
            "seal",
            &maker,
            signed.seal.signed_bytes(),
            &signed.seal.signature,
        ),
        (
            "signature",
            &office.signers[0].1,
            signed.signed_bytes(),
            &signed.signature,
        ),
    ] {
        assert_eq!(
            openssl_sm2_verify(d, cert, tbs, sig),
            "Verified OK",
            "{name}"
        );
    }
}

#[test]
fn an_ofdrw_signature_stays_as_it_was_after_eseal_adds_a_seal() {
    let office = Office::new();
    let original = Package::read(fs::read(vector("SESV4SignDoc.ofd")).unwrap()).unwrap();
    let before = verify(&original, &office.hierarchy.store());
    let sealed = office.seal(&original, 0);
    let after = office.verify(&sealed);
    assert_eq!(after.signatures.len(), 2);
    assert_eq!(
        after.signatures[0].indication,
        before.signatures[0].indication
    );
    assert_eq!(codes(&after, 0), codes(&before, 0));
    assert_eq!(after.signatures[1].indication, Indication::TotalPassed);
}

#[test]
fn the_cli_seals_and_verifies_an_ofd() {
    let office = Office::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, cert, seal) = &office.signers[0];
    fs::write(d.join("signer.pem"), cert.to_pem()).unwrap();
    fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    fs::write(d.join("seal.esl"), seal.der()).unwrap();
    fs::write(d.join("root.pem"), office.hierarchy.root.to_pem()).unwrap();
    fs::write(d.join("ca.pem"), office.hierarchy.ca.to_pem()).unwrap();
    let eseal = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
            .current_dir(d)
            .args(args)
            .output()
            .unwrap()
    };
    let hello = vector("helloworld.ofd");
    let out = eseal(&[
        "ofd",
        "seal",
        "--in",
        hello.to_str().unwrap(),
        "--out",
        "sealed.ofd",
        "--cert",
        "signer.pem",
        "--key",
        "signer.key",
        "--seal",
        "seal.esl",
        "--keyword",
        "你好",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verified = eseal(&[
        "verify",
        "sealed.ofd",
        "--trust",
        "root.pem",
        "--chain",
        "ca.pem",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("TOTAL-PASSED"), "{stdout}");
    let untrusted = eseal(&["verify", "sealed.ofd"]);
    assert_eq!(untrusted.status.code(), Some(1));
}

#[test]
fn the_committed_ofd_vectors_give_their_expected_verdicts() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("test-vectors/ofd");
    let read = |name: &str| fs::read(dir.join(name)).unwrap();
    let mut store = TrustStore::new();
    store.add_anchors_from(&read("root.pem")).unwrap();
    for cert in eseal::pki::read_certificates(&read("office-ca.pem")).unwrap() {
        store.add_intermediate(cert);
    }
    let at = eseal::pki::parse_rfc3339("2026-06-02T00:00:00Z").unwrap();
    let table = String::from_utf8(read("expected.tsv")).unwrap();
    let mut rows = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let columns: Vec<&str> = line.split('\t').collect();
        let [file, exit, signature, indication, sub, reasons, _] = columns[..] else {
            panic!("{line}");
        };
        let package = Package::read(read(file)).unwrap();
        let report = verify_ofd(&package, &store, at, &VerifyOptions::default()).unwrap();
        assert_eq!(report.exit_code().to_string(), exit, "{file}");
        if signature == "-" {
            assert!(report.signatures.is_empty(), "{file}");
            rows += 1;
            continue;
        }
        let s = &report.signatures[signature.parse::<usize>().unwrap() - 1];
        let got_sub = s.sub_indication.map_or("-".to_string(), |s| s.to_string());
        let got_reasons: Vec<&str> = s.reasons.iter().map(|r| r.code()).collect();
        let got_reasons = if got_reasons.is_empty() {
            "-".to_string()
        } else {
            got_reasons.join(",")
        };
        assert_eq!(
            (s.indication.to_string(), got_sub, got_reasons),
            (indication.to_string(), sub.to_string(), reasons.to_string()),
            "{file} signature {signature}"
        );
        rows += 1;
    }
    assert_eq!(rows, 9);
}

#[test]
fn the_cli_refuses_to_seal_over_failed_signatures_unless_forced_and_a_locked_document() {
    use common::cli::{code, eseal, p, stderr};
    let office = Office::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, cert, seal) = &office.signers[0];
    fs::write(d.join("signer.pem"), cert.to_pem()).unwrap();
    fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    fs::write(d.join("seal.esl"), seal.der()).unwrap();
    fs::write(d.join("root.pem"), office.hierarchy.root.to_pem()).unwrap();
    fs::write(d.join("ca.pem"), office.hierarchy.ca.to_pem()).unwrap();
    let committed = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("test-vectors/ofd");
    let (cert, key, seal) = (p(d, "signer.pem"), p(d, "signer.key"), p(d, "seal.esl"));
    let seal_cmd = |input: &str, out: &str, extra: &[&str]| {
        let input = committed.join(input);
        let mut args = vec![
            "ofd",
            "seal",
            "--in",
            input.to_str().unwrap(),
            "--out",
            out,
            "--cert",
            &cert,
            "--key",
            &key,
            "--seal",
            &seal,
        ];
        args.extend_from_slice(extra);
        eseal(&args)
    };

    // page-changed.ofd: its signature is TOTAL-FAILED (the page changed after sealing).
    let out_path = p(d, "over-changed.ofd");
    let out = seal_cmd("page-changed.ofd", &out_path, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.starts_with("eseal: earlier signatures do not verify"),
        "{message}"
    );
    assert!(
        message.contains(
            "/Doc_0/Signs/Sign_0/Signature.xml is TOTAL-FAILED/HASH_FAILURE: \
             REFERENCE_DIGEST_MISMATCH: "
        ),
        "{message}"
    );
    assert!(!Path::new(&out_path).exists());

    let out = seal_cmd("page-changed.ofd", &out_path, &["--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = eseal(&[
        "verify",
        &out_path,
        "--trust",
        &p(d, "root.pem"),
        "--chain",
        &p(d, "ca.pem"),
        "--json",
    ]);
    assert_eq!(code(&out), 2);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (old, new) = (&json["signatures"][0], &json["signatures"][1]);
    assert_eq!(old["indication"], "TOTAL-FAILED", "{old}");
    assert_eq!(
        old["reasons"][0]["code"], "REFERENCE_DIGEST_MISMATCH",
        "{old}"
    );
    assert_eq!(new["indication"], "TOTAL-PASSED", "{new}");
    assert_eq!(new["reasons"], serde_json::json!([]), "{new}");
    let warnings = new["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str()
            == Some(
                "EarlierSignatureFailed: this signature was added over \
                 /Doc_0/Signs/Sign_0/Signature.xml, which does not verify \
                 (REFERENCE_DIGEST_MISMATCH)"
            )),
        "{new}"
    );

    // locked.ofd: its third signature protects Signatures.xml; --force does not unlock it.
    for extra in [&[][..], &["--force"]] {
        let out_path = p(d, "over-locked.ofd");
        let out = seal_cmd("locked.ofd", &out_path, extra);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert_eq!(
            stderr(&out).trim(),
            "eseal: signature 3 locks the document: it protects /Doc_0/Signs/Signatures.xml"
        );
        assert!(!Path::new(&out_path).exists());
    }
}
