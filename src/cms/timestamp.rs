//! The Time-Stamp Protocol of RFC 3161 (with the ESS update of RFC 5816): requests,
//! responses and the `TimeStampToken`s that prove data existed at a time.
//!
//! - [`TimestampRequest`] is a `TimeStampReq` (clause 2.4.1), written by a client and read
//!   by an authority (`tsa::Authority`, feature `tsa-server`).
//! - [`token_from_response`] reads a `TimeStampResp` (clause 2.4.2) and checks that its
//!   token answers the request.
//! - [`TimestampToken`] is a `TimeStampToken` (clause 2.4.2): a CMS `ContentInfo` holding a
//!   `SignedData` whose `eContent` is a DER [`TstInfo`]; [`TimestampToken::verify`] checks
//!   it as proof of existence (PDF.md §2 check 9, SES-OFD.md S9/G8).
//!
//! Integers that RFC 3161 defines as "large random numbers" or serial numbers (the nonce,
//! `serialNumber`) are carried as unsigned big-endian bytes; leading zero bytes are not
//! significant and are never compared.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::asn1::{
    AnyRef, BitStringRef, GeneralizedTime, IntRef, ObjectIdentifier, OctetStringRef, Utf8StringRef,
};
use der::{Decode, Encode, Sequence, Tag, TagNumber, Tagged};
use spki::AlgorithmIdentifierRef;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;

use super::digest::DigestAlgorithm;
use super::signed_data::SignedData;
use crate::error::{Error, Result};
use crate::pki::{Certificate, ChainValidation, TrustStore, Usage, rfc3339, unix_seconds};
use crate::report::Reason;

/// `id-ct-TSTInfo` (1.2.840.113549.1.9.16.1.4, RFC 3161 clause 2.4.2): the
/// `eContentType` of a `TimeStampToken`.
pub const OID_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";

/// The largest `TimeStampResp`, `TimeStampReq` or token eseal reads (1 MiB): a token with
/// a long certificate chain is a few KiB.
pub const MAX_TIMESTAMP_SIZE: usize = 1 << 20;

// ---------------------------------------------------------------------------------------
// ASN.1 (RFC 3161 appendix C, "PKIXTSP", IMPLICIT TAGS)
// ---------------------------------------------------------------------------------------

/// ```text
/// MessageImprint ::= SEQUENCE {
///   hashAlgorithm AlgorithmIdentifier,
///   hashedMessage OCTET STRING }
/// ```
/// (RFC 3161 clause 2.4.1)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct MessageImprintAsn1<'a> {
    pub hash_algorithm: AlgorithmIdentifierRef<'a>,
    pub hashed_message: &'a OctetStringRef,
}

/// ```text
/// TimeStampReq ::= SEQUENCE {
///   version        INTEGER { v1(1) },
///   messageImprint MessageImprint,
///   reqPolicy      TSAPolicyId              OPTIONAL,
///   nonce          INTEGER                  OPTIONAL,
///   certReq        BOOLEAN                  DEFAULT FALSE,
///   extensions     [0] IMPLICIT Extensions  OPTIONAL }
/// TSAPolicyId ::= OBJECT IDENTIFIER
/// ```
/// (RFC 3161 clause 2.4.1)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct TimeStampReqAsn1<'a> {
    pub version: u8,
    pub message_imprint: MessageImprintAsn1<'a>,
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub nonce: Option<IntRef<'a>>,
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub extensions: Option<Vec<Extension>>,
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///   status       PKIStatus,
///   statusString PKIFreeText     OPTIONAL,
///   failInfo     PKIFailureInfo  OPTIONAL }
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
/// (RFC 3161 clause 2.4.2, from RFC 2510)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct PkiStatusInfoAsn1<'a> {
    pub status: u8,
    #[asn1(optional = "true")]
    pub status_string: Option<Vec<Utf8StringRef<'a>>>,
    #[asn1(optional = "true")]
    pub fail_info: Option<BitStringRef<'a>>,
}

/// ```text
/// TimeStampResp ::= SEQUENCE {
///   status         PKIStatusInfo,
///   timeStampToken TimeStampToken OPTIONAL }
/// TimeStampToken ::= ContentInfo
/// ```
/// (RFC 3161 clause 2.4.2)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct TimeStampRespAsn1<'a> {
    pub status: PkiStatusInfoAsn1<'a>,
    #[asn1(optional = "true")]
    pub time_stamp_token: Option<AnyRef<'a>>,
}

/// ```text
/// Accuracy ::= SEQUENCE {
///   seconds     INTEGER           OPTIONAL,
///   millis  [0] INTEGER (1..999)  OPTIONAL,
///   micros  [1] INTEGER (1..999)  OPTIONAL }
/// ```
/// (RFC 3161 clause 2.4.2)
#[derive(Clone, Debug, Default, Sequence)]
pub(crate) struct AccuracyAsn1 {
    #[asn1(optional = "true")]
    pub seconds: Option<u64>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// ```text
/// TSTInfo ::= SEQUENCE {
///   version        INTEGER { v1(1) },
///   policy         TSAPolicyId,
///   messageImprint MessageImprint,
///   serialNumber   INTEGER,
///   genTime        GeneralizedTime,
///   accuracy       Accuracy                 OPTIONAL,
///   ordering       BOOLEAN                  DEFAULT FALSE,
///   nonce          INTEGER                  OPTIONAL,
///   tsa            [0] GeneralName          OPTIONAL,
///   extensions     [1] IMPLICIT Extensions  OPTIONAL }
/// ```
/// (RFC 3161 clause 2.4.2). `tsa` is explicitly tagged: `GeneralName` is a CHOICE.
/// `genTime` is kept as read: RFC 3161 allows fractions of a second, which strict DER
/// `GeneralizedTime` decoders refuse.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct TstInfoAsn1<'a> {
    pub version: u8,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprintAsn1<'a>,
    pub serial_number: IntRef<'a>,
    pub gen_time: AnyRef<'a>,
    #[asn1(optional = "true")]
    pub accuracy: Option<AccuracyAsn1>,
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    #[asn1(optional = "true")]
    pub nonce: Option<IntRef<'a>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<AnyRef<'a>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub extensions: Option<Vec<Extension>>,
}

