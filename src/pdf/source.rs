//! Random access to a PDF's bytes: a slice in memory, or a file read where needed, so that
//! a large file is verified without holding it in memory.

use std::borrow::Cow;
use std::fs::File;

use crate::error::{Error, Result};

/// How many bytes one read of a file brings in while searching or hashing.
pub const CHUNK: usize = 1 << 20;

/// Bytes read by offset: a file, or anything else that is not a slice in memory.
pub trait Source {
    /// The length in bytes.
    fn len(&self) -> usize;

    /// Whether there are no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes from `offset`; fails when they are not all there.
    fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()>;

    /// How many bytes to read first to parse a structure; a structure that does not fit is
    /// parsed again from a window four times as large.
    fn window(&self) -> usize {
        WINDOW
    }

    /// Stream data longer than this stays in the source until a check asks for it.
    fn defer_streams_over(&self) -> usize {
        DEFER_STREAMS_OVER
    }
}

/// The default [`Source::window`]: 4 KiB.
pub const WINDOW: usize = 4 << 10;

/// The default [`Source::defer_streams_over`]: 256 KiB.
pub const DEFER_STREAMS_OVER: usize = 256 << 10;

/// The bytes a document is read from: a slice, or a [`Source`].
#[derive(Clone, Copy)]
pub enum Bytes<'a> {
    /// Bytes in memory.
    Slice(&'a [u8]),
    /// Bytes read by offset.
    Source(&'a dyn Source),
}

fn beyond_end() -> Error {
    Error::malformed("PDF", "read beyond the end of the bytes")
}

impl<'a> Bytes<'a> {
    /// The length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Bytes::Slice(slice) => slice.len(),
            Bytes::Source(source) => source.len(),
        }
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`Source::window`]; a slice is parsed whole.
    pub fn window(&self) -> usize {
        match self {
            Bytes::Slice(slice) => slice.len(),
            Bytes::Source(source) => source.window().max(1),
        }
    }

    /// [`Source::defer_streams_over`]; a slice's streams are always read.
    pub fn defer_streams_over(&self) -> usize {
        match self {
            Bytes::Slice(_) => usize::MAX,
            Bytes::Source(source) => source.defer_streams_over(),
        }
    }

    /// All the bytes, when they are in memory.
    pub fn as_slice(&self) -> Option<&'a [u8]> {
        match self {
            Bytes::Slice(slice) => Some(slice),
            Bytes::Source(_) => None,
        }
    }

    /// The bytes `[offset, offset + len)`, cut at the end: borrowed when in memory.
    pub fn read(&self, offset: usize, len: usize) -> Result<Cow<'a, [u8]>> {
        let end = offset.saturating_add(len).min(self.len());
        let offset = offset.min(end);
        match self {
            Bytes::Slice(slice) => Ok(Cow::Borrowed(&slice[offset..end])),
            Bytes::Source(source) => {
                let mut buf = vec![0; end - offset];
                source.read_at(offset, &mut buf)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// The offset of the first `needle` at or after `from`, read chunk by chunk.
    pub fn find(&self, from: usize, needle: &[u8]) -> Result<Option<usize>> {
        if let Some(all) = self.as_slice() {
            let from = from.min(all.len());
            return Ok(memchr::memmem::find(&all[from..], needle).map(|p| from + p));
        }
        let mut at = from;
        while at < self.len() {
            let chunk = self.read(at, CHUNK)?;
            if let Some(p) = memchr::memmem::find(&chunk, needle) {
                return Ok(Some(at + p));
            }
            if at + chunk.len() >= self.len() {
                break;
            }
            // The next chunk starts early enough to see a needle cut by this one's end.
            at += chunk.len().saturating_sub(needle.len() - 1).max(1);
        }
        Ok(None)
    }

    /// The offset of the last `needle`, read chunk by chunk from the end.
    pub fn rfind(&self, needle: &[u8]) -> Result<Option<usize>> {
        self.rfind_before(self.len(), needle)
    }

    /// The offset of the last `needle` that ends at or before `end`, read chunk by chunk
    /// backwards.
    pub fn rfind_before(&self, end: usize, needle: &[u8]) -> Result<Option<usize>> {
        let end = end.min(self.len());
        if let Some(all) = self.as_slice() {
            return Ok(memchr::memmem::rfind(&all[..end], needle));
        }
        let mut end = end;
        while end >= needle.len() {
            let start = end.saturating_sub(CHUNK);
            let chunk = self.read(start, end - start)?;
            if let Some(p) = memchr::memmem::rfind(&chunk, needle) {
                return Ok(Some(start + p));
            }
            if start == 0 {
                break;
            }
            end = start + needle.len() - 1;
        }
        Ok(None)
    }

    /// Feeds the bytes `[offset, offset + len)` to `sink`, chunk by chunk.
    pub fn for_each_chunk(
        &self,
        offset: usize,
        len: usize,
        mut sink: impl FnMut(&[u8]),
    ) -> Result<()> {
        let end = offset
            .checked_add(len)
            .filter(|end| *end <= self.len())
            .ok_or_else(beyond_end)?;
        let source = match self {
            Bytes::Slice(slice) => {
                sink(&slice[offset..end]);
                return Ok(());
            }
            Bytes::Source(source) => source,
        };
        let mut buf = vec![0; CHUNK.min(len)];
        let mut at = offset;
        while at < end {
            let n = CHUNK.min(end - at);
            source.read_at(at, &mut buf[..n])?;
            sink(&buf[..n]);
            at += n;
        }
        Ok(())
    }
}

/// Reads within one block are served from the blocks read last: a document's objects sit
/// close together, and one system call then brings in many of them.
const BLOCK: usize = 64 << 10;
/// How many blocks are kept (a comparison of two revisions reads from two places at once).
const BLOCKS_KEPT: usize = 8;

/// A file read by offset (`pread`), its length fixed when it is opened: a file that
/// shrinks meanwhile makes reads fail rather than show other bytes.
pub struct FileSource<'a> {
    file: &'a File,
    len: usize,
    /// The [`BLOCK`]-aligned blocks read last, the newest first: offset and bytes.
    blocks: std::cell::RefCell<Vec<(usize, Vec<u8>)>>,
}

