//! Factor risk budgeting: weights whose risk contributions *by factor* match a budget
//! (Roncalli & Weisang 2016, "Risk parity portfolios with risk factors", Quantitative Finance
//! 16(3)); equal budgets give factor risk parity.
//!
//! Factor risk contributions are those of [`crate::risk::factor_risk`]: with loadings B (N×K),
//! exposures e = Bᵀw, g = Σw/σ, RC_k = e_k ((BᵀB)⁻¹Bᵀg)_k and RC_residual = wᵀ(I − P_B)g.
//!
//! Two problems:
//! - **fully invested, any sign** (`long_only = false`), Riskfolio-Lib's
//!   `rp_optimization(model='FC')`: w in the span of B(BᵀB)⁻¹, so the residual carries no
//!   risk and e = Bᵀw; e solves risk budgeting on the K×K covariance Σ̄ = (BᵀB)⁻¹BᵀΣB(BᵀB)⁻¹
//!   (Spinu's convex problem, coordinate descent), then w = B(BᵀB)⁻¹e / Σ_i(B(BᵀB)⁻¹e)_i. The
//!   solution usually has short positions;
//! - **long-only within bounds** (`long_only = true`, the default): the residual is a budget line
//!   of its own when `residual` is given (shares of σ: Σ_k b_k + b_residual = 1); otherwise only
//!   the factors' shares of their sum Σ_k RC_k are budgeted and the residual takes what it
//!   takes. Solved by successive convex approximation (Feng & Palomar 2015, "SCRIP: Successive
//!   convex optimization methods for risk parity portfolio design", IEEE TSP 63(19)): each step
//!   a QP (Clarabel) that minimises the linearised budget errors plus a proximal term, from
//!   equal weights; with more coins than budget lines many portfolios meet the budgets, and this
//!   is the one the iteration reaches. If no portfolio within the bounds meets them, the
//!   closest one is returned with `converged = false` and the largest miss as its error.

use super::conic::Conic;
use super::{
    AllocateError, Allocation, Method, MethodDetails, RiskBudgeting, SolveStatus, SolverReport, WeightBounds,
};
use crate::estimate::{Covariance, FittedFactorModel};
use crate::linalg::SymMatrix;
use crate::risk::{factor_risk, loadings_gram};

/// Factor risk budgeting settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorRiskBudgeting {
    /// Budget per factor (model order), > 0; `None` = equal.
    pub budgets: Option<Vec<f64>>,
    /// The residual's budget (long-only only); `None` = not budgeted.
    pub residual: Option<f64>,
    /// Long-only within `bounds` (default), or fully invested with any sign (Riskfolio's FC).
    pub long_only: bool,
    /// Weight bounds of the long-only problem (default [0, 1]).
    pub bounds: Option<WeightBounds>,
    /// Stop when the largest budget miss is below this (default 1e-10).
    pub tolerance: f64,
    /// Most SCA steps (default 500).
    pub max_iterations: usize,
}

impl Default for FactorRiskBudgeting {
    fn default() -> Self {
        Self {
            budgets: None,
            residual: None,
            long_only: true,
            bounds: None,
            tolerance: 1e-10,
            max_iterations: 500,
        }
    }
}

fn bad<T>(m: String) -> Result<T, AllocateError> {
    Err(AllocateError::BadBudgets(m))
}

