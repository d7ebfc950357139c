//! Rebalancing: current versus target weights, drift bands and the trades that reach a target.
//!
//! Weights are fractions of total portfolio value V = Σ units_i · price_i + cash. The band is
//! checked on every asset; when any asset breaches it, the whole book is traded to target
//! (a "trade to target" rebalance). Costs are paid from the portfolio, so the target applies
//! to the value net of the costs of reaching it ([`trades_to_target`]).

use crate::data::AssetMap;
use crate::message::Num;
use serde::{Deserialize, Serialize};
use std::fmt;

/// # Errors
/// From rebalancing.
#[derive(Debug, thiserror::Error)]
pub enum RebalanceError {
    /// An input that is not valid, naming it.
    #[error("{0}")]
    Invalid(String),
}

/// How a drift band is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BandKind {
    /// |w − w*| in weight (0.05 = 5 percentage points).
    #[default]
    Absolute,
    /// |w − w*| / w* (0.25 = 25 % of the target weight).
    Relative,
}

/// A drift band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    /// Rebalance when |w_i − w*_i| > band for any asset (e.g. 0.05 = 5 percentage points).
    Absolute(f64),
    /// Rebalance when |w_i − w*_i| / w*_i > band for any asset (e.g. 0.25 = 25 % of target);
    /// an asset with a zero target breaches it as soon as it is held.
    Relative(f64),
}

impl Band {
    /// A band of `width` measured as `kind`.
    pub fn new(kind: BandKind, width: f64) -> Self {
        match kind {
            BandKind::Absolute => Band::Absolute(width),
            BandKind::Relative => Band::Relative(width),
        }
    }

    /// Check a width: a fraction in [0, 1] (0.05 = 5 points, or 5 % of the target), with the
    /// fix when it looks like a percentage.
    ///
    /// # Errors
    /// [`RebalanceError::Invalid`] naming `key` for a width that is negative, not finite or
    /// above 1.
    pub fn check_width(key: &str, width: f64) -> Result<(), RebalanceError> {
        if (0.0..=1.0).contains(&width) {
            return Ok(());
        }
        let hint = if width > 1.0 && width <= 100.0 {
            format!(
                "; {} looks like a percentage: write fractions, {} for {} %",
                Num(width),
                Num(width / 100.0),
                Num(width)
            )
        } else {
            String::new()
        };
        Err(RebalanceError::Invalid(format!(
            "{key} = {} must be a fraction between 0 and 1 (e.g. 0.05){hint}",
            Num(width)
        )))
    }

    /// Its width.
    pub fn width(self) -> f64 {
        match self {
            Band::Absolute(b) | Band::Relative(b) => b,
        }
    }

    /// Whether weight `current` is outside the band around `target`.
    pub fn breached(self, current: f64, target: f64) -> bool {
        match self {
            Band::Absolute(b) => (current - target).abs() > b,
            Band::Relative(b) => {
                if target == 0.0 {
                    current != 0.0
                } else {
                    ((current - target) / target).abs() > b
                }
            }
        }
    }

    /// Whether any weight is outside its band.
    pub fn any_breached(self, current: &[f64], target: &[f64]) -> bool {
        current.iter().zip(target).any(|(w, t)| self.breached(*w, *t))
    }
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Buy (or reduce a short).
    Buy,
    /// Sell (or reduce a long).
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trade {
    /// The asset.
    pub asset: String,
    /// Buy or sell.
    pub side: Side,
    /// Units of the coin traded (positive).
    pub units: f64,
    /// Execution price assumed (the close), USD per unit.
    pub price: f64,
    /// |units × price| in USD.
    pub notional_usd: f64,
    /// Costs paid in USD (fees, spread, impact).
    pub cost_usd: f64,
}

impl Trade {
    /// A trade of `usd` (signed: > 0 buys) of `asset` at `price`, costing `cost_usd`.
    pub fn of_value(asset: &str, usd: f64, price: f64, cost_usd: f64) -> Self {
        Self {
            asset: asset.to_string(),
            side: if usd > 0.0 { Side::Buy } else { Side::Sell },
            units: (usd / price).abs(),
            price,
            notional_usd: usd.abs(),
            cost_usd,
        }
    }

