//! Licence status lists (LICENCE.md §5): the IETF Token Status List
//! (draft-ietf-oauth-status-list) with 2 bits per licence, signed as a CWT in a COSE_Sign1.
//!
//! - [`StatusList`] is the bit array itself: entry `i` is
//!   `(lst[i * 2 / 8] >> (i * 2 % 8)) & 3`, least significant bits first, and
//!   [`StatusList::compressed`] is its zlib form (level 9).
//! - [`sign_status_list`] makes a Status List Token, [`verify_status_list`] checks one
//!   against the list signer's certificate and the URI the licence names.
//! - [`status_of`] turns a verified list (or the reason there is none) and an index into a
//!   [`LicenceStatus`]. Anything wrong with the list is [`LicenceStatus::Unknown`] with
//!   its reason: never silently valid, never revoked.
//!
//! Token layout (LICENCE.md §3 and §5):
//!
//! ```text
//! 18([ << {1: alg, 4: kid, 16: "application/statuslist+cwt"} >>,   ; protected
//!      {},                                                        ; unprotected
//!      << {2: uri, 4: exp, 6: iat, 65533: {"lst": zlib, "bits": 2}, 65534: ttl} >>,
//!      signature ])                                               ; r || s for ECDSA, SM2
//! ```
//!
//! `kid` is the first 8 bytes of SHA-256 of the signer's certificate DER. CBOR is written in
//! RFC 8949 §4.2.1 core deterministic encoding; on input, indefinite lengths, floats,
//! duplicate map keys and nesting deeper than 16 are rejected.
//!
//! CBOR is [`super::cbor`] and COSE_Sign1 is [`super::cose`], shared with
//! `licence::compact` (the licence tokens) and `licence::trust_list`.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::cbor::{self, Value};
use super::cose::{self, CLAIM_EXP, CLAIM_IAT, CLAIM_SUB, HEADER_ALG, HEADER_CRIT, HEADER_TYP};
use crate::crypto::{Algorithm, Signer};
use crate::error::{Error, Result};
use crate::pki::{Certificate, unix_seconds};

/// The smallest list and the step it grows by, in entries (herd privacy; the W3C
/// Bitstring Status List minimum).
pub const STATUS_LIST_STEP: usize = 131_072;

/// The largest inflated status list accepted, in bytes (16,777,216 entries of 2 bits).
pub const MAX_STATUS_LIST_BYTES: usize = 4 << 20;

/// The largest Status List Token accepted, in bytes.
pub const MAX_STATUS_LIST_TOKEN: usize = 1 << 20;

/// The protected `typ` (header 16) of a Status List Token.
pub const STATUS_LIST_TYP: &str = "application/statuslist+cwt";

/// How far in the future a list's `iat` may lie (clock skew), in seconds.
pub const STATUS_LIST_CLOCK_SKEW: i64 = 300;

/// The bits per entry eseal uses (LICENCE.md §5).
const BITS: u8 = 2;

/// CWT claim keys of a Status List Token (draft-ietf-oauth-status-list).
const CLAIM_STATUS_LIST: i64 = 65533;
const CLAIM_TTL: i64 = 65534;

/// The status of one entry of a 2-bit status list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// `0x00` VALID.
    Valid = 0,
    /// `0x01` INVALID: revoked, cancelled, withdrawn or lapsed; final.
    Invalid = 1,
    /// `0x02` SUSPENDED.
    Suspended = 2,
    /// `0x03`, application-specific: eseal's TRANSFERRED.
    Transferred = 3,
}

impl Status {
    /// The status of a 2-bit entry value (only the low two bits count).
    pub fn from_bits(value: u8) -> Status {
        match value & 3 {
            0 => Status::Valid,
            1 => Status::Invalid,
            2 => Status::Suspended,
            _ => Status::Transferred,
        }
    }

    /// The entry value.
    pub fn value(self) -> u8 {
        self as u8
    }
}

