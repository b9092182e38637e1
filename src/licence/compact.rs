//! The compact signed form of a licence for QR codes (LICENCE.md §3): CWT claims
//! (RFC 8392) in a COSE_Sign1 (RFC 9052), zlib-compressed (RFC 1950), Base45-encoded
//! (RFC 9285) behind the prefix `ZZ1:`.
//!
//! ```text
//! QR string = "ZZ1:" Base45( zlib( COSE_Sign1 = 18([protected, {}, payload, signature]) ) )
//! protected = { 1: alg, 4: kid }            kid = SHA-256(certificate DER)[..8]
//! payload   = { 1: iss, 2: sub, 4: exp, 5: nbf, 6: iat,
//!               65535: {"status_list": {"idx": n, "uri": t}}, -70002: { n, no, d, ... } }
//! ```
//!
//! Decoding goes by [`Stage`]s and a failure names its stage: [`decode_qr`] runs PREFIX,
//! BASE45, ZLIB, COSE and CLAIMS; [`DecodedToken::verify_with`] runs KID and SIGNATURE
//! against one certificate. Binding, time and status checks belong to the trust list and
//! status list layers.
//!
//! ```
//! use eseal::crypto::{Algorithm, Signer, SoftwareKey};
//! use eseal::licence::compact::{self, LicenceClaims};
//! use eseal::pki::{self, DistinguishedName, Validity};
//!
//! let key = SoftwareKey::generate(Algorithm::EcdsaP256Sha256)?;
//! let cert = pki::issue_root(
//!     &DistinguishedName::common_name("某某市市场监督管理局"),
//!     Validity::days_from_now(365),
//!     &key,
//! )?;
//! let mut claims = LicenceClaims::new("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F");
//! claims.licence.name = Some("营业执照".into());
//! let qr = compact::sign_licence(&claims, &key, &cert)?;
//! assert!(qr.starts_with("ZZ1:"));
//!
//! let token = compact::decode_qr(&qr).unwrap();
//! token.verify_with(&cert).unwrap();
//! assert_eq!(token.claims, claims);
//! # Ok::<(), eseal::Error>(())
//! ```

use std::fmt;

use sha2::{Digest, Sha256};

pub use super::cbor;
use super::cbor::{Value, ValueRef};
use super::cose;
pub use super::cose::{COSE_ALG_SM2_SM3, SM2_COSE_DISTID, kid_of, sig_structure};
use crate::crypto::{Algorithm, Signer};
use crate::error::{Error, Result};
use crate::pki::Certificate;

/// The prefix of a version 1 licence QR string (LICENCE.md §3: ZZ = 证照, version 1).
pub const QR_PREFIX: &str = "ZZ1:";
/// The largest COSE structure accepted after inflation (LICENCE.md §3: 16 KiB).
pub const MAX_INFLATED: usize = 16 * 1024;
/// The longest QR string accepted before Base45 decoding.
pub const MAX_QR_CHARS: usize = 64 * 1024;
/// CWT claim key of the licence map (project-private, RFC 8392 clause 9.1).
pub const CLAIM_LICENCE: i64 = -70002;
/// CWT claim key of the status reference (draft-ietf-oauth-status-list, `status`).
pub const CLAIM_STATUS: i64 = 65535;

/// A decoding or verification stage of a licence QR (LICENCE.md §3), named by errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The `ZZ1:` prefix.
    Prefix,
    /// Base45 (RFC 9285 clause 4.2; strict).
    Base45,
    /// zlib inflation (RFC 1950) within [`MAX_INFLATED`].
    Zlib,
    /// The COSE_Sign1 structure and its protected header (RFC 9052 clause 4.2).
    Cose,
    /// The CWT claims (RFC 8392): a licence map (−70002) and a `sub`.
    Claims,
    /// The `kid` against the certificate.
    Kid,
    /// The algorithm against the key type, and the signature (RFC 9052 clause 4.4).
    Signature,
}

impl Stage {
    /// The stage's name as reports print it, e.g. `BASE45`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Prefix => "PREFIX",
            Stage::Base45 => "BASE45",
            Stage::Zlib => "ZLIB",
            Stage::Cose => "COSE",
            Stage::Claims => "CLAIMS",
            Stage::Kid => "KID",
            Stage::Signature => "SIGNATURE",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A licence QR that failed at `stage`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{stage}: {detail}")]
pub struct CompactError {
    /// The stage that failed.
    pub stage: Stage,
    /// What is wrong.
    pub detail: String,
}

fn fail<T>(stage: Stage, detail: impl ToString) -> std::result::Result<T, CompactError> {
    Err(CompactError {
        stage,
        detail: detail.to_string(),
    })
}

/// A COSE signature algorithm of the compact form (LICENCE.md §3; RFC 9053 clause 2,
/// RFC 8230 clause 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoseAlgorithm {
    /// ES256 (−7): ECDSA P-256 with SHA-256, signature `r ‖ s` (RFC 9053 clause 2.1).
    Es256,
    /// EdDSA (−8) with Ed25519 (RFC 9053 clause 2.2); −19 (Ed25519, RFC 9864) is accepted.
    EdDsa,
    /// PS256 (−37): RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 8230 clause 2).
    Ps256,
    /// SM2-with-SM3 (−70001, project-private): `r ‖ s`, distinguishing ID
    /// `1234567812345678` (GB/T 32918.2).
    Sm2Sm3,
}

impl CoseAlgorithm {
    /// The COSE `alg` value eseal writes.
    pub fn value(self) -> i64 {
        match self {
            CoseAlgorithm::Es256 => -7,
            CoseAlgorithm::EdDsa => -8,
            CoseAlgorithm::Ps256 => -37,
            CoseAlgorithm::Sm2Sm3 => COSE_ALG_SM2_SM3,
        }
    }

    /// The algorithm of a COSE `alg` value, `None` if not one of the compact form's.
    pub fn from_value(value: i64) -> Option<Self> {
        Some(match value {
            -7 => CoseAlgorithm::Es256,
            -8 | -19 => CoseAlgorithm::EdDsa,
            -37 => CoseAlgorithm::Ps256,
            COSE_ALG_SM2_SM3 => CoseAlgorithm::Sm2Sm3,
            _ => return None,
        })
    }

