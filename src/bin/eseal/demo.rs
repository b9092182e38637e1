//! `eseal demo`: the whole story on an embedded default, step by step.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::pki::{
    Certificate, Crl, DistinguishedName, OfficeCa, Profile, RevocationReason, TrustStore, Usage,
};
use eseal::report::SignatureReport;
use eseal::seal::picture::{SealFont, SealPicture};
use eseal::seal::{
    CertList, PictureInfo, Seal, SealRequest, make_seal, sign_with_seal, verify_seal,
    verify_seal_signature,
};

use std::sync::Arc;

use eseal::cms::tsa::Authority;
use eseal::pdf::{
    PdfSealOptions, Placement, ValidationData, add_document_timestamp, add_validation_data,
    seal_pdf, verify_pdf,
};

use crate::write_file;

#[derive(clap::Args)]
pub struct Args {
    /// Leave every artefact in DIR (default: a new temporary folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

const AUTHORITY: &str = "国家电子证照根CA";
const OFFICE: &str = "某某市市场监督管理局";
const LICENCE_LINES: [&str; 3] = [
    "Business licence",
    "Unified social credit code 91330100MA2XXXXXX1",
    "Issued by the office: (office seal)",
];

pub fn run(args: Args) -> eseal::Result<u8> {
    let dir = match args.out {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("eseal-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|source| eseal::Error::Io {
        path: dir.clone(),
        source,
    })?;
    if dir.join("root-ca").exists() {
        return Err(eseal::Error::Invalid(format!(
            "{} already holds a demo; give an empty --out folder",
            dir.display()
        )));
    }
    out!("eseal demo — artefacts in {}\n", dir.display());

    step("the authority creates its SM2 root CA");
    let root = OfficeCa::init_root(
        &dir.join("root-ca"),
        &DistinguishedName {
            common_name: AUTHORITY.into(),
            organization: Some("电子证照管理中心".into()),
            ..Default::default()
        },
        Algorithm::Sm2Sm3,
        3650,
    )?;
    write_file(
        &dir.join("root.pem"),
        root.certificate().to_pem().as_bytes(),
    )?;
    show(root.certificate(), "root.pem");

    step("the root certifies the issuing office's CA");
    let office = root.create_office_ca(
        &dir.join("office-ca"),
        &DistinguishedName {
            common_name: format!("{OFFICE} CA"),
            organization: Some(OFFICE.into()),
            ..Default::default()
        },
        Algorithm::Sm2Sm3,
        1825,
    )?;
    show(office.certificate(), "office-ca/ca.pem");

    step("the office issues its working certificates");
    let mut issued = Vec::new();
    for (profile, cn) in [
        (Profile::SealMaker, format!("{OFFICE} 制章人")),
        (Profile::Signer, format!("{OFFICE} 签章人 张三")),
        (Profile::Timestamping, format!("{OFFICE} 时间戳服务")),
        (Profile::StatusList, format!("{OFFICE} 证照状态列表")),
    ] {
        let subject = DistinguishedName {
            common_name: cn,
            organization: Some(OFFICE.into()),
            ..Default::default()
        };
        let (cert, key) = office.issue_with_new_key(profile, &subject, Algorithm::Sm2Sm3, 730)?;
        let name = profile.name();
        let mut pem = cert.to_pem();
        pem.push_str(&office.certificate().to_pem());
        write_file(&dir.join(format!("{name}.pem")), pem.as_bytes())?;
        write_file(
            &dir.join(format!("{name}.key")),
            key.to_pkcs8_pem().as_bytes(),
        )?;
        show(&cert, &format!("{name}.pem"));
        issued.push((cert, key));
    }
    let (maker, maker_key) = &issued[0];
    let (signer, signer_key) = &issued[1];

    let mut store = TrustStore::new();
    store.add_anchor(root.certificate().clone())?;
    store.add_intermediate(office.certificate().clone());

    step("a verifier checks the signer's certificate against the root");
    let now = SystemTime::now();
    verdict(
        &store
            .validate(signer, &[], now, Usage::Signer)
            .to_report("certificate"),
    );
    out!(
        "   same as: eseal verify {0}/signer.pem --trust {0}/root.pem --usage signer",
        dir.display()
    );

    step("the signer's certificate is used for the wrong job (timestamping)");
    verdict(
        &store
            .validate(signer, &[], now, Usage::Timestamping)
            .to_report("certificate"),
    );

    step("the seal maker makes the office's e-seal (GB/T 38540 v4, SM2) with its picture");
    let picture = SealPicture {
        purpose: Some("电子证照专用章".into()),
        ..SealPicture::new(OFFICE)
    };
    let font = SealFont::system()?;
    let png = picture.to_png(&font, 512)?;
    write_file(&dir.join("seal.png"), &png)?;
    write_file(&dir.join("seal.svg"), picture.to_svg(&font)?.as_bytes())?;
    let seal = make_seal(
        &SealRequest {
            vendor: "eseal".into(),
            es_id: "3301000000001".into(),
            seal_type: 1,
            name: format!("{OFFICE}电子证照专用章"),
            cert_list: CertList::Certificates(vec![signer.der().to_vec()]),
            created: now,
            valid_start: now,
            valid_end: now + Duration::from_secs(730 * 86_400),
            picture: PictureInfo {
                picture_type: "PNG".into(),
                data: png,
                width_mm: 40,
                height_mm: 40,
            },
            ext_datas: Vec::new(),
        },
        maker,
        maker_key,
    )?;
    write_file(&dir.join("seal.esl"), seal.der())?;
    println_seal(&seal);
    verdict(&verify_seal(&seal, &store, now));

    step("the signer signs a document with the seal; a verifier checks it");
    let document = "营业执照 统一社会信用代码 91330100MA2XXXXXX1".as_bytes();
    write_file(&dir.join("document.txt"), document)?;
    let signature = sign_with_seal(&seal, document, "document.txt", signer, signer_key, now)?;
    write_file(&dir.join("signed-value.dat"), signature.der())?;
    out!("   signed-value.dat: SES_Signature over document.txt");
    verdict(&verify_seal_signature(
        &signature,
        &store,
        now,
        Some(document),
    ));

    step("someone changes the document: the seal signature no longer fits it");
    let changed = "营业执照 统一社会信用代码 91330100MA2YYYYYY1".as_bytes();
    verdict(&verify_seal_signature(
        &signature,
        &store,
        now,
        Some(changed),
    ));

    step("the signer seals a PDF (PAdES, SM2): the seal is drawn where the text says so");
    let pdf = eseal::pdf::sample::plain_pdf(&LICENCE_LINES, 0);
    write_file(&dir.join("licence.pdf"), &pdf)?;
    let mut options = PdfSealOptions::new(signer_key, signer);
    options.chain = std::slice::from_ref(office.certificate());
    options.seal = Some(&seal);
    options.placement = Placement::Keyword {
        keyword: "(office seal)".into(),
        occurrence: 0,
    };
    options.reason = Some("营业执照".into());
    let sealed = seal_pdf(pdf, &options)?;
    write_file(&dir.join("licence-sealed.pdf"), &sealed)?;
    out!(
        "   licence-sealed.pdf: {} bytes, one incremental update",
        sealed.len()
    );
    let pdf_report = verify_pdf(&sealed, &store, now)?;
    verdict(&pdf_report.signatures[0]);
    out!(
        "   same as: eseal verify {0}/licence-sealed.pdf --trust {0}/root.pem",
        dir.display()
    );

    step("someone edits the credit code inside the sealed PDF: the digest no longer matches");
    let mut tampered = sealed.clone();
    if let Some(at) = tampered.windows(10).position(|w| w == b"MA2XXXXXX1") {
        tampered[at + 3] = b'Y';
    }
    verdict(&verify_pdf(&tampered, &store, now)?.signatures[0]);

    step("the office's timestamp authority stamps a second copy: PAdES B-LTA");
    let (tsa_cert, tsa_key) = &issued[2];
    let tsa = Authority::new(
        Arc::new(SoftwareKey::from_pkcs8_der(&tsa_key.to_pkcs8_der())?),
        tsa_cert.clone(),
        vec![office.certificate().clone()],
        "1.2.156.3088.1",
    )?;
    let current_crl = office.crl(7)?;
    let mut options = PdfSealOptions::new(signer_key, signer);
    options.chain = std::slice::from_ref(office.certificate());
    options.seal = Some(&seal);
    options.placement = Placement::Keyword {
        keyword: "(office seal)".into(),
        occurrence: 0,
    };
    options.timestamper = Some(&tsa);
    let b_t = seal_pdf(eseal::pdf::sample::plain_pdf(&LICENCE_LINES, 0), &options)?;
    let b_lt = add_validation_data(
        b_t,
        &ValidationData {
            certificates: vec![tsa_cert.der().to_vec()],
            crls: vec![current_crl.der().to_vec()],
            ocsps: Vec::new(),
        },
    )?;
    let b_lta = add_document_timestamp(b_lt, &tsa)?;
    write_file(&dir.join("licence-lta.pdf"), &b_lta)?;
    out!("   licence-lta.pdf: signature timestamp, DSS with the CRL, document timestamp");
    for report in verify_pdf(&b_lta, &store, SystemTime::now())?.signatures {
        out!("   {}:", report.kind);
        verdict(&report);
    }

    step("the office revokes the signer (key compromise) and publishes a CRL");
    // Revoked from a moment after the stamps above (timestamps count whole seconds).
    let revoked_at = SystemTime::now() + Duration::from_secs(2);
    office.revoke(
        &signer.serial_hex(),
        RevocationReason::KeyCompromise,
        revoked_at,
    )?;
    let crl = office.crl(7)?;
    write_file(&dir.join("office-ca.crl"), crl.der())?;
    out!(
        "   office-ca.crl: {} revoked, next update in 7 days",
        crl.entries().len()
    );

    step("the verifier checks again with the CRL");
    store.add_crl(Crl::from_der(crl.der())?);
    let later = revoked_at + Duration::from_secs(1);
    verdict(
        &store
            .validate(signer, &[], later, Usage::Signer)
            .to_report("certificate"),
    );
    step("the sealed PDF, checked again with the CRL");
    verdict(&verify_pdf(&sealed, &store, later)?.signatures[0]);
    step("the B-LTA copy: its timestamps prove it was sealed before the revocation");
    verdict(&verify_pdf(&b_lta, &store, later)?.signatures[0]);
    step("as of a minute before the revocation the certificate was good");
    let before = revoked_at - Duration::from_secs(60);
    verdict(
        &store
            .validate(signer, &[], before, Usage::Signer)
            .to_report("certificate"),
    );

    out!(
        "\nopenssl can read every file: openssl x509 -in {} -noout -text",
        path(&dir, "signer.pem")
    );
    Ok(0)
}

fn println_seal(seal: &Seal) {
    out!(
        "   seal.esl: {} ({} bytes), picture seal.png / seal.svg",
        seal.property.name,
        seal.der().len()
    );
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn step(what: &str) {
    static STEP: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = STEP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    out!("{n}. {what}");
}

fn show(cert: &Certificate, file: &str) {
    out!(
        "   {file}: {} (serial {})",
        cert.subject(),
        cert.serial_hex()
    );
}

fn verdict(report: &SignatureReport) {
    let sub = report
        .sub_indication
        .map(|s| format!(" / {s}"))
        .unwrap_or_default();
    out!("   → {}{sub}", report.indication);
    for r in &report.reasons {
        out!("     {}: {r}", r.code());
    }
}
