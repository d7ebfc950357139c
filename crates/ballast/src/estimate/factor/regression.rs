//! Time-series regressions of coin returns on factor returns (market and explicit models).

use super::{BetaAdjustment, FactorModel, FactorModelSpec, FittedFactorModel, MarketFactor};
use crate::data::Returns;
use crate::estimate::{Covariance, EstimateError};
use crate::linalg::SymMatrix;

/// The factor series, T×K column-major, and their names.
fn factor_series(
    spec: &FactorModelSpec,
    returns: &Returns,
    external: Option<&Returns>,
) -> Result<(Vec<String>, Vec<f64>), EstimateError> {
    let t = returns.n_periods();
    let lookup = |name: &str| -> Result<Vec<f64>, EstimateError> {
        if let Some(j) = returns.assets().iter().position(|a| a == name) {
            return Ok(returns.column(j).to_vec());
        }
        if let Some(f) = external {
            if let Some(j) = f.assets().iter().position(|a| a == name) {
                return Ok(f.column(j).to_vec());
            }
        }
        let mut known: Vec<&str> = returns.assets().iter().map(String::as_str).collect();
        if let Some(f) = external {
            known.extend(f.assets().iter().map(String::as_str));
        }
        Err(EstimateError::Factor(format!(
            "factor '{name}' is neither a coin of the window nor a factor column ({}); check the spelling; add the coin to the universe (--assets, it may hold 0 weight), or for `factors` and `risk` give its prices in a factor file (--factor-prices)",
            known.join(", ")
        )))
    };
    Ok(match spec {
        FactorModelSpec::Market(MarketFactor::Coin(c)) => (vec![c.clone()], lookup(c)?),
        FactorModelSpec::Market(MarketFactor::EqualWeight) => {
            let n = returns.n_assets() as f64;
            let mut m = vec![0.0; t];
            for j in 0..returns.n_assets() {
                for (x, r) in m.iter_mut().zip(returns.column(j)) {
                    *x += r;
                }
            }
            m.iter_mut().for_each(|x| *x /= n);
            (vec!["equal-weight".into()], m)
        }
        FactorModelSpec::Explicit(names) => {
            let mut cols = Vec::with_capacity(t * names.len());
            for n in names {
                cols.extend(lookup(n)?);
            }
            (names.clone(), cols)
        }
        FactorModelSpec::Pca(_) => unreachable!("PCA is fitted by pca::fit"),
    })
}

/// Observation weights summing to 1: equal, or λ^(T−1−t) with λ = ½^(1/half-life).
fn weights(t: usize, half_life: Option<f64>) -> Vec<f64> {
    match half_life {
        None => vec![1.0 / t as f64; t],
        Some(h) => {
            let lambda = 0.5f64.powf(1.0 / h);
            let mut w: Vec<f64> = (0..t).map(|s| lambda.powi((t - 1 - s) as i32)).collect();
            let total: f64 = w.iter().sum();
            w.iter_mut().for_each(|x| *x /= total);
            w
        }
    }
}

fn weighted_mean(w: &[f64], x: &[f64]) -> f64 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

