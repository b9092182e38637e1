//! Checks 3–8 of PDF.md §2 on a parsed [`SignedData`]: structure, signer certificate,
//! algorithms, message digest, signature and the ESS signing-certificate binding
//! (RFC 5652 clause 5.6, RFC 5035, ETSI EN 319 122-1 clause 5.2.2), for detached
//! signatures ([`SignedData::verify`]) and for those that carry their content
//! ([`SignedData::verify_encapsulated`], e.g. RFC 3161 tokens).

use std::borrow::Cow;
use std::time::SystemTime;

use der::Decode;
use der::asn1::{ObjectIdentifier, OctetStringRef};

use super::algorithms::{Scheme, unknown_digest_algorithm};
use super::asn1::{
    OID_CONTENT_TYPE, OID_DATA, OID_GM_DATA, OID_MESSAGE_DIGEST, OID_SIGNING_CERTIFICATE,
    OID_SIGNING_CERTIFICATE_V2, OID_SIGNING_TIME,
};
use super::digest::DigestAlgorithm;
use super::ess::{self, EssVersion};
use super::signed_data::{Attribute, SignedAttributes, SignedData, SignerId};
use crate::crypto::{Algorithm, signature_as_der};
use crate::pki::Certificate;
use crate::report::Reason;

/// The outcome of checks 3–8 of PDF.md §2 for one `SignedData`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CmsVerification {
    /// The signer's certificate, found by the `SignerInfo`'s `sid` (RFC 5652 clause 5.3)
    /// among the embedded and the supplied certificates.
    pub signer: Option<Certificate>,
    /// The signature algorithm, when eseal supports it for the signer's key.
    pub algorithm: Option<Algorithm>,
    /// Every failure found, in check order; empty when checks 3–8 pass.
    pub reasons: Vec<Reason>,
    /// Things that do not change the verdict.
    pub warnings: Vec<String>,
    /// The claimed `signing-time` attribute (RFC 5652 clause 11.3), if any: a claim,
    /// never a proof of existence.
    pub signing_time: Option<SystemTime>,
}

impl CmsVerification {
    fn fail(&mut self, reason: Reason) {
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// Whether the signed content travels apart from the `SignedData` or inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encapsulation {
    /// A detached signature (PDF): `id-data`, no `eContent`.
    Detached,
    /// `eContent` present, of any `eContentType` (RFC 3161 tokens).
    Encapsulated,
}

impl SignerId {
    /// Whether `cert` is the certificate this `SignerIdentifier` names.
    fn matches(&self, cert: &Certificate) -> bool {
        match self {
            SignerId::IssuerAndSerial { issuer, serial } => {
                cert.issuer_der() == issuer.as_slice() && cert.serial() == serial.as_slice()
            }
            SignerId::KeyId(id) => cert.subject_key_id() == Some(id.as_slice()),
        }
    }
}

impl SignedData {
    /// Checks 3–8 of PDF.md §2 given `content_digest`, the digest of the signed content
    /// computed by the caller with [`SignedData::digest_algorithm`].
    ///
    /// `extra` are supplied certificates to find the signer in (by
    /// `issuerAndSerialNumber` or `subjectKeyIdentifier`) after the embedded ones.
    /// `require_signing_certificate` is true for `ETSI.CAdES.detached` (PAdES), false for
    /// `adbe.pkcs7.detached`.
    ///
    /// Without signed attributes the signature is over the content itself, which this
    /// method does not have: it then reports [`Reason::DataNotChecked`]; use
    /// [`SignedData::verify_with_content`].
    pub fn verify(
        &self,
        content_digest: &[u8],
        extra: &[Certificate],
        require_signing_certificate: bool,
    ) -> CmsVerification {
        self.verify_with_content(content_digest, None, extra, require_signing_certificate)
    }

