//! Names in certificates and name constraints (RFC 5280 clause 4.2.1.6 and 4.2.1.10):
//! the forms eseal evaluates — directory names, DNS names, IP addresses, e-mail
//! addresses — their syntax, and whether a name lies in a subtree.
//!
//! ```text
//! GeneralName ::= CHOICE {
//!     otherName                 [0] AnotherName,
//!     rfc822Name                [1] IA5String,
//!     dNSName                   [2] IA5String,
//!     x400Address               [3] ORAddress,
//!     directoryName             [4] Name,
//!     ediPartyName              [5] EDIPartyName,
//!     uniformResourceIdentifier [6] IA5String,
//!     iPAddress                 [7] OCTET STRING,
//!     registeredID              [8] OBJECT IDENTIFIER }
//! ```

use std::fmt;

use x509_parser::extensions::GeneralName as ParsedName;
use x509_parser::x509::X509Name;

/// One attribute of a relative distinguished name: its type and its value, strings
/// compared case-insensitively with white space folded (RFC 5280 clause 7.1, RFC 4518).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attribute {
    oid: String,
    value: AttributeValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum AttributeValue {
    Text(String),
    Raw(u32, Vec<u8>),
}

/// A distinguished name as a sequence of RDNs, each a set of attributes.
pub(crate) type DistinguishedName = Vec<Vec<Attribute>>;

/// `id-emailAddress` (PKCS #9), an attribute of legacy subject names.
const OID_EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";

/// Reads a parsed `Name` into its comparable form.
pub(crate) fn distinguished_name(name: &X509Name<'_>) -> DistinguishedName {
    name.iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| Attribute {
                    oid: atv.attr_type().to_id_string(),
                    value: match atv.as_str() {
                        Ok(text) => AttributeValue::Text(fold(text)),
                        Err(_) => AttributeValue::Raw(
                            atv.attr_value().tag().0,
                            atv.attr_value().data.to_vec(),
                        ),
                    },
                })
                .collect()
        })
        .collect()
}

/// The e-mail addresses a subject name carries as `emailAddress` attributes.
pub(crate) fn subject_emails(name: &DistinguishedName) -> Vec<String> {
    name.iter()
        .flatten()
        .filter(|a| a.oid == OID_EMAIL_ADDRESS)
        .filter_map(|a| match &a.value {
            AttributeValue::Text(t) => Some(t.clone()),
            AttributeValue::Raw(..) => None,
        })
        .collect()
}

fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A general name as eseal evaluates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    /// `dNSName`, lower-cased.
    Dns(String),
    /// `iPAddress`: 4 or 16 octets in a certificate, address and mask (8 or 32) in a
    /// constraint.
    Ip(Vec<u8>),
    /// `rfc822Name`.
    Email(String),
    /// `directoryName`.
    Directory(DistinguishedName),
    /// Any other form, by name: eseal does not evaluate constraints on it.
    Other(&'static str),
    /// A name that could not be decoded.
    Invalid(u32),
}

impl Name {
    /// Converts a parsed general name.
    pub(crate) fn from_parsed(name: &ParsedName<'_>) -> Name {
        match name {
            ParsedName::DNSName(d) => Name::Dns(d.to_ascii_lowercase()),
            ParsedName::IPAddress(ip) => Name::Ip(ip.to_vec()),
            ParsedName::RFC822Name(e) => Name::Email((*e).to_string()),
            ParsedName::DirectoryName(dn) => Name::Directory(distinguished_name(dn)),
            ParsedName::OtherName(..) => Name::Other("otherName"),
            ParsedName::X400Address(_) => Name::Other("x400Address"),
            ParsedName::EDIPartyName(_) => Name::Other("ediPartyName"),
            ParsedName::URI(_) => Name::Other("uniformResourceIdentifier"),
            ParsedName::RegisteredID(_) => Name::Other("registeredID"),
            ParsedName::Invalid(tag, _) => Name::Invalid(tag.0),
        }
    }

