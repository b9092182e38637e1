//! Parsed X.509 certificates (RFC 5280) and reading them from PEM or DER.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::extensions::Extensions;
use super::roles::oid_text;
use crate::crypto::{Algorithm, PublicKey};
use crate::error::{Error, Result};
use crate::report::{CertificateSummary, Time};

/// The largest certificate or CRL file eseal reads.
pub const MAX_PKI_FILE: usize = 16 << 20;

/// `id-kp-timeStamping` (RFC 5280 clause 4.2.1.12).
pub const OID_KP_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

/// Key usage bits (RFC 5280 clause 4.2.1.3) eseal's profiles and policy use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyUsageBits {
    /// `digitalSignature` (0).
    pub digital_signature: bool,
    /// `nonRepudiation` / `contentCommitment` (1).
    pub non_repudiation: bool,
    /// `keyEncipherment` (2).
    pub key_encipherment: bool,
    /// `keyCertSign` (5).
    pub key_cert_sign: bool,
    /// `cRLSign` (6).
    pub crl_sign: bool,
}

/// An X.509 certificate: its DER and the fields eseal's policy reads.
///
/// ```text
/// Certificate ::= SEQUENCE {
///     tbsCertificate       TBSCertificate,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signatureValue       BIT STRING }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject: String,
    issuer: String,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    serial: Vec<u8>,
    not_before: i64,
    not_after: i64,
    key_usage: Option<KeyUsageBits>,
    ext_key_usage: Option<(bool, Vec<String>)>,
    is_ca: bool,
    spki: Vec<u8>,
    subject_key_id: Option<Vec<u8>>,
    signed: Arc<Signed>,
    extensions: Arc<Extensions>,
}

/// The signed part of a certificate, its signature and the algorithm (or why it is not
/// one eseal verifies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signed {
    pub algorithm: std::result::Result<Algorithm, String>,
    pub tbs: Vec<u8>,
    pub signature: Vec<u8>,
}

impl Certificate {
    /// Parses one DER certificate; trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let malformed = |e: &dyn std::fmt::Display| Error::malformed("certificate", e);
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| malformed(&e))?;
        if !rest.is_empty() {
            return Err(malformed(&format!(
                "{} bytes after the certificate",
                rest.len()
            )));
        }
        let key_usage = cert
            .key_usage()
            .map_err(|e| malformed(&e))?
            .map(|ku| KeyUsageBits {
                digital_signature: ku.value.digital_signature(),
                non_repudiation: ku.value.non_repudiation(),
                key_encipherment: ku.value.key_encipherment(),
                key_cert_sign: ku.value.key_cert_sign(),
                crl_sign: ku.value.crl_sign(),
            });
        let mut ext_key_usage = None;
        let mut subject_key_id = None;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut oids: Vec<String> =
                        eku.other.iter().map(|o| oid_text(o.as_bytes())).collect();
                    let known = [
                        (eku.any, "2.5.29.37.0"),
                        (eku.server_auth, "1.3.6.1.5.5.7.3.1"),
                        (eku.client_auth, "1.3.6.1.5.5.7.3.2"),
                        (eku.code_signing, "1.3.6.1.5.5.7.3.3"),
                        (eku.email_protection, "1.3.6.1.5.5.7.3.4"),
                        (eku.time_stamping, OID_KP_TIME_STAMPING),
                        (eku.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
                    ];
                    oids.extend(
                        known
                            .iter()
                            .filter(|(on, _)| *on)
                            .map(|(_, o)| o.to_string()),
                    );
                    ext_key_usage = Some((ext.critical, oids));
                }
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => {
                    subject_key_id = Some(id.0.to_vec());
                }
                _ => {}
            }
        }
        let is_ca = cert
            .basic_constraints()
            .map_err(|e| malformed(&e))?
            .is_some_and(|bc| bc.value.ca);
        Ok(Certificate {
            der: der.to_vec(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            subject_der: cert.subject().as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
            serial: cert.raw_serial().to_vec(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            key_usage,
            ext_key_usage,
            is_ca,
            spki: cert.public_key().raw.to_vec(),
            subject_key_id,
            signed: Arc::new(Signed {
                algorithm: Algorithm::from_signature_alg_id(&algorithm_contents(
                    &cert.signature_algorithm,
                ))
                .map_err(|e| e.to_string()),
                tbs: cert.tbs_certificate.as_ref().to_vec(),
                signature: cert.signature_value.data.to_vec(),
            }),
            extensions: Arc::new(Extensions::read(&cert)),
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The PEM encoding (`CERTIFICATE`).
    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new("CERTIFICATE", self.der.as_slice()))
    }

    /// Subject DN, RFC 4514 text.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Issuer DN, RFC 4514 text.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The DER `Name` of the subject.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    /// The DER `Name` of the issuer.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// The serial number's content octets (big-endian, as encoded).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The serial number as lowercase hex.
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.serial)
    }

    /// `notBefore` as seconds since the Unix epoch.
    pub fn not_before_unix(&self) -> i64 {
        self.not_before
    }

    /// `notAfter` as seconds since the Unix epoch.
    pub fn not_after_unix(&self) -> i64 {
        self.not_after
    }

    /// Whether `at` lies within `notBefore ..= notAfter`.
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        let t = unix_seconds(at);
        self.not_before <= t && t <= self.not_after
    }

    /// The key usage bits, `None` when the extension is absent.
    pub fn key_usage(&self) -> Option<KeyUsageBits> {
        self.key_usage
    }

    /// The extended key usage OIDs and the extension's criticality, `None` when absent.
    pub fn ext_key_usage(&self) -> Option<(bool, &[String])> {
        self.ext_key_usage
            .as_ref()
            .map(|(critical, oids)| (*critical, oids.as_slice()))
    }

    /// Whether basic constraints say `cA TRUE`.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_spki_der(&self.spki)
    }

    /// The signed part, the signature and its algorithm.
    pub(crate) fn signed(&self) -> &Signed {
        &self.signed
    }

    /// What the extensions say, for path validation.
    pub(crate) fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Whether subject and issuer are the same name (RFC 5280 clause 6.1: self-issued).
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// The subject key identifier extension's value, if present.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }

    /// SHA-256 of the DER encoding.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.der).into()
    }

    /// The certificate as a report shows it.
    pub fn summary(&self) -> CertificateSummary {
        CertificateSummary::new(
            self.subject.clone(),
            self.issuer.clone(),
            self.serial_hex(),
            (
                Time::from_unix(self.not_before),
                Time::from_unix(self.not_after),
            ),
            hex::encode(self.sha256()),
        )
    }
}

