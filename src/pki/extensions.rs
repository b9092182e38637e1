//! What a certificate's fields and extensions say for path validation (RFC 5280 clause
//! 4.1 and 4.2), read once when the certificate is parsed.

use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::X509Certificate;

use super::names::{DistinguishedName, Name, distinguished_name, subject_emails};

/// `anyPolicy` (RFC 5280 clause 4.2.1.4).
pub(crate) const ANY_POLICY: &str = "2.5.29.32.0";

/// Extensions path validation understands; any other one marked critical makes the
/// certificate unusable (RFC 5280 clause 4.2).
const UNDERSTOOD: &[&str] = &[
    "2.5.29.14",               // subjectKeyIdentifier
    "2.5.29.15",               // keyUsage
    "2.5.29.17",               // subjectAltName
    "2.5.29.18",               // issuerAltName
    "2.5.29.19",               // basicConstraints
    "2.5.29.30",               // nameConstraints
    "2.5.29.31",               // cRLDistributionPoints
    "2.5.29.32",               // certificatePolicies
    "2.5.29.33",               // policyMappings
    "2.5.29.35",               // authorityKeyIdentifier
    "2.5.29.36",               // policyConstraints
    "2.5.29.37",               // extKeyUsage
    "2.5.29.54",               // inhibitAnyPolicy
    "1.3.6.1.5.5.7.1.1",       // authorityInfoAccess
    "1.3.6.1.5.5.7.1.11",      // subjectInfoAccess
    "1.3.6.1.5.5.7.48.1.5",    // id-pkix-ocsp-nocheck
    "1.3.6.1.4.1.11129.2.4.2", // signed certificate timestamps
];

/// `basicConstraints` (RFC 5280 clause 4.2.1.9).
///
/// ```text
/// BasicConstraints ::= SEQUENCE {
///     cA                      BOOLEAN DEFAULT FALSE,
///     pathLenConstraint       INTEGER (0..MAX) OPTIONAL }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BasicConstraints {
    pub critical: bool,
    pub ca: bool,
    pub path_len: Option<u32>,
}

/// `nameConstraints` (RFC 5280 clause 4.2.1.10).
///
/// ```text
/// NameConstraints ::= SEQUENCE {
///     permittedSubtrees       [0]     GeneralSubtrees OPTIONAL,
///     excludedSubtrees        [1]     GeneralSubtrees OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NameConstraints {
    pub critical: bool,
    pub permitted: Option<Vec<Name>>,
    pub excluded: Vec<Name>,
}

/// `authorityKeyIdentifier` (RFC 5280 clause 4.2.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthorityKeyId {
    pub critical: bool,
    pub key_id: Option<Vec<u8>>,
    /// `authorityCertIssuer` or `authorityCertSerialNumber` is present.
    pub names_issuer: bool,
}

/// `policyConstraints` (RFC 5280 clause 4.2.1.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PolicyConstraints {
    pub critical: bool,
    pub require_explicit_policy: Option<u32>,
    pub inhibit_policy_mapping: Option<u32>,
}

/// The facts path validation reads from one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Extensions {
    /// 0 for v1, 2 for v3.
    pub version: u32,
    /// `tbsCertificate.signature` equals `signatureAlgorithm` (RFC 5280 clause 4.1.1.2).
    pub signature_algorithms_agree: bool,
    /// Why the serial number breaks RFC 5280 clause 4.1.2.2, if it does.
    pub serial_flaw: Option<&'static str>,
    pub subject: DistinguishedName,
    pub subject_emails: Vec<String>,
    pub issuer_empty: bool,
    pub basic_constraints: Option<BasicConstraints>,
    pub subject_alt_names: Option<(bool, Vec<Name>)>,
    pub name_constraints: Option<NameConstraints>,
    pub authority_key_id: Option<AuthorityKeyId>,
    pub subject_key_id_critical: bool,
    /// certificatePolicies' policy identifiers.
    pub policies: Option<Vec<String>>,
    pub policy_constraints: Option<PolicyConstraints>,
    pub inhibit_any_policy: Option<u32>,
    pub policy_mappings: bool,
    pub info_access_critical: bool,
    pub eku_empty: bool,
    pub unknown_critical: Vec<String>,
    /// An extension that appears twice (RFC 5280 clause 4.2 forbids it).
    pub duplicate: Option<String>,
    /// Extensions that could not be decoded, by name, with whether they bear on what the
    /// path proves (basic constraints, key usage, names, constraints).
    pub malformed: Vec<(&'static str, bool)>,
}

