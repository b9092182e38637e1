//! PDF dates (ISO 32000-1 clause 7.9.4): `D:YYYYMMDDHHmmSSOHH'mm'`, every part after the
//! year optional, read into the report's [`Time`].

use crate::report::Time;

/// The time a PDF date states, with its UTC offset (UTC when it gives none); `None` when
/// it is not a PDF date.
pub(crate) fn parse_pdf_date(text: &str) -> Option<Time> {
    let rest = text.strip_prefix("D:").unwrap_or(text).as_bytes();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(4..=14).contains(&digits) || digits % 2 != 0 {
        return None;
    }
    let number = |from: usize, default: u8| -> u8 {
        rest.get(from..from + 2)
            .filter(|_| from + 2 <= digits)
            .and_then(|d| std::str::from_utf8(d).ok()?.parse().ok())
            .unwrap_or(default)
    };
    let year: i32 = std::str::from_utf8(&rest[..4]).ok()?.parse().ok()?;
    let month = time::Month::try_from(number(4, 1)).ok()?;
    let date = time::Date::from_calendar_date(year, month, number(6, 1)).ok()?;
    let clock = time::Time::from_hms(number(8, 0), number(10, 0), number(12, 0)).ok()?;
    let offset = offset_seconds(&rest[digits..])?;
    let utc = time::PrimitiveDateTime::new(date, clock).assume_utc();
    Some(Time::from_unix_at_offset(
        utc.unix_timestamp() - i64::from(offset),
        offset,
    ))
}

/// The UTC offset after the digits: nothing or `Z` is UTC, else `+` or `-`, hours and
/// optionally `'`, minutes and `'`.
fn offset_seconds(tail: &[u8]) -> Option<i32> {
    let sign = match tail.first() {
        None | Some(b'Z') => return Some(0),
        Some(b'+') => 1,
        Some(b'-') => -1,
        Some(_) => return None,
    };
    let digits: Vec<u8> = tail[1..]
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect();
    let (hours, minutes) = match digits.as_slice() {
        [h1, h2] => (h1 * 10 + h2, 0),
        [h1, h2, m1, m2] => (h1 * 10 + h2, m1 * 10 + m2),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (i32::from(hours) * 3600 + i32::from(minutes) * 60))
}

#[cfg(test)]
mod tests {
    use super::parse_pdf_date;

    #[test]
    fn pdf_dates_read_with_their_offset() {
        let text = |d: &str| parse_pdf_date(d).map(|t| t.to_string());
        assert_eq!(
            text("D:20261123232321Z").as_deref(),
            Some("2026-11-23T23:23:21Z")
        );
        let east = parse_pdf_date("D:20261123232321+08'00'").unwrap();
        assert_eq!(east.to_string(), "2026-11-23T23:23:21+08:00");
        assert_eq!(
            east.unix_seconds(),
            parse_pdf_date("D:20261123152321Z").unwrap().unix_seconds()
        );
        assert_eq!(
            text("D:20261123232321-05'30").as_deref(),
            Some("2026-11-23T23:23:21-05:30")
        );
        assert_eq!(text("D:2026").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(text("D:20261123").as_deref(), Some("2026-11-23T00:00:00Z"));
        for bad in [
            "",
            "D:",
            "D:20261323000000Z",
            "D:2026112323232",
            "D:20261123X",
            "now",
        ] {
            assert_eq!(text(bad), None, "{bad}");
        }
    }
}
