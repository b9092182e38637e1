//! The licence document (LICENCE.md §6): the printed licence rendered as a PDF.
//!
//! [`render_pdf`] lays out a [`LicenceDocument`] (text already formatted) on one A4 page:
//! the number top right, the title centred, the label → value rows (long values wrap), the
//! QR code as vector rectangles bottom left with the 核验码 under it, the issuing office and
//! the date bottom right, and the licence identifier in small print at the bottom.
//!
//! Text is set in a [`CjkFont`] embedded as a subset (only the glyphs used) as a Type0 /
//! CIDFontType2 font with `Identity-H` encoding and a `/ToUnicode` CMap, so that text can be
//! searched and copied. A character the font has no glyph for is an error naming it, never
//! a `.notdef` box, with one exception: printable ASCII missing from a CJK-only font (Droid
//! Sans Fallback has no Latin letters or digits) is set with the font's fullwidth form
//! (U+FF01–U+FF5E) condensed to 60 % (`Tz`, so that glyph boxes stay where the glyphs
//! are drawn), and `/ToUnicode` maps that glyph back to the ASCII character, so the text
//! extracts as written (when a document uses both forms of one character, both extract as
//! ASCII). The output is deterministic: the same input and font give the same bytes
//! (no dates; the file `/ID` is a hash of the content).
//!
//! The office then seals the PDF with [`crate::pdf::seal_pdf`], the e-seal picture over the
//! issuer name and date: [`RenderedLicence::seal_placement`] gives that placement.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};
use ttf_parser::Face;

use crate::error::{Error, Result};
use crate::pdf::Placement;
use crate::pdf::filter::deflate;

/// The environment variable naming the CJK font file (TrueType, or a collection's first face).
pub const FONT_ENV: &str = "ESEAL_CJK_FONT";

/// The font used when [`FONT_ENV`] is not set: Debian's `fonts-droid-fallback`.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
/// A4 portrait, in points.
const PAGE: [f32; 2] = [595.276, 841.89];
/// Left and right margin of the text.
const MARGIN: f32 = 22.0 * MM;
/// Inset of the page frame.
const FRAME_INSET: f32 = 10.0 * MM;

const NUMBER_SIZE: f32 = 10.5;
const NUMBER_BASELINE: f32 = PAGE[1] - 20.0 * MM;
const TITLE_SIZE: f32 = 26.0;
const TITLE_BASELINE: f32 = PAGE[1] - 42.0 * MM;
const FIELD_SIZE: f32 = 12.0;
const FIELD_LEADING: f32 = 20.0;
const ROW_GAP: f32 = 5.0;
const FIELDS_TOP: f32 = PAGE[1] - 60.0 * MM;
/// The lowest a field line's descender may reach, above the QR code and the seal.
const FIELDS_BOTTOM: f32 = 76.0 * MM;

/// Width of the QR symbol (without quiet zone).
const QR_SIZE: f32 = 38.0 * MM;
const QR_BOTTOM: f32 = 30.0 * MM;
const CODE_SIZE: f32 = 9.0;
const CODE_BASELINE: f32 = 24.5 * MM;

const ISSUER_SIZE: f32 = 14.0;
const ISSUER_BASELINE: f32 = 50.0 * MM;
const DATE_SIZE: f32 = 12.0;
const DATE_BASELINE: f32 = 42.0 * MM;
/// The square the office's seal (42 mm, the usual official seal) is drawn in.
const SEAL_SIZE: f32 = 42.0 * MM;

const IDENTIFIER_SIZE: f32 = 8.0;
const IDENTIFIER_BASELINE: f32 = 18.0 * MM;
const IDENTIFIER_LEADING: f32 = 10.0;

/// The font resource name on the page.
const FONT_RESOURCE: Name<'static> = Name(b"F1");

/// Closing punctuation kept at the end of a line rather than starting the next one.
const CLOSING: &str = "，。、；：！？）》」』】〕,.;:!?)]}%";

