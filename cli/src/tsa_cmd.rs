//! `eseal tsa serve|request`: an RFC 3161 timestamping authority over HTTP and its client.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use eseal::TimestampAuthority as Authority;
use eseal::{DigestAlgorithm, TimestampRequest, rfc3339, unix_seconds};

use crate::signer::SignerArgs;
use crate::write_file;

#[derive(Subcommand)]
pub enum Command {
    /// Run an RFC 3161 timestamping authority over HTTP (POST application/timestamp-query)
    /// until killed; prints its URL first.
    #[command(mut_args(crate::reword(&[
        (
            "cert",
            "The TSA certificate (PEM; critical extended key usage timeStamping alone), \
             followed by the chain to send with tokens",
        ),
        (
            "key",
            "The TSA's private key: PKCS#8 PEM (encrypted if --password is given) or PKCS#12",
        ),
    ])))]
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8091 (port 0: any free port).
        #[arg(long)]
        listen: String,
        #[command(flatten)]
        signer: SignerArgs,
        /// The TSA policy OID tokens are issued under (an example by default: set your own).
        #[arg(long, default_value = "1.2.3.4.1")]
        policy: String,
    },
    /// Timestamp a file at a TSA: write the token (DER TimeStampToken).
    Request {
        /// The TSA's URL (http:// only).
        #[arg(long)]
        url: String,
        /// The file to timestamp.
        #[arg(long)]
        data: PathBuf,
        /// The imprint's digest: sha256, sha384, sha512 or sm3.
        #[arg(long, default_value = "sha256", value_parser = parse_digest)]
        digest: DigestAlgorithm,
        /// The TSA policy OID to ask for.
        #[arg(long)]
        policy: Option<String>,
        /// Where to write the token.
        #[arg(long)]
        out: PathBuf,
        /// Give up when the TSA has not answered after this many seconds.
        #[arg(long, default_value_t = 10)]
        timeout_secs: u64,
    },
}

fn parse_digest(text: &str) -> Result<DigestAlgorithm, String> {
    match text.to_ascii_lowercase().replace('-', "").as_str() {
        "sha256" => Ok(DigestAlgorithm::Sha256),
        "sha384" => Ok(DigestAlgorithm::Sha384),
        "sha512" => Ok(DigestAlgorithm::Sha512),
        "sm3" => Ok(DigestAlgorithm::Sm3),
        _ => Err(format!("{text:?} is not sha256, sha384, sha512 or sm3")),
    }
}

pub fn run(cmd: Command) -> eseal::Result<u8> {
    match cmd {
        Command::Serve {
            listen,
            signer,
            policy,
        } => {
            let signer = signer.load()?;
            let authority = Authority::new(
                Arc::new(signer.key),
                signer.certificate,
                signer.chain,
                &policy,
            )?;
            eprintln!(
                "eseal TSA {} (policy {}) serving RFC 3161 over HTTP at / and /tsa; stop with \
                 Ctrl-C",
                authority.certificate().subject(),
                authority.policy()
            );
            let config = crate::serve_cmd::Args {
                listen: Some(listen),
                ..Default::default()
            }
            .config()?;
            eseal::serve::Service::new(config, Some(authority))?.run()?;
            Ok(0)
        }
        Command::Request {
            url,
            data,
            digest,
            policy,
            out,
            timeout_secs,
        } => {
            let mut request = TimestampRequest::new(digest, hash_file(&data, digest)?);
            request.policy = policy;
            let token =
                eseal::request_timestamp(&url, &request, Duration::from_secs(timeout_secs))?;
            write_file(&out, token.der())?;
            let tst = token.tst_info();
            // The token's signer (the TSA certificate), found as verification finds it.
            let by = token
                .signed_data()
                .verify_encapsulated(&[], true)
                .signer
                .map(|c| c.subject().to_string())
                .or_else(|| tst.tsa_name.clone())
                .unwrap_or_else(|| "an unnamed TSA".into());
            out!(
                "timestamp of {} ({} {}) at {} by {by}, serial {}, policy {} → {}",
                data.display(),
                digest.name(),
                hex::encode(&request.message_imprint),
                rfc3339(unix_seconds(tst.gen_time)),
                hex::encode(&tst.serial),
                tst.policy,
                out.display()
            );
            Ok(0)
        }
    }
}

/// The digest of a file, streamed.
fn hash_file(path: &Path, digest: DigestAlgorithm) -> eseal::Result<Vec<u8>> {
    let io = |source| eseal::Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = digest.hasher();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}
