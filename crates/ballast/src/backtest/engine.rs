//! The walk-forward loop of one strategy. Strictly causal: the decision at the close of day t
//! uses prices up to and including t only, and trades at t's close; the weights then drift
//! with prices until the next trade.

use super::market::{trade_cost, MarketData};
use super::policy::{weights_breach, Trigger};
use super::Strategy;
use crate::data::{ReturnKind, Returns};
use crate::estimate::{signal_tilt, vol_adjusted_momentum};
use crate::risk::risk_contributions;
use jiff::civil::Date;

/// One trade.
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub date: Date,
    pub asset: String,
    /// Units bought (> 0) or sold (< 0); for perpetuals, the change of the position in coins.
    pub units: f64,
    pub price: f64,
    /// Signed notional, USD.
    pub value: f64,
    /// Fees, spread and impact paid, USD.
    pub cost: f64,
    /// `rebalance` or `delisted` (closed at the last real price when the data ends).
    pub reason: &'static str,
}

/// One rebalance: the target the allocator chose and its ex-ante risk.
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceEvent {
    pub date: Date,
    pub trigger: Trigger,
    /// Target weights over all coins of the panel (0 outside the universe).
    pub weights: Vec<f64>,
    /// Ex-ante percent risk contributions of the target (over all coins).
    pub risk_contributions: Vec<f64>,
    /// Ex-ante annual volatility of the target.
    pub volatility: f64,
    /// Coins in the universe that day.
    pub universe: usize,
}

/// The path of one strategy.
#[derive(Debug, Clone)]
pub struct StrategyRun {
    pub name: String,
    pub dates: Vec<Date>,
    /// Portfolio value at each close, USD.
    pub nav: Vec<f64>,
    /// Row-major T×N weights at each close, after that day's trades.
    pub weights: Vec<f64>,
    /// Cash weight at each close (collateral for perpetual strategies).
    pub cash: Vec<f64>,
    /// Daily traded notional / value (sum of |trades|).
    pub traded: Vec<f64>,
    /// Daily trading costs, USD.
    pub costs: Vec<f64>,
    /// Daily funding paid, USD (negative = received).
    pub funding: Vec<f64>,
    /// Daily interest on cash, USD.
    pub interest: Vec<f64>,
    /// Daily distance from the last target, ½Σ|w − w*| (0 right after a rebalance).
    pub tracking: Vec<f64>,
    pub trades: Vec<Trade>,
    pub rebalances: Vec<RebalanceEvent>,
    /// Rebalances the allocator could not do (date, reason); positions were kept.
    pub failures: Vec<(Date, String)>,
    /// Per coin: days a perpetual position was held with no funding data (counted as zero).
    pub funding_missing: Vec<(String, usize)>,
    /// Trades with no volume data for the impact term.
    pub impact_missing: usize,
}

impl StrategyRun {
    /// Daily simple returns of the portfolio value (length T − 1).
    pub fn returns(&self) -> Vec<f64> {
        self.nav.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
    }
}

