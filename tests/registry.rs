//! The issuing office registry (LICENCE.md §7) on real SQLite files and, for every
//! behaviour both backends share, on a real PostgreSQL server (tests/common/postgres.rs).

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use eseal::licence::status_list::{STATUS_LIST_STEP, Status};
use eseal::registry::{
    Assigned, AuditCheck, BatchItem, IssueRequest, Issued, LicenceState, NewLicence, OpCode,
    PgRegistry, Registry, RegistryError, SCHEMA_VERSION, SqliteRegistry, StatusChange, Template,
    check_transition,
};
use rusqlite::{Connection, ErrorCode};

const TYPE: &str = "11100000000013338W001";
const OTHER_TYPE: &str = "11100000000013338W002";
const LIST: &str = "https://sl.example.gov.cn/lists/1";
const AT: i64 = 1_767_231_000;
const OPERATOR: &str = "张三";

/// The env var that turns `crash_helper` into the issuing child of `crash_safety`.
const CRASH_DB_ENV: &str = "ESEAL_REGISTRY_CRASH_DB";

fn request(type_code: &str, holder: &str) -> IssueRequest {
    IssueRequest {
        type_code: type_code.to_owned(),
        year: 2026,
        version: 1,
        holder: holder.to_owned(),
        list_uri: LIST.to_owned(),
        payload: format!("{{\"holder\":\"{holder}\"}}").into_bytes(),
        one_active_per_holder: true,
        at: AT,
    }
}

fn build(type_code: &str) -> impl FnMut(&Assigned) -> eseal::Result<NewLicence> {
    let type_code = type_code.to_owned();
    move |a: &Assigned| {
        Ok(NewLicence {
            identifier: format!("{type_code}-{}-001", a.serial),
            metadata: format!("{{\"serial\":\"{}\"}}", a.serial).into_bytes(),
            token: format!("token:{}:{}", a.serial, a.list_idx).into_bytes(),
            qr: format!("HC1:{}", a.serial),
            salt: vec![7; 16],
        })
    }
}

fn issue(reg: &mut dyn Registry, type_code: &str, holder: &str) -> Issued {
    reg.issue(
        &request(type_code, holder),
        &mut build(type_code),
        None,
        OPERATOR,
    )
    .unwrap()
}

fn change(to: LicenceState, op: OpCode, reason: Option<&str>) -> StatusChange<'_> {
    StatusChange {
        to,
        op,
        reason,
        operator: OPERATOR,
        at: AT + 100,
    }
}

/// A new registry in `dir`.
fn create(dir: &Path) -> SqliteRegistry {
    SqliteRegistry::create(dir.join("registry.db")).unwrap()
}

/// The registry in `dir`, opened again.
fn open(dir: &Path) -> SqliteRegistry {
    SqliteRegistry::open(dir.join("registry.db")).unwrap()
}

/// The office whose registry the PostgreSQL tests keep.
const OFFICE: &str = "11100000000013338W";

/// The registry's backends; the tests named in `on_both_backends!` run on each.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Where one test's registry lives: a file in a folder of its own, or a database of its
/// own on the test server.
#[derive(Clone)]
enum Store {
    File(std::sync::Arc<tempfile::TempDir>),
    Database(String),
}

impl Store {
    fn new(backend: Backend) -> Store {
        match backend {
            Backend::Sqlite => Store::File(std::sync::Arc::new(tempfile::tempdir().unwrap())),
            Backend::Postgres => Store::Database(common::postgres::database()),
        }
    }

    fn create(&self) -> Box<dyn Registry + Send> {
        self.create_with_capacity(STATUS_LIST_STEP as u64)
    }

    fn create_with_capacity(&self, capacity: u64) -> Box<dyn Registry + Send> {
        match self {
            Store::File(dir) => Box::new(
                SqliteRegistry::create(dir.path().join("registry.db"))
                    .unwrap()
                    .with_list_capacity(capacity),
            ),
            Store::Database(url) => Box::new(
                PgRegistry::create(url, OFFICE)
                    .unwrap()
                    .with_list_capacity(capacity),
            ),
        }
    }

    fn open(&self) -> Box<dyn Registry + Send> {
        match self {
            Store::File(dir) => Box::new(open(dir.path())),
            Store::Database(url) => Box::new(PgRegistry::open(url, OFFICE).unwrap()),
        }
    }
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $test() {
                super::$test(super::Backend::Sqlite)
            })*
        }
        mod postgres {
            $(#[test]
            fn $test() {
                super::$test(super::Backend::Postgres)
            })*
        }
    };
}

on_both_backends!(
    issue_many_serials_strictly_increase,
    idempotent_replay_and_conflict,
    one_active_licence_per_holder,
    concurrent_writers_never_share_a_serial,
    set_status_records_history,
    status_list_from_the_table,
    small_status_list_fills_without_reuse,
);

fn serial_number(serial: &str) -> u64 {
    serial[4..].parse().unwrap()
}

