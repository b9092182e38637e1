//! Verifying a licence QR end to end, offline (LICENCE.md §3 stages through STATUS):
//! PREFIX → BASE45 → ZLIB → COSE → CLAIMS → KID → SIGNATURE → BINDING → CHECK CHARACTERS
//! → TIME → STATUS, against a [`VerifiedTrustList`] and the [`StatusLists`] at hand.
//!
//! The result names the failing stage ([`LicenceFailure`]), keeps what a verifier reports
//! but does not fail on ([`LicenceWarning`]) and becomes the shared
//! [`SignatureReport`] with [`LicenceVerification::to_report`]. Fails closed: anything
//! unknown (signer, status) is INDETERMINATE, never valid; a status that cannot be
//! established is never "revoked" (LICENCE.md §5).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;
use std::time::SystemTime;

use super::compact::{self, CompactError, LicenceClaims, LicenceFields, Stage, TokenRef};
use super::compact::{StatusReference, sig_structure};
use super::identifiers::{LicenceId, ResidentId, Uscc, Warning};
use super::status_list::{
    LicenceStatus, StatusListError, VerifiedStatusList, peek_status_list, verify_status_list,
};
use super::trust_list::{CLOCK_SKEW, KeyRef, Office, VerifiedTrustList};
use crate::pki::{Usage, rfc3339, unix_seconds};
pub use crate::report::Indication;
use crate::report::{
    Reason, ReportKind, Revocation, RevocationStatus, SignatureReport, Time, TimeSource,
};

/// `ht` of a USCC holder code (GB 32100, LICENCE.md §1).
pub const HOLDER_TYPE_USCC: &str = "001";
/// `ht` of a resident identity number holder code (GB 11643, LICENCE.md §1).
pub const HOLDER_TYPE_RESIDENT_ID: &str = "111";

/// Status List Tokens at hand, filed by URI (LICENCE.md §5 "cache per URI").
///
/// **Newest wins**: for one URI the list with the latest `iat` decides, whatever the order
/// lists were added in. An older list (a replay within its validity) never changes a
/// verdict; it is kept only to be reported ([`LicenceWarning::StatusListSuperseded`]).
/// Two different lists with the same `iat` for one URI contradict each other: that URI
/// answers [`StatusListError::Conflict`] (STATUS_UNKNOWN) until a newer list arrives. A
/// list whose `iat` cannot be read counts as the newest, so that it cannot be outdated by
/// a list that can: its URI answers why it is malformed.
///
/// Each token is verified on its first lookup (signer found by its `kid` among the trust
/// list's keys, URI under that office's `sl`) and the outcome kept: later lookups cost a
/// hash lookup and a bit extraction. The cache belongs to one trust list (issuer, `seq`,
/// `iat`); a lookup against another list verifies afresh without caching.
#[derive(Debug, Default)]
pub struct StatusLists {
    entries: HashMap<String, UriLists>,
    unreadable: Vec<String>,
}

/// The lists of one URI: those with the latest `iat` (one, unless they conflict) and the
/// `iat`s of older ones.
#[derive(Debug)]
struct UriLists {
    /// `Some(iat)`, or `None` when the `iat` cannot be read (then newer than any).
    iat: Option<i64>,
    newest: Vec<StatusEntry>,
    superseded: Vec<i64>,
}

#[derive(Debug)]
struct StatusEntry {
    token: Vec<u8>,
    verified: OnceLock<CheckedList>,
}

/// A token's verification outcome and the trust list it was made against.
#[derive(Debug)]
struct CheckedList {
    trust: (String, u64, i64),
    outcome: Result<SignedList, StatusListError>,
}

/// A verified list and the code of the office whose key signed it.
#[derive(Debug)]
struct SignedList {
    office: String,
    list: VerifiedStatusList,
}

/// What filing a Status List Token did ([`StatusLists::insert`], [`StatusLists::add`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filed {
    /// The first list of its URI, or newer than those before it: it decides.
    Newest,
    /// The same bytes as a list already filed: nothing changed.
    Duplicate,
    /// Older than the list filed for its URI (a replay): it changes nothing and is
    /// reported as superseded.
    Superseded {
        /// The token's `iat`.
        iat: i64,
        /// The `iat` of the list that decides.
        newest: i64,
    },
    /// Another list of the URI has the same `iat` and different content: the URI answers
    /// [`StatusListError::Conflict`] until a newer list is filed.
    Conflict {
        /// The shared `iat`.
        iat: i64,
    },
}

