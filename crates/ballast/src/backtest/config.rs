//! The strategy file of `ballast backtest`:
//!
//! ```toml
//! name = "Risk balancing through the crypto cycles"
//!
//! [data]
//! prices = "../../shared/data/crypto_daily_close.csv"   # daily closes; empty cell = no price
//! volumes = "../../shared/data/crypto_daily_ohlcv"      # optional: daily USD volume, for impact
//! funding = "../../shared/data/binance_btcusdt_funding.csv" # optional: 8-hourly perp funding
//! start = "2018-01-01"                                  # optional first decision date
//! end = "2026-04-26"                                    # optional last date
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
//! estimator = "ewma"          # a covariance estimator (`CovarianceMethod`)
//! instrument = "spot"         # spot | perp (exposure through perpetuals: pays funding)
//! rebalance = { calendar = "daily", threshold = 0.05 }   # or rebalance = "monthly"
//! [strategy.allocation]       # an `AllocationSpec`: method, bounds, constraints, momentum, vol target
//! method = "erc"
//! vol_target = 0.40
//! [strategy.beta_neutral]     # optional overlay: perps that hold the book's beta at a target
//! model = "market:BTC"        # market:COIN or explicit:COIN,COIN (the hedges are their perps)
//! target = 0.0                # beta to each factor after the hedge (default 0)
//! ```
//!
//! Unknown keys and names are errors naming the key, the file and the line.

use crate::allocate::AllocationSpec;
use crate::estimate::{CovarianceMethod, CovarianceSpec};
use crate::rebalance::BandKind;
use jiff::civil::Date;
use serde::Deserialize;

/// A parsed strategy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestFile {
    /// Display name.
    pub name: Option<String>,
    /// `[data]`.
    pub data: DataSpec,
    /// `[backtest]`.
    #[serde(default)]
    pub backtest: RunSpec,
    /// `[costs]`: the default costs of every strategy.
    #[serde(default)]
    pub costs: CostSpec,
    /// `[[strategy]]`.
    #[serde(rename = "strategy", default)]
    pub strategies: Vec<StrategySpec>,
}

/// `[data]`: files (relative to the strategy file) and the dates to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Daily closes (any layout `crate::io::read_prices` reads).
    pub prices: String,
    /// Daily USD volumes (a folder of OHLCV files, or a wide CSV), for the impact term.
    pub volumes: Option<String>,
    /// Perpetual funding rates (long format), for `instrument = "perp"`.
    pub funding: Option<String>,
    /// First decision date.
    pub start: Option<Date>,
    /// Last date.
    pub end: Option<Date>,
}

/// `[backtest]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Starting value, USD (default 1,000,000).
    #[serde(default = "default_initial")]
    pub initial_value: f64,
    /// Buy-and-hold benchmark coin, or `"none"` (default `BTC`).
    #[serde(default = "default_benchmark")]
    pub benchmark: String,
    /// Annual yield on cash and perpetual collateral (paid on negative cash).
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
    /// Proportional fee (default 10 bps).
    #[serde(default = "default_fee")]
    pub fee_bps: f64,
    /// Half the bid-ask spread.
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

/// How a strategy holds its exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum InstrumentKind {
    /// Coins bought with cash.
    #[default]
    Spot,
    /// Linear perpetual swaps on USD collateral: P&L marked into the collateral, funding paid.
    Perp,
}

/// `[[strategy]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySpec {
    /// Unique name.
    pub name: String,
    /// Estimation window in daily returns (a coin enters once it has this many; default 365).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Covariance estimator (default `sample`).
    #[serde(default)]
    pub estimator: CovarianceMethod,
    /// EWMA decay for `ewma` / `ccc-ewma`.
    pub ewma_lambda: Option<f64>,
    /// Repair a covariance that is not positive definite instead of skipping the rebalance.
    #[serde(default)]
    pub repair_psd: bool,
    /// `spot` (default) or `perp`.
    #[serde(default)]
    pub instrument: InstrumentKind,
    /// Universe: these coins only (default: every coin of the price file).
    pub assets: Option<Vec<String>>,
    /// When to rebalance (default monthly).
    #[serde(default)]
    pub rebalance: RebalanceSpec,
    /// Overrides `[costs]` for this strategy.
    pub costs: Option<CostSpec>,
    /// The allocation request (method, constraints, momentum, vol target).
    pub allocation: AllocationSpec,
    /// The beta-neutral overlay, if any.
    pub beta_neutral: Option<BetaNeutralSpec>,
}

