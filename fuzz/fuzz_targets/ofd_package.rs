//! OFD packages: reading the ZIP within its limits, then verifying every signature. The
//! input is read as a ZIP, and also as the files of a sealed package, each a 32-bit
//! little-endian length and that many bytes (so that mutations reach verification
//! without breaking CRCs).
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 7] = [
    "OFD.xml",
    "Doc_0/Document.xml",
    "Doc_0/Signs/Signatures.xml",
    "Doc_0/Signs/Sign_0/Signature.xml",
    "Doc_0/Signs/Sign_0/SignedValue.dat",
    "Doc_0/Signs/Sign_0/Seal.esl",
    "Doc_0/Pages/Page_0/Content.xml",
];

fn verify(package: &eseal::ofd::Package) {
    let _ = eseal::ofd::verify_ofd(
        package,
        &eseal::pki::TrustStore::new(),
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_622_505_600),
        &eseal::ofd::VerifyOptions::default(),
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(package) = eseal::ofd::Package::read(data.to_vec()) {
        verify(&package);
    }
    let mut entries: Vec<(&str, &[u8])> = Vec::new();
    let mut rest = data;
    for name in NAMES {
        let Some((length, tail)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let length = (u32::from_le_bytes(*length) as usize).min(tail.len());
        let (content, tail) = tail.split_at(length);
        entries.push((name, content));
        rest = tail;
    }
    if let Ok(bytes) = eseal::ofd::write_package(&entries)
        && let Ok(package) = eseal::ofd::Package::read(bytes)
    {
        verify(&package);
    }
});
