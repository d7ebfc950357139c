//! `ballast._native`: the CPython extension behind the `ballast` Python package.
//!
//! A thin front end like the CLI: it parses (NumPy arrays, and requests as JSON text whose
//! keys are the library's — the same names as the CLI's flags and the portfolio file's keys),
//! calls `ballast`, and returns the library's serialized results (JSON text) or NumPy columns.
//! Every computation runs with the GIL released. Errors are `ballast.BallastError`, a subclass
//! of `ValueError`, carrying the library's message. The pandas layer is
//! `python/ballast/__init__.py`.

use ballast::analysis::{self, RiskRequest, WindowRequest};
use ballast::data::PricePanel;
use ballast::estimate::{CovarianceSpec, GarchDist};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::de::DeserializeOwned;
use std::fmt::Display;

mod exchange;

pyo3::create_exception!(
    _native,
    BallastError,
    pyo3::exceptions::PyValueError,
    "Bad input or a request Ballast cannot honour; the message says what, where and how to fix it."
);

pub(crate) fn fail(e: impl Display) -> PyErr {
    BallastError::new_err(e.to_string())
}

/// A request's JSON text as the library's type (`what` names it in errors).
fn parse<T: DeserializeOwned>(json: &str, what: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| fail(format!("{what}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(fail)
}

/// Most cells a price table may have (dates × assets), so an absurd array is refused before any
/// work: 10,000 dates × 10,000 assets.
const MAX_CELLS: usize = 100_000_000;

/// A price panel from dates (days since 1970-01-01, as NumPy's `datetime64[D]`), asset names and
/// a dates × assets array (NaN = no price).
fn panel(
    dates: &PyReadonlyArray1<'_, i64>,
    assets: Vec<String>,
    values: &PyReadonlyArray2<'_, f64>,
) -> PyResult<PricePanel> {
    let shape = values.shape();
    let dates = dates.as_slice()?;
    if shape[0] != dates.len() || shape[1] != assets.len() {
        return Err(fail(format!(
            "prices: {} × {} values for {} dates and {} assets",
            shape[0],
            shape[1],
            dates.len(),
            assets.len()
        )));
    }
    if shape[0].saturating_mul(shape[1]) > MAX_CELLS {
        return Err(fail(format!(
            "prices: {} × {} cells is more than the {MAX_CELLS} Ballast accepts",
            shape[0], shape[1]
        )));
    }
    let epoch = jiff::civil::date(1970, 1, 1);
    let days = dates
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            jiff::Span::new()
                .try_days(d)
                .ok()
                .and_then(|s| epoch.checked_add(s).ok())
                .ok_or_else(|| {
                    fail(format!(
                        "prices: row {i}: day {d} since 1970-01-01 is not a date Ballast can use"
                    ))
                })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let data = values.as_array().iter().copied().collect();
    PricePanel::new(days, assets, data).map_err(fail)
}

/// The covariance report (`ballast covariance --format json`).
#[pyfunction]
fn covariance(
    py: Python<'_>,
    dates: PyReadonlyArray1<'_, i64>,
    assets: Vec<String>,
    values: PyReadonlyArray2<'_, f64>,
    window: &str,
    estimator: &str,
) -> PyResult<String> {
    let p = panel(&dates, assets, &values)?;
    let w: WindowRequest = parse(window, "window")?;
    let c: CovarianceSpec = parse(estimator, "covariance")?;
    let r = py.detach(|| analysis::covariance(&p, &w, &c)).map_err(fail)?;
    to_json(&r)
}

/// The allocation report (`ballast optimize --format json`).
#[pyfunction]
fn optimize(
    py: Python<'_>,
    dates: PyReadonlyArray1<'_, i64>,
    assets: Vec<String>,
    values: PyReadonlyArray2<'_, f64>,
    window: &str,
    estimator: &str,
    options: &str,
) -> PyResult<String> {
    let p = panel(&dates, assets, &values)?;
    let w: WindowRequest = parse(window, "window")?;
    let c: CovarianceSpec = parse(estimator, "covariance")?;
    let spec: ballast::allocate::AllocationSpec = parse(options, "optimize")?;
    let r = py
        .detach(|| analysis::optimize(&p, &w, &c, &spec))
        .map_err(fail)?;
    to_json(&r)
}

/// The risk report of given weights (`ballast risk --format json`).
#[pyfunction]
#[pyo3(signature = (dates, assets, values, window, estimator, weights, confidences, normalize, value_usd=None))]
#[allow(clippy::too_many_arguments)]
fn risk(
    py: Python<'_>,
    dates: PyReadonlyArray1<'_, i64>,
    assets: Vec<String>,
    values: PyReadonlyArray2<'_, f64>,
    window: &str,
    estimator: &str,
    weights: Vec<(String, f64)>,
    confidences: Vec<f64>,
    normalize: bool,
    value_usd: Option<f64>,
) -> PyResult<String> {
    let p = panel(&dates, assets, &values)?;
    let w: WindowRequest = parse(window, "window")?;
    let c: CovarianceSpec = parse(estimator, "covariance")?;
    let req = RiskRequest {
        weights: &weights,
        normalize,
        confidences: &confidences,
        value_usd,
        factors: None,
        factor_prices: None,
    };
    let r = py.detach(|| analysis::risk(&p, &w, &c, &req)).map_err(fail)?;
    to_json(&r)
}

/// A GARCH(1,1) fit and forecast of one asset (`ballast garch --format json`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn garch(
    py: Python<'_>,
    dates: PyReadonlyArray1<'_, i64>,
    assets: Vec<String>,
    values: PyReadonlyArray2<'_, f64>,
    window: &str,
    asset: &str,
    dist: &str,
    horizon: usize,
) -> PyResult<String> {
    let p = panel(&dates, assets, &values)?;
    let w: WindowRequest = parse(window, "window")?;
    let d: GarchDist = parse(&format!("\"{}\"", dist.replace('"', "")), "dist")?;
    let r = py
        .detach(|| analysis::garch(&p, &w, asset, d, horizon))
        .map_err(fail)?;
    to_json(&r)
}

fn same_length(n: usize, others: &[(&str, usize)]) -> PyResult<()> {
    match others.iter().find(|(_, m)| *m != n) {
        Some((name, m)) => Err(fail(format!("{name} has {m} entries, the first array {n}"))),
        None => Ok(()),
    }
}

/// Black-76 price and Greeks of every row (the vectorised kernel): a dict of NumPy columns
/// (`price` USD, `delta`, `gamma` per USD, `vega` per vol point, `theta` per day, `rho` per 1 %,
/// `vanna`, `volga`) and `errors`, a list of (row, message) for rows that could not be priced
/// (NaN in every column).
#[pyfunction]
fn black76<'py>(
    py: Python<'py>,
    forward: PyReadonlyArray1<'py, f64>,
    strike: PyReadonlyArray1<'py, f64>,
    time: PyReadonlyArray1<'py, f64>,
    vol: PyReadonlyArray1<'py, f64>,
    rate: PyReadonlyArray1<'py, f64>,
    is_call: PyReadonlyArray1<'py, bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let (f, k, t, v, r, c) = (
        forward.as_slice()?,
        strike.as_slice()?,
        time.as_slice()?,
        vol.as_slice()?,
        rate.as_slice()?,
        is_call.as_slice()?,
    );
    same_length(
        f.len(),
        &[
            ("strike", k.len()),
            ("time", t.len()),
            ("sigma", v.len()),
            ("rate", r.len()),
            ("is_call", c.len()),
        ],
    )?;
    let g = py.detach(|| ballast::pricing::black76_columns(f, k, t, v, r, c));
    let out = PyDict::new(py);
    out.set_item("price", g.price.into_pyarray(py))?;
    out.set_item("delta", g.delta.into_pyarray(py))?;
    out.set_item("gamma", g.gamma.into_pyarray(py))?;
    out.set_item("vega", g.vega.into_pyarray(py))?;
    out.set_item("theta", g.theta.into_pyarray(py))?;
    out.set_item("rho", g.rho.into_pyarray(py))?;
    out.set_item("vanna", g.vanna.into_pyarray(py))?;
    out.set_item("volga", g.volga.into_pyarray(py))?;
    let errors: Vec<(usize, String)> = g.errors.iter().map(|(i, e)| (*i, e.to_string())).collect();
    out.set_item("errors", errors)?;
    Ok(out)
}

