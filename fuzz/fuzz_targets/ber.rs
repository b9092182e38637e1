//! BER to DER (`eseal::cms::ber::to_der`): never a panic; the output is DER that converts
//! to itself, at most 1.5 times the input it took; a CMS read from BER never panics either.
#![no_main]

use eseal::cms::SignedData;
use eseal::cms::ber::to_der;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((der, used)) = to_der(data) else {
        return;
    };
    assert!(used <= data.len());
    assert!(der.len() <= used + used / 2);
    let (again, again_used) = to_der(&der).expect("DER is BER");
    assert_eq!(again_used, der.len());
    assert_eq!(again, der);
    if let Ok((signed_data, _)) = SignedData::from_der_prefix(data) {
        let digest = [0x5a; 32];
        let _ = signed_data.verify(&digest, signed_data.certificates(), false);
    }
});
