//! Private and public key parsing: PKCS#8 (plain and encrypted, DER and PEM), PKCS#12
//! and `SubjectPublicKeyInfo`.
#![no_main]

use eseal::crypto::{PublicKey, SoftwareKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = SoftwareKey::from_pkcs8_der(data);
    let _ = SoftwareKey::from_pem(&String::from_utf8_lossy(data), Some("pw"));
    let _ = SoftwareKey::from_encrypted_pkcs8_der(data, "pw");
    let _ = SoftwareKey::from_pkcs12(data, "pw");
    let _ = PublicKey::from_spki_der(data);
});
