//! The verification report shared by every verifier, in the style of
//! ETSI EN 319 102-1 clause 5.1.3: a main indication, a sub-indication and named reasons.

use std::fmt;
use std::time::SystemTime;

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
        /// Its `notAfter`.
        not_after: Time,
    },
    /// A certificate was not yet valid at the validation time.
    CertificateNotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Its `notBefore`.
        not_before: Time,
    },
    /// A certificate was revoked at or before the validation time.
    CertificateRevoked {
        /// The certificate's subject.
        subject: String,
        /// Its serial number, hex.
        serial: String,
        /// The revocation date.
        revoked_at: Time,
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
        /// `validEnd`.
        valid_end: Time,
    },
    /// The seal's validity period starts after the validation time.
    SealNotYetValid {
        /// `validStart`.
        valid_start: Time,
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
        /// Its `notAfter`.
        not_after: Time,
        /// The proof of existence.
        poe: Time,
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
        /// `rv`.
        revoked_at: Time,
    },
    /// The token does not belong to the key's office or time (LICENCE.md §3 BINDING).
    Binding(String),
    /// The licence is not in force yet (`at < nbf`, LICENCE.md §3 TIME).
    NotYetValid {
        /// `nbf`.
        not_before: Time,
    },
    /// The licence's validity has ended (`at ≥ exp`, LICENCE.md §3 TIME).
    Expired {
        /// `exp`.
        expires: Time,
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
        /// `exp`.
        expired_at: Time,
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

    /// Everything eseal says about this reason, from its one description: code, verdict
    /// and the message in English and in Chinese.
    pub fn describe(&self) -> Description {
        let (indication, sub_indication) = self.verdict();
        Description {
            code: self.code(),
            indication,
            sub_indication,
            message: self.to_string(),
            message_zh: self.message_zh(),
        }
    }

    /// The message in Chinese, for the service and web page a person reads; the same
    /// facts as the English [`Display`](fmt::Display) text.
    pub fn message_zh(&self) -> String {
        Zh(self).to_string()
    }
}

/// What a [`Reason`] amounts to, as [`Reason::describe`] gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Description {
    /// The stable machine-readable code, e.g. `CERTIFICATE_EXPIRED`.
    pub code: &'static str,
    /// The main indication the reason leads to on its own.
    pub indication: Indication,
    /// The sub-indication it leads to on its own.
    pub sub_indication: SubIndication,
    /// The English message (the `Display` text).
    pub message: String,
    /// The Chinese message.
    pub message_zh: String,
}

/// A [`Reason`] displayed in Chinese.
struct Zh<'a>(&'a Reason);

/// ` (detail)` after a message when there is a detail, in the parentheses of `open` and
/// `close`.
fn parenthesised(detail: &Option<String>, open: &str, close: &str) -> String {
    detail
        .as_ref()
        .map(|d| format!("{open}{d}{close}"))
        .unwrap_or_default()
}

/// The one description of every [`Reason`]: per variant, its code, its verdict (indication,
/// sub-indication), its English message and its Chinese message. It makes
/// [`Reason::code`], [`Reason::verdict`], `Display` and [`Reason::message_zh`].
macro_rules! describe_reasons {
    ($($pat:pat => $code:literal, $verdict:expr, ($($en:tt)+), ($($zh:tt)+);)+) => {
        impl Reason {
            /// A stable machine-readable code, e.g. `CERTIFICATE_EXPIRED`.
            #[allow(unused_variables)]
            pub fn code(&self) -> &'static str {
                match self {
                    $($pat => $code,)+
                }
            }

            /// The indication and sub-indication this reason leads to on its own.
            #[allow(unused_variables)]
            pub fn verdict(&self) -> (Indication, SubIndication) {
                use Indication::*;
                use SubIndication::*;
                match self {
                    $($pat => $verdict,)+
                }
            }
        }

        impl fmt::Display for Reason {
            #[allow(unused_variables)]
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($pat => write!(f, $($en)+),)+
                }
            }
        }

        impl fmt::Display for Zh<'_> {
            #[allow(unused_variables)]
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    $($pat => write!(f, $($zh)+),)+
                }
            }
        }
    };
}

