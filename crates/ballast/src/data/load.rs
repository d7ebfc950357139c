//! CSV loaders for price panels (wide and long) and return matrices.
//!
//! * **wide**: `date,BTC,ETH,...` — one row per date, one column per asset;
//! * **long**: `date,asset,close` (third column may also be named `price`) — one row per
//!   (date, asset), rows grouped any way, dates ascending within each asset.
//!
//! An empty cell means "no price" (not listed yet, delisted, or a source gap). Everything else
//! must parse as a finite number > 0: `NaN`, `inf`, `abc`, `0` and negative prices are errors
//! naming file, line and column. Dates are ISO `YYYY-MM-DD`.

use super::{DataError, PricePanel, ReturnKind, Returns};
use jiff::civil::Date;
use std::collections::HashMap;
use std::path::Path;

fn read_text(path: &Path) -> Result<String, DataError> {
    std::fs::read_to_string(path).map_err(|reason| DataError::Io {
        file: path.display().to_string(),
        reason,
    })
}

/// Load a price file (wide or long, detected from the header).
pub fn read_prices(path: impl AsRef<Path>) -> Result<PricePanel, DataError> {
    let path = path.as_ref();
    read_prices_str(&read_text(path)?, &path.display().to_string())
}

/// Parse price CSV text; `file` names the source in error messages.
pub fn read_prices_str(text: &str, file: &str) -> Result<PricePanel, DataError> {
    let (header, rows) = parse_csv(text, file)?;
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let long = lower.len() == 3 && lower[1] == "asset" && (lower[2] == "close" || lower[2] == "price");
    if long {
        read_long(rows, file)
    } else {
        let (dates, assets, values) = read_wide(&header, rows, file, CellKind::Price)?;
        PricePanel::new(dates, assets, values).map_err(|e| DataError::Invalid(format!("{file}: {e}")))
    }
}

/// Load a wide CSV of returns (`date,A,B,...`, every cell a finite number), e.g. the peer
/// reference `returns.csv`. `periods_per_year` is normally 365.
pub fn read_wide_returns(
    path: impl AsRef<Path>,
    kind: ReturnKind,
    periods_per_year: f64,
) -> Result<Returns, DataError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = read_text(path)?;
    let (header, rows) = parse_csv(&text, &file)?;
    let (dates, assets, values) = read_wide(&header, rows, &file, CellKind::Return)?;
    let (t, n) = (dates.len(), assets.len());
    let mut col_major = vec![0.0; t * n];
    for r in 0..t {
        for c in 0..n {
            col_major[c * t + r] = values[r * n + c];
        }
    }
    Returns::new(dates, assets, col_major, kind, periods_per_year)
}

type Rows = Vec<(u64, csv::StringRecord)>;

fn parse_csv(text: &str, file: &str) -> Result<(Vec<String>, Rows), DataError> {
    if text.trim().is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| DataError::Csv {
        file: file.into(),
        line: e.position().map_or(0, |p| p.line()),
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("row has {len} fields, the header has {expected_len}"),
            _ => e.to_string(),
        },
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(str::is_empty) {
            continue; // blank line
        }
        rows.push((line, rec));
    }
    if rows.is_empty() {
        return Err(DataError::NoRows { file: file.into() });
    }
    Ok((header, rows))
}

#[derive(Clone, Copy)]
enum CellKind {
    Price,
    Return,
}

fn parse_date(s: &str, file: &str, line: u64, column: usize) -> Result<Date, DataError> {
    s.parse::<Date>().map_err(|_| DataError::BadValue {
        file: file.into(),
        line,
        column,
        message: if s.len() > 10 && s.as_bytes()[10] == b'T' {
            format!("'{s}' is a timestamp; Ballast reads daily data with dates YYYY-MM-DD (intraday data is not supported yet)")
        } else {
            format!("'{s}' is not a date (expected YYYY-MM-DD)")
        },
    })
}

