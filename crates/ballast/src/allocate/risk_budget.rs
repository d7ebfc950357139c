//! Equal risk contribution and risk budgeting.
//!
//! **Problem.** Find long-only weights w (Σw = 1) whose percent risk contributions equal the
//! budgets b: `w_i (Σw)_i / (w'Σw) = b_i`.
//!
//! **Method.** Spinu (2013): the unique solution is w = x*/Σx* where x* minimises the strictly
//! convex `f(x) = ½ x'Σx − Σ_i b_i ln x_i` (x > 0), whose gradient condition is exactly
//! `x_i (Σx)_i = b_i`. We minimise f by cyclical coordinate descent (Griveau-Billion, Richard &
//! Roncalli 2013): each coordinate has the closed-form minimiser of
//! `½Σ_ii x_i² + c_i x_i − b_i ln x_i`, c_i = (Σx)_i − Σ_ii x_i, computed without
//! cancellation; Σx is updated in place (one contiguous axpy per coordinate, O(N²) per sweep),
//! and after each sweep x is rescaled by the exact line minimiser along x (t² = Σb / x'Σx).
//! The start is the inverse-volatility point, exact for constant correlations. Iterations stop
//! when `max_i |w_i (Σw)_i / w'Σw − b_i| ≤ tolerance` (default 1e-10), checked on Σx recomputed
//! from scratch.
//!
//! **Bounds.** With weight bounds [l, u] the problem is Richard & Roncalli (2019), "Constrained
//! risk budgeting portfolios": minimise `½ x'Σx − λ Σ b_i ln x_i` over l ≤ x ≤ u, with λ > 0
//! chosen so that Σx = 1 (Σx(λ) is increasing in λ; found by bracketing and bisection in ln λ,
//! each inner problem solved by projected coordinate descent). Assets at a bound then carry
//! more or less risk than their budget; the others keep risk in the ratio of their budgets.

use super::{check_cov, check_diagonal, AllocateError, Allocation, Method, SolverReport, WeightBounds};
use crate::estimate::Covariance;
use crate::linalg::{axpy, dot, SymMatrix};

/// Risk-budgeting allocator. `budgets: None` means equal risk contribution (b_i = 1/N).
#[derive(Debug, Clone)]
pub struct RiskBudgeting {
    /// Risk budgets b (length N, each > 0, summing to 1), or `None` for ERC.
    pub budgets: Option<Vec<f64>>,
    /// Optional weight bounds.
    pub bounds: Option<WeightBounds>,
    /// Stop when max |relative RC − budget| ≤ tolerance. Default 1e-10.
    pub tolerance: f64,
    /// Maximum coordinate-descent sweeps. Default 10 000.
    pub max_sweeps: usize,
}

impl Default for RiskBudgeting {
    fn default() -> Self {
        Self {
            budgets: None,
            bounds: None,
            tolerance: 1e-10,
            max_sweeps: 10_000,
        }
    }
}

impl RiskBudgeting {
    /// Equal risk contribution.
    pub fn erc() -> Self {
        Self::default()
    }

    /// Risk budgeting with the given budgets (same order as the covariance's assets).
    pub fn with_budgets(budgets: Vec<f64>) -> Self {
        Self {
            budgets: Some(budgets),
            ..Self::default()
        }
    }

