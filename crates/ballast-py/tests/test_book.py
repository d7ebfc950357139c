"""Greeks, full-revaluation VaR, stress tests and Deribit portfolio margin of a derivatives book
from Python equal the CLI's JSON for the same portfolio file (the same library underneath)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import ballast

ROOT = Path(__file__).resolve().parents[3]
BOOK = ROOT / "examples" / "derivatives.toml"
CLI = ROOT / "target" / "debug" / "ballast"


def cli(*args: str) -> dict:
    assert CLI.exists(), "build the CLI first (cargo test --workspace, as README's test command does)"
    run = subprocess.run([str(CLI), *args, "--format", "json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_greeks_equal_the_cli():
    got, want = ballast.greeks(BOOK), cli("greeks", str(BOOK))
    assert got["total"] == want["total"]
    assert got["scenarios"] == want["scenarios"]
    assert list(got["table"].instrument) == [p["instrument"] for p in want["positions"]]


def test_var_equals_the_cli():
    got, want = ballast.var(BOOK, scenarios=0), cli("var", str(BOOK), "--scenarios", "0")
    hist = lambda r: [x for x in r["results"] if x["method"] in ("historical", "filtered-historical")]  # noqa: E731
    assert hist(got) == hist(want)
    t = got["table"]
    assert (t.es_usd >= t.var_usd - 1e-9).all()


def test_stress_and_margin_equal_the_cli():
    assert ballast.stress(BOOK)["worst"] == cli("stress", str(BOOK))["worst"]
    got = ballast.margin(BOOK)
    want = cli("margin", str(BOOK))
    by = lambda accs: {a["currency"]: a["maintenance_margin"] for a in accs}  # noqa: E731
    assert by(got["accounts"]) == by(want["accounts"])


def test_book_errors_name_the_file(tmp_path):
    with pytest.raises(ballast.BallastError, match="no such portfolio file"):
        ballast.var(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[position]]\ninstrument = "BTC-PERPETUAL"\nsize = 1000\n')
    with pytest.raises(ballast.BallastError, match="market"):
        ballast.greeks(bad)