    /// The COSE algorithm of a signer's [`Algorithm`], `None` if the compact form has none.
    pub fn for_algorithm(algorithm: Algorithm) -> Option<Self> {
        Some(match algorithm {
            Algorithm::EcdsaP256Sha256 => CoseAlgorithm::Es256,
            Algorithm::Ed25519 => CoseAlgorithm::EdDsa,
            Algorithm::RsaPssSha256 => CoseAlgorithm::Ps256,
            Algorithm::Sm2Sm3 => CoseAlgorithm::Sm2Sm3,
            _ => return None,
        })
    }

    /// The eseal [`Algorithm`] (and so the key type) this COSE algorithm needs.
    pub fn algorithm(self) -> Algorithm {
        match self {
            CoseAlgorithm::Es256 => Algorithm::EcdsaP256Sha256,
            CoseAlgorithm::EdDsa => Algorithm::Ed25519,
            CoseAlgorithm::Ps256 => Algorithm::RsaPssSha256,
            CoseAlgorithm::Sm2Sm3 => Algorithm::Sm2Sm3,
        }
    }
}

/// The status claim (65535): a reference into a Token Status List
/// (draft-ietf-oauth-status-list clause 6.1), `{"status_list": {"idx": …, "uri": …}}`.
///
/// `S` is the text type: owned `String` (the default, what the issuer builds) or `&str`
/// borrowing from a decoded payload (what the verifier reads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusReference<S = String> {
    /// `idx`: the licence's index in the list.
    pub idx: u64,
    /// `uri`: the list's URI.
    pub uri: S,
}

impl<S: AsRef<str>> StatusReference<S> {
    /// The reference with its own `uri`.
    pub fn to_owned_reference(&self) -> StatusReference {
        StatusReference {
            idx: self.idx,
            uri: self.uri.as_ref().to_string(),
        }
    }
}

/// The licence map (claim −70002, LICENCE.md §3), with its short CBOR keys; `S` as for
/// [`StatusReference`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenceFields<S = String> {
    /// `n` 证照名称.
    pub name: Option<S>,
    /// `no` 证照编号; not written when equal to [`LicenceFields::holder_code`].
    pub number: Option<S>,
    /// `d` 颁证日期 `yyyyMMdd` (the issuer leaves it out when it is iat's +08:00 date).
    pub issue_date: Option<S>,
    /// `rc` 属地编码 (the issuer leaves it out when it is the office's region).
    pub region_code: Option<S>,
    /// `h` 持证主体.
    pub holder: Option<S>,
    /// `ht` 持证主体代码类型代码, e.g. `001`.
    pub holder_type: Option<S>,
    /// `hc` 持证主体代码.
    pub holder_code: Option<S>,
    /// `hh` holder hash, see `holder_hash` (privacy option).
    pub holder_hash: Option<[u8; 16]>,
    /// `s` surface fields `template key → text` (`in_qr` fields only); written sorted.
    pub surface: Vec<(S, S)>,
    /// `rel` 关联证照标识.
    pub related: Vec<S>,
}

impl<S: AsRef<str>> LicenceFields<S> {
    /// 证照编号: `no`, or `hc` when `no` was left out for being equal to it.
    pub fn effective_number(&self) -> Option<&str> {
        self.number
            .as_ref()
            .or(self.holder_code.as_ref())
            .map(AsRef::as_ref)
    }

    /// The fields with their own strings.
    pub fn to_owned_fields(&self) -> LicenceFields {
        let own = |v: &Option<S>| v.as_ref().map(|v| v.as_ref().to_string());
        LicenceFields {
            name: own(&self.name),
            number: own(&self.number),
            issue_date: own(&self.issue_date),
            region_code: own(&self.region_code),
            holder: own(&self.holder),
            holder_type: own(&self.holder_type),
            holder_code: own(&self.holder_code),
            holder_hash: self.holder_hash,
            surface: (self.surface.iter())
                .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
                .collect(),
            related: self
                .related
                .iter()
                .map(|r| r.as_ref().to_string())
                .collect(),
        }
    }
}

/// The CWT claims of a licence token (RFC 8392 clause 3.1; LICENCE.md §3); `S` as for
/// [`StatusReference`]: [`LicenceClaims::decode`] borrows from the payload,
/// [`LicenceClaims::from_cbor`] copies.
///
/// Times are NumericDate (seconds since the Unix epoch, RFC 8392 clause 2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenceClaims<S = String> {
    /// `iss` (1): the issuing office code (USCC).
    pub issuer: Option<S>,
    /// `sub` (2): the licence identifier (GB/T 36904).
    pub subject: S,
    /// `exp` (4): the day after 有效期截止, 00:00 +08:00; `None` = 长期.
    pub expires: Option<i64>,
    /// `nbf` (5): 有效期起始, 00:00 +08:00.
    pub not_before: Option<i64>,
    /// `iat` (6): the signing time.
    pub issued_at: Option<i64>,
    /// `status` (65535).
    pub status: Option<StatusReference<S>>,
    /// The licence map (−70002).
    pub licence: LicenceFields<S>,
}

/// The longest `sub` accepted (GB/T 36904 identifiers are ≤ 128 characters).
const MAX_SUBJECT: usize = 128;

impl LicenceClaims {
    /// Claims with `sub` = `identifier` and nothing else.
    pub fn new(identifier: &str) -> Self {
        LicenceClaims {
            subject: identifier.to_string(),
            ..Default::default()
        }
    }

    /// Reads claims from a CBOR payload into owned strings: [`LicenceClaims::decode`],
    /// copied.
    pub fn from_cbor(payload: &[u8]) -> std::result::Result<Self, String> {
        LicenceClaims::decode(payload).map(|c| c.to_owned_claims())
    }
}

impl<S: AsRef<str>> LicenceClaims<S> {
    /// The claims with their own strings.
    pub fn to_owned_claims(&self) -> LicenceClaims {
        LicenceClaims {
            issuer: self.issuer.as_ref().map(|i| i.as_ref().to_string()),
            subject: self.subject.as_ref().to_string(),
            expires: self.expires,
            not_before: self.not_before,
            issued_at: self.issued_at,
            status: self
                .status
                .as_ref()
                .map(StatusReference::to_owned_reference),
            licence: self.licence.to_owned_fields(),
        }
    }

    /// The issuing office's code: `iss`, or when it was left out the issuer segment of
    /// `sub`. eseal's issuer leaves `iss` out when it equals that segment, as it always
    /// does for its own identifiers; the binding check is the same either way.
    pub fn effective_issuer(&self) -> Option<String> {
        match &self.issuer {
            Some(iss) => Some(iss.as_ref().to_string()),
            None => self
                .subject
                .as_ref()
                .parse::<super::identifiers::LicenceId>()
                .ok()
                .map(|id| id.issuer_code().to_string()),
        }
    }