/// Fit a market or explicit model.
pub(super) fn fit(
    model: &FactorModel,
    spec: &FactorModelSpec,
    returns: &Returns,
    external: Option<&Returns>,
) -> Result<FittedFactorModel, EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    let (factors, f) = factor_series(spec, returns, external)?;
    let k = factors.len();
    if k > n {
        return Err(EstimateError::Factor(format!(
            "{k} factors for {n} coins: a factor model needs no more factors than coins"
        )));
    }
    let ddof = model.residual_ddof.ddof(k);
    if t < k + 3 {
        return Err(EstimateError::TooFewObservations {
            estimator: "factor model",
            needed: k + 3,
            got: t,
        });
    }
    if let Some(bad) = (0..k).find(|&j| f[j * t..(j + 1) * t].iter().any(|x| !x.is_finite())) {
        return Err(EstimateError::Factor(format!(
            "factor '{}' has missing or non-finite returns in the window; choose a window where it has prices",
            factors[bad]
        )));
    }
    let w = weights(t, model.half_life);
    let t_eff = 1.0 / w.iter().map(|x| x * x).sum::<f64>();
    let f_mean: Vec<f64> = (0..k)
        .map(|j| weighted_mean(&w, &f[j * t..(j + 1) * t]))
        .collect();
    let fc: Vec<f64> = (0..k * t).map(|x| f[x] - f_mean[x / t]).collect();
    // weighted factor cross-products C_ff (K×K)
    let mut cff = SymMatrix::zeros(k);
    for a in 0..k {
        for b in a..k {
            let (xa, xb) = (&fc[a * t..(a + 1) * t], &fc[b * t..(b + 1) * t]);
            cff.set_sym(a, b, (0..t).map(|s| w[s] * xa[s] * xb[s]).sum());
        }
    }
    if let Some(j) = (0..k).find(|&j| !(cff.get(j, j) > 0.0)) {
        return Err(EstimateError::Factor(format!(
            "factor '{}' has no variance over the window (a constant series): it explains nothing; drop it",
            factors[j]
        )));
    }
    let mut betas = vec![0.0; n * k];
    let mut sst = vec![0.0; n];
    let mut r_mean = vec![0.0; n];
    for i in 0..n {
        let r = returns.column(i);
        r_mean[i] = weighted_mean(&w, r);
        sst[i] = r.iter().zip(&w).map(|(x, wt)| wt * (x - r_mean[i]).powi(2)).sum();
        if !(sst[i] > 0.0) {
            return Err(EstimateError::ZeroVariance {
                asset: returns.assets()[i].clone(),
            });
        }
        let cfr: Vec<f64> = (0..k)
            .map(|j| (0..t).map(|s| w[s] * fc[j * t + s] * (r[s] - r_mean[i])).sum())
            .collect();
        let b = cff.solve(&cfr).ok_or_else(|| collinear(&factors))?;
        betas[i * k..(i + 1) * k].copy_from_slice(&b);
    }
    if k == 1 {
        adjust_betas(
            model.beta_adjustment,
            &mut betas,
            returns,
            &f,
            &w,
            cff.get(0, 0),
            t_eff,
        );
    }
    let mut alpha = vec![0.0; n];
    let mut resid = vec![0.0; n];
    let mut r2 = vec![0.0; n];
    for i in 0..n {
        let (a, ssr) = residuals(
            returns.column(i),
            &f,
            &betas[i * k..(i + 1) * k],
            &w,
            r_mean[i],
            &f_mean,
        );
        alpha[i] = a;
        resid[i] = ssr * t_eff / (t_eff - ddof as f64);
        r2[i] = 1.0 - ssr / sst[i];
    }
    let factor_cov = cff.scaled(t_eff / (t_eff - 1.0));
    let ppy = returns.periods_per_year();
    let matrix = model_covariance(&betas, &factor_cov, &resid, n, k).scaled(ppy);
    Ok(FittedFactorModel {
        model: spec.to_string(),
        factors,
        assets: returns.assets().to_vec(),
        loadings: betas,
        alpha: Some(alpha),
        r_squared: r2,
        residual_variance: resid,
        ddof: Some(ddof),
        factor_covariance: factor_cov.scaled(ppy),
        covariance: Covariance {
            estimator: "factor-model",
            ..Covariance::from_matrix(returns.assets().to_vec(), matrix, ppy)?
        },
        eigenvalues: None,
        explained_variance_ratio: None,
        periods: t,
        half_life: model.half_life,
        beta_adjustment: model.beta_adjustment,
        factor_returns: f,
    })
}

fn collinear(factors: &[String]) -> EstimateError {
    EstimateError::Factor(format!(
        "the factors {} are collinear over the window (their covariance is singular): drop one",
        factors.join(", ")
    ))
}

/// α = r̄ − βᵀf̄ and the weighted sum of squared residuals Σ w ε².
fn residuals(r: &[f64], f: &[f64], beta: &[f64], w: &[f64], r_mean: f64, f_mean: &[f64]) -> (f64, f64) {
    let t = r.len();
    let alpha = r_mean - beta.iter().zip(f_mean).map(|(b, m)| b * m).sum::<f64>();
    let mut ssr = 0.0;
    for s in 0..t {
        let fit: f64 = beta.iter().enumerate().map(|(j, b)| b * f[j * t + s]).sum();
        ssr += w[s] * (r[s] - alpha - fit).powi(2);
    }
    (alpha, ssr)
}

/// B F Bᵀ + diag(d) (daily).
pub(super) fn model_covariance(b: &[f64], f: &SymMatrix, d: &[f64], n: usize, k: usize) -> SymMatrix {
    let mut bf = vec![0.0; n * k];
    for i in 0..n {
        for q in 0..k {
            bf[i * k + q] = (0..k).map(|p| b[i * k + p] * f.get(p, q)).sum();
        }
    }
    let mut s = SymMatrix::zeros(n);
    for i in 0..n {
        for j in i..n {
            let v: f64 = (0..k).map(|q| bf[i * k + q] * b[j * k + q]).sum();
            s.set_sym(i, j, if i == j { v + d[i] } else { v });
        }
    }
    s
}

/// Shrink market-model betas in place (one factor).
fn adjust_betas(
    how: BetaAdjustment,
    betas: &mut [f64],
    returns: &Returns,
    m: &[f64],
    w: &[f64],
    var_m: f64,
    t_eff: f64,
) {
    match how {
        BetaAdjustment::None => {}
        BetaAdjustment::Blume => betas.iter_mut().for_each(|b| *b = 0.67 * *b + 0.33),
        BetaAdjustment::Vasicek => {
            let n = betas.len();
            if n < 2 {
                return;
            }
            let mean = betas.iter().sum::<f64>() / n as f64;
            let cs_var = betas.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let m_mean = weighted_mean(w, m);
            for i in 0..n {
                let r = returns.column(i);
                let r_mean = weighted_mean(w, r);
                let (_, ssr) = residuals(r, m, &betas[i..=i], w, r_mean, &[m_mean]);
                let se2 = ssr * t_eff / (t_eff - 2.0) / (t_eff * var_m);
                if se2 + cs_var > 0.0 {
                    betas[i] = (mean * se2 + betas[i] * cs_var) / (se2 + cs_var);
                }
            }
        }
    }
}
