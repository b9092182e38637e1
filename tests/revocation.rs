//! Revocation data held to RFC 5280 clauses 5 and 6.3.3: a CRL that may not decide a
//! certificate leaves its status unknown, never good; per issuer and scope the newest CRL
//! decides and adding one again changes nothing. CRLs with odd extensions are built with
//! `x509-cert` and signed with eseal's software keys; issuer certificates with odd key
//! usages come from the `openssl` CLI.

mod common;

use std::time::{Duration, SystemTime};

use common::{Hierarchy, days_from_now, openssl_ok, passed, revocation_unknown as unknown};
use der::asn1::{Ia5String, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use eseal::crypto::{Algorithm, Signer, SoftwareKey};
use eseal::pki::{self, Certificate, Profile, TrustStore, Usage};
use eseal::report::{Indication, Reason, SubIndication};
use spki::AlgorithmIdentifierOwned;
use x509_cert::certificate::{Rfc5280, Version};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::{IssuingDistributionPoint, Reasons};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

type Verdict = common::ChainVerdict;

fn verdict(store: &TrustStore, leaf: &Certificate) -> Verdict {
    common::chain_verdict(store, leaf, &[], SystemTime::now(), Usage::Any)
}

fn revoked() -> Verdict {
    (
        Indication::TotalFailed,
        Some(SubIndication::Revoked),
        vec!["CERTIFICATE_REVOKED"],
    )
}

/// The leaf's status is unknown because the newest CRL cannot be used, for the reason
/// `why`, and a warning names it.
fn assert_unusable(store: &TrustStore, leaf: &Certificate, why: &str) {
    assert_eq!(verdict(store, leaf), unknown(), "{why}");
    let result = store.validate(leaf, &[], SystemTime::now(), Usage::Any);
    assert_eq!(
        result.reasons,
        vec![Reason::RevocationUnknown {
            subject: leaf.subject().to_string(),
            detail: format!("the newest CRL from its issuer cannot be used: {why}"),
        }]
    );
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.starts_with("did not use the CRL of") && w.ends_with(why)),
        "{:?}",
        result.warnings
    );
}

/// A self-signed CA made by `openssl req` with the key usage `key_usage` (none: no key
/// usage extension) and one end-entity certificate under it with a CRL distribution point.
struct Pki {
    _dir: tempfile::TempDir,
    root: Certificate,
    root_key: SoftwareKey,
    leaf: Certificate,
}

const LEAF_DP: &str = "http://crl.example/leaf.crl";

impl Pki {
    fn new(key_usage: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        for key in ["root.key", "leaf.key"] {
            openssl_ok(
                path,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    key,
                ],
            );
        }
        let mut root_ext = String::from(
            "[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n\
             [dn]\nCN = CRL Test Root\n\
             [ext]\nbasicConstraints = critical,CA:TRUE\nsubjectKeyIdentifier = hash\n",
        );
        if let Some(ku) = key_usage {
            root_ext += &format!("keyUsage = critical,{ku}\n");
        }
        std::fs::write(path.join("root.cnf"), root_ext).unwrap();
        openssl_ok(
            path,
            &[
                "req", "-x509", "-new", "-key", "root.key", "-config", "root.cnf", "-days", "30",
                "-out", "root.pem",
            ],
        );
        openssl_ok(
            path,
            &[
                "req",
                "-new",
                "-key",
                "leaf.key",
                "-subj",
                "/CN=CRL Test Leaf",
                "-out",
                "leaf.csr",
            ],
        );
        std::fs::write(
            path.join("leaf.cnf"),
            format!(
                "[ext]\nbasicConstraints = critical,CA:FALSE\n\
                 keyUsage = critical,digitalSignature\n\
                 authorityKeyIdentifier = keyid\ncrlDistributionPoints = URI:{LEAF_DP}\n"
            ),
        )
        .unwrap();
        openssl_ok(
            path,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-set_serial",
                "0x1a2b3c4d5e6f",
                "-days",
                "20",
                "-extfile",
                "leaf.cnf",
                "-extensions",
                "ext",
                "-out",
                "leaf.pem",
            ],
        );
        let read = |name: &str| {
            pki::read_certificates(&std::fs::read(path.join(name)).unwrap())
                .unwrap()
                .remove(0)
        };
        let root_key = SoftwareKey::from_pem(
            &std::fs::read_to_string(path.join("root.key")).unwrap(),
            None,
        )
        .unwrap();
        Pki {
            root: read("root.pem"),
            leaf: read("leaf.pem"),
            root_key,
            _dir: dir,
        }
    }

    fn store(&self, crls: &[pki::Crl]) -> TrustStore {
        let mut store = TrustStore::new();
        store.add_anchor(self.root.clone()).unwrap();
        for crl in crls {
            store.add_crl(crl.clone());
        }
        store
    }

    fn crl(&self, spec: &CrlSpec) -> pki::Crl {
        sign_crl(&self.root, &self.root_key, spec)
    }
}

