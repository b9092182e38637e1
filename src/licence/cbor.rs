//! The small CBOR subset (RFC 8949) the licence layers need (licence tokens, status list
//! tokens, trust lists, COSE headers): integers, byte and text strings, arrays, maps,
//! tags, `false`, `true` and `null`, with definite lengths only.
//!
//! Encoding is RFC 8949 clause 4.2.1 core deterministic encoding: shortest heads,
//! definite lengths, map keys sorted by their encoded bytes, no floats. Decoding accepts
//! only that encoding, so that a data item has one encoding: it rejects heads longer than
//! needed ([`is_shortest`]), map keys out of that order or repeated ([`key_follows`],
//! clause 5.6), indefinite lengths, floats, other simple values, tags other than
//! [`TAGS`] or inside an array or map, nesting deeper than [`MAX_DEPTH`] and trailing
//! bytes. [`Reader`] and [`decode_ref`] apply the same two functions as they read each
//! head and key: there is no second pass.

/// The deepest nesting of arrays, maps and tags accepted (LICENCE.md §3).
pub const MAX_DEPTH: usize = 16;

/// A decoded CBOR data item (RFC 8949 clause 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Major type 0: an unsigned integer.
    Uint(u64),
    /// Major type 1: the negative integer `-1 - n`.
    Nint(u64),
    /// Major type 2: a byte string.
    Bytes(Vec<u8>),
    /// Major type 3: a text string (UTF-8).
    Text(String),
    /// Major type 4: an array.
    Array(Vec<Value>),
    /// Major type 5: a map, in the order given.
    Map(Vec<(Value, Value)>),
    /// Major type 6: a tagged item.
    Tag(u64, Box<Value>),
    /// Simple values 20 and 21.
    Bool(bool),
    /// Simple value 22.
    Null,
}

impl Value {
    /// The integer `i` (major type 0 or 1).
    pub fn int(i: i64) -> Value {
        if i >= 0 {
            Value::Uint(i as u64)
        } else {
            Value::Nint((-1 - i) as u64)
        }
    }

