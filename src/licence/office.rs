//! An issuing office kept in a directory: `office.json` (who it is, where its keys are),
//! `registry.db` (the SQLite registry) and `audit-heads/` (its signed audit log heads).
//! `eseal licence ...` and the C ABI both work through [`OfficeDir`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::crypto::SoftwareKey;
use crate::licence::document::CjkFont;
use crate::licence::issue::{self, IssuedLicence, IssuingOffice};
use crate::licence::model::{LicenceRequest, OfficeIdentity, Template};
use crate::licence::status_list::sign_status_list;
use crate::ofd::OfdSealOptions;
use crate::pdf::PdfSealOptions;
use crate::pki::{Certificate, Usage, read_certificates, unix_seconds};
use crate::registry::head::{AuditHead, sign_audit_head};
use crate::registry::{IssuedRecord, LicenceState, OpCode, Registry, SqliteRegistry, StatusChange};
use crate::{Error, Result};

/// The office's configuration file in its directory.
pub const OFFICE_FILE: &str = "office.json";

/// The registry file in the office directory.
pub const REGISTRY_FILE: &str = "registry.db";

/// The folder of signed audit heads in the office directory.
pub const AUDIT_HEADS: &str = "audit-heads";

/// `office.json`: the office's identity, its status list and where its keys are.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeConfig {
    /// Who the office is.
    pub identity: OfficeIdentity,
    /// The status list URI new licences go in.
    pub status_list_uri: String,
    /// The licence-signing key (PKCS#8 PEM/DER).
    pub key: PathBuf,
    /// Its certificate (PEM, a licence signer), as the trust list lists it.
    pub cert: PathBuf,
    /// The office's e-seal (.esl) for sealing licence documents.
    #[serde(default)]
    pub seal: Option<PathBuf>,
    /// The key that seals documents (a document signer's, 签章人).
    #[serde(default)]
    pub seal_key: Option<PathBuf>,
    /// Its certificate with its chain.
    #[serde(default)]
    pub seal_cert: Option<PathBuf>,
    /// The key that signs the office's status lists.
    #[serde(default)]
    pub status_list_key: Option<PathBuf>,
    /// Its certificate (PEM, a status-list signer), as the trust list lists it.
    #[serde(default)]
    pub status_list_cert: Option<PathBuf>,
}

impl OfficeConfig {
    /// Reads `office.json` from the office directory `dir`.
    pub fn read(dir: &Path) -> Result<OfficeConfig> {
        serde_json::from_slice(&read_file(&dir.join(OFFICE_FILE))?)
            .map_err(|e| Error::malformed("office.json", e))
    }
}

/// An office directory, opened: its configuration, registry, licence-signing key and
/// status-list key.
pub struct OfficeDir {
    dir: PathBuf,
    /// The configuration read from `office.json`.
    pub config: OfficeConfig,
    /// The registry.
    pub registry: SqliteRegistry,
    key: SoftwareKey,
    cert: Certificate,
    status_list_signer: Option<(SoftwareKey, Certificate)>,
}

impl OfficeDir {
    /// Opens the office in `dir`: reads `office.json`, loads the keys and certificates
    /// (each certificate must carry its role, DESIGN.md "Roles") and opens (or creates)
    /// the registry.
    pub fn open(dir: &Path) -> Result<OfficeDir> {
        let config = OfficeConfig::read(dir)?;
        let (key, _) = load_key(&config.key, None)?;
        let cert = role_certificate(&config.cert, Usage::LicenceSigner)?;
        let status_list_signer = match (&config.status_list_key, &config.status_list_cert) {
            (Some(key), Some(cert)) => Some((
                load_key(key, None)?.0,
                role_certificate(cert, Usage::StatusList)?,
            )),
            (None, None) => None,
            _ => {
                return Err(Error::Invalid(
                    "office.json names a status-list key without its certificate or the \
                     reverse"
                        .into(),
                ));
            }
        };
        let registry = SqliteRegistry::open(dir.join(REGISTRY_FILE))?;
        Ok(OfficeDir {
            dir: dir.to_path_buf(),
            config,
            registry,
            key,
            cert,
            status_list_signer,
        })
    }

    /// The status-list signing certificate, if the office has one.
    pub fn status_list_certificate(&self) -> Option<&Certificate> {
        self.status_list_signer.as_ref().map(|(_, cert)| cert)
    }

    /// The licence-signing key.
    pub fn key(&self) -> &SoftwareKey {
        &self.key
    }

    /// The licence-signing certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// The registry and the office as the issuer uses them, borrowed together.
    pub fn issuing(&mut self) -> (&mut SqliteRegistry, IssuingOffice<'_>) {
        let office = IssuingOffice {
            identity: self.config.identity.clone(),
            signer: &self.key,
            certificate: &self.cert,
            status_list_uri: self.config.status_list_uri.clone(),
        };
        (&mut self.registry, office)
    }

