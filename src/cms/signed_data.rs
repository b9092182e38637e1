//! Reading a `ContentInfo` holding a `SignedData` (RFC 5652 clauses 3 and 5) into owned
//! parts, keeping what verification needs as encoded.

use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use spki::AlgorithmIdentifierRef;

use super::algorithms::AlgId;
use super::asn1::{
    AttributeAsn1, ContentInfo, OID_GM_DATA, OID_GM_SIGNED_DATA, OID_SIGNED_DATA, RawSet,
    SignedDataAsn1, SignerIdentifierAsn1, SignerInfoAsn1,
};
use super::ber;
use super::digest::DigestAlgorithm;
use crate::error::{Error, Result};
use crate::pki::Certificate;

/// A parsed CMS `SignedData` (RFC 5652 clause 5.1).
///
/// ```text
/// ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
/// SignedData ::= SEQUENCE {
///   version CMSVersion,
///   digestAlgorithms SET OF DigestAlgorithmIdentifier,
///   encapContentInfo EncapsulatedContentInfo,
///   certificates [0] IMPLICIT CertificateSet OPTIONAL,
///   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///   signerInfos SET OF SignerInfo }
/// ```
///
/// At least one `SignerInfo` is present; the accessors about "the signer" read the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedData {
    pub(super) version: u8,
    pub(super) digest_algorithms: Vec<String>,
    pub(super) econtent_type: String,
    pub(super) econtent: Option<Vec<u8>>,
    pub(super) certificates: Vec<Certificate>,
    pub(super) unreadable_certificates: usize,
    pub(super) crls: Vec<Vec<u8>>,
    /// The first `SignerInfo`.
    pub(super) signer: SignerInfo,
    pub(super) signer_count: usize,
    /// Read from BER through [`ber::to_der`].
    pub(super) ber: bool,
    /// GM/T 0010: content type `signedData` 1.2.156.10197.6.1.4.2.2 or `eContentType`
    /// `data` 1.2.156.10197.6.1.4.2.1.
    pub(super) gm: bool,
}

/// One `SignerInfo` (RFC 5652 clause 5.3), owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SignerInfo {
    pub version: u8,
    pub sid: SignerId,
    pub digest_algorithm: AlgId,
    pub signed_attrs: Option<SignedAttributes>,
    pub signature_algorithm: AlgId,
    pub signature: Vec<u8>,
    pub unsigned_attrs: Vec<Attribute>,
}

/// `SignerIdentifier` (RFC 5652 clause 5.3), as encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum SignerId {
    /// `issuerAndSerialNumber`: the DER `Name` and the serial number's content octets.
    IssuerAndSerial {
        /// The issuer `Name`, a whole encoding.
        issuer: Vec<u8>,
        /// The `INTEGER`'s content octets.
        serial: Vec<u8>,
    },
    /// `subjectKeyIdentifier`.
    KeyId(Vec<u8>),
}

/// `signedAttrs`: the attributes and the DER that the signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SignedAttributes {
    /// The attributes re-tagged as `SET OF` (tag 0x31) in DER, sorted (X.690 clause
    /// 11.6), as RFC 5652 clause 5.4 signs them.
    pub set_der: Vec<u8>,
    /// The `SET OF` in the order received, when that is not DER's.
    pub received: Option<Vec<u8>>,
    /// The attributes in their order.
    pub attributes: Vec<Attribute>,
}

/// An `Attribute` (RFC 5652 clause 5.3): its type and each value's whole encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Attribute {
    pub oid: String,
    pub values: Vec<Vec<u8>>,
}

fn malformed(detail: impl ToString) -> Error {
    Error::malformed("CMS SignedData", detail)
}