describe_reasons! {
    Reason::Malformed(d) => "MALFORMED", (TotalFailed, FormatFailure),
        ("malformed input: {d}"),
        ("输入格式不正确：{d}");
    Reason::UnsupportedAlgorithm(d) => "UNSUPPORTED_ALGORITHM",
        (Indeterminate, CryptoConstraintsFailure),
        ("unsupported algorithm: {d}"),
        ("不支持的算法：{d}");
    Reason::UnknownIssuer => "UNKNOWN_ISSUER", (Indeterminate, NoCertificateChainFound),
        ("no chain to a trusted anchor"),
        ("无法建立到受信任根证书的证书链");
    Reason::BadCertificateSignature { subject } => "BAD_CERTIFICATE_SIGNATURE",
        (TotalFailed, SigCryptoFailure),
        ("the signature on {subject} does not verify with its issuer's key"),
        ("{subject} 的证书签名无法用其签发者的公钥验证");
    Reason::CertificateExpired { subject, not_after } => "CERTIFICATE_EXPIRED",
        (Indeterminate, OutOfBoundsNoPoe),
        ("{subject} expired at {not_after}"),
        ("{subject} 已于 {not_after} 过期");
    Reason::CertificateNotYetValid { subject, not_before } => "CERTIFICATE_NOT_YET_VALID",
        (TotalFailed, NotYetValid),
        ("{subject} is not valid before {not_before}"),
        ("{subject} 在 {not_before} 之前尚未生效");
    Reason::CertificateRevoked { subject, serial, revoked_at, reason, ca } =>
        "CERTIFICATE_REVOKED",
        if *ca { (Indeterminate, RevokedCaNoPoe) } else { (TotalFailed, Revoked) },
        (
            "{subject} (serial {serial}) was revoked at {revoked_at}{}",
            parenthesised(reason, " (", ")")
        ),
        (
            "{subject}（序列号 {serial}）已于 {revoked_at} 被吊销{}",
            parenthesised(reason, "（", "）")
        );
    Reason::CertificateOnHold { subject, serial } => "CERTIFICATE_ON_HOLD",
        (Indeterminate, TryLater),
        ("{subject} (serial {serial}) is on hold"),
        ("{subject}（序列号 {serial}）已被冻结");
    Reason::RevocationUnknown { subject, detail } => "REVOCATION_UNKNOWN",
        (Indeterminate, TryLater),
        ("revocation status of {subject} unknown: {detail}"),
        ("无法确定 {subject} 的吊销状态：{detail}");
    Reason::UsageNotAllowed { subject, required } => "USAGE_NOT_ALLOWED",
        (Indeterminate, ChainConstraintsFailure),
        ("{subject} is not allowed for this use: {required} required"),
        ("{subject} 不允许用于此用途：需要 {required}");
    Reason::ChainConstraint(d) => "CHAIN_CONSTRAINT", (Indeterminate, ChainConstraintsFailure),
        ("chain constraint violated: {d}"),
        ("违反证书链约束：{d}");
    Reason::BadCrl(d) => "BAD_CRL", (Indeterminate, CertificateChainGeneralFailure),
        ("unusable CRL: {d}"),
        ("证书吊销列表不可用：{d}");
    Reason::SealSignatureInvalid => "SEAL_SIGNATURE_INVALID", (TotalFailed, SigCryptoFailure),
        ("the seal maker's signature over the seal does not verify"),
        ("制章者对印章的签名验证失败");
    Reason::SignatureInvalid => "SIGNATURE_INVALID", (TotalFailed, SigCryptoFailure),
        ("the signer's signature does not verify"),
        ("签章人的签名验证失败");
    Reason::SignerNotInSealCertList => "SIGNER_NOT_IN_SEAL_CERT_LIST",
        (TotalFailed, SigConstraintsFailure),
        ("the signer's certificate is not in the seal's certificate list"),
        ("签章人的证书不在印章的证书列表中");
    Reason::SealExpired { valid_end } => "SEAL_EXPIRED", (Indeterminate, OutOfBoundsNoPoe),
        ("the seal expired at {valid_end}"),
        ("印章已于 {valid_end} 过期");
    Reason::SealNotYetValid { valid_start } => "SEAL_NOT_YET_VALID", (TotalFailed, NotYetValid),
        ("the seal is not valid before {valid_start}"),
        ("印章在 {valid_start} 之前尚未生效");
    Reason::ClaimedTimeOutsideValidity { what, detail } => "CLAIMED_TIME_OUTSIDE_VALIDITY",
        (Indeterminate, SigConstraintsFailure),
        ("the claimed {what} lies outside {detail}"),
        ("声称的 {what} 不在 {detail} 之内");
    Reason::TimestampInvalid { what, detail } => "TIMESTAMP_INVALID",
        (Indeterminate, SigConstraintsFailure),
        ("the {what} timestamp is not usable: {detail}"),
        ("{what} 时间戳不可用：{detail}");
    Reason::UnknownCriticalExtension { oid } => "UNKNOWN_CRITICAL_EXTENSION",
        (Indeterminate, SigConstraintsFailure),
        ("unknown critical extension {oid}"),
        ("未知的关键扩展 {oid}");
    Reason::DataHashMismatch => "DATA_HASH_MISMATCH", (TotalFailed, HashFailure),
        ("the data's hash differs from the signed dataHash"),
        ("数据的杂凑值与签名中的 dataHash 不一致");
    Reason::DataNotChecked => "DATA_NOT_CHECKED", (Indeterminate, SignedDataNotFound),
        ("no signed data was given; its hash was not checked"),
        ("未提供被签名的数据，未核验其杂凑值");
    Reason::SignatureDictMalformed(d) => "SIGNATURE_DICT_MALFORMED", (TotalFailed, FormatFailure),
        ("malformed signature dictionary: {d}"),
        ("签名字典格式不正确：{d}");
    Reason::UnsupportedSubFilter(d) => "UNSUPPORTED_SUB_FILTER", (Indeterminate, FormatFailure),
        ("unsupported /SubFilter {d}"),
        ("不支持的 /SubFilter {d}");
    Reason::ByteRangeInvalid(d) => "BYTE_RANGE_INVALID", (TotalFailed, FormatFailure),
        ("/ByteRange does not cover the file: {d}"),
        ("/ByteRange 未按要求覆盖文件：{d}");
    Reason::CmsMalformed(d) => "CMS_MALFORMED", (TotalFailed, FormatFailure),
        ("malformed CMS signature: {d}"),
        ("CMS 签名格式不正确：{d}");
    Reason::NoSigningCertificate => "NO_SIGNING_CERTIFICATE",
        (Indeterminate, NoSigningCertificateFound),
        ("the signer's certificate is neither in the signature nor supplied"),
        ("签名中没有签名者证书，也未另行提供");
    Reason::WeakAlgorithm(d) => "WEAK_ALGORITHM", (Indeterminate, CryptoConstraintsFailure),
        ("algorithm too weak: {d}"),
        ("算法强度不足：{d}");
    Reason::DigestMismatch => "DIGEST_MISMATCH", (TotalFailed, HashFailure),
        ("the signed bytes' digest differs from the signed message-digest"),
        ("被签名字节的摘要与签名中的 message-digest 不一致");
    Reason::MissingSigningCertificateAttr => "MISSING_SIGNING_CERTIFICATE_ATTR",
        (Indeterminate, SigConstraintsFailure),
        ("the signingCertificateV2 attribute PAdES requires is missing"),
        ("缺少 PAdES 要求的 signingCertificateV2 属性");
    Reason::SigningCertificateMismatch => "SIGNING_CERTIFICATE_MISMATCH",
        (Indeterminate, NoSigningCertificateFound),
        ("the signingCertificate attribute names another certificate"),
        ("signingCertificate 属性指向另一张证书");
    Reason::DisallowedModification { revision, objects } => "DISALLOWED_MODIFICATION",
        (TotalFailed, FormatFailure),
        (
            "revision {revision} made changes the signature does not allow: {}",
            objects.join("; ")
        ),
        ("第 {revision} 个修订版本做了签名不允许的修改：{}", objects.join("; "));
    Reason::TrailingData => "TRAILING_DATA", (TotalFailed, FormatFailure),
        ("data follows the last %%EOF"),
        ("最后一个 %%EOF 之后还有数据");
    Reason::CertificateExpiredBeforePoe { subject, not_after, poe } =>
        "CERTIFICATE_EXPIRED_BEFORE_POE",
        (TotalFailed, Expired),
        ("{subject} expired at {not_after}, before the signature's proof of existence at {poe}"),
        ("{subject} 已于 {not_after} 过期，早于签名的存在性证明时间 {poe}");
    Reason::LicenceFormat { stage, detail } => "LICENCE_FORMAT", (TotalFailed, FormatFailure),
        ("{stage}: {detail}"),
        ("证照二维码在 {stage} 阶段解码失败：{detail}");
    Reason::UnknownSigner { kid } => "UNKNOWN_SIGNER", (Indeterminate, NoSigningCertificateFound),
        ("no trust-list key has the licence's kid {kid}"),
        ("信任列表中没有与证照 kid {kid} 对应的密钥");
    Reason::KeyRevoked { office, revoked_at } => "KEY_REVOKED", (TotalFailed, Revoked),
        ("the signing key of {office} was revoked at {revoked_at}"),
        ("{office} 的签名密钥已于 {revoked_at} 被吊销");
    Reason::Binding(d) => "BINDING", (TotalFailed, SigConstraintsFailure),
        ("BINDING: {d}"),
        ("证照与签发机关或时间不符（BINDING）：{d}");
    Reason::NotYetValid { not_before } => "NOT_YET_VALID", (Indeterminate, NotYetValid),
        ("the licence is not in force before {not_before}"),
        ("证照在 {not_before} 之前尚未生效");
    Reason::Expired { expires } => "EXPIRED", (TotalFailed, Expired),
        ("the licence expired at {expires}"),
        ("证照已于 {expires} 到期");
    Reason::LicenceRevoked { uri, index } => "LICENCE_REVOKED", (TotalFailed, Revoked),
        ("revoked: entry {index} of {uri} is INVALID"),
        ("已吊销：{uri} 第 {index} 项为 INVALID");
    Reason::LicenceSuspended { uri, index } => "LICENCE_SUSPENDED", (Indeterminate, TryLater),
        ("suspended: entry {index} of {uri} is SUSPENDED"),
        ("已暂停：{uri} 第 {index} 项为 SUSPENDED");
    Reason::LicenceTransferred { uri, index } => "LICENCE_TRANSFERRED", (Indeterminate, TryLater),
        ("transferred: entry {index} of {uri} is TRANSFERRED"),
        ("已转移：{uri} 第 {index} 项为 TRANSFERRED");
    Reason::StatusUnknown { uri, index, detail } => "STATUS_UNKNOWN", (Indeterminate, TryLater),
        ("status unknown: {detail} for {uri} (entry {index})"),
        ("状态未知：{uri}（第 {index} 项）{detail}");
    Reason::TrustListStale { expired_at } => "TRUST_LIST_STALE", (Indeterminate, TryLater),
        ("the trust list expired at {expired_at}"),
        ("信任列表已于 {expired_at} 过期");
    Reason::TrustListInvalid(d) => "TRUST_LIST_INVALID", (Indeterminate, NoCertificateChainFound),
        ("unusable trust list: {d}"),
        ("信任列表不可用：{d}");
    Reason::ReferencedFileMissing { path } => "REFERENCED_FILE_MISSING", (TotalFailed, HashFailure),
        ("{path} is referenced by the signature but not in the package"),
        ("签名引用的 {path} 不在文件包中");
    Reason::ReferenceDigestMismatch { path } => "REFERENCE_DIGEST_MISMATCH",
        (TotalFailed, HashFailure),
        ("{path} differs from the digest the signature holds for it"),
        ("{path} 与签名中为它记录的摘要不一致");
    Reason::UnsupportedDigest { method } => "UNSUPPORTED_DIGEST",
        (Indeterminate, CryptoConstraintsFailure),
        ("CheckMethod {method} is unknown or too weak"),
        ("CheckMethod {method} 未知或强度不足");
    Reason::SealFileMismatch => "SEAL_FILE_MISMATCH", (TotalFailed, FormatFailure),
        ("Seal.esl differs from the seal inside SignedValue.dat"),
        ("Seal.esl 与 SignedValue.dat 中的印章不一致");
    Reason::UnprotectedFile { path } => "UNPROTECTED_FILE", (Indeterminate, SigConstraintsFailure),
        ("{path} is in the package but not protected by the signature"),
        ("{path} 在文件包中，但不受签名保护");
    Reason::StampPageMissing { id } => "STAMP_PAGE_MISSING", (TotalFailed, FormatFailure),
        ("StampAnnot {id} refers to a page Document.xml does not have"),
        ("StampAnnot {id} 指向 Document.xml 中不存在的页面");
    Reason::Sm2IdMismatch { subject, expected } => "SM2_ID_MISMATCH",
        (TotalFailed, SigCryptoFailure),
        (
            "the SM2 signature of {subject} verifies only with another distinguishing ID \
             (made without `distid:{expected}`, e.g. OpenSSL's empty default); sign again \
             with the standard ID"
        ),
        (
            "{subject} 的 SM2 签名只能用另一个用户标识验证（签名时未用 `distid:{expected}`，\
             例如 OpenSSL 默认的空标识）；请用标准标识重新签名"
        );
    Reason::AnnotationOverContent { revision, annotations } => "ANNOTATION_OVER_CONTENT",
        (Indeterminate, SigConstraintsFailure),
        (
            "revision {revision} added annotations that can cover the signed page content; \
             look at them before relying on the page: {}",
            annotations.join("; ")
        ),
        (
            "第 {revision} 个修订版本添加了可能遮盖已签名页面内容的注释；\
             信赖该页面之前请先查看：{}",
            annotations.join("; ")
        );
    Reason::UnreadableRevision { revision, detail } => "UNREADABLE_REVISION",
        (TotalFailed, FormatFailure),
        (
            "revision {revision} and any after it cannot be read, so what they changed \
             is unknown: {detail}"
        ),
        ("第 {revision} 个及其后的修订版本无法读取，其修改内容未知：{detail}");
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

/// The version of the JSON report's shape: the `schema_version` of every [`Report`], and
/// the version `schema/report.schema.json` describes. It grows when a field's meaning
/// changes or one is removed; new fields and new enum values keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// A point in time as reports give it: Unix seconds and the UTC offset it was stated in
/// (zero unless the source gave another, as a PDF `/M` date may). Shown and serialised as
/// RFC 3339, e.g. `2026-11-23T14:00:00Z`; a time outside years 0000–9999 as `@` and its
/// Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time {
    unix: i64,
    offset: i32,
}

