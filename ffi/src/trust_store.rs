//! `eseal_trust_store`: anchors, intermediates and CRLs for chains, and the licence trust
//! list and status lists for licence QR strings.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eseal::{Error, TrustListError, Verifier};

use super::args::{bytes_in, out_ptr};
use super::handles::{self, Kind};
use super::status::{ESEAL_NOW, FfiError, FfiResult, eseal_status, guard};

/// A reference to a trust store, what eseal_verify trusts. The store itself is shared
/// (reference-counted) by every reference C holds (eseal_trust_store_new makes the first,
/// eseal_trust_store_ref more) and by the calls in progress, and freed with the last of
/// them. Any number of threads may use one store: verifications read it together, and an
/// addition waits for them and they for it.
#[allow(non_camel_case_types)]
pub struct eseal_trust_store {
    shared: Arc<SharedStore>,
}

/// One trust store, shared by the references to it: a [`Verifier`].
pub(crate) struct SharedStore {
    verifier: RwLock<Verifier>,
}

impl SharedStore {
    /// A store that trusts nothing yet.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(SharedStore {
            verifier: RwLock::new(Verifier::new()),
        })
    }

    /// The verifier, for reading; verifications share it.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Verifier> {
        self.verifier.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The verifier, for a change.
    fn write(&self) -> RwLockWriteGuard<'_, Verifier> {
        self.verifier
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl eseal_trust_store {
    /// A new handle (a new reference) to `shared`, for C to free with
    /// [`eseal_trust_store_free`].
    pub(crate) fn into_handle(shared: Arc<SharedStore>) -> *mut eseal_trust_store {
        handles::into_handle(eseal_trust_store { shared }, Kind::TrustStore)
    }

    /// The store behind the handle `ptr`: the call's own reference, taken while the
    /// handle is checked, so the store outlives the call even if C frees `ptr` meanwhile.
    pub(crate) fn shared(ptr: *const eseal_trust_store, what: &str) -> FfiResult<Arc<SharedStore>> {
        handles::with_live(ptr, Kind::TrustStore, what, |handle| {
            Arc::clone(&handle.shared)
        })
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

/// Makes an empty trust store in `*out`: the first reference to it, freed with
/// eseal_trust_store_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`out` NULL); ESEAL_PANIC.
///
/// # Safety
///
/// `out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_new(out: *mut *mut eseal_trust_store) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        *out = eseal_trust_store::into_handle(SharedStore::new());
        Ok(())
    })
}

/// Takes another reference to the trust store `store` in `*out`: a new handle to the same
/// store (not a copy: what is added through one is seen through all), freed with
/// eseal_trust_store_free. The store lives until its last reference is freed. Take one for
/// each thread before handing the store to it.
///
/// Batch verification: load one store (anchors, CRLs, trust list, status lists) before the
/// workers start; start a pool of one thread per core, each with its own reference; each
/// worker calls eseal_verify with its reference on the inputs it is handed and frees each
/// report, then frees its reference when the pool stops. The verifications run side by
/// side without waiting for each other (tests/c/shared_store_test.c: 8 threads, each with
/// its reference).
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` or `out` NULL); ESEAL_INVALID_HANDLE
/// (`store` not a live trust store, e.g. already freed); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned; `out` is NULL or points to a writable
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_ref(
    store: *const eseal_trust_store,
    out: *mut *mut eseal_trust_store,
) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        *out = eseal_trust_store::into_handle(eseal_trust_store::shared(store, "store")?);
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
) -> FfiResult<(Arc<SharedStore>, &'a [u8])> {
    let store = eseal_trust_store::shared(store, "store")?;
    // SAFETY: `(data, len)` is a readable buffer or NULL (the caller's contract).
    let data = unsafe { bytes_in(data, len, "data") }?;
    non_empty(data, "data")?;
    Ok((store, data))
}

/// Adds trust anchors: certificates as a PEM bundle or DER.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` NULL, or `data` NULL with `len` > 0), ESEAL_INVALID_HANDLE
/// (`store` not a live trust store), ESEAL_INVALID_ARGUMENT (`len` 0); ESEAL_MALFORMED_INPUT (no
/// certificate could be read); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned (other threads may use the store too);
/// `(data, len)` is a readable buffer, or NULL with `len` 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_anchors(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        store.write().add_anchors(data)?;
        Ok(())
    })
}

