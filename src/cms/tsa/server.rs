//! An RFC 3161 timestamping authority ([`Authority`]) (feature `tsa-server`); `eseal serve`
//! answers its HTTP transport (clause 3.4).

use std::sync::Arc;
use std::time::SystemTime;

use der::asn1::{AnyRef, BitStringRef, IntRef, ObjectIdentifier, Utf8StringRef};
use der::{Decode, Encode};

use super::Timestamper;
use crate::cms::digest::DigestAlgorithm;
use crate::cms::sign::{SignOptions, sign_encapsulated};
use crate::cms::timestamp::{
    AccuracyAsn1, DIRECTORY_NAME, DecodedRequest, FailureInfo, MessageImprintAsn1, OID_TST_INFO,
    PkiStatusInfoAsn1, TimeStampRespAsn1, TimestampRequest, TimestampToken, TstInfoAsn1,
    decode_request, gen_time_der, positive_integer, random_bytes, token_from_response,
};
use crate::crypto::{PublicKey, Signer};
use crate::error::{Error, Result};
use crate::pki::{Certificate, OID_KP_TIME_STAMPING};

/// The largest request body the service reads for a timestamp (a `TimeStampReq` is
/// about 60–100 bytes).
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------
// The authority
// ---------------------------------------------------------------------------------------

/// A timestamping authority (RFC 3161 clause 2): a key reserved for timestamps, its
/// certificate with the critical extended key usage `id-kp-timeStamping` alone (clause
/// 2.3), the chain to send with it, and the policy it issues tokens under.
pub struct Authority {
    signer: Arc<dyn Signer>,
    certificate: Certificate,
    chain: Vec<Certificate>,
    policy: String,
    accuracy_micros: u64,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("algorithm", &self.signer.algorithm())
            .field("certificate", &self.certificate.subject())
            .field("chain", &self.chain.len())
            .field("policy", &self.policy)
            .field("accuracy_micros", &self.accuracy_micros)
            .finish()
    }
}

impl Authority {
    /// An authority signing with `signer`, whose key `certificate` certifies, sending
    /// `chain` (intermediates, optionally the root) after it, under the TSA policy
    /// `policy` (a dotted OID), with an accuracy of one second.
    ///
    /// Refuses a certificate without the critical extended key usage `id-kp-timeStamping`
    /// (1.3.6.1.5.5.7.3.8) as its only purpose (RFC 3161 clause 2.3), a signer whose key
    /// is not the certificate's, and a policy that is not an OID.
    pub fn new(
        signer: Arc<dyn Signer>,
        certificate: Certificate,
        chain: Vec<Certificate>,
        policy: &str,
    ) -> Result<Self> {
        match certificate.ext_key_usage() {
            Some((true, oids)) if oids == [OID_KP_TIME_STAMPING] => {}
            _ => {
                return Err(Error::Invalid(format!(
                    "{} cannot sign timestamps: RFC 3161 clause 2.3 requires a critical \
                     extended key usage of timeStamping alone",
                    certificate.subject()
                )));
            }
        }
        if certificate.public_key()? != PublicKey::from_spki_der(signer.public_key_spki())? {
            return Err(Error::Invalid(format!(
                "the signing key is not the key of {}",
                certificate.subject()
            )));
        }
        ObjectIdentifier::new(policy)
            .map_err(|e| Error::Invalid(format!("TSA policy {policy:?}: {e}")))?;
        Ok(Authority {
            signer,
            certificate,
            chain,
            policy: policy.to_string(),
            accuracy_micros: 1_000_000,
        })
    }

    /// The TSA certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The TSA policy (a dotted OID) tokens are issued under.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// A token for `imprint` (a digest made with `algorithm`) straight from this authority,
    /// without HTTP: a request with a nonce and `certReq` TRUE, answered as of now and
    /// checked by [`token_from_response`] (in-process timestamping, e.g. for PAdES B-T).
    pub fn timestamp(&self, algorithm: DigestAlgorithm, imprint: &[u8]) -> Result<TimestampToken> {
        let request = TimestampRequest::new(algorithm, imprint.to_vec());
        token_from_response(&self.respond(&request.to_der()?), &request)
    }

