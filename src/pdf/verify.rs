//! Verifying every signature of a PDF (PDF.md §2): the signature dictionary, the byte range,
//! the CMS, the chain as of the validation time, the e-seal, and the modification analysis
//! of every later revision. Each failed check is a named reason.

use std::collections::HashSet;
use std::time::SystemTime;

use super::diff::{Change, ModificationLevel, changes_after};
use super::document::{Document, XrefEntry};
use super::form::field_tree;
use super::object::{Dict, ObjRef, Object, decode_text};
use super::parser::Parser;
use crate::cms::SignedData;
use crate::error::Result;
use crate::pki::{Certificate, TrustStore, Usage, rfc3339, unix_seconds};
use crate::report::{Reason, Report, SignatureReport};
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
/// Returns an error only when the file cannot be read as a PDF at all; a report with no
/// entries means the file holds no signatures.
pub fn verify_pdf(pdf: &[u8], store: &TrustStore, at: SystemTime) -> Result<Report> {
    let doc = Document::parse(pdf)?;
    let fields = signature_fields(&doc)?;
    let trailing = has_trailing_data(&doc);
    let mut signatures: Vec<(usize, SignatureReport)> = fields
        .iter()
        .map(|field| {
            let order = byte_range(&field.dict).map_or(usize::MAX, |r| r[1] as usize);
            (order, verify_signature(&doc, field, store, at, trailing))
        })
        .collect();
    signatures.sort_by_key(|(order, _)| *order);
    Ok(Report {
        validation_time: rfc3339(unix_seconds(at)),
        signatures: signatures.into_iter().map(|(_, s)| s).collect(),
    })
}

