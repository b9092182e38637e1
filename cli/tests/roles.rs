//! Roles are part of the certificate (DESIGN.md "Roles"): every certificate eseal's PKI
//! issues carries its role's extended key usage and acts in no other role; a certificate
//! from another PKI (no eseal role) is judged by key usage for seals and documents and
//! never signs eseal's own artefacts; a CA never acts as a leaf. Each artefact is made with
//! the library's real signing functions and verified the way a bank would.

mod common;

use std::ffi::CStr;
use std::path::Path;
use std::process::Command;
use std::ptr::null_mut;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{Hierarchy, openssl_ok};
use eseal::cms::tsa::Authority;
use eseal::cms::{DigestAlgorithm, OID_TST_INFO, SignOptions, TimestampToken, sign_encapsulated};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::compact::{LicenceClaims, StatusReference, sign_licence};
use eseal::licence::identifiers::{IssuerCode, LicenceId, Uscc};
use eseal::licence::sample;
use eseal::licence::status_list::{Status, StatusList, sign_status_list};
use eseal::licence::trust_list::{
    KeyUse, ListedKey, Office, TrustList, TrustListError, sign_trust_list, verify_trust_list,
};
use eseal::licence::verify::StatusLists;
use eseal::ofd::{OfdSealOptions, Package, VerifyOptions, seal_ofd, verify_ofd};
use eseal::pdf::{PdfSealOptions, seal_pdf, verify_pdf};
use eseal::pki::{self, Certificate, Profile, TrustStore, Usage};
use eseal::report::{Indication, Reason};
use eseal::seal::picture::{SealFont, SealPicture};
use eseal::seal::{
    CertList, PictureInfo, Seal, SealRequest, make_seal, sign_with_seal, verify_seal,
    verify_seal_signature,
};
use sha2::Digest as _;

const USAGE_NOT_ALLOWED: &str = "USAGE_NOT_ALLOWED";
const SL_PREFIX: &str = "https://zz.jl.gov.cn/sl/";
const B_SL_PREFIX: &str = "https://zz.bj.gov.cn/sl/";
const B_URI: &str = "https://zz.bj.gov.cn/sl/1";
const INDEX: u64 = 5;

/// A certificate under test: its row name, key and certificate.
struct Row {
    name: &'static str,
    key: SoftwareKey,
    cert: Certificate,
}

/// The artefacts of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Artefact {
    TrustList,
    StatusList,
    LicenceQr,
    Seal,
    SealSignature,
    Pdf,
    Ofd,
    Timestamp,
}

const ARTEFACTS: [Artefact; 8] = [
    Artefact::TrustList,
    Artefact::StatusList,
    Artefact::LicenceQr,
    Artefact::Seal,
    Artefact::SealSignature,
    Artefact::Pdf,
    Artefact::Ofd,
    Artefact::Timestamp,
];

/// One P-256 PKI with a certificate of every role that makes the other artefacts right:
/// only the certificate under test is ever the wrong one.
struct World {
    h: Hierarchy,
    province: (SoftwareKey, Certificate),
    licence: (SoftwareKey, Certificate),
    status: (SoftwareKey, Certificate),
    maker: (SoftwareKey, Certificate),
    tsa: (SoftwareKey, Certificate),
    font: SealFont,
}

fn font() -> SealFont {
    let bytes = std::fs::read(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("assets/demo-cjk.ttf"),
    );
    SealFont::from_bytes(bytes.unwrap(), 0).unwrap()
}

impl World {
    fn new() -> Self {
        let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
        let leaf = |profile, cn| h.leaf(profile, cn, -1, 365);
        World {
            province: leaf(Profile::TrustList, "吉林省 信任列表签名"),
            licence: leaf(Profile::LicenceSigner, "甲局 证照签名"),
            status: leaf(Profile::StatusList, "甲局 状态列表"),
            maker: leaf(Profile::SealMaker, "制章人"),
            tsa: leaf(Profile::Timestamping, "时间戳服务"),
            font: font(),
            h,
        }
    }

