//! Adding a GB/T 38540 seal signature to an OFD package (GB/T 33190 clause 18; SES-OFD.md
//! §6, "Signing order").
//!
//! [`seal_ofd`] picks the next `Sign_N` folder and signature ID, writes `Seal.esl`,
//! references every file of the package except `Signatures.xml` and the new signature's own
//! `Signature.xml` and `SignedValue.dat` (so OFD.xml, all content and every earlier
//! signature's files are protected, and a later seal breaks nothing), writes
//! `Signature.xml` with the `StampAnnot` that shows the seal, signs a `TBS_Sign` whose
//! `dataHash` is the SM3 of that `Signature.xml` and stores it as `SignedValue.dat`. Every
//! other entry of the package is copied as it was. With [`OfdSealOptions::lock`] the
//! signature also protects `Signatures.xml`, so that no later signature can be added
//! without breaking it; [`seal_ofd`] refuses to seal a locked document, and one whose
//! earlier signatures do not verify unless [`OfdSealOptions::force`] is set
//! ([`Error::DocumentRefused`]).

use std::io::{Cursor, Seek, Write};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use sm3::Digest;

use super::package::{Package, resolve};
use super::text::{keyword_centres, page_templates};
use super::verify::{VerifyOptions, verify_ofd};
use super::xml::{DocBody, parse_document, parse_ofd_xml, parse_signature, parse_signatures};
use crate::crypto::{Algorithm, Signer};
use crate::error::{Error, Result};
use crate::pki::{Certificate, TrustStore, unix_seconds};
use crate::report::Indication;
use crate::seal::{Seal, sign_with_seal};

/// The OFD namespace (GB/T 33190 clause 7.1).
const OFD_NAMESPACE: &str = "http://www.ofdspec.org/2016";

/// SM3 as an OFD `CheckMethod`.
const CHECK_METHOD_SM3: &str = "1.2.156.10197.1.401";

/// Margin between an automatically placed seal and the page edge, in mm.
const EDGE_MARGIN: f64 = 20.0;

/// Where the seal is shown.
#[derive(Clone, Debug, PartialEq)]
pub enum OfdPlacement {
    /// On page `page` (0-based, in the order of `Document.xml`) at `boundary` =
    /// `[x, y, w, h]` in mm, page space (origin top left, y down); `None` = the seal's
    /// picture size, 20 mm from the bottom-right corner of the page.
    Page {
        /// Page index, 0-based.
        page: usize,
        /// The box; `None` places the seal automatically.
        boundary: Option<[f64; 4]>,
    },
    /// Centred on the `occurrence`-th (0-based) occurrence of `keyword` in the text the
    /// pages show, at the seal's picture size: page by page, a page's own content first,
    /// then the template pages it draws, in the order it names them.
    Keyword {
        /// The text to find.
        keyword: String,
        /// Which occurrence, 0-based, counting through the pages in order.
        occurrence: usize,
    },
}

/// What [`seal_ofd`] needs.
pub struct OfdSealOptions<'a> {
    /// The e-seal; `certificate` must be in its certificate list.
    pub seal: &'a Seal,
    /// The signer's key (签章人).
    pub signer: &'a dyn Signer,
    /// The signer's certificate.
    pub certificate: &'a Certificate,
    /// Where the seal is shown.
    pub placement: OfdPlacement,
    /// The signing time written into `TBS_Sign.timeInfo` and `SignatureDateTime`.
    pub signing_time: SystemTime,
    /// Also protect `Signatures.xml`: the last signature of the document.
    pub lock: bool,
    /// Seal even when earlier signatures do not verify (are TOTAL-FAILED); the new
    /// signature's report then says so (`EarlierSignatureFailed:`). A locked document is
    /// refused all the same.
    pub force: bool,
}

impl<'a> OfdSealOptions<'a> {
    /// Seals on the first page, placed automatically, now, unlocked.
    pub fn new(seal: &'a Seal, signer: &'a dyn Signer, certificate: &'a Certificate) -> Self {
        OfdSealOptions {
            seal,
            signer,
            certificate,
            placement: OfdPlacement::Page {
                page: 0,
                boundary: None,
            },
            signing_time: SystemTime::now(),
            lock: false,
            force: false,
        }
    }
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::Invalid(detail.into())
}

/// Adds a seal signature to the OFD `package` and returns the new package.
pub fn seal_ofd(package: &Package, options: &OfdSealOptions<'_>) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::with_capacity(package.bytes().map_or(0, <[u8]>::len)));
    seal_ofd_to(package, &mut out, options)?;
    Ok(out.into_inner())
}

