//! Walk-forward backtests of allocation rules on daily data: rebalancing policies, trading
//! costs with market impact, perpetual funding, cash yield; performance metrics (empyrical's
//! conventions, 365 days a year), overfitting checks and attribution.
//!
//! Flow: `crate::io::load_backtest` reads a strategy file ([`config`]) → [`Backtest::run`] every strategy
//! through the causal daily loop ([`run_strategy`]) → [`metrics`], [`overfit`],
//! [`attribution`] on the results.

pub mod attribution;
pub mod config;
mod engine;
mod market;
pub mod metrics;
pub mod overfit;
mod policy;

pub use config::{BacktestFile, CostSpec, MomentumSpec, RebalanceRules, RebalanceSpec, StrategySpec};
pub use engine::{run_strategy, RebalanceEvent, StrategyRun, Trade};
pub use market::{trade_cost, MarketData};
pub use policy::{Calendar, Policy, Trigger};

use crate::allocate::AllocationSpec;
use crate::estimate::CovarianceEstimator;
use jiff::civil::Date;

/// Errors from checking or running a backtest (reading the strategy file is [`crate::io`]'s).
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// A setting or combination that cannot run, naming the file and the strategy.
    #[error("{0}")]
    Invalid(String),
}

/// A strategy ready to run.
#[derive(Debug, Clone)]
pub struct Strategy {
    pub name: String,
    /// Estimation window, daily returns.
    pub window: usize,
    pub estimator: CovarianceEstimator,
    /// Exposure through perpetual swaps (funding paid, coins not bought).
    pub perp: bool,
    /// Indices of the coins it may hold (panel order).
    pub universe: Vec<usize>,
    pub momentum: Option<MomentumSpec>,
    pub policy: Policy,
    pub costs: CostSpec,
    pub allocation: AllocationSpec,
}

/// A loaded strategy file: data and strategies, checked.
#[derive(Debug, Clone)]
pub struct Backtest {
    pub name: Option<String>,
    pub source: String,
    pub market: MarketData,
    pub strategies: Vec<Strategy>,
    /// Benchmark coin (buy and hold), if any.
    pub benchmark: Option<usize>,
    pub initial_value: f64,
    pub cash_yield: f64,
    /// First and last rows of the run (the first row every strategy can invest on, or the
    /// file's start date if later).
    pub start: usize,
    pub end: usize,
}

/// Everything a run produces.
#[derive(Debug, Clone)]
pub struct BacktestResult {
    pub runs: Vec<StrategyRun>,
    /// Buy-and-hold value of the benchmark coin on the same dates.
    pub benchmark: Option<(String, Vec<f64>)>,
}

fn parse_date(s: &str, what: &str, file: &str) -> Result<Date, BacktestError> {
    s.parse()
        .map_err(|_| BacktestError::Invalid(format!("{file}: {what} = '{s}' is not a date (YYYY-MM-DD)")))
}

