//! Identifiers of the electronic licence data model and their check characters
//! (LICENCE.md §2).
//!
//! - [`LicenceId`]: the GB/T 36904 licence identifier (证照标识),
//!   `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>`, with its
//!   ISO/IEC 7064 MOD 37,36 check character.
//! - [`TypeCode`]: the licence type code (证照类型代码), definer USCC + 3 digits.
//! - [`Uscc`]: the GB 32100 unified social credit code (统一社会信用代码), with the optional
//!   GB 11714 organisation-code check.
//! - [`ResidentId`]: the GB 11643 citizen identity number (公民身份号码), MOD 11-2.
//! - [`RegionCode`]: a GB/T 2260 administrative division code (6 digits).
//!
//! Parsing (`FromStr`) fails only on syntax. A check character that does not verify is not a
//! syntax error: `check()` reports it as a [`BadCheckCharacter`], and `warnings()` lists it
//! with everything else a **verifier** reports but does not fail on (lowercase input, a
//! GB 11714 mismatch, a 15-digit resident number). An **issuer** refuses any value whose
//! `check()` fails; the constructors (`new`) only ever build values that pass.
//!
//! ```
//! use eseal::licence::identifiers::{LicenceId, TypeCode, IssuerCode};
//!
//! let id: LicenceId =
//!     "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F".parse()?;
//! assert!(id.check().is_ok());
//! assert_eq!(id.type_code().definer().to_string(), "11100000000013338W");
//!
//! let built = LicenceId::new(
//!     "11100000000013338W032".parse::<TypeCode>()?,
//!     "11220000013544541J".parse::<IssuerCode>()?,
//!     "2430599",
//!     1,
//! )?;
//! assert_eq!(built, id);
//! # Ok::<(), eseal::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Equality, hashing and order by the listed fields alone: how a value was written (its
/// case, kept for warnings) does not count.
macro_rules! identity_by {
    ($t:ty => $($field:ident),+) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                ($(&self.$field,)+) == ($(&other.$field,)+)
            }
        }

        impl Eq for $t {}

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                ($(&self.$field,)+).hash(state);
            }
        }

        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $t {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                ($(&self.$field,)+).cmp(&($(&other.$field,)+))
            }
        }
    };
}

/// `FromStr` through the type's `parse_detail`, its errors naming `$what`; the doc comment
/// given says what is parsed.
macro_rules! from_str_by_detail {
    ($(#[$doc:meta])* $t:ident, $what:literal) => {
        impl FromStr for $t {
            type Err = Error;

            $(#[$doc])*
            fn from_str(s: &str) -> Result<Self> {
                $t::parse_detail(s).map_err(|d| Error::malformed($what, d))
            }
        }
    };
}

/// The root of every GB/T 36904 licence identifier, `1.2.156.3005.2` (LICENCE.md §2).
pub const LICENCE_ID_ROOT: &str = "1.2.156.3005.2";

/// The longest licence identifier accepted, in bytes (LICENCE.md §1, 证照标识 ≤ 128 chars).
pub const MAX_LICENCE_ID_LEN: usize = 128;

/// The alphabet of ISO/IEC 7064 MOD 37,36 (LICENCE.md §2): `0-9A-Z` = 0..35.
const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The GB 32100 alphabet (LICENCE.md §2): 31 characters, no I, O, S, V, Z.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The GB 32100 weights, 3^i mod 31 (LICENCE.md §2).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 11714 organisation-code weights (LICENCE.md §2).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// The GB 11643 MOD 11-2 weights (LICENCE.md §2).
const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The GB 11643 check characters, indexed by Σ mod 11 (LICENCE.md §2).
const RESIDENT_CHECK: &[u8; 11] = b"10X98765432";

/// A check character that does not verify (LICENCE.md §2, "a verifier reports a bad check
/// character (`BadCheckCharacter{field, expected, found}`) as a warning").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BadCheckCharacter {
    /// The code whose check character fails, e.g. `"licence identifier"`, `"USCC"`.
    pub field: String,
    /// The check character computed from the code.
    pub expected: char,
    /// The check character the code carries.
    pub found: char,
}

impl fmt::Display for BadCheckCharacter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: check character is '{}', expected '{}'",
            self.field, self.found, self.expected
        )
    }
}

impl std::error::Error for BadCheckCharacter {}

