//! RFC 3161 timestamps: eseal's authority answers OpenSSL's queries (directly and over
//! HTTP) with tokens OpenSSL verifies; eseal's client gets tokens from the interop
//! harness TSA and verifies them; tokens OpenSSL's TSA makes verify in eseal; every defect
//! (imprint, EKU, nonce, status, malformed bytes, a TSA that is down or silent) comes out
//! as its exact reason or error, never a panic or a hang.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Hierarchy, interop_harness as harness, openssl_ok, pdf_signatures};
use eseal::Error;
use eseal::cms::tsa::{self, Authority};
use eseal::cms::{
    DigestAlgorithm, OID_SIGNATURE_TIME_STAMP_TOKEN, OID_TST_INFO, SignOptions, SignedData,
    TimestampRequest, TimestampToken, TstInfo, sign_encapsulated, token_from_response,
};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::pki::{Certificate, Profile, TrustStore, read_certificates};
use eseal::report::Reason;

const POLICY: &str = "1.2.3.4.1";

/// A TSA under a root and an office CA, written to a temporary directory as `root.pem`,
/// `ca.pem`, `tsa.pem` (the TSA certificate alone), `tsa-chain.pem` (TSA and CA),
/// `tsa.key` and the data `data.bin`.
struct Tsa {
    dir: tempfile::TempDir,
    pki: Hierarchy,
    key: Arc<SoftwareKey>,
    cert: Certificate,
    data: Vec<u8>,
}

