//! Proofs of existence (ETSI EN 319 102-1 clause 5.6.2): a verified timestamp shows that a
//! signature existed at its time, so a certificate that expired or was revoked only later
//! does not spoil it.

use std::time::SystemTime;

use crate::report::{Reason, Time};

/// Findings of checks made as of one time: reasons, notes, and what else they produced.
pub struct Findings<T> {
    /// Why the checks fail; empty when they pass.
    pub reasons: Vec<Reason>,
    /// Notes that do not change the verdict.
    pub warnings: Vec<String>,
    /// Whatever the checks produced besides (a validated chain, ...).
    pub value: T,
}

/// Runs `check` as of `at`; when it fails only through lapses that may have come after the
/// proof of existence `poe` (expiries, revocations dated after it), runs it as of `poe`
/// instead. What passes then passes, with the lapses as notes; an expiry found as of the
/// proof is final ([`Reason::CertificateExpiredBeforePoe`]).
pub fn as_of_proof<T>(
    at: SystemTime,
    poe: Option<SystemTime>,
    check: impl Fn(SystemTime) -> Findings<T>,
) -> Findings<T> {
    let now = check(at);
    let Some(poe) = poe else {
        return now;
    };
    if now.reasons.is_empty() || !lapsed_since(&now.reasons, poe) {
        return now;
    }
    let mut then = check(poe);
    let poe_text = Time::from(poe);
    if then.reasons.is_empty() {
        then.warnings.extend(
            now.reasons
                .iter()
                .map(|r| format!("valid at the proof of existence {poe_text}; since then: {r}")),
        );
    } else {
        then.reasons = then
            .reasons
            .iter()
            .map(|r| match r {
                Reason::CertificateExpired { subject, not_after } => {
                    Reason::CertificateExpiredBeforePoe {
                        subject: subject.clone(),
                        not_after: *not_after,
                        poe: poe_text,
                    }
                }
                other => other.clone(),
            })
            .collect();
    }
    then
}

/// Whether every one of `reasons` is a lapse that may have come after `poe`: an expiry (of
/// a certificate or of an e-seal) or a revocation dated after it.
fn lapsed_since(reasons: &[Reason], poe: SystemTime) -> bool {
    reasons.iter().all(|r| match r {
        Reason::CertificateExpired { .. } | Reason::SealExpired { .. } => true,
        Reason::CertificateRevoked { revoked_at, .. } => revoked_at.to_system_time() > poe,
        _ => false,
    })
}
