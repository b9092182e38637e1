//! [`PgRegistry`]: the [`Registry`] of one office in a PostgreSQL database that holds the
//! registries of many.
//!
//! Every guarantee of the SQLite registry holds, for writers in many processes on many
//! machines:
//!
//! - **One writer per office at a time.** Each write transaction first takes the office's
//!   transaction-scoped advisory lock (`pg_advisory_xact_lock(ESLR, office)`), the
//!   equivalent of SQLite's `BEGIN IMMEDIATE` for one office; offices do not wait for each
//!   other. Under the lock every statement (`READ COMMITTED`) sees what the previous
//!   holder committed, so the idempotency check, the holder check, the serial counter, the
//!   status-list index and the audit chain's head are current.
//! - **Serials never reused**: an allocation row per office, type and year, raised inside
//!   the issuing transaction; a trigger refuses a decrease or a delete.
//! - **Idempotency** by the primary key (office, key): two issuers racing on one key get
//!   one licence, the second a replay.
//! - **Append-only** history and audit log, enforced by triggers (also on `TRUNCATE`);
//!   one hash chain per office.
//! - **Nothing half-written**: a lost connection (a server restart,
//!   `pg_terminate_backend`) rolls the open transaction back on the server; the call fails
//!   with the database's error, the next call connects again, and a retry with the same
//!   idempotency key issues exactly once (or replays what a commit whose answer was lost
//!   stored).
//! - **Forward-only migrations** ([`schema`]), applied under a database-wide advisory
//!   lock; a database written by newer code is [`RegistryError::TooNew`].
//!
//! The triggers hold against any role. Privileges add a second wall: issuers that connect
//! as a role holding only [`PgRegistry::issuer_grants`] cannot truncate, delete, drop or
//! disable a trigger at all; the schema's owner runs the migrations.

mod connect;
mod schema;

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::{Client, Row, Statement, Transaction};

pub(crate) use connect::error_chain;
#[cfg(feature = "test-util")]
pub use connect::fuzz_url;
use connect::Target;
use schema::{MIGRATIONS, TRIGGERS};

use super::{
    AUDIT_GENESIS, Assigned, AuditCheck, AuditEntry, BatchItem, HistoryEntry, IssueRequest,
    Issued, IssuedRecord, LicenceState, NewLicence, Registry, RegistryError,
    RegistryResult, RegistryRow, StatusChange, Template, audit_hash, check_transition,
    check_issue_request,
};
use crate::licence::status_list::{STATUS_LIST_STEP, Status, StatusList};

/// The class of eseal's advisory locks (`ESLR`); the second key is the office, or 0 for
/// migrations.
const LOCK_CLASS: i32 = 0x4553_4c52;

/// The schema version this code reads and writes.
pub const PG_SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Random draws for a free status-list index before falling back to a scan.
const INDEX_DRAWS: usize = 64;

/// Audit entries read per query when the chain is recomputed.
const AUDIT_PAGE: i64 = 10_000;

/// A [`Registry`] of one office in a PostgreSQL database.
///
/// One `PgRegistry` is one connection, made again when it was lost. Many processes on
/// many machines may open the same office.
#[derive(Debug)]
pub struct PgRegistry {
    target: Target,
    office: i64,
    code: String,
    read_only: bool,
    list_capacity: u64,
    conn: RefCell<Option<Conn>>,
}

/// A connection and its prepared statements.
struct Conn {
    client: Client,
    st: Statements,
    /// Found unusable: replaced before the next call.
    stale: bool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

const RECORD_COLUMNS: &str = "identifier, type_code, serial, version, holder, metadata, token, \
     qr, salt, doc_sha256, status, list_value, list_uri, list_idx, issued_at";

const AUDIT_COLUMNS: &str = "seq, at, operator, action, subject, detail, prev_hash, hash";

/// The statements of the issuing path, prepared once per connection.
struct Statements {
    lock: Statement,
    checks: Statement,
    serial_last: Statement,
    serial_store: Statement,
    list: Statement,
    list_create: Statement,
    index_taken: Statement,
    insert_issued: Statement,
    insert_history: Statement,
    audit_last: Statement,
    insert_audit: Statement,
    record: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> RegistryResult<Statements> {
        let mut p = |sql: &str| client.prepare(sql);
        Ok(Statements {
            lock: p("SELECT pg_advisory_xact_lock($1::int4, $2::int4)")?,
            checks: p("SELECT
                 (SELECT request_sha256 FROM idempotency WHERE office = $1 AND key = $2),
                 (SELECT identifier FROM idempotency WHERE office = $1 AND key = $2),
                 (SELECT one_active_per_holder FROM templates
                  WHERE office = $1 AND type_code = $3),
                 (SELECT identifier FROM licences
                  WHERE office = $1 AND type_code = $3 AND holder = $4
                    AND status IN ('01', '02') LIMIT 1)")?,
            serial_last: p("SELECT last FROM serial_counters
                 WHERE office = $1 AND type_code = $2 AND year = $3")?,
            serial_store: p(
                "INSERT INTO serial_counters (office, type_code, year, last) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (office, type_code, year) DO UPDATE SET last = excluded.last",
            )?,
            list: p("SELECT capacity, used FROM status_lists WHERE office = $1 AND uri = $2")?,
            list_create: p("INSERT INTO status_lists (office, uri, capacity) VALUES ($1, $2, $3)
                 ON CONFLICT (office, uri) DO NOTHING")?,
            index_taken: p("SELECT EXISTS (SELECT 1 FROM licences
                 WHERE office = $1 AND list_uri = $2 AND list_idx = $3)")?,
            insert_issued: p(&format!(
                r#"WITH licence AS (
                     INSERT INTO licences (office, {RECORD_COLUMNS}) VALUES
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)),
                 history AS (
                     INSERT INTO status_history
                     (office, licence, seq, at, "from", "to", op, reason, operator)
                     VALUES ($1, $2, 1, $16, NULL, $12, '01', NULL, $17)),
                 audit AS (
                     INSERT INTO audit_log (office, {AUDIT_COLUMNS})
                     VALUES ($1, $18, $16, $17, 'issue', $2, $19, $20, $21))
                 INSERT INTO idempotency (office, key, request_sha256, identifier)
                 SELECT $1, $22, $23, $2 WHERE $22::text IS NOT NULL"#
            ))?,
            insert_history: p(
                r#"INSERT INTO status_history
                   (office, licence, seq, at, "from", "to", op, reason, operator)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
            )?,
            audit_last: p(
                "SELECT seq, hash FROM audit_log WHERE office = $1 ORDER BY seq DESC LIMIT 1",
            )?,
            insert_audit: p(&format!(
                "INSERT INTO audit_log (office, {AUDIT_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))?,
            record: p(&format!(
                "SELECT {RECORD_COLUMNS} FROM licences WHERE office = $1 AND identifier = $2"
            ))?,
        })
    }
}

/// How a registry is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Make the office's registry; refused if the database holds it already.
    Create,
    /// Open the office's existing registry, migrating the schema.
    Open,
    /// Open it for reading only (`default_transaction_read_only`), without migrating.
    ReadOnly,
}

impl PgRegistry {
    /// Makes the registry of the office `code` in the database at `url` (a
    /// `postgresql://` URL, [`connect`]), bringing the schema up to date first. An office
    /// the database already holds is refused and left alone.
    pub fn create(url: &str, code: &str) -> RegistryResult<Self> {
        Self::connect(url, code, Mode::Create)
    }

