//! Deribit instrument names: `BTC-PERPETUAL`, `ETH-28MAR25` (future), `BTC-27DEC24-60000-C`
//! (option), also `BTC_USDC-PERPETUAL` and `SOL_USDC-...` linear contracts.

use super::{Instrument, InstrumentError, Margining, OptionKind, Settlement};
use jiff::civil::Date;
use jiff::Timestamp;

/// Deribit's options and futures expire at 08:00 UTC.
pub const DERIBIT_EXPIRY_HOUR_UTC: i8 = 8;

fn bad(name: &str, reason: impl Into<String>) -> InstrumentError {
    InstrumentError::BadName {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// Parse `27DEC24` / `5MAY26` into the expiry instant (08:00 UTC). Works on characters, so
/// any text (multi-byte characters included) gets an error, never a panic.
fn parse_expiry(name: &str, s: &str) -> Result<Timestamp, InstrumentError> {
    let not_expiry = || bad(name, format!("'{s}' is not an expiry like 27DEC24"));
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    // day digits, three letters, two year digits: all ASCII, so byte offsets are safe below
    if !(1..=2).contains(&digits) || !s.is_ascii() || s.len() != digits + 5 {
        return Err(not_expiry());
    }
    let day: i8 = s[..digits].parse().map_err(|_| bad(name, "bad day"))?;
    let mon = &s[digits..digits + 3];
    let month = match mon {
        "JAN" => 1,
        "FEB" => 2,
        "MAR" => 3,
        "APR" => 4,
        "MAY" => 5,
        "JUN" => 6,
        "JUL" => 7,
        "AUG" => 8,
        "SEP" => 9,
        "OCT" => 10,
        "NOV" => 11,
        "DEC" => 12,
        _ => return Err(bad(name, format!("'{mon}' is not a month"))),
    };
    let yy: i16 = s[digits + 3..]
        .parse()
        .map_err(|_| bad(name, format!("'{}' is not a year", &s[digits + 3..])))?;
    let date =
        Date::new(2000 + yy, month, day).map_err(|_| bad(name, format!("{s} is not a calendar date")))?;
    jiff::tz::Offset::UTC
        .to_timestamp(date.at(DERIBIT_EXPIRY_HOUR_UTC, 0, 0, 0))
        .map_err(|_| bad(name, "expiry out of range"))
}

/// Parse a Deribit instrument name.
///
/// BTC/ETH contracts are inverse (coin-margined, coin-settled); `COIN_USDC-...` /
/// `COIN_USDT-...` are linear (USD-settled).
///
/// # Errors
/// [`InstrumentError::BadName`] explaining which part is malformed.
pub fn parse_deribit_name(name: &str) -> Result<Instrument, InstrumentError> {
    let parts: Vec<&str> = name.trim().split('-').collect();
    let (coin_part, rest) = parts.split_first().ok_or_else(|| bad(name, "empty"))?;
    if coin_part.is_empty() || !coin_part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad(name, "missing or malformed currency"));
    }
    let (coin, linear) = match coin_part.split_once('_') {
        Some((c, "USDC" | "USDT")) => (c.to_string(), true),
        Some((_, q)) => return Err(bad(name, format!("unknown quote currency '{q}'"))),
        None => (coin_part.to_string(), false),
    };
    let margining = if linear {
        Margining::Linear
    } else {
        Margining::Inverse
    };
    match rest {
        ["PERPETUAL"] => Ok(Instrument::Perpetual { coin, margining }),
        [exp] => Ok(Instrument::Future {
            coin,
            expiry: parse_expiry(name, exp)?,
            margining,
        }),
        [exp, strike, cp] => {
            let expiry = parse_expiry(name, exp)?;
            // Deribit writes decimal strikes with 'd' (e.g. XRP_USDC-...-0d55-C)
            let strike: f64 = strike
                .replace('d', ".")
                .parse()
                .ok()
                .filter(|k: &f64| k.is_finite() && *k > 0.0)
                .ok_or_else(|| bad(name, format!("strike '{strike}' is not a positive number")))?;
            let kind = match *cp {
                "C" => OptionKind::Call,
                "P" => OptionKind::Put,
                _ => return Err(bad(name, format!("'{cp}' is neither C nor P"))),
            };
            Ok(Instrument::Option {
                coin,
                expiry,
                strike,
                kind,
                settlement: if linear { Settlement::Usd } else { Settlement::Coin },
            })
        }
        [] => Err(bad(name, "nothing after the currency")),
        _ => Err(bad(name, "too many '-' separated parts")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_kinds() {
        assert_eq!(
            parse_deribit_name("BTC-PERPETUAL").unwrap(),
            Instrument::Perpetual {
                coin: "BTC".into(),
                margining: Margining::Inverse
            }
        );
        let f = parse_deribit_name("ETH-28MAR25").unwrap();
        assert_eq!(f.expiry().unwrap().to_string(), "2025-03-28T08:00:00Z");
        match parse_deribit_name("BTC-5MAY26-60000-P").unwrap() {
            Instrument::Option {
                coin,
                expiry,
                strike,
                kind,
                settlement,
            } => {
                assert_eq!(coin, "BTC");
                assert_eq!(expiry.to_string(), "2026-05-05T08:00:00Z");
                assert_eq!(strike, 60000.0);
                assert_eq!(kind, OptionKind::Put);
                assert_eq!(settlement, Settlement::Coin);
            }
            other => panic!("{other:?}"),
        }
        match parse_deribit_name("XRP_USDC-27JUN25-0d55-C").unwrap() {
            Instrument::Option {
                strike, settlement, ..
            } => {
                assert_eq!(strike, 0.55);
                assert_eq!(settlement, Settlement::Usd);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_malformed_names() {
        for bad in [
            "",
            "BTC",
            "BTC-",
            "BTC-32DEC24",
            "BTC-27DEX24",
            "BTC-27DEC24-0-C",
            "BTC-27DEC24-abc-C",
            "BTC-27DEC24-60000-X",
            "BTC-27DEC24-60000-C-1",
            "BTC_EUR-PERPETUAL",
            // multi-byte characters where the expiry's letters are (found by fuzzing)
            "BTC-5AS\u{fffd}-60000-P",
            "BTC-5\u{e9}AY26",
            "ETH-\u{1f600}",
        ] {
            assert!(parse_deribit_name(bad).is_err(), "{bad}");
        }
    }
}