/// Run `s` on `m` from row `start` to row `end` (inclusive) with `initial` USD. `tick` is
/// called once per day (progress reporting).
pub fn run_strategy(
    m: &MarketData,
    s: &Strategy,
    start: usize,
    end: usize,
    initial: f64,
    cash_yield: f64,
    tick: &mut dyn FnMut(),
) -> StrategyRun {
    let n = m.n_assets();
    let days = end + 1 - start;
    let mut run = StrategyRun {
        name: s.name.clone(),
        dates: m.dates[start..=end].to_vec(),
        nav: Vec::with_capacity(days),
        weights: Vec::with_capacity(days * n),
        cash: Vec::with_capacity(days),
        traded: Vec::with_capacity(days),
        costs: Vec::with_capacity(days),
        funding: Vec::with_capacity(days),
        interest: Vec::with_capacity(days),
        tracking: Vec::with_capacity(days),
        trades: Vec::new(),
        rebalances: Vec::new(),
        failures: Vec::new(),
        funding_missing: Vec::new(),
        impact_missing: 0,
    };
    // consecutive valid prices ending at each row, per coin (for eligibility)
    let mut streak = vec![0usize; n];
    for t in 0..start {
        for (i, st) in streak.iter_mut().enumerate() {
            *st = if m.price(t, i).is_finite() { *st + 1 } else { 0 };
        }
    }
    let mut units = vec![0.0; n];
    let mut last_px = vec![f64::NAN; n];
    let mut cash = initial;
    let mut target = vec![0.0; n];
    let mut budget: Vec<f64> = Vec::new();
    let mut cov_last: Option<(Vec<usize>, crate::SymMatrix)> = None;
    let mut ewma_var = f64::NAN;
    let mut vol_ref = f64::NAN;
    let mut missing_funding = vec![0usize; n];
    let mut prev_nav = initial;
    let mut invested = false;
    let mut wiped_out = false;
    let daily_yield = cash_yield / 365.0;
    for t in start..=end {
        tick();
        for (i, st) in streak.iter_mut().enumerate() {
            *st = if m.price(t, i).is_finite() { *st + 1 } else { 0 };
        }
        let (mut day_cost, mut day_traded, mut day_funding) = (0.0, 0.0, 0.0);
        // cash earns the yield; a negative balance (leverage) pays it
        let interest = cash * daily_yield;
        cash += interest;
        // mark to market; a position whose coin has no price today is closed at its last
        // real price (the data ended or has a gap: never an invented price)
        for i in 0..n {
            let p = m.price(t, i);
            if units[i] != 0.0 {
                if p.is_finite() {
                    if s.perp {
                        cash += units[i] * (p - last_px[i]);
                    }
                } else {
                    let value = units[i] * last_px[i];
                    let cost = trade_cost(&s.costs, value, None);
                    cash += if s.perp { 0.0 } else { value } - cost;
                    day_cost += cost;
                    day_traded += value.abs();
                    run.trades.push(Trade {
                        date: m.dates[t],
                        asset: m.assets[i].clone(),
                        units: -units[i],
                        price: last_px[i],
                        value: -value,
                        cost,
                        reason: "delisted",
                    });
                    units[i] = 0.0;
                    target[i] = 0.0;
                }
            }
            if p.is_finite() {
                last_px[i] = p;
            }
        }
        if s.perp {
            for i in 0..n {
                if units[i] != 0.0 {
                    match m.funding.as_ref().and_then(|f| f.on(&m.assets[i], m.dates[t])) {
                        Some(rate) => day_funding += units[i] * last_px[i] * rate,
                        None => missing_funding[i] += 1,
                    }
                }
            }
            cash -= day_funding;
        }
        let nav = value(&units, &last_px, cash, s.perp);
        if t > start && prev_nav > 0.0 {
            let r = nav / prev_nav - 1.0;
            ewma_var = if ewma_var.is_finite() {
                0.94 * ewma_var + 0.06 * r * r
            } else {
                r * r
            };
        }
        // decide
        let check = t == start || s.policy.is_check(m.dates[t - 1], m.dates[t]);
        if !(nav > 0.0) && !wiped_out {
            // wiped out (a leveraged book): every position is closed at today's closes, and
            // the strategy trades no more
            wiped_out = true;
            run.failures.push((
                m.dates[t],
                format!("portfolio value {nav:.2} USD ≤ 0: positions closed, no more trades"),
            ));
            let zero = vec![0.0; n];
            let (c, traded) = trade_to(m, s, t, &mut units, &last_px, &mut cash, &zero, &mut run);
            day_cost += c;
            day_traded += traded;
            target = zero;
        }
        let trigger = if wiped_out {
            None
        } else if !invested {
            Some(Trigger::Initial)
        } else if !check {
            None
        } else if !s.policy.has_triggers() {
            Some(Trigger::Calendar)
        } else {
            let w: Vec<f64> = (0..n).map(|i| exposure(units[i], last_px[i]) / nav).collect();
            let drift = s.policy.threshold.is_some_and(|b| weights_breach(b, &w, &target));
            let risk = s.policy.risk_drift.is_some_and(|band| {
                cov_last.as_ref().is_some_and(|(idx, cov)| {
                    let wi: Vec<f64> = idx.iter().map(|&i| w[i]).collect();
                    risk_contributions(cov, &wi)
                        .is_ok_and(|rc| rc.percent.iter().zip(&budget).any(|(a, b)| (a - b).abs() > band))
                })
            });
            let vol = s.policy.vol_trigger.is_some_and(|band| {
                let now = (ewma_var * 365.0).sqrt();
                let reference = s.allocation.vol_target.unwrap_or(vol_ref);
                now.is_finite() && reference > 0.0 && (now / reference - 1.0).abs() > band
            });
            [
                (drift, Trigger::WeightDrift),
                (risk, Trigger::RiskDrift),
                (vol, Trigger::Volatility),
            ]
            .into_iter()
            .find(|(fired, _)| *fired)
            .map(|(_, tr)| tr)
        };
        if let Some(trigger) = trigger {
            match decide(m, s, t, &streak, &units, &last_px, nav) {
                Ok(None) => {}
                Ok(Some(d)) => {
                    invested = true;
                    target = d.weights.clone();
                    budget = d.budget;
                    vol_ref = d.volatility;
                    cov_last = Some((d.index, d.cov));
                    let (c, traded) = trade_to(m, s, t, &mut units, &last_px, &mut cash, &target, &mut run);
                    day_cost += c;
                    day_traded += traded;
                    run.rebalances.push(RebalanceEvent {
                        date: m.dates[t],
                        trigger,
                        weights: d.weights,
                        risk_contributions: d.rc,
                        volatility: d.volatility,
                        universe: d.universe,
                    });
                }
                Err(e) => run.failures.push((m.dates[t], e)),
            }
        }
        let nav = value(&units, &last_px, cash, s.perp);
        let mut dist = 0.0;
        for i in 0..n {
            let w = exposure(units[i], last_px[i]) / nav;
            dist += (w - target[i]).abs();
            run.weights.push(w);
        }
        run.tracking.push(if invested { 0.5 * dist } else { 0.0 });
        // perpetual books hold collateral, not coins: their "cash" is the unexposed share
        run.cash.push(if s.perp {
            1.0 - run.weights[run.weights.len() - n..].iter().sum::<f64>()
        } else {
            cash / nav
        });
        run.nav.push(nav);
        run.traded.push(day_traded / nav);
        run.costs.push(day_cost);
        run.funding.push(day_funding);
        run.interest.push(interest);
        prev_nav = nav;
    }
    run.funding_missing = missing_funding
        .iter()
        .enumerate()
        .filter(|(_, d)| **d > 0)
        .map(|(i, d)| (m.assets[i].clone(), *d))
        .collect();
    run
}