/// The `GeneralName` tag of `directoryName [4]` (explicit: `Name` is a CHOICE).
#[cfg_attr(not(feature = "tsa-server"), allow(dead_code))]
pub(crate) const DIRECTORY_NAME: Tag = Tag::ContextSpecific {
    constructed: true,
    number: TagNumber(4),
};

// ---------------------------------------------------------------------------------------
// PKIStatus and PKIFailureInfo
// ---------------------------------------------------------------------------------------

/// `PKIStatus` (RFC 3161 clause 2.4.2): the name of a status value.
pub fn pki_status_name(status: u8) -> &'static str {
    match status {
        0 => "granted",
        1 => "grantedWithMods",
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => "unknown",
    }
}

/// The bits of `PKIFailureInfo` (RFC 3161 clause 2.4.2):
///
/// ```text
/// PKIFailureInfo ::= BIT STRING {
///   badAlg (0), badRequest (2), badDataFormat (5), timeNotAvailable (14),
///   unacceptedPolicy (15), unacceptedExtension (16), addInfoNotAvailable (17),
///   systemFailure (25) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureInfo {
    /// `badAlg` (0): unrecognized or unsupported algorithm identifier.
    BadAlg,
    /// `badRequest` (2): transaction not permitted or supported.
    BadRequest,
    /// `badDataFormat` (5): the data submitted has the wrong format.
    BadDataFormat,
    /// `timeNotAvailable` (14): the TSA's time source is not available.
    TimeNotAvailable,
    /// `unacceptedPolicy` (15): the requested TSA policy is not supported.
    UnacceptedPolicy,
    /// `unacceptedExtension` (16): the requested extension is not supported.
    UnacceptedExtension,
    /// `addInfoNotAvailable` (17): the additional information requested is not available.
    AddInfoNotAvailable,
    /// `systemFailure` (25): the request cannot be handled due to system failure.
    SystemFailure,
}

impl FailureInfo {
    /// Every named bit, in bit order.
    pub const ALL: [FailureInfo; 8] = [
        FailureInfo::BadAlg,
        FailureInfo::BadRequest,
        FailureInfo::BadDataFormat,
        FailureInfo::TimeNotAvailable,
        FailureInfo::UnacceptedPolicy,
        FailureInfo::UnacceptedExtension,
        FailureInfo::AddInfoNotAvailable,
        FailureInfo::SystemFailure,
    ];

    /// The bit number.
    pub fn bit(self) -> usize {
        match self {
            FailureInfo::BadAlg => 0,
            FailureInfo::BadRequest => 2,
            FailureInfo::BadDataFormat => 5,
            FailureInfo::TimeNotAvailable => 14,
            FailureInfo::UnacceptedPolicy => 15,
            FailureInfo::UnacceptedExtension => 16,
            FailureInfo::AddInfoNotAvailable => 17,
            FailureInfo::SystemFailure => 25,
        }
    }

