//! Certificate parsing and path validation: one DER certificate, a PEM bundle or DER
//! file, and a path from the first certificate of a bundle through the others to the last,
//! trusted, in both profiles.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eseal::pki::Certificate::from_der(data);
    if let Ok(mut certs) = eseal::pki::read_certificates(data) {
        if certs.len() < 2 {
            return;
        }
        let anchor = certs.pop().unwrap();
        let leaf = certs.remove(0);
        for policy in [eseal::pki::Policy::default(), eseal::pki::Policy::strict()] {
            let mut store = eseal::pki::TrustStore::new();
            store.set_policy(policy);
            store.add_anchor(anchor.clone()).unwrap();
            let _ = store.validate(&leaf, &certs, std::time::SystemTime::now(), eseal::pki::Usage::Any);
        }
    }
});