impl FactorRiskBudgeting {
    /// The budget lines: factors (and the residual, when budgeted), summing to 1.
    fn lines(&self, model: &FittedFactorModel) -> Result<Vec<f64>, AllocateError> {
        let k = model.n_factors();
        let mut b = match &self.budgets {
            None => {
                let rest = 1.0 - self.residual.unwrap_or(0.0);
                vec![rest / k as f64; k]
            }
            Some(b) if b.len() != k => {
                return bad(format!(
                    "{} factor budgets for the {k} factors of {} ({})",
                    b.len(),
                    model.model,
                    model.factors.join(", ")
                ))
            }
            Some(b) => b.clone(),
        };
        if let Some(r) = self.residual {
            if !self.long_only {
                return bad("a residual budget needs long_only: the fully invested any-sign portfolio puts no risk in the residual".into());
            }
            b.push(r);
        }
        if let Some(x) = b.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
            return bad(format!("factor budget {x} must be > 0"));
        }
        let s: f64 = b.iter().sum();
        if (s - 1.0).abs() > 1e-6 {
            return bad(format!(
                "factor budgets sum to {s:.6}; they must sum to 1 (the residual's included when given)"
            ));
        }
        Ok(b.iter().map(|x| x / s).collect())
    }

    /// Weights over `cov.assets` (the model's coins, same order) whose factor risk
    /// contributions under `cov` match the budgets.
    ///
    /// # Errors
    /// [`AllocateError::BadBudgets`]: budgets of the wrong length, not positive or not summing
    /// to 1; [`AllocateError::BadParameter`]: a model over other coins, loadings that do not
    /// span K directions, a fully invested solution whose weights sum to zero or less;
    /// [`AllocateError::Infeasible`]: bounds that hold no portfolio; solver failures.
    pub fn weights(&self, model: &FittedFactorModel, cov: &Covariance) -> Result<Allocation, AllocateError> {
        if model.assets != cov.assets {
            return Err(AllocateError::BadParameter(
                "the factor model and the covariance cover different coins".into(),
            ));
        }
        super::check_cov(cov)?;
        let b = self.lines(model)?;
        let (w, report) = if self.long_only {
            self.long_only_weights(model, &cov.matrix, &b)?
        } else {
            any_sign_weights(model, cov, &b)?
        };
        let mut a = Allocation::new(Method::FactorRiskParity, cov, w, Some(report))?;
        a.status = SolveStatus::Solved;
        let fr = factor_risk(model, &cov.matrix, &a.weights, None)
            .map_err(|e| AllocateError::BadParameter(e.to_string()))?;
        let k = model.n_factors();
        if !report.converged {
            return Err(unreachable_budgets(
                model,
                &b,
                &fr.relative_contributions(),
                self.residual.is_some(),
                report,
            ));
        }
        a.details = MethodDetails::FactorRiskParity {
            model: model.model.clone(),
            factors: model.factors.clone(),
            budgets: b[..k].to_vec(),
            residual_budget: self.residual.map(|_| b[k]),
            exposures: fr.exposures.clone(),
            contributions: fr.relative_contributions(),
            long_only: self.long_only,
        };
        Ok(a)
    }

    fn long_only_weights(
        &self,
        model: &FittedFactorModel,
        cov: &SymMatrix,
        b: &[f64],
    ) -> Result<(Vec<f64>, SolverReport), AllocateError> {
        let n = cov.dim();
        let bounds = self
            .bounds
            .clone()
            .unwrap_or_else(|| WeightBounds::uniform(n, 0.0, 1.0));
        bounds.check(&model.assets)?;
        let lines = Lines::new(model, cov, self.residual.is_some())?;
        let mut w = bounds.fill_proportional(&vec![1.0 / n as f64; n]);
        let (mut h, mut jac) = lines.errors(&w, b);
        let mut obj: f64 = h.iter().map(|x| x * x).sum();
        let mut it = 0;
        // Levenberg–Marquardt damping of the proximal weight: shrink it after a step that
        // lowers the squared budget error, grow it after one that does not
        let frob: f64 = jac.iter().flatten().map(|x| x * x).sum();
        let mut tau = 1e-6 * frob.max(f64::MIN_POSITIVE);
        while it < self.max_iterations && lines.miss(&w, b) > self.tolerance {
            it += 1;
            let target = sca_step(&w, &h, &jac, tau, &bounds)?;
            let (th, tj) = lines.errors(&target, b);
            let tobj: f64 = th.iter().map(|x| x * x).sum();
            if tobj < obj {
                (w, h, jac, obj) = (target, th, tj, tobj);
                tau = (tau / 3.0).max(1e-12 * frob);
            } else {
                tau *= 10.0;
                if tau > 1e8 * frob.max(f64::MIN_POSITIVE) {
                    break;
                }
            }
        }
        let miss = lines.miss(&w, b);
        Ok((
            w,
            SolverReport {
                iterations: it,
                error: miss,
                converged: miss <= 1e-8,
            },
        ))
    }
}

