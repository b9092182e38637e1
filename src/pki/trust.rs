//! The trust store and chain validation as of a given time: [`super::path`] builds and
//! checks the path (RFC 5280 clause 6.1), eseal's policy checks the leaf's usage and
//! revocation.

use std::time::SystemTime;

use super::certificate::{
    Certificate, OID_KP_TIME_STAMPING, read_certificates, rfc3339, unix_seconds,
};
use super::crl::{Crl, RevocationReason};
use super::ocsp::OID_KP_OCSP_SIGNING;
use super::ocsp::{OcspCertStatus, OcspResponse, OcspSigner};
use super::path::{self, Policy};
use super::revocation_data::{CrlSet, OcspSet};
use super::roles::{
    OID_KP_DOCUMENT_SIGNER, OID_KP_LICENCE_SIGNER, OID_KP_SEAL_MAKER, OID_KP_STATUS_LIST_SIGNER,
    OID_KP_TSL_SIGNING, ROLE_PURPOSES,
};
use crate::error::Result;
use crate::report::{Reason, ReportKind, Revocation, RevocationStatus, SignatureReport, Time};

/// What the leaf certificate is to be used for: the role it must act in (DESIGN.md
/// "Roles"). [`Usage::check`] holds the rules; they look at the leaf alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Usage {
    /// No usage check beyond the chain itself.
    Any,
    /// Signing GB/T 38540 seals (制章人): the seal-maker purpose, or no eseal role and
    /// `digitalSignature` or `nonRepudiation`.
    SealMaker,
    /// Signing documents with a seal (签章人): the document-signer purpose, or no eseal
    /// role; `digitalSignature` or `nonRepudiation` either way (PDF.md check 10), and a
    /// certificate without key usage is not restricted (RFC 5280 clause 4.2.1.3).
    Signer,
    /// RFC 3161 timestamps: critical EKU with `id-kp-timeStamping` only.
    Timestamping,
    /// Signing licence status lists: the status-list purpose and `digitalSignature`.
    StatusList,
    /// Signing licence QRs: the licence-signer purpose and `digitalSignature`.
    LicenceSigner,
    /// Signing licence trust lists: ETSI TS 119 612 `id-tsl-kp-tslSigning` and
    /// `digitalSignature` or `nonRepudiation`.
    TrustListSigner,
    /// Signing OCSP responses for an issuer (RFC 6960 clause 4.2.2.2): `id-kp-OCSPSigning`
    /// and, when key usage is present, `digitalSignature`.
    OcspSigner,
}