    /// 有效期起始 as `nbf`, or when it was left out 00:00 China time of 颁证日期 (`d`, or
    /// iat's China date when `d` was left out too): eseal's issuer leaves `nbf` out when
    /// the validity starts on the issue date.
    pub fn effective_not_before(&self) -> Option<i64> {
        use super::model::Date;
        if self.not_before.is_some() {
            return self.not_before;
        }
        let date = match &self.licence.issue_date {
            Some(d) => d.as_ref().parse::<Date>().ok()?,
            None => Date::of_unix(self.issued_at?)?,
        };
        Some(date.start_unix())
    }

    /// The claims as a deterministic CBOR map (RFC 8949 clause 4.2.1).
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        let mut claims = Vec::new();
        let int = Value::int;
        if let Some(iss) = &self.issuer {
            claims.push((int(1), Value::text(iss.as_ref())));
        }
        claims.push((int(2), Value::text(self.subject.as_ref())));
        for (key, time) in [(4, self.expires), (5, self.not_before), (6, self.issued_at)] {
            if let Some(t) = time {
                claims.push((int(key), int(t)));
            }
        }
        if let Some(status) = &self.status {
            let reference = Value::Map(vec![
                (Value::text("idx"), Value::Uint(status.idx)),
                (Value::text("uri"), Value::text(status.uri.as_ref())),
            ]);
            claims.push((
                int(CLAIM_STATUS),
                Value::Map(vec![(Value::text("status_list"), reference)]),
            ));
        }
        let l = &self.licence;
        let mut map = Vec::new();
        let mut text = |key: &str, v: &Option<S>| {
            if let Some(v) = v {
                map.push((Value::text(key), Value::text(v.as_ref())));
            }
        };
        text("n", &l.name);
        if l.number.as_ref().map(AsRef::as_ref) != l.holder_code.as_ref().map(AsRef::as_ref) {
            text("no", &l.number);
        }
        text("d", &l.issue_date);
        text("rc", &l.region_code);
        text("h", &l.holder);
        text("ht", &l.holder_type);
        text("hc", &l.holder_code);
        if let Some(hh) = &l.holder_hash {
            map.push((Value::text("hh"), Value::Bytes(hh.to_vec())));
        }
        if !l.surface.is_empty() {
            let s = l
                .surface
                .iter()
                .map(|(k, v)| (Value::text(k.as_ref()), Value::text(v.as_ref())))
                .collect();
            map.push((Value::text("s"), Value::Map(s)));
        }
        if !l.related.is_empty() {
            let rel = l.related.iter().map(|r| Value::text(r.as_ref())).collect();
            map.push((Value::text("rel"), Value::Array(rel)));
        }
        claims.push((int(CLAIM_LICENCE), Value::Map(map)));
        cbor::encode(&Value::Map(claims))
            .map_err(|e| Error::Invalid(format!("licence claims: {e}")))
    }
}

impl<'a> LicenceClaims<&'a str> {
    /// Reads claims from a CBOR payload, borrowing their text; the CLAIMS stage's checks
    /// (a text `sub` of at most 128 characters, a licence map, `exp` after `iat`) apply.
    /// Unknown claims and fields are ignored.
    pub fn decode(payload: &'a [u8]) -> std::result::Result<Self, String> {
        let claims = match Self::decode_expected(payload) {
            Some(claims) => claims,
            None => Self::decode_any(payload)?,
        };
        match (claims.expires, claims.issued_at) {
            (Some(exp), Some(iat)) if exp <= iat => {
                Err(format!("`exp` {exp} is not after `iat` {iat}"))
            }
            _ => Ok(claims),
        }
    }

    /// The claims when `payload` holds exactly the claims and fields eseal writes, each
    /// once and of its type, in one pass without building a tree; `None` for anything
    /// else, which [`Self::decode_any`] then accepts or refuses with the exact error.
    fn decode_expected(payload: &'a [u8]) -> Option<Self> {
        let mut r = cbor::Reader::new(payload);
        let mut claims = LicenceClaims::default();
        let (mut seen, mut previous) = (0u8, &[][..]);
        for _ in 0..r.map()? {
            let key = r.key(&mut previous, cbor::Reader::int)?;
            let bit = match key {
                1 => 0,
                2 => 1,
                4 => 2,
                5 => 3,
                6 => 4,
                CLAIM_STATUS => 5,
                CLAIM_LICENCE => 6,
                _ => return None,
            };
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
            match key {
                1 => claims.issuer = Some(r.text()?),
                2 => claims.subject = r.text()?,
                4 => claims.expires = Some(r.int()?),
                5 => claims.not_before = Some(r.int()?),
                6 => claims.issued_at = Some(r.int()?),
                CLAIM_STATUS => claims.status = Some(read_status(&mut r)?),
                _ => claims.licence = read_fields(&mut r)?,
            }
        }
        let sub_ok = !claims.subject.is_empty() && claims.subject.chars().count() <= MAX_SUBJECT;
        let complete = seen & 0b100_0010 == 0b100_0010;
        (r.is_at_end() && complete && sub_ok).then_some(claims)
    }

