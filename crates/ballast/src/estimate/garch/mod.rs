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

mod likelihood;
mod objective;

pub use likelihood::{garch_backcast, garch_loglikelihood, series_backcast};

use super::EstimateError;
use likelihood::{loglik_and_gradient, loglik_fast, loglik_with_backcast};
use objective::{decode, encode, minimise, Objective};
use std::cell::RefCell;

/// Innovation distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum GarchDist {
    /// Normal innovations.
    #[default]
    Normal,
    /// Standardised (unit-variance) Student-t with ν > 2 degrees of freedom.
    #[cfg_attr(feature = "clap", value(alias = "t"))]
    StudentT,
}

/// Parameters (in the units of the series: percent returns → ω in percent²).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GarchParams {
    /// Constant mean μ.
    pub mu: f64,
    /// ω > 0.
    pub omega: f64,
    /// α ≥ 0 (ARCH).
    pub alpha: f64,
    /// β ≥ 0 (GARCH), α + β ≤ 1.
    pub beta: f64,
    /// Degrees of freedom (Student-t only).
    pub nu: Option<f64>,
}

/// The longest GARCH variance forecast, in days (ten years).
pub const MAX_FORECAST_DAYS: usize = 3650;

/// The fewest returns a GARCH(1,1) fit accepts.
pub const GARCH_MIN_OBSERVATIONS: usize = 100;

/// GARCH(1,1) estimator.
#[derive(Debug, Clone, Copy, Default)]
pub struct Garch11 {
    /// Innovation distribution.
    pub dist: GarchDist,
}

/// A fitted GARCH(1,1).
#[derive(Debug, Clone)]
pub struct GarchFit {
    /// Fitted parameters.
    pub params: GarchParams,
    /// Log-likelihood at the optimum.
    pub loglikelihood: f64,
    /// arch's backcast of the series (σ²_0 and ε²_0).
    pub backcast: f64,
    /// σ²_t for t = 1..T.
    pub conditional_variance: Vec<f64>,
    /// Last residual ε_T.
    pub last_residual: f64,
    /// Innovation distribution.
    pub dist: GarchDist,
}

impl GarchFit {
    /// The long-run (unconditional) variance ω / (1 − α − β), units of the series squared;
    /// `None` when α + β ≥ 1 (an integrated process has none).
    pub fn long_run_variance(&self) -> Option<f64> {
        let p = &self.params;
        let persistence = p.alpha + p.beta;
        (persistence < 1.0).then(|| p.omega / (1.0 - persistence))
    }

    /// Variance forecasts for horizons 1..=h days (units of the series squared).
    ///
    /// # Formula
    /// σ²_{T+1} = ω + α ε²_T + β σ²_T, then σ²_{T+k} = ω + (α + β) σ²_{T+k−1}.
    ///
    /// # Errors
    /// [`EstimateError::BadParameter`] for h outside 1..=[`MAX_FORECAST_DAYS`];
    /// [`EstimateError::TooFewObservations`] for a fit with no conditional variances.
    pub fn forecast_variance(&self, h: usize) -> Result<Vec<f64>, EstimateError> {
        if !(1..=MAX_FORECAST_DAYS).contains(&h) {
            return Err(EstimateError::BadParameter {
                estimator: "GARCH(1,1) forecast",
                name: "horizon",
                value: h as f64,
                expected: "1 to 3650 days",
            });
        }
        let p = &self.params;
        let last = *self
            .conditional_variance
            .last()
            .ok_or(EstimateError::TooFewObservations {
                estimator: "GARCH(1,1) forecast",
                needed: 1,
                got: 0,
            })?;
        let mut out = Vec::with_capacity(h);
        let mut v = p.omega + p.alpha * self.last_residual * self.last_residual + p.beta * last;
        for _ in 0..h {
            out.push(v);
            v = p.omega + (p.alpha + p.beta) * v;
        }
        Ok(out)
    }
}

impl Garch11 {
    /// Fit by maximum likelihood: arch's grid of starting values (α ∈ {0.01, 0.05, 0.1, 0.2},
    /// α+β ∈ {0.5, 0.7, 0.9, 0.98}, ω from the sample variance, ν = 8), then BFGS with the
    /// analytic gradient on unconstrained coordinates (ω > 0, α, β ≥ 0, α + β < 1, ν > 2),
    /// started with the BHHH inverse Hessian; an optimum on α + β = 1 (allowed by arch's
    /// constraint α + β ≤ 1) is fitted on that boundary directly.
    ///
    /// # Errors
    /// Fewer than [`GARCH_MIN_OBSERVATIONS`] observations (a fit on fewer says nothing about
    /// volatility persistence), a constant or non-finite series.
    pub fn fit(&self, y: &[f64]) -> Result<GarchFit, EstimateError> {
        if y.len() < GARCH_MIN_OBSERVATIONS {
            return Err(EstimateError::TooFewObservations {
                estimator: "GARCH(1,1)",
                needed: GARCH_MIN_OBSERVATIONS,
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
            return Err(EstimateError::ConstantSeries);
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
