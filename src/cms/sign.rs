//! Writing a detached CMS `SignedData` for PAdES (PDF.md §1a; ETSI EN 319 122-1 clause
//! 5.2 for the CAdES attributes) or one with encapsulated content (an RFC 3161 token),
//! and adding unsigned attributes to one afterwards.

use std::time::SystemTime;

use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode, Tag};
use spki::AlgorithmIdentifierRef;

use super::asn1::{
    AttributeAsn1, ContentInfo, EncapsulatedContentInfo, IssuerAndSerialNumber, OID_CONTENT_TYPE,
    OID_DATA, OID_MESSAGE_DIGEST, OID_SIGNED_DATA, OID_SIGNING_CERTIFICATE_V2, OID_SIGNING_TIME,
    RawSet, SignedDataAsn1, SignerIdentifierAsn1, SignerInfoAsn1,
};
use super::digest::DigestAlgorithm;
use super::ess;
use crate::crypto::{PublicKey, Signer};
use crate::error::{Error, Result};
use crate::pki::Certificate;

/// What goes into a detached `SignedData`.
pub struct SignOptions<'a> {
    /// The signer's key.
    pub signer: &'a dyn Signer,
    /// The signer's certificate (its key must be the signer's).
    pub certificate: &'a Certificate,
    /// Intermediate certificates to embed after the signer's.
    pub chain: &'a [Certificate],
    /// Claimed signing-time attribute (RFC 5652 §11.3); PAdES leaves it None,
    /// adbe.pkcs7.detached may set it.
    pub signing_time: Option<SystemTime>,
}

fn encoding(detail: der::Error) -> Error {
    Error::malformed("CMS SignedData", detail)
}

fn oid(dotted: &str) -> Result<ObjectIdentifier> {
    ObjectIdentifier::new(dotted).map_err(|e| Error::malformed("OID", e))
}

/// Builds a DER `ContentInfo { signedData }` (RFC 5652 clauses 3 and 5) without
/// `eContent`, over content whose digest (with [`DigestAlgorithm::for_signature`] of the
/// signer's algorithm) is `content_digest`.
///
/// `SignedData` version 1, `digestAlgorithms` that digest, `encapContentInfo` `id-data`,
/// `certificates` the signer's and `chain`; one `SignerInfo` version 1 with an
/// `issuerAndSerialNumber` sid and the signed attributes content-type, message-digest,
/// signingCertificateV2 (RFC 5035) and, when asked for, signing-time. The signature is
/// over the DER `SET OF` the attributes (RFC 5652 clause 5.4).
pub fn sign_detached(content_digest: &[u8], options: &SignOptions<'_>) -> Result<Vec<u8>> {
    sign(None, content_digest, options, true)
}

/// Builds a DER `ContentInfo { signedData }` (RFC 5652 clauses 3 and 5) that carries
/// `econtent` as `eContent` of type `econtent_type` (a dotted OID), e.g. the `TSTInfo`
/// (`id-ct-TSTInfo` 1.2.840.113549.1.9.16.1.4) of an RFC 3161 token.
///
/// As [`sign_detached`], except: `SignedData` version 3 unless the type is `id-data`
/// (RFC 5652 clause 5.1), the `content-type` attribute is `econtent_type` and the
/// `message-digest` attribute the digest of the `econtent` octets (clause 11). With
/// `include_certificates` false, `certificates` is omitted (RFC 3161 `certReq` FALSE).
pub fn sign_encapsulated(
    econtent_type: &str,
    econtent: &[u8],
    options: &SignOptions<'_>,
    include_certificates: bool,
) -> Result<Vec<u8>> {
    let digest = DigestAlgorithm::for_signature(options.signer.algorithm()).digest(econtent);
    sign(
        Some((econtent_type, econtent)),
        &digest,
        options,
        include_certificates,
    )
}