    /// The tree-building decoder behind [`Self::decode`]: any well-formed payload, unknown
    /// claims and fields ignored, with the exact error otherwise.
    fn decode_any(payload: &'a [u8]) -> std::result::Result<Self, String> {
        let value = cbor::decode_ref(payload)?;
        let claims = value.as_map().ok_or("the payload is not a map")?;
        let get = |key: i64| cbor::lookup_ref(claims, &ValueRef::int(key));
        let text = |v: Option<&ValueRef<'a>>,
                    what: &str|
         -> std::result::Result<Option<&'a str>, String> {
            v.map(|v| {
                v.as_text()
                    .ok_or_else(|| format!("{what} is not a text string"))
            })
            .transpose()
        };
        let time = |key: i64, what: &str| -> std::result::Result<Option<i64>, String> {
            get(key)
                .map(|v| {
                    v.as_i64()
                        .ok_or_else(|| format!("{what} is not an integer"))
                })
                .transpose()
        };
        let subject = text(get(2), "sub")?.ok_or("no `sub` claim")?;
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
            return Err(format!(
                "`sub` is not a licence identifier ({} characters)",
                subject.chars().count()
            ));
        }
        let status = match get(CLAIM_STATUS) {
            None => None,
            Some(v) => {
                let list = v
                    .as_map()
                    .and_then(|m| cbor::lookup_ref(m, &ValueRef::Text("status_list")))
                    .and_then(ValueRef::as_map)
                    .ok_or("`status` has no `status_list` map")?;
                let idx = match cbor::lookup_ref(list, &ValueRef::Text("idx")) {
                    Some(ValueRef::Uint(i)) => *i,
                    _ => return Err("`status_list` has no unsigned `idx`".into()),
                };
                let uri = text(cbor::lookup_ref(list, &ValueRef::Text("uri")), "`uri`")?
                    .ok_or("`status_list` has no `uri`")?;
                Some(StatusReference { idx, uri })
            }
        };
        let licence = get(CLAIM_LICENCE)
            .ok_or("no licence claim (-70002)")?
            .as_map()
            .ok_or("the licence claim (-70002) is not a map")?;
        let field = |key: &str| cbor::lookup_ref(licence, &ValueRef::Text(key));
        let holder_hash = match field("hh") {
            None => None,
            Some(v) => Some(
                v.as_bytes()
                    .and_then(|b| <[u8; 16]>::try_from(b).ok())
                    .ok_or("`hh` is not a 16-byte string")?,
            ),
        };
        let surface = match field("s") {
            None => Vec::new(),
            Some(v) => v
                .as_map()
                .ok_or("`s` is not a map")?
                .iter()
                .map(|(k, v)| match (k.as_text(), v.as_text()) {
                    (Some(k), Some(v)) => Ok((k, v)),
                    _ => Err("`s` has a non-text key or value".to_string()),
                })
                .collect::<std::result::Result<_, _>>()?,
        };
        let related = match field("rel") {
            None => Vec::new(),
            Some(v) => v
                .as_array()
                .ok_or("`rel` is not an array")?
                .iter()
                .map(|r| {
                    r.as_text()
                        .ok_or_else(|| "`rel` has a non-text item".to_string())
                })
                .collect::<std::result::Result<_, _>>()?,
        };
        Ok(LicenceClaims {
            issuer: text(get(1), "`iss`")?,
            subject,
            expires: time(4, "`exp`")?,
            not_before: time(5, "`nbf`")?,
            issued_at: time(6, "`iat`")?,
            status,
            licence: LicenceFields {
                name: text(field("n"), "`n`")?,
                number: text(field("no"), "`no`")?,
                issue_date: text(field("d"), "`d`")?,
                region_code: text(field("rc"), "`rc`")?,
                holder: text(field("h"), "`h`")?,
                holder_type: text(field("ht"), "`ht`")?,
                holder_code: text(field("hc"), "`hc`")?,
                holder_hash,
                surface,
                related,
            },
        })
    }
}

/// `{"status_list": {"idx": uint, "uri": text}}` and nothing else, for
/// [`LicenceClaims::decode_expected`].
fn read_status<'a>(r: &mut cbor::Reader<'a>) -> Option<StatusReference<&'a str>> {
    if r.map()? != 1 || r.text()? != "status_list" || r.map()? != 2 {
        return None;
    }
    let (mut idx, mut uri, mut previous) = (None, None, &[][..]);
    for _ in 0..2 {
        match r.key(&mut previous, cbor::Reader::text)? {
            "idx" if idx.is_none() => idx = Some(r.uint()?),
            "uri" if uri.is_none() => uri = Some(r.text()?),
            _ => return None,
        }
    }
    Some(StatusReference {
        idx: idx?,
        uri: uri?,
    })
}

/// The licence map with the fields eseal writes, each once and of its type, for
/// [`LicenceClaims::decode_expected`].
fn read_fields<'a>(r: &mut cbor::Reader<'a>) -> Option<LicenceFields<&'a str>> {
    let mut fields = LicenceFields::default();
    let (mut seen, mut previous) = (0u16, &[][..]);
    for _ in 0..r.map()? {
        let key = r.key(&mut previous, cbor::Reader::text)?;
        let (bit, slot) = match key {
            "n" => (0, Some(&mut fields.name)),
            "no" => (1, Some(&mut fields.number)),
            "d" => (2, Some(&mut fields.issue_date)),
            "rc" => (3, Some(&mut fields.region_code)),
            "h" => (4, Some(&mut fields.holder)),
            "ht" => (5, Some(&mut fields.holder_type)),
            "hc" => (6, Some(&mut fields.holder_code)),
            "hh" => (7, None),
            "s" => (8, None),
            "rel" => (9, None),
            _ => return None,
        };
        if seen & (1 << bit) != 0 {
            return None;
        }
        seen |= 1 << bit;
        match (slot, key) {
            (Some(slot), _) => *slot = Some(r.text()?),
            (None, "hh") => fields.holder_hash = Some(<[u8; 16]>::try_from(r.bytes()?).ok()?),
            (None, "s") => {
                let n = r.map()?;
                if n > cbor::SMALL_MAP {
                    return None;
                }
                let mut surface: Vec<(&str, &str)> = Vec::with_capacity(n as usize);
                let mut previous = &[][..];
                for _ in 0..n {
                    let k = r.key(&mut previous, cbor::Reader::text)?;
                    surface.push((k, r.text()?));
                }
                fields.surface = surface;
            }
            _ => {
                let n = r.array()?;
                if n > cbor::SMALL_MAP {
                    return None;
                }
                fields.related = (0..n).map(|_| r.text()).collect::<Option<_>>()?;
            }
        }
    }
    Some(fields)
}

/// Signs `payload` as a COSE_Sign1 (RFC 9052 clause 4.2) with tag 18, protected header
/// `{1: alg, 4: kid}` (kid from [`kid_of`]) and an empty unprotected header.
///
/// The signer's algorithm must be ES256, EdDSA, PS256 or SM2-with-SM3
/// ([`CoseAlgorithm::for_algorithm`]) and `cert` must certify the signer's key. ECDSA and
/// SM2 signatures are converted from DER to `r ‖ s` (RFC 9053 clause 2.1).
pub fn sign_cose(payload: &[u8], signer: &dyn Signer, cert: &Certificate) -> Result<Vec<u8>> {
    CoseAlgorithm::for_algorithm(signer.algorithm()).ok_or_else(|| {
        Error::UnsupportedAlgorithm(format!(
            "{} in a licence QR (ES256, EdDSA, PS256 or SM2 only)",
            signer.algorithm()
        ))
    })?;
    cose::sign(payload, Vec::new(), signer, cert)
}