/// Riskfolio's FC problem: risk budgeting of the exposures on Σ̄, then w = P e / Σ P e.
fn any_sign_weights(
    model: &FittedFactorModel,
    cov: &Covariance,
    b: &[f64],
) -> Result<(Vec<f64>, SolverReport), AllocateError> {
    let (n, k) = (model.assets.len(), model.n_factors());
    let p = pinv_columns(model, n, k)?;
    // Σ̄ = Pᵀ Σ P (K×K)
    let sp: Vec<Vec<f64>> = p.iter().map(|c| cov.matrix.mul_vec(c)).collect();
    let mut bar = SymMatrix::zeros(k);
    for a in 0..k {
        for c in a..k {
            bar.set_sym(a, c, p[a].iter().zip(&sp[c]).map(|(x, y)| x * y).sum());
        }
    }
    let fcov = Covariance::from_matrix(model.factors.clone(), bar, cov.periods_per_year)?;
    let x = RiskBudgeting::with_budgets(b.to_vec()).weights(&fcov)?;
    let mut w: Vec<f64> = (0..n)
        .map(|i| (0..k).map(|f| p[f][i] * x.weights[f]).sum())
        .collect();
    let total: f64 = w.iter().sum();
    if !(total > 1e-12) {
        return Err(AllocateError::BadParameter(format!(
            "the fully invested factor risk parity portfolio of {} has weights summing to {total:.3e}: it cannot be scaled to a fully invested book; use long_only = true",
            model.model
        )));
    }
    w.iter_mut().for_each(|v| *v /= total);
    Ok((
        w,
        x.solver.unwrap_or(SolverReport {
            iterations: 0,
            error: 0.0,
            converged: true,
        }),
    ))
}

/// The columns of P = B(BᵀB)⁻¹ (K columns of length N).
fn pinv_columns(model: &FittedFactorModel, n: usize, k: usize) -> Result<Vec<Vec<f64>>, AllocateError> {
    let b = &model.loadings;
    let btb = loadings_gram(b, n, k);
    let units: Vec<Vec<f64>> = (0..k)
        .map(|f| (0..k).map(|q| f64::from(u8::from(q == f))).collect())
        .collect();
    let inv = btb.solve_columns(&units).ok_or_else(|| span_error(model))?;
    Ok(inv
        .iter()
        .map(|c| {
            (0..n)
                .map(|i| (0..k).map(|q| b[i * k + q] * c[q]).sum())
                .collect()
        })
        .collect())
}