#[inline]
fn exposure(units: f64, price: f64) -> f64 {
    if units == 0.0 {
        0.0
    } else {
        units * price
    }
}

/// Portfolio value: cash plus coins (spot), or the collateral alone (perpetuals, marked to
/// market into cash).
fn value(units: &[f64], px: &[f64], cash: f64, perp: bool) -> f64 {
    if perp {
        cash
    } else {
        cash + units.iter().zip(px).map(|(u, p)| exposure(*u, *p)).sum::<f64>()
    }
}

/// The allocator's decision at row `t`.
struct Decision {
    weights: Vec<f64>,
    rc: Vec<f64>,
    volatility: f64,
    universe: usize,
    /// Universe indices and their covariance (for risk-drift checks).
    index: Vec<usize>,
    cov: crate::SymMatrix,
    /// Percent risk contributions to hold the book to (risk-drift trigger).
    budget: Vec<f64>,
}

/// Estimate and allocate on the coins with a full window at `t`. `Ok(None)`: no coin yet.
fn decide(
    m: &MarketData,
    s: &Strategy,
    t: usize,
    streak: &[usize],
    units: &[f64],
    px: &[f64],
    nav: f64,
) -> Result<Option<Decision>, String> {
    let n = m.n_assets();
    let mut index: Vec<usize> = s
        .universe
        .iter()
        .copied()
        .filter(|&i| streak[i] > s.window)
        .collect();
    if index.is_empty() {
        return Ok(None);
    }
    let returns_of = |idx: &[usize]| -> Result<Returns, String> {
        let w = s.window;
        let mut cols = Vec::with_capacity(w * idx.len());
        for &i in idx {
            for k in t + 1 - w..=t {
                cols.push(m.price(k, i) / m.price(k - 1, i) - 1.0);
            }
        }
        Returns::new(
            m.dates[t + 1 - w..=t].to_vec(),
            idx.iter().map(|&i| m.assets[i].clone()).collect(),
            cols,
            ReturnKind::Simple,
            365.0,
        )
        .map_err(|e| e.to_string())
    };
    let mut r = returns_of(&index)?;
    if let Some(top) = s.momentum.and_then(|m| m.top) {
        if index.len() > top {
            let lookback = s.momentum.map_or(2, |m| m.lookback);
            let score = vol_adjusted_momentum(&r, lookback).map_err(|e| e.to_string())?;
            let mut order: Vec<usize> = (0..index.len()).collect();
            order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
            order.truncate(top);
            order.sort();
            index = order.iter().map(|&k| index[k]).collect();
            r = returns_of(&index)?;
        }
    }
    let cov = s.estimator.fit(&r).map_err(|e| e.to_string())?;
    let current: Vec<f64> = index.iter().map(|&i| exposure(units[i], px[i]) / nav).collect();
    let mut a = s
        .allocation
        .allocate(&r, &cov, Some(&current))
        .map_err(|e| e.to_string())?;
    if let Some(mom) = s.momentum.filter(|m| m.tilt > 0.0) {
        let score = vol_adjusted_momentum(&r, mom.lookback).map_err(|e| e.to_string())?;
        a.weights = signal_tilt(&a.weights, &score, mom.tilt).map_err(|e| e.to_string())?;
        let rc = risk_contributions(&cov.matrix, &a.weights).map_err(|e| e.to_string())?;
        a.allocation.risk_contributions = rc.percent;
        a.allocation.volatility_annual = rc.volatility;
        a.vol_targeted = None;
    }
    let mut weights = vec![0.0; n];
    let mut rc = vec![0.0; n];
    for (k, &i) in index.iter().enumerate() {
        weights[i] = a.weights[k];
        rc[i] = a.allocation.risk_contributions[k];
    }
    let volatility = a
        .vol_targeted
        .as_ref()
        .map_or(a.allocation.volatility_annual, |v| v.volatility_after);
    let budget = match &s.allocation.budgets {
        Some(b) if s.allocation.method == "risk-budget" => index
            .iter()
            .map(|&i| b.get(&m.assets[i]).copied().unwrap_or(0.0))
            .collect(),
        _ if s.allocation.method == "erc" => vec![1.0 / index.len() as f64; index.len()],
        _ => a.allocation.risk_contributions.clone(),
    };
    Ok(Some(Decision {
        weights,
        rc,
        volatility,
        universe: index.len(),
        index,
        cov: cov.matrix,
        budget,
    }))
}

