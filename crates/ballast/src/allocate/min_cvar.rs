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

/// A minimum-CVaR or mean-CVaR portfolio.
#[derive(Debug, Clone)]
pub struct CvarPortfolio {
    /// Weights (returns' asset order).
    pub weights: Vec<f64>,
    /// CVaR_β of the weights' one-period loss (positive fraction): the LP's optimal value for
    /// [`min_cvar`]; [`crate::risk::historical_cvar`] of the weights for [`efficient_cvar`]
    /// (whose objective leaves the LP's α and z free when the target does not bind).
    pub cvar: f64,
    /// VaR_β of the weights' one-period loss: the LP's α for [`min_cvar`],
    /// [`crate::risk::historical_var`] of the weights for [`efficient_cvar`].
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
    let n = returns.n_assets();
    let (mut c, alpha, z0, scale) = scenario_program(returns, cons, beta);
    c.q[alpha] = 1.0;
    for q in &mut c.q[z0..z0 + returns.n_periods()] {
        *q += scale;
    }
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
    Ok(portfolio(&sol, n, returns.n_periods(), alpha, z0, scale, beta))
}

/// The LP's variables after the constraint layout: α (the VaR) and one z_t per scenario, with
/// z_t ≥ −r_t'w − α and z_t ≥ 0; returns the program, α's and z₀'s indices and 1/((1 − β)T).
fn scenario_program(returns: &Returns, cons: &Constraints, beta: f64) -> (Conic, usize, usize, f64) {
    let (n, t) = (returns.n_assets(), returns.n_periods());
    let (nv, _, _) = cons.layout(n);
    let (alpha, z0) = (nv, nv + 1);
    let mut c = Conic::new(nv + 1 + t);
    cons.apply(&mut c, n, None);
    // −r_t'w − α − z_t ≤ 0 and −z_t ≤ 0
    for s in 0..t {
        let mut a: Vec<(usize, f64)> = (0..n).map(|j| (j, -returns.column(j)[s])).collect();
        a.push((alpha, -1.0));
        a.push((z0 + s, -1.0));
        c.le(a, 0.0);
        c.le(vec![(z0 + s, -1.0)], 0.0);
    }
    c.labels.push("scenario losses".into());
    (c, alpha, z0, 1.0 / ((1.0 - beta) * t as f64))
}

fn portfolio(
    sol: &super::conic::Solution,
    n: usize,
    t: usize,
    alpha: usize,
    z0: usize,
    scale: f64,
    beta: f64,
) -> CvarPortfolio {
    let x = &sol.x;
    CvarPortfolio {
        weights: x[..n].to_vec(),
        cvar: x[alpha] + scale * x[z0..z0 + t].iter().sum::<f64>(),
        var: x[alpha],
        beta,
        status: sol.status,
        solver: sol.report,
    }
}

/// The mean-CVaR efficient portfolio for a risk target: maximise μ'w subject to CVaR_β of the
/// per-period loss ≤ `target_cvar` (a positive fraction of value per period) under `cons`
/// (PyPortfolioOpt `EfficientCVaR.efficient_risk`), costs and the L2 penalty of `cons` entering
/// the objective as for mean-variance.
///
/// # Formula
/// max μ'w − costs − γ‖w‖² s.t. α + 1/((1 − β)T) Σ_t z_t ≤ target, z_t ≥ −r_t'w − α, z_t ≥ 0
/// (Rockafellar & Uryasev 2000, the CVaR constraint is exact at the optimum: Krokhmal, Palmquist &
/// Uryasev 2002).
///
/// # Errors
/// β outside (0, 1); μ of the wrong length or not finite; a target that is not positive and
/// finite; a target below the least CVaR the constraints allow ([`AllocateError::Infeasible`]
/// naming that minimum); infeasible constraints.
pub fn efficient_cvar(
    returns: &Returns,
    cons: &Constraints,
    beta: f64,
    mu: &[f64],
    target_cvar: f64,
) -> Result<CvarPortfolio, AllocateError> {
    if !(beta > 0.0 && beta < 1.0) {
        return Err(AllocateError::BadParameter(format!(
            "CVaR confidence β = {} must be in (0, 1), e.g. 0.95",
            Num(beta)
        )));
    }
    let (n, t) = (returns.n_assets(), returns.n_periods());
    if mu.len() != n || mu.iter().any(|m| !m.is_finite()) {
        return Err(AllocateError::BadParameter(
            "expected returns have the wrong length or are not finite".into(),
        ));
    }
    if !(target_cvar > 0.0 && target_cvar < 1.0) {
        return Err(AllocateError::BadParameter(format!(
            "target_cvar = {} must be a one-day loss in (0, 1) as a fraction of value, e.g. 0.06",
            Num(target_cvar)
        )));
    }
    cons.validate(returns.assets())?;
    let (mut c, alpha, z0, scale) = scenario_program(returns, cons, beta);
    for (q, m) in c.q.iter_mut().zip(mu) {
        *q -= m;
    }
    let mut row: Vec<(usize, f64)> = vec![(alpha, 1.0)];
    row.extend((0..t).map(|s| (z0 + s, scale)));
    c.le(row, target_cvar);
    c.labels.push(format!("CVaR ≤ {target_cvar}"));
    match c.solve("mean-CVaR (efficient risk)") {
        Ok(sol) => {
            // the return objective leaves α and z free when the target does not bind: report
            // the weights' own VaR and CVaR
            let mut p = portfolio(&sol, n, t, alpha, z0, scale, beta);
            let r = returns.portfolio(&p.weights);
            let solver = |e: crate::risk::RiskError| AllocateError::Solver(format!("the solution's CVaR: {e}"));
            p.var = crate::risk::historical_var(&r, beta).map_err(solver)?;
            p.cvar = crate::risk::historical_cvar(&r, beta).map_err(solver)?;
            Ok(p)
        }
        // say how low the target can go (when the constraints alone are feasible)
        Err(AllocateError::Infeasible(why)) => match min_cvar(returns, cons, beta, None) {
            Ok(least) if target_cvar < least.cvar => Err(AllocateError::Infeasible(format!(
                "target_cvar = {} is below the least one-day CVaR at β = {beta} these constraints allow, {:.6} ({:.3} %); raise the target to at least that",
                Num(target_cvar),
                least.cvar,
                least.cvar * 100.0
            ))),
            _ => Err(AllocateError::Infeasible(why)),
        },
        Err(e) => Err(e),
    }
}