impl Filed {
    /// The warning or refusal that filing `uri`'s token gives, named as
    /// `STATUS_LIST_SUPERSEDED` or `STATUS_LIST_CONFLICT`; `None` when it was filed
    /// without remark.
    pub fn remark(&self, uri: &str) -> Option<String> {
        match self {
            Filed::Newest | Filed::Duplicate => None,
            Filed::Superseded { iat, newest } => Some(
                LicenceWarning::StatusListSuperseded {
                    uri: uri.to_string(),
                    iat: *iat,
                    newest: *newest,
                }
                .to_string(),
            ),
            Filed::Conflict { iat } => Some(format!(
                "STATUS_LIST_CONFLICT: {}",
                StatusListError::Conflict {
                    uri: uri.to_string(),
                    iat: *iat
                }
            )),
        }
    }
}

impl StatusLists {
    /// No lists: every licence naming one is STATUS_UNKNOWN.
    pub fn new() -> Self {
        StatusLists::default()
    }

    /// Files `token` under `uri`, the URI it was fetched from; its `sub` must say the same
    /// (LICENCE.md §5), which is checked on lookup. The newest list of a URI decides (see
    /// [`StatusLists`]); the answer says where this one stands.
    pub fn insert(&mut self, uri: &str, token: Vec<u8>) -> Filed {
        let iat = peek_status_list(&token).ok().and_then(|t| t.iat);
        let entry = StatusEntry {
            token,
            verified: OnceLock::new(),
        };
        let Some(lists) = self.entries.get_mut(uri) else {
            let lists = UriLists {
                iat,
                newest: vec![entry],
                superseded: Vec::new(),
            };
            self.entries.insert(uri.to_string(), lists);
            return Filed::Newest;
        };
        // `None` (unreadable) sorts after every readable `iat`.
        let order = |iat: Option<i64>| (iat.is_none(), iat);
        match order(iat).cmp(&order(lists.iat)) {
            std::cmp::Ordering::Greater => {
                lists.superseded.extend(lists.iat);
                lists.iat = iat;
                lists.newest = vec![entry];
                Filed::Newest
            }
            std::cmp::Ordering::Less => {
                let (iat, newest) = (iat.unwrap_or(i64::MIN), lists.iat.unwrap_or(i64::MAX));
                lists.superseded.push(iat);
                Filed::Superseded { iat, newest }
            }
            std::cmp::Ordering::Equal => {
                if lists.newest.iter().any(|e| e.token == entry.token) {
                    return Filed::Duplicate;
                }
                lists.newest.push(entry);
                Filed::Conflict {
                    iat: iat.unwrap_or(i64::MAX),
                }
            }
        }
    }

    /// Files `token` under the URI its own `sub` claims (for lists read from files) and
    /// returns that URI; a token without a readable `sub` and `iat` is refused. See
    /// [`StatusLists::file`] for where the token stands.
    pub fn add(&mut self, token: Vec<u8>) -> Result<String, StatusListError> {
        self.file(token).map(|(uri, _)| uri)
    }

    /// [`StatusLists::add`], also saying where the token stands
    /// ([`StatusLists::insert`]).
    pub fn file(&mut self, token: Vec<u8>) -> Result<(String, Filed), StatusListError> {
        let peeked = peek_status_list(&token)?;
        let uri = peeked
            .uri
            .ok_or_else(|| StatusListError::Malformed("sub (2) absent or not text".into()))?;
        if peeked.iat.is_none() {
            return Err(StatusListError::Malformed(
                "iat (6) absent or not an integer".into(),
            ));
        }
        let filed = self.insert(&uri, token);
        Ok((uri, filed))
    }

    /// Records a status list that could not be read at all (`what` says which and why):
    /// it may be the newest list of any URI, so every licence looked up here is
    /// STATUS_UNKNOWN ([`StatusListError::Unreadable`]), never valid.
    pub fn add_unreadable(&mut self, what: String) {
        self.unreadable.push(what);
    }

