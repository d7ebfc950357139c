"""Peer values for crates/ballast/tests/peers/python_gaps.json; run by scripts/peers_python_gaps.sh
(which installs the pinned peers in a throwaway venv). Arguments: FULL_CSV COMMON_CSV BL_JSON CAPS_CSV OUT."""
import datetime
import importlib.metadata as md
import json
import math
import os
import platform
import sys
import time
import warnings

os.environ["JAX_ENABLE_X64"] = "1"  # before jax is imported (riskparityportfolio imports it)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import pandas as pd
import scipy.cluster.hierarchy as sch
import cvxpy as cp
from pypfopt import expected_returns, risk_models, black_litterman, EfficientFrontier, EfficientCVaR
from pypfopt.black_litterman import BlackLittermanModel
from pypfopt.hierarchical_portfolio import HRPOpt
from pypfopt.risk_models import _is_positive_semidefinite
from statsmodels.stats.correlation_tools import corr_nearest
import riskparityportfolio as rpp
import jax

FULL, COMMON, BL_JSON, CAPS, OUT = sys.argv[1:6]
FREQ = 365
T_START = time.time()
log = lambda *a: print(*a, file=sys.stderr, flush=True)
assert jax.config.jax_enable_x64, "jax must run in float64"


# ---------------------------------------------------------------- helpers
def fl(x):
    return float(x)


def vec(s):
    return {str(k): fl(v) for k, v in s.items()}


def mat(df_or_arr, assets=None):
    if isinstance(df_or_arr, pd.DataFrame):
        assets = [str(c) for c in df_or_arr.columns]
        assert list(df_or_arr.index) == list(df_or_arr.columns)
        m = df_or_arr.to_numpy(dtype=float)
    else:
        m = np.asarray(df_or_arr, dtype=float)
    return {"assets": list(assets), "matrix": m.tolist()}


def wvec(w, assets):
    return {a: fl(x) for a, x in zip(assets, np.asarray(w, dtype=float))}


def min_eig(m):
    return fl(np.linalg.eigvalsh(np.asarray(m, dtype=float)).min())


def run_warn(f, *a, **k):
    """Run f, return (result, [warning messages])."""
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        res = f(*a, **k)
    msgs = sorted({str(w.message) for w in wl})
    return res, msgs


def iso(ts):
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def cvar_exact(losses, beta):
    """min_alpha alpha + 1/(T(1-beta)) sum max(L - alpha, 0): piecewise linear in alpha, so the
    minimum is attained at one of the losses; evaluate at all of them. Returns (cvar, var_alpha)."""
    L = np.sort(np.asarray(losses, dtype=float))
    T = len(L)
    c = 1.0 / (T * (1.0 - beta))
    vals = L + c * np.maximum(L[None, :] - L[:, None], 0.0).sum(axis=1)
    i = int(np.argmin(vals))
    return fl(vals[i]), fl(L[i])


# ---------------------------------------------------------------- inputs
full_raw = pd.read_csv(FULL, index_col=0, parse_dates=True)
full = full_raw.dropna(how="all")
prices = pd.read_csv(COMMON, index_col=0, parse_dates=True)
assert prices.shape == (731, 39) and not prices.isna().any().any()
assets = [str(c) for c in prices.columns]
N = len(assets)
rets = prices.pct_change().iloc[1:]
assert rets.shape == (730, 39) and not rets.isna().any().any()
caps_raw = pd.read_csv(CAPS, index_col=0)["market_cap_usd"].astype(float)
assert sorted(caps_raw.index) == sorted(assets), "market caps must cover exactly the common coins"
caps = caps_raw.reindex(assets)
cap_w = caps / caps.sum()
mkt_cap_ret = rets @ cap_w  # constant weights = rebalanced daily
out = {}
summary = []

