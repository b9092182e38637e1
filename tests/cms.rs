//! CMS SignedData (RFC 5652) for PDF signatures: OpenSSL 3 verifies what eseal signs,
//! eseal verifies what OpenSSL signs, and every defect comes out as its named reason.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{Hierarchy, openssl, openssl_ok, pdf_signatures};
use eseal::cms::{
    self, CmsVerification, DigestAlgorithm, OID_SIGNATURE_TIME_STAMP_TOKEN, SignOptions, SignedData,
};
use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::pki::{self, Certificate, DistinguishedName, Profile};
use eseal::report::Reason;

/// A signer under a root and an office CA, with its key, certificate and a content file
/// written to a temporary directory as `root.pem`, `ca.pem`, `leaf.pem`, `leaf.key` and
/// `content.bin`.
struct Setup {
    dir: tempfile::TempDir,
    pki: Hierarchy,
    key: SoftwareKey,
    cert: Certificate,
    content: Vec<u8>,
}

impl Setup {
    fn new(algorithm: Algorithm) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = Hierarchy::new(algorithm);
        let (key, cert) = pki.leaf(Profile::Signer, "签章人 张三", -1, 365);
        let content: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let d = dir.path();
        fs::write(d.join("root.pem"), pki.root.to_pem()).unwrap();
        fs::write(d.join("ca.pem"), pki.ca.to_pem()).unwrap();
        fs::write(d.join("leaf.pem"), cert.to_pem()).unwrap();
        fs::write(d.join("leaf.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
        fs::write(d.join("content.bin"), &content).unwrap();
        fs::write(d.join("tampered.bin"), tamper(&content)).unwrap();
        Setup {
            dir,
            pki,
            key,
            cert,
            content,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// eseal's detached signature over the content.
    fn eseal_sign(&self, signing_time: Option<SystemTime>) -> Vec<u8> {
        let digest = DigestAlgorithm::for_signature(self.key.algorithm()).digest(&self.content);
        cms::sign_detached(
            &digest,
            &SignOptions {
                signer: &self.key,
                certificate: &self.cert,
                chain: std::slice::from_ref(&self.pki.ca),
                signing_time,
            },
        )
        .unwrap()
    }

    /// OpenSSL's detached DER signature over `content.bin` with the leaf key, plus `args`.
    fn openssl_sign(&self, args: &[&str]) -> Vec<u8> {
        let base = [
            "cms",
            "-sign",
            "-binary",
            "-in",
            "content.bin",
            "-signer",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "ca.pem",
            "-outform",
            "DER",
            "-out",
            "openssl.der",
        ];
        openssl_ok(self.path(), &[&base[..], args].concat());
        fs::read(self.path().join("openssl.der")).unwrap()
    }

    /// `openssl cms -verify -cades` (which also checks signingCertificate(V2)) of `cms`
    /// over the file `content`; whether it succeeded.
    fn openssl_verifies(&self, cms: &[u8], content: &str) -> bool {
        self.openssl_verifies_with(cms, content, &["-cades"])
    }

    /// [`Setup::openssl_verifies`] with more arguments.
    fn openssl_verifies_with(&self, cms: &[u8], content: &str, args: &[&str]) -> bool {
        fs::write(self.path().join("verify.der"), cms).unwrap();
        let base = [
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "verify.der",
            "-content",
            content,
            "-CAfile",
            "root.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ];
        let out = openssl(self.path(), &[&base[..], args].concat());
        out.status.success()
    }
}

fn tamper(content: &[u8]) -> Vec<u8> {
    let mut tampered = content.to_vec();
    tampered[1234] ^= 0x01;
    tampered
}

/// Parses `cms` and runs checks 3–8 over `content` (given also for signatures without
/// signed attributes).
fn verify(cms: &[u8], content: &[u8], extra: &[Certificate], require: bool) -> CmsVerification {
    let (signed_data, rest) = SignedData::from_der_prefix(cms).unwrap();
    assert!(rest.is_empty());
    let digest = signed_data.digest_algorithm().unwrap().digest(content);
    let whole = || content.to_vec();
    signed_data.verify_with_content(&digest, Some(&whole), extra, require)
}

fn cms_print(dir: &Path, cms: &[u8]) -> String {
    fs::write(dir.join("print.der"), cms).unwrap();
    openssl_ok(
        dir,
        &[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            "print.der",
        ],
    )
}

// 1. eseal signs, OpenSSL verifies.

/// eseal signs; OpenSSL verifies (when it supports the algorithm in CMS) and rejects a
/// tampered content; eseal verifies its own signature.
fn eseal_signs(algorithm: Algorithm, openssl_supports: bool) {
    let s = Setup::new(algorithm);
    let signature = s.eseal_sign(None);
    if openssl_supports {
        assert!(
            s.openssl_verifies(&signature, "content.bin"),
            "{algorithm}: OpenSSL rejects eseal's CMS"
        );
        assert!(
            !s.openssl_verifies(&signature, "tampered.bin"),
            "{algorithm}: OpenSSL accepts tampered content"
        );
    }
    let printed = cms_print(s.path(), &signature);
    assert!(
        printed.contains("id-smime-aa-signingCertificateV2"),
        "{printed}"
    );
    assert!(
        !printed.contains("signingTime"),
        "PAdES has no signing-time"
    );
    assert!(printed.contains("eContent: <ABSENT>"), "{printed}");

    // eseal reads its own: everything passes, the signer and algorithm are known.
    let result = verify(&signature, &s.content, &[], true);
    assert_eq!(result.reasons, vec![], "{algorithm}");
    assert_eq!(result.signer.as_ref(), Some(&s.cert));
    assert_eq!(result.algorithm, Some(algorithm));
    assert_eq!(result.signing_time, None);
    assert_eq!(result.warnings, Vec::<String>::new());
    let (signed_data, _) = SignedData::from_der_prefix(&signature).unwrap();
    let certs = signed_data.certificates();
    assert_eq!(certs.len(), 2);
    assert!(certs.contains(&s.cert) && certs.contains(&s.pki.ca));
    assert!(!signed_data.has_econtent());
    assert_eq!(signed_data.signer_count(), 1);
    assert_eq!(
        signed_data.digest_algorithm(),
        Ok(DigestAlgorithm::for_signature(algorithm))
    );
    assert_eq!(
        verify(&signature, &tamper(&s.content), &[], true).reasons,
        vec![Reason::DigestMismatch]
    );
}

#[test]
fn eseal_p256_signature_verifies_with_openssl() {
    eseal_signs(Algorithm::EcdsaP256Sha256, true);
}

#[test]
fn eseal_p384_signature_verifies_with_openssl() {
    eseal_signs(Algorithm::EcdsaP384Sha384, true);
}

#[test]
fn eseal_rsa_signature_verifies_with_openssl() {
    eseal_signs(Algorithm::RsaPkcs1Sha256, true);
}

#[test]
fn eseal_rsa_pss_signature_verifies_with_openssl() {
    eseal_signs(Algorithm::RsaPssSha256, true);
}

#[test]
fn eseal_ed25519_signature_verifies_with_eseal() {
    // OpenSSL 3.0 has no Ed25519 in CMS (RFC 8419): `cms -sign` and `cms -verify` fail
    // with "invalid digest". pyHanko's Ed25519 signatures verify below
    // (`pyhanko_signatures_verify`); here eseal checks its own.
    eseal_signs(Algorithm::Ed25519, false);
    let s = Setup::new(Algorithm::Ed25519);
    let printed = cms_print(s.path(), &s.eseal_sign(None));
    // RFC 8419 clause 3.1: SHA-512 message digest with Ed25519.
    assert!(printed.contains("algorithm: sha512"), "{printed}");
    assert!(printed.contains("algorithm: ED25519"), "{printed}");
}

#[test]
fn signing_time_is_written_only_when_asked_and_read_back() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
    let signature = s.eseal_sign(Some(at));
    assert!(s.openssl_verifies(&signature, "content.bin"));
    assert!(cms_print(s.path(), &signature).contains("signingTime"));
    let result = verify(&signature, &s.content, &[], true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.signing_time, Some(at));
}

#[test]
fn the_signing_key_must_be_the_certificates_and_the_digest_its_length() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let other = SoftwareKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let digest = DigestAlgorithm::Sha256.digest(&s.content);
    let sign = |signer: &dyn Signer, digest: &[u8]| {
        cms::sign_detached(
            digest,
            &SignOptions {
                signer,
                certificate: &s.cert,
                chain: &[],
                signing_time: None,
            },
        )
    };
    assert!(matches!(
        sign(&other, &digest),
        Err(eseal::Error::Invalid(_))
    ));
    assert!(matches!(
        sign(&s.key, &digest[..20]),
        Err(eseal::Error::Invalid(_))
    ));
    assert!(sign(&s.key, &digest).is_ok());
}

// 2. OpenSSL signs, eseal verifies.

#[test]
fn openssl_cades_signature_verifies_for_pades() {
    for algorithm in [Algorithm::EcdsaP256Sha256, Algorithm::RsaPkcs1Sha256] {
        let s = Setup::new(algorithm);
        let signature = s.openssl_sign(&["-md", "sha256", "-cades"]);
        let result = verify(&signature, &s.content, &[], true);
        assert_eq!(result.reasons, vec![], "{algorithm}");
        assert_eq!(result.signer.as_ref(), Some(&s.cert));
        assert_eq!(result.algorithm, Some(algorithm));
        // OpenSSL adds signingTime: a claim, read back.
        let claimed = result.signing_time.expect("OpenSSL writes signingTime");
        let skew = SystemTime::now()
            .duration_since(claimed)
            .unwrap_or_else(|e| e.duration());
        assert!(skew < Duration::from_secs(600), "{skew:?}");
        assert_eq!(
            verify(&signature, &tamper(&s.content), &[], true).reasons,
            vec![Reason::DigestMismatch],
            "{algorithm}"
        );
    }
}

#[test]
fn openssl_signature_without_signing_certificate_is_adbe_only() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let signature = s.openssl_sign(&["-md", "sha256"]);
    assert_eq!(verify(&signature, &s.content, &[], false).reasons, vec![]);
    assert_eq!(
        verify(&signature, &s.content, &[], true).reasons,
        vec![Reason::MissingSigningCertificateAttr]
    );
}

#[test]
fn openssl_signature_without_signed_attributes_is_over_the_content() {
    for algorithm in [Algorithm::RsaPkcs1Sha256, Algorithm::EcdsaP256Sha256] {
        let s = Setup::new(algorithm);
        let signature = s.openssl_sign(&["-md", "sha256", "-noattr"]);
        let (signed_data, _) = SignedData::from_der_prefix(&signature).unwrap();
        assert!(signed_data.signs_content_directly());
        let result = verify(&signature, &s.content, &[], false);
        assert_eq!(result.reasons, vec![], "{algorithm}");
        assert_eq!(result.algorithm, Some(algorithm));
        let tampered = tamper(&s.content);
        assert_eq!(
            verify(&signature, &tampered, &[], false).reasons,
            vec![Reason::SignatureInvalid],
            "{algorithm}"
        );
        // PAdES needs the signed signingCertificateV2.
        assert_eq!(
            verify(&signature, &s.content, &[], true).reasons,
            vec![Reason::MissingSigningCertificateAttr]
        );
        // Without the content the signature cannot be checked.
        let digest = DigestAlgorithm::Sha256.digest(&s.content);
        assert_eq!(
            signed_data.verify(&digest, &[], false).reasons,
            vec![Reason::DataNotChecked]
        );
    }
}

#[test]
fn openssl_signatures_with_other_hashes_and_pss_verify() {
    let cases: [(Algorithm, &[&str], Algorithm); 4] = [
        (
            Algorithm::EcdsaP256Sha256,
            &["-md", "sha384"],
            Algorithm::EcdsaP256Sha384,
        ),
        (
            Algorithm::RsaPkcs1Sha256,
            &["-md", "sha512"],
            Algorithm::RsaPkcs1Sha512,
        ),
        (
            Algorithm::RsaPkcs1Sha256,
            &[
                "-md",
                "sha256",
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                "rsa_pss_saltlen:digest",
            ],
            Algorithm::RsaPssSha256,
        ),
        (
            Algorithm::RsaPkcs1Sha256,
            &[
                "-md",
                "sha384",
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                "rsa_pss_saltlen:digest",
            ],
            Algorithm::RsaPssSha384,
        ),
    ];
    for (key, args, expected) in cases {
        let s = Setup::new(key);
        let signature = s.openssl_sign(&[args, &["-cades"]].concat());
        let result = verify(&signature, &s.content, &[], true);
        assert_eq!(result.reasons, vec![], "{args:?}");
        assert_eq!(result.algorithm, Some(expected), "{args:?}");
        let mut flipped = signature.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        assert_eq!(
            verify(&flipped, &s.content, &[], true).reasons,
            vec![Reason::SignatureInvalid],
            "{args:?}"
        );
    }
}

#[test]
fn pss_with_a_salt_ring_cannot_check_is_unsupported_not_invalid() {
    let s = Setup::new(Algorithm::RsaPkcs1Sha256);
    let signature = s.openssl_sign(&[
        "-md",
        "sha256",
        "-cades",
        "-keyopt",
        "rsa_padding_mode:pss",
        "-keyopt",
        "rsa_pss_saltlen:max",
    ]);
    assert!(s.openssl_verifies(&signature, "content.bin"));
    let result = verify(&signature, &s.content, &[], true);
    assert!(
        matches!(&result.reasons[..], [Reason::UnsupportedAlgorithm(d)] if d.contains("salt")),
        "{:?}",
        result.reasons
    );
    assert_eq!(result.algorithm, None);
}

// 3. Negative cases.

#[test]
fn wrong_content_digest_is_a_digest_mismatch_only() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let signature = s.eseal_sign(None);
    let (signed_data, _) = SignedData::from_der_prefix(&signature).unwrap();
    let result = signed_data.verify(&[0x5a; 32], &[], true);
    assert_eq!(result.reasons, vec![Reason::DigestMismatch]);
    assert_eq!(result.signer.as_ref(), Some(&s.cert));
}