    /// The number of URIs with a list filed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no list is filed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.unreadable.is_empty()
    }

    /// The `iat`s of the lists of `uri` that a newer one superseded, sorted, each once.
    pub fn superseded(&self, uri: &str) -> Vec<i64> {
        let mut iats = self
            .entries
            .get(uri)
            .map_or_else(Vec::new, |l| l.superseded.clone());
        iats.sort_unstable();
        iats.dedup();
        iats
    }

    /// The status of `reference` for a licence of `office`, as of `at`, and the `iat` of
    /// the list that says so.
    fn status(
        &self,
        reference: &StatusReference<&str>,
        office: &Office,
        trust: &VerifiedTrustList,
        at: SystemTime,
    ) -> (LicenceStatus, Option<i64>) {
        let unknown = |reason| (LicenceStatus::Unknown { reason }, None);
        if !self.unreadable.is_empty() {
            return unknown(StatusListError::Unreadable(self.unreadable.join("; ")));
        }
        let Some(lists) = self.entries.get(reference.uri) else {
            return unknown(StatusListError::Missing);
        };
        let entry = match &lists.newest[..] {
            [entry] => entry,
            _ => {
                return unknown(StatusListError::Conflict {
                    uri: reference.uri.to_string(),
                    iat: lists.iat.unwrap_or(i64::MAX),
                });
            }
        };
        let fresh;
        let cached = entry
            .verified
            .get_or_init(|| CheckedList::new(&entry.token, reference.uri, trust, at));
        let checked = if cached.is_for(trust) {
            cached
        } else {
            fresh = CheckedList::new(&entry.token, reference.uri, trust, at);
            &fresh
        };
        match &checked.outcome {
            Err(reason) => unknown(reason.clone()),
            Ok(signed) if signed.office != office.code => unknown(StatusListError::OtherOffice {
                signer: signed.office.clone(),
                licence: office.code.clone(),
            }),
            Ok(signed) => (
                signed.list.status(reference.idx, at),
                Some(signed.list.issued_at()),
            ),
        }
    }
}

impl CheckedList {
    fn new(token: &[u8], uri: &str, trust: &VerifiedTrustList, at: SystemTime) -> Self {
        CheckedList {
            trust: (trust.issuer().to_string(), trust.seq(), trust.issued_at()),
            outcome: verify_signed_list(token, uri, trust, at),
        }
    }

    fn is_for(&self, trust: &VerifiedTrustList) -> bool {
        let (issuer, seq, iat) = &self.trust;
        *seq == trust.seq() && *iat == trust.issued_at() && issuer == trust.issuer()
    }
}

