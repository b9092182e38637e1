//! CRL parsing, PEM (`X509 CRL`) or DER, and the checks of its extensions.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(crl) = eseal::pki::Crl::from_pem_or_der(data) {
        let _ = crl.defect();
        let _ = crl.is_newer_than(&crl);
    }
});
