//! Walk-forward backtests on the shared daily panel (40 coins, 2017-08 → 2026-04): ERC on the
//! sample covariance of the last 365 returns, 10 bps fees, rebalanced monthly (93 times) or
//! daily (2,802 times); and the performance metrics of a run.

use ballast::backtest::metrics::performance;
use ballast::backtest::{Backtest, BacktestFile, MarketData};
use ballast::io::read_prices;
use divan::{black_box, Bencher};

#[path = "support/mod.rs"]
mod support;

fn main() {
    divan::main();
}

fn erc(calendar: &str) -> Backtest {
    let path = support::data_path("crypto_daily_close.csv");
    let panel = read_prices(&path).expect("daily prices");
    let path = path.display();
    let text = format!(
        "[data]\nprices = \"{path}\"\n[backtest]\nbenchmark = \"none\"\n[costs]\nfee_bps = 10.0\n\
         [[strategy]]\nname = \"erc\"\nwindow = 365\nrebalance = \"{calendar}\"\n[strategy.allocation]\nmethod = \"erc\"\n"
    );
    let spec: BacktestFile = toml::from_str(&text).expect("spec");
    Backtest::from_spec(
        spec,
        "bench",
        MarketData::new(&panel, None, None).expect("market"),
    )
    .expect("backtest")
}

#[divan::bench(sample_count = 30)]
fn erc_monthly_whole_panel(bencher: Bencher) {
    let bt = erc("monthly");
    bencher.bench(|| black_box(&bt).run(&mut || {}));
}

#[divan::bench(sample_count = 5)]
fn erc_daily_whole_panel(bencher: Bencher) {
    let bt = erc("daily");
    bencher.bench(|| black_box(&bt).run(&mut || {}));
}

#[divan::bench(sample_count = 30)]
fn metrics_of_a_run(bencher: Bencher) {
    let bt = erc("monthly");
    let res = bt.run(&mut || {});
    let r = &res.runs[0];
    bencher.bench(|| performance(black_box(&r.nav), &r.dates, Some(r), 0.0));
}