/// Something a verifier reports about an identifier but does not fail on (LICENCE.md §2:
/// lowercase input, check characters on third-party data, GB 11714, 15-digit numbers).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// The input had lowercase letters; the value holds them uppercased (§2 "uppercase only
    /// (lowercase: warning)").
    Lowercase {
        /// The code that was written in lowercase.
        field: &'static str,
    },
    /// A check character does not verify (§2 "Rule").
    BadCheckCharacter(BadCheckCharacter),
    /// A USCC's characters 9–17 do not verify as a GB 11714 organisation code (§2, "optional
    /// (warning only)").
    OrganisationCode(BadCheckCharacter),
    /// A 15-digit (1989) resident identity number, which has no check character (§2, GB 11643).
    NoCheckCharacter {
        /// The code without a check character.
        field: &'static str,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Lowercase { field } => write!(f, "{field}: lowercase letters"),
            Warning::BadCheckCharacter(bad) => bad.fmt(f),
            Warning::OrganisationCode(bad) => write!(f, "GB 11714 organisation code: {bad}"),
            Warning::NoCheckCharacter { field } => {
                write!(f, "{field}: 15-digit number without a check character")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Check-character arithmetic
// ---------------------------------------------------------------------------------------

/// ISO/IEC 7064 MOD 37,36 over the concatenated `parts`, which must be `[0-9A-Z]*`
/// (LICENCE.md §2).
fn mod37_36(parts: &[&[u8]]) -> Option<char> {
    // p stays in 1..=36 and v in 0..=35, so each modulo is one conditional subtraction:
    // s = (p + v) mod 36 taken in 1..=36, p = 2s mod 37 (never 0, 37 being prime).
    let mut p: u32 = 36;
    for &b in parts.iter().copied().flatten() {
        let v = alnum_value(b)?;
        // Without branches: the digits are data, so branches on them mispredict.
        let s = p + v;
        let s = s - 36 * u32::from(s > 36);
        p = 2 * s;
        p -= 37 * u32::from(p >= 37);
    }
    let c = (37 - p) % 36;
    Some(char::from(ALNUM[c as usize]))
}

fn alnum_value(b: u8) -> Option<u32> {
    match ALNUM_VALUE[usize::from(b)] {
        0xff => None,
        v => Some(u32::from(v)),
    }
}

/// The value of each byte in [`ALNUM`], 0xff for bytes outside it.
const ALNUM_VALUE: [u8; 256] = digit_values(ALNUM);

/// The position of each byte in `alphabet` (at most 255 characters), 0xff for bytes
/// outside it: a table that turns a character into its digit value.
pub(crate) const fn digit_values(alphabet: &[u8]) -> [u8; 256] {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
}

fn uscc_value(b: u8) -> Option<u32> {
    match USCC_VALUE[usize::from(b)] {
        0xff => None,
        v => Some(u32::from(v)),
    }
}

/// The value of each byte in [`USCC_ALPHABET`], 0xff for bytes outside it.
const USCC_VALUE: [u8; 256] = digit_values(USCC_ALPHABET);

/// GB 32100 check character of the first 17 characters (LICENCE.md §2).
fn uscc_check(body: &[u8]) -> Option<char> {
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (&b, w) in body.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(b)? * w;
    }
    let c = (31 - sum % 31) % 31;
    Some(char::from(USCC_ALPHABET[c as usize]))
}

/// GB 11714 check character of an 8-character organisation-code body (LICENCE.md §2).
fn org_check(body: &[u8]) -> Option<char> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (&b, w) in body.iter().zip(ORG_WEIGHTS) {
        sum += alnum_value(b)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10)?,
    })
}

/// GB 11643 MOD 11-2 check character of 17 digits (LICENCE.md §2).
fn resident_check(body: &[u8]) -> Option<char> {
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (&b, w) in body.iter().zip(RESIDENT_WEIGHTS) {
        if !b.is_ascii_digit() {
            return None;
        }
        sum += u32::from(b - b'0') * w;
    }
    Some(char::from(RESIDENT_CHECK[(sum % 11) as usize]))
}

/// Checks every character of `s` is an ASCII letter or digit; returns whether any letter
/// is lowercase.
fn alnum_has_lowercase(s: &str) -> std::result::Result<bool, String> {
    if s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(s.bytes().any(|b| b.is_ascii_lowercase()));
    }
    if let Some((i, c)) = s.char_indices().find(|(_, c)| !c.is_ascii_alphanumeric()) {
        return Err(format!(
            "character {c:?} at byte {i} is not a letter or digit"
        ));
    }
    Ok(s.bytes().any(|b| b.is_ascii_lowercase()))
}

