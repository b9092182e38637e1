//! `eseal pki init|issue|revoke|crl`.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Subcommand;
use eseal::{Algorithm, DistinguishedName, OfficeCa, Profile, RevocationReason, parse_rfc3339};

use crate::{write_file, write_secret};

#[derive(Subcommand)]
pub enum Command {
    /// Create a self-signed root CA in DIR.
    #[command(mut_args(crate::reword(&[
        ("name", "Common name, e.g. \"国家电子证照根CA\""),
        ("org", "Organisation"),
        ("alg", "sm2 (default), p256, p384, ed25519"),
    ])))]
    Init {
        /// The CA directory to create.
        dir: PathBuf,
        #[command(flatten)]
        subject: SubjectArgs,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Issue a certificate from the CA in --ca.
    Issue {
        /// The issuing CA directory.
        #[arg(long)]
        ca: PathBuf,
        /// office-ca, seal-maker, signer, licence-signer, status-list, trust-list (a
        /// province's list signer), tsa or ocsp (a root is made by `pki init`).
        #[arg(long)]
        profile: Profile,
        #[command(flatten)]
        subject: SubjectArgs,
        /// Validity in days.
        #[arg(long, default_value_t = 730)]
        days: u32,
        /// For office-ca: the new CA directory; otherwise writes OUT.pem (certificate and
        /// chain) and OUT.key (PKCS#8).
        #[arg(long)]
        out: PathBuf,
    },
    /// Record the revocation of a certificate the CA issued.
    Revoke {
        /// The CA directory.
        #[arg(long)]
        ca: PathBuf,
        /// The certificate to revoke (PEM or DER).
        #[arg(long, conflicts_with = "serial", required_unless_present = "serial")]
        cert: Option<PathBuf>,
        /// Or its serial number in hex.
        #[arg(long)]
        serial: Option<String>,
        /// RFC 5280 reason: keyCompromise, cessationOfOperation, certificateHold, ...
        #[arg(long, default_value = "unspecified")]
        reason: RevocationReason,
        /// When it takes effect (RFC 3339); now by default.
        #[arg(long)]
        at: Option<String>,
    },
    /// Issue the next CRL of the CA.
    Crl {
        /// The CA directory.
        #[arg(long)]
        ca: PathBuf,
        /// Where to write the CRL; DER unless the name ends in .pem.
        #[arg(long)]
        out: PathBuf,
        /// Days until nextUpdate.
        #[arg(long, default_value_t = 7)]
        days: u32,
    },
}

/// The subject of a new certificate and the algorithm of its new key.
#[derive(clap::Args)]
pub struct SubjectArgs {
    /// Common name of the subject.
    #[arg(long)]
    name: String,
    /// Organisation of the subject.
    #[arg(long)]
    org: Option<String>,
    /// Key algorithm for the new key: sm2 (default), p256, p384, ed25519.
    #[arg(long, default_value = "sm2")]
    alg: Algorithm,
}

impl SubjectArgs {
    fn dn(&self) -> DistinguishedName {
        DistinguishedName {
            common_name: self.name.clone(),
            organization: self.org.clone(),
            ..Default::default()
        }
    }
}

pub fn run(cmd: Command) -> eseal::Result<u8> {
    match cmd {
        Command::Init { dir, subject, days } => {
            let ca = OfficeCa::init_root(&dir, &subject.dn(), subject.alg, days)?;
            out!(
                "root CA {} in {}",
                ca.certificate().subject(),
                dir.display()
            );
        }
        Command::Issue {
            ca,
            profile,
            subject,
            days,
            out,
        } => {
            let ca = OfficeCa::open(&ca)?;
            if profile == Profile::OfficeCa {
                let sub = ca.create_office_ca(&out, &subject.dn(), subject.alg, days)?;
                out!(
                    "office CA {} in {}",
                    sub.certificate().subject(),
                    out.display()
                );
            } else {
                let (cert, key) =
                    ca.issue_with_new_key(profile, &subject.dn(), subject.alg, days)?;
                let mut pem = cert.to_pem();
                pem.push_str(&ca.certificate().to_pem());
                for c in ca.chain() {
                    pem.push_str(&c.to_pem());
                }
                let cert_path = out.with_extension("pem");
                let key_path = out.with_extension("key");
                write_file(&cert_path, pem.as_bytes())?;
                write_secret(&key_path, key.to_pkcs8_pem().as_bytes())?;
                out!(
                    "{} certificate {} serial {} → {}, {}",
                    profile.name(),
                    cert.subject(),
                    cert.serial_hex(),
                    cert_path.display(),
                    key_path.display()
                );
            }
        }
        Command::Revoke {
            ca,
            cert,
            serial,
            reason,
            at,
        } => {
            let ca = OfficeCa::open(&ca)?;
            let serial = match cert {
                Some(path) => crate::read_certificate_file(&path)?.0.serial_hex(),
                None => {
                    serial.ok_or_else(|| eseal::Error::Invalid("give --cert or --serial".into()))?
                }
            };
            let at = match at {
                Some(text) => parse_rfc3339(&text)?,
                None => SystemTime::now(),
            };
            ca.revoke(&serial, reason, at)?;
            out!("revoked serial {serial} ({reason}); publish it with `eseal pki crl`");
        }
        Command::Crl { ca, out, days } => {
            let ca = OfficeCa::open(&ca)?;
            let crl = ca.crl(days)?;
            let pem = out.extension().is_some_and(|e| e == "pem");
            let bytes = if pem {
                crl.to_pem().into_bytes()
            } else {
                crl.der().to_vec()
            };
            write_file(&out, &bytes)?;
            out!(
                "CRL of {} with {} revoked certificate(s) → {}",
                crl.issuer(),
                crl.entries().len(),
                out.display()
            );
        }
    }
    Ok(0)
}
