//! Binance USDⓈ-M cross margin: linear perpetuals with tiered maintenance margin inside a book.
//!
//! Each position's maintenance margin is its notional × the maintenance margin rate of its
//! notional's bracket, less the bracket's maintenance amount (`cum`); the account's maintenance
//! margin is their sum. The liquidation move of a coin is where the account's margin balance
//! (equity plus the P&L of the move) meets the maintenance margin, the brackets re-chosen at
//! the moved notional (Binance, "Leverage and Margin of USDⓈ-M Futures"; "How to Calculate
//! Liquidation Price of USDⓈ-M Contracts"). For one position it is Binance's closed form
//! ([`super::liquidation::binance_linear`]) with the wallet balance as the equity.

use super::deribit::LiquidationPoint;
use super::liquidation::{first_crossing, Bracket, FALL_GRID, RISE_GRID};
use super::MarginError;
use crate::book::position_ticker;
use crate::instrument::{Instrument, Margining, Position};
use crate::market::MarketSnapshot;
use crate::message::Num;
use serde::Serialize;
use std::collections::BTreeMap;

/// The bracket of `notional` (the last one beyond the table) and the maintenance margin there:
/// notional × MMR − cum.
///
/// # Errors
/// An empty table.
pub fn tiered_maintenance(notional: f64, brackets: &[Bracket]) -> Result<(usize, f64), MarginError> {
    let last = brackets
        .len()
        .checked_sub(1)
        .ok_or_else(|| MarginError::Params("an empty bracket table".into()))?;
    let i = brackets
        .iter()
        .position(|b| notional >= b.floor && notional < b.cap)
        .unwrap_or(last);
    let b = &brackets[i];
    Ok((i, notional * b.mmr - b.cum))
}

/// One linear perpetual of the account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TieredLine {
    /// Binance symbol (`BTCUSDT`).
    pub symbol: String,
    /// The position's name in the book.
    pub instrument: String,
    /// Coins (negative = short).
    pub size: f64,
    /// Mark price, USD.
    pub mark_price: f64,
    /// |size| × mark, USD.
    pub notional: f64,
    /// 1-based bracket of the notional.
    pub bracket: usize,
    /// Maintenance margin rate of the bracket.
    pub mmr: f64,
    /// Maintenance amount of the bracket, USD.
    pub cum: f64,
    /// notional × mmr − cum, USD.
    pub maintenance_margin: f64,
}

/// A coin's liquidation moves in the account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TieredLiquidation {
    /// The coin.
    pub coin: String,
    /// The nearest liquidation on a fall (none down to −98 %).
    pub fall: Option<LiquidationPoint>,
    /// The nearest on a rise (none up to +500 %).
    pub rise: Option<LiquidationPoint>,
}

/// A cross-margined USDⓈ-M account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TieredAccount {
    /// The venue (`binance`).
    pub venue: String,
    /// Margin balance (wallet balance + unrealised P&L at the marks), USD.
    pub equity: f64,
    /// Σ of the positions' maintenance margins, USD.
    pub maintenance_margin: f64,
    /// Maintenance margin / equity.
    pub margin_utilisation: f64,
    /// Per position.
    pub positions: Vec<TieredLine>,
    /// Per coin.
    pub liquidation: Vec<TieredLiquidation>,
}

