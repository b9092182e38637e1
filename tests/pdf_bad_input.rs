//! Hostile and broken PDFs: truncated, cyclic, huge, bombs and garbage each come back as
//! a clear `Error::Malformed` (or a report whose reason names the defect), never a panic
//! or a hang.

mod common;

use std::time::SystemTime;

use eseal::Error;
use eseal::crypto::Algorithm;
use eseal::pdf::verify_pdf;
use eseal::pki::TrustStore;

fn verify(bytes: &[u8]) -> eseal::Result<eseal::report::Report> {
    verify_pdf(bytes, &TrustStore::new(), SystemTime::now())
}

fn malformed_detail(result: eseal::Result<eseal::report::Report>) -> String {
    match result {
        Err(Error::Malformed { what, detail }) => format!("{what}: {detail}"),
        other => panic!("expected Error::Malformed, got {other:?}"),
    }
}

/// A classic PDF with the given objects (numbered from 1) and `/Root 1 0 R`.
fn pdf_with(objects: &[&str]) -> Vec<u8> {
    let objects: Vec<Vec<u8>> = objects.iter().map(|o| o.as_bytes().to_vec()).collect();
    eseal::pdf::sample::pdf_from_objects(&objects)
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

/// `pdf` with the first `from` replaced by `to`.
fn replace(pdf: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = find(pdf, from);
    [&pdf[..at], to, &pdf[at + from.len()..]].concat()
}

#[test]
fn every_truncation_of_a_sealed_pdf_is_an_error_or_a_failed_report() {
    let office = common::PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let sealed = office.sealed_pdf();
    let store = office.hierarchy.store();
    let step = (sealed.len() / 1500).max(1);
    for len in (0..sealed.len()).step_by(step) {
        match verify_pdf(&sealed[..len], &store, SystemTime::now()) {
            Err(Error::Malformed { .. }) => {}
            Err(other) => panic!("truncated at {len}: unexpected error kind {other:?}"),
            Ok(report) => assert!(
                report
                    .signatures
                    .iter()
                    .all(|s| s.indication != eseal::report::Indication::TotalPassed),
                "truncated at {len} still passes"
            ),
        }
    }
}

#[test]
fn garbage_and_empty_input_are_malformed() {
    assert!(malformed_detail(verify(b"")).contains("%PDF-"));
    assert!(malformed_detail(verify(&[0xffu8; 4096])).contains("%PDF-"));
    assert!(malformed_detail(verify(b"%PDF-1.7\nhello")).contains("startxref"));
}

#[test]
fn a_prev_loop_is_reported() {
    let mut pdf = pdf_with(&[
        "<</Type/Catalog/Pages 2 0 R>>",
        "<</Type/Pages/Kids[]/Count 0>>",
    ]);
    let xref = find(&pdf, b"xref\n0");
    pdf = replace(
        &pdf,
        b"/Root 1 0 R>>",
        format!("/Root 1 0 R/Prev {xref}>>").as_bytes(),
    );
    assert!(malformed_detail(verify(&pdf)).contains("loops"));
}

#[test]
fn a_cyclic_page_tree_and_form_tree_end() {
    let pdf = pdf_with(&[
        "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[3 0 R]>>>>",
        "<</Type/Pages/Kids[2 0 R]/Count 1>>",
        "<</FT/Sig/T(a)/Kids[3 0 R]>>",
    ]);
    let report = verify(&pdf).unwrap();
    assert!(report.signatures.is_empty());
    let doc = eseal::pdf::Document::parse(&pdf).unwrap();
    let err = doc.pages(doc.latest()).unwrap_err();
    assert!(err.to_string().contains("cyclic"), "{err}");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("<</Type/Catalog/X {}>>", "[".repeat(200_000));
    let pdf = pdf_with(&[&deep]);
    let doc = eseal::pdf::Document::parse(&pdf).unwrap();
    let err = doc.catalog(doc.latest()).unwrap_err();
    assert!(err.to_string().contains("nested too deeply"), "{err}");
}

#[test]
fn a_deflate_bomb_in_an_object_stream_is_cut_off() {
    // 256 MiB of zeros compress to a quarter of a megabyte; the reader stops at its 64 MiB
    // limit.
    let zeros = vec![0u8; 256 << 20];
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 10);
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let stream_at = pdf.len();
    pdf.extend_from_slice(
        format!(
            "1 0 obj\n<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length {}>>\nstream\n",
            bomb.len()
        )
        .as_bytes(),
    );
    pdf.extend_from_slice(&bomb);
    pdf.extend_from_slice(b"\nendstream\nendobj\n");
    let xref_at = pdf.len();
    let mut rows = Vec::new();
    rows.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0]);
    rows.extend_from_slice(&[1, 0, 0, 0, stream_at as u8, 0, 0]);
    rows.extend_from_slice(&[2, 0, 0, 0, 1, 0, 0]);
    rows.extend_from_slice(&[1]);
    rows.extend_from_slice(&(xref_at as u32).to_be_bytes());
    rows.extend_from_slice(&[0, 0]);
    pdf.extend_from_slice(
        format!(
            "3 0 obj\n<</Type/XRef/Size 4/W[1 4 2]/Root 2 0 R/Length {}>>\nstream\n",
            rows.len()
        )
        .as_bytes(),
    );
    pdf.extend_from_slice(&rows);
    pdf.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    let detail = malformed_detail(verify(&pdf));
    assert!(detail.contains("limit"), "{detail}");
}

#[test]
fn huge_xref_claims_are_refused() {
    let pdf = b"%PDF-1.7\nxref\n0 999999999\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n";
    let detail = malformed_detail(verify(pdf));
    assert!(detail.contains("too large"), "{detail}");
}

#[test]
fn an_object_that_is_not_where_the_xref_says_is_malformed() {
    let mut pdf = pdf_with(&[
        "<</Type/Catalog/Pages 2 0 R>>",
        "<</Type/Pages/Kids[]/Count 0>>",
    ]);
    pdf = replace(&pdf, b"1 0 obj", b"7 0 obj");
    let detail = malformed_detail(verify(&pdf));
    assert!(detail.contains("holds object 7"), "{detail}");
}
