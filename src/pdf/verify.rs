//! Verifying every signature of a PDF (PDF.md §2): the signature dictionary, the byte range,
//! the CMS, the chain as of the validation time, the e-seal, and the modification analysis
//! of every later revision. Each failed check is a named reason.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::SystemTime;

use super::diff::{Analysis, Change, ModificationLevel};
use super::document::{Document, XrefEntry};
use super::form::{FieldNode, field_tree};
use super::ltv::read_dss;
use super::object::{Dict, ObjRef, Object, decode_text};
use super::parser::Parser;
use super::source::{Bytes, FileSource, Source};
use crate::cms::{DigestAlgorithm, Hasher, SignedData, TimestampToken};
use crate::error::Result;
use crate::pki::{
    Certificate, ChainValidation, Crl, Findings, OcspResponse, TrustStore, Usage, as_of_proof,
};
use crate::report::{
    Coverage, Reason, Report, ReportKind, Revocation, SignatureReport, Time, TimeSource,
};
use crate::seal::{Seal, verify_seal_with_chain};

/// The SubFilters eseal verifies.
const SUB_FILTERS: [&[u8]; 3] = [
    b"ETSI.CAdES.detached",
    b"adbe.pkcs7.detached",
    b"ETSI.RFC3161",
];

/// A signature field with a value, as found in the AcroForm.
struct SignatureField {
    name: String,
    /// The field (or merged field and widget) whose `/V` it is.
    field: ObjRef,
    /// The object that holds the signature dictionary and the key path to it inside.
    holder: ObjRef,
    path: Vec<&'static [u8]>,
    dict: Dict,
    /// Why the signature dictionary cannot be read, when it cannot.
    unreadable: Option<String>,
}

/// Verifies every signature in `pdf` as of `at` against `store`.
///
/// The certificates, CRLs and OCSP responses of the document's `/DSS` join the store (as
/// intermediates and revocation data, never as anchors). Document timestamps are verified
/// first: each valid one is a proof of existence for every signature whose bytes it covers,
/// as a valid signature timestamp is for its signature (ETSI EN 319 102-1 clause 5.6).
///
/// Returns an error only when the file cannot be read as a PDF at all; a report with no
/// entries means the file holds no signatures.
pub fn verify_pdf(pdf: &[u8], store: &TrustStore, at: SystemTime) -> Result<Report> {
    verify_bytes(Bytes::Slice(pdf), store, at)
}

/// [`verify_pdf`] for a PDF file of at most [`super::MAX_PDF_SIZE`] bytes, read where the
/// verification needs it: the structures it parses, the signed byte ranges streamed into
/// their digests, a long stream's data only when a check needs it. Memory stays far below
/// the file's size.
pub fn verify_pdf_file(file: &std::fs::File, store: &TrustStore, at: SystemTime) -> Result<Report> {
    verify_pdf_source(&FileSource::new(file, super::MAX_PDF_SIZE)?, store, at)
}

/// [`verify_pdf`] for the bytes of a [`Source`].
pub fn verify_pdf_source(
    source: &dyn Source,
    store: &TrustStore,
    at: SystemTime,
) -> Result<Report> {
    verify_bytes(Bytes::Source(source), store, at)
}

fn verify_bytes(bytes: Bytes<'_>, store: &TrustStore, at: SystemTime) -> Result<Report> {
    let mut doc = Document::from_bytes_salvaging(bytes)?;
    let fields = signature_fields(&doc)?;
    // The revisions that cannot be read may hold the signatures: with none found in the
    // others, the file is as unreadable as it was.
    let tail = match doc.unreadable.take() {
        Some(unreadable) if fields.is_empty() => return Err(unreadable.error),
        Some(unreadable) => Some(Reason::UnreadableRevision {
            revision: doc.sections.len() + 1,
            detail: unreadable.error.to_string(),
        }),
        None => (doc.content_end()? < doc.len()).then_some(Reason::TrailingData),
    };
    let mut warnings = Vec::new();
    let mut context = Context {
        store: with_dss(&doc, store, &mut warnings),
        doc: &doc,
        analysis: Analysis::new(&doc),
        field_trees: RefCell::default(),
        prefixes: Prefixes::default(),
        at,
        tail,
        covered_until: Vec::new(),
    };
    let (timestamps, seals): (Vec<&SignatureField>, Vec<&SignatureField>) =
        fields.iter().partition(|f| is_document_timestamp(&f.dict));
    let mut signatures: Vec<(usize, SignatureReport)> = Vec::new();
    for field in timestamps {
        let (report, poe) = verify_signature(&context, field)?;
        context.covered_until.extend(poe);
        signatures.push((order(field), report));
    }
    for field in seals {
        signatures.push((order(field), verify_signature(&context, field)?.0));
    }
    signatures.sort_by_key(|(order, _)| *order);
    for (_, report) in &mut signatures {
        report.warnings.extend(warnings.iter().cloned());
    }
    Ok(Report::new(
        at,
        signatures.into_iter().map(|(_, s)| s).collect(),
    ))
}

