//! Coins one file at a time: a folder of one-coin OHLCV files as one panel, and a coin's name
//! from its file name or pair symbol.

use super::prices::{build, read_panel, Quantity};
use super::IoError;
use crate::data::PricePanel;
use jiff::civil::Date;
use std::path::Path;

/// A coin's name from its file, in capitals: `BTC.csv`, `BTC-USD.csv`,
/// `Binance_BTCUSDT_d.csv`, `btc-usd-max.csv` (CoinGecko) → `BTC`.
pub(crate) fn coin_from_file(file: &str) -> String {
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
        .to_uppercase();
    let mut s = stem.as_str();
    for p in ["BINANCE_", "COINBASE_", "BITSTAMP_", "KRAKEN_"] {
        s = s.strip_prefix(p).unwrap_or(s);
    }
    for suffix in ["_D", "_1D", "_DAILY", "-DAILY", "-MAX"] {
        s = s.strip_suffix(suffix).unwrap_or(s);
    }
    coin_name(s)
}

/// A coin's name from a pair symbol: `BTC/USDT`, `BTC-USD`, `BTCUSDT` → `BTC`; a bare name
/// (`TUSD`, `USDT`) is kept.
pub(crate) fn coin_name(symbol: &str) -> String {
    for quote in ["-USDT", "_USDT", "/USDT", "-USD", "_USD", "/USD", "USDT"] {
        if let Some(c) = symbol.strip_suffix(quote).filter(|c| c.len() >= 2) {
            return c.to_string();
        }
    }
    symbol.to_string()
}

/// One panel from a folder of one-coin files (`*.csv`, in name order), aligned by date.
pub(super) fn read_folder(dir: &Path, q: Quantity) -> Result<PricePanel, IoError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|reason| IoError::Read {
        file: shown.clone(),
        reason,
    })?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(IoError::Format {
            file: shown,
            message: "the folder holds no .csv file (expected one OHLCV file per coin)".into(),
        });
    }
    let mut columns: Vec<(String, PricePanel)> = Vec::with_capacity(files.len());
    for f in &files {
        let p = read_panel(f, q)?;
        if p.assets().len() != 1 {
            return Err(IoError::Format {
                file: f.display().to_string(),
                message: format!(
                    "a price folder holds one coin per file, this file has {} columns of prices",
                    p.assets().len()
                ),
            });
        }
        if let Some((other, _)) = columns.iter().find(|(_, c)| c.assets() == p.assets()) {
            return Err(IoError::DuplicateAsset {
                file: format!("{shown} ({other} and {})", f.display()),
                asset: p.assets()[0].clone(),
            });
        }
        columns.push((f.display().to_string(), p));
    }
    let mut dates: Vec<Date> = columns.iter().flat_map(|(_, p)| p.dates().to_vec()).collect();
    dates.sort_unstable();
    dates.dedup();
    let n = columns.len();
    let mut values = vec![f64::NAN; dates.len() * n];
    for (k, (_, p)) in columns.iter().enumerate() {
        for (r, d) in p.dates().iter().enumerate() {
            if let (Ok(row), Some(v)) = (dates.binary_search(d), p.price(r, 0)) {
                values[row * n + k] = v;
            }
        }
    }
    let assets = columns.iter().map(|(_, p)| p.assets()[0].clone()).collect();
    build(q, dates, assets, values, &shown)
}
