#!/usr/bin/env bash
# Side-by-side timing of Deribit's portfolio-margin risk matrix on the same books: Ballast's
# `portfolio_margin` (Rust) versus a straightforward vectorised NumPy implementation of the same
# matrix (written here; NumPy and SciPy installed into a throwaway venv). Books: the benchmark's
# (`book(n)` of benches/margin.rs) of n = 10, 100, 1000 BTC positions (coin-settled options over
# six expiries, plus the perpetual and three futures), parameters
# examples/deribit_pm_params.toml. Prints a table with the speed ratio (NumPy / Ballast, >1:
# Ballast is faster) and the largest difference between the two results: the aggregated
# `btc_btc` risk vector (27 standard + 8 extended scenarios) and the maintenance margin. Exits
# non-zero if a difference exceeds 1e-9 BTC or is NaN.
#
# What is timed (median per call of repeated batches after a warm-up, one core each side):
# * Ballast: one `portfolio_margin(&params, &input)` call from its `PmInput` (BTreeMaps keyed by
#   instrument name): parameter validation, parsing every instrument name (kind, expiry, strike,
#   call/put), the ticker look-ups, the Black-76 revaluations, the per-instrument vectors (kept
#   in its result), the aggregation and the margins.
# * NumPy: the matrix from already-parsed arrays (size, years to expiry, strike, call flag, mark
#   IV, underlying price per position; the JSON book is read and split into arrays outside the
#   timing): vol shocks, Black-76 coin prices over a positions × 38 scenarios array (27
#   standard, 8 extended, the mark and ±1e-4 for the delta), delta-one P&L, aggregation, worst
#   case, roll and delta shocks, maintenance. No name parsing and no per-instrument output: the
#   comparison favours NumPy on that count.
#
# Usage: scripts/compare_margin.sh     (CARGO_BUILD_JOBS=1 to build on one core)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== building Ballast (release) and timing it" >&2
nice -n 19 cargo build --release -q -p ballast --example margin_timing
./target/release/examples/margin_timing "$work/in" > "$work/ballast.jsonl"

echo "== installing NumPy and SciPy in a throwaway venv ($work/venv)" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q numpy==2.4.6 scipy==1.17.1 >&2

# One BLAS thread: Ballast runs the matrix on one core (and the NumPy side uses no BLAS call,
# so this only keeps a shared two-core machine quiet).
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
"$work/venv/bin/python" - "$work" <<'PY'
import json, math, sys, time, platform
from importlib.metadata import version
import numpy as np
from scipy.special import ndtr

work = sys.argv[1]
ours = {r["n"]: r for r in map(json.loads, open(f"{work}/ballast.jsonl"))}

def load(n):
    """The book as flat arrays (options and delta-one apart) and the BTC parameters."""
    d = json.load(open(f"{work}/in/book_{n}.json"))
    pos = d["positions"]
    assert len(pos) == n, (len(pos), n)
    opt = [p for p in pos if p["kind"] == "option"]
    one = [p for p in pos if p["kind"] in ("perpetual", "future")]
    assert len(opt) + len(one) == n
    col = lambda rows, key, dtype=float: np.array([p[key] for p in rows], dtype=dtype)
    a = dict(
        o_size=col(opt, "size"), o_t=col(opt, "expiry_years"), o_strike=col(opt, "strike"),
        o_call=col(opt, "call", bool), o_iv=col(opt, "mark_iv"), o_f0=col(opt, "underlying_price"),
        d_size=col(one, "size"), d_t=col(one, "expiry_years"),
        index=float(d["index_price"]), ext_moves=np.array(d["extended_moves"], dtype=float),
    )
    p = d["params"]
    prm = dict(pair=p["currency_pair"]["btc_usd"], cur=p["currency"]["btc"], gen=p["general"])
    return prm, a, len(opt), len(one)

def round9(x):
    """Rust's (x·1e9).round() / 1e9: halves away from zero (np.round takes them to even)."""
    y = x * 1e9
    r = math.trunc(y)
    if abs(y - r) >= 0.5:
        r += math.copysign(1.0, y)
    return r / 1e9

H = 1e-4  # the central difference of Ballast's option delta (matrix.rs)

