//! The printable verification report (验证报告): reports of eseal's own PDF vectors
//! (test-vectors/pdf/p256) rendered with the installed CJK font, read back with poppler's
//! pdftotext and pdfinfo and checked by qpdf.

mod common;

use std::path::Path;
use std::process::Command;

use common::assert_says;

use eseal::{Indication, Report, ReportDocument, Verifier, parse_rfc3339, verification_report_pdf};
use sha2::{Digest, Sha256};

const VECTORS: &str = "test-vectors/pdf/p256";
const AT: &str = "2026-11-15T00:00:00Z";
/// The signer of every signature in test-vectors/pdf/p256.
const SIGNER: &str = "C=CN, O=测试市市场监督管理局, CN=签章人 张三";

/// The report of `file` in test-vectors/pdf/p256 as of `at`, with the root and its CRL
/// trusted, and what the page says about the file.
fn verified(file: &str, at: &str) -> (Report, Vec<u8>) {
    let dir = Path::new(VECTORS);
    let mut verifier = Verifier::new();
    verifier
        .add_anchors(&std::fs::read(dir.join("root.pem")).unwrap())
        .unwrap();
    verifier
        .add_crl(&std::fs::read(dir.join("root.crl.pem")).unwrap())
        .unwrap();
    let bytes = std::fs::read(dir.join(file)).unwrap();
    let report = verifier.verify(&bytes, parse_rfc3339(at).unwrap()).unwrap();
    (report, bytes)
}

/// The page of `report` about `bytes` named `name`.
fn render(report: &Report, bytes: &[u8], name: &str) -> Vec<u8> {
    let document = ReportDocument::new(Sha256::digest(bytes).into(), bytes.len() as u64);
    let pdf = verification_report_pdf(report, &document.name(name)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    pdf
}

/// Runs a tool the setup script installs; a missing tool fails the test.
fn run(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} not runnable ({e}): run scripts/setup.sh"))
}

/// What poppler reads in `pdf` (`pdftotext -layout`), after checking that qpdf finds no
/// error and that pdfinfo counts one page.
fn checked_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let path = path.to_str().unwrap();
    let qpdf = run("qpdf", &["--check", path]);
    assert!(
        qpdf.status.success(),
        "qpdf --check: {}",
        String::from_utf8_lossy(&qpdf.stdout)
    );
    let info = String::from_utf8(run("pdfinfo", &[path]).stdout).unwrap();
    let pages = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
    assert_eq!(
        pages.split_whitespace().collect::<Vec<_>>(),
        ["Pages:", "1"]
    );
    common::pdf_text(Path::new(path))
}

#[test]
fn a_sealed_pdf_is_reported_valid_with_its_digest_and_signer() {
    let (report, bytes) = verified("sealed.pdf", AT);
    assert_eq!(report.indication(), Some(Indication::TotalPassed));
    let text = checked_text(&render(&report, &bytes, "sealed.pdf"));
    let digest = hex::encode(Sha256::digest(&bytes));
    let size = format!("{} 字节", bytes.len());
    assert_says(
        &text,
        &[
            "验证报告",
            "Verification report",
            "验证通过",
            "Valid",
            "sealed.pdf",
            &size,
            &digest,
            "2026-11-15T00:00:00Z",
            "第 1 项",
            "PDF 签名",
            "Entry 1: pdf-signature",
            "测试市市场监督管理局电子证照专用章",
            SIGNER,
            "未吊销",
            concat!("本报告由 eseal ", env!("CARGO_PKG_VERSION"), " 生成于"),
            "核验结果以报告所列时间为准",
        ],
    );
    for absent in ["验证失败", "无法确认", "原因", "未列出"] {
        assert!(
            !text.contains(absent),
            "the report says {absent:?}:\n{text}"
        );
    }
}

#[test]
fn a_tampered_pdf_is_reported_invalid_with_the_reason() {
    let (report, bytes) = verified("tampered.pdf", AT);
    assert_eq!(report.indication(), Some(Indication::TotalFailed));
    let reason = &report.signatures[0].reasons[0];
    assert_eq!(reason.code(), "DIGEST_MISMATCH");
    let text = checked_text(&render(&report, &bytes, "tampered.pdf"));
    assert_says(
        &text,
        &[
            "验证失败",
            "Invalid (TOTAL-FAILED / HASH_FAILURE)",
            "原因",
            "DIGEST_MISMATCH",
            &reason.message_zh(),
            &reason.to_string(),
            &hex::encode(Sha256::digest(&bytes)),
        ],
    );
    assert!(!text.contains("验证通过"), "{text}");
}

