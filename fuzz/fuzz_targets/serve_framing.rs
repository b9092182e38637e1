//! The HTTP/1 framing check of `eseal serve`: request heads and bodies (Content-Length,
//! chunked) tracked across reads in pieces of any size; only checked bytes reach hyper.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    eseal::serve::fuzz_framing(data);
});