impl Tsa {
    fn new(algorithm: Algorithm) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = Hierarchy::new(algorithm);
        let (key, cert) = pki.leaf(Profile::Timestamping, "时间戳服务 TSA", -1, 365);
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 251) as u8).collect();
        let d = dir.path();
        fs::write(d.join("root.pem"), pki.root.to_pem()).unwrap();
        fs::write(d.join("ca.pem"), pki.ca.to_pem()).unwrap();
        fs::write(d.join("tsa.pem"), cert.to_pem()).unwrap();
        fs::write(
            d.join("tsa-chain.pem"),
            format!("{}{}", cert.to_pem(), pki.ca.to_pem()),
        )
        .unwrap();
        fs::write(d.join("tsa.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
        fs::write(d.join("data.bin"), &data).unwrap();
        Tsa {
            dir,
            pki,
            key: Arc::new(key),
            cert,
            data,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn authority(&self) -> Authority {
        Authority::new(
            self.key.clone(),
            self.cert.clone(),
            vec![self.pki.ca.clone()],
            POLICY,
        )
        .unwrap()
    }

    fn store(&self) -> TrustStore {
        self.pki.store()
    }

    fn request(&self, algorithm: DigestAlgorithm) -> TimestampRequest {
        TimestampRequest::new(algorithm, algorithm.digest(&self.data))
    }

    /// A token from eseal's authority over the data, with its request.
    fn token(&self) -> (TimestampRequest, Vec<u8>, TimestampToken) {
        let request = self.request(DigestAlgorithm::Sha256);
        let response = self.authority().respond(&request.to_der().unwrap());
        let token = token_from_response(&response, &request).unwrap();
        (request, response, token)
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    DigestAlgorithm::Sha256.digest(data)
}

fn invalid(what: &str, detail: &str) -> Reason {
    Reason::TimestampInvalid {
        what: what.into(),
        detail: detail.into(),
    }
}

/// A minimal HTTP/1.1 exchange over a raw socket: the status, the lower-cased head and
/// the body.
fn http(url: &str, request: &[u8]) -> (u16, String, Vec<u8>) {
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&reply[..end]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    (status, head, reply[end + 4..].to_vec())
}

fn post(url: &str, content_type: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: tsa\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    http(url, &request)
}

// 1. eseal's authority answers OpenSSL.

/// Whether `openssl ts -reply -text` shows the policy 1.2.3.4.1 (by number or by the name
/// OpenSSL's default configuration gives it).
fn policy_line(text: &str) -> bool {
    text.contains("Policy OID: 1.2.3.4.1") || text.contains("Policy OID: tsa_policy1")
}

/// `openssl ts -query` answered by eseal directly and over HTTP; `openssl ts -reply
/// -text` reads the answer and `openssl ts -verify` accepts it; eseal verifies it too.
fn openssl_queries_answered(algorithm: Algorithm) {
    let tsa = Tsa::new(algorithm);
    let d = tsa.path();
    openssl_ok(
        d,
        &[
            "ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "req.tsq",
        ],
    );
    let query = fs::read(d.join("req.tsq")).unwrap();
    let response = tsa.authority().respond(&query);
    fs::write(d.join("resp.tsr"), &response).unwrap();
    let text = openssl_ok(d, &["ts", "-reply", "-in", "resp.tsr", "-text"]);
    // OpenSSL's default configuration names 1.2.3.4.1 `tsa_policy1`.
    assert!(policy_line(&text), "{text}");
    for line in [
        "Status: Granted.",
        "Hash Algorithm: sha256",
        "Accuracy: 0x01 seconds",
        "Nonce: 0x",
        "TSA: DirName:",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    let verify = [
        "ts",
        "-verify",
        "-data",
        "data.bin",
        "-in",
        "resp.tsr",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "tsa-chain.pem",
    ];
    let out = openssl_ok(d, &verify);
    assert_eq!(out.trim(), "Verification: OK", "{algorithm}");

    // eseal reads OpenSSL's query and verifies its own token.
    let request = TimestampRequest::from_der(&query).unwrap();
    assert!(request.cert_req && request.nonce.is_some());
    let token = token_from_response(&response, &request).unwrap();
    let result = token.verify(
        "signature",
        &sha256(&tsa.data),
        &tsa.store(),
        SystemTime::now(),
    );
    assert_eq!(result.reasons, vec![], "{algorithm}");
    assert!(result.is_valid());
    assert_eq!(result.gen_time, Some(token.tst_info().gen_time));
    assert_eq!(result.tsa.as_ref(), Some(&tsa.cert));
    assert_eq!(result.chain.unwrap().chain.len(), 3);
    let tst = token.tst_info();
    assert_eq!(tst.policy, POLICY);
    assert_eq!(tst.accuracy_micros, Some(1_000_000));
    // 128 random bits, read without leading zero bytes (one serial in 256 has one).
    assert!(
        (1..=16).contains(&tst.serial.len()) && tst.serial[0] != 0,
        "{:?}",
        tst.serial
    );
    assert!(tst.tsa_name.as_deref().unwrap().contains("TSA"));
    // Certificates: the TSA's and the CA's, as asked by -cert.
    assert_eq!(token.signed_data().certificates().len(), 2);

    // The same over HTTP (RFC 3161 clause 3.4).
    let (url, _server) = eseal::serve::spawn_local(tsa.authority()).unwrap();
    let (status, head, body) = post(&url, "application/timestamp-query", &query);
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("content-type: application/timestamp-reply"),
        "{head}"
    );
    fs::write(d.join("http.tsr"), &body).unwrap();
    let mut over_http = verify;
    over_http[5] = "http.tsr";
    let out = openssl_ok(d, &over_http);
    assert_eq!(out.trim(), "Verification: OK");

    // Without -cert the token carries no certificate; OpenSSL finds the TSA's in
    // -untrusted.
    openssl_ok(
        d,
        &[
            "ts",
            "-query",
            "-data",
            "data.bin",
            "-sha512",
            "-no_nonce",
            "-out",
            "bare.tsq",
        ],
    );
    let bare = fs::read(d.join("bare.tsq")).unwrap();
    let response = tsa.authority().respond(&bare);
    fs::write(d.join("bare.tsr"), &response).unwrap();
    over_http[5] = "bare.tsr";
    assert_eq!(openssl_ok(d, &over_http).trim(), "Verification: OK");
    let token =
        token_from_response(&response, &TimestampRequest::from_der(&bare).unwrap()).unwrap();
    assert!(token.signed_data().certificates().is_empty());
    assert_eq!(token.tst_info().nonce, None);
    assert_eq!(token.tst_info().digest_algorithm, DigestAlgorithm::Sha512);
}

#[test]
fn openssl_queries_answered_by_eseal_p256() {
    openssl_queries_answered(Algorithm::EcdsaP256Sha256);
}

#[test]
fn openssl_queries_answered_by_eseal_rsa() {
    openssl_queries_answered(Algorithm::RsaPkcs1Sha256);
}

/// SM2 tokens are checked by eseal only: OpenSSL 3.0 cannot verify SM2 signatures in CMS
/// (it neither pairs SM2 with SM3 in a SignerInfo nor applies the distinguishing ID),
/// though it reads the TSTInfo.
#[test]
fn sm2_tsa_is_checked_by_eseal() {
    let tsa = Tsa::new(Algorithm::Sm2Sm3);
    let (url, _server) = eseal::serve::spawn_local(tsa.authority()).unwrap();
    let request = tsa.request(DigestAlgorithm::Sm3);
    let token = tsa::request_timestamp(&url, &request, Duration::from_secs(10)).unwrap();
    let imprint = DigestAlgorithm::Sm3.digest(&tsa.data);
    let result = token.verify_with_algorithm(
        "seal",
        Some(DigestAlgorithm::Sm3),
        &imprint,
        &tsa.store(),
        SystemTime::now(),
    );
    assert_eq!(result.reasons, vec![]);
    assert_eq!(
        token.signed_data().digest_algorithm(),
        Ok(DigestAlgorithm::Sm3)
    );
    fs::write(tsa.path().join("sm2.tsr"), token.der()).unwrap();
    let text = openssl_ok(
        tsa.path(),
        &["ts", "-reply", "-in", "sm2.tsr", "-token_in", "-text"],
    );
    assert!(policy_line(&text), "{text}");
    // The in-process shortcut gives the same kind of token.
    let direct = tsa
        .authority()
        .timestamp(DigestAlgorithm::Sm3, &imprint)
        .unwrap();
    assert!(
        direct
            .verify("seal", &imprint, &tsa.store(), SystemTime::now())
            .is_valid()
    );
}

// 2. eseal's client against the interop harness TSA (OpenSSL behind Python's HTTP server).

const HARNESS_TSA: &str = "http://127.0.0.1:8091/";

/// The harness TSA's service may take a moment to come up after `services.sh start`.
fn harness_timestamp(request: &TimestampRequest) -> eseal::Result<TimestampToken> {
    let mut last = None;
    for _ in 0..20 {
        match tsa::request_timestamp(HARNESS_TSA, request, Duration::from_secs(10)) {
            Err(Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::ConnectionRefused =>
            {
                last = Some(source);
                std::thread::sleep(Duration::from_millis(250));
            }
            other => return other,
        }
    }
    panic!("the harness TSA does not answer: {last:?}");
}

#[test]
fn eseal_client_gets_and_verifies_harness_tokens() {
    let h = harness();
    let mut store = TrustStore::new();
    store
        .add_anchors_from(&fs::read(h.join("pki/root.pem")).unwrap())
        .unwrap();
    for cert in read_certificates(&fs::read(h.join("pki/intermediate.pem")).unwrap()).unwrap() {
        store.add_intermediate(cert);
    }
    let tsa_cert = read_certificates(&fs::read(h.join("pki/tsa.pem")).unwrap())
        .unwrap()
        .remove(0);
    let data = b"eseal asks the harness TSA for a timestamp";
    for (algorithm, policy) in [
        (DigestAlgorithm::Sha256, None),
        (DigestAlgorithm::Sha384, Some("1.2.3.4.5.6")),
        (DigestAlgorithm::Sha512, Some("1.2.3.4.1")),
    ] {
        let mut request = TimestampRequest::new(algorithm, algorithm.digest(data));
        request.policy = policy.map(str::to_string);
        let token = harness_timestamp(&request).unwrap();
        let tst = token.tst_info();
        assert_eq!(tst.policy, policy.unwrap_or("1.2.3.4.1"));
        assert_eq!(tst.accuracy_micros, Some(1_000_000));
        let result = token.verify_with_algorithm(
            "signature",
            Some(algorithm),
            &algorithm.digest(data),
            &store,
            SystemTime::now(),
        );
        assert_eq!(result.reasons, vec![], "{algorithm:?}");
        assert_eq!(result.tsa, Some(tsa_cert.clone()));
        // Proof of existence: genTime is about now.
        let age = SystemTime::now()
            .duration_since(result.gen_time.unwrap())
            .unwrap_or_default();
        assert!(age < Duration::from_secs(600), "{age:?}");
        // Another datum's digest is not covered.
        let other = token.verify(
            "signature",
            &algorithm.digest(b"other"),
            &store,
            SystemTime::now(),
        );
        assert!(!other.is_valid());
    }
    // A policy the harness TSA does not have: OpenSSL rejects with unacceptedPolicy.
    let mut request = TimestampRequest::new(DigestAlgorithm::Sha256, sha256(data));
    request.policy = Some("1.2.3.9".into());
    match harness_timestamp(&request) {
        Err(Error::Invalid(message)) => {
            assert!(message.contains("PKIStatus rejection (2)"), "{message}");
            assert!(message.contains("failInfo unacceptedPolicy"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

// 3. OpenSSL's TSA makes tokens that verify in eseal.

fn openssl_tokens(algorithm: Algorithm) {
    let tsa = Tsa::new(algorithm);
    let d = tsa.path();
    let mut config = String::from("[ tsa ]\ndefault_tsa = v2\n");
    for (section, ess) in [("v2", "sha256"), ("v1", "sha1")] {
        config.push_str(&format!(
            "[ {section} ]\nserial = ./serial\ncrypto_device = builtin\n\
             signer_cert = ./tsa.pem\ncerts = ./ca.pem\nsigner_key = ./tsa.key\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
             other_policies = 1.2.3.4.5\ndigests = sha256, sha384, sha512\n\
             accuracy = secs:1, millisecs:500\nclock_precision_digits = 3\nordering = yes\n\
             tsa_name = yes\ness_cert_id_chain = yes\ness_cert_id_alg = {ess}\n"
        ));
    }
    fs::write(d.join("tsa.cnf"), config).unwrap();
    fs::write(d.join("serial"), "01\n").unwrap();
    for (section, policy) in [("v2", None), ("v1", Some("1.2.3.4.5"))] {
        let mut request = tsa.request(DigestAlgorithm::Sha384);
        request.policy = policy.map(str::to_string);
        fs::write(d.join("req.tsq"), request.to_der().unwrap()).unwrap();
        openssl_ok(
            d,
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-section",
                section,
                "-queryfile",
                "req.tsq",
                "-out",
                "resp.tsr",
            ],
        );
        let response = fs::read(d.join("resp.tsr")).unwrap();
        let token = token_from_response(&response, &request).unwrap();
        let tst = token.tst_info();
        assert_eq!(tst.policy, policy.unwrap_or(POLICY));
        assert_eq!(tst.accuracy_micros, Some(1_500_000));
        assert!(tst.tsa_name.as_deref().unwrap().contains("TSA"), "{tst:?}");
        let result = token.verify(
            "signature",
            &DigestAlgorithm::Sha384.digest(&tsa.data),
            &tsa.store(),
            SystemTime::now(),
        );
        assert_eq!(result.reasons, vec![], "{algorithm} {section}");
        let ess = if section == "v1" {
            eseal::cms::OID_SIGNING_CERTIFICATE
        } else {
            eseal::cms::OID_SIGNING_CERTIFICATE_V2
        };
        assert_eq!(token.signed_data().signed_attribute(ess).len(), 1);

        // -token_out writes the bare token.
        openssl_ok(
            d,
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-section",
                section,
                "-queryfile",
                "req.tsq",
                "-token_out",
                "-out",
                "token.der",
            ],
        );
        let token = TimestampToken::from_der(&fs::read(d.join("token.der")).unwrap()).unwrap();
        let result = token.verify(
            "signature",
            &DigestAlgorithm::Sha384.digest(&tsa.data),
            &tsa.store(),
            SystemTime::now(),
        );
        assert_eq!(result.reasons, vec![]);
    }
}

#[test]
fn openssl_tokens_verify_in_eseal_p256() {
    openssl_tokens(Algorithm::EcdsaP256Sha256);
}

#[test]
fn openssl_tokens_verify_in_eseal_rsa() {
    openssl_tokens(Algorithm::RsaPkcs1Sha256);
}

/// pyHanko's signature and document timestamps: everything but the chain verifies (its
/// test TSA chains to no anchor eseal is given).
#[test]
fn pyhanko_tokens_verify_but_for_the_chain() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("../shared/vectors/pdf/pyhanko/pades-lta-dss-indirect-arrs-test.pdf");
    let pdf = fs::read(&path).unwrap();
    let signatures = pdf_signatures(&pdf);
    let (signature, _) = SignedData::from_der_prefix(&signatures[0].0).unwrap();
    let unsigned = signature.unsigned_attribute(OID_SIGNATURE_TIME_STAMP_TOKEN);
    let signature_ts = TimestampToken::from_der(unsigned[0]).unwrap();
    let (document_ts_der, content) = &signatures[1];
    let (_, padding) = SignedData::from_der_prefix(document_ts_der).unwrap();
    let document_ts =
        TimestampToken::from_der(&document_ts_der[..document_ts_der.len() - padding.len()])
            .unwrap();
    for (token, covered) in [
        (&signature_ts, signature.signature_value().to_vec()),
        (&document_ts, content.clone()),
    ] {
        let tst = token.tst_info();
        let imprint = tst.digest_algorithm.digest(&covered);
        let result = token.verify("signature", &imprint, &TrustStore::new(), tst.gen_time);
        assert_eq!(
            result.reasons,
            vec![invalid(
                "signature",
                "TSA certificate: UNKNOWN_ISSUER: no chain to a trusted anchor"
            )]
        );
        let wrong = token.verify("signature", &sha256(b"x"), &TrustStore::new(), tst.gen_time);
        assert_eq!(wrong.reasons.len(), 2);
    }
}

// 4. CMS with encapsulated content.

#[test]
fn encapsulated_signed_data_verifies_only_as_encapsulated() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (key, cert) = tsa.pki.leaf(Profile::Signer, "签章人", -1, 365);
    let d = tsa.path();
    fs::write(d.join("signer.pem"), cert.to_pem()).unwrap();
    fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    openssl_ok(
        d,
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-md",
            "sha256",
            "-in",
            "data.bin",
            "-signer",
            "signer.pem",
            "-inkey",
            "signer.key",
            "-outform",
            "DER",
            "-out",
            "attached.der",
        ],
    );
    let attached = fs::read(d.join("attached.der")).unwrap();
    let (signed_data, _) = SignedData::from_der_prefix(&attached).unwrap();
    let result = signed_data.verify_encapsulated(&[], true);
    assert_eq!(result.reasons, vec![]);
    assert_eq!(result.signer, Some(cert.clone()));
    // The PDF-facing check still refuses eContent (PDF.md §2 check 3).
    let detached = signed_data.verify(&sha256(&tsa.data), &[], true);
    assert_eq!(
        detached.reasons,
        vec![Reason::CmsMalformed(
            "eContent present: the signature is not detached".into()
        )]
    );
    // eseal's own encapsulated SignedData; a changed eContent is a digest mismatch.
    let options = SignOptions {
        signer: &key,
        certificate: &cert,
        chain: &[],
        signing_time: None,
    };
    let mine = sign_encapsulated("1.2.3.4.5", b"content", &options, true).unwrap();
    let (signed_data, _) = SignedData::from_der_prefix(&mine).unwrap();
    assert_eq!(signed_data.econtent_type(), "1.2.3.4.5");
    assert_eq!(signed_data.verify_encapsulated(&[], true).reasons, vec![]);
    let at = mine.windows(7).position(|w| w == b"content").unwrap();
    let mut changed = mine.clone();
    changed[at] ^= 0x20;
    let (signed_data, _) = SignedData::from_der_prefix(&changed).unwrap();
    assert_eq!(
        signed_data.verify_encapsulated(&[], true).reasons,
        vec![Reason::DigestMismatch]
    );
    // Without certificates the signer must be supplied.
    let bare = sign_encapsulated("1.2.3.4.5", b"content", &options, false).unwrap();
    let (signed_data, _) = SignedData::from_der_prefix(&bare).unwrap();
    assert_eq!(
        signed_data.verify_encapsulated(&[], true).reasons,
        vec![Reason::NoSigningCertificate]
    );
    assert_eq!(
        signed_data
            .verify_encapsulated(std::slice::from_ref(&cert), true)
            .reasons,
        vec![]
    );
    // A detached signature is no encapsulated one.
    let detached = eseal::cms::sign_detached(&sha256(b"x"), &options).unwrap();
    let (signed_data, _) = SignedData::from_der_prefix(&detached).unwrap();
    assert_eq!(
        signed_data.verify_encapsulated(&[], true).reasons,
        vec![Reason::CmsMalformed(
            "no eContent: the content is not encapsulated".into()
        )]
    );
}

// 5. Negative cases, each with its exact reason or error.

#[test]
fn wrong_imprint_or_algorithm_is_timestamp_invalid() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (_, _, token) = tsa.token();
    let store = tsa.store();
    let now = SystemTime::now();
    let result = token.verify("signature", &sha256(b"other data"), &store, now);
    assert_eq!(
        result.reasons,
        vec![invalid(
            "signature",
            "the message imprint differs from the digest of the timestamped data"
        )]
    );
    assert_eq!(result.reasons[0].code(), "TIMESTAMP_INVALID");
    assert_eq!(result.gen_time, None);
    assert!(!result.is_valid());
    let result = token.verify_with_algorithm(
        "seal",
        Some(DigestAlgorithm::Sha384),
        &sha256(&tsa.data),
        &store,
        now,
    );
    assert_eq!(
        result.reasons,
        vec![invalid(
            "seal",
            "the imprint is a SHA-256 digest, not SHA-384"
        )]
    );
    // An untrusted root: the chain's reason, wrapped.
    let result = token.verify("signature", &sha256(&tsa.data), &TrustStore::new(), now);
    assert_eq!(
        result.reasons,
        vec![invalid(
            "signature",
            "TSA certificate: UNKNOWN_ISSUER: no chain to a trusted anchor"
        )]
    );
    assert_eq!(result.chain.unwrap().reasons, vec![Reason::UnknownIssuer]);
}

#[test]
fn gen_time_is_the_authoritys_clock_and_the_chain_is_checked_when_asked() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let request = tsa.request(DigestAlgorithm::Sha256);
    let query = request.to_der().unwrap();
    let imprint = sha256(&tsa.data);
    let store = tsa.store();
    let unix = |t: SystemTime| eseal::pki::unix_seconds(t);
    // genTime is the clock given, to the second.
    let at = SystemTime::now() + Duration::from_millis(1500);
    let token = token_from_response(&tsa.authority().respond_at(&query, at), &request).unwrap();
    assert_eq!(unix(token.tst_info().gen_time), unix(at));
    assert_eq!(
        token
            .tst_info()
            .gen_time
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
        0
    );
    // Validated a year and more later, the TSA certificate has expired.
    let later = common::days_from_now(400);
    let result = token.verify("signature", &imprint, &store, later);
    let expired = Reason::CertificateExpired {
        subject: tsa.cert.subject().into(),
        not_after: eseal::report::Time::from_unix(tsa.cert.not_after_unix()),
    };
    assert_eq!(
        result.reasons,
        vec![invalid(
            "signature",
            &format!("TSA certificate: CERTIFICATE_EXPIRED: {expired}")
        )]
    );
    // A genTime before the TSA certificate was valid.
    let early = common::days_from_now(-10);
    let token = token_from_response(&tsa.authority().respond_at(&query, early), &request).unwrap();
    let result = token.verify("signature", &imprint, &store, SystemTime::now());
    assert_eq!(
        result.reasons,
        vec![invalid(
            "signature",
            &format!(
                "genTime {} lies outside the TSA certificate's validity ({} to {})",
                eseal::pki::rfc3339(unix(early)),
                eseal::pki::rfc3339(tsa.cert.not_before_unix()),
                eseal::pki::rfc3339(tsa.cert.not_after_unix())
            )
        )]
    );
}

#[test]
fn tsa_certificate_without_timestamping_eku_is_refused() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (key, signer) = tsa.pki.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let key = Arc::new(key);
    match Authority::new(key.clone(), signer.clone(), vec![], POLICY) {
        Err(Error::Invalid(message)) => assert_eq!(
            message,
            format!(
                "{} cannot sign timestamps: RFC 3161 clause 2.3 requires a critical extended \
                 key usage of timeStamping alone",
                signer.subject()
            )
        ),
        other => panic!("{other:?}"),
    }
    // The TSA's key with another certificate is refused too.
    assert!(matches!(
        Authority::new(tsa.key.clone(), signer.clone(), vec![], POLICY),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        Authority::new(tsa.key.clone(), tsa.cert.clone(), vec![], "policy"),
        Err(Error::Invalid(_))
    ));

    // A token signed with the signer's certificate, built by hand around a real TSTInfo
    // (whose tsa field names the real TSA).
    let (_, _, good) = tsa.token();
    let tst_info = good.signed_data().econtent().unwrap();
    let options = SignOptions {
        signer: &*key,
        certificate: &signer,
        chain: std::slice::from_ref(&tsa.pki.ca),
        signing_time: None,
    };
    let forged = sign_encapsulated(OID_TST_INFO, tst_info, &options, true).unwrap();
    let token = TimestampToken::from_der(&forged).unwrap();
    let result = token.verify(
        "signature",
        &sha256(&tsa.data),
        &tsa.store(),
        SystemTime::now(),
    );
    let usage = Reason::UsageNotAllowed {
        subject: signer.subject().to_string(),
        required: "a critical extended key usage of timeStamping alone".into(),
    };
    assert_eq!(
        result.reasons,
        vec![
            invalid(
                "signature",
                &format!(
                    "the tsa field names {}, not the TSA certificate's subject {}",
                    token.tst_info().tsa_name.as_deref().unwrap(),
                    signer.subject()
                )
            ),
            invalid(
                "signature",
                &format!("TSA certificate: USAGE_NOT_ALLOWED: {usage}")
            ),
        ]
    );
    assert_eq!(result.chain.unwrap().reasons, vec![usage]);
    assert_eq!(result.tsa, Some(signer));
}

#[test]
fn tampered_tokens_are_timestamp_invalid() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (_, _, token) = tsa.token();
    let der = token.der().to_vec();
    let tst = token.signed_data().econtent().unwrap().to_vec();
    let start = der.windows(tst.len()).position(|w| w == tst).unwrap();
    let imprint = sha256(&tsa.data);
    let store = tsa.store();
    let now = SystemTime::now();
    let mut parsed = 0;
    // Every flipped bit of the TSTInfo: unreadable, or readable and not valid (the digest
    // or the imprint differs).
    for i in start..start + tst.len() {
        let mut flipped = der.clone();
        flipped[i] ^= 0x01;
        if let Ok(token) = TimestampToken::from_der(&flipped) {
            parsed += 1;
            let result = token.verify("signature", &imprint, &store, now);
            assert!(
                result.reasons.contains(&invalid(
                    "signature",
                    "DIGEST_MISMATCH: the signed bytes' digest differs from the signed \
                     message-digest"
                )),
                "byte {i}: {:?}",
                result.reasons
            );
        }
    }
    assert!(parsed > tst.len() / 2, "{parsed}");
    // The signature value's last byte.
    let signature = token.signed_data().signature_value().to_vec();
    let at = der
        .windows(signature.len())
        .position(|w| w == signature)
        .unwrap();
    let mut flipped = der.clone();
    flipped[at + signature.len() - 1] ^= 0x01;
    let result =
        TimestampToken::from_der(&flipped)
            .unwrap()
            .verify("signature", &imprint, &store, now);
    assert_eq!(
        result.reasons,
        vec![invalid(
            "signature",
            "SIGNATURE_INVALID: the signer's signature does not verify"
        )]
    );
}

