#!/usr/bin/env bash
# Side-by-side timing of Ballast's scenario engine (full revaluation + VaR/ES) on the same book
# and the same scenarios: Ballast's `Revaluer::new` + `tail_risk` (Rust) versus a
# straightforward vectorised NumPy full revaluation (written here; NumPy and SciPy installed
# into a throwaway venv). Book (examples/scenario_timing.rs): 1,000 positions on the 2026-04-13
# Deribit snapshot, 900 coin-settled BTC and ETH options and 100 inverse perpetuals. Cases:
# 100,000 Gaussian Monte Carlo 1-day scenarios (seed 42) on the covariance of the last 1,500
# daily BTC/ETH spot and DVOL moves, and those 1,500 historical moves themselves. Prints a table
# with the speed ratio (NumPy / Ballast, >1: Ballast is faster) and the largest differences
# between the two results: the book's P&L per scenario (USD), the 99 % VaR and ES. Exits
# non-zero if a difference exceeds 1e-6 USD or is NaN.
#
# What is timed (median, one core each side by default; RAYON_NUM_THREADS=n gives Ballast n):
# * Ballast: `Revaluer::new(&book, &set)` + `tail_risk(&rev, &set, &[0.99], None)`: resolving
#   every position on the snapshot (each option's vol implied from its mark), the Black-76
#   revaluation of every option and the delta-one P&L of every perpetual in every scenario,
#   the book P&L, VaR and ES at 99 % and their Euler contributions per position and per
#   underlying (recomputing the tail scenarios' rows). Median of 25 calls after 10 warm-up
#   calls (benches/support `median_seconds`).
# * NumPy: from already-parsed arrays (the inputs Ballast resolved: S, F, K, T, σ, r per option;
#   read from the example's files outside the timing): the base values, then chunks of 2,048
#   scenarios × a coin's options: moved forward F(1 + m), vol σ(1 + v) floored at 1 %, time
#   left T − h/365, Black-76 with `scipy.special.ndtr`, × size × S/F, summed per scenario;
#   plus the perpetuals; then VaR (k-th largest loss, k = ⌈0.01 n⌉) and ES. No Euler
#   contributions and no name parsing or vol inversion: the comparison favours NumPy on that
#   count. Median of 3 runs (Monte Carlo) or of repeated batches (historical).
#
# Usage: scripts/compare_scenarios.sh     (CARGO_BUILD_JOBS=n to build on n cores; default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"

echo "== building Ballast (release) and timing it (takes about a minute)" >&2
nice -n 10 cargo run --release -q -j "${CARGO_BUILD_JOBS:-1}" -p ballast --example scenario_timing \
    -- "$work/in" > "$work/ballast.jsonl"

echo "== installing NumPy and SciPy in a throwaway venv ($work/venv)" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q numpy==2.4.6 scipy==1.17.1 >&2

echo "== timing NumPy (takes a few minutes)" >&2
# One BLAS thread (the per-scenario sums are matrix-vector products), at the same niceness as
# the Ballast run.
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
nice -n 10 "$work/venv/bin/python" - "$work" <<'PY'
import csv, json, math, os, sys, time, platform
from importlib.metadata import version
import numpy as np
from scipy.special import ndtr

work = sys.argv[1]
ours = {r["case"]: r for r in map(json.loads, open(f"{work}/ballast.jsonl"))}
NCOINS = 2  # BTC, ETH: the columns of the moves

def read_csv(name, text_cols):
    with open(f"{work}/in/{name}") as f:
        rows = list(csv.DictReader(f))
    return {k: (np.array([r[k] for r in rows]) if k in text_cols else
                np.array([float(r[k]) for r in rows])) for k in rows[0]}

opt = read_csv("options.csv", {"name"})
opt["coin"] = opt["coin"].astype(np.int64)
opt["call"] = opt["call"] == 1.0
perp = read_csv("perpetuals.csv", {"name"})
perp["coin"] = perp["coin"].astype(np.int64)
n_opt, n_perp = opt["size"].size, perp["size"].size

def moves(case):
    f = lambda kind: np.fromfile(f"{work}/in/{case}_{kind}.f64", dtype="<f8").reshape(-1, NCOINS)
    return f("spot"), f("vol"), np.fromfile(f"{work}/in/{case}_pnl.f64", dtype="<f8")

def black76(F, K, sd, df, w):
    """Discounted Black-76 price (USD) from σ√T; w = +1 call, −1 put."""
    d1 = np.log(F / K) / sd + 0.5 * sd
    d2 = d1 - sd
    return df * w * (F * ndtr(w * d1) - K * ndtr(w * d2))

