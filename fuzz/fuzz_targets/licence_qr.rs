//! Licence QR decoding (LICENCE.md §3): `licence::compact::decode_qr` on the input as
//! UTF-8 (when it is) and as Latin-1 characters, behind the `ZZ1:` prefix too, so that
//! the Base45, zlib, COSE and CLAIMS stages get exercised; then `decode_cose` on the raw
//! bytes and the CBOR decoder, whose input must be the one deterministic encoding that
//! re-encoding gives back; claims that decode must survive `to_cbor` → `decode`.
#![no_main]

use eseal::licence::compact::{self, cbor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = compact::decode_qr(text);
    }
    let latin1: String = data.iter().map(|&b| char::from(b)).collect();
    let _ = compact::decode_qr(&latin1);
    let _ = compact::decode_qr(&format!("{}{latin1}", compact::QR_PREFIX));
    // The input as the zlib stream and as the COSE bytes.
    let _ = compact::decode_qr(&compact::qr_string(data));
    let _ = compact::decode_cose(data);
    if let Ok(value) = cbor::decode(data) {
        // Only the deterministic encoding decodes, so re-encoding gives the input back.
        let encoded = cbor::encode(&value).expect("decoded maps have no duplicate keys");
        assert_eq!(encoded, data, "a second encoding of one data item decoded");
        let again = cbor::decode(&encoded).expect("canonical CBOR decodes");
        assert_eq!(cbor::encode(&again).as_ref(), Ok(&encoded));
    }
    if let Ok(claims) = compact::LicenceClaims::decode(data) {
        let owned = compact::LicenceClaims::from_cbor(data).expect("the same decoder");
        assert_eq!(owned, claims.to_owned_claims());
        let encoded = claims.to_cbor().expect("decoded claims encode");
        let again = compact::LicenceClaims::decode(&encoded).expect("encoded claims decode");
        assert_eq!(again.to_cbor().ok(), Some(encoded));
    }
});
