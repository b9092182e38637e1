//! Chain validation with the office CA's CRL added once beside the same CRL added 10,000
//! times, in one run: `cargo bench --bench crl_store` (set ESEAL_BENCH_SECONDS to spend
//! more). The store holds the newest CRL per issuer and scope once, so the ratio stays
//! near 1; it fails above 1.1.

use std::time::{Duration, Instant, SystemTime};

use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::pki::{self, DistinguishedName, Profile, TrustStore, Usage, Validity};

const READDITIONS: usize = 10_000;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let seconds: f64 = std::env::var("ESEAL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    // `cargo test --benches` runs this too; keep that quick.
    let seconds = if bench { seconds } else { 0.05 };

    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let validity = Validity {
        not_before: now - day,
        not_after: now + 365 * day,
    };
    let key = || SoftwareKey::generate(Algorithm::EcdsaP256Sha256).expect("key");
    let (root_key, ca_key, leaf_key) = (key(), key(), key());
    let root = pki::issue_root(
        &DistinguishedName::common_name("Bench Root"),
        validity,
        &root_key,
    )
    .expect("root");
    let ca = pki::issue(
        Profile::OfficeCa,
        &DistinguishedName::common_name("Bench Office CA"),
        ca_key.public_key_spki(),
        validity,
        &root,
        &root_key,
    )
    .expect("office CA");
    let leaf = pki::issue(
        Profile::Signer,
        &DistinguishedName::common_name("Bench Signer"),
        leaf_key.public_key_spki(),
        validity,
        &ca,
        &ca_key,
    )
    .expect("leaf");
    let crl = |cert, signer: &SoftwareKey| {
        pki::issue_crl(
            cert,
            signer,
            1,
            now - Duration::from_secs(60),
            now + 7 * day,
            &[],
        )
        .expect("CRL")
    };
    let (ca_crl, root_crl) = (crl(&ca, &ca_key), crl(&root, &root_key));

    let mut base = TrustStore::new();
    base.add_anchor(root).expect("anchor");
    base.add_intermediate(ca);
    base.add_crl(root_crl);
    let mut once = base.clone();
    once.add_crl(ca_crl.clone());
    let mut many = base;
    let started = Instant::now();
    for _ in 0..READDITIONS {
        many.add_crl(ca_crl.clone());
    }
    let adding = started.elapsed();
    for store in [&once, &many] {
        let result = store.validate(&leaf, &[], now, Usage::Signer);
        assert!(result.is_valid(), "{:?}", result.reasons);
    }

    // Rounds alternate between the two stores; the median ratio is reported.
    let validate = |store: &TrustStore, n: u32| {
        let started = Instant::now();
        for _ in 0..n {
            std::hint::black_box(store.validate(&leaf, &[], now, Usage::Signer));
        }
        started.elapsed().as_secs_f64() / f64::from(n)
    };
    let per_op = validate(&once, 20);
    let rounds = 11;
    let n = ((seconds / 2.0 / rounds as f64 / per_op) as u32).max(5);
    let mut samples: Vec<(f64, f64)> = (0..rounds)
        .map(|_| (validate(&once, n), validate(&many, n)))
        .collect();
    samples.sort_by(|a, b| (a.1 / a.0).total_cmp(&(b.1 / b.0)));
    let (t_once, t_many) = samples[rounds / 2];
    let ratio = t_many / t_once;
    println!(
        "chain validation (P-256, root → office CA → signer, CRLs of both):\n  \
         CRL added once            {:>9.1} µs/op\n  \
         same CRL added {READDITIONS} times {:>9.1} µs/op  ({:.1} ms to add them; {} CRLs held)\n  \
         ratio                     {ratio:>9.3}",
        t_once * 1e6,
        t_many * 1e6,
        adding.as_secs_f64() * 1e3,
        many.crls().count(),
    );
    assert_eq!(many.crls().count(), 2, "one CRL per issuer");
    if bench {
        assert!(ratio <= 1.1, "the ratio {ratio:.3} is above 1.1");
    }
}
