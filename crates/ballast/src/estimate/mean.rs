//! Expected-return estimators, annualised.

use super::EstimateError;
use crate::data::{ReturnKind, Returns};

/// Historical arithmetic mean × periods per year (PyPortfolioOpt
/// `mean_historical_return(compounding=False, frequency=365)`). Length N, annual.
///
/// # Errors
/// Fewer than 1 period.
pub fn historical_mean(returns: &Returns) -> Result<Vec<f64>, EstimateError> {
    let t = returns.n_periods();
    if t == 0 {
        return Err(EstimateError::TooFewObservations {
            estimator: "historical mean",
            needed: 1,
            got: 0,
        });
    }
    Ok((0..returns.n_assets())
        .map(|j| returns.column(j).iter().sum::<f64>() / t as f64 * returns.periods_per_year())
        .collect())
}

/// The annual expected return of one series of per-period returns: the arithmetic mean × `ppy`,
/// or with `geometric` the compounded growth rate (Π(1 + r))^(ppy/n) − 1 (exp(ppy·mean) − 1 for
/// log returns). NaN for an empty series.
pub(crate) fn annual_mean(r: &[f64], kind: ReturnKind, ppy: f64, geometric: bool) -> f64 {
    let n = r.len() as f64;
    if r.is_empty() {
        return f64::NAN;
    }
    match (geometric, kind) {
        (false, _) => r.iter().sum::<f64>() / n * ppy,
        (true, ReturnKind::Log) => (r.iter().sum::<f64>() / n * ppy).exp_m1(),
        // Σ ln(1 + r) keeps long histories from overflowing the product
        (true, ReturnKind::Simple) => (r.iter().map(|x| x.ln_1p()).sum::<f64>() / n * ppy).exp_m1(),
    }
}

/// Geometric (compounded) mean return per asset, annualised: the constant annual rate that
/// grows 1 into the asset's value over the window, (Π(1 + r_t))^(365/T) − 1 (PyPortfolioOpt
/// `mean_historical_return(compounding=True, frequency=365)`; the CAGR). Length N.
///
/// # Formula
/// μ_g = exp(365/T · Σ ln(1 + r_t)) − 1 (for log returns exp(365 · mean) − 1). Always ≤ the
/// arithmetic mean's 365·r̄ compounded, by the AM–GM inequality: volatility drag.
///
/// # Errors
/// Fewer than 1 period.
pub fn geometric_mean(returns: &Returns) -> Result<Vec<f64>, EstimateError> {
    if returns.n_periods() == 0 {
        return Err(EstimateError::TooFewObservations {
            estimator: "geometric mean",
            needed: 1,
            got: 0,
        });
    }
    Ok((0..returns.n_assets())
        .map(|j| {
            annual_mean(
                returns.column(j),
                returns.kind(),
                returns.periods_per_year(),
                true,
            )
        })
        .collect())
}

/// Exponentially weighted mean × periods per year: weights (1 − λ) λ^{T−t}, normalised
/// (λ = 0.94 ↔ half-life ≈ 11 days).
///
/// # Errors
/// λ outside (0, 1); no periods.
pub fn ewma_mean(returns: &Returns, lambda: f64) -> Result<Vec<f64>, EstimateError> {
    if !(lambda > 0.0 && lambda < 1.0) {
        return Err(EstimateError::BadParameter {
            estimator: "ewma mean",
            name: "lambda",
            value: lambda,
            expected: "0 < lambda < 1",
        });
    }
    let t = returns.n_periods();
    if t == 0 {
        return Err(EstimateError::TooFewObservations {
            estimator: "ewma mean",
            needed: 1,
            got: 0,
        });
    }
    let w: Vec<f64> = (0..t).map(|s| lambda.powi((t - 1 - s) as i32)).collect();
    let tot: f64 = w.iter().sum();
    Ok((0..returns.n_assets())
        .map(|j| {
            returns.column(j).iter().zip(&w).map(|(r, w)| r * w).sum::<f64>() / tot
                * returns.periods_per_year()
        })
        .collect())
}

