//! `eseal licence`: an issuing office's licences — set-up, templates, issuance (one or a
//! batch), revocation, status lists, the printed document and the trust list.
//!
//! An office lives in a directory: `office.json` (who it is, where its keys are),
//! `registry.db` (the SQLite registry, made only by `init`) and `audit-heads/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Subcommand;
use eseal::{
    AuditCheck, BatchFormat, IssuedLicence, KeyUse, LicenceRequest, LicenceState,
    LicenceTemplate as Template, ListedKey, OFFICE_FILE, OfficeConfig, OfficeDir, OfficeIdentity,
    OpCode, PgRegistry, Registry, RegistryLocation, Sealer, SqliteRegistry, TrustList,
    TrustListOffice as Office, audit_office, first_certificate, is_postgres_url, open_registry,
    parse_rfc3339, read_batch, sign_trust_list, unix_seconds,
};

use crate::signer::{LoadedSigner, SignerArgs};
use crate::{read_file, read_file_up_to, write_file};

/// Licences issued per registry transaction in a batch.
const BATCH_CHUNK: usize = 256;

#[derive(Subcommand)]
pub enum Command {
    /// Set up an office directory: office.json and an empty registry.
    Init(InitArgs),
    /// Store a licence type's template (JSON) in the office's registry.
    Template {
        /// The office directory.
        #[arg(long)]
        office: PathBuf,
        /// The template (JSON).
        file: PathBuf,
    },
    /// Issue one licence from JSON, or a batch from CSV / JSON lines.
    Issue(IssueArgs),
    /// Revoke a licence (final): 03 撤销, 04 注销, 07 吊销 (default).
    Revoke {
        #[command(flatten)]
        change: ChangeArgs,
        /// The new status code: 03 revoked, 04 cancelled, 07 withdrawn.
        #[arg(long, default_value = "07", value_parser = ["03", "04", "07"])]
        status: String,
    },
    /// Suspend a licence (暂扣, reversible).
    Suspend {
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Lift a suspension (暂扣发还).
    Reinstate {
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// A licence's record and status history.
    Show {
        /// The office directory.
        #[arg(long)]
        office: PathBuf,
        /// The licence identifier.
        identifier: String,
    },
    /// Check the registry read-only: SQLite's integrity check, the audit log's hash chain,
    /// and the signed heads in OFFICE/audit-heads (or the one given), so a damaged,
    /// rewritten or rolled-back database is found. Works on an archived copy.
    Audit {
        /// The office directory.
        #[arg(long)]
        office: PathBuf,
        /// One signed audit head to check instead of all in OFFICE/audit-heads.
        #[arg(long)]
        head: Option<PathBuf>,
    },
    /// Move the office's SQLite registry into a PostgreSQL database (once): every row is
    /// copied in one transaction, the audit chain is checked on both sides, then
    /// office.json names the database. Stop the office's issuers first; OFFICE/registry.db
    /// stays as the copy from before the move.
    Migrate {
        /// The office directory.
        #[arg(long)]
        office: PathBuf,
        /// The database: postgresql://user@host:port/db (TLS: ?sslmode=verify-full&
        /// sslrootcert=CA.pem).
        #[arg(long)]
        to: String,
    },
    /// Sign and write the office's status list (Token Status List CWT); the office also
    /// signs its audit log's head into OFFICE/audit-heads.
    StatusList {
        /// The office directory.
        #[arg(long)]
        office: PathBuf,
        /// The list's URI; the office's by default.
        #[arg(long)]
        uri: Option<String>,
        /// The signed list to write.
        #[arg(long)]
        out: PathBuf,
        /// Seconds after which verifiers refetch.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        /// Hours until the list expires (verifiers then say UNKNOWN).
        #[arg(long, default_value_t = 48)]
        valid_hours: u64,
    },
    /// Render a licence as a PDF and seal it with the office's e-seal (again, if need be);
    /// the document's SHA-256 is stored with the licence.
    Render(RenderArgs),
    /// Write a licence's QR text, QR image (SVG) and sealed document again, as `issue
    /// --out` does (the document is rendered and sealed anew; its SHA-256 is stored).
    Export {
        /// The office directory.
        #[arg(long)]
        office: PathBuf,
        /// The licence identifier.
        identifier: String,
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// The document's form.
        #[arg(long, value_enum, default_value_t = Format::Pdf)]
        format: Format,
        /// Who exports (audit log).
        #[arg(long, default_value = "eseal")]
        operator: String,
    },
    /// Sign a trust list of offices (their codes, names, regions, status-list prefixes,
    /// licence-signing and status-list certificates) and of the licence templates their
    /// registries hold, with a trust-list signer's key (profile trust-list).
    #[command(mut_args(crate::reword(&[
        (
            "cert",
            "The list signer's certificate (PEM), followed by its intermediates up to the \
             root, which go in the list so verifiers need the root alone",
        ),
        ("key", "The list signer's key"),
    ])))]
    TrustList {
        #[command(flatten)]
        signer: SignerArgs,
        /// Who publishes the list (e.g. a province).
        #[arg(long)]
        issuer: String,
        /// An office directory to list; repeatable.
        #[arg(long, required = true)]
        office: Vec<PathBuf>,
        /// The list's sequence number (verifiers refuse a lower one than seen).
        #[arg(long)]
        seq: u64,
        /// Days until the list is stale.
        #[arg(long, default_value_t = 7)]
        valid_days: u64,
        /// The signed list to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// What `licence init` needs: who the office is and where its keys are.
#[derive(clap::Args)]
pub struct InitArgs {
    /// The office directory (created if missing).
    #[arg(long)]
    office: PathBuf,
    /// 证照颁发机构代码: the office's USCC.
    #[arg(long)]
    code: String,
    /// 证照颁发机构: the office's name.
    #[arg(long)]
    name: String,
    /// The office's region code (GB/T 2260, 6 digits).
    #[arg(long)]
    region: String,
    /// The URI of the status list new licences go in.
    #[arg(long)]
    status_list_uri: String,
    /// The licence-signing key (PKCS#8 PEM/DER or PKCS#12).
    #[arg(long)]
    key: PathBuf,
    /// Its certificate (PEM, profile licence-signer), as the trust list lists it.
    #[arg(long)]
    cert: PathBuf,
    /// The key that signs the office's status lists.
    #[arg(long)]
    status_list_key: PathBuf,
    /// Its certificate (PEM, profile status-list), as the trust list lists it.
    #[arg(long)]
    status_list_cert: PathBuf,
    /// The office's e-seal (.esl) for sealing licence documents.
    #[arg(long, requires_all = ["seal_key", "seal_cert"])]
    seal: Option<PathBuf>,
    /// The key that seals documents (PAdES), a document signer's (profile signer).
    #[arg(long)]
    seal_key: Option<PathBuf>,
    /// Its certificate (PEM, with its chain), in the e-seal's certList.
    #[arg(long)]
    seal_cert: Option<PathBuf>,
    /// Where the registry is: a PostgreSQL URL (postgresql://user@host:port/db, with
    /// ?sslmode=verify-full&sslrootcert=CA.pem for TLS) shared with other offices and
    /// issuers, or a file; OFFICE/registry.db by default.
    #[arg(long)]
    registry: Option<String>,
}

/// What `licence issue` needs: the licence type and one request or a batch.
#[derive(clap::Args)]
pub struct IssueArgs {
    /// The office directory.
    #[arg(long)]
    office: PathBuf,
    /// The licence type code (a stored template).
    #[arg(long = "type")]
    type_code: String,
    /// One licence request (JSON).
    #[arg(long = "in", conflicts_with = "batch")]
    input: Option<PathBuf>,
    /// A batch: .csv (header row of field names, surface.KEY columns) or .jsonl.
    #[arg(long)]
    batch: Option<PathBuf>,
    /// The idempotency key of a single request (e.g. the 办件 number).
    #[arg(long, conflicts_with = "batch")]
    idempotency_key: Option<String>,
    /// Who issues (audit log).
    #[arg(long, default_value = "eseal")]
    operator: String,
    /// Issuance time (RFC 3339); now by default.
    #[arg(long)]
    at: Option<String>,
    /// Write each licence's QR text, QR image (SVG) and document (PDF) here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What rendering a licence needs (`licence render`, `ofd render`).
#[derive(clap::Args)]
pub struct RenderArgs {
    /// The office directory.
    #[arg(long)]
    office: PathBuf,
    /// The licence identifier.
    identifier: String,
    /// The PDF to write.
    #[arg(long)]
    out: PathBuf,
    /// Who renders (audit log).
    #[arg(long, default_value = "eseal")]
    operator: String,
}

/// What a status change needs.
#[derive(clap::Args)]
pub struct ChangeArgs {
    /// The office directory.
    #[arg(long)]
    office: PathBuf,
    /// The licence identifier.
    identifier: String,
    /// Why (recorded in the history and the audit log).
    #[arg(long)]
    reason: String,
    /// Who does it.
    #[arg(long, default_value = "eseal")]
    operator: String,
}

fn absolute(path: &Path) -> eseal::Result<PathBuf> {
    std::fs::canonicalize(path).map_err(|e| eseal::Error::io(path, e))
}

fn time_arg(at: &Option<String>) -> eseal::Result<SystemTime> {
    match at {
        Some(text) => parse_rfc3339(text),
        None => Ok(SystemTime::now()),
    }
}

pub fn run(cmd: Command) -> eseal::Result<u8> {
    match cmd {
        Command::Init(args) => init(args),
        Command::Template { office, file } => store_template(&office, &file),
        Command::Issue(args) => issue(args),
        Command::Revoke { change, status } => {
            let to = LicenceState::from_code(&status, 1).expect("a listed status code");
            set_status(change, to, OpCode::Terminate)
        }
        Command::Suspend { change } => set_status(change, LicenceState::Suspended, OpCode::Suspend),
        Command::Reinstate { change } => set_status(change, LicenceState::Valid, OpCode::Reinstate),
        Command::Show { office, identifier } => show(&office, &identifier),
        Command::StatusList {
            office,
            uri,
            out,
            ttl,
            valid_hours,
        } => status_list(&office, uri, &out, ttl, valid_hours),
        Command::Audit { office, head } => audit(&office, head),
        Command::Migrate { office, to } => migrate(&office, &to),
        Command::Render(args) => render(&args, Format::Pdf),
        Command::Export {
            office,
            identifier,
            out,
            format,
            operator,
        } => export(&office, &identifier, &out, format, &operator),
        Command::TrustList {
            signer,
            issuer,
            office,
            seq,
            valid_days,
            out,
        } => trust_list(&signer, &issuer, &office, seq, valid_days, &out),
    }
}

/// `licence init`: writes office.json with the files' absolute paths, then checks the keys
/// and certificates and creates the registry (or keeps one).
fn init(args: InitArgs) -> eseal::Result<u8> {
    let identity = OfficeIdentity {
        code: args.code.parse()?,
        name: args.name,
        region: args.region.parse()?,
    };
    let office = &args.office;
    std::fs::create_dir_all(office).map_err(|e| eseal::Error::io(office, e))?;
    let optional = |path: &Option<PathBuf>| path.as_deref().map(absolute).transpose();
    let config = OfficeConfig {
        identity,
        status_list_uri: args.status_list_uri,
        key: absolute(&args.key)?,
        cert: absolute(&args.cert)?,
        seal: optional(&args.seal)?,
        seal_key: optional(&args.seal_key)?,
        seal_cert: optional(&args.seal_cert)?,
        status_list_key: Some(absolute(&args.status_list_key)?),
        status_list_cert: Some(absolute(&args.status_list_cert)?),
        registry: args.registry,
    };
    let json = serde_json::to_vec_pretty(&config).expect("config serialises");
    write_file(&office.join(OFFICE_FILE), &json)?;
    OfficeDir::create(office)?;
    out!(
        "office {} ready in {}",
        config.identity.name,
        office.display()
    );
    Ok(0)
}

/// `licence template`: stores a licence type's template in the office's registry.
fn store_template(office: &Path, file: &Path) -> eseal::Result<u8> {
    let mut dir = OfficeDir::open(office)?;
    let template = Template::from_json(&read_file(file)?)?;
    let now = unix_seconds(SystemTime::now());
    dir.put_template(&template, "eseal", now)?;
    out!("template {} ({}) stored", template.type_code, template.name);
    Ok(0)
}

/// `licence issue`: one licence from a JSON request, or a batch.
fn issue(args: IssueArgs) -> eseal::Result<u8> {
    let IssueArgs {
        office,
        type_code,
        input,
        batch,
        idempotency_key,
        operator,
        at,
        out,
    } = args;
    let mut dir = OfficeDir::open(&office)?;
    let template = dir.template(&type_code)?;
    let at = unix_seconds(time_arg(&at)?);
    if let Some(path) = &out {
        std::fs::create_dir_all(path).map_err(|e| eseal::Error::io(path, e))?;
    }
    match (input, batch) {
        (Some(input), None) => {
            let request = LicenceRequest::from_json(&read_file(&input)?)?;
            let (issued, pdf) = dir.issue(
                &type_code,
                &request,
                idempotency_key.as_deref(),
                &operator,
                at,
                out.is_some(),
            )?;
            print_issued(&issued);
            if let (Some(path), Some(pdf)) = (&out, &pdf) {
                write_outputs(&issued, pdf, Format::Pdf, path)?;
            }
            Ok(0)
        }
        (None, Some(batch)) => issue_batch(&mut dir, &template, &batch, &operator, at, &out),
        _ => Err(eseal::Error::Invalid(
            "give one request (--in FILE.json) or a batch (--batch FILE.csv|.jsonl)".into(),
        )),
    }
}

/// `licence show`: a licence's record and status history.
fn show(office: &Path, identifier: &str) -> eseal::Result<u8> {
    let dir = OfficeDir::open(office)?;
    let record = dir
        .registry
        .licence(identifier)?
        .ok_or_else(|| eseal::Error::Invalid(format!("no licence {identifier}")))?;
    out!("{}", record.identifier);
    out!("  status:      {}", record.status);
    out!("  status list: {} #{}", record.list_uri, record.list_idx);
    if let Some(sha256) = &record.doc_sha256 {
        out!("  document:    SHA-256 {}", hex::encode(sha256));
    }
    out!("  QR:          {}", record.qr);
    for h in dir.registry.history(identifier)? {
        out!(
            "  {} {} → {} (op {}) by {}{}",
            eseal::rfc3339(h.at),
            h.from.as_deref().unwrap_or("—"),
            h.to,
            h.op,
            h.operator,
            h.reason.map(|r| format!(": {r}")).unwrap_or_default()
        );
    }
    Ok(0)
}

/// `licence status-list`: signs and writes the office's status list, then signs the
/// audit log's head.
fn status_list(
    office: &Path,
    uri: Option<String>,
    out: &Path,
    ttl: u64,
    valid_hours: u64,
) -> eseal::Result<u8> {
    let dir = OfficeDir::open(office)?;
    let now = SystemTime::now();
    let (entries, token) = dir.status_list(
        uri.as_deref(),
        now,
        Duration::from_secs(ttl),
        Duration::from_secs(valid_hours * 3600),
    )?;
    let uri = uri.unwrap_or_else(|| dir.config.status_list_uri.clone());
    write_file(out, &token)?;
    out!(
        "status list {uri}: {entries} entries, {} bytes signed, valid {valid_hours} h → {}",
        token.len(),
        out.display()
    );
    let (head, path) = dir.sign_audit_head(now)?;
    out!(
        "audit head: {} entries, {} → {}",
        head.entries,
        hex::encode(head.head),
        path.display()
    );
    Ok(0)
}

/// `licence audit`: the registry checked read-only; damage or a broken chain exits 65.
fn audit(office: &Path, head: Option<PathBuf>) -> eseal::Result<u8> {
    let heads = head.map(|path| vec![path]);
    let audit = audit_office(office, heads.as_deref())?;
    let location = OfficeConfig::read(office)?.registry_location(office);
    if !audit.damage.is_empty() {
        for message in &audit.damage {
            out!("{location}: {message}");
        }
        out!("registry damaged: restore it from a backup");
        return Ok(crate::EXIT_UNREADABLE);
    }
    for (path, check) in &audit.heads {
        if let AuditCheck::Broken { seq } = check {
            out!(
                "{}: the database no longer holds what the office signed (entry {seq})",
                path.display()
            );
        }
    }
    match audit.chain {
        Some(AuditCheck::Intact { entries, head }) => {
            out!(
                "audit log intact: {entries} entries, head {}, {} signed heads match",
                hex::encode(head),
                audit.heads.len()
            );
            Ok(0)
        }
        Some(AuditCheck::Broken { seq }) => {
            out!("audit log broken at entry {seq}");
            Ok(crate::EXIT_UNREADABLE)
        }
        None => Ok(crate::EXIT_UNREADABLE),
    }
}

/// `licence migrate`: copies the office's SQLite registry into PostgreSQL, checks the
/// audit chain on both sides, then points office.json at the database.
fn migrate(office: &Path, to: &str) -> eseal::Result<u8> {
    if !is_postgres_url(to) {
        return Err(eseal::Error::Invalid(
            "--to takes a postgresql:// URL".into(),
        ));
    }
    let mut config = OfficeConfig::read(office)?;
    let path = match config.registry_location(office) {
        RegistryLocation::File(path) => path,
        moved => {
            return Err(eseal::Error::Invalid(format!(
                "the office's registry is already in {moved}; an office moves once"
            )));
        }
    };
    // The chain must be intact and hold what the office signed before anything moves.
    OfficeDir::open(office)?.check_signed_head()?;
    let mut source = SqliteRegistry::open(&path)?;
    let code = config.identity.code.to_string();
    let mut import = PgRegistry::import(to, &code)?;
    let mut rows = 0u64;
    let expected = source.export(&mut |row| {
        rows += 1;
        import.row(row)
    })?;
    let target = import.finish(&expected)?;
    let moved = target.audit_verify()?;
    let AuditCheck::Intact { entries, head } = moved else {
        return Err(eseal::Error::Invalid(format!(
            "the moved audit log reads {moved:?}; office.json is unchanged"
        )));
    };
    config.registry = Some(to.to_owned());
    let json = serde_json::to_vec_pretty(&config).expect("config serialises");
    write_file(&office.join(OFFICE_FILE), &json)?;
    out!(
        "registry moved: {rows} rows, audit log {entries} entries with head {} on both sides → \
         {}; {} stays as the copy from before",
        hex::encode(head),
        target.database(),
        path.display()
    );
    Ok(0)
}

/// `licence export`: a licence's QR text, QR image and sealed document, written again.
fn export(
    office: &Path,
    identifier: &str,
    out: &Path,
    format: Format,
    operator: &str,
) -> eseal::Result<u8> {
    let mut dir = OfficeDir::open(office)?;
    let issued = dir.issued(identifier)?;
    std::fs::create_dir_all(out).map_err(|e| eseal::Error::io(out, e))?;
    let document = seal_document(&mut dir, &issued, operator, format)?;
    write_outputs(&issued, &document, format, out)?;
    out!("{identifier} → {}", out.display());
    Ok(0)
}

/// `licence trust-list`: the offices in `offices` and the templates their registries
/// hold, in a trust list signed by `signer`.
fn trust_list(
    signer: &SignerArgs,
    issuer: &str,
    offices: &[PathBuf],
    seq: u64,
    valid_days: u64,
    out: &Path,
) -> eseal::Result<u8> {
    let LoadedSigner {
        key,
        certificate: cert,
        chain,
        ..
    } = signer.load()?;
    let mut list = TrustList::new(issuer);
    for dir in offices {
        let config = OfficeConfig::read(dir)?;
        let location = config.registry_location(dir);
        let registry = open_registry(&location, &config.identity.code.to_string(), false)?;
        for stored in registry.templates()? {
            if !list
                .templates
                .iter()
                .any(|t| t.type_code.to_string() == stored.type_code)
            {
                list = list.template(Template::from_json(&stored.body)?);
            }
        }
        list = list.office(listed_office(&config)?);
    }
    let now = SystemTime::now();
    let token = sign_trust_list(
        &list,
        seq,
        now,
        now + Duration::from_secs(valid_days * 86_400),
        &key,
        &cert,
        &chain,
    )?;
    write_file(out, &token)?;
    out!(
        "trust list {issuer} #{seq}: {} offices, {} bytes → {}",
        offices.len(),
        token.len(),
        out.display()
    );
    Ok(0)
}

/// An office as a trust list lists it: its identity, status-list prefix and the
/// certificates of its licence and status-list signers.
fn listed_office(config: &OfficeConfig) -> eseal::Result<Office> {
    let signing = first_certificate(&config.cert)?;
    let prefix = status_list_prefix(&config.status_list_uri);
    let mut listed = Office::new(&config.identity.code.to_string(), &config.identity.name)
        .region(config.identity.region.as_str())
        .status_list(prefix)
        .key(ListedKey::new(signing, KeyUse::Sign));
    if let Some(path) = &config.status_list_cert {
        listed = listed.key(ListedKey::new(first_certificate(path)?, KeyUse::Sign));
    }
    Ok(listed)
}

/// The prefix under which an office publishes status lists: its list URI up to the last
/// `/`.
fn status_list_prefix(uri: &str) -> &str {
    uri.rfind('/').map_or(uri, |i| &uri[..=i])
}

fn set_status(change: ChangeArgs, to: LicenceState, op: OpCode) -> eseal::Result<u8> {
    let mut dir = OfficeDir::open(&change.office)?;
    let at = unix_seconds(SystemTime::now());
    let from = dir.set_status(
        &change.identifier,
        to,
        op,
        &change.reason,
        &change.operator,
        at,
    )?;
    out!(
        "{}: {from} → {to} ({}); publish a new status list",
        change.identifier,
        change.reason
    );
    Ok(0)
}

fn print_issued(issued: &IssuedLicence) {
    let replay = if issued.replayed { " (replayed)" } else { "" };
    out!("{}{replay}", issued.record.identifier);
    out!("  {} — {}", issued.licence.name, issued.licence.holder_name);
    out!(
        "  status list {} #{}",
        issued.record.list_uri,
        issued.record.list_idx
    );
    if let Some(code) = issued.verification_code() {
        out!("  核验码 {code}");
    }
    out!(
        "  QR ({} chars): {}",
        issued.record.qr.len(),
        issued.record.qr
    );
    for w in &issued.warnings {
        eprintln!("eseal: warning: {w}");
    }
}

fn issue_batch(
    dir: &mut OfficeDir,
    template: &Template,
    path: &Path,
    operator: &str,
    at: i64,
    out: &Option<PathBuf>,
) -> eseal::Result<u8> {
    let format = BatchFormat::from_file_name(&path.to_string_lossy()).ok_or_else(|| {
        eseal::Error::Invalid(format!("{}: a batch is .csv or .jsonl", path.display()))
    })?;
    let bytes = read_file_up_to(path, eseal::MAX_BATCH_INPUT as u64, 0)?;
    let rows = read_batch(&bytes, format)?;
    let bar = indicatif::ProgressBar::new(rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} licences, {per_sec}, {eta} left",
        )
        .expect("a valid progress template"),
    );
    let (mut issued_count, mut replayed, mut refused) = (0usize, 0usize, 0usize);
    let sealer = out
        .as_ref()
        .map(|_| Sealer::load(&dir.config))
        .transpose()?;
    for chunk in rows.chunks(BATCH_CHUNK) {
        let requests: Vec<_> = chunk
            .iter()
            .filter_map(|(_, row)| row.as_ref().ok().cloned())
            .collect();
        let mut results = dir
            .issue_batch(template, &requests, operator, at)?
            .into_iter();
        for (line, row) in chunk {
            let result = match row {
                Ok(_) => results
                    .next()
                    .expect("one result per request")
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(issued) => {
                    if issued.replayed {
                        replayed += 1;
                    } else {
                        issued_count += 1;
                    }
                    out!(
                        "{}",
                        serde_json::json!({
                            "line": line,
                            "identifier": issued.record.identifier,
                            "replayed": issued.replayed,
                            "qr": issued.record.qr,
                        })
                    );
                    if let (Some(path), Some(sealer)) = (out, &sealer) {
                        let pdf =
                            sealer.document(dir.registry.as_mut(), template, &issued, operator)?;
                        write_outputs(&issued, &pdf, Format::Pdf, path)?;
                    }
                }
                Err(e) => {
                    refused += 1;
                    out!("{}", serde_json::json!({ "line": line, "error": e }));
                }
            }
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    eprintln!("eseal: {issued_count} issued, {replayed} replayed, {refused} refused");
    Ok(if refused == 0 {
        0
    } else {
        crate::EXIT_UNREADABLE
    })
}

/// Writes `<identifier>.qr.txt`, `.svg` and the sealed document (`.pdf` or `.ofd`) into
/// `dir_out`: what `issue --out` and `export` write.
fn write_outputs(
    issued: &IssuedLicence,
    document: &[u8],
    format: Format,
    dir_out: &Path,
) -> eseal::Result<()> {
    let id = &issued.record.identifier;
    let with = |ext: &str| dir_out.join(format!("{id}.{ext}"));
    write_file(&with("qr.txt"), issued.record.qr.as_bytes())?;
    write_file(&with("svg"), eseal::qr_svg(&issued.record.qr)?.as_bytes())?;
    let ext = match format {
        Format::Pdf => "pdf",
        Format::Ofd => "ofd",
    };
    write_file(&with(ext), document)
}

/// The form of a printed licence.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// PDF sealed with PAdES.
    Pdf,
    /// OFD sealed with a GB/T 38540 seal signature.
    Ofd,
}

/// The licence `issued` of `dir` rendered as `format` and sealed with the office's e-seal;
/// its SHA-256 is stored with the licence.
fn seal_document(
    dir: &mut OfficeDir,
    issued: &IssuedLicence,
    operator: &str,
    format: Format,
) -> eseal::Result<Vec<u8>> {
    let format = match format {
        Format::Pdf => eseal::DocumentFormat::Pdf,
        Format::Ofd => eseal::DocumentFormat::Ofd,
    };
    dir.sealed_document(issued, operator, format)
}

/// Renders the licence `args.identifier` of the office in `args.office` as `format`,
/// seals it with the office's e-seal and writes it to `args.out`; its SHA-256 is stored
/// with the licence.
pub fn render(args: &RenderArgs, format: Format) -> eseal::Result<u8> {
    let mut dir = OfficeDir::open(&args.office)?;
    let issued = dir.issued(&args.identifier)?;
    let document = seal_document(&mut dir, &issued, &args.operator, format)?;
    write_file(&args.out, &document)?;
    out!("{} → {}", args.identifier, args.out.display());
    Ok(0)
}
