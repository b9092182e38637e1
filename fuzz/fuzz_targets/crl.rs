//! CRL parsing, PEM (`X509 CRL`) or DER.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eseal::pki::Crl::from_pem_or_der(data);
});