/// What every signature of one document is verified with.
struct Context<'c, 'd, 's> {
    doc: &'c Document<'d>,
    /// The modification analysis, shared by the signatures.
    analysis: Analysis<'c, 'd>,
    /// The field tree of each revision read so far; none where it cannot be read.
    field_trees: RefCell<HashMap<usize, Option<Rc<[FieldNode]>>>>,
    /// Digest states shared by the signatures' byte ranges.
    prefixes: Prefixes,
    store: Cow<'s, TrustStore>,
    at: SystemTime,
    /// What follows the last revision read: bytes after its `%%EOF` ([`Reason::TrailingData`])
    /// or revisions that cannot be read ([`Reason::UnreadableRevision`]). Every signature
    /// fails with it.
    tail: Option<Reason>,
    /// Valid document timestamps: the end of the bytes each covers, and its genTime.
    covered_until: Vec<(u64, SystemTime)>,
}

impl Context<'_, '_, '_> {
    /// [`field_tree`] of revision `rev`, read once.
    fn field_tree(&self, rev: usize) -> Option<Rc<[FieldNode]>> {
        self.field_trees
            .borrow_mut()
            .entry(rev)
            .or_insert_with(|| field_tree(self.doc, rev).ok().map(Rc::from))
            .clone()
    }

    /// The earliest document timestamp that covers bytes up to `end`.
    fn document_poe(&self, end: u64) -> Option<SystemTime> {
        self.covered_until
            .iter()
            .filter(|(covered, _)| *covered >= end)
            .map(|(_, time)| *time)
            .min()
    }
}

/// `store` with the document's DSS added; `store` itself when there is none. A DSS that
/// cannot be read adds nothing and is noted in `warnings`.
fn with_dss<'s>(
    doc: &Document<'_>,
    store: &'s TrustStore,
    warnings: &mut Vec<String>,
) -> Cow<'s, TrustStore> {
    let dss = match read_dss(doc) {
        Ok(dss) => dss,
        Err(e) => {
            warnings.push(format!(
                "the document security store (/DSS) is unreadable: {e}"
            ));
            return Cow::Borrowed(store);
        }
    };
    if dss.is_empty() {
        return Cow::Borrowed(store);
    }
    let mut store = store.clone();
    for der in &dss.certificates {
        if let Ok(cert) = Certificate::from_der(der) {
            store.add_intermediate(cert);
        }
    }
    for der in &dss.crls {
        if let Ok(crl) = Crl::from_der(der) {
            store.add_crl(crl);
        }
    }
    for der in &dss.ocsps {
        if let Ok(response) = OcspResponse::from_der(der) {
            store.add_ocsp_response(response);
        }
    }
    Cow::Owned(store)
}

fn is_document_timestamp(dict: &Dict) -> bool {
    dict.name(b"Type") == Some(b"DocTimeStamp") || dict.name(b"SubFilter") == Some(b"ETSI.RFC3161")
}

/// Signing order: by where the signature's gap lies.
fn order(field: &SignatureField) -> usize {
    byte_range(&field.dict).map_or(usize::MAX, |r| r[1] as usize)
}

/// Signature fields (`/FT /Sig`, inherited) that have a value (ISO 32000-1 12.7.4.5).
fn signature_fields(doc: &Document<'_>) -> Result<Vec<SignatureField>> {
    let rev = doc.latest();
    let mut out = Vec::new();
    for node in field_tree(doc, rev)? {
        if !node.is_signed_signature() {
            continue;
        }
        let field = node.object;
        let name = node.name;
        match node.dict.get(b"V").cloned() {
            // An unreadable value is still a signature, and a failed one: reported as such
            // rather than making the whole file unreadable.
            Some(Object::Ref(v)) => match doc.get(v, rev) {
                Ok(value) => {
                    if let Some(value) = value.as_dict() {
                        out.push(SignatureField {
                            name,
                            field,
                            holder: v,
                            path: vec![],
                            dict: value.clone(),
                            unreadable: None,
                        });
                    }
                }
                Err(e) => out.push(SignatureField {
                    name,
                    field,
                    holder: v,
                    path: vec![],
                    dict: Dict::default(),
                    unreadable: Some(e.to_string()),
                }),
            },
            Some(Object::Dict(value)) => out.push(SignatureField {
                name,
                field,
                holder: field,
                path: vec![b"V"],
                dict: value,
                unreadable: None,
            }),
            _ => {}
        }
    }
    Ok(out)
}

fn byte_range(dict: &Dict) -> Option<[u64; 4]> {
    let items = dict.get(b"ByteRange")?.as_array()?;
    if items.len() != 4 {
        return None;
    }
    let mut out = [0u64; 4];
    for (slot, item) in out.iter_mut().zip(items) {
        match item {
            Object::Int(n) if *n >= 0 => *slot = *n as u64,
            _ => return None,
        }
    }
    Some(out)
}

/// The collected verdict of one signature.
struct Checks {
    reasons: Vec<Reason>,
    warnings: Vec<String>,
}

