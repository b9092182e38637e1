//! A plain one-page OFD (GB/T 33190) with lines of text, for demos, benchmarks and tests
//! that need a document to seal.

use quick_xml::escape::escape;

use super::package::write_package;
use crate::error::Result;

const NAMESPACE: &str = "http://www.ofdspec.org/2016";

/// Builds an A4 OFD showing `lines` (4.2 mm text, system font 宋体), with an attachment
/// (GB/T 33190 clause 20) of `padding` pseudo-random bytes when `padding` is not 0, to
/// reach a wanted size.
pub fn plain_ofd(lines: &[&str], padding: usize) -> Result<Vec<u8>> {
    let ofd = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:OFD xmlns:ofd=\"{NAMESPACE}\" Version=\"1.0\" \
         DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>eseal-sample</ofd:DocID>\
         <ofd:Creator>eseal</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>\
         </ofd:DocBody></ofd:OFD>"
    );
    let mut document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Document xmlns:ofd=\"{NAMESPACE}\"><ofd:CommonData>\
         <ofd:MaxUnitID>{}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>\
         </ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>\
         <ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages>",
        3 + lines.len()
    );
    if padding > 0 {
        document.push_str("<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>");
    }
    document.push_str("</ofd:Document>");
    let public_res = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Res xmlns:ofd=\"{NAMESPACE}\" BaseLoc=\"Res\">\
         <ofd:Fonts><ofd:Font ID=\"2\" FontName=\"宋体\" FamilyName=\"宋体\"/></ofd:Fonts></ofd:Res>"
    );
    let mut content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Page xmlns:ofd=\"{NAMESPACE}\"><ofd:Content>\
         <ofd:Layer ID=\"3\">"
    );
    for (i, line) in lines.iter().enumerate() {
        let y = 25.0 + 8.0 * i as f64;
        content.push_str(&format!(
            "<ofd:TextObject ID=\"{}\" Boundary=\"25 {y} 160 6\" Font=\"2\" Size=\"4.2\">\
             <ofd:TextCode X=\"0\" Y=\"4.2\">{}</ofd:TextCode></ofd:TextObject>",
            4 + i,
            escape(*line)
        ));
    }
    content.push_str("</ofd:Layer></ofd:Content></ofd:Page>");
    let attachments = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Attachments xmlns:ofd=\"{NAMESPACE}\">\
         <ofd:Attachment ID=\"1\" Name=\"data\" Format=\"bin\" Size=\"{:.3}\"><ofd:FileLoc>data.bin</ofd:FileLoc>\
         </ofd:Attachment></ofd:Attachments>",
        padding as f64 / 1024.0
    );
    let filler = filler(padding);
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("OFD.xml", ofd.as_bytes()),
        ("Doc_0/Document.xml", document.as_bytes()),
        ("Doc_0/PublicRes.xml", public_res.as_bytes()),
        ("Doc_0/Pages/Page_0/Content.xml", content.as_bytes()),
    ];
    if padding > 0 {
        entries.push(("Doc_0/Attachs/Attachments.xml", attachments.as_bytes()));
        entries.push(("Doc_0/Attachs/data.bin", &filler));
    }
    write_package(&entries)
}

/// `len` bytes of xorshift output: incompressible, like the scans and images that make
/// real documents large.
fn filler(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}
