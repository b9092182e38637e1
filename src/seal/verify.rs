//! Verifying seals and seal signatures in the order of GB/T 38540 clause 7 (SES-OFD.md §5):
//! every check runs, every failure is a named reason.

use std::time::SystemTime;

use sha2::Digest;

use super::structures::{CertList, OID_ECDSA_SHA256, OID_SM2_SM3, Seal, SealSignature, TimeInfo};
use crate::crypto::{Algorithm, signature_raw_to_der};
use crate::pki::{Certificate, ChainValidation, TrustStore, Usage, rfc3339, unix_seconds};
use crate::report::{Reason, SignatureReport};

/// The signature algorithm an SES `signAlgID` / `signatureAlgID` names.
pub(crate) fn ses_algorithm(oid: &str) -> Option<Algorithm> {
    match oid {
        OID_SM2_SM3 => Some(Algorithm::Sm2Sm3),
        OID_ECDSA_SHA256 => Some(Algorithm::EcdsaP256Sha256),
        _ => None,
    }
}

/// The hash of signed data for `algorithm`: SM3 with SM2, SHA-256 with ECDSA P-256.
pub(crate) fn data_hash(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::Sm2Sm3 => sm3::Sm3::digest(data).to_vec(),
        _ => sha2::Sha256::digest(data).to_vec(),
    }
}

/// Verifies an SES signature value: SM2 as DER or raw `r || s`, ECDSA likewise.
fn check_signature(
    algorithm: Algorithm,
    cert: &Certificate,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let Ok(key) = cert.public_key() else {
        return false;
    };
    let der;
    let signature = if algorithm == Algorithm::EcdsaP256Sha256 && signature.len() == 64 {
        match signature_raw_to_der(signature) {
            Ok(d) => {
                der = d;
                der.as_slice()
            }
            Err(_) => return false,
        }
    } else {
        signature
    };
    key.verify(algorithm, message, signature).is_ok()
}

struct Checks {
    reasons: Vec<Reason>,
    warnings: Vec<String>,
    chain: Option<ChainValidation>,
}

impl Checks {
    fn new() -> Self {
        Checks {
            reasons: Vec::new(),
            warnings: Vec::new(),
            chain: None,
        }
    }

    fn chain(&mut self, validation: ChainValidation) {
        self.reasons.extend(validation.reasons.iter().cloned());
        self.warnings.extend(validation.warnings.iter().cloned());
        if self.chain.is_none() {
            self.chain = Some(validation);
        }
    }

    fn into_report(self, kind: &str) -> SignatureReport {
        let mut report = SignatureReport::new(kind, self.reasons);
        if let Some(chain) = &self.chain {
            report.signer = chain.chain.first().map(|c| c.subject().to_string());
            report.chain = chain.chain.iter().map(Certificate::summary).collect();
            report.revocation = chain.revocation.clone();
        }
        report.warnings = self.warnings;
        report
    }
}

/// Verifies a seal (印章验证) as of `at`: format, maker signature, maker certificate,
/// the seal's period, its timestamp and extensions.
pub fn verify_seal(seal: &Seal, store: &TrustStore, at: SystemTime) -> SignatureReport {
    verify_seal_with_chain(seal, store, &[], at)
}

/// [`verify_seal`] with more intermediate certificates the maker's chain may go through
/// (e.g. those a PDF signature carries).
pub fn verify_seal_with_chain(
    seal: &Seal,
    store: &TrustStore,
    chain: &[Certificate],
    at: SystemTime,
) -> SignatureReport {
    let mut checks = Checks::new();
    seal_checks(seal, store, chain, at, &mut checks);
    let mut report = checks.into_report("seal");
    report.seal = Some(seal.property.name.clone());
    report
}

fn seal_checks(
    seal: &Seal,
    store: &TrustStore,
    chain: &[Certificate],
    at: SystemTime,
    checks: &mut Checks,
) {
    let t = unix_seconds(at);
    let maker = match Certificate::from_der(&seal.maker_cert) {
        Ok(cert) => cert,
        Err(e) => {
            return checks
                .reasons
                .push(Reason::Malformed(format!("seal maker certificate: {e}")));
        }
    };
    match ses_algorithm(&seal.signature_algorithm) {
        None => checks.reasons.push(Reason::UnsupportedAlgorithm(
            seal.signature_algorithm.clone(),
        )),
        Some(alg) if !check_signature(alg, &maker, seal.signed_bytes(), &seal.signature) => {
            checks.reasons.push(Reason::SealSignatureInvalid)
        }
        Some(_) => {}
    }
    checks.chain(store.validate(&maker, chain, at, Usage::SealMaker));
    let created = seal.property.create_date;
    if created < maker.not_before_unix() || created > maker.not_after_unix() {
        checks.reasons.push(Reason::ClaimedTimeOutsideValidity {
            what: "SealCreateDate".into(),
            detail: format!(
                "the seal maker certificate's validity ({})",
                rfc3339(created)
            ),
        });
    }
    if t < seal.property.valid_start {
        checks.reasons.push(Reason::SealNotYetValid {
            valid_start: rfc3339(seal.property.valid_start),
        });
    } else if t > seal.property.valid_end {
        checks.reasons.push(Reason::SealExpired {
            valid_end: rfc3339(seal.property.valid_end),
        });
    }
    timestamp_and_extensions("seal", seal.timestamp.as_deref(), &seal.ext_datas, checks);
}

