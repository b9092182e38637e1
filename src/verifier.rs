//! [`Verifier`]: trust material held once, any input verified against it as of a time.

use std::time::SystemTime;

use crate::licence::trust_list::{TrustListError, VerifiedTrustList, verify_trust_list};
use crate::licence::verify::StatusLists;
use crate::pki::{Certificate, Crl, OcspResponse, TrustStore, read_certificates, unix_seconds};
use crate::report::Report;
use crate::verify::{
    DocumentOptions, licence_format_failure, licence_qr_in, verify_document, verify_licence,
};
use crate::{Error, Result};

/// What a portal, a service hall or a third-party verifier trusts, and the one call that
/// verifies any input against it: a licence QR string, a PDF, an OFD package, a
/// GB/T 38540 seal or seal signature, an RFC 3161 timestamp token or certificates.
/// The C ABI's `eseal_verify` is this call.
///
/// Freshness is the verifier's: a trust list older than the one it holds is refused, and
/// for each status list URI the list with the latest `iat` decides, whatever the order
/// in which they were added (LICENCE.md §4, §5).
///
/// ```
/// use std::fs;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let at = eseal::parse_rfc3339("2026-11-15T00:00:00Z")?; // or SystemTime::now()
/// let mut verifier = eseal::Verifier::new();
/// verifier.add_anchors(&fs::read("test-vectors/pdf/p256/root.pem")?)?;
/// verifier.add_crl(&fs::read("test-vectors/pdf/p256/root.crl.pem")?)?;
/// let report = verifier.verify(&fs::read("test-vectors/pdf/p256/sealed.pdf")?, at)?;
/// assert_eq!(report.indication(), Some(eseal::Indication::TotalPassed));
///
/// let tampered = verifier.verify(&fs::read("test-vectors/pdf/p256/tampered.pdf")?, at)?;
/// assert_eq!(tampered.indication(), Some(eseal::Indication::TotalFailed));
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct Verifier {
    store: TrustStore,
    trust_list: Option<VerifiedTrustList>,
    status_lists: StatusLists,
}

impl Verifier {
    /// A verifier that trusts nothing yet.
    pub fn new() -> Self {
        Verifier::default()
    }

    /// Trusts `certificate` as an anchor.
    pub fn add_anchor(&mut self, certificate: Certificate) -> Result<()> {
        self.store.add_anchor(certificate)
    }

    /// Adds an intermediate CA certificate that chains may go through.
    pub fn add_intermediate(&mut self, certificate: Certificate) {
        self.store.add_intermediate(certificate);
    }

    /// Trusts the certificates in `pem_or_der` (a PEM bundle or one DER certificate) as
    /// anchors; returns how many were added.
    pub fn add_anchors(&mut self, pem_or_der: &[u8]) -> Result<usize> {
        let certificates = certificates_in(pem_or_der)?;
        let count = certificates.len();
        for certificate in certificates {
            self.add_anchor(certificate)?;
        }
        Ok(count)
    }

    /// Adds intermediate CA certificates (PEM bundle or DER) that chains may go through;
    /// they are not trusted by themselves. Returns how many were added.
    pub fn add_intermediates(&mut self, pem_or_der: &[u8]) -> Result<usize> {
        let certificates = certificates_in(pem_or_der)?;
        let count = certificates.len();
        for certificate in certificates {
            self.add_intermediate(certificate);
        }
        Ok(count)
    }

    /// Adds a CRL (RFC 5280; PEM or DER); for each issuer the newest decides.
    pub fn add_crl(&mut self, pem_or_der: &[u8]) -> Result<()> {
        self.store.add_crl(Crl::from_pem_or_der(pem_or_der)?);
        Ok(())
    }

    /// Adds an OCSP response (RFC 6960, DER) for the chains it answers for.
    pub fn add_ocsp_response(&mut self, der: &[u8]) -> Result<()> {
        self.store.add_ocsp_response(OcspResponse::from_der(der)?);
        Ok(())
    }

    /// Adds the licence trust list (COSE, LICENCE.md §4), verified against the anchors as
    /// of `at`; it replaces the list held before and must not have a lower sequence
    /// number ([`TrustListError::Rollback`] otherwise).
    pub fn add_trust_list(&mut self, signed: &[u8], at: SystemTime) -> Result<()> {
        let last_seq = self.trust_list.as_ref().map(VerifiedTrustList::seq);
        let verified = verify_trust_list(signed, &self.store, at, last_seq)?;
        self.trust_list = Some(verified);
        Ok(())
    }

    /// Adds a licence status list (Token Status List CWT, LICENCE.md §5), filed under its
    /// URI. A list older than the one held for its URI changes nothing, and one with the
    /// same `iat` and other content makes that URI's status unknown until a newer list
    /// comes; both are [`Error::StatusListRefused`].
    pub fn add_status_list(&mut self, token: &[u8]) -> Result<()> {
        let (uri, filed) = self.status_lists.file(token.to_vec())?;
        match filed.remark(&uri) {
            None => Ok(()),
            Some(remark) => Err(Error::StatusListRefused { uri, remark }),
        }
    }

    /// The certificates, CRLs and OCSP responses held.
    pub fn trust_store(&self) -> &TrustStore {
        &self.store
    }

    /// Verifies whatever `input` holds as of `at`. A verdict, even TOTAL-FAILED, is
    /// `Ok`; an error means the input could not be read as anything eseal verifies, or
    /// a licence QR came without a trust list to verify it against.
    pub fn verify(&self, input: &[u8], at: SystemTime) -> Result<Report> {
        match licence_qr_in(input) {
            Some(qr) => self.verify_licence_qr(qr, at),
            None => verify_document(input, &self.store, at, &DocumentOptions::default()),
        }
    }

