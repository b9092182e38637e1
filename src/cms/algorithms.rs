//! From a `SignerInfo`'s `digestAlgorithm` and `signatureAlgorithm` and the signer's key to
//! one [`Algorithm`] (RFC 5754 for SHA-2 with RSA and ECDSA, RFC 4056 for RSASSA-PSS,
//! RFC 8419 for Ed25519 and Ed448, GB/T 35275 for SM2), or the reason why not.

use der::asn1::AnyRef;
use der::{Decode, Sequence};
use spki::AlgorithmIdentifierRef;

use super::asn1::rsa_modulus_bits;
use super::digest::DigestAlgorithm;
use crate::crypto::{Algorithm, KeyType, PublicKey};
use crate::report::Reason;

/// An algorithm identifier as read: the dotted OID and the parameters' DER, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AlgId {
    /// `algorithm`.
    pub oid: String,
    /// `parameters`, a whole encoding.
    pub params: Option<Vec<u8>>,
}

impl AlgId {
    /// Reads an `AlgorithmIdentifier` (RFC 5280 clause 4.1.1.2).
    pub fn from_ref(alg: &AlgorithmIdentifierRef<'_>) -> der::Result<Self> {
        Ok(AlgId {
            oid: alg.oid.to_string(),
            params: alg
                .parameters
                .map(|p| der::Encode::to_der(&p))
                .transpose()?,
        })
    }
}

/// What a `signatureAlgorithm` says before the key is known. `None` hashes come from the
/// `digestAlgorithm` (RFC 5652 clause 5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// ECDSA: `ecdsa-with-SHA*` (RFC 5758) or `id-ecPublicKey` (RFC 5753 clause 7.1.3).
    Ecdsa(Option<DigestAlgorithm>),
    /// RSASSA-PKCS1-v1_5: `sha*WithRSAEncryption` (RFC 4055) or `rsaEncryption` (RFC 3370).
    RsaPkcs1(Option<DigestAlgorithm>),
    /// RSASSA-PSS (RFC 4056) with the parameters' hash.
    RsaPss(DigestAlgorithm),
    /// `id-Ed25519` (RFC 8419).
    Ed25519,
    /// `id-Ed448` (RFC 8419).
    Ed448,
    /// SM2: `SM2-with-SM3`, `sm2sign` or the SM2 curve OID (GB/T 35275, GM/T 0006).
    Sm2,
}

/// `rsaEncryption`.
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// `id-RSASSA-PSS` (RFC 4055 clause 3.1).
const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// `id-mgf1` (RFC 4055 clause 2.2).
const OID_MGF1: &str = "1.2.840.113549.1.1.8";

impl Scheme {
    /// The scheme a `signatureAlgorithm` names.
    pub fn from_alg_id(alg: &AlgId) -> Result<Scheme, Reason> {
        use DigestAlgorithm::{Sha256, Sha384, Sha512};
        Ok(match alg.oid.as_str() {
            // ecdsa-with-SHA256, ecdsa-with-SHA384, id-ecPublicKey
            "1.2.840.10045.4.3.2" => Scheme::Ecdsa(Some(Sha256)),
            "1.2.840.10045.4.3.3" => Scheme::Ecdsa(Some(Sha384)),
            "1.2.840.10045.2.1" => Scheme::Ecdsa(None),
            // sha256/384/512WithRSAEncryption, rsaEncryption
            "1.2.840.113549.1.1.11" => Scheme::RsaPkcs1(Some(Sha256)),
            "1.2.840.113549.1.1.12" => Scheme::RsaPkcs1(Some(Sha384)),
            "1.2.840.113549.1.1.13" => Scheme::RsaPkcs1(Some(Sha512)),
            OID_RSA_ENCRYPTION => Scheme::RsaPkcs1(None),
            OID_RSASSA_PSS => Scheme::RsaPss(pss_hash(alg.params.as_deref())?),
            // id-Ed25519
            "1.3.101.112" => Scheme::Ed25519,
            // id-Ed448
            "1.3.101.113" => Scheme::Ed448,
            // SM2-with-SM3, sm2sign (GM/T 0006), sm2p256v1
            "1.2.156.10197.1.501" | "1.2.156.10197.1.301.1" | "1.2.156.10197.1.301" => Scheme::Sm2,
            other => return Err(unknown_signature_algorithm(other)),
        })
    }

