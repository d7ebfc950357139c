//! `ballast.Exchange`: one market snapshot and Deribit's portfolio-margin parameters, and the
//! margin of many accounts on them — the per-account work of a scale-out job (a Dask, Ray or
//! Spark worker calls it on each batch of positions).

use crate::fail;
use ballast::instrument::Position;
use ballast::margin::deribit::{book_margin, PmParams};
use ballast::market::MarketSnapshot;
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Most positions one call takes (a batch; split bigger tables).
const MAX_ROWS: usize = 50_000_000;

/// A market snapshot and the portfolio-margin parameters every account is margined on.
#[pyclass(frozen, module = "ballast")]
pub struct Exchange {
    market: MarketSnapshot,
    params: PmParams,
}

/// One account's rows: (currency, equity, initial margin, maintenance margin, utilisation, free
/// collateral, index move to liquidation down, up).
type AccountRows = Vec<(String, f64, f64, f64, f64, f64, f64, f64)>;

impl Exchange {
    fn account(&self, positions: Vec<Position>, btc: f64, eth: f64) -> Result<AccountRows, String> {
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
                (
                    c.currency.clone(),
                    c.equity,
                    c.initial_margin,
                    c.maintenance_margin,
                    c.margin_utilisation,
                    c.free_collateral,
                    fall,
                    rise,
                )
            })
            .collect())
    }
}

#[pymethods]
impl Exchange {
    /// From a portfolio file with a `[market]` section (Deribit chains, futures, as_of) and
    /// `[margin] deribit_params` (e.g. `examples/derivatives.toml`); its positions are not used.
    #[new]
    fn new(portfolio: &str) -> PyResult<Self> {
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
        let book = ballast::io::load_book(&pf).map_err(fail)?;
        Ok(Self {
            market: book.market,
            params,
        })
    }

    /// The instruments the snapshot can margin (live at its instant): Deribit options, then
    /// futures and perpetuals.
    fn instruments(&self) -> Vec<String> {
        // the quotes' Deribit names (`BTC-26JUN26-70000-C`), not the snapshot's internal keys
        let mut options: Vec<String> = self.market.options.values().map(|q| q.name.clone()).collect();
        options.sort();
        let mut futures: Vec<String> = self
            .market
            .futures
            .keys()
            .filter(|n| {
                // margined alone (an expired future is refused by the risk matrix)
                Position::new(n, 1.0, "deribit")
                    .ok()
                    .is_some_and(|p| self.account(vec![p], 1e6, 1e6).is_ok())
            })
            .cloned()
            .collect();
        futures.sort();
        options.extend(futures);
        options
    }

    /// Deribit portfolio margin of every account, in parallel: positions as rows (`account`,
    /// `instrument`, `size`: options and futures in coins or USD as Deribit counts them; rows
    /// of an account need not be adjacent) and equity per account (`equity_account`,
    /// `equity_btc`, `equity_eth`, in coins). Returns a dict of NumPy columns, one row per
    /// (account, settlement currency): `account`, `currency`, `equity`, `initial_margin`,
    /// `maintenance_margin`, `margin_utilisation` (MM / equity), `free_collateral`,
    /// `liquidation_move_down` / `_up` (the index move, as a fraction, at which MM = equity; NaN
    /// when none within the search), and `errors`: (account, message) for accounts that could
    /// not be margined (an unknown instrument, no equity).
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
                        self.account(positions, btc, eth)
                    })();
                    (*a, result)
                })
                .collect::<Vec<_>>()
        });
        let mut cols: (Vec<i64>, Vec<String>, [Vec<f64>; 7]) = (Vec::new(), Vec::new(), Default::default());
        let mut errors: Vec<(i64, String)> = Vec::new();
        for (a, r) in rows {
            match r {
                Ok(list) => {
                    for (cur, e, im, mm, u, fc, down, up) in list {
                        cols.0.push(a);
                        cols.1.push(cur);
                        for (c, v) in cols.2.iter_mut().zip([e, im, mm, u, fc, down, up]) {
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
        let [e, im, mm, u, fc, down, up] = cols.2;
        out.set_item("equity", e.into_pyarray(py))?;
        out.set_item("initial_margin", im.into_pyarray(py))?;
        out.set_item("maintenance_margin", mm.into_pyarray(py))?;
        out.set_item("margin_utilisation", u.into_pyarray(py))?;
        out.set_item("free_collateral", fc.into_pyarray(py))?;
        out.set_item("liquidation_move_down", down.into_pyarray(py))?;
        out.set_item("liquidation_move_up", up.into_pyarray(py))?;
        out.set_item("errors", errors)?;
        Ok(out)
    }
}
