//! Sealing a PDF (PAdES, ETSI EN 319 142-1; PDF.md §1): one incremental update per seal that
//! adds the signature field, its visible widget with the seal picture, and the signature
//! dictionary carrying the CMS and the e-seal; the original bytes stay untouched.

use std::time::SystemTime;

use super::appearance::{PT_PER_MM, appearance_stream, image_from_picture};
use super::document::Document;
use super::form::{FieldNode, field_tree};
use super::object::{Dict, ObjRef, Object, Stream, dict, name, text_string};
use super::source::{Bytes, FileSource, Source};
use super::text;
use super::update::Update;
use crate::cms::tsa::Timestamper;
use crate::cms::{self, DigestAlgorithm, SignOptions};
use crate::crypto::Signer;
use crate::error::{Error, Result};
use crate::pki::{Certificate, unix_seconds};
use crate::seal::Seal;

/// Where the visible seal goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    /// No visible widget (`/Rect [0 0 0 0]`) on the first page.
    Invisible,
    /// On page `page` (0-based), at `rect` = `[x1, y1, x2, y2]` in default user space
    /// (points, origin bottom left); `None` centres nothing and uses the seal's size at the
    /// bottom right.
    Page {
        /// Page index, 0-based.
        page: usize,
        /// The rectangle; `None` = the seal's own size, 36 pt from the bottom-right corner.
        rect: Option<[f64; 4]>,
    },
    /// Centred on the `occurrence`-th (0-based) occurrence of `keyword` in the text of the
    /// document, at the seal's own size.
    Keyword {
        /// The text to find.
        keyword: String,
        /// Which occurrence, 0-based.
        occurrence: usize,
    },
}

/// The `/SubFilter` of the signature (ISO 32000-1 clause 12.8.3; ETSI EN 319 142-1 5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubFilter {
    /// `/ETSI.CAdES.detached`: PAdES, with `signingCertificateV2` and no signing-time.
    CadesDetached,
    /// `/adbe.pkcs7.detached`: the older PKCS #7 form, with a signing-time attribute.
    Pkcs7Detached,
}

impl SubFilter {
    fn name(self) -> &'static str {
        match self {
            SubFilter::CadesDetached => "ETSI.CAdES.detached",
            SubFilter::Pkcs7Detached => "adbe.pkcs7.detached",
        }
    }
}

/// DocMDP permissions of a certification signature (ISO 32000-1 Table 254).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocMdp {
    /// P=1: no changes at all.
    NoChanges = 1,
    /// P=2: filling in forms and signing.
    FormFilling = 2,
    /// P=3: also annotations.
    Annotations = 3,
}

/// Which form fields a seal locks once made: FieldMDP (ISO 32000-1 12.7.4.5 `/Lock`,
/// 12.8.2.4), by fully qualified field name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldLock {
    /// Every field of the form.
    All,
    /// Only these fields.
    Include(Vec<String>),
    /// Every field but these.
    Exclude(Vec<String>),
}

impl FieldLock {
    /// The `/Lock` and FieldMDP `/TransformParams` entries: `/Action` and `/Fields`.
    fn entries(&self, kind: &str) -> Dict {
        let (action, fields) = match self {
            FieldLock::All => ("All", None),
            FieldLock::Include(f) => ("Include", Some(f)),
            FieldLock::Exclude(f) => ("Exclude", Some(f)),
        };
        let mut d = dict([("Type", name(kind)), ("Action", name(action))]);
        if let Some(fields) = fields {
            d.set(
                b"Fields",
                Object::Array(fields.iter().map(|f| text_string(f)).collect()),
            );
        }
        d
    }
}

/// Bytes reserved in `/Contents` for one timestamp token with its TSA chain.
const TOKEN_ROOM: usize = 8192;

