//! Verifying seals and seal signatures in the order of GB/T 38540 clause 7 (SES-OFD.md §5):
//! every check runs, every failure is a named reason.

use std::time::SystemTime;

use sha2::Digest;

use super::structures::{CertList, OID_ECDSA_SHA256, OID_SM2_SM3, Seal, SealSignature, TimeInfo};
use crate::cms::TimestampToken;
use crate::crypto::{Algorithm, signature_as_der};
use crate::error::Result;
use crate::pki::{
    Certificate, ChainValidation, Findings, TrustStore, Usage, as_of_proof, rfc3339, unix_seconds,
};
use crate::report::{Reason, ReportKind, SignatureReport, Time, TimeSource};

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

/// Why the SES signature value `signature` by `cert` over `message` does not verify, or
/// `None` when it does. SM2 and ECDSA P-256 values may be DER or raw `r ‖ s`
/// ([`signature_as_der`]); a failure is `otherwise` unless [`Reason::signature_failure`]
/// names a better reason.
fn signature_fault(
    algorithm: Algorithm,
    cert: &Certificate,
    message: &[u8],
    signature: &[u8],
    otherwise: Reason,
) -> Option<Reason> {
    let (Ok(key), Some(signature)) = (cert.public_key(), signature_as_der(signature, 64)) else {
        return Some(otherwise);
    };
    match key.verify(algorithm, message, &signature) {
        Ok(()) => None,
        Err(_) => Some(Reason::signature_failure(
            &key,
            message,
            &signature,
            cert.subject(),
            otherwise,
        )),
    }
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

    fn into_report(self, kind: ReportKind) -> SignatureReport {
        let mut report = SignatureReport::new(kind, self.reasons);
        if let Some(chain) = &self.chain {
            report.signer = chain.chain.first().map(|c| c.subject().to_string());
            report.chain = chain.chain.iter().map(Certificate::summary).collect();
            report.revocation = chain.revocation_found();
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
    let mut timestamp = Checks::new();
    let poe = token_poe(
        "seal",
        seal.timestamp.as_deref(),
        &seal.signature,
        store,
        at,
        &mut timestamp,
    );
    if let Some(poe) = poe
        && seal.property.create_date > unix_seconds(poe)
    {
        timestamp.reasons.push(Reason::TimestampInvalid {
            what: "seal".into(),
            detail: format!(
                "its genTime {} precedes the seal's createDate {}",
                rfc3339(unix_seconds(poe)),
                rfc3339(seal.property.create_date)
            ),
        });
    }
    let mut checks = checks_as_of_proof(at, poe, |t| {
        let mut checks = Checks::new();
        seal_checks(seal, store, chain, t, &mut checks);
        checks
    });
    checks.reasons.extend(timestamp.reasons);
    checks.warnings.extend(timestamp.warnings);
    let mut report = checks.into_report(ReportKind::Seal);
    report.seal = Some(seal.property.name.clone());
    report
}

/// The checks `check` makes as of `at`, or as of the proof of existence `poe` where they
/// only fail through later lapses ([`as_of_proof`]).
fn checks_as_of_proof(
    at: SystemTime,
    poe: Option<SystemTime>,
    check: impl Fn(SystemTime) -> Checks,
) -> Checks {
    let found = as_of_proof(at, poe, |t| {
        let checks = check(t);
        Findings {
            reasons: checks.reasons,
            warnings: checks.warnings,
            value: checks.chain,
        }
    });
    Checks {
        reasons: found.reasons,
        warnings: found.warnings,
        chain: found.value,
    }
}

/// S9 and G8 (SES-OFD.md §5): an RFC 3161 token over `signed_value` (the seal's or the
/// signature's value), verified with `store` as of `at`. Its genTime is a proof of
/// existence; a token that does not verify is a reason and proves nothing.
fn token_poe(
    what: &str,
    token: Option<&[u8]>,
    signed_value: &[u8],
    store: &TrustStore,
    at: SystemTime,
    checks: &mut Checks,
) -> Option<SystemTime> {
    let token = match TimestampToken::from_der(token?) {
        Ok(token) => token,
        Err(e) => {
            checks.reasons.push(Reason::TimestampInvalid {
                what: what.into(),
                detail: format!("not a DER TimeStampToken: {e}"),
            });
            return None;
        }
    };
    let imprint = token.tst_info().digest_algorithm.digest(signed_value);
    let verified = token.verify(what, &imprint, store, at);
    checks.warnings.extend(verified.warnings);
    if verified.gen_time.is_none() {
        checks.reasons.extend(verified.reasons);
    }
    verified.gen_time
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
        Some(alg) => checks.reasons.extend(signature_fault(
            alg,
            &maker,
            seal.signed_bytes(),
            &seal.signature,
            Reason::SealSignatureInvalid,
        )),
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
            valid_start: Time::from_unix(seal.property.valid_start),
        });
    } else if t > seal.property.valid_end {
        checks.reasons.push(Reason::SealExpired {
            valid_end: Time::from_unix(seal.property.valid_end),
        });
    }
    critical_extensions(&seal.ext_datas, checks);
}

