//! The licence as a one-page PDF (LICENCE.md §6): the shared layout drawn with
//! pdf-writer, the font a Type0 / CIDFontType2 subset with `Identity-H` and `/ToUnicode`.
//! No dates go in; the file `/ID` is a hash of the content.

use std::collections::BTreeSet;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};

use super::layout::{
    CONDENSED, FRAME, FRAME_RGB, Glyphs, MARGIN, PAGE, Page, QR_BOTTOM, QR_SIZE, dark_runs,
    postscript_name,
};
use super::{CjkFont, LicenceDocument};
use crate::error::Result;
use crate::pdf::Placement;
use crate::pdf::filter::deflate;

/// The font resource name on the page.
pub(crate) const FONT_RESOURCE: Name<'static> = Name(b"F1");

/// A rendered licence: the PDF and where the office's seal belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedLicence {
    /// The one-page PDF.
    pub pdf: Vec<u8>,
    /// `[x1, y1, x2, y2]` on page 1 in default user space (points, origin bottom left): the
    /// square over the issuer name and date where the seal is drawn.
    pub seal_rect: [f32; 4],
}

impl RenderedLicence {
    /// The placement for [`crate::pdf::PdfSealOptions::placement`]: page 1 at
    /// [`seal_rect`](Self::seal_rect).
    pub fn seal_placement(&self) -> Placement {
        Placement::Page {
            page: 0,
            rect: Some(self.seal_rect.map(f64::from)),
        }
    }
}

/// Renders `doc` as a one-page A4 PDF set in `font`.
///
/// Errors: a character `font` has no glyph for ([`crate::Error::Invalid`] naming it), a QR text
/// that cannot be encoded, or rows that do not fit on the page.
pub fn render_pdf(doc: &LicenceDocument, font: &CjkFont) -> Result<RenderedLicence> {
    let page = Page::new(doc, font)?;
    let content = page_content(&page);
    let program = font.subset(&page.remapper)?;
    let embedded = EmbeddedFont::new(&page.face, &page.glyphs, &page.remapper, program);
    let pdf = write_pdf(&doc.title, &content, &embedded);
    Ok(RenderedLicence {
        pdf,
        seal_rect: page.layout.seal_rect,
    })
}

/// A run of 2-byte glyph codes set at one horizontal scaling.
pub(crate) struct Run {
    condensed: bool,
    codes: Vec<u8>,
}

/// `text` as 2-byte codes (`Identity-H`, the glyph ids in the subset), in runs of one
/// horizontal scaling.
pub(crate) fn encode(
    glyphs: &Glyphs,
    text: &str,
    remapper: &subsetter::GlyphRemapper,
) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for glyph in text.chars().filter_map(|c| glyphs.by_char.get(&c)) {
        let Some(cid) = remapper.get(glyph.id) else {
            continue;
        };
        match runs.last_mut() {
            Some(run) if run.condensed == glyph.condensed => {
                run.codes.extend(cid.to_be_bytes());
            }
            _ => runs.push(Run {
                condensed: glyph.condensed,
                codes: cid.to_be_bytes().to_vec(),
            }),
        }
    }
    runs
}

// ---------------------------------------------------------------------------------------
// Drawing

fn page_content(page: &Page<'_>) -> Vec<u8> {
    let mut content = Content::new();
    draw_frame(&mut content);
    content.set_fill_gray(0.0);
    content.begin_text();
    let mut size = None;
    for line in page.layout.lines.iter().filter(|l| !l.text.is_empty()) {
        if size != Some(line.size) {
            content.set_font(FONT_RESOURCE, line.size);
            size = Some(line.size);
        }
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, line.x, line.y]);
        show(
            &mut content,
            &encode(&page.glyphs, &line.text, &page.remapper),
        );
    }
    content.end_text();
    draw_qr(&mut content, &page.qr, MARGIN, QR_BOTTOM, QR_SIZE);
    content.finish().into_vec()
}

/// `Tj` per run, condensed runs between `Tz` operators.
pub(crate) fn show(content: &mut Content, runs: &[Run]) {
    for run in runs {
        if run.condensed {
            content.set_horizontal_scaling(CONDENSED);
        }
        content.show(Str(&run.codes));
        if run.condensed {
            content.set_horizontal_scaling(100.0);
        }
    }
}

/// A thin double frame around the page.
fn draw_frame(content: &mut Content) {
    content.save_state();
    let [r, g, b] = FRAME_RGB;
    content.set_stroke_rgb(r, g, b);
    for (inset, width) in FRAME {
        content.set_line_width(width);
        content.rect(inset, inset, PAGE[0] - 2.0 * inset, PAGE[1] - 2.0 * inset);
        content.stroke();
    }
    content.restore_state();
}

/// The dark modules of `qr` as one filled path: one rectangle per horizontal run of dark
/// modules, in a module grid `size` points wide with its lower-left corner at `(x, y)`.
fn draw_qr(content: &mut Content, qr: &qrcode::QrCode, x: f32, y: f32, size: f32) {
    let module = size / qr.width() as f32;
    content.save_state();
    content.transform([module, 0.0, 0.0, -module, x, y + size]);
    for (row, column, length) in dark_runs(qr) {
        content.rect(column as f32, row as f32, length as f32, 1.0);
    }
    content.fill_nonzero();
    content.restore_state();
}

// ---------------------------------------------------------------------------------------
// The embedded font

/// The subset font program and what the PDF font dictionaries say about it.
pub(crate) struct EmbeddedFont {
    base_font: String,
    program: Vec<u8>,
    /// Advance of each CID (= glyph id in the subset), in thousandths of an em.
    widths: Vec<f32>,
    to_unicode: Vec<u8>,
    bbox: Rect,
    ascent: f32,
    descent: f32,
    cap_height: f32,
}

