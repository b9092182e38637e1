//! Licence PDFs per second (LICENCE.md §6): rendering alone beside rendering and sealing
//! (PAdES B-B, P-256 office key, the visible e-seal over the issuer), the font loaded once:
//! `cargo bench --bench licence_pdf` (ESEAL_BENCH_SECONDS sets the time per row, default 3).
//! The goal is at least 50 rendered and sealed licences per second on one core.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use eseal::crypto::Algorithm;
use eseal::licence::compact::{StatusReference, sign_licence};
use eseal::licence::document::{CjkFont, LicenceDocument, render_pdf};
use eseal::licence::sample;

const GOAL: f64 = 50.0;

fn main() {
    let seconds: f64 = std::env::var("ESEAL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    // `cargo test --benches` runs this too; keep that quick.
    let seconds = if std::env::args().any(|a| a == "--bench") {
        seconds
    } else {
        0.05
    };
    let budget = Duration::from_secs_f64(seconds);
    let font = CjkFont::from_env().expect("the CJK font: run scripts/setup.sh");
    let office = common::PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let doc = licence();

    let rendered = render_pdf(&doc, &font).expect("render");
    let mut options = office.options([0.0; 4]);
    options.placement = rendered.seal_placement();
    let sealed = eseal::pdf::seal_pdf(rendered.pdf.clone(), &options).expect("seal");
    println!(
        "licence PDF {} bytes, sealed {} bytes",
        rendered.pdf.len(),
        sealed.len()
    );

    let render = per_second(budget, || {
        black_box(render_pdf(black_box(&doc), &font).expect("render"));
    });
    let render_and_seal = per_second(budget, || {
        let rendered = render_pdf(black_box(&doc), &font).expect("render");
        black_box(eseal::pdf::seal_pdf(rendered.pdf, &options).expect("seal"));
    });
    println!("{:<28} {:>10} {:>10}", "", "docs/s", "ms/doc");
    for (name, rate) in [
        ("render", render),
        ("render + seal (P-256)", render_and_seal),
    ] {
        println!("{name:<28} {rate:>10.1} {:>10.2}", 1000.0 / rate);
    }
    let verdict = if render_and_seal >= GOAL {
        "met"
    } else {
        "NOT met"
    };
    println!("goal ≥ {GOAL} render + seal per second: {verdict}");
}

/// Runs `f` for at least `budget` (and at least 3 times) and returns runs per second.
fn per_second(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < 3 || start.elapsed() < budget {
        f();
        runs += 1;
    }
    f64::from(runs) / start.elapsed().as_secs_f64()
}

/// The sample 营业执照 as issued: its model, template and a signed QR.
fn licence() -> LicenceDocument {
    let template = sample::business_template();
    let office = sample::office();
    let at = eseal::pki::unix_seconds(std::time::SystemTime::now());
    let licence = sample::business_request(0)
        .to_licence(&template, &office, "20260000001", at)
        .expect("the sample request");
    let (key, cert) = common::Hierarchy::new(Algorithm::EcdsaP256Sha256).leaf(
        eseal::pki::Profile::LicenceSigner,
        sample::OFFICE_NAME,
        -1,
        365,
    );
    let status = StatusReference {
        idx: 4711,
        uri: sample::STATUS_LIST_URI.into(),
    };
    let claims = licence
        .claims(&template, office.region, at, status, None)
        .expect("claims");
    let qr = sign_licence(&claims, &key, &cert).expect("signed");
    licence.document(&template, &qr, None)
}
