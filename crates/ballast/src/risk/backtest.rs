//! VaR backtesting: a VaR model rolled over history, its exceptions, and the tests of its
//! coverage — Kupiec's proportion of failures, Christoffersen's independence and conditional
//! coverage, and the Basel traffic light.
//!
//! Returns are simple one-period returns of a position or portfolio (a fraction of its value);
//! VaR is a positive loss; an exception is a loss strictly larger than the VaR forecast for
//! that period, made from the `window` returns before it.

use super::{check_confidence, moments, RiskError};
use crate::message::Num;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

/// Largest rolling window (returns).
pub const MAX_BACKTEST_WINDOW: usize = 10_000;

/// The VaR model rolled over history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum VarModel {
    /// The k-th worst of the window's returns, k = ⌈(1 − c)·window⌉.
    Historical,
    /// Filtered historical simulation (Barone-Adesi, Giannopoulos & Vosper 1999): the window's
    /// returns standardised by their zero-mean EWMA volatility, the k-th worst rescaled by the
    /// forecast volatility of the day.
    FilteredHistorical,
    /// Normal with the window's mean and standard deviation (ddof = 1).
    Gaussian,
    /// Cornish–Fisher expansion with the window's skewness and excess kurtosis.
    CornishFisher,
    /// Monte Carlo: `draws` returns simulated from a Student-t (ν given, or matched to the
    /// window's excess kurtosis; normal when it is ≤ 0) with the window's mean and standard
    /// deviation, the k-th worst of them. On a fixed-weight portfolio this is the multivariate
    /// t on the window's covariance, whose portfolio return is that univariate t.
    MonteCarlo,
}

/// How a model is rolled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestSettings {
    /// Returns in each estimation window (default 250).
    pub window: usize,
    /// EWMA decay λ of the filtered historical model (default 0.94, RiskMetrics).
    pub lambda: f64,
    /// Simulated returns per forecast of the Monte Carlo model (default 10,000; 100 …
    /// 1,000,000).
    pub draws: usize,
    /// Seed of the Monte Carlo model's generator (default 42). Every window uses the same
    /// draws (common random numbers), so the forecasts move with the data, not the noise.
    pub seed: u64,
    /// Student-t degrees of freedom of the Monte Carlo model (> 2; default: per window,
    /// ν = 4 + 6/K from its excess kurtosis K, normal when K ≤ 0).
    pub dof: Option<f64>,
}

/// Bounds of [`BacktestSettings::draws`].
pub const MC_DRAWS: std::ops::RangeInclusive<usize> = 100..=1_000_000;

impl BacktestSettings {
    /// Check the window (2 ≤ window ≤ [`MAX_BACKTEST_WINDOW`]), λ ∈ (0, 1), the draws
    /// ([`MC_DRAWS`]) and ν (> 2, finite).
    ///
    /// # Errors
    /// [`RiskError::Invalid`] naming the setting and its range.
    pub fn validate(&self) -> Result<(), RiskError> {
        let w = self.window;
        if !(2..=MAX_BACKTEST_WINDOW).contains(&w) {
            return Err(RiskError::Invalid(format!(
                "backtest window {w} must be between 2 and {MAX_BACKTEST_WINDOW} returns"
            )));
        }
        if !(self.lambda > 0.0 && self.lambda < 1.0) {
            return Err(RiskError::Invalid(format!(
                "EWMA decay λ = {} must be strictly between 0 and 1 (RiskMetrics: 0.94)",
                Num(self.lambda)
            )));
        }
        if !MC_DRAWS.contains(&self.draws) {
            return Err(RiskError::Invalid(format!(
                "{} Monte Carlo draws: between {} and {}",
                self.draws,
                MC_DRAWS.start(),
                MC_DRAWS.end()
            )));
        }
        if let Some(v) = self.dof {
            if !(v.is_finite() && v > 2.0) {
                return Err(RiskError::Invalid(format!(
                    "Student-t degrees of freedom ν = {}: must be a finite number above 2 (finite variance)",
                    Num(v)
                )));
            }
        }
        Ok(())
    }
}

impl Default for BacktestSettings {
    fn default() -> Self {
        Self {
            window: 250,
            lambda: 0.94,
            draws: 10_000,
            seed: 42,
            dof: None,
        }
    }
}

