//! Hostile and broken input to the certificate, CRL and key parsers: each must come back as
//! the right `eseal::Error` variant, never as a panic or a stack overflow.

mod common;

use std::path::Path;

use eseal::Error;
use eseal::crypto::{Algorithm, PublicKey, Signer, SoftwareKey};
use eseal::pki::{
    Certificate, Crl, DistinguishedName, MAX_PKI_FILE, Validity, issue_root, read_certificates,
};

use common::{openssl_ok, openssl_p256_self_signed};

/// A fresh self-signed P-256 certificate, as eseal issues it.
fn test_certificate() -> Certificate {
    let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).expect("generate a P-256 key");
    issue_root(
        &DistinguishedName::common_name("T"),
        Validity::days_from_now(1),
        &key,
    )
    .expect("issue a root certificate")
}

fn read_text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read openssl output")
}

/// DER of `05 00` (NULL) wrapped in `depth` definite-length SEQUENCEs.
fn nested_sequences(depth: usize) -> Vec<u8> {
    fn length_octets(len: usize) -> Vec<u8> {
        if len < 0x80 {
            return vec![len as u8];
        }
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let mut out = vec![0x80 | (bytes.len() - skip) as u8];
        out.extend_from_slice(&bytes[skip..]);
        out
    }
    // content_lengths[i] is the content length of the SEQUENCE at level i from the inside.
    let mut content_lengths = Vec::with_capacity(depth);
    let mut len = 2; // 05 00
    for _ in 0..depth {
        content_lengths.push(len);
        len += 1 + length_octets(len).len();
    }
    let mut out = Vec::with_capacity(len);
    for &content in content_lengths.iter().rev() {
        out.push(0x30);
        out.extend(length_octets(content));
    }
    out.extend_from_slice(&[0x05, 0x00]);
    assert_eq!(out.len(), len);
    out
}

fn assert_malformed<T: std::fmt::Debug>(result: eseal::Result<T>, input: &str) {
    assert!(
        matches!(result, Err(Error::Malformed { .. })),
        "{input}: expected Error::Malformed, got {result:?}"
    );
}

fn assert_too_large<T: std::fmt::Debug>(result: eseal::Result<T>, input: &str) {
    assert!(
        matches!(result, Err(Error::TooLarge { .. })),
        "{input}: expected Error::TooLarge, got {result:?}"
    );
}

#[test]
fn nested_sequences_are_well_formed() {
    assert_eq!(nested_sequences(0), [0x05, 0x00]);
    assert_eq!(nested_sequences(2), [0x30, 0x04, 0x30, 0x02, 0x05, 0x00]);
    let deep = nested_sequences(100_000);
    assert!(
        deep.len() > 400_000 && deep.len() < 600_000,
        "{}",
        deep.len()
    );
    // The outer header's length covers exactly the rest.
    assert_eq!(deep[..2], [0x30, 0x83]);
    let outer = usize::from(deep[2]) << 16 | usize::from(deep[3]) << 8 | usize::from(deep[4]);
    assert_eq!(outer, deep.len() - 5);
}

#[test]
fn the_untouched_certificate_parses() {
    let cert = test_certificate();
    let parsed = Certificate::from_der(cert.der()).expect("parse the certificate");
    assert_eq!(parsed.der(), cert.der());
    assert_eq!(read_certificates(cert.der()).expect("read DER").len(), 1);
    assert_eq!(
        read_certificates(cert.to_pem().as_bytes())
            .expect("read PEM")
            .len(),
        1
    );
}

#[test]
fn truncated_der_certificate_is_malformed() {
    let cert = test_certificate();
    let der = cert.der();
    for len in 0..der.len() {
        let truncated = &der[..len];
        assert_malformed(
            Certificate::from_der(truncated),
            &format!("certificate truncated to {len} of {} bytes", der.len()),
        );
        assert_malformed(
            read_certificates(truncated),
            &format!("read_certificates, truncated to {len} bytes"),
        );
    }
}

#[test]
fn garbage_bytes_are_malformed() {
    let mut garbage: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage[0] = 0x9f; // not a SEQUENCE tag, not "-----BEGIN"
    assert_malformed(Certificate::from_der(&garbage), "garbage certificate");
    assert_malformed(read_certificates(&garbage), "garbage to read_certificates");
    assert_malformed(Crl::from_der(&garbage), "garbage CRL");
    assert_malformed(Crl::from_pem_or_der(&garbage), "garbage CRL, PEM or DER");
    assert_malformed(SoftwareKey::from_pkcs8_der(&garbage), "garbage PKCS#8");
    assert_malformed(
        SoftwareKey::from_encrypted_pkcs8_der(&garbage, "pw"),
        "garbage encrypted PKCS#8",
    );
    assert_malformed(PublicKey::from_spki_der(&garbage), "garbage SPKI");
    assert_malformed(
        SoftwareKey::from_pem("this is not PEM at all", None),
        "text that is not PEM, as a key",
    );
    assert_malformed(Certificate::from_der(&[]), "empty certificate");
    assert_malformed(read_certificates(&[]), "empty input to read_certificates");
    assert_malformed(Crl::from_der(&[]), "empty CRL");
}