/// Verifies one signature or document timestamp; a valid document timestamp also returns
/// the end of the bytes it covers and its genTime. Fails only when the file cannot be read.
fn verify_signature(
    context: &Context<'_, '_, '_>,
    field: &SignatureField,
) -> Result<(SignatureReport, Option<(u64, SystemTime)>)> {
    let (doc, store, at, tail) = (context.doc, &*context.store, context.at, &context.tail);
    if let Some(error) = &field.unreadable {
        return Ok((unreadable_signature(doc, field, error, tail)?, None));
    }
    let mut checks = Checks {
        reasons: Vec::new(),
        warnings: Vec::new(),
    };
    let dict = &field.dict;
    let is_timestamp = is_document_timestamp(dict);
    let kind = if is_timestamp {
        ReportKind::PdfDocumentTimestamp
    } else {
        ReportKind::PdfSignature
    };

    let value = check_dictionary(dict, &mut checks);
    let mut report_extra = ReportExtra::default();
    check_signed_bytes(context, field, &value, &mut checks, &mut report_extra)?;
    checks.reasons.extend(tail.clone());
    if !is_timestamp && let Some(value) = dict.get(b"ESeal_Seal") {
        let signer = report_extra.signer.clone();
        seal_checks(
            value,
            signer.as_ref(),
            store,
            at,
            &mut checks,
            &mut report_extra,
        );
    }

    let mut report = SignatureReport::new(kind, checks.reasons);
    report.warnings = checks.warnings;
    report.field = Some(field.name.clone());
    report.signer = report_extra
        .signer
        .as_ref()
        .map(|c| c.subject().to_string());
    report.chain = report_extra.chain;
    report.revocation = report_extra.revocation.unwrap_or_default();
    report.seal = report_extra.seal_name;
    (report.signing_time, report.signing_time_source) =
        match (report_extra.trusted_time, dict.get(b"M")) {
            (Some((time, source)), _) => (Some(time), Some(source)),
            (None, Some(Object::String { bytes, .. })) => {
                match super::date::parse_pdf_date(&decode_text(bytes)) {
                    Some(time) => (Some(time), Some(TimeSource::Claimed)),
                    None => (None, None),
                }
            }
            _ => (None, None),
        };
    report.coverage = report_extra.coverage;
    report.modification = report_extra.level;
    report.changes = report_extra.changes;
    let poe = report_extra.poe.filter(|_| report.reasons.is_empty());
    Ok((report, poe))
}

/// What check 1 read of a signature dictionary.
struct DictionaryValue {
    /// `/Contents`, when a non-empty direct hex string.
    contents: Option<Vec<u8>>,
    /// `/ByteRange`, when a direct array of 4 non-negative integers.
    range: Option<[u64; 4]>,
    sub_filter: Option<Vec<u8>>,
    /// Whether the dictionary is well formed enough for the CMS to be checked.
    format_ok: bool,
}

/// Check 1: the signature dictionary's keys, `/Contents`, `/ByteRange` and `/SubFilter`
/// (ISO 32000-1 clause 12.8.1).
fn check_dictionary(dict: &Dict, checks: &mut Checks) -> DictionaryValue {
    let sub_filter = dict.name(b"SubFilter").map(<[u8]>::to_vec);
    let mut format_ok = true;
    if dict.has_duplicate_keys() {
        checks
            .reasons
            .push(Reason::SignatureDictMalformed("duplicate keys".into()));
        format_ok = false;
    }
    let contents = match dict.get(b"Contents") {
        Some(Object::String { bytes, hex: true }) if bytes.is_empty() => {
            checks
                .reasons
                .push(Reason::SignatureDictMalformed("/Contents is empty".into()));
            None
        }
        Some(Object::String { bytes, hex: true }) => Some(bytes.clone()),
        Some(Object::String { hex: false, .. }) => {
            checks.reasons.push(Reason::SignatureDictMalformed(
                "/Contents is not a hex string".into(),
            ));
            None
        }
        Some(other) => {
            checks.reasons.push(Reason::SignatureDictMalformed(format!(
                "/Contents is a {}, not a direct hex string",
                other.kind()
            )));
            None
        }
        None => {
            checks.reasons.push(Reason::SignatureDictMalformed(
                "/Contents is missing".into(),
            ));
            None
        }
    };
    let range = byte_range(dict);
    if range.is_none() {
        checks.reasons.push(Reason::SignatureDictMalformed(
            "/ByteRange is not a direct array of 4 non-negative integers".into(),
        ));
    }
    match &sub_filter {
        Some(sf) if SUB_FILTERS.contains(&sf.as_slice()) => {}
        Some(sf) => checks.reasons.push(Reason::UnsupportedSubFilter(format!(
            "/{}",
            String::from_utf8_lossy(sf)
        ))),
        None => checks
            .reasons
            .push(Reason::UnsupportedSubFilter("(none)".into())),
    }
    DictionaryValue {
        contents,
        range,
        sub_filter,
        format_ok,
    }
}