    /// A text string.
    pub fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    /// The integer, if it is one that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Nint(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The text, if a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The bytes, if a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The entries, if a map.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// The tags the licence formats use, only ever around the outermost data item: COSE_Sign1
/// (18, RFC 9052 clause 4.2) and CWT (61, RFC 8392 clause 6).
pub const TAGS: [u64; 2] = [18, 61];

/// Whether the argument `n` of a head with additional information `ai` is written in its
/// shortest form (RFC 8949 clause 4.2.1: 0–23 in the initial byte, then the fewest of 1,
/// 2, 4 or 8 bytes).
pub fn is_shortest(ai: u8, n: u64) -> bool {
    match ai {
        24 => n >= 24,
        25 => n > 0xff,
        26 => n > 0xffff,
        27 => n > 0xffff_ffff,
        _ => true,
    }
}

/// Whether a map key encoded as `key` may follow the key encoded as `previous` (empty for
/// the first key): RFC 8949 clause 4.2.1 sorts keys by the bytewise lexicographic order of
/// their encodings, and strictly increasing keys cannot repeat (clause 5.6).
pub fn key_follows(previous: &[u8], key: &[u8]) -> bool {
    previous < key
}

/// Looks `key` up in map entries.
pub fn lookup<'a>(map: &'a [(Value, Value)], key: &Value) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A decoded CBOR data item whose strings borrow from the input: what a verifier reads
/// once and keeps only a few fields of ([`decode_ref`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// Major type 0: an unsigned integer.
    Uint(u64),
    /// Major type 1: the negative integer `-1 - n`.
    Nint(u64),
    /// Major type 2: a byte string.
    Bytes(&'a [u8]),
    /// Major type 3: a text string (UTF-8).
    Text(&'a str),
    /// Major type 4: an array.
    Array(Vec<ValueRef<'a>>),
    /// Major type 5: a map, in the order given.
    Map(Vec<(ValueRef<'a>, ValueRef<'a>)>),
    /// Major type 6: a tagged item.
    Tag(u64, Box<ValueRef<'a>>),
    /// Simple values 20 and 21.
    Bool(bool),
    /// Simple value 22.
    Null,
}

impl<'a> ValueRef<'a> {
    /// The integer `i` (major type 0 or 1).
    pub fn int(i: i64) -> ValueRef<'a> {
        if i >= 0 {
            ValueRef::Uint(i as u64)
        } else {
            ValueRef::Nint((-1 - i) as u64)
        }
    }

    /// The item with its strings copied.
    pub fn to_owned_value(&self) -> Value {
        match self {
            ValueRef::Uint(n) => Value::Uint(*n),
            ValueRef::Nint(n) => Value::Nint(*n),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::Text(t) => Value::Text((*t).to_owned()),
            ValueRef::Array(items) => {
                Value::Array(items.iter().map(Self::to_owned_value).collect())
            }
            ValueRef::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_owned_value(), v.to_owned_value()))
                    .collect(),
            ),
            ValueRef::Tag(tag, item) => Value::Tag(*tag, Box::new(item.to_owned_value())),
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Null => Value::Null,
        }
    }

    /// The integer, if it is one that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ValueRef::Uint(u) => i64::try_from(*u).ok(),
            ValueRef::Nint(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The text, if a text string.
    pub fn as_text(&self) -> Option<&'a str> {
        match self {
            ValueRef::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The bytes, if a byte string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            ValueRef::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The entries, if a map.
    pub fn as_map(&self) -> Option<&[(ValueRef<'a>, ValueRef<'a>)]> {
        match self {
            ValueRef::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if an array.
    pub fn as_array(&self) -> Option<&[ValueRef<'a>]> {
        match self {
            ValueRef::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Looks `key` up in borrowed map entries.
pub fn lookup_ref<'m, 'a>(
    map: &'m [(ValueRef<'a>, ValueRef<'a>)],
    key: &ValueRef<'_>,
) -> Option<&'m ValueRef<'a>> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A JSON value as CBOR (RFC 8949 clause 6.2): objects become maps with text keys,
/// integers integers; a JSON number that is not an integer is refused (no floats).
pub fn from_json(json: &serde_json::Value) -> Result<Value, String> {
    use serde_json::Value as J;
    Ok(match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Value::Uint(u),
            (None, Some(i)) => Value::int(i),
            _ => return Err(format!("{n} is not an integer")),
        },
        J::String(s) => Value::text(s),
        J::Array(items) => Value::Array(items.iter().map(from_json).collect::<Result<_, _>>()?),
        J::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Ok((Value::text(k), from_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// The JSON form of a CBOR item from [`from_json`]; byte strings, tags and maps with
/// non-text keys have none.
pub fn to_json(value: &Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Uint(u) => J::from(*u),
        Value::Nint(_) => J::from(value.as_i64().ok_or("integer out of range")?),
        Value::Text(t) => J::from(t.as_str()),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = k.as_text().ok_or("a map key is not text")?;
                    Ok((key.to_owned(), to_json(v)?))
                })
                .collect::<Result<_, String>>()?,
        ),
        Value::Bytes(_) | Value::Tag(..) => {
            return Err("byte strings and tags have no JSON form".into());
        }
    })
}

/// Writes an initial byte and argument in its shortest form (RFC 8949 clause 4.2.1).
pub fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Writes a byte string.
pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

/// Writes a text string.
pub fn text(out: &mut Vec<u8>, t: &str) {
    head(out, 3, t.len() as u64);
    out.extend_from_slice(t.as_bytes());
}

/// Writes `true` or `false` (simple values 21 and 20).
pub fn bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { 0xf5 } else { 0xf4 });
}

/// Writes the integer `i` (major type 0 or 1).
pub fn int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        head(out, 0, i as u64);
    } else {
        head(out, 1, !(i as u64));
    }
}

/// Encodes `value` deterministically; a map with two equal keys is an error.
pub fn encode(value: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_into(value, &mut out)?;
    Ok(out)
}

fn encode_into(value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        Value::Uint(n) => head(out, 0, *n),
        Value::Nint(n) => head(out, 1, *n),
        Value::Bytes(b) => bytes(out, b),
        Value::Text(t) => text(out, t),
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for item in items {
                encode_into(item, out)?;
            }
        }
        Value::Map(entries) => {
            let mut encoded = entries
                .iter()
                .map(|(k, v)| Ok((encode(k)?, encode(v)?)))
                .collect::<Result<Vec<_>, String>>()?;
            encoded.sort();
            if encoded.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err("duplicate map key".into());
            }
            head(out, 5, encoded.len() as u64);
            for (k, v) in encoded {
                out.extend_from_slice(&k);
                out.extend_from_slice(&v);
            }
        }
        Value::Tag(tag, item) => {
            head(out, 6, *tag);
            encode_into(item, out)?;
        }
        Value::Bool(b) => bool(out, *b),
        Value::Null => out.push(0xf6),
    }
    Ok(())
}