    /// The ASN.1 name, e.g. `badAlg`.
    pub fn name(self) -> &'static str {
        match self {
            FailureInfo::BadAlg => "badAlg",
            FailureInfo::BadRequest => "badRequest",
            FailureInfo::BadDataFormat => "badDataFormat",
            FailureInfo::TimeNotAvailable => "timeNotAvailable",
            FailureInfo::UnacceptedPolicy => "unacceptedPolicy",
            FailureInfo::UnacceptedExtension => "unacceptedExtension",
            FailureInfo::AddInfoNotAvailable => "addInfoNotAvailable",
            FailureInfo::SystemFailure => "systemFailure",
        }
    }

    /// The DER named-bit `BIT STRING` contents with only this bit set: the bytes up to
    /// the bit and the count of unused trailing bits (X.690 clause 11.2.2).
    #[cfg_attr(not(feature = "tsa-server"), allow(dead_code))]
    pub(crate) fn bit_string(self) -> (u8, Vec<u8>) {
        let bit = self.bit();
        let mut bytes = vec![0u8; bit / 8 + 1];
        bytes[bit / 8] = 0x80 >> (bit % 8);
        (7 - (bit % 8) as u8, bytes)
    }

    /// The names of the bits set in a `PKIFailureInfo`, unknown ones as `bit N`.
    fn names(bits: &BitStringRef<'_>) -> Vec<String> {
        bits.bits()
            .enumerate()
            .filter(|(_, set)| *set)
            .map(|(i, _)| {
                FailureInfo::ALL
                    .iter()
                    .find(|f| f.bit() == i)
                    .map_or_else(|| format!("bit {i}"), |f| f.name().to_string())
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn malformed(what: &'static str) -> impl Fn(der::Error) -> Error {
    move |e| Error::malformed(what, e)
}

/// The unsigned big-endian bytes without leading zeros.
fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Whether two unsigned big-endian integers are equal.
fn same_integer(a: &[u8], b: &[u8]) -> bool {
    strip_zeros(a) == strip_zeros(b)
}

/// The content octets of the DER `INTEGER` of an unsigned big-endian value: minimal, with
/// a leading zero when the top bit is set.
pub(crate) fn positive_integer(magnitude: &[u8]) -> Vec<u8> {
    let digits = strip_zeros(magnitude);
    let mut out = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|&b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

/// An `INTEGER` read as an unsigned value; `what` names it in the error.
/// A nonce's bytes: any INTEGER, negative ones included (some TSAs and clients write them;
/// only equality with the request's matters).
fn nonce_bytes(int: &IntRef<'_>) -> Vec<u8> {
    let bytes = int.as_bytes();
    if bytes.first().is_some_and(|&b| b & 0x80 != 0) {
        bytes.to_vec()
    } else {
        strip_zeros(bytes).to_vec()
    }
}

fn unsigned(int: &IntRef<'_>, structure: &'static str, what: &str) -> Result<Vec<u8>> {
    let bytes = int.as_bytes();
    if bytes.first().is_some_and(|&b| b & 0x80 != 0) {
        return Err(Error::malformed(structure, format!("{what} is negative")));
    }
    Ok(strip_zeros(bytes).to_vec())
}

/// The digest algorithm of a `MessageImprint`: parameters absent or NULL (RFC 5754 clause
/// 2; OpenSSL writes NULL).
fn imprint_algorithm(
    alg: &AlgorithmIdentifierRef<'_>,
) -> std::result::Result<DigestAlgorithm, String> {
    let oid = alg.oid.to_string();
    if alg.parameters.is_some_and(|p| p.tag() != Tag::Null) {
        return Err(format!("hash algorithm {oid} with parameters"));
    }
    DigestAlgorithm::from_oid(&oid).ok_or_else(|| format!("unknown hash algorithm {oid}"))
}

/// `GeneralizedTime` as RFC 3161 clause 2.4.2 writes `genTime`: `YYYYMMDDhhmmss[.s+]Z`.
fn parse_gen_time(any: &AnyRef<'_>) -> std::result::Result<SystemTime, String> {
    if any.tag() != Tag::GeneralizedTime {
        return Err(format!("genTime is a {}, not a GeneralizedTime", any.tag()));
    }
    let text = std::str::from_utf8(any.value()).map_err(|_| "genTime is not ASCII")?;
    let text = text
        .strip_suffix('Z')
        .ok_or("genTime is not in UTC (no trailing Z)")?;
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("genTime {text:?} is not YYYYMMDDhhmmss"));
    }
    let field = |range: std::ops::Range<usize>| whole[range].parse::<u32>().unwrap_or(0);
    let mut nanos = 0u32;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("genTime fraction {fraction:?} is not digits"));
        }
        for (i, digit) in fraction.bytes().take(9).enumerate() {
            nanos += u32::from(digit - b'0') * 10u32.pow(8 - i as u32);
        }
    }
    let bad = |e: time::error::ComponentRange| format!("genTime {text:?}: {e}");
    let month = time::Month::try_from(field(4..6) as u8).map_err(bad)?;
    let date = time::Date::from_calendar_date(field(0..4) as i32, month, field(6..8) as u8)
        .map_err(bad)?;
    let time = time::Time::from_hms_nano(
        field(8..10) as u8,
        field(10..12) as u8,
        field(12..14) as u8,
        nanos,
    )
    .map_err(bad)?;
    let stamp = time::PrimitiveDateTime::new(date, time).assume_utc();
    let seconds = stamp.unix_timestamp();
    let since_epoch = Duration::new(seconds.unsigned_abs(), stamp.nanosecond());
    Ok(if seconds >= 0 {
        UNIX_EPOCH + since_epoch
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
            + Duration::from_nanos(u64::from(stamp.nanosecond()))
    })
}

/// The DER `GeneralizedTime` of `at` to the second (RFC 3161 clause 2.4.2, X.690 clause
/// 11.7: `YYYYMMDDhhmmssZ`).
#[cfg_attr(not(feature = "tsa-server"), allow(dead_code))]
pub(crate) fn gen_time_der(at: SystemTime) -> Result<Vec<u8>> {
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::Invalid("a time before 1970".into()))?
        .as_secs();
    GeneralizedTime::from_unix_duration(Duration::from_secs(seconds))
        .and_then(|t| t.to_der())
        .map_err(|e| Error::Invalid(format!("genTime: {e}")))
}

// ---------------------------------------------------------------------------------------
// TimeStampReq
// ---------------------------------------------------------------------------------------

/// A `TimeStampReq` (RFC 3161 clause 2.4.1); see [`TimestampRequest::to_der`] for the ASN.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampRequest {
    /// `messageImprint.hashAlgorithm`.
    pub digest_algorithm: DigestAlgorithm,
    /// `messageImprint.hashedMessage`: the digest of the data to timestamp, as long as the
    /// algorithm's output.
    pub message_imprint: Vec<u8>,
    /// `reqPolicy`: the TSA policy asked for, a dotted OID.
    pub policy: Option<String>,
    /// `nonce`: an unsigned big-endian integer the token must echo (clause 2.4.1: "a large
    /// random number with a high probability that it is generated by the client only once").
    pub nonce: Option<Vec<u8>>,
    /// `certReq`: whether the TSA must include its certificate in the token.
    pub cert_req: bool,
}

impl TimestampRequest {
    /// A request for `message_imprint` (the digest of the data with `digest_algorithm`)
    /// with a random 64-bit nonce and `certReq` TRUE, no policy.
    pub fn new(digest_algorithm: DigestAlgorithm, message_imprint: Vec<u8>) -> Self {
        TimestampRequest {
            digest_algorithm,
            message_imprint,
            policy: None,
            nonce: Some(random_bytes::<8>().to_vec()),
            cert_req: true,
        }
    }

