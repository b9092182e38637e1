//! OCSP (RFC 6960): requests to ask a responder, responses read and checked, and the
//! statuses they give used like a CRL's by [`super::TrustStore`].
//!
//! A response is used for a certificate only when
//! - it is `successful` with an `id-pkix-ocsp-basic` response,
//! - one of its `SingleResponse`s names the certificate: `CertID` with the issuer's name
//!   hash, the issuer's key hash (SHA-1, SHA-256, SHA-384, SHA-512 or SM3, as the
//!   `CertID` itself says) and the serial number,
//! - it is signed by the issuer itself, or by a delegated responder whose certificate is
//!   in the response, was issued (and signed) by the issuer, carries the extended key
//!   usage `id-kp-OCSPSigning`, has no critical extension eseal does not know and was
//!   within its validity at `producedAt`
//!   ([`OcspResponse::verify_signature`]); the `id-pkix-ocsp-nocheck` extension of a
//!   delegated responder is reported, the responder's own revocation is not checked,
//! - no extension eseal does not know is marked critical, in the response or in any
//!   `SingleResponse`,
//! - when it answers a request sent with a nonce ([`OcspResponse::expecting_nonce`]), its
//!   nonce, if it has one, is that nonce ([`OcspResponse::check_nonce`]),
//! - and, for the statuses `good` and `unknown`, it covers the validation time
//!   ([`SingleStatus::covers`]): `thisUpdate ≤ at ≤ nextUpdate`, or, without a
//!   `nextUpdate`, `thisUpdate ≤ at ≤ thisUpdate +` [`OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE`]
//!   (a `nextUpdate` before `thisUpdate` covers nothing);
//!   a `thisUpdate` up to [`OCSP_CLOCK_SKEW`] after `at` still counts (a response fetched
//!   just now from a responder whose clock runs a little ahead).
//!   A `revoked` status dates itself with its `revocationTime` and is used like a CRL
//!   entry: whatever the response's own times, a revocation at or before the validation
//!   time revokes, a later one leaves the certificate good at that time, with a note.

use std::fmt;
use std::time::{Duration, SystemTime};

use der::asn1::{AnyRef, BitStringRef, GeneralizedTime, Int, Null, ObjectIdentifier, OctetString};
use der::{Choice, Decode, Encode, Enumerated, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::name::Name;

use super::certificate::{Certificate, MAX_PKI_FILE, check_size, rfc3339, unix_seconds};
use super::crl::{RevocationReason, verify_signed};
use crate::crypto::Algorithm;
use crate::error::{Error, Result};

/// How long a `good` or `unknown` status without `nextUpdate` is used after its
/// `thisUpdate`: RFC 6960 clause 4.2.2.1 leaves it to the relying party; eseal takes
/// one day.
pub const OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE: Duration = Duration::from_secs(24 * 3600);

/// How far a `thisUpdate` may lie after the validation time, for responder clocks that
/// run ahead: five minutes, OpenSSL's default leeway (`openssl ocsp -validity_period`).
pub const OCSP_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// `id-kp-OCSPSigning` (RFC 5280 clause 4.2.1.12).
pub const OID_KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// `id-pkix-ocsp-basic` (RFC 6960 clause 4.2.1).
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// `id-pkix-ocsp-nonce` (RFC 6960 clause 4.4.1, RFC 8954).
const OID_OCSP_NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
/// `id-pkix-ocsp-nocheck` (RFC 6960 clause 4.2.2.2.1).
const OID_OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
/// Extensions whose meaning eseal knows: `id-pkix-ocsp-nonce` and
/// `id-pkix-ocsp-extended-revoke` (RFC 6960 clauses 4.4.1 and 4.4.8).
const KNOWN_EXTENSIONS: [&str; 2] = ["1.3.6.1.5.5.7.48.1.2", "1.3.6.1.5.5.7.48.1.9"];

/// The largest OCSP response read over HTTP.
const MAX_HTTP_RESPONSE: usize = MAX_PKI_FILE + 64 * 1024;

// ---------------------------------------------------------------------------------------
// ASN.1 (RFC 6960 appendix B.1; the module is EXPLICIT TAGS)
// ---------------------------------------------------------------------------------------

/// ```text
/// OCSPResponseStatus ::= ENUMERATED {
///     successful (0), malformedRequest (1), internalError (2), tryLater (3),
///     sigRequired (5), unauthorized (6) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumerated)]
#[repr(u32)]
enum ResponseStatus {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

impl ResponseStatus {
    fn name(self) -> &'static str {
        match self {
            ResponseStatus::Successful => "successful",
            ResponseStatus::MalformedRequest => "malformedRequest",
            ResponseStatus::InternalError => "internalError",
            ResponseStatus::TryLater => "tryLater",
            ResponseStatus::SigRequired => "sigRequired",
            ResponseStatus::Unauthorized => "unauthorized",
        }
    }
}

/// ```text
/// OCSPResponse ::= SEQUENCE {
///     responseStatus         OCSPResponseStatus,
///     responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
/// ```
#[derive(Sequence)]
struct OcspResponseAsn1 {
    response_status: ResponseStatus,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    response_bytes: Option<ResponseBytes>,
}

/// ```text
/// ResponseBytes ::= SEQUENCE {
///     responseType   OBJECT IDENTIFIER,
///     response       OCTET STRING }
/// ```
#[derive(Sequence)]
struct ResponseBytes {
    response_type: ObjectIdentifier,
    response: OctetString,
}

/// `tbsResponseData` is kept as it was encoded: those bytes are what the signature covers.
///
/// ```text
/// BasicOCSPResponse ::= SEQUENCE {
///     tbsResponseData      ResponseData,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signature            BIT STRING,
///     certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
#[derive(Sequence)]
struct BasicOcspResponse<'a> {
    tbs_response_data: AnyRef<'a>,
    signature_algorithm: AnyRef<'a>,
    signature: BitStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    certs: Option<Vec<AnyRef<'a>>>,
}

