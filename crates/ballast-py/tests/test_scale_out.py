"""The scale-out example on a small slice: a Dask LocalCluster (2 workers, no dashboard, scratch
inside the test's folder) margins every account, the per-account results equal one process's, and
no worker is left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[3]


def test_scale_out_job_on_a_local_cluster(tmp_path):
    out = tmp_path / "scale_out"
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "scale_out" / "job.py"), "--accounts", "400", "--partitions", "4",
         "--out", str(out), "--cli", str(ROOT / "target" / "debug" / "ballast")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "margined 400 accounts (0 could not be)" in run.stdout, run.stdout
    assert run.stdout.count("results identical: True") == 2, run.stdout  # one process, and the Rust CLI
    margin = pq.read_table(out / "margin.parquet").to_pandas()
    assert set(margin.account) == set(range(400))
    assert (margin.maintenance_margin <= margin.initial_margin + 1e-12).all()
    assert ((margin.margin_utilisation - margin.maintenance_margin / margin.equity).abs() < 1e-9).all()
    left = subprocess.run(["pgrep", "-f", f"dask.*{tmp_path}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", f"workers left behind: {left.stdout}"


def test_the_table_form_for_ray_and_spark_equals_the_batch_form(tmp_path):
    import pyarrow as pa

    sys.path.insert(0, str(ROOT / "examples" / "scale_out"))
    import job

    ins = job.exchange(str(job.BOOK)).instruments()
    pos, eq = job.make_accounts(50, 3, ins)
    joined = pos.join(eq, "account")
    a = job.margin_table(joined).to_pandas().sort_values(["account", "currency"]).reset_index(drop=True)
    b = pa.Table.from_batches([job.margin_batch(pos.combine_chunks().to_batches()[0], eq.to_batches()[0])])
    b = b.to_pandas().sort_values(["account", "currency"]).reset_index(drop=True)
    assert a.equals(b)


def test_bad_positions_are_named():
    import pandas as pd
    import pytest

    import ballast

    ex = ballast.Exchange(str(ROOT / "examples" / "derivatives.toml"))
    pos = pd.DataFrame({"account": [1, 1], "instrument": ["BTC-PERPETUAL", "BTC-1JAN99-1-C"], "size": [1000.0, 1.0]})
    eq = pd.DataFrame({"account": [1], "equity_btc": [1.0], "equity_eth": [0.0]})
    with pytest.raises(ballast.BallastError, match="account 1"):
        ballast.margin_accounts(ex, pos, eq)
    assert ballast.margin_accounts(ex, pos, eq, errors="skip").empty
    with pytest.raises(ballast.BallastError, match="no column 'size'"):
        ballast.margin_accounts(ex, pos.drop(columns="size"), eq)
    with pytest.raises(ballast.BallastError, match="no equity row"):
        ballast.margin_accounts(ex, pos.iloc[:1], eq.assign(account=[2]))
    twice = pd.concat([eq, eq.assign(equity_btc=[2.0])])
    with pytest.raises(ballast.BallastError, match="account 1 has two rows"):
        ballast.margin_accounts(ex, pos.iloc[:1], twice)
    # USDC-settled equity is an optional column
    usdc = ballast.margin_accounts(ex, pos.iloc[:1], eq.assign(equity_usdc=[1000.0]))
    assert list(usdc["currency"]) == ["btc"]


def test_account_var_equals_the_cli_full_revaluation_var(tmp_path):
    """An account's 99 % one-day VaR and ES from the per-instrument unit P&L equal `ballast var`
    on a portfolio file holding the same positions (historical, every position revalued)."""
    import json
    import re

    import pandas as pd

    import ballast

    cli = ROOT / "target" / "debug" / "ballast"
    assert cli.exists(), "build the CLI first (cargo test --workspace, as README's test command does)"
    text = (ROOT / "examples" / "derivatives.toml").read_text()
    positions = re.findall(r'\[\[position\]\]\ninstrument = "([^"]+)"\nsize = ([-0-9.]+)', text)
    assert len(positions) >= 6
    head = text[: text.index("# spot coins")]
    head = head.replace("../../shared", str((ROOT.parent / "shared").resolve()))
    body = "".join(f'[[position]]\ninstrument = "{n}"\nsize = {s}\n\n' for n, s in positions)
    book = tmp_path / "book.toml"
    book.write_text(head + body)
    run = subprocess.run([str(cli), "var", str(book), "--format", "json", "--confidence", "0.99"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    hist = next(r for r in json.loads(run.stdout)["results"] if r["method"] == "historical" and r["horizon_days"] == 1)
    line = next(x for x in hist["lines"] if x["confidence"] == 0.99)
    ex = ballast.Exchange(str(ROOT / "examples" / "derivatives.toml"))
    pos = pd.DataFrame({"account": 7, "instrument": [n for n, _ in positions], "size": [float(s) for _, s in positions]})
    eq = pd.DataFrame({"account": [7], "equity_btc": [10.0], "equity_eth": [100.0]})
    out = ballast.margin_accounts(ex, pos, eq)
    assert abs(out.var_99_usd.iloc[0] / line["var_usd"] - 1) < 1e-9, (out.var_99_usd.iloc[0], line["var_usd"])
    assert abs(out.es_99_usd.iloc[0] / line["es_usd"] - 1) < 1e-9
    # positive homogeneity: twice the book, twice the VaR
    twice = ballast.margin_accounts(ex, pos.assign(size=pos["size"] * 2), eq)
    assert abs(twice.var_99_usd.iloc[0] / out.var_99_usd.iloc[0] - 2) < 1e-12