/// The Binance USDⓈ-M account of a book: its linear perpetuals at `venue` (`COIN_USDT-PERPETUAL`
/// → symbol `COINUSDT`), their tiered maintenance margins from `brackets` (by symbol), the
/// account's utilisation against `equity` (USD) and each coin's liquidation moves. `None` when
/// the book has no such position.
///
/// # Errors
/// A position the snapshot cannot price; a symbol without brackets (naming it); an equity that
/// is not a finite number ≥ 0; another instrument at the venue (only linear perpetuals are
/// modelled).
pub fn binance_account(
    positions: &[Position],
    market: &MarketSnapshot,
    venue: &str,
    equity: f64,
    brackets: &BTreeMap<String, Vec<Bracket>>,
) -> Result<Option<TieredAccount>, MarginError> {
    let mut lines = Vec::new();
    for p in positions.iter().filter(|p| p.venue.eq_ignore_ascii_case(venue)) {
        let Instrument::Perpetual {
            coin,
            margining: Margining::Linear,
        } = &p.instrument
        else {
            if matches!(p.instrument, Instrument::Spot { .. }) {
                continue;
            }
            return Err(MarginError::Instrument(format!(
                "{} at {venue}: only linear perpetuals (COIN_USDT-PERPETUAL) are margined there",
                p.name
            )));
        };
        let quote = p.name.split(['_', '-']).nth(1).unwrap_or("USDT");
        let symbol = format!("{coin}{quote}");
        let table = brackets.get(&symbol).ok_or_else(|| {
            MarginError::Params(format!(
                "{}: no leverage brackets for {symbol} in the bracket file",
                p.name
            ))
        })?;
        let mark = position_ticker(p, market)
            .map_err(|e| MarginError::Input(format!("{}: {e}", p.name)))?
            .map_or(f64::NAN, |t| t.mark_price);
        if !(mark.is_finite() && mark > 0.0) {
            return Err(MarginError::Input(format!("{}: no positive mark price", p.name)));
        }
        let notional = p.size.abs() * mark;
        let (i, mm) = tiered_maintenance(notional, table)?;
        lines.push((
            coin.clone(),
            table,
            TieredLine {
                symbol,
                instrument: p.name.clone(),
                size: p.size,
                mark_price: mark,
                notional,
                bracket: i + 1,
                mmr: table[i].mmr,
                cum: table[i].cum,
                maintenance_margin: mm,
            },
        ));
    }
    if lines.is_empty() {
        return Ok(None);
    }
    if !(equity.is_finite() && equity >= 0.0) {
        return Err(MarginError::Input(format!(
            "the {venue} account's equity {} must be a number ≥ 0 (its margin balance in USD, [margin.{venue}] equity)",
            Num(equity)
        )));
    }
    let total_mm: f64 = lines.iter().map(|l| l.2.maintenance_margin).sum();
    let mut coins: Vec<String> = lines.iter().map(|l| l.0.clone()).collect();
    coins.sort();
    coins.dedup();
    let mut liquidation = Vec::new();
    for coin in coins {
        let mine: Vec<_> = lines.iter().filter(|l| l.0 == coin).collect();
        let own_mm: f64 = mine.iter().map(|l| l.2.maintenance_margin).sum();
        let others = total_mm - own_mm;
        // margin balance after the coin moves by m against the maintenance margin there
        let excess = |m: f64| {
            let mut x = equity - others;
            for (_, table, l) in &mine {
                x += l.size * l.mark_price * m;
                let (_, mm) = tiered_maintenance(l.notional * (1.0 + m), table).unwrap_or((0, f64::NAN));
                x -= mm;
            }
            x
        };
        let f0 = equity - total_mm;
        let price = mine[0].2.mark_price;
        let point = |m: f64| LiquidationPoint {
            index_move: m,
            index_price: price * (1.0 + m),
            sigmas: None,
        };
        let (fall, rise) = if f0 <= 0.0 {
            (Some(0.0), Some(0.0))
        } else {
            (
                first_crossing(excess, f0, &FALL_GRID, -1.0)?,
                first_crossing(excess, f0, &RISE_GRID, 1.0)?,
            )
        };
        liquidation.push(TieredLiquidation {
            coin,
            fall: fall.map(point),
            rise: rise.map(point),
        });
    }
    Ok(Some(TieredAccount {
        venue: venue.to_lowercase(),
        equity,
        maintenance_margin: total_mm,
        margin_utilisation: if equity > 0.0 {
            total_mm / equity
        } else {
            f64::INFINITY
        },
        positions: lines.into_iter().map(|l| l.2).collect(),
        liquidation,
    }))
}
