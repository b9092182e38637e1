//! The licence as an OFD (GB/T 33190-2016), the national file format of electronic
//! licences (GB/T 36905): the shared layout written as a one-page OFD package.
//!
//! ```text
//! OFD.xml                       DocBody: DocInfo (DocID, Title, CreationDate, Creator), DocRoot
//! Doc_0/Document.xml            CommonData (MaxUnitID, PageArea, PublicRes), Pages
//! Doc_0/PublicRes.xml           Fonts: the font, its FontFile in Res/
//! Doc_0/Res/<FontName>.ttf      the TrueType subset, with a cmap for the characters used
//! Doc_0/Pages/Page_0/Content.xml  one Layer: the frame, a TextObject per run, the QR code
//! ```
//!
//! Units are millimetres with y growing downward (clause 7.4). A `TextCode` holds the
//! characters themselves, which a reader looks up in the embedded font's `cmap`
//! (clause 11.2); ASCII set with a fullwidth glyph is a text object of its own, condensed
//! by its `CTM`. The QR code is one `PathObject` filled with a rectangle per run of dark
//! modules. `DocID` is derived from the content and `CreationDate` from the issue date, so
//! that the same input gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;
use sha2::{Digest, Sha256};

use super::layout::{
    CONDENSED, FRAME, FRAME_RGB, Glyphs, Line, MARGIN, MM, PAGE, Page, QR_BOTTOM, QR_SIZE,
    dark_runs, mm_x, mm_y_down, postscript_name,
};
use super::{CjkFont, LicenceDocument, sfnt};
use crate::error::Result;
use crate::ofd::{OfdPlacement, write_package};

/// The OFD namespace (GB/T 33190-2016 clause 7.1).
const NAMESPACE: &str = "http://www.ofdspec.org/2016";

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// The package path of the document root.
const DOC_ROOT: &str = "Doc_0/Document.xml";
/// Where the page content is, relative to the document root's folder.
const PAGE_LOC: &str = "Pages/Page_0/Content.xml";

/// The unit IDs (clause 7.5 `ST_ID`): the page, the font, the layer, then the page objects.
const PAGE_ID: u32 = 1;
const FONT_ID: u32 = 2;
const LAYER_ID: u32 = 3;
const FIRST_OBJECT_ID: u32 = 4;

/// A licence rendered as an OFD package, and where the office's seal belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedOfd {
    bytes: Vec<u8>,
    seal: [f64; 4],
}

impl RenderedOfd {
    /// The OFD package (a ZIP file).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The OFD package, taken out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Where the seal goes: on the first page, the square over the issuer name and date
    /// (`[x, y, w, h]` in mm from the top left, the PDF's square).
    pub fn seal_placement(&self) -> OfdPlacement {
        OfdPlacement::Page {
            page: 0,
            boundary: Some(self.seal),
        }
    }
}

/// Renders `doc` as a one-page A4 OFD (GB/T 33190-2016) set in `font`, laid out as
/// [`super::render_pdf`] lays out the PDF.
///
/// Errors: a character `font` has no glyph for ([`crate::Error::Invalid`] naming it), a QR
/// text that cannot be encoded, or rows that do not fit on the page.
pub fn render_ofd(doc: &LicenceDocument, font: &CjkFont) -> Result<RenderedOfd> {
    let page = Page::new(doc, font)?;
    let font_file = font_program(&page, font)?;
    let mut ids = FIRST_OBJECT_ID..;
    let content = page_content(&page, &mut ids);
    let max_unit_id = ids.start - 1;
    let document = document_xml(max_unit_id);
    let font_name = postscript_name(&page.face);
    // Named after the font: readers derived from easyofd (ofd2img) register an embedded
    // font under its file name and look it up by FontName.
    let font_path = format!("Doc_0/Res/{font_name}.ttf");
    let public_res = public_res_xml(&page, &font_name);
    let ofd = ofd_xml(doc, &[&document, &public_res, &content, &font_file]);
    let bytes = write_package(&[
        ("OFD.xml", ofd.as_bytes()),
        (DOC_ROOT, document.as_bytes()),
        ("Doc_0/PublicRes.xml", public_res.as_bytes()),
        (&font_path, &font_file),
        (&format!("Doc_0/{PAGE_LOC}"), content.as_bytes()),
    ])?;
    Ok(RenderedOfd {
        bytes,
        seal: seal_boundary(page.layout.seal_rect),
    })
}

/// The PDF's seal square in OFD page coordinates.
fn seal_boundary([x1, y1, x2, y2]: [f32; 4]) -> [f64; 4] {
    let mm = |v: f32| (f64::from(v) * 1000.0).round() / 1000.0;
    [
        mm(mm_x(x1)),
        mm(mm_y_down(y2)),
        mm((x2 - x1) / MM),
        mm((y2 - y1) / MM),
    ]
}

