//! [`SqliteRegistry`]: the [`Registry`] on one SQLite file.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::schema::MIGRATIONS;
use super::{
    APPLICATION_ID, AUDIT_GENESIS, Assigned, AuditCheck, AuditEntry, BatchItem, HistoryEntry,
    IssueRequest, Issued, IssuedRecord, LicenceState, OpCode, Registry, RegistryError,
    RegistryResult, RegistryRow, SCHEMA_VERSION, StatusChange, Template, audit_hash,
    check_transition,
};
use crate::licence::status_list::{STATUS_LIST_STEP, StatusList};

/// How long a writer waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Random draws for a free status-list index before falling back to a scan.
const INDEX_DRAWS: usize = 64;

/// A [`Registry`] on one SQLite file.
///
/// One `SqliteRegistry` is one connection; several processes may open the same file (WAL,
/// writers serialised by `BEGIN IMMEDIATE` and the busy timeout).
#[derive(Debug)]
pub struct SqliteRegistry {
    conn: Connection,
    list_capacity: u64,
}

impl SqliteRegistry {
    /// A transaction that takes the write lock when it begins (`BEGIN IMMEDIATE`), so that
    /// writers wait for each other instead of failing when a read would turn into a write.
    fn write_transaction(&mut self) -> rusqlite::Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Makes a new registry at `path` (absent, or an empty file): `journal_mode=WAL`,
    /// `APPLICATION_ID`, the schema at `SCHEMA_VERSION`. A file that already holds
    /// data is refused and left alone.
    ///
    /// New status lists get `STATUS_LIST_STEP` entries.
    pub fn create(path: impl AsRef<Path>) -> RegistryResult<Self> {
        let path = path.as_ref();
        let exists = |e: std::io::Error| RegistryError::Invalid(format!("{}: {e}", path.display()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if std::fs::metadata(path).map_err(exists)?.len() > 0 {
                    return Err(RegistryError::Invalid(format!(
                        "{} already holds data; a registry is created only once",
                        path.display()
                    )));
                }
            }
            Err(e) => return Err(exists(e)),
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        migrate(&mut conn)?;
        Ok(Self::with(conn))
    }

    /// Opens the existing registry at `path` and brings its schema up to
    /// `SCHEMA_VERSION`; never creates one.
    ///
    /// A missing or empty file, or one that is not an eseal registry (another
    /// `application_id`, no schema, a missing table), is [`RegistryError::NotARegistry`];
    /// a file SQLite finds damaged is [`RegistryError::Damaged`]; a newer database is
    /// [`RegistryError::TooNew`]. A registry made before `APPLICATION_ID` existed gets it.
    pub fn open(path: impl AsRef<Path>) -> RegistryResult<Self> {
        let path = path.as_ref();
        must_hold_data(path)?;
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| opening(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if identify(&conn, path)? == 0 {
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        configure(&conn)?;
        migrate(&mut conn)?;
        Ok(Self::with(conn))
    }

    /// Opens the registry at `path` for reading only (`SQLITE_OPEN_READ_ONLY`), as
    /// `eseal licence audit` does: the file is not changed (in a writable folder SQLite
    /// may leave an empty `-wal` and its `-shm` index beside it). An archived copy in a
    /// read-only folder, where SQLite cannot make the WAL index, is opened `immutable=1`
    /// when it has no write-ahead log left to apply. The schema is not migrated; the same
    /// refusals as [`SqliteRegistry::open`] apply.
    pub fn open_read_only(path: impl AsRef<Path>) -> RegistryResult<Self> {
        let path = path.as_ref();
        must_hold_data(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let first = Connection::open_with_flags(path, flags)
            .map_err(|e| opening(path, e))
            .and_then(|conn| identify(&conn, path).map(|_| conn));
        let conn = match first {
            Ok(conn) => conn,
            Err(RegistryError::Database(e))
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
                ) && !has_wal(path) =>
            {
                let uri = immutable_uri(path)?;
                let conn = Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                    .map_err(|e| opening(path, e))?;
                identify(&conn, path)?;
                conn
            }
            Err(e) => return Err(e),
        };
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(RegistryError::TooNew {
                found,
                known: SCHEMA_VERSION,
            });
        }
        Ok(Self::with(conn))
    }

    fn with(conn: Connection) -> Self {
        conn.set_prepared_statement_cache_capacity(32);
        SqliteRegistry {
            conn,
            list_capacity: STATUS_LIST_STEP as u64,
        }
    }

    /// Sets the capacity new status lists are created with (tests; at least 1). Lists
    /// already in use keep theirs.
    pub fn with_list_capacity(mut self, capacity: u64) -> Self {
        self.list_capacity = capacity.max(1);
        self
    }

    /// Every row of the registry, handed to `each` in the order of [`RegistryRow`]
    /// (parents before children, the audit log by `seq`), all read in one transaction
    /// that holds the write lock (other writers wait until the export ends). Returns the
    /// audit chain as recomputed in that transaction.
    pub fn export(
        &mut self,
        each: &mut dyn FnMut(RegistryRow) -> RegistryResult<()>,
    ) -> RegistryResult<AuditCheck> {
        let tx = self.write_transaction()?;
        rows_of(&tx, "SELECT uri, capacity FROM status_lists ORDER BY uri", each, |r| {
            Ok(RegistryRow::StatusList {
                uri: r.get(0)?,
                capacity: r.get::<_, i64>(1)? as u64,
            })
        })?;
        rows_of(
            &tx,
            "SELECT type_code, year, last FROM serial_counters ORDER BY type_code, year",
            each,
            |r| {
                Ok(RegistryRow::SerialCounter {
                    type_code: r.get(0)?,
                    year: r.get(1)?,
                    last: r.get::<_, i64>(2)? as u64,
                })
            },
        )?;
        rows_of(
            &tx,
            &format!("SELECT {TEMPLATE_COLUMNS} FROM templates ORDER BY type_code"),
            each,
            |r| read_template(r).map(RegistryRow::Template),
        )?;
        rows_of(
            &tx,
            &format!("SELECT {RECORD_COLUMNS} FROM licences ORDER BY identifier"),
            each,
            |r| read_record(r).map(RegistryRow::Licence),
        )?;
        rows_of(
            &tx,
            r#"SELECT licence, seq, at, "from", "to", op, reason, operator FROM status_history
               ORDER BY licence, seq"#,
            each,
            |r| {
                Ok(RegistryRow::History {
                    licence: r.get(0)?,
                    entry: HistoryEntry {
                        seq: r.get::<_, i64>(1)? as u64,
                        at: r.get(2)?,
                        from: r.get(3)?,
                        to: r.get(4)?,
                        op: r.get(5)?,
                        reason: r.get(6)?,
                        operator: r.get(7)?,
                    },
                })
            },
        )?;
        rows_of(
            &tx,
            "SELECT seq, at, operator, action, subject, detail, prev_hash, hash
             FROM audit_log ORDER BY seq",
            each,
            |r| {
                Ok(RegistryRow::Audit(AuditEntry {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: r.get(1)?,
                    operator: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    detail: r.get(5)?,
                    prev_hash: r.get(6)?,
                    hash: r.get(7)?,
                }))
            },
        )?;
        rows_of(
            &tx,
            "SELECT key, request_sha256, identifier FROM idempotency ORDER BY key",
            each,
            |r| {
                Ok(RegistryRow::Idempotency {
                    key: r.get(0)?,
                    request_sha256: r.get(1)?,
                    identifier: r.get(2)?,
                })
            },
        )?;
        let check = verify_chain(&tx, 0, AUDIT_GENESIS)?;
        tx.finish()?;
        Ok(check)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> RegistryResult<u32> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

}

/// Recomputes the audit chain after entry `seq`, whose hash is `hash`.
fn verify_chain(conn: &Connection, seq: u64, hash: [u8; 32]) -> RegistryResult<AuditCheck> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, operator, action, subject, detail, prev_hash, hash
         FROM audit_log WHERE seq > ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![seq as i64])?;
    let mut prev = hash;
    let mut expected_seq = seq + 1;
    while let Some(r) = rows.next()? {
        let seq = r.get::<_, i64>(0)? as u64;
        if seq != expected_seq {
            return Ok(AuditCheck::Broken { seq: expected_seq });
        }
        let at: i64 = r.get(1)?;
        let operator: String = r.get(2)?;
        let action: String = r.get(3)?;
        let subject: String = r.get(4)?;
        let detail: String = r.get(5)?;
        let stored_prev: Vec<u8> = r.get(6)?;
        let stored_hash: Vec<u8> = r.get(7)?;
        let hash = audit_hash(&prev, seq, at, &operator, &action, &subject, &detail);
        if stored_prev != prev || stored_hash != hash {
            return Ok(AuditCheck::Broken { seq });
        }
        prev = hash;
        expected_seq += 1;
    }
    Ok(AuditCheck::Intact {
        entries: expected_seq - 1,
        head: prev,
    })
}

/// Hands each row of `sql`, read by `read`, to `each`.
fn rows_of(
    conn: &Connection,
    sql: &str,
    each: &mut dyn FnMut(RegistryRow) -> RegistryResult<()>,
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<RegistryRow>,
) -> RegistryResult<()> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(read(r)?)?;
    }
    Ok(())
}

