//! The GB/T 38540 / GM/T 0031 structures: reading v1, v4 and v5, writing v4.

use super::tlv::{self, Tlv, tag};
use crate::error::{Error, Result};

/// The largest seal or seal signature eseal reads (pictures included).
pub const MAX_SES_SIZE: usize = 16 << 20;

/// `SM2-with-SM3` (GB/T 33560), the seal signature algorithm.
pub const OID_SM2_SM3: &str = "1.2.156.10197.1.501";
/// `ecdsa-with-SHA256`, for offices that seal with P-256.
pub const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";

/// The structure version, told by shape and header (SES-OFD.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum SesVersion {
    /// GM/T 0031-2014.
    V1,
    /// GB/T 38540-2020.
    V4,
    /// GM/T 0031-2025 (v4 with the seal timestamp).
    V5,
}

/// `SES_Header ::= SEQUENCE { id IA5String, version INTEGER, vid IA5String }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealHeader {
    /// `id`, always "ES".
    pub id: String,
    /// `version`.
    pub version: i64,
    /// `vid`, the vendor.
    pub vid: String,
}

/// `SES_CertList`: the signers (签章者) allowed to sign with the seal.
///
/// ```text
/// SES_CertList ::= CHOICE {
///   certs          SEQUENCE OF OCTET STRING,   -- certListType 1
///   certDigestList SEQUENCE OF CertDigestObj } -- certListType 2
/// CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertList {
    /// DER certificates.
    Certificates(Vec<Vec<u8>>),
    /// Digests of DER certificates: (hash algorithm name, digest).
    Digests(Vec<(String, Vec<u8>)>),
    /// A v1 certificate list that is not a SEQUENCE OF OCTET STRING (some vendors wrote
    /// other things there, e.g. an IA5String "1"); kept as its encoding, it lists no one.
    Unreadable(Vec<u8>),
}

/// `SES_ESPropertyInfo` (GB/T 38540 clause 6.2.3).
///
/// ```text
/// SES_ESPropertyInfo ::= SEQUENCE {
///   type INTEGER, name UTF8String, certListType INTEGER, certList SES_CertList,
///   createDate GeneralizedTime, validStart GeneralizedTime, validEnd GeneralizedTime }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealProperty {
    /// `type`, the seal type (印章类型).
    pub seal_type: i64,
    /// `name`, the seal's name.
    pub name: String,
    /// `certList`.
    pub cert_list: CertList,
    /// `createDate`, Unix seconds.
    pub create_date: i64,
    /// `validStart`, Unix seconds.
    pub valid_start: i64,
    /// `validEnd`, Unix seconds.
    pub valid_end: i64,
}

/// `SES_ESPictureInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER,
/// height INTEGER }` — the seal's picture and its display size in millimetres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureInfo {
    /// `type`: PNG, GIF, JPG, BMP, SVG or ofd.
    pub picture_type: String,
    /// `data`.
    pub data: Vec<u8>,
    /// `width` in mm.
    pub width_mm: i64,
    /// `height` in mm.
    pub height_mm: i64,
}

/// `ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
/// extnValue OCTET STRING }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtData {
    /// `extnID`.
    pub id: String,
    /// `critical`.
    pub critical: bool,
    /// `extnValue`.
    pub value: Vec<u8>,
}

