//! Returns: a T×N matrix (column-major) with its dates and asset names.

use super::{DataError, PriceWindow};
use crate::PERIODS_PER_YEAR_DAILY;
use jiff::civil::Date;

/// Simple returns `v_t / v_{t−1} − 1` of a price or value path (length one less).
pub fn simple_returns(values: &[f64]) -> impl Iterator<Item = f64> + '_ {
    values.windows(2).map(|x| x[1] / x[0] - 1.0)
}

/// Simple (`P_t / P_{t-1} − 1`, the default) or log (`ln(P_t / P_{t-1})`) returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnKind {
    #[default]
    /// P_t / P_{t−1} − 1 (the default).
    Simple,
    /// ln(P_t / P_{t−1}).
    Log,
}

/// T periods × N assets of returns.
///
/// Storage is column-major: asset j's series is `column(j)`, contiguous. `dates[t]` is the end
/// date of period t; `periods_per_year` is 365 for daily crypto data.
#[derive(Debug, Clone)]
pub struct Returns {
    /// Date of the price before the first return, when the returns come from prices.
    first_price: Option<Date>,
    dates: Vec<Date>,
    assets: Vec<String>,
    data: Vec<f64>,
    kind: ReturnKind,
    periods_per_year: f64,
}

impl Returns {
    /// Build from column-major data (`data[j * T + t]`).
    ///
    /// # Errors
    /// [`DataError`]: a shape mismatch, fewer than two periods, no assets, a non-finite value,
    /// a non-positive `periods_per_year`.
    pub fn new(
        dates: Vec<Date>,
        assets: Vec<String>,
        data: Vec<f64>,
        kind: ReturnKind,
        periods_per_year: f64,
    ) -> Result<Self, DataError> {
        let (t, n) = (dates.len(), assets.len());
        if data.len() != t * n {
            return Err(DataError::Invalid(format!(
                "returns have {} values, expected {t} periods × {n} assets",
                data.len()
            )));
        }
        if n == 0 {
            return Err(DataError::Invalid("returns have no assets".into()));
        }
        if t < 2 {
            return Err(DataError::Invalid(format!(
                "returns need at least 2 periods to estimate anything (got {t})"
            )));
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Invalid(format!(
                "return of {} on {} is not finite",
                assets[k / t],
                dates[k % t]
            )));
        }
        if !(periods_per_year > 0.0 && periods_per_year.is_finite()) {
            return Err(DataError::Invalid("periods_per_year must be > 0".into()));
        }
        Ok(Self {
            first_price: None,
            dates,
            assets,
            data,
            kind,
            periods_per_year,
        })
    }

    pub(crate) fn from_window(w: &PriceWindow, kind: ReturnKind) -> Self {
        let rows = w.n_rows();
        let t = rows - 1;
        let mut data = Vec::with_capacity(t * w.assets.len());
        for j in 0..w.assets.len() {
            let p = w.column(j);
            match kind {
                ReturnKind::Simple => data.extend(simple_returns(p)),
                ReturnKind::Log => data.extend(p.windows(2).map(|x| (x[1] / x[0]).ln())),
            }
        }
        Self {
            first_price: w.dates.first().copied(),
            dates: w.dates[1..].to_vec(),
            assets: w.assets.clone(),
            data,
            kind,
            periods_per_year: PERIODS_PER_YEAR_DAILY,
        }
    }

    /// Number of periods T.
    pub fn n_periods(&self) -> usize {
        self.dates.len()
    }

    /// Number of assets N.
    pub fn n_assets(&self) -> usize {
        self.assets.len()
    }

    /// Period end dates, length T.
    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    /// Date of the price before the first return (`None` for returns not built from prices).
    pub fn first_price(&self) -> Option<Date> {
        self.first_price
    }

    /// The date of value point `k` of a path over these returns: point 0 is before the first
    /// return ([`Self::first_price`]), point k after return k − 1.
    pub fn point_date(&self, k: usize) -> Option<Date> {
        match k {
            0 => self.first_price,
            k => self.dates.get(k - 1).copied(),
        }
    }

    /// Asset names, length N.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// Simple or log.
    pub fn kind(&self) -> ReturnKind {
        self.kind
    }

    /// Periods per year used to annualise (365 for daily data).
    pub fn periods_per_year(&self) -> f64 {
        self.periods_per_year
    }

    /// Column-major T×N data.
    pub fn as_column_major(&self) -> &[f64] {
        &self.data
    }

    /// Return series of asset j, length T.
    pub fn column(&self, j: usize) -> &[f64] {
        let t = self.n_periods();
        &self.data[j * t..(j + 1) * t]
    }

    /// Index of an asset, or [`DataError::UnknownAsset`].
    pub fn asset_index(&self, asset: &str) -> Result<usize, DataError> {
        super::find_asset(&self.assets, asset)
    }

    /// Keep only the named assets, in the given order.
    pub fn select(&self, assets: &[String]) -> Result<Self, DataError> {
        let idx = assets
            .iter()
            .map(|a| self.asset_index(a))
            .collect::<Result<Vec<_>, _>>()?;
        let mut data = Vec::with_capacity(idx.len() * self.n_periods());
        for &j in &idx {
            data.extend_from_slice(self.column(j));
        }
        Ok(Self {
            first_price: self.first_price,
            dates: self.dates.clone(),
            assets: assets.to_vec(),
            data,
            kind: self.kind,
            periods_per_year: self.periods_per_year,
        })
    }

    /// The periods `rows` (a sub-window, e.g. for rolling estimates).
    ///
    /// # Errors
    /// [`DataError::Invalid`] for a range outside the periods or shorter than 2.
    pub fn periods(&self, rows: std::ops::Range<usize>) -> Result<Self, DataError> {
        let t = self.n_periods();
        if rows.end > t || rows.len() < 2 {
            return Err(DataError::Invalid(format!(
                "periods {}..{} of {t}: a sub-window needs at least 2 periods inside the returns",
                rows.start, rows.end
            )));
        }
        let mut data = Vec::with_capacity(rows.len() * self.n_assets());
        for j in 0..self.n_assets() {
            data.extend_from_slice(&self.column(j)[rows.clone()]);
        }
        Ok(Self {
            first_price: None,
            dates: self.dates[rows].to_vec(),
            assets: self.assets.clone(),
            data,
            kind: self.kind,
            periods_per_year: self.periods_per_year,
        })
    }

    /// These returns with `other`'s columns appended (same dates and kind).
    ///
    /// # Errors
    /// [`DataError::Invalid`] when the dates or kinds differ or a name repeats.
    pub fn with_columns(&self, other: &Returns) -> Result<Self, DataError> {
        if other.dates != self.dates || other.kind != self.kind {
            return Err(DataError::Invalid(
                "returns to join cover different dates or kinds".into(),
            ));
        }
        if let Some(a) = other.assets.iter().find(|a| self.assets.contains(a)) {
            return Err(DataError::Invalid(format!("{a} is in both sets of returns")));
        }
        let mut out = self.clone();
        out.assets.extend(other.assets.iter().cloned());
        out.data.extend_from_slice(&other.data);
        Ok(out)
    }

    /// Portfolio return series `r_p,t = Σ_i w_i r_i,t` (constant weights, i.e. rebalanced every
    /// period). `weights` has length N and need not sum to 1 (the rest is cash at 0 return).
    ///
    /// For log returns this is the usual linear approximation; risk figures in Ballast use
    /// simple returns by default.
    pub fn portfolio(&self, weights: &[f64]) -> Vec<f64> {
        debug_assert_eq!(weights.len(), self.n_assets());
        let t = self.n_periods();
        let mut out = vec![0.0; t];
        for (j, &w) in weights.iter().enumerate() {
            if w != 0.0 {
                for (o, r) in out.iter_mut().zip(self.column(j)) {
                    *o += w * r;
                }
            }
        }
        out
    }

    /// Simple returns of the portfolio rebalanced to `weights` every period, whatever the
    /// kind of these returns: `Σ_i w_i R_i,t` with `R = r` (simple) or `R = exp(r) − 1` (log).
    /// This is the series whose product is the portfolio's wealth path (drawdowns).
    pub fn simple_portfolio(&self, weights: &[f64]) -> Vec<f64> {
        match self.kind {
            ReturnKind::Simple => self.portfolio(weights),
            ReturnKind::Log => {
                let mut out = vec![0.0; self.n_periods()];
                for (j, &w) in weights.iter().enumerate() {
                    if w != 0.0 {
                        for (o, r) in out.iter_mut().zip(self.column(j)) {
                            *o += w * r.exp_m1();
                        }
                    }
                }
                out
            }
        }
    }
}
