//! The walk-forward loop of one strategy. Strictly causal: the decision at the close of day t
//! uses prices up to and including t only, and trades at t's close; the weights then drift
//! with prices until the next trade.

mod hedge;
mod run;

pub use hedge::BetaHedge;
pub use run::{BacktestTrade, Failure, RebalanceEvent, StrategyRun, TradeReason};

use super::config::InstrumentKind;
use super::market::{trade_cost, MarketData};
use super::policy::Trigger;
use super::Strategy;
use crate::allocate::MethodDetails;
use crate::data::{ReturnKind, WindowSpec};
use crate::rebalance::{trades_to_target, Trade};
use crate::risk::risk_contributions;
use crate::PERIODS_PER_YEAR_DAILY;

/// Run `s` on `m` from row `start` to row `end` (inclusive) with `initial` USD. `tick` is
/// called once per day (progress reporting).
///
/// # Panics
/// If `start > end` or `end` is past the data (as checked by [`super::Backtest::from_spec`]).
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
    let mut run = StrategyRun::new(s, &m.dates()[start..=end], n);
    let mut book = Book::new(m, s, start, initial);
    let daily_yield = cash_yield / PERIODS_PER_YEAR_DAILY;
    for t in start..=end {
        tick();
        book.advance_streaks(t);
        // cash earns the yield; a negative balance (leverage) pays it
        let mut day = Day {
            interest: book.cash * daily_yield,
            ..Day::default()
        };
        book.cash += day.interest;
        book.mark_hedge(t, &mut day, &mut run);
        book.mark(t, &mut day, &mut run);
        if s.instrument == InstrumentKind::Perp {
            book.pay_funding(t, &mut day);
        }
        if s.beta_hedge.is_some() {
            book.pay_hedge_funding(t, &mut day);
        }
        let nav = book.nav();
        if t > start {
            book.update_volatility(nav);
        }
        if !(nav > 0.0) && !book.wiped_out {
            book.wipe_out(t, nav, &mut day, &mut run);
        }
        if let Some(trigger) = book.trigger(t, start, nav) {
            book.rebalance(t, nav, trigger, &mut day, &mut run);
        }
        book.prev_nav = book.record(&day, &mut run);
    }
    run.funding_missing = book
        .missing_funding
        .iter()
        .enumerate()
        .filter(|(_, d)| **d > 0)
        .map(|(i, d)| (m.assets()[i].clone(), *d))
        .collect();
    run
}

/// One day's flows.
#[derive(Default)]
struct Day {
    cost: f64,
    traded: f64,
    funding: f64,
    interest: f64,
}

/// The state of a strategy's book as the loop walks forward.
struct Book<'a> {
    m: &'a MarketData,
    s: &'a Strategy,
    /// Units held (spot) or position in coins (perpetuals).
    units: Vec<f64>,
    /// Last real price of each coin.
    last_px: Vec<f64>,
    cash: f64,
    /// Current target weights (all coins).
    target: Vec<f64>,
    /// Consecutive valid prices ending at the current row, per coin (eligibility).
    streak: Vec<usize>,
    /// Risk-drift reference: the universe's coins, their covariance and budgets.
    risk_ref: Option<(Vec<usize>, crate::SymMatrix, Vec<f64>)>,
    /// EWMA variance of the daily portfolio returns.
    ewma_var: f64,
    /// Volatility at the last rebalance.
    vol_ref: f64,
    prev_nav: f64,
    missing_funding: Vec<usize>,
    invested: bool,
    wiped_out: bool,
    /// Panel indices of the beta hedge's coins (empty without the overlay).
    hedge_coins: Vec<usize>,
    /// The hedge's position in coins, one per hedge coin.
    hedge_units: Vec<f64>,
}

impl<'a> Book<'a> {
    fn new(m: &'a MarketData, s: &'a Strategy, start: usize, initial: f64) -> Self {
        let n = m.n_assets();
        let mut b = Self {
            m,
            s,
            units: vec![0.0; n],
            last_px: vec![f64::NAN; n],
            cash: initial,
            target: vec![0.0; n],
            streak: vec![0; n],
            risk_ref: None,
            ewma_var: f64::NAN,
            vol_ref: f64::NAN,
            prev_nav: initial,
            missing_funding: vec![0; n],
            invested: false,
            wiped_out: false,
            hedge_coins: s.beta_hedge.as_ref().map_or(Vec::new(), |h| h.coins.clone()),
            hedge_units: vec![0.0; s.beta_hedge.as_ref().map_or(0, |h| h.coins.len())],
        };
        for t in 0..start {
            b.advance_streaks(t);
        }
        b
    }

