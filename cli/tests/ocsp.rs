//! OCSP (RFC 6960): OpenSSL's responder (`openssl ocsp -index`) answers eseal's requests,
//! eseal checks the answers and decides with them like with a CRL; every verdict exact.
//! The interop harness's responder on 127.0.0.1:8090 is asked over HTTP too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{
    Hierarchy, days_from_now, interop_harness as harness, openssl_ok, passed,
    revocation_unknown as unknown,
};
use eseal::crypto::{Algorithm, Signer};
use eseal::pki::{
    self, Certificate, OcspCertStatus, OcspResponse, OcspSigner, Profile, RevocationReason,
    RevokedEntry, TrustStore, Usage, ocsp_request_der, read_certificates, rfc3339, unix_seconds,
};
use eseal::report::{Indication, Reason, SubIndication};

/// A CA (eseal's P-256 hierarchy), its leaves, an OpenSSL `index.txt` and responder
/// certificates, all in a temporary directory.
struct Lab {
    dir: tempfile::TempDir,
    h: Hierarchy,
    good: Certificate,
    revoked: Certificate,
    /// Not in the index: OpenSSL answers `unknown`.
    unlisted: Certificate,
    /// When `revoked` was revoked (keyCompromise), whole seconds.
    revoked_at: i64,
}

fn utc_time(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The serial as `openssl ca` writes it in `index.txt`: upper-case hex, no sign byte.
fn index_serial(cert: &Certificate) -> String {
    let s = cert.serial();
    let start = s.iter().position(|b| *b != 0).unwrap_or(s.len() - 1);
    hex::encode_upper(&s[start..])
}

fn index_line(cert: &Certificate, revoked: Option<(i64, &str)>) -> String {
    match revoked {
        None => format!(
            "V\t491231000000Z\t\t{}\tunknown\t/CN=x{}\n",
            index_serial(cert),
            index_serial(cert)
        ),
        Some((at, reason)) => format!(
            "R\t491231000000Z\t{},{reason}\t{}\tunknown\t/CN=x{}\n",
            utc_time(at),
            index_serial(cert),
            index_serial(cert)
        ),
    }
}

impl Lab {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
        let (_, good) = h.leaf(Profile::Signer, "OCSP good", -10, 30);
        let (_, revoked) = h.leaf(Profile::Signer, "OCSP revoked", -10, 30);
        let (_, unlisted) = h.leaf(Profile::Signer, "OCSP unlisted", -10, 30);
        let revoked_at = unix_seconds(days_from_now(-2));
        let lab = Lab {
            dir,
            h,
            good,
            revoked,
            unlisted,
            revoked_at,
        };
        lab.write("ca.pem", lab.h.ca.to_pem());
        lab.write("ca.key", lab.h.ca_key.to_pkcs8_pem().as_bytes());
        lab.write("root.pem", lab.h.root.to_pem());
        lab.write("root.key", lab.h.root_key.to_pkcs8_pem().as_bytes());
        lab.write("good.pem", lab.good.to_pem());
        lab.write("revoked.pem", lab.revoked.to_pem());
        lab.write("unlisted.pem", lab.unlisted.to_pem());
        lab.write(
            "index.txt",
            index_line(&lab.good, None)
                + &index_line(&lab.revoked, Some((revoked_at, "keyCompromise"))),
        );
        lab.responder("ocsp", "ca", "OCSP Responder", &["OCSPSigning"], true);
        lab.responder("plain", "ca", "Not A Responder", &[], true);
        lab.responder(
            "no-nocheck",
            "ca",
            "OCSP Responder 2",
            &["OCSPSigning"],
            false,
        );
        lab.responder("ts", "ca", "Timestamping", &["timeStamping"], true);
        // The same responder name and EKU, but certified by the root, not by the CA.
        lab.responder("foreign", "root", "OCSP Responder", &["OCSPSigning"], true);
        lab
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.path(name), contents).unwrap();
    }

    /// A responder certificate `name.pem` / `name.key` issued by `ca` with OpenSSL.
    fn responder(&self, name: &str, ca: &str, cn: &str, eku: &[&str], nocheck: bool) {
        self.responder_with(name, ca, cn, eku, nocheck, "");
    }

    /// [`Lab::responder`] with `extra` lines in the extension section.
    fn responder_with(
        &self,
        name: &str,
        ca: &str,
        cn: &str,
        eku: &[&str],
        nocheck: bool,
        extra: &str,
    ) {
        let dir = self.dir.path();
        let key = format!("{name}.key");
        openssl_ok(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key,
            ],
        );
        let csr = format!("{name}.csr");
        openssl_ok(
            dir,
            &[
                "req",
                "-new",
                "-key",
                &key,
                "-subj",
                &format!("/O=Test Office/CN={cn}"),
                "-out",
                &csr,
            ],
        );
        let mut ext = String::from(
            "[ext]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
        );
        if !eku.is_empty() {
            ext += &format!("extendedKeyUsage = critical,{}\n", eku.join(","));
        }
        if nocheck {
            ext += "noCheck = ignored\n";
        }
        ext += extra;
        let ext_file = format!("{name}.cnf");
        self.write(&ext_file, ext);
        let serial = format!("0x{}", hex::encode(rand_bytes()));
        openssl_ok(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-set_serial",
                &serial,
                "-days",
                "30",
                "-extfile",
                &ext_file,
                "-extensions",
                "ext",
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }

    /// OpenSSL's answer to eseal's request for `certs` (issued by `ca`), from `index`,
    /// signed by `signer` (`signer.pem` / `signer.key`), with extra `openssl ocsp` options.
    fn respond_to(
        &self,
        request: &[u8],
        index: &str,
        ca: &str,
        signer: &str,
        extra: &[&str],
    ) -> Vec<u8> {
        self.write("req.der", request);
        let (rsigner, rkey) = (format!("{signer}.pem"), format!("{signer}.key"));
        let (ca, index) = (format!("{ca}.pem"), index.to_string());
        let mut args = vec![
            "ocsp", "-index", &index, "-CA", &ca, "-rsigner", &rsigner, "-rkey", &rkey, "-reqin",
            "req.der", "-respout", "resp.der",
        ];
        args.extend_from_slice(extra);
        openssl_ok(self.dir.path(), &args);
        std::fs::read(self.path("resp.der")).unwrap()
    }

    /// The CA-issued `cert`'s status from OpenSSL, signed by `signer`, with `extra` options.
    fn response(&self, cert: &Certificate, signer: &str, extra: &[&str]) -> OcspResponse {
        let request = ocsp_request_der(cert, &self.h.ca);
        let der = self.respond_to(&request, "index.txt", "ca", signer, extra);
        OcspResponse::from_der(&der).unwrap()
    }

    fn store(&self, responses: &[&OcspResponse]) -> TrustStore {
        let mut store = self.h.store();
        for r in responses {
            store.add_ocsp_response((*r).clone());
        }
        store
    }
}

