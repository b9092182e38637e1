//! `eseal demo`: the whole story on an embedded default, step by step.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eseal::{
    Algorithm, CertList, Certificate, Crl, DistinguishedName, OfficeCa, PictureInfo, Profile,
    RevocationReason, Seal, SealFont, SealPicture, SealRequest, SignatureReport, SoftwareKey,
    TrustStore, Usage, make_seal, sign_with_seal, verify_seal, verify_seal_signature,
};

use std::sync::Arc;

use eseal::TimestampAuthority as Authority;
use eseal::{
    OfdPackage as Package, OfdSealOptions, OfdVerifyOptions as VerifyOptions, PdfSealOptions,
    ValidationData, add_document_timestamp, add_validation_data, verify_ofd, verify_pdf,
};

use eseal::licence::sample;
use eseal::{
    CjkFont, IssuedLicence, IssuingOffice, KeyUse, LicenceState, LicenceTemplate as Template,
    ListedKey, OFFICE_FILE, OfficeConfig, OpCode, Registry, SqliteRegistry, StatusChange,
    StatusCheck, StatusLists, TrustList, TrustListOffice as Office, VerifiedTrustList, qr_svg,
    sign_status_list, sign_trust_list, unix_seconds, verify_licence_qr, verify_trust_list,
};

use crate::{read_file, write_file, write_secret};

#[derive(clap::Args)]
pub struct Args {
    /// Leave every artefact in DIR (default: a new temporary folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Then serve the demo's office and trust material (`eseal serve`) until Ctrl-C.
    #[arg(long)]
    serve: bool,
    /// The address the service listens on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
    listen: String,
}

/// The font the demo draws the seal and the licence with, so it runs where no CJK font is
/// installed: WenQuanYi Micro Hei (Apache-2.0) cut to the demo's characters by
/// `scripts/demo-font.sh`.
const DEMO_FONT: &[u8] = include_bytes!("../../assets/demo-cjk.ttf");

const AUTHORITY: &str = "国家电子证照根CA";
const OFFICE: &str = sample::OFFICE_NAME;
const DAY: Duration = Duration::from_secs(86_400);

/// The demo's steps in turn, each printing what it does and the verdicts it shows.
pub fn run(args: Args) -> eseal::Result<u8> {
    let dir = empty_demo_dir(args.out)?;
    out!("eseal demo — artefacts in {}\n", dir.display());
    let mut demo = Demo::set_up_pki(dir)?;
    demo.check_the_signer_certificate();
    let seal = demo.make_the_office_seal("seal")?;
    demo.sign_a_document_with_the_seal(&seal)?;
    let (mut registry, template) = demo.create_the_registry()?;
    let licence = demo.issue_a_licence(&mut registry, &template)?;
    let font = CjkFont::from_bytes(DEMO_FONT.to_vec(), 0)?;
    let printed = Printed {
        seal: &seal,
        template: &template,
        licence: &licence,
        font: &font,
    };
    let sealed = demo.print_the_licence_as_pdf(&printed, &mut registry)?;
    demo.issue_the_licence_as_ofd(&printed)?;
    let (trust_list, status_list) = demo.publish_the_lists(&template, &registry)?;
    let trust = demo.bank_scans_the_qr(&licence.record.qr, &trust_list, &status_list)?;
    demo.licence_key_signs_a_trust_list()?;
    let b_lta = demo.stamp_an_lta_copy(&printed)?;
    demo.revoke_the_licence(&mut registry, &licence, &trust, status_list)?;
    demo.revoke_the_signer(&sealed, &b_lta)?;
    out!(
        "\nopenssl can read every file: openssl x509 -in {} -noout -text",
        path(&demo.dir, "signer.pem")
    );
    if args.serve {
        demo.serve(&args.listen)?;
    }
    Ok(0)
}

