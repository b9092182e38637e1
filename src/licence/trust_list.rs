//! Trust lists of issuing offices and their licence signing keys (LICENCE.md §4).
//! Verifying a licence QR against a verified list is [`super::verify`]'s part.
//!
//! ```text
//! 18([ << {1: alg, 4: kid, 16: "application/vnd.eseal.trustlist+cwt", 33: signer cert} >>,
//!      {},
//!      << {1: iss, 4: exp, 6: iat, "seq": uint,
//!          "off": [{"c": USCC, "n": name, "rg"?: region, "alt"?: [codes], "sl"?: [URI prefixes],
//!                   "k": [{"x5": cert DER, "nb": time, "na": time,
//!                          "use": "sign" / "verify-only", "rv"?: revoked-at}]}]} >>,
//!      signature ])
//! ```
//!
//! The list signer's certificate travels in the protected `x5chain` (33, leaf first) and
//! must chain to a pinned root in the [`TrustStore`] for [`Usage::TrustListSigner`]
//! (ETSI TS 119 612 `id-tsl-kp-tslSigning`: a province's list signer, never an office's
//! key). A verified list indexes its keys by `kid` (first 8 bytes of
//! SHA-256 of the certificate DER); callers try **every** key a `kid` names.

use std::collections::HashMap;
use std::time::SystemTime;


use super::cbor::{self, Value};
use super::compact::CoseAlgorithm;
use super::cose::{self, CLAIM_EXP, CLAIM_IAT, CLAIM_ISS, HEADER_ALG, HEADER_CRIT, HEADER_TYP};
use super::model::Template;
use crate::crypto::{Algorithm, KeyType, PublicKey, Signer, Sm2VerifyingKey};
use crate::error::{Error, Result};
use crate::pki::{Certificate, TrustStore, Usage, unix_seconds};
use crate::report::Reason;

/// The protected `typ` (header 16) of a trust list.
pub const TRUST_LIST_TYP: &str = "application/vnd.eseal.trustlist+cwt";
/// The largest trust list accepted, in bytes.
pub const MAX_TRUST_LIST: usize = 8 << 20;
/// How far in the future an `iat` (of a list or a licence) may lie, in seconds.
pub const CLOCK_SKEW: i64 = 300;
/// COSE header label `x5chain` (RFC 9360 clause 2).
const HEADER_X5CHAIN: i64 = 33;

/// What a listed key may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// `sign`: the office signs new licences with it.
    Sign,
    /// `verify-only`: a rotated-out key, kept while its licences are in force.
    VerifyOnly,
}

impl KeyUse {
    /// The value written in the list.
    pub fn name(self) -> &'static str {
        match self {
            KeyUse::Sign => "sign",
            KeyUse::VerifyOnly => "verify-only",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sign" => Some(KeyUse::Sign),
            "verify-only" => Some(KeyUse::VerifyOnly),
            _ => None,
        }
    }
}

/// A key of an office (`k` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedKey {
    /// `x5`: the signing certificate.
    pub certificate: Certificate,
    /// `nb`: listed from, Unix seconds.
    pub not_before: i64,
    /// `na`: listed until, Unix seconds.
    pub not_after: i64,
    /// `use`.
    pub key_use: KeyUse,
    /// `rv`: revoked at (Unix seconds); every token under the key then fails.
    pub revoked_at: Option<i64>,
}

impl ListedKey {
    /// A key listed for the certificate's validity period.
    pub fn new(certificate: Certificate, key_use: KeyUse) -> Self {
        ListedKey {
            not_before: certificate.not_before_unix(),
            not_after: certificate.not_after_unix(),
            certificate,
            key_use,
            revoked_at: None,
        }
    }

    /// Sets `nb` and `na`.
    pub fn listed(mut self, not_before: SystemTime, not_after: SystemTime) -> Self {
        self.not_before = unix_seconds(not_before);
        self.not_after = unix_seconds(not_after);
        self
    }