#[test]
fn a_flipped_signature_byte_is_signature_invalid() {
    for algorithm in [Algorithm::RsaPkcs1Sha256, Algorithm::Ed25519] {
        let s = Setup::new(algorithm);
        let mut signature = s.eseal_sign(None);
        let last = signature.len() - 1;
        signature[last] ^= 0x80;
        assert_eq!(
            verify(&signature, &s.content, &[], true).reasons,
            vec![Reason::SignatureInvalid],
            "{algorithm}"
        );
    }
}

#[test]
fn signer_certificate_removed_is_no_signing_certificate() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let signature = s.openssl_sign(&["-md", "sha256", "-cades", "-nocerts"]);
    let (signed_data, _) = SignedData::from_der_prefix(&signature).unwrap();
    assert_eq!(signed_data.certificates(), std::slice::from_ref(&s.pki.ca));
    let result = verify(&signature, &s.content, &[], true);
    assert_eq!(result.reasons, vec![Reason::NoSigningCertificate]);
    assert_eq!(result.signer, None);
    // Supplied, it is found and everything passes.
    let result = verify(&signature, &s.content, std::slice::from_ref(&s.cert), true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.signer.as_ref(), Some(&s.cert));
    // Another certificate does not stand in for it.
    let result = verify(
        &signature,
        &s.content,
        std::slice::from_ref(&s.pki.ca),
        true,
    );
    assert_eq!(result.reasons, vec![Reason::NoSigningCertificate]);
}

