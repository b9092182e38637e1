//! The issuing office's registry (LICENCE.md §7): serials, licences, their status history,
//! status-list indices, idempotency keys and a hash-chained audit log.
//!
//! [`Registry`] is the storage-neutral interface; [`SqliteRegistry`] implements it on one
//! SQLite file (`journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON`, a busy timeout).
//!
//! # Guarantees
//!
//! - **Serials are never reused.** [`Registry::next_serial`] and [`Registry::issue`] take
//!   the next value of a per-(type, year) counter that only increases (a trigger refuses a
//!   decrease or a delete); serials are `YYYY` followed by a 7-digit counter.
//! - **One transaction per issuance** (`BEGIN IMMEDIATE`): idempotency check, serial,
//!   random free status-list index, the caller's closure (which signs), then the licence,
//!   its first history row (op `01`), an audit entry and the idempotency row, then COMMIT.
//!   Nothing the closure produced should leave the process before `issue` returns.
//!   [`Registry::issue_batch`] runs many issuances in one transaction, each in its own
//!   savepoint (one `fsync` for the batch; a refused item rolls back alone); a crash
//!   before COMMIT loses the whole batch and nothing of it has left the process.
//! - **Append-only history.** Triggers `RAISE(ABORT)` on DELETE of licences and status
//!   history, on UPDATE/DELETE of the audit log, and on UPDATE of a licence's identity
//!   columns.
//! - **Tamper-evident audit log.** Entry `seq` stores
//!   `hash = SHA-256(prev_hash ‖ CBOR[seq, at, operator, action, subject, detail])`
//!   (RFC 8949 deterministic encoding, see [`audit_hash`]), the first `prev_hash` being 32
//!   zero bytes; [`Registry::audit_verify`] recomputes the chain and names the first broken
//!   `seq`.
//! - **Forward-only migrations.** The schema is a list of embedded SQL migrations applied
//!   in order, one transaction each, recorded in `PRAGMA user_version`, after a copy of
//!   the database (`<file>.v<old version>.<time>.bak`, `VACUUM INTO`); a database written
//!   by newer code is refused with [`RegistryError::TooNew`].
//!
//! # Backends
//!
//! [`SqliteRegistry`] keeps one office's registry in one file: the embedded default, for
//! one office on one machine. [`PgRegistry`] (feature `postgres`) keeps the registries of
//! many offices in one PostgreSQL database, for issuers on several machines; the office
//! configuration picks it with `registry = "postgresql://…"` ([`RegistryLocation`]).
//! Both give the guarantees above; `eseal licence migrate` moves an office from the file
//! to the database ([`SqliteRegistry::export`], [`PgRegistry::import`]) with its audit
//! chain unchanged, checked on both sides.

pub mod head;
#[cfg(feature = "postgres")]
mod postgres;
mod schema;
mod sqlite;

use std::fmt;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::licence::cbor;
use crate::licence::status_list::{Status, StatusList};

#[cfg(all(feature = "postgres", feature = "test-util"))]
pub use postgres::fuzz_url;
#[cfg(feature = "postgres")]
pub use postgres::{PG_SCHEMA_VERSION, PgImport, PgRegistry};
#[cfg(feature = "postgres")]
use postgres::error_chain;
pub use sqlite::SqliteRegistry;

/// The newest schema version this code reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = schema::MIGRATIONS.len() as u32;

/// The longest idempotency key accepted (ASCII characters).
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// The genesis `prev_hash` of the audit chain.
pub const AUDIT_GENESIS: [u8; 32] = [0; 32];

/// The `PRAGMA application_id` of an eseal registry (the header bytes 68–71 read
/// `ESLR`), set when [`SqliteRegistry::create`] makes the file.
pub const APPLICATION_ID: i32 = 0x4553_4c52;

/// The [`RegistryError::NotARegistry`] problem of a database that holds no registry of
/// the office.
pub(crate) const NO_OFFICE: &str = "holds no registry of this office";

