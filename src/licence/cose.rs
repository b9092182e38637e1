//! COSE_Sign1 (RFC 9052 clause 4.2) as the licence layers use it: licence tokens
//! ([`super::compact`]), status list tokens ([`super::status_list`]) and trust lists
//! ([`super::trust_list`]).
//!
//! - Signing writes tag 18, a protected header `{1: alg, 4: kid, …extra}` and an empty
//!   unprotected header; `kid` is the first 8 bytes of SHA-256 of the signing certificate
//!   DER ([`kid_of`], the EU DCC rule). ECDSA and SM2 signatures are carried as raw
//!   `r ‖ s` (RFC 9053 clause 2.1).
//! - [`decode`] (copying) and [`decode_ref`] (borrowing) accept tag 18, untagged, and (if
//!   asked) 61(18(…)); [`verify_signature`]
//!   checks the algorithm against the key type, then the signature over the
//!   `Sig_structure` of the bytes as received.

use super::cbor::{self, Value, ValueRef};
use crate::crypto::{
    Algorithm, KeyType, PublicKey, SM2_DEFAULT_DISTID, Signer, signature_der_to_raw,
    signature_raw_to_der,
};
use crate::error::{Error, Result};
use crate::pki::Certificate;

/// CBOR tag of COSE_Sign1 (RFC 9052 clause 4.2).
pub const TAG_COSE_SIGN1: u64 = 18;
/// CBOR tag of a CWT (RFC 8392 clause 6).
pub const TAG_CWT: u64 = 61;
/// COSE header label `alg` (RFC 9052 clause 3.1).
pub const HEADER_ALG: i64 = 1;
/// COSE header label `crit` (RFC 9052 clause 3.1).
pub const HEADER_CRIT: i64 = 2;
/// COSE header label `kid` (RFC 9052 clause 3.1).
pub const HEADER_KID: i64 = 4;
/// COSE header label `typ` (RFC 9596).
pub const HEADER_TYP: i64 = 16;
/// CWT claim key `iss` (RFC 8392 clause 3.1.1).
pub(crate) const CLAIM_ISS: i64 = 1;
/// CWT claim key `sub` (RFC 8392 clause 3.1.2).
pub(crate) const CLAIM_SUB: i64 = 2;
/// CWT claim key `exp` (RFC 8392 clause 3.1.4).
pub(crate) const CLAIM_EXP: i64 = 4;
/// CWT claim key `iat` (RFC 8392 clause 3.1.6).
pub(crate) const CLAIM_IAT: i64 = 6;
/// COSE algorithm value of SM2-with-SM3 (project-private, RFC 9052 clause 16.4 private
/// use range below −65536).
pub const COSE_ALG_SM2_SM3: i64 = -70001;
/// The SM2 distinguishing identifier used for COSE signatures (GB/T 35276 clause 5.4.2).
pub const SM2_COSE_DISTID: &str = SM2_DEFAULT_DISTID;

/// The `kid` of a signing certificate: the first 8 bytes of SHA-256 of its DER
/// (LICENCE.md §3, as the EU DCC does).
pub fn kid_of(cert: &Certificate) -> [u8; 8] {
    let digest = cert.sha256();
    let mut kid = [0; 8];
    kid.copy_from_slice(&digest[..8]);
    kid
}

/// The COSE `alg` value of an [`Algorithm`] (RFC 9053, LICENCE.md §3), `None` if COSE
/// here has none: ES256, ES384, EdDSA, PS256 and SM2-with-SM3 (−70001).
pub fn cose_alg(algorithm: Algorithm) -> Option<i64> {
    Some(match algorithm {
        Algorithm::EcdsaP256Sha256 => -7,
        Algorithm::EcdsaP384Sha384 => -35,
        Algorithm::Ed25519 => -8,
        Algorithm::RsaPssSha256 => -37,
        Algorithm::Sm2Sm3 => COSE_ALG_SM2_SM3,
        _ => return None,
    })
}

