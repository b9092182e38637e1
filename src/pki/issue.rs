//! Certificate issuance for an issuing office's small PKI: the authority root, the
//! office CA and the end-entity profiles, for every [`Algorithm`] including SM2.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use der::asn1::{BitString, ObjectIdentifier};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::TbsCertificate;
use x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity as X509Validity};

use super::certificate::Certificate;
use super::roles::oid_content;
use super::trust::Usage;
use crate::crypto::{Algorithm, PublicKey, Signer};
use crate::error::{Error, Result};

/// The certificate profiles of an issuing office's PKI: the two CAs and one leaf profile
/// per role, each leaf carrying its role's extended key usage ([`Profile::purpose`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The authority's self-signed root: `cA TRUE`, `keyCertSign | cRLSign`.
    Root,
    /// An issuing office's CA under the root: `cA TRUE, pathLen 0`, `keyCertSign | cRLSign`.
    OfficeCa,
    /// A seal maker (制章人), who signs GB/T 38540 seals: `digitalSignature |
    /// nonRepudiation`, EKU seal maker.
    SealMaker,
    /// A document signer (签章人), who signs documents with a seal: `digitalSignature |
    /// nonRepudiation`, EKU document signer.
    Signer,
    /// An office's licence (QR) signer: `digitalSignature`, EKU licence signer.
    LicenceSigner,
    /// The signer of an office's licence status lists: `digitalSignature`, EKU status-list
    /// signer.
    StatusList,
    /// A province's trust-list signer (never an office's): `digitalSignature |
    /// nonRepudiation`, EKU `id-tsl-kp-tslSigning` (ETSI TS 119 612).
    TrustList,
    /// A timestamping authority (RFC 3161 clause 2.3): `digitalSignature`, critical EKU
    /// `id-kp-timeStamping` alone.
    Timestamping,
    /// A delegated OCSP responder (RFC 6960 clause 4.2.2.2): `digitalSignature`, EKU
    /// `id-kp-OCSPSigning`, `id-pkix-ocsp-nocheck`.
    Ocsp,
}

impl Profile {
    /// Every profile.
    pub fn all() -> [Profile; 9] {
        [
            Profile::Root,
            Profile::OfficeCa,
            Profile::SealMaker,
            Profile::Signer,
            Profile::LicenceSigner,
            Profile::StatusList,
            Profile::TrustList,
            Profile::Timestamping,
            Profile::Ocsp,
        ]
    }

    /// The name used on the command line, e.g. `seal-maker`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Root => "root",
            Profile::OfficeCa => "office-ca",
            Profile::SealMaker => "seal-maker",
            Profile::Signer => "signer",
            Profile::LicenceSigner => "licence-signer",
            Profile::StatusList => "status-list",
            Profile::TrustList => "trust-list",
            Profile::Timestamping => "tsa",
            Profile::Ocsp => "ocsp",
        }
    }

    /// Whether certificates of this profile are CA certificates.
    pub fn is_ca(self) -> bool {
        matches!(self, Profile::Root | Profile::OfficeCa)
    }

    /// The role a certificate of this profile acts in; [`Usage::Any`] for the CAs.
    pub fn usage(self) -> Usage {
        match self {
            Profile::Root | Profile::OfficeCa => Usage::Any,
            Profile::SealMaker => Usage::SealMaker,
            Profile::Signer => Usage::Signer,
            Profile::LicenceSigner => Usage::LicenceSigner,
            Profile::StatusList => Usage::StatusList,
            Profile::TrustList => Usage::TrustListSigner,
            Profile::Timestamping => Usage::Timestamping,
            Profile::Ocsp => Usage::OcspSigner,
        }
    }

    /// The extended key purpose the profile's certificates carry (`None` for the CAs).
    pub fn purpose(self) -> Option<&'static str> {
        self.usage().purpose().map(|(oid, _)| oid)
    }
}

impl FromStr for Profile {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Profile::all()
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| Error::Invalid(format!("unknown profile `{s}`")))
    }
}

/// A subject distinguished name: common name, organisation, unit and country.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistinguishedName {
    /// `CN`, e.g. "某某市市场监督管理局".
    pub common_name: String,
    /// `O`.
    pub organization: Option<String>,
    /// `OU`.
    pub organizational_unit: Option<String>,
    /// `C`, two letters; "CN" when `None`.
    pub country: Option<String>,
}

impl DistinguishedName {
    /// A name with only a common name (and country CN).
    pub fn common_name(cn: &str) -> Self {
        DistinguishedName {
            common_name: cn.to_string(),
            ..Default::default()
        }
    }

