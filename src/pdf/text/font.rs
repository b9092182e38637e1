//! Fonts (ISO 32000-1 clauses 9.6 and 9.7): how shown strings split into codes, the codes'
//! widths and Unicode text.

use std::collections::HashMap;
use std::rc::Rc;

use super::cmap::{CMap, MAX_CMAP_ENTRIES, code_of, utf16be};
use super::encoding::{encoding_table, standard_table};
use super::matrix::matrix_of;
use super::metrics::standard_widths;
use crate::pdf::document::Document;
use crate::pdf::object::{Dict, ObjRef, Object};

/// How a font's strings split into codes.
#[derive(Debug)]
pub(super) enum Codes {
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
pub(super) enum Fallback {
    /// A 256-entry table from the simple font's encoding.
    Table(Vec<String>),
    /// Codes are UTF-16BE.
    Utf16,
    None,
}

/// What the text search needs of a font.
#[derive(Debug)]
pub(super) struct Font {
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
    pub(super) vertical: Option<(f64, f64)>,
}

impl Font {
    /// The font used when a font cannot be read: 1-byte codes, ASCII, 500 units wide.
    pub(super) fn fallback() -> Font {
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
    pub(super) fn split(&self, bytes: &[u8]) -> Vec<(u32, usize)> {
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
    pub(super) fn width(&self, code: u32) -> f64 {
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
    pub(super) fn text(&self, code: u32, len: usize) -> String {
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
pub(super) struct FontCache {
    pub(super) by_ref: HashMap<ObjRef, Rc<Font>>,
    pub(super) by_name: HashMap<(ObjRef, Vec<u8>), Rc<Font>>,
    pub(super) cmaps: HashMap<ObjRef, Rc<CMap>>,
}

/// Reads a font dictionary; `None` when it is not one.
pub(super) fn load_font(
    doc: &Document<'_>,
    rev: usize,
    dict: &Dict,
    cmaps: &mut HashMap<ObjRef, Rc<CMap>>,
) -> Option<Font> {
    let mut reader = FontReader { doc, rev, cmaps };
    let to_unicode = reader.cmap(dict.get(b"ToUnicode"));
    let font = if dict.name(b"Subtype") == Some(b"Type0") {
        reader.composite(dict, to_unicode)
    } else {
        reader.simple(dict, to_unicode)
    };
    Some(font)
}

/// Reads the parts of a font dictionary, sharing CMap streams already read.
struct FontReader<'d, 'a> {
    doc: &'d Document<'a>,
    rev: usize,
    cmaps: &'d mut HashMap<ObjRef, Rc<CMap>>,
}

/// How a Type0 font's `/Encoding` splits and maps codes (ISO 32000-1 clause 9.7.5).
struct CidEncoding {
    codes: Codes,
    fallback: Fallback,
    cid_map: Option<Rc<CMap>>,
    identity: bool,
    vertical: bool,
}

impl FontReader<'_, '_> {
    fn resolve(&self, o: &Object) -> Option<Object> {
        self.doc.resolve(o, self.rev).ok()
    }

    fn number(&self, o: Option<&Object>) -> Option<f64> {
        o.and_then(|o| self.resolve(o))
            .as_ref()
            .and_then(Object::as_number)
    }

    /// The dictionary `o` refers to; empty when it is not one.
    fn dict(&self, o: Option<&Object>) -> Dict {
        o.and_then(|o| self.resolve(o))
            .and_then(|d| d.as_dict().cloned())
            .unwrap_or_default()
    }

    /// The CMap stream `o` refers to, read once per reference.
    fn cmap(&mut self, o: Option<&Object>) -> Option<Rc<CMap>> {
        let r = match o? {
            Object::Ref(r) => *r,
            _ => return None,
        };
        if let Some(c) = self.cmaps.get(&r) {
            return Some(c.clone());
        }
        let cmap = match self.doc.get(r, self.rev).ok()? {
            Object::Stream(s) => {
                let mut cmap = CMap::parse(&self.doc.decode(&s).ok()?);
                if let Some(w) = s.dict.int(b"WMode") {
                    cmap.wmode = Some(w);
                }
                Some(Rc::new(cmap))
            }
            _ => None,
        };
        if let Some(c) = &cmap
            && self.cmaps.len() < 10_000
        {
            self.cmaps.insert(r, c.clone());
        }
        cmap
    }

    /// A Type0 font (ISO 32000-1 clause 9.7): codes by its CMap, widths by its descendant.
    fn composite(&mut self, dict: &Dict, to_unicode: Option<Rc<CMap>>) -> Font {
        let descendant = self.dict(
            dict.get(b"DescendantFonts")
                .and_then(|a| self.resolve(a))
                .and_then(|a| a.as_array().and_then(|a| a.first()).cloned())
                .as_ref(),
        );
        let encoding = match dict.get(b"Encoding") {
            Some(Object::Name(n)) => predefined_encoding(n),
            other => self.embedded_encoding(other),
        };
        let mut widths = match descendant.get(b"W").and_then(|w| self.resolve(w)) {
            Some(Object::Array(w)) => self.cid_widths(&w),
            _ => Vec::new(),
        };
        widths.sort_by_key(|w| w.0);
        let dw2 = descendant
            .get(b"DW2")
            .and_then(|o| self.resolve(o))
            .and_then(|o| {
                o.as_array()
                    .map(|a| a.iter().filter_map(Object::as_number).collect::<Vec<_>>())
            })
            .filter(|v| v.len() == 2)
            .map_or((880.0, -1000.0), |v| (v[0], v[1]));
        Font {
            codes: encoding.codes,
            widths,
            default_width: self.number(descendant.get(b"DW")).unwrap_or(1000.0),
            scale: 0.001,
            to_unicode,
            fallback: encoding.fallback,
            cid_map: encoding.cid_map,
            identity: encoding.identity,
            composite: true,
            vertical: encoding
                .vertical
                .then_some((dw2.0 / 1000.0, dw2.1 / 1000.0)),
        }
    }

    /// An embedded CMap stream as a Type0 font's encoding; `Identity-H` when it cannot be read.
    fn embedded_encoding(&mut self, encoding: Option<&Object>) -> CidEncoding {
        match self.cmap(encoding) {
            Some(cmap) => CidEncoding {
                codes: if cmap.codespace.is_empty() {
                    Codes::Two
                } else {
                    Codes::Ranges(cmap.codespace.clone())
                },
                fallback: Fallback::None,
                vertical: cmap.wmode == Some(1),
                cid_map: Some(cmap),
                identity: false,
            },
            None => CidEncoding {
                codes: Codes::Two,
                fallback: Fallback::None,
                cid_map: None,
                identity: true,
                vertical: false,
            },
        }
    }

    /// A CIDFont's `/W` array (ISO 32000-1 clause 9.7.4.3): `c [w1 w2 …]` and `c_first c_last w`.
    fn cid_widths(&self, w: &[Object]) -> Vec<(u32, u32, f64)> {
        let mut widths = Vec::new();
        let mut i = 0;
        while i < w.len() && widths.len() < MAX_CMAP_ENTRIES {
            let Some(first) = w[i]
                .as_number()
                .filter(|n| (0.0..=u32::MAX as f64).contains(n))
            else {
                break;
            };
            let first = first as u32;
            match w.get(i + 1).and_then(|o| self.resolve(o)) {
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
        widths
    }

    /// A simple font (ISO 32000-1 clause 9.6): 1-byte codes, its encoding, `/Widths` or the
    /// standard-14 metrics.
    fn simple(&self, dict: &Dict, to_unicode: Option<Rc<CMap>>) -> Font {
        let descriptor = self.dict(dict.get(b"FontDescriptor"));
        let missing = self.number(descriptor.get(b"MissingWidth"));
        let (widths, default_width) = match dict.get(b"Widths").and_then(|o| self.resolve(o)) {
            Some(Object::Array(list)) => (
                self.explicit_widths(&list, dict.get(b"FirstChar")),
                missing.unwrap_or(0.0),
            ),
            _ => {
                let base = dict.name(b"BaseFont").unwrap_or_default();
                (
                    standard_widths(base).unwrap_or_default(),
                    missing.unwrap_or(500.0),
                )
            }
        };
        let scale = if dict.name(b"Subtype") == Some(b"Type3") {
            dict.get(b"FontMatrix")
                .and_then(|o| self.resolve(o))
                .and_then(|m| m.as_array().and_then(matrix_of))
                .map_or(0.001, |m| m[0])
        } else {
            0.001
        };
        Font {
            codes: Codes::One,
            widths,
            default_width,
            scale,
            to_unicode,
            fallback: Fallback::Table(encoding_table(self.doc, self.rev, dict.get(b"Encoding"))),
            cid_map: None,
            identity: false,
            composite: false,
            vertical: None,
        }
    }

    /// A simple font's `/Widths` from `/FirstChar` (ISO 32000-1 clause 9.6.2.1).
    fn explicit_widths(
        &self,
        list: &[Object],
        first_char: Option<&Object>,
    ) -> Vec<(u32, u32, f64)> {
        let first = self.number(first_char).unwrap_or(0.0).clamp(0.0, 255.0) as u32;
        let mut widths = Vec::new();
        for (k, item) in list.iter().take(256).enumerate() {
            if let Some(w) = item.as_number().or_else(|| self.number(Some(item))) {
                let code = first + k as u32;
                widths.push((code, code, w));
            }
        }
        widths
    }
}

/// A predefined CMap named as a Type0 font's encoding (ISO 32000-1 clause 9.7.5.2).
fn predefined_encoding(name: &[u8]) -> CidEncoding {
    let vertical = name.ends_with(b"-V");
    let contains = |s: &[u8]| name.windows(s.len()).any(|w| w == s);
    let (codes, fallback, identity) = if name == b"Identity-H" || name == b"Identity-V" {
        (Codes::Two, Fallback::None, true)
    } else if name.starts_with(b"Uni") && (contains(b"-UCS2-") || contains(b"-UTF16-")) {
        (Codes::Utf16, Fallback::Utf16, false)
    } else if [
        "EUC", "GBK", "GBpc", "RKSJ", "B5", "ETen", "HKscs", "KSC", "GBT",
    ]
    .iter()
    .any(|s| contains(s.as_bytes()))
    {
        (Codes::Lead, Fallback::None, false)
    } else {
        (Codes::One, Fallback::None, false)
    };
    CidEncoding {
        codes,
        fallback,
        cid_map: None,
        identity,
        vertical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
