//! Walk-forward backtests of allocation requests on daily data: rebalancing policies, trading
//! costs with market impact, perpetual funding, cash yield; performance metrics (empyrical's
//! conventions, 365 days a year), overfitting checks and attribution.
//!
//! Flow: `crate::io::load_backtest` reads a strategy file ([`config`]) and its data →
//! [`Backtest::from_spec`] checks it → [`Backtest::run`] walks every strategy through the
//! causal daily loop ([`run_strategy`]) → [`BacktestReport::new`] computes [`metrics`],
//! [`overfit`] statistics and [`attribution`].

pub mod attribution;
pub mod config;
mod engine;
mod market;
pub mod metrics;
pub mod overfit;
mod policy;
mod report;

use crate::message::Num;

pub use config::{
    BacktestFile, BetaNeutralSpec, Calendar, CostSpec, DataSpec, InstrumentKind, RebalanceRules,
    RebalanceSpec, RunSpec, StrategySpec,
};
pub use engine::{run_strategy, BacktestTrade, BetaHedge, Failure, RebalanceEvent, StrategyRun, TradeReason};
pub use market::{trade_cost, MarketData};
pub use policy::{Policy, Trigger};
pub use report::{BacktestReport, StrategyReport};

use crate::allocate::AllocationSpec;
use crate::data::MAX_WINDOW;
use crate::estimate::CovarianceSpec;

/// # Errors
/// From checking or running a backtest (reading the strategy file is [`crate::io`]'s).
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// A setting or combination that cannot run, naming the file and the strategy.
    #[error("{0}")]
    Invalid(String),
}

/// A strategy ready to run.
#[derive(Debug, Clone)]
pub struct Strategy {
    /// Its name.
    pub name: String,
    /// Estimation window, daily returns.
    pub window: usize,
    /// Covariance estimation.
    pub estimator: CovarianceSpec,
    /// Spot or perpetuals.
    pub instrument: InstrumentKind,
    /// Indices of the coins it may hold (panel order).
    pub universe: Vec<usize>,
    /// When to rebalance.
    pub policy: Policy,
    /// Trading costs.
    pub costs: CostSpec,
    /// The allocation request.
    pub allocation: AllocationSpec,
    /// The beta-neutral overlay, if any.
    pub beta_hedge: Option<BetaHedge>,
}

/// A loaded strategy file: data and strategies, checked.
#[derive(Debug, Clone)]
pub struct Backtest {
    /// Display name.
    pub name: Option<String>,
    /// The strategy file, for messages.
    pub source: String,
    /// The data.
    pub market: MarketData,
    /// The strategies.
    pub strategies: Vec<Strategy>,
    /// Benchmark coin (buy and hold), if any.
    pub benchmark: Option<usize>,
    /// Starting value, USD.
    pub initial_value: f64,
    /// Annual yield on cash.
    pub cash_yield: f64,
    /// First and last rows of the run (the first row every strategy can invest on, or the
    /// file's start date if later).
    pub start: usize,
    /// Last row.
    pub end: usize,
}

/// Everything a run produces.
#[derive(Debug, Clone)]
pub struct BacktestResult {
    /// One path per strategy.
    pub runs: Vec<StrategyRun>,
    /// Buy-and-hold value of the benchmark coin on the same dates.
    pub benchmark: Option<(String, Vec<f64>)>,
}