    fn perp(&self) -> bool {
        self.s.instrument == InstrumentKind::Perp
    }

    fn advance_streaks(&mut self, t: usize) {
        for (i, st) in self.streak.iter_mut().enumerate() {
            *st = if self.m.price(t, i).is_finite() {
                *st + 1
            } else {
                0
            };
        }
    }

    /// USD exposure of coin `i` at its last price.
    fn exposure(&self, i: usize) -> f64 {
        if self.units[i] == 0.0 {
            0.0
        } else {
            self.units[i] * self.last_px[i]
        }
    }

    /// Portfolio value: cash plus coins (spot), or the collateral alone (perpetuals, whose P&L
    /// is marked into it).
    fn nav(&self) -> f64 {
        if self.perp() {
            self.cash
        } else {
            self.cash + (0..self.units.len()).map(|i| self.exposure(i)).sum::<f64>()
        }
    }

    /// Mark to market; a position whose coin has no price today is closed at its last real
    /// price (the data ended or has a gap: never an invented price).
    fn mark(&mut self, t: usize, day: &mut Day, run: &mut StrategyRun) {
        for i in 0..self.units.len() {
            let p = self.m.price(t, i);
            if self.units[i] != 0.0 {
                if p.is_finite() {
                    if self.perp() {
                        self.cash += self.units[i] * (p - self.last_px[i]);
                    }
                } else {
                    let value = self.units[i] * self.last_px[i];
                    let cost = trade_cost(&self.s.costs, value, None);
                    self.cash += if self.perp() { 0.0 } else { value } - cost;
                    day.cost += cost;
                    day.traded += value.abs();
                    run.trades.push(BacktestTrade {
                        date: self.m.dates()[t],
                        trade: Trade::of_value(&self.m.assets()[i], -value, self.last_px[i], cost),
                        reason: TradeReason::Delisted,
                    });
                    self.units[i] = 0.0;
                    self.target[i] = 0.0;
                }
            }
            if p.is_finite() {
                self.last_px[i] = p;
            }
        }
    }

    /// Perpetual funding on the day's positions (days without data count as zero, reported).
    fn pay_funding(&mut self, t: usize, day: &mut Day) {
        for i in 0..self.units.len() {
            if self.units[i] != 0.0 {
                let rate = self
                    .m
                    .funding
                    .as_ref()
                    .and_then(|f| f.on(&self.m.assets()[i], self.m.dates()[t]));
                match rate {
                    Some(r) => day.funding += self.exposure(i) * r,
                    None => self.missing_funding[i] += 1,
                }
            }
        }
        self.cash -= day.funding;
    }

    fn update_volatility(&mut self, nav: f64) {
        if self.prev_nav > 0.0 {
            let r = nav / self.prev_nav - 1.0;
            self.ewma_var = if self.ewma_var.is_finite() {
                0.94 * self.ewma_var + 0.06 * r * r
            } else {
                r * r
            };
        }
    }

    /// A leveraged book whose value reaches zero: every position is closed at today's closes
    /// and the strategy trades no more.
    fn wipe_out(&mut self, t: usize, nav: f64, day: &mut Day, run: &mut StrategyRun) {
        self.wiped_out = true;
        run.failures.push(Failure {
            date: self.m.dates()[t],
            reason: format!("portfolio value {nav:.2} USD ≤ 0: positions closed, no more trades"),
        });
        let zero = vec![0.0; self.units.len()];
        self.rehedge(
            t,
            &vec![0.0; self.hedge_units.len()],
            TradeReason::WipedOut,
            day,
            run,
        );
        if let Err(reason) = self.trade_to(t, &zero, TradeReason::WipedOut, day, run) {
            run.failures.push(Failure {
                date: self.m.dates()[t],
                reason,
            });
        }
        self.target = zero;
    }

