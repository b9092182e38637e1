//! Hostile and broken OFD packages: zip bombs, unsafe or duplicate names, truncation, huge
//! or malformed XML and a missing OFD.xml each come back as a clear error naming the
//! problem (or a report whose reason names it), never a panic.

use std::io::{Cursor, Write};
use std::time::SystemTime;

use eseal::Error;
use eseal::ofd::{Package, VerifyOptions, verify_ofd, write_package};
use eseal::pki::TrustStore;
use eseal::report::{Indication, SubIndication};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const OFD_XML: &[u8] = b"<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:DocBody>\
    <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>\
    <ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>";
const DOCUMENT_XML: &[u8] = b"<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\">\
    <ofd:Pages><ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages></ofd:Document>";
const SIGNATURES_XML: &[u8] = b"<ofd:Signatures xmlns:ofd=\"http://www.ofdspec.org/2016\">\
    <ofd:Signature ID=\"1\" BaseLoc=\"Sign_0/Signature.xml\"/></ofd:Signatures>";

/// A ZIP written by the zip crate as given, without eseal's name checks.
fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A ZIP with one deflated entry of `size` zero bytes, written 1 MiB at a time.
fn zeros_zip(size: usize) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(size as u64 >= u32::MAX as u64);
    writer.start_file("Doc_0/Res/bomb.bin", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() {
        writer.write_all(&chunk).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn error_text<T: std::fmt::Debug>(result: eseal::Result<T>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn verify(bytes: Vec<u8>) -> eseal::Result<eseal::report::Report> {
    let package = Package::read(bytes)?;
    verify_ofd(
        &package,
        &TrustStore::new(),
        SystemTime::now(),
        &VerifyOptions::default(),
    )
}

#[test]
fn zip_bombs_are_refused_before_inflating() {
    // 300 MiB of zeros in about 300 KiB: over the entry size limit.
    let bomb = zeros_zip(300 << 20);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    match Package::read(bomb) {
        Err(Error::TooLarge { what, size, limit }) => {
            assert_eq!(what, "OFD package entry");
            assert_eq!(size, 300 << 20);
            assert_eq!(limit, 256 << 20);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // 64 MiB of zeros: within the size limit, but a ratio no document has.
    let text = error_text(Package::read(zeros_zip(64 << 20)));
    assert!(
        text.contains("Doc_0/Res/bomb.bin would expand") && text.contains("a ratio over 200"),
        "{text}"
    );
}

#[test]
fn unsafe_names_are_refused() {
    for name in [
        "../evil",
        "Doc_0/../../evil",
        "a\\b",
        "/abs//x",
        "./OFD.xml",
    ] {
        let zip = raw_zip(&[("OFD.xml", OFD_XML), (name, b"x")]);
        let text = error_text(Package::read(zip));
        assert!(text.contains("unsafe entry name"), "{name}: {text}");
    }
}

#[test]
fn duplicate_names_are_refused() {
    let zip = raw_zip(&[("OFD.xml", OFD_XML), ("OFD.xmm", b"<evil/>")]);
    let mut bytes = zip.clone();
    let from = b"OFD.xmm";
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(b"OFD.xml");
        }
        i += 1;
    }
    assert_ne!(bytes, zip);
    let text = error_text(Package::read(bytes));
    assert!(text.contains("names a file twice"), "{text}");
}

#[test]
fn truncated_and_garbage_packages_are_refused() {
    let zip = write_package(&[("OFD.xml", OFD_XML), ("Doc_0/Document.xml", DOCUMENT_XML)]).unwrap();
    for cut in [0, 4, 30, zip.len() / 2, zip.len() - 1] {
        let text = error_text(Package::read(zip[..cut].to_vec()));
        assert!(text.starts_with("malformed OFD package"), "{cut}: {text}");
    }
    let text = error_text(Package::read(b"PK\x03\x04 not really a zip".to_vec()));
    assert!(text.starts_with("malformed OFD package"), "{text}");
}

#[test]
fn missing_ofd_xml_is_named() {
    let zip = write_package(&[("Doc_0/Document.xml", DOCUMENT_XML)]).unwrap();
    let text = error_text(verify(zip));
    assert_eq!(
        text,
        "malformed OFD package: no OFD.xml at the package root"
    );
}

#[test]
fn huge_xml_is_refused() {
    let deep = format!(
        "<ofd:OFD>{}",
        "<ofd:DocBody>".repeat(eseal::ofd::xml::MAX_DEPTH + 1)
    );
    let zip = write_package(&[("OFD.xml", deep.as_bytes())]).unwrap();
    let text = error_text(verify(zip));
    assert!(
        text.contains("/OFD.xml: elements nested deeper than 64"),
        "{text}"
    );
    // Two million elements (the limit is 200,000).
    let mut many = String::from("<ofd:OFD>");
    many.push_str(&"<a/>".repeat(2_000_000));
    many.push_str("</ofd:OFD>");
    let text = error_text(eseal::ofd::xml::parse_ofd_xml(many.as_bytes()));
    assert!(
        text.contains("/OFD.xml: more than 200000 elements"),
        "{text}"
    );
}

#[test]
fn malformed_xml_is_named() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"<ofd:OFD><ofd:DocBody>",
            "/OFD.xml: the file ends inside an element",
        ),
        (b"<ofd:OFD></ofd:DocBody>", "/OFD.xml"),
        (b"<ofd:Document/>", "the root element is Document, not OFD"),
        (b"<ofd:OFD/>", "/OFD.xml: no DocBody"),
        (
            b"<ofd:OFD><ofd:DocBody><ofd:DocRoot>../x</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
            "unsafe path \"../x\"",
        ),
    ];
    for (xml, expected) in cases {
        let zip = write_package(&[("OFD.xml", xml)]).unwrap();
        let text = error_text(verify(zip));
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let zip = write_package(&[
        ("OFD.xml", OFD_XML),
        ("Doc_0/Document.xml", DOCUMENT_XML),
        (
            "Doc_0/Signs/Signatures.xml",
            b"<ofd:Signatures><ofd:Signature/>",
        ),
    ])
    .unwrap();
    let text = error_text(verify(zip));
    assert!(text.contains("/Doc_0/Signs/Signatures.xml"), "{text}");
}

#[test]
fn broken_signature_files_are_reasons() {
    let zip = write_package(&[
        ("OFD.xml", OFD_XML),
        ("Doc_0/Document.xml", DOCUMENT_XML),
        ("Doc_0/Signs/Signatures.xml", SIGNATURES_XML),
        (
            "Doc_0/Signs/Sign_0/Signature.xml",
            b"<ofd:Signature><ofd:SignedInfo>",
        ),
    ])
    .unwrap();
    let report = verify(zip).unwrap();
    let s = &report.signatures[0];
    assert_eq!(
        (s.indication, s.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::FormatFailure))
    );
    assert_eq!(s.reasons[0].code(), "MALFORMED");
    assert!(
        s.reasons[0]
            .to_string()
            .contains("/Doc_0/Signs/Sign_0/Signature.xml"),
        "{}",
        s.reasons[0]
    );
    // A listed signature whose files are missing, and a SignedValue.dat of garbage.
    let signature_xml = b"<ofd:Signature><ofd:SignedInfo><ofd:References CheckMethod=\"MD5\">\
        <ofd:Reference FileRef=\"/OFD.xml\"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference>\
        </ofd:References><ofd:StampAnnot ID=\"7\" PageRef=\"2\" Boundary=\"0 0 1 1\"/>\
        </ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>";
    let zip = write_package(&[
        ("OFD.xml", OFD_XML),
        ("Doc_0/Document.xml", DOCUMENT_XML),
        ("Doc_0/Signs/Signatures.xml", SIGNATURES_XML),
        ("Doc_0/Signs/Sign_0/Signature.xml", signature_xml),
        ("Doc_0/Signs/Sign_0/SignedValue.dat", b"garbage"),
    ])
    .unwrap();
    let report = verify(zip).unwrap();
    let codes: Vec<&str> = report.signatures[0]
        .reasons
        .iter()
        .map(|r| r.code())
        .collect();
    assert_eq!(
        codes,
        [
            "MALFORMED",
            "STAMP_PAGE_MISSING",
            "UNSUPPORTED_DIGEST",
            "UNPROTECTED_FILE"
        ]
    );
}

