//! Price panels, windows and returns.
//!
//! A [`PricePanel`] is dates × assets of prices with *explicit* missing values: a coin not
//! listed yet, delisted, or a day missing from the source is missing — never invented. A
//! [`WindowSpec`] cuts the last `N + 1` usable rows ending at an optional end date and turns them
//! into N [`Returns`].
//!
//! Windowing rules (they match the peer references in `shared/reference/README.md`):
//! 1. rows where every *selected* asset is missing are dropped (source outages), so a return that
//!    spans such a row covers two or more calendar days (no forward fill);
//! 2. the window is the last `N + 1` remaining rows with date ≤ `end`;
//! 3. an explicitly selected asset with a missing price inside the window is an error naming the
//!    asset and date (or is dropped, with [`Incomplete::Drop`]); without an explicit selection,
//!    every asset with a complete window is used.

mod asset_map;
mod chain;
mod funding;
mod gapped;
mod returns;

pub(crate) use asset_map::finite_or_null;
pub use asset_map::AssetMap;
pub use chain::{ChainQuote, ChainRow};
pub use funding::FundingRates;
pub use gapped::GappedReturns;
pub use returns::{simple_returns, ReturnKind, Returns};

use jiff::civil::Date;

/// The most returns a window can hold (about 27 years of daily data); every window (analysis
/// requests, portfolio files, backtest strategies) is bounded by it.
pub const MAX_WINDOW: usize = 10_000;

/// # Errors
/// From building panels and windows (reading files is [`crate::io`]'s).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("unknown asset '{asset}' (the price data has: {available})")]
    /// An asset the data does not have.
    UnknownAsset {
        /// The asset asked for.
        asset: String,
        /// The assets the data has, comma-separated.
        available: String,
    },
    #[error("window of {requested} returns needs {} price rows but only {available} usable rows end on or before {end}", requested.saturating_add(1))]
    /// Fewer usable rows than the window needs.
    WindowTooLong {
        /// Returns asked for.
        requested: usize,
        /// Usable rows up to the end date.
        available: usize,
        /// The end date.
        end: Date,
    },
    #[error("a window must hold between 2 and {MAX_WINDOW} returns (got {0})")]
    /// A window of fewer than 2 or more than [`MAX_WINDOW`] returns.
    WindowLength(usize),
    #[error("end date {end} is before the first price date {first}")]
    /// An end date before the data starts.
    EndBeforeStart {
        /// The end date.
        end: Date,
        /// The first date of the data.
        first: Date,
    },
    #[error("end date {end} is after the last price date {last}; give an end date inside the data (or none, for the last date)")]
    /// An end date after the data ends.
    EndAfterData {
        /// The end date.
        end: Date,
        /// The last date of the data.
        last: Date,
    },
    #[error("asset '{asset}' has no price on {date}, inside the window {first} .. {last} ({listed}); move the window or drop the asset")]
    /// A selected asset with a gap inside the window.
    MissingInWindow {
        /// The asset.
        asset: String,
        /// The first date without a price.
        date: Date,
        /// First date of the window.
        first: Date,
        /// Last date of the window.
        last: Date,
        /// Where the asset does have prices, e.g. "its prices run from 2019-04-26 to 2024-09-09".
        listed: String,
    },
    #[error("no asset has a complete price history in the window {first} .. {last}")]
    /// No asset is complete in the window.
    NoCompleteAsset {
        /// First date of the window.
        first: Date,
        /// Last date of the window.
        last: Date,
    },
    #[error("{0}")]
    /// Anything else, with its message.
    Invalid(String),
}

/// Position of `asset` in `assets`, or [`DataError::UnknownAsset`] listing what is there.
pub(crate) fn find_asset(assets: &[String], asset: &str) -> Result<usize, DataError> {
    assets
        .iter()
        .position(|a| a == asset)
        .ok_or_else(|| DataError::UnknownAsset {
            asset: asset.to_string(),
            available: assets.join(","),
        })
}

/// Dates × assets of prices; missing values are explicit.
///
/// Storage is row-major (`values[row * n_assets + col]`) with `NaN` marking a missing price;
/// loaders reject NaN/inf text, so `NaN` here always means "no price".
#[derive(Debug, Clone)]
pub struct PricePanel {
    dates: Vec<Date>,
    assets: Vec<String>,
    /// Row-major dates × assets.
    values: Vec<f64>,
    /// The same values column-major (assets × dates), so a window copies each coin's prices as
    /// one contiguous run.
    columns: Vec<f64>,
}

