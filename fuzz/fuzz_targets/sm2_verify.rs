//! eseal's SM2 verification against the `sm2` crate's on the same key, message and
//! signature: the verdicts must agree, and neither may panic.
//!
//! The first byte picks how the rest is read. Even: `KEY(65) ‖ SIGNATURE(64) ‖ MESSAGE`,
//! everything as given (most keys are then off the curve). Odd: a valid key and signature
//! made from the input (the private key is the SM3 of the input), then `SIGNATURE`'s
//! bytes XORed in, so the search runs near valid signatures. Its bit 1 picks the form of
//! the signature: raw `r ‖ s` ([`Sm2VerifyingKey::verify_raw`]) or DER
//! ([`Sm2VerifyingKey::verify`]).
#![no_main]

use eseal::crypto::{SM2_DEFAULT_DISTID, Sm2VerifyingKey};
use libfuzzer_sys::fuzz_target;
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::elliptic_curve::sec1::ToSec1Point as _;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let der = mode & 2 != 0;
    let (key, signature, message) = if mode % 2 == 0 {
        if rest.len() < 129 {
            return;
        }
        (rest[..65].to_vec(), rest[65..129].to_vec(), &rest[129..])
    } else {
        let (mask, message) = rest.split_at(rest.len().min(64));
        let Ok(signing) = sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_DISTID, &sm3_of(rest))
        else {
            return;
        };
        let valid: sm2::dsa::Signature = signing.sign(message);
        let mut signature = match der {
            true => valid.to_der().as_bytes().to_vec(),
            false => valid.to_bytes().to_vec(),
        };
        for (byte, flip) in signature.iter_mut().zip(mask) {
            *byte ^= flip;
        }
        let key = signing.verifying_key().as_affine().to_sec1_point(false);
        (key.as_bytes().to_vec(), signature, message)
    };
    let ours = Sm2VerifyingKey::new(SM2_DEFAULT_DISTID, &key)
        .and_then(|prepared| match der {
            true => prepared.verify(message, &signature),
            false => prepared.verify_raw(message, &signature),
        })
        .is_ok();
    let parsed = match der {
        true => sm2::dsa::Signature::from_der(&signature),
        false => sm2::dsa::Signature::from_slice(&signature),
    };
    let theirs = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_DISTID, &key)
        .ok()
        .zip(parsed.ok())
        .is_some_and(|(key, signature)| key.verify(message, &signature).is_ok());
    assert_eq!(ours, theirs, "key {key:02x?} signature {signature:02x?}");
});

fn sm3_of(data: &[u8]) -> [u8; 32] {
    <sm3::Sm3 as sm3::Digest>::digest(data).into()
}