/// Verifies a Status List Token for `uri`: the signer is a trust-list key with the token's
/// `kid` (each one tried), not revoked, and `uri` lies under its office's `sl` (LICENCE.md
/// §5).
fn verify_signed_list(
    token: &[u8],
    uri: &str,
    trust: &VerifiedTrustList,
    at: SystemTime,
) -> Result<SignedList, StatusListError> {
    let kid = peek_status_list(token)?.kid.unwrap_or_default();
    let unknown = || StatusListError::UnknownSigner(hex::encode(&kid));
    let kid8 = <[u8; 8]>::try_from(kid.as_slice()).map_err(|_| unknown())?;
    let mut last = unknown();
    for key in trust.key_refs(kid8) {
        match verify_status_list(token, &key.key.certificate, uri, at) {
            Ok(list) => {
                return signer_may_publish(key, uri).map(|()| SignedList {
                    office: key.office.code.clone(),
                    list,
                });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Whether the listed `key` that signed a status list may publish the one at `uri`: not
/// revoked, a status-list signer (its certificate's role, DESIGN.md "Roles"), `uri` under
/// its office's `sl` (LICENCE.md §5).
fn signer_may_publish(key: KeyRef<'_>, uri: &str) -> Result<(), StatusListError> {
    let office = || key.office.code.clone();
    if key.key.revoked_at.is_some() {
        return Err(StatusListError::SignerKeyRevoked { office: office() });
    }
    let cert = &key.key.certificate;
    if let Err(reason) = Usage::StatusList.check(cert) {
        let (subject, required) = match reason {
            Reason::UsageNotAllowed { subject, required } => (subject, required),
            other => (cert.subject().to_string(), other.to_string()),
        };
        return Err(StatusListError::UsageNotAllowed { subject, required });
    }
    if !key.office.has_status_list(uri) {
        return Err(StatusListError::UriNotUnderOffice {
            uri: uri.to_string(),
            office: office(),
        });
    }
    Ok(())
}

/// How the STATUS stage runs.
#[derive(Clone, Copy, Debug)]
pub enum StatusCheck<'a> {
    /// Look the licence up in these lists; a licence naming a list that is not among them
    /// is STATUS_UNKNOWN (fail closed).
    Lists(&'a StatusLists),
    /// Skip STATUS (offline checks only); the result carries
    /// [`LicenceWarning::StatusSkipped`] and its report says "not checked".
    Skip,
}

/// Why a licence QR is not TOTAL-PASSED, by stage (LICENCE.md §3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LicenceFailure {
    /// PREFIX … CLAIMS: decoding failed (a `sub` that is no GB/T 36904 identifier is a
    /// CLAIMS failure).
    #[error("{0}")]
    Format(CompactError),
    /// The trust list is past its `exp` (LICENCE.md §4 `TRUST_LIST_STALE`).
    #[error("the trust list expired at {exp}")]
    TrustListStale {
        /// The list's `exp`, Unix seconds.
        exp: i64,
    },
    /// KID: no listed key has the token's `kid` (LICENCE.md §4: unknown signer).
    #[error("KID: unknown signer, kid {0} is not listed")]
    UnknownSigner(String),
    /// SIGNATURE: keys are listed under the `kid` but none verifies.
    #[error("SIGNATURE: no listed key with this kid verifies ({0})")]
    BadSignature(String),
    /// The verifying key is revoked (`rv`): every token under it fails (LICENCE.md §4).
    #[error("the signing key of {office} was revoked at {revoked_at}")]
    KeyRevoked {
        /// The office's code.
        office: String,
        /// `rv`, Unix seconds.
        revoked_at: i64,
    },
    /// BINDING: `iss` is not the key's office code, the `sub` issuer segment is neither it
    /// nor an `alt`, or `iat` is missing, in the future, or outside the certificate and
    /// listing.
    #[error("BINDING: {0}")]
    Binding(String),
    /// TIME: not in force yet (`at < nbf`).
    #[error("TIME: not in force before {nbf}")]
    NotYetValid {
        /// `nbf`, Unix seconds.
        nbf: i64,
    },
    /// TIME: expired (`at ≥ exp`).
    #[error("TIME: expired at {exp}")]
    Expired {
        /// `exp`, Unix seconds.
        exp: i64,
    },
    /// STATUS: entry 1, INVALID (revoked, cancelled, withdrawn, lapsed).
    #[error("STATUS: revoked (entry {} of {})", .0.idx, .0.uri)]
    Revoked(StatusReference),
    /// STATUS: entry 2, SUSPENDED.
    #[error("STATUS: suspended (entry {} of {})", .0.idx, .0.uri)]
    Suspended(StatusReference),
    /// STATUS: entry 3, TRANSFERRED.
    #[error("STATUS: transferred (entry {} of {})", .0.idx, .0.uri)]
    Transferred(StatusReference),
    /// STATUS: no answer, and why (LICENCE.md §5 UNKNOWN).
    #[error("STATUS: {reason} for {} (entry {})", .reference.uri, .reference.idx)]
    StatusUnknown {
        /// The licence's status reference.
        reference: StatusReference,
        /// Why there is no answer.
        reason: StatusListError,
    },
    /// The listed key that verified the licence is no licence signer (DESIGN.md "Roles").
    #[error(
        "the key that signed the licence, {subject}, is no licence signer: it needs {required}"
    )]
    UsageNotAllowed {
        /// The signer certificate's subject.
        subject: String,
        /// What the role needs, from [`Usage::check`].
        required: String,
    },
}

impl LicenceFailure {
    /// The report's reason for this failure.
    pub fn reason(&self) -> Reason {
        let time = |t: &i64| Time::from_unix(*t);
        match self {
            LicenceFailure::Format(e) => Reason::LicenceFormat {
                stage: e.stage.name().to_string(),
                detail: e.detail.clone(),
            },
            LicenceFailure::TrustListStale { exp } => Reason::TrustListStale {
                expired_at: time(exp),
            },
            LicenceFailure::UnknownSigner(kid) => Reason::UnknownSigner { kid: kid.clone() },
            LicenceFailure::BadSignature(_) => Reason::SignatureInvalid,
            LicenceFailure::KeyRevoked { office, revoked_at } => Reason::KeyRevoked {
                office: office.clone(),
                revoked_at: time(revoked_at),
            },
            LicenceFailure::Binding(d) => Reason::Binding(d.clone()),
            LicenceFailure::NotYetValid { nbf } => Reason::NotYetValid {
                not_before: time(nbf),
            },
            LicenceFailure::Expired { exp } => Reason::Expired { expires: time(exp) },
            LicenceFailure::Revoked(r) => Reason::LicenceRevoked {
                uri: r.uri.clone(),
                index: r.idx,
            },
            LicenceFailure::Suspended(r) => Reason::LicenceSuspended {
                uri: r.uri.clone(),
                index: r.idx,
            },
            LicenceFailure::Transferred(r) => Reason::LicenceTransferred {
                uri: r.uri.clone(),
                index: r.idx,
            },
            LicenceFailure::StatusUnknown {
                reason: StatusListError::UsageNotAllowed { subject, required },
                ..
            }
            | LicenceFailure::UsageNotAllowed { subject, required } => Reason::UsageNotAllowed {
                subject: subject.clone(),
                required: required.clone(),
            },
            LicenceFailure::StatusUnknown { reference, reason } => Reason::StatusUnknown {
                uri: reference.uri.clone(),
                index: reference.idx,
                detail: reason.to_string(),
            },
        }
    }
}

/// What a verifier reports about a licence but does not fail on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LicenceWarning {
    /// CHECK CHARACTERS (LICENCE.md §2 "Rule"): a bad check character or other warning in
    /// the `sub` identifier or in `hc`.
    Identifier {
        /// `sub` or `hc`.
        claim: &'static str,
        /// The warning.
        warning: Warning,
    },
    /// `hc` cannot be read as the code its `ht` names.
    HolderCode(String),
    /// The licence names no status list, so there was nothing to look up.
    NoStatusReference,
    /// STATUS was skipped at the caller's request ([`StatusCheck::Skip`]).
    StatusSkipped,
    /// `STATUS_LIST_SUPERSEDED`: a list of the licence's URI older than the one that
    /// decided was given; it changed nothing (LICENCE.md §5 "newest wins").
    StatusListSuperseded {
        /// The list's URI.
        uri: String,
        /// The older list's `iat`.
        iat: i64,
        /// The `iat` of the list that decided.
        newest: i64,
    },
}

