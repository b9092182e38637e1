//! The verification report shared by every verifier, in the style of
//! ETSI EN 319 102-1 clause 5.1.3: a main indication, a sub-indication and named reasons.

use std::fmt;

use serde::Serialize;

/// The main status indication (ETSI EN 319 102-1 Table 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Indication {
    /// Every check passed.
    #[serde(rename = "TOTAL-PASSED")]
    TotalPassed,
    /// The checks could not decide: something needed is missing or unknown.
    #[serde(rename = "INDETERMINATE")]
    Indeterminate,
    /// A check failed: the signature or certificate is not valid.
    #[serde(rename = "TOTAL-FAILED")]
    TotalFailed,
}

impl Indication {
    /// The process exit code of `eseal verify` for this indication.
    pub fn exit_code(self) -> i32 {
        match self {
            Indication::TotalPassed => 0,
            Indication::Indeterminate => 1,
            Indication::TotalFailed => 2,
        }
    }
}

impl fmt::Display for Indication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Indication::TotalPassed => "TOTAL-PASSED",
            Indication::Indeterminate => "INDETERMINATE",
            Indication::TotalFailed => "TOTAL-FAILED",
        })
    }
}

/// Sub-indications (ETSI EN 319 102-1 Tables 5 and 6) that eseal reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The object is not well-formed.
    FormatFailure,
    /// A cryptographic signature does not verify.
    SigCryptoFailure,
    /// The signing certificate was revoked at the time in question.
    Revoked,
    /// The time in question lies before the certificate's validity.
    NotYetValid,
    /// An algorithm or key is not accepted.
    CryptoConstraintsFailure,
    /// A certificate's usage, basic constraints or other X.509 constraints do not allow it.
    ChainConstraintsFailure,
    /// The chain could not be validated for another reason.
    CertificateChainGeneralFailure,
    /// No chain to a trust anchor could be built.
    NoCertificateChainFound,
    /// A CA certificate in the chain was revoked.
    RevokedCaNoPoe,
    /// The certificate had expired at the time in question and no proof of existence says
    /// the signature was made before.
    OutOfBoundsNoPoe,
    /// Revocation status could not be established (missing, stale or on-hold).
    TryLater,
    /// A hash over the signed data does not match.
    HashFailure,
    /// The signature's own constraints (seal binding, claimed times, critical extensions)
    /// are not met.
    SigConstraintsFailure,
    /// The signed data needed to finish the checks was not given.
    SignedDataNotFound,
    /// The signer's certificate could not be identified.
    NoSigningCertificateFound,
    /// The certificate had expired before the earliest proof of existence of the signature.
    Expired,
}

impl fmt::Display for SubIndication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_value(self).map_err(|_| fmt::Error)?;
        f.write_str(json.as_str().unwrap_or_default())
    }
}