/// ```text
/// ResponseData ::= SEQUENCE {
///     version              [0] EXPLICIT Version DEFAULT v1,
///     responderID              ResponderID,
///     producedAt               GeneralizedTime,
///     responses                SEQUENCE OF SingleResponse,
///     responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Sequence)]
struct ResponseData {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    version: Option<u8>,
    responder_id: ResponderIdAsn1,
    produced_at: GeneralizedTime,
    responses: Vec<SingleResponseAsn1>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    response_extensions: Option<Extensions>,
}

/// ```text
/// ResponderID ::= CHOICE {
///     byName   [1] Name,
///     byKey    [2] KeyHash }   -- SHA-1 of the responder's subjectPublicKey bits
/// ```
#[derive(Choice)]
enum ResponderIdAsn1 {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

/// ```text
/// SingleResponse ::= SEQUENCE {
///     certID                       CertID,
///     certStatus                   CertStatus,
///     thisUpdate                   GeneralizedTime,
///     nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///     singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Sequence)]
struct SingleResponseAsn1 {
    cert_id: CertId,
    cert_status: CertStatusAsn1,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    single_extensions: Option<Extensions>,
}

/// `serialNumber` is a plain `INTEGER` (`CertificateSerialNumber`): its content octets are
/// compared with the certificate's as encoded.
///
/// ```text
/// CertID ::= SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
#[derive(Sequence)]
struct CertId {
    hash_algorithm: AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: Int,
}

/// ```text
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }   -- UnknownInfo ::= NULL
/// ```
#[derive(Choice)]
enum CertStatusAsn1 {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

/// ```text
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
#[derive(Sequence)]
struct RevokedInfo {
    revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    revocation_reason: Option<CrlReason>,
}

/// ```text
/// OCSPRequest ::= SEQUENCE {
///     tbsRequest                  TBSRequest,
///     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }   -- never sent
/// ```
#[derive(Sequence)]
struct OcspRequestAsn1 {
    tbs_request: TbsRequest,
}

/// ```text
/// TBSRequest ::= SEQUENCE {
///     version             [0]     EXPLICIT Version DEFAULT v1,
///     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,  -- never sent
///     requestList                 SEQUENCE OF Request,
///     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Sequence)]
struct TbsRequest {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    version: Option<u8>,
    request_list: Vec<Request>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    request_extensions: Option<Extensions>,
}

/// ```text
/// Request ::= SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Sequence)]
struct Request {
    req_cert: CertId,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    single_request_extensions: Option<Extensions>,
}

// ---------------------------------------------------------------------------------------
// CertID hashes
// ---------------------------------------------------------------------------------------

/// The hash algorithms a `CertID` may use here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertIdHash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    Sm3,
}

