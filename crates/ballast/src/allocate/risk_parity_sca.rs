//! Risk parity and risk budgets under general linear constraints (groups, sector caps, a return
//! floor, exposure limits, turnover), by successive convex approximation (Feng & Palomar 2015,
//! "SCRIP: successive convex optimization methods for risk parity portfolio design", IEEE Trans.
//! Signal Process. 63(19)), the method riskparityportfolio's `design(Cmat, cvec, Dmat, dvec)` runs.
//!
//! When the constraints bind, no portfolio has its risk contributions exactly on budget; the
//! method finds the feasible portfolio closest to it in the sense of
//!
//! minimise Σ_i (w_i (Σw)_i / w'Σw − b_i)²  subject to the constraints,
//!
//! and reports how far each relative risk contribution ends from its budget.

use super::conic::Conic;
use super::{AllocateError, Constraints};
use crate::estimate::Covariance;
use crate::message::Num;
use serde::Serialize;

/// Settings of the successive convex approximation (riskparityportfolio's defaults but for the
/// tolerance, which is tighter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaSettings {
    /// Proximal weight τ of each convex subproblem (default 1e-4).
    pub tau: f64,
    /// First step γ₀ ∈ (0, 1) (default 0.9); γ_{k+1} = γ_k (1 − ζ γ_k).
    pub gamma: f64,
    /// Step decay ζ (default 1e-7).
    pub zeta: f64,
    /// Stop when no weight moves more than this in an iteration (default 1e-10).
    pub tolerance: f64,
    /// Most iterations (default 20,000).
    pub max_iterations: usize,
}

impl Default for ScaSettings {
    fn default() -> Self {
        Self {
            tau: 1e-4,
            gamma: 0.9,
            zeta: 1e-7,
            tolerance: 1e-10,
            max_iterations: 20_000,
        }
    }
}

/// How a constrained risk-parity solve ended. JSON: `objective` (Σ (RC_i − b_i)², relative RCs),
/// `max_deviation` (max |RC_i − b_i|), `deviations` (RC_i − b_i per asset), `iterations`,
/// `converged`, `last_step`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaReport {
    /// Σ_i (RC_i − b_i)² at the end.
    pub objective: f64,
    /// max_i |RC_i − b_i|: 0 when the constraints let every budget be met.
    pub max_deviation: f64,
    /// RC_i − b_i per asset (relative risk contributions minus budgets).
    pub deviations: Vec<f64>,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the weights settled within the tolerance.
    pub converged: bool,
    /// The largest weight move of the last iteration.
    pub last_step: f64,
}

/// Relative risk contributions minus budgets, g_i(w) = w_i (Σw)_i / w'Σw − b_i, and their
/// Jacobian ∂g_i/∂w_j = (δ_ij (Σw)_i + w_i Σ_ij)/V − 2 w_i (Σw)_i (Σw)_j / V² (row-major).
fn concentration(cov: &Covariance, w: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = w.len();
    let sw = cov.matrix.mul_vec(w);
    let v: f64 = w.iter().zip(&sw).map(|(a, b)| a * b).sum();
    let g = (0..n).map(|i| w[i] * sw[i] / v - b[i]).collect();
    let mut jac = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let d = if i == j { sw[i] } else { 0.0 };
            jac[i * n + j] = (d + w[i] * cov.matrix.get(i, j)) / v - 2.0 * w[i] * sw[i] * sw[j] / (v * v);
        }
    }
    (g, jac)
}

