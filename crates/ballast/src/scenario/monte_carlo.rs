//! Monte Carlo scenarios: daily joint moves of every coin's spot and implied vol drawn from a
//! Gaussian or multivariate Student-t on the covariance of their history, compounded over the
//! horizon (simulated paths, not √h), seeded and reproducible whatever the thread count.

use super::engine::{ScenarioSet, MAX_SCENARIOS};
use super::ScenarioError;
use crate::message::Num;
use crate::SymMatrix;
use rand::SeedableRng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The joint distribution of the daily moves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum McDistribution {
    /// Multivariate normal.
    Gaussian,
    /// Multivariate Student-t with ν degrees of freedom (`None`: estimated from the spot
    /// returns' mean excess kurtosis K, ν = 4 + 6/K, the moment match of a t; Gaussian when
    /// K ≤ 0), scaled to the same covariance.
    StudentT(Option<f64>),
}

/// How many scenarios, of what.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McSpec {
    /// Number of scenarios.
    pub scenarios: usize,
    /// Days per scenario (each a path of daily draws).
    pub horizon_days: usize,
    /// The daily distribution.
    pub distribution: McDistribution,
    /// Seed of the generator (the same seed gives the same scenarios).
    pub seed: u64,
}

impl Default for McSpec {
    fn default() -> Self {
        Self {
            scenarios: 100_000,
            horizon_days: 1,
            distribution: McDistribution::StudentT(None),
            seed: 42,
        }
    }
}

/// Simulated scenarios and the distribution they came from.
#[derive(Debug, Clone, Serialize)]
pub struct MonteCarloScenarios {
    /// The moves.
    #[serde(skip)]
    pub set: ScenarioSet,
    /// ν of the Student-t (None: Gaussian).
    pub degrees_of_freedom: Option<f64>,
    /// Daily observations the covariance was estimated on.
    pub observations: usize,
}

/// Scenarios per generator stream (each stream a jump of the seeded generator).
const CHUNK: usize = 4096;

/// Check a 1-day history and a simulation spec (`what` names the method in messages); the
/// number of days.
fn check_daily(history: &ScenarioSet, spec: &McSpec, what: &str) -> Result<usize, ScenarioError> {
    let bad = |m: String| Err(ScenarioError::Invalid(m));
    history.validate()?;
    if history.horizon_days != 1.0 {
        return bad(format!("{what} needs the history's 1-day moves"));
    }
    let t = history.len();
    if t < 30 {
        return bad(format!("{t} days of history: {what} needs at least 30"));
    }
    if !(1..=MAX_SCENARIOS).contains(&spec.scenarios) {
        return bad(format!(
            "{} scenarios: between 1 and {MAX_SCENARIOS}",
            spec.scenarios
        ));
    }
    if !(1..=365).contains(&spec.horizon_days) {
        return bad(format!("horizon {} days: between 1 and 365", spec.horizon_days));
    }
    Ok(t)
}

/// Day `s`'s move of series `j` of a history: coin j's spot (j < n), else coin j − n's vol.
fn daily(history: &ScenarioSet, s: usize, j: usize) -> f64 {
    let n = history.coins.len();
    if j < n {
        history.spot[s * n + j]
    } else {
        history.vol[s * n + j - n]
    }
}

/// One generator per chunk of [`CHUNK`] scenarios: the seeded generator, jumped 2¹²⁸ steps
/// per chunk, so the draws do not depend on the number of threads.
fn streams(seed: u64, scenarios: usize) -> Vec<Xoshiro256PlusPlus> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..scenarios.div_ceil(CHUNK))
        .map(|_| {
            let r = rng.clone();
            rng.jump();
            r
        })
        .collect()
}