/// The connection settings of a writer: WAL, `synchronous=FULL`, foreign keys, the busy
/// timeout.
fn configure(conn: &Connection) -> RegistryResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(RegistryError::Invalid(format!(
            "journal_mode WAL refused (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// The tables every schema version has.
const TABLES: [&str; 7] = [
    "audit_log",
    "idempotency",
    "licences",
    "serial_counters",
    "status_history",
    "status_lists",
    "templates",
];

/// Refuses a path that does not exist, is not a file or is empty.
fn must_hold_data(path: &Path) -> RegistryResult<()> {
    let not = |problem: String| RegistryError::NotARegistry {
        path: path.to_path_buf(),
        problem,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not("does not exist".into()));
        }
        Err(e) => return Err(not(e.to_string())),
    };
    if !meta.is_file() {
        return Err(not("is not a file".into()));
    }
    if meta.len() == 0 {
        return Err(not("is empty (0 bytes)".into()));
    }
    Ok(())
}

/// Checks that `conn` holds an eseal registry: [`APPLICATION_ID`] (or 0, from before it
/// was set), a schema version (`user_version` > 0) and, unless the schema is newer than
/// this code (which [`migrate`] refuses), every table; returns the `application_id`.
fn identify(conn: &Connection, path: &Path) -> RegistryResult<i32> {
    let refuse = |problem: String| RegistryError::NotARegistry {
        path: path.to_path_buf(),
        problem,
    };
    let read = |e| opening(path, e);
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(read)?;
    if app != 0 && app != APPLICATION_ID {
        return Err(refuse(format!(
            "is not an eseal registry (application_id {app:#010x})"
        )));
    }
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(read)?;
    if version == 0 {
        return Err(refuse("is not an eseal registry (no schema)".into()));
    }
    if version > SCHEMA_VERSION {
        return Ok(app);
    }
    let mut stmt = conn
        .prepare("SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)")
        .map_err(read)?;
    for table in TABLES {
        if !stmt
            .query_row([table], |r| r.get::<_, bool>(0))
            .map_err(read)?
        {
            return Err(refuse(format!(
                "is not an eseal registry (no table {table})"
            )));
        }
    }
    Ok(app)
}

/// Names a failure to read `path`: not a database → [`RegistryError::NotARegistry`],
/// damaged → [`RegistryError::Damaged`].
fn opening(path: &Path, e: rusqlite::Error) -> RegistryError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => RegistryError::NotARegistry {
            path: path.to_path_buf(),
            problem: format!("is not a SQLite database ({e})"),
        },
        Some(ErrorCode::DatabaseCorrupt) => RegistryError::Damaged {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => RegistryError::Database(e),
    }
}