/// A status list of 2-bit entries, least significant bits first.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    lst: Vec<u8>,
}

impl fmt::Debug for StatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("entries", &self.len())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `len` entries, all VALID: at least `STATUS_LIST_STEP` entries,
    /// rounded up to a multiple of it.
    pub fn new(len: usize) -> Self {
        let mut list = StatusList {
            bits: BITS,
            lst: Vec::new(),
        };
        list.grow(len);
        list
    }

    /// Grows the list to hold at least `len` entries (in `STATUS_LIST_STEP` steps); new
    /// entries are VALID. A list never shrinks.
    pub fn grow(&mut self, len: usize) {
        let entries = len.max(1).div_ceil(STATUS_LIST_STEP) * STATUS_LIST_STEP;
        let bytes = entries * usize::from(self.bits) / 8;
        if bytes > self.lst.len() {
            self.lst.resize(bytes, 0);
        }
    }

    /// Bits per entry (2).
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.lst.len() * 8 / usize::from(self.bits)
    }

    /// Whether the list has no entries (only a list read from elsewhere can be empty).
    pub fn is_empty(&self) -> bool {
        self.lst.is_empty()
    }

    /// The status of entry `index`, `None` beyond the end.
    pub fn get(&self, index: usize) -> Option<Status> {
        if index >= self.len() {
            return None;
        }
        let bit = index * 2;
        Some(Status::from_bits(self.lst[bit / 8] >> (bit % 8)))
    }

    /// Sets entry `index`; an index beyond the end is an error (see [`StatusList::grow`]).
    pub fn set(&mut self, index: usize, status: Status) -> Result<(), StatusListError> {
        let len = self.len();
        if index >= len {
            return Err(StatusListError::IndexOutOfRange {
                index: index as u64,
                len: len as u64,
            });
        }
        let bit = index * 2;
        let byte = &mut self.lst[bit / 8];
        *byte = (*byte & !(3 << (bit % 8))) | (status.value() << (bit % 8));
        Ok(())
    }

    /// The raw byte array `lst`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.lst
    }

    /// The byte array compressed with zlib (RFC 1950), level 9, as the token carries it.
    pub fn compressed(&self) -> Vec<u8> {
        crate::deflate::zlib_compress(&self.lst, 9)
    }

    /// Reads a zlib-compressed byte array of `bits`-bit entries (only 2 is supported),
    /// inflating at most `MAX_STATUS_LIST_BYTES`.
    ///
    /// Lists from elsewhere may be shorter than `STATUS_LIST_STEP`; lookups beyond their
    /// end are out of range.
    pub fn from_compressed(bits: u8, bytes: &[u8]) -> Result<Self, StatusListError> {
        if bits != BITS {
            return Err(StatusListError::Malformed(format!(
                "status list of {bits} bits per entry; eseal reads 2"
            )));
        }
        use crate::deflate::{InflateError, inflate_to_vec};
        let lst = inflate_to_vec(bytes, true, MAX_STATUS_LIST_BYTES).map_err(|e| match e {
            InflateError::TooLarge => StatusListError::TooLarge,
            InflateError::BadData => StatusListError::Malformed("not a zlib stream".into()),
        })?;
        Ok(StatusList { bits, lst })
    }
}

