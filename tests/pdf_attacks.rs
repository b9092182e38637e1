//! The attacks of PDF.md §3 on eseal's own sealed PDFs, crafted here by byte surgery and by
//! hand-written incremental updates, and the exact verdict eseal's verifier gives each.
//!
//! Every attack starts from a file eseal sealed (`PdfOffice`); the shadow attacks start from
//! an unsigned document prepared by the attacker (built here) that eseal then seals. None
//! may come out TOTAL-PASSED, except where PDF.md's permission table allows the change and
//! the report lists it: a certified P=3 document with added annotations, a signed new
//! signature field under P=2, a form field filled in where filling is permitted, and the
//! removal of an annotation under a signature without DocMDP.

mod common;

use std::sync::OnceLock;
use std::time::SystemTime;

use common::PdfOffice;
use eseal::crypto::Algorithm;
use eseal::pdf::{DocMdp, Document, ObjRef, Object, seal_pdf, verify_pdf};
use eseal::report::{Indication, Report, SignatureReport, SubIndication};

// ---------------------------------------------------------------------------------------
// The office, sealing and verifying
// ---------------------------------------------------------------------------------------

fn office() -> &'static PdfOffice {
    static OFFICE: OnceLock<PdfOffice> = OnceLock::new();
    OFFICE.get_or_init(|| PdfOffice::new(Algorithm::EcdsaP256Sha256))
}

/// eseal's one-page sample document, sealed once, visibly (page object 3, content 4,
/// font 5, catalog 1).
fn sealed() -> Vec<u8> {
    static SEALED: OnceLock<Vec<u8>> = OnceLock::new();
    SEALED.get_or_init(|| office().sealed_pdf()).clone()
}

const RECT: [f64; 4] = [350.0, 80.0, 463.4, 193.4];
const RECT2: [f64; 4] = [100.0, 80.0, 213.4, 193.4];

/// `pdf` sealed by the office at `rect`, certified with `certify` if given.
fn seal(pdf: Vec<u8>, rect: [f64; 4], certify: Option<DocMdp>) -> Vec<u8> {
    let mut options = office().options(rect);
    options.certify = certify;
    seal_pdf(pdf, &options).unwrap()
}

/// The sample document sealed and certified with `p`.
fn certified(p: DocMdp) -> Vec<u8> {
    seal(
        eseal::pdf::sample::plain_pdf(&["Business licence", "Sealed by the office"], 0),
        RECT,
        Some(p),
    )
}

fn try_verify(pdf: &[u8]) -> eseal::Result<Report> {
    verify_pdf(pdf, &office().hierarchy.store(), SystemTime::now())
}

fn verify(pdf: &[u8]) -> Report {
    try_verify(pdf).unwrap()
}

fn codes(s: &SignatureReport) -> Vec<&'static str> {
    s.reasons.iter().map(|r| r.code()).collect()
}

/// Asserts indication, sub-indication and the exact list of reason codes.
#[track_caller]
fn assert_outcome(
    s: &SignatureReport,
    indication: Indication,
    sub: Option<SubIndication>,
    expected: &[&str],
) {
    assert_eq!(
        (s.indication, s.sub_indication, codes(s).as_slice()),
        (indication, sub, expected),
        "reasons: {:#?}\nchanges: {:#?}",
        s.reasons,
        s.changes
    );
}

/// TOTAL-FAILED / FORMAT_FAILURE with exactly `expected`.
#[track_caller]
fn assert_format_failure(s: &SignatureReport, expected: &[&str]) {
    assert_outcome(
        s,
        Indication::TotalFailed,
        Some(SubIndication::FormatFailure),
        expected,
    );
}

/// TOTAL-FAILED / FORMAT_FAILURE by a disallowed change (OTHER) of the revision after the
/// signed one, whose description contains `what`.
#[track_caller]
fn assert_disallowed(s: &SignatureReport, level: &str, what: &str) {
    assert_format_failure(s, &["DISALLOWED_MODIFICATION"]);
    assert_eq!(s.coverage.map(|c| c.as_str()), Some("ENTIRE_REVISION"));
    assert_eq!(
        s.modification.map(|m| m.as_str()),
        Some(level),
        "{:#?}",
        s.changes
    );
    let message = s.reasons[0].to_string();
    assert!(
        message.contains(what),
        "{message:?} does not mention {what:?}"
    );
}

#[track_caller]
fn only(report: &Report) -> &SignatureReport {
    assert_eq!(report.signatures.len(), 1, "{report:#?}");
    &report.signatures[0]
}

// ---------------------------------------------------------------------------------------
// Reading and writing PDF pieces
// ---------------------------------------------------------------------------------------

/// A signature dictionary as found through the AcroForm of the latest revision.
#[derive(Clone, Copy, Debug)]
struct SigDict {
    num: u32,
    /// `[start, end)` of `n 0 obj ... endobj`.
    span: (usize, usize),
    range: [usize; 4],
}

fn signature_dicts(pdf: &[u8]) -> Vec<SigDict> {
    let doc = Document::parse(pdf).unwrap();
    let rev = doc.latest();
    let catalog = doc.catalog(rev).unwrap();
    let form = doc.dict_at(&catalog, b"AcroForm", rev).unwrap().unwrap();
    let fields = doc.resolve(form.get(b"Fields").unwrap(), rev).unwrap();
    let mut out = Vec::new();
    for field in fields.as_array().unwrap() {
        let field = doc.resolve(field, rev).unwrap();
        let field = field.as_dict().unwrap();
        let Some(Object::Ref(v)) = field.get(b"V") else {
            continue;
        };
        if field.name(b"FT") != Some(b"Sig") {
            continue;
        }
        let value = doc.get(*v, rev).unwrap();
        let items = value
            .as_dict()
            .unwrap()
            .get(b"ByteRange")
            .unwrap()
            .as_array()
            .unwrap()
            .to_vec();
        let range: Vec<usize> = items
            .iter()
            .map(|i| i.as_number().unwrap() as usize)
            .collect();
        out.push(SigDict {
            num: v.num,
            span: doc.object_span(v.num, rev).unwrap(),
            range: range.try_into().unwrap(),
        });
    }
    out
}

fn first_sig(pdf: &[u8]) -> SigDict {
    signature_dicts(pdf)[0]
}

/// The object `num` as of the latest revision.
fn object(pdf: &[u8], num: u32) -> Object {
    let doc = Document::parse(pdf).unwrap();
    doc.get(ObjRef { num, generation: 0 }, doc.latest())
        .unwrap()
}

fn dict_of(pdf: &[u8], num: u32) -> eseal::pdf::Dict {
    object(pdf, num).as_dict().unwrap().clone()
}

fn body(o: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    o.write_to(&mut out);
    out
}

fn parse(text: &str) -> Object {
    eseal::pdf::parser::Parser::new(text.as_bytes(), 0)
        .value(0)
        .unwrap()
}

fn r(num: u32) -> Object {
    Object::Ref(ObjRef { num, generation: 0 })
}

/// A stream object body: `<<dict /Length n>> stream ... endstream`.
fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<<{dict}/Length {}>>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
}

fn find_from(haystack: &[u8], from: usize, needle: &[u8]) -> usize {
    from + find(&haystack[from..], needle)
}

/// The highest `/Size` of any revision.
fn size(doc: &Document<'_>) -> u32 {
    doc.sections
        .iter()
        .map(|s| {
            s.trailer
                .get(b"Size")
                .and_then(Object::as_number)
                .unwrap_or(0.0) as u32
        })
        .max()
        .unwrap_or(0)
}

