//! One entry point that tells what a buffer holds and verifies it as of a time: a licence
//! QR string (LICENCE.md §3), a PDF (PAdES), an OFD package (GB/T 33190 with GB/T 38540
//! seal signatures), a GB/T 38540 seal or seal signature, an RFC 3161 timestamp token or
//! certificates. `eseal verify` and the C ABI both go through it.

use std::time::SystemTime;

use crate::cms::TimestampToken;
use crate::licence::trust_list::{TrustListError, VerifiedTrustList};
use crate::licence::verify::{LicenceVerification, StatusCheck, StatusLists, verify_licence_qr};
use crate::pki::{Certificate, TrustStore, Usage, read_certificates};
use crate::report::{LicenceField, Reason, Report, ReportKind, SignatureReport, Time, TimeSource};
use crate::seal::{Seal, SealSignature, verify_seal, verify_seal_signature};
use crate::{Error, Result};

/// What a document verification may use besides the input and the trust store.
#[derive(Clone, Debug)]
pub struct DocumentOptions<'a> {
    /// The data a seal signature signed (for OFD: the bytes of `Signature.xml`), or that a
    /// timestamp token covers.
    pub data: Option<&'a [u8]>,
    /// What a certificate given as input must be fit for.
    pub usage: Usage,
    /// Options of OFD verification (certificates of bare SM2 signatures).
    pub ofd: crate::ofd::VerifyOptions,
}

impl Default for DocumentOptions<'_> {
    fn default() -> Self {
        DocumentOptions {
            data: None,
            usage: Usage::Any,
            ofd: crate::ofd::VerifyOptions::default(),
        }
    }
}

/// A licence verified: the report, with one entry for the licence and, when it decoded,
/// the fields a person reads ([`Report::fields`]).
#[derive(Clone, Debug)]
pub struct LicenceReport {
    /// The report.
    pub report: Report,
}

/// Whether `text` starts like a licence QR string: `ZZ`, a version number, `:`
/// (LICENCE.md §3).
pub fn is_licence_qr(text: &str) -> bool {
    starts_like_licence_qr(text.as_bytes())
}

fn starts_like_licence_qr(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"ZZ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b':')
}

/// The licence QR string `bytes` hold, if that is all they hold (surrounding white space
/// aside), whatever its length: a QR string too long is a licence QR that fails its
/// stages (LICENCE_FORMAT), not some other kind of input.
pub fn licence_qr_in(bytes: &[u8]) -> Option<&str> {
    let bytes = bytes.trim_ascii();
    if !starts_like_licence_qr(bytes) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// The report of a licence QR that fails PREFIX … CLAIMS (TOTAL-FAILED, LICENCE_FORMAT),
/// `None` when it decodes: decoding needs no trust list, so a malformed QR is reported as
/// such whatever trust was given.
pub fn licence_format_failure(qr: &str, at: SystemTime) -> Option<LicenceReport> {
    let failure = crate::licence::verify::format_failure(qr)?;
    Some(LicenceReport {
        report: Report::new(
            at,
            vec![SignatureReport::new(
                ReportKind::Licence,
                vec![failure.reason()],
            )],
        ),
    })
}

/// Verifies a licence QR against a trust list (already verified, or the reason it could
/// not be) and the status lists given, as of `at`. A QR that does not decode is
/// TOTAL-FAILED (LICENCE_FORMAT) even when the trust list cannot be used.
pub fn verify_licence(
    qr: &str,
    trust: std::result::Result<&VerifiedTrustList, TrustListError>,
    lists: &StatusLists,
    at: SystemTime,
) -> LicenceReport {
    if trust.is_err()
        && let Some(report) = licence_format_failure(qr, at)
    {
        return report;
    }
    let (signature, fields) = match trust {
        Ok(trust) => {
            let verification = verify_licence_qr(qr, trust, StatusCheck::Lists(lists), at);
            let fields = licence_fields(&verification, trust);
            (verification.to_report(), fields)
        }
        Err(e) => (trust_list_failure(e), Vec::new()),
    };
    let mut report = Report::new(at, vec![signature]);
    report.fields = fields;
    LicenceReport { report }
}

/// The licence fields a person reads: identifier, name, holder (or the privacy option's
/// 持证主体 hash), number, and the surface fields under the labels of their type's template
/// when the trust list publishes it (else under their keys).
fn licence_fields(
    verification: &LicenceVerification,
    trust: &VerifiedTrustList,
) -> Vec<LicenceField> {
    let Some(claims) = verification.claims() else {
        return Vec::new();
    };
    let l = &claims.licence;
    let holder = match (&l.holder, &l.holder_hash) {
        (Some(h), _) => Some(h.to_string()),
        (None, Some(hh)) => Some(format!("(holder hash {})", hex::encode(hh))),
        (None, None) => None,
    };
    let mut fields: Vec<LicenceField> = [
        ("identifier", Some(claims.subject.to_string())),
        ("name", l.name.map(str::to_string)),
        ("holder", holder),
        ("number", l.effective_number().map(str::to_string)),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| LicenceField::new(label, v)))
    .collect();
    let template = verification
        .identifier
        .as_ref()
        .and_then(|id| trust.template(&id.type_code().to_string()));
    let mut surface: Vec<_> = l.surface.iter().collect();
    if let Some(t) = template {
        surface.sort_by_key(|(key, _)| t.fields.iter().position(|f| &f.key == key));
    }
    for (key, value) in surface {
        let label = template
            .and_then(|t| t.field(key))
            .map_or_else(|| key.to_string(), |f| f.label.clone());
        fields.push(LicenceField::new(label, value.to_string()));
    }
    fields
}

