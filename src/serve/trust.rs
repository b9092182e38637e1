//! The trust material a verifying service holds: loaded from a folder at start, reloaded
//! on SIGHUP and when the folder's files change. A reload that fails keeps the last good
//! set and says why; nothing older replaces something newer (DESIGN.md: the newest trust
//! list, status list and CRL decide).
//!
//! The folder's layout, one kind of file per sub-folder:
//!
//! ```text
//! anchors/         trusted certificates (PEM bundles or DER)
//! intermediates/   CA certificates paths may go through
//! crls/            CRLs (PEM or DER)
//! ocsp/            OCSP responses (DER)
//! trust-lists/     licence trust lists (COSE); the highest sequence number decides
//! status-lists/    licence status lists (CWT); per URI the newest decides
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use crate::{Result, Verifier, rfc3339, unix_seconds, verify_trust_list};

const KINDS: [&str; 6] = [
    "anchors",
    "intermediates",
    "crls",
    "ocsp",
    "trust-lists",
    "status-lists",
];

/// The largest file read from the trust folder.
const MAX_FILE: u64 = 16 << 20;

/// One loaded set of trust material.
pub(crate) struct Loaded {
    pub verifier: Verifier,
    /// When the set was loaded.
    pub loaded_at: SystemTime,
    /// The files it was loaded from.
    pub files: usize,
    /// The trust list held.
    pub trust_list: Option<HeldTrustList>,
    /// The newest `iat` of the status lists held, per URI.
    pub newest_status_lists: std::collections::HashMap<String, i64>,
    /// The status lists and CRLs held, carried into the next load so that a file removed
    /// or replaced by an older one does not take the newer away.
    carried_status_lists: Vec<Vec<u8>>,
    carried_crls: Vec<Vec<u8>>,
}

/// A licence trust list as held: signed, with its sequence number and expiry.
#[derive(Clone)]
pub(crate) struct HeldTrustList {
    pub bytes: Vec<u8>,
    pub seq: u64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The outcome of the last reload.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReloadStatus {
    pub at: Option<SystemTime>,
    pub error: Option<String>,
    pub failures: u64,
}

/// The trust material in use, swapped whole on each good reload.
pub(crate) struct TrustMaterial {
    dir: Option<PathBuf>,
    current: RwLock<Arc<Loaded>>,
    status: Mutex<ReloadStatus>,
    fingerprint: Mutex<Vec<(PathBuf, SystemTime, u64)>>,
    /// Status lists the service signs itself (its office's), added to every load.
    own_status_lists: Mutex<Vec<Vec<u8>>>,
}

impl TrustMaterial {
    /// Loads `dir` (nothing trusted without one); an error names the file at fault.
    pub fn load(dir: Option<&Path>, now: SystemTime) -> Result<TrustMaterial> {
        let loaded = match dir {
            Some(dir) => load(dir, None, &[], now)?,
            None => Loaded::empty(now),
        };
        let fingerprint = dir.map(fingerprint).unwrap_or_default();
        Ok(TrustMaterial {
            dir: dir.map(Path::to_path_buf),
            current: RwLock::new(Arc::new(loaded)),
            status: Mutex::new(ReloadStatus::default()),
            fingerprint: Mutex::new(fingerprint),
            own_status_lists: Mutex::new(Vec::new()),
        })
    }

    /// The set in use.
    pub fn current(&self) -> Arc<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The last reload's outcome.
    pub fn status(&self) -> ReloadStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reloads when the folder's files changed since the last attempt.
    pub fn reload_if_changed(&self) {
        let Some(dir) = &self.dir else {
            return;
        };
        let now = fingerprint(dir);
        {
            let mut last = self.fingerprint.lock().unwrap_or_else(|e| e.into_inner());
            if *last == now {
                return;
            }
            *last = now;
        }
        self.reload(SystemTime::now());
    }

