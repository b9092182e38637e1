//! CMS `SignedData` (RFC 5652) as PAdES and `adbe.pkcs7.detached` PDF signatures carry
//! it: detached (no `eContent`), one `SignerInfo`, signed attributes with the ESS
//! signing-certificate binding (RFC 5035). See PDF.md §1a and checks 3–8 of §2.
//!
//! - [`sign_detached`] writes one over a content digest with any [`crate::crypto::Signer`].
//! - [`SignedData::from_der_prefix`] reads one (DER, or BER through [`ber::to_der`];
//!   trailing padding returned apart; `id-signedData` or GM/T 0010 `signedData`) and
//!   [`SignedData::verify`] / [`SignedData::verify_with_content`] run the checks, naming
//!   every failure as a [`crate::report::Reason`].
//! - [`DigestAlgorithm`] and its streaming [`Hasher`] hash the signed bytes.
//! - [`SignedData::verify_encapsulated`] checks a `SignedData` that carries its content
//!   (`eContent`), and [`sign_encapsulated`] writes one.
//! - [`timestamp`]: RFC 3161 requests, responses and tokens ([`TimestampToken::verify`]);
//!   [`tsa`]: the HTTP transport (RFC 3161 clause 3.4) and, with the `tsa-server` feature,
//!   a timestamping authority and its server.
//!
//! Digest algorithms: SHA-256/384/512, SHAKE256 and SM3 (SHA-1 is read and reported as
//! weak). Signature algorithms: ECDSA P-256/P-384 with SHA-256/384, RSASSA-PKCS1-v1_5 and
//! RSASSA-PSS with SHA-256/384/512 (2048 to 8192 bits), Ed25519 with SHA-512 and Ed448 with
//! SHAKE256 (RFC 8419; EdDSA with another digest is refused) and SM2-with-SM3 (GB/T 35275,
//! distinguishing ID `1234567812345678`). Others (DSA, ECDSA with SHA-512, ...) are
//! reported as unsupported, never as invalid.

mod algorithms;
mod asn1;
pub mod ber;
mod digest;
mod ess;
mod sign;
mod signed_data;
pub mod timestamp;
pub mod tsa;
mod verify;

pub use asn1::{
    OID_CONTENT_TYPE, OID_DATA, OID_GM_DATA, OID_GM_SIGNED_DATA, OID_MESSAGE_DIGEST,
    OID_SIGNATURE_TIME_STAMP_TOKEN, OID_SIGNED_DATA, OID_SIGNING_CERTIFICATE,
    OID_SIGNING_CERTIFICATE_V2, OID_SIGNING_TIME,
};
pub use digest::{DigestAlgorithm, Hasher, OID_SHA1, OID_SHA256, OID_SHA384, OID_SHA512, OID_SM3};
pub use sign::{SignOptions, add_unsigned_attribute, sign_detached, sign_encapsulated};
pub use signed_data::{SignedData, UnknownAlgorithm};
pub use timestamp::{
    OID_TST_INFO, TimestampRequest, TimestampToken, TimestampVerification, TstInfo,
    token_from_response,
};
pub use verify::CmsVerification;
