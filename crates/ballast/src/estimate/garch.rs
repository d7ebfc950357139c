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
use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
use argmin::solver::neldermead::NelderMead;
use statrs::function::gamma::ln_gamma;

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

struct Objective<'a> {
    y: &'a [f64],
    dist: GarchDist,
    backcast: f64,
}

/// Unconstrained θ → parameters: ω = e^{θ1}, persistence s = α + β = logistic(θ2),
/// α = s·logistic(θ3), ν = 2 + e^{θ4}.
fn decode(th: &[f64], dist: GarchDist) -> GarchParams {
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    let s = logistic(th[2]);
    let alpha = s * logistic(th[3]);
    GarchParams {
        mu: th[0],
        omega: th[1].exp(),
        alpha,
        beta: s - alpha,
        nu: (dist == GarchDist::StudentT).then(|| 2.0 + th[4].exp()),
    }
}

fn encode(p: &GarchParams) -> Vec<f64> {
    let logit = |x: f64| (x / (1.0 - x)).ln();
    let s = (p.alpha + p.beta).clamp(1e-6, 1.0 - 1e-9);
    let mut v = vec![
        p.mu,
        p.omega.ln(),
        logit(s),
        logit((p.alpha / s).clamp(1e-9, 1.0 - 1e-9)),
    ];
    if let Some(nu) = p.nu {
        v.push((nu - 2.0).ln());
    }
    v
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, th: &Vec<f64>) -> Result<f64, ArgminError> {
        let p = decode(th, self.dist);
        let resid: Vec<f64> = self.y.iter().map(|v| v - p.mu).collect();
        let (ll, _) = loglik_with_backcast(&resid, &p, self.dist, self.backcast);
        Ok(if ll.is_finite() { -ll } else { f64::MAX })
    }
}

impl Garch11 {
    /// Fit by maximum likelihood: arch's grid of starting values (α ∈ {0.01, 0.05, 0.1, 0.2},
    /// α+β ∈ {0.5, 0.7, 0.9, 0.98}, ω from the sample variance, ν = 8), then Nelder–Mead on
    /// unconstrained coordinates (ω > 0, α, β ≥ 0, α + β < 1, ν > 2), restarted once.
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
        let obj = Objective { y, dist, backcast };
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
                let th = encode(&p);
                let c = obj.cost(&th).unwrap_or(f64::MAX);
                if best.as_ref().is_none_or(|b| c < b.1) {
                    best = Some((th, c));
                }
            }
        }
        let (mut th, _) = best.expect("grid is non-empty");
        for round in 0..3 {
            let step = if round == 0 { 0.3 } else { 0.05 };
            let mut simplex = vec![th.clone()];
            for j in 0..th.len() {
                let mut v = th.clone();
                v[j] += if j == 0 { step * var.sqrt() * 0.1 } else { step };
                simplex.push(v);
            }
            let solver = NelderMead::new(simplex)
                .with_sd_tolerance(1e-13)
                .map_err(|_| EstimateError::NotFinite)?;
            let res = Executor::new(Objective { y, dist, backcast }, solver)
                .configure(|s| s.max_iters(5000))
                .run()
                .map_err(|_| EstimateError::NotFinite)?;
            if let Some(p) = res.state().get_best_param() {
                th = p.clone();
            }
        }
        let params = decode(&th, dist);
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
