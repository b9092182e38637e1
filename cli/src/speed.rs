//! `eseal speed`: the throughput of each verification path beside its bare primitive,
//! measured in the same run, in the manner of `openssl speed`.
//!
//! The machine may be shared and noisy, so the two sides of a pair are measured in
//! alternating slices and each keeps its best slice; the ratio is what to read.

mod batch;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use sm2::dsa::signature::Verifier as _;

use eseal::Result;
use eseal::crypto::{Algorithm, PublicKey, Signer, SoftwareKey, verify};
use eseal::licence::sample;
use eseal::pki::{self, DistinguishedName, Profile, TrustStore, Usage, Validity};

/// One measured path beside its baseline.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    /// What eseal does, e.g. "ECDSA P-256 verify".
    pub name: String,
    /// eseal's operations per second.
    pub ops_per_sec: f64,
    /// The bare primitive it is compared with.
    pub baseline: String,
    /// The baseline's operations per second.
    pub baseline_ops_per_sec: f64,
    /// eseal's time per operation over the baseline's (1.00 = no overhead).
    pub time_ratio: f64,
}

const MESSAGE: &[u8] = b"eseal speed: the bytes a verifier hashes and checks";

/// A published RSA-2048 test key (PKCS#8 DER, made once with `openssl genpkey -algorithm
/// RSA -pkeyopt rsa_keygen_bits:2048` and `openssl pkcs8 -topk8 -nocrypt`), public in this
/// repository and so good for nothing but measuring: eseal cannot generate RSA keys.
const RSA_TEST_KEY: &[u8] = include_bytes!("speed_rsa2048_key.der");

/// Measures the pairs whose name contains `filter` (every pair when it is empty),
/// spending about `budget` on each; the fixtures of the others are not built.
pub fn run_matching(budget: Duration, filter: &str) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    let want = |name: &str| name.contains(filter);

    let ring_algs: [(
        &str,
        Algorithm,
        &'static dyn ring::signature::VerificationAlgorithm,
    ); 2] = [
        (
            "ECDSA P-256 verify",
            Algorithm::EcdsaP256Sha256,
            &ring::signature::ECDSA_P256_SHA256_ASN1,
        ),
        (
            "Ed25519 verify",
            Algorithm::Ed25519,
            &ring::signature::ED25519,
        ),
    ];
    for (name, algorithm, ring_alg) in ring_algs {
        if !want(name) {
            continue;
        }
        let key = SoftwareKey::generate(algorithm)?;
        let signature = key.sign(MESSAGE)?;
        let public = PublicKey::from_spki_der(key.public_key_spki())?;
        let raw = public.raw().to_vec();
        out.push(pair(
            name,
            "ring verify",
            budget,
            || verify(algorithm, &raw, MESSAGE, &signature).is_ok(),
            || {
                ring::signature::UnparsedPublicKey::new(ring_alg, &raw)
                    .verify(MESSAGE, &signature)
                    .is_ok()
            },
        )?);
    }

    if want("SM2 verify") {
        out.extend(sm2_pairs(budget)?);
    }
    for (name, algorithm) in [
        (
            "chain validation, P-256, 3 certificates",
            Algorithm::EcdsaP256Sha256,
        ),
        ("chain validation, SM2, 3 certificates", Algorithm::Sm2Sm3),
    ] {
        if !want(name) {
            continue;
        }
        let (store, leaf) = demo_chain(algorithm)?;
        let tbs_checks = signature_checks(&store, &leaf)?;
        let now = SystemTime::now();
        out.push(pair(
            name,
            "its 2 signature verifications, bare",
            budget,
            || store.validate(&leaf, &[], now, Usage::Signer).is_valid(),
            || tbs_checks.iter().all(|check| check()),
        )?);
    }
    if want(SES_PAIR) {
        out.push(ses_signature_pair(budget)?);
    }
    for algorithm in [
        Algorithm::EcdsaP256Sha256,
        Algorithm::Sm2Sm3,
        Algorithm::Ed25519,
        Algorithm::RsaPssSha256,
    ] {
        let (name, _) = licence_pair_names(algorithm);
        if want(name) {
            out.push(licence_pair(algorithm, budget)?);
        }
    }
    if want(PDF_VERIFY_PAIR) || want(PDF_SEAL_PAIR) {
        out.extend(pdf_pairs(budget)?);
    }
    if want(OFD_VERIFY_PAIR) {
        out.push(ofd_pair(budget)?);
    }
    if want(C_ABI_PAIR) {
        out.push(c_abi_licence_pair(budget)?);
    }
    out.extend(batch::rows(budget, &want)?);
    Ok(out)
}

