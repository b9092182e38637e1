//! The sealed OFD files in ../shared/vectors/ses give the results of SES-OFD.md §8, and
//! tampering with them gives the reasons of SES-OFD.md §6.

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime};

use eseal::ofd::{Package, VerifyOptions, verify_ofd};
use eseal::pki::{Certificate, TrustStore, parse_rfc3339};
use eseal::report::{Indication, Report, SignatureReport, SubIndication};
use eseal::seal::{SealSignature, TimeInfo};

use common::ofdrw::{p12_certificates, read, root as ofdrw_root, vector};

fn package(name: &str) -> Package<'static> {
    Package::read(read(name)).unwrap()
}

fn t() -> SystemTime {
    parse_rfc3339("2021-06-01T00:00:00Z").unwrap()
}

fn codes(report: &SignatureReport) -> Vec<&'static str> {
    report.reasons.iter().map(|r| r.code()).collect()
}

fn only(report: &Report) -> &SignatureReport {
    assert_eq!(report.signatures.len(), 1, "{report:#?}");
    &report.signatures[0]
}

fn verify(package: &Package, store: &TrustStore, at: SystemTime) -> Report {
    verify_ofd(package, store, at, &VerifyOptions::default()).unwrap()
}

fn assert_verdict(report: &SignatureReport, indication: Indication, sub: Option<SubIndication>) {
    assert_eq!(
        (report.indication, report.sub_indication),
        (indication, sub),
        "{:#?}",
        report.reasons
    );
}

/// The SES signature of a package's first signature.
fn seal_signature(package: &Package) -> SealSignature {
    SealSignature::from_der(package.get("/Doc_0/Signs/Sign_0/SignedValue.dat").unwrap()).unwrap()
}

#[test]
fn tax_bureau_invoices_pass_with_their_own_certificates_trusted() {
    for name in ["v4signed.ofd", "1.ofd"] {
        let package = package(name);
        let signature = seal_signature(&package);
        let TimeInfo::Time(signed_at) = signature.time_info else {
            panic!("{name}: signing time unreadable")
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(signed_at as u64);
        let report = verify(&package, &TrustStore::new(), at);
        let s = only(&report);
        assert_verdict(
            s,
            Indication::Indeterminate,
            Some(SubIndication::NoCertificateChainFound),
        );
        assert!(
            !codes(s).iter().any(|c| c.starts_with("REFERENCE")
                || c.contains("SIGNATURE_INVALID")
                || *c == "DATA_HASH_MISMATCH"
                || *c == "UNPROTECTED_FILE"),
            "{name}: {:?}",
            codes(s)
        );
        let mut direct = TrustStore::new();
        for der in [&signature.signer_cert, &signature.seal.maker_cert] {
            direct
                .add_anchor(Certificate::from_der(der).unwrap())
                .unwrap();
        }
        let report = verify(&package, &direct, at);
        let s = only(&report);
        assert_verdict(s, Indication::TotalPassed, None);
        assert_eq!(s.kind, "ofd-seal-signature");
        assert_eq!(
            s.field.as_deref(),
            Some("/Doc_0/Signs/Sign_0/Signature.xml")
        );
        assert_eq!(report.exit_code(), 0);
    }
}

#[test]
fn ofdrw_files_pass_inside_their_validity() {
    let store = ofdrw_root();
    for name in ["allprotected.ofd", "V4RideRight.ofd"] {
        let package = package(name);
        let s = verify(&package, &store, t()).signatures.remove(0);
        assert_verdict(&s, Indication::TotalPassed, None);
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("revocation not checked")),
            "{name}: {:?}",
            s.warnings
        );
        let now = verify(&package, &store, SystemTime::now());
        assert_verdict(
            only(&now),
            Indication::Indeterminate,
            Some(SubIndication::OutOfBoundsNoPoe),
        );
    }
}

