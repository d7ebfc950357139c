//! Value at Risk and Conditional Value at Risk (expected shortfall) of a return series.
//!
//! All functions take per-period simple returns `r` (length T) and a confidence `c` (e.g. 0.95)
//! and return a **positive loss** as a fraction of portfolio value over one period.

use super::{check_confidence, RiskError};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// VaR/CVaR estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarMethod {
    /// Empirical quantile of the observed returns.
    Historical,
    /// Normal distribution with the sample mean and standard deviation (ddof = 1).
    Gaussian,
    /// Cornish–Fisher expansion of the normal quantile with sample skewness and excess kurtosis.
    CornishFisher,
}

impl VarMethod {
    /// Stable key used in JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Self::Historical => "historical",
            Self::Gaussian => "gaussian",
            Self::CornishFisher => "cornish_fisher",
        }
    }
}

/// Sample moments of a return series.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Moments {
    /// Arithmetic mean.
    pub mean: f64,
    /// Standard deviation with ddof = 1.
    pub std: f64,
    /// Population (biased) skewness m3 / m2^1.5 (scipy `skew(bias=True)`).
    pub skewness: f64,
    /// Population (biased) excess kurtosis m4 / m2² − 3 (scipy `kurtosis(bias=True)`).
    pub excess_kurtosis: f64,
}