    /// Opens the registry of the office `code` in the database at `url`, bringing the
    /// schema up to date. A database that cannot be reached is
    /// [`RegistryError::Unavailable`]; one without the office is
    /// [`RegistryError::NotARegistry`]; a newer schema is [`RegistryError::TooNew`].
    pub fn open(url: &str, code: &str) -> RegistryResult<Self> {
        Self::connect(url, code, Mode::Open)
    }

    /// The SQL that gives the existing role `role` what an issuer needs and no more:
    /// reading, inserting, and updating only the rows the registry updates (a licence's
    /// status and document hash, the serial counters, the status lists' fill, templates).
    /// Without ownership the role cannot truncate, delete, alter or drop a table or disable
    /// a trigger. Run it as the schema's owner after the first `create`. A role name that is
    /// not a plain lower-case SQL identifier is [`RegistryError::Invalid`].
    pub fn issuer_grants(role: &str) -> RegistryResult<String> {
        let plain = role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(RegistryError::Invalid(format!(
                "role {role:?} is not a plain SQL identifier (a-z, 0-9, _; at most 63)"
            )));
        }
        Ok(format!(
            "GRANT USAGE ON SCHEMA eseal TO {role};
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA eseal TO {role};
GRANT UPDATE ON eseal.licences, eseal.serial_counters, eseal.status_lists, eseal.templates TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA eseal TO {role};"
        ))
    }

    /// Opens the registry of the office `code` for reading only, as `eseal licence audit`
    /// does: every transaction is read-only and the schema is not migrated.
    pub fn open_read_only(url: &str, code: &str) -> RegistryResult<Self> {
        Self::connect(url, code, Mode::ReadOnly)
    }

    fn connect(url: &str, code: &str, mode: Mode) -> RegistryResult<Self> {
        Self::connect_target(Target::parse(url)?, code, mode)
    }

    fn connect_target(target: Target, code: &str, mode: Mode) -> RegistryResult<Self> {
        let mut client = target.connect()?;
        if mode == Mode::ReadOnly {
            client.batch_execute("SET default_transaction_read_only = on")?;
            let found = schema_version(&mut client)?;
            if found > PG_SCHEMA_VERSION {
                return Err(RegistryError::TooNew {
                    found,
                    known: PG_SCHEMA_VERSION,
                });
            }
        } else {
            migrate(&mut client, &target)?;
        }
        let office = match (office_id(&mut client, code)?, mode) {
            (Some(_), Mode::Create) => {
                return Err(RegistryError::Invalid(format!(
                    "{} already holds the registry of office {code}; a registry is created \
                     only once",
                    target.shown
                )));
            }
            (Some(id), _) => id,
            (None, Mode::Create) => insert_office(&mut client, code)?,
            (None, _) => return Err(no_office(&target, code)),
        };
        let st = Statements::prepare(&mut client)?;
        Ok(PgRegistry {
            target,
            office,
            code: code.to_owned(),
            read_only: mode == Mode::ReadOnly,
            list_capacity: STATUS_LIST_STEP as u64,
            conn: RefCell::new(Some(Conn {
                client,
                st,
                stale: false,
            })),
        })
    }

    /// Sets the capacity new status lists are created with (tests; at least 1). Lists
    /// already in use keep theirs.
    pub fn with_list_capacity(mut self, capacity: u64) -> Self {
        self.list_capacity = capacity.max(1);
        self
    }

    /// The database, without its password (`postgresql://user@host:port/db`).
    pub fn database(&self) -> &str {
        &self.target.shown
    }

    /// The office code this registry belongs to.
    pub fn office_code(&self) -> &str {
        &self.code
    }