#[test]
fn signer_found_by_subject_key_identifier() {
    let s = Setup::new(Algorithm::RsaPkcs1Sha256);
    assert!(s.cert.subject_key_id().is_some());
    let signature = s.openssl_sign(&["-md", "sha256", "-cades", "-keyid"]);
    let result = verify(&signature, &s.content, &[], true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.signer.as_ref(), Some(&s.cert));
}

#[test]
fn another_certificate_for_the_same_key_is_a_signing_certificate_mismatch() {
    // The sid is not signed: an attacker can point it at another certificate of the same
    // key (e.g. one with other attributes). signingCertificateV2 catches it.
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let twin = loop {
        let twin = pki::issue(
            Profile::Signer,
            &DistinguishedName::common_name("another name, the same key"),
            s.key.public_key_spki(),
            common::validity(-1, 365),
            &s.pki.ca,
            &s.pki.ca_key,
        )
        .unwrap();
        if twin.serial().len() == s.cert.serial().len() {
            break twin;
        }
    };
    let signature = s.eseal_sign(None);
    let mut needle = vec![0x02, s.cert.serial().len() as u8];
    needle.extend_from_slice(s.cert.serial());
    let at: Vec<usize> = signature
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle.as_slice())
        .map(|(i, _)| i)
        .collect();
    // In the certificate, in the sid and in signingCertificateV2's issuerSerial.
    assert_eq!(at.len(), 3);
    let mut swapped = signature.clone();
    swapped[at[1] + 2..at[1] + needle.len()].copy_from_slice(twin.serial());
    let result = verify(&swapped, &s.content, std::slice::from_ref(&twin), true);
    assert_eq!(result.signer.as_ref(), Some(&twin));
    assert_eq!(result.reasons, vec![Reason::SigningCertificateMismatch]);
    // OpenSSL (`-cades`) reads eseal's signingCertificateV2 the same way.
    fs::write(s.path().join("twin.pem"), twin.to_pem()).unwrap();
    let twin_args = ["-certfile", "twin.pem", "-cades"];
    assert!(s.openssl_verifies_with(&signature, "content.bin", &twin_args));
    assert!(!s.openssl_verifies_with(&swapped, "content.bin", &twin_args));
    // The untouched one still passes with the twin supplied.
    let result = verify(&signature, &s.content, std::slice::from_ref(&twin), true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.signer.as_ref(), Some(&s.cert));
}