#[test]
fn nonce_imprint_and_certificate_mismatches_are_errors() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (request, response, _) = tsa.token();
    let mut other = request.clone();
    other.nonce = Some(vec![1, 2, 3]);
    let expect =
        |request: &TimestampRequest, needle: &str| match token_from_response(&response, request) {
            Err(Error::Malformed { what, detail }) => {
                assert_eq!(what, "TimeStampResp");
                assert!(detail.contains(needle), "{detail}");
            }
            other => panic!("{other:?}"),
        };
    expect(&other, "nonce");
    // Leading zeros are no different nonce.
    let mut padded = request.clone();
    padded.nonce = Some([&[0, 0][..], request.nonce.as_deref().unwrap()].concat());
    assert!(token_from_response(&response, &padded).is_ok());
    let mut other = request.clone();
    other.message_imprint = sha256(b"other");
    expect(&other, "imprint");
    let mut other = request.clone();
    other.digest_algorithm = DigestAlgorithm::Sm3;
    expect(&other, "imprint is SHA-256");
    // A token without the nonce the request sent.
    let mut no_nonce = request.clone();
    no_nonce.nonce = None;
    let response = tsa.authority().respond(&no_nonce.to_der().unwrap());
    match token_from_response(&response, &request) {
        Err(Error::Malformed { detail, .. }) => {
            assert_eq!(detail, "the token has no nonce; the request sent one")
        }
        other => panic!("{other:?}"),
    }
    // A token without certificates although certReq was TRUE.
    let mut no_cert = request.clone();
    no_cert.cert_req = false;
    let response = tsa.authority().respond(&no_cert.to_der().unwrap());
    assert!(token_from_response(&response, &no_cert).is_ok());
    match token_from_response(&response, &request) {
        Err(Error::Malformed { detail, .. }) => assert_eq!(
            detail,
            "the token carries no certificate although certReq was TRUE"
        ),
        other => panic!("{other:?}"),
    }
    // And its policy must be the one asked for.
    let mut asked = request.clone();
    asked.policy = Some(POLICY.into());
    let response = tsa.authority().respond(&asked.to_der().unwrap());
    assert!(token_from_response(&response, &asked).is_ok());
}

/// DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A `TimeStampReq` assembled by hand: version, hash OID (DER, with tag), imprint, extra
/// fields after the imprint.
fn raw_request(version: u8, oid: &[u8], imprint: &[u8], extra: &[u8]) -> Vec<u8> {
    let algorithm = tlv(0x30, oid);
    let message_imprint = tlv(0x30, &[algorithm, tlv(0x04, imprint)].concat());
    tlv(
        0x30,
        &[tlv(0x02, &[version]), message_imprint, extra.to_vec()].concat(),
    )
}

const SHA256_OID: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const SHA1_OID: &[u8] = &[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];

#[test]
fn rejections_name_their_status_and_failure() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let authority = tsa.authority();
    let request = tsa.request(DigestAlgorithm::Sha256);
    let imprint = sha256(&tsa.data);
    let extension = tlv(
        0xa0,
        &tlv(
            0x30,
            &[vec![0x06, 0x03, 0x2a, 0x03, 0x04], tlv(0x04, &[0x05, 0x00])].concat(),
        ),
    );
    let mut other_policy = request.clone();
    other_policy.policy = Some("1.2.3.9".into());
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            other_policy.to_der().unwrap(),
            "unacceptedPolicy",
            "policy 1.2.3.9 is not supported; this TSA issues under 1.2.3.4.1",
        ),
        (
            raw_request(1, SHA1_OID, &[7; 20], &[]),
            "badAlg",
            "SHA-1 is too weak",
        ),
        (
            raw_request(1, &[0x06, 0x03, 0x2a, 0x03, 0x05], &[7; 32], &[]),
            "badAlg",
            "unknown hash algorithm 1.2.3.5",
        ),
        (
            raw_request(2, SHA256_OID, &imprint, &[]),
            "badRequest",
            "version 2, not 1",
        ),
        (
            raw_request(1, SHA256_OID, &imprint[..31], &[]),
            "badDataFormat",
            "a 31-byte imprint for SHA-256, which gives 32 bytes",
        ),
        (
            raw_request(1, SHA256_OID, &imprint, &extension),
            "unacceptedExtension",
            "unsupported extensions 1.2.3.4",
        ),
        (
            b"not DER".to_vec(),
            "badDataFormat",
            "not a DER TimeStampReq",
        ),
    ];
    for (query, fail, text) in cases {
        let response = authority.respond(&query);
        match token_from_response(&response, &request) {
            Err(Error::Invalid(message)) => {
                let prefix = format!(
                    "the TSA did not grant the timestamp: PKIStatus rejection (2), failInfo \
                     {fail}: \""
                );
                assert!(message.starts_with(&prefix), "{message}");
                assert!(message.contains(text), "{message}");
            }
            other => panic!("{fail}: {other:?}"),
        }
    }
    // OpenSSL reads eseal's rejections.
    fs::write(tsa.path().join("rej.tsr"), authority.respond(b"x")).unwrap();
    let text = openssl_ok(tsa.path(), &["ts", "-reply", "-in", "rej.tsr", "-text"]);
    assert!(text.contains("Status: Rejected."), "{text}");
    assert!(
        text.contains("Failure info: the data submitted has the wrong format"),
        "{text}"
    );
    // A clock beyond GeneralizedTime: timeNotAvailable.
    let far = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
    let response = authority.respond_at(&request.to_der().unwrap(), far);
    match token_from_response(&response, &request) {
        Err(Error::Invalid(message)) => assert!(message.contains("timeNotAvailable"), "{message}"),
        other => panic!("{other:?}"),
    }
    // A granted status without a token is malformed.
    let granted = tlv(0x30, &tlv(0x30, &[0x02, 0x01, 0x00]));
    assert!(matches!(
        token_from_response(&granted, &request),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn malformed_input_at_every_length_is_an_error_never_a_panic() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (request, response, token) = tsa.token();
    let query = request.to_der().unwrap();
    let authority = tsa.authority();
    for len in 0..response.len() {
        assert!(
            token_from_response(&response[..len], &request).is_err(),
            "{len}"
        );
    }
    let der = token.der();
    for len in 0..der.len() {
        assert!(TimestampToken::from_der(&der[..len]).is_err(), "{len}");
    }
    let tst = token.signed_data().econtent().unwrap();
    for len in 0..tst.len() {
        assert!(TstInfo::from_der(&tst[..len]).is_err(), "{len}");
    }
    assert_eq!(TstInfo::from_der(tst).unwrap(), *token.tst_info());
    // Every truncated query is rejected, with a response that reads.
    for len in 0..query.len() {
        assert!(TimestampRequest::from_der(&query[..len]).is_err(), "{len}");
        let answer = authority.respond(&query[..len]);
        assert!(
            matches!(token_from_response(&answer, &request), Err(Error::Invalid(m)) if m.contains("rejection")),
            "{len}"
        );
    }
    // Trailing bytes after a token.
    let mut long = der.to_vec();
    long.push(0);
    assert!(TimestampToken::from_der(&long).is_err());
    // Every flipped byte of the response: no panic, and the TSTInfo region never verifies.
    let imprint = sha256(&tsa.data);
    let store = tsa.store();
    for i in 0..response.len() {
        let mut flipped = response.clone();
        flipped[i] ^= 0xff;
        if let Ok(token) = token_from_response(&flipped, &request) {
            let _ = token.verify("signature", &imprint, &store, SystemTime::now());
        }
        let _ = authority.respond(&flipped);
    }
}

#[test]
fn a_closed_port_fails_at_once() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let timeout = Duration::from_secs(5);
    let started = Instant::now();
    match tsa::request_timestamp(&url, &tsa.request(DigestAlgorithm::Sha256), timeout) {
        Err(Error::Io { path, source }) => {
            assert_eq!(path, PathBuf::from(&url));
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
            assert!(source.to_string().starts_with("connecting: "), "{source}");
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < timeout + Duration::from_secs(2));
    // https is refused before any connection.
    assert!(matches!(
        tsa::request_timestamp(
            "https://127.0.0.1:1/",
            &tsa.request(DigestAlgorithm::Sha256),
            timeout
        ),
        Err(Error::Invalid(_))
    ));
}

fn assert_times_out(url: &str, timeout: Duration) {
    let request = TimestampRequest::new(DigestAlgorithm::Sha256, sha256(b"x"));
    let started = Instant::now();
    match tsa::request_timestamp(url, &request, timeout) {
        Err(Error::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::TimedOut, "{source}");
            assert!(
                source.to_string().starts_with(&format!(
                    "the TSA did not answer within {:.1} s",
                    timeout.as_secs_f64()
                )),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < timeout + Duration::from_secs(2));
}

#[test]
fn a_tsa_that_never_answers_times_out() {
    // A listener nobody accepts on: the kernel completes the handshake, nothing answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    assert_times_out(&url, Duration::from_secs(2));
    // A server that accepts and reads but never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    });
    assert_times_out(&url, Duration::from_secs(1));
}

/// A one-shot HTTP server answering every connection with `reply(request body)`.
fn fake_server(reply: impl Fn(&[u8]) -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head and the Content-Length body.
            let body = loop {
                let n = stream.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    if buf.len() >= end + 4 + len {
                        break buf[end + 4..end + 4 + len].to_vec();
                    }
                }
            };
            let _ = stream.write_all(&reply(&body));
        }
    });
    url
}