impl fmt::Display for LicenceWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LicenceWarning::Identifier { claim, warning } => write!(f, "{claim}: {warning}"),
            LicenceWarning::HolderCode(d) => write!(f, "hc: {d}"),
            LicenceWarning::NoStatusReference => {
                f.write_str("the licence names no status list; its status was not checked")
            }
            LicenceWarning::StatusSkipped => f.write_str("status not checked (skipped)"),
            LicenceWarning::StatusListSuperseded { uri, iat, newest } => write!(
                f,
                "STATUS_LIST_SUPERSEDED: the status list {uri} issued at {} is older than \
                 the one issued at {} and was not used",
                rfc3339(*iat),
                rfc3339(*newest)
            ),
        }
    }
}

/// How far the STATUS stage got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StatusOutcome {
    /// An earlier stage failed.
    #[default]
    NotReached,
    /// Skipped at the caller's request.
    Skipped,
    /// The licence names no status list.
    NoReference,
    /// Looked up.
    Checked {
        /// The licence's status reference.
        reference: StatusReference,
        /// What the list says.
        status: LicenceStatus,
        /// The `iat` of the list that says so: the time it states status at (LICENCE.md §5).
        as_of: Option<i64>,
    },
}

impl StatusOutcome {
    /// What the STATUS stage amounts to as a report's revocation status.
    pub fn revocation_status(&self) -> RevocationStatus {
        match self {
            StatusOutcome::NotReached | StatusOutcome::Skipped | StatusOutcome::NoReference => {
                RevocationStatus::NotChecked
            }
            StatusOutcome::Checked { status, .. } => match status {
                LicenceStatus::Valid => RevocationStatus::Good,
                LicenceStatus::Revoked => RevocationStatus::Revoked,
                LicenceStatus::Suspended => RevocationStatus::Suspended,
                LicenceStatus::Transferred => RevocationStatus::Transferred,
                LicenceStatus::Unknown { .. } => RevocationStatus::Unknown,
            },
        }
    }
}

