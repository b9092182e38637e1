//! Simple fonts' encodings (ISO 32000-1 clause 9.6.6) and glyph names to Unicode.

use crate::pdf::document::Document;
use crate::pdf::object::Object;

/// A simple font's code-to-text table: the base encoding (ASCII, WinAnsi above 127) with
/// `/Differences` applied.
pub(super) fn encoding_table(
    doc: &Document<'_>,
    rev: usize,
    encoding: Option<&Object>,
) -> Vec<String> {
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
pub(super) fn standard_table() -> Vec<String> {
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
pub(super) fn glyph_name_text(name: &[u8]) -> Option<String> {
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
