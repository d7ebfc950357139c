//! Dates of daily data: `YYYY-MM-DD`, or a timestamp at midnight UTC (`2025-03-23T00:00:00Z`,
//! `2025-03-23 00:00:00`, `2025-03-23 00:00:00 UTC`, `2025-03-23T00:00:00.000+00:00`). A time
//! other than midnight is intraday data and is refused, whatever the spelling; so is an offset
//! other than UTC.

use jiff::civil::{Date, Time};

/// Parse a date cell of a daily file. The error text says what is wrong and how to fix it.
pub(crate) fn parse_day(s: &str) -> Result<Date, String> {
    let not_a_date = || format!("'{s}' is not a date (expected YYYY-MM-DD, e.g. 2025-03-23)");
    let (day, rest) = match (s.get(..10), s.get(10..)) {
        (Some(d), Some(r)) if s.is_char_boundary(10) => (d, r),
        _ => return Err(not_a_date()),
    };
    let date: Date = day.parse().map_err(|_| {
        if s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            format!("'{s}' looks like a Unix time; write dates as YYYY-MM-DD")
        } else {
            not_a_date()
        }
    })?;
    if rest.is_empty() {
        return Ok(date);
    }
    let time = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix(' '))
        .ok_or_else(not_a_date)?;
    let (clock, zone) = split_zone(time);
    let t: Time = clock.parse().map_err(|_| not_a_date())?;
    if !matches!(
        zone,
        "" | "Z" | "z" | "UTC" | "+00:00" | "+0000" | "+00" | "-00:00"
    ) {
        return Err(format!(
            "'{s}' has the offset '{zone}'; daily data must be dated in UTC (write YYYY-MM-DD)"
        ));
    }
    if t != Time::midnight() {
        return Err(format!(
            "'{s}' is an intraday timestamp ({t}); Ballast reads daily data: one row per UTC \
             day, dated YYYY-MM-DD or at midnight UTC"
        ));
    }
    Ok(date)
}

/// Split `HH:MM:SS[.f][zone]` into the clock and the zone suffix (`Z`, ` UTC`, `+hh:mm`, ...).
fn split_zone(t: &str) -> (&str, &str) {
    let t = t.trim();
    if let Some(c) = t.strip_suffix("UTC") {
        return (c.trim_end(), "UTC");
    }
    match t
        .find(['Z', 'z', '+'])
        .or_else(|| t.get(1..).and_then(|x| x.find('-')).map(|k| k + 1))
    {
        Some(k) => (&t[..k], &t[k..]),
        None => (t, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn midnight_in_every_spelling_is_a_day() {
        for s in [
            "2025-03-23",
            "2025-03-23T00:00:00Z",
            "2025-03-23T00:00:00",
            "2025-03-23 00:00:00",
            "2025-03-23 00:00:00 UTC",
            "2025-03-23T00:00:00.000Z",
            "2025-03-23T00:00:00+00:00",
            "2025-03-23T00:00",
        ] {
            assert_eq!(parse_day(s), Ok(date(2025, 3, 23)), "{s}");
        }
    }

    #[test]
    fn intraday_offsets_and_junk_are_refused() {
        for (s, needle) in [
            ("2025-03-23 12:00:00", "intraday"),
            ("2025-03-23T12:00:00Z", "intraday"),
            ("2025-03-23T00:00:00+02:00", "UTC"),
            ("23/03/2025", "not a date"),
            ("1742688000", "Unix time"),
            ("2025-13-01", "not a date"),
            ("2025-03-2\u{e9}", "not a date"),
            ("", "not a date"),
        ] {
            let e = parse_day(s).unwrap_err();
            assert!(e.contains(needle), "{s}: {e}");
        }
    }
}