/// An electronic seal (电子印章), `SESeal`.
///
/// ```text
/// SESeal ::= SEQUENCE {                            -- v4, v5
///   eSealInfo SES_SealInfo, cert OCTET STRING, signAlgID OBJECT IDENTIFIER,
///   signedValue BIT STRING, timeStamp [0] EXPLICIT BIT STRING OPTIONAL }  -- v5
/// SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String,
///   property SES_ESPropertyInfo, picture SES_ESPictureInfo, extDatas ExtensionDatas OPTIONAL }
/// SESeal ::= SEQUENCE { esealInfo SES_SealInfo, signInfo SES_SignInfo }   -- v1
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seal {
    /// The structure version.
    pub version: SesVersion,
    /// `header`.
    pub header: SealHeader,
    /// `esID`, the seal identifier (印章标识).
    pub es_id: String,
    /// `property`.
    pub property: SealProperty,
    /// `picture`.
    pub picture: PictureInfo,
    /// `extDatas`.
    pub ext_datas: Vec<ExtData>,
    /// `cert`: the seal maker's (制章者) certificate, DER.
    pub maker_cert: Vec<u8>,
    /// `signAlgID`, dotted.
    pub signature_algorithm: String,
    /// `signedValue`: the maker's signature.
    pub signature: Vec<u8>,
    /// `timeStamp` (v5): a DER TimeStampToken over `signedValue`.
    pub timestamp: Option<Vec<u8>>,
    signed_bytes: Vec<u8>,
    der: Vec<u8>,
}

/// The signing time as a seal signature carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeInfo {
    /// A time, Unix seconds.
    Time(i64),
    /// v1 content eseal could not read as a time (kept as is).
    Unreadable(Vec<u8>),
}

/// A seal signature (电子签章), `SES_Signature`.
///
/// ```text
/// SES_Signature ::= SEQUENCE {
///   toSign TBS_Sign, cert OCTET STRING, signatureAlgID OBJECT IDENTIFIER,
///   signature BIT STRING, timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
/// TBS_Sign ::= SEQUENCE { version INTEGER, eseal SESeal, timeInfo GeneralizedTime,
///   dataHash BIT STRING, propertyInfo IA5String, extDatas [0] EXPLICIT ExtensionDatas OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealSignature {
    /// The structure version.
    pub version: SesVersion,
    /// `TBS_Sign.version`.
    pub tbs_version: i64,
    /// `eseal`.
    pub seal: Seal,
    /// `timeInfo`: the claimed signing time (签章时间), not trusted.
    pub time_info: TimeInfo,
    /// `dataHash`: the hash of the signed data.
    pub data_hash: Vec<u8>,
    /// `propertyInfo`: for OFD, the package path of Signature.xml.
    pub property_info: String,
    /// `extDatas` of `TBS_Sign`.
    pub ext_datas: Vec<ExtData>,
    /// `cert`: the signer's (签章者) certificate, DER.
    pub signer_cert: Vec<u8>,
    /// `signatureAlgID`, dotted.
    pub signature_algorithm: String,
    /// `signature`.
    pub signature: Vec<u8>,
    /// `timeStamp`: a DER TimeStampToken over `signature`.
    pub timestamp: Option<Vec<u8>>,
    signed_bytes: Vec<u8>,
    der: Vec<u8>,
}

fn check_size(der: &[u8]) -> Result<()> {
    if der.len() > MAX_SES_SIZE {
        return Err(Error::TooLarge {
            what: "SES structure",
            size: der.len() as u64,
            limit: MAX_SES_SIZE as u64,
        });
    }
    Ok(())
}

fn format(detail: impl ToString) -> Error {
    Error::malformed("SES structure", detail)
}