    /// Signed units (> 0 bought).
    pub fn signed_units(&self) -> f64 {
        match self.side {
            Side::Buy => self.units,
            Side::Sell => -self.units,
        }
    }
}

/// The trades that take a book to target weights.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetTrades {
    /// Signed USD traded per asset (> 0 buys); 0 where nothing trades.
    pub trades: Vec<f64>,
    /// Cost of each trade, USD.
    pub costs: Vec<f64>,
    /// Value left after the costs, V − Σ costs; the targets are fractions of it.
    pub net_value: f64,
}

/// Signed USD trades taking holdings `held` (USD exposure per asset) of a book worth `value`
/// to `target` weights of the value left after paying for them.
///
/// # Formula
/// x_i = w*_i·V_net − h_i with V_net = V − Σ_i c_i(x_i). Solved by fixed-point iteration from
/// V_net = V, a contraction while marginal costs stay below 1 (fees and spreads); when it does
/// not settle (large market impact), by bisection of V_net on [0, V]. Trades smaller than
/// `min_trade_usd` are skipped unless they close a position (target 0).
///
/// # Errors
/// [`RebalanceError::Invalid`] when no V_net in [0, V] pays for its own trades (the costs of
/// reaching the target exceed the book's value), or a cost is not a finite number.
pub fn trades_to_target(
    held: &[f64],
    value: f64,
    target: &[f64],
    min_trade_usd: f64,
    cost: impl Fn(usize, f64) -> f64,
) -> Result<TargetTrades, RebalanceError> {
    let n = held.len();
    let trades_at = |net: f64| -> Vec<f64> {
        (0..n)
            .map(|i| {
                let d = target[i] * net - held[i];
                if d.abs() <= 1e-12 * value.abs() || (d.abs() < min_trade_usd && target[i] != 0.0) {
                    0.0
                } else {
                    d
                }
            })
            .collect()
    };
    let total = |x: &[f64]| (0..n).map(|i| cost(i, x[i])).sum::<f64>();
    let tol = 1e-12 * value.abs();
    let mut x = trades_at(value);
    let mut net = value;
    let mut settled = false;
    for _ in 0..100 {
        x = trades_at(net);
        let next = value - total(&x);
        if !next.is_finite() {
            break;
        }
        let done = (next - net).abs() <= tol;
        net = next;
        if done {
            settled = true;
            break;
        }
    }
    // a book worth something cannot settle on a negative value (that "solution" sells what
    // it means to buy); a wiped-out book closing its positions can
    if !settled || (value > 0.0 && net < 0.0) {
        (x, net) = bisect_net_value(value, tol, &trades_at, &total)?;
    }
    let costs: Vec<f64> = (0..n).map(|i| cost(i, x[i])).collect();
    if x.iter().chain(&costs).any(|v| !v.is_finite()) || !net.is_finite() {
        return Err(RebalanceError::Invalid(
            "the trades to target or their costs are not finite numbers".into(),
        ));
    }
    Ok(TargetTrades {
        trades: x,
        costs,
        net_value: net,
    })
}

/// The net value v ∈ [0, V] with v = V − C(x(v)), by bisection of f(v) = v − V + C(x(v))
/// (f(V) = C ≥ 0; a root exists when f(0) < 0).
fn bisect_net_value(
    value: f64,
    tol: f64,
    trades_at: &dyn Fn(f64) -> Vec<f64>,
    total: &dyn Fn(&[f64]) -> f64,
) -> Result<(Vec<f64>, f64), RebalanceError> {
    let f = |v: f64| v - value + total(&trades_at(v));
    let too_costly = || {
        RebalanceError::Invalid(format!(
            "the costs of trading to the target would exceed the book's value ({value:.2} USD): no trade (check the impact coefficient and the volumes)"
        ))
    };
    if !(value > 0.0) || !(f(0.0) < 0.0) {
        return Err(too_costly());
    }
    let (mut lo, mut hi) = (0.0, value);
    for _ in 0..200 {
        if hi - lo <= tol {
            break;
        }
        let mid = 0.5 * (lo + hi);
        let fm = f(mid);
        if !fm.is_finite() {
            return Err(too_costly());
        }
        if fm < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = trades_at(lo);
    let net = value - total(&x);
    // a root, not a jump of the cost function (a fixed charge no trade can pay for)
    if !((net - lo).abs() <= 1e-6 * value) {
        return Err(too_costly());
    }
    Ok((x, net))
}

/// Inputs of a rebalance decision.
#[derive(Debug, Clone)]
pub struct RebalanceInput<'a> {
    /// The assets.
    pub assets: &'a [String],
    /// Units held per asset (≥ 0).
    pub units: &'a [f64],
    /// Prices, USD per unit (> 0).
    pub prices: &'a [f64],
    /// Cash in USD.
    pub cash: f64,
    /// Target weights, fractions of portfolio value; Σ ≤ 1 + leverage, the rest is cash.
    pub target: &'a [f64],
    /// The drift band.
    pub band: Band,
    /// Proportional fee in basis points of notional (e.g. 10 = 0.10 %).
    pub fee_bps: f64,
    /// Trades below this USD notional are skipped (0 = none skipped).
    pub min_trade_usd: f64,
}