#[test]
fn a_pem_bundle_cut_short_is_malformed() {
    let pem = test_certificate().to_pem();
    let bundle = format!("{pem}{pem}");
    assert_eq!(read_certificates(bundle.as_bytes()).unwrap().len(), 2);
    let cut = &bundle[..bundle.len() - 40];
    let error = read_certificates(cut.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        error,
        "malformed PEM: 1 of 2 CERTIFICATE blocks are not complete"
    );
}

#[test]
fn pem_with_broken_base64_is_malformed() {
    let cert = test_certificate();
    let pem = cert.to_pem();
    // '!' and '*' are not in the base64 alphabet.
    let broken = pem.replacen(
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n!!**",
        1,
    );
    assert_ne!(broken, pem);
    assert_malformed(
        read_certificates(broken.as_bytes()),
        "certificate PEM with a broken base64 body",
    );
    let broken_crl = "-----BEGIN X509 CRL-----\n!!!not*base64!!!\n-----END X509 CRL-----\n";
    assert_malformed(
        Crl::from_pem_or_der(broken_crl.as_bytes()),
        "CRL PEM with a broken base64 body",
    );
    let broken_key = "-----BEGIN PRIVATE KEY-----\n!!!not*base64!!!\n-----END PRIVATE KEY-----\n";
    assert_malformed(
        SoftwareKey::from_pem(broken_key, None),
        "key PEM with a broken base64 body",
    );
}

#[test]
fn pem_without_certificate_block_reads_as_no_certificates() {
    let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).expect("generate a key");
    let key_pem = key.to_pkcs8_pem();
    let certs = read_certificates(key_pem.as_bytes()).expect("a PEM with only a key block");
    assert!(certs.is_empty(), "expected no certificates, got {certs:?}");

    let other = "-----BEGIN SOMETHING ELSE-----\nAAEC\n-----END SOMETHING ELSE-----\n";
    let certs = read_certificates(other.as_bytes()).expect("a PEM with an unrelated block");
    assert!(certs.is_empty(), "expected no certificates, got {certs:?}");
}

#[test]
fn bytes_after_a_der_certificate_are_malformed() {
    let cert = test_certificate();
    for trailer in [&[0x00][..], &[0x05, 0x00], b"trailing garbage"] {
        let mut der = cert.der().to_vec();
        der.extend_from_slice(trailer);
        assert_malformed(
            Certificate::from_der(&der),
            &format!("certificate with {} trailing bytes", trailer.len()),
        );
        assert_malformed(
            read_certificates(&der),
            &format!("read_certificates, {} trailing bytes", trailer.len()),
        );
    }
    // Two certificates back to back in DER are one certificate and trailing bytes.
    let mut two = cert.der().to_vec();
    two.extend_from_slice(cert.der());
    assert_malformed(
        Certificate::from_der(&two),
        "two DER certificates concatenated",
    );
}

#[test]
fn huge_input_is_too_large() {
    let huge = vec![0x30; 100 * 1024 * 1024];
    assert!(huge.len() > MAX_PKI_FILE);
    assert_too_large(read_certificates(&huge), "100 MiB to read_certificates");
    assert_too_large(Crl::from_der(&huge), "100 MiB to Crl::from_der");
    assert_too_large(
        Crl::from_pem_or_der(&huge),
        "100 MiB to Crl::from_pem_or_der",
    );
    assert_too_large(
        SoftwareKey::from_pkcs8_der(&huge),
        "100 MiB to SoftwareKey::from_pkcs8_der",
    );
    assert_too_large(
        SoftwareKey::from_encrypted_pkcs8_der(&huge, "pw"),
        "100 MiB to SoftwareKey::from_encrypted_pkcs8_der",
    );
    assert_too_large(
        SoftwareKey::from_pkcs12(&huge, "pw"),
        "100 MiB to SoftwareKey::from_pkcs12",
    );

    // Just over the limits still counts.
    assert_too_large(
        read_certificates(&huge[..MAX_PKI_FILE + 1]),
        "MAX_PKI_FILE + 1 bytes to read_certificates",
    );
    assert_too_large(
        SoftwareKey::from_pkcs8_der(&huge[..(1 << 20) + 1]),
        "1 MiB + 1 bytes to SoftwareKey::from_pkcs8_der",
    );

    let mut huge_pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    huge_pem.resize(100 * 1024 * 1024, b'A');
    assert_too_large(
        read_certificates(&huge_pem),
        "100 MiB PEM to read_certificates",
    );
    let huge_text = String::from_utf8(huge_pem).expect("ASCII");
    assert_too_large(
        SoftwareKey::from_pem(&huge_text, None),
        "100 MiB PEM to SoftwareKey::from_pem",
    );
}

