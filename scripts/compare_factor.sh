#!/usr/bin/env bash
# Side-by-side timing of factor-model fits and factor risk parity on the same returns:
# Ballast (Rust) versus Riskfolio-Lib and skfolio (Python; installed into a throwaway venv with
# the versions shared/reference/factor.json was made with). Inputs: the bundled panel's last 730
# daily simple returns of the 39 complete coins (the reference window), factors BTC and ETH.
# Prints a table with the speed ratio (peer / Ballast, >1: Ballast is faster) and the largest
# difference between Ballast's results and the peer's.
#
# Usage: scripts/compare_factor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== building Ballast (release) and timing it" >&2
cargo build --release -q -p ballast --example factor_timing
./target/release/examples/factor_timing "$work/in" > "$work/ballast.jsonl"

echo "== installing the peers in a throwaway venv ($work/venv)" >&2
python3 -m venv "$work/venv"
# the versions of shared/reference/README.md (riskfolio-lib 7.4.0, skfolio 1.12.2 and the
# numerical stack under them)
"$work/venv/bin/pip" install -q riskfolio-lib==7.4.0 skfolio==1.12.2 numpy==2.4.6 pandas==3.1.1 \
    scipy==1.17.1 scikit-learn==1.9.1 statsmodels==0.15.0 cvxpy==1.9.3 clarabel==0.11.1 >&2

# One BLAS thread for the peers: Ballast runs these on one core, and on a shared two-core machine
# OpenBLAS's default threads made NumPy's small products up to 10× slower, not faster.
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
"$work/venv/bin/python" - "$work" <<'PY'
import json, sys, time, platform, warnings
from importlib.metadata import version
import numpy as np
import pandas as pd
import riskfolio as rp
from skfolio.prior import TimeSeriesFactorModel, LoadingMatrixRegression
from sklearn.linear_model import LinearRegression
from sklearn.decomposition import PCA

warnings.simplefilter("ignore")
work = sys.argv[1]
inp = f"{work}/in"
ours = {r["case"]: r for r in map(json.loads, open(f"{work}/ballast.jsonl"))}
Y = pd.read_csv(f"{inp}/returns.csv", index_col=0, parse_dates=True)  # T x N daily simple returns
X = pd.read_csv(f"{inp}/factors.csv", index_col=0, parse_dates=True)  # T x 2: BTC, ETH
S = Y.cov().to_numpy()  # sample covariance, ddof 1 (daily)

def timed(f, budget=0.5):
    f()
    t0 = time.perf_counter(); f(); one = time.perf_counter() - t0
    loops = max(1, int(0.02 / max(one, 1e-9)))
    samples = []
    t_end = time.perf_counter() + budget
    while len(samples) < 25 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        for _ in range(loops):
            f()
        samples.append((time.perf_counter() - t0) / loops)
        if len(samples) >= 200:
            break
    samples.sort()
    return samples[len(samples) // 2]

def maxdiff(a, b):
    return float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))))

# Riskfolio's plain OLS with intercept: backward elimination at p-value threshold 1 never drops
# a factor (loadings_matrix has no switch for "no selection"; shared/reference/README.md)
OLS = dict(feature_selection="stepwise", stepwise="Backward", criterion="pvalue", threshold=1.0)

def skfolio_prior(factors):
    m = TimeSeriesFactorModel(
        loading_matrix_estimator=LoadingMatrixRegression(linear_regressor=LinearRegression()))
    return m.fit(Y, factors=factors)

rows = []  # (case, Ballast s, peer label, peer s, agreement text)

# Regression fits. Ballast's fit = loadings, alphas, R², residual variances and the
# factor-model covariance 365 (B F B' + diag(SSR/(T-1)))
for case, fx in (("explicit", X), ("market", X[["BTC"]])):
    r = ours[case]
    bl = pd.read_csv(f"{inp}/ballast_{case}.csv", index_col=0)
    bcov = np.loadtxt(f"{inp}/ballast_{case}_cov.csv", delimiter=",")
    cols = ["alpha", *fx.columns]
    L = rp.ParamsEstimation.loadings_matrix(X=fx, Y=Y, **OLS)
    d_lm = maxdiff(L.to_numpy(), bl[cols].to_numpy())
    rows.append((r["model"], r["median_seconds"], "Riskfolio loadings_matrix",
                 timed(lambda: rp.ParamsEstimation.loadings_matrix(X=fx, Y=Y, **OLS)),
                 f"loadings {d_lm:.1e}"))
    rf_cov = rp.ParamsEstimation.risk_factors(fx, Y, **OLS)[1].to_numpy()
    rows.append((r["model"], r["median_seconds"], "Riskfolio risk_factors",
                 timed(lambda: rp.ParamsEstimation.risk_factors(fx, Y, **OLS)),
                 f"cov {maxdiff(rf_cov, bcov):.1e} (max {np.abs(bcov).max():.1e})"))
    sk = skfolio_prior(fx)
    lme = sk.loading_matrix_estimator_
    sk_load = np.column_stack([lme.intercepts_, lme.loading_matrix_])
    d_sk = maxdiff(sk_load, bl[cols].to_numpy())
    d_skc = maxdiff(sk.return_distribution_.covariance, bcov)
    rows.append((r["model"], r["median_seconds"], "skfolio TimeSeriesFactorModel (OLS)",
                 timed(lambda: skfolio_prior(fx)), f"loadings {d_sk:.1e}, cov {d_skc:.1e}"))
    # not a peer: the same OLS fit and covariance written by hand in NumPy, for scale
    Z = np.column_stack([np.ones(len(fx)), fx.to_numpy()])
    Yn, Fn = Y.to_numpy(), fx.to_numpy()
    def numpy_fit():
        coef = np.linalg.lstsq(Z, Yn, rcond=None)[0]
        resid = Yn - Z @ coef
        B = coef[1:].T
        return coef, B @ np.atleast_2d(np.cov(Fn, rowvar=False)) @ B.T + np.diag(resid.var(axis=0, ddof=1))
    coef, np_cov = numpy_fit()
    rows.append((r["model"], r["median_seconds"], "(hand-written NumPy lstsq + B F B' + D)",
                 timed(numpy_fit),
                 f"loadings {maxdiff(coef.T, bl[cols].to_numpy()):.1e}, cov {maxdiff(np_cov, bcov):.1e}"))