    /// The process id of the server backend serving this registry's connection
    /// (`pg_backend_pid()`), connecting first if need be.
    pub fn backend_pid(&self) -> RegistryResult<i32> {
        self.with_conn(|c| Ok(c.client.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
    }

    /// Starts copying a whole registry into the database as the office `code` (see
    /// [`PgImport`]); the office must not be there yet.
    pub fn import(url: &str, code: &str) -> RegistryResult<PgImport> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        migrate(&mut client, &target)?;
        client.batch_execute("BEGIN")?;
        client.execute("SELECT pg_advisory_xact_lock($1::int4, 0)", &[&LOCK_CLASS])?;
        if office_id(&mut client, code)?.is_some() {
            return Err(RegistryError::Invalid(format!(
                "{} already holds the registry of office {code}; it is moved only once",
                target.shown
            )));
        }
        let office = insert_office(&mut client, code)?;
        Ok(PgImport {
            client,
            target,
            office,
            code: code.to_owned(),
            committed: false,
        })
    }

    /// Runs `work` on the connection, connecting again first if it was lost; a failure
    /// that closed the connection drops it, so the next call starts afresh.
    fn with_conn<T>(&self, work: impl FnOnce(&mut Conn) -> RegistryResult<T>) -> RegistryResult<T> {
        let mut slot = self.conn.borrow_mut();
        if slot.as_ref().is_none_or(|c| c.stale || c.client.is_closed()) {
            *slot = None;
            let mut client = self.target.connect()?;
            if self.read_only {
                client.batch_execute("SET default_transaction_read_only = on")?;
            }
            let st = Statements::prepare(&mut client)?;
            *slot = Some(Conn {
                client,
                st,
                stale: false,
            });
        }
        let conn = slot.as_mut().expect("connected above");
        let result = work(conn);
        let gone = matches!(&result, Err(RegistryError::Postgres(e)) if is_gone(e));
        if gone || conn.stale || conn.client.is_closed() {
            *slot = None;
        }
        result
    }

    /// Runs `work` in a transaction that holds the office's lock, writes what it left
    /// pending ([`Writer::flush`]), then commits.
    fn write<T>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>, &mut Writer<'_>) -> RegistryResult<T>,
    ) -> RegistryResult<T> {
        let (office, list_capacity) = (self.office, self.list_capacity);
        self.transaction(false, |tx, st| {
            tx.execute(&st.lock, &[&LOCK_CLASS, &(office as i32)])?;
            let mut writer = Writer {
                st,
                office,
                list_capacity,
                counters: HashMap::new(),
                lists: HashMap::new(),
                audit_head: None,
            };
            let out = work(tx, &mut writer)?;
            writer.flush(tx)?;
            Ok(out)
        })
    }

    /// Runs `work` in one read-only `REPEATABLE READ` transaction (one snapshot).
    fn read<T>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>, &Statements, i64) -> RegistryResult<T>,
    ) -> RegistryResult<T> {
        let office = self.office;
        self.transaction(true, |tx, st| work(tx, st, office))
    }

