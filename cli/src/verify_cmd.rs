//! `eseal verify`: check what a file holds as of a time and report.

mod batch;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use eseal::{
    Crl, DocumentOptions, Policy, Report, StatusLists, TrustListError, TrustListState, TrustStore,
    Usage, VerifiedTrustList, is_licence_qr, licence_format_failure, licence_qr_in, parse_rfc3339,
    verify_document, verify_licence as verify_licence_report, verify_trust_list,
};

use crate::read_file;

#[derive(clap::Args)]
#[command(
    override_usage = "eseal verify [OPTIONS] <INPUT>\n       eseal verify [OPTIONS] --batch <DIR|FILE|->"
)]
#[command(
    after_help = "Exit codes: 0 TOTAL-PASSED, 1 INDETERMINATE, 2 TOTAL-FAILED, 3 nothing \
    signed found, 64 usage error, 65 unreadable input, 74 I/O error. With --batch: 0 when \
    every input is TOTAL-PASSED, 1 when the worst is INDETERMINATE, 2 when any is \
    TOTAL-FAILED, holds nothing signed or cannot be read (its line says why); 64, 65 or 74 \
    when the run itself cannot go on."
)]
pub struct Args {
    /// What to verify: a licence QR string (`ZZ1:...`), or a file holding one, a PDF, an
    /// OFD package, a certificate (PEM, optionally followed by its chain, or DER), a
    /// GB/T 38540 seal (.esl), seal signature (SignedValue.dat) or RFC 3161 timestamp
    /// token (DER TimeStampToken); `-` is standard input.
    #[arg(required_unless_present = "batch")]
    input: Option<PathBuf>,
    /// Verify many inputs on every core and print one JSON line each, in input order:
    /// every regular file of a directory (by name; hidden files and subdirectories
    /// skipped), each as `eseal verify FILE` would, or a file (`-`: standard input) of one
    /// licence QR string per line (blank lines skipped). A line is `{"input": file name or
    /// line number, "indication", "sub_indication", "reason" (the deciding reason's code),
    /// "report": the --json report}`, or `{"input", "error": {"code", "message"}}` for an
    /// input that cannot be verified.
    #[arg(
        long,
        value_name = "DIR|FILE|-",
        conflicts_with_all = ["input", "data", "report"]
    )]
    batch: Option<PathBuf>,
    /// With --batch: the number of threads that verify; one per core by default.
    #[arg(long, value_name = "N", requires = "batch", conflicts_with = "input")]
    threads: Option<NonZeroUsize>,
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
    /// Print the report as JSON (--batch always prints JSON lines).
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
    if let Some(batch) = &args.batch {
        return batch::run(&args, batch);
    }
    let Some(input) = &args.input else {
        return Err(eseal::Error::Invalid(
            "nothing to verify: give a file, a licence QR string or --batch".into(),
        ));
    };
    let data = match &args.data {
        Some(path) => Some(crate::read_large_file(path, crate::max_document())?),
        None => None,
    };
    let context = Context::new(&args, data.as_deref())?;
    if let Some(qr) = input.to_str().filter(|s| is_licence_qr(s)) {
        let report = context.verify_qr(qr)?;
        return print_report(&args, input, &report, Input::Text(qr));
    }
    let (report, verified) = context.verify_file(input)?;
    print_report(&args, input, &report, verified)
}

/// What every input of a run is verified against: the time, the trust store, the options
/// of documents and, read when a licence QR first needs them, the licence trust list and
/// status lists.
struct Context<'a> {
    args: &'a Args,
    at: SystemTime,
    store: TrustStore,
    options: DocumentOptions<'a>,
    licence: OnceLock<LicenceTrust>,
}

/// The licence trust list (verified, or why it cannot be used) and the status lists.
struct LicenceTrust {
    trust: Result<VerifiedTrustList, TrustListError>,
    lists: StatusLists,
}

impl<'a> Context<'a> {
    /// Reads the trust material `args` name; `data` is what a seal signature or timestamp
    /// token covers.
    fn new(args: &'a Args, data: Option<&'a [u8]>) -> eseal::Result<Self> {
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
        let mut options = DocumentOptions {
            data,
            usage: args.usage,
            ..DocumentOptions::default()
        };
        for path in &args.signer_cert {
            options
                .ofd
                .signer_certificates
                .extend(crate::read_certificate_bundle_file(path)?);
        }
        Ok(Context {
            args,
            at,
            store,
            options,
            licence: OnceLock::new(),
        })
    }

