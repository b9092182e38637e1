//! Certificate revocation lists (RFC 5280 clause 5): issuing them and reading them.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use der::asn1::OctetString;
use der::asn1::{AnyRef, BitStringRef};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoRef};
use x509_cert::certificate::{Rfc5280, Version};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::ToExtension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason, SubjectKeyIdentifier};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_parser::prelude::FromDer;

use super::certificate::{Certificate, check_size, pem_start, system_time};
use crate::crypto::{Algorithm, Signer};
use crate::error::{Error, Result};

/// `CRLReason` (RFC 5280 clause 5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RevocationReason {
    /// `unspecified (0)`.
    Unspecified,
    /// `keyCompromise (1)`.
    KeyCompromise,
    /// `cACompromise (2)`.
    CaCompromise,
    /// `affiliationChanged (3)`.
    AffiliationChanged,
    /// `superseded (4)`.
    Superseded,
    /// `cessationOfOperation (5)`.
    CessationOfOperation,
    /// `certificateHold (6)`: suspended, may be released.
    CertificateHold,
    /// `removeFromCRL (8)`: a hold released (delta CRLs).
    RemoveFromCrl,
    /// `privilegeWithdrawn (9)`.
    PrivilegeWithdrawn,
    /// `aACompromise (10)`.
    AaCompromise,
}

const REASONS: [(RevocationReason, &str, u8); 10] = [
    (RevocationReason::Unspecified, "unspecified", 0),
    (RevocationReason::KeyCompromise, "keyCompromise", 1),
    (RevocationReason::CaCompromise, "cACompromise", 2),
    (
        RevocationReason::AffiliationChanged,
        "affiliationChanged",
        3,
    ),
    (RevocationReason::Superseded, "superseded", 4),
    (
        RevocationReason::CessationOfOperation,
        "cessationOfOperation",
        5,
    ),
    (RevocationReason::CertificateHold, "certificateHold", 6),
    (RevocationReason::RemoveFromCrl, "removeFromCRL", 8),
    (
        RevocationReason::PrivilegeWithdrawn,
        "privilegeWithdrawn",
        9,
    ),
    (RevocationReason::AaCompromise, "aACompromise", 10),
];

impl RevocationReason {
    /// The reason code's value.
    pub fn code(self) -> u8 {
        REASONS.iter().find(|r| r.0 == self).map_or(0, |r| r.2)
    }

    /// The reason for a code value, `None` for an unassigned one.
    pub fn from_code(code: u8) -> Option<Self> {
        REASONS.iter().find(|r| r.2 == code).map(|r| r.0)
    }

    fn to_x509(self) -> CrlReason {
        match self {
            RevocationReason::Unspecified => CrlReason::Unspecified,
            RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
            RevocationReason::CaCompromise => CrlReason::CaCompromise,
            RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
            RevocationReason::Superseded => CrlReason::Superseded,
            RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
            RevocationReason::CertificateHold => CrlReason::CertificateHold,
            RevocationReason::RemoveFromCrl => CrlReason::RemoveFromCRL,
            RevocationReason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
            RevocationReason::AaCompromise => CrlReason::AaCompromise,
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = REASONS
            .iter()
            .find(|r| r.0 == *self)
            .map_or("unspecified", |r| r.1);
        f.write_str(name)
    }
}

impl FromStr for RevocationReason {
    type Err = Error;

    /// Accepts the RFC 5280 names (`keyCompromise`) case-insensitively, with or without
    /// dashes (`key-compromise`).
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.replace(['-', '_'], "").to_ascii_lowercase();
        REASONS
            .iter()
            .find(|r| r.1.to_ascii_lowercase() == wanted)
            .map(|r| r.0)
            .ok_or_else(|| Error::Invalid(format!("unknown revocation reason `{s}`")))
    }
}

/// One revoked certificate in a CRL.
///
/// ```text
/// SEQUENCE {
///     userCertificate    CertificateSerialNumber,
///     revocationDate     Time,
///     crlEntryExtensions Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The serial number's content octets.
    pub serial: Vec<u8>,
    /// `revocationDate`, Unix seconds.
    pub revoked_at: i64,
    /// The `reasonCode` entry extension, if present.
    pub reason: Option<RevocationReason>,
}