    /// Runs `work` in a transaction, then commits. A connection found dead when the
    /// transaction begins (the server restarted since the last call) is replaced once,
    /// transparently: nothing had been sent.
    fn transaction<T>(
        &self,
        read_only: bool,
        work: impl FnOnce(&mut Transaction<'_>, &Statements) -> RegistryResult<T>,
    ) -> RegistryResult<T> {
        let mut work = Some(work);
        for attempt in 0..2 {
            let done = self.with_conn(|Conn { client, st, stale }| {
                let begun = if read_only {
                    client
                        .build_transaction()
                        .isolation_level(postgres::IsolationLevel::RepeatableRead)
                        .read_only(true)
                        .start()
                } else {
                    client.transaction()
                };
                let mut tx = match begun {
                    Ok(tx) => tx,
                    Err(e) if attempt == 0 && is_gone(&e) => {
                        *stale = true;
                        return Ok(None);
                    }
                    Err(e) => return Err(e.into()),
                };
                let work = work.take().expect("runs once");
                let out = work(&mut tx, st)?;
                tx.commit()?;
                Ok(Some(out))
            })?;
            if let Some(out) = done {
                return Ok(out);
            }
        }
        unreachable!("the second attempt returns")
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> RegistryResult<u32> {
        self.with_conn(|c| schema_version(&mut c.client))
    }
}

/// A registry being copied into the database in one transaction
/// ([`PgRegistry::import`]): rows go in as they were (the audit log with its hashes), in
/// the order of [`super::SqliteRegistry::export`]; [`PgImport::finish`] recomputes the
/// audit chain in the database and commits only if it comes out as expected. Dropped
/// unfinished, nothing is stored.
pub struct PgImport {
    client: Client,
    target: Target,
    office: i64,
    code: String,
    committed: bool,
}

impl PgImport {
    /// Stores one row.
    pub fn row(&mut self, row: RegistryRow) -> RegistryResult<()> {
        import_row(&mut self.client, self.office, row)
    }

    /// Recomputes the copied audit chain in the database; commits if it is `expected`,
    /// and stores nothing otherwise. Returns the office's registry.
    pub fn finish(mut self, expected: &AuditCheck) -> RegistryResult<PgRegistry> {
        self.client.execute(
            "UPDATE status_lists SET used = (SELECT count(*) FROM licences
                 WHERE licences.office = status_lists.office AND list_uri = uri)
             WHERE office = $1",
            &[&self.office],
        )?;
        let found = verify_chain(&mut self.client, self.office, 0, AUDIT_GENESIS)?;
        if &found != expected {
            return Err(RegistryError::Invalid(format!(
                "the copied audit log reads {found:?} in the database, not {expected:?}; \
                 nothing was stored"
            )));
        }
        self.client.batch_execute("COMMIT")?;
        self.committed = true;
        PgRegistry::connect_target(self.target.clone(), &self.code, Mode::Open)
    }
}

impl Drop for PgImport {
    fn drop(&mut self) {
        if !self.committed && !self.client.is_closed() {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

/// Whether `e` says the connection is gone: closed, or ended by the server (shut down,
/// restarted, `pg_terminate_backend`).
pub(crate) fn is_gone(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.is_closed()
        || e.code().is_some_and(|code| {
            [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code)
        })
}

/// Unix seconds now.
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn no_office(target: &Target, code: &str) -> RegistryError {
    RegistryError::NotARegistry {
        path: format!("{} (office {code})", target.shown).into(),
        problem: super::NO_OFFICE.into(),
    }
}

/// The schema version of the database: 0 without the schema `eseal`.
fn schema_version(client: &mut impl postgres::GenericClient) -> RegistryResult<u32> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('eseal.registry_schema') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: i64 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM eseal.registry_schema",
            &[],
        )?
        .get(0);
    Ok(version as u32)
}

/// Applies the pending migrations in one transaction under the database-wide migration
/// lock; refuses a newer database and a schema `eseal` that is not a registry.
fn migrate(client: &mut Client, target: &Target) -> RegistryResult<()> {
    if schema_version(client)? == PG_SCHEMA_VERSION {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1::int4, 0)", &[&LOCK_CLASS])?;
    let found = schema_version(&mut tx)?;
    if found > PG_SCHEMA_VERSION {
        return Err(RegistryError::TooNew {
            found,
            known: PG_SCHEMA_VERSION,
        });
    }
    if found == 0 {
        let foreign: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'eseal')",
                &[],
            )?
            .get(0);
        if foreign {
            return Err(RegistryError::NotARegistry {
                path: target.shown.clone().into(),
                problem: "has a schema `eseal` that is not an eseal registry".into(),
            });
        }
        tx.batch_execute(
            "CREATE SCHEMA eseal;
             CREATE TABLE eseal.registry_schema (
                 version     bigint PRIMARY KEY CHECK (version >= 1),
                 applied_at  timestamptz NOT NULL DEFAULT now()
             );",
        )?;
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO eseal.registry_schema (version) VALUES ($1)",
            &[&(i as i64 + 1)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Adds the office `code` to the database; its id.
fn insert_office(client: &mut Client, code: &str) -> RegistryResult<i64> {
    Ok(client
        .query_one(
            "INSERT INTO offices (code, created_at) VALUES ($1, $2) RETURNING id",
            &[&code, &now()],
        )?
        .get(0))
}

fn office_id(client: &mut Client, code: &str) -> RegistryResult<Option<i64>> {
    Ok(client
        .query_opt("SELECT id FROM offices WHERE code = $1", &[&code])?
        .map(|r| r.get(0)))
}

/// Stores one row of an imported registry.
fn import_row(tx: &mut Client, office: i64, row: RegistryRow) -> RegistryResult<()> {
    match row {
        RegistryRow::StatusList { uri, capacity } => {
            tx.execute(
                "INSERT INTO status_lists (office, uri, capacity) VALUES ($1, $2, $3)",
                &[&office, &uri, &(capacity as i64)],
            )?;
        }
        RegistryRow::SerialCounter {
            type_code,
            year,
            last,
        } => {
            tx.execute(
                "INSERT INTO serial_counters (office, type_code, year, last)
                 VALUES ($1, $2, $3, $4)",
                &[&office, &type_code, &i64::from(year), &(last as i64)],
            )?;
        }
        RegistryRow::Template(t) => {
            tx.execute(
                "INSERT INTO templates (office, type_code, name, one_active_per_holder, body)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &office,
                    &t.type_code,
                    &t.name,
                    &t.one_active_per_holder,
                    &t.body,
                ],
            )?;
        }
        RegistryRow::Licence(r) => {
            tx.execute(
                &format!(
                    "INSERT INTO licences (office, {RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, \
                     $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
                ),
                &[
                    &office,
                    &r.identifier,
                    &r.type_code,
                    &r.serial,
                    &i64::from(r.version),
                    &r.holder,
                    &r.metadata,
                    &r.token,
                    &r.qr,
                    &r.salt,
                    &r.doc_sha256,
                    &r.status.code(),
                    &i64::from(r.status.list_status().value()),
                    &r.list_uri,
                    &(r.list_idx as i64),
                    &r.issued_at,
                ],
            )?;
        }
        RegistryRow::History { licence, entry } => {
            tx.execute(
                r#"INSERT INTO status_history
                   (office, licence, seq, at, "from", "to", op, reason, operator)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
                &[
                    &office,
                    &licence,
                    &(entry.seq as i64),
                    &entry.at,
                    &entry.from,
                    &entry.to,
                    &entry.op,
                    &entry.reason,
                    &entry.operator,
                ],
            )?;
        }
        RegistryRow::Audit(e) => {
            tx.execute(
                &format!(
                    "INSERT INTO audit_log (office, {AUDIT_COLUMNS})
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ),
                &[
                    &office,
                    &(e.seq as i64),
                    &e.at,
                    &e.operator,
                    &e.action,
                    &e.subject,
                    &e.detail,
                    &&e.prev_hash[..],
                    &&e.hash[..],
                ],
            )?;
        }
        RegistryRow::Idempotency {
            key,
            request_sha256,
            identifier,
        } => {
            tx.execute(
                "INSERT INTO idempotency (office, key, request_sha256, identifier)
                 VALUES ($1, $2, $3, $4)",
                &[&office, &key, &&request_sha256[..], &identifier],
            )?;
        }
    }
    Ok(())
}

/// Recomputes the office's audit chain after entry `seq` (hash `hash`), a page at a time.
fn verify_chain(
    client: &mut impl postgres::GenericClient,
    office: i64,
    seq: u64,
    hash: [u8; 32],
) -> RegistryResult<AuditCheck> {
    let page = client.prepare(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE office = $1 AND seq > $2
         ORDER BY seq LIMIT $3"
    ))?;
    let mut prev = hash;
    let mut expected = seq + 1;
    loop {
        let rows = client.query(&page, &[&office, &(expected as i64 - 1), &AUDIT_PAGE])?;
        for r in &rows {
            let entry = read_audit(r)?;
            if entry.seq != expected {
                return Ok(AuditCheck::Broken { seq: expected });
            }
            let hash = audit_hash(
                &prev,
                entry.seq,
                entry.at,
                &entry.operator,
                &entry.action,
                &entry.subject,
                &entry.detail,
            );
            if entry.prev_hash != prev || entry.hash != hash {
                return Ok(AuditCheck::Broken { seq: entry.seq });
            }
            prev = hash;
            expected += 1;
        }
        if (rows.len() as i64) < AUDIT_PAGE {
            return Ok(AuditCheck::Intact {
                entries: expected - 1,
                head: prev,
            });
        }
    }
}

fn hash32(bytes: &[u8], what: &str) -> RegistryResult<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| RegistryError::Invalid(format!("{what} is not 32 bytes")))
}

