//! `eseal pdf seal`: PAdES sealing with a visible e-seal.

use std::path::PathBuf;

use clap::Subcommand;
use eseal::Signer;
use std::time::Duration;

use eseal::Timestamper;
use eseal::{
    Crl, Seal, ValidationData, add_document_timestamp, add_validation_data, seal_pdf, seal_pdf_file,
};
use eseal::{DocMdp, FieldLock, HttpTsa, PdfSealOptions, Placement, SubFilter};

use crate::signer::{LoadedSigner, SealArgs};
use crate::{input_named, read_file, read_file_up_to, write_file, write_output};

/// PAdES baseline levels (ETSI EN 319 142-1 clause 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    /// The signature alone.
    #[value(name = "B-B")]
    BB,
    /// With a signature timestamp.
    #[value(name = "B-T")]
    BT,
    /// With the certificates and revocation data in the DSS.
    #[value(name = "B-LT")]
    BLt,
    /// With a document timestamp over it all.
    #[value(name = "B-LTA")]
    BLta,
}

/// Where timestamps and validation data come from.
#[derive(clap::Args)]
pub struct LtvArgs {
    /// The timestamp authority (RFC 3161 over HTTP, http:// URLs).
    #[arg(long)]
    tsa: Option<String>,
    /// Seconds to wait for the TSA.
    #[arg(long, default_value_t = 10)]
    tsa_timeout: u64,
    /// CRLs to put in the DSS (DER or PEM); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// OCSP responses to put in the DSS (DER); repeatable.
    #[arg(long)]
    ocsp: Vec<PathBuf>,
    /// More certificates to put in the DSS (PEM); repeatable.
    #[arg(long = "dss-cert")]
    dss_cert: Vec<PathBuf>,
}

impl LtvArgs {
    /// The TSA to ask over HTTP.
    fn timestamper(&self) -> eseal::Result<HttpTsa> {
        let url = self.tsa.clone().ok_or_else(|| {
            eseal::Error::Invalid("this level needs a timestamp authority: give --tsa URL".into())
        })?;
        Ok(HttpTsa {
            url,
            timeout: Duration::from_secs(self.tsa_timeout),
        })
    }

    /// Raises `pdf` from B-T to `level`: the DSS for B-LT, then a document timestamp for
    /// B-LTA.
    fn extend(&self, pdf: Vec<u8>, level: Level) -> eseal::Result<Vec<u8>> {
        if level < Level::BLt {
            return Ok(pdf);
        }
        let mut data = ValidationData::default();
        for path in &self.dss_cert {
            data.certificates.extend(
                crate::read_certificate_bundle_file(path)?
                    .iter()
                    .map(|c| c.der().to_vec()),
            );
        }
        for path in &self.crl {
            data.crls
                .push(Crl::from_pem_or_der(&read_file(path)?)?.der().to_vec());
        }
        for path in &self.ocsp {
            data.ocsps.push(read_file(path)?);
        }
        let pdf = add_validation_data(pdf, &data)?;
        if level < Level::BLta {
            return Ok(pdf);
        }
        add_document_timestamp(pdf, &self.timestamper()?)
    }
}

// Parsed once per run: the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Seal a PDF by incremental update: signature field, visible seal, CMS (PAdES B-B).
    #[command(mut_args(crate::reword(&[
        ("input", "The PDF to seal"),
        ("out", "The sealed PDF to write"),
    ])))]
    Seal {
        #[command(flatten)]
        files: SealArgs,
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
        /// The PAdES level: B-T and above need --tsa; B-LT puts the certificates and the
        /// --crl / --ocsp files in the DSS.
        #[arg(long, value_enum, default_value = "B-B")]
        level: Level,
        #[command(flatten)]
        ltv: LtvArgs,
    },
    /// Raise a sealed PDF to B-LT (DSS) or B-LTA (DSS and a document timestamp).
    Extend {
        /// The sealed PDF.
        #[arg(long = "in")]
        input: PathBuf,
        /// The extended PDF to write.
        #[arg(long)]
        out: PathBuf,
        /// B-LT or B-LTA.
        #[arg(long, value_enum)]
        level: Level,
        #[command(flatten)]
        ltv: LtvArgs,
    },
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
    match cmd {
        Command::Extend {
            input,
            out,
            level,
            ltv,
        } => {
            let pdf = read_file_up_to(&input, eseal::MAX_PDF_SIZE, eseal::UPDATE_HEADROOM)?;
            let extended = ltv.extend(pdf, level)?;
            write_file(&out, &extended)?;
            out!(
                "extended {} → {} ({level:?})",
                input.display(),
                out.display()
            );
            Ok(0)
        }
        seal @ Command::Seal { .. } => run_seal(seal),
    }
}

fn run_seal(cmd: Command) -> eseal::Result<u8> {
    let Command::Seal {
        files: SealArgs { input, out, signer },
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
        level,
        ltv,
    } = cmd
    else {
        return Ok(0);
    };
    let LoadedSigner {
        key: signer,
        certificate,
        chain: mut intermediates,
        key_file_chain,
    } = signer.load()?;
    for path in &chain {
        intermediates.extend(crate::read_certificate_bundle_file(path)?);
    }
    intermediates.extend(key_file_chain);
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
    let timestamper = if level >= Level::BT {
        Some(ltv.timestamper()?)
    } else {
        None
    };
    options.timestamper = timestamper.as_ref().map(|t| t as &dyn Timestamper);
    // Up to B-T the original is copied from the file, never held in memory.
    let file = if level < Level::BLt {
        crate::open_file(&input, eseal::MAX_PDF_SIZE)?
    } else {
        None
    };
    let written = if let Some(file) = file {
        write_output(&out, |writer| seal_pdf_file(&file, writer, &options))
            .map_err(|e| input_named(e, "PDF file", &input))?
    } else {
        let pdf = read_file_up_to(&input, eseal::MAX_PDF_SIZE, eseal::UPDATE_HEADROOM)?;
        let sealed = ltv.extend(seal_pdf(pdf, &options)?, level)?;
        write_file(&out, &sealed)?;
        sealed.len() as u64
    };
    out!(
        "sealed {} → {} ({written} bytes, signer {}, {})",
        input.display(),
        out.display(),
        certificate.subject(),
        signer.algorithm()
    );
    Ok(0)
}