/// Why a status list gives no answer; `status_of` reports it as
/// [`LicenceStatus::Unknown`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// No status list is at hand (not fetched, not cached).
    #[error("no status list")]
    Missing,
    /// The list is past its `exp`.
    #[error("status list expired at {exp} (checked at {at})")]
    Expired {
        /// `exp`, Unix seconds.
        exp: i64,
        /// The time of the check, Unix seconds.
        at: i64,
    },
    /// The list's `iat` lies in the future (beyond `STATUS_LIST_CLOCK_SKEW`).
    #[error("status list issued at {iat}, after the check time {at}")]
    NotYetValid {
        /// `iat`, Unix seconds.
        iat: i64,
        /// The time of the check, Unix seconds.
        at: i64,
    },
    /// The signature does not verify with the list signer's key.
    #[error("status list signature does not verify")]
    BadSignature,
    /// The protected `typ` is not `STATUS_LIST_TYP`.
    #[error("status list typ is {0}, expected application/statuslist+cwt")]
    WrongType(String),
    /// The token's `sub` is not the URI the licence names.
    #[error("status list is for {found:?}, the licence names {expected:?}")]
    WrongUri {
        /// The URI the licence names.
        expected: String,
        /// The token's `sub`.
        found: String,
    },
    /// The `kid` is not that of the given certificate.
    #[error("status list kid {0} is not the signer certificate's")]
    KidMismatch(String),
    /// The algorithm is unknown, or does not fit the certificate's key.
    #[error("status list algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The signer's certificate does not cover the list's `iat`.
    #[error("the list signer's certificate is not valid at the list's iat {iat}")]
    CertificateNotValid {
        /// `iat`, Unix seconds.
        iat: i64,
    },
    /// The index lies beyond the end of the list.
    #[error("index {index} is out of range for a list of {len} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The list's length in entries.
        len: u64,
    },
    /// The token or list inflates beyond the limits.
    #[error("status list token or list too large")]
    TooLarge,
    /// The token cannot be parsed (CBOR, COSE, claims, zlib).
    #[error("malformed status list token: {0}")]
    Malformed(String),
    /// No trust-list key has the token's `kid` (LICENCE.md §5: signed by a listed key).
    #[error("no trust-list key has the status list's kid {0}")]
    UnknownSigner(String),
    /// The trust list marks the list signer's key revoked (LICENCE.md §4 `rv`).
    #[error("the status list signer's key of office {office} is revoked")]
    SignerKeyRevoked {
        /// The signer's office code.
        office: String,
    },
    /// The URI is not under the `sl` prefixes of the signer's office (LICENCE.md §5).
    #[error("{uri:?} is not under a status list prefix of office {office}")]
    UriNotUnderOffice {
        /// The list's URI.
        uri: String,
        /// The signer's office code.
        office: String,
    },
    /// The list is signed by a key of another office than the licence's (LICENCE.md §5:
    /// "signed by a key of the same office as the licence `iss`").
    #[error("status list signed by office {signer}, the licence is office {licence}'s")]
    OtherOffice {
        /// The list signer's office code.
        signer: String,
        /// The licence's office code.
        licence: String,
    },
    /// The listed key that signed the list is no status-list signer (`USAGE_NOT_ALLOWED`,
    /// DESIGN.md "Roles"), e.g. the office's licence signer.
    #[error("USAGE_NOT_ALLOWED: {subject} may not sign status lists: it needs {required}")]
    UsageNotAllowed {
        /// The signer certificate's subject.
        subject: String,
        /// What the role needs, from [`crate::pki::Usage::check`].
        required: String,
    },
    /// Two different lists of one URI have the same `iat`: neither can be taken as the
    /// newest (LICENCE.md §5 "newest wins").
    #[error("two different status lists for {uri} were issued at {iat}")]
    Conflict {
        /// The URI.
        uri: String,
        /// The `iat` both carry.
        iat: i64,
    },
    /// A status list given could not be read at all, so it may be the newest list of
    /// the licence's URI.
    #[error("a status list given cannot be read ({0})")]
    Unreadable(String),
}

/// A Status List Token whose signature, `typ`, `sub` and times have been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatusList {
    list: StatusList,
    uri: String,
    iat: i64,
    exp: i64,
    ttl: Option<u64>,
    algorithm: Algorithm,
}

impl VerifiedStatusList {
    /// The list.
    pub fn list(&self) -> &StatusList {
        &self.list
    }

    /// `sub`: the list's URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// `iat`, Unix seconds: the time the list states status at.
    pub fn issued_at(&self) -> i64 {
        self.iat
    }

    /// `exp`, Unix seconds: the list may be used offline until then.
    pub fn expires_at(&self) -> i64 {
        self.exp
    }

