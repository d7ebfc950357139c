//! GARCH(1,1) with a constant mean (Bollerslev 1986), normal or standardised Student-t
//! innovations, by maximum likelihood — the conventions of Python's `arch` package:
//!
//! ε_t = y_t − μ,  σ²_1 = ω + (α + β)·b,  σ²_t = ω + α ε²_{t−1} + β σ²_{t−1}
//!
//! (arch's recursion: the unobserved ε²_0 and σ²_0 are both replaced by the backcast b), with
//! b = Σ_{i<τ} w_i e²_i, w_i ∝ 0.94^i, τ = min(75, T), e = y − ȳ (arch computes it once, from
//! the sample-mean residuals, whatever μ is being evaluated). Log-likelihood (normal)
//! −½ Σ [ln 2π + ln σ²_t + ε²_t/σ²_t]; (t, ν > 2, unit variance)
//! Σ [ln Γ((ν+1)/2) − ln Γ(ν/2) − ½ ln(π(ν−2)) − ½ ln σ²_t − (ν+1)/2 · ln(1 + ε²_t/(σ²_t(ν−2)))].
//!
//! Forecasts: σ²_{T+1} = ω + α ε²_T + β σ²_T, then σ²_{T+h} = ω + (α+β) σ²_{T+h−1}.
//! Returns are best given in percent (as arch recommends) for a well-scaled optimisation.

use super::EstimateError;
use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;
use statrs::function::gamma::{digamma, ln_gamma};
use std::cell::RefCell;

/// Innovation distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GarchDist {
    #[default]
    Normal,
    /// Standardised (unit-variance) Student-t with ν > 2 degrees of freedom.
    StudentT,
}

/// Parameters (in the units of the series: percent returns → ω in percent²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GarchParams {
    pub mu: f64,
    pub omega: f64,
    pub alpha: f64,
    pub beta: f64,
    /// Degrees of freedom (Student-t only).
    pub nu: Option<f64>,
}

/// GARCH(1,1) estimator.
#[derive(Debug, Clone, Copy, Default)]
pub struct Garch11 {
    pub dist: GarchDist,
}

/// A fitted GARCH(1,1).
#[derive(Debug, Clone)]
pub struct GarchFit {
    pub params: GarchParams,
    pub loglikelihood: f64,
    /// arch's backcast of the series (σ²_0 and ε²_0).
    pub backcast: f64,
    /// σ²_t for t = 1..T.
    pub conditional_variance: Vec<f64>,
    /// Last residual ε_T.
    pub last_residual: f64,
    pub dist: GarchDist,
}

/// arch's backcast: exponentially weighted (0.94^i, normalised) mean of the first
/// min(75, T) squared residuals.
pub fn garch_backcast(resid: &[f64]) -> f64 {
    let tau = resid.len().min(75);
    let mut w = 1.0;
    let (mut num, mut den) = (0.0, 0.0);
    for r in &resid[..tau] {
        num += w * r * r;
        den += w;
        w *= 0.94;
    }
    num / den
}

/// The backcast of a series: [`garch_backcast`] of y − ȳ.
pub fn series_backcast(y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let dm: Vec<f64> = y.iter().map(|v| v - mean).collect();
    garch_backcast(&dm)
}

/// Log-likelihood of `y` at `p` (arch's backcast, from y − ȳ) and the conditional variances.
pub fn garch_loglikelihood(y: &[f64], p: &GarchParams, dist: GarchDist) -> (f64, Vec<f64>) {
    let resid: Vec<f64> = y.iter().map(|v| v - p.mu).collect();
    loglik_with_backcast(&resid, p, dist, series_backcast(y))
}

