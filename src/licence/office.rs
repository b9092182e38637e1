//! An issuing office kept in a directory: `office.json` (who it is, where its keys and its
//! registry are), `registry.db` (the SQLite registry, unless `office.json` or
//! `ESEAL_REGISTRY_URL` names a PostgreSQL database) and `audit-heads/` (its signed audit
//! log heads). `eseal licence ...`, `eseal serve` and the C ABI all work through
//! [`OfficeDir`].
//!
//! Only [`OfficeDir::create`] (`eseal licence init`) makes a registry; [`OfficeDir::open`]
//! refuses a missing, empty or foreign one. Before every write (issuance, status change,
//! template, document, status list) the office checks its registry against the newest
//! audit head it signed, so a registry restored from an older copy, cut short or rewritten
//! never signs anything (LICENCE.md §7).

use std::cell::Cell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::crypto::SoftwareKey;
use crate::licence::document::CjkFont;
use crate::licence::issue::{self, BatchRequest, IssuedLicence, IssuingOffice};
use crate::licence::model::{LicenceRequest, OfficeIdentity, Template};
use crate::licence::status_list::sign_status_list;
use crate::ofd::OfdSealOptions;
use crate::pdf::PdfSealOptions;
use crate::pki::{Certificate, Usage, read_certificates, unix_seconds};
use crate::registry::head::{AuditHead, check_audit_head, sign_audit_head, verify_audit_head};
use crate::registry::{
    AuditCheck, IssuedRecord, LicenceState, OpCode, Registry, RegistryError, RegistryLocation,
    StatusChange, open_registry, open_registry_read_only,
};
use crate::{Error, Result};

/// The office's configuration file in its directory.
pub const OFFICE_FILE: &str = "office.json";

/// The registry file in the office directory, where `office.json` names no other.
pub const REGISTRY_FILE: &str = "registry.db";

/// The environment variable that names the office's registry, over `office.json`'s
/// `registry` (so a database password need not be written in the file).
pub const REGISTRY_URL_ENV: &str = "ESEAL_REGISTRY_URL";

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
    /// Where the registry is: a `postgresql://` URL, or a file (relative to the office
    /// directory); `registry.db` when absent. `ESEAL_REGISTRY_URL` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
}

impl OfficeConfig {
    /// Reads `office.json` from the office directory `dir`.
    pub fn read(dir: &Path) -> Result<OfficeConfig> {
        serde_json::from_slice(&read_file(&dir.join(OFFICE_FILE))?)
            .map_err(|e| Error::malformed("office.json", e))
    }

    /// Where the registry of the office in `dir` is: `ESEAL_REGISTRY_URL` if set, else
    /// `registry`, else `dir/registry.db`.
    pub fn registry_location(&self, dir: &Path) -> RegistryLocation {
        let from_env = std::env::var(REGISTRY_URL_ENV)
            .ok()
            .filter(|v| !v.is_empty());
        match from_env.as_deref().or(self.registry.as_deref()) {
            Some(value) => RegistryLocation::parse(value, dir),
            None => RegistryLocation::File(dir.join(REGISTRY_FILE)),
        }
    }
}

/// An office directory, opened: its configuration, registry, licence-signing key and
/// status-list key.
pub struct OfficeDir {
    dir: PathBuf,
    /// The configuration read from `office.json`.
    pub config: OfficeConfig,
    /// The registry.
    pub registry: Box<dyn Registry + Send>,
    key: SoftwareKey,
    cert: Certificate,
    status_list_signer: Option<(SoftwareKey, Certificate)>,
    /// What the last check of the audit chain found intact.
    checked: Cell<Option<Checked>>,
}

/// The audit chain as last found intact by [`OfficeDir::check_signed_head`]: up to entry
/// `entries` with hash `hash`, against the newest signed head numbered `newest`.
#[derive(Clone, Copy)]
struct Checked {
    newest: Option<u64>,
    entries: u64,
    hash: [u8; 32],
}