    /// A row per role profile, a certificate from another PKI with only key usage
    /// `digitalSignature | nonRepudiation`, and the office CA used as a leaf.
    fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = [
            ("seal-maker", Profile::SealMaker),
            ("signer", Profile::Signer),
            ("licence-signer", Profile::LicenceSigner),
            ("status-list", Profile::StatusList),
            ("trust-list", Profile::TrustList),
            ("tsa", Profile::Timestamping),
            ("ocsp", Profile::Ocsp),
        ]
        .into_iter()
        .map(|(name, profile)| {
            let (key, cert) = self.h.leaf(profile, &format!("角色 {name}"), -1, 365);
            Row { name, key, cert }
        })
        .collect();
        let (key, cert) = ku_only_certificate(&self.h);
        rows.push(Row {
            name: "ku-only",
            key,
            cert,
        });
        rows.push(Row {
            name: "ca",
            key: SoftwareKey::from_pkcs8_der(&self.h.ca_key.to_pkcs8_der()).unwrap(),
            cert: self.h.ca.clone(),
        });
        rows
    }

    fn store(&self) -> TrustStore {
        self.h.store()
    }

    /// The province's trust list for office A (licence and status-list keys plus `extra`).
    fn trust_list(&self, extra: &[&Certificate]) -> Vec<u8> {
        let mut office = Office::new(sample::OFFICE_CODE, sample::OFFICE_NAME)
            .status_list(SL_PREFIX)
            .key(ListedKey::new(self.licence.1.clone(), KeyUse::Sign))
            .key(ListedKey::new(self.status.1.clone(), KeyUse::Sign));
        for cert in extra {
            office = office.key(ListedKey::new((*cert).clone(), KeyUse::Sign));
        }
        sign_list(
            &TrustList::new("吉林省").office(office),
            &self.province,
            &self.h,
        )
    }

    /// A seal made by `maker` listing `signer`.
    fn seal(&self, maker: (&SoftwareKey, &Certificate), signer: &Certificate) -> Seal {
        let png = SealPicture::new(sample::OFFICE_NAME)
            .to_png(&self.font, 128)
            .unwrap();
        let now = SystemTime::now();
        let request = SealRequest {
            vendor: "eseal".into(),
            es_id: "2200000000001".into(),
            seal_type: 1,
            name: "电子证照专用章".into(),
            cert_list: CertList::Certificates(vec![signer.der().to_vec()]),
            created: now - Duration::from_secs(60),
            valid_start: now - Duration::from_secs(60),
            valid_end: now + Duration::from_secs(365 * 86_400),
            picture: PictureInfo {
                picture_type: "PNG".into(),
                data: png,
                width_mm: 40,
                height_mm: 40,
            },
            ext_datas: Vec::new(),
        };
        make_seal(&request, maker.1, maker.0).unwrap()
    }

    /// The reason codes of verifying `artefact` made with `row`'s key and certificate;
    /// empty when it verifies.
    fn verdict(&self, artefact: Artefact, row: &Row) -> Vec<&'static str> {
        let now = SystemTime::now();
        let store = self.store();
        let (key, cert) = (&row.key, &row.cert);
        match artefact {
            Artefact::TrustList => {
                let list = TrustList::new("吉林省").office(
                    Office::new(sample::OFFICE_CODE, sample::OFFICE_NAME)
                        .status_list(SL_PREFIX)
                        .key(ListedKey::new(self.licence.1.clone(), KeyUse::Sign)),
                );
                let bytes = sign_list(&list, &(clone_key(key), cert.clone()), &self.h);
                match verify_trust_list(&bytes, &store, now, None) {
                    Ok(_) => Vec::new(),
                    Err(e) => codes(&eseal::verify::trust_list_failure(e).reasons),
                }
            }
            Artefact::StatusList => {
                let trust = verify_trust_list(&self.trust_list(&[cert]), &store, now, None)
                    .unwrap_or_else(|e| panic!("{}: {e}", row.name));
                let qr = licence_qr(sample::OFFICE_CODE, &self.licence);
                let token = status_token(sample::STATUS_LIST_URI, (key, cert), Status::Valid);
                let report = licence_report(&qr, Ok(&trust), sample::STATUS_LIST_URI, token);
                codes(&report.signatures[0].reasons)
            }
            Artefact::LicenceQr => {
                let trust = verify_trust_list(&self.trust_list(&[cert]), &store, now, None)
                    .unwrap_or_else(|e| panic!("{}: {e}", row.name));
                let qr = licence_qr(sample::OFFICE_CODE, &(clone_key(key), cert.clone()));
                let token = status_token(
                    sample::STATUS_LIST_URI,
                    (&self.status.0, &self.status.1),
                    Status::Valid,
                );
                let report = licence_report(&qr, Ok(&trust), sample::STATUS_LIST_URI, token);
                codes(&report.signatures[0].reasons)
            }
            Artefact::Seal => {
                let seal = self.seal((key, cert), &self.maker.1);
                codes(&verify_seal(&seal, &store, now).reasons)
            }
            Artefact::SealSignature => {
                let seal = self.seal((&self.maker.0, &self.maker.1), cert);
                let data = "营业执照".as_bytes();
                let signature = sign_with_seal(&seal, data, "doc.txt", cert, key, now).unwrap();
                codes(&verify_seal_signature(&signature, &store, now, Some(data)).reasons)
            }
            Artefact::Pdf => {
                let seal = self.seal((&self.maker.0, &self.maker.1), cert);
                let mut options = PdfSealOptions::new(key, cert);
                options.chain = std::slice::from_ref(&self.h.ca);
                options.seal = Some(&seal);
                let pdf = eseal::pdf::sample::plain_pdf(&["Business licence"], 0);
                let sealed = seal_pdf(pdf, &options).unwrap();
                let report = verify_pdf(&sealed, &store, now).unwrap();
                codes(&report.signatures[0].reasons)
            }
            Artefact::Ofd => {
                let seal = self.seal((&self.maker.0, &self.maker.1), cert);
                let ofd = eseal::ofd::sample::plain_ofd(&["营业执照"], 0).unwrap();
                let package = Package::read(ofd).unwrap();
                let sealed = seal_ofd(&package, &OfdSealOptions::new(&seal, key, cert)).unwrap();
                let sealed = Package::read(sealed).unwrap();
                let options = VerifyOptions::default();
                // As of after sealing: the signature claims the second it was made.
                let report = verify_ofd(&sealed, &store, SystemTime::now(), &options).unwrap();
                codes(&report.signatures[0].reasons)
            }
            Artefact::Timestamp => self.timestamp_verdict(row, &store, now),
        }
    }

    /// A timestamp token over some data signed with `row`'s certificate (by eseal's
    /// authority when it may be one, else around a real TSTInfo), verified; the codes of
    /// its TSA certificate's chain.
    fn timestamp_verdict(
        &self,
        row: &Row,
        store: &TrustStore,
        now: SystemTime,
    ) -> Vec<&'static str> {
        let imprint = sha2::Sha256::digest(b"data").to_vec();
        let token = match Authority::new(
            Arc::new(clone_key(&row.key)),
            row.cert.clone(),
            vec![self.h.ca.clone()],
            "1.2.3.4.1",
        ) {
            Ok(authority) => authority
                .timestamp(DigestAlgorithm::Sha256, &imprint)
                .unwrap(),
            Err(_) => {
                let real = Authority::new(
                    Arc::new(clone_key(&self.tsa.0)),
                    self.tsa.1.clone(),
                    vec![],
                    "1.2.3.4.1",
                )
                .unwrap()
                .timestamp(DigestAlgorithm::Sha256, &imprint)
                .unwrap();
                let options = SignOptions {
                    signer: &row.key,
                    certificate: &row.cert,
                    chain: std::slice::from_ref(&self.h.ca),
                    signing_time: None,
                };
                let tst_info = real.signed_data().econtent().unwrap();
                let der = sign_encapsulated(OID_TST_INFO, tst_info, &options, true).unwrap();
                TimestampToken::from_der(&der).unwrap()
            }
        };
        let result = token.verify("signature", &imprint, store, now);
        let chain = codes(&result.chain.as_ref().unwrap().reasons);
        if chain.is_empty() {
            assert_eq!(result.reasons, vec![], "{}", row.name);
        } else {
            assert!(
                result.reasons.iter().any(|r| matches!(
                    r,
                    Reason::TimestampInvalid { detail, .. }
                        if detail.starts_with("TSA certificate: USAGE_NOT_ALLOWED")
                )),
                "{}: {:?}",
                row.name,
                result.reasons
            );
        }
        chain
    }
}