/// The decision and its consequences.
#[derive(Debug, Clone)]
pub struct RebalancePlan {
    /// The assets.
    pub assets: Vec<String>,
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

/// JSON: `value_usd`, `current` and `drift` {asset: ...}, `current_cash`, `breached`,
/// `rebalance`, `trades` [{`asset`, `side`, `units`, `price`, `notional_usd`, `cost_usd`}],
/// `fees_usd`, `turnover`, `post_trade_weights`, `post_trade_cash`.
impl Serialize for RebalancePlan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let a = &self.assets;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("value_usd", &self.value_usd)?;
        m.serialize_entry("current", &AssetMap::new(a, &self.current))?;
        m.serialize_entry("current_cash", &self.current_cash)?;
        m.serialize_entry("drift", &AssetMap::new(a, &self.drift))?;
        m.serialize_entry("breached", &self.breached)?;
        m.serialize_entry("rebalance", &self.rebalance)?;
        m.serialize_entry("trades", &self.trades)?;
        m.serialize_entry("fees_usd", &self.fees_usd)?;
        m.serialize_entry("turnover", &self.turnover)?;
        m.serialize_entry("post_trade_weights", &AssetMap::new(a, &self.post_weights))?;
        m.serialize_entry("post_trade_cash", &self.post_cash)?;
        m.end()
    }
}

fn invalid(msg: String) -> RebalanceError {
    RebalanceError::Invalid(msg)
}

/// Decide whether to rebalance and compute the trades (costs: `fee_bps` of notional, paid from
/// the portfolio; see [`trades_to_target`]).
///
/// # Errors
/// Mismatched lengths, negative units, non-positive prices, negative fee or band, a
/// non-positive portfolio value.
pub fn plan(inp: &RebalanceInput<'_>) -> Result<RebalancePlan, RebalanceError> {
    check(inp)?;
    let n = inp.assets.len();
    let holdings: Vec<f64> = (0..n).map(|i| inp.units[i] * inp.prices[i]).collect();
    let value = holdings.iter().sum::<f64>() + inp.cash;
    if !(value > 0.0) {
        return Err(invalid(format!("portfolio value {value:.2} USD must be > 0")));
    }
    let current: Vec<f64> = holdings.iter().map(|h| h / value).collect();
    let drift: Vec<f64> = (0..n).map(|i| current[i] - inp.target[i]).collect();
    let breached: Vec<String> = (0..n)
        .filter(|&i| inp.band.breached(current[i], inp.target[i]))
        .map(|i| inp.assets[i].clone())
        .collect();
    let rebalance = !breached.is_empty();
    let fee = inp.fee_bps / 1e4;
    let mut trades = Vec::new();
    let mut post_units = inp.units.to_vec();
    let (mut fees, mut traded) = (0.0, 0.0);
    if rebalance {
        let tt = trades_to_target(&holdings, value, inp.target, inp.min_trade_usd, |_, x| {
            fee * x.abs()
        })?;
        for i in 0..n {
            let x = tt.trades[i];
            if x == 0.0 {
                continue;
            }
            post_units[i] += x / inp.prices[i];
            fees += tt.costs[i];
            traded += x.abs();
            trades.push(Trade::of_value(&inp.assets[i], x, inp.prices[i], tt.costs[i]));
        }
    }
    let post_value = value - fees;
    let post_weights: Vec<f64> = (0..n)
        .map(|i| post_units[i] * inp.prices[i] / post_value)
        .collect();
    Ok(RebalancePlan {
        assets: inp.assets.to_vec(),
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

fn check(inp: &RebalanceInput<'_>) -> Result<(), RebalanceError> {
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
    Band::check_width("band", inp.band.width())?;
    if !(inp.cash.is_finite() && inp.min_trade_usd.is_finite() && inp.min_trade_usd >= 0.0) {
        return Err(invalid(
            "cash and min_trade_usd must be finite (min_trade_usd ≥ 0)".into(),
        ));
    }
    Ok(())
}