# ---------------------------------------------------------------- 1. pairwise
log("== 1. pairwise (FULL, all 40 coins, gaps kept)")
pairwise = {}
for L in (730, 1095):
    win = full.iloc[-(L + 1):]
    n_prices = win.count()
    dropped = sorted(str(c) for c in win.columns if n_prices[c] < 2)
    win = win.drop(columns=dropped)
    r = win.pct_change(fill_method=None).iloc[1:]
    r_pp = expected_returns.returns_from_prices(win)
    same = bool(r.equals(r_pp))
    cols = [str(c) for c in r.columns]
    counts = r.count()
    M = r.notna().to_numpy(dtype=float)
    O = M.T @ M
    np.fill_diagonal(O, np.inf)
    i, j = np.unravel_index(int(np.argmin(O)), O.shape)
    cov = r.cov() * FREQ
    corr = r.corr()
    S_pp, w_cov = run_warn(risk_models.sample_cov, win, frequency=FREQ)
    fix_applied = any("non positive semidefinite" in m for m in w_cov)
    m_ar, w_ar = run_warn(expected_returns.mean_historical_return, win, compounding=False, frequency=FREQ)
    m_ge, w_ge = run_warn(expected_returns.mean_historical_return, win, compounding=True, frequency=FREQ)
    hrp_out = {}
    for meth in ("single", "ward"):
        h = HRPOpt(r)
        wts, w_h = run_warn(h.optimize, linkage_method=meth)
        leaves = sch.leaves_list(h.clusters).tolist()
        pre = sch.to_tree(h.clusters, rd=False).pre_order()
        assert leaves == pre
        hrp_out[meth] = {
            "weights": vec(pd.Series(wts)),
            "leaf_order": [cols[k] for k in leaves],
            "linkage": h.clusters.tolist(),
            "warnings": w_h,
        }
    gaps = r.index.to_series().diff().dt.days.iloc[1:]
    pairwise[str(L)] = {
        "window_rows": int(len(win)),
        "price_dates": {"first": iso(win.index[0]), "last": iso(win.index[-1])},
        "dates": {"first": iso(r.index[0]), "last": iso(r.index[-1])},
        "returns_spanning_more_than_one_day": int((gaps > 1).sum()),
        "assets": cols,
        "dropped_assets_lt_2_prices": dropped,
        "incomplete_assets": sorted(c for c in cols if counts[c] < len(r)),
        "pct_change_equals_pypfopt_returns_from_prices": same,
        "counts": {c: int(counts[c]) for c in cols},
        "min_overlap": {"count": int(O[i, j]), "pair": sorted([cols[i], cols[j]]),
                        "n_pairs_at_min": int((np.triu(O, 1) == O[i, j]).sum())},
        "cov_pairwise_annual": mat(cov),
        "corr_pairwise": mat(corr),
        "min_eigenvalue": {"cov_pairwise_annual": min_eig(cov), "corr_pairwise": min_eig(corr),
                           "pypfopt_sample_cov": min_eig(S_pp)},
        "cov_pairwise_is_psd_pypfopt_check": bool(_is_positive_semidefinite(cov)),
        "pypfopt_sample_cov": mat(S_pp),
        "pypfopt_sample_cov_psd_fix_applied": bool(fix_applied),
        "pypfopt_sample_cov_max_abs_diff_vs_pairwise": fl(np.abs(S_pp.to_numpy() - cov.to_numpy()).max()),
        "pypfopt_warnings": {"sample_cov": w_cov, "mean_historical_return": sorted(set(w_ar) | set(w_ge))},
        "mean_arithmetic": vec(m_ar),
        "mean_geometric": vec(m_ge),
        "hrp": hrp_out,
    }
    summary.append(f"pairwise L={L}: {r.shape[0]} returns x {r.shape[1]} coins, min overlap {int(O[i, j])} "
                   f"({cols[i]},{cols[j]}), min eig corr {min_eig(corr):.6g}, cov {min_eig(cov):.6g}, "
                   f"pypfopt PSD fix {fix_applied}, pct_change==returns_from_prices {same}")
out["pairwise"] = pairwise

# ---------------------------------------------------------------- 2. nearest correlation
log("== 2. nearest correlation")
C_df = pd.DataFrame(pairwise["730"]["corr_pairwise"]["matrix"],
                    index=pairwise["730"]["assets"], columns=pairwise["730"]["assets"])
C = C_df.to_numpy()
nc_assets = list(C_df.columns)
assert np.array_equal(C, C.T)


def higham(A, delta, tol=1e-15, maxit=100000):
    n = len(A)
    Y = A.copy()
    dS = np.zeros_like(A)
    X = A.copy()
    change = math.inf
    for k in range(1, maxit + 1):
        R = Y - dS
        lam, V = np.linalg.eigh(R)
        X = (V * np.maximum(lam, delta)) @ V.T
        X = 0.5 * (X + X.T)
        dS = X - R  # Dykstra correction (PSD projection only; the unit-diagonal set is affine)
        Yn = X.copy()
        np.fill_diagonal(Yn, 1.0)
        change = np.linalg.norm(Yn - Y)
        Y = Yn
        if change <= tol * np.linalg.norm(Y):
            break
    return Y, X, k, fl(change)