/// Everything a seal needs besides the PDF.
pub struct PdfSealOptions<'a> {
    /// The signing key.
    pub signer: &'a dyn Signer,
    /// The signer's certificate.
    pub certificate: &'a Certificate,
    /// Intermediate certificates to embed.
    pub chain: &'a [Certificate],
    /// The e-seal: carried as `/ESeal_Seal` and drawn; the certificate must be in its certList.
    pub seal: Option<&'a Seal>,
    /// Where to show it.
    pub placement: Placement,
    /// PAdES (default) or PKCS #7.
    pub sub_filter: SubFilter,
    /// Certify the document (first signature only).
    pub certify: Option<DocMdp>,
    /// Lock form fields against later changes (FieldMDP).
    pub lock: Option<FieldLock>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// The claimed signing time (`/M`).
    pub signing_time: SystemTime,
    /// The field name; `None` picks `Seal1`, `Seal2`, ...
    pub field_name: Option<String>,
    /// A TSA for a signature timestamp (PAdES B-T); `None` makes B-B.
    pub timestamper: Option<&'a dyn Timestamper>,
}

impl<'a> PdfSealOptions<'a> {
    /// PAdES B-B defaults: invisible unless a seal is given (then bottom right of page 1), now.
    pub fn new(signer: &'a dyn Signer, certificate: &'a Certificate) -> Self {
        PdfSealOptions {
            signer,
            certificate,
            chain: &[],
            seal: None,
            placement: Placement::Invisible,
            sub_filter: SubFilter::CadesDetached,
            certify: None,
            lock: None,
            reason: None,
            location: None,
            signing_time: SystemTime::now(),
            field_name: None,
            timestamper: None,
        }
    }
}

const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

/// Seals `pdf` and returns the sealed file: `pdf` followed by one incremental update.
pub fn seal_pdf(pdf: Vec<u8>, options: &PdfSealOptions<'_>) -> Result<Vec<u8>> {
    append_signature(pdf, &Value::Seal(options))
}

/// Adds a document timestamp (PAdES B-LTA, ETSI EN 319 142-1 clause 5.4; ISO 32000-2
/// `/DocTimeStamp`): an invisible field whose value is an RFC 3161 token over the
/// document's bytes, in one incremental update.
pub fn add_document_timestamp(pdf: Vec<u8>, timestamper: &dyn Timestamper) -> Result<Vec<u8>> {
    append_signature(pdf, &Value::DocumentTimestamp(timestamper))
}

/// What the new field's value is.
enum Value<'v, 'a> {
    /// A seal: CMS signature, e-seal, picture.
    Seal(&'v PdfSealOptions<'a>),
    /// A document timestamp.
    DocumentTimestamp(&'v dyn Timestamper),
}

impl Value<'_, '_> {
    fn options(&self) -> Option<&PdfSealOptions<'_>> {
        match self {
            Value::Seal(options) => Some(options),
            Value::DocumentTimestamp(_) => None,
        }
    }
}

/// Seals the PDF `file` of at most [`super::MAX_PDF_SIZE`] bytes into `out`: the file's
/// bytes copied as they are, then one incremental update. Only the structures the update
/// needs are read into memory; the file is read twice more, streamed, to hash it and to
/// copy it. Returns the number of bytes written.
pub fn seal_pdf_file(
    file: &std::fs::File,
    out: &mut dyn std::io::Write,
    options: &PdfSealOptions<'_>,
) -> Result<u64> {
    let source = FileSource::new(file, super::MAX_PDF_SIZE)?;
    seal_pdf_source(&source, out, options)
}

/// [`seal_pdf_file`] for the bytes of any [`Source`].
pub fn seal_pdf_source(
    source: &dyn Source,
    out: &mut dyn std::io::Write,
    options: &PdfSealOptions<'_>,
) -> Result<u64> {
    let bytes = Bytes::Source(source);
    let update = signed_update(bytes, &Value::Seal(options))?;
    let io = |e| Error::io("sealed PDF", e);
    let mut copied = Ok(());
    bytes.for_each_chunk(0, bytes.len(), |chunk| {
        if copied.is_ok() {
            copied = out.write_all(chunk);
        }
    })?;
    copied.map_err(io)?;
    out.write_all(&update).map_err(io)?;
    Ok((bytes.len() + update.len()) as u64)
}

fn append_signature(mut pdf: Vec<u8>, value: &Value<'_, '_>) -> Result<Vec<u8>> {
    let update = signed_update(Bytes::Slice(&pdf), value)?;
    pdf.extend_from_slice(&update);
    Ok(pdf)
}