impl Time {
    /// The time `unix` seconds after the Unix epoch (negative before it), in UTC.
    pub fn from_unix(unix: i64) -> Self {
        Time { unix, offset: 0 }
    }

    /// The time `unix` seconds after the Unix epoch, stated at a UTC offset of
    /// `offset_seconds` (kept when it is within ±24 h, else UTC).
    pub fn from_unix_at_offset(unix: i64, offset_seconds: i32) -> Self {
        let offset = if time::UtcOffset::from_whole_seconds(offset_seconds).is_ok() {
            offset_seconds
        } else {
            0
        };
        Time { unix, offset }
    }

    /// Parses RFC 3339 text, keeping its offset.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()?;
        Some(Time::from_unix_at_offset(
            t.unix_timestamp(),
            t.offset().whole_seconds(),
        ))
    }

    /// Seconds since the Unix epoch (negative before it).
    pub fn unix_seconds(self) -> i64 {
        self.unix
    }

    /// The UTC offset the time was stated in, in seconds.
    pub fn offset_seconds(self) -> i32 {
        self.offset
    }

    /// The same instant as a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        crate::pki::system_time(self.unix)
    }

    fn formatted(self) -> Option<String> {
        let offset = time::UtcOffset::from_whole_seconds(self.offset).ok()?;
        time::OffsetDateTime::from_unix_timestamp(self.unix)
            .ok()?
            .to_offset(offset)
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    }
}