/// The form of a printed licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentFormat {
    /// PDF sealed with PAdES.
    Pdf,
    /// OFD sealed with a GB/T 38540 seal signature.
    Ofd,
}

impl OfficeDir {
    /// Opens the office in `dir`: reads `office.json`, loads the keys and certificates
    /// (each certificate must carry its role, DESIGN.md "Roles") and opens the registry
    /// ([`OfficeConfig::registry_location`]), which must exist: a missing, empty or foreign
    /// file, or a database without the office, is refused, naming it.
    pub fn open(dir: &Path) -> Result<OfficeDir> {
        Self::load(dir, |location, code| Ok(open_registry(location, code, false)?))
    }

    /// [`OfficeDir::open`] for `eseal licence init`: creates the registry when there is
    /// none (or an empty file), and keeps an existing one. A missing registry is not
    /// created when `audit-heads/` holds heads the office signed: the office exists and
    /// its registry is restored from a backup.
    pub fn create(dir: &Path) -> Result<OfficeDir> {
        Self::load(dir, |location, code| {
            match open_registry(location, code, false) {
                Err(RegistryError::NotARegistry { path, problem })
                    if is_missing(location, &problem) =>
                {
                    if !audit_head_files(dir)?.is_empty() {
                        let problem = match location {
                            RegistryLocation::File(_) => "is missing or empty",
                            RegistryLocation::Postgres(_) => &problem,
                        };
                        return Err(RegistryError::NotARegistry {
                            path,
                            problem: format!(
                                "{problem}, but {} holds audit heads this office signed",
                                dir.join(AUDIT_HEADS).display()
                            ),
                        }
                        .into());
                    }
                    Ok(open_registry(location, code, true)?)
                }
                other => Ok(other?),
            }
        })
    }

    fn load(
        dir: &Path,
        registry: impl FnOnce(&RegistryLocation, &str) -> Result<Box<dyn Registry + Send>>,
    ) -> Result<Self> {
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
        let location = config.registry_location(dir);
        let registry = registry(&location, &config.identity.code.to_string())?;
        Ok(OfficeDir {
            dir: dir.to_path_buf(),
            config,
            registry,
            key,
            cert,
            status_list_signer,
            checked: Cell::new(None),
        })
    }

    /// Checks the registry against the newest audit head in `audit-heads/` (its signature
    /// verified with the office's certificate, [`check_audit_head`]), or, with none, its
    /// hash chain alone. Fewer entries than signed, a different hash or a broken chain is
    /// [`RegistryError::AuditHeadMismatch`] (or [`RegistryError::AuditChainBroken`]),
    /// naming the first bad entry. Every write of the office runs this first.
    ///
    /// Once the chain was found intact, later checks by the same `OfficeDir` recompute
    /// only the entries added since, as long as the newest head is the same and the entry
    /// checked last still has its hash.
    pub fn check_signed_head(&self) -> Result<()> {
        let newest = newest_audit_head(&self.dir)?;
        let number = newest.as_ref().map(|(n, _)| *n);
        let check = match self.checked.take().filter(|c| c.newest == number) {
            Some(last) if self.registry.audit_hash_at(last.entries)? == Some(last.hash) => {
                self.registry.audit_verify_after(last.entries, last.hash)?
            }
            _ => self.check_whole_chain(newest.as_ref().map(|(_, path)| path.as_path()))?,
        };
        match check {
            AuditCheck::Intact { entries, head } => {
                self.checked.set(Some(Checked {
                    newest: number,
                    entries,
                    hash: head,
                }));
                Ok(())
            }
            AuditCheck::Broken { seq } => Err(RegistryError::AuditChainBroken { seq }.into()),
        }
    }