impl Extensions {
    /// Reads the facts of a parsed certificate.
    pub(crate) fn read(cert: &X509Certificate<'_>) -> Extensions {
        let tbs = &cert.tbs_certificate;
        let subject = distinguished_name(cert.subject());
        let mut facts = Extensions {
            version: cert.version().0,
            signature_algorithms_agree: tbs.signature == cert.signature_algorithm,
            serial_flaw: serial_flaw(cert.raw_serial()),
            subject_emails: subject_emails(&subject),
            subject,
            issuer_empty: cert.issuer().iter_rdn().next().is_none(),
            basic_constraints: None,
            subject_alt_names: None,
            name_constraints: None,
            authority_key_id: None,
            subject_key_id_critical: false,
            policies: None,
            policy_constraints: None,
            inhibit_any_policy: None,
            policy_mappings: false,
            info_access_critical: false,
            eku_empty: false,
            unknown_critical: Vec::new(),
            duplicate: None,
            malformed: Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        for ext in cert.extensions() {
            let oid = ext.oid.to_id_string();
            if !seen.insert(oid.clone()) {
                facts.duplicate.get_or_insert(oid.clone());
            }
            if ext.critical && !UNDERSTOOD.contains(&oid.as_str()) {
                facts.unknown_critical.push(oid.clone());
            }
            facts.take(&oid, ext.critical, ext.parsed_extension());
        }
        facts
    }

    fn take(&mut self, oid: &str, critical: bool, parsed: &ParsedExtension<'_>) {
        match parsed {
            ParsedExtension::BasicConstraints(bc) => {
                self.basic_constraints = Some(BasicConstraints {
                    critical,
                    ca: bc.ca,
                    path_len: bc.path_len_constraint,
                })
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                let names = san.general_names.iter().map(Name::from_parsed).collect();
                self.subject_alt_names = Some((critical, names));
            }
            ParsedExtension::NameConstraints(nc) => {
                let bases = |trees: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                    trees
                        .as_ref()
                        .map(|t| t.iter().map(|s| Name::from_parsed(&s.base)).collect())
                };
                if nc.permitted_subtrees.is_none() && nc.excluded_subtrees.is_none() {
                    self.malformed.push(("nameConstraints", true));
                }
                self.name_constraints = Some(NameConstraints {
                    critical,
                    permitted: bases(&nc.permitted_subtrees),
                    excluded: bases(&nc.excluded_subtrees).unwrap_or_default(),
                });
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                self.authority_key_id = Some(AuthorityKeyId {
                    critical,
                    key_id: aki.key_identifier.as_ref().map(|k| k.0.to_vec()),
                    names_issuer: aki.authority_cert_issuer.is_some()
                        || aki.authority_cert_serial.is_some(),
                })
            }
            ParsedExtension::SubjectKeyIdentifier(_) => self.subject_key_id_critical = critical,
            ParsedExtension::CertificatePolicies(policies) => {
                self.policies = Some(
                    policies
                        .iter()
                        .map(|p| p.policy_id.to_id_string())
                        .collect(),
                )
            }
            ParsedExtension::PolicyConstraints(pc) => {
                if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
                    self.malformed.push(("policyConstraints", true));
                }
                self.policy_constraints = Some(PolicyConstraints {
                    critical,
                    require_explicit_policy: pc.require_explicit_policy,
                    inhibit_policy_mapping: pc.inhibit_policy_mapping,
                })
            }
            ParsedExtension::InhibitAnyPolicy(inhibit) => {
                self.inhibit_any_policy = Some(inhibit.skip_certs)
            }
            ParsedExtension::PolicyMappings(_) => self.policy_mappings = true,
            ParsedExtension::AuthorityInfoAccess(aia) => {
                self.info_access_critical = critical;
                if aia.accessdescs.is_empty() {
                    self.malformed.push(("authorityInfoAccess", false));
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                self.eku_empty = !(eku.any
                    || eku.server_auth
                    || eku.client_auth
                    || eku.code_signing
                    || eku.email_protection
                    || eku.time_stamping
                    || eku.ocsp_signing)
                    && eku.other.is_empty();
            }
            ParsedExtension::ParseError { .. } => {
                if let Some((name, bearing)) = extension_name(oid) {
                    self.malformed.push((name, bearing));
                }
            }
            _ => {}
        }
    }

    /// Whether the certificate says it is a CA (`basicConstraints` with `cA TRUE`).
    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|bc| bc.ca)
    }
}

/// The name of an extension path validation reads, and whether it bears on what the path
/// proves; `None` for others.
fn extension_name(oid: &str) -> Option<(&'static str, bool)> {
    Some(match oid {
        "2.5.29.19" => ("basicConstraints", true),
        "2.5.29.15" => ("keyUsage", true),
        "2.5.29.37" => ("extKeyUsage", true),
        "2.5.29.17" => ("subjectAltName", true),
        "2.5.29.30" => ("nameConstraints", true),
        "2.5.29.36" => ("policyConstraints", true),
        "2.5.29.32" => ("certificatePolicies", true),
        "2.5.29.33" => ("policyMappings", true),
        "2.5.29.54" => ("inhibitAnyPolicy", true),
        "2.5.29.35" => ("authorityKeyIdentifier", false),
        "2.5.29.14" => ("subjectKeyIdentifier", false),
        "1.3.6.1.5.5.7.1.1" => ("authorityInfoAccess", false),
        "2.5.29.31" => ("cRLDistributionPoints", false),
        _ => return None,
    })
}

/// RFC 5280 clause 4.1.2.2: a positive integer of at most 20 octets.
fn serial_flaw(raw: &[u8]) -> Option<&'static str> {
    let magnitude = raw.strip_prefix(&[0]).unwrap_or(raw);
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        Some("the serial number is negative")
    } else if raw.iter().all(|b| *b == 0) {
        Some("the serial number is zero")
    } else if magnitude.len() > 20 {
        Some("the serial number is longer than 20 octets")
    } else {
        None
    }
}
