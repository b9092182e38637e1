//! Issuing licences (LICENCE.md §7): a checked request goes into one registry
//! transaction that takes the serial and status-list index, signs the QR and stores
//! licence, history and audit entry together; nothing leaves before COMMIT.

use ring::rand::SecureRandom;

use super::compact::{StatusReference, qr_string, sign_cose};
use super::document::{CjkFont, render_ofd, render_pdf};
use super::model::{Licence, LicenceRequest, OfficeIdentity, Template};
use crate::crypto::Signer;
use crate::error::{Error, Result};
use crate::ofd::{OfdSealOptions, Package, seal_ofd};
use crate::pdf::PdfSealOptions;
use crate::pki::Certificate;
use crate::registry::{Assigned, BatchItem, IssueRequest, IssuedRecord, NewLicence, Registry};

/// Above this many characters the issuer warns that the QR is large (LICENCE.md §3).
pub const QR_WARN_CHARS: usize = 600;

/// Above this many characters (QR version 25) the issuer refuses (LICENCE.md §3).
pub const QR_MAX_CHARS: usize = 1000;

/// The office that issues: who it is, its signing key and certificate, and the status
/// list its new licences get an index in.
pub struct IssuingOffice<'a> {
    /// The office as licences name it.
    pub identity: OfficeIdentity,
    /// The licence-signing key (ES256, EdDSA, PS256 or SM2).
    pub signer: &'a dyn Signer,
    /// Its certificate, as listed in the trust list (the QR's `kid` is derived from it).
    pub certificate: &'a Certificate,
    /// The status list URI (under one of the office's `sl` prefixes).
    pub status_list_uri: String,
}

/// A licence issued (or replayed by its idempotency key).
#[derive(Clone, Debug)]
pub struct IssuedLicence {
    /// The licence.
    pub licence: Licence,
    /// The registry's record (QR, token, salt, status-list entry).
    pub record: IssuedRecord,
    /// `true` if an idempotency key returned an earlier issuance.
    pub replayed: bool,
    /// What the issuer noticed but did not refuse (a QR above `QR_WARN_CHARS`).
    pub warnings: Vec<String>,
}

impl IssuedLicence {
    /// The 核验码 printed on the document under the privacy option: the salt in Base32.
    pub fn verification_code(&self) -> Option<String> {
        let salt: [u8; 10] = self.record.salt.as_slice().try_into().ok()?;
        self.licence
            .privacy
            .then(|| super::compact::salt_base32(&salt))
    }
}

impl IssuedLicence {
    /// The printed licence: rendered in `font` (LICENCE.md §6), then sealed by
    /// `sealing` (PAdES; its placement is set to the seal's place over the issuer name).
    pub fn sealed_pdf(
        &self,
        template: &Template,
        font: &CjkFont,
        mut sealing: PdfSealOptions<'_>,
    ) -> Result<Vec<u8>> {
        let document = self
            .licence
            .document(template, &self.record.qr, self.verification_code());
        let rendered = render_pdf(&document, font)?;
        sealing.placement = rendered.seal_placement();
        crate::pdf::seal_pdf(rendered.pdf, &sealing)
    }

    /// The printed licence as OFD (GB/T 36905): rendered in `font` like the PDF, then
    /// sealed by `sealing` (a GB/T 38540 seal signature; its placement is set to the
    /// seal's place over the issuer name).
    pub fn sealed_ofd(
        &self,
        template: &Template,
        font: &CjkFont,
        mut sealing: OfdSealOptions<'_>,
    ) -> Result<Vec<u8>> {
        let document = self
            .licence
            .document(template, &self.record.qr, self.verification_code());
        let rendered = render_ofd(&document, font)?;
        sealing.placement = rendered.seal_placement();
        seal_ofd(&Package::read(rendered.into_bytes())?, &sealing)
    }
}

/// One request of a batch with its idempotency key (e.g. the 办件 number).
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// The licence data.
    pub request: LicenceRequest,
    /// Its idempotency key.
    pub idempotency_key: Option<String>,
}

/// Issues one licence at `at` (Unix seconds), checked against `template`.
///
/// The request is checked first; then in one transaction the registry takes the next
/// serial of the type in the issuance year (China time) and a free status-list index,
/// and the QR is signed. The same idempotency key with the same request returns the
/// stored licence; with another request it is refused.
pub fn issue(
    registry: &mut dyn Registry,
    office: &IssuingOffice<'_>,
    template: &Template,
    request: &LicenceRequest,
    idempotency_key: Option<&str>,
    operator: &str,
    at: i64,
) -> Result<IssuedLicence> {
    let checked = check(office, template, request, at)?;
    let issued = registry.issue(
        &checked.request,
        &mut |assigned| build(office, template, &checked.licence, assigned, at),
        idempotency_key,
        operator,
    )?;
    finish(issued.record, issued.replayed)
}

