//! Mean-variance optimisation (Markowitz 1952) under [`Constraints`], solved with Clarabel.
//!
//! With μ the annual expected returns, Σ the annual covariance, r_f the risk-free rate,
//! C(w) = cost·Σ|w − w₀| and R(w) = γ‖w‖² (both from the constraints):
//!
//! | objective | problem |
//! |---|---|
//! | [`MvObjective::MinVariance`] | min w'Σw + C + R |
//! | [`MvObjective::MaxSharpe`] | max (μ'w − r_f)/√(w'Σw), solved exactly by homogenising (Cornuejols & Tütüncü 2006): min y'Σy s.t. (μ − r_f)'y = 1, constraints scaled by κ ≥ 0, w = y/κ |
//! | [`MvObjective::EfficientReturn`] | min w'Σw + C + R s.t. μ'w ≥ target |
//! | [`MvObjective::EfficientRisk`] | max μ'w − C − R s.t. √(w'Σw) ≤ target (second-order cone) |
//! | [`MvObjective::Utility`] | max μ'w − (δ/2) w'Σw − C − R |

use super::conic::{Conic, Solution};
use super::{check_cov, AllocateError, Constraints, SolveStatus, SolverReport};
use crate::estimate::Covariance;
use crate::message::Num;
use crate::SymMatrix;

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MvObjective {
    /// Minimum variance.
    MinVariance,
    /// Maximum Sharpe ratio.
    MaxSharpe,
    /// Target annual expected return.
    EfficientReturn(f64),
    /// Target annual volatility.
    EfficientRisk(f64),
    /// Risk aversion δ > 0.
    Utility(f64),
}

/// A mean-variance portfolio.
#[derive(Debug, Clone)]
pub struct MvPortfolio {
    /// The objective solved.
    pub objective: MvObjective,
    /// Weights (covariance order).
    pub weights: Vec<f64>,
    /// μ'w, annual.
    pub expected_return: f64,
    /// √(w'Σw), annual.
    pub volatility: f64,
    /// (μ'w − r_f) / σ.
    pub sharpe: f64,
    /// Percent risk contributions.
    pub risk_contributions: Vec<f64>,
    /// Solved or almost solved.
    pub status: SolveStatus,
    /// Clarabel's iterations and residual.
    pub solver: SolverReport,
}

fn check_mu(mu: &[f64], cov: &Covariance) -> Result<(), AllocateError> {
    if mu.len() != cov.dim() {
        return Err(AllocateError::BadParameter(format!(
            "{} expected returns for {} assets",
            mu.len(),
            cov.dim()
        )));
    }
    if let Some(i) = mu.iter().position(|m| !m.is_finite()) {
        return Err(AllocateError::BadParameter(format!(
            "expected return of {} is not finite",
            cov.assets[i]
        )));
    }
    Ok(())
}

/// Universes from this size on are solved with a working set ([`Conic::solve_screened`]).
const SCREEN_FROM: usize = 30;

/// Droppable variables and the initial working set, when screening applies: long-only
/// weights with no constraint coupling them other than the budget (no groups, gross cap,
/// turnover or costs). The working set starts with the lowest-variance assets and, when the
/// objective uses μ, the best μ_i/σ²_i.
fn screening(cons: &Constraints, cov: &Covariance, mu: Option<&[f64]>) -> Option<(Vec<usize>, Vec<usize>)> {
    let n = cov.dim();
    let simple = n >= SCREEN_FROM
        && cons.lower.iter().all(|l| *l == 0.0)
        && cons.groups.is_empty()
        && cons.max_gross.is_none()
        && cons.max_turnover.is_none()
        && cons.cost == 0.0
        && cons.exposures.is_empty();
    if !simple {
        return None;
    }
    let var = cov.matrix.diagonal();
    let k = (n / 10).max(15).min(n);
    let mut by_var: Vec<usize> = (0..n).collect();
    by_var.sort_by(|&a, &b| var[a].total_cmp(&var[b]));
    let mut initial: Vec<usize> = by_var[..k].to_vec();
    if let Some(mu) = mu {
        let mut by_ratio: Vec<usize> = (0..n).collect();
        by_ratio.sort_by(|&a, &b| (mu[b] / var[b]).total_cmp(&(mu[a] / var[a])));
        initial.extend_from_slice(&by_ratio[..k]);
    }
    Some(((0..n).collect(), initial))
}

fn solve(
    c: &Conic,
    what: &str,
    screen: &Option<(Vec<usize>, Vec<usize>)>,
) -> Result<Solution, AllocateError> {
    match screen {
        Some((drop, init)) => c.solve_screened(what, drop, init),
        None => c.solve(what),
    }
}

