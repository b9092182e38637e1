//! Where text sits on an OFD page (GB/T 33190 clause 11): enough of a page's `Content.xml`
//! to find a keyword for seal placement.
//!
//! Every `TextObject` gives its glyphs' positions: `Boundary` origin + `TextCode` `X`/`Y`
//! advanced by `DeltaX` (with the `g N d` repetition of clause 11.3), transformed by the
//! object's `CTM` when it has one. A keyword may run across `TextCode`s and objects (many
//! producers write one object per character); its place is the centre of its glyphs.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::xml::numbers;
use crate::error::{Error, Result};

/// One glyph: its character and the centre of its box, in mm (page space, y down).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Glyph {
    c: char,
    x: f64,
    y: f64,
}

/// The most glyphs read from one page.
const MAX_GLYPHS: usize = 1 << 20;

fn malformed(path: &str, detail: impl std::fmt::Display) -> Error {
    Error::malformed("OFD page content", format!("{path}: {detail}"))
}

/// The `DeltaX` list with `g N d` expanded, at most `limit` entries.
fn deltas(text: &str, limit: usize) -> Vec<f64> {
    let mut out = Vec::new();
    let mut tokens = text.split_ascii_whitespace();
    while let Some(token) = tokens.next() {
        if out.len() >= limit {
            break;
        }
        if token == "g" {
            let count: usize = tokens.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let value: f64 = tokens.next().and_then(|n| n.parse().ok()).unwrap_or(0.0);
            out.extend(std::iter::repeat_n(value, count.min(limit - out.len())));
        } else if let Ok(value) = token.parse() {
            out.push(value);
        }
    }
    out
}

fn attribute(element: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The current text object's geometry.
#[derive(Default)]
struct TextObject {
    origin: [f64; 2],
    size: f64,
    ctm: Option<[f64; 6]>,
}

impl TextObject {
    fn place(&self, x: f64, y: f64) -> (f64, f64) {
        let (x, y) = match self.ctm {
            Some([a, b, c, d, e, f]) => (a * x + c * y + e, b * x + d * y + f),
            None => (x, y),
        };
        (self.origin[0] + x, self.origin[1] + y)
    }
}

/// The `TextCode` being read: its start, advances, and how far it has come.
struct TextCode {
    x: f64,
    y: f64,
    delta: Vec<f64>,
    index: usize,
    advance: f64,
}

impl TextCode {
    fn push(&mut self, object: &TextObject, text: &str, out: &mut Vec<Glyph>) -> bool {
        let size = object.size;
        for c in text.chars() {
            if out.len() >= MAX_GLYPHS {
                return false;
            }
            let (x, y) = object.place(self.x + self.advance + size / 2.0, self.y - size / 2.0);
            out.push(Glyph { c, x, y });
            self.advance += self.delta.get(self.index).copied().unwrap_or(size);
            self.index += 1;
        }
        true
    }
}

/// The glyphs of a page's content, in document order.
fn glyphs(content: &[u8], path: &str) -> Result<Vec<Glyph>> {
    let mut reader = Reader::from_reader(content);
    let mut object: Option<TextObject> = None;
    let mut code: Option<TextCode> = None;
    let mut out = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(path, format!("at byte {}: {e}", reader.error_position())))?;
        let text = match event {
            Event::Start(e) | Event::Empty(e) => {
                match e.local_name().as_ref() {
                    b"TextObject" => {
                        let boundary = attribute(&e, b"Boundary").and_then(|b| numbers(&b));
                        let origin = match boundary.as_deref() {
                            Some([x, y, ..]) => [*x, *y],
                            _ => [0.0, 0.0],
                        };
                        let ctm = attribute(&e, b"CTM")
                            .and_then(|c| numbers(&c))
                            .and_then(|c| <[f64; 6]>::try_from(c).ok());
                        let size = attribute(&e, b"Size")
                            .and_then(|s| s.trim().parse().ok())
                            .unwrap_or(3.5);
                        object = Some(TextObject { origin, size, ctm });
                    }
                    b"TextCode" if object.is_some() => {
                        let number = |name| attribute(&e, name).and_then(|v| v.trim().parse().ok());
                        code = Some(TextCode {
                            x: number(b"X").unwrap_or(0.0),
                            y: number(b"Y").unwrap_or(0.0),
                            delta: attribute(&e, b"DeltaX")
                                .map(|d| deltas(&d, MAX_GLYPHS))
                                .unwrap_or_default(),
                            index: 0,
                            advance: 0.0,
                        });
                    }
                    _ => {}
                }
                continue;
            }
            Event::Text(text) => text.decode().map(|t| t.into_owned()).ok(),
            Event::CData(text) => text.decode().map(|t| t.into_owned()).ok(),
            Event::GeneralRef(reference) => match reference.resolve_char_ref() {
                Ok(Some(c)) => Some(c.to_string()),
                _ => reference
                    .decode()
                    .ok()
                    .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name))
                    .map(str::to_string),
            },
            Event::End(e) => {
                match e.local_name().as_ref() {
                    b"TextObject" => object = None,
                    b"TextCode" => code = None,
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if let (Some(object), Some(code), Some(text)) = (&object, &mut code, text)
            && !code.push(object, &text, &mut out)
        {
            return Err(malformed(path, "too many glyphs"));
        }
    }
    Ok(out)
}

