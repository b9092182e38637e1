//! Certification path building and validation (RFC 5280 clause 6.1) with eseal's profile:
//! from the certificate to a trust anchor through the intermediates at hand, every
//! certificate checked, the first path that holds wins.
//!
//! Path building is a depth-first search over candidate issuers (same name, signature
//! verifies), bounded in depth, in signature verifications and in name-constraint
//! comparisons, so hostile certificate sets cost bounded time.

use std::collections::{BTreeSet, HashMap};

use super::certificate::Certificate;
use super::extensions::ANY_POLICY;
use super::names::Name;
use crate::crypto::{KeyType, PublicKey};
use crate::report::{Reason, Time};

/// How strictly a path is judged.
///
/// Both profiles enforce what changes what a path proves: signatures, validity, basic
/// constraints and `keyCertSign` on issuers, path lengths, name constraints (DNS, IP,
/// e-mail and directory names), policy constraints, unknown critical extensions,
/// well-formed names, and a trust anchor valid at the time with no unknown critical
/// extension. The default profile follows RFC 5280 clause 6.1 — an anchor is its name
/// and key — and reports profile flaws that do not change what the path proves (the
/// anchor's own basic constraints and key usage, AKI/SKI presence and criticality,
/// serial numbers, criticality flags) as warnings, since certificates from the wild break
/// them; the strict profile (pyca/cryptography's) makes them errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    strict: bool,
    max_intermediates: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            strict: false,
            max_intermediates: 8,
        }
    }
}

impl Policy {
    /// The strict profile: profile flaws are errors.
    pub fn strict() -> Self {
        Policy {
            strict: true,
            ..Policy::default()
        }
    }

    /// At most `n` intermediates that are not self-issued (8 by default).
    pub fn with_max_intermediates(mut self, n: usize) -> Self {
        self.max_intermediates = n;
        self
    }

    /// Whether this is the strict profile.
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}

/// A path that holds: leaf first, anchor last, and the profile flaws found on it.
pub(crate) struct ValidPath<'a> {
    pub certs: Vec<&'a Certificate>,
    pub warnings: Vec<String>,
}

/// Signature verifications one path search may make.
const SIGNATURE_BUDGET: usize = 100;
/// Name-constraint comparisons one path may need.
const NAME_CONSTRAINT_BUDGET: usize = 250_000;

/// Finds and validates a path from `leaf` to one of `anchors` as of `at` (Unix seconds).
pub(crate) fn build<'a>(
    leaf: &'a Certificate,
    anchors: &[&'a Certificate],
    intermediates: &[&'a Certificate],
    at: i64,
    policy: Policy,
) -> Result<ValidPath<'a>, Reason> {
    // What is wrong with the leaf itself is the finding, whatever the path.
    check_certificate(leaf, Role::Leaf, &mut Flaws::new(policy))?;
    let mut search = Search {
        anchors,
        intermediates,
        at,
        policy,
        signatures: HashMap::new(),
        budget: SIGNATURE_BUDGET,
        best: None,
    };
    let mut path = vec![leaf];
    if let Some(found) = search.extend(&mut path) {
        return Ok(found);
    }
    Err(search.best.map(|(_, r)| r).unwrap_or(Reason::UnknownIssuer))
}

/// Checks a certificate trusted directly: valid at `at`, no unknown critical extension,
/// the profile of a leaf.
pub(crate) fn check_pinned(
    cert: &Certificate,
    at: i64,
    policy: Policy,
) -> Result<Vec<String>, Reason> {
    let mut flaws = Flaws::new(policy);
    check_anchor_usable(cert, at)?;
    check_certificate(cert, Role::Leaf, &mut flaws)?;
    Ok(flaws.warnings)
}

struct Search<'s, 'a> {
    anchors: &'s [&'a Certificate],
    intermediates: &'s [&'a Certificate],
    at: i64,
    policy: Policy,
    signatures: HashMap<(*const Certificate, *const Certificate), Result<(), Reason>>,
    budget: usize,
    /// The most telling failure so far and its rank: a path that reached an anchor
    /// outranks a signature that did not verify, which outranks a missing issuer.
    best: Option<(u8, Reason)>,
}

