//! Keys and signatures: the [`Algorithm`]s eseal speaks, the [`Signer`] trait every key
//! provider implements, software keys, PKCS#11 keys and the one verification entry point.

mod algorithm;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
mod software;
mod sm2_verify;
mod verify;

pub use algorithm::{Algorithm, KeyType, SM2_DEFAULT_DISTID};
pub use software::SoftwareKey;
pub use sm2_verify::Sm2VerifyingKey;
pub use verify::{PublicKey, verify, verify_sm2};

use std::borrow::Cow;

use crate::error::{Error, Result};

/// A private key that signs, wherever it lives (memory, PKCS#11 token, ...).
///
/// The key never leaves its signer; callers get signatures and the public key only.
pub trait Signer: Send + Sync {
    /// The algorithm this signer produces.
    fn algorithm(&self) -> Algorithm;

    /// The public key as a DER `SubjectPublicKeyInfo` (RFC 5280 clause 4.1.2.7).
    fn public_key_spki(&self) -> &[u8];

    /// Signs `message` (the whole message: hashing is part of the algorithm).
    ///
    /// ECDSA and SM2 signatures are DER `SEQUENCE { r INTEGER, s INTEGER }`, as X.509 and
    /// CMS carry them.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 clause 2.2.3),
/// also the DER form of SM2 signatures (GB/T 35276 clause 7.3).
#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: der::asn1::UintRef<'a>,
    s: der::asn1::UintRef<'a>,
}

/// Converts a raw fixed-size `r || s` signature (as PKCS#11 `CKM_ECDSA` and GB/T 38540
/// seals give it) into DER.
pub fn signature_raw_to_der(raw: &[u8]) -> Result<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(Error::malformed(
            "raw signature",
            format!("{} bytes is not r || s", raw.len()),
        ));
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let value = EcdsaSigValue {
        r: der::asn1::UintRef::new(r).map_err(|e| Error::malformed("raw signature", e))?,
        s: der::asn1::UintRef::new(s).map_err(|e| Error::malformed("raw signature", e))?,
    };
    der::Encode::to_der(&value).map_err(|e| Error::malformed("raw signature", e))
}

/// An ECDSA or SM2 signature value from a format whose producers write either form
/// (GB/T 38540 seals, GM/T 0010 CMS): DER `ECDSA-Sig-Value` as it is; otherwise, when it
/// is `raw_len` bytes, read as raw `r ‖ s` and converted ([`signature_raw_to_der`]). `None`
/// for neither.
pub fn signature_as_der(signature: &[u8], raw_len: usize) -> Option<Cow<'_, [u8]>> {
    if <EcdsaSigValue<'_> as der::Decode>::from_der(signature).is_ok() {
        Some(Cow::Borrowed(signature))
    } else if signature.len() == raw_len {
        signature_raw_to_der(signature).ok().map(Cow::Owned)
    } else {
        None
    }
}

/// DER `ECDSA-Sig-Value` to fixed-size `r ‖ s`, each left-padded to `size` bytes (the
/// inverse of [`signature_raw_to_der`]).
pub fn signature_der_to_raw(signature: &[u8], size: usize) -> Result<Vec<u8>> {
    let value: EcdsaSigValue<'_> = der::Decode::from_der(signature)
        .map_err(|e| Error::Signing(format!("signature is not DER r, s: {e}")))?;
    let mut out = vec![0; 2 * size];
    for (i, int) in [value.r, value.s].iter().enumerate() {
        let bytes = int.as_bytes();
        if bytes.len() > size {
            return Err(Error::Signing("signature integer too long".into()));
        }
        out[(i + 1) * size - bytes.len()..(i + 1) * size].copy_from_slice(bytes);
    }
    Ok(out)
}