#[test]
fn signed_after_expiry_is_indeterminate_at_any_time() {
    let store = ofdrw_root();
    let package = package("SESV4SignDoc.ofd");
    for at in [t(), SystemTime::now()] {
        let report = verify(&package, &store, at);
        let s = only(&report);
        assert_eq!(s.indication, Indication::Indeterminate, "{:?}", codes(s));
        let c = codes(s);
        assert!(c.contains(&"CLAIMED_TIME_OUTSIDE_VALIDITY"), "{c:?}");
        assert!(
            !c.iter()
                .any(|c| c.starts_with("REFERENCE") || c.contains("SIGNATURE_INVALID")),
            "{c:?}"
        );
    }
}

#[test]
fn bare_sm2_signature_needs_the_signers_certificate() {
    let store = ofdrw_root();
    let package = package("DigitalSign.ofd");
    let report = verify(&package, &store, t());
    let s = only(&report);
    assert_verdict(
        s,
        Indication::Indeterminate,
        Some(SubIndication::NoSigningCertificateFound),
    );
    assert_eq!(codes(s), ["NO_SIGNING_CERTIFICATE"]);
    let options = VerifyOptions {
        signer_certificates: p12_certificates("USER.p12", "777777"),
    };
    let report = verify_ofd(&package, &store, t(), &options).unwrap();
    let s = only(&report);
    assert_verdict(s, Indication::TotalPassed, None);
    assert!(s.signer.as_deref().unwrap().contains("Test Certificate"));
    // Another certificate does not verify the signature.
    let other = VerifyOptions {
        signer_certificates: p12_certificates("ROOT.p12", "123456"),
    };
    let report = verify_ofd(&package, &store, t(), &other).unwrap();
    assert_eq!(codes(only(&report)), ["SIGNATURE_INVALID"]);
}

