#!/usr/bin/env bash
# Side-by-side timing of the issue-15 computations (unequal histories, CVaR targets, constrained risk
# parity) on the same inputs: Ballast (examples/gaps_timing.rs, reading the shared data in place)
# versus the Python peers — pandas `DataFrame.cov` and PyPortfolioOpt `sample_cov` (pairwise
# covariance over 730 and 3,000 days of the whole daily panel), statsmodels `corr_nearest` and a
# NumPy Higham loop (nearest correlation matrix), PyPortfolioOpt `EfficientCVaR.efficient_risk`
# (CLARABEL) and riskparityportfolio's SCA (ERC with the majors capped at 16 %). Every figure is the
# median of 15 runs after a warm-up. Installs the peers in a throwaway venv and prints a table.
#
# Usage: scripts/compare_python_gaps.sh
#   PEERS_PYTHON=/path/to/python  skips the venv and uses that interpreter (it needs the packages
#                                 below; the versions that ran are printed at the end).
#   BALLAST_SHARED=DIR            the shared folder (default ../shared, beside the project).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    "") ;;
    *) echo "unknown argument: $1 (usage: $0)" >&2; exit 2 ;;
esac

shared="${BALLAST_SHARED:-../shared}"
for f in "$shared/data/crypto_daily_close.csv" "$shared/reference/returns.csv"; do
    [ -f "$f" ] || { echo "missing input: $f" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

echo "== building Ballast (release) and timing it" >&2
cargo build --release -q -p ballast --example gaps_timing
./target/release/examples/gaps_timing "$shared" > "$work/ballast.jsonl"

if [ -n "${PEERS_PYTHON:-}" ]; then
    py="$PEERS_PYTHON"
    echo "== using PEERS_PYTHON=$py (no venv)" >&2
else
    echo "== installing the peers in a throwaway venv ($work/venv)" >&2
    python3 -m venv "$work/venv"
    # riskparityportfolio 0.6.0 imports jax, quadprog and tqdm without declaring them.
    "$work/venv/bin/pip" install -q numpy pandas scipy pyportfolioopt==1.6.0 cvxpy clarabel \
        riskparityportfolio==0.6.0 quadprog jax jaxlib tqdm statsmodels >&2
    py="$work/venv/bin/python"
fi

# jax (under riskparityportfolio) is float32 by default: float64 as in peers_python_gaps.sh.
# One BLAS thread for the peers: Ballast runs these cases on one core, and on a shared two-core
# machine OpenBLAS's default threads make NumPy's small products slower, not faster.
export JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu
echo "== timing the peers" >&2
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$py" scripts/compare_python_gaps.py "$shared" "$work/ballast.jsonl"
echo "== done in $(( $(date +%s) - t0 ))s" >&2