#[test]
fn every_truncation_is_an_error_and_padding_is_returned() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    for signature in [s.eseal_sign(None), s.openssl_sign(&["-md", "sha256"])] {
        for len in 0..signature.len() {
            assert!(
                SignedData::from_der_prefix(&signature[..len]).is_err(),
                "a {len}-byte prefix parsed"
            );
        }
        let mut padded = signature.clone();
        padded.extend_from_slice(&[0; 300]);
        let (parsed, rest) = SignedData::from_der_prefix(&padded).unwrap();
        assert_eq!(rest, &[0; 300][..]);
        assert_eq!(parsed, SignedData::from_der_prefix(&signature).unwrap().0);
    }
    assert!(SignedData::from_der_prefix(&[0; 64]).is_err());
    assert!(SignedData::from_der_prefix(s.cert.der()).is_err());
}

#[test]
fn every_flipped_byte_parses_or_errors_and_never_passes() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let signature = s.eseal_sign(None);
    let digest = DigestAlgorithm::Sha256.digest(&s.content);
    for i in 0..signature.len() {
        let mut flipped = signature.clone();
        flipped[i] ^= 0x04;
        let Ok((signed_data, _)) = SignedData::from_der_prefix(&flipped) else {
            continue;
        };
        let result = signed_data.verify(&digest, &[], true);
        // A flip inside the embedded CA certificate changes nothing checks 3–8 read; the
        // unsigned versions and digestAlgorithms are warned about.
        if result.reasons.is_empty() && result.warnings.is_empty() {
            let ca = s.pki.ca.der();
            let start = signature.windows(ca.len()).position(|w| w == ca).unwrap();
            assert!(
                (start..start + ca.len()).contains(&i),
                "flipping byte {i} still passes"
            );
        }
    }
}

