//! Completing a subset font program for OFD: the subset made for PDF (where the CMap maps
//! codes to glyphs) has no `cmap` and no `OS/2` table, but an OFD reader looks each
//! character of a `TextCode` up in the embedded font's `cmap` (GB/T 33190 clause 11.2).
//!
//! [`cmap`] builds a `cmap` table (OpenType `cmap`, format 4 for the BMP and format 12 when
//! there are supplementary characters, both Windows Unicode), and [`with_tables`] rewrites
//! the font's table directory with tables added (OpenType "Organization of an OpenType
//! font": records sorted by tag, tables 4-byte aligned, checksums and `head`
//! `checkSumAdjustment` recomputed).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The `head` table's tag; its `checkSumAdjustment` is at offset 8.
const HEAD: [u8; 4] = *b"head";

fn malformed(detail: &str) -> Error {
    Error::malformed("font", format!("subset font program: {detail}"))
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The tables of an sfnt font program (not a collection), by tag.
fn tables(font: &[u8]) -> Result<Vec<([u8; 4], &[u8])>> {
    let count = u16_at(font, 4).ok_or_else(|| malformed("no table directory"))?;
    (0..usize::from(count))
        .map(|i| {
            let record = 12 + 16 * i;
            let table = font
                .get(record..record + 4)
                .and_then(|tag| <[u8; 4]>::try_from(tag).ok())
                .zip(u32_at(font, record + 8))
                .zip(u32_at(font, record + 12))
                .and_then(|((tag, offset), length)| {
                    let start = usize::try_from(offset).ok()?;
                    let end = start.checked_add(usize::try_from(length).ok()?)?;
                    Some((tag, font.get(start..end)?))
                });
            table.ok_or_else(|| malformed("a table record points outside the file"))
        })
        .collect()
}

/// The font program with `extra` tables added (replacing tables of the same tag).
pub(super) fn with_tables(font: &[u8], extra: &[([u8; 4], &[u8])]) -> Result<Vec<u8>> {
    let version = font.get(..4).ok_or_else(|| malformed("no sfnt version"))?;
    let mut all: Vec<([u8; 4], &[u8])> = tables(font)?
        .into_iter()
        .filter(|(tag, _)| !extra.iter().any(|(t, _)| t == tag))
        .chain(extra.iter().copied())
        .collect();
    all.sort_by_key(|&(tag, _)| tag);
    let count = u16::try_from(all.len()).map_err(|_| malformed("too many tables"))?;
    let selector = count.checked_ilog2().unwrap_or(0) as u16;
    let search_range = (1u16 << selector).wrapping_mul(16);

    let mut out =
        Vec::with_capacity(font.len() + extra.iter().map(|(_, t)| t.len() + 20).sum::<usize>());
    out.extend_from_slice(version);
    for v in [
        count,
        search_range,
        selector,
        count.wrapping_mul(16).wrapping_sub(search_range),
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * all.len();
    let mut adjustment_at = None;
    let mut bodies = Vec::with_capacity(all.len());
    for (tag, data) in &all {
        let mut body = data.to_vec();
        if *tag == HEAD
            && let Some(field) = body.get_mut(8..12) {
                field.fill(0);
                adjustment_at = Some(offset + 8);
            }
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(&body).to_be_bytes());
        for v in [offset, body.len()] {
            let v = u32::try_from(v).map_err(|_| malformed("larger than 4 GiB"))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        offset += body.len().next_multiple_of(4);
        bodies.push(body);
    }
    for body in bodies {
        out.extend_from_slice(&body);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = adjustment_at {
        let value = 0xB1B0_AFBA_u32.wrapping_sub(checksum(&out));
        if let Some(field) = out.get_mut(at..at + 4) {
            field.copy_from_slice(&value.to_be_bytes());
        }
    }
    Ok(out)
}

/// The sum of the big-endian `u32`s of `data`, zero-padded to a multiple of 4.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// A `cmap` table mapping each character of `map` to its glyph id: format 4 (platform 3,
/// encoding 1) for the BMP, and format 12 (platform 3, encoding 10) for all characters
/// when some lie beyond the BMP.
pub(super) fn cmap(map: &BTreeMap<char, u16>) -> Result<Vec<u8>> {
    let format4 = format4(map)?;
    let format12 = map
        .keys()
        .any(|&c| u32::from(c) > 0xFFFF)
        .then(|| format12(map));
    let count: u16 = if format12.is_some() { 2 } else { 1 };
    let mut out = Vec::new();
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    let first = 4 + 8 * u32::from(count);
    out.extend_from_slice(&[0, 3, 0, 1]);
    out.extend_from_slice(&first.to_be_bytes());
    if let Some(table) = &format12 {
        let second = first + u32::try_from(format4.len()).map_err(|_| malformed("cmap"))?;
        out.extend_from_slice(&[0, 3, 0, 10]);
        out.extend_from_slice(&second.to_be_bytes());
        out.extend_from_slice(&format4);
        out.extend_from_slice(table);
    } else {
        out.extend_from_slice(&format4);
    }
    Ok(out)
}

/// Format 4: one segment per run of consecutive characters with consecutive glyphs, all
/// by `idDelta`, and the closing segment at U+FFFF.
fn format4(map: &BTreeMap<char, u16>) -> Result<Vec<u8>> {
    // (start, end, delta)
    let mut segments: Vec<(u16, u16, u16)> = Vec::new();
    for (&c, &glyph) in map {
        let Ok(code) = u16::try_from(u32::from(c)) else {
            continue;
        };
        if code == 0xFFFF {
            continue;
        }
        let delta = glyph.wrapping_sub(code);
        match segments.last_mut() {
            Some((_, end, d)) if end.wrapping_add(1) == code && *d == delta => *end = code,
            _ => segments.push((code, code, delta)),
        }
    }
    segments.push((0xFFFF, 0xFFFF, 1));
    let count = segments.len();
    let length = u16::try_from(16 + 8 * count)
        .map_err(|_| Error::Invalid("the licence uses too many characters for one font".into()))?;
    let seg_x2 = (2 * count) as u16;
    let selector = (count as u16).checked_ilog2().unwrap_or(0) as u16;
    let search_range = 2u16 << selector;
    let mut out = Vec::with_capacity(usize::from(length));
    for v in [
        4,
        length,
        0,
        seg_x2,
        search_range,
        selector,
        seg_x2 - search_range,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    segments
        .iter()
        .for_each(|s| out.extend_from_slice(&s.1.to_be_bytes()));
    out.extend_from_slice(&0u16.to_be_bytes());
    segments
        .iter()
        .for_each(|s| out.extend_from_slice(&s.0.to_be_bytes()));
    segments
        .iter()
        .for_each(|s| out.extend_from_slice(&s.2.to_be_bytes()));
    segments
        .iter()
        .for_each(|_| out.extend_from_slice(&0u16.to_be_bytes()));
    Ok(out)
}

/// Format 12: one group per run of consecutive characters with consecutive glyphs.
fn format12(map: &BTreeMap<char, u16>) -> Vec<u8> {
    // (start, end, first glyph)
    let mut groups: Vec<(u32, u32, u32)> = Vec::new();
    for (&c, &glyph) in map {
        let (code, glyph) = (u32::from(c), u32::from(glyph));
        match groups.last_mut() {
            Some((start, end, first)) if *end + 1 == code && *first + (code - *start) == glyph => {
                *end = code;
            }
            _ => groups.push((code, code, glyph)),
        }
    }
    let mut out = Vec::with_capacity(16 + 12 * groups.len());
    out.extend_from_slice(&12u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    let length = 16 + 12 * groups.len() as u32;
    for v in [length, 0, groups.len() as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    for (start, end, first) in groups {
        for v in [start, end, first] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(table: &[u8], index: u16, c: char) -> Option<u16> {
        let parsed = ttf_parser::cmap::Table::parse(table).expect("a cmap");
        let subtable = parsed.subtables.get(index).expect("the subtable");
        subtable.glyph_index(u32::from(c)).map(|g| g.0)
    }

    #[test]
    fn cmap_maps_runs_and_single_characters_in_both_formats() {
        let map: BTreeMap<char, u16> = [
            ('0', 7),
            ('1', 8),
            ('2', 9),
            ('营', 3),
            ('业', 1),
            ('\u{FFFF}', 5),
            ('𠀀', 2),
        ]
        .into_iter()
        .collect();
        let table = cmap(&map).unwrap();
        let parsed = ttf_parser::cmap::Table::parse(&table).unwrap();
        assert_eq!(parsed.subtables.len(), 2);
        for (c, glyph) in &map {
            let bmp = u32::from(*c) < 0xFFFF;
            // U+FFFF is format 4's closing segment, to glyph 0.
            let format4 = lookup(&table, 0, *c).filter(|&g| g != 0);
            assert_eq!(format4, bmp.then_some(*glyph), "format 4, {c:?}");
            assert_eq!(lookup(&table, 1, *c), Some(*glyph), "format 12, {c:?}");
        }
        for unmapped in ['3', 'a', '执'] {
            assert!(matches!(lookup(&table, 0, unmapped), None | Some(0)));
            assert_eq!(lookup(&table, 1, unmapped), None);
        }
        // Only the BMP: format 4 alone.
        let bmp: BTreeMap<char, u16> = [('营', 3)].into_iter().collect();
        let table = cmap(&bmp).unwrap();
        assert_eq!(
            ttf_parser::cmap::Table::parse(&table)
                .unwrap()
                .subtables
                .len(),
            1
        );
    }

    #[test]
    fn too_many_segments_for_format_4_are_refused() {
        // Every other code point, each its own segment.
        let map: BTreeMap<char, u16> = (0..9000u32)
            .filter_map(|i| char::from_u32(0x4E00 + 2 * i).map(|c| (c, 1)))
            .collect();
        assert!(matches!(cmap(&map), Err(Error::Invalid(_))));
    }

    #[test]
    fn a_truncated_table_directory_is_an_error() {
        let mut font = vec![0, 1, 0, 0, 0, 2, 0, 32, 0, 1, 0, 0];
        font.extend_from_slice(b"head\0\0\0\0\0\0\0\x40\0\0\0\x40");
        assert!(with_tables(&font, &[]).is_err());
        assert!(with_tables(&[0, 1], &[]).is_err());
    }
}