fn issue_many_serials_strictly_increase(backend: Backend) {
    let store = Store::new(backend);
    let mut reg = store.create();
    let n = 2_000;
    let start = Instant::now();
    let mut serials = Vec::with_capacity(n);
    let mut indices = HashSet::new();
    for i in 0..n {
        let issued = issue(reg.as_mut(), TYPE, &format!("H{i}"));
        assert!(!issued.replayed);
        assert_eq!(issued.record.status, LicenceState::Valid);
        assert!(indices.insert(issued.record.list_idx));
        assert!(issued.record.list_idx < STATUS_LIST_STEP as u64);
        serials.push(issued.record.serial);
    }
    let elapsed = start.elapsed();
    println!(
        "issued {n} licences in {:.2} s: {:.0} licences/s (synchronous=FULL, WAL)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    for (i, s) in serials.iter().enumerate() {
        assert_eq!(s.len(), 11);
        assert!(s.starts_with("2026"));
        assert_eq!(serial_number(s), i as u64 + 1);
    }
    assert!(serials.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), n as u64);

    // Counters are per type and year; reserved serials are never handed out again.
    assert_eq!(
        issue(reg.as_mut(), OTHER_TYPE, "H0").record.serial,
        "20260000001"
    );
    assert_eq!(
        reg.next_serial(TYPE, 2027, OPERATOR).unwrap(),
        "20270000001"
    );
    assert_eq!(
        reg.next_serial(TYPE, 2026, OPERATOR).unwrap(),
        "20260002001"
    );
    assert_eq!(
        issue(reg.as_mut(), TYPE, "late").record.serial,
        "20260002002"
    );
    match reg.audit_verify().unwrap() {
        AuditCheck::Intact { entries, .. } => assert_eq!(entries, n as u64 + 4),
        broken => panic!("{broken:?}"),
    }
}

fn idempotent_replay_and_conflict(backend: Backend) {
    let store = Store::new(backend);
    let mut reg = store.create();
    let req = request(TYPE, "110101199003074514");
    let key = Some("BJ-2026-000123");
    let first = reg.issue(&req, &mut build(TYPE), key, OPERATOR).unwrap();
    assert!(!first.replayed);

    let mut calls = 0;
    let mut counting = |a: &Assigned| {
        calls += 1;
        build(TYPE)(a)
    };
    let again = reg.issue(&req, &mut counting, key, OPERATOR).unwrap();
    assert!(again.replayed);
    assert_eq!(again.record, first.record);
    assert_eq!(calls, 0, "a replay does not sign again");
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 1, "no new serial");

    // The issue time is not part of the request hash: a later retry still replays.
    let mut later = req.clone();
    later.at += 3600;
    assert!(
        reg.issue(&later, &mut build(TYPE), key, OPERATOR)
            .unwrap()
            .replayed
    );

    let mut different = req.clone();
    different.payload = b"{\"holder\":\"someone else\"}".to_vec();
    let err = reg
        .issue(&different, &mut build(TYPE), key, OPERATOR)
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::IdempotencyConflict { key } if key == "BJ-2026-000123"),
        "{err}"
    );
    assert!(err.to_string().contains("IdempotencyConflict"));
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 1);

    // Bad keys.
    let long = "k".repeat(129);
    for bad in ["", "with space", long.as_str(), "键"] {
        assert!(matches!(
            reg.issue(&req, &mut build(TYPE), Some(bad), OPERATOR),
            Err(RegistryError::Invalid(_))
        ));
    }
    match reg.audit_verify().unwrap() {
        AuditCheck::Intact { entries, .. } => assert_eq!(entries, 1),
        broken => panic!("{broken:?}"),
    }
}

fn one_active_licence_per_holder(backend: Backend) {
    let store = Store::new(backend);
    let mut reg = store.create();
    let holder = "91110000600037341L";
    let first = issue(reg.as_mut(), TYPE, holder);
    let err = reg
        .issue(&request(TYPE, holder), &mut build(TYPE), None, OPERATOR)
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::DuplicateActiveLicence { existing } if *existing == first.record.identifier),
        "{err}"
    );
    assert!(err.to_string().contains("DuplicateActiveLicence"));
    // A new idempotency key does not get around it either.
    assert!(matches!(
        reg.issue(
            &request(TYPE, holder),
            &mut build(TYPE),
            Some("k2"),
            OPERATOR
        ),
        Err(RegistryError::DuplicateActiveLicence { .. })
    ));
    assert_eq!(
        reg.serial_counter(TYPE, 2026).unwrap(),
        1,
        "no serial spent"
    );

    // Another type is fine; the check can be turned off.
    issue(reg.as_mut(), OTHER_TYPE, holder);
    let mut off = request(TYPE, holder);
    off.one_active_per_holder = false;
    off.version = 2;
    reg.issue(&off, &mut build(TYPE), None, OPERATOR).unwrap();

    // A template can turn the check off for its type.
    reg.put_template(
        &Template {
            type_code: OTHER_TYPE.into(),
            name: "建筑施工特种作业操作资格证".into(),
            one_active_per_holder: false,
            body: b"{}".to_vec(),
        },
        OPERATOR,
        AT,
    )
    .unwrap();
    issue(reg.as_mut(), OTHER_TYPE, holder);

    // Suspended still counts as active; revoked does not.
    let other = issue(reg.as_mut(), TYPE, "H2");
    reg.set_status(
        &other.record.identifier,
        change(LicenceState::Suspended, OpCode::Suspend, None),
    )
    .unwrap();
    assert!(matches!(
        reg.issue(&request(TYPE, "H2"), &mut build(TYPE), None, OPERATOR),
        Err(RegistryError::DuplicateActiveLicence { .. })
    ));
    reg.set_status(
        &other.record.identifier,
        change(LicenceState::Revoked, OpCode::Terminate, Some("fraud")),
    )
    .unwrap();
    issue(reg.as_mut(), TYPE, "H2");
}