/// The folder the demo writes into, `out` or a new temporary one, created; one that holds
/// a demo already is refused.
fn empty_demo_dir(out: Option<PathBuf>) -> eseal::Result<PathBuf> {
    let dir = match out {
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
    Ok(dir)
}

/// A certificate the office issued and its key.
struct Issued {
    cert: Certificate,
    key: SoftwareKey,
}

/// The demo's PKI and where it writes.
struct Demo {
    dir: PathBuf,
    /// When the working certificates were issued: the time of the first checks.
    now: SystemTime,
    root: OfficeCa,
    office: OfficeCa,
    /// The root as anchor, the office CA as intermediate (and later the office's CRL).
    store: TrustStore,
    maker: Issued,
    signer: Issued,
    tsa: Issued,
    licence_signer: Issued,
    status_signer: Issued,
    /// When the last status list was issued: each list of the URI is issued after the one
    /// before (`iat` grows), so the newest one decides for a verifier that holds both.
    last_status_list: Cell<SystemTime>,
}

/// What the licence is printed with.
struct Printed<'a> {
    seal: &'a Seal,
    template: &'a Template,
    licence: &'a IssuedLicence,
    font: &'a CjkFont,
}

/// A certificate for `profile` with a new key from the office CA `office`, written with
/// its chain to `DIR/NAME.pem` and its key to `DIR/NAME.key`.
fn issue_working_certificate(
    office: &OfficeCa,
    dir: &Path,
    profile: Profile,
    common_name: &str,
    name: &str,
) -> eseal::Result<Issued> {
    let subject = subject(common_name, OFFICE);
    let (cert, key) = office.issue_with_new_key(profile, &subject, Algorithm::Sm2Sm3, 730)?;
    let mut pem = cert.to_pem();
    pem.push_str(&office.certificate().to_pem());
    write_file(&dir.join(format!("{name}.pem")), pem.as_bytes())?;
    write_secret(
        &dir.join(format!("{name}.key")),
        key.to_pkcs8_pem().as_bytes(),
    )?;
    show(&cert, &format!("{name}.pem"));
    Ok(Issued { cert, key })
}

/// A distinguished name of a common name and an organisation.
fn subject(common_name: impl Into<String>, organization: &str) -> DistinguishedName {
    DistinguishedName {
        common_name: common_name.into(),
        organization: Some(organization.into()),
        ..Default::default()
    }
}

impl Demo {
    /// Steps 1-3: the authority's root, the office's CA and its working certificates.
    fn set_up_pki(dir: PathBuf) -> eseal::Result<Demo> {
        step("the authority creates its SM2 root CA");
        let root = OfficeCa::init_root(
            &dir.join("root-ca"),
            &subject(AUTHORITY, "电子证照管理中心"),
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
            &subject(format!("{OFFICE} CA"), OFFICE),
            Algorithm::Sm2Sm3,
            1825,
        )?;
        show(office.certificate(), "office-ca/ca.pem");

        step("the office issues its working certificates");
        let issue = |profile: Profile, cn: String| {
            issue_working_certificate(&office, &dir, profile, &cn, profile.name())
        };
        let maker = issue(Profile::SealMaker, format!("{OFFICE} 制章人"))?;
        let signer = issue(Profile::Signer, format!("{OFFICE} 签章人 张三"))?;
        let tsa = issue(Profile::Timestamping, format!("{OFFICE} 时间戳服务"))?;
        let licence_signer = issue(Profile::LicenceSigner, format!("{OFFICE} 证照签名"))?;
        let status_signer = issue(Profile::StatusList, format!("{OFFICE} 证照状态列表"))?;

        let mut store = TrustStore::new();
        store.add_anchor(root.certificate().clone())?;
        store.add_intermediate(office.certificate().clone());
        Ok(Demo {
            dir,
            now: SystemTime::now(),
            root,
            office,
            store,
            maker,
            signer,
            tsa,
            licence_signer,
            status_signer,
            last_status_list: Cell::new(UNIX_EPOCH),
        })
    }

    /// Prints the verdict on the signer's certificate as of `at` for `usage`.
    fn signer_certificate_verdict(&self, at: SystemTime, usage: Usage) {
        verdict(
            &self
                .store
                .validate(&self.signer.cert, &[], at, usage)
                .to_report(eseal::ReportKind::Certificate),
        );
    }

    /// Steps 4-5: the signer's certificate for its job, then for another.
    fn check_the_signer_certificate(&self) {
        step("a verifier checks the signer's certificate against the root");
        self.signer_certificate_verdict(self.now, Usage::Signer);
        out!(
            "   same as: eseal verify {0}/signer.pem --trust {0}/root.pem --usage signer",
            self.dir.display()
        );

        step("the signer's certificate is used for the wrong job (timestamping)");
        self.signer_certificate_verdict(self.now, Usage::Timestamping);
    }

