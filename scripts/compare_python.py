"""Times the Python package (`ballast.X`) beside the peers crates/ballast-py/tests/test_peers.py checks
it against, on the same inputs (the shared data, read in place), and prints a markdown table: the
median of 15 timed calls after a warm-up (time.perf_counter), the compiled call alone (`_native`),
peer / Ballast, and the largest absolute difference of the results. Then the GIL check: 8 max-Sharpe
solves on ThreadPoolExecutor(2) vs in turn. Run by scripts/compare_python.sh. The peers run with one
BLAS thread (set here, before NumPy is imported); Ballast keeps its rayon pool (Black-76 uses it)."""
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"
os.environ.setdefault("JAX_ENABLE_X64", "1")  # riskparityportfolio's jax in float64, as the tests
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import importlib.metadata as md
import json
import platform
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import ballast
from ballast import _native

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BALLAST_SHARED", ROOT.parent / "shared"))
RUNS = 15
N_OPTIONS = 1_000_000
warnings.simplefilter("ignore")
log = lambda *a: print(*a, file=sys.stderr, flush=True)


def timed(f, runs=RUNS):
    """Median of `runs` timed calls after one warm-up."""
    f()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def maxabs(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)))


def native(fn, frame, *extra, estimator="sample", **options):
    """The compiled call alone (`ballast._native.<fn>`) on inputs converted beforehand: the engine
    plus the Rust side's date parsing and JSON; the rest of `ballast.X` is the Python wrapper."""
    d, a, v = ballast._args(frame)
    args = [d, a, v, ballast._window(730, None, None, False, False)]
    if fn != "garch":
        args.append(ballast._estimator(estimator, None, False, "common", None))
    if fn == "optimize":
        args.append(json.dumps(options))
    f = getattr(_native, fn)
    return lambda _=None: f(*args, *extra)


rows = []  # (case, Ballast call, Ballast s, native s, peer call, peer s, agreement)


def add(case, bcall, ballast_f, native_f, pcall, peer_f, agree):
    rows.append((case, bcall, timed(ballast_f), timed(native_f), pcall, timed(peer_f), agree))


window = pd.read_csv(SHARED / "reference" / "prices_window.csv", index_col=0, parse_dates=True)
returns = window.pct_change().iloc[1:]
panel = pd.read_csv(SHARED / "data" / "crypto_daily_close.csv", index_col=0, parse_dates=True)
cols = list(returns.columns)

# ---------------------------------------------------------------- 1. covariance
log("== covariance")
from sklearn.covariance import LedoitWolf

cov_b = lambda est: ballast.covariance(window, est, window=730)
b, p = cov_b("sample"), returns.cov() * 365
add("sample covariance", '`covariance(window, "sample")`', lambda: cov_b("sample"), native("covariance", window),
    "pandas `returns.cov() * 365`", lambda: returns.cov() * 365, f"{maxabs(b.loc[cols, cols], p.loc[cols, cols]):.1e}")
b, lw = cov_b("ledoit-wolf"), LedoitWolf().fit(returns)
add("Ledoit–Wolf", '`covariance(window, "ledoit-wolf")`', lambda: cov_b("ledoit-wolf"),
    native("covariance", window, estimator="ledoit-wolf"), "scikit-learn `LedoitWolf().fit(returns)`, × 365",
    lambda: LedoitWolf().fit(returns).covariance_ * 365,
    f"{maxabs(b.loc[cols, cols], lw.covariance_ * 365):.1e} "
    f"(shrinkage {abs(b.attrs['shrinkage'] - lw.shrinkage_):.0e})")
t_cov_from_prices = timed(lambda: window.pct_change().iloc[1:].cov())

# ---------------------------------------------------------------- 2. ERC
log("== ERC")
import riskparityportfolio as rpp

S = returns.cov().to_numpy()
bud = np.ones(len(S)) / len(S)
erc = lambda: rpp.vanilla.design(S, bud, tol=1e-12, maxiter=10_000)
opt = lambda method, **kw: (lambda: ballast.optimize(window, method, window=730, **kw))
add("ERC", '`optimize(window, "erc")`', opt("erc"), native("optimize", window, method="erc"),
    "riskparityportfolio `vanilla.design(S, b, tol=1e-12, maxiter=10000)`", erc,
    f"{maxabs(opt('erc')().weights[cols], erc()):.1e}")

# ---------------------------------------------------------------- 3. max-Sharpe
log("== max-Sharpe")
from pypfopt import EfficientFrontier, HRPOpt

mu, S365 = returns.mean() * 365, returns.cov() * 365
ms = lambda: EfficientFrontier(mu, S365, weight_bounds=(0, 1), solver="CLARABEL").max_sharpe(risk_free_rate=0.0)
w = pd.Series(ms())
add("max-Sharpe", '`optimize(window, "max-sharpe")`', opt("max-sharpe"),
    native("optimize", window, method="max-sharpe"),
    'PyPortfolioOpt `EfficientFrontier(mu, S, solver="CLARABEL").max_sharpe()`', ms,
    f"{maxabs(opt('max-sharpe')().weights[w.index], w):.1e}")