#[test]
fn unsigned_ofd_has_nothing_to_verify() {
    let report = verify(&package("helloworld.ofd"), &ofdrw_root(), t());
    assert!(report.signatures.is_empty());
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn dms360_v1_file_fails() {
    let report = verify(&package("n.ofd"), &ofdrw_root(), t());
    let s = only(&report);
    assert_verdict(
        s,
        Indication::TotalFailed,
        Some(SubIndication::SigCryptoFailure),
    );
    let c = codes(s);
    assert_eq!(c[0], "SIGNATURE_INVALID");
    assert!(c.contains(&"DATA_HASH_MISMATCH"), "{c:?}");
    assert!(!c.contains(&"SEAL_SIGNATURE_INVALID"), "{c:?}");
    let mismatched: Vec<String> = s
        .reasons
        .iter()
        .filter(|r| r.code() == "REFERENCE_DIGEST_MISMATCH")
        .map(ToString::to_string)
        .collect();
    assert_eq!(mismatched.len(), 6, "{mismatched:?}");
    for path in [
        "/Doc_0/Document.xml",
        "/Doc_0/Pages/Page_0/Content.xml",
        "/Doc_0/Pages/Page_1/Content.xml",
        "/Doc_0/PublicRes.xml",
        "/OFD.xml",
        "/Doc_0/Signs/Sign_0/Seal.esl",
    ] {
        assert!(mismatched.iter().any(|m| m.starts_with(path)), "{path}");
    }
    assert!(!c.contains(&"UNPROTECTED_FILE") && !c.contains(&"STAMP_PAGE_MISSING"));
}

/// allprotected.ofd verified at T after `change` rewrote it.
fn tampered(change: &[(&str, &[u8])]) -> SignatureReport {
    let original = package("allprotected.ofd");
    let bytes = original.rewrite(change).unwrap();
    let report = verify(&Package::read(bytes).unwrap(), &ofdrw_root(), t());
    only(&report).clone()
}

#[test]
fn changed_page_is_a_digest_mismatch() {
    let original = package("allprotected.ofd");
    let mut content = original
        .get("/Doc_0/Pages/Page_0/Content.xml")
        .unwrap()
        .to_vec();
    let last = content.len() - 2;
    content[last] ^= 0x01;
    let s = tampered(&[("/Doc_0/Pages/Page_0/Content.xml", &content)]);
    assert_verdict(
        &s,
        Indication::TotalFailed,
        Some(SubIndication::HashFailure),
    );
    assert_eq!(
        s.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [eseal::report::Reason::ReferenceDigestMismatch {
            path: "/Doc_0/Pages/Page_0/Content.xml".into()
        }
        .to_string()]
    );
}

#[test]
fn added_file_is_unprotected() {
    let s = tampered(&[("/Doc_0/Res/extra.png", b"not covered")]);
    assert_verdict(
        &s,
        Indication::Indeterminate,
        Some(SubIndication::SigConstraintsFailure),
    );
    assert_eq!(
        s.reasons,
        [eseal::report::Reason::UnprotectedFile {
            path: "/Doc_0/Res/extra.png".into()
        }]
    );
}

#[test]
fn removed_file_is_missing() {
    let original = package("allprotected.ofd");
    let entries: Vec<(String, Vec<u8>)> = original
        .entries()
        .iter()
        .filter(|e| e.name() != "Doc_0/PublicRes.xml")
        .map(|e| (e.path(), e.data().unwrap().to_vec()))
        .collect();
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let bytes = eseal::ofd::write_package(&borrowed).unwrap();
    let report = verify(&Package::read(bytes).unwrap(), &ofdrw_root(), t());
    let s = only(&report);
    assert_verdict(s, Indication::TotalFailed, Some(SubIndication::HashFailure));
    assert_eq!(
        s.reasons,
        [eseal::report::Reason::ReferencedFileMissing {
            path: "/Doc_0/PublicRes.xml".into()
        }]
    );
}

#[test]
fn replaced_seal_file_differs_from_the_signed_seal() {
    // The untouched copy is the signed seal, byte for byte.
    let original = package("allprotected.ofd");
    let signed = seal_signature(&original);
    assert_eq!(
        original.get("/Doc_0/Signs/Sign_0/Seal.esl"),
        Some(signed.seal.der())
    );
    // Another seal of the same signer (v5): the copy differs, and so does its digest.
    let seal = read("UserV5.esl");
    let s = tampered(&[("/Doc_0/Signs/Sign_0/Seal.esl", &seal)]);
    assert_verdict(
        &s,
        Indication::TotalFailed,
        Some(SubIndication::HashFailure),
    );
    assert_eq!(
        s.reasons,
        [
            eseal::report::Reason::ReferenceDigestMismatch {
                path: "/Doc_0/Signs/Sign_0/Seal.esl".into()
            },
            eseal::report::Reason::SealFileMismatch,
        ]
    );
}

#[test]
fn signature_dropped_from_the_list_is_reported_as_not_listed() {
    // v4signed.ofd does not protect Signatures.xml: the signature still verifies, unlisted.
    let original = package("v4signed.ofd");
    let signature = seal_signature(&original);
    let emptied = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Signatures \
        xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:MaxSignId>1</ofd:MaxSignId></ofd:Signatures>";
    let bytes = original
        .rewrite(&[("/Doc_0/Signs/Signatures.xml", emptied)])
        .unwrap();
    let TimeInfo::Time(signed_at) = signature.time_info else {
        panic!()
    };
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(signed_at as u64);
    let mut direct = TrustStore::new();
    for der in [&signature.signer_cert, &signature.seal.maker_cert] {
        direct
            .add_anchor(Certificate::from_der(der).unwrap())
            .unwrap();
    }
    let report = verify(&Package::read(bytes).unwrap(), &direct, at);
    let s = only(&report);
    assert_verdict(s, Indication::TotalPassed, None);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("SignatureNotListed: /Doc_0/Signs/Sign_0/Signature.xml")),
        "{:?}",
        s.warnings
    );
    // allprotected.ofd protects Signatures.xml: dropping its entry breaks that digest.
    let s = tampered(&[("/Doc_0/Signs/Signatures.xml", emptied)]);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("SignatureNotListed"))
    );
    assert_eq!(
        s.reasons,
        [eseal::report::Reason::ReferenceDigestMismatch {
            path: "/Doc_0/Signs/Signatures.xml".into()
        }]
    );
}