    /// Step 6: the office's e-seal with its drawn picture.
    fn make_the_office_seal(&self, name: &str) -> eseal::Result<Seal> {
        step("the seal maker makes the office's e-seal (GB/T 38540 v4, SM2) with its picture");
        let (dir, now) = (&self.dir, self.now);
        let picture = SealPicture {
            purpose: Some("电子证照专用章".into()),
            ..SealPicture::new(OFFICE)
        };
        let font = SealFont::from_bytes(DEMO_FONT.to_vec(), 0)?;
        let png = picture.to_png(&font, 512)?;
        write_file(&dir.join(format!("{name}.png")), &png)?;
        write_file(
            &dir.join(format!("{name}.svg")),
            picture.to_svg(&font)?.as_bytes(),
        )?;
        let seal = make_seal(
            &SealRequest {
                vendor: "eseal".into(),
                es_id: "2200000000001".into(),
                seal_type: 1,
                name: format!("{OFFICE}电子证照专用章"),
                cert_list: CertList::Certificates(vec![self.signer.cert.der().to_vec()]),
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
            &self.maker.cert,
            &self.maker.key,
        )?;
        write_file(&dir.join(format!("{name}.esl")), seal.der())?;
        println_seal(&seal, name);
        verdict(&verify_seal(&seal, &self.store, now));
        Ok(seal)
    }

    /// Steps 7-8: a seal signature over a document, then over a changed one.
    fn sign_a_document_with_the_seal(&self, seal: &Seal) -> eseal::Result<()> {
        step("the signer signs a document with the seal; a verifier checks it");
        let (dir, now) = (&self.dir, self.now);
        let document = "营业执照 统一社会信用代码 91220101MA0000001X".as_bytes();
        write_file(&dir.join("document.txt"), document)?;
        let signature = sign_with_seal(
            seal,
            document,
            "document.txt",
            &self.signer.cert,
            &self.signer.key,
            now,
        )?;
        write_file(&dir.join("signed-value.dat"), signature.der())?;
        out!("   signed-value.dat: SES_Signature over document.txt");
        verdict(&verify_seal_signature(
            &signature,
            &self.store,
            now,
            Some(document),
        ));

        step("someone changes the document: the seal signature no longer fits it");
        let changed = "营业执照 统一社会信用代码 91220101MA0000002X".as_bytes();
        verdict(&verify_seal_signature(
            &signature,
            &self.store,
            now,
            Some(changed),
        ));
        Ok(())
    }

    /// Step 9: the office's registry with the business licence template.
    fn create_the_registry(&self) -> eseal::Result<(SqliteRegistry, Template)> {
        step("the office creates its licence registry and stores the 营业执照 template");
        let mut registry = SqliteRegistry::create(self.dir.join("registry.db"))?;
        let template = sample::business_template();
        write_file(&self.dir.join("template.json"), &template.to_json())?;
        registry.put_template(
            &template.registry_template(),
            "demo",
            unix_seconds(self.now),
        )?;
        out!(
            "   registry.db: SQLite (WAL, synchronous=FULL); template.json: {} fields, {} in the QR",
            template.fields.len(),
            template.fields.iter().filter(|f| f.in_qr).count()
        );
        Ok((registry, template))
    }

    /// Step 10: a business licence and its QR credential.
    fn issue_a_licence(
        &self,
        registry: &mut SqliteRegistry,
        template: &Template,
    ) -> eseal::Result<IssuedLicence> {
        step(
            "the office issues a business licence: identifier, serial, signed QR credential (SM2)",
        );
        let issuing = IssuingOffice {
            identity: sample::office(),
            signer: &self.licence_signer.key,
            certificate: &self.licence_signer.cert,
            status_list_uri: sample::STATUS_LIST_URI.into(),
        };
        let request = sample::business_request(0);
        write_file(
            &self.dir.join("licence-request.json"),
            &request.canonical_json(),
        )?;
        let licence = eseal::issue_licence(
            registry,
            &issuing,
            template,
            &request,
            Some("JL-2026-000001"),
            "窗口 01",
            unix_seconds(self.now),
        )?;
        let qr = &licence.record.qr;
        write_file(&self.dir.join("licence.qr.txt"), qr.as_bytes())?;
        write_file(&self.dir.join("licence-qr.svg"), qr_svg(qr)?.as_bytes())?;
        out!("   {}", licence.record.identifier);
        out!(
            "   licence.qr.txt: {} characters (ZZ1: + Base45(zlib(COSE_Sign1))), licence-qr.svg",
            qr.len()
        );
        Ok(licence)
    }

    /// PAdES options of the signer with the office's e-seal.
    fn pdf_options<'a>(&'a self, seal: &'a Seal) -> PdfSealOptions<'a> {
        let mut options = PdfSealOptions::new(&self.signer.key, &self.signer.cert);
        options.chain = std::slice::from_ref(self.office.certificate());
        options.seal = Some(seal);
        options
    }

    /// Steps 11-12: the licence rendered as a sealed PDF, then with one byte changed.
    fn print_the_licence_as_pdf(
        &self,
        printed: &Printed,
        registry: &mut SqliteRegistry,
    ) -> eseal::Result<Vec<u8>> {
        step("the licence is printed: rendered as a PDF with its QR code, sealed with the e-seal");
        let (dir, now) = (&self.dir, self.now);
        let mut options = self.pdf_options(printed.seal);
        options.reason = Some(printed.template.name.clone());
        let sealed = printed
            .licence
            .sealed_pdf(printed.template, printed.font, options)?;
        write_file(&dir.join("licence.pdf"), &sealed)?;
        let sha256: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&sealed).into();
        let identifier = &printed.licence.record.identifier;
        registry.set_doc_sha256(identifier, &sha256, "窗口 01", unix_seconds(now))?;
        out!(
            "   licence.pdf: {} bytes, PAdES B-B, the seal over the office name",
            sealed.len()
        );
        let pdf_report = verify_pdf(&sealed, &self.store, now)?;
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
        verdict(&verify_pdf(&tampered, &self.store, now)?.signatures[0]);
        Ok(sealed)
    }

