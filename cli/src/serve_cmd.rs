//! `eseal serve`: the verification and issuing service with its web page.

use std::path::PathBuf;
use std::sync::Arc;

use eseal::TimestampAuthority;
use eseal::serve::{Config, OperatorConfig, Role, Service, TlsConfig, TsaConfig};

use crate::signer::SignerArgs;

/// Every key of the configuration file is also a flag; a flag overrides the file.
#[derive(clap::Args, Default)]
pub struct Args {
    /// The configuration file (TOML; `eseal-serve.example.toml` lists every key).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The address to listen on (port 0: any free port); 127.0.0.1:8080 by default.
    #[arg(long)]
    pub listen: Option<String>,
    /// The trust folder: anchors/, intermediates/, crls/, ocsp/, trust-lists/,
    /// status-lists/.
    #[arg(long)]
    pub trust_dir: Option<PathBuf>,
    /// Seconds between checks of the trust folder for changes (0: only on SIGHUP).
    #[arg(long)]
    pub reload_interval_secs: Option<u64>,
    /// An office directory: enables the issuing API and the office's lists.
    #[arg(long)]
    pub office: Option<PathBuf>,
    /// The signed trust list to publish at /v1/trust-list.
    #[arg(long)]
    pub trust_list: Option<PathBuf>,
    /// Seconds verifiers may cache the office's status list.
    #[arg(long)]
    pub status_list_ttl_secs: Option<u64>,
    /// Answer only callers with a token or client certificate.
    #[arg(long)]
    pub no_anonymous: bool,
    /// The server's certificate chain (PEM): serve HTTPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// CA certificates (PEM) for TLS client certificates (mTLS).
    #[arg(long, requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// The largest request body, bytes (64 MiB by default).
    #[arg(long)]
    pub max_body: Option<usize>,
    /// Verifications run at once (0: two per core).
    #[arg(long)]
    pub max_concurrent_verifications: Option<usize>,
    /// Seconds a client has to send a request head.
    #[arg(long)]
    pub header_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request body.
    #[arg(long)]
    pub body_timeout_secs: Option<u64>,
    /// Open connections per client address.
    #[arg(long)]
    pub max_connections_per_client: Option<usize>,
    /// Open connections in all.
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// An operator: NAME:ROLES:TOKEN_SHA256, ROLES joined by `+` (verify, issue, revoke,
    /// admin), the token's SHA-256 in hex (`printf %s TOKEN | sha256sum`); repeatable.
    #[arg(long, value_name = "NAME:ROLES:SHA256")]
    pub operator: Vec<String>,
    /// The timestamping authority's certificate (PEM): serve RFC 3161 at /tsa.
    #[arg(long, requires = "tsa_key")]
    pub tsa_cert: Option<PathBuf>,
    /// The timestamping authority's key.
    #[arg(long, requires = "tsa_cert")]
    pub tsa_key: Option<PathBuf>,
    /// A file holding the TSA key's password.
    #[arg(long, requires = "tsa_key")]
    pub tsa_password_file: Option<PathBuf>,
    /// The TSA policy OID.
    #[arg(long)]
    pub tsa_policy: Option<String>,
}

impl Args {
    /// The configuration file's settings with the flags over them.
    pub fn config(self) -> eseal::Result<Config> {
        let mut config = match &self.config {
            Some(path) => {
                let text = crate::read_file_up_to(path, 1 << 20, 0)?;
                let text = String::from_utf8(text)
                    .map_err(|_| eseal::Error::malformed("configuration", "not UTF-8"))?;
                let base = path.parent().unwrap_or(std::path::Path::new("."));
                Config::from_toml(&text, base).map_err(|e| e.in_file(path))?
            }
            None => Config::default(),
        };
        fn set<T>(value: Option<T>, key: &mut T) {
            if let Some(value) = value {
                *key = value;
            }
        }
        set(self.listen, &mut config.listen);
        set(self.reload_interval_secs, &mut config.reload_interval_secs);
        set(self.status_list_ttl_secs, &mut config.status_list_ttl_secs);
        let limits = &mut config.limits;
        set(self.max_body, &mut limits.max_body);
        set(
            self.max_concurrent_verifications,
            &mut limits.max_concurrent_verifications,
        );
        set(self.header_timeout_secs, &mut limits.header_timeout_secs);
        set(self.body_timeout_secs, &mut limits.body_timeout_secs);
        set(
            self.max_connections_per_client,
            &mut limits.max_connections_per_client,
        );
        set(self.max_connections, &mut limits.max_connections);
        config.trust_dir = self.trust_dir.or(config.trust_dir);
        config.office = self.office.or(config.office);
        config.trust_list = self.trust_list.or(config.trust_list);
        config.anonymous &= !self.no_anonymous;
        if let (Some(cert), Some(key)) = (self.tls_cert, self.tls_key) {
            let mut tls = TlsConfig::new(cert, key);
            tls.client_ca = self.client_ca;
            config.tls = Some(tls);
        }
        for operator in &self.operator {
            config.operators.push(parse_operator(operator)?);
        }
        if let (Some(cert), Some(key)) = (self.tsa_cert, self.tsa_key) {
            let mut tsa = TsaConfig::new(cert, key);
            tsa.password_file = self.tsa_password_file;
            config.tsa = Some(tsa);
        }
        if let (Some(tsa), Some(policy)) = (&mut config.tsa, self.tsa_policy) {
            tsa.policy = policy;
        }
        Ok(config)
    }
}

/// `NAME:ROLES:SHA256`.
fn parse_operator(text: &str) -> eseal::Result<OperatorConfig> {
    let usage = || {
        eseal::Error::Invalid(format!(
            "--operator {text:?}: give NAME:ROLES:TOKEN_SHA256, e.g. clerk:verify:<64 hex digits>"
        ))
    };
    let mut parts = text.splitn(3, ':');
    let (Some(name), Some(roles), Some(hash)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(usage());
    };
    let roles = roles
        .split('+')
        .map(Role::parse)
        .collect::<eseal::Result<Vec<_>>>()?;
    Ok(OperatorConfig::new(name, roles).token_sha256(hash))
}

/// The timestamping authority `config` names, its key loaded.
pub fn load_tsa(config: &TsaConfig) -> eseal::Result<TimestampAuthority> {
    let signer = SignerArgs::from_files(
        config.cert.clone(),
        config.key.clone(),
        config.password_file.clone(),
    )
    .load()?;
    TimestampAuthority::new(
        Arc::new(signer.key),
        signer.certificate,
        signer.chain,
        &config.policy,
    )
}

pub fn run(args: Args) -> eseal::Result<u8> {
    let config = args.config()?;
    let tsa = config.tsa.as_ref().map(load_tsa).transpose()?;
    Service::new(config, tsa)?.run()?;
    Ok(0)
}