    /// [`SignedData::verify`], with `content` yielding the whole signed content for a
    /// signature without signed attributes (RFC 5652 clause 5.4: then the signature is
    /// over the content, not over its digest; ring verifies messages, not digests).
    ///
    /// `content` is called at most once, and only when
    /// [`SignedData::signs_content_directly`] is true and the signer's certificate and an
    /// accepted algorithm were found.
    pub fn verify_with_content(
        &self,
        content_digest: &[u8],
        content: Option<&dyn Fn() -> Vec<u8>>,
        extra: &[Certificate],
        require_signing_certificate: bool,
    ) -> CmsVerification {
        self.verify_inner(
            Some(content_digest),
            content,
            extra,
            require_signing_certificate,
            Encapsulation::Detached,
        )
    }

    /// Checks 4–8 of PDF.md §2 for a `SignedData` that carries its content
    /// (`eContent`, RFC 5652 clause 5.2), e.g. an RFC 3161 `TimeStampToken` over a
    /// `TSTInfo`: the `content-type` attribute equals `eContentType` (RFC 5652 clause
    /// 11.1), the `message-digest` attribute is the signer's digest of the `eContent`
    /// octets (clause 11.2; without signed attributes the signature is over them, clause
    /// 5.4), the signer, algorithms, signature and the ESS signing-certificate binding
    /// are checked exactly as for [`SignedData::verify`].
    ///
    /// One `SignerInfo` is required; a missing `eContent` is [`Reason::CmsMalformed`].
    /// `extra` and `require_signing_certificate` are as for [`SignedData::verify`]
    /// (RFC 3161 clause 2.4.1 requires the ESS attribute in a timestamp token).
    pub fn verify_encapsulated(
        &self,
        extra: &[Certificate],
        require_signing_certificate: bool,
    ) -> CmsVerification {
        let econtent = self.econtent();
        let digest = match (econtent, self.digest_algorithm()) {
            (Some(content), Ok(algorithm)) => Some(algorithm.digest(content)),
            _ => None,
        };
        let content = || econtent.unwrap_or_default().to_vec();
        self.verify_inner(
            digest.as_deref(),
            econtent.map(|_| &content as &dyn Fn() -> Vec<u8>),
            extra,
            require_signing_certificate,
            Encapsulation::Encapsulated,
        )
    }

    /// The checks shared by detached and encapsulated signatures. `content_digest` is
    /// `None` when it could not be computed (then it is not compared).
    fn verify_inner(
        &self,
        content_digest: Option<&[u8]>,
        content: Option<&dyn Fn() -> Vec<u8>>,
        extra: &[Certificate],
        require_signing_certificate: bool,
        encapsulation: Encapsulation,
    ) -> CmsVerification {
        let mut out = CmsVerification::default();
        self.check_structure(encapsulation, &mut out);
        let signer = self.signer();
        let cert = self
            .certificates()
            .iter()
            .chain(extra)
            .find(|c| signer.sid.matches(c));
        if cert.is_none() {
            out.fail(Reason::NoSigningCertificate);
        }
        out.algorithm = self.check_algorithms(cert, &mut out);
        let content_type = match encapsulation {
            Encapsulation::Detached if self.econtent_type() == OID_GM_DATA => OID_GM_DATA,
            Encapsulation::Detached => OID_DATA,
            Encapsulation::Encapsulated => self.econtent_type(),
        };
        match &signer.signed_attrs {
            // An unknown digest algorithm is reported; the caller could not compute the
            // digest, so it is not compared.
            Some(attrs) => check_attributes(
                attrs,
                content_type,
                content_digest.filter(|_| self.digest_algorithm().is_ok()),
                &mut out,
            ),
            None if content.is_none() => out.fail(Reason::DataNotChecked),
            None => {}
        }
        match (cert, out.algorithm) {
            (Some(cert), Some(algorithm)) => {
                // Check 7: over the DER SET of the signed attributes, else the content.
                let message = match &signer.signed_attrs {
                    Some(attrs) => Some(Cow::Borrowed(attrs.set_der.as_slice())),
                    None => content.map(|f| Cow::Owned(f())),
                };
                if let Some(message) = message {
                    let signature = self.signature_der(algorithm);
                    match cert.public_key() {
                        Ok(key) if key.verify(algorithm, &message, &signature).is_ok() => {}
                        Ok(key) if self.verifies_as_received(&key, algorithm, &signature) => {
                            self.judge_received_order(algorithm, &mut out);
                        }
                        Ok(key) => out.fail(Reason::signature_failure(
                            &key,
                            &message,
                            &signature,
                            cert.subject(),
                            Reason::SignatureInvalid,
                        )),
                        Err(_) => out.fail(Reason::SignatureInvalid),
                    }
                }
            }
            (Some(_), None) => out
                .warnings
                .push("the signature was not checked: its algorithm is not accepted".into()),
            (None, _) => {}
        }
        let attributes = signer
            .signed_attrs
            .as_ref()
            .map(|a| a.attributes.as_slice());
        check_signing_certificate(
            attributes.unwrap_or_default(),
            cert,
            require_signing_certificate,
            &mut out,
        );
        out.signer = cert.cloned();
        out
    }