impl fmt::Display for StatusOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusOutcome::NotReached => f.write_str("not checked"),
            StatusOutcome::Skipped => f.write_str("not checked (skipped)"),
            StatusOutcome::NoReference => f.write_str("not checked (no status list named)"),
            StatusOutcome::Checked {
                reference,
                status,
                as_of,
            } => {
                let what = match status {
                    LicenceStatus::Valid => "VALID",
                    LicenceStatus::Revoked => "INVALID (revoked)",
                    LicenceStatus::Suspended => "SUSPENDED",
                    LicenceStatus::Transferred => "TRANSFERRED",
                    LicenceStatus::Unknown { .. } => "unknown",
                };
                write!(
                    f,
                    "status list {} entry {}: {what}",
                    reference.uri, reference.idx
                )?;
                match as_of {
                    Some(iat) => write!(f, " as of {}", rfc3339(*iat)),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The office whose key verified the licence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerOffice {
    /// `c`: its code.
    pub code: String,
    /// `n`: its name.
    pub name: String,
}

/// The outcome of [`verify_licence_qr`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenceVerification {
    /// The failing stage; `None` when TOTAL-PASSED.
    pub failure: Option<LicenceFailure>,
    /// What did not change the verdict but a person should know.
    pub warnings: Vec<LicenceWarning>,
    /// The COSE_Sign1 bytes, kept once the token decoded, for [`Self::claims`].
    cose: Option<Vec<u8>>,
    /// The parsed `sub`, once the signature verified.
    pub identifier: Option<LicenceId>,
    /// The office whose key verified the signature.
    pub office: Option<SignerOffice>,
    /// The STATUS stage.
    pub status: StatusOutcome,
}

impl LicenceVerification {
    /// The claims, once decoded (not yet trustworthy when the signature failed); they
    /// borrow from the token the result keeps.
    pub fn claims(&self) -> Option<LicenceClaims<&str>> {
        let cose = self.cose.as_deref()?;
        compact::decode_cose_ref(cose).ok().map(|t| t.claims)
    }

    /// The main indication: that of the failure's [`Reason`], TOTAL-PASSED without one.
    pub fn indication(&self) -> Indication {
        self.failure
            .as_ref()
            .map_or(Indication::TotalPassed, |f| f.reason().verdict().0)
    }

    /// Whether every stage passed.
    pub fn is_passed(&self) -> bool {
        self.failure.is_none()
    }

    /// The shared report (kind `licence`): signer = office code and name, signing time =
    /// `iat` (claimed), revocation = the STATUS stage, warnings = check characters and
    /// status notes.
    pub fn to_report(&self) -> SignatureReport {
        let mut report = SignatureReport::new(
            ReportKind::Licence,
            self.failure.iter().map(LicenceFailure::reason).collect(),
        );
        report.signer = self
            .office
            .as_ref()
            .map(|o| format!("{} {}", o.code, o.name));
        report.signing_time = self.claims().and_then(|c| c.issued_at).map(Time::from_unix);
        report.signing_time_source = report.signing_time.map(|_| TimeSource::Claimed);
        report.revocation =
            Revocation::new(self.status.revocation_status(), self.status.to_string());
        report.warnings = self.warnings.iter().map(ToString::to_string).collect();
        report
    }
}

impl fmt::Display for LicenceVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => f.write_str("TOTAL-PASSED"),
            Some(failure) => write!(f, "{}: {failure}", self.indication()),
        }
    }
}

/// Verifies a licence QR offline against a verified trust list as of `at`, through every
/// stage of LICENCE.md §3:
///
/// - PREFIX … CLAIMS: `compact::decode_qr`, and `sub` parses as a [`LicenceId`];
/// - the trust list is not past its `exp` (TRUST_LIST_STALE, §4);
/// - KID, SIGNATURE: every listed key with the token's `kid` is tried (§4); none listed →
///   INDETERMINATE, none verifying → TOTAL-FAILED; a key whose certificate is no licence
///   signer fails (USAGE_NOT_ALLOWED, DESIGN.md "Roles"); a revoked key (`rv`) fails;
/// - BINDING: `iss`, if present, = the key's office code; the `sub` issuer segment =
///   that code or an `alt`; `iat` present, not after `at` + 300 s, inside the certificate's validity and
///   the key's listing (`nb`..`na`);
/// - CHECK CHARACTERS: warnings for `sub`, and for `hc` when `ht` is 001 or 111 (§2);
/// - TIME: `nbf ≤ at < exp` (`nbf` as [`LicenceClaims::effective_not_before`]);
/// - STATUS (§5): per `status`; 0 passes, 1 TOTAL-FAILED, 2 and 3 INDETERMINATE, no
///   answer INDETERMINATE with the reason. The list states status at its `iat`.
pub fn verify_licence_qr(
    qr: &str,
    trust: &VerifiedTrustList,
    status: StatusCheck<'_>,
    at: SystemTime,
) -> LicenceVerification {
    let mut outcome = LicenceVerification::default();
    let cose = match compact::inflate_qr(qr) {
        Ok(cose) => cose,
        Err(e) => {
            outcome.failure = Some(LicenceFailure::Format(e));
            return outcome;
        }
    };
    match compact::decode_cose_ref(&cose) {
        Ok(token) => outcome.failure = run_stages(&token, trust, status, at, &mut outcome).err(),
        Err(e) => {
            outcome.failure = Some(LicenceFailure::Format(e));
            return outcome;
        }
    }
    outcome.cose = Some(cose);
    outcome
}