/// The one `SignedData` writer: detached (`econtent` None, `id-data`) or encapsulated.
fn sign(
    econtent: Option<(&str, &[u8])>,
    content_digest: &[u8],
    options: &SignOptions<'_>,
    include_certificates: bool,
) -> Result<Vec<u8>> {
    let algorithm = options.signer.algorithm();
    let digest = DigestAlgorithm::for_signature(algorithm);
    if content_digest.len() != digest.output_len() {
        return Err(Error::Invalid(format!(
            "a {}-byte content digest for {}, which takes {} ({} bytes)",
            content_digest.len(),
            algorithm,
            digest.name(),
            digest.output_len()
        )));
    }
    check_key(options)?;
    let content_type = econtent.map_or(OID_DATA, |(oid, _)| oid);
    let cert = options.certificate;
    let attrs = signed_attributes(content_type, content_digest, options)?;
    let set_der = RawSet(&attrs).to_der().map_err(encoding)?;
    let signature = options.signer.sign(&set_der)?;
    let digest_algorithm = AlgorithmIdentifierRef {
        oid: oid(digest.oid())?,
        parameters: None,
    };
    let signature_algorithm_der = algorithm.signature_algorithm_der();
    let signer_info = SignerInfoAsn1 {
        version: 1,
        sid: SignerIdentifierAsn1::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: AnyRef::try_from(cert.issuer_der()).map_err(encoding)?,
            serial_number: AnyRef::new(Tag::Integer, cert.serial()).map_err(encoding)?,
        }),
        digest_algorithm,
        signed_attrs: Some(RawSet(&attrs)),
        signature_algorithm: AlgorithmIdentifierRef::from_der(&signature_algorithm_der)
            .map_err(encoding)?,
        signature: OctetStringRef::new(&signature).map_err(encoding)?,
        unsigned_attrs: None,
    }
    .to_der()
    .map_err(encoding)?;
    let certificates: Vec<Vec<u8>> = std::iter::once(cert)
        .chain(options.chain)
        .map(|c| c.der().to_vec())
        .collect();
    let certificates = RawSet::sorted_contents(&certificates);
    let digest_algorithms = digest_algorithm.to_der().map_err(encoding)?;
    let econtent_octets = econtent
        .map(|(_, content)| {
            OctetStringRef::new(content)
                .and_then(|o| o.to_der())
                .map_err(encoding)
        })
        .transpose()?;
    let signed_data = SignedDataAsn1 {
        // RFC 5652 clause 5.1: 3 when eContentType is not id-data (the sid is
        // issuerAndSerialNumber and there are no other certificate or CRL kinds).
        version: if content_type == OID_DATA { 1 } else { 3 },
        digest_algorithms: RawSet(&digest_algorithms),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid(content_type)?,
            econtent: econtent_octets
                .as_deref()
                .map(AnyRef::try_from)
                .transpose()
                .map_err(encoding)?,
        },
        certificates: include_certificates.then_some(RawSet(&certificates)),
        crls: None,
        signer_infos: RawSet(&signer_info),
    }
    .to_der()
    .map_err(encoding)?;
    content_info(&signed_data)
}

/// The certificate's key must be the signer's.
fn check_key(options: &SignOptions<'_>) -> Result<()> {
    let cert_key = options.certificate.public_key()?;
    let signer_key = PublicKey::from_spki_der(options.signer.public_key_spki())?;
    if cert_key != signer_key {
        return Err(Error::Invalid(format!(
            "the signing key is not the key of {}",
            options.certificate.subject()
        )));
    }
    Ok(())
}

