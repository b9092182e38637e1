//! PDFs sealed by eseal, checked by tools nobody here wrote: pyHanko (`pyhanko sign
//! validate`), poppler's pdfsig and qpdf, through the harness in ../shared/interop
//! (installed by scripts/setup.sh), with the harness's own PKI and revocation services.

mod common;

use common::interop_harness as harness;

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::pdf::{DocMdp, FieldLock, PdfSealOptions, Placement, seal_pdf, verify_pdf};
use eseal::pki::{Certificate, Crl, TrustStore, read_certificates};
use eseal::report::{Indication, SubIndication};

/// What validate.sh said: the three tools' exit codes and the whole text.
struct Validation {
    pyhanko: i32,
    pdfsig: i32,
    qpdf: i32,
    text: String,
}

fn validate(h: &Path, pdf: &[u8], name: &str) -> Validation {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new(h.join("validate.sh"))
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = |key: &str| -> i32 {
        text.lines()
            .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix(key)))
            .next_back()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in validate.sh output:\n{text}"))
    };
    Validation {
        pyhanko: code("pyhanko_validate="),
        pdfsig: code("pdfsig_rc="),
        qpdf: code("qpdf_rc="),
        text,
    }
}

/// The harness's signer `name` (ec-signer, rsa-signer, revoked-signer) and its issuing CA.
fn harness_signer(h: &Path, name: &str) -> (SoftwareKey, Certificate, Certificate) {
    let pem = std::fs::read_to_string(h.join(format!("pki/{name}.key"))).unwrap();
    let key = SoftwareKey::from_pem(&pem, None).unwrap();
    let cert = read_certificates(&std::fs::read(h.join(format!("pki/{name}.pem"))).unwrap())
        .unwrap()
        .remove(0);
    let ca = read_certificates(&std::fs::read(h.join("pki/intermediate.pem")).unwrap())
        .unwrap()
        .remove(0);
    (key, cert, ca)
}

/// eseal's own verifier with the harness root, the seal maker's root and the harness CRLs.
fn eseal_store(h: &Path, maker: &common::Hierarchy) -> TrustStore {
    let mut store = maker.store();
    for (issuer, key) in [(&maker.root, &maker.root_key), (&maker.ca, &maker.ca_key)] {
        let now = SystemTime::now();
        let next = common::days_from_now(7);
        store.add_crl(eseal::pki::issue_crl(issuer, key, 1, now, next, &[]).unwrap());
    }
    store
        .add_anchors_from(&std::fs::read(h.join("pki/root.pem")).unwrap())
        .unwrap();
    for crl in ["intermediate.crl", "root.crl"] {
        let bytes = std::fs::read(h.join("pki/crl").join(crl)).unwrap();
        store.add_crl(Crl::from_pem_or_der(&bytes).unwrap());
    }
    store
}

fn sealed_with(
    h: &Path,
    signer: &str,
    input: Vec<u8>,
    certify: Option<DocMdp>,
    visible: bool,
) -> (Vec<u8>, common::Hierarchy) {
    sealed_locked(h, signer, input, certify, visible, None)
}

fn sealed_locked(
    h: &Path,
    signer: &str,
    input: Vec<u8>,
    certify: Option<DocMdp>,
    visible: bool,
    lock: Option<FieldLock>,
) -> (Vec<u8>, common::Hierarchy) {
    let (key, cert, ca) = harness_signer(h, signer);
    let maker = common::Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let seal = common::test_seal(&maker, &cert, "3301000000002");
    let mut options = PdfSealOptions::new(&key, &cert);
    let chain = [ca];
    options.chain = &chain;
    options.seal = Some(&seal);
    options.placement = if visible {
        Placement::Page {
            page: 0,
            rect: Some([380.0, 60.0, 493.4, 173.4]),
        }
    } else {
        Placement::Invisible
    };
    options.certify = certify;
    options.lock = lock;
    options.reason = Some("电子证照签发".into());
    (seal_pdf(input, &options).unwrap(), maker)
}

