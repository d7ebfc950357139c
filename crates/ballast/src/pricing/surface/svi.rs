//! Raw SVI total-variance slices (Gatheral 2004) and their calibration.
//!
//! `w(k) = a + b (ρ (k − m) + √((k − m)² + s²))`, k = ln(K/F), w = σ²T (total implied
//! variance). Parameters are admissible when b ≥ 0, |ρ| < 1, s > 0 and the minimum
//! `a + b s √(1 − ρ²) ≥ 0`; Roger Lee's moment bound requires b (1 + |ρ|) ≤ 4.
//! A slice is free of butterfly arbitrage when Gatheral & Jacquier's (2014) density function
//! `g(k) = (1 − k w′/(2w))² − (w′²/4)(1/w + 1/4) + w″/2` is ≥ 0 for every k.

use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
use argmin::solver::neldermead::NelderMead;

/// Raw SVI parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Svi {
    /// Level a.
    pub a: f64,
    /// Slope b ≥ 0.
    pub b: f64,
    /// Skew ρ ∈ (−1, 1).
    pub rho: f64,
    /// Shift m.
    pub m: f64,
    /// Smoothness σ > 0.
    pub s: f64,
}

impl Svi {
    /// Total variance w(k).
    pub fn total_variance(&self, k: f64) -> f64 {
        let x = k - self.m;
        self.a + self.b * (self.rho * x + (x * x + self.s * self.s).sqrt())
    }

    /// (w, w′, w″) at k.
    pub fn derivatives(&self, k: f64) -> (f64, f64, f64) {
        let x = k - self.m;
        let r = (x * x + self.s * self.s).sqrt();
        (
            self.a + self.b * (self.rho * x + r),
            self.b * (self.rho + x / r),
            self.b * self.s * self.s / (r * r * r),
        )
    }

    /// Implied volatility at log-moneyness k for expiry T: √(w(k)/T).
    pub fn vol(&self, k: f64, t: f64) -> f64 {
        (self.total_variance(k).max(0.0) / t).sqrt()
    }

    /// Gatheral–Jacquier density function g(k); negative values mean butterfly arbitrage.
    pub fn density(&self, k: f64) -> f64 {
        let (w, w1, w2) = self.derivatives(k);
        if w <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let t = 1.0 - k * w1 / (2.0 * w);
        t * t - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2
    }

    /// Minimum total variance a + b s √(1 − ρ²).
    pub fn min_variance(&self) -> f64 {
        self.a + self.b * self.s * (1.0 - self.rho * self.rho).sqrt()
    }

    /// Smallest g(k) over `grid` (butterfly-arbitrage check).
    pub fn min_density(&self, grid: &[f64]) -> f64 {
        grid.iter()
            .map(|&k| self.density(k))
            .fold(f64::INFINITY, f64::min)
    }
}

/// One market point of a smile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmilePoint {
    /// Log-moneyness ln(K/F).
    pub k: f64,
    /// Implied volatility (fraction).
    pub vol: f64,
    /// Fit weight (≥ 0).
    pub weight: f64,
}

/// Calibration result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SviFit {
    /// Fitted parameters.
    pub params: Svi,
    /// Weighted RMS error in volatility (fraction).
    pub rmse: f64,
    /// Smallest Gatheral–Jacquier g(k) on the check grid (≥ 0: no butterfly arbitrage).
    pub min_density: f64,
    /// Nelder–Mead iterations of the best start.
    pub iterations: u64,
}

/// The check grid: the quoted range widened by 1 in log-moneyness each side, 201 points.
pub fn check_grid(points: &[SmilePoint]) -> Vec<f64> {
    let lo = points.iter().map(|p| p.k).fold(f64::INFINITY, f64::min) - 1.0;
    let hi = points.iter().map(|p| p.k).fold(f64::NEG_INFINITY, f64::max) + 1.0;
    (0..=200).map(|i| lo + (hi - lo) * i as f64 / 200.0).collect()
}

#[derive(Clone, Copy)]
struct Objective<'a> {
    points: &'a [SmilePoint],
    t: f64,
    grid: &'a [f64],
    total_weight: f64,
    /// Weight of the butterfly penalty Σ min(g(k) − margin, 0)².
    arbitrage_weight: f64,
}

/// g(k) must clear this margin in the fit, so that the reported minimum is ≥ 0 after rounding.
const DENSITY_MARGIN: f64 = 1e-6;

/// Unconstrained coordinates θ = (a, ln b, atanh ρ, m, ln s) → SVI.
fn decode(p: &[f64]) -> Svi {
    Svi {
        a: p[0],
        b: p[1].exp(),
        rho: p[2].tanh(),
        m: p[3],
        s: p[4].exp(),
    }
}

impl Objective<'_> {
    fn fit_error(&self, svi: &Svi) -> f64 {
        let sse: f64 = self
            .points
            .iter()
            .map(|p| {
                let e = svi.vol(p.k, self.t) - p.vol;
                p.weight * e * e
            })
            .sum();
        sse / self.total_weight
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> Result<f64, ArgminError> {
        let svi = decode(p);
        let mut cost = self.fit_error(&svi);
        // admissibility and no-arbitrage as penalties (they are zero at admissible points)
        let wmin = svi.min_variance();
        if wmin < 0.0 {
            cost += 1e3 * wmin * wmin + 1e-3;
        }
        let lee = svi.b * (1.0 + svi.rho.abs()) - 4.0;
        if lee > 0.0 {
            cost += 1e3 * lee * lee;
        }
        let bfly: f64 = self
            .grid
            .iter()
            .map(|&k| (svi.density(k) - DENSITY_MARGIN).min(0.0).powi(2))
            .sum();
        if bfly.is_finite() {
            cost += self.arbitrage_weight * bfly;
        } else {
            cost += 1e6;
        }
        Ok(if cost.is_finite() { cost } else { 1e12 })
    }
}

