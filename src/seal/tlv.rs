//! A small, tolerant BER/DER TLV reader and a strict DER writer for the SES structures.
//!
//! SES files are verified over their bytes as they are, and real ones bend DER (explicit
//! `critical FALSE`, raw signatures, vendor-specific choices), so reading keeps every
//! element's exact slice; definite lengths only, sizes bounded by the input.

use crate::error::{Error, Result};

/// ASN.1 universal tags used by the SES structures.
pub(crate) mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const IA5_STRING: u8 = 0x16;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const CONTEXT_0: u8 = 0xa0;
}

/// One element: its tag byte, its contents and its whole encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

const WHAT: &str = "SES structure";

fn malformed(detail: impl ToString) -> Error {
    Error::malformed(WHAT, detail)
}

/// Reads one element from the front of `input`; returns it and the rest.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input
        .split_first()
        .ok_or_else(|| malformed("unexpected end of data"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed(format!("multi-byte tag 0x{tag:02x}")));
    }
    let (&first, mut rest) = rest
        .split_first()
        .ok_or_else(|| malformed("missing length"))?;
    let len = match first {
        0x80 => return Err(malformed("indefinite length")),
        n if n < 0x80 => usize::from(n),
        n => {
            let count = usize::from(n & 0x7f);
            if count > 4 || rest.len() < count {
                return Err(malformed("bad length"));
            }
            let (bytes, after) = rest.split_at(count);
            rest = after;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
    };
    if len > rest.len() {
        return Err(malformed(format!(
            "length {len} runs past the end ({} left)",
            rest.len()
        )));
    }
    let header = input.len() - rest.len();
    let (value, rest) = rest.split_at(len);
    Ok((
        Tlv {
            tag,
            value,
            raw: &input[..header + len],
        },
        rest,
    ))
}

/// Reads exactly one element filling `input`.
pub(crate) fn read_all(input: &[u8]) -> Result<Tlv<'_>> {
    let (tlv, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the structure",
            rest.len()
        )));
    }
    Ok(tlv)
}

impl<'a> Tlv<'a> {
    /// Checks the tag; `field` names the element in errors.
    pub fn expect(self, tag: u8, field: &str) -> Result<Self> {
        if self.tag != tag {
            return Err(malformed(format!(
                "{field}: tag 0x{:02x}, expected 0x{tag:02x}",
                self.tag
            )));
        }
        Ok(self)
    }

    /// The elements inside a constructed element.
    pub fn children(self) -> Result<Vec<Tlv<'a>>> {
        if self.tag & 0x20 == 0 {
            return Err(malformed(format!(
                "tag 0x{:02x} is not constructed",
                self.tag
            )));
        }
        let mut out = Vec::new();
        let mut rest = self.value;
        while !rest.is_empty() {
            let (tlv, after) = read(rest)?;
            out.push(tlv);
            rest = after;
        }
        Ok(out)
    }

    /// An INTEGER that fits in an `i64`.
    pub fn integer(self, field: &str) -> Result<i64> {
        let v = self.expect(tag::INTEGER, field)?.value;
        if v.is_empty() || v.len() > 8 {
            return Err(malformed(format!("{field}: integer of {} bytes", v.len())));
        }
        let init = if v[0] & 0x80 != 0 { -1i64 } else { 0 };
        Ok(v.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
    }

    /// A character string (IA5, Printable or UTF-8) as text.
    pub fn string(self, field: &str) -> Result<String> {
        if !matches!(
            self.tag,
            tag::IA5_STRING | tag::PRINTABLE_STRING | tag::UTF8_STRING
        ) {
            return Err(malformed(format!(
                "{field}: tag 0x{:02x} is not a string",
                self.tag
            )));
        }
        String::from_utf8(self.value.to_vec())
            .map_err(|_| malformed(format!("{field}: not valid text")))
    }

    /// The contents of a BIT STRING with no unused bits.
    pub fn bit_string(self, field: &str) -> Result<&'a [u8]> {
        let v = self.expect(tag::BIT_STRING, field)?.value;
        match v.split_first() {
            Some((0, bits)) => Ok(bits),
            _ => Err(malformed(format!("{field}: BIT STRING with unused bits"))),
        }
    }

    /// The contents of an OCTET STRING.
    pub fn octets(self, field: &str) -> Result<&'a [u8]> {
        Ok(self.expect(tag::OCTET_STRING, field)?.value)
    }

    /// An OBJECT IDENTIFIER in dotted form.
    pub fn oid(self, field: &str) -> Result<String> {
        let v = self.expect(tag::OID, field)?.value;
        der::asn1::ObjectIdentifier::from_bytes(v)
            .map(|o| o.to_string())
            .map_err(|e| malformed(format!("{field}: {e}")))
    }

    /// A GeneralizedTime or UTCTime as Unix seconds (UTC; fractions ignored).
    pub fn time(self, field: &str) -> Result<i64> {
        let text = std::str::from_utf8(self.value)
            .map_err(|_| malformed(format!("{field}: time is not text")))?;
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        let full = match (self.tag, digits.len()) {
            (tag::GENERALIZED_TIME, 14) => digits,
            (tag::GENERALIZED_TIME, 12) => format!("{digits}00"),
            (tag::UTC_TIME, 12 | 10) => {
                let yy: u32 = digits[..2].parse().unwrap_or(0);
                let century = if yy >= 50 { "19" } else { "20" };
                let secs = if digits.len() == 10 { "00" } else { "" };
                format!("{century}{digits}{secs}")
            }
            _ => return Err(malformed(format!("{field}: unreadable time `{text}`"))),
        };
        parse_compact_time(&full).ok_or_else(|| malformed(format!("{field}: bad time `{text}`")))
    }
}

/// `YYYYMMDDHHMMSS` (UTC) as Unix seconds.
pub(crate) fn parse_compact_time(s: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let month = time::Month::try_from(n(4..6)? as u8).ok()?;
    let date = time::Date::from_calendar_date(n(0..4)? as i32, month, n(6..8)? as u8).ok()?;
    let t = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8).ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp())
}

/// Encodes one DER element.
pub(crate) fn encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// A SEQUENCE of already-encoded elements.
pub(crate) fn sequence(elements: &[&[u8]]) -> Vec<u8> {
    encode(tag::SEQUENCE, &elements.concat())
}

/// A DER INTEGER.
pub(crate) fn integer(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    encode(tag::INTEGER, &bytes[start..])
}

/// A BIT STRING with no unused bits.
pub(crate) fn bit_string(bytes: &[u8]) -> Vec<u8> {
    encode(tag::BIT_STRING, &[&[0u8][..], bytes].concat())
}

/// An OBJECT IDENTIFIER from dotted text.
pub(crate) fn oid(dotted: &str) -> Result<Vec<u8>> {
    let oid = der::asn1::ObjectIdentifier::new(dotted)
        .map_err(|e| Error::Invalid(format!("OID {dotted}: {e}")))?;
    Ok(encode(tag::OID, oid.as_bytes()))
}

/// A GeneralizedTime `YYYYMMDDHHMMSSZ` of Unix seconds.
pub(crate) fn generalized_time(unix: i64) -> Result<Vec<u8>> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| Error::Invalid(format!("time {unix}: {e}")))?;
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Ok(encode(tag::GENERALIZED_TIME, text.as_bytes()))
}
