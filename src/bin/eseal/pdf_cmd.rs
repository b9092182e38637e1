//! `eseal pdf seal`: PAdES sealing with a visible e-seal.

use std::path::PathBuf;

use clap::Subcommand;
use eseal::crypto::{Signer, SoftwareKey};
use eseal::pdf::{DocMdp, FieldLock, PdfSealOptions, Placement, SubFilter, seal_pdf};
use eseal::pki::{Certificate, read_certificates};
use eseal::seal::Seal;

use crate::{read_file, read_file_up_to, write_file};

#[derive(Subcommand)]
pub enum Command {
    /// Seal a PDF by incremental update: signature field, visible seal, CMS (PAdES B-B).
    Seal {
        /// The PDF to seal.
        #[arg(long = "in")]
        input: PathBuf,
        /// The sealed PDF to write.
        #[arg(long)]
        out: PathBuf,
        /// The signer's certificate (PEM), followed by its intermediates if any.
        #[arg(long)]
        cert: PathBuf,
        /// The signer's private key: PKCS#8 PEM (encrypted if --password is given) or
        /// PKCS#12 (.p12/.pfx).
        #[arg(long)]
        key: PathBuf,
        /// The password of an encrypted key or PKCS#12 file.
        #[arg(long)]
        password: Option<String>,
        /// More intermediate certificates to embed (PEM); repeatable.
        #[arg(long)]
        chain: Vec<PathBuf>,
        /// The e-seal (.esl): drawn on the page and carried in the signature; the signer's
        /// certificate must be in its certList.
        #[arg(long)]
        seal: Option<PathBuf>,
        /// Page number, 1-based.
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Rectangle "x1,y1,x2,y2" in points from the page's bottom-left corner; default:
        /// the seal's own size near the bottom-right corner.
        #[arg(long, conflicts_with = "keyword")]
        rect: Option<String>,
        /// Centre the seal on this text instead.
        #[arg(long)]
        keyword: Option<String>,
        /// Which occurrence of the keyword, 1-based.
        #[arg(long, default_value_t = 1)]
        occurrence: usize,
        /// No visible widget.
        #[arg(long, conflicts_with_all = ["rect", "keyword"])]
        invisible: bool,
        /// Certify the document with DocMDP permissions 1, 2 or 3 (first signature only).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
        certify: Option<u8>,
        /// Lock every form field against later changes (FieldMDP /Action /All).
        #[arg(long, conflicts_with = "lock_fields")]
        lock_all: bool,
        /// Lock these form fields (fully qualified names, comma-separated).
        #[arg(long, value_delimiter = ',')]
        lock_fields: Vec<String>,
        /// Write /SubFilter /adbe.pkcs7.detached instead of /ETSI.CAdES.detached.
        #[arg(long)]
        pkcs7: bool,
        /// /Reason.
        #[arg(long)]
        reason: Option<String>,
        /// /Location.
        #[arg(long)]
        location: Option<String>,
        /// The signature field's name (default Seal1, Seal2, ...).
        #[arg(long)]
        field: Option<String>,
    },
}

/// Loads a software key from PKCS#8 PEM/DER or PKCS#12, with the certificates a PKCS#12
/// file carries.
pub fn load_key(
    path: &std::path::Path,
    password: Option<&str>,
) -> eseal::Result<(SoftwareKey, Vec<Certificate>)> {
    let bytes = read_file(path)?;
    if let Ok(text) = std::str::from_utf8(&bytes)
        && text.contains("-----BEGIN")
    {
        return Ok((SoftwareKey::from_pem(text, password)?, Vec::new()));
    }
    if let Some(password) = password
        && let Ok((key, certs)) = SoftwareKey::from_pkcs12(&bytes, password)
    {
        let certs = certs
            .iter()
            .filter_map(|der| Certificate::from_der(der).ok())
            .collect();
        return Ok((key, certs));
    }
    Ok((SoftwareKey::from_pkcs8_der(&bytes)?, Vec::new()))
}

fn parse_rect(text: &str) -> eseal::Result<[f64; 4]> {
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| eseal::Error::Invalid(format!("--rect {text:?} is not x1,y1,x2,y2")))?;
    <[f64; 4]>::try_from(values)
        .map_err(|_| eseal::Error::Invalid(format!("--rect {text:?} is not x1,y1,x2,y2")))
}

pub fn run(cmd: Command) -> eseal::Result<u8> {
    let Command::Seal {
        input,
        out,
        cert,
        key,
        password,
        chain,
        seal,
        page,
        rect,
        keyword,
        occurrence,
        invisible,
        certify,
        lock_all,
        lock_fields,
        pkcs7,
        reason,
        location,
        field,
    } = cmd;
    let mut certs = read_certificates(&read_file(&cert)?)?;
    if certs.is_empty() {
        return Err(eseal::Error::Invalid(format!(
            "{} holds no certificate",
            cert.display()
        )));
    }
    let (signer, p12_certs) = load_key(&key, password.as_deref())?;
    let certificate = certs.remove(0);
    if certificate.spki_der() != signer.public_key_spki() {
        return Err(eseal::Error::Invalid(
            "the key does not belong to the certificate".into(),
        ));
    }
    let mut intermediates = certs;
    for path in &chain {
        intermediates.extend(read_certificates(&read_file(path)?)?);
    }
    intermediates.extend(
        p12_certs
            .into_iter()
            .filter(|c| c.der() != certificate.der() && c.subject() != c.issuer()),
    );
    let seal = match &seal {
        Some(path) => Some(Seal::from_der(&read_file(path)?)?),
        None => None,
    };
    let placement = if invisible {
        Placement::Invisible
    } else if let Some(keyword) = keyword {
        Placement::Keyword {
            keyword,
            occurrence: occurrence.saturating_sub(1),
        }
    } else if seal.is_none() && rect.is_none() {
        Placement::Invisible
    } else {
        Placement::Page {
            page: page.saturating_sub(1),
            rect: rect.as_deref().map(parse_rect).transpose()?,
        }
    };
    let mut options = PdfSealOptions::new(&signer, &certificate);
    options.chain = &intermediates;
    options.seal = seal.as_ref();
    options.placement = placement;
    options.sub_filter = if pkcs7 {
        SubFilter::Pkcs7Detached
    } else {
        SubFilter::CadesDetached
    };
    options.certify = certify.map(|p| match p {
        1 => DocMdp::NoChanges,
        3 => DocMdp::Annotations,
        _ => DocMdp::FormFilling,
    });
    options.lock = if lock_all {
        Some(FieldLock::All)
    } else if lock_fields.is_empty() {
        None
    } else {
        Some(FieldLock::Include(lock_fields))
    };
    options.reason = reason;
    options.location = location;
    options.field_name = field;
    let pdf = read_file_up_to(
        &input,
        eseal::pdf::MAX_PDF_SIZE,
        eseal::pdf::UPDATE_HEADROOM,
    )?;
    let sealed = seal_pdf(pdf, &options)?;
    write_file(&out, &sealed)?;
    out!(
        "sealed {} → {} ({} bytes, signer {}, {})",
        input.display(),
        out.display(),
        sealed.len(),
        certificate.subject(),
        signer.algorithm()
    );
    Ok(0)
}
