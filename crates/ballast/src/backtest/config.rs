//! The strategy file of `ballast backtest`:
//!
//! ```toml
//! name = "Risk balancing through the crypto cycles"
//!
//! [data]
//! prices = "../data/crypto_daily_close.csv"     # wide daily closes; empty cell = no price
//! volumes = "../data/crypto_daily_volume_usd.csv" # optional: daily USD volume, for impact
//! funding = "../data/binance_btcusdt_funding.csv" # optional: 8-hourly perp funding, long format
//! start = "2018-01-01"                            # optional first decision date
//! end = "2026-04-26"                              # optional last date
//!
//! [backtest]
//! initial_value = 1000000.0   # USD
//! benchmark = "BTC"           # buy and hold; "none" for no benchmark
//! cash_yield = 0.0            # annual yield on cash (and on perp collateral)
//!
//! [costs]                     # defaults for every strategy, each can override
//! fee_bps = 10.0              # proportional fee (taker)
//! half_spread_bps = 2.0       # half the bid-ask spread
//! impact = 1.0                # b in b·σ·|x|^{3/2}/√V (cvxportfolio), 0 = off
//!
//! [[strategy]]
//! name = "ERC, vol target 40 %, 5-point bands"
//! window = 365                # estimation window, daily returns
//! estimator = "ewma"          # any covariance estimator name
//! instrument = "spot"         # spot | perp (exposure through perpetuals: pays funding)
//! rebalance = { calendar = "daily", threshold = 0.05 }   # or rebalance = "monthly"
//! [strategy.allocation]       # an AllocationSpec: method, bounds, constraints, vol target...
//! method = "erc"
//! vol_target = 0.40
//! ```
//!
//! Unknown keys are errors naming the key, the file and the line.

use crate::allocate::AllocationSpec;
use serde::Deserialize;

/// A parsed strategy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestFile {
    pub name: Option<String>,
    pub data: DataSpec,
    #[serde(default)]
    pub backtest: RunSpec,
    #[serde(default)]
    pub costs: CostSpec,
    #[serde(rename = "strategy", default)]
    pub strategies: Vec<StrategySpec>,
}

/// `[data]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    pub prices: String,
    pub volumes: Option<String>,
    pub funding: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// `[backtest]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    #[serde(default = "default_initial")]
    pub initial_value: f64,
    #[serde(default = "default_benchmark")]
    pub benchmark: String,
    #[serde(default)]
    pub cash_yield: f64,
}

fn default_initial() -> f64 {
    1_000_000.0
}
fn default_benchmark() -> String {
    "BTC".into()
}

impl Default for RunSpec {
    fn default() -> Self {
        Self {
            initial_value: default_initial(),
            benchmark: default_benchmark(),
            cash_yield: 0.0,
        }
    }
}

/// `[costs]`: trading costs in basis points of traded notional, plus market impact.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    #[serde(default = "default_fee")]
    pub fee_bps: f64,
    #[serde(default)]
    pub half_spread_bps: f64,
    /// b of the impact term b·σ·|x|^{3/2}/√V (σ daily volatility, V daily USD volume, x the
    /// trade in USD). Needs `[data] volumes`.
    #[serde(default)]
    pub impact: f64,
}

fn default_fee() -> f64 {
    10.0
}

impl Default for CostSpec {
    fn default() -> Self {
        Self {
            fee_bps: default_fee(),
            half_spread_bps: 0.0,
            impact: 0.0,
        }
    }
}

/// `[[strategy]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySpec {
    pub name: String,
    /// Estimation window in daily returns (a coin enters once it has this many).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Covariance estimator name (`sample`, `ewma`, `ledoit-wolf`, ...).
    #[serde(default = "default_estimator")]
    pub estimator: String,
    pub ewma_lambda: Option<f64>,
    /// `spot` (default) or `perp`.
    #[serde(default = "default_instrument")]
    pub instrument: String,
    /// Universe: these coins only (default: every coin of the price file).
    pub assets: Option<Vec<String>>,
    /// Volatility-adjusted momentum (trailing return ÷ trailing volatility over `lookback`
    /// days): keep the `top` coins before allocating, and/or tilt the weights by `tilt`.
    pub momentum: Option<MomentumSpec>,
    #[serde(default)]
    pub rebalance: RebalanceSpec,
    /// Overrides `[costs]` for this strategy.
    pub costs: Option<CostSpec>,
    pub allocation: AllocationSpec,
}

fn default_window() -> usize {
    365
}
fn default_estimator() -> String {
    "sample".into()
}
fn default_instrument() -> String {
    "spot".into()
}

/// `momentum = { top = 10, lookback = 90 }` (select) and/or `tilt = 0.5` (tilt the weights
/// by exp(κ·z) of the signal's cross-sectional z-score).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MomentumSpec {
    pub top: Option<usize>,
    #[serde(default)]
    pub tilt: f64,
    #[serde(default = "default_lookback")]
    pub lookback: usize,
}

fn default_lookback() -> usize {
    90
}

/// `rebalance = "monthly"` or a table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(
    untagged,
    expecting = "a calendar name (\"daily\", \"weekly\", \"monthly\", \"quarterly\") or a table with keys among calendar, dates, threshold, threshold_type, risk_drift, vol_trigger, min_trade"
)]
pub enum RebalanceSpec {
    Calendar(String),
    Rules(RebalanceRules),
}

impl Default for RebalanceSpec {
    fn default() -> Self {
        RebalanceSpec::Calendar("monthly".into())
    }
}

/// Rebalancing rules: a calendar of check dates and optional triggers. With no trigger, every
/// calendar date rebalances; with triggers, a check date rebalances only if one fires.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RebalanceRules {
    /// `daily`, `weekly`, `monthly`, `quarterly` (default daily with triggers, monthly without).
    pub calendar: Option<String>,
    /// Explicit check dates instead of a calendar: each is moved to the first trading day on or
    /// after it.
    pub dates: Option<Vec<String>>,
    /// Drift band on any weight: absolute (points) or relative (fraction of target).
    pub threshold: Option<f64>,
    /// `absolute` (default) or `relative`.
    pub threshold_type: Option<String>,
    /// Rebalance when any percent risk contribution is further than this from its budget.
    pub risk_drift: Option<f64>,
    /// Rebalance when the portfolio's EWMA volatility (λ = 0.94) is off its target (the vol
    /// target, or the volatility at the last rebalance) by more than this fraction.
    pub vol_trigger: Option<f64>,
    /// Skip trades smaller than this fraction of portfolio value.
    #[serde(default)]
    pub min_trade: f64,
}