fn rand_bytes() -> [u8; 8] {
    let mut b = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).unwrap();
    b[0] = (b[0] & 0x7f) | 0x10;
    b
}

type Verdict = common::ChainVerdict;

fn verdict(store: &TrustStore, leaf: &Certificate, at: SystemTime) -> Verdict {
    common::chain_verdict(store, leaf, &[], at, Usage::Signer)
}

fn revoked_reason(lab: &Lab) -> Reason {
    Reason::CertificateRevoked {
        subject: lab.revoked.subject().to_string(),
        serial: lab.revoked.serial_hex(),
        revoked_at: eseal::report::Time::from_unix(lab.revoked_at),
        reason: Some("keyCompromise".into()),
        ca: false,
    }
}

fn no_information(cert: &Certificate) -> Reason {
    Reason::RevocationUnknown {
        subject: cert.subject().to_string(),
        detail: "neither a CRL from its issuer nor a usable OCSP response for it was supplied"
            .into(),
    }
}

fn has_warning(warnings: &[String], text: &str) -> bool {
    warnings.iter().any(|w| w.contains(text))
}

#[test]
fn requests_are_openssls_own_and_openssl_reads_them() {
    let lab = Lab::new();
    let dir = lab.dir.path();
    for leaf in ["good", "revoked"] {
        let cert = read_certificates(&std::fs::read(lab.path(&format!("{leaf}.pem"))).unwrap())
            .unwrap()
            .remove(0);
        let ours = ocsp_request_der(&cert, &lab.h.ca);
        openssl_ok(
            dir,
            &[
                "ocsp",
                "-issuer",
                "ca.pem",
                "-cert",
                &format!("{leaf}.pem"),
                "-no_nonce",
                "-reqout",
                "theirs.der",
            ],
        );
        assert_eq!(ours, std::fs::read(lab.path("theirs.der")).unwrap());
        lab.write("ours.der", &ours);
        let text = openssl_ok(dir, &["ocsp", "-reqin", "ours.der", "-req_text"]);
        assert!(text.contains("Hash Algorithm: sha1"), "{text}");
        assert!(
            text.contains(&format!("Serial Number: {}", index_serial(&cert))),
            "{text}"
        );
    }
}