impl SignedData {
    /// Parses a `ContentInfo` holding a `SignedData` at the start of `bytes` and
    /// returns it with the bytes after its encoding (a PDF `/Contents` is zero-padded).
    ///
    /// DER is read as is; BER (RFC 5652 allows it outside the signed attributes) is read
    /// as its DER equivalent (`ber::to_der`) and then [`SignedData::is_ber`] is true.
    ///
    /// Errors when the encoding is neither, the content type is neither `id-signedData`
    /// (1.2.840.113549.1.7.2) nor GM/T 0010 `signedData` (1.2.156.10197.6.1.4.2.2), or
    /// there is no `SignerInfo`. Certificates that do not parse are skipped (see
    /// [`SignedData::certificates`]).
    pub fn from_der_prefix(bytes: &[u8]) -> Result<(SignedData, &[u8])> {
        let der_error = match Self::from_der_only(bytes) {
            Ok(parsed) => return Ok(parsed),
            Err(e) => e,
        };
        let Ok((der, used)) = ber::to_der(bytes) else {
            return Err(der_error);
        };
        if bytes.get(..used) == Some(der.as_slice()) {
            return Err(der_error);
        }
        let (mut signed_data, _) = Self::from_der_only(&der)?;
        signed_data.ber = true;
        Ok((signed_data, bytes.get(used..).unwrap_or_default()))
    }

    /// Parses a `SignedData` that is not wrapped in a `ContentInfo`, as GB/T 35275 signers
    /// (ofdrw's GM/T 0010 container among them) write an OFD `SignedValue.dat`; DER or
    /// BER as for [`SignedData::from_der_prefix`]. The whole of `bytes` is the encoding.
    pub fn from_bare_signed_data(bytes: &[u8]) -> Result<SignedData> {
        let parse = |der: &[u8]| -> Result<SignedData> {
            let asn1 = SignedDataAsn1::from_der(der).map_err(malformed)?;
            Self::from_asn1(&asn1)
        };
        let der_error = match parse(bytes) {
            Ok(signed_data) => return Ok(signed_data),
            Err(e) => e,
        };
        match ber::to_der(bytes) {
            Ok((der, used)) if used == bytes.len() && der != bytes => {
                let mut signed_data = parse(&der)?;
                signed_data.ber = true;
                Ok(signed_data)
            }
            _ => Err(der_error),
        }
    }

    /// [`SignedData::from_der_prefix`] for DER alone.
    fn from_der_only(bytes: &[u8]) -> Result<(SignedData, &[u8])> {
        let mut reader = SliceReader::new(bytes).map_err(malformed)?;
        let tlv = reader.tlv_bytes().map_err(malformed)?;
        let rest = bytes.get(tlv.len()..).unwrap_or_default();
        let info = ContentInfo::from_der(tlv).map_err(malformed)?;
        let content_type = info.content_type.to_string();
        if content_type != OID_SIGNED_DATA && content_type != OID_GM_SIGNED_DATA {
            return Err(malformed(format!(
                "content type {content_type}, not id-signedData"
            )));
        }
        let asn1: SignedDataAsn1<'_> = info.content.decode_as().map_err(malformed)?;
        let mut signed_data = Self::from_asn1(&asn1)?;
        signed_data.gm |= content_type == OID_GM_SIGNED_DATA;
        Ok((signed_data, rest))
    }

