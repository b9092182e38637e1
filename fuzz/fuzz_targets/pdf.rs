//! The PDF reader and verifier: cross-reference chain, objects and object streams, page
//! tree, signature fields, byte ranges, modification analysis and keyword search.
#![no_main]

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = eseal::pdf::Document::parse(data) {
        let latest = doc.latest();
        for section in &doc.sections {
            for num in section.entries.keys().take(64) {
                let r = eseal::pdf::ObjRef { num: *num, generation: 0 };
                let _ = doc.get(r, latest);
            }
        }
        if let Ok(pages) = doc.pages(latest) {
            let _ = eseal::pdf::text::find_keyword(&doc, latest, &pages, "eseal", 0);
        }
    }
    let _ = eseal::pdf::verify_pdf(data, &eseal::pki::TrustStore::new(), SystemTime::now());
});
