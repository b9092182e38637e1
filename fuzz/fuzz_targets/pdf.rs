//! The PDF reader and verifier: cross-reference chain, objects and object streams, page
//! tree, signature fields, byte ranges, modification analysis and keyword search; and
//! the same verification read through a [`Source`] by small windows with stream data
//! left in the source, which must decide exactly as the reading of the whole slice.
#![no_main]

use std::time::SystemTime;

use eseal::pdf::Source;
use libfuzzer_sys::fuzz_target;

/// The input read by offset: a 7-byte first window, stream data over 16 bytes deferred.
struct Tiny<'a>(&'a [u8]);

impl Source for Tiny<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn read_at(&self, offset: usize, buf: &mut [u8]) -> eseal::Result<()> {
        let bytes = offset
            .checked_add(buf.len())
            .and_then(|end| self.0.get(offset..end))
            .ok_or_else(|| eseal::Error::malformed("PDF", "read beyond the end"))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }

    fn window(&self) -> usize {
        7
    }

    fn defer_streams_over(&self) -> usize {
        16
    }
}

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
    let (store, at) = (eseal::pki::TrustStore::new(), SystemTime::now());
    let in_memory = eseal::pdf::verify_pdf(data, &store, at);
    let from_source = eseal::pdf::verify_pdf_source(&Tiny(data), &store, at);
    match (&in_memory, &from_source) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("in memory: {a:?}\nfrom the source: {b:?}"),
    }
});
