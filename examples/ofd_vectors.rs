//! Writes the OFD test vectors in `test-vectors/ofd/`: documents sealed by eseal with GB/T
//! 38540 seal signatures (SM2), once, twice, locked, and changed after sealing, with the
//! verdicts `eseal verify` gives in `expected.tsv`.
//!
//! `cargo run --example ofd_vectors -- test-vectors/ofd`

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use eseal::{
    Algorithm, CertList, Certificate, DistinguishedName, OfdPackage as Package, OfdPlacement,
    OfdSealOptions, OfdVerifyOptions as VerifyOptions, PictureInfo, Profile, Seal, SealFont,
    SealPicture, SealRequest, Signer as _, SoftwareKey, TrustStore, Validity, make_seal,
    parse_rfc3339, pki, seal_ofd, verify_ofd,
};

/// The font the seal picture is drawn with (the demo's WenQuanYi Micro Hei subset).
const FONT: &[u8] = include_bytes!("../assets/demo-cjk.ttf");
const OFFICE: &str = "吉林省市场监督管理厅";
/// When the documents are sealed, and the clock they are verified at.
const SEALED_AT: &str = "2026-03-02T02:00:00Z";
const CLOCK: &str = "2026-06-02T00:00:00Z";

fn t(text: &str) -> SystemTime {
    parse_rfc3339(text).expect("valid time")
}

fn validity(from: &str, to: &str) -> Validity {
    Validity {
        not_before: t(from),
        not_after: t(to),
    }
}

struct Pki {
    root: Certificate,
    ca: Certificate,
    signers: Vec<(SoftwareKey, Certificate, Seal)>,
}

fn certificate(
    profile: Profile,
    cn: &str,
    to: &str,
    issuer: (&Certificate, &SoftwareKey),
) -> (SoftwareKey, Certificate) {
    let key = SoftwareKey::generate(Algorithm::Sm2Sm3).expect("key");
    let cert = pki::issue(
        profile,
        &DistinguishedName::common_name(cn),
        key.public_key_spki(),
        validity("2026-01-01T00:00:00Z", to),
        issuer.0,
        issuer.1,
    )
    .expect("certificate");
    (key, cert)
}

fn pki() -> Pki {
    let root_key = SoftwareKey::generate(Algorithm::Sm2Sm3).expect("key");
    let root = pki::issue_root(
        &DistinguishedName::common_name("国家电子证照根CA"),
        validity("2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z"),
        &root_key,
    )
    .expect("root");
    let (ca_key, ca) = certificate(
        Profile::OfficeCa,
        &format!("{OFFICE} CA"),
        "2034-01-01T00:00:00Z",
        (&root, &root_key),
    );
    let (maker_key, maker) = certificate(
        Profile::SealMaker,
        "制章人",
        "2031-01-01T00:00:00Z",
        (&ca, &ca_key),
    );
    let picture = SealPicture {
        purpose: Some("电子证照专用章".into()),
        ..SealPicture::new(OFFICE)
    };
    let png = picture
        .to_png(&SealFont::from_bytes(FONT.to_vec(), 0).expect("font"), 256)
        .expect("picture");
    let signers = ["签章人 张三", "签章人 李四"]
        .iter()
        .enumerate()
        .map(|(i, cn)| {
            let (key, cert) =
                certificate(Profile::Signer, cn, "2031-01-01T00:00:00Z", (&ca, &ca_key));
            let seal = make_seal(
                &SealRequest {
                    vendor: "eseal".into(),
                    es_id: format!("220000000000{i}"),
                    seal_type: 1,
                    name: format!("{OFFICE}电子证照专用章"),
                    cert_list: CertList::Certificates(vec![cert.der().to_vec()]),
                    created: t("2026-01-02T00:00:00Z"),
                    valid_start: t("2026-01-02T00:00:00Z"),
                    valid_end: t("2028-01-02T00:00:00Z"),
                    picture: PictureInfo {
                        picture_type: "PNG".into(),
                        data: png.clone(),
                        width_mm: 40,
                        height_mm: 40,
                    },
                    ext_datas: Vec::new(),
                },
                &maker,
                &maker_key,
            )
            .expect("seal");
            (key, cert, seal)
        })
        .collect();
    Pki { root, ca, signers }
}