    fn from_asn1(asn1: &SignedDataAsn1<'_>) -> Result<SignedData> {
        let encap = &asn1.encap_content_info;
        let econtent = match encap.econtent {
            Some(any) if any.tag() == Tag::OctetString => Some(any.value().to_vec()),
            Some(any) => return Err(malformed(format!("eContent is a {}", any.tag()))),
            None => None,
        };
        let digest_algorithms = asn1
            .digest_algorithms
            .elements()
            .map_err(malformed)?
            .into_iter()
            .map(|alg| AlgorithmIdentifierRef::from_der(alg).map(|a| a.oid.to_string()))
            .collect::<der::Result<Vec<_>>>()
            .map_err(malformed)?;
        let mut certificates = Vec::new();
        let mut unreadable_certificates = 0;
        for element in elements(asn1.certificates)? {
            match Certificate::from_der(element) {
                Ok(cert) => certificates.push(cert),
                Err(_) => unreadable_certificates += 1,
            }
        }
        // RevocationInfoChoice: a CertificateList is a SEQUENCE; `other [1]` is skipped.
        let crls = elements(asn1.crls)?
            .into_iter()
            .filter(|crl| crl.first() == Some(&0x30))
            .map(<[u8]>::to_vec)
            .collect();
        let signers = asn1
            .signer_infos
            .elements()
            .map_err(malformed)?
            .into_iter()
            .map(SignerInfo::from_der)
            .collect::<Result<Vec<_>>>()?;
        let signer_count = signers.len();
        let signer = signers
            .into_iter()
            .next()
            .ok_or_else(|| malformed("no SignerInfo"))?;
        Ok(SignedData {
            version: asn1.version,
            digest_algorithms,
            econtent_type: encap.econtent_type.to_string(),
            econtent,
            certificates,
            unreadable_certificates,
            crls,
            signer,
            signer_count,
            ber: false,
            gm: encap.econtent_type.to_string() == OID_GM_DATA,
        })
    }

    /// Whether the `SignedData` was BER, read as its DER equivalent (RFC 5652 allows BER
    /// outside the signed attributes).
    pub fn is_ber(&self) -> bool {
        self.ber
    }

    /// Whether it is a GM/T 0010 (GB/T 35275) `SignedData`: content type
    /// 1.2.156.10197.6.1.4.2.2 or `eContentType` 1.2.156.10197.6.1.4.2.1.
    pub fn is_gm_t_0010(&self) -> bool {
        self.gm
    }

    /// The certificates of `certificates` that parse as X.509 (RFC 5280); others
    /// (attribute certificates, unreadable ones) are skipped.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The DER `CertificateList`s of `crls` (RFC 5652 clause 10.2.1); other revocation
    /// formats are skipped.
    pub fn crls(&self) -> &[Vec<u8>] {
        &self.crls
    }

    /// Whether `encapContentInfo` carries `eContent` (a detached signature has none).
    pub fn has_econtent(&self) -> bool {
        self.econtent.is_some()
    }

    /// `eContent`'s octets, when present (e.g. the `TSTInfo` of an RFC 3161 token).
    pub fn econtent(&self) -> Option<&[u8]> {
        self.econtent.as_deref()
    }

    /// `eContentType`, a dotted OID (`id-data` 1.2.840.113549.1.7.1 for PDF signatures).
    pub fn econtent_type(&self) -> &str {
        &self.econtent_type
    }

    /// The number of `SignerInfo`s (a PDF signature has exactly one).
    pub fn signer_count(&self) -> usize {
        self.signer_count
    }

    /// The signer's `digestAlgorithm` (RFC 5652 clause 5.3), or its OID when eseal does
    /// not know it.
    pub fn digest_algorithm(&self) -> std::result::Result<DigestAlgorithm, UnknownAlgorithm> {
        let oid = &self.signer().digest_algorithm.oid;
        DigestAlgorithm::from_oid(oid).ok_or_else(|| UnknownAlgorithm { oid: oid.clone() })
    }

    /// The `SignerInfo` `signature` OCTET STRING (an RFC 3161 signature-timestamp imprint
    /// is over it, RFC 3161 appendix A).
    pub fn signature_value(&self) -> &[u8] {
        &self.signer().signature
    }

    /// Unsigned attribute values by dotted OID (the DER of each `AttributeValue`), e.g.
    /// `id-aa-signatureTimeStampToken` 1.2.840.113549.1.9.16.2.14.
    pub fn unsigned_attribute(&self, oid: &str) -> Vec<&[u8]> {
        attribute_values(&self.signer().unsigned_attrs, oid)
    }