/// What the printed licence shows, already formatted (dates as 2026年01月01日 or 长期).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenceDocument {
    /// 证照名称, e.g. 营业执照: large, centred.
    pub title: String,
    /// 证照编号, printed top right ("编号：…").
    pub number: Option<String>,
    /// Label → value rows in order (holder, codes, surface fields, validity, …); long values
    /// wrap and `\n` starts a new line.
    pub fields: Vec<(String, String)>,
    /// 颁发机构, printed bottom right above the date; the seal goes over it.
    pub issuer_name: String,
    /// The issue date, e.g. 2026年01月01日.
    pub issue_date: String,
    /// The GB/T 36904 licence identifier, small print at the bottom ("证照标识：…").
    pub identifier: String,
    /// The QR text ("ZZ1:..."), drawn as a vector QR code 38 mm wide, error correction Q.
    pub qr: String,
    /// 核验码, printed under the QR code when present.
    pub verification_code: Option<String>,
}

/// A TrueType font with CJK coverage to set the licence in (font bytes and face index).
#[derive(Clone)]
pub struct CjkFont {
    data: Vec<u8>,
    index: u32,
}

impl fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CjkFont")
            .field("bytes", &self.data.len())
            .field("index", &self.index)
            .finish()
    }
}

impl CjkFont {
    /// Takes a TrueType font (`glyf` outlines), or face `index` of a font collection.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<Self> {
        let font = CjkFont { data, index };
        let face = font.face()?;
        if face.tables().glyf.is_none() {
            return Err(Error::Invalid(
                "the CJK font has no TrueType (glyf) outlines".into(),
            ));
        }
        Ok(font)
    }

    /// Reads a TrueType font file; of a collection (`.ttc`) it takes the first face.
    /// A path that does not exist is [`Error::FontNotFound`].
    pub fn from_file(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::FontNotFound {
                path: path.to_path_buf(),
            });
        }
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(data, 0)
    }

    /// The font named by [`FONT_ENV`], else [`DEFAULT_FONT_PATH`]; neither present is
    /// [`Error::FontNotFound`].
    pub fn from_env() -> Result<Self> {
        let path = std::env::var_os(FONT_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_FONT_PATH), PathBuf::from);
        Self::from_file(&path)
    }

    fn face(&self) -> Result<Face<'_>> {
        Face::parse(&self.data, self.index).map_err(|e| Error::malformed("font", e))
    }
}

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
/// Errors: a character `font` has no glyph for ([`Error::Invalid`] naming it), a QR text
/// that cannot be encoded, or rows that do not fit on the page.
pub fn render_pdf(doc: &LicenceDocument, font: &CjkFont) -> Result<RenderedLicence> {
    let face = font.face()?;
    let glyphs = Glyphs::new(&face, &texts(doc))?;
    let qr = super::compact::qr_code(&doc.qr)?;
    let layout = layout(doc, &glyphs)?;
    let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&glyphs.ids());
    let content = page_content(&layout, &glyphs, &remapper, &qr);
    let embedded = EmbeddedFont::new(&face, font, &glyphs, &remapper)?;
    let pdf = write_pdf(&doc.title, &content, &embedded);
    Ok(RenderedLicence {
        pdf,
        seal_rect: layout.seal_rect,
    })
}

/// Every text printed, as the glyphs needed for it are looked up.
fn texts(doc: &LicenceDocument) -> Vec<String> {
    let mut texts = vec![doc.title.clone()];
    texts.extend(doc.number.as_ref().map(|n| number_text(n)));
    for (label, value) in &doc.fields {
        texts.push(label.clone());
        texts.push(value.clone());
    }
    texts.push(doc.issuer_name.clone());
    texts.push(doc.issue_date.clone());
    texts.push(identifier_text(&doc.identifier));
    texts.extend(doc.verification_code.as_ref().map(|c| code_text(c)));
    texts
}

fn number_text(number: &str) -> String {
    format!("编号：{number}")
}

fn identifier_text(identifier: &str) -> String {
    format!("证照标识：{identifier}")
}

fn code_text(code: &str) -> String {
    format!("核验码：{code}")
}

// ---------------------------------------------------------------------------------------
// Glyphs and metrics

/// Horizontal scaling (`Tz`, percent) of a fullwidth glyph standing in for ASCII.
const CONDENSED: f32 = 60.0;

/// A character's glyph in the font and how it is set.
#[derive(Clone, Copy)]
struct Glyph {
    id: u16,
    /// The advance in the layout, in ems.
    advance: f32,
    /// Set condensed: a fullwidth form standing in for ASCII.
    condensed: bool,
}