/// The [`Algorithm`] of a COSE `alg` value; −19 (Ed25519, RFC 9864) is accepted as EdDSA.
pub fn algorithm_of(alg: i64) -> Option<Algorithm> {
    Some(match alg {
        -7 => Algorithm::EcdsaP256Sha256,
        -35 => Algorithm::EcdsaP384Sha384,
        -8 | -19 => Algorithm::Ed25519,
        -37 => Algorithm::RsaPssSha256,
        COSE_ALG_SM2_SM3 => Algorithm::Sm2Sm3,
        _ => return None,
    })
}

/// The size of `r` and of `s` in the raw COSE form, `None` for algorithms whose
/// signatures are not `r ‖ s`.
pub fn raw_half_len(algorithm: Algorithm) -> Option<usize> {
    match algorithm.key_type() {
        KeyType::EcP256 | KeyType::Sm2 => Some(32),
        KeyType::EcP384 => Some(48),
        KeyType::Ed25519 | KeyType::Ed448 | KeyType::Rsa => None,
    }
}

/// The `Sig_structure` for COSE_Sign1 (RFC 9052 clause 4.4):
/// `["Signature1", protected, h'', payload]`.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + payload.len() + 24);
    cbor::head(&mut out, 4, 4);
    cbor::head(&mut out, 3, 10);
    out.extend_from_slice(b"Signature1");
    cbor::bytes(&mut out, protected);
    cbor::bytes(&mut out, &[]);
    cbor::bytes(&mut out, payload);
    out
}

/// Signs `payload` as a COSE_Sign1 with tag 18, protected header `{1: alg, 4: kid}` plus
/// `extra` entries, and an empty unprotected header.
///
/// `cert` must certify the signer's key; the algorithm must have a [`cose_alg`]. ECDSA
/// and SM2 signatures are converted from DER to `r ‖ s`.
pub fn sign(
    payload: &[u8],
    extra: Vec<(Value, Value)>,
    signer: &dyn Signer,
    cert: &Certificate,
) -> Result<Vec<u8>> {
    let algorithm = signer.algorithm();
    let alg = cose_alg(algorithm)
        .ok_or_else(|| Error::UnsupportedAlgorithm(format!("{algorithm} in COSE")))?;
    let signer_key = PublicKey::from_spki_der(signer.public_key_spki())?;
    if cert.public_key()? != signer_key {
        return Err(Error::Invalid(
            "the certificate does not certify the signer's key".into(),
        ));
    }
    let mut header = vec![
        (Value::int(HEADER_ALG), Value::int(alg)),
        (Value::int(HEADER_KID), Value::Bytes(kid_of(cert).to_vec())),
    ];
    header.extend(extra);
    let protected = cbor::encode(&Value::Map(header)).map_err(Error::Invalid)?;
    let mut signature = signer.sign(&sig_structure(&protected, payload))?;
    if let Some(half) = raw_half_len(algorithm) {
        signature = signature_der_to_raw(&signature, half)?;
    }
    let mut out = Vec::with_capacity(protected.len() + payload.len() + signature.len() + 16);
    cbor::head(&mut out, 6, TAG_COSE_SIGN1);
    cbor::head(&mut out, 4, 4);
    cbor::bytes(&mut out, &protected);
    cbor::head(&mut out, 5, 0);
    cbor::bytes(&mut out, payload);
    cbor::bytes(&mut out, &signature);
    Ok(out)
}

/// How a decoded COSE_Sign1 was tagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tagging {
    /// Tag 18.
    Sign1,
    /// No tag.
    Untagged,
    /// 61(18(…)): a CWT tag around tag 18.
    Cwt,
}

/// A decoded, not yet verified COSE_Sign1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sign1 {
    /// How it was tagged.
    pub tagging: Tagging,
    /// The protected header bytes as received (signed as they are).
    pub protected_bytes: Vec<u8>,
    /// The protected header map (empty when the bytes are empty).
    pub protected: Vec<(Value, Value)>,
    /// The unprotected header map.
    pub unprotected: Vec<(Value, Value)>,
    /// The attached payload as received.
    pub payload: Vec<u8>,
    /// The signature as received.
    pub signature: Vec<u8>,
}