nearest = {"input": {"source": "pairwise.730.corr_pairwise", "min_eigenvalue": min_eig(C),
                     "assets": nc_assets}}
for dkey, delta in (("delta_0", 0.0), ("delta_1e-8", 1e-8)):
    t = time.time()
    Y, Xp, its, ch = higham(C, delta)
    sec = {"delta": delta}
    sec["harness_higham"] = {
        "iterations": int(its),
        "final_relative_change": fl(ch / np.linalg.norm(Y)),
        "matrix": mat(Y, nc_assets),
        "min_eigenvalue": min_eig(Y),
        "n_eigenvalues_le_delta_plus_1e-12": int((np.linalg.eigvalsh(Y) <= delta + 1e-12).sum()),
        "frobenius_distance": fl(np.linalg.norm(Y - C)),
        "max_abs_psd_iterate_minus_result": fl(np.abs(Xp - Y).max()),
        "seconds": round(time.time() - t, 3),
    }
    # cvxpy SDP
    n = len(C)
    Xv = cp.Variable((n, n), symmetric=True)
    # sum of squares (same argmin as the Frobenius norm; Clarabel gets ~3x closer to Higham with it)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(Xv - C)), [cp.diag(Xv) == 1, Xv - delta * np.eye(n) >> 0])
    opts = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}
    solver = "CLARABEL"
    err = None
    sdp_warn = []
    try:
        _, sdp_warn = run_warn(prob.solve, solver="CLARABEL", **opts)
        if prob.status not in ("optimal", "optimal_inaccurate"):
            raise RuntimeError(prob.status)
    except Exception as e:  # fall back to SCS
        err = f"{type(e).__name__}: {e}"
        solver, opts = "SCS", {"eps": 1e-12, "max_iters": 200000}
        _, sdp_warn = run_warn(prob.solve, solver="SCS", **opts)
    Xs = 0.5 * (Xv.value + Xv.value.T)
    sec["cvxpy_sdp"] = {
        "objective": "sum_squares(X - C)", "solver": solver, "solver_options": opts, "status": prob.status,
        "clarabel_error": err, "iterations": int(prob.solver_stats.num_iters or 0), "warnings": sdp_warn,
        "frobenius_distance": fl(np.linalg.norm(Xs - C)),
        "max_abs_diff_vs_higham": fl(np.abs(Xs - Y).max()),
        "min_eigenvalue": min_eig(Xs),
        "max_abs_diag_minus_1": fl(np.abs(np.diag(Xs) - 1).max()),
    }
    nearest[dkey] = sec
    summary.append(f"nearest corr {dkey}: Higham {its} it, ||X-C||_F {np.linalg.norm(Y - C):.15g}, "
                   f"SDP({solver}) {sec['cvxpy_sdp']['frobenius_distance']:.15g}, "
                   f"max|SDP-Higham| {sec['cvxpy_sdp']['max_abs_diff_vs_higham']:.3g}")
Xsm, w_sm = run_warn(corr_nearest, C, threshold=1e-15, n_fact=100)
nearest["statsmodels"] = {
    "call": "corr_nearest(C, threshold=1e-15, n_fact=100)",
    "iteration_cap": int(len(C) * 100),
    "hit_iteration_cap": any("Maximum iteration" in m for m in w_sm),
    "note": "statsmodels runs the same Dykstra alternating projections but stops at the first iterate whose "
            "corrected matrix has all eigenvalues >= threshold (a feasible point, not a converged one), so in "
            "general it is near, not exactly, the Frobenius-nearest matrix. Here the nearest matrix is singular, "
            "that test never passes at threshold 1e-15, and it runs its cap of n_fact*n iterations (warning "
            "'Maximum iteration reached') and ends within rounding of Higham's matrix.",
    "frobenius_distance": fl(np.linalg.norm(Xsm - C)),
    "max_abs_diff_vs_higham_delta_0": fl(np.abs(Xsm - nearest["delta_0"]["harness_higham"]["matrix"]["matrix"]).max()),
    "min_eigenvalue": min_eig(Xsm),
    "max_abs_diag_minus_1": fl(np.abs(np.diag(Xsm) - 1).max()),
    "warnings": w_sm,
}
out["nearest_correlation"] = nearest