/// Column-major copy of row-major `values` (`t` rows × `n` columns).
fn transpose(values: &[f64], t: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    for r in 0..t {
        for c in 0..n {
            out[c * t + r] = values[r * n + c];
        }
    }
    out
}

/// What to do with a selected asset that has a missing price inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Incomplete {
    /// Return [`DataError::MissingInWindow`] naming the asset and date.
    #[default]
    Error,
    /// Drop the asset from the window (reported in [`PriceWindow::dropped`]).
    Drop,
}

/// How to cut a window out of a panel.
#[derive(Debug, Clone)]
pub struct WindowSpec {
    /// Assets to use, in this order; `None` = every asset with a complete window (file order).
    pub assets: Option<Vec<String>>,
    /// Number of returns N (the window holds N + 1 price rows). Default 730.
    pub returns: usize,
    /// Last date of the window (inclusive); `None` = the last row of the panel.
    pub end: Option<Date>,
    /// Policy for explicitly selected assets with gaps inside the window.
    pub incomplete: Incomplete,
}

impl Default for WindowSpec {
    fn default() -> Self {
        Self {
            assets: None,
            returns: 730,
            end: None,
            incomplete: Incomplete::Error,
        }
    }
}

/// What a window covers, for reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WindowInfo {
    /// Date of the first price (the day before the first return).
    pub first_price: Date,
    /// Date of the first return.
    pub first_return: Date,
    /// Date of the last return (the valuation date).
    pub last_return: Date,
    /// Number of returns N.
    pub returns: usize,
    /// Periods per year used to annualise.
    pub periods_per_year: f64,
    /// Assets left out because they are incomplete in the window.
    pub dropped_incomplete: Vec<String>,
}

/// N + 1 rows of complete prices for the selected assets.
#[derive(Debug, Clone)]
pub struct PriceWindow {
    /// Price dates, length N + 1, strictly ascending.
    pub dates: Vec<Date>,
    /// Asset names, length M.
    pub assets: Vec<String>,
    /// Prices, column-major: asset j's series is `prices[j*(N+1)..(j+1)*(N+1)]`. All finite, > 0.
    pub prices: Vec<f64>,
    /// Assets left out because they are incomplete in the window (file order).
    pub dropped: Vec<String>,
}

impl PriceWindow {
    /// Number of price rows (N + 1).
    pub fn n_rows(&self) -> usize {
        self.dates.len()
    }

    /// Price series of asset `j`.
    pub fn column(&self, j: usize) -> &[f64] {
        let t = self.n_rows();
        &self.prices[j * t..(j + 1) * t]
    }

    /// Last price of every asset (the valuation prices at the window's end date).
    pub fn last_prices(&self) -> Vec<f64> {
        let t = self.n_rows();
        (0..self.assets.len())
            .map(|j| self.prices[(j + 1) * t - 1])
            .collect()
    }

    /// Returns over the window.
    pub fn returns(&self, kind: ReturnKind) -> Returns {
        Returns::from_window(self, kind)
    }

    /// What the window covers.
    pub fn info(&self) -> WindowInfo {
        let last = self.dates[self.dates.len() - 1];
        WindowInfo {
            first_price: self.dates[0],
            first_return: self.dates.get(1).copied().unwrap_or(last),
            last_return: last,
            returns: self.dates.len() - 1,
            periods_per_year: crate::PERIODS_PER_YEAR_DAILY,
            dropped_incomplete: self.dropped.clone(),
        }
    }
}

impl PricePanel {
    /// Build a panel of prices. `values` is row-major dates × assets with `NaN` for missing.
    ///
    /// # Errors
    /// [`DataError::Invalid`]: dates not strictly ascending, duplicate asset names, a length
    /// mismatch, or a present price that is not finite and > 0.
    pub fn new(dates: Vec<Date>, assets: Vec<String>, values: Vec<f64>) -> Result<Self, DataError> {
        Self::build(dates, assets, values, false)
    }

    /// A panel of non-negative amounts (e.g. daily traded volumes, where 0 is a valid value);
    /// otherwise as [`Self::new`].
    ///
    /// # Errors
    /// As [`Self::new`], with values required to be finite and ≥ 0.
    pub fn new_volumes(dates: Vec<Date>, assets: Vec<String>, values: Vec<f64>) -> Result<Self, DataError> {
        Self::build(dates, assets, values, true)
    }

