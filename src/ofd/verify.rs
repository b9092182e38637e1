//! Verifying the signatures of an OFD package (GB/T 33190 clause 18, GB/T 38540 clause 7;
//! SES-OFD.md §5 and §6).
//!
//! Every signature that a document's `Signatures.xml` lists, and every `Signature.xml` in
//! the package that none lists, gets one [`SignatureReport`]: the seal-signature checks of
//! SES-OFD.md §5b over the bytes of `Signature.xml` (or, for `Type="Sign"`, a CMS or bare
//! SM2 signature over them), together with the package checks of §6: the referenced files
//! and their digests, the `Seal.esl` copy, files no reference protects, and the pages the
//! `StampAnnot`s name. Each file is hashed at most once per digest algorithm.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use der::{Decode, Tag, Tagged};
use sha2::Digest;

use super::package::Package;
use super::xml::{
    DocumentXml, OfdRoot, SignatureKind, SignatureXml, parse_document, parse_ofd_xml,
    parse_signature, parse_signatures,
};
use crate::cms::SignedData;
use crate::crypto::Algorithm;
use crate::error::{Error, Result};
use crate::pki::{Certificate, TrustStore, Usage};
use crate::report::{Indication, Reason, Report, ReportKind, SignatureReport};
use crate::seal::{SealSignature, verify_seal_signature};

/// The most signatures one package may hold.
pub const MAX_SIGNATURES: usize = 1_000;

/// The most [`Reason::UnprotectedFile`] one signature reports; the rest are counted in a
/// warning, so that many signatures over many files stay a small report.
pub const MAX_UNPROTECTED_REPORTED: usize = 100;

/// What [`verify_ofd`] may use besides the package and the trust store.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Certificates of signers whose signatures carry none: a bare SM2 `SignedValue.dat`
    /// (`Type="Sign"`) is checked against each; a CMS signature may find its signer here.
    pub signer_certificates: Vec<Certificate>,
}

/// The digest a `CheckMethod` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum CheckDigest {
    Sm3,
    Sha256,
}

/// SES-OFD.md §3: SM3 under its OID, its name or the `.2` variant; SHA-256 if named.
/// Anything else (MD5, SHA-1, unknown, absent) is refused.
fn check_digest(method: Option<&str>) -> Option<CheckDigest> {
    let method = method?.trim();
    match method.to_ascii_lowercase().as_str() {
        "1.2.156.10197.1.401" | "1.2.156.10197.1.401.2" | "sm3" => Some(CheckDigest::Sm3),
        "2.16.840.1.101.3.4.2.1" | "sha-256" | "sha256" => Some(CheckDigest::Sha256),
        _ => None,
    }
}

/// File digests, each computed once.
struct Digests<'p> {
    package: &'p Package<'p>,
    cache: HashMap<(CheckDigest, String), Vec<u8>>,
}

impl<'p> Digests<'p> {
    /// The digest of the file at `path`, or `None` when the package has no such file.
    fn get(&mut self, digest: CheckDigest, path: &str) -> Option<&[u8]> {
        let key = (digest, path.to_string());
        if !self.cache.contains_key(&key) {
            // Streamed: a large file left in the package file is never held whole. A
            // file that can no longer be read as it was checked has no digest.
            let value = match digest {
                CheckDigest::Sm3 => {
                    let mut hasher = sm3::Sm3::new();
                    self.package
                        .digest_into(path, &mut |chunk| hasher.update(chunk))?
                        .ok()?;
                    hasher.finalize().to_vec()
                }
                CheckDigest::Sha256 => {
                    let mut hasher = sha2::Sha256::new();
                    self.package
                        .digest_into(path, &mut |chunk| hasher.update(chunk))?
                        .ok()?;
                    hasher.finalize().to_vec()
                }
            };
            self.cache.insert(key.clone(), value);
        }
        self.cache.get(&key).map(Vec::as_slice)
    }
}

/// A signature to verify: listed in a `Signatures.xml`, or found in the package only.
struct Found {
    /// The index of its `DocBody`.
    doc: usize,
    /// `ID` and `Type` from `Signatures.xml`, when listed.
    listed: Option<(String, SignatureKind)>,
    /// The package path of its `Signature.xml`.
    base_loc: String,
    /// Its `Signature.xml`, read.
    parsed: Result<SignatureXml>,
}