/// What to put in a test CRL.
struct CrlSpec {
    number: Option<u64>,
    number_critical: bool,
    this_update: SystemTime,
    extensions: Vec<Extension>,
    /// Serial, reason (`None`: no reasonCode), further entry extensions.
    revoked: Vec<(
        Vec<u8>,
        Option<x509_cert::ext::pkix::CrlReason>,
        Vec<Extension>,
    )>,
}

impl Default for CrlSpec {
    fn default() -> Self {
        CrlSpec {
            number: Some(1),
            number_critical: false,
            this_update: SystemTime::now() - Duration::from_secs(60),
            extensions: Vec::new(),
            revoked: Vec::new(),
        }
    }
}

fn extension(oid: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new(oid).unwrap(),
        critical,
        extn_value: OctetString::new(value).unwrap(),
    }
}

/// An `issuingDistributionPoint` extension (OID 2.5.29.28, critical).
fn idp(point: IssuingDistributionPoint) -> Extension {
    extension("2.5.29.28", true, point.to_der().unwrap())
}

fn uri(text: &str) -> DistributionPointName {
    DistributionPointName::FullName(vec![GeneralName::UniformResourceIdentifier(
        Ia5String::new(text).unwrap(),
    )])
}

fn empty_idp() -> IssuingDistributionPoint {
    IssuingDistributionPoint {
        distribution_point: None,
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    }
}

/// A v2 CRL of `issuer` as `spec` says, valid for a week, signed with `key`.
fn sign_crl(issuer: &Certificate, key: &SoftwareKey, spec: &CrlSpec) -> pki::Crl {
    let name = Name::from_der(issuer.subject_der()).unwrap();
    let algorithm =
        AlgorithmIdentifierOwned::from_der(&key.algorithm().signature_algorithm_der()).unwrap();
    let mut extensions = Vec::new();
    if let Some(n) = spec.number {
        extensions.push(extension(
            "2.5.29.20",
            spec.number_critical,
            der::asn1::Uint::new(&n.to_be_bytes())
                .unwrap()
                .to_der()
                .unwrap(),
        ));
    }
    extensions.extend(spec.extensions.iter().cloned());
    let revoked: Vec<RevokedCert> = spec
        .revoked
        .iter()
        .map(|(serial, reason, more)| {
            let mut exts: Vec<Extension> = reason
                .iter()
                .map(|r| extension("2.5.29.21", false, r.to_der().unwrap()))
                .collect();
            exts.extend(more.iter().cloned());
            RevokedCert {
                serial_number: SerialNumber::<Rfc5280>::new(serial).unwrap(),
                revocation_date: Time::try_from(days_from_now(-1)).unwrap(),
                crl_entry_extensions: (!exts.is_empty()).then_some(exts),
            }
        })
        .collect();
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer: name,
        this_update: Time::try_from(spec.this_update).unwrap(),
        next_update: Some(Time::try_from(days_from_now(7)).unwrap()),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: (!extensions.is_empty()).then_some(extensions),
    };
    let signature = key.sign(&tbs.to_der().unwrap()).unwrap();
    let crl = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature: der::asn1::BitString::from_bytes(&signature).unwrap(),
    };
    pki::Crl::from_der(&crl.to_der().unwrap()).unwrap()
}

fn revoking(pki: &Pki, reason: x509_cert::ext::pkix::CrlReason) -> CrlSpec {
    CrlSpec {
        revoked: vec![(pki.leaf.serial().to_vec(), Some(reason), Vec::new())],
        ..Default::default()
    }
}

