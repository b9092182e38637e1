//! GB/T 38540 / GM/T 0031 seals and seal signatures, every version.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eseal::seal::Seal::from_der(data);
    let _ = eseal::seal::SealSignature::from_der(data);
});
