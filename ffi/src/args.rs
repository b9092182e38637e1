//! Arguments in (byte buffers, strings, out-pointers) and the byte buffers and strings
//! eseal hands out.

use std::ffi::{CStr, CString, c_char};

use super::handles::{self, Kind};
use super::status::{FfiError, FfiResult, eseal_status, guard_value};

/// A byte buffer eseal returns (a sealed document, a signed status list): read it with
/// eseal_bytes_data and eseal_bytes_len, free it with eseal_bytes_free.
#[allow(non_camel_case_types)]
pub struct eseal_bytes {
    data: Vec<u8>,
}

/// The byte buffer `(data, len)`: `(NULL, 0)` is empty, `(NULL, n > 0)` is refused.
///
/// # Safety
///
/// A non-NULL `data` must point to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn bytes_in<'a>(data: *const u8, len: usize, what: &str) -> FfiResult<&'a [u8]> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(FfiError::null(what))
        };
    }
    if len > isize::MAX as usize {
        return Err(FfiError::new(
            eseal_status::ESEAL_INVALID_ARGUMENT,
            format!("{what}: length {len} is too large"),
        ));
    }
    // SAFETY: the caller promises `len` readable bytes at the non-NULL `data`, and `len`
    // fits an isize.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// The NUL-terminated UTF-8 string at `text`; NULL is refused.
///
/// # Safety
///
/// A non-NULL `text` must point to a NUL-terminated string that stays unchanged for `'a`.
pub(crate) unsafe fn str_in<'a>(text: *const c_char, what: &str) -> FfiResult<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { opt_str_in(text, what) }?.ok_or_else(|| FfiError::null(what))
}

/// [`str_in`] for an optional string: NULL is `None`.
///
/// # Safety
///
/// As for [`str_in`].
pub(crate) unsafe fn opt_str_in<'a>(text: *const c_char, what: &str) -> FfiResult<Option<&'a str>> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller promises a NUL-terminated string at the non-NULL `text`.
    let text = unsafe { CStr::from_ptr(text) };
    text.to_str().map(Some).map_err(|_| {
        FfiError::new(
            eseal_status::ESEAL_INVALID_ARGUMENT,
            format!("{what} is not UTF-8"),
        )
    })
}

/// The out-pointer `out`, its target set to NULL; a NULL `out` is refused.
///
/// # Safety
///
/// A non-NULL `out` must point to a writable pointer.
pub(crate) unsafe fn out_ptr<'a, T>(out: *mut *mut T, what: &str) -> FfiResult<&'a mut *mut T> {
    if out.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: the caller promises a writable pointer at the non-NULL `out`.
    let out = unsafe { &mut *out };
    *out = std::ptr::null_mut();
    Ok(out)
}

/// Sets `*out` to NULL when `out` is not NULL, so a failed call leaves no stale result.
///
/// # Safety
///
/// A non-NULL `out` must point to a writable pointer.
pub(crate) unsafe fn clear_out<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: the caller promises a writable pointer at the non-NULL `out`.
        unsafe { *out = std::ptr::null_mut() };
    }
}

/// The certificates `data` holds (a PEM bundle or DER), at least one.
pub(crate) fn certificates_in(data: &[u8], what: &str) -> FfiResult<Vec<eseal::Certificate>> {
    let certs = eseal::read_certificates(data)?;
    if certs.is_empty() {
        return Err(FfiError::new(
            eseal_status::ESEAL_MALFORMED_INPUT,
            format!("{what} holds no certificate"),
        ));
    }
    Ok(certs)
}

/// `text` as a C string; NUL characters inside, which C cannot hold, are dropped.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "")).unwrap_or_default()
}

/// A string for C to own and free with [`eseal_string_free`].
pub(crate) fn string_out(text: &str) -> *mut c_char {
    let ptr = c_string(text).into_raw();
    handles::insert(ptr as usize, Kind::String);
    ptr
}

/// A byte buffer for C to own and free with [`eseal_bytes_free`].
pub(crate) fn bytes_out(data: Vec<u8>) -> *mut eseal_bytes {
    handles::into_handle(eseal_bytes { data }, Kind::Bytes)
}

/// The bytes of `b`, borrowed from it (they live as long as `b`); NULL when `b` is NULL or
/// not a live eseal_bytes (eseal_last_error_message() says why).
///
/// # Safety
///
/// `b` is NULL or a pointer eseal returned; it must not be freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_bytes_data(b: *const eseal_bytes) -> *const u8 {
    guard_value(
        std::ptr::null(),
        |_| std::ptr::null(),
        || Ok(handles::borrow(b, Kind::Bytes, "b")?.data.as_ptr()),
    )
}

/// The length of `b`; 0 when `b` is NULL or not a live eseal_bytes
/// (eseal_last_error_message() says why).
///
/// # Safety
///
/// As for eseal_bytes_data.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_bytes_len(b: *const eseal_bytes) -> usize {
    guard_value(
        0,
        |_| 0,
        || Ok(handles::borrow(b, Kind::Bytes, "b")?.data.len()),
    )
}

/// Frees a byte buffer; NULL, unknown and already freed pointers are left alone.
///
/// # Safety
///
/// `b` must not be in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_bytes_free(b: *mut eseal_bytes) {
    guard_value(
        (),
        |_| (),
        || {
            drop(handles::take(b, Kind::Bytes));
            Ok(())
        },
    )
}

/// Frees a string eseal returned through a `char **`; NULL, unknown and already freed
/// pointers are left alone.
///
/// # Safety
///
/// `s` must not be in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_string_free(s: *mut c_char) {
    guard_value(
        (),
        |_| (),
        || {
            if !s.is_null() && handles::remove(s as usize, Kind::String) {
                // SAFETY: the address was a live string made by `string_out` with
                // `CString::into_raw`, and removing it from the registry made this the only
                // owner.
                drop(unsafe { CString::from_raw(s) });
            }
            Ok(())
        },
    )
}
