"""Margin of many accounts on Dask: one market snapshot, accounts partitioned across workers.

Generates a synthetic book of accounts (accounts are synthetic; the instruments, marks and
margin parameters are the real Deribit snapshot of ``examples/derivatives.toml``), writes it to
Parquet, margins every account with ``ballast.margin_accounts`` in Dask workers on Arrow record
batches (portfolio margin, distance to liquidation, and one-day 99 % VaR and expected shortfall by
full revaluation), writes the per-account results to Parquet and prints the aggregate: exposure
per underlying, the accounts closest to liquidation, the largest VaRs, and accounts per second
per core, beside the same slice in one process without Dask.

Run (from the repository root, with the ``ballast`` wheel, dask[distributed] and pyarrow):

    python examples/scale_out/job.py --accounts 200000            # a LocalCluster here
    python examples/scale_out/job.py --scheduler tcp://HOST:8786  # the same job on a cluster

On a cluster the one line that changes is the client (``--scheduler``, see ``make_client``);
every worker needs the wheel and the shared data at the same path.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pandas as pd

HERE = Path(__file__).resolve().parent
BOOK = HERE.parent / "derivatives.toml"


@functools.lru_cache(maxsize=1)
def exchange(book: str):
    """The market snapshot and margin parameters, loaded once per worker process."""
    import ballast

    return ballast.Exchange(book)


def warm(book: str) -> int:
    """Load the snapshot in a worker (before timing); returns how many instruments it holds."""
    return len(exchange(book).instruments())


def margin_batch(positions: pa.RecordBatch, equity: pa.RecordBatch, book: str = str(BOOK)) -> pa.RecordBatch:
    """The worker function: Arrow in, Arrow out (a Ray ``map_batches`` or Spark ``mapInArrow``
    user calls it unchanged on batches holding whole accounts)."""
    import ballast

    df = ballast.margin_accounts(exchange(book), positions, equity, errors="skip")
    return pa.RecordBatch.from_pandas(df, preserve_index=False)


def margin_table(t: pa.Table) -> pa.Table:
    """The same for engines that hand over one table of positions with their account's equity
    joined in (columns account, instrument, size, equity_btc, equity_eth), whole accounts per
    call: Ray ``ds.groupby("account").map_groups(margin_table, batch_format="pyarrow")``, Spark
    ``df.groupBy("account").applyInArrow(margin_table, schema)``."""
    t = t.combine_chunks()
    pos = t.select(["account", "instrument", "size"])
    eq = t.group_by("account").aggregate([("equity_btc", "max"), ("equity_eth", "max")])
    eq = eq.rename_columns(["account", "equity_btc", "equity_eth"])
    batch = margin_batch(pos.to_batches()[0], eq.to_batches()[0])
    return pa.Table.from_batches([batch])


def make_accounts(n: int, seed: int, instruments: list[str]) -> tuple[pa.Table, pa.Table]:
    """``n`` accounts of 1–50 positions each over the snapshot's live instruments: options in
    coins (0.1–25, long or short), inverse futures and perpetuals in USD (1,000–2,000,000). Each
    account's equity per coin is its gross exposure in that coin (options in coins, futures at
    round index levels of 72,000 and 2,200 USD) times a lognormal share (median 50 %), so margin
    utilisation spreads from comfortable to past liquidation, as on an exchange."""
    rng = np.random.default_rng(seed)
    inst = np.array(instruments)
    is_future = np.array(["PERPETUAL" in s or s.count("-") == 1 for s in instruments])
    is_btc = np.array([s.startswith("BTC") for s in instruments])
    counts = rng.integers(1, 51, size=n)
    account = np.repeat(np.arange(n, dtype=np.int64), counts)
    pick = rng.integers(0, len(inst), size=account.size)
    sign = np.where(rng.random(account.size) < 0.5, -1.0, 1.0)
    usd = np.round(np.exp(rng.uniform(np.log(1e3), np.log(2e6), account.size)), -1)
    coins = np.round(np.exp(rng.uniform(np.log(0.1), np.log(25.0), account.size)), 1)
    size = np.where(is_future[pick], usd, coins) * sign
    positions = pa.table({"account": account, "instrument": inst[pick], "size": size})
    spot = np.where(is_btc[pick], 72_000.0, 2_200.0)
    gross = np.where(is_future[pick], np.abs(size) / spot, np.abs(size))
    btc = np.bincount(account, weights=gross * is_btc[pick], minlength=n)
    eth = np.bincount(account, weights=gross * ~is_btc[pick], minlength=n)
    share = np.exp(rng.normal(np.log(0.5), 0.6, n))
    equity = pa.table({"account": np.arange(n, dtype=np.int64),
                       "equity_btc": np.round(btc * share, 6), "equity_eth": np.round(eth * share, 5)})
    return positions, equity


def partitions(positions: pa.Table, equity: pa.Table, n_parts: int) -> list[tuple[pa.RecordBatch, pa.RecordBatch]]:
    """Whole accounts per partition (by account number)."""
    n = len(equity)
    edges = np.linspace(0, n, n_parts + 1).astype(np.int64)
    acc = positions.column("account")
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        p = positions.filter(pc.and_(pc.greater_equal(acc, lo), pc.less(acc, hi)))
        e = equity.slice(lo, hi - lo)
        out.append((p.combine_chunks().to_batches()[0] if len(p) else pa.RecordBatch.from_pylist([], schema=positions.schema),
                    e.combine_chunks().to_batches()[0]))
    return out


def make_client(scheduler: str | None, workers: int, scratch: Path):
    """A LocalCluster here; with ``scheduler`` the same job on an existing cluster (the only change)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           local_directory=str(scratch), host="127.0.0.1")
    return Client(cluster), cluster


