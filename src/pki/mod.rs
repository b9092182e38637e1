//! The issuing office's small PKI and the trust decisions that verification stands on:
//! certificate profiles, CRLs, OCSP responses, the [`TrustStore`] and chain validation as
//! of a given time. Every leaf profile carries its role as an extended key usage
//! ([`ROLE_PURPOSES`]); [`Usage::check`] keeps each certificate to its role.
//!
//! Paths are built and validated by eseal itself (RFC 5280 clause 6.1, [`Policy`]): every
//! signature algorithm the crypto layer verifies, self-issued certificates, name
//! constraints on directory, DNS, IP and e-mail names, policy constraints, a default and a
//! strict profile. The x509-limbo suite runs in the tests.

mod certificate;
mod crl;
mod extensions;
mod issue;
mod names;
mod ocsp;
mod office;
mod path;
mod poe;
mod revocation_data;
mod roles;
mod trust;

pub(crate) use certificate::system_time;
pub use certificate::{
    Certificate, CertificateBundle, KeyUsageBits, MAX_PKI_FILE, OID_KP_TIME_STAMPING,
    parse_rfc3339, read_certificate_bundle, read_certificates, rfc3339, unix_seconds,
};
pub use crl::signed_parts;
pub use crl::{Crl, RevocationReason, RevokedEntry, issue_crl};
pub use issue::{DistinguishedName, Profile, Validity, issue, issue_root};
pub use ocsp::{
    OCSP_CLOCK_SKEW, OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE, OID_KP_OCSP_SIGNING, OcspCertStatus,
    OcspResponderId, OcspResponse, OcspSigner, SingleStatus, fetch_ocsp_response, ocsp_request_der,
    ocsp_request_der_with_nonce,
};
pub use office::OfficeCa;
pub use path::Policy;
pub use poe::{Findings, as_of_proof};
pub use roles::{
    OID_ANY_EXTENDED_KEY_USAGE, OID_ESEAL_ROLES, OID_KP_DOCUMENT_SIGNER, OID_KP_LICENCE_SIGNER,
    OID_KP_SEAL_MAKER, OID_KP_STATUS_LIST_SIGNER, OID_KP_TSL_SIGNING, ROLE_PURPOSES,
};
pub use trust::{ChainValidation, TrustStore, Usage};