/// Why something is not TOTAL-PASSED: a stable code and a human explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The input is not a well-formed object of its kind.
    Malformed(String),
    /// An algorithm or key eseal does not accept.
    UnsupportedAlgorithm(String),
    /// No chain from the certificate to any trust anchor.
    UnknownIssuer,
    /// A certificate's signature does not verify with its issuer's key.
    BadCertificateSignature {
        /// The certificate's subject.
        subject: String,
    },
    /// A certificate had expired at the validation time.
    CertificateExpired {
        /// The certificate's subject.
        subject: String,
        /// Its `notAfter`, RFC 3339.
        not_after: String,
    },
    /// A certificate was not yet valid at the validation time.
    CertificateNotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Its `notBefore`, RFC 3339.
        not_before: String,
    },
    /// A certificate was revoked at or before the validation time.
    CertificateRevoked {
        /// The certificate's subject.
        subject: String,
        /// Its serial number, hex.
        serial: String,
        /// The revocation date, RFC 3339.
        revoked_at: String,
        /// The CRL reason code (RFC 5280 clause 5.3.1), if the CRL gives one.
        reason: Option<String>,
        /// Whether the certificate is a CA certificate in the chain.
        ca: bool,
    },
    /// A certificate was on hold (`certificateHold`) at the validation time.
    CertificateOnHold {
        /// The certificate's subject.
        subject: String,
        /// Its serial number, hex.
        serial: String,
    },
    /// Revocation status could not be established.
    RevocationUnknown {
        /// The certificate's subject.
        subject: String,
        /// Why not.
        detail: String,
    },
    /// The key usage (or extended key usage) of a certificate does not allow the use.
    UsageNotAllowed {
        /// The certificate's subject.
        subject: String,
        /// What was required and missing.
        required: String,
    },
    /// Basic constraints, path length, name constraints or a critical extension forbid the
    /// chain.
    ChainConstraint(String),
    /// A CRL was supplied but cannot be used (bad signature, malformed).
    BadCrl(String),
    /// The seal maker's signature over the seal does not verify (GB/T 38540 clause 7.2).
    SealSignatureInvalid,
    /// The signer's signature over `TBS_Sign` does not verify.
    SignatureInvalid,
    /// The signer's certificate is not in the seal's certificate list.
    SignerNotInSealCertList,
    /// The seal's validity period ended before the validation time.
    SealExpired {
        /// `validEnd`, RFC 3339.
        valid_end: String,
    },
    /// The seal's validity period starts after the validation time.
    SealNotYetValid {
        /// `validStart`, RFC 3339.
        valid_start: String,
    },
    /// A time the signer or maker claims lies outside a validity window it must fall in.
    ClaimedTimeOutsideValidity {
        /// Which claimed time, e.g. `SealCreateDate` or `SigningTime`.
        what: String,
        /// Which window.
        detail: String,
    },
    /// A timestamp could not be used as proof of existence.
    TimestampInvalid {
        /// Whose timestamp: `seal` or `signature`.
        what: String,
        /// Why not.
        detail: String,
    },
    /// An extension marked critical that eseal does not know.
    UnknownCriticalExtension {
        /// Its OID.
        oid: String,
    },
    /// The signed data's hash differs from the one signed.
    DataHashMismatch,
    /// No signed data was given, so its hash was not checked.
    DataNotChecked,
    /// A PDF signature dictionary is not well-formed (PDF.md §2 check 1).
    SignatureDictMalformed(String),
    /// A PDF signature's `/SubFilter` is not one eseal verifies.
    UnsupportedSubFilter(String),
    /// A PDF signature's `/ByteRange` does not cover the file as it must (PDF.md §2 check 2).
    ByteRangeInvalid(String),
    /// The CMS `SignedData` is not well-formed or not of the detached kind (RFC 5652).
    CmsMalformed(String),
    /// The signer's certificate is neither in the CMS nor supplied.
    NoSigningCertificate,
    /// An algorithm or key size that is known but too weak to accept.
    WeakAlgorithm(String),
    /// The digest of the signed content differs from the CMS `message-digest` attribute.
    DigestMismatch,
    /// A PAdES signature lacks the `signingCertificateV2` attribute (ETSI EN 319 122-1).
    MissingSigningCertificateAttr,
    /// The `signingCertificate(V2)` attribute names another certificate (RFC 5035).
    SigningCertificateMismatch,
    /// A later incremental update changed what the signature's permissions do not allow.
    DisallowedModification {
        /// The revision (1-based, in file order) that made the change.
        revision: usize,
        /// What changed, e.g. `object 7 0 (page content)`.
        objects: Vec<String>,
    },
    /// Bytes other than white space follow the last revision's `%%EOF`.
    TrailingData,
    /// The signer's certificate had expired before the earliest proof of existence of the
    /// signature (ETSI EN 319 102-1 clause 5.6.2.4): no later time can make it valid.
    CertificateExpiredBeforePoe {
        /// The certificate's subject.
        subject: String,
        /// Its `notAfter`, RFC 3339.
        not_after: String,
        /// The proof of existence, RFC 3339.
        poe: String,
    },
    /// A licence QR failed to decode at a stage of LICENCE.md §3 (PREFIX … CLAIMS).
    LicenceFormat {
        /// The stage, e.g. `BASE45`.
        stage: String,
        /// What is wrong.
        detail: String,
    },
    /// No trust-list key has the licence token's `kid` (LICENCE.md §4: unknown signer).
    UnknownSigner {
        /// The `kid`, hex.
        kid: String,
    },
    /// The trust list marks the key that verifies the licence revoked (LICENCE.md §4 `rv`):
    /// every token under it fails.
    KeyRevoked {
        /// The office's code.
        office: String,
        /// `rv`, RFC 3339.
        revoked_at: String,
    },
    /// The token does not belong to the key's office or time (LICENCE.md §3 BINDING).
    Binding(String),
    /// The licence is not in force yet (`at < nbf`, LICENCE.md §3 TIME).
    NotYetValid {
        /// `nbf`, RFC 3339.
        not_before: String,
    },
    /// The licence's validity has ended (`at ≥ exp`, LICENCE.md §3 TIME).
    Expired {
        /// `exp`, RFC 3339.
        expires: String,
    },
    /// The status list says INVALID: revoked, cancelled, withdrawn or lapsed (LICENCE.md §5).
    LicenceRevoked {
        /// The status list URI.
        uri: String,
        /// The licence's index in it.
        index: u64,
    },
    /// The status list says SUSPENDED (LICENCE.md §5).
    LicenceSuspended {
        /// The status list URI.
        uri: String,
        /// The licence's index in it.
        index: u64,
    },
    /// The status list says TRANSFERRED (LICENCE.md §5, value 3).
    LicenceTransferred {
        /// The status list URI.
        uri: String,
        /// The licence's index in it.
        index: u64,
    },
    /// The licence's status could not be established (LICENCE.md §5: missing, expired,
    /// unverifiable or unparsable list, index out of range): never valid, never revoked.
    StatusUnknown {
        /// The status list URI.
        uri: String,
        /// The licence's index in it.
        index: u64,
        /// Why.
        detail: String,
    },
    /// The trust list is past its `exp` (LICENCE.md §4).
    TrustListStale {
        /// `exp`, RFC 3339.
        expired_at: String,
    },
    /// The trust list cannot be used: malformed, untrusted signer, bad signature, rollback.
    TrustListInvalid(String),
    /// A file an OFD signature references is not in the package (SES-OFD.md §6).
    ReferencedFileMissing {
        /// Its package path.
        path: String,
    },
    /// A file an OFD signature references differs from its `CheckValue` (SES-OFD.md §6).
    ReferenceDigestMismatch {
        /// Its package path.
        path: String,
    },
    /// An OFD `CheckMethod` that is unknown or too weak (MD5, SHA-1) (SES-OFD.md §6).
    UnsupportedDigest {
        /// The `CheckMethod` as written.
        method: String,
    },
    /// The OFD `Seal.esl` differs from the seal inside `SignedValue.dat` (SES-OFD.md §6).
    SealFileMismatch,
    /// A package file no reference of the OFD signature protects (SES-OFD.md §6).
    UnprotectedFile {
        /// Its package path.
        path: String,
    },
    /// An OFD `StampAnnot`'s `PageRef` names no page of `Document.xml` (SES-OFD.md §6).
    StampPageMissing {
        /// The `StampAnnot`'s `ID`.
        id: String,
    },
    /// An SM2 signature verifies only with a distinguishing ID other than the one GB/T
    /// 35276 prescribes (`1234567812345678`) — usually the empty ID OpenSSL 3.0 uses
    /// without `-sigopt distid:…`: the signer must sign again with the standard ID.
    Sm2IdMismatch {
        /// Whose signature: the certificate's subject, or the signed object.
        subject: String,
        /// The distinguishing ID the signature must use.
        expected: String,
    },
    /// A later incremental update added or changed annotations that can draw over the signed
    /// page content (PDF.md §2a): allowed without DocMDP, but a person must look at them.
    AnnotationOverContent {
        /// The revision (1-based, in file order) that made the change.
        revision: usize,
        /// Each annotation: subtype, object, page and rectangle.
        annotations: Vec<String>,
    },
    /// A revision after the signed one cannot be read (its cross-reference section or
    /// trailer is broken): what it changed cannot be analysed (PDF.md §2a).
    UnreadableRevision {
        /// The first revision (1-based, in file order) that cannot be read.
        revision: usize,
        /// Why not.
        detail: String,
    },
}