    /// The whole hash chain, against the signed head at `newest` if there is one.
    fn check_whole_chain(&self, newest: Option<&Path>) -> Result<AuditCheck> {
        let Some(path) = newest else {
            return Ok(self.registry.audit_verify()?);
        };
        let head =
            verify_audit_head(&read_file(path)?, &self.cert).map_err(|e| Error::Malformed {
                what: "audit head",
                detail: format!("{}: {e}", path.display()),
            })?;
        match check_audit_head(self.registry.as_ref(), &head)? {
            AuditCheck::Broken { seq } if seq <= head.entries => {
                Err(RegistryError::AuditHeadMismatch {
                    head: path.to_path_buf(),
                    signed: head.entries,
                    seq,
                }
                .into())
            }
            check => Ok(check),
        }
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
    pub fn issuing(&mut self) -> (&mut dyn Registry, IssuingOffice<'_>) {
        let office = IssuingOffice {
            identity: self.config.identity.clone(),
            signer: &self.key,
            certificate: &self.cert,
            status_list_uri: self.config.status_list_uri.clone(),
        };
        (self.registry.as_mut(), office)
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
        self.check_signed_head()?;
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

    /// Issues a batch of licences of `template` at `at` (Unix seconds) in one registry
    /// transaction ([`issue::issue_batch`]); each result in its request's place, a
    /// replayed idempotency key marked `replayed`.
    pub fn issue_batch(
        &mut self,
        template: &Template,
        requests: &[BatchRequest],
        operator: &str,
        at: i64,
    ) -> Result<Vec<Result<IssuedLicence>>> {
        self.check_signed_head()?;
        let (registry, office) = self.issuing();
        issue::issue_batch(registry, &office, template, requests, operator, at)
    }

    /// Stores (or replaces) a licence type's template in the registry, with an audit entry.
    pub fn put_template(&mut self, template: &Template, operator: &str, at: i64) -> Result<()> {
        self.check_signed_head()?;
        Ok(self
            .registry
            .put_template(&template.registry_template(), operator, at)?)
    }

    /// The licence `identifier` as issued, read back from the registry (`replayed`).
    pub fn issued(&self, identifier: &str) -> Result<IssuedLicence> {
        let record = self
            .licence(identifier)?
            .ok_or_else(|| Error::Invalid(format!("no licence {identifier} in the registry")))?;
        Ok(IssuedLicence {
            licence: crate::licence::model::Licence::from_json(&record.metadata)?,
            record,
            replayed: true,
            warnings: Vec::new(),
        })
    }

    /// The licence `issued` rendered as `format` and sealed with the office's e-seal; its
    /// SHA-256 is stored with the licence (a write: the signed audit head is checked
    /// first).
    pub fn sealed_document(
        &mut self,
        issued: &IssuedLicence,
        operator: &str,
        format: DocumentFormat,
    ) -> Result<Vec<u8>> {
        self.check_signed_head()?;
        let template = self.template(&issued.record.type_code)?;
        let sealer = Sealer::load(&self.config)?;
        match format {
            DocumentFormat::Pdf => {
                sealer.document(self.registry.as_mut(), &template, issued, operator)
            }
            DocumentFormat::Ofd => {
                sealer.ofd_document(self.registry.as_mut(), &template, issued, operator)
            }
        }
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
        self.check_signed_head()?;
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
        self.check_signed_head()?;
        let uri = uri.unwrap_or(&self.config.status_list_uri);
        let list = self.registry.status_list(uri)?;
        let token = sign_status_list(&list, uri, now, ttl, now + valid_for, key, cert)?;
        Ok((list.len(), token))
    }

    /// Signs the head of the registry's audit log as of `now` and writes it into the
    /// office's `audit-heads/`; returns the head and the file written.
    pub fn sign_audit_head(&self, now: SystemTime) -> Result<(AuditHead, PathBuf)> {
        let code = self.config.identity.code.to_string();
        let (head, token) =
            sign_audit_head(self.registry.as_ref(), &code, now, &self.key, &self.cert)?;
        let heads = self.dir.join(AUDIT_HEADS);
        std::fs::create_dir_all(&heads).map_err(|e| Error::io(&heads, e))?;
        let path = heads.join(format!("{:010}.cwt", head.entries));
        crate::fsio::write_atomic(&path, &token)?;
        Ok((head, path))
    }
}

/// Whether a [`RegistryError::NotARegistry`] at `location` says only that there is no
/// registry yet (a missing or empty file, a database without the office), which
/// `eseal licence init` may create.
fn is_missing(location: &RegistryLocation, problem: &str) -> bool {
    match location {
        RegistryLocation::File(path) => !std::fs::metadata(path).is_ok_and(|m| m.len() > 0),
        RegistryLocation::Postgres(_) => problem == crate::registry::NO_OFFICE,
    }
}

/// The signed audit heads in the office directory `dir` (`audit-heads/*.cwt`), by name.
pub fn audit_head_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let heads = dir.join(AUDIT_HEADS);
    let entries = match std::fs::read_dir(&heads) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&heads, e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(&heads, e))?.path();
        if path.extension().is_some_and(|e| e == "cwt") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// The newest signed audit head in `dir`: of the heads named by their entry count
/// (`0000000042.cwt`, as [`OfficeDir::sign_audit_head`] writes them), the highest.
fn newest_audit_head(dir: &Path) -> Result<Option<(u64, PathBuf)>> {
    Ok(audit_head_files(dir)?
        .into_iter()
        .filter_map(|path| {
            let stem = path.file_stem()?.to_str()?;
            let n = stem
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| stem.parse::<u64>().ok())??;
            Some((n, path))
        })
        .max_by_key(|(n, _)| *n))
}