impl<'a> Search<'_, 'a> {
    fn extend(&mut self, path: &mut Vec<&'a Certificate>) -> Option<ValidPath<'a>> {
        let child = *path.last()?;
        for anchor in named_issuers(self.anchors, child) {
            if let Err(reason) = self.signed_by(child, anchor) {
                self.note(1, reason);
                continue;
            }
            path.push(anchor);
            let outcome = validate(path, self.at, self.policy);
            path.pop();
            match outcome {
                Ok(warnings) => {
                    let mut certs = path.clone();
                    certs.push(anchor);
                    return Some(ValidPath { certs, warnings });
                }
                Err(reason) => self.note(2, reason),
            }
        }
        for candidate in named_issuers(self.intermediates, child) {
            let repeated = path.iter().any(|p| {
                p.der() == candidate.der()
                    || (p.subject_der() == candidate.subject_der()
                        && p.spki_der() == candidate.spki_der())
            });
            if repeated {
                continue;
            }
            let depth = path[1..]
                .iter()
                .chain(Some(&candidate))
                .filter(|c| !c.is_self_issued())
                .count();
            if depth > self.policy.max_intermediates
                || path.len() > 2 * self.policy.max_intermediates + 2
            {
                self.note(
                    1,
                    Reason::ChainConstraint(format!(
                        "no path within {} intermediate certificates",
                        self.policy.max_intermediates
                    )),
                );
                continue;
            }
            if let Err(reason) = self.signed_by(child, candidate) {
                self.note(1, reason);
                continue;
            }
            path.push(candidate);
            let found = self.extend(path);
            path.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }

    fn note(&mut self, rank: u8, reason: Reason) {
        if self.best.as_ref().is_none_or(|(best, _)| rank > *best) {
            self.best = Some((rank, reason));
        }
    }

    /// Whether `issuer`'s key verifies `cert`'s signature, each pair verified once and
    /// within the search's budget.
    fn signed_by(&mut self, cert: &Certificate, issuer: &Certificate) -> Result<(), Reason> {
        let key = (cert as *const Certificate, issuer as *const Certificate);
        if let Some(known) = self.signatures.get(&key) {
            return known.clone();
        }
        if self.budget == 0 {
            return Err(Reason::ChainConstraint(format!(
                "path building stopped after {SIGNATURE_BUDGET} signature verifications"
            )));
        }
        self.budget -= 1;
        let outcome = verify_certificate_signature(cert, issuer);
        self.signatures.insert(key, outcome.clone());
        outcome
    }
}

/// The certificates of `certs` whose subject is `child`'s issuer name.
fn named_issuers<'a>(certs: &[&'a Certificate], child: &Certificate) -> Vec<&'a Certificate> {
    certs
        .iter()
        .copied()
        .filter(|c| c.subject_der() == child.issuer_der())
        .collect()
}

