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
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, CrlDistributionPoints, CrlNumber, CrlReason, SubjectKeyIdentifier,
};
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
/// Parsing accepts any well-formed CRL; what keeps it from deciding a certificate's status
/// is said by [`Crl::defect`] (the CRL itself) and [`Crl::unusable_for`] (one certificate).
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
    /// The `issuingDistributionPoint` extension's value, as encoded.
    idp_der: Option<Vec<u8>>,
    idp: Option<IssuingDistributionPoint>,
    delta: bool,
    defect: Option<String>,
}

/// `cRLNumber` (RFC 5280 clause 5.2.3).
const OID_CRL_NUMBER: &str = "2.5.29.20";
/// `deltaCRLIndicator` (RFC 5280 clause 5.2.4).
const OID_DELTA_CRL_INDICATOR: &str = "2.5.29.27";
/// `issuingDistributionPoint` (RFC 5280 clause 5.2.5).
const OID_ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
/// `cRLDistributionPoints` (RFC 5280 clause 4.2.1.13).
const OID_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
/// `certificateIssuer` (RFC 5280 clause 5.3.3): only in indirect CRLs.
const OID_CERTIFICATE_ISSUER: &str = "2.5.29.29";
/// CRL extensions whose meaning eseal knows besides the three above:
/// `authorityKeyIdentifier`, `issuerAltName`, `freshestCRL` (RFC 5280 clauses 5.2.1, 5.2.2,
/// 5.2.6) and `authorityInfoAccess` (clause 5.2.7).
const KNOWN_CRL_EXTENSIONS: [&str; 4] =
    ["2.5.29.35", "2.5.29.18", "2.5.29.46", "1.3.6.1.5.5.7.1.1"];