/// [`seal_ofd`] writing the new package to `out`: every file is digested as it is streamed
/// and every unchanged one copied as its compressed data ([`Package::rewrite_to`]), so a
/// package opened from a file ([`Package::open`]) is never held whole.
pub fn seal_ofd_to<W: Write + Seek>(
    package: &Package,
    out: &mut W,
    options: &OfdSealOptions<'_>,
) -> Result<()> {
    let ofd_xml = package
        .get("/OFD.xml")
        .ok_or_else(|| Error::malformed("OFD package", "no OFD.xml"))?;
    let root = parse_ofd_xml(ofd_xml)?;
    let body: &DocBody = root
        .doc_bodies
        .first()
        .ok_or_else(|| Error::malformed("OFD.xml", "no DocBody"))?;
    let document_xml = package.get(&body.doc_root).ok_or_else(|| {
        Error::malformed("OFD package", format!("no {} (DocRoot)", body.doc_root))
    })?;
    let document = parse_document(document_xml, &body.doc_root)?;

    let mut changes: Vec<(String, Vec<u8>)> = Vec::new();
    let (signatures_path, signatures_xml) = match &body.signatures {
        Some(path) => {
            let existing = package
                .get(path)
                .ok_or_else(|| Error::malformed("OFD package", format!("no {path}")))?;
            (path.clone(), Some(existing))
        }
        None => {
            let path = resolve(&body.doc_root, "Signs/Signatures.xml")?;
            let relative = path.trim_start_matches('/');
            changes.push(("/OFD.xml".into(), with_signatures_entry(ofd_xml, relative)?));
            (path, None)
        }
    };
    let listed = signatures_xml
        .map(|xml| parse_signatures(xml, &signatures_path))
        .transpose()?;
    let earlier = listed.as_ref().map_or(&[][..], |l| l.signatures.as_slice());
    for entry in earlier {
        let locks = package
            .get(&entry.base_loc)
            .and_then(|xml| parse_signature(xml, &entry.base_loc).ok())
            .is_some_and(|xml| xml.references.iter().any(|r| r.file_ref == signatures_path));
        if locks {
            return Err(Error::DocumentRefused(format!(
                "signature {} locks the document: it protects {signatures_path}",
                entry.id
            )));
        }
    }
    if !options.force {
        refuse_failed_signatures(package, options.signing_time)?;
    }

    let id = next_id(
        listed.as_ref().and_then(|l| l.max_sign_id.as_deref()),
        earlier.iter().map(|s| s.id.as_str()),
    );
    let folder = (0..)
        .map(|n| resolve(&signatures_path, &format!("Sign_{n}")).map(|p| p + "/"))
        .find(|folder| match folder {
            Ok(folder) => !package
                .entries()
                .iter()
                .any(|e| e.path().starts_with(folder)),
            Err(_) => true,
        })
        .unwrap_or_else(|| Err(invalid("no free signature folder")))?;
    let signature_path = format!("{folder}Signature.xml");
    let signed_value_path = format!("{folder}SignedValue.dat");
    let seal_path = format!("{folder}Seal.esl");

    let (page_ref, boundary) = stamp_place(package, &document, options)?;
    changes.push((seal_path.clone(), options.seal.der().to_vec()));
    let new_list = with_signature_entry(signatures_xml, id, &signature_path)?;

    let mut references = Vec::new();
    for entry in package.entries() {
        let path = entry.path();
        if path == signatures_path {
            continue;
        }
        let digest = match changes.iter().find(|(changed, _)| *changed == path) {
            Some((_, data)) => sm3::Sm3::digest(data),
            None => {
                let mut hasher = sm3::Sm3::new();
                entry.for_each_chunk(&mut |chunk| hasher.update(chunk))?;
                hasher.finalize()
            }
        };
        references.push((path, digest));
    }
    references.push((seal_path.clone(), sm3::Sm3::digest(options.seal.der())));
    if options.lock {
        references.push((signatures_path.clone(), sm3::Sm3::digest(&new_list)));
    }

    let algorithm = options.signer.algorithm();
    let signature_xml = signature_xml(&SignatureXmlParts {
        method: signature_method(algorithm)?,
        time: options.signing_time,
        references: &references,
        page_ref: &page_ref,
        boundary,
        seal_path: &seal_path,
        signed_value_path: &signed_value_path,
    })?;
    let signed = sign_with_seal(
        options.seal,
        &signature_xml,
        &signature_path,
        options.certificate,
        options.signer,
        options.signing_time,
    )?;
    changes.push((signatures_path, new_list));
    changes.push((signature_path, signature_xml));
    changes.push((signed_value_path, signed.der().to_vec()));
    let changes: Vec<(&str, &[u8])> = changes
        .iter()
        .map(|(path, data)| (path.as_str(), data.as_slice()))
        .collect();
    package.rewrite_to(out, &changes)
}

