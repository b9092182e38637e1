//! Tokens of content streams and CMaps (ISO 32000-1 clause 7.8.2), inline images skipped.

use crate::pdf::object::Object;
use crate::pdf::parser::{Parser, is_delimiter, is_whitespace};

/// A token of a content stream.
pub(super) enum Token<'a> {
    Operand(Object),
    Operator(&'a [u8]),
}

/// Splits content into operands (read by [`Parser::value`]) and operator keywords.
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    parser: Parser<'a>,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Lexer {
            data,
            parser: Parser::new(data, 0),
        }
    }

    /// The next token; `None` at the end or at a syntax error.
    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
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
    pub(super) fn skip_inline_image(&mut self) -> bool {
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
pub(super) fn inline_image_length(entries: &[Object]) -> Option<usize> {
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