    /// The name in reasons.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Ecdsa(_) => "ECDSA",
            Scheme::RsaPkcs1(_) => "RSASSA-PKCS1-v1_5",
            Scheme::RsaPss(_) => "RSASSA-PSS",
            Scheme::Ed25519 => "Ed25519",
            Scheme::Ed448 => "Ed448",
            Scheme::Sm2 => "SM2",
        }
    }

    /// The hash the signature is made with; `digest` is the `digestAlgorithm`, `None`
    /// when unknown.
    pub fn hash(self, digest: Option<DigestAlgorithm>) -> Option<DigestAlgorithm> {
        match self {
            Scheme::Ecdsa(Some(h)) | Scheme::RsaPkcs1(Some(h)) | Scheme::RsaPss(h) => Some(h),
            Scheme::Ecdsa(None) | Scheme::RsaPkcs1(None) => digest,
            Scheme::Ed25519 => Some(DigestAlgorithm::Sha512),
            Scheme::Ed448 => Some(DigestAlgorithm::Shake256),
            Scheme::Sm2 => Some(DigestAlgorithm::Sm3),
        }
    }

    /// The [`Algorithm`] for this scheme signing with `hash` (see [`Scheme::hash`]) with
    /// `key`, or why there is none: `WeakAlgorithm` for SHA-1 and RSA keys under 2048
    /// bits, `UnsupportedAlgorithm` for the rest.
    pub fn resolve(self, hash: DigestAlgorithm, key: &PublicKey) -> Result<Algorithm, Reason> {
        use DigestAlgorithm::{Sha1, Sha256, Sha384, Sha512, Sm3};
        if hash == Sha1 {
            return Err(Reason::WeakAlgorithm("SHA-1".into()));
        }
        if key.key_type() == KeyType::Rsa {
            check_rsa_size(key)?;
        }
        let algorithm = match (self, key.key_type(), hash) {
            (Scheme::Ecdsa(_), KeyType::EcP256, Sha256) => Algorithm::EcdsaP256Sha256,
            (Scheme::Ecdsa(_), KeyType::EcP256, Sha384) => Algorithm::EcdsaP256Sha384,
            (Scheme::Ecdsa(_), KeyType::EcP384, Sha256) => Algorithm::EcdsaP384Sha256,
            (Scheme::Ecdsa(_), KeyType::EcP384, Sha384) => Algorithm::EcdsaP384Sha384,
            // id-ecPublicKey with an SM2 key, as some signers write SM2.
            (Scheme::Ecdsa(None) | Scheme::Sm2, KeyType::Sm2, Sm3) => Algorithm::Sm2Sm3,
            (Scheme::RsaPkcs1(_), KeyType::Rsa, Sha256) => Algorithm::RsaPkcs1Sha256,
            (Scheme::RsaPkcs1(_), KeyType::Rsa, Sha384) => Algorithm::RsaPkcs1Sha384,
            (Scheme::RsaPkcs1(_), KeyType::Rsa, Sha512) => Algorithm::RsaPkcs1Sha512,
            (Scheme::RsaPss(_), KeyType::Rsa, Sha256) => Algorithm::RsaPssSha256,
            (Scheme::RsaPss(_), KeyType::Rsa, Sha384) => Algorithm::RsaPssSha384,
            (Scheme::RsaPss(_), KeyType::Rsa, Sha512) => Algorithm::RsaPssSha512,
            (Scheme::Ed25519, KeyType::Ed25519, _) => Algorithm::Ed25519,
            (Scheme::Ed448, KeyType::Ed448, _) => Algorithm::Ed448,
            (scheme, key_type, hash) => {
                return Err(Reason::UnsupportedAlgorithm(format!(
                    "{} with {} and a {key_type:?} key",
                    scheme.name(),
                    hash.name()
                )));
            }
        };
        Ok(algorithm)
    }
}

/// RSA moduli under 2048 bits are weak; ring verifies up to 8192 bits.
fn check_rsa_size(key: &PublicKey) -> Result<(), Reason> {
    match rsa_modulus_bits(key.raw()) {
        Some(bits) if bits < 2048 => Err(Reason::WeakAlgorithm(format!("RSA-{bits} key"))),
        Some(bits) if bits > 8192 => Err(Reason::UnsupportedAlgorithm(format!("RSA-{bits} key"))),
        Some(_) => Ok(()),
        None => Err(Reason::UnsupportedAlgorithm(
            "unreadable RSA public key".into(),
        )),
    }
}