    /// Verifies each of `inputs` as [`Verifier::verify`] does, in parallel on the current
    /// rayon thread pool: the global one (a thread per core), or the pool whose
    /// `install` makes the call, which so decides the number of threads. One result per
    /// input, in the order of `inputs`.
    ///
    /// For more inputs than memory holds at once, call it on one slice of them at a time:
    /// a few times as many inputs as threads keeps every thread busy.
    ///
    /// ```
    /// use std::fs;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let at = eseal::parse_rfc3339("2026-11-15T00:00:00Z")?;
    /// let mut verifier = eseal::Verifier::new();
    /// verifier.add_anchors(&fs::read("test-vectors/pdf/p256/root.pem")?)?;
    /// let inputs = [
    ///     fs::read("test-vectors/pdf/p256/sealed.pdf")?,
    ///     fs::read("test-vectors/pdf/p256/tampered.pdf")?,
    ///     b"neither a document nor a licence".to_vec(),
    /// ];
    /// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    /// let results = pool.install(|| verifier.verify_many(&inputs, at));
    ///
    /// let indication = |i: usize| results[i].as_ref().ok().and_then(|r| r.indication());
    /// assert_eq!(indication(0), Some(eseal::Indication::TotalPassed));
    /// assert_eq!(indication(1), Some(eseal::Indication::TotalFailed));
    /// assert!(results[2].is_err());
    /// # Ok(()) }
    /// ```
    pub fn verify_many<I: AsRef<[u8]> + Sync>(
        &self,
        inputs: &[I],
        at: SystemTime,
    ) -> Vec<Result<Report>> {
        use rayon::iter::{IntoParallelRefIterator, ParallelIterator};
        inputs
            .par_iter()
            .map(|input| self.verify(input.as_ref(), at))
            .collect()
    }

    fn verify_licence_qr(&self, qr: &str, at: SystemTime) -> Result<Report> {
        let Some(trust) = &self.trust_list else {
            return match licence_format_failure(qr, at) {
                Some(failed) => Ok(failed.report),
                None => Err(Error::NoTrustList),
            };
        };
        let now = unix_seconds(at);
        let trust = if now > trust.expires_at() {
            Err(TrustListError::Stale {
                exp: trust.expires_at(),
                at: now,
            })
        } else {
            Ok(trust)
        };
        Ok(verify_licence(qr, trust, &self.status_lists, at).report)
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "trust_list_seq",
                &self.trust_list.as_ref().map(VerifiedTrustList::seq),
            )
            .finish_non_exhaustive()
    }
}

fn certificates_in(pem_or_der: &[u8]) -> Result<Vec<Certificate>> {
    let certificates = read_certificates(pem_or_der)?;
    if certificates.is_empty() {
        return Err(Error::malformed(
            "certificates",
            "the input holds no certificate",
        ));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The `PREFIX` (QR text) of a licence test vector case.
    fn qr(case: &str) -> Vec<u8> {
        let json: serde_json::Value =
            serde_json::from_slice(&read(&format!("test-vectors/licence/cases/{case}.json")))
                .unwrap();
        json["PREFIX"].as_str().unwrap().as_bytes().to_vec()
    }

    /// The indication and first reason code of a report, or `error`.
    fn verdict(result: &Result<Report>) -> String {
        let Ok(report) = result else {
            return "error".into();
        };
        let first = report.signatures.first();
        let reason = first
            .and_then(|s| s.reasons.first())
            .map_or("-", |r| r.code());
        match report.indication() {
            Some(indication) => format!("{indication} {reason}"),
            None => "nothing signed".into(),
        }
    }

    #[test]
    fn verify_many_keeps_the_order_and_gives_what_verify_gives() {
        fn is_sync<T: Sync>() {}
        is_sync::<Verifier>();
        let at = crate::parse_rfc3339("2026-06-02T00:00:00Z").unwrap();
        let mut verifier = Verifier::new();
        verifier
            .add_anchors(&read("test-vectors/licence/root.pem"))
            .unwrap();
        verifier
            .add_anchors(&read("test-vectors/pdf/p256/root.pem"))
            .unwrap();
        verifier
            .add_trust_list(&read("test-vectors/licence/trust-list.cwt"), at)
            .unwrap();
        verifier
            .add_status_list(&read("test-vectors/licence/status-list.cwt"))
            .unwrap();
        let kinds = [
            qr("es256-business"),
            read("test-vectors/pdf/p256/sealed.pdf"),
            qr("es256-revoked"),
            read("test-vectors/pdf/p256/tampered.pdf"),
            qr("bad-base45"),
            b"neither a document nor a licence".to_vec(),
        ];
        // Enough inputs that the two threads split them many times over, in an order that
        // no exchange of two halves or chunks keeps.
        let kind = |i: usize| (i + i / kinds.len()) % kinds.len();
        let inputs: Vec<&[u8]> = (0..120).map(|i| &kinds[kind(i)][..]).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let many = pool.install(|| verifier.verify_many(&inputs, at));

        assert_eq!(many.len(), inputs.len());
        for (input, result) in inputs.iter().zip(&many) {
            let one = verifier.verify(input, at);
            assert_eq!(
                result.as_ref().map_err(ToString::to_string),
                one.as_ref().map_err(ToString::to_string)
            );
        }
        let verdicts: Vec<String> = many.iter().map(verdict).collect();
        let expected = [
            "TOTAL-PASSED -",
            "TOTAL-PASSED -",
            "TOTAL-FAILED LICENCE_REVOKED",
            "TOTAL-FAILED DIGEST_MISMATCH",
            "TOTAL-FAILED LICENCE_FORMAT",
            "error",
        ];
        let expected: Vec<&str> = (0..inputs.len()).map(|i| expected[kind(i)]).collect();
        assert_eq!(verdicts, expected);
    }
}
