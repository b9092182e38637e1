//! `eseal demo`: the whole story on an embedded default, step by step.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use eseal::crypto::Algorithm;
use eseal::pki::{
    Certificate, Crl, DistinguishedName, OfficeCa, Profile, RevocationReason, TrustStore, Usage,
};
use eseal::report::SignatureReport;

use crate::write_file;

#[derive(clap::Args)]
pub struct Args {
    /// Leave every artefact in DIR (default: a new temporary folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

const AUTHORITY: &str = "国家电子证照根CA";
const OFFICE: &str = "某某市市场监督管理局";

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

    step(1, "the authority creates its SM2 root CA");
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

    step(2, "the root certifies the issuing office's CA");
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

    step(3, "the office issues its working certificates");
    let mut signer = None;
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
        if profile == Profile::Signer {
            signer = Some(cert);
        }
    }
    let signer = signer.expect("the signer was issued");

    let mut store = TrustStore::new();
    store.add_anchor(root.certificate().clone())?;
    store.add_intermediate(office.certificate().clone());

    step(
        4,
        "a verifier checks the signer's certificate against the root",
    );
    let now = SystemTime::now();
    verdict(
        &store
            .validate(&signer, &[], now, Usage::Signer)
            .to_report("certificate"),
    );
    out!(
        "   same as: eseal verify {0}/signer.pem --trust {0}/root.pem --usage signer",
        dir.display()
    );

    step(
        5,
        "the signer's certificate is used for the wrong job (timestamping)",
    );
    verdict(
        &store
            .validate(&signer, &[], now, Usage::Timestamping)
            .to_report("certificate"),
    );

    step(
        6,
        "the office revokes the signer (key compromise) and publishes a CRL",
    );
    office.revoke(&signer.serial_hex(), RevocationReason::KeyCompromise, now)?;
    let crl = office.crl(7)?;
    write_file(&dir.join("office-ca.crl"), crl.der())?;
    out!(
        "   office-ca.crl: {} revoked, next update in 7 days",
        crl.entries().len()
    );

    step(7, "the verifier checks again with the CRL");
    store.add_crl(Crl::from_der(crl.der())?);
    let later = now + Duration::from_secs(1);
    verdict(
        &store
            .validate(&signer, &[], later, Usage::Signer)
            .to_report("certificate"),
    );
    step(
        8,
        "as of a minute before the revocation the certificate was good",
    );
    let before = now - Duration::from_secs(60);
    verdict(
        &store
            .validate(&signer, &[], before, Usage::Signer)
            .to_report("certificate"),
    );

    out!(
        "\nopenssl can read every file: openssl x509 -in {} -noout -text",
        path(&dir, "signer.pem")
    );
    Ok(0)
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn step(n: u32, what: &str) {
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
