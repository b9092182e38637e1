//! # eseal
//!
//! Issue, seal, verify and revoke electronic licences (电子证照) and e-sealed documents
//! (电子印章, 电子签章) for Chinese e-government.
//!
//! - [`crypto`]: the signature [`crypto::Algorithm`]s (SM2/SM3, ECDSA, Ed25519, RSA), the
//!   [`crypto::Signer`] trait with software and PKCS#11 keys, one verification entry point.
//! - [`pki`]: an issuing office's small PKI (certificate profiles, CRLs) and the
//!   [`pki::TrustStore`] that validates chains as of a given time.
//! - [`report`]: the verification report shared by every verifier (ETSI EN 319 102-1 style).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod crypto;
mod error;
pub mod pki;
pub mod report;
pub mod speed;

pub use error::{Error, Result};