#[test]
fn crl_signed_by_an_issuer_whose_key_usage_lacks_crl_sign_is_unusable() {
    let pki = Pki::new(Some("keyCertSign"));
    let why = "its issuer CN=CRL Test Root has a key usage without cRLSign (RFC 5280 clause \
               4.2.1.3)";
    let crl = pki.crl(&CrlSpec::default());
    assert_eq!(crl.defect(), None);
    assert_eq!(crl.unusable_for(&pki.leaf, &pki.root).as_deref(), Some(why));
    assert_unusable(&pki.store(&[crl]), &pki.leaf, why);
    // What it lists does not count either: the status is unknown, not revoked.
    let listing = pki.crl(&revoking(
        &pki,
        x509_cert::ext::pkix::CrlReason::KeyCompromise,
    ));
    assert_unusable(&pki.store(&[listing]), &pki.leaf, why);
}

#[test]
fn crl_of_an_issuer_without_key_usage_extension_is_used() {
    let pki = Pki::new(None);
    assert_eq!(pki.root.key_usage(), None);
    let crl = pki.crl(&CrlSpec::default());
    assert_eq!(crl.unusable_for(&pki.leaf, &pki.root), None);
    assert_eq!(verdict(&pki.store(&[crl]), &pki.leaf), passed());
    let listing = pki.crl(&revoking(
        &pki,
        x509_cert::ext::pkix::CrlReason::KeyCompromise,
    ));
    assert_eq!(verdict(&pki.store(&[listing]), &pki.leaf), revoked());
    // And with cRLSign beside keyCertSign.
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    assert_eq!(
        verdict(&pki.store(&[pki.crl(&CrlSpec::default())]), &pki.leaf),
        passed()
    );
}

#[test]
fn crl_without_crl_number_is_unusable() {
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    let crl = pki.crl(&CrlSpec {
        number: None,
        ..Default::default()
    });
    let why = "it has no cRLNumber (RFC 5280 clause 5.2.3)";
    assert_eq!(crl.defect(), Some(why));
    assert_unusable(&pki.store(&[crl]), &pki.leaf, why);
}

#[test]
fn crl_with_a_critical_crl_number_is_unusable() {
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    let crl = pki.crl(&CrlSpec {
        number_critical: true,
        ..Default::default()
    });
    let why = "its cRLNumber is marked critical (RFC 5280 clause 5.2.3)";
    assert_eq!(crl.defect(), Some(why));
    assert_unusable(&pki.store(&[crl]), &pki.leaf, why);
}

#[test]
fn crl_with_an_unknown_critical_extension_is_unusable() {
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    let crl = pki.crl(&CrlSpec {
        extensions: vec![extension("1.2.3.4.5", true, vec![0x05, 0x00])],
        ..Default::default()
    });
    let why = "it has an unknown critical extension 1.2.3.4.5";
    assert_unusable(&pki.store(&[crl]), &pki.leaf, why);
    // Not critical: ignored, the CRL decides.
    let crl = pki.crl(&CrlSpec {
        extensions: vec![extension("1.2.3.4.5", false, vec![0x05, 0x00])],
        ..Default::default()
    });
    assert_eq!(verdict(&pki.store(&[crl]), &pki.leaf), passed());
}

#[test]
fn crl_with_an_unknown_critical_entry_extension_is_unusable() {
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    // The entry is for another certificate: the CRL as a whole cannot be read as meant.
    let crl = pki.crl(&CrlSpec {
        revoked: vec![(
            vec![0x42],
            None,
            vec![extension("1.2.3.4.6", true, vec![0x05, 0x00])],
        )],
        ..Default::default()
    });
    let why = "the entry for serial 42 has an unknown critical extension 1.2.3.4.6";
    assert_unusable(&pki.store(&[crl]), &pki.leaf, why);
    // certificateIssuer belongs to indirect CRLs, which are not evaluated.
    let crl = pki.crl(&CrlSpec {
        revoked: vec![(
            vec![0x42],
            None,
            vec![extension("2.5.29.29", true, vec![0x30, 0x00])],
        )],
        ..Default::default()
    });
    let why = "the entry for serial 42 names a certificate issuer (indirect CRLs are not \
               evaluated)";
    assert_unusable(&pki.store(&[crl]), &pki.leaf, why);
}