/// The reason for a `digestAlgorithm` eseal does not use.
pub(crate) fn unknown_digest_algorithm(oid: &str) -> Reason {
    match oid {
        "1.2.840.113549.2.5" => Reason::WeakAlgorithm("MD5".into()),
        "2.16.840.1.101.3.4.2.4" => Reason::UnsupportedAlgorithm("SHA-224".into()),
        other => Reason::UnsupportedAlgorithm(format!("digest algorithm {other}")),
    }
}

/// The reason for a `signatureAlgorithm` eseal does not use.
fn unknown_signature_algorithm(oid: &str) -> Reason {
    let weak = |name: &str| Reason::WeakAlgorithm(name.into());
    let unsupported = |name: &str| Reason::UnsupportedAlgorithm(name.into());
    match oid {
        "1.2.840.113549.1.1.4" => weak("RSA with MD5"),
        "1.2.840.113549.1.1.5" => weak("RSA with SHA-1"),
        "1.2.840.10045.4.1" => weak("ECDSA with SHA-1"),
        "1.2.840.10040.4.3" => weak("DSA with SHA-1"),
        "1.2.840.10040.4.1" | "2.16.840.1.101.3.4.3.2" => unsupported("DSA"),
        "1.2.840.10045.4.3.4" => unsupported("ECDSA with SHA-512"),
        "1.2.840.113549.1.1.14" => unsupported("RSA with SHA-224"),
        other => Reason::UnsupportedAlgorithm(format!("signature algorithm {other}")),
    }
}

/// ```text
/// RSASSA-PSS-params ::= SEQUENCE {
///   hashAlgorithm     [0] HashAlgorithm    DEFAULT sha1,
///   maskGenAlgorithm  [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
///   saltLength        [2] INTEGER          DEFAULT 20,
///   trailerField      [3] TrailerField     DEFAULT trailerFieldBC }
/// ```
/// (RFC 4055 clause 3.1; the PKCS #1 module has EXPLICIT tags)
#[derive(Clone, Debug, Sequence)]
struct PssParams<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen_algorithm: Option<AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

/// The hash of RSASSA-PSS parameters that ring verifies: the same hash for the message
/// and MGF1, a salt as long as the hash, the trailer `0xbc`.
fn pss_hash(params: Option<&[u8]>) -> Result<DigestAlgorithm, Reason> {
    let unsupported = |d: &str| Reason::UnsupportedAlgorithm(format!("RSASSA-PSS {d}"));
    let params = params.ok_or_else(|| unsupported("without parameters"))?;
    let params = PssParams::from_der(params).map_err(|e| unsupported(&e.to_string()))?;
    let hash_oid = params
        .hash_algorithm
        .map_or_else(|| "1.3.14.3.2.26".to_string(), |h| h.oid.to_string());
    let hash = DigestAlgorithm::from_oid(&hash_oid)
        .ok_or_else(|| unsupported(&format!("with hash {hash_oid}")))?;
    if hash == DigestAlgorithm::Sha1 {
        return Err(Reason::WeakAlgorithm("RSASSA-PSS with SHA-1".into()));
    }
    let mgf_hash = params
        .mask_gen_algorithm
        .filter(|mgf| mgf.oid.to_string() == OID_MGF1)
        .and_then(|mgf| mgf.parameters)
        .and_then(|p: AnyRef<'_>| p.decode_as::<AlgorithmIdentifierRef<'_>>().ok())
        .map(|h| h.oid.to_string());
    if mgf_hash.as_deref() != Some(hash.oid()) {
        return Err(unsupported(&format!(
            "{} with another mask generation",
            hash.name()
        )));
    }
    if params.salt_length.unwrap_or(20) as usize != hash.output_len() {
        return Err(unsupported(&format!(
            "{} with a salt not of the hash's length",
            hash.name()
        )));
    }
    if params.trailer_field.unwrap_or(1) != 1 {
        return Err(unsupported("with an unknown trailer field"));
    }
    if hash == DigestAlgorithm::Sm3 {
        return Err(unsupported("with SM3"));
    }
    Ok(hash)
}
