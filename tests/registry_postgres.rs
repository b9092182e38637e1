//! The registry on a real PostgreSQL server (tests/common/postgres.rs): what only the
//! database backend has — triggers against rewrites and TRUNCATE, many offices in one
//! database, TLS, a database that is down, a connection lost mid-transaction, a server
//! restart, an issuer killed mid-batch, and the move of a SQLite registry into it. The
//! behaviour both backends share is tested on both in tests/registry.rs.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::postgres::{self, Server};
use eseal::registry::{
    Assigned, AuditCheck, BatchItem, IssueRequest, Issued, LicenceState, NewLicence, OpCode,
    PG_SCHEMA_VERSION, PgRegistry, Registry, RegistryError, SqliteRegistry, StatusChange, Template,
};

const OFFICE: &str = "11100000000013338W";
const OTHER_OFFICE: &str = "11440000MB2C12345X";
const TYPE: &str = "11100000000013338W001";
const LIST: &str = "https://sl.example.gov.cn/lists/1";
const AT: i64 = 1_767_231_000;
const OPERATOR: &str = "张三";

/// The env var that turns `kill_helper` into the issuing child of
/// `sigkill_of_an_issuer_mid_batch`.
const KILL_URL_ENV: &str = "ESEAL_PG_KILL_URL";

fn request(holder: &str) -> IssueRequest {
    IssueRequest {
        type_code: TYPE.to_owned(),
        year: 2026,
        version: 1,
        holder: holder.to_owned(),
        list_uri: LIST.to_owned(),
        payload: format!("{{\"holder\":\"{holder}\"}}").into_bytes(),
        one_active_per_holder: true,
        at: AT,
    }
}

fn licence(a: &Assigned) -> eseal::Result<NewLicence> {
    Ok(NewLicence {
        identifier: format!("{TYPE}-{}-001", a.serial),
        metadata: format!("{{\"serial\":\"{}\"}}", a.serial).into_bytes(),
        token: format!("token:{}:{}", a.serial, a.list_idx).into_bytes(),
        qr: format!("HC1:{}", a.serial),
        salt: vec![7; 16],
    })
}

fn issue(reg: &mut dyn Registry, holder: &str, key: Option<&str>) -> Issued {
    reg.issue(&request(holder), &mut licence, key, OPERATOR)
        .unwrap()
}

fn db_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

fn entries(reg: &dyn Registry) -> u64 {
    match reg.audit_verify().unwrap() {
        AuditCheck::Intact { entries, .. } => entries,
        broken => panic!("{broken:?}"),
    }
}

