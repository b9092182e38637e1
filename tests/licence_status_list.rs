//! Licence status lists (LICENCE.md §5): bit layout, compression, Status List Tokens and
//! the lookup rules (every failure is Unknown with its reason).

mod common;

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::status_list::{
    LicenceStatus, STATUS_LIST_STEP, Status, StatusList, StatusListError, VerifiedStatusList,
    certificate_kid, sign_status_list, status_of, verify_status_list,
};
use eseal::pki::{Certificate, Profile, unix_seconds};

const URI: &str = "https://zz.example.gov.cn/sl/3101/1";

/// A deterministic generator (splitmix64) for the random positions.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn random_indices(count: usize, below: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let i = (rng.next() % below as u64) as usize;
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

#[test]
fn new_rounds_up_to_steps() {
    assert_eq!(StatusList::new(0).len(), STATUS_LIST_STEP);
    assert_eq!(StatusList::new(1).len(), 131_072);
    assert_eq!(StatusList::new(131_072).len(), 131_072);
    assert_eq!(StatusList::new(131_073).len(), 262_144);
    let list = StatusList::new(1_000_000);
    assert_eq!(list.len(), 1_048_576);
    assert_eq!(list.bits(), 2);
    assert_eq!(list.as_bytes().len(), 262_144);
    let mut list = StatusList::new(10);
    list.set(5, Status::Suspended).unwrap();
    list.grow(200_000);
    assert_eq!(list.len(), 262_144);
    assert_eq!(list.get(5), Some(Status::Suspended));
    assert_eq!(list.get(262_143), Some(Status::Valid));
    assert_eq!(list.get(262_144), None);
}

#[test]
fn bit_layout_lsb_first() {
    let mut list = StatusList::new(1);
    list.set(0, Status::Invalid).unwrap();
    list.set(1, Status::Suspended).unwrap();
    list.set(3, Status::Transferred).unwrap();
    assert_eq!(list.as_bytes()[0], 0b11_00_10_01);
    list.set(5, Status::Invalid).unwrap();
    assert_eq!(list.as_bytes()[1], 0b00_00_01_00);
    // Overwrite clears the old bits.
    list.set(3, Status::Invalid).unwrap();
    assert_eq!(list.as_bytes()[0], 0b01_00_10_01);
    list.set(3, Status::Valid).unwrap();
    assert_eq!(list.as_bytes()[0], 0b00_00_10_01);
    let len = list.len();
    assert_eq!(
        list.set(len, Status::Invalid),
        Err(StatusListError::IndexOutOfRange {
            index: len as u64,
            len: len as u64
        })
    );
    // The formula of LICENCE.md §5, entry by entry.
    let indices = random_indices(1000, len, 7);
    for (n, &i) in indices.iter().enumerate() {
        list.set(i, Status::from_bits(n as u8)).unwrap();
    }
    for (n, &i) in indices.iter().enumerate() {
        let lst = list.as_bytes();
        let entry = (lst[i * 2 / 8] >> (i * 2 % 8)) & 3;
        assert_eq!(entry, (n % 4) as u8);
        assert_eq!(list.get(i), Some(Status::from_bits(n as u8)));
    }
}

/// The draft's 2-bit example (draft-ietf-oauth-status-list, "Status List" section):
/// statuses 1,2,0,3, 0,1,0,1, 1,2,3,3 → `lst` c9 44 f9, compressed `eNo76fITAAPfAgc`.
#[test]
fn draft_example_two_bits() {
    let compressed = [
        0x78, 0xda, 0x3b, 0xe9, 0xf2, 0x13, 0x00, 0x03, 0xdf, 0x02, 0x07,
    ];
    let list = StatusList::from_compressed(2, &compressed).unwrap();
    assert_eq!(list.as_bytes(), [0xc9, 0x44, 0xf9]);
    assert_eq!(list.len(), 12);
    let expected = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
    for (i, &v) in expected.iter().enumerate() {
        assert_eq!(list.get(i), Some(Status::from_bits(v)), "entry {i}");
    }
    assert_eq!(list.get(12), None);
    // 1-bit lists (the draft's other example, `eNrbuRgAAhcBXQ`) are not read.
    let one_bit = [0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d];
    assert!(matches!(
        StatusList::from_compressed(1, &one_bit),
        Err(StatusListError::Malformed(_))
    ));
}

