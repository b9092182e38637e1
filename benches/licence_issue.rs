//! Batch issuance of licence QR credentials with registry writes (LICENCE.md §7, §9):
//! `cargo bench --bench licence_issue` (ESEAL_BENCH_LICENCES sets the count, default
//! 10,000). The registry is a SQLite file on disk (WAL, `synchronous=FULL`), in batches
//! of [`BATCH`] per transaction as `eseal licence issue --batch` does, beside one
//! transaction per licence and beside bare ES256 signing of the same claims.
//! Read the ratios; the machine is shared.

use std::time::Instant;

use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::licence::issue::{self, BatchRequest, IssuingOffice};
use eseal::licence::sample;
use eseal::pki::{self, DistinguishedName, Validity};
use eseal::registry::SqliteRegistry;

/// Licences per registry transaction.
const BATCH: usize = 256;

/// 2026-03-02T10:00:00+08:00.
const AT: i64 = 1_772_416_800;

fn main() {
    let count: usize = std::env::var("ESEAL_BENCH_LICENCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let count = if std::env::args().any(|a| a == "--bench") {
        count
    } else {
        BATCH
    };
    let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).expect("key");
    let name = DistinguishedName::common_name("吉林省市场监督管理厅");
    let cert = pki::issue_root(&name, Validity::days_from_now(365), &key).expect("certificate");
    let office = IssuingOffice {
        identity: sample::office(),
        signer: &key,
        certificate: &cert,
        status_list_uri: sample::STATUS_LIST_URI.to_owned(),
    };
    let template = sample::business_template();
    let requests: Vec<BatchRequest> = (0..count as u32)
        .map(|n| BatchRequest {
            request: sample::business_request(n),
            idempotency_key: Some(format!("bench-{n}")),
        })
        .collect();
    // On the working directory's disk: /tmp may be memory, where fsync costs nothing.
    let dir = tempfile::tempdir_in(".").expect("a directory for the registry");

    let mut registry = SqliteRegistry::create(dir.path().join("batch.db")).expect("registry");
    let start = Instant::now();
    for chunk in requests.chunks(BATCH) {
        for result in issue::issue_batch(&mut registry, &office, &template, chunk, "bench", AT)
            .expect("batch")
        {
            result.expect("issued");
        }
    }
    let batched = count as f64 / start.elapsed().as_secs_f64();

    let single_count = (count / 10).max(1);
    let mut registry = SqliteRegistry::create(dir.path().join("single.db")).expect("registry");
    let start = Instant::now();
    for r in &requests[..single_count] {
        let key = r.idempotency_key.as_deref();
        issue::issue(
            &mut registry,
            &office,
            &template,
            &r.request,
            key,
            "bench",
            AT,
        )
        .expect("issued");
    }
    let single = single_count as f64 / start.elapsed().as_secs_f64();

    let licence = requests[0]
        .request
        .to_licence(&template, &office.identity, "20260000001", AT)
        .expect("licence");
    let status = eseal::licence::compact::StatusReference {
        idx: 104_857,
        uri: sample::STATUS_LIST_URI.to_owned(),
    };
    let payload = licence
        .claims(&template, office.identity.region, AT, status, None)
        .expect("claims")
        .to_cbor()
        .expect("cbor");
    let start = Instant::now();
    for _ in 0..count {
        std::hint::black_box(key.sign(&payload).expect("sign"));
    }
    let signing = count as f64 / start.elapsed().as_secs_f64();

    println!("licence issuance, ES256, {count} licences, registry on disk (synchronous=FULL)");
    println!("  batch of {BATCH} per transaction   {batched:>9.0} licences/s");
    println!("  one transaction per licence  {single:>9.0} licences/s");
    println!("  bare ES256 signing           {signing:>9.0} signatures/s");
    println!(
        "  batch / bare signing: {:.2}× the time per licence",
        signing / batched
    );
}