    /// Reloads the folder; on failure the set in use stays and the error is kept for
    /// `/healthz` and logged.
    pub fn reload(&self, now: SystemTime) {
        let Some(dir) = &self.dir else {
            return;
        };
        let previous = self.current();
        let own = self.own_status_lists();
        let result = load(dir, Some(&previous), &own, now);
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.at = Some(now);
        match result {
            Ok(loaded) => {
                super::log::event(
                    "trust_reload",
                    &[("files", loaded.files.to_string()), ("ok", "true".into())],
                );
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
                status.error = None;
            }
            Err(e) => {
                super::log::event(
                    "trust_reload",
                    &[("ok", "false".into()), ("error", e.to_string())],
                );
                status.error = Some(e.to_string());
                status.failures += 1;
            }
        }
    }

    /// Adds a status list the service signed (its office's) to the set in use and to
    /// every later load.
    pub fn add_own_status_list(&self, token: Vec<u8>, now: SystemTime) -> Result<()> {
        self.own_status_lists
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(token);
        let previous = self.current();
        let own = self.own_status_lists();
        let loaded = match &self.dir {
            Some(dir) => load(dir, Some(&previous), &own, now)?,
            None => {
                let mut loaded = Loaded::empty(now);
                add_status_lists(&mut loaded, &own)?;
                loaded
            }
        };
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        Ok(())
    }

    /// The service's own status lists, the newest last; older ones are dropped once a
    /// newer one was filed.
    fn own_status_lists(&self) -> Vec<Vec<u8>> {
        let mut own = self
            .own_status_lists
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let keep = own.len().saturating_sub(1);
        own.drain(..keep);
        own.clone()
    }
}

impl Loaded {
    fn empty(now: SystemTime) -> Loaded {
        Loaded {
            verifier: Verifier::new(),
            loaded_at: now,
            files: 0,
            trust_list: None,
            newest_status_lists: Default::default(),
            carried_status_lists: Vec::new(),
            carried_crls: Vec::new(),
        }
    }

    /// Seconds since the set was loaded.
    pub fn age(&self, now: SystemTime) -> u64 {
        now.duration_since(self.loaded_at)
            .map_or(0, |d| d.as_secs())
    }
}

/// Every file of `dir`'s sub-folders with its modification time and size, sorted.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, SystemTime, u64)> {
    let mut files = Vec::new();
    for kind in KINDS {
        for path in files_in(&dir.join(kind)).unwrap_or_default() {
            if let Ok(meta) = std::fs::metadata(&path) {
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                files.push((path, modified, meta.len()));
            }
        }
    }
    files
}

/// The regular files in `dir` (none when it is missing), sorted by name; hidden files and
/// editors' backups (`~`) are left out.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(crate::Error::io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| crate::Error::io(dir, e))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let hidden = name.is_none_or(|n| n.starts_with('.') || n.ends_with('~'));
        if !hidden && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| crate::Error::io(path, e))?;
    if meta.len() > MAX_FILE {
        return Err(crate::Error::TooLarge {
            what: "trust folder file",
            size: meta.len(),
            limit: MAX_FILE,
        }
        .in_file(path));
    }
    std::fs::read(path).map_err(|e| crate::Error::io(path, e))
}

