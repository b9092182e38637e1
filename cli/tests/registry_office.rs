//! An office's registry on the command line when it is lost, cut, damaged or rolled back:
//! only `licence init` creates one, every write first checks the newest signed audit head,
//! `licence audit` finds physical damage and reads an archived copy, `licence export` and
//! an idempotent retry write a licence's files again.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::cli::{OfficeFiles, business_office, code, eseal, ok, p, stderr, strs};
use eseal::licence::sample;
use rusqlite::Connection;

/// The office `d/jl` with the business licence template ([`business_office`]).
fn office(d: &Path) -> PathBuf {
    business_office(d, &[])
}

/// `licence issue` of `sample::business_request(n)` in `jl` with `extra` arguments.
fn issue(d: &Path, jl: &Path, n: u32, extra: &[&str]) -> Output {
    let request = d.join(format!("request-{n}.json"));
    std::fs::write(
        &request,
        serde_json::to_vec(&sample::business_request(n)).unwrap(),
    )
    .unwrap();
    let args = [
        "licence",
        "issue",
        "--office",
        &jl.display().to_string(),
        "--type",
        sample::BUSINESS_TYPE_CODE,
        "--in",
        &request.display().to_string(),
    ]
    .map(String::from);
    let extra = extra.iter().map(|s| s.to_string());
    let all: Vec<String> = args.into_iter().chain(extra).collect();
    eseal(&all.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The identifier and QR text of a successful `licence issue`.
fn issued(out: &Output) -> (String, String) {
    assert_eq!(code(out), 0, "{}", stderr(out));
    printed(out)
}

/// The identifier and QR text `licence issue` printed.
fn printed(out: &Output) -> (String, String) {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let identifier = text.lines().next().unwrap().to_owned();
    let qr = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("QR ("))
        .and_then(|l| l.split_once("): "))
        .map(|(_, qr)| qr.to_owned())
        .unwrap();
    (identifier, qr)
}

/// The licence QR `qr` verified with the CLI against the status list `list`.
fn verify_qr(d: &Path, qr: &str, list: &Path) -> serde_json::Value {
    let out = eseal(&[
        "verify",
        qr,
        "--trust-list",
        &p(d, "trust.cwt"),
        "--status-list",
        &list.display().to_string(),
        "--trust",
        &p(d, "root/ca.pem"),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let indication = report["signatures"][0]["indication"].as_str().unwrap();
    assert_eq!(
        code(&out),
        match indication {
            "TOTAL-PASSED" => 0,
            "INDETERMINATE" => 1,
            _ => 2,
        }
    );
    report
}

fn assert_revoked(d: &Path, qr: &str, list: &Path) {
    let report = verify_qr(d, qr, list);
    assert_eq!(report["signatures"][0]["indication"], "TOTAL-FAILED");
    assert_eq!(
        report["signatures"][0]["reasons"][0]["code"],
        "LICENCE_REVOKED"
    );
}

const RESTORE: &str = "`eseal licence init` sets up a new office, an existing office restores \
                       its registry from a backup";

/// Each way of losing a registry makes issue, revoke and status-list refuse with the
/// exact reason (exit 65), and the published status list still says revoked.
#[test]
fn a_lost_or_rolled_back_registry_signs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jl = office(d);
    let jl_s = jl.display().to_string();
    let registry = jl.join("registry.db");

    // Three licences (one per batch row, idempotency keys), then a copy of the registry.
    let rows: String = (0..3)
        .map(|n| {
            let mut row = serde_json::to_value(sample::business_request(n)).unwrap();
            row["idempotency_key"] = format!("B{n}").into();
            format!("{row}\n")
        })
        .collect();
    std::fs::write(d.join("batch.jsonl"), rows).unwrap();
    let batch = [
        "licence",
        "issue",
        "--office",
        &jl_s,
        "--type",
        sample::BUSINESS_TYPE_CODE,
        "--batch",
        &p(d, "batch.jsonl"),
    ];
    let first = eseal(&batch);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert_eq!(stderr(&first), "eseal: 3 issued, 0 replayed, 0 refused\n");
    let again = eseal(&batch);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(stderr(&again), "eseal: 0 issued, 3 replayed, 0 refused\n");
    let replayed: Vec<serde_json::Value> = String::from_utf8(again.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        replayed.iter().all(|r| r["replayed"] == true),
        "{replayed:?}"
    );
    assert!(
        !jl.join("registry.db-wal").exists(),
        "checkpointed on close"
    );
    std::fs::copy(&registry, d.join("older.db")).unwrap();

    // Two more, one of them revoked, and a status list (which signs the audit head:
    // template 1 + 5 issuances + 1 revocation = 7 entries).
    let (revoked, qr) = issued(&issue(d, &jl, 3, &[]));
    issued(&issue(d, &jl, 4, &[]));
    ok(&[
        "licence", "revoke", "--office", &jl_s, &revoked, "--reason", "吊销",
    ]);
    let list = d.join("status.cwt");
    ok(&[
        "licence",
        "status-list",
        "--office",
        &jl_s,
        "--out",
        &list.display().to_string(),
    ]);
    assert!(jl.join("audit-heads/0000000007.cwt").exists());
    ok(&[
        "licence",
        "trust-list",
        "--key",
        &p(d, "lister.key"),
        "--cert",
        &p(d, "lister.pem"),
        "--issuer",
        "吉林省",
        "--office",
        &jl_s,
        "--seq",
        "1",
        "--out",
        &p(d, "trust.cwt"),
    ]);
    assert_revoked(d, &qr, &list);
    let (valid, _) = issued(&issue(d, &jl, 5, &[]));
    let published = std::fs::read(&list).unwrap();

    type Damage = fn(&Path, &Path);
    let cases: [(&str, Damage, String); 4] = [
        (
            "deleted",
            |_, db| std::fs::remove_file(db).unwrap(),
            format!("NotARegistry: {{db}}: does not exist; {RESTORE}"),
        ),
        (
            "empty",
            |_, db| std::fs::write(db, b"").unwrap(),
            format!("NotARegistry: {{db}}: is empty (0 bytes); {RESTORE}"),
        ),
        (
            "truncated",
            |_, db| {
                let len = std::fs::metadata(db).unwrap().len();
                let file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
                file.set_len(len / 2).unwrap();
            },
            "RegistryDamaged: {db}: database disk image is malformed; `eseal licence audit` \
             shows the damage, restore the registry from a backup"
                .into(),
        ),
        (
            "older",
            |d, db| {
                std::fs::copy(d.join("older.db"), db).unwrap();
            },
            "AuditHeadMismatch: the registry does not hold the 7 audit entries the office \
             signed in {jl}/audit-heads/0000000007.cwt: first bad entry 5; nothing was \
             written: run `eseal licence audit`, then restore the registry from a backup"
                .into(),
        ),
    ];
    for (name, damage, reason) in cases {
        let office = d.join(format!("jl-{name}"));
        common::copy_dir(&jl, &office);
        let db = office.join("registry.db");
        damage(d, &db);
        let office_s = office.display().to_string();
        let expected = format!(
            "eseal: malformed office registry: {}\n",
            reason
                .replace("{db}", &db.display().to_string())
                .replace("{jl}", &office_s)
        );
        let list_copy = d.join(format!("status-{name}.cwt"));
        std::fs::copy(&list, &list_copy).unwrap();
        let attempts: [Output; 4] = [
            issue(d, &office, 6, &[]),
            eseal(&[
                "licence", "revoke", "--office", &office_s, &valid, "--reason", "吊销",
            ]),
            eseal(&[
                "licence", "suspend", "--office", &office_s, &valid, "--reason", "暂扣",
            ]),
            eseal(&[
                "licence",
                "status-list",
                "--office",
                &office_s,
                "--out",
                &list_copy.display().to_string(),
            ]),
        ];
        for out in &attempts {
            assert_eq!(code(out), 65, "{name}: {}", stderr(out));
            assert_eq!(stderr(out), expected, "{name}");
            assert!(out.stdout.is_empty(), "{name}");
        }
        assert_eq!(std::fs::read(&list_copy).unwrap(), published, "{name}");
        assert_revoked(d, &qr, &list_copy);
        match name {
            // Nothing was created in place of the lost registry.
            "deleted" => assert!(!db.exists()),
            "empty" => assert_eq!(std::fs::metadata(&db).unwrap().len(), 0),
            _ => {}
        }
    }

    // `licence init` run again does not make a new registry for an office that signed
    // audit heads.
    let office = d.join("jl-deleted");
    let again = eseal(&strs(&OfficeFiles::in_dir(d).init_args(&office)));
    assert_eq!(code(&again), 65, "{}", stderr(&again));
    assert_eq!(
        stderr(&again),
        format!(
            "eseal: malformed office registry: NotARegistry: {}: is missing or empty, but {} \
             holds audit heads this office signed; {RESTORE}\n",
            office.join("registry.db").display(),
            office.join("audit-heads").display()
        )
    );
    assert!(!office.join("registry.db").exists());

    // The audit names the rolled-back copy's first missing entry.
    let audit = eseal(&["licence", "audit", "--office", &p(d, "jl-older")]);
    assert_eq!(code(&audit), 65);
    assert_eq!(
        String::from_utf8(audit.stdout).unwrap(),
        format!(
            "{}: the database no longer holds what the office signed (entry 5)\n\
             audit log broken at entry 5\n",
            d.join("jl-older/audit-heads/0000000007.cwt").display()
        )
    );
}

/// Flips the last 16 bytes of the root page of `name`: inside its cells, not the file's
/// header.
fn damage_root_page(path: &Path, name: &str) {
    let conn = Connection::open(path).unwrap();
    let (root, page_size): (i64, i64) = conn
        .query_row(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema \
             WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(path).unwrap();
    let end = (root * page_size) as usize;
    for b in &mut bytes[end - 16..end] {
        *b ^= 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// `licence audit` reads an archived copy (read-only files in a read-only folder) without
/// changing it, and reports a damaged page with SQLite's message.
#[test]
fn audit_reads_an_archive_and_finds_physical_damage() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jl = office(d);
    for n in 0..3 {
        issued(&issue(d, &jl, n, &[]));
    }
    ok(&[
        "licence",
        "status-list",
        "--office",
        &jl.display().to_string(),
        "--out",
        &p(d, "status.cwt"),
    ]);

    // The archive: every file 0444, the folders 0555. As root, the audit runs as nobody,
    // for whom the modes hold.
    let archive = d.join("archive");
    common::copy_dir(&jl, &archive);
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    for file in ["office.json", "registry.db"] {
        mode(&archive.join(file), 0o444);
    }
    for head in std::fs::read_dir(archive.join("audit-heads")).unwrap() {
        mode(&head.unwrap().path(), 0o444);
    }
    mode(&archive.join("audit-heads"), 0o555);
    mode(&archive, 0o555);
    mode(d, 0o755);
    for cert in ["licencer.pem", "statuser.pem", "signer.pem"] {
        mode(&d.join(cert), 0o644);
    }
    let before = listing(&archive);
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let mut audit = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_eseal"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_eseal"))
    };
    let out = audit
        .args(["licence", "audit", "--office"])
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("audit log intact: 4 entries, head ")
            && text.ends_with(", 1 signed heads match\n"),
        "{text}"
    );
    assert_eq!(listing(&archive), before, "the archive is unchanged");
    mode(&archive.join("audit-heads"), 0o755);
    mode(&archive, 0o755);

    // A page of the licences' holder index damaged: SQLite's messages, exit 65.
    let db = jl.join("registry.db");
    damage_root_page(&db, "licences_holder");
    let out = eseal(&["licence", "audit", "--office", &jl.display().to_string()]);
    assert_eq!(code(&out), 65, "{}", stderr(&out));
    let db = db.display();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "{db}: row 1 missing from index licences_holder\n\
             registry damaged: restore it from a backup\n"
        )
    );
}

