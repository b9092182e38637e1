//! The printed licence (LICENCE.md §6): a 营业执照 rendered as a PDF with the installed
//! Droid Sans Fallback font (`ESEAL_CJK_FONT`, else the fonts-droid-fallback path), checked
//! by qpdf and poppler's pdftotext, by eseal's own text search, then sealed and verified.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use common::PdfOffice;
use eseal::Error;
use eseal::crypto::Algorithm;
use eseal::licence::compact::qr_code;
use eseal::licence::document::{CjkFont, LicenceDocument, RenderedLicence, render_pdf};
use eseal::pdf::text::{KeywordHit, find_keyword};
use eseal::pdf::{Document, Object, seal_pdf, verify_pdf};
use eseal::report::Indication;

const MM: f64 = 72.0 / 25.4;

const SCOPE: &str = "技术开发、技术咨询、技术交流、技术转让、技术推广、技术服务；软件开发；\
    信息系统集成服务；数据处理和存储支持服务；计算机系统服务；人工智能应用软件开发；\
    网络与信息安全软件开发；电子产品销售；计算机软硬件及辅助设备零售；通讯设备销售；\
    办公设备销售；会议及展览服务；企业管理咨询；广告设计、代理；广告制作；广告发布；\
    市场营销策划；组织文化艺术交流活动；货物进出口；技术进出口；进出口代理。\
    （除依法须经批准的项目外，凭营业执照依法自主开展经营活动）";

const ISSUER: &str = "北京市海淀区市场监督管理局";

/// A ~580-character QR text of Base45 characters, the same every time.
fn qr_text() -> String {
    common::qr_text(0x2545_F491, 576)
}

fn business_licence() -> LicenceDocument {
    let rows = [
        ("统一社会信用代码", "91110108MA01ABCD2X"),
        ("名称", "北京某某科技有限公司"),
        ("类型", "有限责任公司（自然人投资或控股）"),
        ("法定代表人", "张三"),
        ("注册资本", "人民币壹仟万元整"),
        ("成立日期", "2020年05月18日"),
        ("营业期限", "2020年05月18日 至 长期"),
        ("住所", "北京市海淀区中关村大街1号某某大厦10层1001室"),
        ("经营范围", SCOPE),
        ("登记机关", ISSUER),
        ("有效期至", "长期"),
    ];
    LicenceDocument {
        title: "营业执照".into(),
        number: Some("110108000202605180001".into()),
        fields: rows
            .iter()
            .map(|(label, value)| ((*label).into(), (*value).into()))
            .collect(),
        issuer_name: ISSUER.into(),
        issue_date: "2026年01月01日".into(),
        identifier: "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F".into(),
        qr: qr_text(),
        verification_code: Some("7K3M-Q9XD".into()),
    }
}

fn rendered() -> RenderedLicence {
    render_pdf(&business_licence(), &common::cjk_font()).unwrap()
}

/// Runs a tool the setup script installs; a missing tool fails the test.
fn run(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} not runnable ({e}): run scripts/setup.sh"))
}

fn search(pdf: &[u8], keyword: &str, occurrence: usize) -> eseal::Result<KeywordHit> {
    let doc = Document::parse(pdf)?;
    let rev = doc.latest();
    let pages = doc.pages(rev)?;
    find_keyword(&doc, rev, &pages, keyword, occurrence)
}

/// The decoded content stream of page 1.
fn page_content(pdf: &[u8]) -> String {
    let doc = Document::parse(pdf).unwrap();
    let rev = doc.latest();
    let page = doc.pages(rev).unwrap()[0];
    let Object::Dict(page) = doc.get(page, rev).unwrap() else {
        panic!("page is not a dictionary");
    };
    let contents = doc.resolve(page.get(b"Contents").unwrap(), rev).unwrap();
    let Object::Stream(stream) = contents else {
        panic!("/Contents is not a stream: {contents:?}");
    };
    String::from_utf8_lossy(&eseal::pdf::filter::decode(&stream).unwrap()).into_owned()
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let font = common::cjk_font();
    let first = render_pdf(&business_licence(), &font).unwrap();
    let second = render_pdf(&business_licence(), &font).unwrap();
    assert!(first.pdf.starts_with(b"%PDF-"));
    assert_eq!(first, second);
    let mut other = business_licence();
    other.issue_date = "2026年01月02日".into();
    assert_ne!(render_pdf(&other, &font).unwrap().pdf, first.pdf);
    eprintln!("licence PDF: {} bytes", first.pdf.len());
}

