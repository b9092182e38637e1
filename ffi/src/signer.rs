//! `eseal_signer`: a signing key with its certificate chain.

use std::ffi::c_char;

use eseal::{Certificate, Signer, SoftwareKey};

use super::args::{bytes_in, certificates_in, opt_str_in, out_ptr, str_in};
use super::handles::{self, Kind};
use super::status::{FfiError, FfiResult, eseal_status, guard, guard_value};

/// A signer: a key (software or PKCS#11) and its certificate, with the chain after it.
#[allow(non_camel_case_types)]
pub struct eseal_signer {
    pub(crate) key: Box<dyn Signer>,
    pub(crate) certificate: Certificate,
    pub(crate) chain: Vec<Certificate>,
}

/// Pairs `key` with `certs` (leaf first), checking the leaf is the key's.
fn signer(key: Box<dyn Signer>, mut certs: Vec<Certificate>) -> FfiResult<eseal_signer> {
    if certs.is_empty() {
        return Err(FfiError::new(
            eseal_status::ESEAL_INVALID_ARGUMENT,
            "no certificate for the key",
        ));
    }
    let certificate = certs.remove(0);
    if certificate.spki_der() != key.public_key_spki() {
        return Err(FfiError::new(
            eseal_status::ESEAL_KEY_ERROR,
            "the key does not belong to the certificate",
        ));
    }
    Ok(eseal_signer {
        key,
        certificate,
        chain: certs,
    })
}

/// The certificates `(certs, len)` hold (PEM bundle or DER), at least one.
///
/// # Safety
///
/// `(certs, len)` is a readable buffer, or NULL with `len` 0.
unsafe fn chain_in(certs: *const u8, len: usize) -> FfiResult<Vec<Certificate>> {
    // SAFETY: forwarded from the caller's contract.
    let certs = unsafe { bytes_in(certs, len, "certs") }?;
    if certs.is_empty() {
        return Err(FfiError::new(
            eseal_status::ESEAL_INVALID_ARGUMENT,
            "certs is empty",
        ));
    }
    certificates_in(certs, "certs")
}

/// Makes a signer in `*out` of a PKCS#8 key (PEM or DER; encrypted with `password`, or NULL
/// when it is not) and its certificate chain `certs` (PEM bundle or DER, leaf first). Free
/// it with eseal_signer_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`out` NULL, or a buffer NULL with a length > 0);
/// ESEAL_INVALID_ARGUMENT (`key` or `certs` empty, `password` not UTF-8); ESEAL_MALFORMED_INPUT
/// (the key or the certificates cannot be read); ESEAL_UNSUPPORTED (the key's algorithm);
/// ESEAL_KEY_ERROR (wrong password, or the key is not the first certificate's); ESEAL_PANIC.
///
/// # Safety
///
/// `(key, key_len)` and `(certs, certs_len)` are readable buffers (or NULL with length 0);
/// `password` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_signer_from_pkcs8(
    key: *const u8,
    key_len: usize,
    password: *const c_char,
    certs: *const u8,
    certs_len: usize,
    out: *mut *mut eseal_signer,
) -> eseal_status {
    guard(|| {
        // SAFETY: every pointer is as the caller's contract says.
        let out = unsafe { out_ptr(out, "out") }?;
        // SAFETY: as above.
        let key = unsafe { bytes_in(key, key_len, "key") }?;
        // SAFETY: as above.
        let password = unsafe { opt_str_in(password, "password") }?;
        // SAFETY: as above.
        let certs = unsafe { chain_in(certs, certs_len) }?;
        if key.is_empty() {
            return Err(FfiError::new(
                eseal_status::ESEAL_INVALID_ARGUMENT,
                "key is empty",
            ));
        }
        let key = match (std::str::from_utf8(key), password) {
            (Ok(text), _) if text.contains("-----BEGIN") => SoftwareKey::from_pem(text, password)?,
            (_, Some(password)) => SoftwareKey::from_encrypted_pkcs8_der(key, password)?,
            (_, None) => SoftwareKey::from_pkcs8_der(key)?,
        };
        *out = handles::into_handle(signer(Box::new(key), certs)?, Kind::Signer);
        Ok(())
    })
}