def numpy_margin(prm, a):
    pr, cur, gen = prm["pair"], prm["cur"], prm["gen"]
    B, rng, index = gen["buckets_count"], pr["price_range"], a["index"]
    moves = rng * np.arange(-B, B + 1) / B          # standard moves m_k = range·k/B
    std_m = np.repeat(moves, 3)                     # × vol up, same, down (move-major)
    ext_m = a["ext_moves"]
    n_std, n_ext = std_m.size, ext_m.size

    # options: vol shocks f = (30/days)^p
    q, t, K, vol = a["o_size"], a["o_t"], a["o_strike"], a["o_iv"]
    days = t * 365.0
    power = np.where(days < 30.0, pr["short_term_vega_power"], pr["long_term_vega_power"])
    f = (30.0 / days) ** power
    up = np.maximum(vol * (1.0 + pr["volatility_range_up"] * f), pr["min_volatility_for_shock_up"])
    down = np.maximum(vol * (1.0 - pr["volatility_range_down"] * f), 0.01)
    # scenario columns: mark, +h, −h (vol same), the standard table, the extended table (vol up)
    M = np.concatenate(([0.0, H, -H], std_m, ext_m))
    V = np.empty((q.size, M.size))
    V[:, :3] = vol[:, None]
    V[:, 3:3 + n_std] = np.tile(np.stack([up, vol, down], axis=1), (1, moves.size))
    V[:, 3 + n_std:] = up[:, None]
    # Black-76, zero rate, price in coin = USD price / forward
    F = a["o_f0"][:, None] * (1.0 + M)
    sd = V * np.sqrt(t)[:, None]
    d1 = np.log(F / K[:, None]) / sd + 0.5 * sd
    d2 = d1 - sd
    w = np.where(a["o_call"], 1.0, -1.0)[:, None]
    coin = w * (F * ndtr(w * d1) - K[:, None] * ndtr(w * d2)) / F
    base = coin[:, :1]
    qc = q[:, None]
    std = (qc * (coin[:, 3:3 + n_std] - base)).sum(axis=0)
    ext = (qc * (coin[:, 3 + n_std:] - base) * pr["extended_table_factor"]).sum(axis=0)
    delta = (q * (coin[:, 1] - coin[:, 2]) / (2.0 * H)).sum()

    # inverse perpetuals and futures: q(1 − 1/(1 + m)) coin, extended moves clamped to ±range
    dq = a["d_size"]
    std = std + (dq[:, None] * (1.0 - 1.0 / (1.0 + std_m))).sum(axis=0)
    ext = ext + (dq[:, None] * (1.0 - 1.0 / (1.0 + np.clip(ext_m, -rng, rng)))).sum(axis=0)
    delta += dq.sum()
    roll = (np.abs(dq) * np.maximum(cur["min_annualised_move"], cur["annualised_move_risk"] * a["d_t"])).sum()

    # aggregation: losses in full, gains × pnl_offset up to max_offsetable_pnl; extended losses
    # less the dampener (USD, in coin at the index)
    offset = lambda x: np.where(x < 0.0, x, np.minimum(cur["pnl_offset"] * x, cur["max_offsetable_pnl"]))
    std_agg = offset(std)
    ext_agg = np.where(ext < 0.0, -np.maximum(-ext - cur["extended_dampener"] / index, 0.0), offset(ext))
    std_loss, ext_loss = -std_agg.min(), -ext_agg.min()
    worst = ext_loss if ext_loss > std_loss else max(std_loss, 0.0)
    excess = max(abs(delta * index) - pr["delta_total_liq_shock_threshold"], 0.0)
    delta_shock = pr["max_delta_shock"] * excess / index
    rmm = round9(worst) + roll + delta_shock
    return dict(standard=std_agg, extended=ext_agg, maintenance_margin=gen["mm_factor"] * rmm,
                worst_case=worst, roll_shock=roll, delta_shock=delta_shock)

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

def fmt(s):
    us = s * 1e6
    return f"{us:.1f} µs" if us < 1000 else f"{us / 1e3:.2f} ms"

TOL = 1e-9
ok = True
rows = []
for n in sorted(ours):
    r = ours[n]
    prm, a, n_opt, n_one = load(n)
    res = numpy_margin(prm, a)
    d_vec = max(float(np.max(np.abs(res["standard"] - np.array(r["standard"])))),
                float(np.max(np.abs(res["extended"] - np.array(r["extended"])))))
    d_mm = abs(res["maintenance_margin"] - r["maintenance_margin"])
    d_parts = max(abs(res[k] - r[k]) for k in ("worst_case", "roll_shock", "delta_shock"))
    ok &= all(d <= TOL for d in (d_vec, d_mm))  # NaN compares false: fails too
    t = timed(lambda: numpy_margin(prm, a))
    rows.append((n, n_opt, n_one, r["median_seconds"], t, d_vec, d_mm, d_parts, r["maintenance_margin"]))

print(f"Deribit portfolio margin, risk matrix (27 standard + 8 extended scenarios) of n BTC positions; "
      f"median time per call, one core ({platform.machine()})")
print(f"peer: hand-written NumPy {version('numpy')} + SciPy {version('scipy')} (ndtr), positions × scenarios arrays")
print(f"{'n':>5} {'options':>8} {'delta-one':>10} {'Ballast':>10} {'NumPy':>10} {'speed-up':>9}"
      f"   {'max |Δ| vectors':>15} {'|Δ| maint.':>10} {'|Δ| parts':>10}   maintenance (BTC)")
for n, n_opt, n_one, b, t, d_vec, d_mm, d_parts, mm in rows:
    ratio = f"{t / b:.0f}×" if t / b >= 10 else f"{t / b:.1f}×"
    print(f"{n:>5} {n_opt:>8} {n_one:>10} {fmt(b):>10} {fmt(t):>10} {ratio:>9}"
          f"   {d_vec:>15.1e} {d_mm:>10.1e} {d_parts:>10.1e}   {mm:.9f}")
print("speed-up = NumPy / Ballast (>1: Ballast is faster); Ballast's time includes parsing the instrument "
      "names of its PmInput, NumPy's starts from parsed arrays")
print("parts = worst case, roll shock, delta shock; differences in BTC")
if not ok:
    print(f"FAIL: a difference exceeds {TOL:g} BTC (or is NaN)")
    sys.exit(1)
PY