#[test]
fn compression_sizes() {
    let empty = StatusList::new(STATUS_LIST_STEP);
    let small = empty.compressed();
    println!("131,072 x 2 bits, none set: {} bytes", small.len());
    assert!(small.len() <= 128, "{} bytes", small.len());
    assert_eq!(StatusList::from_compressed(2, &small).unwrap(), empty);

    let mut list = StatusList::new(1_000_000);
    for i in random_indices(10_000, 1_000_000, 42) {
        list.set(i, Status::Invalid).unwrap();
    }
    let compressed = list.compressed();
    println!(
        "1,000,000 (1,048,576) x 2 bits, 1 % revoked: {} bytes raw, {} bytes zlib",
        list.as_bytes().len(),
        compressed.len()
    );
    assert!(compressed.len() <= 32 * 1024, "{} bytes", compressed.len());
    assert_eq!(StatusList::from_compressed(2, &compressed).unwrap(), list);
}

#[test]
fn inflate_limit_and_garbage() {
    // 8 MiB of zeros compresses to a few KB but inflates beyond the limit.
    let bomb = StatusList::new(32 << 20).compressed();
    println!("8 MiB of zeros: {} bytes zlib", bomb.len());
    assert_eq!(
        StatusList::from_compressed(2, &bomb),
        Err(StatusListError::TooLarge)
    );
    assert!(matches!(
        StatusList::from_compressed(2, b"not zlib at all"),
        Err(StatusListError::Malformed(_))
    ));
    assert!(matches!(
        StatusList::from_compressed(2, &[]),
        Err(StatusListError::Malformed(_))
    ));
}

struct Fixture {
    key: SoftwareKey,
    cert: Certificate,
    list: StatusList,
}

fn fixture(algorithm: Algorithm) -> Fixture {
    let hierarchy = common::Hierarchy::new(algorithm);
    let (key, cert) = hierarchy.leaf(Profile::StatusList, "状态列表签名", -10, 365);
    let mut list = StatusList::new(1);
    list.set(7, Status::Invalid).unwrap();
    list.set(8, Status::Suspended).unwrap();
    list.set(9, Status::Transferred).unwrap();
    Fixture { key, cert, list }
}

impl Fixture {
    fn token_at(&self, uri: &str, iat: SystemTime, exp: SystemTime) -> Vec<u8> {
        sign_status_list(
            &self.list,
            uri,
            iat,
            Duration::from_secs(3600),
            exp,
            &self.key,
            &self.cert,
        )
        .unwrap()
    }

    fn token(&self) -> Vec<u8> {
        let now = SystemTime::now();
        self.token_at(URI, now, now + Duration::from_secs(48 * 3600))
    }

    fn verify(&self, token: &[u8]) -> Result<VerifiedStatusList, StatusListError> {
        verify_status_list(token, &self.cert, URI, SystemTime::now())
    }
}

