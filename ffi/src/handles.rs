//! The process-wide registry of live handles: the address of every object handed to C,
//! with its kind, so a handle is checked before its memory is touched.

use std::collections::BTreeMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use super::status::{FfiError, FfiResult, eseal_status};

/// The kinds of object C holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    TrustStore,
    Report,
    Signer,
    Bytes,
    Office,
    String,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::TrustStore => "eseal_trust_store",
            Kind::Report => "eseal_report",
            Kind::Signer => "eseal_signer",
            Kind::Bytes => "eseal_bytes",
            Kind::Office => "eseal_office",
            Kind::String => "string",
        }
    }
}

// A B-tree rather than a hash table: its nodes are reached through pointers to their start,
// so leak checkers see the registry as reachable at exit.
static LIVE: LazyLock<RwLock<BTreeMap<usize, Kind>>> =
    LazyLock::new(|| RwLock::new(BTreeMap::new()));

/// Records `address` as a live object of `kind`.
pub(crate) fn insert(address: usize, kind: Kind) {
    LIVE.write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(address, kind);
}

/// Whether `address` is a live object of `kind`.
pub(crate) fn is_live(address: usize, kind: Kind) -> bool {
    LIVE.read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&address)
        == Some(&kind)
}

/// Forgets `address` if it is a live object of `kind`; whether it was.
pub(crate) fn remove(address: usize, kind: Kind) -> bool {
    let mut live = LIVE.write().unwrap_or_else(PoisonError::into_inner);
    if live.get(&address) == Some(&kind) {
        live.remove(&address);
        true
    } else {
        false
    }
}

/// Boxes `value` and records it as a live handle of `kind`.
pub(crate) fn into_handle<T>(value: T, kind: Kind) -> *mut T {
    let ptr = Box::into_raw(Box::new(value));
    insert(ptr as usize, kind);
    ptr
}

/// The object behind `ptr`, checked to be a live handle of `kind`; `what` names the
/// parameter in the error.
pub(crate) fn borrow<'a, T>(ptr: *const T, kind: Kind, what: &str) -> FfiResult<&'a T> {
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    if !is_live(ptr as usize, kind) {
        return Err(invalid(kind, what));
    }
    // SAFETY: the registry holds only addresses of boxes made by `into_handle` with this
    // kind (so of type T) that have not been freed; callers must not free a handle while
    // another thread uses it (documented in the header).
    Ok(unsafe { &*ptr })
}

/// Runs `pick` on the object behind `ptr`, checked to be a live handle of `kind`, with the
/// registry's read lock held: a free on another thread (which takes the write lock) waits
/// until `pick` returns. It is how a call takes its own reference (an `Arc` clone) to
/// shared state, so a racing free cannot free what the call uses; `pick` must not call
/// into the registry.
pub(crate) fn with_live<T, R>(
    ptr: *const T,
    kind: Kind,
    what: &str,
    pick: impl FnOnce(&T) -> R,
) -> FfiResult<R> {
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    let live = LIVE.read().unwrap_or_else(PoisonError::into_inner);
    if live.get(&(ptr as usize)) != Some(&kind) {
        return Err(invalid(kind, what));
    }
    // SAFETY: the registry holds only addresses of boxes made by `into_handle` with this
    // kind (so of type T) that have not been freed, and the read lock held until `pick`
    // returns keeps `take` from freeing this one meanwhile.
    Ok(pick(unsafe { &*ptr }))
}

/// [`borrow`] for a handle the call changes.
pub(crate) fn borrow_mut<'a, T>(ptr: *mut T, kind: Kind, what: &str) -> FfiResult<&'a mut T> {
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    if !is_live(ptr as usize, kind) {
        return Err(invalid(kind, what));
    }
    // SAFETY: as in `borrow`; the caller must not use the handle from another thread
    // during a call that changes it (documented in the header).
    Ok(unsafe { &mut *ptr })
}

/// Takes back the box behind `ptr` if it is a live handle of `kind` (and forgets it); an
/// unknown, freed or other-kind pointer gives `None` and is left alone.
pub(crate) fn take<T>(ptr: *mut T, kind: Kind) -> Option<Box<T>> {
    if ptr.is_null() || !remove(ptr as usize, kind) {
        return None;
    }
    // SAFETY: the address was a live box of type T made by `into_handle`, and removing it
    // from the registry under its write lock makes this the only owner.
    Some(unsafe { Box::from_raw(ptr) })
}

fn invalid(kind: Kind, what: &str) -> FfiError {
    FfiError::new(
        eseal_status::ESEAL_INVALID_HANDLE,
        format!(
            "{what} is not a live {} (wrong kind, unknown or already freed)",
            kind.name()
        ),
    )
}
