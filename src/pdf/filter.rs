//! Stream filters the reader needs (ISO 32000-1 clause 7.4): FlateDecode with PNG and TIFF
//! predictors, bounded in output size.

use super::object::{Dict, Object, Stream};
use crate::error::{Error, Result};

/// Largest decoded stream accepted, in bytes.
pub const MAX_DECODED: usize = 64 << 20;

fn malformed(detail: impl ToString) -> Error {
    Error::malformed("PDF stream", detail)
}

/// Decodes a stream's data through its filters. A stream whose data was left in the file
/// is decoded by [`crate::pdf::Document::decode`]; here it is an error.
pub fn decode(stream: &Stream) -> Result<Vec<u8>> {
    if stream.deferred.is_some() {
        return Err(malformed("the stream's data was not read from the file"));
    }
    let filters: Vec<&[u8]> = match stream.dict.get(b"Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(items)) => items
            .iter()
            .map(|o| match o {
                Object::Name(n) => Ok(n.as_slice()),
                _ => Err(malformed("/Filter entry is not a name")),
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(malformed("/Filter is neither a name nor an array")),
    };
    let params: Vec<Option<&Dict>> = match stream.dict.get(b"DecodeParms") {
        Some(Object::Array(items)) => items.iter().map(Object::as_dict).collect(),
        Some(o) => vec![o.as_dict()],
        None => Vec::new(),
    };
    let mut data = stream.data.clone();
    for (i, filter) in filters.iter().enumerate() {
        let param = params.get(i).copied().flatten();
        data = match *filter {
            b"FlateDecode" | b"Fl" => {
                let inflated = inflate(&data)?;
                unpredict(inflated, param)?
            }
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data)?,
            other => {
                return Err(malformed(format!(
                    "filter /{} is not supported",
                    String::from_utf8_lossy(other)
                )));
            }
        };
    }
    Ok(data)
}

fn inflate(data: &[u8]) -> Result<Vec<u8>> {
    use crate::deflate::{InflateError, inflate_to_vec};
    // Some writers omit the zlib header: fall back to raw deflate, but not past the limit.
    inflate_to_vec(data, true, MAX_DECODED)
        .or_else(|e| match e {
            InflateError::TooLarge => Err(e),
            InflateError::BadData => inflate_to_vec(data, false, MAX_DECODED),
        })
        .map_err(|e| match e {
            InflateError::TooLarge => malformed(format!(
                "decodes to more than the limit of {MAX_DECODED} bytes"
            )),
            InflateError::BadData => malformed("FlateDecode failed: not a deflate stream"),
        })
}

fn ascii_hex(data: &[u8]) -> Result<Vec<u8>> {
    let mut digits: Vec<u8> = data
        .iter()
        .copied()
        .take_while(|b| *b != b'>')
        .filter(|b| !super::parser::is_whitespace(*b))
        .collect();
    if digits.len() % 2 == 1 {
        digits.push(b'0');
    }
    hex::decode(&digits).map_err(|e| malformed(format!("ASCIIHexDecode: {e}")))
}

/// Undoes a PNG (10–15) or TIFF (2) predictor (ISO 32000-1 Table 8).
fn unpredict(data: Vec<u8>, params: Option<&Dict>) -> Result<Vec<u8>> {
    let Some(params) = params else {
        return Ok(data);
    };
    let predictor = params.int(b"Predictor").unwrap_or(1);
    if predictor < 2 {
        return Ok(data);
    }
    let colors = params.int(b"Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bits = params.int(b"BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = params.int(b"Columns").unwrap_or(1).clamp(1, 1 << 20) as usize;
    let bpp = (colors * bits).div_ceil(8).max(1);
    let row_len = (colors * bits * columns).div_ceil(8);
    if predictor == 2 {
        if bits != 8 {
            return Err(malformed("TIFF predictor with other than 8 bits"));
        }
        let mut out = data;
        for row in out.chunks_mut(row_len) {
            for i in bpp..row.len() {
                row[i] = row[i].wrapping_add(row[i - bpp]);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut previous = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let (kind, row) = chunk.split_first().ok_or_else(|| malformed("empty row"))?;
        let mut current = row.to_vec();
        current.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { current[i - bpp] } else { 0 };
            let up = previous[i];
            let up_left = if i >= bpp { previous[i - bpp] } else { 0 };
            current[i] = current[i].wrapping_add(match kind {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => return Err(malformed(format!("PNG predictor row type {kind}"))),
            });
        }
        out.extend_from_slice(&current[..row.len().min(row_len)]);
        previous = current;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Compresses `data` for a `/FlateDecode` stream.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    crate::deflate::zlib_compress(data, 6)
}