#[test]
fn several_signers_or_encapsulated_content_are_malformed() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let (key2, cert2) = s.pki.leaf(Profile::Signer, "second signer", -1, 365);
    fs::write(s.path().join("two.pem"), cert2.to_pem()).unwrap();
    fs::write(s.path().join("two.key"), key2.to_pkcs8_pem().as_bytes()).unwrap();
    let two = s.openssl_sign(&[
        "-md", "sha256", "-cades", "-signer", "two.pem", "-inkey", "two.key",
    ]);
    let result = verify(&two, &s.content, &[], true);
    assert!(
        matches!(&result.reasons[..], [Reason::CmsMalformed(d)] if d.contains("2 SignerInfos")),
        "{:?}",
        result.reasons
    );

    let attached = s.openssl_sign(&["-md", "sha256", "-cades", "-nodetach"]);
    let (signed_data, _) = SignedData::from_der_prefix(&attached).unwrap();
    assert!(signed_data.has_econtent());
    assert_eq!(signed_data.econtent(), Some(&s.content[..]));
    let result = verify(&attached, &s.content, &[], true);
    assert!(
        matches!(&result.reasons[..], [Reason::CmsMalformed(d)] if d.contains("eContent")),
        "{:?}",
        result.reasons
    );

    // Another content type, both in encapContentInfo and the content-type attribute.
    let typed = s.openssl_sign(&["-md", "sha256", "-cades", "-econtent_type", "1.2.3.4"]);
    let result = verify(&typed, &s.content, &[], true);
    assert_eq!(result.reasons.len(), 2, "{:?}", result.reasons);
    assert!(
        result
            .reasons
            .iter()
            .all(|r| matches!(r, Reason::CmsMalformed(_))),
        "{:?}",
        result.reasons
    );
}