/// Check 2, the byte range, then the CMS signature or the document timestamp over it, and
/// the changes made to the document since the signed revision; nothing when check 1 found
/// no `/Contents` or `/ByteRange` to check.
fn check_signed_bytes(
    context: &Context<'_, '_, '_>,
    field: &SignatureField,
    value: &DictionaryValue,
    checks: &mut Checks,
    report_extra: &mut ReportExtra,
) -> Result<()> {
    let (Some(contents), Some(range)) = (value.contents.as_deref(), value.range) else {
        return Ok(());
    };
    let (doc, store, at, tail) = (context.doc, &*context.store, context.at, &context.tail);
    let dict = &field.dict;
    let is_timestamp = is_document_timestamp(dict);
    let sub_filter = value.sub_filter.as_deref();
    let mut format_ok = value.format_ok;
    // Check 2: the byte range.
    let signed_revision = match check_byte_range(doc, field, range)? {
        Ok(rev) => Some(rev),
        Err(detail) => {
            checks.reasons.push(Reason::ByteRangeInvalid(detail));
            format_ok = false;
            None
        }
    };
    let signed = SignedBytes {
        doc,
        range,
        prefixes: &context.prefixes,
    };
    if format_ok && !is_timestamp {
        let poe = context.document_poe(range[2] + range[3]);
        check_cms(
            &signed,
            contents,
            sub_filter,
            store,
            at,
            poe,
            checks,
            report_extra,
        )?;
    } else if format_ok {
        report_extra.poe =
            check_document_timestamp(&signed, contents, store, at, checks, report_extra)?
                .map(|time| (range[2] + range[3], time));
    }
    if let Some(rev) = signed_revision {
        let whole = range[2] + range[3] == doc.content_end()? as u64 || rev == doc.latest();
        let coverage = if whole && !matches!(tail, Some(Reason::UnreadableRevision { .. })) {
            Coverage::EntireFile
        } else {
            Coverage::EntireRevision
        };
        report_extra.coverage = Some(coverage);
        modification_checks(context, field.field, dict, rev, checks, report_extra);
    }
    Ok(())
}

/// The report of a signature whose dictionary does not parse: malformed, and when a
/// `/ByteRange` can still be read from its bytes, whether its gap is a hex string.
fn unreadable_signature(
    doc: &Document<'_>,
    field: &SignatureField,
    error: &str,
    tail: &Option<Reason>,
) -> Result<SignatureReport> {
    let mut reasons = vec![Reason::SignatureDictMalformed(format!(
        "the signature dictionary {} is unreadable: {error}",
        field.holder
    ))];
    if let Some([_, b1, b2, _]) = raw_byte_range(doc, field.holder)?
        && !gap_is_hex_string(doc, b1, b2)?
    {
        reasons.push(Reason::ByteRangeInvalid(format!(
            "the gap [{b1}, {b2}) is not a hex string"
        )));
    }
    reasons.extend(tail.clone());
    let mut report = SignatureReport::new(ReportKind::PdfSignature, reasons);
    report.field = Some(field.name.clone());
    Ok(report)
}

/// The `/ByteRange` written in the bytes of object `holder`, read without parsing the
/// object (whose other values may be broken).
fn raw_byte_range(doc: &Document<'_>, holder: ObjRef) -> Result<Option<[usize; 4]>> {
    let Some((_, XrefEntry::InFile { offset, .. })) = doc.entry(holder.num, doc.latest()) else {
        return Ok(None);
    };
    if offset > doc.len() {
        return Ok(None);
    }
    let end = doc.bytes().find(offset, b"endobj")?.unwrap_or(doc.len());
    let Some(at) = doc
        .bytes()
        .find(offset, b"/ByteRange")?
        .filter(|at| at + b"/ByteRange".len() <= end)
    else {
        return Ok(None);
    };
    let Ok((value, _)) = doc.parse_at(at + b"/ByteRange".len(), |parser| parser.value(1)) else {
        return Ok(None);
    };
    let mut dict = Dict::default();
    dict.set(b"ByteRange", value);
    let Some(range) = byte_range(&dict) else {
        return Ok(None);
    };
    let [b0, b1, b2, b3] = range.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    Ok((b1 < b2 && b2 <= doc.len()).then_some([b0, b1, b2, b3]))
}

/// Whether the bytes `[b1, b2)` are `<`, hex digits and `>`, nothing else (no white
/// space).
fn gap_is_hex_string(doc: &Document<'_>, b1: usize, b2: usize) -> Result<bool> {
    if b2 < b1.saturating_add(2) || b2 > doc.len() {
        return Ok(false);
    }
    let ends = [doc.read(b1, 1)?, doc.read(b2 - 1, 1)?];
    if ends[0].as_ref() != b"<" || ends[1].as_ref() != b">" {
        return Ok(false);
    }
    let mut hex = true;
    doc.bytes().for_each_chunk(b1 + 1, b2 - b1 - 2, |digits| {
        hex &= digits.iter().all(u8::is_ascii_hexdigit);
    })?;
    Ok(hex)
}

