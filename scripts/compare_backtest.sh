#!/usr/bin/env bash
# Side-by-side timing of a walk-forward backtest on the shared daily panel: monthly ERC on the
# sample covariance of the last 365 daily returns of every coin with a full window, trading to
# target at each rebalance close with 10 bps fees (the same rules in both). Ballast versus a
# pandas/NumPy loop around riskparityportfolio (installed into a throwaway venv). Prints both
# times, the ratio and both final values (they agree to the ERC solvers' tolerance).
# Usage: scripts/compare_backtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# market data is read in place from the shared folder beside the project
data="${BALLAST_DATA_DIR:-$(cd .. && pwd)/shared/data}"
prices="$data/crypto_daily_close.csv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== building Ballast (release) and timing it" >&2
cargo build --release -q -p ballast --example backtest_timing
./target/release/examples/backtest_timing "$prices" > "$work/ballast.jsonl"
echo "== installing riskparityportfolio in a throwaway venv" >&2
python3 -m venv "$work/venv"
# riskparityportfolio 0.6.0 imports jax, quadprog and tqdm without declaring them
"$work/venv/bin/pip" install -q numpy pandas jax quadprog tqdm riskparityportfolio==0.6.0 >&2
"$work/venv/bin/python" - "$work" "$prices" <<'PY'
import json, sys, time
import numpy as np, pandas as pd
from riskparityportfolio.vanilla import design

work = sys.argv[1]
px = pd.read_csv(sys.argv[2], index_col=0, parse_dates=True)
px = px.dropna(how="all")                      # export gaps: whole-row holes
P = px.to_numpy(); T, N = P.shape; W = 365; FEE = 10e-4

def backtest(calendar):
    valid = np.isfinite(P)
    streak = np.zeros(N, int); units = np.zeros(N); last = np.full(N, np.nan)
    cash = 1e6; invested = False; rebal = 0; start = None; nav = cash
    for t in range(T):
        streak = np.where(valid[t], streak + 1, 0)
        elig = np.where(streak > W)[0]
        if start is None:
            if len(elig) == 0:
                continue
            start = t
        # positions whose coin has no price today are sold at the last real price
        gone = (units != 0) & ~valid[t]
        if gone.any():
            v = units[gone] * last[gone]; cash += v.sum() - FEE * np.abs(v).sum(); units[gone] = 0
        last = np.where(valid[t], P[t], last)
        nav = cash + np.nansum(units * last)
        new_month = t == start or px.index[t].month != px.index[t - 1].month
        if not invested or calendar == "daily" or new_month:
            R = P[t - W:t + 1, elig]; R = R[1:] / R[:-1] - 1
            S = np.cov(R, rowvar=False) * 365
            w = design(S, np.full(len(elig), 1 / len(elig)), 1e-10, 100000, "choi")
            target = np.zeros(N); target[elig] = w
            held = units * np.nan_to_num(last)
            net = nav
            for _ in range(6):
                x = target * net - held
                net = nav - FEE * np.abs(x).sum()
            ok = np.isfinite(last)
            units[ok] += x[ok] / last[ok]; units[target == 0] = 0
            cash -= x[ok].sum() + FEE * np.abs(x[ok]).sum()
            invested = True; rebal += 1
    return rebal, cash + np.nansum(units * last), px.index[start].date()

print(f"{'rebalancing':<12} {'Ballast':>10} {'rpp loop':>10} {'speed-up':>9}   rebalances   final value Ballast / peer")
for line in open(f"{work}/ballast.jsonl"):
    r = json.loads(line)
    reps = 3 if r["calendar"] == "monthly" else 1
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); out = backtest(r["calendar"]); ts.append(time.perf_counter() - t0)
    t = sorted(ts)[len(ts) // 2]
    print(f"{r['calendar']:<12} {r['seconds']*1e3:>8.1f}ms {t*1e3:>8.0f}ms {t/r['seconds']:>8.0f}×   {r['rebalances']:>4} / {out[0]:<4}   {r['final_value']:,.2f} / {out[1]:,.2f}")
print(f"(start {r['start']}; Riskfolio-Lib measured 7.8 s for the monthly run in the issue)")
PY