/// The signed incremental update that follows `bytes` (which it does not copy).
fn signed_update(bytes: Bytes<'_>, value: &Value<'_, '_>) -> Result<Vec<u8>> {
    let doc = Document::from_bytes(bytes)?;
    let prepared = prepare(&doc, value)?;
    let mut update = Vec::new();
    let placeholders = prepared.write(bytes, &mut update)?;
    fill_signature(bytes, &mut update, placeholders, value)?;
    Ok(update)
}

/// The update, before offsets are known.
struct Prepared {
    update: Update,
    sig_dict: ObjRef,
    contents_len: usize,
}

impl Prepared {
    /// Writes the update that follows `original` to `out` and returns where the
    /// placeholders landed in `out`.
    fn write(self, original: Bytes<'_>, out: &mut Vec<u8>) -> Result<Placeholders> {
        let last = original.read(original.len().saturating_sub(1), 1)?;
        let after_eol = matches!(last.first(), Some(b'\n' | b'\r'));
        let bodies = self.update.write_after(original.len(), after_eol, out);
        let at = bodies
            .iter()
            .find(|(r, _)| *r == self.sig_dict)
            .map_or(0, |(_, at)| *at - original.len());
        let body = &out[at..];
        Ok(Placeholders {
            byte_range: at + find(body, BYTE_RANGE_PLACEHOLDER),
            contents: at + find(body, b"/Contents <") + b"/Contents ".len(),
            contents_len: self.contents_len,
        })
    }
}

/// Offsets of the placeholders in the written update.
struct Placeholders {
    byte_range: usize,
    contents: usize,
    contents_len: usize,
}

/// The incremental update that adds the signature field with its widget to the page and
/// the AcroForm (and `/Perms` for a certification), its signature dictionary left with
/// placeholders.
fn prepare(doc: &Document<'_>, value: &Value<'_, '_>) -> Result<Prepared> {
    let options = value.options();
    let seal = options.and_then(|o| o.seal);
    let certify = options.and_then(|o| o.certify);
    let rev = doc.latest();
    check_sealable(doc, rev, options)?;
    let root_ref = doc.root_ref(rev)?;
    let mut catalog = doc.catalog(rev)?;
    let pages = doc.pages(rev)?;
    let fields = field_tree(doc, rev)?;
    if certify.is_some() && fields.iter().any(FieldNode::is_signed_signature) {
        return Err(Error::Invalid(
            "a certification signature must be the document's first signature".into(),
        ));
    }
    let field_name = new_field_name(&fields, options)?;

    let mut update = Update::new(doc);
    let spot = match options {
        Some(options) => placement_rect(doc, rev, &pages, options)?,
        None => Spot {
            page: 0,
            rect: [0.0; 4],
            rotate: 0,
        },
    };
    let page_ref = *pages
        .get(spot.page)
        .ok_or_else(|| Error::Invalid(format!("the document has no page {}", spot.page + 1)))?;

    let sig_ref = update.alloc();
    let widget_ref = update.alloc();
    let mut widget = dict([
        ("Type", name("Annot")),
        ("Subtype", name("Widget")),
        ("FT", name("Sig")),
        ("T", text_string(&field_name)),
        ("V", Object::Ref(sig_ref)),
        (
            "Rect",
            Object::Array(spot.rect.iter().map(|v| Object::Real(*v)).collect()),
        ),
        ("P", Object::Ref(page_ref)),
        (
            "F",
            Object::Int(if rect_is_empty(&spot.rect) { 2 } else { 4 } | 128),
        ),
    ]);
    if let Some(lock) = options.and_then(|o| o.lock.as_ref()) {
        widget.set(b"Lock", Object::Dict(lock.entries("SigFieldLock")));
    }
    let ap_ref = widget_appearance(&mut update, seal, &spot)?;
    widget.set(b"AP", Object::Dict(dict([("N", Object::Ref(ap_ref))])));
    update.put(widget_ref, &Object::Dict(widget));

    add_annotation(doc, rev, &mut update, page_ref, widget_ref)?;
    let mut catalog_changed = add_field(doc, rev, &mut update, &mut catalog, widget_ref)?;
    if certify.is_some() {
        catalog.set(
            b"Perms",
            Object::Dict(dict([("DocMDP", Object::Ref(sig_ref))])),
        );
        catalog_changed = true;
    }
    if catalog_changed {
        update.put(root_ref, &Object::Dict(catalog));
    }

    let contents_len = contents_size(value);
    update.put_raw(sig_ref, signature_dictionary(value, contents_len));
    Ok(Prepared {
        update,
        sig_dict: sig_ref,
        contents_len,
    })
}