/// S9/S10 and G8: a timestamp is not yet proof of existence, and no critical extension is
/// known.
fn timestamp_and_extensions(
    what: &str,
    timestamp: Option<&[u8]>,
    ext_datas: &[super::ExtData],
    checks: &mut Checks,
) {
    if let Some(token) = timestamp {
        checks.reasons.push(Reason::TimestampInvalid {
            what: what.into(),
            detail: timestamp_detail(token),
        });
    }
    for ext in ext_datas.iter().filter(|e| e.critical) {
        checks.reasons.push(Reason::UnknownCriticalExtension {
            oid: ext.id.clone(),
        });
    }
}

/// Timestamp tokens are not yet verified, so none serves as proof of existence.
fn timestamp_detail(token: &[u8]) -> String {
    match super::tlv::read_all(token) {
        Ok(t) if t.tag == super::tlv::tag::SEQUENCE => {
            "RFC 3161 tokens are not verified yet, so it proves no time".into()
        }
        _ => "not a DER TimeStampToken".into(),
    }
}

/// Verifies a seal signature (签章验证) as of `at`; `data` is the signed data (for OFD the
/// bytes of Signature.xml); without it the result cannot pass.
pub fn verify_seal_signature(
    signature: &SealSignature,
    store: &TrustStore,
    at: SystemTime,
    data: Option<&[u8]>,
) -> SignatureReport {
    let mut checks = Checks::new();
    let t = unix_seconds(at);
    let signer = Certificate::from_der(&signature.signer_cert);
    let algorithm = ses_algorithm(&signature.signature_algorithm);
    match (&signer, algorithm) {
        (Err(e), _) => checks
            .reasons
            .push(Reason::Malformed(format!("signer certificate: {e}"))),
        (_, None) => checks.reasons.push(Reason::UnsupportedAlgorithm(
            signature.signature_algorithm.clone(),
        )),
        (Ok(cert), Some(alg)) => {
            if !check_signature(alg, cert, signature.signed_bytes(), &signature.signature) {
                checks.reasons.push(Reason::SignatureInvalid);
            }
        }
    }
    if !in_cert_list(&signature.seal.property.cert_list, &signature.signer_cert) {
        checks.reasons.push(Reason::SignerNotInSealCertList);
    }
    let mut seal = Checks::new();
    seal_checks(&signature.seal, store, &[], at, &mut seal);
    checks.reasons.extend(seal.reasons);
    checks
        .warnings
        .extend(seal.warnings.into_iter().map(|w| format!("seal: {w}")));
    if let Ok(cert) = &signer {
        checks.chain(store.validate(cert, &[], at, Usage::Signer));
    }
    match (&signature.time_info, &signer) {
        (TimeInfo::Time(time), Ok(cert)) => {
            let property = &signature.seal.property;
            let outside = [
                (
                    *time < cert.not_before_unix() || *time > cert.not_after_unix(),
                    "the signer certificate's validity",
                ),
                (
                    *time < property.valid_start || *time > property.valid_end,
                    "the seal's validity period",
                ),
                (*time > t, "the time of validation"),
            ];
            for (_, window) in outside.iter().filter(|(out, _)| *out) {
                checks.reasons.push(Reason::ClaimedTimeOutsideValidity {
                    what: "SigningTime".into(),
                    detail: format!("{window} ({})", rfc3339(*time)),
                });
            }
        }
        (TimeInfo::Unreadable(_), _) => checks
            .warnings
            .push("the signing time is unreadable".into()),
        _ => {}
    }
    timestamp_and_extensions(
        "signature",
        signature.timestamp.as_deref(),
        &signature.ext_datas,
        &mut checks,
    );
    match (data, algorithm) {
        (Some(data), Some(alg)) if data_hash(alg, data) != signature.data_hash => {
            checks.reasons.push(Reason::DataHashMismatch)
        }
        (Some(_), _) => {}
        (None, _) => checks.reasons.push(Reason::DataNotChecked),
    }
    let seal_version = match signature.seal.version {
        super::SesVersion::V1 => 1,
        super::SesVersion::V4 => 4,
        super::SesVersion::V5 => 5,
    };
    if signature.version != super::SesVersion::V1 && signature.tbs_version != seal_version {
        checks.warnings.push(format!(
            "TBS_Sign.version {} differs from the seal's version {seal_version}",
            signature.tbs_version
        ));
    }
    let mut report = checks.into_report("seal-signature");
    report.seal = Some(signature.seal.property.name.clone());
    if let TimeInfo::Time(time) = signature.time_info {
        report.signing_time = Some(rfc3339(time));
        report.signing_time_source = Some("claimed".into());
    }
    report
}

/// GB/T 38540 clause 7.3: the signer's certificate is byte-equal to a `certs` entry, or
/// its digest equals a `certDigestList` value.
pub(crate) fn in_cert_list(list: &CertList, signer_cert: &[u8]) -> bool {
    match list {
        CertList::Certificates(certs) => certs.iter().any(|c| c == signer_cert),
        CertList::Digests(digests) => digests.iter().any(|(kind, value)| {
            let digest = match kind.to_ascii_lowercase().as_str() {
                "sha256" | "sha-256" => sha2::Sha256::digest(signer_cert).to_vec(),
                _ => sm3::Sm3::digest(signer_cert).to_vec(),
            };
            &digest == value
        }),
        CertList::Unreadable(_) => false,
    }
}
