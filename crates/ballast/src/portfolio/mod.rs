//! The portfolio file: holdings, cash, data sources, target and rebalancing band.
//!
//! ```toml
//! name = "Example book"
//! cash_usd = 25000.0
//!
//! [data]
//! prices = "../../shared/data/crypto_daily_close.csv"  # relative to this file
//! window = 730                               # returns (default 730)
//! end = "2026-04-26"                         # optional, default: last date in the file
//! estimator = "ledoit-wolf"                  # a covariance estimator (`CovarianceMethod`)
//! ewma_lambda = 0.94                         # optional, for ewma / ccc-ewma
//! assets = ["LINK"]                          # optional coins to add to the universe
//!
//! [[holding]]
//! asset = "BTC"
//! units = 1.2
//!
//! [target]                                  # the allocation request (`AllocationSpec`)
//! method = "erc"                             # any `Method`: equal-weight, erc, max-sharpe, ...
//! vol_target = 0.45                          # optional annual volatility target
//! max_leverage = 1.0                         # cap on gross exposure with vol_target
//! min_weight = 0.02                          # optional bounds on every coin's weight
//! max_weight = 0.40
//!
//! [target.constraints]                       # groups, turnover (vs current holdings), costs...
//! max_turnover = 0.5
//!
//! [rebalance]
//! band = 0.05                                # default 0.05
//! band_type = "absolute"                     # absolute | relative
//! fee_bps = 10                               # default 10
//! min_trade_usd = 0                          # default 0
//!
//! [risk]
//! confidence = [0.95, 0.99]                  # default
//! ```
//!
//! Unknown keys are errors naming the key, the file and the line.

mod analysis;
mod factor_hedge;

pub use analysis::{analyze, PortfolioReport};
pub use factor_hedge::{factor_hedge, FactorHedgeReport, FactorHedgeRequest, FundingCost, HedgeMode};

use crate::allocate::AllocationSpec;
use crate::estimate::{CovarianceMethod, CovarianceSpec};
use crate::rebalance::BandKind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// # Errors
/// From validating a portfolio file (reading it is [`crate::io`]'s).
#[derive(Debug, thiserror::Error)]
pub enum PortfolioError {
    /// A setting that is not valid, naming the file and the key.
    #[error("{file}: {message}")]
    Invalid {
        /// The portfolio file.
        file: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The `[target]` allocation failed (infeasible constraints, no asset above the risk-free
    /// rate, a solver that stopped, ...).
    #[error("{file}: [target] {error}")]
    Target {
        /// The portfolio file.
        file: String,
        /// The allocation's error (in the message, so not also a `source()`).
        error: crate::allocate::AllocateError,
    },
    /// The holdings' window could not be cut (an unknown coin, a gap, a window too long).
    #[error("{file}: [[holding]] / [data]: {error}")]
    Window {
        /// The portfolio file.
        file: String,
        /// The window's error (in the message, so not also a `source()`).
        error: crate::data::DataError,
    },
}

/// A parsed portfolio file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioFile {
    /// Display name.
    pub name: Option<String>,
    /// Cash in USD (counted in portfolio value, zero volatility).
    #[serde(default)]
    pub cash_usd: f64,
    /// Price history and estimation window (needed by `report`).
    pub data: Option<DataSection>,
    /// Spot holdings.
    #[serde(default, rename = "holding")]
    pub holdings: Vec<Holding>,
    /// Derivative positions (needed by `greeks` / `hedge`).
    #[serde(default, rename = "position")]
    pub positions: Vec<PositionSpec>,
    /// Market snapshot sources for derivative positions.
    pub market: Option<MarketSection>,
    /// Target allocation (needed by `report`): the allocation request.
    pub target: Option<AllocationSpec>,
    #[serde(default)]
    /// `[rebalance]`: band, fees, minimum trade.
    pub rebalance: RebalanceSection,
    #[serde(default)]
    /// `[risk]`: confidence levels.
    pub risk: RiskSection,
    /// `[margin]`: the margin model and the account's equity (needed by `margin`).
    pub margin: Option<MarginSection>,
    /// `[[stress]]`: the user's stress scenarios (`stress`).
    #[serde(default, rename = "stress")]
    pub stress: Vec<crate::scenario::UserScenario>,
    /// Path of the file, for messages.
    #[serde(skip)]
    pub source: String,
}

/// `[data]`: the prices and the estimation window of `report`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// Price file or folder (any layout `crate::io::read_prices` reads), relative to the
    /// portfolio file.
    pub prices: String,
    /// Number of returns in the estimation window (default 730).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Last date of the window, default the file's last date.
    pub end: Option<jiff::civil::Date>,
    /// Covariance estimator (default `sample`).
    #[serde(default)]
    pub estimator: CovarianceMethod,
    /// EWMA decay for `ewma` / `ccc-ewma`.
    pub ewma_lambda: Option<f64>,
    /// Repair a covariance that is not positive definite instead of stopping.
    #[serde(default)]
    pub repair_psd: bool,
    /// Stablecoin prices (`stablecoin_daily.csv`, any layout the price reader takes), added
    /// to `prices` for scenario risk and stress tests (the USDC de-peg from its real closes).
    pub stablecoins: Option<String>,
    /// Coins to add to the universe beyond the holdings (held at 0 units).
    #[serde(default)]
    pub assets: Vec<String>,
}

impl DataSection {
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
    730
}

/// `[[holding]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// Coin.
    pub asset: String,
    /// Units of the coin held (≥ 0).
    pub units: f64,
    /// Where it is held (for Greeks by venue; default "spot").
    pub venue: Option<String>,
}