/// Black-76 implied volatility of every row (annual, decimal): a NumPy column and the
/// (row, message) list of rows with none (NaN there).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn implied_vol<'py>(
    py: Python<'py>,
    price: PyReadonlyArray1<'py, f64>,
    forward: PyReadonlyArray1<'py, f64>,
    strike: PyReadonlyArray1<'py, f64>,
    time: PyReadonlyArray1<'py, f64>,
    rate: PyReadonlyArray1<'py, f64>,
    is_call: PyReadonlyArray1<'py, bool>,
) -> PyResult<(Bound<'py, numpy::PyArray1<f64>>, Vec<(usize, String)>)> {
    let (p, f, k, t, r, c) = (
        price.as_slice()?,
        forward.as_slice()?,
        strike.as_slice()?,
        time.as_slice()?,
        rate.as_slice()?,
        is_call.as_slice()?,
    );
    same_length(
        p.len(),
        &[
            ("forward", f.len()),
            ("strike", k.len()),
            ("time", t.len()),
            ("rate", r.len()),
            ("is_call", c.len()),
        ],
    )?;
    let (iv, errors) = py.detach(|| {
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        ballast::pricing::implied_vol_into(&mut out, &mut errs, p, f, k, t, r, c);
        (out, errs)
    });
    let errors = errors.iter().map(|(i, e)| (*i, e.to_string())).collect();
    Ok((iv.into_pyarray(py), errors))
}