impl Seal {
    /// Reads a seal (`.esl`) of any version.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        check_size(der)?;
        let top = tlv::read_all(der)?.expect(tag::SEQUENCE, "SESeal")?;
        let kids = top.children()?;
        let (version, info, cert, alg, sig, timestamp, signed_bytes) = match kids[..] {
            [info, sign_info] => {
                let sign_info = match sign_info.tag {
                    tag::BIT_STRING => tlv::read_all(sign_info.bit_string("signInfo")?)?,
                    _ => sign_info,
                };
                let [cert, alg, sig] = sign_info.expect(tag::SEQUENCE, "signInfo")?.children()?[..]
                else {
                    return Err(format("SES_SignInfo: not 3 elements"));
                };
                let signed = tlv::sequence(&[info.raw, cert.raw, alg.raw]);
                (SesVersion::V1, info, cert, alg, sig, None, signed)
            }
            [info, cert, alg, sig] => (
                SesVersion::V4,
                info,
                cert,
                alg,
                sig,
                None,
                info.raw.to_vec(),
            ),
            [info, cert, alg, sig, ts] => {
                let ts = ts.expect(tag::CONTEXT_0, "timeStamp")?;
                let inner = tlv::read_all(ts.value)?.bit_string("timeStamp")?;
                (
                    SesVersion::V5,
                    info,
                    cert,
                    alg,
                    sig,
                    Some(inner.to_vec()),
                    info.raw.to_vec(),
                )
            }
            _ => return Err(format(format!("SESeal with {} elements", kids.len()))),
        };
        let (header, es_id, property, picture, ext_datas) =
            parse_seal_info(info, version == SesVersion::V1)?;
        let version = match (version, header.version) {
            (SesVersion::V4, 4) => SesVersion::V4,
            (SesVersion::V4, 5) => SesVersion::V5,
            (SesVersion::V4, v) => return Err(format(format!("header version {v} in a v4 seal"))),
            (v, _) => v,
        };
        Ok(Seal {
            version,
            header,
            es_id,
            property,
            picture,
            ext_datas,
            maker_cert: cert.octets("cert")?.to_vec(),
            signature_algorithm: alg.oid("signAlgID")?,
            signature: sig.bit_string("signedValue")?.to_vec(),
            timestamp,
            signed_bytes,
            der: der.to_vec(),
        })
    }

    /// The encoding, byte for byte as read or made.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The bytes the seal maker signed (SES-OFD.md §4).
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed_bytes
    }
}

fn parse_seal_info(
    info: Tlv<'_>,
    v1: bool,
) -> Result<(SealHeader, String, SealProperty, PictureInfo, Vec<ExtData>)> {
    let kids = info.expect(tag::SEQUENCE, "SES_SealInfo")?.children()?;
    let [header, es_id, property, picture, rest @ ..] = &kids[..] else {
        return Err(format("SES_SealInfo: fewer than 4 elements"));
    };
    let [id, version, vid] = header.expect(tag::SEQUENCE, "header")?.children()?[..] else {
        return Err(format("SES_Header: not 3 elements"));
    };
    let header = SealHeader {
        id: id.string("header.id")?,
        version: version.integer("header.version")?,
        vid: vid.string("header.vid")?,
    };
    if header.id != "ES" {
        return Err(format(format!("header.id is {:?}, not \"ES\"", header.id)));
    }
    let ext_datas = match rest {
        [] => Vec::new(),
        [ext] => parse_ext_datas(*ext)?,
        _ => return Err(format("SES_SealInfo: more than 5 elements")),
    };
    Ok((
        header,
        es_id.string("esID")?,
        parse_property(*property, v1)?,
        parse_picture(*picture)?,
        ext_datas,
    ))
}

fn parse_property(property: Tlv<'_>, v1: bool) -> Result<SealProperty> {
    let kids = property.expect(tag::SEQUENCE, "property")?.children()?;
    let (seal_type, name, list_type, list, dates) = match (v1, &kids[..]) {
        (true, [t, n, list, dates @ ..]) => (*t, *n, None, *list, dates),
        (false, [t, n, lt, list, dates @ ..]) => (*t, *n, Some(*lt), *list, dates),
        _ => return Err(format("SES_ESPropertyInfo: too few elements")),
    };
    let list_type = match list_type {
        Some(t) => t.integer("certListType")?,
        None => 1,
    };
    let readable_v1_list =
        list.tag == tag::SEQUENCE && list.children()?.iter().all(|c| c.tag == tag::OCTET_STRING);
    if v1 && !readable_v1_list {
        return seal_property(
            seal_type,
            name,
            CertList::Unreadable(list.raw.to_vec()),
            dates,
        );
    }
    let entries = list.expect(tag::SEQUENCE, "certList")?.children()?;
    let cert_list = match list_type {
        1 => CertList::Certificates(
            entries
                .iter()
                .map(|c| c.octets("certList entry").map(<[u8]>::to_vec))
                .collect::<Result<_>>()?,
        ),
        2 => CertList::Digests(
            entries
                .iter()
                .map(|d| {
                    let [kind, value] = d.expect(tag::SEQUENCE, "CertDigestObj")?.children()?[..]
                    else {
                        return Err(format("CertDigestObj: not 2 elements"));
                    };
                    Ok((
                        kind.string("CertDigestObj.type")?,
                        value.octets("CertDigestObj.value")?.to_vec(),
                    ))
                })
                .collect::<Result<_>>()?,
        ),
        other => return Err(format(format!("certListType {other}"))),
    };
    seal_property(seal_type, name, cert_list, dates)
}

