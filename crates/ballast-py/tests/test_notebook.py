"""Execute examples/ballast.ipynb (the README's main job and a backtest, with a chart) in a fresh
kernel; a cell that raises fails the test."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[3]


def test_example_notebook_runs(tmp_path):
    nb = nbformat.read(ROOT / "examples" / "ballast.ipynb", as_version=4)
    chart = tmp_path / "equity.png"
    os.environ["BALLAST_EXAMPLES"] = str(ROOT / "examples")
    os.environ["BALLAST_NOTEBOOK_CHART"] = str(chart)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "as of 2026-04-26" in text
    assert chart.exists() and chart.stat().st_size > 10_000