impl Backtest {
    /// Check a parsed file against its data.
    pub fn from_spec(spec: BacktestFile, file: &str, market: MarketData) -> Result<Self, BacktestError> {
        let bad = |m: String| BacktestError::Invalid(format!("{file}: {m}"));
        if spec.strategies.is_empty() {
            return Err(bad("no [[strategy]]: add at least one".into()));
        }
        if !(spec.backtest.initial_value > 0.0 && spec.backtest.initial_value.is_finite()) {
            return Err(bad(format!(
                "[backtest] initial_value = {} must be > 0",
                spec.backtest.initial_value
            )));
        }
        if !spec.backtest.cash_yield.is_finite() || spec.backtest.cash_yield.abs() > 1.0 {
            return Err(bad(format!(
                "[backtest] cash_yield = {} is not an annual rate",
                spec.backtest.cash_yield
            )));
        }
        let asset_index = |a: &str, what: &str| {
            market.assets.iter().position(|x| x == a).ok_or_else(|| {
                bad(format!(
                    "{what}: unknown coin '{a}' (the price file has: {})",
                    market.assets.join(",")
                ))
            })
        };
        let benchmark = match spec.backtest.benchmark.as_str() {
            "none" | "" => None,
            b => Some(asset_index(b, "[backtest] benchmark")?),
        };
        let check_costs = |c: &CostSpec, what: &str| {
            for (k, v) in [
                ("fee_bps", c.fee_bps),
                ("half_spread_bps", c.half_spread_bps),
                ("impact", c.impact),
            ] {
                if !(v >= 0.0 && v.is_finite()) {
                    return Err(bad(format!("{what} {k} = {v}: costs cannot be negative")));
                }
            }
            Ok(())
        };
        check_costs(&spec.costs, "[costs]")?;
        if spec.costs.impact > 0.0 && spec.data.volumes.is_none() {
            return Err(bad(
                "[costs] impact needs daily volumes: set [data] volumes = \"...\"".into(),
            ));
        }
        let mut strategies = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for s in &spec.strategies {
            let what = format!("strategy '{}'", s.name);
            if names.contains(&s.name.as_str()) {
                return Err(bad(format!("two strategies are named '{}'", s.name)));
            }
            names.push(&s.name);
            if s.window < 2 {
                return Err(bad(format!(
                    "{what}: window = {} must be at least 2 returns",
                    s.window
                )));
            }
            if s.window + 1 > market.dates.len() {
                return Err(bad(format!(
                    "{what}: window = {} returns is longer than the data ({} days)",
                    s.window,
                    market.dates.len()
                )));
            }
            let estimator = CovarianceEstimator::from_name(&s.estimator, s.ewma_lambda).ok_or_else(|| {
                bad(format!(
                    "{what}: estimator = '{}' is unknown ({})",
                    s.estimator,
                    CovarianceEstimator::NAMES
                ))
            })?;
            let perp = match s.instrument.as_str() {
                "spot" => false,
                "perp" => true,
                o => {
                    return Err(bad(format!(
                        "{what}: instrument = '{o}' is unknown (spot | perp)"
                    )))
                }
            };
            let universe = match &s.assets {
                Some(list) => list
                    .iter()
                    .map(|a| asset_index(a, &what))
                    .collect::<Result<Vec<_>, _>>()?,
                None => (0..market.n_assets()).collect(),
            };
            if let Some(mo) = s.momentum {
                if mo.top == Some(0) || mo.lookback < 2 || mo.lookback > s.window {
                    return Err(bad(format!(
                        "{what}: momentum needs top ≥ 1 and 2 ≤ lookback ≤ window (got top = {:?}, lookback = {}, window = {})",
                        mo.top, mo.lookback, s.window
                    )));
                }
                if !(mo.tilt >= 0.0 && mo.tilt.is_finite()) || (mo.top.is_none() && mo.tilt == 0.0) {
                    return Err(bad(format!(
                        "{what}: momentum needs top = K (select) and/or tilt = κ > 0 (got tilt = {})",
                        mo.tilt
                    )));
                }
            }
            let costs = s.costs.unwrap_or(spec.costs);
            check_costs(&costs, &format!("{what}: costs"))?;
            if costs.impact > 0.0 && spec.data.volumes.is_none() {
                return Err(bad(format!("{what}: impact needs [data] volumes")));
            }
            if perp && spec.data.funding.is_none() {
                return Err(bad(format!(
                    "{what}: instrument = \"perp\" needs [data] funding = \"...\""
                )));
            }
            s.allocation
                .validate()
                .map_err(|e| bad(format!("{what}: allocation: {e}")))?;
            if !s.allocation.assets.is_empty() {
                return Err(bad(format!(
                    "{what}: give the universe as `assets` of the strategy, not of its allocation"
                )));
            }
            strategies.push(Strategy {
                name: s.name.clone(),
                window: s.window,
                estimator,
                perp,
                universe,
                momentum: s.momentum,
                policy: Policy::from_spec(&s.rebalance, &format!("{file}: {what}"))?,
                costs,
                allocation: s.allocation.clone(),
            });
        }
        let t = market.dates.len();
        let end = match &spec.data.end {
            Some(e) => {
                let d = parse_date(e, "[data] end", file)?;
                market
                    .dates
                    .iter()
                    .rposition(|x| *x <= d)
                    .ok_or_else(|| bad(format!("[data] end = {e} is before the data starts")))?
            }
            None => t - 1,
        };
        // every strategy must be able to invest: its first row with a full window
        let mut start = match &spec.data.start {
            Some(s) => {
                let d = parse_date(s, "[data] start", file)?;
                market
                    .dates
                    .iter()
                    .position(|x| *x >= d)
                    .ok_or_else(|| bad(format!("[data] start = {s} is after the data ends")))?
            }
            None => 0,
        };
        for s in &strategies {
            let first = first_full_window(&market, s).ok_or_else(|| {
                bad(format!(
                    "strategy '{}': no coin of its universe has a full window of {} returns in the data",
                    s.name, s.window
                ))
            })?;
            start = start.max(first);
        }
        if start >= end {
            return Err(bad(format!(
                "nothing to backtest: the strategies can first invest on {}, which is not before the end {}",
                market.dates[start.min(t - 1)],
                market.dates[end]
            )));
        }
        for s in &strategies {
            if let Some(d) = &s.policy.dates {
                let (a, b) = (market.dates[start], market.dates[end]);
                if !d.iter().any(|x| *x > a && *x <= b) {
                    return Err(bad(format!(
                        "strategy '{}': none of its {} rebalance dates falls inside the backtest ({a} → {b}); only the initial allocation would trade",
                        s.name,
                        d.len()
                    )));
                }
            }
        }
        if let Some(b) = benchmark {
            if !market.price(start, b).is_finite() {
                return Err(bad(format!(
                    "[backtest] benchmark {} has no price on the start date {}",
                    market.assets[b], market.dates[start]
                )));
            }
        }
        Ok(Self {
            name: spec.name,
            source: file.into(),
            market,
            strategies,
            benchmark,
            initial_value: spec.backtest.initial_value,
            cash_yield: spec.backtest.cash_yield,
            start,
            end,
        })
    }