fn seal_property(
    seal_type: Tlv<'_>,
    name: Tlv<'_>,
    cert_list: CertList,
    dates: &[Tlv<'_>],
) -> Result<SealProperty> {
    let [create, start, end] = dates else {
        return Err(format("SES_ESPropertyInfo: expected three dates"));
    };
    Ok(SealProperty {
        seal_type: seal_type.integer("type")?,
        name: name.string("name")?,
        cert_list,
        create_date: create.time("createDate")?,
        valid_start: start.time("validStart")?,
        valid_end: end.time("validEnd")?,
    })
}

fn parse_picture(picture: Tlv<'_>) -> Result<PictureInfo> {
    let [kind, data, width, height] = picture.expect(tag::SEQUENCE, "picture")?.children()?[..]
    else {
        return Err(format("SES_ESPictureInfo: not 4 elements"));
    };
    Ok(PictureInfo {
        picture_type: kind.string("picture.type")?,
        data: data.octets("picture.data")?.to_vec(),
        width_mm: width.integer("picture.width")?,
        height_mm: height.integer("picture.height")?,
    })
}

fn parse_ext_datas(ext: Tlv<'_>) -> Result<Vec<ExtData>> {
    let list = match ext.tag {
        tag::SEQUENCE => ext,
        tag::OCTET_STRING => tlv::read_all(ext.value)?,
        tag::CONTEXT_0 => tlv::read_all(ext.value)?,
        other => return Err(format(format!("extDatas: tag 0x{other:02x}"))),
    };
    list.expect(tag::SEQUENCE, "extDatas")?
        .children()?
        .into_iter()
        .map(|item| {
            let kids = item.expect(tag::SEQUENCE, "ExtData")?.children()?;
            let (id, critical, value) = match kids[..] {
                [id, value] => (id, false, value),
                [id, critical, value] => {
                    let c = critical.expect(tag::BOOLEAN, "ExtData.critical")?.value;
                    (id, c.first().is_some_and(|&b| b != 0), value)
                }
                _ => return Err(format("ExtData: not 2 or 3 elements")),
            };
            Ok(ExtData {
                id: id.oid("ExtData.extnID")?,
                critical,
                value: value.octets("ExtData.extnValue")?.to_vec(),
            })
        })
        .collect()
}

impl SealSignature {
    /// Reads a seal signature (`SignedValue.dat`) of any version.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        check_size(der)?;
        let top = tlv::read_all(der)?.expect(tag::SEQUENCE, "SES_Signature")?;
        let kids = top.children()?;
        let (to_sign, outer) = match &kids[..] {
            [to_sign, rest @ ..] if matches!(rest.len(), 1 | 3 | 4) => (*to_sign, rest),
            _ => {
                return Err(format(format!(
                    "SES_Signature with {} elements",
                    kids.len()
                )));
            }
        };
        let tbs = to_sign.expect(tag::SEQUENCE, "toSign")?.children()?;
        if outer.len() == 1 {
            return Self::from_v1(der, to_sign, &tbs, outer[0]);
        }
        let [
            version,
            eseal,
            time_info,
            data_hash,
            property_info,
            tbs_rest @ ..,
        ] = &tbs[..]
        else {
            return Err(format("TBS_Sign: fewer than 5 elements"));
        };
        let ext_datas = match tbs_rest {
            [] => Vec::new(),
            [ext] => parse_ext_datas(*ext)?,
            _ => return Err(format("TBS_Sign: more than 6 elements")),
        };
        let seal = Seal::from_der(eseal.raw)?;
        let timestamp = match outer.get(3) {
            Some(ts) => {
                let ts = ts.expect(tag::CONTEXT_0, "timeStamp")?;
                Some(tlv::read_all(ts.value)?.bit_string("timeStamp")?.to_vec())
            }
            None => None,
        };
        Ok(SealSignature {
            version: seal.version,
            tbs_version: version.integer("TBS_Sign.version")?,
            time_info: TimeInfo::Time(time_info.time("timeInfo")?),
            data_hash: hash_field(*data_hash, "dataHash")?,
            property_info: property_info.string("propertyInfo")?,
            ext_datas,
            signer_cert: outer[0].octets("cert")?.to_vec(),
            signature_algorithm: outer[1].oid("signatureAlgID")?,
            signature: outer[2].bit_string("signature")?.to_vec(),
            timestamp,
            signed_bytes: to_sign.raw.to_vec(),
            der: der.to_vec(),
            seal,
        })
    }

    fn from_v1(der: &[u8], to_sign: Tlv<'_>, tbs: &[Tlv<'_>], signature: Tlv<'_>) -> Result<Self> {
        let [
            version,
            eseal,
            time_info,
            data_hash,
            property_info,
            cert,
            alg,
        ] = tbs[..]
        else {
            return Err(format("v1 TBS_Sign: not 7 elements"));
        };
        let time_info = match time_info.tag {
            tag::GENERALIZED_TIME | tag::UTC_TIME => TimeInfo::Time(time_info.time("timeInfo")?),
            _ => {
                let bytes = hash_field(time_info, "timeInfo")?;
                match read_text_time(&bytes) {
                    Some(t) => TimeInfo::Time(t),
                    None => TimeInfo::Unreadable(bytes),
                }
            }
        };
        Ok(SealSignature {
            version: SesVersion::V1,
            tbs_version: version.integer("TBS_Sign.version")?,
            seal: Seal::from_der(eseal.raw)?,
            time_info,
            data_hash: hash_field(data_hash, "dataHash")?,
            property_info: property_info.string("propertyInfo")?,
            ext_datas: Vec::new(),
            signer_cert: cert.octets("cert")?.to_vec(),
            signature_algorithm: alg.oid("signatureAlgorithm")?,
            signature: signature.bit_string("signature")?.to_vec(),
            timestamp: None,
            signed_bytes: to_sign.raw.to_vec(),
            der: der.to_vec(),
        })
    }

    /// The encoding, byte for byte as read or made.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The bytes the signer signed: the `TBS_Sign` element.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed_bytes
    }
}

/// `dataHash` and v1 `timeInfo`: a BIT STRING, or an OCTET STRING in some v1 files.
fn hash_field(field: Tlv<'_>, name: &str) -> Result<Vec<u8>> {
    match field.tag {
        tag::OCTET_STRING => Ok(field.value.to_vec()),
        _ => Ok(field.bit_string(name)?.to_vec()),
    }
}

/// v1 text times: `2020-01-25T07:31:56.377Z`, `yyyy-MM-dd HH:mm:ss` (UTC+8), `YYMMDDhhmmssZ`.
fn read_text_time(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if text.contains('-') && digits.len() >= 14 {
        let t = tlv::parse_compact_time(&digits[..14])?;
        let zoned = text.ends_with('Z') || text.contains('T');
        Some(if zoned { t } else { t - 8 * 3600 })
    } else if text.ends_with('Z') && digits.len() == 12 {
        tlv::parse_compact_time(&format!("20{digits}"))
    } else {
        None
    }
}