    /// Solve for the covariance `cov` (N×N, annualised or not: weights are scale-invariant).
    ///
    /// # Errors
    /// `BadBudgets` (wrong length, non-positive, not summing to 1 within 1e-9),
    /// covariance errors (non-finite, zero variance, not positive definite), `Infeasible`
    /// bounds, `NotConverged`.
    pub fn weights(&self, cov: &Covariance) -> Result<Allocation, AllocateError> {
        check_diagonal(cov)?;
        let n = cov.dim();
        let b = self.resolved_budgets(n, &cov.assets)?;
        let method = if self.budgets.is_some() {
            Method::RiskBudget
        } else {
            Method::Erc
        };
        let (w, report) = match &self.bounds {
            Some(bd) if bd.is_active() => {
                check_cov(cov)?;
                bd.check(&cov.assets)?;
                solve_bounded(&cov.matrix, &b, bd, self.max_sweeps)?
            }
            _ => {
                let (w, sigma_w, report) = solve(&cov.matrix, &b, self.tolerance, self.max_sweeps);
                if !report.converged {
                    // a singular or indefinite matrix is the usual cause: say so if it is
                    cov.validate()?;
                    return Err(AllocateError::NotConverged {
                        iterations: report.iterations,
                        error: report.error,
                        tolerance: self.tolerance,
                    });
                }
                return Ok(Allocation::from_sigma_w(method, cov, w, &sigma_w, Some(report)));
            }
        };
        Allocation::new(method, cov, w, Some(report))
    }

    fn resolved_budgets(&self, n: usize, assets: &[String]) -> Result<Vec<f64>, AllocateError> {
        let Some(b) = &self.budgets else {
            return Ok(vec![1.0 / n as f64; n]);
        };
        if b.len() != n {
            return Err(AllocateError::BadBudgets(format!(
                "{} budgets for {n} assets",
                b.len()
            )));
        }
        if let Some(i) = b.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(AllocateError::BadBudgets(format!(
                "budget of {} is {}; every budget must be > 0 (drop the asset instead of giving it 0)",
                assets[i], b[i]
            )));
        }
        let s: f64 = b.iter().sum();
        if (s - 1.0).abs() > 1e-9 {
            return Err(AllocateError::BadBudgets(format!(
                "budgets sum to {s:.12}, they must sum to 1"
            )));
        }
        Ok(b.iter().map(|v| v / s).collect())
    }
}

/// Closed-form minimiser over x > 0 of `½ a x² + c x − β ln x` (a, β > 0): the positive root
/// x = (√(c² + 4aβ) − c) / 2a. Where c > 0 dominates (c² > 64·4aβ) the subtraction would
/// cancel, so the equivalent 2β / (c + √(c² + 4aβ)) is used; elsewhere the division-free form
/// (one multiply by the precomputed 1/2a) keeps the sweep's dependency chain short.
#[inline(always)]
fn coordinate_min(a: f64, inv_2a: f64, c: f64, beta: f64) -> f64 {
    let q = 4.0 * a * beta;
    let d = (c * c + q).sqrt();
    if c * c <= 64.0 * q || c <= 0.0 {
        (d - c) * inv_2a
    } else {
        2.0 * beta / (c + d)
    }
}

/// Max |x_i s_i / x's − b_i|; NaN/inf in the inputs make it NaN.
#[inline(always)]
fn rc_error(x: &[f64], s: &[f64], b: &[f64]) -> f64 {
    let v = dot(x, s);
    let mut worst = 0.0_f64;
    for ((xi, si), bi) in x.iter().zip(s).zip(b) {
        let e = (xi * si / v - bi).abs();
        worst = if e > worst || e.is_nan() { e } else { worst };
    }
    if v.is_finite() {
        worst
    } else {
        f64::NAN
    }
}

/// s = Σx by symmetric column axpys.
#[inline(always)]
fn sym_mul(cov: &SymMatrix, x: &[f64], s: &mut [f64]) {
    s.iter_mut().for_each(|v| *v = 0.0);
    for (j, &xj) in x.iter().enumerate() {
        axpy(s, xj, cov.row(j));
    }
}

/// Unbounded Spinu/CCD solve. Returns normalised weights w, Σw and a report.
///
/// Dispatches at run time to an AVX2 build of the same code where the CPU has it (the axpy
/// at the heart of each coordinate update is then 4 doubles wide instead of 2).
pub(crate) fn solve(
    cov: &SymMatrix,
    b: &[f64],
    tol: f64,
    max_sweeps: usize,
) -> (Vec<f64>, Vec<f64>, SolverReport) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { solve_avx2(cov, b, tol, max_sweeps) };
    }
    solve_generic(cov, b, tol, max_sweeps)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn solve_avx2(
    cov: &SymMatrix,
    b: &[f64],
    tol: f64,
    max_sweeps: usize,
) -> (Vec<f64>, Vec<f64>, SolverReport) {
    solve_generic(cov, b, tol, max_sweeps)
}

