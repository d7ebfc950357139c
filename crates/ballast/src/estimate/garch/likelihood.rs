//! The GARCH(1,1) log-likelihood with arch's backcast: exact (one log per observation) and the
//! fast pass with its analytic gradient used by the optimiser.

use super::{GarchDist, GarchParams};
use statrs::function::gamma::{digamma, ln_gamma};

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

pub(super) fn loglik_with_backcast(
    resid: &[f64],
    p: &GarchParams,
    dist: GarchDist,
    backcast: f64,
) -> (f64, Vec<f64>) {
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

/// Log-likelihood and its gradient with respect to (μ, ω, α, β, ν), by differentiating the
/// variance recursion forward: ∂σ²_t = ∂ω + ε²_{t−1}∂α + σ²_{t−1}∂β − 2αε_{t−1}∂μ + β∂σ²_{t−1}
/// (σ²_1 = ω + (α+β)·b does not depend on μ: arch's backcast is fixed).
pub(super) fn loglik_and_gradient(
    y: &[f64],
    p: &GarchParams,
    dist: GarchDist,
    backcast: f64,
) -> (f64, [f64; 5]) {
    match dist {
        GarchDist::Normal => loglik_blocked::<true, false>(y, p, backcast, 8),
        GarchDist::StudentT => loglik_blocked::<true, true>(y, p, backcast, 8),
    }
}

/// The log-likelihood alone (the same pass without the derivative recursions).
pub(super) fn loglik_fast(y: &[f64], p: &GarchParams, dist: GarchDist, backcast: f64) -> f64 {
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
