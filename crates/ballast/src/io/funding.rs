//! Perpetual-swap funding rates (long format `funding_time,symbol,funding_rate[,mark_price]`,
//! as Binance publishes them): rates are per 8-hour interval, positive = longs pay shorts.

use super::csv_text::{parse, Shape};
use super::{read_text, IoError};
use crate::data::FundingRates;
use jiff::Timestamp;
use std::path::Path;

/// The coin of a perpetual symbol: `BTCUSDT` → `BTC`, `ETH-PERPETUAL` → `ETH`.
pub fn perp_coin(symbol: &str) -> &str {
    for suffix in ["-PERPETUAL", "USDT", "USDC", "USD", "BUSD"] {
        if let Some(c) = symbol.strip_suffix(suffix) {
            if !c.is_empty() {
                return c;
            }
        }
    }
    symbol
}

/// Read a funding file: per coin and UTC day, the sum of the rates settled that day.
///
/// # Errors
/// [`IoError`] naming the file, line and column of a malformed row (bad timestamp, non-finite
/// rate), or a missing column.
pub fn read_funding(path: impl AsRef<Path>) -> Result<FundingRates, IoError> {
    let path = path.as_ref();
    read_funding_str(&read_text(path)?, &path.display().to_string())
}

/// [`read_funding`] from text; `file` names it in errors.
///
/// # Errors
/// As [`read_funding`].
pub fn read_funding_str(text: &str, file: &str) -> Result<FundingRates, IoError> {
    let t = parse(text, file, Shape::Exact)?;
    let (c_ts, c_sym, c_rate) = (
        t.column("funding_time")?,
        t.column("symbol")?,
        t.column("funding_rate")?,
    );
    let mut out = FundingRates::default();
    for (line, rec) in &t.rows {
        let ts: Timestamp = rec[c_ts].parse().map_err(|_| {
            t.bad(
                *line,
                c_ts,
                format!("'{}' is not an ISO 8601 UTC timestamp", &rec[c_ts]),
            )
        })?;
        let rate: f64 = rec[c_rate]
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite())
            .ok_or_else(|| {
                t.bad(
                    *line,
                    c_rate,
                    format!("funding rate '{}' is not a number", &rec[c_rate]),
                )
            })?;
        // a rate per 8-hour interval as a fraction: exchanges cap it far below 100 %
        if rate.abs() > 1.0 {
            return Err(t.bad(
                *line,
                c_rate,
                format!(
                    "funding rate {} is not a fraction per interval (|rate| ≤ 1, e.g. 0.0001 for 0.01 %)",
                    &rec[c_rate]
                ),
            ));
        }
        let day = ts.to_zoned(jiff::tz::TimeZone::UTC).date();
        *out.daily
            .entry(perp_coin(&rec[c_sym]).to_string())
            .or_default()
            .entry(day)
            .or_insert(0.0) += rate;
    }
    Ok(out)
}
