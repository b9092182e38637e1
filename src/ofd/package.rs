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
//! [`Package::rewrite`] writes a new package in which the given entries are replaced or
//! added and every other entry is copied byte for byte, compressed data included.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Write};

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

/// One file of a package.
#[derive(Clone, Debug)]
pub struct Entry {
    name: String,
    data: Vec<u8>,
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

    /// The decompressed content.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// An OFD package read into memory; it borrows the package's bytes or owns them.
#[derive(Clone, Debug)]
pub struct Package<'a> {
    source: Cow<'a, [u8]>,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

fn malformed(detail: impl ToString) -> Error {
    Error::malformed("OFD package", detail)
}

fn zip_error(error: zip::result::ZipError) -> Error {
    malformed(error)
}

impl<'a> Package<'a> {
    /// Reads a package (`Vec<u8>` or `&[u8]`) with the default [`Limits`].
    pub fn read(bytes: impl Into<Cow<'a, [u8]>>) -> Result<Self> {
        Self::read_with_limits(bytes, &Limits::default())
    }

    /// Reads a package, refusing anything outside `limits`.
    pub fn read_with_limits(bytes: impl Into<Cow<'a, [u8]>>, limits: &Limits) -> Result<Self> {
        let bytes = bytes.into();
        let (entries, index) = {
            let mut archive = ZipArchive::new(Cursor::new(&*bytes)).map_err(zip_error)?;
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
            let mut inflater = libdeflater::Decompressor::new();
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
                let raw = usize::try_from(start)
                    .ok()
                    .zip(usize::try_from(compressed_size).ok())
                    .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
                    .ok_or_else(|| malformed(format!("{name} is truncated")))?;
                let data = match file.compression() {
                    CompressionMethod::Stored if compressed_size == size => raw.to_vec(),
                    CompressionMethod::Stored => {
                        return Err(malformed(format!(
                            "{name} is stored with two different sizes"
                        )));
                    }
                    CompressionMethod::Deflated => {
                        let mut data = vec![0; size as usize];
                        match inflater.deflate_decompress(raw, &mut data) {
                            Ok(n) if n as u64 == size => data,
                            _ => {
                                return Err(malformed(format!(
                                    "{name} does not inflate to its declared {size} bytes"
                                )));
                            }
                        }
                    }
                    other => {
                        return Err(malformed(format!(
                            "{name} uses compression method {other}, not stored or deflate"
                        )));
                    }
                };
                if libdeflater::crc32(&data) != file.crc32() {
                    return Err(malformed(format!("{name} fails its CRC-32 check")));
                }
                if index.insert(name.clone(), entries.len()).is_some() {
                    return Err(malformed(format!("{name} appears twice")));
                }
                entries.push(Entry { name, data });
            }
            (entries, index)
        };
        Ok(Package {
            source: bytes,
            entries,
            index,
        })
    }

    /// The files of the package in directory order (folders left out).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The content of the file at `path` (`/Doc_0/Document.xml` or `Doc_0/Document.xml`).
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        let name = path.strip_prefix('/').unwrap_or(path);
        self.index
            .get(name)
            .map(|&i| self.entries[i].data.as_slice())
    }

    /// Whether the package holds a file at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// The package as it was read.
    pub fn bytes(&self) -> &[u8] {
        &self.source
    }

    /// A new package with `changes` (path, content) written over existing files or added
    /// after them; every other entry is copied as it is, compressed bytes included.
    pub fn rewrite(&self, changes: &[(&str, &[u8])]) -> Result<Vec<u8>> {
        let changed: HashMap<&str, &[u8]> = changes
            .iter()
            .map(|(path, data)| (path.strip_prefix('/').unwrap_or(path), *data))
            .collect();
        for name in changed.keys() {
            check_name(name)?;
        }
        let mut archive = ZipArchive::new(Cursor::new(&*self.source)).map_err(zip_error)?;
        let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(self.source.len())));
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
                None => writer.raw_copy_file(file).map_err(zip_error)?,
            }
        }
        for (path, data) in changes {
            let name = path.strip_prefix('/').unwrap_or(path);
            if !written.iter().any(|w| w == name) {
                add_file(&mut writer, name, data)?;
                written.push(name.to_string());
            }
        }
        Ok(writer.finish().map_err(zip_error)?.into_inner())
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

fn add_file(writer: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, data: &[u8]) -> Result<()> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .large_file(data.len() as u64 >= u32::MAX as u64);
    writer.start_file(name, options).map_err(zip_error)?;
    writer
        .write_all(data)
        .map_err(|e| malformed(format!("writing {name}: {e}")))
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
