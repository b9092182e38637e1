//! The ofdrw test material in ../shared/vectors/ses (SES-OFD.md §8).

use std::path::PathBuf;

use eseal::crypto::SoftwareKey;
use eseal::pki::{Certificate, TrustStore, parse_rfc3339, read_certificates};
use eseal::seal::{CertList, PictureInfo, Seal, SealRequest, make_seal};

pub fn vector(name: &str) -> PathBuf {
    super::root().join("../shared/vectors/ses").join(name)
}

pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The certificates of an ofdrw legacy PKCS#12, with the openssl CLI.
pub fn p12_certificates(name: &str, password: &str) -> Vec<Certificate> {
    let dir = tempfile::tempdir().unwrap();
    let pem = super::openssl_ok(
        dir.path(),
        &[
            "pkcs12",
            "-legacy",
            "-in",
            vector(name).to_str().unwrap(),
            "-nokeys",
            "-passin",
            &format!("pass:{password}"),
        ],
    );
    read_certificates(pem.as_bytes()).unwrap()
}

/// The ofdrw test root (ROOT.p12) as the only anchor.
pub fn root() -> TrustStore {
    let mut store = TrustStore::new();
    for cert in p12_certificates("ROOT.p12", "123456") {
        store.add_anchor(cert).unwrap();
    }
    store
}

/// ofdrw's "Test Certificate" signer (USER.p12): key and certificate, valid 2020-04-21 →
/// 2022-04-21, listed in UserV1.esl and UserV4.esl; with the openssl CLI.
pub fn user() -> (SoftwareKey, Certificate) {
    let dir = tempfile::tempdir().unwrap();
    let pem = super::openssl_ok(
        dir.path(),
        &[
            "pkcs12",
            "-legacy",
            "-in",
            vector("USER.p12").to_str().unwrap(),
            "-nocerts",
            "-nodes",
            "-passin",
            "pass:777777",
        ],
    );
    let start = pem.find("-----BEGIN").expect("a PEM key");
    let key = SoftwareKey::from_pem(&pem[start..], None).unwrap();
    (key, p12_certificates("USER.p12", "777777").remove(0))
}

/// ofdrw's signing key (SEC1 `EC PRIVATE KEY`) and certificate, valid 2021-07-29 →
/// 2023-07-29.
pub fn signer() -> (SoftwareKey, Certificate) {
    let key =
        SoftwareKey::from_pem(&String::from_utf8(read("sign_key.pem")).unwrap(), None).unwrap();
    let cert = read_certificates(&read("sign_cert.pem")).unwrap().remove(0);
    (key, cert)
}

/// A v4 seal made and listed by ofdrw's signing key, valid in 2022, with ofdrw's stamp
/// picture.
pub fn signer_seal(key: &SoftwareKey, cert: &Certificate, es_id: &str, name: &str) -> Seal {
    let request = SealRequest {
        vendor: "eseal".into(),
        es_id: es_id.into(),
        seal_type: 1,
        name: name.into(),
        cert_list: CertList::Certificates(vec![cert.der().to_vec()]),
        created: parse_rfc3339("2022-01-01T00:00:00Z").unwrap(),
        valid_start: parse_rfc3339("2022-01-01T00:00:00Z").unwrap(),
        valid_end: parse_rfc3339("2023-01-01T00:00:00Z").unwrap(),
        picture: PictureInfo {
            picture_type: "PNG".into(),
            data: read("StampImg.png"),
            width_mm: 40,
            height_mm: 40,
        },
        ext_datas: Vec::new(),
    };
    make_seal(&request, cert, key).unwrap()
}