fn loglik_with_backcast(resid: &[f64], p: &GarchParams, dist: GarchDist, backcast: f64) -> (f64, Vec<f64>) {
    let mut s2 = Vec::with_capacity(resid.len());
    let mut prev_s2 = 0.0;
    let mut prev_e2 = 0.0;
    for (t, e) in resid.iter().enumerate() {
        let v = if t == 0 {
            p.omega + (p.alpha + p.beta) * backcast
        } else {
            p.omega + p.alpha * prev_e2 + p.beta * prev_s2
        };
        s2.push(v);
        prev_s2 = v;
        prev_e2 = e * e;
    }
    let ll = match dist {
        GarchDist::Normal => {
            let c = (2.0 * std::f64::consts::PI).ln();
            -0.5 * resid
                .iter()
                .zip(&s2)
                .map(|(e, v)| c + v.ln() + e * e / v)
                .sum::<f64>()
        }
        GarchDist::StudentT => {
            let nu = p.nu.unwrap_or(f64::NAN);
            let k = ln_gamma((nu + 1.0) / 2.0)
                - ln_gamma(nu / 2.0)
                - 0.5 * (std::f64::consts::PI * (nu - 2.0)).ln();
            resid
                .iter()
                .zip(&s2)
                .map(|(e, v)| k - 0.5 * v.ln() - 0.5 * (nu + 1.0) * (1.0 + e * e / (v * (nu - 2.0))).ln())
                .sum()
        }
    };
    (ll, s2)
}

impl GarchFit {
    /// Variance forecasts for horizons 1..=h (units of the series squared).
    pub fn forecast_variance(&self, h: usize) -> Vec<f64> {
        let p = &self.params;
        let last = *self
            .conditional_variance
            .last()
            .expect("fitted series is non-empty");
        let mut out = Vec::with_capacity(h);
        let mut v = p.omega + p.alpha * self.last_residual * self.last_residual + p.beta * last;
        for _ in 0..h {
            out.push(v);
            v = p.omega + (p.alpha + p.beta) * v;
        }
        out
    }
}

/// θ with its cost and gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

#[derive(Clone)]
struct Objective<'a> {
    y: &'a [f64],
    dist: GarchDist,
    backcast: f64,
    sd: f64,
    /// Persistence fixed at α + β = 1 (the boundary arch's constraint allows): θ then has no
    /// persistence coordinate, (θ0, θ1, θ3[, θ4]).
    unit: bool,
    /// Last θ evaluated with its cost and gradient (the line search asks for both).
    cache: RefCell<Option<Evaluation>>,
}

/// Unconstrained θ → parameters: μ = θ0·sd (sd = sample standard deviation, so every
/// coordinate has a curvature of order one), ω = e^{θ1}, persistence s = α + β =
/// logistic(θ2), α = s·logistic(θ3), ν = 2 + e^{θ4}.
fn decode(th: &[f64], dist: GarchDist, sd: f64) -> GarchParams {
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    let s = logistic(th[2]);
    let alpha = s * logistic(th[3]);
    GarchParams {
        mu: th[0] * sd,
        omega: th[1].exp(),
        alpha,
        beta: s - alpha,
        nu: (dist == GarchDist::StudentT).then(|| 2.0 + th[4].exp()),
    }
}

fn encode(p: &GarchParams, sd: f64) -> Vec<f64> {
    let logit = |x: f64| (x / (1.0 - x)).ln();
    let s = (p.alpha + p.beta).clamp(1e-6, 1.0 - 1e-9);
    let mut v = vec![
        p.mu / sd,
        p.omega.ln(),
        logit(s),
        logit((p.alpha / s).clamp(1e-9, 1.0 - 1e-9)),
    ];
    if let Some(nu) = p.nu {
        v.push((nu - 2.0).ln());
    }
    v
}

/// Log-likelihood and its gradient with respect to (μ, ω, α, β, ν), by differentiating the
/// variance recursion forward: ∂σ²_t = ∂ω + ε²_{t−1}∂α + σ²_{t−1}∂β − 2αε_{t−1}∂μ + β∂σ²_{t−1}
/// (σ²_1 = ω + (α+β)·b does not depend on μ: arch's backcast is fixed).
fn loglik_and_gradient(y: &[f64], p: &GarchParams, dist: GarchDist, backcast: f64) -> (f64, [f64; 5]) {
    match dist {
        GarchDist::Normal => loglik_blocked::<true, false>(y, p, backcast, 8),
        GarchDist::StudentT => loglik_blocked::<true, true>(y, p, backcast, 8),
    }
}

/// The log-likelihood alone (the same pass without the derivative recursions).
fn loglik_fast(y: &[f64], p: &GarchParams, dist: GarchDist, backcast: f64) -> f64 {
    match dist {
        GarchDist::Normal => loglik_blocked::<false, false>(y, p, backcast, 8).0,
        GarchDist::StudentT => loglik_blocked::<false, true>(y, p, backcast, 8).0,
    }
}

