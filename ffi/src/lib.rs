//! The C ABI of eseal (`include/eseal.h`, generated from this crate by cbindgen), built as
//! `libeseal.so` and `libeseal.a`.
//!
//! Conventions, after rustls-ffi:
//!
//! - Every entry point runs inside one panic boundary (`status::guard`): a panic
//!   becomes [`eseal_status::ESEAL_PANIC`], never an unwind into C.
//! - Results go through out-pointers, written only on [`eseal_status::ESEAL_OK`] (set to
//!   NULL otherwise); [`eseal_last_error_message`] tells why a call failed (thread-local).
//! - Objects handed to C are boxed and recorded in a process-wide registry of live handles
//!   (`handles`): a handle of the wrong kind, unknown or already freed is refused with
//!   [`eseal_status::ESEAL_INVALID_HANDLE`] before its memory is touched, and freeing it
//!   does nothing.
//! - Strings are NUL-terminated UTF-8; byte buffers are pointer + length.
//! - A trust store is reference-counted (`Arc`): each thread holds its own reference
//!   ([`eseal_trust_store_ref`]), and each call takes its own for its duration, so a free
//!   racing a call cannot free what the call uses.

#![allow(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod handles;
mod office;
mod report;
mod seal;
mod signer;
mod status;
mod trust_store;

pub use args::{
    eseal_bytes, eseal_bytes_data, eseal_bytes_free, eseal_bytes_len, eseal_string_free,
};
pub use office::{
    eseal_office, eseal_office_free, eseal_office_issue, eseal_office_open, eseal_office_revoke,
    eseal_office_status_list,
};
pub use report::{
    eseal_report, eseal_report_first_reason, eseal_report_free, eseal_report_indication,
    eseal_report_json, eseal_report_seal_name, eseal_report_signature_count,
    eseal_report_signature_indication, eseal_report_signer, eseal_report_signing_time,
    eseal_report_sub_indication, eseal_verify,
};
pub use seal::{eseal_seal_ofd, eseal_seal_pdf};
pub use signer::{
    eseal_signer, eseal_signer_free, eseal_signer_from_pkcs8, eseal_signer_from_pkcs11,
    eseal_signer_from_pkcs12,
};
pub use status::{
    ESEAL_NOW, eseal_indication, eseal_indication_name, eseal_last_error_message, eseal_status,
    eseal_status_name, eseal_version, guard_panic_for_tests,
};
pub use trust_store::{
    eseal_trust_store, eseal_trust_store_add_anchors, eseal_trust_store_add_crl,
    eseal_trust_store_add_intermediates, eseal_trust_store_add_status_list,
    eseal_trust_store_add_trust_list, eseal_trust_store_free, eseal_trust_store_new,
    eseal_trust_store_ref,
};