#[derive(Default)]
struct ReportExtra {
    signer: Option<Certificate>,
    chain: Vec<crate::report::CertificateSummary>,
    revocation: Option<Revocation>,
    seal_name: Option<String>,
    coverage: Option<Coverage>,
    level: Option<ModificationLevel>,
    changes: Vec<String>,
    /// The certificates the CMS carries: the seal maker's chain may go through them too.
    cms_certificates: Vec<Certificate>,
    /// A time a timestamp proves, and which timestamp: the signing time shown.
    trusted_time: Option<(Time, TimeSource)>,
    /// For a document timestamp: the end of the bytes it covers and its genTime.
    poe: Option<(u64, SystemTime)>,
    /// For a signature: the proof of existence its checks used, if any.
    poe_used: Option<SystemTime>,
}

/// Check 2: `[0, b1, b2, b3]` with the gap exactly this dictionary's `/Contents` string,
/// ending where a revision ends that defines the dictionary, which no later revision
/// redefines: the dictionary verified (the one the latest xref resolves) is then the one
/// in the signed bytes. Returns that revision.
fn check_byte_range(
    doc: &Document<'_>,
    field: &SignatureField,
    range: [u64; 4],
) -> Result<std::result::Result<usize, String>> {
    let len = doc.len() as u64;
    let [b0, b1, b2, b3] = range;
    if b0 != 0 {
        return Ok(Err(format!("it starts at {b0}, not 0")));
    }
    if b2 < b1 {
        return Ok(Err("its ranges overlap".into()));
    }
    let Some(end) = b2.checked_add(b3) else {
        return Ok(Err("it overflows".into()));
    };
    if end > len {
        return Ok(Err(format!(
            "it ends at {end}, beyond the file's {len} bytes"
        )));
    }
    check_signed_revision(doc, field, range, end)
}

/// The rest of check 2, for a byte range `[0, b1, b2, b3]` ending at `end` within the file.
fn check_signed_revision(
    doc: &Document<'_>,
    field: &SignatureField,
    [_, b1, b2, _]: [u64; 4],
    end: u64,
) -> Result<std::result::Result<usize, String>> {
    let Some(revision) = doc.sections.iter().position(|s| s.end as u64 == end) else {
        return Ok(Err(format!(
            "it ends at {end}, which is not the end of a revision"
        )));
    };
    let Some((defined, XrefEntry::InFile { offset, .. })) =
        doc.entry(field.holder.num, doc.latest())
    else {
        return Ok(Err(
            "the signature dictionary is not an object in the file".into()
        ));
    };
    if defined > revision {
        return Ok(Err(format!(
            "the signature dictionary was redefined by revision {}, after the signed revision {}",
            defined + 1,
            revision + 1
        )));
    }
    let span = doc
        .parse_at(offset, |parser| Ok(contents_span(parser, &field.path)))
        .ok()
        .and_then(|(span, _)| span);
    let Some((start, stop)) = span else {
        return Ok(Err(
            "the signature dictionary's /Contents cannot be located".into(),
        ));
    };
    if start as u64 != b1 || stop as u64 != b2 {
        return Ok(Err(format!(
            "the gap [{b1}, {b2}) is not the /Contents string at [{start}, {stop})"
        )));
    }
    if offset as u64 >= b1 {
        return Ok(Err(
            "the signature dictionary lies outside the signed bytes".into(),
        ));
    }
    if !gap_is_hex_string(doc, start, stop)? {
        return Ok(Err("the gap holds more than hex digits".into()));
    }
    Ok(Ok(revision))
}

/// The span `[start, end)` of the `/Contents` value of the dictionary at `path` inside the
/// object at the parser's position.
fn contents_span(parser: &mut Parser<'_>, path: &[&[u8]]) -> Option<(usize, usize)> {
    parser.object_header().ok()?;
    let mut keys: Vec<&[u8]> = path.to_vec();
    keys.push(b"Contents");
    let mut found = None;
    for (depth, key) in keys.iter().enumerate() {
        parser.skip_whitespace();
        if !parser.starts_with(b"<<") {
            return None;
        }
        parser.pos += 2;
        found = None;
        loop {
            parser.skip_whitespace();
            if !parser.has_bytes(2) || parser.starts_with(b">>") {
                return None;
            }
            let Object::Name(k) = parser.value(1).ok()? else {
                return None;
            };
            parser.skip_whitespace();
            let start = parser.pos;
            if k == *key {
                if depth + 1 < keys.len() {
                    break;
                }
                parser.value(1).ok()?;
                found = Some((start, parser.pos));
                break;
            }
            parser.value(1).ok()?;
        }
    }
    found
}

/// The bytes a `/ByteRange` covers.
struct SignedBytes<'a, 'd> {
    doc: &'a Document<'d>,
    range: [u64; 4],
    prefixes: &'a Prefixes,
}

/// Most digest states kept by [`Prefixes`].
const MAX_PREFIXES: usize = 4096;

/// Digest states of the file's first bytes, by algorithm and length: the signatures of a
/// document cover the same bytes up to their own gaps, and each byte is hashed about once.
#[derive(Default)]
struct Prefixes(RefCell<Vec<(DigestAlgorithm, usize, Hasher)>>);