/// Everything a registry operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The database was written by newer code (its `user_version` is above
    /// `SCHEMA_VERSION`); it is left untouched.
    #[error("RegistryTooNew: database schema version {found}, this code knows up to {known}")]
    TooNew {
        /// The database's `user_version`.
        found: u32,
        /// `SCHEMA_VERSION`.
        known: u32,
    },
    /// The idempotency key was used before for a different request.
    #[error("IdempotencyConflict: key {key:?} was used for a different request")]
    IdempotencyConflict {
        /// The key.
        key: String,
    },
    /// The holder already has an active (01 valid or 02 suspended) licence of this type.
    #[error("DuplicateActiveLicence: holder already has active licence {existing}")]
    DuplicateActiveLicence {
        /// The identifier of the active licence.
        existing: String,
    },
    /// The status change is not allowed by the rules of LICENCE.md §1.
    #[error("status transition refused: {0}")]
    TransitionRefused(String),
    /// No licence with this identifier.
    #[error("no licence {0:?} in the registry")]
    NotFound(String),
    /// The 7-digit serial counter of a type and year is exhausted.
    #[error("serials of type {type_code} for {year} are exhausted")]
    SerialsExhausted {
        /// The type code.
        type_code: String,
        /// The year.
        year: u16,
    },
    /// Every index of the status list is taken.
    #[error("status list {0} is full")]
    StatusListFull(String),
    /// The arguments cannot be used as given.
    #[error("invalid registry request: {0}")]
    Invalid(String),
    /// The caller's issuance closure failed; the transaction was rolled back.
    #[error("issuance aborted: {0}")]
    Build(#[source] crate::Error),
    /// The database failed.
    #[error("registry database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL database failed or the connection was lost; the open transaction
    /// was rolled back by the server.
    #[cfg(feature = "postgres")]
    #[error("registry database: {}", error_chain(.0))]
    Postgres(#[from] ::postgres::Error),
    /// The registry's database cannot be reached (down, refused, timed out, TLS or
    /// authentication failed).
    #[error("RegistryUnavailable: cannot reach the registry database {database}: {detail}")]
    Unavailable {
        /// The database, without its password.
        database: String,
        /// Why.
        detail: String,
    },
    /// The office configuration names a PostgreSQL registry, but this build has no
    /// PostgreSQL support (feature `postgres`).
    #[error("the office's registry is in PostgreSQL, and this build has no PostgreSQL support")]
    Unsupported,
    /// The file is missing, empty, or not an eseal registry; only
    /// [`SqliteRegistry::create`] (`eseal licence init`) makes a new one.
    #[error(
        "NotARegistry: {}: {problem}; `eseal licence init` sets up a new office, an \
         existing office restores its registry from a backup",
        path.display()
    )]
    NotARegistry {
        /// The registry file.
        path: PathBuf,
        /// What is wrong: does not exist, is empty, is not an eseal database.
        problem: String,
    },
    /// SQLite finds the file physically damaged (a truncated file, a broken page).
    #[error(
        "RegistryDamaged: {}: {detail}; `eseal licence audit` shows the damage, restore the \
         registry from a backup",
        path.display()
    )]
    Damaged {
        /// The registry file.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// The registry no longer holds what the office signed in its newest audit head
    /// (LICENCE.md §7): entries were lost (an older copy, a cut file) or changed. Nothing
    /// is written.
    #[error(
        "AuditHeadMismatch: the registry does not hold the {signed} audit entries the office \
         signed in {}: first bad entry {seq}; nothing was written: run `eseal licence audit`, \
         then restore the registry from a backup",
        head.display()
    )]
    AuditHeadMismatch {
        /// The signed audit head checked.
        head: PathBuf,
        /// The number of entries it covers.
        signed: u64,
        /// The first entry that is missing or differs.
        seq: u64,
    },
    /// The registry's audit chain is broken past the newest signed audit head (or with no
    /// head to check against). Nothing is written.
    #[error(
        "AuditChainBroken: the registry's audit chain is broken at entry {seq}; nothing was \
         written: run `eseal licence audit`, then restore the registry from a backup"
    )]
    AuditChainBroken {
        /// The first broken entry.
        seq: u64,
    },
}

impl RegistryError {
    /// Whether the registry's data is at fault (missing, damaged, not eseal's, or out of
    /// step with its signed audit head) rather than the request.
    pub fn is_data_fault(&self) -> bool {
        match self {
            RegistryError::NotARegistry { .. }
            | RegistryError::Damaged { .. }
            | RegistryError::AuditHeadMismatch { .. }
            | RegistryError::AuditChainBroken { .. } => true,
            RegistryError::Database(e) => is_damage(e),
            _ => false,
        }
    }
}

