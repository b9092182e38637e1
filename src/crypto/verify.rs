//! The one signature verification entry point for every algorithm.

use der::asn1::ObjectIdentifier;
use ring::signature as rs;

use super::Sm2VerifyingKey;
use super::algorithm::{
    Algorithm, KeyType, OID_EC_PUBLIC_KEY, OID_ED448, OID_ED25519, OID_P256, OID_P384, OID_RSA,
    OID_SM2_CURVE, SM2_DEFAULT_DISTID,
};
use crate::error::{Error, Result};

/// A public key: its type and the raw `subjectPublicKey` bits.
///
/// ```text
/// SubjectPublicKeyInfo ::= SEQUENCE {
///     algorithm         AlgorithmIdentifier,
///     subjectPublicKey  BIT STRING }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key_type: KeyType,
    raw: Vec<u8>,
}

impl PublicKey {
    /// Parses a DER `SubjectPublicKeyInfo` (RFC 5280 clause 4.1.2.7).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = spki::SubjectPublicKeyInfoRef::try_from(der)
            .map_err(|e| Error::malformed("SubjectPublicKeyInfo", e))?;
        let key_type = KeyType::from_key_algorithm(&spki.algorithm, "SubjectPublicKeyInfo")?;
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| Error::malformed("SubjectPublicKeyInfo", "unused bits in key"))?;
        Ok(PublicKey {
            key_type,
            raw: raw.to_vec(),
        })
    }

    /// A key from its type and raw encoding (SEC1 point, Ed25519 bytes or `RSAPublicKey`).
    pub fn from_raw(key_type: KeyType, raw: &[u8]) -> Self {
        PublicKey {
            key_type,
            raw: raw.to_vec(),
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The raw `subjectPublicKey` bits.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Whether `signature` over `message` verifies as SM2 with the empty distinguishing ID
    /// (what OpenSSL 3.0 signs with unless told `-sigopt distid:…`); always false for
    /// other key types. Asked after a signature failed with the standard ID, to name why.
    pub fn verifies_with_empty_sm2_id(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key_type == KeyType::Sm2 && verify_sm2("", &self.raw, message, signature).is_ok()
    }

    /// Verifies `signature` over `message` with `algorithm`, which must fit the key type.
    pub fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> Result<()> {
        if algorithm.key_type() != self.key_type {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{algorithm} with a {:?} key",
                self.key_type
            )));
        }
        verify(algorithm, &self.raw, message, signature)
    }
}

/// Verifies `signature` over `message` with the raw public key (the `subjectPublicKey`
/// bits of the signer's certificate).
///
/// ECDSA and SM2 signatures are DER `SEQUENCE { r INTEGER, s INTEGER }`, as X.509, CMS and
/// OpenSSL have them; formats that carry the raw `r ‖ s` convert it first
/// ([`signature_raw_to_der`](super::signature_raw_to_der)). SM2 uses the default
/// distinguishing ID; see `verify_sm2` for another.
pub fn verify(
    algorithm: Algorithm,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    let ring_alg: &dyn rs::VerificationAlgorithm = match algorithm {
        Algorithm::EcdsaP256Sha256 => &rs::ECDSA_P256_SHA256_ASN1,
        Algorithm::EcdsaP256Sha384 => &rs::ECDSA_P256_SHA384_ASN1,
        Algorithm::EcdsaP384Sha256 => &rs::ECDSA_P384_SHA256_ASN1,
        Algorithm::EcdsaP384Sha384 => &rs::ECDSA_P384_SHA384_ASN1,
        Algorithm::Ed25519 => &rs::ED25519,
        Algorithm::RsaPkcs1Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RsaPkcs1Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RsaPkcs1Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::RsaPssSha256 => &rs::RSA_PSS_2048_8192_SHA256,
        Algorithm::RsaPssSha384 => &rs::RSA_PSS_2048_8192_SHA384,
        Algorithm::RsaPssSha512 => &rs::RSA_PSS_2048_8192_SHA512,
        Algorithm::Sm2Sm3 => {
            return verify_sm2(SM2_DEFAULT_DISTID, public_key, message, signature);
        }
        Algorithm::Ed448 => return verify_ed448(public_key, message, signature),
    };
    rs::UnparsedPublicKey::new(ring_alg, public_key)
        .verify(message, signature)
        .map_err(|_| Error::BadSignature)
}

/// Verifies an SM2-with-SM3 signature (GB/T 32918.2) with the distinguishing ID `distid`,
/// the key prepared once per process ([`Sm2VerifyingKey::cached`]).
///
/// `public_key` is the SEC1 point; `signature` is DER ([`Sm2VerifyingKey::verify`]).
pub fn verify_sm2(distid: &str, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
    Sm2VerifyingKey::cached(distid, public_key)?.verify(message, signature)
}

/// Verifies an Ed448 signature (RFC 8032 clause 5.2, PureEdDSA with an empty context, as
/// RFC 8410 and RFC 8419 use it): a 57-byte key and a 114-byte signature.
fn verify_ed448(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
    let key = <&[u8; 57]>::try_from(public_key)
        .ok()
        .and_then(|bytes| ed448_goldilocks::VerifyingKey::from_bytes(bytes).ok())
        .ok_or_else(|| Error::malformed("Ed448 public key", "not a point on the curve"))?;
    let signature =
        ed448_goldilocks::Signature::try_from(signature).map_err(|_| Error::BadSignature)?;
    key.verify_raw(&signature, message)
        .map_err(|_| Error::BadSignature)
}

impl PublicKey {
    /// Encodes the key as a DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Vec<u8> {
        use der::Encode;
        let oid = |s: &str| ObjectIdentifier::new(s).expect("constant OID");
        let curve = |s: &str| Some(der::Any::from(oid(s)));
        let (algorithm, parameters) = match self.key_type {
            KeyType::EcP256 => (oid(OID_EC_PUBLIC_KEY), curve(OID_P256)),
            KeyType::EcP384 => (oid(OID_EC_PUBLIC_KEY), curve(OID_P384)),
            KeyType::Sm2 => (oid(OID_EC_PUBLIC_KEY), curve(OID_SM2_CURVE)),
            KeyType::Ed25519 => (oid(OID_ED25519), None),
            KeyType::Ed448 => (oid(OID_ED448), None),
            KeyType::Rsa => (oid(OID_RSA), Some(der::Any::from(der::asn1::Null))),
        };
        let spki = spki::SubjectPublicKeyInfoOwned {
            algorithm: spki::AlgorithmIdentifierOwned {
                oid: algorithm,
                parameters,
            },
            subject_public_key: der::asn1::BitString::from_bytes(&self.raw)
                .expect("a byte string is a valid BIT STRING"),
        };
        spki.to_der().expect("SubjectPublicKeyInfo encodes")
    }
}