#[test]
fn issuing_distribution_point_scopes() {
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    let with = |point: IssuingDistributionPoint| {
        pki.crl(&CrlSpec {
            extensions: vec![idp(point)],
            ..Default::default()
        })
    };
    // Scopes eseal does not evaluate make the CRL unusable.
    let cases = [
        (
            IssuingDistributionPoint {
                only_some_reasons: Some(Reasons::KeyCompromise.into()),
                ..empty_idp()
            },
            "its issuingDistributionPoint limits it to some reasons (onlySomeReasons), which \
             eseal does not evaluate",
        ),
        (
            IssuingDistributionPoint {
                indirect_crl: true,
                ..empty_idp()
            },
            "its issuingDistributionPoint makes it an indirect CRL (indirectCRL), which eseal \
             does not evaluate",
        ),
        (
            IssuingDistributionPoint {
                only_contains_attribute_certs: true,
                ..empty_idp()
            },
            "its issuingDistributionPoint limits it to attribute certificates \
             (onlyContainsAttributeCerts)",
        ),
        // Evaluated, and leaving the end-entity certificate out.
        (
            IssuingDistributionPoint {
                only_contains_ca_certs: true,
                ..empty_idp()
            },
            "it covers only CA certificates (onlyContainsCACerts)",
        ),
        (
            IssuingDistributionPoint {
                distribution_point: Some(uri("http://crl.example/other.crl")),
                ..empty_idp()
            },
            "its issuingDistributionPoint names no distribution point of the certificate",
        ),
    ];
    for (point, why) in cases {
        assert_unusable(&pki.store(&[with(point)]), &pki.leaf, why);
    }
    // Scopes that include the leaf: the CRL decides.
    for point in [
        IssuingDistributionPoint {
            only_contains_user_certs: true,
            ..empty_idp()
        },
        IssuingDistributionPoint {
            distribution_point: Some(uri(LEAF_DP)),
            only_contains_user_certs: true,
            ..empty_idp()
        },
    ] {
        assert_eq!(verdict(&pki.store(&[with(point)]), &pki.leaf), passed());
    }
    // A full CRL beside a partial one that leaves the leaf out decides alone.
    let partial = with(IssuingDistributionPoint {
        only_contains_ca_certs: true,
        ..empty_idp()
    });
    let full = pki.crl(&revoking(
        &pki,
        x509_cert::ext::pkix::CrlReason::KeyCompromise,
    ));
    let store = pki.store(&[partial, full]);
    assert_eq!(store.crls().count(), 2);
    assert_eq!(verdict(&store, &pki.leaf), revoked());
}

#[test]
fn a_delta_crl_is_not_a_complete_crl() {
    let pki = Pki::new(Some("keyCertSign,cRLSign"));
    let delta = pki.crl(&CrlSpec {
        number: Some(2),
        extensions: vec![extension(
            "2.5.29.27",
            true,
            der::asn1::Uint::new(&[1]).unwrap().to_der().unwrap(),
        )],
        ..Default::default()
    });
    assert!(delta.is_delta());
    let why = "it is a delta CRL (deltaCRLIndicator), not a complete CRL";
    assert_unusable(&pki.store(std::slice::from_ref(&delta)), &pki.leaf, why);
    // Beside the complete CRL (an older number) it neither replaces nor spoils it.
    let full = pki.crl(&CrlSpec::default());
    let store = pki.store(&[full, delta]);
    assert_eq!(store.crls().count(), 2);
    assert_eq!(verdict(&store, &pki.leaf), passed());
}