#[test]
fn stamp_on_a_missing_page() {
    let original = package("allprotected.ofd");
    let xml = String::from_utf8(
        original
            .get("/Doc_0/Signs/Sign_0/Signature.xml")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let moved = xml.replace("PageRef=\"1\"", "PageRef=\"9\"");
    assert_ne!(moved, xml);
    let s = tampered(&[("/Doc_0/Signs/Sign_0/Signature.xml", moved.as_bytes())]);
    let c = codes(&s);
    assert!(c.contains(&"STAMP_PAGE_MISSING"), "{c:?}");
    assert!(c.contains(&"DATA_HASH_MISMATCH"), "{c:?}");
}

#[test]
fn cli_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.pem");
    let pem: String = p12_certificates("ROOT.p12", "123456")
        .iter()
        .map(|c| pem::encode(&pem::Pem::new("CERTIFICATE", c.der().to_vec())))
        .collect();
    std::fs::write(&root, pem).unwrap();
    let user = dir.path().join("user.pem");
    let pem: String = p12_certificates("USER.p12", "777777")
        .iter()
        .map(|c| pem::encode(&pem::Pem::new("CERTIFICATE", c.der().to_vec())))
        .collect();
    std::fs::write(&user, pem).unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .arg("verify")
            .arg(vector(name))
            .args(["--json", "--at", "2021-06-01T00:00:00Z", "--trust"])
            .arg(&root)
            .args(extra)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        (out.status.code(), json)
    };
    let (code, json) = run("allprotected.ofd", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");
    let (code, json) = run("DigitalSign.ofd", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        json["signatures"][0]["sub_indication"],
        "NO_SIGNING_CERTIFICATE_FOUND"
    );
    let (code, _) = run(
        "DigitalSign.ofd",
        &["--signer-cert", user.to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
    assert_eq!(run("n.ofd", &[]).0, Some(2));
    let (code, json) = run("helloworld.ofd", &[]);
    assert_eq!(code, Some(3));
    assert_eq!(json["signatures"], serde_json::json!([]));
}

/// allprotected.ofd with a continued signature `Sign_1` by the ofdrw signing key, made as
/// SES-OFD.md §6 describes: every file but Signatures.xml and its own two is referenced,
/// `propertyInfo` is `property_info`. `xml_edit` may spoil its Signature.xml after signing.
fn continued(property_info: &str, xml_edit: impl Fn(&str) -> String) -> Package<'static> {
    use base64::Engine;
    use eseal::seal::sign_with_seal;
    use sha2::Digest;

    let original = package("allprotected.ofd");
    let (key, cert) = common::ofdrw::signer();
    let seal = common::ofdrw::signer_seal(&key, &cert, "continued", "续签测试章");
    let list = String::from_utf8(
        original
            .get("/Doc_0/Signs/Signatures.xml")
            .unwrap()
            .to_vec(),
    )
    .unwrap()
    .replace(
        "</ofd:Signatures>",
        "<ofd:Signature ID=\"003\" Type=\"Seal\" \
             BaseLoc=\"/Doc_0/Signs/Sign_1/Signature.xml\"/></ofd:Signatures>",
    );
    let seal_path = "/Doc_0/Signs/Sign_1/Seal.esl";
    let mut references = String::new();
    let files = original
        .entries()
        .iter()
        .map(|e| (e.path(), e.data().unwrap()))
        .chain([(seal_path.to_string(), seal.der())]);
    for (path, data) in files.filter(|(p, _)| p != "/Doc_0/Signs/Signatures.xml") {
        let digest = base64::engine::general_purpose::STANDARD.encode(sm3::Sm3::digest(data));
        references.push_str(&format!(
            "<ofd:Reference FileRef=\"{path}\"><ofd:CheckValue>{digest}</ofd:CheckValue></ofd:Reference>"
        ));
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Signature xmlns:ofd=\"http://www.ofdspec.org/2016\">\
         <ofd:SignedInfo><ofd:Provider ProviderName=\"eseal\"/>\
         <ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>\
         <ofd:References CheckMethod=\"1.2.156.10197.1.401\">{references}</ofd:References>\
         <ofd:StampAnnot ID=\"004\" PageRef=\"1\" Boundary=\"100 50 40 40\"/>\
         <ofd:Seal><ofd:BaseLoc>Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>\
         <ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>"
    );
    let signature = sign_with_seal(
        &seal,
        xml.as_bytes(),
        property_info,
        &cert,
        &key,
        parse_rfc3339("2022-05-01T00:00:00Z").unwrap(),
    )
    .unwrap();
    let xml = xml_edit(&xml);
    let bytes = original
        .rewrite(&[
            ("/Doc_0/Signs/Signatures.xml", list.as_bytes()),
            (seal_path, seal.der()),
            ("/Doc_0/Signs/Sign_1/Signature.xml", xml.as_bytes()),
            ("/Doc_0/Signs/Sign_1/SignedValue.dat", signature.der()),
        ])
        .unwrap();
    Package::read(bytes).unwrap()
}

#[test]
fn continued_signature_may_change_the_signature_list() {
    let at = parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    let report = verify(
        &continued("/Doc_0/Signs/Sign_1/Signature.xml", str::to_string),
        &ofdrw_root(),
        at,
    );
    assert_eq!(report.signatures.len(), 2);
    let (first, second) = (&report.signatures[0], &report.signatures[1]);
    // The first signer's certificates expired on 2022-04-21; its files and the later
    // signature's are fine, and its Signatures.xml digest changed only by the addition.
    assert_verdict(
        first,
        Indication::Indeterminate,
        Some(SubIndication::OutOfBoundsNoPoe),
    );
    assert!(
        !codes(first)
            .iter()
            .any(|c| c.starts_with("REFERENCE") || *c == "UNPROTECTED_FILE"),
        "{:?}",
        codes(first)
    );
    assert!(
        first
            .warnings
            .iter()
            .any(|w| w.starts_with("LaterSignaturesAdded: /Doc_0/Signs/Signatures.xml")),
        "{:?}",
        first.warnings
    );
    assert_verdict(second, Indication::TotalPassed, None);
    assert!(
        !second
            .warnings
            .iter()
            .any(|w| w.starts_with("PropertyInfo"))
    );
    assert_eq!(
        second.field.as_deref(),
        Some("/Doc_0/Signs/Sign_1/Signature.xml")
    );

    // A later signature that does not verify does not excuse the changed list.
    let spoiled = continued("/Doc_0/Signs/Sign_1/Signature.xml", |xml| {
        xml.replace("100 50 40 40", "100 60 40 40")
    });
    let report = verify(&spoiled, &ofdrw_root(), at);
    let (first, second) = (&report.signatures[0], &report.signatures[1]);
    assert_verdict(
        second,
        Indication::TotalFailed,
        Some(SubIndication::HashFailure),
    );
    assert_eq!(codes(second), ["DATA_HASH_MISMATCH"]);
    assert_verdict(
        first,
        Indication::TotalFailed,
        Some(SubIndication::HashFailure),
    );
    assert_eq!(
        first.reasons[0],
        eseal::report::Reason::ReferenceDigestMismatch {
            path: "/Doc_0/Signs/Signatures.xml".into()
        }
    );
}

#[test]
fn property_info_naming_another_path_is_a_warning() {
    let at = parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    // Without the leading slash it is the same path.
    let report = verify(
        &continued("Doc_0/Signs/Sign_1/Signature.xml", str::to_string),
        &ofdrw_root(),
        at,
    );
    assert!(
        report.signatures[1]
            .warnings
            .iter()
            .all(|w| !w.starts_with("PropertyInfo"))
    );
    let report = verify(
        &continued("/Doc_0/Signs/Sign_0/Signature.xml", str::to_string),
        &ofdrw_root(),
        at,
    );
    let second = &report.signatures[1];
    assert_verdict(second, Indication::TotalPassed, None);
    assert!(
        second.warnings.iter().any(|w| w.starts_with(
            "PropertyInfoMismatch: propertyInfo \"/Doc_0/Signs/Sign_0/Signature.xml\""
        )),
        "{:?}",
        second.warnings
    );
}

#[test]
fn cms_signature_over_signature_xml() {
    use eseal::cms::{DigestAlgorithm, SignOptions, sign_detached};
    let original = package("DigitalSign.ofd");
    let xml = original
        .get("/Doc_0/Signs/Sign_0/Signature.xml")
        .unwrap()
        .to_vec();
    let (key, cert) = common::ofdrw::signer();
    let cms = sign_detached(
        &DigestAlgorithm::Sm3.digest(&xml),
        &SignOptions {
            signer: &key,
            certificate: &cert,
            chain: &[],
            signing_time: None,
        },
    )
    .unwrap();
    let signed = Package::read(
        original
            .rewrite(&[("/Doc_0/Signs/Sign_0/SignedValue.dat", &cms)])
            .unwrap(),
    )
    .unwrap();
    let at = parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    let report = verify(&signed, &ofdrw_root(), at);
    let s = only(&report);
    assert_verdict(s, Indication::TotalPassed, None);
    assert_eq!(s.signer.as_deref(), Some(cert.subject()));
    assert_eq!(s.chain.len(), 2);
    // Signature.xml changed after signing: the CMS digest no longer matches.
    let changed = String::from_utf8(xml)
        .unwrap()
        .replace("ofdrw-sign", "ofdrw-sigm");
    let report = verify(
        &Package::read(
            signed
                .rewrite(&[("/Doc_0/Signs/Sign_0/Signature.xml", changed.as_bytes())])
                .unwrap(),
        )
        .unwrap(),
        &ofdrw_root(),
        at,
    );
    let s = only(&report);
    assert_verdict(s, Indication::TotalFailed, Some(SubIndication::HashFailure));
    assert_eq!(codes(s), ["DIGEST_MISMATCH"]);
}

#[test]
fn a_later_signature_dropped_from_the_list_leaves_its_files_unprotected() {
    let at = parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    let two = continued("/Doc_0/Signs/Sign_1/Signature.xml", str::to_string);
    let original = package("allprotected.ofd");
    let list = original.get("/Doc_0/Signs/Signatures.xml").unwrap();
    let dropped = two
        .rewrite(&[("/Doc_0/Signs/Signatures.xml", list)])
        .unwrap();
    let report = verify(&Package::read(dropped).unwrap(), &ofdrw_root(), at);
    let (first, second) = (&report.signatures[0], &report.signatures[1]);
    let unprotected: Vec<&eseal::report::Reason> = first
        .reasons
        .iter()
        .filter(|r| r.code() == "UNPROTECTED_FILE")
        .collect();
    assert_eq!(
        unprotected,
        [
            "/Doc_0/Signs/Sign_1/Seal.esl",
            "/Doc_0/Signs/Sign_1/Signature.xml",
            "/Doc_0/Signs/Sign_1/SignedValue.dat"
        ]
        .map(|path| eseal::report::Reason::UnprotectedFile { path: path.into() })
        .iter()
        .collect::<Vec<_>>()
    );
    assert_verdict(second, Indication::TotalPassed, None);
    assert!(
        second
            .warnings
            .iter()
            .any(|w| w.starts_with("SignatureNotListed: /Doc_0/Signs/Sign_1/Signature.xml")),
        "{:?}",
        second.warnings
    );
}

/// The tax-bureau e-invoice v4signed.ofd re-signed by ofdrw's USER key with UserV4.esl
/// (ROOT.p12 its issuer) at 2021-01-01, as tax e-invoices are signed: every file referenced
/// but `OFD.xml`, `Signatures.xml`, the signature's own two and the files in `left_out`;
/// then `changes` are made to the package.
fn resigned_invoice(left_out: &[&str], changes: &[(&str, &[u8])]) -> Package<'static> {
    use base64::Engine;
    use eseal::seal::{Seal, sign_with_seal};
    use sha2::Digest;

    let original = package("v4signed.ofd");
    let (key, cert) = common::ofdrw::user();
    let seal = Seal::from_der(&read("UserV4.esl")).unwrap();
    let signature_path = "/Doc_0/Signs/Sign_0/Signature.xml";
    let signed_value_path = "/Doc_0/Signs/Sign_0/SignedValue.dat";
    let not_referenced = [
        "/OFD.xml",
        "/Doc_0/Signs/Signatures.xml",
        signature_path,
        signed_value_path,
    ];
    let mut references = String::new();
    for entry in original.entries() {
        let path = entry.path();
        if not_referenced.contains(&path.as_str()) || left_out.contains(&path.as_str()) {
            continue;
        }
        let digest = base64::engine::general_purpose::STANDARD
            .encode(sm3::Sm3::digest(entry.data().unwrap()));
        references.push_str(&format!(
            "<ofd:Reference FileRef=\"{path}\"><ofd:CheckValue>{digest}</ofd:CheckValue></ofd:Reference>"
        ));
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signature xmlns:ofd=\"http://www.ofdspec.org/2016\">\
         <ofd:SignedInfo><ofd:Provider ProviderName=\"gomain_eseal\" Version=\"2.0\" Company=\"BW\"/>\
         <ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>\
         <ofd:SignatureDateTime>20210101000000</ofd:SignatureDateTime>\
         <ofd:References CheckMethod=\"1.2.156.10197.1.401\">{references}</ofd:References>\
         <ofd:StampAnnot ID=\"1\" PageRef=\"1\" Boundary=\"90.00 8.00 30.00 20.00\"/></ofd:SignedInfo>\
         <ofd:SignedValue>{signed_value_path}</ofd:SignedValue></ofd:Signature>"
    );
    let signature = sign_with_seal(
        &seal,
        xml.as_bytes(),
        signature_path,
        &cert,
        &key,
        parse_rfc3339("2021-01-01T00:00:00Z").unwrap(),
    )
    .unwrap();
    let mut all: Vec<(&str, &[u8])> = vec![
        (signature_path, xml.as_bytes()),
        (signed_value_path, signature.der()),
    ];
    all.extend_from_slice(changes);
    Package::read(original.rewrite(&all).unwrap()).unwrap()
}

