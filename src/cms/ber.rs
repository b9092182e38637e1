//! BER to DER (X.690 clauses 8 and 10) for a CMS `ContentInfo`: RFC 5652 lets a signer
//! write BER outside the signed attributes (indefinite lengths, strings in constructed
//! pieces), and smart cards, Java and older Adobe signers do.
//!
//! [`to_der`] re-encodes one element without knowing its ASN.1: definite minimal lengths,
//! constructed `OCTET STRING`, `BIT STRING` and character strings joined into one
//! primitive string, `BOOLEAN` TRUE as `0xFF`. An element already in DER comes back byte
//! for byte. Nesting is limited to [`MAX_DEPTH`]; the output is at most 1.5 times the
//! input (an indefinite length costs 4 bytes, its definite one at most 6).

use std::fmt;

/// The deepest nesting accepted (a CMS `SignedData` with certificates nests about 12 deep).
pub const MAX_DEPTH: usize = 48;

/// Why an encoding is not BER, with the offset of the offending element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BerError {
    /// The offset of the element in the input.
    pub offset: usize,
    /// What is wrong.
    pub detail: &'static str,
}

impl fmt::Display for BerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BER: {} at offset {}", self.detail, self.offset)
    }
}

impl std::error::Error for BerError {}

/// The DER of the one BER element at the start of `input` and the number of input bytes
/// it took.
pub fn to_der(input: &[u8]) -> Result<(Vec<u8>, usize), BerError> {
    let mut reader = Reader { input, pos: 0 };
    let element = reader.element(0)?;
    let mut out = Vec::with_capacity(reader.pos);
    element.write(&mut out);
    Ok((out, reader.pos))
}

/// An element read, its contents already in DER.
enum Element {
    /// Identifier octets and DER contents.
    Whole {
        identifier: Vec<u8>,
        contents: Vec<u8>,
    },
    /// The end-of-contents marker of an indefinite length.
    EndOfContents,
}

impl Element {
    fn write(&self, out: &mut Vec<u8>) {
        if let Element::Whole {
            identifier,
            contents,
        } = self
        {
            out.extend_from_slice(identifier);
            write_length(contents.len(), out);
            out.extend_from_slice(contents);
        }
    }
}

/// X.690 clause 10.1: the definite form, in as few octets as possible.
fn write_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Universal tags that a BER sender may split into constructed pieces (X.690 clause
/// 8.23.6): `OCTET STRING`, `ObjectDescriptor`, `UTF8String` and the restricted and
/// other character strings, `UTCTime`, `GeneralizedTime`. `BIT STRING` has its own rule.
fn is_string(tag: u8) -> bool {
    matches!(tag, 4 | 7 | 12 | 18..=30)
}

const BIT_STRING: u8 = 3;

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, offset: usize, detail: &'static str) -> BerError {
        BerError { offset, detail }
    }

    fn byte(&mut self) -> Result<u8, BerError> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or_else(|| self.error(self.pos, "truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    /// One element at `self.pos`, `depth` elements deep.
    fn element(&mut self, depth: usize) -> Result<Element, BerError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.error(start, "nested too deeply"));
        }
        let first = self.byte()?;
        let mut identifier = vec![first];
        if first & 0x1f == 0x1f {
            // X.690 clause 8.1.2.4: base 128, no leading 0x80; eseal reads up to 4 octets.
            loop {
                let b = self.byte()?;
                if identifier.len() == 1 && b == 0x80 {
                    return Err(self.error(start, "tag number with a leading zero"));
                }
                identifier.push(b);
                if b & 0x80 == 0 {
                    break;
                }
                if identifier.len() > 4 {
                    return Err(self.error(start, "tag number too large"));
                }
            }
        }
        let constructed = first & 0x20 != 0;
        let universal = first & 0xc0 == 0;
        let tag = first & 0x1f;
        let length = self.length(start)?;
        if first == 0 {
            return match length {
                Some(0) => Ok(Element::EndOfContents),
                _ => Err(self.error(start, "end-of-contents with a length")),
            };
        }
        let contents = match (constructed, length) {
            (false, None) => {
                return Err(self.error(start, "indefinite length on a primitive element"));
            }
            (false, Some(len)) => {
                let end = self
                    .pos
                    .checked_add(len)
                    .filter(|end| *end <= self.input.len())
                    .ok_or_else(|| self.error(start, "length beyond the input"))?;
                let value = self.input.get(self.pos..end).unwrap_or_default();
                self.pos = end;
                if universal && tag == 1 && value.len() == 1 && value != [0] {
                    vec![0xff]
                } else {
                    value.to_vec()
                }
            }
            (true, length) => {
                let children = self.children(start, length, depth)?;
                if universal && (is_string(tag) || tag == BIT_STRING) {
                    identifier[0] &= !0x20;
                    join_string(tag, &children).map_err(|detail| self.error(start, detail))?
                } else {
                    children
                        .iter()
                        .flat_map(|c| {
                            let mut out = Vec::new();
                            c.write(&mut out);
                            out
                        })
                        .collect()
                }
            }
        };
        Ok(Element::Whole {
            identifier,
            contents,
        })
    }

    /// The length octets: `None` for the indefinite form (X.690 clause 8.1.3).
    fn length(&mut self, start: usize) -> Result<Option<usize>, BerError> {
        let first = self.byte()?;
        match first {
            0x80 => Ok(None),
            n if n < 0x80 => Ok(Some(usize::from(n))),
            0xff => Err(self.error(start, "reserved length octet")),
            n => {
                let count = usize::from(n & 0x7f);
                let mut len: usize = 0;
                for _ in 0..count {
                    let b = self.byte()?;
                    len = len
                        .checked_mul(256)
                        .and_then(|l| l.checked_add(usize::from(b)))
                        .filter(|l| *l <= self.input.len())
                        .ok_or_else(|| self.error(start, "length beyond the input"))?;
                }
                Ok(Some(len))
            }
        }
    }

    /// The elements inside a constructed element: up to `length` bytes, or up to the
    /// end-of-contents for an indefinite length.
    fn children(
        &mut self,
        start: usize,
        length: Option<usize>,
        depth: usize,
    ) -> Result<Vec<Element>, BerError> {
        let end = match length {
            Some(len) => Some(
                self.pos
                    .checked_add(len)
                    .filter(|end| *end <= self.input.len())
                    .ok_or_else(|| self.error(start, "length beyond the input"))?,
            ),
            None => None,
        };
        let mut children = Vec::new();
        loop {
            if let Some(end) = end {
                if self.pos == end {
                    return Ok(children);
                }
                let child_start = self.pos;
                let child = self.element(depth + 1)?;
                if self.pos > end {
                    return Err(self.error(child_start, "element overruns its parent"));
                }
                if matches!(child, Element::EndOfContents) {
                    return Err(self.error(child_start, "end-of-contents in a definite length"));
                }
                children.push(child);
            } else {
                match self.element(depth + 1)? {
                    Element::EndOfContents => return Ok(children),
                    child => children.push(child),
                }
            }
        }
    }
}