/// Verifies `cert`'s signature with `issuer`'s key: any algorithm the crypto layer
/// verifies, the algorithm resolved against the key's curve.
pub(crate) fn verify_certificate_signature(
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<(), Reason> {
    let signed = cert.signed();
    let algorithm = signed
        .algorithm
        .clone()
        .map_err(Reason::UnsupportedAlgorithm)?;
    let key = usable_key(issuer)?;
    let algorithm = algorithm.for_key(key.key_type()).ok_or_else(|| {
        Reason::UnsupportedAlgorithm(format!(
            "{} signed with {algorithm} by a {:?} key",
            cert.subject(),
            key.key_type()
        ))
    })?;
    if key
        .verify(algorithm, &signed.tbs, &signed.signature)
        .is_ok()
    {
        return Ok(());
    }
    Err(Reason::signature_failure(
        &key,
        &signed.tbs,
        &signed.signature,
        cert.subject(),
        Reason::BadCertificateSignature {
            subject: cert.subject().to_string(),
        },
    ))
}

/// The issuer's public key, if it is one eseal accepts for certificate signatures: RSA of
/// at least 2048 bits in whole bytes, P-256, P-384, Ed25519, Ed448 or SM2 on named curves.
fn usable_key(issuer: &Certificate) -> Result<PublicKey, Reason> {
    let key = issuer.public_key().map_err(|e| {
        Reason::UnsupportedAlgorithm(format!("the key of {}: {e}", issuer.subject()))
    })?;
    if key.key_type() == KeyType::Rsa {
        let bits = rsa_modulus_bits(key.raw()).unwrap_or(0);
        if bits < 2048 || !bits.is_multiple_of(8) {
            return Err(Reason::UnsupportedAlgorithm(format!(
                "the {bits}-bit RSA key of {}",
                issuer.subject()
            )));
        }
    }
    Ok(key)
}

/// The bit length of an `RSAPublicKey`'s modulus.
fn rsa_modulus_bits(raw: &[u8]) -> Option<usize> {
    use der::{Decode, asn1::UintRef};
    #[derive(der::Sequence)]
    struct RsaPublicKey<'a> {
        modulus: UintRef<'a>,
        _exponent: UintRef<'a>,
    }
    let key = RsaPublicKey::from_der(raw).ok()?;
    let bytes = key.modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

/// Profile flaws: errors in the strict profile, warnings by default.
struct Flaws {
    policy: Policy,
    warnings: Vec<String>,
}

impl Flaws {
    fn new(policy: Policy) -> Self {
        Flaws {
            policy,
            warnings: Vec::new(),
        }
    }

    fn profile(&mut self, cert: &Certificate, flaw: &str) -> Result<(), Reason> {
        let text = format!("{}: {flaw}", cert.subject());
        if self.policy.strict {
            return Err(Reason::ChainConstraint(text));
        }
        self.warnings.push(format!("certificate profile: {text}"));
        Ok(())
    }
}

fn constraint(cert: &Certificate, what: impl std::fmt::Display) -> Reason {
    Reason::ChainConstraint(format!("{}: {what}", cert.subject()))
}

/// RFC 5280 clause 6.1 over `path` (leaf first, anchor last), every signature already
/// verified; returns the profile warnings.
fn validate(path: &[&Certificate], at: i64, policy: Policy) -> Result<Vec<String>, Reason> {
    let mut flaws = Flaws::new(policy);
    let anchor = *path.last().expect("a path ends in its anchor");
    check_anchor_usable(anchor, at)?;
    check_anchor_profile(anchor, &mut flaws)?;
    let below = &path[..path.len() - 1];
    let mut state = State::new(below.len());
    state.take_constraints(anchor, true, &mut flaws)?;
    for (i, cert) in below.iter().enumerate().rev() {
        let leaf = i == 0;
        check_validity(cert, at)?;
        let role = if leaf { Role::Leaf } else { Role::Intermediate };
        check_certificate(cert, role, &mut flaws)?;
        state.check_names(cert, leaf)?;
        state.process_policies(cert, leaf)?;
        if !leaf {
            state.take_constraints(cert, false, &mut flaws)?;
        }
    }
    state.finish_policies(path[0])?;
    Ok(flaws.warnings)
}

/// What makes a trust anchor unusable at `at` in either profile: outside its validity,
/// or an extension it marks critical that eseal does not understand.
fn check_anchor_usable(anchor: &Certificate, at: i64) -> Result<(), Reason> {
    check_validity(anchor, at)?;
    if let Some(oid) = anchor.extensions().unknown_critical.first() {
        return Err(constraint(
            anchor,
            format_args!("unknown critical extension {oid}; not usable as a trust anchor"),
        ));
    }
    Ok(())
}

/// The anchor's own CA profile: a strict-profile matter (RFC 5280 clause 6.1 takes an
/// anchor as its name and key).
fn check_anchor_profile(anchor: &Certificate, flaws: &mut Flaws) -> Result<(), Reason> {
    let ext = anchor.extensions();
    match ext.basic_constraints {
        None => flaws.profile(anchor, "a trust anchor without basicConstraints")?,
        Some(bc) if !bc.ca => flaws.profile(anchor, "a trust anchor with cA FALSE")?,
        Some(bc) if !bc.critical => {
            flaws.profile(anchor, "basicConstraints of a CA not marked critical")?
        }
        Some(_) => {}
    }
    if anchor.key_usage().is_some_and(|ku| !ku.key_cert_sign) {
        flaws.profile(anchor, "a trust anchor whose keyUsage lacks keyCertSign")?;
    }
    if ext.name_constraints.as_ref().is_some_and(|nc| !nc.critical) {
        flaws.profile(anchor, "nameConstraints not marked critical")?;
    }
    if ext.version != 2 {
        flaws.profile(anchor, "not an X.509 v3 certificate")?;
    }
    check_key_ids(anchor, Role::Anchor, flaws)?;
    if let Some(flaw) = ext.serial_flaw {
        flaws.profile(anchor, flaw)?;
    }
    Ok(())
}

/// Where a certificate stands in a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Anchor,
    Intermediate,
    /// The end entity. RFC 5280 makes no stipulation about cA in this place: whether a
    /// certificate may sign what is asked of it is the usage check's question
    /// ([`super::Usage::check`] refuses a CA for every role).
    Leaf,
}