    /// The form's name, for messages and for matching forms.
    pub(crate) fn form(&self) -> &'static str {
        match self {
            Name::Dns(_) => "dNSName",
            Name::Ip(_) => "iPAddress",
            Name::Email(_) => "rfc822Name",
            Name::Directory(_) => "directoryName",
            Name::Other(form) => form,
            Name::Invalid(_) => "invalid",
        }
    }

    /// Why this name is not well-formed in a subjectAltName, if it is not.
    pub(crate) fn san_syntax_error(&self) -> Option<String> {
        match self {
            Name::Dns(d) if !is_dns_name(d, true) => Some(format!("dNSName `{d}` is malformed")),
            Name::Ip(ip) if ip.len() != 4 && ip.len() != 16 => Some(format!(
                "iPAddress of {} octets (4 or 16 expected)",
                ip.len()
            )),
            Name::Email(e) if !is_mailbox(e) => Some(format!("rfc822Name `{e}` is malformed")),
            Name::Invalid(tag) => Some(format!("general name [{tag}] cannot be decoded")),
            _ => None,
        }
    }

    /// Why this name is not well-formed as a name-constraint base, if it is not.
    pub(crate) fn constraint_syntax_error(&self) -> Option<String> {
        match self {
            Name::Dns(d) if !is_dns_name(d, false) => {
                Some(format!("dNSName constraint `{d}` is malformed"))
            }
            Name::Ip(ip) if !is_cidr(ip) => Some(format!(
                "iPAddress constraint of {} octets is not an address and a contiguous mask",
                ip.len()
            )),
            Name::Email(e) if !is_email_constraint(e) => {
                Some(format!("rfc822Name constraint `{e}` is malformed"))
            }
            Name::Invalid(tag) => Some(format!("general name [{tag}] cannot be decoded")),
            _ => None,
        }
    }

    /// Whether `self`, a name of a certificate, lies within the subtree `base`. `None`
    /// when the two are of different forms (the constraint says nothing about it).
    ///
    /// `excluding` asks the question for an excluded subtree, where a wildcard DNS name
    /// counts as matching when any name it stands for would.
    pub(crate) fn within(&self, base: &Name, excluding: bool) -> Option<bool> {
        Some(match (self, base) {
            (Name::Dns(name), Name::Dns(base)) => dns_within(name, base, excluding),
            (Name::Ip(ip), Name::Ip(base)) => ip_within(ip, base),
            (Name::Email(mail), Name::Email(base)) => email_within(mail, base),
            (Name::Directory(dn), Name::Directory(base)) => {
                dn.len() >= base.len() && dn.iter().zip(base).all(|(a, b)| rdn_equal(a, b))
            }
            _ => return None,
        })
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Dns(d) => write!(f, "dNSName {d}"),
            Name::Ip(ip) => write!(f, "iPAddress {}", hex::encode(ip)),
            Name::Email(e) => write!(f, "rfc822Name {e}"),
            Name::Directory(dn) => write!(f, "directoryName of {} RDNs", dn.len()),
            Name::Other(form) => f.write_str(form),
            Name::Invalid(tag) => write!(f, "undecodable general name [{tag}]"),
        }
    }
}