fn warnings_named<'r>(report: &'r SignatureReport, name: &str) -> Vec<&'r str> {
    report
        .warnings
        .iter()
        .filter(|w| w.starts_with(name))
        .map(String::as_str)
        .collect()
}

#[test]
fn an_invoice_signed_without_ofd_xml_passes_with_a_note() {
    let report = verify(&resigned_invoice(&[], &[]), &ofdrw_root(), t());
    let signature = only(&report);
    assert_verdict(signature, Indication::TotalPassed, None);
    assert_eq!(codes(signature), Vec::<&str>::new());
    assert_eq!(
        warnings_named(signature, "UnprotectedEntryFile:"),
        [
            "UnprotectedEntryFile: /OFD.xml is not protected by the signature; its DocRoot and \
          Signatures name the protected /Doc_0/Document.xml and the list holding this \
          signature, and its DocInfo (metadata, not shown on the pages) is not covered"
        ]
    );

    // The metadata in DocInfo is what the note says is not covered: a changed amount there
    // changes nothing the pages show, and the signature still passes with the note.
    let ofd_xml = String::from_utf8(package("v4signed.ofd").get("/OFD.xml").unwrap().to_vec())
        .unwrap()
        .replace("318.00", "9318.00");
    let report = verify(
        &resigned_invoice(&[], &[("/OFD.xml", ofd_xml.as_bytes())]),
        &ofdrw_root(),
        t(),
    );
    assert_verdict(only(&report), Indication::TotalPassed, None);
    assert_eq!(
        warnings_named(only(&report), "UnprotectedEntryFile:").len(),
        1
    );

    // As of now the certificates have expired, never a cryptographic failure.
    let report = verify(
        &resigned_invoice(&[], &[]),
        &ofdrw_root(),
        SystemTime::now(),
    );
    assert_verdict(
        only(&report),
        Indication::Indeterminate,
        Some(SubIndication::OutOfBoundsNoPoe),
    );
}