impl Usage {
    /// The name used on the command line, e.g. `seal-maker`.
    pub fn name(self) -> &'static str {
        match self {
            Usage::Any => "any",
            Usage::SealMaker => "seal-maker",
            Usage::Signer => "signer",
            Usage::Timestamping => "tsa",
            Usage::StatusList => "status-list",
            Usage::LicenceSigner => "licence-signer",
            Usage::TrustListSigner => "trust-list",
            Usage::OcspSigner => "ocsp",
        }
    }

    /// The extended key purpose of the role and its name, `None` for [`Usage::Any`].
    pub fn purpose(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Usage::Any => return None,
            Usage::SealMaker => (OID_KP_SEAL_MAKER, "seal maker"),
            Usage::Signer => (OID_KP_DOCUMENT_SIGNER, "document signer"),
            Usage::Timestamping => (OID_KP_TIME_STAMPING, "timeStamping"),
            Usage::StatusList => (OID_KP_STATUS_LIST_SIGNER, "status-list signer"),
            Usage::LicenceSigner => (OID_KP_LICENCE_SIGNER, "licence signer"),
            Usage::TrustListSigner => (OID_KP_TSL_SIGNING, "tslSigning"),
            Usage::OcspSigner => (OID_KP_OCSP_SIGNING, "OCSPSigning"),
        })
    }

    /// Whether `leaf` may act in this role, by its own extensions:
    ///
    /// - a CA certificate (`cA TRUE`) acts as a leaf for [`Usage::Any`] only, even when
    ///   trusted directly;
    /// - a certificate carrying any role purpose (`ROLE_PURPOSES`) acts only in the
    ///   roles it names; `anyExtendedKeyUsage` names none;
    /// - one carrying none (another PKI's) is judged by key usage for seals and documents,
    ///   and never signs a trust list, a status list, a licence or an OCSP response;
    /// - timestamping needs a critical EKU of `id-kp-timeStamping` alone (RFC 3161
    ///   clause 2.3).
    ///
    /// A refusal is [`Reason::UsageNotAllowed`] naming what was needed.
    pub fn check(self, leaf: &Certificate) -> std::result::Result<(), Reason> {
        let Some((purpose, role)) = self.purpose() else {
            return Ok(());
        };
        let refuse = |what: String| {
            Err(Reason::UsageNotAllowed {
                subject: leaf.subject().to_string(),
                required: what,
            })
        };
        if leaf.is_ca() {
            return refuse(format!(
                "an end-entity certificate for the {role} role, not a CA certificate"
            ));
        }
        let oids = leaf.ext_key_usage().map_or(&[][..], |(_, oids)| oids);
        let has_role = oids.iter().any(|o| ROLE_PURPOSES.contains(&o.as_str()));
        let timestamping = self == Usage::Timestamping;
        if !timestamping && (has_role || self.needs_purpose()) && !oids.iter().any(|o| o == purpose)
        {
            return refuse(format!("the extended key usage {role} ({purpose})"));
        }
        let ku = leaf.key_usage();
        match self {
            Usage::Any => Ok(()),
            Usage::Signer if ku.is_some_and(|k| !k.digital_signature && !k.non_repudiation) => {
                refuse("key usage digitalSignature or nonRepudiation".into())
            }
            Usage::SealMaker | Usage::TrustListSigner
                if !ku.is_some_and(|k| k.digital_signature || k.non_repudiation) =>
            {
                refuse("key usage digitalSignature or nonRepudiation".into())
            }
            Usage::StatusList | Usage::LicenceSigner
                if !ku.is_some_and(|k| k.digital_signature) =>
            {
                refuse("key usage digitalSignature".into())
            }
            // RFC 6960 clause 4.2.2.2: a responder without key usage is not restricted.
            Usage::OcspSigner if ku.is_some_and(|k| !k.digital_signature) => {
                refuse("key usage digitalSignature".into())
            }
            Usage::Timestamping => {
                if ku.is_some_and(|k| !k.digital_signature && !k.non_repudiation) {
                    return refuse("key usage digitalSignature".into());
                }
                match leaf.ext_key_usage() {
                    Some((true, oids)) if oids == [OID_KP_TIME_STAMPING] => Ok(()),
                    _ => refuse("a critical extended key usage of timeStamping alone".into()),
                }
            }
            _ => Ok(()),
        }
    }

    /// Whether the role is one eseal defines, which only its own purpose grants.
    fn needs_purpose(self) -> bool {
        !matches!(self, Usage::Any | Usage::SealMaker | Usage::Signer)
    }
}

impl std::str::FromStr for Usage {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "any" => Usage::Any,
            "seal-maker" => Usage::SealMaker,
            "signer" => Usage::Signer,
            "tsa" | "timestamping" => Usage::Timestamping,
            "status-list" => Usage::StatusList,
            "licence-signer" => Usage::LicenceSigner,
            "trust-list" => Usage::TrustListSigner,
            "ocsp" => Usage::OcspSigner,
            other => return Err(crate::Error::Invalid(format!("unknown usage `{other}`"))),
        })
    }
}

/// Trust anchors, intermediate certificates, CRLs and OCSP responses that verification
/// relies on.
///
/// Build it once and share it: validation takes `&self` and the store is `Sync`.
#[derive(Clone, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
    policy: Policy,
    intermediates: Vec<Certificate>,
    crls: CrlSet,
    ocsp: OcspSet,
}

/// The outcome of validating one certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainValidation {
    /// Why the chain is not valid; empty when it is.
    pub reasons: Vec<Reason>,
    /// The validated path, leaf first, anchor last (only the leaf when no path was found).
    pub chain: Vec<Certificate>,
    /// What revocation checking found, in words.
    pub revocation: String,
    /// What revocation checking concluded: the worst finding of the chain.
    pub revocation_status: RevocationStatus,
    /// Facts that did not change the verdict.
    pub warnings: Vec<String>,
}