impl Backtest {
    /// Check a parsed file against its data.
    ///
    /// # Errors
    /// [`BacktestError::Invalid`] naming `file`, the strategy and the key: no strategy, two
    /// with one name, a window that is too short or longer than the data, unknown coins,
    /// negative costs, impact without volumes, perpetuals without funding, an allocation the
    /// universe cannot take, dates outside the data, nothing left to run.
    pub fn from_spec(spec: BacktestFile, file: &str, market: MarketData) -> Result<Self, BacktestError> {
        let bad = |m: String| BacktestError::Invalid(format!("{file}: {m}"));
        check_run(&spec).map_err(bad)?;
        let benchmark = match spec.backtest.benchmark.as_str() {
            "none" | "" => None,
            b => Some(asset_index(&market, b, "[backtest] benchmark").map_err(bad)?),
        };
        let mut strategies: Vec<Strategy> = Vec::with_capacity(spec.strategies.len());
        for s in &spec.strategies {
            if strategies.iter().any(|x| x.name == s.name) {
                return Err(bad(format!("two strategies are named '{}'", s.name)));
            }
            strategies.push(strategy(&spec, s, &market, file)?);
        }
        let (start, end) = run_range(&spec, &market, &strategies).map_err(bad)?;
        if let Some(b) = benchmark {
            if !market.price(start, b).is_finite() {
                return Err(bad(format!(
                    "[backtest] benchmark {} has no price on the start date {}",
                    market.assets()[b],
                    market.dates()[start]
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
            (self.market.assets()[b].clone(), nav)
        });
        BacktestResult { runs, benchmark }
    }
}

fn asset_index(m: &MarketData, a: &str, what: &str) -> Result<usize, String> {
    m.assets().iter().position(|x| x == a).ok_or_else(|| {
        format!(
            "{what}: unknown coin '{a}' (the price file has: {})",
            m.assets().join(",")
        )
    })
}

/// File-level settings: strategies present, starting value, cash yield, costs.
fn check_run(spec: &BacktestFile) -> Result<(), String> {
    if spec.strategies.is_empty() {
        return Err("no [[strategy]]: add at least one".into());
    }
    let v = spec.backtest.initial_value;
    if !(v > 0.0 && v.is_finite() && v <= 1e15) {
        return Err(format!(
            "[backtest] initial_value = {} must be a positive USD amount (at most 1e15)",
            Num(v)
        ));
    }
    let y = spec.backtest.cash_yield;
    if !(y.is_finite() && y.abs() <= 1.0) {
        return Err(format!(
            "[backtest] cash_yield = {} is not an annual rate (e.g. 0.04 for 4 %)",
            Num(y)
        ));
    }
    check_costs(&spec.costs, "[costs]", spec.data.volumes.is_some())
}

fn check_costs(c: &CostSpec, what: &str, volumes: bool) -> Result<(), String> {
    for (k, v) in [
        ("fee_bps", c.fee_bps),
        ("half_spread_bps", c.half_spread_bps),
        ("impact", c.impact),
    ] {
        if !(v >= 0.0 && v.is_finite() && v < 10_000.0) {
            return Err(format!(
                "{what} {k} = {}: costs must be ≥ 0 (and below 10,000 bps)",
                Num(v)
            ));
        }
    }
    if c.impact > 0.0 && !volumes {
        return Err(format!(
            "{what} impact needs daily volumes: set [data] volumes = \"...\""
        ));
    }
    Ok(())
}

/// Resolve and check one `[[strategy]]`.
fn strategy(
    spec: &BacktestFile,
    s: &StrategySpec,
    market: &MarketData,
    file: &str,
) -> Result<Strategy, BacktestError> {
    let what = format!("strategy '{}'", s.name);
    let bad = |m: String| BacktestError::Invalid(format!("{file}: {what}: {m}"));
    if s.window < 2 || s.window > MAX_WINDOW {
        return Err(bad(format!(
            "window = {} must be between 2 and {MAX_WINDOW} returns",
            s.window
        )));
    }
    if s.window >= market.dates().len() {
        return Err(bad(format!(
            "window = {} returns is longer than the data ({} days)",
            s.window,
            market.dates().len()
        )));
    }
    let estimator = s.covariance();
    estimator.estimator().map_err(|e| bad(e.to_string()))?;
    let universe = match &s.assets {
        Some(list) => list
            .iter()
            .map(|a| asset_index(market, a, "assets"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?,
        None => (0..market.n_assets()).collect(),
    };
    let names: Vec<String> = universe.iter().map(|&i| market.assets()[i].clone()).collect();
    s.allocation
        .check_universe(&names)
        .map_err(|e| bad(format!("allocation: {e}")))?;
    if let Some(mo) = s.allocation.momentum {
        if mo.lookback > s.window {
            return Err(bad(format!(
                "momentum lookback = {} is longer than the window = {}",
                mo.lookback, s.window
            )));
        }
    }
    let costs = s.costs.unwrap_or(spec.costs);
    check_costs(&costs, "costs:", spec.data.volumes.is_some()).map_err(bad)?;
    if s.instrument == InstrumentKind::Perp && spec.data.funding.is_none() {
        return Err(bad("instrument = \"perp\" needs [data] funding = \"...\"".into()));
    }
    let beta_hedge = match &s.beta_neutral {
        Some(b) => {
            if spec.data.funding.is_none() {
                return Err(bad(
                    "beta_neutral hedges with perpetuals, which pay funding: set [data] funding = \"...\""
                        .into(),
                ));
            }
            Some(BetaHedge::from_spec(b, market).map_err(bad)?)
        }
        None => None,
    };
    Ok(Strategy {
        name: s.name.clone(),
        window: s.window,
        estimator,
        instrument: s.instrument,
        universe,
        policy: Policy::from_spec(&s.rebalance, &format!("{file}: {what}"))?,
        costs,
        allocation: s.allocation.clone(),
        beta_hedge,
    })
}

/// First and last rows: from the file's start (or the first row every strategy can invest
/// on, if later) to its end.
fn run_range(
    spec: &BacktestFile,
    market: &MarketData,
    strategies: &[Strategy],
) -> Result<(usize, usize), String> {
    let dates = market.dates();
    let (first, last) = (dates[0], dates[dates.len() - 1]);
    let end = match spec.data.end {
        Some(d) if d < first => return Err(format!("[data] end = {d} is before the data starts ({first})")),
        Some(d) if d > last => return Err(format!("[data] end = {d} is after the data ends ({last})")),
        Some(d) => dates.partition_point(|x| *x <= d) - 1,
        None => dates.len() - 1,
    };
    let mut start = match spec.data.start {
        Some(d) if d > last => return Err(format!("[data] start = {d} is after the data ends ({last})")),
        Some(d) => dates.partition_point(|x| *x < d),
        None => 0,
    };
    for s in strategies {
        let first = first_full_window(market, s).ok_or_else(|| {
            format!(
                "strategy '{}': no coin of its universe has a full window of {} returns in the data",
                s.name, s.window
            )
        })?;
        start = start.max(first);
    }
    if start >= end {
        return Err(format!(
            "nothing to backtest: the strategies can first invest on {}, which is not before the end {}",
            dates[start.min(dates.len() - 1)],
            dates[end]
        ));
    }
    for s in strategies {
        if let Some(d) = &s.policy.dates {
            let (a, b) = (dates[start], dates[end]);
            if !d.iter().any(|x| *x > a && *x <= b) {
                return Err(format!(
                    "strategy '{}': none of its {} rebalance dates falls inside the backtest ({a} → {b}); only the initial allocation would trade",
                    s.name,
                    d.len()
                ));
            }
        }
    }
    Ok((start, end))
}

/// First row at which some coin of the strategy's universe has `window` + 1 consecutive prices.
fn first_full_window(m: &MarketData, s: &Strategy) -> Option<usize> {
    let mut streak = vec![0usize; m.n_assets()];
    for t in 0..m.dates().len() {
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
