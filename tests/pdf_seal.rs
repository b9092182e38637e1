//! Sealing PDFs and verifying them: round trips, several seals, certification, and what
//! eseal's verifier reports for each.

mod common;

use std::time::SystemTime;

use common::PdfOffice;
use eseal::crypto::Algorithm;
use eseal::pdf::{DocMdp, Placement, SubFilter, seal_pdf, verify_pdf};
use eseal::report::{Indication, SubIndication};

fn codes(report: &eseal::report::SignatureReport) -> Vec<&'static str> {
    report.reasons.iter().map(|r| r.code()).collect()
}

#[test]
fn a_sealed_pdf_keeps_its_original_bytes_and_verifies() {
    for algorithm in [Algorithm::EcdsaP256Sha256, Algorithm::Sm2Sm3] {
        let office = PdfOffice::new(algorithm);
        let original = eseal::pdf::sample::plain_pdf(&["Hello"], 0);
        let sealed = seal_pdf(
            original.clone(),
            &office.options([300.0, 80.0, 413.4, 193.4]),
        )
        .unwrap();
        assert_eq!(
            &sealed[..original.len()],
            &original[..],
            "incremental update only"
        );
        let report = verify_pdf(&sealed, &office.hierarchy.store(), SystemTime::now()).unwrap();
        assert_eq!(report.signatures.len(), 1);
        let s = &report.signatures[0];
        assert_eq!(
            s.indication,
            Indication::TotalPassed,
            "{algorithm}: {:?}",
            s.reasons
        );
        assert_eq!(s.coverage.map(|c| c.as_str()), Some("ENTIRE_FILE"));
        assert_eq!(s.modification.map(|m| m.as_str()), Some("NONE"));
        assert_eq!(
            s.seal.as_deref(),
            Some("某某市市场监督管理局电子证照专用章")
        );
        assert_eq!(s.field.as_deref(), Some("Seal1"));
        assert_eq!(s.signer.as_deref(), Some(office.signer.subject()));
    }
}

#[test]
fn an_untrusted_signer_is_indeterminate_with_no_chain() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let sealed = office.sealed_pdf();
    let report = verify_pdf(&sealed, &eseal::pki::TrustStore::new(), SystemTime::now()).unwrap();
    let s = &report.signatures[0];
    assert_eq!(s.indication, Indication::Indeterminate);
    assert_eq!(
        s.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
}

#[test]
fn a_second_seal_keeps_the_first_valid() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let once = office.sealed_pdf();
    let twice = seal_pdf(once.clone(), &office.options([100.0, 80.0, 213.4, 193.4])).unwrap();
    assert_eq!(&twice[..once.len()], &once[..]);
    let report = verify_pdf(&twice, &office.hierarchy.store(), SystemTime::now()).unwrap();
    assert_eq!(report.signatures.len(), 2);
    let (first, second) = (&report.signatures[0], &report.signatures[1]);
    assert_eq!(
        first.indication,
        Indication::TotalPassed,
        "{:?}",
        first.reasons
    );
    assert_eq!(first.coverage.map(|c| c.as_str()), Some("ENTIRE_REVISION"));
    assert_eq!(first.modification.map(|m| m.as_str()), Some("FORM_FILLING"));
    assert!(
        first
            .changes
            .iter()
            .any(|c| c.contains("new signature field \"Seal2\"")),
        "{:?}",
        first.changes
    );
    assert_eq!(second.field.as_deref(), Some("Seal2"));
    assert_eq!(second.indication, Indication::TotalPassed);
}

