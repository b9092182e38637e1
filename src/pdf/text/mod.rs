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

use std::collections::HashMap;
use std::rc::Rc;

use super::document::Document;
use super::filter;
use super::object::{Dict, ObjRef, Object};
use super::parser::{Parser, is_delimiter, is_whitespace};
use crate::error::{Error, Result};

/// Most levels of the page tree searched for inherited attributes.
const MAX_INHERIT: usize = 64;
/// Most operators interpreted per page (forms included).
const MAX_OPS: usize = 1_000_000;
/// Most content bytes lexed per page (forms included, each time they are painted).
const MAX_BYTES: usize = 256 << 20;
/// Most characters collected per page.
const MAX_CHARS: usize = 2 << 20;
/// Deepest `q` nesting kept; deeper saves are counted but not stored.
const MAX_SAVES: usize = 64;
/// Deepest nesting of form XObjects.
const MAX_FORM_DEPTH: usize = 8;
/// Most operands kept before an operator.
const MAX_OPERANDS: usize = 4096;
/// Most mappings read from one CMap.
const MAX_CMAP_ENTRIES: usize = 1 << 17;
/// Most content streams in a page's `/Contents` array.
const MAX_CONTENT_STREAMS: usize = 10_000;
/// A layout gap larger than this (in em) between glyphs counts as white space.
const GAP_EM: f64 = 0.15;

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
    let mut interp = Interpreter {
        doc,
        rev,
        fonts,
        forms: HashMap::new(),
        active: Vec::new(),
        ops: 0,
        bytes: 0,
        chars: Vec::new(),
        last: None,
        default_font: Rc::new(Font::fallback()),
    };
    let scope = Scope {
        resources: Rc::new(resources),
        key: page,
    };
    interp.run(&content, &scope, GState::default(), 0);
    Ok(interp.chars)
}

// ---------------------------------------------------------------------------------------
// Matching

/// One character of page text.
#[derive(Clone, Debug)]
struct Char {
    ch: char,
    /// Its glyph's box; `None` for a gap inferred from the layout.
    rect: Option<[f64; 4]>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Char(char),
    Space,
}

/// A keyword prepared for matching.
struct Pattern {
    units: Vec<Unit>,
    /// Whether the keyword has white space (then white space in the text matters).
    spaced: bool,
}

impl Pattern {
    fn new(keyword: &str) -> Self {
        let trimmed = keyword.trim();
        let spaced = trimmed.chars().any(char::is_whitespace);
        let mut units = Vec::new();
        for ch in trimmed.chars() {
            if ch.is_whitespace() {
                if units.last() != Some(&Unit::Space) {
                    units.push(Unit::Space);
                }
            } else {
                units.push(Unit::Char(ch));
            }
        }
        Pattern { units, spaced }
    }

    /// The boxes of every non-overlapping occurrence in `chars`.
    fn find_all(&self, chars: &[Char]) -> Vec<[f64; 4]> {
        // The text as units, each with the box it contributes.
        let mut text: Vec<(Unit, Option<[f64; 4]>)> = Vec::with_capacity(chars.len());
        for c in chars {
            let blank = c.rect.is_none() || c.ch.is_whitespace();
            if !blank {
                text.push((Unit::Char(c.ch), c.rect));
            } else if self.spaced && text.last().is_some_and(|(u, _)| *u != Unit::Space) {
                text.push((Unit::Space, None));
            }
        }
        let m = self.units.len();
        let mut hits = Vec::new();
        let mut i = 0;
        while i + m <= text.len() {
            let window = &text[i..i + m];
            if window.iter().zip(&self.units).all(|((u, _), p)| u == p) {
                let rect = window.iter().filter_map(|(_, r)| *r).reduce(|a, b| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                });
                if let Some(rect) = rect {
                    hits.push(rect);
                }
                i += m;
            } else {
                i += 1;
            }
        }
        hits
    }
}

// ---------------------------------------------------------------------------------------
// Geometry

