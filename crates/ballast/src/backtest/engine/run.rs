//! What a strategy's run records: its trades, rebalances, failures and daily path.

use super::Strategy;
use crate::backtest::policy::Trigger;
use crate::rebalance::Trade;
use jiff::civil::Date;
use serde::Serialize;

/// Why a backtest traded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TradeReason {
    /// A rebalance to the strategy's target.
    Rebalance,
    /// The coin's data ended (or has a gap): closed at its last real price.
    Delisted,
    /// The book's value reached zero: every position closed.
    WipedOut,
}

/// One trade of a backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestTrade {
    /// The close it traded at.
    pub date: Date,
    /// The trade (perpetual books: the change of the position in coins).
    #[serde(flatten)]
    pub trade: Trade,
    /// Why.
    pub reason: TradeReason,
}

/// One rebalance: the target the allocator chose and its ex-ante risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RebalanceEvent {
    /// Its date.
    pub date: Date,
    /// What fired it.
    pub trigger: Trigger,
    /// Target weights over all coins of the panel (0 outside the universe).
    pub weights: Vec<f64>,
    /// Ex-ante percent risk contributions of the target (over all coins).
    pub risk_contributions: Vec<f64>,
    /// Ex-ante annual volatility of the target.
    pub volatility: f64,
    /// Coins in the universe that day.
    pub universe: usize,
    /// The beta hedge set with it: perp notional / value per coin of the panel (empty
    /// without the overlay).
    pub hedge: Vec<f64>,
    /// The target's exposure to each factor before the hedge (empty without the overlay).
    pub exposures_before: Vec<f64>,
    /// Why the hedge could not be sized (it was left as it was), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hedge_error: Option<String>,
}

/// A rebalance the allocator could not do; positions were kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// Its date.
    pub date: Date,
    /// Why.
    pub reason: String,
}

/// The path of one strategy.
#[derive(Debug, Clone)]
pub struct StrategyRun {
    /// The strategy's name.
    pub name: String,
    /// Its dates.
    pub dates: Vec<Date>,
    /// Portfolio value at each close, USD.
    pub nav: Vec<f64>,
    /// Row-major T×N weights at each close, after that day's trades.
    pub weights: Vec<f64>,
    /// Row-major T×N beta-hedge perp notionals / value at each close (empty without the
    /// overlay).
    pub hedge: Vec<f64>,
    /// Cash weight at each close (the unexposed share for perpetual strategies).
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
    /// Every trade.
    pub trades: Vec<BacktestTrade>,
    /// Every rebalance.
    pub rebalances: Vec<RebalanceEvent>,
    /// Rebalances the allocator could not do.
    pub failures: Vec<Failure>,
    /// Per coin: days a perpetual position was held with no funding data (counted as zero).
    pub funding_missing: Vec<(String, usize)>,
    /// Trades with no volume data for the impact term.
    pub impact_missing: usize,
}

impl StrategyRun {
    /// Daily simple returns of the portfolio value (length T − 1).
    pub fn returns(&self) -> Vec<f64> {
        crate::data::simple_returns(&self.nav).collect()
    }

    pub(super) fn new(s: &Strategy, dates: &[Date], n: usize) -> Self {
        let days = dates.len();
        Self {
            name: s.name.clone(),
            dates: dates.to_vec(),
            nav: Vec::with_capacity(days),
            weights: Vec::with_capacity(days * n),
            hedge: Vec::new(),
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
        }
    }
}