impl From<SystemTime> for Time {
    fn from(t: SystemTime) -> Self {
        Time::from_unix(crate::pki::unix_seconds(t))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.formatted() {
            Some(text) => f.write_str(&text),
            None => write!(f, "@{}", self.unix),
        }
    }
}

impl Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The names of an enum's values as the JSON report writes them: `as_str`, `Display`
/// and comparison with text.
macro_rules! named {
    ($name:ident { $($variant:ident => $text:literal,)+ }) => {
        impl $name {
            /// The name the JSON report writes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

/// What a report entry verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ReportKind {
    /// A certificate and its chain (`eseal verify` of a certificate).
    Certificate,
    /// A licence QR (LICENCE.md §3).
    Licence,
    /// An RFC 3161 timestamp token.
    Timestamp,
    /// A GB/T 38540 seal (the maker's signature over it).
    Seal,
    /// A GB/T 38540 signature (the signer's signature with a seal).
    SealSignature,
    /// A PDF signature (PAdES or PKCS#7 detached).
    PdfSignature,
    /// A PDF document timestamp (`/DocTimeStamp`).
    PdfDocumentTimestamp,
    /// An OFD `Type="Sign"` signature (SES-OFD.md §6).
    OfdSignature,
    /// An OFD `Type="Seal"` e-seal signature (SES-OFD.md §6).
    OfdSealSignature,
}

named!(ReportKind {
    Certificate => "certificate",
    Licence => "licence",
    Timestamp => "timestamp",
    Seal => "seal",
    SealSignature => "seal-signature",
    PdfSignature => "pdf-signature",
    PdfDocumentTimestamp => "pdf-document-timestamp",
    OfdSignature => "ofd-signature",
    OfdSealSignature => "ofd-seal-signature",
});

/// How much of a document a signature covers (PDF.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Coverage {
    /// Every byte of the file but the signature value.
    EntireFile,
    /// Every byte of the revision it signs; later revisions follow.
    EntireRevision,
}

named!(Coverage {
    EntireFile => "ENTIRE_FILE",
    EntireRevision => "ENTIRE_REVISION",
});

/// How far a change after signing goes, in pyHanko's order (`ModificationLevel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ModificationLevel {
    /// Nothing changed.
    #[serde(rename = "NONE")]
    NoChange,
    /// Validation data and document timestamps (DSS, `/DocTimeStamp`).
    LtaUpdates,
    /// Form filling and signing.
    FormFilling,
    /// Adding, changing or removing annotations.
    Annotations,
    /// Anything else: never allowed after a signature.
    Other,
}

