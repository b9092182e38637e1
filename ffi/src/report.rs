//! `eseal_verify` and the `eseal_report` it gives.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use eseal::{Error, Indication, Report};

use super::args::{bytes_in, c_string, out_ptr};
use super::handles::{self, Kind};
use super::status::{FfiError, FfiResult, eseal_indication, eseal_status, guard, guard_value};
use super::trust_store::{eseal_trust_store, time_arg};

/// A verification report: the verdict of each signature found, and the report as JSON.
#[allow(non_camel_case_types)]
pub struct eseal_report {
    report: Report,
    json: OnceLock<CString>,
    strings: OnceLock<Vec<SignatureStrings>>,
}

/// The texts of one signature, made when C first asks for one.
struct SignatureStrings {
    sub_indication: Option<CString>,
    first_reason: Option<CString>,
    signer: Option<CString>,
    seal_name: Option<CString>,
    signing_time: Option<CString>,
}

impl eseal_report {
    fn new(report: Report) -> Self {
        eseal_report {
            report,
            json: OnceLock::new(),
            strings: OnceLock::new(),
        }
    }

    fn strings(&self) -> &[SignatureStrings] {
        self.strings.get_or_init(|| {
            let text = |s: Option<&str>| s.map(c_string);
            self.report
                .signatures
                .iter()
                .map(|s| SignatureStrings {
                    sub_indication: s.sub_indication.map(|x| c_string(&x.to_string())),
                    first_reason: s.reasons.first().map(|r| c_string(r.code())),
                    signer: text(s.signer.as_deref()),
                    seal_name: text(s.seal.as_deref()),
                    signing_time: s
                        .signing_time
                        .map(|t| c_string(&rfc3339_of(&t.to_string()))),
                })
                .collect()
        })
    }
}

/// A signing time as RFC 3339: a PDF date (`D:YYYYMMDDHHmmSS` with `Z` or `+HH'mm'`, ISO
/// 32000-1 clause 7.9.4) is rewritten, anything else is kept as it is.
fn rfc3339_of(time: &str) -> String {
    let Some(rest) = time.strip_prefix("D:") else {
        return time.to_owned();
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (Some(date), Some(tail)) = (rest.get(..14), rest.get(digits..)) else {
        return time.to_owned();
    };
    if digits != 14 {
        return time.to_owned();
    }
    let zone = match tail.as_bytes().first() {
        None | Some(b'Z') => "Z".to_owned(),
        Some(sign @ (b'+' | b'-')) => {
            let offset: String = tail.chars().filter(char::is_ascii_digit).collect();
            match (offset.get(..2), offset.get(2..4)) {
                (Some(h), Some(m)) => format!("{}{h}:{m}", *sign as char),
                (Some(h), None) => format!("{}{h}:00", *sign as char),
                _ => return time.to_owned(),
            }
        }
        Some(_) => return time.to_owned(),
    };
    let part = |a: usize, b: usize| date.get(a..b).unwrap_or_default();
    format!(
        "{}-{}-{}T{}:{}:{}{zone}",
        part(0, 4),
        part(4, 6),
        part(6, 8),
        part(8, 10),
        part(10, 12),
        part(12, 14)
    )
}

/// Verifies whatever `(data, len)` holds - a licence QR string (ZZ1:...), a PDF, an OFD
/// package, a GB/T 38540 seal or seal signature, a timestamp token or certificates - as of
/// `at` (Unix seconds or ESEAL_NOW) against `store`. A verdict, even TOTAL-FAILED, is
/// ESEAL_OK with a report in `*out`; free it with eseal_report_free. The call holds its own
/// reference to the store, so another thread may free its reference meanwhile.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`store` or `out` NULL, or `data` NULL with
/// `len` > 0); ESEAL_INVALID_HANDLE (`store` not a live trust store); ESEAL_INVALID_ARGUMENT
/// (`len` 0, or a licence QR and no trust list in the store); ESEAL_MALFORMED_INPUT (input
/// eseal cannot classify or read); ESEAL_PANIC.
///
/// # Safety
///
/// `store` is NULL or a pointer eseal returned (other threads may use it too); `(data, len)`
/// is a readable buffer, or NULL with `len` 0; `out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_verify(
    store: *const eseal_trust_store,
    data: *const u8,
    len: usize,
    at: i64,
    out: *mut *mut eseal_report,
) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        let store = eseal_trust_store::shared(store, "store")?;
        // SAFETY: `(data, len)` is readable or NULL (the caller's contract).
        let data = unsafe { bytes_in(data, len, "data") }?;
        if data.is_empty() {
            return Err(FfiError::new(
                eseal_status::ESEAL_INVALID_ARGUMENT,
                "data is empty",
            ));
        }
        let at = time_arg(at);
        let report = match store.read().verify(data, at) {
            Err(Error::NoTrustList) => Err(FfiError::new(
                eseal_status::ESEAL_INVALID_ARGUMENT,
                "a licence QR is verified against a trust list: add one with \
                 eseal_trust_store_add_trust_list",
            )),
            other => Ok(other?),
        }?;
        *out = handles::into_handle(eseal_report::new(report), Kind::Report);
        Ok(())
    })
}

/// The report behind `report`, or the failure C is told of.
fn live<'a>(report: *const eseal_report) -> FfiResult<&'a eseal_report> {
    handles::borrow(report, Kind::Report, "report")
}

/// The worst indication over all signatures of `report`; ESEAL_NOTHING_SIGNED when none
/// was found. ESEAL_TOTAL_FAILED when `report` is NULL or not a live report
/// (eseal_last_error_message() says why).
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_indication(report: *const eseal_report) -> eseal_indication {
    let failed = eseal_indication::ESEAL_TOTAL_FAILED;
    guard_value(
        failed,
        |_| failed,
        || {
            Ok(live(report)?.report.indication().map_or(
                eseal_indication::ESEAL_NOTHING_SIGNED,
                eseal_indication::from,
            ))
        },
    )
}