# ---------------------------------------------------------------- 3. geometric mean
log("== 3. geometric mean")
mu_geo = expected_returns.mean_historical_return(prices, compounding=True, frequency=FREQ)
mu_ari = expected_returns.mean_historical_return(prices, compounding=False, frequency=FREQ)
out["geometric_mean"] = {"compounding": vec(mu_geo), "arithmetic": vec(mu_ari), "n_returns": int(len(rets))}

# ---------------------------------------------------------------- 4. CAPM
log("== 4. CAPM")
RF = 0.03


def capm_harness(mkt, compounding):
    R = rets.copy()
    R["mkt"] = np.asarray(mkt, dtype=float)
    cv = R.cov()
    betas = (cv["mkt"] / cv.loc["mkt", "mkt"]).drop("mkt")
    m = R["mkt"]
    mret = (1 + m).prod() ** (FREQ / m.count()) - 1 if compounding else m.mean() * FREQ
    return betas, fl(mret), RF + betas * (mret - RF)


capm = {"risk_free_rate": RF}
cases = {
    "btc_compounding": (dict(market_prices=prices[["BTC"]]), rets["BTC"], True,
                        "market_prices=prices[['BTC']]"),
    "btc_arithmetic": (dict(market_prices=prices[["BTC"]]), rets["BTC"], False,
                       "market_prices=prices[['BTC']], compounding=False"),
    "equal_weight_compounding": (dict(market_prices=None), rets.mean(axis=1), True,
                                 "market_prices=None (pypfopt: cross-sectional mean return each day)"),
}
for key, (kw, mkt, comp, desc) in cases.items():
    res, wl = run_warn(expected_returns.capm_return, prices, risk_free_rate=RF, compounding=comp,
                       frequency=FREQ, **kw)
    betas, mret, h = capm_harness(mkt, comp)
    capm[key] = {"call": desc, "compounding": comp, "expected_returns": vec(res), "betas": vec(betas),
                 "market_expected_return": mret,
                 "max_abs_diff_vs_harness": fl(np.abs(res - h).max()), "warnings": wl}
# cap-weighted index, passed as returns (returns_data=True): pypfopt renames the single column to
# "mkt" (in place!) and LEFT-joins on the index, so the index must be the returns' dates.
mkt_df = mkt_cap_ret.to_frame("CAPIDX")
res, wl = run_warn(expected_returns.capm_return, rets.copy(), market_prices=mkt_df.copy(), returns_data=True,
                   risk_free_rate=RF, compounding=True, frequency=FREQ)
idx_prices = pd.concat([pd.Series([1.0], index=prices.index[:1]), (1 + mkt_cap_ret).cumprod()])
res_p, _ = run_warn(expected_returns.capm_return, prices, market_prices=idx_prices.to_frame("CAPIDX"),
                    risk_free_rate=RF, compounding=True, frequency=FREQ)
betas, mret, h = capm_harness(mkt_cap_ret, True)
capm["cap_weighted_compounding"] = {
    "call": "capm_return(returns, market_prices=DataFrame(r_m, index=returns.index), returns_data=True)",
    "compounding": True, "expected_returns": vec(res), "betas": vec(betas), "market_expected_return": mret,
    "max_abs_diff_vs_harness": fl(np.abs(res - h).max()),
    "max_abs_diff_vs_index_price_series": fl(np.abs(res - res_p).max()),
    "market_weights": vec(cap_w), "warnings": wl,
    "note": "pypfopt LEFT-joins the market returns on the asset returns' index (renaming the column to "
            "'mkt' in place): a market frame with another index would silently give NaN betas",
}
assert capm["cap_weighted_compounding"]["max_abs_diff_vs_harness"] < 1e-12
out["capm"] = capm