fn bad(field: &str, expected: char, found: char) -> std::result::Result<(), BadCheckCharacter> {
    if expected == found {
        Ok(())
    } else {
        Err(BadCheckCharacter {
            field: field.to_owned(),
            expected,
            found,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Region code
// ---------------------------------------------------------------------------------------

/// A GB/T 2260 administrative division code, 6 digits (LICENCE.md §1 证照所属管辖属地编码,
/// §2 issuer code on legacy platforms).
///
/// Only the syntax is checked: eseal carries no copy of the GB/T 2260 code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    /// The code as text (LICENCE.md §1).
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The province-level part, the first two digits (GB/T 2260).
    pub fn province(&self) -> &str {
        &self.as_str()[..2]
    }

    fn parse_detail(s: &str) -> std::result::Result<Self, String> {
        let bytes: [u8; 6] = s
            .as_bytes()
            .try_into()
            .map_err(|_| format!("{} bytes, expected 6 digits", s.len()))?;
        if let Some(i) = bytes.iter().position(|b| !b.is_ascii_digit()) {
            return Err(format!("byte {i} is not a digit"));
        }
        Ok(RegionCode(bytes))
    }
}

from_str_by_detail!(
    /// Parses 6 ASCII digits (GB/T 2260, LICENCE.md §1); errors name `"region code"`.
    RegionCode,
    "region code"
);

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The warnings a code starts with: written in lowercase, a check character that fails.
fn case_and_check_warnings(
    field: &'static str,
    lowercase: bool,
    check: std::result::Result<(), BadCheckCharacter>,
) -> Vec<Warning> {
    let mut out = Vec::new();
    if lowercase {
        out.push(Warning::Lowercase { field });
    }
    if let Err(b) = check {
        out.push(Warning::BadCheckCharacter(b));
    }
    out
}

/// The 17 characters a check character is computed for, by their length; errors name `what`.
fn check_body_length(body: &str, what: &'static str) -> Result<()> {
    if body.len() != 17 {
        return Err(Error::malformed(
            what,
            format!(
                "{} bytes before the check character, expected 17",
                body.len()
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// USCC
// ---------------------------------------------------------------------------------------

/// A GB 32100 unified social credit code (统一社会信用代码, LICENCE.md §2): 登记管理部门 (1) +
/// 机构类别 (1) + region (6) + GB 11714 organisation code (9) + check character, 18
/// characters of `0123456789ABCDEFGHJKLMNPQRTUWXY`.
///
/// Parsing checks the syntax only; [`Uscc::check`] the check character. Equality, ordering
/// and hashing are by the (uppercase) code, not by how it was written.
#[derive(Debug, Clone)]
pub struct Uscc {
    code: [u8; 18],
    lowercase: bool,
}

impl Uscc {
    /// Builds the USCC of the 17 characters `body`, computing its GB 32100 check character
    /// (LICENCE.md §2). `body` must be uppercase; errors name `"USCC"`.
    pub fn new(body: &str) -> Result<Self> {
        check_body_length(body, "USCC")?;
        let uscc = Uscc::parse_detail(&format!("{body}0"), false)
            .map_err(|d| Error::malformed("USCC", d))?;
        let check = uscc.computed_check_character();
        let mut code = uscc.code;
        code[17] = check as u8;
        Ok(Uscc {
            code,
            lowercase: false,
        })
    }

    fn parse_detail(s: &str, allow_lower: bool) -> std::result::Result<Self, String> {
        if s.len() != 18 {
            return Err(format!("{} bytes, expected 18 characters", s.len()));
        }
        let lowercase = alnum_has_lowercase(s)?;
        if lowercase && !allow_lower {
            return Err("lowercase letters".into());
        }
        let code: [u8; 18] = <[u8; 18]>::try_from(s.as_bytes())
            .map_err(|_| "expected 18 characters".to_owned())?
            .map(|b| b.to_ascii_uppercase());
        if let Some(i) = code.iter().position(|&b| uscc_value(b).is_none()) {
            return Err(format!(
                "character '{}' at position {} is not in the GB 32100 alphabet",
                char::from(code[i]),
                i + 1
            ));
        }
        Ok(Uscc { code, lowercase })
    }

    /// The code as text, uppercase (LICENCE.md §1 "codes uppercase").
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("")
    }

    /// The registration authority code (登记管理部门码), character 1 (GB 32100).
    pub fn registration_authority(&self) -> char {
        char::from(self.code[0])
    }

    /// The organisation category code (机构类别码), character 2 (GB 32100).
    pub fn category(&self) -> char {
        char::from(self.code[1])
    }

    /// The registration region, characters 3–8 (GB 32100; normally a GB/T 2260 code, not
    /// checked).
    pub fn region(&self) -> &str {
        &self.as_str()[2..8]
    }

    /// The GB 11714 organisation code, characters 9–17 (GB 32100).
    pub fn organisation_code(&self) -> &str {
        &self.as_str()[8..17]
    }

    /// The check character the code carries, character 18 (GB 32100).
    pub fn check_character(&self) -> char {
        char::from(self.code[17])
    }

    /// The GB 32100 check character computed from characters 1–17 (LICENCE.md §2).
    pub fn computed_check_character(&self) -> char {
        // Every stored character is in the alphabet, so this never falls back.
        uscc_check(&self.code[..17]).unwrap_or('?')
    }

    /// Whether the GB 32100 check character verifies (LICENCE.md §2). Early pilot codes
    /// such as `91350100M0001TGQXM` are legally valid and fail it.
    pub fn check(&self) -> std::result::Result<(), BadCheckCharacter> {
        bad(
            "USCC",
            self.computed_check_character(),
            self.check_character(),
        )
    }

    /// Whether characters 9–17 verify as a GB 11714 organisation code (LICENCE.md §2,
    /// optional, warning only).
    pub fn check_organisation_code(&self) -> std::result::Result<(), BadCheckCharacter> {
        let expected = org_check(&self.code[8..16]).unwrap_or('?');
        bad(
            "GB 11714 organisation code",
            expected,
            char::from(self.code[16]),
        )
    }

    /// Whether the input was written with lowercase letters (LICENCE.md §2, warning).
    pub fn was_lowercase(&self) -> bool {
        self.lowercase
    }

    /// What a verifier reports about this code (LICENCE.md §2): lowercase input, a bad
    /// check character, a GB 11714 mismatch.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        self.push_warnings("USCC", &mut out);
        out
    }

    fn push_warnings(&self, field: &'static str, out: &mut Vec<Warning>) {
        if self.lowercase {
            out.push(Warning::Lowercase { field });
        }
        if let Err(mut b) = self.check() {
            b.field = field.to_owned();
            out.push(Warning::BadCheckCharacter(b));
        }
        if let Err(mut b) = self.check_organisation_code() {
            b.field = format!("{field} organisation code");
            out.push(Warning::OrganisationCode(b));
        }
    }
}

identity_by!(Uscc => code);

impl FromStr for Uscc {
    type Err = Error;

    /// Parses 18 characters of the GB 32100 alphabet (LICENCE.md §2); lowercase is accepted
    /// and reported by [`Uscc::warnings`]. A bad check character is not an error here (see
    /// [`Uscc::check`]); errors name `"USCC"`.
    fn from_str(s: &str) -> Result<Self> {
        Uscc::parse_detail(s, true).map_err(|d| Error::malformed("USCC", d))
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------
// Type code
// ---------------------------------------------------------------------------------------

/// A licence type code (证照类型代码, LICENCE.md §1–2): the definer's USCC (18) + 3 digits,
/// e.g. `11100000000013338W032`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeCode {
    definer: Uscc,
    number: [u8; 3],
}

impl TypeCode {
    /// Builds the type code `definer` + `number` (0–999, printed with 3 digits) (LICENCE.md
    /// §1); errors name `"type code"`.
    pub fn new(definer: Uscc, number: u16) -> Result<Self> {
        if number > 999 {
            return Err(Error::malformed(
                "type code",
                format!("number {number} is more than 999"),
            ));
        }
        let text = format!("{number:03}");
        let mut digits = [b'0'; 3];
        digits.copy_from_slice(text.as_bytes());
        Ok(TypeCode {
            definer,
            number: digits,
        })
    }

    fn parse_detail(s: &str) -> std::result::Result<Self, String> {
        if s.len() != 21 || !s.is_char_boundary(18) {
            return Err(format!("{} bytes, expected 21 characters", s.len()));
        }
        let (definer, number) = s.split_at(18);
        let definer =
            Uscc::parse_detail(definer, true).map_err(|d| format!("definer USCC: {d}"))?;
        let number: [u8; 3] = number
            .as_bytes()
            .try_into()
            .map_err(|_| "expected 3 digits after the definer USCC".to_owned())?;
        if !number.iter().all(u8::is_ascii_digit) {
            return Err("the last 3 characters are not digits".into());
        }
        Ok(TypeCode { definer, number })
    }

    /// The definer's USCC (证照定义机构代码), the first 18 characters (LICENCE.md §1).
    pub fn definer(&self) -> &Uscc {
        &self.definer
    }

    /// The number of the type within its definer, the last 3 digits (LICENCE.md §1).
    pub fn number(&self) -> u16 {
        self.number
            .iter()
            .fold(0, |n, d| n * 10 + u16::from(d - b'0'))
    }

    /// What a verifier reports about this code (LICENCE.md §2): those of the definer USCC.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        self.definer
            .push_warnings("type code definer USCC", &mut out);
        out
    }
}

from_str_by_detail!(
    /// Parses a definer USCC + 3 digits (LICENCE.md §1); errors name `"type code"`.
    TypeCode,
    "type code"
);

impl fmt::Display for TypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            self.definer,
            std::str::from_utf8(&self.number).unwrap_or("")
        )
    }
}

// ---------------------------------------------------------------------------------------
// Issuer code
// ---------------------------------------------------------------------------------------

/// The issuer code of a licence identifier (颁证机构代码, LICENCE.md §2): a USCC or, on legacy
/// platforms, a 6-digit region code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssuerCode {
    /// The issuing office's USCC (GB 32100).
    Uscc(Uscc),
    /// A GB/T 2260 region code (legacy platforms, accepted).
    Region(RegionCode),
}

impl IssuerCode {
    /// The code as text, uppercase (LICENCE.md §1).
    pub fn as_str(&self) -> &str {
        match self {
            IssuerCode::Uscc(u) => u.as_str(),
            IssuerCode::Region(r) => r.as_str(),
        }
    }

    fn parse_detail(s: &str) -> std::result::Result<Self, String> {
        match s.len() {
            18 => Uscc::parse_detail(s, true).map(IssuerCode::Uscc),
            6 => RegionCode::parse_detail(s).map(IssuerCode::Region),
            n => Err(format!(
                "{n} bytes, expected an 18-character USCC or a 6-digit region code"
            )),
        }
    }
}

from_str_by_detail!(
    /// Parses a USCC (18) or a region code (6 digits) (LICENCE.md §2); errors name
    /// `"issuer code"`.
    IssuerCode,
    "issuer code"
);

impl fmt::Display for IssuerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssuerCode::Uscc(u) => u.fmt(f),
            IssuerCode::Region(r) => r.fmt(f),
        }
    }
}