fn read_audit(r: &Row) -> RegistryResult<AuditEntry> {
    let seq = r.get::<_, i64>(0) as u64;
    Ok(AuditEntry {
        seq,
        at: r.get(1),
        operator: r.get(2),
        action: r.get(3),
        subject: r.get(4),
        detail: r.get(5),
        prev_hash: hash32(r.get(6), "an audit entry's prev_hash")?,
        hash: hash32(r.get(7), "an audit entry's hash")?,
    })
}

fn read_record(r: &Row) -> RegistryResult<IssuedRecord> {
    let code: String = r.get(10);
    let value: i64 = r.get(11);
    let status = LicenceState::from_code(&code, value as u8)
        .ok_or_else(|| RegistryError::Invalid(format!("unknown status code {code:?}")))?;
    Ok(IssuedRecord {
        identifier: r.get(0),
        type_code: r.get(1),
        serial: r.get(2),
        version: r.get::<_, i64>(3) as u16,
        holder: r.get(4),
        metadata: r.get(5),
        token: r.get(6),
        qr: r.get(7),
        salt: r.get(8),
        doc_sha256: r.get(9),
        status,
        list_uri: r.get(12),
        list_idx: r.get::<_, i64>(13) as u64,
        issued_at: r.get(14),
    })
}

fn load_record(
    tx: &mut Transaction<'_>,
    st: &Statements,
    office: i64,
    identifier: &str,
) -> RegistryResult<Option<IssuedRecord>> {
    tx.query_opt(&st.record, &[&office, &identifier])?
        .map(|r| read_record(&r))
        .transpose()
}

/// A write transaction's view of the office: the statements, and what it has taken but
/// not written yet. Serial counters and status-list counts are kept here and written
/// once before COMMIT ([`Writer::flush`]): a row updated for every licence of a batch
/// would leave hundreds of versions of itself for every later statement to step over.
struct Writer<'s> {
    st: &'s Statements,
    office: i64,
    /// The capacity new status lists get.
    list_capacity: u64,
    /// The last serial counter value taken, by type and year.
    counters: HashMap<(String, u16), i64>,
    /// The capacity and used count of each status list touched.
    lists: HashMap<String, (u64, u64)>,
    /// The audit chain's last entry and hash.
    audit_head: Option<(u64, [u8; 32])>,
}

impl Writer<'_> {
    /// Appends one audit entry to the office's chain.
    fn append_audit(
        &mut self,
        tx: &mut Transaction<'_>,
        entry: (i64, &str, &str, &str, &str),
    ) -> RegistryResult<()> {
        let (at, operator, action, subject, detail) = entry;
        let (seq, prev, hash) = self.next_audit(tx, entry)?;
        tx.execute(
            &self.st.insert_audit,
            &[
                &self.office,
                &(seq as i64),
                &at,
                &operator,
                &action,
                &subject,
                &detail,
                &&prev[..],
                &&hash[..],
            ],
        )?;
        Ok(())
    }

    /// The `seq`, `prev_hash` and hash of the next audit entry, which the caller writes
    /// in this transaction (any failure to write it fails the transaction).
    fn next_audit(
        &mut self,
        tx: &mut Transaction<'_>,
        entry: (i64, &str, &str, &str, &str),
    ) -> RegistryResult<(u64, [u8; 32], [u8; 32])> {
        let (at, operator, action, subject, detail) = entry;
        let (last, prev) = match self.audit_head {
            Some(head) => head,
            None => match tx.query_opt(&self.st.audit_last, &[&self.office])? {
                None => (0, AUDIT_GENESIS),
                Some(r) => (
                    r.get::<_, i64>(0) as u64,
                    hash32(r.get(1), "the last audit entry's hash")?,
                ),
            },
        };
        let seq = last + 1;
        let hash = audit_hash(&prev, seq, at, operator, action, subject, detail);
        self.audit_head = Some((seq, hash));
        Ok((seq, prev, hash))
    }

    /// The next serial of `type_code` in `year`: its counter value and the serial;
    /// [`Writer::take_serial`] takes it.
    fn next_serial(
        &self,
        tx: &mut Transaction<'_>,
        type_code: &str,
        year: u16,
    ) -> RegistryResult<(i64, String)> {
        if !(1000..=9999).contains(&year) {
            return Err(RegistryError::Invalid(format!("year {year} is not YYYY")));
        }
        if type_code.is_empty() {
            return Err(RegistryError::Invalid("empty type code".into()));
        }
        let last = match self.counters.get(&(type_code.to_owned(), year)) {
            Some(last) => *last,
            None => tx
                .query_opt(
                    &self.st.serial_last,
                    &[&self.office, &type_code, &i64::from(year)],
                )?
                .map_or(0, |r| r.get(0)),
        };
        let next = last + 1;
        if next > 9_999_999 {
            return Err(RegistryError::SerialsExhausted {
                type_code: type_code.to_owned(),
                year,
            });
        }
        Ok((next, format!("{year:04}{next:07}")))
    }

    /// Takes counter value `value` of `type_code` in `year`.
    fn take_serial(&mut self, type_code: &str, year: u16, value: i64) {
        self.counters.insert((type_code.to_owned(), year), value);
    }

    /// The capacity and used count of the list `list_uri` (`list_capacity` and 0 for a
    /// list not created yet).
    fn list(&self, tx: &mut Transaction<'_>, list_uri: &str) -> RegistryResult<(u64, u64)> {
        if let Some(list) = self.lists.get(list_uri) {
            return Ok(*list);
        }
        Ok(tx
            .query_opt(&self.st.list, &[&self.office, &list_uri])?
            .map_or((self.list_capacity, 0), |r| {
                (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64)
            }))
    }

    /// A random free index of the list `list_uri` (reads only).
    fn free_index(&self, tx: &mut Transaction<'_>, list_uri: &str) -> RegistryResult<u64> {
        if list_uri.is_empty() {
            return Err(RegistryError::Invalid("empty status list URI".into()));
        }
        let (capacity, used) = self.list(tx, list_uri)?;
        if used >= capacity {
            return Err(RegistryError::StatusListFull(list_uri.to_owned()));
        }
        let office = self.office;
        for _ in 0..INDEX_DRAWS {
            let idx = super::random_below(capacity)?;
            let taken: bool = tx
                .query_one(&self.st.index_taken, &[&office, &list_uri, &(idx as i64)])?
                .get(0);
            if !taken {
                return Ok(idx);
            }
        }
        let mut used_idx: Vec<u64> = tx
            .query(
                "SELECT list_idx FROM licences WHERE office = $1 AND list_uri = $2",
                &[&office, &list_uri],
            )?
            .iter()
            .map(|r| r.get::<_, i64>(0) as u64)
            .collect();
        used_idx.sort_unstable();
        let start = super::random_below(capacity)?;
        (0..capacity)
            .map(|k| (start + k) % capacity)
            .find(|i| used_idx.binary_search(i).is_err())
            .ok_or_else(|| RegistryError::StatusListFull(list_uri.to_owned()))
    }

    /// Counts one more index of `list_uri` as used, creating the list first if new (a
    /// licence refers to it).
    fn use_index(&mut self, tx: &mut Transaction<'_>, list_uri: &str) -> RegistryResult<()> {
        let (capacity, used) = self.list(tx, list_uri)?;
        if used == 0 && !self.lists.contains_key(list_uri) {
            tx.execute(
                &self.st.list_create,
                &[&self.office, &list_uri, &(capacity as i64)],
            )?;
        }
        self.lists.insert(list_uri.to_owned(), (capacity, used + 1));
        Ok(())
    }

    /// Writes the serial counters and list counts taken.
    fn flush(&mut self, tx: &mut Transaction<'_>) -> RegistryResult<()> {
        for ((type_code, year), last) in self.counters.drain() {
            tx.execute(
                &self.st.serial_store,
                &[&self.office, &type_code, &i64::from(year), &last],
            )?;
        }
        for (uri, (_, used)) in self.lists.drain() {
            tx.execute(
                "UPDATE status_lists SET used = $3 WHERE office = $1 AND uri = $2",
                &[&self.office, &uri, &(used as i64)],
            )?;
        }
        Ok(())
    }
}