/// Signs `claims` and returns the QR string `"ZZ1:" + Base45(zlib(COSE_Sign1))`
/// (LICENCE.md §3). The same claims and key give the same string for Ed25519; ECDSA,
/// SM2 and PSS signatures are randomised, everything before the signature is
/// deterministic.
pub fn sign_licence(
    claims: &LicenceClaims,
    signer: &dyn Signer,
    cert: &Certificate,
) -> Result<String> {
    let cose = sign_cose(&claims.to_cbor()?, signer, cert)?;
    Ok(qr_string(&cose))
}

/// The QR string of a COSE structure: `"ZZ1:" + Base45(zlib level 9)`.
pub fn qr_string(cose: &[u8]) -> String {
    format!("{QR_PREFIX}{}", base45_encode(&zlib_compress(cose)))
}

/// zlib (RFC 1950) at level 9, each block coded with dynamic or fixed Huffman codes,
/// whichever is shorter (RFC 1951 clause 3.2.6): for a few hundred bytes of mostly random
/// and CJK data, dynamic tables cost more than they save.
/// When coding saves less than a twentieth of the size (an RSA signature is most of a
/// PS256 token and does not compress), the data is stored (level 0) instead: a few more
/// QR characters, and every verifier copies the bytes instead of decoding them. Storing
/// never takes a QR over [`super::issue::QR_MAX_CHARS`], nor over
/// [`super::issue::QR_WARN_CHARS`] when the coded QR stays within it.
fn zlib_compress(data: &[u8]) -> Vec<u8> {
    let best = crate::deflate::zlib_compress(data, 9);
    let stored = crate::deflate::zlib_compress(data, 0);
    let saving = stored.len().saturating_sub(best.len());
    let chars = |zlib: &[u8]| QR_PREFIX.len() + zlib.len() / 2 * 3 + zlib.len() % 2 * 2;
    let (stored_chars, coded_chars) = (chars(&stored), chars(&best));
    let within = |limit| stored_chars <= limit || coded_chars > limit;
    if saving * 20 < stored.len()
        && within(super::issue::QR_WARN_CHARS)
        && within(super::issue::QR_MAX_CHARS)
    {
        return stored;
    }
    best
}

/// A decoded, not yet verified licence token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedToken {
    /// The COSE_Sign1 bytes as inflated.
    pub cose: Vec<u8>,
    /// The protected header bytes as received (signed as they are).
    pub protected: Vec<u8>,
    /// The payload bytes as received.
    pub payload: Vec<u8>,
    /// The signature as received.
    pub signature: Vec<u8>,
    /// The algorithm of the protected header.
    pub alg: CoseAlgorithm,
    /// The `kid`: the protected header's, else the unprotected header's.
    pub kid: Vec<u8>,
    /// The claims.
    pub claims: LicenceClaims,
}

/// A decoded, not yet verified licence token borrowing from its COSE bytes
/// ([`decode_cose_ref`]): the verifier's view, with nothing copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRef<'a> {
    /// The protected header bytes as received (signed as they are).
    pub protected: &'a [u8],
    /// The payload bytes as received.
    pub payload: &'a [u8],
    /// The signature as received.
    pub signature: &'a [u8],
    /// The algorithm of the protected header.
    pub alg: CoseAlgorithm,
    /// The `kid`: the protected header's, else the unprotected header's.
    pub kid: &'a [u8],
    /// The claims.
    pub claims: LicenceClaims<&'a str>,
}

/// Decodes a licence QR string through the PREFIX, BASE45, ZLIB, COSE and CLAIMS stages
/// (LICENCE.md §3). Nothing is verified yet: see [`DecodedToken::verify_with`].
pub fn decode_qr(qr: &str) -> std::result::Result<DecodedToken, CompactError> {
    decode_cose_owned(inflate_qr(qr)?)
}

/// The PREFIX, BASE45 and ZLIB stages of a licence QR string (LICENCE.md §3): the
/// COSE_Sign1 bytes, for [`decode_cose_ref`].
pub fn inflate_qr(qr: &str) -> std::result::Result<Vec<u8>, CompactError> {
    let Some(body) = qr.strip_prefix(QR_PREFIX) else {
        let version = qr
            .strip_prefix("ZZ")
            .and_then(|r| r.split_once(':'))
            .filter(|(v, _)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        return match version {
            Some((v, _)) => fail(Stage::Prefix, format!("version ZZ{v}: is not supported")),
            None => fail(Stage::Prefix, "not a licence QR (no `ZZ1:` prefix)"),
        };
    };
    if body.len() > MAX_QR_CHARS {
        return fail(
            Stage::Base45,
            format!(
                "QR string too long: {} characters, the limit is {MAX_QR_CHARS}",
                body.len()
            ),
        );
    }
    base45_inflate(body)
}

/// BASE45 and ZLIB stages: decodes Base45 and inflates the zlib stream (RFC 1950) of at
/// most [`MAX_INFLATED`] bytes, which must take every byte; each thread reuses its
/// decompressor and buffers from QR to QR.
fn base45_inflate(body: &str) -> std::result::Result<Vec<u8>, CompactError> {
    use crate::deflate::{InflateError, Inflater};
    thread_local! {
        static INFLATER: std::cell::RefCell<(Inflater, Vec<u8>, Vec<u8>)> =
            std::cell::RefCell::new((Inflater::zlib(), vec![0; MAX_INFLATED], Vec::new()));
    }
    INFLATER.with(|cell| {
        let (inflater, buffer, compressed) = &mut *cell.borrow_mut();
        base45_decode_into(body, compressed).or_else(|e| fail(Stage::Base45, e))?;
        match inflater.inflate(compressed, buffer) {
            Ok((taken, len)) if taken == compressed.len() => Ok(buffer[..len].to_vec()),
            Ok((taken, _)) => fail(
                Stage::Zlib,
                format!("{} bytes after the zlib stream", compressed.len() - taken),
            ),
            Err(InflateError::TooLarge) => fail(
                Stage::Zlib,
                format!("inflates to more than {MAX_INFLATED} bytes"),
            ),
            Err(InflateError::BadData) => fail(Stage::Zlib, "not a zlib stream"),
        }
    })
}

/// Decodes a COSE_Sign1 licence token through the COSE and CLAIMS stages: tag 18,
/// 61(18(…)) or untagged; protected header with a known `alg` and a `kid` (protected
/// wins over unprotected); an attached payload that is a licence CWT.
pub fn decode_cose(cose: &[u8]) -> std::result::Result<DecodedToken, CompactError> {
    decode_cose_owned(cose.to_vec())
}

fn decode_cose_owned(cose: Vec<u8>) -> std::result::Result<DecodedToken, CompactError> {
    let token = decode_cose_ref(&cose)?;
    let (protected, payload, signature) = (
        token.protected.to_vec(),
        token.payload.to_vec(),
        token.signature.to_vec(),
    );
    let (alg, kid, claims) = (
        token.alg,
        token.kid.to_vec(),
        token.claims.to_owned_claims(),
    );
    Ok(DecodedToken {
        cose,
        protected,
        payload,
        signature,
        alg,
        kid,
        claims,
    })
}

/// [`decode_cose`] without copying: the token borrows from `cose`.
pub fn decode_cose_ref(cose: &[u8]) -> std::result::Result<TokenRef<'_>, CompactError> {
    if cose.len() > MAX_INFLATED {
        return fail(
            Stage::Cose,
            format!("{} bytes, the limit is {MAX_INFLATED}", cose.len()),
        );
    }
    if let Some(sign1) = sign1_expected(cose)
        && let Some(alg) = CoseAlgorithm::from_value(sign1.alg)
    {
        let claims = LicenceClaims::decode(sign1.payload).or_else(|e| fail(Stage::Claims, e))?;
        return Ok(TokenRef {
            protected: sign1.protected,
            payload: sign1.payload,
            signature: sign1.signature,
            alg,
            kid: sign1.kid,
            claims,
        });
    }
    let sign1 = cose::decode_ref(cose, true).or_else(|e| fail(Stage::Cose, e))?;
    let cose_err = |detail: &str| CompactError {
        stage: Stage::Cose,
        detail: detail.to_string(),
    };
    sign1.refuse_crit().map_err(|e| cose_err(&e))?;
    let alg_value = sign1.alg().map_err(|e| cose_err(&e))?;
    let alg = CoseAlgorithm::from_value(alg_value)
        .ok_or_else(|| cose_err(&format!("unsupported alg {alg_value}")))?;
    let kid = sign1
        .kid()
        .map_err(|e| cose_err(&e))?
        .ok_or_else(|| cose_err("no kid"))?;
    let claims = LicenceClaims::decode(sign1.payload).or_else(|e| fail(Stage::Claims, e))?;
    Ok(TokenRef {
        protected: sign1.protected_bytes,
        payload: sign1.payload,
        signature: sign1.signature,
        alg,
        kid,
        claims,
    })
}