    /// Whether to rebalance today, and why.
    fn trigger(&self, t: usize, start: usize, nav: f64) -> Option<Trigger> {
        let policy = &self.s.policy;
        if self.wiped_out {
            return None;
        }
        if !self.invested {
            return Some(Trigger::Initial);
        }
        if t == start || !policy.is_check(self.m.dates()[t - 1], self.m.dates()[t]) {
            return None;
        }
        if !policy.has_triggers() {
            return Some(Trigger::Calendar);
        }
        let w: Vec<f64> = (0..self.units.len()).map(|i| self.exposure(i) / nav).collect();
        let drift = policy.threshold.is_some_and(|b| b.any_breached(&w, &self.target));
        let risk = policy.risk_drift.is_some_and(|band| {
            self.risk_ref.as_ref().is_some_and(|(idx, cov, budget)| {
                let wi: Vec<f64> = idx.iter().map(|&i| w[i]).collect();
                risk_contributions(cov, &wi)
                    .is_ok_and(|rc| rc.percent.iter().zip(budget).any(|(a, b)| (a - b).abs() > band))
            })
        });
        let vol = policy.vol_trigger.is_some_and(|band| {
            let now = (self.ewma_var * PERIODS_PER_YEAR_DAILY).sqrt();
            let reference = self.s.allocation.vol_target.map_or(self.vol_ref, |v| v.target);
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
    }

    /// Estimate and allocate on the coins with a full window at `t`, then trade to the target.
    fn rebalance(&mut self, t: usize, nav: f64, trigger: Trigger, day: &mut Day, run: &mut StrategyRun) {
        match self.decide(t, nav) {
            Ok(None) => {}
            Ok(Some(event)) => match self.trade_to(t, &event.weights, TradeReason::Rebalance, day, run) {
                Ok(()) => {
                    if let Some(e) = &event.hedge_error {
                        run.failures.push(Failure {
                            date: self.m.dates()[t],
                            reason: format!("{e}; the hedge was left as it was"),
                        });
                    } else if !event.hedge.is_empty() {
                        let h: Vec<f64> = self.hedge_coins.iter().map(|&i| event.hedge[i]).collect();
                        self.rehedge(t, &h, TradeReason::Rebalance, day, run);
                    }
                    self.invested = true;
                    self.target = event.weights.clone();
                    self.vol_ref = event.volatility;
                    run.rebalances.push(RebalanceEvent { trigger, ..event });
                }
                // positions are kept, as when the allocator fails
                Err(reason) => run.failures.push(Failure {
                    date: self.m.dates()[t],
                    reason,
                }),
            },
            Err(e) => run.failures.push(Failure {
                date: self.m.dates()[t],
                reason: e,
            }),
        }
    }

    /// The allocator's target at row `t` (`Ok(None)`: no coin has a full window yet). Also
    /// keeps the risk-drift reference.
    fn decide(&mut self, t: usize, nav: f64) -> Result<Option<RebalanceEvent>, String> {
        let (m, s) = (self.m, self.s);
        let index: Vec<usize> = s
            .universe
            .iter()
            .copied()
            .filter(|&i| self.streak[i] > s.window)
            .collect();
        if index.is_empty() {
            return Ok(None);
        }
        let names: Vec<String> = index.iter().map(|&i| m.assets()[i].clone()).collect();
        let window = m
            .prices
            .window(&WindowSpec {
                assets: Some(names),
                returns: s.window,
                end: Some(m.dates()[t]),
                ..WindowSpec::default()
            })
            .map_err(|e| e.to_string())?;
        let r = window.returns(ReturnKind::Simple);
        let current: Vec<f64> = index.iter().map(|&i| self.exposure(i) / nav).collect();
        let sel = s.allocation.select(&r, &s.estimator).map_err(|e| e.to_string())?;
        let a = s
            .allocation
            .allocate_selection(r.assets(), &sel, Some(&current))
            .map_err(|e| e.to_string())?;
        let n = m.n_assets();
        let (mut weights, mut rc) = (vec![0.0; n], vec![0.0; n]);
        for (k, &i) in index.iter().enumerate() {
            weights[i] = a.weights[k];
            rc[i] = a.risk_contributions[k];
        }
        // the risk-drift reference: the selected coins, their covariance and budgets
        let selected: Vec<usize> = index
            .iter()
            .copied()
            .filter(|&i| sel.covariance.assets.contains(&m.assets()[i]))
            .collect();
        let budget: Vec<f64> = match &a.details {
            MethodDetails::RiskBudget { budgets } => index
                .iter()
                .zip(budgets)
                .filter(|(i, _)| selected.contains(i))
                .map(|(_, b)| *b)
                .collect(),
            _ if a.method == crate::allocate::Method::Erc => {
                vec![1.0 / selected.len() as f64; selected.len()]
            }
            _ => selected.iter().map(|&i| rc[i]).collect(),
        };
        self.risk_ref = Some((selected, sel.covariance.matrix, budget));
        // a hedge that cannot be sized (a factor coin without a full window) leaves the hedge
        // as it is and is reported; the allocation still trades
        let (hedge, exposures_before, hedge_error) = match &s.beta_hedge {
            Some(h) => match h.size(m, t, &r, &a.weights) {
                Ok((hw, before)) => {
                    let mut hedge = vec![0.0; n];
                    h.coins.iter().zip(hw).for_each(|(&i, w)| hedge[i] = w);
                    (hedge, before, None)
                }
                Err(e) => (Vec::new(), Vec::new(), Some(e)),
            },
            None => (Vec::new(), Vec::new(), None),
        };
        Ok(Some(RebalanceEvent {
            date: m.dates()[t],
            trigger: Trigger::Initial,
            weights,
            risk_contributions: rc,
            volatility: a.volatility_annual,
            universe: index.len(),
            hedge,
            exposures_before,
            hedge_error,
        }))
    }

    /// Trade to `target` weights at row `t`'s closes, paying costs from cash
    /// ([`trades_to_target`] with the strategy's fee, spread and impact). When no trade pays
    /// for itself (costs above the book's value) nothing trades and the reason is returned.
    fn trade_to(
        &mut self,
        t: usize,
        target: &[f64],
        reason: TradeReason,
        day: &mut Day,
        run: &mut StrategyRun,
    ) -> Result<(), String> {
        let (m, s) = (self.m, self.s);
        let n = self.units.len();
        let nav = self.nav();
        let held: Vec<f64> = (0..n).map(|i| self.exposure(i)).collect();
        let impact: Vec<Option<(f64, f64)>> = (0..n)
            .map(|i| {
                if s.costs.impact > 0.0 {
                    m.impact_inputs(t, i)
                } else {
                    None
                }
            })
            .collect();
        let tt = trades_to_target(&held, nav, target, s.policy.min_trade * nav, |i, x| {
            trade_cost(&s.costs, x, impact[i])
        })
        .map_err(|e| e.to_string())?;
        for i in 0..n {
            let (x, cost) = (tt.trades[i], tt.costs[i]);
            if x == 0.0 || !self.last_px[i].is_finite() {
                continue;
            }
            if s.costs.impact > 0.0 && impact[i].is_none() {
                run.impact_missing += 1;
            }
            self.units[i] = if target[i] == 0.0 {
                0.0
            } else {
                self.units[i] + x / self.last_px[i]
            };
            if !self.perp() {
                self.cash -= x;
            }
            self.cash -= cost;
            day.cost += cost;
            day.traded += x.abs();
            run.trades.push(BacktestTrade {
                date: m.dates()[t],
                trade: Trade::of_value(&m.assets()[i], x, self.last_px[i], cost),
                reason,
            });
        }
        Ok(())
    }

    /// The day's close: weights, cash, value, flows. Returns the value.
    fn record(&self, day: &Day, run: &mut StrategyRun) -> f64 {
        let n = self.units.len();
        let nav = self.nav();
        let mut dist = 0.0;
        let mut exposed = 0.0;
        for i in 0..n {
            let w = self.exposure(i) / nav;
            dist += (w - self.target[i]).abs();
            exposed += w;
            run.weights.push(w);
        }
        run.tracking.push(if self.invested { 0.5 * dist } else { 0.0 });
        if !self.hedge_coins.is_empty() {
            run.hedge.extend(self.hedge_weights(nav));
        }
        // perpetual books hold collateral, not coins: their "cash" is the unexposed share
        run.cash.push(if self.perp() {
            1.0 - exposed
        } else {
            self.cash / nav
        });
        run.nav.push(nav);
        run.traded.push(day.traded / nav);
        run.costs.push(day.cost);
        run.funding.push(day.funding);
        run.interest.push(day.interest);
        nav
    }
}
