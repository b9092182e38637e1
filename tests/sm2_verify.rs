//! eseal's SM2 verification ([`Sm2VerifyingKey`]) against the `sm2` crate and OpenSSL 3:
//! the GB/T 32918.5 example, crafted edge cases (r or s of 0, n or more; t = 0; the sum at
//! infinity; keys ±G and small multiples of G; x₁ ≥ n) and random keys, messages and
//! signatures, valid and mutated. Every case must get the verdict of both.
//!
//! `ESEAL_SM2_CASES` sets the number of random cases (default 2,000); the README gives the
//! result of a run with 1,000,000.

mod common;

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use eseal::Error;
use eseal::crypto::{Algorithm, SM2_DEFAULT_DISTID, Signer as _, Sm2VerifyingKey, SoftwareKey};
use sm2::dsa::signature::Verifier as _;
use sm2::dsa::signature::hazmat::PrehashVerifier as _;
use sm2::elliptic_curve::ff::PrimeField as _;
use sm2::elliptic_curve::ops::Reduce as _;
use sm2::elliptic_curve::point::AffineCoordinates as _;
use sm2::elliptic_curve::sec1::{FromSec1Point as _, ToSec1Point as _};
use sm2::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};
use sm3::Digest as _;

/// The group order `n` (GB/T 32918.5 clause 4).
const N: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");

const fn hex32(text: &str) -> [u8; 32] {
    let bytes = text.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        _ => c - b'a' + 10,
    }
}

/// A deterministic stream of bytes: SM3 in counter mode.
struct Stream {
    seed: [u8; 32],
    counter: u64,
}

impl Stream {
    fn new(label: &str) -> Stream {
        Stream {
            seed: sm3::Sm3::digest(label).into(),
            counter: 0,
        }
    }

    fn bytes32(&mut self) -> [u8; 32] {
        self.counter += 1;
        sm3::Sm3::new()
            .chain_update(self.seed)
            .chain_update(self.counter.to_be_bytes())
            .finalize()
            .into()
    }

    fn below(&mut self, bound: u64) -> u64 {
        u64::from_be_bytes(self.bytes32()[..8].try_into().unwrap()) % bound
    }

    fn scalar(&mut self) -> Scalar {
        Scalar::reduce(&FieldBytes::from(self.bytes32()))
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 32);
        while out.len() < len {
            out.extend_from_slice(&self.bytes32());
        }
        out.truncate(len);
        out
    }
}

