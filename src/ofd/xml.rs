//! Tolerant readers for the OFD XML files that signing and verification need
//! (GB/T 33190 clauses 7.4, 7.5 and 18; SES-OFD.md §6): `OFD.xml`, `Document.xml`,
//! `Signatures.xml` and `Signature.xml`.
//!
//! Elements and attributes are matched by local name, so `ofd:Page` and `Page` are the same;
//! element order is free and IDs are kept as text (`1`, `s001`). Relative paths are resolved
//! against the file that holds them ([`super::package::resolve`]). Each file is read into a
//! small element tree bounded in depth ([`MAX_DEPTH`]) and size ([`MAX_ELEMENTS`]), so
//! hostile XML is a clear error.

use std::borrow::Cow;

use base64::Engine;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use super::package::resolve;
use crate::error::{Error, Result};

/// The deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// The most elements accepted in one file (a `Signature.xml` referencing the 10,000 files
/// a package may hold has about 20,000).
pub const MAX_ELEMENTS: usize = 200_000;

/// `OFD.xml`, the entry file (GB/T 33190 clause 7.4): the documents of the package.
#[derive(Clone, Debug, PartialEq)]
pub struct OfdRoot {
    /// `ofd:DocBody`, in file order.
    pub doc_bodies: Vec<DocBody>,
}

/// One `ofd:DocBody` of `OFD.xml`.
#[derive(Clone, Debug, PartialEq)]
pub struct DocBody {
    /// `ofd:DocRoot`: the absolute package path of the document's `Document.xml`.
    pub doc_root: String,
    /// `ofd:Signatures`: the absolute package path of the document's `Signatures.xml`.
    pub signatures: Option<String>,
    /// The local names of its other child elements than `DocInfo`, `DocRoot` and
    /// `Signatures` (e.g. `Versions`, which can make a reader show another version).
    pub other_elements: Vec<String>,
}

/// One `ofd:Page` of `Document.xml`.
#[derive(Clone, Debug, PartialEq)]
pub struct PageEntry {
    /// `ID`, the page's object ID (what a `StampAnnot`'s `PageRef` names).
    pub id: String,
    /// `BaseLoc`: the absolute package path of the page's `Content.xml`.
    pub base_loc: String,
}

/// `Document.xml` (GB/T 33190 clause 7.5), the parts signing and verification need.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentXml {
    /// `ofd:Pages/ofd:Page`, in page order.
    pub pages: Vec<PageEntry>,
    /// `ofd:CommonData/ofd:PageArea/ofd:PhysicalBox`: `x y w h` in millimetres.
    pub physical_box: Option<[f64; 4]>,
    /// `ofd:CommonData/ofd:TemplatePage` (GB/T 33190 clause 7.5, `CT_TemplatePage`): the
    /// template pages that pages draw beneath or above their own content, with `ID` and
    /// `BaseLoc`; entries without either are left out.
    pub template_pages: Vec<PageEntry>,
}

/// The `Type` of a signature in `Signatures.xml` (GB/T 33190 clause 18.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureKind {
    /// `Seal`: an electronic seal signature (GB/T 38540), the default.
    Seal,
    /// `Sign`: a plain digital signature (CMS or bare SM2).
    Sign,
}

/// One `ofd:Signature` of `Signatures.xml`.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureEntry {
    /// `ID`.
    pub id: String,
    /// `Type`.
    pub kind: SignatureKind,
    /// `BaseLoc`: the absolute package path of the signature's `Signature.xml`.
    pub base_loc: String,
}

/// `Signatures.xml` (GB/T 33190 clause 18.2): the list of a document's signatures.
#[derive(Clone, Debug, PartialEq)]
pub struct SignaturesXml {
    /// `ofd:MaxSignId`.
    pub max_sign_id: Option<String>,
    /// `ofd:Signature`, in file order.
    pub signatures: Vec<SignatureEntry>,
}

/// One `ofd:Reference` of `Signature.xml`: a protected file and its digest.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// `FileRef`: the absolute package path of the file.
    pub file_ref: String,
    /// `ofd:CheckValue`, base64-decoded.
    pub check_value: Vec<u8>,
}

/// One `ofd:StampAnnot` of `Signature.xml`: where the seal appears.
#[derive(Clone, Debug, PartialEq)]
pub struct StampAnnot {
    /// `ID`.
    pub id: String,
    /// `PageRef`: the ID of a page in `Document.xml` (not an index).
    pub page_ref: String,
    /// `Boundary`: `x y w h` in millimetres.
    pub boundary: [f64; 4],
    /// `Clip`: `x y w h` in millimetres, for a riding seal (骑缝章) slice.
    pub clip: Option<[f64; 4]>,
}

