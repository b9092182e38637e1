//! The GB/T 36903 licence model (LICENCE.md §1): the type template that says which
//! surface fields (照面信息) a licence type has, the request an office fills in, the
//! licence as issued, and the checks an issuer makes before anything is signed.
//!
//! Every refusal is [`Error::InvalidField`] naming the field by its path in the JSON
//! input (`holder_code`, `surface.zczb`, `related[1]`, `attachments[0].sha256`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::compact::{LicenceClaims, LicenceFields, StatusReference, holder_hash};
use super::identifiers::{
    BadCheckCharacter, IssuerCode, LicenceId, RegionCode, ResidentId, TypeCode, Uscc,
};
use crate::error::{Error, Result};

/// China time, UTC+8: licence dates are calendar dates there (LICENCE.md §1).
const CHINA: time::UtcOffset = time::macros::offset!(+8);

/// The longest text field accepted, in characters.
const MAX_TEXT: usize = 2000;

/// The largest JSON input accepted (a licence request or a template), in bytes.
pub const MAX_INPUT: usize = 1 << 20;

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Error {
    Error::InvalidField {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A licence date (LICENCE.md §1): a calendar date in China time, written `yyyyMMdd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

impl Date {
    /// The date of `year`-`month`-`day`, if it is one.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }

    /// The China-time calendar date of the Unix time `unix`.
    pub fn of_unix(unix: i64) -> Option<Date> {
        time::OffsetDateTime::from_unix_timestamp(unix)
            .ok()
            .map(|t| Date(t.to_offset(CHINA).date()))
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// 00:00 China time on this date, as Unix seconds (the CWT `nbf`, LICENCE.md §3).
    pub fn start_unix(self) -> i64 {
        self.0.midnight().assume_offset(CHINA).unix_timestamp()
    }

    /// 00:00 China time on the day after (the CWT `exp` of a licence valid to this date).
    pub fn end_unix(self) -> i64 {
        self.start_unix() + 86_400
    }

    /// The date as printed on a licence: `2026年01月01日`.
    pub fn chinese(self) -> String {
        format!(
            "{:04}年{:02}月{:02}日",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// Why a text is not a licence value of its kind: a date, a holder type or a holder code
/// (LICENCE.md §1–2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// Not eight digits `yyyyMMdd`.
    #[error("{0:?} is not a date yyyyMMdd")]
    NotADate(String),
    /// Eight digits that name no calendar date (or one before 1900).
    #[error("{0} is not a calendar date")]
    NotACalendarDate(String),
    /// Not a holder code type of GB/T 36903 Annex A.
    #[error("{0:?} is not a holder code type (GB/T 36903 Annex A, e.g. 111 or 001)")]
    NotAHolderType(String),
    /// The holder code does not parse as a code of its type.
    #[error(transparent)]
    HolderCode(#[from] Error),
    /// A 15-digit resident ID, which has no check character.
    #[error("a 15-digit number has no check character; give the 18-digit number")]
    LegacyResidentId,
    /// A resident ID whose check character is a lowercase `x`.
    #[error("lowercase x; the check character is X")]
    LowercaseCheckCharacter,
    /// A USCC with lowercase letters.
    #[error("lowercase letters; codes are uppercase")]
    LowercaseUscc,
    /// The holder code's check character does not verify.
    #[error(transparent)]
    CheckCharacter(#[from] BadCheckCharacter),
}

impl FromStr for Date {
    type Err = ValueError;

    /// Exactly eight ASCII digits `yyyyMMdd` naming a real calendar date.
    fn from_str(s: &str) -> std::result::Result<Self, ValueError> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::NotADate(s.to_owned()));
        }
        let num = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap_or(0);
        Date::from_ymd(i32::from(num(0..4)), num(4..6) as u8, num(6..8) as u8)
            .filter(|d| d.0.year() >= 1900)
            .ok_or_else(|| ValueError::NotACalendarDate(s.to_owned()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// 持证主体代码类型 (GB/T 36903 Annex A), with the code checks the two common ones have.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HolderType {
    /// `111` 公民身份号码, checked per GB 11643.
    ResidentId,
    /// `001` 统一社会信用代码, checked per GB 32100.
    Uscc,
    /// Any other Annex A code, kept as given; its holder codes are not checked.
    Other(String),
}

impl HolderType {
    /// The Annex A code.
    pub fn code(&self) -> &str {
        match self {
            HolderType::ResidentId => "111",
            HolderType::Uscc => "001",
            HolderType::Other(code) => code,
        }
    }

    /// The type's usual name, for the printed licence when the request gives none.
    pub fn default_name(&self) -> &str {
        match self {
            HolderType::ResidentId => "公民身份号码",
            HolderType::Uscc => "统一社会信用代码",
            HolderType::Other(_) => "持证主体代码",
        }
    }

    /// Whether holders of this type are people, so the privacy option is on by default
    /// (LICENCE.md §3).
    pub fn is_personal(&self) -> bool {
        matches!(self, HolderType::ResidentId)
    }

    /// The holder code as an issuer accepts it: a resident ID or USCC must parse, be
    /// uppercase and carry the right check character (LICENCE.md §2 "an issuer refuses");
    /// returns the code in its canonical form.
    pub fn check_code(&self, code: &str) -> std::result::Result<String, ValueError> {
        match self {
            HolderType::ResidentId => {
                let id = ResidentId::from_str(code)?;
                if id.is_legacy() {
                    return Err(ValueError::LegacyResidentId);
                }
                if id.was_lowercase() {
                    return Err(ValueError::LowercaseCheckCharacter);
                }
                id.check()?;
                Ok(id.as_str().to_owned())
            }
            HolderType::Uscc => {
                let uscc = Uscc::from_str(code)?;
                if uscc.was_lowercase() {
                    return Err(ValueError::LowercaseUscc);
                }
                uscc.check()?;
                Ok(uscc.as_str().to_owned())
            }
            HolderType::Other(_) => Ok(code.to_owned()),
        }
    }
}

impl FromStr for HolderType {
    type Err = ValueError;

    fn from_str(s: &str) -> std::result::Result<Self, ValueError> {
        match s {
            "111" => Ok(HolderType::ResidentId),
            "001" => Ok(HolderType::Uscc),
            _ if (1..=8).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) =>
            {
                Ok(HolderType::Other(s.to_owned()))
            }
            _ => Err(ValueError::NotAHolderType(s.to_owned())),
        }
    }
}

impl fmt::Display for HolderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

macro_rules! serde_by_text {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_by_text!(Date, HolderType);

/// The kind of a surface field (LICENCE.md §1, type template).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Free text.
    #[default]
    Text,
    /// A date `yyyyMMdd`, printed `2026年01月01日`.
    Date,
    /// A decimal number, written as text (`100`, `-2.5`).
    Number,
    /// The name of one of the licence's attachments (never in the QR).
    Attachment,
}

/// One surface field of a type template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceField {
    /// The key in the request and the QR, `[a-z0-9]{1,4}`.
    pub key: String,
    /// The label printed on the licence, e.g. 法定代表人.
    pub label: String,
    /// What the value is.
    #[serde(default)]
    pub kind: FieldKind,
    /// Carried in the QR (`s` map).
    #[serde(default)]
    pub in_qr: bool,
    /// About a person: left out of the QR under the privacy option.
    #[serde(default)]
    pub personal: bool,
    /// The request must give it.
    #[serde(default)]
    pub required: bool,
}

/// A licence type's template (LICENCE.md §1 "Decision — type template"): stored in the
/// registry, published in the trust list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// 证照类型代码: the definer's USCC and 3 digits.
    pub type_code: TypeCode,
    /// 证照类型名称, also the licence name unless the request gives one.
    pub name: String,
    /// 证照定义机构.
    #[serde(default)]
    pub definer_name: Option<String>,
    /// The surface fields in printing order.
    #[serde(default)]
    pub fields: Vec<SurfaceField>,
    /// The privacy default; `None` = on for personal holder types (resident ID).
    #[serde(default)]
    pub privacy: Option<bool>,
    /// Refuse a second active licence of the type for a holder.
    #[serde(default = "yes")]
    pub one_active_per_holder: bool,
}

fn yes() -> bool {
    true
}

impl Template {
    /// Reads and checks a template from JSON: the definer's check character, keys
    /// `[a-z0-9]{1,4}` and unique, labels present, no attachment in the QR.
    pub fn from_json(bytes: &[u8]) -> Result<Template> {
        let template: Template = from_json(bytes)?;
        template.check()?;
        Ok(template)
    }

    fn check(&self) -> Result<()> {
        self.type_code
            .definer()
            .check()
            .map_err(|b| invalid("type_code", b.to_string()))?;
        text("name", &self.name)?;
        for (i, field) in self.fields.iter().enumerate() {
            let path = |name: &str| format!("fields[{i}].{name}");
            let key_ok = (1..=4).contains(&field.key.len())
                && field
                    .key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !key_ok {
                return Err(invalid(path("key"), "keys are 1–4 of a-z and 0-9"));
            }
            if self.fields[..i].iter().any(|f| f.key == field.key) {
                return Err(invalid(path("key"), format!("{} is used twice", field.key)));
            }
            text(&path("label"), &field.label)?;
            if field.kind == FieldKind::Attachment && field.in_qr {
                return Err(invalid(path("in_qr"), "attachments are never in the QR"));
            }
        }
        Ok(())
    }

    /// The template as JSON (what the registry stores).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a template serialises")
    }

    /// The surface field with this key.
    pub fn field(&self, key: &str) -> Option<&SurfaceField> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Whether the privacy option is on for a holder of `holder_type` by default.
    pub fn privacy_for(&self, holder_type: &HolderType) -> bool {
        self.privacy.unwrap_or_else(|| holder_type.is_personal())
    }

    /// The registry's row for this template.
    pub fn registry_template(&self) -> crate::registry::Template {
        crate::registry::Template {
            type_code: self.type_code.to_string(),
            name: self.name.clone(),
            one_active_per_holder: self.one_active_per_holder,
            body: self.to_json(),
        }
    }
}

/// 附件: a file that belongs to the licence, never in the QR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The file name.
    pub name: String,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
    /// SHA-256 of its bytes, 64 hex digits.
    pub sha256: String,
    /// The bytes, Base64, if carried with the licence (must match `sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<String>,
}

/// 加注件: a copy of the licence made for a stated purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    /// When it was made, RFC 3339 with offset.
    pub made_at: String,
    /// Who made it.
    pub maker: String,
    /// For what.
    pub purpose: String,
    /// Until when the copy may be used.
    #[serde(default)]
    pub valid_until: Option<Date>,
}