fn concurrent_writers_never_share_a_serial(backend: Backend) {
    let store = Store::new(backend);
    drop(store.create());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut reg = store.open();
                (0..50)
                    .map(|i| {
                        let r = issue(reg.as_mut(), TYPE, &format!("T{t}-{i}")).record;
                        (r.serial, r.list_idx)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let all: Vec<(String, u64)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let serials: HashSet<&str> = all.iter().map(|(s, _)| s.as_str()).collect();
    let indices: HashSet<u64> = all.iter().map(|(_, i)| *i).collect();
    assert_eq!(serials.len(), 200);
    assert_eq!(indices.len(), 200);
    let reg = store.open();
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 200);
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { entries: 200, .. }
    ));
}

const STATES: [LicenceState; 10] = [
    LicenceState::Valid,
    LicenceState::Suspended,
    LicenceState::Revoked,
    LicenceState::Cancelled,
    LicenceState::Withdrawn,
    LicenceState::Lapsed,
    LicenceState::TransferredOut,
    LicenceState::Other(Status::Valid),
    LicenceState::Other(Status::Invalid),
    LicenceState::Other(Status::Suspended),
];

const OPS: [OpCode; 10] = [
    OpCode::Issue,
    OpCode::Renew,
    OpCode::Suspend,
    OpCode::Expire,
    OpCode::Terminate,
    OpCode::Reinstate,
    OpCode::Other,
    OpCode::TransferIn,
    OpCode::Change,
    OpCode::CancelTransfer,
];

/// The allowed (from, to, op) of LICENCE.md §1, written out by hand.
fn allowed() -> HashSet<(LicenceState, LicenceState, OpCode)> {
    use LicenceState as S;
    use OpCode as O;
    let mut set = HashSet::new();
    let ends = [S::Revoked, S::Cancelled, S::Withdrawn];
    let others = [
        S::Other(Status::Valid),
        S::Other(Status::Invalid),
        S::Other(Status::Suspended),
    ];
    let non_final = [
        S::Valid,
        S::Suspended,
        S::TransferredOut,
        S::Other(Status::Valid),
        S::Other(Status::Suspended),
    ];
    for from in non_final {
        for to in ends {
            set.insert((from, to, O::Terminate));
        }
        for op in [O::Renew, O::Expire, O::Change] {
            set.insert((from, S::Lapsed, op));
        }
        for to in others {
            if to != from {
                set.insert((from, to, O::Other));
            }
        }
    }
    set.insert((S::Valid, S::Suspended, O::Suspend));
    set.insert((S::Other(Status::Valid), S::Suspended, O::Suspend));
    set.insert((S::Suspended, S::Valid, O::Reinstate));
    set.insert((S::Valid, S::TransferredOut, O::Terminate));
    set.insert((S::TransferredOut, S::Valid, O::CancelTransfer));
    set.insert((S::Other(Status::Suspended), S::Valid, O::Reinstate));
    set.insert((S::Other(Status::Suspended), S::Valid, O::Other));
    set.insert((S::Other(Status::Valid), S::Valid, O::Other));
    set
}

#[test]
fn transitions_exactly_as_specified() {
    let allowed = allowed();
    let mut n = 0;
    for from in STATES {
        for to in STATES {
            for op in OPS {
                let ok = check_transition(from, to, op, Some("court order")).is_ok();
                assert_eq!(
                    ok,
                    allowed.contains(&(from, to, op)),
                    "{from} → {to} by op {}",
                    op.code()
                );
                n += usize::from(ok);
            }
        }
    }
    assert_eq!(n, allowed.len());
    // 99 needs a reason and cannot pick TRANSFERRED.
    for reason in [None, Some(""), Some("  ")] {
        assert!(
            check_transition(
                LicenceState::Valid,
                LicenceState::Other(Status::Invalid),
                OpCode::Other,
                reason
            )
            .is_err()
        );
    }
    assert!(
        check_transition(
            LicenceState::Valid,
            LicenceState::Other(Status::Transferred),
            OpCode::Other,
            Some("x")
        )
        .is_err()
    );
}