impl Found {
    /// The package files that belong to the signature itself.
    fn own_files(&self) -> Vec<&str> {
        let mut files = vec![self.base_loc.as_str()];
        if let Ok(xml) = &self.parsed {
            files.push(&xml.signed_value);
            if let Some(seal) = &xml.seal_base_loc {
                files.push(seal);
            }
        }
        files
    }
}

/// One signature's findings before the `Signatures.xml` rule is settled.
struct Outcome {
    kind: ReportKind,
    reasons: Vec<Reason>,
    warnings: Vec<String>,
    details: Option<SignatureReport>,
    /// The document's `Signatures.xml`, referenced with a digest that no longer matches.
    signatures_changed: Option<String>,
    /// `Seal.esl` differs from the seal inside `SignedValue.dat`.
    seal_file_differs: bool,
}

impl Outcome {
    fn new() -> Self {
        Outcome {
            kind: ReportKind::OfdSignature,
            reasons: Vec::new(),
            warnings: Vec::new(),
            details: None,
            signatures_changed: None,
            seal_file_differs: false,
        }
    }

    fn indication(&self) -> Indication {
        self.reasons
            .iter()
            .map(|r| r.verdict().0)
            .max()
            .unwrap_or(Indication::TotalPassed)
    }

    fn into_report(self, field: &str) -> SignatureReport {
        let mut report = SignatureReport::new(self.kind, self.reasons);
        if let Some(details) = self.details {
            report.signer = details.signer;
            report.seal = details.seal;
            report.signing_time = details.signing_time;
            report.signing_time_source = details.signing_time_source;
            report.chain = details.chain;
            report.revocation = details.revocation;
        }
        report.field = Some(field.to_string());
        report.warnings = self.warnings;
        report
    }
}

/// Verifies every signature of the OFD `package` as of `at` (SES-OFD.md §6).
///
/// Each entry's `field` is the package path of its `Signature.xml`, its `kind`
/// `ofd-seal-signature` (GB/T 38540) or `ofd-signature` (`Type="Sign"`). The warnings of
/// SES-OFD.md §6 start with their names: `SignatureNotListed:`, `LaterSignaturesAdded:`,
/// `PropertyInfoMismatch:`, and `EarlierSignatureFailed:` on a signature added over one
/// that is TOTAL-FAILED; `UnprotectedEntryFile:` when `OFD.xml` is not protected but can
/// only lead to the protected document (tax-bureau e-invoices), where any other file no
/// reference protects is [`Reason::UnprotectedFile`].
///
/// Errors only when the package is not an OFD that can be read: no or malformed `OFD.xml`,
/// a malformed `Signatures.xml`, more than `MAX_SIGNATURES` signatures. A package without
/// signatures gives a report without entries.
pub fn verify_ofd(
    package: &Package,
    store: &TrustStore,
    at: SystemTime,
    options: &VerifyOptions,
) -> Result<Report> {
    let ofd_xml = package
        .get("/OFD.xml")
        .ok_or_else(|| Error::malformed("OFD package", "no OFD.xml at the package root"))?;
    let root = parse_ofd_xml(ofd_xml)?;
    let documents: Vec<std::result::Result<DocumentXml, String>> = root
        .doc_bodies
        .iter()
        .map(|body| match package.get(&body.doc_root) {
            Some(bytes) => parse_document(bytes, &body.doc_root).map_err(|e| e.to_string()),
            None => Err(format!("{} is not in the package", body.doc_root)),
        })
        .collect();
    let signature_lists: HashSet<&str> = root
        .doc_bodies
        .iter()
        .filter_map(|b| b.signatures.as_deref())
        .collect();

    let mut found: Vec<Found> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut listed_by_doc: Vec<Vec<(String, String)>> = vec![Vec::new(); root.doc_bodies.len()];
    for (doc, body) in root.doc_bodies.iter().enumerate() {
        let Some(path) = &body.signatures else {
            continue;
        };
        let Some(bytes) = package.get(path) else {
            continue;
        };
        let listed = parse_signatures(bytes, path)?.signatures;
        if listed.len() > MAX_SIGNATURES {
            return Err(too_many());
        }
        for entry in listed {
            if let Some(list) = listed_by_doc.get_mut(doc) {
                list.push((entry.id.clone(), entry.base_loc.clone()));
            }
            if seen.insert(entry.base_loc.clone()) {
                found.push(Found {
                    doc,
                    parsed: read_signature(package, &entry.base_loc),
                    listed: Some((entry.id, entry.kind)),
                    base_loc: entry.base_loc,
                });
            }
            if found.len() > MAX_SIGNATURES {
                return Err(too_many());
            }
        }
    }
    for entry in package.entries() {
        let path = entry.path();
        if entry.name().rsplit('/').next() == Some("Signature.xml") && !seen.contains(&path) {
            let doc = root
                .doc_bodies
                .iter()
                .position(|b| path.starts_with(folder(&b.doc_root)))
                .unwrap_or(0);
            found.push(Found {
                doc,
                listed: None,
                parsed: entry.data().and_then(|xml| parse_signature(xml, &path)),
                base_loc: path,
            });
            if found.len() > MAX_SIGNATURES {
                return Err(too_many());
            }
        }
    }

    let paths: Vec<String> = package.entries().iter().map(|e| e.path()).collect();
    let mut digests = Digests {
        package,
        cache: HashMap::new(),
    };
    // Later signatures' files are exempt from a signature's coverage; walk from the last.
    // Signatures no list names are not known to be later: their files stay unprotected.
    let mut later: HashSet<&str> = HashSet::new();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(found.len());
    for signature in found.iter().rev() {
        let document = documents
            .get(signature.doc)
            .ok_or_else(|| Error::malformed("OFD package", "a signature without a document"))?;
        let signatures_xml = root
            .doc_bodies
            .get(signature.doc)
            .and_then(|b| b.signatures.as_deref());
        let context = Context {
            package,
            store,
            at,
            options,
            root: &root,
            document,
            signatures_xml,
            signature_lists: &signature_lists,
            later: &later,
            paths: &paths,
        };
        outcomes.push(verify_one(&context, signature, &mut digests));
        if signature.listed.is_some() {
            later.extend(signature.own_files());
        }
    }
    outcomes.reverse();

    settle_signature_lists(&found, &mut outcomes, &listed_by_doc);
    note_failed_earlier(&found, &mut outcomes);
    let signatures = found
        .iter()
        .zip(outcomes)
        .map(|(f, o)| o.into_report(&f.base_loc))
        .collect();
    Ok(Report::new(at, signatures))
}