/// Whether SQLite reports a damaged file or one that is not a database.
pub(crate) fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// A registry whose data is at fault ([`RegistryError::is_data_fault`]) becomes
/// [`crate::Error::Malformed`] with `what` = `"office registry"`, the registry's message
/// as detail; a database that cannot be reached or lost the connection
/// [`crate::Error::Unavailable`];
/// a failed issuance closure its own error; anything else [`crate::Error::Invalid`].
impl From<RegistryError> for crate::Error {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Build(inner) => inner,
            RegistryError::Unavailable { .. } => crate::Error::Unavailable(e.to_string()),
            #[cfg(feature = "postgres")]
            RegistryError::Postgres(ref pg) if postgres::is_gone(pg) || pg.as_db_error().is_none() => {
                crate::Error::Unavailable(e.to_string())
            }
            fault if fault.is_data_fault() => crate::Error::Malformed {
                what: "office registry",
                detail: fault.to_string(),
            },
            other => crate::Error::Invalid(other.to_string()),
        }
    }
}

/// The result type of registry operations.
pub type RegistryResult<T> = std::result::Result<T, RegistryError>;

/// A licence status (LICENCE.md §1, MOHURD codes) with its status-list value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LicenceState {
    /// `01` 有效 valid (list 0).
    Valid,
    /// `02` 暂扣 suspended (list 2).
    Suspended,
    /// `03` 撤销 revoked (list 1, final).
    Revoked,
    /// `04` 注销 cancelled (list 1, final).
    Cancelled,
    /// `07` 吊销 withdrawn (list 1, final).
    Withdrawn,
    /// `05` 失效 lapsed or superseded (list 1, final).
    Lapsed,
    /// `06` 转出 transferred out (list 3); back to valid only by op `10`.
    TransferredOut,
    /// `99` 其他, with the list value the operator picked (VALID, INVALID or SUSPENDED).
    Other(Status),
}

impl LicenceState {
    /// The two-digit status code.
    pub fn code(self) -> &'static str {
        match self {
            LicenceState::Valid => "01",
            LicenceState::Suspended => "02",
            LicenceState::Revoked => "03",
            LicenceState::Cancelled => "04",
            LicenceState::Lapsed => "05",
            LicenceState::TransferredOut => "06",
            LicenceState::Withdrawn => "07",
            LicenceState::Other(_) => "99",
        }
    }

    /// The status-list entry.
    pub fn list_status(self) -> Status {
        match self {
            LicenceState::Valid => Status::Valid,
            LicenceState::Suspended => Status::Suspended,
            LicenceState::Revoked
            | LicenceState::Cancelled
            | LicenceState::Withdrawn
            | LicenceState::Lapsed => Status::Invalid,
            LicenceState::TransferredOut => Status::Transferred,
            LicenceState::Other(s) => s,
        }
    }

    /// The state stored as `code` with list value `list_value`; `None` if unknown.
    pub fn from_code(code: &str, list_value: u8) -> Option<LicenceState> {
        Some(match code {
            "01" => LicenceState::Valid,
            "02" => LicenceState::Suspended,
            "03" => LicenceState::Revoked,
            "04" => LicenceState::Cancelled,
            "05" => LicenceState::Lapsed,
            "06" => LicenceState::TransferredOut,
            "07" => LicenceState::Withdrawn,
            "99" => LicenceState::Other(Status::from_bits(list_value)),
            _ => return None,
        })
    }

    /// Whether the state counts as active for `one_active_per_holder` (01 or 02).
    pub fn is_active(self) -> bool {
        matches!(self, LicenceState::Valid | LicenceState::Suspended)
    }

    /// Whether the state is final (status-list INVALID).
    pub fn is_final(self) -> bool {
        self.list_status() == Status::Invalid
    }
}

impl fmt::Display for LicenceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LicenceState::Other(s) => write!(f, "99/{}", s.value()),
            s => f.write_str(s.code()),
        }
    }
}

/// A status-history operation code (LICENCE.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// `01` 新发 issued.
    Issue,
    /// `02` 延续 renewed (the old version lapses).
    Renew,
    /// `03` 暂扣 suspended.
    Suspend,
    /// `04` 过期失效 expired.
    Expire,
    /// `05` 注销/撤销/吊销/转出 cancelled, revoked, withdrawn or transferred out.
    Terminate,
    /// `06` 暂扣发还 suspension lifted.
    Reinstate,
    /// `07` 其他 other.
    Other,
    /// `08` 转入 transferred in.
    TransferIn,
    /// `09` 变更 changed (the old version is superseded).
    Change,
    /// `10` 取消转出 transfer cancelled.
    CancelTransfer,
}

impl OpCode {
    /// The two-digit op code.
    pub fn code(self) -> &'static str {
        match self {
            OpCode::Issue => "01",
            OpCode::Renew => "02",
            OpCode::Suspend => "03",
            OpCode::Expire => "04",
            OpCode::Terminate => "05",
            OpCode::Reinstate => "06",
            OpCode::Other => "07",
            OpCode::TransferIn => "08",
            OpCode::Change => "09",
            OpCode::CancelTransfer => "10",
        }
    }
}