#[test]
fn an_unprotected_ofd_xml_that_can_lead_elsewhere_is_an_unprotected_file() {
    let original =
        String::from_utf8(package("v4signed.ofd").get("/OFD.xml").unwrap().to_vec()).unwrap();
    let body_end = "</ofd:DocBody>";
    let with_versions = original.replace(
        body_end,
        "<ofd:Versions><ofd:Version ID=\"1\" BaseLoc=\"Doc_0/Version_1.xml\"/></ofd:Versions></ofd:DocBody>",
    );
    let body = &original[original.find("<ofd:DocBody>").unwrap()..original.find(body_end).unwrap()];
    let second_document = original.replace(body_end, &format!("{body_end}{body}{body_end}"));
    let other_list = original.replace("Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Other.xml");
    let unprotected = |path: &str| eseal::report::Reason::UnprotectedFile {
        path: path.to_string(),
    };
    // Pointed at another list, OFD.xml leaves this signature's list an ordinary file,
    // unprotected too, and the signature unlisted.
    for (what, ofd_xml, reasons) in [
        ("Versions", with_versions, vec![unprotected("/OFD.xml")]),
        (
            "a second DocBody",
            second_document,
            vec![unprotected("/OFD.xml")],
        ),
        (
            "another Signatures.xml",
            other_list,
            vec![
                unprotected("/OFD.xml"),
                unprotected("/Doc_0/Signs/Signatures.xml"),
            ],
        ),
    ] {
        let report = verify(
            &resigned_invoice(&[], &[("/OFD.xml", ofd_xml.as_bytes())]),
            &ofdrw_root(),
            t(),
        );
        let signature = &report.signatures[0];
        assert_verdict(
            signature,
            Indication::Indeterminate,
            Some(SubIndication::SigConstraintsFailure),
        );
        assert_eq!(signature.reasons, reasons, "{what}");
        assert!(
            warnings_named(signature, "UnprotectedEntryFile:").is_empty(),
            "{what}"
        );
    }
}

#[test]
fn a_template_page_or_image_the_page_draws_but_the_signature_leaves_out_is_indeterminate() {
    for left_out in ["/Doc_0/Tpls/Tpl_0/Content.xml", "/Doc_0/Res/qr.png"] {
        let report = verify(&resigned_invoice(&[left_out], &[]), &ofdrw_root(), t());
        let signature = only(&report);
        assert_verdict(
            signature,
            Indication::Indeterminate,
            Some(SubIndication::SigConstraintsFailure),
        );
        assert_eq!(codes(signature), ["UNPROTECTED_FILE"], "{left_out}");
        assert_eq!(
            signature.reasons[0],
            eseal::report::Reason::UnprotectedFile {
                path: left_out.to_string()
            }
        );
    }
}