impl From<Uscc> for IssuerCode {
    fn from(u: Uscc) -> Self {
        IssuerCode::Uscc(u)
    }
}

impl From<RegionCode> for IssuerCode {
    fn from(r: RegionCode) -> Self {
        IssuerCode::Region(r)
    }
}

// ---------------------------------------------------------------------------------------
// Licence identifier
// ---------------------------------------------------------------------------------------

/// A GB/T 36904 licence identifier (证照标识, LICENCE.md §2):
/// `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>`, at most 128
/// characters, with an ISO/IEC 7064 MOD 37,36 check character over
/// type code + issuer code + serial + version.
///
/// Parsing checks the syntax only and keeps the check character as written;
/// [`LicenceId::check`] verifies it (and the embedded USCCs). Lowercase input is accepted,
/// held uppercased and reported by [`LicenceId::warnings`]. Equality, ordering, hashing and
/// `Display` use the canonical uppercase form.
#[derive(Debug, Clone)]
pub struct LicenceId {
    type_code: TypeCode,
    issuer: IssuerCode,
    serial: Serial,
    version: u16,
    check: char,
    lowercase: bool,
}

impl LicenceId {
    /// Builds an identifier and computes its check character (LICENCE.md §2). The serial
    /// must be `[0-9A-Z]{1,32}` and the version 1–999. As an issuer refuses any failing
    /// code (§2 "Rule"), a definer or issuer USCC whose check character fails is refused;
    /// errors name `"licence identifier"`.
    pub fn new(
        type_code: TypeCode,
        issuer: IssuerCode,
        serial: &str,
        version: u16,
    ) -> Result<Self> {
        let what = "licence identifier";
        check_serial(serial, false).map_err(|d| Error::malformed(what, d))?;
        if !(1..=999).contains(&version) {
            return Err(Error::malformed(
                what,
                format!("version {version} is not in 1–999"),
            ));
        }
        if let Err(b) = type_code.definer.check() {
            return Err(Error::malformed(what, format!("type code definer {b}")));
        }
        if let IssuerCode::Uscc(u) = &issuer
            && let Err(b) = u.check()
        {
            return Err(Error::malformed(what, format!("issuer {b}")));
        }
        let mut id = LicenceId {
            type_code: TypeCode {
                definer: Uscc {
                    lowercase: false,
                    ..type_code.definer
                },
                number: type_code.number,
            },
            issuer: match issuer {
                IssuerCode::Uscc(u) => IssuerCode::Uscc(Uscc {
                    lowercase: false,
                    ..u
                }),
                r => r,
            },
            serial: Serial::new(serial),
            version,
            check: '0',
            lowercase: false,
        };
        id.check = id.computed_check_character();
        Ok(id)
    }