/// One issuance inside a transaction that holds the office's lock (see
/// [`Registry::issue`]); the caller commits.
///
/// The outer error fails the transaction; the inner one refuses the item alone.
///
/// Every check that can refuse the item (the request, its key, the holder, the serial,
/// the status list, `build`) runs before the first write, so a refused item leaves
/// nothing behind without a savepoint: a batch is one transaction with no
/// subtransactions (past 64 of them PostgreSQL's snapshots slow down for everyone).
fn issue_within(
    tx: &mut Transaction<'_>,
    w: &mut Writer<'_>,
    request: &IssueRequest,
    build: &mut dyn FnMut(&Assigned) -> crate::Result<NewLicence>,
    idempotency_key: Option<&str>,
    operator: &str,
) -> RegistryResult<RegistryResult<Issued>> {
    match prepare_item(tx, w, request, build, idempotency_key) {
        Ok(Prepared::Replay(issued)) => Ok(Ok(issued)),
        Ok(Prepared::New(item)) => {
            store_item(tx, w, request, item, idempotency_key, operator).map(Ok)
        }
        Err(RegistryError::Postgres(e)) => Err(RegistryError::Postgres(e)),
        Err(refused) => Ok(Err(refused)),
    }
}

/// What [`prepare_item`] found: a replay, or a signed licence ready to store.
enum Prepared {
    Replay(Issued),
    New(NewItem),
}

/// A signed licence and what the registry assigned it, not stored yet.
struct NewItem {
    counter: i64,
    serial: String,
    list_idx: u64,
    request_sha: [u8; 32],
    new: NewLicence,
}

/// The reads and checks of an issuance, and `build`: nothing is written.
fn prepare_item(
    tx: &mut Transaction<'_>,
    w: &Writer<'_>,
    request: &IssueRequest,
    build: &mut dyn FnMut(&Assigned) -> crate::Result<NewLicence>,
    idempotency_key: Option<&str>,
) -> RegistryResult<Prepared> {
    let (st, office) = (w.st, w.office);
    check_issue_request(request, idempotency_key)?;
    let request_sha = request.sha256();
    let checks = tx.query_one(
        &st.checks,
        &[&office, &idempotency_key, &request.type_code, &request.holder],
    )?;
    let (seen_sha, seen_id): (Option<Vec<u8>>, Option<String>) = (checks.get(0), checks.get(1));
    if let (Some(key), Some(sha), Some(identifier)) = (idempotency_key, seen_sha, seen_id) {
        if sha != request_sha {
            return Err(RegistryError::IdempotencyConflict {
                key: key.to_owned(),
            });
        }
        let record = load_record(tx, st, office, &identifier)?
            .ok_or_else(|| RegistryError::NotFound(identifier.clone()))?;
        return Ok(Prepared::Replay(Issued {
            record,
            replayed: true,
        }));
    }
    let template_check: Option<bool> = checks.get(2);
    if request.one_active_per_holder
        && template_check.unwrap_or(true)
        && let Some(existing) = checks.get::<_, Option<String>>(3)
    {
        return Err(RegistryError::DuplicateActiveLicence { existing });
    }
    let (counter, serial) = w.next_serial(tx, &request.type_code, request.year)?;
    let list_idx = w.free_index(tx, &request.list_uri)?;
    let assigned = Assigned {
        serial: serial.clone(),
        list_uri: request.list_uri.clone(),
        list_idx,
    };
    let new = build(&assigned).map_err(RegistryError::Build)?;
    if new.identifier.is_empty() {
        return Err(RegistryError::Invalid("empty licence identifier".into()));
    }
    Ok(Prepared::New(NewItem {
        counter,
        serial,
        list_idx,
        request_sha,
        new,
    }))
}

