//! Reaching the registry database: libpq's URL form, TLS by rustls, and a name for
//! messages that never shows the password.
//!
//! The URL is what `tokio-postgres` reads (`postgresql://user:password@host:port/db?…`),
//! plus libpq's `sslrootcert=FILE` (the PEM certificates of the CA that issued the server's
//! certificate) and the `sslmode` values `verify-ca` and `verify-full`. With
//! `sslrootcert`, the connection is TLS (rustls, ring), the server's certificate checked
//! against those CAs and its name against the host; `sslmode=require` (or `verify-*`)
//! without it is refused rather than left unchecked. Without either, the connection is
//! plain, as on a loopback or a private network.

use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::registry::{RegistryError, RegistryResult, is_postgres_url};

/// How long a connection attempt waits before the database counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A registry database as the office configuration names it.
#[derive(Clone)]
pub(super) struct Target {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
    /// `postgresql://user@host:port/db`, for messages.
    pub(super) shown: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Target {
    /// Reads `url`; refuses what is not a PostgreSQL URL or asks for TLS without a CA.
    pub(super) fn parse(url: &str) -> RegistryResult<Target> {
        let invalid = |why: String| RegistryError::Invalid(format!("registry URL: {why}"));
        if !is_postgres_url(url) {
            return Err(invalid("it does not start with postgresql://".into()));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut root_file = None;
        let mut tls_required = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslrootcert" => root_file = Some(percent_decode(value)?),
                "sslmode" => match value {
                    "require" | "verify-ca" | "verify-full" => {
                        tls_required = true;
                        kept.push("sslmode=require".to_owned());
                    }
                    _ => kept.push(pair.to_owned()),
                },
                _ => kept.push(pair.to_owned()),
            }
        }
        let mut rebuilt = base.to_owned();
        if !kept.is_empty() {
            rebuilt.push('?');
            rebuilt.push_str(&kept.join("&"));
        }
        let mut config =
            postgres::Config::from_str(&rebuilt).map_err(|e| invalid(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("eseal");
        }
        let tls = match root_file {
            Some(path) => Some(MakeRustlsConnect::new(client_config(&path)?)),
            None if tls_required => {
                return Err(invalid(
                    "sslmode=require needs sslrootcert=FILE, the CA that issued the server's \
                     certificate"
                        .into(),
                ));
            }
            None => None,
        };
        let shown = shown(&config);
        Ok(Target { config, tls, shown })
    }

    /// A new connection, its `search_path` set to the schema `eseal` and its plans made
    /// for each execution (`plan_cache_mode = force_custom_plan`: a plan cached while a
    /// table was small scans it whole ever after, and the foreign-key checks of every
    /// insert with it). A database that cannot be reached is
    /// [`RegistryError::Unavailable`].
    pub(super) fn connect(&self) -> RegistryResult<Client> {
        let connected = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        };
        let mut client = connected.map_err(|e| RegistryError::Unavailable {
            database: self.shown.clone(),
            detail: error_chain(&e),
        })?;
        client.batch_execute("SET search_path TO eseal; SET plan_cache_mode = force_custom_plan")?;
        Ok(client)
    }
}

/// `e` and its sources, `: `-separated.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

/// rustls verifying the server against the CA certificates in the PEM file `path`.
fn client_config(path: &str) -> RegistryResult<rustls::ClientConfig> {
    let invalid = |why: String| RegistryError::Invalid(format!("sslrootcert {path}: {why}"));
    let pem = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for block in pem::parse_many(&pem).map_err(|e| invalid(e.to_string()))? {
        if block.tag() == "CERTIFICATE" {
            roots
                .add(block.into_contents().into())
                .map_err(|e| invalid(e.to_string()))?;
        }
    }
    if roots.is_empty() {
        return Err(invalid("holds no certificate".into()));
    }
    // ring, as everywhere in eseal: its provider lacks only the post-quantum key
    // exchange, for which rustls deprecates it.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The URL without its password: `postgresql://user@host:port/db`.
fn shown(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    format!(
        "postgresql://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// RFC 3986 percent-decoding of a URL parameter.
fn percent_decode(value: &str) -> RegistryResult<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    RegistryError::Invalid(format!("registry URL: bad escape in {value:?}"))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| RegistryError::Invalid(format!("registry URL: {value:?} is not UTF-8")))
}

/// Reads `data` as a registry location both ways (the office configuration's
/// [`crate::registry::RegistryLocation`] and the connection's [`Target`]) and checks that
/// neither shows a password the URL carries (the `registry_url` fuzz target).
#[cfg(feature = "test-util")]
pub fn fuzz_url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let shown = crate::registry::RegistryLocation::parse(text, std::path::Path::new("/o"))
        .to_string();
    let Ok(target) = Target::parse(text) else {
        return;
    };
    let Some(password) = target.config.get_password() else {
        return;
    };
    let password = String::from_utf8_lossy(password);
    // A password that also appears elsewhere in the URL cannot be told apart.
    let elsewhere = text.matches(password.as_ref()).count() > 1;
    if password.len() >= 8 && !elsewhere {
        assert!(!shown.contains(password.as_ref()), "{shown} shows {password}");
        assert!(!target.shown.contains(password.as_ref()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        let t = Target::parse("postgresql://office:s3cret@db.example:6432/licences").unwrap();
        assert_eq!(t.shown, "postgresql://office@db.example:6432/licences");
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn tls_without_a_ca_is_refused() {
        let e = Target::parse("postgresql://u@h/db?sslmode=verify-full").unwrap_err();
        assert!(e.to_string().contains("needs sslrootcert"), "{e}");
        let e = Target::parse("mysql://u@h/db").unwrap_err();
        assert!(e.to_string().contains("postgresql://"), "{e}");
        assert_eq!(percent_decode("/a%20b").unwrap(), "/a b");
        assert!(percent_decode("%G1").is_err());
    }
}