/// The report of a licence whose trust list cannot be used: stale, invalid or signed by a
/// key that may not sign trust lists, INDETERMINATE either way.
pub fn trust_list_failure(error: TrustListError) -> SignatureReport {
    let reason = match error {
        TrustListError::Stale { exp, .. } => Reason::TrustListStale {
            expired_at: Time::from_unix(exp),
        },
        TrustListError::SignerNotAllowed { signer, required } => Reason::UsageNotAllowed {
            subject: signer,
            required,
        },
        other => Reason::TrustListInvalid(other.to_string()),
    };
    SignatureReport::new(ReportKind::Licence, vec![reason])
}

/// Verifies a document or PKI object (not a licence QR) as of `at`: an OFD package, a PDF,
/// certificates (the first one validated with the rest as its chain), a seal, a seal
/// signature or a timestamp token. Input that is none of these is [`Error::Malformed`].
pub fn verify_document(
    input: &[u8],
    store: &TrustStore,
    at: SystemTime,
    options: &DocumentOptions<'_>,
) -> Result<Report> {
    if input.starts_with(b"PK\x03\x04") {
        let package = crate::ofd::Package::read(input)?;
        if package.contains("/OFD.xml") {
            return crate::ofd::verify_ofd(&package, store, at, &options.ofd);
        }
    }
    if input[..input.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return crate::pdf::verify_pdf(input, store, at);
    }
    if input.len() > crate::pki::MAX_PKI_FILE {
        return Err(Error::TooLarge {
            what: "certificate, seal or seal signature",
            size: input.len() as u64,
            limit: crate::pki::MAX_PKI_FILE as u64,
        });
    }
    let signatures = match classify(input)? {
        Input::Certificates(certs) => match certs.split_first() {
            Some((leaf, chain)) => {
                vec![
                    store
                        .validate(leaf, chain, at, options.usage)
                        .to_report(ReportKind::Certificate),
                ]
            }
            None => Vec::new(),
        },
        Input::Seal(seal) => vec![verify_seal(&seal, store, at)],
        Input::SealSignature(signature) => {
            vec![verify_seal_signature(&signature, store, at, options.data)]
        }
        Input::Timestamp(token) => vec![timestamp_report(&token, store, at, options.data)],
    };
    Ok(Report::new(at, signatures))
}

/// The report of an RFC 3161 timestamp token checked as of `at`, over `data` when given
/// (else its message imprint is taken as is and the report says the data was not checked).
pub fn timestamp_report(
    token: &TimestampToken,
    store: &TrustStore,
    at: SystemTime,
    data: Option<&[u8]>,
) -> SignatureReport {
    let tst = token.tst_info();
    let imprint = match data {
        Some(data) => tst.digest_algorithm.digest(data),
        None => tst.message_imprint.clone(),
    };
    let verification = token.verify("token", &imprint, store, at);
    let mut reasons = verification.reasons.clone();
    if data.is_none() {
        reasons.push(Reason::DataNotChecked);
    }
    let mut report = SignatureReport::new(ReportKind::Timestamp, reasons);
    report.signer = verification.tsa.as_ref().map(|c| c.subject().to_string());
    report.signing_time = Some(Time::from(tst.gen_time));
    // genTime is proven only by a token that verifies; otherwise it is the TSA's word.
    let source = if verification.is_valid() {
        TimeSource::Timestamp
    } else {
        TimeSource::Claimed
    };
    report.signing_time_source = Some(source);
    if let Some(chain) = &verification.chain {
        report.chain = chain.chain.iter().map(|c| c.summary()).collect();
        report.revocation = chain.revocation_found();
    }
    report.warnings = verification.warnings;
    report.warnings.push(format!(
        "policy {}, serial {}, imprint {} {}",
        tst.policy,
        hex::encode(&tst.serial),
        tst.digest_algorithm.name(),
        hex::encode(&tst.message_imprint)
    ));
    report
}

enum Input {
    Certificates(Vec<Certificate>),
    Seal(Box<Seal>),
    SealSignature(Box<SealSignature>),
    Timestamp(Box<TimestampToken>),
}

/// Tells what a small object holds: PEM certificates, or a DER seal, seal signature,
/// timestamp token (a `ContentInfo` whose `SignedData` carries an `id-ct-TSTInfo`) or
/// certificate.
fn classify(bytes: &[u8]) -> Result<Input> {
    if let Ok(token) = TimestampToken::from_der(bytes) {
        return Ok(Input::Timestamp(Box::new(token)));
    }
    if let Ok(seal) = Seal::from_der(bytes) {
        return Ok(Input::Seal(Box::new(seal)));
    }
    if let Ok(signature) = SealSignature::from_der(bytes) {
        return Ok(Input::SealSignature(Box::new(signature)));
    }
    match read_certificates(bytes) {
        Ok(certs) => Ok(Input::Certificates(certs)),
        Err(Error::Malformed { detail, .. }) => Err(Error::Malformed {
            what: "input",
            detail: format!(
                "not a certificate, seal, seal signature or timestamp token ({detail})"
            ),
        }),
        Err(e) => Err(e),
    }
}
