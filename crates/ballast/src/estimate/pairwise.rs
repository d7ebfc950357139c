//! Estimates over unequal histories: each pair of coins over the dates both have a return
//! (pairwise-complete observations, as pandas' `DataFrame.cov()` / `corr()` and PyPortfolioOpt's
//! `risk_models.sample_cov`), each coin's mean over its own returns, and the repair that makes
//! the result usable when it is not positive definite.

use super::{nearest_correlation, CorrelationRepair, Covariance, EstimateError};
use crate::data::GappedReturns;
use crate::linalg::SymMatrix;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which observations estimates use when coins list at different dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum History {
    /// One common window: only coins priced on every row of it (the default; a coin with a gap
    /// is dropped, or an error when it was asked for by name).
    #[default]
    Common,
    /// Every coin with returns in the window; each pair over the returns both have, each mean
    /// over the coin's own returns (pandas / PyPortfolioOpt). Sample covariance only; repaired
    /// to positive definite (nearest correlation, Higham 2002) when needed, and reported.
    Pairwise,
}

/// The default least number of common returns of any pair (`min_overlap`).
pub const DEFAULT_MIN_OVERLAP: usize = 60;

/// The eigenvalue floor of a repaired correlation matrix: the repair is positive definite, not
/// only semi-definite, so every optimiser can use it.
pub const REPAIR_EIGENVALUE_FLOOR: f64 = 1e-8;

/// A pairwise-complete estimate.
#[derive(Debug, Clone)]
pub struct PairwiseEstimate {
    /// Annualised covariance: entry (i, j) is 365 × the sample covariance (ddof = 1) of i and j
    /// over their common returns, with means over those returns; each variance over the coin's
    /// own returns. Replaced by its repair when not positive definite (`repaired` then holds the
    /// smallest eigenvalue before it).
    pub covariance: Covariance,
    /// The pairwise sample correlations (pandas' `DataFrame.corr()`): each pair over its common
    /// returns with its own means and standard deviations there. Not repaired: it need not be
    /// positive semi-definite (HRP's `hrp_correlation = "pairwise"` clusters on it).
    pub correlation: SymMatrix,
    /// What the estimate rests on.
    pub report: PairwiseReport,
}

/// What a pairwise estimate rests on. JSON: `counts` (returns per coin), `min_overlap` (the
/// fewest common returns of any pair) and `min_overlap_pair`, `required_overlap`, `repair`
/// (null, or how the covariance was made positive definite).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairwiseReport {
    /// The returns each coin has in the window.
    pub counts: BTreeMap<String, usize>,
    /// The fewest common returns of any pair.
    pub min_overlap: usize,
    /// That pair.
    pub min_overlap_pair: [String; 2],
    /// The least overlap asked for.
    pub required_overlap: usize,
    /// The repair, when the pairwise covariance was not positive definite.
    pub repair: Option<CorrelationRepair>,
}