/// Whether `path` has a non-empty write-ahead log beside it.
fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// `file:<path>?immutable=1` (RFC 3986 percent-encoding; SQLite's URI filenames).
fn immutable_uri(path: &Path) -> RegistryResult<String> {
    let absolute = std::path::absolute(path).map_err(|e| RegistryError::NotARegistry {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    Ok(uri)
}

/// Applies the pending migrations, one transaction each.
fn migrate(conn: &mut Connection) -> RegistryResult<()> {
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(RegistryError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found > 0 && found < SCHEMA_VERSION {
        backup(conn, found)?;
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        // Re-check under the lock: another process may have migrated meanwhile.
        let now: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if now as usize > i {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
    }
    Ok(())
}

/// Copies the database to `<file>.v<version>.<unix time>.bak` (`VACUUM INTO`) before a
/// migration; returns the copy's path (`None` for an in-memory database).
fn backup(conn: &Connection, version: u32) -> RegistryResult<Option<String>> {
    let Some(path) = conn.path().filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let target = format!("{path}.v{version}.{now}.bak");
    conn.execute("VACUUM INTO ?1", [&target])?;
    Ok(Some(target))
}

/// Takes the next serial inside `tx`.
fn take_serial(tx: &Connection, type_code: &str, year: u16) -> RegistryResult<String> {
    if !(1000..=9999).contains(&year) {
        return Err(RegistryError::Invalid(format!("year {year} is not YYYY")));
    }
    if type_code.is_empty() {
        return Err(RegistryError::Invalid("empty type code".into()));
    }
    let last: i64 = tx
        .prepare_cached(
            "INSERT INTO serial_counters (type_code, year, last) VALUES (?1, ?2, 1)
             ON CONFLICT (type_code, year) DO UPDATE SET last = last + 1
             RETURNING last",
        )?
        .query_row(params![type_code, year], |r| r.get(0))?;
    if last > 9_999_999 {
        return Err(RegistryError::SerialsExhausted {
            type_code: type_code.to_owned(),
            year,
        });
    }
    Ok(format!("{year:04}{last:07}"))
}

/// Appends one audit entry inside `tx`.
fn append_audit(
    tx: &Connection,
    at: i64,
    operator: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> RegistryResult<()> {
    let last: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        None => (1u64, AUDIT_GENESIS),
        Some((seq, hash)) => {
            let prev: [u8; 32] = hash.as_slice().try_into().map_err(|_| {
                RegistryError::Invalid(format!("audit entry {seq} has a malformed hash"))
            })?;
            (seq as u64 + 1, prev)
        }
    };
    let hash = audit_hash(&prev, seq, at, operator, action, subject, detail);
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, at, operator, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        seq as i64,
        at,
        operator,
        action,
        subject,
        detail,
        &prev[..],
        &hash[..]
    ])?;
    Ok(())
}

/// A random free index in `[0, capacity)` of `list_uri`, creating the list if new.
fn take_index(tx: &Connection, list_uri: &str, new_capacity: u64) -> RegistryResult<u64> {
    if list_uri.is_empty() {
        return Err(RegistryError::Invalid("empty status list URI".into()));
    }
    tx.prepare_cached(
        "INSERT INTO status_lists (uri, capacity) VALUES (?1, ?2) ON CONFLICT (uri) DO NOTHING",
    )?
    .execute(params![list_uri, new_capacity as i64])?;
    let (capacity, used): (i64, i64) = tx
        .prepare_cached("SELECT capacity, used FROM status_lists WHERE uri = ?1")?
        .query_row(params![list_uri], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let capacity = capacity as u64;
    if used as u64 >= capacity {
        return Err(RegistryError::StatusListFull(list_uri.to_owned()));
    }
    let mut taken = tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM licences WHERE list_uri = ?1 AND list_idx = ?2)",
    )?;
    for _ in 0..INDEX_DRAWS {
        let idx = super::random_below(capacity)?;
        let exists: bool = taken.query_row(params![list_uri, idx as i64], |r| r.get(0))?;
        if !exists {
            return Ok(idx);
        }
    }
    // Dense list: scan forward from a random start for the first free index.
    let start = super::random_below(capacity)?;
    let mut used_idx: Vec<u64> = tx
        .prepare("SELECT list_idx FROM licences WHERE list_uri = ?1")?
        .query_map(params![list_uri], |r| r.get::<_, i64>(0))?
        .map(|r| r.map(|v| v as u64))
        .collect::<Result<_, _>>()?;
    used_idx.sort_unstable();
    (0..capacity)
        .map(|k| (start + k) % capacity)
        .find(|i| used_idx.binary_search(i).is_err())
        .ok_or_else(|| RegistryError::StatusListFull(list_uri.to_owned()))
}

const RECORD_COLUMNS: &str = "identifier, type_code, serial, version, holder, metadata, token, \
     qr, salt, doc_sha256, status, list_value, list_uri, list_idx, issued_at";

const TEMPLATE_COLUMNS: &str = "type_code, name, one_active_per_holder, body";

fn read_template(r: &rusqlite::Row<'_>) -> rusqlite::Result<Template> {
    Ok(Template {
        type_code: r.get(0)?,
        name: r.get(1)?,
        one_active_per_holder: r.get(2)?,
        body: r.get(3)?,
    })
}

fn read_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedRecord> {
    let code: String = r.get(10)?;
    let value: u8 = r.get(11)?;
    let status = LicenceState::from_code(&code, value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            10,
            rusqlite::types::Type::Text,
            format!("unknown status code {code:?}").into(),
        )
    })?;
    Ok(IssuedRecord {
        identifier: r.get(0)?,
        type_code: r.get(1)?,
        serial: r.get(2)?,
        version: r.get(3)?,
        holder: r.get(4)?,
        metadata: r.get(5)?,
        token: r.get(6)?,
        qr: r.get(7)?,
        salt: r.get(8)?,
        doc_sha256: r.get(9)?,
        status,
        list_uri: r.get(12)?,
        list_idx: r.get::<_, i64>(13)? as u64,
        issued_at: r.get(14)?,
    })
}

