"""Type stubs of the ``ballast`` package (shapes and units in each docstring of __init__.py)."""

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

class BallastError(ValueError):
    """Bad input or a request Ballast cannot honour; the message says what, where and how to fix it."""

def covariance(
    prices_or_returns: pd.DataFrame | pd.Series | Any,
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
    """Annualised (×365) covariance, assets × assets; ``df.attrs``: estimator, shrinkage, repair, window."""

@dataclass
class Allocation:
    method: str
    weights: pd.Series
    risk_contributions: pd.Series
    volatility: float
    expected_return: float | None
    sharpe: float | None
    cash: float
    status: str
    raw: dict

def optimize(
    prices: pd.DataFrame | Any,
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
    """Weights (fractions of value), risk contributions (summing to 1), annual volatility and return."""

def risk(
    prices: pd.DataFrame | Any,
    weights: Mapping[str, float] | pd.Series,
    confidence: Iterable[float] = (0.95, 0.99),
    *,
    window: int = 730,
    end: Any = None,
    estimator: str = "sample",
    normalize: bool = False,
    value_usd: float | None = None,
) -> dict:
    """Volatility, risk contributions, VaR / expected shortfall (positive one-day losses), drawdown."""

def black76(F: Any, K: Any, T: Any, sigma: Any, is_call: Any, r: Any = 0.0, errors: str = "raise") -> pd.DataFrame:
    """Columns price, delta, gamma, vega (per vol point), theta (per day), rho (per 1 %), vanna, volga; one row per option."""

def implied_vol(price: Any, F: Any, K: Any, T: Any, is_call: Any, r: Any = 0.0, errors: str = "raise") -> np.ndarray:
    """Annual implied volatility (decimal) per row."""

def garch(prices: pd.DataFrame | Any, asset: str, dist: str = "normal", *, window: int = 730, end: Any = None, horizon: int = 10) -> dict:
    """GARCH(1,1) parameters (returns in percent), log-likelihood and the volatility forecast."""

@dataclass
class BacktestReport:
    equity: pd.DataFrame
    weights: dict[str, pd.DataFrame]
    metrics: pd.DataFrame
    raw: dict

def backtest(strategy: Any) -> BacktestReport:
    """Run a strategy TOML file (path or text): equity (USD), weights per strategy, metrics."""

def report(portfolio: Any) -> dict:
    """The risk report and rebalancing plan of a portfolio file of holdings (``ballast report``'s JSON)."""

class Exchange:
    """A market snapshot and Deribit portfolio-margin parameters (from a portfolio file with [market] and [margin] deribit_params)."""
    def __init__(self, portfolio: str) -> None: ...
    def instruments(self) -> list[str]: ...
    def history(self) -> tuple[str, str, int]: ...
    def margin_accounts(self, account: np.ndarray, instrument: list[str], size: np.ndarray, equity_account: np.ndarray, equity_btc: np.ndarray, equity_eth: np.ndarray, equity_usdc: np.ndarray | None = None) -> dict: ...

def margin_accounts(exchange: Exchange, positions: Any, equity: Any, errors: str = "raise") -> pd.DataFrame:
    """One row per (account, currency): equity, initial / maintenance margin, utilisation, free collateral, liquidation moves."""

def greeks(portfolio: Any) -> dict:
    """Greeks per position and in total (delta in coins, gamma per USD, vega per vol point, theta per day), shocked P&L; ``"table"``: DataFrame."""

def var(portfolio: Any, confidence: Iterable[float] | None = None, *, window: int | None = None, scenarios: int | None = None, seed: int = 42, equity_usd: float | None = None) -> dict:
    """Full-revaluation VaR / expected shortfall (USD, positive losses) by method and horizon; ``"table"``: DataFrame."""

def stress(portfolio: Any, equity_usd: float | None = None) -> dict:
    """Stress-test P&L (USD) of crises, shocks and the spot × vol grid."""

def margin(portfolio: Any) -> dict:
    """Deribit portfolio margin per settlement currency, utilisation, liquidation moves."""
