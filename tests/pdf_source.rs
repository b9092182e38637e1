//! PDF verification from a file or any other source read by offset gives the report that
//! verification of the same bytes in memory gives: on the pyHanko corpus, on eseal's own
//! documents (one and two seals, B-LTA, incremental updates, tampering) and on a file on
//! disk whose long stream's data, read only when needed, was modified.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use common::PdfOffice;
use eseal::cms::tsa::Authority;
use eseal::crypto::Algorithm;
use eseal::pdf::sample::{plain_pdf, stream};
use eseal::pdf::{
    Bytes, Document, Extent, ObjRef, Object, Source, ValidationData, add_document_timestamp,
    add_validation_data, seal_pdf, seal_pdf_file, verify_pdf, verify_pdf_file, verify_pdf_source,
};
use eseal::pki::{Profile, TrustStore};
use eseal::report::{Indication, Report, SubIndication};

const CORPUS: &str = "../shared/vectors/pdf/pyhanko";
const RECT: [f64; 4] = [350.0, 80.0, 463.4, 193.4];
/// The length of the never-drawn stream (object 6) of the documents sealed here: longer
/// than the 256 KiB beyond which a file's stream data is read only when asked for.
const PADDING: usize = 600 << 10;

/// Bytes in memory read through the [`Source`] interface with a 7-byte first window and
/// every stream's data over 16 bytes left in the source: every structure is parsed again
/// from growing windows, and nearly every stream is read only when asked for.
struct Tiny<'a>(&'a [u8]);

impl Source for Tiny<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn read_at(&self, offset: usize, buf: &mut [u8]) -> eseal::Result<()> {
        buf.copy_from_slice(&self.0[offset..offset + buf.len()]);
        Ok(())
    }

    fn window(&self) -> usize {
        7
    }

    fn defer_streams_over(&self) -> usize {
        16
    }
}

/// The in-memory verdict of `pdf`, asserted to be the verdict through [`Tiny`].
#[track_caller]
fn same_from_source(pdf: &[u8], store: &TrustStore, at: SystemTime) -> eseal::Result<Report> {
    let in_memory = verify_pdf(pdf, store, at);
    let from_source = verify_pdf_source(&Tiny(pdf), store, at);
    match (&in_memory, &from_source) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("in memory: {a:?}\nfrom the source: {b:?}"),
    }
    in_memory
}

fn codes(report: &Report) -> Vec<Vec<&'static str>> {
    report
        .signatures
        .iter()
        .map(|s| s.reasons.iter().map(|r| r.code()).collect())
        .collect()
}

fn verdicts(report: &Report) -> Vec<(Indication, Option<SubIndication>)> {
    report
        .signatures
        .iter()
        .map(|s| (s.indication, s.sub_indication))
        .collect()
}

/// The sample document with the long never-drawn stream, sealed once.
fn sealed(office: &PdfOffice) -> Vec<u8> {
    seal_pdf(
        plain_pdf(&["Business licence", "Sealed by the office"], PADDING),
        &office.options(RECT),
    )
    .unwrap()
}

