//! The OFD package (GB/T 33190 clause 7.2): a ZIP container whose entries are addressed by
//! package paths (`/Doc_0/Document.xml`).
//!
//! [`Package::read`] reads every entry into memory within [`Limits`]: entry count, sizes
//! declared and actual, total size, compression ratio, and entry names (no `..`, `.`,
//! empty segments, backslashes, control characters or duplicates), so that a hostile
//! package (zip bomb, path traversal) is a clear error, never unbounded memory. Deflated
//! entries are inflated into a buffer of exactly their declared size and checked against
//! their CRC-32.
//!
//! [`Package::open`] reads a package from a file: the directory, the XML files and the
//! small files are read as [`Package::read`] reads them; a larger file is checked the same
//! way (its size, and its CRC-32 as it is inflated) but left in the file, and read again,
//! streamed, when it is digested ([`Package::digest_into`]) or asked for whole.
//!
//! [`Package::rewrite_to`] writes a new package in which the given entries are replaced or
//! added and every other entry is copied byte for byte, compressed data included, a piece
//! at a time from the package's bytes or file; [`Package::rewrite`] returns it as bytes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Cursor, Read, Seek, Write};
use std::sync::{Arc, OnceLock};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::error::{Error, Result};

/// Bounds on what [`Package::read`] accepts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The most entries (files and folders) a package may hold.
    pub max_entries: usize,
    /// The largest decompressed size of one entry, in bytes.
    pub max_entry_size: u64,
    /// The largest decompressed size of all entries together, in bytes.
    pub max_total_size: u64,
    /// The highest ratio of decompressed to compressed size for entries larger than
    /// 1 MiB (deflate cannot exceed 1032:1, so a higher figure is a lie or a bomb).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 10_000,
            max_entry_size: 256 << 20,
            max_total_size: 1 << 30,
            max_ratio: 200,
        }
    }
}

/// Entries below this size are not held to [`Limits::max_ratio`]: small XML files of
/// repeated text compress far better than documents do.
const RATIO_EXEMPT_SIZE: u64 = 1 << 20;

/// A file of a package opened from a file that is larger than this, and is not XML, stays
/// in the package file until it is digested or asked for.
pub const LOAD_UNDER: u64 = 1 << 20;

/// One file of a package.
#[derive(Clone, Debug)]
pub struct Entry {
    name: String,
    data: OnceLock<Vec<u8>>,
    /// Where the content lies when it was left in the package file.
    stored: Option<Stored>,
}

/// An entry's compressed data in a package file, checked when the package was opened.
#[derive(Clone, Debug)]
struct Stored {
    file: Arc<File>,
    start: u64,
    compressed_size: u64,
    size: u64,
    deflated: bool,
    crc32: u32,
}

impl Entry {
    /// The entry's name in the ZIP directory: its package path without the leading `/`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entry's package path, with the leading `/`.
    pub fn path(&self) -> String {
        format!("/{}", self.name)
    }

    /// Whether the content was left in the package file ([`Package::open`]) and has not
    /// been read whole since: [`Entry::for_each_chunk`] streams it.
    pub fn is_deferred(&self) -> bool {
        self.data.get().is_none()
    }

    /// The decompressed content. An entry left in the package file is read whole now (use
    /// [`Entry::for_each_chunk`] to stream it instead); an error when it no longer reads
    /// as it was checked.
    pub fn data(&self) -> Result<&[u8]> {
        if let Some(data) = self.data.get() {
            return Ok(data);
        }
        let Some(stored) = &self.stored else {
            return Err(malformed(format!("{} has no content", self.name)));
        };
        let mut data = Vec::with_capacity(stored.size as usize);
        stream_entry(&self.name, stored, &mut |chunk| {
            data.extend_from_slice(chunk)
        })?;
        Ok(self.data.get_or_init(|| data))
    }

    /// Feeds the decompressed content to `sink`, chunk by chunk: streamed from the package
    /// file when the entry was left there.
    pub fn for_each_chunk(&self, sink: &mut dyn FnMut(&[u8])) -> Result<()> {
        match (self.data.get(), &self.stored) {
            (Some(data), _) => {
                sink(data);
                Ok(())
            }
            (None, Some(stored)) => stream_entry(&self.name, stored, sink),
            (None, None) => Err(malformed(format!("{} has no content", self.name))),
        }
    }
}

/// The compressed bytes `[start, start + len)` of a file, read without moving its cursor.
struct FileRange<'f> {
    file: &'f File,
    at: u64,
    end: u64,
}