/// psql's error for `sql` in the database of `url`, which must fail.
fn refused(server: &Server, url: &str, sql: &str) -> String {
    let out = server.psql(db_name(url), sql);
    assert!(!out.status.success(), "{sql} was accepted");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn triggers_refuse_rewrites_deletes_and_truncate() {
    let server = postgres::server();
    let url = postgres::database();
    let mut reg = PgRegistry::create(&url, OFFICE).unwrap();
    let id = issue(&mut reg, "H1", Some("K1")).record.identifier;
    for (sql, message) in [
        ("DELETE FROM eseal.licences", "licences are never deleted"),
        (
            "TRUNCATE eseal.licences CASCADE",
            "licences are never deleted",
        ),
        (
            "UPDATE eseal.licences SET serial = '20269999999'",
            "identity and status-list index never change",
        ),
        (
            "UPDATE eseal.licences SET list_idx = list_idx + 1",
            "identity and status-list index never change",
        ),
        ("UPDATE eseal.audit_log SET operator = 'x'", "append-only"),
        ("DELETE FROM eseal.audit_log", "append-only"),
        ("TRUNCATE eseal.audit_log", "append-only"),
        ("DELETE FROM eseal.status_history", "never deleted"),
        (
            "UPDATE eseal.status_history SET reason = 'x'",
            "never updated",
        ),
        ("TRUNCATE eseal.status_history", "never deleted"),
        (
            "UPDATE eseal.serial_counters SET last = last - 1",
            "only increase",
        ),
        ("DELETE FROM eseal.serial_counters", "never deleted"),
        ("UPDATE eseal.idempotency SET key = 'K2'", "never change"),
        ("DELETE FROM eseal.idempotency", "never deleted"),
        ("TRUNCATE eseal.idempotency", "never deleted"),
        ("DELETE FROM eseal.offices", "offices are never deleted"),
    ] {
        let error = refused(server, &url, sql);
        assert!(error.contains(message), "{sql}: {error}");
    }
    change_status_and_document(
        &mut reg,
        &id,
        LicenceState::Suspended,
        OpCode::Suspend,
        None,
    );
}

/// What may change, changes: `id`'s status (with its history) to `to` by `op`, then its
/// document hash; the audit chain then holds 3 entries, intact.
fn change_status_and_document(
    reg: &mut PgRegistry,
    id: &str,
    to: LicenceState,
    op: OpCode,
    reason: Option<&str>,
) {
    reg.set_status(
        id,
        StatusChange {
            to,
            op,
            reason,
            operator: OPERATOR,
            at: AT + 1,
        },
    )
    .unwrap();
    reg.set_doc_sha256(id, &[9; 32], OPERATOR, AT + 2).unwrap();
    assert_eq!(entries(reg), 3);
    assert_eq!(reg.integrity_check().unwrap(), Vec::<String>::new());
}

/// An issuer connecting as a role with only [`PgRegistry::issuer_grants`] issues, replays,
/// changes a status and records a document hash; privileges then refuse it what the
/// triggers refuse the owner and more: truncating, deleting, disabling a trigger, dropping
/// a table.
#[test]
fn an_issuer_role_with_only_its_grants_issues_and_cannot_rewrite_history() {
    let server = postgres::server();
    let url = postgres::database();
    let db = db_name(&url);
    drop(PgRegistry::create(&url, OFFICE).unwrap());
    let role = format!("issuer_{db}");
    server.sql(db, &format!("CREATE ROLE {role} LOGIN"));
    server.sql(db, &PgRegistry::issuer_grants(&role).unwrap());
    let issuer_url = url.replacen("eseal@", &format!("{role}@"), 1);

    let mut reg = PgRegistry::open(&issuer_url, OFFICE).unwrap();
    let issued = issue(&mut reg, "H1", Some("K1"));
    let replay = issue(&mut reg, "H1", Some("K1"));
    assert!(replay.replayed && !issued.replayed);
    assert_eq!(replay.record, issued.record);
    change_status_and_document(
        &mut reg,
        &issued.record.identifier,
        LicenceState::Revoked,
        OpCode::Terminate,
        Some("以欺骗手段取得"),
    );

    for (sql, message) in [
        ("TRUNCATE eseal.audit_log", "permission denied"),
        ("DELETE FROM eseal.status_history", "permission denied"),
        (
            "UPDATE eseal.audit_log SET operator = 'x'",
            "permission denied",
        ),
        (
            "ALTER TABLE eseal.audit_log DISABLE TRIGGER ALL",
            "must be owner",
        ),
        ("DROP TABLE eseal.idempotency", "must be owner"),
    ] {
        let out = server.psql_as(&role, db, sql);
        assert!(!out.status.success(), "{sql} was accepted");
        let error = String::from_utf8_lossy(&out.stderr);
        assert!(error.contains(message), "{sql}: {error}");
    }
    assert!(matches!(
        PgRegistry::issuer_grants("issuer; DROP SCHEMA eseal"),
        Err(RegistryError::Invalid(_))
    ));
}

#[test]
fn tampering_is_found_at_its_seq_and_a_disabled_trigger_is_reported() {
    let server = postgres::server();
    let url = postgres::database();
    let db = db_name(&url);
    let mut reg = PgRegistry::create(&url, OFFICE).unwrap();
    for i in 0..5 {
        issue(&mut reg, &format!("H{i}"), None);
    }
    assert_eq!(entries(&reg), 5);
    // A superuser can switch the triggers off; the chain still tells.
    server.sql(
        db,
        "SET session_replication_role = replica;
         UPDATE eseal.audit_log SET operator = 'mallory' WHERE seq = 3",
    );
    assert_eq!(reg.audit_verify().unwrap(), AuditCheck::Broken { seq: 3 });
    server.sql(
        db,
        &format!(
            "SET session_replication_role = replica;
             UPDATE eseal.audit_log SET operator = '{OPERATOR}' WHERE seq = 3;
             DELETE FROM eseal.audit_log WHERE seq = 2"
        ),
    );
    assert_eq!(reg.audit_verify().unwrap(), AuditCheck::Broken { seq: 2 });

    server.sql(
        db,
        "ALTER TABLE eseal.audit_log DISABLE TRIGGER audit_log_no_update",
    );
    let damage = reg.integrity_check().unwrap();
    assert_eq!(
        damage,
        [
            "trigger audit_log_no_update is missing or disabled: the database no longer \
          refuses what it guards"
        ]
    );
}

#[test]
fn offices_share_a_database_and_nothing_else() {
    let url = postgres::database();
    let mut a = PgRegistry::create(&url, OFFICE).unwrap();
    let mut b = PgRegistry::create(&url, OTHER_OFFICE).unwrap();
    let first_a = issue(&mut a, "H", Some("K"));
    // The same holder, key and type in another office: its own serial, no replay.
    let first_b = issue(&mut b, "H", Some("K"));
    assert!(!first_b.replayed);
    assert_eq!(first_a.record.serial, "20260000001");
    assert_eq!(first_b.record.serial, "20260000001");
    issue(&mut b, "H2", None);
    assert_eq!(entries(&a), 1);
    assert_eq!(entries(&b), 2);
    assert_eq!(a.serial_counter(TYPE, 2026).unwrap(), 1);
    assert_eq!(b.serial_counter(TYPE, 2026).unwrap(), 2);
    assert_eq!(
        a.licence(&first_a.record.identifier).unwrap(),
        Some(first_a.record)
    );

    // A registry is created once; an office the database lacks is named.
    let again = PgRegistry::create(&url, OFFICE).unwrap_err();
    assert!(again.to_string().contains("created only once"), "{again}");
    let missing = PgRegistry::open(&url, "91110000600037341L").unwrap_err();
    assert!(
        matches!(&missing, RegistryError::NotARegistry { problem, .. } if problem == "holds no registry of this office"),
        "{missing}"
    );
    assert!(missing.to_string().contains("(office 91110000600037341L)"));
}

#[test]
fn schemas_newer_or_foreign_are_refused() {
    let server = postgres::server();
    let url = postgres::database();
    drop(PgRegistry::create(&url, OFFICE).unwrap());
    assert_eq!(
        PgRegistry::open(&url, OFFICE)
            .unwrap()
            .schema_version()
            .unwrap(),
        PG_SCHEMA_VERSION
    );
    server.sql(
        db_name(&url),
        &format!(
            "INSERT INTO eseal.registry_schema (version) VALUES ({})",
            PG_SCHEMA_VERSION + 1
        ),
    );
    for err in [
        PgRegistry::open(&url, OFFICE).unwrap_err(),
        PgRegistry::open_read_only(&url, OFFICE).unwrap_err(),
    ] {
        assert!(
            matches!(err, RegistryError::TooNew { found, known } if found == PG_SCHEMA_VERSION + 1 && known == PG_SCHEMA_VERSION),
            "{err}"
        );
    }

    let foreign = postgres::database();
    server.sql(
        db_name(&foreign),
        "CREATE SCHEMA eseal; CREATE TABLE eseal.t (x int)",
    );
    let err = PgRegistry::create(&foreign, OFFICE).unwrap_err();
    assert!(
        err.to_string()
            .contains("has a schema `eseal` that is not an eseal registry"),
        "{err}"
    );
}

#[test]
fn read_only_registry_writes_nothing() {
    let url = postgres::database();
    let mut reg = PgRegistry::create(&url, OFFICE).unwrap();
    let id = issue(&mut reg, "H", None).record.identifier;
    let mut ro = PgRegistry::open_read_only(&url, OFFICE).unwrap();
    assert_eq!(ro.licence(&id).unwrap().unwrap().serial, "20260000001");
    let err = ro
        .issue(&request("H2"), &mut licence, None, OPERATOR)
        .unwrap_err();
    assert!(err.to_string().contains("read-only transaction"), "{err}");
    assert_eq!(entries(&reg), 1);
}

#[test]
fn a_database_that_is_down_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://office:s3cret@127.0.0.1:{port}/registry");
    let err = PgRegistry::open(&url, OFFICE).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RegistryError::Unavailable { .. }), "{text}");
    assert!(
        text.starts_with(&format!(
            "RegistryUnavailable: cannot reach the registry database \
             postgresql://office@127.0.0.1:{port}/registry: "
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
    assert!(!text.contains("s3cret"));
}

#[test]
fn tls_to_the_database_checks_the_server() {
    let server = postgres::server();
    let url = postgres::database();
    let ca = server.ca();
    let tls = format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display());
    let reg = PgRegistry::create(&tls, OFFICE).unwrap();
    let pid = reg.backend_pid().unwrap();
    assert_eq!(
        server.sql(
            "postgres",
            &format!("SELECT ssl, version FROM pg_stat_ssl WHERE pid = {pid}")
        ),
        "t|TLSv1.3"
    );
    // Another CA: the server is not believed.
    let other = tempfile::tempdir().unwrap();
    common::openssl_p256_self_signed(other.path(), "other", "/CN=other CA");
    let wrong = format!(
        "{url}?sslmode=require&sslrootcert={}",
        other.path().join("other.pem").display()
    );
    let err = PgRegistry::open(&wrong, OFFICE).unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[test]
fn connection_terminated_mid_transaction_rolls_back_and_the_retry_issues_once() {
    let server = postgres::server();
    let url = postgres::database();
    let mut reg = PgRegistry::create(&url, OFFICE).unwrap();
    issue(&mut reg, "before", None);
    let pid = reg.backend_pid().unwrap();
    let mut terminate = |a: &Assigned| {
        server.sql("postgres", &format!("SELECT pg_terminate_backend({pid})"));
        licence(a)
    };
    let err = reg
        .issue(&request("H"), &mut terminate, Some("BJ-1"), OPERATOR)
        .unwrap_err();
    assert!(matches!(err, RegistryError::Postgres(_)), "{err}");

    // Nothing of it was stored; the next call connects again.
    assert_ne!(reg.backend_pid().unwrap(), pid);
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 1);
    assert_eq!(entries(&reg), 1);
    let retried = issue(&mut reg, "H", Some("BJ-1"));
    assert!(!retried.replayed);
    assert_eq!(retried.record.serial, "20260000002");
    assert!(issue(&mut reg, "H", Some("BJ-1")).replayed);

    // The same in a batch: the database's failure fails the whole batch.
    let pid = reg.backend_pid().unwrap();
    let requests: Vec<IssueRequest> = (0..8).map(|i| request(&format!("B{i}"))).collect();
    let keys: Vec<String> = (0..8).map(|i| format!("BJ-B{i}")).collect();
    let items: Vec<BatchItem<'_>> = requests
        .iter()
        .zip(&keys)
        .map(|(request, key)| BatchItem {
            request,
            idempotency_key: Some(key),
        })
        .collect();
    let err = reg
        .issue_batch(
            &items,
            &mut |i, a| {
                if i == 5 {
                    server.sql("postgres", &format!("SELECT pg_terminate_backend({pid})"));
                }
                licence(a)
            },
            OPERATOR,
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::Postgres(_)), "{err}");
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 2);
    let results = reg
        .issue_batch(&items, &mut |_, a| licence(a), OPERATOR)
        .unwrap();
    assert!(results.iter().all(|r| !r.as_ref().unwrap().replayed));
    let results = reg
        .issue_batch(&items, &mut |_, a| licence(a), OPERATOR)
        .unwrap();
    assert!(results.iter().all(|r| r.as_ref().unwrap().replayed));
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 10);
    assert_eq!(entries(&reg), 10);
}