fn has_trailing_data(doc: &Document<'_>) -> bool {
    doc.content_end() < doc.data().len()
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

fn verify_signature(
    doc: &Document<'_>,
    field: &SignatureField,
    store: &TrustStore,
    at: SystemTime,
    trailing: bool,
) -> SignatureReport {
    if let Some(error) = &field.unreadable {
        return unreadable_signature(doc, field, error, trailing);
    }
    let mut checks = Checks {
        reasons: Vec::new(),
        warnings: Vec::new(),
    };
    let dict = &field.dict;
    let is_timestamp = dict.name(b"Type") == Some(b"DocTimeStamp")
        || dict.name(b"SubFilter") == Some(b"ETSI.RFC3161");
    let kind = if is_timestamp {
        "pdf-document-timestamp"
    } else {
        "pdf-signature"
    };

    // Check 1: the dictionary.
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
    let mut report_extra = ReportExtra::default();
    if let (Some(contents), Some(range)) = (contents, range) {
        // Check 2: the byte range.
        let signed_revision = match check_byte_range(doc, field, range) {
            Ok(rev) => Some(rev),
            Err(detail) => {
                checks.reasons.push(Reason::ByteRangeInvalid(detail));
                format_ok = false;
                None
            }
        };
        if format_ok && !is_timestamp {
            check_cms(
                doc,
                dict,
                &contents,
                range,
                sub_filter.as_deref(),
                store,
                at,
                &mut checks,
                &mut report_extra,
            );
        } else if format_ok {
            checks.reasons.push(Reason::TimestampInvalid {
                what: "document".into(),
                detail: "document timestamps are not verified by this version".into(),
            });
        }
        if let Some(rev) = signed_revision {
            let coverage = if range[2] + range[3] == doc.content_end() as u64 || rev == doc.latest()
            {
                "ENTIRE_FILE"
            } else {
                "ENTIRE_REVISION"
            };
            report_extra.coverage = Some(coverage.into());
            modification_checks(doc, field.field, dict, rev, &mut checks, &mut report_extra);
        }
    }
    if trailing {
        checks.reasons.push(Reason::TrailingData);
    }
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
    report.revocation = report_extra
        .revocation
        .unwrap_or_else(|| "not checked".into());
    report.seal = report_extra.seal_name;
    report.signing_time = match dict.get(b"M") {
        Some(Object::String { bytes, .. }) => Some(decode_text(bytes)),
        _ => None,
    };
    report.coverage = report_extra.coverage;
    report.modification = report_extra.level.map(|l| l.to_string());
    report.changes = report_extra.changes;
    report
}

/// The report of a signature whose dictionary does not parse: malformed, and when a
/// `/ByteRange` can still be read from its bytes, whether its gap is a hex string.
fn unreadable_signature(
    doc: &Document<'_>,
    field: &SignatureField,
    error: &str,
    trailing: bool,
) -> SignatureReport {
    let mut reasons = vec![Reason::SignatureDictMalformed(format!(
        "the signature dictionary {} is unreadable: {error}",
        field.holder
    ))];
    if let Some([_, b1, b2, _]) = raw_byte_range(doc, field.holder)
        && !gap_is_hex_string(doc.data(), b1, b2)
    {
        reasons.push(Reason::ByteRangeInvalid(format!(
            "the gap [{b1}, {b2}) is not a hex string"
        )));
    }
    if trailing {
        reasons.push(Reason::TrailingData);
    }
    let mut report = SignatureReport::new("pdf-signature", reasons);
    report.field = Some(field.name.clone());
    report
}

/// The `/ByteRange` written in the bytes of object `holder`, read without parsing the
/// object (whose other values may be broken).
fn raw_byte_range(doc: &Document<'_>, holder: ObjRef) -> Option<[usize; 4]> {
    let (_, XrefEntry::InFile { offset, .. }) = doc.entry(holder.num, doc.latest())? else {
        return None;
    };
    let data = doc.data();
    let body = data.get(offset..)?;
    let end = super::parser::memfind(body, b"endobj").unwrap_or(body.len());
    let at = super::parser::memfind(&body[..end], b"/ByteRange")?;
    let mut parser = Parser::new(data, offset + at + b"/ByteRange".len());
    let mut dict = Dict::default();
    dict.set(b"ByteRange", parser.value(1).ok()?);
    let range = byte_range(&dict)?;
    let [b0, b1, b2, b3] = range.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    (b1 < b2 && b2 <= data.len()).then_some([b0, b1, b2, b3])
}

/// Whether `data[b1..b2]` is `<`, hex digits and `>`, nothing else (no white space).
fn gap_is_hex_string(data: &[u8], b1: usize, b2: usize) -> bool {
    match data.get(b1..b2) {
        Some([b'<', digits @ .., b'>']) => digits.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

#[derive(Default)]
struct ReportExtra {
    signer: Option<Certificate>,
    chain: Vec<crate::report::CertificateSummary>,
    revocation: Option<String>,
    seal_name: Option<String>,
    coverage: Option<String>,
    level: Option<ModificationLevel>,
    changes: Vec<String>,
    /// The certificates the CMS carries: the seal maker's chain may go through them too.
    cms_certificates: Vec<Certificate>,
}

/// Check 2: `[0, b1, b2, b3]` with the gap exactly this dictionary's `/Contents` string,
/// ending where a revision ends that defines the dictionary, which no later revision
/// redefines: the dictionary verified (the one the latest xref resolves) is then the one
/// in the signed bytes. Returns that revision.
fn check_byte_range(
    doc: &Document<'_>,
    field: &SignatureField,
    range: [u64; 4],
) -> std::result::Result<usize, String> {
    let len = doc.data().len() as u64;
    let [b0, b1, b2, b3] = range;
    if b0 != 0 {
        return Err(format!("it starts at {b0}, not 0"));
    }
    if b2 < b1 {
        return Err("its ranges overlap".into());
    }
    let end = b2.checked_add(b3).ok_or("it overflows")?;
    if end > len {
        return Err(format!("it ends at {end}, beyond the file's {len} bytes"));
    }
    let revision = doc
        .sections
        .iter()
        .position(|s| s.end as u64 == end)
        .ok_or_else(|| format!("it ends at {end}, which is not the end of a revision"))?;
    let Some((defined, XrefEntry::InFile { offset, .. })) =
        doc.entry(field.holder.num, doc.latest())
    else {
        return Err("the signature dictionary is not an object in the file".into());
    };
    if defined > revision {
        return Err(format!(
            "the signature dictionary was redefined by revision {}, after the signed revision {}",
            defined + 1,
            revision + 1
        ));
    }
    let (start, stop) = contents_span(doc.data(), offset, &field.path)
        .ok_or("the signature dictionary's /Contents cannot be located")?;
    if start as u64 != b1 || stop as u64 != b2 {
        return Err(format!(
            "the gap [{b1}, {b2}) is not the /Contents string at [{start}, {stop})"
        ));
    }
    if offset as u64 >= b1 {
        return Err("the signature dictionary lies outside the signed bytes".into());
    }
    if !gap_is_hex_string(doc.data(), start, stop) {
        return Err("the gap holds more than hex digits".into());
    }
    Ok(revision)
}

/// The span `[start, end)` of the `/Contents` value of the dictionary at `path` inside the
/// object at `offset`.
fn contents_span(data: &[u8], offset: usize, path: &[&[u8]]) -> Option<(usize, usize)> {
    let mut parser = Parser::new(data, offset);
    parser.object_header().ok()?;
    let mut keys: Vec<&[u8]> = path.to_vec();
    keys.push(b"Contents");
    let mut found = None;
    for (depth, key) in keys.iter().enumerate() {
        parser.skip_whitespace();
        if data.get(parser.pos..parser.pos + 2)? != b"<<" {
            return None;
        }
        parser.pos += 2;
        found = None;
        loop {
            parser.skip_whitespace();
            if data.get(parser.pos..parser.pos + 2)? == b">>" {
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

#[allow(clippy::too_many_arguments)]
fn check_cms(
    doc: &Document<'_>,
    dict: &Dict,
    contents: &[u8],
    range: [u64; 4],
    sub_filter: Option<&[u8]>,
    store: &TrustStore,
    at: SystemTime,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) {
    let _ = dict;
    let (signed_data, rest) = match SignedData::from_der_prefix(contents) {
        Ok(parsed) => parsed,
        Err(e) => {
            checks.reasons.push(Reason::CmsMalformed(e.to_string()));
            return;
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
            return;
        }
    };
    let data = doc.data();
    let (first, second) = (
        &data[..range[1] as usize],
        &data[range[2] as usize..(range[2] + range[3]) as usize],
    );
    let mut hasher = digest_algorithm.hasher();
    hasher.update(first);
    hasher.update(second);
    let digest = hasher.finish();
    let require_ess = sub_filter == Some(b"ETSI.CAdES.detached");
    let supplied: Vec<Certificate> = Vec::new();
    let content = || [first, second].concat();
    let verification =
        signed_data.verify_with_content(&digest, Some(&content), &supplied, require_ess);
    checks.reasons.extend(verification.reasons);
    checks.warnings.extend(verification.warnings);
    if !signed_data
        .unsigned_attribute("1.2.840.113549.1.9.16.2.14")
        .is_empty()
    {
        checks.warnings.push(
            "the signature timestamp is not used as proof of existence by this version".into(),
        );
    }
    extra.cms_certificates = signed_data.certificates().to_vec();
    let Some(signer) = verification.signer else {
        return;
    };
    let validation = store.validate(&signer, signed_data.certificates(), at, Usage::Signer);
    checks.reasons.extend(validation.reasons.iter().cloned());
    checks.warnings.extend(validation.warnings.iter().cloned());
    extra.chain = validation.chain.iter().map(Certificate::summary).collect();
    extra.revocation = Some(validation.revocation.clone());
    extra.signer = Some(signer);
}

/// Check 13: what the revisions after the signed one changed, against DocMDP.
fn modification_checks(
    doc: &Document<'_>,
    field: ObjRef,
    dict: &Dict,
    signed: usize,
    checks: &mut Checks,
    extra: &mut ReportExtra,
) {
    let locked = fieldmdp_locked(doc, signed, field, dict);
    let changes = match changes_after(doc, signed, &locked) {
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
    let allowed = match docmdp_permission(doc, dict) {
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
    doc: &Document<'_>,
    signed: usize,
    field: ObjRef,
    dict: &Dict,
) -> HashSet<ObjRef> {
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
    let nodes: Vec<_> = (signed..=doc.latest())
        .filter_map(|rev| field_tree(doc, rev).ok())
        .flatten()
        .collect();
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
    let seal_report = verify_seal_with_chain(&seal, store, &extra.cms_certificates, at);
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