/// The contents of a primitive string made of the pieces of a constructed one (X.690
/// clauses 8.6.4 and 8.7.3): each piece a string of the same type, a `BIT STRING`'s
/// unused bits only in its last piece.
fn join_string(tag: u8, pieces: &[Element]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    let mut unused = 0u8;
    if tag == BIT_STRING {
        out.push(0);
    }
    for piece in pieces {
        let Element::Whole {
            identifier,
            contents,
        } = piece
        else {
            return Err("end-of-contents inside a string");
        };
        // Nested constructed pieces were joined already: the identifier is primitive.
        if identifier.as_slice() != [tag] {
            return Err("a string piece of another type");
        }
        if tag == BIT_STRING {
            let (&bits, data) = contents.split_first().ok_or("an empty BIT STRING piece")?;
            if unused != 0 {
                return Err("unused bits before the last BIT STRING piece");
            }
            if bits > 7 || (bits != 0 && data.is_empty()) {
                return Err("a BIT STRING piece with bad unused bits");
            }
            unused = bits;
            out.extend_from_slice(data);
        } else {
            out.extend_from_slice(contents);
        }
    }
    if let Some(first) = out.first_mut().filter(|_| tag == BIT_STRING) {
        *first = unused;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(input: &[u8]) -> Vec<u8> {
        let (out, used) = to_der(input).unwrap();
        assert_eq!(used, input.len());
        out
    }

    #[test]
    fn der_comes_back_unchanged() {
        let input = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert_eq!(der(&input), input);
    }

    #[test]
    fn indefinite_lengths_and_pieces_become_der() {
        // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" },
        // BIT STRING (constructed) { 00 ff, 04 f0 }, BOOLEAN 01, INTEGER with a long length }
        let input = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x23,
            0x08, 0x03, 0x02, 0x00, 0xff, 0x03, 0x02, 0x04, 0xf0, 0x01, 0x01, 0x01, 0x02, 0x81,
            0x01, 0x07, 0x00, 0x00,
        ];
        assert_eq!(
            der(&input),
            [
                0x30, 0x10, 0x04, 0x03, b'a', b'b', b'c', 0x03, 0x03, 0x04, 0xff, 0xf0, 0x01, 0x01,
                0xff, 0x02, 0x01, 0x07
            ]
        );
    }

    #[test]
    fn trailing_bytes_are_left() {
        let (out, used) = to_der(&[0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!((out, used), (vec![0x30, 0x02, 0x05, 0x00], 6));
    }

    #[test]
    fn malformed_input_is_refused() {
        for bad in [
            &[0x30, 0x80, 0x05, 0x00][..],                     // no end-of-contents
            &[0x04, 0x80, 0x00, 0x00],                         // primitive, indefinite
            &[0x30, 0x03, 0x00, 0x00, 0x05],                   // end-of-contents, definite
            &[0x24, 0x03, 0x02, 0x01, 0x00],                   // an INTEGER piece
            &[0x23, 0x06, 0x03, 0x02, 0x04, 0xf0, 0x03, 0x00], // unused bits, then a piece
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],             // length beyond the input
            &[0x1f, 0x80, 0x01, 0x00],                         // tag with a leading zero
            &[0x30, 0xff],                                     // reserved length
            &[],
        ] {
            assert!(to_der(bad).is_err(), "{bad:02x?}");
        }
    }

    #[test]
    fn every_flipped_byte_converts_or_errors_and_der_is_a_fixed_point() {
        let input = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x23,
            0x08, 0x03, 0x02, 0x00, 0xff, 0x03, 0x02, 0x04, 0xf0, 0xbf, 0x81, 0x00, 0x80, 0x01,
            0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
        ];
        for i in 0..input.len() {
            for bit in 0..8 {
                let mut flipped = input;
                flipped[i] ^= 1 << bit;
                for end in [flipped.len(), i] {
                    if let Ok((out, used)) = to_der(&flipped[..end]) {
                        assert!(out.len() <= used + used / 2);
                        assert_eq!(to_der(&out), Ok((out.clone(), out.len())));
                    }
                }
            }
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = Vec::new();
        for _ in 0..=MAX_DEPTH + 1 {
            deep.extend([0x30, 0x80]);
        }
        for _ in 0..=MAX_DEPTH + 1 {
            deep.extend([0x00, 0x00]);
        }
        assert_eq!(to_der(&deep).unwrap_err().detail, "nested too deeply");
    }
}