/// Refuses a package with a signature that does not verify as of `at` (TOTAL-FAILED: a
/// changed or missing file, a broken signature value, a malformed signature), naming
/// each with its reasons. Checked without trust anchors, so a signature whose only
/// failings are its chain or its time (INDETERMINATE) does not stop a new seal.
fn refuse_failed_signatures(package: &Package, at: SystemTime) -> Result<()> {
    let report = verify_ofd(package, &TrustStore::new(), at, &VerifyOptions::default())?;
    let failed: Vec<String> = report
        .signatures
        .iter()
        .filter(|s| s.indication == Indication::TotalFailed)
        .map(|s| {
            let sub = s.sub_indication.map_or(String::new(), |s| format!("/{s}"));
            let reasons: Vec<String> = s
                .reasons
                .iter()
                .filter(|r| r.verdict().0 == Indication::TotalFailed)
                .map(|r| format!("{}: {r}", r.code()))
                .collect();
            format!(
                "  {} is {}{sub}: {}",
                s.field.as_deref().unwrap_or("a signature"),
                s.indication,
                reasons.join("; ")
            )
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::DocumentRefused(format!(
        "earlier signatures do not verify, so no seal is added (force adds it anyway):\n{}",
        failed.join("\n")
    )))
}

/// The next signature ID: one more than `MaxSignId` and every numeric ID in the list.
fn next_id<'a>(max: Option<&'a str>, ids: impl Iterator<Item = &'a str>) -> u64 {
    max.into_iter()
        .chain(ids)
        .filter_map(|id| id.trim().parse::<u64>().ok())
        .max()
        .map_or(1, |n| n.saturating_add(1))
}

/// The `SignatureMethod` OID for `algorithm`.
fn signature_method(algorithm: Algorithm) -> Result<&'static str> {
    match algorithm {
        Algorithm::Sm2Sm3 => Ok(crate::seal::OID_SM2_SM3),
        Algorithm::EcdsaP256Sha256 => Ok(crate::seal::OID_ECDSA_SHA256),
        other => Err(Error::UnsupportedAlgorithm(format!(
            "{other:?} for OFD seal signatures (SM2 or ECDSA P-256)"
        ))),
    }
}

/// The page ID and the boundary (mm) of the stamp annotation.
fn stamp_place(
    package: &Package,
    document: &super::xml::DocumentXml,
    options: &OfdSealOptions<'_>,
) -> Result<(String, [f64; 4])> {
    let picture = &options.seal.picture;
    let (w, h) = (picture.width_mm as f64, picture.height_mm as f64);
    if !(w > 0.0 && h > 0.0) {
        return Err(invalid("the seal picture has no size"));
    }
    match &options.placement {
        OfdPlacement::Page { page, boundary } => {
            let entry = document.pages.get(*page).ok_or_else(|| {
                invalid(format!(
                    "page {} asked for, the document has {}",
                    page + 1,
                    document.pages.len()
                ))
            })?;
            let boundary = match boundary {
                Some(b) => *b,
                None => {
                    let area = document.physical_box.unwrap_or([0.0, 0.0, 210.0, 297.0]);
                    [
                        area[0] + area[2] - w - EDGE_MARGIN,
                        area[1] + area[3] - h - EDGE_MARGIN,
                        w,
                        h,
                    ]
                }
            };
            if !boundary.iter().all(|v| v.is_finite()) || boundary[2] <= 0.0 || boundary[3] <= 0.0 {
                return Err(invalid("the seal boundary must have a positive size"));
            }
            Ok((entry.id.clone(), boundary))
        }
        OfdPlacement::Keyword {
            keyword,
            occurrence,
        } => {
            let mut remaining = *occurrence;
            for page in &document.pages {
                let Some(content) = package.get(&page.base_loc) else {
                    continue;
                };
                let mut centres = keyword_centres(content, &page.base_loc, keyword)?;
                for id in page_templates(content, &page.base_loc)? {
                    let Some(template) = document.template_pages.iter().find(|t| t.id == id) else {
                        continue;
                    };
                    if let Some(content) = package_file(package, &template.base_loc) {
                        centres.extend(keyword_centres(content, &template.base_loc, keyword)?);
                    }
                }
                if let Some((x, y)) = centres.get(remaining) {
                    return Ok((page.id.clone(), [x - w / 2.0, y - h / 2.0, w, h]));
                }
                remaining -= centres.len();
            }
            Err(Error::KeywordNotFound {
                keyword: keyword.clone(),
                occurrence: *occurrence,
            })
        }
    }
}

