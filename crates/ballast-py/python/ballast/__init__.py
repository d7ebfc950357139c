"""Ballast from Python: the Rust engine's covariance, allocation, risk, Black-76 and backtests.

Prices are a pandas DataFrame with dates as the index and assets as columns (the layout of
``crypto_daily_close.csv``); NaN is "no price" (not listed yet, delisted, a gap) and is never
filled. Conventions are the library's: simple daily returns, 365 periods a year, sample
covariance with ddof = 1, losses as positive fractions of value. Options take the same names as
the ``ballast`` command line's flags and the portfolio file's keys (``max_weight``,
``risk_aversion``, ``views``...). Every computation releases the GIL. Errors raise
:class:`BallastError`, a ``ValueError``, with the library's message.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _native
from ._native import BallastError, Exchange

__all__ = [
    "Allocation",
    "BacktestReport",
    "BallastError",
    "Exchange",
    "margin_accounts",
    "backtest",
    "black76",
    "covariance",
    "garch",
    "implied_vol",
    "greeks",
    "margin",
    "optimize",
    "report",
    "risk",
    "stress",
    "var",
]


def _frame(prices: Any, name: str = "prices") -> pd.DataFrame:
    """A dates × assets DataFrame from a DataFrame, a Series or an Arrow table, checked."""
    if hasattr(prices, "to_pandas") and not isinstance(prices, (pd.DataFrame, pd.Series)):
        prices = prices.to_pandas()  # a pyarrow Table: a 'date' column and one column per asset
        if "date" in prices.columns:
            prices = prices.set_index("date")
    if isinstance(prices, pd.Series):
        prices = prices.to_frame(name=prices.name if prices.name is not None else "asset")
    if not isinstance(prices, pd.DataFrame):
        raise TypeError(
            f"{name}: expected a pandas DataFrame with dates as the index and assets as columns "
            f"(or a Series, or an Arrow table with a 'date' column), got {type(prices).__name__}"
        )
    if prices.shape[0] == 0 or prices.shape[1] == 0:
        raise BallastError(f"{name}: the table is empty ({prices.shape[0]} rows × {prices.shape[1]} columns)")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(prices.index))
    except (ValueError, TypeError) as e:
        raise BallastError(f"{name}: the index must be dates (YYYY-MM-DD): {e}") from None
    dup = index[index.duplicated()]
    if len(dup):
        raise BallastError(
            f"{name}: date {dup[0].date()} appears more than once ({len(dup)} duplicate rows); "
            "give one row per date"
        )
    cols = [str(c) for c in prices.columns]
    if len(set(cols)) != len(cols):
        seen = {c for c in cols if cols.count(c) > 1}
        raise BallastError(f"{name}: column {sorted(seen)[0]} appears more than once")
    bad = [c for c, t in zip(cols, prices.dtypes) if not (pd.api.types.is_numeric_dtype(t))]
    if bad:
        raise BallastError(f"{name}: column {bad[0]} is not numeric ({prices[prices.columns[cols.index(bad[0])]].dtype})")
    out = pd.DataFrame(prices.to_numpy(dtype=np.float64), index=index, columns=cols)
    return out


def _args(prices: Any, returns: bool = False) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Dates as days since 1970-01-01 (int64), asset names, dates × assets float64 values."""
    df = _frame(prices, "returns" if returns else "prices")
    values = df.to_numpy(dtype=np.float64)
    days = df.index.values.astype("datetime64[D]").astype(np.int64)
    if returns:
        if np.isnan(values).any():
            r, c = np.argwhere(np.isnan(values))[0]
            raise BallastError(
                f"returns: NaN at {df.index[r].date()} for {df.columns[c]}; give prices instead "
                "(gaps in prices are kept as gaps, never filled)"
            )
        if (values <= -1).any():
            r, c = np.argwhere(values <= -1)[0]
            raise BallastError(f"returns: {values[r, c]} at {df.index[r].date()} for {df.columns[c]} is a loss of 100 % or more")
        # the price path whose simple returns these are (one base row the day before)
        values = np.vstack([np.ones(values.shape[1]), np.cumprod(1.0 + values, axis=0)])
        days = np.concatenate([[days[0] - 1], days])
    return np.ascontiguousarray(days), list(df.columns), np.ascontiguousarray(values)