fn too_many() -> Error {
    Error::malformed(
        "OFD package",
        format!("more than {MAX_SIGNATURES} signatures"),
    )
}

/// The folder of a package path, with its trailing `/`.
fn folder(path: &str) -> &str {
    match path.rfind('/') {
        Some(slash) => path.get(..=slash).unwrap_or("/"),
        None => "/",
    }
}

fn read_signature(package: &Package, path: &str) -> Result<SignatureXml> {
    match package.get(path) {
        Some(bytes) => parse_signature(bytes, path),
        None => Err(Error::malformed(
            "OFD package",
            format!("{path} is listed in Signatures.xml but not in the package"),
        )),
    }
}

/// What one signature's checks need besides the signature.
struct Context<'a> {
    package: &'a Package<'a>,
    store: &'a TrustStore,
    at: SystemTime,
    options: &'a VerifyOptions,
    root: &'a OfdRoot,
    document: &'a std::result::Result<DocumentXml, String>,
    signatures_xml: Option<&'a str>,
    signature_lists: &'a HashSet<&'a str>,
    later: &'a HashSet<&'a str>,
    /// The package path of every file.
    paths: &'a [String],
}

fn verify_one(context: &Context<'_>, found: &Found, digests: &mut Digests<'_>) -> Outcome {
    let mut outcome = Outcome::new();
    let package = context.package;
    let Some(xml_bytes) = package.get(&found.base_loc) else {
        outcome.reasons.push(Reason::ReferencedFileMissing {
            path: found.base_loc.clone(),
        });
        return outcome;
    };
    let xml = match &found.parsed {
        Ok(xml) => xml,
        Err(e) => {
            outcome.reasons.push(Reason::Malformed(e.to_string()));
            return outcome;
        }
    };
    if found.listed.is_none() {
        outcome.warnings.push(format!(
            "SignatureNotListed: {} is in the package but no Signatures.xml lists it",
            found.base_loc
        ));
    }
    let listed_kind = found.listed.as_ref().map(|(_, kind)| *kind);
    match package.get(&xml.signed_value) {
        None => outcome.reasons.push(Reason::ReferencedFileMissing {
            path: xml.signed_value.clone(),
        }),
        Some(value) => match signed_value_kind(value) {
            ValueKind::Ses => {
                if listed_kind == Some(SignatureKind::Sign) {
                    outcome.warnings.push(
                        "Signatures.xml says Type=\"Sign\" but SignedValue.dat holds a seal signature"
                            .into(),
                    );
                }
                seal_signature(context, found, xml, xml_bytes, value, &mut outcome);
            }
            kind => {
                if listed_kind == Some(SignatureKind::Seal) {
                    outcome.warnings.push(
                        "Signatures.xml says Type=\"Seal\" but SignedValue.dat holds a plain signature"
                            .into(),
                    );
                }
                digital_signature(context, kind, xml_bytes, value, &mut outcome);
            }
        },
    }
    reference_checks(context, found, xml, digests, &mut outcome);
    if outcome.seal_file_differs {
        outcome.reasons.push(Reason::SealFileMismatch);
    }
    stamp_checks(context, xml, &mut outcome);
    outcome
}

