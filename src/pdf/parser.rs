//! The PDF lexer and object parser (ISO 32000-1 clauses 7.2 and 7.3), strict about nesting
//! and lengths so that hostile input costs bounded time and memory.

use super::object::{Dict, ObjRef, Object, Stream};
use crate::error::{Error, Result};

/// Deepest nesting of arrays and dictionaries accepted.
const MAX_DEPTH: usize = 64;

/// Whether `b` is PDF white space (ISO 32000-1 Table 1).
pub fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// Whether `b` is a PDF delimiter (ISO 32000-1 Table 2).
pub fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn malformed(detail: impl ToString) -> Error {
    Error::malformed("PDF", detail)
}

/// A cursor over PDF bytes, or over a window of a file's bytes that starts at a known
/// offset: positions are always offsets in the file.
pub struct Parser<'a> {
    data: &'a [u8],
    /// The file offset of `data[0]`.
    base: usize,
    /// The current offset.
    pub pos: usize,
    /// Whether a read went past the end of `data`.
    ran_out: std::cell::Cell<bool>,
}

/// What [`Parser::object_head`] finds: a whole object, or a stream whose data starts at
/// `start` with the `/Length` it declares (resolved when indirect), not yet read.
pub enum Head {
    /// An object that is not a stream.
    Value(Object),
    /// A stream's dictionary, the offset of its data and its declared length.
    Stream {
        /// The stream dictionary.
        dict: Dict,
        /// The offset of the first byte of data.
        start: usize,
        /// `/Length`, when it is a non-negative integer or resolves to one.
        declared: Option<u64>,
    },
}