/// The parts of a COSE_Sign1 as eseal writes it (tag 18, a protected header of `alg`
/// and `kid` only, an empty unprotected header), found in one pass.
struct ExpectedSign1<'a> {
    protected: &'a [u8],
    alg: i64,
    kid: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
}

/// The COSE_Sign1 `cose` when it has exactly the shape eseal writes; `None` for anything
/// else, which [`cose::decode_ref`] then accepts or refuses with the exact error.
fn sign1_expected(cose: &[u8]) -> Option<ExpectedSign1<'_>> {
    let mut r = cbor::Reader::new(cose);
    if r.tag()? != cose::TAG_COSE_SIGN1 || r.array()? != 4 {
        return None;
    }
    let protected = r.bytes()?;
    if r.map()? != 0 {
        return None;
    }
    let (payload, signature) = (r.bytes()?, r.bytes()?);
    if !r.is_at_end() {
        return None;
    }
    let mut header = cbor::Reader::new(protected);
    if header.map()? != 2 {
        return None;
    }
    let (mut alg, mut kid, mut previous) = (None, None, &[][..]);
    for _ in 0..2 {
        match header.key(&mut previous, cbor::Reader::int)? {
            cose::HEADER_ALG if alg.is_none() => alg = Some(header.int()?),
            cose::HEADER_KID if kid.is_none() => kid = Some(header.bytes()?),
            _ => return None,
        }
    }
    Some(ExpectedSign1 {
        protected,
        alg: alg?,
        kid: kid?,
        payload,
        signature,
    })
    .filter(|_| header.is_at_end())
}

impl DecodedToken {
    /// Verifies the token against one signing certificate: the KID stage (`kid` =
    /// [`kid_of`] the certificate), then the SIGNATURE stage (the `alg` fits the key
    /// type, LICENCE.md §3; the signature over the `Sig_structure` of the bytes as
    /// received, RFC 9052 clause 4.4).
    pub fn verify_with(&self, cert: &Certificate) -> std::result::Result<(), CompactError> {
        verify_parts(
            &self.kid,
            self.alg,
            &self.protected,
            &self.payload,
            &self.signature,
            cert,
        )
    }
}

impl TokenRef<'_> {
    /// [`DecodedToken::verify_with`] of the borrowed token.
    pub fn verify_with(&self, cert: &Certificate) -> std::result::Result<(), CompactError> {
        verify_parts(
            self.kid,
            self.alg,
            self.protected,
            self.payload,
            self.signature,
            cert,
        )
    }
}

fn verify_parts(
    token_kid: &[u8],
    alg: CoseAlgorithm,
    protected: &[u8],
    payload: &[u8],
    signature: &[u8],
    cert: &Certificate,
) -> std::result::Result<(), CompactError> {
    let kid = kid_of(cert);
    if token_kid != kid {
        return fail(
            Stage::Kid,
            format!(
                "kid {} is not the certificate's {}",
                hex::encode(token_kid),
                hex::encode(kid)
            ),
        );
    }
    let key = cert
        .public_key()
        .or_else(|e| fail(Stage::Signature, format!("certificate key: {e}")))?;
    let algorithm = alg.algorithm();
    if algorithm.key_type() != key.key_type() {
        return fail(
            Stage::Signature,
            format!(
                "alg {} does not fit the certificate's {:?} key",
                alg.value(),
                key.key_type()
            ),
        );
    }
    let verified = cose::verify_signature(algorithm, &key, protected, payload, signature);
    verified.or_else(|e| fail(Stage::Signature, e))
}

/// The Base45 alphabet (RFC 9285 clause 4.2).
const BASE45: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Base45-encodes `data` (RFC 9285 clause 4).
pub fn base45_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(2) * 3);
    for chunk in data.chunks(2) {
        let (mut n, digits) = match chunk {
            [a, b] => (usize::from(*a) * 256 + usize::from(*b), 3),
            [a] => (usize::from(*a), 2),
            _ => unreachable!("chunks of 1 or 2"),
        };
        for _ in 0..digits {
            out.push(char::from(BASE45[n % 45]));
            n /= 45;
        }
    }
    out
}

/// The value of each byte as a Base45 digit, 0xff for bytes outside the alphabet.
const BASE45_VALUE: [u8; 256] = super::identifiers::digit_values(BASE45);

