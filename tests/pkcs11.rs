//! `Pkcs11Signer` against a real SoftHSM2 token set up in a temporary directory.
#![cfg(feature = "pkcs11")]

use std::fs;
use std::path::Path;
use std::process::Command;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use eseal::Error;
use eseal::crypto::pkcs11::Pkcs11Signer;
use eseal::crypto::{Algorithm, PublicKey, Signer, verify};
use eseal::pki::{DistinguishedName, Profile, Validity, issue, issue_root};
use ring::signature::{self as rs, UnparsedPublicKey};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "eseal-test";
const SO_PIN: &str = "so-pin-1234";
const USER_PIN: &str = "user-pin-5678";
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const MESSAGE: &[u8] = b"electronic licence No. 0001";

/// Public keys of the generated token keys, read back from the token by the setup.
struct TokenKeys {
    p256_point: Vec<u8>,
    p384_point: Vec<u8>,
    rsa_modulus: Vec<u8>,
    rsa_exponent: Vec<u8>,
}

#[test]
fn softhsm_keys_sign_verify_and_issue() {
    let module = Path::new(MODULE);
    assert!(
        module.exists(),
        "{MODULE} is missing: install SoftHSM2 (e.g. `apt-get install softhsm2`) to run the PKCS#11 tests"
    );
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };

    let keys = set_up_token(module);

    let err = Pkcs11Signer::open(module, TOKEN, "wrong-pin", "p256").unwrap_err();
    assert!(matches!(err, Error::Pkcs11(_)), "wrong PIN gave {err:?}");
    let err = Pkcs11Signer::open(module, "no-such-token", USER_PIN, "p256").unwrap_err();
    assert!(
        matches!(err, Error::Pkcs11(_)),
        "missing token gave {err:?}"
    );

    let p256 = Pkcs11Signer::open(module, TOKEN, USER_PIN, "p256").unwrap();
    let p384 = Pkcs11Signer::open(module, TOKEN, USER_PIN, "p384").unwrap();
    let rsa = Pkcs11Signer::open(module, TOKEN, USER_PIN, "rsa").unwrap();

    let err = Pkcs11Signer::open(module, TOKEN, USER_PIN, "no-such-key").unwrap_err();
    assert!(matches!(err, Error::Pkcs11(_)), "missing key gave {err:?}");
    assert!(err.to_string().contains("no-such-key"), "{err}");

    check_ec(&p256, Algorithm::EcdsaP256Sha256, &keys.p256_point);
    check_ec(&p384, Algorithm::EcdsaP384Sha384, &keys.p384_point);
    check_rsa(&rsa, &keys);

    let shared = &p256;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| scope.spawn(move || (i, shared.sign(format!("message {i}").as_bytes()))))
            .collect();
        for handle in handles {
            let (i, signature) = handle.join().unwrap();
            let message = format!("message {i}");
            verify(
                Algorithm::EcdsaP256Sha256,
                &keys.p256_point,
                message.as_bytes(),
                &signature.unwrap(),
            )
            .unwrap();
        }
    });

    let root = issue_root(
        &DistinguishedName::common_name("HSM Root"),
        Validity::days_from_now(30),
        &p256,
    )
    .unwrap();
    let office = issue(
        Profile::OfficeCa,
        &DistinguishedName::common_name("HSM Office CA"),
        p384.public_key_spki(),
        Validity::days_from_now(30),
        &root,
        &p256,
    )
    .unwrap();
    let root_pem = dir.path().join("root.pem");
    let office_pem = dir.path().join("office.pem");
    fs::write(&root_pem, root.to_pem()).unwrap();
    fs::write(&office_pem, office.to_pem()).unwrap();
    openssl_verify(&root_pem, &root_pem);
    openssl_verify(&root_pem, &office_pem);

    // The HSM's P-384 key seals a PDF as a signer certified by the HSM root.
    let signer = issue(
        Profile::Signer,
        &DistinguishedName::common_name("HSM signer"),
        p384.public_key_spki(),
        Validity::days_from_now(30),
        &root,
        &p256,
    )
    .unwrap();
    let pdf = eseal::pdf::sample::plain_pdf(&["sealed in an HSM"], 0);
    let sealed =
        eseal::pdf::seal_pdf(pdf, &eseal::pdf::PdfSealOptions::new(&p384, &signer)).unwrap();
    let mut store = eseal::pki::TrustStore::new();
    store.add_anchor(root.clone()).unwrap();
    let report = eseal::pdf::verify_pdf(&sealed, &store, std::time::SystemTime::now()).unwrap();
    assert_eq!(
        report.signatures[0].indication,
        eseal::report::Indication::TotalPassed,
        "{:?}",
        report.signatures[0].reasons
    );
}

