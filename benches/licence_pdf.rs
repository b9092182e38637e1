//! Licence PDFs per second (LICENCE.md §6): rendering alone beside rendering and sealing
//! (PAdES B-B, P-256 office key, the visible e-seal over the issuer), the font loaded once:
//! `cargo bench --bench licence_pdf` (ESEAL_BENCH_SECONDS sets the time per row, default 3).
//! The goal is at least 50 rendered and sealed licences per second on one core.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use eseal::crypto::Algorithm;
use eseal::licence::document::{CjkFont, LicenceDocument, render_pdf};

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

/// A 营业执照 with a long 经营范围 and a 580-character QR text.
fn licence() -> LicenceDocument {
    let rows = [
        ("统一社会信用代码", "91110108MA01ABCD2X"),
        ("名称", "北京某某科技有限公司"),
        ("类型", "有限责任公司（自然人投资或控股）"),
        ("法定代表人", "张三"),
        ("注册资本", "人民币壹仟万元整"),
        ("成立日期", "2020年05月18日"),
        ("营业期限", "2020年05月18日 至 长期"),
        ("住所", "北京市海淀区中关村大街1号某某大厦10层1001室"),
        (
            "经营范围",
            "技术开发、技术咨询、技术交流、技术转让、技术推广、技术服务；软件开发；\
             信息系统集成服务；数据处理和存储支持服务；计算机系统服务；电子产品销售；\
             计算机软硬件及辅助设备零售；通讯设备销售；办公设备销售；会议及展览服务；\
             企业管理咨询；货物进出口；技术进出口；进出口代理。\
             （除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        ),
        ("登记机关", "北京市海淀区市场监督管理局"),
        ("有效期至", "长期"),
    ];
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let qr: String = (0..576u32)
        .map(|i| char::from(alphabet[(i.wrapping_mul(2_654_435_761) >> 7) as usize % 45]))
        .collect();
    LicenceDocument {
        title: "营业执照".into(),
        number: Some("110108000202605180001".into()),
        fields: rows
            .iter()
            .map(|(label, value)| ((*label).into(), (*value).into()))
            .collect(),
        issuer_name: "北京市海淀区市场监督管理局".into(),
        issue_date: "2026年01月01日".into(),
        identifier: "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F".into(),
        qr: format!("ZZ1:{qr}"),
        verification_code: Some("7K3M-Q9XD".into()),
    }
}