#[test]
fn ecdsa_seal_on_a_foreign_pdf_is_valid_for_pyhanko_pdfsig_and_qpdf() {
    let h = harness();
    let plain = std::fs::read(h.join("work/plain.pdf")).unwrap();
    let (sealed, maker) = sealed_with(&h, "ec-signer", plain, None, true);
    let v = validate(&h, &sealed, "ec.pdf");
    assert_eq!((v.pyhanko, v.pdfsig, v.qpdf), (0, 0, 0), "{}", v.text);
    assert!(
        v.text.contains("The signature is judged VALID"),
        "{}",
        v.text
    );
    assert!(
        v.text.contains("\"total_document_signed\": true"),
        "{}",
        v.text
    );
    assert!(v.text.contains("Certificate is Trusted."), "{}", v.text);
    let report = verify_pdf(&sealed, &eseal_store(&h, &maker), SystemTime::now()).unwrap();
    assert_eq!(
        report.signatures[0].indication,
        Indication::TotalPassed,
        "{:?}",
        report.signatures[0].reasons
    );
}

#[test]
fn rsa_certified_then_sealed_again_stays_valid_everywhere() {
    let h = harness();
    let plain = eseal::pdf::sample::plain_pdf(&["Business licence"], 0);
    let (certified, _) = sealed_with(&h, "rsa-signer", plain, Some(DocMdp::FormFilling), true);
    let v = validate(&h, &certified, "certified.pdf");
    assert_eq!((v.pyhanko, v.pdfsig, v.qpdf), (0, 0, 0), "{}", v.text);
    // pyHanko refuses new *visible* signature fields after a certification signature by
    // default (stricter than ISO 32000-1 Table 254); an invisible second seal is the case
    // both accept.
    let (twice, maker) = sealed_with(&h, "ec-signer", certified, None, false);
    let v = validate(&h, &twice, "twice.pdf");
    assert_eq!(v.pyhanko, 0, "{}", v.text);
    assert_eq!(v.qpdf, 0, "{}", v.text);
    assert_eq!(
        v.text.matches("The signature is judged VALID.").count(),
        2,
        "{}",
        v.text
    );
    let report = verify_pdf(&twice, &eseal_store(&h, &maker), SystemTime::now()).unwrap();
    // The second seal's own maker differs from the first's; only the second is under `maker`.
    let last = report.signatures.last().unwrap();
    assert_eq!(
        last.indication,
        Indication::TotalPassed,
        "{:?}",
        last.reasons
    );
    assert_eq!(
        report.signatures[0].modification.map(|m| m.as_str()),
        Some("FORM_FILLING")
    );
}

#[test]
fn revoked_signer_is_rejected_by_pyhanko_pdfsig_and_eseal() {
    let h = harness();
    let plain = eseal::pdf::sample::plain_pdf(&["Business licence"], 0);
    let (sealed, maker) = sealed_with(&h, "revoked-signer", plain, None, true);
    let v = validate(&h, &sealed, "revoked.pdf");
    assert_eq!(v.pyhanko, 1, "{}", v.text);
    assert!(
        v.text.contains("Certificate has been Revoked."),
        "{}",
        v.text
    );
    let report = verify_pdf(&sealed, &eseal_store(&h, &maker), SystemTime::now()).unwrap();
    let s = &report.signatures[0];
    assert_eq!(s.indication, Indication::TotalFailed);
    assert_eq!(s.sub_indication, Some(SubIndication::Revoked));
}

#[test]
fn a_field_lock_on_all_fields_refuses_a_later_seal_in_pyhanko_and_eseal() {
    let h = harness();
    let plain = eseal::pdf::sample::plain_pdf(&["Business licence"], 0);
    let (locked, _) = sealed_locked(&h, "ec-signer", plain, None, true, Some(FieldLock::All));
    let v = validate(&h, &locked, "locked.pdf");
    assert_eq!((v.pyhanko, v.pdfsig, v.qpdf), (0, 0, 0), "{}", v.text);
    let (twice, maker) = sealed_with(&h, "rsa-signer", locked, None, false);
    let v = validate(&h, &twice, "locked-twice.pdf");
    assert_eq!(v.pyhanko, 1, "pyHanko: the new field is locked\n{}", v.text);
    let report = verify_pdf(&twice, &eseal_store(&h, &maker), SystemTime::now()).unwrap();
    let first = &report.signatures[0];
    assert_eq!(first.indication, Indication::TotalFailed);
    assert_eq!(first.reasons[0].code(), "DISALLOWED_MODIFICATION");
    assert!(
        first.reasons[0]
            .to_string()
            .contains("is locked (FieldMDP)"),
        "{}",
        first.reasons[0]
    );
}

