//! CMS SignedData (RFC 5652): parsing with trailing padding, checks 3–8 with a dummy
//! digest and content, and adding an unsigned attribute.
#![no_main]

use eseal::cms::{OID_SIGNATURE_TIME_STAMP_TOKEN, SignedData, add_unsigned_attribute};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((signed_data, _rest)) = SignedData::from_der_prefix(data) else {
        return;
    };
    let content = || data.to_vec();
    let digest = [0x5a; 32];
    let _ = signed_data.verify_with_content(&digest, Some(&content), &[], true);
    let _ = signed_data.verify(&digest, signed_data.certificates(), false);
    let _ = signed_data.unsigned_attribute(OID_SIGNATURE_TIME_STAMP_TOKEN);
    let _ = signed_data.digest_algorithm();
    let _ = signed_data.crls();
    let _ = add_unsigned_attribute(data, OID_SIGNATURE_TIME_STAMP_TOKEN, &[0x05, 0x00]);
});
