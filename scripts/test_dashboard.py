"""The dashboard in a real headless browser (Debian's Chromium driven by Playwright).

1. `ballast serve` on the file's snapshot (no feed): every number the page renders — the Greeks
   table, VaR, ES, margin utilisation, distance to liquidation — equals the API's for the same
   book (the raw value behind each cell, and the text shown is that value formatted).
2. `ballast serve --feed replay`: the page follows the replay (snapshot number, spot and P&L
   move between two screenshots), and an alert raised through the API's limits appears in the
   alerts table.

Run by scripts/test_service.sh: python test_dashboard.py BALLAST_BINARY OUT_DIR. Screenshots are
written to OUT_DIR.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
BIN, OUT = sys.argv[1], Path(sys.argv[2])
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def token(db: Path, scope: str) -> str:
    out = subprocess.run([BIN, "token", "create", "--scope", scope, "--db", str(db)], check=True,
                         capture_output=True, text=True).stdout
    return re.search(r"^token: (\S+)", out, re.M).group(1)


class Server:
    def __init__(self, db: Path, *extra: str):
        self.log = open(db.with_suffix(".log"), "w+")
        self.p = subprocess.Popen([BIN, "serve", "examples/derivatives.toml", "--listen", "127.0.0.1:0", "--db",
                                   str(db), *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log,
                                  text=True)
        first = self.p.stdout.readline()
        found = re.search(r"http://(\S+)", first)
        if not found:
            self.p.kill()
            self.log.seek(0)
            raise SystemExit(f"ballast serve did not start: {first!r} {self.log.read()}")
        self.addr = found.group(1)
        self.token = self.p.stdout.readline().split("token: ")[1].strip()

    def get(self, path: str, tok: str | None = None, method: str = "GET", body: dict | None = None):
        req = urllib.request.Request(f"http://{self.addr}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {tok or self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=20) as r:
            return json.loads(r.read())

    def wait_risk(self) -> None:
        for _ in range(300):
            try:
                self.get("/api/books/derivatives/risk")
                return
            except urllib.error.HTTPError:
                time.sleep(0.1)
        raise SystemExit("no risk round in 30 s")

    def close(self) -> None:
        self.p.kill()
        self.p.wait()


def value(page, selector: str) -> float:
    return float(page.get_attribute(selector, "data-value"))


def same(a: float, b: float, what: str) -> None:
    assert abs(a - b) <= 1e-9 * (1 + abs(b)), f"{what}: page {a} vs API {b}"


def static_book(browser, tmp: Path) -> None:
    s = Server(tmp / "static.db")
    try:
        s.wait_risk()
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        page.goto(f"http://{s.addr}/#token={s.token}")
        # a snapshot taken after the first risk round
        page.wait_for_function("() => { const b = document.querySelector('[data-var]');"
                               " return b && b.dataset.value !== ''; }", timeout=30_000)
        greeks = s.get("/api/books/derivatives/greeks")
        cols = ["value_usd", "delta_usd", "gamma_usd_1pct", "vega", "theta"]
        rows = {"total": greeks["total"], **greeks["by_underlying"]}
        for name, t in rows.items():
            cells = page.query_selector_all(f'tr[data-row="{name}"] td[data-value]')
            assert len(cells) == len(cols), (name, len(cells))
            for c, col in zip(cells, cols):
                shown = float(c.get_attribute("data-value"))
                same(shown, t[col], f"{name} {col}")
                text = c.inner_text().replace(",", "")
                assert abs(float(text) - round(t[col])) <= 1, f"{name} {col}: shows {text}, API {t[col]}"
        risk = s.get("/api/books/derivatives/risk")["var"]
        line = next(b for b in risk["results"] if b["method"] == "historical" and b["horizon_days"] == 1)["lines"][0]
        same(value(page, "[data-var]"), line["var_usd"], "VaR")
        same(value(page, "[data-es]"), line["es_usd"], "ES")
        rc = s.get("/api/books/derivatives/risk")["contributions"]
        for coin, c in rc["by_underlying"].items():
            same(value(page, f'[data-rc="{coin}"]'), c["share"], f"{coin} risk contribution")
        same(value(page, "[data-dvol]"), rc["volatility_1d_usd"], "delta σ")
        margin = s.get("/api/books/derivatives/margin")["margin"]
        util = [a["margin_utilisation"] for a in margin["accounts"]]
        assert util and all(u is not None for u in util), util
        same(value(page, "[data-margin]"), max(util), "margin")
        moves = [abs(p["move"]) for a in margin["accounts"] for l in a["liquidation"]
                 for p in (l["fall"], l["rise"]) if p]
        assert moves, "the example book liquidates within the search"
        same(value(page, "[data-liq]"), min(moves), "liquidation distance")
        page.screenshot(path=str(OUT / "dashboard_static.png"), full_page=True)
        print(f"static book: Greeks, VaR {line['var_usd']:.0f} USD, ES, risk contributions, margin and liquidation shown as the API's")
    finally:
        s.close()


def replay(browser, tmp: Path) -> None:
    db = tmp / "replay.db"
    rw = token(db, "read-write")
    s = Server(db, "--feed", "replay", "--speed", "14400")
    try:
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        page.goto(f"http://{s.addr}/#token={s.token}")
        page.wait_for_function("() => +(document.getElementById('seq').dataset.seq || 0) >= 2", timeout=30_000)
        seq0 = int(page.get_attribute("#seq", "data-seq"))
        pnl0 = value(page, "[data-pnl]")
        spot0 = page.inner_text(".book h2 .muted")
        page.screenshot(path=str(OUT / "dashboard_replay_1.png"), full_page=True)
        # a replayed day every 6 s: the next day's prices move the P&L
        page.wait_for_function("(p0) => +document.querySelector('[data-pnl]').dataset.value !== p0", arg=pnl0,
                               timeout=30_000)
        pnl1 = value(page, "[data-pnl]")
        assert int(page.get_attribute("#seq", "data-seq")) > seq0, "the snapshot number did not grow"
        assert page.inner_text(".book h2 .muted") != spot0, f"the spot did not move ({spot0})"
        s.get("/api/books/derivatives/limits", rw, "PUT", {"delta_usd": 1.0})
        page.wait_for_selector("#alerts td:has-text('delta_usd')", timeout=30_000)
        assert "raised" in page.inner_text("#alerts")
        assert "delta_usd" in page.inner_text("[data-breached]")
        # the server's chart (plotters SVG) is shown, with the replayed points
        page.wait_for_function("() => { const i = document.getElementById('chart');"
                               " return i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:'); }", timeout=30_000)
        svg = urllib.request.urlopen(urllib.request.Request(
            f"http://{s.addr}/api/books/derivatives/chart.svg",
            headers={"Authorization": f"Bearer {s.token}"}), timeout=20).read().decode()
        assert 'stroke="#FF0000"' in svg and 'stroke="#0000FF"' in svg and "since start" in svg, svg[:300]
        page.screenshot(path=str(OUT / "dashboard_replay_2.png"), full_page=True)
        print(f"replay: snapshot {seq0} → {page.get_attribute('#seq', 'data-seq')}, P&L {pnl0:.0f} → {pnl1:.0f} USD,"
              " an alert raised through the API shown")
    finally:
        s.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            static_book(browser, Path(t))
            replay(browser, Path(t))
        finally:
            browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