    /// Steps 13-14: the licence as a sealed OFD, then with its page edited.
    fn issue_the_licence_as_ofd(&self, printed: &Printed) -> eseal::Result<()> {
        step(
            "the licence is also issued as OFD (GB/T 36905), sealed with a GB/T 38540 seal signature",
        );
        let (dir, now) = (&self.dir, self.now);
        let ofd = printed.licence.sealed_ofd(
            printed.template,
            printed.font,
            OfdSealOptions::new(printed.seal, &self.signer.key, &self.signer.cert),
        )?;
        write_file(&dir.join("licence.ofd"), &ofd)?;
        let ofd = Package::read(ofd)?;
        out!(
            "   licence.ofd: {} bytes; Signature.xml holds the SM3 of every file but the signature list",
            ofd.bytes().map_or(0, <[u8]>::len)
        );
        verdict(&verify_ofd(&ofd, &self.store, now, &VerifyOptions::default())?.signatures[0]);
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
        verdict(&verify_ofd(&edited, &self.store, now, &VerifyOptions::default())?.signatures[0]);
        Ok(())
    }

    /// Signs the registry's status list, issued after the one before, and writes it as
    /// `name`.
    fn publish_status_list(&self, name: &str, registry: &SqliteRegistry) -> eseal::Result<Vec<u8>> {
        let at = SystemTime::now().max(self.last_status_list.get() + Duration::from_secs(1));
        self.last_status_list.set(at);
        let token = sign_status_list(
            &registry.status_list(sample::STATUS_LIST_URI)?,
            sample::STATUS_LIST_URI,
            at,
            Duration::from_secs(3600),
            at + 2 * DAY,
            &self.status_signer.key,
            &self.status_signer.cert,
        )?;
        write_file(&self.dir.join(name), &token)?;
        Ok(token)
    }