fn loglik_blocked<const GRAD: bool, const STUDENT: bool>(
    y: &[f64],
    p: &GarchParams,
    backcast: f64,
    block: usize,
) -> (f64, [f64; 5]) {
    let (mu, omega, alpha, beta) = (p.mu, p.omega, p.alpha, p.beta);
    let nu = p.nu.unwrap_or(f64::NAN);
    let student = STUDENT;
    let (c_sig, c_eps) = if student {
        (nu + 1.0, 1.0 / (nu - 2.0))
    } else {
        (1.0, 1.0)
    };
    // running derivatives of σ²_t with respect to μ, ω, α, β
    let mut s2 = omega + (alpha + beta) * backcast;
    let (mut dmu, mut dom, mut dal, mut dbe) = (0.0, 1.0, backcast, backcast);
    let (mut sum_ln_s2, mut sum_a, mut g) = (0.0, 0.0, [0.0f64; 5]);
    let mut sum_dnu = 0.0;
    // Σ ln σ²_t and Σ ln(1+q_t) as logs of products over blocks of 8 (one ln per block instead
    // of per observation). If a block product leaves the normal range (variances beyond
    // 1e±38) the pass is redone with one log per observation.
    let mut exact = true;
    let mut in_block = 0;
    let (mut prod_s2, mut prod_q) = (1.0f64, 1.0f64);
    let n = y.len();
    for t in 0..n {
        let e = y[t] - mu;
        let e2 = e * e;
        let inv = 1.0 / s2;
        prod_s2 *= s2;
        // per-observation derivative with respect to σ²_t and to ε_t
        let (dl_ds2, dl_de) = if student {
            let q = e2 * inv * c_eps;
            prod_q *= 1.0 + q;
            if GRAD {
                let inv1q = 1.0 / (1.0 + q);
                let r = q * inv1q;
                sum_dnu += r;
                (0.5 * inv * (c_sig * r - 1.0), -c_sig * e * inv * c_eps * inv1q)
            } else {
                (0.0, 0.0)
            }
        } else {
            sum_a += e2 * inv;
            (0.5 * inv * (e2 * inv - 1.0), -e * inv)
        };
        in_block += 1;
        if in_block == block {
            in_block = 0;
            exact &= prod_s2.is_normal() && prod_q.is_normal();
            sum_ln_s2 += prod_s2.ln();
            sum_a += if student { prod_q.ln() } else { 0.0 };
            prod_s2 = 1.0;
            prod_q = 1.0;
        }
        if GRAD {
            g[0] += dl_ds2 * dmu - dl_de;
            g[1] += dl_ds2 * dom;
            g[2] += dl_ds2 * dal;
            g[3] += dl_ds2 * dbe;
            dmu = -2.0 * alpha * e + beta * dmu;
            dom = 1.0 + beta * dom;
            dal = e2 + beta * dal;
            dbe = s2 + beta * dbe;
        }
        s2 = omega + alpha * e2 + beta * s2;
    }
    exact &= prod_s2.is_normal() && prod_q.is_normal();
    sum_ln_s2 += prod_s2.ln();
    if student {
        sum_a += prod_q.ln();
    }
    if !exact && block > 1 {
        return loglik_blocked::<GRAD, STUDENT>(y, p, backcast, 1);
    }
    let nf = n as f64;
    let ll = if student {
        let k =
            ln_gamma((nu + 1.0) / 2.0) - ln_gamma(nu / 2.0) - 0.5 * (std::f64::consts::PI * (nu - 2.0)).ln();
        // ∂/∂ν: k'(ν) − ½ Σ ln(1+q) + (ν+1)/(2(ν−2)) Σ q/(1+q)
        let dk = 0.5 * digamma((nu + 1.0) / 2.0) - 0.5 * digamma(nu / 2.0) - 0.5 / (nu - 2.0);
        g[4] = nf * dk - 0.5 * sum_a + 0.5 * (nu + 1.0) / (nu - 2.0) * sum_dnu;
        nf * k - 0.5 * sum_ln_s2 - 0.5 * (nu + 1.0) * sum_a
    } else {
        -0.5 * (nf * (2.0 * std::f64::consts::PI).ln() + sum_ln_s2 + sum_a)
    };
    (ll, g)
}