#[test]
fn delegated_responder_good_revoked_and_before_revocation() {
    let lab = Lab::new();
    let good = lab.response(&lab.good, "ocsp", &["-ndays", "1"]);
    let revoked = lab.response(&lab.revoked, "ocsp", &["-ndays", "1"]);
    let now = SystemTime::now();

    // What was parsed.
    let status = good.status_of(&lab.good, &lab.h.ca).unwrap();
    assert_eq!(status.status, OcspCertStatus::Good);
    assert_eq!(status.serial, lab.good.serial());
    assert!(status.this_update <= unix_seconds(now));
    assert_eq!(status.next_update, Some(status.this_update + 86_400));
    assert_eq!(good.certificates().len(), 1);
    assert_eq!(
        good.responder().to_string(),
        good.certificates()[0].subject()
    );
    assert_eq!(
        good.verify_signature(&lab.h.ca).unwrap(),
        OcspSigner::Delegated {
            subject: good.certificates()[0].subject().to_string(),
            nocheck: true
        }
    );
    assert_eq!(
        revoked.status_of(&lab.revoked, &lab.h.ca).unwrap().status,
        OcspCertStatus::Revoked {
            revoked_at: lab.revoked_at,
            reason: Some(RevocationReason::KeyCompromise)
        }
    );
    assert_eq!(good.status_of(&lab.revoked, &lab.h.ca), None);
    assert_eq!(good.status_of(&lab.good, &lab.h.root), None);

    let store = lab.store(&[&good, &revoked]);
    let result = store.validate(&lab.good, &[], now, Usage::Signer);
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert!(
        result.revocation.starts_with(&format!(
            "{}: good (OCSP response of {} signed by delegated responder ",
            lab.good.subject(),
            rfc3339(status.this_update)
        )),
        "{}",
        result.revocation
    );
    // The office CA has no revocation information: noted, not a failure.
    assert!(
        has_warning(&result.warnings, "not checked: neither a CRL"),
        "{:?}",
        result.warnings
    );

    let result = store.validate(&lab.revoked, &[], now, Usage::Signer);
    assert_eq!(result.reasons, vec![revoked_reason(&lab)]);
    assert!(result.revocation.contains("revoked (OCSP response of"));
    assert_eq!(
        verdict(&store, &lab.revoked, now),
        (
            Indication::TotalFailed,
            Some(SubIndication::Revoked),
            vec!["CERTIFICATE_REVOKED"]
        )
    );

    // A day before the revocation the certificate was good: valid, with a note. The
    // revocation dates itself, whenever the response was made.
    let before = store.validate(
        &lab.revoked,
        &[],
        days_from_now(-3) + Duration::from_secs(3600),
        Usage::Signer,
    );
    assert!(before.is_valid(), "{:?}", before.reasons);
    assert!(
        has_warning(
            &before.warnings,
            &format!(
                "was revoked at {}, after the validation time",
                rfc3339(lab.revoked_at)
            )
        ),
        "{:?}",
        before.warnings
    );
    // The good status does not speak for a time before its thisUpdate.
    assert_eq!(verdict(&store, &lab.good, days_from_now(-1)), unknown());

    // One response for two certificates (OpenSSL's own request) decides both.
    openssl_ok(
        lab.dir.path(),
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            "good.pem",
            "-cert",
            "revoked.pem",
            "-no_nonce",
            "-reqout",
            "both.der",
        ],
    );
    let both = lab.respond_to(
        &std::fs::read(lab.path("both.der")).unwrap(),
        "index.txt",
        "ca",
        "ocsp",
        &["-ndays", "1"],
    );
    let both = OcspResponse::from_der(&both).unwrap();
    assert_eq!(both.responses().count(), 2);
    let store = lab.store(&[&both]);
    let now = SystemTime::now();
    assert_eq!(verdict(&store, &lab.good, now), passed());
    assert_eq!(
        store
            .validate(&lab.revoked, &[], now, Usage::Signer)
            .reasons,
        vec![revoked_reason(&lab)]
    );
}

#[test]
fn issuer_signed_responses_by_name_and_by_key_and_sha256_cert_ids() {
    let lab = Lab::new();
    for extra in [&["-ndays", "1"][..], &["-ndays", "1", "-resp_key_id"][..]] {
        let good = lab.response(&lab.good, "ca", extra);
        let revoked = lab.response(&lab.revoked, "ca", extra);
        let now = SystemTime::now();
        assert_eq!(
            good.verify_signature(&lab.h.ca).unwrap(),
            OcspSigner::Issuer
        );
        let store = lab.store(&[&good, &revoked]);
        let result = store.validate(&lab.good, &[], now, Usage::Signer);
        assert!(result.is_valid(), "{:?}", result.reasons);
        assert!(
            result.revocation.contains("signed by the issuer"),
            "{}",
            result.revocation
        );
        assert_eq!(
            store
                .validate(&lab.revoked, &[], now, Usage::Signer)
                .reasons,
            vec![revoked_reason(&lab)]
        );
    }
    // CertIDs with SHA-256, as OpenSSL's `-sha256` request makes them.
    openssl_ok(
        lab.dir.path(),
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-sha256",
            "-cert",
            "revoked.pem",
            "-no_nonce",
            "-reqout",
            "sha256.der",
        ],
    );
    let der = lab.respond_to(
        &std::fs::read(lab.path("sha256.der")).unwrap(),
        "index.txt",
        "ca",
        "ocsp",
        &["-ndays", "1"],
    );
    let response = OcspResponse::from_der(&der).unwrap();
    assert!(response.status_of(&lab.revoked, &lab.h.ca).is_some());
    assert_eq!(
        lab.store(&[&response])
            .validate(&lab.revoked, &[], SystemTime::now(), Usage::Signer)
            .reasons,
        vec![revoked_reason(&lab)]
    );
}