/// `Signature.xml` (GB/T 33190 clause 18.3): what one signature signs.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureXml {
    /// `ofd:Provider`'s `ProviderName` (attribute or child element).
    pub provider: Option<String>,
    /// `ofd:SignatureMethod`.
    pub signature_method: Option<String>,
    /// `ofd:SignatureDateTime`, as written (informative: the signed time is `timeInfo`).
    pub signature_date_time: Option<String>,
    /// `ofd:References`' `CheckMethod`.
    pub check_method: Option<String>,
    /// `ofd:References/ofd:Reference`, in file order.
    pub references: Vec<Reference>,
    /// `ofd:StampAnnot`, in file order.
    pub stamp_annots: Vec<StampAnnot>,
    /// `ofd:Seal/ofd:BaseLoc`: the absolute package path of `Seal.esl`.
    pub seal_base_loc: Option<String>,
    /// `ofd:SignedValue`: the absolute package path of `SignedValue.dat`.
    pub signed_value: String,
}

/// An element of the tree: local name, attributes by local name, text and children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The trimmed text of the first child `name`, when not empty.
    fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }
}

fn malformed(path: &str, detail: impl std::fmt::Display) -> Error {
    Error::malformed("OFD XML", format!("{path}: {detail}"))
}

fn local_name(name: &[u8]) -> String {
    let local = match name.iter().rposition(|b| *b == b':') {
        Some(colon) => name.get(colon + 1..).unwrap_or_default(),
        None => name,
    };
    String::from_utf8_lossy(local).into_owned()
}

fn element(start: &BytesStart<'_>, path: &str) -> Result<Element> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| malformed(path, e))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| malformed(path, e))?;
        attributes.push((local_name(attribute.key.as_ref()), value.into_owned()));
    }
    Ok(Element {
        name: local_name(start.name().as_ref()),
        attributes,
        ..Element::default()
    })
}

/// Reads `bytes` into an element tree and returns its root.
fn parse_tree(bytes: &[u8], path: &str) -> Result<Element> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = Reader::from_reader(bytes);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(path, format!("{e} at byte {}", reader.error_position())))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(malformed(path, "content after the root element"));
            }
            Event::Start(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(malformed(
                        path,
                        format!("more than {MAX_ELEMENTS} elements"),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed(
                        path,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                stack.push(element(&start, path)?);
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(malformed(
                        path,
                        format!("more than {MAX_ELEMENTS} elements"),
                    ));
                }
                let empty = element(&start, path)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(empty),
                    None => root = Some(empty),
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| malformed(path, "an end tag without a start tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|e| malformed(path, e))?;
                push_text(&mut stack, &text, path)?;
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| malformed(path, e))?;
                push_text(&mut stack, &text, path)?;
            }
            Event::GeneralRef(reference) => {
                let text: Cow<'_, str> = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    Ok(None) => {
                        let name = reference.decode().map_err(|e| malformed(path, e))?;
                        match resolve_predefined_entity(&name) {
                            Some(value) => Cow::Borrowed(value),
                            None => {
                                return Err(malformed(path, format!("unknown entity &{name};")));
                            }
                        }
                    }
                    Err(e) => return Err(malformed(path, e)),
                };
                push_text(&mut stack, &text, path)?;
            }
            Event::DocType(_) => {
                return Err(malformed(
                    path,
                    "a document type declaration is not allowed",
                ));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(path, "the file ends inside an element"));
    }
    root.ok_or_else(|| malformed(path, "no root element"))
}

fn push_text(stack: &mut [Element], text: &str, path: &str) -> Result<()> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(malformed(path, "text outside the root element")),
    }
}

fn expect_root(root: &Element, name: &str, path: &str) -> Result<()> {
    if root.name != name {
        return Err(malformed(
            path,
            format!("the root element is {}, not {name}", root.name),
        ));
    }
    Ok(())
}

fn required_attribute<'a>(element: &'a Element, name: &str, path: &str) -> Result<&'a str> {
    element
        .attribute(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| malformed(path, format!("{} without {name}", element.name)))
}

/// Finite numbers separated by white space or commas, as in `Boundary` and `CTM`.
pub(super) fn numbers(text: &str) -> Option<Vec<f64>> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect()
}

/// Four numbers `x y w h` (separated by white space or commas).
fn parse_box(text: &str, what: &str, path: &str) -> Result<[f64; 4]> {
    let numbers = numbers(text)
        .ok_or_else(|| malformed(path, format!("{what} {text:?} is not four numbers")))?;
    <[f64; 4]>::try_from(numbers)
        .map_err(|_| malformed(path, format!("{what} {text:?} is not four numbers")))
}

