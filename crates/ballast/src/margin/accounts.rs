//! Margin and VaR of many accounts on one market snapshot — what an exchange or a prime broker
//! runs for every client: Deribit portfolio margin, the index moves to liquidation, and each
//! account's one-day VaR and expected shortfall by full revaluation.
//!
//! The VaR is exact and cheap: a position's revalued P&L is its size times the P&L of one unit
//! of its instrument, so [`AccountEngine::new`] revalues one unit of every live instrument under
//! each historical move of spot and implied vol once, and an account's P&L in a scenario is
//! Σ size × unit P&L.

use super::deribit::{book_margin, CurrencyAccount, PmParams};
use super::MarginError;
use crate::book::Book;
use crate::data::PricePanel;
use crate::instrument::{Instrument, Position};
use crate::market::MarketSnapshot;
use crate::scenario::{historical_scenarios, HistoricalSpec, Revaluer, VolHistory};
use jiff::civil::Date;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The confidence of the per-account VaR and expected shortfall.
pub const ACCOUNT_VAR_CONFIDENCE: f64 = 0.99;

/// Most positions one [`AccountEngine::accounts`] call takes.
pub const MAX_ACCOUNT_ROWS: usize = 50_000_000;

/// One snapshot, the margin parameters and the unit P&L of every live instrument.
#[derive(Debug, Clone)]
pub struct AccountEngine {
    market: MarketSnapshot,
    params: PmParams,
    instruments: Vec<String>,
    index: HashMap<String, usize>,
    /// Options come first in `instruments`: how many.
    options: usize,
    /// Every instrument under the moves of spot and implied vol (accounts holding options).
    with_vol: Option<UnitPnl>,
    /// The futures and perpetuals under the moves of spot alone (accounts holding none), as
    /// `ballast var` values a book without options.
    price_only: Option<UnitPnl>,
}

/// Unit P&L of instruments under one set of historical moves.
#[derive(Debug, Clone)]
struct UnitPnl {
    /// Instrument-major: unit P&L (USD) of instrument i in scenario s at `i * scenarios + s`.
    values: Vec<f64>,
    scenarios: usize,
    history: (Date, Date),
}

impl UnitPnl {
    /// Revalue one unit of each of `units` under the moves `spec` takes from the histories.
    fn new(
        units: &[Position],
        market: &MarketSnapshot,
        prices: &PricePanel,
        vol_history: Option<&PricePanel>,
        spec: &HistoricalSpec,
    ) -> Result<Self, MarginError> {
        let mut coins: Vec<String> = units.iter().map(|p| p.instrument.coin().to_string()).collect();
        coins.sort();
        coins.dedup();
        let input = |e: crate::scenario::ScenarioError| MarginError::Input(e.to_string());
        let vol = vol_history
            .filter(|_| spec.with_vol)
            .map(|panel| VolHistory { panel });
        let hist = historical_scenarios(prices, vol, &coins, spec).map_err(input)?;
        let book = Book {
            positions: units.to_vec(),
            market: market.clone(),
        };
        let m = Revaluer::new(&book, &hist.set)
            .and_then(|r| r.pnl_matrix(&hist.set))
            .map_err(input)?;
        let (n, k) = (m.scenarios, units.len());
        let mut values = vec![0.0; n * k];
        for s in 0..n {
            for (j, v) in m.row(s).iter().enumerate() {
                values[j * n + s] = *v;
            }
        }
        let history = match (hist.dates.first(), hist.dates.last()) {
            (Some(a), Some(b)) => (*a, *b),
            _ => return Err(MarginError::Input("the history has no moves".into())),
        };
        Ok(Self {
            values,
            scenarios: n,
            history,
        })
    }
}

/// An account's margin and risk. JSON: `currencies` (per settlement currency: equity, margins,
/// utilisation, free collateral, liquidation moves), `var_99_usd`, `es_99_usd`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRisk {
    /// Per settlement currency (the Deribit sub-account margins).
    pub currencies: Vec<CurrencyAccount>,
    /// One-day historical VaR at 99 % of the account's positions, USD (positive loss): every
    /// position fully revalued on each move of spot and, with options, implied vol, as
    /// `ballast var` values the same positions; the collateral's own USD moves are not
    /// included.
    pub var_99_usd: f64,
    /// One-day historical expected shortfall at 99 %, USD.
    pub es_99_usd: f64,
}