/// Refuses what cannot be sealed: an encrypted document, a signer certificate that is not
/// in the seal's certList.
fn check_sealable(
    doc: &Document<'_>,
    rev: usize,
    options: Option<&PdfSealOptions<'_>>,
) -> Result<()> {
    if doc.trailer(rev).get(b"Encrypt").is_some() {
        return Err(Error::Invalid(
            "sealing encrypted PDFs is not supported".into(),
        ));
    }
    if let Some(options) = options
        && let Some(seal) = options.seal
        && !crate::seal::verify::in_cert_list(&seal.property.cert_list, options.certificate.der())
    {
        return Err(Error::Invalid(format!(
            "the signer certificate ({}) is not in the certList of the seal {:?}",
            options.certificate.subject(),
            seal.property.name
        )));
    }
    Ok(())
}

/// The new field's name: the one asked for, unless a field has it, else the first free
/// `Seal1`, `Seal2`, … (`DocTimeStamp1`, … for a document timestamp).
fn new_field_name(fields: &[FieldNode], options: Option<&PdfSealOptions<'_>>) -> Result<String> {
    let (prefix, asked) = match options {
        Some(o) => ("Seal", o.field_name.as_ref()),
        None => ("DocTimeStamp", None),
    };
    match asked {
        Some(n) if fields.iter().any(|f| &f.name == n) => Err(Error::Invalid(format!(
            "a field named {n:?} exists already"
        ))),
        Some(n) => Ok(n.clone()),
        None => Ok((1..)
            .map(|i| format!("{prefix}{i}"))
            .find(|n| !fields.iter().any(|f| &f.name == n))
            .unwrap_or_default()),
    }
}

/// Adds the widget's normal appearance to `update`: the seal's picture fitted to the spot,
/// or an empty form when there is no seal or the widget is invisible.
fn widget_appearance(update: &mut Update, seal: Option<&Seal>, spot: &Spot) -> Result<ObjRef> {
    let rect = spot.rect;
    if let (Some(seal), false) = (seal, rect_is_empty(&rect)) {
        let image = image_from_picture(&seal.picture)?;
        let image_ref = update.alloc();
        let mut image_stream = image.image;
        if let Some(mask) = image.soft_mask {
            let mask_ref = update.alloc();
            update.put(mask_ref, &Object::Stream(mask));
            image_stream.dict.set(b"SMask", Object::Ref(mask_ref));
        }
        update.put(image_ref, &Object::Stream(image_stream));
        let ap_ref = update.alloc();
        let (w, h) = (rect[2] - rect[0], rect[3] - rect[1]);
        let (w, h) = if spot.rotate % 180 == 0 {
            (w, h)
        } else {
            (h, w)
        };
        let ap = appearance_stream(w, h, spot.rotate, image_ref);
        update.put(ap_ref, &Object::Stream(ap));
        Ok(ap_ref)
    } else {
        let ap_ref = update.alloc();
        let empty = Stream {
            dict: dict([
                ("Type", name("XObject")),
                ("Subtype", name("Form")),
                ("BBox", Object::Array(vec![Object::Int(0); 4])),
            ]),
            data: Vec::new(),
            deferred: None,
        };
        update.put(ap_ref, &Object::Stream(empty));
        Ok(ap_ref)
    }
}

/// Appends the widget to the page's `/Annots`.
fn add_annotation(
    doc: &Document<'_>,
    rev: usize,
    update: &mut Update,
    page_ref: ObjRef,
    widget_ref: ObjRef,
) -> Result<()> {
    let page = doc.get(page_ref, rev)?;
    let mut page = page
        .as_dict()
        .cloned()
        .ok_or_else(|| Error::malformed("PDF", "page is not a dictionary"))?;
    let annots = page.get(b"Annots").cloned();
    if let Some(annots) = append_ref(doc, rev, update, annots, widget_ref)? {
        page.set(b"Annots", Object::Array(annots));
        update.put(page_ref, &Object::Dict(page));
    }
    Ok(())
}