/// Appends an incremental update: `objects` written in order, then a classic xref table
/// listing them and `pointers` (object numbers pointed at existing offsets), a trailer with
/// `/Size`, `/Root` and `/Prev` of the previous revision (unless `trailer_extra` sets them)
/// plus `trailer_extra`, `startxref` and `%%EOF`.
fn append_section(
    pdf: &[u8],
    objects: &[(u32, &[u8])],
    pointers: &[(u32, usize)],
    trailer_extra: &str,
) -> Vec<u8> {
    let doc = Document::parse(pdf).unwrap();
    let last = doc.latest();
    let root = doc.root_ref(last).unwrap();
    let prev = doc.sections[last].offset;
    let mut size = size(&doc);
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut entries: Vec<(u32, usize)> = pointers.to_vec();
    for (num, body) in objects {
        entries.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    entries.sort();
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, offset) in &entries {
        out.extend_from_slice(format!("{num} 1\n{offset:010} 00000 n\r\n").as_bytes());
        size = size.max(num + 1);
    }
    let mut trailer = format!("<</Size {size}");
    if !trailer_extra.contains("/Root") {
        trailer.push_str(&format!("/Root {} {} R", root.num, root.generation));
    }
    if !trailer_extra.contains("/Prev") {
        trailer.push_str(&format!("/Prev {prev}"));
    }
    trailer.push_str(trailer_extra);
    out.extend_from_slice(format!("trailer\n{trailer}>>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

/// The offset the last `startxref` gives.
fn last_startxref(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(&pdf[pdf.len() - 40..]).into_owned();
    let after = text.rsplit("startxref").next().unwrap();
    after.split_whitespace().next().unwrap().parse().unwrap()
}

/// [`append_section`] without pointers.
fn append_update(pdf: &[u8], objects: &[(u32, &[u8])], trailer_extra: &str) -> Vec<u8> {
    append_section(pdf, objects, &[], trailer_extra)
}

/// The next free object number after every revision of `pdf`.
fn next_free(pdf: &[u8]) -> u32 {
    let doc = Document::parse(pdf).unwrap();
    let max = doc
        .sections
        .iter()
        .filter_map(|s| s.entries.keys().next_back())
        .max()
        .copied()
        .unwrap_or(0);
    size(&doc).max(max + 1)
}

/// An unsigned PDF of `objects`; the first definition of a number is the one the xref lists,
/// later ones are unreferenced shadow bodies left in the file. Returns the file and the
/// offset of every definition, in order.
fn build_pdf(objects: &[(u32, Vec<u8>)], root: u32) -> (Vec<u8>, Vec<usize>) {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let mut listed = std::collections::BTreeMap::new();
    for (num, body) in objects {
        offsets.push(out.len());
        listed.entry(*num).or_insert(out.len());
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let size = listed.keys().next_back().unwrap() + 1;
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f\r\n").as_bytes());
    for num in 1..size {
        match listed.get(&num) {
            Some(offset) => out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes()),
            None => out.extend_from_slice(b"0000000000 00000 f\r\n"),
        }
    }
    out.extend_from_slice(
        format!("trailer\n<</Size {size}/Root {root} 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    (out, offsets)
}

/// Overwrites `pdf[at..]` with `text`.
fn poke(pdf: &mut [u8], at: usize, text: &[u8]) {
    pdf[at..at + text.len()].copy_from_slice(text);
}

/// Replaces `old` inside the object span `span` by `new`, padding with spaces to the same
/// length (so that every offset stays right).
fn replace_in(pdf: &[u8], span: (usize, usize), old: &[u8], new: &[u8]) -> Vec<u8> {
    assert!(new.len() <= old.len(), "the replacement must not be longer");
    let at = find_from(pdf, span.0, old);
    assert!(
        at < span.1,
        "{:?} is not in the span",
        String::from_utf8_lossy(old)
    );
    let mut out = pdf.to_vec();
    let mut padded = new.to_vec();
    padded.resize(old.len(), b' ');
    poke(&mut out, at, &padded);
    out
}

// ---------------------------------------------------------------------------------------
// Minimal DER, to edit the CMS in /Contents
// ---------------------------------------------------------------------------------------

/// `(tag, header length, content length)` of the TLV at `at`.
fn tlv(der: &[u8], at: usize) -> (u8, usize, usize) {
    let tag = der[at];
    let first = der[at + 1] as usize;
    if first < 0x80 {
        return (tag, 2, first);
    }
    let n = first & 0x7f;
    let len = der[at + 2..at + 2 + n]
        .iter()
        .fold(0usize, |a, b| (a << 8) | *b as usize);
    (tag, 2 + n, len)
}

/// The TLVs directly inside the constructed TLV at `at`: `(start, end)` each.
fn children(der: &[u8], at: usize) -> Vec<(usize, usize)> {
    let (_, header, len) = tlv(der, at);
    let mut out = Vec::new();
    let mut pos = at + header;
    while pos < at + header + len {
        let (_, h, l) = tlv(der, pos);
        out.push((pos, pos + h + l));
        pos += h + l;
    }
    out
}

fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The DER CMS in the `/Contents` gap of `sig`.
fn cms_of(pdf: &[u8], sig: &SigDict) -> Vec<u8> {
    let hex_digits = &pdf[sig.range[1] + 1..sig.range[2] - 1];
    let bytes = hex::decode(hex_digits).unwrap();
    let (_, header, len) = tlv(&bytes, 0);
    bytes[..header + len].to_vec()
}

/// Where the parts of the CMS lie: byte spans in the DER.
struct CmsLayout {
    der_len: usize,
    /// Spans that nothing signed covers and that verification does not depend on: the
    /// SignedData and SignerInfo versions and the digestAlgorithms set (a change there is
    /// a warning), the certificates other than the signer's (the CA's, which the trust
    /// store supplies too).
    unsigned_spans: Vec<(usize, usize)>,
    certificates: Option<(usize, usize)>,
}

fn cms_layout(der: &[u8], signer: &[u8]) -> CmsLayout {
    let explicit = children(der, 0)[1].0;
    let signed_data = children(der, explicit)[0].0;
    let fields = children(der, signed_data);
    let mut unsigned_spans = vec![fields[0], fields[1]];
    let mut certificates = None;
    for &(start, end) in &fields[3..] {
        match der[start] {
            0xa0 => {
                certificates = Some((start, end));
                for (s, e) in children(der, start) {
                    if &der[s..e] != signer {
                        unsigned_spans.push((s, e));
                    }
                }
            }
            0x31 => {
                let signer_info = children(der, start)[0].0;
                unsigned_spans.push(children(der, signer_info)[0]);
            }
            _ => {}
        }
    }
    CmsLayout {
        der_len: der.len(),
        unsigned_spans,
        certificates,
    }
}

/// `cms` without its `certificates` field, lengths fixed.
fn cms_without_certificates(der: &[u8]) -> Vec<u8> {
    let explicit = children(der, 0)[1].0;
    let sd_start = children(der, explicit)[0].0;
    let mut content = Vec::new();
    for (start, end) in children(der, sd_start) {
        if der[start] != 0xa0 {
            content.extend_from_slice(&der[start..end]);
        }
    }
    let signed_data = encode(0x30, &content);
    let explicit = encode(0xa0, &signed_data);
    let oid = &der[children(der, 0)[0].0..children(der, 0)[0].1];
    encode(0x30, &[oid, &explicit[..]].concat())
}

/// `pdf` with the CMS in the gap of `sig` replaced by `cms`, zero-padded to the same length.
fn with_cms(pdf: &[u8], sig: &SigDict, cms: &[u8]) -> Vec<u8> {
    let mut hex_digits = hex::encode_upper(cms).into_bytes();
    let room = sig.range[2] - sig.range[1] - 2;
    assert!(hex_digits.len() <= room);
    hex_digits.resize(room, b'0');
    let mut out = pdf.to_vec();
    poke(&mut out, sig.range[1] + 1, &hex_digits);
    out
}

// ---------------------------------------------------------------------------------------
// The base files are sound
// ---------------------------------------------------------------------------------------

#[test]
fn the_untouched_files_pass() {
    let s = verify(&sealed());
    assert_outcome(only(&s), Indication::TotalPassed, None, &[]);
    assert_eq!(only(&s).modification.map(|m| m.as_str()), Some("NONE"));
    let (shadow, _) = shadow_document();
    let s = verify(&seal(shadow, RECT, None));
    assert_outcome(only(&s), Indication::TotalPassed, None, &[]);
    for p in [DocMdp::NoChanges, DocMdp::FormFilling, DocMdp::Annotations] {
        assert_outcome(
            only(&verify(&certified(p))),
            Indication::TotalPassed,
            None,
            &[],
        );
    }
}

// ---------------------------------------------------------------------------------------
// Universal Signature Forgery
// ---------------------------------------------------------------------------------------

/// Length-preserving edits of the signature dictionary in place. The edited bytes lie in
/// the signed range, so the digest would break too; the dictionary checks come first and
/// stop the cryptographic ones, so their reason is the only one.
#[test]
fn universal_signature_forgery_by_editing_the_signature_dictionary() {
    let pdf = sealed();
    let sig = first_sig(&pdf);
    let gap = &pdf[sig.range[1]..sig.range[2]];
    let contents: Vec<u8> = [b"/Contents ", gap].concat();
    let byte_range_at = find_from(&pdf, sig.span.0, b"/ByteRange [");
    let byte_range_end = find_from(&pdf, byte_range_at, b"]") + 1;
    let byte_range = pdf[byte_range_at..byte_range_end].to_vec();
    let (a, b, c) = (sig.range[1], sig.range[2], sig.range[3]);
    let literal = format!("/Contents ({})", "0".repeat(gap.len() - 2));

    // /Contents removed (the key renamed), `<>`, `null`, indirect, a literal string.
    let contents_variants: [(&[u8], &[u8], &str); 5] = [
        (b"/Contents <", b"/Contentx <", "/Contents is missing"),
        (&contents, b"/Contents <>", "/Contents is empty"),
        (&contents, b"/Contents null", "/Contents is a null"),
        (&contents, b"/Contents 5 0 R", "/Contents is a reference"),
        (
            &contents,
            literal.as_bytes(),
            "/Contents is not a hex string",
        ),
    ];
    for (old, new, detail) in contents_variants {
        let s = verify(&replace_in(&pdf, sig.span, old, new));
        let s = only(&s);
        assert_format_failure(s, &["SIGNATURE_DICT_MALFORMED"]);
        let message = s.reasons[0].to_string();
        assert!(message.contains(detail), "{message}");
    }

    // /ByteRange removed, null, [], negative, 2 or 6 numbers, a real number, indirect.
    for variant in [
        "/ByteRangx [0 0 0 0]".to_string(),
        "/ByteRange null".into(),
        "/ByteRange []".into(),
        format!("/ByteRange [0 {a} {b} -{c}]"),
        format!("/ByteRange [0 {a}]"),
        format!("/ByteRange [0 {a} {b} {c} 0 0]"),
        format!("/ByteRange [0 {a} {b} {c}.0]"),
        "/ByteRange 9 0 R".into(),
    ] {
        let s = verify(&replace_in(&pdf, sig.span, &byte_range, variant.as_bytes()));
        let s = only(&s);
        assert_format_failure(s, &["SIGNATURE_DICT_MALFORMED"]);
        let message = s.reasons[0].to_string();
        assert!(
            message.contains("/ByteRange is not a direct array"),
            "{variant}: {message}"
        );
    }

    // Well-formed but lying ranges: [0 0 0 0], overlapping, an empty gap, not starting at
    // 0, past the end.
    for (variant, detail) in [
        (
            "/ByteRange [0 0 0 0]".to_string(),
            "not the end of a revision",
        ),
        (format!("/ByteRange [0 {b} {a} {c}]"), "overlap"),
        (
            format!("/ByteRange [0 {a} {a} {}]", c + b - a),
            "not the /Contents string",
        ),
        (format!("/ByteRange [1 {a} {b} {c}]"), "not 0"),
        (
            format!("/ByteRange [0 {a} {b} {}]", c + 1),
            "beyond the file",
        ),
    ] {
        let s = verify(&replace_in(&pdf, sig.span, &byte_range, variant.as_bytes()));
        let s = only(&s);
        assert_format_failure(s, &["BYTE_RANGE_INVALID"]);
        let message = s.reasons[0].to_string();
        assert!(message.contains(detail), "{variant}: {message}");
    }

    // Duplicate keys: a second /Contents after the first, in place of /M.
    let m_at = find_from(&pdf, sig.range[2], b"/M (");
    let m_end = find_from(&pdf, m_at, b")") + 1;
    let dup = replace_in(&pdf, sig.span, &pdf[m_at..m_end], b"/Contents<>");
    let s = verify(&dup);
    assert_format_failure(only(&s), &["SIGNATURE_DICT_MALFORMED"]);
    assert!(only(&s).reasons[0].to_string().contains("duplicate"));
}

/// The same forgeries made the way an attacker would: an incremental update that
/// redefines the signature dictionary. The dictionary verified is the one the latest xref
/// resolves: malformed, or, well-formed, not the one in the signed bytes.
#[test]
fn universal_signature_forgery_by_redefining_the_signature_dictionary() {
    let pdf = sealed();
    let sig = first_sig(&pdf);
    let original = dict_of(&pdf, sig.num);
    let n = next_free(&pdf);
    let gap = pdf[sig.range[1]..sig.range[2]].to_vec();
    let zeros = Object::String {
        bytes: vec![0; (gap.len() - 2) / 2],
        hex: true,
    };
    let (malformed, range) = ("SIGNATURE_DICT_MALFORMED", "BYTE_RANGE_INVALID");
    for (key, value, code, detail) in [
        ("Contents", None, malformed, "/Contents is missing"),
        (
            "Contents",
            Some(parse("<>")),
            malformed,
            "/Contents is empty",
        ),
        ("Contents", Some(zeros), range, "redefined by revision 3"),
        (
            "Contents",
            Some(Object::Null),
            malformed,
            "/Contents is a null",
        ),
        (
            "Contents",
            Some(r(n)),
            malformed,
            "/Contents is a reference",
        ),
        (
            "ByteRange",
            None,
            malformed,
            "/ByteRange is not a direct array",
        ),
        (
            "ByteRange",
            Some(Object::Null),
            malformed,
            "/ByteRange is not a direct array",
        ),
        (
            "ByteRange",
            Some(parse("[]")),
            malformed,
            "/ByteRange is not a direct array",
        ),
        (
            "ByteRange",
            Some(parse("[0 0 0 0]")),
            range,
            "not the end of a revision",
        ),
        (
            "M",
            Some(parse("(D:20200101000000Z)")),
            range,
            "redefined by revision 3",
        ),
    ] {
        let mut forged = original.clone();
        match value {
            Some(v) => forged.set(key.as_bytes(), v),
            None => forged.remove(key.as_bytes()),
        }
        let contents_object = Object::String {
            bytes: hex::decode(&gap[1..gap.len() - 1]).unwrap(),
            hex: true,
        };
        let attacked = append_update(
            &pdf,
            &[
                (sig.num, &body(&Object::Dict(forged))),
                (n, &body(&contents_object)),
            ],
            "",
        );
        let s = verify(&attacked);
        let s = only(&s);
        assert_format_failure(s, &[code]);
        let message = s.reasons[0].to_string();
        assert!(message.contains(detail), "/{key}: {message}");
    }
}

/// The signer's certificate (and the CA's) taken out of the CMS: the CMS is not signed, so
/// the digest still matches, and the signer cannot be found.
#[test]
fn universal_signature_forgery_without_the_signer_certificate() {
    let pdf = sealed();
    let sig = first_sig(&pdf);
    let cms = cms_of(&pdf, &sig);
    let stripped = cms_without_certificates(&cms);
    assert!(stripped.len() < cms.len());
    assert!(
        cms_layout(&stripped, office().signer.der())
            .certificates
            .is_none()
    );
    let s = verify(&with_cms(&pdf, &sig, &stripped));
    assert_outcome(
        only(&s),
        Indication::Indeterminate,
        Some(SubIndication::NoSigningCertificateFound),
        &["NO_SIGNING_CERTIFICATE"],
    );
    // All zeros in place of the CMS.
    let s = verify(&with_cms(&pdf, &sig, &[]));
    assert_format_failure(only(&s), &["CMS_MALFORMED"]);
}

// ---------------------------------------------------------------------------------------
// Incremental Saving Attack
// ---------------------------------------------------------------------------------------

#[test]
fn incremental_saving_attacks() {
    let pdf = sealed();
    let n = next_free(&pdf);

    // New content for the page: the content stream redefined.
    let content = stream("", b"BT /F1 14 Tf 72 770 Td (Licence revoked) Tj ET");
    let s = verify(&append_update(&pdf, &[(4, &content)], ""));
    assert_disallowed(only(&s), "OTHER", "object 4 0 (stream) changed");

    // A second content stream appended to the page.
    let mut page = dict_of(&pdf, 3);
    page.set(b"Contents", Object::Array(vec![r(4), r(n)]));
    let s = verify(&append_update(
        &pdf,
        &[(3, &body(&Object::Dict(page))), (n, &content)],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "page 3 0 /Contents changed");

    // A new page.
    let new_page = format!(
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents {} 0 R>>",
        n + 1
    );
    let pages = "<</Type/Pages/Kids[3 0 R ".to_string() + &format!("{n} 0 R]/Count 2>>");
    let s = verify(&append_update(
        &pdf,
        &[
            (2, pages.as_bytes()),
            (n, new_page.as_bytes()),
            (n + 1, &content),
        ],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 2 0 /Pages");

    // A new catalog, through the trailer's /Root, keeping the form so that the seal shows.
    let mut catalog = dict_of(&pdf, 1);
    catalog.set(b"OpenAction", parse("<</S/JavaScript/JS(app.alert(1))>>"));
    let s = verify(&append_update(
        &pdf,
        &[(n, &body(&Object::Dict(catalog.clone())))],
        &format!("/Root {n} 0 R"),
    ));
    assert_disallowed(only(&s), "OTHER", "/Root points at another catalog");

    // The same keys added to the existing catalog.
    let s = verify(&append_update(
        &pdf,
        &[(1, &body(&Object::Dict(catalog)))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "catalog /OpenAction changed");

    // Objects freed.
    let mut freeing = pdf.clone();
    let xref = freeing.len();
    freeing.extend_from_slice(
        format!(
            "xref\n4 1\n0000000000 00001 f\r\ntrailer\n<</Size {n}/Root 1 0 R/Prev {}>>\nstartxref\n{xref}\n%%EOF\n",
            Document::parse(&pdf).unwrap().sections.last().unwrap().offset
        )
        .as_bytes(),
    );
    let s = verify(&freeing);
    assert_disallowed(only(&s), "OTHER", "object 4 was freed");

    // An /Encrypt added to the trailer.
    let s = verify(&append_update(
        &pdf,
        &[(n, b"<</Filter/Standard/V 1/R 2/O<00>/U<00>/P -4>>")],
        &format!("/Encrypt {n} 0 R"),
    ));
    assert_disallowed(only(&s), "OTHER", "trailer /Encrypt changed");
}

/// Objects appended without an xref section and trailer: nothing refers to them, yet a
/// lenient reader that reconstructs the file would show them.
#[test]
fn incremental_saving_without_xref_is_trailing_data() {
    let pdf = sealed();
    let small = [
        &pdf[..],
        b"4 0 obj\n<</Length 20>>\nstream\nBT (forged) Tj ET   \nendstream\nendobj\n",
    ]
    .concat();
    let s = verify(&small);
    assert_format_failure(only(&s), &["TRAILING_DATA"]);
    // With a startxref pointing back at the signed xref: still trailing data.
    let offset = Document::parse(&pdf)
        .unwrap()
        .sections
        .last()
        .unwrap()
        .offset;
    let s = verify(
        &[
            &small[..],
            format!("startxref\n{offset}\n%%EOF\n").as_bytes(),
        ]
        .concat(),
    );
    assert_format_failure(only(&s), &["TRAILING_DATA"]);
    // More than 2 KiB of them, longer than the tail where readers look for startxref.
    let big = [
        &pdf[..],
        b"4 0 obj\n<</Length 5000>>\nstream\n",
        &[b'x'; 5000][..],
        b"\nendstream\nendobj\n",
    ]
    .concat();
    let s = verify(&big);
    assert_format_failure(only(&s), &["TRAILING_DATA"]);
    // An xref and trailer but no startxref: the appended section is never reached.
    let with_xref = append_update(&pdf, &[(4, b"<</Length 0>>\nstream\n\nendstream")], "");
    let cut = find(&with_xref[pdf.len()..], b"startxref") + pdf.len();
    let s = verify(&with_xref[..cut]);
    assert_format_failure(only(&s), &["TRAILING_DATA"]);
}

/// A wrong `/Prev`. Decided: a `/Prev` that does not lead to a cross-reference section
/// makes its revision unreadable. Nothing is reconstructed (what these attacks rely on):
/// the revisions of the chain from the signed revision's own `startxref` are verified, and
/// the signature fails by the unreadable revision (TOTAL-FAILED / FORMAT_FAILURE). A
/// `/Prev` that skips the signed revision leaves that revision out of the chain: its
/// signature either vanishes with it (no signature to report), or, when the attacker lists
/// the signature's objects again, its range no longer ends a revision.
#[test]
fn incremental_saving_with_a_wrong_prev() {
    let pdf = sealed();
    let doc = Document::parse(&pdf).unwrap();
    let original_xref = doc.sections[0].offset;
    let content = stream("", b"BT /F1 14 Tf 72 770 Td (Licence revoked) Tj ET");

    let unreadable = |pdf: &[u8], detail: &str| {
        assert!(Document::parse(pdf).is_err());
        let report = verify(pdf);
        let s = only(&report);
        assert_format_failure(s, &["UNREADABLE_REVISION"]);
        let message = s.reasons[0].to_string();
        assert!(
            message.starts_with("revision 3 and any after it"),
            "{message}"
        );
        assert!(message.contains(detail), "{message}");
        assert_eq!(s.modification.map(|m| m.as_str()), Some("NONE"));
    };
    // Into the middle of an object.
    unreadable(
        &append_update(&pdf, &[(4, &content)], "/Prev 20"),
        "offset 20",
    );
    // Beyond the end of the file.
    unreadable(
        &append_update(&pdf, &[(4, &content)], "/Prev 99999999"),
        "99999999",
    );
    // Negative, not a number.
    unreadable(
        &append_update(&pdf, &[(4, &content)], "/Prev -5"),
        "negative /Prev",
    );
    unreadable(
        &append_update(&pdf, &[(4, &content)], "/Prev (1)"),
        "not an integer",
    );
    // Looping back to itself.
    let mut looping = append_update(&pdf, &[(4, &content)], "/Prev 0000000000");
    let own = last_startxref(&looping);
    let at = find_from(&looping, own, b"/Prev 0000000000") + b"/Prev ".len();
    poke(&mut looping, at, format!("{own:010}").as_bytes());
    unreadable(&looping, "loops");

    // Skipping the signed revision: the form is gone with it.
    let skipped = append_update(&pdf, &[(4, &content)], &format!("/Prev {original_xref}"));
    assert!(verify(&skipped).signatures.is_empty());
    // Skipping it but listing its objects again at their offsets.
    let sealed_entries: Vec<(u32, usize)> = doc
        .sections
        .last()
        .unwrap()
        .entries
        .iter()
        .filter_map(|(num, e)| match e {
            eseal::pdf::document::XrefEntry::InFile { offset, .. } if *num != 4 => {
                Some((*num, *offset))
            }
            _ => None,
        })
        .collect();
    let relisted = append_section(
        &pdf,
        &[(4, &content)],
        &sealed_entries,
        &format!("/Prev {original_xref}"),
    );
    let s = verify(&relisted);
    assert_format_failure(only(&s), &["BYTE_RANGE_INVALID"]);
    assert!(
        s.signatures[0].reasons[0]
            .to_string()
            .contains("not the end of a revision")
    );
}

/// A redefinition hidden in an object stream, listed by a cross-reference stream
/// (`/W [1 4 2]`), after a classic table; and through a hybrid `/XRefStm`.
#[test]
fn incremental_saving_through_object_streams() {
    let pdf = sealed();
    let n = next_free(&pdf);
    let prev = Document::parse(&pdf)
        .unwrap()
        .sections
        .last()
        .unwrap()
        .offset;
    let font = b"<</Type/Font/Subtype/Type1/BaseFont/Courier/Encoding/WinAnsiEncoding>>";

    let object_stream = |num_in: u32| -> Vec<u8> {
        let header = format!("{num_in} 0 ");
        let data = [header.as_bytes(), font].concat();
        stream(&format!("/Type/ObjStm/N 1/First {}", header.len()), &data)
    };
    let xref_stream = |out: &mut Vec<u8>, rows: &[(u32, u8, u32, u16)], extra: &str| -> usize {
        let offset = out.len();
        let xref_num = n + 1;
        let mut data = Vec::new();
        let mut index = String::new();
        for (num, kind, field2, field3) in rows {
            index.push_str(&format!("{num} 1 "));
            data.push(*kind);
            data.extend_from_slice(&field2.to_be_bytes());
            data.extend_from_slice(&field3.to_be_bytes());
        }
        out.extend_from_slice(format!("{xref_num} 0 obj\n").as_bytes());
        out.extend_from_slice(&stream(
            &format!(
                "/Type/XRef/W[1 4 2]/Index[{index}]/Size {}/Root 1 0 R/Prev {prev}{extra}",
                n + 2
            ),
            &data,
        ));
        out.extend_from_slice(b"\nendobj\n");
        offset
    };

    // Object 5 (the font) redefined inside a new object stream.
    let mut attacked = pdf.clone();
    let objstm_at = attacked.len();
    attacked.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
    attacked.extend_from_slice(&object_stream(5));
    attacked.extend_from_slice(b"\nendobj\n");
    let xref_at = attacked.len();
    let rows = [
        (5, 2, n, 0),
        (n, 1, objstm_at as u32, 0),
        (n + 1, 1, xref_at as u32, 0),
    ];
    let at = xref_stream(&mut attacked, &rows, "");
    assert_eq!(at, xref_at);
    attacked.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    let s = verify(&attacked);
    assert_disallowed(only(&s), "OTHER", "object 5 0 /Font (dictionary) changed");

    // Hybrid: a classic table that lists nothing, its /XRefStm the stream above.
    let mut hybrid = pdf.clone();
    let objstm_at = hybrid.len();
    hybrid.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
    hybrid.extend_from_slice(&object_stream(5));
    hybrid.extend_from_slice(b"\nendobj\n");
    let stm_at = hybrid.len();
    xref_stream(
        &mut hybrid,
        &[(5, 2, n, 0), (n, 1, objstm_at as u32, 0)],
        "",
    );
    let table = hybrid.len();
    hybrid.extend_from_slice(
        format!("xref\n0 0\ntrailer\n<</Size {}/Root 1 0 R/Prev {prev}/XRefStm {stm_at}>>\nstartxref\n{table}\n%%EOF\n", n + 2)
            .as_bytes(),
    );
    let s = verify(&hybrid);
    assert_disallowed(only(&s), "OTHER", "object 5 0 /Font (dictionary) changed");
}

// ---------------------------------------------------------------------------------------
// Signature Wrapping
// ---------------------------------------------------------------------------------------

#[test]
fn signature_wrapping() {
    let pdf = sealed();
    let sig = first_sig(&pdf);
    let cms_hex = hex::encode_upper(cms_of(&pdf, &sig)).into_bytes();
    let (a, b) = (sig.range[1], sig.range[2]);

    // (1) The /Contents string shortened to the CMS; the freed gap closes the signature
    // dictionary early and holds a new object; an update points the page content at it.
    let mut wrapped = pdf.clone();
    let mut gap = b"<".to_vec();
    gap.extend_from_slice(&cms_hex);
    gap.extend_from_slice(b">>>\nendobj\n");
    let injected_at = a + gap.len();
    gap.extend_from_slice(b"4 0 obj\n");
    gap.extend_from_slice(&stream(
        "",
        b"BT /F1 14 Tf 72 770 Td (Licence revoked) Tj ET",
    ));
    gap.extend_from_slice(b"\nendobj\n%");
    assert!(gap.len() < b - a);
    gap.resize(b - a - 1, b' ');
    gap.push(b'\n');
    poke(&mut wrapped, a, &gap);
    let s = verify(&append_section(&wrapped, &[], &[(4, injected_at)], ""));
    assert_format_failure(only(&s), &["BYTE_RANGE_INVALID"]);
    assert!(
        s.signatures[0].reasons[0]
            .to_string()
            .contains("is not the /Contents string")
    );

    // (2) The same, with an xref section for the new object in the gap too, which the
    // final startxref uses: the signed revision is then followed by bytes outside it.
    let mut wrapped = pdf.clone();
    let prev = Document::parse(&pdf)
        .unwrap()
        .sections
        .last()
        .unwrap()
        .offset;
    let mut gap = b"<".to_vec();
    gap.extend_from_slice(&cms_hex);
    gap.extend_from_slice(b">>>\nendobj\n");
    let object_at = a + gap.len();
    gap.extend_from_slice(b"4 0 obj\n");
    gap.extend_from_slice(&stream(
        "",
        b"BT /F1 14 Tf 72 770 Td (Licence revoked) Tj ET",
    ));
    gap.extend_from_slice(b"\nendobj\n");
    let xref_at = a + gap.len();
    gap.extend_from_slice(
        format!("xref\n4 1\n{object_at:010} 00000 n\r\ntrailer\n<</Size {}/Root 1 0 R/Prev {prev}>>\nstartxref\n{xref_at}\n%%EOF\n%", next_free(&pdf))
            .as_bytes(),
    );
    gap.resize(b - a - 1, b' ');
    gap.push(b'\n');
    poke(&mut wrapped, a, &gap);
    let s = verify(
        &[
            &wrapped[..],
            format!("startxref\n{xref_at}\n%%EOF\n").as_bytes(),
        ]
        .concat(),
    );
    assert_format_failure(only(&s), &["BYTE_RANGE_INVALID", "TRAILING_DATA"]);

    // (3) A verbatim copy of the signature dictionary, appended and made the one the xref
    // resolves: same /ByteRange, same /Contents, but its /Contents is not at b1.
    let copy = pdf[sig.span.0..sig.span.1].to_vec();
    let header_len = find(&copy, b"obj") + 4;
    let s = verify(&append_update(
        &pdf,
        &[(sig.num, &copy[header_len..copy.len() - b"endobj".len()])],
        "",
    ));
    assert_format_failure(only(&s), &["BYTE_RANGE_INVALID"]);
    assert!(
        s.signatures[0].reasons[0].to_string().contains("redefined"),
        "{:?}",
        s.signatures[0].reasons
    );

    // (4) The copy's /ByteRange rewritten to its own position: it then claims to cover
    // the new revision, whose bytes the CMS did not sign.
    let mut moved = append_update(
        &pdf,
        &[(sig.num, &copy[header_len..copy.len() - b"endobj".len()])],
        "",
    );
    let new_sig = signature_dicts(&moved)[0];
    let contents_at = find_from(&moved, new_sig.span.0, b"/Contents <");
    let new_a = contents_at + b"/Contents ".len();
    let new_b = new_a + (b - a);
    let range = format!("[0 {new_a} {new_b} {}", moved.len() - new_b);
    let range_at = find_from(&moved, new_sig.span.0, b"/ByteRange [") + b"/ByteRange ".len();
    let width = find_from(&moved, range_at, b"]") - range_at;
    let mut padded = range.into_bytes();
    padded.resize(width, b' ');
    poke(&mut moved, range_at, &padded);
    let s = verify(&moved);
    assert_outcome(
        only(&s),
        Indication::TotalFailed,
        Some(SubIndication::HashFailure),
        &["DIGEST_MISMATCH"],
    );
}

// ---------------------------------------------------------------------------------------
// Shadow attacks: a document the attacker prepared before it was sealed
// ---------------------------------------------------------------------------------------

/// Numbers of the shadow document's objects.
mod shadow {
    pub const CATALOG: u32 = 1;
    pub const PAGE: u32 = 3;
    pub const CONTENT: u32 = 4;
    pub const FONT: u32 = 5;
    pub const COVER: u32 = 6;
    pub const EMPTY_FORM: u32 = 7;
    pub const SHADOW_PAGE: u32 = 10;
    pub const OCG: u32 = 12;
    pub const SHADOW_CATALOG: u32 = 13;
    pub const AMOUNT: u32 = 21;
    pub const IBAN: u32 = 22;
    pub const AMOUNT_AP: u32 = 23;
    pub const SQUARE: u32 = 25;
}

/// An invoice whose page hides clause A under a white form XObject (`/Cover`), clause B
/// under a white box in optional content, clause C under a white Square annotation; with
/// a fillable text field `amount` and a read-only one `iban`; and, unreferenced, a second
/// body of the cover (empty), a second body of the page content, an empty form, and a
/// shadow catalog with its own page. Returns the file and the offsets of every body.
fn shadow_document() -> (Vec<u8>, Vec<usize>) {
    let content = b"BT /F1 14 Tf 72 770 Td (Invoice 2026-017) Tj ET\n\
BT /F1 12 Tf 72 740 Td (Amount due:) Tj ET\n\
BT /F1 12 Tf 72 700 Td (Clause A: the buyer owes 1,000,000 EUR) Tj ET\n\
q 1 0 0 1 60 690 cm /Cover Do Q\n\
BT /F1 12 Tf 72 660 Td (Clause B: the seller waives all claims) Tj ET\n\
/OC /oc1 BDC 1 1 1 rg 60 650 420 30 re f EMC\n\
BT /F1 12 Tf 72 620 Td (Clause C: a late fee of 500 EUR a day) Tj ET\n";
    let white = b"1 1 1 rg 0 0 420 30 re f";
    let form = "/Type/XObject/Subtype/Form/BBox[0 0 420 30]";
    let field_ap = |text: &str| {
        stream(
            "/Type/XObject/Subtype/Form/BBox[0 0 240 20]/Resources<</Font<</F1 5 0 R>>>>",
            format!("/Tx BMC BT /F1 12 Tf 2 5 Td ({text}) Tj ET EMC").as_bytes(),
        )
    };
    let objects: Vec<(u32, Vec<u8>)> = vec![
        (1, b"<</Type/Catalog/Pages 2 0 R/AcroForm 20 0 R/OCProperties<</OCGs[12 0 R]/D<</ON[12 0 R]/OFF[]>>>>>>".to_vec()),
        (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec()),
        (
            3,
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>/XObject<</Cover 6 0 R>>/Properties<</oc1 12 0 R>>>>/Contents 4 0 R/Annots[21 0 R 22 0 R 25 0 R]>>".to_vec(),
        ),
        (4, stream("", content)),
        (5, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>".to_vec()),
        (6, stream(form, white)),
        (7, stream(form, b"")),
        (10, b"<</Type/Page/Parent 14 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 11 0 R>>".to_vec()),
        (11, stream("", b"BT /F1 14 Tf 72 770 Td (Invoice 2026-017: nothing is owed) Tj ET")),
        (12, b"<</Type/OCG/Name(cover)>>".to_vec()),
        (13, b"<</Type/Catalog/Pages 14 0 R/AcroForm 20 0 R>>".to_vec()),
        (14, b"<</Type/Pages/Kids[10 0 R]/Count 1>>".to_vec()),
        (20, b"<</Fields[21 0 R 22 0 R]/DA(/F1 12 Tf 0 g)/DR<</Font<</F1 5 0 R>>>>>>".to_vec()),
        (
            21,
            b"<</Type/Annot/Subtype/Widget/FT/Tx/T(amount)/V(100 EUR)/DA(/F1 12 Tf 0 g)/Rect[160 735 400 755]/P 3 0 R/F 4/AP<</N 23 0 R>>>>".to_vec(),
        ),
        (
            22,
            b"<</Type/Annot/Subtype/Widget/FT/Tx/Ff 1/T(iban)/V(DE02 1203 0000 0000 2020 51)/DA(/F1 12 Tf 0 g)/Rect[160 715 400 735]/P 3 0 R/F 4/AP<</N 24 0 R>>>>".to_vec(),
        ),
        (23, field_ap("100 EUR")),
        (24, field_ap("DE02 1203 0000 0000 2020 51")),
        (25, b"<</Type/Annot/Subtype/Square/Rect[60 610 480 640]/F 4/C[1 1 1]/IC[1 1 1]/AP<</N 26 0 R>>>>".to_vec()),
        (26, stream(form, white)),
        // Shadow bodies: the xref lists the first definition of each number only.
        (6, stream(form, b"")),
        (4, stream("", b"BT /F1 14 Tf 72 770 Td (Invoice 2026-017: nothing is owed) Tj ET")),
    ];
    build_pdf(&objects, 1)
}

/// The offset of the `index`-th body of `num` in the shadow document.
fn shadow_body(offsets: &[usize], num: u32, index: usize) -> usize {
    let (pdf, _) = shadow_document();
    offsets
        .iter()
        .copied()
        .filter(|o| pdf[*o..].starts_with(format!("{num} 0 obj").as_bytes()))
        .nth(index)
        .unwrap()
}

#[test]
fn shadow_hide() {
    use shadow::*;
    let (doc, offsets) = shadow_document();
    let pdf = seal(doc, RECT, None);

    // The overlay redefined: the cover drawn empty.
    let empty = stream("/Type/XObject/Subtype/Form/BBox[0 0 420 30]", b"");
    let s = verify(&append_update(&pdf, &[(COVER, &empty)], ""));
    assert_disallowed(only(&s), "OTHER", "object 6 0 /XObject (stream) changed");

    // Only a new xref: the cover's number pointed at its second (empty) body, already in
    // the signed bytes.
    let s = verify(&append_section(
        &pdf,
        &[],
        &[(COVER, shadow_body(&offsets, COVER, 1))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 6 0 /XObject (stream) changed");

    // Only a new xref: the cover's number pointed at another object's body.
    let s = verify(&append_section(
        &pdf,
        &[],
        &[(COVER, shadow_body(&offsets, EMPTY_FORM, 0))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 6 is unreadable");

    // The optional content switched off in the catalog.
    let mut catalog = dict_of(&pdf, CATALOG);
    catalog.set(
        b"OCProperties",
        parse("<</OCGs[12 0 R]/D<</ON[]/OFF[12 0 R]>>>>"),
    );
    let s = verify(&append_update(
        &pdf,
        &[(CATALOG, &body(&Object::Dict(catalog)))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "catalog /OCProperties changed");

    // The optional content group itself redefined (usage: never shown).
    let s = verify(&append_update(
        &pdf,
        &[(
            OCG,
            b"<</Type/OCG/Name(cover)/Usage<</View<</ViewState/OFF>>>>>>",
        )],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 12 0 /OCG (dictionary) changed");

    // The white Square annotation removed from the page: an annotation change, which a
    // signature without DocMDP permits and the report lists; under P=2 it is refused.
    let mut page = dict_of(&pdf, PAGE);
    let annots: Vec<Object> = page
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| **a != r(SQUARE))
        .cloned()
        .collect();
    page.set(b"Annots", Object::Array(annots));
    let s = verify(&append_update(
        &pdf,
        &[(PAGE, &body(&Object::Dict(page.clone())))],
        "",
    ));
    let s = only(&s);
    assert_outcome(s, Indication::TotalPassed, None, &[]);
    assert_eq!(s.modification.map(|m| m.as_str()), Some("ANNOTATIONS"));
    assert_eq!(
        s.changes,
        ["revision 3: annotation 25 0 removed from page 1 (ANNOTATIONS)"]
    );
    let (doc, _) = shadow_document();
    let certified = seal(doc, RECT, Some(DocMdp::FormFilling));
    let mut page = dict_of(&certified, PAGE);
    let annots: Vec<Object> = page
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| **a != r(SQUARE))
        .cloned()
        .collect();
    page.set(b"Annots", Object::Array(annots));
    let s = verify(&append_update(
        &certified,
        &[(PAGE, &body(&Object::Dict(page)))],
        "",
    ));
    assert_disallowed(only(&s), "ANNOTATIONS", "annotation 25 0 removed");
}

#[test]
fn fieldmdp_locks_protect_the_fields_they_name() {
    use eseal::pdf::FieldLock;
    use shadow::*;
    let cases = [
        (FieldLock::All, false),
        (FieldLock::Include(vec!["amount".into()]), false),
        (FieldLock::Exclude(vec!["amount".into()]), true),
        (FieldLock::Include(vec!["iban".into()]), true),
    ];
    for (lock, may_fill) in cases {
        let (doc, _) = shadow_document();
        let mut options = office().options(RECT);
        options.lock = Some(lock.clone());
        let pdf = seal_pdf(doc, &options).unwrap();
        assert_outcome(only(&verify(&pdf)), Indication::TotalPassed, None, &[]);
        let mut amount = dict_of(&pdf, AMOUNT);
        amount.set(b"V", parse("(1,000,000 EUR)"));
        let filled = append_update(&pdf, &[(AMOUNT, &body(&Object::Dict(amount)))], "");
        let s = verify(&filled);
        let s = only(&s);
        if may_fill {
            assert_outcome(s, Indication::TotalPassed, None, &[]);
            assert_eq!(
                s.modification.map(|m| m.as_str()),
                Some("FORM_FILLING"),
                "{lock:?}"
            );
        } else {
            assert_disallowed(s, "OTHER", "form field \"amount\" /V");
        }
    }
}

/// Twelve signatures with four kinds of FieldMDP lock, the fillable field filled after
/// every third: the analysis the signatures share gives, for every signed revision and
/// lock, exactly the changes of comparing every later revision anew, and the verdicts are
/// the locks' own.
#[test]
fn shared_modification_analysis_matches_the_analysis_per_signature() {
    use eseal::pdf::FieldLock;
    use eseal::pdf::diff::{Analysis, changes_after};
    use shadow::*;
    use std::collections::HashSet;
    let locks = [
        None,
        Some(FieldLock::Include(vec!["amount".into()])),
        Some(FieldLock::All),
        Some(FieldLock::Exclude(vec!["amount".into()])),
    ];
    let (mut pdf, _) = shadow_document();
    let count = 12;
    for i in 0..count {
        let (x, y) = (40.0 + 60.0 * (i % 8) as f64, 80.0 + 60.0 * (i / 8) as f64);
        let mut options = office().options([x, y, x + 50.0, y + 50.0]);
        options.lock = locks[i % 4].clone();
        pdf = seal_pdf(pdf, &options).unwrap();
        if i % 3 == 2 {
            let mut amount = dict_of(&pdf, AMOUNT);
            amount.set(b"V", parse(&format!("({i}00 EUR)")));
            pdf = append_update(&pdf, &[(AMOUNT, &body(&Object::Dict(amount)))], "");
        }
    }

    let report = verify(&pdf);
    assert_eq!(report.signatures.len(), count);
    for (i, s) in report.signatures.iter().enumerate() {
        // One reason per revision that breaks the lock: filling `amount` (locked by
        // /Include of it and by /All), a later signature field (locked by /All and by
        // /Exclude of another field).
        let fills = (i..count).filter(|j| j % 3 == 2).count();
        let signatures = count - 1 - i;
        let disallowed = match &locks[i % 4] {
            None => 0,
            Some(FieldLock::Include(_)) => fills,
            Some(FieldLock::All) => fills + signatures,
            Some(FieldLock::Exclude(_)) => signatures,
        };
        if disallowed == 0 {
            assert_outcome(s, Indication::TotalPassed, None, &[]);
            assert_eq!(
                s.modification.map(|m| m.as_str()),
                Some("FORM_FILLING"),
                "{i}"
            );
        } else {
            assert_format_failure(s, &vec!["DISALLOWED_MODIFICATION"; disallowed]);
            assert_eq!(s.modification.map(|m| m.as_str()), Some("OTHER"), "{i}");
        }
    }

    let doc = Document::parse(&pdf).unwrap();
    let nodes: Vec<ObjRef> = (0..=doc.latest())
        .flat_map(|rev| eseal::pdf::form::field_tree(&doc, rev).unwrap())
        .map(|n| n.object)
        .collect();
    let amount = ObjRef {
        num: AMOUNT,
        generation: 0,
    };
    let lock_sets: Vec<HashSet<ObjRef>> = vec![
        HashSet::new(),
        HashSet::from([amount]),
        nodes.iter().copied().collect(),
        nodes.iter().copied().filter(|r| *r != amount).collect(),
        nodes.iter().copied().step_by(2).collect(),
    ];
    let analysis = Analysis::new(&doc);
    let mut differ = false;
    for signed in (0..doc.latest()).rev() {
        for set in lock_sets.iter().chain(lock_sets.iter().rev()) {
            let shared = analysis.changes_after(signed, set).unwrap();
            let anew = changes_after(&doc, signed, set).unwrap();
            assert_eq!(shared, anew, "signed revision {signed}, lock {set:?}");
            differ |= shared != analysis.changes_after(signed, &lock_sets[0]).unwrap();
        }
    }
    assert!(differ, "no lock changed the analysis");
}

#[test]
fn shadow_replace_form_fields() {
    use shadow::*;
    for certify in [None, Some(DocMdp::FormFilling), Some(DocMdp::NoChanges)] {
        let (doc, _) = shadow_document();
        let pdf = seal(doc, RECT, certify);
        let n = next_free(&pdf);
        let ap = stream(
            "/Type/XObject/Subtype/Form/BBox[0 0 240 20]/Resources<</Font<</F1 5 0 R>>>>",
            b"/Tx BMC BT /F1 12 Tf 2 5 Td (1,000,000 EUR) Tj ET EMC",
        );
        // (a) The fillable field's value and appearance changed.
        let mut amount = dict_of(&pdf, AMOUNT);
        amount.set(b"V", parse("(1,000,000 EUR)"));
        amount.set(b"AP", Object::Dict(eseal::pdf::object::dict([("N", r(n))])));
        let filled = append_update(
            &pdf,
            &[(AMOUNT, &body(&Object::Dict(amount))), (n, &ap)],
            "",
        );
        let s = verify(&filled);
        let s = only(&s);
        let listed = "revision 3: form field \"amount\" /V (100 EUR) -> (1,000,000 EUR) on page 1 [160 735 400 755] (FORM_FILLING)";
        assert!(s.changes.iter().any(|c| c == listed), "{:#?}", s.changes);
        assert_eq!(s.modification.map(|m| m.as_str()), Some("FORM_FILLING"));
        if certify == Some(DocMdp::NoChanges) {
            assert_disallowed(s, "FORM_FILLING", "form field \"amount\" /V");
        } else {
            assert_outcome(s, Indication::TotalPassed, None, &[]);
        }
        // Only the appearance stream redrawn in place: listed as the widget's.
        let s = verify(&append_update(&pdf, &[(AMOUNT_AP, &ap)], ""));
        let s = only(&s);
        assert_eq!(
            s.changes,
            ["revision 3: appearance stream 23 0 of widget 21 0 redrawn (FORM_FILLING)"]
        );

        // The read-only field's value changed: never allowed.
        let mut iban = dict_of(&pdf, IBAN);
        iban.set(b"V", parse("(GB33 BUKB 2020 1555 5555 55)"));
        let s = verify(&append_update(
            &pdf,
            &[(IBAN, &body(&Object::Dict(iban)))],
            "",
        ));
        assert_disallowed(only(&s), "OTHER", "form field \"iban\" /V");
        // Its appearance stream redefined in place.
        let s = verify(&append_update(&pdf, &[(24, &ap)], ""));
        assert_disallowed(only(&s), "OTHER", "object 24 0 /XObject (stream) changed");
        // The field's rectangle moved over the page's text.
        let mut amount = dict_of(&pdf, AMOUNT);
        amount.set(b"Rect", parse("[60 600 480 780]"));
        let s = verify(&append_update(
            &pdf,
            &[(AMOUNT, &body(&Object::Dict(amount)))],
            "",
        ));
        assert_disallowed(only(&s), "OTHER", "form field \"amount\" /Rect");
    }
}

#[test]
fn shadow_replace_fonts_and_content() {
    use shadow::*;
    let (doc, _) = shadow_document();
    let pdf = seal(doc, RECT, None);
    let n = next_free(&pdf);
    for (label, font) in [
        ("base font", b"<</Type/Font/Subtype/Type1/BaseFont/Symbol>>".to_vec()),
        (
            "widths",
            format!("<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding/FirstChar 32/LastChar 126/Widths[{}]>>", "0 ".repeat(95))
                .into_bytes(),
        ),
        (
            "to unicode",
            format!("<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding/ToUnicode {n} 0 R>>").into_bytes(),
        ),
    ] {
        let cmap = stream("", b"/CIDInit /ProcSet findresource begin 1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <31> <0039> endbfchar end");
        let s = verify(&append_update(&pdf, &[(FONT, &font), (n, &cmap)], ""));
        assert_disallowed(only(&s), "OTHER", "object 5 0 /Font (dictionary) changed");
        let message = only(&s).reasons[0].to_string();
        assert!(message.contains("page content"), "{label}: {message}");
    }
    // The page's resources pointing the font name at another font.
    let mut page = dict_of(&pdf, PAGE);
    page.set(
        b"Resources",
        parse("<</Font<</F1 99 0 R>>/XObject<</Cover 6 0 R>>/Properties<</oc1 12 0 R>>>>"),
    );
    let s = verify(&append_update(
        &pdf,
        &[(PAGE, &body(&Object::Dict(page)))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "page 3 0 /Resources changed");
    // The content stream redefined.
    let s = verify(&append_update(
        &pdf,
        &[(CONTENT, &stream("", b"BT /F1 12 Tf 72 700 Td (Paid) Tj ET"))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 4 0 (stream) changed");
}

#[test]
fn shadow_hide_and_replace() {
    use shadow::*;
    let (doc, offsets) = shadow_document();
    let pdf = seal(doc, RECT, None);
    // Only a new xref and trailer, /Root on the shadow catalog (it shares the AcroForm, so
    // the seal is still found).
    let s = verify(&append_section(
        &pdf,
        &[],
        &[],
        &format!("/Root {SHADOW_CATALOG} 0 R"),
    ));
    assert_disallowed(only(&s), "OTHER", "/Root points at another catalog");
    // Only a new xref: the page content's number on its shadow body.
    let s = verify(&append_section(
        &pdf,
        &[],
        &[(CONTENT, shadow_body(&offsets, CONTENT, 1))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 4 0 (stream) changed");
    // Only a new xref: the page's number on the shadow page's body.
    let s = verify(&append_section(
        &pdf,
        &[],
        &[(PAGE, shadow_body(&offsets, SHADOW_PAGE, 0))],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "object 3 is unreadable");
    // Only a new xref: the catalog's number on the shadow catalog's body. The catalog is
    // needed to find the signatures at all: the file is unreadable.
    let err = try_verify(&append_section(
        &pdf,
        &[],
        &[(CATALOG, shadow_body(&offsets, SHADOW_CATALOG, 0))],
        "",
    ))
    .unwrap_err();
    assert!(
        err.to_string().contains("xref points object 1 at offset"),
        "{err}"
    );
}

/// A dangling reference in the signed page (an XObject name bound to an object number the
/// file never defines, drawn as nothing), defined after signing.
#[test]
fn shadow_replace_through_a_dangling_reference() {
    let content =
        b"BT /F1 12 Tf 72 700 Td (Amount due: 100 EUR) Tj ET q 1 0 0 1 60 690 cm /Later Do Q";
    let objects: Vec<(u32, Vec<u8>)> = vec![
        (1, b"<</Type/Catalog/Pages 2 0 R>>".to_vec()),
        (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec()),
        (
            3,
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>/XObject<</Later 90 0 R>>>>/Contents 4 0 R>>".to_vec(),
        ),
        (4, stream("", content)),
        (5, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>".to_vec()),
    ];
    let (doc, _) = build_pdf(&objects, 1);
    let pdf = seal(doc, RECT, None);
    assert_outcome(only(&verify(&pdf)), Indication::TotalPassed, None, &[]);
    let overlay = stream(
        "/Type/XObject/Subtype/Form/BBox[0 0 420 30]/Resources<</Font<</F1 5 0 R>>>>",
        b"1 1 1 rg 0 0 420 30 re f 0 g BT /F1 12 Tf 12 10 Td (Amount due: 0 EUR) Tj ET",
    );
    let s = verify(&append_update(&pdf, &[(90, &overlay)], ""));
    assert_disallowed(only(&s), "OTHER", "object 90 0");
}

/// An xref section planted before signing, just ahead of where eseal's own xref will
/// land, with a `/Prev` pointing at it; after signing one empty section chains to it. The
/// planted section must not pass as the first-page section of a linearized file (which
/// would merge it into the signed revision).
#[test]
fn shadow_hide_and_replace_through_a_planted_xref_section() {
    let build = |prev: usize| -> (Vec<u8>, usize, usize) {
        let (mut pdf, offsets) = shadow_document();
        // Cut the trailer; plant the section after the bodies, then a fresh xref.
        let xref = find(&pdf, b"\nxref\n") + 1;
        let tail = pdf.split_off(xref);
        let planted = pdf.len();
        let shadow_content = shadow_body(&offsets, shadow::CONTENT, 1);
        pdf.extend_from_slice(
            format!("xref\n4 1\n{shadow_content:010} 00000 n\r\ntrailer\n<</Size 27/Root 1 0 R/Prev {prev:010}>>\nstartxref\n0\n%%EOF\n").as_bytes(),
        );
        let shift = pdf.len() - planted;
        // The fresh xref: same entries, the startxref shifted.
        let text = String::from_utf8(tail).unwrap();
        let (table, trailer) = text.split_once("startxref\n").unwrap();
        let old: usize = trailer.lines().next().unwrap().parse().unwrap();
        pdf.extend_from_slice(table.as_bytes());
        pdf.extend_from_slice(format!("startxref\n{}\n%%EOF\n", old + shift).as_bytes());
        (pdf, planted, 0)
    };
    // Seal once to learn where eseal's xref lands, then plant a /Prev pointing at it.
    let (probe, _, _) = build(0);
    let probe_sealed = seal(probe, RECT, None);
    let signed_xref = Document::parse(&probe_sealed)
        .unwrap()
        .sections
        .last()
        .unwrap()
        .offset;
    let (doc, planted, _) = build(signed_xref);
    let pdf = seal(doc, RECT, None);
    assert_eq!(
        Document::parse(&pdf)
            .unwrap()
            .sections
            .last()
            .unwrap()
            .offset,
        signed_xref
    );
    assert_outcome(only(&verify(&pdf)), Indication::TotalPassed, None, &[]);
    let xref = pdf.len();
    let attacked = [
        &pdf[..],
        format!(
            "xref\ntrailer\n<</Size 40/Root 1 0 R/Prev {planted}>>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    ]
    .concat();
    let s = verify(&attacked);
    assert_disallowed(only(&s), "OTHER", "object 4 0 (stream) changed");
}

// ---------------------------------------------------------------------------------------
// Evil Annotation and Sneaky Signature (certified documents)
// ---------------------------------------------------------------------------------------

/// Three annotations showing text, added to page 1 (object 3) of `pdf`: returns the file
/// and their numbers.
fn add_annotations(pdf: &[u8]) -> (Vec<u8>, [u32; 3]) {
    let n = next_free(pdf);
    let ap = |text: &str| {
        stream(
            "/Type/XObject/Subtype/Form/BBox[0 0 300 40]/Resources<</Font<</F1 5 0 R>>>>",
            format!("1 1 1 rg 0 0 300 40 re f 0 g BT /F1 14 Tf 5 12 Td ({text}) Tj ET").as_bytes(),
        )
    };
    let free_text = format!(
        "<</Type/Annot/Subtype/FreeText/Rect[72 700 372 740]/Contents(Paid in full)/DA(/F1 14 Tf 0 g)/F 4/AP<</N {} 0 R>>>>",
        n + 3
    );
    let stamp = format!(
        "<</Type/Annot/Subtype/Stamp/Name/Approved/Rect[72 640 372 680]/F 4/AP<</N {} 0 R>>>>",
        n + 4
    );
    let square = format!(
        "<</Type/Annot/Subtype/Square/Rect[60 760 400 800]/F 4/IC[1 1 1]/AP<</N {} 0 R>>>>",
        n + 5
    );
    let mut page = dict_of(pdf, 3);
    let mut annots = page
        .get(b"Annots")
        .map(|a| a.as_array().unwrap().to_vec())
        .unwrap_or_default();
    annots.extend([r(n), r(n + 1), r(n + 2)]);
    page.set(b"Annots", Object::Array(annots));
    let (a1, a2, a3) = (
        ap("Paid in full"),
        ap("APPROVED"),
        ap("Licence valid until 2099"),
    );
    let out = append_update(
        pdf,
        &[
            (3, &body(&Object::Dict(page))),
            (n, free_text.as_bytes()),
            (n + 1, stamp.as_bytes()),
            (n + 2, square.as_bytes()),
            (n + 3, &a1),
            (n + 4, &a2),
            (n + 5, &a3),
        ],
        "",
    );
    (out, [n, n + 1, n + 2])
}

#[test]
fn evil_annotations_on_certified_documents() {
    for p in [DocMdp::NoChanges, DocMdp::FormFilling, DocMdp::Annotations] {
        let (pdf, [a, b, c]) = add_annotations(&certified(p));
        let s = verify(&pdf);
        let s = only(&s);
        let expected = [
            format!(
                "revision 3: /FreeText annotation {a} 0 added on page 1 [72 700 372 740] (ANNOTATIONS)"
            ),
            format!(
                "revision 3: /Stamp annotation {b} 0 added on page 1 [72 640 372 680] (ANNOTATIONS)"
            ),
            format!(
                "revision 3: /Square annotation {c} 0 added on page 1 [60 760 400 800] (ANNOTATIONS)"
            ),
        ];
        assert_eq!(s.changes, expected, "P={p:?}");
        assert_eq!(s.modification.map(|m| m.as_str()), Some("ANNOTATIONS"));
        if p == DocMdp::Annotations {
            assert_outcome(s, Indication::TotalPassed, None, &[]);
        } else {
            assert_disallowed(s, "ANNOTATIONS", "/FreeText annotation");
        }
    }
    // Without certification the annotations are allowed and listed, but they draw over the
    // signed page: INDETERMINATE until a person has looked (PDF.md §2a).
    let (pdf, [a, b, c]) = add_annotations(&sealed());
    let s = verify(&pdf);
    let s = only(&s);
    assert_outcome(
        s,
        Indication::Indeterminate,
        Some(SubIndication::SigConstraintsFailure),
        &["ANNOTATION_OVER_CONTENT"],
    );
    assert_eq!(s.changes.len(), 3);
    assert_eq!(
        s.reasons[0].to_string(),
        format!(
            "revision 3 added annotations that can cover the signed page content; look at them \
             before relying on the page: /FreeText annotation {a} 0 added on page 1 \
             [72 700 372 740]; /Stamp annotation {b} 0 added on page 1 [72 640 372 680]; \
             /Square annotation {c} 0 added on page 1 [60 760 400 800]"
        )
    );
}

/// Annotations that are not plain additions: a widget smuggled in as an annotation, an
/// existing (unreferenced) widget listed on the page, and the seal's own widget removed.
#[test]
fn evil_annotations_that_are_widgets() {
    let pdf = certified(DocMdp::Annotations);
    let n = next_free(&pdf);
    let ap = stream(
        "/Type/XObject/Subtype/Form/BBox[0 0 300 40]",
        b"0 g 0 0 300 40 re f",
    );
    let mut page = dict_of(&pdf, 3);
    let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().to_vec();
    let seal_widget = annots[0].clone();
    annots.push(r(n));
    page.set(b"Annots", Object::Array(annots));
    let widget = format!(
        "<</Type/Annot/Subtype/Widget/Rect[72 700 372 740]/F 4/AP<</N {} 0 R>>>>",
        n + 1
    );
    let s = verify(&append_update(
        &pdf,
        &[
            (3, &body(&Object::Dict(page.clone()))),
            (n, widget.as_bytes()),
            (n + 1, &ap),
        ],
        "",
    ));
    assert_disallowed(only(&s), "OTHER", "added to the form or a page");

    // The seal's widget taken off the page.
    page.set(b"Annots", Object::Array(vec![]));
    let s = verify(&append_update(&pdf, &[(3, &body(&Object::Dict(page)))], ""));
    let ObjRef { num, .. } = match seal_widget {
        Object::Ref(w) => w,
        _ => unreachable!(),
    };
    assert_disallowed(only(&s), "OTHER", &format!("widget {num} 0 removed"));
}

/// A shadow widget placed before signing (in the file, on no page), listed on the page
/// after signing.
#[test]
fn evil_annotation_from_a_planted_widget() {
    let objects: Vec<(u32, Vec<u8>)> = vec![
        (1, b"<</Type/Catalog/Pages 2 0 R>>".to_vec()),
        (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec()),
        (3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>".to_vec()),
        (4, stream("", b"BT /F1 12 Tf 72 700 Td (Amount due: 100 EUR) Tj ET")),
        (5, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>".to_vec()),
        (6, b"<</Type/Annot/Subtype/Widget/Rect[60 690 480 720]/F 4/AP<</N 7 0 R>>>>".to_vec()),
        (
            7,
            stream(
                "/Type/XObject/Subtype/Form/BBox[0 0 420 30]/Resources<</Font<</F1 5 0 R>>>>",
                b"1 1 1 rg 0 0 420 30 re f 0 g BT /F1 12 Tf 12 10 Td (Amount due: 0 EUR) Tj ET",
            ),
        ),
    ];
    let (doc, _) = build_pdf(&objects, 1);
    for certify in [Some(DocMdp::NoChanges), None] {
        let pdf = seal(doc.clone(), RECT, certify);
        let mut page = dict_of(&pdf, 3);
        let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().to_vec();
        annots.push(r(6));
        page.set(b"Annots", Object::Array(annots));
        let s = verify(&append_update(&pdf, &[(3, &body(&Object::Dict(page)))], ""));
        assert_disallowed(only(&s), "OTHER", "widget 6 0");
    }
}

#[test]
fn sneaky_signatures_on_a_certified_document() {
    let pdf = certified(DocMdp::FormFilling);
    let n = next_free(&pdf);
    let ap = stream(
        "/Type/XObject/Subtype/Form/BBox[0 0 495 750]/Resources<</Font<</F1 5 0 R>>>>",
        b"1 1 1 rg 0 0 495 750 re f 0 g BT /F1 24 Tf 20 700 Td (LICENCE REVOKED) Tj ET",
    );
    let add_field = |value: Option<Object>, extra: &[(u32, &[u8])]| -> Vec<u8> {
        let mut widget = eseal::pdf::object::dict([
            ("Type", eseal::pdf::object::name("Annot")),
            ("Subtype", eseal::pdf::object::name("Widget")),
            ("FT", eseal::pdf::object::name("Sig")),
            ("T", parse("(Approval)")),
            ("Rect", parse("[50 50 545 800]")),
            ("P", r(3)),
            ("F", Object::Int(4)),
            (
                "AP",
                Object::Dict(eseal::pdf::object::dict([("N", r(n + 1))])),
            ),
        ]);
        if let Some(v) = value {
            widget.set(b"V", v);
        }
        let mut page = dict_of(&pdf, 3);
        let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().to_vec();
        annots.push(r(n));
        page.set(b"Annots", Object::Array(annots));
        let mut catalog = dict_of(&pdf, 1);
        let Some(Object::Dict(form)) = catalog.get(b"AcroForm").cloned() else {
            panic!()
        };
        let mut form = form;
        let mut fields = form.get(b"Fields").unwrap().as_array().unwrap().to_vec();
        fields.push(r(n));
        form.set(b"Fields", Object::Array(fields));
        catalog.set(b"AcroForm", Object::Dict(form));
        let mut objects: Vec<(u32, &[u8])> = Vec::new();
        let (c, p, w) = (
            body(&Object::Dict(catalog)),
            body(&Object::Dict(page)),
            body(&Object::Dict(widget)),
        );
        objects.extend([(1, &c[..]), (3, &p[..]), (n, &w[..]), (n + 1, &ap[..])]);
        objects.extend_from_slice(extra);
        append_update(&pdf, &objects, "")
    };

    // Unsigned: a new signature field is not form filling.
    let s = verify(&add_field(None, &[]));
    assert_disallowed(
        only(&s),
        "OTHER",
        "new unsigned signature field \"Approval\"",
    );

    // "Signed" with the certification signature's own value: refused.
    let sig = first_sig(&pdf);
    let s = verify(&add_field(Some(r(sig.num)), &[]));
    assert_disallowed(&s.signatures[0], "OTHER", "reuses");

    // "Signed" with a forged value (a copy of the certification signature's dictionary):
    // the certification signature allows a new signed field and lists it; the forged one
    // fails on its own.
    let copy = pdf[sig.span.0..sig.span.1].to_vec();
    let header_len = find(&copy, b"obj") + 4;
    let forged = &copy[header_len..copy.len() - b"endobj".len()];
    let s = verify(&add_field(Some(r(n + 2)), &[(n + 2, forged)]));
    assert_eq!(s.signatures.len(), 2);
    let (certification, approval) = (&s.signatures[0], &s.signatures[1]);
    assert_outcome(certification, Indication::TotalPassed, None, &[]);
    assert!(
        certification.changes.iter().any(
            |c| c.contains("new signature field \"Approval\" widget on page 1 [50 50 545 800]")
        )
    );
    assert_format_failure(approval, &["BYTE_RANGE_INVALID"]);
    assert_eq!(s.indication(), Some(Indication::TotalFailed));

    // Really signed, by eseal, with a widget drawing the seal: allowed and listed.
    let twice = seal(pdf.clone(), RECT2, None);
    let s = verify(&twice);
    assert_eq!(s.signatures.len(), 2);
    assert_outcome(&s.signatures[0], Indication::TotalPassed, None, &[]);
    assert_eq!(
        s.signatures[0].modification.map(|m| m.as_str()),
        Some("FORM_FILLING")
    );
    assert!(
        s.signatures[0]
            .changes
            .iter()
            .any(|c| c
                .contains("new signature field \"Seal2\" widget on page 1 [100 80 213.4 193.4]")),
        "{:#?}",
        s.signatures[0].changes
    );
    assert_outcome(&s.signatures[1], Indication::TotalPassed, None, &[]);

    // The certification seal's own appearance redrawn afterwards: a signed field changed.
    let seal_widget_ap = {
        let catalog = dict_of(&pdf, 1);
        let form = catalog.get(b"AcroForm").unwrap().as_dict().unwrap().clone();
        let Object::Ref(widget) = form.get(b"Fields").unwrap().as_array().unwrap()[0] else {
            panic!()
        };
        let d = dict_of(&pdf, widget.num);
        match d.get(b"AP").unwrap().as_dict().unwrap().get(b"N").unwrap() {
            Object::Ref(ap) => ap.num,
            _ => unreachable!(),
        }
    };
    let s = verify(&append_update(&pdf, &[(seal_widget_ap, &ap)], ""));
    assert_disallowed(
        only(&s),
        "OTHER",
        &format!("object {seal_widget_ap} 0 /XObject (stream) changed"),
    );
}

// ---------------------------------------------------------------------------------------
// Trailing garbage
// ---------------------------------------------------------------------------------------

#[test]
fn trailing_bytes() {
    let pdf = sealed();
    for tail in [&b"\n"[..], b"\r\n\r\n", b" \t\x0c\x00\n"] {
        let s = verify(&[&pdf[..], tail].concat());
        assert_outcome(only(&s), Indication::TotalPassed, None, &[]);
    }
    for tail in [
        &b"x"[..],
        b"\n%comment\n",
        b"\n%%EOF\n",
        b"\n\n\x01",
        b"0 0 obj null endobj",
    ] {
        let s = verify(&[&pdf[..], tail].concat());
        assert_format_failure(only(&s), &["TRAILING_DATA"]);
    }
}

// ---------------------------------------------------------------------------------------
// One-byte flips
// ---------------------------------------------------------------------------------------

/// The regions of the flipped file, each with what a one-byte change there must give
/// ([`check_flip`]). "Fails" means not TOTAL-PASSED; an error from `verify_pdf` (the file
/// unreadable) is accepted only in the file structure: header, xref sections and the
/// objects that lead to the signature.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Region {
    /// `%PDF-1.7`: an error (no header) or a failure.
    Header,
    /// An xref section with its trailer, `startxref` and `%%EOF`: an error, the signature
    /// lost (no longer found), or a failure.
    Xref,
    /// The objects from the trailer to the signature dictionary, as of the latest revision:
    /// the catalog (with its direct AcroForm) and the signature field. As for `Xref`.
    Structure,
    /// The signature dictionary outside its /Contents gap (e.g. `/ByteRange`, `/M`,
    /// `/ESeal_Seal`): a failure, never an error (an unreadable dictionary is a
    /// SIGNATURE_DICT_MALFORMED signature).
    SigDict,
    /// `<` or `>` of the gap: a failure with SIGNATURE_DICT_MALFORMED.
    GapDelimiter,
    /// A hex digit of the CMS, with the byte index into the DER. Another hex digit of the
    /// same value (a case change) passes: the bytes are the same. Another value fails,
    /// except in the CMS parts nothing signed covers ([`CmsLayout::unsigned_spans`]),
    /// which may pass. White space: exactly BYTE_RANGE_INVALID (the gap is no longer only
    /// hex digits); any other byte: exactly SIGNATURE_DICT_MALFORMED and
    /// BYTE_RANGE_INVALID (the dictionary does not parse, its gap is not a hex string).
    Der(usize),
    /// A `0` of the zero padding after the CMS. Another hex digit passes, with the warning
    /// that the padding is not zero; white space and other bytes as for `Der`.
    Padding,
    /// Any other signed byte (other objects, comments, white space between objects): a
    /// failure with DIGEST_MISMATCH, never an error or a lost signature. Even a change that
    /// keeps the PDF's meaning (in a comment, white space for white space) fails: the
    /// digest covers bytes.
    Body,
    /// White space after the last `%%EOF` (appended for this test, outside the signed
    /// range): white space for white space passes; anything else is TRAILING_DATA.
    Trailing,
}

struct Layout {
    sig: SigDict,
    der_hex_end: usize,
    xref: Vec<(usize, usize)>,
    structure: Vec<(usize, usize)>,
    unsigned_der: Vec<(usize, usize)>,
    signed_end: usize,
}

impl Layout {
    fn of(pdf: &[u8]) -> Layout {
        let doc = Document::parse(pdf).unwrap();
        let sig = first_sig(pdf);
        let der = cms_of(pdf, &sig);
        let cms = cms_layout(&der, office().signer.der());
        let rev = doc.latest();
        let field = doc.catalog(rev).unwrap();
        let form = field.get(b"AcroForm").unwrap().as_dict().unwrap().clone();
        let widget = match &form.get(b"Fields").unwrap().as_array().unwrap()[0] {
            Object::Ref(w) => w.num,
            _ => unreachable!(),
        };
        Layout {
            sig,
            der_hex_end: sig.range[1] + 1 + 2 * cms.der_len,
            xref: doc.sections.iter().map(|s| (s.offset, s.end)).collect(),
            structure: [doc.root_ref(rev).unwrap().num, widget]
                .iter()
                .map(|n| doc.object_span(*n, rev).unwrap())
                .collect(),
            unsigned_der: cms.unsigned_spans,
            signed_end: sig.range[2] + sig.range[3],
        }
    }

    fn region(&self, p: usize) -> Region {
        let within = |spans: &[(usize, usize)]| spans.iter().any(|(s, e)| (*s..*e).contains(&p));
        let [_, a, b, _] = self.sig.range;
        if p >= self.signed_end {
            Region::Trailing
        } else if p < 8 {
            Region::Header
        } else if p == a || p == b - 1 {
            Region::GapDelimiter
        } else if (a + 1..self.der_hex_end).contains(&p) {
            Region::Der((p - a - 1) / 2)
        } else if (self.der_hex_end..b - 1).contains(&p) {
            Region::Padding
        } else if within(&self.xref) {
            Region::Xref
        } else if within(&self.structure) {
            Region::Structure
        } else if (self.sig.span.0..self.sig.span.1).contains(&p) {
            Region::SigDict
        } else {
            Region::Body
        }
    }
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn is_pdf_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// The replacement bytes tried at `p`: for the gap and the trailing white space a hex
/// digit, a white-space byte and another byte (and a case change of a hex letter); else one
/// pseudo-random flip.
fn replacements(region: Region, old: u8, rng: &mut Rng) -> Vec<u8> {
    let hex = b"0123456789ABCDEFabcdef";
    let mut out = Vec::new();
    match region {
        Region::Der(_) | Region::Padding => {
            let mut digit = hex[rng.below(hex.len())];
            while digit.eq_ignore_ascii_case(&old) {
                digit = hex[rng.below(hex.len())];
            }
            out.push(digit);
            if old.is_ascii_alphabetic() {
                out.push(old ^ 0x20);
            }
            if rng.below(4) == 0 {
                out.push(b"\n \r\t"[rng.below(4)]);
                out.push(b"gxz/)"[rng.below(5)]);
            }
        }
        Region::Trailing => {
            let ws = [b' ', b'\n', b'\r', b'\t']
                .into_iter()
                .find(|w| *w != old)
                .unwrap();
            out.extend([ws, b'x', b'%']);
        }
        _ => out.push(old ^ (1 + rng.below(255) as u8)),
    }
    out
}

/// The sampled positions: every byte of the header, the xref sections, the structure
/// objects, the gap's delimiters, the first and last bytes of the CMS and of the padding,
/// the trailing white space; one in 5 bytes of the CMS, and a spread over everything else.
fn sample_positions(pdf: &[u8], layout: &Layout, rng: &mut Rng) -> Vec<usize> {
    let [_, a, b, _] = layout.sig.range;
    let mut positions: Vec<usize> = (0..8).collect();
    for (s, e) in layout.xref.iter().chain(&layout.structure) {
        positions.extend(*s..*e);
    }
    positions.extend([a, b - 1]);
    positions.extend(
        (a + 1..a + 41)
            .chain(layout.der_hex_end - 40..layout.der_hex_end + 40)
            .chain(b - 21..b - 1),
    );
    positions.extend((a + 41..layout.der_hex_end - 40).step_by(5));
    positions.extend((layout.der_hex_end + 40..b - 21).step_by(97));
    positions.extend((layout.sig.span.0..layout.sig.span.1).step_by(211));
    positions.extend(layout.signed_end..pdf.len());
    for _ in 0..300 {
        positions.push(rng.below(pdf.len()));
    }
    positions.sort_unstable();
    positions.dedup();
    positions
}

/// What a flip of `p` to `new` must give.
fn check_flip(
    layout: &Layout,
    p: usize,
    old: u8,
    new: u8,
    outcome: &eseal::Result<Report>,
) -> Result<(), String> {
    let region = layout.region(p);
    let report = match outcome {
        Err(e) => {
            return match region {
                Region::Header | Region::Xref | Region::Structure => Ok(()),
                _ => Err(format!("unexpected error: {e}")),
            };
        }
        Ok(report) => report,
    };
    if report.signatures.is_empty() {
        // The signature field was lost: only by breaking the structure that finds it.
        return match region {
            Region::Xref | Region::Structure => Ok(()),
            _ => Err("no signature found".into()),
        };
    }
    let s = &report.signatures[0];
    let passed = s.indication == Indication::TotalPassed;
    let has = |code: &str| codes(s).contains(&code);
    let fail = |why: &str| {
        Err(format!(
            "{why}: {:?} {:?} {:?}",
            s.indication,
            codes(s),
            s.warnings
        ))
    };
    let is_hex = new.is_ascii_hexdigit();
    match region {
        Region::Trailing if is_pdf_whitespace(new) => {
            if !passed {
                return fail("white space after %%EOF must pass");
            }
        }
        Region::Trailing => {
            if passed || !has("TRAILING_DATA") {
                return fail("bytes after %%EOF are trailing data");
            }
        }
        Region::Padding if is_hex => {
            if !passed || !s.warnings.iter().any(|w| w.contains("not zero")) {
                return fail("a hex digit in the padding passes with a warning");
            }
        }
        Region::Der(_) if is_hex && new.eq_ignore_ascii_case(&old) => {
            if !passed {
                return fail("a hex digit's case changes nothing");
            }
        }
        Region::Der(byte) if is_hex => {
            let unsigned = layout
                .unsigned_der
                .iter()
                .any(|(s, e)| (*s..*e).contains(&byte));
            if passed && !unsigned {
                return fail("a changed CMS byte passed");
            }
        }
        Region::Der(_) | Region::Padding if is_pdf_whitespace(new) => {
            if passed || codes(s) != ["BYTE_RANGE_INVALID"] {
                return fail("white space in the gap makes it no hex string");
            }
        }
        Region::Der(_) | Region::Padding => {
            if codes(s) != ["SIGNATURE_DICT_MALFORMED", "BYTE_RANGE_INVALID"] {
                return fail("a non-hex byte in the gap");
            }
        }
        Region::GapDelimiter => {
            if passed || !has("SIGNATURE_DICT_MALFORMED") {
                return fail("a broken /Contents string");
            }
        }
        Region::Body => {
            if passed || !has("DIGEST_MISMATCH") {
                return fail("a signed byte changed");
            }
        }
        Region::Header | Region::Xref | Region::Structure | Region::SigDict => {
            if passed {
                return fail("a signed byte changed");
            }
        }
    }
    Ok(())
}

/// One-byte changes at well over 1,000 deterministically sampled positions of a sealed file
/// (every byte of the header, the xref sections and the structure objects, the gap's
/// delimiters and the edges of the CMS and its padding; one in five CMS hex digits; a
/// spread over the rest), each judged by the rule of its [`Region`]; never a panic.
#[test]
fn one_byte_flips() {
    // eseal's sealed file with white space after the %%EOF, so that flips there are tried.
    let mut pdf = sealed();
    pdf.extend_from_slice(b" \r\n\t\n");
    assert_outcome(only(&verify(&pdf)), Indication::TotalPassed, None, &[]);
    let layout = Layout::of(&pdf);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let positions = sample_positions(&pdf, &layout, &mut rng);
    let flips: Vec<(usize, u8)> = positions
        .iter()
        .flat_map(|&p| {
            replacements(layout.region(p), pdf[p], &mut rng)
                .into_iter()
                .map(move |v| (p, v))
        })
        .filter(|(p, v)| pdf[*p] != *v)
        .collect();
    assert!(flips.len() >= 1000, "{} flips", flips.len());
    let mut regions = std::collections::BTreeMap::new();
    for (p, _) in &flips {
        *regions
            .entry(
                format!("{:?}", layout.region(*p))
                    .split('(')
                    .next()
                    .unwrap()
                    .to_string(),
            )
            .or_insert(0) += 1;
    }
    for region in [
        "Header",
        "Xref",
        "Structure",
        "SigDict",
        "GapDelimiter",
        "Der",
        "Padding",
        "Body",
        "Trailing",
    ] {
        assert!(
            regions.get(region).is_some_and(|n| *n > 0),
            "no flip in {region}: {regions:?}"
        );
    }

    let store = office().hierarchy.store();
    let now = SystemTime::now();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<&[(usize, u8)]> = flips.chunks(flips.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (pdf, layout, store) = (&pdf, &layout, &store);
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    let mut copy = pdf.clone();
                    for &(p, v) in chunk {
                        let old = copy[p];
                        copy[p] = v;
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                verify_pdf(&copy, store, now)
                            }));
                        copy[p] = old;
                        let result = match &outcome {
                            Err(_) => Err("panicked".to_string()),
                            Ok(o) => check_flip(layout, p, old, v, o),
                        };
                        if let Err(why) = result {
                            failures.push(format!(
                                "{p} {:?} {:?}->{:?}: {why}",
                                layout.region(p),
                                old as char,
                                v as char
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} flips misjudged:\n{}",
        failures.len(),
        flips.len(),
        failures.join("\n")
    );
}

/// Objects prepared before signing to play two parts: the fonts of the page also listed as
/// an annotation, as a `/DSS` entry and as the `/Info`; the page content also the catalog's
/// `/Metadata`. Changing them changes the page, whatever else they are.
#[test]
fn shadow_replace_through_objects_with_two_roles() {
    let content = b"BT /F1 12 Tf 72 700 Td (Amount due: 100 EUR) Tj ET BT /F2 12 Tf 72 680 Td (Due: May) Tj ET BT /F3 12 Tf 72 660 Td (To: ACME) Tj ET";
    let font = |name: &str| {
        format!("<</Type/Font/Subtype/Type1/BaseFont/{name}/Encoding/WinAnsiEncoding>>")
            .into_bytes()
    };
    let objects: Vec<(u32, Vec<u8>)> = vec![
        (1, b"<</Type/Catalog/Pages 2 0 R/Metadata 4 0 R/DSS<</Certs 6 0 R>>>>".to_vec()),
        (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec()),
        (
            3,
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R/F2 6 0 R/F3 7 0 R>>>>/Contents 4 0 R/Annots[5 0 R]>>".to_vec(),
        ),
        (4, stream("/Type/Metadata/Subtype/XML", content)),
        (5, font("Helvetica")),
        (6, font("Times-Roman")),
        (7, font("Courier")),
    ];
    let (mut doc, _) = build_pdf(&objects, 1);
    let at = find(&doc, b"/Root 1 0 R>>");
    doc.splice(
        at..at + b"/Root 1 0 R>>".len(),
        b"/Root 1 0 R/Info 7 0 R>>".iter().copied(),
    );
    for certify in [None, Some(DocMdp::NoChanges)] {
        let pdf = seal(doc.clone(), RECT, certify);
        assert_outcome(only(&verify(&pdf)), Indication::TotalPassed, None, &[]);
        for (num, what) in [(5, "annotation"), (6, "DSS entry"), (7, "/Info")] {
            let symbol = b"<</Type/Font/Subtype/Type1/BaseFont/Symbol>>";
            let s = verify(&append_update(&pdf, &[(num, symbol)], ""));
            assert_disallowed(
                only(&s),
                "OTHER",
                &format!("object {num} 0 /Font (dictionary) changed"),
            );
            let message = only(&s).reasons[0].to_string();
            assert!(
                message.contains("page content"),
                "the font that is also {what}: {message}"
            );
        }
        let metadata = stream(
            "/Type/Metadata/Subtype/XML",
            b"BT /F1 12 Tf 72 700 Td (Amount due: 0 EUR) Tj ET",
        );
        let s = verify(&append_update(&pdf, &[(4, &metadata)], ""));
        assert_disallowed(only(&s), "OTHER", "object 4 0 /Metadata (stream) changed");
    }
}

/// An update whose xref lists the page content twice: first at its signed body, then at a
/// new one. eseal reads the first (as some readers do); others take the last.
#[test]
fn incremental_saving_with_an_object_listed_twice() {
    let pdf = sealed();
    let old_content = Document::parse(&pdf).unwrap().object_span(4, 0).unwrap().0;
    let mut attacked = pdf.clone();
    let new_content = attacked.len();
    attacked.extend_from_slice(b"4 0 obj\n");
    attacked.extend_from_slice(&stream(
        "",
        b"BT /F1 14 Tf 72 770 Td (Licence revoked) Tj ET",
    ));
    attacked.extend_from_slice(b"\nendobj\n");
    let xref = attacked.len();
    let prev = last_startxref(&pdf);
    attacked.extend_from_slice(
        format!(
            "xref\n4 1\n{old_content:010} 00000 n\r\n4 1\n{new_content:010} 00000 n\r\ntrailer\n<</Size {}/Root 1 0 R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n",
            next_free(&pdf)
        )
        .as_bytes(),
    );
    let s = verify(&attacked);
    assert_disallowed(only(&s), "OTHER", "object 4 is listed twice");
}

/// Form filling in a tagged document, whose structure tree refers to the field's widget,
/// stays form filling: the structure tree is not page content.
#[test]
fn form_filling_in_a_tagged_document() {
    let objects: Vec<(u32, Vec<u8>)> = vec![
        (1, b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[6 0 R]>>/StructTreeRoot 8 0 R/MarkInfo<</Marked true>>>>".to_vec()),
        (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec()),
        (
            3,
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R/Annots[6 0 R]/StructParents 0>>".to_vec(),
        ),
        (4, stream("", b"BT /F1 12 Tf 72 740 Td (Amount due:) Tj ET")),
        (5, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>".to_vec()),
        (
            6,
            b"<</Type/Annot/Subtype/Widget/FT/Tx/T(amount)/V(100 EUR)/Rect[160 735 400 755]/P 3 0 R/F 4/StructParent 1>>".to_vec(),
        ),
        (8, b"<</Type/StructTreeRoot/K 9 0 R>>".to_vec()),
        (9, b"<</Type/StructElem/S/Form/P 8 0 R/Pg 3 0 R/K<</Type/OBJR/Obj 6 0 R/Pg 3 0 R>>>>".to_vec()),
    ];
    let (doc, _) = build_pdf(&objects, 1);
    let pdf = seal(doc, RECT, Some(DocMdp::FormFilling));
    let mut field = dict_of(&pdf, 6);
    field.set(b"V", parse("(90 EUR)"));
    let s = verify(&append_update(
        &pdf,
        &[(6, &body(&Object::Dict(field)))],
        "",
    ));
    let s = only(&s);
    assert_outcome(s, Indication::TotalPassed, None, &[]);
    assert_eq!(
        s.changes,
        [
            "revision 3: form field \"amount\" /V (100 EUR) -> (90 EUR) on page 1 [160 735 400 755] (FORM_FILLING)"
        ]
    );
}