    /// Marks the key revoked at `at`.
    pub fn revoked(mut self, at: SystemTime) -> Self {
        self.revoked_at = Some(unix_seconds(at));
        self
    }

    /// The `kid` of the key's certificate.
    pub fn kid(&self) -> [u8; 8] {
        cose::kid_of(&self.certificate)
    }
}

/// An issuing office (`off` entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Office {
    /// `c`: the office's code (USCC).
    pub code: String,
    /// `n`: its name.
    pub name: String,
    /// `rg`: its region code.
    pub region: Option<String>,
    /// `alt`: other issuer-segment codes it signs for.
    pub alt: Vec<String>,
    /// `sl`: URI prefixes of its status lists.
    pub status_lists: Vec<String>,
    /// `k`: its keys.
    pub keys: Vec<ListedKey>,
}

impl Office {
    /// An office with a code and a name and nothing else.
    pub fn new(code: &str, name: &str) -> Self {
        Office {
            code: code.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    /// Sets `rg`.
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Adds an `alt` code.
    pub fn alt(mut self, code: &str) -> Self {
        self.alt.push(code.into());
        self
    }

    /// Adds a status list URI prefix.
    pub fn status_list(mut self, prefix: &str) -> Self {
        self.status_lists.push(prefix.into());
        self
    }

    /// Adds a key.
    pub fn key(mut self, key: ListedKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Whether `code` is the office's code or one of its `alt` codes.
    pub fn answers_to(&self, code: &str) -> bool {
        self.code == code || self.alt.iter().any(|a| a == code)
    }

    /// Whether `uri` lies under one of the office's `sl` prefixes.
    pub fn has_status_list(&self, uri: &str) -> bool {
        self.status_lists
            .iter()
            .any(|p| uri.starts_with(p.as_str()))
    }

    fn to_value(&self) -> Value {
        let texts = |v: &[String]| Value::Array(v.iter().map(|s| Value::text(s)).collect());
        let mut map = vec![
            (Value::text("c"), Value::text(&self.code)),
            (Value::text("n"), Value::text(&self.name)),
        ];
        if let Some(rg) = &self.region {
            map.push((Value::text("rg"), Value::text(rg)));
        }
        if !self.alt.is_empty() {
            map.push((Value::text("alt"), texts(&self.alt)));
        }
        if !self.status_lists.is_empty() {
            map.push((Value::text("sl"), texts(&self.status_lists)));
        }
        let keys = self
            .keys
            .iter()
            .map(|k| {
                let mut key = vec![
                    (
                        Value::text("x5"),
                        Value::Bytes(k.certificate.der().to_vec()),
                    ),
                    (Value::text("nb"), Value::int(k.not_before)),
                    (Value::text("na"), Value::int(k.not_after)),
                    (Value::text("use"), Value::text(k.key_use.name())),
                ];
                if let Some(rv) = k.revoked_at {
                    key.push((Value::text("rv"), Value::int(rv)));
                }
                Value::Map(key)
            })
            .collect();
        map.push((Value::text("k"), Value::Array(keys)));
        Value::Map(map)
    }

    fn from_value(value: &Value) -> std::result::Result<Self, String> {
        let map = value.as_map().ok_or("an office is not a map")?;
        let field = |k: &str| cbor::lookup(map, &Value::text(k));
        let text = |k: &str| {
            optional_entry(map, k, "office", "text", |v| {
                v.as_text().map(str::to_string)
            })
        };
        let texts = |k: &str| -> std::result::Result<Vec<String>, String> {
            match field(k) {
                None => Ok(Vec::new()),
                Some(v) => v
                    .as_array()
                    .ok_or_else(|| format!("office `{k}` is not an array"))?
                    .iter()
                    .map(|t| {
                        t.as_text()
                            .map(str::to_string)
                            .ok_or_else(|| format!("office `{k}` has a non-text item"))
                    })
                    .collect(),
            }
        };
        let code = text("c")?.ok_or("an office has no `c`")?;
        let name = text("n")?.ok_or("an office has no `n`")?;
        let keys = field("k")
            .ok_or_else(|| format!("office {code} has no `k`"))?
            .as_array()
            .ok_or("office `k` is not an array")?
            .iter()
            .map(key_from_value)
            .collect::<std::result::Result<_, _>>()?;
        Ok(Office {
            region: text("rg")?,
            alt: texts("alt")?,
            status_lists: texts("sl")?,
            code,
            name,
            keys,
        })
    }
}

/// The entry `key` of `map` converted by `convert`: `None` when absent, an error saying that
/// `what`'s `key` is not `expected` when it cannot be converted.
fn optional_entry<'m, T>(
    map: &'m [(Value, Value)],
    key: &str,
    what: &str,
    expected: &str,
    convert: impl Fn(&'m Value) -> Option<T>,
) -> std::result::Result<Option<T>, String> {
    cbor::lookup(map, &Value::text(key))
        .map(|v| convert(v).ok_or_else(|| format!("{what} `{key}` is not {expected}")))
        .transpose()
}

fn key_from_value(value: &Value) -> std::result::Result<ListedKey, String> {
    let map = value.as_map().ok_or("a key is not a map")?;
    let field = |k: &str| cbor::lookup(map, &Value::text(k));
    let time = |k: &str| optional_entry(map, k, "key", "an integer", Value::as_i64);
    let der = field("x5")
        .and_then(Value::as_bytes)
        .ok_or("a key has no `x5` byte string")?;
    let certificate =
        Certificate::from_der(der).map_err(|e| format!("a key's `x5` certificate: {e}"))?;
    let key_use = field("use")
        .and_then(Value::as_text)
        .and_then(KeyUse::from_name)
        .ok_or("a key's `use` is not `sign` or `verify-only`")?;
    Ok(ListedKey {
        not_before: time("nb")?.ok_or("a key has no `nb`")?,
        not_after: time("na")?.ok_or("a key has no `na`")?,
        revoked_at: time("rv")?,
        certificate,
        key_use,
    })
}

/// A trust list's content: its issuer, offices and licence type templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustList {
    /// `iss`: who publishes the list.
    pub issuer: String,
    /// `off`: the offices.
    pub offices: Vec<Office>,
    /// `ty`: the licence types' templates (LICENCE.md §1), so a verifier can label the
    /// surface fields of a QR; each in the CBOR form of its JSON (`template.json`).
    pub templates: Vec<Template>,
}

impl TrustList {
    /// An empty list published by `issuer`.
    pub fn new(issuer: &str) -> Self {
        TrustList {
            issuer: issuer.into(),
            ..Default::default()
        }
    }

    /// Adds an office.
    pub fn office(mut self, office: Office) -> Self {
        self.offices.push(office);
        self
    }

    /// Adds a licence type's template.
    pub fn template(mut self, template: Template) -> Self {
        self.templates.push(template);
        self
    }
}

/// Signs `list` as a trust list with sequence number `seq`, issued at `iat`, stale after
/// `exp`, by `signer` whose certificate `cert` goes in the protected `x5chain` (RFC 9360
/// clause 2), followed by the intermediate certificates `chain` up to the pinned root, so a
/// verifier needs the root alone.
pub fn sign_trust_list(
    list: &TrustList,
    seq: u64,
    iat: SystemTime,
    exp: SystemTime,
    signer: &dyn Signer,
    cert: &Certificate,
    chain: &[Certificate],
) -> Result<Vec<u8>> {
    let (iat, exp) = (unix_seconds(iat), unix_seconds(exp));
    if exp <= iat {
        return Err(Error::Invalid("trust list exp not after its iat".into()));
    }
    let mut codes: Vec<&str> = list.offices.iter().map(|o| o.code.as_str()).collect();
    codes.sort_unstable();
    if codes.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::Invalid("an office is listed twice".into()));
    }
    let int = Value::int;
    let claims = cbor::encode(&Value::Map(vec![
        (int(CLAIM_ISS), Value::text(&list.issuer)),
        (int(CLAIM_IAT), int(iat)),
        (int(CLAIM_EXP), int(exp)),
        (Value::text("seq"), Value::Uint(seq)),
        (
            Value::text("off"),
            Value::Array(list.offices.iter().map(Office::to_value).collect()),
        ),
        (
            Value::text("ty"),
            Value::Array(
                list.templates
                    .iter()
                    .map(|t| {
                        let json = serde_json::to_value(t).expect("a template serialises");
                        cbor::from_json(&json)
                    })
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| Error::Invalid(format!("trust list template: {e}")))?,
            ),
        ),
    ]))
    .map_err(|e| Error::Invalid(format!("trust list: {e}")))?;
    let x5chain = match chain {
        [] => Value::Bytes(cert.der().to_vec()),
        _ => Value::Array(
            std::iter::once(cert)
                .chain(chain)
                .map(|c| Value::Bytes(c.der().to_vec()))
                .collect(),
        ),
    };
    cose::sign(
        &claims,
        vec![
            (int(HEADER_TYP), Value::text(TRUST_LIST_TYP)),
            (int(HEADER_X5CHAIN), x5chain),
        ],
        signer,
        cert,
    )
}