# ---------------------------------------------------------------- 5. Black-Litterman
log("== 5. Black-Litterman")
bl_ref = json.load(open(BL_JSON))
S = risk_models.sample_cov(prices, frequency=FREQ)
P = np.zeros((2, N))
P[0, assets.index("BTC")] = 1.0
P[1, assets.index("ETH")] = 1.0
P[1, assets.index("SOL")] = -1.0
Q = np.array([0.20, 0.10])
assert bl_ref["assets"] == assets and np.array_equal(np.array(bl_ref["setup"]["P"]), P)
assert np.allclose(bl_ref["setup"]["Q"], Q)
TAU = 0.05
d_btc0 = fl(black_litterman.market_implied_risk_aversion(prices["BTC"], frequency=FREQ, risk_free_rate=0.0))
d_btc3 = fl(black_litterman.market_implied_risk_aversion(prices["BTC"], frequency=FREQ, risk_free_rate=RF))
d_idx0 = fl(black_litterman.market_implied_risk_aversion(idx_prices, frequency=FREQ, risk_free_rate=0.0))
d_idx3 = fl(black_litterman.market_implied_risk_aversion(idx_prices, frequency=FREQ, risk_free_rate=RF))
bl = {
    "tau": TAU, "P": mat(P, assets)["matrix"], "Q": Q.tolist(), "assets": assets,
    "views": ["absolute: BTC = 0.20", "relative: ETH - SOL = 0.10"],
    "omega": BlackLittermanModel.default_omega(S.to_numpy(), P, TAU).tolist(),
    "prior_cov": mat(S),
    "delta_btc": {"rf_0": d_btc0, "rf_0.03": d_btc3},
    "delta_cap_index": {"rf_0": d_idx0, "rf_0.03": d_idx3},
    "cases": {},
}
bl_cases = {
    "market_caps": (black_litterman.market_implied_prior_returns(caps, d_btc0, S, risk_free_rate=0.0),
                    d_btc0, 0.0, "market_implied_prior_returns(caps, delta_btc(rf=0), S, 0)"),
    "market_caps_rf": (black_litterman.market_implied_prior_returns(caps, d_btc3, S, risk_free_rate=RF),
                       d_btc3, RF, "market_implied_prior_returns(caps, delta_btc(rf=0.03), S, 0.03)"),
    "zero_prior": (None, 2.5, 0.0, "pi=None (pypfopt zero prior)"),
    "geometric_prior": (mu_geo, 2.5, 0.0, "mean_historical_return(prices, compounding=True, frequency=365)"),
}
post_cov_ref = None
for key, (pi, delta, rf, desc) in bl_cases.items():
    m, wl = run_warn(BlackLittermanModel, S, pi=pi, Q=Q, P=P, tau=TAU, risk_aversion=delta)
    ret_bl = m.bl_returns()
    S_bl = m.bl_cov()
    w_bl = m.bl_weights(delta)
    ef = EfficientFrontier(ret_bl, S_bl, solver="CLARABEL")
    ef.max_sharpe(risk_free_rate=rf)
    perf = ef.portfolio_performance(risk_free_rate=rf)
    prior = pd.Series(m.pi.ravel(), index=assets)
    if post_cov_ref is None:
        post_cov_ref = S_bl
    bl["cases"][key] = {
        "prior": desc, "delta": fl(delta), "risk_free_rate": rf,
        "pi": vec(prior), "posterior_returns": vec(ret_bl),
        "posterior_cov_max_abs_diff_vs_shared": fl(np.abs(S_bl.to_numpy() - post_cov_ref.to_numpy()).max()),
        "bl_weights": vec(pd.Series(w_bl)),
        "max_sharpe_weights": wvec(ef.weights, assets),
        "max_sharpe_performance": {"expected_return": fl(perf[0]), "volatility": fl(perf[1]), "sharpe": fl(perf[2])},
        "warnings": wl,
    }
bl["posterior_cov"] = mat(post_cov_ref)
bl["posterior_cov_note"] = ("bl_cov() does not depend on pi or delta, so it is the same matrix in every case "
                            "(stored once; each case records its max abs difference to it)")
out["black_litterman"] = bl
summary.append(f"BL: delta_btc rf0 {d_btc0:.15g}, rf3% {d_btc3:.15g}; delta_cap_index rf0 {d_idx0:.15g}")

# ---------------------------------------------------------------- 6. EfficientCVaR
log("== 6. EfficientCVaR")
BETA = 0.95
tight = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}
ecv = {"beta": BETA, "n_scenarios": int(len(rets)),
       "solver": "CLARABEL (pypfopt default options)"}
