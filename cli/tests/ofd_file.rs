//! An OFD package opened from a file, its large files left there and digested as they are
//! read, verifies as the same package read into memory does: sealed, tampered, stored or
//! deflated, and with a damaged large file refused alike; sealed from the file, streamed
//! into the new package, it verifies as one sealed in memory, through the library and
//! through `eseal ofd seal`.

mod common;

use std::io::{Cursor, Write};
use std::time::SystemTime;

use common::{Hierarchy, test_seal};
use eseal::crypto::Algorithm;
use eseal::ofd::sample::plain_ofd;
use eseal::ofd::{OfdSealOptions, Package, VerifyOptions, seal_ofd, seal_ofd_to, verify_ofd};
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

/// The sample OFD with a 3 MiB attachment, deflated and (second) stored, not sealed.
fn plain_packages() -> [Vec<u8>; 2] {
    let deflated = plain_ofd(&["营业执照"], PADDING).unwrap();
    let attachment = Package::read(&deflated[..])
        .unwrap()
        .get(ATTACHMENT)
        .unwrap()
        .to_vec();
    let stored = with_stored(&deflated, &ATTACHMENT[1..], &attachment);
    [deflated, stored]
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

#[test]
fn a_package_sealed_from_a_file_verifies_as_one_sealed_in_memory() {
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let store = hierarchy.store();
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let seal = test_seal(&hierarchy, &cert, "3301000000001");
    let options = OfdSealOptions::new(&seal, &key, &cert);
    for plain in plain_packages() {
        let in_memory = seal_ofd(&Package::read(&plain[..]).unwrap(), &options).unwrap();
        let opened = Package::open(temp_file(&plain)).unwrap();
        let mut streamed = Cursor::new(Vec::new());
        seal_ofd_to(&opened, &mut streamed, &options).unwrap();
        let streamed = streamed.into_inner();
        // The attachment was digested and copied as it was streamed, never read whole.
        assert!(opened.entry(ATTACHMENT).unwrap().is_deferred());

        // The same files, in the same order, with the same content, but the signature
        // value (SM2 signatures are randomised).
        let files = |bytes: &[u8]| {
            let package = Package::read(bytes).unwrap();
            package
                .entries()
                .iter()
                .map(|e| (e.path(), e.data().unwrap().to_vec()))
                .collect::<Vec<_>>()
        };
        let (a, b) = (files(&in_memory), files(&streamed));
        let names =
            |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        for (a, b) in a.iter().zip(&b) {
            if a.0 != "/Doc_0/Signs/Sign_0/SignedValue.dat" {
                assert_eq!(a, b, "{}", a.0);
            }
        }

        for sealed in [&in_memory, &streamed] {
            assert_eq!(
                outcome(&from_file(sealed, &store)),
                [(Indication::TotalPassed, None, Vec::new())]
            );
            // The attachment changed after sealing: its digest no longer matches.
            let mut changed = Package::read(&sealed[..])
                .unwrap()
                .get(ATTACHMENT)
                .unwrap()
                .to_vec();
            changed[PADDING / 3] ^= 0x80;
            let tampered = Package::read(&sealed[..])
                .unwrap()
                .rewrite(&[(ATTACHMENT, &changed)])
                .unwrap();
            assert_eq!(
                outcome(&from_file(&tampered, &store)),
                [(
                    Indication::TotalFailed,
                    Some(SubIndication::HashFailure),
                    vec!["REFERENCE_DIGEST_MISMATCH"]
                )]
            );
        }
    }
}

#[test]
fn a_large_file_that_changed_after_opening_is_an_error_not_empty_bytes() {
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let seal = test_seal(&hierarchy, &cert, "3301000000001");
    for plain in plain_packages() {
        let file = temp_file(&plain);
        let handle = file.try_clone().unwrap();
        let opened = Package::open(file).unwrap();
        // The package file cut short after it was checked: the attachment it left there
        // can no longer be read.
        handle.set_len(plain.len() as u64 / 2).unwrap();
        let expected = format!(
            "malformed OFD package: Doc_0/Attachs/data.bin does not inflate to its declared {PADDING} bytes"
        );
        let entry = opened.entry(ATTACHMENT).unwrap();
        assert_eq!(entry.data().unwrap_err().to_string(), expected);
        assert_eq!(
            entry.for_each_chunk(&mut |_| ()).unwrap_err().to_string(),
            expected
        );
        assert_eq!(opened.get(ATTACHMENT), None);
        let mut out = Cursor::new(Vec::new());
        let error = seal_ofd_to(&opened, &mut out, &OfdSealOptions::new(&seal, &key, &cert));
        assert_eq!(error.unwrap_err().to_string(), expected);
    }
}

#[test]
fn the_cli_seals_a_large_ofd_from_the_file() {
    use common::cli::{code, eseal, ok, p};
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let seal = test_seal(&hierarchy, &cert, "3301000000001");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("signer.pem"), cert.to_pem()).unwrap();
    std::fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    std::fs::write(d.join("seal.esl"), seal.der()).unwrap();
    std::fs::write(d.join("root.pem"), hierarchy.root.to_pem()).unwrap();
    std::fs::write(d.join("ca.pem"), hierarchy.ca.to_pem()).unwrap();
    let (cert, key, seal, root, ca) = (
        p(d, "signer.pem"),
        p(d, "signer.key"),
        p(d, "seal.esl"),
        p(d, "root.pem"),
        p(d, "ca.pem"),
    );
    for (name, plain) in ["deflated", "stored"].into_iter().zip(plain_packages()) {
        let (input, sealed) = (
            p(d, &format!("{name}.ofd")),
            p(d, &format!("{name}-sealed.ofd")),
        );
        std::fs::write(&input, &plain).unwrap();
        ok(&[
            "ofd", "seal", "--in", &input, "--out", &sealed, "--cert", &cert, "--key", &key,
            "--seal", &seal,
        ]);
        let verify = |path: &str| {
            let out = eseal(&["verify", path, "--trust", &root, "--chain", &ca, "--json"]);
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            (code(&out), json["signatures"][0].clone())
        };
        let (exit, signature) = verify(&sealed);
        assert_eq!(exit, 0, "{signature}");
        assert_eq!(signature["indication"], "TOTAL-PASSED", "{signature}");
        assert_eq!(signature["reasons"], serde_json::json!([]), "{signature}");

        // The sealed attachment changed: the reference to it fails.
        let bytes = std::fs::read(&sealed).unwrap();
        let mut changed = Package::read(&bytes[..])
            .unwrap()
            .get(ATTACHMENT)
            .unwrap()
            .to_vec();
        changed[0] ^= 1;
        let tampered = p(d, &format!("{name}-tampered.ofd"));
        let rewritten = Package::read(&bytes[..])
            .unwrap()
            .rewrite(&[(ATTACHMENT, &changed)])
            .unwrap();
        std::fs::write(&tampered, rewritten).unwrap();
        let (exit, signature) = verify(&tampered);
        assert_eq!(exit, 2, "{signature}");
        assert_eq!(signature["indication"], "TOTAL-FAILED", "{signature}");
        assert_eq!(signature["sub_indication"], "HASH_FAILURE", "{signature}");
        assert_eq!(
            signature["reasons"][0]["code"], "REFERENCE_DIGEST_MISMATCH",
            "{signature}"
        );
    }
}