    /// The type code (证照类型代码, LICENCE.md §1).
    pub fn type_code(&self) -> &TypeCode {
        &self.type_code
    }

    /// The issuer code (颁证机构代码, LICENCE.md §2).
    pub fn issuer_code(&self) -> &IssuerCode {
        &self.issuer
    }

    /// The serial (流水号), `[0-9A-Z]{1,32}` (LICENCE.md §2).
    pub fn serial(&self) -> &str {
        self.serial.as_str()
    }

    /// The version (证照版本号), 1–999, printed with 3 digits (LICENCE.md §1).
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The check character the identifier carries (LICENCE.md §2).
    pub fn check_character(&self) -> char {
        self.check
    }

    /// The MOD 37,36 check character computed over type code + issuer code + serial +
    /// version, without dots or root (LICENCE.md §2).
    pub fn computed_check_character(&self) -> char {
        let issuer = match &self.issuer {
            IssuerCode::Uscc(u) => u.as_str(),
            IssuerCode::Region(r) => r.as_str(),
        };
        let v = self.version;
        let version = [v / 100, v / 10 % 10, v % 10].map(|d| b'0' + d as u8);
        let body = [
            self.type_code.definer.as_str().as_bytes(),
            &self.type_code.number,
            issuer.as_bytes(),
            self.serial.as_str().as_bytes(),
            &version,
        ];
        // Every stored character is in 0-9A-Z, so this never falls back.
        mod37_36(&body).unwrap_or('?')
    }