#[test]
fn sha1_and_small_rsa_keys_are_weak() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let signature = s.openssl_sign(&["-md", "sha1", "-cades"]);
    let result = verify(&signature, &s.content, &[], true);
    assert!(!result.reasons.is_empty());
    assert!(
        result
            .reasons
            .iter()
            .all(|r| matches!(r, Reason::WeakAlgorithm(_))),
        "{:?}",
        result.reasons
    );

    let d = s.path();
    openssl_ok(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "small.key",
        ],
    );
    openssl_ok(
        d,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "small.key",
            "-subj",
            "/CN=small",
            "-days",
            "30",
            "-out",
            "small.pem",
        ],
    );
    openssl_ok(
        d,
        &[
            "cms",
            "-sign",
            "-binary",
            "-in",
            "content.bin",
            "-signer",
            "small.pem",
            "-inkey",
            "small.key",
            "-md",
            "sha256",
            "-cades",
            "-outform",
            "DER",
            "-out",
            "small.der",
        ],
    );
    let signature = fs::read(d.join("small.der")).unwrap();
    let result = verify(&signature, &s.content, &[], true);
    assert_eq!(
        result.reasons,
        vec![Reason::WeakAlgorithm("RSA-1024 key".into())]
    );
    assert_eq!(result.algorithm, None);
}