fn clone_key(key: &SoftwareKey) -> SoftwareKey {
    SoftwareKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap()
}

fn codes(reasons: &[Reason]) -> Vec<&'static str> {
    reasons.iter().map(Reason::code).collect()
}

/// A certificate from another PKI, made with the openssl CLI under `h`'s office CA: key
/// usage `digitalSignature | nonRepudiation`, no extended key usage.
fn ku_only_certificate(h: &Hierarchy) -> (SoftwareKey, Certificate) {
    let (key, cert) = openssl_leaf(h, "other PKI signer", "");
    assert!(cert.ext_key_usage().is_none() && !cert.is_ca());
    (key, cert)
}

/// A leaf for a new P-256 key issued by `h`'s office CA with `openssl ca`, valid from a day
/// ago for 30 days: key usage `digitalSignature | nonRepudiation` and the `extra`
/// extension lines.
fn openssl_leaf(h: &Hierarchy, cn: &str, extra: &str) -> (SoftwareKey, Certificate) {
    openssl_leaf_with(
        h,
        cn,
        &format!("keyUsage=critical,digitalSignature,nonRepudiation\n{extra}"),
    )
}

/// [`openssl_leaf`] with `extensions` in place of its key usage and extra lines.
fn openssl_leaf_with(h: &Hierarchy, cn: &str, extensions: &str) -> (SoftwareKey, Certificate) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    write("ca.pem", &h.ca.to_pem());
    write("ca.key", &h.ca_key.to_pkcs8_pem());
    write("leaf.key", &key.to_pkcs8_pem());
    write("index.txt", "");
    write("serial", "5EED01\n");
    write(
        "ca.cnf",
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n\
         serial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
    );
    write(
        "ext.cnf",
        &format!(
            "basicConstraints=critical,CA:FALSE\n\
             subjectKeyIdentifier=hash\n\
             authorityKeyIdentifier=keyid\n{extensions}"
        ),
    );
    let subject = format!("/CN={cn}");
    openssl_ok(
        d,
        &[
            "req", "-new", "-key", "leaf.key", "-subj", &subject, "-out", "leaf.csr",
        ],
    );
    let date = |t: SystemTime| pki::rfc3339(pki::unix_seconds(t)).replace(['-', ':', 'T'], "");
    let now = SystemTime::now();
    let (start, end) = (
        date(now - Duration::from_secs(86_400)),
        date(now + Duration::from_secs(30 * 86_400)),
    );
    openssl_ok(
        d,
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "leaf.csr",
            "-out",
            "leaf.pem",
            "-startdate",
            &start,
            "-enddate",
            &end,
            "-extfile",
            "ext.cnf",
        ],
    );
    let pem = std::fs::read(d.join("leaf.pem")).unwrap();
    (key, pki::read_certificates(&pem).unwrap().remove(0))
}

