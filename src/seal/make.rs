//! Making seals (制章) and signing with them (签章), GB/T 38540 v4, strict DER.

use std::time::SystemTime;

use super::structures::{
    CertList, ExtData, OID_ECDSA_SHA256, OID_SM2_SM3, PictureInfo, Seal, SealSignature, SesVersion,
};
use super::tlv::{self, tag};
use super::verify::{data_hash, ses_algorithm};
use crate::cms::DigestAlgorithm;
use crate::cms::tsa::Timestamper;
use crate::crypto::{Algorithm, Signer};
use crate::error::{Error, Result};
use crate::pki::{Certificate, unix_seconds};

/// What an office decides when it makes a seal: everything in `SES_SealInfo` but the header.
#[derive(Clone, Debug)]
pub struct SealRequest {
    /// `vid`, the maker's vendor identifier.
    pub vendor: String,
    /// `esID`, the seal identifier (印章标识), unique within the office.
    pub es_id: String,
    /// `type`: the seal type (印章类型), e.g. 1 official seal (公章).
    pub seal_type: i64,
    /// `name`: the seal's name, e.g. "某某市市场监督管理局电子证照专用章".
    pub name: String,
    /// The signers (签章人) who may sign with the seal.
    pub cert_list: CertList,
    /// `createDate`.
    pub created: SystemTime,
    /// `validStart`.
    pub valid_start: SystemTime,
    /// `validEnd`.
    pub valid_end: SystemTime,
    /// The seal's picture.
    pub picture: PictureInfo,
    /// `extDatas`.
    pub ext_datas: Vec<ExtData>,
}

fn ses_oid(algorithm: Algorithm) -> Result<&'static str> {
    match algorithm {
        Algorithm::Sm2Sm3 => Ok(OID_SM2_SM3),
        Algorithm::EcdsaP256Sha256 => Ok(OID_ECDSA_SHA256),
        other => Err(Error::UnsupportedAlgorithm(format!(
            "{other} for seals; use SM2 or P-256"
        ))),
    }
}

fn check_key(cert: &Certificate, signer: &dyn Signer, role: &str) -> Result<()> {
    if cert.spki_der() != signer.public_key_spki() {
        return Err(Error::Invalid(format!(
            "the {role} key is not the key of {}",
            cert.subject()
        )));
    }
    Ok(())
}

fn ia5(text: &str, field: &str) -> Result<Vec<u8>> {
    if !text.is_ascii() {
        return Err(Error::Invalid(format!(
            "{field} must be ASCII (IA5String): {text:?}"
        )));
    }
    Ok(tlv::encode(tag::IA5_STRING, text.as_bytes()))
}