impl<'a> FileSource<'a> {
    /// The source of `file`'s bytes as they are now, refused beyond `limit` bytes.
    pub fn new(file: &'a File, limit: u64) -> Result<Self> {
        let size = file.metadata().map_err(|e| Error::io("PDF file", e))?.len();
        if size > limit {
            return Err(Error::TooLarge {
                what: "input file",
                size,
                limit,
            });
        }
        let len = usize::try_from(size).map_err(|_| Error::TooLarge {
            what: "input file",
            size,
            limit: usize::MAX as u64,
        })?;
        Ok(FileSource {
            file,
            len,
            blocks: std::cell::RefCell::new(Vec::new()),
        })
    }
}

impl Source for FileSource<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        if offset
            .checked_add(buf.len())
            .is_none_or(|end| end > self.len)
        {
            return Err(beyond_end());
        }
        let start = offset - offset % BLOCK;
        if offset + buf.len() > start + BLOCK {
            return read_exact_at(self.file, buf, offset as u64)
                .map_err(|e| Error::io("PDF file", e));
        }
        let mut blocks = self.blocks.borrow_mut();
        match blocks.iter().position(|(at, _)| *at == start) {
            Some(i) => blocks[..=i].rotate_right(1),
            None => {
                let mut bytes = vec![0; BLOCK.min(self.len - start)];
                read_exact_at(self.file, &mut bytes, start as u64)
                    .map_err(|e| Error::io("PDF file", e))?;
                blocks.truncate(BLOCKS_KEPT - 1);
                blocks.insert(0, (start, bytes));
            }
        }
        let block = &blocks[0].1;
        buf.copy_from_slice(&block[offset - start..offset - start + buf.len()]);
        Ok(())
    }
}

/// Fills `buf` from `offset` of `file` without moving its cursor.
#[cfg(unix)]
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
pub(crate) fn read_exact_at(
    file: &File,
    mut buf: &mut [u8],
    mut offset: u64,
) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that is not a slice, to exercise the chunked paths.
    struct Chunked(Vec<u8>);

    impl Source for Chunked {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
            buf.copy_from_slice(&self.0[offset..offset + buf.len()]);
            Ok(())
        }
    }

    #[test]
    fn searches_across_chunk_boundaries() {
        let mut bytes = vec![b'x'; 3 * CHUNK + 10];
        let cut = CHUNK - 3;
        bytes[cut..cut + 9].copy_from_slice(b"startxref");
        let last = 2 * CHUNK + 5;
        bytes[last - 4..last + 5].copy_from_slice(b"startxref");
        let chunked = Chunked(bytes.clone());
        let source = Bytes::Source(&chunked);
        assert_eq!(source.find(0, b"startxref").unwrap(), Some(cut));
        assert_eq!(source.find(cut + 1, b"startxref").unwrap(), Some(last - 4));
        assert_eq!(source.rfind(b"startxref").unwrap(), Some(last - 4));
        assert_eq!(source.find(last, b"startxref").unwrap(), None);
        assert_eq!(
            Bytes::Slice(&bytes).rfind(b"startxref").unwrap(),
            Some(last - 4)
        );
        let mut total = 0;
        source
            .for_each_chunk(1, 3 * CHUNK, |c| total += c.len())
            .unwrap();
        assert_eq!(total, 3 * CHUNK);
        assert!(source.for_each_chunk(11, 3 * CHUNK, |_| ()).is_err());
    }
}
