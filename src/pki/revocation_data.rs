//! The CRLs and OCSP responses a [`super::TrustStore`] holds: per CRL issuer and scope the
//! newest CRL, each OCSP response once. Adding what is already held, or what a held CRL
//! supersedes, changes nothing.

use super::certificate::Certificate;
use super::crl::Crl;
use super::ocsp::OcspResponse;

/// CRLs by issuer and scope (RFC 5280 clause 5.2.5: the `issuingDistributionPoint`, or
/// none for a full CRL; delta CRLs apart).
#[derive(Clone, Debug, Default)]
pub(crate) struct CrlSet {
    slots: Vec<Slot>,
}

/// The CRLs of one issuer and scope, newest first ([`Crl::is_newer_than`]). An older one
/// stays only while no certificate the store knows shows that a newer one came from the
/// same key: a CRL's claims are not trusted before its signature is.
#[derive(Clone, Debug)]
struct Slot {
    issuer: Vec<u8>,
    scope: Option<Vec<u8>>,
    delta: bool,
    crls: Vec<Crl>,
}

impl CrlSet {
    /// Adds `crl` unless the set holds it already or a newer CRL of its issuer and scope
    /// signed by the same key; drops the CRLs it supersedes. `known` are the certificates
    /// that may have signed it (the store's anchors and intermediates with its issuer name):
    /// only a key among them can show that two CRLs come from one signer.
    pub(crate) fn insert(&mut self, crl: Crl, known: &[&Certificate]) {
        let scope = crl.issuing_distribution_point_der();
        let slot = match self.slots.iter().position(|s| {
            s.issuer == crl.issuer_der() && s.scope.as_deref() == scope && s.delta == crl.is_delta()
        }) {
            Some(i) => &mut self.slots[i],
            None => {
                self.slots.push(Slot {
                    issuer: crl.issuer_der().to_vec(),
                    scope: scope.map(<[u8]>::to_vec),
                    delta: crl.is_delta(),
                    crls: Vec::new(),
                });
                self.slots.last_mut().expect("just pushed")
            }
        };
        if slot.crls.iter().any(|c| c.der() == crl.der()) {
            return;
        }
        let at = slot
            .crls
            .iter()
            .position(|c| crl.is_newer_than(c))
            .unwrap_or(slot.crls.len());
        if !slot.crls.is_empty()
            && let Some(key) = known.iter().find(|k| crl.verify_issued_by(k).is_ok()) {
                let same_key = |c: &Crl| c.verify_issued_by(key).is_ok();
                if slot.crls[..at].iter().any(same_key) {
                    return;
                }
                let mut older = slot.crls.split_off(at);
                older.retain(|c| !same_key(c));
                slot.crls.append(&mut older);
            }
        slot.crls.insert(at, crl);
    }

    /// Whether the set holds no CRL.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every CRL held.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Crl> {
        self.slots.iter().flat_map(|s| s.crls.iter())
    }

    /// The CRLs of each scope of the issuer named `issuer_der`, newest first.
    pub(crate) fn scopes_of<'a>(&'a self, issuer_der: &'a [u8]) -> impl Iterator<Item = &'a [Crl]> {
        self.slots
            .iter()
            .filter(move |s| s.issuer == issuer_der)
            .map(|s| s.crls.as_slice())
    }
}

/// OCSP responses, each held once (the same DER, expecting the same nonce).
#[derive(Clone, Debug, Default)]
pub(crate) struct OcspSet {
    responses: Vec<OcspResponse>,
}

impl OcspSet {
    /// Adds `response` unless the set holds it already.
    pub(crate) fn insert(&mut self, response: OcspResponse) {
        if !self.responses.iter().any(|r| r == &response) {
            self.responses.push(response);
        }
    }

    /// Whether the set holds no response.
    pub(crate) fn is_empty(&self) -> bool {
        self.responses.is_empty()
    }

    /// Every response held, in the order added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &OcspResponse> {
        self.responses.iter()
    }
}
