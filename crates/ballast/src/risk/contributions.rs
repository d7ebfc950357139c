//! Portfolio volatility and Euler risk contributions.

use super::RiskError;
use crate::linalg::SymMatrix;

/// Euler decomposition of portfolio volatility σ(w) = √(w'Σw), which is homogeneous of degree 1:
/// σ = Σ_i w_i ∂σ/∂w_i.
///
/// Units follow Σ: with an annualised covariance, `volatility` and `component` are annual.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskContributions {
    /// σ = √(w'Σw).
    pub volatility: f64,
    /// Marginal contributions ∂σ/∂w_i = (Σw)_i / σ.
    pub marginal: Vec<f64>,
    /// Component contributions w_i (Σw)_i / σ; they sum to σ.
    pub component: Vec<f64>,
    /// Percent (relative) contributions w_i (Σw)_i / (w'Σw); they sum to 1.
    pub percent: Vec<f64>,
}

/// √(w'Σw).
///
/// # Errors
/// [`RiskError::WeightLength`] if `w` has the wrong length.
pub fn portfolio_volatility(cov: &SymMatrix, w: &[f64]) -> Result<f64, RiskError> {
    check_len(cov, w)?;
    Ok(cov.quad_form(w).max(0.0).sqrt())
}

fn check_len(cov: &SymMatrix, w: &[f64]) -> Result<(), RiskError> {
    if w.len() != cov.dim() {
        return Err(RiskError::WeightLength {
            expected: cov.dim(),
            got: w.len(),
        });
    }
    Ok(())
}

/// Euler risk contributions of weights `w` (length N) under covariance `cov` (N×N).
///
/// # Formula
/// σ = √(w'Σw); marginal (Σw)_i/σ; component w_i(Σw)_i/σ (summing to σ); percent
/// w_i(Σw)_i/(w'Σw) (summing to 1).
///
/// # Errors
/// Wrong length; `w'Σw ≤ 0` (e.g. all-cash), where contributions are undefined.
pub fn risk_contributions(cov: &SymMatrix, w: &[f64]) -> Result<RiskContributions, RiskError> {
    check_len(cov, w)?;
    let sw = cov.mul_vec(w);
    let var: f64 = sw.iter().zip(w).map(|(a, b)| a * b).sum();
    if !(var > 0.0) {
        return Err(RiskError::ZeroVariance(var));
    }
    let vol = var.sqrt();
    Ok(RiskContributions {
        volatility: vol,
        marginal: sw.iter().map(|s| s / vol).collect(),
        component: sw.iter().zip(w).map(|(s, wi)| wi * s / vol).collect(),
        percent: sw.iter().zip(w).map(|(s, wi)| wi * s / var).collect(),
    })
}
