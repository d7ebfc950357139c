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
use crate::risk::{max_drawdown, moments};
use jiff::civil::Date;

const PPY: f64 = 365.0;

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

/// numpy's `percentile` with linear interpolation, q in [0, 100].
fn percentile(r: &[f64], q: f64) -> f64 {
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

/// The worst drawdown with its dates, and the longest time under water.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawdownDates {
    pub max_drawdown: f64,
    pub peak: Date,
    pub trough: Date,
    /// First close back at the peak value, if it happened.
    pub recovery: Option<Date>,
    /// Longest stretch below a previous peak, in days.
    pub longest_underwater_days: usize,
}

/// Drawdown statistics of a value path on `dates` (same length).
pub fn drawdown_dates(nav: &[f64], dates: &[Date]) -> DrawdownDates {
    let r: Vec<f64> = nav.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
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
    DrawdownDates {
        max_drawdown: d.max_drawdown,
        peak: dates[d.peak],
        trough: dates[d.trough],
        recovery,
        longest_underwater_days: longest,
    }
}

/// Every metric of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    pub total_return: f64,
    pub annual_return: f64,
    pub annual_volatility: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub calmar: f64,
    pub drawdown: DrawdownDates,
    /// Fraction of days with a positive return.
    pub hit_rate: f64,
    pub skewness: f64,
    /// Excess kurtosis (population).
    pub excess_kurtosis: f64,
    /// Historical 1-day VaR / CVaR at 95 % (positive fractions).
    pub var_95: f64,
    pub cvar_95: f64,
    /// Annual one-way turnover: Σ traded / value ÷ 2, per year.
    pub turnover_annual: f64,
    /// Trading costs, funding (paid, negative = received) and cash interest, USD, total.
    pub costs_usd: f64,
    pub funding_usd: f64,
    pub interest_usd: f64,
    /// Costs as a fraction of average value per year.
    pub cost_drag_annual: f64,
    pub rebalances: usize,
    /// Mean daily distance from the target, ½Σ|w − w*| (how well the policy tracks it).
    pub target_tracking: f64,
    pub final_value: f64,
}

/// Metrics of a value path (benchmark or strategy) with optional trading data.
pub fn performance(nav: &[f64], dates: &[Date], run: Option<&StrategyRun>, rf_annual: f64) -> Performance {
    let r: Vec<f64> = nav.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
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
    Performance {
        total_return: total_return(&r),
        annual_return: annual_return(&r),
        annual_volatility: annual_volatility(&r),
        sharpe: sharpe_ratio(&r, rf_annual),
        sortino: sortino_ratio(&r),
        calmar: calmar_ratio(&r),
        drawdown: drawdown_dates(nav, dates),
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
    }
}