fn encode_ext_datas(exts: &[ExtData]) -> Result<Vec<u8>> {
    let items = exts
        .iter()
        .map(|e| {
            let mut parts = vec![tlv::oid(&e.id)?];
            if e.critical {
                parts.push(tlv::encode(tag::BOOLEAN, &[0xff]));
            }
            parts.push(tlv::encode(tag::OCTET_STRING, &e.value));
            Ok(tlv::sequence(
                &parts.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(tlv::sequence(
        &items.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    ))
}

/// Makes a v4 seal: `maker` (the 制章人, holding `maker_cert`'s key) signs the
/// `SES_SealInfo` built from `request`.
pub fn make_seal(
    request: &SealRequest,
    maker_cert: &Certificate,
    maker: &dyn Signer,
) -> Result<Seal> {
    Seal::from_der(&seal_der(request, maker_cert, maker, 4)?)
}

/// Makes a v5 seal (GM/T 0031-2025): header version 5, and the `timeStamp [0]`, an RFC
/// 3161 token from `tsa` over the maker's signature value (SES-OFD.md §1), which proves
/// the seal existed at its genTime.
pub fn make_seal_v5(
    request: &SealRequest,
    maker_cert: &Certificate,
    maker: &dyn Signer,
    tsa: &dyn Timestamper,
) -> Result<Seal> {
    let der = seal_der(request, maker_cert, maker, 5)?;
    let unstamped = Seal::from_der(&der)?;
    Seal::from_der(&with_timestamp(
        &der,
        &unstamped.signature,
        maker.algorithm(),
        tsa,
    )?)
}

/// Adds the `timeStamp [0]` of `SES_Signature` (GB/T 38540 clause 6.3): an RFC 3161 token
/// from `tsa` over the signature value, proof that the signature existed at its genTime.
pub fn timestamp_seal_signature(
    signature: &SealSignature,
    tsa: &dyn Timestamper,
) -> Result<SealSignature> {
    if signature.timestamp.is_some() {
        return Err(Error::Invalid(
            "the seal signature has a timestamp already".into(),
        ));
    }
    if signature.version == SesVersion::V1 {
        return Err(Error::Invalid(
            "a GM/T 0031-2014 (v1) seal signature has no timeStamp field".into(),
        ));
    }
    let algorithm = ses_algorithm(&signature.signature_algorithm)
        .ok_or_else(|| Error::UnsupportedAlgorithm(signature.signature_algorithm.clone()))?;
    SealSignature::from_der(&with_timestamp(
        signature.der(),
        &signature.signature,
        algorithm,
        tsa,
    )?)
}

/// `structure` (a DER SEQUENCE) with `timeStamp [0] EXPLICIT BIT STRING` appended: a token
/// over `signed_value`, its imprint made with the hash that goes with `algorithm`.
fn with_timestamp(
    structure: &[u8],
    signed_value: &[u8],
    algorithm: Algorithm,
    tsa: &dyn Timestamper,
) -> Result<Vec<u8>> {
    let digest_algorithm = DigestAlgorithm::for_signature(algorithm);
    let token = tsa.timestamp(digest_algorithm, &digest_algorithm.digest(signed_value))?;
    let kids = tlv::read_all(structure)?
        .expect(tag::SEQUENCE, "seal structure")?
        .children()?;
    let stamp = tlv::encode(tag::CONTEXT_0, &tlv::bit_string(&token));
    let mut parts: Vec<&[u8]> = kids.iter().map(|k| k.raw).collect();
    parts.push(&stamp);
    Ok(tlv::sequence(&parts))
}

/// The DER `SESeal` of `request` with header version `version` (4 or 5), without timestamp.
fn seal_der(
    request: &SealRequest,
    maker_cert: &Certificate,
    maker: &dyn Signer,
    version: i64,
) -> Result<Vec<u8>> {
    check_key(maker_cert, maker, "seal maker")?;
    let oid = ses_oid(maker.algorithm())?;
    let header = tlv::sequence(&[
        &ia5("ES", "id")?,
        &tlv::integer(version),
        &ia5(&request.vendor, "vid")?,
    ]);
    let (list_type, list) = match &request.cert_list {
        CertList::Certificates(certs) => {
            let items: Vec<Vec<u8>> = certs
                .iter()
                .map(|c| tlv::encode(tag::OCTET_STRING, c))
                .collect();
            (
                1,
                tlv::sequence(&items.iter().map(Vec::as_slice).collect::<Vec<_>>()),
            )
        }
        CertList::Digests(digests) => {
            let items = digests
                .iter()
                .map(|(kind, value)| {
                    if !kind.is_ascii() {
                        return Err(Error::Invalid(format!("digest type {kind:?}")));
                    }
                    Ok(tlv::sequence(&[
                        &tlv::encode(tag::PRINTABLE_STRING, kind.as_bytes()),
                        &tlv::encode(tag::OCTET_STRING, value),
                    ]))
                })
                .collect::<Result<Vec<_>>>()?;
            (
                2,
                tlv::sequence(&items.iter().map(Vec::as_slice).collect::<Vec<_>>()),
            )
        }
        CertList::Unreadable(_) => {
            return Err(Error::Invalid("a seal needs a certificate list".into()));
        }
    };
    if request.valid_end <= request.valid_start {
        return Err(Error::Invalid(
            "the seal's validity ends before it starts".into(),
        ));
    }
    let property = tlv::sequence(&[
        &tlv::integer(request.seal_type),
        &tlv::encode(tag::UTF8_STRING, request.name.as_bytes()),
        &tlv::integer(list_type),
        &list,
        &tlv::generalized_time(unix_seconds(request.created))?,
        &tlv::generalized_time(unix_seconds(request.valid_start))?,
        &tlv::generalized_time(unix_seconds(request.valid_end))?,
    ]);
    let p = &request.picture;
    let picture = tlv::sequence(&[
        &ia5(&p.picture_type, "picture type")?,
        &tlv::encode(tag::OCTET_STRING, &p.data),
        &tlv::integer(p.width_mm),
        &tlv::integer(p.height_mm),
    ]);
    let mut info_parts = vec![header, ia5(&request.es_id, "esID")?, property, picture];
    if !request.ext_datas.is_empty() {
        info_parts.push(encode_ext_datas(&request.ext_datas)?);
    }
    let info = tlv::sequence(&info_parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let signature = maker.sign(&info)?;
    Ok(tlv::sequence(&[
        &info,
        &tlv::encode(tag::OCTET_STRING, maker_cert.der()),
        &tlv::oid(oid)?,
        &tlv::bit_string(&signature),
    ]))
}

/// Signs `data` with `seal` (签章): `signer` (holding `signer_cert`'s key, which must be in
/// the seal's certificate list) signs a `TBS_Sign` with the data's hash (SM3 for SM2,
/// SHA-256 for P-256), `property_info` and the signing time `at`: a GB/T 38540 v4
/// signature, v5 for a v5 seal, and a GM/T 0031-2014 v1 signature for a v1 seal (SM2 only).
pub fn sign_with_seal(
    seal: &Seal,
    data: &[u8],
    property_info: &str,
    signer_cert: &Certificate,
    signer: &dyn Signer,
    at: SystemTime,
) -> Result<SealSignature> {
    check_key(signer_cert, signer, "signer")?;
    let allowed = match &seal.property.cert_list {
        CertList::Certificates(certs) => certs.iter().any(|c| c == signer_cert.der()),
        CertList::Digests(digests) => {
            let sm3 = data_hash(Algorithm::Sm2Sm3, signer_cert.der());
            digests.iter().any(|(_, value)| *value == sm3)
        }
        CertList::Unreadable(_) => false,
    };
    if !allowed {
        return Err(Error::Invalid(format!(
            "{} is not in the certificate list of seal {:?}",
            signer_cert.subject(),
            seal.property.name
        )));
    }
    let algorithm = signer.algorithm();
    let oid = ses_oid(algorithm)?;
    if seal.version == SesVersion::V1 {
        return sign_v1(seal, data, property_info, signer_cert, signer, at);
    }
    let version = match seal.version {
        SesVersion::V5 => 5,
        _ => 4,
    };
    let tbs = tlv::sequence(&[
        &tlv::integer(version),
        seal.der(),
        &tlv::generalized_time(unix_seconds(at))?,
        &tlv::bit_string(&data_hash(algorithm, data)),
        &ia5(property_info, "propertyInfo")?,
    ]);
    let signature = signer.sign(&tbs)?;
    let der = tlv::sequence(&[
        &tbs,
        &tlv::encode(tag::OCTET_STRING, signer_cert.der()),
        &tlv::oid(oid)?,
        &tlv::bit_string(&signature),
    ]);
    SealSignature::from_der(&der)
}

/// A GM/T 0031-2014 (v1) seal signature (SES-OFD.md §2; SM2 with SM3 only):
///
/// ```text
/// SES_Signature ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }
/// TBS_Sign ::= SEQUENCE { version INTEGER, eseal SESeal, timeInfo BIT STRING,
///   dataHash BIT STRING, propertyInfo IA5String, cert OCTET STRING,
///   signatureAlgorithm OBJECT IDENTIFIER }
/// ```
///
/// `version` 1, `timeInfo` the UTCTime text `YYMMDDhhmmssZ` of `at` (the standard allows a
/// timestamp or a UTCTime there), `dataHash` the SM3 of `data`.
fn sign_v1(
    seal: &Seal,
    data: &[u8],
    property_info: &str,
    signer_cert: &Certificate,
    signer: &dyn Signer,
    at: SystemTime,
) -> Result<SealSignature> {
    if signer.algorithm() != Algorithm::Sm2Sm3 {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{} for a GM/T 0031-2014 (v1) seal, which signs with SM2 only",
            signer.algorithm()
        )));
    }
    let tbs = tlv::sequence(&[
        &tlv::integer(1),
        seal.der(),
        &tlv::bit_string(utc_time_text(unix_seconds(at))?.as_bytes()),
        &tlv::bit_string(&data_hash(Algorithm::Sm2Sm3, data)),
        &ia5(property_info, "propertyInfo")?,
        &tlv::encode(tag::OCTET_STRING, signer_cert.der()),
        &tlv::oid(OID_SM2_SM3)?,
    ]);
    let signature = signer.sign(&tbs)?;
    SealSignature::from_der(&tlv::sequence(&[&tbs, &tlv::bit_string(&signature)]))
}

/// `YYMMDDhhmmssZ` (UTCTime text, years 2000 to 2049, as readers take it) for Unix
/// seconds `unix`.
fn utc_time_text(unix: i64) -> Result<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| Error::Invalid(format!("signing time: {e}")))?;
    if !(2000..2050).contains(&t.year()) {
        return Err(Error::Invalid(format!(
            "signing time in {} cannot be written as a v1 UTCTime (2000 to 2049)",
            t.year()
        )));
    }
    Ok(format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}