impl<'a> Parser<'a> {
    /// A parser at `pos` of `data`.
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Self::window(data, 0, pos)
    }

    /// A parser at file offset `pos` of `window`, the file's bytes from offset `base` on.
    pub fn window(window: &'a [u8], base: usize, pos: usize) -> Self {
        Parser {
            data: window,
            base,
            pos,
            ran_out: std::cell::Cell::new(false),
        }
    }

    /// Whether the parser tried to read past the end of its bytes: with a window that does
    /// not reach the end of the file, a larger window may parse differently.
    pub fn ran_out(&self) -> bool {
        self.ran_out.get()
    }

    /// The byte at file offset `at`.
    fn byte(&self, at: usize) -> Option<u8> {
        let b = at
            .checked_sub(self.base)
            .and_then(|i| self.data.get(i))
            .copied();
        if b.is_none() {
            self.ran_out.set(true);
        }
        b
    }

    /// The bytes from file offset `at` to the end of the window.
    fn rest(&self, at: usize) -> &'a [u8] {
        let i = at.saturating_sub(self.base).min(self.data.len());
        &self.data[i..]
    }

    fn peek(&self) -> Option<u8> {
        self.byte(self.pos)
    }

    /// Skips white space and comments.
    pub fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Whether the bytes at the current offset start with `literal`.
    pub fn starts_with(&self, literal: &[u8]) -> bool {
        literal
            .iter()
            .enumerate()
            .all(|(i, b)| self.byte(self.pos + i) == Some(*b))
    }

    /// Whether at least `n` bytes follow the current offset.
    pub fn has_bytes(&self, n: usize) -> bool {
        n == 0 || self.byte(self.pos + n - 1).is_some()
    }

    /// Whether `literal` follows after white space (not comments), as `endstream` follows a
    /// stream's data; consumes the white space.
    pub fn followed_by(&mut self, literal: &[u8]) -> bool {
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
        self.starts_with(literal)
    }

    /// Reads a regular-character token (keyword or number) without consuming white space first.
    fn token(&mut self) -> &'a [u8] {
        self.pos = self.pos.clamp(self.base, self.base + self.data.len());
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
        &self.data[start - self.base..self.pos - self.base]
    }

    /// Consumes `keyword` (after white space) or fails.
    pub fn expect_keyword(&mut self, keyword: &[u8]) -> Result<()> {
        self.skip_whitespace();
        let at = self.pos;
        if self.token() == keyword {
            Ok(())
        } else {
            Err(malformed(format!(
                "expected `{}` at offset {at}",
                String::from_utf8_lossy(keyword)
            )))
        }
    }

    /// Whether `keyword` comes next (after white space); consumes it if so.
    pub fn eat_keyword(&mut self, keyword: &[u8]) -> bool {
        let save = self.pos;
        self.skip_whitespace();
        if self.token() == keyword {
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Reads an unsigned integer token.
    pub fn unsigned(&mut self) -> Result<u64> {
        self.skip_whitespace();
        let at = self.pos;
        let token = self.token();
        if token.is_empty() || !token.iter().all(u8::is_ascii_digit) || token.len() > 18 {
            return Err(malformed(format!(
                "expected an unsigned integer at offset {at}"
            )));
        }
        Ok(token.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
    }

    /// Reads `num gen obj` and returns the reference.
    pub fn object_header(&mut self) -> Result<ObjRef> {
        let num = self.unsigned()?;
        let generation = self.unsigned()?;
        self.expect_keyword(b"obj")?;
        Ok(ObjRef {
            num: u32::try_from(num).map_err(|_| malformed("object number too large"))?,
            generation: u16::try_from(generation)
                .map_err(|_| malformed("generation number too large"))?,
        })
    }

    /// Reads one object. `stream_length` resolves an indirect `/Length`; a stream whose
    /// length is unknown is cut at the next `endstream`.
    pub fn object(&mut self, stream_length: &dyn Fn(ObjRef) -> Option<u64>) -> Result<Object> {
        let (dict, start, declared) = match self.object_head(stream_length)? {
            Head::Value(object) => return Ok(object),
            Head::Stream {
                dict,
                start,
                declared,
            } => (dict, start, declared),
        };
        let end = match declared.and_then(|n| usize::try_from(n).ok()) {
            Some(n) if ends_stream_at(self.rest(start), n) => start + n,
            _ => start + endstream_in(self.rest(start), start)?,
        };
        self.pos = end;
        self.expect_keyword(b"endstream")?;
        Ok(Object::Stream(Stream {
            dict,
            data: self.data[start - self.base..end - self.base].to_vec(),
            deferred: None,
        }))
    }

    /// Reads one object up to the start of a stream's data, if it is a stream.
    pub fn object_head(&mut self, stream_length: &dyn Fn(ObjRef) -> Option<u64>) -> Result<Head> {
        let object = self.value(0)?;
        let Object::Dict(dict) = object else {
            return Ok(Head::Value(object));
        };
        let save = self.pos;
        if !self.eat_keyword(b"stream") {
            self.pos = save;
            return Ok(Head::Value(Object::Dict(dict)));
        }
        // EOL after `stream`: CRLF or LF (a lone CR is tolerated).
        match (self.peek(), self.byte(self.pos + 1)) {
            (Some(b'\r'), Some(b'\n')) => self.pos += 2,
            (Some(b'\n' | b'\r'), _) => self.pos += 1,
            _ => {}
        }
        let declared = match dict.get(b"Length") {
            Some(Object::Int(n)) => u64::try_from(*n).ok(),
            Some(Object::Ref(r)) => stream_length(*r),
            _ => None,
        };
        Ok(Head::Stream {
            dict,
            start: self.pos,
            declared,
        })
    }

    /// Reads a direct value (no stream), `depth` levels deep.
    pub fn value(&mut self, depth: usize) -> Result<Object> {
        if depth > MAX_DEPTH {
            return Err(malformed("objects nested too deeply"));
        }
        self.skip_whitespace();
        let at = self.pos;
        let Some(b) = self.peek() else {
            return Err(malformed("unexpected end of file"));
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.name_body()))
            }
            b'(' => self.literal_string(),
            b'<' if self.byte(self.pos + 1) == Some(b'<') => {
                self.pos += 2;
                self.dict_body(depth).map(Object::Dict)
            }
            b'<' => self.hex_string(),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        None => return Err(malformed("unterminated array")),
                        _ => items.push(self.value(depth + 1)?),
                    }
                }
            }
            _ => {
                let token = self.token();
                match token {
                    b"null" => Ok(Object::Null),
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    [] => Err(malformed(format!(
                        "unexpected `{}` at offset {at}",
                        char::from(b)
                    ))),
                    _ => self.number_or_ref(token, at),
                }
            }
        }
    }

    fn number_or_ref(&mut self, token: &[u8], at: usize) -> Result<Object> {
        let number = parse_number(token)
            .ok_or_else(|| malformed(format!("unexpected token at offset {at}")))?;
        if let Object::Int(num) = number
            && num >= 0
        {
            let save = self.pos;
            self.skip_whitespace();
            let gen_token = self.token();
            if let Some(Object::Int(generation)) = parse_number(gen_token)
                && generation >= 0
                && !gen_token.starts_with(b"+")
            {
                self.skip_whitespace();
                if self.peek() == Some(b'R') {
                    let after = self.byte(self.pos + 1);
                    if after.is_none_or(|c| is_whitespace(c) || is_delimiter(c)) {
                        self.pos += 1;
                        return Ok(Object::Ref(ObjRef {
                            num: u32::try_from(num)
                                .map_err(|_| malformed("object number too large"))?,
                            generation: u16::try_from(generation)
                                .map_err(|_| malformed("generation number too large"))?,
                        }));
                    }
                }
            }
            self.pos = save;
        }
        Ok(number)
    }

    fn dict_body(&mut self, depth: usize) -> Result<Dict> {
        let mut entries = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'>') if self.byte(self.pos + 1) == Some(b'>') => {
                    self.pos += 2;
                    return Ok(Dict(entries));
                }
                Some(b'/') => {
                    self.pos += 1;
                    let key = self.name_body();
                    let value = self.value(depth + 1)?;
                    entries.push((key, value));
                }
                None => return Err(malformed("unterminated dictionary")),
                Some(_) => {
                    return Err(malformed(format!(
                        "dictionary key expected at offset {}",
                        self.pos
                    )));
                }
            }
        }
    }

    fn name_body(&mut self) -> Vec<u8> {
        let raw = self.token();
        let mut name = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'#'
                && let Some(v) = raw.get(i + 1..i + 3).and_then(hex_byte)
            {
                name.push(v);
                i += 3;
                continue;
            }
            name.push(raw[i]);
            i += 1;
        }
        name
    }

    fn hex_string(&mut self) -> Result<Object> {
        let start = self.pos;
        let body = self.rest(start + 1);
        let Some(len) = memchr::memchr(b'>', body) else {
            self.ran_out.set(true);
            return Err(malformed("unterminated hex string"));
        };
        let mut bytes = Vec::with_capacity(len / 2 + 1);
        let mut high = None;
        for &b in &body[..len] {
            let nibble = match hex_digit(b) {
                Some(nibble) => nibble,
                None if is_whitespace(b) => continue,
                None => return Err(malformed(format!("bad hex string at offset {start}"))),
            };
            match high.take() {
                Some(high) => bytes.push(high << 4 | nibble),
                None => high = Some(nibble),
            }
        }
        // An odd last digit is followed by an implied 0 (ISO 32000-1 clause 7.3.4.3).
        if let Some(high) = high {
            bytes.push(high << 4);
        }
        self.pos = start + 1 + len + 1;
        Ok(Object::String { bytes, hex: true })
    }

    fn literal_string(&mut self) -> Result<Object> {
        self.pos += 1;
        let mut bytes = Vec::new();
        let mut open = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(malformed("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    open += 1;
                    bytes.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Ok(Object::String { bytes, hex: false });
                    }
                    bytes.push(b);
                }
                b'\\' => self.escape(&mut bytes),
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    bytes.push(b'\n');
                }
                _ => bytes.push(b),
            }
        }
    }

    fn escape(&mut self, bytes: &mut Vec<u8>) {
        let Some(c) = self.peek() else { return };
        self.pos += 1;
        match c {
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'b' => bytes.push(8),
            b'f' => bytes.push(12),
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                bytes.push((v & 0xff) as u8);
            }
            _ => bytes.push(c),
        }
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    Some(hex_digit(*pair.first()?)? << 4 | hex_digit(*pair.get(1)?)?)
}