impl CertIdHash {
    const ALL: [(CertIdHash, &'static str); 5] = [
        (CertIdHash::Sha1, "1.3.14.3.2.26"),
        (CertIdHash::Sha256, "2.16.840.1.101.3.4.2.1"),
        (CertIdHash::Sha384, "2.16.840.1.101.3.4.2.2"),
        (CertIdHash::Sha512, "2.16.840.1.101.3.4.2.3"),
        (CertIdHash::Sm3, "1.2.156.10197.1.401"),
    ];

    /// The hash of an `AlgorithmIdentifier` with absent or `NULL` parameters.
    fn from_alg_id(id: &AlgorithmIdentifierOwned) -> Option<Self> {
        if id.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return None;
        }
        let oid = id.oid.to_string();
        Self::ALL.iter().find(|(_, o)| *o == oid).map(|(h, _)| *h)
    }

    fn oid(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(h, _)| *h == self)
            .map_or("1.3.14.3.2.26", |(_, o)| o)
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA384, SHA512, digest};
        let alg = match self {
            CertIdHash::Sha1 => &SHA1_FOR_LEGACY_USE_ONLY,
            CertIdHash::Sha256 => &SHA256,
            CertIdHash::Sha384 => &SHA384,
            CertIdHash::Sha512 => &SHA512,
            CertIdHash::Sm3 => {
                use sm3::Digest as _;
                return sm3::Sm3::digest(data).to_vec();
            }
        };
        digest(alg, data).as_ref().to_vec()
    }
}

/// The `subjectPublicKey` bits of a certificate (what `issuerKeyHash` and `byKey` hash).
fn public_key_bits(cert: &Certificate) -> Option<Vec<u8>> {
    spki::SubjectPublicKeyInfoRef::from_der(cert.spki_der())
        .ok()
        .map(|spki| spki.subject_public_key.raw_bytes().to_vec())
}

// ---------------------------------------------------------------------------------------
// The parsed response
// ---------------------------------------------------------------------------------------

/// The status a response gives one certificate (`CertStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspCertStatus {
    /// `good`: not revoked (as far as the responder knows).
    Good,
    /// `revoked`.
    Revoked {
        /// `revocationTime`, Unix seconds.
        revoked_at: i64,
        /// `revocationReason`, if given.
        reason: Option<RevocationReason>,
    },
    /// `unknown`: the responder does not know the certificate.
    Unknown,
}

/// What a response says about one certificate (a `SingleResponse`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleStatus {
    /// The `CertID`'s serial number, content octets as encoded.
    pub serial: Vec<u8>,
    /// `certStatus`.
    pub status: OcspCertStatus,
    /// `thisUpdate`, Unix seconds.
    pub this_update: i64,
    /// `nextUpdate`, Unix seconds, if present.
    pub next_update: Option<i64>,
}

impl SingleStatus {
    /// The latest time the status vouches for: `nextUpdate`, or without it `thisUpdate`
    /// plus [`OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE`].
    pub fn valid_until(&self) -> i64 {
        self.next_update.unwrap_or_else(|| {
            self.this_update
                .saturating_add(OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE.as_secs() as i64)
        })
    }

    /// Whether the status speaks for the time `at`: `thisUpdate −` [`OCSP_CLOCK_SKEW`]
    /// `≤ at ≤` [`Self::valid_until`], and a `nextUpdate` is not before `thisUpdate`.
    pub fn covers(&self, at: SystemTime) -> bool {
        let t = unix_seconds(at);
        self.next_update.is_none_or(|next| next >= self.this_update)
            && self
                .this_update
                .saturating_sub(OCSP_CLOCK_SKEW.as_secs() as i64)
                <= t
            && t <= self.valid_until()
    }
}

/// How a response names its signer (`ResponderID`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OcspResponderId {
    /// `byName`: the responder's subject DN, RFC 4514 text.
    ByName(String),
    /// `byKey`: SHA-1 of the responder's `subjectPublicKey` bits.
    ByKey(Vec<u8>),
}

impl fmt::Display for OcspResponderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcspResponderId::ByName(name) => f.write_str(name),
            OcspResponderId::ByKey(hash) => {
                write!(f, "the responder with key hash {}", hex::encode(hash))
            }
        }
    }
}

