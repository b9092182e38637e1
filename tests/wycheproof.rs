//! Wycheproof vectors through eseal's one verification entry point: every `valid` case
//! verifies, every `invalid` case is rejected; `acceptable` cases may go either way.

use eseal::crypto::{Algorithm, PublicKey};
use wycheproof::TestResult;

struct Tally {
    valid: usize,
    invalid: usize,
}

fn check(
    name: &str,
    algorithm: Algorithm,
    groups: impl Iterator<Item = (Vec<u8>, Vec<(usize, Vec<u8>, Vec<u8>, TestResult)>)>,
) -> Tally {
    let mut tally = Tally {
        valid: 0,
        invalid: 0,
    };
    for (spki, tests) in groups {
        let key = PublicKey::from_spki_der(&spki).expect("Wycheproof key parses");
        for (id, msg, sig, result) in tests {
            let verdict = key.verify(algorithm, &msg, &sig);
            match result {
                TestResult::Valid => {
                    assert!(verdict.is_ok(), "{name} tc {id}: valid signature rejected");
                    tally.valid += 1;
                }
                TestResult::Invalid => {
                    assert!(
                        verdict.is_err(),
                        "{name} tc {id}: invalid signature accepted"
                    );
                    tally.invalid += 1;
                }
                TestResult::Acceptable => {}
            }
        }
    }
    assert!(
        tally.valid > 0 && tally.invalid > 0,
        "{name}: no vectors ran"
    );
    tally
}

macro_rules! groups {
    ($set:expr) => {
        $set.test_groups.into_iter().map(|g| {
            let tests = g
                .tests
                .into_iter()
                .map(|t| (t.tc_id, t.msg.to_vec(), t.sig.to_vec(), t.result))
                .collect::<Vec<_>>();
            (g.der.to_vec(), tests)
        })
    };
}

#[test]
fn ecdsa_p256_sha256() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256).unwrap();
    let t = check(
        "ecdsa_secp256r1_sha256",
        Algorithm::EcdsaP256Sha256,
        groups!(set),
    );
    assert!(t.valid + t.invalid > 400);
}

#[test]
fn ecdsa_p384_sha384() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let set = TestSet::load(TestName::EcdsaSecp384r1Sha384).unwrap();
    check(
        "ecdsa_secp384r1_sha384",
        Algorithm::EcdsaP384Sha384,
        groups!(set),
    );
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let t = check("ed25519", Algorithm::Ed25519, groups!(set));
    assert!(t.valid + t.invalid > 100);
}

#[test]
fn rsa_pkcs1_sha256() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    for name in [
        TestName::Rsa2048Sha256,
        TestName::Rsa3072Sha256,
        TestName::Rsa4096Sha256,
    ] {
        let set = TestSet::load(name).unwrap();
        check(
            &format!("{name:?}"),
            Algorithm::RsaPkcs1Sha256,
            groups!(set),
        );
    }
}

#[test]
fn rsa_pss_sha256() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    for name in [
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
    ] {
        let set = TestSet::load(name).unwrap();
        check(&format!("{name:?}"), Algorithm::RsaPssSha256, groups!(set));
    }
}