#[test]
fn responses_from_signers_that_may_not_speak_are_ignored() {
    let lab = Lab::new();
    let now = SystemTime::now();
    let cases = [
        ("plain", "lacks the extended key usage id-kp-OCSPSigning"),
        ("ts", "lacks the extended key usage id-kp-OCSPSigning"),
        ("foreign", "was not issued by"),
    ];
    for (signer, why) in cases {
        for leaf in [&lab.good, &lab.revoked] {
            let response = lab.response(leaf, signer, &["-ndays", "1"]);
            assert!(response.status_of(leaf, &lab.h.ca).is_some());
            let err = response
                .verify_signature(&lab.h.ca)
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{signer}: {err}");
            let store = lab.store(&[&response]);
            let result = store.validate(leaf, &[], now, Usage::Signer);
            // Never trusted: not even a revocation it claims counts.
            assert_eq!(result.reasons, vec![no_information(leaf)], "{signer}");
            assert!(
                has_warning(&result.warnings, "ignored an OCSP response from")
                    && has_warning(&result.warnings, why),
                "{signer}: {:?}",
                result.warnings
            );
            assert_eq!(verdict(&store, leaf, now), unknown());
        }
    }

    // A response whose signed part was changed after signing (producedAt's last second).
    let response = lab.response(&lab.revoked, "ocsp", &["-ndays", "1"]);
    let mut der = response.der().to_vec();
    let at = der.windows(2).position(|w| w == [0x18, 0x0f]).unwrap() + 2 + 13;
    der[at] = if der[at] == b'9' { b'8' } else { der[at] + 1 };
    let tampered = OcspResponse::from_der(&der).unwrap();
    let err = tampered
        .verify_signature(&lab.h.ca)
        .unwrap_err()
        .to_string();
    assert!(err.contains("signature does not verify"), "{err}");
    let result = lab
        .store(&[&tampered])
        .validate(&lab.revoked, &[], now, Usage::Signer);
    assert_eq!(result.reasons, vec![no_information(&lab.revoked)]);

    // A delegated responder without id-pkix-ocsp-nocheck is used, with a note.
    let response = lab.response(&lab.good, "no-nocheck", &["-ndays", "1"]);
    let result = lab
        .store(&[&response])
        .validate(&lab.good, &[], SystemTime::now(), Usage::Signer);
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert!(
        has_warning(&result.warnings, "has no id-pkix-ocsp-nocheck"),
        "{:?}",
        result.warnings
    );

    // Without the responder certificate in the response its signer is not known.
    let response = lab.response(&lab.good, "ocsp", &["-ndays", "1", "-resp_no_certs"]);
    assert!(response.certificates().is_empty());
    let err = response
        .verify_signature(&lab.h.ca)
        .unwrap_err()
        .to_string();
    assert!(err.contains("neither"), "{err}");
}

#[test]
fn unknown_other_certificates_and_times_not_covered() {
    let lab = Lab::new();
    let now = SystemTime::now();

    // OpenSSL answers `unknown` for a certificate its index does not list.
    let response = lab.response(&lab.unlisted, "ocsp", &["-ndays", "1"]);
    assert_eq!(
        response.status_of(&lab.unlisted, &lab.h.ca).unwrap().status,
        OcspCertStatus::Unknown
    );
    let result = lab
        .store(&[&response])
        .validate(&lab.unlisted, &[], now, Usage::Signer);
    assert_eq!(
        result.reasons,
        vec![Reason::RevocationUnknown {
            subject: lab.unlisted.subject().to_string(),
            detail: format!(
                "the OCSP responder {} does not know it",
                response.responder()
            ),
        }]
    );

    // A response about another certificate says nothing about this one.
    let good = lab.response(&lab.good, "ocsp", &["-ndays", "1"]);
    let store = lab.store(&[&good]);
    assert_eq!(
        store
            .validate(&lab.revoked, &[], now, Usage::Signer)
            .reasons,
        vec![no_information(&lab.revoked)]
    );
    assert_eq!(verdict(&store, &lab.revoked, now), unknown());

    // nextUpdate an hour on: good within it, unknown after.
    let hour = lab.response(&lab.good, "ocsp", &["-nmin", "60"]);
    let store = lab.store(&[&hour]);
    assert_eq!(
        verdict(&store, &lab.good, now + Duration::from_secs(1800)),
        passed()
    );
    let stale = store.validate(
        &lab.good,
        &[],
        now + Duration::from_secs(7200),
        Usage::Signer,
    );
    assert!(
        matches!(&stale.reasons[..], [Reason::RevocationUnknown { detail, .. }] if detail.contains("not for the validation time")),
        "{:?}",
        stale.reasons
    );
    assert_eq!(
        verdict(&store, &lab.good, now + Duration::from_secs(7200)),
        unknown()
    );

    // Without nextUpdate a status is used for OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE (a day).
    let open = lab.response(&lab.good, "ocsp", &[]);
    let status = open.status_of(&lab.good, &lab.h.ca).unwrap();
    assert_eq!(status.next_update, None);
    assert_eq!(
        status.valid_until(),
        status.this_update + pki::OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE.as_secs() as i64
    );
    let store = lab.store(&[&open]);
    assert_eq!(verdict(&store, &lab.good, now), passed());
    assert_eq!(
        verdict(&store, &lab.good, now + Duration::from_secs(23 * 3600)),
        passed()
    );
    assert_eq!(
        verdict(&store, &lab.good, now + Duration::from_secs(25 * 3600)),
        unknown()
    );

    // A thisUpdate a little after the validation time (a responder clock ahead) counts,
    // up to OCSP_CLOCK_SKEW; more does not.
    let this_update = pki::parse_rfc3339(&rfc3339(status.this_update)).unwrap();
    let skew = pki::OCSP_CLOCK_SKEW;
    assert_eq!(verdict(&store, &lab.good, this_update - skew), passed());
    assert_eq!(
        verdict(
            &store,
            &lab.good,
            this_update - skew - Duration::from_secs(1)
        ),
        unknown()
    );
}