/// The DER contents of the signed attributes, sorted as a DER `SET OF`.
fn signed_attributes(
    content_type: &str,
    content_digest: &[u8],
    options: &SignOptions<'_>,
) -> Result<Vec<u8>> {
    let mut attrs = vec![
        attribute(
            OID_CONTENT_TYPE,
            &oid(content_type)?.to_der().map_err(encoding)?,
        )?,
        attribute(
            OID_MESSAGE_DIGEST,
            &OctetStringRef::new(content_digest)
                .and_then(|d| d.to_der())
                .map_err(encoding)?,
        )?,
        attribute(
            OID_SIGNING_CERTIFICATE_V2,
            &ess::signing_certificate_v2(options.certificate)?,
        )?,
    ];
    if let Some(time) = options.signing_time {
        // RFC 5652 clause 11.3: UTCTime through 2049, GeneralizedTime after.
        let time = x509_cert::time::Time::try_from(time)
            .and_then(|t| t.to_der())
            .map_err(|e| Error::Invalid(format!("signing time: {e}")))?;
        attrs.push(attribute(OID_SIGNING_TIME, &time)?);
    }
    Ok(RawSet::sorted_contents(&attrs))
}

/// The DER `Attribute` with one value (`value` a whole encoding).
fn attribute(attr_type: &str, value: &[u8]) -> Result<Vec<u8>> {
    AttributeAsn1 {
        oid: oid(attr_type)?,
        values: RawSet(value),
    }
    .to_der()
    .map_err(encoding)
}

/// `ContentInfo { id-signedData, [0] signed_data }`.
fn content_info(signed_data: &[u8]) -> Result<Vec<u8>> {
    ContentInfo {
        content_type: oid(OID_SIGNED_DATA)?,
        content: AnyRef::try_from(signed_data).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)
}

/// Adds an unsigned attribute with one value (`value`, a whole DER encoding) to the
/// first `SignerInfo` of the DER `ContentInfo { signedData }` `cms`, e.g. the signature
/// timestamp `id-aa-signatureTimeStampToken` 1.2.840.113549.1.9.16.2.14 of PAdES B-T
/// (RFC 3161 appendix A). Every other part keeps its encoding, so the signature stays
/// valid. Bytes after the DER (PDF zero padding) are dropped.
pub fn add_unsigned_attribute(cms: &[u8], attr_type: &str, value: &[u8]) -> Result<Vec<u8>> {
    let malformed = |e: der::Error| Error::malformed("CMS SignedData", e);
    AnyRef::from_der(value).map_err(|e| Error::malformed("attribute value", e))?;
    let mut reader = der::SliceReader::new(cms).map_err(malformed)?;
    let tlv = der::Reader::tlv_bytes(&mut reader).map_err(malformed)?;
    let info = ContentInfo::from_der(tlv).map_err(malformed)?;
    if info.content_type.to_string() != OID_SIGNED_DATA {
        return Err(Error::malformed("CMS SignedData", "not id-signedData"));
    }
    let signed_data: SignedDataAsn1<'_> = info.content.decode_as().map_err(malformed)?;
    let signers = signed_data.signer_infos.elements().map_err(malformed)?;
    let (first, others) = signers
        .split_first()
        .ok_or_else(|| Error::malformed("CMS SignedData", "no SignerInfo"))?;
    let signer = SignerInfoAsn1::from_der(first).map_err(malformed)?;
    let mut unsigned: Vec<Vec<u8>> = match signer.unsigned_attrs {
        Some(set) => set
            .elements()
            .map_err(malformed)?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect(),
        None => Vec::new(),
    };
    unsigned.push(attribute(attr_type, value)?);
    let unsigned = RawSet::sorted_contents(&unsigned);
    let signer = SignerInfoAsn1 {
        unsigned_attrs: Some(RawSet(&unsigned)),
        ..signer
    }
    .to_der()
    .map_err(encoding)?;
    let signers: Vec<u8> = std::iter::once(signer.as_slice())
        .chain(others.iter().copied())
        .flatten()
        .copied()
        .collect();
    let signed_data = SignedDataAsn1 {
        signer_infos: RawSet(&signers),
        ..signed_data
    }
    .to_der()
    .map_err(encoding)?;
    content_info(&signed_data)
}