/// One verification to judge: the identifier, the SEC1 key, the message, the signature.
#[derive(Clone, Debug)]
struct Case {
    distid: String,
    key: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl Case {
    /// eseal's verdict: 64 bytes are raw `r ‖ s` here, anything else DER.
    fn ours(&self) -> Result<(), Error> {
        let key = Sm2VerifyingKey::new(&self.distid, &self.key)?;
        match self.signature.len() {
            64 => key.verify_raw(&self.message, &self.signature),
            _ => key.verify(&self.message, &self.signature),
        }
    }

    fn sm2_crate(&self) -> bool {
        let Ok(key) = sm2::dsa::VerifyingKey::from_sec1_bytes(&self.distid, &self.key) else {
            return false;
        };
        let signature = if self.signature.len() == 64 {
            sm2::dsa::Signature::from_slice(&self.signature)
        } else {
            sm2::dsa::Signature::from_der(&self.signature)
        };
        signature.is_ok_and(|signature| key.verify(&self.message, &signature).is_ok())
    }

    /// The line `tests/c/sm2_openssl.c` reads; OpenSSL takes DER signatures only.
    fn openssl_line(&self) -> String {
        let signature = match self.signature.len() {
            64 => der_signature(&self.signature[..32], &self.signature[32..]),
            _ => self.signature.clone(),
        };
        openssl_line(&self.distid, &self.key, &self.message, &signature)
    }
}

/// A line of `tests/c/sm2_openssl.c verify`: identifier, key, message and signature in hex
/// (`-` for none).
fn openssl_line(distid: &str, key: &[u8], message: &[u8], signature: &[u8]) -> String {
    let hex_or_dash = |b: &[u8]| match b.is_empty() {
        true => "-".to_string(),
        false => hex::encode(b),
    };
    format!(
        "{} {} {} {}\n",
        hex_or_dash(distid.as_bytes()),
        hex_or_dash(key),
        hex_or_dash(message),
        hex_or_dash(signature)
    )
}

/// DER `SEQUENCE { r INTEGER, s INTEGER }` of two unsigned big-endian integers, any size.
fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(value: &[u8]) -> Vec<u8> {
        let trimmed = match value.iter().position(|&b| b != 0) {
            Some(i) => &value[i..],
            None => &[0u8][..],
        };
        let mut out = vec![2];
        let pad = trimmed[0] & 0x80 != 0;
        out.push((trimmed.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(trimmed);
        out
    }
    let body = [integer(r), integer(s)].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

fn uncompressed(point: &ProjectivePoint) -> Vec<u8> {
    point.to_affine().to_sec1_point(false).as_bytes().to_vec()
}

fn compressed(point: &ProjectivePoint) -> Vec<u8> {
    point.to_affine().to_sec1_point(true).as_bytes().to_vec()
}

fn scalar_bytes(scalar: &Scalar) -> [u8; 32] {
    scalar.to_repr().into()
}

fn raw(r: &Scalar, s: &Scalar) -> Vec<u8> {
    [scalar_bytes(r), scalar_bytes(s)].concat()
}

/// A valid signature by the private key `d`, made by the `sm2` crate.
fn signed(distid: &str, d: &Scalar, message: &[u8], compress: bool) -> Case {
    let key = sm2::dsa::SigningKey::from_bytes(distid, &d.to_repr()).expect("d in [1, n − 2]");
    let signature: sm2::dsa::Signature = sm2::dsa::signature::Signer::sign(&key, message);
    let point = ProjectivePoint::GENERATOR * d;
    Case {
        distid: distid.to_string(),
        key: if compress {
            compressed(&point)
        } else {
            uncompressed(&point)
        },
        message: message.to_vec(),
        signature: signature.to_bytes().to_vec(),
    }
}

/// Random cases: a third valid, the rest mutated or random (nearly all invalid).
fn random_cases(count: usize) -> Vec<Case> {
    let mut stream = Stream::new("eseal sm2 random cases");
    let distids = [SM2_DEFAULT_DISTID, "", "ALICE123@YAHOO.COM", "电子证照"];
    (0..count)
        .map(|i| {
            let distid = distids[stream.below(distids.len() as u64) as usize];
            let d = stream.scalar();
            let len = stream.below(300) as usize;
            let message = stream.bytes(len);
            let mut case = signed(distid, &d, &message, stream.below(8) == 0);
            match i % 6 {
                0 | 1 => {}
                2 => {
                    let bit = stream.below(64 * 8) as usize;
                    case.signature[bit / 8] ^= 1 << (bit % 8);
                }
                3 => match case.message.is_empty() {
                    true => case.message.push(0),
                    false => {
                        let at = stream.below(case.message.len() as u64) as usize;
                        case.message[at] ^= 1;
                    }
                },
                4 => case.signature = stream.bytes(64),
                _ => case.distid.push('x'),
            }
            case
        })
        .collect()
}

/// `(n − k)` as 32 big-endian bytes, for a small `k`.
fn n_minus(k: u8) -> [u8; 32] {
    let mut out = N;
    out[31] -= k;
    out
}

/// What GB/T 32918.2 clause 7.1 makes of a crafted case.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Valid,
    /// Refused as a signature ([`Error::BadSignature`]).
    Refused,
    /// The key is not a point on the curve ([`Error::Malformed`]).
    BadKey,
}

use Expect::{BadKey, Refused, Valid};

/// Crafted cases with the verdict GB/T 32918.2 clause 7.1 gives them.
fn edge_cases() -> Vec<(&'static str, Case, Expect)> {
    let mut stream = Stream::new("eseal sm2 edge cases");
    let message = b"message digest".to_vec();
    let d = stream.scalar();
    let valid = signed(SM2_DEFAULT_DISTID, &d, &message, false);
    let with_signature = |signature: Vec<u8>| Case {
        signature,
        ..valid.clone()
    };
    let (r, s) = (&valid.signature[..32], &valid.signature[32..]);
    let r_scalar = Scalar::from_repr(FieldBytes::try_from(r).unwrap()).unwrap();
    let s_scalar = Scalar::from_repr(FieldBytes::try_from(s).unwrap()).unwrap();
    let mut r_plus_n = [0u8; 33];
    {
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(r[i]) + u16::from(N[i]) + carry;
            r_plus_n[i + 1] = sum as u8;
            carry = sum >> 8;
        }
        r_plus_n[0] = carry as u8;
    }
    let g = ProjectivePoint::GENERATOR;
    let key_case = |point: ProjectivePoint, signature: Vec<u8>| Case {
        key: uncompressed(&point),
        signature,
        ..valid.clone()
    };
    // With the key dG, r = −s(1 + d)/d makes [s]G + [r + s]dG the point at infinity.
    let infinity_r = |d: &Scalar, s: &Scalar| -(*s * (Scalar::ONE + d) * d.invert().unwrap());
    let two = Scalar::from(2u64);
    let mut cases = vec![
        ("valid", valid.clone(), Valid),
        ("valid, DER", with_signature(der_signature(r, s)), Valid),
        (
            "r = 0",
            with_signature([[0; 32], s.try_into().unwrap()].concat()),
            Refused,
        ),
        (
            "s = 0",
            with_signature([r.try_into().unwrap(), [0; 32]].concat()),
            Refused,
        ),
        ("r = n", with_signature([&N[..], s].concat()), Refused),
        ("s = n", with_signature([r, &N[..]].concat()), Refused),
        (
            "r = n + 1",
            with_signature([&n_minus(0)[..31], &[N[31] + 1], s].concat()),
            Refused,
        ),
        (
            "r = 2²⁵⁶ − 1",
            with_signature([&[0xff; 32][..], s].concat()),
            Refused,
        ),
        (
            "r + n, DER",
            with_signature(der_signature(&r_plus_n, s)),
            Refused,
        ),
        (
            "s = n − 1",
            with_signature([r, &n_minus(1)[..]].concat()),
            Refused,
        ),
        (
            "t = r + s = 0",
            with_signature(raw(&-s_scalar, &s_scalar)),
            Refused,
        ),
        ("r and s swapped", with_signature([s, r].concat()), Refused),
        (
            "key G, sum at infinity",
            key_case(g, raw(&infinity_r(&Scalar::ONE, &s_scalar), &s_scalar)),
            Refused,
        ),
        (
            "key 2G, sum at infinity",
            key_case(g * two, raw(&infinity_r(&two, &s_scalar), &s_scalar)),
            Refused,
        ),
        (
            "key dG, sum at infinity",
            key_case(g * d, raw(&infinity_r(&d, &s_scalar), &s_scalar)),
            Refused,
        ),
        ("key −G", key_case(-g, valid.signature.clone()), Refused),
        (
            "key −G, r = s",
            key_case(-g, raw(&s_scalar, &s_scalar)),
            Refused,
        ),
        (
            "key G, r = s",
            key_case(g, raw(&r_scalar, &r_scalar)),
            Refused,
        ),
        (
            "key at infinity",
            Case {
                key: vec![0],
                ..valid.clone()
            },
            BadKey,
        ),
        (
            "key off the curve",
            Case {
                key: off_curve(&valid.key),
                ..valid.clone()
            },
            BadKey,
        ),
        (
            "key truncated",
            Case {
                key: valid.key[..64].to_vec(),
                ..valid.clone()
            },
            BadKey,
        ),
        (
            "signature truncated",
            with_signature(valid.signature[..63].to_vec()),
            Refused,
        ),
        ("signature empty", with_signature(Vec::new()), Refused),
    ];
    for (name, private) in [
        ("key G", Scalar::ONE),
        ("key 2G", two),
        ("key 3G", Scalar::from(3u64)),
        ("key (n − 2)G", -two),
    ] {
        for compress in [false, true] {
            cases.push((
                name,
                signed(SM2_DEFAULT_DISTID, &private, &message, compress),
                Valid,
            ));
        }
        let mut case = signed(SM2_DEFAULT_DISTID, &private, &message, false);
        case.message.push(b'!');
        cases.push((name, case, Refused));
    }
    cases
}

fn off_curve(key: &[u8]) -> Vec<u8> {
    let mut key = key.to_vec();
    key[64] ^= 1;
    key
}

#[test]
fn the_gbt_32918_5_example_verifies() {
    // GB/T 32918.5-2017 Annex A (GM/T 0003.5-2012 A.2): the recommended curve, ID
    // 1234567812345678, message "message digest".
    let key = hex::decode(
        "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020\
         CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13",
    )
    .unwrap();
    let signature = hex::decode(
        "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3\
         B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA",
    )
    .unwrap();
    let prepared = Sm2VerifyingKey::new("1234567812345678", &key).unwrap();
    assert_eq!(
        prepared.z_a(),
        &hex32("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
    );
    let e = hex32("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640");
    let der = der_signature(&signature[..32], &signature[32..]);
    prepared.verify_digest(&e, &der).unwrap();
    prepared.verify_raw(b"message digest", &signature).unwrap();
    prepared.verify(b"message digest", &der).unwrap();
    // Each form only where it is asked for.
    for refused in [
        prepared.verify(b"message digest", &signature),
        prepared.verify_raw(b"message digest", &der),
        prepared.verify_digest(&e, &signature),
    ] {
        assert!(matches!(refused, Err(Error::BadSignature)), "{refused:?}");
    }
    let mut compressed_key = vec![0x02 | (key[64] & 1)];
    compressed_key.extend_from_slice(&key[1..33]);
    Sm2VerifyingKey::new("1234567812345678", &compressed_key)
        .unwrap()
        .verify_raw(b"message digest", &signature)
        .unwrap();
    assert!(matches!(
        prepared.verify_raw(b"message digesT", &signature),
        Err(Error::BadSignature)
    ));
    assert!(matches!(
        Sm2VerifyingKey::new("1234567812345679", &key)
            .unwrap()
            .verify_raw(b"message digest", &signature),
        Err(Error::BadSignature)
    ));
    // Signing with the standard's k gives the standard's signature (A.2, step A4).
    let d = Scalar::from_repr(
        hex32("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8").into(),
    )
    .unwrap();
    let k = Scalar::from_repr(
        hex32("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21").into(),
    )
    .unwrap();
    let x1 = (ProjectivePoint::GENERATOR * k).to_affine().x();
    let r = Scalar::reduce(&FieldBytes::from(e)) + Scalar::reduce(&x1);
    let s = (Scalar::ONE + d).invert().unwrap() * (k - r * d);
    assert_eq!(raw(&r, &s), signature);
}

#[test]
fn edge_cases_get_the_verdict_of_the_standard_and_the_sm2_crate() {
    for (name, case, expect) in edge_cases() {
        let verdict = match case.ours() {
            Ok(()) => Valid,
            Err(Error::BadSignature) => Refused,
            Err(Error::Malformed { .. }) => BadKey,
            Err(other) => panic!("{name}: {other:?}"),
        };
        assert_eq!(verdict, expect, "{name}");
        assert_eq!(case.sm2_crate(), expect == Valid, "{name}: the sm2 crate");
    }
}

/// `x₁ ≥ n`: the sum's x lies in `[n, p)`, so `r = e + x₁ − n (mod n)`. Only a crafted key
/// gets there: for a point R with such an x, `P = t⁻¹(R − [s]G)`.
#[test]
fn a_sum_with_x_at_or_above_n_verifies() {
    let mut stream = Stream::new("eseal sm2 x above n");
    let mut found = 0;
    for j in 0u8..64 {
        let mut x = N;
        x[31] += j;
        let mut encoded = vec![0x02];
        encoded.extend_from_slice(&x);
        let Some(point) = AffinePoint::from_sec1_bytes(&encoded).ok() else {
            continue;
        };
        found += 1;
        let e = stream.bytes32();
        let s = stream.scalar();
        let r = Scalar::reduce(&FieldBytes::from(e)) + Scalar::from(u64::from(j));
        let t = r + s;
        let key =
            (ProjectivePoint::from(point) - ProjectivePoint::GENERATOR * s) * t.invert().unwrap();
        let key = uncompressed(&key);
        let signature = raw(&r, &s);
        let ours = Sm2VerifyingKey::new(SM2_DEFAULT_DISTID, &key).unwrap();
        let der = |raw: &[u8]| der_signature(&raw[..32], &raw[32..]);
        ours.verify_digest(&e, &der(&signature)).unwrap();
        let theirs = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_DISTID, &key).unwrap();
        let parsed = sm2::dsa::Signature::from_slice(&signature).unwrap();
        theirs.verify_prehash(&e, &parsed).unwrap();
        // r without the reduction by n is refused by both.
        let unreduced = raw(&(r + Scalar::ONE), &s);
        assert!(matches!(
            ours.verify_digest(&e, &der(&unreduced)),
            Err(Error::BadSignature)
        ));
        let parsed = sm2::dsa::Signature::from_slice(&unreduced).unwrap();
        assert!(theirs.verify_prehash(&e, &parsed).is_err());
    }
    assert!(found >= 10, "{found} points");
}

#[test]
fn random_cases_get_the_verdict_of_the_sm2_crate() {
    let count = case_count();
    let (mut valid, mut invalid) = (0, 0);
    for (i, case) in random_cases(count).iter().enumerate() {
        let ours = case.ours().is_ok();
        assert_eq!(ours, case.sm2_crate(), "case {i}: {case:?}");
        *if ours { &mut valid } else { &mut invalid } += 1;
    }
    assert!(
        valid >= count / 3 && invalid >= count / 2,
        "{valid} valid, {invalid} not"
    );
}

fn case_count() -> usize {
    std::env::var("ESEAL_SM2_CASES").map_or(2_000, |n| n.parse().expect("a count"))
}

/// Builds tests/c/sm2_openssl.c against libcrypto.
fn openssl_driver(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("sm2_openssl");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/sm2_openssl.c");
    let status = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"])
        .arg(&source)
        .args(["-lcrypto", "-o"])
        .arg(&out)
        .status()
        .expect("gcc");
    assert!(status.success(), "building {}", source.display());
    out
}

/// OpenSSL's verdicts on `cases`, in order.
fn openssl_verdicts(driver: &Path, cases: &[Case]) -> Vec<bool> {
    openssl_verdicts_on_lines(driver, cases.iter().map(Case::openssl_line).collect())
}

/// OpenSSL's verdicts on `lines` ([`openssl_line`]), in order.
fn openssl_verdicts_on_lines(driver: &Path, lines: Vec<String>) -> Vec<bool> {
    let mut child = Command::new(driver)
        .arg("verify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sm2_openssl");
    let mut stdin = child.stdin.take().unwrap();
    let count = lines.len();
    let lines = lines.concat();
    let writer = std::thread::spawn(move || stdin.write_all(lines.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let verdicts: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "1")
        .collect();
    assert_eq!(verdicts.len(), count);
    verdicts
}

#[test]
fn openssl_gives_every_case_the_same_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let driver = openssl_driver(dir.path());
    let edge = edge_cases();
    let edge_cases: Vec<Case> = edge.iter().map(|(_, case, _)| case.clone()).collect();
    for ((name, _, expect), openssl) in edge.iter().zip(openssl_verdicts(&driver, &edge_cases)) {
        assert_eq!(openssl, *expect == Valid, "{name}: OpenSSL");
    }
    let random = random_cases(case_count());
    for (i, (case, openssl)) in random
        .iter()
        .zip(openssl_verdicts(&driver, &random))
        .enumerate()
    {
        assert_eq!(case.ours().is_ok(), openssl, "case {i}: {case:?}");
    }
}

/// Only strict DER is a DER signature, for eseal and OpenSSL alike: BER variants of a valid
/// signature (a long-form length, an integer with a needless leading zero, a trailing
/// byte, an indefinite length) are refused by both, as is the raw `r ‖ s` given as DER.
#[test]
fn only_strict_der_is_a_der_signature() {
    let mut stream = Stream::new("eseal sm2 strict der");
    let case = signed(SM2_DEFAULT_DISTID, &stream.scalar(), b"strict", false);
    let der = der_signature(&case.signature[..32], &case.signature[32..]);
    let body = &der[2..];
    let (r, s) = body.split_at(2 + usize::from(body[1]));
    let padded = |tlv: &[u8]| [&[0x02, tlv[1] + 1, 0x00][..], &tlv[2..]].concat();
    let sequence = |body: &[u8]| [&[0x30, body.len() as u8][..], body].concat();
    let variants = [
        ("DER", der.clone(), Valid),
        (
            "long-form length",
            [&[0x30, 0x81, body.len() as u8][..], body].concat(),
            Refused,
        ),
        (
            "r with a needless leading zero",
            sequence(&[padded(r), s.to_vec()].concat()),
            Refused,
        ),
        (
            "s with a needless leading zero",
            sequence(&[r.to_vec(), padded(s)].concat()),
            Refused,
        ),
        ("a trailing byte", [&der[..], &[0]].concat(), Refused),
        (
            "indefinite length",
            [&[0x30, 0x80][..], body, &[0, 0]].concat(),
            Refused,
        ),
        ("raw r ‖ s", case.signature.clone(), Refused),
    ];
    let key = Sm2VerifyingKey::new(&case.distid, &case.key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lines = variants
        .iter()
        .map(|(_, signature, _)| openssl_line(&case.distid, &case.key, &case.message, signature))
        .collect();
    let openssl = openssl_verdicts_on_lines(&openssl_driver(dir.path()), lines);
    for ((name, signature, expect), openssl) in variants.iter().zip(openssl) {
        let ours = match key.verify(&case.message, signature) {
            Ok(()) => Valid,
            Err(Error::BadSignature) => Refused,
            Err(other) => panic!("{name}: {other:?}"),
        };
        assert_eq!(ours, *expect, "{name}");
        assert_eq!(openssl, *expect == Valid, "{name}: OpenSSL");
    }
}

/// Signatures OpenSSL made with its own fresh keys verify; changed by one bit they do not.
#[test]
fn signatures_made_by_openssl_verify() {
    let dir = tempfile::tempdir().unwrap();
    let driver = openssl_driver(dir.path());
    let count = (case_count() / 4).max(64);
    let out = Command::new(&driver)
        .args(["sign", &count.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines = String::from_utf8(out.stdout).unwrap();
    let mut seen = 0;
    for line in lines.lines() {
        let fields: Vec<Vec<u8>> = line
            .split(' ')
            .map(|f| {
                if f == "-" {
                    Vec::new()
                } else {
                    hex::decode(f).unwrap()
                }
            })
            .collect();
        let case = Case {
            distid: String::from_utf8(fields[0].clone()).unwrap(),
            key: fields[1].clone(),
            message: fields[2].clone(),
            signature: fields[3].clone(),
        };
        case.ours().unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(case.sm2_crate(), "{line}");
        let mut tampered = case.clone();
        tampered.message.push(0);
        assert!(
            matches!(tampered.ours(), Err(Error::BadSignature)),
            "{line}"
        );
        seen += 1;
    }
    assert_eq!(seen, count);
}

/// `openssl dgst -sm3 -verify … -sigopt distid:…` accepts what eseal's SM2 keys sign and
/// refuses it tampered, and eseal gives the same verdicts.
#[test]
fn openssl_dgst_verifies_eseal_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..4 {
        let key = SoftwareKey::generate(Algorithm::Sm2Sm3).unwrap();
        let message = format!("电子证照 {i}").into_bytes();
        let signature = key.sign(&message).unwrap();
        let spki = key.public_key_spki();
        fs::write(
            d.join("key.pem"),
            pem::encode(&pem::Pem::new("PUBLIC KEY", spki.to_vec())),
        )
        .unwrap();
        fs::write(d.join("sig.der"), &signature).unwrap();
        let raw_key = eseal::crypto::PublicKey::from_spki_der(spki)
            .unwrap()
            .raw()
            .to_vec();
        for (tampered, expected) in [(false, "Verified OK"), (true, "Verification failure")] {
            let mut message = message.clone();
            if tampered {
                message[0] ^= 1;
            }
            fs::write(d.join("message"), &message).unwrap();
            let out = common::openssl(
                d,
                &[
                    "dgst",
                    "-sm3",
                    "-verify",
                    "key.pem",
                    "-sigopt",
                    &format!("distid:{SM2_DEFAULT_DISTID}"),
                    "-signature",
                    "sig.der",
                    "message",
                ],
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected);
            let ours = Sm2VerifyingKey::new(SM2_DEFAULT_DISTID, &raw_key)
                .unwrap()
                .verify(&message, &signature);
            assert_eq!(ours.is_ok(), !tampered, "{ours:?}");
        }
    }
}

/// The process-wide cache gives the same verdicts and one prepared key per key.
#[test]
fn the_cache_shares_a_prepared_key() {
    let mut stream = Stream::new("eseal sm2 cache");
    let case = signed(SM2_DEFAULT_DISTID, &stream.scalar(), b"cached", false);
    let first = Sm2VerifyingKey::cached(&case.distid, &case.key).unwrap();
    let second = Sm2VerifyingKey::cached(&case.distid, &case.key).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    first.verify_raw(&case.message, &case.signature).unwrap();
    let other_id = Sm2VerifyingKey::cached("other", &case.key).unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &other_id));
    assert!(matches!(
        other_id.verify_raw(&case.message, &case.signature),
        Err(Error::BadSignature)
    ));
    assert!(matches!(
        Sm2VerifyingKey::cached(&case.distid, &off_curve(&case.key)),
        Err(Error::Malformed { .. })
    ));
}