/// AKI and SKI (RFC 5280 clause 4.2.1.1 and 4.2.1.2): profile matters.
fn check_key_ids(cert: &Certificate, role: Role, flaws: &mut Flaws) -> Result<(), Reason> {
    let ext = cert.extensions();
    let (ca, anchor) = (
        matches!(role, Role::Anchor | Role::Intermediate),
        role == Role::Anchor,
    );
    let self_signed = cert.is_self_issued()
        && ext
            .authority_key_id
            .as_ref()
            .and_then(|aki| aki.key_id.as_deref())
            .is_none_or(|id| Some(id) == cert.subject_key_id());
    match &ext.authority_key_id {
        None if !self_signed => flaws.profile(cert, "no authorityKeyIdentifier")?,
        None => {}
        Some(aki) => {
            if aki.critical {
                flaws.profile(cert, "authorityKeyIdentifier marked critical")?;
            }
            if aki.key_id.is_none() {
                flaws.profile(cert, "authorityKeyIdentifier without keyIdentifier")?;
            }
            if anchor && cert.is_self_issued() && aki.names_issuer {
                flaws.profile(cert, "a self-issued certificate's AKI names an issuer")?;
            }
            if anchor
                && cert.is_self_issued()
                && aki.key_id.is_some()
                && cert.subject_key_id().is_some()
                && aki.key_id.as_deref() != cert.subject_key_id()
            {
                flaws.profile(cert, "a self-issued CA's AKI differs from its SKI")?;
            }
        }
    }
    if ca && cert.subject_key_id().is_none() {
        flaws.profile(cert, "a CA certificate without subjectKeyIdentifier")?;
    }
    if ext.subject_key_id_critical {
        flaws.profile(cert, "subjectKeyIdentifier marked critical")?;
    }
    Ok(())
}

fn check_validity(cert: &Certificate, at: i64) -> Result<(), Reason> {
    if at > cert.not_after_unix() {
        return Err(Reason::CertificateExpired {
            subject: cert.subject().to_string(),
            not_after: Time::from_unix(cert.not_after_unix()),
        });
    }
    if at < cert.not_before_unix() {
        return Err(Reason::CertificateNotYetValid {
            subject: cert.subject().to_string(),
            not_before: Time::from_unix(cert.not_before_unix()),
        });
    }
    Ok(())
}

/// The checks of one certificate below the anchor (or pinned) that do not depend on the
/// rest of the path.
fn check_certificate(cert: &Certificate, role: Role, flaws: &mut Flaws) -> Result<(), Reason> {
    let ext = cert.extensions();
    if ext.version != 2 {
        return Err(Reason::ChainConstraint(format!(
            "{} is not an X.509 v3 certificate",
            cert.subject()
        )));
    }
    if !ext.signature_algorithms_agree {
        return Err(constraint(
            cert,
            "signatureAlgorithm differs from tbsCertificate.signature",
        ));
    }
    if ext.issuer_empty {
        return Err(constraint(cert, "empty issuer name"));
    }
    if let Some(oid) = &ext.duplicate {
        return Err(Reason::Malformed(format!(
            "{}: extension {oid} appears more than once",
            cert.subject()
        )));
    }
    if let Some(oid) = ext.unknown_critical.first() {
        return Err(Reason::ChainConstraint(format!(
            "{}: unknown critical extension {oid}",
            cert.subject()
        )));
    }
    for (name, bearing) in &ext.malformed {
        if *bearing {
            return Err(Reason::Malformed(format!(
                "{}: extension {name} cannot be decoded",
                cert.subject()
            )));
        }
        flaws.profile(cert, &format!("extension {name} cannot be decoded"))?;
    }
    if ext.eku_empty {
        return Err(constraint(cert, "an empty extKeyUsage"));
    }
    if let Some((critical, names)) = &ext.subject_alt_names {
        if let Some(error) = names.iter().find_map(Name::san_syntax_error) {
            return Err(constraint(cert, format_args!("subjectAltName: {error}")));
        }
        if ext.subject.is_empty() && !critical {
            flaws.profile(cert, "empty subject with a non-critical subjectAltName")?;
        }
    } else if ext.subject.is_empty() {
        return Err(constraint(
            cert,
            "neither a subject name nor subjectAltName",
        ));
    }
    if let Some(pc) = ext.policy_constraints
        && !pc.critical
    {
        return Err(constraint(cert, "policyConstraints not marked critical"));
    }
    if ext.info_access_critical {
        flaws.profile(cert, "authorityInfoAccess marked critical")?;
    }
    if let Some(flaw) = ext.serial_flaw {
        flaws.profile(cert, flaw)?;
    }
    let key_cert_sign = cert.key_usage().is_some_and(|ku| ku.key_cert_sign);
    if role != Role::Intermediate {
        if ext.name_constraints.is_some() {
            return Err(constraint(
                cert,
                "nameConstraints in a certificate that is not a CA",
            ));
        }
        // Harmless to what the path proves (an issuer needs cA TRUE) and found in the wild
        // (the ofdrw test PKI), so a profile flaw.
        if key_cert_sign && !ext.is_ca() {
            flaws.profile(cert, "keyCertSign without cA TRUE")?;
        }
        check_key_ids(cert, role, flaws)?;
    } else {
        match ext.basic_constraints {
            Some(bc) if bc.ca => {
                if !bc.critical {
                    flaws.profile(cert, "basicConstraints of a CA not marked critical")?;
                }
            }
            _ => {
                return Err(constraint(
                    cert,
                    "issues certificates but is not a CA (basicConstraints cA)",
                ));
            }
        }
        if cert.key_usage().is_some_and(|ku| !ku.key_cert_sign) {
            return Err(constraint(
                cert,
                "issues certificates but its keyUsage lacks keyCertSign",
            ));
        }
        if ext.subject.is_empty() {
            return Err(constraint(cert, "a CA with an empty subject name"));
        }
        if let Some(nc) = &ext.name_constraints
            && !nc.critical
        {
            flaws.profile(cert, "nameConstraints not marked critical")?;
        }
        check_key_ids(cert, Role::Intermediate, flaws)?;
    }
    Ok(())
}

