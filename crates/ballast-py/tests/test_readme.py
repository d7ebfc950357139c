"""The README's Python example runs as written (from the repository root)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_readme_python_example_runs():
    text = (ROOT / "README.md").read_text()
    start = text.index("**From Python**")
    block = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert block, "README's set-up has a Python example"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        scope: dict = {}
        exec(compile(block.group(1), "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    a = scope["a"]
    assert a.method == "erc" and abs(a.weights.sum() + a.cash - 1) < 1e-9
