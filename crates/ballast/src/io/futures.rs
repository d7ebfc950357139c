//! Deribit futures / perpetual price snapshots (layout of `deribit_futures_term_structure.csv`:
//! `timestamp,currency,instrument_name,kind,expiry,price,...`).

use super::csv_text::{parse, Shape};
use super::{read_text, IoError};
use jiff::Timestamp;
use std::collections::HashMap;
use std::path::Path;

/// Price (USD) of every instrument at its latest snapshot not after `as_of` (the latest
/// snapshot overall when `as_of` is `None`).
///
/// # Errors
/// [`IoError`] naming the file and line of a malformed row, or a missing column.
pub fn read_futures_prices(
    path: impl AsRef<Path>,
    as_of: Option<Timestamp>,
) -> Result<HashMap<String, f64>, IoError> {
    let path = path.as_ref();
    read_futures_prices_str(&read_text(path)?, &path.display().to_string(), as_of)
}

/// [`read_futures_prices`] from text; `file` names it in errors.
///
/// # Errors
/// As [`read_futures_prices`].
pub fn read_futures_prices_str(
    text: &str,
    file: &str,
    as_of: Option<Timestamp>,
) -> Result<HashMap<String, f64>, IoError> {
    let t = parse(text, file, Shape::Exact)?;
    let (c_ts, c_name, c_px) = (
        t.column("timestamp")?,
        t.column("instrument_name")?,
        t.column("price")?,
    );
    let mut best: HashMap<String, (Timestamp, f64)> = HashMap::new();
    for (line, rec) in &t.rows {
        let ts: Timestamp = rec[c_ts].parse().map_err(|_| {
            t.bad(
                *line,
                c_ts,
                format!("'{}' is not an ISO 8601 timestamp", &rec[c_ts]),
            )
        })?;
        if as_of.is_some_and(|a| ts > a) {
            continue;
        }
        let px: f64 = rec[c_px]
            .parse()
            .ok()
            .filter(|p: &f64| (super::prices::MIN_PRICE..=super::prices::MAX_PRICE).contains(p))
            .ok_or_else(|| {
                t.bad(
                    *line,
                    c_px,
                    format!(
                        "price '{}' is not a positive number of USD between 1e-12 and 1e12",
                        &rec[c_px]
                    ),
                )
            })?;
        let e = best.entry(rec[c_name].to_string()).or_insert((ts, px));
        if ts >= e.0 {
            *e = (ts, px);
        }
    }
    Ok(best.into_iter().map(|(k, (_, p))| (k, p)).collect())
}