#[test]
fn a_server_restart_fails_the_issuance_under_way_and_nothing_else() {
    let server = postgres::start();
    let url = server.database();
    let mut reg = PgRegistry::create(&url, OFFICE).unwrap();
    issue(&mut reg, "before", None);

    // Between calls: the dead connection is replaced without a failure.
    server.pg_ctl(&["restart", "-m", "fast"]);
    issue(&mut reg, "after-restart", None);

    // During one: it fails, nothing is half-written, the retry issues once.
    let mut restart = |a: &Assigned| {
        server.pg_ctl(&["restart", "-m", "fast"]);
        licence(a)
    };
    let err = reg
        .issue(&request("H"), &mut restart, Some("BJ-9"), OPERATOR)
        .unwrap_err();
    assert!(matches!(err, RegistryError::Postgres(_)), "{err}");
    assert_eq!(reg.serial_counter(TYPE, 2026).unwrap(), 2);
    assert!(!issue(&mut reg, "H", Some("BJ-9")).replayed);
    assert!(issue(&mut reg, "H", Some("BJ-9")).replayed);
    assert_eq!(entries(&reg), 3);
}

/// The child of [`sigkill_of_an_issuer_mid_batch`]: with [`KILL_URL_ENV`] set, issues
/// batches of 16 forever, printing `batch N` before each and `issued SERIAL` after each
/// commit; without it, does nothing.
#[test]
fn kill_helper() {
    let Ok(url) = std::env::var(KILL_URL_ENV) else {
        return;
    };
    let mut reg = PgRegistry::open(&url, OFFICE).unwrap();
    let mut out = std::io::stdout().lock();
    for n in 0u64.. {
        writeln!(out, "batch {n}").unwrap();
        out.flush().unwrap();
        let (requests, keys) = batch(n);
        let items = items(&requests, &keys);
        let results = reg
            .issue_batch(
                &items,
                &mut |_, a| {
                    // Stay inside the transaction a while, so the kill lands there.
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    licence(a)
                },
                OPERATOR,
            )
            .unwrap();
        for r in results {
            writeln!(out, "issued {}", r.unwrap().record.serial).unwrap();
        }
        out.flush().unwrap();
    }
}