/// A timestamper that asks the harness TSA over HTTP with eseal's client.
fn harness_tsa(algorithm: eseal::cms::DigestAlgorithm, digest: &[u8]) -> eseal::Result<Vec<u8>> {
    let request = eseal::cms::TimestampRequest::new(algorithm, digest.to_vec());
    eseal::cms::tsa::request_timestamp(
        "http://127.0.0.1:8091/",
        &request,
        std::time::Duration::from_secs(10),
    )
    .map(|token| token.der().to_vec())
}

/// The harness PKI's certificates and CRLs, for a DSS.
fn harness_validation_data(h: &Path) -> eseal::pdf::ValidationData {
    let mut data = eseal::pdf::ValidationData::default();
    for file in ["intermediate.pem", "tsa.pem"] {
        let bytes = std::fs::read(h.join("pki").join(file)).unwrap();
        for cert in read_certificates(&bytes).unwrap() {
            data.certificates.push(cert.der().to_vec());
        }
    }
    for crl in ["intermediate.crl", "root.crl"] {
        let bytes = std::fs::read(h.join("pki/crl").join(crl)).unwrap();
        data.crls
            .push(Crl::from_pem_or_der(&bytes).unwrap().der().to_vec());
    }
    data
}

#[test]
fn eseal_b_t_b_lt_and_b_lta_validate_in_pyhanko_and_pdfsig() {
    let h = harness();
    let (key, cert, ca) = harness_signer(&h, "ec-signer");
    let chain = [ca];
    let mut options = PdfSealOptions::new(&key, &cert);
    options.chain = &chain;
    options.timestamper = Some(&harness_tsa);
    let plain = std::fs::read(h.join("work/plain.pdf")).unwrap();
    let b_t = seal_pdf(plain, &options).unwrap();
    let b_lt = eseal::pdf::add_validation_data(b_t.clone(), &harness_validation_data(&h)).unwrap();
    let b_lta = eseal::pdf::add_document_timestamp(b_lt.clone(), &harness_tsa).unwrap();

    let v = validate(&h, &b_t, "b-t.pdf");
    assert_eq!((v.pyhanko, v.pdfsig, v.qpdf), (0, 0, 0), "{}", v.text);
    assert!(
        v.text
            .contains("The timestamp token is cryptographically sound."),
        "{}",
        v.text
    );
    let v = validate(&h, &b_lt, "b-lt.pdf");
    assert_eq!((v.pyhanko, v.qpdf), (0, 0), "{}", v.text);
    assert!(v.text.contains("Signature is Valid."), "{}", v.text);
    let v = validate(&h, &b_lta, "b-lta.pdf");
    assert_eq!((v.pyhanko, v.pdfsig, v.qpdf), (0, 0, 0), "{}", v.text);
    assert!(
        v.text.contains("pyhanko_ades=0"),
        "AdES TOTAL-PASSED for B-LTA:\n{}",
        v.text
    );

    // eseal, offline, with the harness root alone: the DSS supplies the rest.
    let mut store = TrustStore::new();
    store
        .add_anchors_from(&std::fs::read(h.join("pki/root.pem")).unwrap())
        .unwrap();
    let report = verify_pdf(&b_lta, &store, SystemTime::now()).unwrap();
    for s in &report.signatures {
        assert_eq!(
            s.indication,
            Indication::TotalPassed,
            "{}: {:?}",
            s.kind,
            s.reasons
        );
    }
    assert_eq!(report.signatures.len(), 2);
}