#[test]
fn certification_p1_forbids_a_later_seal_and_p2_allows_it() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    for (p, allowed) in [(DocMdp::NoChanges, false), (DocMdp::FormFilling, true)] {
        let mut options = office.options([300.0, 80.0, 413.4, 193.4]);
        options.certify = Some(p);
        let certified = seal_pdf(eseal::pdf::sample::plain_pdf(&["x"], 0), &options).unwrap();
        let twice = seal_pdf(certified, &office.options([100.0, 80.0, 213.4, 193.4])).unwrap();
        let report = verify_pdf(&twice, &office.hierarchy.store(), SystemTime::now()).unwrap();
        let first = &report.signatures[0];
        if allowed {
            assert_eq!(
                first.indication,
                Indication::TotalPassed,
                "{:?}",
                first.reasons
            );
        } else {
            assert_eq!(first.indication, Indication::TotalFailed);
            assert_eq!(codes(first), ["DISALLOWED_MODIFICATION"]);
        }
    }
}

#[test]
fn certifying_an_already_signed_document_is_refused() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let mut options = office.options([100.0, 80.0, 213.4, 193.4]);
    options.certify = Some(DocMdp::FormFilling);
    let err = seal_pdf(office.sealed_pdf(), &options).unwrap_err();
    assert!(err.to_string().contains("first signature"), "{err}");
}

#[test]
fn a_signer_outside_the_seals_cert_list_cannot_seal() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let (key, stranger) = office
        .hierarchy
        .leaf(eseal::pki::Profile::Signer, "not listed", -1, 30);
    let mut options = eseal::pdf::PdfSealOptions::new(&key, &stranger);
    options.seal = Some(&office.seal);
    let err = seal_pdf(eseal::pdf::sample::plain_pdf(&["x"], 0), &options).unwrap_err();
    assert!(err.to_string().contains("certList"), "{err}");
}

#[test]
fn pkcs7_and_invisible_signatures_verify() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let mut options = office.options([0.0; 4]);
    options.placement = Placement::Invisible;
    options.sub_filter = SubFilter::Pkcs7Detached;
    options.seal = None;
    let sealed = seal_pdf(eseal::pdf::sample::plain_pdf(&["x"], 0), &options).unwrap();
    let report = verify_pdf(&sealed, &office.hierarchy.store(), SystemTime::now()).unwrap();
    assert_eq!(
        report.signatures[0].indication,
        Indication::TotalPassed,
        "{:?}",
        report.signatures[0].reasons
    );
}

#[test]
fn expired_and_revoked_signers_are_reported() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let sealed = office.sealed_pdf();
    let later = common::days_from_now(400);
    let report = verify_pdf(&sealed, &office.hierarchy.store(), later).unwrap();
    let s = &report.signatures[0];
    assert_eq!(s.indication, Indication::Indeterminate);
    assert_eq!(s.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
}

#[test]
fn on_a_rotated_page_the_rectangle_is_taken_as_displayed_and_the_seal_stands_upright() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let plain = eseal::pdf::sample::plain_pdf(&["rotated"], 0);
    let rotated = String::from_utf8_lossy(&plain)
        .replacen(
            "/Type/Page/Parent 2 0 R",
            "/Type/Page/Rotate 90/Parent 2 0 R",
            1,
        )
        .into_bytes();
    // The objects after the page moved: write the xref anew.
    let doc_bytes = fix_xref(&rotated);
    // Displayed page: 842 wide, 595 high; a 100 × 50 box 10 pt from the displayed origin.
    let sealed = seal_pdf(doc_bytes, &office.options([10.0, 20.0, 110.0, 70.0])).unwrap();
    let doc = eseal::pdf::Document::parse(&sealed).unwrap();
    let rev = doc.latest();
    let widget = doc
        .sections
        .last()
        .unwrap()
        .entries
        .keys()
        .map(|n| {
            doc.get(
                eseal::pdf::ObjRef {
                    num: *n,
                    generation: 0,
                },
                rev,
            )
            .unwrap()
        })
        .find(|o| {
            o.as_dict()
                .is_some_and(|d| d.name(b"Subtype") == Some(b"Widget"))
        })
        .unwrap();
    let rect: Vec<f64> = widget
        .as_dict()
        .unwrap()
        .get(b"Rect")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_number().unwrap())
        .collect();
    // Rotate 90: displayed (u, v) is user (595 - v, u).
    assert_eq!(rect, [525.0, 10.0, 575.0, 110.0]);
    let report = verify_pdf(&sealed, &office.hierarchy.store(), SystemTime::now()).unwrap();
    assert_eq!(report.signatures[0].indication, Indication::TotalPassed);
}

