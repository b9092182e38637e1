//! `eseal verify`: check what a file holds as of a time and report.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use eseal::{
    Crl, DocumentOptions, Policy, Report, StatusLists, TrustListState, TrustStore, Usage,
    is_licence_qr, licence_format_failure, licence_qr_in, parse_rfc3339, verify_document,
    verify_licence as verify_licence_report, verify_trust_list,
};

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
    /// For a licence QR: refuse a trust list whose `seq` is lower than this (rollback).
    #[arg(long)]
    min_seq: Option<u64>,
    /// For a licence QR: a file holding the highest trust list `seq` seen per issuer; a
    /// lower one is refused (rollback), a higher one is recorded.
    #[arg(long)]
    trust_list_state: Option<PathBuf>,
    /// For a licence QR: Status List Tokens (LICENCE.md §5), each filed under its `sub`;
    /// repeatable. For one URI the newest (`iat`) decides; older ones are reported.
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
    /// What the certificate must be fit for: any, signer, seal-maker, licence-signer,
    /// status-list, trust-list, tsa, ocsp.
    #[arg(long, default_value = "any")]
    usage: Usage,
    /// Judge certificate paths with the strict profile (pyca/cryptography's): flaws that
    /// the default profile reports as warnings (the anchor's own basic constraints and key
    /// usage, AKI/SKI, serial numbers, criticality flags) fail the chain.
    #[arg(long)]
    strict: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the printable verification report (验证报告, one A4 page in Chinese
    /// and English: the verdict, the input's name, size and SHA-256, each signature) as a
    /// PDF to this file. Needs the CJK font (`ESEAL_CJK_FONT`, else fonts-droid-fallback).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
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
    if args.strict {
        store.set_policy(Policy::strict());
    }
    for path in &args.trust {
        for cert in crate::read_certificate_bundle_file(path)? {
            store.add_anchor(cert)?;
        }
    }
    for path in &args.chain {
        for cert in crate::read_certificate_bundle_file(path)? {
            store.add_intermediate(cert);
        }
    }
    for path in &args.crl {
        store.add_crl(Crl::from_pem_or_der(&read_file(path)?)?);
    }
    for path in &args.ocsp {
        store.add_ocsp_response(eseal::OcspResponse::from_der(&read_file(path)?)?);
    }
    let data = match &args.data {
        Some(path) => Some(crate::read_large_file(path, crate::max_document())?),
        None => None,
    };
    if let Some(qr) = args.input.to_str().filter(|s| is_licence_qr(s)) {
        return verify_licence(&args, qr, &store, at, Input::Text(qr));
    }
    let mut options = DocumentOptions {
        data: data.as_deref(),
        usage: args.usage,
        ..DocumentOptions::default()
    };
    for path in &args.signer_cert {
        options
            .ofd
            .signer_certificates
            .extend(crate::read_certificate_bundle_file(path)?);
    }
    // PDFs and OFD packages are read from the file where the checks need them, never whole.
    if let Some(file) = crate::open_file(&args.input, crate::max_document())? {
        let head = crate::read_head(&file, &args.input, 1024)?;
        if head.starts_with(b"PK\x03\x04") {
            let opened = file
                .try_clone()
                .map_err(|e| eseal::Error::io(&args.input, e))?;
            let package = eseal::OfdPackage::open(opened).map_err(|e| in_file(e, &args.input))?;
            if package.contains("/OFD.xml") {
                let report = eseal::verify_ofd(&package, &store, at, &options.ofd)?;
                return print_report(&args, &report, Input::File(&file));
            }
        } else if memchr::memmem::find(&head, b"%PDF-").is_some() && licence_qr_in(&head).is_none()
        {
            let report =
                eseal::verify_pdf_file(&file, &store, at).map_err(|e| in_file(e, &args.input))?;
            return print_report(&args, &report, Input::File(&file));
        }
    }
    let mapped = crate::read_large_file(&args.input, crate::max_document())?;
    let input = &mapped[..];
    if let Some(qr) = licence_qr_in(input) {
        return verify_licence(&args, qr, &store, at, Input::Bytes(input));
    }
    let report = verify_document(input, &store, at, &options)?;
    print_report(&args, &report, Input::Bytes(input))
}

/// `error` with the input's path when it is an I/O error of the file read.
fn in_file(error: eseal::Error, path: &std::path::Path) -> eseal::Error {
    match error {
        eseal::Error::Io { source, .. } => eseal::Error::Io {
            path: path.to_path_buf(),
            source,
        },
        other => other,
    }
}