/// What `SignedValue.dat` holds (SES-OFD.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueKind {
    Ses,
    Cms,
    BareSm2,
}

/// `1.2.840.113549.1.7.2` and GM/T 0010 `1.2.156.10197.6.1.4.2.2`, content octets.
const SIGNED_DATA_OIDS: [&[u8]; 2] = [
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02],
    &[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02, 0x02],
];

fn signed_value_kind(value: &[u8]) -> ValueKind {
    // A CMS may be BER (RFC 5652): judged by its DER equivalent.
    let transcoded = crate::cms::ber::to_der(value)
        .ok()
        .filter(|(der, used)| value.get(..*used) != Some(der.as_slice()));
    let value = transcoded.as_ref().map_or(value, |(der, _)| der.as_slice());
    let Ok(elements) = Vec::<der::Any>::from_der(value) else {
        return ValueKind::Ses;
    };
    match elements.as_slice() {
        [first, ..]
            if first.tag() == Tag::ObjectIdentifier
                && SIGNED_DATA_OIDS.contains(&first.value()) =>
        {
            ValueKind::Cms
        }
        [r, s] if r.tag() == Tag::Integer && s.tag() == Tag::Integer => ValueKind::BareSm2,
        // A SignedData without its ContentInfo (GB/T 35275 as ofdrw writes it).
        [version, algorithms, encap, ..]
            if version.tag() == Tag::Integer
                && algorithms.tag() == Tag::Set
                && encap.tag() == Tag::Sequence =>
        {
            ValueKind::Cms
        }
        _ => ValueKind::Ses,
    }
}

/// §5b over the bytes of Signature.xml, the `Seal.esl` copy and `propertyInfo`.
fn seal_signature(
    context: &Context<'_>,
    found: &Found,
    xml: &SignatureXml,
    xml_bytes: &[u8],
    value: &[u8],
    outcome: &mut Outcome,
) {
    outcome.kind = ReportKind::OfdSealSignature;
    let signature = match SealSignature::from_der(value) {
        Ok(signature) => signature,
        Err(e) => {
            outcome
                .reasons
                .push(Reason::Malformed(format!("{}: {e}", xml.signed_value)));
            return;
        }
    };
    let report = verify_seal_signature(&signature, context.store, context.at, Some(xml_bytes));
    outcome.reasons.extend(report.reasons.iter().cloned());
    outcome.warnings.extend(report.warnings.iter().cloned());
    outcome.details = Some(report);
    if let Some(seal_path) = &xml.seal_base_loc
        && let Some(seal_file) = context.package.get(seal_path)
        && seal_file != signature.seal.der()
    {
        outcome.seal_file_differs = true;
    }
    let property_info = signature.property_info.trim();
    if property_info.trim_start_matches('/') != found.base_loc.trim_start_matches('/') {
        outcome.warnings.push(format!(
            "PropertyInfoMismatch: propertyInfo {property_info:?} is not the path of Signature.xml {}",
            found.base_loc
        ));
    }
}