/// eseal's SM2 verify (GB/T 32918.2) beside the sm2 crate's, and beside ring's ECDSA
/// P-256 verify, a curve of the same shape (256-bit prime, a = −3).
fn sm2_pairs(budget: Duration) -> Result<Vec<Measurement>> {
    let sm2_key = SoftwareKey::generate(Algorithm::Sm2Sm3)?;
    let sm2_signature = sm2_key.sign(MESSAGE)?;
    let sm2_raw = PublicKey::from_spki_der(sm2_key.public_key_spki())?
        .raw()
        .to_vec();
    let distid = eseal::crypto::SM2_DEFAULT_DISTID;
    let bare_sm2 =
        sm2::dsa::VerifyingKey::from_sec1_bytes(distid, &sm2_raw).expect("generated key is valid");
    let bare_sm2_sig = sm2::dsa::Signature::from_der(&sm2_signature).expect("own signature");
    let p256_key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256)?;
    let p256_signature = p256_key.sign(MESSAGE)?;
    let p256_raw = PublicKey::from_spki_der(p256_key.public_key_spki())?
        .raw()
        .to_vec();
    let ours = || verify(Algorithm::Sm2Sm3, &sm2_raw, MESSAGE, &sm2_signature).is_ok();
    Ok(vec![
        pair(
            "SM2 verify",
            "sm2 crate verify (key prepared)",
            budget,
            ours,
            || bare_sm2.verify(MESSAGE, &bare_sm2_sig).is_ok(),
        )?,
        pair(
            "SM2 verify, key not seen before",
            "sm2 crate verify (key parsed)",
            budget,
            || {
                eseal::crypto::Sm2VerifyingKey::new(distid, &sm2_raw)
                    .and_then(|key| key.verify(MESSAGE, &sm2_signature))
                    .is_ok()
            },
            || {
                sm2::dsa::VerifyingKey::from_sec1_bytes(distid, &sm2_raw)
                    .is_ok_and(|key| key.verify(MESSAGE, &bare_sm2_sig).is_ok())
            },
        )?,
        pair(
            "SM2 verify",
            "ring ECDSA P-256 verify",
            budget,
            ours,
            || {
                ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ECDSA_P256_SHA256_ASN1,
                    &p256_raw,
                )
                .verify(MESSAGE, &p256_signature)
                .is_ok()
            },
        )?,
    ])
}

const SES_PAIR: &str = "SES signature verify (signer + seal, parsed)";
const PDF_VERIFY_PAIR: &str = "PDF verify, 20 MB, P-256";
const PDF_SEAL_PAIR: &str = "PDF seal, 20 MB, P-256 (with input copy)";
const OFD_VERIFY_PAIR: &str = "OFD verify, 20 MB, SM2 seal (package read included)";
const OFD_BYTES: usize = 20 << 20;

/// A licence QR, the verified trust list listing its office, and the office's status list
/// (LICENCE.md §3–§5), everything signed with `algorithm`; for RSA-PSS the office's key
/// is the fixed [`RSA_TEST_KEY`] and the root and trust list signer use P-256.
pub struct LicenceFixture {
    /// The licence QR string, about 600 characters like a typical business licence.
    pub qr: String,
    /// The trust list, verified.
    pub trust: eseal::licence::trust_list::VerifiedTrustList,
    /// The office's status list, entry 4711 VALID.
    pub status_lists: eseal::licence::verify::StatusLists,
    /// What a C caller loads into its trust store: the root (DER), the signed trust list
    /// and the status list token.
    pub c_inputs: [Vec<u8>; 3],
}

