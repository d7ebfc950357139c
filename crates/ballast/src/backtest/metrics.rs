//! Performance metrics of a daily return series, with empyrical's conventions and 365 periods
//! a year (crypto trades every day):
//!
//! | metric | formula |
//! |---|---|
//! | total return | Π(1 + r) − 1 |
//! | annual return (CAGR) | Π(1 + r)^{365/T} − 1 |
//! | annual volatility | s.d.(r, ddof 1)·√365 |
//! | Sharpe | mean(r − r_f/365)/s.d.(r)·√365 |
//! | Sortino | mean(r)·365 / (√mean(min(r, 0)²)·√365) |
//! | Calmar | annual return / max drawdown |
//! | VaR / CVaR (historical) | −percentile(r, 100(1 − c)) (linear interpolation) and −mean of r at or below it |
//!
//! Losses (VaR, CVaR, drawdown) are positive numbers.

use super::engine::StrategyRun;
use super::BacktestError;
use crate::data::simple_returns;
use crate::risk::{max_drawdown, moments};
use crate::PERIODS_PER_YEAR_DAILY as PPY;
use jiff::civil::Date;
use serde::Serialize;

/// Π(1 + r) − 1.
pub fn total_return(r: &[f64]) -> f64 {
    r.iter().fold(1.0, |g, x| g * (1.0 + x)) - 1.0
}

/// Compound annual growth rate with 365 periods a year (empyrical `annual_return`).
pub fn annual_return(r: &[f64]) -> f64 {
    if r.is_empty() {
        return f64::NAN;
    }
    (1.0 + total_return(r)).powf(PPY / r.len() as f64) - 1.0
}

/// s.d.(r, ddof 1)·√365 (empyrical `annual_volatility`).
pub fn annual_volatility(r: &[f64]) -> f64 {
    moments(r).map_or(f64::NAN, |m| m.std * PPY.sqrt())
}

/// Annualised Sharpe ratio over the daily risk-free rate `rf_annual`/365 (empyrical
/// `sharpe_ratio` with `risk_free = rf_annual/365`).
pub fn sharpe_ratio(r: &[f64], rf_annual: f64) -> f64 {
    let ex: Vec<f64> = r.iter().map(|x| x - rf_annual / PPY).collect();
    moments(&ex).map_or(f64::NAN, |m| m.mean / m.std * PPY.sqrt())
}

