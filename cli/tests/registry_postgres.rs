//! An office whose registry is in PostgreSQL, on the command line, against a real server
//! (tests/common/postgres.rs): four issuers at once into one office, an office moved from
//! its SQLite file with `licence migrate`, and `eseal serve` issuing through the database.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::cli::{business_office, code, eseal, ok, p, stderr};
use common::postgres;
use eseal::licence::sample;

/// Licences each issuer process issues in the concurrency test.
const PER_PROCESS: u32 = 2_000;

/// Rows the paired processes share (same idempotency key, same request).
const SHARED: u32 = 200;

/// The office `d/jl` with the business licence template ([`business_office`]), its
/// registry at `registry` (a URL) or in its folder (`None`).
fn office(d: &Path, registry: Option<&str>) -> PathBuf {
    match registry {
        Some(url) => business_office(d, &["--registry", url]),
        None => business_office(d, &[]),
    }
}

/// A JSON-lines batch of `sample::business_request(n)` for each `n`, keyed `K{n}`.
fn batch(path: &Path, ns: impl Iterator<Item = u32>) {
    let rows: String = ns
        .map(|n| {
            let mut row = serde_json::to_value(sample::business_request(n)).unwrap();
            row["idempotency_key"] = format!("K{n}").into();
            format!("{row}\n")
        })
        .collect();
    std::fs::write(path, rows).unwrap();
}

fn issue_batch_command(jl: &Path, batch: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eseal"));
    command
        .args(["licence", "issue", "--office"])
        .arg(jl)
        .args(["--type", sample::BUSINESS_TYPE_CODE, "--batch"])
        .arg(batch)
        .stdin(Stdio::null());
    command
}

/// The psql output of `sql` in the database of `url`.
fn sql(url: &str, sql: &str) -> String {
    postgres::server().sql(url.rsplit('/').next().unwrap(), sql)
}

/// Four processes issue 2,000 licences each into one office at the same time; processes
/// 0 and 1 share 200 rows (same key, same request), and so do 2 and 3.
#[test]
fn four_issuers_at_once_into_one_office() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = postgres::database();
    let jl = office(d, Some(&url));
    // Processes issue n in [0, 2000), [1800, 3800), [4000, 6000), [5800, 7800).
    let start = |k: u32| (k / 2) * 2 * PER_PROCESS + (k % 2) * (PER_PROCESS - SHARED);
    let children: Vec<_> = (0..4)
        .map(|k| {
            let path = d.join(format!("batch-{k}.jsonl"));
            batch(&path, start(k)..start(k) + PER_PROCESS);
            issue_batch_command(&jl, &path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();

    let mut by_key: HashMap<String, HashSet<String>> = HashMap::new();
    let mut replayed = 0;
    for (k, out) in outputs.iter().enumerate() {
        assert_eq!(code(out), 0, "issuer {k}: {}", stderr(out));
        let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), PER_PROCESS as usize);
        for (i, row) in rows.iter().enumerate() {
            let n = start(k as u32) + i as u32;
            let identifier = row["identifier"].as_str().expect("issued").to_owned();
            replayed += usize::from(row["replayed"] == true);
            by_key
                .entry(format!("K{n}"))
                .or_default()
                .insert(identifier);
        }
    }
    let unique = 4 * PER_PROCESS - 2 * SHARED;
    assert_eq!(by_key.len(), unique as usize);
    assert!(
        by_key.values().all(|ids| ids.len() == 1),
        "a key got two licences"
    );
    assert_eq!(
        replayed,
        2 * SHARED as usize,
        "each shared row replayed once"
    );
    let identifiers: HashSet<&String> = by_key.values().flatten().collect();
    assert_eq!(identifiers.len(), unique as usize);

    // In the database: no serial reused, none spent on a replay, one key per licence.
    assert_eq!(
        sql(
            &url,
            "SELECT count(*), count(DISTINCT serial), count(DISTINCT identifier),
                    count(DISTINCT list_idx) FROM eseal.licences"
        ),
        format!("{unique}|{unique}|{unique}|{unique}")
    );
    assert_eq!(
        sql(&url, "SELECT last FROM eseal.serial_counters"),
        unique.to_string()
    );
    assert_eq!(
        sql(&url, "SELECT count(*) FROM eseal.idempotency"),
        unique.to_string()
    );
    let audit = ok(&["licence", "audit", "--office", &jl.display().to_string()]);
    assert!(
        audit.starts_with(&format!("audit log intact: {} entries, head ", unique + 1)),
        "{audit}"
    );
}

