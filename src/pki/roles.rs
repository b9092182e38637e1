//! The roles of eseal's PKI as extended key usages (RFC 5280 clause 4.2.1.12): every key
//! does one job and its certificate says which (DESIGN.md "Roles").
//!
//! ```text
//! ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
//! KeyPurposeId ::= OBJECT IDENTIFIER
//! ```
//!
//! Roles with an assigned purpose use it (trust-list signing, timestamping, OCSP signing);
//! the others sit under eseal's own arc [`OID_ESEAL_ROLES`], an X.667 UUID OID
//! (`2.25.` and the UUID `cac9f6e7-3cc1-44ee-b507-274670ace360` as an integer), which
//! needs no registration.

use super::certificate::OID_KP_TIME_STAMPING;
use super::ocsp::OID_KP_OCSP_SIGNING;

/// eseal's arc for the roles that have no assigned purpose:
/// `{joint-iso-itu-t(2) uuid(25) cac9f6e7-3cc1-44ee-b507-274670ace360}`.
pub const OID_ESEAL_ROLES: &str = "2.25.269552714610389294582646621333418206048";

/// Seal maker (制章人), who signs GB/T 38540 seals: `OID_ESEAL_ROLES.1`.
pub const OID_KP_SEAL_MAKER: &str = "2.25.269552714610389294582646621333418206048.1";

/// Document signer (签章人), who signs seal signatures, PDF and OFD documents with a
/// seal: `OID_ESEAL_ROLES.2`.
pub const OID_KP_DOCUMENT_SIGNER: &str = "2.25.269552714610389294582646621333418206048.2";

/// Licence (QR) signer, whose key an office lists in the trust list to sign licence
/// CWTs (LICENCE.md §3): `OID_ESEAL_ROLES.3`.
pub const OID_KP_LICENCE_SIGNER: &str = "2.25.269552714610389294582646621333418206048.3";

/// Status-list signer, who signs an office's Token Status Lists (LICENCE.md §5):
/// `OID_ESEAL_ROLES.4`. The IETF Token Status List draft's `id-kp-oauthStatusSigning`
/// is still TBD (draft 21), so eseal uses its own purpose until one is assigned.
pub const OID_KP_STATUS_LIST_SIGNER: &str = "2.25.269552714610389294582646621333418206048.4";

/// Trust-list signer (a province's list signer, never an office): ETSI TS 119 612
/// `id-tsl-kp-tslSigning` `{itu-t(0) identified-organization(4) etsi(0)
/// tsl-specification(2231) kp(3) tsl-signing(0)}`.
pub const OID_KP_TSL_SIGNING: &str = "0.4.0.2231.3.0";

/// `anyExtendedKeyUsage` (RFC 5280 clause 4.2.1.12): grants no eseal role.
pub const OID_ANY_EXTENDED_KEY_USAGE: &str = "2.5.29.37.0";

/// Every purpose that makes a certificate a role certificate: one carrying any of them
/// acts only in the roles it names.
pub const ROLE_PURPOSES: [&str; 7] = [
    OID_KP_SEAL_MAKER,
    OID_KP_DOCUMENT_SIGNER,
    OID_KP_LICENCE_SIGNER,
    OID_KP_STATUS_LIST_SIGNER,
    OID_KP_TSL_SIGNING,
    OID_KP_TIME_STAMPING,
    OID_KP_OCSP_SIGNING,
];

/// The DER content octets of the dotted OID `text` (X.690 clause 8.19), arcs of up to 128
/// bits, as UUID OIDs need; `None` when `text` is no OID.
pub(crate) fn oid_content(text: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u128> = text
        .split('.')
        .map(|a| a.parse().ok())
        .collect::<Option<_>>()?;
    let (&[first, second], rest) = arcs.split_first_chunk::<2>()?;
    if first > 2 || (first < 2 && second >= 40) {
        return None;
    }
    let mut out = Vec::new();
    for arc in std::iter::once(second.checked_add(first * 40)?).chain(rest.iter().copied()) {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        out.extend(groups.iter().rev());
    }
    Some(out)
}

/// The dotted text of the OID whose DER content octets are `content`, arcs of up to 128
/// bits; hex when it does not decode (so it matches no known purpose).
pub(crate) fn oid_text(content: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut arc: u128 = 0;
    let mut ok = !content.is_empty() && content.last().is_some_and(|b| b & 0x80 == 0);
    for &b in content {
        if arc == 0 && b == 0x80 {
            ok = false;
        }
        match arc.checked_mul(128) {
            Some(v) => arc = v | u128::from(b & 0x7f),
            None => ok = false,
        }
        if b & 0x80 == 0 {
            arcs.push(arc);
            arc = 0;
        }
    }
    if !ok {
        return hex::encode(content);
    }
    let (first, second) = match arcs[0] {
        v if v < 40 => (0, v),
        v if v < 80 => (1, v - 40),
        v => (2, v - 80),
    };
    std::iter::once(first)
        .chain(std::iter::once(second))
        .chain(arcs[1..].iter().copied())
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_round_trip_with_uuid_arcs() {
        for oid in ROLE_PURPOSES
            .iter()
            .chain([&OID_ESEAL_ROLES, &"1.2.156.10197.1.501"])
        {
            let content = oid_content(oid).unwrap();
            assert_eq!(oid_text(&content), *oid);
        }
        assert_eq!(
            oid_content(OID_KP_TSL_SIGNING).unwrap(),
            [0x04, 0x00, 0x91, 0x37, 0x03, 0x00]
        );
        assert_eq!(oid_content("3.1"), None);
        assert_eq!(oid_content("1.40"), None);
        assert_eq!(oid_text(&[0x2b, 0x86]), "2b86");
    }
}