/// Monte Carlo scenarios of `history`'s coins: the covariance (ddof 1, zero mean) of its daily
/// spot and vol moves (a 1-day [`super::historical_scenarios`] set), and `spec.scenarios`
/// paths of `spec.horizon_days` draws, compounded: move = Π(1 + daily) − 1, each daily move
/// floored at −99 %.
///
/// # Errors
/// [`ScenarioError::Invalid`]: a history that is not 1-day moves or has fewer than 30 days;
/// scenarios outside 1…[`MAX_SCENARIOS`]; h outside 1…365; ν ≤ 2 or not finite; a covariance
/// that is not finite.
pub fn monte_carlo_scenarios(
    history: &ScenarioSet,
    spec: &McSpec,
) -> Result<MonteCarloScenarios, ScenarioError> {
    let bad = |m: String| Err(ScenarioError::Invalid(m));
    let t = check_daily(history, spec, "Monte Carlo")?;
    let n = history.coins.len();
    let d = 2 * n;
    // daily vectors (spot moves, then vol moves), zero mean
    let x = |s: usize, j: usize| daily(history, s, j);
    let mut cov = SymMatrix::zeros(d);
    for i in 0..d {
        for j in 0..=i {
            let c = (0..t).map(|s| x(s, i) * x(s, j)).sum::<f64>() / (t - 1) as f64;
            cov.set_sym(i, j, c);
        }
    }
    let nu = match spec.distribution {
        McDistribution::Gaussian => None,
        McDistribution::StudentT(Some(v)) => {
            if !(v.is_finite() && v > 2.0) {
                return bad(format!(
                    "Student-t degrees of freedom ν = {}: must be above 2 (finite variance)",
                    Num(v)
                ));
            }
            Some(v)
        }
        McDistribution::StudentT(None) => {
            let k = (0..n)
                .map(|j| {
                    let col: Vec<f64> = (0..t).map(|s| x(s, j)).collect();
                    crate::risk::moments(&col)
                        .map(|m| m.excess_kurtosis)
                        .unwrap_or(0.0)
                })
                .sum::<f64>()
                / n as f64;
            (k > 0.0).then(|| 4.0 + 6.0 / k)
        }
    };
    // A with A Aᵀ = Σ (eigenvalues floored at 0: vol columns of coins without options are 0)
    let (lam, v) = cov
        .eigen_descending()
        .ok_or_else(|| ScenarioError::Invalid("the covariance of the history is not finite".into()))?;
    let mut a = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            a[i * d + k] = v[i * d + k] * lam[k].max(0.0).sqrt();
        }
    }
    let chi = match nu {
        Some(nu) => Some(
            ChiSquared::new(nu)
                .map_err(|e| ScenarioError::Invalid(format!("Student-t ν = {}: {e}", Num(nu))))?,
        ),
        None => None,
    };
    let h = spec.horizon_days;
    let ns = spec.scenarios;
    let streams = streams(spec.seed, ns);
    let mut spot = vec![0.0; ns * n];
    let mut vol = vec![0.0; ns * n];
    spot.par_chunks_mut(CHUNK * n)
        .zip(vol.par_chunks_mut(CHUNK * n))
        .zip(streams)
        .for_each(|((sp, vo), mut rng)| {
            let (mut z, mut y) = (vec![0.0; d], vec![0.0; d]);
            for (srow, vrow) in sp.chunks_exact_mut(n).zip(vo.chunks_exact_mut(n)) {
                let (mut gs, mut gv) = (vec![1.0; n], vec![1.0; n]);
                for _ in 0..h {
                    z.iter_mut().for_each(|zi| *zi = StandardNormal.sample(&mut rng));
                    // a t with ν: z·√((ν − 2)/W), W ~ χ²(ν), has the covariance of z
                    let scale = match (&chi, nu) {
                        (Some(c), Some(nu)) => ((nu - 2.0) / c.sample(&mut rng)).sqrt(),
                        _ => 1.0,
                    };
                    for i in 0..d {
                        y[i] = scale * (0..d).map(|k| a[i * d + k] * z[k]).sum::<f64>();
                    }
                    for c in 0..n {
                        gs[c] *= 1.0 + y[c].max(-0.99);
                        gv[c] *= 1.0 + y[n + c].max(-0.99);
                    }
                }
                for c in 0..n {
                    srow[c] = gs[c] - 1.0;
                    vrow[c] = gv[c] - 1.0;
                }
            }
        });
    Ok(MonteCarloScenarios {
        set: ScenarioSet {
            coins: history.coins.clone(),
            spot,
            vol,
            horizon_days: h as f64,
            basis: Vec::new(),
            funding: Vec::new(),
            ..Default::default()
        },
        degrees_of_freedom: nu,
        observations: t,
    })
}