    /// `ttl`, seconds: refetch after fetch time + ttl when online.
    pub fn ttl(&self) -> Option<u64> {
        self.ttl
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The status of entry `index` as of `at` (LICENCE.md §5): `exp` first (a list
    /// verified earlier may have expired since), then the entry; past `exp` or out of
    /// range is [`LicenceStatus::Unknown`]. O(1).
    pub fn status(&self, index: u64, at: SystemTime) -> LicenceStatus {
        let at = unix_seconds(at);
        if at > self.exp {
            return LicenceStatus::Unknown {
                reason: StatusListError::Expired { exp: self.exp, at },
            };
        }
        let status = usize::try_from(index).ok().and_then(|i| self.list.get(i));
        match status {
            None => LicenceStatus::Unknown {
                reason: StatusListError::IndexOutOfRange {
                    index,
                    len: self.list.len() as u64,
                },
            },
            Some(Status::Valid) => LicenceStatus::Valid,
            Some(Status::Invalid) => LicenceStatus::Revoked,
            Some(Status::Suspended) => LicenceStatus::Suspended,
            Some(Status::Transferred) => LicenceStatus::Transferred,
        }
    }
}

/// The status of a licence as its status list says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LicenceStatus {
    /// Entry 0: valid.
    Valid,
    /// Entry 1 (INVALID): revoked, cancelled, withdrawn or lapsed → TOTAL-FAILED.
    Revoked,
    /// Entry 2: suspended → INDETERMINATE.
    Suspended,
    /// Entry 3 (application-specific): transferred → INDETERMINATE.
    Transferred,
    /// No answer: the list is missing, expired, unverifiable or unparsable, or the index
    /// is out of range → INDETERMINATE.
    Unknown {
        /// Why.
        reason: StatusListError,
    },
}

/// The status of entry `index` as of `at`, given the outcome of
/// [`verify_status_list`] (or [`StatusListError::Missing`] when there is no list).
///
/// `exp` is checked first: a list verified earlier and cached may have expired since.
/// Every failure is [`LicenceStatus::Unknown`] with its reason.
pub fn status_of(
    token: &Result<VerifiedStatusList, StatusListError>,
    index: u64,
    at: SystemTime,
) -> LicenceStatus {
    match token {
        Ok(verified) => verified.status(index, at),
        Err(reason) => LicenceStatus::Unknown {
            reason: reason.clone(),
        },
    }
}

/// What a Status List Token says about itself before anything is verified: where to
/// find its signer and which URI it claims to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnverifiedStatusList {
    /// The `kid` (protected wins over unprotected), if any.
    pub kid: Option<Vec<u8>>,
    /// The `sub` claim, if it is text.
    pub uri: Option<String>,
    /// The `iat` claim, if it is an integer: which of two lists of one URI is newer.
    pub iat: Option<i64>,
}

/// Reads the `kid`, `sub` and `iat` of a Status List Token without verifying it, to find
/// the signer's certificate for [`verify_status_list`] and to file the token under its
/// URI, newest first.
pub fn peek_status_list(token: &[u8]) -> Result<UnverifiedStatusList, StatusListError> {
    if token.len() > MAX_STATUS_LIST_TOKEN {
        return Err(StatusListError::TooLarge);
    }
    let sign1 = cose::decode(token, false).map_err(StatusListError::Malformed)?;
    let kid = sign1
        .kid()
        .map_err(StatusListError::Malformed)?
        .map(<[u8]>::to_vec);
    let claims = match cbor::decode(&sign1.payload).map_err(StatusListError::Malformed)? {
        Value::Map(claims) => claims,
        _ => Vec::new(),
    };
    let uri = lookup(&claims, CLAIM_SUB)
        .and_then(Value::as_text)
        .map(str::to_string);
    let iat = lookup(&claims, CLAIM_IAT).and_then(Value::as_i64);
    Ok(UnverifiedStatusList { kid, uri, iat })
}

