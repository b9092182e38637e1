//! `eseal_office`: an issuing office directory (`eseal licence init`) — issuing,
//! revoking, publishing the status list.

use std::ffi::c_char;
use std::path::Path;
use std::time::{Duration, SystemTime};

use eseal::{LicenceRequest, LicenceState, OfficeDir, OpCode, unix_seconds};

use super::args::{bytes_out, clear_out, eseal_bytes, opt_str_in, out_ptr, str_in, string_out};
use super::handles::{self, Kind};
use super::status::{FfiError, eseal_status, guard, guard_value};

/// Who the registry's history and audit log name for changes made through the C ABI, as
/// the CLI's default `--operator`.
const OPERATOR: &str = "eseal";

/// Seconds after which verifiers refetch a status list (the CLI's default `--ttl`).
const STATUS_LIST_TTL: Duration = Duration::from_secs(3600);

/// How long a status list is valid (the CLI's default `--valid-hours`).
const STATUS_LIST_VALIDITY: Duration = Duration::from_secs(48 * 3600);

/// The status codes a revocation may set (the CLI's `--status`): 03 revoked (撤销),
/// 04 cancelled (注销), 07 withdrawn (吊销).
const REVOKE_STATUSES: [&str; 3] = ["03", "04", "07"];

/// The status a revocation sets when none is given (the CLI's default).
const DEFAULT_REVOKE_STATUS: &str = "07";

/// An issuing office opened from its directory.
#[allow(non_camel_case_types)]
pub struct eseal_office {
    dir: OfficeDir,
}

/// Opens in `*out` the office in the directory `dir` (made by `eseal licence init`); free
/// it with eseal_office_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`dir` or `out` NULL); ESEAL_INVALID_ARGUMENT
/// (`dir` not UTF-8); ESEAL_NOT_FOUND (no such directory, or a file of the office missing);
/// ESEAL_MALFORMED_INPUT (a file of the office cannot be read); ESEAL_IO_ERROR (the files
/// or the registry database failed); ESEAL_REFUSED (not an office directory); ESEAL_PANIC.
///
/// # Safety
///
/// `dir` is a NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_office_open(
    dir: *const c_char,
    out: *mut *mut eseal_office,
) -> eseal_status {
    guard(|| {
        // SAFETY: every pointer is as the caller's contract says.
        let out = unsafe { out_ptr(out, "out") }?;
        // SAFETY: as above.
        let dir = unsafe { str_in(dir, "dir") }?;
        let dir = OfficeDir::open(Path::new(dir))?;
        *out = handles::into_handle(eseal_office { dir }, Kind::Office);
        Ok(())
    })
}

/// Issues one licence of `type_code` from the JSON request `request_json` (as `eseal
/// licence issue --in`), with an optional `idempotency_key`. Writes the identifier in
/// `*identifier_out` and the QR string in `*qr_out` (free both with eseal_string_free) and,
/// when `pdf_out` is not NULL, the licence rendered as a PDF sealed with the office's
/// e-seal in `*pdf_out` (free it with eseal_bytes_free).
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`office`, `type_code`, `request_json`,
/// `identifier_out` or `qr_out` NULL); ESEAL_INVALID_HANDLE (`office` not a live office);
/// ESEAL_INVALID_ARGUMENT (a string not UTF-8); ESEAL_MALFORMED_INPUT (`request_json` is not
/// JSON); ESEAL_REFUSED (an invalid licence field, an unknown type, or the idempotency key
/// used for another request); ESEAL_KEY_ERROR (signing failed); ESEAL_NOT_FOUND (a file of
/// the office missing); ESEAL_IO_ERROR (the files or the registry database failed);
/// ESEAL_PANIC.
///
/// # Safety
///
/// `office` is NULL or an office handle no other thread uses during the call; the strings
/// are NULL or NUL-terminated; `identifier_out`, `qr_out` and `pdf_out` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_office_issue(
    office: *mut eseal_office,
    type_code: *const c_char,
    request_json: *const c_char,
    idempotency_key: *const c_char,
    identifier_out: *mut *mut c_char,
    qr_out: *mut *mut c_char,
    pdf_out: *mut *mut eseal_bytes,
) -> eseal_status {
    guard(|| {
        // SAFETY: every pointer is as the caller's contract says.
        unsafe { clear_out(pdf_out) };
        // SAFETY: as above.
        unsafe { clear_out(qr_out) };
        // SAFETY: as above.
        let identifier_out = unsafe { out_ptr(identifier_out, "identifier_out") }?;
        // SAFETY: as above.
        let qr_out = unsafe { out_ptr(qr_out, "qr_out") }?;
        let office = handles::borrow_mut(office, Kind::Office, "office")?;
        // SAFETY: as above.
        let type_code = unsafe { str_in(type_code, "type_code") }?;
        // SAFETY: as above.
        let request_json = unsafe { str_in(request_json, "request_json") }?;
        // SAFETY: as above.
        let idempotency_key = unsafe { opt_str_in(idempotency_key, "idempotency_key") }?;
        let request = LicenceRequest::from_json(request_json.as_bytes())?;
        let at = unix_seconds(SystemTime::now());
        let (issued, pdf) = office.dir.issue(
            type_code,
            &request,
            idempotency_key,
            OPERATOR,
            at,
            !pdf_out.is_null(),
        )?;
        *identifier_out = string_out(&issued.record.identifier);
        *qr_out = string_out(&issued.record.qr);
        if let Some(pdf) = pdf
            && !pdf_out.is_null()
        {
            // SAFETY: `pdf_out` is non-NULL and writable (the caller's contract).
            unsafe { *pdf_out = bytes_out(pdf) };
        }
        Ok(())
    })
}

