//! The optimisation problem behind [`super::Garch11::fit`]: unconstrained coordinates, the
//! negative mean log-likelihood with its gradient for argmin, the BHHH starting Hessian.

use super::likelihood::loglik_and_gradient;
use super::{EstimateError, GarchDist, GarchParams};
use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;
use statrs::function::gamma::digamma;
use std::cell::RefCell;

/// θ with its cost and gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

#[derive(Clone)]
pub(super) struct Objective<'a> {
    pub(super) y: &'a [f64],
    pub(super) dist: GarchDist,
    pub(super) backcast: f64,
    pub(super) sd: f64,
    /// Persistence fixed at α + β = 1 (the boundary arch's constraint allows): θ then has no
    /// persistence coordinate, (θ0, θ1, θ3[, θ4]).
    pub(super) unit: bool,
    /// Last θ evaluated with its cost and gradient (the line search asks for both).
    pub(super) cache: RefCell<Option<Evaluation>>,
}

/// Unconstrained θ → parameters: μ = θ0·sd (sd = sample standard deviation, so every
/// coordinate has a curvature of order one), ω = e^{θ1}, persistence s = α + β =
/// logistic(θ2), α = s·logistic(θ3), ν = 2 + e^{θ4}.
pub(super) fn decode(th: &[f64], dist: GarchDist, sd: f64) -> GarchParams {
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

pub(super) fn encode(p: &GarchParams, sd: f64) -> Vec<f64> {
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
    pub(super) fn params(&self, th: &[f64]) -> GarchParams {
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
    pub(super) fn reduce(&self, mut v: Vec<f64>) -> Vec<f64> {
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
        // H is positive definite (an outer-product sum plus the ridge): invert by Cholesky
        let m = crate::SymMatrix::from_rows(&h)?;
        let cols: Option<Vec<Vec<f64>>> = (0..k)
            .map(|j| m.solve(&(0..k).map(|i| f64::from(u8::from(i == j))).collect::<Vec<_>>()))
            .collect();
        let cols = cols?;
        Some((0..k).map(|i| (0..k).map(|j| cols[j][i]).collect()).collect())
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
pub(super) fn minimise(
    obj: &Objective<'_>,
    th: Vec<f64>,
    max_iters: u64,
) -> Result<(Vec<f64>, bool), EstimateError> {
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
