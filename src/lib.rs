//! # eseal
//!
//! Issue, seal, verify and revoke electronic licences (电子证照) and e-sealed documents
//! (电子印章, 电子签章) for Chinese e-government.
//!
//! A portal verifies an uploaded document, a seal or a licence QR string in three lines:
//! trust the office's root, verify, read the verdict.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let at = eseal::parse_rfc3339("2026-11-15T00:00:00Z")?;
//! let mut verifier = eseal::Verifier::new();
//! verifier.add_anchors(&std::fs::read("test-vectors/pdf/p256/root.pem")?)?;
//! let report = verifier.verify(&std::fs::read("test-vectors/pdf/p256/sealed.pdf")?, at)?;
//! # assert_eq!(report.indication(), Some(eseal::Indication::TotalPassed));
//! # Ok(()) }
//! ```
//!
//! `report.indication()` is the verdict (`TOTAL-PASSED`, `INDETERMINATE`, `TOTAL-FAILED`,
//! after ETSI EN 319 102-1); each [`SignatureReport`] names its signer, its seal, what
//! changed after signing and every [`Reason`] for its verdict. [`Verifier`] also takes
//! intermediates, CRLs, OCSP responses, the licence trust list and status lists.
//!
//! The API, by job:
//!
//! - **Verify**: [`Verifier`], [`Report`], [`verify_pdf`], [`verify_ofd`],
//!   [`verify_seal_signature`], [`verify_licence_qr`], [`TrustStore`] for certificate paths
//!   as of a time; [`verification_report_pdf`] prints a report on one page.
//! - **Keys**: the [`Signer`] trait, [`SoftwareKey`], `Pkcs11Signer` (feature `pkcs11`),
//!   [`Algorithm`] (SM2/SM3, ECDSA, Ed25519, RSA), [`verify_signature`].
//! - **An office's PKI**: [`issue_root`], [`issue_certificate`] with a [`Profile`] per
//!   role, [`issue_crl`], [`OfficeCa`].
//! - **Seals** (GB/T 38540): [`make_seal`], [`sign_with_seal`], [`SealPicture`].
//! - **Documents**: [`seal_pdf`] (PAdES B-B to B-LTA), [`seal_ofd`] (GB/T 33190).
//! - **Licences** (GB/T 36903/36904): [`LicenceId`], [`IssuingOffice`], [`sign_licence`],
//!   [`qr_string`], [`StatusList`], [`TrustList`], [`render_pdf`], [`render_ofd`],
//!   [`OfficeDir`] and the [`Registry`] ([`SqliteRegistry`]) with its audit log.
//! - **Files**: [`AtomicFile`] (the old file or the whole new one, never a partial one).
//!
//! ```
//! use std::time::SystemTime;
//! use eseal::{
//!     Algorithm, DistinguishedName, Indication, Profile, ReportKind, Signer, SoftwareKey,
//!     TrustStore, Usage, Validity, issue_certificate, issue_root,
//! };
//!
//! // An office's SM2 root and a signer (签章人) under it.
//! let root_key = SoftwareKey::generate(Algorithm::Sm2Sm3)?;
//! let root = issue_root(
//!     &DistinguishedName::common_name("国家电子证照根CA"),
//!     Validity::days_from_now(3650),
//!     &root_key,
//! )?;
//! let signer_key = SoftwareKey::generate(Algorithm::Sm2Sm3)?;
//! let signer = issue_certificate(
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
//!     .to_report(ReportKind::Certificate);
//! assert_eq!(report.indication, Indication::TotalPassed);
//!
//! // The same certificate is not fit to sign timestamps.
//! let misuse = store.validate(&signer, &[], SystemTime::now(), Usage::Timestamping);
//! assert_eq!(misuse.reasons[0].code(), "USAGE_NOT_ALLOWED");
//! # Ok::<(), eseal::Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]
// Without `test-util`, the parsers and samples that only tests and fuzz targets call are
// unused; with it (as CI builds and lints) they are public and checked like the rest.
#![cfg_attr(not(feature = "test-util"), allow(dead_code, unused_imports))]

/// Declares the modules under the API: private, or public but hidden from the docs with
/// the `test-util` feature, for eseal's own tests, fuzz targets and `eseal speed` (not part
/// of the API: anything in them may change in any release).
macro_rules! internal_modules {
    ($($module:ident),* $(,)?) => {$(
        #[cfg(feature = "test-util")]
        #[doc(hidden)]
        pub mod $module;
        #[cfg(not(feature = "test-util"))]
        mod $module;
    )*};
}

internal_modules!(
    cms, crypto, fsio, licence, ofd, pdf, pki, registry, report, report_pdf, seal, verifier,
    verify,
);
mod deflate;
mod error;
mod http;
#[cfg(feature = "serve")]
pub mod serve;

pub use error::{Error, Result};

// Verifying: one entry point and its report.
pub use report::{
    CertificateSummary, Coverage, Description as ReasonDescription, Indication, LicenceField,
    ModificationLevel, Reason, Report, ReportKind, Revocation, RevocationStatus,
    SCHEMA_VERSION as REPORT_SCHEMA_VERSION, SignatureReport, SubIndication, Time, TimeSource,
};
pub use report_pdf::{ReportDocument, verification_report_pdf};
pub use verifier::Verifier;
pub use verify::{
    DocumentOptions, LicenceReport, is_licence_qr, licence_format_failure, licence_qr_in,
    verify_document, verify_licence,
};