# PCA, five components: neither Riskfolio nor skfolio has a statistical factor model;
# scikit-learn's PCA (skfolio's dependency, the reference's PCA peer) on the same returns
r = ours["pca"]
bp = pd.read_csv(f"{inp}/ballast_pca.csv", index_col=0).to_numpy()
beig = np.loadtxt(f"{inp}/ballast_pca_eigenvalues.csv", skiprows=1)
pca = PCA(n_components=5, svd_solver="full").fit(Y)
d_vec = maxdiff(pca.components_.T, bp)
d_eig = float(np.max(np.abs(pca.explained_variance_ * 365 / beig[:5] - 1)))
rows.append((r["model"], r["median_seconds"], "scikit-learn PCA(5, full)",
             timed(lambda: PCA(n_components=5, svd_solver="full").fit(Y)),
             f"vectors {d_vec:.1e}, λ rel {d_eig:.1e}"))

# Any-sign factor risk parity over BTC and ETH (budgets ½, ½): Riskfolio's
# rp_optimization(model='FC', rm='MV') on a Portfolio whose statistics are already estimated
def frp_portfolio():
    p = rp.Portfolio(returns=Y)
    p.factors = X
    p.assets_stats(method_mu="hist", method_cov="hist")
    p.factors_stats(method_mu="hist", method_cov="hist", dict_load=OLS)
    return p

def frp_solve(p):
    return p.rp_optimization(model="FC", rm="MV", rf=0, b_f=np.array([[0.5], [0.5]]), hist=True)

p = frp_portfolio()
B = p.B.to_numpy()[:, 1:]  # loadings without the intercept
P = np.linalg.pinv(B.T)     # B (B'B)^-1

def miss(w, of_factors):
    """Largest |factor share - 1/2| with exact gradients: of σ, or of the factors' sum."""
    sw = S @ w
    rc = (B.T @ w) * (P.T @ sw)
    den = rc.sum() if of_factors else w @ sw
    return float(np.max(np.abs(rc / den - 0.5)))

w_rf = frp_solve(p).to_numpy().ravel()
w_bl = pd.read_csv(f"{inp}/ballast_frp_any.csv", index_col=0)["weight"].to_numpy()
r = ours["frp_any_sign"]
rows.append(("factor RP, any sign", r["median_seconds"], "Riskfolio rp_optimization(FC)",
             timed(lambda: frp_solve(p)),
             f"w {maxdiff(w_bl, w_rf):.1e}; |RC−½| {miss(w_bl, False):.0e} / {miss(w_rf, False):.0e}"))
r = ours["frp_any_sign_end_to_end"]
rows.append(("  same, fit + Σ + solve", r["median_seconds"],
             "Riskfolio Portfolio + stats + rp_optimization",
             timed(lambda: frp_solve(frp_portfolio())), "(same weights)"))
# Long-only factor risk parity: no peer solves it (skfolio's RiskBudgeting budgets assets, not
# factors; Riskfolio's frc_optimization is a relaxation that misses the budgets here)
w_lo = pd.read_csv(f"{inp}/ballast_frp_long.csv", index_col=0)["weight"].to_numpy()
r = ours["frp_long_only"]
rows.append(("factor RP, long-only", r["median_seconds"], "— (no peer equivalent)", None,
             f"|share−½| {miss(w_lo, True):.0e}, min w {w_lo.min():.1e}"))

def fmt(s):
    if s is None:
        return "—"
    ms = s * 1e3
    return f"{ms:.{3 if ms < 1 else 2 if ms < 10 else 1 if ms < 100 else 0}f} ms"

print(f"Factor models and factor risk parity, T = {len(Y)}, N = {Y.shape[1]}, factors BTC, ETH; "
      f"median time per call ({platform.machine()})")
print("peers: " + ", ".join(f"{k} {version(k)}" for k in
      ("riskfolio-lib", "skfolio", "scikit-learn", "statsmodels", "cvxpy", "clarabel", "numpy", "pandas")))
print(f"{'case':<24} {'Ballast':>10}  {'peer':<46} {'peer time':>10} {'speed-up':>9}   max |Ballast − peer|")
for case, b, label, t, agree in rows:
    ratio = "" if t is None else f"{t / b:.0f}×" if t / b >= 10 else f"{t / b:.1f}×"
    print(f"{case:<24} {fmt(b):>10}  {label:<46} {fmt(t):>10} {ratio:>9}   {agree}")
print("speed-up = peer / Ballast (>1: Ballast is faster)")
PY