#[test]
fn an_older_crl_never_overrides_a_newer_one() {
    let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (_, leaf) = h.leaf(Profile::Signer, "newest decides", -10, 30);
    let entry = |reason| pki::RevokedEntry {
        serial: leaf.serial().to_vec(),
        revoked_at: pki::unix_seconds(days_from_now(-2)),
        reason: Some(reason),
    };
    let crl = |number, days_ago: i64, entries: &[pki::RevokedEntry]| {
        pki::issue_crl(
            &h.ca,
            &h.ca_key,
            number,
            days_from_now(-days_ago),
            days_from_now(7),
            entries,
        )
        .unwrap()
    };
    let root_crl = pki::issue_crl(
        &h.root,
        &h.root_key,
        1,
        days_from_now(-1),
        days_from_now(7),
        &[],
    )
    .unwrap();
    let older = crl(1, 2, &[]);
    let newer = crl(2, 1, &[entry(pki::RevocationReason::KeyCompromise)]);
    assert!(newer.is_newer_than(&older) && !older.is_newer_than(&newer));
    for order in [[&older, &newer], [&newer, &older]] {
        let mut store = h.store();
        store.add_crl(root_crl.clone());
        for crl in order {
            store.add_crl(crl.clone());
        }
        assert_eq!(
            store.crls().count(),
            2,
            "the root's and the newest of the CA's"
        );
        assert!(store.crls().any(|c| c == &newer));
        assert_eq!(verdict(&store, &leaf), revoked());
    }

    // A hold on the older CRL, none on the newer: released, whichever came first.
    let held = crl(3, 2, &[entry(pki::RevocationReason::CertificateHold)]);
    let released = crl(4, 1, &[]);
    for order in [[&held, &released], [&released, &held]] {
        let mut store = h.store();
        store.add_crl(root_crl.clone());
        for crl in order {
            store.add_crl(crl.clone());
        }
        assert_eq!(verdict(&store, &leaf), passed());
    }
    let mut store = h.store();
    store.add_crl(root_crl.clone());
    store.add_crl(held.clone());
    assert_eq!(
        verdict(&store, &leaf),
        (
            Indication::Indeterminate,
            Some(SubIndication::TryLater),
            vec!["CERTIFICATE_ON_HOLD"]
        )
    );

    // Equal numbers: the later thisUpdate decides.
    let early = crl(5, 2, &[entry(pki::RevocationReason::CertificateHold)]);
    let late = crl(5, 1, &[]);
    assert!(late.is_newer_than(&early));
    let mut store = h.store();
    store.add_crl(root_crl);
    store.add_crl(late);
    store.add_crl(early);
    assert_eq!(verdict(&store, &leaf), passed());
}

#[test]
fn a_forged_newer_crl_does_not_displace_the_issuers_own() {
    let h = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (_, leaf) = h.leaf(Profile::Signer, "revoked", -10, 30);
    let [ca_crl, root_crl] = h.crls(Some((&leaf, days_from_now(-1))));
    // Another key under the same names, a higher CRL number, no entry.
    let other = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let forged = pki::issue_crl(
        &other.ca,
        &other.ca_key,
        1000,
        SystemTime::now(),
        days_from_now(30),
        &[],
    )
    .unwrap();
    assert_eq!(forged.issuer_der(), ca_crl.issuer_der());
    assert!(forged.is_newer_than(&ca_crl));
    let mut store = h.store();
    store.add_crl(root_crl);
    store.add_crl(ca_crl);
    store.add_crl(forged);
    let result = store.validate(&leaf, &[], SystemTime::now(), Usage::Signer);
    assert_eq!(
        result.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        vec!["CERTIFICATE_REVOKED"]
    );
    assert!(
        result.warnings.iter().any(|w| w.contains("ignored a CRL")),
        "{:?}",
        result.warnings
    );
}

#[test]
fn adding_the_same_crl_again_keeps_one() {
    let h = Hierarchy::new(Algorithm::Sm2Sm3);
    let (_, leaf) = h.leaf(Profile::Signer, "签章人", -1, 30);
    let [ca_crl, root_crl] = h.crls(None);
    let mut store = h.store();
    store.add_crl(root_crl);
    for _ in 0..1000 {
        store.add_crl(ca_crl.clone());
    }
    assert_eq!(store.crls().count(), 2);
    assert_eq!(store.crls().filter(|c| *c == &ca_crl).count(), 1);
    assert_eq!(verdict(&store, &leaf), passed());
    // Also before any certificate of the issuer is known.
    let mut bare = TrustStore::new();
    for _ in 0..1000 {
        bare.add_crl(ca_crl.clone());
    }
    assert_eq!(bare.crls().count(), 1);
}