named!(ModificationLevel {
    NoChange => "NONE",
    LtaUpdates => "LTA_UPDATES",
    FormFilling => "FORM_FILLING",
    Annotations => "ANNOTATIONS",
    Other => "OTHER",
});

/// Where a report's signing time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum TimeSource {
    /// The signer's (or the TSA's, for a token that does not verify) word.
    #[serde(rename = "claimed")]
    Claimed,
    /// A verified signature timestamp (ETSI EN 319 122-1 `signature-time-stamp`).
    #[serde(rename = "signature timestamp")]
    SignatureTimestamp,
    /// A verified PDF document timestamp.
    #[serde(rename = "document timestamp")]
    DocumentTimestamp,
    /// A verified RFC 3161 token's own `genTime`.
    #[serde(rename = "timestamp")]
    Timestamp,
}

named!(TimeSource {
    Claimed => "claimed",
    SignatureTimestamp => "signature timestamp",
    DocumentTimestamp => "document timestamp",
    Timestamp => "timestamp",
});

/// What revocation checking concluded, worst finding first in this order: revoked, on
/// hold, suspended, transferred, unknown, not checked, good.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Nothing was looked up (no CRL, OCSP response or status list given, or skipped).
    #[default]
    NotChecked,
    /// Every certificate (or the licence) is good at the validation time.
    Good,
    /// The status of a certificate (or the licence) could not be established.
    Unknown,
    /// The licence is transferred (LICENCE.md §5).
    Transferred,
    /// The licence is suspended (LICENCE.md §5).
    Suspended,
    /// A certificate is on hold (`certificateHold`).
    OnHold,
    /// A certificate (or the licence) is revoked.
    Revoked,
}

