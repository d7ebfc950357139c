//! Price (and volume) panels from CSV files and folders. The layout is recognised from the
//! header:
//!
//! | layout | header | example |
//! |---|---|---|
//! | wide | a date column, then one column per coin | `date,BTC,ETH,SOL` |
//! | long | date, a name column (`asset`, `symbol`, `coin`, `ticker`) and `close` or `price`, in any order | `date,symbol,price` |
//! | one coin's bars (OHLCV) | a date column and `close` with `open`/`high`/`low`/`volume` (Yahoo, Binance, CryptoDataDownload exports), or `price` with `market_cap`/`total_volume` (CoinGecko) | `Date,Open,High,Low,Close,Adj Close,Volume`, `snapped_at,price,market_cap,total_volume` |
//! | a folder of OHLCV files | one file per coin, named after it | `crypto_daily_ohlcv/BTC.csv` |
//!
//! A single coin's bars are named after the file, in capitals (`BTC-USD.csv`,
//! `Binance_BTCUSDT_d.csv`, `btc-usd-max.csv` → `BTC`) and read at their close (or the [`PriceField`] asked for). Delimiters `,`, `;` and tab
//! are recognised; so are a banner line above the header (CryptoDataDownload) and files sorted
//! newest first (the usual export order), which are turned around. Dates are `YYYY-MM-DD` or
//! midnight-UTC timestamps (see [`super::dates`]).
//!
//! An empty cell or Yahoo's `null` means "no price" (not listed yet, delisted, a gap in the
//! source). Everything else must be a finite number > 0: `NaN`, `inf`, `abc`, `0`, negative
//! prices and decimal commas are errors naming the file, line and column.

use super::csv_text::{parse, CsvTable, Shape};
use super::dates::parse_day;
use super::{read_text, IoError};
use crate::data::{PricePanel, ReturnKind, Returns};
use jiff::civil::Date;
use std::collections::HashMap;
use std::path::Path;

/// Which price of a bar to read from OHLCV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PriceField {
    /// The close (the default; the last trade of the UTC day for daily bars).
    #[default]
    Close,
    /// The open.
    Open,
    /// The high.
    High,
    /// The low.
    Low,
    /// Yahoo's adjusted close (equal to the close for coins).
    AdjClose,
}

impl PriceField {
    fn headers(self) -> &'static [&'static str] {
        match self {
            Self::Close => &["close", "price", "close_price"],
            Self::Open => &["open"],
            Self::High => &["high"],
            Self::Low => &["low"],
            Self::AdjClose => &["adj close", "adj_close", "adjclose", "adjusted close"],
        }
    }
}

/// What the cells hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Quantity {
    /// A price: finite, > 0.
    Price(PriceField),
    /// A traded amount in USD: finite, ≥ 0 (from OHLCV files: the quote volume, or volume × close).
    UsdVolume,
}

const DATE_HEADERS: &[&str] = &[
    "date",
    "timestamp",
    "time",
    "datetime",
    "day",
    "open_time",
    "open time",
    "snapped_at",
];
const NAME_HEADERS: &[&str] = &["asset", "symbol", "coin", "ticker"];
/// Prices outside [`MIN_PRICE`, `MAX_PRICE`] (USD per coin) are refused: far beyond any
/// traded coin, and enough to keep every return and value finite.
pub(super) const MIN_PRICE: f64 = 1e-12;
pub(super) const MAX_PRICE: f64 = 1e12;
/// The largest daily traded amount read, USD.
const MAX_VOLUME: f64 = 1e15;

/// Columns that mark one coin's bars: OHLCV, or CoinGecko's `price,market_cap,total_volume`.
const BAR_HEADERS: &[&str] = &["open", "high", "low", "volume", "market_cap", "total_volume"];
const QUOTE_VOLUME_HEADERS: &[&str] = &[
    "volume_quote",
    "quote_volume",
    "volume usdt",
    "volume usd",
    "volume_usd",
    "total_volume",
];

/// Load a price file, or a folder of one-coin OHLCV files, at the close.
///
/// # Errors
/// [`IoError`] naming the file, line and column of what cannot be read; see the module docs
/// for what is accepted.
pub fn read_prices(path: impl AsRef<Path>) -> Result<PricePanel, IoError> {
    read_prices_with(path, PriceField::Close)
}

/// [`read_prices`] reading `field` from OHLCV files (wide and long files have one price per cell).
///
/// # Errors
/// As [`read_prices`].
pub fn read_prices_with(path: impl AsRef<Path>, field: PriceField) -> Result<PricePanel, IoError> {
    read_panel(path.as_ref(), Quantity::Price(field))
}