/// `list` signed by `signer`, with `h`'s office CA in `x5chain`.
fn sign_list(list: &TrustList, signer: &(SoftwareKey, Certificate), h: &Hierarchy) -> Vec<u8> {
    let now = SystemTime::now();
    sign_trust_list(
        list,
        1,
        now - Duration::from_secs(60),
        now + Duration::from_secs(86_400),
        &signer.0,
        &signer.1,
        std::slice::from_ref(&h.ca),
    )
    .unwrap()
}

/// A licence of the office `code` (its `iss` and `sub` issuer segment) with status entry
/// [`INDEX`] of the office's list, signed by `signer`.
fn licence_qr(code: &str, signer: &(SoftwareKey, Certificate)) -> String {
    let uri = if code == office_b() {
        B_URI
    } else {
        sample::STATUS_LIST_URI
    };
    let now = pki::unix_seconds(SystemTime::now());
    let subject = LicenceId::new(
        "11100000000013338W032".parse().unwrap(),
        code.parse::<IssuerCode>().unwrap(),
        "2430599",
        1,
    )
    .unwrap()
    .to_string();
    let mut claims = LicenceClaims::new(&subject);
    claims.issuer = Some(code.into());
    claims.issued_at = Some(now - 60);
    claims.not_before = Some(now - 86_400);
    claims.status = Some(StatusReference {
        idx: INDEX,
        uri: uri.into(),
    });
    claims.licence.name = Some("营业执照".into());
    claims.licence.holder = Some("长春市某某科技有限公司".into());
    sign_licence(&claims, &signer.0, &signer.1).unwrap()
}

/// Office B's code (USCC).
fn office_b() -> String {
    Uscc::new("11110000000013338").unwrap().to_string()
}

/// A status list for `uri` with entry [`INDEX`] set to `status`, signed by `signer`.
fn status_token(uri: &str, signer: (&SoftwareKey, &Certificate), status: Status) -> Vec<u8> {
    let mut list = StatusList::new(1);
    list.set(INDEX as usize, status).unwrap();
    let now = SystemTime::now();
    sign_status_list(
        &list,
        uri,
        now - Duration::from_secs(60),
        Duration::from_secs(3600),
        now + Duration::from_secs(2 * 86_400),
        signer.0,
        signer.1,
    )
    .unwrap()
}

/// Verifies `qr` against `trust` (verified, or the reason it is not) with `token` filed
/// under `uri`.
fn licence_report(
    qr: &str,
    trust: Result<&eseal::licence::trust_list::VerifiedTrustList, TrustListError>,
    uri: &str,
    token: Vec<u8>,
) -> eseal::report::Report {
    let mut lists = StatusLists::new();
    lists.insert(uri, token);
    eseal::verify::verify_licence(qr, trust, &lists, SystemTime::now()).report
}