/// CRL entry extensions whose meaning eseal knows: `reasonCode` and `invalidityDate` (RFC
/// 5280 clauses 5.3.1, 5.3.2) and `holdInstructionCode` (RFC 3280 clause 5.3.2).
const KNOWN_ENTRY_EXTENSIONS: [&str; 3] = ["2.5.29.21", "2.5.29.23", "2.5.29.24"];

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
        let mut defects = Vec::new();
        if crl.tbs_cert_list.signature != crl.signature_algorithm {
            defects.push(
                "its signed and outer signature algorithms differ (RFC 5280 clause 5.1.1.2)"
                    .to_string(),
            );
        }
        if crl_number.is_none() {
            defects.push("it has no cRLNumber (RFC 5280 clause 5.2.3)".into());
        }
        let (mut idp_der, mut idp, mut delta) = (None, None, false);
        for ext in crl.extensions() {
            let oid = ext.oid.to_id_string();
            match oid.as_str() {
                OID_CRL_NUMBER if ext.critical => {
                    defects.push("its cRLNumber is marked critical (RFC 5280 clause 5.2.3)".into());
                }
                OID_DELTA_CRL_INDICATOR => delta = true,
                OID_ISSUING_DISTRIBUTION_POINT => {
                    idp_der = Some(ext.value.to_vec());
                    match IssuingDistributionPoint::from_der(ext.value) {
                        Ok(point) => {
                            defects.extend(idp_defect(&point));
                            idp = Some(point);
                        }
                        Err(e) => {
                            defects.push(format!("its issuingDistributionPoint is malformed: {e}"))
                        }
                    }
                }
                OID_CRL_NUMBER => {}
                other if ext.critical && !KNOWN_CRL_EXTENSIONS.contains(&other) => {
                    defects.push(format!("it has an unknown critical extension {other}"));
                }
                _ => {}
            }
        }
        for entry in crl.iter_revoked_certificates() {
            for ext in entry.extensions() {
                let oid = ext.oid.to_id_string();
                if oid == OID_CERTIFICATE_ISSUER {
                    defects.push(format!(
                        "the entry for serial {} names a certificate issuer (indirect CRLs are not evaluated)",
                        hex::encode(entry.raw_serial())
                    ));
                } else if ext.critical && !KNOWN_ENTRY_EXTENSIONS.contains(&oid.as_str()) {
                    defects.push(format!(
                        "the entry for serial {} has an unknown critical extension {oid}",
                        hex::encode(entry.raw_serial())
                    ));
                }
            }
        }
        if delta {
            defects.push("it is a delta CRL (deltaCRLIndicator), not a complete CRL".into());
        }
        Ok(Crl {
            der: der.to_vec(),
            issuer: crl.issuer().to_string(),
            issuer_der: crl.issuer().as_raw().to_vec(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            crl_number,
            entries,
            idp_der,
            idp,
            delta,
            defect: defects.into_iter().next(),
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

    /// Whether this is a delta CRL (`deltaCRLIndicator`, RFC 5280 clause 5.2.4).
    pub fn is_delta(&self) -> bool {
        self.delta
    }

    /// The `issuingDistributionPoint` extension's value as encoded (RFC 5280 clause 5.2.5),
    /// if present: with the issuer, it names the CRL's scope.
    pub fn issuing_distribution_point_der(&self) -> Option<&[u8]> {
        self.idp_der.as_deref()
    }

    /// Why this CRL can decide no certificate's status, if so: no `cRLNumber` or a critical
    /// one (RFC 5280 clause 5.2.3), an unknown critical CRL or entry extension (clauses 5.2,
    /// 5.3), an entry with `certificateIssuer` (indirect CRLs are not evaluated), an
    /// `issuingDistributionPoint` with `onlySomeReasons`, `indirectCRL`,
    /// `onlyContainsAttributeCerts` or a `nameRelativeToCRLIssuer` (clause 5.2.5), a delta
    /// CRL (clause 5.2.4: not a complete CRL), or differing signature algorithms (clause
    /// 5.1.1.2). The first such finding.
    pub fn defect(&self) -> Option<&str> {
        self.defect.as_deref()
    }

    /// Whether this CRL supersedes `other` of the same issuer and scope: a higher
    /// `cRLNumber`, or an equal one with a later `thisUpdate` (RFC 5280 clause 5.2.3). A CRL
    /// without a number is older than one with a number.
    pub fn is_newer_than(&self, other: &Crl) -> bool {
        let number = |c: &Crl| {
            c.crl_number.as_deref().map(|n| {
                let start = n.iter().position(|b| *b != 0).unwrap_or(n.len());
                (n.len() - start, n[start..].to_vec())
            })
        };
        (number(self), self.this_update) > (number(other), other.this_update)
    }

    /// Why this CRL, issued by `issuer` (its signature checked with
    /// [`Self::verify_issued_by`]), cannot decide `cert`'s status, if it cannot (RFC 5280
    /// clause 6.3.3): a [`Self::defect`]; `issuer` has a key usage extension without
    /// `cRLSign` (clause 4.2.1.3; no key usage extension restricts nothing); or its
    /// `issuingDistributionPoint` leaves `cert` out: `onlyContainsUserCerts` for a CA,
    /// `onlyContainsCACerts` for an end entity, a `distributionPoint` none of whose names
    /// is a `fullName` of `cert`'s `cRLDistributionPoints`.
    pub fn unusable_for(&self, cert: &Certificate, issuer: &Certificate) -> Option<String> {
        if let Some(defect) = &self.defect {
            return Some(defect.clone());
        }
        if issuer.key_usage().is_some_and(|ku| !ku.crl_sign) {
            return Some(format!(
                "its issuer {} has a key usage without cRLSign (RFC 5280 clause 4.2.1.3)",
                issuer.subject()
            ));
        }
        let idp = self.idp.as_ref()?;
        if idp.only_contains_user_certs && cert.is_ca() {
            return Some("it covers only end-entity certificates (onlyContainsUserCerts)".into());
        }
        if idp.only_contains_ca_certs && !cert.is_ca() {
            return Some("it covers only CA certificates (onlyContainsCACerts)".into());
        }
        match &idp.distribution_point {
            Some(DistributionPointName::FullName(names)) => {
                let listed = distribution_point_names(cert);
                (!names.iter().any(|n| listed.contains(n))).then(|| {
                    "its issuingDistributionPoint names no distribution point of the certificate"
                        .to_string()
                })
            }
            _ => None,
        }
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

/// What eseal does not evaluate in an `issuingDistributionPoint` (RFC 5280 clause 5.2.5).
fn idp_defect(idp: &IssuingDistributionPoint) -> Option<String> {
    let only = [
        idp.only_contains_user_certs,
        idp.only_contains_ca_certs,
        idp.only_contains_attribute_certs,
    ];
    let why = if only.iter().filter(|f| **f).count() > 1 {
        "sets more than one of onlyContainsUserCerts, onlyContainsCACerts and onlyContainsAttributeCerts"
    } else if idp.only_some_reasons.is_some() {
        "limits it to some reasons (onlySomeReasons), which eseal does not evaluate"
    } else if idp.indirect_crl {
        "makes it an indirect CRL (indirectCRL), which eseal does not evaluate"
    } else if idp.only_contains_attribute_certs {
        "limits it to attribute certificates (onlyContainsAttributeCerts)"
    } else if matches!(
        idp.distribution_point,
        Some(DistributionPointName::NameRelativeToCRLIssuer(_))
    ) {
        "names its distribution point relative to the issuer, which eseal does not evaluate"
    } else {
        return None;
    };
    Some(format!("its issuingDistributionPoint {why}"))
}

/// The `fullName`s of `cert`'s `cRLDistributionPoints` (RFC 5280 clause 4.2.1.13) that
/// the certificate's issuer itself publishes (no `cRLIssuer`).
fn distribution_point_names(cert: &Certificate) -> Vec<GeneralName> {
    use x509_parser::prelude::X509Certificate;
    let Ok((_, parsed)) = X509Certificate::from_der(cert.der()) else {
        return Vec::new();
    };
    let Some(ext) = parsed
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == OID_CRL_DISTRIBUTION_POINTS)
    else {
        return Vec::new();
    };
    let Ok(points) = CrlDistributionPoints::from_der(ext.value) else {
        return Vec::new();
    };
    points
        .0
        .into_iter()
        .filter(|p| p.crl_issuer.is_none())
        .filter_map(|p| match p.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Splits a signed X.509 object (certificate or CRL) into its signature algorithm, the
/// DER of the signed part and the signature.
pub fn signed_parts(der: &[u8]) -> Result<(Algorithm, Vec<u8>, Vec<u8>)> {
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