    /// Verifies what the file at `path` holds (standard input for `-`); gives the report
    /// and what was read, which the `--report` page names.
    fn verify_file(&self, path: &Path) -> eseal::Result<(Report, Input<'static>)> {
        // PDFs and OFD packages are read from the file where the checks need them, never
        // whole.
        if let Some(file) = crate::open_file(path, crate::max_document())? {
            let head = crate::read_head(&file, path, 1024)?;
            if head.starts_with(b"PK\x03\x04") {
                let opened = file.try_clone().map_err(|e| eseal::Error::io(path, e))?;
                let package = eseal::OfdPackage::open(opened).map_err(|e| in_file(e, path))?;
                if package.contains("/OFD.xml") {
                    let report =
                        eseal::verify_ofd(&package, &self.store, self.at, &self.options.ofd)?;
                    return Ok((report, Input::File(file)));
                }
            } else if memchr::memmem::find(&head, b"%PDF-").is_some()
                && licence_qr_in(&head).is_none()
            {
                let report = eseal::verify_pdf_file(&file, &self.store, self.at)
                    .map_err(|e| in_file(e, path))?;
                return Ok((report, Input::File(file)));
            }
        }
        let mapped = crate::read_large_file(path, crate::max_document())?;
        let report = match licence_qr_in(&mapped) {
            Some(qr) => self.verify_qr(qr)?,
            None => verify_document(&mapped, &self.store, self.at, &self.options)?,
        };
        Ok((report, Input::Bytes(mapped)))
    }

    /// Verifies a licence QR against the trust list (verified with the `--trust` anchors,
    /// not older than `--min-seq` and the `--trust-list-state`) and the status lists
    /// given. A QR that does not decode is reported as such whatever else was given.
    fn verify_qr(&self, qr: &str) -> eseal::Result<Report> {
        if self.args.trust_list.is_none() {
            if let Some(failed) = licence_format_failure(qr, self.at) {
                return Ok(failed.report);
            }
            return Err(eseal::Error::Invalid(
                "a licence QR is verified against a --trust-list".into(),
            ));
        }
        let licence = self.licence()?;
        let trust = licence.trust.as_ref().map_err(Clone::clone);
        Ok(verify_licence_report(qr, trust, &licence.lists, self.at).report)
    }

    /// The licence trust material, read the first time it is asked for.
    fn licence(&self) -> eseal::Result<&LicenceTrust> {
        if let Some(licence) = self.licence.get() {
            return Ok(licence);
        }
        let loaded = self.load_licence()?;
        Ok(self.licence.get_or_init(|| loaded))
    }

    /// Reads and verifies the `--trust-list` and files the `--status-list`s, recording a
    /// trust list accepted in the `--trust-list-state`.
    fn load_licence(&self) -> eseal::Result<LicenceTrust> {
        let args = self.args;
        let Some(path) = &args.trust_list else {
            return Err(eseal::Error::Invalid(
                "a licence QR is verified against a --trust-list".into(),
            ));
        };
        let bytes = crate::read_file_up_to(path, eseal::MAX_TRUST_LIST as u64, 0)?;
        let mut lists = StatusLists::new();
        for path in &args.status_list {
            let token = crate::read_file_up_to(path, eseal::MAX_STATUS_LIST_TOKEN as u64, 0);
            // A list that cannot be read leaves the status unknown; it does not stop the
            // check.
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
        let trust =
            verify_trust_list(&bytes, &self.store, self.at, args.min_seq).and_then(|trust| {
                match &state {
                    Some(state) => state.check(&trust).map(|()| trust),
                    None => Ok(trust),
                }
            });
        if let (Ok(trust), Some(state)) = (&trust, &mut state) {
            state.record(trust)?;
        }
        Ok(LicenceTrust { trust, lists })
    }
}

/// `error` with the input's path when it is an I/O error of the file read.
fn in_file(error: eseal::Error, path: &Path) -> eseal::Error {
    match error {
        eseal::Error::Io { source, .. } => eseal::Error::Io {
            path: path.to_path_buf(),
            source,
        },
        other => other,
    }
}

/// The bytes that were verified, which the `--report` page names.
enum Input<'a> {
    /// A licence QR given on the command line.
    Text(&'a str),
    /// The input file, verified where it lies.
    File(std::fs::File),
    /// The input read whole: a file or standard input.
    Bytes(crate::LargeFile),
}

/// Writes the `--report` page of `report` about `input`, read from `input_path`,
/// atomically to `path`.
fn write_report_pdf(
    input_path: &Path,
    path: &Path,
    report: &Report,
    input: &Input<'_>,
) -> eseal::Result<()> {
    let (sha256, size) = match input {
        Input::Text(text) => digest(text.as_bytes()),
        Input::File(file) => file_digest(file, input_path)?,
        Input::Bytes(bytes) => digest(bytes),
    };
    let file_name = input_path.file_name().map(|n| n.to_string_lossy());
    let name = match input {
        Input::Text(_) => Some("licence QR"),
        _ if input_path.as_os_str() == "-" => None,
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

/// Writes the `--report` page if asked for, prints the report of `input`, read from
/// `input_path`, and gives the exit code of its verdict.
fn print_report(
    args: &Args,
    input_path: &Path,
    report: &Report,
    input: Input<'_>,
) -> eseal::Result<u8> {
    if let Some(path) = &args.report {
        write_report_pdf(input_path, path, report, &input)?;
    }
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        let input = input_path.display().to_string();
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
