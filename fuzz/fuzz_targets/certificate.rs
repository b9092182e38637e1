//! Certificate parsing: one DER certificate, and a PEM bundle or DER file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eseal::pki::Certificate::from_der(data);
    let _ = eseal::pki::read_certificates(data);
});