for mname, mu in (("arithmetic", mu_ari), ("geometric", mu_geo)):
    e0 = EfficientCVaR(mu, rets, beta=BETA, weight_bounds=(0, 1), solver="CLARABEL")
    e0.min_cvar()
    r0, c0 = e0.portfolio_performance()
    hc0, hv0 = cvar_exact(-(rets.to_numpy() @ e0.weights), BETA)
    sec = {"min_cvar": fl(c0), "min_cvar_expected_return": fl(r0),
           "min_cvar_weights": wvec(e0.weights, assets),
           "min_cvar_harness": {"cvar": hc0, "var": hv0}, "efficient_risk": {}}
    et = EfficientCVaR(mu, rets, beta=BETA, weight_bounds=(0, 1), solver="CLARABEL", solver_options=tight)
    et.min_cvar()
    sec["min_cvar_tight_tolerance_check"] = {
        "solver_options": tight, "pypfopt_cvar": fl(et.portfolio_performance()[1]),
        "harness_cvar": cvar_exact(-(rets.to_numpy() @ et.weights), BETA)[0],
        "max_abs_weight_diff": fl(np.abs(et.weights - e0.weights).max())}
    for k in (1.25, 2.0):
        target = k * fl(c0)
        e1 = EfficientCVaR(mu, rets, beta=BETA, weight_bounds=(0, 1), solver="CLARABEL")
        e1.efficient_risk(target)
        r1, c1 = e1.portfolio_performance()
        hc, hv = cvar_exact(-(rets.to_numpy() @ e1.weights), BETA)
        e2 = EfficientCVaR(mu, rets, beta=BETA, weight_bounds=(0, 1), solver="CLARABEL", solver_options=tight)
        e2.efficient_risk(target)
        sec["efficient_risk"][f"{k:g}x"] = {
            "target_cvar": target, "multiplier": k,
            "weights": wvec(e1.weights, assets),
            "performance": {"expected_return": fl(r1), "cvar": fl(c1)},
            "harness": {"cvar": hc, "var": hv, "expected_return": fl(mu.to_numpy() @ e1.weights),
                        "sum_weights": fl(e1.weights.sum()), "min_weight": fl(e1.weights.min())},
            "tight_tolerance_check": {"solver_options": tight,
                                      "max_abs_weight_diff": fl(np.abs(e2.weights - e1.weights).max()),
                                      "expected_return": fl(mu.to_numpy() @ e2.weights)},
        }
    try:
        eb = EfficientCVaR(mu, rets, beta=BETA, weight_bounds=(0, 1), solver="CLARABEL")
        eb.efficient_risk(0.9 * fl(c0))
        sec["below_min_cvar"] = {"target_cvar": 0.9 * fl(c0), "exception": None,
                                 "weights": wvec(eb.weights, assets)}
    except Exception as e:
        sec["below_min_cvar"] = {"target_cvar": 0.9 * fl(c0), "exception": f"{type(e).__name__}: {e}"}
    ecv[mname] = sec
    summary.append(f"CVaR[{mname}]: min_cvar {c0:.15g} (harness {hc0:.15g}); "
                   + "; ".join(f"{k}: ret {v['performance']['expected_return']:.10g} cvar_h {v['harness']['cvar']:.10g}"
                               for k, v in sec["efficient_risk"].items())
                   + f"; below min -> {sec['below_min_cvar'].get('exception')}")
out["efficient_cvar"] = ecv

# ---------------------------------------------------------------- 7. constrained risk parity
log("== 7. constrained risk parity (riskparityportfolio SCA)")
Sigma = rets.cov().to_numpy()
b = np.ones(N) / N
mu_ann = rets.mean().to_numpy() * FREQ
SCA = {"funtol": 1e-14, "wtol": 1e-12, "maxiter": 20000}


def rc_rel(w):
    rc = w * (Sigma @ w)
    return rc / rc.sum()


def kkt(w, D, d):
    """Harness first-order check of min sum (rc_rel - b)^2 s.t. 1'w = 1, D w <= d: least-squares
    multipliers on the equality and the active rows (slack <= 1e-9); returns the stationarity residual."""
    Sw = Sigma @ w
    V = w @ Sw
    rc = w * Sw
    g = rc / V - b
    J = (np.diag(Sw) + w[:, None] * Sigma) / V - np.outer(rc, 2 * Sw) / V ** 2
    grad = 2 * J.T @ g
    act = np.where(d - D @ w <= 1e-9)[0]
    A = np.column_stack([np.ones(N)] + [D[k] for k in act])
    lam, *_ = np.linalg.lstsq(A, -grad, rcond=None)
    res = grad + A @ lam
    return {"grad_inf": fl(np.abs(grad).max()), "stationarity_residual_inf": fl(np.abs(res).max()),
            "n_active_inequalities": int(len(act)),
            "min_inequality_multiplier": fl(lam[1:].min()) if len(act) else None}


