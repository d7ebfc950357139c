//! Rebalancing: current versus target weights, drift bands and the trade list.
//!
//! Weights are fractions of total portfolio value V = Σ units_i · price_i + cash. The band is
//! checked on every asset; when any asset breaches it, the whole book is traded to target
//! (a "trade to target" rebalance). A proportional fee of `fee_bps` is charged on every trade's
//! notional and paid from the portfolio, so the target is applied to the value net of fees:
//! `V_net = V − fee · Σ_i |w_i V_net − h_i|`, solved by fixed-point iteration (it contracts
//! because fee < 1).

use std::fmt;

/// Errors from rebalancing.
#[derive(Debug, thiserror::Error)]
pub enum RebalanceError {
    #[error("{0}")]
    Invalid(String),
}

/// Drift band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    /// Rebalance when |w_i − w*_i| > band for any asset (e.g. 0.05 = 5 percentage points).
    Absolute(f64),
    /// Rebalance when |w_i − w*_i| / w*_i > band for any asset (e.g. 0.25 = 25 % of target).
    Relative(f64),
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

/// One trade.
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub asset: String,
    pub side: Side,
    /// Units of the coin traded (positive).
    pub units: f64,
    /// Execution price assumed (last close), USD per unit.
    pub price: f64,
    /// |units × price| in USD.
    pub notional_usd: f64,
    /// Fee in USD (notional × fee_bps / 10 000).
    pub fee_usd: f64,
}

/// Inputs of a rebalance decision.
#[derive(Debug, Clone)]
pub struct RebalanceInput<'a> {
    pub assets: &'a [String],
    /// Units held per asset (≥ 0).
    pub units: &'a [f64],
    /// Prices, USD per unit (> 0).
    pub prices: &'a [f64],
    /// Cash in USD.
    pub cash: f64,
    /// Target weights, fractions of portfolio value; Σ ≤ 1 + leverage, the rest is cash.
    pub target: &'a [f64],
    pub band: Band,
    /// Proportional fee in basis points of notional (e.g. 10 = 0.10 %).
    pub fee_bps: f64,
    /// Trades below this USD notional are skipped (0 = none skipped).
    pub min_trade_usd: f64,
}

/// The decision and its consequences.
#[derive(Debug, Clone)]
pub struct RebalancePlan {
    /// Portfolio value before trading, USD.
    pub value_usd: f64,
    /// Current weights.
    pub current: Vec<f64>,
    /// Current cash weight.
    pub current_cash: f64,
    /// Drift current − target per asset.
    pub drift: Vec<f64>,
    /// Assets whose drift breaches the band.
    pub breached: Vec<String>,
    /// True if the band is breached and trades are proposed.
    pub rebalance: bool,
    /// Trades (empty when the band holds).
    pub trades: Vec<Trade>,
    /// Total fees, USD.
    pub fees_usd: f64,
    /// One-way turnover Σ|notional| / V.
    pub turnover: f64,
    /// Weights after the trades (fractions of the value after fees).
    pub post_weights: Vec<f64>,
    /// Cash weight after the trades.
    pub post_cash: f64,
    /// Units held after the trades.
    pub post_units: Vec<f64>,
}

fn invalid(msg: String) -> RebalanceError {
    RebalanceError::Invalid(msg)
}

