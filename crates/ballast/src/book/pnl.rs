//! The P&L of positions between two market snapshots (since the start of a session or a day).

use super::position::{linear_price, position_value, Shock};
use super::BookError;
use crate::instrument::{Instrument, Margining, Position};
use crate::market::MarketSnapshot;
use serde::Serialize;
use std::collections::BTreeMap;

/// One position's P&L.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionPnl {
    /// Instrument name.
    pub position: String,
    /// Venue.
    pub venue: String,
    /// P&L, USD.
    pub pnl_usd: f64,
}

/// P&L of a book between two snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookPnl {
    /// Total, USD.
    pub total_usd: f64,
    /// Per underlying, USD.
    pub by_underlying: BTreeMap<String, f64>,
    /// Per position, in order.
    pub positions: Vec<PositionPnl>,
}

/// The P&L of `positions` (held throughout, sizes unchanged) from snapshot `from` to `to`.
///
/// # Formula
/// - spot and options: V_to − V_from, each the position's USD value at its snapshot (an option
///   at its mark; a coin-settled one converted at that snapshot's index);
/// - linear perpetuals and futures: size · (P_to − P_from);
/// - inverse ones (size = USD notional): size · (1/P_from − 1/P_to) coins, valued at the
///   index S_to.
///
/// P the contract's price (its futures mark, else the forward or index). Funding is not
/// included.
///
/// # Errors
/// [`BookError::Position`] naming a position one of the snapshots cannot value (an option
/// expired by `to`, a quote missing).
pub fn pnl_between(
    positions: &[Position],
    from: &MarketSnapshot,
    to: &MarketSnapshot,
) -> Result<BookPnl, BookError> {
    let mut out = BookPnl {
        total_usd: 0.0,
        by_underlying: BTreeMap::new(),
        positions: Vec::with_capacity(positions.len()),
    };
    for p in positions {
        let at = |e: BookError| e.at(p);
        let pnl = match &p.instrument {
            Instrument::Perpetual { margining, coin } | Instrument::Future { margining, coin, .. } => {
                let (p0, p1) = (
                    linear_price(p, from).map_err(at)?,
                    linear_price(p, to).map_err(at)?,
                );
                match margining {
                    Margining::Linear => p.size * (p1 - p0),
                    Margining::Inverse => {
                        let s1 = to.spot(coin).map_err(|e| at(e.into()))?;
                        p.size * (1.0 / p0 - 1.0 / p1) * s1
                    }
                }
            }
            _ => {
                position_value(p, to, Shock::default()).map_err(at)?
                    - position_value(p, from, Shock::default()).map_err(at)?
            }
        };
        out.total_usd += pnl;
        *out.by_underlying
            .entry(p.instrument.coin().to_string())
            .or_default() += pnl;
        out.positions.push(PositionPnl {
            position: p.name.clone(),
            venue: p.venue.clone(),
            pnl_usd: pnl,
        });
    }
    Ok(out)
}

/// The P&L now of a trade of `p.size` done at `price`, USD (positive: a gain).
///
/// `price` is the instrument's quote: USD per coin for spot, linear perpetuals and futures
/// and the USD notional's contract price for inverse ones; for options Deribit's premium, in
/// coin for coin-settled options and USD for USD-settled ones.
///
/// # Formula
/// - spot: size · (S − price);
/// - linear perpetuals and futures: size · (P − price), P the contract's price now;
/// - inverse ones (size = USD notional): size · (1/price − 1/P) coins, valued at the index S;
/// - coin-settled options: size · (mark − price) coins at S, mark the option's value in coin
///   now (its USD value ÷ S);
/// - USD-settled options: size · (mark − price), mark in USD.
///
/// # Errors
/// A price that is not a positive finite number (0 allowed for an option: a worthless one);
/// the position cannot be valued on `m` ([`BookError::Position`], naming it).
pub fn trade_pnl(p: &Position, price: f64, m: &MarketSnapshot) -> Result<f64, BookError> {
    let at = |e: BookError| e.at(p);
    let option = matches!(p.instrument, Instrument::Option { .. });
    if !(price.is_finite() && (price > 0.0 || (option && price == 0.0))) {
        return Err(at(crate::market::MarketError::BadQuote(format!(
            "trade price {price}: expected a positive finite number"
        ))
        .into()));
    }
    let spot = |coin: &str| m.spot(coin).map_err(|e| at(e.into()));
    Ok(match &p.instrument {
        Instrument::Spot { coin } => p.size * (spot(coin)? - price),
        Instrument::Perpetual { margining, coin } | Instrument::Future { margining, coin, .. } => {
            let px = linear_price(p, m).map_err(at)?;
            match margining {
                Margining::Linear => p.size * (px - price),
                Margining::Inverse => p.size * (1.0 / price - 1.0 / px) * spot(coin)?,
            }
        }
        Instrument::Option { coin, settlement, .. } => {
            let value = position_value(p, m, Shock::default()).map_err(at)?;
            match settlement {
                crate::instrument::Settlement::Coin => value - p.size * price * spot(coin)?,
                crate::instrument::Settlement::Usd => value - p.size * price,
            }
        }
    })
}
