//! eseal's algorithms, SM2 among them, as rustls-webpki signature verification algorithms,
//! all verifying through [`crate::crypto::verify`].

use rustls_pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};

use crate::crypto::{Algorithm, alg_id as ours, verify};

#[derive(Debug)]
struct EsealAlgorithm {
    algorithm: Algorithm,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for EsealAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        verify(self.algorithm, public_key, message, signature).map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key_alg_id
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

const fn alg(
    algorithm: Algorithm,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
) -> EsealAlgorithm {
    EsealAlgorithm {
        algorithm,
        public_key_alg_id,
        signature_alg_id,
    }
}

static SM2: EsealAlgorithm = alg(
    Algorithm::Sm2Sm3,
    AlgorithmIdentifier::from_slice(ours::EC_PUBLIC_KEY_SM2),
    AlgorithmIdentifier::from_slice(ours::SM2_SM3),
);
static SM2_NULL_PARAMS: EsealAlgorithm = alg(
    Algorithm::Sm2Sm3,
    AlgorithmIdentifier::from_slice(ours::EC_PUBLIC_KEY_SM2),
    AlgorithmIdentifier::from_slice(ours::SM2_SM3_NULL),
);
static P256: EsealAlgorithm = alg(
    Algorithm::EcdsaP256Sha256,
    alg_id::ECDSA_P256,
    alg_id::ECDSA_SHA256,
);
static P384: EsealAlgorithm = alg(
    Algorithm::EcdsaP384Sha384,
    alg_id::ECDSA_P384,
    alg_id::ECDSA_SHA384,
);
static ED25519: EsealAlgorithm = alg(Algorithm::Ed25519, alg_id::ED25519, alg_id::ED25519);
static RSA_PKCS1: EsealAlgorithm = alg(
    Algorithm::RsaPkcs1Sha256,
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PKCS1_SHA256,
);
static RSA_PSS: EsealAlgorithm = alg(
    Algorithm::RsaPssSha256,
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PSS_SHA256,
);

/// Every algorithm chain validation accepts.
pub(crate) static ALL: &[&dyn SignatureVerificationAlgorithm] = &[
    &SM2,
    &SM2_NULL_PARAMS,
    &P256,
    &P384,
    &ED25519,
    &RSA_PKCS1,
    &RSA_PSS,
];