/// `licence export` writes the QR text, the QR image and a sealed PDF or OFD of a licence
/// issued without `--out`; the documents verify.
#[test]
fn export_writes_files_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jl = office(d);
    let jl_s = jl.display().to_string();
    let (identifier, qr) = issued(&issue(d, &jl, 0, &[]));
    let out = d.join("export");
    let out_s = out.display().to_string();
    let printed = ok(&[
        "licence",
        "export",
        "--office",
        &jl_s,
        &identifier,
        "--out",
        &out_s,
    ]);
    assert_eq!(printed, format!("{identifier} → {out_s}\n"));
    let file = |ext: &str| out.join(format!("{identifier}.{ext}"));
    assert_eq!(std::fs::read_to_string(file("qr.txt")).unwrap(), qr);
    let svg = std::fs::read_to_string(file("svg")).unwrap();
    assert!(
        svg.starts_with("<?xml") || svg.starts_with("<svg"),
        "{svg:.40}"
    );
    let verified = ok(&[
        "verify",
        &file("pdf").display().to_string(),
        "--trust",
        &p(d, "root/ca.pem"),
    ]);
    assert!(verified.contains(": TOTAL-PASSED\n"), "{verified}");
    assert!(!file("ofd").exists());

    ok(&[
        "licence",
        "export",
        "--office",
        &jl_s,
        &identifier,
        "--out",
        &out_s,
        "--format",
        "ofd",
    ]);
    let verified = ok(&[
        "verify",
        &file("ofd").display().to_string(),
        "--trust",
        &p(d, "root/ca.pem"),
        "--chain",
        &p(d, "office/ca.pem"),
    ]);
    assert!(verified.contains(": TOTAL-PASSED\n"), "{verified}");
    // The registry records the last document written.
    let shown = ok(&["licence", "show", "--office", &jl_s, &identifier]);
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(file("ofd")).unwrap(),
    ));
    assert!(
        shown.contains(&format!("document:    SHA-256 {sha256}")),
        "{shown}"
    );

    let unknown = eseal(&[
        "licence",
        "export",
        "--office",
        &jl_s,
        "1.2.156.nothing",
        "--out",
        &out_s,
    ]);
    assert_eq!(code(&unknown), 64);
    assert_eq!(
        stderr(&unknown),
        "eseal: invalid request: no licence 1.2.156.nothing in the registry\n"
    );
}