/// Filtered historical simulation (Barone-Adesi, Giannopoulos & Vosper 1999): each coin's
/// daily spot and vol moves of `history` divided by their zero-mean EWMA volatility (decay
/// `lambda`, started from the `arch` backcast), whole dates drawn with replacement (keeping the
/// cross-section), rescaled by the volatility forecast for the next day, which is updated along
/// each path by the same recursion; `spec.horizon_days` days compounded, `spec.scenarios`
/// paths, seeded (`spec.distribution` is not used).
///
/// # Errors
/// As [`monte_carlo_scenarios`]; λ outside (0, 1).
pub fn filtered_historical_scenarios(
    history: &ScenarioSet,
    spec: &McSpec,
    lambda: f64,
) -> Result<ScenarioSet, ScenarioError> {
    let bad = |m: String| Err(ScenarioError::Invalid(m));
    let t = check_daily(history, spec, "filtered historical simulation")?;
    if !(lambda > 0.0 && lambda < 1.0) {
        return bad(format!(
            "EWMA decay λ = {}: strictly between 0 and 1",
            Num(lambda)
        ));
    }
    let n = history.coins.len();
    let d = 2 * n;
    // standardised moves z (t × d) and each series' variance forecast for the next day
    let mut z = vec![0.0; t * d];
    let mut next = vec![0.0; d];
    for j in 0..d {
        let col: Vec<f64> = (0..t).map(|s| daily(history, s, j)).collect();
        let sigma = crate::risk::ewma_sigma(&col, lambda);
        for (s, x) in col.iter().enumerate() {
            z[s * d + j] = if sigma[s] > 0.0 { x / sigma[s] } else { 0.0 };
        }
        next[j] = sigma[t] * sigma[t];
    }
    let (ns, h) = (spec.scenarios, spec.horizon_days);
    let streams = streams(spec.seed, ns);
    let mut spot = vec![0.0; ns * n];
    let mut vol = vec![0.0; ns * n];
    spot.par_chunks_mut(CHUNK * n)
        .zip(vol.par_chunks_mut(CHUNK * n))
        .zip(streams)
        .for_each(|((sp, vo), mut rng)| {
            use rand::RngExt;
            for (srow, vrow) in sp.chunks_exact_mut(n).zip(vo.chunks_exact_mut(n)) {
                let mut var = next.clone();
                let (mut gs, mut gv) = (vec![1.0; n], vec![1.0; n]);
                for _ in 0..h {
                    let day = rng.random_range(0..t);
                    for j in 0..d {
                        let m = (z[day * d + j] * var[j].sqrt()).max(-0.99);
                        var[j] = lambda * var[j] + (1.0 - lambda) * m * m;
                        if j < n {
                            gs[j] *= 1.0 + m;
                        } else {
                            gv[j - n] *= 1.0 + m;
                        }
                    }
                }
                for c in 0..n {
                    srow[c] = gs[c] - 1.0;
                    vrow[c] = gv[c] - 1.0;
                }
            }
        });
    Ok(ScenarioSet {
        coins: history.coins.clone(),
        spot,
        vol,
        horizon_days: h as f64,
        basis: Vec::new(),
        funding: Vec::new(),
        ..Default::default()
    })
}