    /// Whether the check characters verify (LICENCE.md §2): the identifier's own first, then
    /// the definer USCC in the type code, then an issuer USCC. The first failure is
    /// returned; `field` is `"licence identifier"`, `"type code definer USCC"` or
    /// `"issuer USCC"`. The GB 11714 check is not part of it (see [`LicenceId::warnings`]).
    pub fn check(&self) -> std::result::Result<(), BadCheckCharacter> {
        bad(
            "licence identifier",
            self.computed_check_character(),
            self.check,
        )?;
        if let Err(mut b) = self.type_code.definer.check() {
            b.field = "type code definer USCC".into();
            return Err(b);
        }
        if let IssuerCode::Uscc(u) = &self.issuer
            && let Err(mut b) = u.check()
        {
            b.field = "issuer USCC".into();
            return Err(b);
        }
        Ok(())
    }

    /// Whether the input was written with lowercase letters (LICENCE.md §2, warning).
    pub fn was_lowercase(&self) -> bool {
        self.lowercase
    }

    /// What a verifier reports about this identifier but does not fail on (LICENCE.md §2):
    /// lowercase input, every check character that fails (the identifier's, the definer's
    /// and issuer's USCC) and GB 11714 mismatches of those USCCs.
    pub fn warnings(&self) -> Vec<Warning> {
        let check = bad(
            "licence identifier",
            self.computed_check_character(),
            self.check,
        );
        let mut out = case_and_check_warnings("licence identifier", self.lowercase, check);
        let definer = Uscc {
            lowercase: false,
            ..self.type_code.definer.clone()
        };
        definer.push_warnings("type code definer USCC", &mut out);
        if let IssuerCode::Uscc(u) = &self.issuer {
            Uscc {
                lowercase: false,
                ..u.clone()
            }
            .push_warnings("issuer USCC", &mut out);
        }
        out
    }

    fn parse_detail(s: &str) -> std::result::Result<Self, String> {
        if s.len() > MAX_LICENCE_ID_LEN {
            return Err(format!(
                "{} bytes, the limit is {MAX_LICENCE_ID_LEN}",
                s.len()
            ));
        }
        let rest = s
            .strip_prefix(LICENCE_ID_ROOT)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or_else(|| format!("does not start with the root {LICENCE_ID_ROOT}."))?;
        let mut parts = rest.split('.');
        let (Some(type_code), Some(issuer), Some(serial), Some(version), Some(check), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(format!(
                "{} dot-separated parts after the root, expected 5 (type code, issuer code, \
                 serial, version, check character)",
                rest.split('.').count()
            ));
        };
        let type_code = TypeCode::parse_detail(type_code).map_err(|d| format!("type code: {d}"))?;
        let issuer = IssuerCode::parse_detail(issuer).map_err(|d| format!("issuer code: {d}"))?;
        let serial_lower = check_serial(serial, true)?;
        let version = parse_version(version)?;
        let (check, check_lower) = match check.as_bytes() {
            [b] if b.is_ascii_alphanumeric() => {
                (char::from(b.to_ascii_uppercase()), b.is_ascii_lowercase())
            }
            _ => {
                return Err(format!("check character {check:?} is not one of 0-9A-Z"));
            }
        };
        let lowercase = type_code.definer.lowercase
            || matches!(&issuer, IssuerCode::Uscc(u) if u.lowercase)
            || serial_lower
            || check_lower;
        Ok(LicenceId {
            type_code,
            issuer,
            serial: Serial::new(serial),
            version,
            check,
            lowercase,
        })
    }
}