def numpy_tail(spot, vol, horizon_days, days_per_year, c, chunk=2048):
    """The book's P&L per scenario, VaR and ES at confidence c."""
    n = spot.shape[0]
    # the book, once: per coin its options' columns, base values, time left after the horizon
    left = opt["years"] - horizon_days / days_per_year
    assert (left > 0).all(), "an option expires inside the horizon"
    groups = []
    for coin in range(NCOINS):
        i = np.flatnonzero(opt["coin"] == coin)
        if i.size == 0:
            continue
        F, K, sig, r = opt["forward"][i], opt["strike"][i], opt["vol"][i], opt["rate"][i]
        w = np.where(opt["call"][i], 1.0, -1.0)
        base = black76(F, K, sig * np.sqrt(opt["years"][i]), np.exp(-r * opt["years"][i]), w)
        # USD per USD of Black-76 value: size × S/F (coin-settled)
        q = opt["size"][i] * opt["spot"][i] / F
        groups.append((coin, F, K, sig, np.sqrt(left[i]), np.exp(-r * left[i]), w, base, q))
    # inverse perpetuals: size × S/P USD per unit move, summed per coin
    d1 = np.bincount(perp["coin"], weights=perp["size"] * perp["spot"] / perp["price"], minlength=NCOINS)
    pnl = np.empty(n)
    for s0 in range(0, n, chunk):
        sp, vo = spot[s0:s0 + chunk], vol[s0:s0 + chunk]
        tot = sp @ d1
        for coin, F, K, sig, sqrt_left, df, w, base, q in groups:
            Fm = F * (1.0 + sp[:, coin, None])
            sd = np.maximum(sig * (1.0 + vo[:, coin, None]), 0.01) * sqrt_left
            tot += (black76(Fm, K, sd, df, w) - base) @ q
        pnl[s0:s0 + chunk] = tot
    # VaR: the k-th largest loss, k = ⌈(1 − c) n⌉; ES: the mean beyond it (Rockafellar–Uryasev)
    alpha = round(1.0 - c, 12)  # 0.01 for c = 0.99 (1 − 0.99 = 0.010000000000000009 in binary)
    losses = -pnl
    k = min(max(math.ceil(alpha * n), 1), n)
    part = np.partition(losses, n - k)
    var = part[n - k]
    es = (part[n - k + 1:].sum() + (alpha * n - k + 1) * var) / (alpha * n)
    return pnl, var, es, k

def median_runs(f, runs):
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter(); f(); samples.append(time.perf_counter() - t0)
    samples.sort()
    return samples[len(samples) // 2]

def timed(f, budget=0.5):
    """Median per call of repeated ~20 ms batches after a warm-up (short calls)."""
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

def ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"

def fmt(s):
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.3f} s"

TOL = 1e-6  # USD
ok = True
rows, notes = [], []
for case in ("monte-carlo", "historical"):
    r = ours[case]
    spot, vol, b_pnl = moves(case)
    assert spot.shape[0] == r["scenarios"] == b_pnl.size
    run = lambda: numpy_tail(spot, vol, r["horizon_days"], r["days_per_year"], r["confidence"])
    pnl, var, es, k = run()
    d_pnl = float(np.max(np.abs(pnl - b_pnl)))
    d_var, d_es = abs(var - r["var"]), abs(es - r["es"])
    ok &= all(d <= TOL for d in (d_pnl, d_var, d_es))  # NaN compares false: fails too
    if not d_var <= TOL:
        # which order statistic Ballast's VaR is, among NumPy's losses
        rank = int(np.sum(-pnl > r["var"])) + 1
        notes.append(f"{case}: Ballast's VaR {r['var']:.6f} is the {ordinal(rank)} largest loss, "
                     f"NumPy's {var:.6f} the {ordinal(k)} (k = ⌈0.01·{pnl.size}⌉); Ballast computes "
                     f"k = ⌈(1 − {r['confidence']})·{pnl.size}⌉ = "
                     f"{math.ceil((1.0 - r['confidence']) * pnl.size)} in floating point "
                     f"(1 − {r['confidence']} = {1.0 - r['confidence']!r})")
    t = median_runs(run, 3) if r["scenarios"] > 10_000 else timed(run)
    rows.append((case, r["scenarios"], r["positions"], r["median_seconds"], t, d_pnl,
                 float(np.max(np.abs(b_pnl))), d_var, d_es, r["var"], r["es"], r["threads"]))

print(f"Scenario risk: full revaluation of {n_opt} coin-settled options + {n_perp} inverse perpetuals "
      f"(BTC, ETH), book P&L, 99 % VaR and ES; median time per call ({platform.machine()}, "
      f"Ballast on {rows[0][11]} thread(s), NumPy on one)")
print(f"peer: hand-written NumPy {version('numpy')} + SciPy {version('scipy')} (ndtr), scenarios × options chunks")
print(f"{'case':>12} {'scenarios':>9} {'Ballast':>10} {'NumPy':>10} {'speed-up':>9}"
      f"   {'max |Δ| P&L':>11} {'max |P&L|':>10} {'|Δ| VaR':>9} {'|Δ| ES':>9}   {'VaR (USD)':>12} {'ES (USD)':>12}")
for case, n, npos, b, t, d_pnl, big, d_var, d_es, var, es, _ in rows:
    ratio = f"{t / b:.0f}×" if t / b >= 10 else f"{t / b:.1f}×"
    print(f"{case:>12} {n:>9} {fmt(b):>10} {fmt(t):>10} {ratio:>9}"
          f"   {d_pnl:>11.1e} {big:>10.3e} {d_var:>9.1e} {d_es:>9.1e}   {var:>12.2f} {es:>12.2f}")
print("speed-up = NumPy / Ballast (>1: Ballast is faster); Ballast's time includes resolving the book "
      "(implied vols from marks) and the Euler contributions, NumPy's starts from resolved arrays")
print("differences in USD: P&L per scenario (worst over the scenarios), VaR and ES at 99 %")
for note in notes:
    print("note: " + note)
if not ok:
    print(f"FAIL: a difference exceeds {TOL:g} USD (or is NaN)")
    sys.exit(1)
PY