#[test]
fn pyhanko_b_t_b_lt_and_b_lta_verify_in_eseal() {
    let h = harness();
    let dir = tempfile::tempdir().unwrap();
    let mut store = TrustStore::new();
    store
        .add_anchors_from(&std::fs::read(h.join("pki/root.pem")).unwrap())
        .unwrap();
    for level in ["B-T", "B-LT", "B-LTA"] {
        let out = dir.path().join(format!("{level}.pdf"));
        let signed = Command::new(h.join("sign_pyhanko.sh"))
            .arg(h.join("work/plain.pdf"))
            .arg(&out)
            .arg(level)
            .output()
            .unwrap();
        assert!(
            signed.status.success(),
            "{}",
            String::from_utf8_lossy(&signed.stderr)
        );
        let pdf = std::fs::read(&out).unwrap();
        // B-T carries no revocation data: give the CRLs; B-LT and B-LTA have their DSS.
        let mut store = store.clone();
        if level == "B-T" {
            for crl in ["intermediate.crl", "root.crl"] {
                let bytes = std::fs::read(h.join("pki/crl").join(crl)).unwrap();
                store.add_crl(Crl::from_pem_or_der(&bytes).unwrap());
            }
        }
        let report = verify_pdf(&pdf, &store, SystemTime::now()).unwrap();
        let signature = report
            .signatures
            .iter()
            .find(|s| s.kind == "pdf-signature")
            .unwrap();
        assert_eq!(
            signature.indication,
            Indication::TotalPassed,
            "{level}: {:?}",
            signature.reasons
        );
        assert_eq!(
            signature.signing_time_source.map(|t| t.as_str()),
            Some("signature timestamp"),
            "{level}"
        );
        if level == "B-LTA" {
            let ts = report
                .signatures
                .iter()
                .find(|s| s.kind == "pdf-document-timestamp")
                .unwrap();
            assert_eq!(ts.indication, Indication::TotalPassed, "{:?}", ts.reasons);
        }
    }
}

/// `pdf` with one more revision written by hand: the document information dictionary
/// (a new object `num`), then `xref` as the cross-reference section and `startxref` as
/// the offset it gives; `{xref}` in either stands for the section's offset, `{info}` for
/// the object's.
fn info_update(pdf: &[u8], num: u32, xref: &str, startxref: &str) -> Vec<u8> {
    let doc = eseal::pdf::Document::parse(pdf).unwrap();
    let last = doc.trailer(doc.latest());
    let root = last.reference(b"Root").unwrap();
    let prev = doc.sections[doc.latest()].offset;
    let mut out = pdf.to_vec();
    let info = out.len();
    out.extend_from_slice(format!("\n{num} 0 obj\n<</Producer (a viewer)>>\nendobj\n").as_bytes());
    let at = out.len();
    let fill = |text: &str| {
        text.replace("{xref}", &at.to_string())
            .replace("{info}", &format!("{:010}", info + 1))
            .replace("{num}", &num.to_string())
            .replace("{root}", &format!("{} {} R", root.num, root.generation))
            .replace("{prev}", &prev.to_string())
    };
    out.extend_from_slice(fill(xref).as_bytes());
    out.extend_from_slice(format!("startxref\n{}\n%%EOF\n", fill(startxref)).as_bytes());
    out
}

