//! Trust lists: `verify_trust_list` on the input against a fixed store (a pinned P-256
//! root), then every lookup a verified list offers.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::trust_list::verify_trust_list;
use eseal::pki::{DistinguishedName, TrustStore, Validity, issue_root};
use libfuzzer_sys::fuzz_target;

fn store() -> &'static TrustStore {
    static STORE: OnceLock<TrustStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let root = issue_root(
            &DistinguishedName::common_name("trust list fuzz root"),
            Validity::days_from_now(3650),
            &key,
        )
        .unwrap();
        let mut store = TrustStore::new();
        store.add_anchor(root).unwrap();
        store
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(list) = verify_trust_list(data, store(), SystemTime::now(), Some(1)) else {
        return;
    };
    for office in list.offices() {
        let _ = list.office(&office.code);
        for key in &office.keys {
            let _ = list.office_for_key(&key.certificate);
            let _ = list.status_list_office(&key.certificate, "https://example/sl/1");
            for r in list.key_refs(key.kid()) {
                let _ = r.verify_cose(eseal::licence::compact::CoseAlgorithm::Es256, data, data);
            }
        }
    }
});