/// The state RFC 5280 clause 6.1.2 carries down the path.
struct State {
    /// `max_path_length`.
    remaining: usize,
    /// Each CA's permitted subtrees (a name must lie in one of every set that has its
    /// form).
    permitted: Vec<Vec<Name>>,
    excluded: Vec<Name>,
    comparisons: usize,
    /// `valid_policy_tree` reduced to its policy set: `None` is the NULL tree.
    policies: Option<BTreeSet<String>>,
    explicit_policy: usize,
    inhibit_any: usize,
    mappings_seen: bool,
}

impl State {
    fn new(n: usize) -> Self {
        State {
            remaining: n,
            permitted: Vec::new(),
            excluded: Vec::new(),
            comparisons: 0,
            policies: Some(BTreeSet::from([ANY_POLICY.to_string()])),
            explicit_policy: n + 1,
            inhibit_any: n + 1,
            mappings_seen: false,
        }
    }

    /// Clause 6.1.4 for a CA certificate (or the anchor): path length, name constraints,
    /// policy constraints.
    fn take_constraints(
        &mut self,
        cert: &Certificate,
        anchor: bool,
        flaws: &mut Flaws,
    ) -> Result<(), Reason> {
        let ext = cert.extensions();
        if !anchor && !cert.is_self_issued() {
            self.remaining = self.remaining.checked_sub(1).ok_or_else(|| {
                constraint(cert, "the path is longer than a pathLenConstraint allows")
            })?;
        }
        if let Some(bc) = ext.basic_constraints
            && let Some(len) = bc.path_len
        {
            if !bc.ca || cert.key_usage().is_some_and(|ku| !ku.key_cert_sign) {
                flaws.profile(cert, "pathLenConstraint without cA TRUE and keyCertSign")?;
            }
            self.remaining = self.remaining.min(len as usize);
        }
        if let Some(nc) = &ext.name_constraints {
            let bases = nc.permitted.iter().flatten().chain(&nc.excluded);
            if let Some(error) = bases.clone().find_map(Name::constraint_syntax_error) {
                return Err(constraint(cert, format_args!("nameConstraints: {error}")));
            }
            if let Some(permitted) = &nc.permitted {
                self.permitted.push(permitted.clone());
            }
            self.excluded.extend(nc.excluded.iter().cloned());
        }
        if !anchor {
            if !cert.is_self_issued() {
                self.explicit_policy = self.explicit_policy.saturating_sub(1);
                self.inhibit_any = self.inhibit_any.saturating_sub(1);
            }
            if let Some(pc) = ext.policy_constraints
                && let Some(r) = pc.require_explicit_policy
            {
                self.explicit_policy = self.explicit_policy.min(r as usize);
            }
            if let Some(skip) = ext.inhibit_any_policy {
                self.inhibit_any = self.inhibit_any.min(skip as usize);
            }
        }
        Ok(())
    }