    /// Step 15: the province's trust list (signed by its own signer) and the office's
    /// status list.
    fn publish_the_lists(
        &self,
        template: &Template,
        registry: &SqliteRegistry,
    ) -> eseal::Result<(Vec<u8>, Vec<u8>)> {
        step("the province publishes its trust list; the office its status list");
        let now = self.now;
        let (lister, lister_key) = self.root.issue_with_new_key(
            Profile::TrustList,
            &subject(
                "吉林省 证照信任列表签名",
                "吉林省政务服务和数字化建设管理局",
            ),
            Algorithm::Sm2Sm3,
            730,
        )?;
        write_file(
            &self.dir.join("trust-list-signer.pem"),
            lister.to_pem().as_bytes(),
        )?;
        show(
            &lister,
            "trust-list-signer.pem (the province's, no office's)",
        );
        let trust_list = sign_trust_list(
            &TrustList::new("吉林省").template(template.clone()).office(
                Office::new(sample::OFFICE_CODE, OFFICE)
                    .region(sample::office().region.as_str())
                    .status_list("https://zz.jl.gov.cn/sl/")
                    .key(ListedKey::new(
                        self.licence_signer.cert.clone(),
                        KeyUse::Sign,
                    ))
                    .key(ListedKey::new(
                        self.status_signer.cert.clone(),
                        KeyUse::Sign,
                    )),
            ),
            1,
            now,
            now + 7 * DAY,
            &lister_key,
            &lister,
            &[],
        )?;
        write_file(&self.dir.join("trust-list.cwt"), &trust_list)?;
        let status_list = self.publish_status_list("status-list.cwt", registry)?;
        out!(
            "   trust-list.cwt: {} bytes; status-list.cwt: {} bytes for 131,072 entries",
            trust_list.len(),
            status_list.len()
        );
        Ok((trust_list, status_list))
    }

    /// Step 16: the QR verified offline with the trust list and the status list; the
    /// verified trust list is returned for the later scans.
    fn bank_scans_the_qr(
        &self,
        qr: &str,
        trust_list: &[u8],
        status_list: &[u8],
    ) -> eseal::Result<VerifiedTrustList> {
        step("a bank in another province scans the QR and verifies it offline");
        let trust = verify_trust_list(trust_list, &self.store, self.now, None)
            .map_err(|e| eseal::Error::Invalid(e.to_string()))?;
        verdict(&scan_qr(qr, &trust, &[status_list]));
        out!(
            "   same as: eseal verify \"$(cat {0}/licence.qr.txt)\" --trust-list {0}/trust-list.cwt \\\n            --status-list {0}/status-list.cwt --trust {0}/root.pem",
            self.dir.display()
        );
        Ok(trust)
    }

    /// Step 17: a trust list signed by a key whose role is not to sign one.
    fn licence_key_signs_a_trust_list(&self) -> eseal::Result<()> {
        step("the office's licence key signs a trust list of its own: not its role, refused");
        let now = self.now;
        let forged = sign_trust_list(
            &TrustList::new("吉林省").office(
                Office::new(sample::OFFICE_CODE, OFFICE)
                    .status_list("https://zz.jl.gov.cn/sl/")
                    .key(ListedKey::new(
                        self.licence_signer.cert.clone(),
                        KeyUse::Sign,
                    )),
            ),
            2,
            now,
            now + DAY,
            &self.licence_signer.key,
            &self.licence_signer.cert,
            &[],
        )?;
        match verify_trust_list(&forged, &self.store, now, None) {
            Ok(_) => out!("   → accepted"),
            Err(e) => out!("   → refused: {e}"),
        }
        Ok(())
    }

    /// Step 18: a second copy raised to PAdES B-LTA by the office's timestamp authority.
    fn stamp_an_lta_copy(&self, printed: &Printed) -> eseal::Result<Vec<u8>> {
        step("the office's timestamp authority stamps a second copy: PAdES B-LTA");
        let tsa = Authority::new(
            Arc::new(SoftwareKey::from_pkcs8_der(&self.tsa.key.to_pkcs8_der())?),
            self.tsa.cert.clone(),
            vec![self.office.certificate().clone()],
            "1.2.156.3088.1",
        )?;
        let current_crl = self.office.crl(7)?;
        let mut options = self.pdf_options(printed.seal);
        options.timestamper = Some(&tsa);
        let b_t = printed
            .licence
            .sealed_pdf(printed.template, printed.font, options)?;
        let b_lt = add_validation_data(
            b_t,
            &ValidationData {
                certificates: vec![self.tsa.cert.der().to_vec()],
                crls: vec![current_crl.der().to_vec()],
                ocsps: Vec::new(),
            },
        )?;
        let b_lta = add_document_timestamp(b_lt, &tsa)?;
        write_file(&self.dir.join("licence-lta.pdf"), &b_lta)?;
        out!("   licence-lta.pdf: signature timestamp, DSS with the CRL, document timestamp");
        for report in verify_pdf(&b_lta, &self.store, SystemTime::now())?.signatures {
            out!("   {}:", report.kind);
            verdict(&report);
        }
        Ok(b_lta)
    }