/// Issues a batch in one registry transaction (one `fsync`): each request is checked
/// and issued on its own; a refused one is reported in its place and does not stop the
/// others. Nothing is stored until the whole batch commits.
pub fn issue_batch(
    registry: &mut dyn Registry,
    office: &IssuingOffice<'_>,
    template: &Template,
    requests: &[BatchRequest],
    operator: &str,
    at: i64,
) -> Result<Vec<Result<IssuedLicence>>> {
    let checked: Vec<Result<Checked>> = requests
        .iter()
        .map(|r| check(office, template, &r.request, at))
        .collect();
    let mut licences = Vec::new();
    let mut items = Vec::new();
    for (i, checked) in checked.iter().enumerate() {
        if let Ok(checked) = checked {
            licences.push(&checked.licence);
            items.push(BatchItem {
                request: &checked.request,
                idempotency_key: requests[i].idempotency_key.as_deref(),
            });
        }
    }
    let mut stored = registry
        .issue_batch(
            &items,
            &mut |k, assigned| build(office, template, licences[k], assigned, at),
            operator,
        )?
        .into_iter();
    Ok(checked
        .into_iter()
        .map(|checked| {
            checked?;
            let issued = stored.next().expect("one result per item")?;
            finish(issued.record, issued.replayed)
        })
        .collect())
}

/// A request that passed the issuer's checks: the licence it makes (under a placeholder
/// serial `0`, so a refused request takes no serial) and the registry's view of it.
struct Checked {
    licence: Licence,
    request: IssueRequest,
}

fn check(
    office: &IssuingOffice<'_>,
    template: &Template,
    request: &LicenceRequest,
    at: i64,
) -> Result<Checked> {
    let licence = request.to_licence(template, &office.identity, "0", at)?;
    let request = IssueRequest {
        type_code: template.type_code.to_string(),
        year: issue_year(at)?,
        version: licence.version,
        holder: licence.holder_code.clone(),
        list_uri: office.status_list_uri.clone(),
        payload: request.canonical_json(),
        one_active_per_holder: template.one_active_per_holder,
        at,
    };
    Ok(Checked { licence, request })
}

/// The year serials are taken from: the issuance's year in China time.
fn issue_year(at: i64) -> Result<u16> {
    super::model::Date::of_unix(at)
        .and_then(|date| u16::try_from(date.year()).ok())
        .ok_or_else(|| Error::Invalid(format!("issuance time {at} is out of range")))
}

/// Inside the transaction: the checked licence under its serial, signed.
fn build(
    office: &IssuingOffice<'_>,
    template: &Template,
    checked: &Licence,
    assigned: &Assigned,
    at: i64,
) -> Result<NewLicence> {
    let licence = checked.with_serial(&assigned.serial)?;
    let salt = if licence.privacy {
        let mut salt = [0u8; 10];
        ring::rand::SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| Error::Signing("no system randomness for the salt".into()))?;
        Some(salt)
    } else {
        None
    };
    let status = StatusReference {
        idx: assigned.list_idx,
        uri: assigned.list_uri.clone(),
    };
    let claims = licence.claims(template, office.identity.region, at, status, salt.as_ref())?;
    let token = sign_cose(&claims.to_cbor()?, office.signer, office.certificate)?;
    let qr = qr_string(&token);
    if qr.len() > QR_MAX_CHARS {
        return Err(Error::Invalid(format!(
            "the QR would be {} characters, more than {QR_MAX_CHARS} (QR version 25): \
             take fields out of the QR in the template",
            qr.len()
        )));
    }
    Ok(NewLicence {
        identifier: licence.identifier.to_string(),
        metadata: licence.to_json(),
        token,
        qr,
        salt: salt.map(Vec::from).unwrap_or_default(),
    })
}

fn finish(record: IssuedRecord, replayed: bool) -> Result<IssuedLicence> {
    let licence = Licence::from_json(&record.metadata)?;
    let mut warnings = Vec::new();
    if record.qr.len() > QR_WARN_CHARS {
        warnings.push(format!(
            "the QR is {} characters, more than {QR_WARN_CHARS}",
            record.qr.len()
        ));
    }
    Ok(IssuedLicence {
        licence,
        record,
        replayed,
        warnings,
    })
}