#[test]
fn the_font_is_an_identity_h_subset_with_to_unicode() {
    let pdf = rendered().pdf;
    let text = String::from_utf8_lossy(&pdf);
    for needle in [
        "/Subtype /Type0",
        "/Encoding /Identity-H",
        "/ToUnicode",
        "/Subtype /CIDFontType2",
        "/FontFile2",
        "/CIDToGIDMap /Identity",
    ] {
        assert!(text.contains(needle), "no {needle} in the PDF");
    }
    let base_font = text
        .split("/BaseFont /")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    let (tag, name) = base_font.split_once('+').unwrap();
    assert!(tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()));
    assert_eq!(name, "DroidSansFallback");
    assert!(
        pdf.len() < 400_000,
        "{} bytes: the 4 MB font is not subset",
        pdf.len()
    );
    assert!(!text.contains("CreationDate") && !text.contains("ModDate"));
}

#[test]
fn qpdf_finds_no_errors_and_pdftotext_reads_the_chinese_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("licence.pdf");
    std::fs::write(&file, rendered().pdf).unwrap();
    let path = file.to_str().unwrap();

    let check = run("qpdf", &["--check", path]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "qpdf --check: {report}");
    assert!(
        report.contains("No syntax or stream encoding errors found"),
        "{report}"
    );

    let out = run("pdftotext", &["-enc", "UTF-8", path, "-"]);
    assert!(out.status.success());
    let text: String = String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for wanted in [
        "营业执照",
        "北京某某科技有限公司",
        ISSUER,
        "编号：110108000202605180001",
        "2026年01月01日",
        "核验码：7K3M-Q9XD",
        "91110108MA01ABCD2X",
        "证照标识：1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
    ] {
        assert!(text.contains(wanted), "pdftotext lacks {wanted:?}: {text}");
    }
}

#[test]
fn eseal_finds_the_text_where_the_layout_put_it() {
    let licence = rendered();
    let [sx1, sy1, sx2, sy2] = licence.seal_rect.map(f64::from);
    // The first occurrence is the 登记机关 row.
    let issuer = search(&licence.pdf, ISSUER, 1).unwrap();
    let date = search(&licence.pdf, "2026年01月01日", 0).unwrap();
    for hit in [&issuer, &date] {
        let [x1, y1, x2, y2] = hit.rect;
        assert_eq!(hit.page, 0);
        assert!(
            ((x1 + x2) / 2.0 - (sx1 + sx2) / 2.0).abs() < 2.5 && y1 >= sy1 && y2 <= sy2,
            "{:?} not under the seal {:?}",
            hit.rect,
            licence.seal_rect
        );
    }
    assert!((sx2 - sx1 - 42.0 * MM).abs() < 0.1 && (sy2 - sy1 - 42.0 * MM).abs() < 0.1);
    assert!(sx2 <= 595.276 - 20.0 * MM && sy1 >= 20.0 * MM);

    let title = search(&licence.pdf, "营业执照", 0).unwrap();
    let centre = (title.rect[0] + title.rect[2]) / 2.0;
    assert!(
        (centre - 595.276 / 2.0).abs() < 1.0,
        "title at {:?}",
        title.rect
    );
    assert!(title.rect[1] > 700.0);

    // Droid Sans Fallback has no ASCII: the fullwidth forms are set at 60 % (0.6 em each).
    let code = search(&licence.pdf, "91110108MA01ABCD2X", 0).unwrap();
    let width = code.rect[2] - code.rect[0];
    assert!((width - 18.0 * 0.6 * 12.0).abs() < 0.5, "{:?}", code.rect);

    let scope = search(&licence.pdf, SCOPE, 0).unwrap();
    let [x1, y1, x2, y2] = scope.rect;
    assert!(
        y2 - y1 > 4.0 * 18.0,
        "经营范围 not wrapped: {:?}",
        scope.rect
    );
    assert!(
        x1 >= 20.0 * MM && x2 <= 595.276 - 20.0 * MM,
        "{:?}",
        scope.rect
    );
    assert!(
        y1 > 70.0 * MM,
        "经营范围 runs into the seal: {:?}",
        scope.rect
    );
}

