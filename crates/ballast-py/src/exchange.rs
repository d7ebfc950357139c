//! `ballast.Exchange`: one market snapshot and Deribit's portfolio-margin parameters, and the
//! margin of many accounts on them — the per-account work of a scale-out job (a Dask, Ray or
//! Spark worker calls it on each batch of positions).

use crate::fail;
use ballast::book::Book;
use ballast::instrument::Position;
use ballast::margin::deribit::{book_margin, PmParams};
use ballast::market::MarketSnapshot;
use ballast::scenario::{historical_scenarios, HistoricalSpec, Revaluer, VolHistory};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Most positions one call takes (a batch; split bigger tables).
const MAX_ROWS: usize = 50_000_000;

/// A market snapshot, the portfolio-margin parameters every account is margined on, and the
/// one-day P&L of one unit of every live instrument under each historical scenario (full
/// revaluation), from which each account's VaR is exact: a position's revalued P&L is its size
/// times the unit's.
#[pyclass(frozen, module = "ballast")]
pub struct Exchange {
    market: MarketSnapshot,
    params: PmParams,
    /// Live instruments (options, then futures and perpetuals).
    instruments: Vec<String>,
    /// Column of each instrument in `unit_pnl`.
    index: HashMap<String, usize>,
    /// Instrument-major: unit P&L (USD) of instrument i in scenario s at `i * scenarios + s`.
    unit_pnl: Vec<f64>,
    scenarios: usize,
    /// First and last date of the historical moves.
    history: (String, String),
}

/// One account and settlement currency.
struct Row {
    currency: String,
    values: [f64; 7],
}

/// The confidence of the per-account VaR and expected shortfall.
const VAR_CONFIDENCE: f64 = 0.99;

impl Exchange {
    fn account(&self, positions: Vec<Position>, btc: f64, eth: f64) -> Result<Vec<Row>, String> {
        let equity = BTreeMap::from([("btc".to_string(), btc), ("eth".to_string(), eth)]);
        let m = book_margin(&self.params, &positions, &self.market, &equity).map_err(|e| e.to_string())?;
        Ok(m.accounts
            .iter()
            .map(|c| {
                let coin = c.currency.to_uppercase();
                let liq = c.liquidation.iter().find(|l| l.coin == coin);
                let fall = liq
                    .and_then(|l| l.fall.as_ref())
                    .map_or(f64::NAN, |p| p.index_move);
                let rise = liq
                    .and_then(|l| l.rise.as_ref())
                    .map_or(f64::NAN, |p| p.index_move);
                Row {
                    currency: c.currency.clone(),
                    values: [
                        c.equity,
                        c.initial_margin,
                        c.maintenance_margin,
                        c.margin_utilisation,
                        c.free_collateral,
                        fall,
                        rise,
                    ],
                }
            })
            .collect())
    }
}

impl Exchange {
    /// One-day historical VaR and expected shortfall at [`VAR_CONFIDENCE`] of the account's
    /// full-revaluation P&L, USD (positive losses).
    fn var(&self, rows: &[usize], instrument: &[String], size: &[f64]) -> Result<(f64, f64), String> {
        let n = self.scenarios;
        let mut pnl = vec![0.0; n];
        for &i in rows {
            let j = *self
                .index
                .get(&instrument[i])
                .ok_or_else(|| format!("{} is not a live instrument of the snapshot", instrument[i]))?;
            let unit = &self.unit_pnl[j * n..(j + 1) * n];
            for (p, u) in pnl.iter_mut().zip(unit) {
                *p += size[i] * u;
            }
        }
        let var = ballast::risk::historical_var(&pnl, VAR_CONFIDENCE).map_err(|e| e.to_string())?;
        let es = ballast::risk::historical_cvar(&pnl, VAR_CONFIDENCE).map_err(|e| e.to_string())?;
        Ok((var, es))
    }
}