/// Run a backtest strategy file's text (`base` resolves its relative data paths, `file` names
/// it in errors): the report (`ballast backtest --format json`) and each strategy's daily
/// dates, values (USD), cash and weights.
#[pyfunction]
fn backtest(py: Python<'_>, toml: &str, base: &str, file: &str) -> PyResult<String> {
    // a strategy given as a dict arrives as JSON: the same keys, written as TOML
    let text = if toml.trim_start().starts_with('{') {
        let v: serde_json::Value = parse(toml, "strategy")?;
        ::toml::to_string(&v).map_err(|e| {
            fail(format!(
                "strategy: {e} (a dict with no None values, keys as in examples/backtest.toml)"
            ))
        })?
    } else {
        toml.to_string()
    };
    let bt = ballast::io::load_backtest_str(&text, file, std::path::Path::new(base)).map_err(fail)?;
    let (result, report) = py
        .detach(|| {
            let t0 = std::time::Instant::now();
            let result = bt.run(&mut || {});
            let report = ballast::backtest::BacktestReport::new(&bt, &result, t0.elapsed().as_secs_f64());
            report.map(|r| (result, r))
        })
        .map_err(fail)?;
    let runs: Vec<serde_json::Value> = result
        .runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "dates": r.dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "value_usd": r.nav,
                "cash": r.cash,
                "assets": bt.market.assets(),
                "weights": r.weights,
            })
        })
        .collect();
    to_json(&serde_json::json!({ "report": report, "runs": runs }))
}

/// The risk report and rebalancing plan of a portfolio file of holdings (`ballast report
/// PORTFOLIO --format json`, the README's main job).
#[pyfunction]
fn report(py: Python<'_>, path: &str) -> PyResult<String> {
    let pf = ballast::io::read_portfolio(path).map_err(fail)?;
    if !pf.positions.is_empty() {
        return Err(fail(format!(
            "{path}: a book with derivative [[position]] entries is reported by `ballast report` (the Python package reports portfolios of holdings so far)"
        )));
    }
    let panel = ballast::io::read_portfolio_prices(&pf).map_err(fail)?;
    let r = py
        .detach(|| ballast::portfolio::analyze(&pf, &panel))
        .map_err(fail)?;
    to_json(&r)
}

fn book_data(path: &str) -> PyResult<(ballast::portfolio::PortfolioFile, ballast::io::BookData)> {
    let pf = ballast::io::read_portfolio(path).map_err(fail)?;
    let data = ballast::io::load_book_data(&pf).map_err(fail)?;
    Ok((pf, data))
}

/// Greeks of a book (a portfolio file with `[market]`, `[[holding]]` and `[[position]]`) and its
/// P&L under the standard spot × vol shocks (`ballast greeks PORTFOLIO --format json`).
#[pyfunction]
fn greeks(py: Python<'_>, portfolio: &str) -> PyResult<String> {
    let pf = ballast::io::read_portfolio(portfolio).map_err(fail)?;
    let book = ballast::io::load_book(&pf).map_err(fail)?;
    let (g, sc) = py
        .detach(|| {
            let g = ballast::book::book_greeks(&book.positions, &book.market)?;
            let sc =
                ballast::book::scenario_pnl(&book.positions, &book.market, &ballast::book::STANDARD_SHOCKS)?;
            Ok::<_, ballast::book::BookError>((g, sc))
        })
        .map_err(fail)?;
    let mut v = serde_json::to_value(&g).map_err(fail)?;
    v["scenarios"] = serde_json::to_value(&sc).map_err(fail)?;
    to_json(&v)
}