/// A serial held inline, uppercased: up to 32 ASCII alphanumerics padded with zero bytes,
/// which no serial contains, so the derived order is that of the text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Serial([u8; 32]);

impl Serial {
    /// `serial` uppercased; [`check_serial`] has accepted it (more than 32 bytes would be
    /// cut).
    fn new(serial: &str) -> Self {
        let mut bytes = [0; 32];
        for (b, s) in bytes.iter_mut().zip(serial.bytes()) {
            *b = s.to_ascii_uppercase();
        }
        Serial(bytes)
    }

    fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        std::str::from_utf8(self.0.get(..len).unwrap_or_default()).unwrap_or("")
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a serial `[0-9A-Z]{1,32}` (lowercase allowed when reading); returns whether it had
/// lowercase letters.
fn check_serial(serial: &str, allow_lower: bool) -> std::result::Result<bool, String> {
    if serial.is_empty() || serial.len() > 32 {
        return Err(format!(
            "serial: {} bytes, expected 1 to 32 characters",
            serial.len()
        ));
    }
    let lower = alnum_has_lowercase(serial).map_err(|d| format!("serial: {d}"))?;
    if lower && !allow_lower {
        return Err("serial: lowercase letters".into());
    }
    Ok(lower)
}

fn parse_version(v: &str) -> std::result::Result<u16, String> {
    match v.as_bytes() {
        [a, b, c] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            let n = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            if n == 0 {
                Err("version: 000, expected 001 to 999".into())
            } else {
                Ok(n)
            }
        }
        _ => Err(format!("version: {v:?} is not 3 digits 001 to 999")),
    }
}

identity_by!(LicenceId => type_code, issuer, serial, version, check);

from_str_by_detail!(
    /// Parses a GB/T 36904 identifier strictly (LICENCE.md §2): the root, exactly five
    /// parts, at most 128 bytes, no whitespace. Lowercase is accepted (warning); a check
    /// character that does not verify is not an error here (see [`LicenceId::check`]).
    /// Errors name `"licence identifier"`, the detail names the part.
    LicenceId,
    "licence identifier"
);

impl fmt::Display for LicenceId {
    /// The canonical, uppercase form (LICENCE.md §2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{LICENCE_ID_ROOT}.{}.{}.{}.{:03}.{}",
            self.type_code, self.issuer, self.serial, self.version, self.check
        )
    }
}

// ---------------------------------------------------------------------------------------
// Resident identity number
// ---------------------------------------------------------------------------------------

/// A GB 11643 citizen identity number (公民身份号码, LICENCE.md §2): region (6) + birth
/// date (8) + sequence (3) + MOD 11-2 check character (`0-9` or `X`), or an old 15-digit
/// number (region 6 + `yyMMdd` in 19xx + sequence 3) without a check character.
///
/// Parsing checks the syntax and that the birth date is a calendar date from 1800 on (the
/// date is not compared with today); [`ResidentId::check`] the check character.
#[derive(Debug, Clone)]
pub struct ResidentId {
    number: String,
    lowercase: bool,
}

impl ResidentId {
    /// Builds the 18-character number of the 17 digits `body`, computing its MOD 11-2 check
    /// character (LICENCE.md §2); errors name `"resident ID"`.
    pub fn new(body: &str) -> Result<Self> {
        check_body_length(body, "resident ID")?;
        let mut id = ResidentId::parse_detail(&format!("{body}0"))
            .map_err(|d| Error::malformed("resident ID", d))?;
        let check = id.computed_check_character().unwrap_or('0');
        id.number.pop();
        id.number.push(check);
        Ok(id)
    }

    fn parse_detail(s: &str) -> std::result::Result<Self, String> {
        let b = s.as_bytes();
        let (digits, lowercase) = match b.len() {
            18 => {
                let lower = b[17] == b'x';
                if !(b[17].is_ascii_digit() || b[17] == b'X' || lower) {
                    return Err("check character is not a digit or X".into());
                }
                (&b[..17], lower)
            }
            15 => (b, false),
            n => return Err(format!("{n} bytes, expected 18 (or 15) characters")),
        };
        if let Some(i) = digits.iter().position(|d| !d.is_ascii_digit()) {
            return Err(format!("character {} is not a digit", i + 1));
        }
        let num = |r: std::ops::Range<usize>| {
            digits[r]
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
        };
        let (year, month, day) = if b.len() == 18 {
            (num(6..10), num(10..12), num(12..14))
        } else {
            (1900 + num(6..8), num(8..10), num(10..12))
        };
        if year < 1800 {
            return Err(format!("birth year {year} is before 1800"));
        }
        birth_date(year, month, day)
            .ok_or_else(|| format!("birth date {year:04}-{month:02}-{day:02} is not a date"))?;
        Ok(ResidentId {
            number: s.to_ascii_uppercase(),
            lowercase,
        })
    }

