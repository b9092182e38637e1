//! Licence input an office feeds the issuer: a request (`LicenceRequest::from_json`, then
//! the issuer's checks against the sample template), a template (`Template::from_json`),
//! and a batch file read as CSV and as JSON lines. Every refusal must be an error, never a
//! panic.
#![no_main]

use eseal::licence::batch::{BatchFormat, read_batch};
use eseal::licence::model::{LicenceRequest, Template};
use eseal::licence::sample;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = LicenceRequest::from_json(data) {
        let _ = request.to_licence(
            &sample::business_template(),
            &sample::office(),
            "20260000001",
            1_772_416_800,
        );
    }
    let _ = Template::from_json(data);
    for format in [BatchFormat::Csv, BatchFormat::JsonLines] {
        if let Ok(rows) = read_batch(data, format) {
            for (_, row) in rows {
                let _ = row.map(|r| {
                    r.request.to_licence(
                        &sample::business_template(),
                        &sample::office(),
                        "20260000001",
                        1_772_416_800,
                    )
                });
            }
        }
    }
});