/// The budgets no portfolio within the bounds reached: say what the closest one carries.
fn unreachable_budgets(
    model: &FittedFactorModel,
    budgets: &[f64],
    rel: &[f64],
    residual: bool,
    report: SolverReport,
) -> AllocateError {
    let k = model.n_factors();
    let sys: f64 = rel[..k].iter().sum();
    let shares: Vec<f64> = if residual {
        rel.to_vec()
    } else {
        rel[..k].iter().map(|x| x / sys).collect()
    };
    let mut names = model.factors.clone();
    if residual {
        names.push("residual".into());
    }
    let show = |v: &[f64]| {
        names
            .iter()
            .zip(v)
            .map(|(n, x)| format!("{n} {:.1} %", 100.0 * x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    AllocateError::Infeasible(format!(
        "no long-only portfolio within the bounds was found whose factor risk contributions meet the budgets ({}) of {}: the closest one reached ({}) of the {} risk after {} steps (largest miss {:.3}); budgets nearer these, fewer factors, wider bounds, or long_only = false (fully invested with shorts, as Riskfolio) can be met",
        show(budgets),
        model.model,
        show(&shares),
        if residual { "portfolio's" } else { "factors'" },
        report.iterations,
        report.error
    ))
}

fn span_error(model: &FittedFactorModel) -> AllocateError {
    AllocateError::BadParameter(format!(
        "the loadings of {} do not span {} independent directions: drop a factor",
        model.factors.join(", "),
        model.n_factors()
    ))
}

/// The budget lines as functions of w: RC_j(w) in variance units and their gradients.
struct Lines<'a> {
    cov: &'a SymMatrix,
    /// B columns (K × N), P = B(BᵀB)⁻¹ columns and Σ P columns (fixed over the iterations).
    b: Vec<Vec<f64>>,
    p: Vec<Vec<f64>>,
    sp: Vec<Vec<f64>>,
    residual: bool,
}

impl<'a> Lines<'a> {
    fn new(model: &FittedFactorModel, cov: &'a SymMatrix, residual: bool) -> Result<Self, AllocateError> {
        let (n, k) = (model.assets.len(), model.n_factors());
        let b = (0..k)
            .map(|f| (0..n).map(|i| model.loadings[i * k + f]).collect())
            .collect();
        let p = pinv_columns(model, n, k)?;
        let sp = p.iter().map(|c| cov.mul_vec(c)).collect();
        Ok(Self {
            cov,
            b,
            p,
            sp,
            residual,
        })
    }

    /// Contributions RC_j = (b_jᵀw)(p_jᵀΣw) for the factors, wᵀΣw − Σ_j RC_j for the residual,
    /// with gradients.
    fn contributions(&self, w: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>, f64, Vec<f64>) {
        let sw = self.cov.mul_vec(w);
        let var: f64 = sw.iter().zip(w).map(|(a, b)| a * b).sum();
        let mut rc = Vec::new();
        let mut grads = Vec::new();
        for ((bj, pj), sp) in self.b.iter().zip(&self.p).zip(&self.sp) {
            let e: f64 = bj.iter().zip(w).map(|(a, b)| a * b).sum();
            let q: f64 = pj.iter().zip(&sw).map(|(a, b)| a * b).sum();
            rc.push(e * q);
            grads.push(bj.iter().zip(sp).map(|(bi, s)| bi * q + e * s).collect());
        }
        let dvar: Vec<f64> = sw.iter().map(|s| 2.0 * s).collect();
        (rc, grads, var, dvar)
    }

    /// Budget errors h_j(w) and their Jacobian rows.
    fn errors(&self, w: &[f64], b: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let (mut rc, mut grads, var, dvar) = self.contributions(w);
        // the denominator: total variance (residual budgeted) or the factors' sum
        let (den, dden): (f64, Vec<f64>) = if self.residual {
            let sys: f64 = rc.iter().sum();
            let dsys: Vec<f64> = (0..w.len()).map(|i| grads.iter().map(|g| g[i]).sum()).collect();
            rc.push(var - sys);
            grads.push(dvar.iter().zip(&dsys).map(|(a, b)| a - b).collect());
            (var, dvar)
        } else {
            let sys: f64 = rc.iter().sum();
            (
                sys,
                (0..w.len()).map(|i| grads.iter().map(|g| g[i]).sum()).collect(),
            )
        };
        let h = rc.iter().zip(b).map(|(r, bj)| r - bj * den).collect();
        let jac = grads
            .iter()
            .zip(b)
            .map(|(g, bj)| g.iter().zip(&dden).map(|(gi, di)| gi - bj * di).collect())
            .collect();
        (h, jac)
    }

    /// Largest |share − budget|.
    fn miss(&self, w: &[f64], b: &[f64]) -> f64 {
        let (mut rc, _, var, _) = self.contributions(w);
        let sys: f64 = rc.iter().sum();
        let den = if self.residual {
            rc.push(var - sys);
            var
        } else {
            sys
        };
        rc.iter()
            .zip(b)
            .map(|(r, bj)| (r / den - bj).abs())
            .fold(0.0, f64::max)
    }
}

/// One SCA step: argmin ‖h + J(v − w)‖² + (τ/2)‖v − w‖² over the bounds with Σv = 1, as a QP
/// in (v, y) with y = h + J(v − w), so P stays diagonal.
fn sca_step(
    w: &[f64],
    h: &[f64],
    jac: &[Vec<f64>],
    tau: f64,
    bounds: &WeightBounds,
) -> Result<Vec<f64>, AllocateError> {
    let (n, m) = (w.len(), h.len());
    let mut c = Conic::new(n + m);
    for i in 0..n {
        c.add_p(i, i, tau);
        c.q[i] = -tau * w[i];
    }
    for j in 0..m {
        c.add_p(n + j, n + j, 2.0);
        // y_j − J_j v = h_j − J_j w
        let mut row: Vec<(usize, f64)> = (0..n).map(|i| (i, -jac[j][i])).collect();
        row.push((n + j, 1.0));
        let rhs = h[j] - jac[j].iter().zip(w).map(|(a, b)| a * b).sum::<f64>();
        c.eq(row, rhs);
    }
    c.eq((0..n).map(|i| (i, 1.0)).collect(), 1.0);
    for i in 0..n {
        c.le(vec![(i, -1.0)], -bounds.lower[i]);
        if bounds.upper[i].is_finite() {
            c.le(vec![(i, 1.0)], bounds.upper[i]);
        }
    }
    let s = c.solve("factor risk budgeting step")?;
    Ok(s.x[..n].to_vec())
}