fn set_status_records_history(backend: Backend) {
    let store = Store::new(backend);
    let mut reg = store.create();
    let id = issue(reg.as_mut(), TYPE, "H").record.identifier;
    let steps = [
        (LicenceState::Suspended, OpCode::Suspend, None),
        (LicenceState::Valid, OpCode::Reinstate, None),
        (LicenceState::TransferredOut, OpCode::Terminate, None),
        (LicenceState::Valid, OpCode::CancelTransfer, None),
        (
            LicenceState::Other(Status::Suspended),
            OpCode::Other,
            Some("under review"),
        ),
        (LicenceState::Valid, OpCode::Reinstate, None),
        (LicenceState::Revoked, OpCode::Terminate, Some("fraud")),
    ];
    let refused = [
        (LicenceState::Valid, OpCode::Suspend, None), // wrong op
        (LicenceState::Valid, OpCode::Reinstate, None), // transferred back needs op 10
    ];
    for (i, (to, op, reason)) in steps.iter().enumerate() {
        if i == 3 {
            // Currently transferred out: back to valid only by op 10.
            for (rto, rop, rreason) in refused {
                assert!(matches!(
                    reg.set_status(&id, change(rto, rop, rreason)),
                    Err(RegistryError::TransitionRefused(_))
                ));
            }
        }
        reg.set_status(&id, change(*to, *op, *reason)).unwrap();
        assert_eq!(reg.licence(&id).unwrap().unwrap().status, *to);
    }
    // Revoked is final.
    for to in STATES {
        for op in OPS {
            assert!(matches!(
                reg.set_status(&id, change(to, op, Some("appeal"))),
                Err(RegistryError::TransitionRefused(_))
            ));
        }
    }
    assert!(matches!(
        reg.set_status(
            "nope",
            change(LicenceState::Revoked, OpCode::Terminate, None)
        ),
        Err(RegistryError::NotFound(_))
    ));

    let history = reg.history(&id).unwrap();
    assert_eq!(history.len(), steps.len() + 1);
    assert_eq!(history[0].op, "01");
    assert_eq!(history[0].from, None);
    assert_eq!(history[0].to, "01");
    let ops: Vec<&str> = history.iter().map(|h| h.op.as_str()).collect();
    assert_eq!(ops, ["01", "03", "06", "05", "10", "07", "06", "05"]);
    let tos: Vec<&str> = history.iter().map(|h| h.to.as_str()).collect();
    assert_eq!(tos, ["01", "02", "01", "06", "01", "99/2", "01", "03"]);
    assert_eq!(history[5].reason.as_deref(), Some("under review"));
    assert_eq!(history[7].from.as_deref(), Some("01"));
    assert!(
        history
            .iter()
            .enumerate()
            .all(|(i, h)| h.seq == i as u64 + 1)
    );
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { entries: 8, .. }
    ));
}

fn assert_trigger_refuses(conn: &Connection, sql: &str, message: &str) {
    let err = conn.execute(sql, []).unwrap_err();
    match &err {
        rusqlite::Error::SqliteFailure(e, Some(msg)) => {
            assert_eq!(e.code, ErrorCode::ConstraintViolation, "{sql}: {err}");
            assert!(msg.contains(message), "{sql}: {msg}");
        }
        other => panic!("{sql}: {other:?}"),
    }
}

#[test]
fn triggers_refuse_deletes_and_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = create(dir.path());
    let id = issue(&mut reg, TYPE, "H").record.identifier;
    drop(reg);
    let conn = Connection::open(dir.path().join("registry.db")).unwrap();
    assert_trigger_refuses(&conn, "DELETE FROM licences", "licences are never deleted");
    assert_trigger_refuses(
        &conn,
        "UPDATE licences SET serial = '20260000009'",
        "never change",
    );
    assert_trigger_refuses(&conn, "UPDATE licences SET list_idx = 5", "never change");
    assert_trigger_refuses(
        &conn,
        "DELETE FROM status_history",
        "status history is never deleted",
    );
    assert_trigger_refuses(
        &conn,
        "UPDATE status_history SET op = '07'",
        "never updated",
    );
    assert_trigger_refuses(&conn, "DELETE FROM audit_log", "append-only");
    assert_trigger_refuses(&conn, "UPDATE audit_log SET detail = '{}'", "append-only");
    assert_trigger_refuses(
        &conn,
        "UPDATE serial_counters SET last = last - 1",
        "only increase",
    );
    assert_trigger_refuses(&conn, "DELETE FROM serial_counters", "never deleted");
    // Status changes still go through.
    conn.execute(
        "UPDATE licences SET status = '02', list_value = 2 WHERE identifier = ?1",
        [&id],
    )
    .unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM licences", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn audit_tampering_found_at_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = create(dir.path());
    for i in 0..5 {
        issue(&mut reg, TYPE, &format!("H{i}"));
    }
    let head = match reg.audit_verify().unwrap() {
        AuditCheck::Intact { entries: 5, head } => head,
        other => panic!("{other:?}"),
    };
    assert_ne!(head, [0; 32]);
    drop(reg);

    let path = dir.path().join("registry.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET operator = 'mallory' WHERE seq = 3;",
    )
    .unwrap();
    assert_eq!(
        open(dir.path()).audit_verify().unwrap(),
        AuditCheck::Broken { seq: 3 }
    );
    // Restoring the field restores the chain.
    conn.execute(
        "UPDATE audit_log SET operator = ?1 WHERE seq = 3",
        [OPERATOR],
    )
    .unwrap();
    assert!(matches!(
        open(dir.path()).audit_verify().unwrap(),
        AuditCheck::Intact { entries: 5, .. }
    ));
    // Recomputing one row's hash breaks the next link.
    conn.execute("UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 4", [])
        .unwrap();
    assert_eq!(
        open(dir.path()).audit_verify().unwrap(),
        AuditCheck::Broken { seq: 4 }
    );
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log WHERE seq = 2;",
    )
    .unwrap();
    assert_eq!(
        open(dir.path()).audit_verify().unwrap(),
        AuditCheck::Broken { seq: 2 }
    );
}