/// Decide whether to rebalance and compute the trades.
///
/// Errors: mismatched lengths, negative units, non-positive prices, negative fee or band,
/// non-positive portfolio value.
pub fn plan(inp: &RebalanceInput<'_>) -> Result<RebalancePlan, RebalanceError> {
    let n = inp.assets.len();
    if inp.units.len() != n || inp.prices.len() != n || inp.target.len() != n {
        return Err(invalid(
            "assets, units, prices and target weights differ in length".into(),
        ));
    }
    for i in 0..n {
        if !(inp.units[i].is_finite() && inp.units[i] >= 0.0) {
            return Err(invalid(format!(
                "{}: units {} must be ≥ 0",
                inp.assets[i], inp.units[i]
            )));
        }
        if !(inp.prices[i].is_finite() && inp.prices[i] > 0.0) {
            return Err(invalid(format!(
                "{}: price {} must be > 0",
                inp.assets[i], inp.prices[i]
            )));
        }
        if !inp.target[i].is_finite() {
            return Err(invalid(format!("{}: target weight is not finite", inp.assets[i])));
        }
    }
    if !(inp.fee_bps.is_finite() && (0.0..10_000.0).contains(&inp.fee_bps)) {
        return Err(invalid(format!("fee_bps {} must be in [0, 10000)", inp.fee_bps)));
    }
    let band = match inp.band {
        Band::Absolute(b) | Band::Relative(b) => b,
    };
    if !(band.is_finite() && band >= 0.0) {
        return Err(invalid(format!("band {band} must be ≥ 0")));
    }
    if !inp.cash.is_finite() {
        return Err(invalid("cash is not finite".into()));
    }
    let holdings: Vec<f64> = (0..n).map(|i| inp.units[i] * inp.prices[i]).collect();
    let value = holdings.iter().sum::<f64>() + inp.cash;
    if !(value > 0.0) {
        return Err(invalid(format!("portfolio value {value:.2} USD must be > 0")));
    }
    let current: Vec<f64> = holdings.iter().map(|h| h / value).collect();
    let drift: Vec<f64> = (0..n).map(|i| current[i] - inp.target[i]).collect();
    let breached: Vec<String> = (0..n)
        .filter(|&i| match inp.band {
            Band::Absolute(b) => drift[i].abs() > b,
            Band::Relative(b) => {
                if inp.target[i] > 0.0 {
                    drift[i].abs() / inp.target[i] > b
                } else {
                    current[i] > 0.0
                }
            }
        })
        .map(|i| inp.assets[i].clone())
        .collect();
    let rebalance = !breached.is_empty();
    let fee = inp.fee_bps / 1e4;
    let mut trades = Vec::new();
    let mut post_units = inp.units.to_vec();
    let mut fees = 0.0;
    let mut traded = 0.0;
    if rebalance {
        // V_net = V − fee Σ|w_i V_net − h_i| (skipping trades below the minimum size)
        let mut v_net = value;
        for _ in 0..100 {
            let gross: f64 = (0..n)
                .map(|i| (inp.target[i] * v_net - holdings[i]).abs())
                .filter(|x| *x >= inp.min_trade_usd)
                .sum();
            let next = value - fee * gross;
            let done = (next - v_net).abs() <= 1e-12 * value;
            v_net = next;
            if done {
                break;
            }
        }
        for i in 0..n {
            let delta_usd = inp.target[i] * v_net - holdings[i];
            if delta_usd.abs() < inp.min_trade_usd.max(1e-9 * value) {
                continue;
            }
            let units = delta_usd / inp.prices[i];
            let f = fee * delta_usd.abs();
            post_units[i] += units;
            fees += f;
            traded += delta_usd.abs();
            trades.push(Trade {
                asset: inp.assets[i].clone(),
                side: if units > 0.0 { Side::Buy } else { Side::Sell },
                units: units.abs(),
                price: inp.prices[i],
                notional_usd: delta_usd.abs(),
                fee_usd: f,
            });
        }
    }
    let post_value = value - fees;
    let post_hold: Vec<f64> = (0..n).map(|i| post_units[i] * inp.prices[i]).collect();
    let post_weights: Vec<f64> = post_hold.iter().map(|h| h / post_value).collect();
    Ok(RebalancePlan {
        value_usd: value,
        current_cash: inp.cash / value,
        current,
        drift,
        breached,
        rebalance,
        trades,
        fees_usd: fees,
        turnover: traded / value,
        post_cash: 1.0 - post_weights.iter().sum::<f64>(),
        post_weights,
        post_units,
    })
}