/// Fit raw SVI to `points` of one expiry (T years) by weighted least squares in volatility,
/// with admissibility, Lee's bound and the butterfly condition as penalties; Nelder–Mead from
/// three starts (ρ = −0.5, 0, 0.5). Needs at least 5 points (returns `None` otherwise).
pub fn fit_svi(points: &[SmilePoint], t: f64) -> Option<SviFit> {
    if points.len() < 5 || !(t > 0.0) {
        return None;
    }
    let total_weight: f64 = points.iter().map(|p| p.weight).sum();
    if !(total_weight > 0.0) {
        return None;
    }
    let grid = check_grid(points);
    // ATM total variance from the point closest to k = 0
    let atm = points
        .iter()
        .min_by(|x, y| x.k.abs().total_cmp(&y.k.abs()))
        .map(|p| p.vol * p.vol * t)
        .unwrap_or(0.01);
    let spread = points.iter().map(|p| p.k.abs()).fold(0.0, f64::max).max(0.05);
    let b0 = (atm / spread).clamp(1e-4, 2.0);
    let mut starts: Vec<Vec<f64>> = [-0.5_f64, 0.0, 0.5]
        .iter()
        .map(|rho0| vec![0.5 * atm, b0.ln(), rho0.atanh(), 0.0, (0.5 * spread).ln()])
        .collect();
    let steps = [0.2 * atm.max(1e-4), 0.5, 0.4, 0.2 * spread, 0.5];
    let mut best: Option<(Vec<f64>, f64, u64)> = None;
    // If the best fit still violates the butterfly condition, restart from it with a penalty
    // 100 times stronger (at most three times).
    let mut arbitrage_weight = 10.0;
    for _round in 0..4 {
        let obj = Objective {
            points,
            t,
            grid: &grid,
            total_weight,
            arbitrage_weight,
        };
        for start in &starts {
            let mut simplex = vec![start.clone()];
            for (j, h) in steps.iter().enumerate() {
                let mut v = start.clone();
                v[j] += h;
                simplex.push(v);
            }
            let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(1e-14) else {
                continue;
            };
            let Ok(res) = Executor::new(obj, solver).configure(|s| s.max_iters(4000)).run() else {
                continue;
            };
            let st = res.state();
            if let Some(p) = st.get_best_param() {
                let c = obj.cost(p).unwrap_or(f64::INFINITY);
                if best.as_ref().is_none_or(|b| c < b.1) {
                    best = Some((p.clone(), c, st.get_iter()));
                }
            }
        }
        let (p, _, _) = best.as_ref()?;
        if decode(p).min_density(&grid) >= 0.0 {
            break;
        }
        arbitrage_weight *= 100.0;
        starts = vec![p.clone()];
        best = best.map(|(p, _, i)| {
            let c = Objective {
                points,
                t,
                grid: &grid,
                total_weight,
                arbitrage_weight,
            }
            .cost(&p)
            .unwrap_or(f64::INFINITY);
            (p, c, i)
        });
    }
    let obj = Objective {
        points,
        t,
        grid: &grid,
        total_weight,
        arbitrage_weight,
    };
    let (p, _, iterations) = best?;
    let params = decode(&p);
    Some(SviFit {
        params,
        rmse: obj.fit_error(&params).sqrt(),
        min_density: params.min_density(&grid),
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_known_parameters() {
        let truth = Svi {
            a: 0.02,
            b: 0.15,
            rho: -0.3,
            m: 0.05,
            s: 0.2,
        };
        let t = 0.5;
        let points: Vec<SmilePoint> = (-20..=20)
            .map(|i| {
                let k = i as f64 * 0.04;
                SmilePoint {
                    k,
                    vol: truth.vol(k, t),
                    weight: 1.0,
                }
            })
            .collect();
        let fit = fit_svi(&points, t).unwrap();
        assert!(fit.rmse < 1e-6, "rmse {}", fit.rmse);
        for k in [-0.5, 0.0, 0.5] {
            assert!((fit.params.vol(k, t) - truth.vol(k, t)).abs() < 1e-5);
        }
        assert!(fit.min_density >= 0.0);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let s = Svi {
            a: 0.01,
            b: 0.2,
            rho: 0.2,
            m: -0.1,
            s: 0.3,
        };
        let h = 1e-5;
        for k in [-1.0, -0.2, 0.0, 0.4, 1.5] {
            let (_, w1, w2) = s.derivatives(k);
            let fd1 = (s.total_variance(k + h) - s.total_variance(k - h)) / (2.0 * h);
            let fd2 =
                (s.total_variance(k + h) - 2.0 * s.total_variance(k) + s.total_variance(k - h)) / (h * h);
            assert!((w1 - fd1).abs() < 1e-8);
            assert!((w2 - fd2).abs() < 1e-4);
        }
    }
}