/// A VaR model's forecasts over history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollingVar {
    /// VaR forecast for each return after the first `window` (index t − window for return t).
    pub var: Vec<f64>,
    /// The forecast for the period after the last return.
    pub next: f64,
}

/// A likelihood-ratio test statistic and its p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LrTest {
    /// The likelihood ratio (≥ 0).
    pub lr: f64,
    /// P(χ² ≥ lr) under the null.
    pub p_value: f64,
}

/// Counts of consecutive (exception yesterday, exception today) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TransitionCounts {
    /// No exception followed by none.
    pub n00: usize,
    /// No exception followed by one.
    pub n01: usize,
    /// An exception followed by none.
    pub n10: usize,
    /// An exception followed by another.
    pub n11: usize,
}

/// Basel zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Zone {
    /// P(X ≤ x) < 95 %.
    Green,
    /// 95 % ≤ P(X ≤ x) < 99.99 %.
    Yellow,
    /// P(X ≤ x) ≥ 99.99 %.
    Red,
}

/// The Basel traffic light of a count of 99 % VaR exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrafficLight {
    /// The zone.
    pub zone: Zone,
    /// Exceptions counted.
    pub exceptions: usize,
    /// Forecasts counted (250 for the Basel test).
    pub observations: usize,
    /// P(X ≤ exceptions), X ~ Binomial(observations, 0.01).
    pub cumulative_probability: f64,
    /// The Basel plus factor added to the capital multiplier of 3 (0 green; 0.40, 0.50, 0.65,
    /// 0.75, 0.85 for 5…9 exceptions in 250; 1 red); `None` when `observations` ≠ 250.
    pub plus_factor: Option<f64>,
}

/// The rolling VaR forecasts of `returns` under `model`.
///
/// # Formula
/// For t = w … T−1 (0-based), from r_(t−w) … r_(t−1):
/// - historical: VaR_t = −r₍ₖ₎, the k-th smallest, k = ⌈(1 − c)·w⌉;
/// - filtered historical: σ²₀ = the EWMA backcast (Σᵢ λⁱ r²ᵢ / Σᵢ λⁱ over the first
///   min(75, T) returns, as `arch`), σ²ₜ = λσ²ₜ₋₁ + (1 − λ)r²ₜ₋₁, zₜ = rₜ/σₜ;
///   VaR_t = −z₍ₖ₎·σ_t over the window's z;
/// - Gaussian and Cornish–Fisher: [`super::gaussian_var`], [`super::cornish_fisher_var`] of the
///   window;
/// - Monte Carlo: x_i = μ + σ·√((ν − 2)/ν)·t_i (t_i ~ Student-t(ν), standard normal when no ν),
///   μ, σ the window's mean and standard deviation (ddof = 1), VaR_t = −x₍ₖ₎ over the draws,
///   k = ⌈(1 − c)·draws⌉.
///
/// # Errors
/// [`RiskError`]: a confidence outside (0, 1); settings that fail
/// [`BacktestSettings::validate`]; a window not shorter than the series; a non-finite return;
/// a zero EWMA volatility (filtered historical).
///
/// # Panics
/// Never on user input (the draws are bounded by [`MC_DRAWS`]).
pub fn rolling_var(
    returns: &[f64],
    model: VarModel,
    confidence: f64,
    settings: &BacktestSettings,
) -> Result<RollingVar, RiskError> {
    let alpha = check_confidence(confidence)?;
    settings.validate()?;
    let w = settings.window;
    if returns.len() <= w {
        return Err(RiskError::TooFewObservations {
            needed: w + 1,
            got: returns.len(),
        });
    }
    if let Some(t) = returns.iter().position(|r| !r.is_finite()) {
        return Err(RiskError::Invalid(format!("return {t} is not a finite number")));
    }
    let k = super::tail_count(alpha, w);
    // filtered historical: the k-th worst of the standardised returns, rescaled by σ_t
    let sigma = match model {
        VarModel::FilteredHistorical => Some(fhs_sigma(returns, settings.lambda)?),
        _ => None,
    };
    let z: Vec<f64> = match &sigma {
        Some(s) => returns.iter().zip(s).map(|(r, s)| r / s).collect(),
        None => returns.to_vec(),
    };
    let mut buf = Vec::with_capacity(w);
    let mut mc = McDraws::default();
    let mut forecast = |t: usize| -> Result<f64, RiskError> {
        let window = &returns[t - w..t];
        Ok(match model {
            VarModel::Historical | VarModel::FilteredHistorical => {
                buf.clear();
                buf.extend_from_slice(&z[t - w..t]);
                let kth = *buf.select_nth_unstable_by(k - 1, f64::total_cmp).1;
                -kth * sigma.as_ref().map_or(1.0, |s| s[t])
            }
            VarModel::Gaussian => moments(window)?.gaussian_var(confidence)?,
            VarModel::CornishFisher => moments(window)?.cornish_fisher_var(confidence)?,
            VarModel::MonteCarlo => mc.var(window, settings, alpha)?,
        })
    };
    let t_end = returns.len();
    let var = (w..t_end).map(&mut forecast).collect::<Result<Vec<_>, _>>()?;
    Ok(RollingVar {
        var,
        next: forecast(t_end)?,
    })
}