#[test]
fn migrations_from_empty_and_newer_refused() {
    let dir = tempfile::tempdir().unwrap();
    // An existing, empty file (user_version 0): opening refuses it, creating takes it.
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let err = SqliteRegistry::open(&path).unwrap_err();
    assert!(
        matches!(&err, RegistryError::NotARegistry { path: p, problem } if *p == path && problem == "is empty (0 bytes)"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left alone");
    let mut reg = SqliteRegistry::create(&path).unwrap();
    assert_eq!(reg.schema_version().unwrap(), SCHEMA_VERSION);
    let id = issue(&mut reg, TYPE, "H").record.identifier;
    drop(reg);
    // Reopening migrates nothing and keeps the data.
    let reg = SqliteRegistry::open(&path).unwrap();
    assert!(reg.licence(&id).unwrap().is_some());
    drop(reg);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in [
        "audit_log",
        "idempotency",
        "licences",
        "serial_counters",
        "status_history",
        "status_lists",
        "templates",
    ] {
        assert!(tables.iter().any(|n| n == t), "{t} missing: {tables:?}");
    }

    // A database from newer code is refused and left alone.
    let newer = dir.path().join("newer.db");
    let conn = Connection::open(&newer).unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE future (x); PRAGMA user_version = {};",
        SCHEMA_VERSION + 1
    ))
    .unwrap();
    drop(conn);
    let err = SqliteRegistry::open(&newer).unwrap_err();
    assert!(
        matches!(err, RegistryError::TooNew { found, known } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("RegistryTooNew"));
    let as_crate: eseal::Error = err.into();
    assert!(as_crate.to_string().contains("RegistryTooNew"));
    let conn = Connection::open(&newer).unwrap();
    let v: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
}

fn status_list_from_the_table(backend: Backend) {
    let store = Store::new(backend);
    let mut reg = store.create();
    let ids: Vec<_> = (0..4)
        .map(|i| issue(reg.as_mut(), TYPE, &format!("H{i}")).record)
        .collect();
    reg.set_status(
        &ids[0].identifier,
        change(LicenceState::Revoked, OpCode::Terminate, Some("fraud")),
    )
    .unwrap();
    reg.set_status(
        &ids[1].identifier,
        change(LicenceState::Suspended, OpCode::Suspend, None),
    )
    .unwrap();
    reg.set_status(
        &ids[2].identifier,
        change(LicenceState::TransferredOut, OpCode::Terminate, None),
    )
    .unwrap();
    let list = reg.status_list(LIST).unwrap();
    assert_eq!(list.len(), STATUS_LIST_STEP);
    let idx = |i: usize| ids[i].list_idx as usize;
    assert_eq!(list.get(idx(0)), Some(Status::Invalid));
    assert_eq!(list.get(idx(1)), Some(Status::Suspended));
    assert_eq!(list.get(idx(2)), Some(Status::Transferred));
    assert_eq!(list.get(idx(3)), Some(Status::Valid));
    let non_valid = (0..list.len())
        .filter(|&i| list.get(i) != Some(Status::Valid))
        .count();
    assert_eq!(non_valid, 3);
    // An unknown list is all VALID at the default size.
    assert_eq!(
        reg.status_list("https://sl.example.gov.cn/none")
            .unwrap()
            .len(),
        STATUS_LIST_STEP
    );
}

fn small_status_list_fills_without_reuse(backend: Backend) {
    let store = Store::new(backend);
    let mut reg = store.create_with_capacity(40);
    let mut seen = HashSet::new();
    for i in 0..40 {
        let r = issue(reg.as_mut(), TYPE, &format!("H{i}")).record;
        assert!(r.list_idx < 40);
        assert!(seen.insert(r.list_idx));
    }
    assert!(matches!(
        reg.issue(&request(TYPE, "H41"), &mut build(TYPE), None, OPERATOR),
        Err(RegistryError::StatusListFull(_))
    ));
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 40, "rolled back");
    // A failing build rolls back too.
    let err = reg
        .issue(
            &{
                let mut r = request(TYPE, "H42");
                r.list_uri = "https://sl.example.gov.cn/lists/2".into();
                r
            },
            &mut |_: &Assigned| Err(eseal::Error::Invalid("HSM offline".into())),
            None,
            OPERATOR,
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::Build(_)));
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 40);
}