/// Pairwise-complete covariance and correlation of `returns`, requiring every pair to share at
/// least `min_overlap` returns; the covariance is repaired when it is not positive definite:
/// its correlation D⁻¹ΣD⁻¹ is replaced by the nearest correlation matrix with eigenvalues
/// ≥ [`REPAIR_EIGENVALUE_FLOOR`] ([`nearest_correlation`], Higham 2002) and the variances are
/// kept.
///
/// # Errors
/// [`EstimateError::BadParameter`] for `min_overlap` < 2; [`EstimateError::TooShortHistory`]
/// for a coin with fewer returns than that; [`EstimateError::TooLittleOverlap`]
/// naming the first pair below it; [`EstimateError::ZeroVariance`] naming a coin whose returns
/// are all equal; [`EstimateError::FlatOverOverlap`] for a coin that does not move over its
/// common returns with another; those of [`nearest_correlation`].
pub fn pairwise_estimate(
    returns: &GappedReturns,
    min_overlap: usize,
) -> Result<PairwiseEstimate, EstimateError> {
    if !(2..=crate::data::MAX_WINDOW).contains(&min_overlap) {
        return Err(EstimateError::BadParameter {
            estimator: "pairwise covariance",
            name: "min_overlap",
            value: min_overlap as f64,
            expected: "2 ≤ min_overlap ≤ 10000 common returns, e.g. 60",
        });
    }
    let n = returns.n_assets();
    let assets = returns.assets();
    let counts = returns.counts();
    let mut cov = SymMatrix::zeros(n);
    let mut corr = SymMatrix::zeros(n);
    let mut least = (usize::MAX, 0, 0);
    for i in 0..n {
        for j in i..n {
            let (x, y) = (returns.column(i), returns.column(j));
            let m = Moments::over_common(x, y);
            if (i != j || n == 1) && m.n < least.0 {
                least = (m.n, i, j);
            }
            if i == j && m.n < min_overlap {
                return Err(EstimateError::TooShortHistory {
                    asset: assets[i].clone(),
                    count: m.n,
                    needed: min_overlap,
                });
            }
            if m.n < min_overlap {
                return Err(EstimateError::TooLittleOverlap {
                    a: assets[i].clone(),
                    b: assets[j].clone(),
                    overlap: m.n,
                    count_a: counts[i],
                    count_b: counts[j],
                    needed: min_overlap,
                });
            }
            if i == j && !(m.sxx > 0.0) {
                return Err(EstimateError::ZeroVariance {
                    asset: assets[i].clone(),
                });
            }
            if i != j && !(m.sxx > 0.0 && m.syy > 0.0) {
                let flat = if m.sxx > 0.0 { j } else { i };
                let other = if flat == i { j } else { i };
                return Err(EstimateError::FlatOverOverlap {
                    flat: assets[flat].clone(),
                    other: assets[other].clone(),
                    overlap: m.n,
                });
            }
            cov.set_sym(i, j, m.sxy / (m.n as f64 - 1.0) * returns.periods_per_year());
            corr.set_sym(i, j, if i == j { 1.0 } else { m.correlation() });
        }
    }
    let mut covariance = Covariance {
        assets: assets.to_vec(),
        matrix: cov,
        periods_per_year: returns.periods_per_year(),
        shrinkage: None,
        estimator: "sample-pairwise",
        repaired: None,
    };
    let mut repair = None;
    if let Err(EstimateError::NotPositiveDefinite { min_eigenvalue }) = covariance.validate() {
        let implied = covariance.correlation()?;
        let fixed = nearest_correlation(&implied, REPAIR_EIGENVALUE_FLOOR, 1e-14)?;
        let sd = covariance.volatilities();
        let mut m = SymMatrix::zeros(n);
        for i in 0..n {
            for j in i..n {
                m.set_sym(i, j, fixed.matrix.get(i, j) * sd[i] * sd[j]);
            }
        }
        covariance.matrix = m;
        covariance.repaired = Some(min_eigenvalue);
        covariance.validate()?;
        repair = Some(fixed.report);
    } else {
        covariance.validate()?;
    }
    let (least, a, b) = least;
    Ok(PairwiseEstimate {
        covariance,
        correlation: corr,
        report: PairwiseReport {
            counts: assets.iter().cloned().zip(counts).collect(),
            min_overlap: least,
            min_overlap_pair: [assets[a].clone(), assets[b].clone()],
            required_overlap: min_overlap,
            repair,
        },
    })
}

/// Sums over the periods where both series have a value (two-pass: means first).
struct Moments {
    n: usize,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl Moments {
    fn over_common(x: &[f64], y: &[f64]) -> Self {
        let both = || x.iter().zip(y).filter(|(a, b)| !a.is_nan() && !b.is_nan());
        let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
        for (a, b) in both() {
            n += 1;
            sx += a;
            sy += b;
        }
        let (mx, my) = (sx / n.max(1) as f64, sy / n.max(1) as f64);
        let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for (a, b) in both() {
            let (dx, dy) = (a - mx, b - my);
            sxx += dx * dx;
            syy += dy * dy;
            sxy += dx * dy;
        }
        Self { n, sxx, syy, sxy }
    }

    fn correlation(&self) -> f64 {
        let d = (self.sxx * self.syy).sqrt();
        if d > 0.0 {
            (self.sxy / d).clamp(-1.0, 1.0)
        } else {
            f64::NAN
        }
    }
}

/// Each coin's annual expected return over its own returns: the arithmetic mean × 365, or with
/// `geometric` the compounded growth rate (Π(1 + r))^(365/n) − 1 (exp(365·mean) − 1 for log
/// returns), n the coin's own count — PyPortfolioOpt's `mean_historical_return` on prices with
/// gaps.
pub fn own_history_means(returns: &GappedReturns, geometric: bool) -> Vec<f64> {
    let ppy = returns.periods_per_year();
    (0..returns.n_assets())
        .map(|j| {
            let r: Vec<f64> = returns
                .column(j)
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            super::mean::annual_mean(&r, returns.kind(), ppy, geometric)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_skip_missing_values_pairwise() {
        let x = [0.01, f64::NAN, 0.03, -0.02, 0.00];
        let y = [0.02, 0.01, f64::NAN, -0.01, 0.01];
        let m = Moments::over_common(&x, &y);
        assert_eq!(m.n, 3);
        // common: x = (0.01, -0.02, 0.00), y = (0.02, -0.01, 0.01)
        let (mx, my) = (-0.01 / 3.0, 0.02 / 3.0);
        let sxy = (0.01 - mx) * (0.02 - my) + (-0.02 - mx) * (-0.01 - my) + (0.0 - mx) * (0.01 - my);
        assert!((m.sxy - sxy).abs() < 1e-18);
    }
}
