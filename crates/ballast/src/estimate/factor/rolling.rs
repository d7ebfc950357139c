//! Rolling factor models: the same model refitted on every `window` consecutive returns (or
//! every `step`-th end date), for charts of betas and of a book's factor exposures over time.
//! Principal components keep their sign from one fit to the next (the first fit follows the
//! model's largest-entry-positive rule; each later one is flipped to point the way the
//! previous one did).

use super::{FactorModel, FactorModelSpec, PcaComponents};
use crate::data::Returns;
use crate::estimate::EstimateError;
use jiff::civil::Date;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The most rolling fits one call makes.
pub const MAX_ROLLING_FITS: usize = 20_000;

/// Betas of a rolling factor model: one fit per end date.
#[derive(Debug, Clone)]
pub struct RollingBetas {
    /// The model, as written.
    pub model: String,
    /// Returns per fit.
    pub window: usize,
    /// Periods between fits.
    pub step: usize,
    /// Factor names (K).
    pub factors: Vec<String>,
    /// Coins (N).
    pub assets: Vec<String>,
    /// The last date of each fit's window (D).
    pub dates: Vec<Date>,
    /// Loadings, D×N×K: `betas[(d * N + i) * K + k]`.
    pub betas: Vec<f64>,
    /// R² per fit and coin, D×N.
    pub r_squared: Vec<f64>,
}

impl RollingBetas {
    /// Coin i's beta to factor k over the dates.
    pub fn series(&self, i: usize, k: usize) -> Vec<f64> {
        let (n, kk) = (self.assets.len(), self.factors.len());
        (0..self.dates.len())
            .map(|d| self.betas[(d * n + i) * kk + k])
            .collect()
    }

    /// A book's exposure Σ_i w_i β_ik,t to each factor over the dates: K series of D values.
    /// `weights` follow [`Self::assets`].
    ///
    /// # Errors
    /// [`EstimateError::Factor`] when `weights` has the wrong length or a non-finite entry.
    pub fn exposures(&self, weights: &[f64]) -> Result<Vec<Vec<f64>>, EstimateError> {
        let (n, kk) = (self.assets.len(), self.factors.len());
        if weights.len() != n || weights.iter().any(|w| !w.is_finite()) {
            return Err(EstimateError::Factor(format!(
                "{} weights for {n} coins, or one that is not finite",
                weights.len()
            )));
        }
        Ok((0..kk)
            .map(|k| {
                (0..self.dates.len())
                    .map(|d| {
                        (0..n)
                            .map(|i| weights[i] * self.betas[(d * n + i) * kk + k])
                            .sum()
                    })
                    .collect()
            })
            .collect())
    }
}

impl FactorModel {
    /// Fit this model on every `window` consecutive periods of `returns` (with `factors` on the
    /// same dates, as [`FactorModel::fit_with_factors`]), ending at the last period and every
    /// `step` periods before it, oldest first.
    ///
    /// # Errors
    /// A window shorter than 3 periods or longer than the returns, a step of 0, more than
    /// [`MAX_ROLLING_FITS`] fits, `pca:` with a variance share (the number of factors could
    /// change between dates: give k), and any fit's errors (naming its end date).
    pub fn rolling(
        &self,
        returns: &Returns,
        factors: Option<&Returns>,
        window: usize,
        step: usize,
    ) -> Result<RollingBetas, EstimateError> {
        let t = returns.n_periods();
        if window < 3 || window > t {
            return Err(EstimateError::Factor(format!(
                "rolling window = {window} returns must be between 3 and the {t} returns of the data"
            )));
        }
        if step == 0 {
            return Err(EstimateError::Factor(
                "rolling step must be at least 1 period".into(),
            ));
        }
        let fits = (t - window) / step + 1;
        if fits > MAX_ROLLING_FITS {
            return Err(EstimateError::Factor(format!(
                "{fits} rolling fits (at most {MAX_ROLLING_FITS}): raise the step or shorten the data"
            )));
        }
        if let FactorModelSpec::Pca(PcaComponents::Explained(_)) = self.spec {
            return Err(EstimateError::Factor(
                "rolling PCA needs a number of components (pca:3), not a variance share: the count could change between dates".into(),
            ));
        }
        let ends: Vec<usize> = (0..fits).rev().map(|j| t - j * step).collect();
        let mut out = RollingBetas {
            model: self.spec.to_string(),
            window,
            step,
            factors: Vec::new(),
            assets: returns.assets().to_vec(),
            dates: Vec::with_capacity(fits),
            betas: Vec::new(),
            r_squared: Vec::with_capacity(fits * returns.n_assets()),
        };
        for end in ends {
            let rows = end - window..end;
            let r = returns
                .periods(rows.clone())
                .map_err(|e| EstimateError::Factor(e.to_string()))?;
            let f = factors
                .map(|f| f.periods(rows))
                .transpose()
                .map_err(|e| EstimateError::Factor(e.to_string()))?;
            let date = returns.dates()[end - 1];
            let m = self
                .fit_with_factors(&r, f.as_ref())
                .map_err(|e| EstimateError::Factor(format!("the window ending {date}: {e}")))?;
            out.factors = m.factors.clone();
            let mut b = m.loadings.clone();
            // PCA: a component's sign is a convention; keep it from one date to the next (flip
            // a component whose loadings point away from the previous fit's)
            if let (FactorModelSpec::Pca(_), Some(prev)) = (&self.spec, out.betas.len().checked_sub(b.len()))
            {
                let (n, k) = (returns.n_assets(), m.n_factors());
                for f in 0..k {
                    let dot: f64 = (0..n).map(|i| b[i * k + f] * out.betas[prev + i * k + f]).sum();
                    if dot < 0.0 {
                        (0..n).for_each(|i| b[i * k + f] = -b[i * k + f]);
                    }
                }
            }
            out.dates.push(date);
            out.betas.extend_from_slice(&b);
            out.r_squared.extend_from_slice(&m.r_squared);
        }
        Ok(out)
    }
}

/// JSON: `model`, `rolling_window` (returns per fit), `step`, `factors`, `dates`, `betas` {coin: {factor: [β per date]}},
/// `r_squared` {coin: [R² per date]}.
impl Serialize for RollingBetas {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct ByFactor<'a>(&'a RollingBetas, usize);
        impl Serialize for ByFactor<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.factors.len()))?;
                for (k, f) in self.0.factors.iter().enumerate() {
                    m.serialize_entry(f, &self.0.series(self.1, k))?;
                }
                m.end()
            }
        }
        let n = self.assets.len();
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("model", &self.model)?;
        m.serialize_entry("rolling_window", &self.window)?;
        m.serialize_entry("step", &self.step)?;
        m.serialize_entry("factors", &self.factors)?;
        m.serialize_entry("dates", &self.dates)?;
        let betas: Vec<ByFactor> = (0..n).map(|i| ByFactor(self, i)).collect();
        m.serialize_entry("betas", &NamedList(&self.assets, &betas))?;
        let r2: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..self.dates.len()).map(|d| self.r_squared[d * n + i]).collect())
            .collect();
        m.serialize_entry("r_squared", &NamedList(&self.assets, &r2))?;
        m.end()
    }
}

/// `{name: value}` from parallel lists.
struct NamedList<'a, T>(&'a [String], &'a [T]);

impl<T: Serialize> Serialize for NamedList<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter().zip(self.1) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