/// What an office fills in to issue a licence (LICENCE.md §1): everything but what the
/// office, the template and the registry supply (issuer, type, serial → identifier).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceRequest {
    /// 证照名称; the template's name by default.
    #[serde(default)]
    pub name: Option<String>,
    /// 证照编号; the holder code by default (as on a business licence).
    #[serde(default)]
    pub number: Option<String>,
    /// 证照版本号, 1–999; 1 by default.
    #[serde(default)]
    pub version: Option<u16>,
    /// 证照颁发日期; the issuance day by default; not later than it.
    #[serde(default)]
    pub issue_date: Option<Date>,
    /// 有效期起始; the issue date by default.
    #[serde(default)]
    pub valid_from: Option<Date>,
    /// 有效期截止; absent = 长期.
    #[serde(default)]
    pub valid_to: Option<Date>,
    /// 证照所属管辖属地编码; the office's region by default.
    #[serde(default)]
    pub region_code: Option<RegionCode>,
    /// 持证主体.
    pub holder_name: String,
    /// 持证主体代码类型代码.
    pub holder_type: HolderType,
    /// 持证主体代码类型名称; the type's usual name by default.
    #[serde(default)]
    pub holder_type_name: Option<String>,
    /// 持证主体代码.
    pub holder_code: String,
    /// 关联事项名称.
    #[serde(default)]
    pub service_item_name: Option<String>,
    /// 关联事项代码.
    #[serde(default)]
    pub service_item_code: Option<String>,
    /// 关联证照标识 (renewal, transfer, change).
    #[serde(default)]
    pub related: Vec<LicenceId>,
    /// 照面信息: template key → value.
    #[serde(default)]
    pub surface: BTreeMap<String, String>,
    /// 附件.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// 加注件.
    #[serde(default)]
    pub annotation: Option<Annotation>,
    /// The privacy option; the template's default when absent.
    #[serde(default)]
    pub privacy: Option<bool>,
}