/// Daily traded USD volume per coin: from a folder of OHLCV files (or one file), the quote
/// volume column (`volume_quote`, Binance's `quote_volume`, CryptoDataDownload's `Volume USDT`),
/// or volume × close where there is none; or a wide/long CSV of volumes. Zero is a valid volume.
///
/// # Errors
/// As [`read_prices`]; negative volumes are errors.
pub fn read_volumes(path: impl AsRef<Path>) -> Result<PricePanel, IoError> {
    read_panel(path.as_ref(), Quantity::UsdVolume)
}

pub(super) fn read_panel(path: &Path, q: Quantity) -> Result<PricePanel, IoError> {
    if path.is_dir() {
        return super::folder::read_folder(path, q);
    }
    let file = path.display().to_string();
    reject_binary(path, &file)?;
    parse_panel(&read_text(path)?, &file, q)
}

/// Parse price CSV text; `file` names the source in errors (and names a single coin's bars).
///
/// # Errors
/// As [`read_prices`].
pub fn read_prices_str(text: &str, file: &str) -> Result<PricePanel, IoError> {
    parse_panel(text, file, Quantity::Price(PriceField::Close))
}

/// Load a wide CSV of returns (`date,A,B,...`, every cell a finite number), e.g. the peer
/// reference `returns.csv`. `periods_per_year` is normally 365.
///
/// # Errors
/// As [`read_prices`]; an empty cell is an error (returns have no gaps).
pub fn read_wide_returns(
    path: impl AsRef<Path>,
    kind: ReturnKind,
    periods_per_year: f64,
) -> Result<Returns, IoError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let t = parse(&read_text(path)?, &file, Shape::Exact)?;
    let wide = read_wide(&t, Cell::Return)?;
    let (n_t, n) = (wide.dates.len(), wide.assets.len());
    let mut col_major = vec![0.0; n_t * n];
    for r in 0..n_t {
        for c in 0..n {
            col_major[c * n_t + r] = wide.values[r * n + c];
        }
    }
    Returns::new(wide.dates, wide.assets, col_major, kind, periods_per_year).map_err(|e| IoError::Format {
        file,
        message: e.to_string(),
    })
}

fn reject_binary(path: &Path, file: &str) -> Result<(), IoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let hint = match ext.as_str() {
        "xlsx" | "xls" | "ods" => "a spreadsheet: save it as CSV (comma-separated, UTF-8)",
        "json" => "JSON: Ballast reads prices from CSV files",
        "parquet" => "Parquet: Ballast reads prices from CSV files",
        _ => return Ok(()),
    };
    Err(IoError::Format {
        file: file.into(),
        message: format!("this is {hint}"),
    })
}

#[derive(Clone, Copy)]
enum Cell {
    Price,
    Volume,
    Return,
}

impl Quantity {
    fn cell(self) -> Cell {
        match self {
            Quantity::Price(_) => Cell::Price,
            Quantity::UsdVolume => Cell::Volume,
        }
    }
}

/// The recognised layout of a table.
enum Layout {
    Wide,
    Long { date: usize, name: usize, value: usize },
    Bars { date: usize, value: BarValue },
}

/// Where a bar's value comes from.
#[derive(Clone, Copy)]
enum BarValue {
    Column(usize),
    /// volume × close
    Product(usize, usize),
}

fn layout(t: &CsvTable, q: Quantity) -> Result<Layout, IoError> {
    let fmt = |message: String| IoError::Format {
        file: t.file.clone(),
        message,
    };
    let date = t.find(DATE_HEADERS);
    let name = t.find(NAME_HEADERS);
    let closes = t
        .find(PriceField::Close.headers())
        .or_else(|| t.find(PriceField::AdjClose.headers()));
    let bars = t.find(BAR_HEADERS).is_some() || (t.header.len() == 2 && closes.is_some());
    let value = match q {
        Quantity::Price(f) => t.find(f.headers()),
        Quantity::UsdVolume if name.is_none() && bars => t.find(QUOTE_VOLUME_HEADERS),
        Quantity::UsdVolume => t.find(&["volume", "volume_usd", "price", "close"]),
    };
    match (name, date) {
        (Some(n), Some(d)) => {
            let v = value.ok_or_else(|| {
                fmt(format!(
                    "a long file (date, {}, value) needs a {} column; the header is: {}",
                    t.header[n],
                    match q {
                        Quantity::Price(f) => format!("'{}'", f.headers()[0]),
                        Quantity::UsdVolume => "'volume'".into(),
                    },
                    t.header.join(",")
                ))
            })?;
            return Ok(Layout::Long {
                date: d,
                name: n,
                value: v,
            });
        }
        (Some(_), None) => {
            return Err(fmt(format!(
                "a long file needs a 'date' column; the header is: {}",
                t.header.join(",")
            )))
        }
        _ => {}
    }
    if bars {
        let d = date.ok_or_else(|| fmt("OHLCV bars need a 'date' (or 'timestamp') column".into()))?;
        let value = match (q, value) {
            (_, Some(v)) => BarValue::Column(v),
            (Quantity::UsdVolume, None) => match (t.find(&["volume"]), closes) {
                (Some(v), Some(c)) => BarValue::Product(v, c),
                _ => {
                    return Err(fmt(
                        "OHLCV bars need a quote volume, or volume and close, for USD volumes".into(),
                    ))
                }
            },
            (Quantity::Price(f), None) => {
                return Err(fmt(format!(
                    "these OHLCV bars have no '{}' column; the header is: {}",
                    f.headers()[0],
                    t.header.join(",")
                )))
            }
        };
        return Ok(Layout::Bars { date: d, value });
    }
    if t.header.len() < 2 {
        return Err(fmt(
            "the header needs a date column and at least one asset column (e.g. date,BTC,ETH)".into(),
        ));
    }
    if let Quantity::Price(f) = q {
        if f != PriceField::Close {
            return Err(fmt(format!(
                "a price field ({}) applies to OHLCV bars; this file has one price per cell (columns {})",
                crate::names::variant_name(&f),
                t.header.join(",")
            )));
        }
    }
    Ok(Layout::Wide)
}

