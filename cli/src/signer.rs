//! The signer of a command that signs (`pdf seal`, `ofd seal`, `tsa serve`, `licence
//! trust-list`): its certificate, its key and the key's password.

use std::path::{Path, PathBuf};

use eseal::{Certificate, Signer as _, SoftwareKey};

use crate::{read_file, read_file_up_to};

/// The largest password file read.
const MAX_PASSWORD_FILE: u64 = 64 * 1024;

/// The signer's files, flattened into each command that signs; a command words the help
/// of `--cert` and `--key` for its own signer with [`crate::reword`].
///
/// The password of an encrypted key comes from the command line (`--password`), a file
/// (`--password-file`, less one trailing newline) or an environment variable
/// (`--password-env`), one of them at most: a password on the command line is seen by
/// every user of the machine (`ps`) and kept in shell histories.
#[derive(clap::Args)]
pub struct SignerArgs {
    /// The signer's certificate (PEM), followed by its intermediates if any.
    #[arg(long)]
    cert: PathBuf,
    /// The signer's private key: PKCS#8 PEM (encrypted if --password is given) or
    /// PKCS#12 (.p12/.pfx).
    #[arg(long)]
    key: PathBuf,
    /// The password of an encrypted key or PKCS#12 file.
    #[arg(long, conflicts_with_all = ["password_file", "password_env"])]
    password: Option<String>,
    /// Read the password from FILE (`-`: standard input) instead, less one trailing
    /// newline.
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    password_file: Option<PathBuf>,
    /// Read the password from the environment variable VAR instead.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
}

/// What a sealing command (`pdf seal`, `ofd seal`) reads, writes and seals with; the
/// command words the help of `--in` and `--out` for its documents with [`crate::reword`].
#[derive(clap::Args)]
pub struct SealArgs {
    /// The document to seal.
    #[arg(long = "in")]
    pub input: PathBuf,
    /// The sealed document to write.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// A signer read from its files: the key and the certificate belong together.
pub struct LoadedSigner {
    /// The private key.
    pub key: SoftwareKey,
    /// The signer's certificate: the first of `--cert`.
    pub certificate: Certificate,
    /// The certificates after the first in `--cert`.
    pub chain: Vec<Certificate>,
    /// The certificates a PKCS#12 key file carries, but for the signer's own and
    /// self-signed ones.
    pub key_file_chain: Vec<Certificate>,
}

impl SignerArgs {
    /// The signer in the files `cert` and `key`, the key's password (if any) in
    /// `password_file`: as a configuration file names them.
    pub fn from_files(cert: PathBuf, key: PathBuf, password_file: Option<PathBuf>) -> Self {
        SignerArgs {
            cert,
            key,
            password: None,
            password_file,
            password_env: None,
        }
    }

    /// Reads the certificate and the key (decrypted with the password, if any) and checks
    /// that the key is the certificate's.
    pub fn load(&self) -> eseal::Result<LoadedSigner> {
        let (certificate, chain) = crate::read_certificate_file(&self.cert)?;
        let password = self.password()?;
        let (key, key_file_chain) = load_key(&self.key, password.as_deref())?;
        if certificate.spki_der() != key.public_key_spki() {
            return Err(eseal::Error::Invalid(
                "the key does not belong to the certificate".into(),
            ));
        }
        let key_file_chain = key_file_chain
            .into_iter()
            .filter(|c| c.der() != certificate.der() && c.subject() != c.issuer())
            .collect();
        Ok(LoadedSigner {
            key,
            certificate,
            chain,
            key_file_chain,
        })
    }

    /// The password from wherever it was given: a missing variable is a usage error, a
    /// file that cannot be read is as any input that cannot be read.
    fn password(&self) -> eseal::Result<Option<String>> {
        if let Some(path) = &self.password_file {
            return read_password_file(path).map(Some);
        }
        if let Some(name) = &self.password_env {
            return std::env::var(name).map(Some).map_err(|e| {
                eseal::Error::Invalid(match e {
                    std::env::VarError::NotPresent => {
                        format!("--password-env {name}: the environment variable is not set")
                    }
                    std::env::VarError::NotUnicode(_) => {
                        format!("--password-env {name}: the value is not UTF-8")
                    }
                })
            });
        }
        Ok(self.password.clone())
    }
}

/// The password in the file `path`: its text less one trailing newline (`\n` or `\r\n`).
fn read_password_file(path: &Path) -> eseal::Result<String> {
    let bytes = read_file_up_to(path, MAX_PASSWORD_FILE, 0)?;
    let mut text = String::from_utf8(bytes)
        .map_err(|_| eseal::Error::malformed("password file", "not UTF-8").in_file(path))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// Loads a software key from PKCS#8 PEM/DER or PKCS#12, with the certificates a PKCS#12
/// file carries.
fn load_key(path: &Path, password: Option<&str>) -> eseal::Result<(SoftwareKey, Vec<Certificate>)> {
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
