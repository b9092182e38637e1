//! OCSP response parsing, then matching and signature checks against the response's own
//! certificates.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(response) = eseal::pki::OcspResponse::from_der(data) else {
        return;
    };
    let _ = response.responder().to_string();
    let _ = response.responses().count();
    let _ = response.clone().expecting_nonce(&[1; 16]).check_nonce();
    let certs = response.certificates();
    for issuer in certs {
        let _ = response.verify_signature(issuer);
        for cert in certs {
            if let Some(status) = response.status_of(cert, issuer) {
                let _ = status.covers(std::time::SystemTime::UNIX_EPOCH);
            }
        }
    }
});