impl Objective<'_> {
    /// Mean negative log-likelihood (−ℓ/T, so that a unit step in θ is a sensible first step
    /// for the quasi-Newton solver) and its gradient in the unconstrained coordinates θ.
    fn cost_and_gradient(&self, th: &[f64]) -> (f64, Vec<f64>) {
        if let Some((t, c, g)) = self.cache.borrow().as_ref() {
            if t == th {
                return (*c, g.clone());
            }
        }
        let out = self.evaluate(th);
        *self.cache.borrow_mut() = Some((th.to_vec(), out.0, out.1.clone()));
        out
    }

    /// Full θ of a (possibly unit-persistence) point: the persistence coordinate is +∞ there.
    fn params(&self, th: &[f64]) -> GarchParams {
        if self.unit {
            let a = 1.0 / (1.0 + (-th[2]).exp());
            GarchParams {
                mu: th[0] * self.sd,
                omega: th[1].exp(),
                alpha: a,
                beta: 1.0 - a,
                nu: (self.dist == GarchDist::StudentT).then(|| 2.0 + th[3].exp()),
            }
        } else {
            decode(th, self.dist, self.sd)
        }
    }

    /// Drop the persistence coordinate of a full-θ vector in unit mode.
    fn reduce(&self, mut v: Vec<f64>) -> Vec<f64> {
        if self.unit {
            v.remove(2);
        }
        v
    }

    fn evaluate(&self, th: &[f64]) -> (f64, Vec<f64>) {
        let p = self.params(th);
        let (ll, g) = loglik_and_gradient(self.y, &p, self.dist, self.backcast);
        if !ll.is_finite() || g.iter().any(|v| !v.is_finite()) {
            return (f64::MAX, vec![0.0; th.len()]);
        }
        let scale = -1.0 / self.y.len() as f64;
        (
            ll * scale,
            self.reduce(to_theta(&g.map(|v| v * scale), &p, self.sd)),
        )
    }

    /// BHHH approximation of the Hessian of −ℓ/T in θ (the mean outer product of the
    /// per-observation scores; Berndt, Hall, Hall & Hausman 1974), inverted: the starting
    /// inverse Hessian of BFGS, so the first steps already have the right scale in every
    /// coordinate (including a persistence near 1, where the logistic is flat).
    fn bhhh_inverse(&self, th: &[f64]) -> Option<Vec<Vec<f64>>> {
        let p = self.params(th);
        let k = th.len();
        let student = self.dist == GarchDist::StudentT;
        let nu = p.nu.unwrap_or(f64::NAN);
        let dk = if student {
            0.5 * digamma((nu + 1.0) / 2.0) - 0.5 * digamma(nu / 2.0) - 0.5 / (nu - 2.0)
        } else {
            0.0
        };
        let mut h = vec![vec![0.0; k]; k];
        let mut s2 = p.omega + (p.alpha + p.beta) * self.backcast;
        let (mut dmu, mut dom, mut dal, mut dbe) = (0.0, 1.0, self.backcast, self.backcast);
        for &yt in self.y {
            let e = yt - p.mu;
            let inv = 1.0 / s2;
            let (dl_ds2, dl_de, dl_dnu) = if student {
                let q = e * e * inv / (nu - 2.0);
                let r = q / (1.0 + q);
                (
                    0.5 * inv * ((nu + 1.0) * r - 1.0),
                    -(nu + 1.0) * e * inv / ((nu - 2.0) * (1.0 + q)),
                    dk - 0.5 * q.ln_1p() + 0.5 * (nu + 1.0) / (nu - 2.0) * r,
                )
            } else {
                (0.5 * inv * (e * e * inv - 1.0), -e * inv, 0.0)
            };
            let score = [
                dl_ds2 * dmu - dl_de,
                dl_ds2 * dom,
                dl_ds2 * dal,
                dl_ds2 * dbe,
                dl_dnu,
            ];
            let st = self.reduce(to_theta(&score, &p, self.sd));
            for i in 0..k {
                for j in 0..k {
                    h[i][j] += st[i] * st[j];
                }
            }
            dmu = -2.0 * p.alpha * e + p.beta * dmu;
            dom = 1.0 + p.beta * dom;
            dal = e * e + p.beta * dal;
            dbe = s2 + p.beta * dbe;
            s2 = p.omega + p.alpha * e * e + p.beta * s2;
        }
        let t = self.y.len() as f64;
        let trace: f64 = (0..k).map(|i| h[i][i]).sum::<f64>() / t;
        for (i, row) in h.iter_mut().enumerate() {
            row.iter_mut().for_each(|v| *v /= t);
            row[i] += 1e-10 * trace;
        }
        invert_small(h)
    }
}

