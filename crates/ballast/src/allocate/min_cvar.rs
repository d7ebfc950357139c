//! Minimum-CVaR portfolios over historical scenarios (Rockafellar & Uryasev 2000), as a linear
//! program solved with Clarabel:
//!
//! minimise α + 1/((1 − β) T) Σ_t z_t  subject to  z_t ≥ −w'r_t − α,  z_t ≥ 0,  w ∈ constraints
//!
//! whose optimal value is the CVaR_β of the daily loss −w'r (the same figure as
//! [`crate::risk::historical_cvar`] of the optimal weights) and whose α is a VaR_β. With a
//! target return, the mean-CVaR efficient portfolio adds μ'w ≥ target.

use super::conic::Conic;
use super::{AllocateError, Constraints, SolveStatus, SolverReport};
use crate::data::Returns;
use crate::message::Num;

/// A minimum-CVaR portfolio.
#[derive(Debug, Clone)]
pub struct CvarPortfolio {
    /// Weights (returns' asset order).
    pub weights: Vec<f64>,
    /// CVaR_β of the one-period loss (positive fraction), the LP's optimal value.
    pub cvar: f64,
    /// The LP's α (a VaR_β of the one-period loss).
    pub var: f64,
    /// β.
    pub beta: f64,
    /// Solved or almost solved.
    pub status: SolveStatus,
    /// Clarabel's iterations and residual.
    pub solver: SolverReport,
}

/// Minimise CVaR_β of the per-period loss over the historical scenarios in `returns`, under
/// `cons`; with `target = Some((μ, r))` also require μ'w ≥ r (mean-CVaR efficient portfolio).
///
/// # Errors
/// Β outside (0, 1); infeasible constraints or target; bad shapes.
pub fn min_cvar(
    returns: &Returns,
    cons: &Constraints,
    beta: f64,
    target: Option<(&[f64], f64)>,
) -> Result<CvarPortfolio, AllocateError> {
    if !(beta > 0.0 && beta < 1.0) {
        return Err(AllocateError::BadParameter(format!(
            "CVaR confidence β = {} must be in (0, 1), e.g. 0.95",
            Num(beta)
        )));
    }
    cons.validate(returns.assets())?;
    let (n, t) = (returns.n_assets(), returns.n_periods());
    let (nv, _, _) = cons.layout(n);
    let alpha = nv;
    let z0 = nv + 1;
    let mut c = Conic::new(nv + 1 + t);
    cons.apply(&mut c, n, None);
    c.q[alpha] = 1.0;
    let scale = 1.0 / ((1.0 - beta) * t as f64);
    for s in 0..t {
        c.q[z0 + s] = scale;
    }
    // −r_t'w − α − z_t ≤ 0 and −z_t ≤ 0
    for s in 0..t {
        let mut a: Vec<(usize, f64)> = (0..n).map(|j| (j, -returns.column(j)[s])).collect();
        a.push((alpha, -1.0));
        a.push((z0 + s, -1.0));
        c.le(a, 0.0);
        c.le(vec![(z0 + s, -1.0)], 0.0);
    }
    c.labels.push("scenario losses".into());
    if let Some((mu, r)) = target {
        if mu.len() != n {
            return Err(AllocateError::BadParameter(
                "expected returns have the wrong length".into(),
            ));
        }
        c.le((0..n).map(|i| (i, -mu[i])).collect(), -r);
        c.labels.push(format!("expected return ≥ {r}"));
    }
    let sol = c.solve("min-CVaR")?;
    let x = &sol.x;
    let obj = x[alpha] + scale * x[z0..z0 + t].iter().sum::<f64>();
    Ok(CvarPortfolio {
        weights: x[..n].to_vec(),
        cvar: obj,
        var: x[alpha],
        beta,
        status: sol.status,
        solver: sol.report,
    })
}