    /// A DER `TimeStampResp` (RFC 3161 clause 2.4.2) for the DER `TimeStampReq` `request`
    /// as of now; see [`Authority::respond_at`].
    pub fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.respond_at(request, SystemTime::now())
    }

    /// A DER `TimeStampResp` for the DER `TimeStampReq` `request` with `genTime` `now`.
    ///
    /// Granted (status 0) with a token: `TSTInfo` version 1, the policy (the requested one
    /// when it is this authority's, which is also the default), the request's
    /// `messageImprint` as sent, a 128-bit random `serialNumber`, `genTime` in UTC to the
    /// second, `accuracy` one second, the nonce echoed, `tsa` the certificate's subject as
    /// a `directoryName`. The token is a `SignedData` over it (content-type
    /// `id-ct-TSTInfo`, message-digest, ESS `signingCertificateV2`) with the TSA
    /// certificate and chain when `certReq` is TRUE.
    ///
    /// Otherwise a rejection (status 2) with one `failInfo` bit and a status text:
    /// `badDataFormat` (not a DER `TimeStampReq`, an imprint of the wrong length),
    /// `badRequest` (a version other than 1), `badAlg` (an unknown or SHA-1 hash),
    /// `unacceptedPolicy` (another policy asked for), `unacceptedExtension` (any request
    /// extension), `timeNotAvailable` or `systemFailure` (the signer failed).
    pub fn respond_at(&self, request: &[u8], now: SystemTime) -> Vec<u8> {
        match self.grant(request, now) {
            Ok(response) => response,
            Err((fail, text)) => rejection(fail, &text),
        }
    }

    fn grant(
        &self,
        request: &[u8],
        now: SystemTime,
    ) -> std::result::Result<Vec<u8>, (FailureInfo, String)> {
        let DecodedRequest {
            request,
            imprint_der,
            nonce_der,
        } = decode_request(request).map_err(|e| (e.fail, e.detail))?;
        if request.digest_algorithm == DigestAlgorithm::Sha1 {
            return Err((FailureInfo::BadAlg, "SHA-1 is too weak".into()));
        }
        if let Some(policy) = &request.policy
            && *policy != self.policy
        {
            return Err((
                FailureInfo::UnacceptedPolicy,
                format!(
                    "policy {policy} is not supported; this TSA issues under {}",
                    self.policy
                ),
            ));
        }
        let system = |e: Error| (FailureInfo::SystemFailure, e.to_string());
        let der_error = |e: der::Error| (FailureInfo::SystemFailure, e.to_string());
        let gen_time =
            gen_time_der(now).map_err(|e| (FailureInfo::TimeNotAvailable, e.to_string()))?;
        let serial = positive_integer(&random_bytes::<16>());
        let imprint = MessageImprintAsn1::from_der(&imprint_der).map_err(der_error)?;
        let subject = self.certificate.subject_der();
        let tst_info = TstInfoAsn1 {
            version: 1,
            policy: ObjectIdentifier::new(&self.policy)
                .map_err(|e| (FailureInfo::SystemFailure, e.to_string()))?,
            message_imprint: imprint,
            serial_number: IntRef::new(&serial).map_err(der_error)?,
            gen_time: AnyRef::try_from(gen_time.as_slice()).map_err(der_error)?,
            accuracy: Some(accuracy(self.accuracy_micros)),
            ordering: false,
            nonce: nonce_der
                .as_deref()
                .map(IntRef::new)
                .transpose()
                .map_err(der_error)?,
            tsa: Some(AnyRef::new(DIRECTORY_NAME, subject).map_err(der_error)?),
            extensions: None,
        }
        .to_der()
        .map_err(der_error)?;
        let options = SignOptions {
            signer: &*self.signer,
            certificate: &self.certificate,
            chain: &self.chain,
            signing_time: None,
        };
        let token = sign_encapsulated(OID_TST_INFO, &tst_info, &options, request.cert_req)
            .map_err(system)?;
        TimeStampRespAsn1 {
            status: PkiStatusInfoAsn1 {
                status: 0,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(AnyRef::try_from(token.as_slice()).map_err(der_error)?),
        }
        .to_der()
        .map_err(der_error)
    }
}

/// `Accuracy` of `micros` microseconds, zero parts omitted.
fn accuracy(micros: u64) -> AccuracyAsn1 {
    let seconds = micros / 1_000_000;
    let millis = (micros / 1000 % 1000) as u16;
    let micros = (micros % 1000) as u16;
    AccuracyAsn1 {
        seconds: (seconds > 0).then_some(seconds),
        millis: (millis > 0).then_some(millis),
        micros: (micros > 0).then_some(micros),
    }
}

/// A DER rejection `TimeStampResp`: status 2, `text` and one `failInfo` bit.
fn rejection(fail: FailureInfo, text: &str) -> Vec<u8> {
    let (unused, bits) = fail.bit_string();
    let encode = || -> der::Result<Vec<u8>> {
        TimeStampRespAsn1 {
            status: PkiStatusInfoAsn1 {
                status: 2,
                status_string: Some(vec![Utf8StringRef::new(text)?]),
                fail_info: Some(BitStringRef::new(unused, &bits)?),
            },
            time_stamp_token: None,
        }
        .to_der()
    };
    // SEQUENCE { SEQUENCE { INTEGER 2 } } should the text not encode.
    encode().unwrap_or_else(|_| vec![0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02])
}

impl Timestamper for Authority {
    fn timestamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        Authority::timestamp(self, algorithm, digest).map(|token| token.der().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_parts() {
        let a = accuracy(1_000_000);
        assert_eq!((a.seconds, a.millis, a.micros), (Some(1), None, None));
        let a = accuracy(2_003_004);
        assert_eq!((a.seconds, a.millis, a.micros), (Some(2), Some(3), Some(4)));
    }
}