/// The Monte Carlo model's standardised draws, kept while ν stays the same.
#[derive(Default)]
struct McDraws {
    nu: Option<Option<f64>>,
    /// Standardised draws (mean 0, variance 1).
    z: Vec<f64>,
    /// Their k-th smallest.
    kth: f64,
}

impl McDraws {
    /// VaR of `window` from `settings.draws` simulated returns.
    fn var(&mut self, window: &[f64], settings: &BacktestSettings, alpha: f64) -> Result<f64, RiskError> {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal, StudentT};
        let m = moments(window)?;
        let nu = settings
            .dof
            .or((m.excess_kurtosis > 0.0).then(|| 4.0 + 6.0 / m.excess_kurtosis));
        if self.nu != Some(nu) {
            // the same stream in every window: common random numbers
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(settings.seed);
            self.z = match nu {
                Some(v) => {
                    let t = StudentT::new(v)
                        .map_err(|e| RiskError::Invalid(format!("Student-t ν = {}: {e}", Num(v))))?;
                    let scale = ((v - 2.0) / v).sqrt();
                    (0..settings.draws).map(|_| t.sample(&mut rng) * scale).collect()
                }
                None => (0..settings.draws)
                    .map(|_| StandardNormal.sample(&mut rng))
                    .collect(),
            };
            let k = super::tail_count(alpha, settings.draws);
            self.kth = *self.z.select_nth_unstable_by(k - 1, f64::total_cmp).1;
            self.nu = Some(nu);
        }
        Ok(-(m.mean + m.std * self.kth))
    }
}

/// The EWMA volatilities of the filtered historical model, checked.
fn fhs_sigma(returns: &[f64], lambda: f64) -> Result<Vec<f64>, RiskError> {
    let sigma = ewma_sigma(returns, lambda);
    if sigma.iter().any(|s| !(*s > 0.0)) {
        return Err(RiskError::Invalid(
            "the EWMA volatility is zero (a constant series): filtered historical VaR needs returns that vary".into(),
        ));
    }
    Ok(sigma)
}

/// Zero-mean EWMA volatility forecasts σ₀ … σ_T (T + 1 values: σₜ is known before rₜ), started
/// from `arch`'s backcast (λ-weighted mean of the first min(75, T) squares).
pub(crate) fn ewma_sigma(r: &[f64], lambda: f64) -> Vec<f64> {
    let tau = r.len().min(75);
    let (mut num, mut den, mut wt) = (0.0, 0.0, 1.0);
    for x in &r[..tau] {
        num += wt * x * x;
        den += wt;
        wt *= lambda;
    }
    let mut s2 = num / den;
    let mut out = Vec::with_capacity(r.len() + 1);
    out.push(s2.sqrt());
    for x in r {
        s2 = lambda * s2 + (1.0 - lambda) * x * x;
        out.push(s2.sqrt());
    }
    out
}

/// Exceptions: `true` where the loss −r is strictly above the VaR forecast.
pub fn exceptions(returns: &[f64], var: &[f64]) -> Vec<bool> {
    returns.iter().zip(var).map(|(r, v)| -r > *v).collect()
}

/// x ln y with 0 ln 0 = 0.
fn xlny(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * y.ln()
    }
}

/// χ²(1) survival function, erfc(√(x/2)) with Cody's erfc (`implied-vol`; statrs' erfc is
/// ~1e-11 off here).
fn chi2_1_sf(x: f64) -> f64 {
    use implied_vol::{DefaultSpecialFn, SpecialFn};
    DefaultSpecialFn::erfc((x / 2.0).sqrt())
}