/// Larger than the 16 MiB that key, certificate and seal files are held to.
const OVER_16_MIB: usize = (16 << 20) + 4096;

#[test]
fn the_cli_seals_and_signs_inputs_over_16_mib() {
    use common::cli::{code, eseal, p, stderr};
    use std::process::{Command, Stdio};
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人 张三", -1, 365);
    let seal = test_seal(&hierarchy, &cert, "3301000000001");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("signer.pem"), cert.to_pem()).unwrap();
    std::fs::write(d.join("signer.key"), key.to_pkcs8_pem().as_bytes()).unwrap();
    std::fs::write(d.join("seal.esl"), seal.der()).unwrap();
    std::fs::write(d.join("root.pem"), hierarchy.root.to_pem()).unwrap();
    std::fs::write(d.join("ca.pem"), hierarchy.ca.to_pem()).unwrap();
    let (cert, key, seal, root, ca) = (
        p(d, "signer.pem"),
        p(d, "signer.key"),
        p(d, "seal.esl"),
        p(d, "root.pem"),
        p(d, "ca.pem"),
    );

    // eseal ofd seal --in - (standard input, read whole) with a package over 16 MiB: ofdrw's
    // helloworld.ofd with a large incompressible file added.
    let filler = Package::read(plain_ofd(&["营业执照"], OVER_16_MIB).unwrap())
        .unwrap()
        .get(ATTACHMENT)
        .unwrap()
        .to_vec();
    let hello = Package::read(common::ofdrw::read("helloworld.ofd")).unwrap();
    let plain = hello.rewrite(&[("/Doc_0/Res/scan.bin", &filler)]).unwrap();
    assert!(plain.len() > 16 << 20);
    let sealed = p(d, "sealed.ofd");
    let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args([
            "ofd", "seal", "--in", "-", "--out", &sealed, "--cert", &cert, "--key", &key, "--seal",
            &seal,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&plain).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = eseal(&[
        "verify", &sealed, "--trust", &root, "--chain", &ca, "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(code(&out), 0, "{json}");
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");
    assert_eq!(json["signatures"][0]["reasons"], serde_json::json!([]));

    // eseal seal sign --data and eseal verify --data with a file over 16 MiB.
    let data = p(d, "data.bin");
    std::fs::write(&data, &plain).unwrap();
    let signature = p(d, "SignedValue.dat");
    let out = eseal(&[
        "seal",
        "sign",
        "--seal",
        &seal,
        "--signer-cert",
        &cert,
        "--signer-key",
        &key,
        "--data",
        &data,
        "--out",
        &signature,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let verify = |data: &str| {
        let out = eseal(&[
            "verify", &signature, "--data", data, "--trust", &root, "--chain", &ca, "--json",
        ]);
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        (code(&out), json["signatures"][0].clone())
    };
    let (exit, report) = verify(&data);
    assert_eq!(exit, 0, "{report}");
    assert_eq!(report["indication"], "TOTAL-PASSED", "{report}");
    assert_eq!(report["reasons"], serde_json::json!([]), "{report}");
    let mut changed = plain;
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let other = p(d, "changed.bin");
    std::fs::write(&other, &changed).unwrap();
    let (exit, report) = verify(&other);
    assert_eq!(exit, 2, "{report}");
    assert_eq!(report["indication"], "TOTAL-FAILED", "{report}");
    assert_eq!(report["sub_indication"], "HASH_FAILURE", "{report}");
    assert_eq!(
        report["reasons"][0]["code"], "DATA_HASH_MISMATCH",
        "{report}"
    );
}