    fn to_name(&self) -> Result<Name> {
        let mut parts = vec![format!("CN={}", escape_rfc4514(&self.common_name))];
        if let Some(ou) = &self.organizational_unit {
            parts.push(format!("OU={}", escape_rfc4514(ou)));
        }
        if let Some(o) = &self.organization {
            parts.push(format!("O={}", escape_rfc4514(o)));
        }
        parts.push(format!(
            "C={}",
            escape_rfc4514(self.country.as_deref().unwrap_or("CN"))
        ));
        Name::from_str(&parts.join(","))
            .map_err(|e| Error::Invalid(format!("subject name {:?}: {e}", self.common_name)))
    }
}

fn escape_rfc4514(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let leading = i == 0 && (c == ' ' || c == '#');
        let trailing = i + 1 == value.chars().count() && c == ' ';
        if leading || trailing || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A validity period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    /// `notBefore`.
    pub not_before: SystemTime,
    /// `notAfter`.
    pub not_after: SystemTime,
}

impl Validity {
    /// From now (less five minutes for clock skew) for `days` days.
    pub fn days_from_now(days: u32) -> Self {
        let now = SystemTime::now();
        Validity {
            not_before: now - Duration::from_secs(300),
            not_after: now + Duration::from_secs(u64::from(days) * 86_400),
        }
    }
}

/// Issues the authority's self-signed root certificate with `signer`'s key.
pub fn issue_root(
    subject: &DistinguishedName,
    validity: Validity,
    signer: &dyn Signer,
) -> Result<Certificate> {
    let name = subject.to_name()?;
    build(
        Profile::Root,
        name.clone(),
        name,
        signer.public_key_spki(),
        None,
        validity,
        signer,
    )
}

/// Issues a certificate of `profile` for the key `subject_spki` (DER
/// `SubjectPublicKeyInfo`), signed by `issuer` with `issuer_signer`.
pub fn issue(
    profile: Profile,
    subject: &DistinguishedName,
    subject_spki: &[u8],
    validity: Validity,
    issuer: &Certificate,
    issuer_signer: &dyn Signer,
) -> Result<Certificate> {
    if profile == Profile::Root {
        return Err(Error::Invalid("a root is issued with issue_root".into()));
    }
    if !issuer.is_ca() || issuer.key_usage().is_some_and(|ku| !ku.key_cert_sign) {
        return Err(Error::Invalid(format!(
            "{} is not a CA certificate",
            issuer.subject()
        )));
    }
    if issuer.spki_der() != issuer_signer.public_key_spki() {
        return Err(Error::Invalid(format!(
            "the signing key is not the key of {}",
            issuer.subject()
        )));
    }
    let issuer_name =
        Name::from_der(issuer.subject_der()).map_err(|e| Error::malformed("issuer name", e))?;
    build(
        profile,
        subject.to_name()?,
        issuer_name,
        subject_spki,
        issuer.subject_key_id().map(<[u8]>::to_vec),
        validity,
        issuer_signer,
    )
}

fn build(
    profile: Profile,
    subject: Name,
    issuer: Name,
    subject_spki: &[u8],
    issuer_key_id: Option<Vec<u8>>,
    validity: Validity,
    signer: &dyn Signer,
) -> Result<Certificate> {
    // Reject keys eseal cannot verify before they end up in a certificate.
    PublicKey::from_spki_der(subject_spki)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(subject_spki)
        .map_err(|e| Error::malformed("SubjectPublicKeyInfo", e))?;
    let time = |t: SystemTime| {
        Time::try_from(t).map_err(|e| Error::Invalid(format!("certificate time: {e}")))
    };
    let validity = X509Validity::new(time(validity.not_before)?, time(validity.not_after)?);
    let serial = SerialNumber::new(&random_serial()).map_err(|e| Error::malformed("serial", e))?;
    let builder_profile = OfficeProfile {
        profile,
        subject,
        issuer,
        issuer_key_id,
    };
    let mut builder = CertificateBuilder::new(builder_profile, serial, validity, spki)
        .map_err(|e| Error::Invalid(format!("certificate: {e}")))?;
    let adapter = SignerAdapter::new(signer)?;
    let tbs = builder
        .finalize(&adapter)
        .map_err(|e| Error::Invalid(format!("certificate: {e}")))?;
    let signature =
        BitString::from_bytes(&signer.sign(&tbs)?).map_err(|e| Error::malformed("signature", e))?;
    let cert = builder
        .assemble(signature, &adapter)
        .map_err(|e| Error::Invalid(format!("certificate: {e}")))?;
    Certificate::from_der(
        &cert
            .to_der()
            .map_err(|e| Error::malformed("certificate", e))?,
    )
}