/// Appends an incremental update redefining `objects` (number, body) with a classic xref
/// table and a trailer chained to the last revision.
fn append_update(pdf: &[u8], objects: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let doc = Document::parse(pdf).unwrap();
    let last = doc.latest();
    let root = doc.root_ref(last).unwrap();
    let prev = doc.sections[last].offset;
    let size = doc.trailer(last).int(b"Size").unwrap();
    let mut out = pdf.to_vec();
    let mut entries = Vec::new();
    for (num, body) in objects {
        entries.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, offset) in entries {
        out.extend_from_slice(format!("{num} 1\n{offset:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {size}/Root {} {} R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n",
            root.num, root.generation
        )
        .as_bytes(),
    );
    out
}

/// The offset of the data of the long stream (object 6) in `pdf`.
fn padding_offset(pdf: &[u8]) -> usize {
    let at = pdf
        .windows(8)
        .position(|w| w == b"6 0 obj\n")
        .expect("object 6");
    at + pdf[at..].windows(7).position(|w| w == b"stream\n").unwrap() + 7
}

#[test]
fn the_pyhanko_corpus_reads_the_same_from_a_source() {
    let table = std::fs::read_to_string(Path::new(CORPUS).join("REFERENCE_VERDICTS.tsv"))
        .expect("the reference verdicts are in ../shared/vectors");
    let store = TrustStore::new();
    let at = SystemTime::now();
    let mut signatures = 0;
    let mut files = 0;
    for row in table.lines().skip(1) {
        let file = row.split('\t').next().unwrap();
        let bytes = std::fs::read(Path::new(CORPUS).join(file)).unwrap();
        if let Ok(report) = same_from_source(&bytes, &store, at) {
            signatures += report.signatures.len();
        }
        files += 1;
    }
    assert_eq!(files, 130);
    assert!(signatures >= 40, "{signatures} signatures");
}

#[test]
fn eseal_documents_read_the_same_from_a_source() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let store = office.hierarchy.store();
    let at = SystemTime::now();
    let passed = (Indication::TotalPassed, None);
    let pdf = sealed(&office);

    let report = same_from_source(&pdf, &store, at).unwrap();
    assert_eq!(verdicts(&report), [passed]);

    // A second seal: an incremental update after the first.
    let mut options = office.options([100.0, 80.0, 213.4, 193.4]);
    options.field_name = Some("Seal2".into());
    let twice = seal_pdf(pdf.clone(), &options).unwrap();
    let report = same_from_source(&twice, &store, at).unwrap();
    assert_eq!(verdicts(&report), [passed, passed]);
    assert_eq!(
        report.signatures[0].modification.map(|m| m.as_str()),
        Some("FORM_FILLING")
    );

    // B-LTA: validation data, then a document timestamp.
    let (key, cert) = office
        .hierarchy
        .leaf(Profile::Timestamping, "时间戳服务", -1, 3650);
    let tsa = Authority::new(
        Arc::new(key),
        cert,
        vec![office.hierarchy.ca.clone()],
        "1.2.156.1.1",
    )
    .unwrap();
    let [ca_crl, root_crl] = office.hierarchy.crls(None);
    let data = ValidationData {
        certificates: vec![office.hierarchy.ca.der().to_vec()],
        crls: vec![ca_crl.der().to_vec(), root_crl.der().to_vec()],
        ocsps: Vec::new(),
    };
    let lta =
        add_document_timestamp(add_validation_data(pdf.clone(), &data).unwrap(), &tsa).unwrap();
    let report = same_from_source(&lta, &store, at).unwrap();
    assert_eq!(verdicts(&report), [passed, passed]);
    assert_eq!(
        report.signatures[0].modification.map(|m| m.as_str()),
        Some("LTA_UPDATES")
    );

    // One byte of the long stream's data changed: the digest no longer matches.
    let mut tampered = pdf.clone();
    tampered[padding_offset(&pdf) + 1000] ^= 1;
    let report = same_from_source(&tampered, &store, at).unwrap();
    assert_eq!(
        verdicts(&report),
        [(Indication::TotalFailed, Some(SubIndication::HashFailure))]
    );
    assert_eq!(codes(&report), [["DIGEST_MISMATCH"]]);

    // The long stream defined again after signing, byte for byte the same at another
    // offset: no change. Then with one byte changed: a change to the signed document.
    let filler = &pdf[padding_offset(&pdf)..padding_offset(&pdf) + PADDING];
    let same = append_update(&pdf, &[(6, stream(b"/Type/EmbeddedFile", filler))]);
    let report = same_from_source(&same, &store, at).unwrap();
    assert_eq!(verdicts(&report), [passed]);
    assert_eq!(
        report.signatures[0].modification.map(|m| m.as_str()),
        Some("NONE")
    );
    let mut other = filler.to_vec();
    other[PADDING / 2] ^= 1;
    let changed = append_update(&pdf, &[(6, stream(b"/Type/EmbeddedFile", &other))]);
    let report = same_from_source(&changed, &store, at).unwrap();
    assert_eq!(
        verdicts(&report),
        [(Indication::TotalFailed, Some(SubIndication::FormatFailure))]
    );
    assert_eq!(codes(&report), [["DISALLOWED_MODIFICATION"]]);

    // New page content after signing.
    let content = append_update(
        &pdf,
        &[(4, stream(b"", b"BT /F1 14 Tf 72 700 Td (Void) Tj ET"))],
    );
    let report = same_from_source(&content, &store, at).unwrap();
    assert_eq!(codes(&report), [["DISALLOWED_MODIFICATION"]]);

    // Bytes after the last %%EOF, and the file cut inside the long stream.
    let mut trailing = pdf.clone();
    trailing.extend_from_slice(b"garbage");
    let report = same_from_source(&trailing, &store, at).unwrap();
    assert_eq!(codes(&report), [["TRAILING_DATA"]]);
    let cut = &pdf[..padding_offset(&pdf) + 100];
    assert!(same_from_source(cut, &store, at).is_err());
}