#[test]
fn unsigned_attributes_are_added_without_breaking_the_signature() {
    let s = Setup::new(Algorithm::EcdsaP256Sha256);
    let signature = s.eseal_sign(None);
    // Any DER value will do for the test; a real one is a TimeStampToken.
    let token = [0x30, 0x03, 0x02, 0x01, 0x2a];
    let stamped =
        cms::add_unsigned_attribute(&signature, OID_SIGNATURE_TIME_STAMP_TOKEN, &token).unwrap();
    let (signed_data, _) = SignedData::from_der_prefix(&stamped).unwrap();
    assert_eq!(
        signed_data.unsigned_attribute(OID_SIGNATURE_TIME_STAMP_TOKEN),
        vec![&token[..]]
    );
    assert_eq!(
        signed_data.signature_value(),
        SignedData::from_der_prefix(&signature)
            .unwrap()
            .0
            .signature_value()
    );
    assert_eq!(verify(&stamped, &s.content, &[], true).reasons, vec![]);
    assert!(s.openssl_verifies(&stamped, "content.bin"));
    assert!(cms_print(s.path(), &stamped).contains("id-smime-aa-timeStampToken"));
    assert!(cms::add_unsigned_attribute(&signature, "1.2.3", &[0x30, 0x05]).is_err());
}

// 4. SM2.

#[test]
fn sm2_signature_verifies_with_eseal() {
    // OpenSSL 3.0 cannot verify SM2 CMS signatures (it neither computes the SM2 Z value
    // with a distinguishing ID in CMS nor maps SM2-with-SM3), so only eseal checks these.
    let s = Setup::new(Algorithm::Sm2Sm3);
    let signature = s.eseal_sign(None);
    let (signed_data, _) = SignedData::from_der_prefix(&signature).unwrap();
    assert_eq!(signed_data.digest_algorithm(), Ok(DigestAlgorithm::Sm3));
    let printed = cms_print(s.path(), &signature);
    assert!(printed.contains("1.2.156.10197.1.501"), "{printed}");
    let result = verify(&signature, &s.content, &[], true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.algorithm, Some(Algorithm::Sm2Sm3));
    assert_eq!(
        verify(&signature, &tamper(&s.content), &[], true).reasons,
        vec![Reason::DigestMismatch]
    );
    let mut flipped = signature.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    assert_eq!(
        verify(&flipped, &s.content, &[], true).reasons,
        vec![Reason::SignatureInvalid]
    );
}

// 5. pyHanko's corpus: third-party signatures, among them Ed25519, Ed448, SKI sids, ESS
// v1, no signed attributes and encapsulated content.

fn corpus(name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/pdf/pyhanko")
        .join(name);
    let pdf = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    pdf_signatures(&pdf)
}

/// Checks 3–8 on a corpus signature, with the content for signatures without signed
/// attributes; the digest is empty when its algorithm is unknown.
fn verify_corpus(cms: &[u8], content: &[u8], require: bool) -> (SignedData, CmsVerification) {
    let (signed_data, _) = SignedData::from_der_prefix(cms).unwrap();
    let digest = signed_data
        .digest_algorithm()
        .map(|d| d.digest(content))
        .unwrap_or_default();
    let whole = || content.to_vec();
    let result = signed_data.verify_with_content(&digest, Some(&whole), &[], require);
    (signed_data, result)
}

#[test]
fn pyhanko_signatures_verify() {
    // (file, signatures, PAdES with signingCertificate(V2), algorithm of each)
    use Algorithm::{EcdsaP384Sha384 as P384, Ed25519, RsaPkcs1Sha256 as Rsa};
    let cases: &[(&str, bool, &[Algorithm])] = &[
        ("certified-with-indirect-refs-in-dir.pdf", true, &[Rsa]),
        ("extensions-direct.pdf", true, &[Rsa, Ed25519]),
        ("extensions-indirect.pdf", true, &[Rsa, Ed25519]),
        ("minimal-signed-twice-no-sig-type.pdf", true, &[P384, P384]),
        ("minimal-two-fields-signed-twice.pdf", false, &[Rsa, Rsa]),
        ("pades-with-old-style-signing-cert-attr.pdf", true, &[Rsa]),
        (
            "pades-with-old-style-signing-cert-attr-issser.pdf",
            true,
            &[Rsa],
        ),
        ("sig-with-ski-sid.pdf", true, &[Rsa]),
        ("sig-no-signed-attrs.pdf", false, &[Rsa]),
        ("separate-annots-kids-indir.pdf", true, &[Rsa, Rsa]),
    ];
    for (name, pades, algorithms) in cases {
        let signatures = corpus(name);
        assert_eq!(signatures.len(), algorithms.len(), "{name}");
        for ((cms, content), algorithm) in signatures.iter().zip(*algorithms) {
            let (signed_data, result) = verify_corpus(cms, content, *pades);
            assert_eq!(result.reasons, vec![], "{name}");
            assert_eq!(result.algorithm, Some(*algorithm), "{name}");
            assert!(result.signer.is_some(), "{name}");
            // And a changed content byte is caught.
            let mut tampered = content.clone();
            tampered[100] ^= 0x01;
            let (_, result) = verify_corpus(cms, &tampered, *pades);
            let expected = if signed_data.signs_content_directly() {
                Reason::SignatureInvalid
            } else {
                Reason::DigestMismatch
            };
            assert_eq!(result.reasons, vec![expected], "{name}");
        }
    }
    let (ski, _) = verify_corpus(&corpus("sig-with-ski-sid.pdf")[0].0, &[], false);
    assert!(!ski.certificates().is_empty());
    let (direct, _) = verify_corpus(&corpus("sig-no-signed-attrs.pdf")[0].0, &[], false);
    assert!(direct.signs_content_directly());
}