/// A transformation matrix `[a b c d e f]` (ISO 32000-1 clause 8.3.4).
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n`: first `m`, then `n`.
fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn translate(tx: f64, ty: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

fn matrix_of(items: &[Object]) -> Option<Matrix> {
    let v: Vec<f64> = items.iter().filter_map(Object::as_number).collect();
    let m: Matrix = v.try_into().ok()?;
    m.iter().all(|x| x.is_finite()).then_some(m)
}

// ---------------------------------------------------------------------------------------
// Lexing content streams and CMaps

/// A token of a content stream.
enum Token<'a> {
    Operand(Object),
    Operator(&'a [u8]),
}

/// Splits content into operands (read by [`Parser::value`]) and operator keywords.
struct Lexer<'a> {
    data: &'a [u8],
    parser: Parser<'a>,
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8]) -> Self {
        Lexer {
            data,
            parser: Parser::new(data, 0),
        }
    }

    /// The next token; `None` at the end or at a syntax error.
    fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            self.parser.skip_whitespace();
            let start = self.parser.pos;
            let &b = self.data.get(start)?;
            if matches!(
                b,
                b'/' | b'(' | b'<' | b'[' | b'+' | b'-' | b'.' | b'0'..=b'9'
            ) {
                return match self.parser.value(0) {
                    Ok(v) => Some(Token::Operand(v)),
                    Err(_) if matches!(b, b'+' | b'-' | b'.' | b'0'..=b'9') => {
                        // A malformed number: skip it.
                        self.parser.pos = start;
                        self.regular();
                        continue;
                    }
                    Err(_) => None,
                };
            }
            if is_delimiter(b) {
                // A stray `)`, `>`, `]`, `{` or `}`.
                self.parser.pos = start + 1;
                continue;
            }
            let token = self.regular();
            return Some(match token {
                b"true" => Token::Operand(Object::Bool(true)),
                b"false" => Token::Operand(Object::Bool(false)),
                b"null" => Token::Operand(Object::Null),
                _ => Token::Operator(token),
            });
        }
    }

    /// Reads a run of regular characters (at least one byte, so that lexing progresses).
    fn regular(&mut self) -> &'a [u8] {
        let start = self.parser.pos;
        let mut end = start + 1;
        while let Some(&b) = self.data.get(end) {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            end += 1;
        }
        let end = end.min(self.data.len());
        self.parser.pos = end;
        self.data.get(start..end).unwrap_or_default()
    }

    /// Skips an inline image after `BI` (ISO 32000-1 clause 8.9.7): its dictionary, `ID`,
    /// the data and `EI`. Returns false when the image does not end.
    fn skip_inline_image(&mut self) -> bool {
        let mut dict = Vec::new();
        loop {
            match self.next_token() {
                None => return false,
                Some(Token::Operator(b"ID")) => break,
                Some(Token::Operator(_)) => {}
                Some(Token::Operand(o)) => {
                    if dict.len() < 64 {
                        dict.push(o);
                    }
                }
            }
        }
        // One white-space byte separates `ID` from the data.
        let mut start = self.parser.pos;
        if self.data.get(start).is_some_and(|b| is_whitespace(*b)) {
            start += 1;
        }
        let ends_at = |at: usize| -> Option<usize> {
            let rest = self.data.get(at..)?;
            let skipped = rest.iter().take_while(|b| is_whitespace(**b)).count();
            let after = rest.get(skipped + 2).copied();
            (rest[skipped..].starts_with(b"EI")
                && after.is_none_or(|c| is_whitespace(c) || is_delimiter(c)))
            .then_some(at + skipped + 2)
        };
        if let Some(len) = inline_image_length(&dict)
            && let Some(end) = start.checked_add(len).and_then(ends_at)
        {
            self.parser.pos = end;
            return true;
        }
        let data = self.data.get(start..).unwrap_or_default();
        for at in memchr::memmem::find_iter(data, b"EI") {
            let before_ok = at == 0 || is_whitespace(data[at - 1]);
            let after = data.get(at + 2).copied();
            if before_ok && after.is_none_or(|c| is_whitespace(c) || is_delimiter(c)) {
                self.parser.pos = start + at + 2;
                return true;
            }
        }
        false
    }
}

/// The data length of an inline image, when its dictionary tells it: `/L` (PDF 2.0), or
/// the size of unfiltered samples.
fn inline_image_length(entries: &[Object]) -> Option<usize> {
    let get = |keys: &[&[u8]]| {
        entries
            .chunks_exact(2)
            .find(|kv| matches!(&kv[0], Object::Name(n) if keys.contains(&n.as_slice())))
            .map(|kv| &kv[1])
    };
    let int = |keys: &[&[u8]]| {
        get(keys)
            .and_then(Object::as_number)
            .filter(|n| *n >= 0.0 && *n < 1e9)
    };
    if let Some(l) = int(&[b"L", b"Length"]) {
        return Some(l as usize);
    }
    if get(&[b"F", b"Filter"]).is_some() {
        return None;
    }
    let width = int(&[b"W", b"Width"])? as usize;
    let height = int(&[b"H", b"Height"])? as usize;
    let mask = matches!(get(&[b"IM", b"ImageMask"]), Some(Object::Bool(true)));
    let bits = if mask {
        1
    } else {
        int(&[b"BPC", b"BitsPerComponent"])? as usize
    };
    let colours = if mask {
        1
    } else {
        match get(&[b"CS", b"ColorSpace"]) {
            Some(Object::Name(n)) => match n.as_slice() {
                b"G" | b"DeviceGray" | b"CalGray" => 1,
                b"RGB" | b"DeviceRGB" | b"CalRGB" => 3,
                b"CMYK" | b"DeviceCMYK" => 4,
                _ => return None,
            },
            Some(Object::Array(a)) if matches!(a.first(), Some(Object::Name(n)) if n == b"I" || n == b"Indexed") => {
                1
            }
            _ => return None,
        }
    };
    width
        .checked_mul(colours)?
        .checked_mul(bits)?
        .div_ceil(8)
        .checked_mul(height)
}

// ---------------------------------------------------------------------------------------
// CMaps

/// What a CMap (ISO 32000-1 clause 9.7.5, 9.10.3) maps.
#[derive(Debug, Default)]
struct CMap {
    /// Code space ranges: low and high bytes, of equal length.
    codespace: Vec<(Vec<u8>, Vec<u8>)>,
    /// `bfchar`/`bfrange`: code to Unicode text.
    unicode: HashMap<u32, String>,
    /// `cidchar`/`cidrange`: `(low, high, first CID)`, sorted.
    cids: Vec<(u32, u32, u32)>,
    /// `/WMode`.
    wmode: Option<i64>,
}

fn code_of(bytes: &[u8]) -> Option<u32> {
    (!bytes.is_empty() && bytes.len() <= 4)
        .then(|| bytes.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)))
}

/// UTF-16BE text (a lone byte read as one code unit).
fn utf16be(bytes: &[u8]) -> String {
    String::from_utf16_lossy(&utf16_units(bytes))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    if bytes.len() == 1 {
        return vec![u16::from(bytes[0])];
    }
    bytes
        .chunks(2)
        .map(|c| match c {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from(*a),
            _ => 0,
        })
        .collect()
}

fn string_bytes(o: &Object) -> Option<&[u8]> {
    match o {
        Object::String { bytes, .. } => Some(bytes),
        _ => None,
    }
}

impl CMap {
    /// Reads the mappings of a CMap stream's decoded data; unreadable parts are skipped.
    fn parse(data: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut lexer = Lexer::new(data);
        let mut operands: Vec<Object> = Vec::new();
        let mut entries = 0usize;
        while let Some(token) = lexer.next_token() {
            let op = match token {
                Token::Operand(o) => {
                    if operands.len() < 3 * MAX_CMAP_ENTRIES {
                        operands.push(o);
                    }
                    continue;
                }
                Token::Operator(op) => op,
            };
            match op {
                b"endcodespacerange" => {
                    for pair in operands.chunks_exact(2) {
                        if let (Some(lo), Some(hi)) =
                            (string_bytes(&pair[0]), string_bytes(&pair[1]))
                            && lo.len() == hi.len()
                            && (1..=4).contains(&lo.len())
                            && cmap.codespace.len() < 1024
                        {
                            cmap.codespace.push((lo.to_vec(), hi.to_vec()));
                        }
                    }
                }
                b"endbfchar" => {
                    for pair in operands.chunks_exact(2) {
                        let Some(code) = string_bytes(&pair[0]).and_then(code_of) else {
                            continue;
                        };
                        let text = match &pair[1] {
                            Object::String { bytes, .. } => utf16be(bytes),
                            Object::Name(n) => glyph_name_text(n).unwrap_or_default(),
                            _ => continue,
                        };
                        if entries < MAX_CMAP_ENTRIES {
                            entries += 1;
                            cmap.unicode.insert(code, text);
                        }
                    }
                }
                b"endbfrange" => {
                    for triple in operands.chunks_exact(3) {
                        let (Some(lo), Some(hi)) = (
                            string_bytes(&triple[0]).and_then(code_of),
                            string_bytes(&triple[1]).and_then(code_of),
                        ) else {
                            continue;
                        };
                        if hi < lo {
                            continue;
                        }
                        let count = (hi - lo).saturating_add(1) as usize;
                        let count = count.min(MAX_CMAP_ENTRIES.saturating_sub(entries));
                        entries += count;
                        match &triple[2] {
                            Object::String { bytes, .. } => {
                                let base = utf16_units(bytes);
                                for i in 0..count {
                                    let mut units = base.clone();
                                    if let Some(last) = units.last_mut() {
                                        *last = last.wrapping_add(i as u16);
                                    }
                                    cmap.unicode
                                        .insert(lo + i as u32, String::from_utf16_lossy(&units));
                                }
                            }
                            Object::Array(items) => {
                                for (i, item) in items.iter().take(count).enumerate() {
                                    if let Some(bytes) = string_bytes(item) {
                                        cmap.unicode.insert(lo + i as u32, utf16be(bytes));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                b"endcidrange" | b"endcidchar" => {
                    let n = if op == b"endcidrange" { 3 } else { 2 };
                    for group in operands.chunks_exact(n) {
                        let lo = string_bytes(&group[0]).and_then(code_of);
                        let hi = string_bytes(&group[n - 2]).and_then(code_of);
                        let cid = group[n - 1]
                            .as_number()
                            .filter(|c| (0.0..=65535.0).contains(c));
                        if let (Some(lo), Some(hi), Some(cid)) = (lo, hi, cid)
                            && lo <= hi
                            && entries < MAX_CMAP_ENTRIES
                        {
                            entries += 1;
                            cmap.cids.push((lo, hi, cid as u32));
                        }
                    }
                }
                b"def" => {
                    if let [.., Object::Name(key), Object::Int(mode)] = operands.as_slice()
                        && key == b"WMode"
                    {
                        cmap.wmode = Some(*mode);
                    }
                }
                _ => {}
            }
            operands.clear();
        }
        cmap.cids.sort_unstable();
        cmap
    }

    /// The CID of `code`, by `cidchar`/`cidrange`.
    fn cid(&self, code: u32) -> Option<u32> {
        let i = self.cids.partition_point(|r| r.0 <= code);
        let &(lo, hi, first) = self.cids.get(i.checked_sub(1)?)?;
        (code <= hi).then(|| first.saturating_add(code - lo))
    }
}

// ---------------------------------------------------------------------------------------
// Fonts

/// How a font's strings split into codes.
#[derive(Debug)]
enum Codes {
    One,
    Two,
    /// 2-byte units, a surrogate pair taken together as one 4-byte code.
    Utf16,
    /// 1 byte below 0x81, else 2.
    Lead,
    /// An embedded CMap's code space.
    Ranges(Vec<(Vec<u8>, Vec<u8>)>),
}

/// Where a font's Unicode text comes from when `/ToUnicode` does not say.
#[derive(Debug)]
enum Fallback {
    /// A 256-entry table from the simple font's encoding.
    Table(Vec<String>),
    /// Codes are UTF-16BE.
    Utf16,
    None,
}

/// What the text search needs of a font.
#[derive(Debug)]
struct Font {
    codes: Codes,
    /// Widths by code (simple fonts) or CID (Type0): sorted `(low, high, width)`, glyph units.
    widths: Vec<(u32, u32, f64)>,
    default_width: f64,
    /// Glyph units to text space (1/1000, or a Type 3 font's `/FontMatrix`).
    scale: f64,
    to_unicode: Option<Rc<CMap>>,
    fallback: Fallback,
    /// An embedded encoding CMap (code to CID); else CID = code for `Identity`, none otherwise.
    cid_map: Option<Rc<CMap>>,
    identity: bool,
    composite: bool,
    /// Vertical writing: `(vy, w1y)` of `/DW2`.
    vertical: Option<(f64, f64)>,
}

impl Font {
    /// The font used when a font cannot be read: 1-byte codes, ASCII, 500 units wide.
    fn fallback() -> Font {
        Font {
            codes: Codes::One,
            widths: Vec::new(),
            default_width: 500.0,
            scale: 0.001,
            to_unicode: None,
            fallback: Fallback::Table(standard_table()),
            cid_map: None,
            identity: false,
            composite: false,
            vertical: None,
        }
    }

    /// The codes of a shown string with their lengths in bytes.
    fn split(&self, bytes: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let n = match &self.codes {
                Codes::One => 1,
                Codes::Two => 2,
                Codes::Lead => {
                    if rest[0] >= 0x81 && rest[0] != 0xff {
                        2
                    } else {
                        1
                    }
                }
                Codes::Utf16 => {
                    let unit =
                        |k: usize| rest.get(k..k + 2).map(|u| u16::from_be_bytes([u[0], u[1]]));
                    match (unit(0), unit(2)) {
                        (Some(0xd800..=0xdbff), Some(0xdc00..=0xdfff)) => 4,
                        _ => 2,
                    }
                }
                Codes::Ranges(ranges) => (1..=4)
                    .find(|&n| {
                        rest.get(..n).is_some_and(|code| {
                            ranges.iter().any(|(lo, hi)| {
                                lo.len() == n
                                    && code
                                        .iter()
                                        .zip(lo.iter().zip(hi))
                                        .all(|(c, (l, h))| l <= c && c <= h)
                            })
                        })
                    })
                    .unwrap_or_else(|| ranges.iter().map(|(lo, _)| lo.len()).min().unwrap_or(1)),
            };
            let n = n.min(rest.len());
            out.push((code_of(&rest[..n]).unwrap_or(0), n));
            i += n;
        }
        out
    }

    /// The horizontal advance of `code` in text space units per unit of font size.
    fn width(&self, code: u32) -> f64 {
        let key = if !self.composite {
            Some(code)
        } else if let Some(map) = &self.cid_map {
            Some(map.cid(code).unwrap_or(0))
        } else if self.identity {
            Some(code)
        } else {
            None
        };
        let w = key
            .and_then(|k| {
                let i = self.widths.partition_point(|r| r.0 <= k);
                let &(_, hi, w) = self.widths.get(i.checked_sub(1)?)?;
                (k <= hi).then_some(w)
            })
            .unwrap_or(self.default_width);
        w * self.scale
    }

    /// The Unicode text of `code` (empty when unknown).
    fn text(&self, code: u32, len: usize) -> String {
        if let Some(text) = self.to_unicode.as_ref().and_then(|m| m.unicode.get(&code)) {
            return text.clone();
        }
        match &self.fallback {
            Fallback::Table(table) => table.get(code as usize).cloned().unwrap_or_default(),
            Fallback::Utf16 => {
                let bytes = code.to_be_bytes();
                utf16be(&bytes[4 - len.min(4)..])
            }
            Fallback::None => String::new(),
        }
    }
}

/// Fonts already read: by reference, and by (resource owner, name) for direct ones.
#[derive(Default)]
struct FontCache {
    by_ref: HashMap<ObjRef, Rc<Font>>,
    by_name: HashMap<(ObjRef, Vec<u8>), Rc<Font>>,
    cmaps: HashMap<ObjRef, Rc<CMap>>,
}

/// Reads a font dictionary; `None` when it is not one.
fn load_font(
    doc: &Document<'_>,
    rev: usize,
    dict: &Dict,
    cmaps: &mut HashMap<ObjRef, Rc<CMap>>,
) -> Option<Font> {
    let resolve = |o: &Object| doc.resolve(o, rev).ok();
    let number = |o: Option<&Object>| o.and_then(resolve).as_ref().and_then(Object::as_number);
    let mut load_cmap = |o: Option<&Object>| -> Option<Rc<CMap>> {
        let r = match o? {
            Object::Ref(r) => *r,
            _ => return None,
        };
        if let Some(c) = cmaps.get(&r) {
            return Some(c.clone());
        }
        let cmap = match doc.get(r, rev).ok()? {
            Object::Stream(s) => {
                let mut cmap = CMap::parse(&doc.decode(&s).ok()?);
                if let Some(w) = s.dict.int(b"WMode") {
                    cmap.wmode = Some(w);
                }
                Some(Rc::new(cmap))
            }
            _ => None,
        };
        if let Some(c) = &cmap
            && cmaps.len() < 10_000
        {
            cmaps.insert(r, c.clone());
        }
        cmap
    };
    let subtype = dict.name(b"Subtype").unwrap_or_default();
    let to_unicode = load_cmap(dict.get(b"ToUnicode"));
    if subtype == b"Type0" {
        let descendant = dict
            .get(b"DescendantFonts")
            .and_then(resolve)
            .and_then(|a| a.as_array().and_then(|a| a.first()).and_then(resolve))
            .and_then(|d| d.as_dict().cloned())
            .unwrap_or_default();
        let encoding = dict.get(b"Encoding");
        let (codes, fallback, cid_map, identity, vertical) = match encoding {
            Some(Object::Name(n)) => {
                let name = n.as_slice();
                let vertical = name.ends_with(b"-V");
                let contains = |s: &[u8]| name.windows(s.len()).any(|w| w == s);
                if name == b"Identity-H" || name == b"Identity-V" {
                    (Codes::Two, Fallback::None, None, true, vertical)
                } else if name.starts_with(b"Uni") && (contains(b"-UCS2-") || contains(b"-UTF16-"))
                {
                    (Codes::Utf16, Fallback::Utf16, None, false, vertical)
                } else if [
                    "EUC", "GBK", "GBpc", "RKSJ", "B5", "ETen", "HKscs", "KSC", "GBT",
                ]
                .iter()
                .any(|s| contains(s.as_bytes()))
                {
                    (Codes::Lead, Fallback::None, None, false, vertical)
                } else {
                    (Codes::One, Fallback::None, None, false, vertical)
                }
            }
            other => match load_cmap(other) {
                Some(cmap) => {
                    let codes = if cmap.codespace.is_empty() {
                        Codes::Two
                    } else {
                        Codes::Ranges(cmap.codespace.clone())
                    };
                    let vertical = cmap.wmode == Some(1);
                    (codes, Fallback::None, Some(cmap), false, vertical)
                }
                None => (Codes::Two, Fallback::None, None, true, false),
            },
        };
        let mut widths = Vec::new();
        if let Some(Object::Array(w)) = descendant.get(b"W").and_then(resolve) {
            let mut i = 0;
            while i < w.len() && widths.len() < MAX_CMAP_ENTRIES {
                let Some(first) = w[i]
                    .as_number()
                    .filter(|n| (0.0..=u32::MAX as f64).contains(n))
                else {
                    break;
                };
                let first = first as u32;
                match w.get(i + 1).and_then(resolve) {
                    Some(Object::Array(list)) => {
                        for (k, item) in list.iter().take(MAX_CMAP_ENTRIES).enumerate() {
                            if let Some(width) = item.as_number() {
                                let cid = first.saturating_add(k as u32);
                                widths.push((cid, cid, width));
                            }
                        }
                        i += 2;
                    }
                    Some(last) => {
                        let (Some(last), Some(width)) =
                            (last.as_number(), w.get(i + 2).and_then(Object::as_number))
                        else {
                            break;
                        };
                        widths.push((first, last.max(0.0).min(u32::MAX as f64) as u32, width));
                        i += 3;
                    }
                    None => break,
                }
            }
        }
        widths.sort_by_key(|w| w.0);
        let dw2 = descendant
            .get(b"DW2")
            .and_then(resolve)
            .and_then(|o| {
                o.as_array()
                    .map(|a| a.iter().filter_map(Object::as_number).collect::<Vec<_>>())
            })
            .filter(|v| v.len() == 2)
            .map_or((880.0, -1000.0), |v| (v[0], v[1]));
        Some(Font {
            codes,
            widths,
            default_width: number(descendant.get(b"DW")).unwrap_or(1000.0),
            scale: 0.001,
            to_unicode,
            fallback,
            cid_map,
            identity,
            composite: true,
            vertical: vertical.then_some((dw2.0 / 1000.0, dw2.1 / 1000.0)),
        })
    } else {
        let descriptor = dict
            .get(b"FontDescriptor")
            .and_then(resolve)
            .and_then(|d| d.as_dict().cloned())
            .unwrap_or_default();
        let missing = number(descriptor.get(b"MissingWidth"));
        let mut widths = Vec::new();
        let explicit = dict.get(b"Widths").and_then(resolve);
        if let Some(Object::Array(list)) = &explicit {
            let first = number(dict.get(b"FirstChar"))
                .unwrap_or(0.0)
                .clamp(0.0, 255.0) as u32;
            for (k, item) in list.iter().take(256).enumerate() {
                let w = item.as_number().or_else(|| number(Some(item)));
                if let Some(w) = w {
                    let code = first + k as u32;
                    widths.push((code, code, w));
                }
            }
        }
        let default_width = if matches!(explicit, Some(Object::Array(_))) {
            missing.unwrap_or(0.0)
        } else {
            let base = dict.name(b"BaseFont").unwrap_or_default();
            match standard_widths(base) {
                Some(table) => {
                    widths = table;
                    missing.unwrap_or(500.0)
                }
                None => missing.unwrap_or(500.0),
            }
        };
        let scale = if subtype == b"Type3" {
            dict.get(b"FontMatrix")
                .and_then(resolve)
                .and_then(|m| m.as_array().and_then(matrix_of))
                .map_or(0.001, |m| m[0])
        } else {
            0.001
        };
        Some(Font {
            codes: Codes::One,
            widths,
            default_width,
            scale,
            to_unicode,
            fallback: Fallback::Table(encoding_table(doc, rev, dict.get(b"Encoding"))),
            cid_map: None,
            identity: false,
            composite: false,
            vertical: None,
        })
    }
}

/// A simple font's code-to-text table: the base encoding (ASCII, WinAnsi above 127) with
/// `/Differences` applied.
fn encoding_table(doc: &Document<'_>, rev: usize, encoding: Option<&Object>) -> Vec<String> {
    let mut table = standard_table();
    let Some(Object::Dict(d)) = encoding.and_then(|e| doc.resolve(e, rev).ok()) else {
        return table;
    };
    let Some(Object::Array(diffs)) = d.get(b"Differences").and_then(|o| doc.resolve(o, rev).ok())
    else {
        return table;
    };
    let mut code: Option<usize> = None;
    for item in &diffs {
        match item {
            Object::Int(c) => code = usize::try_from(*c).ok(),
            Object::Name(n) => {
                if let Some(c) = code {
                    if let Some(slot) = table.get_mut(c) {
                        *slot = glyph_name_text(n).unwrap_or_default();
                    }
                    code = Some(c + 1);
                }
            }
            _ => {}
        }
    }
    table
}

/// ASCII as is, WinAnsiEncoding from 128, nothing for control codes.
fn standard_table() -> Vec<String> {
    const WIN_80: [u16; 32] = [
        0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc,
        0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
    ];
    (0u32..256)
        .map(|code| match code {
            0x20..=0x7e | 0xa0..=0xff => char::from_u32(code).map(String::from).unwrap_or_default(),
            0x80..=0x9f => char::from_u32(u32::from(WIN_80[code as usize - 0x80]))
                .filter(|c| *c != '\0')
                .map(String::from)
                .unwrap_or_default(),
            _ => String::new(),
        })
        .collect()
}

/// The text of a glyph name (Adobe Glyph List conventions, for the common names):
/// `uniXXXX…`, `uXXXX[XX]`, single letters and digits, ASCII punctuation, ligatures `f_i`.
fn glyph_name_text(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let name = name.split('.').next().unwrap_or_default();
    if name.contains('_') {
        return name
            .split('_')
            .map(|part| glyph_name_text(part.as_bytes()))
            .collect();
    }
    if let Some(hex) = name.strip_prefix("uni")
        && !hex.is_empty()
        && hex.len() % 4 == 0
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let units: Vec<u16> = hex
            .as_bytes()
            .chunks(4)
            .filter_map(|c| u16::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if let Some(hex) = name.strip_prefix('u')
        && (4..=6).contains(&hex.len())
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .map(String::from);
    }
    if name.len() == 1 && name.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(name.to_string());
    }
    const NAMES: &[(&str, &str)] = &[
        ("space", " "),
        ("exclam", "!"),
        ("quotedbl", "\""),
        ("numbersign", "#"),
        ("dollar", "$"),
        ("percent", "%"),
        ("ampersand", "&"),
        ("quotesingle", "'"),
        ("quoteright", "\u{2019}"),
        ("quoteleft", "\u{2018}"),
        ("quotedblleft", "\u{201c}"),
        ("quotedblright", "\u{201d}"),
        ("parenleft", "("),
        ("parenright", ")"),
        ("asterisk", "*"),
        ("plus", "+"),
        ("comma", ","),
        ("hyphen", "-"),
        ("minus", "\u{2212}"),
        ("period", "."),
        ("slash", "/"),
        ("zero", "0"),
        ("one", "1"),
        ("two", "2"),
        ("three", "3"),
        ("four", "4"),
        ("five", "5"),
        ("six", "6"),
        ("seven", "7"),
        ("eight", "8"),
        ("nine", "9"),
        ("colon", ":"),
        ("semicolon", ";"),
        ("less", "<"),
        ("equal", "="),
        ("greater", ">"),
        ("question", "?"),
        ("at", "@"),
        ("bracketleft", "["),
        ("backslash", "\\"),
        ("bracketright", "]"),
        ("asciicircum", "^"),
        ("underscore", "_"),
        ("grave", "`"),
        ("braceleft", "{"),
        ("bar", "|"),
        ("braceright", "}"),
        ("asciitilde", "~"),
        ("bullet", "\u{2022}"),
        ("endash", "\u{2013}"),
        ("emdash", "\u{2014}"),
        ("ellipsis", "\u{2026}"),
        ("nbspace", "\u{a0}"),
        ("fi", "fi"),
        ("fl", "fl"),
        ("ff", "ff"),
        ("ffi", "ffi"),
        ("ffl", "ffl"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.to_string())
}