/// S10: no extension eseal does not know is critical.
fn critical_extensions(ext_datas: &[super::ExtData], checks: &mut Checks) {
    for ext in ext_datas.iter().filter(|e| e.critical) {
        checks.reasons.push(Reason::UnknownCriticalExtension {
            oid: ext.id.clone(),
        });
    }
}

/// The checks of a seal signature that depend on the time `at`: its signature and
/// certificate-list binding, the seal (as of its own proof of existence `seal_poe` where
/// that helps), the signer's chain and the claimed signing time.
fn signature_checks(
    signature: &SealSignature,
    signer: &Result<Certificate>,
    algorithm: Option<Algorithm>,
    store: &TrustStore,
    at: SystemTime,
    seal_poe: Option<SystemTime>,
) -> Checks {
    let mut checks = Checks::new();
    let t = unix_seconds(at);
    match (signer, algorithm) {
        (Err(e), _) => checks
            .reasons
            .push(Reason::Malformed(format!("signer certificate: {e}"))),
        (_, None) => checks.reasons.push(Reason::UnsupportedAlgorithm(
            signature.signature_algorithm.clone(),
        )),
        (Ok(cert), Some(alg)) => checks.reasons.extend(signature_fault(
            alg,
            cert,
            signature.signed_bytes(),
            &signature.signature,
            Reason::SignatureInvalid,
        )),
    }
    if !in_cert_list(&signature.seal.property.cert_list, &signature.signer_cert) {
        checks.reasons.push(Reason::SignerNotInSealCertList);
    }
    let seal = checks_as_of_proof(at, seal_poe, |t| {
        let mut seal = Checks::new();
        seal_checks(&signature.seal, store, &[], t, &mut seal);
        seal
    });
    checks.reasons.extend(seal.reasons);
    checks
        .warnings
        .extend(seal.warnings.into_iter().map(|w| format!("seal: {w}")));
    if let Ok(cert) = signer {
        checks.chain(store.validate(cert, &[], at, Usage::Signer));
    }
    match (&signature.time_info, signer) {
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
    checks
}

/// Verifies a seal signature (签章验证) as of `at`; `data` is the signed data (for OFD the
/// bytes of Signature.xml); without it the result cannot pass.
pub fn verify_seal_signature(
    signature: &SealSignature,
    store: &TrustStore,
    at: SystemTime,
    data: Option<&[u8]>,
) -> SignatureReport {
    let signer = Certificate::from_der(&signature.signer_cert);
    let algorithm = ses_algorithm(&signature.signature_algorithm);
    // The signature's timestamp proves the signature and the seal inside it; the seal's
    // own timestamp proves the seal.
    let mut timestamps = Checks::new();
    let signature_poe = token_poe(
        "signature",
        signature.timestamp.as_deref(),
        &signature.signature,
        store,
        at,
        &mut timestamps,
    );
    let seal_poe = token_poe(
        "seal",
        signature.seal.timestamp.as_deref(),
        &signature.seal.signature,
        store,
        at,
        &mut timestamps,
    );
    let seal_proof = match (signature_poe, seal_poe) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut checks = checks_as_of_proof(at, signature_poe, |t| {
        signature_checks(signature, &signer, algorithm, store, t, seal_proof)
    });
    checks.reasons.extend(timestamps.reasons);
    checks.warnings.extend(timestamps.warnings);
    critical_extensions(&signature.ext_datas, &mut checks);
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
    let mut report = checks.into_report(ReportKind::SealSignature);
    report.seal = Some(signature.seal.property.name.clone());
    if let TimeInfo::Time(time) = signature.time_info {
        report.signing_time = Some(Time::from_unix(time));
        report.signing_time_source = Some(TimeSource::Claimed);
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