named!(RevocationStatus {
    NotChecked => "NOT_CHECKED",
    Good => "GOOD",
    Unknown => "UNKNOWN",
    Transferred => "TRANSFERRED",
    Suspended => "SUSPENDED",
    OnHold => "ON_HOLD",
    Revoked => "REVOKED",
});

impl RevocationStatus {
    /// The worse of two statuses, for a chain whose certificates each have one.
    pub fn worse(self, other: RevocationStatus) -> RevocationStatus {
        let rank = |s: RevocationStatus| match s {
            RevocationStatus::Good => 0,
            RevocationStatus::NotChecked => 1,
            RevocationStatus::Unknown => 2,
            RevocationStatus::Transferred => 3,
            RevocationStatus::Suspended => 4,
            RevocationStatus::OnHold => 5,
            RevocationStatus::Revoked => 6,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// What revocation checking found: the status, and the findings in words (what the JSON
/// report's `revocation` holds, e.g. `CN=leaf: good (CRL of CN=ca, …)`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revocation {
    /// The conclusion.
    pub status: RevocationStatus,
    /// The findings in words.
    pub detail: String,
}

impl Revocation {
    /// A finding of `status` described by `detail`.
    pub fn new(status: RevocationStatus, detail: impl Into<String>) -> Self {
        Revocation {
            status,
            detail: detail.into(),
        }
    }

    /// Nothing was looked up: `not checked`.
    pub fn not_checked() -> Self {
        Revocation::new(RevocationStatus::NotChecked, "not checked")
    }
}

impl Default for Revocation {
    fn default() -> Self {
        Revocation::not_checked()
    }
}

impl fmt::Display for Revocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl PartialEq<&str> for Revocation {
    fn eq(&self, other: &&str) -> bool {
        self.detail == *other
    }
}

impl Serialize for Revocation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.detail)
    }
}

