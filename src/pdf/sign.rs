//! Sealing a PDF (PAdES, ETSI EN 319 142-1; PDF.md §1): one incremental update per seal that
//! adds the signature field, its visible widget with the seal picture, and the signature
//! dictionary carrying the CMS and the e-seal; the original bytes stay untouched.

use std::time::SystemTime;

use super::appearance::{PT_PER_MM, appearance_stream, image_from_picture};
use super::document::{Document, XrefKind};
use super::form::{FieldNode, field_tree};
use super::object::{Dict, ObjRef, Object, Stream, dict, name, text_string};
use super::text;
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
        }
    }
}

const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

/// Seals `pdf` and returns the sealed file: `pdf` followed by one incremental update.
pub fn seal_pdf(mut pdf: Vec<u8>, options: &PdfSealOptions<'_>) -> Result<Vec<u8>> {
    let original_len = pdf.len();
    let prepared = prepare(&pdf, options)?;
    if !pdf.ends_with(b"\n") && !pdf.ends_with(b"\r") {
        pdf.push(b'\n');
    }
    let placeholders = prepared.write(&mut pdf);
    let result = fill_signature(&mut pdf, placeholders, options);
    if result.is_err() {
        pdf.truncate(original_len);
    }
    result.map(|()| pdf)
}

/// The objects of the update, before offsets are known.
struct Prepared {
    objects: Vec<(ObjRef, Vec<u8>)>,
    sig_dict: ObjRef,
    xref_kind: XrefKind,
    prev: usize,
    trailer: Dict,
    size: u32,
    contents_len: usize,
}

/// Offsets of the placeholders in the written file.
struct Placeholders {
    byte_range: usize,
    contents: usize,
    contents_len: usize,
}