/// Positions of many accounts as columns (one row per position; an account's rows need not be
/// adjacent).
#[derive(Debug, Clone, Copy)]
pub struct AccountPositions<'a> {
    /// Account of each row.
    pub account: &'a [i64],
    /// Deribit instrument name of each row.
    pub instrument: &'a [String],
    /// Size: options and futures as Deribit counts them (coins; USD for inverse futures).
    pub size: &'a [f64],
}

impl AccountEngine {
    /// Revalue one unit of every live instrument of `market` (option quotes, and futures that
    /// are not expired) under the last `window` one-day historical moves ending at `end` of
    /// `prices` and, for options, `vol_history` (Deribit DVOL).
    ///
    /// # Errors
    /// [`MarginError::Params`] (through [`PmParams::validate`]): parameters out of range;
    /// [`MarginError::Instrument`]: a live instrument whose name does not parse;
    /// [`MarginError::Input`]: the history or the revaluation fail (the message says which).
    pub fn new(
        market: MarketSnapshot,
        params: PmParams,
        prices: &PricePanel,
        vol_history: Option<&PricePanel>,
        window: usize,
        end: Option<Date>,
    ) -> Result<Self, MarginError> {
        params.validate()?;
        let instruments = live_instruments(&market, &params);
        let units = instruments
            .iter()
            .map(|n| Position::new(n, 1.0, "deribit").map_err(|e| MarginError::Instrument(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let options = units
            .iter()
            .take_while(|p| matches!(p.instrument, Instrument::Option { .. }))
            .count();
        let spec = |with_vol| HistoricalSpec {
            window,
            horizon_days: 1,
            end,
            with_vol,
        };
        let with_vol = match options {
            0 => None,
            _ => Some(UnitPnl::new(&units, &market, prices, vol_history, &spec(true))?),
        };
        let price_only = match units.len() - options {
            0 => None,
            _ => Some(UnitPnl::new(
                &units[options..],
                &market,
                prices,
                None,
                &spec(false),
            )?),
        };
        let index = instruments
            .iter()
            .enumerate()
            .map(|(j, n)| (n.clone(), j))
            .collect();
        Ok(Self {
            market,
            params,
            instruments,
            index,
            options,
            with_vol,
            price_only,
        })
    }

    /// The live instruments (options, then futures and perpetuals), sorted.
    pub fn instruments(&self) -> &[String] {
        &self.instruments
    }

    /// First and last date of the historical one-day moves, and their number, of accounts
    /// holding options: moves of spot and implied vol (DVOL may end before the prices).
    /// Without options on the snapshot, those of [`Self::price_history`].
    pub fn history(&self) -> (Date, Date, usize) {
        let u = self.with_vol.as_ref().or(self.price_only.as_ref());
        u.map_or((Date::MIN, Date::MIN, 0), |u| {
            (u.history.0, u.history.1, u.scenarios)
        })
    }

    /// The moves of spot alone behind the VaR of accounts without options (as `ballast var`
    /// takes them for a book without options); `None` when the snapshot has no futures.
    pub fn price_history(&self) -> Option<(Date, Date, usize)> {
        self.price_only
            .as_ref()
            .map(|u| (u.history.0, u.history.1, u.scenarios))
    }

    /// The snapshot.
    pub fn market(&self) -> &MarketSnapshot {
        &self.market
    }

    /// Margin and VaR of one account: `positions` as (instrument, size), `equity` per
    /// settlement currency (`btc`, `eth`: coins).
    ///
    /// # Errors
    /// An instrument that is not a live one of the snapshot; a currency with positions and no
    /// equity; the margin model's errors.
    pub fn account(
        &self,
        positions: &[(&str, f64)],
        equity: &BTreeMap<String, f64>,
    ) -> Result<AccountRisk, MarginError> {
        let mut rows = Vec::with_capacity(positions.len());
        let mut book = Vec::with_capacity(positions.len());
        for &(name, size) in positions {
            let j = *self.index.get(name).ok_or_else(|| {
                MarginError::Instrument(format!("{name} is not a live instrument of the snapshot"))
            })?;
            rows.push((j, size));
            book.push(
                Position::new(name, size, "deribit").map_err(|e| MarginError::Instrument(e.to_string()))?,
            );
        }
        // with an option, the moves of spot and vol for every position; else spot alone
        let (units, offset) = match (&self.with_vol, &self.price_only) {
            (Some(u), _) if rows.iter().any(|(j, _)| *j < self.options) => (u, 0),
            (_, Some(u)) => (u, self.options),
            (Some(u), None) => (u, 0),
            (None, None) => return Err(MarginError::Input("the snapshot has no live instrument".into())),
        };
        let n = units.scenarios;
        let mut pnl = vec![0.0; n];
        for (j, size) in rows {
            let j = j - offset;
            for (p, u) in pnl.iter_mut().zip(&units.values[j * n..(j + 1) * n]) {
                *p += size * u;
            }
        }
        let m = book_margin(&self.params, &book, &self.market, equity)?;
        let risk = |e: crate::risk::RiskError| MarginError::Input(e.to_string());
        Ok(AccountRisk {
            currencies: m.accounts,
            var_99_usd: crate::risk::historical_var(&pnl, ACCOUNT_VAR_CONFIDENCE).map_err(risk)?,
            es_99_usd: crate::risk::historical_cvar(&pnl, ACCOUNT_VAR_CONFIDENCE).map_err(risk)?,
        })
    }

    /// [`Self::account`] of every account of `positions`, in parallel, in account order, with
    /// each account's equity from `equity` (a missing one is that account's error).
    ///
    /// # Errors
    /// Columns of different lengths, or more than [`MAX_ACCOUNT_ROWS`] rows (the whole call);
    /// per account, in its entry: those of [`Self::account`].
    #[allow(clippy::type_complexity)]
    pub fn accounts(
        &self,
        positions: AccountPositions<'_>,
        equity: &BTreeMap<i64, BTreeMap<String, f64>>,
    ) -> Result<Vec<(i64, Result<AccountRisk, MarginError>)>, MarginError> {
        let AccountPositions {
            account,
            instrument,
            size,
        } = positions;
        if account.len() != instrument.len() || account.len() != size.len() {
            return Err(MarginError::Input(format!(
                "positions: {} accounts, {} instruments, {} sizes: one of each per row",
                account.len(),
                instrument.len(),
                size.len()
            )));
        }
        if account.len() > MAX_ACCOUNT_ROWS {
            return Err(MarginError::Input(format!(
                "{} positions in one call; split them into batches of at most {MAX_ACCOUNT_ROWS}",
                account.len()
            )));
        }
        let mut by_account: BTreeMap<i64, Vec<(&str, f64)>> = BTreeMap::new();
        for ((a, i), s) in account.iter().zip(instrument).zip(size) {
            by_account.entry(*a).or_default().push((i.as_str(), *s));
        }
        let list: Vec<(i64, Vec<(&str, f64)>)> = by_account.into_iter().collect();
        Ok(list
            .par_iter()
            .map(|(a, rows)| {
                let r = match equity.get(a) {
                    Some(eq) => self.account(rows, eq),
                    None => Err(MarginError::Input(format!(
                        "account {a} has positions and no equity row"
                    ))),
                };
                (*a, r)
            })
            .collect())
    }
}

/// The live instruments of `market`: every option quote's Deribit name, then the futures that
/// can be margined alone (an expired one is refused by the risk matrix).
fn live_instruments(market: &MarketSnapshot, params: &PmParams) -> Vec<String> {
    let mut options: Vec<String> = market.options.values().map(|q| q.name.clone()).collect();
    options.sort();
    let big = BTreeMap::from([
        ("btc".to_string(), 1e6),
        ("eth".to_string(), 1e6),
        ("usdc".to_string(), 1e12),
    ]);
    let mut futures: Vec<String> = market
        .futures
        .keys()
        .filter(|n| {
            Position::new(n, 1.0, "deribit")
                .ok()
                .is_some_and(|p| book_margin(params, std::slice::from_ref(&p), market, &big).is_ok())
        })
        .cloned()
        .collect();
    futures.sort();
    options.extend(futures);
    options
}