/// Checks a status change against LICENCE.md §1.
///
/// - INVALID (03, 04, 05, 07, or 99 picked INVALID) is final.
/// - 01 (or 99 picked VALID) → 02 by op 03; 02 → 01 by op 06 (also from 99 picked
///   SUSPENDED).
/// - 01 → 06 by op 05; 06 → 01 only by op 10.
/// - → 03/04/07 by op 05; → 05 by op 02, 04 or 09.
/// - → 99 by op 07 with a reason, picking VALID, INVALID or SUSPENDED.
/// - 99 (VALID or SUSPENDED) → 01 by op 06 or 07.
/// - A change to the same state, and ops 01 and 08 (issuance only), are refused.
pub fn check_transition(
    from: LicenceState,
    to: LicenceState,
    op: OpCode,
    reason: Option<&str>,
) -> RegistryResult<()> {
    use LicenceState as S;
    let refuse = |why: &str| {
        Err(RegistryError::TransitionRefused(format!(
            "{from} → {to} by op {}: {why}",
            op.code()
        )))
    };
    if from.is_final() {
        return refuse("INVALID is final; a reversal issues a new version");
    }
    if from == to {
        return refuse("the licence already has this status");
    }
    if let S::Other(pick) = to {
        if pick == Status::Transferred {
            return refuse("status 99 picks VALID, INVALID or SUSPENDED");
        }
        if reason.is_none_or(|r| r.trim().is_empty()) {
            return refuse("status 99 requires a reason");
        }
    }
    let allowed = match (from, to) {
        (S::Valid | S::Other(Status::Valid), S::Suspended) => op == OpCode::Suspend,
        (S::Suspended, S::Valid) => op == OpCode::Reinstate,
        (S::Valid, S::TransferredOut) => op == OpCode::Terminate,
        (S::TransferredOut, S::Valid) => op == OpCode::CancelTransfer,
        (S::Other(Status::Suspended), S::Valid) => {
            matches!(op, OpCode::Reinstate | OpCode::Other)
        }
        (S::Other(_), S::Valid) => op == OpCode::Other,
        (_, S::Revoked | S::Cancelled | S::Withdrawn) => op == OpCode::Terminate,
        (_, S::Lapsed) => {
            matches!(op, OpCode::Renew | OpCode::Expire | OpCode::Change)
        }
        (_, S::Other(_)) => op == OpCode::Other,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        refuse("not an allowed transition")
    }
}

/// What the caller asks to issue; everything that decides the licence except what the
/// registry assigns (serial, status-list index).
///
/// The request hash for idempotency covers every field except `at`.
#[derive(Clone, Debug)]
pub struct IssueRequest {
    /// The licence type code (definer USCC + 3 digits).
    pub type_code: String,
    /// The year the serial is taken from (`YYYY`, 1000–9999).
    pub year: u16,
    /// The licence version (1–999).
    pub version: u16,
    /// The holder code (e.g. 公民身份号码 or 统一社会信用代码).
    pub holder: String,
    /// The status list the licence gets an index in.
    pub list_uri: String,
    /// The caller's canonical form of the rest of the request (e.g. the licence's data as
    /// canonical JSON); hashed for idempotency.
    pub payload: Vec<u8>,
    /// Refuse a second active licence of this type for this holder (default on); a stored
    /// template of the type can turn the check off (see [`SqliteRegistry::put_template`]).
    pub one_active_per_holder: bool,
    /// Issuance time, Unix seconds (stored in the history and the audit log).
    pub at: i64,
}

impl IssueRequest {
    /// The SHA-256 of the request as stored with an idempotency key: of the CBOR array
    /// `[type_code, year, version, holder, list_uri, payload, one_active_per_holder]`.
    pub fn sha256(&self) -> [u8; 32] {
        let mut c = Vec::new();
        cbor::head(&mut c, 4, 7);
        cbor::text(&mut c, &self.type_code);
        cbor::head(&mut c, 0, u64::from(self.year));
        cbor::head(&mut c, 0, u64::from(self.version));
        cbor::text(&mut c, &self.holder);
        cbor::text(&mut c, &self.list_uri);
        cbor::bytes(&mut c, &self.payload);
        cbor::bool(&mut c, self.one_active_per_holder);
        Sha256::digest(&c).into()
    }
}