impl Read for FileRange<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.end - self.at).min(1 << 20) as usize);
        crate::pdf::source::read_exact_at(self.file, &mut buf[..n], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Inflates (or copies) the entry `name` from its package file into `sink`, checking that
/// it has its declared size and CRC-32.
fn stream_entry(name: &str, stored: &Stored, sink: &mut dyn FnMut(&[u8])) -> Result<()> {
    let raw = FileRange {
        file: &stored.file,
        at: stored.start,
        end: stored.start + stored.compressed_size,
    };
    let mut reader: Box<dyn Read> = if stored.deflated {
        Box::new(flate2::read::DeflateDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let short = || {
        malformed(format!(
            "{name} does not inflate to its declared {} bytes",
            stored.size
        ))
    };
    let mut buf = vec![0; 1 << 20];
    let mut crc = flate2::Crc::new();
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|_| short())?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > stored.size {
            return Err(short());
        }
        crc.update(&buf[..n]);
        sink(&buf[..n]);
    }
    if total != stored.size {
        return Err(short());
    }
    if crc.sum() != stored.crc32 {
        return Err(malformed(format!("{name} fails its CRC-32 check")));
    }
    Ok(())
}

/// Where a package's bytes are.
#[derive(Clone, Debug)]
enum Origin<'a> {
    Memory(Cow<'a, [u8]>),
    File(Arc<File>),
}

/// An OFD package read into memory; it borrows the package's bytes or owns them.
#[derive(Clone, Debug)]
pub struct Package<'a> {
    source: Origin<'a>,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

fn malformed(detail: impl ToString) -> Error {
    Error::malformed("OFD package", detail)
}

fn zip_error(error: zip::result::ZipError) -> Error {
    malformed(error)
}

/// A failure while copying or writing entries: a read or write that failed is an I/O error.
fn copy_error(error: zip::result::ZipError) -> Error {
    match error {
        zip::result::ZipError::Io(e) => Error::io("OFD package", e),
        other => malformed(other),
    }
}

impl Package<'static> {
    /// Opens the package `file` with the default [`Limits`]: its XML files and files up to
    /// `LOAD_UNDER` bytes are read into memory, larger ones checked and left in the file.
    pub fn open(file: File) -> Result<Self> {
        Self::open_with_limits(file, &Limits::default())
    }

    /// [`Package::open`], refusing anything outside `limits`.
    pub fn open_with_limits(file: File, limits: &Limits) -> Result<Self> {
        let file = Arc::new(file);
        let len = file
            .metadata()
            .map_err(|e| Error::io("OFD package", e))?
            .len();
        let (entries, index) = read_entries(&*file, limits, &mut |meta, name| {
            if meta
                .start
                .checked_add(meta.compressed_size)
                .is_none_or(|end| end > len)
            {
                return Err(malformed(format!("{name} is truncated")));
            }
            let stored = Stored {
                file: file.clone(),
                start: meta.start,
                compressed_size: meta.compressed_size,
                size: meta.size,
                deflated: meta.method == CompressionMethod::Deflated,
                crc32: meta.crc32,
            };
            let is_xml = name.to_ascii_lowercase().ends_with(".xml");
            if meta.size <= LOAD_UNDER || is_xml {
                let mut raw = vec![0; meta.compressed_size as usize];
                crate::pdf::source::read_exact_at(&file, &mut raw, meta.start)
                    .map_err(|e| Error::io("OFD package", e))?;
                return Ok(Entry {
                    name: name.to_string(),
                    data: OnceLock::from(decompress(name, &raw, meta)?),
                    stored: None,
                });
            }
            decompress_check(name, meta)?;
            stream_entry(name, &stored, &mut |_| ())?;
            Ok(Entry {
                name: name.to_string(),
                data: OnceLock::new(),
                stored: Some(stored),
            })
        })?;
        Ok(Package {
            source: Origin::File(file),
            entries,
            index,
        })
    }
}

/// What the directory says of one entry's data.
struct EntryMeta {
    start: u64,
    compressed_size: u64,
    size: u64,
    method: CompressionMethod,
    crc32: u32,
}