/// `Type="Sign"`: a CMS `SignedData` (RFC 5652 or GM/T 0010, DER or BER) or a bare SM2
/// signature over Signature.xml.
fn digital_signature(
    context: &Context<'_>,
    kind: ValueKind,
    xml_bytes: &[u8],
    value: &[u8],
    outcome: &mut Outcome,
) {
    let signer = match kind {
        ValueKind::BareSm2 => bare_sm2_signer(context, xml_bytes, value, outcome),
        _ => cms_signer(context, xml_bytes, value, outcome),
    };
    let Some((signer, chain)) = signer else {
        return;
    };
    let validation = context
        .store
        .validate(&signer, &chain, context.at, Usage::Signer);
    outcome.reasons.extend(validation.reasons.iter().cloned());
    outcome.warnings.extend(validation.warnings.iter().cloned());
    let mut details = SignatureReport::new(outcome.kind, Vec::new());
    details.signer = Some(signer.subject().to_string());
    details.chain = validation.chain.iter().map(Certificate::summary).collect();
    details.revocation = validation.revocation_found();
    outcome.details = Some(details);
}

fn bare_sm2_signer(
    context: &Context<'_>,
    xml_bytes: &[u8],
    value: &[u8],
    outcome: &mut Outcome,
) -> Option<(Certificate, Vec<Certificate>)> {
    let candidates = &context.options.signer_certificates;
    if candidates.is_empty() {
        outcome.reasons.push(Reason::NoSigningCertificate);
        return None;
    }
    let signer = candidates.iter().find(|cert| {
        cert.public_key()
            .and_then(|key| key.verify(Algorithm::Sm2Sm3, xml_bytes, value))
            .is_ok()
    });
    match signer {
        Some(cert) => Some((cert.clone(), candidates.clone())),
        None => {
            let empty_id = candidates.iter().find_map(|cert| {
                let key = cert.public_key().ok()?;
                let reason = Reason::signature_failure(
                    &key,
                    xml_bytes,
                    value,
                    cert.subject(),
                    Reason::SignatureInvalid,
                );
                (reason != Reason::SignatureInvalid).then_some(reason)
            });
            outcome
                .reasons
                .push(empty_id.unwrap_or(Reason::SignatureInvalid));
            None
        }
    }
}

fn cms_signer(
    context: &Context<'_>,
    xml_bytes: &[u8],
    value: &[u8],
    outcome: &mut Outcome,
) -> Option<(Certificate, Vec<Certificate>)> {
    let parsed = SignedData::from_der_prefix(value).or_else(|e| {
        SignedData::from_bare_signed_data(value)
            .map(|signed_data| (signed_data, &[][..]))
            .map_err(|_| e)
    });
    let (signed_data, rest) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            outcome.reasons.push(Reason::CmsMalformed(e.to_string()));
            return None;
        }
    };
    if !rest.is_empty() {
        outcome.reasons.push(Reason::CmsMalformed(
            "bytes follow the SignedData in SignedValue.dat".into(),
        ));
    }
    let extra = &context.options.signer_certificates;
    let verification = if let Some(econtent) = signed_data.econtent() {
        // Attached: Signature.xml itself, or its digest as ofdrw's GB/T 35275 signer
        // writes it.
        let digest = signed_data.digest_algorithm().map(|a| a.digest(xml_bytes));
        if econtent != xml_bytes && digest.as_deref() != Ok(econtent) {
            outcome.reasons.push(Reason::DataHashMismatch);
        }
        signed_data.verify_encapsulated(extra, false)
    } else {
        let algorithm = match signed_data.digest_algorithm() {
            Ok(algorithm) => algorithm,
            Err(oid) => {
                outcome
                    .reasons
                    .push(Reason::UnsupportedAlgorithm(format!("digest {oid}")));
                return None;
            }
        };
        let digest = algorithm.digest(xml_bytes);
        let content = || xml_bytes.to_vec();
        signed_data.verify_with_content(&digest, Some(&content), extra, false)
    };
    outcome.reasons.extend(verification.reasons);
    outcome.warnings.extend(verification.warnings);
    let mut chain = signed_data.certificates().to_vec();
    chain.extend(extra.iter().cloned());
    verification.signer.map(|signer| (signer, chain))
}