/// A decoded, not yet verified COSE_Sign1 borrowing from its encoding: what [`decode_ref`]
/// returns, and [`Sign1`] before it takes copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sign1Ref<'a> {
    /// How it was tagged.
    pub tagging: Tagging,
    /// The protected header bytes as received (signed as they are).
    pub protected_bytes: &'a [u8],
    /// The protected header map (empty when the bytes are empty).
    pub protected: Vec<(ValueRef<'a>, ValueRef<'a>)>,
    /// The unprotected header map.
    pub unprotected: Vec<(ValueRef<'a>, ValueRef<'a>)>,
    /// The attached payload as received.
    pub payload: &'a [u8],
    /// The signature as received.
    pub signature: &'a [u8],
}

/// Decodes a COSE_Sign1: tag 18, untagged, or 61(18(…)) when `allow_cwt_tag`; four
/// items of the right types; an attached payload; a protected header that is a map.
pub fn decode(input: &[u8], allow_cwt_tag: bool) -> std::result::Result<Sign1, String> {
    decode_ref(input, allow_cwt_tag).map(|s| s.to_owned_sign1())
}

/// [`decode`] without copying: the result borrows from `input`.
pub fn decode_ref(input: &[u8], allow_cwt_tag: bool) -> std::result::Result<Sign1Ref<'_>, String> {
    let value = cbor::decode_ref(input)?;
    let (tagging, inner) = match value {
        ValueRef::Tag(TAG_CWT, inner) if allow_cwt_tag => match *inner {
            ValueRef::Tag(TAG_COSE_SIGN1, sign1) => (Tagging::Cwt, *sign1),
            _ => return Err("tag 61 (CWT) does not hold a COSE_Sign1".into()),
        },
        ValueRef::Tag(TAG_COSE_SIGN1, sign1) => (Tagging::Sign1, *sign1),
        ValueRef::Tag(tag, _) => return Err(format!("tag {tag}, expected 18 (COSE_Sign1)")),
        untagged => (Tagging::Untagged, untagged),
    };
    let ValueRef::Array(items) = inner else {
        return Err("COSE_Sign1 is not an array".into());
    };
    let [protected, unprotected, payload, signature] = <[ValueRef<'_>; 4]>::try_from(items)
        .map_err(|items| format!("COSE_Sign1 has {} items, not 4", items.len()))?;
    let (ValueRef::Bytes(protected_bytes), ValueRef::Map(unprotected), ValueRef::Bytes(signature)) =
        (protected, unprotected, signature)
    else {
        return Err("COSE_Sign1 items have the wrong types".into());
    };
    let payload = match payload {
        ValueRef::Bytes(p) => p,
        ValueRef::Null => return Err("detached payload".into()),
        _ => return Err("the payload is not a byte string".into()),
    };
    let protected = if protected_bytes.is_empty() {
        Vec::new()
    } else {
        match cbor::decode_ref(protected_bytes).map_err(|e| format!("protected header: {e}"))? {
            ValueRef::Map(m) => m,
            _ => return Err("the protected header is not a map".into()),
        }
    };
    Ok(Sign1Ref {
        tagging,
        protected_bytes,
        protected,
        unprotected,
        payload,
        signature,
    })
}

fn owned_entries(map: &[(ValueRef<'_>, ValueRef<'_>)]) -> Vec<(Value, Value)> {
    map.iter()
        .map(|(k, v)| (k.to_owned_value(), v.to_owned_value()))
        .collect()
}

impl<'a> Sign1Ref<'a> {
    /// The structure with its own copies of the bytes.
    pub fn to_owned_sign1(&self) -> Sign1 {
        Sign1 {
            tagging: self.tagging,
            protected_bytes: self.protected_bytes.to_vec(),
            protected: owned_entries(&self.protected),
            unprotected: owned_entries(&self.unprotected),
            payload: self.payload.to_vec(),
            signature: self.signature.to_vec(),
        }
    }