/// Reads the directory of the archive in `reader` within `limits`; `load` makes each file
/// entry from its checked name and directory record.
fn read_entries<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    load: &mut dyn FnMut(&EntryMeta, &str) -> Result<Entry>,
) -> Result<(Vec<Entry>, HashMap<String, usize>)> {
    let mut archive = ZipArchive::new(reader).map_err(zip_error)?;
    // The archive keeps one entry per name; a second entry of the same name would
    // be what another reader shows.
    if archive.has_duplicate_names() {
        return Err(malformed("the central directory names a file twice"));
    }
    if archive.len() > limits.max_entries {
        return Err(malformed(format!(
            "{} entries, the limit is {}",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut entries = Vec::with_capacity(archive.len());
    let mut index = HashMap::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).map_err(zip_error)?;
        let name = file.name().map_err(zip_error)?.into_owned();
        check_name(&name)?;
        if file.is_dir() {
            if file.size() != 0 {
                return Err(malformed(format!("folder entry {name} has content")));
            }
            continue;
        }
        if file.encrypted() {
            return Err(malformed(format!("{name} is encrypted")));
        }
        let size = file.size();
        if size > limits.max_entry_size {
            return Err(Error::TooLarge {
                what: "OFD package entry",
                size,
                limit: limits.max_entry_size,
            });
        }
        total += size;
        if total > limits.max_total_size {
            return Err(Error::TooLarge {
                what: "OFD package (decompressed)",
                size: total,
                limit: limits.max_total_size,
            });
        }
        let compressed_size = file.compressed_size();
        if size > RATIO_EXEMPT_SIZE && size / compressed_size.max(1) > limits.max_ratio {
            return Err(malformed(format!(
                "{name} would expand {compressed_size} bytes to {size}, a ratio over {}",
                limits.max_ratio
            )));
        }
        let start = file
            .data_start()
            .ok_or_else(|| malformed(format!("{name}: no data offset")))?;
        let meta = EntryMeta {
            start,
            compressed_size,
            size,
            method: file.compression(),
            crc32: file.crc32(),
        };
        drop(file);
        let entry = load(&meta, &name)?;
        if index.insert(name.clone(), entries.len()).is_some() {
            return Err(malformed(format!("{name} appears twice")));
        }
        entries.push(entry);
    }
    Ok((entries, index))
}

/// The checks of [`decompress`] that need no data: the compression method, and a stored
/// entry's two sizes.
fn decompress_check(name: &str, meta: &EntryMeta) -> Result<()> {
    match meta.method {
        CompressionMethod::Stored if meta.compressed_size == meta.size => Ok(()),
        CompressionMethod::Stored => Err(malformed(format!(
            "{name} is stored with two different sizes"
        ))),
        CompressionMethod::Deflated => Ok(()),
        other => Err(malformed(format!(
            "{name} uses compression method {other}, not stored or deflate"
        ))),
    }
}

/// The content of the entry `name` from its compressed bytes `raw`, of its declared size
/// and CRC-32.
fn decompress(name: &str, raw: &[u8], meta: &EntryMeta) -> Result<Vec<u8>> {
    decompress_check(name, meta)?;
    let size = meta.size;
    let data = match meta.method {
        CompressionMethod::Deflated => {
            let mut data = vec![0; size as usize];
            match crate::deflate::Inflater::raw().inflate(raw, &mut data) {
                Ok((_, n)) if n as u64 == size => data,
                _ => {
                    return Err(malformed(format!(
                        "{name} does not inflate to its declared {size} bytes"
                    )));
                }
            }
        }
        _ => raw.to_vec(),
    };
    if crate::deflate::crc32(&data) != meta.crc32 {
        return Err(malformed(format!("{name} fails its CRC-32 check")));
    }
    Ok(data)
}

impl<'a> Package<'a> {
    /// Reads a package (`Vec<u8>` or `&[u8]`) with the default [`Limits`].
    pub fn read(bytes: impl Into<Cow<'a, [u8]>>) -> Result<Self> {
        Self::read_with_limits(bytes, &Limits::default())
    }

    /// Reads a package, refusing anything outside `limits`.
    pub fn read_with_limits(bytes: impl Into<Cow<'a, [u8]>>, limits: &Limits) -> Result<Self> {
        let bytes = bytes.into();
        let (entries, index) = read_entries(Cursor::new(&*bytes), limits, &mut |file, name| {
            let raw = usize::try_from(file.start)
                .ok()
                .zip(usize::try_from(file.compressed_size).ok())
                .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
                .ok_or_else(|| malformed(format!("{name} is truncated")))?;
            Ok(Entry {
                name: name.to_string(),
                data: OnceLock::from(decompress(name, raw, file)?),
                stored: None,
            })
        })?;
        Ok(Package {
            source: Origin::Memory(bytes),
            entries,
            index,
        })
    }

    /// The directory of every entry in the package.
    fn entry_index(&self, path: &str) -> Option<&Entry> {
        let name = path.strip_prefix('/').unwrap_or(path);
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// The files of the package in directory order (folders left out).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The file at `path` (`/Doc_0/Document.xml` or `Doc_0/Document.xml`).
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.entry_index(path)
    }

    /// The content of the file at `path` (`/Doc_0/Document.xml` or `Doc_0/Document.xml`),
    /// read whole (`Entry::data`); `None` when there is no such file, or when a file left
    /// in the package file no longer reads as it was checked ([`Package::entry`] gives the
    /// error).
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.entry_index(path).and_then(|entry| entry.data().ok())
    }

    /// Feeds the content of the file at `path` to `sink` chunk by chunk, streamed from the
    /// package file when it was left there; `None` when there is no such file.
    pub fn digest_into(&self, path: &str, sink: &mut dyn FnMut(&[u8])) -> Option<Result<()>> {
        self.entry_index(path)
            .map(|entry| entry.for_each_chunk(sink))
    }

    /// Whether the package holds a file at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.entry_index(path).is_some()
    }

    /// The package as it was read, when it was read from bytes in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.source {
            Origin::Memory(bytes) => Some(bytes),
            Origin::File(_) => None,
        }
    }

    /// A new package with `changes` (path, content) written over existing files or added
    /// after them; every other entry is copied as it is, compressed bytes included.
    pub fn rewrite(&self, changes: &[(&str, &[u8])]) -> Result<Vec<u8>> {
        let capacity = self.bytes().map_or(0, <[u8]>::len);
        let mut out = Cursor::new(Vec::with_capacity(capacity));
        self.rewrite_to(&mut out, changes)?;
        Ok(out.into_inner())
    }

    /// [`Package::rewrite`] into `out`: an entry that is not changed is copied from the
    /// package's bytes or file as its compressed data, a piece at a time, never held whole.
    pub fn rewrite_to<W: Write + Seek>(
        &self,
        out: &mut W,
        changes: &[(&str, &[u8])],
    ) -> Result<()> {
        let changed: HashMap<&str, &[u8]> = changes
            .iter()
            .map(|(path, data)| (path.strip_prefix('/').unwrap_or(path), *data))
            .collect();
        for name in changed.keys() {
            check_name(name)?;
        }
        match &self.source {
            Origin::Memory(bytes) => rewrite_archive(Cursor::new(&**bytes), out, &changed, changes),
            Origin::File(file) => rewrite_archive(&**file, out, &changed, changes),
        }
    }
}

