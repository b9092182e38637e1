//! Incremental updates that other tools write after a signature, made with pyHanko (the
//! interop harness's venv, through tests/python/pdf_updates.py), and eseal's verdict on
//! each (PDF.md §2a): form filling under a DocMDP whose `/Reference` has `/Data`,
//! annotations drawn over the signed page, and long-term-validation updates.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use common::interop_harness as harness;
use eseal::crypto::SoftwareKey;
use eseal::pdf::{PdfSealOptions, Placement, seal_pdf, verify_pdf};
use eseal::pki::{TrustStore, read_certificates};
use eseal::report::{Indication, SignatureReport, SubIndication};

/// The files of one test: each step of pdf_updates.py writes the next one.
struct Steps {
    h: PathBuf,
    dir: tempfile::TempDir,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            h: harness(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `step` on the file `input` (a name in the folder), writing `output`.
    fn run(&self, step: &str, input: &str, output: &str, arg: Option<&str>) -> Vec<u8> {
        let script = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .join("tests/python/pdf_updates.py");
        let out = Command::new(self.h.join("venv/bin/python"))
            .args(["-W", "ignore"])
            .arg(script)
            .arg(&self.h)
            .arg(step)
            .arg(self.path(input))
            .arg(self.path(output))
            .args(arg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pdf_updates.py {step}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(self.path(output)).unwrap()
    }

    /// eseal's report on `pdf`, with the harness root as the only anchor.
    fn verify(&self, pdf: &[u8]) -> Vec<SignatureReport> {
        let mut store = TrustStore::new();
        store
            .add_anchors_from(&std::fs::read(self.h.join("pki/root.pem")).unwrap())
            .unwrap();
        verify_pdf(pdf, &store, SystemTime::now())
            .unwrap()
            .signatures
    }

    /// The exit code of `eseal verify` on the file `name`.
    fn exit_code(&self, name: &str) -> i32 {
        Command::new(env!("CARGO_BIN_EXE_eseal"))
            .arg("verify")
            .arg(self.path(name))
            .arg("--trust")
            .arg(self.h.join("pki/root.pem"))
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    }
}

fn codes(s: &SignatureReport) -> Vec<&'static str> {
    s.reasons.iter().map(|r| r.code()).collect()
}

#[track_caller]
fn assert_passed(s: &SignatureReport, level: &str) {
    assert_eq!(
        (s.indication, s.sub_indication, codes(s).as_slice()),
        (Indication::TotalPassed, None, &[][..]),
        "{:#?}\n{:#?}",
        s.reasons,
        s.changes
    );
    assert_eq!(
        s.modification.map(|m| m.as_str()),
        Some(level),
        "{:#?}",
        s.changes
    );
}

#[track_caller]
fn assert_has_change(s: &SignatureReport, what: &str) {
    assert!(
        s.changes.iter().any(|c| c == what),
        "no change {what:?} in {:#?}",
        s.changes
    );
}

// Class 3: a certification signature whose /Reference carries /Data (pyHanko writes it in
// the FieldMDP entry of a certification signature that locks fields), then form filling.
#[test]
fn form_filling_after_a_certification_with_data_in_its_reference() {
    let s = Steps::new();
    s.run("base", "-", "base.pdf", None);
    let filled = r#"revision 3: form field "amount" /V (100 EUR) -> (9,999 EUR) on page 1 [300 600 500 620] (FORM_FILLING)"#;
    for p in ["2", "3"] {
        let certified = s.run("certify", "base.pdf", &format!("cert{p}.pdf"), Some(p));
        assert!(
            certified.windows(12).any(|w| w == b"/Data 1 0 R\n"),
            "pyHanko's /Reference points at the catalog"
        );
        let pdf = s.run(
            "fill",
            &format!("cert{p}.pdf"),
            "filled.pdf",
            Some("9,999 EUR"),
        );
        let report = s.verify(&pdf);
        assert_eq!(report.len(), 1);
        assert_passed(&report[0], "FORM_FILLING");
        assert_has_change(&report[0], filled);
        assert_eq!(s.exit_code("filled.pdf"), 0);
    }

    // P=1 forbids the same filling.
    s.run("certify", "base.pdf", "cert1.pdf", Some("1"));
    let pdf = s.run("fill", "cert1.pdf", "filled1.pdf", Some("9,999 EUR"));
    let report = s.verify(&pdf);
    let c = &report[0];
    assert_eq!(
        (c.indication, c.sub_indication, codes(c).as_slice()),
        (
            Indication::TotalFailed,
            Some(SubIndication::FormatFailure),
            &["DISALLOWED_MODIFICATION"][..]
        )
    );
    assert_eq!(c.modification.map(|m| m.as_str()), Some("FORM_FILLING"));
    assert_eq!(
        c.reasons[0].to_string(),
        r#"revision 3 made changes the signature does not allow: form field "amount" /V (100 EUR) -> (9,999 EUR) on page 1 [300 600 500 620]; form field "amount" /AP"#
    );
    assert_eq!(s.exit_code("filled1.pdf"), 2);
}

// Class 6: an annotation that draws over the page after an approval signature.
#[test]
fn annotations_over_the_page_after_an_approval_signature() {
    let s = Steps::new();
    s.run("base", "-", "base.pdf", None);
    s.run("sign", "base.pdf", "signed.pdf", None);
    for subtype in ["Square", "FreeText", "Text"] {
        let pdf = s.run("annotate", "signed.pdf", "covered.pdf", Some(subtype));
        let report = s.verify(&pdf);
        let a = &report[0];
        assert_eq!(
            (a.indication, a.sub_indication, codes(a).as_slice()),
            (
                Indication::Indeterminate,
                Some(SubIndication::SigConstraintsFailure),
                &["ANNOTATION_OVER_CONTENT"][..]
            ),
            "{subtype}"
        );
        assert_eq!(a.modification.map(|m| m.as_str()), Some("ANNOTATIONS"));
        assert_eq!(
            a.reasons[0].to_string(),
            format!(
                "revision 3 added annotations that can cover the signed page content; look at \
                 them before relying on the page: /{subtype} annotation 14 0 added on page 1 \
                 [70 714 370 738]"
            )
        );
        assert_eq!(s.exit_code("covered.pdf"), 1, "{subtype}");
    }

    // A sticky note without an appearance (an icon, not a cover) and a new signature stay
    // as they were.
    let pdf = s.run("annotate-bare", "signed.pdf", "note.pdf", None);
    let report = s.verify(&pdf);
    assert_passed(&report[0], "ANNOTATIONS");
    assert_has_change(
        &report[0],
        "revision 3: /Text annotation 13 0 added on page 1 [400 700 420 720] (ANNOTATIONS)",
    );
    let pdf = s.run("sign", "signed.pdf", "twice.pdf", Some("Second"));
    let report = s.verify(&pdf);
    assert_eq!(report.len(), 2);
    assert_passed(&report[0], "FORM_FILLING");
    assert_passed(&report[1], "NONE");

    // A certification with P=3 permits annotations (ISO 32000-1 Table 254): listed, passed;
    // P=2 does not.
    s.run("certify", "base.pdf", "cert3.pdf", Some("3"));
    let pdf = s.run("annotate", "cert3.pdf", "covered3.pdf", Some("Square"));
    let report = s.verify(&pdf);
    assert_passed(&report[0], "ANNOTATIONS");
    s.run("certify", "base.pdf", "cert2.pdf", Some("2"));
    let pdf = s.run("annotate", "cert2.pdf", "covered2.pdf", Some("Square"));
    let report = s.verify(&pdf);
    assert_eq!(codes(&report[0]), ["DISALLOWED_MODIFICATION"]);
    assert_eq!(report[0].indication, Indication::TotalFailed);
}

// Class 4: long-term-validation updates and what other writers leave behind.
#[test]
fn ltv_updates_and_harmless_entries_by_other_writers() {
    let s = Steps::new();
    s.run("base", "-", "base.pdf", None);
    s.run("sign", "base.pdf", "signed.pdf", None);

    // A /DSS with indirect /Certs, /CRLs and /VRI, appended to by a second update.
    s.run("dss-indirect", "signed.pdf", "dss1.pdf", None);
    let pdf = s.run("dss-append", "dss1.pdf", "dss2.pdf", None);
    let report = s.verify(&pdf);
    assert_passed(&report[0], "LTA_UPDATES");
    assert_has_change(
        &report[0],
        "revision 4: DSS array 16 0 extended (LTA_UPDATES)",
    );
    assert_has_change(&report[0], "revision 4: DSS object 18 0 (LTA_UPDATES)");

    // The catalog written again as a new object with a /DSS: compared by value.
    let pdf = s.run("new-catalog", "signed.pdf", "catalog.pdf", None);
    let report = s.verify(&pdf);
    assert_passed(&report[0], "LTA_UPDATES");
    assert_has_change(
        &report[0],
        "revision 3: catalog /DSS (in a new catalog object 15 0) (LTA_UPDATES)",
    );
    // ... but not with anything else changed in it.
    let pdf = s.run(
        "new-catalog",
        "signed.pdf",
        "catalog2.pdf",
        Some("OpenAction"),
    );
    let report = s.verify(&pdf);
    assert_eq!(codes(&report[0]), ["DISALLOWED_MODIFICATION"]);
    assert_eq!(
        report[0].reasons[0].to_string(),
        "revision 3 made changes the signature does not allow: the trailer's /Root points at \
         another catalog"
    );

    // OpenPDF's /ITXT in the page tree, skipped as EU DSS skips it.
    let pdf = s.run("itxt", "signed.pdf", "itxt.pdf", None);
    let report = s.verify(&pdf);
    assert_passed(&report[0], "NONE");
    assert_has_change(
        &report[0],
        "revision 3: page tree node 2 0 /ITXT (viewer entry) (NONE)",
    );

    // An empty signature field nobody sees, as pyHanko judges it.
    let pdf = s.run("empty-field", "signed.pdf", "empty.pdf", None);
    let report = s.verify(&pdf);
    assert_passed(&report[0], "LTA_UPDATES");
    assert_has_change(
        &report[0],
        "revision 3: new empty invisible signature field \"Empty\" on page 1 [0 0 0 0] (LTA_UPDATES)",
    );

    // A LibreOffice hybrid PDF signed by pyHanko, then sealed by a writer that does not
    // repeat the trailer's /AdditionalStreams and /DocChecksum.
    s.run("hybrid", "-", "hybrid.pdf", None);
    let signed = s.run("sign", "hybrid.pdf", "hybrid-signed.pdf", None);
    let pem = std::fs::read_to_string(s.h.join("pki/ec-signer.key")).unwrap();
    let key = SoftwareKey::from_pem(&pem, None).unwrap();
    let cert = read_certificates(&std::fs::read(s.h.join("pki/ec-signer.pem")).unwrap())
        .unwrap()
        .remove(0);
    let chain =
        read_certificates(&std::fs::read(s.h.join("pki/intermediate.pem")).unwrap()).unwrap();
    let mut options = PdfSealOptions::new(&key, &cert);
    options.chain = &chain;
    options.placement = Placement::Invisible;
    let sealed = seal_pdf(signed, &options).unwrap();
    let report = s.verify(&sealed);
    assert_eq!(report.len(), 2);
    assert_passed(&report[0], "FORM_FILLING");
    assert_has_change(
        &report[0],
        "revision 3: trailer /AdditionalStreams dropped (hybrid PDF) (NONE)",
    );
    assert_passed(&report[1], "NONE");
    // Pointing it at another embedded document is a change.
    let pdf = s.run(
        "hybrid-swap",
        "hybrid-signed.pdf",
        "hybrid-swapped.pdf",
        None,
    );
    let report = s.verify(&pdf);
    assert_eq!(codes(&report[0]), ["DISALLOWED_MODIFICATION"]);
    assert_eq!(
        report[0].reasons[0].to_string(),
        "revision 3 made changes the signature does not allow: trailer /AdditionalStreams changed"
    );
}