    /// The DER `TimeStampReq`:
    ///
    /// ```text
    /// TimeStampReq ::= SEQUENCE {
    ///   version        INTEGER { v1(1) },
    ///   messageImprint MessageImprint,
    ///   reqPolicy      TSAPolicyId              OPTIONAL,
    ///   nonce          INTEGER                  OPTIONAL,
    ///   certReq        BOOLEAN                  DEFAULT FALSE,
    ///   extensions     [0] IMPLICIT Extensions  OPTIONAL }
    /// MessageImprint ::= SEQUENCE {
    ///   hashAlgorithm  AlgorithmIdentifier,     -- parameters absent
    ///   hashedMessage  OCTET STRING }
    /// ```
    ///
    /// Errors when the policy is not a dotted OID or the imprint's length is not the
    /// algorithm's output length.
    pub fn to_der(&self) -> Result<Vec<u8>> {
        let err = malformed("TimeStampReq");
        if self.message_imprint.len() != self.digest_algorithm.output_len() {
            return Err(Error::Invalid(format!(
                "a {}-byte imprint for {}, which gives {} bytes",
                self.message_imprint.len(),
                self.digest_algorithm.name(),
                self.digest_algorithm.output_len()
            )));
        }
        let policy = self
            .policy
            .as_deref()
            .map(ObjectIdentifier::new)
            .transpose()
            .map_err(|e| Error::Invalid(format!("policy: {e}")))?;
        let nonce = self.nonce.as_deref().map(positive_integer);
        TimeStampReqAsn1 {
            version: 1,
            message_imprint: MessageImprintAsn1 {
                hash_algorithm: AlgorithmIdentifierRef {
                    oid: ObjectIdentifier::new(self.digest_algorithm.oid())
                        .map_err(|e| Error::malformed("TimeStampReq", e))?,
                    parameters: None,
                },
                hashed_message: OctetStringRef::new(&self.message_imprint).map_err(&err)?,
            },
            req_policy: policy,
            nonce: nonce
                .as_deref()
                .map(IntRef::new)
                .transpose()
                .map_err(&err)?,
            cert_req: self.cert_req,
            extensions: None,
        }
        .to_der()
        .map_err(err)
    }

    /// Reads a DER `TimeStampReq` (RFC 3161 clause 2.4.1): version 1, a known digest
    /// algorithm (SHA-1, SHA-2 or SM3) with an imprint of its length, a non-negative nonce.
    /// Extensions are not represented (an authority refuses them, see
    /// `tsa::Authority::respond`).
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Ok(decode_request(der)
            .map_err(RequestError::into_error)?
            .request)
    }
}

/// Why a `TimeStampReq` cannot be answered, as the `PKIFailureInfo` an authority returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RequestError {
    pub fail: FailureInfo,
    pub detail: String,
}

impl RequestError {
    fn new(fail: FailureInfo, detail: impl Into<String>) -> Self {
        RequestError {
            fail,
            detail: detail.into(),
        }
    }

    fn into_error(self) -> Error {
        match self.fail {
            FailureInfo::BadAlg => Error::UnsupportedAlgorithm(self.detail),
            _ => Error::malformed("TimeStampReq", self.detail),
        }
    }
}

/// A `TimeStampReq` as an authority needs it.
#[cfg_attr(not(feature = "tsa-server"), allow(dead_code))]
pub(crate) struct DecodedRequest {
    /// The request.
    pub request: TimestampRequest,
    /// The `MessageImprint`'s DER: the token repeats it as sent (clause 2.4.2).
    pub imprint_der: Vec<u8>,
    /// The nonce's `INTEGER` content octets as sent, to echo.
    pub nonce_der: Option<Vec<u8>>,
}

/// Reads a `TimeStampReq`, or says which failure to report.
pub(crate) fn decode_request(der: &[u8]) -> std::result::Result<DecodedRequest, RequestError> {
    if der.len() > MAX_TIMESTAMP_SIZE {
        return Err(RequestError::new(
            FailureInfo::BadDataFormat,
            "the request is too large",
        ));
    }
    let asn1 = TimeStampReqAsn1::from_der(der).map_err(|e| {
        RequestError::new(
            FailureInfo::BadDataFormat,
            format!("not a DER TimeStampReq: {e}"),
        )
    })?;
    if asn1.version != 1 {
        return Err(RequestError::new(
            FailureInfo::BadRequest,
            format!("version {}, not 1", asn1.version),
        ));
    }
    let imprint = &asn1.message_imprint;
    let algorithm = imprint_algorithm(&imprint.hash_algorithm)
        .map_err(|d| RequestError::new(FailureInfo::BadAlg, d))?;
    let digest = imprint.hashed_message.as_bytes();
    if digest.len() != algorithm.output_len() {
        return Err(RequestError::new(
            FailureInfo::BadDataFormat,
            format!(
                "a {}-byte imprint for {}, which gives {} bytes",
                digest.len(),
                algorithm.name(),
                algorithm.output_len()
            ),
        ));
    }
    let nonce = asn1.nonce.as_ref().map(nonce_bytes);
    if let Some(extensions) = asn1.extensions.as_ref().filter(|e| !e.is_empty()) {
        // Clause 2.4.1: an extension the server does not recognise, critical or not, is
        // refused with unacceptedExtension; eseal recognises none.
        let oids: Vec<String> = extensions.iter().map(|e| e.extn_id.to_string()).collect();
        return Err(RequestError::new(
            FailureInfo::UnacceptedExtension,
            format!("unsupported extensions {}", oids.join(", ")),
        ));
    }
    let imprint_der = imprint.to_der().map_err(|e| {
        RequestError::new(FailureInfo::BadDataFormat, format!("messageImprint: {e}"))
    })?;
    let nonce_der = asn1.nonce.map(|n| n.as_bytes().to_vec());
    Ok(DecodedRequest {
        request: TimestampRequest {
            digest_algorithm: algorithm,
            message_imprint: digest.to_vec(),
            policy: asn1.req_policy.map(|p| p.to_string()),
            nonce,
            cert_req: asn1.cert_req,
        },
        imprint_der,
        nonce_der,
    })
}