def design(extra_D=None, extra_d=None):
    D = -np.eye(N)
    d = np.zeros(N)
    if extra_D is not None:
        D = np.vstack([D, np.atleast_2d(extra_D)])
        d = np.concatenate([d, np.atleast_1d(extra_d)])
    port = rpp.RiskParityPortfolio(covariance=Sigma, budget=b)
    w_start = np.asarray(port.weights, dtype=float).copy()
    t = time.time()
    port.design(verbose=False, Cmat=np.ones((1, N)), cvec=np.array([1.0]), Dmat=D, dvec=d, **SCA)
    w = np.asarray(port.weights, dtype=float)
    its = len(port.sca.objective_function) - 1
    rr = rc_rel(w)
    return {
        "w": w, "w_start": w_start, "iterations": int(its), "converged": bool(its < SCA["maxiter"]),
        "objective_sca": fl(port.sca.objective_function[-1]),
        "objective": fl(np.sum((rr - b) ** 2)), "rc_rel": rr, "seconds": round(time.time() - t, 3),
        "sum_w": fl(w.sum()), "min_w": fl(w.min()), "kkt": kkt(w, D, d),
        "start_objective": fl(np.sum((rc_rel(w_start) - b) ** 2)),
    }


def rp_record(res, constraint, slacks):
    return {
        "constraint": constraint,
        "weights": wvec(res["w"], assets), "rc_rel": wvec(res["rc_rel"], assets),
        "objective": res["objective"], "objective_sca_last": res["objective_sca"],
        "max_abs_rc_rel_minus_budget": fl(np.abs(res["rc_rel"] - b).max()),
        "iterations": res["iterations"], "converged": res["converged"], "seconds": res["seconds"],
        "sum_weights": res["sum_w"], "min_weight": res["min_w"],
        "expected_return_annual": fl(mu_ann @ res["w"]),
        "slack": slacks, "harness_kkt": res["kkt"], "start_objective": res["start_objective"],
    }


rp = {"budget": "1/N", "covariance": "daily sample covariance ddof=1 of the 730 common returns",
      "sca_options": SCA, "assets": assets,
      "start_point": "riskparityportfolio's constructor sets weights = vanilla.design(Sigma, b) (plain ERC, "
                     "its default tol), start_objective is the objective there",
      "iterations_note": "iterations = len(sca.objective_function) - 1 (SCA steps taken, the last one being the "
                         "step whose convergence test passed)",
      "stopping_note": "SuccessiveConvexOptimizer also stops when the objective is <= 1e-10 at two consecutive "
                       "iterates, whatever funtol says: the unconstrained case therefore stops at an objective "
                       "~5e-13 (max |rc_rel - b| ~2e-7), not at a tight ERC",
      "cases": {}}
r_un = design()
erc = r_un["w"]
rp["vanilla_erc_start_weights"] = wvec(r_un["w_start"], assets)
rp["cases"]["unconstrained"] = rp_record(r_un, {}, {})
# group cap
G = ["BTC", "ETH", "BNB", "TRX", "XRP"]
gmask = np.array([a in G for a in assets], dtype=float)
g_erc = fl(gmask @ erc)
cap = math.floor(0.8 * g_erc * 100) / 100
r_g = design(gmask, cap)
rp["cases"]["group_cap"] = rp_record(
    r_g, {"group": G, "cap": cap, "erc_group_weight": g_erc, "rule": "floor(0.8 * ERC group weight, 2 dp)"},
    {"group_cap": fl(cap - gmask @ r_g["w"])})
# return floor
erc_ret = fl(mu_ann @ erc)
target = round(erc_ret + 0.10, 2)
assert mu_ann.max() > target + 0.2
r_r = design(-mu_ann, -target)
rp["cases"]["return_floor"] = rp_record(
    r_r, {"target_return": target, "erc_expected_return": erc_ret, "max_mu": fl(mu_ann.max()),
          "mu": "365 x arithmetic daily mean", "mu_values": wvec(mu_ann, assets),
          "rule": "round(ERC expected annual return + 0.10, 2)"},
    {"return_floor": fl(mu_ann @ r_r["w"] - target)})
# box
UP = 0.035
assert erc.max() > UP
r_b = design(np.eye(N), np.full(N, UP))
sl = UP - r_b["w"]
rp["cases"]["box"] = rp_record(
    r_b, {"upper": UP, "erc_max_weight": fl(erc.max()), "erc_n_above_upper": int((erc > UP).sum())},
    {"min_upper_slack": fl(sl.min()), "n_at_upper_1e-9": int((sl < 1e-9).sum()),
     "at_upper": [a for a, s in zip(assets, sl) if s < 1e-9]})
