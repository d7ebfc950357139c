//! The portfolio margin of a book (positions on a market snapshot): the Deribit positions in
//! coins, the margins per settlement currency against the account's equity, and the index
//! moves at which equity falls to the maintenance margin (liquidation), found by revaluing
//! the book and recomputing the risk matrix at each move.

use super::super::liquidation::brent;
use super::super::MarginError;
use super::matrix::{classify, portfolio_margin, position_pnl, PmInput, PmResult, Ticker};
use super::params::PmParams;
use crate::book::position_ticker;
use crate::instrument::{Instrument, Margining, Position};
use crate::market::MarketSnapshot;
use serde::Serialize;
use std::collections::BTreeMap;

/// The Deribit positions of a book as the risk matrix takes them (sizes in coins: inverse
/// USD notionals divided by the mark), and the positions left out (other venues, spot).
///
/// # Errors
/// A Deribit position the snapshot cannot price.
pub fn pm_input(positions: &[Position], m: &MarketSnapshot) -> Result<(PmInput, Vec<String>), MarginError> {
    let mut input = PmInput {
        now: m.as_of,
        ..PmInput::default()
    };
    let mut skipped = Vec::new();
    for p in positions {
        if !p.venue.eq_ignore_ascii_case("deribit") || matches!(p.instrument, Instrument::Spot { .. }) {
            skipped.push(format!("{} ({})", p.name, p.venue));
            continue;
        }
        let Some(tk) = position_ticker(p, m).map_err(|e| MarginError::Input(format!("{}: {e}", p.name)))?
        else {
            continue;
        };
        let mark = tk.mark_price;
        let coins = match &p.instrument {
            Instrument::Perpetual {
                margining: Margining::Inverse,
                ..
            }
            | Instrument::Future {
                margining: Margining::Inverse,
                ..
            } => p.size / mark,
            _ => p.size,
        };
        *input.positions.entry(p.name.clone()).or_insert(0.0) += coins;
        input.tickers.insert(
            p.name.clone(),
            Ticker {
                mark_price: mark,
                mark_iv: tk.vol,
                underlying_price: tk.forward,
            },
        );
        let coin = p.instrument.coin();
        let spot = m
            .spot(coin)
            .map_err(|e| MarginError::Input(format!("{}: {e}", p.name)))?;
        input
            .index_price
            .insert(format!("{}_usd", coin.to_lowercase()), spot);
    }
    Ok((input, skipped))
}

/// A liquidation point: the index move and price at which equity meets maintenance margin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidationPoint {
    /// The index move, fraction (−0.3 = a 30 % fall).
    #[serde(rename = "move")]
    pub index_move: f64,
    /// The index price there, USD.
    pub index_price: f64,
    /// The move in daily standard deviations (from the options' median mark IV / √365).
    pub sigmas: Option<f64>,
}

/// Liquidation of one underlying's positions in a settlement currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnderlyingLiquidation {
    /// The coin.
    pub coin: String,
    /// Daily σ of the coin (median option mark IV / √365), if the book holds options on it.
    pub sigma_daily: Option<f64>,
    /// The nearest liquidation on a fall (none down to −98 %).
    pub fall: Option<LiquidationPoint>,
    /// The nearest on a rise (none up to +500 %).
    pub rise: Option<LiquidationPoint>,
}

/// One settlement currency's account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyAccount {
    /// Settlement currency (`btc`).
    pub currency: String,
    /// Equity, in the currency.
    pub equity: f64,
    /// Initial margin.
    pub initial_margin: f64,
    /// Maintenance margin.
    pub maintenance_margin: f64,
    /// Maintenance margin / equity.
    pub margin_utilisation: f64,
    /// Equity − initial margin.
    pub free_collateral: f64,
    /// The standard (non-portfolio) margin of the same positions; `None` when it does not apply
    /// (linear contracts).
    pub standard_margin: Option<super::standard::StandardTotals>,
    /// Per underlying settled in it.
    pub liquidation: Vec<UnderlyingLiquidation>,
}

/// The margin of a book.
#[derive(Debug, Clone, Serialize)]
pub struct BookMargin {
    /// The risk matrix, under Deribit's keys.
    pub deribit: PmResult,
    /// Per settlement currency.
    pub accounts: Vec<CurrencyAccount>,
    /// Positions left out (other venues, spot holdings: collateral, not risk-matrix positions).
    pub not_margined: Vec<String>,
}

/// Portfolio margin, utilisation and liquidation moves of a book, with `equity` per settlement
/// currency (`btc` → coins).
///
/// # Errors
/// The model's errors; a currency with positions and no equity given (naming it).
pub fn book_margin(
    params: &PmParams,
    positions: &[Position],
    market: &MarketSnapshot,
    equity: &BTreeMap<String, f64>,
) -> Result<BookMargin, MarginError> {
    let (input, not_margined) = pm_input(positions, market)?;
    let pm = portfolio_margin(params, &input)?;
    let standard = super::standard::standard_margin(params, &input)
        .ok()
        .map(|s| s.totals);
    let mut accounts = Vec::new();
    for (cur, m) in &pm.margins {
        let eq = *equity.get(cur).ok_or_else(|| {
            MarginError::Input(format!(
                "no equity for the {cur} account: give it in [margin] equity = {{ {cur} = ... }} (coins, or USD for usdc)"
            ))
        })?;
        if !eq.is_finite() || eq < 0.0 {
            return Err(MarginError::Input(format!(
                "equity of the {cur} account must be ≥ 0"
            )));
        }
        let coins: Vec<String> = pm
            .aggregated_risk_vectors
            .keys()
            .filter_map(|k| k.strip_prefix(&format!("{cur}_")).map(str::to_string))
            .collect();
        let liquidation = coins
            .iter()
            .map(|c| liquidation(params, &input, cur, c, eq))
            .collect::<Result<Vec<_>, _>>()?;
        accounts.push(CurrencyAccount {
            currency: cur.clone(),
            equity: eq,
            initial_margin: m.initial_margin,
            maintenance_margin: m.maintenance_margin,
            margin_utilisation: if eq > 0.0 {
                m.maintenance_margin / eq
            } else {
                f64::INFINITY
            },
            free_collateral: eq - m.initial_margin,
            standard_margin: standard.as_ref().and_then(|t| t.get(cur).copied()),
            liquidation,
        });
    }
    Ok(BookMargin {
        deribit: pm,
        accounts,
        not_margined,
    })
}

