#!/usr/bin/env bash
# Side-by-side timing of GARCH(1,1) fits (constant mean; normal and Student-t) on the same
# 2,000 BTC daily returns in percent: Ballast versus Python's arch (installed into a throwaway
# venv). Prints both times, the ratio, and both log-likelihoods and parameters.
# Usage: scripts/compare_garch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== building Ballast (release) and timing it" >&2
cargo build --release -q -p ballast --example garch_timing
./target/release/examples/garch_timing "$work" > "$work/ballast.jsonl"
echo "== installing arch in a throwaway venv" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q numpy pandas scipy arch >&2
"$work/venv/bin/python" - "$work" <<'PY'
import json, sys, time, warnings
import numpy as np
from arch import arch_model
warnings.simplefilter("ignore")
work = sys.argv[1]
y = np.loadtxt(f"{work}/btc_pct.csv")
def timed(f, k=15):
    f(); ts = []
    for _ in range(k):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts.sort(); return ts[len(ts) // 2]
print(f"{'dist':<7} {'Ballast':>10} {'arch':>10} {'speed-up':>9}   log-likelihood Ballast / arch")
for line in open(f"{work}/ballast.jsonl"):
    r = json.loads(line)
    d = "normal" if r["dist"] == "normal" else "t"
    fit = lambda: arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist=d).fit(disp="off")
    t = timed(fit); res = fit()
    print(f"{r['dist']:<7} {r['seconds']*1e3:>8.3f}ms {t*1e3:>8.2f}ms {t/r['seconds']:>8.1f}×   {r['loglikelihood']:.6f} / {res.loglikelihood:.6f}")
    print(f"        Ballast mu={r['mu']:.6f} omega={r['omega']:.6f} alpha={r['alpha']:.6f} beta={r['beta']:.6f} nu={r['nu']:.4f}")
    print(f"        arch    {' '.join(f'{k}={v:.6f}' for k, v in res.params.items())}")
PY