    /// The stored template of the licence type `type_code`.
    pub fn template(&self, type_code: &str) -> Result<Template> {
        let stored = self.registry.template(type_code)?.ok_or_else(|| {
            Error::Invalid(format!(
                "no template for type {type_code}: add one with `eseal licence template`"
            ))
        })?;
        Template::from_json(&stored.body)
    }

    /// The registry's record of the licence `identifier`, if it holds one.
    pub fn licence(&self, identifier: &str) -> Result<Option<IssuedRecord>> {
        Ok(self.registry.licence(identifier)?)
    }

    /// Issues one licence of `type_code` at `at` (Unix seconds); with `document`, also
    /// renders it as a PDF sealed with the office's e-seal and stores its SHA-256.
    pub fn issue(
        &mut self,
        type_code: &str,
        request: &LicenceRequest,
        idempotency_key: Option<&str>,
        operator: &str,
        at: i64,
        document: bool,
    ) -> Result<(IssuedLicence, Option<Vec<u8>>)> {
        let template = self.template(type_code)?;
        let sealer = if document {
            Some(Sealer::load(&self.config)?)
        } else {
            None
        };
        let (registry, office) = self.issuing();
        let issued = issue::issue(
            registry,
            &office,
            &template,
            request,
            idempotency_key,
            operator,
            at,
        )?;
        let pdf = match &sealer {
            Some(sealer) => Some(sealer.document(registry, &template, &issued, operator)?),
            None => None,
        };
        Ok((issued, pdf))
    }

    /// Moves the licence `identifier` to the state `to` by `op` at `at` (Unix seconds),
    /// recording `reason` and `operator`; returns the state it was in.
    pub fn set_status(
        &mut self,
        identifier: &str,
        to: LicenceState,
        op: OpCode,
        reason: &str,
        operator: &str,
        at: i64,
    ) -> Result<LicenceState> {
        Ok(self.registry.set_status(
            identifier,
            StatusChange {
                to,
                op,
                reason: Some(reason),
                operator,
                at,
            },
        )?)
    }

    /// Signs the status list `uri` (the office's own when `None`) as of `now`, to be
    /// refetched after `ttl` and valid for `valid_for`; returns its number of entries and
    /// the signed token.
    pub fn status_list(
        &self,
        uri: Option<&str>,
        now: SystemTime,
        ttl: Duration,
        valid_for: Duration,
    ) -> Result<(usize, Vec<u8>)> {
        let (key, cert) = self.status_list_signer.as_ref().ok_or_else(|| {
            Error::Invalid(
                "the office has no status-list key (its licence-signing key may not sign \
                 status lists): `eseal licence init --status-list-key KEY \
                 --status-list-cert CERT`"
                    .into(),
            )
        })?;
        let uri = uri.unwrap_or(&self.config.status_list_uri);
        let list = self.registry.status_list(uri)?;
        let token = sign_status_list(&list, uri, now, ttl, now + valid_for, key, cert)?;
        Ok((list.len(), token))
    }

    /// Signs the head of the registry's audit log as of `now` and writes it into the
    /// office's `audit-heads/`; returns the head and the file written.
    pub fn sign_audit_head(&self, now: SystemTime) -> Result<(AuditHead, PathBuf)> {
        let code = self.config.identity.code.to_string();
        let (head, token) = sign_audit_head(&self.registry, &code, now, &self.key, &self.cert)?;
        let heads = self.dir.join(AUDIT_HEADS);
        std::fs::create_dir_all(&heads).map_err(|e| Error::io(&heads, e))?;
        let path = heads.join(format!("{:010}.cwt", head.entries));
        crate::fsio::write_atomic(&path, &token)?;
        Ok((head, path))
    }
}

/// What seals licence documents: the office's e-seal, the key and certificate chain
/// that sign with it, and the CJK font the document is set in.
pub struct Sealer {
    key: SoftwareKey,
    chain: Vec<Certificate>,
    seal: crate::seal::Seal,
    font: CjkFont,
}

impl Sealer {
    /// Loads the office's e-seal, sealing key and certificates named in `config`.
    pub fn load(config: &OfficeConfig) -> Result<Sealer> {
        let seal_path = config.seal.as_ref().ok_or_else(|| {
            Error::Invalid(
                "the office has no e-seal for documents: `eseal licence init --seal FILE.esl`"
                    .into(),
            )
        })?;
        let seal = crate::seal::Seal::from_der(&read_file(seal_path)?)?;
        let (Some(key_path), Some(cert_path)) = (&config.seal_key, &config.seal_cert) else {
            return Err(Error::Invalid(
                "the office has no document-signing key (its licence-signing key may not \
                 sign documents): `eseal licence init --seal-key KEY --seal-cert CERT`"
                    .into(),
            ));
        };
        let (key, _) = load_key(key_path, None)?;
        let chain = read_certificates(&read_file(cert_path)?)?;
        let Some(signer) = chain.first() else {
            return Err(Error::Invalid(
                "the office's sealing certificate file holds no certificate".into(),
            ));
        };
        role_checked(signer, cert_path, Usage::Signer)?;
        Ok(Sealer {
            key,
            chain,
            seal,
            font: CjkFont::from_env()?,
        })
    }

