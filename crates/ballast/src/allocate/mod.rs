//! Allocation: inverse volatility, equal risk contribution (ERC), risk budgeting and
//! volatility targeting.
//!
//! Allocators take an annualised [`Covariance`](crate::estimate::Covariance) and return an
//! [`Allocation`]: long-only weights summing to 1 (before any volatility-target overlay), their
//! percent risk contributions and the portfolio's annual volatility.

mod bounds;
mod inverse_vol;
mod risk_budget;
mod vol_target;

pub use bounds::WeightBounds;
pub use inverse_vol::inverse_volatility;
pub use risk_budget::{RiskBudgeting, SolverReport};
pub use vol_target::{vol_target, VolTarget, VolTargeted};

use crate::estimate::Covariance;
use crate::risk::risk_contributions;

/// Errors from allocators.
#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    #[error("risk budgets: {0}")]
    BadBudgets(String),
    #[error("infeasible constraints: {0}")]
    Infeasible(String),
    #[error("{0}")]
    BadParameter(String),
    #[error(transparent)]
    Covariance(#[from] crate::estimate::EstimateError),
    #[error("risk-budgeting solver did not converge in {iterations} sweeps (max |RC − budget| = {error:.3e}, tolerance {tolerance:.1e})")]
    NotConverged {
        iterations: usize,
        error: f64,
        tolerance: f64,
    },
}

/// Result of an allocator.
#[derive(Debug, Clone)]
pub struct Allocation {
    /// Method name (`inverse-vol`, `erc`, `risk-budget`).
    pub method: &'static str,
    /// Asset names, same order as the covariance.
    pub assets: Vec<String>,
    /// Weights, fractions of portfolio value, length N, summing to 1.
    pub weights: Vec<f64>,
    /// Percent risk contributions w_i (Σw)_i / w'Σw, summing to 1.
    pub risk_contributions: Vec<f64>,
    /// Annual volatility √(w'Σw) with Σ annualised.
    pub volatility_annual: f64,
    /// Solver diagnostics (iterative methods only).
    pub solver: Option<SolverReport>,
}

impl Allocation {
    pub(crate) fn new(
        method: &'static str,
        cov: &Covariance,
        weights: Vec<f64>,
        solver: Option<SolverReport>,
    ) -> Result<Self, AllocateError> {
        let rc = risk_contributions(&cov.matrix, &weights)
            .map_err(|e| AllocateError::BadParameter(e.to_string()))?;
        Ok(Self {
            method,
            assets: cov.assets.clone(),
            weights,
            risk_contributions: rc.percent,
            volatility_annual: rc.volatility,
            solver,
        })
    }
}

/// Reject covariances an allocator cannot use (non-finite, zero variance, not PD).
pub(crate) fn check_cov(cov: &Covariance) -> Result<(), AllocateError> {
    cov.validate().map_err(AllocateError::from)
}
