//! Status codes, the thread's last error and the panic boundary every entry point runs in.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

use eseal::Error;

/// The time of the call: pass it as `at` to verify as of now.
pub const ESEAL_NOW: i64 = i64::MIN;

/// What a call did: `ESEAL_OK`, or why it did nothing.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum eseal_status {
    /// Done.
    ESEAL_OK = 0,
    /// A required pointer was NULL.
    ESEAL_NULL_PARAMETER = 1,
    /// Bad UTF-8, a bad option value, or empty where content is needed.
    ESEAL_INVALID_ARGUMENT = 2,
    /// A handle of the wrong kind, unknown, or already freed.
    ESEAL_INVALID_HANDLE = 3,
    /// The input could not be parsed (truncated, not a known kind, too large).
    ESEAL_MALFORMED_INPUT = 4,
    /// An algorithm or feature eseal does not support.
    ESEAL_UNSUPPORTED = 5,
    /// Wrong password, a key that does not match its certificate, or signing failed.
    ESEAL_KEY_ERROR = 6,
    /// A request refused: an invalid licence field, a keyword not found, a refused change.
    ESEAL_REFUSED = 7,
    /// No such licence or file.
    ESEAL_NOT_FOUND = 8,
    /// Files or the registry database failed.
    ESEAL_IO_ERROR = 9,
    /// A bug inside eseal was caught at the boundary.
    ESEAL_PANIC = 99,
}

/// Verdicts (ETSI EN 319 102-1 clause 5.1.3), and none when nothing signed was found.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum eseal_indication {
    /// Every check passed.
    ESEAL_TOTAL_PASSED = 0,
    /// The checks could not decide.
    ESEAL_INDETERMINATE = 1,
    /// A check failed.
    ESEAL_TOTAL_FAILED = 2,
    /// No signature found in the input.
    ESEAL_NOTHING_SIGNED = 3,
}

impl From<eseal::Indication> for eseal_indication {
    fn from(indication: eseal::Indication) -> Self {
        use eseal::Indication;
        match indication {
            Indication::TotalPassed => eseal_indication::ESEAL_TOTAL_PASSED,
            Indication::Indeterminate => eseal_indication::ESEAL_INDETERMINATE,
            Indication::TotalFailed => eseal_indication::ESEAL_TOTAL_FAILED,
        }
    }
}

/// A failed call: its status and the message [`eseal_last_error_message`] gives.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) status: eseal_status,
    pub(crate) message: String,
}

impl FfiError {
    pub(crate) fn new(status: eseal_status, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Self {
        FfiError::new(
            eseal_status::ESEAL_NULL_PARAMETER,
            format!("{what} is NULL"),
        )
    }
}

impl From<Error> for FfiError {
    fn from(error: Error) -> Self {
        use eseal_status::*;
        let status = match error.innermost() {
            Error::Malformed { .. } | Error::TooLarge { .. } => ESEAL_MALFORMED_INPUT,
            Error::UnsupportedAlgorithm(_) => ESEAL_UNSUPPORTED,
            Error::WrongPassword | Error::Signing(_) | Error::Pkcs11(_) => ESEAL_KEY_ERROR,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ESEAL_NOT_FOUND
            }
            Error::Io { .. } | Error::Unavailable(_) => ESEAL_IO_ERROR,
            Error::FontNotFound { .. } => ESEAL_NOT_FOUND,
            Error::NotAFile { .. } => ESEAL_NOT_FOUND,
            _ => ESEAL_REFUSED,
        };
        FfiError::new(status, error.to_string())
    }
}

/// The result of an entry point's body.
pub(crate) type FfiResult<T> = Result<T, FfiError>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str) {
    let text = super::args::c_string(message);
    LAST_ERROR.with(|last| *last.borrow_mut() = Some(text));
}

fn clear_last_error() {
    LAST_ERROR.with(|last| *last.borrow_mut() = None);
}