fn rdn_equal(a: &[Attribute], b: &[Attribute]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// RFC 1034 preferred name syntax (letters, digits, hyphens; labels of 1 to 63
/// characters, not starting or ending with a hyphen), as RFC 5280 clause 4.2.1.6 requires.
/// A certificate name may start with a `*.` wildcard label; a name that reads as an IPv4
/// address is not a DNS name.
fn is_dns_name(name: &str, allow_wildcard: bool) -> bool {
    let name = match name.strip_prefix("*.") {
        Some(rest) if allow_wildcard => rest,
        _ => name,
    };
    if name.is_empty() || name.len() > 253 || name.parse::<std::net::Ipv4Addr>().is_ok() {
        return false;
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// `local@domain` with exactly one unquoted `@` and a DNS domain.
fn is_mailbox(mail: &str) -> bool {
    match mail.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && (!local.contains('@') || (local.starts_with('"') && local.ends_with('"')))
                && is_dns_name(domain, false)
        }
        None => false,
    }
}

/// A mailbox, a host, or `.domain` (RFC 5280 clause 4.2.1.10).
fn is_email_constraint(base: &str) -> bool {
    if base.contains('@') {
        return is_mailbox(base);
    }
    is_dns_name(base.strip_prefix('.').unwrap_or(base), false)
}

/// An address followed by a mask of the same length whose one bits are contiguous.
fn is_cidr(ip: &[u8]) -> bool {
    if ip.len() != 8 && ip.len() != 32 {
        return false;
    }
    let mask = &ip[ip.len() / 2..];
    let bits: Vec<bool> = mask
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .collect();
    let ones = bits.iter().take_while(|b| **b).count();
    bits[ones..].iter().all(|b| !b)
}

fn dns_within(name: &str, base: &str, excluding: bool) -> bool {
    let base = base.to_ascii_lowercase();
    let in_subtree = |n: &str| n == base || n.ends_with(&format!(".{base}"));
    match name.strip_prefix("*.") {
        // Every name `*.parent` stands for lies under `parent`; for an excluded subtree
        // the wildcard also matches when the subtree could be one of its names.
        Some(parent) => in_subtree(parent) || (excluding && base.ends_with(&format!(".{parent}"))),
        None => in_subtree(name),
    }
}

fn ip_within(ip: &[u8], base: &[u8]) -> bool {
    if base.len() != ip.len() * 2 {
        return false;
    }
    let (address, mask) = base.split_at(ip.len());
    ip.iter()
        .zip(address)
        .zip(mask)
        .all(|((i, a), m)| i & m == a & m)
}

fn email_within(mail: &str, base: &str) -> bool {
    let Some((local, host)) = mail.rsplit_once('@') else {
        return false;
    };
    if let Some((base_local, base_host)) = base.rsplit_once('@') {
        return local == base_local && host.eq_ignore_ascii_case(base_host);
    }
    match base.strip_prefix('.') {
        Some(domain) => host
            .to_ascii_lowercase()
            .ends_with(&format!(".{}", domain.to_ascii_lowercase())),
        None => host.eq_ignore_ascii_case(base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        let name = |s: &str| Name::Dns(s.into());
        assert_eq!(
            name("a.example.com").within(&name("example.com"), false),
            Some(true)
        );
        assert_eq!(
            name("example.com").within(&name("example.com"), false),
            Some(true)
        );
        assert_eq!(
            name("notexample.com").within(&name("example.com"), false),
            Some(false)
        );
        assert_eq!(
            name("*.example.com").within(&name("bar.example.com"), false),
            Some(false)
        );
        assert_eq!(
            name("*.example.com").within(&name("bar.example.com"), true),
            Some(true)
        );
        assert_eq!(
            name("*.foo.com").within(&name("foo.com"), false),
            Some(true)
        );
        assert!(name(".example.com").constraint_syntax_error().is_some());
        assert!(name("*.example.com").constraint_syntax_error().is_some());
        assert!(name("a_b.example.com").san_syntax_error().is_some());
        assert!(name("127.0.0.1").san_syntax_error().is_some());
    }

    #[test]
    fn ip_and_mail_subtrees() {
        let net = Name::Ip(vec![192, 0, 2, 0, 255, 255, 255, 0]);
        assert_eq!(Name::Ip(vec![192, 0, 2, 7]).within(&net, false), Some(true));
        assert_eq!(
            Name::Ip(vec![192, 0, 3, 7]).within(&net, false),
            Some(false)
        );
        assert!(
            Name::Ip(vec![192, 0, 2, 0, 255, 0, 255, 0])
                .constraint_syntax_error()
                .is_some()
        );
        let mail = |s: &str| Name::Email(s.into());
        assert_eq!(
            mail("*@example.com").within(&mail("*@example.com"), false),
            Some(true)
        );
        assert_eq!(
            mail("user@example.com").within(&mail("*@example.com"), false),
            Some(false)
        );
        assert_eq!(
            mail("foo@example.com").within(&mail("example.com"), false),
            Some(true)
        );
        assert_eq!(
            mail("foo@a.example.com").within(&mail(".example.com"), false),
            Some(true)
        );
        assert!(
            mail("invalid@invalid@example.com")
                .san_syntax_error()
                .is_some()
        );
    }
}
