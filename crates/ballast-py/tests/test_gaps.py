"""The options for the Python peers' users (issue 15) through the Python package, against the
peers' values in crates/ballast/tests/peers/python_gaps.json (scripts/peers_python_gaps.sh)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ballast

ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("BALLAST_SHARED", ROOT.parent / "shared"))
PEERS = json.loads((ROOT / "crates/ballast/tests/peers/python_gaps.json").read_text())


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    return pd.read_csv(SHARED / "reference" / "prices_window.csv", index_col=0, parse_dates=True)


@pytest.fixture(scope="module")
def caps() -> dict:
    return pd.read_csv(ROOT / "examples" / "market_caps.csv", index_col=0)["market_cap_usd"].to_dict()


def diff(got: pd.Series, want: dict) -> float:
    w = pd.Series(want, dtype=float)
    return float(np.max(np.abs(got[w.index].to_numpy() - w.to_numpy())))


def test_pairwise_history_and_hrp_on_it():
    panel = pd.read_csv(SHARED / "data" / "crypto_daily_close.csv", index_col=0, parse_dates=True)
    ref = PEERS["pairwise"]["730"]
    cov = ballast.covariance(panel, history="pairwise")
    want = pd.DataFrame(ref["cov_pairwise_annual"]["matrix"], index=ref["assets"], columns=ref["assets"])
    assert np.max(np.abs(cov.loc[want.index, want.columns].to_numpy() / want.to_numpy() - 1)) < 1e-11
    assert cov.attrs["pairwise"]["min_overlap"] == 144
    a = ballast.optimize(panel, "hrp", history="pairwise", hrp_correlation="pairwise")
    assert diff(a.weights, ref["hrp"]["single"]["weights"]) < 1e-12
    g = ballast.optimize(panel, "equal-weight", history="pairwise", mu="geometric")
    assert diff(pd.Series(g.raw["expected_returns"], dtype=float), ref["mean_geometric"]) < 1e-12


def test_capm_and_market_cap_black_litterman(window, caps):
    a = ballast.optimize(window, "equal-weight", mu="capm", market="BTC", risk_free=0.03)
    assert diff(pd.Series(a.raw["expected_returns"], dtype=float), PEERS["capm"]["btc_compounding"]["expected_returns"]) < 1e-13
    case = PEERS["black_litterman"]["cases"]["market_caps"]
    bl = ballast.optimize(window, "black-litterman", views={"BTC": 0.2, "ETH-SOL": 0.1}, prior="market-caps",
                          market_caps=caps, risk_aversion="market-implied")
    assert abs(bl.raw["risk_aversion"] - case["delta"]) < 1e-12
    assert diff(pd.Series(bl.raw["posterior_returns"], dtype=float), case["posterior_returns"]) < 1e-12
    assert diff(bl.weights, case["max_sharpe_weights"]) < 2e-6


def test_efficient_cvar_and_constrained_risk_parity(window):
    e = PEERS["efficient_cvar"]["arithmetic"]["efficient_risk"]["1.25x"]
    a = ballast.optimize(window, "efficient-cvar", target_cvar=e["target_cvar"])
    assert abs(a.raw["cvar"] - e["target_cvar"]) < 1e-9
    assert diff(a.weights, e["weights"]) < 5e-6
    rp = PEERS["risk_parity_constrained"]["cases"]["group_cap"]
    group = {"name": "majors", "assets": rp["constraint"]["group"], "max": rp["constraint"]["cap"]}
    a = ballast.optimize(window, "erc", constraints={"group": [group]})
    assert a.method == "erc" and a.raw["sca_converged"]
    assert diff(a.weights, rp["weights"]) < 1e-8
    with pytest.raises(ballast.BallastError, match="below the least one-day CVaR"):
        ballast.optimize(window, "efficient-cvar", target_cvar=0.01)