/// The writes of an issuance: serial and list counts (kept until the transaction ends),
/// then the licence, its history, its audit entry and its idempotency key in one
/// statement.
fn store_item(
    tx: &mut Transaction<'_>,
    w: &mut Writer<'_>,
    request: &IssueRequest,
    item: NewItem,
    idempotency_key: Option<&str>,
    operator: &str,
) -> RegistryResult<Issued> {
    let (st, office) = (w.st, w.office);
    let NewItem {
        counter,
        serial,
        list_idx,
        request_sha,
        new,
    } = item;
    w.take_serial(&request.type_code, request.year, counter);
    w.use_index(tx, &request.list_uri)?;
    let state = LicenceState::Valid;
    let record = IssuedRecord {
        identifier: new.identifier,
        type_code: request.type_code.clone(),
        serial,
        version: request.version,
        holder: request.holder.clone(),
        metadata: new.metadata,
        token: new.token,
        qr: new.qr,
        salt: new.salt,
        doc_sha256: None,
        status: state,
        list_uri: request.list_uri.clone(),
        list_idx,
        issued_at: request.at,
    };
    let detail = super::issue_detail(request, &record.serial, list_idx, &request_sha);
    let (seq, prev, hash) = w.next_audit(
        tx,
        (request.at, operator, "issue", &record.identifier, &detail),
    )?;
    let request_sha = idempotency_key.map(|_| &request_sha[..]);
    tx.execute(
        &st.insert_issued,
        &[
            &office,
            &record.identifier,
            &record.type_code,
            &record.serial,
            &i64::from(record.version),
            &record.holder,
            &record.metadata,
            &record.token,
            &record.qr,
            &record.salt,
            &record.doc_sha256,
            &state.code(),
            &i64::from(state.list_status().value()),
            &record.list_uri,
            &(list_idx as i64),
            &record.issued_at,
            &operator,
            &(seq as i64),
            &detail,
            &&prev[..],
            &&hash[..],
            &idempotency_key,
            &request_sha,
        ],
    )?;
    Ok(Issued {
        record,
        replayed: false,
    })
}

impl Registry for PgRegistry {
    fn next_serial(
        &mut self,
        type_code: &str,
        year: u16,
        operator: &str,
    ) -> RegistryResult<String> {
        self.write(|tx, w| {
            let (counter, serial) = w.next_serial(tx, type_code, year)?;
            w.take_serial(type_code, year, counter);
            w.append_audit(tx, (now(), operator, "reserve-serial", type_code, &serial))?;
            Ok(serial)
        })
    }

    fn issue(
        &mut self,
        request: &IssueRequest,
        build: &mut dyn FnMut(&Assigned) -> crate::Result<NewLicence>,
        idempotency_key: Option<&str>,
        operator: &str,
    ) -> RegistryResult<Issued> {
        self.write(|tx, w| issue_within(tx, w, request, build, idempotency_key, operator)?)
    }

    fn issue_batch(
        &mut self,
        items: &[BatchItem<'_>],
        build: &mut dyn FnMut(usize, &Assigned) -> crate::Result<NewLicence>,
        operator: &str,
    ) -> RegistryResult<Vec<RegistryResult<Issued>>> {
        self.write(|tx, w| {
            let mut results = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let result = issue_within(
                    tx,
                    w,
                    item.request,
                    &mut |assigned| build(i, assigned),
                    item.idempotency_key,
                    operator,
                )?;
                results.push(result);
            }
            Ok(results)
        })
    }

    fn set_status(
        &mut self,
        identifier: &str,
        change: StatusChange<'_>,
    ) -> RegistryResult<LicenceState> {
        self.write(|tx, w| {
            let (st, office) = (w.st, w.office);
            let current = load_record(tx, st, office, identifier)?
                .ok_or_else(|| RegistryError::NotFound(identifier.to_owned()))?;
            check_transition(current.status, change.to, change.op, change.reason)?;
            tx.execute(
                "UPDATE licences SET status = $3, list_value = $4
                 WHERE office = $1 AND identifier = $2",
                &[
                    &office,
                    &identifier,
                    &change.to.code(),
                    &i64::from(change.to.list_status().value()),
                ],
            )?;
            let seq: i64 = tx
                .query_one(
                    "SELECT coalesce(max(seq), 0) + 1 FROM status_history
                     WHERE office = $1 AND licence = $2",
                    &[&office, &identifier],
                )?
                .get(0);
            tx.execute(
                &st.insert_history,
                &[
                    &office,
                    &identifier,
                    &seq,
                    &change.at,
                    &Some(current.status.to_string()),
                    &change.to.to_string(),
                    &change.op.code(),
                    &change.reason,
                    &change.operator,
                ],
            )?;
            let detail = super::status_detail(current.status, &change);
            w.append_audit(
                tx,
                (change.at, change.operator, "set-status", identifier, &detail),
            )?;
            Ok(current.status)
        })
    }

    fn licence(&self, identifier: &str) -> RegistryResult<Option<IssuedRecord>> {
        self.read(|tx, st, office| load_record(tx, st, office, identifier))
    }