/// Why a trust list is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustListError {
    /// Larger than [`MAX_TRUST_LIST`].
    #[error("trust list too large")]
    TooLarge,
    /// Not parseable (CBOR, COSE, claims).
    #[error("malformed trust list: {0}")]
    Malformed(String),
    /// The protected `typ` is not `TRUST_LIST_TYP`.
    #[error("trust list typ is {0}, expected {TRUST_LIST_TYP}")]
    WrongType(String),
    /// The algorithm is unknown or does not fit the signer's key.
    #[error("trust list algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The `kid` is not that of the signer certificate in `x5chain`.
    #[error("trust list kid {0} is not the signer certificate's")]
    KidMismatch(String),
    /// The list signer's certificate does not chain to a pinned root.
    #[error("trust list signer {signer} is not trusted: {reasons}")]
    UntrustedSigner {
        /// The signer's subject.
        signer: String,
        /// Why, from chain validation.
        reasons: String,
    },
    /// The signature does not verify.
    #[error("trust list signature does not verify")]
    BadSignature,
    /// `seq` is lower than the last one seen.
    #[error("trust list rollback: seq {seq} is lower than the last seen {last}")]
    Rollback {
        /// The list's `seq`.
        seq: u64,
        /// The last `seq` seen.
        last: u64,
    },
    /// The list is past its `exp` (`TRUST_LIST_STALE`).
    #[error("trust list stale: expired at {exp} (checked at {at})")]
    Stale {
        /// `exp`, Unix seconds.
        exp: i64,
        /// The time of the check, Unix seconds.
        at: i64,
    },
    /// `iat` lies in the future beyond `CLOCK_SKEW`, or outside the signer
    /// certificate's validity.
    #[error("trust list iat {iat} is not acceptable at {at}")]
    BadIssuedAt {
        /// `iat`, Unix seconds.
        iat: i64,
        /// The time of the check, Unix seconds.
        at: i64,
    },
    /// The list signer's certificate may not sign trust lists (`USAGE_NOT_ALLOWED`): it
    /// is no trust-list signer (DESIGN.md "Roles"), e.g. an office's licence signer.
    #[error("USAGE_NOT_ALLOWED: {signer} may not sign trust lists: it needs {required}")]
    SignerNotAllowed {
        /// The signer's subject.
        signer: String,
        /// What the role needs, from [`Usage::check`].
        required: String,
    },
}