/// The references, their digests, and the files none protects.
fn reference_checks(
    context: &Context<'_>,
    found: &Found,
    xml: &SignatureXml,
    digests: &mut Digests<'_>,
    outcome: &mut Outcome,
) {
    let method = xml.check_method.as_deref();
    let digest = check_digest(method);
    if digest.is_none() {
        outcome.reasons.push(Reason::UnsupportedDigest {
            method: method.unwrap_or("(none)").to_string(),
        });
    }
    let mut referenced: HashSet<&str> = HashSet::with_capacity(xml.references.len());
    for reference in &xml.references {
        let path = reference.file_ref.as_str();
        if !referenced.insert(path) && digest.is_some() {
            continue;
        }
        if !context.package.contains(path) {
            outcome.reasons.push(Reason::ReferencedFileMissing {
                path: path.to_string(),
            });
            continue;
        }
        let Some(digest) = digest else {
            continue;
        };
        if digests.get(digest, path) != Some(reference.check_value.as_slice()) {
            if Some(path) == context.signatures_xml {
                outcome.signatures_changed = Some(path.to_string());
            } else {
                outcome.reasons.push(Reason::ReferenceDigestMismatch {
                    path: path.to_string(),
                });
            }
        }
    }
    if let Some(seal) = &xml.seal_base_loc
        && !referenced.contains(seal.as_str())
        && !context.package.contains(seal)
    {
        outcome
            .reasons
            .push(Reason::ReferencedFileMissing { path: seal.clone() });
    }
    let mut unprotected = 0usize;
    for path in context.paths {
        let exempt = referenced.contains(path.as_str())
            || context.signature_lists.contains(path.as_str())
            || *path == found.base_loc
            || *path == xml.signed_value
            || context.later.contains(path.as_str());
        if !exempt && path == ENTRY_FILE && entry_file_points_here(context, found, &referenced) {
            outcome.warnings.push(format!(
                "UnprotectedEntryFile: {ENTRY_FILE} is not protected by the signature; its \
                 DocRoot and Signatures name the protected {} and the list holding this \
                 signature, and its DocInfo (metadata, not shown on the pages) is not covered",
                context
                    .root
                    .doc_bodies
                    .first()
                    .map_or("", |b| b.doc_root.as_str())
            ));
        } else if !exempt {
            unprotected += 1;
            if unprotected <= MAX_UNPROTECTED_REPORTED {
                outcome
                    .reasons
                    .push(Reason::UnprotectedFile { path: path.clone() });
            }
        }
    }
    if unprotected > MAX_UNPROTECTED_REPORTED {
        outcome.warnings.push(format!(
            "{} more files are not protected by the signature",
            unprotected - MAX_UNPROTECTED_REPORTED
        ));
    }
}

/// The package's entry file (GB/T 33190 clause 7.4).
const ENTRY_FILE: &str = "/OFD.xml";

/// Whether an `OFD.xml` the signature does not protect (as tax-bureau e-invoices sign)
/// can only lead a reader to what the signature protects: it has one `DocBody`, with
/// nothing besides `DocInfo`, `DocRoot` and `Signatures` (no `Versions`); its `DocRoot`
/// is a `Document.xml` the signature references and its `Signatures` the list that
/// names this signature. Anything else leaves `OFD.xml` an unprotected file.
fn entry_file_points_here(
    context: &Context<'_>,
    found: &Found,
    referenced: &HashSet<&str>,
) -> bool {
    let [body] = context.root.doc_bodies.as_slice() else {
        return false;
    };
    found.doc == 0
        && found.listed.is_some()
        && body.other_elements.is_empty()
        && referenced.contains(body.doc_root.as_str())
        && body.signatures.is_some()
        && body.signatures.as_deref() == context.signatures_xml
}

/// Each `StampAnnot`'s `PageRef` names a page of the document.
fn stamp_checks(context: &Context<'_>, xml: &SignatureXml, outcome: &mut Outcome) {
    if xml.stamp_annots.is_empty() {
        return;
    }
    match context.document {
        Ok(document) => {
            let pages: HashSet<&str> = document.pages.iter().map(|p| p.id.as_str()).collect();
            for annot in &xml.stamp_annots {
                if !pages.contains(annot.page_ref.as_str()) {
                    outcome.reasons.push(Reason::StampPageMissing {
                        id: annot.id.clone(),
                    });
                }
            }
        }
        Err(e) => outcome
            .reasons
            .push(Reason::Malformed(format!("Document.xml: {e}"))),
    }
}