def _window(window: int, end: Any, assets: Sequence[str] | None, log_returns: bool, drop_incomplete: bool) -> str:
    req: dict[str, Any] = {"window": int(window), "log_returns": bool(log_returns), "drop_incomplete": bool(drop_incomplete)}
    if end is not None:
        req["end"] = pd.Timestamp(end).date().isoformat()
    if assets is not None:
        req["assets"] = [str(a) for a in assets]
    return json.dumps(req)


def _estimator(estimator: str, ewma_lambda: float | None, repair_psd: bool, history: str, min_overlap: int | None) -> str:
    req: dict[str, Any] = {"estimator": estimator, "repair_psd": bool(repair_psd), "history": history}
    if ewma_lambda is not None:
        req["ewma_lambda"] = float(ewma_lambda)
    if min_overlap is not None:
        req["min_overlap"] = int(min_overlap)
    return json.dumps(req)


def _series(m: Mapping[str, Any] | None, name: str) -> pd.Series:
    m = m or {}
    return pd.Series({k: (math.nan if v is None else v) for k, v in m.items()}, name=name, dtype=float)


def covariance(
    prices_or_returns: Any,
    estimator: str = "sample",
    window: int = 730,
    *,
    returns: bool = False,
    end: Any = None,
    assets: Sequence[str] | None = None,
    log_returns: bool = False,
    drop_incomplete: bool = False,
    ewma_lambda: float | None = None,
    repair_psd: bool = False,
    history: str = "common",
    min_overlap: int | None = None,
) -> pd.DataFrame:
    """Annualised covariance (×365) of the last ``window`` daily returns, assets × assets.

    ``estimator``: sample, ewma, ledoit-wolf, ledoit-wolf-cc, oas, ccc-ewma, ccc-garch,
    ccc-garch-t. ``history="pairwise"`` keeps every coin and estimates each pair over the dates
    both have. ``df.attrs`` holds the estimator, shrinkage, repair and window.
    """
    d, a, v = _args(prices_or_returns, returns)
    text = _native.covariance(d, a, v, _window(window, end, assets, log_returns, drop_incomplete),
                              _estimator(estimator, ewma_lambda, repair_psd, history, min_overlap))
    r = json.loads(text)
    out = pd.DataFrame(r["matrix"], index=r["assets"], columns=r["assets"])
    out.attrs.update({k: r.get(k) for k in ("estimator", "shrinkage", "repaired_min_eigenvalue", "window", "pairwise")})
    return out


@dataclass
class Allocation:
    """Target weights with their risk (``ballast optimize``'s JSON as pandas).

    ``weights`` (fractions of value; the rest is ``cash``), ``risk_contributions`` (percent,
    summing to 1), ``volatility`` (annual), ``expected_return`` (annual), ``sharpe``, ``status``
    and ``raw``: every field of the JSON (method details, solver, covariance, window).
    """

    method: str
    weights: pd.Series
    risk_contributions: pd.Series
    volatility: float
    expected_return: float | None
    sharpe: float | None
    cash: float
    status: str
    raw: dict = field(repr=False)


