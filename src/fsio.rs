//! Files written whole or not at all, and inputs checked before they are read.
//!
//! Every file eseal writes goes through [`AtomicFile`]: the bytes go to a temporary file in
//! the destination's folder, which is flushed to disk and then renamed over the destination
//! (rename(2) replaces a directory entry in one step), and the folder is flushed too. An
//! interruption at any moment (a signal, a full disk, a crash) leaves either the old file
//! or the complete new one; an [`AtomicFile`] dropped without [`AtomicFile::commit`]
//! removes its temporary file. A SIGKILL or a power cut may leave a `.NAME.XXXXXX.tmp`
//! beside the destination, never a damaged destination.
//!
//! - The destination may be the input (`--in X --out X`): the input is read (or kept open)
//!   before the rename, and the rename only changes which file the name points to.
//! - A destination that is a symbolic link is written through: the file it points to is
//!   replaced and the link stays a link.
//! - A destination with several hard links: the rename replaces only the entry named; the
//!   other names keep the old bytes.
//! - A new document is created with mode 0644 (less what the umask takes away), a
//!   replaced one keeps its mode, a secret ([`AtomicFile::create_secret`]) is 0600.
//!
//! [`open_input`] opens a file only after its metadata says it is a regular file within a
//! size limit: a FIFO without a writer, `/dev/zero` or a sparse file of gigabytes is
//! refused before a byte is read.

use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// Mode of a new document (before the umask).
const DOCUMENT_MODE: u32 = 0o644;
/// Mode of a secret (a private key): the owner only.
const SECRET_MODE: u32 = 0o600;
/// How many symbolic links are followed to find the file a destination names, as
/// Linux's `MAXSYMLINKS`.
const MAX_SYMLINKS: usize = 40;

/// The temporary files of this process that are not yet committed or dropped, so that a
/// signal handler can remove them ([`exit_discarding_pending`]).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A file that replaces its destination only when [`commit`](Self::commit)ted: until then
/// the bytes written go to a temporary file in the destination's folder.
///
/// It writes unbuffered; wrap it in a [`std::io::BufWriter`] for many small writes.
pub struct AtomicFile {
    temp: Option<NamedTempFile>,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts a document at `path`: mode 0644 when new, the old file's mode when it
    /// replaces one.
    pub fn create(path: &Path) -> Result<Self> {
        Self::create_with(path, false)
    }

    /// Starts a secret (a private key) at `path`, readable and writable by the owner only.
    pub fn create_secret(path: &Path) -> Result<Self> {
        Self::create_with(path, true)
    }

    fn create_with(path: &Path, secret: bool) -> Result<Self> {
        let target = resolve_links(path)?;
        let keep_mode = match fs::metadata(&target) {
            Ok(m) if !secret => Some(m.permissions()),
            Ok(_) => None,
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&target, e)),
        };
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().ok_or_else(|| {
            Error::io(
                &target,
                io::Error::new(io::ErrorKind::InvalidInput, "names no file"),
            )
        })?;
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(if secret {
            SECRET_MODE
        } else {
            DOCUMENT_MODE
        }));
        // Created and recorded under the lock, so a signal handler never misses it.
        let mut pending = pending();
        let temp = builder
            .tempfile_in(&folder)
            .map_err(|e| Error::io(&target, e))?;
        pending.push(temp.path().to_path_buf());
        drop(pending);
        let file = AtomicFile {
            temp: Some(temp),
            target,
        };
        if let (Some(permissions), Some(temp)) = (keep_mode, &file.temp) {
            temp.as_file()
                .set_permissions(permissions)
                .map_err(|e| Error::io(temp.path(), e))?;
        }
        Ok(file)
    }

    /// The file this one replaces when committed (a symbolic link resolved).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the bytes to disk, renames the temporary file over the destination and
    /// flushes the folder: from then on the destination holds exactly what was written.
    pub fn commit(mut self) -> Result<()> {
        let Some(mut temp) = self.temp.take() else {
            return Ok(());
        };
        if let Err(e) = temp.as_file_mut().sync_all() {
            discard(temp);
            return Err(Error::io(&self.target, e));
        }
        let mut pending = pending();
        let temp_path = temp.path().to_path_buf();
        // A failed rename hands the temporary file back; it is removed under the lock.
        let renamed = temp.persist(&self.target).map_err(|e| e.error);
        pending.retain(|p| *p != temp_path);
        drop(pending);
        renamed.map_err(|e| Error::io(&self.target, e))?;
        // Makes the rename itself durable; a file system that cannot flush a folder has
        // already made it as durable as it can, so a failure here is not reported.
        if let Some(folder) = self.target.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(folder) = File::open(folder) {
                let _ = folder.sync_all();
            }
        Ok(())
    }

    /// The temporary file itself (`NamedTempFile`'s own `Write` adds its path to errors).
    fn temp(&mut self) -> io::Result<&mut File> {
        self.temp
            .as_mut()
            .map(NamedTempFile::as_file_mut)
            .ok_or_else(|| io::Error::other("the atomic file is already committed"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp()?.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.temp()?.seek(pos)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            discard(temp);
        }
    }
}

/// Removes a temporary file and its record together.
fn discard(temp: NamedTempFile) {
    let path = temp.path().to_path_buf();
    let mut pending = pending();
    drop(temp);
    pending.retain(|p| *p != path);
}