impl Glyph {
    fn new(face: &Face<'_>, id: ttf_parser::GlyphId, condensed: bool) -> Self {
        let natural =
            f32::from(face.glyph_hor_advance(id).unwrap_or(0)) / f32::from(face.units_per_em());
        let scale = if condensed { CONDENSED / 100.0 } else { 1.0 };
        Glyph {
            id: id.0,
            advance: natural * scale,
            condensed,
        }
    }
}

/// A run of 2-byte glyph codes set at one horizontal scaling.
struct Run {
    condensed: bool,
    codes: Vec<u8>,
}

/// The glyphs of every character the document prints.
struct Glyphs {
    by_char: BTreeMap<char, Glyph>,
}

impl Glyphs {
    /// Looks up each character of `texts` (line breaks aside); the first one missing from
    /// the font, in reading order, is the error.
    fn new(face: &Face<'_>, texts: &[String]) -> Result<Self> {
        let mut by_char = BTreeMap::new();
        for c in texts.iter().flat_map(|t| t.chars()).filter(|&c| c != '\n') {
            if by_char.contains_key(&c) {
                continue;
            }
            let glyph = match glyph_id(face, c) {
                Some(id) => Glyph::new(face, id, false),
                None => fullwidth(c)
                    .and_then(|f| glyph_id(face, f))
                    .map(|id| Glyph::new(face, id, true))
                    .ok_or_else(|| missing_glyph(c))?,
            };
            by_char.insert(c, glyph);
        }
        Ok(Glyphs { by_char })
    }

    fn ids(&self) -> Vec<u16> {
        self.by_char.values().map(|g| g.id).collect()
    }

    fn advance(&self, c: char) -> f32 {
        self.by_char.get(&c).map_or(0.0, |g| g.advance)
    }

    /// The width of `text` in points at `size`.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// `text` as 2-byte codes (`Identity-H`, the glyph ids in the subset), in runs of one
    /// horizontal scaling.
    fn encode(&self, text: &str, remapper: &subsetter::GlyphRemapper) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for glyph in text.chars().filter_map(|c| self.by_char.get(&c)) {
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

    /// Breaks `text` into lines at most `max` points wide at `size`: at any character
    /// boundary next to CJK text, at spaces, inside a Latin word only when it fills a line;
    /// closing punctuation stays on its line, `\n` always breaks.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        text.split('\n')
            .flat_map(|paragraph| self.wrap_paragraph(paragraph, size, max))
            .collect()
    }

    fn wrap_paragraph(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line: Vec<char> = Vec::new();
        let mut width = 0.0;
        let mut last_break = None;
        for c in text.chars() {
            let advance = self.advance(c) * size;
            if line.is_empty() && c == ' ' {
                continue;
            }
            if !line.is_empty() && width + advance > max && !CLOSING.contains(c) {
                if c == ' ' {
                    lines.push(finish_line(&line));
                    (line, width, last_break) = (Vec::new(), 0.0, None);
                    continue;
                }
                let split = match last_break {
                    Some(at)
                        if is_word_char(c) && line.last().is_some_and(|&p| is_word_char(p)) =>
                    {
                        at
                    }
                    _ => line.len(),
                };
                let rest = line.split_off(split);
                lines.push(finish_line(&line));
                line = rest.into_iter().skip_while(|&r| r == ' ').collect();
                width = line.iter().map(|&r| self.advance(r) * size).sum();
                last_break = None;
            }
            if line.last().is_some_and(|&p| can_break_between(p, c)) {
                last_break = Some(line.len());
            }
            line.push(c);
            width += advance;
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(finish_line(&line));
        }
        lines
    }
}

fn glyph_id(face: &Face<'_>, c: char) -> Option<ttf_parser::GlyphId> {
    face.glyph_index(c).filter(|g| g.0 != 0)
}

/// The fullwidth form (U+3000, U+FF01–U+FF5E) of a printable ASCII character.
fn fullwidth(c: char) -> Option<char> {
    match c {
        ' ' => Some('\u{3000}'),
        '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0),
        _ => None,
    }
}

fn missing_glyph(c: char) -> Error {
    Error::Invalid(format!(
        "the CJK font has no glyph for {c:?} (U+{:04X})",
        u32::from(c)
    ))
}

fn finish_line(line: &[char]) -> String {
    line.iter().collect::<String>().trim_end().to_owned()
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./:@%+*$#&".contains(c)
}

fn can_break_between(before: char, after: char) -> bool {
    before == ' ' || !(is_word_char(before) && is_word_char(after))
}