/// Appends the field to the AcroForm's `/Fields` and sets `/SigFlags 3`; returns whether
/// the catalog changed (an AcroForm held in it, or a new one).
fn add_field(
    doc: &Document<'_>,
    rev: usize,
    update: &mut Update,
    catalog: &mut Dict,
    widget_ref: ObjRef,
) -> Result<bool> {
    let (acroform_ref, mut acroform) = match catalog.get(b"AcroForm") {
        Some(Object::Ref(r)) => (
            Some(*r),
            doc.get(*r, rev)?.as_dict().cloned().unwrap_or_default(),
        ),
        Some(Object::Dict(d)) => (None, d.clone()),
        _ => (None, Dict::default()),
    };
    let fields = acroform.get(b"Fields").cloned();
    if let Some(fields) = append_ref(doc, rev, update, fields, widget_ref)? {
        acroform.set(b"Fields", Object::Array(fields));
    }
    acroform.set(b"SigFlags", Object::Int(3));
    match acroform_ref {
        Some(r) => {
            update.put(r, &Object::Dict(acroform));
            Ok(false)
        }
        None => {
            catalog.set(b"AcroForm", Object::Dict(acroform));
            Ok(true)
        }
    }
}

/// Appends a reference to `item` to the array `entry`: in the array object when `entry`
/// refers to one (then `None`), else to a copy of the direct array, or a new one, returned
/// for the caller to store.
fn append_ref(
    doc: &Document<'_>,
    rev: usize,
    update: &mut Update,
    entry: Option<Object>,
    item: ObjRef,
) -> Result<Option<Vec<Object>>> {
    match entry {
        Some(Object::Ref(array_ref)) => {
            let mut items = doc
                .get(array_ref, rev)?
                .as_array()
                .unwrap_or_default()
                .to_vec();
            items.push(Object::Ref(item));
            update.put(array_ref, &Object::Array(items));
            Ok(None)
        }
        other => {
            let mut items = other
                .and_then(|o| o.as_array().map(<[_]>::to_vec))
                .unwrap_or_default();
            items.push(Object::Ref(item));
            Ok(Some(items))
        }
    }
}

/// Bytes reserved for the value: the certificates, the signature, attributes, a timestamp
/// token when one is asked for, and slack.
fn contents_size(value: &Value<'_, '_>) -> usize {
    match value {
        Value::Seal(options) => {
            let certs: usize = options.certificate.der().len()
                + options.chain.iter().map(|c| c.der().len()).sum::<usize>();
            let token = if options.timestamper.is_some() {
                TOKEN_ROOM
            } else {
                0
            };
            certs + token + 512 + 2048 + 1024
        }
        Value::DocumentTimestamp(_) => TOKEN_ROOM,
    }
}