impl Prefixes {
    /// A hasher fed the first `end` bytes of `doc`, from the longest state kept that is
    /// not longer.
    fn upto(&self, doc: &Document<'_>, algorithm: DigestAlgorithm, end: usize) -> Result<Hasher> {
        let kept = self
            .0
            .borrow()
            .iter()
            .filter(|(a, at, _)| *a == algorithm && *at <= end)
            .max_by_key(|(_, at, _)| *at)
            .map(|(_, at, hasher)| (*at, hasher.clone()));
        let (at, mut hasher) = kept.unwrap_or_else(|| (0, algorithm.hasher()));
        doc.bytes()
            .for_each_chunk(at, end - at, |chunk| hasher.update(chunk))?;
        let mut states = self.0.borrow_mut();
        if states.len() < MAX_PREFIXES {
            states.push((algorithm, end, hasher.clone()));
        }
        Ok(hasher)
    }
}

impl SignedBytes<'_, '_> {
    /// The covered bytes in one buffer, for the rare signature over the content itself.
    fn content(&self) -> Result<Vec<u8>> {
        let r = self.range.map(|n| n as usize);
        let mut content = self.doc.read(0, r[1])?.into_owned();
        content.extend_from_slice(&self.doc.read(r[2], r[3])?);
        Ok(content)
    }

    /// The digest of the covered bytes, streamed over both parts; the first part from
    /// where an earlier digest of the document left off.
    fn digest(&self, algorithm: DigestAlgorithm) -> Result<Vec<u8>> {
        let r = self.range.map(|n| n as usize);
        let mut hasher = self.prefixes.upto(self.doc, algorithm, r[1])?;
        self.doc
            .bytes()
            .for_each_chunk(r[2], r[3], |chunk| hasher.update(chunk))?;
        Ok(hasher.finish())
    }
}

/// Checks 3–12 for a CMS signature: the CMS itself, its signature timestamp, and the
/// signer's chain under the time rule of PDF.md §2 (with `document_poe`, the earliest
/// document timestamp covering the signature).
#[allow(clippy::too_many_arguments)]
fn check_cms(
    signed: &SignedBytes<'_, '_>,
    contents: &[u8],
    sub_filter: Option<&[u8]>,
    store: &TrustStore,
    at: SystemTime,
    document_poe: Option<SystemTime>,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) -> Result<()> {
    let (signed_data, rest) = match SignedData::from_der_prefix(contents) {
        Ok(parsed) => parsed,
        Err(e) => {
            checks.reasons.push(Reason::CmsMalformed(e.to_string()));
            return Ok(());
        }
    };
    if rest.iter().any(|b| *b != 0) {
        checks
            .warnings
            .push("bytes after the CMS in /Contents are not zero".into());
    }
    let digest_algorithm = match signed_data.digest_algorithm() {
        Ok(d) => d,
        Err(oid) => {
            checks
                .reasons
                .push(Reason::UnsupportedAlgorithm(format!("digest {oid}")));
            return Ok(());
        }
    };
    let digest = signed.digest(digest_algorithm)?;
    let require_ess = sub_filter == Some(b"ETSI.CAdES.detached");
    // Read once more only for a signature without signed attributes; a read failing now
    // leaves no content, and that signature does not verify.
    let content = || signed.content().unwrap_or_default();
    let verification = signed_data.verify_with_content(&digest, Some(&content), &[], require_ess);
    checks.reasons.extend(verification.reasons);
    checks.warnings.extend(verification.warnings);
    extra.cms_certificates = signed_data.certificates().to_vec();
    // An unusable timestamp is reported after the signer's own findings: it only withholds
    // a proof of existence, so the chain's reason, when there is one, names the verdict.
    let mut timestamp_checks = Checks {
        reasons: Vec::new(),
        warnings: Vec::new(),
    };
    let signature_poe = signature_timestamp(&signed_data, store, at, &mut timestamp_checks, extra);
    if let Some(signer) = verification.signer {
        let poe = match (signature_poe, document_poe) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        extra.poe_used = poe;
        let validation =
            validate_with_poe(store, &signer, signed_data.certificates(), at, poe, checks);
        extra.chain = validation.chain.iter().map(Certificate::summary).collect();
        extra.revocation = Some(validation.revocation_found());
        extra.signer = Some(signer);
    }
    checks.reasons.extend(timestamp_checks.reasons);
    checks.warnings.extend(timestamp_checks.warnings);
    Ok(())
}

/// Check 9 for the signature timestamp (unsigned attribute signatureTimeStampToken, RFC
/// 3161 appendix A): its genTime when the token verifies over the signature value; a token
/// that does not verify is a reason (capping the verdict at INDETERMINATE), no proof.
fn signature_timestamp(
    signed_data: &SignedData,
    store: &TrustStore,
    at: SystemTime,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) -> Option<SystemTime> {
    let tokens = signed_data.unsigned_attribute(crate::cms::OID_SIGNATURE_TIME_STAMP_TOKEN);
    let mut earliest: Option<SystemTime> = None;
    for der in tokens {
        let token = match TimestampToken::from_der(der) {
            Ok(t) => t,
            Err(e) => {
                checks.reasons.push(Reason::TimestampInvalid {
                    what: "signature".into(),
                    detail: e.to_string(),
                });
                continue;
            }
        };
        let imprint = token
            .tst_info()
            .digest_algorithm
            .digest(signed_data.signature_value());
        let verified = token.verify("signature", &imprint, store, at);
        checks.warnings.extend(verified.warnings);
        match verified.gen_time {
            Some(time) => earliest = Some(earliest.map_or(time, |e| e.min(time))),
            None => checks.reasons.extend(verified.reasons),
        }
    }
    if let Some(time) = earliest {
        extra.trusted_time = Some((Time::from(time), TimeSource::SignatureTimestamp));
    }
    earliest
}