/// Which rows may make which artefact.
fn allowed(row: &str, artefact: Artefact) -> bool {
    matches!(
        (row, artefact),
        ("trust-list", Artefact::TrustList)
            | ("status-list", Artefact::StatusList)
            | ("licence-signer", Artefact::LicenceQr)
            | ("seal-maker" | "ku-only", Artefact::Seal)
            | (
                "signer" | "ku-only",
                Artefact::SealSignature | Artefact::Pdf | Artefact::Ofd
            )
            | ("tsa", Artefact::Timestamp)
    )
}

#[test]
fn each_certificate_acts_only_in_its_role() {
    let world = World::new();
    let mut passed = 0;
    for row in world.rows() {
        for artefact in ARTEFACTS {
            let verdict = world.verdict(artefact, &row);
            if allowed(row.name, artefact) {
                assert_eq!(verdict, Vec::<&str>::new(), "{} {artefact:?}", row.name);
                passed += 1;
            } else {
                assert_eq!(
                    verdict,
                    vec![USAGE_NOT_ALLOWED],
                    "{} {artefact:?}",
                    row.name
                );
            }
        }
    }
    assert_eq!(passed, 12);
}

#[test]
fn usage_check_names_what_each_role_needs() {
    let world = World::new();
    let rows = world.rows();
    let row = |name: &str| rows.iter().find(|r| r.name == name).unwrap();
    let refused = |name: &str, usage: Usage| match usage.check(&row(name).cert) {
        Err(Reason::UsageNotAllowed { subject, required }) => {
            assert_eq!(subject, row(name).cert.subject());
            required
        }
        other => panic!("{name} {usage:?}: {other:?}"),
    };
    assert_eq!(
        refused("licence-signer", Usage::TrustListSigner),
        "the extended key usage tslSigning (0.4.0.2231.3.0)"
    );
    assert_eq!(
        refused("ku-only", Usage::LicenceSigner),
        format!(
            "the extended key usage licence signer ({})",
            pki::OID_KP_LICENCE_SIGNER
        )
    );
    assert_eq!(
        refused("tsa", Usage::Signer),
        format!(
            "the extended key usage document signer ({})",
            pki::OID_KP_DOCUMENT_SIGNER
        )
    );
    assert_eq!(
        refused("ocsp", Usage::StatusList),
        format!(
            "the extended key usage status-list signer ({})",
            pki::OID_KP_STATUS_LIST_SIGNER
        )
    );
    assert_eq!(
        refused("ca", Usage::SealMaker),
        "an end-entity certificate for the seal maker role, not a CA certificate"
    );
    assert_eq!(
        refused("signer", Usage::Timestamping),
        "a critical extended key usage of timeStamping alone"
    );
    assert_eq!(Usage::OcspSigner.check(&row("ocsp").cert), Ok(()));
    assert_eq!(Usage::Any.check(&row("ca").cert), Ok(()));
    for profile in Profile::all().into_iter().filter(|p| !p.is_ca()) {
        let (_, cert) = world.h.leaf(profile, profile.name(), -1, 30);
        assert_eq!(profile.usage().check(&cert), Ok(()), "{profile:?}");
        let (critical, oids) = cert.ext_key_usage().unwrap();
        assert!(critical);
        assert_eq!(oids, [profile.purpose().unwrap()]);
        assert_eq!(profile.name().parse::<Profile>().unwrap(), profile);
        assert_eq!(
            profile.usage().name().parse::<Usage>().unwrap(),
            profile.usage()
        );
    }
}

/// anyExtendedKeyUsage grants no eseal role, alone or beside a role.
#[test]
fn any_extended_key_usage_grants_no_role() {
    let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let make = |eku: &str, cn: &str| openssl_leaf(&h, cn, &format!("extendedKeyUsage={eku}\n")).1;
    let any = make("anyExtendedKeyUsage", "any EKU");
    let store = h.store();
    let now = SystemTime::now();
    for usage in [
        Usage::LicenceSigner,
        Usage::StatusList,
        Usage::TrustListSigner,
        Usage::OcspSigner,
        Usage::Timestamping,
    ] {
        let result = store.validate(&any, &[], now, usage);
        assert_eq!(codes(&result.reasons), [USAGE_NOT_ALLOWED], "{usage:?}");
    }
    // No eseal role: judged by key usage for documents, as a certificate of another PKI.
    assert_eq!(
        store.validate(&any, &[], now, Usage::Signer).reasons,
        vec![]
    );
    // Beside the seal-maker role it is still only a seal maker.
    let maker = make(
        &format!("anyExtendedKeyUsage,{}", pki::OID_KP_SEAL_MAKER),
        "any EKU and seal maker",
    );
    assert_eq!(
        store.validate(&maker, &[], now, Usage::SealMaker).reasons,
        vec![]
    );
    let result = store.validate(&maker, &[], now, Usage::Signer);
    assert_eq!(codes(&result.reasons), [USAGE_NOT_ALLOWED]);
}