/// Moments of `r`.
///
/// # Errors
/// [`RiskError`]: fewer than 2 observations, non-finite values.
pub fn moments(r: &[f64]) -> Result<Moments, RiskError> {
    let t = r.len();
    if t < 2 {
        return Err(RiskError::TooFewObservations { needed: 2, got: t });
    }
    if r.iter().any(|v| !v.is_finite()) {
        return Err(RiskError::NotFinite);
    }
    let tf = t as f64;
    let mean = r.iter().sum::<f64>() / tf;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for x in r {
        let d = x - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let std = (m2 / (tf - 1.0)).sqrt();
    let (m2, m3, m4) = (m2 / tf, m3 / tf, m4 / tf);
    let (skewness, excess_kurtosis) = if m2 > 0.0 {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    } else {
        (0.0, 0.0)
    };
    Ok(Moments {
        mean,
        std,
        skewness,
        excess_kurtosis,
    })
}

/// Standard normal quantile Φ⁻¹(p): −∞ at p = 0, +∞ at p = 1, NaN outside [0, 1] (never a
/// panic).
pub fn normal_quantile(p: f64) -> f64 {
    if p > 0.0 && p < 1.0 {
        Normal::standard().inverse_cdf(p)
    } else if p == 0.0 {
        f64::NEG_INFINITY
    } else if p == 1.0 {
        f64::INFINITY
    } else {
        f64::NAN
    }
}

fn check(r: &[f64], c: f64) -> Result<f64, RiskError> {
    let a = check_confidence(c)?;
    if r.is_empty() {
        return Err(RiskError::TooFewObservations { needed: 1, got: 0 });
    }
    if r.iter().any(|v| !v.is_finite()) {
        return Err(RiskError::NotFinite);
    }
    Ok(a)
}

/// Number of tail observations k = ⌈(1 − c)·T⌉, clamped to [1, T]. A product within 1e-9
/// (relative) of a whole number is that number: 1 − 0.99 is 0.010000000000000009 in floating
/// point, and ⌈that × 100,000⌉ would be 1,001, not the 1,000 of α = 0.01 (the peers pass α).
pub(crate) fn tail_count(a: f64, t: usize) -> usize {
    let at = a * t as f64;
    let k = if (at - at.round()).abs() <= 1e-9 * at.max(1.0) {
        at.round()
    } else {
        at.ceil()
    };
    (k as usize).clamp(1, t.max(1))
}

/// Historical VaR at confidence `c` of the returns `r` (Riskfolio-Lib `VaR_Hist`, skfolio
/// `value_at_risk`), a positive loss.
///
/// # Formula
/// VaR = −r₍ₖ₎, the k-th smallest return, k = ⌈(1 − c)·T⌉ (at least 1).
///
/// # Errors
/// [`RiskError`]: c outside (0, 1), an empty or non-finite series.
pub fn historical_var(r: &[f64], c: f64) -> Result<f64, RiskError> {
    let a = check(r, c)?;
    let k = tail_count(a, r.len());
    let mut v = r.to_vec();
    let (_, kth, _) = v.select_nth_unstable_by(k - 1, f64::total_cmp);
    Ok(-*kth)
}

/// Historical CVaR (expected shortfall) at confidence `c` (Rockafellar & Uryasev 2000;
/// Riskfolio-Lib `CVaR_Hist`, skfolio `cvar`), a positive loss.
///
/// # Formula
/// CVaR = VaR + Σ_t max(−r_t − VaR, 0) / ((1 − c)·T), VaR from [`historical_var`].
///
/// # Errors
/// As [`historical_var`].
pub fn historical_cvar(r: &[f64], c: f64) -> Result<f64, RiskError> {
    let a = check(r, c)?;
    let var = historical_var(r, c)?;
    let excess: f64 = r.iter().map(|x| (-x - var).max(0.0)).sum();
    Ok(var + excess / (a * r.len() as f64))
}

/// Gaussian VaR at confidence `c`.
///
/// # Formula
/// VaR = −(μ + σ z), z = Φ⁻¹(1 − c), μ and σ (ddof = 1) of the returns.
///
/// # Errors
/// As [`historical_var`]; fewer than 2 returns.
pub fn gaussian_var(r: &[f64], c: f64) -> Result<f64, RiskError> {
    check(r, c)?;
    moments(r)?.gaussian_var(c)
}

/// Gaussian CVaR (expected shortfall) at confidence `c`.
///
/// # Formula
/// CVaR = −μ + σ φ(z) / (1 − c), z = Φ⁻¹(1 − c).
///
/// # Errors
/// As [`gaussian_var`].
pub fn gaussian_cvar(r: &[f64], c: f64) -> Result<f64, RiskError> {
    check(r, c)?;
    moments(r)?.gaussian_cvar(c)
}

/// Cornish–Fisher (modified) VaR at confidence `c` (Zangari 1996; Favre & Galeano 2002).
///
/// # Formula
/// VaR = −(μ + σ z_cf), z_cf = z + (z² − 1)S/6 + (z³ − 3z)K/24 − (2z³ − 5z)S²/36,
/// z = Φ⁻¹(1 − c), S the population skewness, K the population excess kurtosis, σ with
/// ddof = 1.
///
/// # Errors
/// As [`gaussian_var`].
pub fn cornish_fisher_var(r: &[f64], c: f64) -> Result<f64, RiskError> {
    check(r, c)?;
    moments(r)?.cornish_fisher_var(c)
}

impl Moments {
    /// [`gaussian_var`] from already computed moments.
    pub fn gaussian_var(&self, c: f64) -> Result<f64, RiskError> {
        let a = check_confidence(c)?;
        Ok(-(self.mean + self.std * normal_quantile(a)))
    }

    /// [`gaussian_cvar`] from already computed moments.
    pub fn gaussian_cvar(&self, c: f64) -> Result<f64, RiskError> {
        let a = check_confidence(c)?;
        let z = normal_quantile(a);
        Ok(-self.mean + self.std * Normal::standard().pdf(z) / a)
    }

    /// [`cornish_fisher_var`] from already computed moments.
    pub fn cornish_fisher_var(&self, c: f64) -> Result<f64, RiskError> {
        let a = check_confidence(c)?;
        let z = normal_quantile(a);
        let (s, k) = (self.skewness, self.excess_kurtosis);
        let z2 = z * z;
        let z3 = z2 * z;
        let zcf = z + (z2 - 1.0) * s / 6.0 + (z3 - 3.0 * z) * k / 24.0 - (2.0 * z3 - 5.0 * z) * s * s / 36.0;
        Ok(-(self.mean + self.std * zcf))
    }
}
