//! Where return and risk came from, per coin and per calendar year.
//!
//! Return: coin i contributes Σ_t w_{i,t−1}·r_{i,t} (weight at the previous close, after
//! trades, times the coin's return), so a period's contributions plus cash interest, costs and
//! funding add up to the sum of daily portfolio returns (arithmetic, not compounded).
//! Risk (ex post): coin i's share of the variance of the coins' part of the daily return,
//! cov(x_i, Σ_j x_j) / var(Σ_j x_j) with x_{i,t} = w_{i,t−1}·r_{i,t}; the shares sum to 1.

use super::engine::StrategyRun;
use super::market::MarketData;
use super::BacktestError;

/// Attribution of one period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeriodAttribution {
    /// Calendar year, or `all`.
    pub period: String,
    /// Days in the period.
    pub days: usize,
    /// Per coin (panel order): contribution to return (of the net position: a beta hedge's
    /// perpetual counts with its coin).
    pub return_contribution: Vec<f64>,
    /// Per coin: share of variance (sums to 1; all zero if the book was flat).
    pub risk_contribution: Vec<f64>,
    /// Cash interest, costs and funding as returns (costs and funding negative when paid).
    pub interest: f64,
    /// Trading costs as a return (negative).
    pub costs: f64,
    /// Funding as a return (negative when paid).
    pub funding: f64,
    /// Of the coins' contributions, the beta hedge's part (0 without the overlay).
    pub hedge: f64,
    /// Σ of daily portfolio returns over the period.
    pub sum_of_returns: f64,
}

/// Attribution per calendar year and over the whole run (`all`, last).
///
/// # Errors
/// [`BacktestError::Invalid`] when `run` is not a run on `m` (its dates or shape differ).
pub fn attribution(m: &MarketData, run: &StrategyRun) -> Result<Vec<PeriodAttribution>, BacktestError> {
    let n = m.n_assets();
    let days = run.dates.len();
    let start = run
        .dates
        .first()
        .and_then(|d0| m.dates().iter().position(|d| d == d0))
        .filter(|s| {
            m.dates().get(*s..*s + days) == Some(run.dates.as_slice())
                && run.weights.len() == days * n
                && run.nav.len() == days
                && [&run.interest, &run.costs, &run.funding]
                    .iter()
                    .all(|v| v.len() == days)
        })
        .ok_or_else(|| {
            BacktestError::Invalid(format!("run '{}' is not a run on this market data", run.name))
        })?;
    let hedged = !run.hedge.is_empty();
    if hedged && run.hedge.len() != days * n {
        return Err(BacktestError::Invalid(format!(
            "run '{}' has a hedge path of the wrong shape",
            run.name
        )));
    }
    // x[t][i] for t = 1..days (the net position: spot or perp plus any hedge), h[t] the hedge's
    let mut x = vec![0.0; days * n];
    let mut h = vec![0.0; days];
    for k in 1..days {
        let t = start + k;
        for i in 0..n {
            let hw = if hedged { run.hedge[(k - 1) * n + i] } else { 0.0 };
            let w = run.weights[(k - 1) * n + i] + hw;
            if w != 0.0 {
                let (a, b) = (m.price(t - 1, i), m.price(t, i));
                if a.is_finite() && b.is_finite() {
                    x[k * n + i] = w * (b / a - 1.0);
                    h[k] += hw * (b / a - 1.0);
                }
            }
        }
    }
    let mut periods: Vec<(String, Vec<usize>)> = Vec::new();
    for k in 1..days {
        let y = run.dates[k].year().to_string();
        match periods.last_mut() {
            Some((p, ks)) if *p == y => ks.push(k),
            _ => periods.push((y, vec![k])),
        }
    }
    periods.push(("all".into(), (1..days).collect()));
    Ok(periods
        .into_iter()
        .map(|(period, ks)| {
            let mut ret = vec![0.0; n];
            let (mut interest, mut costs, mut funding, mut sum) = (0.0, 0.0, 0.0, 0.0);
            let hedge = ks.iter().map(|&k| h[k]).sum();
            for &k in &ks {
                for i in 0..n {
                    ret[i] += x[k * n + i];
                }
                let prev = run.nav[k - 1];
                interest += run.interest[k] / prev;
                costs -= run.costs[k] / prev;
                funding -= run.funding[k] / prev;
                sum += run.nav[k] / prev - 1.0;
            }
            // variance shares
            let total: Vec<f64> = ks.iter().map(|&k| x[k * n..(k + 1) * n].iter().sum()).collect();
            let c = ks.len() as f64;
            let mt = total.iter().sum::<f64>() / c;
            let var: f64 = total.iter().map(|v| (v - mt) * (v - mt)).sum::<f64>() / c;
            let risk = (0..n)
                .map(|i| {
                    if var <= 0.0 {
                        return 0.0;
                    }
                    let mi = ks.iter().map(|&k| x[k * n + i]).sum::<f64>() / c;
                    ks.iter()
                        .zip(&total)
                        .map(|(&k, tv)| (x[k * n + i] - mi) * (tv - mt))
                        .sum::<f64>()
                        / c
                        / var
                })
                .collect();
            PeriodAttribution {
                period,
                days: ks.len(),
                return_contribution: ret,
                risk_contribution: risk,
                interest,
                costs,
                funding,
                hedge,
                sum_of_returns: sum,
            }
        })
        .collect())
}
