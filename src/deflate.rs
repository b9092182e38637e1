//! Deflate (RFC 1951) and zlib (RFC 1950), all through flate2's zlib-rs backend, which
//! the `zip` crate uses for OFD packages too: licence QRs, status lists, PDF streams and
//! OFD entries. Inflation never writes past a bound the caller gives (a decompression
//! bomb stops there), and says where the stream ended, so that callers can refuse
//! trailing bytes (LICENCE.md §3: a QR holds one zlib stream and nothing else).

use std::io::Write;

use flate2::{Compression, Decompress, FlushDecompress, Status};

/// Why a stream did not inflate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// Not a valid stream (zlib header, deflate data or Adler-32), or cut short.
    BadData,
    /// The output does not fit the bound.
    TooLarge,
}

/// A decompressor, reused from stream to stream.
pub(crate) struct Inflater {
    state: Decompress,
    zlib: bool,
}

impl Inflater {
    /// A decompressor of zlib streams.
    pub(crate) fn zlib() -> Self {
        Inflater {
            state: Decompress::new(true),
            zlib: true,
        }
    }

    /// A decompressor of raw deflate streams.
    pub(crate) fn raw() -> Self {
        Inflater {
            state: Decompress::new(false),
            zlib: false,
        }
    }

    /// Inflates the stream at the start of `input` into `out`: the bytes of `input` the
    /// stream took (with a zlib stream, header, data and Adler-32) and the bytes written.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), InflateError> {
        self.state.reset(self.zlib);
        let status = self.state.decompress(input, out, FlushDecompress::Finish);
        let (taken, written) = (self.state.total_in(), self.state.total_out());
        // Both are at most the lengths of the slices given.
        let (taken, written) = (taken as usize, written as usize);
        match status {
            Ok(Status::StreamEnd) => Ok((taken, written)),
            Ok(_) if written == out.len() => Err(InflateError::TooLarge),
            _ => Err(InflateError::BadData),
        }
    }
}

/// Inflates the stream at the start of `input` (zlib if `zlib`, else raw deflate) into a
/// buffer that grows as needed up to `limit` bytes; bytes after the stream are ignored.
pub(crate) fn inflate_to_vec(
    input: &[u8],
    zlib: bool,
    limit: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut state = Decompress::new(zlib);
    let bound = limit.saturating_add(1);
    let mut out = Vec::new();
    let mut room = input.len().saturating_mul(4).clamp(1 << 12, 1 << 24);
    loop {
        out.reserve_exact(room.min(bound - out.len()));
        let taken = usize::try_from(state.total_in()).unwrap_or(input.len());
        let status = state.decompress_vec(&input[taken..], &mut out, FlushDecompress::Finish);
        match status {
            _ if out.len() > limit => return Err(InflateError::TooLarge),
            Ok(Status::StreamEnd) => return Ok(out),
            Ok(_) if out.len() == out.capacity() => room = room.saturating_mul(2),
            _ => return Err(InflateError::BadData),
        }
    }
}

/// `data` as a zlib stream at `level` (0 stores, 1 is fastest, 9 smallest).
pub(crate) fn zlib_compress(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2 + 64),
        Compression::new(level),
    );
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .expect("writing to a Vec cannot fail")
}

/// The CRC-32 of ISO 3309 / ITU-T V.42 that zip entries carry.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_where_the_stream_ends() {
        let stream = zlib_compress(b"licence licence licence", 9);
        let mut out = [0; 64];
        let mut inflater = Inflater::zlib();
        assert_eq!(inflater.inflate(&stream, &mut out), Ok((stream.len(), 23)));
        let trailing = [&stream[..], b"\x00\x01"].concat();
        assert_eq!(
            inflater.inflate(&trailing, &mut out),
            Ok((stream.len(), 23))
        );
        assert_eq!(&out[..23], b"licence licence licence");
        assert_eq!(
            inflater.inflate(&stream, &mut [0; 8]),
            Err(InflateError::TooLarge)
        );
        assert_eq!(
            inflater.inflate(&stream[..stream.len() - 1], &mut out),
            Err(InflateError::BadData)
        );
        // Exactly the room the output needs is enough.
        assert_eq!(
            inflater.inflate(&stream, &mut [0; 23]),
            Ok((stream.len(), 23))
        );
        let raw = &stream[2..stream.len() - 4];
        assert_eq!(Inflater::raw().inflate(raw, &mut out), Ok((raw.len(), 23)));
    }

    #[test]
    fn inflate_to_vec_stops_at_the_limit() {
        let zeros = vec![0u8; 1 << 20];
        let stream = zlib_compress(&zeros, 9);
        assert_eq!(inflate_to_vec(&stream, true, 1 << 20), Ok(zeros));
        assert_eq!(
            inflate_to_vec(&stream, true, (1 << 20) - 1),
            Err(InflateError::TooLarge)
        );
        assert_eq!(
            inflate_to_vec(&stream[..stream.len() - 1], true, 1 << 20),
            Err(InflateError::BadData)
        );
        assert_eq!(
            inflate_to_vec(b"not zlib at all", true, 1 << 20),
            Err(InflateError::BadData)
        );
        assert_eq!(
            inflate_to_vec(&[], true, 1 << 20),
            Err(InflateError::BadData)
        );
    }

    #[test]
    fn crc32_check_value() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }
}