// ---------------------------------------------------------------------------------------
// Layout

/// One line of text placed on the page.
struct Line {
    x: f32,
    y: f32,
    size: f32,
    text: String,
}

/// Where everything goes.
struct Layout {
    lines: Vec<Line>,
    seal_rect: [f32; 4],
}

fn layout(doc: &LicenceDocument, glyphs: &Glyphs) -> Result<Layout> {
    let mut lines = Vec::new();
    if let Some(number) = &doc.number {
        let text = number_text(number);
        let x = PAGE[0] - MARGIN - glyphs.width(&text, NUMBER_SIZE);
        lines.push(line(x, NUMBER_BASELINE, NUMBER_SIZE, text));
    }
    lines.push(title_line(&doc.title, glyphs));
    field_lines(&doc.fields, glyphs, &mut lines)?;
    code_lines(doc.verification_code.as_deref(), glyphs, &mut lines);
    identifier_lines(&doc.identifier, glyphs, &mut lines);
    let seal_rect = issuer_lines(doc, glyphs, &mut lines);
    Ok(Layout { lines, seal_rect })
}

fn line(x: f32, y: f32, size: f32, text: String) -> Line {
    Line { x, y, size, text }
}

fn content_width() -> f32 {
    PAGE[0] - 2.0 * MARGIN
}

/// The title centred, made smaller when it would not fit the width.
fn title_line(title: &str, glyphs: &Glyphs) -> Line {
    let em = glyphs.width(title, 1.0);
    let size = if em * TITLE_SIZE > content_width() {
        content_width() / em
    } else {
        TITLE_SIZE
    };
    let x = (PAGE[0] - em * size) / 2.0;
    line(x, TITLE_BASELINE, size, title.to_owned())
}

/// The rows: labels in a column as wide as the widest label plus one em (at most 30 % of
/// the width), values wrapped in the rest.
fn field_lines(fields: &[(String, String)], glyphs: &Glyphs, out: &mut Vec<Line>) -> Result<()> {
    let widest = fields
        .iter()
        .map(|(label, _)| glyphs.width(label, FIELD_SIZE))
        .fold(0.0, f32::max);
    let label_width = (widest + FIELD_SIZE).min(0.3 * content_width());
    let value_x = MARGIN + label_width;
    let value_width = content_width() - label_width;
    let mut y = FIELDS_TOP;
    for (label, value) in fields {
        let labels = glyphs.wrap(label, FIELD_SIZE, label_width - FIELD_SIZE);
        let values = glyphs.wrap(value, FIELD_SIZE, value_width);
        let rows = labels.len().max(values.len());
        let bottom = y - (rows - 1) as f32 * FIELD_LEADING - 0.25 * FIELD_SIZE;
        if bottom < FIELDS_BOTTOM {
            return Err(Error::Invalid(format!(
                "the licence does not fit on one page (row {label:?} runs into the QR code and seal)"
            )));
        }
        for (i, text) in labels.into_iter().enumerate() {
            out.push(line(MARGIN, y - i as f32 * FIELD_LEADING, FIELD_SIZE, text));
        }
        for (i, text) in values.into_iter().enumerate() {
            out.push(line(
                value_x,
                y - i as f32 * FIELD_LEADING,
                FIELD_SIZE,
                text,
            ));
        }
        y -= rows as f32 * FIELD_LEADING + ROW_GAP;
    }
    Ok(())
}

/// The 核验码 centred under the QR code.
fn code_lines(code: Option<&str>, glyphs: &Glyphs, out: &mut Vec<Line>) {
    if let Some(code) = code {
        let text = code_text(code);
        let x = MARGIN + (QR_SIZE - glyphs.width(&text, CODE_SIZE)) / 2.0;
        out.push(line(x.max(MARGIN), CODE_BASELINE, CODE_SIZE, text));
    }
}

fn identifier_lines(identifier: &str, glyphs: &Glyphs, out: &mut Vec<Line>) {
    let text = identifier_text(identifier);
    for (i, text) in glyphs
        .wrap(&text, IDENTIFIER_SIZE, content_width())
        .into_iter()
        .enumerate()
    {
        let y = IDENTIFIER_BASELINE - i as f32 * IDENTIFIER_LEADING;
        out.push(line(MARGIN, y, IDENTIFIER_SIZE, text));
    }
}