/// Verifies a licence QR against the trust list (verified with the `--trust` anchors, not
/// older than `--min-seq` and the `--trust-list-state`) and the status lists given. A QR
/// that does not decode is reported as such whatever else was given.
fn verify_licence(
    args: &Args,
    qr: &str,
    store: &TrustStore,
    at: SystemTime,
    input: Input<'_>,
) -> eseal::Result<u8> {
    let Some(path) = &args.trust_list else {
        if let Some(failed) = licence_format_failure(qr, at) {
            return print_report(args, &failed.report, input);
        }
        return Err(eseal::Error::Invalid(
            "a licence QR is verified against a --trust-list".into(),
        ));
    };
    let bytes = crate::read_file_up_to(path, eseal::MAX_TRUST_LIST as u64, 0)?;
    let mut lists = StatusLists::new();
    for path in &args.status_list {
        let token = crate::read_file_up_to(path, eseal::MAX_STATUS_LIST_TOKEN as u64, 0);
        // A list that cannot be read leaves the status unknown; it does not stop the check.
        let filed = match token {
            Ok(token) => lists.file(token).map_err(|e| e.to_string()),
            Err(e @ eseal::Error::TooLarge { .. }) => Err(e.to_string()),
            Err(e) => return Err(e),
        };
        match filed {
            Ok((uri, filed)) => {
                if let Some(remark) = filed.remark(&uri) {
                    eprintln!("{}: {remark}", path.display());
                }
            }
            Err(e) => lists.add_unreadable(format!("{}: {e}", path.display())),
        }
    }
    let mut state = match &args.trust_list_state {
        Some(path) => Some(TrustListState::load(path)?),
        None => None,
    };
    let trust = verify_trust_list(&bytes, store, at, args.min_seq).and_then(|trust| match &state {
        Some(state) => state.check(&trust).map(|()| trust),
        None => Ok(trust),
    });
    if let (Ok(trust), Some(state)) = (&trust, &mut state) {
        state.record(trust)?;
    }
    let verified = verify_licence_report(qr, trust.as_ref().map_err(Clone::clone), &lists, at);
    print_report(args, &verified.report, input)
}

/// The bytes that were verified, which the `--report` page names.
#[derive(Clone, Copy)]
enum Input<'a> {
    /// A licence QR given on the command line.
    Text(&'a str),
    /// The input file, verified where it lies.
    File(&'a std::fs::File),
    /// The input read whole: a file or standard input.
    Bytes(&'a [u8]),
}

/// Writes the `--report` page of `report` about `input`, atomically.
fn write_report_pdf(
    args: &Args,
    path: &Path,
    report: &Report,
    input: Input<'_>,
) -> eseal::Result<()> {
    let (sha256, size) = match input {
        Input::Text(text) => digest(text.as_bytes()),
        Input::File(file) => file_digest(file, &args.input)?,
        Input::Bytes(bytes) => digest(bytes),
    };
    let file_name = args.input.file_name().map(|n| n.to_string_lossy());
    let name = match input {
        Input::Text(_) => Some("licence QR"),
        _ if args.input.as_os_str() == "-" => None,
        _ => file_name.as_deref(),
    };
    let mut document = eseal::ReportDocument::new(sha256, size);
    if let Some(name) = name {
        document = document.name(name);
    }
    crate::write_file(path, &eseal::verification_report_pdf(report, &document)?)
}

/// SHA-256 and size of `bytes`.
fn digest(bytes: &[u8]) -> ([u8; 32], u64) {
    use sha2::Digest as _;
    (sha2::Sha256::digest(bytes).into(), bytes.len() as u64)
}

/// SHA-256 and size of the whole of `file` (read from its start), the input at `path`.
fn file_digest(mut file: &std::fs::File, path: &Path) -> eseal::Result<([u8; 32], u64)> {
    use sha2::Digest as _;
    use std::io::{Read, Seek};
    let io = |e| eseal::Error::io(path, e);
    file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
    let (mut hash, mut size) = (sha2::Sha256::new(), 0u64);
    let mut buffer = vec![0; 1 << 16];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hash.update(&buffer[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok((hash.finalize().into(), size))
}

/// Writes the `--report` page if asked for, prints the report and gives the exit code of
/// its verdict.
fn print_report(args: &Args, report: &Report, input: Input<'_>) -> eseal::Result<u8> {
    if let Some(path) = &args.report {
        write_report_pdf(args, path, report, input)?;
    }
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
        print_human(label, report);
    }
    Ok(report.exit_code() as u8)
}

fn print_human(input: &str, report: &Report) {
    out!("{input} — verified as of {}", report.validation_time);
    for eseal::LicenceField { label, value, .. } in &report.fields {
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
            let how = s.signing_time_source.map_or("claimed", |t| t.as_str());
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