/// Kupiec's (1995) proportion-of-failures test: are `x` exceptions in `n` forecasts
/// consistent with the tail probability `p` = 1 − c?
///
/// # Formula
/// LR = −2[(n − x) ln(1 − p) + x ln p − (n − x) ln(1 − x/n) − x ln(x/n)], 0 ln 0 = 0,
/// clamped at 0; p-value from χ²(1).
///
/// # Errors
/// [`RiskError`]: n = 0, x > n, p outside (0, 1).
pub fn kupiec_pof(n: usize, x: usize, p: f64) -> Result<LrTest, RiskError> {
    if n == 0 || x > n || !(p > 0.0 && p < 1.0) {
        return Err(RiskError::Invalid(format!(
            "Kupiec's test needs 0 ≤ exceptions ({x}) ≤ forecasts ({n}), forecasts > 0 and a tail probability in (0, 1) (got {})",
            Num(p)
        )));
    }
    let (nf, xf) = (n as f64, x as f64);
    let ll0 = xlny(nf - xf, 1.0 - p) + xlny(xf, p);
    let ll1 = xlny(nf - xf, 1.0 - xf / nf) + xlny(xf, xf / nf);
    let lr = (-2.0 * (ll0 - ll1)).max(0.0);
    Ok(LrTest {
        lr,
        p_value: chi2_1_sf(lr),
    })
}

/// The transition counts of an exception series (the first observation only conditions).
pub fn transition_counts(hits: &[bool]) -> TransitionCounts {
    let mut c = TransitionCounts {
        n00: 0,
        n01: 0,
        n10: 0,
        n11: 0,
    };
    for w in hits.windows(2) {
        match (w[0], w[1]) {
            (false, false) => c.n00 += 1,
            (false, true) => c.n01 += 1,
            (true, false) => c.n10 += 1,
            (true, true) => c.n11 += 1,
        }
    }
    c
}

/// Christoffersen's (1998) independence test: does an exception make the next one more
/// likely? A first-order Markov chain against independence.
///
/// # Formula
/// Over the N − 1 transitions: π₀₁ = n₀₁/(n₀₀ + n₀₁), π₁₁ = n₁₁/(n₁₀ + n₁₁),
/// π = (n₀₁ + n₁₁)/(N − 1); LR = −2[ln L(π) − ln L(π₀₁, π₁₁)] with
/// ln L(π) = (n₀₀ + n₁₀) ln(1 − π) + (n₀₁ + n₁₁) ln π and
/// ln L(π₀₁, π₁₁) = n₀₀ ln(1 − π₀₁) + n₀₁ ln π₀₁ + n₁₀ ln(1 − π₁₁) + n₁₁ ln π₁₁, 0 ln 0 = 0,
/// clamped at 0; p-value from χ²(1).
///
/// # Errors
/// [`RiskError::TooFewObservations`] for fewer than 2 observations.
pub fn christoffersen_independence(c: &TransitionCounts) -> Result<LrTest, RiskError> {
    let total = c.n00 + c.n01 + c.n10 + c.n11;
    if total == 0 {
        return Err(RiskError::TooFewObservations { needed: 2, got: 1 });
    }
    let f = |n: usize| n as f64;
    let ratio = |a: usize, b: usize| if a + b == 0 { 0.0 } else { f(b) / f(a + b) };
    let (pi01, pi11) = (ratio(c.n00, c.n01), ratio(c.n10, c.n11));
    let pi = f(c.n01 + c.n11) / f(total);
    let markov =
        xlny(f(c.n00), 1.0 - pi01) + xlny(f(c.n01), pi01) + xlny(f(c.n10), 1.0 - pi11) + xlny(f(c.n11), pi11);
    let iid = xlny(f(c.n00 + c.n10), 1.0 - pi) + xlny(f(c.n01 + c.n11), pi);
    let lr = (-2.0 * (iid - markov)).max(0.0);
    Ok(LrTest {
        lr,
        p_value: chi2_1_sf(lr),
    })
}

/// Christoffersen's conditional coverage: LR_cc = LR_pof + LR_ind, p-value from χ²(2)
/// (= e^(−LR/2)).
pub fn conditional_coverage(pof: &LrTest, independence: &LrTest) -> LrTest {
    let lr = pof.lr + independence.lr;
    LrTest {
        lr,
        p_value: (-lr / 2.0).exp(),
    }
}