/// Reads `OFD.xml` (GB/T 33190 clause 7.4), which lives at the package root.
pub fn parse_ofd_xml(bytes: &[u8]) -> Result<OfdRoot> {
    const PATH: &str = "/OFD.xml";
    let root = parse_tree(bytes, PATH)?;
    expect_root(&root, "OFD", PATH)?;
    let mut doc_bodies = Vec::new();
    for body in root.children("DocBody") {
        let doc_root = body
            .child_text("DocRoot")
            .ok_or_else(|| malformed(PATH, "DocBody without DocRoot"))?;
        let signatures = body
            .child_text("Signatures")
            .map(|s| resolve(PATH, s))
            .transpose()?;
        let other_elements = body
            .children
            .iter()
            .filter(|c| !matches!(c.name.as_str(), "DocInfo" | "DocRoot" | "Signatures"))
            .map(|c| c.name.clone())
            .collect();
        doc_bodies.push(DocBody {
            doc_root: resolve(PATH, doc_root)?,
            signatures,
            other_elements,
        });
    }
    if doc_bodies.is_empty() {
        return Err(malformed(PATH, "no DocBody"));
    }
    Ok(OfdRoot { doc_bodies })
}

/// Reads `Document.xml` (GB/T 33190 clause 7.5) found at package path `path`.
pub fn parse_document(bytes: &[u8], path: &str) -> Result<DocumentXml> {
    let root = parse_tree(bytes, path)?;
    expect_root(&root, "Document", path)?;
    let mut pages = Vec::new();
    for page in root.children("Pages").flat_map(|p| p.children("Page")) {
        pages.push(PageEntry {
            id: required_attribute(page, "ID", path)?.to_string(),
            base_loc: resolve(path, required_attribute(page, "BaseLoc", path)?)?,
        });
    }
    let physical_box = root
        .child("CommonData")
        .and_then(|c| c.child("PageArea"))
        .and_then(|a| a.child_text("PhysicalBox"))
        .map(|b| parse_box(b, "PhysicalBox", path))
        .transpose()?;
    let mut template_pages = Vec::new();
    for template in root
        .children("CommonData")
        .flat_map(|c| c.children("TemplatePage"))
    {
        let (Some(id), Some(base_loc)) = (
            template.attribute("ID").filter(|v| !v.is_empty()),
            template.attribute("BaseLoc").filter(|v| !v.is_empty()),
        ) else {
            continue;
        };
        template_pages.push(PageEntry {
            id: id.to_string(),
            base_loc: resolve(path, base_loc)?,
        });
    }
    Ok(DocumentXml {
        pages,
        physical_box,
        template_pages,
    })
}

/// Reads `Signatures.xml` (GB/T 33190 clause 18.2) found at package path `path`.
pub fn parse_signatures(bytes: &[u8], path: &str) -> Result<SignaturesXml> {
    let root = parse_tree(bytes, path)?;
    expect_root(&root, "Signatures", path)?;
    let mut signatures = Vec::new();
    for signature in root.children("Signature") {
        let kind = match signature.attribute("Type") {
            None | Some("") => SignatureKind::Seal,
            Some(t) if t.eq_ignore_ascii_case("Seal") => SignatureKind::Seal,
            Some(t) if t.eq_ignore_ascii_case("Sign") => SignatureKind::Sign,
            Some(other) => {
                return Err(malformed(path, format!("unknown signature Type {other:?}")));
            }
        };
        signatures.push(SignatureEntry {
            id: required_attribute(signature, "ID", path)?.to_string(),
            kind,
            base_loc: resolve(path, required_attribute(signature, "BaseLoc", path)?)?,
        });
    }
    Ok(SignaturesXml {
        max_sign_id: root.child_text("MaxSignId").map(str::to_string),
        signatures,
    })
}