/// A signature by pyHanko, then updates whose cross-reference section cannot be read (a
/// wrong `startxref`, a garbage table, a broken trailer, a truncated cross-reference
/// stream, a valid update chained to a broken one): the signature is verified as of the
/// revisions that read and fails by the unreadable one; a file whose only revision is
/// unreadable stays unreadable.
#[test]
fn pyhanko_signature_before_an_unreadable_revision_fails_by_it() {
    let h = harness();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signed.pdf");
    let signed = Command::new(h.join("sign_pyhanko.sh"))
        .arg(h.join("work/plain.pdf"))
        .arg(&out)
        .arg("B-B")
        .output()
        .unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let pdf = std::fs::read(&out).unwrap();
    let mut store = TrustStore::new();
    store
        .add_anchors_from(&std::fs::read(h.join("pki/root.pem")).unwrap())
        .unwrap();
    for crl in ["intermediate.crl", "root.crl"] {
        let bytes = std::fs::read(h.join("pki/crl").join(crl)).unwrap();
        store.add_crl(Crl::from_pem_or_der(&bytes).unwrap());
    }
    let verify = |pdf: &[u8]| verify_pdf(pdf, &store, SystemTime::now());
    let doc = eseal::pdf::Document::parse(&pdf).unwrap();
    assert_eq!(doc.sections.len(), 2);
    let num = doc.trailer(1).int(b"Size").unwrap() as u32;

    let table = "xref\n{num} 1\n{info} 00000 n\r\ntrailer\n<</Size 999/Root {root}/Info {num} 0 R/Prev {prev}>>\n";
    let intact = info_update(&pdf, num, table, "{xref}");
    let report = verify(&intact).unwrap();
    let s = &report.signatures[0];
    assert_eq!(
        (s.indication, s.reasons.as_slice()),
        (Indication::TotalPassed, &[][..]),
        "{:?}",
        s.reasons
    );
    assert_eq!(s.modification.map(|m| m.as_str()), Some("NONE"));

    let stream = "999 0 obj\n<</Type/XRef/Size 999/W[1 4 2]/Index[{num} 2]/Root {root}/Prev {prev}/Length 7>>stream\n\x01\x00\x00\x00\x10\x00\x00\nendstream\nendobj\n";
    let broken = [
        (
            "a wrong startxref",
            info_update(&pdf, num, table, "{xref}7"),
        ),
        (
            "a garbage table",
            info_update(
                &pdf,
                num,
                "xref\n{num} 1\nnot an entry at all\r\ntrailer\n<</Root {root}/Prev {prev}>>\n",
                "{xref}",
            ),
        ),
        (
            "a trailer that is no dictionary",
            info_update(
                &pdf,
                num,
                "xref\n{num} 1\n{info} 00000 n\r\ntrailer\n[/Root {root}]\n",
                "{xref}",
            ),
        ),
        (
            "a truncated xref stream",
            info_update(&pdf, num, stream, "{xref}"),
        ),
    ];
    for (what, file) in &broken {
        // eseal's reader alone refuses the file as it did; verification reads revision 2.
        assert!(eseal::pdf::Document::parse(file).is_err(), "{what}");
        let report = verify(file).unwrap();
        assert_eq!(report.signatures.len(), 1, "{what}");
        let s = &report.signatures[0];
        assert_eq!(
            (s.indication, s.sub_indication),
            (Indication::TotalFailed, Some(SubIndication::FormatFailure)),
            "{what}: {:?}",
            s.reasons
        );
        assert_eq!(
            s.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
            ["UNREADABLE_REVISION"],
            "{what}"
        );
        assert!(
            s.reasons[0]
                .to_string()
                .starts_with("revision 3 and any after it cannot be read"),
            "{what}: {}",
            s.reasons[0]
        );
        assert_eq!(
            s.coverage.map(|c| c.as_str()),
            Some("ENTIRE_REVISION"),
            "{what}"
        );
        // The CMS was verified: its signer is known.
        assert!(s.signer.is_some(), "{what}");
        // From a file on the command line: a verdict (exit 2), not an unreadable file (65).
        let path = dir.path().join("broken.pdf");
        std::fs::write(&path, file).unwrap();
        let cli = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .arg("verify")
            .arg(&path)
            .arg("--trust")
            .arg(h.join("pki/root.pem"))
            .output()
            .unwrap();
        assert_eq!(cli.status.code(), Some(2), "{what}: {cli:?}");
    }

    // An intact update chained to the broken one: revision 3 and 4 cannot be read.
    let (_, garbage) = &broken[1];
    let mut chained = garbage.clone();
    let xref3 = memchr::memmem::rfind(garbage, b"\nxref\n").unwrap() + 1;
    let object = garbage.len();
    chained.extend_from_slice(
        format!(
            "{} 0 obj\n<</Producer (another viewer)>>\nendobj\n",
            num + 1
        )
        .as_bytes(),
    );
    let xref4 = chained.len();
    let root = doc.trailer(1).reference(b"Root").unwrap();
    chained.extend_from_slice(
        format!(
            "xref\n{} 1\n{object:010} 00000 n\r\ntrailer\n<</Size 999/Root {} {} R/Prev {xref3}>>\nstartxref\n{xref4}\n%%EOF\n",
            num + 1,
            root.num,
            root.generation,
        )
        .as_bytes(),
    );
    let report = verify(&chained).unwrap();
    let s = &report.signatures[0];
    assert_eq!(
        s.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        ["UNREADABLE_REVISION"]
    );
    assert!(
        s.reasons[0].to_string().starts_with("revision 3 "),
        "{}",
        s.reasons[0]
    );

    // The only revision of the unsigned original, broken: unreadable as before.
    let plain = std::fs::read(h.join("work/plain.pdf")).unwrap();
    let at = memchr::memmem::rfind(&plain, b"startxref").unwrap();
    let mut broken_plain = plain[..at].to_vec();
    broken_plain.extend_from_slice(b"startxref\n7\n%%EOF\n");
    assert!(verify(&broken_plain).is_err());
}