/// A licence type's template (LICENCE.md §1): stored in the registry, published in the
/// trust list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The type code.
    pub type_code: String,
    /// The type name.
    pub name: String,
    /// Refuse a second active licence of the type for a holder (default on).
    pub one_active_per_holder: bool,
    /// The template itself (surface fields, privacy default), CBOR or JSON.
    pub body: Vec<u8>,
}

/// What the registry assigned, handed to the issuance closure inside the transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assigned {
    /// The new serial (`YYYY` + 7 digits).
    pub serial: String,
    /// The status list.
    pub list_uri: String,
    /// The random free index in it.
    pub list_idx: u64,
}

/// What the issuance closure returns: the licence as it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLicence {
    /// The licence identifier (LICENCE.md §2), unique.
    pub identifier: String,
    /// The licence metadata (CBOR or JSON).
    pub metadata: Vec<u8>,
    /// The signed compact token.
    pub token: Vec<u8>,
    /// The QR text.
    pub qr: String,
    /// The salt of the hashed personal fields.
    pub salt: Vec<u8>,
}

/// A licence as stored in the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedRecord {
    /// The licence identifier.
    pub identifier: String,
    /// The type code.
    pub type_code: String,
    /// The serial.
    pub serial: String,
    /// The version.
    pub version: u16,
    /// The holder code.
    pub holder: String,
    /// The metadata.
    pub metadata: Vec<u8>,
    /// The signed token.
    pub token: Vec<u8>,
    /// The QR text.
    pub qr: String,
    /// The salt.
    pub salt: Vec<u8>,
    /// The SHA-256 of the rendered document, once stored.
    pub doc_sha256: Option<Vec<u8>>,
    /// The current status.
    pub status: LicenceState,
    /// The status list.
    pub list_uri: String,
    /// The index in it.
    pub list_idx: u64,
    /// Issuance time, Unix seconds.
    pub issued_at: i64,
}

/// The outcome of an issuance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The stored licence.
    pub record: IssuedRecord,
    /// `true` if an idempotency key replayed an earlier issuance (nothing new was stored).
    pub replayed: bool,
}

/// One issuance of a batch ([`Registry::issue_batch`]).
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// What to issue.
    pub request: &'a IssueRequest,
    /// Its idempotency key, if any.
    pub idempotency_key: Option<&'a str>,
}

/// One row of a licence's status history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// 1-based position in the licence's history.
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    /// The status before (`None` for issuance).
    pub from: Option<String>,
    /// The status after (code, `99/v` for 99).
    pub to: String,
    /// The op code.
    pub op: String,
    /// The reason given.
    pub reason: Option<String>,
    /// Who did it.
    pub operator: String,
}

/// A status change request.
#[derive(Clone, Copy, Debug)]
pub struct StatusChange<'a> {
    /// The new status.
    pub to: LicenceState,
    /// The op code.
    pub op: OpCode,
    /// The reason (required for 99).
    pub reason: Option<&'a str>,
    /// Who does it.
    pub operator: &'a str,
    /// When, Unix seconds.
    pub at: i64,
}

/// The outcome of [`Registry::audit_verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every entry links and hashes correctly.
    Intact {
        /// The number of entries.
        entries: u64,
        /// The head hash (genesis if empty), to be signed by the office.
        head: [u8; 32],
    },
    /// The chain breaks first at this `seq` (wrong hash, wrong `prev_hash` or a gap).
    Broken {
        /// The first broken entry.
        seq: u64,
    },
}

/// One entry of the audit log, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1-based position in the office's chain.
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    /// Who.
    pub operator: String,
    /// What (`issue`, `set-status`, `template`, `document`, `reserve-serial`).
    pub action: String,
    /// On what (a licence identifier, a type code).
    pub subject: String,
    /// The details, JSON.
    pub detail: String,
    /// The previous entry's hash ([`AUDIT_GENESIS`] for the first).
    pub prev_hash: [u8; 32],
    /// [`audit_hash`] of this entry.
    pub hash: [u8; 32],
}

/// One row of a whole registry, as [`SqliteRegistry::export`] hands them out: every
/// table, parents before children, each table in its key order (the audit log by `seq`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryRow {
    /// A status list and its capacity.
    StatusList {
        /// Its URI.
        uri: String,
        /// Its number of entries.
        capacity: u64,
    },
    /// A serial counter.
    SerialCounter {
        /// The licence type.
        type_code: String,
        /// The year.
        year: u16,
        /// The last value handed out.
        last: u64,
    },
    /// A licence type's template.
    Template(Template),
    /// A licence with its current status.
    Licence(IssuedRecord),
    /// A row of a licence's status history.
    History {
        /// The licence identifier.
        licence: String,
        /// The row.
        entry: HistoryEntry,
    },
    /// An audit log entry.
    Audit(AuditEntry),
    /// An idempotency key and what it issued.
    Idempotency {
        /// The key.
        key: String,
        /// [`IssueRequest::sha256`] of the request.
        request_sha256: [u8; 32],
        /// The licence it issued.
        identifier: String,
    },
}