def optimize(
    prices: Any,
    method: str = "erc",
    *,
    window: int = 730,
    end: Any = None,
    assets: Sequence[str] | None = None,
    log_returns: bool = False,
    drop_incomplete: bool = False,
    estimator: str = "sample",
    ewma_lambda: float | None = None,
    repair_psd: bool = False,
    history: str = "common",
    min_overlap: int | None = None,
    **params: Any,
) -> Allocation:
    """Allocate with ``method`` (every method of ``ballast optimize``: erc, risk-budget,
    max-sharpe, hrp, min-cvar, efficient-cvar, black-litterman, ...) on the last ``window``
    returns; ``params`` are the request's keys (``max_weight=0.3``, ``budgets={...}``,
    ``views={"BTC": 0.2}``, ``constraints={...}``, ``mu="geometric"``, ...). An unknown key is an
    error listing the known ones.
    """
    d, a, v = _args(prices)
    options = {"method": method, **params}
    text = _native.optimize(d, a, v, _window(window, end, assets, log_returns, drop_incomplete),
                            _estimator(estimator, ewma_lambda, repair_psd, history, min_overlap),
                            json.dumps(options, default=_jsonable))
    r = json.loads(text)
    al = r["allocation"]
    al["window"] = r["window"]
    return Allocation(
        method=al["method"],
        weights=_series(al["weights"], "weight"),
        risk_contributions=_series(al["risk_contributions"], "risk_contribution"),
        volatility=al["volatility_annual"],
        expected_return=al.get("expected_return_annual"),
        sharpe=al.get("sharpe"),
        cash=al["cash"],
        status=al["status"],
        raw=al,
    )


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, pd.Series):
        return {str(k): float(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"{type(x).__name__} is not a valid option value")


def risk(
    prices: Any,
    weights: Mapping[str, float] | pd.Series,
    confidence: Iterable[float] = (0.95, 0.99),
    *,
    window: int = 730,
    end: Any = None,
    estimator: str = "sample",
    normalize: bool = False,
    value_usd: float | None = None,
) -> dict:
    """Risk of given weights: annual volatility, risk contributions, VaR and expected shortfall
    (positive one-day losses) at each confidence, drawdown, moments — ``ballast risk``'s JSON
    as a dict, with ``risk_contributions`` as a Series."""
    d, a, v = _args(prices)
    w = [(str(k), float(x)) for k, x in (weights.items() if hasattr(weights, "items") else weights)]
    text = _native.risk(d, a, v, _window(window, end, None, False, False),
                        _estimator(estimator, None, False, "common", None), w,
                        [float(c) for c in confidence], bool(normalize), value_usd)
    r = json.loads(text)
    if isinstance(r.get("risk_contributions"), dict):
        r["risk_contributions"] = _series(r["risk_contributions"], "risk_contribution")
    return r


def _column(x: Any, n: int | None, name: str, dtype: Any = np.float64) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object:
        raise BallastError(f"{name}: values must be numbers, got objects")
    arr = np.ascontiguousarray(arr, dtype=dtype).reshape(-1)
    if n is not None and arr.size == 1 and n != 1:
        arr = np.full(n, arr[0], dtype=dtype)
    if n is not None and arr.size != n:
        raise BallastError(f"{name}: {arr.size} values, expected {n} (or one for all)")
    return arr


def black76(F: Any, K: Any, T: Any, sigma: Any, is_call: Any, r: Any = 0.0, errors: str = "raise") -> pd.DataFrame:
    """Black-76 price and Greeks of every row (vectorised, the SIMD kernel): F forward, K
    strike, T years (365-day), sigma annual, r continuous rate; scalars broadcast. Columns:
    price (forward's currency), delta (dV/dF), gamma (per unit of F), vega (per vol point),
    theta (per day), rho (per 1 %), vanna, volga. Rows that cannot be priced raise, or with
    ``errors="nan"`` are NaN (their messages in ``df.attrs["errors"]``)."""
    sizes = [np.asarray(x).size for x in (F, K, T, sigma, is_call, r)]
    n = max(sizes)
    cols = _native.black76(_column(F, n, "F"), _column(K, n, "K"), _column(T, n, "T"),
                           _column(sigma, n, "sigma"), _column(r, n, "r"), _column(is_call, n, "is_call", np.bool_))
    errs = cols.pop("errors")
    if errs and errors == "raise":
        row, msg = errs[0]
        raise BallastError(f"row {row}: {msg}" + (f" (and {len(errs) - 1} more rows)" if len(errs) > 1 else ""))
    out = pd.DataFrame(cols)
    out.attrs["errors"] = errs
    return out


def implied_vol(price: Any, F: Any, K: Any, T: Any, is_call: Any, r: Any = 0.0, errors: str = "raise") -> np.ndarray:
    """Black-76 implied volatility (annual, decimal) of option prices in the forward's currency
    (Let's Be Rational where the fast Newton pass cannot prove 3e-14). Rows without one raise,
    or are NaN with ``errors="nan"``."""
    n = max(np.asarray(x).size for x in (price, F, K, T, is_call, r))
    iv, errs = _native.implied_vol(_column(price, n, "price"), _column(F, n, "F"), _column(K, n, "K"),
                                   _column(T, n, "T"), _column(r, n, "r"), _column(is_call, n, "is_call", np.bool_))
    if errs and errors == "raise":
        row, msg = errs[0]
        raise BallastError(f"row {row}: {msg}" + (f" (and {len(errs) - 1} more rows)" if len(errs) > 1 else ""))
    return iv


def garch(prices: Any, asset: str, dist: str = "normal", *, window: int = 730, end: Any = None, horizon: int = 10) -> dict:
    """GARCH(1,1) with constant mean on ``asset``'s daily returns in percent (as ``arch``):
    parameters, standard errors, log-likelihood, persistence and the volatility forecast
    ``horizon`` days ahead (``ballast garch``'s JSON as a dict). ``dist``: normal, student-t."""
    frame = _frame(prices)
    if str(asset) not in frame.columns:
        raise BallastError(f"garch: '{asset}' is not a column of prices ({', '.join(frame.columns[:12])}{', ...' if frame.shape[1] > 12 else ''})")
    d, a, v = _args(frame[[str(asset)]])
    return json.loads(_native.garch(d, a, v, _window(window, end, None, False, False), str(asset), dist, int(horizon)))


@dataclass
class BacktestReport:
    """A walk-forward backtest: ``equity`` (USD, dates × strategies), ``weights`` (one
    DataFrame of dates × assets per strategy), ``metrics`` (strategies × metrics) and ``raw``
    (``ballast backtest``'s JSON report)."""

    equity: pd.DataFrame
    weights: dict
    metrics: pd.DataFrame
    raw: dict = field(repr=False)


def backtest(strategy: Any) -> BacktestReport:
    """Run a strategy: a path to a TOML file like ``examples/backtest.toml``, its text, or a dict
    with the same keys; relative data paths are read from the file's folder (the current folder
    for text and dicts)."""
    import os

    text, base, name = None, os.getcwd(), "<strategy>"
    if isinstance(strategy, Mapping):
        text = json.dumps(strategy, default=_jsonable)
    elif isinstance(strategy, (str, os.PathLike)) and os.path.exists(strategy):
        path = os.fspath(strategy)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        base, name = os.path.dirname(os.path.abspath(path)), path
    elif isinstance(strategy, str):
        text = strategy
    else:
        raise TypeError("backtest: give a path to a strategy TOML file, its text, or a dict of the same keys")
    r = json.loads(_native.backtest(text, base, name))
    equity = pd.DataFrame({run["name"]: pd.Series(run["value_usd"], index=pd.to_datetime(run["dates"])) for run in r["runs"]})
    weights = {}
    for run in r["runs"]:
        n = len(run["assets"])
        w = np.asarray(run["weights"], dtype=float).reshape(-1, n) if n else np.zeros((len(run["dates"]), 0))
        weights[run["name"]] = pd.DataFrame(w, index=pd.to_datetime(run["dates"]), columns=run["assets"])
    rows = {s["name"]: {k: v for k, v in s.get("metrics", s).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            for s in r["report"].get("strategies", [])}
    return BacktestReport(equity=equity, weights=weights, metrics=pd.DataFrame(rows).T, raw=r["report"])


def report(portfolio: Any) -> dict:
    """The risk report and rebalancing plan of a portfolio file of holdings (the README's main
    job, ``ballast report PORTFOLIO --format json``) as a dict: current and post-trade risk
    (volatility, risk contributions, VaR / expected shortfall), the target allocation, the trades
    (units, USD notional, fees). Relative paths in the file are read from its folder."""
    import os

    return json.loads(_native.report(os.fspath(portfolio)))


_MARGIN_COLUMNS = ("account", "currency", "equity", "initial_margin", "maintenance_margin",
                   "margin_utilisation", "free_collateral", "liquidation_move_down", "liquidation_move_up",
                   "var_99_usd", "es_99_usd")


def _columns(table: Any, names: Sequence[str], what: str) -> dict:
    """Columns of a pandas DataFrame, a pyarrow Table or RecordBatch, as NumPy arrays."""
    if hasattr(table, "column_names"):  # pyarrow Table / RecordBatch: zero-copy where it can
        have = list(table.column_names)
        get = lambda n: table.column(n).to_numpy(zero_copy_only=False)  # noqa: E731
    elif isinstance(table, pd.DataFrame):
        have = [str(c) for c in table.columns]
        get = lambda n: table[n].to_numpy()  # noqa: E731
    else:
        raise TypeError(f"{what}: expected a pandas DataFrame or a pyarrow Table/RecordBatch, got {type(table).__name__}")
    missing = [n for n in names if n not in have]
    if missing:
        raise BallastError(f"{what}: no column {missing[0]!r} (columns: {', '.join(have)}); needs {', '.join(names)}")
    return {n: get(n) for n in names}


def margin_accounts(exchange: Exchange, positions: Any, equity: Any, errors: str = "raise") -> pd.DataFrame:
    """Deribit portfolio margin of many accounts on one market snapshot, in parallel.

    ``positions``: columns ``account`` (int), ``instrument`` (Deribit name), ``size`` (options
    and futures as Deribit counts them); ``equity``: ``account``, ``equity_btc``, ``equity_eth``
    (coins) and optionally ``equity_usdc`` (USD, for USDC-settled instruments), one row per
    account. One row out per (account, settlement currency): equity, initial and maintenance
    margin (coins), margin utilisation (MM / equity), free collateral, the index moves to
    liquidation down / up (fractions; NaN when none), and the one-day 99 % VaR and expected
    shortfall of the account's positions in USD (``var_99_usd``, ``es_99_usd``: every position
    fully revalued on each historical move of spot and, with options, implied vol, as
    ``ballast var``; the collateral's own USD moves are not included). Accounts that cannot be margined raise, or
    with ``errors="skip"`` are left out (listed in ``df.attrs["errors"]``). Takes and gives
    Arrow-friendly columns, so a Dask, Ray ``map_batches`` or Spark ``mapInArrow`` worker can call
    it on each batch.
    """
    p = _columns(positions, ("account", "instrument", "size"), "positions")
    e = _columns(equity, ("account", "equity_btc", "equity_eth"), "equity")
    as64 = lambda x, t: np.ascontiguousarray(np.asarray(x, dtype=t))  # noqa: E731
    has_usdc = "equity_usdc" in (equity.column_names if hasattr(equity, "column_names") else [str(c) for c in equity.columns])
    usdc = as64(_columns(equity, ("equity_usdc",), "equity")["equity_usdc"], np.float64) if has_usdc else None
    out = exchange.margin_accounts(
        as64(p["account"], np.int64), [str(x) for x in p["instrument"]], as64(p["size"], np.float64),
        as64(e["account"], np.int64), as64(e["equity_btc"], np.float64), as64(e["equity_eth"], np.float64),
        usdc,
    )
    errs = out.pop("errors")
    if errs and errors == "raise":
        acc, msg = errs[0]
        raise BallastError(f"account {acc}: {msg}" + (f" (and {len(errs) - 1} more accounts)" if len(errs) > 1 else ""))
    df = pd.DataFrame({k: out[k] for k in _MARGIN_COLUMNS})
    df.attrs["errors"] = errs
    return df


def _book_path(portfolio: Any) -> str:
    import os

    path = os.fspath(portfolio)
    if not os.path.exists(path):
        raise BallastError(f"{path}: no such portfolio file (a TOML book with [market], [[holding]] and [[position]] entries)")
    return path


def greeks(portfolio: Any) -> dict:
    """Greeks of a book (a portfolio file such as ``examples/derivatives.toml``): per position
    and in total — delta in coins (dV/dS), gamma per USD, vega USD per vol point, theta USD per
    day — and the P&L under the standard spot × vol shocks (``ballast greeks``'s JSON). The
    per-position table is also a DataFrame under ``"table"``."""
    r = json.loads(_native.greeks(_book_path(portfolio)))
    rows = r.get("positions")
    if isinstance(rows, list):
        r["table"] = pd.DataFrame(rows)
    return r


def var(portfolio: Any, confidence: Iterable[float] | None = None, *, window: int | None = None,
        scenarios: int | None = None, seed: int = 42, equity_usd: float | None = None) -> dict:
    """VaR and expected shortfall of a book, every position fully revalued on historical,
    filtered-historical (EWMA) and Monte Carlo (Student-t, ``scenarios`` draws, 100,000 by
    default as ``ballast var``; 0: historical only; ``seed``) moves of
    spot and implied vol, at 1 and 10 days (``ballast var``'s JSON, positive USD losses). A tidy
    DataFrame (method, horizon_days, confidence, var_usd, es_usd) is under ``"table"``."""
    conf = None if confidence is None else [float(c) for c in confidence]
    r = json.loads(_native.var(_book_path(portfolio), conf, window, None if scenarios is None else int(scenarios), int(seed), equity_usd))
    r["table"] = pd.DataFrame([
        {"method": x["method"], "horizon_days": x["horizon_days"], "confidence": line["confidence"],
         "var_usd": line["var_usd"], "es_usd": line["es_usd"]}
        for x in r["results"] for line in x["lines"]
    ])
    return r


def stress(portfolio: Any, equity_usd: float | None = None) -> dict:
    """Stress tests of a book: crypto crises replayed from the data, hypothetical shocks (vol
    points, skew and term tilt, theta, basis, funding) and the spot × vol grid (``ballast
    stress``'s JSON, P&L in USD)."""
    return json.loads(_native.stress(_book_path(portfolio), equity_usd))


def margin(portfolio: Any) -> dict:
    """Deribit portfolio margin of a book with its ``[margin]`` parameters and equity: the
    risk-matrix result, and per settlement currency the equity, initial and maintenance margin,
    utilisation, free collateral and the index moves to liquidation."""
    return json.loads(_native.margin(_book_path(portfolio)))