/// `[strategy.beta_neutral]`: at every rebalance, short (or long) perpetuals on the factor
/// coins so that the book's exposure to each factor of `model` (betas fitted on the estimation
/// window) equals `target`; the hedge pays trading costs and funding and drifts with prices
/// between rebalances.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetaNeutralSpec {
    /// The factor model: `market:BTC` or `explicit:BTC,ETH` (factors that are coins, whose
    /// perpetuals are the hedges).
    pub model: crate::estimate::FactorModelSpec,
    /// Exposure to each factor after the hedge (default 0).
    #[serde(default)]
    pub target: f64,
}

impl StrategySpec {
    /// The covariance configuration.
    pub fn covariance(&self) -> CovarianceSpec {
        CovarianceSpec {
            estimator: self.estimator,
            ewma_lambda: self.ewma_lambda,
            repair_psd: self.repair_psd,
            ..CovarianceSpec::default()
        }
    }
}

fn default_window() -> usize {
    365
}

/// Check-date calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Calendar {
    /// Every trading day.
    Daily,
    /// First trading day of each ISO week.
    Weekly,
    /// First trading day of each month.
    Monthly,
    /// First trading day of each quarter.
    Quarterly,
}

/// `rebalance = "monthly"` or a table. A name is read as a [`Calendar`], a table as
/// [`RebalanceRules`], so a misspelt name or key gets that type's own error (the unknown key
/// and the keys it takes).
#[derive(Debug, Clone, PartialEq)]
pub enum RebalanceSpec {
    /// Every check date of a calendar.
    Calendar(Calendar),
    /// A calendar or listed dates, with optional triggers.
    Rules(RebalanceRules),
}

impl<'de> Deserialize<'de> for RebalanceSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{value::MapAccessDeserializer, IntoDeserializer, MapAccess, Visitor};
        struct NameOrTable;
        impl<'de> Visitor<'de> for NameOrTable {
            type Value = RebalanceSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a calendar name (\"daily\", \"weekly\", \"monthly\", \"quarterly\") or a table of rebalancing rules")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RebalanceSpec, E> {
                Calendar::deserialize(v.into_deserializer()).map(RebalanceSpec::Calendar)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RebalanceSpec, A::Error> {
                RebalanceRules::deserialize(MapAccessDeserializer::new(map)).map(RebalanceSpec::Rules)
            }
        }
        d.deserialize_any(NameOrTable)
    }
}

impl Default for RebalanceSpec {
    fn default() -> Self {
        RebalanceSpec::Calendar(Calendar::Monthly)
    }
}

/// Rebalancing rules: a calendar of check dates and optional triggers. With no trigger, every
/// calendar date rebalances; with triggers, a check date rebalances only if one fires.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RebalanceRules {
    /// Check dates (default daily with triggers, monthly without).
    pub calendar: Option<Calendar>,
    /// Explicit check dates, ascending, instead of a calendar: each is moved to the first
    /// trading day on or after it.
    pub dates: Option<Vec<Date>>,
    /// Drift band on any weight: absolute (points) or relative (fraction of target).
    pub threshold: Option<f64>,
    /// How the threshold is measured (default absolute).
    pub threshold_type: Option<BandKind>,
    /// Rebalance when any percent risk contribution is further than this from its budget.
    pub risk_drift: Option<f64>,
    /// Rebalance when the portfolio's EWMA volatility (λ = 0.94) is off its target (the vol
    /// target, or the volatility at the last rebalance) by more than this fraction.
    pub vol_trigger: Option<f64>,
    /// Skip trades smaller than this fraction of portfolio value.
    #[serde(default)]
    pub min_trade: f64,
}
