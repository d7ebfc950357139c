#!/usr/bin/env bash
# Side-by-side timing of long-only min-volatility and max-Sharpe on the same annual μ and Σ:
# Ballast (Rust, Clarabel) versus PyPortfolioOpt (cvxpy + CLARABEL). Installs the peer into a
# throwaway venv and prints the ratio and the objective values of both.
# Usage: scripts/compare_pypfopt.sh [N ...]      (default N = 50 200)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== building Ballast (release) and timing it" >&2
cargo build --release -q -p ballast --example mv_timing
./target/release/examples/mv_timing "$work/in" "$@" > "$work/ballast.jsonl"
echo "== installing PyPortfolioOpt in a throwaway venv" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q numpy pandas packaging pyportfolioopt clarabel >&2
"$work/venv/bin/python" - "$work" <<'PY'
import json, sys, time
import numpy as np
from pypfopt import EfficientFrontier
work = sys.argv[1]
def timed(f, k=9):
    f(); ts = []
    for _ in range(k):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts.sort(); return ts[len(ts) // 2]
print(f"{'N':>4} {'problem':<13} {'Ballast':>10} {'PyPortfolioOpt':>15} {'speed-up':>9}   objective Ballast / peer")
for line in open(f"{work}/ballast.jsonl"):
    r = json.loads(line); n = r["n"]
    S = np.loadtxt(f"{work}/in/cov_{n}.csv", delimiter=","); mu = np.loadtxt(f"{work}/in/mu_{n}.csv")
    def mv():
        ef = EfficientFrontier(mu, S, weight_bounds=(0, 1), solver="CLARABEL"); ef.min_volatility(); return ef
    def ms():
        ef = EfficientFrontier(mu, S, weight_bounds=(0, 1), solver="CLARABEL"); ef.max_sharpe(risk_free_rate=0.0); return ef
    t1, t2 = timed(mv), timed(ms)
    v = mv().portfolio_performance(risk_free_rate=0.0)[1]; s = ms().portfolio_performance(risk_free_rate=0.0)[2]
    print(f"{n:>4} {'min-vol':<13} {r['min_variance_seconds']*1e3:>8.2f}ms {t1*1e3:>13.2f}ms {t1/r['min_variance_seconds']:>8.1f}×   vol {r['min_vol']:.10f} / {v:.10f}")
    print(f"{n:>4} {'max-Sharpe':<13} {r['max_sharpe_seconds']*1e3:>8.2f}ms {t2*1e3:>13.2f}ms {t2/r['max_sharpe_seconds']:>8.1f}×   Sharpe {r['max_sharpe']:.10f} / {s:.10f}")
PY