/// Trade to `target` weights at row `t`'s closes, paying costs from cash. The target applies to
/// the value net of the costs (fixed point: costs grow with the trades). Trades smaller than
/// the policy's minimum are skipped. Returns (costs, traded notional).
#[allow(clippy::too_many_arguments)]
fn trade_to(
    m: &MarketData,
    s: &Strategy,
    t: usize,
    units: &mut [f64],
    px: &[f64],
    cash: &mut f64,
    target: &[f64],
    run: &mut StrategyRun,
) -> (f64, f64) {
    let n = units.len();
    let nav = value(units, px, *cash, s.perp);
    let held: Vec<f64> = (0..n).map(|i| exposure(units[i], px[i])).collect();
    let impact: Vec<Option<(f64, f64)>> = (0..n)
        .map(|i| {
            if s.costs.impact > 0.0 {
                m.impact_inputs(t, i)
            } else {
                None
            }
        })
        .collect();
    let mut net = nav;
    let mut x = vec![0.0; n];
    for _ in 0..6 {
        for i in 0..n {
            let want = if target[i] == 0.0 { 0.0 } else { target[i] * net };
            let d = want - held[i];
            // keep small trades undone, except closing a position entirely
            x[i] = if d.abs() < s.policy.min_trade * nav && want != 0.0 {
                0.0
            } else {
                d
            };
        }
        let cost: f64 = (0..n).map(|i| trade_cost(&s.costs, x[i], impact[i])).sum();
        net = nav - cost;
    }
    let (mut total_cost, mut traded) = (0.0, 0.0);
    for i in 0..n {
        if x[i] == 0.0 || !px[i].is_finite() {
            continue;
        }
        if s.costs.impact > 0.0 && impact[i].is_none() {
            run.impact_missing += 1;
        }
        let cost = trade_cost(&s.costs, x[i], impact[i]);
        let du = x[i] / px[i];
        units[i] = if target[i] == 0.0 { 0.0 } else { units[i] + du };
        if !s.perp {
            *cash -= x[i];
        }
        *cash -= cost;
        total_cost += cost;
        traded += x[i].abs();
        run.trades.push(Trade {
            date: m.dates[t],
            asset: m.assets[i].clone(),
            units: du,
            price: px[i],
            value: x[i],
            cost,
            reason: "rebalance",
        });
    }
    (total_cost, traded)
}