/// A parsed and size-checked CRL.
///
/// ```text
/// CertificateList ::= SEQUENCE {
///     tbsCertList          TBSCertList,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signatureValue       BIT STRING }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crl {
    der: Vec<u8>,
    issuer: String,
    issuer_der: Vec<u8>,
    this_update: i64,
    next_update: Option<i64>,
    crl_number: Option<Vec<u8>>,
    entries: Vec<RevokedEntry>,
}

/// The three parts of a signed X.509 object (certificate or CRL).
#[derive(der::Sequence)]
struct SignedParts<'a> {
    tbs: AnyRef<'a>,
    algorithm: AnyRef<'a>,
    signature: BitStringRef<'a>,
}

impl Crl {
    /// Parses a DER CRL.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        check_size("CRL", der.len())?;
        let malformed = |e: &dyn fmt::Display| Error::malformed("CRL", e);
        let (rest, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(der)
            .map_err(|e| malformed(&e))?;
        if !rest.is_empty() {
            return Err(malformed(&format!("{} bytes after the CRL", rest.len())));
        }
        let entries = crl
            .iter_revoked_certificates()
            .map(|entry| RevokedEntry {
                serial: entry.raw_serial().to_vec(),
                revoked_at: entry.revocation_date.timestamp(),
                reason: entry
                    .reason_code()
                    .and_then(|(_, code)| RevocationReason::from_code(code.0)),
            })
            .collect();
        let crl_number = crl.crl_number().map(|n| n.to_bytes_be());
        Ok(Crl {
            der: der.to_vec(),
            issuer: crl.issuer().to_string(),
            issuer_der: crl.issuer().as_raw().to_vec(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            crl_number,
            entries,
        })
    }

    /// Parses a CRL given as PEM (`X509 CRL`) or DER.
    pub fn from_pem_or_der(input: &[u8]) -> Result<Self> {
        if let Some(start) = pem_start(input) {
            check_size("CRL", input.len())?;
            let block = pem::parse(&input[start..]).map_err(|e| Error::malformed("PEM", e))?;
            if block.tag() != "X509 CRL" {
                return Err(Error::malformed(
                    "PEM",
                    format!("a `{}` block, expected `X509 CRL`", block.tag()),
                ));
            }
            Self::from_der(block.contents())
        } else {
            Self::from_der(input)
        }
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The PEM encoding (`X509 CRL`).
    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new("X509 CRL", self.der.as_slice()))
    }

    /// The issuer DN, RFC 4514 text.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer's DER `Name`.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// `thisUpdate`, Unix seconds.
    pub fn this_update_unix(&self) -> i64 {
        self.this_update
    }

    /// `nextUpdate`, Unix seconds, if present.
    pub fn next_update_unix(&self) -> Option<i64> {
        self.next_update
    }

    /// The `cRLNumber` extension, big-endian, if present.
    pub fn crl_number(&self) -> Option<&[u8]> {
        self.crl_number.as_deref()
    }

    /// The revoked certificates.
    pub fn entries(&self) -> &[RevokedEntry] {
        &self.entries
    }

    /// The entry for `serial`, if the CRL lists it.
    pub fn find(&self, serial: &[u8]) -> Option<&RevokedEntry> {
        self.entries.iter().find(|e| e.serial == serial)
    }

    /// Checks that `issuer` issued this CRL: names match and the signature verifies with its
    /// key.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<()> {
        if issuer.subject_der() != self.issuer_der.as_slice() {
            return Err(Error::Invalid(format!(
                "the CRL is from {}, not {}",
                self.issuer,
                issuer.subject()
            )));
        }
        verify_signed(&self.der, issuer)
    }
}