/// Widths of the codes 32–126 of standard-14 fonts (Adobe AFM, StandardEncoding; `'` and `` ` ``
/// as quoteright and quoteleft).
fn standard_widths(base_font: &[u8]) -> Option<Vec<(u32, u32, f64)>> {
    const HELVETICA: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
        556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
        722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
        667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556,
        556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
        500, 334, 260, 334, 584,
    ];
    const HELVETICA_BOLD: [u16; 95] = [
        278, 333, 474, 556, 556, 889, 722, 278, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
        556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722,
        722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
        667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 278, 556, 611, 556, 611, 556, 333, 611,
        611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556,
        500, 389, 280, 389, 584,
    ];
    const TIMES: [u16; 95] = [
        250, 333, 408, 500, 500, 833, 778, 333, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500,
        500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667,
        722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722,
        722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500,
        500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500,
        444, 480, 200, 480, 541,
    ];
    const TIMES_BOLD: [u16; 95] = [
        250, 333, 555, 500, 500, 1000, 833, 333, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500,
        500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722,
        722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722,
        722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500,
        556, 278, 333, 556, 278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500,
        444, 394, 220, 394, 520,
    ];
    // A subset prefix `ABCDEF+` does not change the metrics.
    let name = match base_font.iter().position(|b| *b == b'+') {
        Some(6) => &base_font[7..],
        _ => base_font,
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let bold = name.contains("bold");
    if name.starts_with("courier") {
        return Some(vec![(0, 255, 600.0)]);
    }
    let table: &[u16; 95] = if name.starts_with("helvetica") || name.starts_with("arial") {
        if bold { &HELVETICA_BOLD } else { &HELVETICA }
    } else if name.starts_with("times") {
        if bold { &TIMES_BOLD } else { &TIMES }
    } else {
        return None;
    };
    Some(
        table
            .iter()
            .enumerate()
            .map(|(i, w)| (32 + i as u32, 32 + i as u32, f64::from(*w)))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------
// The interpreter

/// The parts of the graphics state (ISO 32000-1 clause 8.4, 9.3) the search needs.
#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

impl Default for GState {
    fn default() -> Self {
        GState {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// The resources in effect and who owns them (the page or a form, for the font cache).
struct Scope {
    resources: Rc<Dict>,
    key: ObjRef,
}

/// A form XObject read once per page.
struct Form {
    content: Vec<u8>,
    matrix: Matrix,
    /// Its own resources, if it has them.
    resources: Option<Rc<Dict>>,
}

struct Interpreter<'d, 'a> {
    doc: &'d Document<'a>,
    rev: usize,
    fonts: &'d mut FontCache,
    forms: HashMap<ObjRef, Option<Rc<Form>>>,
    /// The forms being painted, for the cycle guard.
    active: Vec<ObjRef>,
    ops: usize,
    bytes: usize,
    chars: Vec<Char>,
    /// Where the next glyph would start if text ran on, in user space, and the em there.
    last: Option<(f64, f64, f64)>,
    default_font: Rc<Font>,
}

fn num(o: Option<&Object>) -> f64 {
    o.and_then(Object::as_number)
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
}

impl Interpreter<'_, '_> {
    fn exhausted(&self) -> bool {
        self.ops >= MAX_OPS || self.bytes >= MAX_BYTES || self.chars.len() >= MAX_CHARS
    }

    /// Interprets `content` with `scope`'s resources, starting in `gs`.
    fn run(&mut self, content: &[u8], scope: &Scope, mut gs: GState, depth: usize) {
        self.bytes = self.bytes.saturating_add(content.len());
        if self.bytes > MAX_BYTES {
            return;
        }
        let font_dict = self
            .doc
            .dict_at(&scope.resources, b"Font", self.rev)
            .ok()
            .flatten();
        let xobjects = self
            .doc
            .dict_at(&scope.resources, b"XObject", self.rev)
            .ok()
            .flatten();
        let mut saved: Vec<GState> = Vec::new();
        let mut lost_saves = 0usize;
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let mut lexer = Lexer::new(content);
        let mut operands: Vec<Object> = Vec::new();
        while let Some(token) = lexer.next_token() {
            let op = match token {
                Token::Operand(o) => {
                    if operands.len() >= MAX_OPERANDS {
                        operands.clear();
                    }
                    operands.push(o);
                    continue;
                }
                Token::Operator(op) => op,
            };
            self.ops += 1;
            if self.exhausted() {
                return;
            }
            let arg = |i: usize| num(operands.get(i));
            match op {
                b"q" => {
                    if saved.len() < MAX_SAVES {
                        saved.push(gs.clone());
                    } else {
                        lost_saves += 1;
                    }
                }
                b"Q" => {
                    if lost_saves > 0 {
                        lost_saves -= 1;
                    } else if let Some(g) = saved.pop() {
                        gs = g;
                    }
                }
                b"cm" => {
                    if let Some(m) = matrix_of(&operands) {
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    gs.size = arg(1);
                    gs.font = match operands.first() {
                        Some(Object::Name(name)) => self.font(font_dict.as_ref(), scope, name),
                        _ => None,
                    };
                }
                b"Tc" => gs.char_spacing = arg(0),
                b"Tw" => gs.word_spacing = arg(0),
                b"Tz" => gs.scale = arg(0) / 100.0,
                b"TL" => gs.leading = arg(0),
                b"Ts" => gs.rise = arg(0),
                b"Td" => {
                    tlm = mul(&translate(arg(0), arg(1)), &tlm);
                    tm = tlm;
                }
                b"TD" => {
                    gs.leading = -arg(1);
                    tlm = mul(&translate(arg(0), arg(1)), &tlm);
                    tm = tlm;
                }
                b"Tm" => {
                    if let Some(m) = matrix_of(&operands) {
                        tlm = m;
                        tm = m;
                    }
                }
                b"T*" => {
                    tlm = mul(&translate(0.0, -gs.leading), &tlm);
                    tm = tlm;
                }
                b"Tj" => {
                    if let Some(bytes) = operands.first().and_then(string_bytes) {
                        self.show(&gs, &mut tm, bytes);
                    }
                }
                b"'" | b"\"" => {
                    if op == b"\"" {
                        gs.word_spacing = arg(0);
                        gs.char_spacing = arg(1);
                    }
                    tlm = mul(&translate(0.0, -gs.leading), &tlm);
                    tm = tlm;
                    if let Some(bytes) = operands.last().and_then(string_bytes) {
                        self.show(&gs, &mut tm, bytes);
                    }
                }
                b"TJ" => {
                    let vertical = gs.font.as_ref().is_some_and(|f| f.vertical.is_some());
                    for item in operands
                        .first()
                        .and_then(Object::as_array)
                        .unwrap_or_default()
                    {
                        match item {
                            Object::String { bytes, .. } => self.show(&gs, &mut tm, bytes),
                            other => {
                                let adjust = -num(Some(other)) / 1000.0 * gs.size;
                                let shift = if vertical {
                                    translate(0.0, adjust)
                                } else {
                                    translate(adjust * gs.scale, 0.0)
                                };
                                tm = mul(&shift, &tm);
                            }
                        }
                    }
                }
                b"Do" => {
                    if let (Some(Object::Name(name)), Some(xobjects)) =
                        (operands.first(), &xobjects)
                        && let Some(Object::Ref(r)) = xobjects.get(name)
                        && depth < MAX_FORM_DEPTH
                        && !self.active.contains(r)
                        && let Some(form) = self.form(*r)
                    {
                        let mut inner = gs.clone();
                        inner.ctm = mul(&form.matrix, &gs.ctm);
                        let inner_scope = match &form.resources {
                            Some(res) => Scope {
                                resources: res.clone(),
                                key: *r,
                            },
                            None => Scope {
                                resources: scope.resources.clone(),
                                key: scope.key,
                            },
                        };
                        self.active.push(*r);
                        self.run(&form.content, &inner_scope, inner, depth + 1);
                        self.active.pop();
                    }
                }
                b"BI" => {
                    let image_ends = lexer.skip_inline_image();
                    if !image_ends {
                        return;
                    }
                }
                _ => {}
            }
            operands.clear();
        }
    }

    /// The font `name` of the scope's `/Font` resources.
    fn font(&mut self, font_dict: Option<&Dict>, scope: &Scope, name: &[u8]) -> Option<Rc<Font>> {
        let entry = font_dict?.get(name)?;
        let cache_key = (scope.key, name.to_vec());
        if let Some(f) = self.fonts.by_name.get(&cache_key) {
            return Some(f.clone());
        }
        let font = match entry {
            Object::Ref(r) => match self.fonts.by_ref.get(r) {
                Some(f) => Some(f.clone()),
                None => {
                    let font = self.read_font(entry);
                    if self.fonts.by_ref.len() < 10_000 {
                        self.fonts.by_ref.insert(*r, font.clone());
                    }
                    Some(font)
                }
            },
            _ => Some(self.read_font(entry)),
        };
        if let Some(f) = &font
            && self.fonts.by_name.len() < 100_000
        {
            self.fonts.by_name.insert(cache_key, f.clone());
        }
        font
    }

    fn read_font(&mut self, entry: &Object) -> Rc<Font> {
        let dict = self.doc.resolve(entry, self.rev).ok();
        dict.as_ref()
            .and_then(Object::as_dict)
            .and_then(|d| load_font(self.doc, self.rev, d, &mut self.fonts.cmaps))
            .map_or_else(|| self.default_font.clone(), Rc::new)
    }

    /// The form XObject `r`, decoded once per page; `None` for images and unreadable forms.
    fn form(&mut self, r: ObjRef) -> Option<Rc<Form>> {
        if let Some(f) = self.forms.get(&r) {
            return f.clone();
        }
        let form = match self.doc.get(r, self.rev) {
            Ok(Object::Stream(s)) if s.dict.name(b"Subtype") == Some(b"Form") => {
                self.doc.decode(&s).ok().map(|content| {
                    let matrix = s
                        .dict
                        .get(b"Matrix")
                        .and_then(|m| self.doc.resolve(m, self.rev).ok())
                        .and_then(|m| m.as_array().and_then(matrix_of))
                        .unwrap_or(IDENTITY);
                    let resources = self
                        .doc
                        .dict_at(&s.dict, b"Resources", self.rev)
                        .ok()
                        .flatten()
                        .map(Rc::new);
                    Rc::new(Form {
                        content,
                        matrix,
                        resources,
                    })
                })
            }
            _ => None,
        };
        self.forms.insert(r, form.clone());
        form
    }

    /// Shows a string: records each glyph's text and box, advances the text matrix.
    fn show(&mut self, gs: &GState, tm: &mut Matrix, bytes: &[u8]) {
        let font = gs.font.clone().unwrap_or_else(|| self.default_font.clone());
        let size = gs.size;
        for (code, len) in font.split(bytes) {
            if self.chars.len() >= MAX_CHARS {
                return;
            }
            let w0 = font.width(code);
            let trm = mul(
                &mul(&[size * gs.scale, 0.0, 0.0, size, 0.0, gs.rise], tm),
                &gs.ctm,
            );
            let (x0, x1, y0, y1) = match font.vertical {
                None => (0.0, w0, -0.2, 0.8),
                Some((vy, _)) => (-w0 / 2.0, w0 / 2.0, -0.2 - vy, 0.8 - vy),
            };
            let corners = [
                apply(&trm, x0, y0),
                apply(&trm, x1, y0),
                apply(&trm, x0, y1),
                apply(&trm, x1, y1),
            ];
            let rect = corners.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |r, (x, y)| [r[0].min(*x), r[1].min(*y), r[2].max(*x), r[3].max(*y)],
            );
            let (ox, oy) = (trm[4], trm[5]);
            let em = trm[2].hypot(trm[3]);
            if let Some((ex, ey, last_em)) = self.last
                && (ox - ex).hypot(oy - ey) > GAP_EM * last_em.max(em)
            {
                self.chars.push(Char {
                    ch: ' ',
                    rect: None,
                });
            }
            let text = font.text(code, len);
            let rect = rect.iter().all(|v| v.is_finite()).then_some(rect);
            if text.is_empty() {
                self.chars.push(Char {
                    ch: '\u{fffd}',
                    rect,
                });
            }
            for ch in text.chars() {
                self.chars.push(Char { ch, rect });
            }
            let spacing = gs.char_spacing
                + if len == 1 && code == 32 {
                    gs.word_spacing
                } else {
                    0.0
                };
            let advance = match font.vertical {
                None => translate((w0 * size + spacing) * gs.scale, 0.0),
                Some((_, w1)) => translate(0.0, w1 * size + spacing),
            };
            *tm = mul(&advance, tm);
            let next = mul(
                &mul(&[size * gs.scale, 0.0, 0.0, size, 0.0, gs.rise], tm),
                &gs.ctm,
            );
            self.last = Some((next[4], next[5], em));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_bfchar_and_bfrange() {
        let cmap = CMap::parse(
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
              /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
              1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
              3 beginbfchar <0001> <8425> <0002> <4E1A> <0003> <D83DDE00> endbfchar\n\
              2 beginbfrange <0010> <0012> <0041> <0020> <0021> [<6267> <7167>] endbfrange\n\
              1 beginbfchar <0005> <00660069> endbfchar\n\
              endcmap CMapName currentdict /CMap defineresource pop end end",
        );
        let text = |c: u32| cmap.unicode.get(&c).cloned();
        assert_eq!(text(1).as_deref(), Some("营"));
        assert_eq!(text(2).as_deref(), Some("业"));
        assert_eq!(text(3).as_deref(), Some("😀"));
        assert_eq!(text(0x10).as_deref(), Some("A"));
        assert_eq!(text(0x12).as_deref(), Some("C"));
        assert_eq!(text(0x13), None);
        assert_eq!(text(0x20).as_deref(), Some("执"));
        assert_eq!(text(0x21).as_deref(), Some("照"));
        assert_eq!(text(5).as_deref(), Some("fi"));
        assert_eq!(cmap.codespace, vec![(vec![0, 0], vec![0xff, 0xff])]);
    }

    #[test]
    fn cmap_codespace_cids_and_wmode() {
        let cmap = CMap::parse(
            b"/WMode 1 def 2 begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange\n\
              1 begincidrange <8140> <817E> 100 endcidrange 1 begincidchar <41> 7 endcidchar",
        );
        assert_eq!(cmap.wmode, Some(1));
        assert_eq!(cmap.cid(0x8141), Some(101));
        assert_eq!(cmap.cid(0x41), Some(7));
        assert_eq!(cmap.cid(0x42), None);
        let font = Font {
            codes: Codes::Ranges(cmap.codespace.clone()),
            ..Font::fallback()
        };
        assert_eq!(
            font.split(b"A\x81\x41B"),
            vec![(0x41, 1), (0x8141, 2), (0x42, 1)]
        );
    }

    #[test]
    fn hostile_cmaps_do_not_panic() {
        for data in [
            &b"1 beginbfrange <0000> <FFFFFFFF> <0000> endbfrange"[..],
            b"beginbfchar <> <> (x) endbfchar <00> <FFFFFFFFFF> <01> endbfrange",
            b"[[[[[[ (((",
            b"1 beginbfrange <FF> <00> <0041> endbfrange <01> <02> [ ] endbfrange",
        ] {
            let cmap = CMap::parse(data);
            assert!(cmap.unicode.len() <= MAX_CMAP_ENTRIES);
        }
    }

    #[test]
    fn whitespace_rules() {
        let chars: Vec<Char> = "ab c\u{3000}d"
            .chars()
            .enumerate()
            .map(|(i, ch)| Char {
                ch,
                rect: Some([i as f64, 0.0, i as f64 + 1.0, 1.0]),
            })
            .collect();
        assert_eq!(
            Pattern::new("bc").find_all(&chars),
            vec![[1.0, 0.0, 4.0, 1.0]]
        );
        assert_eq!(
            Pattern::new("b c").find_all(&chars),
            vec![[1.0, 0.0, 4.0, 1.0]]
        );
        assert_eq!(
            Pattern::new(" c  d ").find_all(&chars),
            vec![[3.0, 0.0, 6.0, 1.0]]
        );
        assert!(Pattern::new("a b").find_all(&chars).is_empty());
        let aaa: Vec<Char> = "aaaa"
            .chars()
            .map(|ch| Char {
                ch,
                rect: Some([0.0; 4]),
            })
            .collect();
        assert_eq!(Pattern::new("aa").find_all(&aaa).len(), 2);
    }
}
