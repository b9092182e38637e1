//! An OFD package opened from a file, its large files left there and digested as they are
//! read, verifies as the same package read into memory does: sealed, tampered, stored or
//! deflated, and with a damaged large file refused alike.

mod common;

use std::io::{Cursor, Write};
use std::time::SystemTime;

use common::{Hierarchy, test_seal};
use eseal::crypto::Algorithm;
use eseal::ofd::sample::plain_ofd;
use eseal::ofd::{OfdSealOptions, Package, VerifyOptions, seal_ofd, verify_ofd};
use eseal::pki::{Profile, TrustStore};
use eseal::report::{Indication, Report, SubIndication};

/// The attachment of the sample: larger than what an opened package reads into memory.
const ATTACHMENT: &str = "/Doc_0/Attachs/data.bin";
const PADDING: usize = 3 << 20;

/// The sample OFD with a 3 MiB attachment, sealed once; and the store that trusts it.
fn sealed() -> (Vec<u8>, TrustStore) {
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let seal = test_seal(&hierarchy, &cert, "3301000000001");
    let plain = Package::read(plain_ofd(&["营业执照"], PADDING).unwrap()).unwrap();
    let sealed = seal_ofd(&plain, &OfdSealOptions::new(&seal, &key, &cert)).unwrap();
    (sealed, hierarchy.store())
}

fn temp_file(bytes: &[u8]) -> std::fs::File {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    file
}

/// The report of `bytes` opened from a file, asserted equal to the report of the same
/// bytes read into memory.
#[track_caller]
fn from_file(bytes: &[u8], store: &TrustStore) -> Report {
    let at = SystemTime::now();
    let options = VerifyOptions::default();
    let opened = Package::open(temp_file(bytes)).unwrap();
    let read = Package::read(bytes).unwrap();
    let report = verify_ofd(&opened, store, at, &options).unwrap();
    assert_eq!(report, verify_ofd(&read, store, at, &options).unwrap());
    report
}

fn outcome(report: &Report) -> Vec<(Indication, Option<SubIndication>, Vec<&'static str>)> {
    report
        .signatures
        .iter()
        .map(|s| {
            let codes = s.reasons.iter().map(|r| r.code()).collect();
            (s.indication, s.sub_indication, codes)
        })
        .collect()
}

/// `bytes` with every entry copied as it is but `name`, stored uncompressed with `data`.
fn with_stored(bytes: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).unwrap();
        if file.name().unwrap() == name {
            drop(file);
            let options =
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            writer.start_file(name, options).unwrap();
            writer.write_all(data).unwrap();
        } else {
            writer.raw_copy_file(file).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_package_opened_from_a_file_verifies_as_in_memory() {
    let (bytes, store) = sealed();
    let report = from_file(&bytes, &store);
    assert_eq!(
        outcome(&report),
        [(Indication::TotalPassed, None, Vec::new())]
    );

    // The large file stored, not deflated: the same content, still intact.
    let attachment = Package::read(&bytes[..])
        .unwrap()
        .get(ATTACHMENT)
        .unwrap()
        .to_vec();
    let stored = with_stored(&bytes, &ATTACHMENT[1..], &attachment);
    let report = from_file(&stored, &store);
    assert_eq!(
        outcome(&report),
        [(Indication::TotalPassed, None, Vec::new())]
    );
    let opened = Package::open(temp_file(&stored)).unwrap();
    assert_eq!(opened.get(ATTACHMENT), Some(&attachment[..]));
    assert!(opened.bytes().is_none());

    // One byte of the large file changed, deflated or stored: its digest no longer matches.
    let mut changed = attachment.clone();
    changed[PADDING / 2] ^= 1;
    let tampered = [
        Package::read(&bytes[..])
            .unwrap()
            .rewrite(&[(ATTACHMENT, &changed)])
            .unwrap(),
        with_stored(&bytes, &ATTACHMENT[1..], &changed),
    ];
    for tampered in tampered {
        let report = from_file(&tampered, &store);
        assert_eq!(
            outcome(&report),
            [(
                Indication::TotalFailed,
                Some(SubIndication::HashFailure),
                vec!["REFERENCE_DIGEST_MISMATCH"]
            )]
        );
    }
}

#[test]
fn a_damaged_large_file_is_refused_as_in_memory() {
    let (bytes, _) = sealed();
    let attachment = Package::read(&bytes[..])
        .unwrap()
        .get(ATTACHMENT)
        .unwrap()
        .to_vec();
    let stored = with_stored(&bytes, &ATTACHMENT[1..], &attachment);
    // The stored bytes of the attachment, found by content, one of them changed: the
    // entry no longer has its CRC-32.
    let at = stored
        .windows(64)
        .position(|w| w == &attachment[1000..1064])
        .unwrap();
    let mut damaged = stored.clone();
    damaged[at] ^= 1;
    let read = Package::read(&damaged[..]).unwrap_err().to_string();
    let opened = Package::open(temp_file(&damaged)).unwrap_err().to_string();
    assert_eq!(read, opened);
    assert_eq!(
        read,
        "malformed OFD package: Doc_0/Attachs/data.bin fails its CRC-32 check"
    );

    // The deflated attachment cut short: it no longer inflates to its declared size.
    let truncated = &bytes[..bytes.len() / 2];
    let read = Package::read(truncated)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    let opened = Package::open(temp_file(truncated))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_eq!(read, opened);
}