/// VaR and expected shortfall of a book, every position fully revalued: historical, filtered
/// historical and Monte Carlo, 1 and 10 days (`ballast var PORTFOLIO --format json`).
#[pyfunction]
#[pyo3(signature = (portfolio, confidence=None, window=None, scenarios=None, seed=42, equity_usd=None))]
fn var(
    py: Python<'_>,
    portfolio: &str,
    confidence: Option<Vec<f64>>,
    window: Option<usize>,
    scenarios: Option<usize>,
    seed: u64,
    equity_usd: Option<f64>,
) -> PyResult<String> {
    let scenarios = scenarios.unwrap_or(ballast::scenario::McSpec::default().scenarios);
    let (pf, d) = book_data(portfolio)?;
    let conf = confidence.unwrap_or_else(|| pf.risk.confidence.clone());
    let req = analysis::BookVarRequest {
        prices: &d.prices,
        vol_history: d.vol_history.as_ref(),
        confidences: &conf,
        window: window.unwrap_or_else(|| pf.window()),
        end: pf.data.as_ref().and_then(|x| x.end),
        monte_carlo: (scenarios > 0).then_some(ballast::scenario::McSpec {
            scenarios,
            seed,
            ..Default::default()
        }),
        equity_usd,
        lambda: analysis::DEFAULT_EWMA_LAMBDA,
    };
    let r = py.detach(|| analysis::book_var(&d.book, &req)).map_err(fail)?;
    to_json(&r)
}

/// Stress tests of a book: the crypto crises replayed, hypothetical shocks and the spot × vol
/// grid (`ballast stress PORTFOLIO --format json`).
#[pyfunction]
#[pyo3(signature = (portfolio, equity_usd=None))]
fn stress(py: Python<'_>, portfolio: &str, equity_usd: Option<f64>) -> PyResult<String> {
    let (pf, d) = book_data(portfolio)?;
    let r = py
        .detach(|| analysis::stress(&d.book, &d.prices, d.vol_history.as_ref(), &pf.stress, equity_usd))
        .map_err(fail)?;
    to_json(&r)
}

/// Deribit portfolio margin of a book with the `[margin]` section's parameters and equity:
/// margins per settlement currency, utilisation and the index moves to liquidation.
#[pyfunction]
fn margin(py: Python<'_>, portfolio: &str) -> PyResult<String> {
    let pf = ballast::io::read_portfolio(portfolio).map_err(fail)?;
    let inputs = ballast::io::load_margin_inputs(&pf).map_err(fail)?.ok_or_else(|| {
        fail(format!(
            "{portfolio}: margin needs a [margin] section: deribit_params = \"PARAMS.toml\" and equity = {{ btc = ... }}"
        ))
    })?;
    let book = ballast::io::load_book(&pf).map_err(fail)?;
    let r = py
        .detach(|| {
            ballast::margin::deribit::deribit_margin(
                inputs.params.as_ref(),
                &book.positions,
                &book.market,
                &inputs.equity,
            )
        })
        .map_err(fail)?;
    to_json(&r)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BallastError", m.py().get_type::<BallastError>())?;
    m.add_function(wrap_pyfunction!(covariance, m)?)?;
    m.add_function(wrap_pyfunction!(optimize, m)?)?;
    m.add_function(wrap_pyfunction!(risk, m)?)?;
    m.add_function(wrap_pyfunction!(garch, m)?)?;
    m.add_function(wrap_pyfunction!(black76, m)?)?;
    m.add_function(wrap_pyfunction!(implied_vol, m)?)?;
    m.add_function(wrap_pyfunction!(backtest, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(greeks, m)?)?;
    m.add_function(wrap_pyfunction!(var, m)?)?;
    m.add_function(wrap_pyfunction!(stress, m)?)?;
    m.add_function(wrap_pyfunction!(margin, m)?)?;
    m.add_class::<exchange::Exchange>()?;
    Ok(())
}
