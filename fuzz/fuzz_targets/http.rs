//! HTTP/1.1: the request and response head parsers (httparse), the framing rules
//! (Content-Length, Transfer-Encoding) and the chunked body decoder of the TSA server and
//! the TSA/OCSP client.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    eseal::fuzz_http(data);
});