#[test]
fn an_office_moves_to_postgresql_once_and_keeps_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let jl = office(d, None);
    let jl_s = jl.display().to_string();
    batch(&d.join("first.jsonl"), 0..5);
    let first = issue_batch_command(&jl, &d.join("first.jsonl"))
        .output()
        .unwrap();
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let revoked = String::from_utf8(first.stdout).unwrap();
    let revoked: serde_json::Value = serde_json::from_str(revoked.lines().next().unwrap()).unwrap();
    let revoked = revoked["identifier"].as_str().unwrap().to_owned();
    ok(&[
        "licence", "revoke", "--office", &jl_s, &revoked, "--reason", "吊销",
    ]);
    // A status list signs the audit head: template 1 + 5 issuances + 1 revocation.
    ok(&[
        "licence",
        "status-list",
        "--office",
        &jl_s,
        "--out",
        &p(d, "before.cwt"),
    ]);
    assert!(jl.join("audit-heads/0000000007.cwt").exists());

    let url = postgres::database();
    let moved = ok(&["licence", "migrate", "--office", &jl_s, "--to", &url]);
    assert!(
        moved.starts_with("registry moved: 26 rows, audit log 7 entries with head "),
        "{moved}"
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(jl.join("office.json")).unwrap()).unwrap();
    assert_eq!(config["registry"], url.as_str());

    // The signed head matches the database; the office goes on where it stopped.
    let audit = ok(&["licence", "audit", "--office", &jl_s]);
    assert!(audit.starts_with("audit log intact: 7 entries"), "{audit}");
    assert!(audit.ends_with("1 signed heads match\n"), "{audit}");
    batch(&d.join("again.jsonl"), 0..6);
    let again = issue_batch_command(&jl, &d.join("again.jsonl"))
        .output()
        .unwrap();
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(stderr(&again), "eseal: 1 issued, 5 replayed, 0 refused\n");
    assert_eq!(
        sql(
            &url,
            "SELECT count(DISTINCT serial), max(right(serial, 7)) FROM eseal.licences"
        ),
        "6|0000006"
    );
    let show = ok(&["licence", "show", "--office", &jl_s, &revoked]);
    assert!(show.contains("status:      07"), "{show}");
    ok(&[
        "licence",
        "status-list",
        "--office",
        &jl_s,
        "--out",
        &p(d, "after.cwt"),
    ]);

    // Once: office.json names the database now, and the database holds the office.
    let twice = eseal(&["licence", "migrate", "--office", &jl_s, "--to", &url]);
    assert_eq!(code(&twice), 64);
    assert_eq!(
        stderr(&twice),
        format!(
            "eseal: invalid request: the office's registry is already in {url}; an office moves once\n"
        )
    );
    // office.json put back: the file left behind is older than what the office signed
    // since (the head of the list after the move), so nothing moves.
    let mut restored = config.clone();
    restored.as_object_mut().unwrap().remove("registry");
    std::fs::write(
        jl.join("office.json"),
        serde_json::to_vec_pretty(&restored).unwrap(),
    )
    .unwrap();
    let twice = eseal(&["licence", "migrate", "--office", &jl_s, "--to", &url]);
    assert_eq!(code(&twice), 65);
    assert!(
        stderr(&twice)
            .contains("AuditHeadMismatch: the registry does not hold the 8 audit entries"),
        "{}",
        stderr(&twice)
    );
}

#[test]
fn a_database_that_is_down_stops_the_office_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = postgres::database();
    let jl = office(d, Some(&url));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = format!("postgresql://eseal:pw@127.0.0.1:{port}/registry");
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(["licence", "audit", "--office"])
        .arg(&jl)
        .env("ESEAL_REGISTRY_URL", &down)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "eseal: RegistryUnavailable: cannot reach the registry database \
             postgresql://eseal@127.0.0.1:{port}/registry: "
        )),
        "{err}"
    );
    assert!(!err.contains("pw@"), "{err}");
    assert_eq!(code(&out), 69, "EX_UNAVAILABLE");
}
