//! The OFD XML files signing and verification read: OFD.xml, Document.xml,
//! Signatures.xml and Signature.xml.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use eseal::ofd::xml;
    let _ = xml::parse_ofd_xml(data);
    let _ = xml::parse_document(data, "/Doc_0/Document.xml");
    let _ = xml::parse_signatures(data, "/Doc_0/Signs/Signatures.xml");
    let _ = xml::parse_signature(data, "/Doc_0/Signs/Sign_0/Signature.xml");
});