/// Solve one mean-variance problem (see the module table).
///
/// # Errors
/// Covariance not positive definite; infeasible constraints (naming the constraint
/// blocks); [`AllocateError::NoPositiveExcessReturn`] for max-Sharpe when no asset beats r_f;
/// an efficient-return target above what the constraints allow (infeasible); bad parameters.
pub fn mean_variance(
    mu: &[f64],
    cov: &Covariance,
    cons: &Constraints,
    objective: MvObjective,
    risk_free: f64,
) -> Result<MvPortfolio, AllocateError> {
    check_cov(cov)?;
    cov.validate()?;
    check_mu(mu, cov)?;
    cons.validate(&cov.assets)?;
    let (w, sol) = match objective {
        MvObjective::MaxSharpe => max_sharpe(mu, cov, cons, risk_free)?,
        other => direct(mu, cov, cons, other)?,
    };
    Ok(describe(objective, mu, cov, w, risk_free, &sol))
}

/// Add `scale`·wᵀΣw to the objective (over the first N variables).
fn add_quadratic(c: &mut Conic, sigma: &SymMatrix, scale: f64) {
    let n = sigma.dim();
    for i in 0..n {
        for j in i..n {
            c.add_p(i, j, scale * sigma.get(i, j));
        }
    }
}

/// Max-Sharpe by the homogenised problem (Cornuéjols & Tütüncü, *Optimization Methods in
/// Finance*, 2007; as PyPortfolioOpt): minimise yᵀΣy subject
/// to (μ − r_f)ᵀy = 1 and the constraints scaled by κ ≥ 0; w = y / κ.
fn max_sharpe(
    mu: &[f64],
    cov: &Covariance,
    cons: &Constraints,
    risk_free: f64,
) -> Result<(Vec<f64>, Solution), AllocateError> {
    let n = cov.dim();
    let (nv, _, _) = cons.layout(n);
    let excess: Vec<f64> = mu.iter().map(|m| m - risk_free).collect();
    if excess.iter().all(|e| *e <= 0.0) {
        return Err(AllocateError::NoPositiveExcessReturn { risk_free });
    }
    if cons.cost > 0.0 || cons.l2 > 0.0 {
        return Err(AllocateError::BadParameter(
            "max-Sharpe does not take costs or L2 penalties; use utility or efficient-risk".into(),
        ));
    }
    let k = nv; // κ
    let mut c = Conic::new(nv + 1);
    add_quadratic(&mut c, &cov.matrix, 2.0);
    c.eq((0..n).map(|i| (i, excess[i])).collect(), 1.0);
    c.labels.push("excess return normalisation".into());
    cons.apply(&mut c, n, Some(k));
    c.le(vec![(k, -1.0)], 0.0);
    let sol = solve(&c, "max-Sharpe", &screening(cons, cov, Some(&excess)))?;
    let x = &sol.x;
    if !(x[k] > 1e-12) {
        return Err(AllocateError::NoPositiveExcessReturn { risk_free });
    }
    Ok((x[..n].iter().map(|y| y / x[k]).collect(), sol))
}