fn parse_number(token: &[u8]) -> Option<Object> {
    let text = std::str::from_utf8(token).ok()?;
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if !body.contains('.') {
        return text.parse::<i64>().ok().map(Object::Int);
    }
    if body.matches('.').count() > 1 {
        return None;
    }
    let normalised = if body == "." {
        "0".to_string()
    } else {
        text.to_string()
    };
    normalised.parse::<f64>().ok().map(Object::Real)
}

/// Whether `data` (a stream's data and what follows) has `endstream` after `len` bytes
/// and white space.
pub fn ends_stream_at(data: &[u8], len: usize) -> bool {
    let Some(rest) = data.get(len..) else {
        return false;
    };
    let skipped = rest.iter().take_while(|b| is_whitespace(**b)).count();
    rest[skipped..].starts_with(b"endstream")
}

/// The length of a stream's data cut at the first `endstream` in `data` (the stream's data
/// and what follows, from file offset `start`), without the end-of-line before it.
pub fn endstream_in(data: &[u8], start: usize) -> Result<usize> {
    let at = memfind(data, b"endstream")
        .ok_or_else(|| malformed(format!("stream at offset {start} has no endstream")))?;
    Ok(at - eol_before(&data[..at]))
}

/// The length of the end-of-line (LF, CRLF or CR) that ends `data`: it belongs to the
/// syntax before `endstream`, not to the data.
pub fn eol_before(data: &[u8]) -> usize {
    let mut n = 0;
    if data.ends_with(b"\n") {
        n += 1;
    }
    if data[..data.len() - n].ends_with(b"\r") {
        n += 1;
    }
    n
}

/// The offset of the first occurrence of `needle` in `haystack`.
pub fn memfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The offset of the last occurrence of `needle` in `haystack`.
pub fn memrfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Object {
        Parser::new(text.as_bytes(), 0).value(0).unwrap()
    }

    #[test]
    fn values() {
        assert_eq!(
            parse("12 0 R"),
            Object::Ref(ObjRef {
                num: 12,
                generation: 0
            })
        );
        assert_eq!(parse("-3"), Object::Int(-3));
        assert_eq!(parse("1.5"), Object::Real(1.5));
        assert_eq!(parse("/A#20B"), Object::Name(b"A B".to_vec()));
        assert_eq!(
            parse("(a\\(b\\)\\101)"),
            Object::String {
                bytes: b"a(b)A".to_vec(),
                hex: false
            }
        );
        assert_eq!(
            parse("<4E6F7>"),
            Object::String {
                bytes: vec![0x4e, 0x6f, 0x70],
                hex: true
            }
        );
        let d = parse("<< /Type /Sig /ByteRange [0 1 2 3] /X << /Y null >> >>");
        assert_eq!(d.as_dict().unwrap().name(b"Type"), Some(&b"Sig"[..]));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(100_000);
        assert!(Parser::new(text.as_bytes(), 0).value(0).is_err());
    }
}