/// Strictly decodes Base45 (RFC 9285 clause 4.2): characters outside the alphabet, a
/// dangling single character, a triplet above 65535 or a pair above 255 are errors.
pub fn base45_decode(text: &str) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    base45_decode_into(text, &mut out)?;
    Ok(out)
}

/// [`base45_decode`] into `out`, replacing what it held.
fn base45_decode_into(text: &str, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    let bytes = text.as_bytes();
    let triplets = bytes.chunks_exact(3);
    let tail = triplets.remainder();
    out.clear();
    out.reserve(triplets.len() * 2 + 1);
    out.resize(triplets.len() * 2, 0);
    // Digits are below 45, the 0xff of a character outside the alphabet sets bit 7, and a
    // triplet above 65535 sets a bit above 15: any of them sends the input to
    // `base45_error` for the exact error.
    let mut bad = 0u32;
    for (t, o) in triplets.zip(out.chunks_exact_mut(2)) {
        let [a, b, c] = [t[0], t[1], t[2]].map(|x| u32::from(BASE45_VALUE[usize::from(x)]));
        let n = a + b * 45 + c * 45 * 45;
        bad |= ((a | b | c) & 0x80) | (n >> 16);
        o.copy_from_slice(&[(n >> 8) as u8, n as u8]);
    }
    if bad != 0 {
        return Err(base45_error(bytes));
    }
    match tail {
        [] => {}
        [a, b] => {
            let digit = |x: &u8| match BASE45_VALUE[usize::from(*x)] {
                0xff => None,
                v => Some(u32::from(v)),
            };
            match (digit(a), digit(b)) {
                (Some(a), Some(b)) => {
                    let n = a + b * 45;
                    out.push(u8::try_from(n).map_err(|_| format!("final pair is {n}, above 255"))?);
                }
                _ => return Err(base45_error(bytes)),
            }
        }
        _ => return Err("a single dangling character at the end".into()),
    }
    Ok(())
}

/// The first error in the triplets or final pair of Base45 text `bytes` that
/// [`base45_decode`] refused.
fn base45_error(bytes: &[u8]) -> String {
    let digit = |i: usize, x: u8| match BASE45_VALUE[usize::from(x)] {
        0xff => Err(format!(
            "character {:?} at {i} is not Base45",
            char::from(x)
        )),
        v => Ok(u32::from(v)),
    };
    let triplets = bytes.chunks_exact(3);
    let tail_at = bytes.len() - triplets.remainder().len();
    for (k, t) in triplets.enumerate() {
        let (mut n, mut scale) = (0, 1);
        for (j, x) in t.iter().enumerate() {
            match digit(k * 3 + j, *x) {
                Ok(v) => n += v * scale,
                Err(e) => return e,
            }
            scale *= 45;
        }
        if n > 0xffff {
            return format!("triplet at {} is {n}, above 65535", k * 3);
        }
    }
    for (i, x) in bytes.iter().enumerate().skip(tail_at) {
        if let Err(e) = digit(i, *x) {
            return e;
        }
    }
    "not Base45".into()
}

/// The holder hash of the privacy option (LICENCE.md §3):
/// `SHA-256(salt ‖ UTF-8(holder_code))[..16]`.
pub fn holder_hash(salt: &[u8; 10], holder_code: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(holder_code.as_bytes());
    let digest = h.finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// The Base32 alphabet (RFC 4648 clause 6).
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The 16-character Base32 (RFC 4648 clause 6, no padding) of a salt, printed on the
/// document as 核验码.
pub fn salt_base32(salt: &[u8; 10]) -> String {
    let mut bits = 0u128;
    for b in salt {
        bits = (bits << 8) | u128::from(*b);
    }
    (0..16)
        .map(|i| char::from(BASE32[((bits >> (75 - 5 * i)) & 31) as usize]))
        .collect()
}

/// Parses the 16-character Base32 核验码 back into the salt (case-insensitive).
pub fn salt_from_base32(text: &str) -> Option<[u8; 10]> {
    if text.len() != 16 {
        return None;
    }
    let mut bits = 0u128;
    for c in text.bytes() {
        let v = BASE32.iter().position(|a| *a == c.to_ascii_uppercase())?;
        bits = (bits << 5) | v as u128;
    }
    let mut salt = [0; 10];
    for (i, b) in salt.iter_mut().enumerate() {
        *b = (bits >> (72 - 8 * i)) as u8;
    }
    Some(salt)
}

/// The QR code symbol of a licence QR string: alphanumeric mode only, error correction
/// level Q (LICENCE.md §3; ISO/IEC 18004 clause 7.4.4), the smallest version that fits.
pub fn qr_code(qr: &str) -> Result<qrcode::QrCode> {
    if let Some(c) = qr.bytes().find(|b| !BASE45.contains(b)) {
        return Err(Error::Invalid(format!(
            "{:?} cannot be written in QR alphanumeric mode",
            char::from(c)
        )));
    }
    for version in 1..=40 {
        let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(version));
        if bits.push_alphanumeric_data(qr.as_bytes()).is_err()
            || bits.push_terminator(qrcode::EcLevel::Q).is_err()
        {
            continue;
        }
        return qrcode::QrCode::with_bits(bits, qrcode::EcLevel::Q)
            .map_err(|e| Error::Invalid(format!("QR code: {e}")));
    }
    Err(Error::Invalid(format!(
        "{} characters do not fit a QR code at level Q",
        qr.len()
    )))
}

fn dark_modules(code: &qrcode::QrCode) -> Vec<bool> {
    code.to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect()
}

/// Quiet zone around the symbol, in modules (ISO/IEC 18004 clause 6.3.8).
const QUIET_ZONE: usize = 4;

/// The QR code of `qr` as SVG: one path of dark modules, one unit per module, with the
/// four-module quiet zone; scale it to ≥ 35 mm when printing.
pub fn qr_svg(qr: &str) -> Result<String> {
    let code = qr_code(qr)?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let dark = dark_modules(&code);
    let mut path = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if dark[y * width + x] {
                let start = x;
                while x < width && dark[y * width + x] {
                    x += 1;
                }
                path.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>\n"
    ))
}