fn prepare(pdf: &[u8], options: &PdfSealOptions<'_>) -> Result<Prepared> {
    let doc = Document::parse(pdf)?;
    let rev = doc.latest();
    if doc.trailer(rev).get(b"Encrypt").is_some() {
        return Err(Error::Invalid(
            "sealing encrypted PDFs is not supported".into(),
        ));
    }
    if let Some(seal) = options.seal
        && !crate::seal::verify::in_cert_list(&seal.property.cert_list, options.certificate.der())
    {
        return Err(Error::Invalid(format!(
            "the signer certificate ({}) is not in the certList of the seal {:?}",
            options.certificate.subject(),
            seal.property.name
        )));
    }
    let root_ref = doc.root_ref(rev)?;
    let mut catalog = doc.catalog(rev)?;
    let pages = doc.pages(rev)?;
    let fields = field_tree(&doc, rev)?;
    if options.certify.is_some() && fields.iter().any(FieldNode::is_signed_signature) {
        return Err(Error::Invalid(
            "a certification signature must be the document's first signature".into(),
        ));
    }
    let field_name = match &options.field_name {
        Some(n) if fields.iter().any(|f| &f.name == n) => {
            return Err(Error::Invalid(format!(
                "a field named {n:?} exists already"
            )));
        }
        Some(n) => n.clone(),
        None => (1..)
            .map(|i| format!("Seal{i}"))
            .find(|n| !fields.iter().any(|f| &f.name == n))
            .unwrap_or_default(),
    };

    let mut next = doc
        .sections
        .iter()
        .map(|s| {
            let size = s
                .trailer
                .int(b"Size")
                .unwrap_or(0)
                .clamp(0, u32::MAX as i64) as u32;
            let max = s.entries.keys().next_back().map_or(0, |n| n + 1);
            size.max(max)
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let mut alloc = || {
        let r = ObjRef {
            num: next,
            generation: 0,
        };
        next += 1;
        r
    };
    let mut objects: Vec<(ObjRef, Vec<u8>)> = Vec::new();
    let mut add = |r: ObjRef, o: &Object| {
        let mut body = Vec::new();
        o.write_to(&mut body);
        objects.push((r, body));
    };

    let spot = placement_rect(&doc, rev, &pages, options)?;
    let (page_index, rect) = (spot.page, spot.rect);
    let page_ref = *pages
        .get(page_index)
        .ok_or_else(|| Error::Invalid(format!("the document has no page {}", page_index + 1)))?;

    let sig_ref = alloc();
    let widget_ref = alloc();
    let mut widget = dict([
        ("Type", name("Annot")),
        ("Subtype", name("Widget")),
        ("FT", name("Sig")),
        ("T", text_string(&field_name)),
        ("V", Object::Ref(sig_ref)),
        (
            "Rect",
            Object::Array(rect.iter().map(|v| Object::Real(*v)).collect()),
        ),
        ("P", Object::Ref(page_ref)),
        (
            "F",
            Object::Int(if rect_is_empty(&rect) { 2 } else { 4 } | 128),
        ),
    ]);
    if let Some(lock) = &options.lock {
        widget.set(b"Lock", Object::Dict(lock.entries("SigFieldLock")));
    }
    if let (Some(seal), false) = (options.seal, rect_is_empty(&rect)) {
        let image = image_from_picture(&seal.picture)?;
        let image_ref = alloc();
        let mut image_stream = image.image;
        if let Some(mask) = image.soft_mask {
            let mask_ref = alloc();
            add(mask_ref, &Object::Stream(mask));
            image_stream.dict.set(b"SMask", Object::Ref(mask_ref));
        }
        add(image_ref, &Object::Stream(image_stream));
        let ap_ref = alloc();
        let (w, h) = (rect[2] - rect[0], rect[3] - rect[1]);
        let (w, h) = if spot.rotate % 180 == 0 {
            (w, h)
        } else {
            (h, w)
        };
        let ap = appearance_stream(w, h, spot.rotate, image_ref);
        add(ap_ref, &Object::Stream(ap));
        widget.set(b"AP", Object::Dict(dict([("N", Object::Ref(ap_ref))])));
    } else {
        let ap_ref = alloc();
        let empty = Stream {
            dict: dict([
                ("Type", name("XObject")),
                ("Subtype", name("Form")),
                ("BBox", Object::Array(vec![Object::Int(0); 4])),
            ]),
            data: Vec::new(),
        };
        add(ap_ref, &Object::Stream(empty));
        widget.set(b"AP", Object::Dict(dict([("N", Object::Ref(ap_ref))])));
    }
    add(widget_ref, &Object::Dict(widget));

    // The page's /Annots: update the array object when it is indirect, else the page.
    let page = doc.get(page_ref, rev)?;
    let mut page = page
        .as_dict()
        .cloned()
        .ok_or_else(|| Error::malformed("PDF", "page is not a dictionary"))?;
    match page.get(b"Annots").cloned() {
        Some(Object::Ref(annots_ref)) => {
            let mut annots = doc
                .get(annots_ref, rev)?
                .as_array()
                .unwrap_or_default()
                .to_vec();
            annots.push(Object::Ref(widget_ref));
            add(annots_ref, &Object::Array(annots));
        }
        other => {
            let mut annots = other
                .and_then(|o| o.as_array().map(<[_]>::to_vec))
                .unwrap_or_default();
            annots.push(Object::Ref(widget_ref));
            page.set(b"Annots", Object::Array(annots));
            add(page_ref, &Object::Dict(page));
        }
    }

    // The AcroForm: append the field, set SigFlags 3.
    let mut catalog_changed = false;
    let acroform_entry = catalog.get(b"AcroForm").cloned();
    let (acroform_ref, mut acroform) = match &acroform_entry {
        Some(Object::Ref(r)) => (
            Some(*r),
            doc.get(*r, rev)?.as_dict().cloned().unwrap_or_default(),
        ),
        Some(Object::Dict(d)) => (None, d.clone()),
        _ => (None, Dict::default()),
    };
    match acroform.get(b"Fields").cloned() {
        Some(Object::Ref(fields_ref)) => {
            let mut list = doc
                .get(fields_ref, rev)?
                .as_array()
                .unwrap_or_default()
                .to_vec();
            list.push(Object::Ref(widget_ref));
            add(fields_ref, &Object::Array(list));
        }
        other => {
            let mut list = other
                .and_then(|o| o.as_array().map(<[_]>::to_vec))
                .unwrap_or_default();
            list.push(Object::Ref(widget_ref));
            acroform.set(b"Fields", Object::Array(list));
        }
    }
    acroform.set(b"SigFlags", Object::Int(3));
    match acroform_ref {
        Some(r) => add(r, &Object::Dict(acroform)),
        None => {
            catalog.set(b"AcroForm", Object::Dict(acroform));
            catalog_changed = true;
        }
    }
    if options.certify.is_some() {
        catalog.set(
            b"Perms",
            Object::Dict(dict([("DocMDP", Object::Ref(sig_ref))])),
        );
        catalog_changed = true;
    }
    if catalog_changed {
        add(root_ref, &Object::Dict(catalog));
    }

    let contents_len = contents_size(options);
    let sig_body = signature_dictionary(options, contents_len)?;
    objects.push((sig_ref, sig_body));
    objects.sort_by_key(|(r, _)| r.num);

    let last = &doc.sections[rev];
    let mut trailer = Dict::default();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Some(v) = last.trailer.get(key) {
            trailer.set(key, v.clone());
        }
    }
    Ok(Prepared {
        objects,
        sig_dict: sig_ref,
        xref_kind: last.kind,
        prev: last.offset,
        trailer,
        size: next,
        contents_len,
    })
}

/// Bytes reserved for the CMS: the certificates, the signature, attributes and slack.
fn contents_size(options: &PdfSealOptions<'_>) -> usize {
    let certs: usize = options.certificate.der().len()
        + options.chain.iter().map(|c| c.der().len()).sum::<usize>();
    certs + 512 + 2048 + 1024
}

fn signature_dictionary(options: &PdfSealOptions<'_>, contents_len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    out.extend_from_slice(b"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/");
    out.extend_from_slice(options.sub_filter.name().as_bytes());
    out.extend_from_slice(b"/ByteRange ");
    out.extend_from_slice(BYTE_RANGE_PLACEHOLDER);
    out.extend_from_slice(b"/Contents <");
    out.resize(out.len() + 2 * contents_len, b'0');
    out.extend_from_slice(b">");
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
    Ok(out)
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

impl Prepared {
    /// Appends the update to `out` and returns where the placeholders landed.
    fn write(&self, out: &mut Vec<u8>) -> Placeholders {
        let mut offsets = Vec::with_capacity(self.objects.len() + 1);
        let mut byte_range = 0;
        let mut contents = 0;
        for (r, body) in &self.objects {
            offsets.push((r.num, out.len()));
            out.extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
            if *r == self.sig_dict {
                let br = find(body, BYTE_RANGE_PLACEHOLDER);
                let ct = find(body, b"/Contents <") + b"/Contents ".len();
                byte_range = out.len() + br;
                contents = out.len() + ct;
            }
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let mut trailer = self.trailer.clone();
        trailer.set(b"Prev", Object::Int(self.prev as i64));
        let xref_offset = out.len();
        match self.xref_kind {
            XrefKind::Table => {
                trailer.set(b"Size", Object::Int(i64::from(self.size)));
                out.extend_from_slice(b"xref\n");
                for run in runs(&offsets) {
                    out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
                    for (_, offset) in run {
                        out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
                    }
                }
                out.extend_from_slice(b"trailer\n");
                Object::Dict(trailer).write_to(out);
            }
            XrefKind::Stream => {
                let own = self.size;
                offsets.push((own, xref_offset));
                let mut index = Vec::new();
                let mut data = Vec::new();
                for run in runs(&offsets) {
                    index.push(Object::Int(i64::from(run[0].0)));
                    index.push(Object::Int(run.len() as i64));
                    for (_, offset) in run {
                        data.push(1);
                        data.extend_from_slice(&(*offset as u64).to_be_bytes()[3..]);
                        data.extend_from_slice(&[0, 0]);
                    }
                }
                trailer.set(b"Type", name("XRef"));
                trailer.set(b"Size", Object::Int(i64::from(own) + 1));
                trailer.set(b"Index", Object::Array(index));
                trailer.set(
                    b"W",
                    Object::Array(vec![Object::Int(1), Object::Int(5), Object::Int(2)]),
                );
                out.extend_from_slice(format!("{own} 0 obj\n").as_bytes());
                Object::Stream(Stream {
                    dict: trailer,
                    data,
                })
                .write_to(out);
                out.extend_from_slice(b"\nendobj");
            }
        }
        out.extend_from_slice(format!("\nstartxref\n{xref_offset}\n%%EOF\n").as_bytes());
        Placeholders {
            byte_range,
            contents,
            contents_len: self.contents_len,
        }
    }
}

/// Consecutive object numbers grouped into xref subsections.
fn runs(offsets: &[(u32, usize)]) -> Vec<&[(u32, usize)]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=offsets.len() {
        if i == offsets.len() || offsets[i].0 != offsets[i - 1].0 + 1 {
            runs.push(&offsets[start..i]);
            start = i;
        }
    }
    runs
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    super::parser::memfind(haystack, needle).unwrap_or(0)
}

/// Patches `/ByteRange`, hashes the two ranges, signs and writes the CMS into `/Contents`.
fn fill_signature(pdf: &mut [u8], at: Placeholders, options: &PdfSealOptions<'_>) -> Result<()> {
    let a = at.contents;
    let b = a + 2 * at.contents_len + 2;
    let length = pdf.len();
    let range = format!("[0 {a} {b} {}", length - b);
    let slot = &mut pdf[at.byte_range..at.byte_range + BYTE_RANGE_PLACEHOLDER.len()];
    slot.fill(b' ');
    slot[..range.len()].copy_from_slice(range.as_bytes());
    slot[BYTE_RANGE_PLACEHOLDER.len() - 1] = b']';

    let digest_algorithm = DigestAlgorithm::for_signature(options.signer.algorithm());
    let mut hasher = digest_algorithm.hasher();
    hasher.update(&pdf[..a]);
    hasher.update(&pdf[b..]);
    let digest = hasher.finish();
    let signing_time = match options.sub_filter {
        SubFilter::Pkcs7Detached => Some(options.signing_time),
        SubFilter::CadesDetached => None,
    };
    let cms = cms::sign_detached(
        &digest,
        &SignOptions {
            signer: options.signer,
            certificate: options.certificate,
            chain: options.chain,
            signing_time,
        },
    )?;
    if cms.len() > at.contents_len {
        return Err(Error::Signing(format!(
            "the CMS signature ({} bytes) does not fit the {} bytes reserved",
            cms.len(),
            at.contents_len
        )));
    }
    let hex = hex::encode_upper(&cms);
    pdf[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
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
