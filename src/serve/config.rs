//! The service's configuration: `eseal-serve.toml`, every key also a command-line flag.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::auth::Role;
use crate::{Error, Result};

/// What `eseal serve` runs: where it listens, what it trusts, which office it issues for
/// and who may do what. Read from TOML ([`Config::from_toml`]); see
/// `eseal-serve.example.toml` for every key with its default.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The address to listen on; loopback by default.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The folder of trust material (`anchors/`, `intermediates/`, `crls/`, `ocsp/`,
    /// `trust-lists/`, `status-lists/`), reloaded on SIGHUP and when its files change.
    #[serde(default)]
    pub trust_dir: Option<PathBuf>,
    /// Seconds between checks of the trust folder for changed files; 0 = only on SIGHUP.
    #[serde(default = "default_reload_interval")]
    pub reload_interval_secs: u64,
    /// An office directory (`eseal licence init`): enables the issuing API, the office's
    /// status list and trust list endpoints.
    #[serde(default)]
    pub office: Option<PathBuf>,
    /// The office's signed trust list to publish at `GET /v1/trust-list`; the newest in
    /// the trust folder's `trust-lists/` by default.
    #[serde(default)]
    pub trust_list: Option<PathBuf>,
    /// Seconds verifiers may cache the office's status list (its `ttl` claim).
    #[serde(default = "default_status_list_ttl")]
    pub status_list_ttl_secs: u64,
    /// Whether callers without a token or client certificate may verify and fetch the
    /// public lists.
    #[serde(default = "yes")]
    pub anonymous: bool,
    /// TLS from PEM files; plain HTTP without it.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Sizes, concurrency and deadlines.
    #[serde(default)]
    pub limits: Limits,
    /// The operators and their roles.
    #[serde(default)]
    pub operators: Vec<OperatorConfig>,
    /// The timestamping authority to serve at `/tsa` (`[tsa]`); its key is loaded by the
    /// caller of [`super::Service::new`].
    #[serde(default)]
    pub tsa: Option<TsaConfig>,
}

/// The files of the timestamping authority (`[tsa]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TsaConfig {
    /// The TSA certificate (PEM), followed by the chain to send with tokens.
    pub cert: PathBuf,
    /// The TSA's private key: PKCS#8 PEM or PKCS#12.
    pub key: PathBuf,
    /// A file holding the key's password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The policy OID tokens are issued under (an example by default: set your own).
    #[serde(default = "default_tsa_policy")]
    pub policy: String,
}

impl TsaConfig {
    /// The authority in the files `cert` and `key`, under the example policy.
    pub fn new(cert: PathBuf, key: PathBuf) -> Self {
        TsaConfig {
            cert,
            key,
            password_file: None,
            policy: default_tsa_policy(),
        }
    }
}

impl TlsConfig {
    /// TLS with the chain in `cert` and the key in `key`, without client certificates.
    pub fn new(cert: PathBuf, key: PathBuf) -> Self {
        TlsConfig {
            cert,
            key,
            client_ca: None,
        }
    }
}

/// TLS with rustls (`[tls]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TlsConfig {
    /// The server's certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// The server's private key (PKCS#8, SEC1 or PKCS#1 PEM).
    pub key: PathBuf,
    /// CA certificates (PEM) client certificates are verified against; when given,
    /// clients may present one (mTLS) and are known by it (`client_cert_sha256`).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// Limits that keep one caller from starving the others (`[limits]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body, bytes.
    pub max_body: usize,
    /// Verifications run at once; 0 = two per core (one would leave a core idle while a
    /// finished verification is answered and the next one handed over).
    pub max_concurrent_verifications: usize,
    /// Seconds a client has to send a request's header section.
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body once its head arrived.
    pub body_timeout_secs: u64,
    /// Open connections per client address.
    pub max_connections_per_client: usize,
    /// Open connections in all.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 64 << 20,
            max_concurrent_verifications: 0,
            header_timeout_secs: 10,
            body_timeout_secs: 60,
            max_connections_per_client: 32,
            max_connections: 4096,
        }
    }
}

/// An operator (`[[operators]]`): a person or system known by an API token and/or a TLS
/// client certificate.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OperatorConfig {
    /// The name written to the audit log.
    pub name: String,
    /// What the operator may do.
    pub roles: Vec<Role>,
    /// The SHA-256 (hex) of the operator's bearer token; the token itself is never
    /// stored.
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// The SHA-256 (hex) of the operator's TLS client certificate (DER).
    #[serde(default)]
    pub client_cert_sha256: Option<String>,
}

impl OperatorConfig {
    /// An operator `name` with `roles`, known by nothing yet.
    pub fn new(name: &str, roles: Vec<Role>) -> Self {
        OperatorConfig {
            name: name.to_owned(),
            roles,
            token_sha256: None,
            client_cert_sha256: None,
        }
    }

    /// Known by the bearer token whose SHA-256 is `token_sha256` (hex).
    pub fn token_sha256(mut self, token_sha256: &str) -> Self {
        self.token_sha256 = Some(token_sha256.to_owned());
        self
    }

    /// Known by the TLS client certificate whose SHA-256 is `cert_sha256` (hex).
    pub fn client_cert_sha256(mut self, cert_sha256: &str) -> Self {
        self.client_cert_sha256 = Some(cert_sha256.to_owned());
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: default_listen(),
            trust_dir: None,
            reload_interval_secs: default_reload_interval(),
            office: None,
            trust_list: None,
            status_list_ttl_secs: default_status_list_ttl(),
            anonymous: true,
            tls: None,
            limits: Limits::default(),
            operators: Vec::new(),
            tsa: None,
        }
    }
}

impl Config {
    /// Reads a configuration from TOML; relative paths are taken from `base` (the
    /// configuration file's folder).
    pub fn from_toml(text: &str, base: &Path) -> Result<Config> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| Error::Invalid(format!("configuration: {e}")))?;
        let rebase = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        config.trust_dir.as_mut().map(rebase);
        config.office.as_mut().map(rebase);
        config.trust_list.as_mut().map(rebase);
        if let Some(tls) = &mut config.tls {
            rebase(&mut tls.cert);
            rebase(&mut tls.key);
            tls.client_ca.as_mut().map(rebase);
        }
        if let Some(tsa) = &mut config.tsa {
            rebase(&mut tsa.cert);
            rebase(&mut tsa.key);
            tsa.password_file.as_mut().map(rebase);
        }
        Ok(config)
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_reload_interval() -> u64 {
    5
}

fn default_status_list_ttl() -> u64 {
    300
}

fn default_tsa_policy() -> String {
    "1.2.3.4.1".into()
}

fn yes() -> bool {
    true
}
