//! Returns over a window in which coins may be missing: listed after the window starts,
//! delisted before it ends, or with gaps. Each return is kept where both of its prices exist and
//! is missing (`NaN`) otherwise; nothing is filled. Estimators then use each pair's overlap
//! (pairwise-complete observations, as pandas' `DataFrame.cov()` and PyPortfolioOpt do).

use super::{DataError, PricePanel, ReturnKind, WindowSpec, MAX_WINDOW};
use crate::PERIODS_PER_YEAR_DAILY;
use jiff::civil::Date;

/// T periods × N assets of returns with missing values (`NaN` = no return that period).
///
/// Storage is column-major like [`super::Returns`]. Every asset has at least two returns.
#[derive(Debug, Clone)]
pub struct GappedReturns {
    first_price: Date,
    dates: Vec<Date>,
    assets: Vec<String>,
    data: Vec<f64>,
    kind: ReturnKind,
    dropped: Vec<String>,
}

impl GappedReturns {
    /// Number of periods T (the window's returns).
    pub fn n_periods(&self) -> usize {
        self.dates.len()
    }

    /// Number of assets N.
    pub fn n_assets(&self) -> usize {
        self.assets.len()
    }

    /// End date of each period.
    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    /// Date of the price before the first return.
    pub fn first_price(&self) -> Date {
        self.first_price
    }

    /// Asset names.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// Simple or log returns.
    pub fn kind(&self) -> ReturnKind {
        self.kind
    }

    /// Periods per year (365).
    pub fn periods_per_year(&self) -> f64 {
        PERIODS_PER_YEAR_DAILY
    }

    /// Asset j's returns, `NaN` where it has none.
    pub fn column(&self, j: usize) -> &[f64] {
        let t = self.n_periods();
        &self.data[j * t..(j + 1) * t]
    }

    /// Number of returns each asset has.
    pub fn counts(&self) -> Vec<usize> {
        (0..self.n_assets())
            .map(|j| self.column(j).iter().filter(|v| !v.is_nan()).count())
            .collect()
    }

    /// Assets of the selection left out because they have fewer than two returns in the window.
    pub fn dropped(&self) -> &[String] {
        &self.dropped
    }

    /// True when no return is missing (the pairwise estimate is then the common-window one).
    pub fn is_complete(&self) -> bool {
        !self.data.iter().any(|v| v.is_nan())
    }
}

impl PricePanel {
    /// The last `spec.returns` returns ending at `spec.end`, over the selected assets (all by
    /// default), keeping coins that are missing on part of the window. The rows are those of
    /// [`PricePanel::window`] (rows where every selected asset is missing are dropped); a return
    /// exists where the prices of both of its rows exist. `spec.incomplete` is not used: no
    /// coin is dropped for a gap, only one with fewer than two returns (listed in
    /// [`GappedReturns::dropped`]; an explicitly selected one is an error).
    ///
    /// # Errors
    /// [`DataError::WindowLength`], [`DataError::WindowTooLong`], dates outside the data, an
    /// unknown or repeated asset; [`DataError::Invalid`] for a selected asset with fewer than
    /// two returns in the window, or none left.
    pub fn gapped_returns(&self, spec: &WindowSpec, kind: ReturnKind) -> Result<GappedReturns, DataError> {
        if !(2..=MAX_WINDOW).contains(&spec.returns) {
            return Err(DataError::WindowLength(spec.returns));
        }
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
                cols
            }
            None => (0..self.assets.len()).collect(),
        };
        if cols.is_empty() {
            return Err(DataError::Invalid("no assets selected".into()));
        }
        let end = self.window_end(spec.end)?;
        let need = spec.returns + 1;
        let stop = self.dates.partition_point(|d| *d <= end);
        let mut rows: Vec<usize> = (0..stop)
            .rev()
            .filter(|&r| cols.iter().any(|&c| self.price(r, c).is_some()))
            .take(need)
            .collect();
        if rows.len() < need {
            return Err(DataError::WindowTooLong {
                requested: spec.returns,
                available: rows.len(),
                end,
            });
        }
        rows.reverse();
        let t = spec.returns;
        let mut assets = Vec::with_capacity(cols.len());
        let mut data = Vec::with_capacity(cols.len() * t);
        let mut dropped = Vec::new();
        for &c in &cols {
            let start = data.len();
            data.extend(
                rows.windows(2)
                    .map(|w| match (self.price(w[0], c), self.price(w[1], c)) {
                        (Some(p0), Some(p1)) => match kind {
                            ReturnKind::Simple => p1 / p0 - 1.0,
                            ReturnKind::Log => (p1 / p0).ln(),
                        },
                        _ => f64::NAN,
                    }),
            );
            let have = data[start..].iter().filter(|v| !v.is_nan()).count();
            if have < 2 {
                data.truncate(start);
                if explicit {
                    return Err(DataError::Invalid(format!(
                        "{} has {have} return{} in the window {} to {} ({}); pairwise estimates need at least 2 per coin: move the window or leave it out",
                        self.assets[c],
                        if have == 1 { "" } else { "s" },
                        self.dates[rows[0]],
                        self.dates[rows[t]],
                        self.price_range_text(c)
                    )));
                }
                dropped.push(self.assets[c].clone());
                continue;
            }
            assets.push(self.assets[c].clone());
        }
        if assets.is_empty() {
            return Err(DataError::Invalid(format!(
                "no coin has two returns in the window {} to {}",
                self.dates[rows[0]], self.dates[rows[t]]
            )));
        }
        Ok(GappedReturns {
            first_price: self.dates[rows[0]],
            dates: rows[1..].iter().map(|&r| self.dates[r]).collect(),
            assets,
            data,
            kind,
            dropped,
        })
    }
}