/// A listed key's public key, parsed once when the list is verified, for the one COSE
/// algorithm of its key type (LICENCE.md §3, "alg must match the key type"); an SM2 key
/// carries its Z_A for the ID `1234567812345678` (LICENCE.md §9).
#[derive(Clone, Debug)]
enum PreparedKey {
    /// ES256 (`r ‖ s`), EdDSA or PS256, verified by ring.
    Ring(CoseAlgorithm, Vec<u8>),
    /// SM2-with-SM3 (`r ‖ s`).
    Sm2(Box<Sm2VerifyingKey>),
}

impl PreparedKey {
    fn new(certificate: &Certificate) -> Option<Self> {
        let key = certificate.public_key().ok()?;
        let ring = |alg| Some(PreparedKey::Ring(alg, key.raw().to_vec()));
        match key.key_type() {
            KeyType::EcP256 => ring(CoseAlgorithm::Es256),
            KeyType::Ed25519 => ring(CoseAlgorithm::EdDsa),
            KeyType::Rsa => ring(CoseAlgorithm::Ps256),
            KeyType::Sm2 => Sm2VerifyingKey::new(cose::SM2_COSE_DISTID, key.raw())
                .ok()
                .map(|k| PreparedKey::Sm2(Box::new(k))),
            KeyType::EcP384 | KeyType::Ed448 => None,
        }
    }