/// PDF.md check 10: a document signer from another PKI needs key usage
/// `digitalSignature` or `nonRepudiation`, and a certificate without key usage is not
/// restricted (RFC 5280 clause 4.2.1.3); a PDF sealed with each verifies or not
/// accordingly. The seal maker still needs one of the two present.
#[test]
fn a_document_signer_needs_digital_signature_or_non_repudiation() {
    let world = World::new();
    let now = SystemTime::now();
    let store = world.store();
    let row = |name: &'static str, extensions: &str| {
        let (key, cert) = openssl_leaf_with(&world.h, name, extensions);
        Row { name, key, cert }
    };
    for signer in [
        row("nonRepudiation only", "keyUsage=critical,nonRepudiation\n"),
        row(
            "digitalSignature only",
            "keyUsage=critical,digitalSignature\n",
        ),
        row("no key usage", ""),
    ] {
        assert_eq!(signer.cert.ext_key_usage(), None, "{}", signer.name);
        assert_eq!(
            store
                .validate(&signer.cert, &[], now, Usage::Signer)
                .reasons,
            vec![],
            "{}",
            signer.name
        );
        for artefact in [Artefact::Pdf, Artefact::Ofd, Artefact::SealSignature] {
            assert_eq!(
                world.verdict(artefact, &signer),
                Vec::<&str>::new(),
                "{} {artefact:?}",
                signer.name
            );
        }
    }
    let encipherment = row(
        "keyEncipherment only",
        "keyUsage=critical,keyEncipherment\n",
    );
    let refusal = Reason::UsageNotAllowed {
        subject: encipherment.cert.subject().to_string(),
        required: "key usage digitalSignature or nonRepudiation".into(),
    };
    assert_eq!(
        store
            .validate(&encipherment.cert, &[], now, Usage::Signer)
            .reasons,
        vec![refusal.clone()]
    );
    assert_eq!(refusal.verdict().0, Indication::Indeterminate);
    assert_eq!(
        world.verdict(Artefact::Pdf, &encipherment),
        [USAGE_NOT_ALLOWED]
    );
    let pdf = {
        let seal = world.seal((&world.maker.0, &world.maker.1), &encipherment.cert);
        let mut options = PdfSealOptions::new(&encipherment.key, &encipherment.cert);
        options.chain = std::slice::from_ref(&world.h.ca);
        options.seal = Some(&seal);
        let pdf = eseal::pdf::sample::plain_pdf(&["Business licence"], 0);
        seal_pdf(pdf, &options).unwrap()
    };
    let report = verify_pdf(&pdf, &store, now).unwrap();
    assert_eq!(report.signatures[0].indication, Indication::Indeterminate);
    assert_eq!(report.signatures[0].reasons, vec![refusal]);
    // The other roles keep their rules: a seal maker without key usage is refused.
    let no_ku = row("no key usage", "");
    assert_eq!(
        Usage::SealMaker.check(&no_ku.cert),
        Err(Reason::UsageNotAllowed {
            subject: no_ku.cert.subject().to_string(),
            required: "key usage digitalSignature or nonRepudiation".into(),
        })
    );
    assert_eq!(world.verdict(Artefact::Seal, &no_ku), [USAGE_NOT_ALLOWED]);
}

/// A CA trusted directly (pinned) is still no signer: it verifies for `Any` only.
#[test]
fn a_pinned_ca_is_no_leaf() {
    let world = World::new();
    let mut pinned = TrustStore::new();
    pinned.add_anchor(world.h.ca.clone()).unwrap();
    let now = SystemTime::now();
    assert_eq!(
        pinned.validate(&world.h.ca, &[], now, Usage::Any).reasons,
        vec![]
    );
    for usage in [
        Usage::Signer,
        Usage::SealMaker,
        Usage::Timestamping,
        Usage::StatusList,
        Usage::LicenceSigner,
        Usage::TrustListSigner,
        Usage::OcspSigner,
    ] {
        let result = pinned.validate(&world.h.ca, &[], now, usage);
        assert_eq!(codes(&result.reasons), [USAGE_NOT_ALLOWED], "{usage:?}");
    }
    // The CA's own seal signature, verified against a store pinning that CA.
    let ca_key = clone_key(&world.h.ca_key);
    let seal = world.seal((&world.maker.0, &world.maker.1), &world.h.ca);
    let data = b"document";
    let signature = sign_with_seal(&seal, data, "doc", &world.h.ca, &ca_key, now).unwrap();
    let mut store = world.store();
    store.add_anchor(world.h.ca.clone()).unwrap();
    let report = verify_seal_signature(&signature, &store, now, Some(data));
    assert_eq!(codes(&report.reasons), [USAGE_NOT_ALLOWED]);
    assert_eq!(report.indication, Indication::Indeterminate);
}