def exposure(positions: pa.Table) -> pa.Table:
    """Exchange-wide gross and net size per underlying and instrument kind."""
    names = positions.column("instrument").to_pylist()
    under = [s.split("-")[0] for s in names]
    kind = ["option" if s.count("-") >= 3 else "future" for s in names]
    size = positions.column("size").to_numpy()
    t = pa.table({"underlying": under, "kind": kind, "net": size, "gross": np.abs(size)})
    return t.group_by(["underlying", "kind"]).aggregate([("net", "sum"), ("gross", "sum"), ("net", "count")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    ap.add_argument("--out", type=Path, default=Path("out/scale_out"))
    ap.add_argument("--cli", type=Path, default=None,
                    help="the ballast binary (e.g. target/release/ballast): also time `ballast accounts` on the same slice")
    args = ap.parse_args()
    if not 1 <= args.accounts <= 10_000_000:
        raise SystemExit("--accounts must be between 1 and 10,000,000")
    args.out.mkdir(parents=True, exist_ok=True)
    instruments = exchange(str(BOOK)).instruments()
    positions, equity = make_accounts(args.accounts, args.seed, instruments)
    pq.write_table(positions, args.out / "positions.parquet")
    pq.write_table(equity, args.out / "equity.parquet")
    if args.cli:
        import pyarrow.csv as pcsv

        pcsv.write_csv(positions, args.out / "positions.csv")
        pcsv.write_csv(equity, args.out / "equity.csv")
    print(f"{args.accounts:,} accounts, {len(positions):,} positions over {len(instruments)} instruments")

    positions = pq.read_table(args.out / "positions.parquet")
    equity = pq.read_table(args.out / "equity.parquet")
    parts = partitions(positions, equity, max(1, args.partitions))
    client, cluster = make_client(args.scheduler, args.workers, args.out / "dask-scratch")
    try:
        cores = sum(client.nthreads().values())
        client.run(warm, str(BOOK))  # load the snapshot in every worker before timing
        t0 = time.perf_counter()
        pos = client.scatter([p for p, _ in parts])
        eq = client.scatter([e for _, e in parts])
        futures = client.map(margin_batch, pos, eq, pure=False)
        results = client.gather(futures)
        dask_s = time.perf_counter() - t0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    table = pa.Table.from_batches([r for r in results if r.num_rows])
    pq.write_table(table, args.out / "margin.parquet")

    t0 = time.perf_counter()
    single = pa.Table.from_batches([margin_batch(p, e) for p, e in parts])
    one_s = time.perf_counter() - t0
    same = table.num_rows == single.num_rows and np.allclose(
        table.column("maintenance_margin").to_numpy(), single.column("maintenance_margin").to_numpy(), rtol=0, atol=0)

    cli_line = ""
    if args.cli:
        import json
        import subprocess

        run = subprocess.run([str(args.cli), "accounts", str(BOOK), "--positions", str(args.out / "positions.csv"),
                              "--equity", str(args.out / "equity.csv"), "--out", str(args.out / "cli.csv"),
                              "--format", "json"], capture_output=True, text=True, check=True)
        cli = json.loads(run.stdout)
        mm = pd.read_csv(args.out / "cli.csv").sort_values(["account", "currency"]).maintenance_margin.to_numpy()
        ours = table.to_pandas().sort_values(["account", "currency"]).maintenance_margin.to_numpy()
        cli_line = (f"Rust CLI (`ballast accounts`, one process, {cli['threads']} threads): {cli['margin_seconds']:.2f} s = "
                    f"{cli['accounts_per_second']:,.0f} accounts/s (+ {cli['load_seconds']:.2f} s loading); "
                    f"results identical: {bool(len(mm) == len(ours) and np.array_equal(mm, ours))}")
    margined = len(set(table.column("account").to_pylist()))
    print(f"margined {margined:,} accounts ({args.accounts - margined:,} could not be) → {args.out / 'margin.parquet'}")
    print(f"Dask, {cores} worker cores: {dask_s:.2f} s = {args.accounts / dask_s:,.0f} accounts/s, "
          f"{args.accounts / dask_s / cores:,.0f} per core")
    print(f"one process, no Dask ({os.cpu_count()} cores for Ballast's threads): {one_s:.2f} s = {args.accounts / one_s:,.0f} accounts/s; "
          f"results identical: {same}")
    if cli_line:
        print(cli_line)
    print("\nExposure per underlying (options in coins, futures in USD):")
    print(exposure(positions).to_pandas().to_string(index=False))
    df = table.to_pandas()
    past = df[df.margin_utilisation >= 1.0]
    print(f"\n{len(past):,} account-currencies at or past maintenance margin (utilisation ≥ 100 %): "
          "liquidation would start now")
    alive = df[df.margin_utilisation < 1.0].copy()
    alive["nearest_move"] = np.fmin(alive.liquidation_move_down.abs(), alive.liquidation_move_up.abs())
    print("Closest to liquidation among the rest (smallest index move to maintenance margin):")
    print(alive.sort_values("nearest_move").head(10).to_string(index=False))
    per_account = df.groupby("account")[["var_99_usd", "es_99_usd"]].first()
    print(f"\nOne-day 99 % VaR by full revaluation ({exchange(str(BOOK)).history()[2]} historical moves): "
          f"sum over accounts {per_account.var_99_usd.sum():,.0f} USD; largest:")
    print(per_account.sort_values("var_99_usd", ascending=False).head(5).to_string())

if __name__ == "__main__":
    main()