/// Who signed a response whose signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OcspSigner {
    /// The certificate's issuer itself.
    Issuer,
    /// A responder the issuer delegated to (RFC 6960 clause 4.2.2.2).
    Delegated {
        /// The responder certificate's subject.
        subject: String,
        /// Whether it carries `id-pkix-ocsp-nocheck`.
        nocheck: bool,
    },
}

impl fmt::Display for OcspSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcspSigner::Issuer => f.write_str("the issuer"),
            OcspSigner::Delegated { subject, .. } => write!(f, "delegated responder {subject}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// `None` for a hash algorithm eseal does not compute: the entry matches nothing.
    hash: Option<CertIdHash>,
    name_hash: Vec<u8>,
    key_hash: Vec<u8>,
    status: SingleStatus,
}

/// A parsed `successful` OCSP response with a `BasicOCSPResponse` (RFC 6960 clause 4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspResponse {
    der: Vec<u8>,
    tbs: Vec<u8>,
    /// The content octets of `signatureAlgorithm`.
    signature_algorithm: Vec<u8>,
    signature: Vec<u8>,
    responder: OcspResponderId,
    responder_name: Option<Name>,
    produced_at: i64,
    entries: Vec<Entry>,
    certs: Vec<Certificate>,
    unknown_critical: Vec<String>,
    /// The response's `id-pkix-ocsp-nonce` extension value.
    nonce: Option<Vec<u8>>,
    /// The nonce extension value of the request this response answers, if it had one.
    sent_nonce: Option<Vec<u8>>,
}