    fn algorithm(&self) -> CoseAlgorithm {
        match self {
            PreparedKey::Ring(alg, _) => *alg,
            PreparedKey::Sm2(_) => CoseAlgorithm::Sm2Sm3,
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use ring::signature as rs;
        match self {
            PreparedKey::Sm2(key) => key.verify_raw(message, signature).is_ok(),
            PreparedKey::Ring(alg, raw) => {
                let ring_alg: &dyn rs::VerificationAlgorithm = match alg {
                    CoseAlgorithm::Es256 => &rs::ECDSA_P256_SHA256_FIXED,
                    CoseAlgorithm::EdDsa => &rs::ED25519,
                    _ => &rs::RSA_PSS_2048_8192_SHA256,
                };
                rs::UnparsedPublicKey::new(ring_alg, raw)
                    .verify(message, signature)
                    .is_ok()
            }
        }
    }
}

/// Where a listed key sits in a [`VerifiedTrustList`].
#[derive(Clone, Copy, Debug)]
pub struct KeyRef<'a> {
    /// The office listing the key.
    pub office: &'a Office,
    /// The key.
    pub key: &'a ListedKey,
    prepared: Option<&'a PreparedKey>,
}

impl PartialEq for KeyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.office == other.office && self.key == other.key
    }
}

impl Eq for KeyRef<'_> {}

impl KeyRef<'_> {
    /// Verifies a COSE signature (RFC 9052 clause 4.4) made with `alg` over `message`
    /// (the `Sig_structure`) with this key: `alg` must be the one COSE algorithm of the
    /// key's type (LICENCE.md §3) and the signature `r ‖ s` for ES256 and SM2.
    pub fn verify_cose(
        &self,
        alg: CoseAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> std::result::Result<(), String> {
        let prepared = self
            .prepared
            .ok_or("the listed key is not usable for COSE signatures")?;
        if prepared.algorithm() != alg {
            return Err(format!(
                "alg {} does not fit the listed key's type",
                alg.value()
            ));
        }
        if prepared.verify(message, signature) {
            Ok(())
        } else {
            Err("the signature does not verify".into())
        }
    }
}

/// A listed key in the `kid` index: its office, its place there, its prepared key.
#[derive(Clone, Debug)]
struct IndexedKey {
    office: usize,
    key: usize,
    prepared: Option<PreparedKey>,
}

/// A trust list whose signature, signer chain, `typ`, `seq` and times have been checked.
#[derive(Clone, Debug)]
pub struct VerifiedTrustList {
    claims: Claims,
    signer: Certificate,
    by_kid: HashMap<[u8; 8], Vec<IndexedKey>>,
}