    fn build(
        dates: Vec<Date>,
        assets: Vec<String>,
        values: Vec<f64>,
        zero_ok: bool,
    ) -> Result<Self, DataError> {
        if values.len() != dates.len() * assets.len() {
            return Err(DataError::Invalid(format!(
                "panel has {} values, expected {} dates × {} assets",
                values.len(),
                dates.len(),
                assets.len()
            )));
        }
        for w in dates.windows(2) {
            if w[1] <= w[0] {
                return Err(DataError::Invalid(format!(
                    "dates must be strictly ascending: {} comes after {}",
                    w[1], w[0]
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for a in &assets {
            if !seen.insert(a.as_str()) {
                return Err(DataError::Invalid(format!("duplicate asset '{a}'")));
            }
        }
        let ok = |v: f64| v.is_nan() || v.is_finite() && (v > 0.0 || zero_ok && v == 0.0);
        if let Some(k) = values.iter().position(|v| !ok(*v)) {
            let (r, c) = (k / assets.len(), k % assets.len());
            return Err(DataError::Invalid(format!(
                "value of {} on {} is {}; it must be finite and {}",
                assets[c],
                dates[r],
                values[k],
                if zero_ok { "≥ 0" } else { "> 0" }
            )));
        }
        let columns = transpose(&values, dates.len(), assets.len());
        Ok(Self {
            dates,
            assets,
            values,
            columns,
        })
    }

    /// Dates, strictly ascending.
    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    /// Asset names in file order.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// Price of asset column `col` on row `row`, `None` if missing.
    ///
    /// # Panics
    /// If `row` or `col` is out of range.
    pub fn price(&self, row: usize, col: usize) -> Option<f64> {
        let v = self.value(row, col);
        (!v.is_nan()).then_some(v)
    }

    /// This panel with `other`'s assets added as columns, over the union of the dates (a
    /// date one panel lacks has no price there: nothing is filled).
    ///
    /// # Errors
    /// [`DataError::Invalid`]: an asset in both panels (named).
    pub fn with_assets(&self, other: &PricePanel) -> Result<Self, DataError> {
        if let Some(a) = other.assets.iter().find(|a| self.assets.contains(a)) {
            return Err(DataError::Invalid(format!(
                "{a} is in both price files: give each coin's prices once"
            )));
        }
        let mut dates: Vec<Date> = self.dates.iter().chain(&other.dates).copied().collect();
        dates.sort_unstable();
        dates.dedup();
        let (n1, n2) = (self.assets.len(), other.assets.len());
        let mut values = vec![f64::NAN; dates.len() * (n1 + n2)];
        for (r, d) in dates.iter().enumerate() {
            let row = &mut values[r * (n1 + n2)..(r + 1) * (n1 + n2)];
            if let Ok(k) = self.dates.binary_search(d) {
                for c in 0..n1 {
                    row[c] = self.value(k, c);
                }
            }
            if let Ok(k) = other.dates.binary_search(d) {
                for c in 0..n2 {
                    row[n1 + c] = other.value(k, c);
                }
            }
        }
        let assets = self.assets.iter().chain(&other.assets).cloned().collect();
        Self::new(dates, assets, values)
    }

    /// Price of asset column `col` on row `row`, NaN if missing (for loops that test
    /// `is_finite` anyway).
    ///
    /// # Panics
    /// If `row` or `col` is out of range.
    #[inline]
    pub fn value(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.assets.len() + col]
    }

    /// The last date of a window: `end`, or the panel's last date.
    ///
    /// # Errors
    /// No rows; `end` before the first date or after the last.
    pub(crate) fn window_end(&self, end: Option<Date>) -> Result<Date, DataError> {
        let first = *self
            .dates
            .first()
            .ok_or(DataError::Invalid("price panel has no rows".into()))?;
        let last = *self.dates.last().unwrap_or(&first);
        let end = end.unwrap_or(last);
        if end < first {
            return Err(DataError::EndBeforeStart { end, first });
        }
        if end > last {
            return Err(DataError::EndAfterData { end, last });
        }
        Ok(end)
    }

    /// The panel without its rows where every asset is missing (source outages), so that a
    /// return spans the gap.
    pub fn without_empty_rows(&self) -> Self {
        let n = self.assets.len();
        let keep: Vec<usize> = (0..self.dates.len())
            .filter(|&r| self.values[r * n..(r + 1) * n].iter().any(|v| !v.is_nan()))
            .collect();
        let values: Vec<f64> = keep
            .iter()
            .flat_map(|&r| self.values[r * n..(r + 1) * n].iter().copied())
            .collect();
        Self {
            columns: transpose(&values, keep.len(), n),
            dates: keep.iter().map(|&r| self.dates[r]).collect(),
            assets: self.assets.clone(),
            values,
        }
    }

    /// Column index of an asset, or [`DataError::UnknownAsset`].
    pub fn asset_index(&self, asset: &str) -> Result<usize, DataError> {
        find_asset(&self.assets, asset)
    }

    /// First date with a price for `col` (the listing date in this data), if any.
    pub fn first_valid_date(&self, col: usize) -> Option<Date> {
        (0..self.dates.len())
            .find(|&r| self.price(r, col).is_some())
            .map(|r| self.dates[r])
    }

    /// Last date with a price for `col` (the last traded day in this data), if any.
    pub fn last_valid_date(&self, col: usize) -> Option<Date> {
        (0..self.dates.len())
            .rev()
            .find(|&r| self.price(r, col).is_some())
            .map(|r| self.dates[r])
    }

    fn price_range_text(&self, col: usize) -> String {
        match (self.first_valid_date(col), self.last_valid_date(col)) {
            (Some(a), Some(b)) => format!("its prices in the data run from {a} to {b}"),
            _ => "it has no price at all in the data".into(),
        }
    }

    /// Cut a window of complete prices; see the module docs for the rules.
    pub fn window(&self, spec: &WindowSpec) -> Result<PriceWindow, DataError> {
        if !(2..=MAX_WINDOW).contains(&spec.returns) {
            return Err(DataError::WindowLength(spec.returns));
        }
        let n = self.assets.len();
        let explicit = spec.assets.is_some();
        let cols: Vec<usize> = match &spec.assets {
            Some(list) => {
                let mut cols = Vec::with_capacity(list.len());
                for a in list {
                    let c = self.asset_index(a)?;
                    if cols.contains(&c) {
                        return Err(DataError::Invalid(format!("asset '{a}' is selected twice")));
                    }
                    cols.push(c);
                }
                if cols.is_empty() {
                    return Err(DataError::Invalid("no assets selected".into()));
                }
                cols
            }
            None => (0..n).collect(),
        };
        let end = self.window_end(spec.end)?;
        // Usable rows: on or before `end`, with at least one selected asset priced; the last
        // N + 1 of them, found walking back from `end`.
        let need = spec.returns.saturating_add(1);
        let stop = self.dates.partition_point(|d| *d <= end);
        let mut rows = Vec::with_capacity(need.min(stop));
        for r in (0..stop).rev() {
            if cols.iter().any(|&c| self.price(r, c).is_some()) {
                rows.push(r);
                if rows.len() == need {
                    break;
                }
            }
        }
        if rows.len() < need {
            return Err(DataError::WindowTooLong {
                requested: spec.returns,
                available: rows.len(),
                end,
            });
        }
        rows.reverse();
        let rows = &rows[..];
        let (d0, d1) = (self.dates[rows[0]], self.dates[rows[need - 1]]);
        // each column's first missing row; rows are usually one contiguous run
        let t_all = self.dates.len();
        let contiguous = rows[need - 1] - rows[0] == need - 1;
        let column = |c: usize| &self.columns[c * t_all..(c + 1) * t_all];
        let gap: Vec<Option<usize>> = cols
            .iter()
            .map(|&c| {
                let col = column(c);
                if contiguous {
                    col[rows[0]..rows[0] + need]
                        .iter()
                        .position(|v| v.is_nan())
                        .map(|k| rows[0] + k)
                } else {
                    rows.iter().copied().find(|&r| col[r].is_nan())
                }
            })
            .collect();
        let mut keep = Vec::with_capacity(cols.len());
        let mut dropped = Vec::new();
        for (&c, &g) in cols.iter().zip(&gap) {
            match g {
                None => keep.push(c),
                Some(r) if explicit && spec.incomplete == Incomplete::Error => {
                    return Err(DataError::MissingInWindow {
                        asset: self.assets[c].clone(),
                        date: self.dates[r],
                        first: d0,
                        last: d1,
                        listed: self.price_range_text(c),
                    })
                }
                Some(_) => dropped.push(self.assets[c].clone()),
            }
        }
        if keep.is_empty() {
            return Err(DataError::NoCompleteAsset { first: d0, last: d1 });
        }
        let mut prices = Vec::with_capacity(keep.len() * need);
        for &c in &keep {
            let col = column(c);
            if contiguous {
                prices.extend_from_slice(&col[rows[0]..rows[0] + need]);
            } else {
                prices.extend(rows.iter().map(|&r| col[r]));
            }
        }
        Ok(PriceWindow {
            dates: rows.iter().map(|&r| self.dates[r]).collect(),
            assets: keep.iter().map(|&c| self.assets[c].clone()).collect(),
            prices,
            dropped,
        })
    }
}