fn check_ec(signer: &Pkcs11Signer, algorithm: Algorithm, point: &[u8]) {
    assert_eq!(signer.algorithm(), algorithm);
    let public = PublicKey::from_spki_der(signer.public_key_spki()).unwrap();
    assert_eq!(public.raw(), point);
    let ring_alg = match algorithm {
        Algorithm::EcdsaP256Sha256 => &rs::ECDSA_P256_SHA256_ASN1,
        _ => &rs::ECDSA_P384_SHA384_ASN1,
    };

    let signature = signer.sign(MESSAGE).unwrap();
    assert_eq!(signature[0], 0x30, "not a DER SEQUENCE");
    UnparsedPublicKey::new(ring_alg, point)
        .verify(MESSAGE, &signature)
        .unwrap();
    verify(algorithm, point, MESSAGE, &signature).unwrap();
    public.verify(algorithm, MESSAGE, &signature).unwrap();

    let tampered = b"electronic licence No. 0002";
    assert!(
        UnparsedPublicKey::new(ring_alg, point)
            .verify(tampered, &signature)
            .is_err()
    );
    assert!(matches!(
        verify(algorithm, point, tampered, &signature),
        Err(Error::BadSignature)
    ));
}

fn check_rsa(signer: &Pkcs11Signer, keys: &TokenKeys) {
    assert_eq!(signer.algorithm(), Algorithm::RsaPkcs1Sha256);
    let public = PublicKey::from_spki_der(signer.public_key_spki()).unwrap();
    let components = rs::RsaPublicKeyComponents {
        n: &keys.rsa_modulus,
        e: &keys.rsa_exponent,
    };

    let signature = signer.sign(MESSAGE).unwrap();
    assert_eq!(signature.len(), 256);
    components
        .verify(&rs::RSA_PKCS1_2048_8192_SHA256, MESSAGE, &signature)
        .unwrap();
    verify(Algorithm::RsaPkcs1Sha256, public.raw(), MESSAGE, &signature).unwrap();
    assert!(
        components
            .verify(&rs::RSA_PKCS1_2048_8192_SHA256, b"tampered", &signature)
            .is_err()
    );
    assert!(
        verify(
            Algorithm::RsaPkcs1Sha256,
            public.raw(),
            b"tampered",
            &signature
        )
        .is_err()
    );
}

fn openssl_verify(ca: &Path, cert: &Path) {
    let output = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(ca)
        .arg(cert)
        .output()
        .expect("the openssl command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "openssl verify {}: {stdout}{}",
        cert.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Initializes the token with an SO and a user PIN and generates its keys: P-256, P-384
/// and RSA-2048, each private and public key sharing one label.
fn set_up_token(module: &Path) -> TokenKeys {
    let pkcs11 = Pkcs11::new(module).unwrap();
    pkcs11
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = pkcs11.get_slots_with_token().unwrap()[0];
    pkcs11
        .init_token(slot, &AuthPin::from(SO_PIN), TOKEN)
        .unwrap();
    let slot = pkcs11
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|slot| pkcs11.get_token_info(*slot).unwrap().label() == TOKEN)
        .expect("the initialized token");

    let session = pkcs11.open_rw_session(slot).unwrap();
    session
        .login(UserType::So, Some(&AuthPin::from(SO_PIN)))
        .unwrap();
    session.init_pin(&AuthPin::from(USER_PIN)).unwrap();
    session.logout().unwrap();

    session
        .login(UserType::User, Some(&AuthPin::from(USER_PIN)))
        .unwrap();
    let p256 = generate_ec(&session, "p256", P256_PARAMS);
    let p384 = generate_ec(&session, "p384", P384_PARAMS);
    let rsa = generate(
        &session,
        &Mechanism::RsaPkcsKeyPairGen,
        "rsa",
        vec![
            Attribute::ModulusBits(2048.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
        ],
    );
    let keys = TokenKeys {
        p256_point: ec_point(&session, p256),
        p384_point: ec_point(&session, p384),
        rsa_modulus: attribute(&session, rsa, AttributeType::Modulus),
        rsa_exponent: attribute(&session, rsa, AttributeType::PublicExponent),
    };
    session.logout().unwrap();
    keys
}

fn generate_ec(session: &Session, label: &str, params: &[u8]) -> ObjectHandle {
    generate(
        session,
        &Mechanism::EccKeyPairGen,
        label,
        vec![Attribute::EcParams(params.to_vec())],
    )
}

/// Generates a token key pair labelled `label`; returns the public key.
fn generate(
    session: &Session,
    mechanism: &Mechanism,
    label: &str,
    public_extra: Vec<Attribute>,
) -> ObjectHandle {
    let common = [
        Attribute::Token(true),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(label.as_bytes().to_vec()),
    ];
    let mut public = vec![Attribute::Verify(true), Attribute::Private(false)];
    public.extend(common.iter().cloned());
    public.extend(public_extra);
    let mut private = vec![
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
    ];
    private.extend(common.iter().cloned());
    let (public, _private) = session
        .generate_key_pair(mechanism, &public, &private)
        .unwrap();
    public
}

fn attribute(session: &Session, key: ObjectHandle, kind: AttributeType) -> Vec<u8> {
    match session.get_attributes(key, &[kind]).unwrap().as_slice() {
        [Attribute::EcPoint(v) | Attribute::Modulus(v) | Attribute::PublicExponent(v)] => v.clone(),
        other => panic!("{kind:?}: {other:?}"),
    }
}

/// `CKA_EC_POINT` is a DER OCTET STRING (short form length for P-256 and P-384).
fn ec_point(session: &Session, key: ObjectHandle) -> Vec<u8> {
    let der = attribute(session, key, AttributeType::EcPoint);
    assert_eq!(der[0], 0x04, "CKA_EC_POINT is not an OCTET STRING");
    assert_eq!(usize::from(der[1]), der.len() - 2);
    der[2..].to_vec()
}