/// Decodes exactly one data item filling `input`.
pub fn decode(input: &[u8]) -> Result<Value, String> {
    decode_ref(input).map(|v| v.to_owned_value())
}

/// Decodes exactly one data item filling `input`, borrowing its strings.
pub fn decode_ref(input: &[u8]) -> Result<ValueRef<'_>, String> {
    let mut d = Decoder { buf: input, pos: 0 };
    let value = d.item(0, true)?;
    if d.pos != input.len() {
        return Err(format!("{} bytes after the data item", input.len() - d.pos));
    }
    Ok(value)
}

/// The most entries or items a one-pass reader takes in a nested map or array before it
/// leaves the input to [`decode_ref`].
pub const SMALL_MAP: u64 = 32;

/// A forward reader over CBOR data items for decoders that know the shape they expect:
/// each call reads one head, or one head and its string, and answers `None` for anything
/// else (wrong type, truncation, a head not in its shortest form, indefinite length, a
/// simple value or float), so that the caller can fall back to [`decode_ref`] for the
/// exact error. Heads, lengths and UTF-8 are checked as [`decode_ref`] checks them; key
/// order goes through [`Reader::key`]; nesting is the caller's.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    /// Whether every byte has been read.
    pub fn is_at_end(&self) -> bool {
        self.rest.is_empty()
    }

    /// The major type and argument of the next head (definite lengths only).
    fn any_head(&mut self) -> Option<(u8, u64)> {
        let (&initial, rest) = self.rest.split_first()?;
        let (major, ai) = (initial >> 5, initial & 0x1f);
        let (n, rest) = match ai {
            0..=23 => (u64::from(ai), rest),
            24 => rest
                .split_first_chunk::<1>()
                .map(|(b, r)| (u64::from(b[0]), r))?,
            25 => rest
                .split_first_chunk::<2>()
                .map(|(b, r)| (u64::from(u16::from_be_bytes(*b)), r))?,
            26 => rest
                .split_first_chunk::<4>()
                .map(|(b, r)| (u64::from(u32::from_be_bytes(*b)), r))?,
            27 => rest
                .split_first_chunk::<8>()
                .map(|(b, r)| (u64::from_be_bytes(*b), r))?,
            _ => return None,
        };
        if !is_shortest(ai, n) {
            return None;
        }
        self.rest = rest;
        Some((major, n))
    }

    /// A map key read by `read`, which must follow `previous` (the encoding of the key
    /// before it, empty for the first) by [`key_follows`]; `previous` then holds this
    /// key's encoding.
    pub fn key<T>(
        &mut self,
        previous: &mut &'a [u8],
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        let start = self.rest;
        let key = read(self)?;
        let encoded = &start[..start.len() - self.rest.len()];
        if !key_follows(previous, encoded) {
            return None;
        }
        *previous = encoded;
        Some(key)
    }

    fn head(&mut self, major: u8) -> Option<u64> {
        match self.any_head()? {
            (m, n) if m == major => Some(n),
            _ => None,
        }
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let (taken, rest) = self.rest.split_at_checked(n)?;
        self.rest = rest;
        Some(taken)
    }

    /// A map head: its number of entries.
    pub fn map(&mut self) -> Option<u64> {
        self.head(5)
    }

    /// An array head: its number of items.
    pub fn array(&mut self) -> Option<u64> {
        self.head(4)
    }

    /// A tag head: the tag number.
    pub fn tag(&mut self) -> Option<u64> {
        self.head(6)
    }

    /// An unsigned integer.
    pub fn uint(&mut self) -> Option<u64> {
        self.head(0)
    }

    /// An integer (major type 0 or 1) within `i64`.
    pub fn int(&mut self) -> Option<i64> {
        let (major, n) = self.any_head()?;
        let n = i64::try_from(n).ok()?;
        match major {
            0 => Some(n),
            1 => Some(-1 - n),
            _ => None,
        }
    }

    /// A byte string.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.head(2)?;
        self.take(n)
    }

    /// A text string (UTF-8 checked).
    pub fn text(&mut self) -> Option<&'a str> {
        let n = self.head(3)?;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let n = usize::try_from(n).map_err(|_| "length out of range".to_string())?;
        if n > self.remaining() {
            return Err(format!("truncated at offset {}", self.pos));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn head(&mut self) -> Result<(u8, u8, u64), String> {
        let at = self.pos;
        let initial = self.take(1)?[0];
        let (major, ai) = (initial >> 5, initial & 0x1f);
        let n = match ai {
            0..=23 => u64::from(ai),
            24..=27 => {
                let b = self.take(1 << (ai - 24))?;
                b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
            }
            31 => return Err(format!("indefinite length at offset {at}")),
            _ => return Err(format!("reserved additional information at offset {at}")),
        };
        // Major type 7 has no argument to shorten: floats and simple values are refused
        // by name in `item`.
        if major != 7 && !is_shortest(ai, n) {
            return Err(format!("head at offset {at} is not in its shortest form"));
        }
        Ok((major, ai, n))
    }

    /// One data item; `outermost` while no array or map encloses it (tags may only
    /// appear there).
    fn item(&mut self, depth: usize, outermost: bool) -> Result<ValueRef<'a>, String> {
        let at = self.pos;
        let (major, ai, n) = self.head()?;
        let nested = || {
            if depth >= MAX_DEPTH {
                Err(format!("nesting deeper than {MAX_DEPTH} at offset {at}"))
            } else {
                Ok(depth + 1)
            }
        };
        Ok(match major {
            0 => ValueRef::Uint(n),
            1 => ValueRef::Nint(n),
            2 => ValueRef::Bytes(self.take(n)?),
            3 => ValueRef::Text(
                std::str::from_utf8(self.take(n)?)
                    .map_err(|_| format!("text string at offset {at} is not UTF-8"))?,
            ),
            4 => {
                let depth = nested()?;
                let mut items = Vec::with_capacity((n as usize).min(self.remaining()));
                for _ in 0..n {
                    items.push(self.item(depth, false)?);
                }
                ValueRef::Array(items)
            }
            5 => {
                let depth = nested()?;
                let mut entries: Vec<(ValueRef<'a>, ValueRef<'a>)> =
                    Vec::with_capacity((n as usize).min(self.remaining()));
                let mut previous: &[u8] = &[];
                for _ in 0..n {
                    let key_at = self.pos;
                    let key = self.item(depth, false)?;
                    let encoded = &self.buf[key_at..self.pos];
                    if !key_follows(previous, encoded) {
                        return Err(if previous == encoded {
                            format!("duplicate map key at offset {key_at}")
                        } else {
                            format!("map key at offset {key_at} is out of order")
                        });
                    }
                    previous = encoded;
                    let value = self.item(depth, false)?;
                    entries.push((key, value));
                }
                ValueRef::Map(entries)
            }
            6 if !outermost => return Err(format!("tag {n} inside a data item at offset {at}")),
            6 if !TAGS.contains(&n) => return Err(format!("tag {n} at offset {at} is not used")),
            6 => ValueRef::Tag(n, Box::new(self.item(nested()?, true)?)),
            _ => match ai {
                20 => ValueRef::Bool(false),
                21 => ValueRef::Bool(true),
                22 => ValueRef::Null,
                25..=27 => return Err(format!("floating-point number at offset {at}")),
                _ => return Err(format!("unsupported simple value at offset {at}")),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_writers_match_encode() {
        for i in [
            0,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            u32::MAX as i64,
            u32::MAX as i64 + 1,
            i64::MAX,
            -1,
            -24,
            -25,
            -257,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            int(&mut out, i);
            assert_eq!(out, encode(&Value::int(i)).unwrap(), "{i}");
        }
        for t in ["", "o", &"x".repeat(300)] {
            let mut out = Vec::new();
            text(&mut out, t);
            assert_eq!(out, encode(&Value::text(t)).unwrap());
        }
        for b in [false, true] {
            let mut out = Vec::new();
            bool(&mut out, b);
            assert_eq!(out, encode(&Value::Bool(b)).unwrap());
        }
    }
}