/// Where an office's registry lives: a SQLite file (the default, `registry.db` in the
/// office directory) or a PostgreSQL database (`postgresql://…`).
#[derive(Clone, PartialEq, Eq)]
pub enum RegistryLocation {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL URL (libpq form; may carry a password, never shown).
    Postgres(String),
}

impl RegistryLocation {
    /// Reads an office configuration's `registry` value: a `postgresql://` (or
    /// `postgres://`) URL, otherwise a file path, relative to `base`.
    pub fn parse(value: &str, base: &std::path::Path) -> RegistryLocation {
        if is_postgres_url(value) {
            RegistryLocation::Postgres(value.to_owned())
        } else {
            RegistryLocation::File(base.join(value))
        }
    }
}

impl fmt::Debug for RegistryLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The file's path, or the URL with its password replaced by `***`.
impl fmt::Display for RegistryLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryLocation::File(path) => write!(f, "{}", path.display()),
            RegistryLocation::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgresql", url));
                // A password may hold '/': the user part ends at the last '@' before the
                // parameters, as the URL reader takes it.
                let query = rest.find('?').unwrap_or(rest.len());
                let end = match rest[..query].rfind('@') {
                    Some(at) => at + 1 + rest[at + 1..].find(['/', '?']).unwrap_or(rest.len() - at - 1),
                    None => rest.find(['/', '?']).unwrap_or(rest.len()),
                };
                let (authority, tail) = rest.split_at(end);
                let tail = tail
                    .split('&')
                    .map(|part| match part.split_once("password=") {
                        Some((before, _)) if before.is_empty() || before.ends_with('?') => {
                            format!("{before}password=***")
                        }
                        _ => part.to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("&");
                match authority.rsplit_once('@') {
                    Some((userinfo, host)) => match userinfo.split_once(':') {
                        Some((user, _)) => write!(f, "{scheme}://{user}:***@{host}{tail}"),
                        None => write!(f, "{scheme}://{userinfo}@{host}{tail}"),
                    },
                    None => write!(f, "{scheme}://{authority}{tail}"),
                }
            }
        }
    }
}

/// Whether `location` names a PostgreSQL database (`postgresql://` or `postgres://`)
/// rather than a file.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgresql://") || location.starts_with("postgres://")
}

/// An issuing office's registry (LICENCE.md §7).
pub trait Registry {
    /// Takes the next serial of `type_code` in `year`: `YYYY` followed by the 7-digit
    /// counter, which only increases (a serial is never handed out twice, used or not).
    fn next_serial(&mut self, type_code: &str, year: u16, operator: &str)
    -> RegistryResult<String>;

    /// Issues one licence in one transaction.
    ///
    /// With an idempotency key seen before: the same request (by [`IssueRequest::sha256`])
    /// returns the stored record with `replayed = true` and takes no serial; a different
    /// request is [`RegistryError::IdempotencyConflict`]. Otherwise the holder check
    /// ([`RegistryError::DuplicateActiveLicence`]), serial, random free status-list index,
    /// `build` (which signs), and the licence, history, audit and idempotency rows, then
    /// COMMIT. An error from `build` rolls everything back (the serial is not consumed).
    fn issue(
        &mut self,
        request: &IssueRequest,
        build: &mut dyn FnMut(&Assigned) -> crate::Result<NewLicence>,
        idempotency_key: Option<&str>,
        operator: &str,
    ) -> RegistryResult<Issued>;