/// `ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId` with `purpose` alone,
/// by hand: eseal's purposes have 128-bit arcs, beyond what `const-oid` holds.
fn ext_key_usage_der(purpose: &str) -> Vec<u8> {
    let content = oid_content(purpose).unwrap_or_default();
    // One short OID: both lengths stay below 128 (X.690 short form).
    let mut out = vec![0x30, content.len() as u8 + 2, 0x06, content.len() as u8];
    out.extend(content);
    out
}

/// A random positive 16-byte serial (RFC 5280 clause 4.1.2.2): never reused in practice.
fn random_serial() -> [u8; 16] {
    use ring::rand::SecureRandom;
    let mut serial = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut serial)
        .expect("the system random source works");
    serial[0] = (serial[0] & 0x7f) | 0x01;
    serial
}

struct OfficeProfile {
    profile: Profile,
    subject: Name,
    issuer: Name,
    issuer_key_id: Option<Vec<u8>>,
}

impl BuilderProfile for OfficeProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut exts: Vec<Extension> = Vec::new();
        let mut push = |e: Extension| exts.push(e);

        let path_len = match self.profile {
            Profile::OfficeCa => Some(0),
            _ => None,
        };
        let bc = BasicConstraints {
            ca: self.profile.is_ca(),
            path_len_constraint: path_len,
        };
        push((true, &bc).to_extension(subject, &[])?);

        let usages = match self.profile {
            Profile::Root | Profile::OfficeCa => KeyUsages::KeyCertSign | KeyUsages::CRLSign,
            Profile::SealMaker | Profile::Signer | Profile::TrustList => {
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
            }
            Profile::LicenceSigner
            | Profile::StatusList
            | Profile::Timestamping
            | Profile::Ocsp => KeyUsages::DigitalSignature.into(),
        };
        push((true, &KeyUsage(usages)).to_extension(subject, &[])?);

        if let Some(purpose) = self.profile.purpose() {
            // RFC 3161 clause 2.3 wants timeStamping critical; the others restrict their
            // certificates just as firmly.
            push(Extension {
                extn_id: ObjectIdentifier::new_unwrap("2.5.29.37"),
                critical: true,
                extn_value: der::asn1::OctetString::new(ext_key_usage_der(purpose))?,
            });
        }
        if self.profile == Profile::Ocsp {
            // id-pkix-ocsp-nocheck (RFC 6960 clause 4.2.2.2.1): NULL.
            push(Extension {
                extn_id: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5"),
                critical: false,
                extn_value: der::asn1::OctetString::new(vec![0x05, 0x00])?,
            });
        }

        let ski = SubjectKeyIdentifier::try_from(spk)?;
        push((false, &ski).to_extension(subject, &[])?);

        if self.profile != Profile::Root {
            let key_id = match &self.issuer_key_id {
                Some(id) => der::asn1::OctetString::new(id.clone())?,
                None => SubjectKeyIdentifier::try_from(issuer_spk)?.0,
            };
            let aki = AuthorityKeyIdentifier {
                key_identifier: Some(key_id),
                ..Default::default()
            };
            push((false, &aki).to_extension(subject, &[])?);
        }
        Ok(exts)
    }
}

/// Lets x509-cert's builders use any [`Signer`]: they ask it for the algorithm identifier
/// and the public key; the signature itself is made by the caller with [`Signer::sign`].
pub(crate) struct SignerAdapter {
    algorithm: AlgorithmIdentifierOwned,
    public_key: SpkiKey,
}

impl SignerAdapter {
    pub(crate) fn new(signer: &dyn Signer) -> Result<Self> {
        Ok(SignerAdapter {
            algorithm: signature_algorithm(signer.algorithm())?,
            public_key: SpkiKey(signer.public_key_spki().to_vec()),
        })
    }
}

fn signature_algorithm(algorithm: Algorithm) -> Result<AlgorithmIdentifierOwned> {
    AlgorithmIdentifierOwned::from_der(&algorithm.signature_algorithm_der())
        .map_err(|e| Error::malformed("algorithm identifier", e))
}

#[derive(Clone)]
pub(crate) struct SpkiKey(Vec<u8>);

impl spki::EncodePublicKey for SpkiKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::from_der(&self.0)?)
    }
}

impl signature::Keypair for SignerAdapter {
    type VerifyingKey = SpkiKey;

    fn verifying_key(&self) -> SpkiKey {
        self.public_key.clone()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for SignerAdapter {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.algorithm.clone())
    }
}