/// Annualised Sortino ratio with required return 0 (empyrical `sortino_ratio`).
pub fn sortino_ratio(r: &[f64]) -> f64 {
    if r.is_empty() {
        return f64::NAN;
    }
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let dd = (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt() * PPY.sqrt();
    mean * PPY / dd
}

/// Annual return ÷ max drawdown (empyrical `calmar_ratio`; NaN without a drawdown).
pub fn calmar_ratio(r: &[f64]) -> f64 {
    let mdd = max_drawdown(r).max_drawdown;
    if mdd > 0.0 {
        annual_return(r) / mdd
    } else {
        f64::NAN
    }
}

/// numpy's `percentile` with linear interpolation, q in [0, 100]; NaN for an empty series.
fn percentile(r: &[f64], q: f64) -> f64 {
    if r.is_empty() {
        return f64::NAN;
    }
    let mut s = r.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = q / 100.0 * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// Historical VaR at confidence `c` by linear interpolation, as a positive loss
/// (= −empyrical `value_at_risk(r, 1 − c)`).
pub fn value_at_risk(r: &[f64], c: f64) -> f64 {
    -percentile(r, 100.0 * (1.0 - c))
}

/// Historical CVaR (expected shortfall) at confidence `c`: −mean of the returns at or below
/// the VaR percentile (= −empyrical `conditional_value_at_risk(r, 1 − c)`).
pub fn conditional_value_at_risk(r: &[f64], c: f64) -> f64 {
    let cut = percentile(r, 100.0 * (1.0 - c));
    let tail: Vec<f64> = r.iter().copied().filter(|x| *x <= cut).collect();
    -tail.iter().sum::<f64>() / tail.len() as f64
}

/// Drawdown below the running peak at every point of a value path: v_t / max_{s≤t} v_s − 1
/// (≤ 0).
pub fn drawdown_series(nav: &[f64]) -> Vec<f64> {
    let mut peak = f64::MIN;
    nav.iter()
        .map(|v| {
            peak = peak.max(*v);
            v / peak - 1.0
        })
        .collect()
}

/// Rolling volatility of daily returns `r`: the s.d. (ddof 1) of each `window` consecutive
/// returns, annualised ×√365; element k covers r[k .. k + window] (length T − window + 1, empty
/// when T < window or window < 2).
pub fn rolling_volatility(r: &[f64], window: usize) -> Vec<f64> {
    if window < 2 || r.len() < window {
        return Vec::new();
    }
    r.windows(window)
        .map(|s| moments(s).map_or(f64::NAN, |m| m.std * PPY.sqrt()))
        .collect()
}

/// Beta of returns `r` to benchmark returns `b` (same days): cov(r, b) / var(b), the OLS slope
/// with intercept (empyrical's `beta`; the ddof cancels). NaN when the lengths differ, there
/// are fewer than two days or `b` does not move.
///
/// # Formula
/// β = Σ (r_t − r̄)(b_t − b̄) / Σ (b_t − b̄)²
pub fn beta(r: &[f64], b: &[f64]) -> f64 {
    if r.len() != b.len() || r.len() < 2 {
        return f64::NAN;
    }
    let n = r.len() as f64;
    let (mr, mb) = (r.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut c, mut v, mut sq) = (0.0, 0.0, 0.0);
    for (x, y) in r.iter().zip(b) {
        c += (x - mr) * (y - mb);
        v += (y - mb) * (y - mb);
        sq += y * y;
    }
    // a benchmark that does not move (its variance only rounding error) has no beta
    if v > 1e-12 * sq {
        c / v
    } else {
        f64::NAN
    }
}

/// Rolling [`beta`] over each `window` consecutive days: element k covers r[k .. k + window]
/// (length T − window + 1, empty when T < window or window < 2).
pub fn rolling_beta(r: &[f64], b: &[f64], window: usize) -> Vec<f64> {
    if window < 2 || r.len() < window || r.len() != b.len() {
        return Vec::new();
    }
    r.windows(window)
        .zip(b.windows(window))
        .map(|(x, y)| beta(x, y))
        .collect()
}

/// The worst drawdown with its dates, and the longest time under water.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrawdownDates {
    /// Largest peak-to-trough loss (positive fraction).
    pub max_drawdown: f64,
    /// Date of the peak.
    #[serde(rename = "max_drawdown_peak")]
    pub peak: Date,
    /// Date of the trough.
    #[serde(rename = "max_drawdown_trough")]
    pub trough: Date,
    /// First close back at the peak value, if it happened.
    #[serde(rename = "max_drawdown_recovery")]
    pub recovery: Option<Date>,
    /// Longest stretch below a previous peak, in days.
    pub longest_underwater_days: usize,
}

/// Drawdown statistics of a value path on `dates` (same length, at least one point).
///
/// # Errors
/// [`BacktestError::Invalid`] for an empty path or mismatched lengths.
pub fn drawdown_dates(nav: &[f64], dates: &[Date]) -> Result<DrawdownDates, BacktestError> {
    if nav.is_empty() || nav.len() != dates.len() {
        return Err(BacktestError::Invalid(format!(
            "drawdowns need one value per date ({} values, {} dates)",
            nav.len(),
            dates.len()
        )));
    }
    let r: Vec<f64> = simple_returns(nav).collect();
    let d = max_drawdown(&r);
    let peak_value = nav[d.peak];
    let recovery = (d.trough..nav.len())
        .find(|&k| nav[k] >= peak_value)
        .map(|k| dates[k]);
    let (mut hwm, mut start, mut longest) = (nav[0], 0usize, 0usize);
    for (k, v) in nav.iter().enumerate() {
        if *v >= hwm {
            hwm = *v;
            start = k;
        } else {
            longest = longest.max(k - start);
        }
    }
    Ok(DrawdownDates {
        max_drawdown: d.max_drawdown,
        peak: dates[d.peak],
        trough: dates[d.trough],
        recovery,
        longest_underwater_days: longest,
    })
}

/// Every metric of one strategy (NaN, serialised as `null`, where undefined).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Performance {
    /// Π(1 + r) − 1.
    pub total_return: f64,
    /// CAGR, 365 days a year.
    pub annual_return: f64,
    /// s.d.(r)·√365.
    pub annual_volatility: f64,
    /// Sharpe ratio (risk-free 0).
    pub sharpe: f64,
    /// Sortino ratio.
    pub sortino: f64,
    /// Calmar ratio.
    pub calmar: f64,
    /// Worst drawdown, its dates and the longest time under water.
    #[serde(flatten)]
    pub drawdown: DrawdownDates,
    /// Fraction of days with a positive return.
    pub hit_rate: f64,
    /// Skewness of daily returns (population).
    pub skewness: f64,
    /// Excess kurtosis (population).
    pub excess_kurtosis: f64,
    /// Historical 1-day VaR at 95 % (positive fraction).
    pub var_95: f64,
    /// Historical 1-day CVaR (expected shortfall) at 95 % (positive fraction).
    pub cvar_95: f64,
    /// Annual one-way turnover: Σ traded / value ÷ 2, per year.
    pub turnover_annual: f64,
    /// Trading costs, USD, total.
    pub costs_usd: f64,
    /// Funding paid (negative = received), USD, total.
    pub funding_usd: f64,
    /// Interest earned on cash, USD, total.
    pub interest_usd: f64,
    /// Costs as a fraction of average value per year.
    pub cost_drag_annual: f64,
    /// Number of rebalances.
    pub rebalances: usize,
    /// Mean daily distance from the target, ½Σ|w − w*| (how well the policy tracks it).
    pub target_tracking: f64,
    /// Last value, USD.
    pub final_value: f64,
}