/// The issuer name over the date, both centred on one axis near the right margin; returns
/// the seal's square, centred on the pair.
fn issuer_lines(doc: &LicenceDocument, glyphs: &Glyphs, out: &mut Vec<Line>) -> [f32; 4] {
    let max = content_width() - QR_SIZE - 10.0 * MM;
    let issuer = glyphs.wrap(&doc.issuer_name, ISSUER_SIZE, max);
    let widest = issuer
        .iter()
        .map(|l| glyphs.width(l, ISSUER_SIZE))
        .fold(glyphs.width(&doc.issue_date, DATE_SIZE), f32::max);
    let axis = PAGE[0] - MARGIN - widest.max(SEAL_SIZE) / 2.0;
    let above = issuer.len().saturating_sub(1) as f32 * (ISSUER_SIZE + 4.0);
    for (i, text) in issuer.into_iter().enumerate() {
        let y = ISSUER_BASELINE + above - i as f32 * (ISSUER_SIZE + 4.0);
        let x = axis - glyphs.width(&text, ISSUER_SIZE) / 2.0;
        out.push(line(x, y, ISSUER_SIZE, text));
    }
    let x = axis - glyphs.width(&doc.issue_date, DATE_SIZE) / 2.0;
    out.push(line(x, DATE_BASELINE, DATE_SIZE, doc.issue_date.clone()));
    let centre_y = (ISSUER_BASELINE + DATE_BASELINE + 0.35 * ISSUER_SIZE) / 2.0;
    let half = SEAL_SIZE / 2.0;
    [axis - half, centre_y - half, axis + half, centre_y + half]
}

// ---------------------------------------------------------------------------------------
// Drawing

fn page_content(
    layout: &Layout,
    glyphs: &Glyphs,
    remapper: &subsetter::GlyphRemapper,
    qr: &qrcode::QrCode,
) -> Vec<u8> {
    let mut content = Content::new();
    draw_frame(&mut content);
    content.set_fill_gray(0.0);
    content.begin_text();
    let mut size = None;
    for line in layout.lines.iter().filter(|l| !l.text.is_empty()) {
        if size != Some(line.size) {
            content.set_font(FONT_RESOURCE, line.size);
            size = Some(line.size);
        }
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, line.x, line.y]);
        show(&mut content, &glyphs.encode(&line.text, remapper));
    }
    content.end_text();
    draw_qr(&mut content, qr, MARGIN, QR_BOTTOM, QR_SIZE);
    content.finish().into_vec()
}

/// `Tj` per run, condensed runs between `Tz` operators.
fn show(content: &mut Content, runs: &[Run]) {
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
    content.set_stroke_rgb(0.55, 0.1, 0.1);
    for (inset, width) in [(FRAME_INSET, 1.5), (FRAME_INSET + 1.5 * MM, 0.5)] {
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

/// `(row, first column, length)` of each horizontal run of dark modules, rows top down.
fn dark_runs(qr: &qrcode::QrCode) -> Vec<(usize, usize, usize)> {
    let n = qr.width();
    let mut runs = Vec::new();
    for row in 0..n {
        let mut column = 0;
        while column < n {
            let start = column;
            while column < n && qr[(column, row)] == qrcode::Color::Dark {
                column += 1;
            }
            if column > start {
                runs.push((row, start, column - start));
            }
            column += 1;
        }
    }
    runs
}

// ---------------------------------------------------------------------------------------
// The embedded font

/// The subset font program and what the PDF font dictionaries say about it.
struct EmbeddedFont {
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
    fn new(
        face: &Face<'_>,
        font: &CjkFont,
        glyphs: &Glyphs,
        remapper: &subsetter::GlyphRemapper,
    ) -> Result<Self> {
        let program = subsetter::subset(&font.data, font.index, remapper)
            .map_err(|e| Error::malformed("font", format!("subsetting failed: {e}")))?;
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
        Ok(EmbeddedFont {
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
        })
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

/// The font's PostScript name, reduced to characters safe in a PDF name.
fn postscript_name(face: &Face<'_>) -> String {
    let name: String = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if name.is_empty() {
        "CJKFont".to_owned()
    } else {
        name
    }
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

fn write_pdf(title: &str, content: &[u8], font: &EmbeddedFont) -> Vec<u8> {
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
    let program = miniz_oxide::deflate::compress_to_vec_zlib(&font.program, 1);
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