/// The DER contents of an `AlgorithmIdentifier` SEQUENCE: the OID, then the parameters.
fn algorithm_contents(alg: &x509_parser::x509::AlgorithmIdentifier<'_>) -> Vec<u8> {
    use x509_parser::der_parser::asn1_rs::ToDer;
    let mut out = alg.algorithm.to_der_vec().unwrap_or_default();
    if let Some(params) = &alg.parameters {
        out.extend(params.to_der_vec().unwrap_or_default());
    }
    out
}

/// Reads every certificate in `input`: a PEM bundle (`CERTIFICATE` blocks; other blocks
/// are skipped, a `CERTIFICATE` block cut short is an error) or one DER certificate.
pub fn read_certificates(input: &[u8]) -> Result<Vec<Certificate>> {
    check_size("certificate file", input.len())?;
    if let Some(start) = pem_start(input) {
        let blocks = pem::parse_many(&input[start..]).map_err(|e| Error::malformed("PEM", e))?;
        let certificates: Vec<Certificate> = blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| Certificate::from_der(b.contents()))
            .collect::<Result<_>>()?;
        let begun = memchr::memmem::find_iter(input, b"-----BEGIN CERTIFICATE-----").count();
        if certificates.len() < begun {
            return Err(Error::malformed(
                "PEM",
                format!(
                    "{} of {begun} CERTIFICATE blocks are not complete",
                    begun - certificates.len()
                ),
            ));
        }
        Ok(certificates)
    } else {
        Ok(vec![Certificate::from_der(input)?])
    }
}

/// The certificates of a bundle that parse, and why each of the others does not
/// ([`read_certificate_bundle`]).
#[derive(Debug, Default)]
pub struct CertificateBundle {
    /// The certificates that parse, in file order.
    pub certificates: Vec<Certificate>,
    /// Each `CERTIFICATE` block that does not parse: its place in the file (1-based) and why.
    pub rejected: Vec<(usize, Error)>,
}

/// Reads a PEM bundle as [`read_certificates`] does, except that a `CERTIFICATE` block
/// that does not parse (cut short, bad Base64, bad DER) is set aside with its reason
/// rather than failing the whole bundle. Fails as [`read_certificates`] does when no
/// block parses.
pub fn read_certificate_bundle(input: &[u8]) -> Result<CertificateBundle> {
    let whole = match read_certificates(input) {
        Ok(certificates) => {
            return Ok(CertificateBundle {
                certificates,
                rejected: Vec::new(),
            });
        }
        Err(e) => e,
    };
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    let starts: Vec<usize> = memchr::memmem::find_iter(input, BEGIN).collect();
    let mut bundle = CertificateBundle::default();
    for (i, &start) in starts.iter().enumerate() {
        let block = &input[start..starts.get(i + 1).copied().unwrap_or(input.len())];
        let parsed = pem::parse(block)
            .map_err(|e| Error::malformed("PEM", e))
            .and_then(|p| Certificate::from_der(p.contents()));
        match parsed {
            Ok(certificate) => bundle.certificates.push(certificate),
            Err(e) => bundle.rejected.push((i + 1, e)),
        }
    }
    if bundle.certificates.is_empty() {
        return Err(whole);
    }
    Ok(bundle)
}

/// Where PEM starts, possibly after explanatory text (as `openssl pkcs12` writes bag
/// attributes).
pub(crate) fn pem_start(input: &[u8]) -> Option<usize> {
    input.windows(10).position(|w| w == b"-----BEGIN")
}

pub(crate) fn check_size(what: &'static str, len: usize) -> Result<()> {
    if len > MAX_PKI_FILE {
        return Err(Error::TooLarge {
            what,
            size: len as u64,
            limit: MAX_PKI_FILE as u64,
        });
    }
    Ok(())
}

/// Seconds since the Unix epoch (negative before it).
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// The `SystemTime` of Unix seconds.
pub(crate) fn system_time(unix: i64) -> SystemTime {
    if unix >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
    }
}

/// RFC 3339 text of Unix seconds, e.g. `2026-11-23T14:00:00Z`.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{unix}"))
}

/// Parses RFC 3339 text into a `SystemTime`.
pub fn parse_rfc3339(text: &str) -> Result<SystemTime> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::Invalid(format!("`{text}` is not an RFC 3339 time: {e}")))?;
    Ok(system_time(t.unix_timestamp()))
}