impl LicenceFixture {
    /// Builds the fixture as of now.
    pub fn new(algorithm: Algorithm) -> Result<Self> {
        let ca_algorithm = match algorithm.key_type() {
            eseal::crypto::KeyType::Rsa => Algorithm::EcdsaP256Sha256,
            _ => algorithm,
        };
        let now = SystemTime::now();
        let office = sample::SignedOffice::new(new_key(algorithm)?, ca_algorithm, 1, now)?;
        let mut store = TrustStore::new();
        store.add_anchor(office.root.clone())?;
        let trust =
            eseal::licence::trust_list::verify_trust_list(&office.trust_list, &store, now, None)
                .map_err(|e| eseal::Error::Invalid(e.to_string()))?;
        let mut status_lists = eseal::licence::verify::StatusLists::new();
        status_lists.insert(sample::STATUS_LIST_URI, office.status_list.clone());
        Ok(LicenceFixture {
            qr: office.qr(0, 4711, now)?,
            trust,
            status_lists,
            c_inputs: [
                office.root.der().to_vec(),
                office.trust_list,
                office.status_list,
            ],
        })
    }

    /// Verifies the QR through every stage, STATUS included, as of `at`.
    pub fn verify(&self, at: SystemTime) -> eseal::licence::verify::LicenceVerification {
        eseal::licence::verify::verify_licence_qr(
            &self.qr,
            &self.trust,
            eseal::licence::verify::StatusCheck::Lists(&self.status_lists),
            at,
        )
    }
}

/// The names of the licence pair of `algorithm`: eseal's side and the baseline.
fn licence_pair_names(algorithm: Algorithm) -> (&'static str, &'static str) {
    match algorithm {
        Algorithm::Sm2Sm3 => (
            "licence QR verify (SM2)",
            "sm2 crate verify (Z_A precomputed)",
        ),
        Algorithm::Ed25519 => ("licence QR verify (Ed25519)", "ring Ed25519 verify"),
        Algorithm::RsaPssSha256 => ("licence QR verify (PS256)", "ring RSA-PSS verify"),
        _ => ("licence QR verify (ES256)", "ring ECDSA P-256 verify"),
    }
}

/// A full licence QR verify (decode, signature, binding, check characters, time, cached
/// status lookup) beside the bare signature check over the same `Sig_structure`: ring for
/// ES256, Ed25519 and PS256, the sm2 crate for SM2 with Z_A precomputed on both sides.
fn licence_pair(algorithm: Algorithm, budget: Duration) -> Result<Measurement> {
    use eseal::licence::compact::{self, sig_structure};
    use ring::signature as rs;
    let fixture = LicenceFixture::new(algorithm)?;
    let token =
        compact::decode_qr(&fixture.qr).map_err(|e| eseal::Error::Invalid(e.to_string()))?;
    let message = sig_structure(&token.protected, &token.payload);
    let signature = token.signature.clone();
    let raw = fixture
        .trust
        .offices()
        .first()
        .and_then(|o| o.keys.first())
        .ok_or_else(|| eseal::Error::Invalid("fixture lists no key".into()))?
        .certificate
        .public_key()?
        .raw()
        .to_vec();
    let now = SystemTime::now();
    let ours = || fixture.verify(now).is_passed();
    let (name, baseline) = licence_pair_names(algorithm);
    if algorithm == Algorithm::Sm2Sm3 {
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(compact::SM2_COSE_DISTID, &raw)
            .map_err(|_| eseal::Error::Invalid("SM2 key".into()))?;
        let sig = sm2::dsa::Signature::from_slice(&signature)
            .map_err(|_| eseal::Error::Invalid("SM2 signature".into()))?;
        return pair(name, baseline, budget, ours, || {
            key.verify(&message, &sig).is_ok()
        });
    }
    let ring_alg: &dyn rs::VerificationAlgorithm = match algorithm {
        Algorithm::Ed25519 => &rs::ED25519,
        Algorithm::RsaPssSha256 => &rs::RSA_PSS_2048_8192_SHA256,
        _ => &rs::ECDSA_P256_SHA256_FIXED,
    };
    pair(name, baseline, budget, ours, || {
        rs::UnparsedPublicKey::new(ring_alg, &raw)
            .verify(&message, &signature)
            .is_ok()
    })
}