/// The COSE `kid` of a certificate: the first 8 bytes of SHA-256 of its DER.
pub fn certificate_kid(cert: &Certificate) -> [u8; 8] {
    cose::kid_of(cert)
}

/// Signs `list` as a Status List Token for `uri`: issued at `iat`, to be refetched after
/// `ttl`, usable until `exp`, signed by `signer` whose certificate is `cert`.
///
/// Algorithms: ES256, ES384, EdDSA (Ed25519), PS256 and SM2-with-SM3 (−70001).
pub fn sign_status_list(
    list: &StatusList,
    uri: &str,
    iat: SystemTime,
    ttl: Duration,
    exp: SystemTime,
    signer: &dyn Signer,
    cert: &Certificate,
) -> Result<Vec<u8>> {
    if signer.public_key_spki() != cert.spki_der() {
        return Err(Error::Invalid(format!(
            "the signing key is not the key of {}",
            cert.subject()
        )));
    }
    let (iat, exp) = (unix_seconds(iat), unix_seconds(exp));
    if exp < iat {
        return Err(Error::Invalid("status list exp before its iat".into()));
    }
    if uri.is_empty() {
        return Err(Error::Invalid("empty status list URI".into()));
    }
    let algorithm = signer.algorithm();
    if cose::cose_alg(algorithm).is_none() {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{algorithm} in a COSE status list token"
        )));
    }
    let int = Value::int;
    let claims = cbor::encode(&Value::Map(vec![
        (int(CLAIM_SUB), Value::text(uri)),
        (int(CLAIM_IAT), int(iat)),
        (int(CLAIM_EXP), int(exp)),
        (int(CLAIM_TTL), Value::Uint(ttl.as_secs())),
        (
            int(CLAIM_STATUS_LIST),
            Value::Map(vec![
                (Value::text("bits"), Value::Uint(list.bits().into())),
                (Value::text("lst"), Value::Bytes(list.compressed())),
            ]),
        ),
    ]))
    .map_err(Error::Invalid)?;
    cose::sign(
        &claims,
        vec![(int(HEADER_TYP), Value::text(STATUS_LIST_TYP))],
        signer,
        cert,
    )
}