impl ChainValidation {
    /// Whether the chain is valid for the use at the time asked.
    pub fn is_valid(&self) -> bool {
        self.reasons.is_empty()
    }

    /// What revocation checking found, as a report gives it.
    pub fn revocation_found(&self) -> Revocation {
        Revocation::new(self.revocation_status, self.revocation.clone())
    }

    /// The chain's verdict as a report entry of `kind`.
    pub fn to_report(&self, kind: ReportKind) -> SignatureReport {
        let mut report = SignatureReport::new(kind, self.reasons.clone());
        report.signer = self.chain.first().map(|c| c.subject().to_string());
        report.chain = self.chain.iter().map(Certificate::summary).collect();
        report.revocation = self.revocation_found();
        report.warnings = self.warnings.clone();
        report
    }
}

impl TrustStore {
    /// An empty store: nothing is trusted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `certificate` as an anchor. A directly trusted certificate may also be the
    /// end-entity certificate itself, self-signed or not.
    pub fn add_anchor(&mut self, certificate: Certificate) -> Result<()> {
        if !self.anchors.contains(&certificate) {
            self.anchors.push(certificate);
        }
        Ok(())
    }

    /// Judges paths with `policy` (the default profile unless set).
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// The path validation profile in use.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Trusts every certificate in `input` (PEM bundle or DER); returns how many.
    pub fn add_anchors_from(&mut self, input: &[u8]) -> Result<usize> {
        let certs = read_certificates(input)?;
        let n = certs.len();
        for cert in certs {
            self.add_anchor(cert)?;
        }
        Ok(n)
    }

    /// Adds a CA certificate that paths may go through (it is not trusted by itself).
    pub fn add_intermediate(&mut self, certificate: Certificate) {
        self.intermediates.push(certificate);
    }

    /// Adds a CRL; it is used for the certificates of the issuer that signed it, when
    /// nothing keeps it from deciding them ([`Crl::unusable_for`]).
    ///
    /// Per issuer and scope (the `issuingDistributionPoint`, RFC 5280 clause 5.2.5) the
    /// newest CRL decides ([`Crl::is_newer_than`]): a CRL held already, or one a held CRL
    /// from the same key supersedes, is not added again, and one that supersedes held CRLs
    /// replaces them. Whether two CRLs come from the same key is known once a certificate
    /// of their issuer is in the store; until then an older one is kept beside the newer,
    /// and is used only if the newer one's signature does not verify.
    pub fn add_crl(&mut self, crl: Crl) {
        let known: Vec<&Certificate> = self
            .anchors
            .iter()
            .chain(&self.intermediates)
            .filter(|c| c.subject_der() == crl.issuer_der())
            .collect();
        self.crls.insert(crl, &known);
    }

    /// Adds an OCSP response unless the store holds it already; it is used for the
    /// certificates it gives a status for, when its signer is their issuer or a responder
    /// the issuer delegated to (see [`OcspResponse::verify_signature`] and, for the times
    /// it speaks for, `super::SingleStatus::covers`).
    pub fn add_ocsp_response(&mut self, response: OcspResponse) {
        self.ocsp.insert(response);
    }

    /// The CRLs held ([`Self::add_crl`]).
    pub fn crls(&self) -> impl Iterator<Item = &Crl> {
        self.crls.iter()
    }

    /// The OCSP responses held ([`Self::add_ocsp_response`]).
    pub fn ocsp_responses(&self) -> impl Iterator<Item = &OcspResponse> {
        self.ocsp.iter()
    }

    /// The trust anchors.
    pub fn anchors(&self) -> impl Iterator<Item = &Certificate> {
        self.anchors.iter()
    }