/// Reads `Signature.xml` (GB/T 33190 clause 18.3) found at package path `path`.
pub fn parse_signature(bytes: &[u8], path: &str) -> Result<SignatureXml> {
    let root = parse_tree(bytes, path)?;
    expect_root(&root, "Signature", path)?;
    let info = root
        .child("SignedInfo")
        .ok_or_else(|| malformed(path, "no SignedInfo"))?;
    let provider = info.child("Provider").and_then(|p| {
        p.attribute("ProviderName")
            .filter(|n| !n.is_empty())
            .or_else(|| p.child_text("ProviderName"))
            .map(str::to_string)
    });
    let references_element = info.child("References");
    let mut references = Vec::new();
    for reference in info
        .children("References")
        .flat_map(|r| r.children("Reference"))
    {
        let file_ref = resolve(path, required_attribute(reference, "FileRef", path)?)?;
        let encoded: String = reference
            .child("CheckValue")
            .map(|c| c.text.split_whitespace().collect())
            .unwrap_or_default();
        let check_value = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|e| malformed(path, format!("CheckValue of {file_ref}: {e}")))?;
        references.push(Reference {
            file_ref,
            check_value,
        });
    }
    let mut stamp_annots = Vec::new();
    for annot in info.children("StampAnnot") {
        stamp_annots.push(StampAnnot {
            id: required_attribute(annot, "ID", path)?.to_string(),
            page_ref: required_attribute(annot, "PageRef", path)?.to_string(),
            boundary: parse_box(
                required_attribute(annot, "Boundary", path)?,
                "Boundary",
                path,
            )?,
            clip: annot
                .attribute("Clip")
                .filter(|c| !c.is_empty())
                .map(|c| parse_box(c, "Clip", path))
                .transpose()?,
        });
    }
    let seal_base_loc = info
        .child("Seal")
        .and_then(|s| s.child_text("BaseLoc"))
        .map(|b| resolve(path, b))
        .transpose()?;
    let signed_value = root
        .child_text("SignedValue")
        .or_else(|| info.child_text("SignedValue"))
        .ok_or_else(|| malformed(path, "no SignedValue"))?;
    Ok(SignatureXml {
        provider,
        signature_method: info.child_text("SignatureMethod").map(str::to_string),
        signature_date_time: info.child_text("SignatureDateTime").map(str::to_string),
        check_method: references_element
            .and_then(|r| r.attribute("CheckMethod"))
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        references,
        stamp_annots,
        seal_base_loc,
        signed_value: resolve(path, signed_value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_order_and_relative_paths() {
        let ofd = parse_ofd_xml(
            b"<OFD><DocBody><Signatures>Doc_0/Signs/Signatures.xml</Signatures>\
              <DocRoot> /Doc_0/Document.xml </DocRoot></DocBody></OFD>",
        )
        .unwrap();
        assert_eq!(ofd.doc_bodies[0].doc_root, "/Doc_0/Document.xml");
        assert_eq!(
            ofd.doc_bodies[0].signatures.as_deref(),
            Some("/Doc_0/Signs/Signatures.xml")
        );
        let list = parse_signatures(
            b"<x:Signatures xmlns:x='u'><x:Signature ID='s001' Type='Sign' \
              BaseLoc='Sign_0/Signature.xml'/><x:MaxSignId>s001</x:MaxSignId></x:Signatures>",
            "/Doc_0/Signs/Signatures.xml",
        )
        .unwrap();
        assert_eq!(list.max_sign_id.as_deref(), Some("s001"));
        assert_eq!(list.signatures[0].kind, SignatureKind::Sign);
        assert_eq!(
            list.signatures[0].base_loc,
            "/Doc_0/Signs/Sign_0/Signature.xml"
        );
    }

    #[test]
    fn signature_with_provider_children_and_entities() {
        let xml = "<ofd:Signature xmlns:ofd='u'><ofd:SignedValue>SignedValue.dat</ofd:SignedValue>\
            <ofd:SignedInfo><ofd:Provider><ofd:ProviderName>A&amp;B</ofd:ProviderName></ofd:Provider>\
            <ofd:References CheckMethod='SM3'><ofd:Reference FileRef='/Doc_0/Document.xml'>\
            <ofd:CheckValue>AAEC\n</ofd:CheckValue></ofd:Reference></ofd:References>\
            <ofd:StampAnnot ID='2' PageRef='21' Boundary='1 2 3 4' Clip='0,0,1,4'/>\
            <ofd:Seal><ofd:BaseLoc>Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo></ofd:Signature>";
        let sig = parse_signature(xml.as_bytes(), "/Doc_0/Signs/Sign_0/Signature.xml").unwrap();
        assert_eq!(sig.provider.as_deref(), Some("A&B"));
        assert_eq!(sig.check_method.as_deref(), Some("SM3"));
        assert_eq!(sig.references[0].check_value, [0, 1, 2]);
        assert_eq!(sig.stamp_annots[0].clip, Some([0.0, 0.0, 1.0, 4.0]));
        assert_eq!(
            sig.seal_base_loc.as_deref(),
            Some("/Doc_0/Signs/Sign_0/Seal.esl")
        );
        assert_eq!(sig.signed_value, "/Doc_0/Signs/Sign_0/SignedValue.dat");
    }

    #[test]
    fn hostile_xml_is_refused() {
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        let error = parse_document(deep.as_bytes(), "/d.xml").unwrap_err();
        assert!(error.to_string().contains("nested deeper"), "{error}");
        for bad in [
            &b"<Document><Pages>"[..],
            b"<Document></Pages>",
            b"<!DOCTYPE d [<!ENTITY e 'x'>]><Document/>",
            b"<Document>&e;</Document>",
            b"<Document/><Document/>",
            b"",
        ] {
            assert!(parse_document(bad, "/d.xml").is_err(), "{bad:?}");
        }
        assert!(
            parse_document(b"<Document/>", "/d.xml")
                .unwrap()
                .pages
                .is_empty()
        );
    }
}