/// The size of the sealed PDF that `eseal speed` verifies and seals.
pub const PDF_BYTES: usize = 20 << 20;

/// A one-page PDF of about `size` bytes, the P-256 key and certificate that seal it, the
/// sealed file and the trust store that validates it.
pub struct PdfFixture {
    /// The unsealed document.
    pub original: Vec<u8>,
    /// The signer's key.
    pub key: SoftwareKey,
    /// The signer's certificate, issued by the store's only anchor.
    pub certificate: pki::Certificate,
    /// `original` sealed once.
    pub sealed: Vec<u8>,
    /// Trusts the signer's root.
    pub store: TrustStore,
}

impl PdfFixture {
    /// Builds the fixture; `size` is the padding carried by the document.
    pub fn new(size: usize) -> Result<Self> {
        let (root_key, root) = new_cert(
            Algorithm::EcdsaP256Sha256,
            Profile::Root,
            "speed root",
            None,
        )?;
        let (key, certificate) = new_cert(
            Algorithm::EcdsaP256Sha256,
            Profile::Signer,
            "speed signer",
            Some((&root, &root_key)),
        )?;
        let original = eseal::pdf::sample::plain_pdf(&["eseal speed"], size);
        let sealed = eseal::pdf::seal_pdf(
            original.clone(),
            &eseal::pdf::PdfSealOptions::new(&key, &certificate),
        )?;
        let mut store = TrustStore::new();
        store.add_anchor(root)?;
        Ok(PdfFixture {
            original,
            key,
            certificate,
            sealed,
            store,
        })
    }
}

/// Verifying and sealing a 20 MB PDF, each beside one SHA-256 pass over the same bytes.
fn pdf_pairs(budget: Duration) -> Result<Vec<Measurement>> {
    let f = PdfFixture::new(PDF_BYTES)?;
    let now = SystemTime::now();
    let sha256 = |bytes: &[u8]| {
        !ring::digest::digest(&ring::digest::SHA256, bytes)
            .as_ref()
            .is_empty()
    };
    let verify = pair(
        PDF_VERIFY_PAIR,
        "SHA-256 of the file (ring)",
        budget,
        || eseal::pdf::verify_pdf(&f.sealed, &f.store, now).is_ok_and(|r| r.exit_code() == 0),
        || sha256(&f.sealed),
    )?;
    let options = eseal::pdf::PdfSealOptions::new(&f.key, &f.certificate);
    let seal = pair(
        PDF_SEAL_PAIR,
        "SHA-256 of the file (ring)",
        budget,
        || {
            // The copy stands for reading the file, with room for the update as
            // `eseal::pdf::UPDATE_HEADROOM` advises.
            let mut input = Vec::with_capacity(f.original.len() + eseal::pdf::UPDATE_HEADROOM);
            input.extend_from_slice(&f.original);
            eseal::pdf::seal_pdf(input, &options).is_ok()
        },
        || sha256(&f.original),
    )?;
    Ok(vec![verify, seal])
}

/// A seal signature by an SM2 signer with an SM2 seal, both certificates trusted directly,
/// so that verification makes exactly two signature checks: the signer's and the maker's.
/// An SM2 office for seal signatures: root, seal maker, signer, and a seal listing it.
struct SesFixture {
    store: TrustStore,
    maker: pki::Certificate,
    signer_key: SoftwareKey,
    signer: pki::Certificate,
    seal: eseal::seal::Seal,
}

impl SesFixture {
    fn new() -> Result<Self> {
        use eseal::seal::{CertList, PictureInfo, SealRequest};
        let (root_key, root) = new_cert(Algorithm::Sm2Sm3, Profile::Root, "speed root", None)?;
        let key =
            |profile, name| new_cert(Algorithm::Sm2Sm3, profile, name, Some((&root, &root_key)));
        let (maker_key, maker) = key(Profile::SealMaker, "speed seal maker")?;
        let (signer_key, signer) = key(Profile::Signer, "speed signer")?;
        let now = SystemTime::now();
        let request = SealRequest {
            vendor: "eseal".into(),
            es_id: "speed".into(),
            seal_type: 1,
            name: "speed seal".into(),
            cert_list: CertList::Certificates(vec![signer.der().to_vec()]),
            created: now - Duration::from_secs(60),
            valid_start: now - Duration::from_secs(60),
            valid_end: now + Duration::from_secs(86_400),
            picture: PictureInfo {
                picture_type: "PNG".into(),
                data: vec![0; 16 << 10],
                width_mm: 40,
                height_mm: 40,
            },
            ext_datas: Vec::new(),
        };
        let seal = eseal::seal::make_seal(&request, &maker, &maker_key)?;
        let mut store = TrustStore::new();
        store.add_anchor(root)?;
        Ok(SesFixture {
            store,
            maker,
            signer_key,
            signer,
            seal,
        })
    }
}