/// [`Package::rewrite_to`] of the archive in `reader`.
fn rewrite_archive<R: Read + Seek, W: Write + Seek>(
    reader: R,
    out: &mut W,
    changed: &HashMap<&str, &[u8]>,
    changes: &[(&str, &[u8])],
) -> Result<()> {
    let mut archive = ZipArchive::new(reader).map_err(zip_error)?;
    let mut output = UntilFailure {
        out,
        failed: None,
        position: 0,
    };
    let result = copy_archive(&mut archive, &mut output, changed, changes);
    match output.failed {
        Some(e) => Err(Error::io("OFD package", e)),
        None => result,
    }
}

/// The entries of `archive` into `out`, those named in `changed` replaced, then the new
/// ones of `changes`.
fn copy_archive<R: Read + Seek, W: Write + Seek>(
    archive: &mut ZipArchive<R>,
    out: &mut UntilFailure<'_, W>,
    changed: &HashMap<&str, &[u8]>,
    changes: &[(&str, &[u8])],
) -> Result<()> {
    let mut writer = ZipWriter::new(out);
    let mut written = Vec::new();
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).map_err(zip_error)?;
        let name = file.name().map_err(zip_error)?.into_owned();
        match changed.get(name.as_str()) {
            Some(data) => {
                drop(file);
                add_file(&mut writer, &name, data)?;
                written.push(name);
            }
            None => writer.raw_copy_file(file).map_err(copy_error)?,
        }
    }
    for (path, data) in changes {
        let name = path.strip_prefix('/').unwrap_or(path);
        if !written.iter().any(|w| w == name) {
            add_file(&mut writer, name, data)?;
            written.push(name.to_string());
        }
    }
    writer.finish().map_err(copy_error)?;
    Ok(())
}

/// The output of a rewrite. After a write or seek fails it takes no more bytes and reports
/// success, so that a `ZipWriter` dropped after the failure finalizes quietly (it prints
/// what its own finalizing fails with); the rewrite returns the first failure.
struct UntilFailure<'a, W> {
    out: &'a mut W,
    failed: Option<std::io::Error>,
    position: u64,
}

impl<W: Write + Seek> Write for UntilFailure<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.failed.is_none() {
            match self.out.write(buf) {
                Ok(n) => {
                    self.position += n as u64;
                    return Ok(n);
                }
                Err(e) => self.failed = Some(e),
            }
        }
        self.position += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failed.is_none()
            && let Err(e) = self.out.flush()
        {
            self.failed = Some(e);
        }
        Ok(())
    }
}