/// Chain rule from a gradient in (μ, ω, α, β, ν) to the unconstrained θ of [`decode`].
fn to_theta(g: &[f64; 5], p: &GarchParams, sd: f64) -> Vec<f64> {
    let s = p.alpha + p.beta;
    let a = p.alpha / s;
    let mut out = vec![
        g[0] * sd,
        g[1] * p.omega,
        (g[2] * a + g[3] * (1.0 - a)) * s * (1.0 - s),
        (g[2] - g[3]) * s * a * (1.0 - a),
    ];
    if let Some(nu) = p.nu {
        out.push(g[4] * (nu - 2.0));
    }
    out
}

/// Inverse of a small positive-definite matrix (Gauss–Jordan with partial pivoting).
fn invert_small(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut inv: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for c in 0..k {
        let piv = (c..k).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))?;
        if !(a[piv][c].abs() > 0.0) || !a[piv][c].is_finite() {
            return None;
        }
        a.swap(c, piv);
        inv.swap(c, piv);
        let d = a[c][c];
        for j in 0..k {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for r in 0..k {
            if r != c {
                let f = a[r][c];
                for j in 0..k {
                    a[r][j] -= f * a[c][j];
                    inv[r][j] -= f * inv[c][j];
                }
            }
        }
    }
    Some(inv)
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, th: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.cost_and_gradient(th).0)
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, th: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        Ok(self.cost_and_gradient(th).1)
    }
}

/// BFGS (argmin, Moré–Thuente line search) from `th`, started with the BHHH inverse Hessian;
/// returns the best point and whether it converged within `max_iters`.
fn minimise(obj: &Objective<'_>, th: Vec<f64>, max_iters: u64) -> Result<(Vec<f64>, bool), EstimateError> {
    let k = th.len();
    let h0 = obj.bhhh_inverse(&th).unwrap_or_else(|| {
        (0..k)
            .map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect())
            .collect()
    });
    let solver = BFGS::new(MoreThuenteLineSearch::new())
        .with_tolerance_grad(1e-8)
        .and_then(|s| s.with_tolerance_cost(1e-15))
        .map_err(|_| EstimateError::NotFinite)?;
    // a line search that meets an overflow ends the attempt: the caller falls back
    let Ok(res) = Executor::new(obj.clone(), solver)
        .configure(|s| s.param(th.clone()).inv_hessian(h0).max_iters(max_iters))
        .run()
    else {
        return Ok((th, false));
    };
    let state = res.state();
    let done = matches!(state.get_termination_status(), argmin::core::TerminationStatus::Terminated(r) if *r != argmin::core::TerminationReason::MaxItersReached);
    Ok((state.get_best_param().cloned().unwrap_or(th), done))
}