fn crl(h: &Hierarchy, entries: &[RevokedEntry], next_days: i64) -> pki::Crl {
    pki::issue_crl(
        &h.ca,
        &h.ca_key as &dyn Signer,
        1,
        days_from_now(-1),
        days_from_now(next_days),
        entries,
    )
    .unwrap()
}

#[test]
fn crls_and_ocsp_together_a_revocation_from_either_wins() {
    let lab = Lab::new();
    let ocsp_good = lab.response(&lab.good, "ocsp", &["-ndays", "1"]);
    let ocsp_revoked = lab.response(&lab.revoked, "ocsp", &["-ndays", "1"]);
    let now = SystemTime::now();
    let empty_crl = crl(&lab.h, &[], 7);
    let entry = |cert: &Certificate| RevokedEntry {
        serial: cert.serial().to_vec(),
        revoked_at: lab.revoked_at,
        reason: Some(RevocationReason::KeyCompromise),
    };

    // The CRL does not list it, OCSP says revoked.
    let mut store = lab.store(&[&ocsp_revoked]);
    store.add_crl(empty_crl.clone());
    assert_eq!(
        store
            .validate(&lab.revoked, &[], now, Usage::Signer)
            .reasons,
        vec![revoked_reason(&lab)]
    );

    // The CRL lists it, OCSP (for the good one, made to say good) ... and the other way.
    let mut store = lab.store(&[&ocsp_good]);
    store.add_crl(crl(&lab.h, &[entry(&lab.good)], 7));
    let result = store.validate(&lab.good, &[], now, Usage::Signer);
    assert_eq!(
        result.reasons,
        vec![Reason::CertificateRevoked {
            subject: lab.good.subject().to_string(),
            serial: lab.good.serial_hex(),
            revoked_at: eseal::report::Time::from_unix(lab.revoked_at),
            reason: Some("keyCompromise".into()),
            ca: false,
        }]
    );
    assert!(result.revocation.contains("revoked (CRL of"));

    // Both vouch: both are named.
    let mut store = lab.store(&[&ocsp_good]);
    store.add_crl(empty_crl);
    let result = store.validate(&lab.good, &[], now, Usage::Signer);
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert!(
        result.revocation.contains("good (CRL of")
            && result.revocation.contains(", OCSP response of"),
        "{}",
        result.revocation
    );

    // A stale CRL alone leaves the status unknown; a fresh OCSP response vouches.
    let stale_crl = pki::issue_crl(
        &lab.h.ca,
        &lab.h.ca_key,
        1,
        days_from_now(-3),
        days_from_now(-1),
        &[],
    )
    .unwrap();
    let mut store = lab.h.store();
    store.add_crl(stale_crl.clone());
    assert_eq!(verdict(&store, &lab.good, now), unknown());
    store.add_ocsp_response(ocsp_good);
    assert_eq!(verdict(&store, &lab.good, now), passed());
}

#[test]
fn a_ca_revoked_by_ocsp_from_the_root() {
    let lab = Lab::new();
    lab.write(
        "root-index.txt",
        index_line(&lab.h.ca, Some((lab.revoked_at, "cACompromise"))),
    );
    let request = ocsp_request_der(&lab.h.ca, &lab.h.root);
    let der = lab.respond_to(&request, "root-index.txt", "root", "root", &["-ndays", "1"]);
    let ca_response = OcspResponse::from_der(&der).unwrap();
    let leaf_response = lab.response(&lab.good, "ocsp", &["-ndays", "1"]);
    let now = SystemTime::now();
    let store = lab.store(&[&ca_response, &leaf_response]);
    let result = store.validate(&lab.good, &[], now, Usage::Signer);
    assert_eq!(
        result.reasons,
        vec![Reason::CertificateRevoked {
            subject: lab.h.ca.subject().to_string(),
            serial: lab.h.ca.serial_hex(),
            revoked_at: eseal::report::Time::from_unix(lab.revoked_at),
            reason: Some("cACompromise".into()),
            ca: true,
        }]
    );
    assert_eq!(
        verdict(&store, &lab.good, now),
        (
            Indication::Indeterminate,
            Some(SubIndication::RevokedCaNoPoe),
            vec!["CERTIFICATE_REVOKED"]
        )
    );
}

