//! `eseal ofd`: seal OFD documents with GB/T 38540 seals, render licences as OFD.

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::SystemTime;

use clap::Subcommand;
use eseal::{OfdPackage as Package, OfdPlacement, OfdSealOptions, Seal, seal_ofd_to};

use crate::licence_cmd::{self, Format, RenderArgs};
use crate::signer::{LoadedSigner, SealArgs};
use crate::{input_named, read_file, write_output};

#[derive(Subcommand)]
pub enum Command {
    /// Add a seal signature (签章) to an OFD: Seal.esl, Signature.xml protecting every file
    /// of the package, the StampAnnot showing the seal, and SignedValue.dat; earlier
    /// signatures stay valid.
    #[command(mut_args(crate::reword(&[
        ("input", "The OFD to seal"),
        ("out", "The sealed OFD to write"),
        ("cert", "The signer's certificate (PEM); it must be in the seal's certList"),
    ])))]
    Seal {
        #[command(flatten)]
        files: SealArgs,
        /// The e-seal (.esl).
        #[arg(long)]
        seal: PathBuf,
        /// Page number, 1-based.
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// The seal's box "x,y,w,h" in mm from the page's top-left corner; default: the
        /// seal's own size near the bottom-right corner.
        #[arg(long, conflicts_with = "keyword")]
        boundary: Option<String>,
        /// Centre the seal on this text instead.
        #[arg(long)]
        keyword: Option<String>,
        /// Which occurrence of the keyword, 1-based.
        #[arg(long, default_value_t = 1)]
        occurrence: usize,
        /// The last signature: also protect Signatures.xml, so no seal can be added after.
        #[arg(long)]
        lock: bool,
        /// Seal even when earlier signatures do not verify (they are printed and the
        /// document refused, exit 2, without it); the new signature's report notes it.
        #[arg(long)]
        force: bool,
    },
    /// Render a licence of an office as an OFD (GB/T 36905) and seal it with the office's
    /// e-seal over its name and date; the document's SHA-256 is stored with the licence.
    #[command(mut_args(crate::reword(&[("out", "The OFD to write")])))]
    Render(RenderArgs),
}

fn parse_boundary(text: &str) -> eseal::Result<[f64; 4]> {
    let error = || eseal::Error::Invalid(format!("--boundary {text:?} is not x,y,w,h in mm"));
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| error())?;
    <[f64; 4]>::try_from(values).map_err(|_| error())
}

pub fn run(cmd: Command) -> eseal::Result<u8> {
    match cmd {
        Command::Render(args) => licence_cmd::render(&args, Format::Ofd),
        Command::Seal {
            files: SealArgs { input, out, signer },
            seal,
            page,
            boundary,
            keyword,
            occurrence,
            lock,
            force,
        } => {
            let LoadedSigner {
                key: signer,
                certificate,
                ..
            } = signer.load()?;
            let seal = Seal::from_der(&read_file(&seal)?)?;
            // A file is opened and its large files left there; standard input is read whole.
            let limit = crate::max_document();
            let package = match crate::open_file(&input, limit)? {
                Some(file) => Package::open(file).map_err(|e| in_input(e, &input))?,
                None => Package::read(crate::read_file_up_to(&input, limit, 0)?)?,
            };
            let mut options = OfdSealOptions::new(&seal, &signer, &certificate);
            options.placement = match keyword {
                Some(keyword) => OfdPlacement::Keyword {
                    keyword,
                    occurrence: occurrence.saturating_sub(1),
                },
                None => OfdPlacement::Page {
                    page: page.saturating_sub(1),
                    boundary: boundary.as_deref().map(parse_boundary).transpose()?,
                },
            };
            options.signing_time = SystemTime::now();
            options.lock = lock;
            options.force = force;
            write_output(&out, |file| {
                let mut writer = BufWriter::with_capacity(1 << 16, file);
                seal_ofd_to(&package, &mut writer, &options)?;
                writer
                    .into_inner()
                    .map(|_| ())
                    .map_err(|e| eseal::Error::io(&out, e.into_error()))
            })
            .map_err(|e| in_input(e, &input))?;
            out!(
                "sealed {} → {} with {:?}",
                input.display(),
                out.display(),
                seal.property.name
            );
            Ok(0)
        }
    }
}

/// `error` naming the OFD read when it is an I/O error of the package.
fn in_input(error: eseal::Error, input: &std::path::Path) -> eseal::Error {
    input_named(error, "OFD package", input)
}
