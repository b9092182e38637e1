//! The message digest algorithms of CMS (RFC 5754 for SHA-2, RFC 3370 for SHA-1,
//! GB/T 35275 for SM3) and a streaming hasher over them.

use ring::digest as rd;
use sm3::Digest as _;

use crate::crypto::Algorithm;

/// `id-sha1` (1.3.14.3.2.26, RFC 3370 clause 2.1).
pub const OID_SHA1: &str = "1.3.14.3.2.26";
/// `id-sha256` (2.16.840.1.101.3.4.2.1, RFC 5754 clause 2.2).
pub const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
/// `id-sha384` (2.16.840.1.101.3.4.2.2, RFC 5754 clause 2.3).
pub const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
/// `id-sha512` (2.16.840.1.101.3.4.2.3, RFC 5754 clause 2.4).
pub const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";
/// `id-shake256` (2.16.840.1.101.3.4.2.12) with a 512-bit output, as RFC 8419 clause 2.3
/// pairs it with Ed448.
pub const OID_SHAKE256: &str = "2.16.840.1.101.3.4.2.12";
/// `SM3` (1.2.156.10197.1.401, GB/T 35275 clause 7.1 / GM/T 0006).
pub const OID_SM3: &str = "1.2.156.10197.1.401";

/// Digest algorithms of CMS (RFC 5754 / GB/T 35275 for SM3).
///
/// ```text
/// DigestAlgorithmIdentifier ::= AlgorithmIdentifier   -- RFC 5652 clause 10.1.1
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-1 (FIPS 180-4): read for old signatures only, reported as weak.
    Sha1,
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-384 (FIPS 180-4).
    Sha384,
    /// SHA-512 (FIPS 180-4).
    Sha512,
    /// SM3 (GB/T 32905).
    Sm3,
    /// SHAKE256 (FIPS 202) with a 64-byte output (RFC 8419 clause 2.3, for Ed448).
    Shake256,
}

impl DigestAlgorithm {
    /// The algorithm a dotted OID names, `None` when eseal does not know it.
    pub fn from_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            OID_SHA1 => DigestAlgorithm::Sha1,
            OID_SHA256 => DigestAlgorithm::Sha256,
            OID_SHA384 => DigestAlgorithm::Sha384,
            OID_SHA512 => DigestAlgorithm::Sha512,
            OID_SM3 => DigestAlgorithm::Sm3,
            OID_SHAKE256 => DigestAlgorithm::Shake256,
            _ => return None,
        })
    }

    /// The dotted OID (RFC 5754 clause 2, GB/T 35275 clause 7.1).
    pub fn oid(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => OID_SHA1,
            DigestAlgorithm::Sha256 => OID_SHA256,
            DigestAlgorithm::Sha384 => OID_SHA384,
            DigestAlgorithm::Sha512 => OID_SHA512,
            DigestAlgorithm::Sm3 => OID_SM3,
            DigestAlgorithm::Shake256 => OID_SHAKE256,
        }
    }

    /// The usual name, e.g. `SHA-256` or `SM3`.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
            DigestAlgorithm::Sm3 => "SM3",
            DigestAlgorithm::Shake256 => "SHAKE256",
        }
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sm3 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 | DigestAlgorithm::Shake256 => 64,
        }
    }

    /// A new streaming hasher.
    pub fn hasher(self) -> Hasher {
        let ring = |alg: &'static rd::Algorithm| Inner::Ring(rd::Context::new(alg));
        Hasher(match self {
            DigestAlgorithm::Sha1 => ring(&rd::SHA1_FOR_LEGACY_USE_ONLY),
            DigestAlgorithm::Sha256 => ring(&rd::SHA256),
            DigestAlgorithm::Sha384 => ring(&rd::SHA384),
            DigestAlgorithm::Sha512 => ring(&rd::SHA512),
            DigestAlgorithm::Sm3 => Inner::Sm3(sm3::Sm3::default()),
            DigestAlgorithm::Shake256 => Inner::Shake256(sha3::Shake256::default()),
        })
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finish()
    }

    /// The digest CMS pairs with a signature algorithm: SM3 for SM2, SHA-512 for Ed25519
    /// and SHAKE256 for Ed448 (RFC 8419 clause 2.3), otherwise the hash the algorithm signs with (SHA-384 for
    /// ECDSA P-384 with SHA-384, SHA-256 for ECDSA P-256 and RSA with SHA-256, ...).
    pub fn for_signature(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sm2Sm3 => DigestAlgorithm::Sm3,
            Algorithm::Ed448 => DigestAlgorithm::Shake256,
            Algorithm::Ed25519 | Algorithm::RsaPkcs1Sha512 | Algorithm::RsaPssSha512 => {
                DigestAlgorithm::Sha512
            }
            Algorithm::EcdsaP384Sha384
            | Algorithm::EcdsaP256Sha384
            | Algorithm::RsaPkcs1Sha384
            | Algorithm::RsaPssSha384 => DigestAlgorithm::Sha384,
            _ => DigestAlgorithm::Sha256,
        }
    }
}

/// Streaming hasher (update many times, finish once).
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Ring(rd::Context),
    Sm3(sm3::Sm3),
    Shake256(sha3::Shake256),
}

impl Hasher {
    /// Feeds more data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Ring(context) => context.update(data),
            Inner::Sm3(hasher) => hasher.update(data),
            Inner::Shake256(hasher) => sha3::digest::Update::update(hasher, data),
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Vec<u8> {
        match self.0 {
            Inner::Ring(context) => context.finish().as_ref().to_vec(),
            Inner::Sm3(hasher) => hasher.finalize().to_vec(),
            Inner::Shake256(hasher) => {
                use sha3::digest::{ExtendableOutput, XofReader};
                let mut out = vec![0; DigestAlgorithm::Shake256.output_len()];
                hasher.finalize_xof().read(&mut out);
                out
            }
        }
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match &self.0 {
            Inner::Ring(context) => format!("{:?}", context.algorithm()),
            Inner::Sm3(_) => "SM3".into(),
            Inner::Shake256(_) => "SHAKE256".into(),
        };
        f.debug_tuple("Hasher").field(&name).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-4 and GB/T 32905 appendix A, message "abc".
        let cases = [
            (
                DigestAlgorithm::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                DigestAlgorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                DigestAlgorithm::Sm3,
                "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
            ),
            // FIPS 202 SHAKE256("abc"), the first 512 bits.
            (
                DigestAlgorithm::Shake256,
                "483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739\
                 d5a15bef186a5386c75744c0527e1faa9f8726e462a12a4feb06bd8801e751e4",
            ),
        ];
        for (alg, want) in cases {
            assert_eq!(hex::encode(alg.digest(b"abc")), want, "{alg:?}");
            let mut h = alg.hasher();
            h.update(b"a");
            h.update(b"bc");
            assert_eq!(hex::encode(h.finish()), want, "{alg:?} streamed");
            assert_eq!(alg.digest(b"").len(), alg.output_len());
            assert_eq!(DigestAlgorithm::from_oid(alg.oid()), Some(alg));
        }
        assert_eq!(DigestAlgorithm::Sha384.digest(b"").len(), 48);
        assert_eq!(DigestAlgorithm::Sha512.digest(b"").len(), 64);
    }
}
