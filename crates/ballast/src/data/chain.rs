//! Deribit option-chain snapshots (the layout of `deribit_*_options_*.csv`).
//!
//! Required columns: `instrument_name`, `underlying_price` (USD forward of that expiry),
//! `mark_price` (coin), and `timestamp` (ISO 8601 UTC). Optional: `mark_iv` (percent),
//! `interest_rate`, `open_interest`, `best_bid_price` / `best_ask_price` (coin), and Deribit's
//! own `delta`, `gamma`, `vega`, `theta`. Expiry, strike and call/put come from the instrument
//! name (08:00 UTC expiry). A malformed row becomes a [`ChainRow`] with an error naming the line;
//! the rest of the chain is still read.

use super::DataError;
use crate::instrument::{parse_deribit_name, Instrument};
use jiff::Timestamp;
use std::path::Path;

/// One option quote of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainQuote {
    /// The instrument name as quoted.
    pub name: String,
    /// The parsed instrument (always `Instrument::Option`).
    pub instrument: Instrument,
    /// Quote time.
    pub timestamp: Timestamp,
    /// Forward for the option's expiry, USD per coin (`underlying_price`).
    pub forward: f64,
    /// Mark price in coin per option on one coin (`mark_price`).
    pub mark_price: f64,
    /// Spot index, USD per coin (`index_price`), if given.
    pub index_price: Option<f64>,
    /// Deribit mark implied volatility as a fraction (`mark_iv` / 100).
    pub mark_iv: Option<f64>,
    /// Continuously compounded rate (`interest_rate`, empty → 0).
    pub rate: f64,
    pub open_interest: Option<f64>,
    /// Best bid / ask in coin.
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    /// Deribit's published Greeks (delta; vega USD per vol point; theta USD per day; gamma per USD).
    pub deribit_delta: Option<f64>,
    pub deribit_gamma: Option<f64>,
    pub deribit_vega: Option<f64>,
    pub deribit_theta: Option<f64>,
}

/// A chain row: the quote, or why the row could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainRow {
    /// 1-based line in the file.
    pub line: u64,
    pub instrument_name: String,
    pub quote: Result<ChainQuote, String>,
}

/// Read a Deribit chain CSV. File-level problems (missing file, no header, a required column
/// absent) are errors; row-level problems are kept in [`ChainRow::quote`].
pub fn read_option_chain(path: impl AsRef<Path>) -> Result<Vec<ChainRow>, DataError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|reason| DataError::Io {
        file: file.clone(),
        reason,
    })?;
    read_option_chain_str(&text, &file)
}

/// Parse chain CSV text; `file` names it in errors.
pub fn read_option_chain_str(text: &str, file: &str) -> Result<Vec<ChainRow>, DataError> {
    if text.trim().is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| DataError::Csv {
            file: file.into(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| DataError::Invalid(format!("{file}: the header has no '{name}' column")))
    };
    let (c_name, c_fwd, c_mark, c_ts) = (
        need("instrument_name")?,
        need("underlying_price")?,
        need("mark_price")?,
        need("timestamp")?,
    );
    let opt_cols = [
        "mark_iv",
        "interest_rate",
        "open_interest",
        "best_bid_price",
        "best_ask_price",
        "delta",
        "gamma",
        "vega",
        "theta",
        "index_price",
    ]
    .map(col);
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| DataError::Csv {
            file: file.into(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |c: usize| rec.get(c).unwrap_or("");
        let name = cell(c_name).to_string();
        let quote = (|| -> Result<ChainQuote, String> {
            let instrument = parse_deribit_name(&name).map_err(|e| e.to_string())?;
            if !matches!(instrument, Instrument::Option { .. }) {
                return Err(format!("{name} is not an option"));
            }
            let num = |c: usize, what: &str| -> Result<Option<f64>, String> {
                let s = cell(c);
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .map(Some)
                    .ok_or_else(|| format!("{what} '{s}' is not a finite number"))
            };
            let optional = |k: usize, what: &str| match opt_cols[k] {
                Some(c) => num(c, what),
                None => Ok(None),
            };
            let forward =
                num(c_fwd, "underlying_price")?.ok_or("missing forward (underlying_price is empty)")?;
            if forward <= 0.0 {
                return Err(format!("forward (underlying_price) {forward} must be > 0"));
            }
            let mark_price = num(c_mark, "mark_price")?.ok_or("missing mark_price")?;
            if mark_price < 0.0 {
                return Err(format!("mark_price {mark_price} is negative"));
            }
            let timestamp: Timestamp = cell(c_ts)
                .parse()
                .map_err(|_| format!("timestamp '{}' is not ISO 8601 UTC", cell(c_ts)))?;
            Ok(ChainQuote {
                name: name.clone(),
                instrument,
                timestamp,
                forward,
                mark_price,
                mark_iv: optional(0, "mark_iv")?.map(|v| v / 100.0),
                rate: optional(1, "interest_rate")?.unwrap_or(0.0),
                open_interest: optional(2, "open_interest")?,
                bid: optional(3, "best_bid_price")?,
                ask: optional(4, "best_ask_price")?,
                deribit_delta: optional(5, "delta")?,
                deribit_gamma: optional(6, "gamma")?,
                deribit_vega: optional(7, "vega")?,
                deribit_theta: optional(8, "theta")?,
                index_price: optional(9, "index_price")?.filter(|v| *v > 0.0),
            })
        })();
        rows.push(ChainRow {
            line,
            instrument_name: name,
            quote: quote.map_err(|e| format!("{file}:{line}: {e}")),
        });
    }
    if rows.is_empty() {
        return Err(DataError::NoRows { file: file.into() });
    }
    Ok(rows)
}