/// The QR code of `qr` as a PNG, `scale` pixels per module (1–64), with the quiet zone.
pub fn qr_png(qr: &str, scale: u32) -> Result<Vec<u8>> {
    if !(1..=64).contains(&scale) {
        return Err(Error::Invalid(format!("QR scale {scale}, expected 1–64")));
    }
    let code = qr_code(qr)?;
    let width = code.width();
    let dark = dark_modules(&code);
    let scale = scale as usize;
    let side = (width + 2 * QUIET_ZONE) * scale;
    let mut pixmap = tiny_skia::Pixmap::new(side as u32, side as u32)
        .ok_or_else(|| Error::Invalid("QR image too large".into()))?;
    for (i, px) in pixmap.data_mut().chunks_exact_mut(4).enumerate() {
        let (x, y) = ((i % side) / scale, (i / side) / scale);
        let on = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
            && (QUIET_ZONE..QUIET_ZONE + width).contains(&y)
            && dark[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)];
        let v = if on { 0 } else { 255 };
        px.copy_from_slice(&[v, v, v, 255]);
    }
    pixmap
        .encode_png()
        .map_err(|e| Error::Invalid(format!("QR PNG: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The claims of the sample business licence, with every field the issuer writes.
    fn sample_payload() -> Vec<u8> {
        use super::super::sample;
        let (template, office) = (sample::business_template(), sample::office());
        let licence = sample::business_request(0)
            .to_licence(&template, &office, "20260000001", 1_772_416_800)
            .unwrap();
        let status = StatusReference {
            idx: 4711,
            uri: sample::STATUS_LIST_URI.to_string(),
        };
        let mut claims = licence
            .claims(&template, office.region, 1_772_416_800, status, None)
            .unwrap();
        claims.issuer = Some(sample::OFFICE_CODE.into());
        claims.licence.holder_hash = Some([7; 16]);
        claims.licence.related = vec!["a".into(), "b".into()];
        claims.licence.number = Some("no".into());
        claims.to_cbor().unwrap()
    }

    /// Every payload one byte away from `payload` (changed, dropped, or cut off there).
    fn neighbours(payload: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
        (0..payload.len()).flat_map(move |i| {
            let changed = [0x00, 0x01, 0x17, 0x18, 0x40, 0x60, 0xa0, 0xf6, 0xff]
                .into_iter()
                .map(move |b| {
                    let mut p = payload.to_vec();
                    p[i] = b;
                    p
                });
            let dropped = [payload[..i].iter(), payload[i + 1..].iter()]
                .into_iter()
                .flatten()
                .copied()
                .collect();
            changed.chain([dropped, payload[..i].to_vec()])
        })
    }

    #[test]
    fn one_pass_claims_agree_with_the_tree_decoder() {
        let payload = sample_payload();
        let claims = LicenceClaims::decode_expected(&payload).expect("the issuer's shape");
        assert_eq!(Ok(&claims), LicenceClaims::decode_any(&payload).as_ref());
        assert_eq!(claims.licence.related, ["a", "b"]);
        assert!(!claims.licence.surface.is_empty());
        let (mut fast, mut slow_only) = (0, 0);
        for p in neighbours(&payload) {
            match LicenceClaims::decode_expected(&p) {
                Some(c) => {
                    assert_eq!(Ok(c), LicenceClaims::decode_any(&p), "{}", hex::encode(&p));
                    fast += 1;
                }
                None => slow_only += usize::from(LicenceClaims::decode_any(&p).is_ok()),
            }
        }
        // Both paths are exercised: text changes keep the shape, unknown keys do not.
        assert!(fast > 0 && slow_only > 0, "{fast} {slow_only}");
    }

    #[test]
    fn one_pass_cose_agrees_with_the_tree_decoder() {
        let signer = crate::crypto::SoftwareKey::generate(Algorithm::Ed25519).unwrap();
        let cert = crate::pki::issue_root(
            &crate::pki::DistinguishedName::common_name("kid"),
            crate::pki::Validity::days_from_now(1),
            &signer,
        )
        .unwrap();
        let cose = sign_cose(&sample_payload(), &signer, &cert).unwrap();
        let mut fast = 0;
        for c in neighbours(&cose).chain([cose.clone()]) {
            let Some(expected) = sign1_expected(&c) else {
                continue;
            };
            fast += 1;
            let tree = cose::decode_ref(&c, true).expect("the tree decoder accepts it");
            assert_eq!(tree.tagging, cose::Tagging::Sign1);
            assert_eq!(tree.protected_bytes, expected.protected);
            assert_eq!(tree.payload, expected.payload);
            assert_eq!(tree.signature, expected.signature);
            assert_eq!(tree.alg(), Ok(expected.alg));
            assert_eq!(tree.kid(), Ok(Some(expected.kid)));
        }
        assert!(fast > 1);
    }

    /// `len` bytes that do not compress, followed by `repeated` zero bytes that do.
    fn barely_compressible(len: usize, repeated: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut data: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        data.resize(len + repeated, 0);
        data
    }

    #[test]
    fn zlib_is_stored_only_where_it_costs_no_qr_limit() {
        let inflate = |zlib: &[u8]| crate::deflate::inflate_to_vec(zlib, true, usize::MAX).unwrap();
        let is_stored = |zlib: &[u8]| zlib[2] & 0b110 == 0;
        // Coding saves under 5 % and both forms stay under 600 characters: stored.
        let small = barely_compressible(300, 25);
        let zlib = zlib_compress(&small);
        assert!(is_stored(&zlib));
        assert_eq!(inflate(&zlib), small);
        // Coding saves under 5 %, but only the coded form stays under 600: coded.
        let edge = barely_compressible(360, 30);
        let zlib = zlib_compress(&edge);
        assert!(!is_stored(&zlib));
        assert!(qr_string(&edge).len() <= super::super::issue::QR_WARN_CHARS);
        assert_eq!(inflate(&zlib), edge);
        // Both forms are over 600 anyway: stored (a PS256 token).
        let large = barely_compressible(500, 30);
        assert!(is_stored(&zlib_compress(&large)));
    }

    #[test]
    fn base45_errors_name_the_first_fault() {
        assert_eq!(base45_decode("QED8WEX0"), Ok(b"ietf!".to_vec()));
        let cases = [
            ("AB", "final pair is 505, above 255"),
            ("GGW", "triplet at 0 is 65536, above 65535"),
            ("0000a0", "character 'a' at 4 is not Base45"),
            ("00a:::", "character 'a' at 2 is not Base45"),
            (":::a0", "triplet at 0 is 91124, above 65535"),
            ("000a", "a single dangling character at the end"),
            ("000a0", "character 'a' at 3 is not Base45"),
        ];
        for (text, error) in cases {
            assert_eq!(base45_decode(text), Err(error.to_string()), "{text}");
        }
    }
}
