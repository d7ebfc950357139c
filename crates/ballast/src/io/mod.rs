//! Reading files: price panels (wide, long, OHLCV files and folders), option chains, futures
//! prices, funding rates, and the TOML files people write (portfolio, strategy, constraints).
//! This is the only module that touches the file system; everything below it computes on
//! values in memory.
//!
//! Errors name the file and, where there is one, the line and column, and say how to fix the
//! input ([`IoError`]).

mod accounts;
mod brackets;
mod chain;
mod config;
mod csv_text;
mod dates;
mod folder;
mod funding;
mod futures;
mod market_caps;
mod pm_params;
mod prices;

pub use accounts::{read_account_equity, read_account_positions, AccountRows};
pub use brackets::read_leverage_brackets;
pub use chain::{read_option_chain, read_option_chain_str};
pub use config::{
    load_account_engine, load_backtest, load_backtest_str, load_book, load_book_data, load_margin_inputs,
    parse_portfolio, parse_toml, read_constraints, read_portfolio, read_portfolio_prices, read_toml,
    BookData, MarginInputs,
};
pub use funding::{perp_coin, read_funding, read_funding_str};
pub use futures::{read_futures_prices, read_futures_prices_str};
pub use market_caps::{read_market_caps, read_market_caps_str};
pub use pm_params::read_pm_params;
pub use prices::{
    read_prices, read_prices_str, read_prices_with, read_volumes, read_wide_returns, PriceField,
};

use jiff::civil::Date;
use std::path::Path;

/// # Errors
/// From reading files. Lines and columns are 1-based.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A data file named by a setting of a TOML file could not be read or parsed.
    #[error("{config}: {key}: {error}{}", if matches!(**error, IoError::Read { .. }) { " (a relative path is read from the folder of the file that names it)" } else { "" })]
    NamedBy {
        /// The TOML file.
        config: String,
        /// The setting that names the data file (`[data] prices`, ...).
        key: String,
        /// The data file's error.
        error: Box<IoError>,
    },
    /// The file cannot be read (missing, not permitted, ...).
    #[error("{file}: cannot read file: {reason}")]
    Read {
        /// The file.
        file: String,
        /// The operating system's reason.
        reason: std::io::Error,
    },
    /// The file is empty.
    #[error("{file}: the file is empty (no header row)")]
    Empty {
        /// The file.
        file: String,
    },
    /// Only a header.
    #[error("{file}: no data rows after the header")]
    NoRows {
        /// The file.
        file: String,
    },
    /// A record the CSV reader cannot split.
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        file: String,
        /// Line of the record.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A cell that is not a valid value.
    #[error("{file}:{line}:{column}: {message}")]
    BadValue {
        /// The file.
        file: String,
        /// Line.
        line: u64,
        /// Column (1-based).
        column: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Dates that go neither up nor down throughout the file.
    #[error("{file}:{line}: dates must run in one direction (oldest first or newest first): {date} follows {previous}")]
    Unsorted {
        /// The file.
        file: String,
        /// Line of the out-of-order date.
        line: u64,
        /// The date on that line.
        date: Date,
        /// The date before it.
        previous: Date,
    },
    /// A date given twice (for the same asset, in long files).
    #[error("{file}:{line}: duplicate date {date}")]
    DuplicateDate {
        /// The file.
        file: String,
        /// Line of the second occurrence.
        line: u64,
        /// The date.
        date: Date,
    },
    /// Two columns (or files of a folder) for the same asset.
    #[error("{file}: duplicate asset '{asset}'")]
    DuplicateAsset {
        /// The file (or folder).
        file: String,
        /// The asset.
        asset: String,
    },
    /// A file whose layout is not one Ballast reads, or a required column missing.
    #[error("{file}: {message}")]
    Format {
        /// The file.
        file: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A TOML file that does not parse, or has an unknown key or a bad value.
    #[error("{file}: {message}")]
    Toml {
        /// The file.
        file: String,
        /// The TOML parser's message, with line and column.
        message: String,
    },
}

/// Read a whole file as text; errors name the file.
pub(crate) fn read_text(path: &Path) -> Result<String, IoError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|reason| IoError::Read {
        file: file.clone(),
        reason,
    })?;
    String::from_utf8(bytes).map_err(|e| IoError::Format {
        file,
        message: format!(
            "not UTF-8 text (invalid byte at offset {}); save the file as UTF-8",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// `path` resolved against `base` (the directory of the file that names it), unless absolute.
pub fn resolve(base: &Path, path: &str) -> std::path::PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