/// A document timestamp (`/SubFilter /ETSI.RFC3161`): the token over the covered bytes,
/// verified like a signature timestamp. Returns its genTime when it verifies.
fn check_document_timestamp(
    signed: &SignedBytes<'_, '_>,
    contents: &[u8],
    store: &TrustStore,
    at: SystemTime,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) -> Result<Option<SystemTime>> {
    // `/Contents` is zero-padded after the token's DER.
    let token = match SignedData::from_der_prefix(contents)
        .and_then(|(_, rest)| TimestampToken::from_der(&contents[..contents.len() - rest.len()]))
    {
        Ok(t) => t,
        Err(e) => {
            checks.reasons.push(Reason::CmsMalformed(e.to_string()));
            return Ok(None);
        }
    };
    let imprint = signed.digest(token.tst_info().digest_algorithm)?;
    let verified = token.verify("document", &imprint, store, at);
    checks.warnings.extend(verified.warnings);
    checks.reasons.extend(verified.reasons);
    if let Some(chain) = &verified.chain {
        extra.chain = chain.chain.iter().map(Certificate::summary).collect();
        extra.revocation = Some(chain.revocation_found());
    }
    extra.signer = verified.tsa;
    let Some(time) = verified.gen_time else {
        return Ok(None);
    };
    extra.trusted_time = Some((Time::from(time), TimeSource::DocumentTimestamp));
    Ok(Some(time))
}

/// Checks 10–12 under the time rule (PDF.md §2; ETSI EN 319 102-1 clause 5.6.2): the chain
/// as of `at`, or as of the proof of existence `poe` where it only lapsed since.
fn validate_with_poe(
    store: &TrustStore,
    signer: &Certificate,
    chain: &[Certificate],
    at: SystemTime,
    poe: Option<SystemTime>,
    checks: &mut Checks,
) -> ChainValidation {
    let found = as_of_proof(at, poe, |t| {
        let validation = store.validate(signer, chain, t, Usage::Signer);
        Findings {
            reasons: validation.reasons.clone(),
            warnings: validation.warnings.clone(),
            value: validation,
        }
    });
    checks.reasons.extend(found.reasons);
    checks.warnings.extend(found.warnings);
    found.value
}

/// Check 13: what the revisions after the signed one changed, against DocMDP.
fn modification_checks(
    context: &Context<'_, '_, '_>,
    field: ObjRef,
    dict: &Dict,
    signed: usize,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) {
    let doc = context.doc;
    let locked = fieldmdp_locked(context, signed, field, dict);
    let changes = match context.analysis.changes_after(signed, &locked) {
        Ok(c) => c,
        Err(e) => {
            checks.reasons.push(Reason::DisallowedModification {
                revision: signed + 2,
                objects: vec![format!("a later revision is unreadable: {e}")],
            });
            return;
        }
    };
    let level = changes
        .iter()
        .map(|c| c.level)
        .max()
        .unwrap_or(ModificationLevel::NoChange);
    let permission = docmdp_permission(doc, dict);
    let allowed = match permission {
        Some(1) => ModificationLevel::LtaUpdates,
        Some(2) => ModificationLevel::FormFilling,
        _ => ModificationLevel::Annotations,
    };
    let mut by_revision: std::collections::BTreeMap<usize, Vec<&Change>> = Default::default();
    for change in changes.iter().filter(|c| c.level > allowed) {
        by_revision.entry(change.revision).or_default().push(change);
    }
    for (revision, list) in by_revision {
        checks.reasons.push(Reason::DisallowedModification {
            revision: revision + 1,
            objects: list.iter().map(|c| c.what.clone()).collect(),
        });
    }
    // Without DocMDP nobody permitted annotations that draw over the page (a white box with
    // another amount): allowed, not trusted blindly. P=3 permits them (ISO 32000-1 Table 254).
    if permission != Some(3) {
        let mut over: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
        for change in changes
            .iter()
            .filter(|c| c.over_content && c.level <= allowed)
        {
            over.entry(change.revision)
                .or_default()
                .push(change.what.clone());
        }
        for (revision, annotations) in over {
            checks.reasons.push(Reason::AnnotationOverContent {
                revision: revision + 1,
                annotations,
            });
        }
    }
    extra.level = Some(level);
    extra.changes = changes
        .iter()
        .map(|c| format!("revision {}: {} ({})", c.revision + 1, c.what, c.level))
        .collect();
}

