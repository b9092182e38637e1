//! The issuing office's small PKI and the trust decisions that verification stands on:
//! certificate profiles, CRLs, OCSP responses, the [`TrustStore`] and chain validation as
//! of a given time.
//!
//! Chain building and X.509 checks are rustls-webpki's; its known limits hold here too:
//! `directoryName` name constraints are not enforced (a CA with such constraints is
//! rejected as `ChainConstraint`), and any unknown critical extension rejects the chain.
//! Certificates eseal issues use neither.

mod certificate;
mod crl;
mod issue;
mod ocsp;
mod office;
mod poe;
mod trust;
mod webpki_algs;

pub use certificate::{
    Certificate, KeyUsageBits, MAX_PKI_FILE, OID_KP_TIME_STAMPING, parse_rfc3339,
    read_certificates, rfc3339, unix_seconds,
};
pub(crate) use crl::signed_parts;
pub use crl::{Crl, RevocationReason, RevokedEntry, issue_crl};
pub use issue::{DistinguishedName, Profile, Validity, issue, issue_root};
pub use ocsp::{
    OCSP_CLOCK_SKEW, OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE, OID_KP_OCSP_SIGNING, OcspCertStatus,
    OcspResponderId, OcspResponse, OcspSigner, SingleStatus, fetch_ocsp_response, ocsp_request_der,
};
pub use office::OfficeCa;
pub(crate) use office::write_atomic;
pub use poe::{Findings, as_of_proof};
pub use trust::{ChainValidation, TrustStore, Usage};