/// The Basel traffic light (BCBS 1996, *Supervisory framework for the use of backtesting*) of
/// `exceptions` 99 % VaR exceptions in `observations` forecasts.
///
/// # Formula
/// P = P(X ≤ x), X ~ Binomial(observations, 0.01); green if P < 0.95, yellow if P < 0.9999,
/// else red.
///
/// # Errors
/// [`RiskError`]: no observations, or more exceptions than observations.
pub fn traffic_light(exceptions: usize, observations: usize) -> Result<TrafficLight, RiskError> {
    if observations == 0 || exceptions > observations {
        return Err(RiskError::Invalid(format!(
            "the traffic light needs 0 ≤ exceptions ({exceptions}) ≤ observations ({observations}) and observations > 0"
        )));
    }
    let binom = Binomial::new(0.01, observations as u64)
        .map_err(|e| RiskError::Invalid(format!("traffic light: {e}")))?;
    let p = binom.cdf(exceptions as u64);
    let zone = if p < 0.95 {
        Zone::Green
    } else if p < 0.9999 {
        Zone::Yellow
    } else {
        Zone::Red
    };
    let plus_factor = (observations == 250).then_some(match exceptions {
        0..=4 => 0.0,
        5 => 0.40,
        6 => 0.50,
        7 => 0.65,
        8 => 0.75,
        9 => 0.85,
        _ => 1.0,
    });
    Ok(TrafficLight {
        zone,
        exceptions,
        observations,
        cumulative_probability: p,
        plus_factor,
    })
}

/// A model's backtest on one series at one confidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VarBacktest {
    /// The model.
    pub model: VarModel,
    /// Confidence level c.
    pub confidence: f64,
    /// Returns in each estimation window.
    pub window: usize,
    /// Forecasts tested (returns after the first window).
    pub observations: usize,
    /// Exceptions (loss > VaR).
    pub exceptions: usize,
    /// (1 − c) × observations.
    pub expected_exceptions: f64,
    /// Exceptions / observations.
    pub failure_rate: f64,
    /// Indices (into the forecasts) of the exceptions.
    #[serde(skip)]
    pub exception_indices: Vec<usize>,
    /// Kupiec's proportion of failures.
    pub kupiec: LrTest,
    /// Consecutive-exception counts.
    pub transition_counts: TransitionCounts,
    /// Christoffersen's independence test.
    pub christoffersen_independence: LrTest,
    /// Christoffersen's conditional coverage.
    pub conditional_coverage: LrTest,
    /// The Basel traffic light of the last 250 forecasts (99 % only, with ≥ 250 forecasts).
    pub traffic_light: Option<TrafficLight>,
    /// The VaR forecasts, one per tested return.
    pub var: Vec<f64>,
    /// The forecast for the period after the data.
    pub next_var: f64,
}

/// Roll `model` over `returns` and test its exceptions.
///
/// # Errors
/// As [`rolling_var`].
pub fn var_backtest(
    returns: &[f64],
    model: VarModel,
    confidence: f64,
    settings: &BacktestSettings,
) -> Result<VarBacktest, RiskError> {
    let rolled = rolling_var(returns, model, confidence, settings)?;
    let tested = &returns[settings.window..];
    let hits = exceptions(tested, &rolled.var);
    let n = hits.len();
    let x = hits.iter().filter(|h| **h).count();
    let alpha = 1.0 - confidence;
    let kupiec = kupiec_pof(n, x, alpha)?;
    let counts = transition_counts(&hits);
    let independence = if n >= 2 {
        christoffersen_independence(&counts)?
    } else {
        LrTest {
            lr: 0.0,
            p_value: 1.0,
        }
    };
    let traffic = if (confidence - 0.99).abs() < 1e-12 && n >= 250 {
        let last = hits[n - 250..].iter().filter(|h| **h).count();
        Some(traffic_light(last, 250)?)
    } else {
        None
    };
    Ok(VarBacktest {
        model,
        confidence,
        window: settings.window,
        observations: n,
        exceptions: x,
        expected_exceptions: alpha * n as f64,
        failure_rate: x as f64 / n as f64,
        exception_indices: hits
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.then_some(i))
            .collect(),
        kupiec,
        transition_counts: counts,
        christoffersen_independence: independence,
        conditional_coverage: conditional_coverage(&kupiec, &independence),
        traffic_light: traffic,
        var: rolled.var,
        next_var: rolled.next,
    })
}