fn parse_panel(text: &str, file: &str, q: Quantity) -> Result<PricePanel, IoError> {
    let t = parse(text, file, Shape::Exact)?;
    let wide = match layout(&t, q)? {
        Layout::Wide => read_wide(&t, q.cell())?,
        Layout::Long { date, name, value } => read_long(&t, date, name, value, q.cell())?,
        Layout::Bars { date, value } => {
            read_bars(&t, date, value, q.cell(), &super::folder::coin_from_file(file))?
        }
    };
    build(q, wide.dates, wide.assets, wide.values, file)
}

pub(super) fn build(
    q: Quantity,
    dates: Vec<Date>,
    assets: Vec<String>,
    values: Vec<f64>,
    file: &str,
) -> Result<PricePanel, IoError> {
    match q {
        Quantity::Price(_) => PricePanel::new(dates, assets, values),
        Quantity::UsdVolume => PricePanel::new_volumes(dates, assets, values),
    }
    .map_err(|e| IoError::Format {
        file: file.into(),
        message: e.to_string(),
    })
}

/// Rows of one table, in file order: (line, date).
fn order_rows(t: &CsvTable, dated: &[(u64, Date)]) -> Result<bool, IoError> {
    // newest first when the first two dates go down; then every step must go down
    let descending = dated.len() >= 2 && dated[1].1 < dated[0].1;
    for w in dated.windows(2) {
        let ((_, prev), (line, d)) = (w[0], w[1]);
        if d == prev {
            return Err(IoError::DuplicateDate {
                file: t.file.clone(),
                line,
                date: d,
            });
        }
        if (d < prev) != descending {
            return Err(IoError::Unsorted {
                file: t.file.clone(),
                line,
                date: d,
                previous: prev,
            });
        }
    }
    Ok(descending)
}

struct Wide {
    dates: Vec<Date>,
    assets: Vec<String>,
    /// Row-major dates × assets, NaN = missing.
    values: Vec<f64>,
}

fn date_at(t: &CsvTable, line: u64, rec: &csv::StringRecord, col: usize) -> Result<Date, IoError> {
    parse_day(rec.get(col).unwrap_or("")).map_err(|m| t.bad(line, col, m))
}

fn read_wide(t: &CsvTable, cell: Cell) -> Result<Wide, IoError> {
    let assets: Vec<String> = t.header[1..].to_vec();
    let mut seen = std::collections::HashSet::new();
    for (k, a) in assets.iter().enumerate() {
        if a.is_empty() {
            return Err(t.bad(1, k + 1, "empty asset name in the header".into()));
        }
        if !seen.insert(a) {
            return Err(IoError::DuplicateAsset {
                file: t.file.clone(),
                asset: a.clone(),
            });
        }
    }
    let n = assets.len();
    let mut dated = Vec::with_capacity(t.rows.len());
    let mut values = Vec::with_capacity(t.rows.len() * n);
    for (line, rec) in &t.rows {
        dated.push((*line, date_at(t, *line, rec, 0)?));
        for (c, s) in rec.iter().skip(1).enumerate() {
            values.push(parse_cell(t, s, cell, &assets[c], *line, c + 1)?.unwrap_or(f64::NAN));
        }
    }
    let descending = order_rows(t, &dated)?;
    let mut dates: Vec<Date> = dated.into_iter().map(|(_, d)| d).collect();
    if descending {
        dates.reverse();
        let rows: Vec<&[f64]> = values.chunks(n).rev().collect();
        values = rows.concat();
    }
    Ok(Wide {
        dates,
        assets,
        values,
    })
}

