//! Times Ballast's scenario engine (full revaluation of a book under joint spot and implied-vol
//! moves, then VaR/ES with their Euler contributions) on the benchmark book, and writes the book
//! and the scenarios out so that `scripts/compare_scenarios.sh` can revalue the same book on the
//! same scenarios in NumPy and compare the results and the times.
//!
//! Usage: `cargo run --release -p ballast --example scenario_timing -- OUT_DIR`
//!
//! The book (1,000 positions on the 2026-04-13 Deribit snapshot: `deribit_BTC_options_…`,
//! `deribit_ETH_options_…`, perpetual prices from `deribit_futures_term_structure.csv`):
//! * 900 coin-settled options: the BTC then ETH chain rows with a positive mark and more than
//!   one day to expiry, 900 of them evenly spaced through that list (cycled if it were
//!   shorter), sizes ±0.1…5 coins (seeded);
//! * 100 inverse perpetuals, alternately `BTC-PERPETUAL` and `ETH-PERPETUAL`, sizes
//!   ±1,000…200,000 USD notional (seeded).
//!
//! The scenarios: `historical` = the last 1,500 1-day moves of BTC and ETH spot
//! (`crypto_daily_close.csv`) and of their DVOL (`deribit_dvol_daily.csv`); `monte-carlo` =
//! 100,000 Gaussian 1-day draws on that history's covariance, seed 42.
//!
//! Writes to `OUT_DIR`:
//! * `options.csv`: per option (book order) `name, coin` (0 BTC, 1 ETH), `size` (coins),
//!   `spot` (index S), `forward` (F), `strike`, `years` (T to expiry at the snapshot), `vol`
//!   (the σ Ballast values it at), `rate`, `call` (1/0); every number with the shortest
//!   round-trip decimals;
//! * `perpetuals.csv`: per perpetual `name, coin, size` (USD), `spot`, `price` (its mark);
//! * `{case}_spot.f64`, `{case}_vol.f64`: the moves, scenarios × 2 coins row-major, raw
//!   little-endian f64; `{case}_pnl.f64`: Ballast's book P&L per scenario (USD).
//!
//! Prints one JSON line per case: `{"case", "scenarios", "positions", "median_seconds",
//! "var", "es", "var_scenario", "threads", …}`.
//!
//! Timed: `Revaluer::new(&book, &set)` + `tail_risk(&rev, &set, &[0.99], None)`, i.e. resolving
//! every position on the snapshot (the options' implied vols from their marks), the full
//! revaluation of every position in every scenario, the book P&L, VaR and ES at 99 % and their
//! Euler contributions per position and per underlying; median of 25 batches after a warm-up
//! (one call per batch when a call takes more than 20 ms). Threads: rayon's global pool
//! (`RAYON_NUM_THREADS`).

use ballast::book::{position_ticker, Book};
use ballast::instrument::{Instrument, OptionKind, Settlement};
use ballast::pricing::{year_fraction, DAYS_PER_YEAR};
use ballast::scenario::{tail_risk, Revaluer, ScenarioSet};
use serde_json::json;
use std::hint::black_box;
use std::path::{Path, PathBuf};

#[path = "../benches/support/mod.rs"]
mod support;
use support::median_seconds;
#[path = "../benches/support/scenario_book.rs"]
mod scenario_book;
use scenario_book::book;

const MC_SCENARIOS: usize = 100_000;
const CONFIDENCE: f64 = 0.99;

/// `{v:?}`: the shortest decimals that read back as the same f64.
fn num(v: f64) -> String {
    format!("{v:?}")
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn write_f64(path: &Path, v: &[f64]) {
    write(path, v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>());
}

/// Each position's inputs as Ballast resolves them: options.csv and perpetuals.csv.
fn write_book(out: &Path, b: &Book, coins: &[String]) {
    let m = &b.market;
    let as_of = m.as_of.expect("valuation instant");
    let coin_index = |c: &str| {
        coins
            .iter()
            .position(|x| x == c)
            .expect("a coin the scenarios move")
    };
    let mut opts = String::from("name,coin,size,spot,forward,strike,years,vol,rate,call\n");
    let mut perps = String::from("name,coin,size,spot,price\n");
    for p in &b.positions {
        let tk = position_ticker(p, m)
            .unwrap_or_else(|e| panic!("{}: {e}", p.name))
            .expect("a derivative");
        let coin = p.instrument.coin();
        let s = m.spot(coin).expect("spot index");
        match &p.instrument {
            Instrument::Option {
                expiry,
                strike,
                kind,
                settlement,
                ..
            } => {
                assert_eq!(
                    *settlement,
                    Settlement::Coin,
                    "{}: the NumPy side models coin-settled options",
                    p.name
                );
                let rate = m.option(&p.instrument).expect("option quote").rate;
                let row = [
                    num(p.size),
                    num(s),
                    num(tk.forward.expect("forward")),
                    num(*strike),
                    num(year_fraction(as_of, *expiry)),
                    num(tk.vol.expect("vol")),
                    num(rate),
                ];
                opts += &format!(
                    "{},{},{},{}\n",
                    p.name,
                    coin_index(coin),
                    row.join(","),
                    u8::from(*kind == OptionKind::Call)
                );
            }
            Instrument::Perpetual { .. } => {
                perps += &format!(
                    "{},{},{},{},{}\n",
                    p.name,
                    coin_index(coin),
                    num(p.size),
                    num(s),
                    num(tk.mark_price)
                );
            }
            _ => panic!("{}: the book holds options and perpetuals only", p.name),
        }
    }
    write(&out.join("options.csv"), opts);
    write(&out.join("perpetuals.csv"), perps);
}

/// Time one case, write its moves and Ballast's P&L, print its JSON line.
fn run_case(out: &Path, case: &str, b: &Book, set: &ScenarioSet) {
    write_f64(&out.join(format!("{case}_spot.f64")), &set.spot);
    write_f64(&out.join(format!("{case}_vol.f64")), &set.vol);
    let rev = Revaluer::new(b, set).expect("revaluer");
    let warnings = rev.warnings.len();
    let tr = tail_risk(&rev, set, &[CONFIDENCE], None).expect("tail risk");
    write_f64(&out.join(format!("{case}_pnl.f64")), &tr.pnl);
    let t = median_seconds(|| {
        let rev = Revaluer::new(black_box(b), black_box(set)).expect("revaluer");
        tail_risk(&rev, set, &[CONFIDENCE], None).expect("tail risk")
    });
    let m = &tr.measures[0];
    let es_sum: f64 = m.es_contributions.iter().sum();
    let line = json!({
        "case": case,
        "scenarios": set.len(),
        "positions": b.positions.len(),
        "horizon_days": set.horizon_days,
        "days_per_year": DAYS_PER_YEAR,
        "confidence": CONFIDENCE,
        "median_seconds": t,
        "var": m.var,
        "es": m.es,
        "var_scenario": m.var_scenario,
        "es_contributions_sum": es_sum,
        "mean_pnl": tr.mean_pnl,
        "warnings": warnings,
        "threads": rayon::current_num_threads(),
    });
    println!("{line}");
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: scenario_timing OUT_DIR"));
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let b = book();
    let coins: Vec<String> = vec!["BTC".into(), "ETH".into()];
    write_book(&out, &b, &coins);

    let (hist, mc) = scenario_book::scenario_sets(MC_SCENARIOS);
    run_case(&out, "monte-carlo", &b, &mc);
    run_case(&out, "historical", &b, &hist.set);
}
