//! The ASN.1 of CMS `SignedData` (RFC 5652) as eseal reads and writes it, with the `der`
//! derives.
//!
//! The `SET OF`s are kept as their raw contents ([`RawSet`]): DER requires them sorted,
//! but some signers do not sort them, and the signature covers the signed attributes as
//! encoded, so their bytes must survive untouched.

use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{
    Choice, Decode, DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence,
    SliceReader, Tag, Writer,
};
use spki::AlgorithmIdentifierRef;

/// `id-data` (1.2.840.113549.1.7.1, RFC 5652 clause 4).
pub const OID_DATA: &str = "1.2.840.113549.1.7.1";
/// `id-signedData` (1.2.840.113549.1.7.2, RFC 5652 clause 5.1).
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// GM/T 0010 (GB/T 35275) `data` (1.2.156.10197.6.1.4.2.1), the SM2 twin of `id-data`.
pub const OID_GM_DATA: &str = "1.2.156.10197.6.1.4.2.1";
/// GM/T 0010 (GB/T 35275) `signedData` (1.2.156.10197.6.1.4.2.2), the SM2 twin of
/// `id-signedData`.
pub const OID_GM_SIGNED_DATA: &str = "1.2.156.10197.6.1.4.2.2";
/// `id-contentType` (1.2.840.113549.1.9.3, RFC 5652 clause 11.1).
pub const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
/// `id-messageDigest` (1.2.840.113549.1.9.4, RFC 5652 clause 11.2).
pub const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
/// `id-signingTime` (1.2.840.113549.1.9.5, RFC 5652 clause 11.3).
pub const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
/// `id-aa-signingCertificate` (1.2.840.113549.1.9.16.2.12, RFC 2634 clause 5.4).
pub const OID_SIGNING_CERTIFICATE: &str = "1.2.840.113549.1.9.16.2.12";
/// `id-aa-signingCertificateV2` (1.2.840.113549.1.9.16.2.47, RFC 5035 clause 3).
pub const OID_SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
/// `id-aa-signatureTimeStampToken` (1.2.840.113549.1.9.16.2.14, RFC 3161 appendix A).
pub const OID_SIGNATURE_TIME_STAMP_TOKEN: &str = "1.2.840.113549.1.9.16.2.14";

/// A `SET OF` kept as its raw contents (the elements' encodings, in their order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawSet<'a>(pub &'a [u8]);

impl FixedTag for RawSet<'_> {
    const TAG: Tag = Tag::Set;
}

impl<'a> DecodeValue<'a> for RawSet<'a> {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        Ok(RawSet(reader.read_slice(header.length())?))
    }
}

impl EncodeValue for RawSet<'_> {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.0)
    }
}

impl<'a> RawSet<'a> {
    /// The elements, each as its whole encoding (tag, length and value).
    pub fn elements(self) -> der::Result<Vec<&'a [u8]>> {
        let mut reader = SliceReader::new(self.0)?;
        let mut elements = Vec::new();
        while !reader.is_finished() {
            elements.push(reader.tlv_bytes()?);
        }
        Ok(elements)
    }

    /// The DER contents of a `SET OF` with `elements` (each a whole encoding), sorted as
    /// X.690 clause 11.6 requires.
    pub fn sorted_contents(elements: &[Vec<u8>]) -> Vec<u8> {
        let mut sorted: Vec<&Vec<u8>> = elements.iter().collect();
        sorted.sort();
        sorted.dedup();
        sorted.into_iter().flatten().copied().collect()
    }
}

/// ```text
/// ContentInfo ::= SEQUENCE {
///   contentType ContentType,
///   content [0] EXPLICIT ANY DEFINED BY contentType }
/// ```
/// (RFC 5652 clause 3)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct ContentInfo<'a> {
    pub content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub content: AnyRef<'a>,
}

/// ```text
/// SignedData ::= SEQUENCE {
///   version CMSVersion,
///   digestAlgorithms DigestAlgorithmIdentifiers,
///   encapContentInfo EncapsulatedContentInfo,
///   certificates [0] IMPLICIT CertificateSet OPTIONAL,
///   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///   signerInfos SignerInfos }
/// ```
/// (RFC 5652 clause 5.1)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct SignedDataAsn1<'a> {
    pub version: u8,
    pub digest_algorithms: RawSet<'a>,
    pub encap_content_info: EncapsulatedContentInfo<'a>,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub certificates: Option<RawSet<'a>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub crls: Option<RawSet<'a>>,
    pub signer_infos: RawSet<'a>,
}

/// ```text
/// EncapsulatedContentInfo ::= SEQUENCE {
///   eContentType ContentType,
///   eContent [0] EXPLICIT OCTET STRING OPTIONAL }
/// ```
/// (RFC 5652 clause 5.2)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct EncapsulatedContentInfo<'a> {
    pub econtent_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub econtent: Option<AnyRef<'a>>,
}

/// ```text
/// SignerInfo ::= SEQUENCE {
///   version CMSVersion,
///   sid SignerIdentifier,
///   digestAlgorithm DigestAlgorithmIdentifier,
///   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
///   signatureAlgorithm SignatureAlgorithmIdentifier,
///   signature SignatureValue,
///   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
/// ```
/// (RFC 5652 clause 5.3)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct SignerInfoAsn1<'a> {
    pub version: u8,
    pub sid: SignerIdentifierAsn1<'a>,
    pub digest_algorithm: AlgorithmIdentifierRef<'a>,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub signed_attrs: Option<RawSet<'a>>,
    pub signature_algorithm: AlgorithmIdentifierRef<'a>,
    pub signature: &'a OctetStringRef,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub unsigned_attrs: Option<RawSet<'a>>,
}

/// ```text
/// SignerIdentifier ::= CHOICE {
///   issuerAndSerialNumber IssuerAndSerialNumber,
///   subjectKeyIdentifier [0] SubjectKeyIdentifier }
/// ```
/// (RFC 5652 clause 5.3; the module has IMPLICIT tags)
#[derive(Clone, Debug, Choice)]
pub(crate) enum SignerIdentifierAsn1<'a> {
    IssuerAndSerialNumber(IssuerAndSerialNumber<'a>),
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    SubjectKeyIdentifier(&'a OctetStringRef),
}

/// ```text
/// IssuerAndSerialNumber ::= SEQUENCE {
///   issuer Name,
///   serialNumber CertificateSerialNumber }
/// ```
/// (RFC 5652 clause 10.2.4). Both are kept as encoded: they are compared byte for byte
/// with the certificate's.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct IssuerAndSerialNumber<'a> {
    pub issuer: AnyRef<'a>,
    pub serial_number: AnyRef<'a>,
}

/// ```text
/// Attribute ::= SEQUENCE {
///   attrType OBJECT IDENTIFIER,
///   attrValues SET OF AttributeValue }
/// ```
/// (RFC 5652 clause 5.3)
#[derive(Clone, Debug, Sequence)]
pub(crate) struct AttributeAsn1<'a> {
    pub oid: ObjectIdentifier,
    pub values: RawSet<'a>,
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017 A.1.1).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct RsaPublicKey<'a> {
    pub modulus: der::asn1::UintRef<'a>,
    pub public_exponent: der::asn1::UintRef<'a>,
}

/// The bit length of an RSA modulus given the raw `RSAPublicKey`.
pub(crate) fn rsa_modulus_bits(raw: &[u8]) -> Option<usize> {
    let key = RsaPublicKey::from_der(raw).ok()?;
    let bytes = key.modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}