#[test]
fn deeply_nested_der_is_an_error_not_a_stack_overflow() {
    let deep = nested_sequences(100_000);
    assert_malformed(
        Certificate::from_der(&deep),
        "100 000 nested SEQUENCEs as a certificate",
    );
    assert_malformed(
        read_certificates(&deep),
        "100 000 nested SEQUENCEs to read_certificates",
    );
    assert_malformed(Crl::from_der(&deep), "100 000 nested SEQUENCEs as a CRL");
    assert_malformed(
        SoftwareKey::from_pkcs8_der(&deep),
        "100 000 nested SEQUENCEs as PKCS#8",
    );
    assert_malformed(
        SoftwareKey::from_encrypted_pkcs8_der(&deep, "pw"),
        "100 000 nested SEQUENCEs as encrypted PKCS#8",
    );
    assert_malformed(
        PublicKey::from_spki_der(&deep),
        "100 000 nested SEQUENCEs as SubjectPublicKeyInfo",
    );
}

#[test]
fn encrypted_pkcs8_wrong_password_is_wrong_password() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    openssl_ok(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "k.pem",
        ],
    );
    openssl_ok(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:right",
            "-in",
            "k.pem",
            "-out",
            "enc.pem",
        ],
    );
    let encrypted = read_text(dir, "enc.pem");
    assert!(encrypted.contains("ENCRYPTED PRIVATE KEY"), "{encrypted}");

    let result = SoftwareKey::from_pem(&encrypted, Some("wrong"));
    assert!(
        matches!(result, Err(Error::WrongPassword)),
        "wrong password: expected Error::WrongPassword, got {result:?}"
    );
    let key = SoftwareKey::from_pem(&encrypted, Some("right")).expect("right password");
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256Sha256);

    // The same key, unencrypted, is the same key.
    let plain = SoftwareKey::from_pem(&read_text(dir, "k.pem"), None).expect("plain key");
    assert_eq!(plain.public_key_spki(), key.public_key_spki());

    // The DER form behaves the same.
    let der = pem::parse(&encrypted).expect("PEM").into_contents();
    let result = SoftwareKey::from_encrypted_pkcs8_der(&der, "wrong");
    assert!(
        matches!(result, Err(Error::WrongPassword)),
        "wrong password on DER: expected Error::WrongPassword, got {result:?}"
    );
    assert!(SoftwareKey::from_encrypted_pkcs8_der(&der, "right").is_ok());

    // An encrypted key without a password is a request that cannot be carried out.
    let result = SoftwareKey::from_pem(&encrypted, None);
    assert!(
        matches!(result, Err(Error::Invalid(_))),
        "no password: expected Error::Invalid, got {result:?}"
    );
}

#[test]
fn pkcs12_wrong_password_is_wrong_password() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    openssl_p256_self_signed(dir, "t", "/CN=t");
    openssl_ok(
        dir,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "t.key",
            "-in",
            "t.pem",
            "-passout",
            "pass:right",
            "-out",
            "t.p12",
        ],
    );
    let p12 = std::fs::read(dir.join("t.p12")).expect("read t.p12");

    let result = SoftwareKey::from_pkcs12(&p12, "wrong");
    assert!(
        matches!(result, Err(Error::WrongPassword)),
        "wrong PKCS#12 password: expected Error::WrongPassword, got {result:?}"
    );

    let (key, certs) = SoftwareKey::from_pkcs12(&p12, "right").expect("right password");
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256Sha256);
    assert_eq!(certs.len(), 1, "expected one certificate in the PKCS#12");
    let cert = Certificate::from_der(&certs[0]).expect("the PKCS#12 certificate parses");
    assert_eq!(cert.spki_der(), key.public_key_spki());
    let from_pem = read_certificates(read_text(dir, "t.pem").as_bytes()).expect("t.pem");
    assert_eq!(from_pem.len(), 1);
    assert_eq!(from_pem[0].der(), cert.der());

    // Garbage and truncation are malformed, not a wrong password.
    assert_malformed(
        SoftwareKey::from_pkcs12(&p12[..p12.len() / 2], "right"),
        "truncated PKCS#12",
    );
}

#[test]
fn openssl_sm2_key_loads_as_sm2_sm3() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    openssl_ok(dir, &["genpkey", "-algorithm", "SM2", "-out", "sm2.pem"]);
    let pem = read_text(dir, "sm2.pem");
    let key = SoftwareKey::from_pem(&pem, None).expect("load the SM2 key");
    assert_eq!(key.algorithm(), Algorithm::Sm2Sm3);
    let spki = PublicKey::from_spki_der(key.public_key_spki()).expect("the SM2 SPKI parses");
    assert_eq!(spki.key_type(), eseal::crypto::KeyType::Sm2);
    let signature = key.sign(b"message").expect("sign with the SM2 key");
    spki.verify(Algorithm::Sm2Sm3, b"message", &signature)
        .expect("the SM2 signature verifies");
}