/// One certificate of a validated chain, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CertificateSummary {
    /// Subject DN (RFC 4514).
    pub subject: String,
    /// Issuer DN (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// `notBefore`.
    pub not_before: Time,
    /// `notAfter`.
    pub not_after: Time,
    /// SHA-256 of the DER certificate, hex.
    pub sha256: String,
}

impl CertificateSummary {
    /// The summary of a certificate from its parts.
    pub fn new(
        subject: String,
        issuer: String,
        serial: String,
        validity: (Time, Time),
        sha256: String,
    ) -> Self {
        CertificateSummary {
            subject,
            issuer,
            serial,
            not_before: validity.0,
            not_after: validity.1,
            sha256,
        }
    }
}

/// The result for one signature (or one certificate) in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SignatureReport {
    /// What was verified.
    pub kind: ReportKind,
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
    /// The claimed or trusted signing time.
    pub signing_time: Option<Time>,
    /// Where the signing time comes from.
    pub signing_time_source: Option<TimeSource>,
    /// The validated chain, leaf first, anchor last.
    pub chain: Vec<CertificateSummary>,
    /// What revocation checking found (serialised as its words).
    pub revocation: Revocation,
    /// For documents: the signature field's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For documents: how much the signature covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// For documents: the highest level of change after signing.
    pub modification: Option<ModificationLevel>,
    /// For documents: every change after signing, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// Things that did not change the verdict but that a person should know.
    pub warnings: Vec<String>,
}