/// The failure of a licence QR that does not decode (PREFIX … CLAIMS, and a `sub` that
/// is no GB/T 36904 identifier); `None` when it decodes. No trust list is needed.
pub fn format_failure(qr: &str) -> Option<LicenceFailure> {
    let cose = match compact::inflate_qr(qr) {
        Ok(cose) => cose,
        Err(e) => return Some(LicenceFailure::Format(e)),
    };
    match compact::decode_cose_ref(&cose) {
        Ok(token) => parse_subject(token.claims.subject).err(),
        Err(e) => Some(LicenceFailure::Format(e)),
    }
}

fn run_stages(
    token: &TokenRef<'_>,
    trust: &VerifiedTrustList,
    status: StatusCheck<'_>,
    at: SystemTime,
    out: &mut LicenceVerification,
) -> Result<(), LicenceFailure> {
    let claims = &token.claims;
    let identifier = parse_subject(claims.subject)?;
    let now = unix_seconds(at);
    if now > trust.expires_at() {
        return Err(LicenceFailure::TrustListStale {
            exp: trust.expires_at(),
        });
    }
    let key = verify_signature(token, trust)?;
    out.office = Some(SignerOffice {
        code: key.office.code.clone(),
        name: key.office.name.clone(),
    });
    check_key_role(key)?;
    check_key_not_revoked(key)?;
    check_binding(claims, &identifier, key, now)?;
    out.warnings = check_characters(&identifier, &claims.licence);
    out.identifier = Some(identifier);
    check_time(claims, now)?;
    check_status(claims, key.office, trust, status, at, out)
}

fn parse_subject(subject: &str) -> Result<LicenceId, LicenceFailure> {
    subject.parse().map_err(|e| {
        LicenceFailure::Format(CompactError {
            stage: Stage::Claims,
            detail: format!("`sub`: {e}"),
        })
    })
}

/// KID and SIGNATURE: the first listed key with the token's `kid` that verifies.
fn verify_signature<'a>(
    token: &TokenRef<'_>,
    trust: &'a VerifiedTrustList,
) -> Result<KeyRef<'a>, LicenceFailure> {
    let message = sig_structure(token.protected, token.payload);
    let mut errors = Vec::new();
    let kid = <[u8; 8]>::try_from(token.kid).ok();
    for key in kid.into_iter().flat_map(|kid| trust.key_refs(kid)) {
        match key.verify_cose(token.alg, &message, token.signature) {
            Ok(()) => return Ok(key),
            Err(e) => errors.push(format!("{}: {e}", key.office.code)),
        }
    }
    Err(if errors.is_empty() {
        LicenceFailure::UnknownSigner(hex::encode(token.kid))
    } else {
        LicenceFailure::BadSignature(errors.join("; "))
    })
}

/// The key that verified the licence is a licence signer (DESIGN.md "Roles").
fn check_key_role(key: KeyRef<'_>) -> Result<(), LicenceFailure> {
    let cert = &key.key.certificate;
    Usage::LicenceSigner
        .check(cert)
        .map_err(|reason| match reason {
            Reason::UsageNotAllowed { subject, required } => {
                LicenceFailure::UsageNotAllowed { subject, required }
            }
            other => LicenceFailure::UsageNotAllowed {
                subject: cert.subject().to_string(),
                required: other.to_string(),
            },
        })
}

fn check_key_not_revoked(key: KeyRef<'_>) -> Result<(), LicenceFailure> {
    match key.key.revoked_at {
        Some(revoked_at) => Err(LicenceFailure::KeyRevoked {
            office: key.office.code.clone(),
            revoked_at,
        }),
        None => Ok(()),
    }
}