    /// The number as text, `X` uppercase (LICENCE.md §1 "codes uppercase").
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// Whether this is an old 15-digit number without a check character (GB 11643).
    pub fn is_legacy(&self) -> bool {
        self.number.len() == 15
    }

    /// The region code of the place of registration, digits 1–6 (GB 11643, GB/T 2260).
    pub fn region(&self) -> RegionCode {
        let mut r = [b'0'; 6];
        r.copy_from_slice(&self.number.as_bytes()[..6]);
        RegionCode(r)
    }

    /// The birth date (GB 11643; 15-digit numbers are in 19xx).
    pub fn birth_date(&self) -> time::Date {
        let d = self.number.as_bytes();
        let num =
            |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
        let (y, m, day) = if self.is_legacy() {
            (1900 + num(6..8), num(8..10), num(10..12))
        } else {
            (num(6..10), num(10..12), num(12..14))
        };
        // Checked when parsed.
        birth_date(y, m, day).unwrap_or(time::Date::MIN)
    }

    /// The check character the number carries, `None` for a 15-digit number (GB 11643).
    pub fn check_character(&self) -> Option<char> {
        if self.is_legacy() {
            None
        } else {
            self.number.chars().last()
        }
    }

    /// The MOD 11-2 check character computed from the first 17 digits, `None` for a
    /// 15-digit number (LICENCE.md §2).
    pub fn computed_check_character(&self) -> Option<char> {
        if self.is_legacy() {
            None
        } else {
            resident_check(&self.number.as_bytes()[..17])
        }
    }

    /// Whether the MOD 11-2 check character verifies (LICENCE.md §2). A 15-digit number has
    /// none and passes; [`ResidentId::warnings`] reports it.
    pub fn check(&self) -> std::result::Result<(), BadCheckCharacter> {
        match (self.computed_check_character(), self.check_character()) {
            (Some(e), Some(f)) => bad("resident ID", e, f),
            _ => Ok(()),
        }
    }

    /// The 18-character form of a 15-digit number: `19` inserted before the year and the
    /// check character computed (GB 11643); an 18-character number is returned as is.
    pub fn to_18(&self) -> ResidentId {
        if !self.is_legacy() {
            return self.clone();
        }
        let body = format!("{}19{}", &self.number[..6], &self.number[6..]);
        ResidentId::new(&body).unwrap_or_else(|_| self.clone())
    }

    /// Whether the input was written with a lowercase `x` (LICENCE.md §2, warning).
    pub fn was_lowercase(&self) -> bool {
        self.lowercase
    }

    /// What a verifier reports about this number (LICENCE.md §2): lowercase `x`, a bad check
    /// character, a 15-digit number without one.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = case_and_check_warnings("resident ID", self.lowercase, self.check());
        if self.is_legacy() {
            out.push(Warning::NoCheckCharacter {
                field: "resident ID",
            });
        }
        out
    }
}

fn birth_date(year: u32, month: u32, day: u32) -> Option<time::Date> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

identity_by!(ResidentId => number);

from_str_by_detail!(
    /// Parses an 18-character (or old 15-digit) number with a valid birth date (GB 11643,
    /// LICENCE.md §2); a lowercase `x` is accepted (warning). A bad check character is not
    /// an error here (see [`ResidentId::check`]); errors name `"resident ID"`.
    ResidentId,
    "resident ID"
);

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

// ---------------------------------------------------------------------------------------
// serde: every code as its text
// ---------------------------------------------------------------------------------------

/// Implements `Serialize` (the `Display` text) and `Deserialize` (through `FromStr`, so with
/// the same checks) for a code type, as the data model (LICENCE.md §1) stores them as text.
macro_rules! serde_as_text {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_as_text!(
    LicenceId, TypeCode, IssuerCode, Uscc, RegionCode, ResidentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples() {
        assert_eq!(
            mod37_36(&[b"11100000000013338W03211220000013544541J2430599001"]),
            Some('F')
        );
        assert_eq!(uscc_check(b"11100000000013338"), Some('W'));
        assert_eq!(resident_check(b"11010519491231002"), Some('X'));
    }
}
