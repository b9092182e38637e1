//! Software keys: PKCS#8 (plain or encrypted, PEM or DER), PKCS#12, and key generation.

use ring::rand::SystemRandom;
use ring::signature::{self as rs, KeyPair as _};
use sm2::dsa::signature::Signer as _;
use zeroize::Zeroizing;

use super::algorithm::{Algorithm, KeyType, SM2_DEFAULT_DISTID};
use super::{PublicKey, Signer};
use crate::error::{Error, Result};

/// The largest key file eseal reads (a PKCS#12 with a long chain fits easily).
pub const MAX_KEY_FILE: usize = 1 << 20;

/// A private key held in memory.
///
/// The PKCS#8 encoding is kept in a zeroizing buffer and SM2 scalars zeroize on drop;
/// ring's key pairs keep their own copy, which ring does not zeroize.
pub struct SoftwareKey {
    algorithm: Algorithm,
    spki: Vec<u8>,
    pkcs8: Zeroizing<Vec<u8>>,
    key: KeyPair,
}

enum KeyPair {
    Ecdsa(rs::EcdsaKeyPair),
    Ed25519(rs::Ed25519KeyPair),
    Rsa(rs::RsaKeyPair),
    Sm2(sm2::dsa::SigningKey),
}

impl SoftwareKey {
    /// Generates a new key for `algorithm` (EC, Ed25519 and SM2; RSA keys come from
    /// elsewhere, e.g. an HSM or `openssl genpkey`).
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8: Zeroizing<Vec<u8>> = match algorithm.key_type() {
            KeyType::EcP256 | KeyType::EcP384 => {
                let doc = rs::EcdsaKeyPair::generate_pkcs8(ecdsa_signing(algorithm)?, &rng)
                    .map_err(|_| Error::Signing("EC key generation failed".into()))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            KeyType::Ed25519 => {
                let doc = rs::Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| Error::Signing("Ed25519 key generation failed".into()))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            KeyType::Sm2 => {
                use pkcs8::EncodePrivateKey;
                use sm2::elliptic_curve::Generate;
                let secret = sm2::SecretKey::try_generate()
                    .map_err(|e| Error::Signing(format!("SM2 key generation failed: {e}")))?;
                let doc = secret
                    .to_pkcs8_der()
                    .map_err(|e| Error::Signing(format!("SM2 key encoding failed: {e}")))?;
                Zeroizing::new(doc.as_bytes().to_vec())
            }
            KeyType::Rsa => {
                return Err(Error::UnsupportedAlgorithm(
                    "eseal does not generate RSA keys; import one as PKCS#8".into(),
                ));
            }
            KeyType::Ed448 => return Err(ed448_signing()),
        };
        Self::from_pkcs8_der(&pkcs8)?.with_algorithm(algorithm)
    }

