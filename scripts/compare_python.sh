#!/usr/bin/env bash
# Side-by-side timing of the Python package against the peers its tests check it with
# (crates/ballast-py/tests/test_peers.py), on the same inputs: covariance (pandas, scikit-learn
# LedoitWolf), ERC (riskparityportfolio), max-Sharpe and HRP (PyPortfolioOpt), Black-76 and implied
# vol on 1,000,000 options (py_vollib_vectorized), GARCH(1,1) (arch); then whether the calls release
# the GIL (8 max-Sharpe solves on 2 threads vs in turn). Builds the wheel (maturin, release) and
# installs it with the pinned peers in a throwaway venv; prints a markdown table of medians of 15.
#
# Usage: scripts/compare_python.sh
#   PEERS_PYTHON=/path/to/python  skips the venv and the build: that interpreter must already have
#                                 ballast and the peers installed (for development).
#   BALLAST_SHARED=DIR            the shared folder (default ../shared, beside the project).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    "") ;;
    *) echo "unknown argument: $1 (usage: $0)" >&2; exit 2 ;;
esac

shared="${BALLAST_SHARED:-../shared}"
for f in "$shared/data/crypto_daily_close.csv" "$shared/reference/prices_window.csv"; do
    [ -f "$f" ] || { echo "missing input: $f" >&2; exit 1; }
done
export BALLAST_SHARED="$shared"
t0=$(date +%s)

if [ -n "${PEERS_PYTHON:-}" ]; then
    py="$PEERS_PYTHON"
    echo "== using PEERS_PYTHON=$py (no venv, no build)" >&2
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "== installing maturin and the peers in a throwaway venv" >&2
    python3 -m venv "$work/venv"
    py="$work/venv/bin/python"
    # riskparityportfolio 0.6.0 imports jax, quadprog and tqdm without declaring them;
    # py_vollib_vectorized 0.1.1 needs scripts/pvv_shim.py under numba 0.68.
    "$py" -m pip install -q --disable-pip-version-check \
        "maturin>=1.16,<2" pytest==9.2.0 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 scikit-learn==1.9.1 \
        pyportfolioopt==1.6.0 cvxpy==1.9.3 clarabel==0.11.1 riskparityportfolio==0.6.0 quadprog==0.1.14 \
        jax==0.10.2 jaxlib==0.10.2 tqdm==4.70.1 py_vollib==1.0.12 arch==8.0.0 \
        py_vollib_vectorized==0.1.1 numba==0.68.1 >&2
    echo "== building the wheel (maturin build --release)" >&2
    "$work/venv/bin/maturin" build --release -q -m crates/ballast-py/Cargo.toml -i "$py" --out "$work/wheels" >&2
    "$py" -m pip install -q --disable-pip-version-check --no-deps "$work"/wheels/ballast-*.whl
fi

# jax (under riskparityportfolio) in float64, as in the tests. One BLAS thread for the peers (the
# script sets it again before importing NumPy): on this shared two-core machine OpenBLAS's default
# threads make NumPy's small products slower, not faster. Ballast keeps its own threads.
export JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
echo "== timing (median of 15 after a warm-up)" >&2
"$py" scripts/compare_python.py
echo "== done in $(( $(date +%s) - t0 ))s" >&2