/// The subset with a `cmap` from each character printed to its glyph, and the original
/// `OS/2` table (metrics and embedding rights).
fn font_program(page: &Page<'_>, font: &CjkFont) -> Result<Vec<u8>> {
    let subset = font.subset(&page.remapper)?;
    let map: BTreeMap<char, u16> = page
        .glyphs
        .by_char
        .iter()
        .filter_map(|(&c, g)| Some((c, page.remapper.get(g.id)?)))
        .collect();
    let cmap = sfnt::cmap(&map)?;
    let mut extra: Vec<([u8; 4], &[u8])> = vec![(*b"cmap", &cmap)];
    if let Some(os2) = page
        .face
        .raw_face()
        .table(ttf_parser::Tag::from_bytes(b"OS/2"))
    {
        extra.push((*b"OS/2", os2));
    }
    sfnt::with_tables(&subset, &extra)
}

/// A length in millimetres as written in OFD: at most three decimals, no trailing zeros.
fn num(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// `x y w h` of a `Boundary`.
fn boundary(x: f32, y: f32, w: f32, h: f32) -> String {
    [x, y, w, h].map(num).join(" ")
}

fn ofd_xml(doc: &LicenceDocument, parts: &[&dyn AsRef<[u8]>]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        let part = part.as_ref();
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    let doc_id = hex::encode(&hash.finalize()[..16]);
    let mut info = format!("<ofd:DocID>{doc_id}</ofd:DocID>");
    if !doc.title.is_empty() {
        let _ = write!(
            info,
            "<ofd:Title>{}</ofd:Title>",
            escape(doc.title.as_str())
        );
    }
    if let Some(date) = creation_date(&doc.issue_date) {
        let _ = write!(info, "<ofd:CreationDate>{date}</ofd:CreationDate>");
    }
    info.push_str("<ofd:Creator>eseal</ofd:Creator>");
    format!(
        "{XML_DECLARATION}\n<ofd:OFD xmlns:ofd=\"{NAMESPACE}\" Version=\"1.0\" DocType=\"OFD\">\
         <ofd:DocBody><ofd:DocInfo>{info}</ofd:DocInfo><ofd:DocRoot>{DOC_ROOT}</ofd:DocRoot>\
         </ofd:DocBody></ofd:OFD>"
    )
}

/// The issue date as printed (2026年01月01日) as an `xs:date` (2026-01-01); none for any
/// other form.
fn creation_date(printed: &str) -> Option<String> {
    let (year, rest) = printed.trim().split_once('年')?;
    let (month, rest) = rest.split_once('月')?;
    let day = rest.strip_suffix('日')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

fn document_xml(max_unit_id: u32) -> String {
    let page_box = boundary(0.0, 0.0, mm_x(PAGE[0]), PAGE[1] / MM);
    format!(
        "{XML_DECLARATION}\n<ofd:Document xmlns:ofd=\"{NAMESPACE}\"><ofd:CommonData>\
         <ofd:MaxUnitID>{max_unit_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>{page_box}\
         </ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>\
         </ofd:CommonData><ofd:Pages><ofd:Page ID=\"{PAGE_ID}\" BaseLoc=\"{PAGE_LOC}\"/>\
         </ofd:Pages></ofd:Document>"
    )
}

fn public_res_xml(page: &Page<'_>, font_name: &str) -> String {
    let family = page
        .face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::FAMILY)
        .find_map(|n| n.to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| font_name.to_owned());
    format!(
        "{XML_DECLARATION}\n<ofd:Res xmlns:ofd=\"{NAMESPACE}\" BaseLoc=\"Res\"><ofd:Fonts>\
         <ofd:Font ID=\"{FONT_ID}\" FontName=\"{}\" FamilyName=\"{}\">\
         <ofd:FontFile>{font_name}.ttf</ofd:FontFile></ofd:Font></ofd:Fonts></ofd:Res>",
        escape(font_name),
        escape(family.as_str()),
    )
}

/// The page: the frame, the text and the QR code, each object numbered from `ids`.
fn page_content(page: &Page<'_>, ids: &mut std::ops::RangeFrom<u32>) -> String {
    let mut layer = String::new();
    frame(&mut layer, ids);
    for line in page.layout.lines.iter().filter(|l| !l.text.is_empty()) {
        text_objects(&mut layer, line, &page.glyphs, ids);
    }
    qr_object(&mut layer, &page.qr, ids);
    format!(
        "{XML_DECLARATION}\n<ofd:Page xmlns:ofd=\"{NAMESPACE}\"><ofd:Content>\
         <ofd:Layer ID=\"{LAYER_ID}\">{layer}</ofd:Layer></ofd:Content></ofd:Page>"
    )
}

fn next_id(ids: &mut std::ops::RangeFrom<u32>) -> u32 {
    ids.next().unwrap_or(u32::MAX)
}

/// The double frame: a stroked rectangle per line, coordinates on the page.
fn frame(out: &mut String, ids: &mut std::ops::RangeFrom<u32>) {
    let colour = FRAME_RGB.map(|c| (c * 255.0).round().to_string()).join(" ");
    let page = boundary(0.0, 0.0, mm_x(PAGE[0]), PAGE[1] / MM);
    for (inset, width) in FRAME {
        let (x1, x2) = (num(mm_x(inset)), num(mm_x(PAGE[0] - inset)));
        let (y1, y2) = (num(mm_y_down(PAGE[1] - inset)), num(mm_y_down(inset)));
        let _ = write!(
            out,
            "<ofd:PathObject ID=\"{}\" Boundary=\"{page}\" LineWidth=\"{}\" Stroke=\"true\" \
             Fill=\"false\"><ofd:StrokeColor Value=\"{colour}\"/><ofd:AbbreviatedData>\
             M {x1} {y1} L {x2} {y1} L {x2} {y2} L {x1} {y2} C</ofd:AbbreviatedData>\
             </ofd:PathObject>",
            next_id(ids),
            num(width / MM),
        );
    }
}

/// One `TextObject` per run of one horizontal scaling: its `Boundary` the run's box from
/// one em above the baseline to 0.3 em below, the `TextCode` on the baseline with a
/// `DeltaX` per character after the first. A condensed run is drawn at its natural
/// advances and scaled by its `CTM`.
fn text_objects(
    out: &mut String,
    line: &Line,
    glyphs: &Glyphs,
    ids: &mut std::ops::RangeFrom<u32>,
) {
    let size = line.size / MM;
    let top = mm_y_down(line.y) - size;
    let mut x = line.x;
    let chars: Vec<char> = line.text.chars().collect();
    for run in chars.chunk_by(|a, b| condensed(glyphs, *a) == condensed(glyphs, *b)) {
        let scale = if run.first().is_some_and(|&c| condensed(glyphs, c)) {
            CONDENSED / 100.0
        } else {
            1.0
        };
        let width = run.iter().map(|&c| glyphs.advance(c)).sum::<f32>() * line.size;
        let deltas: Vec<String> = run
            .iter()
            .take(run.len().saturating_sub(1))
            .map(|&c| num(glyphs.advance(c) * size / scale))
            .collect();
        let text: String = run.iter().collect();
        if text.trim().is_empty() {
            x += width;
            continue;
        }
        let _ = write!(
            out,
            "<ofd:TextObject ID=\"{}\" Boundary=\"{}\" Font=\"{FONT_ID}\" Size=\"{}\"",
            next_id(ids),
            boundary(mm_x(x), top, width / MM + 0.1 * size, 1.3 * size),
            num(size),
        );
        if scale != 1.0 {
            let _ = write!(out, " CTM=\"{} 0 0 1 0 0\"", num(scale));
        }
        let _ = write!(out, "><ofd:TextCode X=\"0\" Y=\"{}\"", num(size));
        if !deltas.is_empty() {
            let _ = write!(out, " DeltaX=\"{}\"", deltas.join(" "));
        }
        let _ = write!(
            out,
            ">{}</ofd:TextCode></ofd:TextObject>",
            escape(text.as_str())
        );
        x += width;
    }
}

fn condensed(glyphs: &Glyphs, c: char) -> bool {
    glyphs.by_char.get(&c).is_some_and(|g| g.condensed)
}

/// The QR code as one filled path, a closed rectangle per horizontal run of dark modules,
/// in the QR code's box (rows top down, as on the page).
fn qr_object(out: &mut String, qr: &qrcode::QrCode, ids: &mut std::ops::RangeFrom<u32>) {
    let size = QR_SIZE / MM;
    let module = size / qr.width() as f32;
    let mut data = String::new();
    for (row, column, length) in dark_runs(qr) {
        let (x1, x2) = (
            num(column as f32 * module),
            num((column + length) as f32 * module),
        );
        let (y1, y2) = (num(row as f32 * module), num((row + 1) as f32 * module));
        if !data.is_empty() {
            data.push(' ');
        }
        let _ = write!(data, "M {x1} {y1} L {x2} {y1} L {x2} {y2} L {x1} {y2} C");
    }
    let _ = write!(
        out,
        "<ofd:PathObject ID=\"{}\" Boundary=\"{}\" Stroke=\"false\" Fill=\"true\">\
         <ofd:FillColor Value=\"0 0 0\"/><ofd:AbbreviatedData>{data}</ofd:AbbreviatedData>\
         </ofd:PathObject>",
        next_id(ids),
        boundary(mm_x(MARGIN), mm_y_down(QR_BOTTOM + QR_SIZE), size, size),
    );
}
