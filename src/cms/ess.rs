//! The ESS signing-certificate attributes that bind a signature to its certificate:
//! `signingCertificate` (RFC 2634 clause 5.4, SHA-1) and `signingCertificateV2`
//! (RFC 5035 clause 3).
//!
//! ```text
//! SigningCertificateV2 ::= SEQUENCE {
//!   certs SEQUENCE OF ESSCertIDv2,
//!   policies SEQUENCE OF PolicyInformation OPTIONAL }
//! ESSCertIDv2 ::= SEQUENCE {
//!   hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
//!   certHash Hash,                       -- of the whole DER certificate
//!   issuerSerial IssuerSerial OPTIONAL }
//! SigningCertificate ::= SEQUENCE {
//!   certs SEQUENCE OF ESSCertID,
//!   policies SEQUENCE OF PolicyInformation OPTIONAL }
//! ESSCertID ::= SEQUENCE {
//!   certHash Hash,                       -- SHA-1
//!   issuerSerial IssuerSerial OPTIONAL }
//! IssuerSerial ::= SEQUENCE {
//!   issuer GeneralNames,
//!   serialNumber CertificateSerialNumber }
//! ```
//!
//! The first `ESSCertID(v2)` names the signing certificate (RFC 5035 clause 3); the others,
//! if any, are ignored here.

use der::asn1::{AnyRef, OctetStringRef};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use spki::AlgorithmIdentifierRef;

use super::digest::DigestAlgorithm;
use super::timestamp::DIRECTORY_NAME;
use crate::error::{Error, Result};
use crate::pki::Certificate;
use crate::report::Reason;

/// `SigningCertificateV2` (RFC 5035 clause 3).
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2<'a> {
    certs: Vec<EssCertIdV2<'a>>,
    #[asn1(optional = "true")]
    policies: Option<AnyRef<'a>>,
}

/// `ESSCertIDv2` (RFC 5035 clause 4); an absent `hashAlgorithm` means SHA-256.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2<'a> {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierRef<'a>>,
    cert_hash: &'a OctetStringRef,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial<'a>>,
}

/// `SigningCertificate` (RFC 2634 clause 5.4).
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV1<'a> {
    certs: Vec<EssCertIdV1<'a>>,
    #[asn1(optional = "true")]
    policies: Option<AnyRef<'a>>,
}

/// `ESSCertID` (RFC 2634 clause 5.4.1), a SHA-1 `certHash`.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV1<'a> {
    cert_hash: &'a OctetStringRef,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial<'a>>,
}

/// `IssuerSerial` (RFC 5035 clause 4): `issuer` is a `GeneralNames`, each `GeneralName`
/// kept as encoded; the issuer is its `directoryName [4]` (RFC 5280 clause 4.2.1.6).
#[derive(Clone, Debug, Sequence)]
struct IssuerSerial<'a> {
    issuer: Vec<AnyRef<'a>>,
    serial_number: AnyRef<'a>,
}

/// Which signing-certificate attribute a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EssVersion {
    /// `id-aa-signingCertificate`, SHA-1 hashes.
    V1,
    /// `id-aa-signingCertificateV2`.
    V2,
}

/// One `ESSCertID(v2)` as read.
struct CertId<'a> {
    hash: DigestAlgorithm,
    cert_hash: &'a [u8],
    issuer_serial: Option<IssuerSerial<'a>>,
}

/// Checks that the attribute value `value` (DER) names `cert` in its first `ESSCertID`:
/// `certHash` is the hash of the certificate's DER and `issuerSerial`, when present,
/// names its issuer and serial number.
pub(crate) fn check(version: EssVersion, value: &[u8], cert: &Certificate) -> Result<(), Reason> {
    let malformed =
        |e: der::Error| Reason::CmsMalformed(format!("unreadable signingCertificate: {e}"));
    let first = match version {
        EssVersion::V2 => {
            let attr = SigningCertificateV2::from_der(value).map_err(malformed)?;
            let Some(id) = attr.certs.into_iter().next() else {
                return Err(Reason::SigningCertificateMismatch);
            };
            CertId {
                hash: v2_hash(id.hash_algorithm.as_ref())?,
                cert_hash: id.cert_hash.as_bytes(),
                issuer_serial: id.issuer_serial,
            }
        }
        EssVersion::V1 => {
            let attr = SigningCertificateV1::from_der(value).map_err(malformed)?;
            let Some(id) = attr.certs.into_iter().next() else {
                return Err(Reason::SigningCertificateMismatch);
            };
            CertId {
                hash: DigestAlgorithm::Sha1,
                cert_hash: id.cert_hash.as_bytes(),
                issuer_serial: id.issuer_serial,
            }
        }
    };
    if first.hash.digest(cert.der()) != first.cert_hash {
        return Err(Reason::SigningCertificateMismatch);
    }
    match &first.issuer_serial {
        Some(issuer_serial) if !names(issuer_serial, cert) => {
            Err(Reason::SigningCertificateMismatch)
        }
        _ => Ok(()),
    }
}

/// The hash of an `ESSCertIDv2`: SHA-256 when absent (RFC 5035 clause 4).
fn v2_hash(algorithm: Option<&AlgorithmIdentifierRef<'_>>) -> Result<DigestAlgorithm, Reason> {
    let Some(algorithm) = algorithm else {
        return Ok(DigestAlgorithm::Sha256);
    };
    let oid = algorithm.oid.to_string();
    DigestAlgorithm::from_oid(&oid).ok_or_else(|| {
        Reason::UnsupportedAlgorithm(format!("signingCertificateV2 hash algorithm {oid}"))
    })
}

/// Whether `IssuerSerial` names the certificate: same serial number and one
/// `directoryName` equal to its issuer, both compared as encoded.
fn names(issuer_serial: &IssuerSerial<'_>, cert: &Certificate) -> bool {
    issuer_serial.serial_number.tag() == Tag::Integer
        && issuer_serial.serial_number.value() == cert.serial()
        && issuer_serial
            .issuer
            .iter()
            .any(|name| name.tag() == DIRECTORY_NAME && name.value() == cert.issuer_der())
}

/// The DER `SigningCertificateV2` for `cert`: one `ESSCertIDv2` with the default SHA-256
/// `hashAlgorithm` (omitted, as DER requires) and `issuerSerial` present.
pub(crate) fn signing_certificate_v2(cert: &Certificate) -> Result<Vec<u8>> {
    let err = |e: der::Error| Error::malformed("signingCertificateV2", e);
    let hash = DigestAlgorithm::Sha256.digest(cert.der());
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetStringRef::new(&hash).map_err(err)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![AnyRef::new(DIRECTORY_NAME, cert.issuer_der()).map_err(err)?],
                serial_number: AnyRef::new(Tag::Integer, cert.serial()).map_err(err)?,
            }),
        }],
        policies: None,
    };
    value.to_der().map_err(err)
}