impl VerifiedTrustList {
    /// `iss`.
    pub fn issuer(&self) -> &str {
        &self.claims.issuer
    }

    /// `iat`, Unix seconds.
    pub fn issued_at(&self) -> i64 {
        self.claims.iat
    }

    /// `exp`, Unix seconds: past it the list is stale (`TRUST_LIST_STALE`, LICENCE.md §4).
    pub fn expires_at(&self) -> i64 {
        self.claims.exp
    }

    /// `seq`: remember it and pass it as `last_seq` next time.
    pub fn seq(&self) -> u64 {
        self.claims.seq
    }

    /// The offices.
    pub fn offices(&self) -> &[Office] {
        &self.claims.offices
    }

    /// The template of licence type `type_code`, if the list publishes it.
    pub fn template(&self, type_code: &str) -> Option<&Template> {
        self.claims
            .templates
            .iter()
            .find(|t| t.type_code.to_string() == type_code)
    }

    /// The list signer's certificate.
    pub fn signer(&self) -> &Certificate {
        &self.signer
    }

    /// Every listed key whose certificate has `kid`, without allocating (callers try each
    /// one, LICENCE.md §4).
    pub fn key_refs(&self, kid: [u8; 8]) -> impl Iterator<Item = KeyRef<'_>> {
        self.by_kid.get(&kid).into_iter().flatten().map(|k| KeyRef {
            office: &self.claims.offices[k.office],
            key: &self.claims.offices[k.office].keys[k.key],
            prepared: k.prepared.as_ref(),
        })
    }

    /// Every listed key whose certificate has `kid` (callers try each one).
    pub fn keys_for_kid(&self, kid: [u8; 8]) -> Vec<KeyRef<'_>> {
        self.key_refs(kid).collect()
    }

    /// The office listing `cert` as one of its keys.
    pub fn office_for_key(&self, cert: &Certificate) -> Option<&Office> {
        self.key_refs(cose::kid_of(cert))
            .find(|r| r.key.certificate.der() == cert.der())
            .map(|r| r.office)
    }

    /// The office whose listed, unrevoked key `cert` may sign the status list at `uri`
    /// (LICENCE.md §5: a status-list signer's key of the office, the URI under its `sl`);
    /// the caller checks it is the licence's office.
    pub fn status_list_office(&self, cert: &Certificate, uri: &str) -> Option<&Office> {
        if Usage::StatusList.check(cert).is_err() {
            return None;
        }
        self.key_refs(cose::kid_of(cert))
            .find(|r| {
                r.key.certificate.der() == cert.der()
                    && r.key.revoked_at.is_none()
                    && r.office.has_status_list(uri)
            })
            .map(|r| r.office)
    }

    /// The office with code `code`.
    pub fn office(&self, code: &str) -> Option<&Office> {
        self.claims.offices.iter().find(|o| o.code == code)
    }
}

/// Verifies a trust list as of `at` against the pinned roots in `store`.
///
/// Checks, in order: size, COSE_Sign1 (tag 18 or untagged), `typ`, `crit`, `alg`, the
/// signer certificate from `x5chain` (its `kid`, its chain for [`Usage::TrustListSigner`] at
/// `at`), the signature, the claims, `seq` against `last_seq` (lower → rollback), `exp`
/// (`at > exp` → [`TrustListError::Stale`]) and `iat` (not after `at` + 300 s, inside the
/// signer certificate's validity).
pub fn verify_trust_list(
    bytes: &[u8],
    store: &TrustStore,
    at: SystemTime,
    last_seq: Option<u64>,
) -> std::result::Result<VerifiedTrustList, TrustListError> {
    if bytes.len() > MAX_TRUST_LIST {
        return Err(TrustListError::TooLarge);
    }
    let sign1 = cose::decode(bytes, false).map_err(TrustListError::Malformed)?;
    let algorithm = check_header(&sign1)?;
    let (signer, public_key) = trusted_signer(&sign1, algorithm, store, at)?;
    sign1
        .verify(algorithm, &public_key)
        .map_err(|_| TrustListError::BadSignature)?;

    let claims = Claims::read(&sign1.payload)?;
    check_rollback(claims.seq, last_seq)?;
    let (iat, exp) = (claims.iat, claims.exp);
    let at = unix_seconds(at);
    if at > exp {
        return Err(TrustListError::Stale { exp, at });
    }
    if iat > at.saturating_add(CLOCK_SKEW)
        || iat < signer.not_before_unix()
        || iat > signer.not_after_unix()
    {
        return Err(TrustListError::BadIssuedAt { iat, at });
    }
    let by_kid = index_keys(&claims.offices)?;
    Ok(VerifiedTrustList {
        claims,
        signer,
        by_kid,
    })
}