/// The forgery: office A's licence signer (or its status-list or TSA key) signs a trust
/// list naming itself as office B, then issues B's licences and B's status list.
struct Forgery {
    world: World,
    forged_lists: Vec<(&'static str, Vec<u8>)>,
    qr: String,
    status: Vec<u8>,
}

impl Forgery {
    fn new() -> Self {
        let world = World::new();
        let a_key = (clone_key(&world.licence.0), world.licence.1.clone());
        let as_office_b = Office::new(&office_b(), "北京市市场监督管理局")
            .status_list(B_SL_PREFIX)
            .key(ListedKey::new(a_key.1.clone(), KeyUse::Sign));
        let list = TrustList::new("北京市").office(as_office_b);
        let forged_lists = vec![
            ("licence signer", sign_list(&list, &a_key, &world.h)),
            (
                "status-list signer",
                sign_list(
                    &list,
                    &(clone_key(&world.status.0), world.status.1.clone()),
                    &world.h,
                ),
            ),
            (
                "TSA",
                sign_list(
                    &list,
                    &(clone_key(&world.tsa.0), world.tsa.1.clone()),
                    &world.h,
                ),
            ),
        ];
        let qr = licence_qr(&office_b(), &a_key);
        let status = status_token(B_URI, (&a_key.0, &a_key.1), Status::Valid);
        Forgery {
            world,
            forged_lists,
            qr,
            status,
        }
    }
}

#[test]
fn forged_trust_list_from_an_office_key_is_refused_by_the_library() {
    let f = Forgery::new();
    let store = f.world.store();
    for (who, list) in &f.forged_lists {
        let err = verify_trust_list(list, &store, SystemTime::now(), None).unwrap_err();
        assert!(
            matches!(&err, TrustListError::SignerNotAllowed { required, .. }
                if required == "the extended key usage tslSigning (0.4.0.2231.3.0)"),
            "{who}: {err}"
        );
        let report = licence_report(&f.qr, Err(err), B_URI, f.status.clone());
        assert_eq!(
            report.indication(),
            Some(Indication::Indeterminate),
            "{who}"
        );
        assert_eq!(
            codes(&report.signatures[0].reasons),
            [USAGE_NOT_ALLOWED],
            "{who}"
        );
    }
    // The province's genuine list does not let A's key speak for B either.
    let genuine =
        verify_trust_list(&f.world.trust_list(&[]), &store, SystemTime::now(), None).unwrap();
    let report = licence_report(&f.qr, Ok(&genuine), B_URI, f.status.clone());
    assert_eq!(codes(&report.signatures[0].reasons), ["BINDING"]);
}

#[test]
fn forged_trust_list_from_an_office_key_is_refused_by_the_cli() {
    let f = Forgery::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = |name: &str, bytes: &[u8]| {
        std::fs::write(d.join(name), bytes).unwrap();
        d.join(name).display().to_string()
    };
    let root = path("root.pem", f.world.h.root.to_pem().as_bytes());
    let status = path("status.cwt", &f.status);
    for (who, list) in &f.forged_lists {
        let list = path("forged.cwt", list);
        let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .args([
                "verify",
                &f.qr,
                "--trust-list",
                &list,
                "--status-list",
                &status,
            ])
            .args(["--trust", &root, "--json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{who}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let signature = &json["signatures"][0];
        assert_eq!(signature["indication"], "INDETERMINATE", "{who}");
        assert_eq!(
            signature["reasons"][0]["code"], USAGE_NOT_ALLOWED,
            "{who}: {json}"
        );
        assert_eq!(signature["reasons"].as_array().unwrap().len(), 1, "{who}");
    }
}

#[test]
fn forged_trust_list_from_an_office_key_is_refused_by_the_c_abi() {
    use eseal_ffi::eseal_indication::*;
    use eseal_ffi::eseal_status::*;
    use eseal_ffi::*;
    let last_error = || {
        let message = eseal_last_error_message();
        // SAFETY: NULL or a NUL-terminated string valid until the next call.
        (!message.is_null()).then(|| {
            unsafe { CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned()
        })
    };
    let f = Forgery::new();
    let root = f.world.h.root.to_pem();
    let genuine = f.world.trust_list(&[]);
    // SAFETY: live handles, readable buffers, writable out-pointers, each handle freed once.
    unsafe {
        let mut store = null_mut();
        assert_eq!(eseal_trust_store_new(&mut store), ESEAL_OK);
        assert_eq!(
            eseal_trust_store_add_anchors(store, root.as_ptr(), root.len()),
            ESEAL_OK
        );
        for (who, list) in &f.forged_lists {
            let status =
                eseal_trust_store_add_trust_list(store, list.as_ptr(), list.len(), ESEAL_NOW);
            assert_eq!(status, ESEAL_REFUSED, "{who}");
            let message = last_error().unwrap();
            assert!(
                message.starts_with("USAGE_NOT_ALLOWED: "),
                "{who}: {message}"
            );
        }
        // With the province's list, A's licence signer cannot sign A's status list either.
        assert_eq!(
            eseal_trust_store_add_trust_list(store, genuine.as_ptr(), genuine.len(), ESEAL_NOW),
            ESEAL_OK,
            "{:?}",
            last_error()
        );
        let a_status = status_token(
            sample::STATUS_LIST_URI,
            (&f.world.licence.0, &f.world.licence.1),
            Status::Valid,
        );
        assert_eq!(
            eseal_trust_store_add_status_list(store, a_status.as_ptr(), a_status.len()),
            ESEAL_OK
        );
        let qr = licence_qr(sample::OFFICE_CODE, &f.world.licence);
        let mut report = null_mut();
        let status = eseal_verify(store, qr.as_ptr(), qr.len(), ESEAL_NOW, &mut report);
        assert_eq!(status, ESEAL_OK, "{:?}", last_error());
        assert_eq!(eseal_report_indication(report), ESEAL_INDETERMINATE);
        let first = CStr::from_ptr(eseal_report_first_reason(report, 0));
        assert_eq!(first.to_str().unwrap(), USAGE_NOT_ALLOWED);
        eseal_report_free(report);
        eseal_trust_store_free(store);
    }
}

/// An `ocsp` profile certificate answers for its CA as a delegated responder (RFC 6960
/// clause 4.2.2.2, OpenSSL's responder signing); a certificate of another role does not.
#[test]
fn the_ocsp_profile_signs_ocsp_responses() {
    let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (_, leaf) = h.leaf(Profile::Signer, "签章人", -1, 365);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = leaf.serial();
    let serial = hex::encode_upper(&s[s.iter().position(|b| *b != 0).unwrap_or(0)..]);
    std::fs::write(
        d.join("index.txt"),
        format!("V\t491231000000Z\t\t{serial}\tunknown\t/CN=x\n"),
    )
    .unwrap();
    std::fs::write(d.join("ca.pem"), h.ca.to_pem()).unwrap();
    std::fs::write(d.join("req.der"), pki::ocsp_request_der(&leaf, &h.ca)).unwrap();
    let now = SystemTime::now();
    let verdict = |profile: Profile| {
        let (key, cert) = h.leaf(profile, &format!("OCSP {}", profile.name()), -1, 365);
        std::fs::write(d.join("r.pem"), cert.to_pem()).unwrap();
        std::fs::write(d.join("r.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
        openssl_ok(
            d,
            &[
                "ocsp",
                "-index",
                "index.txt",
                "-CA",
                "ca.pem",
                "-rsigner",
                "r.pem",
                "-rkey",
                "r.key",
                "-reqin",
                "req.der",
                "-respout",
                "resp.der",
                "-ndays",
                "1",
            ],
        );
        let response = pki::OcspResponse::from_der(&std::fs::read(d.join("resp.der")).unwrap());
        let mut store = h.store();
        store.add_ocsp_response(response.unwrap());
        store.validate(&leaf, &[], now, Usage::Signer)
    };
    let good = verdict(Profile::Ocsp);
    assert_eq!(good.reasons, vec![]);
    assert!(
        good.revocation.contains("signed by delegated responder"),
        "{}",
        good.revocation
    );
    // id-pkix-ocsp-nocheck is there: no note about the responder's own status.
    assert!(
        !good.warnings.iter().any(|w| w.contains("nocheck")),
        "{:?}",
        good.warnings
    );
    for profile in [Profile::StatusList, Profile::Timestamping, Profile::Signer] {
        let refused = verdict(profile);
        assert_eq!(
            codes(&refused.reasons),
            ["REVOCATION_UNKNOWN"],
            "{profile:?}"
        );
        assert!(
            refused.warnings.iter().any(|w| w.contains("OCSPSigning")),
            "{profile:?}: {:?}",
            refused.warnings
        );
    }
}