    /// The signer's signature value as the verification takes it, DER: a GM/T 0010 SM2
    /// signature may also be raw `r ‖ s`, as its producers write it ([`signature_as_der`]);
    /// every other is DER as RFC 5652 and OpenSSL have it, or fails.
    fn signature_der(&self, algorithm: Algorithm) -> Cow<'_, [u8]> {
        let signature = &self.signer().signature;
        let gm_sm2 = self.is_gm_t_0010() && algorithm == Algorithm::Sm2Sm3;
        gm_sm2
            .then(|| signature_as_der(signature, 64))
            .flatten()
            .unwrap_or(Cow::Borrowed(signature))
    }

    /// Whether `signature` verifies over the signed attributes in the order received, when
    /// that is not DER's.
    fn verifies_as_received(
        &self,
        key: &crate::crypto::PublicKey,
        algorithm: Algorithm,
        signature: &[u8],
    ) -> bool {
        self.signer()
            .signed_attrs
            .as_ref()
            .and_then(|attrs| attrs.received.as_deref())
            .is_some_and(|received| key.verify(algorithm, received, signature).is_ok())
    }

    /// Check 7 when the signature covers the signed attributes only in their received,
    /// unsorted order, not their DER encoding (RFC 5652 clause 5.4): a GM/T 0010 SM2
    /// signature passes with a warning (its signers sign the attributes as written); any
    /// other is [`Reason::SignatureInvalid`], as EU DSS decides.
    fn judge_received_order(&self, algorithm: Algorithm, out: &mut CmsVerification) {
        if self.is_gm_t_0010() && algorithm == Algorithm::Sm2Sm3 {
            out.warnings.push(
                "NonDerSignedAttributes: the GM/T 0010 signature covers its signed attributes \
                 in their received order, not their DER encoding (SET OF unsorted)"
                    .into(),
            );
        } else {
            out.warnings.push(
                "NonDerSignedAttributes: the signature covers the signed attributes only in \
                 their received order, not their DER encoding (RFC 5652 clause 5.4)"
                    .into(),
            );
            out.fail(Reason::SignatureInvalid);
        }
    }

