//! `ballast.Exchange`: the library's [`AccountEngine`] (one market snapshot, Deribit's
//! portfolio-margin parameters, the unit P&L of every live instrument) and the margin and VaR of
//! many accounts on it — the per-account work of a scale-out job (a Dask, Ray or Spark worker
//! calls it on each batch of positions).

use crate::fail;
use ballast::margin::accounts::{AccountEngine, AccountPositions};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeMap;

/// A market snapshot and the parameters every account is margined on.
#[pyclass(frozen, module = "ballast")]
pub struct Exchange {
    engine: AccountEngine,
}

#[pymethods]
impl Exchange {
    /// From a portfolio file with `[market]` (Deribit chains, futures, `as_of`, `vol_history`),
    /// `[data]` (daily prices, `window`, `end`: the VaR's historical moves) and `[margin]
    /// deribit_params` (e.g. `examples/derivatives.toml`); its positions are not used.
    #[new]
    fn new(py: Python<'_>, portfolio: &str) -> PyResult<Self> {
        let pf = ballast::io::read_portfolio(portfolio).map_err(fail)?;
        let engine = py
            .detach(|| ballast::io::load_account_engine(&pf))
            .map_err(|e| fail(format!("{portfolio}: {e}")))?;
        Ok(Self { engine })
    }

    /// The instruments the snapshot can margin (live at its instant): Deribit options, then
    /// futures and perpetuals.
    fn instruments(&self) -> Vec<String> {
        self.engine.instruments().to_vec()
    }

    /// First and last date of the historical one-day moves behind the VaR, and their number.
    fn history(&self) -> (String, String, usize) {
        let (a, b, n) = self.engine.history();
        (a.to_string(), b.to_string(), n)
    }

    /// Deribit portfolio margin and one-day 99 % VaR of every account, in parallel: positions as
    /// rows (`account`, `instrument`, `size`: options and futures in coins or USD as Deribit
    /// counts them; rows of an account need not be adjacent) and equity per account, one row
    /// each (`equity_account`, `equity_btc`, `equity_eth` in coins, optionally `equity_usdc` in
    /// USD for USDC-settled instruments). Returns a dict of NumPy columns, one row per
    /// (account, settlement currency): `account`, `currency`, `equity`, `initial_margin`,
    /// `maintenance_margin`, `margin_utilisation` (MM / equity), `free_collateral`,
    /// `liquidation_move_down` / `_up` (the index move, as a fraction, at which MM = equity;
    /// NaN when none within the search), `var_99_usd` / `es_99_usd` (the one-day historical VaR
    /// and expected shortfall at 99 % of the account's positions, USD, every position fully
    /// revalued; the collateral's own USD moves are not included), and `errors`: (account,
    /// message) for accounts that could not be margined (an unknown or expired instrument, no
    /// equity).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (account, instrument, size, equity_account, equity_btc, equity_eth, equity_usdc=None))]
    fn margin_accounts<'py>(
        &self,
        py: Python<'py>,
        account: PyReadonlyArray1<'py, i64>,
        instrument: Vec<String>,
        size: PyReadonlyArray1<'py, f64>,
        equity_account: PyReadonlyArray1<'py, i64>,
        equity_btc: PyReadonlyArray1<'py, f64>,
        equity_eth: PyReadonlyArray1<'py, f64>,
        equity_usdc: Option<PyReadonlyArray1<'py, f64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (acc, sz) = (account.as_slice()?, size.as_slice()?);
        let (eacc, ebtc, eeth) = (
            equity_account.as_slice()?,
            equity_btc.as_slice()?,
            equity_eth.as_slice()?,
        );
        let eusdc = match &equity_usdc {
            Some(u) => Some(u.as_slice()?),
            None => None,
        };
        if eacc.len() != ebtc.len()
            || eacc.len() != eeth.len()
            || eusdc.is_some_and(|u| u.len() != eacc.len())
        {
            return Err(fail(
                "equity: equity_account, equity_btc, equity_eth (and equity_usdc) differ in length",
            ));
        }
        let mut equity: BTreeMap<i64, BTreeMap<String, f64>> = BTreeMap::new();
        for (i, a) in eacc.iter().enumerate() {
            let mut e = BTreeMap::from([("btc".to_string(), ebtc[i]), ("eth".to_string(), eeth[i])]);
            if let Some(u) = eusdc {
                e.insert("usdc".to_string(), u[i]);
            }
            if equity.insert(*a, e).is_some() {
                return Err(fail(format!(
                    "equity: account {a} has two rows; give each account's equity once"
                )));
            }
        }
        let positions = AccountPositions {
            account: acc,
            instrument: &instrument,
            size: sz,
        };
        let results = py
            .detach(|| self.engine.accounts(positions, &equity))
            .map_err(fail)?;
        let (mut ids, mut cur) = (Vec::new(), Vec::new());
        let mut cols: [Vec<f64>; 9] = Default::default();
        let mut errors: Vec<(i64, String)> = Vec::new();
        for (a, r) in results {
            match r {
                Ok(risk) => {
                    for c in &risk.currencies {
                        let coin = c.currency.to_uppercase();
                        let liq = c.liquidation.iter().find(|l| l.coin == coin);
                        let mv = |p: Option<&ballast::margin::deribit::LiquidationPoint>| {
                            p.map_or(f64::NAN, |p| p.index_move)
                        };
                        let values = [
                            c.equity,
                            c.initial_margin,
                            c.maintenance_margin,
                            c.margin_utilisation,
                            c.free_collateral,
                            mv(liq.and_then(|l| l.fall.as_ref())),
                            mv(liq.and_then(|l| l.rise.as_ref())),
                            risk.var_99_usd,
                            risk.es_99_usd,
                        ];
                        ids.push(a);
                        cur.push(c.currency.clone());
                        for (col, v) in cols.iter_mut().zip(values) {
                            col.push(v);
                        }
                    }
                }
                Err(e) => errors.push((a, e.to_string())),
            }
        }
        let out = PyDict::new(py);
        out.set_item("account", ids.into_pyarray(py))?;
        out.set_item("currency", cur)?;
        let names = [
            "equity",
            "initial_margin",
            "maintenance_margin",
            "margin_utilisation",
            "free_collateral",
            "liquidation_move_down",
            "liquidation_move_up",
            "var_99_usd",
            "es_99_usd",
        ];
        for (name, col) in names.into_iter().zip(cols) {
            out.set_item(name, col.into_pyarray(py))?;
        }
        out.set_item("errors", errors)?;
        Ok(out)
    }
}