fn check_binding(
    claims: &LicenceClaims<&str>,
    identifier: &LicenceId,
    key: KeyRef<'_>,
    now: i64,
) -> Result<(), LicenceFailure> {
    let office = key.office;
    let fail = |detail: String| Err(LicenceFailure::Binding(detail));
    match claims.issuer {
        Some(iss) if iss == office.code => {}
        Some(iss) => {
            return fail(format!(
                "iss {iss} is not the code of office {}",
                office.code
            ));
        }
        // Left out as the sub issuer segment, which is checked next.
        None => {}
    }
    let segment = identifier.issuer_code().as_str();
    if !office.answers_to(segment) {
        return fail(format!(
            "the sub issuer segment {segment} is neither office {}'s code nor one of its alt codes",
            office.code
        ));
    }
    let Some(iat) = claims.issued_at else {
        return fail("no iat".into());
    };
    if iat > now.saturating_add(CLOCK_SKEW) {
        return fail(format!("iat {iat} is after the check time {now}"));
    }
    let cert = &key.key.certificate;
    let covered = (cert.not_before_unix()..=cert.not_after_unix()).contains(&iat)
        && (key.key.not_before..=key.key.not_after).contains(&iat);
    if !covered {
        return fail(format!(
            "iat {iat} is outside the signing certificate's validity or listing"
        ));
    }
    Ok(())
}

/// CHECK CHARACTERS (LICENCE.md §2 "Rule"): warnings only.
fn check_characters(identifier: &LicenceId, fields: &LicenceFields<&str>) -> Vec<LicenceWarning> {
    let tag = |claim| move |warning| LicenceWarning::Identifier { claim, warning };
    let mut warnings: Vec<_> = identifier.warnings().into_iter().map(tag("sub")).collect();
    let holder = match (fields.holder_type, fields.holder_code) {
        (Some(HOLDER_TYPE_USCC), Some(code)) => code.parse::<Uscc>().map(|u| u.warnings()),
        (Some(HOLDER_TYPE_RESIDENT_ID), Some(code)) => {
            code.parse::<ResidentId>().map(|r| r.warnings())
        }
        _ => Ok(Vec::new()),
    };
    match holder {
        Ok(found) => warnings.extend(found.into_iter().map(tag("hc"))),
        Err(e) => warnings.push(LicenceWarning::HolderCode(e.to_string())),
    }
    warnings
}

fn check_time(claims: &LicenceClaims<&str>, now: i64) -> Result<(), LicenceFailure> {
    if let Some(nbf) = claims.effective_not_before()
        && now < nbf
    {
        return Err(LicenceFailure::NotYetValid { nbf });
    }
    if let Some(exp) = claims.expires
        && now >= exp
    {
        return Err(LicenceFailure::Expired { exp });
    }
    Ok(())
}

fn check_status(
    claims: &LicenceClaims<&str>,
    office: &Office,
    trust: &VerifiedTrustList,
    check: StatusCheck<'_>,
    at: SystemTime,
    out: &mut LicenceVerification,
) -> Result<(), LicenceFailure> {
    let lists = match check {
        StatusCheck::Lists(lists) => lists,
        StatusCheck::Skip => {
            out.status = StatusOutcome::Skipped;
            out.warnings.push(LicenceWarning::StatusSkipped);
            return Ok(());
        }
    };
    let Some(reference) = &claims.status else {
        out.status = StatusOutcome::NoReference;
        out.warnings.push(LicenceWarning::NoStatusReference);
        return Ok(());
    };
    let (status, as_of) = lists.status(reference, office, trust, at);
    if let Some(newest) = as_of {
        out.warnings.extend(
            (lists.superseded(reference.uri).into_iter())
                .filter(|iat| *iat < newest)
                .map(|iat| LicenceWarning::StatusListSuperseded {
                    uri: reference.uri.to_string(),
                    iat,
                    newest,
                }),
        );
    }
    let owned = || reference.to_owned_reference();
    let failure = match &status {
        LicenceStatus::Valid => None,
        LicenceStatus::Revoked => Some(LicenceFailure::Revoked(owned())),
        LicenceStatus::Suspended => Some(LicenceFailure::Suspended(owned())),
        LicenceStatus::Transferred => Some(LicenceFailure::Transferred(owned())),
        LicenceStatus::Unknown { reason } => Some(LicenceFailure::StatusUnknown {
            reference: owned(),
            reason: reason.clone(),
        }),
    };
    out.status = StatusOutcome::Checked {
        reference: owned(),
        status,
        as_of,
    };
    failure.map_or(Ok(()), Err)
}