/// Batch `n` of the kill test: 16 requests and their idempotency keys.
fn batch(n: u64) -> (Vec<IssueRequest>, Vec<String>) {
    (0..16)
        .map(|k| (request(&format!("kill-{n}-{k}")), format!("KILL-{n}-{k}")))
        .unzip()
}

fn items<'a>(requests: &'a [IssueRequest], keys: &'a [String]) -> Vec<BatchItem<'a>> {
    requests
        .iter()
        .zip(keys)
        .map(|(request, key)| BatchItem {
            request,
            idempotency_key: Some(key),
        })
        .collect()
}

#[test]
fn sigkill_of_an_issuer_mid_batch() {
    let url = postgres::database();
    let mut reg = PgRegistry::create(&url, OFFICE).unwrap();
    issue(&mut reg, "before", None);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["kill_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env(KILL_URL_ENV, &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reported = Vec::new();
    let mut last_batch = 0;
    let mut line = String::new();
    while reported.len() < 100 {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the child stopped"
        );
        if let Some(serial) = line.trim_end().strip_prefix("issued ") {
            reported.push(serial.to_owned());
        } else if let Some(n) = line.trim_end().strip_prefix("batch ") {
            last_batch = n.parse().unwrap();
        }
    }
    child.kill().unwrap(); // SIGKILL, most likely mid-batch
    assert!(!child.wait().unwrap().success());
    drop(reader);

    // Consistent: every reported licence is there, whole batches only, the chain intact.
    let stored = reg.serial_counter(TYPE, 2026).unwrap();
    assert_eq!(entries(&reg), stored);
    assert_eq!(
        stored % 16,
        1,
        "whole batches of 16 after the first licence"
    );
    for serial in &reported {
        let id = format!("{TYPE}-{serial}-001");
        assert_eq!(reg.history(&id).unwrap().len(), 1, "{serial} lost");
    }

    // The batch the kill interrupted, retried with its keys, issues exactly once.
    let (requests, keys) = batch(last_batch);
    let first = reg
        .issue_batch(&items(&requests, &keys), &mut |_, a| licence(a), OPERATOR)
        .unwrap();
    let replayed = first
        .iter()
        .filter(|r| r.as_ref().unwrap().replayed)
        .count();
    assert!(
        replayed == 0 || replayed == 16,
        "{replayed}: a batch is whole or absent"
    );
    let again = reg
        .issue_batch(&items(&requests, &keys), &mut |_, a| licence(a), OPERATOR)
        .unwrap();
    assert!(again.iter().all(|r| r.as_ref().unwrap().replayed));
    let identifiers: HashSet<String> = again
        .iter()
        .map(|r| r.as_ref().unwrap().record.identifier.clone())
        .collect();
    assert_eq!(identifiers.len(), 16);
    assert_eq!(
        reg.serial_counter(TYPE, 2026).unwrap(),
        stored + if replayed == 0 { 16 } else { 0 }
    );
    println!(
        "kill test: {} reported, {stored} stored, batch {last_batch} retried ({replayed} replayed)",
        reported.len()
    );
}