/// A licence committed whose files could not be written: the same request with the same
/// idempotency key returns it (`replayed`, no new serial) and writes the files.
#[test]
fn a_retry_writes_the_files_a_failed_issue_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jl = office(d);
    // A twin of the office, to learn the identifier its next licence gets.
    let twin = d.join("twin");
    common::copy_dir(&jl, &twin);
    let (identifier, _) = issued(&issue(d, &twin, 0, &[]));

    // The PDF's name is taken by a folder: the licence is committed, its PDF is not
    // written.
    let out = d.join("out");
    let pdf = out.join(format!("{identifier}.pdf"));
    std::fs::create_dir_all(&pdf).unwrap();
    let args = [
        "--idempotency-key",
        "JL-1",
        "--out",
        &out.display().to_string(),
    ];
    let failed = issue(d, &jl, 0, &args);
    // An I/O failure: 74 (EX_IOERR).
    assert_eq!(code(&failed), 74, "{}", stderr(&failed));
    assert!(
        stderr(&failed).starts_with(&format!("eseal: {}: ", pdf.display())),
        "{}",
        stderr(&failed)
    );
    let (first, qr) = printed(&failed);
    assert_eq!(first, identifier);
    std::fs::remove_dir(&pdf).unwrap();

    let retry = issue(d, &jl, 0, &args);
    let (again, qr_again) = issued(&retry);
    assert_eq!(again, format!("{identifier} (replayed)"));
    assert_eq!(qr_again, qr);
    assert_eq!(
        std::fs::read_to_string(out.join(format!("{identifier}.qr.txt"))).unwrap(),
        qr
    );
    let verified = ok(&[
        "verify",
        &pdf.display().to_string(),
        "--trust",
        &p(d, "root/ca.pem"),
    ]);
    assert!(verified.contains(": TOTAL-PASSED\n"), "{verified}");
    let shown = ok(&[
        "licence",
        "show",
        "--office",
        &jl.display().to_string(),
        &identifier,
    ]);
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&pdf).unwrap(),
    ));
    assert!(
        shown.contains(&format!("document:    SHA-256 {sha256}")),
        "{shown}"
    );
    // One licence: the retry took no serial.
    let (next, _) = issued(&issue(d, &jl, 1, &[]));
    let serial = |id: &str| -> u64 { id.split('.').rev().nth(2).unwrap().parse().unwrap() };
    assert_eq!(
        serial(&next),
        serial(&identifier) + 1,
        "{identifier} → {next}"
    );
}

