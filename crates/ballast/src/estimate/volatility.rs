//! Volatility models for covariance: EWMA volatilities and constant conditional correlation.

use super::{Covariance, CovarianceMethod, EstimateError, Ewma, Garch11, GarchDist};
use crate::data::Returns;
use crate::SymMatrix;

/// Where the per-asset volatilities of a [`ccc_covariance`] come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolModel {
    /// RiskMetrics EWMA with decay λ.
    Ewma(f64),
    /// GARCH(1,1) one-step forecast with the given innovations.
    Garch(GarchDist),
}

/// Annualised EWMA volatilities (RiskMetrics, zero mean): √diag of [`Ewma`]'s covariance.
pub fn ewma_volatility(returns: &Returns, lambda: f64) -> Result<Vec<f64>, EstimateError> {
    Ok(Ewma { lambda }.fit(returns)?.volatilities())
}

/// Constant conditional correlation covariance (Bollerslev 1990): Σ = D R D with D the
/// per-asset volatility forecasts of `model` (annualised) and R the sample correlation of the
/// returns standardised by their conditional volatilities. Positive semi-definite by
/// construction.
///
/// # Errors
/// Those of the volatility model; a zero-variance series (named).
pub fn ccc_covariance(returns: &Returns, model: VolModel) -> Result<Covariance, EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    let ppy = returns.periods_per_year();
    let mut vols = Vec::with_capacity(n);
    let mut std_cols: Vec<f64> = Vec::with_capacity(t * n);
    for j in 0..n {
        let r = returns.column(j);
        match model {
            VolModel::Ewma(lambda) => {
                if !(lambda > 0.0 && lambda < 1.0) {
                    return Err(EstimateError::BadParameter {
                        estimator: "ccc",
                        name: "lambda",
                        value: lambda,
                        expected: "0 < lambda < 1",
                    });
                }
                // σ²_t is the EWMA up to t − 1 (predictive), started at the first square
                let mut s2 = r[0] * r[0];
                for x in r {
                    let sd = s2.sqrt();
                    std_cols.push(if sd > 0.0 { x / sd } else { 0.0 });
                    s2 = lambda * s2 + (1.0 - lambda) * x * x;
                }
                vols.push((s2 * ppy).sqrt());
            }
            VolModel::Garch(dist) => {
                let y: Vec<f64> = r.iter().map(|x| 100.0 * x).collect();
                let fit = Garch11 { dist }.fit(&y).map_err(|e| match e {
                    EstimateError::ConstantSeries => EstimateError::ZeroVariance {
                        asset: returns.assets()[j].clone(),
                    },
                    other => other,
                })?;
                for (yi, v) in y.iter().zip(&fit.conditional_variance) {
                    std_cols.push((yi - fit.params.mu) / v.sqrt());
                }
                vols.push((fit.forecast_variance(1)?[0] * ppy).sqrt() / 100.0);
            }
        }
    }
    let z = Returns::new(
        returns.dates().to_vec(),
        returns.assets().to_vec(),
        std_cols,
        returns.kind(),
        ppy,
    )
    .map_err(|_| EstimateError::NotFinite)?;
    let corr = super::SampleCovariance::default().fit(&z)?.correlation()?;
    let mut m = SymMatrix::zeros(n);
    for i in 0..n {
        for k in i..n {
            m.set_sym(i, k, vols[i] * vols[k] * corr.get(i, k));
        }
    }
    Ok(Covariance {
        assets: returns.assets().to_vec(),
        matrix: m,
        periods_per_year: ppy,
        shrinkage: None,
        estimator: match model {
            VolModel::Ewma(_) => CovarianceMethod::CccEwma,
            VolModel::Garch(GarchDist::Normal) => CovarianceMethod::CccGarch,
            VolModel::Garch(GarchDist::StudentT) => CovarianceMethod::CccGarchT,
        }
        .name(),
        repaired: None,
    })
}
