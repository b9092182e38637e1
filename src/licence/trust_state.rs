//! The highest trust list `seq` seen per issuer, kept in a file the user names, so that a
//! verifier that runs once per call (`eseal verify --trust-list-state`) refuses a rollback
//! to an older list as the C trust store refuses one within its life (LICENCE.md §4:
//! "`seq` monotonic; lower than seen = rollback, rejected").
//!
//! The file is a JSON object `{"<issuer>": <seq>, …}`; it is replaced atomically (a
//! temporary file in the same folder, fsync, rename) when a newer list is seen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::trust_list::{TrustListError, VerifiedTrustList, check_rollback};
use crate::error::{Error, Result};

/// The highest `seq` seen per trust list issuer, and the file it lives in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustListState {
    path: PathBuf,
    seen: BTreeMap<String, u64>,
}

impl TrustListState {
    /// Reads the state from `path`, which must be a regular file
    /// ([`crate::fsio::open_input`]); a file that does not exist yet is an empty state.
    pub fn load(path: &Path) -> Result<Self> {
        let seen = match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            _ => {
                let limit = crate::pki::MAX_PKI_FILE as u64;
                let (file, _) = crate::fsio::open_input(path, limit)?;
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(file, limit), &mut bytes)
                    .map_err(|e| Error::io(path, e))?;
                serde_json::from_slice(&bytes).map_err(|e| Error::Malformed {
                    what: "trust list state",
                    detail: format!("{}: {e}", path.display()),
                })?
            }
        };
        Ok(TrustListState {
            path: path.to_path_buf(),
            seen,
        })
    }

    /// The highest `seq` seen from `issuer`.
    pub fn last_seq(&self, issuer: &str) -> Option<u64> {
        self.seen.get(issuer).copied()
    }

    /// `check_rollback` of a verified list against the highest `seq` seen from its
    /// issuer.
    pub fn check(&self, list: &VerifiedTrustList) -> std::result::Result<(), TrustListError> {
        check_rollback(list.seq(), self.last_seq(list.issuer()))
    }

    /// Records `list`'s `seq` when it is the highest seen from its issuer and then writes
    /// the file atomically; returns whether it did.
    pub fn record(&mut self, list: &VerifiedTrustList) -> Result<bool> {
        if self
            .last_seq(list.issuer())
            .is_some_and(|last| last >= list.seq())
        {
            return Ok(false);
        }
        self.seen.insert(list.issuer().to_string(), list.seq());
        let json = serde_json::to_vec_pretty(&self.seen).expect("a map of numbers serialises");
        crate::fsio::write_atomic(&self.path, &json)?;
        Ok(true)
    }
}
