//! Licence identifiers (LICENCE.md §2): `LicenceId`, `Uscc`, `ResidentId`, `TypeCode`,
//! `IssuerCode` and `RegionCode` parsed from arbitrary text; whatever parses must check
//! without panicking and survive a `Display` → `FromStr` round trip.
#![no_main]

use eseal::licence::identifiers::{IssuerCode, LicenceId, RegionCode, ResidentId, TypeCode, Uscc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    if let Ok(id) = s.parse::<LicenceId>() {
        let _ = id.check();
        let _ = id.warnings();
        let text = id.to_string();
        let back: LicenceId = text.parse().expect("Display output parses");
        assert_eq!(back, id);
        let rebuilt = LicenceId::new(
            id.type_code().clone(),
            id.issuer_code().clone(),
            id.serial(),
            id.version(),
        );
        if id.check().is_ok() {
            assert_eq!(rebuilt.expect("a checked identifier rebuilds"), id);
        }
    }
    if let Ok(u) = s.parse::<Uscc>() {
        let _ = (u.check(), u.check_organisation_code(), u.warnings());
        assert_eq!(u.to_string().parse::<Uscc>().expect("round trip"), u);
    }
    if let Ok(r) = s.parse::<ResidentId>() {
        let _ = (
            r.check(),
            r.warnings(),
            r.birth_date(),
            r.region(),
            r.to_18(),
        );
        assert_eq!(r.to_string().parse::<ResidentId>().expect("round trip"), r);
    }
    if let Ok(t) = s.parse::<TypeCode>() {
        let _ = (t.number(), t.warnings());
        assert_eq!(t.to_string().parse::<TypeCode>().expect("round trip"), t);
    }
    let _ = s.parse::<IssuerCode>();
    let _ = s.parse::<RegionCode>().map(|r| r.province().len());
    let _ = Uscc::new(s);
    let _ = ResidentId::new(s);
});
