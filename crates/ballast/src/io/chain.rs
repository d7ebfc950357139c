//! Deribit option-chain snapshots (the layout of `deribit_*_options_*.csv`): see
//! [`crate::data::ChainQuote`] for the columns.

use super::csv_text::{parse, Shape};
use super::{read_text, IoError};
use crate::data::{ChainQuote, ChainRow};
use crate::instrument::{parse_deribit_name, Instrument};
use jiff::Timestamp;
use std::path::Path;

/// Read a Deribit chain CSV. File-level problems (missing file, no header, a required column
/// absent) are errors; row-level problems are kept in [`ChainRow::quote`], naming the line.
///
/// # Errors
/// [`IoError`] for an unreadable or empty file, or a required column missing.
pub fn read_option_chain(path: impl AsRef<Path>) -> Result<Vec<ChainRow>, IoError> {
    let path = path.as_ref();
    read_option_chain_str(&read_text(path)?, &path.display().to_string())
}

/// Optional columns.
const OPTIONAL: [&str; 10] = [
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
];

/// Parse chain CSV text; `file` names it in errors.
///
/// # Errors
/// As [`read_option_chain`].
pub fn read_option_chain_str(text: &str, file: &str) -> Result<Vec<ChainRow>, IoError> {
    let t = parse(text, file, Shape::Flexible)?;
    let (c_name, c_fwd, c_mark, c_ts) = (
        t.column("instrument_name")?,
        t.column("underlying_price")?,
        t.column("mark_price")?,
        t.column("timestamp")?,
    );
    let opt = OPTIONAL.map(|name| t.header.iter().position(|h| h == name));
    let c_index = t.header.iter().position(|h| h == "underlying_index");
    // rounding units: the most decimals any row writes
    let tick = |col: Option<usize>, scale: f64| {
        let decimals = col.map_or(0, |c| {
            t.rows
                .iter()
                .filter_map(|(_, r)| r.get(c))
                .map(|s| s.split_once('.').map_or(0, |(_, f)| f.len()))
                .max()
                .unwrap_or(0)
        });
        10f64.powi(-(decimals.min(12) as i32)) * scale
    };
    let ticks = (tick(Some(c_mark), 1.0), tick(opt[0], 0.01));
    let rows = t
        .rows
        .iter()
        .map(|(line, rec)| {
            let name = rec.get(c_name).unwrap_or("").to_string();
            let on_index = c_index.and_then(|c| rec.get(c)) == Some("index_price");
            let quote = parse_row(rec, &name, [c_fwd, c_mark, c_ts], &opt, ticks, on_index)
                .map_err(|e| format!("{file}:{line}: {e}"));
            ChainRow {
                line: *line,
                instrument_name: name,
                quote,
            }
        })
        .collect();
    Ok(rows)
}

fn parse_row(
    rec: &csv::StringRecord,
    name: &str,
    [c_fwd, c_mark, c_ts]: [usize; 3],
    opt: &[Option<usize>; 10],
    (mark_tick, iv_tick): (f64, f64),
    on_index: bool,
) -> Result<ChainQuote, String> {
    let cell = |c: usize| rec.get(c).unwrap_or("");
    let instrument = parse_deribit_name(name).map_err(|e| e.to_string())?;
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
    let optional = |k: usize| match opt[k] {
        Some(c) => num(c, OPTIONAL[k]),
        None => Ok(None),
    };
    let forward = num(c_fwd, "underlying_price")?.ok_or("missing forward (underlying_price is empty)")?;
    if forward <= 0.0 {
        return Err(format!("forward (underlying_price) {forward} must be > 0"));
    }
    let index_price = optional(9)?.filter(|v| *v > 0.0);
    let priced_on_index = on_index && index_price.is_some();
    let forward = if priced_on_index {
        index_price.unwrap_or(forward)
    } else {
        forward
    };
    let mark_price = num(c_mark, "mark_price")?.ok_or("missing mark_price")?;
    if mark_price < 0.0 {
        return Err(format!("mark_price {mark_price} is negative"));
    }
    let mark_iv = optional(0)?;
    if let Some(iv) = mark_iv {
        if !(iv > 0.0 && iv <= 1000.0) {
            return Err(format!(
                "mark_iv {} is not an implied volatility in percent (0 < mark_iv ≤ 1000, e.g. 55.3)",
                crate::message::Num(iv)
            ));
        }
    }
    let rate = optional(1)?.unwrap_or(0.0);
    if rate.abs() > 1.0 {
        return Err(format!(
            "interest_rate {} is not an annual rate (between -1 and 1, e.g. 0.05)",
            crate::message::Num(rate)
        ));
    }
    let timestamp: Timestamp = cell(c_ts)
        .parse()
        .map_err(|_| format!("timestamp '{}' is not ISO 8601 UTC", cell(c_ts)))?;
    Ok(ChainQuote {
        name: name.to_string(),
        instrument,
        timestamp,
        forward,
        priced_on_index,
        mark_price,
        mark_iv: mark_iv.map(|v| v / 100.0),
        mark_tick,
        iv_tick,
        rate,
        open_interest: optional(2)?,
        bid: optional(3)?,
        ask: optional(4)?,
        deribit_delta: optional(5)?,
        deribit_gamma: optional(6)?,
        deribit_vega: optional(7)?,
        deribit_theta: optional(8)?,
        index_price,
    })
}