# ---------------------------------------------------------------- 4. HRP
log("== HRP")
w = pd.Series(HRPOpt(returns).optimize("single"))
add("HRP, single linkage", '`optimize(window, "hrp", linkage="single")`', opt("hrp", linkage="single"),
    native("optimize", window, method="hrp", linkage="single"), 'PyPortfolioOpt `HRPOpt(returns).optimize("single")`',
    lambda: HRPOpt(returns).optimize("single"), f"{maxabs(opt('hrp', linkage='single')().weights[w.index], w):.1e}")

# ---------------------------------------------------------------- 5. Black-76
log(f"== Black-76, {N_OPTIONS:,} options")
rng = np.random.default_rng(7)
F, K = rng.uniform(50, 150, N_OPTIONS), rng.uniform(50, 150, N_OPTIONS)
T, sig = rng.uniform(0.02, 2.0, N_OPTIONS), rng.uniform(0.2, 1.2, N_OPTIONS)
# r = 0: py_vollib_vectorized 0.1.1's `vectorized_black` ignores r (no e^{-rT}: 13.99 for 13.64 at
# F 100, K 90, T 0.5, σ 0.3, r 5 %) and its "black" Greeks are then Black–Scholes ones; at r = 0 all agree.
r, call = np.zeros(N_OPTIONS), rng.random(N_OPTIONS) < 0.5
flag = np.where(call, "c", "p")
g = ballast.black76(F, K, T, sig, call, r)
t_b76 = timed(lambda: ballast.black76(F, K, T, sig, call, r))
t_b76_native = timed(lambda: _native.black76(F, K, T, sig, r, call))
P = g.price.to_numpy()
iv_b = ballast.implied_vol(P, F, K, T, call, r, errors="nan")  # 72 deep in-the-money prices round to intrinsic
t_iv = timed(lambda: ballast.implied_vol(P, F, K, T, call, r, errors="nan"))
t_iv_native = timed(lambda: _native.implied_vol(P, F, K, T, r, call))
GREEKS = ("delta", "gamma", "vega", "theta")
try:
    import pvv_shim  # noqa: F401  (makes py_vollib_vectorized 0.1.1 work under numba 0.68)
    import py_vollib_vectorized as pvv

    def peer_b76():
        a = (flag, F, K, T, r, sig)
        # its per-Greek functions fail for model="black" in 0.1.1 (an extra argument); get_all_greeks
        # works (finite differences; it also computes rho)
        return {"price": pvv.vectorized_black(*a, return_as="numpy"),
                **pvv.get_all_greeks(*a, model="black", return_as="dict")}

    peer_iv = lambda: pvv.vectorized_implied_volatility_black(P, F, K, r, T, flag, return_as="numpy")
    m, scale = N_OPTIONS, 1.0
    b76_name = "py_vollib_vectorized 0.1.1 `vectorized_black` + `get_all_greeks(model=\"black\")`"
    iv_name = "py_vollib_vectorized `vectorized_implied_volatility_black`"
except Exception as e:  # not installable here: py_vollib's scalar functions on 10,000 rows, scaled
    log(f"py_vollib_vectorized unavailable ({type(e).__name__}: {e}); py_vollib's scalar black on 10,000 rows")
    from py_vollib.black import black
    from py_vollib.black.greeks import analytical as an
    from py_vollib.black.implied_volatility import implied_volatility as pv_iv

    m, scale = 10_000, N_OPTIONS / 10_000

    def peer_b76():
        rows_ = list(zip(flag[:m], F[:m], K[:m], T[:m], r[:m], sig[:m]))
        fs = [("price", black)] + [(name, getattr(an, name)) for name in GREEKS]
        return {name: np.array([f(*x) for x in rows_]) for name, f in fs}

    def peer_iv():
        out = np.full(m, np.nan)
        for i in range(m):
            try:
                out[i] = pv_iv(P[i], F[i], K[i], r[i], T[i], flag[i])
            except Exception:  # below intrinsic: no value, as Ballast's errors="nan"
                pass
        return out

    b76_name = "py_vollib `black` + `greeks.analytical` (scalar loop on 10,000 rows, × 100)"
    iv_name = "py_vollib `black.implied_volatility` (scalar loop on 10,000 rows, × 100)"
pb, runs_b76 = peer_b76(), 5 if scale == 1 else 3
diffs = ", ".join(f"{k} {maxabs(g[k].to_numpy()[:m], pb[k]):.0e}" for k in ("price",) + GREEKS)
rows.append((f"Black-76, {N_OPTIONS:,} options", "`black76(F, K, T, sigma, is_call)` (8 columns)", t_b76,
             t_b76_native, b76_name, timed(peer_b76, runs_b76) * scale, diffs))
