//! A plain one-page PDF (ISO 32000-1 clause 7.5) with lines of Latin text, for demos,
//! benchmarks and tests that need a document to seal.

use std::fmt::Write as _;

/// Builds an A4 PDF showing `lines` in Helvetica, with an optional embedded attachment-like
/// stream of `padding` bytes (never drawn) to reach a wanted file size.
pub fn plain_pdf(lines: &[&str], padding: usize) -> Vec<u8> {
    let mut content = String::from("BT /F1 14 Tf 72 770 Td 18 TL\n");
    for line in lines {
        let escaped: String = line
            .chars()
            .filter(char::is_ascii)
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect();
        let _ = writeln!(content, "({escaped}) Tj T*");
    }
    content.push_str("ET\n");
    let mut filler = Vec::with_capacity(padding);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    while filler.len() < padding {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        filler.extend_from_slice(&state.to_le_bytes());
    }
    filler.truncate(padding);

    let objects: Vec<Vec<u8>> = vec![
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>".to_vec(),
        stream(b"", content.as_bytes()),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>".to_vec(),
        stream(b"/Type/EmbeddedFile", &filler),
    ];
    pdf_from_objects(&objects)
}

/// A PDF of `objects`, numbered from 1 (object 1 is the catalog), with a classic
/// cross-reference table and trailer (ISO 32000-1 clauses 7.5.4 and 7.5.5).
pub fn pdf_from_objects(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object body: `<<extra /Length n>> stream ... endstream`.
pub fn stream(extra: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = b"<<".to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(format!("/Length {}>>\nstream\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}