/// Min-variance, efficient return, efficient risk and utility: one conic problem over the
/// weights (max-Sharpe is passed on to [`max_sharpe`]).
fn direct(
    mu: &[f64],
    cov: &Covariance,
    cons: &Constraints,
    objective: MvObjective,
) -> Result<(Vec<f64>, Solution), AllocateError> {
    let n = cov.dim();
    let (nv, _, _) = cons.layout(n);
    let sigma = &cov.matrix;
    let mut c = Conic::new(nv);
    cons.apply(&mut c, n, None);
    let what = match objective {
        MvObjective::MaxSharpe => return max_sharpe(mu, cov, cons, 0.0),
        MvObjective::MinVariance => {
            add_quadratic(&mut c, sigma, 2.0);
            "min-variance"
        }
        MvObjective::EfficientReturn(target) => {
            if !target.is_finite() {
                return Err(AllocateError::BadParameter("target return must be finite".into()));
            }
            add_quadratic(&mut c, sigma, 2.0);
            c.le((0..n).map(|i| (i, -mu[i])).collect(), -target);
            c.labels.push(format!("expected return ≥ {}", Num(target)));
            "efficient-return"
        }
        MvObjective::EfficientRisk(target) => {
            if !(target > 0.0 && target.is_finite()) {
                return Err(AllocateError::BadParameter(format!(
                    "target volatility {} must be > 0",
                    Num(target)
                )));
            }
            let l = sigma.cholesky_lower().ok_or(AllocateError::Covariance(
                crate::estimate::EstimateError::NotPositiveDefinite {
                    min_eigenvalue: f64::NAN,
                },
            ))?;
            // ‖Lᵀ w‖ ≤ target
            let mut rows = vec![(Vec::new(), target)];
            for r in 0..n {
                rows.push(((r..n).map(|i| (i, -l[i * n + r])).collect(), 0.0));
            }
            c.soc(rows);
            c.labels.push(format!("volatility ≤ {}", Num(target)));
            for i in 0..n {
                c.q[i] -= mu[i];
            }
            "efficient-risk"
        }
        MvObjective::Utility(delta) => {
            if !(delta > 0.0 && delta.is_finite()) {
                return Err(AllocateError::BadParameter(format!(
                    "risk aversion {} must be > 0",
                    Num(delta)
                )));
            }
            add_quadratic(&mut c, sigma, delta);
            for i in 0..n {
                c.q[i] -= mu[i];
            }
            "utility"
        }
    };
    let uses_mu = !matches!(objective, MvObjective::MinVariance);
    let sol = match solve(&c, what, &screening(cons, cov, uses_mu.then_some(mu))) {
        Err(AllocateError::Infeasible(m)) => {
            return Err(match objective {
                MvObjective::EfficientReturn(target) => unreachable_return(mu, cov, cons, target, m),
                _ => AllocateError::Infeasible(m),
            })
        }
        other => other?,
    };
    Ok((sol.x[..n].to_vec(), sol))
}

/// The error for an efficient-return target no portfolio reaches: the highest expected return
/// the constraints allow (a nearly risk-neutral utility maximiser), when that is the reason.
fn unreachable_return(
    mu: &[f64],
    cov: &Covariance,
    cons: &Constraints,
    target: f64,
    infeasible: String,
) -> AllocateError {
    match mean_variance(mu, cov, cons, MvObjective::Utility(1e-6), 0.0) {
        Ok(top) if top.expected_return < target => AllocateError::Infeasible(format!(
            "target_return {} is above the highest expected return the constraints allow ({:.6}; {})",
            Num(target),
            top.expected_return,
            "lower the target, or relax the bounds"
        )),
        _ => AllocateError::Infeasible(infeasible),
    }
}

fn describe(
    objective: MvObjective,
    mu: &[f64],
    cov: &Covariance,
    weights: Vec<f64>,
    rf: f64,
    sol: &Solution,
) -> MvPortfolio {
    let sw = cov.matrix.mul_vec(&weights);
    let var: f64 = sw.iter().zip(&weights).map(|(a, b)| a * b).sum();
    let vol = var.max(0.0).sqrt();
    let ret: f64 = mu.iter().zip(&weights).map(|(a, b)| a * b).sum();
    MvPortfolio {
        objective,
        expected_return: ret,
        volatility: vol,
        sharpe: if vol > 0.0 { (ret - rf) / vol } else { f64::NAN },
        risk_contributions: weights.iter().zip(&sw).map(|(w, s)| w * s / var).collect(),
        weights,
        status: sol.status,
        solver: sol.report,
    }
}

/// The efficient frontier: `points` portfolios with target returns evenly spaced from the
/// minimum-variance portfolio's return to the highest return the constraints allow.
pub fn efficient_frontier(
    mu: &[f64],
    cov: &Covariance,
    cons: &Constraints,
    points: usize,
    risk_free: f64,
) -> Result<Vec<MvPortfolio>, AllocateError> {
    if points < 2 {
        return Err(AllocateError::BadParameter(
            "a frontier needs at least 2 points".into(),
        ));
    }
    let minv = mean_variance(mu, cov, cons, MvObjective::MinVariance, risk_free)?;
    // highest attainable return: a nearly risk-neutral utility maximiser
    let top = mean_variance(mu, cov, cons, MvObjective::Utility(1e-6), risk_free)?;
    let (lo, hi) = (
        minv.expected_return,
        top.expected_return.max(minv.expected_return),
    );
    let mut out = vec![minv];
    for k in 1..points {
        let target = lo + (hi - lo) * k as f64 / (points - 1) as f64;
        // step back from the very top, where the constraint set degenerates to a point
        let target = if k == points - 1 {
            lo + (hi - lo) * (1.0 - 1e-6)
        } else {
            target
        };
        out.push(mean_variance(
            mu,
            cov,
            cons,
            MvObjective::EfficientReturn(target),
            risk_free,
        )?);
    }
    Ok(out)
}