    /// Validates `leaf` for `usage` as of `at`, with `chain` as extra intermediates
    /// (e.g. those that came with a signature). The leaf's role ([`Usage::check`]) is
    /// checked first: a certificate that may not act in it is refused with
    /// [`Reason::UsageNotAllowed`] alone.
    pub fn validate(
        &self,
        leaf: &Certificate,
        chain: &[Certificate],
        at: SystemTime,
        usage: Usage,
    ) -> ChainValidation {
        let mut result = ChainValidation {
            reasons: Vec::new(),
            chain: vec![leaf.clone()],
            revocation: "not checked".into(),
            revocation_status: RevocationStatus::NotChecked,
            warnings: Vec::new(),
        };
        // The leaf's role is its own (DESIGN.md "Roles"): a certificate that may not act
        // in it is refused before any path is built, whatever its path.
        check_usage(leaf, usage, &mut result.reasons);
        if !result.reasons.is_empty() {
            return result;
        }
        let t = unix_seconds(at);
        if self.anchors.contains(leaf) {
            result
                .warnings
                .push("the certificate is trusted directly".into());
            match path::check_pinned(leaf, t, self.policy) {
                Ok(warnings) => result.warnings.extend(warnings),
                Err(reason) => result.reasons.push(reason),
            }
        } else {
            let anchors: Vec<&Certificate> = self.anchors.iter().collect();
            let intermediates: Vec<&Certificate> =
                chain.iter().chain(&self.intermediates).collect();
            match path::build(leaf, &anchors, &intermediates, t, self.policy) {
                Ok(found) => {
                    result.chain = found.certs.into_iter().cloned().collect();
                    result.warnings.extend(found.warnings);
                }
                Err(reason) => {
                    result.reasons.push(reason);
                    return result;
                }
            }
        }
        self.check_revocation(at, &mut result);
        result
    }

    /// RFC 5280 clause 6.3 with the supplied CRLs and OCSP responses: every certificate
    /// below the anchor is looked up in the newest CRL from its issuer and in every OCSP
    /// response that names it; [`decide`] turns what they say into the verdict.
    fn check_revocation(&self, at: SystemTime, result: &mut ChainValidation) {
        if (self.crls.is_empty() && self.ocsp.is_empty()) || result.chain.len() < 2 {
            if self.crls.is_empty() && self.ocsp.is_empty() {
                result
                    .warnings
                    .push("revocation not checked: no CRL or OCSP response supplied".into());
            }
            return;
        }
        let t = unix_seconds(at);
        let mut findings = Vec::new();
        let mut status = RevocationStatus::Good;
        let mut decisions = Vec::new();
        let mut warnings = Vec::new();
        for (i, pair) in result.chain.windows(2).enumerate() {
            let (cert, issuer) = (&pair[0], &pair[1]);
            let mut evidence = Vec::new();
            evidence.extend(self.crl_evidence(cert, issuer, t, &mut warnings));
            evidence.extend(self.ocsp_evidence(cert, issuer, at, &mut warnings));
            let missing = if self.ocsp.is_empty() {
                "no CRL from its issuer was supplied"
            } else {
                "neither a CRL from its issuer nor a usable OCSP response for it was supplied"
            };
            let decision = decide(cert, i > 0, &evidence, missing, t);
            decisions.push(decision);
        }
        result.warnings.extend(warnings);
        for decision in decisions {
            result.reasons.extend(decision.reason);
            result.warnings.extend(decision.warning);
            findings.push(decision.finding);
            status = status.worse(decision.status);
        }
        result.revocation = findings.join("; ");
        result.revocation_status = status;
    }

    /// What the CRLs from `cert`'s issuer say about it: per scope, the newest CRL whose
    /// signature `issuer`'s key verifies (older ones never override it); one that may not
    /// decide `cert` ([`Crl::unusable_for`]) is noted in `warnings` and vouches for nothing.
    fn crl_evidence(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        t: i64,
        warnings: &mut Vec<String>,
    ) -> Vec<Evidence> {
        let mut evidence = Vec::new();
        for scope in self.crls.scopes_of(cert.issuer_der()) {
            let mut newest = None;
            for crl in scope {
                match crl.verify_issued_by(issuer) {
                    Ok(()) => {
                        newest = Some(crl);
                        break;
                    }
                    Err(e) => warnings.push(format!("ignored a CRL from {}: {e}", crl.issuer())),
                }
            }
            let Some(crl) = newest else { continue };
            let source = format!("CRL of {}", rfc3339(crl.this_update_unix()));
            if let Some(why) = crl.unusable_for(cert, issuer) {
                warnings.push(format!(
                    "did not use the {source} from {} for {}: {why}",
                    crl.issuer(),
                    cert.subject()
                ));
                evidence.push(Evidence {
                    source,
                    issued: crl.this_update_unix(),
                    revoked: None,
                    not_covering: Some((
                        format!("the newest CRL from its issuer cannot be used: {why}"),
                        "unusable CRL",
                    )),
                });
                continue;
            }
            let stale = crl.next_update_unix().filter(|next| t > *next);
            evidence.push(Evidence {
                source,
                issued: crl.this_update_unix(),
                revoked: crl.find(cert.serial()).map(|e| (e.revoked_at, e.reason)),
                not_covering: stale.map(|next| {
                    (
                        format!(
                            "the newest CRL from its issuer expired at {}",
                            rfc3339(next)
                        ),
                        "stale CRL",
                    )
                }),
            });
        }
        evidence
    }

