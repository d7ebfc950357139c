#!/usr/bin/env bash
# Python peer reference values for the "gaps" the shared reference set does not cover: pairwise-complete
# statistics over a window with a delisted coin (MATIC), HRP on that, nearest correlation matrix
# (Higham / cvxpy SDP / statsmodels), geometric means, CAPM (BTC, equal-weight and cap-weighted market),
# Black-Litterman with market-cap priors and market-implied delta, EfficientCVaR efficient_risk, and
# constrained risk parity (riskparityportfolio SCA with group cap / return floor / box rows).
# Installs pinned peers into a throwaway venv and writes crates/ballast/tests/peers/python_gaps.json
# (see crates/ballast/tests/peers/README.md for the layout and the conventions).
#
# Usage: scripts/peers_python_gaps.sh [--out PATH]
#   PEERS_PYTHON=/path/to/python  skips the venv and uses that interpreter (development only: the
#                                 pins below are then not enforced; meta.versions says what ran).
set -euo pipefail
cd "$(dirname "$0")/.."

out="crates/ballast/tests/peers/python_gaps.json"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --out=*) out="${1#--out=}"; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (usage: $0 [--out PATH])" >&2; exit 2 ;;
    esac
done
mkdir -p "$(dirname "$out")"

data_dir="${BALLAST_SHARED:-../shared}"   # the shared folder beside the project
full_csv="$data_dir/data/crypto_daily_close.csv"
common_csv="$data_dir/reference/prices_window.csv"
bl_json="$data_dir/reference/black_litterman.json"
caps_csv="examples/market_caps.csv"
for f in "$full_csv" "$common_csv" "$bl_json" "$caps_csv"; do
    [ -f "$f" ] || { echo "missing input: $f" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${PEERS_PYTHON:-}" ]; then
    py="$PEERS_PYTHON"
    echo "== using PEERS_PYTHON=$py (no venv, pins not enforced)" >&2
else
    echo "== installing pinned peers in a throwaway venv ($work/venv)" >&2
    python3 -m venv "$work/venv"
    # riskparityportfolio 0.6.0 imports jax, quadprog and tqdm without declaring them.
    "$work/venv/bin/pip" install -q \
        numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 \
        pyportfolioopt==1.6.0 cvxpy==1.9.3 clarabel==0.11.1 scs==3.3.1 \
        riskparityportfolio==0.6.0 quadprog==0.1.14 jax==0.10.2 jaxlib==0.10.2 tqdm==4.70.1 \
        statsmodels==0.15.0 >&2
    py="$work/venv/bin/python"
fi

# riskparityportfolio evaluates its risk-concentration function and Jacobian with jax, which is
# float32 by default: force float64 so funtol 1e-14 means something.
export JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu
t0=$(date +%s)
"$py" scripts/peers_python_gaps.py "$full_csv" "$common_csv" "$bl_json" "$caps_csv" "$out"
echo "== done in $(( $(date +%s) - t0 ))s (Python part)" >&2
