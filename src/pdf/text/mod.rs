//! Page geometry and text search on a page, for placing a seal by keyword (PDF.md §1
//! "Placement").
//!
//! [`find_keyword`] runs a small content-stream interpreter (ISO 32000-1 clauses 8.2, 9.3 and
//! 9.4) over each page and the form XObjects it paints, maps every shown glyph to Unicode
//! (`/ToUnicode`, else the simple font's encoding, else a UCS-2/UTF-16 CMap) and to a box in
//! default user space, then searches the keyword in the resulting character sequence.
//!
//! Rules:
//! - **White space.** A keyword without white space is matched against the page's characters
//!   with every white-space character left out, so `营业执照` matches `营业 执照` and text
//!   broken over two lines. A keyword with white space has each run of white space matched
//!   by one run of white-space characters or a layout gap (the next glyph not where the
//!   previous one ended, by more than 0.15 em), and is trimmed at both ends. Matching is
//!   otherwise exact (case-sensitive, no Unicode normalisation); occurrences do not overlap
//!   and are counted across pages in page order.
//! - **Encodings.** Simple fonts: 1-byte codes; widths from `/Widths` and `/FirstChar`
//!   (a code outside them takes `/MissingWidth`, default 0); with no `/Widths` at all the
//!   standard-14 metrics of Helvetica, Times and Courier (others 500). Unicode from
//!   `/ToUnicode`, else `/Encoding` `/Differences` glyph names, else ASCII as is and WinAnsi
//!   above 127. Type0 fonts: `Identity-H/V` and the `Uni*-UCS2-*`/`Uni*-UTF16-*` CMaps use
//!   2-byte codes (the latter are UTF-16BE text when there is no `/ToUnicode`); the CJK
//!   EUC/GBK/RKSJ/Big Five CMaps 1 byte below 0x81 and 2 bytes from a lead byte 0x81–0xFE;
//!   an embedded CMap stream its `codespacerange` (and `cidrange`/`cidchar` for the widths);
//!   any other CMap 1 byte. Widths from the descendant's `/W`, default `/DW` (1000).
//!   Vertical fonts (`-V`, `/WMode 1`) advance by `/DW2` (default `[880 -1000]`).
//! - **Glyph boxes.** From the origin to the advance horizontally, from 0.2 em below the
//!   baseline to 0.8 em above, through the text rendering matrix; a hit's box is the union
//!   of its glyphs' boxes (white space excluded). A glyph whose box is not finite (a
//!   degenerate matrix) counts as a gap.
//! - **Errors.** A syntax error ends that content stream (what came before counts); a
//!   content stream that cannot be decoded is skipped; a page that cannot be read is
//!   skipped. Only when no page at all could be read is the first page's error returned;
//!   otherwise a missing keyword is [`Error::KeywordNotFound`]. An empty keyword is
//!   [`Error::Invalid`].
//! - **Bounds.** Per page at most 64 MiB of decoded `/Contents`, 1,000,000 operators,
//!   256 MiB of content lexed (forms each time they are painted) and 2 Mi characters;
//!   64 nested `q`; form XObjects 8 deep, never re-entered while painted. Annotation
//!   appearances, Type 3 glyph procedures and `/ActualText` are not read.

use self::font::FontCache;
use self::matching::{Char, Pattern};
use super::document::Document;
use super::filter;
use super::object::{Dict, ObjRef, Object};
use crate::error::{Error, Result};

mod cmap;
mod encoding;
mod font;
mod interpreter;
mod lexer;
mod matching;
mod matrix;
mod metrics;

/// Most levels of the page tree searched for inherited attributes.
const MAX_INHERIT: usize = 64;
/// Most content streams in a page's `/Contents` array.
const MAX_CONTENT_STREAMS: usize = 10_000;

