"""Times the Python peers of the issue-15 computations on the inputs of examples/gaps_timing.rs and
prints them beside Ballast's times; run by scripts/compare_python_gaps.sh.
Arguments: SHARED_DIR BALLAST_JSONL (the example's output: one JSON line per case, in seconds)."""
import importlib.metadata as md
import json
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("JAX_ENABLE_X64", "1")  # before jax is imported (riskparityportfolio imports it)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import pandas as pd
from pypfopt import risk_models, EfficientCVaR
from statsmodels.stats.correlation_tools import corr_nearest
import riskparityportfolio as rpp
import jax

SHARED, BALLAST = sys.argv[1:3]
FREQ = 365
RUNS = 15
assert jax.config.jax_enable_x64, "jax must run in float64"
warnings.simplefilter("ignore")  # pypfopt / statsmodels warnings are reported once below, not per run
log = lambda *a: print(*a, file=sys.stderr, flush=True)
ballast = {}
for line in open(BALLAST):
    r = json.loads(line)
    ballast[r["case"]] = r


def timed(f):
    """Median of RUNS timed calls after one warm-up (as examples/gaps_timing.rs)."""
    f()
    ts = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[RUNS // 2]


rows = []  # (case, peer seconds, peer call, detail)

# ---------------------------------------------------------------- 1. pairwise covariance
full = pd.read_csv(f"{SHARED}/data/crypto_daily_close.csv", index_col=0, parse_dates=True).dropna(how="all")
pairwise_notes = []
for L in (730, 3000):
    log(f"== pairwise covariance, {L} days")
    window = full.iloc[-(L + 1):]
    returns = window.pct_change(fill_method=None).iloc[1:]
    keep = returns.columns[returns.count() >= 2]  # Ballast leaves out coins with < 2 returns
    window, returns = window[keep], returns[keep]
    case = f"pairwise_cov_{L}"
    cov = returns.cov()
    min_eig = np.linalg.eigvalsh(cov.to_numpy() * FREQ).min()
    shape = f"{returns.shape[0]} × {returns.shape[1]}, fewest returns {returns.count().min()}"
    rows.append((case, timed(lambda: returns.cov()), "pandas `returns.cov()`", shape))
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        S = risk_models.sample_cov(window, frequency=FREQ)
    fixed = any("positive semidefinite" in str(w.message) for w in wl)
    assert np.allclose(S.to_numpy(), cov.to_numpy() * FREQ, rtol=1e-12, atol=0) or fixed
    rows.append((case, timed(lambda: risk_models.sample_cov(window, frequency=FREQ)),
                 "PyPortfolioOpt `sample_cov(prices, frequency=365)`",
                 "with pct_change and its PSD check" + (" (spectral fix applied)" if fixed else "")))
    pairwise_notes.append(f"{L} days: smallest eigenvalue of the annual covariance {min_eig:.3g}")
    if L == 730:
        C = returns.corr().to_numpy()

# ---------------------------------------------------------------- 2. nearest correlation
log("== nearest correlation (730-day pairwise correlation)")


def higham(A, tol=1e-14, maxit=100000):
    """Higham (2002) alternating projections with Dykstra's correction, W = I, eigenvalues clipped
    at 0; stops when ||Y_k - Y_(k-1)||_F <= tol ||Y_k||_F (the rule of Ballast's nearest_correlation)."""
    Y = A.copy()
    dS = np.zeros_like(A)
    for k in range(1, maxit + 1):
        R = Y - dS
        lam, V = np.linalg.eigh(R)
        X = (V * np.maximum(lam, 0.0)) @ V.T
        dS = X - R
        Yn = X.copy()
        np.fill_diagonal(Yn, 1.0)
        change = np.linalg.norm(Yn - Y)
        Y = Yn
        if change <= tol * np.linalg.norm(Y):
            return Y, k
    raise RuntimeError("Higham loop did not converge")


n = len(C)
Yh, its_h = higham(C)
with warnings.catch_warnings(record=True) as wl:
    warnings.simplefilter("always")
    Xs = corr_nearest(C, threshold=1e-15, n_fact=100)
cap = any("Maximum iteration" in str(w.message) for w in wl)
rows.append(("nearest_correlation", timed(lambda: corr_nearest(C, threshold=1e-15, n_fact=100)),
             "statsmodels `corr_nearest(C, threshold=1e-15, n_fact=100)`",
             f"{'ran its cap of ' if cap else 'stopped before its cap of '}{100 * n} iterations; "
             f"max \\|X − Higham\\| {np.abs(Xs - Yh).max():.1e}"))
rows.append(("nearest_correlation", timed(lambda: higham(C)), "NumPy Higham/Dykstra loop (`eigh`)",
             f"{its_h} iterations, min eigenvalue of C {np.linalg.eigvalsh(C).min():.3f}"))

# ---------------------------------------------------------------- 3. efficient CVaR
log("== EfficientCVaR.efficient_risk")
rets = pd.read_csv(f"{SHARED}/reference/returns.csv", index_col=0, parse_dates=True)
assert rets.shape == (730, 39) and not rets.isna().any().any()
mu = rets.mean() * FREQ
target = ballast["efficient_cvar"]["target_cvar"]


def cvar_run():
    ef = EfficientCVaR(mu, rets, beta=0.95, weight_bounds=(0, 1), solver="CLARABEL")
    ef.efficient_risk(target)
    return ef


ef = cvar_run()
ret, cvar = ef.portfolio_performance()
rows.append(("efficient_cvar", timed(cvar_run),
             "PyPortfolioOpt `EfficientCVaR(..., solver=\"CLARABEL\").efficient_risk(target)`",
             f"target {target:.6f}: return {ret:.6f}, CVaR {cvar:.6f}"))

# ---------------------------------------------------------------- 4. ERC under a group cap
log("== riskparityportfolio design with a group cap")
Sigma = rets.cov().to_numpy()
N = Sigma.shape[0]
b = np.ones(N) / N
g = np.array([a in ("BTC", "ETH", "BNB", "TRX", "XRP") for a in rets.columns], dtype=float)
assert g.sum() == 5
D = np.vstack([-np.eye(N), g])
d = np.concatenate([np.zeros(N), [0.16]])


def rpp_run():
    port = rpp.RiskParityPortfolio(covariance=Sigma, budget=b)
    port.design(verbose=False, Cmat=np.ones((1, N)), cvec=np.array([1.0]), Dmat=D, dvec=d)
    return port


port = rpp_run()
w = np.asarray(port.weights, dtype=float)
rc = w * (Sigma @ w)
rc /= rc.sum()
rows.append(("erc_group_cap", timed(rpp_run), "riskparityportfolio `RiskParityPortfolio(...).design(Cmat, cvec, "
             "Dmat, dvec)`, default tolerances",
             f"{len(port.sca.objective_function) - 1} SCA iterations; group weight {g @ w:.6f}, "
             f"Σ(RC − b)² {np.sum((rc - b) ** 2):.6e}"))

# ---------------------------------------------------------------- table
def fmt(s):
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


print()
print("| case | Ballast | peer | peer / Ballast | peer call | detail (peer) |")
print("|---|---:|---:|---:|---|---|")
for case, t, name, detail in rows:
    tb = ballast[case]["seconds"]
    print(f"| `{case}` | {fmt(tb)} | {fmt(t)} | {t / tb:.3g}× | {name} | {detail} |")
print()
print("Note: Ballast's pairwise figures (`pairwise_estimate`, min overlap 60) also compute the pairwise "
      "correlation matrix and check the annual covariance is positive definite (a repair would run if "
      "not; " + "; ".join(pairwise_notes) + "). All times are medians of "
      f"{RUNS} runs after a warm-up.")
pkgs = ["numpy", "pandas", "scipy", "pyportfolioopt", "cvxpy", "clarabel", "riskparityportfolio",
        "quadprog", "jax", "jaxlib", "statsmodels"]
vers = []
for p in pkgs:
    try:
        vers.append(f"{p} {md.version(p)}")
    except md.PackageNotFoundError:
        vers.append(f"{p} (not installed)")
print(f"Peers: Python {platform.python_version()}, " + ", ".join(vers))