/// Verifying a sealed 20 MB OFD (reading the package from its bytes, every reference,
/// the seal signature) beside one SM3 pass over its files.
fn ofd_pair(budget: Duration) -> Result<Measurement> {
    use eseal::ofd::{OfdSealOptions, Package, VerifyOptions, seal_ofd, verify_ofd};
    let f = SesFixture::new()?;
    let plain = eseal::ofd::sample::plain_ofd(&["eseal speed", "营业执照"], OFD_BYTES)?;
    let options = OfdSealOptions::new(&f.seal, &f.signer_key, &f.signer);
    let sealed = seal_ofd(&Package::read(plain)?, &options)?;
    let files = Package::read(&sealed[..])?;
    let options = VerifyOptions::default();
    pair(
        OFD_VERIFY_PAIR,
        "SM3 of its files",
        budget,
        || {
            Package::read(&sealed[..]).is_ok_and(|package| {
                verify_ofd(&package, &f.store, SystemTime::now(), &options)
                    .is_ok_and(|report| report.exit_code() == 0)
            })
        },
        || {
            files.entries().iter().all(|entry| {
                entry.data().is_ok_and(|data| {
                    !black_box(<sm3::Sm3 as sha2::Digest>::digest(black_box(data))).is_empty()
                })
            })
        },
    )
}

fn ses_signature_pair(budget: Duration) -> Result<Measurement> {
    use eseal::seal::SealSignature;
    let SesFixture {
        store: _,
        maker,
        signer_key,
        signer,
        seal,
    } = SesFixture::new()?;
    let now = SystemTime::now();
    let signature = eseal::seal::sign_with_seal(
        &seal,
        MESSAGE,
        "/Doc_0/Signs/Sign_0/Signature.xml",
        &signer,
        &signer_key,
        now - Duration::from_secs(1),
    )?;
    let der = signature.der().to_vec();
    let mut store = TrustStore::new();
    store.add_anchor(maker.clone())?;
    store.add_anchor(signer.clone())?;
    let bare = |cert: &pki::Certificate, signed: &[u8], sig: &[u8]| {
        let raw = PublicKey::from_spki_der(cert.spki_der())
            .expect("own key")
            .raw()
            .to_vec();
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(eseal::crypto::SM2_DEFAULT_DISTID, &raw)
            .expect("own key");
        (
            key,
            signed.to_vec(),
            sm2::dsa::Signature::from_der(sig).expect("own signature"),
        )
    };
    let checks = [
        bare(&signer, signature.signed_bytes(), &signature.signature),
        bare(&maker, seal.signed_bytes(), &seal.signature),
    ];
    pair(
        SES_PAIR,
        "its 2 SM2 verifications, bare",
        budget,
        || {
            SealSignature::from_der(&der).is_ok_and(|sig| {
                eseal::seal::verify_seal_signature(&sig, &store, SystemTime::now(), Some(MESSAGE))
                    .reasons
                    .is_empty()
            })
        },
        || {
            checks
                .iter()
                .all(|(key, msg, sig)| key.verify(msg, sig).is_ok())
        },
    )
}

type Check = Box<dyn Fn() -> bool>;

