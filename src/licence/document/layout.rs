//! The page layout shared by the PDF and the OFD rendering: where each line of text goes,
//! the glyphs it is set in, the QR code's modules and the seal's square.
//!
//! Positions are in PDF points with the origin at the bottom left (ISO 32000-1 default user
//! space); [`mm_x`] and [`mm_y_down`] give the OFD's millimetres with y growing downward
//! (GB/T 33190 clause 7.4).

use std::collections::BTreeMap;

use ttf_parser::Face;

use super::{CjkFont, LicenceDocument};
use crate::error::{Error, Result};

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;
/// A4 portrait, in points.
pub(crate) const PAGE: [f32; 2] = [595.276, 841.89];
/// Left and right margin of the text.
pub(super) const MARGIN: f32 = 22.0 * MM;
/// Inset of the page frame.
const FRAME_INSET: f32 = 10.0 * MM;
/// The page frame: two rectangles, each its inset from the page edge and its line width.
pub(super) const FRAME: [(f32, f32); 2] = [(FRAME_INSET, 1.5), (FRAME_INSET + 1.5 * MM, 0.5)];
/// The frame's colour, RGB from 0 to 1.
pub(super) const FRAME_RGB: [f32; 3] = [0.55, 0.1, 0.1];

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
pub(super) const QR_SIZE: f32 = 38.0 * MM;
pub(super) const QR_BOTTOM: f32 = 30.0 * MM;
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

/// Closing punctuation kept at the end of a line rather than starting the next one.
const CLOSING: &str = "，。、；：！？）》」』】〕,.;:!?)]}%";

/// Everything both renderings draw: the font face, the glyphs, the layout, the QR code and
/// the glyph remapping of the font subset.
pub(super) struct Page<'a> {
    pub(super) face: Face<'a>,
    pub(super) glyphs: Glyphs,
    pub(super) layout: Layout,
    pub(super) qr: qrcode::QrCode,
    pub(super) remapper: subsetter::GlyphRemapper,
}

impl<'a> Page<'a> {
    /// Lays out `doc` in `font`.
    ///
    /// Errors: a character `font` has no glyph for ([`Error::Invalid`] naming it), a QR
    /// text that cannot be encoded, or rows that do not fit on the page.
    pub(super) fn new(doc: &LicenceDocument, font: &'a CjkFont) -> Result<Self> {
        let face = font.face()?;
        let glyphs = Glyphs::new(&face, &texts(doc))?;
        let qr = crate::licence::compact::qr_code(&doc.qr)?;
        let layout = layout(doc, &glyphs)?;
        let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&glyphs.ids());
        Ok(Page {
            face,
            glyphs,
            layout,
            qr,
            remapper,
        })
    }
}

/// A horizontal position in points as millimetres from the left edge.
pub(super) fn mm_x(x: f32) -> f32 {
    x / MM
}

/// A vertical position in points from the bottom edge as millimetres from the top edge.
pub(super) fn mm_y_down(y: f32) -> f32 {
    (PAGE[1] - y) / MM
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
pub(super) const CONDENSED: f32 = 60.0;

/// A character's glyph in the font and how it is set.
#[derive(Clone, Copy)]
pub(super) struct Glyph {
    /// The glyph id in the font (before subsetting).
    pub(super) id: u16,
    /// The advance in the layout, in ems.
    pub(super) advance: f32,
    /// Set condensed: a fullwidth form standing in for ASCII.
    pub(super) condensed: bool,
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

/// The glyphs of every character the document prints.
pub(crate) struct Glyphs {
    pub(super) by_char: BTreeMap<char, Glyph>,
}

impl Glyphs {
    /// Looks up each character of `texts` (line breaks aside); the first one missing from
    /// the font, in reading order, is the error.
    pub(crate) fn new(face: &Face<'_>, texts: &[String]) -> Result<Self> {
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

    pub(crate) fn ids(&self) -> Vec<u16> {
        self.by_char.values().map(|g| g.id).collect()
    }

    pub(super) fn advance(&self, c: char) -> f32 {
        self.by_char.get(&c).map_or(0.0, |g| g.advance)
    }

    /// The width of `text` in points at `size`.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// Breaks `text` into lines at most `max` points wide at `size`: at any character
    /// boundary next to CJK text, at spaces, inside a Latin word only when it fills a line;
    /// closing punctuation stays on its line, `\n` always breaks.
    pub(crate) fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
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

/// Whether `face` sets `c`: with its own glyph, or with the fullwidth form of printable
/// ASCII as [`Glyphs::new`] does.
pub(crate) fn can_set(face: &Face<'_>, c: char) -> bool {
    glyph_id(face, c).is_some() || fullwidth(c).and_then(|f| glyph_id(face, f)).is_some()
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
pub(super) struct Line {
    /// The start of the baseline, in points from the left edge.
    pub(super) x: f32,
    /// The baseline, in points from the bottom edge.
    pub(super) y: f32,
    /// The font size, in points.
    pub(super) size: f32,
    pub(super) text: String,
}

/// Where everything goes.
pub(super) struct Layout {
    pub(super) lines: Vec<Line>,
    /// `[x1, y1, x2, y2]` in points, origin bottom left.
    pub(super) seal_rect: [f32; 4],
}

pub(super) fn layout(doc: &LicenceDocument, glyphs: &Glyphs) -> Result<Layout> {
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
// The QR code and the font's name

/// `(row, first column, length)` of each horizontal run of dark modules, rows top down.
pub(super) fn dark_runs(qr: &qrcode::QrCode) -> Vec<(usize, usize, usize)> {
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

/// The font's PostScript name, reduced to characters safe in a PDF name.
pub(super) fn postscript_name(face: &Face<'_>) -> String {
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