    /// Steps 19-21: the licence revoked, a new status list, the QR scanned with it and
    /// with the list from before (a replay).
    fn revoke_the_licence(
        &self,
        registry: &mut SqliteRegistry,
        licence: &IssuedLicence,
        trust: &VerifiedTrustList,
        status_list: Vec<u8>,
    ) -> eseal::Result<()> {
        step("the office revokes the licence (吊销) and publishes a new status list");
        registry.set_status(
            &licence.record.identifier,
            StatusChange {
                to: LicenceState::Withdrawn,
                op: OpCode::Terminate,
                reason: Some("吊销：提交虚假材料取得登记"),
                operator: "执法科 李四",
                at: unix_seconds(SystemTime::now()),
            },
        )?;
        let status_list_2 = self.publish_status_list("status-list-2.cwt", registry)?;
        out!(
            "   status-list-2.cwt: entry {} is now INVALID",
            licence.record.list_idx
        );
        step("the bank scans the QR again");
        let qr = &licence.record.qr;
        verdict(&scan_qr(qr, trust, &[&status_list_2]));

        step("someone also hands the bank the list from before the revocation (a replay)");
        let report = scan_qr(qr, trust, &[&status_list_2, &status_list]);
        verdict(&report);
        for warning in &report.warnings {
            out!("     {warning}");
        }
        Ok(())
    }

    /// Steps 22-26: the signer revoked for key compromise, its certificate and both PDFs
    /// checked again with the CRL, and as of before the revocation.
    fn revoke_the_signer(&mut self, sealed: &[u8], b_lta: &[u8]) -> eseal::Result<()> {
        step("the office revokes the signer (key compromise) and publishes a CRL");
        // Revoked from a moment after the stamps above (timestamps count whole seconds).
        let revoked_at = SystemTime::now() + Duration::from_secs(2);
        self.office.revoke(
            &self.signer.cert.serial_hex(),
            RevocationReason::KeyCompromise,
            revoked_at,
        )?;
        let crl = self.office.crl(7)?;
        write_file(&self.dir.join("office-ca.crl"), crl.der())?;
        out!(
            "   office-ca.crl: {} revoked, next update in 7 days",
            crl.entries().len()
        );

        step("the verifier checks again with the CRL");
        self.store.add_crl(Crl::from_der(crl.der())?);
        let later = revoked_at + Duration::from_secs(1);
        self.signer_certificate_verdict(later, Usage::Signer);
        step("the sealed licence PDF, checked again with the CRL");
        verdict(&verify_pdf(sealed, &self.store, later)?.signatures[0]);
        step("the B-LTA copy: its timestamps prove it was sealed before the signer's revocation");
        verdict(&verify_pdf(b_lta, &self.store, later)?.signatures[0]);
        step("as of a minute before the revocation the certificate was good");
        let before = revoked_at - Duration::from_secs(60);
        self.signer_certificate_verdict(before, Usage::Signer);
        Ok(())
    }
}