/// The library's `OfficeDir` checks before each write, also after writes of its own
/// (which it then checks only from where it left off): an entry forged in between stops
/// the next write.
#[test]
fn office_dir_checks_before_each_write() {
    use eseal::licence::office::OfficeDir;
    use eseal::registry::{LicenceState, OpCode};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jl = office(d);
    let (identifier, _) = issued(&issue(d, &jl, 0, &[]));
    ok(&[
        "licence",
        "status-list",
        "--office",
        &jl.display().to_string(),
        "--out",
        &p(d, "status.cwt"),
    ]);
    assert!(jl.join("audit-heads/0000000002.cwt").exists());

    let mut office = OfficeDir::open(&jl).unwrap();
    let now = eseal::pki::unix_seconds(std::time::SystemTime::now());
    let day = std::time::Duration::from_secs(86_400);
    let suspend = |office: &mut OfficeDir, to, op| {
        office.set_status(&identifier, to, op, "复核", "窗口 01", now)
    };
    assert_eq!(
        suspend(&mut office, LicenceState::Suspended, OpCode::Suspend).unwrap(),
        LicenceState::Valid
    );
    office
        .status_list(None, std::time::SystemTime::now(), day, day)
        .unwrap();

    // Entry 4, appended by someone else with a hash that does not chain.
    let conn = Connection::open(jl.join("registry.db")).unwrap();
    conn.execute(
        "INSERT INTO audit_log (seq, at, operator, action, subject, detail, prev_hash, hash)
         VALUES (4, 0, 'mallory', 'set-status', ?1, '{}', zeroblob(32), zeroblob(32))",
        [&identifier],
    )
    .unwrap();
    drop(conn);
    let refused = |e: eseal::Error| match e {
        eseal::Error::Malformed {
            what: "office registry",
            detail,
        } => detail,
        other => panic!("{other}"),
    };
    let expected = "AuditChainBroken: the registry's audit chain is broken at entry 4; nothing \
                    was written: run `eseal licence audit`, then restore the registry from a \
                    backup";
    assert_eq!(
        refused(suspend(&mut office, LicenceState::Valid, OpCode::Reinstate).unwrap_err()),
        expected
    );
    assert_eq!(
        refused(
            office
                .status_list(None, std::time::SystemTime::now(), day, day)
                .unwrap_err()
        ),
        expected
    );
    assert_eq!(
        office.licence(&identifier).unwrap().unwrap().status,
        LicenceState::Suspended,
        "nothing was written"
    );
    // A fresh open checks against the signed head: the chain breaks past it.
    let office = OfficeDir::open(&jl).unwrap();
    assert_eq!(refused(office.check_signed_head().unwrap_err()), expected);
}
