//! `eseal_trust_store`: anchors, intermediates and CRLs for chains, and the licence trust
//! list and status lists for licence QR strings.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eseal::licence::trust_list::{TrustListError, VerifiedTrustList, verify_trust_list};
use eseal::licence::verify::StatusLists;
use eseal::pki::{Crl, TrustStore};

use super::args::{bytes_in, certificates_in, out_ptr};
use super::handles::{self, Kind};
use super::status::{ESEAL_NOW, FfiError, FfiResult, eseal_status, guard};

/// A trust store: what [`super::eseal_verify`] trusts. Any number of threads may share
/// one: verifications read it together, and an addition waits for them and they for it.
#[allow(non_camel_case_types)]
pub struct eseal_trust_store {
    parts: RwLock<TrustStoreParts>,
}

/// What a trust store holds.
pub(crate) struct TrustStoreParts {
    pub(crate) store: TrustStore,
    pub(crate) trust_list: Option<VerifiedTrustList>,
    pub(crate) status_lists: StatusLists,
}

impl eseal_trust_store {
    /// A store of `store`'s certificates and CRLs, a verified trust list and status lists.
    pub(crate) fn new(
        store: TrustStore,
        trust_list: Option<VerifiedTrustList>,
        status_lists: StatusLists,
    ) -> Self {
        eseal_trust_store {
            parts: RwLock::new(TrustStoreParts {
                store,
                trust_list,
                status_lists,
            }),
        }
    }

    /// The parts, for reading; verifications share them.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, TrustStoreParts> {
        self.parts.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The parts, for a change.
    fn write(&self) -> RwLockWriteGuard<'_, TrustStoreParts> {
        self.parts.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The time `at` (Unix seconds, or [`ESEAL_NOW`]) names.
pub(crate) fn time_arg(at: i64) -> SystemTime {
    if at == ESEAL_NOW {
        return SystemTime::now();
    }
    let magnitude = Duration::from_secs(at.unsigned_abs());
    let t = if at >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    t.unwrap_or(UNIX_EPOCH)
}

fn non_empty(data: &[u8], what: &str) -> FfiResult<()> {
    if data.is_empty() {
        return Err(FfiError::new(
            eseal_status::ESEAL_INVALID_ARGUMENT,
            format!("{what} is empty"),
        ));
    }
    Ok(())
}

/// Makes an empty trust store; free it with [`eseal_trust_store_free`].
///
/// # Safety
///
/// `out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_new(out: *mut *mut eseal_trust_store) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        *out = handles::into_handle(
            eseal_trust_store::new(TrustStore::new(), None, StatusLists::new()),
            Kind::TrustStore,
        );
        Ok(())
    })
}

/// The store behind `store`, and the bytes `(data, len)`, not empty.
///
/// # Safety
///
/// As for the `eseal_trust_store_add_*` functions.
unsafe fn store_and_data<'a>(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> FfiResult<(&'a eseal_trust_store, &'a [u8])> {
    let store = handles::borrow(store, Kind::TrustStore, "store")?;
    // SAFETY: `(data, len)` is a readable buffer or NULL (the caller's contract).
    let data = unsafe { bytes_in(data, len, "data") }?;
    non_empty(data, "data")?;
    Ok((store, data))
}

/// Adds trust anchors: certificates as a PEM bundle or DER.
///
/// # Safety
///
/// `store` is a trust store (other threads may use it too); `(data, len)` is a
/// readable buffer, or NULL with `len` 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_anchors(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        let certificates = certificates_in(data, "data")?;
        let mut parts = store.write();
        for cert in certificates {
            parts.store.add_anchor(cert)?;
        }
        Ok(())
    })
}

/// Adds intermediate CA certificates (PEM bundle or DER) that chains may go through; they
/// are not trusted by themselves.
///
/// # Safety
///
/// As for [`eseal_trust_store_add_anchors`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_intermediates(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        let certificates = certificates_in(data, "data")?;
        let mut parts = store.write();
        for cert in certificates {
            parts.store.add_intermediate(cert);
        }
        Ok(())
    })
}

/// Adds a CRL (RFC 5280; PEM or DER).
///
/// # Safety
///
/// As for [`eseal_trust_store_add_anchors`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_crl(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        let crl = Crl::from_pem_or_der(data)?;
        store.write().store.add_crl(crl);
        Ok(())
    })
}

/// Adds the licence trust list (COSE, LICENCE.md §4), verified against the store's
/// anchors as of `at` (Unix seconds or `ESEAL_NOW`); it replaces a list added before and
/// must not have a lower sequence number.
///
/// # Safety
///
/// As for [`eseal_trust_store_add_anchors`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_trust_list(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
    at: i64,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        let mut parts = store.write();
        let last_seq = parts.trust_list.as_ref().map(VerifiedTrustList::seq);
        let verified = verify_trust_list(data, &parts.store, time_arg(at), last_seq)
            .map_err(trust_list_error)?;
        parts.trust_list = Some(verified);
        Ok(())
    })
}

fn trust_list_error(error: TrustListError) -> FfiError {
    let status = match error {
        TrustListError::TooLarge | TrustListError::Malformed(_) | TrustListError::WrongType(_) => {
            eseal_status::ESEAL_MALFORMED_INPUT
        }
        TrustListError::UnsupportedAlgorithm(_) => eseal_status::ESEAL_UNSUPPORTED,
        _ => eseal_status::ESEAL_REFUSED,
    };
    FfiError::new(status, error.to_string())
}

/// Adds a licence status list (Token Status List CWT, LICENCE.md §5), filed under its
/// URI; it is verified against the trust list when a licence names it. For one URI the
/// list with the latest `iat` decides, whatever the order of adding: a list older than
/// one already added changes nothing and gives `ESEAL_REFUSED` (`STATUS_LIST_SUPERSEDED`
/// in the last error); a different list with the same `iat` makes that URI's status
/// unknown until a newer list is added, and gives `ESEAL_REFUSED`
/// (`STATUS_LIST_CONFLICT`).
///
/// # Safety
///
/// As for [`eseal_trust_store_add_anchors`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_status_list(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        let (uri, filed) = store
            .write()
            .status_lists
            .file(data.to_vec())
            .map_err(|e| {
                FfiError::new(
                    eseal_status::ESEAL_MALFORMED_INPUT,
                    format!("status list: {e}"),
                )
            })?;
        match filed.remark(&uri) {
            Some(remark) => Err(FfiError::new(eseal_status::ESEAL_REFUSED, remark)),
            None => Ok(()),
        }
    })
}

/// Frees a trust store; NULL, unknown and already freed pointers are left alone.
///
/// # Safety
///
/// No other thread may use `store` during or after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_free(store: *mut eseal_trust_store) {
    super::status::guard_value(
        (),
        |_| (),
        || {
            drop(handles::take(store, Kind::TrustStore));
            Ok(())
        },
    )
}