    /// `Err` naming the labels when the protected header has a `crit` (RFC 9052 clause
    /// 3.1): eseal understands no header beyond those of RFC 9052 itself, which `crit`
    /// may not list, so every label there is one it does not understand.
    pub fn refuse_crit(&self) -> std::result::Result<(), String> {
        match cbor::lookup_ref(&self.protected, &ValueRef::int(HEADER_CRIT)) {
            None => Ok(()),
            Some(ValueRef::Array(labels)) if !labels.is_empty() => {
                let labels: Vec<String> = labels
                    .iter()
                    .map(|l| match l {
                        ValueRef::Text(t) => format!("{t:?}"),
                        other => other.as_i64().map_or("?".into(), |i| i.to_string()),
                    })
                    .collect();
                Err(format!(
                    "crit header: label {} not understood",
                    labels.join(", ")
                ))
            }
            Some(_) => Err("crit header is not a non-empty array of labels".into()),
        }
    }

    /// The `alg` of the protected header: `Err` when absent or not an integer.
    pub fn alg(&self) -> std::result::Result<i64, String> {
        cbor::lookup_ref(&self.protected, &ValueRef::int(HEADER_ALG))
            .ok_or("no alg in the protected header")?
            .as_i64()
            .ok_or_else(|| "alg is not an integer".to_string())
    }

    /// The `kid`: the protected header's, else the unprotected header's; `Err` when it is
    /// not a byte string, `Ok(None)` when absent.
    pub fn kid(&self) -> std::result::Result<Option<&'a [u8]>, String> {
        let label = ValueRef::int(HEADER_KID);
        match cbor::lookup_ref(&self.protected, &label)
            .or_else(|| cbor::lookup_ref(&self.unprotected, &label))
        {
            None => Ok(None),
            Some(v) => v
                .as_bytes()
                .map(Some)
                .ok_or_else(|| "kid is not a byte string".to_string()),
        }
    }
}

impl Sign1 {
    /// The protected header's entry `label`.
    pub fn protected_header(&self, label: i64) -> Option<&Value> {
        cbor::lookup(&self.protected, &Value::int(label))
    }

    /// The `alg` of the protected header: `Err` when absent or not an integer.
    pub fn alg(&self) -> std::result::Result<i64, String> {
        self.protected_header(HEADER_ALG)
            .ok_or("no alg in the protected header")?
            .as_i64()
            .ok_or_else(|| "alg is not an integer".to_string())
    }

    /// The `kid`: the protected header's, else the unprotected header's; `Err` when it is
    /// not a byte string, `Ok(None)` when absent.
    pub fn kid(&self) -> std::result::Result<Option<&[u8]>, String> {
        match self
            .protected_header(HEADER_KID)
            .or_else(|| cbor::lookup(&self.unprotected, &Value::int(HEADER_KID)))
        {
            None => Ok(None),
            Some(v) => v
                .as_bytes()
                .map(Some)
                .ok_or_else(|| "kid is not a byte string".to_string()),
        }
    }

    /// [`verify_signature`] of this structure.
    pub fn verify(&self, algorithm: Algorithm, key: &PublicKey) -> Result<()> {
        verify_signature(
            algorithm,
            key,
            &self.protected_bytes,
            &self.payload,
            &self.signature,
        )
    }
}

/// Verifies a COSE signature: `algorithm` must fit the key type
/// ([`Error::UnsupportedAlgorithm`] otherwise); raw `r ‖ s` must have the exact size;
/// the signature is checked over the `Sig_structure` of `protected` and `payload` as
/// received (SM2 with [`SM2_COSE_DISTID`]).
pub fn verify_signature(
    algorithm: Algorithm,
    key: &PublicKey,
    protected: &[u8],
    payload: &[u8],
    signature: &[u8],
) -> Result<()> {
    if algorithm.key_type() != key.key_type() {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{algorithm} with a {:?} key",
            key.key_type()
        )));
    }
    let message = sig_structure(protected, payload);
    match raw_half_len(algorithm) {
        Some(half) if signature.len() != 2 * half => Err(Error::BadSignature),
        Some(_) if algorithm == Algorithm::Sm2Sm3 => {
            crate::crypto::Sm2VerifyingKey::cached(SM2_COSE_DISTID, key.raw())?
                .verify_raw(&message, signature)
        }
        Some(_) => {
            let der = signature_raw_to_der(signature).map_err(|_| Error::BadSignature)?;
            key.verify(algorithm, &message, &der)
        }
        None => key.verify(algorithm, &message, signature),
    }
}