impl OcspResponse {
    /// Parses a DER `OCSPResponse`. A `responseStatus` other than `successful` is an error
    /// naming it (`malformedRequest`, `internalError`, `tryLater`, `sigRequired`,
    /// `unauthorized`), as is a response type other than `id-pkix-ocsp-basic`.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        check_size("OCSP response", der.len())?;
        let malformed = |e: &dyn fmt::Display| Error::malformed("OCSP response", e);
        let outer = OcspResponseAsn1::from_der(der).map_err(|e| malformed(&e))?;
        if outer.response_status != ResponseStatus::Successful {
            return Err(Error::Invalid(format!(
                "the OCSP responder answered {} ({})",
                outer.response_status.name(),
                outer.response_status as u32
            )));
        }
        let bytes = outer
            .response_bytes
            .ok_or_else(|| malformed(&"a successful response without responseBytes"))?;
        if bytes.response_type != OID_OCSP_BASIC {
            return Err(malformed(&format!(
                "response type {}, expected id-pkix-ocsp-basic",
                bytes.response_type
            )));
        }
        let basic =
            BasicOcspResponse::from_der(bytes.response.as_bytes()).map_err(|e| malformed(&e))?;
        let tbs = basic
            .tbs_response_data
            .to_der()
            .map_err(|e| malformed(&e))?;
        let data = ResponseData::from_der(&tbs).map_err(|e| malformed(&e))?;
        if let Some(v) = data.version.filter(|v| *v != 0) {
            return Err(malformed(&format!("version {}, expected v1 (0)", v + 1)));
        }
        let signature = basic
            .signature
            .as_bytes()
            .ok_or_else(|| malformed(&"signature with unused bits"))?
            .to_vec();
        let certs = basic
            .certs
            .unwrap_or_default()
            .iter()
            .map(|c| {
                let der = c.to_der().map_err(|e| malformed(&e))?;
                Certificate::from_der(&der)
            })
            .collect::<Result<Vec<_>>>()?;
        let (responder, responder_name) = match data.responder_id {
            ResponderIdAsn1::ByName(name) => {
                (OcspResponderId::ByName(name_text(&name)), Some(name))
            }
            ResponderIdAsn1::ByKey(hash) => {
                (OcspResponderId::ByKey(hash.as_bytes().to_vec()), None)
            }
        };
        let mut unknown_critical = Vec::new();
        let mut note_critical = |extensions: &Option<Extensions>| {
            for ext in extensions.iter().flatten().filter(|e| e.critical) {
                let oid = ext.extn_id.to_string();
                if !KNOWN_EXTENSIONS.contains(&oid.as_str()) {
                    unknown_critical.push(oid);
                }
            }
        };
        note_critical(&data.response_extensions);
        let nonce = data
            .response_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == OID_OCSP_NONCE)
            .map(|e| e.extn_value.as_bytes().to_vec());
        let mut entries = Vec::with_capacity(data.responses.len());
        for single in &data.responses {
            note_critical(&single.single_extensions);
            let status = match &single.cert_status {
                CertStatusAsn1::Good(_) => OcspCertStatus::Good,
                CertStatusAsn1::Unknown(_) => OcspCertStatus::Unknown,
                CertStatusAsn1::Revoked(info) => OcspCertStatus::Revoked {
                    revoked_at: generalized_unix(&info.revocation_time),
                    reason: info
                        .revocation_reason
                        .and_then(|r| RevocationReason::from_code(r as u8)),
                },
            };
            entries.push(Entry {
                hash: CertIdHash::from_alg_id(&single.cert_id.hash_algorithm),
                name_hash: single.cert_id.issuer_name_hash.as_bytes().to_vec(),
                key_hash: single.cert_id.issuer_key_hash.as_bytes().to_vec(),
                status: SingleStatus {
                    serial: single.cert_id.serial_number.as_bytes().to_vec(),
                    status,
                    this_update: generalized_unix(&single.this_update),
                    next_update: single.next_update.as_ref().map(generalized_unix),
                },
            });
        }
        Ok(OcspResponse {
            der: der.to_vec(),
            tbs,
            signature_algorithm: basic.signature_algorithm.value().to_vec(),
            signature,
            responder,
            responder_name,
            produced_at: generalized_unix(&data.produced_at),
            entries,
            certs,
            unknown_critical,
            nonce,
            sent_nonce: None,
        })
    }

    /// Marks the response as the answer to a request sent with `nonce`
    /// (`ocsp_request_der_with_nonce`): [`Self::check_nonce`] then holds it to it.
    pub fn expecting_nonce(mut self, nonce: &[u8]) -> Self {
        self.sent_nonce = Some(nonce_value(nonce));
        self
    }

    /// The value of the response's `id-pkix-ocsp-nonce` extension (RFC 8954: a DER
    /// `OCTET STRING` holding the nonce), if it has one.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }

    /// Checks the nonce of a response to a request sent with one
    /// ([`Self::expecting_nonce`]): a different nonce is an error (RFC 8954 clause 2.1;
    /// a replayed or misdirected answer). A response without a nonce is accepted, as
    /// OpenSSL accepts it (responders that sign responses ahead of time omit it); its
    /// `thisUpdate` and `nextUpdate` still bound it.
    pub fn check_nonce(&self) -> Result<()> {
        match (&self.sent_nonce, &self.nonce) {
            (Some(sent), Some(got)) if sent != got => Err(Error::Invalid(
                "the OCSP response's nonce is not the nonce of the request".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// How the response names its signer.
    pub fn responder(&self) -> &OcspResponderId {
        &self.responder
    }

    /// `producedAt`, Unix seconds.
    pub fn produced_at_unix(&self) -> i64 {
        self.produced_at
    }

    /// The certificates the response carries (`certs`), e.g. a delegated responder's.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certs
    }

    /// Every `SingleResponse`, in order.
    pub fn responses(&self) -> impl Iterator<Item = &SingleStatus> {
        self.entries.iter().map(|e| &e.status)
    }

    /// The status the response gives `cert`, whose issuer is `issuer`: the first
    /// `SingleResponse` whose `CertID` matches, computed with the `CertID`'s own hash
    /// algorithm. The response's signature is not checked here
    /// ([`Self::verify_signature`]).
    pub fn status_of(&self, cert: &Certificate, issuer: &Certificate) -> Option<SingleStatus> {
        if cert.issuer_der() != issuer.subject_der() {
            return None;
        }
        let key = public_key_bits(issuer)?;
        self.entries
            .iter()
            .find(|e| {
                e.status.serial == cert.serial()
                    && e.hash.is_some_and(|h| {
                        h.digest(cert.issuer_der()) == e.name_hash && h.digest(&key) == e.key_hash
                    })
            })
            .map(|e| e.status.clone())
    }

    /// Checks that the response may speak for certificates of `issuer` and that its
    /// signature verifies: signed by `issuer` itself, or by a responder certificate in
    /// the response that `issuer` issued, with extended key usage `id-kp-OCSPSigning`
    /// (and `digitalSignature` if it has a key usage), no critical extension eseal does
    /// not know, valid at `producedAt`.
    pub fn verify_signature(&self, issuer: &Certificate) -> Result<OcspSigner> {
        if let Some(oid) = self.unknown_critical.first() {
            return Err(Error::Invalid(format!(
                "the OCSP response has an unknown critical extension {oid}"
            )));
        }
        let algorithm = Algorithm::from_signature_alg_id(&self.signature_algorithm)?;
        let check = |signer: &Certificate| {
            signer
                .public_key()?
                .verify(algorithm, &self.tbs, &self.signature)
                .map_err(|e| match e {
                    Error::BadSignature => Error::Invalid(format!(
                        "the OCSP response's signature does not verify with the key of {}",
                        signer.subject()
                    )),
                    e => e,
                })
        };
        if self.names(issuer) {
            check(issuer)?;
            return Ok(OcspSigner::Issuer);
        }
        let Some(responder) = self.certs.iter().find(|c| self.names(c)) else {
            return Err(Error::Invalid(format!(
                "the OCSP response is signed by {}, neither {} nor a responder certificate \
                 the response carries",
                self.responder,
                issuer.subject()
            )));
        };
        let refuse = |why: String| {
            Err(Error::Invalid(format!(
                "the OCSP responder {} {why}",
                responder.subject()
            )))
        };
        if responder.issuer_der() != issuer.subject_der()
            || verify_signed(responder.der(), issuer).is_err()
        {
            return refuse(format!("was not issued by {}", issuer.subject()));
        }
        if !responder
            .ext_key_usage()
            .is_some_and(|(_, oids)| oids.iter().any(|o| o == OID_KP_OCSP_SIGNING))
        {
            return refuse("lacks the extended key usage id-kp-OCSPSigning".into());
        }
        if responder
            .key_usage()
            .is_some_and(|ku| !ku.digital_signature)
        {
            return refuse("lacks the key usage digitalSignature".into());
        }
        if let Some(oid) = unknown_critical_extension(responder) {
            return refuse(format!(
                "has an unknown critical extension {oid} (RFC 5280 clause 4.2)"
            ));
        }
        // producedAt is only known once the signature over it verifies.
        check(responder)?;
        if self.produced_at < responder.not_before_unix()
            || self.produced_at > responder.not_after_unix()
        {
            return refuse(format!(
                "was not valid when the response was produced ({})",
                rfc3339(self.produced_at)
            ));
        }
        Ok(OcspSigner::Delegated {
            subject: responder.subject().to_string(),
            nocheck: has_nocheck(responder),
        })
    }

    /// Whether the `ResponderID` names `cert`.
    fn names(&self, cert: &Certificate) -> bool {
        match (&self.responder, &self.responder_name) {
            (_, Some(name)) => {
                Name::from_der(cert.subject_der()).is_ok_and(|subject| subject == *name)
            }
            (OcspResponderId::ByKey(hash), None) => {
                public_key_bits(cert).is_some_and(|key| CertIdHash::Sha1.digest(&key) == *hash)
            }
            (OcspResponderId::ByName(_), None) => false,
        }
    }
}

/// A DN as [`Certificate::subject`] writes it.
fn name_text(name: &Name) -> String {
    use x509_parser::prelude::{FromDer, X509Name};
    name.to_der()
        .ok()
        .and_then(|der| X509Name::from_der(&der).ok().map(|(_, n)| n.to_string()))
        .unwrap_or_else(|| name.to_string())
}

fn generalized_unix(t: &GeneralizedTime) -> i64 {
    t.to_unix_duration().as_secs() as i64
}

/// Extensions of a responder certificate whose meaning eseal knows (RFC 5280 clause 4.2):
/// subject and authority key identifiers, key usage, subject and issuer alternative
/// names, basic constraints, CRL distribution points, certificate policies, extended key
/// usage, authority information access and `id-pkix-ocsp-nocheck`.
const KNOWN_RESPONDER_EXTENSIONS: [&str; 11] = [
    "2.5.29.14",
    "2.5.29.35",
    "2.5.29.15",
    "2.5.29.17",
    "2.5.29.18",
    "2.5.29.19",
    "2.5.29.31",
    "2.5.29.32",
    "2.5.29.37",
    "1.3.6.1.5.5.7.1.1",
    OID_OCSP_NOCHECK,
];

/// The first critical extension of `cert` that eseal does not know.
fn unknown_critical_extension(cert: &Certificate) -> Option<String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, parsed) = X509Certificate::from_der(cert.der()).ok()?;
    parsed
        .extensions()
        .iter()
        .filter(|e| e.critical)
        .map(|e| e.oid.to_id_string())
        .find(|oid| !KNOWN_RESPONDER_EXTENSIONS.contains(&oid.as_str()))
}