/// James–Stein shrinkage of the historical means toward their cross-sectional average
/// (Jorion 1986 style, positive-part): μ_JS = μ̄ + (1 − c)(μ − μ̄) with
/// c = min(1, (N − 3) · s² / ‖μ − μ̄‖²), s² the average variance of the mean estimates (σ_i²/T).
/// Annualised.
///
/// # Errors
/// Fewer than 4 assets or 2 periods.
pub fn james_stein_mean(returns: &Returns) -> Result<Vec<f64>, EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    if n < 4 || t < 2 {
        return Err(EstimateError::TooFewObservations {
            estimator: "James-Stein mean",
            needed: 4,
            got: n.min(t),
        });
    }
    let ppy = returns.periods_per_year();
    let means: Vec<f64> = (0..n)
        .map(|j| returns.column(j).iter().sum::<f64>() / t as f64)
        .collect();
    let s2: f64 = (0..n)
        .map(|j| {
            let m = means[j];
            returns.column(j).iter().map(|r| (r - m) * (r - m)).sum::<f64>() / (t as f64 - 1.0) / t as f64
        })
        .sum::<f64>()
        / n as f64;
    let grand = means.iter().sum::<f64>() / n as f64;
    let dist: f64 = means.iter().map(|m| (m - grand) * (m - grand)).sum();
    let c = if dist > 0.0 {
        ((n as f64 - 3.0) * s2 / dist).min(1.0)
    } else {
        1.0
    };
    Ok(means
        .iter()
        .map(|m| (grand + (1.0 - c) * (m - grand)) * ppy)
        .collect())
}

/// Volatility-adjusted momentum per asset: the trailing simple return over the last `lookback`
/// periods (compounded: Π(1 + r) − 1, or exp(Σr) − 1 for log returns) divided by the annualised
/// volatility over the same periods (a Sharpe-like signal).
///
/// # Errors
/// `lookback` < 2 or longer than the window.
pub fn vol_adjusted_momentum(returns: &Returns, lookback: usize) -> Result<Vec<f64>, EstimateError> {
    let t = returns.n_periods();
    if lookback < 2 || lookback > t {
        return Err(EstimateError::TooFewObservations {
            estimator: "momentum",
            needed: lookback.max(2),
            got: t,
        });
    }
    let ppy = returns.periods_per_year();
    Ok((0..returns.n_assets())
        .map(|j| {
            let r = &returns.column(j)[t - lookback..];
            let growth = match returns.kind() {
                ReturnKind::Simple => r.iter().fold(1.0, |g, x| g * (1.0 + x)) - 1.0,
                ReturnKind::Log => r.iter().sum::<f64>().exp_m1(),
            };
            let m = r.iter().sum::<f64>() / lookback as f64;
            let sd = (r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (lookback as f64 - 1.0)).sqrt()
                * ppy.sqrt();
            if sd > 0.0 {
                growth / sd
            } else {
                0.0
            }
        })
        .collect())
}

/// Tilt `weights` towards a signal: w'_i ∝ w_i · exp(κ·z_i) with z the cross-sectional
/// z-score of `signal` (e.g. [`vol_adjusted_momentum`]) and κ = `strength` ≥ 0, rescaled to
/// the original Σw (long-only weights stay long-only; κ = 0 changes nothing). A constant
/// signal leaves the weights as they are.
///
/// # Errors
/// Lengths differ, κ negative or not finite, a non-finite signal.
pub fn signal_tilt(weights: &[f64], signal: &[f64], strength: f64) -> Result<Vec<f64>, EstimateError> {
    if weights.len() != signal.len()
        || !(strength >= 0.0 && strength.is_finite())
        || signal.iter().any(|s| !s.is_finite())
    {
        return Err(EstimateError::BadParameter {
            estimator: "signal tilt",
            name: "strength",
            value: strength,
            expected: "κ ≥ 0, one finite signal value per weight",
        });
    }
    let n = signal.len() as f64;
    let m = signal.iter().sum::<f64>() / n;
    let sd = (signal.iter().map(|s| (s - m) * (s - m)).sum::<f64>() / n).sqrt();
    if !(sd > 0.0) {
        return Ok(weights.to_vec());
    }
    let raw: Vec<f64> = weights
        .iter()
        .zip(signal)
        .map(|(w, s)| w * (strength * (s - m) / sd).exp())
        .collect();
    let (before, after): (f64, f64) = (weights.iter().sum(), raw.iter().sum());
    Ok(raw.iter().map(|x| x * before / after).collect())
}
