//! Market capitalisations (`asset,market_cap_usd`): the weights of a market-cap Black–Litterman
//! prior and of a cap-weighted market index.

use super::csv_text::{parse, Shape};
use super::{read_text, IoError};
use std::collections::BTreeMap;
use std::path::Path;

/// Read a market-cap file: a header with `asset` and `market_cap_usd`, one row per coin.
///
/// # Errors
/// [`IoError`] naming the file, line and column of a cap that is not a positive finite number
/// of USD (below 1e16), a coin given twice, or a missing column.
pub fn read_market_caps(path: impl AsRef<Path>) -> Result<BTreeMap<String, f64>, IoError> {
    let path = path.as_ref();
    read_market_caps_str(&read_text(path)?, &path.display().to_string())
}

/// [`read_market_caps`] from text; `file` names it in errors.
///
/// # Errors
/// As [`read_market_caps`].
pub fn read_market_caps_str(text: &str, file: &str) -> Result<BTreeMap<String, f64>, IoError> {
    let t = parse(text, file, Shape::Exact)?;
    let (c_asset, c_cap) = (t.column("asset")?, t.column("market_cap_usd")?);
    let mut caps = BTreeMap::new();
    for (line, rec) in &t.rows {
        let asset = rec[c_asset].trim();
        if asset.is_empty() {
            return Err(t.bad(*line, c_asset, "the asset name is empty".into()));
        }
        let cap: f64 = rec[c_cap]
            .trim()
            .parse()
            .ok()
            .filter(|c: &f64| c.is_finite() && *c > 0.0 && *c < 1e16)
            .ok_or_else(|| {
                t.bad(
                    *line,
                    c_cap,
                    format!(
                        "market cap '{}' is not a positive number of USD below 1e16 (e.g. 1900000000000)",
                        &rec[c_cap]
                    ),
                )
            })?;
        if caps.insert(asset.to_string(), cap).is_some() {
            return Err(t.bad(*line, c_asset, format!("{asset} is given twice")));
        }
    }
    Ok(caps)
}
