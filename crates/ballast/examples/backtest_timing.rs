//! Times walk-forward backtests on the shared panel: monthly ERC (sample covariance of the last
//! 365 daily returns, every coin with a full window, 10 bps fees) and the same rebalanced
//! daily. Prints one JSON line per run (median of repeated runs) with its final value, so
//! `scripts/compare_backtest.sh` can check the peer computes the same thing.
//! Usage: backtest_timing [PRICES_CSV]
use ballast::backtest::{Backtest, BacktestFile, MarketData};
use ballast::io::read_prices;

#[path = "../benches/support/mod.rs"]
mod support;
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| support::data_path("crypto_daily_close.csv").display().to_string());
    let panel = read_prices(&path).expect("price file");
    for calendar in ["monthly", "daily"] {
        let text = format!(
            r#"
[data]
prices = "{path}"
[backtest]
benchmark = "none"
[costs]
fee_bps = 10.0
[[strategy]]
name = "ERC {calendar}"
window = 365
rebalance = "{calendar}"
[strategy.allocation]
method = "erc"
"#
        );
        let spec: BacktestFile = toml::from_str(&text).expect("spec");
        let bt = Backtest::from_spec(
            spec,
            "timing",
            MarketData::new(&panel, None, None).expect("market"),
        )
        .expect("backtest");
        let reps = if calendar == "monthly" { 21 } else { 5 };
        let mut times = Vec::new();
        let mut result = None;
        for _ in 0..reps {
            let t0 = Instant::now();
            let r = bt.run(&mut || {});
            times.push(t0.elapsed().as_secs_f64());
            result = Some(r);
        }
        times.sort_by(f64::total_cmp);
        let run = &result.expect("ran").runs[0];
        println!(
            "{{\"calendar\":\"{calendar}\",\"seconds\":{},\"rebalances\":{},\"days\":{},\"start\":\"{}\",\"final_value\":{}}}",
            times[reps / 2],
            run.rebalances.len(),
            run.dates.len(),
            run.dates[0],
            run.nav.last().expect("values")
        );
    }
}
