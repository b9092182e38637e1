//! Signature algorithms and their X.509 algorithm identifiers.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The default SM2 distinguishing identifier (GB/T 35276-2017 clause 5.4.2 / GM/T 0009).
pub const SM2_DEFAULT_DISTID: &str = "1234567812345678";

/// A signature algorithm: key type, curve and digest together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256 (`ecdsa-with-SHA256`, RFC 5758), DER signature.
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384 (`ecdsa-with-SHA384`, RFC 5758), DER signature.
    #[serde(rename = "ecdsa-p384-sha384")]
    EcdsaP384Sha384,
    /// Ed25519 (RFC 8410).
    #[serde(rename = "ed25519")]
    Ed25519,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`sha256WithRSAEncryption`, RFC 4055).
    #[serde(rename = "rsa-pkcs1-sha256")]
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 4055).
    #[serde(rename = "rsa-pss-sha256")]
    RsaPssSha256,
    /// SM2 with SM3 (`SM2-with-SM3`, GB/T 32918.2, OID 1.2.156.10197.1.501), DER
    /// signature, distinguishing ID [`SM2_DEFAULT_DISTID`].
    #[serde(rename = "sm2-sm3")]
    Sm2Sm3,
    /// ECDSA on P-256 with SHA-384 (`ecdsa-with-SHA384`, RFC 5758), DER signature.
    #[serde(rename = "ecdsa-p256-sha384")]
    EcdsaP256Sha384,
    /// ECDSA on P-384 with SHA-256 (`ecdsa-with-SHA256`, RFC 5758), DER signature.
    #[serde(rename = "ecdsa-p384-sha256")]
    EcdsaP384Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (`sha384WithRSAEncryption`, RFC 4055).
    #[serde(rename = "rsa-pkcs1-sha384")]
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (`sha512WithRSAEncryption`, RFC 4055).
    #[serde(rename = "rsa-pkcs1-sha512")]
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt (RFC 4055).
    #[serde(rename = "rsa-pss-sha384")]
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt (RFC 4055).
    #[serde(rename = "rsa-pss-sha512")]
    RsaPssSha512,
    /// Ed448 (RFC 8410, PureEdDSA without context): verified, never made by eseal.
    #[serde(rename = "ed448")]
    Ed448,
}

/// The key type behind a public key, as its `SubjectPublicKeyInfo` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `id-ecPublicKey` on `prime256v1`.
    EcP256,
    /// `id-ecPublicKey` on `secp384r1`.
    EcP384,
    /// `id-Ed25519`.
    Ed25519,
    /// `id-Ed448`.
    Ed448,
    /// `rsaEncryption`.
    Rsa,
    /// `id-ecPublicKey` on `sm2p256v1` (1.2.156.10197.1.301).
    Sm2,
}

/// DER contents (without the outer SEQUENCE) of the `AlgorithmIdentifier`s used here.
mod alg_id {
    /// `id-Ed448`, parameters absent (RFC 8410 clause 3).
    pub const ED448: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x71];
    pub const SM2_SM3: &[u8] = &[0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75];
    /// Some issuers send SM2-with-SM3 with explicit NULL parameters.
    pub const SM2_SM3_NULL: &[u8] = &[
        0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00,
    ];
}

/// `id-ecPublicKey` (1.2.840.10045.2.1).
pub(crate) const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// `prime256v1` (1.2.840.10045.3.1.7).
pub(crate) const OID_P256: &str = "1.2.840.10045.3.1.7";
/// `secp384r1` (1.3.132.0.34).
pub(crate) const OID_P384: &str = "1.3.132.0.34";
/// `sm2p256v1` (1.2.156.10197.1.301), also used by some issuers as the key algorithm itself.
pub(crate) const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";
/// `id-Ed25519` (1.3.101.112).
pub(crate) const OID_ED25519: &str = "1.3.101.112";
/// `id-Ed448` (1.3.101.113).
pub(crate) const OID_ED448: &str = "1.3.101.113";
/// `rsaEncryption` (1.2.840.113549.1.1.1).
pub(crate) const OID_RSA: &str = "1.2.840.113549.1.1.1";