#[test]
fn http_answers_the_client_understands_or_reports() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let request = tsa.request(DigestAlgorithm::Sha256);
    // An interim 100 Continue, then a chunked reply without Connection: close.
    let authority = Arc::new(tsa.authority());
    let url = fake_server(move |body| {
        let response = authority.respond(body);
        let (a, b) = response.split_at(10);
        let mut out = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\
            Content-Type: application/timestamp-reply\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        for part in [a, b] {
            out.extend(format!("{:x}\r\n", part.len()).bytes());
            out.extend_from_slice(part);
            out.extend(b"\r\n");
        }
        out.extend(b"0\r\n\r\n");
        out
    });
    let token = tsa::request_timestamp(&url, &request, Duration::from_secs(5)).unwrap();
    assert!(
        token
            .verify(
                "signature",
                &request.message_imprint,
                &tsa.store(),
                SystemTime::now()
            )
            .is_valid()
    );
    // An HTTP error.
    let url = fake_server(|_| {
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops\n".to_vec()
    });
    match tsa::request_timestamp(&url, &request, Duration::from_secs(5)) {
        Err(Error::Io { source, .. }) => assert_eq!(
            source.to_string(),
            "the TSA answered HTTP 500 Internal Server Error: oops"
        ),
        other => panic!("{other:?}"),
    }
    // Not HTTP at all.
    let url = fake_server(|_| b"SSH-2.0-OpenSSH\r\n\r\n".to_vec());
    match tsa::request_timestamp(&url, &request, Duration::from_secs(5)) {
        Err(Error::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidData, "{source}")
        }
        other => panic!("{other:?}"),
    }
    // A body that is no TimeStampResp.
    let url = fake_server(|_| b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnope".to_vec());
    assert!(matches!(
        tsa::request_timestamp(&url, &request, Duration::from_secs(5)),
        Err(Error::Malformed {
            what: "TimeStampResp",
            ..
        })
    ));
}