/// Risk budgets `budgets` (> 0, summing to 1) under `cons` and, optionally, an expected-return
/// floor μ'w ≥ r, from the start `w0` (e.g. the unconstrained risk-budget portfolio).
///
/// # Formula
/// Each iteration linearises g at w_k (Jacobian A) and solves the strongly convex QP
/// ŵ = argmin ½ wᵀ(2AᵀA + τI)w + (2Aᵀg − (2AᵀA + τI)w_k)ᵀw over the constraints (Clarabel), then
/// steps w_{k+1} = w_k + γ_k (ŵ − w_k) (Feng & Palomar 2015, algorithm 1, as riskparityportfolio).
///
/// # Errors
/// Budgets of the wrong length or not positive; a return floor whose μ has the wrong length
/// or is not finite; settings out of range (τ > 0, γ₀ ∈ (0, 1), ζ ∈ [0, 1), tolerance > 0,
/// 1…1,000,000 iterations); constraints that exclude every portfolio
/// ([`AllocateError::Infeasible`]); a costly or penalised objective (costs and L2 are for the
/// mean-variance family).
pub fn constrained_risk_budget(
    cov: &Covariance,
    budgets: &[f64],
    cons: &Constraints,
    floor: Option<(&[f64], f64)>,
    w0: &[f64],
    settings: &ScaSettings,
) -> Result<(Vec<f64>, ScaReport), AllocateError> {
    let n = cov.dim();
    if budgets.len() != n || w0.len() != n || budgets.iter().any(|b| !(*b > 0.0)) {
        return Err(AllocateError::BadBudgets(format!(
            "{} budgets and {} start weights for {n} assets; budgets must be > 0",
            budgets.len(),
            w0.len()
        )));
    }
    if cons.cost > 0.0 || cons.l2 > 0.0 {
        return Err(AllocateError::BadParameter(
            "risk parity under constraints takes no costs or L2 penalty (they belong to the mean-variance objectives); drop cost and l2".into(),
        ));
    }
    if let Some((mu, r)) = floor {
        if mu.len() != n || mu.iter().any(|m| !m.is_finite()) || !r.is_finite() {
            return Err(AllocateError::BadParameter(format!(
                "expected-return floor: {} expected returns for {n} assets (all finite) and a finite floor, got floor {}",
                mu.len(),
                Num(r)
            )));
        }
    }
    let s = settings;
    let valid = s.tau > 0.0
        && s.tau.is_finite()
        && s.gamma > 0.0
        && s.gamma < 1.0
        && (0.0..1.0).contains(&s.zeta)
        && s.tolerance > 0.0
        && s.tolerance.is_finite()
        && (1..=1_000_000).contains(&s.max_iterations);
    if !valid {
        return Err(AllocateError::BadParameter(format!(
            "SCA settings {s:?}: need τ > 0, γ₀ in (0, 1), ζ in [0, 1), a positive tolerance and 1 to 1,000,000 iterations"
        )));
    }
    cons.validate(&cov.assets)?;
    let (nv, _, _) = cons.layout(n);
    let mut w = w0.to_vec();
    let mut gamma = settings.gamma;
    let mut iterations = 0;
    let mut converged = false;
    let mut last_step = f64::NAN;
    while iterations < settings.max_iterations {
        iterations += 1;
        let (g, a) = concentration(cov, &w, budgets);
        // Q = 2AᵀA + τI, q = 2Aᵀg − Q w_k
        let mut qm = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let v: f64 = (0..n).map(|k| a[k * n + i] * a[k * n + j]).sum::<f64>() * 2.0
                    + if i == j { settings.tau } else { 0.0 };
                qm[i * n + j] = v;
                qm[j * n + i] = v;
            }
        }
        let mut c = Conic::new(nv);
        for i in 0..n {
            for j in i..n {
                c.add_p(i, j, qm[i * n + j]);
            }
            let atg: f64 = (0..n).map(|k| a[k * n + i] * g[k]).sum();
            let qw: f64 = (0..n).map(|j| qm[i * n + j] * w[j]).sum();
            c.q[i] = 2.0 * atg - qw;
        }
        cons.apply(&mut c, n, None);
        if let Some((mu, r)) = floor {
            c.le((0..n).map(|i| (i, -mu[i])).collect(), -r);
            c.labels.push(format!("expected return ≥ {}", Num(r)));
        }
        let sol = c.solve("risk parity (successive convex approximation)")?;
        let mut step = 0.0f64;
        for (wi, hi) in w.iter_mut().zip(&sol.x[..n]) {
            let d = gamma * (hi - *wi);
            step = step.max(d.abs());
            *wi += d;
        }
        gamma *= 1.0 - settings.zeta * gamma;
        last_step = step;
        if step <= settings.tolerance {
            converged = true;
            break;
        }
    }
    let (g, _) = concentration(cov, &w, budgets);
    let report = ScaReport {
        objective: g.iter().map(|x| x * x).sum(),
        max_deviation: g.iter().fold(0.0f64, |m, x| m.max(x.abs())),
        deviations: g,
        iterations,
        converged,
        last_step,
    };
    Ok((w, report))
}
