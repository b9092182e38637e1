//! RFC 3161: the TimeStampResp, TimeStampToken, TSTInfo and TimeStampReq parsers, the
//! token checks (empty trust store) and an authority answering the input as a request.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use eseal::cms::tsa::Authority;
use eseal::cms::{
    DigestAlgorithm, TimestampRequest, TimestampToken, TstInfo, token_from_response,
};
use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::pki::{self, DistinguishedName, Profile, TrustStore, Validity};
use libfuzzer_sys::fuzz_target;

/// One P-256 TSA for the whole run.
fn authority() -> &'static Authority {
    static AUTHORITY: OnceLock<Authority> = OnceLock::new();
    AUTHORITY.get_or_init(|| {
        let root_key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let root = pki::issue_root(
            &DistinguishedName::common_name("fuzz root"),
            Validity::days_from_now(3650),
            &root_key,
        )
        .unwrap();
        let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let cert = pki::issue(
            Profile::Timestamping,
            &DistinguishedName::common_name("fuzz TSA"),
            key.public_key_spki(),
            Validity::days_from_now(365),
            &root,
            &root_key,
        )
        .unwrap();
        Authority::new(Arc::new(key), cert, vec![root], "1.2.3.4.1").unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let store = TrustStore::new();
    let now = SystemTime::now();
    // No nonce and no certReq, so that a response over this imprint reaches the token.
    let request = TimestampRequest {
        digest_algorithm: DigestAlgorithm::Sha256,
        message_imprint: vec![0x5a; 32],
        policy: None,
        nonce: None,
        cert_req: false,
    };
    if let Ok(token) = token_from_response(data, &request) {
        let _ = token.verify("fuzz", &request.message_imprint, &store, now);
    }
    if let Ok(token) = TimestampToken::from_der(data) {
        let imprint = token.tst_info().message_imprint.clone();
        let _ = token.verify("fuzz", &imprint, &store, now);
    }
    let _ = TstInfo::from_der(data);
    if let Ok(parsed) = TimestampRequest::from_der(data) {
        let _ = parsed.to_der();
    }
    // Whatever the request, the answer is a TimeStampResp eseal reads.
    let response = authority().respond(data);
    let _ = token_from_response(&response, &request);
});
