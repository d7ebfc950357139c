//! Statistical factors: principal components of the covariance.

use super::{FittedFactorModel, PcaComponents};
use crate::data::Returns;
use crate::estimate::{Covariance, CovarianceSpec, EstimateError};
use crate::linalg::SymMatrix;

/// Fit k principal components of the covariance `estimator` fits to `returns`.
pub(super) fn fit(
    returns: &Returns,
    estimator: &CovarianceSpec,
    components: PcaComponents,
) -> Result<FittedFactorModel, EstimateError> {
    check(returns, components)?;
    fit_on(returns, &estimator.fit(returns)?, components)
}

fn check(returns: &Returns, components: PcaComponents) -> Result<(), EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    if let PcaComponents::Count(k) = components {
        if k > n {
            return Err(EstimateError::Factor(format!(
                "pca:{k} asks for {k} components of {n} coins: at most {n}"
            )));
        }
        if k >= t {
            return Err(EstimateError::Factor(format!(
                "pca:{k} asks for {k} components from {t} return periods: fewer components than periods"
            )));
        }
    }
    Ok(())
}

/// Principal components of `s`, the covariance of `returns` (same coins).
pub(super) fn fit_on(
    returns: &Returns,
    s: &Covariance,
    components: PcaComponents,
) -> Result<FittedFactorModel, EstimateError> {
    check(returns, components)?;
    let (t, n) = (returns.n_periods(), returns.n_assets());
    if s.assets != returns.assets() {
        return Err(EstimateError::Factor(
            "the covariance and the returns cover different coins".into(),
        ));
    }
    let (values, vectors) = s.matrix.eigen_descending().ok_or(EstimateError::NotFinite)?;
    let trace: f64 = s.matrix.diagonal().iter().sum();
    let ratio: Vec<f64> = values.iter().map(|l| l / trace).collect();
    let k = match components {
        PcaComponents::Count(k) => k,
        PcaComponents::Explained(x) => {
            let mut acc = 0.0;
            ratio
                .iter()
                .position(|r| {
                    acc += r;
                    acc >= x
                })
                .map_or(n, |p| p + 1)
        }
    };
    // V_k with the sign rule: each column's entry of largest |value| is positive
    let mut loadings = vec![0.0; n * k];
    for c in 0..k {
        let col: Vec<f64> = (0..n).map(|i| vectors[i * n + c]).collect();
        let big = col
            .iter()
            .enumerate()
            .fold(0, |best, (i, v)| if v.abs() > col[best].abs() { i } else { best });
        let sign = if col[big] < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            loadings[i * k + c] = sign * col[i];
        }
    }
    let mut factor_cov = SymMatrix::zeros(k);
    for c in 0..k {
        factor_cov.set_sym(c, c, values[c]);
    }
    let ppy = s.periods_per_year;
    let diag = s.matrix.diagonal();
    let resid_annual: Vec<f64> = (0..n)
        .map(|i| {
            let explained: f64 = (0..k).map(|c| values[c] * loadings[i * k + c].powi(2)).sum();
            (diag[i] - explained).max(0.0)
        })
        .collect();
    let r2: Vec<f64> = (0..n).map(|i| 1.0 - resid_annual[i] / diag[i]).collect();
    let matrix = super::regression::model_covariance(&loadings, &factor_cov, &resid_annual, n, k);
    let factor_returns = component_returns(returns, &loadings, k);
    Ok(FittedFactorModel {
        model: format!("pca:{k}"),
        factors: (1..=k).map(|c| format!("PC{c}")).collect(),
        assets: returns.assets().to_vec(),
        loadings,
        alpha: None,
        r_squared: r2,
        residual_variance: resid_annual.iter().map(|x| x / ppy).collect(),
        ddof: None,
        factor_covariance: factor_cov,
        covariance: Covariance {
            estimator: "factor-model",
            shrinkage: s.shrinkage,
            ..Covariance::from_matrix(returns.assets().to_vec(), matrix, ppy)?
        },
        eigenvalues: Some(values),
        explained_variance_ratio: Some(ratio),
        periods: t,
        half_life: None,
        beta_adjustment: super::BetaAdjustment::None,
        factor_returns,
    })
}

/// Component returns V_kᵀ (r_t − r̄), T×K column-major.
fn component_returns(returns: &Returns, loadings: &[f64], k: usize) -> Vec<f64> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    let mut out = vec![0.0; t * k];
    for i in 0..n {
        let r = returns.column(i);
        let mean = r.iter().sum::<f64>() / t as f64;
        for c in 0..k {
            let l = loadings[i * k + c];
            for s in 0..t {
                out[c * t + s] += l * (r[s] - mean);
            }
        }
    }
    out
}
