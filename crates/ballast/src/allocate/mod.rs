//! Allocation: inverse volatility, equal risk contribution (ERC), risk budgeting, volatility
//! targeting, the mean-variance family and Black–Litterman (Clarabel), hierarchical risk
//! parity and HERC, minimum CVaR — and [`AllocationSpec`], the typed request that names one of
//! them with its parameters, constraints, momentum and volatility target, run by
//! [`AllocationSpec::allocate`] for every front end.
//!
//! Allocators take an annualised [`crate::estimate::Covariance`] (N×N, ×365) and return an
//! [`Allocation`]: weights over its assets (fractions of portfolio value, the rest cash),
//! percent risk contributions, annual volatility and a [`SolveStatus`].

mod allocation;
mod black_litterman;
mod bounds;
mod conic;
mod constraints;
mod dendrogram;
mod factor_budget;
mod hrp;
mod inverse_vol;
mod mean_variance;
mod method;
mod min_cvar;
mod pipeline;
mod risk_budget;
mod risk_parity_sca;
mod run;
mod selection;
mod spec;
mod spec_checks;
mod vol_target;

use crate::message::Num;

pub use allocation::{
    Allocation, BetaNeutralReport, Hierarchy, Merge, MethodDetails, MomentumReport, NamedMatrix, SolveStatus,
    SolverReport, VolTargetReport,
};
pub use black_litterman::{views_from_pairs, BlPosterior, BlackLitterman, ViewUncertainty};
pub use bounds::WeightBounds;
pub use constraints::{Constraints, ConstraintsSpec, ExposureLimit, Group, GroupSpec};
pub use dendrogram::{Dendrogram, Linkage};
pub use factor_budget::FactorRiskBudgeting;
pub use hrp::{herc, hrp, hrp_order, hrp_with, HrpConfig, LeafOrder};
pub use inverse_vol::inverse_volatility;
pub use mean_variance::{efficient_frontier, mean_variance, MvObjective, MvPortfolio};
pub use method::{AllocationMethod, BlPrior, HrpCorrelation, Method, RiskAversion};
pub use min_cvar::{efficient_cvar, min_cvar, CvarPortfolio};
pub use risk_budget::RiskBudgeting;
pub use risk_parity_sca::{constrained_risk_budget, ScaReport, ScaSettings};
pub use selection::Selection;
pub use spec::{AllocationOptions, AllocationSpec, MomentumSpec, Views};
pub use vol_target::{vol_target, VolTarget, VolTargeted};

use crate::estimate::Covariance;

/// # Errors
/// From allocators.
#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    /// Risk budgets that are not valid.
    #[error("risk budgets: {0}")]
    BadBudgets(String),
    /// Constraints no portfolio satisfies together (naming them).
    #[error("infeasible constraints: {0}")]
    Infeasible(String),
    /// A parameter or combination that is not valid (naming it, with the fix).
    #[error("{0}")]
    BadParameter(String),
    /// The covariance (or its estimation) is not usable.
    #[error(transparent)]
    Covariance(#[from] crate::estimate::EstimateError),
    /// Max-Sharpe with no asset above the risk-free rate.
    #[error("max-Sharpe needs an asset with expected return above the risk-free rate {}; none has (use min-variance, or lower the risk-free rate)", Num(*risk_free))]
    NoPositiveExcessReturn {
        /// The risk-free rate.
        risk_free: f64,
    },
    /// The solver stopped without a solution.
    #[error("optimiser: {0}")]
    Solver(String),
    /// The risk-budgeting iteration did not converge.
    #[error("risk-budgeting solver did not converge in {iterations} sweeps (max |RC − budget| = {error:.3e}, tolerance {tolerance:.1e})")]
    NotConverged {
        /// Sweeps done.
        iterations: usize,
        /// Final error.
        error: f64,
        /// Tolerance asked for.
        tolerance: f64,
    },
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