    /// Loads an unencrypted PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208, RFC 5958).
    ///
    /// The algorithm is the key type's default ([`Algorithm::default_for`]); use
    /// [`SoftwareKey::with_algorithm`] for RSA-PSS.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        check_size(der.len())?;
        let info = pkcs8::PrivateKeyInfoRef::try_from(der)
            .map_err(|e| Error::malformed("PKCS#8 private key", e))?;
        let key_type = KeyType::from_key_algorithm(&info.algorithm, "PKCS#8 private key")?;
        let malformed = |e: &dyn std::fmt::Display| Error::malformed("PKCS#8 private key", e);
        let rng = SystemRandom::new();
        let key = match key_type {
            KeyType::EcP256 | KeyType::EcP384 => {
                let alg = ecdsa_signing(Algorithm::default_for(key_type))?;
                KeyPair::Ecdsa(
                    rs::EcdsaKeyPair::from_pkcs8(alg, der, &rng).map_err(|e| malformed(&e))?,
                )
            }
            KeyType::Ed25519 => KeyPair::Ed25519(
                rs::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|e| malformed(&e))?,
            ),
            KeyType::Rsa => {
                KeyPair::Rsa(rs::RsaKeyPair::from_pkcs8(der).map_err(|e| malformed(&e))?)
            }
            KeyType::Sm2 => {
                use pkcs8::DecodePrivateKey;
                let secret = sm2::SecretKey::from_pkcs8_der(der).map_err(|e| malformed(&e))?;
                KeyPair::Sm2(
                    sm2::dsa::SigningKey::new(SM2_DEFAULT_DISTID, &secret)
                        .map_err(|e| malformed(&e))?,
                )
            }
            KeyType::Ed448 => return Err(ed448_signing()),
        };
        let raw_public: Vec<u8> = match &key {
            KeyPair::Ecdsa(k) => k.public_key().as_ref().to_vec(),
            KeyPair::Ed25519(k) => k.public_key().as_ref().to_vec(),
            KeyPair::Rsa(k) => k.public_key().as_ref().to_vec(),
            KeyPair::Sm2(k) => k.verifying_key().to_sec1_bytes().to_vec(),
        };
        Ok(SoftwareKey {
            algorithm: Algorithm::default_for(key_type),
            spki: PublicKey::from_raw(key_type, &raw_public).to_spki_der(),
            pkcs8: Zeroizing::new(der.to_vec()),
            key,
        })
    }

    /// Loads a key from PEM: `PRIVATE KEY` (PKCS#8), `ENCRYPTED PRIVATE KEY` (PKCS#8 with
    /// PBES2, RFC 8018, with `password`) or an SM2 `EC PRIVATE KEY` (SEC1).
    pub fn from_pem(pem_text: &str, password: Option<&str>) -> Result<Self> {
        check_size(pem_text.len())?;
        let block = pem::parse(pem_text).map_err(|e| Error::malformed("PEM private key", e))?;
        match block.tag() {
            "PRIVATE KEY" => Self::from_pkcs8_der(block.contents()),
            "EC PRIVATE KEY" => Self::from_sm2_sec1_der(block.contents()),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or_else(|| {
                    Error::Invalid("the private key is encrypted: a password is needed".into())
                })?;
                Self::from_encrypted_pkcs8_der(block.contents(), password)
            }
            other => Err(Error::malformed(
                "PEM private key",
                format!("a `{other}` block, expected a `PRIVATE KEY`"),
            )),
        }
    }

    /// Loads an SM2 key in SEC1 form (`ECPrivateKey`, RFC 5915), as Chinese tools often
    /// write it; other curves are to be converted to PKCS#8 first.
    pub fn from_sm2_sec1_der(der: &[u8]) -> Result<Self> {
        use pkcs8::EncodePrivateKey;
        check_size(der.len())?;
        let secret = sm2::SecretKey::from_sec1_der(der).map_err(|_| {
            Error::UnsupportedAlgorithm(
                "an EC PRIVATE KEY that is not SM2; convert it with `openssl pkcs8 -topk8`".into(),
            )
        })?;
        let doc = secret
            .to_pkcs8_der()
            .map_err(|e| Error::malformed("SEC1 private key", e))?;
        Self::from_pkcs8_der(doc.as_bytes())
    }

    /// Loads a PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958 clause 3) with `password`.
    pub fn from_encrypted_pkcs8_der(der: &[u8], password: &str) -> Result<Self> {
        check_size(der.len())?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der)
            .map_err(|e| Error::malformed("encrypted PKCS#8 private key", e))?;
        let plain = info.decrypt(password).map_err(|_| Error::WrongPassword)?;
        Self::from_pkcs8_der(plain.as_bytes())
    }

    /// Loads the first private key of a PKCS#12 file (RFC 7292) and its certificate chain
    /// (DER, leaf first).
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<(Self, Vec<Vec<u8>>)> {
        check_size(der.len())?;
        use p12_keystore::{KeyStore, Pkcs12ImportPolicy, error::Error as P12Error};
        let store = KeyStore::from_pkcs12(der, password, Pkcs12ImportPolicy::Relaxed).map_err(
            |e| match e {
                P12Error::MacError(_) | P12Error::UnpadError => Error::WrongPassword,
                other => Error::malformed("PKCS#12 file", other),
            },
        )?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| Error::malformed("PKCS#12 file", "no private key in it"))?;
        let key = Self::from_pkcs8_der(chain.key().as_der())?;
        let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
        Ok((key, certs))
    }

    /// Chooses another algorithm for the same key (RSA PKCS#1 v1.5 or PSS and their
    /// hashes).
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self> {
        if algorithm.key_type() != self.algorithm.key_type() {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{algorithm} with a {} key",
                self.algorithm
            )));
        }
        if let KeyPair::Ecdsa(_) = self.key {
            // ring signs ECDSA with the curve's own hash only (P-256 with SHA-256, P-384
            // with SHA-384): refuse the cross pairings rather than sign with another hash.
            ecdsa_signing(algorithm)?;
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// The unencrypted PKCS#8 DER, for writing the key to its owner's storage.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// The unencrypted PKCS#8 as PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            self.pkcs8.as_slice(),
        )))
    }
}

impl Signer for SoftwareKey {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = SystemRandom::new();
        let failed = |_| Error::Signing(format!("{} signing failed", self.algorithm));
        match &self.key {
            KeyPair::Ecdsa(k) => Ok(k.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
            KeyPair::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            KeyPair::Rsa(k) => {
                let padding: &dyn rs::RsaEncoding = match self.algorithm {
                    Algorithm::RsaPssSha256 => &rs::RSA_PSS_SHA256,
                    Algorithm::RsaPssSha384 => &rs::RSA_PSS_SHA384,
                    Algorithm::RsaPssSha512 => &rs::RSA_PSS_SHA512,
                    Algorithm::RsaPkcs1Sha384 => &rs::RSA_PKCS1_SHA384,
                    Algorithm::RsaPkcs1Sha512 => &rs::RSA_PKCS1_SHA512,
                    _ => &rs::RSA_PKCS1_SHA256,
                };
                let mut signature = vec![0; k.public().modulus_len()];
                k.sign(padding, &rng, message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            KeyPair::Sm2(k) => {
                let signature: sm2::dsa::Signature = k
                    .try_sign(message)
                    .map_err(|e| Error::Signing(format!("SM2 signing failed: {e}")))?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
        }
    }
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn check_size(len: usize) -> Result<()> {
    if len > MAX_KEY_FILE {
        return Err(Error::TooLarge {
            what: "key file",
            size: len as u64,
            limit: MAX_KEY_FILE as u64,
        });
    }
    Ok(())
}

fn ecdsa_signing(algorithm: Algorithm) -> Result<&'static rs::EcdsaSigningAlgorithm> {
    match algorithm {
        Algorithm::EcdsaP256Sha256 => Ok(&rs::ECDSA_P256_SHA256_ASN1_SIGNING),
        Algorithm::EcdsaP384Sha384 => Ok(&rs::ECDSA_P384_SHA384_ASN1_SIGNING),
        other => Err(Error::UnsupportedAlgorithm(format!("{other} is not ECDSA"))),
    }
}

/// eseal verifies Ed448 signatures made elsewhere but does not sign with Ed448.
fn ed448_signing() -> Error {
    Error::UnsupportedAlgorithm("Ed448 keys verify only; eseal does not sign with them".into())
}