/// The live instruments of `market`: every option quote's name, then the futures that can be
/// margined alone (an expired one is refused by the risk matrix).
fn live_instruments(market: &MarketSnapshot, params: &PmParams) -> Vec<String> {
    let mut options: Vec<String> = market.options.values().map(|q| q.name.clone()).collect();
    options.sort();
    let big = BTreeMap::from([("btc".to_string(), 1e6), ("eth".to_string(), 1e6)]);
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

#[pymethods]
impl Exchange {
    /// From a portfolio file with a `[market]` section (Deribit chains, futures, as_of) and
    /// `[margin] deribit_params` (e.g. `examples/derivatives.toml`); its positions are not used.
    /// From a portfolio file with a `[market]` section (Deribit chains, futures, `as_of`,
    /// `vol_history`), `[data]` (daily prices, `end`, `window`: the historical moves of the VaR)
    /// and `[margin] deribit_params` (e.g. `examples/derivatives.toml`); its positions are not
    /// used.
    #[new]
    fn new(py: Python<'_>, portfolio: &str) -> PyResult<Self> {
        let pf = ballast::io::read_portfolio(portfolio).map_err(fail)?;
        let params = pf
            .margin
            .as_ref()
            .and_then(|m| m.deribit_params.as_ref())
            .ok_or_else(|| {
                fail(format!(
                    "{portfolio}: give [margin] deribit_params = \"PARAMS.toml\""
                ))
            })?;
        let params = ballast::io::read_pm_params(params).map_err(fail)?;
        let market = ballast::io::load_book(&pf).map_err(fail)?.market;
        let prices = ballast::io::read_prices(pf.prices_path().map_err(fail)?).map_err(fail)?;
        let vol = match pf.market.as_ref().and_then(|m| m.vol_history.as_ref()) {
            Some(p) => Some(ballast::io::read_prices(p).map_err(fail)?),
            None => None,
        };
        let data = pf.data.as_ref();
        let (window, end) = (data.map_or(730, |d| d.window), data.and_then(|d| d.end));
        py.detach(move || -> Result<Self, String> {
            let instruments = live_instruments(&market, &params);
            let units = instruments
                .iter()
                .map(|n| Position::new(n, 1.0, "deribit").map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let mut coins: Vec<String> = units.iter().map(|p| p.instrument.coin().to_string()).collect();
            coins.sort();
            coins.dedup();
            let spec = HistoricalSpec {
                window,
                horizon_days: 1,
                end,
                with_vol: true,
            };
            let hist = historical_scenarios(
                &prices,
                vol.as_ref().map(|panel| VolHistory { panel }),
                &coins,
                &spec,
            )
            .map_err(|e| e.to_string())?;
            let book = Book {
                positions: units,
                market: market.clone(),
            };
            let m = Revaluer::new(&book, &hist.set)
                .and_then(|r| r.pnl_matrix(&hist.set))
                .map_err(|e| e.to_string())?;
            let (n, k) = (m.scenarios, instruments.len());
            let mut unit_pnl = vec![0.0; n * k];
            for s in 0..n {
                for (j, v) in m.row(s).iter().enumerate() {
                    unit_pnl[j * n + s] = *v;
                }
            }
            let index = instruments
                .iter()
                .enumerate()
                .map(|(j, n)| (n.clone(), j))
                .collect();
            let history = (
                hist.dates.first().map(|d| d.to_string()).unwrap_or_default(),
                hist.dates.last().map(|d| d.to_string()).unwrap_or_default(),
            );
            Ok(Self {
                market,
                params,
                instruments,
                index,
                unit_pnl,
                scenarios: n,
                history,
            })
        })
        .map_err(|e| fail(format!("{portfolio}: {e}")))
    }

    /// First and last date of the historical one-day moves behind the VaR, and their number.
    fn history(&self) -> (String, String, usize) {
        (self.history.0.clone(), self.history.1.clone(), self.scenarios)
    }

    /// The instruments the snapshot can margin (live at its instant): Deribit options, then
    /// futures and perpetuals.
    fn instruments(&self) -> Vec<String> {
        self.instruments.clone()
    }

    /// Deribit portfolio margin of every account, in parallel: positions as rows (`account`,
    /// `instrument`, `size`: options and futures in coins or USD as Deribit counts them; rows
    /// of an account need not be adjacent) and equity per account (`equity_account`,
    /// `equity_btc`, `equity_eth`, in coins). Returns a dict of NumPy columns, one row per
    /// (account, settlement currency): `account`, `currency`, `equity`, `initial_margin`,
    /// `maintenance_margin`, `margin_utilisation` (MM / equity), `free_collateral`,
    /// `liquidation_move_down` / `_up` (the index move, as a fraction, at which MM = equity; NaN
    /// when none within the search), `var_99_usd` / `es_99_usd` (the whole account's one-day
    /// historical VaR and expected shortfall at 99 %, USD, every position fully revalued on each
    /// historical move of spot and implied vol), and `errors`: (account, message) for accounts
    /// that could not be margined (an unknown or expired instrument, no equity).
    #[allow(clippy::too_many_arguments)]
    fn margin_accounts<'py>(
        &self,
        py: Python<'py>,
        account: PyReadonlyArray1<'py, i64>,
        instrument: Vec<String>,
        size: PyReadonlyArray1<'py, f64>,
        equity_account: PyReadonlyArray1<'py, i64>,
        equity_btc: PyReadonlyArray1<'py, f64>,
        equity_eth: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (acc, sz) = (account.as_slice()?, size.as_slice()?);
        let (eacc, ebtc, eeth) = (
            equity_account.as_slice()?,
            equity_btc.as_slice()?,
            equity_eth.as_slice()?,
        );
        if acc.len() != instrument.len() || acc.len() != sz.len() {
            return Err(fail(format!(
                "positions: {} accounts, {} instruments, {} sizes: one of each per row",
                acc.len(),
                instrument.len(),
                sz.len()
            )));
        }
        if eacc.len() != ebtc.len() || eacc.len() != eeth.len() {
            return Err(fail(
                "equity: equity_account, equity_btc and equity_eth differ in length",
            ));
        }
        if acc.len() > MAX_ROWS {
            return Err(fail(format!(
                "{} positions in one call; split the table into batches of at most {MAX_ROWS}",
                acc.len()
            )));
        }
        let rows = py.detach(|| {
            let mut by_account: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
            for (i, a) in acc.iter().enumerate() {
                by_account.entry(*a).or_default().push(i);
            }
            let equity: BTreeMap<i64, (f64, f64)> = eacc
                .iter()
                .zip(ebtc.iter().zip(eeth))
                .map(|(a, (b, e))| (*a, (*b, *e)))
                .collect();
            let accounts: Vec<(i64, Vec<usize>)> = by_account.into_iter().collect();
            accounts
                .par_iter()
                .map(|(a, rows)| {
                    let result = (|| {
                        let &(btc, eth) = equity
                            .get(a)
                            .ok_or_else(|| format!("account {a} has positions and no equity row"))?;
                        let positions = rows
                            .iter()
                            .map(|&i| {
                                Position::new(&instrument[i], sz[i], "deribit").map_err(|e| e.to_string())
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        let margin = self.account(positions, btc, eth)?;
                        let var = self.var(rows, &instrument, sz)?;
                        Ok::<_, String>((margin, var))
                    })();
                    (*a, result)
                })
                .collect::<Vec<_>>()
        });
        let mut cols: (Vec<i64>, Vec<String>, [Vec<f64>; 9]) = (Vec::new(), Vec::new(), Default::default());
        let mut errors: Vec<(i64, String)> = Vec::new();
        for (a, r) in rows {
            match r {
                Ok((list, (var, es))) => {
                    for row in list {
                        cols.0.push(a);
                        cols.1.push(row.currency);
                        for (c, v) in cols.2.iter_mut().zip(row.values.into_iter().chain([var, es])) {
                            c.push(v);
                        }
                    }
                }
                Err(m) => errors.push((a, m)),
            }
        }
        let out = PyDict::new(py);
        out.set_item("account", cols.0.into_pyarray(py))?;
        out.set_item("currency", cols.1)?;
        let [e, im, mm, u, fc, down, up, var, es] = cols.2;
        out.set_item("equity", e.into_pyarray(py))?;
        out.set_item("initial_margin", im.into_pyarray(py))?;
        out.set_item("maintenance_margin", mm.into_pyarray(py))?;
        out.set_item("margin_utilisation", u.into_pyarray(py))?;
        out.set_item("free_collateral", fc.into_pyarray(py))?;
        out.set_item("liquidation_move_down", down.into_pyarray(py))?;
        out.set_item("liquidation_move_up", up.into_pyarray(py))?;
        out.set_item("var_99_usd", var.into_pyarray(py))?;
        out.set_item("es_99_usd", es.into_pyarray(py))?;
        out.set_item("errors", errors)?;
        Ok(out)
    }
}