/// The child of [`crash_safety`]: with [`CRASH_DB_ENV`] set, issues licences forever,
/// one at a time and in batches of 8 ([`Registry::issue_batch`]) by turns, printing
/// `issued SERIAL` after each commit; without it, does nothing.
#[test]
fn crash_helper() {
    let Ok(path) = std::env::var(CRASH_DB_ENV) else {
        return;
    };
    let mut reg = SqliteRegistry::open(&path).unwrap();
    let pid = std::process::id();
    let mut out = std::io::stdout().lock();
    // Stay inside the transaction for a while so the kill often lands there.
    let mut slow_build = |a: &Assigned| {
        std::thread::sleep(std::time::Duration::from_millis(2));
        build(TYPE)(a)
    };
    for i in 0u64.. {
        let holders: Vec<String> = (0..if i % 2 == 0 { 1 } else { 8 })
            .map(|k| format!("crash-{pid}-{i}-{k}"))
            .collect();
        let requests: Vec<IssueRequest> = holders.iter().map(|h| request(TYPE, h)).collect();
        let serials: Vec<String> = if requests.len() == 1 {
            let key = (i % 4 == 0).then_some(holders[0].as_str());
            let issued = reg
                .issue(&requests[0], &mut slow_build, key, OPERATOR)
                .unwrap();
            vec![issued.record.serial]
        } else {
            let items: Vec<BatchItem<'_>> = requests
                .iter()
                .zip(&holders)
                .map(|(request, key)| BatchItem {
                    request,
                    idempotency_key: Some(key),
                })
                .collect();
            reg.issue_batch(&items, &mut |_, a| slow_build(a), OPERATOR)
                .unwrap()
                .into_iter()
                .map(|r| r.unwrap().record.serial)
                .collect()
        };
        for serial in serials {
            writeln!(out, "issued {serial}").unwrap();
        }
        out.flush().unwrap();
    }
}

#[test]
fn crash_safety() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    // Some licences before the child starts.
    let mut reg = SqliteRegistry::create(&path).unwrap();
    for i in 0..5 {
        issue(&mut reg, TYPE, &format!("before-{i}"));
    }
    drop(reg);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env(CRASH_DB_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reported = Vec::new();
    // Keep the pipe open until the kill, so the child never sees EPIPE and exits cleanly.
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while reported.len() < 60 {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(serial) = line.trim_end().strip_prefix("issued ") {
            reported.push(serial.to_owned());
        }
    }
    assert_eq!(reported.len(), 60, "the child stopped early");
    child.kill().unwrap(); // SIGKILL, mid-batch
    let status = child.wait().unwrap();
    drop(reader);
    assert!(!status.success(), "the child was killed, not finished");

    let mut reg = SqliteRegistry::open(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { .. }
    ));

    let licences: Vec<(String, String)> = conn
        .prepare("SELECT identifier, serial FROM licences ORDER BY serial")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(licences.len() >= 5 + reported.len());
    let stored: HashSet<&str> = licences.iter().map(|(_, s)| s.as_str()).collect();
    for s in &reported {
        assert!(stored.contains(s.as_str()), "committed serial {s} lost");
    }
    for (id, _) in &licences {
        let history = reg.history(id).unwrap();
        assert_eq!(history.first().map(|h| h.op.as_str()), Some("01"), "{id}");
        let audits: i64 = conn
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'issue' AND subject = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(audits, 1, "{id}");
    }
    let max_serial = licences
        .iter()
        .map(|(_, s)| serial_number(s))
        .max()
        .unwrap();
    let counter = reg.serial_counter(TYPE, 2026).unwrap();
    assert!(counter >= max_serial, "counter {counter} < {max_serial}");
    let orphan_keys: i64 = conn
        .query_row(
            "SELECT count(*) FROM idempotency i LEFT JOIN licences l USING (identifier)
             WHERE l.identifier IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphan_keys, 0);
    println!(
        "crash test: child reported {} issuances, {} licences stored, counter {counter}",
        reported.len(),
        licences.len()
    );

    // Issuing continues with no serial reused.
    for i in 0..5 {
        let serial = issue(&mut reg, TYPE, &format!("after-{i}")).record.serial;
        assert!(serial_number(&serial) > max_serial);
        assert!(!stored.contains(serial.as_str()));
    }
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { .. }
    ));
}

