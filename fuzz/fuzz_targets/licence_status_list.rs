//! Licence status lists: `StatusList::from_compressed` on the input, and
//! `verify_status_list` (then `status_of`) on the input as a token. So that the fuzzer
//! also reaches past the signature, a list it manages to inflate is signed and must verify
//! back to itself.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::licence::status_list::{StatusList, sign_status_list, status_of, verify_status_list};
use eseal::pki::{Certificate, DistinguishedName, Validity, issue_root};
use libfuzzer_sys::fuzz_target;

const URI: &str = "https://zz.example.gov.cn/sl/1";

fn signer() -> &'static (SoftwareKey, Certificate) {
    static SIGNER: OnceLock<(SoftwareKey, Certificate)> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let cert = issue_root(
            &DistinguishedName::common_name("status list fuzz"),
            Validity::days_from_now(3650),
            &key,
        )
        .unwrap();
        assert_eq!(key.public_key_spki(), cert.spki_der());
        (key, cert)
    })
}

fuzz_target!(|data: &[u8]| {
    let (key, cert) = signer();
    let now = SystemTime::now();
    let result = verify_status_list(data, cert, URI, now);
    for index in [0, 1, 131_071, u64::MAX] {
        let _ = status_of(&result, index, now);
    }
    if let Ok(list) = StatusList::from_compressed(2, data) {
        let _ = list.get(0);
        let token = sign_status_list(
            &list,
            URI,
            now,
            Duration::from_secs(3600),
            now + Duration::from_secs(3600),
            key,
            cert,
        )
        .unwrap();
        let verified = verify_status_list(&token, cert, URI, now).unwrap();
        assert_eq!(verified.list(), &list);
    }
});
