//! `eseal demo`: the whole story on an embedded default, step by step.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
use eseal::ofd::{OfdSealOptions, Package, VerifyOptions, verify_ofd};
use eseal::pdf::{
    PdfSealOptions, ValidationData, add_document_timestamp, add_validation_data, verify_pdf,
};

use eseal::licence::compact::qr_svg;
use eseal::licence::document::CjkFont;
use eseal::licence::issue::{self, IssuingOffice};
use eseal::licence::sample;
use eseal::licence::status_list::sign_status_list;
use eseal::licence::trust_list::{
    KeyUse, ListedKey, Office, TrustList, sign_trust_list, verify_trust_list,
};
use eseal::licence::verify::{StatusCheck, StatusLists, verify_licence_qr};
use eseal::pki::unix_seconds;
use eseal::registry::{LicenceState, OpCode, Registry, SqliteRegistry, StatusChange};

use crate::{write_file, write_secret};

#[derive(clap::Args)]
pub struct Args {
    /// Leave every artefact in DIR (default: a new temporary folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The font the demo draws the seal and the licence with, so it runs where no CJK font is
/// installed: WenQuanYi Micro Hei (Apache-2.0) cut to the demo's characters by
/// `scripts/demo-font.sh`.
const DEMO_FONT: &[u8] = include_bytes!("../../../assets/demo-cjk.ttf");

const AUTHORITY: &str = "国家电子证照根CA";
const OFFICE: &str = sample::OFFICE_NAME;

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
        (Profile::LicenceSigner, format!("{OFFICE} 证照签名")),
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
        write_secret(
            &dir.join(format!("{name}.key")),
            key.to_pkcs8_pem().as_bytes(),
        )?;
        show(&cert, &format!("{name}.pem"));
        issued.push((cert, key));
    }
    let (maker, maker_key) = &issued[0];
    let (signer, signer_key) = &issued[1];
    let (licence_signer, licence_key) = &issued[3];
    let (status_signer, status_key) = &issued[4];

    let mut store = TrustStore::new();
    store.add_anchor(root.certificate().clone())?;
    store.add_intermediate(office.certificate().clone());

    step("a verifier checks the signer's certificate against the root");
    let now = SystemTime::now();
    verdict(
        &store
            .validate(signer, &[], now, Usage::Signer)
            .to_report(eseal::report::ReportKind::Certificate),
    );
    out!(
        "   same as: eseal verify {0}/signer.pem --trust {0}/root.pem --usage signer",
        dir.display()
    );

    step("the signer's certificate is used for the wrong job (timestamping)");
    verdict(
        &store
            .validate(signer, &[], now, Usage::Timestamping)
            .to_report(eseal::report::ReportKind::Certificate),
    );

    step("the seal maker makes the office's e-seal (GB/T 38540 v4, SM2) with its picture");
    let picture = SealPicture {
        purpose: Some("电子证照专用章".into()),
        ..SealPicture::new(OFFICE)
    };
    let font = SealFont::from_bytes(DEMO_FONT.to_vec(), 0)?;
    let png = picture.to_png(&font, 512)?;
    write_file(&dir.join("seal.png"), &png)?;
    write_file(&dir.join("seal.svg"), picture.to_svg(&font)?.as_bytes())?;
    let seal = make_seal(
        &SealRequest {
            vendor: "eseal".into(),
            es_id: "2200000000001".into(),
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
    let document = "营业执照 统一社会信用代码 91220101MA0000001X".as_bytes();
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
    let changed = "营业执照 统一社会信用代码 91220101MA0000002X".as_bytes();
    verdict(&verify_seal_signature(
        &signature,
        &store,
        now,
        Some(changed),
    ));

    step("the office creates its licence registry and stores the 营业执照 template");
    let mut registry = SqliteRegistry::create(dir.join("registry.db"))?;
    let template = sample::business_template();
    write_file(&dir.join("template.json"), &template.to_json())?;
    registry.put_template(&template.registry_template(), "demo", unix_seconds(now))?;
    out!(
        "   registry.db: SQLite (WAL, synchronous=FULL); template.json: {} fields, {} in the QR",
        template.fields.len(),
        template.fields.iter().filter(|f| f.in_qr).count()
    );

    step("the office issues a business licence: identifier, serial, signed QR credential (SM2)");
    let office_identity = sample::office();
    let issuing = IssuingOffice {
        identity: office_identity.clone(),
        signer: licence_key,
        certificate: licence_signer,
        status_list_uri: sample::STATUS_LIST_URI.into(),
    };
    let request = sample::business_request(0);
    write_file(&dir.join("licence-request.json"), &request.canonical_json())?;
    let licence = issue::issue(
        &mut registry,
        &issuing,
        &template,
        &request,
        Some("JL-2026-000001"),
        "窗口 01",
        unix_seconds(now),
    )?;
    let identifier = licence.record.identifier.clone();
    let qr = licence.record.qr.clone();
    write_file(&dir.join("licence.qr.txt"), qr.as_bytes())?;
    write_file(&dir.join("licence-qr.svg"), qr_svg(&qr)?.as_bytes())?;
    out!("   {identifier}");
    out!(
        "   licence.qr.txt: {} characters (ZZ1: + Base45(zlib(COSE_Sign1))), licence-qr.svg",
        qr.len()
    );

    step("the licence is printed: rendered as a PDF with its QR code, sealed with the e-seal");
    let font = CjkFont::from_bytes(DEMO_FONT.to_vec(), 0)?;
    let mut options = PdfSealOptions::new(signer_key, signer);
    options.chain = std::slice::from_ref(office.certificate());
    options.seal = Some(&seal);
    options.reason = Some(template.name.clone());
    let sealed = licence.sealed_pdf(&template, &font, options)?;
    write_file(&dir.join("licence.pdf"), &sealed)?;
    let sha256: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&sealed).into();
    registry.set_doc_sha256(&identifier, &sha256, "窗口 01", unix_seconds(now))?;
    out!(
        "   licence.pdf: {} bytes, PAdES B-B, the seal over the office name",
        sealed.len()
    );
    let pdf_report = verify_pdf(&sealed, &store, now)?;
    verdict(&pdf_report.signatures[0]);
    out!(
        "   same as: eseal verify {0}/licence.pdf --trust {0}/root.pem",
        dir.display()
    );

    step("someone changes one byte of the printed page: the digest no longer matches");
    let mut tampered = sealed.clone();
    if let Some(at) = sealed.windows(7).position(|w| w == b"stream\n") {
        tampered[at + 20] ^= 0x01;
    }
    verdict(&verify_pdf(&tampered, &store, now)?.signatures[0]);

    step("the licence is also issued as OFD (GB/T 36905), sealed with a GB/T 38540 seal signature");
    let ofd = licence.sealed_ofd(
        &template,
        &font,
        OfdSealOptions::new(&seal, signer_key, signer),
    )?;
    write_file(&dir.join("licence.ofd"), &ofd)?;
    let ofd = Package::read(ofd)?;
    out!(
        "   licence.ofd: {} bytes; Signature.xml holds the SM3 of every file but the signature list",
        ofd.bytes().map_or(0, <[u8]>::len)
    );
    verdict(&verify_ofd(&ofd, &store, now, &VerifyOptions::default())?.signatures[0]);
    out!(
        "   same as: eseal verify {0}/licence.ofd --trust {0}/root.pem --chain {0}/office-ca/ca.pem",
        dir.display()
    );

    step("someone edits the OFD's page: the reference digest no longer matches");
    let page = "/Doc_0/Pages/Page_0/Content.xml";
    let edited = String::from_utf8_lossy(ofd.get(page).unwrap_or_default()).replacen(
        sample::OFFICE_NAME,
        "某某公司",
        1,
    );
    let edited = Package::read(ofd.rewrite(&[(page, edited.as_bytes())])?)?;
    verdict(&verify_ofd(&edited, &store, now, &VerifyOptions::default())?.signatures[0]);

    step("the province publishes its trust list; the office its status list");
    let (lister, lister_key) = root.issue_with_new_key(
        Profile::TrustList,
        &DistinguishedName {
            common_name: "吉林省 证照信任列表签名".into(),
            organization: Some("吉林省政务服务和数字化建设管理局".into()),
            ..Default::default()
        },
        Algorithm::Sm2Sm3,
        730,
    )?;
    write_file(
        &dir.join("trust-list-signer.pem"),
        lister.to_pem().as_bytes(),
    )?;
    show(
        &lister,
        "trust-list-signer.pem (the province's, no office's)",
    );
    let day = Duration::from_secs(86_400);
    let trust_list = sign_trust_list(
        &TrustList::new("吉林省").template(template.clone()).office(
            Office::new(sample::OFFICE_CODE, OFFICE)
                .region(office_identity.region.as_str())
                .status_list("https://zz.jl.gov.cn/sl/")
                .key(ListedKey::new(licence_signer.clone(), KeyUse::Sign))
                .key(ListedKey::new(status_signer.clone(), KeyUse::Sign)),
        ),
        1,
        now,
        now + 7 * day,
        &lister_key,
        &lister,
        &[],
    )?;
    write_file(&dir.join("trust-list.cwt"), &trust_list)?;
    // Each list of the URI is issued after the one before (`iat` grows), so the newest
    // one decides for a verifier that holds both.
    let last_issued = std::cell::Cell::new(UNIX_EPOCH);
    let publish = |name: &str, registry: &SqliteRegistry| -> eseal::Result<Vec<u8>> {
        let at = SystemTime::now().max(last_issued.get() + Duration::from_secs(1));
        last_issued.set(at);
        let token = sign_status_list(
            &registry.status_list(sample::STATUS_LIST_URI)?,
            sample::STATUS_LIST_URI,
            at,
            Duration::from_secs(3600),
            at + 2 * day,
            status_key,
            status_signer,
        )?;
        write_file(&dir.join(name), &token)?;
        Ok(token)
    };
    let status_list = publish("status-list.cwt", &registry)?;
    out!(
        "   trust-list.cwt: {} bytes; status-list.cwt: {} bytes for 131,072 entries",
        trust_list.len(),
        status_list.len()
    );

    step("a bank in another province scans the QR and verifies it offline");
    let trust = verify_trust_list(&trust_list, &store, now, None)
        .map_err(|e| eseal::Error::Invalid(e.to_string()))?;
    let check_qr = |status_list: &[u8]| {
        let mut lists = StatusLists::new();
        lists.insert(sample::STATUS_LIST_URI, status_list.to_vec());
        verify_licence_qr(&qr, &trust, StatusCheck::Lists(&lists), SystemTime::now()).to_report()
    };
    verdict(&check_qr(&status_list));
    out!(
        "   same as: eseal verify \"$(cat {0}/licence.qr.txt)\" --trust-list {0}/trust-list.cwt \\\n            --status-list {0}/status-list.cwt --trust {0}/root.pem",
        dir.display()
    );

    step("the office's licence key signs a trust list of its own: not its role, refused");
    let forged = sign_trust_list(
        &TrustList::new("吉林省").office(
            Office::new(sample::OFFICE_CODE, OFFICE)
                .status_list("https://zz.jl.gov.cn/sl/")
                .key(ListedKey::new(licence_signer.clone(), KeyUse::Sign)),
        ),
        2,
        now,
        now + day,
        licence_key,
        licence_signer,
        &[],
    )?;
    match verify_trust_list(&forged, &store, now, None) {
        Ok(_) => out!("   → accepted"),
        Err(e) => out!("   → refused: {e}"),
    }

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
    options.timestamper = Some(&tsa);
    let b_t = licence.sealed_pdf(&template, &font, options)?;
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

    step("the office revokes the licence (吊销) and publishes a new status list");
    registry.set_status(
        &identifier,
        StatusChange {
            to: LicenceState::Withdrawn,
            op: OpCode::Terminate,
            reason: Some("吊销：提交虚假材料取得登记"),
            operator: "执法科 李四",
            at: unix_seconds(SystemTime::now()),
        },
    )?;
    let status_list_2 = publish("status-list-2.cwt", &registry)?;
    out!(
        "   status-list-2.cwt: entry {} is now INVALID",
        licence.record.list_idx
    );
    step("the bank scans the QR again");
    verdict(&check_qr(&status_list_2));

    step("someone also hands the bank the list from before the revocation (a replay)");
    let mut lists = StatusLists::new();
    lists.insert(sample::STATUS_LIST_URI, status_list_2.clone());
    lists.insert(sample::STATUS_LIST_URI, status_list);
    let replayed = verify_licence_qr(&qr, &trust, StatusCheck::Lists(&lists), SystemTime::now());
    let report = replayed.to_report();
    verdict(&report);
    for warning in &report.warnings {
        out!("     {warning}");
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
            .to_report(eseal::report::ReportKind::Certificate),
    );
    step("the sealed licence PDF, checked again with the CRL");
    verdict(&verify_pdf(&sealed, &store, later)?.signatures[0]);
    step("the B-LTA copy: its timestamps prove it was sealed before the signer's revocation");
    verdict(&verify_pdf(&b_lta, &store, later)?.signatures[0]);
    step("as of a minute before the revocation the certificate was good");
    let before = revoked_at - Duration::from_secs(60);
    verdict(
        &store
            .validate(signer, &[], before, Usage::Signer)
            .to_report(eseal::report::ReportKind::Certificate),
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