out["risk_parity_constrained"] = rp
for k, v in rp["cases"].items():
    summary.append(f"RP {k}: {v['iterations']} it (conv {v['converged']}), obj {v['objective']:.6g}, "
                   f"max|rc-b| {v['max_abs_rc_rel_minus_budget']:.3g}, constraint {json.dumps({kk: vv for kk, vv in v['constraint'].items() if kk not in ('mu_values',)})}, slack {v['slack']}")

# ---------------------------------------------------------------- meta + write
pkgs = ["numpy", "pandas", "scipy", "pyportfolioopt", "cvxpy", "clarabel", "scs", "riskparityportfolio",
        "quadprog", "jax", "jaxlib", "statsmodels", "tqdm"]
versions = {"python": platform.python_version()}
for p_ in pkgs:
    try:
        versions[p_] = md.version(p_)
    except md.PackageNotFoundError:
        versions[p_] = None
out["meta"] = {
    "generated_at_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "generator": "scripts/peers_python_gaps.sh",
    "versions": versions,
    "inputs": {
        "FULL": "shared/data/crypto_daily_close.csv (rows where every coin is empty dropped; never forward-filled)",
        "COMMON": "shared/reference/prices_window.csv (731 prices, 39 coins, 730 returns "
                  f"{iso(rets.index[0])}..{iso(rets.index[-1])})",
        "CAPS": "examples/market_caps.csv (illustrative market caps, 39 coins)",
        "BL_VIEWS": "shared/reference/black_litterman.json setup.P / setup.Q",
        "full_rows_after_dropping_all_empty": int(len(full)), "full_rows_raw": int(len(full_raw)),
    },
    "conventions": [
        "Simple daily returns r_t = P_t / P_(t-1) - 1; a return is missing when either price is missing; no forward fill.",
        "Rows of FULL where every coin is empty are dropped first, so a return across such a date spans 2+ calendar days.",
        "Annualisation factor 365 everywhere (PyPortfolioOpt frequency=365): annual mean = 365 x daily mean, annual cov = 365 x daily cov.",
        "Sample (co)variances use ddof = 1.",
        "Pairwise-complete statistics (pandas DataFrame.cov/.corr): each entry uses the dates where both coins have a return, with that pair's own means.",
        "Geometric (compounding) mean = prod(1 + r)^(365 / n) - 1 over each coin's own n returns; arithmetic = 365 x mean.",
        "Risk-free rates are annual; 0 unless a key says 0.03.",
        "CVaR is a positive loss fraction of one day at beta = 0.95, defined as min_alpha alpha + 1/(T(1-beta)) sum_t max(loss_t - alpha, 0) with loss_t = -r_t . w over the T = 730 historical scenarios (Rockafellar-Uryasev, LP-consistent).",
        "Weights are raw solver output (pypfopt ef.weights, rounded by pypfopt to 16 decimals), never clean_weights.",
        "Matrices are {assets, matrix} in the listed asset order; vectors are {asset: value}.",
        "Long-only and fully invested (sum w = 1) unless stated.",
        "Cap-weighted market: constant weights w = cap / sum(cap) (rebalanced daily), r_m,t = sum_i w_i r_i,t; its price series is 1 on the first date and prod(1 + r_m) after.",
        "Risk parity: relative risk contribution rc_rel_i = w_i (Sigma w)_i / (w' Sigma w) with daily Sigma; objective sum_i (rc_rel_i - b_i)^2 with b = 1/N.",
        "riskparityportfolio ran with JAX_ENABLE_X64=1 (jax is float32 by default).",
        "Floats are written with Python's shortest round-trip repr (full double precision).",
    ],
}


def check_finite(o, path="$"):
    if isinstance(o, dict):
        for k, v in o.items():
            check_finite(v, f"{path}.{k}")
    elif isinstance(o, (list, tuple)):
        for i, v in enumerate(o):
            check_finite(v, f"{path}[{i}]")
    elif isinstance(o, float):
        if not math.isfinite(o):
            raise ValueError(f"non-finite value at {path}")


check_finite(out)
for k in ("pairwise", "nearest_correlation", "geometric_mean", "capm", "black_litterman", "efficient_cvar",
          "risk_parity_constrained", "meta"):
    assert k in out, k
text = json.dumps(out, sort_keys=True, allow_nan=False, separators=(",", ":"))
with open(OUT, "w") as fh:
    fh.write(text + "\n")
log("== summary")
for s in summary:
    log("  " + s)
log(f"wrote {OUT} ({len(text) / 1024:.0f} KiB) in {time.time() - T_START:.1f}s of Python")