/// Adds intermediate CA certificates (PEM bundle or DER) that chains may go through; they
/// are not trusted by themselves.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` NULL, or `data` NULL with `len` > 0), ESEAL_INVALID_HANDLE
/// (`store` not a live trust store), ESEAL_INVALID_ARGUMENT (`len` 0); ESEAL_MALFORMED_INPUT (no
/// certificate could be read); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned (other threads may use the store too);
/// `(data, len)` is a readable buffer, or NULL with `len` 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_intermediates(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        store.write().add_intermediates(data)?;
        Ok(())
    })
}

/// Adds a CRL (RFC 5280; PEM or DER).
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` NULL, or `data` NULL with `len` > 0), ESEAL_INVALID_HANDLE
/// (`store` not a live trust store), ESEAL_INVALID_ARGUMENT (`len` 0); ESEAL_MALFORMED_INPUT (not a
/// CRL); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned (other threads may use the store too);
/// `(data, len)` is a readable buffer, or NULL with `len` 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_crl(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        store.write().add_crl(data)?;
        Ok(())
    })
}

/// Adds the licence trust list (COSE, LICENCE.md section 4), verified against the store's
/// anchors as of `at` (Unix seconds or ESEAL_NOW); it replaces a list added before and
/// must not have a lower sequence number.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` NULL, or `data` NULL with `len` > 0), ESEAL_INVALID_HANDLE
/// (`store` not a live trust store), ESEAL_INVALID_ARGUMENT (`len` 0); ESEAL_MALFORMED_INPUT (not a
/// trust list); ESEAL_UNSUPPORTED (its signature algorithm); ESEAL_REFUSED (its signature
/// does not verify against the anchors, it is not valid at `at`, or its sequence number is
/// lower than the list's it would replace); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned (other threads may use the store too);
/// `(data, len)` is a readable buffer, or NULL with `len` 0.
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
        match store.write().add_trust_list(data, time_arg(at)) {
            Err(Error::TrustList(error)) => Err(trust_list_error(error)),
            other => Ok(other?),
        }
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

/// Adds a licence status list (Token Status List CWT, LICENCE.md section 5), filed under
/// its URI; it is verified against the trust list when a licence names it. For one URI the
/// list with the latest `iat` decides, whatever the order of adding: a list older than one
/// already added changes nothing and gives ESEAL_REFUSED (STATUS_LIST_SUPERSEDED in the
/// last error); a different list with the same `iat` makes that URI's status unknown until
/// a newer list is added, and gives ESEAL_REFUSED (STATUS_LIST_CONFLICT).
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` NULL, or `data` NULL with `len` > 0), ESEAL_INVALID_HANDLE
/// (`store` not a live trust store), ESEAL_INVALID_ARGUMENT (`len` 0); ESEAL_MALFORMED_INPUT (not a
/// status list); ESEAL_REFUSED (superseded or conflicting, as above); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned (other threads may use the store too);
/// `(data, len)` is a readable buffer, or NULL with `len` 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_trust_store_add_status_list(
    store: *mut eseal_trust_store,
    data: *const u8,
    len: usize,
) -> eseal_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (store, data) = unsafe { store_and_data(store, data, len) }?;
        match store.write().add_status_list(data) {
            Ok(()) => Ok(()),
            Err(error @ Error::StatusList(_)) => Err(FfiError::new(
                eseal_status::ESEAL_MALFORMED_INPUT,
                error.to_string(),
            )),
            Err(Error::StatusListRefused { remark, .. }) => {
                Err(FfiError::new(eseal_status::ESEAL_REFUSED, remark))
            }
            Err(error) => Err(error.into()),
        }
    })
}

/// Frees one reference to a trust store: the store itself is freed with its last
/// reference, and a call in progress on another thread keeps it until the call returns.
/// NULL, unknown and already freed pointers are left alone.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned; after the call this reference is not
/// used again (other references are unaffected).
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
