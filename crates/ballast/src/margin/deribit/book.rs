//! The portfolio margin of a book (positions on a market snapshot): the Deribit positions in
//! coins, the margins per settlement currency against the account's equity, and the index
//! moves at which equity falls to the maintenance margin (liquidation), found by revaluing
//! the book and recomputing the risk matrix at each move.

use super::super::liquidation::{
    brent_bracket, brent_bracketed, grid_bracket, FALL_GRID, LIQUIDATION_TOL, RISE_GRID,
};
use super::super::MarginError;
use super::kernel::{Prepared, Scratch};
use super::matrix::{
    evaluate, group_margin, prepared_margin, ExtraInitial, PmInput, PmResult, RiskVector, Ticker,
};
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

/// The margin of a book with `[margin]`'s inputs: [`book_margin`] with Deribit's parameters,
/// [`book_margin_without_deribit`] without them (a book holding no Deribit derivatives).
///
/// # Errors
/// Those of the function it calls.
pub fn deribit_margin(
    params: Option<&PmParams>,
    positions: &[Position],
    market: &MarketSnapshot,
    equity: &BTreeMap<String, f64>,
) -> Result<BookMargin, MarginError> {
    match params {
        Some(p) => book_margin(p, positions, market, equity),
        None => book_margin_without_deribit(positions, market),
    }
}

/// The margin of a book that holds no Deribit derivatives (no parameters needed): no accounts,
/// every position listed as not margined here.
///
/// # Errors
/// [`MarginError::Params`] naming the book's Deribit futures, perpetuals and options, which
/// need the portfolio-margin parameters ([`book_margin`]).
pub fn book_margin_without_deribit(
    positions: &[Position],
    market: &MarketSnapshot,
) -> Result<BookMargin, MarginError> {
    let (input, not_margined) = pm_input(positions, market)?;
    if !input.positions.is_empty() {
        let names: Vec<&str> = input.positions.keys().map(String::as_str).collect();
        return Err(MarginError::Params(format!(
            "the book holds Deribit derivatives ({}), which need Deribit's portfolio-margin parameters: give [margin] deribit_params = \"PARAMS.toml\" (model_params keys, or a saved pme/simulate response)",
            names.join(", ")
        )));
    }
    Ok(BookMargin {
        deribit: PmResult::default(),
        accounts: Vec::new(),
        not_margined,
    })
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
    let (pm, accounts) = account_margin(params, &input, equity)?;
    Ok(BookMargin {
        deribit: pm,
        accounts,
        not_margined,
    })
}