    /// What the OCSP responses that name `cert` say about it; responses whose signer may
    /// not speak for `issuer` or whose signature does not verify are ignored with a
    /// warning.
    fn ocsp_evidence(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
        warnings: &mut Vec<String>,
    ) -> Vec<Evidence> {
        let mut evidence = Vec::new();
        for response in self.ocsp.iter() {
            let Some(single) = response.status_of(cert, issuer) else {
                continue;
            };
            let signer = match response
                .verify_signature(issuer)
                .and_then(|signer| response.check_nonce().map(|()| signer))
            {
                Ok(signer) => signer,
                Err(e) => {
                    warnings.push(format!(
                        "ignored an OCSP response from {}: {e}",
                        response.responder()
                    ));
                    continue;
                }
            };
            if let OcspSigner::Delegated {
                subject,
                nocheck: false,
            } = &signer
            {
                warnings.push(format!(
                    "the OCSP responder {subject} has no id-pkix-ocsp-nocheck; its own \
                     revocation status was not checked"
                ));
            }
            let source = format!(
                "OCSP response of {} signed by {signer}",
                rfc3339(single.this_update)
            );
            let not_covering = if single.status == OcspCertStatus::Unknown {
                Some((
                    format!(
                        "the OCSP responder {} does not know it",
                        response.responder()
                    ),
                    "OCSP status unknown",
                ))
            } else if !single.covers(at) {
                Some((
                    format!(
                        "the OCSP response speaks for {} to {}, not for the validation time",
                        rfc3339(single.this_update),
                        rfc3339(single.valid_until())
                    ),
                    "OCSP response outside its validity",
                ))
            } else {
                None
            };
            evidence.push(Evidence {
                source,
                issued: single.this_update,
                revoked: match single.status {
                    OcspCertStatus::Revoked { revoked_at, reason } => Some((revoked_at, reason)),
                    _ => None,
                },
                not_covering,
            });
        }
        evidence
    }
}

/// What one piece of revocation information (a CRL or an OCSP response) says about a
/// certificate; [`decide`] holds the rules that turn it into a verdict, one set for both.
struct Evidence {
    /// Where it comes from, e.g. `CRL of 2026-11-23T14:00:00Z`.
    source: String,
    /// When it was issued: the CRL's or the `SingleResponse`'s `thisUpdate`, Unix seconds.
    issued: i64,
    /// The revocation it records: `revocationDate` / `revocationTime` and reason.
    revoked: Option<(i64, Option<RevocationReason>)>,
    /// Why it does not vouch for an unrevoked certificate at the validation time (a stale
    /// CRL, an OCSP status that does not cover the time or is `unknown`): the detail and
    /// a short form for the summary. A recorded revocation counts all the same.
    not_covering: Option<(String, &'static str)>,
}

/// What a piece of evidence amounts to at the validation time, weakest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Finding {
    Unknown,
    Good,
    ReleasedFromHold,
    RevokedLater,
    OnHold,
    Revoked,
}

impl Evidence {
    fn finding(&self, t: i64) -> Finding {
        match self.revoked {
            Some((_, Some(RevocationReason::RemoveFromCrl))) => Finding::ReleasedFromHold,
            Some((at, Some(RevocationReason::CertificateHold))) if at <= t => Finding::OnHold,
            Some((at, _)) if at <= t => Finding::Revoked,
            Some(_) => Finding::RevokedLater,
            None if self.not_covering.is_some() => Finding::Unknown,
            None => Finding::Good,
        }
    }
}