/// `[[position]]`: a derivative position.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionSpec {
    /// Deribit instrument name, e.g. `BTC-PERPETUAL`, `BTC-26JUN26`, `BTC-26JUN26-80000-C`.
    pub instrument: String,
    /// Options: coins of underlying; inverse perps/futures: USD notional; linear: coins.
    /// Negative = short.
    pub size: f64,
    /// Venue name (default "deribit").
    pub venue: Option<String>,
}

/// `[market]`: where derivative positions get their prices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSection {
    /// Deribit option chain CSVs (relative to the portfolio file).
    #[serde(default)]
    pub chains: Vec<String>,
    /// Deribit futures/perpetual price snapshots (`deribit_futures_term_structure.csv` layout).
    pub futures: Option<String>,
    /// Implied-vol index history (`deribit_dvol_daily.csv` layout: `BTC_close`, ... in vol
    /// points), for scenario risk of options (relative to the portfolio file).
    pub vol_history: Option<String>,
    /// Valuation instant (ISO 8601 UTC); default: the latest quote time of the chains.
    pub as_of: Option<String>,
    /// Spot index overrides, USD per coin.
    #[serde(default)]
    pub spot: BTreeMap<String, f64>,
}

/// `[rebalance]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebalanceSection {
    /// Drift band (default 0.05).
    #[serde(default = "default_band")]
    pub band: f64,
    /// How the band is measured (default absolute).
    #[serde(default)]
    pub band_type: BandKind,
    /// Proportional fee, basis points of notional (default 10).
    #[serde(default = "default_fee")]
    pub fee_bps: f64,
    /// Skip smaller trades, USD (default 0).
    #[serde(default)]
    pub min_trade_usd: f64,
}

fn default_band() -> f64 {
    0.05
}
fn default_fee() -> f64 {
    10.0
}

impl Default for RebalanceSection {
    fn default() -> Self {
        Self {
            band: default_band(),
            band_type: BandKind::Absolute,
            fee_bps: default_fee(),
            min_trade_usd: 0.0,
        }
    }
}

/// `[margin]`: Deribit portfolio-margin parameters and the account's equity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginSection {
    /// Parameter file: TOML or JSON in `model_params` keys, or a saved `private/pme/simulate`
    /// response (relative to the portfolio file). Needed when the book has Deribit positions.
    #[serde(default)]
    pub deribit_params: Option<String>,
    /// Equity of each Deribit account by settlement currency (`btc = 2.5`: coins; `usdc`: USD).
    #[serde(default)]
    pub equity: BTreeMap<String, f64>,
    /// Largest share of the book's value at each venue (`deribit = 0.4`), reported when exceeded.
    #[serde(default)]
    pub venue_limits: BTreeMap<String, f64>,
    /// `[margin.binance]`: the Binance USDⓈ-M cross-margin account of the book's linear
    /// perpetuals at venue `binance`.
    #[serde(default)]
    pub binance: Option<BinanceMarginSection>,
}

/// `[margin.binance]`: tiered maintenance margin of linear perpetuals.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinanceMarginSection {
    /// Binance's leverage brackets (`GET /fapi/v1/leverageBracket` saved as JSON), relative to
    /// the portfolio file.
    pub brackets: String,
    /// The account's margin balance (wallet balance + unrealised P&L), USD.
    pub equity: f64,
}

/// `[risk]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSection {
    #[serde(default = "default_confidence")]
    /// Confidence levels of VaR / CVaR (default 0.95, 0.99).
    pub confidence: Vec<f64>,
    /// The factor model of the report's factor section: a model (`market:BTC`,
    /// `explicit:BTC,ETH`, `pca:3`), or `"none"`. Default: `market:BTC` when the price data has
    /// BTC, else none.
    pub factors: Option<String>,
    /// Risk limits of the book for `ballast serve` (`[risk.limits]`, e.g. `"delta_usd.BTC" =
    /// 250000`, `var_99_usd = 50000`, `liquidation_distance = 0.2`); the service checks the
    /// names and values and sets them at start-up.
    #[serde(default)]
    pub limits: BTreeMap<String, f64>,
}

fn default_confidence() -> Vec<f64> {
    vec![0.95, 0.99]
}

impl Default for RiskSection {
    fn default() -> Self {
        Self {
            confidence: default_confidence(),
            factors: None,
            limits: BTreeMap::new(),
        }
    }
}

impl PortfolioFile {
    /// `[data] window`: the returns of an estimate and the historical moves of a book's VaR
    /// (730 without a `[data]` section).
    pub fn window(&self) -> usize {
        self.data.as_ref().map_or_else(default_window, |d| d.window)
    }

    /// The `[data]` section, or an error saying the command needs it.
    pub fn data(&self) -> Result<&DataSection, PortfolioError> {
        self.data.as_ref().ok_or_else(|| {
            self.invalid("this command needs a [data] section (prices = ..., window = ...)".into())
        })
    }

    /// The `[target]` section, or an error saying the command needs it.
    pub fn target(&self) -> Result<&AllocationSpec, PortfolioError> {
        self.target
            .as_ref()
            .ok_or_else(|| self.invalid("this command needs a [target] section (method = ...)".into()))
    }

    /// Path of the price file (`crate::io::read_portfolio` has resolved it against the
    /// portfolio file's directory).
    pub fn prices_path(&self) -> Result<PathBuf, PortfolioError> {
        Ok(PathBuf::from(&self.data()?.prices))
    }

    pub(crate) fn invalid(&self, message: String) -> PortfolioError {
        PortfolioError::Invalid {
            file: self.source.clone(),
            message,
        }
    }
}