    /// Issues several licences in one transaction (one `fsync` for the lot): each item
    /// is [`Registry::issue`] inside its own savepoint, so an item that fails (a
    /// duplicate holder, an idempotency conflict, an error from `build`, which gets the
    /// item's index) is rolled back alone and reported in its place. Nothing is stored
    /// until the whole batch commits; an error of the transaction itself stores none.
    fn issue_batch(
        &mut self,
        items: &[BatchItem<'_>],
        build: &mut dyn FnMut(usize, &Assigned) -> crate::Result<NewLicence>,
        operator: &str,
    ) -> RegistryResult<Vec<RegistryResult<Issued>>> {
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.issue(
                    item.request,
                    &mut |assigned| build(i, assigned),
                    item.idempotency_key,
                    operator,
                )
            })
            .collect())
    }

    /// Changes a licence's status by the rules of `check_transition`, appending history
    /// and audit rows; returns the previous status.
    fn set_status(
        &mut self,
        identifier: &str,
        change: StatusChange<'_>,
    ) -> RegistryResult<LicenceState>;

    /// The licence with this identifier.
    fn licence(&self, identifier: &str) -> RegistryResult<Option<IssuedRecord>>;

    /// The licence's status history, oldest first.
    fn history(&self, identifier: &str) -> RegistryResult<Vec<HistoryEntry>>;

    /// The status list `list_uri` as of now, built from the licences table.
    fn status_list(&self, list_uri: &str) -> RegistryResult<StatusList>;

    /// Recomputes the audit hash chain from the genesis.
    fn audit_verify(&self) -> RegistryResult<AuditCheck>;

    /// The stored hash of audit entry `seq` (the genesis hash for 0); `None` past the end.
    fn audit_hash_at(&self, seq: u64) -> RegistryResult<Option<[u8; 32]>>;

    /// Recomputes the audit chain after entry `seq`, whose hash is `hash` (see
    /// [`Registry::audit_verify`], which starts from the genesis): what a caller that
    /// checked the chain up to `seq` before still has to check.
    fn audit_verify_after(&self, seq: u64, hash: [u8; 32]) -> RegistryResult<AuditCheck>;

    /// Stores (or replaces) the template of a licence type, with an audit entry.
    ///
    /// A template with `one_active_per_holder = false` turns the holder check off for its
    /// type whatever [`IssueRequest::one_active_per_holder`] says; without a template the
    /// request decides.
    fn put_template(&mut self, template: &Template, operator: &str, at: i64)
    -> RegistryResult<()>;

    /// The stored template of `type_code`, if any.
    fn template(&self, type_code: &str) -> RegistryResult<Option<Template>>;

    /// Every stored template, by type code.
    fn templates(&self) -> RegistryResult<Vec<Template>>;

    /// Stores the SHA-256 of the rendered document of a licence (its own transaction),
    /// with an audit entry.
    fn set_doc_sha256(
        &mut self,
        identifier: &str,
        sha256: &[u8; 32],
        operator: &str,
        at: i64,
    ) -> RegistryResult<()>;

    /// The last counter value handed out for `type_code` in `year` (0 if none).
    fn serial_counter(&self, type_code: &str, year: u16) -> RegistryResult<u64>;

    /// What the backend finds wrong with its own storage, one message each; none when
    /// sound (SQLite: `PRAGMA integrity_check`; PostgreSQL: the schema's triggers).
    fn integrity_check(&self) -> RegistryResult<Vec<String>>;
}

/// Opens the registry at `location` for the office `code` (the key of its rows in a
/// database that holds many offices; a file holds one). `create` makes it when it does
/// not exist yet; otherwise a missing registry is [`RegistryError::NotARegistry`].
pub fn open_registry(
    location: &RegistryLocation,
    code: &str,
    create: bool,
) -> RegistryResult<Box<dyn Registry + Send>> {
    match location {
        RegistryLocation::File(path) if create => Ok(Box::new(SqliteRegistry::create(path)?)),
        RegistryLocation::File(path) => Ok(Box::new(SqliteRegistry::open(path)?)),
        #[cfg(feature = "postgres")]
        RegistryLocation::Postgres(url) if create => Ok(Box::new(PgRegistry::create(url, code)?)),
        #[cfg(feature = "postgres")]
        RegistryLocation::Postgres(url) => Ok(Box::new(PgRegistry::open(url, code)?)),
        #[cfg(not(feature = "postgres"))]
        RegistryLocation::Postgres(_) => {
            let _ = code;
            Err(RegistryError::Unsupported)
        }
    }
}

/// [`open_registry`] for reading only (`eseal licence audit`): nothing is written and the
/// schema is not migrated.
pub fn open_registry_read_only(
    location: &RegistryLocation,
    code: &str,
) -> RegistryResult<Box<dyn Registry + Send>> {
    match location {
        RegistryLocation::File(path) => Ok(Box::new(SqliteRegistry::open_read_only(path)?)),
        #[cfg(feature = "postgres")]
        RegistryLocation::Postgres(url) => Ok(Box::new(PgRegistry::open_read_only(url, code)?)),
        #[cfg(not(feature = "postgres"))]
        RegistryLocation::Postgres(_) => {
            let _ = code;
            Err(RegistryError::Unsupported)
        }
    }
}