/// What [`decide`] concluded about one certificate.
#[derive(Default)]
struct Decision {
    reason: Option<Reason>,
    warning: Option<String>,
    /// One entry of [`ChainValidation::revocation`].
    finding: String,
    /// What the entry concludes.
    status: RevocationStatus,
}

/// The revocation verdict for `cert` (`ca`: a CA certificate of the chain) from all the
/// evidence about it: a revocation from any source wins (a hold counts, below a
/// revocation, unless a newer source vouches for the certificate), then any source that
/// vouches for it, else its status is unknown — a reason for the leaf, a warning for a
/// CA. `missing` says why there is no evidence.
fn decide(cert: &Certificate, ca: bool, evidence: &[Evidence], missing: &str, t: i64) -> Decision {
    let subject = cert.subject();
    let unknown = |detail: String, short: &str| {
        let finding = format!("{subject}: unknown ({short})");
        if ca {
            Decision {
                warning: Some(format!("{subject}: {detail}")),
                finding,
                status: RevocationStatus::Unknown,
                ..Default::default()
            }
        } else {
            Decision {
                reason: Some(Reason::RevocationUnknown {
                    subject: subject.to_string(),
                    detail,
                }),
                finding,
                status: RevocationStatus::Unknown,
                ..Default::default()
            }
        }
    };
    let released_later = |hold: &Evidence| {
        evidence.iter().any(|e| {
            e.issued > hold.issued
                && matches!(e.finding(t), Finding::Good | Finding::ReleasedFromHold)
        })
    };
    let Some((best, finding)) = evidence
        .iter()
        .map(|e| match e.finding(t) {
            Finding::OnHold if released_later(e) => (e, Finding::Unknown),
            f => (e, f),
        })
        .rev()
        .max_by_key(|(_, f)| *f)
    else {
        return if ca {
            Decision {
                warning: Some(format!("revocation of {subject} not checked: {missing}")),
                finding: format!("{subject}: not checked"),
                ..Default::default()
            }
        } else {
            unknown(missing.to_string(), "no revocation information")
        };
    };
    let (revoked_at, reason) = best.revoked.unwrap_or_default();
    match finding {
        Finding::Revoked => Decision {
            reason: Some(Reason::CertificateRevoked {
                subject: subject.to_string(),
                serial: cert.serial_hex(),
                revoked_at: Time::from_unix(revoked_at),
                reason: reason.map(|r| r.to_string()),
                ca,
            }),
            finding: format!("{subject}: revoked ({})", best.source),
            status: RevocationStatus::Revoked,
            ..Default::default()
        },
        Finding::OnHold => Decision {
            reason: Some(Reason::CertificateOnHold {
                subject: subject.to_string(),
                serial: cert.serial_hex(),
            }),
            finding: format!("{subject}: on hold ({})", best.source),
            status: RevocationStatus::OnHold,
            ..Default::default()
        },
        Finding::RevokedLater => Decision {
            warning: Some(format!(
                "{subject} was revoked at {}, after the validation time",
                rfc3339(revoked_at)
            )),
            finding: format!("{subject}: good at the validation time ({})", best.source),
            status: RevocationStatus::Good,
            ..Default::default()
        },
        Finding::ReleasedFromHold => Decision {
            finding: format!("{subject}: released from hold ({})", best.source),
            status: RevocationStatus::Good,
            ..Default::default()
        },
        Finding::Good => {
            let sources: Vec<&str> = evidence
                .iter()
                .filter(|e| e.finding(t) == Finding::Good)
                .map(|e| e.source.as_str())
                .collect();
            Decision {
                finding: format!("{subject}: good ({})", sources.join(", ")),
                status: RevocationStatus::Good,
                ..Default::default()
            }
        }
        Finding::Unknown => {
            let (detail, short) = best.not_covering.clone().unwrap_or_default();
            unknown(detail, short)
        }
    }
}

/// eseal's role rules for the leaf ([`Usage::check`]).
fn check_usage(leaf: &Certificate, usage: Usage, reasons: &mut Vec<Reason>) {
    if let Err(reason) = usage.check(leaf) {
        reasons.push(reason);
    }
}