/// A signature that protects the `Signature.xml` of another that is TOTAL-FAILED was
/// added over a signature that does not verify (`eseal ofd seal --force`): a warning on
/// it, naming the other and the codes of its failures; its own verdict stays its own.
fn note_failed_earlier(found: &[Found], outcomes: &mut [Outcome]) {
    let failed: Vec<(&str, Vec<&'static str>)> = found
        .iter()
        .zip(outcomes.iter())
        .filter(|(_, o)| o.indication() == Indication::TotalFailed)
        .map(|(f, o)| {
            let mut codes: Vec<&'static str> = Vec::new();
            for reason in &o.reasons {
                if reason.verdict().0 == Indication::TotalFailed && !codes.contains(&reason.code())
                {
                    codes.push(reason.code());
                }
            }
            (f.base_loc.as_str(), codes)
        })
        .collect();
    if failed.is_empty() {
        return;
    }
    for (signature, outcome) in found.iter().zip(outcomes.iter_mut()) {
        let Ok(xml) = &signature.parsed else {
            continue;
        };
        for (path, codes) in &failed {
            if *path != signature.base_loc && xml.references.iter().any(|r| r.file_ref == *path) {
                outcome.warnings.push(format!(
                    "EarlierSignatureFailed: this signature was added over {path}, which does \
                     not verify ({})",
                    codes.join(", ")
                ));
            }
        }
    }
}

/// SES-OFD.md §6: a signature's Signatures.xml digest may differ only because later
/// signatures were added, i.e. if the list still holds it (ID and BaseLoc) and every other
/// signature listed verifies (is not TOTAL-FAILED); then it is a warning, else a mismatch.
fn settle_signature_lists(
    found: &[Found],
    outcomes: &mut [Outcome],
    listed_by_doc: &[Vec<(String, String)>],
) {
    let failed: HashSet<&str> = found
        .iter()
        .zip(outcomes.iter())
        .filter(|(_, o)| o.indication() == Indication::TotalFailed)
        .map(|(f, _)| f.base_loc.as_str())
        .collect();
    for (signature, outcome) in found.iter().zip(outcomes.iter_mut()) {
        let Some(path) = outcome.signatures_changed.take() else {
            continue;
        };
        let listed = listed_by_doc
            .get(signature.doc)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let holds_this = signature.listed.as_ref().is_some_and(|(id, _)| {
            listed
                .iter()
                .any(|(i, b)| i == id && *b == signature.base_loc)
        });
        let others: Vec<&str> = listed
            .iter()
            .map(|(_, b)| b.as_str())
            .filter(|b| *b != signature.base_loc)
            .collect();
        let others_verify = !others.is_empty() && others.iter().all(|b| !failed.contains(b));
        if holds_this && others_verify {
            outcome.warnings.push(format!(
                "LaterSignaturesAdded: {path} changed after signing; the signatures listed \
                 since were added to it"
            ));
        } else {
            outcome
                .reasons
                .push(Reason::ReferenceDigestMismatch { path });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_methods() {
        for sm3 in ["1.2.156.10197.1.401", "SM3", "sm3", "1.2.156.10197.1.401.2"] {
            assert_eq!(check_digest(Some(sm3)), Some(CheckDigest::Sm3), "{sm3}");
        }
        assert_eq!(check_digest(Some("SHA-256")), Some(CheckDigest::Sha256));
        for weak in ["MD5", "SHA-1", "1.2.840.113549.2.5", "x"] {
            assert_eq!(check_digest(Some(weak)), None, "{weak}");
        }
        assert_eq!(check_digest(None), None);
    }

    #[test]
    fn signed_value_kinds() {
        assert_eq!(
            signed_value_kind(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]),
            ValueKind::BareSm2
        );
        let cms = [
            0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
        ];
        assert_eq!(signed_value_kind(&cms), ValueKind::Cms);
        let ber = [
            0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0x00,
            0x00,
        ];
        assert_eq!(signed_value_kind(&ber), ValueKind::Cms);
        let bare = [0x30, 0x07, 0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x00];
        assert_eq!(signed_value_kind(&bare), ValueKind::Cms);
        assert_eq!(signed_value_kind(b"junk"), ValueKind::Ses);
    }
}