impl EmbeddedFont {
    /// The font of a page that sets `glyphs` of `face`, `program` being the subset
    /// [`CjkFont::subset`] made with `remapper`.
    pub(crate) fn new(
        face: &ttf_parser::Face<'_>,
        glyphs: &Glyphs,
        remapper: &subsetter::GlyphRemapper,
        program: Vec<u8>,
    ) -> Self {
        let scale = 1000.0 / f32::from(face.units_per_em());
        let widths = remapper
            .remapped_gids()
            .map(|old| {
                f32::from(
                    face.glyph_hor_advance(ttf_parser::GlyphId(old))
                        .unwrap_or(0),
                )
            })
            .map(|advance| advance * scale)
            .collect();
        let b = face.global_bounding_box();
        let ascent = f32::from(face.ascender()) * scale;
        EmbeddedFont {
            base_font: format!("{}+{}", subset_tag(&program), postscript_name(face)),
            widths,
            to_unicode: to_unicode(glyphs, remapper),
            bbox: Rect::new(
                f32::from(b.x_min) * scale,
                f32::from(b.y_min) * scale,
                f32::from(b.x_max) * scale,
                f32::from(b.y_max) * scale,
            ),
            ascent,
            descent: f32::from(face.descender()) * scale,
            cap_height: face
                .capital_height()
                .map_or(ascent, |h| f32::from(h) * scale),
            program,
        }
    }
}

/// Six capital letters derived from the subset (ISO 32000-1 clause 9.9.2).
fn subset_tag(program: &[u8]) -> String {
    Sha256::digest(program)
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// The `/ToUnicode` CMap: each subset glyph to the first character (in code point order)
/// that uses it.
fn to_unicode(glyphs: &Glyphs, remapper: &subsetter::GlyphRemapper) -> Vec<u8> {
    let info = identity_system_info();
    let mut cmap = UnicodeCmap::new(Name(b"Adobe-Identity-UCS"), info);
    let mut seen = BTreeSet::new();
    for (&c, glyph) in &glyphs.by_char {
        if let Some(cid) = remapper.get(glyph.id).filter(|&cid| seen.insert(cid)) {
            cmap.pair(cid, c);
        }
    }
    cmap.finish().into_vec()
}

fn identity_system_info() -> SystemInfo<'static> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    }
}

// ---------------------------------------------------------------------------------------
// The file

/// Object numbers of the document.
struct Ids {
    catalog: Ref,
    pages: Ref,
    page: Ref,
    content: Ref,
    type0: Ref,
    cid_font: Ref,
    descriptor: Ref,
    program: Ref,
    to_unicode: Ref,
    info: Ref,
}

impl Ids {
    fn new() -> Self {
        let mut next = Ref::new(1);
        let mut bump = || next.bump();
        Ids {
            catalog: bump(),
            pages: bump(),
            page: bump(),
            content: bump(),
            type0: bump(),
            cid_font: bump(),
            descriptor: bump(),
            program: bump(),
            to_unicode: bump(),
            info: bump(),
        }
    }
}

/// A one-page A4 PDF: the page draws `content` with `font` as [`FONT_RESOURCE`]; `title`
/// goes in the document information.
pub(crate) fn write_pdf(title: &str, content: &[u8], font: &EmbeddedFont) -> Vec<u8> {
    let ids = Ids::new();
    let mut pdf = Pdf::new();
    pdf.set_file_id(file_id(content, font));
    let mut catalog = pdf.catalog(ids.catalog);
    catalog.pages(ids.pages);
    catalog.lang(TextStr("zh-CN"));
    catalog.finish();
    pdf.document_info(ids.info).title(TextStr(title));
    pdf.pages(ids.pages).kids([ids.page]).count(1);
    let mut page = pdf.page(ids.page);
    page.media_box(Rect::new(0.0, 0.0, PAGE[0], PAGE[1]));
    page.parent(ids.pages);
    page.contents(ids.content);
    page.resources().fonts().pair(FONT_RESOURCE, ids.type0);
    page.finish();
    pdf.stream(ids.content, &deflate(content))
        .filter(Filter::FlateDecode);
    write_font(&mut pdf, &ids, font);
    pdf.finish()
}

fn write_font(pdf: &mut Pdf, ids: &Ids, font: &EmbeddedFont) {
    let base_font = Name(font.base_font.as_bytes());
    pdf.type0_font(ids.type0)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(ids.cid_font)
        .to_unicode(ids.to_unicode);
    let mut cid = pdf.cid_font(ids.cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(identity_system_info())
        .font_descriptor(ids.descriptor)
        .default_width(1000.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, font.widths.iter().copied());
    cid.finish();
    pdf.font_descriptor(ids.descriptor)
        .name(base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(font.bbox)
        .italic_angle(0.0)
        .ascent(font.ascent)
        .descent(font.descent)
        .cap_height(font.cap_height)
        .stem_v(80.0)
        .font_file2(ids.program);
    // Level 1: glyph outlines shrink little further at higher levels (2 KB on a licence)
    // for several times the time.
    let program = crate::deflate::zlib_compress(&font.program, 1);
    pdf.stream(ids.program, &program)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), font.program.len() as i32);
    pdf.stream(ids.to_unicode, &deflate(&font.to_unicode))
        .filter(Filter::FlateDecode);
}

/// `/ID`: both halves the first 16 bytes of a SHA-256 over what the page shows.
fn file_id(content: &[u8], font: &EmbeddedFont) -> (Vec<u8>, Vec<u8>) {
    let mut hash = Sha256::new();
    for part in [content, &font.program, &font.to_unicode] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    let id = hash.finalize()[..16].to_vec();
    (id.clone(), id)
}
