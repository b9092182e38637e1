//! PDF objects (ISO 32000-1 clause 7.3) as read from and written to a file.

use std::fmt::Write as _;

/// An object reference `n g R` (ISO 32000-1 clause 7.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// Object number.
    pub num: u32,
    /// Generation number.
    pub generation: u16,
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.num, self.generation)
    }
}

/// A PDF object. Streams keep their dictionary and the byte range of their raw data.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A name, without the slash, `#xx` escapes decoded.
    Name(Vec<u8>),
    /// A string, escapes decoded; `hex` tells how it was written.
    String {
        /// The decoded bytes.
        bytes: Vec<u8>,
        /// Written as `<hex>` rather than `(literal)`.
        hex: bool,
    },
    /// An array.
    Array(Vec<Object>),
    /// A dictionary.
    Dict(Dict),
    /// A stream: its dictionary and its raw (still encoded) data.
    Stream(Stream),
    /// An indirect reference.
    Ref(ObjRef),
}

/// A stream object (ISO 32000-1 clause 7.3.8).
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// The stream dictionary.
    pub dict: Dict,
    /// The raw data, as in the file; empty when it was left there (`deferred`).
    pub data: Vec<u8>,
    /// Where the raw data lies in the file when a document read from a file left a long
    /// stream's data there: [`crate::pdf::Document::stream_data`] reads it on demand.
    pub deferred: Option<Extent>,
}

/// A byte range of a file: `len` bytes from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    /// The offset of the first byte.
    pub offset: usize,
    /// The number of bytes.
    pub len: usize,
}

/// A dictionary, in file order. Duplicate keys are kept so that checks can see them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    /// The value of `key` (the first, when duplicated).
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `value`, replacing every earlier value.
    pub fn set(&mut self, key: &[u8], value: Object) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_vec(), value));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &[u8]) {
        self.0.retain(|(k, _)| k != key);
    }

    /// Whether a key occurs more than once.
    pub fn has_duplicate_keys(&self) -> bool {
        self.0
            .iter()
            .enumerate()
            .any(|(i, (k, _))| self.0[..i].iter().any(|(k2, _)| k2 == k))
    }

    /// The name value of `key`, if it is a name.
    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// The integer value of `key`, if it is an integer.
    pub fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Object::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// The reference value of `key`, if it is a reference.
    pub fn reference(&self, key: &[u8]) -> Option<ObjRef> {
        match self.get(key) {
            Some(Object::Ref(r)) => Some(*r),
            _ => None,
        }
    }

    /// Whether the keys and values equal `other`'s, in any order.
    pub fn same_entries(&self, other: &Dict) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| w.same_value(v)))
    }
}

impl Object {
    /// The dictionary of a dictionary or stream.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A number (integer or real) as `f64`.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// Equality of values: dictionaries compared without regard to key order, strings
    /// without regard to how they were written.
    pub fn same_value(&self, other: &Object) -> bool {
        match (self, other) {
            (Object::Dict(a), Object::Dict(b)) => a.same_entries(b),
            // Data left in the file is compared by where it lies; the document compares
            // it by content (`Document::same_value`).
            (Object::Stream(a), Object::Stream(b)) => {
                a.data == b.data && a.deferred == b.deferred && a.dict.same_entries(&b.dict)
            }
            (Object::Array(a), Object::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_value(y))
            }
            (Object::String { bytes: a, .. }, Object::String { bytes: b, .. }) => a == b,
            (Object::Int(a), Object::Real(b)) | (Object::Real(b), Object::Int(a)) => {
                *a as f64 == *b
            }
            _ => self == other,
        }
    }

    /// Appends the PDF syntax of this object to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Object::Real(r) => out.extend_from_slice(format_real(*r).as_bytes()),
            Object::Name(n) => write_name(n, out),
            Object::String { bytes, hex } => write_string(bytes, *hex, out),
            Object::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
            Object::Dict(d) => write_dict(d, out),
            Object::Stream(s) => {
                let mut dict = s.dict.clone();
                dict.set(b"Length", Object::Int(s.data.len() as i64));
                write_dict(&dict, out);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(&s.data);
                out.extend_from_slice(b"\nendstream");
            }
            Object::Ref(r) => {
                out.extend_from_slice(format!("{} {} R", r.num, r.generation).as_bytes())
            }
        }
    }

    /// A short name for messages: `dictionary`, `stream`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Null => "null",
            Object::Bool(_) => "boolean",
            Object::Int(_) | Object::Real(_) => "number",
            Object::Name(_) => "name",
            Object::String { .. } => "string",
            Object::Array(_) => "array",
            Object::Dict(_) => "dictionary",
            Object::Stream(_) => "stream",
            Object::Ref(_) => "reference",
        }
    }
}

/// A name object from text.
pub fn name(n: &str) -> Object {
    Object::Name(n.as_bytes().to_vec())
}

/// A literal string object.
pub fn string(s: &[u8]) -> Object {
    Object::String {
        bytes: s.to_vec(),
        hex: false,
    }
}

/// A text string (ISO 32000-1 clause 7.9.2.2): PDFDocEncoding when ASCII, else UTF-16BE with BOM.
pub fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        return string(s.as_bytes());
    }
    let mut bytes = vec![0xfe, 0xff];
    for unit in s.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String { bytes, hex: true }
}

/// Decodes a text string (UTF-16BE with BOM, UTF-8 with BOM, else Latin-1 as an approximation
/// of PDFDocEncoding).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// A dictionary from `(key, value)` pairs.
pub fn dict<const N: usize>(entries: [(&str, Object); N]) -> Dict {
    Dict(
        entries
            .into_iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v))
            .collect(),
    )
}

fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        write_name(k, out);
        out.push(b' ');
        v.write_to(out);
    }
    out.extend_from_slice(b">>");
}

fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_alphanumeric() || b"-_.+*,:;".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

fn write_string(bytes: &[u8], hex: bool, out: &mut Vec<u8>) {
    if hex {
        out.push(b'<');
        out.extend_from_slice(hex::encode_upper(bytes).as_bytes());
        out.push(b'>');
        return;
    }
    out.push(b'(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

/// Formats a real without exponent, as PDF requires (ISO 32000-1 clause 7.3.3).
pub fn format_real(r: f64) -> String {
    if !r.is_finite() {
        return "0".into();
    }
    let mut s = String::new();
    let _ = write!(s, "{r:.4}");
    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
        s.pop();
    }
    if s == "-0" { "0".into() } else { s }
}
