//! The registry's location in an office configuration (a file or a `postgresql://` URL,
//! libpq's parameters, percent escapes): read both ways, never a panic, never the
//! password shown.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    eseal::registry::fuzz_url(data);
});