impl KeyType {
    /// The key type a key's `AlgorithmIdentifier` names (in a `SubjectPublicKeyInfo` or a
    /// PKCS#8 `PrivateKeyInfo`); `what` names the structure in errors.
    ///
    /// SM2 is accepted both as `id-ecPublicKey` with the `sm2p256v1` curve and with
    /// `sm2p256v1` as the algorithm itself, as some issuers write it.
    pub(crate) fn from_key_algorithm(
        algorithm: &spki::AlgorithmIdentifierRef<'_>,
        what: &'static str,
    ) -> Result<KeyType> {
        let curve = || -> Result<String> {
            let params = algorithm
                .parameters
                .as_ref()
                .ok_or_else(|| Error::malformed(what, "EC key without curve parameter"))?;
            let oid: der::asn1::ObjectIdentifier =
                params.decode_as().map_err(|e| Error::malformed(what, e))?;
            Ok(oid.to_string())
        };
        Ok(match algorithm.oid.to_string().as_str() {
            OID_EC_PUBLIC_KEY => match curve()?.as_str() {
                OID_P256 => KeyType::EcP256,
                OID_P384 => KeyType::EcP384,
                OID_SM2_CURVE => KeyType::Sm2,
                other => return Err(Error::UnsupportedAlgorithm(format!("EC curve {other}"))),
            },
            OID_SM2_CURVE => KeyType::Sm2,
            OID_ED25519 => KeyType::Ed25519,
            OID_ED448 => KeyType::Ed448,
            OID_RSA => KeyType::Rsa,
            other => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "key algorithm {other}"
                )));
            }
        })
    }
}

impl Algorithm {
    /// Every algorithm, in the order `eseal` prefers them.
    ///
    /// The curve-and-hash cross pairings come after the usual ones, so that
    /// [`Algorithm::from_signature_alg_id`] maps `ecdsa-with-SHA256` to P-256 and
    /// `ecdsa-with-SHA384` to P-384 (the identifier does not name the curve).
    pub const ALL: [Algorithm; 13] = [
        Algorithm::Sm2Sm3,
        Algorithm::EcdsaP256Sha256,
        Algorithm::EcdsaP384Sha384,
        Algorithm::Ed25519,
        Algorithm::RsaPkcs1Sha256,
        Algorithm::RsaPssSha256,
        Algorithm::RsaPkcs1Sha384,
        Algorithm::RsaPkcs1Sha512,
        Algorithm::RsaPssSha384,
        Algorithm::RsaPssSha512,
        Algorithm::EcdsaP256Sha384,
        Algorithm::EcdsaP384Sha256,
        Algorithm::Ed448,
    ];