/// The page's visible box: its `/CropBox` (else `/MediaBox`), inherited through `/Parent`
/// (ISO 32000-1 clause 7.7.3.4), normalised so that x1 < x2 and y1 < y2.
pub fn page_box(doc: &Document<'_>, page: ObjRef, rev: usize) -> Result<[f64; 4]> {
    let found = inherited(doc, page, rev, b"CropBox")?.or(inherited(doc, page, rev, b"MediaBox")?);
    let rect = found
        .as_ref()
        .and_then(Object::as_array)
        .filter(|a| a.len() == 4)
        .and_then(|a| {
            let v: Vec<f64> = a.iter().filter_map(Object::as_number).collect();
            (v.len() == 4).then(|| {
                [
                    v[0].min(v[2]),
                    v[1].min(v[3]),
                    v[0].max(v[2]),
                    v[1].max(v[3]),
                ]
            })
        });
    Ok(rect.unwrap_or([0.0, 0.0, 612.0, 792.0]))
}

/// The value of an inheritable page attribute.
pub fn inherited(
    doc: &Document<'_>,
    page: ObjRef,
    rev: usize,
    key: &[u8],
) -> Result<Option<Object>> {
    let mut node = doc.get(page, rev)?;
    for _ in 0..MAX_INHERIT {
        let Some(d) = node.as_dict() else {
            return Ok(None);
        };
        if let Some(v) = d.get(key) {
            return doc.resolve(v, rev).map(Some);
        }
        match d.reference(b"Parent") {
            Some(parent) => node = doc.get(parent, rev)?,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Where a keyword was found.
#[derive(Clone, Debug, PartialEq)]
pub struct KeywordHit {
    /// Page index, 0-based.
    pub page: usize,
    /// The box around the keyword's glyphs in default user space `[x1, y1, x2, y2]`.
    pub rect: [f64; 4],
}

/// Finds the `occurrence`-th (0-based) occurrence of `keyword` in the pages' text, by the
/// rules in the module documentation.
pub fn find_keyword(
    doc: &Document<'_>,
    rev: usize,
    pages: &[ObjRef],
    keyword: &str,
    occurrence: usize,
) -> Result<KeywordHit> {
    let pattern = Pattern::new(keyword);
    if pattern.units.is_empty() {
        return Err(Error::Invalid(
            "the keyword to place the seal at is empty".into(),
        ));
    }
    let mut fonts = FontCache::default();
    let mut remaining = occurrence;
    let mut first_error = None;
    let mut read_any = false;
    for (index, &page) in pages.iter().enumerate() {
        let chars = match page_chars(doc, rev, page, &mut fonts) {
            Ok(chars) => chars,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        read_any = true;
        let hits = pattern.find_all(&chars);
        if let Some(rect) = hits.get(remaining) {
            return Ok(KeywordHit {
                page: index,
                rect: *rect,
            });
        }
        remaining -= hits.len();
    }
    match first_error {
        Some(e) if !read_any => Err(e),
        _ => Err(Error::KeywordNotFound {
            keyword: keyword.to_string(),
            occurrence,
        }),
    }
}

/// The characters shown on one page, in content order.
fn page_chars(
    doc: &Document<'_>,
    rev: usize,
    page: ObjRef,
    fonts: &mut FontCache,
) -> Result<Vec<Char>> {
    let page_obj = doc.get(page, rev)?;
    let page_dict = page_obj
        .as_dict()
        .ok_or_else(|| Error::malformed("PDF", format!("page {page} is not a dictionary")))?;
    let contents = match page_dict.get(b"Contents") {
        Some(c) => doc.resolve(c, rev)?,
        None => Object::Null,
    };
    let listed: Vec<&Object> = match &contents {
        Object::Array(items) => items.iter().take(MAX_CONTENT_STREAMS).collect(),
        other => vec![other],
    };
    let mut content = Vec::new();
    let mut first_error = None;
    let mut decoded_any = false;
    for item in listed {
        let decoded = doc.resolve(item, rev).and_then(|o| match o {
            Object::Stream(s) => doc.decode(&s).map(Some),
            _ => Ok(None),
        });
        match decoded {
            Ok(Some(data)) => {
                decoded_any = true;
                if content.len().saturating_add(data.len()) > filter::MAX_DECODED {
                    break;
                }
                content.extend_from_slice(&data);
                content.push(b' ');
            }
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error
        && !decoded_any
    {
        return Err(e);
    }
    let resources = match inherited(doc, page, rev, b"Resources")? {
        Some(Object::Dict(d)) => d,
        _ => Dict::default(),
    };
    Ok(interpreter::page_chars(
        doc, rev, page, fonts, &content, resources,
    ))
}