fn malformed(s: &str) -> TrustListError {
    TrustListError::Malformed(s.to_string())
}

/// The protected header's `typ`, `crit` and `alg`; returns the algorithm.
fn check_header(sign1: &cose::Sign1) -> std::result::Result<Algorithm, TrustListError> {
    match sign1.protected_header(HEADER_TYP) {
        Some(Value::Text(typ)) if typ == TRUST_LIST_TYP => {}
        Some(other) => return Err(TrustListError::WrongType(format!("{other:?}"))),
        None => return Err(TrustListError::WrongType("absent".into())),
    }
    if sign1.protected_header(HEADER_CRIT).is_some() {
        return Err(malformed("crit header: no critical header is understood"));
    }
    let alg = match sign1.protected_header(HEADER_ALG) {
        Some(v) => v
            .as_i64()
            .ok_or_else(|| malformed("alg is not an integer"))?,
        None => return Err(malformed("no alg in the protected header")),
    };
    cose::algorithm_of(alg)
        .ok_or_else(|| TrustListError::UnsupportedAlgorithm(format!("COSE algorithm {alg}")))
}

/// The list signer from `x5chain`: its `kid`, its key for `algorithm`, and its chain to a
/// pinned root for [`Usage::TrustListSigner`] at `at`. Returns it with its public key.
fn trusted_signer(
    sign1: &cose::Sign1,
    algorithm: Algorithm,
    store: &TrustStore,
    at: SystemTime,
) -> std::result::Result<(Certificate, PublicKey), TrustListError> {
    let mut chain = match sign1.protected_header(HEADER_X5CHAIN) {
        Some(Value::Bytes(der)) => vec![der.as_slice()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_bytes().ok_or_else(|| malformed("x5chain item")))
            .collect::<std::result::Result<_, _>>()?,
        _ => return Err(malformed("no x5chain (33) in the protected header")),
    }
    .into_iter()
    .map(|der| {
        Certificate::from_der(der)
            .map_err(|e| TrustListError::Malformed(format!("x5chain certificate: {e}")))
    })
    .collect::<std::result::Result<Vec<_>, _>>()?;
    let signer = chain.remove(0);
    match sign1.kid().map_err(TrustListError::Malformed)? {
        None => {}
        Some(kid) if kid == cose::kid_of(&signer) => {}
        Some(kid) => return Err(TrustListError::KidMismatch(hex::encode(kid))),
    }
    let public_key = signer
        .public_key()
        .map_err(|e| TrustListError::UnsupportedAlgorithm(e.to_string()))?;
    if public_key.key_type() != algorithm.key_type() {
        return Err(TrustListError::UnsupportedAlgorithm(format!(
            "{algorithm} with a {:?} key",
            public_key.key_type()
        )));
    }
    let validation = store.validate(&signer, &chain, at, Usage::TrustListSigner);
    if let Some(Reason::UsageNotAllowed { required, .. }) = validation
        .reasons
        .iter()
        .find(|r| matches!(r, Reason::UsageNotAllowed { .. }))
    {
        return Err(TrustListError::SignerNotAllowed {
            signer: signer.subject().to_string(),
            required: required.clone(),
        });
    }
    if !validation.is_valid() {
        return Err(TrustListError::UntrustedSigner {
            signer: signer.subject().to_string(),
            reasons: validation
                .reasons
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    Ok((signer, public_key))
}

/// The claims of a trust list, their structure checked.
#[derive(Clone, Debug)]
struct Claims {
    issuer: String,
    iat: i64,
    exp: i64,
    seq: u64,
    offices: Vec<Office>,
    templates: Vec<Template>,
}

impl Claims {
    /// Reads the payload's `iss`, `iat`, `exp`, `seq`, `off` and `ty`.
    fn read(payload: &[u8]) -> std::result::Result<Claims, TrustListError> {
        let claims = match cbor::decode(payload).map_err(TrustListError::Malformed)? {
            Value::Map(m) => m,
            _ => return Err(malformed("claims are not a map")),
        };
        let get = |k: Value| cbor::lookup(&claims, &k).cloned();
        let issuer = get(Value::int(CLAIM_ISS))
            .and_then(|v| v.as_text().map(str::to_string))
            .ok_or_else(|| malformed("iss (1) absent or not text"))?;
        let time = |k: i64, name: &str| {
            get(Value::int(k)).and_then(|v| v.as_i64()).ok_or_else(|| {
                TrustListError::Malformed(format!("{name} ({k}) absent or not an integer"))
            })
        };
        let iat = time(CLAIM_IAT, "iat")?;
        let exp = time(CLAIM_EXP, "exp")?;
        let seq = match get(Value::text("seq")) {
            Some(Value::Uint(seq)) => seq,
            _ => return Err(malformed("seq absent or not an unsigned integer")),
        };
        let offices = match get(Value::text("off")) {
            Some(Value::Array(items)) => items
                .iter()
                .map(Office::from_value)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(TrustListError::Malformed)?,
            _ => return Err(malformed("off absent or not an array")),
        };
        let templates = match get(Value::text("ty")) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(template_from_value)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(TrustListError::Malformed)?,
            Some(_) => return Err(malformed("ty not an array")),
        };
        Ok(Claims {
            issuer,
            iat,
            exp,
            seq,
            offices,
            templates,
        })
    }
}

/// The offices' keys by `kid`; an office listed twice is malformed.
fn index_keys(
    offices: &[Office],
) -> std::result::Result<HashMap<[u8; 8], Vec<IndexedKey>>, TrustListError> {
    let mut by_kid: HashMap<[u8; 8], Vec<IndexedKey>> = HashMap::new();
    let mut codes = std::collections::HashSet::new();
    for (o, office) in offices.iter().enumerate() {
        if !codes.insert(office.code.as_str()) {
            return Err(TrustListError::Malformed(format!(
                "office {} is listed twice",
                office.code
            )));
        }
        for (k, key) in office.keys.iter().enumerate() {
            by_kid.entry(key.kid()).or_default().push(IndexedKey {
                office: o,
                key: k,
                prepared: PreparedKey::new(&key.certificate),
            });
        }
    }
    Ok(by_kid)
}

/// A `ty` entry as a checked template (the CBOR form of `template.json`).
fn template_from_value(value: &Value) -> std::result::Result<Template, String> {
    let json = cbor::to_json(value).map_err(|e| format!("ty: {e}"))?;
    let bytes = serde_json::to_vec(&json).expect("JSON serialises");
    Template::from_json(&bytes).map_err(|e| format!("ty: {e}"))
}

/// The rollback rule of LICENCE.md §4: a list whose `seq` is lower than `last_seq`, the
/// highest seen from its issuer, is refused ([`TrustListError::Rollback`]); an equal
/// `seq` is the same list fetched again.
pub fn check_rollback(seq: u64, last_seq: Option<u64>) -> std::result::Result<(), TrustListError> {
    match last_seq {
        Some(last) if seq < last => Err(TrustListError::Rollback { seq, last }),
        _ => Ok(()),
    }
}