/// The file at `path`, or else the only one whose path differs from it in letter case
/// alone (tax-bureau invoices name `TPLS/Tpl_0/Content.xml` for `Tpls/Tpl_0/Content.xml`).
fn package_file<'p>(package: &'p Package, path: &str) -> Option<&'p [u8]> {
    if let Some(bytes) = package.get(path) {
        return Some(bytes);
    }
    let mut same = package
        .entries()
        .iter()
        .filter(|e| e.path().eq_ignore_ascii_case(path));
    match (same.next(), same.next()) {
        (Some(entry), None) => package.get(&entry.path()),
        _ => None,
    }
}

/// What goes into a new `Signature.xml`.
struct SignatureXmlParts<'a> {
    method: &'a str,
    time: SystemTime,
    references: &'a [(String, sm3::digest::Output<sm3::Sm3>)],
    page_ref: &'a str,
    boundary: [f64; 4],
    seal_path: &'a str,
    signed_value_path: &'a str,
}

/// A length in mm as OFD writes it: at most three decimals, no trailing zeros.
fn mm(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `Signature.xml` (GB/T 33190 clause 18.2.2).
fn signature_xml(parts: &SignatureXmlParts<'_>) -> Result<Vec<u8>> {
    let time = time::OffsetDateTime::from_unix_timestamp(unix_seconds(parts.time))
        .map_err(|e| invalid(format!("signing time: {e}")))?;
    let date_time = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        time.year(),
        time.month() as u8,
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signature xmlns:ofd=\"{OFD_NAMESPACE}\"><ofd:SignedInfo>\
         <ofd:Provider ProviderName=\"eseal\" Version=\"{}\"/>\
         <ofd:SignatureMethod>{}</ofd:SignatureMethod>\
         <ofd:SignatureDateTime>{date_time}</ofd:SignatureDateTime>\
         <ofd:References CheckMethod=\"{CHECK_METHOD_SM3}\">",
        env!("CARGO_PKG_VERSION"),
        parts.method,
    );
    for (path, digest) in parts.references {
        xml.push_str(&format!(
            "<ofd:Reference FileRef=\"{}\"><ofd:CheckValue>{}</ofd:CheckValue></ofd:Reference>",
            escape(path.as_str()),
            BASE64.encode(digest)
        ));
    }
    let [x, y, w, h] = parts.boundary;
    xml.push_str(&format!(
        "</ofd:References><ofd:StampAnnot ID=\"1\" PageRef=\"{}\" Boundary=\"{} {} {} {}\"/>\
         <ofd:Seal><ofd:BaseLoc>{}</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>\
         <ofd:SignedValue>{}</ofd:SignedValue></ofd:Signature>",
        escape(parts.page_ref),
        mm(x),
        mm(y),
        mm(w),
        mm(h),
        escape(parts.seal_path),
        escape(parts.signed_value_path),
    ));
    Ok(xml.into_bytes())
}

/// Byte offsets in an XML file: `(start_of_root_content, start_of_root_end_tag)` of the
/// root element, the prefix of its name, and the content range of the first child named
/// `child` (local name), if any.
struct Anchors {
    prefix: String,
    root_content: usize,
    root_end: usize,
    child_content: Option<(usize, usize)>,
    child_end: Option<usize>,
}

/// Finds the [`Anchors`] of `xml`, with `child` a direct child of the root element.
fn anchors(xml: &[u8], child: &[u8], what: &'static str) -> Result<Anchors> {
    let mut reader = Reader::from_reader(xml);
    let mut depth = 0usize;
    let mut found = Anchors {
        prefix: String::new(),
        root_content: 0,
        root_end: 0,
        child_content: None,
        child_end: None,
    };
    let mut child_start = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            Error::malformed(what, format!("at byte {}: {e}", reader.error_position()))
        })?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth == 1 {
                    let name = e.name();
                    found.prefix = name
                        .prefix()
                        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
                        .unwrap_or_default();
                    found.root_content = after;
                } else if depth == 2
                    && e.local_name().as_ref() == child
                    && found.child_content.is_none()
                {
                    child_start = Some(after);
                }
            }
            Event::End(e) => {
                if depth == 2 && e.local_name().as_ref() == child && found.child_content.is_none()
                    && let Some(start) = child_start {
                        found.child_content = Some((start, before));
                        found.child_end = Some(after);
                    }
                if depth == 1 {
                    found.root_end = before;
                    return Ok(found);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Err(Error::malformed(what, "the root element is not closed")),
            _ => {}
        }
    }
}

fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_string()
    } else {
        format!("{prefix}:{local}")
    }
}

/// `Signatures.xml` listing a new signature `id` at `base_loc`, with `MaxSignId` raised:
/// the existing list edited in place (earlier entries byte-identical), or a new one.
fn with_signature_entry(existing: Option<&[u8]>, id: u64, base_loc: &str) -> Result<Vec<u8>> {
    let Some(xml) = existing else {
        return Ok(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signatures xmlns:ofd=\"{OFD_NAMESPACE}\">\
             <ofd:MaxSignId>{id}</ofd:MaxSignId>\
             <ofd:Signature ID=\"{id}\" Type=\"Seal\" BaseLoc=\"{}\"/></ofd:Signatures>",
            escape(base_loc)
        )
        .into_bytes());
    };
    let at = anchors(xml, b"MaxSignId", "Signatures.xml")?;
    let max = qualified(&at.prefix, "MaxSignId");
    let entry = format!(
        "<{} ID=\"{id}\" Type=\"Seal\" BaseLoc=\"{}\"/>",
        qualified(&at.prefix, "Signature"),
        escape(base_loc)
    );
    let mut out = Vec::with_capacity(xml.len() + entry.len() + 32);
    match at.child_content {
        Some((start, end)) => {
            out.extend_from_slice(&xml[..start]);
            out.extend_from_slice(id.to_string().as_bytes());
            out.extend_from_slice(&xml[end..at.root_end]);
        }
        None => {
            out.extend_from_slice(&xml[..at.root_content]);
            out.extend_from_slice(format!("<{max}>{id}</{max}>").as_bytes());
            out.extend_from_slice(&xml[at.root_content..at.root_end]);
        }
    }
    out.extend_from_slice(entry.as_bytes());
    out.extend_from_slice(&xml[at.root_end..]);
    Ok(out)
}

/// `OFD.xml` with `<ofd:Signatures>` added to its first `DocBody`.
fn with_signatures_entry(ofd_xml: &[u8], signatures: &str) -> Result<Vec<u8>> {
    let at = anchors(ofd_xml, b"DocBody", "OFD.xml")?;
    let (_, body_end) = at
        .child_content
        .ok_or_else(|| Error::malformed("OFD.xml", "no DocBody"))?;
    let name = qualified(&at.prefix, "Signatures");
    let mut out = ofd_xml[..body_end].to_vec();
    out.extend_from_slice(format!("<{name}>{}</{name}>", escape(signatures)).as_bytes());
    out.extend_from_slice(&ofd_xml[body_end..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_lists_are_extended_in_place() {
        let list = br#"<?xml version="1.0"?><ofd:Signatures xmlns:ofd="x"><ofd:MaxSignId>3</ofd:MaxSignId><ofd:Signature ID="3" BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>"#;
        let out = with_signature_entry(Some(list), 4, "/Doc_0/Signs/Sign_1/Signature.xml").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<?xml version="1.0"?><ofd:Signatures xmlns:ofd="x"><ofd:MaxSignId>4</ofd:MaxSignId><ofd:Signature ID="3" BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/><ofd:Signature ID="4" Type="Seal" BaseLoc="/Doc_0/Signs/Sign_1/Signature.xml"/></ofd:Signatures>"#
        );
        let bare = br#"<Signatures><Signature ID="s1" BaseLoc="a.xml"/></Signatures>"#;
        let out = with_signature_entry(Some(bare), 1, "/b.xml").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<Signatures><MaxSignId>1</MaxSignId><Signature ID="s1" BaseLoc="a.xml"/><Signature ID="1" Type="Seal" BaseLoc="/b.xml"/></Signatures>"#
        );
    }

    #[test]
    fn ofd_xml_gains_a_signatures_entry() {
        let ofd = br#"<ofd:OFD xmlns:ofd="x" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
        let out = with_signatures_entry(ofd, "Doc_0/Signs/Signatures.xml").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<ofd:OFD xmlns:ofd="x" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>"#
        );
    }

    #[test]
    fn ids_follow_the_highest_number() {
        assert_eq!(next_id(Some("2"), ["1", "s7", "5"].into_iter()), 6);
        assert_eq!(next_id(None, std::iter::empty()), 1);
    }
}