#[inline(always)]
fn solve_generic(
    cov: &SymMatrix,
    b: &[f64],
    tol: f64,
    max_sweeps: usize,
) -> (Vec<f64>, Vec<f64>, SolverReport) {
    let n = b.len();
    let diag = cov.diagonal();
    let inv_2a: Vec<f64> = diag.iter().map(|a| 0.5 / a).collect();
    // inverse-volatility start, scaled so that x'Σx = Σb = 1
    let mut x: Vec<f64> = diag.iter().zip(b).map(|(d, bi)| bi.sqrt() / d.sqrt()).collect();
    let mut s = vec![0.0; n];
    sym_mul(cov, &x, &mut s);
    let t = (1.0 / dot(&x, &s)).sqrt();
    x.iter_mut().for_each(|v| *v *= t);
    s.iter_mut().for_each(|v| *v *= t);
    let mut sweeps = 0;
    let mut err = rc_error(&x, &s, b);
    // `!(err <= tol)` so that NaN (a non-finite covariance entry) stops the loop
    while !(err <= tol) && err.is_finite() && sweeps < max_sweeps {
        for i in 0..n {
            let a = diag[i];
            let c = s[i] - a * x[i];
            let xi = coordinate_min(a, inv_2a[i], c, b[i]);
            let d = xi - x[i];
            if d != 0.0 {
                axpy(&mut s, d, cov.row(i));
                x[i] = xi;
            }
        }
        sweeps += 1;
        let v = dot(&x, &s);
        let t = (1.0 / v).sqrt();
        x.iter_mut().for_each(|v| *v *= t);
        s.iter_mut().for_each(|v| *v *= t);
        err = rc_error(&x, &s, b);
        if err <= tol {
            // confirm on an exact Σx (the in-place updates accumulate rounding)
            sym_mul(cov, &x, &mut s);
            err = rc_error(&x, &s, b);
        }
    }
    let sum: f64 = x.iter().sum();
    let w = x.iter().map(|v| v / sum).collect();
    s.iter_mut().for_each(|v| *v /= sum);
    (
        w,
        s,
        SolverReport {
            iterations: sweeps,
            error: err,
            converged: err <= tol,
        },
    )
}

/// Projected CCD for `½ x'Σx − λ Σ b ln x` on [l, u], warm-started at `x` (with s = Σx).
/// Stops when no coordinate moves by more than 1e-13 of the largest; Σx is recomputed exactly
/// every 64 sweeps and at the end. Returns (sweeps used, converged).
fn ccd_box(
    cov: &SymMatrix,
    b: &[f64],
    lambda: f64,
    bd: &WeightBounds,
    x: &mut [f64],
    s: &mut [f64],
) -> (usize, bool) {
    let diag = cov.diagonal();
    let n = b.len();
    const MAX_SWEEPS: usize = 20_000;
    for sweep in 1..=MAX_SWEEPS {
        let mut max_step = 0.0_f64;
        let mut max_x = 0.0_f64;
        for i in 0..n {
            let a = diag[i];
            let c = s[i] - a * x[i];
            let xi = coordinate_min(a, 0.5 / a, c, lambda * b[i]).clamp(bd.lower[i], bd.upper[i]);
            let d = xi - x[i];
            if d != 0.0 {
                axpy(s, d, cov.row(i));
                x[i] = xi;
            }
            max_step = max_step.max(d.abs());
            max_x = max_x.max(xi);
        }
        if sweep % 64 == 0 {
            sym_mul(cov, x, s);
        }
        if max_step <= 1e-13 * max_x {
            sym_mul(cov, x, s);
            return (sweep, true);
        }
    }
    sym_mul(cov, x, s);
    (MAX_SWEEPS, false)
}