/// What `eseal licence audit` finds in an office directory ([`audit_office`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeAudit {
    /// What the registry's backend finds wrong with its storage
    /// ([`Registry::integrity_check`]); empty when sound.
    pub damage: Vec<String>,
    /// Each signed head checked, in order, with the chain's state against it; the
    /// checks stop at the first mismatch.
    pub heads: Vec<(PathBuf, AuditCheck)>,
    /// The hash chain, against every head checked (`None` when the file is damaged).
    pub chain: Option<AuditCheck>,
}

/// Audits the office in `dir` without writing anything: opens its registry read-only
/// ([`open_registry_read_only`], so an archived SQLite copy in a read-only folder is read
/// as it is), runs the backend's integrity check, then recomputes the hash chain and
/// checks it against each signed head (`heads`, or every file in `audit-heads/`), each
/// verified with the office's licence-signing certificate. No private key is loaded.
pub fn audit_office(dir: &Path, heads: Option<&[PathBuf]>) -> Result<OfficeAudit> {
    let config = OfficeConfig::read(dir)?;
    let cert = role_certificate(&config.cert, Usage::LicenceSigner)?;
    let location = config.registry_location(dir);
    let registry =
        open_registry_read_only(&location, &config.identity.code.to_string())?;
    let damage = registry.integrity_check()?;
    if !damage.is_empty() {
        return Ok(OfficeAudit {
            damage,
            heads: Vec::new(),
            chain: None,
        });
    }
    let heads = match heads {
        Some(heads) => heads.to_vec(),
        None => audit_head_files(dir)?,
    };
    let mut check = registry.audit_verify()?;
    let mut checked = Vec::new();
    for path in heads {
        if let AuditCheck::Broken { .. } = check {
            break;
        }
        let head = verify_audit_head(&read_file(&path)?, &cert)?;
        check = check_audit_head(registry.as_ref(), &head)?;
        checked.push((path, check.clone()));
    }
    Ok(OfficeAudit {
        damage,
        heads: checked,
        chain: Some(check),
    })
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
        registry: &mut dyn Registry,
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
        registry: &mut dyn Registry,
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
    registry: &mut dyn Registry,
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
