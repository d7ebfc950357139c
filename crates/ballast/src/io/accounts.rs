//! Many accounts' positions and equity (`ballast accounts`): `account,instrument,size` and
//! `account,equity_btc,equity_eth` (any `equity_<currency>` columns, coins).

use super::csv_text::{parse, Shape};
use super::{read_text, IoError};
use std::collections::BTreeMap;
use std::path::Path;

/// Positions of many accounts as columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountRows {
    /// Account of each row.
    pub account: Vec<i64>,
    /// Deribit instrument name of each row.
    pub instrument: Vec<String>,
    /// Size (options in coins; inverse futures and perpetuals in USD).
    pub size: Vec<f64>,
}

fn account_id(t: &super::csv_text::CsvTable, line: u64, col: usize, v: &str) -> Result<i64, IoError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| t.bad(line, col, format!("account '{v}' is not an integer id")))
}

/// Read a positions file: header `account,instrument,size`, one row per position.
///
/// # Errors
/// [`IoError`] naming the file, line and column of a missing column, an account that is not
/// an integer, an empty instrument, or a size that is not a finite number.
pub fn read_account_positions(path: impl AsRef<Path>) -> Result<AccountRows, IoError> {
    let path = path.as_ref();
    let t = parse(&read_text(path)?, &path.display().to_string(), Shape::Exact)?;
    let (ca, ci, cs) = (t.column("account")?, t.column("instrument")?, t.column("size")?);
    let mut out = AccountRows::default();
    for (line, rec) in &t.rows {
        out.account.push(account_id(&t, *line, ca, &rec[ca])?);
        let name = rec[ci].trim();
        if name.is_empty() {
            return Err(t.bad(*line, ci, "the instrument is empty".into()));
        }
        out.instrument.push(name.to_string());
        let size: f64 = rec[cs]
            .trim()
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| t.bad(*line, cs, format!("size '{}' is not a number", &rec[cs])))?;
        out.size.push(size);
    }
    Ok(out)
}

/// Read an equity file: header `account` and one `equity_<currency>` column per settlement
/// currency (`equity_btc`, `equity_eth`: coins), one row per account.
///
/// # Errors
/// [`IoError`]: no `account` or no `equity_…` column, an account given twice, an equity that is
/// not a finite number ≥ 0.
pub fn read_account_equity(path: impl AsRef<Path>) -> Result<BTreeMap<i64, BTreeMap<String, f64>>, IoError> {
    let path = path.as_ref();
    let t = parse(&read_text(path)?, &path.display().to_string(), Shape::Exact)?;
    let ca = t.column("account")?;
    let cur: Vec<(usize, String)> = t
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.strip_prefix("equity_").map(|c| (i, c.to_lowercase())))
        .collect();
    if cur.is_empty() {
        return Err(t.bad(
            1,
            ca,
            "no equity_<currency> column (e.g. equity_btc, equity_eth)".into(),
        ));
    }
    let mut out = BTreeMap::new();
    for (line, rec) in &t.rows {
        let a = account_id(&t, *line, ca, &rec[ca])?;
        let mut eq = BTreeMap::new();
        for (i, c) in &cur {
            let v: f64 = rec[*i]
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| t.bad(*line, *i, format!("equity '{}' is not a number ≥ 0", &rec[*i])))?;
            eq.insert(c.clone(), v);
        }
        if out.insert(a, eq).is_some() {
            return Err(t.bad(*line, ca, format!("account {a} is given twice")));
        }
    }
    Ok(out)
}