    /// Check 3: one `SignerInfo`; detached: `id-data` (or GM/T 0010 `data`) and no
    /// `eContent`; encapsulated: `eContent` present.
    fn check_structure(&self, encapsulation: Encapsulation, out: &mut CmsVerification) {
        if self.signer_count() != 1 {
            out.fail(Reason::CmsMalformed(format!(
                "{} SignerInfos; exactly one is allowed",
                self.signer_count()
            )));
        }
        match encapsulation {
            Encapsulation::Detached => {
                if self.econtent_type() != OID_DATA && self.econtent_type() != OID_GM_DATA {
                    out.fail(Reason::CmsMalformed(format!(
                        "eContentType {}, not id-data",
                        self.econtent_type()
                    )));
                }
                if self.has_econtent() {
                    out.fail(Reason::CmsMalformed(
                        "eContent present: the signature is not detached".into(),
                    ));
                }
            }
            Encapsulation::Encapsulated => {
                if !self.has_econtent() {
                    out.fail(Reason::CmsMalformed(
                        "no eContent: the content is not encapsulated".into(),
                    ));
                }
            }
        }
        self.check_versions(out);
        if self.is_ber() {
            out.warnings.push(
                "BER-encoded: the SignedData is BER (RFC 5652 allows it outside the signed \
                 attributes) and was read as its DER equivalent"
                    .into(),
            );
        }
        if self.unreadable_certificates > 0 {
            out.warnings.push(format!(
                "{} embedded certificates could not be read and were skipped",
                self.unreadable_certificates
            ));
        }
    }

    /// RFC 5652 clauses 5.1 and 5.3 fix the versions and list the signer's digest
    /// algorithm in `digestAlgorithms`; none of it is signed, so departures are warnings.
    fn check_versions(&self, out: &mut CmsVerification) {
        let signer = self.signer();
        let expected = match signer.sid {
            SignerId::IssuerAndSerial { .. } => 1,
            SignerId::KeyId(_) => 3,
        };
        if signer.version != expected {
            out.warnings.push(format!(
                "SignerInfo version {} with this sid, not {expected} (RFC 5652 clause 5.3)",
                signer.version
            ));
        }
        if !matches!(self.version, 1 | 3) {
            out.warnings.push(format!(
                "SignedData version {}, not 1 or 3 (RFC 5652 clause 5.1)",
                self.version
            ));
        }
        if !self
            .digest_algorithms
            .contains(&signer.digest_algorithm.oid)
        {
            out.warnings.push(format!(
                "digestAlgorithms does not list the signer's {}",
                signer.digest_algorithm.oid
            ));
        }
    }

    /// Check 5: the digest and signature algorithms, and with the signer's key the one
    /// [`Algorithm`] to verify with.
    fn check_algorithms(
        &self,
        cert: Option<&Certificate>,
        out: &mut CmsVerification,
    ) -> Option<Algorithm> {
        let signer = self.signer();
        let digest = match self.digest_algorithm() {
            Ok(DigestAlgorithm::Sha1) => {
                out.fail(Reason::WeakAlgorithm("SHA-1".into()));
                Some(DigestAlgorithm::Sha1)
            }
            Ok(digest) => Some(digest),
            Err(oid) => {
                out.fail(unknown_digest_algorithm(&oid.oid));
                None
            }
        };
        let scheme = Scheme::from_alg_id(&signer.signature_algorithm)
            .map_err(|reason| out.fail(reason))
            .ok()?;
        let eddsa_digest = match scheme {
            Scheme::Ed25519 => Some(DigestAlgorithm::Sha512),
            Scheme::Ed448 => Some(DigestAlgorithm::Shake256),
            _ => None,
        };
        if let (Some(required), Some(digest)) = (eddsa_digest, digest)
            && digest != required
        {
            out.fail(Reason::UnsupportedAlgorithm(format!(
                "{} with {}: RFC 8419 clause 2.3 allows {} only",
                scheme.name(),
                digest.name(),
                required.name()
            )));
            return None;
        }
        let key = match cert?.public_key() {
            Ok(key) => key,
            Err(e) => {
                out.fail(Reason::UnsupportedAlgorithm(e.to_string()));
                return None;
            }
        };
        let hash = scheme.hash(digest)?;
        scheme
            .resolve(hash, &key)
            .map_err(|reason| out.fail(reason))
            .ok()
    }
}

