//! Volatility targeting: scale a risky portfolio to a target annual volatility.

use super::AllocateError;
use crate::linalg::SymMatrix;
use crate::risk::portfolio_volatility;

/// Volatility-target overlay parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolTarget {
    /// Target annual volatility, e.g. 0.40 for 40 %/year.
    pub target: f64,
    /// Cap on gross exposure Σ|w| after scaling (1.0 = no borrowing, the default).
    pub max_leverage: f64,
}

impl VolTarget {
    /// A target with no borrowing (max leverage 1).
    pub fn new(target: f64) -> Self {
        Self {
            target,
            max_leverage: 1.0,
        }
    }
}

/// Weights after the overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct VolTargeted {
    /// Scaled risky weights k·w.
    pub weights: Vec<f64>,
    /// Cash weight 1 − Σ k·w (negative = borrowing).
    pub cash: f64,
    /// Scale factor k = min(target / σ(w), max_leverage / Σ|w|).
    pub scale: f64,
    /// Annual volatility before scaling.
    pub volatility_before: f64,
    /// Annual volatility after scaling (= target unless the leverage cap binds).
    pub volatility_after: f64,
    /// True if the leverage cap stopped the scaling short of the target.
    pub leverage_capped: bool,
}

/// Scale `w` so that √(w'Σw) equals `spec.target` with `cov` annualised, capped so that the
/// gross exposure does not exceed `spec.max_leverage`; the rest is cash (zero volatility).
///
/// # Formula
/// k = min(target / σ(w), max_leverage / Σ|w_i|); weights k·w, cash 1 − Σ k·w_i.
///
/// # Errors
/// Target or leverage not finite and > 0; zero-volatility weights.
pub fn vol_target(cov: &SymMatrix, w: &[f64], spec: VolTarget) -> Result<VolTargeted, AllocateError> {
    if !(spec.target.is_finite() && spec.target > 0.0) {
        return Err(AllocateError::BadParameter(format!(
            "volatility target {} must be > 0 (annual, e.g. 0.4 for 40%)",
            spec.target
        )));
    }
    if !(spec.max_leverage.is_finite() && spec.max_leverage > 0.0) {
        return Err(AllocateError::BadParameter(format!(
            "max_leverage {} must be > 0",
            spec.max_leverage
        )));
    }
    let vol = portfolio_volatility(cov, w).map_err(|e| AllocateError::BadParameter(e.to_string()))?;
    if !(vol > 0.0) {
        return Err(AllocateError::BadParameter(
            "cannot volatility-target a portfolio with zero volatility".into(),
        ));
    }
    let gross: f64 = w.iter().map(|v| v.abs()).sum();
    let k_target = spec.target / vol;
    let k_cap = spec.max_leverage / gross;
    let scale = k_target.min(k_cap);
    let weights: Vec<f64> = w.iter().map(|v| v * scale).collect();
    Ok(VolTargeted {
        cash: 1.0 - weights.iter().sum::<f64>(),
        weights,
        scale,
        volatility_before: vol,
        volatility_after: vol * scale,
        leverage_capped: k_cap < k_target,
    })
}