#[test]
fn an_expired_certificate_cannot_be_confirmed_and_nothing_signed_is_said() {
    let (report, bytes) = verified("sealed.pdf", "2031-06-01T00:00:00Z");
    assert_eq!(report.indication(), Some(Indication::Indeterminate));
    let text = checked_text(&render(&report, &bytes, "sealed.pdf"));
    assert_says(
        &text,
        &["无法确认", "Cannot confirm", "CERTIFICATE_EXPIRED"],
    );

    let empty = Report::new(parse_rfc3339(AT).unwrap(), Vec::new());
    let text = checked_text(&render(&empty, b"plain text", "note.txt"));
    assert_says(
        &text,
        &[
            "未找到签名或印章",
            "Nothing signed found",
            &hex::encode(Sha256::digest(b"plain text")),
        ],
    );
    assert!(!text.contains("第 1 项"), "{text}");
}

#[test]
fn two_hundred_signatures_stay_on_one_page_and_the_rest_are_counted() {
    let (mut report, bytes) = verified("sealed.pdf", AT);
    report.signatures = vec![report.signatures[0].clone(); 200];
    let text = checked_text(&render(&report, &bytes, "sealed.pdf"));
    assert_says(
        &text,
        &["第 2 项", "另有 198 项未列出", "198 more items not listed"],
    );
    assert!(!text.contains("第 3 项"), "{text}");
}

#[test]
fn long_and_unprintable_text_is_cut_and_replaced() {
    let (mut report, bytes) = verified("tampered.pdf", AT);
    let entry = &mut report.signatures[0];
    entry.signer = Some(format!("CN=张三\u{1F600}{}", "很长的名字".repeat(300)));
    entry.seal = Some("测试局\u{7}电子证照专用章".into());
    let name = "a-very-long-file-name-".repeat(20);
    let text = checked_text(&render(&report, &bytes, &name));
    assert_says(&text, &["CN=张三?很长的名字", "测试局 电子证照专用章"]);
    assert!(!text.contains('\u{1F600}'), "{text}");
    // Two lines of the signer, the second cut; the font's `…`, or `...` without one.
    let signer: Vec<&str> = text.lines().filter(|l| l.contains("很长的名字")).collect();
    assert_eq!(signer.len(), 2, "{text}");
    assert!(
        signer[1].ends_with('…') || signer[1].ends_with("..."),
        "{text}"
    );
}

#[test]
fn a_licence_qr_is_reported_with_its_fields() {
    let dir = Path::new("test-vectors/licence");
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cases/es256-business.json")).unwrap())
            .unwrap();
    let qr = case["PREFIX"].as_str().unwrap();
    let at = parse_rfc3339("2026-06-02T00:00:00Z").unwrap();
    let mut verifier = Verifier::new();
    verifier
        .add_anchors(&std::fs::read(dir.join("root.pem")).unwrap())
        .unwrap();
    verifier
        .add_trust_list(&std::fs::read(dir.join("trust-list.cwt")).unwrap(), at)
        .unwrap();
    verifier
        .add_status_list(&std::fs::read(dir.join("status-list.cwt")).unwrap())
        .unwrap();
    let report = verifier.verify(qr.as_bytes(), at).unwrap();
    assert_eq!(report.indication(), Some(Indication::TotalPassed));
    let labels: Vec<&str> = report.fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(
        labels,
        ["identifier", "name", "holder", "number", "fr", "lx", "zb"]
    );
    let text = checked_text(&render(&report, qr.as_bytes(), "licence QR"));
    assert_says(
        &text,
        &[
            "验证通过",
            "licence QR",
            "第 1 项",
            "电子证照",
            "证照信息",
            "证照标识",
            // The identifier, wrapped: its first line.
            "1.2.156.3005.2.11100000000013338W032.11220000013544541J",
            "证照名称",
            "营业执照",
            "持证主体",
            "长春某某科技发展有限公司",
            "张三",
        ],
    );
    assert!(!text.contains("未列出"), "{text}");

    // Fields past the page are counted, the entry above them kept.
    let mut long = report.clone();
    for i in 0..60 {
        long.fields
            .push(eseal::LicenceField::new(format!("附加项{i}"), "值"));
    }
    let text = checked_text(&render(&long, qr.as_bytes(), "licence QR"));
    // 7 + 60 fields, 12 on the page.
    assert_says(&text, &["第 1 项", "附加项4", "另有 55 项未列出"]);
    assert!(!text.contains("附加项5"), "{text}");
}
