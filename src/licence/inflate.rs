//! zlib inflation (RFC 1950) that also says where the stream ended, so that bytes after
//! it are refused (LICENCE.md §3: a QR holds one zlib stream and nothing else).
//! libdeflate's `libdeflate_zlib_decompress_ex` reports it; the `libdeflater` wrapper
//! does not expose that call.

use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE as INSUFFICIENT_SPACE,
    libdeflate_result_LIBDEFLATE_SUCCESS as SUCCESS, libdeflate_zlib_decompress_ex,
};

/// Why a zlib stream did not inflate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// Not a valid zlib stream (header, data or Adler-32).
    BadData,
    /// The output does not fit the buffer.
    TooLarge,
}

/// A libdeflate decompressor, reused from stream to stream.
pub(crate) struct Inflater(NonNull<libdeflate_decompressor>);

impl Inflater {
    /// A decompressor; allocation failure aborts as any other allocation does.
    pub(crate) fn new() -> Self {
        // SAFETY: no preconditions; NULL (out of memory) is handled below.
        let raw = unsafe { libdeflate_alloc_decompressor() };
        match NonNull::new(raw) {
            Some(raw) => Inflater(raw),
            None => std::alloc::handle_alloc_error(std::alloc::Layout::new::<usize>()),
        }
    }

    /// Inflates the zlib stream at the start of `input` into `out`: the bytes of `input`
    /// the stream took (header, data and Adler-32) and the bytes written.
    pub(crate) fn zlib(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), InflateError> {
        let (mut taken, mut written) = (0usize, 0usize);
        // SAFETY: the decompressor is live and owned by `self`; `input` and `out` are
        // valid for their lengths; libdeflate reads at most `input.len()` bytes, writes at
        // most `out.len()` bytes and both counters are plain out-parameters.
        let result = unsafe {
            libdeflate_zlib_decompress_ex(
                self.0.as_ptr(),
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut taken,
                &mut written,
            )
        };
        match result {
            SUCCESS => Ok((taken, written)),
            INSUFFICIENT_SPACE => Err(InflateError::TooLarge),
            _ => Err(InflateError::BadData),
        }
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once here.
        unsafe { libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_where_the_stream_ends() {
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(b"licence licence licence", 9);
        let mut out = [0; 64];
        let mut inflater = Inflater::new();
        assert_eq!(inflater.zlib(&stream, &mut out), Ok((stream.len(), 23)));
        let trailing = [&stream[..], b"\x00\x01"].concat();
        assert_eq!(inflater.zlib(&trailing, &mut out), Ok((stream.len(), 23)));
        assert_eq!(&out[..23], b"licence licence licence");
        assert_eq!(
            inflater.zlib(&stream, &mut [0; 8]),
            Err(InflateError::TooLarge)
        );
        assert_eq!(
            inflater.zlib(&stream[..stream.len() - 1], &mut out),
            Err(InflateError::BadData)
        );
    }
}