impl Garch11 {
    /// Fit by maximum likelihood: arch's grid of starting values (α ∈ {0.01, 0.05, 0.1, 0.2},
    /// α+β ∈ {0.5, 0.7, 0.9, 0.98}, ω from the sample variance, ν = 8), then BFGS with the
    /// analytic gradient on unconstrained coordinates (ω > 0, α, β ≥ 0, α + β < 1, ν > 2),
    /// started with the BHHH inverse Hessian; an optimum on α + β = 1 (allowed by arch's
    /// constraint α + β ≤ 1) is fitted on that boundary directly.
    ///
    /// Errors: fewer than 10 observations, a constant or non-finite series.
    pub fn fit(&self, y: &[f64]) -> Result<GarchFit, EstimateError> {
        if y.len() < 10 {
            return Err(EstimateError::TooFewObservations {
                estimator: "GARCH(1,1)",
                needed: 10,
                got: y.len(),
            });
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(EstimateError::NotFinite);
        }
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        if !(var > 1e-24 * (1.0 + mean * mean)) {
            return Err(EstimateError::ZeroVariance {
                asset: "series".into(),
            });
        }
        let dist = self.dist;
        let backcast = series_backcast(y);
        let sd = var.sqrt();
        let obj = Objective {
            y,
            dist,
            backcast,
            sd,
            unit: false,
            cache: RefCell::new(None),
        };
        let mut best: Option<(Vec<f64>, f64)> = None;
        for alpha in [0.01, 0.05, 0.1, 0.2] {
            for s in [0.5, 0.7, 0.9, 0.98] {
                if alpha >= s {
                    continue;
                }
                let p = GarchParams {
                    mu: mean,
                    omega: var * (1.0 - s),
                    alpha,
                    beta: s - alpha,
                    nu: (dist == GarchDist::StudentT).then_some(8.0),
                };
                let th = encode(&p, sd);
                let ll = loglik_fast(y, &decode(&th, dist, sd), dist, backcast);
                let c = if ll.is_finite() { -ll } else { f64::MAX };
                if best.as_ref().is_none_or(|b| c < b.1) {
                    best = Some((th, c));
                }
            }
        }
        let (th, _) = best.expect("grid is non-empty");
        // BFGS from arch's best grid point, started with the BHHH inverse Hessian, to
        // |∇(−ℓ/T)| ≤ 1e-8 (arch's SLSQP stops at a 1e-6 change in −ℓ).
        let (th, done) = minimise(&obj, th, 18)?;
        let mut params = obj.params(&th);
        if !done && params.alpha + params.beta > 0.99 {
            // Heading for α + β = 1, which the logistic only approaches: fit on the boundary
            // and keep it if the likelihood still rises towards it (∂ℓ/∂s ≥ 0 there, the
            // optimality condition of arch's constraint α + β ≤ 1).
            let unit = Objective {
                unit: true,
                cache: RefCell::new(None),
                ..obj.clone()
            };
            let (tu, unit_done) = minimise(&unit, unit.reduce(th.clone()), 500)?;
            let pu = unit.params(&tu);
            let (ll_u, g) = loglik_and_gradient(y, &pu, dist, backcast);
            if unit_done && ll_u.is_finite() && g[2] * pu.alpha + g[3] * pu.beta >= 0.0 {
                params = pu;
            } else {
                let full = Objective {
                    unit: false,
                    cache: RefCell::new(None),
                    ..unit
                };
                params = full.params(&minimise(&full, th, 500)?.0);
            }
        } else if !done {
            params = obj.params(&minimise(&obj, th, 500)?.0);
        }
        let resid: Vec<f64> = y.iter().map(|v| v - params.mu).collect();
        let (ll, s2) = loglik_with_backcast(&resid, &params, dist, backcast);
        Ok(GarchFit {
            params,
            loglikelihood: ll,
            backcast,
            conditional_variance: s2,
            last_residual: *resid.last().expect("non-empty"),
            dist,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> Vec<f64> {
        // a deterministic GARCH-like path
        let (mut s2, mut state) = (1.0f64, 12345u64);
        (0..500)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
                let e = u * 1.7 * s2.sqrt();
                s2 = 0.1 + 0.1 * e * e + 0.85 * s2;
                0.05 + e
            })
            .collect()
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let y = series();
        let b = series_backcast(&y);
        for (dist, nu) in [(GarchDist::Normal, None), (GarchDist::StudentT, Some(6.5))] {
            let p = GarchParams {
                mu: 0.03,
                omega: 0.2,
                alpha: 0.12,
                beta: 0.8,
                nu,
            };
            let (_, g) = loglik_and_gradient(&y, &p, dist, b);
            let f = |q: &GarchParams| {
                let r: Vec<f64> = y.iter().map(|v| v - q.mu).collect();
                loglik_with_backcast(&r, q, dist, b).0
            };
            let k = if nu.is_some() { 5 } else { 4 };
            for i in 0..k {
                let h = 1e-6;
                let bump = |d: f64| {
                    let mut q = p;
                    match i {
                        0 => q.mu += d,
                        1 => q.omega += d,
                        2 => q.alpha += d,
                        3 => q.beta += d,
                        _ => q.nu = Some(q.nu.unwrap() + d),
                    }
                    f(&q)
                };
                let fd = (bump(h) - bump(-h)) / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() <= 1e-5 * fd.abs().max(1.0),
                    "{dist:?} ∂{i}: {fd} vs {}",
                    g[i]
                );
            }
            assert!((f(&p) - loglik_and_gradient(&y, &p, dist, b).0).abs() < 1e-9);
        }
    }
}