/// Metrics of a value path (benchmark or strategy) on `dates`, with the trading data of `run`.
///
/// # Errors
/// [`BacktestError::Invalid`] for fewer than two values or mismatched lengths.
pub fn performance(
    nav: &[f64],
    dates: &[Date],
    run: Option<&StrategyRun>,
    rf_annual: f64,
) -> Result<Performance, BacktestError> {
    if nav.len() < 2 {
        return Err(BacktestError::Invalid(format!(
            "performance needs at least two values, got {}",
            nav.len()
        )));
    }
    let drawdown = drawdown_dates(nav, dates)?;
    let r: Vec<f64> = simple_returns(nav).collect();
    let years = r.len() as f64 / PPY;
    let mom = moments(&r).ok();
    let mean_nav = nav.iter().sum::<f64>() / nav.len() as f64;
    let (costs, funding, interest, traded, rebalances, tracking) = match run {
        Some(s) => (
            s.costs.iter().sum::<f64>(),
            s.funding.iter().sum::<f64>(),
            s.interest.iter().sum::<f64>(),
            s.traded.iter().sum::<f64>(),
            s.rebalances.len(),
            s.tracking.iter().sum::<f64>() / s.tracking.len().max(1) as f64,
        ),
        None => (0.0, 0.0, 0.0, 0.0, 0, 0.0),
    };
    Ok(Performance {
        total_return: total_return(&r),
        annual_return: annual_return(&r),
        annual_volatility: annual_volatility(&r),
        sharpe: sharpe_ratio(&r, rf_annual),
        sortino: sortino_ratio(&r),
        calmar: calmar_ratio(&r),
        drawdown,
        hit_rate: r.iter().filter(|x| **x > 0.0).count() as f64 / r.len().max(1) as f64,
        skewness: mom.map_or(f64::NAN, |m| m.skewness),
        excess_kurtosis: mom.map_or(f64::NAN, |m| m.excess_kurtosis),
        var_95: value_at_risk(&r, 0.95),
        cvar_95: conditional_value_at_risk(&r, 0.95),
        turnover_annual: traded / 2.0 / years,
        costs_usd: costs,
        funding_usd: funding,
        interest_usd: interest,
        cost_drag_annual: costs / mean_nav / years,
        rebalances,
        target_tracking: tracking,
        final_value: *nav.last().unwrap_or(&f64::NAN),
    })
}
