//! `eseal verify`: check what a file holds as of a time and report.

use std::path::PathBuf;
use std::time::SystemTime;

use eseal::licence::trust_list::{TrustListError, VerifiedTrustList, verify_trust_list};
use eseal::licence::verify::{LicenceVerification, StatusCheck, StatusLists, verify_licence_qr};
use eseal::pki::{
    Certificate, Crl, TrustStore, Usage, parse_rfc3339, read_certificates, rfc3339, unix_seconds,
};
use eseal::report::{Reason, Report, SignatureReport};
use eseal::seal::{Seal, SealSignature, verify_seal, verify_seal_signature};

use crate::read_file;

#[derive(clap::Args)]
pub struct Args {
    /// What to verify: a licence QR string (`ZZ1:...`), or a file holding one, a PDF, a
    /// certificate (PEM, optionally followed by its chain, or DER), a GB/T 38540 seal
    /// (.esl), seal signature (SignedValue.dat) or RFC 3161 timestamp token (DER
    /// TimeStampToken).
    input: PathBuf,
    /// For a licence QR: the trust list (COSE, LICENCE.md §4), verified against `--trust`.
    #[arg(long)]
    trust_list: Option<PathBuf>,
    /// For a licence QR: Status List Tokens (LICENCE.md §5), each filed under its `sub`;
    /// repeatable.
    #[arg(long)]
    status_list: Vec<PathBuf>,
    /// The data a seal signature signed (for OFD: the bytes of Signature.xml), or that a
    /// timestamp token covers.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Trusted certificates (PEM bundle or DER); repeatable.
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificates paths may go through (not trusted by themselves);
    /// repeatable.
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// CRLs (DER or PEM); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// OCSP responses (DER); repeatable.
    #[arg(long)]
    ocsp: Vec<PathBuf>,
    /// Verify as of this time (RFC 3339); now by default.
    #[arg(long)]
    at: Option<String>,
    /// What the certificate must be fit for: any, signer, seal-maker, tsa, status-list.
    #[arg(long, default_value = "any")]
    usage: Usage,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// For an OFD `Type="Sign"` signature without a certificate (bare SM2): the signer's
    /// certificate (PEM or DER); repeatable.
    #[arg(long)]
    signer_cert: Vec<PathBuf>,
}