impl Reason {
    /// Why a signature by `subject`'s `key` over `message` does not verify:
    /// [`Reason::Sm2IdMismatch`] when it is an SM2 signature made with the empty
    /// distinguishing ID, else `otherwise`.
    pub(crate) fn signature_failure(
        key: &crate::crypto::PublicKey,
        message: &[u8],
        signature: &[u8],
        subject: &str,
        otherwise: Reason,
    ) -> Reason {
        if key.verifies_with_empty_sm2_id(message, signature) {
            Reason::Sm2IdMismatch {
                subject: subject.to_string(),
                expected: crate::crypto::SM2_DEFAULT_DISTID.to_string(),
            }
        } else {
            otherwise
        }
    }

    /// A stable machine-readable code, e.g. `CERTIFICATE_EXPIRED`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Malformed(_) => "MALFORMED",
            Reason::UnsupportedAlgorithm(_) => "UNSUPPORTED_ALGORITHM",
            Reason::UnknownIssuer => "UNKNOWN_ISSUER",
            Reason::BadCertificateSignature { .. } => "BAD_CERTIFICATE_SIGNATURE",
            Reason::CertificateExpired { .. } => "CERTIFICATE_EXPIRED",
            Reason::CertificateNotYetValid { .. } => "CERTIFICATE_NOT_YET_VALID",
            Reason::CertificateRevoked { .. } => "CERTIFICATE_REVOKED",
            Reason::CertificateOnHold { .. } => "CERTIFICATE_ON_HOLD",
            Reason::RevocationUnknown { .. } => "REVOCATION_UNKNOWN",
            Reason::UsageNotAllowed { .. } => "USAGE_NOT_ALLOWED",
            Reason::ChainConstraint(_) => "CHAIN_CONSTRAINT",
            Reason::BadCrl(_) => "BAD_CRL",
            Reason::SealSignatureInvalid => "SEAL_SIGNATURE_INVALID",
            Reason::SignatureInvalid => "SIGNATURE_INVALID",
            Reason::SignerNotInSealCertList => "SIGNER_NOT_IN_SEAL_CERT_LIST",
            Reason::SealExpired { .. } => "SEAL_EXPIRED",
            Reason::SealNotYetValid { .. } => "SEAL_NOT_YET_VALID",
            Reason::ClaimedTimeOutsideValidity { .. } => "CLAIMED_TIME_OUTSIDE_VALIDITY",
            Reason::TimestampInvalid { .. } => "TIMESTAMP_INVALID",
            Reason::UnknownCriticalExtension { .. } => "UNKNOWN_CRITICAL_EXTENSION",
            Reason::DataHashMismatch => "DATA_HASH_MISMATCH",
            Reason::DataNotChecked => "DATA_NOT_CHECKED",
            Reason::SignatureDictMalformed(_) => "SIGNATURE_DICT_MALFORMED",
            Reason::UnsupportedSubFilter(_) => "UNSUPPORTED_SUB_FILTER",
            Reason::ByteRangeInvalid(_) => "BYTE_RANGE_INVALID",
            Reason::CmsMalformed(_) => "CMS_MALFORMED",
            Reason::NoSigningCertificate => "NO_SIGNING_CERTIFICATE",
            Reason::WeakAlgorithm(_) => "WEAK_ALGORITHM",
            Reason::DigestMismatch => "DIGEST_MISMATCH",
            Reason::MissingSigningCertificateAttr => "MISSING_SIGNING_CERTIFICATE_ATTR",
            Reason::SigningCertificateMismatch => "SIGNING_CERTIFICATE_MISMATCH",
            Reason::DisallowedModification { .. } => "DISALLOWED_MODIFICATION",
            Reason::TrailingData => "TRAILING_DATA",
            Reason::CertificateExpiredBeforePoe { .. } => "CERTIFICATE_EXPIRED_BEFORE_POE",
            Reason::LicenceFormat { .. } => "LICENCE_FORMAT",
            Reason::UnknownSigner { .. } => "UNKNOWN_SIGNER",
            Reason::KeyRevoked { .. } => "KEY_REVOKED",
            Reason::Binding(_) => "BINDING",
            Reason::NotYetValid { .. } => "NOT_YET_VALID",
            Reason::Expired { .. } => "EXPIRED",
            Reason::LicenceRevoked { .. } => "LICENCE_REVOKED",
            Reason::LicenceSuspended { .. } => "LICENCE_SUSPENDED",
            Reason::LicenceTransferred { .. } => "LICENCE_TRANSFERRED",
            Reason::StatusUnknown { .. } => "STATUS_UNKNOWN",
            Reason::TrustListStale { .. } => "TRUST_LIST_STALE",
            Reason::TrustListInvalid(_) => "TRUST_LIST_INVALID",
            Reason::ReferencedFileMissing { .. } => "REFERENCED_FILE_MISSING",
            Reason::ReferenceDigestMismatch { .. } => "REFERENCE_DIGEST_MISMATCH",
            Reason::UnsupportedDigest { .. } => "UNSUPPORTED_DIGEST",
            Reason::SealFileMismatch => "SEAL_FILE_MISMATCH",
            Reason::UnprotectedFile { .. } => "UNPROTECTED_FILE",
            Reason::StampPageMissing { .. } => "STAMP_PAGE_MISSING",
            Reason::Sm2IdMismatch { .. } => "SM2_ID_MISMATCH",
            Reason::AnnotationOverContent { .. } => "ANNOTATION_OVER_CONTENT",
            Reason::UnreadableRevision { .. } => "UNREADABLE_REVISION",
        }
    }

    /// The indication and sub-indication this reason leads to on its own.
    pub fn verdict(&self) -> (Indication, SubIndication) {
        use Indication::*;
        use SubIndication::*;
        match self {
            Reason::Malformed(_) => (TotalFailed, FormatFailure),
            Reason::UnsupportedAlgorithm(_) => (Indeterminate, CryptoConstraintsFailure),
            Reason::UnknownIssuer => (Indeterminate, NoCertificateChainFound),
            Reason::BadCertificateSignature { .. } => (TotalFailed, SigCryptoFailure),
            Reason::CertificateExpired { .. } => (Indeterminate, OutOfBoundsNoPoe),
            Reason::CertificateNotYetValid { .. } => (TotalFailed, NotYetValid),
            Reason::CertificateRevoked { ca: false, .. } => (TotalFailed, Revoked),
            Reason::CertificateRevoked { ca: true, .. } => (Indeterminate, RevokedCaNoPoe),
            Reason::CertificateOnHold { .. } | Reason::RevocationUnknown { .. } => {
                (Indeterminate, TryLater)
            }
            Reason::UsageNotAllowed { .. } | Reason::ChainConstraint(_) => {
                (Indeterminate, ChainConstraintsFailure)
            }
            Reason::BadCrl(_) => (Indeterminate, CertificateChainGeneralFailure),
            Reason::SealSignatureInvalid | Reason::SignatureInvalid => {
                (TotalFailed, SigCryptoFailure)
            }
            Reason::SignerNotInSealCertList => (TotalFailed, SigConstraintsFailure),
            Reason::SealExpired { .. } => (Indeterminate, OutOfBoundsNoPoe),
            Reason::SealNotYetValid { .. } => (TotalFailed, NotYetValid),
            Reason::ClaimedTimeOutsideValidity { .. }
            | Reason::TimestampInvalid { .. }
            | Reason::UnknownCriticalExtension { .. } => (Indeterminate, SigConstraintsFailure),
            Reason::DataHashMismatch => (TotalFailed, HashFailure),
            Reason::DataNotChecked => (Indeterminate, SignedDataNotFound),
            Reason::SignatureDictMalformed(_)
            | Reason::ByteRangeInvalid(_)
            | Reason::CmsMalformed(_)
            | Reason::DisallowedModification { .. }
            | Reason::TrailingData => (TotalFailed, FormatFailure),
            Reason::UnsupportedSubFilter(_) => (Indeterminate, FormatFailure),
            Reason::NoSigningCertificate => (Indeterminate, NoSigningCertificateFound),
            Reason::WeakAlgorithm(_) => (Indeterminate, CryptoConstraintsFailure),
            Reason::DigestMismatch => (TotalFailed, HashFailure),
            Reason::MissingSigningCertificateAttr => (Indeterminate, SigConstraintsFailure),
            Reason::SigningCertificateMismatch => (Indeterminate, NoSigningCertificateFound),
            Reason::CertificateExpiredBeforePoe { .. } => (TotalFailed, Expired),
            Reason::LicenceFormat { .. } => (TotalFailed, FormatFailure),
            Reason::UnknownSigner { .. } => (Indeterminate, NoSigningCertificateFound),
            Reason::KeyRevoked { .. } | Reason::LicenceRevoked { .. } => (TotalFailed, Revoked),
            Reason::Binding(_) => (TotalFailed, SigConstraintsFailure),
            Reason::NotYetValid { .. } => (Indeterminate, NotYetValid),
            Reason::Expired { .. } => (TotalFailed, Expired),
            Reason::LicenceSuspended { .. }
            | Reason::LicenceTransferred { .. }
            | Reason::StatusUnknown { .. }
            | Reason::TrustListStale { .. } => (Indeterminate, TryLater),
            Reason::TrustListInvalid(_) => (Indeterminate, NoCertificateChainFound),
            Reason::ReferencedFileMissing { .. } | Reason::ReferenceDigestMismatch { .. } => {
                (TotalFailed, HashFailure)
            }
            Reason::UnsupportedDigest { .. } => (Indeterminate, CryptoConstraintsFailure),
            Reason::SealFileMismatch | Reason::StampPageMissing { .. } => {
                (TotalFailed, FormatFailure)
            }
            Reason::UnprotectedFile { .. } => (Indeterminate, SigConstraintsFailure),
            Reason::Sm2IdMismatch { .. } => (TotalFailed, SigCryptoFailure),
            Reason::AnnotationOverContent { .. } => (Indeterminate, SigConstraintsFailure),
            Reason::UnreadableRevision { .. } => (TotalFailed, FormatFailure),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Malformed(d) => write!(f, "malformed input: {d}"),
            Reason::UnsupportedAlgorithm(d) => write!(f, "unsupported algorithm: {d}"),
            Reason::UnknownIssuer => f.write_str("no chain to a trusted anchor"),
            Reason::BadCertificateSignature { subject } => {
                write!(
                    f,
                    "the signature on {subject} does not verify with its issuer's key"
                )
            }
            Reason::CertificateExpired { subject, not_after } => {
                write!(f, "{subject} expired at {not_after}")
            }
            Reason::CertificateNotYetValid {
                subject,
                not_before,
            } => write!(f, "{subject} is not valid before {not_before}"),
            Reason::CertificateRevoked {
                subject,
                serial,
                revoked_at,
                reason,
                ..
            } => {
                write!(f, "{subject} (serial {serial}) was revoked at {revoked_at}")?;
                match reason {
                    Some(r) => write!(f, " ({r})"),
                    None => Ok(()),
                }
            }
            Reason::CertificateOnHold { subject, serial } => {
                write!(f, "{subject} (serial {serial}) is on hold")
            }
            Reason::RevocationUnknown { subject, detail } => {
                write!(f, "revocation status of {subject} unknown: {detail}")
            }
            Reason::UsageNotAllowed { subject, required } => {
                write!(
                    f,
                    "{subject} is not allowed for this use: {required} required"
                )
            }
            Reason::ChainConstraint(d) => write!(f, "chain constraint violated: {d}"),
            Reason::BadCrl(d) => write!(f, "unusable CRL: {d}"),
            Reason::SealSignatureInvalid => {
                f.write_str("the seal maker's signature over the seal does not verify")
            }
            Reason::SignatureInvalid => f.write_str("the signer's signature does not verify"),
            Reason::SignerNotInSealCertList => {
                f.write_str("the signer's certificate is not in the seal's certificate list")
            }
            Reason::SealExpired { valid_end } => write!(f, "the seal expired at {valid_end}"),
            Reason::SealNotYetValid { valid_start } => {
                write!(f, "the seal is not valid before {valid_start}")
            }
            Reason::ClaimedTimeOutsideValidity { what, detail } => {
                write!(f, "the claimed {what} lies outside {detail}")
            }
            Reason::TimestampInvalid { what, detail } => {
                write!(f, "the {what} timestamp is not usable: {detail}")
            }
            Reason::UnknownCriticalExtension { oid } => {
                write!(f, "unknown critical extension {oid}")
            }
            Reason::DataHashMismatch => {
                f.write_str("the data's hash differs from the signed dataHash")
            }
            Reason::DataNotChecked => {
                f.write_str("no signed data was given; its hash was not checked")
            }
            Reason::SignatureDictMalformed(d) => write!(f, "malformed signature dictionary: {d}"),
            Reason::UnsupportedSubFilter(d) => write!(f, "unsupported /SubFilter {d}"),
            Reason::ByteRangeInvalid(d) => write!(f, "/ByteRange does not cover the file: {d}"),
            Reason::CmsMalformed(d) => write!(f, "malformed CMS signature: {d}"),
            Reason::NoSigningCertificate => {
                f.write_str("the signer's certificate is neither in the signature nor supplied")
            }
            Reason::WeakAlgorithm(d) => write!(f, "algorithm too weak: {d}"),
            Reason::DigestMismatch => {
                f.write_str("the signed bytes' digest differs from the signed message-digest")
            }
            Reason::MissingSigningCertificateAttr => {
                f.write_str("the signingCertificateV2 attribute PAdES requires is missing")
            }
            Reason::SigningCertificateMismatch => {
                f.write_str("the signingCertificate attribute names another certificate")
            }
            Reason::DisallowedModification { revision, objects } => write!(
                f,
                "revision {revision} made changes the signature does not allow: {}",
                objects.join("; ")
            ),
            Reason::TrailingData => f.write_str("data follows the last %%EOF"),
            Reason::CertificateExpiredBeforePoe {
                subject,
                not_after,
                poe,
            } => write!(
                f,
                "{subject} expired at {not_after}, before the signature's proof of existence at {poe}"
            ),
            Reason::LicenceFormat { stage, detail } => write!(f, "{stage}: {detail}"),
            Reason::UnknownSigner { kid } => {
                write!(f, "no trust-list key has the licence's kid {kid}")
            }
            Reason::KeyRevoked { office, revoked_at } => {
                write!(f, "the signing key of {office} was revoked at {revoked_at}")
            }
            Reason::Binding(d) => write!(f, "BINDING: {d}"),
            Reason::NotYetValid { not_before } => {
                write!(f, "the licence is not in force before {not_before}")
            }
            Reason::Expired { expires } => write!(f, "the licence expired at {expires}"),
            Reason::LicenceRevoked { uri, index } => {
                write!(f, "revoked: entry {index} of {uri} is INVALID")
            }
            Reason::LicenceSuspended { uri, index } => {
                write!(f, "suspended: entry {index} of {uri} is SUSPENDED")
            }
            Reason::LicenceTransferred { uri, index } => {
                write!(f, "transferred: entry {index} of {uri} is TRANSFERRED")
            }
            Reason::StatusUnknown { uri, index, detail } => {
                write!(f, "status unknown: {detail} for {uri} (entry {index})")
            }
            Reason::TrustListStale { expired_at } => {
                write!(f, "the trust list expired at {expired_at}")
            }
            Reason::TrustListInvalid(d) => write!(f, "unusable trust list: {d}"),
            Reason::ReferencedFileMissing { path } => {
                write!(
                    f,
                    "{path} is referenced by the signature but not in the package"
                )
            }
            Reason::ReferenceDigestMismatch { path } => {
                write!(
                    f,
                    "{path} differs from the digest the signature holds for it"
                )
            }
            Reason::UnsupportedDigest { method } => {
                write!(f, "CheckMethod {method} is unknown or too weak")
            }
            Reason::SealFileMismatch => {
                f.write_str("Seal.esl differs from the seal inside SignedValue.dat")
            }
            Reason::UnprotectedFile { path } => {
                write!(
                    f,
                    "{path} is in the package but not protected by the signature"
                )
            }
            Reason::StampPageMissing { id } => {
                write!(
                    f,
                    "StampAnnot {id} refers to a page Document.xml does not have"
                )
            }
            Reason::Sm2IdMismatch { subject, expected } => write!(
                f,
                "the SM2 signature of {subject} verifies only with another distinguishing ID \
                 (made without `distid:{expected}`, e.g. OpenSSL's empty default); sign again \
                 with the standard ID"
            ),
            Reason::AnnotationOverContent {
                revision,
                annotations,
            } => write!(
                f,
                "revision {revision} added annotations that can cover the signed page content; \
                 look at them before relying on the page: {}",
                annotations.join("; ")
            ),
            Reason::UnreadableRevision { revision, detail } => write!(
                f,
                "revision {revision} and any after it cannot be read, so what they changed \
                 is unknown: {detail}"
            ),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Reason", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// One certificate of a validated chain, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// Subject DN (RFC 4514).
    pub subject: String,
    /// Issuer DN (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// `notBefore`, RFC 3339.
    pub not_before: String,
    /// `notAfter`, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER certificate, hex.
    pub sha256: String,
}

/// The result for one signature (or one certificate) in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// What was verified, e.g. `certificate`.
    pub kind: String,
    /// The main indication.
    pub indication: Indication,
    /// The sub-indication, absent when TOTAL-PASSED.
    pub sub_indication: Option<SubIndication>,
    /// Every reason found, most severe first; empty when TOTAL-PASSED.
    pub reasons: Vec<Reason>,
    /// The signer (subject DN of the signing certificate).
    pub signer: Option<String>,
    /// The e-seal's name, where a seal is involved.
    pub seal: Option<String>,
    /// The claimed or trusted signing time, RFC 3339.
    pub signing_time: Option<String>,
    /// Where the signing time comes from: `claimed` (the signer's word), `signature
    /// timestamp`, `document timestamp` or `timestamp` (proven by a verified token).
    pub signing_time_source: Option<String>,
    /// The validated chain, leaf first, anchor last.
    pub chain: Vec<CertificateSummary>,
    /// What revocation checking found, in words.
    pub revocation: String,
    /// For documents: the signature field's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For documents: how much the signature covers (`ENTIRE_FILE`, `ENTIRE_REVISION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    /// For documents: the highest level of change after signing (`NONE`, `LTA_UPDATES`,
    /// `FORM_FILLING`, `ANNOTATIONS`, `OTHER`).
    pub modification: Option<String>,
    /// For documents: every change after signing, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// Things that did not change the verdict but that a person should know.
    pub warnings: Vec<String>,
}