#[test]
fn many_signatures_or_unprotected_files_stay_bounded() {
    let mut list = String::from("<ofd:Signatures>");
    for i in 0..=eseal::ofd::verify::MAX_SIGNATURES {
        list.push_str(&format!(
            "<ofd:Signature ID=\"{i}\" BaseLoc=\"Sign_{i}/Signature.xml\"/>"
        ));
    }
    list.push_str("</ofd:Signatures>");
    let zip = write_package(&[
        ("OFD.xml", OFD_XML),
        ("Doc_0/Document.xml", DOCUMENT_XML),
        ("Doc_0/Signs/Signatures.xml", list.as_bytes()),
    ])
    .unwrap();
    assert_eq!(
        error_text(verify(zip)),
        "malformed OFD package: more than 1000 signatures"
    );

    let signature_xml = b"<ofd:Signature><ofd:SignedInfo><ofd:References CheckMethod=\"SM3\"/>\
        </ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>";
    let names: Vec<String> = (0..150).map(|i| format!("Doc_0/Res/{i}.png")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("OFD.xml", OFD_XML),
        ("Doc_0/Signs/Signatures.xml", SIGNATURES_XML),
        ("Doc_0/Signs/Sign_0/Signature.xml", signature_xml),
    ];
    entries.extend(names.iter().map(|n| (n.as_str(), &b"x"[..])));
    let report = verify(write_package(&entries).unwrap()).unwrap();
    let s = &report.signatures[0];
    let unprotected = s
        .reasons
        .iter()
        .filter(|r| r.code() == "UNPROTECTED_FILE")
        .count();
    assert_eq!(unprotected, eseal::ofd::verify::MAX_UNPROTECTED_REPORTED);
    assert!(
        s.warnings
            .iter()
            .any(|w| w == "51 more files are not protected by the signature"),
        "{:?}",
        s.warnings
    );
    // The missing SignedValue.dat is named too.
    assert_eq!(s.reasons[0].code(), "REFERENCED_FILE_MISSING");
}
