//! Signed audit heads (LICENCE.md §7): the office signs the audit log's head hash (at each
//! status-list publication, and daily), so that a database rewritten with a consistent new
//! hash chain no longer matches what the office signed before.
//!
//! The token is a COSE_Sign1 (RFC 9052, tag 18) with protected `typ`
//! `application/vnd.eseal.audit-head+cwt` over the CBOR map
//! `{1: iss, 6: iat, "n": entries, "h": head hash (32 bytes)}`.

use std::time::SystemTime;

use super::{AuditCheck, Registry, RegistryResult};
use crate::crypto::Signer;
use crate::error::{Error, Result};
use crate::licence::cbor::{self, Value, ValueRef};
use crate::licence::cose::{self, HEADER_TYP};
use crate::pki::{Certificate, unix_seconds};

/// The `typ` of an audit-head token.
pub const AUDIT_HEAD_TYP: &str = "application/vnd.eseal.audit-head+cwt";

/// The largest audit-head token read.
const MAX_AUDIT_HEAD: usize = 16 * 1024;

/// What an audit head states: after `entries` entries the chain's head hash was `head`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    /// The office code that signed it (`iss`).
    pub issuer: String,
    /// When it was signed (`iat`), Unix seconds.
    pub issued_at: i64,
    /// The number of audit entries covered.
    pub entries: u64,
    /// The hash of entry `entries` (the genesis hash for 0).
    pub head: [u8; 32],
}

/// Signs the registry's current audit head for office `issuer`; refuses a broken chain.
pub fn sign_audit_head(
    registry: &dyn Registry,
    issuer: &str,
    at: SystemTime,
    signer: &dyn Signer,
    cert: &Certificate,
) -> Result<(AuditHead, Vec<u8>)> {
    let (entries, head) = match registry.audit_verify()? {
        AuditCheck::Intact { entries, head } => (entries, head),
        AuditCheck::Broken { seq } => {
            return Err(Error::Invalid(format!(
                "the audit chain is broken at entry {seq}; not signing its head"
            )));
        }
    };
    let statement = AuditHead {
        issuer: issuer.to_owned(),
        issued_at: unix_seconds(at),
        entries,
        head,
    };
    let claims = cbor::encode(&Value::Map(vec![
        (Value::int(1), Value::text(issuer)),
        (Value::int(6), Value::int(statement.issued_at)),
        (Value::text("n"), Value::Uint(entries)),
        (Value::text("h"), Value::Bytes(head.to_vec())),
    ]))
    .map_err(|e| Error::Invalid(format!("audit head: {e}")))?;
    let token = cose::sign(
        &claims,
        vec![(Value::int(HEADER_TYP), Value::text(AUDIT_HEAD_TYP))],
        signer,
        cert,
    )?;
    Ok((statement, token))
}

/// Verifies an audit-head token signed with `cert`'s key and reads it.
pub fn verify_audit_head(token: &[u8], cert: &Certificate) -> Result<AuditHead> {
    let malformed = |detail: String| Error::malformed("audit head", detail);
    if token.len() > MAX_AUDIT_HEAD {
        return Err(malformed(format!("{} bytes", token.len())));
    }
    let sign1 = cose::decode(token, false).map_err(malformed)?;
    if sign1.protected_header(HEADER_TYP).and_then(Value::as_text) != Some(AUDIT_HEAD_TYP) {
        return Err(malformed(format!("typ is not {AUDIT_HEAD_TYP}")));
    }
    let alg = sign1.alg().map_err(malformed)?;
    let algorithm = cose::algorithm_of(alg)
        .ok_or_else(|| Error::UnsupportedAlgorithm(format!("COSE algorithm {alg}")))?;
    sign1.verify(algorithm, &cert.public_key()?)?;
    let claims = cbor::decode_ref(&sign1.payload).map_err(malformed)?;
    let map = claims
        .as_map()
        .ok_or_else(|| malformed("the payload is not a map".into()))?;
    let get = |key: ValueRef<'_>| cbor::lookup_ref(map, &key);
    let missing = |what: &str| malformed(format!("no {what}"));
    let issuer = get(ValueRef::Uint(1))
        .and_then(ValueRef::as_text)
        .ok_or_else(|| missing("iss"))?;
    let issued_at = get(ValueRef::Uint(6))
        .and_then(ValueRef::as_i64)
        .ok_or_else(|| missing("iat"))?;
    let entries = match get(ValueRef::Text("n")) {
        Some(ValueRef::Uint(n)) => *n,
        _ => return Err(missing("entry count n")),
    };
    let head = get(ValueRef::Text("h"))
        .and_then(ValueRef::as_bytes)
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .ok_or_else(|| missing("32-byte head h"))?;
    Ok(AuditHead {
        issuer: issuer.to_owned(),
        issued_at,
        entries,
        head,
    })
}

/// Whether the registry still holds what `head` states: the chain is intact and its entry
/// `head.entries` has the signed hash. A database rewritten with a consistent new chain,
/// or cut short, fails here although [`Registry::audit_verify`] alone would pass it.
pub fn check_audit_head(registry: &dyn Registry, head: &AuditHead) -> RegistryResult<AuditCheck> {
    let check = registry.audit_verify()?;
    let AuditCheck::Intact { entries, .. } = check else {
        return Ok(check);
    };
    if entries < head.entries {
        return Ok(AuditCheck::Broken { seq: entries + 1 });
    }
    if registry.audit_hash_at(head.entries)? != Some(head.head) {
        return Ok(AuditCheck::Broken { seq: head.entries });
    }
    Ok(check)
}
