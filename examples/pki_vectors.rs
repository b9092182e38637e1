//! Writes the PKI test vectors in `test-vectors/pki/`: an SM2 and a P-256 hierarchy with
//! good, expired, revoked, tampered and wrong-usage leaves, a CRL and the expected verdicts.
//!
//! `cargo run --example pki_vectors -- test-vectors/pki`

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use eseal::{
    Algorithm, Certificate, DistinguishedName, Profile, RevocationReason, RevokedEntry, Signer,
    SoftwareKey, Validity, parse_rfc3339, pki,
};

fn t(text: &str) -> SystemTime {
    parse_rfc3339(text).expect("valid time")
}

fn unix(text: &str) -> i64 {
    pki::unix_seconds(t(text))
}

fn validity(from: &str, to: &str) -> Validity {
    Validity {
        not_before: t(from),
        not_after: t(to),
    }
}

fn dn(cn: &str, org: &str) -> DistinguishedName {
    DistinguishedName {
        common_name: cn.into(),
        organization: Some(org.into()),
        ..Default::default()
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("writable");
}

fn hierarchy(dir: &Path, algorithm: Algorithm) -> eseal::Result<()> {
    fs::create_dir_all(dir).expect("writable");
    let root_key = SoftwareKey::generate(algorithm)?;
    let root = pki::issue_root(
        &dn("测试根CA", "电子证照测试中心"),
        validity("2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z"),
        &root_key,
    )?;
    let ca_key = SoftwareKey::generate(algorithm)?;
    let ca = pki::issue(
        Profile::OfficeCa,
        &dn("测试市市场监督管理局 CA", "测试市市场监督管理局"),
        ca_key.public_key_spki(),
        validity("2026-01-01T00:00:00Z", "2034-01-01T00:00:00Z"),
        &root,
        &root_key,
    )?;
    let leaf = |profile: Profile, cn: &str, to: &str| -> eseal::Result<Certificate> {
        let key = SoftwareKey::generate(algorithm)?;
        pki::issue(
            profile,
            &dn(cn, "测试市市场监督管理局"),
            key.public_key_spki(),
            validity("2026-01-01T00:00:00Z", to),
            &ca,
            &ca_key,
        )
    };
    let signer = leaf(Profile::Signer, "签章人 张三", "2031-01-01T00:00:00Z")?;
    let expired = leaf(Profile::Signer, "签章人 李四", "2026-06-30T00:00:00Z")?;
    let revoked = leaf(Profile::Signer, "签章人 王五", "2031-01-01T00:00:00Z")?;
    let tsa = leaf(Profile::Timestamping, "时间戳服务", "2031-01-01T00:00:00Z")?;
    let mut tampered = signer.der().to_vec();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x01;
    let crl = pki::issue_crl(
        &ca,
        &ca_key as &dyn Signer,
        1,
        t("2026-10-01T00:00:00Z"),
        t("2036-01-01T00:00:00Z"),
        &[RevokedEntry {
            serial: revoked.serial().to_vec(),
            revoked_at: unix("2026-09-01T00:00:00Z"),
            reason: Some(RevocationReason::KeyCompromise),
        }],
    )?;
    let with_ca = |c: &Certificate| format!("{}{}", c.to_pem(), ca.to_pem());
    write(dir, "root.pem", &root.to_pem());
    write(dir, "office-ca.pem", &ca.to_pem());
    write(dir, "signer.pem", &with_ca(&signer));
    write(dir, "expired-signer.pem", &with_ca(&expired));
    write(dir, "revoked-signer.pem", &with_ca(&revoked));
    write(dir, "tsa.pem", &with_ca(&tsa));
    write(
        dir,
        "tampered-signer.pem",
        &format!(
            "{}{}",
            pem::encode(&pem::Pem::new("CERTIFICATE", tampered)),
            ca.to_pem()
        ),
    );
    write(dir, "office-ca.crl.pem", &crl.to_pem());
    Ok(())
}

fn main() -> eseal::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test-vectors/pki".into());
    let out = Path::new(&out);
    hierarchy(&out.join("sm2"), Algorithm::Sm2Sm3)?;
    hierarchy(&out.join("p256"), Algorithm::EcdsaP256Sha256)?;
    println!("wrote {}", out.display());
    Ok(())
}