#[test]
fn eseal_verify_takes_ocsp_responses() {
    let lab = Lab::new();
    for (leaf, cert) in [("good", &lab.good), ("revoked", &lab.revoked)] {
        let response = lab.response(cert, "ocsp", &["-ndays", "1"]);
        let file = format!("{leaf}.ocsp");
        lab.write(&file, response.der());
        let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .current_dir(lab.dir.path())
            .args([
                "verify",
                &format!("{leaf}.pem"),
                "--trust",
                "root.pem",
                "--chain",
                "ca.pem",
                "--ocsp",
                &file,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if leaf == "good" {
            assert_eq!(out.status.code(), Some(0), "{text}");
            assert!(text.contains("good (OCSP response of"), "{text}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{text}");
            assert!(text.contains("CERTIFICATE_REVOKED"), "{text}");
        }
    }
    // Something that is no OCSP response is an error, not a verdict.
    lab.write("junk.ocsp", b"\x30\x03\x0a\x01\x03");
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .current_dir(lab.dir.path())
        .args([
            "verify",
            "good.pem",
            "--trust",
            "root.pem",
            "--ocsp",
            "junk.ocsp",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("tryLater"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------
// Strictness (RFC 6960, RFC 8954): a response that may not vouch leaves the status unknown
// ---------------------------------------------------------------------------------------

/// `der` (an issuer-signed response) with an unknown critical extension added to its
/// `responseExtensions` or (`in_single`) to its first `SingleResponse`, signed again
/// with `key`.
fn with_critical_extension(der: &[u8], key: &dyn Signer, in_single: bool) -> Vec<u8> {
    use der::asn1::{Any, BitString, ContextSpecific, OctetString};
    use der::{Decode, Encode, Tag, TagMode, TagNumber};
    let explicit = |n: u32, value: Any| {
        Any::encode_from(&ContextSpecific {
            tag_number: TagNumber(n),
            tag_mode: TagMode::Explicit,
            value,
        })
        .unwrap()
    };
    let extensions = Any::encode_from(&vec![x509_cert::ext::Extension {
        extn_id: "1.2.3.4.7".parse().unwrap(),
        critical: true,
        extn_value: OctetString::new(vec![0x05, 0x00]).unwrap(),
    }])
    .unwrap();
    let sequence = |any: &Any| Vec::<Any>::from_der(&any.to_der().unwrap()).unwrap();
    let mut outer = Vec::<Any>::from_der(der).unwrap();
    let mut bytes = Vec::<Any>::from_der(outer[1].value()).unwrap();
    let mut basic = Vec::<Any>::from_der(bytes[1].value()).unwrap();
    let mut tbs = sequence(&basic[0]);
    if in_single {
        let at = tbs
            .iter()
            .position(|e| der::Tagged::tag(e) == Tag::Sequence)
            .unwrap();
        let mut singles = sequence(&tbs[at]);
        let mut first = sequence(&singles[0]);
        first.push(explicit(1, extensions));
        singles[0] = Any::encode_from(&first).unwrap();
        tbs[at] = Any::encode_from(&singles).unwrap();
    } else {
        tbs.push(explicit(1, extensions));
    }
    let tbs = tbs.to_der().unwrap();
    let signature = key.sign(&tbs).unwrap();
    basic[0] = Any::from_der(&tbs).unwrap();
    basic[2] = Any::encode_from(&BitString::from_bytes(&signature).unwrap()).unwrap();
    bytes[1] = Any::encode_from(&OctetString::new(basic.to_der().unwrap()).unwrap()).unwrap();
    outer[1] = explicit(0, Any::encode_from(&bytes).unwrap());
    outer.to_der().unwrap()
}

#[test]
fn responses_that_may_not_vouch_leave_the_status_unknown() {
    let lab = Lab::new();
    let now = SystemTime::now();

    // An unauthorised responder: certified by the issuer, without id-kp-OCSPSigning.
    let response = lab.response(&lab.good, "plain", &["-ndays", "1"]);
    let result = lab
        .store(&[&response])
        .validate(&lab.good, &[], now, Usage::Signer);
    assert_eq!(result.reasons, vec![no_information(&lab.good)]);
    assert_eq!(verdict(&lab.store(&[&response]), &lab.good, now), unknown());
    // One with id-kp-OCSPSigning but a critical extension eseal does not know.
    lab.responder_with(
        "odd",
        "ca",
        "Odd Responder",
        &["OCSPSigning"],
        true,
        "1.2.3.4.8 = critical,ASN1:NULL\n",
    );
    let response = lab.response(&lab.good, "odd", &["-ndays", "1"]);
    let result = lab
        .store(&[&response])
        .validate(&lab.good, &[], now, Usage::Signer);
    assert_eq!(result.reasons, vec![no_information(&lab.good)]);
    assert!(
        has_warning(
            &result.warnings,
            "has an unknown critical extension 1.2.3.4.8 (RFC 5280 clause 4.2)"
        ),
        "{:?}",
        result.warnings
    );

    // A response from the future (thisUpdate beyond OCSP_CLOCK_SKEW after the time) and
    // one past its nextUpdate do not vouch.
    let response = lab.response(&lab.good, "ocsp", &["-nmin", "60"]);
    let status = response.status_of(&lab.good, &lab.h.ca).unwrap();
    let store = lab.store(&[&response]);
    let outside = Reason::RevocationUnknown {
        subject: lab.good.subject().to_string(),
        detail: format!(
            "the OCSP response speaks for {} to {}, not for the validation time",
            rfc3339(status.this_update),
            rfc3339(status.this_update + 3600)
        ),
    };
    for at in [
        now - pki::OCSP_CLOCK_SKEW - Duration::from_secs(60),
        now + Duration::from_secs(3700),
    ] {
        assert_eq!(verdict(&store, &lab.good, at), unknown());
        assert_eq!(
            store.validate(&lab.good, &[], at, Usage::Signer).reasons,
            vec![outside.clone()]
        );
    }
    assert_eq!(verdict(&store, &lab.good, now), passed());

    // An unknown critical extension, in the response or in the SingleResponse.
    let signed = lab.response(&lab.good, "ca", &["-ndays", "1"]);
    assert_eq!(verdict(&lab.store(&[&signed]), &lab.good, now), passed());
    for in_single in [false, true] {
        let der = with_critical_extension(signed.der(), &lab.h.ca_key, in_single);
        let response = OcspResponse::from_der(&der).unwrap();
        let err = response
            .verify_signature(&lab.h.ca)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown critical extension 1.2.3.4.7"),
            "{err}"
        );
        let result = lab
            .store(&[&response])
            .validate(&lab.good, &[], now, Usage::Signer);
        assert_eq!(result.reasons, vec![no_information(&lab.good)]);
        assert!(
            has_warning(&result.warnings, "unknown critical extension 1.2.3.4.7"),
            "{:?}",
            result.warnings
        );
    }
}

#[test]
fn a_nonce_sent_must_come_back() {
    let lab = Lab::new();
    let nonce = [0x5a; 16];
    let request = pki::ocsp_request_der_with_nonce(&lab.good, &lab.h.ca, &nonce).unwrap();
    lab.write("nonce-req.der", &request);
    let text = openssl_ok(
        lab.dir.path(),
        &["ocsp", "-reqin", "nonce-req.der", "-req_text"],
    );
    assert!(text.contains(&format!("0410{}", "5A".repeat(16))), "{text}");
    assert!(pki::ocsp_request_der_with_nonce(&lab.good, &lab.h.ca, &[]).is_err());
    assert!(pki::ocsp_request_der_with_nonce(&lab.good, &lab.h.ca, &[0; 33]).is_err());

    // OpenSSL's responder copies the nonce into its answer.
    let der = lab.respond_to(&request, "index.txt", "ca", "ocsp", &["-ndays", "1"]);
    let response = OcspResponse::from_der(&der).unwrap();
    let mut value = vec![0x04, 16];
    value.extend_from_slice(&nonce);
    assert_eq!(response.nonce(), Some(value.as_slice()));
    let now = SystemTime::now();
    let matching = response.clone().expecting_nonce(&nonce);
    assert!(matching.check_nonce().is_ok());
    assert_eq!(verdict(&lab.store(&[&matching]), &lab.good, now), passed());

    let other = response.expecting_nonce(&[0xa5; 16]);
    let err = other.check_nonce().unwrap_err().to_string();
    assert!(
        err.contains("nonce is not the nonce of the request"),
        "{err}"
    );
    let store = lab.store(&[&other]);
    assert_eq!(verdict(&store, &lab.good, now), unknown());
    let result = store.validate(&lab.good, &[], now, Usage::Signer);
    assert_eq!(result.reasons, vec![no_information(&lab.good)]);
    assert!(
        has_warning(&result.warnings, "nonce is not the nonce of the request"),
        "{:?}",
        result.warnings
    );

    // A response without a nonce (signed ahead of time) is still used, as OpenSSL does.
    let plain = lab
        .response(&lab.good, "ocsp", &["-ndays", "1"])
        .expecting_nonce(&nonce);
    assert_eq!(plain.nonce(), None);
    assert_eq!(verdict(&lab.store(&[&plain]), &lab.good, now), passed());
}

#[test]
fn the_same_response_is_held_once() {
    let lab = Lab::new();
    let response = lab.response(&lab.good, "ocsp", &["-ndays", "1"]);
    let mut store = lab.h.store();
    for _ in 0..1000 {
        store.add_ocsp_response(response.clone());
    }
    assert_eq!(store.ocsp_responses().count(), 1);
    assert_eq!(verdict(&store, &lab.good, SystemTime::now()), passed());
}

// ---------------------------------------------------------------------------------------
// The interop harness's responder
// ---------------------------------------------------------------------------------------

fn harness_cert(h: &Path, name: &str) -> Certificate {
    read_certificates(&std::fs::read(h.join(format!("pki/{name}.pem"))).unwrap())
        .unwrap()
        .remove(0)
}

/// Asks the responder, retrying while it starts.
fn ask(request: &[u8]) -> Vec<u8> {
    let mut last = None;
    for _ in 0..20 {
        match pki::fetch_ocsp_response("http://127.0.0.1:8090/", request, Duration::from_secs(10)) {
            Ok(body) => return body,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the harness responder did not answer: {last:?}");
}

#[test]
fn the_harness_responder_over_http() {
    let h = harness();
    let ca = harness_cert(&h, "intermediate");
    let mut store = TrustStore::new();
    store
        .add_anchors_from(&std::fs::read(h.join("pki/root.pem")).unwrap())
        .unwrap();
    store.add_intermediate(ca.clone());
    let ec = harness_cert(&h, "ec-signer");
    let revoked = harness_cert(&h, "revoked-signer");
    let mut responses = Vec::new();
    for cert in [&ec, &revoked] {
        let response = OcspResponse::from_der(&ask(&ocsp_request_der(cert, &ca))).unwrap();
        assert!(matches!(
            response.verify_signature(&ca).unwrap(),
            OcspSigner::Delegated { nocheck: true, .. }
        ));
        responses.push(response);
    }
    assert_eq!(
        responses[0].status_of(&ec, &ca).unwrap().status,
        OcspCertStatus::Good
    );
    for r in responses {
        store.add_ocsp_response(r);
    }
    let now = SystemTime::now();
    let result = store.validate(&ec, &[], now, Usage::Any);
    assert!(result.is_valid(), "{:?}", result.reasons);
    assert!(
        result.revocation.contains("good (OCSP response of"),
        "{}",
        result.revocation
    );
    let result = store.validate(&revoked, &[], now, Usage::Any);
    assert!(
        matches!(
            &result.reasons[..],
            [Reason::CertificateRevoked { subject, reason: Some(reason), ca: false, .. }]
                if subject.contains("REVOKED") && reason == "keyCompromise"
        ),
        "{:?}",
        result.reasons
    );
    assert_eq!(
        result
            .to_report(eseal::report::ReportKind::Certificate)
            .indication,
        Indication::TotalFailed
    );

    // Plain HTTP only.
    assert!(
        pki::fetch_ocsp_response("https://127.0.0.1:8090/", b"", Duration::from_secs(1)).is_err()
    );
}

// ---------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------

/// DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let lab = Lab::new();
    let response = lab.response(&lab.revoked, "ocsp", &["-ndays", "1"]);
    let der = response.der().to_vec();

    for len in 0..der.len() {
        assert!(
            OcspResponse::from_der(&der[..len]).is_err(),
            "truncated at {len}"
        );
    }
    let mut longer = der.clone();
    longer.push(0);
    assert!(OcspResponse::from_der(&longer).is_err());
    for garbage in [
        &b""[..],
        &b"\x00"[..],
        &b"\x30\x00"[..],
        &b"\x30\x80\x00\x00"[..],
        &[0xffu8; 64][..],
    ] {
        assert!(OcspResponse::from_der(garbage).is_err());
    }
    // Every byte flipped: an error or a parsed response, never a panic.
    for i in 0..der.len() {
        let mut flipped = der.clone();
        flipped[i] ^= 0x5a;
        if let Ok(r) = OcspResponse::from_der(&flipped) {
            let _ = r.status_of(&lab.revoked, &lab.h.ca);
            let _ = r.verify_signature(&lab.h.ca);
        }
    }

    // Non-successful statuses are named; an unassigned one is malformed.
    for (code, name) in [
        (1u8, "malformedRequest"),
        (2, "internalError"),
        (3, "tryLater"),
        (5, "sigRequired"),
        (6, "unauthorized"),
    ] {
        let err = OcspResponse::from_der(&tlv(0x30, &[0x0a, 0x01, code]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{err}");
    }
    assert!(matches!(
        OcspResponse::from_der(&tlv(0x30, &[0x0a, 0x01, 4])),
        Err(eseal::Error::Malformed { .. })
    ));
    // successful, but without responseBytes.
    assert!(OcspResponse::from_der(&tlv(0x30, &[0x0a, 0x01, 0])).is_err());

    // Another response type than id-pkix-ocsp-basic.
    let basic_oid = [
        0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01,
    ];
    let at = der.windows(11).position(|w| w == basic_oid).unwrap();
    let mut other = der.clone();
    other[at + 10] = 0x02;
    let err = OcspResponse::from_der(&other).unwrap_err().to_string();
    assert!(err.contains("id-pkix-ocsp-basic"), "{err}");

    // An OCSPResponse nested where the BasicOCSPResponse belongs.
    let nested = tlv(
        0x30,
        &[
            &[0x0a, 0x01, 0x00][..],
            &tlv(
                0xa0,
                &tlv(0x30, &[&basic_oid[..], &tlv(0x04, &der)].concat()),
            ),
        ]
        .concat(),
    );
    assert!(matches!(
        OcspResponse::from_der(&nested),
        Err(eseal::Error::Malformed { .. })
    ));
    // Deeply nested SEQUENCEs.
    let mut deep = vec![0x05, 0x00];
    for _ in 0..5000 {
        deep = tlv(0x30, &deep);
    }
    assert!(OcspResponse::from_der(&deep).is_err());
    let deep_inner = tlv(
        0x30,
        &[
            &[0x0a, 0x01, 0x00][..],
            &tlv(
                0xa0,
                &tlv(0x30, &[&basic_oid[..], &tlv(0x04, &deep)].concat()),
            ),
        ]
        .concat(),
    );
    assert!(OcspResponse::from_der(&deep_inner).is_err());

    // Too large.
    assert!(matches!(
        OcspResponse::from_der(&vec![0u8; pki::MAX_PKI_FILE + 1]),
        Err(eseal::Error::TooLarge { .. })
    ));
}