#[test]
fn a_sqlite_registry_moves_into_the_database_whole_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteRegistry::create(dir.path().join("registry.db")).unwrap();
    sqlite
        .put_template(
            &Template {
                type_code: TYPE.into(),
                name: "营业执照".into(),
                one_active_per_holder: true,
                body: b"{\"name\":\"x\"}".to_vec(),
            },
            OPERATOR,
            AT,
        )
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let key = format!("BJ-{i}");
        ids.push(
            issue(&mut sqlite, &format!("H{i}"), Some(&key))
                .record
                .identifier,
        );
    }
    sqlite
        .set_status(
            &ids[3],
            StatusChange {
                to: LicenceState::Revoked,
                op: OpCode::Terminate,
                reason: Some("fraud"),
                operator: OPERATOR,
                at: AT + 5,
            },
        )
        .unwrap();
    sqlite
        .set_doc_sha256(&ids[4], &[4; 32], OPERATOR, AT + 6)
        .unwrap();
    sqlite.next_serial(TYPE, 2027, OPERATOR).unwrap();

    let url = postgres::database();
    let mut import = PgRegistry::import(&url, OFFICE).unwrap();
    let expected = sqlite.export(&mut |row| import.row(row)).unwrap();
    let mut pg = import.finish(&expected).unwrap();
    assert_eq!(pg.audit_verify().unwrap(), expected);
    assert_eq!(sqlite.audit_verify().unwrap(), expected);
    for id in &ids {
        assert_eq!(pg.licence(id).unwrap(), sqlite.licence(id).unwrap());
        assert_eq!(pg.history(id).unwrap(), sqlite.history(id).unwrap());
    }
    assert_eq!(pg.templates().unwrap(), sqlite.templates().unwrap());
    assert_eq!(
        pg.status_list(LIST).unwrap().as_bytes(),
        sqlite.status_list(LIST).unwrap().as_bytes()
    );
    for year in [2026, 2027] {
        assert_eq!(
            pg.serial_counter(TYPE, year).unwrap(),
            sqlite.serial_counter(TYPE, year).unwrap()
        );
    }
    // The idempotency keys came along; issuing goes on where the file stopped.
    assert!(issue(&mut pg, "H7", Some("BJ-7")).replayed);
    assert_eq!(issue(&mut pg, "new", None).record.serial, "20260000021");

    // Once only.
    let err = PgRegistry::import(&url, OFFICE).err().unwrap();
    assert!(err.to_string().contains("moved only once"), "{err}");

    // A chain that does not come out as expected stores nothing.
    let other = postgres::database();
    let mut import = PgRegistry::import(&other, OFFICE).unwrap();
    sqlite.export(&mut |row| import.row(row)).unwrap();
    let err = import
        .finish(&AuditCheck::Intact {
            entries: 1,
            head: [0; 32],
        })
        .err()
        .unwrap();
    assert!(err.to_string().contains("nothing was stored"), "{err}");
    assert!(matches!(
        PgRegistry::open(&other, OFFICE),
        Err(RegistryError::NotARegistry { .. })
    ));
}
