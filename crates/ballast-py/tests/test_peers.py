"""The Python package against the peers, called in the same test on the same inputs (the shared
data, read in place), at the tolerances of the Rust reference tests.

Run: ``scripts/test_python.sh`` (builds the wheel, installs it and the peers in a throwaway venv).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ballast

ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("BALLAST_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    """The 731 prices (730 returns, 39 coins) the peer references use."""
    return pd.read_csv(SHARED / "reference" / "prices_window.csv", index_col=0, parse_dates=True)


@pytest.fixture(scope="module")
def returns(window: pd.DataFrame) -> pd.DataFrame:
    return window.pct_change().iloc[1:]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(SHARED / "data" / "crypto_daily_close.csv", index_col=0, parse_dates=True)


def max_rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(a == b, 0.0, np.abs(a - b) / np.abs(b))
    return float(np.max(err)) if not np.isnan(err).any() else math.nan


def test_sample_covariance_matches_pandas(window, returns):
    got = ballast.covariance(window, "sample", window=730)
    want = returns.cov() * 365
    assert list(got.columns) == list(want.columns)
    assert max_rel(got.values, want.values) < 1e-12


def test_covariance_from_returns_equals_from_prices(window, returns):
    a = ballast.covariance(returns, "sample", window=730, returns=True)
    b = ballast.covariance(window, "sample", window=730)
    assert max_rel(a.values, b.values) < 1e-10


def test_ledoit_wolf_matches_scikit_learn(window, returns):
    from sklearn.covariance import LedoitWolf

    lw = LedoitWolf().fit(returns.values)
    got = ballast.covariance(window, "ledoit-wolf", window=730)
    assert abs(got.attrs["shrinkage"] - lw.shrinkage_) < 1e-12
    assert max_rel(got.values, lw.covariance_ * 365) < 1e-10


def test_erc_matches_riskparityportfolio(window, returns):
    import riskparityportfolio as rpp

    s = returns.cov().values
    want = rpp.vanilla.design(s, np.ones(len(s)) / len(s), tol=1e-12, maxiter=10_000)
    got = ballast.optimize(window, "erc", window=730)
    assert got.method == "erc"
    assert np.max(np.abs(got.weights[returns.columns].values - want)) < 1e-8
    assert abs(got.risk_contributions.sum() - 1) < 1e-12


def test_max_sharpe_matches_pypfopt(window, returns):
    from pypfopt import EfficientFrontier

    mu = returns.mean() * 365
    ef = EfficientFrontier(mu, returns.cov() * 365, weight_bounds=(0, 1), solver="CLARABEL")
    want = pd.Series(ef.max_sharpe(risk_free_rate=0.0))
    got = ballast.optimize(window, "max-sharpe", window=730)
    assert np.max(np.abs(got.weights[want.index] - want)) < 1e-6
    sharpe = ef.portfolio_performance(risk_free_rate=0.0)[2]
    assert got.sharpe >= sharpe - 1e-9


def test_hrp_matches_pypfopt(window, returns):
    from pypfopt import HRPOpt

    want = pd.Series(HRPOpt(returns).optimize(linkage_method="single"))
    got = ballast.optimize(window, "hrp", window=730, linkage="single")
    assert np.max(np.abs(got.weights[want.index] - want)) < 1e-12


def test_black76_matches_py_vollib():
    from py_vollib.black import black
    from py_vollib.black.greeks import analytical as g

    rng = np.random.default_rng(7)
    n = 200
    F = rng.uniform(50, 150, n)
    K = rng.uniform(50, 150, n)
    T = rng.uniform(0.02, 2.0, n)
    sig = rng.uniform(0.2, 1.2, n)
    r = rng.uniform(0.0, 0.05, n)
    call = rng.random(n) < 0.5
    got = ballast.black76(F, K, T, sig, call, r)
    for i in range(n):
        flag = "c" if call[i] else "p"
        assert abs(got.price[i] / black(flag, F[i], K[i], T[i], r[i], sig[i]) - 1) < 1e-10
        assert abs(got.delta[i] - g.delta(flag, F[i], K[i], T[i], r[i], sig[i])) < 1e-10
        assert abs(got.gamma[i] / g.gamma(flag, F[i], K[i], T[i], r[i], sig[i]) - 1) < 1e-9
        assert abs(got.vega[i] / g.vega(flag, F[i], K[i], T[i], r[i], sig[i]) - 1) < 1e-9
    iv = ballast.implied_vol(got.price.values, F, K, T, call, r)
    assert np.max(np.abs(iv - sig)) < 1e-10  # the price carries ~1e-16 relative error; vega can be small


def test_garch_matches_arch(panel):
    from arch import arch_model

    r = panel["BTC"].dropna().pct_change().dropna().iloc[-730:] * 100
    fit = arch_model(r, mean="Constant", vol="GARCH", p=1, q=1, dist="normal").fit(disp="off")
    got = ballast.garch(panel, "BTC", "normal", window=730)
    p = got["params"]
    for ours, theirs in [("mu", "mu"), ("omega", "omega"), ("alpha", "alpha[1]"), ("beta", "beta[1]")]:
        assert abs(p[ours] - fit.params[theirs]) <= 1e-4 * max(1.0, abs(fit.params[theirs])), ours
    assert got["loglikelihood"] >= fit.loglikelihood - 1e-6


def test_backtest_gives_equity_weights_and_metrics():
    bt = ballast.backtest(ROOT / "examples" / "backtest.toml")
    assert bt.equity.shape[1] == len(bt.weights) >= 2
    name = bt.equity.columns[0]
    w = bt.weights[name]
    assert (w.index == bt.equity.index).all()
    assert np.all(np.abs(w.sum(axis=1)) <= 1 + 1e-9)
    assert len(bt.metrics) == bt.equity.shape[1]


def test_bad_input_raises_clear_value_errors(window):
    with pytest.raises(ballast.BallastError, match="appears more than once"):
        ballast.covariance(pd.concat([window.iloc[:10], window.iloc[:10]]))
    with pytest.raises(ValueError, match="unknown field `max_wieght`"):
        ballast.optimize(window, "erc", max_wieght=0.3)
    with pytest.raises(ValueError, match="not numeric"):
        ballast.covariance(window.assign(BTC=window.BTC.astype(str)))
    with pytest.raises(ValueError, match="FOO"):
        ballast.optimize(window, "erc", assets=["BTC", "FOO"])
    with pytest.raises(ValueError, match="unknown variant"):
        ballast.optimize(window, "risk-parity")
    with pytest.raises(ValueError, match="not finite|> 0|positive"):
        ballast.covariance(window.assign(BTC=-window.BTC))
    with pytest.raises(ValueError, match="row 0"):
        ballast.black76([100.0], [100.0], [-1.0], [0.5], [True])
    assert math.isnan(ballast.black76([100.0], [100.0], [-1.0], [0.5], [True], errors="nan").price[0])
    with pytest.raises(ValueError, match="expected 3"):
        ballast.black76([100.0, 90.0, 80.0], [100.0, 100.0], 1.0, 0.5, True)
    with pytest.raises(TypeError, match="DataFrame"):
        ballast.covariance(window.values)
    with pytest.raises(ValueError, match="NaN"):
        ballast.covariance(window.pct_change(), returns=True)


def test_more_bad_input_and_other_input_forms(window):
    import pyarrow as pa

    # NaN in an option's inputs: that row is refused, named
    with pytest.raises(ValueError, match="row 1"):
        ballast.black76([100.0, float("nan")], [100.0, 100.0], 0.5, 0.5, [True, True])
    # weights naming a coin the prices do not have
    with pytest.raises(ValueError, match="FOO"):
        ballast.risk(window, {"BTC": 0.5, "FOO": 0.5})
    # wrong dtype for is_call / strings for numbers
    with pytest.raises(ValueError, match="numbers"):
        ballast.black76(np.array(["100"], dtype=object), [100.0], 0.5, 0.5, [True])
    # an Arrow table with a date column gives the same as the DataFrame
    table = pa.Table.from_pandas(window.reset_index().rename(columns={window.index.name or "index": "date"}))
    a = ballast.covariance(table, window=730)
    b = ballast.covariance(window, window=730)
    assert np.array_equal(a.to_numpy(), b.to_numpy())
    # a Series is one coin
    assert ballast.covariance(window["BTC"], window=730).shape == (1, 1)
    # dates out of order are refused by the engine, not reordered silently
    with pytest.raises(ValueError, match="ascending|order"):
        ballast.covariance(window.iloc[::-1])


def test_backtest_from_a_dict(tmp_path):
    import tomllib

    spec = tomllib.loads((ROOT / "examples" / "backtest.toml").read_text())
    for key in ("prices", "volumes", "funding"):
        if key in spec["data"]:
            spec["data"][key] = str((ROOT / "examples" / spec["data"][key]).resolve())
    spec["strategy"] = spec["strategy"][:2]
    bt = ballast.backtest(spec)
    assert list(bt.equity.columns) == [s["name"] for s in spec["strategy"]]
    with pytest.raises(ValueError, match="unknown field"):
        ballast.backtest({**spec, "bogus": 1})