    fn history(&self, identifier: &str) -> RegistryResult<Vec<HistoryEntry>> {
        self.read(|tx, _, office| {
            tx.query(
                r#"SELECT seq, at, "from", "to", op, reason, operator FROM status_history
                   WHERE office = $1 AND licence = $2 ORDER BY seq"#,
                &[&office, &identifier],
            )?
            .iter()
            .map(|r| {
                Ok(HistoryEntry {
                    seq: r.get::<_, i64>(0) as u64,
                    at: r.get(1),
                    from: r.get(2),
                    to: r.get(3),
                    op: r.get(4),
                    reason: r.get(5),
                    operator: r.get(6),
                })
            })
            .collect()
        })
    }

    fn status_list(&self, list_uri: &str) -> RegistryResult<StatusList> {
        let default_capacity = self.list_capacity as i64;
        self.read(|tx, _, office| {
            let capacity: i64 = tx
                .query_opt(
                    "SELECT capacity FROM status_lists WHERE office = $1 AND uri = $2",
                    &[&office, &list_uri],
                )?
                .map_or(default_capacity, |r| r.get(0));
            let mut list = StatusList::new(capacity as usize);
            for r in tx.query(
                "SELECT list_idx, list_value FROM licences
                 WHERE office = $1 AND list_uri = $2 AND list_value != 0",
                &[&office, &list_uri],
            )? {
                let idx = r.get::<_, i64>(0) as usize;
                list.grow(idx + 1);
                list.set(idx, Status::from_bits(r.get::<_, i64>(1) as u8))
                    .map_err(|e| RegistryError::Invalid(e.to_string()))?;
            }
            Ok(list)
        })
    }

    fn audit_verify(&self) -> RegistryResult<AuditCheck> {
        self.audit_verify_after(0, AUDIT_GENESIS)
    }

    fn audit_verify_after(&self, seq: u64, hash: [u8; 32]) -> RegistryResult<AuditCheck> {
        self.read(|tx, _, office| verify_chain(tx, office, seq, hash))
    }

    fn audit_hash_at(&self, seq: u64) -> RegistryResult<Option<[u8; 32]>> {
        if seq == 0 {
            return Ok(Some(AUDIT_GENESIS));
        }
        self.read(|tx, _, office| {
            tx.query_opt(
                "SELECT hash FROM audit_log WHERE office = $1 AND seq = $2",
                &[&office, &(seq as i64)],
            )?
            .map(|r| hash32(r.get(0), "an audit entry's hash"))
            .transpose()
        })
    }

    fn put_template(
        &mut self,
        template: &Template,
        operator: &str,
        at: i64,
    ) -> RegistryResult<()> {
        self.write(|tx, w| {
            let office = w.office;
            tx.execute(
                "INSERT INTO templates (office, type_code, name, one_active_per_holder, body)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (office, type_code) DO UPDATE SET name = excluded.name,
                     one_active_per_holder = excluded.one_active_per_holder,
                     body = excluded.body",
                &[
                    &office,
                    &template.type_code,
                    &template.name,
                    &template.one_active_per_holder,
                    &template.body,
                ],
            )?;
            let detail = super::template_detail(template);
            w.append_audit(
                tx,
                (at, operator, "template", &template.type_code, &detail),
            )
        })
    }

    fn template(&self, type_code: &str) -> RegistryResult<Option<Template>> {
        self.read(|tx, _, office| {
            Ok(tx
                .query_opt(
                    "SELECT type_code, name, one_active_per_holder, body FROM templates
                     WHERE office = $1 AND type_code = $2",
                    &[&office, &type_code],
                )?
                .map(|r| read_template(&r)))
        })
    }

    fn templates(&self) -> RegistryResult<Vec<Template>> {
        self.read(|tx, _, office| {
            Ok(tx
                .query(
                    "SELECT type_code, name, one_active_per_holder, body FROM templates
                     WHERE office = $1 ORDER BY type_code",
                    &[&office],
                )?
                .iter()
                .map(read_template)
                .collect())
        })
    }

    fn set_doc_sha256(
        &mut self,
        identifier: &str,
        sha256: &[u8; 32],
        operator: &str,
        at: i64,
    ) -> RegistryResult<()> {
        self.write(|tx, w| {
            let office = w.office;
            let n = tx.execute(
                "UPDATE licences SET doc_sha256 = $3 WHERE office = $1 AND identifier = $2",
                &[&office, &identifier, &&sha256[..]],
            )?;
            if n == 0 {
                return Err(RegistryError::NotFound(identifier.to_owned()));
            }
            let detail = super::document_detail(sha256);
            w.append_audit(
                tx,
                (at, operator, "document", identifier, &detail),
            )
        })
    }

    fn serial_counter(&self, type_code: &str, year: u16) -> RegistryResult<u64> {
        self.read(|tx, _, office| {
            Ok(tx
                .query_opt(
                    "SELECT last FROM serial_counters
                     WHERE office = $1 AND type_code = $2 AND year = $3",
                    &[&office, &type_code, &i64::from(year)],
                )?
                .map_or(0, |r| r.get::<_, i64>(0) as u64))
        })
    }

    /// The triggers that keep the registry append-only, each one missing or disabled
    /// named; the database's own storage is PostgreSQL's to check (`pg_amcheck`).
    fn integrity_check(&self) -> RegistryResult<Vec<String>> {
        self.read(|tx, _, _| {
            let present: Vec<String> = tx
                .query(
                    "SELECT t.tgname FROM pg_trigger t
                     JOIN pg_class c ON c.oid = t.tgrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'eseal' AND NOT t.tgisinternal AND t.tgenabled <> 'D'",
                    &[],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            Ok(TRIGGERS
                .iter()
                .filter(|name| !present.iter().any(|p| p == *name))
                .map(|name| {
                    format!(
                        "trigger {name} is missing or disabled: the database no longer refuses \
                         what it guards"
                    )
                })
                .collect())
        })
    }
}

fn read_template(r: &Row) -> Template {
    Template {
        type_code: r.get(0),
        name: r.get(1),
        one_active_per_holder: r.get(2),
        body: r.get(3),
    }
}
