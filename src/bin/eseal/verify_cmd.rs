//! `eseal verify`: check what a file holds as of a time and report.

use std::path::PathBuf;
use std::time::SystemTime;

use eseal::pki::{Crl, TrustStore, Usage, parse_rfc3339, read_certificates, rfc3339};
use eseal::report::Report;

use crate::read_file;

#[derive(clap::Args)]
pub struct Args {
    /// The file to verify: a certificate (PEM, optionally followed by its chain, or DER).
    input: PathBuf,
    /// Trusted certificates (PEM bundle or DER); repeatable.
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// CRLs (DER or PEM); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Verify as of this time (RFC 3339); now by default.
    #[arg(long)]
    at: Option<String>,
    /// What the certificate must be fit for: any, signer, seal-maker, tsa, status-list.
    #[arg(long, default_value = "any")]
    usage: Usage,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
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
    for path in &args.crl {
        store.add_crl(Crl::from_pem_or_der(&read_file(path)?)?);
    }
    let certs = read_certificates(&read_file(&args.input)?)?;
    let signatures = match certs.split_first() {
        Some((leaf, chain)) => {
            vec![
                store
                    .validate(leaf, chain, at, args.usage)
                    .to_report("certificate"),
            ]
        }
        None => Vec::new(),
    };
    let report = Report {
        validation_time: rfc3339(unix(at)),
        signatures,
    };
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        print_human(&args.input, &report);
    }
    Ok(report.exit_code() as u8)
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

fn print_human(input: &std::path::Path, report: &Report) {
    out!(
        "{} — verified as of {}",
        input.display(),
        report.validation_time
    );
    if report.signatures.is_empty() {
        out!("nothing signed found");
    }
    for (i, s) in report.signatures.iter().enumerate() {
        let sub = s
            .sub_indication
            .map(|x| format!(" / {x}"))
            .unwrap_or_default();
        out!("[{}] {}: {}{sub}", i + 1, s.kind, s.indication);
        if let Some(signer) = &s.signer {
            out!("    subject:    {signer}");
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