impl Demo {
    /// Step 27 (`--serve`): the office serves verification, issuing and its lists over
    /// HTTP with the web page, from a trust folder and an office directory made of the
    /// demo's files; a new document signer and seal replace the revoked ones.
    fn serve(&mut self, listen: &str) -> eseal::Result<()> {
        step("the office issues a new document signer and seal after the compromise");
        let dir = self.dir.clone();
        let signer = format!("{OFFICE} 签章人 李四");
        self.signer =
            issue_working_certificate(&self.office, &dir, Profile::Signer, &signer, "signer-2")?;
        self.make_the_office_seal("seal-2")?;

        step("the office serves verification and issuing over HTTP: eseal serve");
        // No status-lists/: the service signs its office's list from the registry when it
        // starts. A copy of status-list-2.cwt, often signed in that same second, would
        // contradict it (two lists of one URI and `iat`: STATUS_UNKNOWN, LICENCE.md §5).
        let trust = dir.join("trust");
        let office_ca = self.office.certificate().to_pem();
        for (folder, name, bytes) in [
            ("anchors", "root.pem", read_file(&dir.join("root.pem"))?),
            ("intermediates", "office-ca.pem", office_ca.into_bytes()),
            (
                "crls",
                "office-ca.crl",
                read_file(&dir.join("office-ca.crl"))?,
            ),
            ("crls", "root.crl", self.root.crl(7)?.der().to_vec()),
            (
                "trust-lists",
                "trust-list.cwt",
                read_file(&dir.join("trust-list.cwt"))?,
            ),
        ] {
            std::fs::create_dir_all(trust.join(folder)).map_err(|e| eseal::Error::io(&trust, e))?;
            write_file(&trust.join(folder).join(name), &bytes)?;
        }
        let file = |name: &str| dir.join(name);
        let office = OfficeConfig {
            identity: sample::office(),
            status_list_uri: sample::STATUS_LIST_URI.into(),
            key: file("licence-signer.key"),
            cert: file("licence-signer.pem"),
            seal: Some(file("seal-2.esl")),
            seal_key: Some(file("signer-2.key")),
            seal_cert: Some(file("signer-2.pem")),
            status_list_key: Some(file("status-list.key")),
            status_list_cert: Some(file("status-list.pem")),
            registry: None,
        };
        let json = serde_json::to_vec_pretty(&office).expect("config serialises");
        write_file(&dir.join(OFFICE_FILE), &json)?;
        let clerk = new_token()?;
        let officer = new_token()?;
        let config = format!(
            "# eseal serve --config {config}\n\
             listen = \"{listen}\"\n\
             trust_dir = \"trust\"\n\
             office = \".\"\n\n\
             [[operators]]\nname = \"窗口 01\"\nroles = [\"verify\"]\ntoken_sha256 = \"{}\"\n\n\
             [[operators]]\nname = \"办证员 王五\"\nroles = [\"issue\", \"revoke\"]\ntoken_sha256 = \"{}\"\n\n\
             [tsa]\ncert = \"tsa.pem\"\nkey = \"tsa.key\"\n",
            token_sha256(&clerk),
            token_sha256(&officer),
            config = path(&dir, "eseal-serve.toml"),
        );
        write_file(&dir.join("eseal-serve.toml"), config.as_bytes())?;
        out!("   trust/: the root, the office CA, its CRL and the trust list");
        out!("   office.json: the office (licence signer, status-list signer, new seal)");
        out!("   eseal-serve.toml: the service; tokens are stored as SHA-256 only:");
        out!("   token 窗口 01 (verify): {clerk}");
        out!("   token 办证员 王五 (issue, revoke): {officer}");
        out!("   open the URL below in a browser; stop with Ctrl-C");
        let config = eseal::serve::Config::from_toml(&config, &dir)?;
        let tsa = crate::serve_cmd::load_tsa(config.tsa.as_ref().expect("[tsa] above"))?;
        eseal::serve::Service::new(config, Some(tsa))?.run()
    }
}

/// A new random API token (128 bits, hex).
fn new_token() -> eseal::Result<String> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| eseal::Error::Signing("no randomness".into()))?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 of `token` in hex, as the service's configuration holds it.
fn token_sha256(token: &str) -> String {
    hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        token.as_bytes(),
    ))
}

/// The licence QR verified now against `trust` with the status lists `lists`, given in
/// turn.
fn scan_qr(qr: &str, trust: &VerifiedTrustList, lists: &[&[u8]]) -> SignatureReport {
    let mut status_lists = StatusLists::new();
    for list in lists {
        status_lists.insert(sample::STATUS_LIST_URI, list.to_vec());
    }
    verify_licence_qr(
        qr,
        trust,
        StatusCheck::Lists(&status_lists),
        SystemTime::now(),
    )
    .to_report()
}

fn println_seal(seal: &Seal, name: &str) {
    out!(
        "   {name}.esl: {} ({} bytes), picture {name}.png / {name}.svg",
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