/// Runs `body` as an entry point: the last error is cleared, a failure is recorded as the
/// thread's last error and returned as its status, and a panic is caught and becomes
/// [`eseal_status::ESEAL_PANIC`].
pub(crate) fn guard(body: impl FnOnce() -> FfiResult<()>) -> eseal_status {
    guard_value(
        eseal_status::ESEAL_PANIC,
        |status| status,
        || body().map(|()| eseal_status::ESEAL_OK),
    )
}

/// [`guard`] for an entry point that returns a value: `on_error` turns a failed call's
/// status into what it returns, and `on_panic` is returned after a caught panic.
pub(crate) fn guard_value<T>(
    on_panic: T,
    on_error: impl FnOnce(eseal_status) -> T,
    body: impl FnOnce() -> FfiResult<T>,
) -> T {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => {
            set_last_error(&error.message);
            on_error(error.status)
        }
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            set_last_error(&format!("internal error (panic caught): {detail}"));
            on_panic
        }
    }
}

/// Runs a body that panics inside the panic boundary and returns what the boundary made
/// of it ([`eseal_status::ESEAL_PANIC`]); it exists to test the boundary and is not part
/// of the C ABI.
#[doc(hidden)]
pub fn guard_panic_for_tests() -> eseal_status {
    guard(|| panic!("the panic boundary test"))
}

/// The version of eseal, e.g. `"0.1.0"`: a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn eseal_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"",
        };
    VERSION.as_ptr()
}

/// Why the last eseal call on this thread failed, or NULL if it succeeded. The text is
/// UTF-8 and valid until the next eseal call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn eseal_last_error_message() -> *const c_char {
    LAST_ERROR.with(|last| {
        last.borrow()
            .as_ref()
            .map_or(std::ptr::null(), |message| message.as_ptr())
    })
}

/// The name of a status code, e.g. "ESEAL_NULL_PARAMETER"; "ESEAL_STATUS_UNKNOWN" for
/// any value that is not an eseal_status. A static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn eseal_status_name(status: c_int) -> *const c_char {
    use eseal_status::*;
    let name: &CStr = match status {
        s if s == ESEAL_OK as c_int => c"ESEAL_OK",
        s if s == ESEAL_NULL_PARAMETER as c_int => c"ESEAL_NULL_PARAMETER",
        s if s == ESEAL_INVALID_ARGUMENT as c_int => c"ESEAL_INVALID_ARGUMENT",
        s if s == ESEAL_INVALID_HANDLE as c_int => c"ESEAL_INVALID_HANDLE",
        s if s == ESEAL_MALFORMED_INPUT as c_int => c"ESEAL_MALFORMED_INPUT",
        s if s == ESEAL_UNSUPPORTED as c_int => c"ESEAL_UNSUPPORTED",
        s if s == ESEAL_KEY_ERROR as c_int => c"ESEAL_KEY_ERROR",
        s if s == ESEAL_REFUSED as c_int => c"ESEAL_REFUSED",
        s if s == ESEAL_NOT_FOUND as c_int => c"ESEAL_NOT_FOUND",
        s if s == ESEAL_IO_ERROR as c_int => c"ESEAL_IO_ERROR",
        s if s == ESEAL_PANIC as c_int => c"ESEAL_PANIC",
        _ => c"ESEAL_STATUS_UNKNOWN",
    };
    name.as_ptr()
}

/// The name of an indication, e.g. "ESEAL_TOTAL_PASSED"; "ESEAL_INDICATION_UNKNOWN" for
/// any value that is not an eseal_indication. A static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn eseal_indication_name(indication: c_int) -> *const c_char {
    use eseal_indication::*;
    let name: &CStr = match indication {
        i if i == ESEAL_TOTAL_PASSED as c_int => c"ESEAL_TOTAL_PASSED",
        i if i == ESEAL_INDETERMINATE as c_int => c"ESEAL_INDETERMINATE",
        i if i == ESEAL_TOTAL_FAILED as c_int => c"ESEAL_TOTAL_FAILED",
        i if i == ESEAL_NOTHING_SIGNED as c_int => c"ESEAL_NOTHING_SIGNED",
        _ => c"ESEAL_INDICATION_UNKNOWN",
    };
    name.as_ptr()
}
