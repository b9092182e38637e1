//! Signed audit heads: `verify_audit_head` on arbitrary bytes against a fixed certificate.
#![no_main]

use std::sync::OnceLock;

use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::pki::{Certificate, DistinguishedName, Validity, issue_root};
use eseal::registry::head::verify_audit_head;
use libfuzzer_sys::fuzz_target;

fn cert() -> &'static Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| {
        let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        issue_root(
            &DistinguishedName::common_name("audit head fuzz"),
            Validity::days_from_now(3650),
            &key,
        )
        .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = verify_audit_head(data, cert());
});
