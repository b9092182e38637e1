//! Licence issuance into the registry on PostgreSQL with 1, 2, 4 and 8 concurrent
//! issuers (each a connection of its own, one office, one licence type, batches of
//! [`BATCH`] per transaction as `eseal licence issue --batch` does) and with 8 issuers for
//! 8 offices in one database, beside one issuer on a SQLite file, and the space each
//! licence takes on disk in both:
//! `cargo bench --bench registry_backends` (ESEAL_BENCH_LICENCES sets the count per run,
//! default 8,192). The server is a private one on this machine (tests/common/postgres.rs,
//! `fsync` and `synchronous_commit` on, PostgreSQL's defaults otherwise), so the figures
//! hold for a database on the issuer's machine; read the ratios, the machine is shared.

#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use std::time::Instant;

use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::issue::{self, BatchRequest, IssuingOffice};
use eseal::licence::sample;
use eseal::pki::{self, Certificate, DistinguishedName, Validity};
use eseal::registry::{PgRegistry, Registry, SqliteRegistry};

/// Licences per registry transaction.
const BATCH: usize = 256;

/// 2026-03-02T10:00:00+08:00.
const AT: i64 = 1_772_416_800;

/// The issuing side every issuer shares: a key, its certificate, the template.
struct Issuer {
    key: SoftwareKey,
    cert: Certificate,
}

impl Issuer {
    fn office(&self) -> IssuingOffice<'_> {
        IssuingOffice {
            identity: sample::office(),
            signer: &self.key,
            certificate: &self.cert,
            status_list_uri: sample::STATUS_LIST_URI.to_owned(),
        }
    }

    /// Issues `requests` into `registry` in batches; panics on any refusal.
    fn issue_all(&self, registry: &mut dyn Registry, requests: &[BatchRequest]) {
        let template = sample::business_template();
        let office = self.office();
        for chunk in requests.chunks(BATCH) {
            for result in
                issue::issue_batch(registry, &office, &template, chunk, "bench", AT).expect("batch")
            {
                result.expect("issued");
            }
        }
    }
}

fn requests(from: u32, count: usize) -> Vec<BatchRequest> {
    (from..from + count as u32)
        .map(|n| BatchRequest {
            request: sample::business_request(n),
            idempotency_key: Some(format!("bench-{n}")),
        })
        .collect()
}

fn main() {
    let count: usize = std::env::var("ESEAL_BENCH_LICENCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8_192);
    let count = if std::env::args().any(|a| a == "--bench") {
        count
    } else {
        2 * BATCH
    };
    let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).expect("key");
    let name = DistinguishedName::common_name("吉林省市场监督管理厅");
    let cert = pki::issue_root(&name, Validity::days_from_now(365), &key).expect("certificate");
    let issuer = Issuer { key, cert };
    let code = sample::office().code.to_string();
    let template = sample::business_template().registry_template();

    // SQLite: one issuer, the file on the working directory's disk.
    let dir = tempfile::tempdir_in(".").expect("a directory for the registry");
    let path = dir.path().join("registry.db");
    let mut sqlite = SqliteRegistry::create(&path).expect("registry");
    sqlite
        .put_template(&template, "bench", AT)
        .expect("template");
    let start = Instant::now();
    issuer.issue_all(&mut sqlite, &requests(0, count));
    let sqlite_rate = count as f64 / start.elapsed().as_secs_f64();
    drop(sqlite);
    let sqlite_bytes = std::fs::metadata(&path).expect("registry file").len();

    let server = postgres::start();
    println!(
        "licence issuance, ES256, {count} licences per run, batches of {BATCH}, one office \
         and type, registry on this machine's disk ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "  SQLite,     {:<20} {sqlite_rate:>8.0} licences/s   1.00×",
        "1 issuer, 1 office"
    );
    let mut pg_bytes = 0.0;
    for (issuers, offices) in [(1usize, 1usize), (2, 1), (4, 1), (8, 1), (8, 8)] {
        let url = server.database();
        let codes: Vec<String> = (0..offices)
            .map(|o| {
                if o == 0 {
                    code.clone()
                } else {
                    format!("{code}-{o}")
                }
            })
            .collect();
        for code in &codes {
            let mut registry = PgRegistry::create(&url, code).expect("registry");
            registry
                .put_template(&template, "bench", AT)
                .expect("template");
        }
        let per = count / issuers;
        let start = Instant::now();
        std::thread::scope(|scope| {
            for i in 0..issuers {
                let (url, code, issuer) = (&url, &codes[i % offices], &issuer);
                scope.spawn(move || {
                    let mut registry = PgRegistry::open(url, code).expect("registry");
                    issuer.issue_all(&mut registry, &requests((i * per) as u32, per));
                });
            }
        });
        let rate = (per * issuers) as f64 / start.elapsed().as_secs_f64();
        let who = format!(
            "{issuers} issuer{}, {offices} office{}",
            if issuers == 1 { "" } else { "s" },
            if offices == 1 { "" } else { "s" }
        );
        println!(
            "  PostgreSQL, {who:<20} {rate:>8.0} licences/s   {:.2}×",
            rate / sqlite_rate
        );
        let db = url.rsplit('/').next().expect("a database name");
        let bytes: f64 = server
            .sql(
                db,
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'eseal' AND c.relkind = 'r'",
            )
            .parse()
            .expect("a size");
        if offices == 1 {
            pg_bytes = bytes / (per * issuers) as f64;
        }
    }
    println!(
        "  on disk per licence: SQLite {:.0} B (the file), PostgreSQL {pg_bytes:.0} B \
         (tables, indexes and TOAST of the eseal schema)",
        sqlite_bytes as f64 / count as f64
    );
}