fn unknown(status: LicenceStatus) -> StatusListError {
    match status {
        LicenceStatus::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

fn round_trip(algorithm: Algorithm, cose_alg: &[u8]) {
    let f = fixture(algorithm);
    let token = f.token();
    println!("{algorithm}: status list token of {} bytes", token.len());
    // Tag 18, array of 4, protected header {1: alg, 4: kid, 16: typ} in deterministic order.
    assert_eq!(&token[..2], &[0xd2, 0x84]);
    let kid = certificate_kid(&f.cert);
    let mut protected = vec![0xa3, 0x01];
    protected.extend_from_slice(cose_alg);
    protected.extend_from_slice(&[0x04, 0x48]);
    protected.extend_from_slice(&kid);
    protected.extend_from_slice(&[0x10, 0x78, 0x1a]);
    protected.extend_from_slice(b"application/statuslist+cwt");
    assert!(
        token.windows(protected.len()).any(|w| w == protected),
        "protected header not as expected"
    );
    // Signature: raw r || s, 64 bytes, at the end.
    assert_eq!(&token[token.len() - 66..token.len() - 64], &[0x58, 0x40]);
    // Deterministic: the same inputs (but a fresh signature) give the same bytes up to
    // the signature.
    let now = SystemTime::now();
    let exp = now + Duration::from_secs(48 * 3600);
    let (a, b) = (f.token_at(URI, now, exp), f.token_at(URI, now, exp));
    assert_eq!(a.len(), b.len());
    assert_eq!(a[..a.len() - 64], b[..b.len() - 64]);

    let verified = f.verify(&token).unwrap();
    assert_eq!(verified.uri(), URI);
    assert_eq!(verified.algorithm(), algorithm);
    assert_eq!(verified.ttl(), Some(3600));
    assert_eq!(
        verified.expires_at() - verified.issued_at(),
        48 * 3600,
        "exp = iat + 48 h"
    );
    assert_eq!(verified.list(), &f.list);
    let result = Ok(verified);
    let at = SystemTime::now();
    assert_eq!(status_of(&result, 0, at), LicenceStatus::Valid);
    assert_eq!(status_of(&result, 7, at), LicenceStatus::Revoked);
    assert_eq!(status_of(&result, 8, at), LicenceStatus::Suspended);
    assert_eq!(status_of(&result, 9, at), LicenceStatus::Transferred);
    assert_eq!(status_of(&result, 131_071, at), LicenceStatus::Valid);
    assert_eq!(
        unknown(status_of(&result, 131_072, at)),
        StatusListError::IndexOutOfRange {
            index: 131_072,
            len: 131_072
        }
    );
    assert_eq!(
        unknown(status_of(&result, u64::MAX, at)),
        StatusListError::IndexOutOfRange {
            index: u64::MAX,
            len: 131_072
        }
    );
    // A cached list used after its exp: exp is checked first, even for a revoked entry.
    let later = at + Duration::from_secs(49 * 3600);
    assert!(matches!(
        unknown(status_of(&result, 7, later)),
        StatusListError::Expired { .. }
    ));
}

#[test]
fn sign_verify_p256() {
    // ES256 = -7 (0x26).
    round_trip(Algorithm::EcdsaP256Sha256, &[0x26]);
}

#[test]
fn sign_verify_sm2() {
    // SM2-with-SM3 = -70001 (0x3a 0x00 0x01 0x11 0x70).
    round_trip(Algorithm::Sm2Sm3, &[0x3a, 0x00, 0x01, 0x11, 0x70]);
}

#[test]
fn sign_verify_ed25519() {
    // EdDSA = -8 (0x27).
    round_trip(Algorithm::Ed25519, &[0x27]);
}

#[test]
fn unknown_reasons() {
    let f = fixture(Algorithm::EcdsaP256Sha256);
    let now = SystemTime::now();
    let token = f.token();
    let reason = |result: Result<VerifiedStatusList, StatusListError>| {
        let reason = unknown(status_of(&result, 7, SystemTime::now()));
        assert_eq!(result.unwrap_err(), reason);
        reason
    };

    // Missing.
    assert_eq!(
        unknown(status_of(&Err(StatusListError::Missing), 0, now)),
        StatusListError::Missing
    );

    // Expired: a list from three days ago, exp two days ago.
    let day = Duration::from_secs(86_400);
    let old = f.token_at(URI, now - 3 * day, now - 2 * day + Duration::from_secs(1));
    match reason(f.verify(&old)) {
        StatusListError::Expired { exp, at } => {
            assert_eq!(exp, unix_seconds(now - 2 * day) + 1);
            assert!(at > exp);
        }
        other => panic!("{other:?}"),
    }
    // Verified at a time before exp, the same list is fine.
    assert!(verify_status_list(&old, &f.cert, URI, now - 2 * day).is_ok());

    // Issued in the future.
    let future = f.token_at(URI, now + 2 * day, now + 3 * day);
    assert!(matches!(
        reason(f.verify(&future)),
        StatusListError::NotYetValid { .. }
    ));

    // Wrong URI (the signature is good).
    let other_uri = "https://zz.example.gov.cn/sl/3101/2";
    let wrong = f.token_at(other_uri, now, now + day);
    assert_eq!(
        reason(f.verify(&wrong)),
        StatusListError::WrongUri {
            expected: URI.into(),
            found: other_uri.into()
        }
    );

    // Wrong typ: a JWT status list typ (checked before the signature).
    let mut wrong_typ = token.clone();
    let at = find(&wrong_typ, b"application/statuslist+cwt");
    wrong_typ[at + 23..at + 26].copy_from_slice(b"jwt");
    assert_eq!(
        reason(f.verify(&wrong_typ)),
        StatusListError::WrongType("\"application/statuslist+jwt\"".into())
    );

    // A flipped signature byte, and a flipped byte in the signed list.
    let mut flipped = token.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(reason(f.verify(&flipped)), StatusListError::BadSignature);
    let mut flipped = token.clone();
    flipped[find(&token, URI.as_bytes()) + 8] ^= 1;
    assert_eq!(reason(f.verify(&flipped)), StatusListError::BadSignature);

    // Another signer's certificate: kid mismatch; another key type: algorithm mismatch.
    let other = fixture(Algorithm::EcdsaP256Sha256);
    assert!(matches!(
        reason(verify_status_list(&token, &other.cert, URI, now)),
        StatusListError::KidMismatch(_)
    ));
    let sm2 = fixture(Algorithm::Sm2Sm3);
    assert!(matches!(
        reason(verify_status_list(&token, &sm2.cert, URI, now)),
        StatusListError::UnsupportedAlgorithm(_)
    ));

    // Truncated at every length, garbage, trailing bytes, an empty token.
    for len in 0..token.len() {
        assert!(
            matches!(
                reason(f.verify(&token[..len])),
                StatusListError::Malformed(_)
            ),
            "truncated to {len}"
        );
    }
    assert!(matches!(
        reason(f.verify(b"eyJhbGciOiJFUzI1NiJ9.garbage.jwt")),
        StatusListError::Malformed(_)
    ));
    let mut rng = SplitMix(3);
    for _ in 0..200 {
        let garbage: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
        let reason = reason(f.verify(&garbage));
        assert!(
            matches!(reason, StatusListError::Malformed(_)),
            "{reason:?}"
        );
    }
    let mut trailing = token.clone();
    trailing.push(0);
    assert!(matches!(
        reason(f.verify(&trailing)),
        StatusListError::Malformed(_)
    ));
    // Another tag than 18 (61 = CWT around the COSE is not used for lists).
    let mut cwt = vec![0xd8, 0x3d];
    cwt.extend_from_slice(&token);
    assert!(matches!(
        reason(f.verify(&cwt)),
        StatusListError::Malformed(_)
    ));
    // Untagged is accepted.
    assert!(f.verify(&token[1..]).is_ok());
}

#[test]
fn strict_cbor_input() {
    let f = fixture(Algorithm::EcdsaP256Sha256);
    let malformed = |bytes: &[u8]| {
        let result = f.verify(bytes);
        assert!(
            matches!(result, Err(StatusListError::Malformed(_))),
            "{bytes:02x?}: {result:?}"
        );
    };
    // Duplicate map keys (in the unprotected header).
    malformed(&[0xd2, 0x84, 0x40, 0xa2, 0x01, 0x00, 0x01, 0x00, 0x40, 0x40]);
    // Nesting of 17 arrays.
    let mut deep = vec![0x81; 17];
    deep.push(0x00);
    malformed(&deep);
    // Indefinite length.
    malformed(&[0x9f, 0x40, 0xa0, 0x40, 0x40, 0xff]);
    // Floats.
    malformed(&[0xd2, 0x84, 0x40, 0xa0, 0xf9, 0x00, 0x00, 0x40]);
    // A huge claimed length.
    malformed(&[
        0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    malformed(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

#[test]
fn signer_must_match_certificate() {
    let f = fixture(Algorithm::EcdsaP256Sha256);
    let other = fixture(Algorithm::EcdsaP256Sha256);
    let now = SystemTime::now();
    assert!(
        sign_status_list(
            &f.list,
            URI,
            now,
            Duration::from_secs(3600),
            now + Duration::from_secs(3600),
            &other.key,
            &f.cert,
        )
        .is_err()
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}