fn read_bars(t: &CsvTable, date: usize, value: BarValue, cell: Cell, coin: &str) -> Result<Wide, IoError> {
    let mut dated = Vec::with_capacity(t.rows.len());
    let mut values = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        dated.push((*line, date_at(t, *line, rec, date)?));
        let v = match value {
            BarValue::Column(c) => parse_cell(t, rec.get(c).unwrap_or(""), cell, coin, *line, c)?,
            BarValue::Product(v, c) => {
                let vol = parse_cell(t, rec.get(v).unwrap_or(""), Cell::Volume, coin, *line, v)?;
                let px = parse_cell(t, rec.get(c).unwrap_or(""), Cell::Price, coin, *line, c)?;
                vol.zip(px).map(|(a, b)| a * b)
            }
        };
        values.push(v.unwrap_or(f64::NAN));
    }
    if order_rows(t, &dated)? {
        dated.reverse();
        values.reverse();
    }
    Ok(Wide {
        dates: dated.into_iter().map(|(_, d)| d).collect(),
        assets: vec![coin.to_string()],
        values,
    })
}

fn read_long(t: &CsvTable, date: usize, name: usize, value: usize, cell: Cell) -> Result<Wide, IoError> {
    let mut assets: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut obs: Vec<(Date, usize, f64, u64)> = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let d = date_at(t, *line, rec, date)?;
        let raw = rec.get(name).unwrap_or("");
        if raw.is_empty() {
            return Err(t.bad(*line, name, "empty asset name".into()));
        }
        let a = super::folder::coin_name(raw);
        let k = *index.entry(a.clone()).or_insert_with(|| {
            assets.push(a.clone());
            assets.len() - 1
        });
        if let Some(v) = parse_cell(t, rec.get(value).unwrap_or(""), cell, &a, *line, value)? {
            obs.push((d, k, v, *line));
        }
    }
    // rows may come in any order; one value per (date, asset)
    obs.sort_by_key(|o| (o.1, o.0));
    for w in obs.windows(2) {
        if w[0].1 == w[1].1 && w[0].0 == w[1].0 {
            return Err(IoError::Format {
                file: t.file.clone(),
                message: format!(
                    "lines {} and {}: two prices of {} on {}; keep one row per asset and date",
                    w[0].3.min(w[1].3),
                    w[0].3.max(w[1].3),
                    assets[w[0].1],
                    w[0].0
                ),
            });
        }
    }
    let mut dates: Vec<Date> = obs.iter().map(|o| o.0).collect();
    dates.sort_unstable();
    dates.dedup();
    let n = assets.len();
    let mut values = vec![f64::NAN; dates.len() * n];
    for (d, k, v, _) in obs {
        if let Ok(r) = dates.binary_search(&d) {
            values[r * n + k] = v;
        }
    }
    Ok(Wide {
        dates,
        assets,
        values,
    })
}

/// Parse one cell: `Ok(None)` for empty or `null`, an error naming the cell for anything else
/// that is not a valid value.
fn parse_cell(
    t: &CsvTable,
    s: &str,
    cell: Cell,
    asset: &str,
    line: u64,
    column: usize,
) -> Result<Option<f64>, IoError> {
    if s.is_empty() || s.eq_ignore_ascii_case("null") {
        return match cell {
            Cell::Return => Err(t.bad(line, column, format!("{asset}: empty return"))),
            _ => Ok(None),
        };
    }
    let v: f64 = s.parse().map_err(|_| {
        let hint = if s.contains(',') && s.replace(',', "").parse::<f64>().is_ok() {
            " (a decimal or thousands comma: write numbers with '.' as the decimal point and no separators)"
        } else {
            ""
        };
        t.bad(line, column, format!("{asset}: '{s}' is not a number{hint}"))
    })?;
    if !v.is_finite() {
        return Err(t.bad(
            line,
            column,
            format!("{asset}: '{s}' is not a finite number (leave the cell empty for 'no price')"),
        ));
    }
    match cell {
        Cell::Price if v <= 0.0 => Err(t.bad(
            line,
            column,
            format!("{asset}: price {s} is not positive (leave the cell empty for 'no price')"),
        )),
        Cell::Price if !(MIN_PRICE..=MAX_PRICE).contains(&v) => Err(t.bad(
            line,
            column,
            format!("{asset}: price {s} is outside the range Ballast reads (1e-12 to 1e12 USD per coin)"),
        )),
        Cell::Volume if v < 0.0 => Err(t.bad(line, column, format!("{asset}: volume {s} is negative"))),
        Cell::Volume if v > MAX_VOLUME => Err(t.bad(
            line,
            column,
            format!("{asset}: volume {s} is larger than any market's (at most 1e15 USD a day)"),
        )),
        _ => Ok(Some(v)),
    }
}