    /// Signed attribute values by dotted OID (the DER of each `AttributeValue`); empty
    /// when there are no signed attributes.
    pub fn signed_attribute(&self, oid: &str) -> Vec<&[u8]> {
        self.signer()
            .signed_attrs
            .as_ref()
            .map(|attrs| attribute_values(&attrs.attributes, oid))
            .unwrap_or_default()
    }

    /// Whether the signature is over the content itself rather than over signed
    /// attributes (RFC 5652 clause 5.4): then [`SignedData::verify_with_content`] needs
    /// the content.
    pub fn signs_content_directly(&self) -> bool {
        self.signer().signed_attrs.is_none()
    }

    /// The first `SignerInfo`.
    pub(super) fn signer(&self) -> &SignerInfo {
        &self.signer
    }
}

/// The values of every attribute of type `oid`.
pub(super) fn attribute_values<'a>(attributes: &'a [Attribute], oid: &str) -> Vec<&'a [u8]> {
    attributes
        .iter()
        .filter(|a| a.oid == oid)
        .flat_map(|a| a.values.iter().map(Vec::as_slice))
        .collect()
}

/// The elements of an optional `SET OF`.
fn elements(set: Option<RawSet<'_>>) -> Result<Vec<&[u8]>> {
    set.map_or(Ok(Vec::new()), |s| s.elements().map_err(malformed))
}

impl SignerInfo {
    fn from_der(der: &[u8]) -> Result<SignerInfo> {
        let asn1 = SignerInfoAsn1::from_der(der).map_err(malformed)?;
        let sid = match &asn1.sid {
            SignerIdentifierAsn1::IssuerAndSerialNumber(ias) => {
                if ias.issuer.tag() != Tag::Sequence || ias.serial_number.tag() != Tag::Integer {
                    return Err(malformed(
                        "issuerAndSerialNumber is not a Name and an INTEGER",
                    ));
                }
                SignerId::IssuerAndSerial {
                    issuer: ias.issuer.to_der().map_err(malformed)?,
                    serial: ias.serial_number.value().to_vec(),
                }
            }
            SignerIdentifierAsn1::SubjectKeyIdentifier(id) => {
                SignerId::KeyId(id.as_bytes().to_vec())
            }
        };
        let signed_attrs = match asn1.signed_attrs {
            Some(set) => {
                let received = set.to_der().map_err(malformed)?;
                let mut elements = set.elements().map_err(malformed)?;
                elements.sort();
                let sorted: Vec<u8> = elements.concat();
                let set_der = RawSet(&sorted).to_der().map_err(malformed)?;
                Some(SignedAttributes {
                    received: (set_der != received).then_some(received),
                    set_der,
                    attributes: attributes(set)?,
                })
            }
            None => None,
        };
        let unsigned_attrs = match asn1.unsigned_attrs {
            Some(set) => attributes(set)?,
            None => Vec::new(),
        };
        Ok(SignerInfo {
            version: asn1.version,
            sid,
            digest_algorithm: AlgId::from_ref(&asn1.digest_algorithm).map_err(malformed)?,
            signed_attrs,
            signature_algorithm: AlgId::from_ref(&asn1.signature_algorithm).map_err(malformed)?,
            signature: asn1.signature.as_bytes().to_vec(),
            unsigned_attrs,
        })
    }
}

/// The `Attribute`s of a `SET OF Attribute`.
fn attributes(set: RawSet<'_>) -> Result<Vec<Attribute>> {
    set.elements()
        .map_err(malformed)?
        .into_iter()
        .map(|element| {
            let attr = AttributeAsn1::from_der(element).map_err(malformed)?;
            Ok(Attribute {
                oid: attr.oid.to_string(),
                values: attr
                    .values
                    .elements()
                    .map_err(malformed)?
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect(),
            })
        })
        .collect()
}

/// An `AlgorithmIdentifier` whose OID eseal does not know; shown as the dotted OID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{oid}")]
#[non_exhaustive]
pub struct UnknownAlgorithm {
    /// The OID, dotted.
    pub oid: String,
}