/// The centres (mm, page space) of the occurrences of `keyword` in the page content
/// `content`, in order; whitespace between glyphs is ignored.
pub fn keyword_centres(content: &[u8], path: &str, keyword: &str) -> Result<Vec<(f64, f64)>> {
    let wanted: Vec<char> = keyword.chars().filter(|c| !c.is_whitespace()).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let glyphs: Vec<Glyph> = glyphs(content, path)?
        .into_iter()
        .filter(|g| !g.c.is_whitespace())
        .collect();
    let n = wanted.len() as f64;
    Ok(glyphs
        .windows(wanted.len())
        .filter(|window| window.iter().map(|g| g.c).eq(wanted.iter().copied()))
        .map(|window| {
            (
                window.iter().map(|g| g.x).sum::<f64>() / n,
                window.iter().map(|g| g.y).sum::<f64>() / n,
            )
        })
        .collect())
}

/// The `TemplateID`s of the `Template` elements of a page's `Content.xml` (GB/T 33190
/// clause 7.7, `CT_Page`: `<ofd:Template TemplateID="2" ZOrder="Background"/>`), in order.
pub fn page_templates(content: &[u8], path: &str) -> Result<Vec<String>> {
    let mut reader = Reader::from_reader(content);
    let mut depth = 0usize;
    let mut ids = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(path, format!("at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(e) => {
                if depth == 1 && e.local_name().as_ref() == b"Template" {
                    ids.extend(attribute(&e, b"TemplateID").map(|id| id.trim().to_string()));
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == b"Template" => {
                ids.extend(attribute(&e, b"TemplateID").map(|id| id.trim().to_string()));
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="2">
<ofd:TextObject ID="3" Boundary="10 20 100 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5" DeltaX="g 3 5">营业执照</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="5" Boundary="30 60 10 10" Font="4" Size="4"><ofd:TextCode X="0" Y="4">发</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="6" Boundary="34 60 10 10" Font="4" Size="4"><ofd:TextCode X="0" Y="4">证机关</ofd:TextCode></ofd:TextObject>
</ofd:Layer></ofd:Content></ofd:Page>"#;

    #[test]
    fn keywords_are_found_within_and_across_text_objects() {
        let centres = |keyword| keyword_centres(PAGE.as_bytes(), "p", keyword).unwrap();
        assert_eq!(centres("执照"), [(10.0 + (12.5 + 17.5) / 2.0, 20.0 + 2.5)]);
        assert_eq!(centres("发证"), [((32.0 + 36.0) / 2.0, 62.0)]);
        assert_eq!(centres("证照"), []);
    }

    #[test]
    fn templates_are_the_pages_own_template_elements() {
        let page = br#"<ofd:Page xmlns:ofd="u"><ofd:Template TemplateID=" 2 " ZOrder="Background"/><ofd:Template TemplateID="7"></ofd:Template><ofd:Content><ofd:Template TemplateID="9"/></ofd:Content></ofd:Page>"#;
        assert_eq!(page_templates(page, "p").unwrap(), ["2", "7"]);
        assert!(page_templates(PAGE.as_bytes(), "p").unwrap().is_empty());
    }

    #[test]
    fn delta_repetition_is_bounded() {
        assert_eq!(deltas("1 g 2 3 4", 10), [1.0, 3.0, 3.0, 4.0]);
        assert_eq!(deltas("g 999999999999 1", 5).len(), 5);
    }
}
