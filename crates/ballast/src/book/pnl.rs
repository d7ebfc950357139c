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
