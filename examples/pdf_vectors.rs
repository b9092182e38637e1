//! Writes the PDF test vectors in `test-vectors/pdf/{sm2,p256}/`: PDFs sealed by eseal with
//! a visible e-seal (once, twice, certified P=1 and P=2 then sealed again, tampered, revoked
//! signer), the root to trust, the CRL, and the verdicts in `test-vectors/pdf/expected.tsv`.
//!
//! `cargo run --example pdf_vectors -- test-vectors/pdf`

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use eseal::pdf::sample::plain_pdf;
use eseal::{
    Algorithm, CertList, Certificate, DistinguishedName, DocMdp, PdfSealOptions, PictureInfo,
    Placement, Profile, RevocationReason, RevokedEntry, SealFont, SealPicture, SealRequest, Signer,
    SoftwareKey, Validity, make_seal, parse_rfc3339,
};
use eseal::{pki, seal_pdf};

fn t(text: &str) -> SystemTime {
    parse_rfc3339(text).expect("valid time")
}

fn validity(from: &str, to: &str) -> Validity {
    Validity {
        not_before: t(from),
        not_after: t(to),
    }
}

fn dn(cn: &str) -> DistinguishedName {
    DistinguishedName {
        common_name: cn.into(),
        organization: Some("测试市市场监督管理局".into()),
        ..Default::default()
    }
}

fn office(dir: &Path, algorithm: Algorithm) -> eseal::Result<()> {
    fs::create_dir_all(dir).expect("writable");
    let root_key = SoftwareKey::generate(algorithm)?;
    let root = pki::issue_root(
        &dn("测试根CA"),
        validity("2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z"),
        &root_key,
    )?;
    let leaf = |profile: Profile, cn: &str| -> eseal::Result<(SoftwareKey, Certificate)> {
        let key = SoftwareKey::generate(algorithm)?;
        let cert = pki::issue(
            profile,
            &dn(cn),
            key.public_key_spki(),
            validity("2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z"),
            &root,
            &root_key,
        )?;
        Ok((key, cert))
    };
    let (maker_key, maker) = leaf(Profile::SealMaker, "制章人")?;
    let (signer_key, signer) = leaf(Profile::Signer, "签章人 张三")?;
    let (revoked_key, revoked) = leaf(Profile::Signer, "签章人 王五")?;
    let png = SealPicture::new("测试市市场监督管理局").to_png(&SealFont::system()?, 120)?;
    let seal = make_seal(
        &SealRequest {
            vendor: "eseal".into(),
            es_id: "T000000000001".into(),
            seal_type: 1,
            name: "测试市市场监督管理局电子证照专用章".into(),
            cert_list: CertList::Certificates(vec![signer.der().to_vec(), revoked.der().to_vec()]),
            created: t("2026-01-01T00:00:00Z"),
            valid_start: t("2026-01-01T00:00:00Z"),
            valid_end: t("2031-01-01T00:00:00Z"),
            picture: PictureInfo {
                picture_type: "PNG".into(),
                data: png,
                width_mm: 40,
                height_mm: 40,
            },
            ext_datas: Vec::new(),
        },
        &maker,
        &maker_key,
    )?;
    let crl = pki::issue_crl(
        &root,
        &root_key as &dyn Signer,
        1,
        t("2026-10-01T00:00:00Z"),
        t("2036-01-01T00:00:00Z"),
        &[RevokedEntry {
            serial: revoked.serial().to_vec(),
            revoked_at: pki::unix_seconds(t("2026-09-01T00:00:00Z")),
            reason: Some(RevocationReason::KeyCompromise),
        }],
    )?;
    let seal_with = |pdf: Vec<u8>, key: &SoftwareKey, cert: &Certificate, x: f64, certify| {
        let mut options = PdfSealOptions::new(key, cert);
        options.seal = Some(&seal);
        options.placement = Placement::Page {
            page: 0,
            rect: Some([x, 60.0, x + 113.4, 173.4]),
        };
        options.certify = certify;
        options.signing_time = t("2026-11-01T08:00:00Z");
        seal_pdf(pdf, &options)
    };
    let plain = plain_pdf(
        &[
            "Business licence",
            "Unified social credit code 91330100MA2XXXXXX1",
        ],
        0,
    );
    let once = seal_with(plain.clone(), &signer_key, &signer, 380.0, None)?;
    let twice = seal_with(once.clone(), &signer_key, &signer, 200.0, None)?;
    let p2 = seal_with(
        plain.clone(),
        &signer_key,
        &signer,
        380.0,
        Some(DocMdp::FormFilling),
    )?;
    let p2_twice = seal_with(p2, &signer_key, &signer, 200.0, None)?;
    let p1 = seal_with(
        plain.clone(),
        &signer_key,
        &signer,
        380.0,
        Some(DocMdp::NoChanges),
    )?;
    let p1_twice = seal_with(p1, &signer_key, &signer, 200.0, None)?;
    let by_revoked = seal_with(plain, &revoked_key, &revoked, 380.0, None)?;
    let mut tampered = once.clone();
    let at = tampered
        .windows(10)
        .position(|w| w == b"MA2XXXXXX1")
        .expect("the credit code is in the page");
    tampered[at + 3] = b'Y';
    for (name, bytes) in [
        ("sealed.pdf", &once),
        ("sealed-twice.pdf", &twice),
        ("certified-p2-sealed-again.pdf", &p2_twice),
        ("certified-p1-sealed-again.pdf", &p1_twice),
        ("sealed-by-revoked-signer.pdf", &by_revoked),
        ("tampered.pdf", &tampered),
    ] {
        fs::write(dir.join(name), bytes).expect("writable");
    }
    fs::write(dir.join("root.pem"), root.to_pem()).expect("writable");
    fs::write(dir.join("root.crl.pem"), crl.to_pem()).expect("writable");
    Ok(())
}

fn main() -> eseal::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test-vectors/pdf".into());
    let out = Path::new(&out);
    office(&out.join("sm2"), Algorithm::Sm2Sm3)?;
    office(&out.join("p256"), Algorithm::EcdsaP256Sha256)?;
    Ok(())
}