fn signature_dictionary(value: &Value<'_, '_>, contents_len: usize) -> Vec<u8> {
    let (kind, sub_filter) = match value {
        Value::Seal(options) => ("Sig", options.sub_filter.name()),
        Value::DocumentTimestamp(_) => ("DocTimeStamp", "ETSI.RFC3161"),
    };
    let mut out = Vec::new();
    out.extend_from_slice(
        format!("<</Type/{kind}/Filter/Adobe.PPKLite/SubFilter/{sub_filter}").as_bytes(),
    );
    out.extend_from_slice(b"/ByteRange ");
    out.extend_from_slice(BYTE_RANGE_PLACEHOLDER);
    out.extend_from_slice(b"/Contents <");
    out.resize(out.len() + 2 * contents_len, b'0');
    out.extend_from_slice(b">");
    let Value::Seal(options) = value else {
        out.extend_from_slice(b">>");
        return out;
    };
    let mut rest = dict([("M", text_string(&pdf_date(options.signing_time)))]);
    if let Some(reason) = &options.reason {
        rest.set(b"Reason", text_string(reason));
    }
    if let Some(location) = &options.location {
        rest.set(b"Location", text_string(location));
    }
    if let Some(seal) = options.seal {
        rest.set(
            b"ESeal_Seal",
            Object::String {
                bytes: seal.der().to_vec(),
                hex: true,
            },
        );
    }
    let sig_ref = |method: &str, params: Dict| {
        Object::Dict(dict([
            ("Type", name("SigRef")),
            ("TransformMethod", name(method)),
            ("TransformParams", Object::Dict(params)),
        ]))
    };
    let mut references = Vec::new();
    if let Some(p) = options.certify {
        let params = dict([
            ("Type", name("TransformParams")),
            ("P", Object::Int(p as i64)),
            ("V", name("1.2")),
        ]);
        references.push(sig_ref("DocMDP", params));
    }
    if let Some(lock) = &options.lock {
        let mut params = lock.entries("TransformParams");
        params.set(b"V", name("1.2"));
        references.push(sig_ref("FieldMDP", params));
    }
    if !references.is_empty() {
        rest.set(b"Reference", Object::Array(references));
    }
    let mut tail = Vec::new();
    Object::Dict(rest).write_to(&mut tail);
    // Splice the remaining entries into the open dictionary (drop their `<<`).
    out.extend_from_slice(&tail[2..]);
    out
}

/// `D:YYYYMMDDHHmmSSZ` (ISO 32000-1 clause 7.9.4), in UTC.
pub fn pdf_date(t: SystemTime) -> String {
    let secs = unix_seconds(t);
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    super::parser::memfind(haystack, needle).unwrap_or(0)
}