    /// The short name used on the command line and in JSON, e.g. `sm2-sm3`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Algorithm::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Algorithm::Ed25519 => "ed25519",
            Algorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Algorithm::RsaPssSha256 => "rsa-pss-sha256",
            Algorithm::Sm2Sm3 => "sm2-sm3",
            Algorithm::EcdsaP256Sha384 => "ecdsa-p256-sha384",
            Algorithm::EcdsaP384Sha256 => "ecdsa-p384-sha256",
            Algorithm::RsaPkcs1Sha384 => "rsa-pkcs1-sha384",
            Algorithm::RsaPkcs1Sha512 => "rsa-pkcs1-sha512",
            Algorithm::RsaPssSha384 => "rsa-pss-sha384",
            Algorithm::RsaPssSha512 => "rsa-pss-sha512",
            Algorithm::Ed448 => "ed448",
        }
    }

    /// The key type this algorithm signs with.
    pub fn key_type(self) -> KeyType {
        match self {
            Algorithm::EcdsaP256Sha256 | Algorithm::EcdsaP256Sha384 => KeyType::EcP256,
            Algorithm::EcdsaP384Sha384 | Algorithm::EcdsaP384Sha256 => KeyType::EcP384,
            Algorithm::Ed25519 => KeyType::Ed25519,
            Algorithm::RsaPkcs1Sha256
            | Algorithm::RsaPssSha256
            | Algorithm::RsaPkcs1Sha384
            | Algorithm::RsaPkcs1Sha512
            | Algorithm::RsaPssSha384
            | Algorithm::RsaPssSha512 => KeyType::Rsa,
            Algorithm::Sm2Sm3 => KeyType::Sm2,
            Algorithm::Ed448 => KeyType::Ed448,
        }
    }

    /// DER contents of the signature `AlgorithmIdentifier` (RFC 5280 clause 4.1.1.2),
    /// without the outer SEQUENCE tag and length.
    pub(crate) fn signature_alg_id(self) -> &'static [u8] {
        use rustls_pki_types::alg_id as pki;
        match self {
            Algorithm::EcdsaP256Sha256 | Algorithm::EcdsaP384Sha256 => pki::ECDSA_SHA256.as_ref(),
            Algorithm::EcdsaP384Sha384 | Algorithm::EcdsaP256Sha384 => pki::ECDSA_SHA384.as_ref(),
            Algorithm::Ed25519 => pki::ED25519.as_ref(),
            Algorithm::RsaPkcs1Sha256 => pki::RSA_PKCS1_SHA256.as_ref(),
            Algorithm::RsaPkcs1Sha384 => pki::RSA_PKCS1_SHA384.as_ref(),
            Algorithm::RsaPkcs1Sha512 => pki::RSA_PKCS1_SHA512.as_ref(),
            Algorithm::RsaPssSha256 => pki::RSA_PSS_SHA256.as_ref(),
            Algorithm::RsaPssSha384 => pki::RSA_PSS_SHA384.as_ref(),
            Algorithm::RsaPssSha512 => pki::RSA_PSS_SHA512.as_ref(),
            Algorithm::Sm2Sm3 => alg_id::SM2_SM3,
            Algorithm::Ed448 => alg_id::ED448,
        }
    }

    /// The signature `AlgorithmIdentifier` as a full DER SEQUENCE.
    pub fn signature_algorithm_der(self) -> Vec<u8> {
        let contents = self.signature_alg_id();
        let mut out = Vec::with_capacity(contents.len() + 2);
        out.push(0x30);
        out.push(contents.len() as u8);
        out.extend_from_slice(contents);
        out
    }

    /// Recognises a signature `AlgorithmIdentifier` given as its DER contents
    /// (without the outer SEQUENCE), as found in certificates and CRLs.
    pub fn from_signature_alg_id(contents: &[u8]) -> Result<Algorithm> {
        if contents == alg_id::SM2_SM3_NULL {
            return Ok(Algorithm::Sm2Sm3);
        }
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.signature_alg_id() == contents)
            .ok_or_else(|| {
                Error::UnsupportedAlgorithm(format!(
                    "signature algorithm identifier {}",
                    hex::encode(contents)
                ))
            })
    }

    /// The same signature scheme and hash for a key of `key_type`: the ECDSA signature
    /// identifiers do not name the curve, so `ecdsa-with-SHA384` read as P-384 becomes
    /// P-256 with SHA-384 for a P-256 key. `None` when the key cannot make this signature.
    pub fn for_key(self, key_type: KeyType) -> Option<Algorithm> {
        use Algorithm::*;
        let resolved = match (self, key_type) {
            (EcdsaP256Sha256 | EcdsaP384Sha256, KeyType::EcP256) => EcdsaP256Sha256,
            (EcdsaP256Sha256 | EcdsaP384Sha256, KeyType::EcP384) => EcdsaP384Sha256,
            (EcdsaP256Sha384 | EcdsaP384Sha384, KeyType::EcP256) => EcdsaP256Sha384,
            (EcdsaP256Sha384 | EcdsaP384Sha384, KeyType::EcP384) => EcdsaP384Sha384,
            (other, key) if other.key_type() == key => other,
            _ => return None,
        };
        Some(resolved)
    }

    /// The algorithm `eseal` signs with by default for a key type.
    pub fn default_for(key_type: KeyType) -> Algorithm {
        match key_type {
            KeyType::EcP256 => Algorithm::EcdsaP256Sha256,
            KeyType::EcP384 => Algorithm::EcdsaP384Sha384,
            KeyType::Ed25519 => Algorithm::Ed25519,
            KeyType::Rsa => Algorithm::RsaPkcs1Sha256,
            KeyType::Sm2 => Algorithm::Sm2Sm3,
            KeyType::Ed448 => Algorithm::Ed448,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Accepts the [`Algorithm::name`] forms and the short aliases
    /// `sm2`, `p256`, `p384`, `ed25519`, `rsa`, `rsa-pss`.
    fn from_str(s: &str) -> Result<Self> {
        let alg = match s.to_ascii_lowercase().as_str() {
            "sm2" | "sm2-sm3" => Algorithm::Sm2Sm3,
            "p256" | "p-256" | "ecdsa-p256" | "ecdsa-p256-sha256" => Algorithm::EcdsaP256Sha256,
            "p384" | "p-384" | "ecdsa-p384" | "ecdsa-p384-sha384" => Algorithm::EcdsaP384Sha384,
            "ed25519" => Algorithm::Ed25519,
            "rsa" | "rsa-pkcs1" | "rsa-pkcs1-sha256" => Algorithm::RsaPkcs1Sha256,
            "rsa-pss" | "rsa-pss-sha256" => Algorithm::RsaPssSha256,
            "ecdsa-p256-sha384" => Algorithm::EcdsaP256Sha384,
            "ecdsa-p384-sha256" => Algorithm::EcdsaP384Sha256,
            "rsa-pkcs1-sha384" => Algorithm::RsaPkcs1Sha384,
            "rsa-pkcs1-sha512" => Algorithm::RsaPkcs1Sha512,
            "rsa-pss-sha384" => Algorithm::RsaPssSha384,
            "rsa-pss-sha512" => Algorithm::RsaPssSha512,
            "ed448" => Algorithm::Ed448,
            other => return Err(Error::UnsupportedAlgorithm(other.to_string())),
        };
        Ok(alg)
    }
}