/// The issuing office as the licence names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeIdentity {
    /// 证照颁发机构代码 (USCC, or a region code on legacy platforms).
    pub code: IssuerCode,
    /// 证照颁发机构.
    pub name: String,
    /// The office's region (the default 属地编码).
    pub region: RegionCode,
}

/// A licence as issued (LICENCE.md §1); its status lives in the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// 证照标识 (GB/T 36904).
    pub identifier: LicenceId,
    /// 证照名称.
    pub name: String,
    /// 证照类型名称.
    pub type_name: String,
    /// 证照类型代码.
    pub type_code: TypeCode,
    /// 证照定义机构.
    #[serde(default)]
    pub definer_name: Option<String>,
    /// 证照定义机构代码 (= the type code's first 18 characters).
    pub definer_code: Uscc,
    /// 证照编号.
    pub number: String,
    /// 证照版本号.
    pub version: u16,
    /// 证照颁发机构.
    pub issuer_name: String,
    /// 证照颁发机构代码.
    pub issuer_code: IssuerCode,
    /// 证照颁发日期.
    pub issue_date: Date,
    /// 有效期起始.
    pub valid_from: Date,
    /// 有效期截止; `None` = 长期.
    #[serde(default)]
    pub valid_to: Option<Date>,
    /// 证照所属管辖属地编码.
    pub region_code: RegionCode,
    /// 持证主体.
    pub holder_name: String,
    /// 持证主体代码.
    pub holder_code: String,
    /// 持证主体代码类型名称.
    pub holder_type_name: String,
    /// 持证主体代码类型代码.
    pub holder_type: HolderType,
    /// 关联事项名称.
    #[serde(default)]
    pub service_item_name: Option<String>,
    /// 关联事项代码.
    #[serde(default)]
    pub service_item_code: Option<String>,
    /// 关联证照标识.
    #[serde(default)]
    pub related: Vec<LicenceId>,
    /// 照面信息 in the template's order: (key, value).
    #[serde(default)]
    pub surface: Vec<(String, String)>,
    /// 附件.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// 加注件.
    #[serde(default)]
    pub annotation: Option<Annotation>,
    /// Whether the QR hides the holder (LICENCE.md §3 privacy option).
    pub privacy: bool,
}