/// Bounded risk budgeting (Richard & Roncalli 2019): find λ with Σx(λ) = 1.
///
/// λ is updated by the scaling rule λ ← λ ((1 − Σ_bound x) / Σ_free x)², exact when the set of
/// assets at a bound does not change (free coordinates then scale with √λ), safeguarded by a
/// bracket and geometric bisection.
fn solve_bounded(
    cov: &SymMatrix,
    b: &[f64],
    bd: &WeightBounds,
    max_sweeps: usize,
) -> Result<(Vec<f64>, SolverReport), AllocateError> {
    let n = b.len();
    // Start from the unbounded solution: for it, Σx(λ) = √λ Σx(1).
    let (w0, _, _) = solve(cov, b, 1e-12, max_sweeps);
    let mut x: Vec<f64> = (0..n)
        .map(|i| w0[i].clamp(bd.lower[i], bd.upper[i]).max(f64::MIN_POSITIVE))
        .collect();
    let mut s = cov.mul_vec(&x);
    let mut lam = cov.quad_form(&w0); // λ for which the unbounded x(λ) sums to 1
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    let mut sweeps = 0;
    for _ in 0..500 {
        let (used, ok) = ccd_box(cov, b, lam, bd, &mut x, &mut s);
        sweeps += used;
        if !ok {
            return Err(AllocateError::NotConverged {
                iterations: sweeps,
                error: f64::NAN,
                tolerance: 1e-13,
            });
        }
        let f = x.iter().sum::<f64>() - 1.0;
        if f.abs() <= 1e-13 {
            return Ok(finish_bounded(x, b, lam, sweeps, cov, bd));
        }
        if f < 0.0 {
            lo = lo.max(lam);
        } else {
            hi = hi.min(lam);
        }
        let free = |i: usize| x[i] > bd.lower[i] && x[i] < bd.upper[i];
        let s_free: f64 = (0..n).filter(|&i| free(i)).map(|i| x[i]).sum();
        let s_bound: f64 = (0..n).filter(|&i| !free(i)).map(|i| x[i]).sum();
        let mut next = if s_free > 0.0 && s_bound < 1.0 {
            lam * ((1.0 - s_bound) / s_free).powi(2)
        } else {
            f64::NAN
        };
        if !(next > lo && next < hi) {
            next = match (lo > 0.0, hi.is_finite()) {
                (true, true) => (lo * hi).sqrt(),
                (_, false) => lam * 4.0,
                (false, true) => lam / 4.0,
            };
        }
        if hi.is_finite() && lo > 0.0 && hi / lo - 1.0 < 1e-15 {
            return Ok(finish_bounded(x, b, lam, sweeps, cov, bd));
        }
        if !(next.is_finite() && next > 0.0) {
            break;
        }
        lam = next;
    }
    Err(AllocateError::Infeasible(
        "no risk-budgeting portfolio satisfies the weight bounds".into(),
    ))
}

fn finish_bounded(
    x: Vec<f64>,
    b: &[f64],
    lam: f64,
    sweeps: usize,
    cov: &SymMatrix,
    bd: &WeightBounds,
) -> (Vec<f64>, SolverReport) {
    let sum: f64 = x.iter().sum();
    let w: Vec<f64> = x.iter().map(|v| v / sum).collect();
    // KKT residual over interior coordinates: |x_i (Σx)_i − λ b_i| / λ b_i
    let s = cov.mul_vec(&x);
    let err = (0..b.len())
        .filter(|&i| x[i] > bd.lower[i] && x[i] < bd.upper[i])
        .map(|i| ((x[i] * s[i] - lam * b[i]) / (lam * b[i])).abs())
        .fold(0.0, f64::max);
    (
        w,
        SolverReport {
            iterations: sweeps,
            error: err,
            converged: true,
        },
    )
}
