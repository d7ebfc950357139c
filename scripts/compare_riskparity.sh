#!/usr/bin/env bash
# Side-by-side timing of equal-risk-contribution solvers on the same covariance matrices:
# Ballast (Rust) versus riskparityportfolio's C++ core (Python package, CCD, tol 1e-10).
# Installs the peer into a throwaway venv; prints a table with the speed ratio.
#
# Usage: scripts/compare_riskparity.sh [N ...]     (default N = 10 50 200 500)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== building Ballast (release) and timing it" >&2
cargo build --release -q -p ballast --example erc_timing
./target/release/examples/erc_timing "$work/cov" "$@" > "$work/ballast.jsonl"

echo "== installing the peer in a throwaway venv ($work/venv)" >&2
python3 -m venv "$work/venv"
# riskparityportfolio 0.6.0 imports jax, quadprog and tqdm without declaring them
"$work/venv/bin/pip" install -q numpy jax quadprog tqdm riskparityportfolio==0.6.0 >&2

"$work/venv/bin/python" - "$work" <<'PY'
import json, sys, time, platform
import numpy as np
from riskparityportfolio.vanilla import design

work = sys.argv[1]
rows = [json.loads(l) for l in open(f"{work}/ballast.jsonl")]

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

def rc_err(S, w, b):
    rc = w * (S @ w)
    return float(np.max(np.abs(rc / rc.sum() - b)))

print(f"ERC, tolerance 1e-10 on relative risk contributions; median time per solve ({platform.machine()})")
print(f"{'N':>5} {'Ballast':>12} {'rpp CCD-Spinu':>14} {'rpp CCD-Choi':>13} {'speed-up':>9}   max|RC-b|: Ballast / peer")
for r in rows:
    n = r["n"]
    S = np.loadtxt(f"{work}/cov/cov_{n}.csv", delimiter=",", ndmin=2)
    b = np.full(n, 1.0 / n)
    # riskparityportfolio 0.6.0 swaps the names: method='choi' runs Spinu's CCD and vice versa
    t_spinu = timed(lambda: design(S, b, 1e-10, 100000, "choi"))
    t_choi = timed(lambda: design(S, b, 1e-10, 100000, "spinu"))
    e_peer = max(rc_err(S, design(S, b, 1e-10, 100000, m), b) for m in ("choi", "spinu"))
    best = min(t_spinu, t_choi)
    ours = r["median_seconds"]
    print(f"{n:>5} {ours*1e6:>10.2f}µs {t_spinu*1e6:>12.2f}µs {t_choi*1e6:>11.2f}µs {best/ours:>8.2f}×   {r['max_rc_error']:.1e} / {e_peer:.1e}")
print("speed-up = fastest peer method / Ballast (>1: Ballast is faster)")
PY