/// Loads the folder `dir` on top of what `previous` held (its CRLs and status lists, and
/// its trust list's sequence number as the lowest acceptable) and the service's `own`
/// status lists.
fn load(dir: &Path, previous: Option<&Loaded>, own: &[Vec<u8>], now: SystemTime) -> Result<Loaded> {
    let mut loaded = Loaded::empty(now);
    let files = |kind: &str| -> Result<Vec<(PathBuf, Vec<u8>)>> {
        files_in(&dir.join(kind))?
            .into_iter()
            .map(|path| read(&path).map(|bytes| (path, bytes)))
            .collect()
    };
    let in_file = |path: &Path| {
        let path = path.to_path_buf();
        move |e: crate::Error| e.in_file(path)
    };
    let verifier = &mut loaded.verifier;
    for (path, bytes) in files("anchors")? {
        verifier.add_anchors(&bytes).map_err(in_file(&path))?;
        loaded.files += 1;
    }
    for (path, bytes) in files("intermediates")? {
        verifier.add_intermediates(&bytes).map_err(in_file(&path))?;
        loaded.files += 1;
    }
    let carried_crls = previous.map(|p| p.carried_crls.clone()).unwrap_or_default();
    for bytes in &carried_crls {
        verifier.add_crl(bytes)?;
    }
    for (path, bytes) in files("crls")? {
        verifier.add_crl(&bytes).map_err(in_file(&path))?;
        loaded.carried_crls.push(bytes);
        loaded.files += 1;
    }
    for (path, bytes) in files("ocsp")? {
        verifier.add_ocsp_response(&bytes).map_err(in_file(&path))?;
        loaded.files += 1;
    }
    let held = previous.and_then(|p| p.trust_list.clone());
    let mut best: Option<HeldTrustList> = None;
    for (path, bytes) in files("trust-lists")? {
        let verified = verify_trust_list(&bytes, verifier.trust_store(), now, None)
            .map_err(|e| crate::Error::from(e).in_file(&path))?;
        loaded.files += 1;
        if best.as_ref().is_none_or(|b| verified.seq() > b.seq) {
            best = Some(HeldTrustList {
                bytes,
                seq: verified.seq(),
                expires_at: verified.expires_at(),
            });
        }
    }
    if let (Some(best), Some(held)) = (&best, &held)
        && best.seq < held.seq
    {
        return Err(crate::Error::Invalid(format!(
            "the trust lists hold sequence {}, older than the {} in use",
            best.seq, held.seq
        )));
    }
    if let Some(list) = best.or(held) {
        verifier.add_trust_list(&list.bytes, now)?;
        loaded.trust_list = Some(list);
    }
    let mut lists = previous
        .map(|p| p.carried_status_lists.clone())
        .unwrap_or_default();
    for (path, bytes) in files("status-lists")? {
        // Parsed on its own first so that a broken file is named.
        crate::Verifier::new()
            .add_status_list(&bytes)
            .or_else(|e| match e {
                crate::Error::StatusListRefused { .. } => Ok(()),
                other => Err(other),
            })
            .map_err(in_file(&path))?;
        lists.push(bytes);
        loaded.files += 1;
    }
    lists.extend(own.iter().cloned());
    add_status_lists(&mut loaded, &lists)?;
    Ok(loaded)
}

/// Files in `loaded`'s verifier the newest of `lists` for each URI (older ones would
/// only be reported as superseded) and keeps them to carry into the next load.
fn add_status_lists(loaded: &mut Loaded, lists: &[Vec<u8>]) -> Result<()> {
    let mut dated = Vec::with_capacity(lists.len());
    for bytes in lists {
        let peeked = crate::licence::status_list::peek_status_list(bytes)?;
        if let (Some(uri), Some(iat)) = (peeked.uri, peeked.iat) {
            let newest = loaded.newest_status_lists.entry(uri.clone()).or_insert(iat);
            *newest = iat.max(*newest);
            dated.push((uri, iat, bytes));
        }
    }
    let mut seen = std::collections::HashSet::new();
    loaded.carried_status_lists.clear();
    for (uri, iat, bytes) in dated {
        if loaded.newest_status_lists[&uri] != iat || !seen.insert(bytes.as_slice()) {
            continue;
        }
        match loaded.verifier.add_status_list(bytes) {
            Ok(()) | Err(crate::Error::StatusListRefused { .. }) => {}
            Err(e) => return Err(e),
        }
        loaded.carried_status_lists.push(bytes.clone());
    }
    Ok(())
}

/// The time `at` for logs and `/healthz`.
pub(crate) fn time_text(at: SystemTime) -> String {
    rfc3339(unix_seconds(at))
}