fn load_record(conn: &Connection, identifier: &str) -> RegistryResult<Option<IssuedRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM licences WHERE identifier = ?1"
        ))?
        .query_row(params![identifier], read_record)
        .optional()?)
}

fn history_rows(conn: &Connection, identifier: &str) -> RegistryResult<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare(
        r#"SELECT seq, at, "from", "to", op, reason, operator FROM status_history
           WHERE licence = ?1 ORDER BY seq"#,
    )?;
    let rows = stmt
        .query_map(params![identifier], |r| {
            Ok(HistoryEntry {
                seq: r.get::<_, i64>(0)? as u64,
                at: r.get(1)?,
                from: r.get(2)?,
                to: r.get(3)?,
                op: r.get(4)?,
                reason: r.get(5)?,
                operator: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One issuance inside an open transaction or savepoint (see [`Registry::issue`]); the
/// caller commits.
fn issue_within(
    tx: &Connection,
    list_capacity: u64,
    request: &IssueRequest,
    build: &mut dyn FnMut(&Assigned) -> crate::Result<super::NewLicence>,
    idempotency_key: Option<&str>,
    operator: &str,
) -> RegistryResult<Issued> {
    super::check_issue_request(request, idempotency_key)?;
    let request_sha = request.sha256();

    // 1. Idempotency.
    if let Some(key) = idempotency_key {
        let seen: Option<(Vec<u8>, String)> = tx
            .prepare_cached("SELECT request_sha256, identifier FROM idempotency WHERE key = ?1")?
            .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((sha, identifier)) = seen {
            if sha != request_sha {
                return Err(RegistryError::IdempotencyConflict {
                    key: key.to_owned(),
                });
            }
            let record = load_record(tx, &identifier)?
                .ok_or_else(|| RegistryError::NotFound(identifier.clone()))?;
            return Ok(Issued {
                record,
                replayed: true,
            });
        }
    }

    // 2. One active licence of a type per holder.
    let template_check: Option<bool> = tx
        .prepare_cached("SELECT one_active_per_holder FROM templates WHERE type_code = ?1")?
        .query_row(params![request.type_code], |r| r.get(0))
        .optional()?;
    if request.one_active_per_holder && template_check.unwrap_or(true) {
        let existing: Option<String> = tx
            .prepare_cached(
                "SELECT identifier FROM licences
                 WHERE type_code = ?1 AND holder = ?2 AND status IN ('01', '02') LIMIT 1",
            )?
            .query_row(params![request.type_code, request.holder], |r| r.get(0))
            .optional()?;
        if let Some(existing) = existing {
            return Err(RegistryError::DuplicateActiveLicence { existing });
        }
    }

    // 3. Serial and 4. status-list index.
    let serial = take_serial(tx, &request.type_code, request.year)?;
    let list_idx = take_index(tx, &request.list_uri, list_capacity)?;
    let assigned = Assigned {
        serial: serial.clone(),
        list_uri: request.list_uri.clone(),
        list_idx,
    };

    // 5. Sign.
    let new = build(&assigned).map_err(RegistryError::Build)?;
    if new.identifier.is_empty() {
        return Err(RegistryError::Invalid("empty licence identifier".into()));
    }

    // 6. Licence, history, audit, idempotency.
    let state = LicenceState::Valid;
    tx.prepare_cached(&format!(
        "INSERT INTO licences ({RECORD_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11, ?12, ?13, ?14)"
    ))?
    .execute(params![
        new.identifier,
        request.type_code,
        serial,
        request.version,
        request.holder,
        new.metadata,
        new.token,
        new.qr,
        new.salt,
        state.code(),
        state.list_status().value(),
        request.list_uri,
        list_idx as i64,
        request.at,
    ])?;
    tx.execute(
        r#"INSERT INTO status_history (licence, seq, at, "from", "to", op, reason, operator)
           VALUES (?1, 1, ?2, NULL, ?3, ?4, NULL, ?5)"#,
        params![
            new.identifier,
            request.at,
            state.to_string(),
            OpCode::Issue.code(),
            operator
        ],
    )?;
    let detail = super::issue_detail(request, &serial, list_idx, &request_sha);
    append_audit(tx, request.at, operator, "issue", &new.identifier, &detail)?;
    if let Some(key) = idempotency_key {
        tx.execute(
            "INSERT INTO idempotency (key, request_sha256, identifier) VALUES (?1, ?2, ?3)",
            params![key, &request_sha[..], new.identifier],
        )?;
    }
    let record = load_record(tx, &new.identifier)?
        .ok_or_else(|| RegistryError::NotFound(new.identifier.clone()))?;
    Ok(Issued {
        record,
        replayed: false,
    })
}

impl Registry for SqliteRegistry {
    fn next_serial(
        &mut self,
        type_code: &str,
        year: u16,
        operator: &str,
    ) -> RegistryResult<String> {
        let tx = self.write_transaction()?;
        let serial = take_serial(&tx, type_code, year)?;
        let at = time::OffsetDateTime::now_utc().unix_timestamp();
        append_audit(&tx, at, operator, "reserve-serial", type_code, &serial)?;
        tx.commit()?;
        Ok(serial)
    }

    fn issue(
        &mut self,
        request: &IssueRequest,
        build: &mut dyn FnMut(&Assigned) -> crate::Result<super::NewLicence>,
        idempotency_key: Option<&str>,
        operator: &str,
    ) -> RegistryResult<Issued> {
        let list_capacity = self.list_capacity;
        let tx = self.write_transaction()?;
        let issued = issue_within(
            &tx,
            list_capacity,
            request,
            build,
            idempotency_key,
            operator,
        )?;
        tx.commit()?;
        Ok(issued)
    }

    fn issue_batch(
        &mut self,
        items: &[BatchItem<'_>],
        build: &mut dyn FnMut(usize, &Assigned) -> crate::Result<super::NewLicence>,
        operator: &str,
    ) -> RegistryResult<Vec<RegistryResult<Issued>>> {
        let list_capacity = self.list_capacity;
        let mut tx = self.write_transaction()?;
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let savepoint = tx.savepoint()?;
            let result = issue_within(
                &savepoint,
                list_capacity,
                item.request,
                &mut |assigned| build(i, assigned),
                item.idempotency_key,
                operator,
            );
            if result.is_ok() {
                savepoint.commit()?;
            }
            results.push(result);
        }
        tx.commit()?;
        Ok(results)
    }

    fn set_status(
        &mut self,
        identifier: &str,
        change: StatusChange<'_>,
    ) -> RegistryResult<LicenceState> {
        let tx = self.write_transaction()?;
        let current = load_record(&tx, identifier)?
            .ok_or_else(|| RegistryError::NotFound(identifier.to_owned()))?;
        check_transition(current.status, change.to, change.op, change.reason)?;
        tx.execute(
            "UPDATE licences SET status = ?2, list_value = ?3 WHERE identifier = ?1",
            params![
                identifier,
                change.to.code(),
                change.to.list_status().value()
            ],
        )?;
        let seq: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM status_history WHERE licence = ?1",
            params![identifier],
            |r| r.get(0),
        )?;
        tx.execute(
            r#"INSERT INTO status_history (licence, seq, at, "from", "to", op, reason, operator)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"#,
            params![
                identifier,
                seq,
                change.at,
                current.status.to_string(),
                change.to.to_string(),
                change.op.code(),
                change.reason,
                change.operator
            ],
        )?;
        let detail = super::status_detail(current.status, &change);
        append_audit(
            &tx,
            change.at,
            change.operator,
            "set-status",
            identifier,
            &detail,
        )?;
        tx.commit()?;
        Ok(current.status)
    }

    fn licence(&self, identifier: &str) -> RegistryResult<Option<IssuedRecord>> {
        load_record(&self.conn, identifier)
    }

    fn history(&self, identifier: &str) -> RegistryResult<Vec<HistoryEntry>> {
        history_rows(&self.conn, identifier)
    }

    fn status_list(&self, list_uri: &str) -> RegistryResult<StatusList> {
        let tx = self.conn.unchecked_transaction()?;
        let capacity: Option<i64> = tx
            .query_row(
                "SELECT capacity FROM status_lists WHERE uri = ?1",
                params![list_uri],
                |r| r.get(0),
            )
            .optional()?;
        let capacity = capacity.unwrap_or(self.list_capacity as i64) as usize;
        let mut list = StatusList::new(capacity);
        let mut stmt = tx.prepare(
            "SELECT list_idx, list_value FROM licences WHERE list_uri = ?1 AND list_value != 0",
        )?;
        let rows = stmt.query_map(params![list_uri], |r| {
            Ok((r.get::<_, i64>(0)? as usize, r.get::<_, u8>(1)?))
        })?;
        for row in rows {
            let (idx, value) = row?;
            list.grow(idx + 1);
            list.set(idx, crate::licence::status_list::Status::from_bits(value))
                .map_err(|e| RegistryError::Invalid(e.to_string()))?;
        }
        drop(stmt);
        tx.finish()?;
        Ok(list)
    }

    fn audit_verify_after(&self, seq: u64, hash: [u8; 32]) -> RegistryResult<AuditCheck> {
        verify_chain(&self.conn, seq, hash)
    }

    fn put_template(
        &mut self,
        template: &Template,
        operator: &str,
        at: i64,
    ) -> RegistryResult<()> {
        let tx = self.write_transaction()?;
        tx.execute(
            "INSERT INTO templates (type_code, name, one_active_per_holder, body)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (type_code) DO UPDATE SET name = excluded.name,
                 one_active_per_holder = excluded.one_active_per_holder, body = excluded.body",
            params![
                template.type_code,
                template.name,
                template.one_active_per_holder,
                template.body
            ],
        )?;
        let detail = super::template_detail(template);
        append_audit(&tx, at, operator, "template", &template.type_code, &detail)?;
        tx.commit()?;
        Ok(())
    }

    fn template(&self, type_code: &str) -> RegistryResult<Option<Template>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE type_code = ?1"),
                params![type_code],
                read_template,
            )
            .optional()?)
    }

    fn templates(&self) -> RegistryResult<Vec<Template>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates ORDER BY type_code"
        ))?;
        let rows = stmt.query_map([], read_template)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_doc_sha256(
        &mut self,
        identifier: &str,
        sha256: &[u8; 32],
        operator: &str,
        at: i64,
    ) -> RegistryResult<()> {
        let tx = self.write_transaction()?;
        let n = tx.execute(
            "UPDATE licences SET doc_sha256 = ?2 WHERE identifier = ?1",
            params![identifier, &sha256[..]],
        )?;
        if n == 0 {
            return Err(RegistryError::NotFound(identifier.to_owned()));
        }
        append_audit(
            &tx,
            at,
            operator,
            "document",
            identifier,
            &super::document_detail(sha256),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn serial_counter(&self, type_code: &str, year: u16) -> RegistryResult<u64> {
        let last: Option<i64> = self
            .conn
            .query_row(
                "SELECT last FROM serial_counters WHERE type_code = ?1 AND year = ?2",
                params![type_code, year],
                |r| r.get(0),
            )
            .optional()?;
        Ok(last.unwrap_or(0) as u64)
    }

    fn integrity_check(&self) -> RegistryResult<Vec<String>> {
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        };
        match run() {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(Vec::new()),
            Ok(rows) => Ok(rows),
            Err(e) if super::is_damage(&e) => Ok(vec![e.to_string()]),
            Err(e) => Err(e.into()),
        }
    }

    fn audit_verify(&self) -> RegistryResult<AuditCheck> {
        self.audit_verify_after(0, AUDIT_GENESIS)
    }

    fn audit_hash_at(&self, seq: u64) -> RegistryResult<Option<[u8; 32]>> {
        if seq == 0 {
            return Ok(Some(AUDIT_GENESIS));
        }
        let stored: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT hash FROM audit_log WHERE seq = ?1",
                params![seq as i64],
                |r| r.get(0),
            )
            .optional()?;
        stored
            .map(|h| {
                <[u8; 32]>::try_from(h.as_slice()).map_err(|_| {
                    RegistryError::Invalid(format!("audit entry {seq} has a malformed hash"))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_before_migration_is_a_full_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut reg = SqliteRegistry::create(&path).unwrap();
        let serial = reg.next_serial("T001", 2026, "op").unwrap();
        let copy = backup(&reg.conn, SCHEMA_VERSION).unwrap().unwrap();
        assert!(copy.ends_with(".bak"));
        let copy = SqliteRegistry::open(&copy).unwrap();
        assert_eq!(copy.serial_counter("T001", 2026).unwrap(), 1);
        assert_eq!(serial, "20260000001");
        assert!(matches!(
            copy.audit_verify().unwrap(),
            AuditCheck::Intact { entries: 1, .. }
        ));
    }
}