/// The bare signature checks a chain validation of `leaf` makes: leaf by CA, CA by root.
fn signature_checks(store: &TrustStore, leaf: &pki::Certificate) -> Result<Vec<Check>> {
    let path = store
        .validate(leaf, &[], SystemTime::now(), Usage::Signer)
        .chain;
    let mut checks: Vec<Check> = Vec::new();
    for link in path.windows(2) {
        let (cert, issuer) = (link[0].clone(), link[1].clone());
        let parts = eseal::pki::signed_parts(cert.der())?;
        let key = issuer.public_key()?;
        let raw = key.raw().to_vec();
        let algorithm = parts.0;
        checks.push(Box::new(move || match algorithm {
            Algorithm::Sm2Sm3 => {
                sm2::dsa::VerifyingKey::from_sec1_bytes(eseal::crypto::SM2_DEFAULT_DISTID, &raw)
                    .ok()
                    .zip(sm2::dsa::Signature::from_der(&parts.2).ok())
                    .is_some_and(|(k, s)| k.verify(&parts.1, &s).is_ok())
            }
            _ => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_ASN1,
                &raw,
            )
            .verify(&parts.1, &parts.2)
            .is_ok(),
        }));
    }
    Ok(checks)
}

/// A new key of `algorithm` (for RSA, [`RSA_TEST_KEY`]) and its certificate of `profile`,
/// issued by `issuer` (a root when `None`), valid for a day.
fn new_cert(
    algorithm: Algorithm,
    profile: Profile,
    name: &str,
    issuer: Option<(&pki::Certificate, &SoftwareKey)>,
) -> Result<(SoftwareKey, pki::Certificate)> {
    let key = new_key(algorithm)?;
    let subject = DistinguishedName::common_name(name);
    let validity = Validity::days_from_now(1);
    let cert = match issuer {
        None => pki::issue_root(&subject, validity, &key)?,
        Some((cert, signer)) => pki::issue(
            profile,
            &subject,
            key.public_key_spki(),
            validity,
            cert,
            signer,
        )?,
    };
    Ok((key, cert))
}

/// A new key of `algorithm`; for RSA, [`RSA_TEST_KEY`].
fn new_key(algorithm: Algorithm) -> Result<SoftwareKey> {
    match algorithm.key_type() {
        eseal::crypto::KeyType::Rsa => {
            SoftwareKey::from_pkcs8_der(RSA_TEST_KEY)?.with_algorithm(algorithm)
        }
        _ => SoftwareKey::generate(algorithm),
    }
}

/// A root → office CA → signer chain and a store trusting the root.
fn demo_chain(algorithm: Algorithm) -> Result<(TrustStore, pki::Certificate)> {
    let (root_key, root) = new_cert(algorithm, Profile::Root, "speed root", None)?;
    let (ca_key, ca) = new_cert(
        algorithm,
        Profile::OfficeCa,
        "speed CA",
        Some((&root, &root_key)),
    )?;
    let (_, leaf) = new_cert(
        algorithm,
        Profile::Signer,
        "speed signer",
        Some((&ca, &ca_key)),
    )?;
    let mut store = TrustStore::new();
    store.add_anchor(root)?;
    store.add_intermediate(ca);
    Ok((store, leaf))
}

/// Measures `ours` and `bare` in alternating slices; both must succeed.
fn pair(
    name: &str,
    baseline: &str,
    budget: Duration,
    ours: impl Fn() -> bool,
    bare: impl Fn() -> bool,
) -> Result<Measurement> {
    if !(ours() && bare()) {
        return Err(eseal::Error::Invalid(format!(
            "{name}: a measured operation failed"
        )));
    }
    const SLICES: u32 = 10;
    let slice = budget / (2 * SLICES);
    let (mut best_ours, mut best_bare) = (0f64, 0f64);
    for _ in 0..SLICES {
        best_ours = best_ours.max(rate(slice, &ours));
        best_bare = best_bare.max(rate(slice, &bare));
    }
    Ok(Measurement {
        name: name.to_string(),
        ops_per_sec: best_ours,
        baseline: baseline.to_string(),
        baseline_ops_per_sec: best_bare,
        time_ratio: best_bare / best_ours,
    })
}