/// Splits a signed X.509 object (certificate or CRL) into its signature algorithm, the
/// DER of the signed part and the signature.
pub(crate) fn signed_parts(der: &[u8]) -> Result<(Algorithm, Vec<u8>, Vec<u8>)> {
    let parts = SignedParts::from_der(der).map_err(|e| Error::malformed("signed object", e))?;
    let algorithm = Algorithm::from_signature_alg_id(parts.algorithm.value())?;
    let tbs = parts
        .tbs
        .to_der()
        .map_err(|e| Error::malformed("signed object", e))?;
    let signature = parts
        .signature
        .as_bytes()
        .ok_or_else(|| Error::malformed("signed object", "signature with unused bits"))?;
    Ok((algorithm, tbs, signature.to_vec()))
}

/// Verifies the signature of a signed X.509 object with `issuer`'s key.
pub(crate) fn verify_signed(der: &[u8], issuer: &Certificate) -> Result<()> {
    let (algorithm, tbs, signature) = signed_parts(der)?;
    issuer.public_key()?.verify(algorithm, &tbs, &signature)
}

/// Issues a CRL (RFC 5280 clause 5) for `issuer`, signed with `signer`, listing `revoked`.
///
/// `crl_number` must grow with every CRL the issuer publishes.
pub fn issue_crl(
    issuer: &Certificate,
    signer: &dyn Signer,
    crl_number: u64,
    this_update: SystemTime,
    next_update: SystemTime,
    revoked: &[RevokedEntry],
) -> Result<Crl> {
    if issuer.spki_der() != signer.public_key_spki() {
        return Err(Error::Invalid(format!(
            "the signing key is not the key of {}",
            issuer.subject()
        )));
    }
    if issuer.key_usage().is_some_and(|ku| !ku.crl_sign) {
        return Err(Error::Invalid(format!(
            "{} may not sign CRLs",
            issuer.subject()
        )));
    }
    let invalid = |e: &dyn fmt::Display| Error::Invalid(format!("CRL: {e}"));
    let issuer_name = Name::from_der(issuer.subject_der()).map_err(|e| invalid(&e))?;
    let time = |t: SystemTime| Time::try_from(t).map_err(|e| invalid(&e));
    let entries = revoked
        .iter()
        .map(|entry| {
            let extensions = match entry.reason {
                Some(reason) => Some(vec![
                    reason
                        .to_x509()
                        .to_extension(&issuer_name, &[])
                        .map_err(|e| invalid(&e))?,
                ]),
                None => None,
            };
            Ok(RevokedCert {
                serial_number: SerialNumber::<Rfc5280>::new(&entry.serial)
                    .map_err(|e| invalid(&e))?,
                revocation_date: time(system_time(entry.revoked_at))?,
                crl_entry_extensions: extensions,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let number =
        CrlNumber::from(der::asn1::Uint::new(&crl_number.to_be_bytes()).map_err(|e| invalid(&e))?);
    let key_identifier = match issuer.subject_key_id() {
        Some(id) => OctetString::new(id).map_err(|e| invalid(&e))?,
        None => {
            let spki =
                SubjectPublicKeyInfoRef::from_der(issuer.spki_der()).map_err(|e| invalid(&e))?;
            SubjectKeyIdentifier::try_from(spki)
                .map_err(|e| invalid(&e))?
                .0
        }
    };
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(key_identifier),
        ..Default::default()
    };
    let signature_algorithm =
        AlgorithmIdentifierOwned::from_der(&signer.algorithm().signature_algorithm_der())
            .map_err(|e| invalid(&e))?;
    let tbs = TbsCertList {
        version: Version::V2,
        signature: signature_algorithm.clone(),
        issuer: issuer_name.clone(),
        this_update: time(this_update)?,
        next_update: Some(time(next_update)?),
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(vec![
            number
                .to_extension(&issuer_name, &[])
                .map_err(|e| invalid(&e))?,
            aki.to_extension(&issuer_name, &[])
                .map_err(|e| invalid(&e))?,
        ]),
    };
    let tbs_der = tbs.to_der().map_err(|e| invalid(&e))?;
    let crl = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm,
        signature: der::asn1::BitString::from_bytes(&signer.sign(&tbs_der)?)
            .map_err(|e| invalid(&e))?,
    };
    Crl::from_der(&crl.to_der().map_err(|e| invalid(&e))?)
}