/// Reads JSON into `T`, naming the field at fault by its path.
fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() > MAX_INPUT {
        return Err(Error::TooLarge {
            what: "licence JSON",
            size: bytes.len() as u64,
            limit: MAX_INPUT as u64,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // The path names the field; serde_json's " at line L column M" would point into
        // JSON a batch row was turned into.
        let mut problem = inner.to_string();
        if let Some(at) = problem.rfind(" at line ") {
            problem.truncate(at);
        }
        // serde_json reports a missing field at the enclosing path.
        match problem.split_once("missing field `") {
            Some((_, rest)) => {
                let name = rest.split('`').next().unwrap_or_default();
                let field = if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                };
                invalid(field, "missing")
            }
            None => invalid(if path == "." { "input" } else { &path }, problem),
        }
    })?;
    de.end().map_err(|e| invalid("input", e.to_string()))?;
    Ok(value)
}

/// Licence text as stored: NFC, trimmed, not empty, no control characters.
fn text(field: &str, value: &str) -> Result<String> {
    let value: String = value.trim().nfc().collect();
    if value.is_empty() {
        return Err(invalid(field, "empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains a control character"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(field, format!("longer than {MAX_TEXT} characters")));
    }
    Ok(value)
}

fn optional_text(field: &str, value: &Option<String>) -> Result<Option<String>> {
    value.as_deref().map(|v| text(field, v)).transpose()
}

impl LicenceRequest {
    /// Reads a request from JSON; a field of the wrong type or form, an unknown field or
    /// a missing one is named.
    pub fn from_json(bytes: &[u8]) -> Result<LicenceRequest> {
        from_json(bytes)
    }

    /// The request's canonical bytes (what an idempotency key is bound to).
    pub fn canonical_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a request serialises")
    }

    /// The version asked for, 1 by default.
    pub fn effective_version(&self) -> u16 {
        self.version.unwrap_or(1)
    }

    /// Checks the request against `template` as an issuer must (LICENCE.md §1–2) and
    /// builds the licence with the identifier of `serial`, issued by `office` at `at`
    /// (Unix seconds).
    pub fn to_licence(
        &self,
        template: &Template,
        office: &OfficeIdentity,
        serial: &str,
        at: i64,
    ) -> Result<Licence> {
        let version = self.effective_version();
        if !(1..=999).contains(&version) {
            return Err(invalid("version", format!("{version} is not 1–999")));
        }
        let identifier = LicenceId::new(
            template.type_code.clone(),
            office.code.clone(),
            serial,
            version,
        )?;
        let holder_code = self
            .holder_type
            .check_code(self.holder_code.trim())
            .map_err(|p| invalid("holder_code", p.to_string()))?;
        let today = Date::of_unix(at).ok_or_else(|| invalid("issue_date", "time out of range"))?;
        let issue_date = self.issue_date.unwrap_or(today);
        if issue_date > today {
            return Err(invalid(
                "issue_date",
                format!("{issue_date} is after the day of issuance {today}"),
            ));
        }
        let valid_from = self.valid_from.unwrap_or(issue_date);
        if let Some(valid_to) = self.valid_to
            && valid_to < valid_from
        {
            return Err(invalid(
                "valid_to",
                format!("{valid_to} is before valid_from {valid_from}"),
            ));
        }
        for (i, related) in self.related.iter().enumerate() {
            related
                .check()
                .map_err(|b| invalid(format!("related[{i}]"), b.to_string()))?;
        }
        self.check_attachments()?;
        let surface = self.surface_in_template_order(template)?;
        if let Some(annotation) = &self.annotation {
            crate::pki::parse_rfc3339(&annotation.made_at)
                .map_err(|e| invalid("annotation.made_at", e.to_string()))?;
            text("annotation.maker", &annotation.maker)?;
            text("annotation.purpose", &annotation.purpose)?;
        }
        let holder_type_name = match &self.holder_type_name {
            Some(name) => text("holder_type_name", name)?,
            None => self.holder_type.default_name().to_owned(),
        };
        let number = match &self.number {
            Some(number) => text("number", number)?,
            None => holder_code.clone(),
        };
        Ok(Licence {
            identifier,
            name: text("name", self.name.as_deref().unwrap_or(&template.name))?,
            type_name: template.name.clone(),
            type_code: template.type_code.clone(),
            definer_name: template.definer_name.clone(),
            definer_code: template.type_code.definer().clone(),
            number,
            version,
            issuer_name: office.name.clone(),
            issuer_code: office.code.clone(),
            issue_date,
            valid_from,
            valid_to: self.valid_to,
            region_code: self.region_code.unwrap_or(office.region),
            holder_name: text("holder_name", &self.holder_name)?,
            holder_code,
            holder_type_name,
            holder_type: self.holder_type.clone(),
            service_item_name: optional_text("service_item_name", &self.service_item_name)?,
            service_item_code: optional_text("service_item_code", &self.service_item_code)?,
            related: self.related.clone(),
            surface,
            attachments: self.attachments.clone(),
            annotation: self.annotation.clone(),
            privacy: self
                .privacy
                .unwrap_or_else(|| template.privacy_for(&self.holder_type)),
        })
    }

    fn check_attachments(&self) -> Result<()> {
        for (i, a) in self.attachments.iter().enumerate() {
            let path = |name: &str| format!("attachments[{i}].{name}");
            text(&path("name"), &a.name)?;
            let media_ok = a
                .media_type
                .split_once('/')
                .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && a.media_type.is_ascii());
            if !media_ok {
                return Err(invalid(
                    path("media_type"),
                    "not a media type such as application/pdf",
                ));
            }
            let digest = hex::decode(&a.sha256)
                .ok()
                .filter(|d| d.len() == 32)
                .ok_or_else(|| invalid(path("sha256"), "not 64 hex digits"))?;
            if let Some(b64) = &a.bytes {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| invalid(path("bytes"), format!("not Base64: {e}")))?;
                if Sha256::digest(&bytes)[..] != digest[..] {
                    return Err(invalid(path("sha256"), "does not match the bytes"));
                }
            }
        }
        Ok(())
    }

    fn surface_in_template_order(&self, template: &Template) -> Result<Vec<(String, String)>> {
        if let Some(key) = self.surface.keys().find(|k| template.field(k).is_none()) {
            return Err(invalid(
                format!("surface.{key}"),
                format!("not a field of template {}", template.type_code),
            ));
        }
        let mut out = Vec::new();
        for field in &template.fields {
            let path = format!("surface.{}", field.key);
            let Some(value) = self.surface.get(&field.key) else {
                if field.required {
                    return Err(invalid(path, format!("missing ({})", field.label)));
                }
                continue;
            };
            let value = text(&path, value)?;
            match field.kind {
                FieldKind::Text => {}
                FieldKind::Date => {
                    Date::from_str(&value).map_err(|p| invalid(&path, p.to_string()))?;
                }
                FieldKind::Number => {
                    if !is_decimal(&value) {
                        return Err(invalid(path, format!("{value:?} is not a decimal number")));
                    }
                }
                FieldKind::Attachment => {
                    if !self.attachments.iter().any(|a| a.name == value) {
                        return Err(invalid(path, format!("no attachment is named {value:?}")));
                    }
                }
            }
            out.push((field.key.clone(), value));
        }
        Ok(out)
    }
}

fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "1"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

impl Licence {
    /// Reads a stored licence (the registry's metadata).
    pub fn from_json(bytes: &[u8]) -> Result<Licence> {
        from_json(bytes)
    }

    /// The same licence under the identifier of `serial` (type, issuer and version kept).
    pub fn with_serial(&self, serial: &str) -> Result<Licence> {
        let identifier = LicenceId::new(
            self.type_code.clone(),
            self.issuer_code.clone(),
            serial,
            self.version,
        )?;
        Ok(Licence {
            identifier,
            ..self.clone()
        })
    }

    /// The licence as JSON (what the registry stores as metadata).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a licence serialises")
    }

    /// The CWT claims of the licence's QR (LICENCE.md §3), signed at `iat`, with its
    /// status-list entry; `salt` is needed under the privacy option (the holder hash).
    ///
    /// Left out as §3 says: `no` when it equals the holder code, `d` when it is iat's
    /// China date, `rc` when it is the office's region, and under the privacy option the
    /// holder's name and code and every `personal` field. Also left out, as what a
    /// verifier derives ([`LicenceClaims::effective_issuer`],
    /// [`LicenceClaims::effective_not_before`]): `iss` when it is the identifier's issuer
    /// segment, `nbf` when the validity starts on the issue date.
    pub fn claims(
        &self,
        template: &Template,
        office_region: RegionCode,
        iat: i64,
        status: StatusReference,
        salt: Option<&[u8; 10]>,
    ) -> Result<LicenceClaims> {
        let hidden = self.privacy;
        let salt = match (hidden, salt) {
            (true, None) => {
                return Err(Error::Invalid(
                    "the privacy option needs a salt for the holder hash".into(),
                ));
            }
            (_, salt) => salt,
        };
        let surface = self
            .surface
            .iter()
            .filter(|(key, _)| {
                template
                    .field(key)
                    .is_some_and(|f| f.in_qr && !(hidden && f.personal))
            })
            .cloned()
            .collect();
        let shown = |v: &String| (!hidden).then(|| v.clone());
        let licence = LicenceFields {
            name: Some(self.name.clone()),
            number: (self.number != self.holder_code).then(|| self.number.clone()),
            issue_date: (Date::of_unix(iat) != Some(self.issue_date))
                .then(|| self.issue_date.to_string()),
            region_code: (self.region_code != office_region).then(|| self.region_code.to_string()),
            holder: shown(&self.holder_name),
            holder_type: Some(self.holder_type.code().to_owned()),
            holder_code: shown(&self.holder_code),
            holder_hash: salt
                .filter(|_| hidden)
                .map(|s| holder_hash(s, &self.holder_code)),
            surface,
            related: self.related.iter().map(ToString::to_string).collect(),
        };
        let issuer = self.issuer_code.to_string();
        Ok(LicenceClaims {
            issuer: (self.identifier.issuer_code() != &self.issuer_code).then_some(issuer),
            subject: self.identifier.to_string(),
            expires: self.valid_to.map(Date::end_unix),
            not_before: (self.valid_from != self.issue_date).then(|| self.valid_from.start_unix()),
            issued_at: Some(iat),
            status: Some(status),
            licence,
        })
    }

    /// What the printed licence shows (LICENCE.md §6): title, number, the rows of
    /// [`Licence::printed_fields`], issuer, issue date, identifier, the QR and, under the
    /// privacy option, the 核验码.
    pub fn document(
        &self,
        template: &Template,
        qr: &str,
        verification_code: Option<String>,
    ) -> super::document::LicenceDocument {
        super::document::LicenceDocument {
            title: self.name.clone(),
            number: Some(self.number.clone()),
            fields: self.printed_fields(template),
            issuer_name: self.issuer_name.clone(),
            issue_date: self.issue_date.chinese(),
            identifier: self.identifier.to_string(),
            qr: qr.to_owned(),
            verification_code,
        }
    }

    /// The rows printed on the licence, in order: holder, holder code, the surface fields
    /// (dates as 2026年01月01日), the validity period.
    pub fn printed_fields(&self, template: &Template) -> Vec<(String, String)> {
        let mut rows = vec![
            ("持证主体".to_owned(), self.holder_name.clone()),
            (self.holder_type_name.clone(), self.holder_code.clone()),
        ];
        for (key, value) in &self.surface {
            let Some(field) = template.field(key) else {
                continue;
            };
            let shown = match field.kind {
                FieldKind::Date => Date::from_str(value)
                    .map(Date::chinese)
                    .unwrap_or_else(|_| value.clone()),
                _ => value.clone(),
            };
            rows.push((field.label.clone(), shown));
        }
        let until = self
            .valid_to
            .map(Date::chinese)
            .unwrap_or_else(|| "长期".to_owned());
        rows.push((
            "有效期限".to_owned(),
            format!("{} 至 {until}", self.valid_from.chinese()),
        ));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d: Date = "20260101".parse().unwrap();
        assert_eq!(d.to_string(), "20260101");
        assert_eq!(d.chinese(), "2026年01月01日");
        // 2026-01-01T00:00:00+08:00 = 2025-12-31T16:00:00Z
        assert_eq!(d.start_unix(), 1_767_196_800);
        assert_eq!(Date::of_unix(1_767_196_800), Some(d));
        assert_eq!(Date::of_unix(1_767_196_799), "20251231".parse().ok());
        for bad in [
            "2026011",
            "20260230",
            "2026-01-01",
            "２０２６０１０１",
            "18991231",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals() {
        for good in ["0", "100", "-2.5", "3.14"] {
            assert!(is_decimal(good), "{good}");
        }
        for bad in ["", "-", "1.", ".5", "1e3", "1,000", "+1"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }
}