pub fn run(args: Args) -> eseal::Result<u8> {
    let at = match &args.at {
        Some(text) => parse_rfc3339(text)?,
        None => SystemTime::now(),
    };
    let mut store = TrustStore::new();
    for path in &args.trust {
        if store.add_anchors_from(&read_file(path)?)? == 0 {
            return Err(eseal::Error::Invalid(format!(
                "{} holds no certificate",
                path.display()
            )));
        }
    }
    for path in &args.chain {
        for cert in read_certificates(&read_file(path)?)? {
            store.add_intermediate(cert);
        }
    }
    for path in &args.crl {
        store.add_crl(Crl::from_pem_or_der(&read_file(path)?)?);
    }
    for path in &args.ocsp {
        store.add_ocsp_response(eseal::pki::OcspResponse::from_der(&read_file(path)?)?);
    }
    let data = match &args.data {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    if let Some(qr) = args.input.to_str().filter(|s| is_licence_qr(s)) {
        return verify_licence(&args, qr, &store, at);
    }
    let mapped = crate::read_large_file(&args.input, eseal::pdf::MAX_PDF_SIZE)?;
    let input = &mapped[..];
    if let Some(qr) = licence_qr_in(input) {
        return verify_licence(&args, qr, &store, at);
    }
    if input.starts_with(b"PK\x03\x04") {
        let package = eseal::ofd::Package::read(input)?;
        if package.contains("/OFD.xml") {
            return verify_ofd_file(&args, &package, &store, at);
        }
    }
    if input[..input.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        let report = eseal::pdf::verify_pdf(input, &store, at)?;
        return Ok(print_report(&args, &report, &[]));
    }
    if input.len() > eseal::pki::MAX_PKI_FILE {
        return Err(eseal::Error::TooLarge {
            what: "certificate, seal or seal signature",
            size: input.len() as u64,
            limit: eseal::pki::MAX_PKI_FILE as u64,
        });
    }
    let signatures = match classify(input)? {
        Input::Certificates(certs) => match certs.split_first() {
            Some((leaf, chain)) => {
                vec![
                    store
                        .validate(leaf, chain, at, args.usage)
                        .to_report("certificate"),
                ]
            }
            None => Vec::new(),
        },
        Input::Seal(seal) => vec![verify_seal(&seal, &store, at)],
        Input::SealSignature(signature) => {
            vec![verify_seal_signature(
                &signature,
                &store,
                at,
                data.as_deref(),
            )]
        }
        Input::Timestamp(token) => {
            vec![crate::tsa_cmd::verify_report(
                &token,
                &store,
                at,
                data.as_deref(),
            )]
        }
    };
    let report = Report {
        validation_time: rfc3339(unix_seconds(at)),
        signatures,
    };
    Ok(print_report(&args, &report, &[]))
}

/// Verifies every signature of an OFD package (SES-OFD.md §6); `--signer-cert` supplies
/// the certificates of bare SM2 `Type="Sign"` signatures.
fn verify_ofd_file(
    args: &Args,
    package: &eseal::ofd::Package,
    store: &TrustStore,
    at: SystemTime,
) -> eseal::Result<u8> {
    let mut options = eseal::ofd::VerifyOptions::default();
    for path in &args.signer_cert {
        options
            .signer_certificates
            .extend(read_certificates(&read_file(path)?)?);
    }
    let report = eseal::ofd::verify_ofd(package, store, at, &options)?;
    Ok(print_report(args, &report, &[]))
}

/// Whether `text` starts like a licence QR string: `ZZ`, a version number, `:`
/// (LICENCE.md §3).
fn is_licence_qr(text: &str) -> bool {
    text.strip_prefix("ZZ")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(v, _)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// The licence QR string a file holds, if that is all it holds (surrounding white space
/// aside).
fn licence_qr_in(bytes: &[u8]) -> Option<&str> {
    if bytes.len() > eseal::licence::compact::MAX_QR_CHARS + 64 {
        return None;
    }
    std::str::from_utf8(bytes.trim_ascii())
        .ok()
        .filter(|s| is_licence_qr(s))
}

/// Verifies a licence QR against the trust list (verified with the `--trust` anchors) and
/// the status lists given.
fn verify_licence(args: &Args, qr: &str, store: &TrustStore, at: SystemTime) -> eseal::Result<u8> {
    let path = args.trust_list.as_ref().ok_or_else(|| {
        eseal::Error::Invalid("a licence QR is verified against a --trust-list".into())
    })?;
    let bytes = crate::read_file_up_to(path, eseal::licence::trust_list::MAX_TRUST_LIST as u64, 0)?;
    let mut lists = StatusLists::new();
    for path in &args.status_list {
        let token = crate::read_file_up_to(
            path,
            eseal::licence::status_list::MAX_STATUS_LIST_TOKEN as u64,
            0,
        )?;
        lists.add(token).map_err(|e| eseal::Error::Malformed {
            what: "status list",
            detail: format!("{}: {e}", path.display()),
        })?;
    }
    let (signature, fields) = match verify_trust_list(&bytes, store, at, None) {
        Ok(trust) => licence_report(qr, &trust, &lists, at),
        Err(e) => (trust_list_failure(e), Vec::new()),
    };
    let report = Report {
        validation_time: rfc3339(unix_seconds(at)),
        signatures: vec![signature],
    };
    Ok(print_report(args, &report, &fields))
}

fn licence_report(
    qr: &str,
    trust: &VerifiedTrustList,
    lists: &StatusLists,
    at: SystemTime,
) -> (SignatureReport, Vec<(String, String)>) {
    let verification = verify_licence_qr(qr, trust, StatusCheck::Lists(lists), at);
    (
        verification.to_report(),
        licence_fields(&verification, trust),
    )
}

/// The licence fields the human output shows: identifier, name, holder (or the privacy
/// option's 持证主体 hash), number, and the surface fields under the labels of their type's
/// template when the trust list publishes it (else under their keys).
fn licence_fields(
    verification: &LicenceVerification,
    trust: &VerifiedTrustList,
) -> Vec<(String, String)> {
    let Some(claims) = verification.claims() else {
        return Vec::new();
    };
    let l = &claims.licence;
    let holder = match (&l.holder, &l.holder_hash) {
        (Some(h), _) => Some(h.to_string()),
        (None, Some(hh)) => Some(format!("(holder hash {})", hex::encode(hh))),
        (None, None) => None,
    };
    let mut fields: Vec<(String, String)> = [
        ("identifier", Some(claims.subject.to_string())),
        ("name", l.name.map(str::to_string)),
        ("holder", holder),
        ("number", l.effective_number().map(str::to_string)),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label.to_owned(), v)))
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
        fields.push((label, value.to_string()));
    }
    fields
}