fn has_nocheck(cert: &Certificate) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(cert.der()).is_ok_and(|(_, c)| {
        c.extensions()
            .iter()
            .any(|e| e.oid.to_id_string() == OID_OCSP_NOCHECK)
    })
}

// ---------------------------------------------------------------------------------------
// Requests and fetching
// ---------------------------------------------------------------------------------------

/// A DER `OCSPRequest` for `cert`, issued by `issuer`: one `CertID` with SHA-1 (what
/// every responder answers), no nonce, no signature.
pub fn ocsp_request_der(cert: &Certificate, issuer: &Certificate) -> Vec<u8> {
    request_der(cert, issuer, None)
}

/// [`ocsp_request_der`] with an `id-pkix-ocsp-nonce` request extension carrying `nonce`
/// (RFC 8954: 1 to 32 octets, e.g. random ones); give the response
/// [`OcspResponse::expecting_nonce`] with the same octets.
pub fn ocsp_request_der_with_nonce(
    cert: &Certificate,
    issuer: &Certificate,
    nonce: &[u8],
) -> Result<Vec<u8>> {
    if !(1..=32).contains(&nonce.len()) {
        return Err(Error::Invalid(format!(
            "an OCSP nonce has 1 to 32 octets, not {}",
            nonce.len()
        )));
    }
    let extension = x509_cert::ext::Extension {
        extn_id: ObjectIdentifier::new_unwrap(OID_OCSP_NONCE),
        critical: false,
        extn_value: OctetString::new(nonce_value(nonce))
            .map_err(|e| Error::Invalid(format!("OCSP nonce: {e}")))?,
    };
    Ok(request_der(cert, issuer, Some(vec![extension])))
}