/// Writes `bytes` to `path` through an [`AtomicFile`]: `path` then holds either its old
/// content or all of `bytes`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// Like [`write_atomic`], for a secret: the file is readable by its owner only (0600).
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create_secret(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// Removes the temporary file of every [`AtomicFile`] of this process that is not
/// committed, and exits with `code` — for a signal handler (SIGINT, SIGTERM), so that an
/// interrupted command leaves no temporary file behind. A commit under way either
/// finishes before or does not happen.
pub fn exit_discarding_pending(code: i32) -> ! {
    // The lock stays held until the process ends: no temporary file is made or renamed
    // any more.
    let pending = pending();
    for path in pending.iter() {
        let _ = fs::remove_file(path);
    }
    std::process::exit(code)
}

/// The file a destination names, following symbolic links (also one whose target does
/// not exist yet, which the write then creates).
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                if let Ok(real) = fs::canonicalize(&path) {
                    return Ok(real);
                }
                let link = fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
                path = match path.parent() {
                    Some(folder) => folder.join(link),
                    None => link,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(Error::io(
        &path,
        io::Error::other("too many levels of symbolic links"),
    ))
}

/// Opens `path` for reading once its metadata (symbolic links followed) says it is a
/// regular file of at most `limit` bytes; returns the file and its size.
///
/// Nothing there, a directory, FIFO, device or socket is [`Error::NotAFile`]; a larger
/// file is [`Error::TooLarge`] — both without opening it. The file is opened without
/// blocking (a FIFO put in its place meanwhile cannot stall the open) and checked again.
pub fn open_input(path: &Path, limit: u64) -> Result<(File, u64)> {
    let metadata = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::NotAFile {
            path: path.to_path_buf(),
            problem: "no such file",
        },
        _ => Error::io(path, e),
    })?;
    check_input(path, &metadata, limit)?;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    let opened = file.metadata().map_err(|e| Error::io(path, e))?;
    check_input(path, &opened, limit)?;
    Ok((file, opened.len()))
}

fn check_input(path: &Path, metadata: &fs::Metadata, limit: u64) -> Result<()> {
    if let Some(problem) = not_a_file(&metadata.file_type()) {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
            problem,
        });
    }
    if metadata.len() > limit {
        return Err(Error::TooLarge {
            what: "input file",
            size: metadata.len(),
            limit,
        });
    }
    Ok(())
}

/// What a file that is not a regular file is, said for an error message.
fn not_a_file(kind: &fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory, not a regular file");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe), not a regular file");
        }
        if kind.is_char_device() {
            return Some("a character device, not a regular file");
        }
        if kind.is_block_device() {
            return Some("a block device, not a regular file");
        }
        if kind.is_socket() {
            return Some("a socket, not a regular file");
        }
    }
    Some("not a regular file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_without_commit_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pdf");
        fs::write(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"new, half written").unwrap();
        drop(file);
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(!pending().iter().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn commit_replaces_the_file_and_seek_patches_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pdf");
        fs::write(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"0123456789").unwrap();
        file.seek(SeekFrom::Start(2)).unwrap();
        file.write_all(b"ab").unwrap();
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"01ab456789");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn modes_secret_new_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::Permissions::from_mode;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("ca.key");
        write_secret(&key, b"key").unwrap();
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let kept = dir.path().join("kept.pdf");
        fs::write(&kept, b"old").unwrap();
        fs::set_permissions(&kept, mode(0o640)).unwrap();
        write_atomic(&kept, b"new").unwrap();
        assert_eq!(
            fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let new = dir.path().join("new.pdf");
        write_atomic(&new, b"new").unwrap();
        let new_mode = fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(new_mode & !0o644, 0, "{new_mode:o}");
        assert_eq!(new_mode & 0o600, 0o600, "{new_mode:o}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through_and_a_hard_link_keeps_the_old_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.pdf");
        let link = dir.path().join("link.pdf");
        fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink("real.pdf", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");

        let dangling = dir.path().join("dangling.pdf");
        std::os::unix::fs::symlink("created.pdf", &dangling).unwrap();
        write_atomic(&dangling, b"made").unwrap();
        assert_eq!(fs::read(dir.path().join("created.pdf")).unwrap(), b"made");
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );

        let other = dir.path().join("other-name.pdf");
        fs::hard_link(&real, &other).unwrap();
        write_atomic(&real, b"newer").unwrap();
        assert_eq!(fs::read(&real).unwrap(), b"newer");
        assert_eq!(fs::read(&other).unwrap(), b"new");
    }

    #[test]
    fn inputs_are_checked_before_they_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let err = open_input(dir.path(), 10).unwrap_err();
        assert!(
            matches!(err, Error::NotAFile { problem, .. } if problem == "a directory, not a regular file")
        );
        let err = open_input(&dir.path().join("missing"), 10).unwrap_err();
        assert!(matches!(
            err,
            Error::NotAFile {
                problem: "no such file",
                ..
            }
        ));
        let big = dir.path().join("big");
        File::create(&big).unwrap().set_len(11).unwrap();
        let err = open_input(&big, 10).unwrap_err();
        assert!(matches!(
            err,
            Error::TooLarge {
                size: 11,
                limit: 10,
                ..
            }
        ));
        let (_, size) = open_input(&big, 11).unwrap();
        assert_eq!(size, 11);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused() {
        let err = open_input(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero: a character device, not a regular file"
        );
    }
}