fn sealed(pki: &Pki, package: &Package, signer: usize, lock: bool) -> Package<'static> {
    let (key, cert, seal) = &pki.signers[signer];
    let mut options = OfdSealOptions::new(seal, key, cert);
    options.signing_time = t(SEALED_AT);
    options.lock = lock;
    if signer == 0 {
        options.placement = OfdPlacement::Keyword {
            keyword: "盖章处".into(),
            occurrence: 0,
        };
    }
    Package::read(seal_ofd(package, &options).expect("sealed")).expect("readable")
}

fn main() {
    let out = std::env::args().nth(1).expect("usage: ofd_vectors DIR");
    let out = Path::new(&out);
    fs::create_dir_all(out).expect("output folder");
    let pki = pki();
    let plain = eseal::ofd::sample::plain_ofd(
        &[
            "营业执照（副本）",
            "统一社会信用代码 91220101MA0000001X",
            "登记机关（盖章处）",
        ],
        0,
    )
    .expect("sample");
    let plain = Package::read(plain).expect("readable");
    let once = sealed(&pki, &plain, 0, false);
    let twice = sealed(&pki, &once, 1, false);
    let locked = sealed(&pki, &twice, 0, true);
    let page = "/Doc_0/Pages/Page_0/Content.xml";
    let text = String::from_utf8(once.get(page).expect("page").to_vec()).expect("UTF-8");
    let changed = text.replace("91220101MA0000001X", "91220101MA0000002X");
    let page_changed = once
        .rewrite(&[(page, changed.as_bytes())])
        .expect("rewritten");
    let file_added = once
        .rewrite(&[("/Doc_0/Res/added.png", b"\x89PNG\r\n\x1a\n")])
        .expect("rewritten");
    let files: [(&str, &[u8], &str); 6] = [
        (
            "unsigned.ofd",
            plain.bytes().expect("read from memory"),
            "the sample document, no signature",
        ),
        (
            "sealed.ofd",
            once.bytes().expect("read from memory"),
            "sealed once, on the keyword 盖章处",
        ),
        (
            "sealed-twice.ofd",
            twice.bytes().expect("read from memory"),
            "a second seal; the first stays valid",
        ),
        (
            "locked.ofd",
            locked.bytes().expect("read from memory"),
            "a third seal that also protects Signatures.xml",
        ),
        (
            "page-changed.ofd",
            &page_changed,
            "sealed.ofd with the credit code changed",
        ),
        (
            "file-added.ofd",
            &file_added,
            "sealed.ofd with a file added after sealing",
        ),
    ];
    fs::write(out.join("root.pem"), pki.root.to_pem()).expect("write");
    fs::write(out.join("office-ca.pem"), pki.ca.to_pem()).expect("write");
    let mut store = TrustStore::new();
    store.add_anchor(pki.root.clone()).expect("anchor");
    store.add_intermediate(pki.ca.clone());
    let mut table =
        String::from("# file\texit\tsignature\tindication\tsub-indication\treasons\tdescription\n");
    for (name, bytes, description) in files {
        fs::write(out.join(name), bytes).expect("write");
        let package = Package::read(bytes.to_vec()).expect("readable");
        let report =
            verify_ofd(&package, &store, t(CLOCK), &VerifyOptions::default()).expect("verified");
        let exit = report.exit_code();
        if report.signatures.is_empty() {
            table.push_str(&format!("{name}\t{exit}\t-\t-\t-\t-\t{description}\n"));
        }
        for (i, s) in report.signatures.iter().enumerate() {
            let sub = s
                .sub_indication
                .map(|s| s.to_string())
                .unwrap_or("-".into());
            let reasons: Vec<&str> = s.reasons.iter().map(|r| r.code()).collect();
            let reasons = if reasons.is_empty() {
                "-".to_string()
            } else {
                reasons.join(",")
            };
            table.push_str(&format!(
                "{name}\t{exit}\t{}\t{}\t{sub}\t{reasons}\t{description}\n",
                i + 1,
                s.indication
            ));
        }
    }
    fs::write(out.join("expected.tsv"), table).expect("write");
    println!("wrote {}", out.display());
}