/// The number of signatures (or certificates) in `report`; 0 when `report` is NULL or not
/// a live report (eseal_last_error_message() says why).
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_signature_count(report: *const eseal_report) -> usize {
    guard_value(0, |_| 0, || Ok(live(report)?.report.signatures.len()))
}

fn out_of_range(i: usize) -> FfiError {
    FfiError::new(
        eseal_status::ESEAL_INVALID_ARGUMENT,
        format!("the report has no signature {i}"),
    )
}

/// The indication of signature `i` (0-based); ESEAL_TOTAL_FAILED when `i` is out of range
/// or `report` is NULL or not a live report (eseal_last_error_message() says why).
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_signature_indication(
    report: *const eseal_report,
    i: usize,
) -> eseal_indication {
    let failed = eseal_indication::ESEAL_TOTAL_FAILED;
    guard_value(
        failed,
        |_| failed,
        || {
            let indication: Indication = live(report)?
                .report
                .signatures
                .get(i)
                .ok_or_else(|| out_of_range(i))?
                .indication;
            Ok(indication.into())
        },
    )
}

/// A text of signature `i`, borrowed from the report; NULL when absent or out of range.
fn signature_text(
    report: *const eseal_report,
    i: usize,
    pick: fn(&SignatureStrings) -> &Option<CString>,
) -> *const c_char {
    guard_value(
        std::ptr::null(),
        |_| std::ptr::null(),
        || {
            let strings = live(report)?.strings();
            let s = strings.get(i).ok_or_else(|| out_of_range(i))?;
            Ok(pick(s).as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
        },
    )
}

/// The sub-indication of signature `i`, e.g. "HASH_FAILURE"; NULL when the signature has
/// none, or (and eseal_last_error_message() says why) when `i` is out of range or `report`
/// is NULL or not a live report. The string is borrowed from the report and lives as long
/// as it does; do not free it.
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_sub_indication(
    report: *const eseal_report,
    i: usize,
) -> *const c_char {
    signature_text(report, i, |s| &s.sub_indication)
}

/// The code of the first reason signature `i` is not TOTAL-PASSED, e.g. "DIGEST_MISMATCH";
/// NULL when the signature has none, or (and eseal_last_error_message() says why) when `i`
/// is out of range or `report` is NULL or not a live report. The string is borrowed from
/// the report and lives as long as it does; do not free it.
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_first_reason(
    report: *const eseal_report,
    i: usize,
) -> *const c_char {
    signature_text(report, i, |s| &s.first_reason)
}

/// The signer (certificate subject) of signature `i`; NULL when the signature has none, or
/// (and eseal_last_error_message() says why) when `i` is out of range or `report` is NULL
/// or not a live report. The string is borrowed from the report and lives as long as it
/// does; do not free it.
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_signer(
    report: *const eseal_report,
    i: usize,
) -> *const c_char {
    signature_text(report, i, |s| &s.signer)
}

/// The name of the e-seal of signature `i`; NULL when the signature has none, or (and
/// eseal_last_error_message() says why) when `i` is out of range or `report` is NULL or not
/// a live report. The string is borrowed from the report and lives as long as it does; do
/// not free it.
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_seal_name(
    report: *const eseal_report,
    i: usize,
) -> *const c_char {
    signature_text(report, i, |s| &s.seal_name)
}

/// The signing time of signature `i` (RFC 3339; a PDF date is rewritten); NULL when the
/// signature has none, or (and eseal_last_error_message() says why) when `i` is out of
/// range or `report` is NULL or not a live report. The string is borrowed from the report
/// and lives as long as it does; do not free it.
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_signing_time(
    report: *const eseal_report,
    i: usize,
) -> *const c_char {
    signature_text(report, i, |s| &s.signing_time)
}

/// The report as JSON, as `eseal verify --json` prints it; NULL when `report` is NULL or not
/// a live report (eseal_last_error_message() says why). The string is borrowed from the report and
/// lives as long as it does; do not free it.
///
/// # Safety
///
/// `report` is NULL or a pointer eseal returned, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_json(report: *const eseal_report) -> *const c_char {
    guard_value(
        std::ptr::null(),
        |_| std::ptr::null(),
        || {
            let report = live(report)?;
            let json = report.json.get_or_init(|| {
                let text = serde_json::to_string_pretty(&report.report).unwrap_or_default();
                c_string(&text)
            });
            Ok(json.as_ptr())
        },
    )
}

/// Frees a report (and every string borrowed from it); NULL, unknown and already freed
/// pointers are left alone.
///
/// # Safety
///
/// No other thread may use `report` during or after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_report_free(report: *mut eseal_report) {
    guard_value(
        (),
        |_| (),
        || {
            drop(handles::take(report, Kind::Report));
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339_of;

    #[test]
    fn pdf_dates_become_rfc3339() {
        assert_eq!(rfc3339_of("D:20261123232321Z"), "2026-11-23T23:23:21Z");
        assert_eq!(
            rfc3339_of("D:20261123232321+08'00'"),
            "2026-11-23T23:23:21+08:00"
        );
        assert_eq!(rfc3339_of("D:20261123232321"), "2026-11-23T23:23:21Z");
        assert_eq!(rfc3339_of("2026-11-23T23:23:21Z"), "2026-11-23T23:23:21Z");
        assert_eq!(rfc3339_of("D:2026"), "D:2026");
        assert_eq!(rfc3339_of("D:20261123232321X"), "D:20261123232321X");
    }
}