impl<W: Write + Seek> Seek for UntilFailure<'_, W> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        if self.failed.is_none() {
            match self.out.seek(pos) {
                Ok(at) => {
                    self.position = at;
                    return Ok(at);
                }
                Err(e) => self.failed = Some(e),
            }
        }
        self.position = match pos {
            std::io::SeekFrom::Start(at) => at,
            std::io::SeekFrom::Current(by) | std::io::SeekFrom::End(by) => {
                self.position.saturating_add_signed(by)
            }
        };
        Ok(self.position)
    }
}

/// Writes a new package of `entries` (path, content) in that order, deflated, with fixed
/// timestamps so that the same entries give the same bytes.
pub fn write_package(entries: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, data) in entries {
        let name = path.strip_prefix('/').unwrap_or(path);
        check_name(name)?;
        add_file(&mut writer, name, data)?;
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

fn add_file<W: Write + Seek>(writer: &mut ZipWriter<W>, name: &str, data: &[u8]) -> Result<()> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .large_file(data.len() as u64 >= u32::MAX as u64);
    writer.start_file(name, options).map_err(copy_error)?;
    writer
        .write_all(data)
        .map_err(|e| Error::io("OFD package", e))
}

/// An entry name is a relative path of non-empty segments other than `.` and `..`,
/// separated by `/`, without backslashes or control characters; a folder ends in `/`.
fn check_name(name: &str) -> Result<()> {
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    let bad = trimmed.is_empty()
        || trimmed.contains('\\')
        || trimmed.chars().any(char::is_control)
        || trimmed
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    if bad {
        return Err(malformed(format!("unsafe entry name {name:?}")));
    }
    Ok(())
}

/// Resolves `reference` as written in the file at `base` (both package paths): a leading
/// `/` starts at the package root, anything else at the folder of `base`. Returns the
/// absolute path; `..`, `.`, backslashes and empty segments are refused (SES-OFD.md §6).
pub fn resolve(base: &str, reference: &str) -> Result<String> {
    let reference = reference.trim();
    let joined = match reference.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => {
            let base = base.strip_prefix('/').unwrap_or(base);
            match base.rfind('/') {
                Some(slash) => format!("{}/{reference}", &base[..slash]),
                None => reference.to_string(),
            }
        }
    };
    check_name(&joined).map_err(|_| malformed(format!("unsafe path {reference:?} in {base}")))?;
    Ok(format!("/{joined}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rewrite_keep_other_entries() {
        let bytes =
            write_package(&[("OFD.xml", b"<a/>"), ("/Doc_0/Document.xml", b"<b/>")]).unwrap();
        let package = Package::read(bytes).unwrap();
        assert_eq!(package.get("/OFD.xml"), Some(&b"<a/>"[..]));
        assert_eq!(package.get("Doc_0/Document.xml"), Some(&b"<b/>"[..]));
        let rewritten = package
            .rewrite(&[("/OFD.xml", b"<c/>"), ("/Doc_0/Signs/x", b"x")])
            .unwrap();
        let again = Package::read(rewritten).unwrap();
        let names: Vec<_> = again.entries().iter().map(Entry::name).collect();
        assert_eq!(names, ["OFD.xml", "Doc_0/Document.xml", "Doc_0/Signs/x"]);
        assert_eq!(again.get("/OFD.xml"), Some(&b"<c/>"[..]));
    }

    #[test]
    fn unsafe_names_are_refused() {
        for name in ["../x", "a/../x", "a\\b", "a//b", "./a", "a\u{0}"] {
            let error = check_name(name).unwrap_err().to_string();
            assert!(error.contains("unsafe entry name"), "{name}: {error}");
        }
    }

    #[test]
    fn paths_resolve_against_the_referencing_folder() {
        assert_eq!(
            resolve("/Doc_0/Signs/Signatures.xml", "Sign_0/Signature.xml").unwrap(),
            "/Doc_0/Signs/Sign_0/Signature.xml"
        );
        assert_eq!(
            resolve("/OFD.xml", "Doc_0/Document.xml").unwrap(),
            "/Doc_0/Document.xml"
        );
        assert_eq!(
            resolve("/Doc_0/Document.xml", "/Doc_0/Pages/Page_0/Content.xml").unwrap(),
            "/Doc_0/Pages/Page_0/Content.xml"
        );
        assert!(resolve("/Doc_0/Document.xml", "../../etc/passwd").is_err());
    }
}
