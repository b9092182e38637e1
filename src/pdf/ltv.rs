//! Long-term validation data in the document (PAdES B-LT, ETSI EN 319 142-1 clause 5.4.2):
//! the Document Security Store `/DSS` with the certificates, CRLs and OCSP responses a
//! verifier needs offline, written as one incremental update, and read back.

use super::document::Document;
use super::filter::deflate;
use super::form::field_tree;
use super::object::{Dict, Object, Stream, dict, name};
use super::update::Update;
use crate::cms::SignedData;
use crate::error::{Error, Result};

/// DER objects for a DSS: each list is deduplicated when written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationData {
    /// DER certificates (`/Certs`).
    pub certificates: Vec<Vec<u8>>,
    /// DER CertificateLists (`/CRLs`).
    pub crls: Vec<Vec<u8>>,
    /// DER OCSPResponses (`/OCSPs`).
    pub ocsps: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty() && self.ocsps.is_empty()
    }
}

const KEYS: [&[u8]; 3] = [b"Certs", b"CRLs", b"OCSPs"];

/// The certificates that the document's signatures, their signature timestamps and its
/// document timestamps carry: what a DSS must hold besides the revocation data.
pub fn certificates_in_signatures(doc: &Document<'_>) -> Result<Vec<Vec<u8>>> {
    let rev = doc.latest();
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut add = |certs: &[crate::pki::Certificate]| {
        for cert in certs {
            if !out.iter().any(|c| c == cert.der()) {
                out.push(cert.der().to_vec());
            }
        }
    };
    for node in field_tree(doc, rev)? {
        let Some(value) = node.dict.get(b"V") else {
            continue;
        };
        let value = doc.resolve(value, rev)?;
        let Some(Object::String { bytes, .. }) = value.as_dict().and_then(|d| d.get(b"Contents"))
        else {
            continue;
        };
        let Ok((signed, _)) = SignedData::from_der_prefix(bytes) else {
            continue;
        };
        add(signed.certificates());
        for token in signed.unsigned_attribute(crate::cms::OID_SIGNATURE_TIME_STAMP_TOKEN) {
            if let Ok((token, _)) = SignedData::from_der_prefix(token) {
                add(token.certificates());
            }
        }
    }
    Ok(out)
}

/// What the latest revision's `/DSS` holds (its streams decoded); empty when there is none.
pub fn read_dss(doc: &Document<'_>) -> Result<ValidationData> {
    let rev = doc.latest();
    let catalog = doc.catalog(rev)?;
    let Some(dss) = doc.dict_at(&catalog, b"DSS", rev)? else {
        return Ok(ValidationData::default());
    };
    let mut lists: [Vec<Vec<u8>>; 3] = Default::default();
    for (key, list) in KEYS.iter().zip(lists.iter_mut()) {
        let array = doc.resolve(dss.get(key).unwrap_or(&Object::Null), rev)?;
        for item in array.as_array().unwrap_or_default() {
            if let Object::Stream(stream) = doc.resolve(item, rev)? {
                list.push(doc.decode(&stream)?);
            }
        }
    }
    let [certificates, crls, ocsps] = lists;
    Ok(ValidationData {
        certificates,
        crls,
        ocsps,
    })
}

/// Adds `data`, and the certificates the document's signatures and timestamps carry, to
/// its `/DSS` (creating it, and the ESIC extension entry, when missing) in one incremental
/// update. Objects already in the DSS are not added again.
pub fn add_validation_data(mut pdf: Vec<u8>, data: &ValidationData) -> Result<Vec<u8>> {
    let doc = Document::parse(&pdf)?;
    let mut data = data.clone();
    data.certificates.extend(certificates_in_signatures(&doc)?);
    let rev = doc.latest();
    if doc.trailer(rev).get(b"Encrypt").is_some() {
        return Err(Error::Invalid(
            "extending encrypted PDFs is not supported".into(),
        ));
    }
    let existing = read_dss(&doc)?;
    let root = doc.root_ref(rev)?;
    let mut catalog = doc.catalog(rev)?;
    let (dss_ref, mut dss) = match catalog.get(b"DSS") {
        Some(Object::Ref(r)) => (
            Some(*r),
            doc.get(*r, rev)?.as_dict().cloned().unwrap_or_default(),
        ),
        Some(Object::Dict(d)) => (None, d.clone()),
        _ => (None, dict([("Type", name("DSS"))])),
    };
    let mut update = Update::new(&doc);
    let wanted = [&data.certificates, &data.crls, &data.ocsps];
    let present = [&existing.certificates, &existing.crls, &existing.ocsps];
    for ((key, wanted), present) in KEYS.iter().zip(wanted).zip(present) {
        let mut array = doc
            .resolve(dss.get(key).unwrap_or(&Object::Null), rev)?
            .as_array()
            .unwrap_or_default()
            .to_vec();
        let mut added: Vec<&Vec<u8>> = Vec::new();
        for der in wanted {
            if present.contains(der) || added.contains(&der) {
                continue;
            }
            added.push(der);
            let r = update.alloc();
            update.put(
                r,
                &Object::Stream(Stream {
                    dict: dict([("Filter", name("FlateDecode"))]),
                    data: deflate(der),
                    deferred: None,
                }),
            );
            array.push(Object::Ref(r));
        }
        if !array.is_empty() {
            dss.set(key, Object::Array(array));
        }
    }
    let dss_ref = dss_ref.unwrap_or_else(|| update.alloc());
    update.put(dss_ref, &Object::Dict(dss));
    if catalog.reference(b"DSS") != Some(dss_ref) {
        catalog.set(b"DSS", Object::Ref(dss_ref));
    }
    add_esic_extension(&doc, &mut catalog)?;
    update.put(root, &Object::Dict(catalog));
    update.write(&mut pdf);
    Ok(pdf)
}

/// Declares the ETSI extension (`/ESIC`, ETSI EN 319 142-1 clause 5.4.1) in the catalog.
fn add_esic_extension(doc: &Document<'_>, catalog: &mut Dict) -> Result<()> {
    let rev = doc.latest();
    let mut extensions = doc
        .dict_at(catalog, b"Extensions", rev)?
        .unwrap_or_default();
    if extensions.get(b"ESIC").is_none() {
        extensions.set(
            b"ESIC",
            Object::Dict(dict([
                ("BaseVersion", name("1.7")),
                ("ExtensionLevel", Object::Int(5)),
            ])),
        );
        catalog.set(b"Extensions", Object::Dict(extensions));
    }
    Ok(())
}
