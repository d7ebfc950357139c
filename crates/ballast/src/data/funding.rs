//! Perpetual-swap funding rates (long format `funding_time,symbol,funding_rate[,mark_price]`,
//! as Binance publishes them): rates are per 8-hour interval, positive = longs pay shorts.

use super::csv_table::CsvTable;
use super::DataError;
use jiff::civil::Date;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::path::Path;

/// Funding per coin and UTC day: the sum of the rates settled that day (three 8-hourly
/// settlements at 00:00, 08:00 and 16:00 UTC on Binance), i.e. the fraction of a long
/// position's notional paid over the day that ends at the day's close.
#[derive(Debug, Clone, Default)]
pub struct FundingRates {
    /// Coin (the symbol without its `USDT`/`USD`/`-PERPETUAL` suffix) → day → summed rate.
    pub daily: BTreeMap<String, BTreeMap<Date, f64>>,
}

impl FundingRates {
    /// The day's summed rate for `coin`, if the file has a settlement that day.
    pub fn on(&self, coin: &str, day: Date) -> Option<f64> {
        self.daily.get(coin)?.get(&day).copied()
    }

    /// First and last day with data for `coin`.
    pub fn coverage(&self, coin: &str) -> Option<(Date, Date)> {
        let d = self.daily.get(coin)?;
        Some((*d.keys().next()?, *d.keys().next_back()?))
    }
}

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

/// Read a funding file. Errors name the file, line and column of a malformed row (bad
/// timestamp, non-finite rate).
pub fn read_funding(path: impl AsRef<Path>) -> Result<FundingRates, DataError> {
    let mut t = CsvTable::open(path.as_ref())?;
    let (c_ts, c_sym, c_rate) = (
        t.column("funding_time")?,
        t.column("symbol")?,
        t.column("funding_rate")?,
    );
    let mut out = FundingRates::default();
    let rows: Vec<_> = t.rows().collect();
    for row in rows {
        let (line, rec) = row?;
        let ts: Timestamp = rec[c_ts].parse().map_err(|_| {
            t.bad(
                line,
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
                    line,
                    c_rate,
                    format!("funding rate '{}' is not a number", &rec[c_rate]),
                )
            })?;
        let day = ts.to_zoned(jiff::tz::TimeZone::UTC).date();
        *out.daily
            .entry(perp_coin(&rec[c_sym]).to_string())
            .or_default()
            .entry(day)
            .or_insert(0.0) += rate;
    }
    if out.daily.is_empty() {
        return Err(DataError::NoRows { file: t.file });
    }
    Ok(out)
}