iv_p = peer_iv()
ok = np.isfinite(iv_b[:m]) & np.isfinite(iv_p)
tv = (P - np.maximum(np.where(call, F - K, K - F), 0))[:m] > 1e-9 * F[:m]  # time value still carries σ
iv_detail = (f"{maxabs(iv_b[:m][ok], iv_p[ok]):.0e} on the {ok.sum():,} rows both solve (no value: Ballast "
             f"{(~np.isfinite(iv_b[:m])).sum()}, peer {(~np.isfinite(iv_p)).sum()}); vs σ where time value > "
             f"1e-9 F: Ballast {maxabs(iv_b[:m][ok & tv], sig[:m][ok & tv]):.0e}, "
             f"peer {maxabs(iv_p[ok & tv], sig[:m][ok & tv]):.0e}")
rows.append((f"implied vol, {N_OPTIONS:,} prices", "`implied_vol(price, F, K, T, is_call)`", t_iv, t_iv_native,
             iv_name, timed(peer_iv, runs_b76) * scale, iv_detail))

# ---------------------------------------------------------------- 6. GARCH
log("== GARCH(1,1)")
from arch import arch_model

r100 = panel["BTC"].dropna().pct_change().dropna().iloc[-730:] * 100
fit_arch = lambda: arch_model(r100, mean="Constant", vol="GARCH", p=1, q=1, dist="normal").fit(disp="off")
b, fa = ballast.garch(panel, "BTC", "normal", window=730), fit_arch()
pairs = [("mu", "mu"), ("omega", "omega"), ("alpha", "alpha[1]"), ("beta", "beta[1]")]
add("GARCH(1,1), BTC, 730 days", '`garch(panel, "BTC", "normal")`',
    lambda: ballast.garch(panel, "BTC", "normal", window=730), native("garch", panel, "BTC", "normal", 10),
    'arch `arch_model(100 r, mean="Constant", vol="GARCH", p=1, q=1).fit()`', fit_arch,
    f"params {max(abs(b['params'][o] - fa.params[t]) for o, t in pairs):.0e}, "
    f"log-lik Ballast − arch {b['loglikelihood'] - fa.loglikelihood:+.1e}")

# ---------------------------------------------------------------- the GIL
log("== GIL: 8 max-Sharpe solves, in turn vs on ThreadPoolExecutor(2)")
one = lambda _=None: ballast.optimize(window, "max-sharpe")
t_seq = timed(lambda: [one() for _ in range(8)], 7)
one_nat = native("optimize", window, method="max-sharpe")
with ThreadPoolExecutor(2) as ex:
    t_par = timed(lambda: list(ex.map(one, range(8))), 7)
    n_par = timed(lambda: list(ex.map(one_nat, range(8))), 7)
n_seq = timed(lambda: [one_nat() for _ in range(8)], 7)
t_conv = timed(lambda: ballast._args(window))  # the Python-side conversion (holds the GIL)
t_conv_panel = timed(lambda: ballast._args(panel))


def fmt(s):
    return f"{s:.3g} s" if s >= 1 else f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


print()
print("| case | Ballast call | Ballast | of which native | peer call | peer | peer / Ballast "
      "| max \\|Ballast − peer\\| |")
print("|---|---|---:|---:|---|---:|---:|---|")
for case, bcall, tb, tn, pcall, tp, agree in rows:
    print(f"| {case} | {bcall} | {fmt(tb)} | {fmt(tn)} | {pcall} | {fmt(tp)} | {tp / tb:.3g}× | {agree} |")
print()
print(f"GIL: 8 × `optimize(window, \"max-sharpe\")` in turn {fmt(t_seq)}, on ThreadPoolExecutor(2) {fmt(t_par)}: "
      f"speed-up {t_seq / t_par:.2f}× on {os.cpu_count()} cores (≈ 2× if the GIL is released); the native call "
      f"alone (inputs converted beforehand) {fmt(n_seq)} in turn, {fmt(n_par)} on 2 threads: {n_seq / n_par:.2f}×.")
print(f"Ballast's times are from prices, through the Python wrapper: the DataFrame → (dates, assets, values) "
      f"conversion alone takes {fmt(t_conv)} for the 731 × 39 window and {fmt(t_conv_panel)} for the "
      f"{panel.shape[0]:,} × {panel.shape[1]} panel (GARCH). The peers get returns, mu and S ready-made "
      f"(pct_change + cov of the window: {fmt(t_cov_from_prices)}), except HRPOpt, which gets returns.")
print(f"Times are medians of {RUNS} runs after a warm-up (Black-76 and implied vol peers: {runs_b76}; GIL: 7 "
      f"batches); "
      f"peers with one BLAS thread (OPENBLAS/OMP/MKL_NUM_THREADS=1); load average at the end "
      f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.")
pkgs = ["ballast", "numpy", "pandas", "scipy", "scikit-learn", "pyportfolioopt", "cvxpy", "clarabel",
        "riskparityportfolio", "jax", "arch", "py_vollib", "py_vollib_vectorized", "numba"]
installed = {d.metadata["Name"].lower().replace("-", "_"): d.version for d in md.distributions()}
vers = [f"{n} {installed.get(n.lower().replace('-', '_'), '(not installed)')}" for n in pkgs]
print(f"Python {platform.python_version()} ({sys.executable}), {platform.machine()}: " + ", ".join(vers))