/// Makes a signer in `*out` of a PKCS#12 file protected by `password`: its key, the
/// certificate of that key and the other certificates (self-signed roots aside) as its
/// chain. Free it with eseal_signer_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`password` or `out` NULL, or `p12` NULL with
/// `len` > 0); ESEAL_INVALID_ARGUMENT (`len` 0, `password` not UTF-8, or no certificate of
/// the key in the file); ESEAL_MALFORMED_INPUT (not a PKCS#12 file); ESEAL_UNSUPPORTED (its
/// key or encryption algorithm); ESEAL_KEY_ERROR (wrong password); ESEAL_PANIC.
///
/// # Safety
///
/// `(p12, len)` is a readable buffer (or NULL with length 0); `password` is a
/// NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_signer_from_pkcs12(
    p12: *const u8,
    len: usize,
    password: *const c_char,
    out: *mut *mut eseal_signer,
) -> eseal_status {
    guard(|| {
        // SAFETY: every pointer is as the caller's contract says.
        let out = unsafe { out_ptr(out, "out") }?;
        // SAFETY: as above.
        let p12 = unsafe { bytes_in(p12, len, "p12") }?;
        // SAFETY: as above.
        let password = unsafe { str_in(password, "password") }?;
        if p12.is_empty() {
            return Err(FfiError::new(
                eseal_status::ESEAL_INVALID_ARGUMENT,
                "p12 is empty",
            ));
        }
        let (key, ders) = SoftwareKey::from_pkcs12(p12, password)?;
        let certs: Vec<Certificate> = ders
            .iter()
            .filter_map(|der| Certificate::from_der(der).ok())
            .collect();
        let (leaf, rest): (Vec<Certificate>, Vec<Certificate>) = certs
            .into_iter()
            .partition(|c| c.spki_der() == key.public_key_spki());
        let mut ordered: Vec<Certificate> = leaf.into_iter().take(1).collect();
        ordered.extend(rest.into_iter().filter(|c| c.subject() != c.issuer()));
        *out = handles::into_handle(signer(Box::new(key), ordered)?, Kind::Signer);
        Ok(())
    })
}

/// Makes a signer in `*out` of a key in a PKCS#11 token: the `module` library, the token
/// labelled `token_label` logged into with `pin`, the key labelled `key_label`, and its
/// certificate chain `certs` (PEM bundle or DER, leaf first). Free it with
/// eseal_signer_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (a string or `out` NULL, or `certs` NULL with
/// `certs_len` > 0); ESEAL_INVALID_ARGUMENT (`certs_len` 0, a string not UTF-8);
/// ESEAL_MALFORMED_INPUT (the certificates cannot be read); ESEAL_UNSUPPORTED (eseal built
/// without the pkcs11 feature, or the key's algorithm); ESEAL_KEY_ERROR (the module, token,
/// PIN or key cannot be used, or the key is not the first certificate's); ESEAL_PANIC.
///
/// # Safety
///
/// The strings are NUL-terminated; `(certs, certs_len)` is a readable buffer (or NULL
/// with length 0); `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_signer_from_pkcs11(
    module: *const c_char,
    token_label: *const c_char,
    pin: *const c_char,
    key_label: *const c_char,
    certs: *const u8,
    certs_len: usize,
    out: *mut *mut eseal_signer,
) -> eseal_status {
    guard(|| {
        // SAFETY: every pointer is as the caller's contract says.
        let out = unsafe { out_ptr(out, "out") }?;
        // SAFETY: as above.
        let module = unsafe { str_in(module, "module") }?;
        // SAFETY: as above.
        let token_label = unsafe { str_in(token_label, "token_label") }?;
        // SAFETY: as above.
        let pin = unsafe { str_in(pin, "pin") }?;
        // SAFETY: as above.
        let key_label = unsafe { str_in(key_label, "key_label") }?;
        // SAFETY: as above.
        let certs = unsafe { chain_in(certs, certs_len) }?;
        let key = pkcs11_key(module, token_label, pin, key_label)?;
        *out = handles::into_handle(signer(key, certs)?, Kind::Signer);
        Ok(())
    })
}

#[cfg(feature = "pkcs11")]
fn pkcs11_key(
    module: &str,
    token_label: &str,
    pin: &str,
    key_label: &str,
) -> FfiResult<Box<dyn Signer>> {
    let key = eseal::Pkcs11Signer::open(std::path::Path::new(module), token_label, pin, key_label)?;
    Ok(Box::new(key))
}

#[cfg(not(feature = "pkcs11"))]
fn pkcs11_key(_: &str, _: &str, _: &str, _: &str) -> FfiResult<Box<dyn Signer>> {
    Err(FfiError::new(
        eseal_status::ESEAL_UNSUPPORTED,
        "PKCS#11 needs eseal built with the pkcs11 feature",
    ))
}

/// Frees a signer (its software key is zeroized); NULL, unknown and already freed
/// pointers are left alone.
///
/// # Safety
///
/// No other thread may use `signer` during or after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_signer_free(signer: *mut eseal_signer) {
    guard_value(
        (),
        |_| (),
        || {
            drop(handles::take(signer, Kind::Signer));
            Ok(())
        },
    )
}