/// [`book_margin`] of positions already in the risk matrix's terms: the portfolio margin, and
/// per settlement currency the equity, margins, utilisation and liquidation moves.
///
/// # Errors
/// As [`book_margin`].
pub fn account_margin(
    params: &PmParams,
    input: &PmInput,
    equity: &BTreeMap<String, f64>,
) -> Result<(PmResult, Vec<CurrencyAccount>), MarginError> {
    params.validate()?;
    let prep = Prepared::new(params, input)?;
    let evals = evaluate(&prep);
    let group_mm: Vec<f64> = prep
        .groups
        .iter()
        .zip(&evals)
        .map(|(g, (e, _))| {
            group_margin(params, g, e, 0.0, ExtraInitial::default())
                .1
                .maintenance_margin
        })
        .collect();
    // per settlement currency: its equity and maintenance margin (groups added in order)
    let mut currency: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (g, mm) in prep.groups.iter().zip(&group_mm) {
        let cur = g.settlement.as_str();
        if let Some(c) = currency.get_mut(cur) {
            c.1 += mm;
            continue;
        }
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
        currency.insert(cur, (eq, *mm));
    }
    // the liquidation searches on this thread (their rise first); the result's vectors and the
    // standard margin, then the falls, left for another
    let (liquidations, (pm, standard)) = rayon::join(
        || {
            prep.groups
                .iter()
                .enumerate()
                .map(|(gi, g)| {
                    let (eq, cur_mm) = currency[g.settlement.as_str()];
                    liquidation(params, &prep, gi, eq, (group_mm[gi], cur_mm - group_mm[gi]))
                })
                .collect::<Result<Vec<_>, _>>()
        },
        || {
            let standard = super::standard::standard_margin(params, input)
                .ok()
                .map(|s| s.totals);
            (prepared_margin(params, input, &prep, &evals), standard)
        },
    );
    let mut by_currency: BTreeMap<&str, Vec<UnderlyingLiquidation>> = BTreeMap::new();
    for (g, l) in prep.groups.iter().zip(liquidations?) {
        by_currency.entry(g.settlement.as_str()).or_default().push(l);
    }
    let mut accounts = Vec::new();
    for (cur, m) in &pm.margins {
        let eq = currency[cur.as_str()].0;
        let liquidation = by_currency.remove(cur.as_str()).unwrap_or_default();
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
    Ok((pm, accounts))
}

/// The index moves of group `gi`'s underlying at which the account's equity meets its
/// maintenance margin: the group revalued and its risk matrix recomputed at each move, the
/// account's other underlyings unmoved. `(own_mm, others_mm)`: the maintenance margins of the
/// group and of the account's other groups at the valuation.
/// The fall and the rise are searched in parallel.
fn liquidation(
    params: &PmParams,
    prep: &Prepared<'_>,
    gi: usize,
    equity: f64,
    (own_mm, others_mm): (f64, f64),
) -> Result<UnderlyingLiquidation, MarginError> {
    let g = &prep.groups[gi];
    // equity less maintenance margin with the underlying moved by m, and the scenario vector
    let excess_at = |m: f64, only: Option<&[bool]>, scratch: &mut Scratch| {
        let e = prep.eval_some(gi, m, only, scratch);
        let (v, mm) = group_margin(params, g, &e, m, ExtraInitial::default());
        // coin accounts: equity in coin, P&L in coin; the same units throughout
        (equity + e.pnl - mm.maintenance_margin - others_mm, v)
    };
    let f0 = equity - others_mm - own_mm;
    let index = g.index;
    let mut ivs = g.mark_ivs();
    let sigma_daily = (!ivs.is_empty()).then(|| {
        ivs.sort_by(f64::total_cmp);
        ivs[ivs.len() / 2] / 365f64.sqrt()
    });
    let coin = &g.coin;
    let search = |grid: &[f64], sign: f64| -> Result<Option<f64>, MarginError> {
        let mut scratch = Scratch::default();
        let mut seen = Vec::new();
        let bracket = grid_bracket(
            |m| {
                let (x, v) = excess_at(m, None, &mut scratch);
                seen.push(v);
                x
            },
            f0,
            grid,
            sign,
        );
        let Some((last_safe, first_unsafe)) = bracket else {
            return Ok(None);
        };
        // refine on the scenarios near the worst at the bracket's ends (cheap), then check
        // the full matrix where the refined excess is still positive
        let keep = near_worst(&seen[seen.len().saturating_sub(2)..]);
        let scratch = std::cell::RefCell::new(scratch);
        let full = |m: f64| excess_at(m, None, &mut scratch.borrow_mut()).0;
        let some = |m: f64| excess_at(m, Some(&keep), &mut scratch.borrow_mut()).0;
        let (root, other) = brent_bracket(some, last_safe, first_unsafe, LIQUIDATION_TOL)?;
        if let Some((x, _)) = [root, other].into_iter().find(|(_, f)| *f > 0.0) {
            let fx = full(x);
            if fx > 0.0 {
                // full ≤ refined everywhere: the full excess changes sign between x and the root
                return Ok(Some(root.0));
            }
            return brent_bracketed(full, last_safe, (x, fx), LIQUIDATION_TOL).map(Some);
        }
        brent_bracketed(full, last_safe, first_unsafe, LIQUIDATION_TOL).map(Some)
    };
    let point = |m: f64| LiquidationPoint {
        index_move: m,
        index_price: index * (1.0 + m),
        sigmas: sigma_daily.map(|s| m / s),
    };
    if f0 <= 0.0 {
        return Ok(UnderlyingLiquidation {
            coin: coin.to_uppercase(),
            sigma_daily,
            fall: Some(point(0.0)),
            rise: Some(point(0.0)),
        });
    }
    // the rise (the longer grid) on this thread, the fall free to be taken by another
    let (rise, fall) = rayon::join(|| search(&RISE_GRID, 1.0), || search(&FALL_GRID, -1.0));
    let (fall, rise) = (fall?, rise?);
    Ok(UnderlyingLiquidation {
        coin: coin.to_uppercase(),
        sigma_daily,
        fall: fall.map(point),
        rise: rise.map(point),
    })
}

/// The scenarios (standard, then extended) whose loss in any of `vectors` (aggregated,
/// offset) is within half the worst loss of that vector's worst.
fn near_worst(vectors: &[RiskVector]) -> Vec<bool> {
    let n = vectors.first().map_or(0, |v| v.standard.len() + v.extended.len());
    let mut keep = vec![false; n];
    for v in vectors {
        let losses = || v.standard.iter().chain(&v.extended).map(|x| -x);
        let worst = losses().fold(f64::NEG_INFINITY, f64::max);
        let floor = worst - 0.5 * worst.abs();
        for (k, loss) in keep.iter_mut().zip(losses()) {
            *k |= loss >= floor;
        }
    }
    keep
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