/// Rebuilds the classic xref of a one-section PDF after its objects moved.
fn fix_xref(pdf: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pdf).into_owned();
    let xref_at = text.rfind("xref\n").unwrap();
    let mut out = text[..xref_at].to_string();
    let mut offsets = Vec::new();
    let mut n = 1;
    while let Some(at) = out.find(&format!("\n{n} 0 obj\n")) {
        offsets.push(at + 1);
        n += 1;
    }
    let xref = out.len();
    out.push_str(&format!("xref\n0 {n}\n0000000000 65535 f\r\n"));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n\r\n"));
    }
    out.push_str(&format!(
        "trailer\n<</Size {n}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n"
    ));
    out.into_bytes()
}

/// `office`'s signer seals with a seal whose picture is `picture` (type, bytes).
fn seal_with_picture(office: &PdfOffice, kind: &str, data: Vec<u8>) -> Vec<u8> {
    use eseal::seal::{CertList, PictureInfo, SealRequest, make_seal};
    let (maker_key, maker) =
        office
            .hierarchy
            .leaf(eseal::pki::Profile::SealMaker, "制章人", -1, 30);
    let seal = make_seal(
        &SealRequest {
            vendor: "eseal".into(),
            es_id: "picture".into(),
            seal_type: 1,
            name: format!("{kind} seal"),
            cert_list: CertList::Certificates(vec![office.signer.der().to_vec()]),
            created: common::days_from_now(-1),
            valid_start: common::days_from_now(-1),
            valid_end: common::days_from_now(30),
            picture: PictureInfo {
                picture_type: kind.into(),
                data,
                width_mm: 30,
                height_mm: 30,
            },
            ext_datas: Vec::new(),
        },
        &maker,
        &maker_key,
    )
    .unwrap();
    let mut options = office.options([300.0, 80.0, 385.0, 165.0]);
    options.seal = Some(&seal);
    let sealed = seal_pdf(eseal::pdf::sample::plain_pdf(&["x"], 0), &options).unwrap();
    let report = verify_pdf(&sealed, &office.hierarchy.store(), SystemTime::now()).unwrap();
    assert_eq!(
        report.signatures[0].indication,
        Indication::TotalPassed,
        "{kind}"
    );
    sealed
}

#[test]
fn gif_and_jpeg_seal_pictures_are_drawn() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    // The GIF picture of the ofdrw vendor seal in ../shared/vectors/ses.
    let vendor = eseal::seal::Seal::from_der(
        &std::fs::read("../shared/vectors/ses/SESealData.DER").unwrap(),
    )
    .unwrap();
    assert_eq!(vendor.picture.picture_type, "GIF");
    let sealed = seal_with_picture(&office, "GIF", vendor.picture.data.clone());
    assert!(contains(&sealed, b"/ColorSpace /DeviceRGB"));

    let mut jpeg = Vec::new();
    let red: Vec<u8> = (0..64 * 64).flat_map(|_| [200u8, 20, 20]).collect();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(&red, 64, 64, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let sealed = seal_with_picture(&office, "JPG", jpeg.clone());
    assert!(contains(&sealed, b"/Filter /DCTDecode"));
    assert!(contains(&sealed, &jpeg), "the JPEG is embedded as it is");

    let mut options = office.options([300.0, 80.0, 385.0, 165.0]);
    let mut svg_seal = office.seal.clone();
    svg_seal.picture.picture_type = "SVG".into();
    options.seal = Some(&svg_seal);
    let err = seal_pdf(eseal::pdf::sample::plain_pdf(&["x"], 0), &options).unwrap_err();
    assert!(err.to_string().contains("PNG, GIF and JPEG"), "{err}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