/// The book's positions of `coin` settled in `cur`, with every price of the coin moved by `m`.
fn shifted(input: &PmInput, names: &[String], coin: &str, m: f64) -> PmInput {
    let key = format!("{coin}_usd");
    let mut out = PmInput {
        now: input.now,
        ..PmInput::default()
    };
    for n in names {
        // an inverse contract's USD notional is fixed: in coins it shrinks as the price rises
        let inverse = classify(n).is_ok_and(|p| {
            p.settlement != "usdc"
                && matches!(
                    p.instrument,
                    Instrument::Perpetual { .. } | Instrument::Future { .. }
                )
        });
        let q = input.positions[n];
        out.positions
            .insert(n.clone(), if inverse { q / (1.0 + m) } else { q });
        if let Some(t) = input.tickers.get(n) {
            out.tickers.insert(
                n.clone(),
                Ticker {
                    mark_price: t.mark_price * if t.mark_iv.is_none() { 1.0 + m } else { 1.0 },
                    mark_iv: t.mark_iv,
                    underlying_price: t.underlying_price.map(|f| f * (1.0 + m)),
                },
            );
        }
    }
    out.index_price
        .insert(key.clone(), input.index_price[&key] * (1.0 + m));
    out
}

/// Falls tried, in order, to bracket a liquidation (fractions of the index).
const FALL_GRID: [f64; 20] = [
    0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.18, 0.22, 0.26, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7,
    0.85, 0.98,
];

/// Rises tried, in order.
const RISE_GRID: [f64; 22] = [
    0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.18, 0.22, 0.26, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5,
    2.0, 3.0, 4.0, 5.0,
];

fn liquidation(
    params: &PmParams,
    input: &PmInput,
    cur: &str,
    coin: &str,
    equity: f64,
) -> Result<UnderlyingLiquidation, MarginError> {
    let names: Vec<String> = input
        .positions
        .keys()
        .filter(|n| classify(n).is_ok_and(|p| p.settlement == cur && p.coin == coin))
        .cloned()
        .collect();
    let index = input.index_price[&format!("{coin}_usd")];
    let excess = |m: f64| -> Result<f64, MarginError> {
        let mut pnl = 0.0;
        for n in &names {
            pnl += position_pnl(n, input.positions[n], &classify(n)?, input, m)?;
        }
        let mm = portfolio_margin(params, &shifted(input, &names, coin, m))?
            .margins
            .get(cur)
            .map_or(0.0, |x| x.maintenance_margin);
        // coin accounts: equity in coin, P&L in coin; the same units throughout
        Ok(equity + pnl - mm)
    };
    let ivs: Vec<f64> = names
        .iter()
        .filter_map(|n| input.tickers.get(n).and_then(|t| t.mark_iv))
        .collect();
    let sigma_daily = (!ivs.is_empty()).then(|| {
        let mut v = ivs.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] / 365f64.sqrt()
    });
    let point = |m: f64| LiquidationPoint {
        index_move: m,
        index_price: index * (1.0 + m),
        sigmas: sigma_daily.map(|s| m / s),
    };
    let f0 = excess(0.0)?;
    if f0 <= 0.0 {
        return Ok(UnderlyingLiquidation {
            coin: coin.to_uppercase(),
            sigma_daily,
            fall: Some(point(0.0)),
            rise: Some(point(0.0)),
        });
    }
    let search = |steps: &mut dyn Iterator<Item = f64>| -> Result<Option<f64>, MarginError> {
        let mut prev = 0.0;
        for m in steps {
            if excess(m)? <= 0.0 {
                let root = brent(|x| excess(x).unwrap_or(f64::NAN), prev, m, 1e-10)?;
                return Ok(Some(root));
            }
            prev = m;
        }
        Ok(None)
    };
    // bracketing grid: fine near the index, coarser far away; Brent refines inside a bracket
    let fall = search(&mut FALL_GRID.iter().map(|m| -m))?;
    let rise = search(&mut RISE_GRID.iter().copied())?;
    Ok(UnderlyingLiquidation {
        coin: coin.to_uppercase(),
        sigma_daily,
        fall: fall.map(point),
        rise: rise.map(point),
    })
}

/// The book's margin before and after proposed trades (positions added to the book; inverse
/// contracts in USD notional, options in coins, as in the portfolio file).
///
/// # Errors
/// As [`book_margin`] for either book.
pub fn what_if(
    params: &PmParams,
    positions: &[Position],
    trades: &[Position],
    market: &MarketSnapshot,
    equity: &BTreeMap<String, f64>,
) -> Result<(BookMargin, BookMargin), MarginError> {
    let before = book_margin(params, positions, market, equity)?;
    let mut all = positions.to_vec();
    all.extend_from_slice(trades);
    let after = book_margin(params, &all, market, equity)?;
    Ok((before, after))
}
