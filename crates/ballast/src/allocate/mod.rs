//! Allocation: inverse volatility, equal risk contribution (ERC), risk budgeting, volatility
//! targeting, the mean-variance family and Black–Litterman (Clarabel), hierarchical risk
//! parity and HERC, minimum CVaR — and [`AllocationSpec`], the rule that names one of them
//! with its parameters and constraints.
//!
//! Allocators take an annualised [`crate::estimate::Covariance`] (N×N, ×365) and return
//! weights over its assets: the risk-based ones an [`Allocation`] (long-only weights summing
//! to 1 before any volatility-target overlay, percent risk contributions, annual volatility).

mod black_litterman;
mod bounds;
mod conic;
mod constraints;
mod dendrogram;
mod hrp;
mod inverse_vol;
mod mean_variance;
mod min_cvar;
mod risk_budget;
mod spec;
mod vol_target;

pub use black_litterman::{views_from_pairs, BlPosterior, BlackLitterman, ViewUncertainty};
pub use bounds::WeightBounds;
pub use constraints::{Constraints, ConstraintsSpec, Group, GroupSpec};
pub use dendrogram::{Dendrogram, Linkage};
pub use hrp::{herc, hrp, hrp_order, hrp_with, HrpConfig, LeafOrder};
pub use inverse_vol::inverse_volatility;
pub use mean_variance::{efficient_frontier, mean_variance, MvObjective, MvPortfolio};
pub use min_cvar::{min_cvar, CvarPortfolio};
pub use risk_budget::{RiskBudgeting, SolverReport};
pub use spec::{Allocated, AllocationSpec, METHODS};
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
    #[error("max-Sharpe needs an asset with expected return above the risk-free rate {risk_free}; none has (use min-variance, or lower the risk-free rate)")]
    NoPositiveExcessReturn { risk_free: f64 },
    #[error("optimiser: {0}")]
    Solver(String),
    #[error("risk-budgeting solver did not converge in {iterations} sweeps (max |RC − budget| = {error:.3e}, tolerance {tolerance:.1e})")]
    NotConverged {
        iterations: usize,
        error: f64,
        tolerance: f64,
    },
}

/// Result of an allocator. Vectors follow the asset order of the covariance it was given
/// (`Covariance::assets`).
#[derive(Debug, Clone)]
pub struct Allocation {
    /// Method name (`inverse-vol`, `erc`, `risk-budget`).
    pub method: &'static str,
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
    /// An allocation from given weights (N, covariance order): computes their percent risk
    /// contributions and annual volatility under `cov`.
    ///
    /// Errors: a covariance that gives a non-finite or non-positive portfolio variance (the
    /// error says what is wrong with it).
    pub fn new(
        method: &'static str,
        cov: &Covariance,
        weights: Vec<f64>,
        solver: Option<SolverReport>,
    ) -> Result<Self, AllocateError> {
        let rc = match risk_contributions(&cov.matrix, &weights) {
            Ok(rc) if rc.volatility.is_finite() => rc,
            // a non-finite or non-positive variance means a broken matrix: say what is wrong
            other => {
                cov.validate()?;
                return Err(AllocateError::BadParameter(match other {
                    Err(e) => e.to_string(),
                    Ok(_) => "portfolio variance is not finite".into(),
                }));
            }
        };
        Ok(Self {
            method,
            weights,
            risk_contributions: rc.percent,
            volatility_annual: rc.volatility,
            solver,
        })
    }
}

impl Allocation {
    /// Build from weights and Σw already computed (saves an O(N²) product).
    pub(crate) fn from_sigma_w(
        method: &'static str,
        weights: Vec<f64>,
        sigma_w: &[f64],
        solver: Option<SolverReport>,
    ) -> Self {
        let var: f64 = weights.iter().zip(sigma_w).map(|(a, b)| a * b).sum();
        Self {
            method,
            risk_contributions: weights.iter().zip(sigma_w).map(|(w, s)| w * s / var).collect(),
            volatility_annual: var.sqrt(),
            weights,
            solver,
        }
    }
}

/// O(N) screening for iterative solvers, which detect non-finite entries themselves (NaN
/// propagates into Σx) and call [`Covariance::validate`] when they fail, to say why.
pub(crate) fn check_diagonal(cov: &Covariance) -> Result<(), AllocateError> {
    if cov.matrix.diagonal().iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(explain(cov));
    }
    Ok(())
}

/// The error that says what is wrong with a covariance a screen rejected.
fn explain(cov: &Covariance) -> AllocateError {
    cov.validate()
        .err()
        .unwrap_or(crate::estimate::EstimateError::NotFinite)
        .into()
}

/// O(N²) screening of a covariance before an allocator runs: finite entries, positive
/// variances, |correlations| ≤ 1. The O(N³) positive-definiteness test
/// ([`Covariance::validate`]) is left to the caller, once per estimate, or runs when a solver
/// fails, to explain why.
pub(crate) fn check_cov(cov: &Covariance) -> Result<(), AllocateError> {
    let m = &cov.matrix;
    let d = m.diagonal();
    let mut bad = d.iter().any(|v| !(v.is_finite() && *v > 0.0));
    for i in 0..m.dim() {
        if bad {
            break;
        }
        // branch-free row scan (vectorises): NaN/inf poison `nan`, |ρ| > 1 sets `bad`
        let di = d[i] * (1.0 + 1e-12);
        let mut nan = 0.0;
        for (v, dj) in m.row(i).iter().zip(&d) {
            bad |= v * v > di * dj;
            nan += v * 0.0;
        }
        bad |= nan.is_nan();
    }
    if bad {
        return Err(explain(cov));
    }
    Ok(())
}