    /// Clause 6.1.3 (b) and (c): the certificate's names lie in every permitted set and in
    /// no excluded subtree; self-issued CA certificates are exempt.
    fn check_names(&mut self, cert: &Certificate, leaf: bool) -> Result<(), Reason> {
        if (cert.is_self_issued() && !leaf)
            || (self.permitted.is_empty() && self.excluded.is_empty())
        {
            return Ok(());
        }
        let ext = cert.extensions();
        let mut names: Vec<Name> = Vec::new();
        if !ext.subject.is_empty() {
            names.push(Name::Directory(ext.subject.clone()));
        }
        names.extend(ext.subject_emails.iter().cloned().map(Name::Email));
        if let Some((_, alt)) = &ext.subject_alt_names {
            names.extend(alt.iter().cloned());
        }
        for name in &names {
            self.comparisons +=
                self.excluded.len() + self.permitted.iter().map(Vec::len).sum::<usize>();
            if self.comparisons > NAME_CONSTRAINT_BUDGET {
                return Err(constraint(
                    cert,
                    format_args!("more than {NAME_CONSTRAINT_BUDGET} name-constraint comparisons"),
                ));
            }
            let unevaluated =
                |base: &Name| matches!((name, base), (Name::Other(a), Name::Other(b)) if a == b);
            if self.excluded.iter().any(&unevaluated)
                || self.permitted.iter().flatten().any(unevaluated)
            {
                return Err(constraint(
                    cert,
                    format_args!(
                        "a {} constraint applies that eseal does not evaluate",
                        name.form()
                    ),
                ));
            }
            if self
                .excluded
                .iter()
                .any(|base| name.within(base, true) == Some(true))
            {
                return Err(constraint(
                    cert,
                    format_args!("{name} lies in an excluded subtree"),
                ));
            }
            for set in &self.permitted {
                let verdicts: Vec<bool> =
                    set.iter().filter_map(|b| name.within(b, false)).collect();
                if !verdicts.is_empty() && !verdicts.contains(&true) {
                    return Err(constraint(
                        cert,
                        format_args!("{name} lies outside the permitted subtrees"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Clause 6.1.3 (d)–(f), with the policy tree reduced to the set of valid policies.
    fn process_policies(&mut self, cert: &Certificate, leaf: bool) -> Result<(), Reason> {
        let ext = cert.extensions();
        self.mappings_seen |= ext.policy_mappings;
        self.policies = match (&self.policies, &ext.policies) {
            (Some(valid), Some(asserted)) => {
                let any_allowed = asserted.iter().any(|p| p == ANY_POLICY)
                    && (self.inhibit_any > 0 || (cert.is_self_issued() && !leaf));
                let specific: BTreeSet<String> = asserted
                    .iter()
                    .filter(|p| *p != ANY_POLICY)
                    .cloned()
                    .collect();
                let next: BTreeSet<String> = if valid.contains(ANY_POLICY) {
                    let mut next = specific;
                    if any_allowed {
                        next.insert(ANY_POLICY.to_string());
                    }
                    next
                } else if any_allowed {
                    valid.clone()
                } else {
                    valid.intersection(&specific).cloned().collect()
                };
                (!next.is_empty()).then_some(next)
            }
            _ => None,
        };
        if self.explicit_policy == 0 && self.policies.is_none() {
            return Err(constraint(
                cert,
                "an explicit certificate policy is required and none is valid",
            ));
        }
        Ok(())
    }

    /// Clause 6.1.5 (a), (b) and (g): the explicit policy requirement at the end of the path.
    fn finish_policies(&mut self, leaf: &Certificate) -> Result<(), Reason> {
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        if let Some(pc) = leaf.extensions().policy_constraints
            && pc.require_explicit_policy == Some(0)
        {
            self.explicit_policy = 0;
        }
        if self.explicit_policy == 0 {
            if self.policies.is_none() {
                return Err(constraint(
                    leaf,
                    "an explicit certificate policy is required and none is valid",
                ));
            }
            if self.mappings_seen {
                return Err(constraint(
                    leaf,
                    "an explicit certificate policy is required and the path maps policies, \
                     which eseal does not evaluate",
                ));
            }
        }
        Ok(())
    }
}
