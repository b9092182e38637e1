//! # eseal
//!
//! Issue, seal, verify and revoke electronic licences (电子证照) and e-sealed documents
//! (电子印章, 电子签章) for Chinese e-government.
//!
//! - [`crypto`]: the signature [`crypto::Algorithm`]s (SM2/SM3, ECDSA, Ed25519, RSA), the
//!   [`crypto::Signer`] trait with software and PKCS#11 keys, one verification entry point.
//! - [`pki`]: an issuing office's small PKI (certificate profiles, CRLs) and the
//!   [`pki::TrustStore`] that validates chains as of a given time.
//! - [`seal`]: GB/T 38540 e-seals and seal signatures, and the round seal picture.
//! - [`cms`]: CMS SignedData for PAdES, RFC 3161 timestamps and a timestamp authority.
//! - [`pdf`]: PAdES sealing by incremental update (B-B to B-LTA) and verification with
//!   modification analysis.
//! - [`licence`]: electronic licence identifiers, the QR credential, status and trust lists.
//! - [`ofd`]: OFD packages: reading them safely, verifying and adding seal signatures.
//! - [`registry`]: an issuing office's licence registry (SQLite).
//! - [`report`]: the verification report shared by every verifier (ETSI EN 319 102-1 style).
//! - [`verify`]: one entry point that tells what a buffer holds and verifies it.
//! - [`fsio`]: atomic outputs ([`fsio::AtomicFile`]: the old file or the complete new one,
//!   never a partial one) and inputs checked to be regular files before they are read.
//! - [`ffi`]: the C ABI (`include/eseal.h`): opaque handles, status codes, no panic
//!   crosses the boundary.
//!
//! ```
//! use std::time::SystemTime;
//! use eseal::crypto::{Algorithm, Signer, SoftwareKey};
//! use eseal::pki::{self, DistinguishedName, Profile, TrustStore, Usage, Validity};
//! use eseal::report::Indication;
//!
//! // An office's SM2 root and a signer (签章人) under it.
//! let root_key = SoftwareKey::generate(Algorithm::Sm2Sm3)?;
//! let root = pki::issue_root(
//!     &DistinguishedName::common_name("国家电子证照根CA"),
//!     Validity::days_from_now(3650),
//!     &root_key,
//! )?;
//! let signer_key = SoftwareKey::generate(Algorithm::Sm2Sm3)?;
//! let signer = pki::issue(
//!     Profile::Signer,
//!     &DistinguishedName::common_name("签章人 张三"),
//!     signer_key.public_key_spki(),
//!     Validity::days_from_now(365),
//!     &root,
//!     &root_key,
//! )?;
//!
//! // A verifier trusts the root and validates the signer as of now.
//! let mut store = TrustStore::new();
//! store.add_anchor(root)?;
//! let report = store
//!     .validate(&signer, &[], SystemTime::now(), Usage::Signer)
//!     .to_report("certificate");
//! assert_eq!(report.indication, Indication::TotalPassed);
//!
//! // The same certificate is not fit to sign timestamps.
//! let misuse = store.validate(&signer, &[], SystemTime::now(), Usage::Timestamping);
//! assert_eq!(misuse.reasons[0].code(), "USAGE_NOT_ALLOWED");
//! # Ok::<(), eseal::Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cms;
pub mod crypto;
mod deflate;
mod error;
#[allow(unsafe_code)]
pub mod ffi;
pub mod fsio;
mod http;
pub mod licence;
pub mod ofd;
pub mod pdf;
pub mod pki;
pub mod registry;
pub mod report;
pub mod seal;
pub mod speed;
pub mod verify;

pub use error::{Error, Result};

#[doc(hidden)]
pub use http::fuzz_parsers as fuzz_http;