/// Ed448 with SHAKE256 (RFC 8419) verifies; with SHA-512 it is refused as the algorithm
/// constraints say, before the signature is judged, never as invalid.
#[test]
fn pyhanko_ed448_verifies_with_shake256_and_is_refused_with_sha512() {
    let signatures = corpus("ed448-shake256-nolen.pdf");
    let (_, result) = verify_corpus(&signatures[0].0, &signatures[0].1, true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.algorithm, Some(Algorithm::Ed448));
    let mut tampered = signatures[0].1.clone();
    tampered[100] ^= 0x01;
    let (_, result) = verify_corpus(&signatures[0].0, &tampered, true);
    assert_eq!(result.reasons, vec![Reason::DigestMismatch]);

    let signatures = corpus("ed448-disallowed-hash.pdf");
    let (_, result) = verify_corpus(&signatures[0].0, &signatures[0].1, true);
    assert_eq!(
        result.reasons,
        vec![Reason::UnsupportedAlgorithm(
            "Ed448 with SHA-512: RFC 8419 clause 2.3 allows SHAKE256 only".into()
        )]
    );
    assert_eq!(result.algorithm, None);
}

#[test]
fn pyhanko_encapsulated_content_and_zero_contents_are_malformed() {
    let signatures = corpus("pdf-sig-with-econtent.pdf");
    let (signed_data, result) = verify_corpus(&signatures[0].0, &signatures[0].1, true);
    assert!(signed_data.has_econtent());
    assert!(
        matches!(&result.reasons[..], [Reason::CmsMalformed(d)] if d.contains("eContent")),
        "{:?}",
        result.reasons
    );
    // An all-zero /Contents does not parse.
    let zeros = corpus("coverage-anomalies__base.pdf");
    assert!(SignedData::from_der_prefix(&zeros[0].0).is_err());
    // A document timestamp is a SignedData over TSTInfo: not a detached PDF signature.
    let lta = corpus("pades-lta-dss-indirect-arrs-test.pdf");
    let (timestamp, _) = SignedData::from_der_prefix(&lta[1].0).unwrap();
    assert_eq!(timestamp.econtent_type(), "1.2.840.113549.1.9.16.1.4");
    assert!(timestamp.econtent().is_some());
    // The signature before it carries a signature timestamp as an unsigned attribute.
    let (signature, _) = SignedData::from_der_prefix(&lta[0].0).unwrap();
    let tokens = signature.unsigned_attribute(OID_SIGNATURE_TIME_STAMP_TOKEN);
    assert_eq!(tokens.len(), 1);
    let (token, rest) = SignedData::from_der_prefix(tokens[0]).unwrap();
    assert!(rest.is_empty());
    assert_eq!(token.econtent_type(), "1.2.840.113549.1.9.16.1.4");
}