/// The `id-pkix-ocsp-nonce` extension value for `nonce`: `Nonce ::= OCTET STRING`.
fn nonce_value(nonce: &[u8]) -> Vec<u8> {
    OctetString::new(nonce)
        .and_then(|o| o.to_der())
        .unwrap_or_default()
}

fn request_der(
    cert: &Certificate,
    issuer: &Certificate,
    request_extensions: Option<Extensions>,
) -> Vec<u8> {
    let hash = CertIdHash::Sha1;
    let key = public_key_bits(issuer).unwrap_or_default();
    let octets = |bytes: Vec<u8>| OctetString::new(bytes).expect("a hash fits an OCTET STRING");
    let request = OcspRequestAsn1 {
        tbs_request: TbsRequest {
            version: None,
            request_list: vec![Request {
                req_cert: CertId {
                    hash_algorithm: AlgorithmIdentifierOwned {
                        oid: ObjectIdentifier::new_unwrap(hash.oid()),
                        parameters: Some(der::Any::from(Null)),
                    },
                    issuer_name_hash: octets(hash.digest(cert.issuer_der())),
                    issuer_key_hash: octets(hash.digest(&key)),
                    serial_number: Int::new(cert.serial())
                        .expect("a certificate's serial number is an INTEGER"),
                },
                single_request_extensions: None,
            }],
            request_extensions,
        },
    };
    request.to_der().expect("an OCSP request encodes")
}

/// Sends `request` (a DER `OCSPRequest`) to the responder at `url` with HTTP POST
/// (RFC 6960 appendix A.1) and returns the DER response body.
///
/// Only `http://` URLs are accepted (OCSP responses are signed; RFC 6960 uses plain HTTP).
/// `timeout` bounds the whole exchange ([`crate::http`]); replies over 16 MiB are refused.
pub fn fetch_ocsp_response(url: &str, request: &[u8], timeout: Duration) -> Result<Vec<u8>> {
    crate::http::post(&crate::http::Post {
        url,
        content_type: "application/ocsp-request",
        accept: "application/ocsp-response",
        body: request,
        timeout,
        max_reply: MAX_HTTP_RESPONSE,
        peer: "the OCSP responder",
    })
}