/// Every released schema migrates to the current one with its data: the fixture was
/// written by schema 1 (three business licences, the first revoked, status lists of 16).
#[test]
fn migrates_from_every_released_schema() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/registry/schema-1.db");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(&fixture, &path).unwrap();
    let before = Connection::open(&path).unwrap();
    let old_version: u32 = before
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(old_version, 1);
    drop(before);

    let mut reg = SqliteRegistry::open(&path).unwrap();
    assert_eq!(reg.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { entries: 4, .. }
    ));
    let list = reg
        .status_list(eseal::licence::sample::STATUS_LIST_URI)
        .unwrap();
    let statuses: Vec<Status> = (0..list.len()).filter_map(|i| list.get(i)).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == Status::Invalid).count(),
        1
    );
    // The migrated count of used indices lets exactly the 13 free ones be taken.
    let mut issued = 0;
    let err = loop {
        match reg.issue(
            &IssueRequest {
                list_uri: eseal::licence::sample::STATUS_LIST_URI.to_owned(),
                ..request(TYPE, &format!("M{issued}"))
            },
            &mut build(TYPE),
            None,
            OPERATOR,
        ) {
            Ok(_) => issued += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(issued, 13);
    assert!(matches!(err, RegistryError::StatusListFull(_)), "{err}");
}

/// A signed audit head finds what the hash chain alone cannot: a database whose log was
/// rewritten with every hash recomputed, or cut short.
#[test]
fn signed_audit_head_finds_a_rewritten_database() {
    use eseal::crypto::{Algorithm, SoftwareKey};
    use eseal::registry::head::{check_audit_head, sign_audit_head, verify_audit_head};
    let dir = tempfile::tempdir().unwrap();
    let mut reg = create(dir.path());
    for i in 0..4 {
        issue(&mut reg, TYPE, &format!("H{i}"));
    }
    let key = SoftwareKey::generate(Algorithm::Sm2Sm3).unwrap();
    let cert = eseal::pki::issue_root(
        &eseal::pki::DistinguishedName::common_name("吉林省市场监督管理厅"),
        eseal::pki::Validity::days_from_now(30),
        &key,
    )
    .unwrap();
    let (signed, token) = sign_audit_head(
        &reg,
        "11220000013544541J",
        std::time::SystemTime::now(),
        &key,
        &cert,
    )
    .unwrap();
    let head = verify_audit_head(&token, &cert).unwrap();
    assert_eq!(head, signed);
    assert_eq!(head.entries, 4);
    // More entries after the head are fine.
    issue(&mut reg, TYPE, "H4");
    assert!(matches!(
        check_audit_head(&reg, &head).unwrap(),
        AuditCheck::Intact { entries: 5, .. }
    ));
    // A token signed by another key, or altered, is refused.
    let other = SoftwareKey::generate(Algorithm::Sm2Sm3).unwrap();
    let other_cert = eseal::pki::issue_root(
        &eseal::pki::DistinguishedName::common_name("他人"),
        eseal::pki::Validity::days_from_now(30),
        &other,
    )
    .unwrap();
    assert!(verify_audit_head(&token, &other_cert).is_err());
    let mut altered = token.clone();
    let at = altered.len() - 70;
    altered[at] ^= 1;
    assert!(verify_audit_head(&altered, &cert).is_err());
    drop(reg);

    // Rewrite entry 2 and recompute every hash after it: the chain is consistent again.
    let conn = Connection::open(dir.path().join("registry.db")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET operator = 'mallory' WHERE seq = 2;",
    )
    .unwrap();
    let rows: Vec<(i64, i64, String, String, String, String)> = conn
        .prepare("SELECT seq, at, operator, action, subject, detail FROM audit_log ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = [0u8; 32];
    for (seq, at, operator, action, subject, detail) in rows {
        let hash = eseal::registry::audit_hash(
            &prev, seq as u64, at, &operator, &action, &subject, &detail,
        );
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, &prev[..], &hash[..]],
        )
        .unwrap();
        prev = hash;
    }
    let reg = open(dir.path());
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { entries: 5, .. }
    ));
    assert_eq!(
        check_audit_head(&reg, &head).unwrap(),
        AuditCheck::Broken { seq: 4 }
    );
    // Cut short below the signed head.
    drop(reg);
    conn.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 3;")
        .unwrap();
    assert_eq!(
        check_audit_head(&open(dir.path()), &head).unwrap(),
        AuditCheck::Broken { seq: 3 }
    );
}