/// Checks 3, 6 and the claimed time: `content-type` is `content_type` (`id-data` for a
/// detached signature, else `eContentType`), `message-digest` is `content_digest` (when
/// known), `signing-time` read if present.
fn check_attributes(
    attrs: &SignedAttributes,
    content_type: &str,
    content_digest: Option<&[u8]>,
    out: &mut CmsVerification,
) {
    let attributes = &attrs.attributes;
    match single(attributes, OID_CONTENT_TYPE, "content-type") {
        Ok(Some(value)) => {
            let oid = <ObjectIdentifier>::from_der(value).map(|o| o.to_string());
            if oid.as_deref() != Ok(content_type) {
                let expected = if content_type == OID_DATA {
                    "id-data".to_string()
                } else {
                    format!("eContentType {content_type}")
                };
                out.fail(Reason::CmsMalformed(format!(
                    "the content-type attribute is not {expected}"
                )));
            }
        }
        Ok(None) => out.fail(Reason::CmsMalformed(
            "signed attributes without content-type".into(),
        )),
        Err(reason) => out.fail(reason),
    }
    match single(attributes, OID_MESSAGE_DIGEST, "message-digest") {
        Ok(Some(value)) => match <&OctetStringRef>::from_der(value) {
            Ok(digest) => {
                if content_digest.is_some_and(|d| d != digest.as_bytes()) {
                    out.fail(Reason::DigestMismatch);
                }
            }
            Err(_) => out.fail(Reason::CmsMalformed(
                "the message-digest attribute is not an OCTET STRING".into(),
            )),
        },
        Ok(None) => out.fail(Reason::CmsMalformed(
            "signed attributes without message-digest".into(),
        )),
        Err(reason) => out.fail(reason),
    }
    match single(attributes, OID_SIGNING_TIME, "signing-time") {
        Ok(Some(value)) => match x509_cert::time::Time::from_der(value) {
            Ok(time) => out.signing_time = Some(time.to_system_time()),
            Err(e) => out
                .warnings
                .push(format!("unreadable signing-time attribute: {e}")),
        },
        Ok(None) => {}
        Err(reason) => out.fail(reason),
    }
}

/// Check 8: the `signingCertificateV2` / `signingCertificate` attribute names the signer's
/// certificate; one of them is present when `required`.
fn check_signing_certificate(
    attributes: &[Attribute],
    cert: Option<&Certificate>,
    required: bool,
    out: &mut CmsVerification,
) {
    let mut present = false;
    for (oid, version, name) in [
        (
            OID_SIGNING_CERTIFICATE_V2,
            EssVersion::V2,
            "signingCertificateV2",
        ),
        (
            OID_SIGNING_CERTIFICATE,
            EssVersion::V1,
            "signingCertificate",
        ),
    ] {
        match single(attributes, oid, name) {
            Ok(Some(value)) => {
                present = true;
                if let Some(Err(reason)) = cert.map(|c| ess::check(version, value, c)) {
                    out.fail(reason);
                }
            }
            Ok(None) => {}
            Err(reason) => {
                present = true;
                out.fail(reason);
            }
        }
    }
    if required && !present {
        out.fail(Reason::MissingSigningCertificateAttr);
    }
}

/// The one value of the attribute `oid` (RFC 5652 clause 11: content-type,
/// message-digest and signing-time, like the ESS attributes, occur at most once, with
/// exactly one value).
fn single<'a>(
    attributes: &'a [Attribute],
    oid: &str,
    name: &str,
) -> Result<Option<&'a [u8]>, Reason> {
    let mut found = attributes.iter().filter(|a| a.oid == oid);
    let Some(first) = found.next() else {
        return Ok(None);
    };
    match (found.next(), first.values.as_slice()) {
        (None, [value]) => Ok(Some(value.as_slice())),
        (Some(_), _) => Err(Reason::CmsMalformed(format!(
            "the {name} attribute occurs more than once"
        ))),
        (None, values) => Err(Reason::CmsMalformed(format!(
            "the {name} attribute has {} values, not one",
            values.len()
        ))),
    }
}