fn rate(slice: Duration, op: &impl Fn() -> bool) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < slice {
        black_box(op());
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The measurements as a table like `openssl speed`'s.
pub fn table(measurements: &[Measurement]) -> String {
    let mut s = format!(
        "{:<42} {:>12}   {:<38} {:>12}  {:>7}\n",
        "eseal", "ops/s", "baseline", "ops/s", "time ×"
    );
    for m in measurements {
        s.push_str(&format!(
            "{:<42} {:>12.0}   {:<38} {:>12.0}  {:>7.3}\n",
            m.name, m.ops_per_sec, m.baseline, m.baseline_ops_per_sec, m.time_ratio
        ));
    }
    s
}

const C_ABI_PAIR: &str = "C ABI licence QR verify";

/// A licence QR (ES256) verified through the C ABI as a C caller does it (`eseal_verify`,
/// `eseal_report_indication`, `eseal_report_free` on a trust store loaded through the C
/// ABI) beside the Rust API on the same QR, trust list and status list (the library's
/// verify dispatch, report included).
fn c_abi_licence_pair(budget: Duration) -> Result<Measurement> {
    let LicenceFixture {
        qr,
        trust,
        status_lists,
        c_inputs,
    } = LicenceFixture::new(Algorithm::EcdsaP256Sha256)?;
    let store = CTrustStore::load(&c_inputs)?;
    let rust_api = || {
        let Some(qr) = eseal::verify::licence_qr_in(qr.as_bytes()) else {
            return false;
        };
        let verified =
            eseal::verify::verify_licence(qr, Ok(&trust), &status_lists, SystemTime::now());
        verified.report.indication() == Some(eseal::report::Indication::TotalPassed)
    };
    pair(
        C_ABI_PAIR,
        "Rust API licence QR verify",
        budget,
        || store.verify_total_passed(qr.as_bytes()),
        rust_api,
    )
}

/// A trust store made and used only through the C ABI.
struct CTrustStore(*mut eseal_ffi::eseal_trust_store);

impl CTrustStore {
    /// A store holding `[root DER, signed trust list, status list token]`.
    fn load([root, list, status_list]: &[Vec<u8>; 3]) -> Result<Self> {
        use eseal_ffi::eseal_status::ESEAL_OK;
        let mut ptr = std::ptr::null_mut();
        // SAFETY: `ptr` is writable.
        let status = unsafe { eseal_ffi::eseal_trust_store_new(&mut ptr) };
        let store = CTrustStore(ptr);
        let statuses = [
            status,
            // SAFETY (these three): `store.0` is the live store just made and each buffer
            // is readable for its length.
            unsafe { eseal_ffi::eseal_trust_store_add_anchors(store.0, root.as_ptr(), root.len()) },
            unsafe {
                eseal_ffi::eseal_trust_store_add_trust_list(
                    store.0,
                    list.as_ptr(),
                    list.len(),
                    eseal_ffi::ESEAL_NOW,
                )
            },
            unsafe {
                eseal_ffi::eseal_trust_store_add_status_list(
                    store.0,
                    status_list.as_ptr(),
                    status_list.len(),
                )
            },
        ];
        match statuses.iter().find(|s| **s != ESEAL_OK) {
            None => Ok(store),
            Some(status) => Err(eseal::Error::Invalid(format!(
                "the C ABI refused the speed fixture: {status:?}"
            ))),
        }
    }

    /// Verifies `input` as a C caller does; whether it is TOTAL-PASSED.
    fn verify_total_passed(&self, input: &[u8]) -> bool {
        let mut report = std::ptr::null_mut();
        // SAFETY: `self.0` is a live trust store, `input` readable for its length and
        // `report` writable.
        let status = unsafe {
            eseal_ffi::eseal_verify(
                self.0,
                input.as_ptr(),
                input.len(),
                eseal_ffi::ESEAL_NOW,
                &mut report,
            )
        };
        // SAFETY: `report` is NULL or the report just made.
        let indication = unsafe { eseal_ffi::eseal_report_indication(report) };
        // SAFETY: as above; it is freed once, here.
        unsafe { eseal_ffi::eseal_report_free(report) };
        status == eseal_ffi::eseal_status::ESEAL_OK
            && indication == eseal_ffi::eseal_indication::ESEAL_TOTAL_PASSED
    }
}

impl Drop for CTrustStore {
    fn drop(&mut self) {
        // SAFETY: the store is this object's own and freed once, here.
        unsafe { eseal_ffi::eseal_trust_store_free(self.0) };
    }
}