/// `open` never creates or repairs: a missing, empty, foreign or cut file is refused with
/// its path and the reason, and left as it was; `create` refuses a file holding data.
#[test]
fn open_refuses_what_is_not_a_registry() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |path: &Path| match SqliteRegistry::open(path).unwrap_err() {
        RegistryError::NotARegistry { path: p, problem } => {
            assert_eq!(p, path);
            problem
        }
        other => panic!("{other}"),
    };

    let missing = dir.path().join("missing.db");
    assert_eq!(refused(&missing), "does not exist");
    assert!(!missing.exists(), "open created a file");

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(refused(&empty), "is empty (0 bytes)");

    let text = dir.path().join("text.db");
    std::fs::write(&text, "not a database\n".repeat(600)).unwrap();
    assert_eq!(
        refused(&text),
        "is not a SQLite database (file is not a database)"
    );

    // Another application's database: refused before anything is written to it.
    let foreign = dir.path().join("foreign.db");
    let conn = Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&foreign).unwrap();
    assert_eq!(
        refused(&foreign),
        "is not an eseal registry (application_id 0x00000007)"
    );
    assert_eq!(std::fs::read(&foreign).unwrap(), before, "left alone");

    let bare = dir.path().join("bare.db");
    let conn = Connection::open(&bare).unwrap();
    conn.execute_batch("CREATE TABLE licences (x);").unwrap();
    drop(conn);
    assert_eq!(refused(&bare), "is not an eseal registry (no schema)");
    let conn = Connection::open(&bare).unwrap();
    conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
        .unwrap();
    drop(conn);
    assert_eq!(
        refused(&bare),
        "is not an eseal registry (no table audit_log)"
    );

    // A registry cut in half: SQLite's own message, as damage.
    let path = dir.path().join("registry.db");
    let mut reg = SqliteRegistry::create(&path).unwrap();
    for i in 0..200 {
        issue(&mut reg, TYPE, &format!("H{i}"));
    }
    drop(reg);
    assert!(!dir.path().join("registry.db-wal").exists());
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 16 * 4096, "{len} bytes");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2).unwrap();
    drop(file);
    let err = SqliteRegistry::open(&path).unwrap_err();
    match &err {
        RegistryError::Damaged { path: p, detail } => {
            assert_eq!(*p, path);
            assert_eq!(detail, "database disk image is malformed");
        }
        other => panic!("{other}"),
    }
    // The CLI exits 65 (data) for it: it is malformed input, named.
    let as_crate: eseal::Error = err.into();
    assert!(
        matches!(&as_crate, eseal::Error::Malformed { what: "office registry", detail } if detail.starts_with("RegistryDamaged: ")),
        "{as_crate}"
    );

    // Creating over data is refused; the data stays.
    let kept = dir.path().join("kept.db");
    let mut reg = SqliteRegistry::create(&kept).unwrap();
    let id = issue(&mut reg, TYPE, "H").record.identifier;
    drop(reg);
    let err = SqliteRegistry::create(&kept).unwrap_err();
    assert!(
        matches!(&err, RegistryError::Invalid(m) if m.ends_with("already holds data; a registry is created only once")),
        "{err}"
    );
    assert!(
        SqliteRegistry::open(&kept)
            .unwrap()
            .licence(&id)
            .unwrap()
            .is_some()
    );
}

/// Flips the last 16 bytes of the root page of `name` (a table or an index): inside its
/// cells, not the file's header.
fn damage_root_page(path: &Path, name: &str) {
    let conn = Connection::open(path).unwrap();
    let (root, page_size): (i64, i64) = conn
        .query_row(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    assert!(root > 1);
    let mut bytes = std::fs::read(path).unwrap();
    let end = (root * page_size) as usize;
    assert!(end <= bytes.len());
    for b in &mut bytes[end - 16..end] {
        *b ^= 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

/// A read-only open changes nothing, reads what a writable one reads, and the integrity
/// check reports a broken page with SQLite's message.
#[test]
fn read_only_open_and_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = create(dir.path());
    for i in 0..50 {
        issue(&mut reg, TYPE, &format!("H{i}"));
    }
    drop(reg);
    let path = dir.path().join("registry.db");
    let before = std::fs::read(&path).unwrap();
    let mut reg = SqliteRegistry::open_read_only(&path).unwrap();
    assert_eq!(reg.integrity_check().unwrap(), Vec::<String>::new());
    assert!(matches!(
        reg.audit_verify().unwrap(),
        AuditCheck::Intact { entries: 50, .. }
    ));
    let err = reg.next_serial(TYPE, 2026, OPERATOR).unwrap_err();
    assert!(
        matches!(&err, RegistryError::Database(e) if e.sqlite_error_code() == Some(ErrorCode::ReadOnly)),
        "{err}"
    );
    drop(reg);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // In a writable folder SQLite leaves its (empty) write-ahead log beside the file.
    assert_eq!(
        std::fs::metadata(dir.path().join("registry.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );

    // Only the entries after a checked point are recomputed.
    let reg = open(dir.path());
    let at_40 = reg.audit_hash_at(40).unwrap().unwrap();
    assert_eq!(
        reg.audit_verify_after(40, at_40).unwrap(),
        reg.audit_verify().unwrap()
    );
    assert_eq!(
        reg.audit_verify_after(40, [1; 32]).unwrap(),
        AuditCheck::Broken { seq: 41 }
    );
    drop(reg);

    damage_root_page(&path, "licences_holder");
    let reg = SqliteRegistry::open_read_only(&path).unwrap();
    let damage = reg.integrity_check().unwrap();
    assert_eq!(
        damage,
        [
            "row 1 missing from index licences_holder",
            "row 2 missing from index licences_holder"
        ]
    );
}