// Keys and signatures.
#[cfg(feature = "pkcs11")]
pub use crypto::pkcs11::Pkcs11Signer;
pub use crypto::verify as verify_signature;
pub use crypto::{Algorithm, KeyType, PublicKey, SM2_DEFAULT_DISTID, Signer, SoftwareKey};

// Certificates, paths, revocation: an office's small PKI and what a verifier trusts.
pub use pki::issue as issue_certificate;
pub use pki::{
    Certificate, CertificateBundle, ChainValidation, Crl, DistinguishedName, KeyUsageBits,
    MAX_PKI_FILE, OcspCertStatus, OcspResponse, OcspSigner, OfficeCa, Policy, Profile,
    RevocationReason, RevokedEntry, TrustStore, Usage, Validity, issue_crl, issue_root,
    ocsp_request_der, parse_rfc3339, read_certificate_bundle, read_certificates, rfc3339,
    unix_seconds,
};

// GB/T 38540 seals and seal signatures.
pub use seal::picture::{SealFont, SealPicture};
pub use seal::{
    CertList, PictureInfo, Seal, SealRequest, SealSignature, SesVersion, TimeInfo, make_seal,
    make_seal_v5, sign_with_seal, timestamp_seal_signature, verify_seal, verify_seal_signature,
    verify_seal_with_chain,
};

// CMS and RFC 3161 timestamps.
#[cfg(feature = "tsa-server")]
pub use cms::tsa::Authority as TimestampAuthority;
pub use cms::tsa::{HttpTsa, Timestamper, request_timestamp};
pub use cms::{
    CmsVerification, DigestAlgorithm, SignOptions, SignedData, TimestampRequest, TimestampToken,
    TstInfo, sign_detached, sign_encapsulated, token_from_response,
};

// PDF (PAdES).
pub use pdf::{
    DocMdp, FieldLock, MAX_PDF_SIZE, PdfSealOptions, Placement, SubFilter, UPDATE_HEADROOM,
    ValidationData, add_document_timestamp, add_validation_data, seal_pdf, seal_pdf_file,
    verify_pdf, verify_pdf_file,
};

// OFD (GB/T 33190).
pub use ofd::{
    Limits as OfdLimits, OfdPlacement, OfdSealOptions, Package as OfdPackage,
    VerifyOptions as OfdVerifyOptions, seal_ofd, seal_ofd_to, verify_ofd, write_package,
};

// Electronic licences: identifiers, the licence, its QR, status and trust lists, documents.
pub use licence::batch::{BatchFormat, MAX_BATCH_INPUT, read_batch};
pub use licence::compact::{
    LicenceClaims, LicenceFields, StatusReference, qr_png, qr_string, qr_svg, sign_licence,
};
pub use licence::document::{
    CjkFont, LicenceDocument, RenderedLicence, RenderedOfd, render_ofd, render_pdf,
};
pub use licence::identifiers::{IssuerCode, LicenceId, RegionCode, ResidentId, TypeCode, Uscc};
pub use licence::issue::{
    BatchRequest, IssuedLicence, IssuingOffice, issue as issue_licence, issue_batch,
};
pub use licence::model::{
    Date, Licence, LicenceRequest, OfficeIdentity, Template as LicenceTemplate,
};
pub use licence::office::{
    DocumentFormat, OFFICE_FILE, OfficeConfig, OfficeDir, REGISTRY_FILE, Sealer, audit_office,
    first_certificate,
};
pub use licence::status_list::{
    LicenceStatus, MAX_STATUS_LIST_TOKEN, Status as StatusCode, StatusList, StatusListError,
    VerifiedStatusList, sign_status_list, verify_status_list,
};
pub use licence::trust_list::{
    KeyUse, ListedKey, MAX_TRUST_LIST, Office as TrustListOffice, TrustList, TrustListError,
    VerifiedTrustList, sign_trust_list, verify_trust_list,
};
pub use licence::trust_state::TrustListState;
pub use licence::verify::{
    Filed, LicenceFailure, LicenceVerification, LicenceWarning, StatusCheck, StatusLists,
    StatusOutcome, verify_licence_qr,
};

// The issuing office's registry and audit log.
pub use registry::head::{AuditHead, check_audit_head, sign_audit_head, verify_audit_head};
pub use registry::{
    Assigned, AuditCheck, AuditEntry, BatchItem, IssueRequest, Issued, LicenceState, NewLicence,
    OpCode, Registry, RegistryError, RegistryLocation, RegistryRow, SqliteRegistry, StatusChange,
    is_postgres_url, open_registry, open_registry_read_only,
};
#[cfg(feature = "postgres")]
pub use registry::{PgImport, PgRegistry};

// Files: outputs that are the old file or the whole new one, inputs that are files.
pub use fsio::{AtomicFile, exit_discarding_pending, open_input, write_atomic, write_secret};

/// The HTTP parsers, for the `http` fuzz target.
#[cfg(feature = "test-util")]
#[doc(hidden)]
pub use http::fuzz_parsers as fuzz_http;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