/// Revokes the licence `identifier` (final) with `reason`: `status` "03" revoked (撤销),
/// "04" cancelled (注销) or "07" withdrawn (吊销, the default when NULL), as `eseal licence
/// revoke`. Publish a new status list afterwards.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`office`, `identifier` or `reason` NULL);
/// ESEAL_INVALID_HANDLE (`office` not a live office); ESEAL_INVALID_ARGUMENT (a string not
/// UTF-8, `reason` empty, `status` not 03, 04 or 07); ESEAL_NOT_FOUND (no such licence);
/// ESEAL_REFUSED (the licence is already in a final state); ESEAL_IO_ERROR (the registry
/// database failed); ESEAL_PANIC.
///
/// # Safety
///
/// `office` is NULL or an office handle no other thread uses during the call; the strings
/// are NULL or NUL-terminated (`status` may be NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_office_revoke(
    office: *mut eseal_office,
    identifier: *const c_char,
    reason: *const c_char,
    status: *const c_char,
) -> eseal_status {
    guard(|| {
        let office = handles::borrow_mut(office, Kind::Office, "office")?;
        // SAFETY: every pointer is as the caller's contract says.
        let identifier = unsafe { str_in(identifier, "identifier") }?;
        // SAFETY: as above.
        let reason = unsafe { str_in(reason, "reason") }?;
        // SAFETY: as above.
        let status = unsafe { opt_str_in(status, "status") }?.unwrap_or(DEFAULT_REVOKE_STATUS);
        let invalid =
            |message: String| FfiError::new(eseal_status::ESEAL_INVALID_ARGUMENT, message);
        if reason.trim().is_empty() {
            return Err(invalid("reason is empty".into()));
        }
        let to = REVOKE_STATUSES
            .contains(&status)
            .then(|| LicenceState::from_code(status, 1))
            .flatten()
            .ok_or_else(|| invalid(format!("status {status:?} is not 03, 04 or 07")))?;
        if office.dir.licence(identifier)?.is_none() {
            return Err(FfiError::new(
                eseal_status::ESEAL_NOT_FOUND,
                format!("no licence {identifier}"),
            ));
        }
        let at = unix_seconds(SystemTime::now());
        office
            .dir
            .set_status(identifier, to, OpCode::Terminate, reason, OPERATOR, at)?;
        Ok(())
    })
}

/// Signs the office's current status list (Token Status List CWT, valid 48 hours, refetch
/// after an hour) into `*out` (free it with eseal_bytes_free), and signs its audit log's
/// head into the office's audit-heads/, as `eseal licence status-list`.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`office` or `out` NULL); ESEAL_INVALID_HANDLE
/// (`office` not a live office); ESEAL_KEY_ERROR (signing failed); ESEAL_IO_ERROR (the files
/// or the registry database failed); ESEAL_PANIC.
///
/// # Safety
///
/// `office` is NULL or an office handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_office_status_list(
    office: *mut eseal_office,
    out: *mut *mut eseal_bytes,
) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        let office = handles::borrow(office, Kind::Office, "office")?;
        let now = SystemTime::now();
        let (_, token) =
            office
                .dir
                .status_list(None, now, STATUS_LIST_TTL, STATUS_LIST_VALIDITY)?;
        office.dir.sign_audit_head(now)?;
        *out = bytes_out(token);
        Ok(())
    })
}

/// Closes an office; NULL, unknown and already freed pointers are left alone.
///
/// # Safety
///
/// No other thread may use `office` during or after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_office_free(office: *mut eseal_office) {
    guard_value(
        (),
        |_| (),
        || {
            drop(handles::take(office, Kind::Office));
            Ok(())
        },
    )
}