impl SignatureReport {
    /// A report of `kind` whose verdict follows from `reasons` (TOTAL-PASSED when empty).
    pub fn new(kind: ReportKind, mut reasons: Vec<Reason>) -> Self {
        reasons.sort_by_key(|r| std::cmp::Reverse(r.verdict().0));
        let (indication, sub_indication) = match reasons.first() {
            Some(r) => {
                let (i, s) = r.verdict();
                (i, Some(s))
            }
            None => (Indication::TotalPassed, None),
        };
        SignatureReport {
            kind,
            indication,
            sub_indication,
            reasons,
            signer: None,
            seal: None,
            signing_time: None,
            signing_time_source: None,
            chain: Vec::new(),
            revocation: Revocation::not_checked(),
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
#[non_exhaustive]
pub struct Report {
    /// The version of the JSON shape, [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The time the verification was run as of.
    pub validation_time: Time,
    /// One entry per signature or certificate found.
    pub signatures: Vec<SignatureReport>,
    /// For a licence QR that decoded: the fields a person reads, in order (identifier,
    /// name, holder, number, then the surface fields under their template's labels).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<LicenceField>,
}

/// One field of a verified licence as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LicenceField {
    /// The label: the template's (e.g. 法定代表人), or `identifier`, `name`, `holder`,
    /// `number` for the fields every licence has, or the surface key when the trust list
    /// publishes no template for the type.
    pub label: String,
    /// The value as the licence states it.
    pub value: String,
}

impl LicenceField {
    /// The field `label` with `value`.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        LicenceField {
            label: label.into(),
            value: value.into(),
        }
    }
}

impl Report {
    /// The report of a run as of `validation_time` that found `signatures`.
    pub fn new(validation_time: impl Into<Time>, signatures: Vec<SignatureReport>) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            validation_time: validation_time.into(),
            signatures,
            fields: Vec::new(),
        }
    }

    /// The worst indication of all entries; `None` when nothing signed was found.
    pub fn indication(&self) -> Option<Indication> {
        self.signatures.iter().map(|s| s.indication).max()
    }

    /// The `eseal verify` exit code: 0, 1 or 2 by [`Report::indication`], 3 when empty.
    pub fn exit_code(&self) -> i32 {
        self.indication().map_or(3, Indication::exit_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_is_described_once_in_both_languages() {
        let revoked = |reason: Option<&str>, ca| Reason::CertificateRevoked {
            subject: "CN=leaf".into(),
            serial: "0a".into(),
            revoked_at: Time::parse_rfc3339("2026-01-02T03:04:05Z").unwrap(),
            reason: reason.map(Into::into),
            ca,
        };
        let d = revoked(Some("keyCompromise"), false).describe();
        assert_eq!(d.code, "CERTIFICATE_REVOKED");
        assert_eq!(
            (d.indication, d.sub_indication),
            (Indication::TotalFailed, SubIndication::Revoked)
        );
        assert_eq!(
            d.message,
            "CN=leaf (serial 0a) was revoked at 2026-01-02T03:04:05Z (keyCompromise)"
        );
        assert_eq!(
            d.message_zh,
            "CN=leaf（序列号 0a）已于 2026-01-02T03:04:05Z 被吊销（keyCompromise）"
        );
        let ca = revoked(None, true);
        assert_eq!(
            ca.verdict(),
            (Indication::Indeterminate, SubIndication::RevokedCaNoPoe)
        );
        assert_eq!(
            ca.to_string(),
            "CN=leaf (serial 0a) was revoked at 2026-01-02T03:04:05Z"
        );
        assert_eq!(
            Reason::TrailingData.to_string(),
            "data follows the last %%EOF"
        );
        let sm2 = Reason::Sm2IdMismatch {
            subject: "CN=s".into(),
            expected: "1234567812345678".into(),
        };
        assert_eq!(
            sm2.to_string(),
            "the SM2 signature of CN=s verifies only with another distinguishing ID (made \
             without `distid:1234567812345678`, e.g. OpenSSL's empty default); sign again with \
             the standard ID"
        );
        assert_eq!(sm2.code(), "SM2_ID_MISMATCH");
        let modified = Reason::DisallowedModification {
            revision: 3,
            objects: vec!["object 7 0 (page content)".into(), "object 9 0".into()],
        };
        assert_eq!(
            modified.to_string(),
            "revision 3 made changes the signature does not allow: \
             object 7 0 (page content); object 9 0"
        );
        assert_eq!(
            modified.message_zh(),
            "第 3 个修订版本做了签名不允许的修改：object 7 0 (page content); object 9 0"
        );
        let json = serde_json::to_value(&modified).unwrap();
        assert_eq!(json["code"], "DISALLOWED_MODIFICATION");
        assert_eq!(json["message"], modified.to_string().as_str());
    }
}