/// The report of a licence whose trust list cannot be used: stale or invalid,
/// INDETERMINATE either way.
fn trust_list_failure(error: TrustListError) -> SignatureReport {
    let reason = match error {
        TrustListError::Stale { exp, .. } => Reason::TrustListStale {
            expired_at: rfc3339(exp),
        },
        other => Reason::TrustListInvalid(other.to_string()),
    };
    SignatureReport::new("licence", vec![reason])
}

fn print_report(args: &Args, report: &Report, fields: &[(String, String)]) -> u8 {
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        let input = args.input.display().to_string();
        let label = if is_licence_qr(&input) {
            "licence QR"
        } else {
            &input
        };
        print_human(label, report, fields);
    }
    report.exit_code() as u8
}

enum Input {
    Certificates(Vec<Certificate>),
    Seal(Box<Seal>),
    SealSignature(Box<SealSignature>),
    Timestamp(Box<eseal::cms::TimestampToken>),
}

/// Tells what a file holds: PEM certificates, or a DER seal, seal signature, timestamp
/// token (a `ContentInfo` whose `SignedData` carries an `id-ct-TSTInfo`) or certificate.
fn classify(bytes: &[u8]) -> eseal::Result<Input> {
    if let Ok(token) = eseal::cms::TimestampToken::from_der(bytes) {
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
        Err(eseal::Error::Malformed { detail, .. }) => Err(eseal::Error::Malformed {
            what: "input",
            detail: format!(
                "not a certificate, seal, seal signature or timestamp token ({detail})"
            ),
        }),
        Err(e) => Err(e),
    }
}

fn print_human(input: &str, report: &Report, fields: &[(String, String)]) {
    out!("{input} — verified as of {}", report.validation_time);
    for (label, value) in fields {
        // CJK labels take two columns a character.
        let width: usize = label
            .chars()
            .map(|c| if c >= '\u{2e80}' { 2 } else { 1 })
            .sum();
        out!(
            "    {label}:{} {value}",
            " ".repeat(10usize.saturating_sub(width))
        );
    }
    if report.signatures.is_empty() {
        out!("nothing signed found");
    }
    for (i, s) in report.signatures.iter().enumerate() {
        let sub = s
            .sub_indication
            .map(|x| format!(" / {x}"))
            .unwrap_or_default();
        out!("[{}] {}: {}{sub}", i + 1, s.kind, s.indication);
        if let Some(seal) = &s.seal {
            out!("    seal:       {seal}");
        }
        if let Some(signer) = &s.signer {
            out!("    signer:     {signer}");
        }
        if let Some(field) = &s.field {
            out!("    field:      {field}");
        }
        if let Some(time) = &s.signing_time {
            let how = s.signing_time_source.as_deref().unwrap_or("claimed");
            out!("    signed at:  {time} ({how})");
        }
        if let Some(coverage) = &s.coverage {
            out!("    covers:     {coverage}");
        }
        if let Some(level) = &s.modification {
            out!("    changes:    {level}");
        }
        for change in &s.changes {
            out!("                {change}");
        }
        for reason in &s.reasons {
            out!("    reason:     {} — {reason}", reason.code());
        }
        for (j, c) in s.chain.iter().enumerate() {
            let label = if j == 0 { "chain:" } else { "" };
            out!(
                "    {label:<11} {} (serial {}, until {})",
                c.subject,
                c.serial,
                c.not_after
            );
        }
        out!("    revocation: {}", s.revocation);
        for w in &s.warnings {
            out!("    note:       {w}");
        }
    }
}