/// Refuses an idempotency key that is not 1–[`MAX_IDEMPOTENCY_KEY`] printable ASCII
/// characters and a version outside 1–999.
pub(crate) fn check_issue_request(
    request: &IssueRequest,
    idempotency_key: Option<&str>,
) -> RegistryResult<()> {
    if let Some(key) = idempotency_key
        && (key.is_empty()
            || key.len() > MAX_IDEMPOTENCY_KEY
            || !key.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(RegistryError::Invalid(format!(
            "idempotency key must be 1–{MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        )));
    }
    if !(1..=999).contains(&request.version) {
        return Err(RegistryError::Invalid(format!(
            "version {} is not 1–999",
            request.version
        )));
    }
    Ok(())
}

/// The audit detail of an issuance.
pub(crate) fn issue_detail(
    request: &IssueRequest,
    serial: &str,
    list_idx: u64,
    request_sha: &[u8; 32],
) -> String {
    serde_json::json!({
        "type_code": request.type_code,
        "serial": serial,
        "version": request.version,
        "list_uri": request.list_uri,
        "list_idx": list_idx,
        "request_sha256": hex::encode(request_sha),
    })
    .to_string()
}

/// The audit detail of a status change from `from`.
pub(crate) fn status_detail(from: LicenceState, change: &StatusChange<'_>) -> String {
    serde_json::json!({
        "from": from.to_string(),
        "to": change.to.to_string(),
        "op": change.op.code(),
        "reason": change.reason,
    })
    .to_string()
}

/// The audit detail of a stored template.
pub(crate) fn template_detail(template: &Template) -> String {
    serde_json::json!({
        "name": template.name,
        "one_active_per_holder": template.one_active_per_holder,
        "body_sha256": hex::encode(Sha256::digest(&template.body)),
    })
    .to_string()
}

/// The audit detail of a stored document hash.
pub(crate) fn document_detail(sha256: &[u8; 32]) -> String {
    serde_json::json!({ "sha256": hex::encode(sha256) }).to_string()
}

/// A uniform random value below `n` (rejection sampling).
pub(crate) fn random_below(n: u64) -> RegistryResult<u64> {
    use ring::rand::SecureRandom;
    let rng = ring::rand::SystemRandom::new();
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let mut b = [0u8; 8];
        rng.fill(&mut b)
            .map_err(|_| RegistryError::Invalid("no system randomness".into()))?;
        let v = u64::from_le_bytes(b);
        if v < zone {
            return Ok(v % n);
        }
    }
}

/// `SHA-256(prev_hash ‖ CBOR[seq, at, operator, action, subject, detail])`, the CBOR in
/// RFC 8949 §4.2.1 deterministic encoding (`seq` unsigned, `at` integer, the rest text).
pub fn audit_hash(
    prev_hash: &[u8; 32],
    seq: u64,
    at: i64,
    operator: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> [u8; 32] {
    let mut c = Vec::with_capacity(64 + operator.len() + subject.len() + detail.len());
    cbor::head(&mut c, 4, 6);
    cbor::head(&mut c, 0, seq);
    cbor::int(&mut c, at);
    for text in [operator, action, subject, detail] {
        cbor::text(&mut c, text);
    }
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(&c);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_never_shows_its_password() {
        let base = std::path::Path::new("/office");
        let shown = |v: &str| RegistryLocation::parse(v, base).to_string();
        assert_eq!(
            shown("postgresql://reg:s3cret@db:5432/lic?sslmode=require&password=x"),
            "postgresql://reg:***@db:5432/lic?sslmode=require&password=***"
        );
        assert_eq!(shown("postgres://db/lic"), "postgres://db/lic");
        assert_eq!(shown("postgres://u:ab/cd@db/lic"), "postgres://u:***@db/lic");
        assert_eq!(shown("postgres://:!0]/\npost@gre"), "postgres://:***@gre");
        assert_eq!(shown("registry.db"), "/office/registry.db");
    }

    #[test]
    fn audit_hash_cbor_layout() {
        // [1, 2, "o", "a", "s", "d"] = 86 01 02 61 6f 61 61 61 73 61 64
        let mut expect = Sha256::new();
        expect.update([0u8; 32]);
        expect.update([
            0x86, 0x01, 0x02, 0x61, b'o', 0x61, b'a', 0x61, b's', 0x61, b'd',
        ]);
        let expect: [u8; 32] = expect.finalize().into();
        assert_eq!(audit_hash(&AUDIT_GENESIS, 1, 2, "o", "a", "s", "d"), expect);
        // Negative time: -1 is 0x20.
        let mut c = Vec::new();
        cbor::int(&mut c, -1);
        assert_eq!(c, [0x20]);
    }
}