#[test]
fn the_server_refuses_what_is_not_a_timestamp_query() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let (url, _server) = eseal::serve::spawn_local(tsa.authority()).unwrap();
    let (status, head, _) = http(
        &url,
        b"GET /tsa HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert!(head.to_ascii_lowercase().contains("allow: post"), "{head}");
    let (status, _, _) = post(&url, "text/plain", b"hello");
    assert_eq!(status, 415);
    let (status, _, _) = http(
        &url,
        b"POST /tsa HTTP/1.1\r\nHost: x\r\nContent-Type: application/timestamp-query\r\n\
          Content-Length: 999999\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 413);
    let (status, _, _) = http(&url, b"BREW\r\n\r\n");
    assert_eq!(status, 400);
    // Two framings at once: refused rather than guessed at.
    let (status, _, _) = http(
        &url,
        b"POST /tsa HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    assert_eq!(status, 400);
    // A rejected query is still 200 with a rejection TimeStampResp (RFC 3161 clause 2.4.2).
    let (status, _, body) = post(&url, "application/timestamp-query", b"junk");
    assert_eq!(status, 200);
    assert!(matches!(
        token_from_response(&body, &tsa.request(DigestAlgorithm::Sha256)),
        Err(Error::Invalid(m)) if m.contains("badDataFormat")
    ));
    // A chunked query is read.
    let query = tsa.request(DigestAlgorithm::Sha256);
    let der = query.to_der().unwrap();
    let mut chunked = format!(
        "POST /tsa HTTP/1.1\r\nHost: x\r\nContent-Type: application/timestamp-query\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        der.len()
    )
    .into_bytes();
    chunked.extend(&der);
    chunked.extend(b"\r\n0\r\n\r\n");
    let (status, _, body) = http(&url, &chunked);
    assert_eq!(status, 200);
    assert!(token_from_response(&body, &query).is_ok());
    // The server still answers after all that.
    assert!(tsa::request_timestamp(&url, &query, Duration::from_secs(5)).is_ok());
}

// 6. The command line.

fn eseal() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
}

#[test]
fn cli_serves_requests_and_verifies_tokens() {
    let tsa = Tsa::new(Algorithm::EcdsaP256Sha256);
    let d = tsa.path();
    let mut server = eseal()
        .args(["tsa", "serve", "--listen", "127.0.0.1:0", "--cert"])
        .arg(d.join("tsa-chain.pem"))
        .arg("--key")
        .arg(d.join("tsa.key"))
        .args(["--policy", "1.2.3.4.7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = server.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let url = String::from_utf8(line).unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let run = |args: &[&str]| {
        let out = eseal().args(args).current_dir(d).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[
        "tsa",
        "request",
        "--url",
        &url,
        "--data",
        "data.bin",
        "--digest",
        "sm3",
        "--out",
        "token.tsr",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("policy 1.2.3.4.7"), "{out}");
    let (code, out, err) = run(&[
        "verify",
        "token.tsr",
        "--data",
        "data.bin",
        "--trust",
        "root.pem",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("timestamp: TOTAL-PASSED"), "{out}");
    assert!(out.contains("(timestamp)"), "{out}");
    fs::write(d.join("other.bin"), b"other").unwrap();
    let (code, out, _) = run(&[
        "verify",
        "token.tsr",
        "--data",
        "other.bin",
        "--trust",
        "root.pem",
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entry = &report["signatures"][0];
    assert_eq!(entry["kind"], "timestamp");
    assert_eq!(entry["sub_indication"], "SIG_CONSTRAINTS_FAILURE");
    assert_eq!(entry["reasons"][0]["code"], "TIMESTAMP_INVALID");
    let token = TimestampToken::from_der(&fs::read(d.join("token.tsr")).unwrap()).unwrap();
    let gen_time = eseal::pki::rfc3339(eseal::pki::unix_seconds(token.tst_info().gen_time));
    assert_eq!(entry["signing_time"], gen_time.as_str());
    assert_eq!(entry["signing_time_source"], "claimed");
    // Without --data: everything but the imprint, which is DATA_NOT_CHECKED.
    let (code, out, _) = run(&["verify", "token.tsr", "--trust", "root.pem", "--json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DATA_NOT_CHECKED"), "{out}");
    // A policy the server does not issue under, and a TSA that is gone.
    let (code, _, err) = run(&[
        "tsa", "request", "--url", &url, "--data", "data.bin", "--policy", "1.2.3.9", "--out",
        "x.tsr",
    ]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("unacceptedPolicy"), "{err}");
    server.kill().unwrap();
    server.wait().unwrap();
    let (code, _, err) = run(&[
        "tsa",
        "request",
        "--url",
        &url,
        "--data",
        "data.bin",
        "--out",
        "y.tsr",
        "--timeout-secs",
        "3",
    ]);
    // A TSA that cannot be reached is an I/O failure (EX_IOERR), not unreadable input.
    assert_eq!(code, 74, "{err}");
    assert!(err.contains("connecting"), "{err}");
    // A certificate that may not sign timestamps.
    let (key, signer) = tsa.pki.leaf(Profile::Signer, "签章人", -1, 365);
    fs::write(d.join("signer.pem"), signer.to_pem()).unwrap();
    fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    let (code, _, err) = run(&[
        "tsa",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        "signer.pem",
        "--key",
        "signer.key",
    ]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("timeStamping"), "{err}");
}