/// `N` random bytes from the system's generator; should it fail, a digest of the time
/// and a counter (a nonce or serial needs uniqueness, not secrecy).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    use std::sync::atomic::{AtomicU64, Ordering};
    let mut out = [0u8; N];
    if ring::rand::SystemRandom::new().fill(&mut out).is_err() {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut seed = Vec::new();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        seed.extend_from_slice(&now.as_nanos().to_be_bytes());
        seed.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        seed.extend_from_slice(&std::process::id().to_be_bytes());
        let digest = DigestAlgorithm::Sha512.digest(&seed);
        for (o, d) in out.iter_mut().zip(digest.iter().cycle()) {
            *o = *d;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// TSTInfo
// ---------------------------------------------------------------------------------------

/// A `TSTInfo` (RFC 3161 clause 2.4.2), the signed content of a token:
///
/// ```text
/// TSTInfo ::= SEQUENCE {
///   version        INTEGER { v1(1) },
///   policy         TSAPolicyId,
///   messageImprint MessageImprint,
///   serialNumber   INTEGER,
///   genTime        GeneralizedTime,
///   accuracy       Accuracy                 OPTIONAL,
///   ordering       BOOLEAN                  DEFAULT FALSE,
///   nonce          INTEGER                  OPTIONAL,
///   tsa            [0] GeneralName          OPTIONAL,
///   extensions     [1] IMPLICIT Extensions  OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TstInfo {
    /// `policy`: the TSA policy the token was issued under, a dotted OID.
    pub policy: String,
    /// `messageImprint.hashAlgorithm`.
    pub digest_algorithm: DigestAlgorithm,
    /// `messageImprint.hashedMessage`.
    pub message_imprint: Vec<u8>,
    /// `serialNumber`, unsigned big-endian without leading zeros.
    pub serial: Vec<u8>,
    /// `genTime`: when the TSA created the token (fractions of a second kept).
    pub gen_time: SystemTime,
    /// `accuracy` in microseconds (seconds, millis and micros added up), if given.
    pub accuracy_micros: Option<u64>,
    /// `nonce`, unsigned big-endian without leading zeros.
    pub nonce: Option<Vec<u8>>,
    /// `tsa`: the TSA's name, a hint (RFC 4514 text for a `directoryName`, the text of a
    /// DNS name, URI or e-mail address, else a description).
    pub tsa_name: Option<String>,
    /// The DER `Name` of a `directoryName` `tsa`, which must be the TSA certificate's
    /// subject (clause 2.4.2).
    tsa_directory_name: Option<Vec<u8>>,
    /// The OIDs of extensions marked critical (none is known, so each makes the token
    /// unusable).
    critical_extensions: Vec<String>,
}

impl TstInfo {
    /// Reads a DER `TSTInfo` (RFC 3161 clause 2.4.2): version 1, a known imprint algorithm
    /// with an imprint of its length, non-negative serial number and nonce, `genTime` in
    /// UTC with optional fraction, `accuracy` parts `millis` and `micros` at most 999.
    pub fn from_der(der: &[u8]) -> Result<TstInfo> {
        let err = malformed("TSTInfo");
        let asn1 = TstInfoAsn1::from_der(der).map_err(&err)?;
        if asn1.version != 1 {
            return Err(Error::malformed(
                "TSTInfo",
                format!("version {}, not 1", asn1.version),
            ));
        }
        let imprint = &asn1.message_imprint;
        let digest_algorithm = imprint_algorithm(&imprint.hash_algorithm).map_err(|d| {
            if d.starts_with("unknown") {
                Error::UnsupportedAlgorithm(format!("TSTInfo imprint: {d}"))
            } else {
                Error::malformed("TSTInfo", d)
            }
        })?;
        let message_imprint = imprint.hashed_message.as_bytes().to_vec();
        if message_imprint.len() != digest_algorithm.output_len() {
            return Err(Error::malformed(
                "TSTInfo",
                format!(
                    "a {}-byte imprint for {}",
                    message_imprint.len(),
                    digest_algorithm.name()
                ),
            ));
        }
        let accuracy_micros = match &asn1.accuracy {
            Some(accuracy) => {
                let millis = u64::from(accuracy.millis.unwrap_or(0));
                let micros = u64::from(accuracy.micros.unwrap_or(0));
                if millis > 999 || micros > 999 {
                    return Err(Error::malformed(
                        "TSTInfo",
                        "accuracy millis or micros above 999",
                    ));
                }
                accuracy
                    .seconds
                    .unwrap_or(0)
                    .checked_mul(1_000_000)
                    .and_then(|s| s.checked_add(millis * 1000 + micros))
                    .map(Some)
                    .ok_or_else(|| Error::malformed("TSTInfo", "accuracy out of range"))?
            }
            None => None,
        };
        let (tsa_name, tsa_directory_name) = match &asn1.tsa {
            Some(any) => {
                let name = GeneralName::from_der(&any.to_der().map_err(&err)?).map_err(&err)?;
                match name {
                    GeneralName::DirectoryName(name) => {
                        (Some(name.to_string()), Some(name.to_der().map_err(&err)?))
                    }
                    GeneralName::DnsName(s)
                    | GeneralName::Rfc822Name(s)
                    | GeneralName::UniformResourceIdentifier(s) => (Some(s.to_string()), None),
                    _ => (Some(format!("a GeneralName [{}]", any.tag())), None),
                }
            }
            None => (None, None),
        };
        Ok(TstInfo {
            policy: asn1.policy.to_string(),
            digest_algorithm,
            message_imprint,
            serial: unsigned(&asn1.serial_number, "TSTInfo", "serialNumber")?,
            gen_time: parse_gen_time(&asn1.gen_time).map_err(|d| Error::malformed("TSTInfo", d))?,
            accuracy_micros,
            nonce: asn1.nonce.as_ref().map(nonce_bytes),
            tsa_name,
            tsa_directory_name,
            critical_extensions: asn1
                .extensions
                .unwrap_or_default()
                .iter()
                .filter(|e| e.critical)
                .map(|e| e.extn_id.to_string())
                .collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// TimeStampToken
// ---------------------------------------------------------------------------------------

/// A `TimeStampToken` (RFC 3161 clause 2.4.2):
///
/// ```text
/// TimeStampToken ::= ContentInfo
///   -- contentType is id-signedData, content is a SignedData
///   -- eContentType within SignedData is id-ct-TSTInfo
///   -- eContent within SignedData is TSTInfo
/// ```
#[derive(Clone, Debug)]
pub struct TimestampToken {
    der: Vec<u8>,
    signed_data: SignedData,
    tst_info: TstInfo,
}

impl TimestampToken {
    /// Reads a DER `TimeStampToken`: a `ContentInfo` holding a `SignedData` (RFC 5652)
    /// with `eContentType` `id-ct-TSTInfo` and an `eContent` that is a DER [`TstInfo`].
    /// Nothing may follow the encoding.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        if der.len() > MAX_TIMESTAMP_SIZE {
            return Err(Error::TooLarge {
                what: "TimeStampToken",
                size: der.len() as u64,
                limit: MAX_TIMESTAMP_SIZE as u64,
            });
        }
        let (signed_data, rest) = SignedData::from_der_prefix(der)?;
        if !rest.is_empty() {
            return Err(Error::malformed(
                "TimeStampToken",
                format!("{} bytes after the ContentInfo", rest.len()),
            ));
        }
        if signed_data.econtent_type() != OID_TST_INFO {
            return Err(Error::malformed(
                "TimeStampToken",
                format!(
                    "eContentType {}, not id-ct-TSTInfo",
                    signed_data.econtent_type()
                ),
            ));
        }
        let econtent = signed_data
            .econtent()
            .ok_or_else(|| Error::malformed("TimeStampToken", "no eContent (TSTInfo)"))?;
        let tst_info = TstInfo::from_der(econtent)?;
        Ok(TimestampToken {
            der: der.to_vec(),
            signed_data,
            tst_info,
        })
    }

    /// The token's DER encoding, as read.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signed `TSTInfo`.
    pub fn tst_info(&self) -> &TstInfo {
        &self.tst_info
    }

    /// The `SignedData` that carries the `TSTInfo` (its certificates, signer, ...).
    pub fn signed_data(&self) -> &SignedData {
        &self.signed_data
    }

    /// Checks the token as proof that data whose digest is `expected_imprint` existed at
    /// its `genTime` (RFC 3161 clause 2.4.2 and the CMS checks of RFC 5652 clause 5.6):
    ///
    /// - the `TSTInfo` imprint equals `expected_imprint` (compute it with
    ///   [`TstInfo::digest_algorithm`]; SHA-1 imprints are refused as too weak) and no
    ///   unknown extension is critical;
    /// - the token's signature ([`SignedData::verify_encapsulated`]): one signer, found in
    ///   the token or among the store's anchors; signed attributes `content-type`
    ///   `id-ct-TSTInfo` and `message-digest` the digest of the `eContent` octets; the
    ///   ESS `signingCertificate` or `signingCertificateV2` attribute (RFC 5035, required
    ///   by clause 2.4.1 and RFC 5816) naming the TSA certificate;
    /// - `genTime` inside the TSA certificate's validity, and a `directoryName` `tsa`
    ///   field naming its subject;
    /// - the TSA certificate's chain as of `at` with [`Usage::Timestamping`]: critical
    ///   extended key usage `id-kp-timeStamping` alone (clause 2.3), to an anchor of
    ///   `store`, unrevoked by its CRLs.
    ///
    /// Every failure is a [`Reason::TimestampInvalid`] whose `what` is `what` (e.g.
    /// `signature` or `seal`) and whose `detail` names the check (a CMS or chain reason
    /// as `CODE: message`), so that a caller can put them in its report: an unusable
    /// timestamp is no proof of existence and caps the verdict at INDETERMINATE
    /// (PDF.md §2 check 9). The chain's own reasons are in
    /// `TimestampVerification::chain`.
    pub fn verify(
        &self,
        what: &str,
        expected_imprint: &[u8],
        store: &TrustStore,
        at: SystemTime,
    ) -> TimestampVerification {
        self.verify_with_algorithm(what, None, expected_imprint, store, at)
    }

    /// [`TimestampToken::verify`], also requiring the imprint's digest algorithm to be
    /// `expected_algorithm` when given.
    pub fn verify_with_algorithm(
        &self,
        what: &str,
        expected_algorithm: Option<DigestAlgorithm>,
        expected_imprint: &[u8],
        store: &TrustStore,
        at: SystemTime,
    ) -> TimestampVerification {
        let mut out = TimestampVerification::default();
        let mut reasons = Vec::new();
        let tst = &self.tst_info;
        if let Some(expected) = expected_algorithm
            && expected != tst.digest_algorithm
        {
            reasons.push(format!(
                "the imprint is a {} digest, not {}",
                tst.digest_algorithm.name(),
                expected.name()
            ));
        }
        if tst.digest_algorithm == DigestAlgorithm::Sha1 {
            reasons.push("the imprint is a SHA-1 digest, too weak to bind the data".into());
        }
        if tst.message_imprint != expected_imprint {
            reasons
                .push("the message imprint differs from the digest of the timestamped data".into());
        }
        for oid in &tst.critical_extensions {
            reasons.push(format!("unknown critical TSTInfo extension {oid}"));
        }
        let anchors: Vec<Certificate> = store.anchors().cloned().collect();
        let cms = self.signed_data.verify_encapsulated(&anchors, true);
        reasons.extend(cms.reasons.iter().map(|r| format!("{}: {r}", r.code())));
        out.warnings.extend(cms.warnings);
        if let Some(cert) = &cms.signer {
            let t = unix_seconds(tst.gen_time);
            if t < cert.not_before_unix() || t > cert.not_after_unix() {
                reasons.push(format!(
                    "genTime {} lies outside the TSA certificate's validity ({} to {})",
                    rfc3339(t),
                    rfc3339(cert.not_before_unix()),
                    rfc3339(cert.not_after_unix())
                ));
            }
            if let Some(name) = &tst.tsa_directory_name
                && name.as_slice() != cert.subject_der()
            {
                reasons.push(format!(
                    "the tsa field names {}, not the TSA certificate's subject {}",
                    tst.tsa_name.as_deref().unwrap_or_default(),
                    cert.subject()
                ));
            }
            let others: Vec<Certificate> = self
                .signed_data
                .certificates()
                .iter()
                .filter(|c| c.der() != cert.der())
                .cloned()
                .collect();
            let chain = store.validate(cert, &others, at, Usage::Timestamping);
            reasons.extend(
                chain
                    .reasons
                    .iter()
                    .map(|r| format!("TSA certificate: {}: {r}", r.code())),
            );
            out.warnings.extend(
                chain
                    .warnings
                    .iter()
                    .map(|w| format!("TSA certificate: {w}")),
            );
            out.chain = Some(chain);
            out.tsa = Some(cert.clone());
        }
        for detail in reasons {
            let reason = Reason::TimestampInvalid {
                what: what.to_string(),
                detail,
            };
            if !out.reasons.contains(&reason) {
                out.reasons.push(reason);
            }
        }
        if out.reasons.is_empty() {
            out.gen_time = Some(tst.gen_time);
        }
        out
    }
}

/// The outcome of [`TimestampToken::verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimestampVerification {
    /// Every failure, each a [`Reason::TimestampInvalid`]; empty when the token proves
    /// its `genTime`.
    pub reasons: Vec<Reason>,
    /// Things that do not change the verdict.
    pub warnings: Vec<String>,
    /// The TSA certificate (the token's signer), when found.
    pub tsa: Option<Certificate>,
    /// `genTime`, only when the token verifies: then a proof of existence.
    pub gen_time: Option<SystemTime>,
    /// The TSA certificate's chain validation as of the time asked, when the TSA
    /// certificate was found: its path and its own reasons.
    pub chain: Option<ChainValidation>,
}

impl TimestampVerification {
    /// Whether the token proves its `genTime` for the data.
    pub fn is_valid(&self) -> bool {
        self.reasons.is_empty()
    }
}

// ---------------------------------------------------------------------------------------
// TimeStampResp
// ---------------------------------------------------------------------------------------

/// Reads a DER `TimeStampResp` (RFC 3161 clause 2.4.2) and returns its token after
/// checking that it answers `request`:
///
/// ```text
/// TimeStampResp ::= SEQUENCE {
///   status         PKIStatusInfo,
///   timeStampToken TimeStampToken OPTIONAL }
/// PKIStatusInfo ::= SEQUENCE {
///   status       PKIStatus,        -- granted (0), grantedWithMods (1), rejection (2), ...
///   statusString PKIFreeText     OPTIONAL,
///   failInfo     PKIFailureInfo  OPTIONAL }
/// ```
///
/// Status `granted` or `grantedWithMods` with a token is accepted; any other status is an
/// [`Error::Invalid`] naming the `PKIStatus`, the `failInfo` bits and the status text. The
/// token's imprint and its algorithm must be the request's, its nonce the request's nonce
/// (when one was sent), its policy the requested one (when one was asked for), and with
/// `certReq` TRUE it must carry a certificate (clause 2.4.2); otherwise
/// [`Error::Malformed`] says which. The token's signature is not checked here: see
/// [`TimestampToken::verify`].
pub fn token_from_response(response: &[u8], request: &TimestampRequest) -> Result<TimestampToken> {
    let token = read_response(response)?;
    let tst = token.tst_info();
    let mismatch = |detail: String| Error::malformed("TimeStampResp", detail);
    if tst.digest_algorithm != request.digest_algorithm {
        return Err(mismatch(format!(
            "the token's imprint is {}, the request's {}",
            tst.digest_algorithm.name(),
            request.digest_algorithm.name()
        )));
    }
    if tst.message_imprint != request.message_imprint {
        return Err(mismatch(
            "the token's imprint differs from the request's".into(),
        ));
    }
    match (&request.nonce, &tst.nonce) {
        (Some(asked), Some(got)) if !same_integer(asked, got) => {
            return Err(mismatch(format!(
                "the token's nonce {} differs from the request's {}",
                hex::encode(got),
                hex::encode(strip_zeros(asked))
            )));
        }
        (Some(_), None) => {
            return Err(mismatch(
                "the token has no nonce; the request sent one".into(),
            ));
        }
        _ => {}
    }
    if let Some(policy) = &request.policy
        && *policy != tst.policy
    {
        return Err(mismatch(format!(
            "the token's policy is {}, the request asked for {policy}",
            tst.policy
        )));
    }
    if request.cert_req && token.signed_data().certificates().is_empty() {
        return Err(mismatch(
            "the token carries no certificate although certReq was TRUE".into(),
        ));
    }
    Ok(token)
}

/// The token of a granted `TimeStampResp`, or the error naming the status.
fn read_response(response: &[u8]) -> Result<TimestampToken> {
    if response.len() > MAX_TIMESTAMP_SIZE {
        return Err(Error::TooLarge {
            what: "TimeStampResp",
            size: response.len() as u64,
            limit: MAX_TIMESTAMP_SIZE as u64,
        });
    }
    let resp = TimeStampRespAsn1::from_der(response).map_err(malformed("TimeStampResp"))?;
    let status = resp.status.status;
    if !matches!(status, 0 | 1) {
        let mut message = format!(
            "the TSA did not grant the timestamp: PKIStatus {} ({status})",
            pki_status_name(status)
        );
        if let Some(bits) = &resp.status.fail_info {
            let names = FailureInfo::names(bits);
            if !names.is_empty() {
                message.push_str(&format!(", failInfo {}", names.join(", ")));
            }
        }
        if let Some(text) = &resp.status.status_string {
            let text: Vec<&str> = text.iter().map(|s| s.as_str()).collect();
            message.push_str(&format!(": {:?}", text.join("; ")));
        }
        return Err(Error::Invalid(message));
    }
    let token = resp.time_stamp_token.ok_or_else(|| {
        Error::malformed(
            "TimeStampResp",
            format!("status {} without a token", pki_status_name(status)),
        )
    })?;
    TimestampToken::from_der(&token.to_der().map_err(malformed("TimeStampResp"))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen_time(text: &str) -> std::result::Result<SystemTime, String> {
        let any = AnyRef::new(Tag::GeneralizedTime, text.as_bytes()).unwrap();
        parse_gen_time(&any)
    }

    #[test]
    fn gen_time_with_and_without_fractions() {
        let base = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let text = time::OffsetDateTime::from_unix_timestamp(1_795_000_000)
            .unwrap()
            .format(&time::macros::format_description!(
                "[year][month][day][hour][minute][second]"
            ))
            .unwrap();
        assert_eq!(gen_time(&format!("{text}Z")), Ok(base));
        assert_eq!(
            gen_time(&format!("{text}.25Z")),
            Ok(base + Duration::from_millis(250))
        );
        assert_eq!(
            gen_time(&format!("{text}.1234567891Z")),
            Ok(base + Duration::from_nanos(123_456_789))
        );
        for bad in [
            text.clone(),
            format!("{text}.Z"),
            format!("{text}+0800"),
            "20261301000000Z".into(),
            "2026010100000Z".into(),
            "20260230000000Z".into(),
            "2026010100006aZ".into(),
        ] {
            assert!(gen_time(&bad).is_err(), "{bad}");
        }
        let der = gen_time_der(base + Duration::from_millis(700)).unwrap();
        assert_eq!(&der[2..], format!("{text}Z").as_bytes());
    }

    #[test]
    fn failure_info_bits_are_der_named_bits() {
        let cases = [
            (FailureInfo::BadAlg, "0780"),
            (FailureInfo::BadRequest, "0520"),
            (FailureInfo::BadDataFormat, "0204"),
            (FailureInfo::UnacceptedPolicy, "000001"),
            (FailureInfo::UnacceptedExtension, "07000080"),
            (FailureInfo::SystemFailure, "0600000040"),
        ];
        for (fail, want) in cases {
            let (unused, bytes) = fail.bit_string();
            let mut got = vec![unused];
            got.extend(&bytes);
            assert_eq!(hex::encode(&got), want, "{fail:?}");
            let bits = BitStringRef::new(unused, &bytes).unwrap();
            assert_eq!(FailureInfo::names(&bits), vec![fail.name().to_string()]);
        }
    }

    #[test]
    fn integers_are_unsigned_and_minimal() {
        assert_eq!(positive_integer(&[0x80, 1]), vec![0, 0x80, 1]);
        assert_eq!(positive_integer(&[0, 0, 0x7f]), vec![0x7f]);
        assert_eq!(positive_integer(&[]), vec![0]);
        assert!(same_integer(&[0, 1, 2], &[1, 2]));
        assert!(!same_integer(&[1, 2], &[1, 2, 0]));
    }

    #[test]
    fn request_round_trip() {
        let digest = DigestAlgorithm::Sm3.digest(b"data");
        let mut request = TimestampRequest::new(DigestAlgorithm::Sm3, digest);
        request.policy = Some("1.2.3.4.1".into());
        request.nonce = Some(vec![0xff; 8]);
        let der = request.to_der().unwrap();
        let back = TimestampRequest::from_der(&der).unwrap();
        assert_eq!(back, request);
        request.policy = Some("not an oid".into());
        assert!(request.to_der().is_err());
    }
}