/// Parse one cell: `Ok(None)` for empty, an error naming the cell for anything not valid.
fn parse_cell(
    s: &str,
    kind: CellKind,
    asset: &str,
    file: &str,
    line: u64,
    column: usize,
) -> Result<Option<f64>, DataError> {
    if s.is_empty() {
        return match kind {
            CellKind::Price => Ok(None),
            CellKind::Return => Err(bad(file, line, column, format!("{asset}: empty return"))),
        };
    }
    let v: f64 = s
        .parse()
        .map_err(|_| bad(file, line, column, format!("{asset}: '{s}' is not a number")))?;
    if !v.is_finite() {
        return Err(bad(
            file,
            line,
            column,
            format!("{asset}: '{s}' is not a finite number"),
        ));
    }
    if matches!(kind, CellKind::Price) && v <= 0.0 {
        return Err(bad(
            file,
            line,
            column,
            format!("{asset}: price {s} is not positive (leave the cell empty for 'no price')"),
        ));
    }
    Ok(Some(v))
}

fn bad(file: &str, line: u64, column: usize, message: String) -> DataError {
    DataError::BadValue {
        file: file.into(),
        line,
        column,
        message,
    }
}

fn check_order(prev: Option<Date>, d: Date, file: &str, line: u64) -> Result<(), DataError> {
    match prev {
        Some(p) if d == p => Err(DataError::DuplicateDate {
            file: file.into(),
            line,
            date: d,
        }),
        Some(p) if d < p => Err(DataError::Unsorted {
            file: file.into(),
            line,
            date: d,
            previous: p,
        }),
        _ => Ok(()),
    }
}

type Wide = (Vec<Date>, Vec<String>, Vec<f64>);

fn read_wide(header: &[String], rows: Rows, file: &str, kind: CellKind) -> Result<Wide, DataError> {
    if header.len() < 2 {
        return Err(DataError::Invalid(format!(
            "{file}: the header needs a date column and at least one asset column"
        )));
    }
    let assets: Vec<String> = header[1..].to_vec();
    let mut seen = std::collections::HashSet::new();
    for (k, a) in assets.iter().enumerate() {
        if a.is_empty() {
            return Err(bad(file, 1, k + 2, "empty asset name in header".into()));
        }
        if !seen.insert(a) {
            return Err(DataError::DuplicateAsset {
                file: file.into(),
                asset: a.clone(),
            });
        }
    }
    let n = assets.len();
    let mut dates = Vec::with_capacity(rows.len());
    let mut values = Vec::with_capacity(rows.len() * n);
    for (line, rec) in rows {
        let d = parse_date(&rec[0], file, line, 1)?;
        check_order(dates.last().copied(), d, file, line)?;
        dates.push(d);
        for (c, cell) in rec.iter().skip(1).enumerate() {
            let v = parse_cell(cell, kind, &assets[c], file, line, c + 2)?;
            values.push(v.unwrap_or(f64::NAN));
        }
    }
    Ok((dates, assets, values))
}

fn read_long(rows: Rows, file: &str) -> Result<PricePanel, DataError> {
    let mut assets: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut last: Vec<Date> = Vec::new();
    let mut obs: Vec<(Date, usize, f64)> = Vec::with_capacity(rows.len());
    for (line, rec) in rows {
        let d = parse_date(&rec[0], file, line, 1)?;
        let a = &rec[1];
        if a.is_empty() {
            return Err(bad(file, line, 2, "empty asset name".into()));
        }
        let k = *index.entry(a.to_string()).or_insert_with(|| {
            assets.push(a.to_string());
            last.push(Date::MIN);
            assets.len() - 1
        });
        let prev = (last[k] != Date::MIN).then_some(last[k]);
        check_order(prev, d, file, line)?;
        last[k] = d;
        if let Some(v) = parse_cell(&rec[2], CellKind::Price, a, file, line, 3)? {
            obs.push((d, k, v));
        }
    }
    let mut dates: Vec<Date> = obs.iter().map(|o| o.0).collect();
    dates.sort_unstable();
    dates.dedup();
    let n = assets.len();
    let mut values = vec![f64::NAN; dates.len() * n];
    for (d, k, v) in obs {
        let r = dates.binary_search(&d).expect("date collected above");
        values[r * n + k] = v;
    }
    PricePanel::new(dates, assets, values).map_err(|e| DataError::Invalid(format!("{file}: {e}")))
}