/// The fields that FieldMDP locks once this signature is made (ISO 32000-1 12.7.4.5 `/Lock`
/// on the signature field, 12.8.2.4 FieldMDP in the signature's `/Reference`): `/Action
/// /All`, or `/Include` / `/Exclude` the fully qualified names in `/Fields` (a name locks
/// its descendants too).
fn fieldmdp_locked(
    context: &Context<'_, '_, '_>,
    signed: usize,
    field: ObjRef,
    dict: &Dict,
) -> HashSet<ObjRef> {
    let doc = context.doc;
    let resolve = |o: &Object| doc.resolve(o, signed).ok();
    let mut locks: Vec<Dict> = Vec::new();
    if let Some(lock) = doc
        .get(field, signed)
        .ok()
        .and_then(|f| f.as_dict()?.get(b"Lock").and_then(resolve))
        .and_then(|l| l.as_dict().cloned())
    {
        locks.push(lock);
    }
    for reference in dict
        .get(b"Reference")
        .and_then(resolve)
        .as_ref()
        .and_then(Object::as_array)
        .unwrap_or_default()
    {
        let Some(reference) = resolve(reference) else {
            continue;
        };
        let Some(reference) = reference.as_dict() else {
            continue;
        };
        if reference.name(b"TransformMethod") == Some(b"FieldMDP")
            && let Some(params) = reference.get(b"TransformParams").and_then(resolve)
            && let Some(params) = params.as_dict()
        {
            locks.push(params.clone());
        }
    }
    let mut locked = HashSet::new();
    if locks.is_empty() {
        return locked;
    }
    // Fields made later are "in the document" too (Action /All locks them, as pyHanko reads
    // ISO 32000-1 Table 233).
    let trees: Vec<_> = (signed..=doc.latest())
        .filter_map(|rev| context.field_tree(rev))
        .collect();
    let nodes: Vec<&FieldNode> = trees.iter().flat_map(|t| t.iter()).collect();
    for lock in &locks {
        let names: Vec<String> = lock
            .get(b"Fields")
            .and_then(resolve)
            .as_ref()
            .and_then(Object::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| match n {
                Object::String { bytes, .. } => Some(decode_text(bytes)),
                _ => None,
            })
            .collect();
        let listed = |name: &str| {
            names.iter().any(|n| {
                name == n
                    || name
                        .strip_prefix(n.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            })
        };
        for node in &nodes {
            let is_locked = match lock.name(b"Action") {
                Some(b"Include") => listed(&node.name),
                Some(b"Exclude") => !listed(&node.name),
                _ => true,
            };
            if is_locked {
                locked.insert(node.object);
            }
        }
    }
    locked
}

/// The DocMDP `/P` of the document's certification signature, if there is one (ISO 32000-1
/// 12.8.2.2): from this signature's own `/Reference`, else from the catalog's `/Perms`.
fn docmdp_permission(doc: &Document<'_>, dict: &Dict) -> Option<i64> {
    let from_reference = |d: &Dict| -> Option<i64> {
        let refs = d.get(b"Reference")?.as_array()?;
        refs.iter().find_map(|r| {
            let r = doc.resolve(r, doc.latest()).ok()?;
            let r = r.as_dict()?;
            if r.name(b"TransformMethod") != Some(b"DocMDP") {
                return None;
            }
            let params = doc.resolve(r.get(b"TransformParams")?, doc.latest()).ok()?;
            Some(params.as_dict()?.int(b"P").unwrap_or(2))
        })
    };
    if let Some(p) = from_reference(dict) {
        return Some(p);
    }
    let catalog = doc.catalog(doc.latest()).ok()?;
    let perms = doc.dict_at(&catalog, b"Perms", doc.latest()).ok()??;
    let certifying = doc.resolve(perms.get(b"DocMDP")?, doc.latest()).ok()?;
    from_reference(certifying.as_dict()?)
}

/// Check 14: the e-seal carried in `/ESeal_Seal` and the signer's place in its certList.
fn seal_checks(
    value: &Object,
    signer: Option<&Certificate>,
    store: &TrustStore,
    at: SystemTime,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) {
    let Object::String { bytes, .. } = value else {
        checks
            .reasons
            .push(Reason::Malformed("/ESeal_Seal is not a string".into()));
        return;
    };
    let seal = match Seal::from_der(bytes) {
        Ok(s) => s,
        Err(e) => {
            checks
                .reasons
                .push(Reason::Malformed(format!("/ESeal_Seal: {e}")));
            return;
        }
    };
    extra.seal_name = Some(seal.property.name.clone());
    // The seal is inside the signed bytes: the signature's proof of existence is the
    // seal's too (SES-OFD.md §5).
    let seal_report = as_of_proof(at, extra.poe_used, |t| {
        let report = verify_seal_with_chain(&seal, store, &extra.cms_certificates, t);
        Findings {
            reasons: report.reasons,
            warnings: report.warnings,
            value: (),
        }
    });
    checks.reasons.extend(seal_report.reasons);
    checks.warnings.extend(
        seal_report
            .warnings
            .into_iter()
            .map(|w| format!("seal: {w}")),
    );
    if let Some(signer) = signer
        && !crate::seal::verify::in_cert_list(&seal.property.cert_list, signer.der())
    {
        checks.reasons.push(Reason::SignerNotInSealCertList);
    }
}
