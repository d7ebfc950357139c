#!/usr/bin/env bash
# The Python package's tests: build the wheel (maturin, release), install it and the peers it is
# checked against into a throwaway venv, run pytest (crates/ballast-py/tests). Part of README's
# test command and of .ci/run. Needs python3 (≥ 3.10) with venv and pip; the shared folder
# beside the project (or BALLAST_SHARED).
# Usage: scripts/test_python.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== Python tests: installing maturin, pytest and the peers in a throwaway venv" >&2
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
# riskparityportfolio 0.6.0 imports jax, quadprog and tqdm without declaring them.
"$py" -m pip install -q --disable-pip-version-check \
    "maturin>=1.16,<2" pytest==9.2.0 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 scikit-learn==1.9.1 \
    pyportfolioopt==1.6.0 cvxpy==1.9.3 clarabel==0.11.1 riskparityportfolio==0.6.0 quadprog==0.1.14 \
    jax==0.10.2 jaxlib==0.10.2 tqdm==4.70.1 py_vollib==1.0.12 arch==8.0.0 \
    nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 matplotlib==3.11.2 \
    "dask[distributed]==2026.8.0" pyarrow==26.0.1 >&2
echo "== building the wheel (maturin build --release)" >&2
"$work/venv/bin/maturin" build --release -q -m crates/ballast-py/Cargo.toml -i "$py" --out "$work/wheels" >&2
"$py" -m pip install -q --disable-pip-version-check --no-deps "$work"/wheels/ballast-*.whl
export JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu
cd crates/ballast-py
"$py" -m pytest -q -p no:cacheprovider tests "$@"