/// Verifies a Status List Token with the list signer's certificate `cert` as of `at`.
///
/// Checks, in order: size and CBOR (tag 18 or untagged COSE_Sign1), the protected `typ`,
/// `crit`, the algorithm against the certificate's key, the `kid` (protected wins over
/// unprotected; absent is accepted), the claims' structure, the signature, `sub` =
/// `expected_uri`, `exp` (`at > exp` is expired), `iat` (not after `at` + 300 s, within the
/// certificate's validity), then inflates the list. Trusting `cert` (its chain, its office,
/// the URI under the office's `sl`) is the caller's part.
pub fn verify_status_list(
    token: &[u8],
    cert: &Certificate,
    expected_uri: &str,
    at: SystemTime,
) -> Result<VerifiedStatusList, StatusListError> {
    let malformed = |s: &str| StatusListError::Malformed(s.to_string());
    if token.len() > MAX_STATUS_LIST_TOKEN {
        return Err(StatusListError::TooLarge);
    }
    // Tag 18 or untagged; the CWT tag 61 is not accepted on a Status List Token.
    let sign1 = cose::decode(token, false).map_err(StatusListError::Malformed)?;
    match sign1.protected_header(HEADER_TYP) {
        Some(Value::Text(typ)) if typ == STATUS_LIST_TYP => {}
        Some(Value::Text(typ)) => return Err(StatusListError::WrongType(format!("{typ:?}"))),
        Some(other) => return Err(StatusListError::WrongType(format!("{other:?}"))),
        None => return Err(StatusListError::WrongType("absent".into())),
    }
    if sign1.protected_header(HEADER_CRIT).is_some() {
        return Err(malformed("crit header: no critical header is understood"));
    }
    let algorithm = match sign1.protected_header(HEADER_ALG) {
        Some(v) => {
            let alg = v
                .as_i64()
                .ok_or_else(|| malformed("alg is not an integer"))?;
            cose::algorithm_of(alg).ok_or_else(|| {
                StatusListError::UnsupportedAlgorithm(format!("COSE algorithm {alg}"))
            })?
        }
        None => return Err(malformed("no alg in the protected header")),
    };
    let public_key = cert
        .public_key()
        .map_err(|e| StatusListError::UnsupportedAlgorithm(e.to_string()))?;
    if public_key.key_type() != algorithm.key_type() {
        return Err(StatusListError::UnsupportedAlgorithm(format!(
            "{algorithm} with a {:?} key",
            public_key.key_type()
        )));
    }
    match sign1.kid().map_err(StatusListError::Malformed)? {
        None => {}
        Some(kid) if kid == certificate_kid(cert) => {}
        Some(kid) => return Err(StatusListError::KidMismatch(hex::encode(kid))),
    }
    let payload = &sign1.payload;

    let claims = match cbor::decode(payload).map_err(StatusListError::Malformed)? {
        Value::Map(entries) => entries,
        _ => return Err(malformed("claims are not a map")),
    };
    let Some(Value::Text(sub)) = lookup(&claims, CLAIM_SUB) else {
        return Err(malformed("sub (2) absent or not text"));
    };
    let int_claim = |key: i64, name: &str| -> Result<i64, StatusListError> {
        match lookup(&claims, key) {
            Some(v @ (Value::Uint(_) | Value::Nint(_))) => v
                .as_i64()
                .ok_or_else(|| StatusListError::Malformed(format!("{name} out of range"))),
            _ => Err(StatusListError::Malformed(format!(
                "{name} ({key}) absent or not an integer"
            ))),
        }
    };
    let iat = int_claim(CLAIM_IAT, "iat")?;
    let exp = int_claim(CLAIM_EXP, "exp")?;
    let ttl = match lookup(&claims, CLAIM_TTL) {
        None => None,
        Some(Value::Uint(v)) => Some(*v),
        Some(Value::Nint(_)) => return Err(malformed("ttl is negative")),
        Some(_) => return Err(malformed("ttl is not an integer")),
    };
    let Some(Value::Map(status_list)) = lookup(&claims, CLAIM_STATUS_LIST) else {
        return Err(malformed("status_list (65533) absent or not a map"));
    };
    let bits = match lookup_text(status_list, "bits") {
        Some(Value::Uint(bits)) => {
            u8::try_from(*bits).map_err(|_| malformed("bits out of range"))?
        }
        Some(Value::Nint(_)) => return Err(malformed("bits out of range")),
        _ => return Err(malformed("bits absent or not an integer")),
    };
    let Some(Value::Bytes(lst)) = lookup_text(status_list, "lst") else {
        return Err(malformed("lst absent or not a byte string"));
    };

    sign1
        .verify(algorithm, &public_key)
        .map_err(|_| StatusListError::BadSignature)?;

    if sub != expected_uri {
        return Err(StatusListError::WrongUri {
            expected: expected_uri.to_string(),
            found: sub.clone(),
        });
    }
    let at = unix_seconds(at);
    if at > exp {
        return Err(StatusListError::Expired { exp, at });
    }
    if iat > at.saturating_add(STATUS_LIST_CLOCK_SKEW) {
        return Err(StatusListError::NotYetValid { iat, at });
    }
    if iat < cert.not_before_unix() || iat > cert.not_after_unix() {
        return Err(StatusListError::CertificateNotValid { iat });
    }
    let list = StatusList::from_compressed(bits, lst)?;
    Ok(VerifiedStatusList {
        list,
        uri: sub.clone(),
        iat,
        exp,
        ttl,
        algorithm,
    })
}

fn lookup(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    cbor::lookup(map, &Value::int(key))
}

fn lookup_text<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
        .map(|(_, v)| v)
}