#[test]
fn the_qr_code_is_drawn_as_merged_runs_of_dark_modules() {
    let qr = qr_code(&qr_text()).unwrap();
    assert_eq!(qr.error_correction_level(), qrcode::EcLevel::Q);
    let n = qr.width();
    let mut expected = Vec::new();
    for row in 0..n {
        let mut column = 0;
        while column < n {
            let start = column;
            while column < n && qr[(column, row)] == qrcode::Color::Dark {
                column += 1;
            }
            if column > start {
                expected.push(format!("{start} {row} {} 1 re", column - start));
            }
            column += 1;
        }
    }

    let content = page_content(&rendered().pdf);
    let lines: Vec<&str> = content.lines().collect();
    let cm = lines
        .iter()
        .position(|l| l.ends_with(" cm"))
        .expect("the QR code's module grid");
    let matrix: Vec<f64> = lines[cm]
        .split_whitespace()
        .take(6)
        .map(|v| v.parse().unwrap())
        .collect();
    let module = matrix[0];
    assert_eq!(matrix[3], -module, "square modules, rows top down");
    let width_mm = module * n as f64 / MM;
    assert!(width_mm >= 35.0, "QR code {width_mm:.1} mm wide");
    let drawn: Vec<&str> = lines[cm + 1..]
        .iter()
        .take_while(|l| l.ends_with(" re"))
        .copied()
        .collect();
    assert_eq!(drawn, expected);
    assert_eq!(lines[cm + 1 + drawn.len()], "f");
    let dark = qr
        .to_colors()
        .iter()
        .filter(|&&c| c == qrcode::Color::Dark)
        .count();
    assert!(drawn.len() < dark / 2, "runs are not merged");
}

#[test]
fn the_rendered_licence_seals_and_verifies_at_the_seal_rectangle() {
    let licence = rendered();
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let mut options = office.options([0.0; 4]);
    options.placement = licence.seal_placement();
    let sealed = seal_pdf(licence.pdf.clone(), &options).unwrap();
    assert_eq!(&sealed[..licence.pdf.len()], &licence.pdf[..]);

    let report = verify_pdf(&sealed, &office.hierarchy.store(), SystemTime::now()).unwrap();
    assert_eq!(report.signatures.len(), 1);
    let s = &report.signatures[0];
    assert_eq!(s.indication, Indication::TotalPassed, "{:?}", s.reasons);
    assert_eq!(s.coverage.map(|c| c.as_str()), Some("ENTIRE_FILE"));

    let text = String::from_utf8_lossy(&sealed[licence.pdf.len()..]);
    let rect = licence.seal_rect.map(|v| format!("{v:.2}"));
    let widget = text.split("/Rect").nth(1).expect("a widget /Rect");
    let numbers: Vec<String> = widget
        .trim_start()
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| format!("{:.2}", v.parse::<f64>().unwrap()))
        .collect();
    assert_eq!(numbers, rect, "the widget is not at seal_rect");
    assert!(search(&sealed, ISSUER, 1).is_ok());
}

#[test]
fn a_character_the_font_lacks_is_named() {
    let mut doc = business_licence();
    doc.fields[3].1 = "张三𐤀".into();
    match render_pdf(&doc, &common::cjk_font()) {
        Err(Error::Invalid(message)) => {
            assert!(
                message.contains('𐤀') && message.contains("U+10900"),
                "{message}"
            );
        }
        other => panic!("expected the missing glyph named, got {other:?}"),
    }
}

#[test]
fn a_missing_font_file_is_font_not_found() {
    let path = Path::new("/nonexistent/eseal/NoSuchFont.ttf");
    match CjkFont::from_file(path) {
        Err(Error::FontNotFound { path: p }) => assert_eq!(p, path),
        other => panic!("expected FontNotFound, got {other:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.ttf");
    std::fs::write(&bogus, b"not a font").unwrap();
    assert!(matches!(
        CjkFont::from_file(&bogus),
        Err(Error::Malformed { what: "font", .. })
    ));
}

#[test]
fn rows_that_do_not_fit_on_the_page_are_refused() {
    let mut doc = business_licence();
    doc.fields.push(("备注".into(), SCOPE.repeat(6)));
    match render_pdf(&doc, &common::cjk_font()) {
        Err(Error::Invalid(message)) => assert!(message.contains("备注"), "{message}"),
        other => panic!("expected the page to overflow, got {other:?}"),
    }
}

#[test]
fn a_qr_text_outside_alphanumeric_mode_is_refused() {
    let mut doc = business_licence();
    doc.qr = "zz1:lower case".into();
    assert!(matches!(
        render_pdf(&doc, &common::cjk_font()),
        Err(Error::Invalid(_))
    ));
}