#[test]
fn a_file_on_disk_verifies_and_a_changed_long_stream_fails_as_in_memory() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let store = office.hierarchy.store();
    let at = SystemTime::now();
    let pdf = sealed(&office);
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(&pdf).unwrap();

    let report = verify_pdf_file(&file, &store, at).unwrap();
    assert_eq!(report, verify_pdf(&pdf, &store, at).unwrap());
    assert_eq!(verdicts(&report), [(Indication::TotalPassed, None)]);
    assert_eq!(
        report.signatures[0].coverage.map(|c| c.as_str()),
        Some("ENTIRE_FILE")
    );

    let at_byte = padding_offset(&pdf) + PADDING / 2;
    file.seek(SeekFrom::Start(at_byte as u64)).unwrap();
    file.write_all(&[pdf[at_byte] ^ 0x80]).unwrap();
    let mut tampered = pdf.clone();
    tampered[at_byte] ^= 0x80;
    let report = verify_pdf_file(&file, &store, at).unwrap();
    assert_eq!(report, verify_pdf(&tampered, &store, at).unwrap());
    assert_eq!(
        verdicts(&report),
        [(Indication::TotalFailed, Some(SubIndication::HashFailure))]
    );
    assert_eq!(codes(&report), [["DIGEST_MISMATCH"]]);
}

#[test]
fn sealing_from_a_file_writes_the_bytes_sealing_in_memory_makes() {
    // Ed25519 signs deterministically: the same inputs give the same file.
    let hierarchy = common::Hierarchy::new(Algorithm::Ed25519);
    let (key, signer) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let original = plain_pdf(&["Business licence"], PADDING);
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(&original).unwrap();
    let mut options = eseal::pdf::PdfSealOptions::new(&key, &signer);
    options.chain = std::slice::from_ref(&hierarchy.ca);
    options.signing_time = common::days_from_now(-1);

    let mut from_file = Vec::new();
    let written = seal_pdf_file(&file, &mut from_file, &options).unwrap();
    assert_eq!(written, from_file.len() as u64);
    assert_eq!(from_file, seal_pdf(original.clone(), &options).unwrap());
    assert_eq!(&from_file[..original.len()], &original[..]);
    let report = verify_pdf(&from_file, &hierarchy.store(), SystemTime::now()).unwrap();
    assert_eq!(verdicts(&report), [(Indication::TotalPassed, None)]);
    assert_eq!(codes(&report), [Vec::<&str>::new()]);
}

#[test]
fn a_long_stream_stays_in_the_source_until_asked_for() {
    let pdf = plain_pdf(&["Business licence"], 1000);
    let data = &pdf[padding_offset(&pdf)..][..1000];
    let six = ObjRef {
        num: 6,
        generation: 0,
    };
    let tiny = Tiny(&pdf);
    let doc = Document::from_bytes(Bytes::Source(&tiny)).unwrap();
    let Object::Stream(stream) = doc.get(six, doc.latest()).unwrap() else {
        panic!("object 6 is a stream");
    };
    assert!(stream.data.is_empty());
    assert_eq!(
        stream.deferred,
        Some(Extent {
            offset: padding_offset(&pdf),
            len: 1000
        })
    );
    assert_eq!(&doc.stream_data(&stream).unwrap()[..], data);
    assert_eq!(doc.decode(&stream).unwrap(), data);
    assert!(eseal::pdf::filter::decode(&stream).is_err());

    let doc = Document::parse(&pdf).unwrap();
    let Object::Stream(stream) = doc.get(six, doc.latest()).unwrap() else {
        panic!("object 6 is a stream");
    };
    assert_eq!((&stream.data[..], stream.deferred), (data, None));
}
