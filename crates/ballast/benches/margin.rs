//! Deribit portfolio margin. Run: `cargo bench -p ballast --bench margin`.
//! Targets (issue "margin"): the risk matrix (27 + 8 scenarios) of a 1,000-position book in
//! under 1 ms on one core; the liquidation moves of that book in under 5 ms
//! (`option_book_with_liquidation`: the whole account, fall and rise searched in parallel).

use ballast::margin::deribit::{account_margin, book_margin, portfolio_margin, PmParams};
use divan::{black_box, Bencher};
use std::collections::BTreeMap;

#[path = "support/margin_book.rs"]
mod margin_book;
use margin_book::book;

fn main() {
    divan::main();
}

fn params() -> PmParams {
    toml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/deribit_pm_params.toml"
        ))
        .unwrap(),
    )
    .unwrap()
}

#[divan::bench(args = [10, 100, 1000])]
fn risk_matrix(bencher: Bencher, n: usize) {
    let (p, input) = (params(), book(n));
    bencher.bench(|| portfolio_margin(black_box(&p), black_box(&input)).unwrap());
}

#[divan::bench(args = [10, 100, 1000])]
fn with_liquidation_moves(bencher: Bencher, n: usize) {
    use ballast::instrument::Position;
    use ballast::market::MarketSnapshot;
    let p = params();
    // the same book through the book path needs chain quotes; the perpetual-only case times the
    // root search itself (each step recomputes the risk matrix)
    let mut market = MarketSnapshot {
        as_of: Some("2026-04-13T10:00:00Z".parse().unwrap()),
        ..MarketSnapshot::default()
    };
    market.spot.insert("BTC".into(), 70_000.0);
    market.futures.insert("BTC-PERPETUAL".into(), 70_000.0);
    let positions: Vec<Position> = (0..n)
        .map(|_| Position::new("BTC-PERPETUAL", 7_000.0, "deribit").unwrap())
        .collect();
    let equity: BTreeMap<String, f64> = [("btc".to_string(), 0.02 * n as f64)].into();
    bencher.bench(|| book_margin(black_box(&p), black_box(&positions), black_box(&market), &equity).unwrap());
}

/// The whole account of the option book: risk matrix, standard margin and the liquidation moves
/// (each step of the search re-evaluates the book's risk matrix at the moved index). Equity is
/// set at 1.5× the maintenance margin, so both searches run.
#[divan::bench(args = [10, 100, 1000])]
fn option_book_with_liquidation(bencher: Bencher, n: usize) {
    let (p, input) = (params(), book(n));
    let mm = portfolio_margin(&p, &input).unwrap().margins["btc"].maintenance_margin;
    let equity: BTreeMap<String, f64> = [("btc".to_string(), 1.5 * mm)].into();
    let (_, acc) = account_margin(&p, &input, &equity).unwrap();
    assert!(acc[0].liquidation[0].fall.is_some() || acc[0].liquidation[0].rise.is_some());
    bencher.bench(|| account_margin(black_box(&p), black_box(&input), &equity).unwrap());
}