impl SignatureReport {
    /// A report of `kind` whose verdict follows from `reasons` (TOTAL-PASSED when empty).
    pub fn new(kind: &str, mut reasons: Vec<Reason>) -> Self {
        reasons.sort_by_key(|r| std::cmp::Reverse(r.verdict().0));
        let (indication, sub_indication) = match reasons.first() {
            Some(r) => {
                let (i, s) = r.verdict();
                (i, Some(s))
            }
            None => (Indication::TotalPassed, None),
        };
        SignatureReport {
            kind: kind.to_string(),
            indication,
            sub_indication,
            reasons,
            signer: None,
            seal: None,
            signing_time: None,
            signing_time_source: None,
            chain: Vec::new(),
            revocation: "not checked".into(),
            field: None,
            coverage: None,
            modification: None,
            changes: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// The whole report of one verification run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The time the verification was run as of, RFC 3339.
    pub validation_time: String,
    /// One entry per signature or certificate found.
    pub signatures: Vec<SignatureReport>,
}

impl Report {
    /// The worst indication of all entries; `None` when nothing signed was found.
    pub fn indication(&self) -> Option<Indication> {
        self.signatures.iter().map(|s| s.indication).max()
    }

    /// The `eseal verify` exit code: 0, 1 or 2 by [`Report::indication`], 3 when empty.
    pub fn exit_code(&self) -> i32 {
        self.indication().map_or(3, Indication::exit_code)
    }
}