    /// Number of days each strategy runs.
    pub fn days(&self) -> usize {
        self.end + 1 - self.start
    }

    /// Run every strategy; `tick` is called once per strategy-day.
    pub fn run(&self, tick: &mut dyn FnMut()) -> BacktestResult {
        let runs = self
            .strategies
            .iter()
            .map(|s| {
                run_strategy(
                    &self.market,
                    s,
                    self.start,
                    self.end,
                    self.initial_value,
                    self.cash_yield,
                    tick,
                )
            })
            .collect();
        let benchmark = self.benchmark.map(|b| {
            let p0 = self.market.price(self.start, b);
            let mut last = p0;
            let nav = (self.start..=self.end)
                .map(|t| {
                    let p = self.market.price(t, b);
                    if p.is_finite() {
                        last = p;
                    }
                    self.initial_value * last / p0
                })
                .collect();
            (self.market.assets[b].clone(), nav)
        });
        BacktestResult { runs, benchmark }
    }
}

/// First row at which some coin of the strategy's universe has `window` + 1 consecutive prices.
fn first_full_window(m: &MarketData, s: &Strategy) -> Option<usize> {
    let mut streak = vec![0usize; m.n_assets()];
    for t in 0..m.dates.len() {
        for &i in &s.universe {
            streak[i] = if m.price(t, i).is_finite() {
                streak[i] + 1
            } else {
                0
            };
            if streak[i] > s.window {
                return Some(t);
            }
        }
    }
    None
}