/// Patches `/ByteRange` in `update`, hashes the two ranges (`original` streamed, then the
/// update), makes the value (a CMS signature, with a signature timestamp when asked; or a
/// timestamp token) and writes it into `/Contents`.
fn fill_signature(
    original: Bytes<'_>,
    update: &mut [u8],
    at: Placeholders,
    value: &Value<'_, '_>,
) -> Result<()> {
    let base = original.len();
    let a = at.contents;
    let b = a + 2 * at.contents_len + 2;
    let length = base + update.len();
    let range = format!("[0 {} {} {}", base + a, base + b, length - base - b);
    let slot = &mut update[at.byte_range..at.byte_range + BYTE_RANGE_PLACEHOLDER.len()];
    slot.fill(b' ');
    slot[..range.len()].copy_from_slice(range.as_bytes());
    slot[BYTE_RANGE_PLACEHOLDER.len() - 1] = b']';

    let digest_algorithm = match value {
        Value::Seal(options) => DigestAlgorithm::for_signature(options.signer.algorithm()),
        Value::DocumentTimestamp(_) => DigestAlgorithm::Sha256,
    };
    let mut hasher = digest_algorithm.hasher();
    original.for_each_chunk(0, base, |chunk| hasher.update(chunk))?;
    hasher.update(&update[..a]);
    hasher.update(&update[b..]);
    let digest = hasher.finish();
    let cms = match value {
        Value::Seal(options) => signature_value(options, &digest)?,
        Value::DocumentTimestamp(tsa) => tsa.timestamp(digest_algorithm, &digest)?,
    };
    if cms.len() > at.contents_len {
        return Err(Error::Signing(format!(
            "the signature value ({} bytes) does not fit the {} bytes reserved",
            cms.len(),
            at.contents_len
        )));
    }
    let hex = hex::encode_upper(&cms);
    update[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}

/// The CMS of a seal over `digest`; with a timestamper, its token over the signature value
/// joins as the unsigned attribute signatureTimeStampToken (PAdES B-T).
fn signature_value(options: &PdfSealOptions<'_>, digest: &[u8]) -> Result<Vec<u8>> {
    let signing_time = match options.sub_filter {
        SubFilter::Pkcs7Detached => Some(options.signing_time),
        SubFilter::CadesDetached => None,
    };
    let cms = cms::sign_detached(
        digest,
        &SignOptions {
            signer: options.signer,
            certificate: options.certificate,
            chain: options.chain,
            signing_time,
        },
    )?;
    let Some(tsa) = options.timestamper else {
        return Ok(cms);
    };
    let (signed, _) = cms::SignedData::from_der_prefix(&cms)?;
    let imprint = DigestAlgorithm::Sha256.digest(signed.signature_value());
    let token = tsa.timestamp(DigestAlgorithm::Sha256, &imprint)?;
    cms::add_unsigned_attribute(&cms, cms::OID_SIGNATURE_TIME_STAMP_TOKEN, &token)
}

fn rect_is_empty(rect: &[f64; 4]) -> bool {
    rect[2] <= rect[0] || rect[3] <= rect[1]
}

/// Where the widget goes: its page, its `/Rect` in default user space, and the page's
/// `/Rotate` (0, 90, 180 or 270) that the appearance must undo to show the seal upright.
struct Spot {
    page: usize,
    rect: [f64; 4],
    rotate: i64,
}

/// The page, rectangle and rotation the options ask for. Rectangles given by the caller
/// and the default corner are in the page as displayed (after `/Rotate`, within the
/// CropBox); a keyword's box is already in user space.
fn placement_rect(
    doc: &Document<'_>,
    rev: usize,
    pages: &[ObjRef],
    options: &PdfSealOptions<'_>,
) -> Result<Spot> {
    let (width, height) = options.seal.map_or((0.0, 0.0), |s| {
        (
            s.picture.width_mm as f64 * PT_PER_MM,
            s.picture.height_mm as f64 * PT_PER_MM,
        )
    });
    let geometry = |page: usize| -> Result<([f64; 4], i64)> {
        let page_ref = pages
            .get(page)
            .ok_or_else(|| Error::Invalid(format!("the document has no page {}", page + 1)))?;
        let rotate = match text::inherited(doc, *page_ref, rev, b"Rotate")? {
            Some(Object::Int(r)) => r.rem_euclid(360) / 90 * 90,
            _ => 0,
        };
        Ok((text::page_box(doc, *page_ref, rev)?, rotate))
    };
    match &options.placement {
        Placement::Invisible => Ok(Spot {
            page: 0,
            rect: [0.0; 4],
            rotate: 0,
        }),
        Placement::Page { page, rect } => {
            let (page_box, rotate) = geometry(*page)?;
            let displayed = match rect {
                Some(r) => *r,
                None => {
                    let shown_width = if rotate % 180 == 0 {
                        page_box[2] - page_box[0]
                    } else {
                        page_box[3] - page_box[1]
                    };
                    let right = shown_width - 36.0;
                    [right - width, 36.0, right, 36.0 + height]
                }
            };
            Ok(Spot {
                page: *page,
                rect: displayed_to_user(displayed, page_box, rotate),
                rotate,
            })
        }
        Placement::Keyword {
            keyword,
            occurrence,
        } => {
            let hit = text::find_keyword(doc, rev, pages, keyword, *occurrence)?;
            let (_, rotate) = geometry(hit.page)?;
            let (cx, cy) = (
                (hit.rect[0] + hit.rect[2]) / 2.0,
                (hit.rect[1] + hit.rect[3]) / 2.0,
            );
            let (w, h) = if rotate % 180 == 0 {
                (width, height)
            } else {
                (height, width)
            };
            Ok(Spot {
                page: hit.page,
                rect: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
                rotate,
            })
        }
    }
}

/// Maps a rectangle on the page as displayed (origin at the bottom left of the rotated
/// CropBox) into default user space (ISO 32000-1 clause 7.7.3.3, `/Rotate` clockwise).
fn displayed_to_user(rect: [f64; 4], page_box: [f64; 4], rotate: i64) -> [f64; 4] {
    let [x0, y0, x1, y1] = page_box;
    let (w, h) = (x1 - x0, y1 - y0);
    let map = |u: f64, v: f64| match rotate {
        90 => (x0 + w - v, y0 + u),
        180 => (x0 + w - u, y0 + h - v),
        270 => (x0 + v, y0 + h - u),
        _ => (x0 + u, y0 + v),
    };
    let (a, b) = (map(rect[0], rect[1]), map(rect[2], rect[3]));
    [a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_are_utc() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_798_761_600);
        assert_eq!(pdf_date(t), "D:20270101000000Z");
    }
}