    /// The licence document as PDF, rendered and sealed; its SHA-256 is stored with the
    /// licence (in its own transaction, LICENCE.md §7).
    pub fn document(
        &self,
        registry: &mut SqliteRegistry,
        template: &Template,
        issued: &IssuedLicence,
        operator: &str,
    ) -> Result<Vec<u8>> {
        let (certificate, chain) = self.split_chain()?;
        let mut options = PdfSealOptions::new(&self.key, certificate);
        options.chain = chain;
        options.seal = Some(&self.seal);
        options.reason = Some(issued.licence.name.clone());
        let pdf = issued.sealed_pdf(template, &self.font, options)?;
        stored(registry, issued, pdf, operator)
    }

    /// [`Sealer::document`] as OFD.
    pub fn ofd_document(
        &self,
        registry: &mut SqliteRegistry,
        template: &Template,
        issued: &IssuedLicence,
        operator: &str,
    ) -> Result<Vec<u8>> {
        let (certificate, _) = self.split_chain()?;
        let options = OfdSealOptions::new(&self.seal, &self.key, certificate);
        let ofd = issued.sealed_ofd(template, &self.font, options)?;
        stored(registry, issued, ofd, operator)
    }

    fn split_chain(&self) -> Result<(&Certificate, &[Certificate])> {
        self.chain.split_first().ok_or_else(|| {
            Error::Invalid("the office's sealing certificate file holds no certificate".into())
        })
    }
}

/// Stores the SHA-256 of a licence's `document` with it and hands the document back.
fn stored(
    registry: &mut SqliteRegistry,
    issued: &IssuedLicence,
    document: Vec<u8>,
    operator: &str,
) -> Result<Vec<u8>> {
    let sha256: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&document).into();
    let at = unix_seconds(SystemTime::now());
    registry.set_doc_sha256(&issued.record.identifier, &sha256, operator, at)?;
    Ok(document)
}

/// Reads a software key from PKCS#8 (PEM or DER, encrypted with `password` when given)
/// or PKCS#12 (with `password`), with the certificates a PKCS#12 file carries.
pub fn key_from_bytes(
    bytes: &[u8],
    password: Option<&str>,
) -> Result<(SoftwareKey, Vec<Certificate>)> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains("-----BEGIN")
    {
        return Ok((SoftwareKey::from_pem(text, password)?, Vec::new()));
    }
    if let Some(password) = password {
        if let Ok((key, certs)) = SoftwareKey::from_pkcs12(bytes, password) {
            let certs = certs
                .iter()
                .filter_map(|der| Certificate::from_der(der).ok())
                .collect();
            return Ok((key, certs));
        }
        if let Ok(key) = SoftwareKey::from_encrypted_pkcs8_der(bytes, password) {
            return Ok((key, Vec::new()));
        }
    }
    Ok((SoftwareKey::from_pkcs8_der(bytes)?, Vec::new()))
}

fn load_key(path: &Path, password: Option<&str>) -> Result<(SoftwareKey, Vec<Certificate>)> {
    key_from_bytes(&read_file(path)?, password)
}

/// The first certificate of a PEM bundle or DER file.
pub fn first_certificate(path: &Path) -> Result<Certificate> {
    read_certificates(&read_file(path)?)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Invalid(format!("{} holds no certificate", path.display())))
}

/// The first certificate in `path`, which must be fit for `usage` (DESIGN.md "Roles").
fn role_certificate(path: &Path, usage: Usage) -> Result<Certificate> {
    let cert = first_certificate(path)?;
    role_checked(&cert, path, usage)?;
    Ok(cert)
}

/// Refuses `cert` (read from `path`) unless it may act as `usage`.
fn role_checked(cert: &Certificate, path: &Path, usage: Usage) -> Result<()> {
    usage.check(cert).map_err(|reason| {
        Error::Invalid(format!(
            "{}: {reason} (a {} certificate is needed)",
            path.display(),
            usage.name()
        ))
    })
}

/// Reads a configuration, key, certificate or seal file of at most
/// [`crate::pki::MAX_PKI_FILE`] bytes; it must be a regular file
/// ([`crate::fsio::open_input`]).
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let limit = crate::pki::MAX_PKI_FILE as u64;
    let (file, _) = crate::fsio::open_input(path, limit)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            what: "input file",
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}
