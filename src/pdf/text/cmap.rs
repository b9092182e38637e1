//! CMaps (ISO 32000-1 clauses 9.7.5 and 9.10.3): code spaces, CIDs and Unicode mappings.

use std::collections::HashMap;

use super::encoding::glyph_name_text;
use super::lexer::{Lexer, Token};
use crate::pdf::object::Object;

/// Most mappings read from one CMap.
pub(super) const MAX_CMAP_ENTRIES: usize = 1 << 17;

/// What a CMap (ISO 32000-1 clause 9.7.5, 9.10.3) maps.
#[derive(Debug, Default)]
pub(super) struct CMap {
    /// Code space ranges: low and high bytes, of equal length.
    pub(super) codespace: Vec<(Vec<u8>, Vec<u8>)>,
    /// `bfchar`/`bfrange`: code to Unicode text.
    pub(super) unicode: HashMap<u32, String>,
    /// `cidchar`/`cidrange`: `(low, high, first CID)`, sorted.
    cids: Vec<(u32, u32, u32)>,
    /// `/WMode`.
    pub(super) wmode: Option<i64>,
}

pub(super) fn code_of(bytes: &[u8]) -> Option<u32> {
    (!bytes.is_empty() && bytes.len() <= 4)
        .then(|| bytes.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)))
}

/// UTF-16BE text (a lone byte read as one code unit).
pub(super) fn utf16be(bytes: &[u8]) -> String {
    String::from_utf16_lossy(&utf16_units(bytes))
}

pub(super) fn utf16_units(bytes: &[u8]) -> Vec<u16> {
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

pub(super) fn string_bytes(o: &Object) -> Option<&[u8]> {
    match o {
        Object::String { bytes, .. } => Some(bytes),
        _ => None,
    }
}

impl CMap {
    /// Reads the mappings of a CMap stream's decoded data; unreadable parts are skipped.
    pub(super) fn parse(data: &[u8]) -> CMap {
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
    pub(super) fn cid(&self, code: u32) -> Option<u32> {
        let i = self.cids.partition_point(|r| r.0 <= code);
        let &(lo, hi, first) = self.cids.get(i.checked_sub(1)?)?;
        (code <= hi).then(|| first.saturating_add(code - lo))
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
}
